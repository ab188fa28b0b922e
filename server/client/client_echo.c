#include "client_echo.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "client_report.h"
#include "util/files.h"

static int64_t now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int echo_established(void *ctx, tlsflow_conn *c)
{
    client_echo *e = ctx;
    e->start_ns = now_ns();
    int st = report_established(c, e->o);
    if (st == 0)
        fprintf(stderr, "sending %" PRIu64 " bytes while reading the echo\n", e->total);
    return st;
}

static void stop(client_echo *e, tlsflow_conn *c, int status)
{
    e->failed = status;
    e->closing = 1;
    tlsflow_close(c);
}

/* Compare what came back with the next bytes of the stream. */
static void take_echo(client_echo *e, tlsflow_conn *c)
{
    size_t n;
    const uint8_t *p = tlsflow_app_peek(c, &n);
    tlsflow_app_consume(c, n);
    if (e->closing)
        return;
    if (n > e->total - e->received) {
        errorf("the server sent back more than was sent: %" PRIu64 " bytes and more",
               e->received + n);
        stop(e, c, 1);
        return;
    }
    for (size_t off = 0; off < n;) {
        size_t k = n - off < sizeof(e->expect) ? n - off : sizeof(e->expect);
        size_t got = stream_read(&e->check, e->expect, k);
        for (size_t i = 0; i < k; i++) {
            if (i >= got || p[off + i] != e->expect[i]) {
                errorf("the echo differs from what was sent at byte %" PRIu64
                       " (got 0x%02x, sent 0x%02x)",
                       e->received + off + i, p[off + i], i < got ? e->expect[i] : 0);
                stop(e, c, 1);
                return;
            }
        }
        off += k;
    }
    e->received += n;
    if (e->received == e->total) {
        e->end_ns = now_ns();
        e->closing = 1;
        tlsflow_close(c); /* all of it came back: close_notify */
    }
}

/* Offer the next bytes of the stream to the engine. */
static void give_stream(client_echo *e, tlsflow_conn *c, int *moved)
{
    if (e->closing || e->sent == e->total)
        return;
    if (e->stage_off == e->stage_len) {
        uint64_t left = e->total - e->sent;
        e->stage_len = stream_read(&e->src, e->stage,
                                   left < sizeof(e->stage) ? (size_t)left : sizeof(e->stage));
        e->stage_off = 0;
        if (e->stage_len == 0) {
            errorf("the --send file ended early (read %" PRIu64 " of %" PRIu64 " bytes)", e->sent,
                   e->total);
            stop(e, c, 1);
            *moved = 1;
            return;
        }
    }
    size_t w = tlsflow_app_write(c, e->stage + e->stage_off, e->stage_len - e->stage_off);
    e->stage_off += w;
    e->sent += w;
    *moved |= w > 0;
}

static int echo_step(void *ctx, tlsflow_conn *c, unsigned ready, int *moved)
{
    client_echo *e = ctx;
    if (ready & TLSFLOW_READY_APP_READ) {
        take_echo(e, c);
        *moved = 1;
    }
    if (ready & TLSFLOW_READY_APP_WRITE)
        give_stream(e, c, moved);
    return 0;
}

static int echo_closed(void *ctx, tlsflow_conn *c, int peer_closed)
{
    client_echo *e = ctx;
    int64_t end = e->end_ns ? e->end_ns : now_ns();
    double s = e->start_ns ? (double)(end - e->start_ns) / 1e9 : 0;
    fprintf(stderr, "echo: sent %" PRIu64 " bytes, received %" PRIu64 " back in %.3f s", e->sent,
            e->received, s);
    if (s > 0)
        fprintf(stderr, " (%.1f MiB/s each way)", (double)e->received / s / (1 << 20));
    fputc('\n', stderr);
    int st = report_closed(c, e->o, 0);
    if (e->failed || st)
        return e->failed ? e->failed : st;
    if (e->received != e->total) {
        errorf("the connection closed after %" PRIu64 " of %" PRIu64 " bytes came back",
               e->received, e->total);
        return 1;
    }
    fprintf(stderr, "echo identical: %" PRIu64 " bytes; closed cleanly (close_notify sent%s)\n",
            e->received, peer_closed ? ", the server closed its side" : "");
    return 0;
}

int client_echo_init(client_echo *e, const client_opts *o, client_app *app)
{
    memset(e, 0, sizeof(*e));
    e->o = o;
    e->total = o->send_bytes;
    if (stream_open(&e->src, o->send_file, &e->total) != 0)
        return -1;
    if (stream_open(&e->check, o->send_file, &e->total) != 0) {
        stream_close(&e->src);
        return -1;
    }
    *app = (client_app){e, echo_established, echo_step, NULL, NULL, echo_closed};
    return 0;
}

void client_echo_free(client_echo *e)
{
    stream_close(&e->src);
    stream_close(&e->check);
}
