#include "client_text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client_config.h"
#include "client_report.h"
#include "util/files.h"

static int text_established(void *ctx, tlsflow_conn *c)
{
    client_text *t = ctx;
    t->established = 1;
    return report_established(c, t->o);
}

static int text_step(void *ctx, tlsflow_conn *c, unsigned ready, int *moved)
{
    client_text *t = ctx;
    if (ready & TLSFLOW_READY_APP_READ) {
        size_t n;
        const uint8_t *p = tlsflow_app_peek(c, &n);
        if (fwrite(p, 1, n, stdout) != n || fflush(stdout) != 0) {
            errorf("cannot write to stdout");
            return 3;
        }
        tlsflow_app_consume(c, n);
        t->got_reply = 1;
        *moved = 1;
    }
    if ((ready & TLSFLOW_READY_APP_WRITE) && t->off < t->len) {
        size_t w = tlsflow_app_write(c, t->buf + t->off, t->len - t->off);
        t->off += w;
        *moved |= w > 0;
    }
    return 0;
}

static void text_wait(void *ctx, client_wait *w)
{
    client_text *t = ctx;
    int sent_all = t->established && t->off == t->len;
    if (sent_all && t->stdin_open)
        w->fd = 0;
    if (sent_all && !t->stdin_open && !t->o->get) {
        w->wait_ms = t->o->linger_ms; /* stdin is done: the rest of the reply, if any */
        w->quiet_close = 1;
    }
}

/* stdin is readable: its next block becomes what to send (EOF ends stdin). */
static int text_fd_ready(void *ctx)
{
    client_text *t = ctx;
    ssize_t n;
    do
        n = read(0, t->buf, TLSFLOW_MAX_PLAINTEXT);
    while (n < 0 && errno == EINTR);
    t->off = 0;
    t->len = n > 0 ? (size_t)n : 0;
    if (n <= 0)
        t->stdin_open = 0;
    return 0;
}

static int text_closed(void *ctx, tlsflow_conn *c, int peer_closed)
{
    (void)peer_closed;
    client_text *t = ctx;
    return report_closed(c, t->o, t->got_reply);
}

int client_text_init(client_text *t, const client_opts *o, client_app *app)
{
    memset(t, 0, sizeof(*t));
    t->o = o;
    if (o->get) {
        const char *name = client_server_name(o);
        size_t cap = strlen(o->get) + strlen(name) + 160;
        if (!(t->buf = malloc(cap)))
            return -1;
        t->len = (size_t)snprintf(t->buf, cap,
                                  "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: "
                                  "tlsflow-client/%s\r\nAccept: */*\r\n"
                                  "Connection: close\r\n\r\n",
                                  o->get, name, TLSFLOW_VERSION_STRING);
    } else {
        if (!(t->buf = malloc(TLSFLOW_MAX_PLAINTEXT)))
            return -1;
        t->stdin_open = 1;
    }
    *app = (client_app){t, text_established, text_step, text_wait, text_fd_ready, text_closed};
    return 0;
}

void client_text_free(client_text *t)
{
    free(t->buf);
    t->buf = NULL;
}
