/* Mutual TLS in process against wolfSSL's own TLS (the system libwolfssl, whose TLS code the
 * engine does not use), both roles, TLS 1.2 and 1.3: the scenarios of mtls_common.c with
 * wolfSSL behind mtls_peer_ops (memory I/O callbacks; alerts from wolfSSL's alert history).
 *
 * What Debian's build (5.5.4, see wolfssl/options.h) cannot do is skipped with the reason
 * printed: it has no certificate_authorities extension (RFC 8446 §4.2.4), so in TLS 1.3 its
 * server names no CA and its client reads none; and its TLS 1.3 server's CertificateRequest
 * keeps the default signature_algorithms whatever wolfSSL_CTX_set1_sigalgs_list says. Where
 * it departs from the RFCs the scenarios meet (mtls_quirks, checked exactly): its TLS 1.2
 * server refuses a client without a certificate by closing, with no alert; its TLS 1.2 client
 * signs CertificateVerify with ECDSA when our request lists only RSA schemes (our server:
 * illegal_parameter); its TLS 1.3 client in that case aborts with illegal_parameter instead of
 * sending an empty Certificate. Its TLS 1.2 server asks only for client keys of its own
 * certificate's type, so the scenarios give it a certificate of the client key's type.
 *
 * wolfSSL verifies dates on the wall clock (no settable verification time), inside the
 * fixtures' validity; the "expired" certificates ended in 2021. Its "wrong key" client loads a
 * private key that is not its certificate's, which wolfSSL takes without comparing the two
 * (unlike OpenSSL), and signs CertificateVerify with it. */
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
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include "mtls_common.h"

typedef struct {
    WOLFSSL_CTX *ctx;
    WOLFSSL *ssl;
    tft_log in; /* from our engine; in_off read so far */
    size_t in_off;
    int in_eof;
    tft_log out; /* for our engine; out_off drained so far */
    size_t out_off;
    int error; /* wolfSSL_get_error of the failure */
} wolf_end;

static int wio_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
    (void)ssl;
    wolf_end *e = ctx;
    size_t n = e->in.len - e->in_off;
    if (n == 0)
        return e->in_eof ? WOLFSSL_CBIO_ERR_CONN_CLOSE : WOLFSSL_CBIO_ERR_WANT_READ;
    n = n < (size_t)sz ? n : (size_t)sz;
    memcpy(buf, e->in.p + e->in_off, n);
    e->in_off += n;
    return (int)n;
}

static int wio_send(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
    (void)ssl;
    tft_log_add(&((wolf_end *)ctx)->out, (const uint8_t *)buf, (size_t)sz);
    return sz;
}

/* The wall clock may stand before a fixture made today (a clock a little behind): only
 * "not yet valid" is forgiven; an expired certificate stays refused. */
static int verify_cb(int preverify, WOLFSSL_X509_STORE_CTX *store)
{
    return preverify || wolfSSL_X509_STORE_CTX_get_error(store) == ASN_BEFORE_DATE_E;
}

static void load_trust(WOLFSSL_CTX *ctx, const mtls_blob *pem)
{
    assert_int_equal(wolfSSL_CTX_load_verify_buffer(ctx, (const uint8_t *)pem->p, (long)pem->len,
                                                    WOLFSSL_FILETYPE_PEM),
                     WOLFSSL_SUCCESS);
}

/* wolfSSL's name for one of our schemes in wolfSSL_CTX_set1_sigalgs_list. */
static const char *wolf_sigalg(uint16_t scheme)
{
    static const struct {
        uint16_t scheme;
        const char *name;
    } NAMES[] = {
        {TLSFLOW_SIG_RSA_PKCS1_SHA256, "RSA+SHA256"},
        {TLSFLOW_SIG_RSA_PKCS1_SHA384, "RSA+SHA384"},
        {TLSFLOW_SIG_RSA_PSS_RSAE_SHA256, "RSA-PSS+SHA256"},
        {TLSFLOW_SIG_RSA_PSS_RSAE_SHA384, "RSA-PSS+SHA384"},
        {TLSFLOW_SIG_ECDSA_SECP256R1_SHA256, "ECDSA+SHA256"},
        {TLSFLOW_SIG_ECDSA_SECP384R1_SHA384, "ECDSA+SHA384"},
    };
    for (size_t i = 0; i < sizeof(NAMES) / sizeof(NAMES[0]); i++)
        if (NAMES[i].scheme == scheme)
            return NAMES[i].name;
    fail_msg("no wolfSSL name for scheme 0x%04x", scheme);
    return NULL;
}

