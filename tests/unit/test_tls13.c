/* TLS 1.3 between our own client and server, where the behaviour is ours to pin down:
 * HelloRetryRequest, version pinning and the downgrade sentinel, record_size_limit in both
 * versions, KeyUpdate with update_requested, EncryptedExtensions' answers. The proofs that
 * this is TLS 1.3 as others speak it are in tests/interop and tests/socket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "handshake.h"
#include "internal.h"
#include "tf_test.h"

#define V12 TLSFLOW_VERSION_TLS12
#define V13 TLSFLOW_VERSION_TLS13

static void versions(tlsflow_config *cfg, uint16_t min, uint16_t max)
{
    assert_int_equal(tlsflow_config_set_versions(cfg, min, max), 0);
}

/* The client's one share is for a group the server does not take: one round trip more. */
static void test_hello_retry_request(void **state)
{
    (void)state;
    tft_pair *p = tft_pair_new();
    static const uint16_t cg[] = {TLSFLOW_GROUP_SECP384R1, TLSFLOW_GROUP_X25519};
    static const uint16_t sg[] = {TLSFLOW_GROUP_X25519};
    assert_int_equal(tlsflow_config_set_groups(p->ccfg, cg, 2), 0);
    assert_int_equal(tlsflow_config_set_groups(p->scfg, sg, 1), 0);
    tft_pair_start(p);
    assert_true(tft_handshake(p->client, p->server, NULL));
    const tlsflow_info *ci = tlsflow_get_info(p->client), *si = tlsflow_get_info(p->server);
    assert_int_equal(ci->version, V13);
    assert_true(ci->hello_retry && si->hello_retry);
    assert_int_equal(ci->group, TLSFLOW_GROUP_X25519);
    assert_int_equal(si->group, TLSFLOW_GROUP_X25519);
    assert_int_equal(tlsflow_app_write(p->client, "after HRR", 9), 9);
    tft_pair_free(p);
}

/* No group in common at all: handshake_failure, no retry. */
static void test_no_group_no_retry(void **state)
{
    (void)state;
    tft_pair *p = tft_pair_new();
    static const uint16_t cg[] = {TLSFLOW_GROUP_SECP384R1};
    static const uint16_t sg[] = {TLSFLOW_GROUP_X25519};
    assert_int_equal(tlsflow_config_set_groups(p->ccfg, cg, 1), 0);
    assert_int_equal(tlsflow_config_set_groups(p->scfg, sg, 1), 0);
    versions(p->ccfg, V13, V13);
    tft_pair_start(p);
    assert_false(tft_handshake(p->client, p->server, NULL));
    assert_int_equal(tlsflow_last_error(p->server), TLSFLOW_E_HANDSHAKE_FAILURE);
    assert_int_equal(tlsflow_peer_alert(p->client), TLSFLOW_ALERT_HANDSHAKE_FAILURE);
    tft_pair_free(p);
}

/* Version ranges: each side's range decides; no overlap is protocol_version. */
static void test_version_ranges(void **state)
{
    (void)state;
    static const struct {
        uint16_t cmin, cmax, smin, smax, want;
    } CASES[] = {
        {V12, V13, V12, V13, V13}, {V12, V12, V12, V13, V12}, {V12, V13, V12, V12, V12},
        {V13, V13, V13, V13, V13}, {V13, V13, V12, V12, 0},   {V12, V12, V13, V13, 0},
    };
    for (size_t i = 0; i < sizeof(CASES) / sizeof(CASES[0]); i++) {
        tft_pair *p = tft_pair_new();
        versions(p->ccfg, CASES[i].cmin, CASES[i].cmax);
        versions(p->scfg, CASES[i].smin, CASES[i].smax);
        tft_pair_start(p);
        int ok = tft_handshake(p->client, p->server, NULL);
        assert_int_equal(ok, CASES[i].want != 0);
        if (ok) {
            assert_int_equal(tlsflow_get_info(p->client)->version, CASES[i].want);
            assert_int_equal(tlsflow_get_info(p->server)->version, CASES[i].want);
        } else {
            assert_int_equal(tlsflow_last_error(p->server), TLSFLOW_E_PROTOCOL_VERSION);
            assert_int_equal(tlsflow_sent_alert(p->server), TLSFLOW_ALERT_PROTOCOL_VERSION);
        }
        tft_pair_free(p);
    }
    tlsflow_config *cfg = tlsflow_config_new(TLSFLOW_CLIENT);
    assert_int_equal(tlsflow_config_set_versions(cfg, V13, V12), TLSFLOW_E_USAGE);
    assert_int_equal(tlsflow_config_set_versions(cfg, 0x0302, V13), TLSFLOW_E_USAGE);
    assert_int_equal(tlsflow_config_set_versions(cfg, V12, 0x0305), TLSFLOW_E_USAGE);
    tlsflow_config_free(cfg);
}

