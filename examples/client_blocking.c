/*
 * client_blocking: the shortest correct use of tlsflow. A blocking TCP socket, one
 * HTTP/1.0 GET, the reply on stdout, a clean close.
 *
 *   client_blocking --ca ca.pem [--name NAME] [--tls12|--tls13] HOST PORT [PATH]
 *
 * The server's certificate must chain to a CA in ca.pem and name NAME (default HOST; a
 * DNS name or an IP address). Try it against OpenSSL:
 *
 *   openssl s_server -accept 4433 -cert server.pem -key server.key -www
 *   client_blocking --ca ca.pem --name localhost 127.0.0.1 4433
 *
 * The engine does no I/O: tlsflow_poll() says what it needs next and this loop does it.
 * With a blocking socket one thing at a time is enough (no full duplex needed: HTTP/1.0
 * sends, then reads); see client_libuv.c and server_epoll.c for both directions at once.
 */
#define _POSIX_C_SOURCE 200809L
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <tlsflow/tlsflow.h>

#include "example_util.h"

static const char usage[] =
    "usage: client_blocking --ca CA.pem [--name NAME] [--tls12|--tls13] HOST PORT [PATH]\n";

/* A connected blocking TCP socket, or -1. */
static int tcp_connect(const char *host, const char *port)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
    int fd = -1, rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", host, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        perror("connect");
    return fd;
}

/* The whole conversation; 0 when the server closed cleanly after answering. */
static int run(tlsflow_conn *c, int fd, const char *request)
{
    size_t request_left = 0, n;
    for (;;) {
        /* The request goes once the handshake is done, as much as the engine takes
         * (one record holds 16 KiB: a short request goes whole). */
        if (request_left) {
            size_t took = tlsflow_app_write(c, request, request_left);
            request += took;
            request_left -= took;
        }
        switch (tlsflow_poll(c)) { /* never blocks, never does I/O */
        case TLSFLOW_OUTPUT_READY: {
            const uint8_t *p = tlsflow_out_buf(c, &n);
            ssize_t sent = send(fd, p, n, 0);
            if (sent < 0) {
                perror("send");
                return 1;
            }
            tlsflow_out_ack(c, (size_t)sent); /* any part is fine: the rest comes again */
            break;
        }
        case TLSFLOW_NEED_INPUT: {
            uint8_t *p = tlsflow_in_buf(c, &n);
            ssize_t got = recv(fd, p, n, 0);
            if (got < 0) {
                perror("recv");
                return 1;
            }
            tlsflow_in_ack(c, (size_t)got); /* 0: the server closed the TCP connection */
            break;
        }
        case TLSFLOW_HANDSHAKE_DONE: /* reported once; the certificate was verified */
            ex_print_connected(c);
            request_left = strlen(request);
            break;
        case TLSFLOW_APP_DATA: {
            const uint8_t *p = tlsflow_app_peek(c, &n);
            fwrite(p, 1, n, stdout);
            tlsflow_app_consume(c, n);
            break;
        }
        case TLSFLOW_KEY_OPERATION: /* only with keys kept outside the engine: not here */
            return 1;
        case TLSFLOW_CLOSED:
            /* The server's close_notify was answered with ours (the engine queues it and
             * reports CLOSED once it is sent). Anything else is an error: a bad
             * certificate, an alert, or a TCP close without close_notify (a truncation). */
            if (tlsflow_last_error(c) != TLSFLOW_OK) {
                ex_report("client_blocking", c);
                return 1;
            }
            fprintf(stderr, "%s\n", tlsflow_last_error_text(c));
            return 0;
        }
    }
}

int main(int argc, char **argv)
{
    const char *ca = NULL, *name = NULL, *arg[3] = {NULL, NULL, "/"}; /* HOST PORT [PATH] */
    const ex_option opts[] = {{"--ca", &ca, 1}, {"--name", &name, 0}, {0}};
    tlsflow_config *cfg = tlsflow_config_new(TLSFLOW_CLIENT);
    int rc = cfg ? ex_parse(argc, argv, opts, arg, 2, 3, cfg, usage) : 1;
    if (rc >= 0)
        return rc; /* --help, a usage error, or no memory */
    const char *host = arg[0], *port = arg[1], *path = arg[2];
    if (!name)
        name = host;
    signal(SIGPIPE, SIG_IGN); /* a server gone away is an error from send(), not a signal */

    /* The configuration: the CAs to trust and the name to verify (and send as SNI). */
    if (ex_add_trust_anchors(cfg, ca) != 0 || tlsflow_config_set_server_name(cfg, name) != 0) {
        fprintf(stderr, "client_blocking: bad --ca file or --name\n");
        tlsflow_config_free(cfg);
        return 1;
    }
    char request[1024];
    snprintf(request, sizeof(request), "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, name);

    int fd = tcp_connect(host, port);
    tlsflow_conn *c = fd >= 0 ? tlsflow_conn_new(cfg) : NULL;
    rc = c ? run(c, fd, request) : 1;
    tlsflow_conn_free(c); /* wipes the keys */
    if (fd >= 0)
        close(fd);
    tlsflow_config_free(cfg);
    return rc;
}
