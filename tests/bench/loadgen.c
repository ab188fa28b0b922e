/* loadgen: a TLS 1.2 / TLS 1.3 load generator over loopback (OpenSSL's libssl as the
 * client).
 *
 *   loadgen --connect 127.0.0.1:PORT [--cipher NAME] [--groups LIST] [--sigalgs LIST]
 *           [--conns C] [--handshakes N] [--seconds T] [--request] [--resume]
 *           [--server-pid PID[,PID...]]
 *   loadgen --connect ... --idle K [--conns C] [--hold S] --server-pid PID[,PID...]
 *   loadgen --connect ... --rate R --probe-echo [--probe-every MS] [--probe-bytes B] ...
 *
 * Version: a --cipher that names a TLS 1.3 suite (TLS_AES_128_GCM_SHA256, ...) makes every
 * handshake TLS 1.3 with that suite; any other name is an OpenSSL TLS 1.2 cipher list and
 * every handshake is TLS 1.2. --sigalgs (OpenSSL's list syntax, e.g. rsa_pss_rsae_sha256
 * or ecdsa_secp256r1_sha256) picks the server's certificate when it holds an RSA and an
 * ECDSA one (TLS 1.3, where the suite does not).
 *
 * Load mode: C connections at a time, N full handshakes in all (no session reuse), each
 * closed with close_notify once done (or after one small HTTP request with --request);
 * stops at N or after T seconds, whichever is first. With --server-pid it reports the
 * server's CPU (utime + stime from /proc/PID/stat, summed over the PIDs) per handshake.
 *
 * With --resume, each of the C connection slots keeps the newest session its previous
 * connection got (session tickets, no session cache: TLS 1.2 tickets with the extended
 * master secret, TLS 1.3 tickets with psk_dhe_ke) and offers it. Each slot first makes
 * its session with one full handshake before the measurement starts; in TLS 1.3 a
 * connection reads until a NewSessionTicket has arrived (at most 2 s) before it closes.
 * Resumed and full handshakes are counted; the server CPU per handshake is a resumed
 * handshake's cost only when at least 95% resumed (load.resumed_ok says so).
 *
 * Idle mode: opens K connections (C handshaking at a time), keeps them all established
 * and silent, and reports the server's resident memory growth per connection
 * (VmRSS from /proc/PID/status, summed over the PIDs), then closes them.
 *
 * Rate mode (--rate R): handshakes start at R per second on a fixed schedule (open loop:
 * a start that finds C connections still in flight is skipped and counted, so the rate
 * achieved shows a server that falls behind), for T seconds. With --probe-echo a thread
 * of its own first opens one connection to an echo server (tlsflow-server --echo) and,
 * while the load runs, sends B bytes every MS milliseconds and times until all B come
 * back: the round trip an established connection sees while handshakes keep the
 * server busy (p50, p99, max).
 *
 * Only loopback addresses are accepted. Every loop is bounded in count and time. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#define MAX_PIDS     8
#define MAX_CONNS    100000
#define MAX_SECONDS  600.0
#define N_SOURCE_IPS 16 /* 127.0.0.2 .. 127.0.0.17: more loopback source ports */

typedef enum {
    C_FREE,
    C_CONNECTING,
    C_HANDSHAKE,
    C_REQUEST,
    C_RESPONSE,
    C_TICKET, /* --resume, TLS 1.3: waiting for a NewSessionTicket */
    C_SHUTDOWN,
    C_IDLE
} cstate;

typedef struct {
    int fd;
    SSL *ssl;
    cstate st;
    size_t sent;
    SSL_SESSION *session; /* --resume: the newest session of this slot */
    int fresh;            /* a new session arrived during this connection */
    int resumed;          /* this connection's handshake resumed */
    double deadline;      /* C_TICKET: when to stop waiting */
} conn;

static struct {
    struct sockaddr_in addr;
    const char *cipher, *groups, *sigalgs;
    long conns, handshakes, idle;
    double seconds, hold;
    int request, resume;
    int pids[MAX_PIDS], n_pids;
    double rate;        /* handshakes started per second (0: as fast as C allow) */
    int probe;          /* --probe-echo */
    double probe_every; /* seconds between probes */
    long probe_bytes;
} opt = {.cipher = "AES128-GCM-SHA256",
         .conns = 32,
         .handshakes = 1000,
         .seconds = 10,
         .probe_every = 0.005,
         .probe_bytes = 32};