/* RFC 8446 §4.1.3: a 1.3-capable server answering 1.2 marks its random; a client that
 * offered 1.3 and sees the mark refuses (here the mark is put into a ServerHello from a
 * server that does 1.2 only, in flight). A client that offered 1.2 only takes it. */
static void test_downgrade_sentinel(void **state)
{
    (void)state;
    for (int offered13 = 0; offered13 < 2; offered13++) {
        tft_pair *p = tft_pair_new();
        versions(p->scfg, V12, V12);
        if (!offered13)
            versions(p->ccfg, V12, V12);
        tft_pair_start(p);
        tft_step(p->client, p->server, NULL, NULL); /* ClientHello */
        assert_int_equal(tlsflow_poll(p->server), TLSFLOW_OUTPUT_READY);
        size_t n;
        uint8_t *out = (uint8_t *)tlsflow_out_buf(p->server, &n);
        /* record header 5, handshake header 4, version 2, random 32: its last 8 bytes */
        memcpy(out + 5 + 4 + 2 + 24, "DOWNGRD\x01", 8);
        int ok = tft_handshake(p->client, p->server, NULL);
        if (offered13) {
            assert_false(ok);
            assert_int_equal(tlsflow_last_error(p->client), TLSFLOW_E_ILLEGAL_PARAMETER);
            assert_int_equal(tlsflow_sent_alert(p->client), TLSFLOW_ALERT_ILLEGAL_PARAMETER);
        } else {
            /* Taken at ServerHello; the tampered random then breaks the Finished MACs. */
            assert_int_not_equal(tlsflow_last_error(p->client), TLSFLOW_E_ILLEGAL_PARAMETER);
        }
        tft_pair_free(p);
    }
}

/* RFC 8446 §D.5: a ServerHello whose legacy_version is SSL 3.0 is refused with
 * protocol_version, in TLS 1.3 too, where supported_versions alone decides otherwise. */
static void test_ssl3_server_hello(void **state)
{
    (void)state;
    for (int v13 = 0; v13 < 2; v13++) {
        tft_pair *p = tft_pair_new();
        versions(p->scfg, v13 ? V13 : V12, v13 ? V13 : V12);
        tft_pair_start(p);
        tft_step(p->client, p->server, NULL, NULL); /* ClientHello */
        assert_int_equal(tlsflow_poll(p->server), TLSFLOW_OUTPUT_READY);
        size_t n;
        uint8_t *out = (uint8_t *)tlsflow_out_buf(p->server, &n);
        assert_true(n > 11 && out[5] == 2 && out[9] == 3 && out[10] == 3);
        out[10] = 0; /* legacy_version 0x0300, after the record and handshake headers */
        assert_false(tft_handshake(p->client, p->server, NULL));
        assert_int_equal(tlsflow_last_error(p->client), TLSFLOW_E_PROTOCOL_VERSION);
        assert_int_equal(tlsflow_sent_alert(p->client), TLSFLOW_ALERT_PROTOCOL_VERSION);
        tft_pair_free(p);
    }
}

/* RFC 8449 in both versions: records never exceed the limit the peer sent, and a record
 * over our own limit is record_overflow. */
