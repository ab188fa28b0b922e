/* Mutual TLS in process against OpenSSL's libssl (issue 13), both roles, TLS 1.2 and 1.3:
 * client certificates accepted (RSA and ECDSA keys), missing (optional, required), from an
 * untrusted root, expired, CertificateVerify made with a key that is not the certificate's,
 * signature_algorithms that leave our key out (and our engine's choice between two
 * credentials), certificate_authorities both ways. The scenarios are in mtls_common.c; this
 * file is OpenSSL behind mtls_peer_ops: memory BIOs, verification at TF_TEST_TIME
 * (X509_VERIFY_PARAM_set_time), alerts from the info callback.
 *
 * OpenSSL refuses a certificate with a private key that is not its own (at
 * SSL_CTX_use_PrivateKey, and SSL_CTX_check_private_key compares only public halves), so
 * its "wrong key" client holds a key made of the certificate's public half and another
 * key's private half: it loads, and every signature it makes is another key's. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "mtls_common.h"

typedef struct {
    SSL_CTX *ctx;
    SSL *ssl;
    BIO *rbio, *wbio; /* what OpenSSL reads (our engine's bytes), what it writes */
    int alert_sent, alert_read;
    char error[256];
} ossl_end;

static X509 *pem_cert(const mtls_blob *b)
{
    X509 *x = mtls_x509(b);
    assert_non_null(x);
    return x;
}

static EVP_PKEY *pem_key(const mtls_blob *b)
{
    EVP_PKEY *k = mtls_pkey(b);
    assert_non_null(k);
    return k;
}

/* A key whose public half is cert's and whose private half is wrong's (same type): RSA n, e
 * with another key's d (no CRT factors, so d is what signs); EC the point with another
 * scalar. */
static EVP_PKEY *mismatched_key(X509 *cert, const mtls_blob *wrong_pem)
{
    EVP_PKEY *pub = X509_get0_pubkey(cert), *wrong = pem_key(wrong_pem), *out = NULL;
    int rsa = EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA;
    assert_int_equal(EVP_PKEY_get_base_id(wrong), EVP_PKEY_get_base_id(pub));
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    BIGNUM *a = NULL, *b = NULL, *priv = NULL;
    char group[64];
    uint8_t point[160];
    size_t point_len = 0;
    int ok = bld != NULL;
    if (rsa)
        ok = ok && EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_N, &a) &&
             EVP_PKEY_get_bn_param(pub, OSSL_PKEY_PARAM_RSA_E, &b) &&
             EVP_PKEY_get_bn_param(wrong, OSSL_PKEY_PARAM_RSA_D, &priv) &&
             OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, a) &&
             OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, b) &&
             OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, priv);
    else
        ok = ok &&
             EVP_PKEY_get_utf8_string_param(pub, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                            NULL) &&
             EVP_PKEY_get_octet_string_param(pub, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point),
                                             &point_len) &&
             EVP_PKEY_get_bn_param(wrong, OSSL_PKEY_PARAM_PRIV_KEY, &priv) &&
             OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) &&
             OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, point_len) &&
             OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv);
    OSSL_PARAM *params = ok ? OSSL_PARAM_BLD_to_param(bld) : NULL;
    EVP_PKEY_CTX *ctx = params ? EVP_PKEY_CTX_new_from_name(NULL, rsa ? "RSA" : "EC", NULL) : NULL;
    ok = ctx && EVP_PKEY_fromdata_init(ctx) == 1 &&
         EVP_PKEY_fromdata(ctx, &out, EVP_PKEY_KEYPAIR, params) == 1;
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(a);
    BN_free(b);
    BN_clear_free(priv);
    EVP_PKEY_free(wrong);
    assert_true(ok);
    return out;
}

static void info_cb(const SSL *ssl, int where, int ret)
{
    ossl_end *e = SSL_get_app_data(ssl);
    if (e == NULL || !(where & SSL_CB_ALERT))
        return;
    int *slot = (where & SSL_CB_READ) ? &e->alert_read : &e->alert_sent;
    if (*slot < 0)
        *slot = ret & 0xff;
}