static SSL_CTX *ctx;
static int ep;
static conn *conns;
static long n_done, n_failed, n_started, n_open, n_skipped;
static long n_tls13, n_ec_cert;     /* what the handshakes negotiated: checks each row's label */
static long n_resumed, n_no_ticket; /* --resume: resumed handshakes; ticket waits that timed out */
static unsigned source_rr;
static long next_slot; /* idle mode: the next unused slot */
static const char REQUEST[] = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec / 1e6;
}

/* utime + stime of one process (and its threads), in seconds. */
static double proc_cpu_s(int pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    if (!p)
        return -1;
    unsigned long ut = 0, st = 0;
    /* after ") ": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt
     * utime stime */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static long proc_rss_kb(int pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    long kb = -1;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

static double servers_cpu(void)
{
    double sum = 0;
    for (int i = 0; i < opt.n_pids; i++)
        sum += proc_cpu_s(opt.pids[i]);
    return sum;
}

static long servers_rss_kb(void)
{
    long sum = 0;
    for (int i = 0; i < opt.n_pids; i++)
        sum += proc_rss_kb(opt.pids[i]);
    return sum;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: loadgen --connect 127.0.0.1:PORT [--cipher NAME] [--groups LIST]\n"
            "               [--sigalgs LIST]\n"
            "               [--conns C] [--handshakes N] [--seconds T] [--request] [--resume]\n"
            "               [--idle K [--hold S]] [--server-pid PID[,PID...]]\n"
            "               [--rate R [--probe-echo [--probe-every MS] [--probe-bytes B]]]\n"
            "Full (or with --resume, resumed) TLS 1.2 or 1.3 handshakes against a loopback\n"
            "server (see the source header).\n");
}

static int parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage();
            exit(0);
        } else if (strcmp(a, "--request") == 0) {
            opt.request = 1;
            continue;
        } else if (strcmp(a, "--probe-echo") == 0) {
            opt.probe = 1;
            continue;
        } else if (strcmp(a, "--resume") == 0) {
            opt.resume = 1;
            continue;
        }
        if (!v)
            return -1;
        i++;
        if (strcmp(a, "--connect") == 0) {
            char host[64];
            int port;
            if (sscanf(v, "%63[^:]:%d", host, &port) != 2 || port <= 0 || port > 65535)
                return -1;
            opt.addr.sin_family = AF_INET;
            opt.addr.sin_port = htons((uint16_t)port);
            if (inet_pton(AF_INET, host, &opt.addr.sin_addr) != 1)
                return -1;
            if ((ntohl(opt.addr.sin_addr.s_addr) >> 24) != 127) {
                fprintf(stderr, "loadgen: loopback addresses only\n");
                exit(2);
            }
        } else if (strcmp(a, "--cipher") == 0) {
            opt.cipher = v;
        } else if (strcmp(a, "--groups") == 0) {
            opt.groups = v;
        } else if (strcmp(a, "--sigalgs") == 0) {
            opt.sigalgs = v;
        } else if (strcmp(a, "--conns") == 0) {
            opt.conns = atol(v);
        } else if (strcmp(a, "--handshakes") == 0) {
            opt.handshakes = atol(v);
        } else if (strcmp(a, "--seconds") == 0) {
            opt.seconds = atof(v);
        } else if (strcmp(a, "--idle") == 0) {
            opt.idle = atol(v);
        } else if (strcmp(a, "--hold") == 0) {
            opt.hold = atof(v);
        } else if (strcmp(a, "--rate") == 0) {
            opt.rate = atof(v);
        } else if (strcmp(a, "--probe-every") == 0) {
            opt.probe_every = atof(v) / 1000;
        } else if (strcmp(a, "--probe-bytes") == 0) {
            opt.probe_bytes = atol(v);
        } else if (strcmp(a, "--server-pid") == 0) {
            char *copy = strdup(v), *save = NULL;
            for (char *t = strtok_r(copy, ",", &save); t && opt.n_pids < MAX_PIDS;
                 t = strtok_r(NULL, ",", &save))
                opt.pids[opt.n_pids++] = atoi(t);
            free(copy);
        } else {
            return -1;
        }
    }
    if (opt.addr.sin_family != AF_INET || opt.conns < 1 || opt.conns > MAX_CONNS ||
        opt.handshakes < 1 || opt.handshakes > 10000000L || opt.idle < 0 || opt.idle > MAX_CONNS ||
        opt.seconds <= 0 || opt.seconds > MAX_SECONDS || opt.hold < 0 || opt.hold > MAX_SECONDS ||
        opt.rate < 0 || opt.rate > 100000 || (opt.probe && (opt.rate <= 0 || opt.idle)) ||
        opt.probe_every < 0.0005 || opt.probe_every > 1 || opt.probe_bytes < 1 ||
        opt.probe_bytes > 16384 || (opt.resume && opt.idle))
        return -1;
    return 0;
}

