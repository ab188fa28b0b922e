/* The client's usual application side: send GET PATH (or stdin, as it comes) once the
 * handshake is done and copy the server's reply to stdout. With stdin, the connection is
 * closed (close_notify) once stdin has ended and the server has been quiet for a while. */
#ifndef TLSFLOW_CLIENT_TEXT_H
#define TLSFLOW_CLIENT_TEXT_H

#include <stddef.h>

#include "client_cli.h"
#include "client_loop.h"

typedef struct {
    const client_opts *o;
    char *buf; /* what to send: the GET, or the last block read from stdin */
    size_t len, off;
    int stdin_open; /* still reading stdin into buf */
    int established;
    int got_reply;
} client_text;

/* Set t up for o (--get or stdin) and fill app with its functions. 0, or -1 (no memory). */
int client_text_init(client_text *t, const client_opts *o, client_app *app);
void client_text_free(client_text *t);

#endif
