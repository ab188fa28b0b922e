/* ECDHE and ChaCha20-Poly1305, our client against our server in memory: every suite on
 * every group with RSA, ECDSA P-256 and ECDSA P-384 certificates; what each side reports;
 * the server's choices (suite order, ChaCha20 preference, groups, signature schemes,
 * credentials); the checks on ServerKeyExchange and ClientKeyExchange (tampered in
 * flight: alerts and errors on both sides); reproducible transcripts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wolfssl/options.h>

#include "crypto.h"
#include "internal.h"
#include "msg.h"
#include "suites.h"
#include "tf_test.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

enum { CRED_RSA = 1, CRED_EC256 = 2, CRED_EC384 = 4 };

#define SKE             TF_HS_SERVER_KEY_EXCHANGE
#define CKE             TF_HS_CLIENT_KEY_EXCHANGE
#define ECDHE_RSA_128   TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256
#define ECDHE_ECDSA_128 TLSFLOW_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
#define P256            TLSFLOW_GROUP_SECP256R1
#define X25519          TLSFLOW_GROUP_X25519
#define ILLEGAL         TLSFLOW_E_ILLEGAL_PARAMETER, TLSFLOW_ALERT_ILLEGAL_PARAMETER

static const uint16_t ECDSA_SUITES[] = {TLSFLOW_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                                        TLSFLOW_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                                        TLSFLOW_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256};
static const uint16_t RSA_SUITES[] = {TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                                      TLSFLOW_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                                      TLSFLOW_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256};
static const uint16_t GROUPS[] = {TLSFLOW_GROUP_X25519, TLSFLOW_GROUP_SECP256R1,
                                  TLSFLOW_GROUP_SECP384R1};

/* ---- scaffolding ------------------------------------------------------------------- */

static void add_cred(tlsflow_config *cfg, const char *chain, const char *key, const char *sni)
{
    size_t cl, kl;
    uint8_t *c = tft_fixture(chain, &cl), *k = tft_fixture(key, &kl);
    assert_int_equal(tlsflow_config_add_credential(cfg, c, cl, k, kl, sni), 0);
    free(c);
    free(k);
}

static tlsflow_config *server_cfg(tft_rng *rng, int creds)
{
    tlsflow_config *cfg = tlsflow_config_new(TLSFLOW_SERVER);
    assert_non_null(cfg);
    if (creds & CRED_RSA)
        add_cred(cfg, "server.pem", "server.key", NULL);
    if (creds & CRED_EC256)
        add_cred(cfg, "server-ec.pem", "server-ec.key", NULL);
    if (creds & CRED_EC384)
        add_cred(cfg, "server-ec384.pem", "server-ec384.key", NULL);
    tlsflow_config_set_random(cfg, tft_random, rng);
    tlsflow_config_set_time(cfg, tft_time, NULL);
    return cfg;
}

typedef tft_pair pair;

/* Configurations only: tests adjust them, then pair_start builds the connections. The
 * client speaks TLS 1.2 only: these are the TLS 1.2 ECDHE suites (test_tls13.c has 1.3). */
static pair *pair_new(int creds)
{
    pair *p = tft_pair_new();
    assert_int_equal(
        tlsflow_config_set_versions(p->ccfg, TLSFLOW_VERSION_TLS12, TLSFLOW_VERSION_TLS12), 0);
    tlsflow_config_free(p->scfg);
    p->scfg = creds ? server_cfg(&p->srng, creds) : NULL;
    return p;
}

#define pair_start tft_pair_start
#define pair_free  tft_pair_free

static void client_suites(pair *p, const uint16_t *suites, size_t n)
{
    assert_int_equal(tlsflow_config_set_cipher_suites(p->ccfg, suites, n), 0);
}

/* Rewrites the bytes of one delivery in place; returns their new length. */
typedef size_t (*mutator)(uint8_t *buf, size_t len, void *ctx);

static tlsflow_event step(tlsflow_conn *from, tlsflow_conn *to, mutator m, void *ctx, size_t chunk,
                          tft_log *log)
{
    tlsflow_event ev = tlsflow_poll(from);
    if (ev != TLSFLOW_OUTPUT_READY)
        return ev;
    size_t n, room;
    const uint8_t *src = tlsflow_out_buf(from, &n);
    uint8_t *dst = tlsflow_in_buf(to, &room);
    if (chunk && n > chunk)
        n = chunk;
    if (n > room)
        n = room;
    if (n == 0)
        return ev;
    memcpy(dst, src, n);
    tlsflow_out_ack(from, n);
    size_t keep = m ? m(dst, n, ctx) : n;
    tft_log_add(log, dst, keep);
    tlsflow_in_ack(to, keep);
    return ev;
}

typedef struct {
    mutator to_server, to_client;
    void *ctx;
    size_t chunk;
    tft_log *c2s, *s2c;
} run_opts;

/* Pump until both report HANDSHAKE_DONE (returns 1) or nothing moves any more. */
static int run(pair *p, const run_opts *o)
{
    static const run_opts none = {0};
    int done_c = 0, done_s = 0;
    if (!o)
        o = &none;
    for (int i = 0; i < 200000 && !(done_c && done_s); i++) {
        tlsflow_event a = step(p->client, p->server, o->to_server, o->ctx, o->chunk, o->c2s);
        tlsflow_event b = step(p->server, p->client, o->to_client, o->ctx, o->chunk, o->s2c);
        done_c |= a == TLSFLOW_HANDSHAKE_DONE;
        done_s |= b == TLSFLOW_HANDSHAKE_DONE;
        /* Deliveries land in the peer's input at once: if neither side has output,
         * nothing is in flight and no one can move. */
        if ((a == TLSFLOW_CLOSED || a == TLSFLOW_NEED_INPUT) &&
            (b == TLSFLOW_CLOSED || b == TLSFLOW_NEED_INPUT))
            break;
    }
    return done_c && done_s;
}

/* The body of the first plaintext handshake message of `type` among the records in buf. */
static uint8_t *find_hs(uint8_t *buf, size_t len, uint8_t type, size_t *body_len)
{
    for (size_t off = 0; off + 5 <= len;) {
        size_t rec = ((size_t)buf[off + 3] << 8) | buf[off + 4];
        if (off + 5 + rec > len)
            break;
        for (size_t m = off + 5; buf[off] == TF_CT_HANDSHAKE && m + 4 <= off + 5 + rec;) {
            size_t body = ((size_t)buf[m + 1] << 16) | ((size_t)buf[m + 2] << 8) | buf[m + 3];
            if (buf[m] == type) {
                *body_len = body;
                return buf + m + 4;
            }
            m += 4 + body;
        }
        off += 5 + rec;
    }
    return NULL;
}

/* Exchange a little application data both ways through the new records. */
static void exchange(pair *p, size_t n)
{
    uint8_t *data = malloc(n), *got = calloc(1, n);
    assert_non_null(data);
    assert_non_null(got);
    tft_rng r = {77};
    tft_random(&r, data, n);
    tlsflow_conn *ends[2][2] = {{p->client, p->server}, {p->server, p->client}};
    for (int dir = 0; dir < 2; dir++) {
        tlsflow_conn *from = ends[dir][0], *to = ends[dir][1];
        size_t sent = 0, recvd = 0;
        for (int guard = 0; recvd < n && guard < 100000; guard++) {
            if (sent < n)
                sent += tlsflow_app_write(from, data + sent, n - sent);
            step(from, to, NULL, NULL, 0, NULL);
            if (tlsflow_poll(to) == TLSFLOW_APP_DATA) {
                size_t k;
                const uint8_t *a = tlsflow_app_peek(to, &k);
                memcpy(got + recvd, a, k);
                recvd += k;
                tlsflow_app_consume(to, k);
            }
        }
        assert_int_equal(recvd, n);
        assert_memory_equal(got, data, n);
        memset(got, 0, n);
    }
    free(data);
    free(got);
}

