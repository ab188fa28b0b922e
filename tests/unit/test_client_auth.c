/* Client certificates between our own ends, both versions: accepted (RSA and EC keys,
 * also through asynchronous key operations), missing (optional, required), untrusted,
 * expired, a wrong signature; what tlsflow_info says on both sides. OpenSSL and the
 * socket peers check the same against independent stacks (tests/interop, tests/socket). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "internal.h"
#include "tf_test.h"
#include "x509.h"

#define V12 TLSFLOW_VERSION_TLS12
#define V13 TLSFLOW_VERSION_TLS13

static int64_t year_2040(void *ctx)
{
    (void)ctx;
    return 2208988800; /* after the client certificates' ten years */
}

typedef struct {
    uint16_t version;
    tlsflow_client_auth mode;
    const char *cert, *key;  /* the client's, or NULL */
    int server_anchor_other; /* the server trusts only an unrelated root */
    int server_late;         /* the server's clock is in 2040 */
    int offload;             /* the client's key operations go to the caller */
} setup;

static tft_pair *mtls_pair(const setup *s)
{
    tft_pair *p = tft_pair_new();
    assert_int_equal(tlsflow_config_set_versions(p->ccfg, s->version, s->version), 0);
    size_t n;
    uint8_t *anchor = tft_fixture(s->server_anchor_other ? "server-ec.pem" : "ca.pem", &n);
    assert_int_equal(tlsflow_config_add_trust_anchors(p->scfg, anchor, n), 0);
    free(anchor);
    assert_int_equal(tlsflow_config_set_client_auth(p->scfg, s->mode), 0);
    if (s->server_late)
        tlsflow_config_set_time(p->scfg, year_2040, NULL);
    if (s->cert && s->server_anchor_other) {
        /* The chain also carries the server's root (not its issuer), so the client finds
         * the server's certificate_authorities name in it and sends it anyway. */
        size_t a, b, k;
        uint8_t *leaf = tft_fixture(s->cert, &a), *other = tft_fixture("server-ec.pem", &b);
        uint8_t *key = tft_fixture(s->key, &k), *chain = malloc(a + b);
        memcpy(chain, leaf, a);
        memcpy(chain + a, other, b);
        assert_int_equal(tlsflow_config_add_credential(p->ccfg, chain, a + b, key, k, NULL), 0);
        free(leaf);
        free(other);
        free(key);
        free(chain);
    } else if (s->cert) {
        tft_add_credential(p->ccfg, s->cert, s->key, NULL);
    }
    tlsflow_config_set_key_offload(p->ccfg, s->offload);
    tft_pair_start(p);
    return p;
}

/* Drive both ends, performing the client's key operations when it hands them out. */
static int run(tft_pair *p)
{
    for (int i = 0; i < 1000; i++) {
        if (tft_handshake(p->client, p->server, NULL))
            return 1;
        if (tlsflow_poll(p->client) != TLSFLOW_KEY_OPERATION)
            return 0;
        uint8_t sig[1024];
        size_t n;
        assert_non_null(tlsflow_key_op(p->client));
        assert_int_equal(tlsflow_key_op_run(p->client, sig, sizeof(sig), &n), 0);
        assert_int_equal(tlsflow_key_op_complete(p->client, sig, n), 0);
    }
    return 0;
}

static void test_accepted(void **state)
{
    (void)state;
    static const char *const certs[][2] = {{"client.pem", "client.key"},
                                           {"client-ec.pem", "client-ec.key"}};
    for (int v = 0; v < 2; v++)
        for (int k = 0; k < 2; k++)
            for (int offload = 0; offload < 2; offload++) {
                setup s = {
                    v ? V13 : V12, TLSFLOW_CLIENT_AUTH_REQUIRED, certs[k][0], certs[k][1], 0, 0,
                    offload};
                tft_pair *p = mtls_pair(&s);
                if (!run(p))
                    fail_msg("v%d key %d offload %d: client %s / server %s", v, k, offload,
                             tlsflow_last_error_text(p->client),
                             tlsflow_last_error_text(p->server));
                const tlsflow_info *si = tlsflow_get_info(p->server);
                const tlsflow_info *ci = tlsflow_get_info(p->client);
                assert_true(si->client_cert_requested && si->client_cert_sent);
                assert_true(ci->client_cert_requested && ci->client_cert_sent);
                assert_int_equal(si->client_cert_verdict, 0);
                assert_string_equal(si->client_cert.subject, ci->client_cert.subject);
                assert_string_equal(si->client_cert.key_type, k ? "EC" : "RSA");
                assert_int_equal(tlsflow_peer_cert_count(p->server), 1);
                uint8_t pin[32];
                assert_int_equal(tlsflow_peer_spki_sha256(p->server, pin), 0);
                tft_pair_free(p);
            }
}

