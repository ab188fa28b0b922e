/* wolfSSL's own TLS client against its own server, over memory callbacks
 * (wolfSSL_SSLSetIORecv/Send via the context). The client verifies the chain and the
 * host name; no session cache, no tickets. Debian's build lacks WOLFSSL_STATIC_RSA, so it
 * has no TLS_RSA_* suite: those rows say so instead of giving a figure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/memory.h>

#include "bench_peers.h"

#define MAX_STEPS 200
#define QUEUE_CAP (64 * 1024)

#if !defined(WOLFSSL_STATIC_MEMORY) && !defined(WOLFSSL_DEBUG_MEMORY)
static void *wolf_malloc(size_t n)
{
    return peer_count_alloc(n);
}

static void wolf_free(void *p)
{
    peer_count_free(p);
}

static void *wolf_realloc(void *p, size_t n)
{
    return peer_count_realloc(p, n);
}

void peer_wolf_hook_memory(void)
{
    wolfSSL_SetAllocators(wolf_malloc, wolf_free, wolf_realloc);
}
#else
void peer_wolf_hook_memory(void) {}
#endif

/* One direction of the in-memory transport. */
typedef struct {
    unsigned char buf[QUEUE_CAP];
    size_t off, len;
} queue;

static queue q_c2s, q_s2c;

typedef struct {
    WOLFSSL_CTX *cctx, *sctx;
    int ecdhe, tls13;
} wolf_ctx;

typedef struct {
    WOLFSSL *ssl;
    queue *in, *out;
    uint64_t ns;
    int done;
} wolf_side;

static int io_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
    (void)ssl;
    queue *q = ((wolf_side *)ctx)->in;
    if (q->len == 0)
        return WOLFSSL_CBIO_ERR_WANT_READ;
    size_t n = (size_t)sz < q->len ? (size_t)sz : q->len;
    memcpy(buf, q->buf + q->off, n);
    q->off += n;
    q->len -= n;
    if (q->len == 0)
        q->off = 0;
    return (int)n;
}

static int io_send(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
    (void)ssl;
    queue *q = ((wolf_side *)ctx)->out;
    if (q->off + q->len + (size_t)sz > QUEUE_CAP) {
        memmove(q->buf, q->buf + q->off, q->len);
        q->off = 0;
    }
    size_t room = QUEUE_CAP - q->off - q->len;
    if (room == 0)
        return WOLFSSL_CBIO_ERR_WANT_WRITE;
    size_t n = (size_t)sz < room ? (size_t)sz : room;
    memcpy(q->buf + q->off + q->len, buf, n);
    q->len += n;
    return (int)n;
}

