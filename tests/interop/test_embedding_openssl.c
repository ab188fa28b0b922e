/* The embedding contract against OpenSSL's libssl, in process: both ends writing 8 MiB at
 * once through bounded BIO pairs (full duplex), keying material exporters compared with
 * SSL_export_keying_material, a verification hook pinning the server's public key, and
 * private-key operations performed outside the engine (by OpenSSL's EVP, completed now,
 * later, or with a failure). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>

#include "tf_duplex.h"
#include "tf_test.h"

#define STREAM (8u << 20)

typedef struct {
    uint16_t id;
    const char *ossl;
    int ecdsa;
} suite_row;

static const suite_row SUITES[] = {
    {TLSFLOW_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "ECDHE-ECDSA-AES128-GCM-SHA256", 1},
    {TLSFLOW_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "ECDHE-ECDSA-AES256-GCM-SHA384", 1},
    {TLSFLOW_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE-ECDSA-CHACHA20-POLY1305", 1},
    {TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "ECDHE-RSA-AES128-GCM-SHA256", 0},
    {TLSFLOW_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "ECDHE-RSA-AES256-GCM-SHA384", 0},
    {TLSFLOW_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE-RSA-CHACHA20-POLY1305", 0},
    {TLSFLOW_RSA_WITH_AES_128_GCM_SHA256, "AES128-GCM-SHA256", 0},
    {TLSFLOW_RSA_WITH_AES_256_GCM_SHA384, "AES256-GCM-SHA384", 0},
};
#define N_SUITES (sizeof(SUITES) / sizeof(SUITES[0]))

/* ---- fixtures as OpenSSL objects ----------------------------------------------------- */

static X509 *load_x509(const char *name)
{
    size_t n;
    uint8_t *pem = tft_fixture(name, &n);
    BIO *b = BIO_new_mem_buf(pem, (int)n);
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    free(pem);
    assert_non_null(x);
    return x;
}

static EVP_PKEY *load_key(const char *name)
{
    size_t n;
    uint8_t *pem = tft_fixture(name, &n);
    BIO *b = BIO_new_mem_buf(pem, (int)n);
    EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    free(pem);
    assert_non_null(k);
    return k;
}

static SSL_CTX *ossl_ctx(int server, const char *ciphers, int ecdsa)
{
    SSL_CTX *ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    assert_non_null(ctx);
    assert_true(SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION));
    assert_true(SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION));
    assert_true(SSL_CTX_set_cipher_list(ctx, ciphers));
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (server) {
        X509 *x = load_x509(ecdsa ? "server-ec.pem" : "server.pem");
        EVP_PKEY *k = load_key(ecdsa ? "server-ec.key" : "server.key");
        assert_true(SSL_CTX_use_certificate(ctx, x));
        assert_true(SSL_CTX_use_PrivateKey(ctx, k));
        X509_free(x);
        EVP_PKEY_free(k);
    } else {
        X509 *ca = load_x509("ca.pem");
        assert_true(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca));
        X509_free(ca);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    }
    return ctx;
}

/* Our configuration for one role, restricted to one suite. */
static tlsflow_config *our_config(tlsflow_role role, uint16_t suite, tft_rng *rng)
{
    tlsflow_config *cfg;
    if (role == TLSFLOW_CLIENT) {
        cfg = tft_client_config(rng);
    } else {
        cfg = tlsflow_config_new(TLSFLOW_SERVER);
        tft_add_credential(cfg, "server.pem", "server.key", NULL);
        tft_add_credential(cfg, "server-ec.pem", "server-ec.key", NULL);
        tlsflow_config_set_random(cfg, tft_random, rng);
        tlsflow_config_set_time(cfg, tft_time, NULL);
    }
    if (suite)
        assert_int_equal(tlsflow_config_set_cipher_suites(cfg, &suite, 1), 0);
    return cfg;
}

/* ---- OpenSSL as a full-duplex endpoint ------------------------------------------------- */

typedef struct {
    SSL *ssl;
    BIO *net; /* the network end of the pair; OpenSSL holds the other end */
    uint64_t sent, recvd, total;
    uint64_t out_seed, in_seed;
    tft_rng sizes;
    int done, shutdown_sent, closed, mismatch;
    uint8_t stage[16384];
    size_t staged_off, staged_len;
} ossl_end;