static void add_trust(SSL_CTX *ctx, const mtls_blob *pem)
{
    X509 *x = pem_cert(pem);
    assert_int_equal(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), x), 1);
    X509_free(x);
}

/* A server: the fixture server certificate spec names; its client-certificate policy. */
static void server_setup(SSL_CTX *ctx, const mtls_peer_spec *spec)
{
    X509 *cert = pem_cert(&mtls.server_cert[spec->server_key]);
    EVP_PKEY *key = pem_key(&mtls.server_key[spec->server_key]);
    assert_int_equal(SSL_CTX_use_certificate(ctx, cert), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(ctx, key), 1);
    X509_free(cert);
    EVP_PKEY_free(key);
    if (spec->auth == TLSFLOW_CLIENT_AUTH_NONE)
        return;
    SSL_CTX_set_verify(
        ctx,
        SSL_VERIFY_PEER |
            (spec->auth == TLSFLOW_CLIENT_AUTH_REQUIRED ? SSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
        NULL);
    static const unsigned char sid_ctx[] = "mtls";
    assert_int_equal(SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx)), 1);
    if (spec->n_trust == 0)
        add_trust(ctx, &mtls.root);
    for (size_t i = 0; i < spec->n_trust; i++)
        add_trust(ctx, spec->trust[i]);
    if (spec->n_ca_names > 0) {
        STACK_OF(X509_NAME) *names = sk_X509_NAME_new_null();
        assert_non_null(names);
        for (size_t i = 0; i < spec->n_ca_names; i++) {
            X509 *x = pem_cert(spec->ca_names[i]);
            assert_true(sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(x))) > 0);
            X509_free(x);
        }
        SSL_CTX_set_client_CA_list(ctx, names); /* takes the stack */
    }
    if (spec->n_sigalgs > 0) {
        char list[512];
        mtls_join_schemes(spec, tlsflow_signature_scheme_name, list, sizeof(list));
        assert_int_equal(SSL_CTX_set1_client_sigalgs_list(ctx, list), 1);
        /* TLS 1.2: OpenSSL derives certificate_types from that list; both types stay, so
         * that the list alone rules out a key. */
        static const unsigned char both[] = {1 /* rsa_sign */, 64 /* ecdsa_sign */};
        assert_int_equal(SSL_CTX_set1_client_certificate_types(ctx, both, sizeof(both)), 1);
    }
}

/* A client: trusts the fixture root for "localhost"; spec's certificate and key. */
static void client_setup(SSL_CTX *ctx, const mtls_peer_spec *spec)
{
    add_trust(ctx, &mtls.root);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    assert_int_equal(X509_VERIFY_PARAM_set1_host(SSL_CTX_get0_param(ctx), "localhost", 0), 1);
    if (spec->cred == NULL)
        return;
    X509 *cert = pem_cert(&spec->cred->cert);
    EVP_PKEY *key =
        spec->wrong_key ? mismatched_key(cert, spec->wrong_key) : pem_key(&spec->cred->key);
    assert_int_equal(SSL_CTX_use_certificate(ctx, cert), 1);
    assert_int_equal(SSL_CTX_use_PrivateKey(ctx, key), 1);
    assert_int_equal(SSL_CTX_check_private_key(ctx), 1);
    X509_free(cert);
    EVP_PKEY_free(key);
}

static void *end_new(const mtls_peer_spec *spec, char *why, size_t cap)
{
    (void)why;
    (void)cap;
    int server = spec->role == TLSFLOW_SERVER;
    int version = spec->version == V13 ? TLS1_3_VERSION : TLS1_2_VERSION;
    ossl_end *e = calloc(1, sizeof(*e));
    assert_non_null(e);
    e->alert_sent = e->alert_read = -1;
    e->ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    assert_non_null(e->ctx);
    assert_int_equal(SSL_CTX_set_min_proto_version(e->ctx, version), 1);
    assert_int_equal(SSL_CTX_set_max_proto_version(e->ctx, version), 1);
    X509_VERIFY_PARAM_set_time(SSL_CTX_get0_param(e->ctx), (time_t)TF_TEST_TIME);
    if (server)
        server_setup(e->ctx, spec);
    else
        client_setup(e->ctx, spec);
    e->ssl = SSL_new(e->ctx);
    e->rbio = BIO_new(BIO_s_mem());
    e->wbio = BIO_new(BIO_s_mem());
    assert_true(e->ssl && e->rbio && e->wbio);
    BIO_set_mem_eof_return(e->rbio, -1); /* empty: no bytes yet, until our engine closes */
    SSL_set_bio(e->ssl, e->rbio, e->wbio);
    SSL_set_app_data(e->ssl, e);
    SSL_set_info_callback(e->ssl, info_cb);
    if (server)
        SSL_set_accept_state(e->ssl);
    else
        SSL_set_connect_state(e->ssl);
    return e;
}

