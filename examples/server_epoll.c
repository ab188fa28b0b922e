/*
 * server_epoll: a TLS echo server for many clients at once. One thread, one epoll loop,
 * non-blocking sockets; every client gets back what it sends, in both directions at once.
 *
 *   server_epoll --cert chain.pem --key key.pem [--port N] [--max-conns N] [--idle SECONDS]
 *                [--tls12|--tls13]
 *
 * It listens on 127.0.0.1 (port 0: the kernel picks; the port is printed). At most
 * --max-conns connections are served at once; more wait in the listen backlog. Try it:
 *
 *   server_epoll --cert server.pem --key server.key --port 4433
 *   openssl s_client -connect 127.0.0.1:4433 -CAfile ca.pem
 *
 * Full duplex: tlsflow_ready() reports every direction that can move at once. The loop
 * reads whenever the engine has input room and sends whenever output waits, both in the
 * same round, and waits in epoll for readability and writability together: a client that
 * writes as much as it reads never deadlocks with us. SIGINT or SIGTERM stops it cleanly.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <tlsflow/tlsflow.h>

#include "example_util.h"

static const char usage[] = "usage: server_epoll --cert CHAIN.pem --key KEY.pem [--port N] "
                            "[--max-conns N] [--idle SECONDS] [--tls12|--tls13]\n";

typedef struct {
    tlsflow_conn *tls; /* NULL: a free slot */
    int fd;
    unsigned id;
    uint32_t events; /* what epoll waits for on fd now */
    time_t last;     /* when the connection last made progress */
} conn;

static conn *conns; /* max_conns slots: the bound on connections */
static size_t max_conns, open_conns;
static int ep, listen_fd, listening;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    stop = sig;
}

static void watch(conn *k, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = k};
    if (events != k->events)
        epoll_ctl(ep, EPOLL_CTL_MOD, k->fd, &ev);
    k->events = events;
}

/* The end of a connection: say how it went, give everything back. */
static void finish(conn *k, const char *socket_error)
{
    char who[32];
    snprintf(who, sizeof(who), "conn %u", k->id);
    if (socket_error) /* the peer reset the connection, or the like: no TLS ending at all */
        fprintf(stderr, "%s: %s\n", who, socket_error);
    else if (tlsflow_last_error(k->tls) != TLSFLOW_OK) /* an alert, a truncation... */
        ex_report(who, k->tls);
    else
        printf("%s: %s, %llu bytes echoed\n", who, tlsflow_last_error_text(k->tls),
               (unsigned long long)tlsflow_get_info(k->tls)->app_bytes_out);
    epoll_ctl(ep, EPOLL_CTL_DEL, k->fd, NULL);
    close(k->fd);
    tlsflow_conn_free(k->tls);
    k->tls = NULL;
    open_conns--;
}

/* Moves everything that can move on one connection, then says what to wait for. */
static void drive(conn *k)
{
    for (int round = 0; round < 16; round++) {
        unsigned r = tlsflow_ready(k->tls);
        uint32_t want = 0;
        int moved = 0;
        size_t n;
        if (r & TLSFLOW_READY_SEND) { /* encrypted bytes for the peer */
            const uint8_t *p = tlsflow_out_buf(k->tls, &n);
            ssize_t sent = send(k->fd, p, n, 0);
            if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
                finish(k, strerror(errno)); /* e.g. reset by the peer */
                return;
            }
            if (sent > 0)
                tlsflow_out_ack(k->tls, (size_t)sent);
            moved |= sent > 0;
            want |= sent > 0 ? 0 : EPOLLOUT;
        }
        if (r & TLSFLOW_READY_CLOSED) { /* set only once nothing is left to send */
            finish(k, NULL);
            return;
        }
        if (r & TLSFLOW_READY_APP_READ) { /* the echo: decrypted bytes straight back */
            const uint8_t *p = tlsflow_app_peek(k->tls, &n);
            size_t took = (r & TLSFLOW_READY_APP_WRITE) ? tlsflow_app_write(k->tls, p, n) : 0;
            if (!(r & (TLSFLOW_READY_APP_WRITE | TLSFLOW_READY_SEND)))
                took = n;                      /* closing: no echo can go out any more */
            tlsflow_app_consume(k->tls, took); /* what waits holds the input back */
            moved |= took > 0;
        }
        if (r & TLSFLOW_READY_RECV) { /* room for the peer's bytes */
            uint8_t *p = tlsflow_in_buf(k->tls, &n);
            ssize_t got = recv(k->fd, p, n, 0);
            if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
                finish(k, strerror(errno));
                return;
            }
            if (got >= 0)
                tlsflow_in_ack(k->tls, (size_t)got); /* 0: the peer's FIN */
            moved |= got >= 0;
            want |= got >= 0 ? 0 : EPOLLIN;
        }
        if (!moved) {
            watch(k, want);
            return;
        }
        k->last = time(NULL);
    }
    watch(k, EPOLLIN | EPOLLOUT); /* a busy one: let the others have a turn, come back */
}

