/* In-process interop for ECDHE and ChaCha20-Poly1305: tlsflow against OpenSSL's libssl
 * over memory BIOs (the shared pump of ossl_peer.c), both roles. Every new suite on every
 * group, RSA and ECDSA certificates (the fixed test PKI in tests/fixtures), every
 * signature scheme, the server's choices as OpenSSL sees them, and tampered key
 * exchange messages. Each case checks what both sides say was negotiated. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "ossl_peer.h"
#include "tf_test.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ---- what we test with -------------------------------------------------------------- */

typedef struct {
    uint16_t id;
    const char *ossl; /* OpenSSL's cipher string name */
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

typedef struct {
    uint16_t id;
    const char *ossl; /* for SSL_CTX_set1_groups_list */
    int nid;
} group_row;

static const group_row GROUPS[] = {
    {TLSFLOW_GROUP_X25519, "X25519", NID_X25519},
    {TLSFLOW_GROUP_SECP256R1, "P-256", NID_X9_62_prime256v1},
    {TLSFLOW_GROUP_SECP384R1, "P-384", NID_secp384r1},
};

/* The fixture PKI as OpenSSL objects. */
typedef struct {
    X509 *cert;
    EVP_PKEY *key;
} ossl_cred;

static ossl_cred g_rsa, g_ec256, g_ec384;

static void load_cred(ossl_cred *c, const char *cert, const char *key)
{
    size_t cl, kl;
    uint8_t *cp = tft_fixture(cert, &cl), *kp = tft_fixture(key, &kl);
    BIO *b = BIO_new_mem_buf(cp, (int)cl);
    c->cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    b = BIO_new_mem_buf(kp, (int)kl);
    c->key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    free(cp);
    free(kp);
}

static int group_setup(void **state)
{
    (void)state;
    load_cred(&g_rsa, "server.pem", "server.key");
    load_cred(&g_ec256, "server-ec.pem", "server-ec.key");
    load_cred(&g_ec384, "server-ec384.pem", "server-ec384.key");
    return g_rsa.key && g_ec256.key && g_ec384.key ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    ossl_cred *all[] = {&g_rsa, &g_ec256, &g_ec384};
    for (size_t i = 0; i < ARRAY_LEN(all); i++) {
        X509_free(all[i]->cert);
        EVP_PKEY_free(all[i]->key);
    }
    return 0;
}

/* ---- one connection -------------------------------------------------------------------- */

typedef struct {
    tlsflow_role role; /* ours; OpenSSL plays the other */
    tft_rng rng;
    tlsflow_config *cfg;
    tlsflow_conn *conn;
    SSL_CTX *ctx;
    SSL *ssl;
    peer_link link;
    char keylog[256];
} fx;

static void on_keylog(void *ctx, const char *line)
{
    fx *f = ctx;
    snprintf(f->keylog, sizeof(f->keylog), "%s", line);
}

static void add_fixture_cred(tlsflow_config *cfg, const char *cert, const char *key)
{
    size_t cl, kl;
    uint8_t *cp = tft_fixture(cert, &cl), *kp = tft_fixture(key, &kl);
    assert_int_equal(tlsflow_config_add_credential(cfg, cp, cl, kp, kl, NULL), 0);
    free(cp);
    free(kp);
}

enum { OURS_RSA = 1, OURS_EC256 = 2, OURS_EC384 = 4 };

/* Our server with the given credentials against an OpenSSL client. */
static fx *our_server(int creds, const char *ciphers)
{
    fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->role = TLSFLOW_SERVER;
    f->rng.state = 7;
    f->cfg = tlsflow_config_new(TLSFLOW_SERVER);
    if (creds & OURS_RSA)
        add_fixture_cred(f->cfg, "server.pem", "server.key");
    if (creds & OURS_EC256)
        add_fixture_cred(f->cfg, "server-ec.pem", "server-ec.key");
    if (creds & OURS_EC384)
        add_fixture_cred(f->cfg, "server-ec384.pem", "server-ec384.key");
    f->ctx = peer_client_ctx(ciphers);
    assert_non_null(f->ctx);
    return f;
}

/* Our client (trusting the fixture root) against an OpenSSL server with these certs. */
static fx *our_client(const char *ciphers, const ossl_cred *const *creds, size_t n)
{
    fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->role = TLSFLOW_CLIENT;
    f->rng.state = 8;
    f->cfg = tft_client_config(NULL);
    f->ctx = peer_server_ctx(ciphers, creds[0]->cert, creds[0]->key);
    assert_non_null(f->ctx);
    for (size_t i = 1; i < n; i++) {
        assert_int_equal(SSL_CTX_use_certificate(f->ctx, creds[i]->cert), 1);
        assert_int_equal(SSL_CTX_use_PrivateKey(f->ctx, creds[i]->key), 1);
    }
    return f;
}

static void start(fx *f)
{
    tlsflow_config_set_random(f->cfg, tft_random, &f->rng);
    tlsflow_config_set_time(f->cfg, tft_time, NULL);
    tlsflow_config_set_keylog(f->cfg, on_keylog, f);
    f->conn = tlsflow_conn_new(f->cfg);
    assert_non_null(f->conn);
    f->ssl = SSL_new(f->ctx);
    assert_non_null(f->ssl);
    if (f->role == TLSFLOW_SERVER)
        SSL_set_connect_state(f->ssl);
    else
        SSL_set_accept_state(f->ssl);
    assert_int_equal(peer_link_init(&f->link, f->conn, f->ssl, NULL), 0);
}

static void fx_free(fx *f)
{
    tlsflow_conn_free(f->conn);
    SSL_free(f->ssl);
    SSL_CTX_free(f->ctx);
    tlsflow_config_free(f->cfg);
    free(f);
}

static void dump(const fx *f)
{
    const peer_link *l = &f->link;
    print_error("  tlsflow %s: done=%d closed=%d %s \"%s\" sent_alert=%d peer_alert=%d\n",
                f->role == TLSFLOW_SERVER ? "server" : "client", l->tf_handshake_done, l->tf_closed,
                tlsflow_error_name(tlsflow_last_error(f->conn)), tlsflow_last_error_text(f->conn),
                tlsflow_sent_alert(f->conn), tlsflow_peer_alert(f->conn));
    print_error("  openssl: done=%d failed=%d \"%s\"\n", l->ssl_handshake_done, l->ssl_failed,
                l->ssl_err_text);
}

static void handshake(fx *f)
{
    const peer_link *l = &f->link;
    int rc = peer_pump(&f->link);
    if (rc != 0 || tlsflow_last_error(f->conn) || l->tf_handshake_done != 1 ||
        !l->ssl_handshake_done || l->ssl_failed || l->breach[0])
        dump(f);
    assert_int_equal(rc, 0);
    assert_string_equal(l->breach, "");
    assert_int_equal(tlsflow_last_error(f->conn), 0);
    assert_int_equal(l->tf_handshake_done, 1);
    assert_true(l->ssl_handshake_done);
    assert_false(l->ssl_failed);
}

static void handshake_fails(fx *f)
{
    const peer_link *l = &f->link;
    int rc = peer_pump(&f->link);
    if (rc != 0 || !l->tf_closed || l->tf_handshake_done || !l->ssl_failed)
        dump(f);
    assert_int_equal(rc, 0);
    assert_true(l->tf_closed);
    assert_int_equal(l->tf_handshake_done, 0);
    assert_true(l->ssl_failed);
    assert_false(l->ssl_handshake_done);
}

/* Bytes both ways at once, compared on arrival. */
static void exchange(fx *f, size_t n)
{
    peer_link *l = &f->link;
    uint8_t *ours = malloc(n), *theirs = malloc(n), *peer_got = malloc(n), *we_got = malloc(n);
    tft_rng r = {n};
    tft_random(&r, ours, n);
    tft_random(&r, theirs, n);
    l->tf_tx = (peer_tx){ours, n, 0};
    l->ssl_tx = (peer_tx){theirs, n, 0};
    l->ssl_rx = (peer_rx){peer_got, n, 0, 0};
    l->tf_rx = (peer_rx){we_got, n, 0, 0};
    assert_int_equal(peer_pump(l), 0);
    assert_int_equal(tlsflow_last_error(f->conn), 0);
    assert_false(l->ssl_failed);
    assert_int_equal(l->ssl_rx.len, n);
    assert_int_equal(l->tf_rx.len, n);
    assert_memory_equal(peer_got, ours, n);
    assert_memory_equal(we_got, theirs, n);
    l->tf_tx = (peer_tx){0};
    l->ssl_tx = (peer_tx){0};
    l->tf_rx = (peer_rx){0};
    l->ssl_rx = (peer_rx){0};
    free(ours);
    free(theirs);
    free(peer_got);
    free(we_got);
}

/* The signature OpenSSL made or checked, as a TLS scheme code point. */
static uint16_t ossl_scheme(fx *f)
{
    int type = 0, hash = 0;
    /* Our server: OpenSSL checked the peer's; our client: OpenSSL made its own. */
    if (f->role == TLSFLOW_SERVER) {
        assert_int_equal(SSL_get_peer_signature_type_nid(f->ssl, &type), 1);
        assert_int_equal(SSL_get_peer_signature_nid(f->ssl, &hash), 1);
    } else {
        assert_int_equal(SSL_get_signature_type_nid(f->ssl, &type), 1);
        assert_int_equal(SSL_get_signature_nid(f->ssl, &hash), 1);
    }
    int h = hash == NID_sha256 ? 4 : hash == NID_sha384 ? 5 : hash == NID_sha512 ? 6 : 0;
    if (type == EVP_PKEY_RSA_PSS)
        return (uint16_t)(0x0800 | (h + 0));
    if (type == EVP_PKEY_RSA)
        return (uint16_t)(h << 8 | 0x01);
    if (type == EVP_PKEY_EC)
        return (uint16_t)(h << 8 | 0x03);
    return 0;
}

/* Both sides agree on suite, group, signature scheme and master secret. */
static void check_agreement(fx *f, uint16_t suite, const group_row *g)
{
    const tlsflow_info *in = tlsflow_get_info(f->conn);
    const SSL_CIPHER *c = SSL_get_current_cipher(f->ssl);
    assert_non_null(c);
    assert_int_equal(SSL_CIPHER_get_protocol_id(c), suite);
    assert_int_equal(in->cipher_suite, suite);
    assert_string_equal(tlsflow_suite_name(suite), SSL_CIPHER_standard_name(c));
    assert_string_equal(in->key_exchange, "ECDHE");
    assert_int_equal(in->group, g->id);
    assert_int_equal(SSL_get_negotiated_group(f->ssl), g->nid);
    uint16_t scheme = ossl_scheme(f);
    /* rsa_pss_rsae_* from OpenSSL's view: 0x0804..06 (its type nid is RSA-PSS). */
    assert_int_equal(in->signature_scheme, scheme);
    assert_int_equal(in->ems, 1);
    assert_int_equal(SSL_get_extms_support(f->ssl), 1);
    /* Equal key logs: the same master secret from the same shared secret. */
    assert_string_equal(f->keylog, f->link.keylog);
}

/* ---- every suite on every group, both roles ----------------------------------------- */

static const ossl_cred *cred_for(const suite_row *s, int p384)
{
    return s->ecdsa ? (p384 ? &g_ec384 : &g_ec256) : &g_rsa;
}

static void run_matrix(tlsflow_role role, int p384)
{
    for (size_t s = 0; s < ARRAY_LEN(SUITES); s++) {
        if (p384 && !SUITES[s].ecdsa)
            continue;
        for (size_t g = 0; g < ARRAY_LEN(GROUPS); g++) {
            fx *f;
            if (role == TLSFLOW_SERVER) {
                f = our_server(SUITES[s].ecdsa ? (p384 ? OURS_EC384 : OURS_EC256) : OURS_RSA,
                               SUITES[s].ossl);
            } else {
                const ossl_cred *creds[] = {cred_for(&SUITES[s], p384)};
                f = our_client(SUITES[s].ossl, creds, 1);
            }
            /* Each side offers every group (an ECDSA key's curve must be among the
             * client's, RFC 8422 §4); the server is made to prefer the one under test. */
            if (role == TLSFLOW_SERVER) {
                assert_int_equal(tlsflow_config_set_groups(f->cfg, &GROUPS[g].id, 1), 0);
            } else {
                char list[64];
                snprintf(list, sizeof(list), "%s", GROUPS[g].ossl);
                for (size_t o = 0; o < ARRAY_LEN(GROUPS); o++) {
                    if (o != g) {
                        strcat(list, ":");
                        strcat(list, GROUPS[o].ossl);
                    }
                }
                assert_int_equal(SSL_CTX_set1_groups_list(f->ctx, list), 1);
                SSL_CTX_set_options(f->ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
            }
            start(f);
            handshake(f);
            check_agreement(f, SUITES[s].id, &GROUPS[g]);
            exchange(f, 20000);
            fx_free(f);
        }
    }
}

static void test_our_server_every_suite_and_group(void **state)
{
    (void)state;
    run_matrix(TLSFLOW_SERVER, 0);
}

static void test_our_client_every_suite_and_group(void **state)
{
    (void)state;
    run_matrix(TLSFLOW_CLIENT, 0);
}

static void test_our_server_ecdsa_p384(void **state)
{
    (void)state;
    run_matrix(TLSFLOW_SERVER, 1);
}

static void test_our_client_ecdsa_p384(void **state)
{
    (void)state;
    run_matrix(TLSFLOW_CLIENT, 1);
}

/* ---- signature schemes ------------------------------------------------------------------ */

typedef struct {
    const char *ossl; /* for SSL_CTX_set1_sigalgs_list */
    uint16_t scheme;
    int ecdsa;
} sig_row;

static const sig_row SIGS[] = {
    {"rsa_pss_rsae_sha256", TLSFLOW_SIG_RSA_PSS_RSAE_SHA256, 0},
    {"rsa_pss_rsae_sha384", TLSFLOW_SIG_RSA_PSS_RSAE_SHA384, 0},
    {"rsa_pss_rsae_sha512", TLSFLOW_SIG_RSA_PSS_RSAE_SHA512, 0},
    {"RSA+SHA256", TLSFLOW_SIG_RSA_PKCS1_SHA256, 0},
    {"RSA+SHA384", TLSFLOW_SIG_RSA_PKCS1_SHA384, 0},
    {"RSA+SHA512", TLSFLOW_SIG_RSA_PKCS1_SHA512, 0},
    {"ECDSA+SHA256", TLSFLOW_SIG_ECDSA_SECP256R1_SHA256, 1},
    {"ECDSA+SHA384", TLSFLOW_SIG_ECDSA_SECP384R1_SHA384, 1},
    {"ECDSA+SHA512", TLSFLOW_SIG_ECDSA_SECP521R1_SHA512, 1},
};

/* Our server signs with the one scheme an OpenSSL client allows. */
static void test_our_server_signature_schemes(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(SIGS); i++) {
        for (int p384 = 0; p384 <= SIGS[i].ecdsa; p384++) {
            const suite_row *s = &SUITES[SIGS[i].ecdsa ? 0 : 3];
            fx *f =
                our_server(SIGS[i].ecdsa ? (p384 ? OURS_EC384 : OURS_EC256) : OURS_RSA, s->ossl);
            assert_int_equal(SSL_CTX_set1_sigalgs_list(f->ctx, SIGS[i].ossl), 1);
            start(f);
            handshake(f);
            check_agreement(f, s->id, &GROUPS[0]);
            assert_int_equal(tlsflow_get_info(f->conn)->signature_scheme, SIGS[i].scheme);
            exchange(f, 100);
            fx_free(f);
        }
    }
}

/* Our client offers one scheme; OpenSSL signs with it and we check it. */
static void test_our_client_signature_schemes(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(SIGS); i++) {
        for (int p384 = 0; p384 <= SIGS[i].ecdsa; p384++) {
            const suite_row *s = &SUITES[SIGS[i].ecdsa ? 0 : 3];
            const ossl_cred *creds[] = {cred_for(s, p384)};
            fx *f = our_client(s->ossl, creds, 1);
            assert_int_equal(tlsflow_config_set_signature_schemes(f->cfg, &SIGS[i].scheme, 1), 0);
            start(f);
            handshake(f);
            check_agreement(f, s->id, &GROUPS[0]);
            assert_int_equal(tlsflow_get_info(f->conn)->signature_scheme, SIGS[i].scheme);
            fx_free(f);
        }
    }
}