/* Failures, each with the alert its RFC names. */
static void test_refused(void **state)
{
    (void)state;
    static const struct {
        const char *what;
        setup s;
        int server_error, alert;
    } CASES[] = {
        {"1.2 required, none",
         {V12, TLSFLOW_CLIENT_AUTH_REQUIRED, 0, 0, 0, 0, 0},
         TLSFLOW_E_CERT_REQUIRED,
         TLSFLOW_ALERT_HANDSHAKE_FAILURE},
        {"1.3 required, none",
         {V13, TLSFLOW_CLIENT_AUTH_REQUIRED, 0, 0, 0, 0, 0},
         TLSFLOW_E_CERT_REQUIRED,
         TLSFLOW_ALERT_CERTIFICATE_REQUIRED},
        {"1.2 untrusted",
         {V12, TLSFLOW_CLIENT_AUTH_OPTIONAL, "client.pem", "client.key", 1, 0, 0},
         TLSFLOW_E_CERT_UNKNOWN_CA,
         TLSFLOW_ALERT_UNKNOWN_CA},
        {"1.3 untrusted",
         {V13, TLSFLOW_CLIENT_AUTH_OPTIONAL, "client.pem", "client.key", 1, 0, 0},
         TLSFLOW_E_CERT_UNKNOWN_CA,
         TLSFLOW_ALERT_UNKNOWN_CA},
        {"1.2 expired",
         {V12, TLSFLOW_CLIENT_AUTH_REQUIRED, "client-ec.pem", "client-ec.key", 0, 1, 0},
         TLSFLOW_E_CERT_EXPIRED,
         TLSFLOW_ALERT_CERTIFICATE_EXPIRED},
        {"1.3 expired",
         {V13, TLSFLOW_CLIENT_AUTH_REQUIRED, "client-ec.pem", "client-ec.key", 0, 1, 0},
         TLSFLOW_E_CERT_EXPIRED,
         TLSFLOW_ALERT_CERTIFICATE_EXPIRED},
        /* A server certificate (serverAuth only) presented as a client's. */
        {"1.3 wrong purpose",
         {V13, TLSFLOW_CLIENT_AUTH_REQUIRED, "server.pem", "server.key", 0, 0, 0},
         TLSFLOW_E_CERT_BAD,
         TLSFLOW_ALERT_BAD_CERTIFICATE},
    };
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        tft_pair *p = mtls_pair(&CASES[i].s);
        int ok = run(p);
        if (ok || tlsflow_last_error(p->server) != CASES[i].server_error ||
            tlsflow_sent_alert(p->server) != CASES[i].alert)
            fail_msg("%s: completed %d, server %s (%s), alert %s", CASES[i].what, ok,
                     tlsflow_error_name(tlsflow_last_error(p->server)),
                     tlsflow_last_error_text(p->server),
                     tlsflow_alert_name(tlsflow_sent_alert(p->server)));
        assert_int_equal(tlsflow_peer_alert(p->client), CASES[i].alert);
        tft_pair_free(p);
    }
}

/* Optional: a client without a certificate is served, and says it sent none. */
static void test_optional_without(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        setup s = {v ? V13 : V12, TLSFLOW_CLIENT_AUTH_OPTIONAL, 0, 0, 0, 0, 0};
        tft_pair *p = mtls_pair(&s);
        assert_true(run(p));
        assert_true(tlsflow_get_info(p->server)->client_cert_requested);
        assert_false(tlsflow_get_info(p->server)->client_cert_sent);
        assert_true(tlsflow_get_info(p->client)->client_cert_requested);
        assert_int_equal(tlsflow_peer_cert_count(p->server), 0);
        tft_pair_free(p);
    }
}

/* certificate_authorities: a client whose chain names none of the server's roots answers
 * with an empty Certificate (and an optional server serves it). */
static void test_names_filter(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        tft_pair *p = tft_pair_new();
        assert_int_equal(tlsflow_config_set_versions(p->ccfg, v ? V13 : V12, v ? V13 : V12), 0);
        size_t n;
        uint8_t *anchor = tft_fixture("server-ec.pem", &n);
        assert_int_equal(tlsflow_config_add_trust_anchors(p->scfg, anchor, n), 0);
        free(anchor);
        assert_int_equal(tlsflow_config_set_client_auth(p->scfg, TLSFLOW_CLIENT_AUTH_OPTIONAL), 0);
        tft_add_credential(p->ccfg, "client.pem", "client.key", NULL);
        tft_pair_start(p);
        assert_true(run(p));
        assert_false(tlsflow_get_info(p->client)->client_cert_sent);
        assert_false(tlsflow_get_info(p->server)->client_cert_sent);
        tft_pair_free(p);
    }
}

