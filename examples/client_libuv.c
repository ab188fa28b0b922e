/*
 * client_libuv: a tlsflow client in a libuv loop, full duplex. It streams --lines lines of
 * text to the server while it prints on stdout whatever comes back, and closes with
 * close_notify once as many bytes came back as it sent: made for an echoing server.
 *
 *   client_libuv --ca ca.pem [--name NAME] [--tls12|--tls13] [--lines N] HOST PORT
 *
 *   openssl s_server -accept 4433 -cert server.pem -key server.key -rev  (lines reversed)
 *   client_libuv --ca ca.pem --name localhost 127.0.0.1 4433
 *
 * libuv owns the socket; the engine owns the bytes. After every callback pump() asks
 * tlsflow_ready() what can move: a write is started whenever output waits, reading runs
 * (uv_read_start) whenever the engine has input room, and both go on at once. libuv reads
 * straight into the engine's input buffer; output is copied out so that the engine can
 * go on working while libuv still writes.
 */
#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include <tlsflow/tlsflow.h>

#include "example_util.h"

static const char usage[] = "usage: client_libuv --ca CA.pem [--name NAME] [--tls12|--tls13] "
                            "[--lines N] HOST PORT\n";

typedef struct {
    uv_tcp_t tcp;
    uv_connect_t connect;
    uv_write_t write;
    tlsflow_conn *tls;
    int writing, reading, established, closing, done, status;
    uint8_t out[32768];            /* the bytes of the write in flight */
    char chunk[16384];             /* generated text not yet taken by the engine */
    size_t chunk_len, chunk_off;   /* what of it the engine has taken */
    size_t line, lines;            /* lines generated, lines to send */
    unsigned long long sent, back; /* application bytes each way */
} client;

/* The end, good or bad: say why and close the socket (the loop then ends). */
static void finish(client *cl, const char *what, const char *why)
{
    if (cl->done)
        return;
    cl->done = 1;
    cl->status = what || tlsflow_last_error(cl->tls) || cl->back != cl->sent;
    if (what) /* the socket failed: reset, refused... */
        fprintf(stderr, "client_libuv: %s: %s\n", what, why);
    else if (tlsflow_last_error(cl->tls))
        ex_report("client_libuv", cl->tls);
    else
        fprintf(stderr, "%s: sent %llu bytes, %llu came back\n", tlsflow_last_error_text(cl->tls),
                cl->sent, cl->back);
    uv_close((uv_handle_t *)&cl->tcp, NULL);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    client *cl = h->data;
    size_t room;
    uint8_t *p = tlsflow_in_buf(cl->tls, &room); /* libuv reads into the engine directly */
    (void)suggested;
    *buf = uv_buf_init((char *)p, (unsigned)room);
}

static void pump(client *cl);

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    client *cl = s->data;
    (void)buf;
    if (nread > 0)
        tlsflow_in_ack(cl->tls, (size_t)nread);
    else if (nread == UV_EOF)
        tlsflow_in_ack(cl->tls, 0);            /* the server's FIN: the engine judges it */
    else if (nread < 0 && nread != UV_ENOBUFS) /* ENOBUFS: no room, pump() stops reading */
        finish(cl, "read", uv_strerror((int)nread));
    pump(cl);
}

static void on_write(uv_write_t *w, int status)
{
    client *cl = w->data;
    cl->writing = 0;
    if (status < 0)
        finish(cl, "write", uv_strerror(status));
    pump(cl);
}

static void on_connect(uv_connect_t *c, int status)
{
    client *cl = c->data;
    if (status < 0)
        finish(cl, "connect", uv_strerror(status));
    pump(cl);
}

/* The application data: numbered lines, generated as the engine takes them. Returns 1 if
 * the engine took any. */
static int write_lines(client *cl)
{
    unsigned long long before = cl->sent;
    size_t took = 1;
    while (took && (cl->chunk_off < cl->chunk_len || cl->line < cl->lines)) {
        if (cl->chunk_off == cl->chunk_len) { /* a fresh chunk */
            cl->chunk_off = cl->chunk_len = 0;
            while (cl->line < cl->lines && cl->chunk_len + 100 < sizeof(cl->chunk))
                cl->chunk_len +=
                    (size_t)sprintf(cl->chunk + cl->chunk_len,
                                    "line %zu of client_libuv, full duplex\n", cl->line++);
        }
        took = tlsflow_app_write(cl->tls, cl->chunk + cl->chunk_off,
                                 cl->chunk_len - cl->chunk_off); /* 0: output must drain */
        cl->chunk_off += took;
        cl->sent += took;
    }
    return cl->sent > before;
}

