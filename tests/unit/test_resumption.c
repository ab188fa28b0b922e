/* Session resumption between our own ends, both versions: a full handshake, the session
 * exported, a second connection that resumes it (no certificate sent, keys from the
 * ticket); and the tickets that must not resume (expired, another key, another name,
 * tampered, a TLS 1.2 session without the extended master secret), each falling back to a
 * full handshake. OpenSSL and the socket peers check the same against other stacks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "session.h"
#include "tf_test.h"

#define V12 TLSFLOW_VERSION_TLS12
#define V13 TLSFLOW_VERSION_TLS13

static int64_t now_value = TF_TEST_TIME;
static int64_t clock_fn(void *ctx)
{
    (void)ctx;
    return now_value;
}

static const tlsflow_ticket_key KEY_A = {"key-a-0123456789", "0123456789abcdef0123456789abcde"};
static const tlsflow_ticket_key KEY_B = {"key-b-0123456789", "fedcba9876543210fedcba987654321"};

typedef struct {
    uint8_t session[8192];
    size_t len;
    int calls;
} kept;

static void on_session(void *ctx, tlsflow_conn *conn, const uint8_t *s, size_t len)
{
    kept *k = ctx;
    (void)conn;
    assert_true(len <= sizeof(k->session));
    memcpy(k->session, s, len);
    k->len = len;
    k->calls++;
}

/* One connection: client and server configurations as given; returns the pair after the
 * handshake and a little data (NewSessionTickets arrive after the handshake in 1.3). */
static tft_pair *connect_once(uint16_t version, const tlsflow_ticket_key *server_key, int ems,
                              const char *name, const kept *offer, kept *keep, int *offered)
{
    tft_pair *p = tft_pair_new();
    assert_int_equal(tlsflow_config_set_versions(p->ccfg, version, version), 0);
    tlsflow_config_set_offer_ems(p->ccfg, ems);
    tlsflow_config_set_time(p->ccfg, clock_fn, NULL);
    tlsflow_config_set_time(p->scfg, clock_fn, NULL);
    if (name)
        assert_int_equal(tlsflow_config_set_server_name(p->ccfg, name), 0);
    if (server_key)
        assert_int_equal(tlsflow_config_set_ticket_keys(p->scfg, server_key, 1), 0);
    tlsflow_config_set_session_callback(p->ccfg, on_session, keep);
    tft_pair_start(p);
    if (offer)
        *offered = tlsflow_session_import(p->client, offer->session, offer->len);
    return p;
}

static int settle(tft_pair *p)
{
    int ok = tft_handshake(p->client, p->server, NULL);
    if (ok) { /* let the tickets of TLS 1.3 through */
        assert_int_equal(tlsflow_app_write(p->server, "x", 1), 1);
        for (int i = 0; i < 4; i++) {
            tft_step(p->server, p->client, NULL, NULL);
            tft_step(p->client, p->server, NULL, NULL);
        }
    }
    return ok;
}

static void test_resumes(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        uint16_t version = v ? V13 : V12;
        kept first = {{0}, 0, 0}, second = {{0}, 0, 0};
        int offered = -1;
        tft_pair *p = connect_once(version, &KEY_A, 1, NULL, NULL, &first, NULL);
        assert_true(settle(p));
        assert_false(tlsflow_get_info(p->client)->resumed);
        assert_true(first.calls >= 1);
        if (v)
            assert_int_equal(first.calls, 2); /* two tickets by default in TLS 1.3 */
        size_t n;
        assert_int_equal(tlsflow_session_export(p->client, NULL, 0, &n), 0);
        assert_int_equal(n, first.len);
        tft_pair_free(p);

        now_value += 60;
        p = connect_once(version, &KEY_A, 1, NULL, &first, &second, &offered);
        assert_int_equal(offered, 1);
        if (!settle(p))
            fail_msg("v%d: %s / %s", v, tlsflow_last_error_text(p->client),
                     tlsflow_last_error_text(p->server));
        assert_true(tlsflow_get_info(p->client)->resumed);
        assert_true(tlsflow_get_info(p->server)->resumed);
        assert_int_equal(tlsflow_get_info(p->client)->version, version);
        /* The original server certificate stays known. */
        assert_string_equal(tlsflow_get_info(p->client)->cert.subject, "/CN=localhost");
        assert_int_equal(tlsflow_peer_cert_count(p->client), 1);
        assert_true(second.calls >= 1); /* a fresh ticket (1.2) or tickets (1.3) again */
        tft_pair_free(p);
        now_value = TF_TEST_TIME;
    }
}

