/* Session resumption (issue 12) against wolfSSL's own TLS in process (the system libwolfssl,
 * built with HAVE_SESSION_TICKET, WOLFSSL_TLS13 and HAVE_EXTENDED_MASTER: tickets in both
 * versions), both roles: the scenarios of resume_common.c with wolfSSL behind rs_peer_ops,
 * over memory I/O callbacks. Our client resumes with wolfSSL's server (its default ticket
 * callback, keys per context) and falls back where it cannot; wolfSSL's client
 * (wolfSSL_get1_session, wolfSSL_set_session, wolfSSL_set_SessionTicket for the altered
 * ticket) resumes with our server, across a key rotation too. wolfSSL has no message callback
 * worth the name in TLS 1.3: its own word is wolfSSL_session_reused and its alert history.
 * What wolfSSL 5.5.4 itself cannot do (against its own server as well) is declared in
 * WOLF_OPS, and the scenarios then check our side and print a note: its TLS 1.2 client fails
 * when a server declines its ticket; its client offers only TLS 1.2 with a TLS 1.2 session,
 * only the session's group when it resumes, and gives up on a TLS 1.2 ServerHello when it
 * offered a TLS 1.3 session; wolfSSL_CTX_no_ticket_TLSv13 stops new tickets only. */
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

#include "resume_common.h"

#if !defined(HAVE_SESSION_TICKET) || !defined(WOLFSSL_TLS13) || !defined(HAVE_EXTENDED_MASTER)
#define WOLF_TICKETS 0 /* every test skips, saying why */
#else
#define WOLF_TICKETS 1
#endif

/* ---- wolfSSL behind rs_peer_ops --------------------------------------------------------- */

typedef struct {
    WOLFSSL *ssl;
    int server;
    tft_log in; /* our records, read by wolfSSL from in_off */
    size_t in_off;
    int eof;
    tft_log out; /* what wolfSSL wrote, drained from out_off */
    size_t out_off;
    int err;
} wolf_end;

static int wio_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
    (void)ssl;
    wolf_end *e = ctx;
    size_t n = e->in.len - e->in_off;
    if (n == 0)
        return e->eof ? WOLFSSL_CBIO_ERR_CONN_CLOSE : WOLFSSL_CBIO_ERR_WANT_READ;
    if (n > (size_t)sz)
        n = (size_t)sz;
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

/* The fixtures are made the day make.sh runs and wolfSSL judges dates by the wall clock:
 * date errors alone are forgiven (our engine checks at a fixed time). */
static int verify_cb(int preverify, WOLFSSL_X509_STORE_CTX *store)
{
    int err = wolfSSL_X509_STORE_CTX_get_error(store);
    return preverify || err == ASN_BEFORE_DATE_E || err == ASN_AFTER_DATE_E;
}

static int wolf_version(uint16_t v)
{
    return v == V13 ? TLS1_3_VERSION : TLS1_2_VERSION;
}

static void w_ctx_versions(void *ctx, uint16_t min, uint16_t max)
{
    assert_int_equal(wolfSSL_CTX_set_min_proto_version(ctx, wolf_version(min)), WOLFSSL_SUCCESS);
    assert_int_equal(wolfSSL_CTX_set_max_proto_version(ctx, wolf_version(max)), WOLFSSL_SUCCESS);
}

static void *w_ctx_new(tlsflow_role role, uint16_t min, uint16_t max)
{
    WOLFSSL_CTX *ctx = wolfSSL_CTX_new(role == TLSFLOW_SERVER ? wolfSSLv23_server_method()
                                                              : wolfSSLv23_client_method());
    assert_non_null(ctx);
    w_ctx_versions(ctx, min, max);
    if (role == TLSFLOW_SERVER) { /* the default ticket callback, with keys of this context */
        assert_int_equal(
            wolfSSL_CTX_use_certificate_chain_file(ctx, TLSFLOW_FIXTURES "/server.pem"),
            WOLFSSL_SUCCESS);
        assert_int_equal(wolfSSL_CTX_use_PrivateKey_file(ctx, TLSFLOW_FIXTURES "/server.key",
                                                         WOLFSSL_FILETYPE_PEM),
                         WOLFSSL_SUCCESS);
        return ctx;
    }
    assert_int_equal(wolfSSL_CTX_load_verify_locations(ctx, TLSFLOW_FIXTURES "/ca.pem", NULL),
                     WOLFSSL_SUCCESS);
    wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, verify_cb);
    return ctx;
}

