/* What tlsflow-client prints about the connection on stderr: the five-step trace, the
 * key log, the summary once established (pin, exporters) and the final verdict. */
#ifndef TLSFLOW_CLIENT_REPORT_H
#define TLSFLOW_CLIENT_REPORT_H

#include <tlsflow/tlsflow.h>

#include "client_cli.h"

/* The engine's trace callback: one line per step, numbered as in the five-step story. */
void report_trace(void *ctx, const tlsflow_conn *conn, const tlsflow_trace_event *ev);
/* The key log callback; ctx is the FILE to append to. */
void report_keylog(void *ctx, const char *line);
/* Once established: the summary line, the pin that matched, the --export values.
 * 0, or 1 when an exporter failed (the exit status). */
int report_established(tlsflow_conn *c, const client_opts *o);
/* Once closed: 0 for a clean close (or an EOF without close_notify after a reply when
 * eof_ok), else 1 with the reason printed. */
int report_closed(tlsflow_conn *c, const client_opts *o, int eof_ok);

#endif