static size_t public_len(uint16_t group)
{
    return group == TLSFLOW_GROUP_X25519 ? 32 : group == TLSFLOW_GROUP_SECP256R1 ? 65 : 97;
}

/* ---- every suite on every group, all three certificate kinds ---------------------- */

static void check_one(uint16_t suite, uint16_t group, int cred, uint16_t want_scheme)
{
    pair *p = pair_new(cred);
    client_suites(p, &suite, 1);
    /* The server picks the group; the client keeps offering all (an ECDSA key's curve
     * must be among them, RFC 8422 §4). */
    assert_int_equal(tlsflow_config_set_groups(p->scfg, &group, 1), 0);
    pair_start(p);
    if (!run(p, NULL))
        fail_msg("suite %04x group %u: client \"%s\", server \"%s\"", suite, group,
                 tlsflow_last_error_text(p->client), tlsflow_last_error_text(p->server));
    const tlsflow_info *ci = tlsflow_get_info(p->client), *si = tlsflow_get_info(p->server);
    const tlsflow_info *both[] = {ci, si};
    for (int i = 0; i < 2; i++) {
        const tlsflow_info *in = both[i];
        assert_int_equal(in->cipher_suite, suite);
        assert_string_equal(in->key_exchange, "ECDHE");
        assert_int_equal(in->group, group);
        assert_string_equal(in->group_name, tlsflow_group_name(group));
        assert_int_equal(in->server_public_len, public_len(group));
        assert_int_equal(in->client_public_len, public_len(group));
        assert_int_equal(in->signature_scheme, want_scheme);
        assert_string_equal(in->signature_scheme_name, tlsflow_signature_scheme_name(want_scheme));
        assert_true(in->signature_len > 0);
        assert_int_equal(in->encrypted_premaster_len, 0);
        assert_int_equal(in->ems, 1);
    }
    assert_int_equal(ci->signature_len, si->signature_len);
    assert_string_equal(ci->cert.key_type, cred == CRED_RSA ? "RSA" : "EC");
    assert_string_equal(ci->cert.subject, si->cert.subject);
    exchange(p, 3000);
    pair_free(p);
}

static void test_ecdhe_rsa_all_groups(void **state)
{
    (void)state;
    for (size_t s = 0; s < ARRAY_LEN(RSA_SUITES); s++)
        for (size_t g = 0; g < ARRAY_LEN(GROUPS); g++)
            check_one(RSA_SUITES[s], GROUPS[g], CRED_RSA, TLSFLOW_SIG_RSA_PSS_RSAE_SHA256);
}

static void test_ecdhe_ecdsa_p256_all_groups(void **state)
{
    (void)state;
    for (size_t s = 0; s < ARRAY_LEN(ECDSA_SUITES); s++)
        for (size_t g = 0; g < ARRAY_LEN(GROUPS); g++)
            check_one(ECDSA_SUITES[s], GROUPS[g], CRED_EC256, TLSFLOW_SIG_ECDSA_SECP256R1_SHA256);
}

static void test_ecdhe_ecdsa_p384_all_groups(void **state)
{
    (void)state;
    for (size_t s = 0; s < ARRAY_LEN(ECDSA_SUITES); s++)
        for (size_t g = 0; g < ARRAY_LEN(GROUPS); g++)
            check_one(ECDSA_SUITES[s], GROUPS[g], CRED_EC384, TLSFLOW_SIG_ECDSA_SECP384R1_SHA384);
}

