/* Session resumption (issue 12) against OpenSSL's libssl in process, both roles: TLS 1.2
 * session tickets (RFC 5077, with the extended master secret) and TLS 1.3 PSK tickets
 * (psk_dhe_ke). The scenarios of resume_common.c run with OpenSSL behind rs_peer_ops: our
 * client resumes with OpenSSL's server through the session callback, export and import, and
 * falls back to a full handshake where the server has other keys, no tickets or the other
 * version; OpenSSL's client (SSL_get1_session, SSL_set_session) resumes with our server,
 * across a key rotation too; a ticket altered in OpenSSL's session means a full handshake,
 * one altered on the wire a failed one, a wrong binder decrypt_error; the lifetimes both ways
 * and our server's ticket age window. OpenSSL's message callback adds its own account (the
 * Certificate, the signatures and the tickets it sent or read, the alerts), and the tests
 * here move the age OpenSSL reports (SSL_SESSION_set_time) as well as our clock. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "resume_common.h"

static X509 *g_cert, *g_root;
static EVP_PKEY *g_key;

/* ---- OpenSSL behind rs_peer_ops ---------------------------------------------------------- */

typedef struct {
    SSL *ssl;
    int server;
    BIO *rbio, *wbio;                  /* what OpenSSL reads (our records) and writes */
    unsigned sent[256], read[256];     /* handshake messages it wrote and read, decrypted */
    int64_t nst_lifetime, nst_age_add; /* the last NewSessionTicket it sent or read */
    int alert_sent, alert_read;        /* the last alert descriptions, -1 if none */
    char err[256];
} ossl_end;

static void ossl_msg(int write_p, int version, int content_type, const void *buf, size_t len,
                     SSL *ssl, void *arg)
{
    (void)version;
    (void)ssl;
    ossl_end *e = arg;
    const uint8_t *p = buf;
    if (content_type == SSL3_RT_ALERT && len == 2)
        *(write_p ? &e->alert_sent : &e->alert_read) = p[1];
    if (content_type != SSL3_RT_HANDSHAKE || len < 4)
        return;
    (write_p ? e->sent : e->read)[p[0]]++;
    if (p[0] == SSL3_MT_NEWSESSION_TICKET && len >= 8) {
        e->nst_lifetime = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
        if (len >= 12 && SSL_version(ssl) == TLS1_3_VERSION)
            e->nst_age_add =
                (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
    }
}

static int ossl_version(uint16_t v)
{
    return v == V13 ? TLS1_3_VERSION : TLS1_2_VERSION;
}

static void o_ctx_versions(void *ctx, uint16_t min, uint16_t max)
{
    assert_int_equal(SSL_CTX_set_min_proto_version(ctx, ossl_version(min)), 1);
    assert_int_equal(SSL_CTX_set_max_proto_version(ctx, ossl_version(max)), 1);
}

static void *o_ctx_new(tlsflow_role role, uint16_t min, uint16_t max)
{
    SSL_CTX *ctx = SSL_CTX_new(role == TLSFLOW_SERVER ? TLS_server_method() : TLS_client_method());
    assert_non_null(ctx);
    o_ctx_versions(ctx, min, max);
    if (role == TLSFLOW_SERVER) { /* tickets are on by default */
        assert_int_equal(SSL_CTX_use_certificate(ctx, g_cert), 1);
        assert_int_equal(SSL_CTX_use_PrivateKey(ctx, g_key), 1);
    } else { /* the root at the fixtures' time; the host name goes on each connection */
        assert_int_equal(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), g_root), 1);
        X509_VERIFY_PARAM_set_time(SSL_CTX_get0_param(ctx), (time_t)TF_TEST_TIME);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    }
    return ctx;
}

static void o_ctx_tickets_off(void *ctx)
{
    SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
}

/* OpenSSL's ticket lifetime is its session timeout. */
static void o_ctx_ticket_lifetime(void *ctx, uint32_t seconds)
{
    SSL_CTX_set_timeout(ctx, (long)seconds);
}