/* certificate_authorities: the subjects of the certificates named. */
static void set_ca_names(WOLFSSL_CTX *ctx, const mtls_peer_spec *spec)
{
    WOLF_STACK_OF(WOLFSSL_X509_NAME) *names = wolfSSL_sk_X509_NAME_new(NULL);
    assert_non_null(names);
    for (size_t i = 0; i < spec->n_ca_names; i++) {
        WOLFSSL_X509 *x =
            wolfSSL_X509_load_certificate_buffer((const uint8_t *)spec->ca_names[i]->p,
                                                 (int)spec->ca_names[i]->len, WOLFSSL_FILETYPE_PEM);
        assert_non_null(x);
        WOLFSSL_X509_NAME *name = wolfSSL_X509_NAME_dup(wolfSSL_X509_get_subject_name(x));
        assert_non_null(name);
        assert_int_equal(wolfSSL_sk_X509_NAME_push(names, name), WOLFSSL_SUCCESS);
        wolfSSL_X509_free(x);
    }
    wolfSSL_CTX_set_client_CA_list(ctx, names); /* takes the stack */
}

/* A server: the fixture server certificate spec names (its TLS 1.2 CertificateRequest asks
 * only for client keys of that type: certificate_types and signature_algorithms); its
 * client-certificate policy. */
static void server_setup(WOLFSSL_CTX *ctx, const mtls_peer_spec *spec)
{
    const mtls_blob *cert = &mtls.server_cert[spec->server_key],
                    *key = &mtls.server_key[spec->server_key];
    assert_int_equal(
        wolfSSL_CTX_use_certificate_chain_buffer(ctx, (const uint8_t *)cert->p, (long)cert->len),
        WOLFSSL_SUCCESS);
    assert_int_equal(wolfSSL_CTX_use_PrivateKey_buffer(ctx, (const uint8_t *)key->p, (long)key->len,
                                                       WOLFSSL_FILETYPE_PEM),
                     WOLFSSL_SUCCESS);
    if (spec->auth == TLSFLOW_CLIENT_AUTH_NONE) {
        wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_NONE, NULL);
        return;
    }
    wolfSSL_CTX_set_verify(
        ctx,
        WOLFSSL_VERIFY_PEER |
            (spec->auth == TLSFLOW_CLIENT_AUTH_REQUIRED ? WOLFSSL_VERIFY_FAIL_IF_NO_PEER_CERT : 0),
        verify_cb);
    if (spec->n_trust == 0)
        load_trust(ctx, &mtls.root);
    for (size_t i = 0; i < spec->n_trust; i++)
        load_trust(ctx, spec->trust[i]);
    if (spec->n_ca_names > 0)
        set_ca_names(ctx, spec);
    if (spec->n_sigalgs > 0) {
        char list[256];
        mtls_join_schemes(spec, wolf_sigalg, list, sizeof(list));
        assert_int_equal(wolfSSL_CTX_set1_sigalgs_list(ctx, list), WOLFSSL_SUCCESS);
    }
}

static void client_setup(WOLFSSL_CTX *ctx, const mtls_peer_spec *spec)
{
    load_trust(ctx, &mtls.root);
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, verify_cb);
    if (spec->cred == NULL)
        return;
    const mtls_blob *key = spec->wrong_key ? spec->wrong_key : &spec->cred->key;
    assert_int_equal(wolfSSL_CTX_use_certificate_buffer(ctx, (const uint8_t *)spec->cred->cert.p,
                                                        (long)spec->cred->cert.len,
                                                        WOLFSSL_FILETYPE_PEM),
                     WOLFSSL_SUCCESS);
    assert_int_equal(wolfSSL_CTX_use_PrivateKey_buffer(ctx, (const uint8_t *)key->p, (long)key->len,
                                                       WOLFSSL_FILETYPE_PEM),
                     WOLFSSL_SUCCESS);
}

static void *end_new(const mtls_peer_spec *spec, char *why, size_t cap)
{
    int server = spec->role == TLSFLOW_SERVER, v13 = spec->version == V13;
    if (v13 && server && spec->n_sigalgs > 0) {
        snprintf(why, cap,
                 "TLS 1.3 signature_algorithms of a CertificateRequest: this wolfSSL (%s) "
                 "keeps its default list there whatever wolfSSL_CTX_set1_sigalgs_list and "
                 "wolfSSL_set1_sigalgs_list say (our client, which follows OpenSSL's list, "
                 "found ECDSA offered after both were set to RSA only)",
                 LIBWOLFSSL_VERSION_STRING);
        return NULL;
    }
    if (v13 && (spec->n_ca_names > 0 || spec->want_names)) {
        snprintf(why, cap,
                 "TLS 1.3 certificate_authorities: this wolfSSL (%s) has no such extension, "
                 "its %s neither sends nor reads one",
                 LIBWOLFSSL_VERSION_STRING, server ? "server" : "client");
        return NULL;
    }
    wolf_end *e = calloc(1, sizeof(*e));
    assert_non_null(e);
    WOLFSSL_METHOD *method =
        server ? (v13 ? wolfTLSv1_3_server_method() : wolfTLSv1_2_server_method())
               : (v13 ? wolfTLSv1_3_client_method() : wolfTLSv1_2_client_method());
    e->ctx = wolfSSL_CTX_new(method);
    assert_non_null(e->ctx);
    if (server)
        server_setup(e->ctx, spec);
    else
        client_setup(e->ctx, spec);
    e->ssl = wolfSSL_new(e->ctx);
    assert_non_null(e->ssl);
    wolfSSL_SSLSetIORecv(e->ssl, wio_recv);
    wolfSSL_SSLSetIOSend(e->ssl, wio_send);
    wolfSSL_SetIOReadCtx(e->ssl, e);
    wolfSSL_SetIOWriteCtx(e->ssl, e);
    if (!server)
        assert_int_equal(wolfSSL_check_domain_name(e->ssl, "localhost"), WOLFSSL_SUCCESS);
    return e;
}