/* An OpenSSL client that signs only with SHA-1 gets RSA key transport from us, or
 * nothing if it offers only ECDHE. */
static void test_sha1_only_client(void **state)
{
    (void)state;
    fx *f = our_server(OURS_RSA, "ECDHE-RSA-AES128-GCM-SHA256:AES128-GCM-SHA256:@SECLEVEL=0");
    assert_int_equal(SSL_CTX_set1_sigalgs_list(f->ctx, "RSA+SHA1"), 1);
    start(f);
    handshake(f);
    assert_int_equal(tlsflow_get_info(f->conn)->cipher_suite, TLSFLOW_RSA_WITH_AES_128_GCM_SHA256);
    assert_string_equal(tlsflow_get_info(f->conn)->key_exchange, "RSA");
    exchange(f, 100);
    fx_free(f);

    f = our_server(OURS_RSA, "ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=0");
    assert_int_equal(SSL_CTX_set1_sigalgs_list(f->ctx, "RSA+SHA1"), 1);
    start(f);
    handshake_fails(f);
    assert_int_equal(tlsflow_last_error(f->conn), TLSFLOW_E_HANDSHAKE_FAILURE);
    assert_int_equal(peer_alert_received(&f->link, 2), TLSFLOW_ALERT_HANDSHAKE_FAILURE);
    fx_free(f);
}