/* Tickets that must not resume: each a full handshake, never an error. */
static void test_falls_back(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        uint16_t version = v ? V13 : V12;
        kept first = {{0}, 0, 0}, other = {{0}, 0, 0};
        tft_pair *p = connect_once(version, &KEY_A, 1, NULL, NULL, &first, NULL);
        assert_true(settle(p));
        tft_pair_free(p);
        for (int why = 0; why < 3; why++) {
            int offered = -1;
            kept offer = first;
            const tlsflow_ticket_key *key = &KEY_A;
            if (why == 0) /* another key at the server */
                key = &KEY_B;
            if (why == 1) /* tampered: a byte of the ticket, before the leaf (849 bytes DER,
                           * tests/fixtures/server.pem) and its u16 length */
                offer.session[offer.len - 2 - 849 - 20] ^= 1;
            if (why == 2) /* expired at the server, not yet at the client's import */
                now_value = TF_TEST_TIME + 86400 + 10;
            tft_pair *q = connect_once(version, key, 1, NULL, &offer, &other, &offered);
            if (why == 2) {
                assert_int_equal(offered, 0); /* the client drops it itself */
            } else {
                assert_int_equal(offered, 1);
            }
            if (!settle(q))
                fail_msg("v%d case %d: %s / %s", v, why, tlsflow_last_error_text(q->client),
                         tlsflow_last_error_text(q->server));
            if (tlsflow_get_info(q->client)->resumed)
                fail_msg("v%d case %d resumed", v, why);
            assert_false(tlsflow_get_info(q->server)->resumed);
            tft_pair_free(q);
            now_value = TF_TEST_TIME;
        }
        /* Another server name: the client will not offer it. */
        p = connect_once(version, &KEY_A, 1, "127.0.0.1", NULL, &other, NULL);
        assert_int_equal(tlsflow_session_import(p->client, first.session, first.len),
                         TLSFLOW_E_USAGE);
        tft_pair_free(p);
    }
}

/* RFC 7627 §5.3: a TLS 1.2 session without the extended master secret is not resumed. */
static void test_no_ems_no_resumption(void **state)
{
    (void)state;
    kept first = {{0}, 0, 0}, second = {{0}, 0, 0};
    int offered = -1;
    tft_pair *p = connect_once(V12, &KEY_A, 0, NULL, NULL, &first, NULL);
    assert_true(settle(p));
    assert_true(first.calls == 1);
    tft_pair_free(p);
    p = connect_once(V12, &KEY_A, 0, NULL, &first, &second, &offered);
    assert_int_equal(offered, 1);
    assert_true(settle(p));
    assert_false(tlsflow_get_info(p->server)->resumed);
    tft_pair_free(p);
}

/* No keys at the server: no tickets, and a client has nothing to export. */
/* Freshness of a session whose creation time came from imported bytes, on any clock:
 * fuzz_client found created near INT64_MIN, where the difference overflowed (UBSan). */
static void test_fresh_at_the_extremes(void **state)
{
    (void)state;
    tf_session s;
    memset(&s, 0, sizeof(s));
    s.lifetime = 7200;
    s.created = INT64_MIN + 5;
    assert_false(tf_session_fresh(&s, 1800000000));
    assert_false(tf_session_fresh(&s, INT64_MAX));
    assert_true(tf_session_fresh(&s, INT64_MIN + 105));
    s.created = INT64_MAX - 5;
    assert_false(tf_session_fresh(&s, INT64_MIN));
    assert_true(tf_session_fresh(&s, INT64_MAX));
    s.created = 1000; /* up to 60 s ahead, then the lifetime */
    assert_true(tf_session_fresh(&s, 940));
    assert_false(tf_session_fresh(&s, 939));
    assert_true(tf_session_fresh(&s, 1000 + 7199));
    assert_false(tf_session_fresh(&s, 1000 + 7200));
}

static void test_no_keys(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        kept first = {{0}, 0, 0};
        tft_pair *p = connect_once(v ? V13 : V12, NULL, 1, NULL, NULL, &first, NULL);
        assert_true(settle(p));
        assert_int_equal(first.calls, 0);
        size_t n;
        assert_int_equal(tlsflow_session_export(p->client, NULL, 0, &n), TLSFLOW_E_USAGE);
        tft_pair_free(p);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resumes),
        cmocka_unit_test(test_falls_back),
        cmocka_unit_test(test_no_ems_no_resumption),
        cmocka_unit_test(test_no_keys),
        cmocka_unit_test(test_fresh_at_the_extremes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
