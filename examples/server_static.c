/*
 * server_static: a TLS server without malloc per connection, the way firmware on an RTOS
 * would run one. Every connection lives in a fixed slot of a static array
 * (tlsflow_conn_init), and one superloop services every slot, then sleeps in poll()
 * until a socket can move. Each connection gets one short HTTP response, then
 * close_notify.
 *
 *   server_static --cert chain.pem --key key.pem [--port N] [--tls12|--tls13]
 *   curl --cacert ca.pem https://localhost:PORT/
 *
 * Memory: MAX_CONNS slots of SLOT_BYTES in .bss, checked once against tlsflow_conn_size()
 * at start. Release mode (tlsflow_config_set_release_idle_buffers) stays off: a slot is
 * the connection's whole memory for its whole life. The configuration is built once at
 * start (on a device the PEM files would be constant arrays in flash). wolfCrypt's own
 * scratch memory comes from its allocator: build it with WOLFSSL_STATIC_MEMORY there.
 *
 * Randomness and time: an RTOS has no /dev/urandom and perhaps no clock. The engine asks
 * the configuration for both; this example keeps the defaults (wolfCrypt's DRBG, seeded by
 * the OS, and the system clock), where firmware would give its own:
 *
 *   static int trng(void *ctx, uint8_t *out, size_t len) { return hw_trng_read(out, len); }
 *   static int64_t rtc(void *ctx) { return rtc_unix_seconds(); }
 *   tlsflow_config_set_random(cfg, trng, NULL); // must be cryptographically secure
 *   tlsflow_config_set_time(cfg, rtc, NULL);    // judges certificate and ticket validity
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <tlsflow/tlsflow.h>

#include "example_util.h"

#define MAX_CONNS     4
#define SLOT_BYTES    (256 * 1024) /* >= tlsflow_conn_size(cfg) (191 KiB for RSA-2048) */
#define DEADLINE_SECS 10           /* a whole connection, handshake to close */

static const char usage[] =
    "usage: server_static --cert CHAIN.pem --key KEY.pem [--port N] [--tls12|--tls13]\n";

static alignas(16) uint8_t memory[MAX_CONNS][SLOT_BYTES];

typedef struct {
    tlsflow_conn *tls; /* built in memory[i]; NULL: the slot is free */
    int fd;
    time_t deadline;
    int blank_line;  /* how much of "\r\n\r\n", the request's end, has been seen */
    char reply[256]; /* the response, built once the request is in */
    size_t reply_len, reply_sent;
} slot;

static slot slots[MAX_CONNS];

static void drop(slot *s, const char *why)
{
    char who[16];
    snprintf(who, sizeof(who), "slot %d", (int)(s - slots));
    if (why)
        fprintf(stderr, "%s: %s\n", who, why);
    else if (tlsflow_last_error(s->tls) != TLSFLOW_OK)
        ex_report(who, s->tls);
    else
        printf("%s: %s\n", who, tlsflow_last_error_text(s->tls));
    close(s->fd);
    tlsflow_conn_free(s->tls); /* wipes the secrets; the memory stays the slot's */
    s->tls = NULL;
}

/* The application: reads the request and answers once the blank line that ends it has
 * come, then closes. Returns 1 if it took or wrote anything. */
static int serve(slot *s, unsigned r)
{
    size_t n = 0, wrote = 0;
    if (r & TLSFLOW_READY_APP_READ) {
        const uint8_t *p = tlsflow_app_peek(s->tls, &n);
        for (size_t i = 0; i < n && s->blank_line < 4; i++)
            s->blank_line = p[i] == "\r\n\r\n"[s->blank_line] ? s->blank_line + 1
                            : p[i] == '\r'                    ? 1
                                                              : 0;
        tlsflow_app_consume(s->tls, n);
        if (s->blank_line == 4 && !s->reply_len) {
            const tlsflow_info *info = tlsflow_get_info(s->tls);
            char body[128];
            int len = snprintf(body, sizeof(body), "hello from server_static: %s, %s\n",
                               info->version == TLSFLOW_VERSION_TLS13 ? "TLS 1.3" : "TLS 1.2",
                               tlsflow_suite_name(info->cipher_suite));
            s->reply_len = (size_t)snprintf(s->reply, sizeof(s->reply),
                                            "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n"
                                            "Content-Length: %d\r\n\r\n%s",
                                            len, body);
        }
    }
    if (s->reply_sent < s->reply_len && (r & TLSFLOW_READY_APP_WRITE)) {
        wrote = tlsflow_app_write(s->tls, s->reply + s->reply_sent, s->reply_len - s->reply_sent);
        s->reply_sent += wrote;
        if (s->reply_sent == s->reply_len)
            tlsflow_close(s->tls); /* close_notify after the response */
    }
    return n > 0 || wrote > 0;
}

