/* In-process interop for ECDHE and ChaCha20-Poly1305 against wolfSSL's own TLS stack (the
 * system libwolfssl, the same library whose wolfCrypt the engine uses, but none of its
 * TLS code): memory I/O callbacks instead of sockets, both roles, every new suite on
 * every group, RSA and ECDSA certificates from tests/fixtures. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include "tf_test.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define PIPE_CAP     (1u << 18)

typedef struct {
    uint16_t id;
    const char *wolf; /* wolfSSL's cipher list name */
    int ecdsa;
} suite_row;

static const suite_row SUITES[] = {
    {TLSFLOW_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "ECDHE-ECDSA-AES128-GCM-SHA256", 1},
    {TLSFLOW_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "ECDHE-ECDSA-AES256-GCM-SHA384", 1},
    {TLSFLOW_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE-ECDSA-CHACHA20-POLY1305", 1},
    {TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "ECDHE-RSA-AES128-GCM-SHA256", 0},
    {TLSFLOW_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "ECDHE-RSA-AES256-GCM-SHA384", 0},
    {TLSFLOW_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "ECDHE-RSA-CHACHA20-POLY1305", 0},
};

static const uint16_t GROUPS[] = {TLSFLOW_GROUP_X25519, TLSFLOW_GROUP_SECP256R1,
                                  TLSFLOW_GROUP_SECP384R1};

/* Bytes in flight one way. */
typedef struct {
    uint8_t *p;
    size_t len, off;
} pipe_buf;

typedef struct {
    tlsflow_role role; /* ours; wolfSSL plays the other */
    tft_rng rng;
    tlsflow_config *cfg;
    tlsflow_conn *conn;
    WOLFSSL_CTX *ctx;
    WOLFSSL *ssl;
    pipe_buf to_wolf, to_engine;
    int tf_done, tf_closed;
    int wolf_done, wolf_failed, wolf_err;
    /* application data */
    const uint8_t *tf_tx, *wolf_tx;
    size_t tf_tx_len, tf_tx_done, wolf_tx_len, wolf_tx_done;
    uint8_t *tf_rx, *wolf_rx;
    size_t tf_rx_len, wolf_rx_len, rx_cap;
} wfx;

static int wio_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
    (void)ssl;
    wfx *f = ctx;
    size_t avail = f->to_wolf.len - f->to_wolf.off;
    if (avail == 0)
        return f->tf_closed ? WOLFSSL_CBIO_ERR_CONN_CLOSE : WOLFSSL_CBIO_ERR_WANT_READ;
    size_t n = avail < (size_t)sz ? avail : (size_t)sz;
    memcpy(buf, f->to_wolf.p + f->to_wolf.off, n);
    f->to_wolf.off += n;
    return (int)n;
}

static int wio_send(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
    (void)ssl;
    wfx *f = ctx;
    if (f->to_engine.len + (size_t)sz > PIPE_CAP)
        return WOLFSSL_CBIO_ERR_GENERAL;
    memcpy(f->to_engine.p + f->to_engine.len, buf, (size_t)sz);
    f->to_engine.len += (size_t)sz;
    return sz;
}

/* Fixture certificates are made the day make.sh runs; wolfSSL judges dates by the wall
 * clock, so date errors alone are forgiven (the engine's own checks use a fixed time). */
static int verify_cb(int preverify, WOLFSSL_X509_STORE_CTX *store)
{
    int err = wolfSSL_X509_STORE_CTX_get_error(store);
    return preverify || err == ASN_BEFORE_DATE_E || err == ASN_AFTER_DATE_E;
}

