/* tlsflow-server: a TLS 1.3 and 1.2 test server that embeds the tlsflow engine in a
 * libuv event loop. This file wires the pieces together and prints what to try.
 *
 * One loop per core: --threads N (or auto) runs N loops, each with its own
 * listeners on the same addresses (SO_REUSEPORT) and its own engine configuration,
 * so nothing mutable is shared but an atomic connection count. What is left: the
 * default stays one loop (a second server started by mistake on the same port
 * would otherwise silently share it, and one loop is plenty for a test server); the
 * kernel spreads connections by address hash, so a few clients can land on one
 * loop; and a connection never moves between loops. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/ecc.h>

#include "util/files.h"
#include "util/hostport.h"
#include "keys/p11.h"
#include "pki/local_pki.h"
#include "server_cli.h"
#include "worker.h"

static const char *version_text(uint16_t v)
{
    return v == TLSFLOW_VERSION_TLS13 ? "1.3" : "1.2";
}

static void print_try(const server_opts *o, const cred_set *creds, unsigned port)
{
    const char *d = o->pki_dir;
    printf("\nTry:\n");
    if (o->echo) {
        printf("  openssl s_client -connect localhost:%u -CAfile %s/ca.pem\n", port, d);
        return;
    }
    printf("  curl --cacert %s/ca.pem https://localhost:%u/\n", d, port);
    printf("  curl --cacert %s/ca.pem https://localhost:%u/json\n", d, port);
    printf("  openssl s_client -connect localhost:%u -CAfile %s/ca.pem\n", port, d);
    printf("  tlsflow-client localhost:%u --ca %s/ca.pem --get /\n", port, d);
    printf("  a browser: https://localhost:%u/ after importing %s/ca.pem as a CA\n", port, d);
    if (!creds->n_sites)
        return;
    printf("\nThe classic flow (TLS 1.2, RSA key transport), one name away:\n");
    printf("  curl --cacert %s/ca.pem --resolve classic.localhost:%u:127.0.0.1 "
           "https://classic.localhost:%u/\n",
           d, port, port);
    printf("\nMutual TLS: mtls.localhost requires a client certificate (%s/client.pem, from "
           "%s/client-ca.pem):\n",
           d, d);
    printf("  curl --cacert %s/ca.pem --cert %s/client.pem --key %s/client.key "
           "--resolve mtls.localhost:%u:127.0.0.1 https://mtls.localhost:%u/\n",
           d, d, d, port, port);
    printf("  openssl s_client -connect 127.0.0.1:%u -servername mtls.localhost -CAfile "
           "%s/ca.pem -cert %s/client.pem -key %s/client.key\n",
           port, d, d, d);
}

static void print_banner(const server_opts *o, const server_ctx *srv, const cred_set *creds)
{
    unsigned port = 0;
    printf("tlsflow-server %s: TLS %s%s%s, %s\n", TLSFLOW_VERSION_STRING,
           version_text(o->max_version), o->min_version != o->max_version ? " and " : "",
           o->min_version != o->max_version ? version_text(o->min_version) : "",
           o->echo ? "raw TLS echo" : "HTTP/1.1");
    for (unsigned i = 0; i < srv->n_bound; i++) {
        char name[HOSTPORT_TEXT_MAX];
        unsigned p = hostport_format((const struct sockaddr *)&srv->bound[i], name, sizeof(name));
        printf("listening on %s\n", name);
        if (!port)
            port = p;
    }
    if (o->threads > 1)
        printf("%u event loops sharing the port (SO_REUSEPORT)\n", o->threads);
    if (o->key_threads || o->n_token_keys)
        printf("private-key operations: on libuv's thread pool (%s threads%s), off the event "
               "loop%s\n",
               getenv("UV_THREADPOOL_SIZE") ? getenv("UV_THREADPOOL_SIZE") : "4",
               o->key_threads ? ", --key-threads" : "",
               o->key_threads ? "" : " (keys in files: on the loop)");
    if (o->no_tickets)
        printf("session tickets: off (--no-tickets): every handshake is a full one\n");
    else
        printf("session tickets: %zu key%s %s; valid %u s; %u per TLS 1.3 handshake%s\n",
               srv->n_ticket_keys, srv->n_ticket_keys == 1 ? "" : "s",
               o->ticket_key_file ? "from the --ticket-key-file" : "(random, made now)",
               o->ticket_lifetime, o->tickets13,
               o->client_auth != TLSFLOW_CLIENT_AUTH_NONE ? " (none while client certificates "
                                                            "are asked for)"
                                                          : "");
    if (o->client_auth != TLSFLOW_CLIENT_AUTH_NONE)
        printf("client certificates: %s, from %s\n",
               o->client_auth == TLSFLOW_CLIENT_AUTH_REQUIRED ? "required" : "asked for",
               o->client_ca ? o->client_ca : "the local client CA");
    if (!creds->local) {
        for (size_t i = 0; i < creds->n; i++) {
            const credential *c = &creds->creds[i];
            printf("certificate: %s (%s, %s%s)%s%s\n", c->source, c->kind,
                   c->sni ? "for SNI " : "default", c->sni ? c->sni : "",
                   c->key_handle ? ", key in " : "", c->key_handle ? c->key_where : "");
        }
        fflush(stdout);
        return;
    }
    const char *d = o->pki_dir;
    printf("local CA: %s/ca.pem (%s)\n", d, creds->created ? "created now" : "reused");
    /* The unnamed credentials serve localhost; the suite picks RSA or EC among them. */
    printf("certificates for localhost:");
    for (size_t i = 0, k = 0; i < creds->n; i++)
        if (!creds->creds[i].sni)
            printf("%s %s/%s (%s)", k++ ? "," : "", d, creds->creds[i].source,
                   creds->creds[i].kind);
    printf("\n");
    size_t n;
    const site_info *st = site_list(&n);
    for (size_t i = 0; i < creds->n_sites && i < n; i++)
        printf("site %s: %s/%s; %s\n", st[i].name, d, creds->site_creds[i].source, st[i].what);
    printf("client certificate: %s/client.pem, %s/client.key (issued by %s/client-ca.pem)\n", d, d,
           d);
    print_try(o, creds, port);
    const scenario *s = scenario_list(&n);
    printf("\nScenarios, picked by SNI; each must fail verification:\n");
    for (size_t i = 0; i < n; i++)
        printf("  curl --cacert %s/ca.pem --resolve %s:%u:127.0.0.1 https://%s:%u/\n"
               "      -> %s\n",
               d, s[i].name, port, s[i].name, port, s[i].expect);
    printf("\nCtrl-C stops the server.\n");
    fflush(stdout);
}