static void o_ctx_only_p256(void *ctx)
{
    assert_int_equal(SSL_CTX_set1_groups_list(ctx, "P-256"), 1);
}

static void o_ctx_free(void *ctx)
{
    SSL_CTX_free(ctx);
}

static void *o_end_new(void *ctx, tlsflow_role role)
{
    ossl_end *e = calloc(1, sizeof(*e));
    assert_non_null(e);
    e->server = role == TLSFLOW_SERVER;
    e->alert_sent = e->alert_read = -1;
    e->nst_lifetime = e->nst_age_add = -1;
    e->ssl = SSL_new(ctx);
    assert_non_null(e->ssl);
    e->rbio = BIO_new(BIO_s_mem());
    e->wbio = BIO_new(BIO_s_mem());
    assert_true(e->rbio && e->wbio);
    SSL_set_bio(e->ssl, e->rbio, e->wbio);
    SSL_set_msg_callback(e->ssl, ossl_msg);
    SSL_set_msg_callback_arg(e->ssl, e);
    if (e->server) {
        SSL_set_accept_state(e->ssl);
    } else {
        SSL_set_connect_state(e->ssl);
        assert_int_equal(SSL_set_tlsext_host_name(e->ssl, "localhost"), 1);
        assert_int_equal(SSL_set1_host(e->ssl, "localhost"), 1);
    }
    return e;
}

static void o_end_free(void *end)
{
    ossl_end *e = end;
    /* As after close_notify both ways: OpenSSL marks the session of a connection freed
     * without one as not resumable (ssl_clear_bad_session). */
    SSL_set_shutdown(e->ssl, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(e->ssl);
    free(e);
}

static void *o_session_get(void *end)
{
    SSL_SESSION *s = SSL_get1_session(((ossl_end *)end)->ssl);
    assert_non_null(s);
    assert_int_equal(SSL_SESSION_is_resumable(s), 1);
    return s;
}

static void o_session_offer(void *end, void *session)
{
    assert_int_equal(SSL_set_session(((ossl_end *)end)->ssl, session), 1);
}

/* Offered with one byte of its ticket flipped, through a copy made from its DER. */
static void o_session_offer_tampered(void *end, void *session)
{
    const unsigned char *tick;
    size_t len;
    SSL_SESSION_get0_ticket(session, &tick, &len);
    assert_true(len > 16);
    int n = i2d_SSL_SESSION(session, NULL);
    assert_true(n > 0);
    unsigned char *der = malloc((size_t)n), *p = der;
    assert_non_null(der);
    assert_int_equal(i2d_SSL_SESSION(session, &p), n);
    unsigned char *at = NULL;
    for (size_t i = 0; !at && i + len <= (size_t)n; i++)
        if (memcmp(der + i, tick, len) == 0)
            at = der + i;
    assert_non_null(at);
    at[len / 2] ^= 0x01;
    const unsigned char *q = der;
    SSL_SESSION *t = d2i_SSL_SESSION(NULL, &q, n);
    free(der);
    assert_non_null(t);
    o_session_offer(end, t);
    SSL_SESSION_free(t); /* the connection holds its own reference */
}

static uint32_t o_session_lifetime(void *session)
{
    return (uint32_t)SSL_SESSION_get_ticket_lifetime_hint(session);
}

static void o_session_free(void *session)
{
    SSL_SESSION_free(session);
}

static void o_feed(void *end, const uint8_t *p, size_t n)
{
    assert_int_equal(BIO_write(((ossl_end *)end)->rbio, p, (int)n), (int)n);
}

static void o_eof(void *end)
{
    BIO_set_mem_eof_return(((ossl_end *)end)->rbio, 0);
}

static size_t o_drain(void *end, uint8_t *out, size_t cap)
{
    int n = BIO_read(((ossl_end *)end)->wbio, out, (int)cap);
    return n > 0 ? (size_t)n : 0;
}

/* 0 when OpenSSL waits for bytes, -1 (and the reason kept) when it failed. */
static int o_result(ossl_end *e, int ret)
{
    int err = SSL_get_error(e->ssl, ret);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE)
        return 0;
    if (!e->err[0]) {
        char why[200] = "";
        ERR_error_string_n(ERR_peek_error(), why, sizeof(why));
        snprintf(e->err, sizeof(e->err), "SSL_get_error %d: %s", err, why);
    }
    ERR_clear_error();
    return -1;
}