static WOLFSSL_CTX *wolf_ctx(tlsflow_role wolf_role, const char *ciphers, const char *cert,
                             const char *key)
{
    WOLFSSL_CTX *ctx = wolfSSL_CTX_new(wolf_role == TLSFLOW_CLIENT ? wolfTLSv1_2_client_method()
                                                                   : wolfTLSv1_2_server_method());
    assert_non_null(ctx);
    assert_int_equal(wolfSSL_CTX_set_cipher_list(ctx, ciphers), WOLFSSL_SUCCESS);
    size_t n;
    if (wolf_role == TLSFLOW_SERVER) {
        uint8_t *pem = tft_fixture(cert, &n);
        assert_int_equal(wolfSSL_CTX_use_certificate_chain_buffer(ctx, pem, (long)n),
                         WOLFSSL_SUCCESS);
        free(pem);
        pem = tft_fixture(key, &n);
        assert_int_equal(wolfSSL_CTX_use_PrivateKey_buffer(ctx, pem, (long)n, WOLFSSL_FILETYPE_PEM),
                         WOLFSSL_SUCCESS);
        free(pem);
    } else {
        uint8_t *ca = tft_fixture("ca.pem", &n);
        assert_int_equal(wolfSSL_CTX_load_verify_buffer(ctx, ca, (long)n, WOLFSSL_FILETYPE_PEM),
                         WOLFSSL_SUCCESS);
        free(ca);
        wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, verify_cb);
    }
    return ctx;
}

static void add_fixture_cred(tlsflow_config *cfg, const char *cert, const char *key)
{
    size_t cl, kl;
    uint8_t *cp = tft_fixture(cert, &cl), *kp = tft_fixture(key, &kl);
    assert_int_equal(tlsflow_config_add_credential(cfg, cp, cl, kp, kl, NULL), 0);
    free(cp);
    free(kp);
}

/* ours: our role. cert/key: the server's credential (ours or wolfSSL's). */
static wfx *wfx_new(tlsflow_role ours, const char *ciphers, const char *cert, const char *key)
{
    wfx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->role = ours;
    f->rng.state = 21;
    f->to_wolf.p = malloc(PIPE_CAP);
    f->to_engine.p = malloc(PIPE_CAP);
    if (ours == TLSFLOW_SERVER) {
        f->cfg = tlsflow_config_new(TLSFLOW_SERVER);
        add_fixture_cred(f->cfg, cert, key);
        f->ctx = wolf_ctx(TLSFLOW_CLIENT, ciphers, NULL, NULL);
    } else {
        f->cfg = tft_client_config(NULL);
        f->ctx = wolf_ctx(TLSFLOW_SERVER, ciphers, cert, key);
    }
    return f;
}

static void wfx_start(wfx *f)
{
    tlsflow_config_set_random(f->cfg, tft_random, &f->rng);
    tlsflow_config_set_time(f->cfg, tft_time, NULL);
    f->conn = tlsflow_conn_new(f->cfg);
    assert_non_null(f->conn);
    f->ssl = wolfSSL_new(f->ctx);
    assert_non_null(f->ssl);
    wolfSSL_SSLSetIORecv(f->ssl, wio_recv);
    wolfSSL_SSLSetIOSend(f->ssl, wio_send);
    wolfSSL_SetIOReadCtx(f->ssl, f);
    wolfSSL_SetIOWriteCtx(f->ssl, f);
}

static void wfx_free(wfx *f)
{
    tlsflow_conn_free(f->conn);
    wolfSSL_free(f->ssl);
    wolfSSL_CTX_free(f->ctx);
    tlsflow_config_free(f->cfg);
    free(f->to_wolf.p);
    free(f->to_engine.p);
    free(f->tf_rx);
    free(f->wolf_rx);
    free(f);
}