static void watch(conn *c, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void drop(conn *c, int ok)
{
    if (c->ssl)
        SSL_free(c->ssl);
    if (c->fd >= 0) {
        /* RST instead of TIME_WAIT: thousands of loopback connections would otherwise
         * exhaust the ephemeral ports between runs. */
        struct linger lg = {1, 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        close(c->fd);
    }
    c->ssl = NULL;
    c->fd = -1;
    c->st = C_FREE;
    n_open--;
    if (ok) {
        n_done++;
        n_resumed += c->resumed;
    } else {
        n_failed++;
    }
}

/* --resume: the server made a session resumable (TLS 1.3: a NewSessionTicket); the slot
 * keeps the newest. TLS 1.2 sessions are taken after the handshake instead (OpenSSL calls
 * this only after full TLS 1.2 handshakes, not for a ticket renewed on resumption). */
static int new_session(SSL *ssl, SSL_SESSION *sess)
{
    conn *c = SSL_get_app_data(ssl);
    if (!c || SSL_version(ssl) != TLS1_3_VERSION)
        return 0;
    SSL_SESSION_free(c->session);
    c->session = sess;
    c->fresh = 1;
    return 1; /* the reference is ours now */
}

/* --resume, TLS 1.3: connections that waited in vain for a ticket close (the handshake
 * itself was done: the slot offers its previous session again). */
static void ticket_timeouts(long slots)
{
    double now = now_s();
    for (long i = 0; i < slots; i++) {
        conn *c = &conns[i];
        if (c->st == C_TICKET && now >= c->deadline) {
            n_no_ticket++;
            SSL_shutdown(c->ssl); /* else OpenSSL marks the session not resumable */
            drop(c, 1);
        }
    }
}

static int start(conn *c)
{
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0)
        return -1;
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    struct sockaddr_in src = {.sin_family = AF_INET};
    src.sin_addr.s_addr = htonl(0x7f000002u + (source_rr++ % N_SOURCE_IPS));
    if (bind(c->fd, (struct sockaddr *)&src, sizeof(src)) != 0) {
        close(c->fd);
        c->fd = -1;
        return -1;
    }
    n_open++;
    n_started++;
    c->st = C_CONNECTING;
    c->sent = 0;
    struct epoll_event ev = {.events = EPOLLOUT, .data.ptr = c};
    epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev);
    if (connect(c->fd, (struct sockaddr *)&opt.addr, sizeof(opt.addr)) != 0 &&
        errno != EINPROGRESS) {
        drop(c, 0);
        return -1;
    }
    return 0;
}

/* Translate an SSL result into what to wait for; 1 = done, 0 = waiting, -1 = failed. */
static int ssl_wait(conn *c, int r)
{
    if (r > 0)
        return 1;
    int e = SSL_get_error(c->ssl, r);
    if (e == SSL_ERROR_WANT_READ) {
        watch(c, EPOLLIN);
        return 0;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
        watch(c, EPOLLOUT);
        return 0;
    }
    return -1;
}