/* Every signature scheme we offer, made by our server and checked by our client. */
static void test_every_signature_scheme(void **state)
{
    (void)state;
    static const struct {
        uint16_t scheme;
        int cred;
        uint16_t suite;
    } cases[] = {
        {TLSFLOW_SIG_RSA_PSS_RSAE_SHA256, CRED_RSA, TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256},
        {TLSFLOW_SIG_RSA_PSS_RSAE_SHA384, CRED_RSA, TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256},
        {TLSFLOW_SIG_RSA_PSS_RSAE_SHA512, CRED_RSA, TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256},
        {TLSFLOW_SIG_RSA_PKCS1_SHA256, CRED_RSA, TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256},
        {TLSFLOW_SIG_RSA_PKCS1_SHA384, CRED_RSA, TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256},
        {TLSFLOW_SIG_RSA_PKCS1_SHA512, CRED_RSA, TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256},
        {TLSFLOW_SIG_ECDSA_SECP256R1_SHA256, CRED_EC384,
         TLSFLOW_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
        {TLSFLOW_SIG_ECDSA_SECP384R1_SHA384, CRED_EC256,
         TLSFLOW_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
        {TLSFLOW_SIG_ECDSA_SECP521R1_SHA512, CRED_EC256,
         TLSFLOW_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        pair *p = pair_new(cases[i].cred);
        client_suites(p, &cases[i].suite, 1);
        assert_int_equal(tlsflow_config_set_signature_schemes(p->ccfg, &cases[i].scheme, 1), 0);
        pair_start(p);
        assert_true(run(p, NULL));
        assert_int_equal(tlsflow_get_info(p->client)->signature_scheme, cases[i].scheme);
        assert_int_equal(tlsflow_get_info(p->server)->signature_scheme, cases[i].scheme);
        exchange(p, 100);
        pair_free(p);
    }
}

/* RSA key transport still negotiates, and says so. */
static void test_rsa_key_exchange_info(void **state)
{
    (void)state;
    pair *p = pair_new(CRED_RSA | CRED_EC256);
    uint16_t suite = TLSFLOW_RSA_WITH_AES_256_GCM_SHA384;
    client_suites(p, &suite, 1);
    pair_start(p);
    assert_true(run(p, NULL));
    for (int i = 0; i < 2; i++) {
        const tlsflow_info *in = tlsflow_get_info(i ? p->server : p->client);
        assert_string_equal(in->key_exchange, "RSA");
        assert_int_equal(in->group, 0);
        assert_string_equal(in->group_name, "");
        assert_int_equal(in->signature_scheme, 0);
        assert_int_equal(in->encrypted_premaster_len, 256);
    }
    /* No ECC suite offered: no supported_groups, no ec_point_formats (RFC 8422 §4). */
    assert_int_equal(tlsflow_get_info(p->server)->client_hello->n_groups, 0);
    assert_int_equal(tlsflow_get_info(p->server)->client_hello->n_point_formats, 0);
    pair_free(p);
}

/* ---- the server's choices ------------------------------------------------------------ */

static uint16_t negotiated(pair *p)
{
    pair_start(p);
    if (!run(p, NULL))
        return 0;
    assert_int_equal(tlsflow_get_info(p->client)->cipher_suite,
                     tlsflow_get_info(p->server)->cipher_suite);
    return tlsflow_get_info(p->client)->cipher_suite;
}

/* Defaults: forward secrecy, ECDSA when there is an ECDSA credential, AES-GCM, x25519. */
static void test_default_preferences(void **state)
{
    (void)state;
    pair *p = pair_new(CRED_RSA | CRED_EC256);
    assert_int_equal(negotiated(p), TLSFLOW_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    assert_int_equal(tlsflow_get_info(p->server)->group, TLSFLOW_GROUP_X25519);
    assert_string_equal(tlsflow_get_info(p->client)->cert.key_type, "EC");
    /* The client offered both extensions, uncompressed points only. */
    const tlsflow_hello_info *h = tlsflow_get_info(p->server)->client_hello;
    assert_int_equal(h->n_groups, 3);
    assert_int_equal(h->groups[0], TLSFLOW_GROUP_X25519);
    assert_int_equal(h->n_point_formats, 1);
    assert_int_equal(h->point_formats[0], 0);
    pair_free(p);

    p = pair_new(CRED_RSA);
    assert_int_equal(negotiated(p), TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256);
    pair_free(p);

    /* The ECDSA credential added first changes nothing: the suite order decides. */
    p = pair_new(0);
    p->scfg = server_cfg(&p->srng, CRED_EC256);
    add_cred(p->scfg, "server.pem", "server.key", NULL);
    uint16_t rsa_only[] = {TLSFLOW_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                           TLSFLOW_RSA_WITH_AES_128_GCM_SHA256};
    client_suites(p, rsa_only, 2);
    assert_int_equal(negotiated(p), TLSFLOW_ECDHE_RSA_WITH_AES_256_GCM_SHA384);
    assert_string_equal(tlsflow_get_info(p->client)->cert.key_type, "RSA");
    pair_free(p);
}

/* A client listing ChaCha20 first gets it; otherwise AES-GCM wins. */
static void test_chacha_client_preference(void **state)
{
    (void)state;
    static const struct {
        uint16_t offer[3];
        size_t n;
        int creds;
        uint16_t want;
    } cases[] = {
        {{TLSFLOW_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
          TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256},
         2,
         CRED_RSA,
         TLSFLOW_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256},
        {{TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
          TLSFLOW_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256},
         2,
         CRED_RSA,
         TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256},
        {{TLSFLOW_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
          TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLSFLOW_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
         3,
         CRED_RSA | CRED_EC256,
         TLSFLOW_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256},
        /* ChaCha20 first, but only for RSA certificates: the ECDSA AES-GCM suite stays
         * ahead (the reordering is within one key exchange and authentication). */
        {{TLSFLOW_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
          TLSFLOW_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
         2,
         CRED_RSA | CRED_EC256,
         TLSFLOW_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        pair *p = pair_new(cases[i].creds);
        client_suites(p, cases[i].offer, cases[i].n);
        assert_int_equal(negotiated(p), cases[i].want);
        pair_free(p);
    }
    /* A server configured without ChaCha20 never picks it. */
    pair *p = pair_new(CRED_RSA);
    uint16_t offer[] = {TLSFLOW_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
                        TLSFLOW_ECDHE_RSA_WITH_AES_256_GCM_SHA384};
    uint16_t ours[] = {TLSFLOW_ECDHE_RSA_WITH_AES_256_GCM_SHA384};
    client_suites(p, offer, 2);
    assert_int_equal(tlsflow_config_set_cipher_suites(p->scfg, ours, 1), 0);
    assert_int_equal(negotiated(p), TLSFLOW_ECDHE_RSA_WITH_AES_256_GCM_SHA384);
    pair_free(p);
}

static void test_server_order_function(void **state)
{
    (void)state;
    uint16_t ours[] = {
        TLSFLOW_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        TLSFLOW_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        TLSFLOW_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, TLSFLOW_RSA_WITH_AES_128_GCM_SHA256};
    uint16_t want[] = {TLSFLOW_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
                       TLSFLOW_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                       TLSFLOW_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
                       TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                       TLSFLOW_RSA_WITH_AES_128_GCM_SHA256};
    uint16_t out[ARRAY_LEN(ours)];
    assert_int_equal(tf_suites_server_order(ours, ARRAY_LEN(ours), 1, out), ARRAY_LEN(ours));
    assert_memory_equal(out, want, sizeof(want));
    assert_int_equal(tf_suites_server_order(ours, ARRAY_LEN(ours), 0, out), ARRAY_LEN(ours));
    assert_memory_equal(out, ours, sizeof(ours));
    /* Which AEAD a client lists first, skipping values we do not implement. */
    static const uint8_t chacha_first[] = {0x00, 0x2f, 0x0a, 0x0a, 0xcc, 0xa8, 0xc0, 0x2f};
    static const uint8_t gcm_first[] = {0x00, 0x35, 0xc0, 0x2b, 0xcc, 0xa9};
    static const uint8_t chacha13_first[] = {0x13, 0x03, 0x13, 0x01, 0xc0, 0x2b};
    static const uint8_t gcm13_first[] = {0x13, 0x01, 0xcc, 0xa8};
    assert_true(tf_suites_client_prefers_chacha(chacha_first, sizeof(chacha_first)));
    assert_false(tf_suites_client_prefers_chacha(gcm_first, sizeof(gcm_first)));
    assert_true(tf_suites_client_prefers_chacha(chacha13_first, sizeof(chacha13_first)));
    assert_false(tf_suites_client_prefers_chacha(gcm13_first, sizeof(gcm13_first)));
}

/* The server's group preference among the client's. */
static void test_group_preference(void **state)
{
    (void)state;
    pair *p = pair_new(CRED_RSA);
    uint16_t client_groups[] = {TLSFLOW_GROUP_SECP384R1, TLSFLOW_GROUP_SECP256R1};
    assert_int_equal(tlsflow_config_set_groups(p->ccfg, client_groups, 2), 0);
    assert_int_equal(negotiated(p), TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256);
    assert_int_equal(tlsflow_get_info(p->client)->group, TLSFLOW_GROUP_SECP256R1);
    pair_free(p);

    p = pair_new(CRED_RSA);
    uint16_t server_groups[] = {TLSFLOW_GROUP_SECP384R1, TLSFLOW_GROUP_X25519};
    assert_int_equal(tlsflow_config_set_groups(p->scfg, server_groups, 2), 0);
    assert_int_equal(negotiated(p), TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256);
    assert_int_equal(tlsflow_get_info(p->client)->group, TLSFLOW_GROUP_SECP384R1);
    pair_free(p);
}

/* RFC 8422 §4: no ECDHE suite without a group in common. */
static void test_no_common_group(void **state)
{
    (void)state;
    uint16_t x25519 = TLSFLOW_GROUP_X25519, p256 = TLSFLOW_GROUP_SECP256R1;
    pair *p = pair_new(CRED_RSA);
    assert_int_equal(tlsflow_config_set_groups(p->ccfg, &x25519, 1), 0);
    assert_int_equal(tlsflow_config_set_groups(p->scfg, &p256, 1), 0);
    client_suites(p, RSA_SUITES, ARRAY_LEN(RSA_SUITES));
    pair_start(p);
    assert_false(run(p, NULL));
    assert_int_equal(tlsflow_last_error(p->server), TLSFLOW_E_HANDSHAKE_FAILURE);
    assert_int_equal(tlsflow_sent_alert(p->server), TLSFLOW_ALERT_HANDSHAKE_FAILURE);
    assert_int_equal(tlsflow_peer_alert(p->client), TLSFLOW_ALERT_HANDSHAKE_FAILURE);
    pair_free(p);

    /* With RSA key transport also offered, that is what gets chosen. */
    p = pair_new(CRED_RSA);
    assert_int_equal(tlsflow_config_set_groups(p->ccfg, &x25519, 1), 0);
    assert_int_equal(tlsflow_config_set_groups(p->scfg, &p256, 1), 0);
    assert_int_equal(negotiated(p), TLSFLOW_RSA_WITH_AES_128_GCM_SHA256);
    pair_free(p);

    /* An ECDSA key on P-256 needs P-256 among the client's groups (RFC 8422 §4). */
    p = pair_new(CRED_EC256);
    assert_int_equal(tlsflow_config_set_groups(p->ccfg, &x25519, 1), 0);
    pair_start(p);
    assert_false(run(p, NULL));
    assert_int_equal(tlsflow_last_error(p->server), TLSFLOW_E_HANDSHAKE_FAILURE);
    pair_free(p);
}

/* Credentials: SNI first, then the key type the suite needs. */
static void test_credential_selection(void **state)
{
    (void)state;
    /* An RSA default and an ECDSA credential for "localhost": SNI picks the ECDSA one,
     * and only it, so a client that cannot use it gets no handshake. */
    pair *p = pair_new(CRED_RSA);
    add_cred(p->scfg, "server-ec.pem", "server-ec.key", "localhost");
    assert_int_equal(negotiated(p), TLSFLOW_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    pair_free(p);

    p = pair_new(CRED_RSA);
    add_cred(p->scfg, "server-ec.pem", "server-ec.key", "localhost");
    client_suites(p, RSA_SUITES, ARRAY_LEN(RSA_SUITES));
    pair_start(p);
    assert_false(run(p, NULL));
    assert_int_equal(tlsflow_last_error(p->server), TLSFLOW_E_HANDSHAKE_FAILURE);
    pair_free(p);

    /* Both named "localhost": the suite chooses between them. */
    p = pair_new(0);
    p->scfg = server_cfg(&p->srng, 0);
    add_cred(p->scfg, "server.pem", "server.key", "localhost");
    add_cred(p->scfg, "server-ec384.pem", "server-ec384.key", "localhost");
    assert_int_equal(negotiated(p), TLSFLOW_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256);
    assert_int_equal(tlsflow_get_info(p->client)->cert.key_bits, 384);
    pair_free(p);

    p = pair_new(0);
    p->scfg = server_cfg(&p->srng, 0);
    add_cred(p->scfg, "server-ec384.pem", "server-ec384.key", "localhost");
    add_cred(p->scfg, "server.pem", "server.key", "localhost");
    client_suites(p, RSA_SUITES, ARRAY_LEN(RSA_SUITES));
    assert_int_equal(negotiated(p), TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256);
    assert_string_equal(tlsflow_get_info(p->client)->cert.key_type, "RSA");
    pair_free(p);
}

/* Key encodings: SEC 1 and PKCS#8 PEM, and DER; mismatches refused. */
static void test_add_credential_key_types(void **state)
{
    (void)state;
    size_t cl, kl;
    uint8_t *chain = tft_fixture("server-ec.pem", &cl), *key = tft_fixture("server-ec.key", &kl);
    uint8_t der[512];
    size_t der_len;
    tlsflow_config *cfg = tlsflow_config_new(TLSFLOW_SERVER);
    assert_int_equal(tf_pem_key_to_der((const char *)key, kl, der, sizeof(der), &der_len), 0);
    assert_int_equal(tlsflow_config_add_credential(cfg, chain, cl, der, der_len, NULL), 0);
    assert_int_equal(cfg->creds[0].key_type, TF_KEY_EC);
    assert_int_equal(cfg->creds[0].key_group, TLSFLOW_GROUP_SECP256R1);
    free(key);
    key = tft_fixture("server-ec384.key", &kl); /* PKCS#8, P-384: not this certificate's key */
    assert_int_equal(tlsflow_config_add_credential(cfg, chain, cl, key, kl, NULL),
                     TLSFLOW_E_CONFIG);
    free(chain);
    chain = tft_fixture("server-ec384.pem", &cl);
    assert_int_equal(tlsflow_config_add_credential(cfg, chain, cl, key, kl, NULL), 0);
    assert_int_equal(cfg->creds[1].key_group, TLSFLOW_GROUP_SECP384R1);
    assert_int_equal(cfg->creds[1].info.key_bits, 384);
    free(key);
    key = tft_fixture("server.key", &kl); /* RSA key, EC certificate */
    assert_int_equal(tlsflow_config_add_credential(cfg, chain, cl, key, kl, NULL),
                     TLSFLOW_E_CONFIG);
    free(key);
    free(chain);
    tlsflow_config_free(cfg);
}

/* Every certificate of a credential's chain must parse, not only the leaf: a PEM block
 * that decodes to something else (here one stray base64 character) is refused, since a
 * peer would refuse the chain it went into. */
static void test_add_credential_chain_parses(void **state)
{
    (void)state;
    size_t cl, kl, al;
    uint8_t *leaf = tft_fixture("server.pem", &cl), *key = tft_fixture("server.key", &kl);
    uint8_t *ca = tft_fixture("ca.pem", &al);
    static const char begin[] = "-----BEGIN CERTIFICATE-----\n";
    uint8_t *chain = malloc(cl + al + 1);
    assert_non_null(chain);
    memcpy(chain, leaf, cl);
    memcpy(chain + cl, ca, al);
    tlsflow_config *cfg = tlsflow_config_new(TLSFLOW_SERVER);
    assert_int_equal(tlsflow_config_add_credential(cfg, chain, cl + al, key, kl, NULL), 0);
    assert_int_equal(cfg->creds[0].n_certs, 2);
    /* The same chain with a 'J' before the second block's base64. */
    assert_memory_equal(ca, begin, sizeof(begin) - 1);
    memcpy(chain + cl, ca, sizeof(begin) - 1);
    chain[cl + sizeof(begin) - 1] = 'J';
    memcpy(chain + cl + sizeof(begin), ca + sizeof(begin) - 1, al - (sizeof(begin) - 1));
    assert_int_equal(tlsflow_config_add_credential(cfg, chain, cl + al + 1, key, kl, NULL),
                     TLSFLOW_E_CONFIG);
    assert_int_equal(cfg->n_creds, 1);
    tlsflow_config_free(cfg);
    free(chain);
    free(ca);
    free(leaf);
    free(key);
}

static void test_config_setters(void **state)
{
    (void)state;
    tlsflow_config *cfg = tlsflow_config_new(TLSFLOW_CLIENT);
    uint16_t bad_group = 25, ok_group = TLSFLOW_GROUP_SECP384R1;
    uint16_t sha1 = 0x0201, pss = TLSFLOW_SIG_RSA_PSS_RSAE_SHA384;
    assert_int_equal(tlsflow_config_set_groups(cfg, &bad_group, 1), TLSFLOW_E_CONFIG);
    assert_int_equal(tlsflow_config_set_groups(cfg, &ok_group, 0), TLSFLOW_E_USAGE);
    assert_int_equal(tlsflow_config_set_groups(cfg, &ok_group, 1), 0);
    assert_int_equal(tlsflow_config_set_signature_schemes(cfg, &sha1, 1), TLSFLOW_E_CONFIG);
    assert_int_equal(tlsflow_config_set_signature_schemes(cfg, &pss, 1), 0);
    tlsflow_config_free(cfg);
    assert_string_equal(tlsflow_group_name(TLSFLOW_GROUP_X25519), "x25519");
    assert_null(tlsflow_group_name(25));
    assert_string_equal(tlsflow_signature_scheme_name(0x0804), "rsa_pss_rsae_sha256");
    assert_null(tlsflow_signature_scheme_name(0x0201));
    assert_string_equal(tlsflow_suite_name(0xCCA8), "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
    assert_string_equal(tlsflow_error_name(TLSFLOW_E_BAD_SIGNATURE), "TLSFLOW_E_BAD_SIGNATURE");
    assert_int_equal(tf_alert_for(TLSFLOW_E_BAD_SIGNATURE), TLSFLOW_ALERT_DECRYPT_ERROR);
}

/* ---- hand-made ClientHellos -------------------------------------------------------- */

typedef struct {
    const uint16_t *suites;
    size_t n_suites;
    const uint16_t *groups; /* NULL: no supported_groups */
    size_t n_groups;
    const uint16_t *sigs; /* NULL: no signature_algorithms */
    size_t n_sigs;
    const uint8_t *formats; /* NULL: no ec_point_formats */
    size_t n_formats;
} hello_spec;

static void put_u16_ext(tf_writer *w, uint16_t type, const uint16_t *v, size_t n)
{
    tf_put_u16(w, type);
    tf_vec ext = tf_put_vector_begin(w, 2), list = tf_put_vector_begin(w, 2);
    for (size_t i = 0; i < n; i++)
        tf_put_u16(w, v[i]);
    tf_put_vector_end(w, list);
    tf_put_vector_end(w, ext);
}

/* One record holding a ClientHello built from spec. */
static size_t build_hello(const hello_spec *s, uint8_t *out, size_t cap)
{
    tf_writer w = tf_writer_init(out, cap);
    tf_put_u8(&w, TF_CT_HANDSHAKE);
    tf_put_u16(&w, 0x0303);
    tf_vec rec = tf_put_vector_begin(&w, 2);
    tf_put_u8(&w, TF_HS_CLIENT_HELLO);
    tf_vec body = tf_put_vector_begin(&w, 3);
    tf_put_u16(&w, 0x0303);
    uint8_t random[32];
    memset(random, 0x5a, sizeof(random));
    tf_put_bytes(&w, random, 32);
    tf_put_u8(&w, 0);
    tf_vec suites = tf_put_vector_begin(&w, 2);
    for (size_t i = 0; i < s->n_suites; i++)
        tf_put_u16(&w, s->suites[i]);
    tf_put_vector_end(&w, suites);
    tf_put_u8(&w, 1);
    tf_put_u8(&w, 0);
    tf_vec exts = tf_put_vector_begin(&w, 2);
    if (s->groups)
        put_u16_ext(&w, TF_EXT_SUPPORTED_GROUPS, s->groups, s->n_groups);
    if (s->sigs)
        put_u16_ext(&w, TF_EXT_SIGNATURE_ALGORITHMS, s->sigs, s->n_sigs);
    if (s->formats) {
        tf_put_u16(&w, TF_EXT_EC_POINT_FORMATS);
        tf_vec ext = tf_put_vector_begin(&w, 2), list = tf_put_vector_begin(&w, 1);
        tf_put_bytes(&w, s->formats, s->n_formats);
        tf_put_vector_end(&w, list);
        tf_put_vector_end(&w, ext);
    }
    tf_put_vector_end(&w, exts);
    tf_put_vector_end(&w, body);
    tf_put_vector_end(&w, rec);
    assert_true(tf_writer_ok(&w));
    return w.len;
}

/* Feed a hand-made hello to a fresh server; its info, or its error and alert. */
static tlsflow_conn *serve_hello(tlsflow_config *cfg, const hello_spec *s)
{
    uint8_t rec[1024];
    size_t n = build_hello(s, rec, sizeof(rec)), room;
    tlsflow_conn *srv = tlsflow_conn_new(cfg);
    assert_non_null(srv);
    assert_int_equal(tlsflow_poll(srv), TLSFLOW_NEED_INPUT);
    memcpy(tlsflow_in_buf(srv, &room), rec, n);
    tlsflow_in_ack(srv, n);
    assert_int_equal(tlsflow_poll(srv), TLSFLOW_OUTPUT_READY);
    return srv;
}

static const uint16_t ALL_SIGS[] = {0x0804, 0x0401, 0x0403};

/* No supported_groups: P-256 is assumed (RFC 8422 §4 leaves the choice to us). */
static void test_hello_without_groups_gets_p256(void **state)
{
    (void)state;
    tft_rng r = {3};
    tlsflow_config *cfg = server_cfg(&r, CRED_RSA);
    hello_spec s = {RSA_SUITES, 3, NULL, 0, ALL_SIGS, 3, NULL, 0};
    tlsflow_conn *srv = serve_hello(cfg, &s);
    assert_int_equal(tlsflow_last_error(srv), 0);
    assert_int_equal(tlsflow_get_info(srv)->cipher_suite, RSA_SUITES[0]);
    assert_int_equal(tlsflow_get_info(srv)->group, TLSFLOW_GROUP_SECP256R1);
    tlsflow_conn_free(srv);
    /* ...unless the server does not do P-256. */
    uint16_t x25519 = TLSFLOW_GROUP_X25519;
    assert_int_equal(tlsflow_config_set_groups(cfg, &x25519, 1), 0);
    srv = serve_hello(cfg, &s);
    assert_int_equal(tlsflow_last_error(srv), TLSFLOW_E_HANDSHAKE_FAILURE);
    tlsflow_conn_free(srv);
    tlsflow_config_free(cfg);
}

/* Signatures are never SHA-1: a client offering only SHA-1 (or nothing, whose default
 * is SHA-1, RFC 5246 §7.4.1.4.1) gets no ECDHE suite for that key type. */
static void test_sha1_only_client(void **state)
{
    (void)state;
    tft_rng r = {4};
    tlsflow_config *cfg = server_cfg(&r, CRED_RSA | CRED_EC256);
    static const uint16_t prefer_rsa[] = {TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                                          TLSFLOW_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                                          TLSFLOW_RSA_WITH_AES_128_GCM_SHA256};
    assert_int_equal(tlsflow_config_set_cipher_suites(cfg, prefer_rsa, 3), 0);
    static const uint16_t sha1[] = {0x0201, 0x0203};
    static const uint16_t rsa_sha1_ecdsa_sha256[] = {0x0201, 0x0403};
    static const uint16_t suites[] = {TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                                      TLSFLOW_RSA_WITH_AES_128_GCM_SHA256};
    static const uint16_t both_ecdhe[] = {TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
                                          TLSFLOW_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256};
    const struct {
        hello_spec s;
        int err;
        uint16_t suite;
    } cases[] = {
        {{suites, 2, GROUPS, 3, sha1, 2, NULL, 0}, 0, TLSFLOW_RSA_WITH_AES_128_GCM_SHA256},
        {{suites, 2, GROUPS, 3, NULL, 0, NULL, 0}, 0, TLSFLOW_RSA_WITH_AES_128_GCM_SHA256},
        {{suites, 1, GROUPS, 3, sha1, 2, NULL, 0}, TLSFLOW_E_HANDSHAKE_FAILURE, 0},
        {{suites, 1, GROUPS, 3, NULL, 0, NULL, 0}, TLSFLOW_E_HANDSHAKE_FAILURE, 0},
        {{both_ecdhe, 2, GROUPS, 3, rsa_sha1_ecdsa_sha256, 2, NULL, 0},
         0,
         TLSFLOW_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        tlsflow_conn *srv = serve_hello(cfg, &cases[i].s);
        assert_int_equal(tlsflow_last_error(srv), cases[i].err);
        if (cases[i].err)
            assert_int_equal(tlsflow_sent_alert(srv), TLSFLOW_ALERT_HANDSHAKE_FAILURE);
        else
            assert_int_equal(tlsflow_get_info(srv)->cipher_suite, cases[i].suite);
        tlsflow_conn_free(srv);
    }
    tlsflow_config_free(cfg);
}

/* RFC 8422 §5.1.2: ec_point_formats without uncompressed is refused; with it, the
 * server answers the extension only for an ECDHE suite. */
static void test_point_formats(void **state)
{
    (void)state;
    tft_rng r = {5};
    tlsflow_config *cfg = server_cfg(&r, CRED_RSA);
    static const uint8_t compressed_only[] = {1, 2};
    hello_spec s = {RSA_SUITES, 3, GROUPS, 3, ALL_SIGS, 3, compressed_only, 2};
    tlsflow_conn *srv = serve_hello(cfg, &s);
    assert_int_equal(tlsflow_last_error(srv), TLSFLOW_E_ILLEGAL_PARAMETER);
    assert_int_equal(tlsflow_sent_alert(srv), TLSFLOW_ALERT_ILLEGAL_PARAMETER);
    tlsflow_conn_free(srv);
    tlsflow_config_free(cfg);

    static const uint8_t ext[] = {0x00, 0x0b, 0x00, 0x02, 0x01, 0x00};
    for (int ecdhe = 0; ecdhe < 2; ecdhe++) {
        pair *p = pair_new(CRED_RSA);
        uint16_t both[] = {ECDHE_RSA_128, TLSFLOW_RSA_WITH_AES_128_GCM_SHA256};
        client_suites(p, both, 2); /* so the client sends ec_point_formats */
        assert_int_equal(tlsflow_config_set_cipher_suites(p->scfg, &both[ecdhe ? 0 : 1], 1), 0);
        tft_log s2c = {0};
        run_opts o = {.s2c = &s2c};
        pair_start(p);
        assert_true(run(p, &o));
        size_t len;
        uint8_t *sh = find_hs(s2c.p, s2c.len, TF_HS_SERVER_HELLO, &len);
        assert_non_null(sh);
        int found = 0;
        for (size_t i = 0; i + sizeof(ext) <= len; i++)
            found |= memcmp(sh + i, ext, sizeof(ext)) == 0;
        assert_int_equal(found, ecdhe);
        tft_log_free(&s2c);
        pair_free(p);
    }
}

/* ---- tampering in flight ------------------------------------------------------------- */

typedef struct {
    uint8_t hs_type;
    void (*edit)(uint8_t *body, size_t len);
    int done;
} tamper;

static size_t tamper_once(uint8_t *buf, size_t len, void *ctx)
{
    tamper *t = ctx;
    size_t body_len;
    uint8_t *body = t->done ? NULL : find_hs(buf, len, t->hs_type, &body_len);
    if (body) {
        t->edit(body, body_len);
        t->done = 1;
    }
    return len;
}

/* ServerKeyExchange body: curve type, group (2), point length, point, scheme (2),
 * signature length (2), signature. */
static void ske_flip_signature(uint8_t *b, size_t len)
{
    b[len - 1] ^= 0x01;
}

static void ske_flip_signed_byte(uint8_t *b, size_t len)
{
    (void)len;
    b[4] ^= 0x80; /* x25519: any u-coordinate is valid; the signature no longer is */
}

static void ske_point_off_curve(uint8_t *b, size_t len)
{
    (void)len;
    b[4 + 20] ^= 0x01;
}

static void ske_point_compressed(uint8_t *b, size_t len)
{
    (void)len;
    b[4] = 0x02;
}

static void ske_unknown_group(uint8_t *b, size_t len)
{
    (void)len;
    b[1] = 0x00;
    b[2] = 25; /* secp521r1: never offered */
}

static void ske_other_group(uint8_t *b, size_t len)
{
    (void)len;
    b[2] = TLSFLOW_GROUP_SECP384R1; /* a group we know but did not offer here */
}

static void ske_explicit_curve(uint8_t *b, size_t len)
{
    (void)len;
    b[0] = 1; /* explicit_prime */
}

static void ske_sha1_scheme(uint8_t *b, size_t len)
{
    (void)len;
    size_t at = 4 + b[3];
    b[at] = 0x02;
    b[at + 1] = 0x01;
}

static void ske_ecdsa_scheme(uint8_t *b, size_t len)
{
    (void)len;
    size_t at = 4 + b[3];
    b[at] = 0x04;
    b[at + 1] = 0x03; /* ECDSA, but the certificate is RSA */
}

/* ClientKeyExchange body: point length, point. */
static void cke_point_off_curve(uint8_t *b, size_t len)
{
    (void)len;
    b[1 + 20] ^= 0x01;
}

static void cke_point_zero(uint8_t *b, size_t len)
{
    memset(b + 1, 0, len - 1); /* x25519 u = 0: a small-order point, all-zero secret */
}

static void cke_point_order_two(uint8_t *b, size_t len)
{
    memset(b + 1, 0, len - 1);
    b[1] = 1; /* u = 1: small order too */
}

typedef struct {
    const char *name;
    uint16_t suite, group;
    int creds;
    int to_server; /* tamper with what the client sends */
    tamper t;
    int err;   /* the victim's error */
    int alert; /* and the alert it sends */
} tamper_case;

static void run_tamper(const tamper_case *tc)
{
    pair *p = pair_new(tc->creds);
    client_suites(p, &tc->suite, 1);
    /* The server uses the group; an RSA client offers only it, an ECDSA client all
     * (its certificate's curve must be among them). */
    if (tc->creds == CRED_RSA)
        assert_int_equal(tlsflow_config_set_groups(p->ccfg, &tc->group, 1), 0);
    assert_int_equal(tlsflow_config_set_groups(p->scfg, &tc->group, 1), 0);
    tamper t = tc->t;
    run_opts o = {0};
    o.ctx = &t;
    if (tc->to_server)
        o.to_server = tamper_once;
    else
        o.to_client = tamper_once;
    pair_start(p);
    assert_false(run(p, &o));
    assert_true(t.done);
    tlsflow_conn *victim = tc->to_server ? p->server : p->client;
    tlsflow_conn *other = tc->to_server ? p->client : p->server;
    if (tlsflow_last_error(victim) != tc->err)
        fail_msg("%s: error %s (%s)", tc->name, tlsflow_error_name(tlsflow_last_error(victim)),
                 tlsflow_last_error_text(victim));
    assert_int_equal(tlsflow_sent_alert(victim), tc->alert);
    assert_int_equal(tlsflow_last_error(other), TLSFLOW_E_PEER_ALERT);
    assert_int_equal(tlsflow_peer_alert(other), tc->alert);
    pair_free(p);
}

static void test_bad_signature_is_decrypt_error(void **state)
{
    (void)state;
    const tamper_case cases[] = {
        {"RSA-PSS signature",
         ECDHE_RSA_128,
         P256,
         CRED_RSA,
         0,
         {SKE, ske_flip_signature, 0},
         TLSFLOW_E_BAD_SIGNATURE,
         TLSFLOW_ALERT_DECRYPT_ERROR},
        {"ECDSA signature",
         ECDHE_ECDSA_128,
         P256,
         CRED_EC256,
         0,
         {SKE, ske_flip_signature, 0},
         TLSFLOW_E_BAD_SIGNATURE,
         TLSFLOW_ALERT_DECRYPT_ERROR},
        {"signed x25519 value",
         ECDHE_RSA_128,
         X25519,
         CRED_RSA,
         0,
         {SKE, ske_flip_signed_byte, 0},
         TLSFLOW_E_BAD_SIGNATURE,
         TLSFLOW_ALERT_DECRYPT_ERROR},
        {"signed P-384 ECDSA",
         ECDHE_ECDSA_128,
         X25519,
         CRED_EC384,
         0,
         {SKE, ske_flip_signed_byte, 0},
         TLSFLOW_E_BAD_SIGNATURE,
         TLSFLOW_ALERT_DECRYPT_ERROR},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        run_tamper(&cases[i]);
}

static void test_invalid_point_is_illegal_parameter(void **state)
{
    (void)state;
    const tamper_case cases[] = {
        {"server point off the curve",
         ECDHE_RSA_128,
         P256,
         CRED_RSA,
         0,
         {SKE, ske_point_off_curve, 0},
         ILLEGAL},
        {"server point compressed",
         ECDHE_RSA_128,
         P256,
         CRED_RSA,
         0,
         {SKE, ske_point_compressed, 0},
         ILLEGAL},
        {"client point off the curve",
         ECDHE_RSA_128,
         P256,
         CRED_RSA,
         1,
         {CKE, cke_point_off_curve, 0},
         ILLEGAL},
        {"client P-384 point off the curve",
         ECDHE_ECDSA_128,
         TLSFLOW_GROUP_SECP384R1,
         CRED_EC256,
         1,
         {CKE, cke_point_off_curve, 0},
         ILLEGAL},
        {"client x25519 zero",
         ECDHE_RSA_128,
         X25519,
         CRED_RSA,
         1,
         {CKE, cke_point_zero, 0},
         ILLEGAL},
        {"client x25519 one",
         ECDHE_RSA_128,
         X25519,
         CRED_RSA,
         1,
         {CKE, cke_point_order_two, 0},
         ILLEGAL},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        run_tamper(&cases[i]);
}

static void test_bad_parameters_are_illegal_parameter(void **state)
{
    (void)state;
    const tamper_case cases[] = {
        {"unknown group", ECDHE_RSA_128, P256, CRED_RSA, 0, {SKE, ske_unknown_group, 0}, ILLEGAL},
        {"group not offered", ECDHE_RSA_128, P256, CRED_RSA, 0, {SKE, ske_other_group, 0}, ILLEGAL},
        {"explicit curve", ECDHE_RSA_128, P256, CRED_RSA, 0, {SKE, ske_explicit_curve, 0}, ILLEGAL},
        {"SHA-1 scheme", ECDHE_RSA_128, P256, CRED_RSA, 0, {SKE, ske_sha1_scheme, 0}, ILLEGAL},
        {"scheme for the wrong key",
         ECDHE_RSA_128,
         P256,
         CRED_RSA,
         0,
         {SKE, ske_ecdsa_scheme, 0},
         ILLEGAL},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++)
        run_tamper(&cases[i]);
}

/* ServerHello with ec_point_formats lacking uncompressed: the client refuses. */
static void sh_compressed_only(uint8_t *b, size_t len)
{
    static const uint8_t ext[] = {0x00, 0x0b, 0x00, 0x02, 0x01, 0x00};
    for (size_t i = 0; i + sizeof(ext) <= len; i++)
        if (memcmp(b + i, ext, sizeof(ext)) == 0)
            b[i + 5] = 0x01;
}

/* A ServerHelloDone where ServerKeyExchange belongs: the sequence enforces it. */
static size_t drop_ske(uint8_t *buf, size_t len, void *ctx)
{
    (void)ctx;
    size_t body_len;
    uint8_t *body = find_hs(buf, len, SKE, &body_len);
    if (!body)
        return len;
    uint8_t *msg = body - 4, *end = buf + len;
    size_t gone = 4 + body_len;
    memmove(msg, msg + gone, (size_t)(end - msg - gone));
    size_t rec = ((size_t)buf[3] << 8 | buf[4]) - gone; /* one record holds the flight */
    buf[3] = (uint8_t)(rec >> 8);
    buf[4] = (uint8_t)rec;
    return len - gone;
}

static void test_message_order(void **state)
{
    (void)state;
    const tamper_case sh = {"ServerHello point formats",
                            ECDHE_RSA_128,
                            P256,
                            CRED_RSA,
                            0,
                            {TF_HS_SERVER_HELLO, sh_compressed_only, 0},
                            ILLEGAL};
    run_tamper(&sh);

    pair *p = pair_new(CRED_RSA);
    client_suites(p, RSA_SUITES, 1);
    run_opts o = {.to_client = drop_ske};
    pair_start(p);
    assert_false(run(p, &o));
    assert_int_equal(tlsflow_last_error(p->client), TLSFLOW_E_UNEXPECTED_MESSAGE);
    assert_int_equal(tlsflow_sent_alert(p->client), TLSFLOW_ALERT_UNEXPECTED_MESSAGE);
    pair_free(p);
}

/* ---- reproducibility, fragmentation, bulk data ---------------------------------------- */

static void transcript(uint16_t suite, uint16_t group, int creds, size_t chunk, uint8_t out[32])
{
    pair *p = pair_new(creds);
    client_suites(p, &suite, 1);
    assert_int_equal(tlsflow_config_set_groups(p->scfg, &group, 1), 0);
    tft_log c2s = {0}, s2c = {0};
    run_opts o = {.chunk = chunk, .c2s = &c2s, .s2c = &s2c};
    pair_start(p);
    assert_true(run(p, &o));
    tf_hash h;
    tf_hash_init(&h, TF_HASH_SHA256);
    tf_hash_update(&h, c2s.p, c2s.len);
    tf_hash_update(&h, s2c.p, s2c.len);
    tf_hash_peek(&h, out);
    tf_hash_free(&h);
    tft_log_free(&c2s);
    tft_log_free(&s2c);
    pair_free(p);
}

static void hex32(const uint8_t d[32], char out[65])
{
    for (int i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", d[i]);
}

/* With a fixed random source the ephemeral keys, the PSS salt and so the whole handshake
 * are fixed: pinned here like the RSA transcript in test_handshake.c (the server, able to do
 * TLS 1.3, marks its random with the downgrade sentinel). If the fixtures are regenerated
 * (tests/fixtures/make.sh), update GOLDEN. */
static void test_golden_ecdhe_transcripts(void **state)
{
    (void)state;
    static const struct {
        uint16_t suite, group;
        int creds;
        const char *golden;
    } pins[] = {
        {TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256, TLSFLOW_GROUP_X25519, CRED_RSA,
         "11187b81053deb004cf518ba941d8e9d91f8e669b39bb76415f3a7a57f7b5fe1"},
        {TLSFLOW_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, TLSFLOW_GROUP_SECP384R1, CRED_RSA,
         "da67397dc04a4e9486982c251227212977a183c0b8f65b027102406143ebc020"},
    };
    for (size_t i = 0; i < ARRAY_LEN(pins); i++) {
        uint8_t a[32], b[32];
        char hex[65];
        transcript(pins[i].suite, pins[i].group, pins[i].creds, 0, a);
        transcript(pins[i].suite, pins[i].group, pins[i].creds, 0, b);
        assert_memory_equal(a, b, 32);
        hex32(a, hex);
        if (strcmp(hex, pins[i].golden) != 0)
            print_error("suite %04x: transcript digest %s, pinned %s\n", pins[i].suite, hex,
                        pins[i].golden);
        assert_string_equal(hex, pins[i].golden);
    }
}

/* ECDSA transcripts repeat too where wolfCrypt derives nonces (P-256 with SHA-256). */
static void test_ecdsa_transcript_reproducible(void **state)
{
    (void)state;
#if defined(WOLFSSL_ECDSA_DETERMINISTIC_K) || defined(WOLFSSL_ECDSA_DETERMINISTIC_K_VARIANT)
    uint8_t a[32], b[32];
    transcript(ECDHE_ECDSA_128, P256, CRED_EC256, 0, a);
    transcript(ECDHE_ECDSA_128, P256, CRED_EC256, 0, b);
    assert_memory_equal(a, b, 32);
#else
    skip();
#endif
}

/* Any split of the bytes gives the same transcript, for both nonce layouts. */
static void test_split_feeding_same_transcript(void **state)
{
    (void)state;
    uint16_t suites[] = {TLSFLOW_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
                         TLSFLOW_ECDHE_RSA_WITH_AES_256_GCM_SHA384};
    for (size_t i = 0; i < ARRAY_LEN(suites); i++) {
        uint8_t whole[32], bytewise[32], odd[32];
        transcript(suites[i], X25519, CRED_RSA, 0, whole);
        transcript(suites[i], X25519, CRED_RSA, 1, bytewise);
        transcript(suites[i], X25519, CRED_RSA, 7, odd);
        assert_memory_equal(whole, bytewise, 32);
        assert_memory_equal(whole, odd, 32);
    }
}

/* Full-size records both ways under ChaCha20-Poly1305 (no explicit nonce). */
static void test_chacha_bulk(void **state)
{
    (void)state;
    pair *p = pair_new(CRED_EC256);
    uint16_t suite = TLSFLOW_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256;
    client_suites(p, &suite, 1);
    pair_start(p);
    assert_true(run(p, NULL));
    exchange(p, (size_t)1 << 20);
    assert_true(tlsflow_get_info(p->client)->records_out >= 64);
    pair_free(p);
}

/* A flipped bit in a ChaCha20-Poly1305 record is bad_record_mac. */
static void test_chacha_record_tamper(void **state)
{
    (void)state;
    pair *p = pair_new(CRED_RSA);
    uint16_t suite = TLSFLOW_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256;
    client_suites(p, &suite, 1);
    pair_start(p);
    assert_true(run(p, NULL));
    assert_int_equal(tlsflow_app_write(p->client, "hello", 5), 5);
    size_t n, room;
    const uint8_t *out = tlsflow_out_buf(p->client, &n);
    assert_int_equal(n, 5 + 5 + 16); /* header, plaintext, tag: no explicit nonce */
    uint8_t *in = tlsflow_in_buf(p->server, &room);
    memcpy(in, out, n);
    in[7] ^= 0x01;
    tlsflow_in_ack(p->server, n);
    tlsflow_out_ack(p->client, n);
    assert_int_equal(tlsflow_poll(p->server), TLSFLOW_OUTPUT_READY);
    assert_int_equal(tlsflow_last_error(p->server), TLSFLOW_E_BAD_RECORD_MAC);
    assert_int_equal(tlsflow_sent_alert(p->server), TLSFLOW_ALERT_BAD_RECORD_MAC);
    pair_free(p);
}

/* The trace tells the ECDHE story in order. */
static void on_trace(void *ctx, const tlsflow_conn *conn, const tlsflow_trace_event *ev)
{
    (void)conn;
    tft_log *log = ctx;
    uint8_t step = (uint8_t)ev->step;
    tft_log_add(log, &step, 1);
}

static int index_of(const tft_log *log, tlsflow_step step)
{
    for (size_t i = 0; i < log->len; i++)
        if (log->p[i] == step)
            return (int)i;
    return -1;
}

static void test_trace_steps(void **state)
{
    (void)state;
    pair *p = pair_new(CRED_RSA);
    tft_log ct = {0}, st = {0};
    tlsflow_config_set_trace(p->ccfg, on_trace, &ct);
    tlsflow_config_set_trace(p->scfg, on_trace, &st);
    pair_start(p);
    assert_true(run(p, NULL));
    assert_true(index_of(&st, TLSFLOW_STEP_CERTIFICATE_SENT) <
                index_of(&st, TLSFLOW_STEP_SERVER_KEY_EXCHANGE_SENT));
    assert_true(index_of(&st, TLSFLOW_STEP_SERVER_KEY_EXCHANGE_SENT) <
                index_of(&st, TLSFLOW_STEP_SHARED_SECRET_COMPUTED));
    assert_true(index_of(&ct, TLSFLOW_STEP_CERTIFICATE_VERIFIED) <
                index_of(&ct, TLSFLOW_STEP_SERVER_KEY_EXCHANGE_VERIFIED));
    assert_true(index_of(&ct, TLSFLOW_STEP_SERVER_KEY_EXCHANGE_VERIFIED) <
                index_of(&ct, TLSFLOW_STEP_CLIENT_KEY_SHARE_SENT));
    assert_int_equal(index_of(&ct, TLSFLOW_STEP_PREMASTER_ENCRYPTED), -1);
    assert_int_equal(index_of(&st, TLSFLOW_STEP_PREMASTER_DECRYPTED), -1);
    tft_log_free(&ct);
    tft_log_free(&st);
    pair_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ecdhe_rsa_all_groups),
        cmocka_unit_test(test_ecdhe_ecdsa_p256_all_groups),
        cmocka_unit_test(test_ecdhe_ecdsa_p384_all_groups),
        cmocka_unit_test(test_every_signature_scheme),
        cmocka_unit_test(test_rsa_key_exchange_info),
        cmocka_unit_test(test_default_preferences),
        cmocka_unit_test(test_chacha_client_preference),
        cmocka_unit_test(test_server_order_function),
        cmocka_unit_test(test_group_preference),
        cmocka_unit_test(test_no_common_group),
        cmocka_unit_test(test_credential_selection),
        cmocka_unit_test(test_add_credential_key_types),
        cmocka_unit_test(test_add_credential_chain_parses),
        cmocka_unit_test(test_config_setters),
        cmocka_unit_test(test_hello_without_groups_gets_p256),
        cmocka_unit_test(test_sha1_only_client),
        cmocka_unit_test(test_point_formats),
        cmocka_unit_test(test_bad_signature_is_decrypt_error),
        cmocka_unit_test(test_invalid_point_is_illegal_parameter),
        cmocka_unit_test(test_bad_parameters_are_illegal_parameter),
        cmocka_unit_test(test_message_order),
        cmocka_unit_test(test_golden_ecdhe_transcripts),
        cmocka_unit_test(test_ecdsa_transcript_reproducible),
        cmocka_unit_test(test_split_feeding_same_transcript),
        cmocka_unit_test(test_chacha_bulk),
        cmocka_unit_test(test_chacha_record_tamper),
        cmocka_unit_test(test_trace_steps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