static WOLFSSL_CTX *make_ctx(int server, const bench_suite *s, const bench_fx *fx, char *note,
                             size_t len)
{
    WOLFSSL_METHOD *m = s->tls13
                            ? (server ? wolfTLSv1_3_server_method() : wolfTLSv1_3_client_method())
                            : (server ? wolfTLSv1_2_server_method() : wolfTLSv1_2_client_method());
    WOLFSSL_CTX *ctx = m ? wolfSSL_CTX_new(m) : NULL;
    if (!ctx) {
        snprintf(note, len, "wolfSSL_CTX_new failed");
        return NULL;
    }
    if (wolfSSL_CTX_set_cipher_list(ctx, s->wolf) != WOLFSSL_SUCCESS) {
        snprintf(note, len, "suite %s not in this wolfSSL build%s", s->wolf,
#ifdef WOLFSSL_STATIC_RSA
                 ""
#else
                 s->ecdhe ? "" : " (no WOLFSSL_STATIC_RSA)"
#endif
        );
        wolfSSL_CTX_free(ctx);
        return NULL;
    }
    wolfSSL_CTX_set_session_cache_mode(ctx, WOLFSSL_SESS_CACHE_OFF);
#ifdef HAVE_SESSION_TICKET
    if (server && s->tls13)
        wolfSSL_CTX_no_ticket_TLSv13(ctx); /* no NewSessionTicket (ours sends none) */
#endif
    wolfSSL_CTX_SetIORecv(ctx, io_recv);
    wolfSSL_CTX_SetIOSend(ctx, io_send);
    int ok;
    if (server) {
        const bench_blob *cert = s->ecdsa ? &fx->ec_cert : &fx->rsa_cert;
        const bench_blob *key = s->ecdsa ? &fx->ec_key : &fx->rsa_key;
        ok = wolfSSL_CTX_use_certificate_buffer(ctx, cert->p, (long)cert->len,
                                                WOLFSSL_FILETYPE_PEM) == WOLFSSL_SUCCESS &&
             wolfSSL_CTX_use_PrivateKey_buffer(ctx, key->p, (long)key->len, WOLFSSL_FILETYPE_PEM) ==
                 WOLFSSL_SUCCESS;
    } else {
        ok = wolfSSL_CTX_load_verify_buffer(ctx, fx->ca.p, (long)fx->ca.len,
                                            WOLFSSL_FILETYPE_PEM) == WOLFSSL_SUCCESS;
        wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, NULL);
    }
    if (!ok) {
        snprintf(note, len, "loading the fixtures failed");
        wolfSSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

static void *wolf_open(const bench_suite *s, const bench_fx *fx, char *note, size_t len)
{
    if (s->ecdsa && !fx->ec_cert.p) {
        snprintf(note, len, "no EC fixture");
        return NULL;
    }
    wolfSSL_Init();
    wolf_ctx *x = calloc(1, sizeof(*x));
    if (!x)
        return NULL;
    x->ecdhe = s->ecdhe;
    x->tls13 = s->tls13;
    x->cctx = make_ctx(0, s, fx, note, len);
    x->sctx = x->cctx ? make_ctx(1, s, fx, note, len) : NULL;
    if (!x->cctx || !x->sctx) {
        wolfSSL_CTX_free(x->cctx);
        free(x);
        return NULL;
    }
    return x;
}

static void wolf_close(void *ctx)
{
    wolf_ctx *x = ctx;
    wolfSSL_CTX_free(x->cctx);
    wolfSSL_CTX_free(x->sctx);
    free(x);
}

static int pair_new(wolf_ctx *x, wolf_side *c, wolf_side *sv)
{
    memset(c, 0, sizeof(*c));
    memset(sv, 0, sizeof(*sv));
    q_c2s.off = q_c2s.len = q_s2c.off = q_s2c.len = 0;
    c->in = &q_s2c;
    c->out = &q_c2s;
    sv->in = &q_c2s;
    sv->out = &q_s2c;
    int ok = 0;
    peer_side = 1;
    PEER_TIMED(c->ns, {
        c->ssl = wolfSSL_new(x->cctx);
        ok = c->ssl != NULL;
        if (ok) {
            wolfSSL_SetIOReadCtx(c->ssl, c);
            wolfSSL_SetIOWriteCtx(c->ssl, c);
            ok = wolfSSL_UseSNI(c->ssl, WOLFSSL_SNI_HOST_NAME, "localhost", 9) == WOLFSSL_SUCCESS &&
                 wolfSSL_check_domain_name(c->ssl, "localhost") == WOLFSSL_SUCCESS;
        }
        if (ok && x->tls13) /* x25519 alone and its share, as the other stacks send */
            ok = wolfSSL_UseSupportedCurve(c->ssl, WOLFSSL_ECC_X25519) == WOLFSSL_SUCCESS &&
                 wolfSSL_UseKeyShare(c->ssl, WOLFSSL_ECC_X25519) == WOLFSSL_SUCCESS;
        else if (ok && x->ecdhe)
            ok = wolfSSL_UseSupportedCurve(c->ssl, WOLFSSL_ECC_X25519) == WOLFSSL_SUCCESS &&
                 wolfSSL_UseSupportedCurve(c->ssl, WOLFSSL_ECC_SECP256R1) == WOLFSSL_SUCCESS;
    });
    peer_side = 2;
    PEER_TIMED(sv->ns, {
        sv->ssl = wolfSSL_new(x->sctx);
        if (sv->ssl) {
            wolfSSL_SetIOReadCtx(sv->ssl, sv);
            wolfSSL_SetIOWriteCtx(sv->ssl, sv);
        }
    });
    peer_side = 0;
    return ok && sv->ssl ? 0 : -1;
}

static void pair_free(wolf_side *c, wolf_side *sv)
{
    PEER_TIMED(c->ns, wolfSSL_free(c->ssl));
    PEER_TIMED(sv->ns, wolfSSL_free(sv->ssl));
    c->ssl = sv->ssl = NULL;
}

static int step_handshake(wolf_side *x, int who)
{
    if (x->done)
        return 0;
    int r;
    peer_side = who;
    PEER_TIMED(x->ns, r = who == 1 ? wolfSSL_connect(x->ssl) : wolfSSL_accept(x->ssl));
    peer_side = 0;
    if (r == WOLFSSL_SUCCESS) {
        x->done = 1;
        return 0;
    }
    int e = wolfSSL_get_error(x->ssl, r);
    if (e == WOLFSSL_ERROR_WANT_READ || e == WOLFSSL_ERROR_WANT_WRITE)
        return 0;
    char buf[80];
    fprintf(stderr, "wolfSSL %s: %s\n", who == 1 ? "client" : "server",
            wolfSSL_ERR_error_string((unsigned long)e, buf));
    return -1;
}

static int handshake(wolf_side *c, wolf_side *sv)
{
    for (int i = 0; i < MAX_STEPS && !(c->done && sv->done); i++)
        if (step_handshake(c, 1) || step_handshake(sv, 2))
            return -1;
    return c->done && sv->done ? 0 : -1;
}

static int wolf_handshakes(void *ctx, double seconds, long max, peer_samples *out)
{
    wolf_ctx *x = ctx;
    bench_loop l;
    bench_loop_init(&l, 1, max, seconds);
    while (bench_loop_next(&l)) {
        wolf_side c, sv;
        int bad = pair_new(x, &c, &sv) || handshake(&c, &sv);
        pair_free(&c, &sv);
        if (bad || peer_samples_add(out, c.ns / 1e3, sv.ns / 1e3))
            return bad ? -1 : 0;
    }
    return 0;
}

static int wolf_records(void *ctx, double seconds, long max, peer_samples *out)
{
    wolf_ctx *x = ctx;
    static unsigned char data[16384], in[16384];
    wolf_side c, sv;
    int rc = -1;
    if (pair_new(x, &c, &sv) || handshake(&c, &sv))
        goto done;
    bench_loop l;
    bench_loop_init(&l, 1, max, seconds);
    while (bench_loop_next(&l)) {
        uint64_t seal = 0, open = 0;
        int w;
        PEER_TIMED(seal, w = wolfSSL_write(c.ssl, data, sizeof(data)));
        if (w != (int)sizeof(data))
            goto done;
        size_t got = 0;
        for (int k = 0; k < 8 && got < sizeof(data); k++) {
            int rd;
            PEER_TIMED(open, rd = wolfSSL_read(sv.ssl, in, sizeof(in)));
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

static int wolf_idle(void *ctx, double *client, double *server, char *group, size_t len)
{
    wolf_ctx *x = ctx;
    wolf_side c, sv;
    for (int round = 0; round < 2; round++) { /* the first warms up */
        long long base1 = peer_live[1], base2 = peer_live[2];
        int bad = pair_new(x, &c, &sv) || handshake(&c, &sv);
        if (!bad) {
            *client = (double)(peer_live[1] - base1);
            *server = (double)(peer_live[2] - base2);
            const char *g = x->ecdhe ? wolfSSL_get_curve_name(sv.ssl) : NULL;
            snprintf(group, len, "%s", g ? g : "");
        }
        pair_free(&c, &sv);
        if (bad)
            return -1;
    }
    return 0;
}

/* Resumed handshakes: not measured for wolfSSL (n/a). */
const peer_stack PEER_WOLFSSL = {"wolfssl",  wolf_open, wolf_handshakes, wolf_records, wolf_idle,
                                 wolf_close, NULL};