static void test_record_size_limit(void **state)
{
    (void)state;
    for (int v = 0; v < 2; v++) {
        tft_pair *p = tft_pair_new();
        versions(p->ccfg, v ? V13 : V12, v ? V13 : V12);
        assert_int_equal(tlsflow_config_set_record_size_limit(p->ccfg, 512), 0);
        assert_int_equal(tlsflow_config_set_record_size_limit(p->scfg, 1000), 0);
        assert_int_equal(tlsflow_config_set_record_size_limit(p->ccfg, 63), TLSFLOW_E_USAGE);
        tft_pair_start(p);
        assert_true(tft_handshake(p->client, p->server, NULL));
        static uint8_t data[4000];
        memset(data, 'x', sizeof(data));
        /* The server writes to a client that takes 512-byte plaintexts. */
        assert_int_equal(tlsflow_app_write(p->server, data, sizeof(data)), 512);
        size_t n;
        tlsflow_out_buf(p->server, &n);
        size_t overhead = v ? 5 + 1 + 16 : 5 + 8 + 16;
        assert_int_equal(n, 512 + overhead);
        /* The client writes to a server that takes 1000. */
        assert_int_equal(tlsflow_app_write(p->client, data, sizeof(data)), 1000);
        /* Past our own limit: a record the server is made to cut at 600 bytes is
         * record_overflow for a client that takes 512. The 512 one goes first. */
        const uint8_t *o = tlsflow_out_buf(p->server, &n);
        size_t room;
        uint8_t *in = tlsflow_in_buf(p->client, &room);
        memcpy(in, o, n);
        tlsflow_in_ack(p->client, n);
        tlsflow_out_ack(p->server, n);
        assert_int_equal(tlsflow_poll(p->client), TLSFLOW_OUTPUT_READY); /* its own 1000 */
        tlsflow_app_peek(p->client, &room);
        assert_int_equal(room, 512);
        tlsflow_app_consume(p->client, room);
        tlsflow_conn *s = p->server;
        s->peer_record_limit = 600;
        assert_int_equal(tlsflow_app_write(s, data, sizeof(data)), 600);
        o = tlsflow_out_buf(s, &n);
        in = tlsflow_in_buf(p->client, &room);
        assert_true(n <= room);
        memcpy(in, o, n);
        tlsflow_in_ack(p->client, n);
        tlsflow_poll(p->client);
        assert_int_equal(tlsflow_last_error(p->client), TLSFLOW_E_RECORD_OVERFLOW);
        tft_pair_free(p);
    }
}

/* KeyUpdate with update_requested is answered with one KeyUpdate; data goes on. */
static void test_key_update_requested(void **state)
{
    (void)state;
    tft_pair *p = tft_pair_new();
    tft_pair_start(p);
    assert_true(tft_handshake(p->client, p->server, NULL));
    uint8_t before[sizeof(p->server->wr.secret)];
    memcpy(before, p->server->wr.secret, sizeof(before));
    for (int i = 0; i < 3; i++) { /* three requests in a row: one answer each time */
        assert_int_equal(tf13_send_key_update(p->client, 1), 0);
        tft_step(p->client, p->server, NULL, NULL);
        tft_step(p->server, p->client, NULL, NULL);
        tft_step(p->server, p->client, NULL, NULL);
        assert_memory_not_equal(before, p->server->wr.secret, sizeof(before));
        memcpy(before, p->server->wr.secret, sizeof(before));
    }
    assert_int_equal(tlsflow_app_write(p->server, "still here", 10), 10);
    size_t n;
    const uint8_t *out = tlsflow_out_buf(p->server, &n);
    size_t room;
    uint8_t *in = tlsflow_in_buf(p->client, &room);
    memcpy(in, out, n);
    tlsflow_in_ack(p->client, n);
    tlsflow_out_ack(p->server, n);
    assert_int_equal(tlsflow_poll(p->client), TLSFLOW_APP_DATA);
    const uint8_t *got = tlsflow_app_peek(p->client, &n);
    assert_int_equal(n, 10);
    assert_memory_equal(got, "still here", 10);
    tft_pair_free(p);
}

/* EncryptedExtensions: the chosen ALPN protocol; the SNI acknowledgement. */
static void test_encrypted_extensions(void **state)
{
    (void)state;
    tft_pair *p = tft_pair_new();
    static const char *const protos[] = {"h2", "http/1.1"};
    assert_int_equal(tlsflow_config_set_alpn(p->ccfg, protos, 2), 0);
    assert_int_equal(tlsflow_config_set_alpn(p->scfg, protos + 1, 1), 0);
    tft_pair_start(p);
    assert_true(tft_handshake(p->client, p->server, NULL));
    assert_string_equal(tlsflow_get_info(p->client)->alpn, "http/1.1");
    assert_string_equal(tlsflow_get_info(p->server)->alpn, "http/1.1");
    assert_string_equal(tlsflow_get_info(p->server)->server_name, "localhost");
    tft_pair_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hello_retry_request),  cmocka_unit_test(test_no_group_no_retry),
        cmocka_unit_test(test_version_ranges),       cmocka_unit_test(test_downgrade_sentinel),
        cmocka_unit_test(test_ssl3_server_hello),    cmocka_unit_test(test_record_size_limit),
        cmocka_unit_test(test_key_update_requested), cmocka_unit_test(test_encrypted_extensions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