static void end_free(void *end)
{
    ossl_end *e = end;
    SSL_free(e->ssl); /* and its BIOs */
    SSL_CTX_free(e->ctx);
    free(e);
}

static void feed(void *end, const uint8_t *p, size_t n)
{
    ossl_end *e = end;
    assert_int_equal(BIO_write(e->rbio, p, (int)n), (int)n);
}

static void eof(void *end)
{
    BIO_set_mem_eof_return(((ossl_end *)end)->rbio, 0);
}

static size_t drain(void *end, uint8_t *out, size_t cap)
{
    ossl_end *e = end;
    int n = BIO_ctrl_pending(e->wbio) ? BIO_read(e->wbio, out, (int)cap) : 0;
    return n > 0 ? (size_t)n : 0;
}

/* r from an SSL call: 0 when it only waits for bytes; else records the error, -1. */
static int outcome(ossl_end *e, int r)
{
    int err = SSL_get_error(e->ssl, r);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
        return 0;
    if (e->error[0] == '\0') {
        unsigned long code = ERR_peek_error();
        if (code)
            ERR_error_string_n(code, e->error, sizeof(e->error));
        else
            snprintf(e->error, sizeof(e->error), "SSL_get_error %d", err);
    }
    ERR_clear_error();
    return -1;
}

static int handshake(void *end)
{
    ossl_end *e = end;
    ERR_clear_error();
    int r = SSL_do_handshake(e->ssl);
    return r == 1 ? 1 : outcome(e, r);
}

static int write_data(void *end, const uint8_t *p, size_t n)
{
    ossl_end *e = end;
    ERR_clear_error();
    int r = SSL_write(e->ssl, p, (int)(n > 16384 ? 16384 : n));
    return r > 0 ? r : outcome(e, r);
}

static int read_data(void *end, uint8_t *out, size_t cap)
{
    ossl_end *e = end;
    ERR_clear_error();
    int r = SSL_read(e->ssl, out, (int)cap);
    return r > 0 ? r : outcome(e, r);
}

static void account(void *end, mtls_account *out)
{
    ossl_end *e = end;
    memset(out, 0, sizeof(*out));
    out->alert_sent = e->alert_sent;
    out->alert_read = e->alert_read;
    X509 *peer = SSL_get0_peer_certificate(e->ssl);
    if (peer != NULL)
        X509_NAME_oneline(X509_get_subject_name(peer), out->peer_subject,
                          sizeof(out->peer_subject));
    /* A client: the certificate_authorities of the CertificateRequest (both versions). */
    const STACK_OF(X509_NAME) *names = SSL_get0_peer_CA_list(e->ssl);
    for (int i = 0; names != NULL && i < sk_X509_NAME_num(names) && i < MTLS_MAX_NAMES; i++)
        X509_NAME_oneline(sk_X509_NAME_value(names, i), out->names[out->n_names++],
                          sizeof(out->names[0]));
}

static void describe(void *end, char *out, size_t cap)
{
    ossl_end *e = end;
    snprintf(out, cap, "%s, %s", e->error[0] ? e->error : "no error",
             SSL_state_string_long(e->ssl));
}

static const mtls_peer_ops OSSL_OPS = {"OpenSSL",  {0},       end_new, end_free,
                                       feed,       eof,       drain,   handshake,
                                       write_data, read_data, account, describe};

#define MTLS_OPS (&OSSL_OPS)

int main(void)
{
    const struct CMUnitTest tests[] = {MTLS_TESTS};
    return cmocka_run_group_tests(tests, mtls_setup, mtls_teardown);
}
