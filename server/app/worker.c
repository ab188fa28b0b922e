#include "worker.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "util/files.h"
#include "sconn.h"

#define BACKLOG 1024

/* ---- engine configuration ---------------------------------------------------------- */

/* Workspaces (~110 KB: a handshake's state and buffers) as whole pages of their own:
 * from the heap, the small allocations of idle connections would pin freed ones. Those
 * given back are kept for the next handshakes (up to WORKSPACE_CACHE, and WORKSPACE_KEEP
 * once the loop is quiet: on_workspace_trim); the rest leave the process. */
static void *workspace_get(void *ctx, size_t size)
{
    workspace_cache *c = ctx;
    c->taken++;
    if (c->n > 0 && c->size == size)
        return c->spare[--c->n];
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void workspace_put(void *ctx, void *mem, size_t size)
{
    workspace_cache *c = ctx;
    if (c->n < WORKSPACE_CACHE && (c->n == 0 || c->size == size)) {
        c->size = size;
        c->spare[c->n++] = mem; /* the engine wiped it */
        return;
    }
    munmap(mem, size);
}

static void workspace_cache_drop(workspace_cache *c)
{
    while (c->n > 0)
        munmap(c->spare[--c->n], c->size);
}

/* No handshake took a workspace since the last tick: give back all but WORKSPACE_KEEP. */
static void on_workspace_trim(uv_timer_t *t)
{
    workspace_cache *c = &((worker *)t->data)->workspaces;
    while (c->taken == 0 && c->n > WORKSPACE_KEEP)
        munmap(c->spare[--c->n], c->size);
    c->taken = 0;
}

static int add_credential(tlsflow_config *cfg, const server_ctx *srv, const credential *c)
{
    /* A token key stays in the token: the engine asks for each operation. */
    int rc = c->key_handle ? tlsflow_config_add_credential_key_handle(cfg, c->chain, c->chain_len,
                                                                      c->key_handle, c->sni)
                           : tlsflow_config_add_credential(cfg, c->chain, c->chain_len, c->key,
                                                           c->key_len, c->sni);
    if (rc != 0)
        errorf("the engine refused the certificate/key %s (%s): %s (%s)", c->source, c->kind,
               tlsflow_error_name(rc),
               srv->opts->n_creds
                   ? "check --cert/--key/--chain: an RSA or EC key and its chain, PEM"
                   : "delete the PKI directory to regenerate it");
    return rc;
}

/* Ask for client certificates that chain to the client CA. */
static int set_client_auth(tlsflow_config *cfg, const server_ctx *srv, tlsflow_client_auth mode)
{
    if (mode == TLSFLOW_CLIENT_AUTH_NONE)
        return 0;
    int rc = srv->client_ca
                 ? tlsflow_config_add_trust_anchors(cfg, srv->client_ca, srv->client_ca_len)
                 : TLSFLOW_E_CONFIG;
    if (rc == 0)
        rc = tlsflow_config_set_client_auth(cfg, mode);
    if (rc != 0)
        errorf("the engine refused the client CA%s%s: %s (PEM certificates expected)",
               srv->opts->client_ca ? " " : "", srv->opts->client_ca ? srv->opts->client_ca : "",
               tlsflow_error_name(rc));
    return rc;
}

/* Session tickets: every configuration gets the same keys, so a ticket opens whichever
 * loop the next connection lands on (the engine refuses tickets by itself where a client
 * certificate is asked for, and takes a ticket only for the SNI name it was made for). */
static int set_tickets(tlsflow_config *cfg, const server_ctx *srv)
{
    const server_opts *o = srv->opts;
    if (!srv->n_ticket_keys)
        return 0;
    int rc = tlsflow_config_set_ticket_keys(cfg, srv->ticket_keys, srv->n_ticket_keys);
    if (rc == 0)
        rc = tlsflow_config_set_ticket_policy(cfg, o->ticket_lifetime, o->tickets13);
    if (rc != 0)
        errorf("the engine refused the session ticket settings: %s", tlsflow_error_name(rc));
    return rc;
}

/* The configuration for every name (site NULL) or for one site of the local PKI:
 * classic.localhost takes TLS 1.2 with RSA key transport only, mtls.localhost the
 * default versions and suites with a client certificate required. */
static tlsflow_config *make_config(server_ctx *srv, workspace_cache *cache, const site_info *st,
                                   const credential *site_cred)
{
    const server_opts *o = srv->opts;
    tlsflow_config *cfg = tlsflow_config_new(TLSFLOW_SERVER);
    if (!cfg) {
        errorf("out of memory creating the engine configuration");
        return NULL;
    }
    /* Only this worker's loop drives its connections: one DRBG for all of them. */
    if (tlsflow_config_set_one_thread(cfg, 1) != 0) {
        errorf("out of memory creating the engine configuration");
        tlsflow_config_free(cfg);
        return NULL;
    }
    tlsflow_config_set_release_idle_buffers(cfg, 1); /* idle keep-alive: a few KiB each */
    /* The pages show the ClientHello on every request, after any release: the connection
     * keeps it packed (sconn.c keep_client_hello), not the engine at its 832 bytes. */
    tlsflow_config_set_keep_client_hello(cfg, 0);
    tlsflow_config_set_workspace_allocator(cfg, workspace_get, workspace_put, cache);
    int rc = 0;
    for (size_t i = 0; !st && rc == 0 && i < srv->creds->n; i++)
        rc = add_credential(cfg, srv, &srv->creds->creds[i]);
    if (st && rc == 0)
        rc = add_credential(cfg, srv, site_cred);
    if (o->key_threads)
        tlsflow_config_set_key_offload(cfg, 1); /* keys in files on the pool too */
    uint16_t suites[64];
    size_t n_suites = server_opts_suites(o, suites, sizeof(suites) / sizeof(suites[0]));
    uint16_t min = o->min_version, max = o->max_version;
    tlsflow_client_auth auth = (tlsflow_client_auth)o->client_auth;
    if (st && st->kind == SITE_CLASSIC) {
        static const uint16_t rsa_kx[] = {TLSFLOW_RSA_WITH_AES_128_GCM_SHA256,
                                          TLSFLOW_RSA_WITH_AES_256_GCM_SHA384};
        memcpy(suites, rsa_kx, sizeof(rsa_kx));
        n_suites = 2;
        min = max = TLSFLOW_VERSION_TLS12;
        auth = TLSFLOW_CLIENT_AUTH_NONE;
    } else if (st && st->kind == SITE_MTLS) {
        auth = TLSFLOW_CLIENT_AUTH_REQUIRED;
    }
    if (rc == 0 && (rc = tlsflow_config_set_cipher_suites(cfg, suites, n_suites)) != 0)
        errorf("the engine refused the cipher suite list: %s", tlsflow_error_name(rc));
    if (rc == 0 && (rc = tlsflow_config_set_versions(cfg, min, max)) != 0)
        errorf("the engine refused the version range: %s", tlsflow_error_name(rc));
    if (rc == 0)
        rc = set_client_auth(cfg, srv, auth);
    if (rc == 0)
        rc = set_tickets(cfg, srv);
    if (rc != 0) {
        tlsflow_config_free(cfg);
        return NULL;
    }
    if (!o->echo) {
        /* Both, so that a client offering only http/1.0 (curl --http1.0) is served. */
        static const char *const alpn[] = {"http/1.1", "http/1.0"};
        tlsflow_config_set_alpn(cfg, alpn, 2);
    }
    tlsflow_config_set_trace(cfg, sconn_trace_cb, NULL);
    if (srv->keylog.fd >= 0)
        tlsflow_config_set_keylog(cfg, sconn_keylog_cb, &srv->keylog);
    return cfg;
}

static void free_configs(worker *w)
{
    if (w->cfg)
        tlsflow_config_free(w->cfg);
    w->cfg = NULL;
    for (unsigned i = 0; i < w->n_sites; i++)
        tlsflow_config_free(w->site_cfg[i]);
    w->n_sites = 0;
}

static int make_configs(worker *w)
{
    server_ctx *srv = w->srv;
    w->cfg = make_config(srv, &w->workspaces, NULL, NULL);
    if (!w->cfg)
        return -1;
    size_t n;
    const site_info *sites = site_list(&n);
    for (size_t i = 0; i < srv->creds->n_sites && i < n; i++) {
        tlsflow_config *cfg =
            make_config(srv, &w->workspaces, &sites[i], &srv->creds->site_creds[i]);
        if (!cfg)
            return -1;
        w->site_cfg[w->n_sites] = cfg;
        w->site_name[w->n_sites++] = sites[i].name;
    }
    return 0;
}

/* ---- listeners --------------------------------------------------------------------- */

static void on_connection(uv_stream_t *listener, int status)
{
    worker *w = listener->data;
    if (status < 0)
        return; /* e.g. EMFILE: libuv keeps the listener and we try again later */
    sconn_accept(w, listener);
}

static void addr_text(const struct sockaddr *sa, char *out, size_t cap)
{
    char host[NI_MAXHOST], port[NI_MAXSERV];
    socklen_t len =
        sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (getnameinfo(sa, len, host, sizeof(host), port, sizeof(port),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(out, cap, "?");
        return;
    }
    snprintf(out, cap, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
}

/* Bind and listen on one address; *bound receives the address with its real port. */
static int listen_one(worker *w, const struct sockaddr *sa, struct sockaddr_storage *bound)
{
    char label[128];
    addr_text(sa, label, sizeof(label));
    if (w->n_listeners == MAX_BOUND) {
        errorf("too many listening addresses (at most %d)", MAX_BOUND);
        return -1;
    }
    int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        errorf("cannot listen on %s: %s", label, strerror(errno));
        return -1;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    /* Only with several loops: otherwise a second server on the port must fail. */
    if (w->srv->opts->threads > 1)
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    if (sa->sa_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    socklen_t len =
        sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (bind(fd, sa, len) != 0) {
        errorf("cannot listen on %s: %s", label, strerror(errno));
        close(fd);
        return -1;
    }
    uv_tcp_t *t = &w->listeners[w->n_listeners];
    uv_tcp_init(&w->loop, t);
    t->data = w;
    int rc = uv_tcp_open(t, fd);
    if (rc == 0)
        rc = uv_listen((uv_stream_t *)t, BACKLOG, on_connection);
    w->n_listeners++; /* closed by worker_stop either way */
    if (rc != 0) {
        errorf("cannot listen on %s: %s", label, uv_strerror(rc));
        return -1;
    }
    socklen_t blen = sizeof(*bound);
    getsockname(fd, (struct sockaddr *)bound, &blen);
    return 0;
}

static int listen_resolved(worker *w)
{
    server_ctx *srv = w->srv;
    for (unsigned i = 0; i < srv->opts->n_listen; i++) {
        const hostport *hp = &srv->opts->listen[i];
        struct addrinfo hints, *res;
        memset(&hints, 0, sizeof(hints));
        hints.ai_socktype = SOCK_STREAM;
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
        int rc = getaddrinfo(hp->host, hp->port, &hints, &res);
        if (rc != 0) {
            errorf("cannot resolve --listen host '%s': %s", hp->host, gai_strerror(rc));
            return -1;
        }
        uint16_t chosen = 0; /* port 0: every address of this name gets the first's port */
        for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
            if (chosen && ai->ai_family == AF_INET)
                ((struct sockaddr_in *)ai->ai_addr)->sin_port = chosen;
            else if (chosen && ai->ai_family == AF_INET6)
                ((struct sockaddr_in6 *)ai->ai_addr)->sin6_port = chosen;
            if (srv->n_bound == MAX_BOUND ||
                listen_one(w, ai->ai_addr, &srv->bound[srv->n_bound]) != 0) {
                freeaddrinfo(res);
                return -1;
            }
            const struct sockaddr_storage *b = &srv->bound[srv->n_bound++];
            if (!chosen)
                chosen = b->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)b)->sin6_port
                                                  : ((const struct sockaddr_in *)b)->sin_port;
        }
        freeaddrinfo(res);
    }
    return 0;
}

static int listen_same(worker *w)
{
    struct sockaddr_storage ignored;
    for (unsigned i = 0; i < w->srv->n_bound; i++)
        if (listen_one(w, (const struct sockaddr *)&w->srv->bound[i], &ignored) != 0)
            return -1;
    return 0;
}

/* ---- lifecycle --------------------------------------------------------------------- */

static void on_stop_async(uv_async_t *a)
{
    worker_stop(a->data);
}

int worker_init(worker *w, server_ctx *srv, int first)
{
    memset(w, 0, sizeof(*w));
    w->srv = srv;
    if (uv_loop_init(&w->loop) != 0) {
        errorf("cannot create an event loop");
        return -1;
    }
    uv_async_init(&w->loop, &w->stop, on_stop_async);
    w->stop.data = w;
    uv_timer_init(&w->loop, &w->workspace_trim);
    w->workspace_trim.data = w;
    uv_timer_start(&w->workspace_trim, on_workspace_trim, WORKSPACE_TRIM_MS, WORKSPACE_TRIM_MS);
    uv_unref((uv_handle_t *)&w->workspace_trim);
    if (make_configs(w) != 0 || (first ? listen_resolved(w) : listen_same(w)) != 0) {
        worker_stop(w);
        uv_run(&w->loop, UV_RUN_DEFAULT); /* let the closes finish */
        uv_loop_close(&w->loop);
        free_configs(w);
        workspace_cache_drop(&w->workspaces);
        return -1;
    }
    return 0;
}

static worker *signal_workers;
static unsigned n_signal_workers;

static void on_signal(uv_signal_t *s, int signum)
{
    (void)s;
    worker *self = s->data;
    if (self->stopping) {
        fprintf(stderr, "tlsflow-server: second %s, stopping now\n",
                signum == SIGINT ? "SIGINT" : "SIGTERM");
        _exit(1);
    }
    fprintf(stderr, "tlsflow-server: %s, closing connections and stopping\n",
            signum == SIGINT ? "SIGINT" : "SIGTERM");
    for (unsigned i = 0; i < n_signal_workers; i++)
        if (&signal_workers[i] != self)
            worker_stop_async(&signal_workers[i]);
    worker_stop(self);
}

int worker_watch_signals(worker *w, worker *all, unsigned n_all)
{
    signal_workers = all;
    n_signal_workers = n_all;
    uv_signal_init(&w->loop, &w->sigint);
    uv_signal_init(&w->loop, &w->sigterm);
    w->sigint.data = w->sigterm.data = w;
    w->has_signals = 1;
    if (uv_signal_start(&w->sigint, on_signal, SIGINT) != 0 ||
        uv_signal_start(&w->sigterm, on_signal, SIGTERM) != 0) {
        errorf("cannot watch SIGINT/SIGTERM");
        return -1;
    }
    return 0;
}

void worker_stop(worker *w)
{
    if (w->stopping)
        return;
    w->stopping = 1;
    for (unsigned i = 0; i < w->n_listeners; i++)
        uv_close((uv_handle_t *)&w->listeners[i], NULL);
    if (w->has_signals) {
        uv_close((uv_handle_t *)&w->sigint, NULL);
        uv_close((uv_handle_t *)&w->sigterm, NULL);
    }
    uv_close((uv_handle_t *)&w->stop, NULL);
    uv_close((uv_handle_t *)&w->workspace_trim, NULL);
    /* Connections unlink themselves only in their close callbacks, so this walk
     * stays valid while each one starts closing. */
    for (sconn *c = w->conns; c; c = c->next)
        sconn_shutdown(c);
}

void worker_stop_async(worker *w)
{
    uv_async_send(&w->stop);
}

void worker_run(worker *w)
{
    uv_run(&w->loop, UV_RUN_DEFAULT);
    uv_loop_close(&w->loop);
    free_configs(w);
    workspace_cache_drop(&w->workspaces);
}