static void end_free(void *end)
{
    wolf_end *e = end;
    wolfSSL_free(e->ssl);
    wolfSSL_CTX_free(e->ctx);
    tft_log_free(&e->in);
    tft_log_free(&e->out);
    free(e);
}

static void feed(void *end, const uint8_t *p, size_t n)
{
    tft_log_add(&((wolf_end *)end)->in, p, n);
}

static void eof(void *end)
{
    ((wolf_end *)end)->in_eof = 1;
}

static size_t drain(void *end, uint8_t *out, size_t cap)
{
    wolf_end *e = end;
    size_t n = e->out.len - e->out_off;
    n = n < cap ? n : cap;
    memcpy(out, e->out.p + e->out_off, n);
    e->out_off += n;
    return n;
}

/* r from a wolfSSL call that did not succeed: 0 when it waits for bytes, else -1. */
static int outcome(wolf_end *e, int r)
{
    int err = wolfSSL_get_error(e->ssl, r);
    if (err == WOLFSSL_ERROR_WANT_READ || err == WOLFSSL_ERROR_WANT_WRITE)
        return 0;
    if (e->error == 0)
        e->error = err;
    return -1;
}

static int handshake(void *end)
{
    wolf_end *e = end;
    int r = wolfSSL_GetSide(e->ssl) == WOLFSSL_SERVER_END ? wolfSSL_accept(e->ssl)
                                                          : wolfSSL_connect(e->ssl);
    return r == WOLFSSL_SUCCESS ? 1 : outcome(e, r);
}

static int write_data(void *end, const uint8_t *p, size_t n)
{
    wolf_end *e = end;
    int r = wolfSSL_write(e->ssl, p, (int)(n > 16384 ? 16384 : n));
    return r > 0 ? r : outcome(e, r);
}

static int read_data(void *end, uint8_t *out, size_t cap)
{
    wolf_end *e = end;
    int r = wolfSSL_read(e->ssl, out, (int)cap);
    return r > 0 ? r : outcome(e, r);
}

static void account(void *end, mtls_account *out)
{
    wolf_end *e = end;
    memset(out, 0, sizeof(*out));
    WOLFSSL_ALERT_HISTORY h;
    assert_int_equal(wolfSSL_get_alert_history(e->ssl, &h), WOLFSSL_SUCCESS);
    out->alert_sent = h.last_tx.level > 0 ? h.last_tx.code : -1;
    out->alert_read = h.last_rx.level > 0 ? h.last_rx.code : -1;
    WOLFSSL_X509 *peer = wolfSSL_get_peer_certificate(e->ssl);
    if (peer != NULL) {
        wolfSSL_X509_NAME_oneline(wolfSSL_X509_get_subject_name(peer), out->peer_subject,
                                  (int)sizeof(out->peer_subject));
        wolfSSL_X509_free(peer);
    }
    /* A client: the certificate_authorities of a TLS 1.2 CertificateRequest. wolfSSL's
     * stacks push at the front, so its list reads back from the last name received. */
    WOLF_STACK_OF(WOLFSSL_X509_NAME) *names =
        wolfSSL_GetSide(e->ssl) == WOLFSSL_CLIENT_END ? wolfSSL_get_client_CA_list(e->ssl) : NULL;
    int n = names != NULL ? wolfSSL_sk_X509_NAME_num(names) : 0;
    for (int i = n - 1; i >= 0 && out->n_names < MTLS_MAX_NAMES; i--)
        wolfSSL_X509_NAME_oneline(wolfSSL_sk_X509_NAME_value(names, i), out->names[out->n_names++],
                                  (int)sizeof(out->names[0]));
}

static void describe(void *end, char *out, size_t cap)
{
    wolf_end *e = end;
    char reason[WOLFSSL_MAX_ERROR_SZ] = "no error";
    if (e->error != 0)
        wolfSSL_ERR_error_string_n((unsigned long)e->error, reason, sizeof(reason));
    snprintf(out, cap, "error %d (%s)", e->error, reason);
}

static const mtls_peer_ops WOLF_OPS = {
    "wolfSSL",
    {.silent_cert_required_12 = 1,
     .ignores_request_schemes_12 = 1,
     .aborts_without_scheme_13 = TLSFLOW_ALERT_ILLEGAL_PARAMETER},
    end_new,
    end_free,
    feed,
    eof,
    drain,
    handshake,
    write_data,
    read_data,
    account,
    describe};

#define MTLS_OPS (&WOLF_OPS)

static int group_setup(void **state)
{
    return wolfSSL_Init() == WOLFSSL_SUCCESS ? mtls_setup(state) : -1;
}

static int group_teardown(void **state)
{
    mtls_teardown(state);
    wolfSSL_Cleanup();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {MTLS_TESTS};
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