static void w_ctx_tickets_off(void *ctx)
{
    assert_int_equal(wolfSSL_CTX_NoTicketTLSv12(ctx), WOLFSSL_SUCCESS);
    assert_int_equal(wolfSSL_CTX_no_ticket_TLSv13(ctx), 0); /* 0 here means success */
}

static void w_ctx_ticket_lifetime(void *ctx, uint32_t seconds)
{
    assert_int_equal(wolfSSL_CTX_set_TicketHint(ctx, (int)seconds), WOLFSSL_SUCCESS);
}

static void w_ctx_only_p256(void *ctx)
{
    int groups[1] = {WOLFSSL_ECC_SECP256R1};
    assert_int_equal(wolfSSL_CTX_set_groups(ctx, groups, 1), WOLFSSL_SUCCESS);
}

static void w_ctx_free(void *ctx)
{
    wolfSSL_CTX_free(ctx);
}

static void *w_end_new(void *ctx, tlsflow_role role)
{
    wolf_end *e = calloc(1, sizeof(*e));
    assert_non_null(e);
    e->server = role == TLSFLOW_SERVER;
    e->ssl = wolfSSL_new(ctx);
    assert_non_null(e->ssl);
    wolfSSL_SSLSetIORecv(e->ssl, wio_recv);
    wolfSSL_SSLSetIOSend(e->ssl, wio_send);
    wolfSSL_SetIOReadCtx(e->ssl, e);
    wolfSSL_SetIOWriteCtx(e->ssl, e);
    if (!e->server) {
        assert_int_equal(wolfSSL_UseSNI(e->ssl, WOLFSSL_SNI_HOST_NAME, "localhost", 9),
                         WOLFSSL_SUCCESS);
        assert_int_equal(wolfSSL_check_domain_name(e->ssl, "localhost"), WOLFSSL_SUCCESS);
        assert_int_equal(wolfSSL_UseSessionTicket(e->ssl), WOLFSSL_SUCCESS); /* TLS 1.2 */
    }
    return e;
}

static void w_end_free(void *end)
{
    wolf_end *e = end;
    wolfSSL_free(e->ssl);
    tft_log_free(&e->in);
    tft_log_free(&e->out);
    free(e);
}

static void *w_session_get(void *end)
{
    WOLFSSL_SESSION *s = wolfSSL_get1_session(((wolf_end *)end)->ssl);
    assert_non_null(s);
    assert_int_equal(wolfSSL_SESSION_has_ticket(s), 1);
    return s;
}

static void w_session_offer(void *end, void *session)
{
    assert_int_equal(wolfSSL_set_session(((wolf_end *)end)->ssl, session), WOLFSSL_SUCCESS);
}

/* The session, then its ticket replaced by itself with one byte flipped. */
static void w_session_offer_tampered(void *end, void *session)
{
    WOLFSSL *ssl = ((wolf_end *)end)->ssl;
    w_session_offer(end, session);
    unsigned char ticket[4096];
    word32 len = sizeof(ticket);
    assert_int_equal(wolfSSL_get_SessionTicket(ssl, ticket, &len), WOLFSSL_SUCCESS);
    assert_true(len > 16);
    ticket[len / 2] ^= 0x01;
    assert_int_equal(wolfSSL_set_SessionTicket(ssl, ticket, len), WOLFSSL_SUCCESS);
}

static uint32_t w_session_lifetime(void *session)
{
    return (uint32_t)wolfSSL_SESSION_get_ticket_lifetime_hint(session);
}

static void w_session_free(void *session)
{
    wolfSSL_SESSION_free(session);
}

static void w_feed(void *end, const uint8_t *p, size_t n)
{
    tft_log_add(&((wolf_end *)end)->in, p, n);
}

static void w_eof(void *end)
{
    ((wolf_end *)end)->eof = 1;
}

static size_t w_drain(void *end, uint8_t *out, size_t cap)
{
    wolf_end *e = end;
    size_t n = e->out.len - e->out_off;
    if (n > cap)
        n = cap;
    memcpy(out, e->out.p + e->out_off, n);
    e->out_off += n;
    return n;
}

/* 0 when wolfSSL waits for bytes, -1 (and the error kept) when it failed. */
static int w_result(wolf_end *e, int ret)
{
    int err = wolfSSL_get_error(e->ssl, ret);
    if (err == WOLFSSL_ERROR_WANT_READ || err == WOLFSSL_ERROR_WANT_WRITE)
        return 0;
    if (!e->err)
        e->err = err;
    return -1;
}