static int ossl_step(ossl_end *o)
{
    int moved = 0;
    if (o->closed)
        return 0;
    if (!o->done) {
        int r = SSL_do_handshake(o->ssl);
        if (r == 1) {
            o->done = 1;
            moved = 1;
        } else {
            int e = SSL_get_error(o->ssl, r);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                fail_msg("OpenSSL handshake failed: %d", e);
            return 0;
        }
    }
    /* read */
    uint8_t buf[16384];
    int want = (int)tft_random_size(&o->sizes, sizeof(buf));
    int r = SSL_read(o->ssl, buf, want);
    if (r > 0) {
        for (int k = 0; k < r; k++)
            if (buf[k] != tft_pattern(o->in_seed, o->recvd + (uint64_t)k))
                o->mismatch = 1;
        o->recvd += (uint64_t)r;
        moved = 1;
    } else if (SSL_get_error(o->ssl, r) == SSL_ERROR_ZERO_RETURN) {
        o->closed = 1; /* the peer's close_notify */
        return 1;
    }
    /* write */
    if (o->sent < o->total) {
        if (o->staged_off == o->staged_len) {
            size_t n = tft_random_size(&o->sizes, sizeof(o->stage));
            if (n > o->total - o->sent)
                n = (size_t)(o->total - o->sent);
            tft_pattern_fill(o->out_seed, o->sent, o->stage, n);
            o->staged_off = 0;
            o->staged_len = n;
        }
        r = SSL_write(o->ssl, o->stage + o->staged_off, (int)(o->staged_len - o->staged_off));
        if (r > 0) {
            o->staged_off += (size_t)r;
            o->sent += (uint64_t)r;
            moved = 1;
        }
    } else if (o->recvd == o->total && !o->shutdown_sent) {
        SSL_shutdown(o->ssl); /* close_notify; its answer arrives as ZERO_RETURN */
        o->shutdown_sent = 1;
        moved = 1;
    }
    return moved;
}

/* Bytes between our pipes and the BIO pair's network end. */
static int bridge(tft_pipe *to_ossl, tft_pipe *from_ossl, BIO *net)
{
    int moved = 0;
    uint8_t buf[65536];
    size_t room = BIO_ctrl_get_write_guarantee(net);
    if (room > sizeof(buf))
        room = sizeof(buf);
    size_t n = tft_pipe_pull(to_ossl, buf, room);
    if (n) {
        assert_int_equal(BIO_write(net, buf, (int)n), (int)n);
        moved = 1;
    }
    room = tft_pipe_room(from_ossl);
    size_t pend = BIO_ctrl_pending(net);
    if (room > pend)
        room = pend;
    if (room > sizeof(buf))
        room = sizeof(buf);
    if (room) {
        int r = BIO_read(net, buf, (int)room);
        assert_true(r > 0);
        tft_pipe_push(from_ossl, buf, (size_t)r);
        moved = 1;
    }
    return moved;
}