static void accept_all(const tlsflow_config *cfg)
{
    static unsigned next_id;
    while (open_conns < max_conns) {
        int fd = accept(listen_fd, NULL, NULL);
        if (fd < 0)
            break; /* EAGAIN: no one waits (anything else: try again on the next event) */
        conn *k = conns;
        while (k->tls)
            k++; /* a free slot exists: open_conns < max_conns */
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = k};
        if (ex_nonblocking(fd) != 0 || !(k->tls = tlsflow_conn_new(cfg)) ||
            epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
            fprintf(stderr, "cannot take a connection: %s\n", strerror(errno));
            tlsflow_conn_free(k->tls); /* NULL is fine */
            k->tls = NULL;
            close(fd);
            continue;
        }
        k->fd = fd;
        k->id = ++next_id;
        k->events = EPOLLIN;
        k->last = time(NULL);
        printf("conn %u: open (%zu open)\n", k->id, ++open_conns);
        drive(k);
    }
    /* Full: stop watching the listening socket; new clients wait in the kernel's backlog. */
    struct epoll_event ev = {.events = open_conns < max_conns ? EPOLLIN : 0, .data.ptr = NULL};
    if ((open_conns < max_conns) != listening)
        epoll_ctl(ep, EPOLL_CTL_MOD, listen_fd, &ev);
    listening = open_conns < max_conns;
}

int main(int argc, char **argv)
{
    const char *cert = NULL, *key = NULL, *port = "0", *max = "64", *idle = "60";
    const ex_option opts[] = {{"--cert", &cert, 1},     {"--key", &key, 1},   {"--port", &port, 0},
                              {"--max-conns", &max, 0}, {"--idle", &idle, 0}, {0}};
    tlsflow_config *cfg = tlsflow_config_new(TLSFLOW_SERVER);
    int rc = cfg ? ex_parse(argc, argv, opts, NULL, 0, 0, cfg, usage) : 1;
    if (rc >= 0)
        return rc; /* --help, a usage error, or no memory */
    long idle_secs = strtol(idle, NULL, 10);
    if ((max_conns = strtoul(max, NULL, 10)) == 0)
        return ex_usage(usage, cfg, 2);
    setvbuf(stdout, NULL, _IOLBF, 0); /* the log: one line at a time, even into a file */
    /* One loop drives every connection: they may share one DRBG (see the header). */
    if (ex_add_credential(cfg, cert, key) != 0 || tlsflow_config_set_one_thread(cfg, 1) != 0 ||
        (listen_fd = ex_listen((unsigned)strtoul(port, NULL, 10))) < 0 ||
        (ep = epoll_create1(0)) < 0 || !(conns = calloc(max_conns, sizeof(*conns)))) {
        tlsflow_config_free(cfg);
        return 1;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN); /* a vanished peer is an error from send(), not a signal */
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
    listening = epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &lev) == 0;

    while (!stop) {
        struct epoll_event evs[64];
        int n = epoll_wait(ep, evs, 64, 1000);
        for (int i = 0; i < n; i++) {
            conn *k = evs[i].data.ptr;
            if (!k)
                accept_all(cfg);
            else if (k->tls) /* NULL: finished earlier in this batch */
                drive(k);
        }
        /* Peers that went quiet (or never finished their handshake) give their slot up. */
        for (size_t i = 0; i < max_conns; i++)
            if (conns[i].tls && time(NULL) - conns[i].last > idle_secs)
                finish(&conns[i], "idle for too long: closed");
        accept_all(cfg); /* slots may have come free */
    }
    printf("stopping (%zu connections open)\n", open_conns);
    for (size_t i = 0; i < max_conns; i++)
        if (conns[i].tls)
            finish(&conns[i], "the server stops");
    free(conns);
    close(ep);
    close(listen_fd);
    tlsflow_config_free(cfg);
    return 0;
}