/* One round of the engine: as far as it can go with what has arrived. */
static int engine_round(wfx *f)
{
    int moved = 0;
    for (int guard = 0; guard < 10000 && !f->tf_closed; guard++) {
        size_t n, room;
        const uint8_t *p;
        switch (tlsflow_poll(f->conn)) {
        case TLSFLOW_OUTPUT_READY:
            p = tlsflow_out_buf(f->conn, &n);
            assert_true(f->to_wolf.len + n <= PIPE_CAP);
            memcpy(f->to_wolf.p + f->to_wolf.len, p, n);
            f->to_wolf.len += n;
            tlsflow_out_ack(f->conn, n);
            moved = 1;
            break;
        case TLSFLOW_NEED_INPUT:
            if (f->tf_done && f->tf_tx_done < f->tf_tx_len) {
                size_t took = tlsflow_app_write(f->conn, f->tf_tx + f->tf_tx_done,
                                                f->tf_tx_len - f->tf_tx_done);
                if (took) {
                    f->tf_tx_done += took;
                    moved = 1;
                    break;
                }
            }
            if (f->to_engine.off == f->to_engine.len) {
                if (!f->wolf_failed)
                    return moved;
                tlsflow_in_ack(f->conn, 0); /* wolfSSL gave up: the transport closes */
                moved = 1;
                break;
            }
            {
                uint8_t *in = tlsflow_in_buf(f->conn, &room);
                n = f->to_engine.len - f->to_engine.off;
                if (n > room)
                    n = room;
                memcpy(in, f->to_engine.p + f->to_engine.off, n);
                f->to_engine.off += n;
                tlsflow_in_ack(f->conn, n);
                moved = 1;
            }
            break;
        case TLSFLOW_KEY_OPERATION: /* these configurations hold their keys */
            fail_msg("unexpected key operation");
            break;
        case TLSFLOW_HANDSHAKE_DONE:
            f->tf_done++;
            moved = 1;
            break;
        case TLSFLOW_APP_DATA:
            p = tlsflow_app_peek(f->conn, &n);
            assert_true(f->tf_rx_len + n <= f->rx_cap);
            memcpy(f->tf_rx + f->tf_rx_len, p, n);
            f->tf_rx_len += n;
            tlsflow_app_consume(f->conn, n);
            moved = 1;
            break;
        case TLSFLOW_CLOSED:
            f->tf_closed = 1;
            moved = 1;
            break;
        }
    }
    return moved;
}

static int wolf_round(wfx *f)
{
    if (f->wolf_failed)
        return 0;
    size_t before = f->to_engine.len + f->to_wolf.off;
    if (!f->wolf_done) {
        int r = f->role == TLSFLOW_SERVER ? wolfSSL_connect(f->ssl) : wolfSSL_accept(f->ssl);
        if (r == WOLFSSL_SUCCESS) {
            f->wolf_done = 1;
            return 1;
        }
        int e = wolfSSL_get_error(f->ssl, r);
        if (e != WOLFSSL_ERROR_WANT_READ && e != WOLFSSL_ERROR_WANT_WRITE) {
            f->wolf_failed = 1;
            f->wolf_err = e;
            return 1;
        }
        return f->to_engine.len + f->to_wolf.off != before;
    }
    int moved = 0;
    while (f->wolf_tx_done < f->wolf_tx_len) {
        size_t n = f->wolf_tx_len - f->wolf_tx_done;
        int w = wolfSSL_write(f->ssl, f->wolf_tx + f->wolf_tx_done, (int)(n > 16384 ? 16384 : n));
        if (w <= 0)
            break;
        f->wolf_tx_done += (size_t)w;
        moved = 1;
    }
    for (;;) {
        int r =
            wolfSSL_read(f->ssl, f->wolf_rx + f->wolf_rx_len, (int)(f->rx_cap - f->wolf_rx_len));
        if (r <= 0)
            break;
        f->wolf_rx_len += (size_t)r;
        moved = 1;
    }
    return moved || f->to_engine.len + f->to_wolf.off != before;
}

static void pump(wfx *f)
{
    for (int i = 0; i < 100000; i++) {
        int a = engine_round(f), b = wolf_round(f);
        if (!a && !b)
            return;
    }
    fail_msg("pump did not settle");
}