/* One duplex run of our `role` against OpenSSL with pipes (and BIO pair) of `cap` bytes. */
static void duplex_vs_openssl(tlsflow_role role, const suite_row *s, size_t cap, uint64_t seed)
{
    tft_rng rng = {seed};
    tlsflow_config *cfg = our_config(role, s->id, &rng);
    tlsflow_conn *c = tlsflow_conn_new(cfg);
    SSL_CTX *ctx = ossl_ctx(role == TLSFLOW_CLIENT, s->ossl, s->ecdsa);
    SSL *ssl = SSL_new(ctx);
    BIO *inner, *net;
    assert_true(BIO_new_bio_pair(&inner, cap, &net, cap));
    SSL_set_bio(ssl, inner, inner);
    if (role == TLSFLOW_CLIENT)
        SSL_set_accept_state(ssl);
    else
        SSL_set_connect_state(ssl);
    tft_pipe to_ossl, from_ossl;
    tft_pipe_init(&to_ossl, cap);
    tft_pipe_init(&from_ossl, cap);
    static tft_duplex_end me;
    static ossl_end them;
    memset(&me, 0, sizeof(me));
    memset(&them, 0, sizeof(them));
    me = (tft_duplex_end){.c = c,
                          .tx = &to_ossl,
                          .rx = &from_ossl,
                          .out_seed = seed,
                          .in_seed = seed + 1,
                          .to_send = STREAM,
                          .to_recv = STREAM,
                          .sizes = {seed * 7},
                          .max_io = 65536,
                          .drive = TFT_DRIVE_READY};
    them.ssl = ssl;
    them.net = net;
    them.total = STREAM;
    them.out_seed = seed + 1;
    them.in_seed = seed;
    them.sizes.state = seed * 11;
    int idle = 0;
    for (long round = 0; !(me.closed && them.closed); round++) {
        int moved = tft_duplex_step(&me);
        moved |= bridge(&to_ossl, &from_ossl, net);
        moved |= ossl_step(&them);
        moved |= bridge(&to_ossl, &from_ossl, net);
        idle = moved ? 0 : idle + 1;
        if (idle > 8)
            fail_msg("%s, our %s, %zu-byte pipes: no progress (we sent %llu got %llu; OpenSSL "
                     "sent %llu got %llu)",
                     s->ossl, role == TLSFLOW_CLIENT ? "client" : "server", cap,
                     (unsigned long long)me.sent, (unsigned long long)me.recvd,
                     (unsigned long long)them.sent, (unsigned long long)them.recvd);
    }
    assert_false(me.mismatch);
    assert_false(them.mismatch);
    assert_true(me.recvd == STREAM && them.recvd == STREAM);
    assert_int_equal(tlsflow_last_error(c), 0);
    assert_int_equal(tlsflow_get_info(c)->cipher_suite, s->id);
    SSL_free(ssl);
    BIO_free(net);
    SSL_CTX_free(ctx);
    tlsflow_conn_free(c);
    tlsflow_config_free(cfg);
    tft_pipe_free(&to_ossl);
    tft_pipe_free(&from_ossl);
}

static void test_duplex_against_openssl(void **state)
{
    (void)state;
    tft_rng r = {42};
    for (int role = TLSFLOW_CLIENT; role <= TLSFLOW_SERVER; role++) {
        for (size_t i = 0; i < N_SUITES; i++) {
            uint8_t b[3];
            tft_random(&r, b, sizeof(b));
            size_t bits = 4 + b[0] % 13,
                   cap = ((size_t)1 << bits) | ((b[1] << 8 | b[2]) >> (17 - bits));
            duplex_vs_openssl((tlsflow_role)role, &SUITES[i], cap, 1000 + i * 2 + (size_t)role);
        }
    }
}

/* ---- a plain handshake with OpenSSL over unbounded memory BIOs --------------------------- */

typedef struct {
    tlsflow_conn *c;
    SSL *ssl;
    BIO *rbio, *wbio; /* OpenSSL reads rbio, writes wbio */
    SSL_CTX *ctx;
    tlsflow_config *cfg;
    tft_rng rng;
    int tf_done, tf_closed, ssl_done, key_ops, hold_key_ops;
} hs_pair;

static void hs_open(hs_pair *h, tlsflow_role role, const suite_row *s, tlsflow_config *cfg)
{
    memset(h, 0, sizeof(*h));
    h->cfg = cfg;
    h->c = tlsflow_conn_new(cfg);
    assert_non_null(h->c);
    h->ctx = ossl_ctx(role == TLSFLOW_CLIENT, s->ossl, s->ecdsa);
    h->ssl = SSL_new(h->ctx);
    h->rbio = BIO_new(BIO_s_mem());
    h->wbio = BIO_new(BIO_s_mem());
    SSL_set_bio(h->ssl, h->rbio, h->wbio);
    if (role == TLSFLOW_CLIENT)
        SSL_set_accept_state(h->ssl);
    else
        SSL_set_connect_state(h->ssl);
}

static void hs_close(hs_pair *h)
{
    SSL_free(h->ssl);
    SSL_CTX_free(h->ctx);
    tlsflow_conn_free(h->c);
    tlsflow_config_free(h->cfg);
}

/* Run until both sides are done or one failed, or nothing moves. `on_key_op` handles
 * TLSFLOW_KEY_OPERATION (NULL: none expected). */