/* Each connection is one descriptor: lift the soft limit towards --max-conns so the
 * cap, not EMFILE, is what a busy server meets first. */
static void raise_fd_limit(unsigned max_conns)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return;
    rlim_t want = (rlim_t)max_conns + 64; /* listeners, logs, the loop's own */
    if (rl.rlim_max != RLIM_INFINITY && want > rl.rlim_max)
        want = rl.rlim_max;
    if (want > rl.rlim_cur) {
        rl.rlim_cur = want;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)max_conns + 64)
        fprintf(stderr,
                "tlsflow-server: note: only %llu file descriptors allowed (ulimit -n); "
                "fewer than --max-conns %u connections fit\n",
                (unsigned long long)rl.rlim_cur, max_conns);
}

/* Close the token's sessions and unload its module, if a key came from one. */
static void keys_shutdown(void)
{
#ifdef TLSFLOW_HAVE_PKCS11
    p11_shutdown();
#endif
}

#ifdef TLSFLOW_HAVE_PKCS11
/* creds_load's hook for a --pkcs11-key: find the key in the token, prove it matches. */
static int resolve_token_key(void *ctx, const cred_files *f, credential *c)
{
    p11_key *key;
    p11_key_info info;
    if (p11_key_load(ctx, f->token_key, f->cert, c->chain, c->chain_len, &key, &info) != 0)
        return -1;
    c->key_handle = key;
    c->ec = info.is_ec;
    snprintf(c->kind, sizeof(c->kind), "%s", info.kind);
    snprintf(c->key_where, sizeof(c->key_where), "%s", info.where);
    return 0;
}
#endif

static void thread_main(void *arg)
{
    worker_run(arg);
#ifdef FP_ECC
    /* wolfCrypt keeps its ECC fixed-point cache per thread (FP_ECC with HAVE_THREAD_LS, as in
     * Debian's build): a thread that ends frees its own, else its points leak. */
    wc_ecc_fp_free();
#endif
}

