#include "client_loop.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "client_net.h"
#include "util/files.h"

typedef struct {
    tlsflow_conn *c;
    int fd;
    const client_app *app;
    int timeout_ms, linger_ms;
    int established;
    int want_in, want_out; /* the socket said EAGAIN this round */
    int peer_closed;       /* recv() saw the server's FIN */
} loop;

static int64_t now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* SEND: as much of the engine's output as the socket takes now. */
static int send_ready(loop *l, int *moved)
{
    size_t n, sent;
    const uint8_t *p = tlsflow_out_buf(l->c, &n);
    int r = net_send_some(l->fd, p, n, &sent);
    if (r < 0) {
        errorf("sending to the server failed: %s", strerror(errno));
        return 3;
    }
    if (r == 0) {
        l->want_out = 1;
        return 0;
    }
    tlsflow_out_ack(l->c, sent);
    *moved = 1;
    return 0;
}

/* RECV: what the socket holds, into the engine's input buffer (0 bytes: the EOF). */
static int recv_ready(loop *l, int *moved)
{
    size_t room, got;
    uint8_t *p = tlsflow_in_buf(l->c, &room);
    if (!p || !room) {
        errorf("the engine has no input buffer (out of memory)");
        return 3;
    }
    int r = net_recv_some(l->fd, p, room, &got);
    if (r < 0) {
        errorf("receiving from the server failed: %s", strerror(errno));
        return 3;
    }
    if (r == 0) {
        l->want_in = 1;
        return 0;
    }
    l->peer_closed |= got == 0;
    tlsflow_in_ack(l->c, got);
    *moved = 1;
    return 0;
}

/* Nothing could move: wait for the socket in every direction the engine wants, and for
 * the app's descriptor, in one poll. */
static int wait_io(loop *l)
{
    client_wait w = {-1, l->timeout_ms, 0};
    if (l->app->wait)
        l->app->wait(l->app->ctx, &w);
    struct pollfd p[2] = {
        {.fd = l->fd, .events = (short)((l->want_in ? POLLIN : 0) | (l->want_out ? POLLOUT : 0))},
        {.fd = w.fd, .events = POLLIN}};
    nfds_t n = w.fd >= 0 ? 2 : 1;
    int rc;
    do
        rc = poll(p, n, w.wait_ms);
    while (rc < 0 && errno == EINTR);
    if (rc == 0 && w.quiet_close) {
        tlsflow_close(l->c); /* the app is done and the server went quiet */
        return 0;
    }
    if (rc <= 0) {
        errorf("%s waiting for the server (%s)", rc == 0 ? "timed out" : "error",
               l->established ? "after the handshake" : "during the handshake");
        return 3;
    }
    if (n == 2 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
        return l->app->fd_ready(l->app->ctx);
    return 0;
}

/* After our close_notify: stop sending and give the server linger_ms to close its side,
 * so its close_notify lands in an open socket rather than drawing a reset. */
static void drain(loop *l)
{
    shutdown(l->fd, SHUT_WR);
    int64_t end = now_ms() + l->linger_ms;
    uint8_t sink[4096];
    while (!l->peer_closed) {
        size_t got;
        int r = net_recv_some(l->fd, sink, sizeof(sink), &got);
        if (r < 0)
            return;
        if (r > 0) {
            l->peer_closed = got == 0;
            continue;
        }
        int64_t left = end - now_ms();
        struct pollfd p = {.fd = l->fd, .events = POLLIN};
        if (left <= 0 || (poll(&p, 1, (int)left) < 0 && errno != EINTR))
            return;
    }
}

/* One round: every direction tlsflow_ready() reports, then wait if none moved. */
static int round_once(loop *l, int *done)
{
    unsigned r = tlsflow_ready(l->c);
    int moved = 0, st = 0;
    l->want_in = l->want_out = 0;
    if ((r & TLSFLOW_READY_ESTABLISHED) && !l->established) {
        l->established = moved = 1;
        if ((st = l->app->established(l->app->ctx, l->c)) != 0)
            return st;
    }
    if ((r & TLSFLOW_READY_SEND) && (st = send_ready(l, &moved)) != 0)
        return st;
    if (r & TLSFLOW_READY_CLOSED) { /* set once nothing waits to be sent */
        if (tlsflow_last_error(l->c) == TLSFLOW_OK)
            drain(l);
        *done = 1;
        return l->app->closed(l->app->ctx, l->c, l->peer_closed);
    }
    if (r & TLSFLOW_READY_KEY_OP) { /* --cert keys sign inline: no offload is set */
        errorf("the engine asked for a private-key operation the client cannot do");
        return 3;
    }
    if (l->established && (st = l->app->step(l->app->ctx, l->c, r, &moved)) != 0)
        return st;
    if ((r & TLSFLOW_READY_RECV) && (st = recv_ready(l, &moved)) != 0)
        return st;
    return moved ? 0 : wait_io(l);
}

int client_loop_run(tlsflow_conn *c, int fd, const client_app *app, int timeout_ms, int linger_ms)
{
    if (net_set_nonblocking(fd) != 0) {
        errorf("cannot make the socket non-blocking: %s", strerror(errno));
        return 3;
    }
    loop l = {.c = c, .fd = fd, .app = app, .timeout_ms = timeout_ms, .linger_ms = linger_ms};
    for (;;) {
        int done = 0, st = round_once(&l, &done);
        if (st != 0 || done)
            return st;
    }
}