/* A signature that does not verify: decrypt_error (RFC 5246 §7.4.8, RFC 8446 §4.4.3). The
 * client's key operation is answered with a signature made by another key. */
static void test_wrong_signature(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        setup s = {
            v ? V13 : V12, TLSFLOW_CLIENT_AUTH_REQUIRED, "client.pem", "client.key", 0, 0, 1};
        tft_pair *p = mtls_pair(&s);
        assert_false(tft_handshake(p->client, p->server, NULL));
        assert_int_equal(tlsflow_poll(p->client), TLSFLOW_KEY_OPERATION);
        uint8_t sig[256];
        memset(sig, 0x42, sizeof(sig)); /* as long as an RSA-2048 signature, but wrong */
        assert_int_equal(tlsflow_key_op_complete(p->client, sig, sizeof(sig)), 0);
        assert_false(tft_handshake(p->client, p->server, NULL));
        assert_int_equal(tlsflow_last_error(p->server), TLSFLOW_E_BAD_SIGNATURE);
        assert_int_equal(tlsflow_sent_alert(p->server), TLSFLOW_ALERT_DECRYPT_ERROR);
        tft_pair_free(p);
    }
}

/* Configuration rules. */
static void test_configuration(void **state)
{
    (void)state;
    tlsflow_config *c = tlsflow_config_new(TLSFLOW_CLIENT);
    tlsflow_config *s = tlsflow_config_new(TLSFLOW_SERVER);
    assert_int_equal(tlsflow_config_set_client_auth(c, TLSFLOW_CLIENT_AUTH_REQUIRED),
                     TLSFLOW_E_USAGE);
    assert_int_equal(tlsflow_config_set_client_auth(s, (tlsflow_client_auth)3), TLSFLOW_E_USAGE);
    size_t cl, kl;
    uint8_t *cert = tft_fixture("client.pem", &cl), *key = tft_fixture("client.key", &kl);
    assert_int_equal(tlsflow_config_add_credential(c, cert, cl, key, kl, "name"), TLSFLOW_E_USAGE);
    assert_int_equal(tlsflow_config_add_credential(c, cert, cl, key, kl, NULL), 0);
    free(cert);
    free(key);
    /* Asking for certificates without roots to check them: no connection. */
    tft_add_credential(s, "server.pem", "server.key", NULL);
    assert_int_equal(tlsflow_config_set_client_auth(s, TLSFLOW_CLIENT_AUTH_OPTIONAL), 0);
    assert_null(tlsflow_conn_new(s));
    tlsflow_config_free(c);
    tlsflow_config_free(s);
}

/* The names both roles put in and look for in certificate_authorities are whole DER
 * Names (RFC 5246 §7.4.4, RFC 8446 §4.2.4): byte for byte OpenSSL's i2d_X509_NAME of the
 * subject and issuer, for each fixture (a root, leaves, a P-384 leaf under an
 * intermediate). */
static void test_names_are_whole_der_names(void **state)
{
    (void)state;
    static const char *const files[] = {"ca.pem", "client.pem", "client-ec.pem", "server.pem",
                                        "server-ec.pem"};
    for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
        size_t pem_len, der_len;
        uint8_t *pem = tft_fixture(files[f], &pem_len), der[8192];
        assert_int_equal(tf_pem_cert_to_der((const char *)pem, pem_len, der, sizeof(der), &der_len),
                         0);
        const uint8_t *p = der;
        X509 *x = d2i_X509(NULL, &p, (long)der_len);
        assert_non_null(x);
        size_t so, sl, io, il;
        assert_int_equal(tf_x509_names(der, der_len, &so, &sl, &io, &il), 0);
        unsigned char *want = NULL;
        int n = i2d_X509_NAME(X509_get_subject_name(x), &want);
        assert_int_equal((size_t)n, sl);
        assert_memory_equal(der + so, want, sl);
        OPENSSL_free(want);
        want = NULL;
        n = i2d_X509_NAME(X509_get_issuer_name(x), &want);
        assert_int_equal((size_t)n, il);
        assert_memory_equal(der + io, want, il);
        OPENSSL_free(want);
        X509_free(x);
        free(pem);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_optional_without),
        cmocka_unit_test(test_wrong_signature),
        cmocka_unit_test(test_configuration),
        cmocka_unit_test(test_names_filter),
        cmocka_unit_test(test_names_are_whole_der_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