static void hs_run(hs_pair *h, void (*on_key_op)(hs_pair *h))
{
    for (int i = 0; i < 100000; i++) {
        int moved = 0;
        tlsflow_event ev = tlsflow_poll(h->c);
        if (ev == TLSFLOW_OUTPUT_READY) {
            size_t n;
            const uint8_t *p = tlsflow_out_buf(h->c, &n);
            BIO_write(h->rbio, p, (int)n);
            tlsflow_out_ack(h->c, n);
            moved = 1;
        } else if (ev == TLSFLOW_HANDSHAKE_DONE) {
            h->tf_done = 1;
            moved = 1;
        } else if (ev == TLSFLOW_CLOSED) {
            h->tf_closed = 1;
        } else if (ev == TLSFLOW_KEY_OPERATION) {
            assert_non_null(on_key_op);
            h->key_ops++;
            on_key_op(h);
            moved = 1; /* a held operation: the loop goes round, as an event loop would */
        } else if (ev == TLSFLOW_NEED_INPUT) {
            size_t room, pend = BIO_ctrl_pending(h->wbio);
            uint8_t *dst = tlsflow_in_buf(h->c, &room);
            if (pend && room) {
                int r = BIO_read(h->wbio, dst, (int)(pend < room ? pend : room));
                tlsflow_in_ack(h->c, (size_t)r);
                moved = 1;
            }
        }
        if (!h->ssl_done) {
            int r = SSL_do_handshake(h->ssl);
            if (r == 1) {
                h->ssl_done = 1;
                moved = 1;
            }
        }
        if (BIO_ctrl_pending(h->wbio) && ev != TLSFLOW_CLOSED)
            moved = 1;
        if ((h->tf_done && h->ssl_done) || h->tf_closed)
            return;
        if (!moved && !BIO_ctrl_pending(h->wbio))
            return;
    }
    fail_msg("handshake did not settle");
}

/* ---- exporters ---------------------------------------------------------------------- */

static void test_exporter_matches_openssl(void **state)
{
    (void)state;
    static const uint8_t ctx[] = {0x00, 0x01, 0x02, 0xfe, 0xff};
    for (int role = TLSFLOW_CLIENT; role <= TLSFLOW_SERVER; role++) {
        for (size_t i = 0; i < N_SUITES; i++) {
            hs_pair h;
            tft_rng rng = {77 + i};
            hs_open(&h, (tlsflow_role)role, &SUITES[i],
                    our_config((tlsflow_role)role, SUITES[i].id, &rng));
            hs_run(&h, NULL);
            assert_true(h.tf_done && h.ssl_done);
            for (int with_ctx = 0; with_ctx < 3; with_ctx++) {
                uint8_t ours[80], theirs[80];
                const char *label = with_ctx ? "EXPORTER-Channel-Binding" : "EXTRACTOR-dtls_srtp";
                const uint8_t *cx = with_ctx == 1 ? ctx : with_ctx == 2 ? ctx : NULL;
                size_t cl = with_ctx == 1 ? sizeof(ctx) : 0;
                /* with_ctx 2: an empty context, which differs from none (RFC 5705 §4) */
                assert_int_equal(
                    tlsflow_export_keying_material(h.c, label, cx, cl, ours, sizeof(ours)), 0);
                assert_int_equal(SSL_export_keying_material(h.ssl, theirs, sizeof(theirs), label,
                                                            strlen(label), cx, cl, cx != NULL),
                                 1);
                assert_memory_equal(ours, theirs, sizeof(ours));
            }
            uint8_t none[32], empty[32];
            tlsflow_export_keying_material(h.c, "EXPORTER-x", NULL, 0, none, 32);
            tlsflow_export_keying_material(h.c, "EXPORTER-x", ctx, 0, empty, 32);
            assert_memory_not_equal(none, empty, 32);
            hs_close(&h);
        }
    }
}

/* ---- pinning with the verification hook ------------------------------------------------ */

typedef struct {
    uint8_t pin[32];
    int calls, verdict;
} pin_ctx;

static int pin_check(void *ctx, tlsflow_conn *conn, int verdict)
{
    pin_ctx *p = ctx;
    uint8_t got[32];
    p->calls++;
    p->verdict = verdict;
    assert_true(tlsflow_peer_cert_count(conn) >= 1);
    if (verdict)
        return verdict;
    if (tlsflow_peer_spki_sha256(conn, got) != 0)
        return TLSFLOW_E_INTERNAL;
    return memcmp(got, p->pin, 32) == 0 ? 0 : TLSFLOW_ALERT_BAD_CERTIFICATE;
}

/* SHA-256 of a certificate's SubjectPublicKeyInfo, computed by OpenSSL. */
static void spki_pin(const char *cert, uint8_t out[32])
{
    X509 *x = load_x509(cert);
    uint8_t *der = NULL;
    int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
    assert_true(n > 0);
    unsigned len = 32;
    assert_true(EVP_Digest(der, (size_t)n, out, &len, EVP_sha256(), NULL));
    OPENSSL_free(der);
    X509_free(x);
}