static void handshake(wfx *f)
{
    pump(f);
    if (tlsflow_last_error(f->conn) || f->tf_done != 1 || !f->wolf_done)
        fail_msg("handshake: tlsflow %s \"%s\" done=%d; wolfSSL done=%d error %d (%s)",
                 tlsflow_error_name(tlsflow_last_error(f->conn)), tlsflow_last_error_text(f->conn),
                 f->tf_done, f->wolf_done, f->wolf_err,
                 wolfSSL_ERR_reason_error_string((unsigned long)f->wolf_err));
}

static void exchange(wfx *f, size_t n)
{
    uint8_t *ours = malloc(n), *theirs = malloc(n);
    tft_rng r = {n + 1};
    tft_random(&r, ours, n);
    tft_random(&r, theirs, n);
    f->rx_cap = n;
    f->tf_rx = calloc(1, n);
    f->wolf_rx = calloc(1, n);
    f->tf_tx = ours;
    f->tf_tx_len = n;
    f->wolf_tx = theirs;
    f->wolf_tx_len = n;
    pump(f);
    assert_int_equal(tlsflow_last_error(f->conn), 0);
    assert_int_equal(f->wolf_rx_len, n);
    assert_int_equal(f->tf_rx_len, n);
    assert_memory_equal(f->wolf_rx, ours, n);
    assert_memory_equal(f->tf_rx, theirs, n);
    free(ours);
    free(theirs);
}

static const char *wolf_curve_name(uint16_t group)
{
    return group == TLSFLOW_GROUP_X25519      ? "X25519"
           : group == TLSFLOW_GROUP_SECP256R1 ? "SECP256R1"
                                              : "SECP384R1";
}

static void check(wfx *f, uint16_t suite, uint16_t group)
{
    const tlsflow_info *in = tlsflow_get_info(f->conn);
    assert_int_equal(in->cipher_suite, suite);
    assert_int_equal(wolfSSL_get_current_cipher_suite(f->ssl), suite);
    assert_string_equal(in->key_exchange, "ECDHE");
    assert_int_equal(in->group, group);
    const char *curve = wolfSSL_get_curve_name(f->ssl);
    assert_non_null(curve);
    assert_string_equal(curve, wolf_curve_name(group));
    assert_true(in->signature_scheme != 0);
    assert_int_equal(in->ems, 1);
}

static void run_matrix(tlsflow_role ours, const char *cert, const char *key, int ecdsa)
{
    for (size_t s = 0; s < ARRAY_LEN(SUITES); s++) {
        if (SUITES[s].ecdsa != ecdsa)
            continue;
        for (size_t g = 0; g < ARRAY_LEN(GROUPS); g++) {
            wfx *f = wfx_new(ours, SUITES[s].wolf, cert, key);
            wfx_start(f);
            if (ours == TLSFLOW_SERVER) {
                /* wolfSSL offers every group; our server is told which to take. */
                for (size_t o = 0; o < ARRAY_LEN(GROUPS); o++)
                    assert_int_equal(wolfSSL_UseSupportedCurve(f->ssl, GROUPS[o]), WOLFSSL_SUCCESS);
                assert_int_equal(tlsflow_config_set_groups(f->cfg, &GROUPS[g], 1), 0);
            } else {
                /* Our client lists the group under test first; the others stay offered
                 * (an ECDSA certificate's curve must be among them). */
                uint16_t order[3] = {GROUPS[g]};
                size_t n = 1;
                for (size_t o = 0; o < ARRAY_LEN(GROUPS); o++)
                    if (o != g)
                        order[n++] = GROUPS[o];
                assert_int_equal(tlsflow_config_set_groups(f->cfg, order, ecdsa ? 3 : 1), 0);
                /* wolfSSL takes the client's first curve of its ephemeral key size. */
                assert_int_equal(
                    wolfSSL_SetTmpEC_DHE_Sz(f->ssl, GROUPS[g] == TLSFLOW_GROUP_SECP384R1 ? 48 : 32),
                    WOLFSSL_SUCCESS);
            }
            handshake(f);
            check(f, SUITES[s].id, GROUPS[g]);
            exchange(f, 40000);
            wfx_free(f);
        }
    }
}

