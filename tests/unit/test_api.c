/* Every public function called the wrong way: with NULL, at the wrong moment, on the wrong
 * role. Functions that return an int return TLSFLOW_E_USAGE and change nothing; functions
 * that return nothing make E_USAGE the connection's sticky error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tf_test.h"

#define USAGE TLSFLOW_E_USAGE

/* Nothing may crash, and int results say E_USAGE. */
static void test_null_everywhere(void **state)
{
    (void)state;
    size_t n = 7;
    uint8_t buf[32];
    tlsflow_config_free(NULL);
    assert_null(tlsflow_config_new((tlsflow_role)0));
    assert_null(tlsflow_config_new((tlsflow_role)3));
    assert_int_equal(tlsflow_config_add_credential(NULL, buf, 1, buf, 1, NULL), USAGE);
    assert_int_equal(tlsflow_config_add_credential_key_handle(NULL, buf, 1, NULL, NULL), USAGE);
    assert_int_equal(tlsflow_config_add_trust_anchors(NULL, buf, 1), USAGE);
    assert_int_equal(tlsflow_config_set_server_name(NULL, "x"), USAGE);
    assert_int_equal(tlsflow_config_set_alpn(NULL, NULL, 0), USAGE);
    assert_int_equal(tlsflow_config_set_cipher_suites(NULL, NULL, 0), USAGE);
    assert_int_equal(tlsflow_config_set_groups(NULL, NULL, 0), USAGE);
    assert_int_equal(tlsflow_config_set_signature_schemes(NULL, NULL, 0), USAGE);
    assert_int_equal(tlsflow_config_set_max_handshake_size(NULL, 4096), USAGE);
    assert_int_equal(tlsflow_config_set_workspace_allocator(NULL, NULL, NULL, NULL), USAGE);
    tlsflow_config_set_offer_ems(NULL, 1);
    tlsflow_config_set_release_idle_buffers(NULL, 1);
    tlsflow_config_set_random(NULL, NULL, NULL);
    tlsflow_config_set_time(NULL, NULL, NULL);
    tlsflow_config_set_trace(NULL, NULL, NULL);
    tlsflow_config_set_keylog(NULL, NULL, NULL);
    tlsflow_config_set_verify(NULL, NULL, NULL);
    tlsflow_config_set_key_offload(NULL, 1);

    assert_int_equal(tlsflow_conn_size(NULL), 0);
    assert_null(tlsflow_conn_init(buf, sizeof(buf), NULL));
    assert_null(tlsflow_conn_new(NULL));
    tlsflow_conn_free(NULL);
    assert_int_equal(tlsflow_conn_release_buffers(NULL), 0);
    assert_int_equal(tlsflow_poll(NULL), TLSFLOW_CLOSED);
    assert_int_equal(tlsflow_ready(NULL), TLSFLOW_READY_CLOSED);
    assert_null(tlsflow_in_buf(NULL, &n));
    assert_int_equal(n, 0);
    tlsflow_in_ack(NULL, 1);
    n = 7;
    assert_null(tlsflow_out_buf(NULL, &n));
    assert_int_equal(n, 0);
    tlsflow_out_ack(NULL, 1);
    n = 7;
    assert_null(tlsflow_app_peek(NULL, &n));
    assert_int_equal(n, 0);
    tlsflow_app_consume(NULL, 1);
    assert_int_equal(tlsflow_app_write(NULL, "x", 1), 0);
    tlsflow_close(NULL);
    assert_null(tlsflow_key_op(NULL));
    assert_int_equal(tlsflow_key_op_complete(NULL, buf, 1), USAGE);
    assert_int_equal(tlsflow_key_op_run(NULL, buf, sizeof(buf), &n), USAGE);
    assert_int_equal(tlsflow_export_keying_material(NULL, "EXPORTER", NULL, 0, buf, 8), USAGE);
    assert_int_equal(tlsflow_peer_cert_count(NULL), 0);
    assert_null(tlsflow_peer_cert(NULL, 0, &n));
    assert_int_equal(tlsflow_peer_spki_sha256(NULL, buf), USAGE);
    assert_int_equal(tlsflow_last_error(NULL), USAGE);
    assert_non_null(tlsflow_last_error_text(NULL));
    assert_int_equal(tlsflow_peer_alert(NULL), -1);
    assert_int_equal(tlsflow_sent_alert(NULL), -1);
    assert_non_null(tlsflow_get_info(NULL));
    assert_int_equal(tlsflow_conn_memory(NULL), 0);
    assert_int_equal(tlsflow_conn_role(NULL), 0);
    assert_string_equal(tlsflow_error_name(12345), "TLSFLOW_E_UNKNOWN");
    assert_string_equal(tlsflow_alert_name(255), "unknown_alert");
    assert_null(tlsflow_suite_name(0));
    assert_null(tlsflow_group_name(0));
    assert_null(tlsflow_signature_scheme_name(0));
}

/* Server-only calls on a client configuration and the other way round. */
static void test_wrong_role(void **state)
{
    (void)state;
    size_t cl, kl;
    uint8_t *chain = tft_fixture("server.pem", &cl), *key = tft_fixture("server.key", &kl);
    tlsflow_config *client = tlsflow_config_new(TLSFLOW_CLIENT);
    tlsflow_config *server = tlsflow_config_new(TLSFLOW_SERVER);
    /* A client's credentials (mutual TLS) answer no SNI name. */
    assert_int_equal(tlsflow_config_add_credential(client, chain, cl, key, kl, "x"), USAGE);
    assert_int_equal(tlsflow_config_add_credential_key_handle(client, chain, cl, NULL, "x"), USAGE);
    assert_int_equal(tlsflow_config_set_client_auth(client, TLSFLOW_CLIENT_AUTH_OPTIONAL), USAGE);
    assert_int_equal(tlsflow_config_set_server_name(server, "localhost"), USAGE);
    /* Incomplete configurations make no connection. */
    assert_null(tlsflow_conn_new(client));
    assert_null(tlsflow_conn_new(server));
    tlsflow_config_free(client);
    tlsflow_config_free(server);
    free(chain);
    free(key);
}

