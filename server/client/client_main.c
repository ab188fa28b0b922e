/* tlsflow-client: the engine's client role on a plain blocking socket.
 *
 * Why blocking sockets and poll() rather than libuv: one connection, one thing
 * at a time, and the loop below is then exactly the loop in tlsflow.h, which is
 * the point of a reference client. poll() is only there for deadlines and for
 * reading stdin and the socket at once.
 *
 * It prints the five-step trace to stderr, verifies the server against --ca (or
 * ./tlsflow-pki/ca.pem), sends GET PATH or stdin, and copies the reply to stdout. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <tlsflow/tlsflow.h>

#include "client_net.h"
#include "util/files.h"
#include "pages/flow_steps.h"
#include "pages/hello_names.h"
#include "util/hostport.h"

#define DEFAULT_CA "tlsflow-pki/ca.pem"
#define ALPN_MAX   8

typedef struct {
    hostport target;
    const char *ca, *servername, *alpn, *get, *keylog;
    int timeout_ms; /* waiting for the server at any one point */
    int linger_ms;  /* after stdin ends, how long to wait for the rest of the reply */
} client_opts;

static const char usage[] =
    "Usage: tlsflow-client HOST:PORT [options]\n"
    "\n"
    "Connects with TLS 1.2 (RSA key transport), prints the handshake as five steps on\n"
    "stderr, verifies the server, then sends GET PATH (or stdin) and prints the reply.\n"
    "\n"
    "Options:\n"
    "  --ca FILE          trusted CA certificates, PEM (default ./" DEFAULT_CA " if it exists)\n"
    "  --servername NAME  name for SNI and for verifying the certificate (default HOST)\n"
    "  --alpn LIST        offer these protocols, comma separated (e.g. http/1.1)\n"
    "  --get PATH         send an HTTP/1.1 GET for PATH instead of stdin\n"
    "  --keylog FILE      append NSS key log lines (also SSLKEYLOGFILE)\n"
    "  --timeout SECS     give up waiting for the server after this (default 10)\n"
    "  -h, --help         this text\n"
    "  -V, --version      the version\n"
    "\n"
    "Exit status: 0 done, 1 TLS or verification failure, 2 bad usage, 3 network error.\n";

static int parse_args(int argc, char **argv, client_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->timeout_ms = 10000;
    o->linger_ms = 2000;
    o->keylog = getenv("SSLKEYLOGFILE");
    if (o->keylog && !*o->keylog)
        o->keylog = NULL;
    const char *target = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return 1;
        }
        if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
            printf("tlsflow-client %s\n", TLSFLOW_VERSION_STRING);
            return 1;
        }
        if (a[0] != '-') {
            if (target) {
                errorf("only one HOST:PORT, got '%s' and '%s'", target, a);
                return -1;
            }
            target = a;
            continue;
        }
        const char **slot = !strcmp(a, "--ca")           ? &o->ca
                            : !strcmp(a, "--servername") ? &o->servername
                            : !strcmp(a, "--alpn")       ? &o->alpn
                            : !strcmp(a, "--get")        ? &o->get
                            : !strcmp(a, "--keylog")     ? &o->keylog
                                                         : NULL;
        int is_timeout = !strcmp(a, "--timeout");
        if (!slot && !is_timeout) {
            errorf("unknown option '%s' (try --help)", a);
            return -1;
        }
        if (i + 1 >= argc || !argv[i + 1][0]) {
            errorf("%s needs a value (try --help)", a);
            return -1;
        }
        const char *v = argv[++i];
        if (is_timeout) {
            char *end;
            long s = strtol(v, &end, 10);
            if (*end || s < 1 || s > 3600) {
                errorf("--timeout wants seconds from 1 to 3600, not '%s'", v);
                return -1;
            }
            o->timeout_ms = (int)s * 1000;
        } else {
            *slot = v;
        }
    }
    if (!target) {
        errorf("which server? usage: tlsflow-client HOST:PORT [options] (try --help)");
        return -1;
    }
    const char *why;
    if (hostport_parse(target, "443", &o->target, &why) != 0) {
        errorf("bad HOST:PORT '%s': %s", target, why);
        return -1;
    }
    if (o->get && o->get[0] != '/') {
        errorf("--get wants a path starting with '/', not '%s'", o->get);
        return -1;
    }
    return 0;
}

/* ---- trace and key log ------------------------------------------------------------- */

static void on_trace(void *ctx, const tlsflow_conn *conn, const tlsflow_trace_event *ev)
{
    (void)ctx;
    (void)conn;
    int n = flow_step_number(ev->step);
    char tag[8] = "   ";
    if (n)
        snprintf(tag, sizeof(tag), "[%d]", n);
    fprintf(stderr, "%s %-26s %s\n", tag, flow_step_label(ev->step), ev->text ? ev->text : "");
    /* Step 4 happens on the server: say so where it belongs in the story. */
    if (ev->step == TLSFLOW_STEP_PREMASTER_ENCRYPTED)
        fprintf(stderr, "[4] %-26s %s\n", "Session key decrypted",
                "on the server; its Finished verifying below proves it");
    if (ev->step == TLSFLOW_STEP_CLIENT_KEY_SHARE_SENT)
        fprintf(stderr, "[4] %-26s %s\n", "Shared secret computed",
                "on the server too; its Finished verifying below proves it");
}