static void test_pinning_hook(void **state)
{
    (void)state;
    /* The same CA issues server.pem (RSA) and server-ec.pem (EC): pin one, meet both. */
    const suite_row *rsa = &SUITES[3], *ec = &SUITES[0];
    for (int right = 0; right < 2; right++) {
        const suite_row *s = right ? rsa : ec;
        pin_ctx p = {{0}, 0, 0};
        spki_pin("server.pem", p.pin);
        tft_rng rng = {5};
        tlsflow_config *cfg = our_config(TLSFLOW_CLIENT, s->id, &rng);
        tlsflow_config_set_verify(cfg, pin_check, &p);
        hs_pair h;
        hs_open(&h, TLSFLOW_CLIENT, s, cfg);
        hs_run(&h, NULL);
        assert_int_equal(p.calls, 1);
        assert_int_equal(p.verdict, 0); /* the chain itself is fine */
        if (right) {
            assert_true(h.tf_done && h.ssl_done);
            size_t n;
            const uint8_t *der = tlsflow_peer_cert(h.c, 0, &n);
            X509 *x = load_x509("server.pem");
            uint8_t *want = NULL;
            int wn = i2d_X509(x, &want);
            assert_int_equal(n, (size_t)wn);
            assert_memory_equal(der, want, n);
            OPENSSL_free(want);
            X509_free(x);
        } else {
            assert_false(h.tf_done);
            assert_int_equal(tlsflow_last_error(h.c), TLSFLOW_E_CERT_REJECTED);
            assert_int_equal(tlsflow_sent_alert(h.c), TLSFLOW_ALERT_BAD_CERTIFICATE);
        }
        hs_close(&h);
    }
}

/* A hook may also accept what the engine refused: a self-signed leaf pinned by key. */
static int accept_all(void *ctx, tlsflow_conn *conn, int verdict)
{
    (void)conn;
    *(int *)ctx = verdict;
    return 0;
}

static void test_hook_overrides_verdict(void **state)
{
    (void)state;
    int seen = 0;
    tft_rng rng = {6};
    tlsflow_config *cfg = tlsflow_config_new(TLSFLOW_CLIENT);
    size_t n;
    uint8_t *other = tft_fixture("server-ec.pem", &n); /* not a CA of server.pem */
    assert_int_equal(tlsflow_config_add_trust_anchors(cfg, other, n), 0);
    free(other);
    assert_int_equal(tlsflow_config_set_server_name(cfg, "localhost"), 0);
    tlsflow_config_set_random(cfg, tft_random, &rng);
    tlsflow_config_set_time(cfg, tft_time, NULL);
    tlsflow_config_set_verify(cfg, accept_all, &seen);
    hs_pair h;
    hs_open(&h, TLSFLOW_CLIENT, &SUITES[3], cfg);
    hs_run(&h, NULL);
    assert_int_equal(seen, TLSFLOW_E_CERT_UNKNOWN_CA);
    assert_true(h.tf_done && h.ssl_done);
    hs_close(&h);
}

/* ---- private-key operations outside the engine ------------------------------------------ */

/* The "HSM": OpenSSL's EVP with the fixture key, as the key handle. */
static size_t evp_key_op(EVP_PKEY *key, const tlsflow_key_operation *op, uint8_t *out, size_t cap)
{
    EVP_PKEY_CTX *pctx = NULL;
    size_t n = cap;
    if (op->type == TLSFLOW_KEY_OP_RSA_DECRYPT) {
        pctx = EVP_PKEY_CTX_new(key, NULL);
        int ok = EVP_PKEY_decrypt_init(pctx) == 1 &&
                 EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 &&
                 EVP_PKEY_decrypt(pctx, out, &n, op->input, op->input_len) == 1;
        EVP_PKEY_CTX_free(pctx);
        return ok ? n : 0;
    }
    const EVP_MD *md = EVP_sha256();
    uint16_t hash = op->scheme >> 8;
    if (op->scheme == TLSFLOW_SIG_RSA_PSS_RSAE_SHA384)
        md = EVP_sha384();
    else if (op->scheme == TLSFLOW_SIG_RSA_PSS_RSAE_SHA512)
        md = EVP_sha512();
    else if (hash == 5)
        md = EVP_sha384();
    else if (hash == 6)
        md = EVP_sha512();
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    int ok = EVP_DigestSignInit(mctx, &pctx, md, NULL, key) == 1;
    if (ok && (op->scheme & 0xff00) == 0x0800)
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1;
    ok = ok && EVP_DigestSign(mctx, out, &n, op->input, op->input_len) == 1;
    EVP_MD_CTX_free(mctx);
    return ok ? n : 0;
}

