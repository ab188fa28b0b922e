/* The echo stream application side (--send-bytes N, --send FILE): write the stream to the
 * server while reading what it sends back, check that the reply is the same bytes, and
 * close with close_notify once all of it has come back. Built for an echo server such as
 * tlsflow-server --echo; prints bytes sent and received and the time on stderr. */
#ifndef TLSFLOW_CLIENT_ECHO_H
#define TLSFLOW_CLIENT_ECHO_H

#include <stdint.h>

#include <tlsflow/tlsflow.h>

#include "client_cli.h"
#include "client_loop.h"
#include "client_stream.h"

typedef struct {
    const client_opts *o;
    client_stream src, check; /* the same bytes: one to send, one to compare the echo with */
    uint64_t total, sent, received;
    uint8_t stage[TLSFLOW_MAX_PLAINTEXT]; /* read from src, offered until the engine takes it */
    size_t stage_len, stage_off;
    uint8_t expect[TLSFLOW_MAX_PLAINTEXT];
    int failed; /* 0, or the exit status once a problem is found (message printed) */
    int closing;
    int64_t start_ns, end_ns; /* established, and everything back */
} client_echo;

/* Open the streams for o and fill app. 0, or -1 with a message printed. */
int client_echo_init(client_echo *e, const client_opts *o, client_app *app);
void client_echo_free(client_echo *e);

#endif
