/* The --log line for a finished connection: one JSON object per line. */
#ifndef TLSFLOW_SCONN_LOG_H
#define TLSFLOW_SCONN_LOG_H

#include "sconn.h"
#include "util/sinks.h"

/* How the connection ended, in one word ("ok", "idle_timeout", "peer_alert", ...). */
const char *sconn_outcome(const sconn *c);
void sconn_log_write(sink *log, const sconn *c);

#endif