/* Buffers acknowledged beyond what was offered: E_USAGE, sticky, nothing sent. */
static void test_overacknowledged_buffers(void **state)
{
    (void)state;
    for (int which = 0; which < 4; which++) {
        tft_pair *p = tft_pair_new();
        tft_pair_start(p);
        size_t n;
        assert_int_equal(tlsflow_poll(p->client), TLSFLOW_OUTPUT_READY);
        tlsflow_out_buf(p->client, &n);
        if (which == 0) {
            tlsflow_out_ack(p->client, n + 1); /* once silently clamped */
        } else if (which == 1) {
            size_t room;
            tlsflow_in_buf(p->client, &room);
            tlsflow_in_ack(p->client, room + 1);
        } else if (which == 2) {
            tlsflow_app_consume(p->client, 1); /* nothing to consume yet */
        } else {
            tlsflow_in_ack(p->client, 0); /* EOF, then more bytes */
            tlsflow_in_ack(p->client, 1);
        }
        assert_int_equal(tlsflow_last_error(p->client), USAGE);
        tlsflow_out_buf(p->client, &n);
        assert_int_equal(tlsflow_poll(p->client), n ? TLSFLOW_OUTPUT_READY : TLSFLOW_CLOSED);
        assert_int_equal(tlsflow_sent_alert(p->client), -1); /* misuse is not the peer's fault */
        tft_pair_free(p);
    }
}

/* Calls made before their moment. */
static void test_wrong_moment(void **state)
{
    (void)state;
    tft_pair *p = tft_pair_new();
    tft_pair_start(p);
    uint8_t buf[64];
    size_t n = 9;
    assert_int_equal(tlsflow_app_write(p->client, "early", 5), 0);
    assert_null(tlsflow_key_op(p->server));
    assert_int_equal(tlsflow_key_op_complete(p->server, buf, 1), USAGE);
    assert_int_equal(tlsflow_key_op_run(p->server, buf, sizeof(buf), &n), USAGE);
    assert_int_equal(tlsflow_export_keying_material(p->client, "EXPORTER-x", NULL, 0, buf, 16),
                     USAGE);
    assert_int_equal(tlsflow_peer_cert_count(p->client), 0);
    assert_null(tlsflow_peer_cert(p->client, 0, &n));
    assert_int_equal(n, 0);
    assert_int_equal(tlsflow_peer_spki_sha256(p->client, buf), USAGE);
    assert_int_equal(tlsflow_conn_release_buffers(p->client), 0); /* not established */
    assert_int_equal(tlsflow_last_error(p->client), 0);           /* none of it was fatal */
    assert_int_equal(tlsflow_last_error(p->server), 0);
    assert_true(tft_handshake(p->client, p->server, NULL));
    /* Now they work; reserved labels and sizes still do not. */
    assert_int_equal(tlsflow_export_keying_material(p->client, "EXPORTER-x", NULL, 0, buf, 16), 0);
    assert_int_equal(tlsflow_export_keying_material(p->client, "master secret", NULL, 0, buf, 16),
                     USAGE);
    assert_int_equal(tlsflow_export_keying_material(p->client, "key expansion", NULL, 0, buf, 16),
                     USAGE);
    assert_int_equal(tlsflow_export_keying_material(p->client, "EXPORTER-x", NULL, 0, buf, 0),
                     USAGE);
    assert_int_equal(tlsflow_export_keying_material(p->client, "EXPORTER-x", buf, 1025, buf, 8),
                     USAGE);
    assert_int_equal(tlsflow_peer_cert_count(p->client), 1);
    assert_int_equal(tlsflow_peer_spki_sha256(p->client, buf), 0);
    assert_null(tlsflow_peer_cert(p->client, 1, &n));
    tlsflow_close(p->client);
    tlsflow_close(p->client); /* twice: nothing more happens */
    assert_int_equal(tlsflow_app_write(p->client, "late", 4), 0);
    assert_int_equal(tlsflow_last_error(p->client), 0);
    tft_pair_free(p);
}

/* tlsflow_conn_init refuses memory it cannot use. */
static void test_conn_init_memory(void **state)
{
    (void)state;
    tft_pair *p = tft_pair_new();
    size_t need = tlsflow_conn_size(p->ccfg);
    uint8_t *mem = aligned_alloc(16, need + 16);
    assert_null(tlsflow_conn_init(NULL, need, p->ccfg));
    assert_null(tlsflow_conn_init(mem, need - 1, p->ccfg));
    assert_null(tlsflow_conn_init(mem + 1, need, p->ccfg)); /* misaligned */
    tlsflow_conn *c = tlsflow_conn_init(mem, need, p->ccfg);
    assert_non_null(c);
    tlsflow_conn_free(c);
    free(mem);
    tft_pair_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_null_everywhere),          cmocka_unit_test(test_wrong_role),
        cmocka_unit_test(test_overacknowledged_buffers), cmocka_unit_test(test_wrong_moment),
        cmocka_unit_test(test_conn_init_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