static int o_handshake(void *end)
{
    ossl_end *e = end;
    int r = SSL_do_handshake(e->ssl);
    return r == 1 ? 1 : o_result(e, r);
}

static int o_write(void *end, const uint8_t *p, size_t n)
{
    ossl_end *e = end;
    size_t w;
    return SSL_write_ex(e->ssl, p, n, &w) ? (int)w : o_result(e, 0);
}

static int o_read(void *end, uint8_t *out, size_t cap)
{
    ossl_end *e = end;
    size_t got;
    return SSL_read_ex(e->ssl, out, cap, &got) ? (int)got : o_result(e, 0);
}

static int o_reused(void *end)
{
    return SSL_session_reused(((ossl_end *)end)->ssl);
}

static rs_account o_account(void *end)
{
    ossl_end *e = end;
    const unsigned *m = e->server ? e->sent : e->read;
    return (rs_account){
        .certificates = (int)m[SSL3_MT_CERTIFICATE],
        .signatures = (int)(m[SSL3_MT_SERVER_KEY_EXCHANGE] + m[SSL3_MT_CERTIFICATE_VERIFY]),
        .tickets = (int)m[SSL3_MT_NEWSESSION_TICKET],
        .ticket_lifetime = e->nst_lifetime,
        .ticket_age_add = e->nst_age_add,
        .alert_sent = e->alert_sent,
        .alert_read = e->alert_read,
    };
}

static void o_describe(void *end, char *out, size_t cap)
{
    ossl_end *e = end;
    snprintf(out, cap, "\"%s\" alert sent %d read %d", e->err, e->alert_sent, e->alert_read);
}

static const rs_peer_ops OSSL_OPS = {
    .name = "OpenSSL",
    .server_age_slack = 1000000, /* its server checks ticket ages only for early data */
    .client12_fallback = 1,
    .client_pins_tls12_session = 0,
    .ctx_new = o_ctx_new,
    .ctx_versions = o_ctx_versions,
    .ctx_tickets_off = o_ctx_tickets_off,
    .ctx_ticket_lifetime = o_ctx_ticket_lifetime,
    .ctx_only_p256 = o_ctx_only_p256,
    .ctx_free = o_ctx_free,
    .end_new = o_end_new,
    .end_free = o_end_free,
    .session_get = o_session_get,
    .session_offer = o_session_offer,
    .session_offer_tampered = o_session_offer_tampered,
    .session_lifetime = o_session_lifetime,
    .session_free = o_session_free,
    .feed = o_feed,
    .eof = o_eof,
    .drain = o_drain,
    .handshake = o_handshake,
    .write = o_write,
    .read = o_read,
    .reused = o_reused,
    .account = o_account,
    .describe = o_describe,
};

#define RS_OPS ((void *)&OSSL_OPS)

/* ---- the age OpenSSL reports, moved -------------------------------------------------------- */

/* OpenSSL's client computes a ticket's age from its session's time, in whole seconds and one
 * less (to stay under the server's: tls_construct_ctos_psk), so the test sets that time back
 * `theirs` seconds while our server's clock moves `ours` seconds; the connection offers the
 * session and resumes or not as `resumes` says. */
static void offer_aged(SSL_CTX *ctx, SSL_SESSION *s, uint32_t age_add, int64_t theirs, int64_t ours,
                       uint32_t lifetime, int resumes)
{
    assert_true(SSL_SESSION_set_time(s, (long)(time(NULL) - theirs)) != 0);
    rs_now = TF_TEST_TIME + ours;
    rs_conn *c = rs_peer_client(&OSSL_OPS, ctx, rs_our_server(V13, &RS_KEY_A, NULL, lifetime, 1), s,
                                RS_TAMPER_NONE);
    rs_handshake(c);
    assert_true(rs_offered_psk(c));
    int64_t age = (uint32_t)(c->link.c2s.hello.obfuscated_age - age_add);
    int64_t low = theirs ? (theirs - 1) * 1000 : 0; /* or a second more if the clock ticked */
    if (age != low && age != theirs * 1000)
        fail_msg("OpenSSL reported an age of %lld ms for %lld s", (long long)age,
                 (long long)theirs);
    if (resumes)
        rs_assert_resumed(c, V13);
    else
        rs_assert_full(c, V13);
    rs_conn_free(c);
}