static int w_handshake(void *end)
{
    wolf_end *e = end;
    int r = e->server ? wolfSSL_accept(e->ssl) : wolfSSL_connect(e->ssl);
    return r == WOLFSSL_SUCCESS ? 1 : w_result(e, r);
}

static int w_write(void *end, const uint8_t *p, size_t n)
{
    wolf_end *e = end;
    int r = wolfSSL_write(e->ssl, p, (int)n);
    return r > 0 ? r : w_result(e, r);
}

static int w_read(void *end, uint8_t *out, size_t cap)
{
    wolf_end *e = end;
    int r = wolfSSL_read(e->ssl, out, (int)cap);
    return r > 0 ? r : w_result(e, r);
}

static int w_reused(void *end)
{
    return wolfSSL_session_reused(((wolf_end *)end)->ssl);
}

static rs_account w_account(void *end)
{
    WOLFSSL_ALERT_HISTORY h;
    memset(&h, 0, sizeof(h));
    wolfSSL_get_alert_history(((wolf_end *)end)->ssl, &h);
    return (rs_account){
        .certificates = -1,
        .signatures = -1,
        .tickets = -1,
        .ticket_lifetime = -1,
        .ticket_age_add = -1,
        .alert_sent = h.last_tx.level ? h.last_tx.code : -1,
        .alert_read = h.last_rx.level ? h.last_rx.code : -1,
    };
}

static void w_describe(void *end, char *out, size_t cap)
{
    wolf_end *e = end;
    char reason[WOLFSSL_MAX_ERROR_SZ] = "";
    wolfSSL_ERR_error_string_n((unsigned long)e->err, reason, sizeof(reason));
    rs_account a = w_account(end);
    snprintf(out, cap, "error %d (%s) alert sent %d read %d", e->err, reason, a.alert_sent,
             a.alert_read);
}

static const rs_peer_ops WOLF_OPS = {
    .name = "wolfSSL",
    .server_age_slack = 1, /* its server takes the client's age 1 s ahead of its own at most */
    /* wolfSSL 5.5.4's TLS 1.2 client sends its ticket with an empty session id and takes any
     * ServerHello for a resumption: a declined ticket ends in "out of order message" (-373),
     * against wolfSSL's own server as well. */
    .client12_fallback = 0,
    .tickets_off_still_resumes13 = 1, /* wolfSSL_CTX_no_ticket_TLSv13: no new tickets */
    .client_pins_session_group = 1,
    .client_pins_tls12_session = 1, /* wolfSSL_set_session fixes its version */
    /* wolfSSL 5.5.4: "record layer version error" (-326), against its own server too */
    .client_tls13_session_fails_at_tls12 = 1,
    .ctx_new = w_ctx_new,
    .ctx_versions = w_ctx_versions,
    .ctx_tickets_off = w_ctx_tickets_off,
    .ctx_ticket_lifetime = w_ctx_ticket_lifetime,
    .ctx_only_p256 = w_ctx_only_p256,
    .ctx_free = w_ctx_free,
    .end_new = w_end_new,
    .end_free = w_end_free,
    .session_get = w_session_get,
    .session_offer = w_session_offer,
    .session_offer_tampered = w_session_offer_tampered,
    .session_lifetime = w_session_lifetime,
    .session_free = w_session_free,
    .feed = w_feed,
    .eof = w_eof,
    .drain = w_drain,
    .handshake = w_handshake,
    .write = w_write,
    .read = w_read,
    .reused = w_reused,
    .account = w_account,
    .describe = w_describe,
};

#define RS_OPS ((void *)&WOLF_OPS)

#if !WOLF_TICKETS
/* Without tickets in this libwolfssl there is nothing to resume: say so and skip. */
static void test_tickets_in_libwolfssl(void **state)
{
    (void)state;
    (void)WOLF_OPS;
    print_message("skip: this libwolfssl lacks HAVE_SESSION_TICKET, WOLFSSL_TLS13 or "
                  "HAVE_EXTENDED_MASTER (wolfssl/options.h): no resumption to test\n");
    skip();
}
#endif

int main(void)
{
#if WOLF_TICKETS
    const struct CMUnitTest tests[] = {RS_SCENARIO_TESTS};
#else
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_tickets_in_libwolfssl)};
#endif
    return cmocka_run_group_tests(tests, NULL, NULL); /* wolfSSL_CTX_new initialises */
}