static void on_keylog(void *ctx, const char *line)
{
    FILE *f = ctx;
    fprintf(f, "%s\n", line);
    fflush(f);
}

/* ---- configuration ----------------------------------------------------------------- */

static int set_alpn(tlsflow_config *cfg, const char *list)
{
    static char buf[512];
    const char *protos[ALPN_MAX];
    size_t n = 0;
    if (strlen(list) >= sizeof(buf)) {
        errorf("--alpn list too long");
        return -1;
    }
    strcpy(buf, list);
    for (char *save = NULL, *p = strtok_r(buf, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
        if (n == ALPN_MAX) {
            errorf("--alpn takes at most %d protocols", ALPN_MAX);
            return -1;
        }
        protos[n++] = p;
    }
    int rc = n ? tlsflow_config_set_alpn(cfg, protos, n) : -1;
    if (rc != 0)
        errorf("bad --alpn '%s'", list);
    return rc;
}

static tlsflow_config *make_config(const client_opts *o, FILE *keylog)
{
    const char *ca = o->ca;
    if (!ca) {
        if (!file_exists(DEFAULT_CA)) {
            errorf("no CA to verify the server with: pass --ca FILE (or run where " DEFAULT_CA
                   " exists)");
            return NULL;
        }
        ca = DEFAULT_CA;
    }
    uint8_t *pem;
    size_t len;
    if (file_read_all(ca, 1 << 20, "--ca file", &pem, &len) != 0)
        return NULL;
    tlsflow_config *cfg = tlsflow_config_new(TLSFLOW_CLIENT);
    if (!cfg) {
        free(pem);
        errorf("out of memory");
        return NULL;
    }
    int rc = tlsflow_config_add_trust_anchors(cfg, pem, len);
    free(pem);
    if (rc != 0) {
        errorf("no usable CA certificate in '%s': %s", ca, tlsflow_error_name(rc));
        goto fail;
    }
    const char *name = o->servername ? o->servername : o->target.host;
    if ((rc = tlsflow_config_set_server_name(cfg, name)) != 0) {
        errorf("bad server name '%s': 1 to 255 bytes of printable ASCII without spaces (an "
               "internationalised name as its xn-- A-label) [%s]",
               name, tlsflow_error_name(rc));
        goto fail;
    }
    if (o->alpn && set_alpn(cfg, o->alpn) != 0)
        goto fail;
    tlsflow_config_set_trace(cfg, on_trace, NULL);
    if (keylog)
        tlsflow_config_set_keylog(cfg, on_keylog, keylog);
    return cfg;
fail:
    tlsflow_config_free(cfg);
    return NULL;
}

/* ---- the loop ---------------------------------------------------------------------- */

typedef struct {
    char *buf; /* what to send once the handshake is done */
    size_t len, off;
    int stdin_open; /* still reading stdin into buf */
    int got_reply;
} outbox;

static void summary(tlsflow_conn *c)
{
    const tlsflow_info *in = tlsflow_get_info(c);
    char b[16];
    const char *suite = suite_name(in->cipher_suite);
    if (!suite) {
        snprintf(b, sizeof(b), "0x%04x", in->cipher_suite);
        suite = b;
    }
    fprintf(stderr, "handshake done: %s, %s, EMS %s, ALPN %s; server %s (%s %d bits), issuer %s\n",
            version_name(in->version), suite, in->ems ? "yes" : "no",
            in->alpn[0] ? in->alpn : "none", in->cert.subject,
            in->cert.key_type ? in->cert.key_type : "?", in->cert.key_bits, in->cert.issuer);
}

/* Wait for the socket (and stdin while it is open). 1: ready, 0: timeout, -1: error. */
static int wait_input(int fd, outbox *ob, int handshake_done, int timeout_ms, int *stdin_ready)
{
    struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = 0, .events = POLLIN}};
    nfds_t n = (ob->stdin_open && handshake_done && ob->off == ob->len) ? 2 : 1;
    int rc;
    do
        rc = poll(p, n, timeout_ms);
    while (rc < 0 && errno == EINTR);
    *stdin_ready = n == 2 && (p[1].revents & (POLLIN | POLLHUP | POLLERR));
    return rc;
}

static int read_stdin(outbox *ob)
{
    free(ob->buf);
    ob->buf = malloc(TLSFLOW_MAX_PLAINTEXT);
    ob->off = ob->len = 0;
    if (!ob->buf)
        return -1;
    ssize_t n;
    do
        n = read(0, ob->buf, TLSFLOW_MAX_PLAINTEXT);
    while (n < 0 && errno == EINTR);
    if (n <= 0)
        ob->stdin_open = 0;
    else
        ob->len = (size_t)n;
    return 0;
}

