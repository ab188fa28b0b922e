/* OpenSSL's libssl client against OpenSSL's libssl server, in memory (BIO pairs). The
 * client verifies the chain and the host name, as ours does; no session cache, no
 * tickets: every handshake is a full one. Buffers are released while idle, as nginx
 * configures OpenSSL. Resumed handshakes use a second pair of contexts with stateless
 * tickets and no session cache on either side, as tlsflow resumes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "bench_peers.h"

#define MAX_STEPS     200
#define BIO_PAIR_SIZE (64 * 1024)

static void *ossl_malloc(size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    return peer_count_alloc(n);
}

static void *ossl_realloc(void *p, size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    return peer_count_realloc(p, n);
}

static void ossl_free(void *p, const char *file, int line)
{
    (void)file;
    (void)line;
    peer_count_free(p);
}

void peer_ossl_hook_memory(void)
{
    CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free);
}

const char *peer_ossl_version(void)
{
    return OpenSSL_version(OPENSSL_VERSION);
}

typedef struct {
    SSL_CTX *cctx, *sctx;
    /* Resumption: contexts with tickets, and the newest session of the client. */
    SSL_CTX *tix_cctx, *tix_sctx;
    SSL_SESSION *session;
    int tls13;
} ossl_ctx;

typedef struct {
    SSL *ssl;
    BIO *net; /* the benchmark's end of this side's BIO pair */
    uint64_t ns;
    int done;
} ossl_side;

static int use_pem_pair(SSL_CTX *ctx, const bench_blob *cert, const bench_blob *key)
{
    BIO *b = BIO_new_mem_buf(cert->p, (int)cert->len);
    X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    b = BIO_new_mem_buf(key->p, (int)key->len);
    EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    int ok = x && k && SSL_CTX_use_certificate(ctx, x) == 1 && SSL_CTX_use_PrivateKey(ctx, k) == 1;
    X509_free(x);
    EVP_PKEY_free(k);
    return ok ? 0 : -1;
}

/* tickets 0: every handshake full. tickets 1: resumable only through tickets, as tlsflow:
 * no session cache on either side (the client keeps its session itself), TLS 1.2 tickets
 * (with the extended master secret, OpenSSL's default), TLS 1.3 stateless tickets with
 * psk_dhe_ke only (no SSL_OP_ALLOW_NO_DHE_KEX: a resumption still makes an x25519 secret). */
static SSL_CTX *make_ctx(int server, const bench_suite *s, const bench_fx *fx, int tickets)
{
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (!ctx)
        return NULL;
    int v = s->tls13 ? TLS1_3_VERSION : TLS1_2_VERSION;
    int ok = SSL_CTX_set_min_proto_version(ctx, v) == 1 &&
             SSL_CTX_set_max_proto_version(ctx, v) == 1 &&
             (s->tls13 ? SSL_CTX_set_ciphersuites(ctx, s->ossl)
                       : SSL_CTX_set_cipher_list(ctx, s->ossl)) == 1 &&
             SSL_CTX_set1_groups_list(ctx, s->tls13 ? "X25519" : "X25519:P-256") == 1;
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    if (tickets) {
        SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET | SSL_OP_ALLOW_NO_DHE_KEX);
    } else {
        SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
        if (server)
            SSL_CTX_set_num_tickets(ctx, 0); /* TLS 1.3: no NewSessionTicket (ours sends none) */
    }
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (ok && server) {
        ok = use_pem_pair(ctx, s->ecdsa ? &fx->ec_cert : &fx->rsa_cert,
                          s->ecdsa ? &fx->ec_key : &fx->rsa_key) == 0;
    } else if (ok) {
        BIO *b = BIO_new_mem_buf(fx->ca.p, (int)fx->ca.len);
        X509 *ca = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
        BIO_free(b);
        ok = ca && X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca) == 1;
        X509_free(ca);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    }
    if (!ok) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static void *ossl_open(const bench_suite *s, const bench_fx *fx, char *note, size_t len)
{
    if (s->ecdsa && !fx->ec_cert.p) {
        snprintf(note, len, "no EC fixture");
        return NULL;
    }
    ossl_ctx *x = calloc(1, sizeof(*x));
    if (x) {
        x->tls13 = s->tls13;
        x->cctx = make_ctx(0, s, fx, 0);
        x->sctx = make_ctx(1, s, fx, 0);
        x->tix_cctx = make_ctx(0, s, fx, 1);
        x->tix_sctx = make_ctx(1, s, fx, 1);
    }
    if (!x || !x->cctx || !x->sctx || !x->tix_cctx || !x->tix_sctx) {
        unsigned long e = ERR_get_error();
        char buf[120];
        ERR_error_string_n(e, buf, sizeof(buf));
        snprintf(note, len, "context: %s", e ? buf : "failed");
        ERR_clear_error();
        if (x) {
            SSL_CTX_free(x->cctx);
            SSL_CTX_free(x->sctx);
            SSL_CTX_free(x->tix_cctx);
            SSL_CTX_free(x->tix_sctx);
        }
        free(x);
        return NULL;
    }
    return x;
}