static void advance(conn *c)
{
    for (int guard = 0; guard < 16; guard++) {
        int r;
        switch (c->st) {
        case C_CONNECTING: {
            int err = 0;
            socklen_t len = sizeof(err);
            if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err != 0) {
                drop(c, 0);
                return;
            }
            c->ssl = SSL_new(ctx);
            if (!c->ssl || SSL_set_fd(c->ssl, c->fd) != 1) {
                drop(c, 0);
                return;
            }
            SSL_set_tlsext_host_name(c->ssl, "localhost");
            SSL_set_connect_state(c->ssl);
            c->fresh = c->resumed = 0;
            if (opt.resume) {
                SSL_set_app_data(c->ssl, c);
                if (c->session && SSL_set_session(c->ssl, c->session) != 1) {
                    drop(c, 0);
                    return;
                }
            }
            c->st = C_HANDSHAKE;
            break;
        }
        case C_HANDSHAKE:
            r = ssl_wait(c, SSL_do_handshake(c->ssl));
            if (r < 0) {
                ERR_clear_error();
                drop(c, 0);
                return;
            }
            if (r == 0)
                return;
            n_tls13 += SSL_version(c->ssl) == TLS1_3_VERSION;
            {
                X509 *peer = SSL_get0_peer_certificate(c->ssl);
                EVP_PKEY *pk = peer ? X509_get0_pubkey(peer) : NULL;
                n_ec_cert += pk && EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC;
            }
            c->st = opt.idle ? C_IDLE : opt.request ? C_REQUEST : C_SHUTDOWN;
            if (opt.resume) {
                c->resumed = SSL_session_reused(c->ssl) == 1;
                if (SSL_version(c->ssl) != TLS1_3_VERSION) {
                    SSL_SESSION *s = SSL_get1_session(c->ssl); /* with a renewed ticket, if any */
                    if (s) {
                        SSL_SESSION_free(c->session);
                        c->session = s;
                    }
                } else if (c->st == C_SHUTDOWN && !c->fresh) {
                    c->st = C_TICKET;
                    c->deadline = now_s() + 2.0;
                }
            }
            if (c->st == C_IDLE) {
                n_done++;
                watch(c, EPOLLIN); /* a server close shows up as a failure */
                return;
            }
            break;
        case C_REQUEST:
            r = ssl_wait(
                c, SSL_write(c->ssl, REQUEST + c->sent, (int)(sizeof(REQUEST) - 1 - c->sent)));
            if (r < 0) {
                drop(c, 0);
                return;
            }
            if (r == 0)
                return;
            c->st = C_RESPONSE;
            break;
        case C_RESPONSE: {
            char buf[16384];
            r = SSL_read(c->ssl, buf, sizeof(buf));
            if (r > 0)
                continue; /* read until the server closes */
            int e = SSL_get_error(c->ssl, r);
            if (e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL) {
                ERR_clear_error();
                drop(c, 1); /* response read to the end */
                return;
            }
            if (ssl_wait(c, r) < 0) {
                ERR_clear_error();
                drop(c, 0);
            }
            return;
        }
        case C_TICKET: {
            char b;
            r = SSL_read(c->ssl, &b, 1); /* takes in the NewSessionTicket (new_session) */
            if (c->fresh) {
                c->st = C_SHUTDOWN;
                break;
            }
            if (r > 0)
                continue; /* unasked-for data: read on */
            if (ssl_wait(c, r) < 0) {
                ERR_clear_error();
                drop(c, 0); /* closed before any ticket came */
            }
            return;
        }
        case C_SHUTDOWN:
            SSL_shutdown(c->ssl); /* close_notify; not waiting for the server's */
            drop(c, 1);
            return;
        case C_IDLE: {
            char b;
            if (recv(c->fd, &b, 1, MSG_PEEK) == 0) { /* the server closed it */
                n_done--;
                drop(c, 0);
            }
            return;
        }
        case C_FREE:
            return;
        }
    }
}

static int make_ctx(void)
{
    ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx)
        return -1;
    int tls13 = strncmp(opt.cipher, "TLS_", 4) == 0;
    int v = tls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
    SSL_CTX_set_min_proto_version(ctx, v);
    SSL_CTX_set_max_proto_version(ctx, v);
    if (opt.resume) {
        /* Tickets only: no internal cache, the callback hands each session to its slot;
         * psk_dhe_ke only (SSL_OP_ALLOW_NO_DHE_KEX stays off). */
        SSL_CTX_set_session_cache_mode(ctx,
                                       SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
        SSL_CTX_sess_set_new_cb(ctx, new_session);
        SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET | SSL_OP_ALLOW_NO_DHE_KEX);
    } else {
        SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
    }
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS); /* keeps 10,000 idle clients small */
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);  /* the server's cost is measured */
    if ((tls13 ? SSL_CTX_set_ciphersuites(ctx, opt.cipher)
               : SSL_CTX_set_cipher_list(ctx, opt.cipher)) != 1)
        return -1;
    if (opt.sigalgs && SSL_CTX_set1_sigalgs_list(ctx, opt.sigalgs) != 1)
        return -1;
    if (opt.groups && SSL_CTX_set1_groups_list(ctx, opt.groups) != 1)
        return -1;
    return 0;
}