static int finish(tlsflow_conn *c, const outbox *ob)
{
    int err = tlsflow_last_error(c);
    if (err == TLSFLOW_OK)
        return 0;
    if (err == TLSFLOW_E_UNEXPECTED_EOF && ob->got_reply) {
        fprintf(stderr, "note: the server closed the connection without close_notify\n");
        return 0;
    }
    errorf("%s [%s]", tlsflow_last_error_text(c), tlsflow_error_name(err));
    return 1;
}

static int run(tlsflow_conn *c, int fd, const client_opts *o, outbox *ob)
{
    int done = 0;
    for (;;) {
        size_t n;
        const uint8_t *out = tlsflow_out_buf(c, &n);
        if (n > 0) {
            if (net_send_all(fd, out, n) != 0) {
                errorf("sending to the server failed: %s", strerror(errno));
                return 3;
            }
            tlsflow_out_ack(c, n);
            continue;
        }
        if (done && ob->off < ob->len) {
            size_t w = tlsflow_app_write(c, ob->buf + ob->off, ob->len - ob->off);
            ob->off += w;
            if (w > 0)
                continue;
        }
        switch (tlsflow_poll(c)) {
        case TLSFLOW_OUTPUT_READY:
            break;
        case TLSFLOW_HANDSHAKE_DONE:
            done = 1;
            summary(c);
            break;
        case TLSFLOW_APP_DATA: {
            const uint8_t *p = tlsflow_app_peek(c, &n);
            if (fwrite(p, 1, n, stdout) != n) {
                errorf("cannot write to stdout");
                return 3;
            }
            fflush(stdout);
            tlsflow_app_consume(c, n);
            ob->got_reply = 1;
            break;
        }
        case TLSFLOW_KEY_OPERATION: /* the client holds no private key */
            errorf("the engine asked for a private-key operation the client cannot do");
            return 3;
        case TLSFLOW_CLOSED:
            return finish(c, ob);
        case TLSFLOW_NEED_INPUT: {
            int stdin_ready = 0;
            int linger = done && !ob->stdin_open && ob->off == ob->len && !o->get;
            int rc = wait_input(fd, ob, done, linger ? o->linger_ms : o->timeout_ms, &stdin_ready);
            if (rc == 0 && linger) {
                tlsflow_close(c); /* stdin is done and the server went quiet */
                break;
            }
            if (rc <= 0) {
                errorf("%s waiting for the server (%s)", rc == 0 ? "timed out" : "error",
                       done ? "after the handshake" : "during the handshake");
                return 3;
            }
            if (stdin_ready) {
                if (read_stdin(ob) != 0)
                    return 3;
                continue;
            }
            size_t room;
            uint8_t *in = tlsflow_in_buf(c, &room);
            ssize_t r;
            do
                r = recv(fd, in, room, 0);
            while (r < 0 && errno == EINTR);
            if (r < 0) {
                errorf("receiving from the server failed: %s", strerror(errno));
                return 3;
            }
            tlsflow_in_ack(c, (size_t)r); /* 0: the server closed */
            break;
        }
        }
    }
}

int main(int argc, char **argv)
{
    files_set_program("tlsflow-client");
    client_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    signal(SIGPIPE, SIG_IGN);

    FILE *keylog = NULL;
    if (o.keylog && !(keylog = fopen(o.keylog, "a"))) {
        errorf("cannot open key log file '%s': %s", o.keylog, strerror(errno));
        return 2;
    }
    tlsflow_config *cfg = make_config(&o, keylog);
    if (!cfg)
        return 2;
    tlsflow_conn *c = tlsflow_conn_new(cfg);
    if (!c) {
        errorf("cannot create the connection (incomplete configuration?)");
        tlsflow_config_free(cfg);
        return 2;
    }
    outbox ob = {0};
    const char *name = o.servername ? o.servername : o.target.host;
    if (o.get) {
        size_t cap = strlen(o.get) + strlen(name) + 160;
        ob.buf = malloc(cap);
        if (ob.buf)
            ob.len = (size_t)snprintf(ob.buf, cap,
                                      "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: "
                                      "tlsflow-client/%s\r\nAccept: */*\r\n"
                                      "Connection: close\r\n\r\n",
                                      o.get, name, TLSFLOW_VERSION_STRING);
    } else {
        ob.stdin_open = 1;
    }
    fprintf(stderr, "connecting to %s:%s (server name %s)\n", o.target.host, o.target.port, name);
    int fd = net_connect(o.target.host, o.target.port, o.timeout_ms);
    rc = fd < 0 ? 3 : run(c, fd, &o, &ob);
    if (fd >= 0)
        close(fd);
    free(ob.buf);
    tlsflow_conn_free(c);
    tlsflow_config_free(cfg);
    if (keylog)
        fclose(keylog);
    return rc;
}