static void ossl_close(void *ctx)
{
    ossl_ctx *x = ctx;
    SSL_SESSION_free(x->session);
    SSL_CTX_free(x->cctx);
    SSL_CTX_free(x->sctx);
    SSL_CTX_free(x->tix_cctx);
    SSL_CTX_free(x->tix_sctx);
    free(x);
}

/* A client and a server SSL over BIO pairs; the client offers `offer` (NULL: none). */
static int pair_new_in(SSL_CTX *cctx, SSL_CTX *sctx, SSL_SESSION *offer, ossl_side *c,
                       ossl_side *sv)
{
    BIO *cb = NULL, *sb = NULL;
    memset(c, 0, sizeof(*c));
    memset(sv, 0, sizeof(*sv));
    peer_side = 0; /* transport: not charged to either side */
    if (BIO_new_bio_pair(&cb, BIO_PAIR_SIZE, &c->net, BIO_PAIR_SIZE) != 1 ||
        BIO_new_bio_pair(&sb, BIO_PAIR_SIZE, &sv->net, BIO_PAIR_SIZE) != 1)
        return -1;
    peer_side = 1;
    PEER_TIMED(c->ns, {
        c->ssl = SSL_new(cctx);
        if (c->ssl) {
            SSL_set_bio(c->ssl, cb, cb);
            SSL_set_connect_state(c->ssl);
            SSL_set_tlsext_host_name(c->ssl, "localhost");
            SSL_set1_host(c->ssl, "localhost");
            if (offer && SSL_set_session(c->ssl, offer) != 1) {
                SSL_free(c->ssl);
                c->ssl = NULL;
            }
        }
    });
    peer_side = 2;
    PEER_TIMED(sv->ns, {
        sv->ssl = SSL_new(sctx);
        if (sv->ssl) {
            SSL_set_bio(sv->ssl, sb, sb);
            SSL_set_accept_state(sv->ssl);
        }
    });
    peer_side = 0;
    return c->ssl && sv->ssl ? 0 : -1;
}

static int pair_new(ossl_ctx *x, ossl_side *c, ossl_side *sv)
{
    return pair_new_in(x->cctx, x->sctx, NULL, c, sv);
}

static void pair_free(ossl_side *c, ossl_side *sv)
{
    PEER_TIMED(c->ns, SSL_free(c->ssl));
    PEER_TIMED(sv->ns, SSL_free(sv->ssl));
    BIO_free(c->net);
    BIO_free(sv->net);
    c->ssl = sv->ssl = NULL;
    c->net = sv->net = NULL;
}

/* Move what `from` wrote into `to`'s transport (outside the timed calls). */
static void carry(ossl_side *from, ossl_side *to)
{
    char buf[16384];
    int n;
    while ((n = BIO_read(from->net, buf, sizeof(buf))) > 0)
        BIO_write(to->net, buf, n);
}