/* A fresh TLS 1.3 session of OpenSSL's client with our server, and the ticket_age_add it read. */
static SSL_SESSION *fresh_session(SSL_CTX *ctx, uint32_t lifetime, uint32_t *age_add)
{
    rs_now = TF_TEST_TIME;
    rs_conn *c = rs_peer_client(&OSSL_OPS, ctx, rs_our_server(V13, &RS_KEY_A, NULL, lifetime, 1),
                                NULL, RS_TAMPER_NONE);
    rs_handshake(c);
    rs_assert_full(c, V13);
    ossl_end *e = c->end;
    assert_true(e->nst_age_add >= 0);
    *age_add = (uint32_t)e->nst_age_add;
    SSL_SESSION *s = rs_keep(o_session_get(e), o_session_free);
    rs_conn_free(c);
    return s;
}

/* RFC 8446 §4.2.11: the client's idea of the ticket's age against the server's, both moved:
 * the engine allows 10 s either way (+1 s for clients that round down). */
static void test_age_window_both_clocks(void **state)
{
    (void)state;
    static const struct {
        int64_t theirs, ours;
        int resumes;
    } rows[] = {{9, 0, 1}, {13, 0, 0}, {30, 0, 0}, {30, 30, 1}, {30, 25, 1}, {30, 45, 0}};
    SSL_CTX *ctx = rs_keep(o_ctx_new(TLSFLOW_CLIENT, V13, V13), o_ctx_free);
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        uint32_t age_add;
        SSL_SESSION *s = fresh_session(ctx, 3600, &age_add);
        offer_aged(ctx, s, age_add, rows[i].theirs, rows[i].ours, 3600, rows[i].resumes);
        rs_release(s);
    }
}

/* Our TLS 1.3 ticket lifetime (100 s) at our server: resumed when both clocks say 99 s; at
 * 101 s by ours (95 s by OpenSSL's, which still offers it, the ages 6 s apart) a full
 * handshake: the lifetime says no, not the age. */
static void test_our_server_lifetime_13(void **state)
{
    (void)state;
    SSL_CTX *ctx = rs_keep(o_ctx_new(TLSFLOW_CLIENT, V13, V13), o_ctx_free);
    uint32_t age_add;
    SSL_SESSION *s = fresh_session(ctx, 100, &age_add);
    assert_int_equal(SSL_SESSION_get_ticket_lifetime_hint(s), 100);
    offer_aged(ctx, s, age_add, 99, 99, 100, 1);
    offer_aged(ctx, s, age_add, 95, 101, 100, 0);
}

/* ---- setup --------------------------------------------------------------------------------- */

static void *pem_object(const char *name, int key)
{
    size_t n;
    uint8_t *pem = tft_fixture(name, &n);
    BIO *b = BIO_new_mem_buf(pem, (int)n);
    void *obj = key ? (void *)PEM_read_bio_PrivateKey(b, NULL, NULL, NULL)
                    : (void *)PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    free(pem);
    return obj;
}

static int group_setup(void **state)
{
    (void)state;
    g_cert = pem_object("server.pem", 0);
    g_key = pem_object("server.key", 1);
    g_root = pem_object("ca.pem", 0);
    return g_cert && g_key && g_root ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    X509_free(g_cert);
    X509_free(g_root);
    EVP_PKEY_free(g_key);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        RS_SCENARIO_TESTS cmocka_unit_test_teardown(test_age_window_both_clocks, rs_teardown),
        cmocka_unit_test_teardown(test_our_server_lifetime_13, rs_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