int main(int argc, char **argv)
{
    files_set_program("tlsflow-server");
    server_opts opts;
    int rc = server_cli_parse(argc, argv, &opts);
    if (rc != 0)
        return rc > 0 ? 0 : 2;
    signal(SIGPIPE, SIG_IGN); /* a peer that vanishes mid-write is a socket error, not death */
    if (opts.key_threads) {
        /* libuv sizes its pool at the first uv_queue_work, from the environment: this
         * must come before any loop runs. */
        char n[16];
        snprintf(n, sizeof(n), "%u", opts.key_threads);
        setenv("UV_THREADPOOL_SIZE", n, 1);
    }
    raise_fd_limit(opts.max_conns);

    static server_ctx srv;
    srv.opts = &opts;
    if (sink_open(&srv.keylog, opts.keylog, "key log file") != 0 ||
        sink_open(&srv.log, opts.log, "--log file") != 0)
        return 1;
    /* One set of ticket keys for every loop (each configuration copies it). */
    if (!opts.no_tickets) {
        int bad = opts.ticket_key_file
                      ? ticket_keys_load(opts.ticket_key_file, srv.ticket_keys, &srv.n_ticket_keys)
                      : ticket_keys_random(&srv.ticket_keys[0]);
        if (bad)
            return 1;
        if (!opts.ticket_key_file)
            srv.n_ticket_keys = 1;
    }

    cred_set creds;
    if (opts.n_creds == 0) {
        char ca[4096];
        snprintf(ca, sizeof(ca), "%s/ca.pem", opts.pki_dir);
        if (!file_exists(ca)) {
            printf("creating a local CA and certificates in %s/ (once) ...\n", opts.pki_dir);
            fflush(stdout);
        }
    }
    cred_key_resolver resolve = NULL;
    void *resolve_ctx = NULL;
#ifdef TLSFLOW_HAVE_PKCS11
    p11_defaults p11 = {.module = opts.pkcs11_module,
                        .token = opts.pkcs11_token,
                        .pin = opts.pkcs11_pin,
                        .need_decrypt = server_opts_rsa_kx(&opts)};
    resolve = resolve_token_key;
    resolve_ctx = &p11;
#endif
    if (creds_load(opts.creds, opts.n_creds, opts.pki_dir, resolve, resolve_ctx, &creds) != 0) {
        keys_shutdown();
        return 1;
    }
    srv.creds = &creds;
    uint8_t *client_ca = NULL;
    if (opts.client_ca) {
        size_t len;
        if (file_read_all(opts.client_ca, 1 << 20, "--client-ca file", &client_ca, &len) != 0) {
            creds_free(&creds);
            keys_shutdown();
            return 1;
        }
        srv.client_ca = client_ca;
        srv.client_ca_len = len;
    } else if (creds.client_ca) {
        srv.client_ca = creds.client_ca;
        srv.client_ca_len = creds.client_ca_len;
    }

    static worker workers[MAX_WORKERS];
    unsigned n = opts.threads;
    for (unsigned i = 0; i < n; i++) {
        if (worker_init(&workers[i], &srv, i == 0) != 0) {
            for (unsigned j = 0; j < i; j++) {
                worker_stop(&workers[j]);
                worker_run(&workers[j]);
            }
            creds_free(&creds);
            free(client_ca);
            keys_shutdown();
            return 1;
        }
    }
    /* Every configuration holds its copy now. */
    ticket_keys_wipe(srv.ticket_keys, TICKET_KEYS_MAX);
    if (worker_watch_signals(&workers[0], workers, n) != 0)
        return 1;
    print_banner(&opts, &srv, &creds);
    for (unsigned i = 1; i < n; i++) {
        if (uv_thread_create(&workers[i].thread, thread_main, &workers[i]) != 0) {
            errorf("cannot start event loop thread %u", i);
            return 1;
        }
    }
    worker_run(&workers[0]);
    for (unsigned i = 1; i < n; i++)
        uv_thread_join(&workers[i].thread);
    keys_shutdown(); /* every loop has ended: no key operation runs */
    creds_free(&creds);
    free(client_ca);
    sink_close(&srv.keylog);
    sink_close(&srv.log);
    if (srv.n_refused)
        fprintf(stderr, "tlsflow-server: %lu connections refused over --max-conns\n",
                (unsigned long)srv.n_refused);
    fprintf(stderr, "tlsflow-server: stopped\n");
    return 0;
}