static void test_our_server_rsa(void **state)
{
    (void)state;
    run_matrix(TLSFLOW_SERVER, "server.pem", "server.key", 0);
}

static void test_our_server_ecdsa_p256(void **state)
{
    (void)state;
    run_matrix(TLSFLOW_SERVER, "server-ec.pem", "server-ec.key", 1);
}

static void test_our_server_ecdsa_p384(void **state)
{
    (void)state;
    run_matrix(TLSFLOW_SERVER, "server-ec384.pem", "server-ec384.key", 1);
}

static void test_our_client_rsa(void **state)
{
    (void)state;
    run_matrix(TLSFLOW_CLIENT, "server.pem", "server.key", 0);
}

static void test_our_client_ecdsa_p256(void **state)
{
    (void)state;
    run_matrix(TLSFLOW_CLIENT, "server-ec.pem", "server-ec.key", 1);
}

static void test_our_client_ecdsa_p384(void **state)
{
    (void)state;
    run_matrix(TLSFLOW_CLIENT, "server-ec384.pem", "server-ec384.key", 1);
}

/* Signature schemes wolfSSL makes for our client, one offered at a time. */
static void test_our_client_signature_schemes(void **state)
{
    (void)state;
    static const struct {
        uint16_t scheme;
        int ecdsa;
    } cases[] = {
        {TLSFLOW_SIG_RSA_PSS_RSAE_SHA256, 0},    {TLSFLOW_SIG_RSA_PSS_RSAE_SHA384, 0},
        {TLSFLOW_SIG_RSA_PKCS1_SHA256, 0},       {TLSFLOW_SIG_RSA_PKCS1_SHA384, 0},
        {TLSFLOW_SIG_RSA_PKCS1_SHA512, 0},       {TLSFLOW_SIG_ECDSA_SECP256R1_SHA256, 1},
        {TLSFLOW_SIG_ECDSA_SECP384R1_SHA384, 1},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const suite_row *s = &SUITES[cases[i].ecdsa ? 0 : 3];
        wfx *f = wfx_new(TLSFLOW_CLIENT, s->wolf, cases[i].ecdsa ? "server-ec.pem" : "server.pem",
                         cases[i].ecdsa ? "server-ec.key" : "server.key");
        assert_int_equal(tlsflow_config_set_signature_schemes(f->cfg, &cases[i].scheme, 1), 0);
        wfx_start(f);
        handshake(f);
        assert_int_equal(tlsflow_get_info(f->conn)->signature_scheme, cases[i].scheme);
        exchange(f, 1000);
        wfx_free(f);
    }
}

/* wolfSSL listing ChaCha20 first gets it from our server; AES-GCM first gets AES-GCM. */
static void test_chacha_preference(void **state)
{
    (void)state;
    static const struct {
        const char *wolf;
        uint16_t want;
    } cases[] = {
        {"ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES256-GCM-SHA384",
         TLSFLOW_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256},
        {"ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305",
         TLSFLOW_ECDHE_RSA_WITH_AES_256_GCM_SHA384},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        wfx *f = wfx_new(TLSFLOW_SERVER, cases[i].wolf, "server.pem", "server.key");
        wfx_start(f);
        handshake(f);
        assert_int_equal(wolfSSL_get_current_cipher_suite(f->ssl), cases[i].want);
        exchange(f, 1000);
        wfx_free(f);
    }
}

static int group_setup(void **state)
{
    (void)state;
    return wolfSSL_Init() == WOLFSSL_SUCCESS ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    wolfSSL_Cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_our_server_rsa),
        cmocka_unit_test(test_our_server_ecdsa_p256),
        cmocka_unit_test(test_our_server_ecdsa_p384),
        cmocka_unit_test(test_our_client_rsa),
        cmocka_unit_test(test_our_client_ecdsa_p256),
        cmocka_unit_test(test_our_client_ecdsa_p384),
        cmocka_unit_test(test_our_client_signature_schemes),
        cmocka_unit_test(test_chacha_preference),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