typedef struct {
    int mode; /* 0: complete at once, 1: after the loop goes round, 2: with failure */
    int held;
} keyop_plan;

static keyop_plan g_plan;

static void perform(hs_pair *h)
{
    const tlsflow_key_operation *op = tlsflow_key_op(h->c);
    assert_non_null(op);
    assert_non_null(op->key_handle);
    assert_true(op->input_len > 0);
    if (op->type == TLSFLOW_KEY_OP_SIGN)
        assert_true(op->digest_len >= 32);
    if (g_plan.mode == 1 && g_plan.held < 3) { /* later: the loop goes round first */
        g_plan.held++;
        h->hold_key_ops = 1;
        return;
    }
    h->hold_key_ops = 0;
    if (g_plan.mode == 2) {
        assert_int_equal(tlsflow_key_op_complete(h->c, NULL, 0), 0);
        return;
    }
    uint8_t out[1024];
    size_t n = evp_key_op(op->key_handle, op, out, sizeof(out));
    assert_true(n > 0);
    assert_int_equal(tlsflow_key_op_complete(h->c, out, n), 0);
    assert_int_equal(tlsflow_key_op_complete(h->c, out, n), TLSFLOW_E_USAGE); /* only once */
}

static tlsflow_config *handle_server(uint16_t suite, EVP_PKEY *rsa, EVP_PKEY *ec, tft_rng *rng)
{
    tlsflow_config *cfg = tlsflow_config_new(TLSFLOW_SERVER);
    size_t n;
    uint8_t *chain = tft_fixture("server.pem", &n);
    assert_int_equal(tlsflow_config_add_credential_key_handle(cfg, chain, n, rsa, NULL), 0);
    free(chain);
    chain = tft_fixture("server-ec.pem", &n);
    assert_int_equal(tlsflow_config_add_credential_key_handle(cfg, chain, n, ec, NULL), 0);
    free(chain);
    tlsflow_config_set_random(cfg, tft_random, rng);
    tlsflow_config_set_time(cfg, tft_time, NULL);
    assert_int_equal(tlsflow_config_set_cipher_suites(cfg, &suite, 1), 0);
    return cfg;
}

static void test_key_operations_outside(void **state)
{
    (void)state;
    EVP_PKEY *rsa = load_key("server.key"), *ec = load_key("server-ec.key");
    for (size_t i = 0; i < N_SUITES; i++) {
        for (int mode = 0; mode < 3; mode++) {
            tft_rng rng = {900 + i};
            g_plan = (keyop_plan){mode, 0};
            hs_pair h;
            hs_open(&h, TLSFLOW_SERVER, &SUITES[i], handle_server(SUITES[i].id, rsa, ec, &rng));
            hs_run(&h, perform);
            assert_int_equal(h.key_ops, mode == 1 ? 4 : 1);
            if (mode < 2) {
                assert_true(h.tf_done && h.ssl_done);
            } else if (SUITES[i].id == TLSFLOW_RSA_WITH_AES_128_GCM_SHA256 ||
                       SUITES[i].id == TLSFLOW_RSA_WITH_AES_256_GCM_SHA384) {
                /* A failed decryption is a wrong premaster: caught at Finished. */
                assert_int_equal(tlsflow_last_error(h.c), TLSFLOW_E_BAD_FINISHED);
                assert_int_equal(tlsflow_sent_alert(h.c), TLSFLOW_ALERT_DECRYPT_ERROR);
            } else {
                assert_int_equal(tlsflow_last_error(h.c), TLSFLOW_E_INTERNAL);
                assert_int_equal(tlsflow_sent_alert(h.c), TLSFLOW_ALERT_INTERNAL_ERROR);
            }
            hs_close(&h);
        }
    }
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exporter_matches_openssl),
        cmocka_unit_test(test_pinning_hook),
        cmocka_unit_test(test_hook_overrides_verdict),
        cmocka_unit_test(test_key_operations_outside),
        cmocka_unit_test(test_duplex_against_openssl),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