/* Everything that can move now; called after every libuv callback. */
static void pump(client *cl)
{
    int moved = 1;
    while (moved && !cl->done) {
        unsigned r = tlsflow_ready(cl->tls);
        moved = 0;
        if ((r & TLSFLOW_READY_SEND) && !cl->writing) {
            size_t n;
            const uint8_t *p = tlsflow_out_buf(cl->tls, &n);
            n = n < sizeof(cl->out) ? n : sizeof(cl->out);
            memcpy(cl->out, p, n);
            tlsflow_out_ack(cl->tls, n); /* the copy is ours until on_write */
            uv_buf_t b = uv_buf_init((char *)cl->out, (unsigned)n);
            int rc = uv_write(&cl->write, (uv_stream_t *)&cl->tcp, &b, 1, on_write);
            if (rc < 0) {
                finish(cl, "write", uv_strerror(rc));
                return;
            }
            cl->writing = moved = 1;
        }
        if (r & TLSFLOW_READY_CLOSED) { /* once our last bytes (close_notify) are out: */
            if (!cl->writing)
                finish(cl, NULL, NULL);
            return;
        }
        if ((r & TLSFLOW_READY_ESTABLISHED) && !cl->established) {
            ex_print_connected(cl->tls); /* the server's certificate was verified */
            cl->established = 1;
        }
        if (r & TLSFLOW_READY_APP_READ) {
            size_t n;
            const uint8_t *p = tlsflow_app_peek(cl->tls, &n);
            fwrite(p, 1, n, stdout);
            tlsflow_app_consume(cl->tls, n);
            cl->back += n;
            moved = 1;
        }
        if ((r & TLSFLOW_READY_APP_WRITE) && write_lines(cl))
            moved = 1;
        if (!cl->closing && cl->established && cl->line == cl->lines &&
            cl->chunk_off == cl->chunk_len && cl->back >= cl->sent) {
            tlsflow_close(cl->tls); /* all came back: close_notify */
            cl->closing = moved = 1;
        }
        /* Read whenever the engine has room, alongside the write in flight. */
        if ((r & TLSFLOW_READY_RECV) && !cl->reading)
            uv_read_start((uv_stream_t *)&cl->tcp, on_alloc, on_read);
        else if (!(r & TLSFLOW_READY_RECV) && cl->reading)
            uv_read_stop((uv_stream_t *)&cl->tcp);
        cl->reading = (r & TLSFLOW_READY_RECV) != 0;
    }
}

int main(int argc, char **argv)
{
    const char *ca = NULL, *name = NULL, *lines = "1000", *arg[2]; /* HOST PORT */
    const ex_option opts[] = {{"--ca", &ca, 1}, {"--name", &name, 0}, {"--lines", &lines, 0}, {0}};
    static client cl;
    tlsflow_config *cfg = tlsflow_config_new(TLSFLOW_CLIENT);
    int rc = cfg ? ex_parse(argc, argv, opts, arg, 2, 2, cfg, usage) : 1;
    if (rc >= 0)
        return rc; /* --help, a usage error, or no memory */
    cl.lines = (size_t)strtoul(lines, NULL, 10);
    signal(SIGPIPE, SIG_IGN); /* a server gone away is an error from the write */
    if (ex_add_trust_anchors(cfg, ca) != 0 ||
        tlsflow_config_set_server_name(cfg, name ? name : arg[0]) != 0 ||
        !(cl.tls = tlsflow_conn_new(cfg))) {
        fprintf(stderr, "client_libuv: bad --ca file or --name\n");
        tlsflow_config_free(cfg);
        return 1;
    }

    uv_loop_t loop;
    uv_getaddrinfo_t resolve;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
    uv_loop_init(&loop);
    rc = uv_getaddrinfo(&loop, &resolve, NULL, arg[0], arg[1], &hints); /* NULL: right now */
    if (rc == 0) {
        uv_tcp_init(&loop, &cl.tcp);
        cl.tcp.data = cl.connect.data = cl.write.data = &cl;
        rc = uv_tcp_connect(&cl.connect, &cl.tcp, resolve.addrinfo->ai_addr, on_connect);
        uv_freeaddrinfo(resolve.addrinfo);
        if (rc < 0)
            finish(&cl, "connect", uv_strerror(rc));
        uv_run(&loop, UV_RUN_DEFAULT);
    } else {
        fprintf(stderr, "client_libuv: %s: %s\n", arg[0], uv_strerror(rc));
        cl.status = 1;
    }
    uv_loop_close(&loop);
    tlsflow_conn_free(cl.tls);
    tlsflow_config_free(cfg);
    return cl.status;
}