/* ---- the server's choices, as OpenSSL sees them -------------------------------------------- */

static void test_chacha_preference(void **state)
{
    (void)state;
    static const struct {
        const char *ossl;
        uint16_t want;
    } cases[] = {
        {"ECDHE-RSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256",
         TLSFLOW_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256},
        {"ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-CHACHA20-POLY1305",
         TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256},
        {"ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384:"
         "ECDHE-RSA-AES128-GCM-SHA256",
         TLSFLOW_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        fx *f = our_server(OURS_RSA | OURS_EC256, cases[i].ossl);
        start(f);
        handshake(f);
        assert_int_equal(SSL_CIPHER_get_protocol_id(SSL_get_current_cipher(f->ssl)), cases[i].want);
        exchange(f, 5000);
        fx_free(f);
    }
}

/* OpenSSL's own default offer: we pick ECDHE-ECDSA with AES-128-GCM on x25519. With
 * only RSA authentication allowed, the RSA credential answers. */
static void test_credential_by_suite(void **state)
{
    (void)state;
    fx *f = our_server(OURS_RSA | OURS_EC256, "DEFAULT");
    start(f);
    handshake(f);
    check_agreement(f, TLSFLOW_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, &GROUPS[0]);
    assert_int_equal(EVP_PKEY_get_base_id(X509_get0_pubkey(SSL_get0_peer_certificate(f->ssl))),
                     EVP_PKEY_EC);
    fx_free(f);

    f = our_server(OURS_EC256 | OURS_RSA, "aRSA+AESGCM");
    start(f);
    handshake(f);
    check_agreement(f, TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256, &GROUPS[0]);
    assert_int_equal(EVP_PKEY_get_base_id(X509_get0_pubkey(SSL_get0_peer_certificate(f->ssl))),
                     EVP_PKEY_RSA);
    fx_free(f);

    /* OpenSSL serving both kinds to our default client: our order asks for ECDSA first. */
    const ossl_cred *both[] = {&g_rsa, &g_ec256};
    f = our_client("DEFAULT", both, 2);
    start(f);
    handshake(f);
    check_agreement(f, TLSFLOW_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, &GROUPS[0]);
    assert_string_equal(tlsflow_get_info(f->conn)->cert.key_type, "EC");
    fx_free(f);
}

/* No group in common: no ECDHE suite (RFC 8422 §4). */
static void test_no_common_group(void **state)
{
    (void)state;
    fx *f = our_server(OURS_RSA, "ECDHE-RSA-AES128-GCM-SHA256");
    assert_int_equal(SSL_CTX_set1_groups_list(f->ctx, "P-521:X448"), 1);
    start(f);
    handshake_fails(f);
    assert_int_equal(tlsflow_last_error(f->conn), TLSFLOW_E_HANDSHAKE_FAILURE);
    assert_int_equal(peer_alert_received(&f->link, 2), TLSFLOW_ALERT_HANDSHAKE_FAILURE);
    fx_free(f);

    /* ...and an OpenSSL server restricted to a group we did not offer refuses us. */
    const ossl_cred *rsa[] = {&g_rsa};
    f = our_client("ECDHE-RSA-AES128-GCM-SHA256", rsa, 1);
    assert_int_equal(SSL_CTX_set1_groups_list(f->ctx, "P-521"), 1);
    start(f);
    handshake_fails(f);
    assert_int_equal(tlsflow_peer_alert(f->conn), TLSFLOW_ALERT_HANDSHAKE_FAILURE);
    fx_free(f);
}

/* ---- tampered key exchange ------------------------------------------------------------------ */

/* The first handshake record whose first byte is `type`: OpenSSL writes one message per
 * record before ChangeCipherSpec. Returns its 1-based index among handshake records. */
static unsigned record_index_of(tlsflow_role ours, const char *ciphers, const char *groups,
                                uint8_t type)
{
    for (unsigned nth = 1; nth <= 8; nth++) {
        fx *f;
        if (ours == TLSFLOW_CLIENT) {
            const ossl_cred *rsa[] = {&g_rsa};
            f = our_client(ciphers, rsa, 1);
        } else {
            f = our_server(OURS_RSA, ciphers);
        }
        assert_int_equal(SSL_CTX_set1_groups_list(f->ctx, groups), 1);
        start(f);
        peer_tamper *t =
            ours == TLSFLOW_CLIENT ? &f->link.tamper_to_engine : &f->link.tamper_to_peer;
        peer_tamper_arm(t, 22, nth, 1000000); /* past the end: observe only */
        peer_pump(&f->link);
        int first = t->first_byte;
        fx_free(f);
        if (first == type)
            return nth;
    }
    fail_msg("no handshake record of type %u", type);
    return 0;
}

typedef struct {
    const char *name;
    tlsflow_role victim; /* whose input is tampered: our client (SKE) or our server (CKE) */
    const char *groups;
    size_t offset; /* body byte to flip, handshake header included */
    int err, alert;
} tamper_row;

static void run_tamper(const tamper_row *r)
{
    uint8_t type = r->victim == TLSFLOW_CLIENT ? 12 : 16;
    const char *ciphers = "ECDHE-RSA-AES128-GCM-SHA256";
    unsigned nth = r->victim == TLSFLOW_CLIENT
                       ? record_index_of(TLSFLOW_CLIENT, ciphers, r->groups, type)
                       : 2; /* ClientHello, then our ClientKeyExchange */
    fx *f;
    if (r->victim == TLSFLOW_CLIENT) {
        const ossl_cred *rsa[] = {&g_rsa};
        f = our_client(ciphers, rsa, 1);
    } else {
        f = our_server(OURS_RSA, ciphers);
    }
    assert_int_equal(SSL_CTX_set1_groups_list(f->ctx, r->groups), 1);
    start(f);
    peer_tamper_arm(&f->link.tamper_to_engine, 22, nth, r->offset);
    handshake_fails(f);
    assert_true(f->link.tamper_to_engine.done);
    assert_int_equal(f->link.tamper_to_engine.first_byte, type);
    if (tlsflow_last_error(f->conn) != r->err) {
        dump(f);
        fail_msg("%s", r->name);
    }
    assert_int_equal(tlsflow_sent_alert(f->conn), r->alert);
    assert_int_equal(peer_alert_received(&f->link, 2), r->alert);
    fx_free(f);
}

static void test_tampered_key_exchange(void **state)
{
    (void)state;
    /* ServerKeyExchange: 4-byte header, curve type, group, point length, point, scheme,
     * signature length, signature. ClientKeyExchange: header, point length, point. */
    const tamper_row rows[] = {
        {"OpenSSL's signature", TLSFLOW_CLIENT, "X25519", 4 + 4 + 32 + 4 + 100,
         TLSFLOW_E_BAD_SIGNATURE, TLSFLOW_ALERT_DECRYPT_ERROR},
        {"OpenSSL's signed x25519 value", TLSFLOW_CLIENT, "X25519", 4 + 4 + 5,
         TLSFLOW_E_BAD_SIGNATURE, TLSFLOW_ALERT_DECRYPT_ERROR},
        {"OpenSSL's P-256 point", TLSFLOW_CLIENT, "P-256", 4 + 4 + 30, TLSFLOW_E_ILLEGAL_PARAMETER,
         TLSFLOW_ALERT_ILLEGAL_PARAMETER},
        {"OpenSSL's group", TLSFLOW_CLIENT, "P-256", 4 + 2, TLSFLOW_E_ILLEGAL_PARAMETER,
         TLSFLOW_ALERT_ILLEGAL_PARAMETER},
        {"OpenSSL's P-384 client point", TLSFLOW_SERVER, "P-384", 4 + 1 + 40,
         TLSFLOW_E_ILLEGAL_PARAMETER, TLSFLOW_ALERT_ILLEGAL_PARAMETER},
        {"OpenSSL's P-256 point form", TLSFLOW_SERVER, "P-256", 4 + 1, TLSFLOW_E_ILLEGAL_PARAMETER,
         TLSFLOW_ALERT_ILLEGAL_PARAMETER},
    };
    for (size_t i = 0; i < ARRAY_LEN(rows); i++)
        run_tamper(&rows[i]);
}

/* Where our ServerKeyExchange's public value sits in our first flight (one record), for
 * this OpenSSL client: a dry run up to our flight. */
static size_t our_ske_point_offset(int creds, const char *ciphers)
{
    fx *f = our_server(creds, ciphers);
    start(f);
    assert_int_equal(SSL_do_handshake(f->ssl), -1); /* the ClientHello, then it waits */
    char *hello;
    long n = BIO_get_mem_data(f->link.ssl_wbio, &hello);
    size_t room;
    assert_true(n > 0);
    memcpy(tlsflow_in_buf(f->conn, &room), hello, (size_t)n);
    tlsflow_in_ack(f->conn, (size_t)n);
    assert_int_equal(tlsflow_poll(f->conn), TLSFLOW_OUTPUT_READY);
    size_t len, at = 5, found = 0;
    const uint8_t *out = tlsflow_out_buf(f->conn, &len);
    while (at + 4 <= len && !found) {
        size_t body = ((size_t)out[at + 1] << 16) | ((size_t)out[at + 2] << 8) | out[at + 3];
        if (out[at] == 12)
            found = at - 5 + 4 + 4; /* record body offset of the point */
        at += 4 + body;
    }
    assert_true(found > 0);
    fx_free(f);
    return found;
}

/* OpenSSL really checks our signature: a flipped bit of the signed public value fails. */
static void test_openssl_checks_our_signature(void **state)
{
    (void)state;
    static const int creds[] = {OURS_RSA, OURS_EC256};
    static const char *const ciphers[] = {"ECDHE-RSA-AES128-GCM-SHA256",
                                          "ECDHE-ECDSA-AES128-GCM-SHA256"};
    for (size_t i = 0; i < ARRAY_LEN(creds); i++) {
        size_t point = our_ske_point_offset(creds[i], ciphers[i]);
        fx *f = our_server(creds[i], ciphers[i]);
        start(f);
        peer_tamper_arm(&f->link.tamper_to_peer, 22, 1, point + 3);
        handshake_fails(f);
        assert_true(f->link.tamper_to_peer.done);
        assert_int_equal(f->link.tamper_to_peer.first_byte, 2); /* our ServerHello record */
        assert_int_equal(peer_alert_sent(&f->link, 2), TLSFLOW_ALERT_DECRYPT_ERROR);
        assert_int_equal(tlsflow_peer_alert(f->conn), TLSFLOW_ALERT_DECRYPT_ERROR);
        fx_free(f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_our_server_every_suite_and_group),
        cmocka_unit_test(test_our_client_every_suite_and_group),
        cmocka_unit_test(test_our_server_ecdsa_p384),
        cmocka_unit_test(test_our_client_ecdsa_p384),
        cmocka_unit_test(test_our_server_signature_schemes),
        cmocka_unit_test(test_our_client_signature_schemes),
        cmocka_unit_test(test_sha1_only_client),
        cmocka_unit_test(test_chacha_preference),
        cmocka_unit_test(test_credential_by_suite),
        cmocka_unit_test(test_no_common_group),
        cmocka_unit_test(test_tampered_key_exchange),
        cmocka_unit_test(test_openssl_checks_our_signature),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