/* Moves what can move on one connection; returns the poll() events it now waits for. */
static short service(slot *s)
{
    for (;;) {
        unsigned r = tlsflow_ready(s->tls);
        int moved = 0;
        short wait = 0;
        size_t n;
        if (r & TLSFLOW_READY_CLOSED) {
            drop(s, NULL); /* clean or not: drop() says which */
            return 0;
        }
        if (time(NULL) > s->deadline) {
            drop(s, "deadline passed: dropped");
            return 0;
        }
        if (r & TLSFLOW_READY_SEND) {
            const uint8_t *p = tlsflow_out_buf(s->tls, &n);
            ssize_t sent = send(s->fd, p, n, 0);
            if (sent > 0)
                tlsflow_out_ack(s->tls, (size_t)sent);
            else if (errno == EAGAIN || errno == EWOULDBLOCK)
                wait |= POLLOUT;
            else
                break; /* reset by the peer, or the like */
            moved |= sent > 0;
        }
        if (r & TLSFLOW_READY_RECV) {
            uint8_t *p = tlsflow_in_buf(s->tls, &n);
            ssize_t got = recv(s->fd, p, n, 0);
            if (got >= 0)
                tlsflow_in_ack(s->tls, (size_t)got); /* 0: the client's FIN */
            else if (errno == EAGAIN || errno == EWOULDBLOCK)
                wait |= POLLIN;
            else
                break;
            moved |= got >= 0;
        }
        if (!serve(s, r) && !moved)
            return wait; /* nothing moved: sleep until the socket is ready */
    }
    drop(s, strerror(errno)); /* the socket failed */
    return 0;
}

int main(int argc, char **argv)
{
    const char *cert = NULL, *key = NULL, *port = "0";
    const ex_option opts[] = {{"--cert", &cert, 1}, {"--key", &key, 1}, {"--port", &port, 0}, {0}};
    tlsflow_config *cfg = tlsflow_config_new(TLSFLOW_SERVER);
    int listen_fd, rc = cfg ? ex_parse(argc, argv, opts, NULL, 0, 0, cfg, usage) : 1;
    if (rc >= 0)
        return rc;                    /* --help, a usage error, or no memory */
    setvbuf(stdout, NULL, _IOLBF, 0); /* the log: one line at a time, even into a file */
    size_t need = 0; /* bytes a connection takes: fixed once the configuration is */
    if (ex_add_credential(cfg, cert, key) == 0 && tlsflow_config_set_one_thread(cfg, 1) == 0 &&
        (need = tlsflow_conn_size(cfg)) > SLOT_BYTES)
        fprintf(stderr, "a connection needs %zu bytes, a slot %d: raise SLOT_BYTES\n", need,
                SLOT_BYTES);
    if (need == 0 || need > SLOT_BYTES ||
        (listen_fd = ex_listen((unsigned)strtoul(port, NULL, 10))) < 0) {
        tlsflow_config_free(cfg);
        return 1;
    }
    printf("%d slots of %d bytes; a connection takes %zu\n", MAX_CONNS, SLOT_BYTES, need);
    signal(SIGPIPE, SIG_IGN); /* a vanished peer is an error from send(), not a signal */

    for (;;) { /* the superloop; SIGINT or SIGTERM ends the process */
        struct pollfd fds[MAX_CONNS + 1] = {{.fd = listen_fd}};
        int free_slot = -1;
        for (int i = 0; i < MAX_CONNS; i++) {
            fds[i + 1] = (struct pollfd){.fd = -1}; /* poll() skips a negative fd */
            if (slots[i].tls && (fds[i + 1].events = service(&slots[i])) != 0)
                fds[i + 1].fd = slots[i].fd;
            if (!slots[i].tls)
                free_slot = i;
        }
        fds[0].events = free_slot >= 0 ? POLLIN : 0; /* full: clients wait in the backlog */
        if (poll(fds, MAX_CONNS + 1, 1000) <= 0 || !(fds[0].revents & POLLIN))
            continue;
        int fd = accept(listen_fd, NULL, NULL);
        slot *s = &slots[free_slot];
        if (fd < 0 || ex_nonblocking(fd) != 0) {
            if (fd >= 0)
                close(fd);
            continue;
        }
        *s = (slot){.fd = fd, .deadline = time(NULL) + DEADLINE_SECS};
        /* The connection is built inside the slot's memory: no allocation. */
        s->tls = tlsflow_conn_init(memory[free_slot], SLOT_BYTES, cfg);
        if (!s->tls) {
            close(fd);
            continue;
        }
        printf("slot %d: connection accepted\n", free_slot);
    }
}