static int step_handshake(ossl_side *x, int who)
{
    if (x->done)
        return 0;
    int r;
    peer_side = who;
    PEER_TIMED(x->ns, r = SSL_do_handshake(x->ssl));
    peer_side = 0;
    if (r == 1) {
        x->done = 1;
        return 0;
    }
    int e = SSL_get_error(x->ssl, r);
    return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

static int handshake(ossl_side *c, ossl_side *sv)
{
    for (int i = 0; i < MAX_STEPS && !(c->done && sv->done); i++) {
        if (step_handshake(c, 1) || step_handshake(sv, 2))
            break;
        carry(c, sv);
        carry(sv, c);
    }
    if (c->done && sv->done)
        return 0;
    ERR_print_errors_fp(stderr);
    return -1;
}

static int ossl_handshakes(void *ctx, double seconds, long max, peer_samples *out)
{
    ossl_ctx *x = ctx;
    bench_loop l;
    bench_loop_init(&l, 1, max, seconds);
    while (bench_loop_next(&l)) {
        ossl_side c, sv;
        int bad = pair_new(x, &c, &sv) || handshake(&c, &sv);
        pair_free(&c, &sv);
        if (bad || peer_samples_add(out, c.ns / 1e3, sv.ns / 1e3))
            return bad ? -1 : 0;
    }
    return 0;
}

static int ossl_records(void *ctx, double seconds, long max, peer_samples *out)
{
    ossl_ctx *x = ctx;
    static unsigned char data[16384], in[16384];
    ossl_side c, sv;
    int rc = -1;
    if (pair_new(x, &c, &sv) || handshake(&c, &sv))
        goto done;
    bench_loop l;
    bench_loop_init(&l, 1, max, seconds);
    while (bench_loop_next(&l)) {
        uint64_t seal = 0, open = 0;
        int w;
        PEER_TIMED(seal, w = SSL_write(c.ssl, data, sizeof(data)));
        if (w != (int)sizeof(data))
            goto done;
        carry(&c, &sv);
        size_t got = 0;
        for (int k = 0; k < 8 && got < sizeof(data); k++) {
            int rd;
            PEER_TIMED(open, rd = SSL_read(sv.ssl, in, sizeof(in)));
            if (rd <= 0)
                break;
            got += (size_t)rd;
        }
        if (got != sizeof(data))
            goto done;
        if (peer_samples_add(out, seal / 1e3, open / 1e3))
            break;
    }
    rc = 0;
done:
    pair_free(&c, &sv);
    return rc;
}

static int ossl_idle(void *ctx, double *client, double *server, char *group, size_t len)
{
    ossl_ctx *x = ctx;
    ossl_side c, sv;
    for (int round = 0; round < 2; round++) { /* the first warms up lazy initialisation */
        long long base1 = peer_live[1], base2 = peer_live[2];
        int bad = pair_new(x, &c, &sv) || handshake(&c, &sv);
        if (!bad) {
            *client = (double)(peer_live[1] - base1);
            *server = (double)(peer_live[2] - base2);
            int nid = SSL_get_negotiated_group(sv.ssl);
            const char *g = nid > 0 ? OBJ_nid2sn(nid) : NULL;
            snprintf(group, len, "%s", g && SSL_get_current_cipher(sv.ssl) ? g : "");
            if (strstr(SSL_get_cipher_name(sv.ssl), "ECDHE") == NULL)
                group[0] = 0;
        }
        pair_free(&c, &sv);
        if (bad)
            return -1;
    }
    return 0;
}

/* ---- resumed handshakes ------------------------------------------------------------- */

/* One handshake offering x->session (none when NULL); the client's session afterwards
 * replaces it (in TLS 1.3 once the client has read the server's NewSessionTicket, which
 * OpenSSL's server writes right after the handshake). 1 if both sides resumed, 0 if not,
 * -1 on failure. */
static int ossl_one_resumed(ossl_ctx *x, ossl_side *c, ossl_side *sv)
{
    int rc = -1;
    if (pair_new_in(x->tix_cctx, x->tix_sctx, x->session, c, sv) || handshake(c, sv))
        goto done;
    if (x->tls13) {
        char b;
        int r;
        peer_side = 1;
        PEER_TIMED(c->ns, r = SSL_read(c->ssl, &b, 1));
        peer_side = 0;
        if (r > 0 || SSL_get_error(c->ssl, r) != SSL_ERROR_WANT_READ)
            goto done;
    } else if (SSL_get_extms_support(c->ssl) != 1) {
        fprintf(stderr, "openssl: no extended master secret\n");
        goto done;
    }
    SSL_SESSION *newest;
    peer_side = 1;
    PEER_TIMED(c->ns, {
        newest = SSL_get1_session(c->ssl);
        SSL_SESSION_free(x->session);
        x->session = newest;
    });
    peer_side = 0;
    if (!newest || !SSL_SESSION_is_resumable(newest)) {
        fprintf(stderr, "openssl: no resumable session after a handshake\n");
        goto done;
    }
    rc = SSL_session_reused(c->ssl) == 1 && SSL_session_reused(sv->ssl) == 1;
    /* SSL_free marks the session not resumable unless the connection was shut down: say
     * it was, without the close_notify that tlsflow's side does not send either. */
    peer_side = 1;
    PEER_TIMED(c->ns, SSL_set_shutdown(c->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN));
    peer_side = 0;
done:
    if (rc < 0)
        ERR_print_errors_fp(stderr);
    pair_free(c, sv);
    return rc;
}

static int ossl_resumed(void *ctx, double seconds, long max, peer_samples *out)
{
    ossl_ctx *x = ctx;
    ossl_side c, sv;
    if (!x->session && ossl_one_resumed(x, &c, &sv) < 0) /* the session: a full handshake */
        return -1;
    bench_loop l;
    bench_loop_init(&l, 1, max, seconds);
    while (bench_loop_next(&l)) {
        int r = ossl_one_resumed(x, &c, &sv);
        if (r < 0)
            return -1;
        if (r == 0) {
            fprintf(stderr, "openssl: resumed handshake %ld was a full one\n", l.i);
            return PEER_NOT_RESUMED;
        }
        if (peer_samples_add(out, c.ns / 1e3, sv.ns / 1e3))
            break;
    }
    return 0;
}

const peer_stack PEER_OPENSSL = {"openssl", ossl_open,  ossl_handshakes, ossl_records,
                                 ossl_idle, ossl_close, ossl_resumed};