/* ---- the echo probe: one established connection on a thread of its own --------------- */

static struct {
    pthread_t thread;
    int fd;
    SSL *ssl;
    _Atomic int stop;
    double *rtt; /* seconds, one per round trip */
    long n, cap;
    const char *error; /* why it ended early, or NULL */
} probe = {.fd = -1};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Blocking socket with 5-second timeouts, handshake done. 0 on success. */
static int probe_connect(void)
{
    probe.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe.fd < 0)
        return -1;
    struct timeval tv = {5, 0};
    int one = 1;
    setsockopt(probe.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(probe.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    setsockopt(probe.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(probe.fd, (struct sockaddr *)&opt.addr, sizeof(opt.addr)) != 0)
        return -1;
    probe.ssl = SSL_new(ctx);
    if (!probe.ssl || SSL_set_fd(probe.ssl, probe.fd) != 1)
        return -1;
    SSL_set_tlsext_host_name(probe.ssl, "localhost");
    return SSL_connect(probe.ssl) == 1 ? 0 : -1;
}

static void sleep_until(double t)
{
    double d = t - now_s();
    if (d <= 0)
        return;
    struct timespec ts = {(time_t)d, (long)((d - (time_t)d) * 1e9)};
    nanosleep(&ts, NULL);
}

/* Every probe_every seconds: write probe_bytes, read them back, keep the time taken. */
static void *probe_main(void *arg)
{
    (void)arg;
    static unsigned char msg[16384], back[16384];
    double next = now_s();
    for (unsigned round = 0; !probe.stop; round++) {
        sleep_until(next);
        next = now_s() + opt.probe_every;
        memset(msg, 'a' + (int)(round % 26), (size_t)opt.probe_bytes);
        double t0 = now_s();
        if (SSL_write(probe.ssl, msg, (int)opt.probe_bytes) != (int)opt.probe_bytes) {
            probe.error = "write failed";
            break;
        }
        long got = 0;
        while (got < opt.probe_bytes) {
            int r = SSL_read(probe.ssl, back + got, (int)(opt.probe_bytes - got));
            if (r <= 0)
                break;
            got += r;
        }
        double rtt = now_s() - t0;
        if (got != opt.probe_bytes || memcmp(msg, back, (size_t)got) != 0) {
            probe.error = got == opt.probe_bytes ? "echo differs" : "read failed or timed out";
            break;
        }
        if (probe.n == probe.cap) {
            long cap = probe.cap ? probe.cap * 2 : 4096;
            double *p = realloc(probe.rtt, (size_t)cap * sizeof(*p));
            if (!p) {
                probe.error = "out of memory";
                break;
            }
            probe.rtt = p;
            probe.cap = cap;
        }
        probe.rtt[probe.n++] = rtt;
    }
    return NULL;
}

static void probe_report(void)
{
    if (probe.error)
        fprintf(stderr, "loadgen: echo probe: %s\n", probe.error);
    printf("@ probe.samples %ld count\n", probe.n);
    printf("@ probe.errors %d count\n", probe.error ? 1 : 0);
    if (probe.n == 0)
        return;
    qsort(probe.rtt, (size_t)probe.n, sizeof(double), cmp_double);
    double p50 = probe.rtt[(probe.n - 1) / 2];
    double p99 = probe.rtt[(long)(0.99 * (double)probe.n + 0.999999) - 1];
    double max = probe.rtt[probe.n - 1];
    printf("echo probe: %ld round trips of %ld bytes: p50 %.0f us, p99 %.0f us, max %.0f us\n",
           probe.n, opt.probe_bytes, p50 * 1e6, p99 * 1e6, max * 1e6);
    printf("@ probe.rtt_p50_us %.1f us\n", p50 * 1e6);
    printf("@ probe.rtt_p99_us %.1f us\n", p99 * 1e6);
    printf("@ probe.rtt_max_us %.1f us\n", max * 1e6);
}

/* Run the event loop until `target` connections finished (load) or are established
 * (idle), or until the deadline. */
static void run(long target, double deadline)
{
    struct epoll_event evs[256];
    long slots = opt.idle ? opt.idle : opt.conns;
    long in_flight_cap = opt.conns;
    double next_due = now_s(); /* rate mode: when the next handshake is due */
    while (now_s() < deadline) {
        long finished = n_done + n_failed;
        if (finished + n_skipped >= target)
            break;
        if (n_failed > target / 2 + 100) {
            fprintf(stderr, "loadgen: too many failures (%ld), giving up\n", n_failed);
            break;
        }
        /* Start connections while under the concurrency cap and the target (and, at a
         * fixed rate, those due by now). Idle mode keeps each connection in its own
         * slot; load mode reuses the C slots. */
        long handshaking = n_open - (opt.idle ? n_done : 0);
        long due = 0;
        if (opt.rate > 0) {
            for (double t = now_s(); next_due <= t && n_started + n_skipped + due < target;
                 next_due += 1.0 / opt.rate)
                due++;
        }
        for (long i = 0; i < slots && handshaking < in_flight_cap && n_started < target &&
                         (opt.rate <= 0 || due > 0);
             i++) {
            long k = opt.idle ? next_slot : i;
            if (k >= slots || conns[k].st != C_FREE)
                continue;
            if (opt.idle)
                next_slot++;
            due--;
            if (start(&conns[k]) == 0)
                handshaking++;
            else
                n_failed++;
        }
        n_skipped += due > 0 ? due : 0; /* due but all C connections still in flight */
        int wait_ms = 100;
        if (opt.rate > 0) {
            double ms = (next_due - now_s()) * 1000;
            wait_ms = ms <= 0 ? 0 : ms >= 100 ? 100 : (int)ms + 1;
        }
        int n = epoll_wait(ep, evs, 256, wait_ms);
        for (int i = 0; i < n; i++)
            advance(evs[i].data.ptr);
        if (opt.resume)
            ticket_timeouts(slots);
    }
}

/* Drop what the deadline cut off (neither done nor failed); how many. */
static long drop_unfinished(long slots)
{
    long cut = 0;
    for (long i = 0; i < slots; i++) {
        if (conns[i].st != C_FREE) {
            drop(&conns[i], 0);
            cut++;
        }
    }
    n_failed -= cut;
    return cut;
}

/* --resume: one full handshake per slot makes its first session, before the measurement
 * (bounded: 10 s at most); then the counters start again. Returns the slots primed. */
static long prime_sessions(void)
{
    run(opt.conns, now_s() + 10.0);
    drop_unfinished(opt.conns);
    long primed = 0;
    for (long i = 0; i < opt.conns; i++)
        primed += conns[i].session != NULL;
    n_done = n_failed = n_started = n_skipped = 0;
    n_tls13 = n_ec_cert = n_resumed = n_no_ticket = 0;
    return primed;
}

int main(int argc, char **argv)
{
    if (parse_args(argc, argv) != 0) {
        usage();
        return 2;
    }
    if (make_ctx() != 0) {
        fprintf(stderr, "loadgen: cipher, groups or sigalgs not accepted by OpenSSL\n");
        return 2;
    }
    long slots = opt.idle ? opt.idle : opt.conns;
    conns = calloc((size_t)slots, sizeof(*conns));
    ep = epoll_create1(EPOLL_CLOEXEC);
    if (!conns || ep < 0)
        return 1;
    for (long i = 0; i < slots; i++)
        conns[i].fd = -1;

    if (opt.idle) {
        long rss0 = servers_rss_kb();
        double t0 = now_s();
        run(opt.idle, t0 + opt.seconds);
        long established = n_done;
        /* Let the server settle (freeing handshake state), then sample. */
        double settle = now_s() + 1.0;
        while (now_s() < settle) {
            struct epoll_event evs[64];
            int n = epoll_wait(ep, evs, 64, 100);
            for (int i = 0; i < n; i++)
                advance(evs[i].data.ptr);
        }
        long rss1 = servers_rss_kb();
        printf("idle: %ld of %ld connections established in %.2f s (%ld failed)\n", established,
               opt.idle, now_s() - t0, n_failed);
        if (opt.n_pids && established > 0) {
            printf("server RSS %ld kB -> %ld kB: %.0f bytes per idle connection\n", rss0, rss1,
                   (rss1 - rss0) * 1024.0 / established);
            printf("@ idle.established %ld conns\n", established);
            printf("@ idle.rss_before %ld kB\n", rss0);
            printf("@ idle.rss_after %ld kB\n", rss1);
            printf("@ idle.bytes_per_conn %.0f bytes\n", (rss1 - rss0) * 1024.0 / established);
        }
        double end = now_s() + opt.hold;
        while (now_s() < end) {
            struct epoll_event evs[64];
            epoll_wait(ep, evs, 64, 100);
        }
        for (long i = 0; i < slots; i++)
            if (conns[i].fd >= 0)
                drop(&conns[i], 1);
        return established == opt.idle ? 0 : 1;
    }

    long target = opt.handshakes;
    if (opt.rate > 0)
        target = (long)(opt.rate * opt.seconds + 0.5);
    if (opt.probe) {
        if (probe_connect() != 0) {
            fprintf(stderr, "loadgen: the echo probe could not connect and handshake\n");
            return 1;
        }
        if (pthread_create(&probe.thread, NULL, probe_main, NULL) != 0)
            return 1;
    }
    long primed = opt.resume ? prime_sessions() : 0;
    double cpu0 = servers_cpu(), my0 = cpu_s(), t0 = now_s();
    run(target, t0 + opt.seconds);
    double wall = now_s() - t0, cpu1 = servers_cpu(), my1 = cpu_s();
    if (opt.probe) {
        probe.stop = 1;
        pthread_join(probe.thread, NULL);
    }
    drop_unfinished(slots);
    printf("load: %ld handshakes%s in %.2f s (%ld failed), %ld at a time: %.0f/s\n", n_done,
           opt.request ? " + requests" : "", wall, n_failed, opt.conns, n_done / wall);
    printf("@ load.handshakes %ld count\n", n_done);
    printf("@ load.failed %ld count\n", n_failed);
    printf("@ load.hs_per_s %.1f 1/s\n", n_done / wall);
    printf("@ load.client_cpu_us %.1f us\n", n_done ? (my1 - my0) * 1e6 / n_done : 0);
    printf("negotiated: %ld TLS 1.3, %ld with an ECDSA certificate\n", n_tls13, n_ec_cert);
    printf("@ load.tls13 %ld count\n", n_tls13);
    printf("@ load.ec_cert %ld count\n", n_ec_cert);
    int resumed_ok = 1;
    if (opt.resume) {
        double share = n_done ? (double)n_resumed / (double)n_done : 0;
        resumed_ok = share >= 0.95;
        printf("resumed: %ld of %ld handshakes (%.1f%%), %ld full; %ld of %ld slots primed "
               "with a session; %ld waited in vain for a TLS 1.3 ticket\n",
               n_resumed, n_done, 100 * share, n_done - n_resumed, primed, opt.conns, n_no_ticket);
        printf("@ load.resumed %ld count\n", n_resumed);
        printf("@ load.full %ld count\n", n_done - n_resumed);
        printf("@ load.resumed_share %.4f ratio\n", share);
        printf("@ load.no_ticket %ld count\n", n_no_ticket);
        printf("@ load.resumed_ok %d flag\n", resumed_ok);
    }
    if (opt.rate > 0) {
        printf("rate: %.0f handshakes/s asked, %ld skipped (%ld in flight already)\n", opt.rate,
               n_skipped, opt.conns);
        printf("@ load.rate_asked %.1f 1/s\n", opt.rate);
        printf("@ load.skipped %ld count\n", n_skipped);
    }
    if (opt.probe)
        probe_report();
    if (opt.n_pids && n_done > 0) {
        printf("server CPU %.2f s: %.0f us per handshake%s\n", cpu1 - cpu0,
               (cpu1 - cpu0) * 1e6 / n_done,
               resumed_ok ? "" : " (NOT a resumed-handshake figure: under 95% resumed)");
        printf("@ load.server_cpu_us %.1f us\n", (cpu1 - cpu0) * 1e6 / n_done);
        printf("@ load.server_cpu_share %.3f ratio\n", (cpu1 - cpu0) / wall);
    }
    for (long i = 0; i < slots; i++)
        SSL_SESSION_free(conns[i].session);
    if (probe.ssl)
        SSL_free(probe.ssl);
    if (probe.fd >= 0)
        close(probe.fd);
    free(probe.rtt);
    SSL_CTX_free(ctx);
    free(conns);
    return n_done > 0 && !probe.error ? 0 : 1;
}
