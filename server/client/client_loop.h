/* tlsflow-client's event loop: one non-blocking socket and poll(2), driven by
 * tlsflow_ready(). Every round it sends while SEND is set and receives while RECV is set,
 * and when neither can move it waits for writability and readability in the same poll
 * call, so it never sits in send() while the server sits in send() towards us. What the
 * application data is (a GET, stdin, an echo stream) is the client_app's business. */
#ifndef TLSFLOW_CLIENT_LOOP_H
#define TLSFLOW_CLIENT_LOOP_H

#include <stdint.h>

#include <tlsflow/tlsflow.h>

/* What the loop waits for besides the socket, decided by the app before each wait. */
typedef struct {
    int fd;          /* another descriptor to wait for readability (stdin), -1: none */
    int wait_ms;     /* how long a quiet wait may last */
    int quiet_close; /* when it passes: 1 close cleanly (tlsflow_close), 0 time out */
} client_wait;

/* The application side. Each function returns 0 to go on, or an exit status (1 or 3) to
 * stop with (the message already printed). */
typedef struct {
    void *ctx;
    /* Once, when the handshake is done. */
    int (*established)(void *ctx, tlsflow_conn *c);
    /* Move application data as `ready` (tlsflow_ready bits) allows: APP_READ (take all
     * of tlsflow_app_peek), APP_WRITE (tlsflow_app_write, or tlsflow_close when done).
     * Sets *moved when anything changed. */
    int (*step)(void *ctx, tlsflow_conn *c, unsigned ready, int *moved);
    /* Before waiting: fill w (the loop sets fd -1 and the --timeout beforehand). Optional,
     * as is fd_ready when wait never sets a descriptor. */
    void (*wait)(void *ctx, client_wait *w);
    /* w.fd is readable. */
    int (*fd_ready)(void *ctx);
    /* The connection is closed; peer_closed: the server closed its side of the socket. */
    int (*closed)(void *ctx, tlsflow_conn *c, int peer_closed);
} client_app;

/* Run the connection on fd (connected; made non-blocking here) to its end. timeout_ms
 * bounds any wait for the server; after a clean close the loop waits up to linger_ms for
 * the server to close its side too. Returns the exit status. */
int client_loop_run(tlsflow_conn *c, int fd, const client_app *app, int timeout_ms, int linger_ms);

#endif
