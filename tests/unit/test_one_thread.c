/* tlsflow_config_set_one_thread: the connections of a configuration driven by one event
 * loop share one wolfCrypt DRBG (randomness and blinding) instead of seeding one each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "tf_test.h"

#define CONNS 3

/* Interleaved handshakes (every connection alive at once, each one step at a time), then
 * one record each way. Returns how many completed. */
static int run_interleaved(tlsflow_config *scfg, tlsflow_config *ccfg, tlsflow_conn **servers)
{
    tlsflow_conn *clients[CONNS];
    for (int i = 0; i < CONNS; i++) {
        clients[i] = tlsflow_conn_new(ccfg);
        servers[i] = tlsflow_conn_new(scfg);
        assert_non_null(clients[i]);
        assert_non_null(servers[i]);
    }
    int done = 0;
    for (int round = 0; round < 200 && done < 2 * CONNS; round++) {
        done = 0;
        for (int i = 0; i < CONNS; i++) {
            tft_step(clients[i], servers[i], NULL, NULL);
            tft_step(servers[i], clients[i], NULL, NULL);
            done += clients[i]->established + servers[i]->established;
        }
    }
    for (int i = 0; i < CONNS; i++) {
        assert_int_equal(tlsflow_app_write(clients[i], (const uint8_t *)"ping", 4), 4);
        for (int k = 0; k < 8; k++) {
            tft_step(clients[i], servers[i], NULL, NULL);
            tft_step(servers[i], clients[i], NULL, NULL);
        }
        size_t n;
        const uint8_t *p = tlsflow_app_peek(servers[i], &n);
        assert_int_equal(n, 4);
        assert_memory_equal(p, "ping", 4);
        tlsflow_conn_free(clients[i]);
    }
    return done / 2;
}

static tlsflow_config *server_config(int one_thread)
{
    tlsflow_config *cfg = tft_server_config(NULL);
    tlsflow_config_set_random(cfg, NULL, NULL); /* the default source: wolfCrypt's DRBG */
    assert_int_equal(tlsflow_config_set_one_thread(cfg, one_thread), TLSFLOW_OK);
    return cfg;
}

static void test_connections_share_the_generator(void **state)
{
    (void)state;
    tlsflow_config *scfg = server_config(1), *ccfg = tft_client_config(NULL);
    tlsflow_config_set_random(ccfg, NULL, NULL);
    tlsflow_conn *servers[CONNS];
    assert_int_equal(run_interleaved(scfg, ccfg, servers), CONNS);
    assert_non_null(scfg->shared_drbg);
    assert_true(scfg->shared_drbg->ready); /* it served the handshakes ... */
    for (int i = 0; i < CONNS; i++) {
        assert_ptr_equal(servers[i]->rng, scfg->shared_drbg);
        assert_false(servers[i]->work->drbg.ready); /* ... and no connection seeded its own */
    }
    /* One generator, distinct output for every connection. */
    uint8_t drawn[CONNS][32];
    for (int i = 0; i < CONNS; i++)
        assert_int_equal(tf_random(servers[i], drawn[i], sizeof(drawn[i])), 0);
    for (int i = 0; i < CONNS; i++)
        for (int j = i + 1; j < CONNS; j++)
            assert_memory_not_equal(drawn[i], drawn[j], sizeof(drawn[i]));
    for (int i = 0; i < CONNS; i++)
        tlsflow_conn_free(servers[i]);
    tlsflow_config_free(scfg);
    tlsflow_config_free(ccfg);
}

/* The default: each connection its own generator, nothing in the configuration. */
static void test_default_is_per_connection(void **state)
{
    (void)state;
    tlsflow_config *scfg = server_config(0), *ccfg = tft_client_config(NULL);
    tlsflow_config_set_random(ccfg, NULL, NULL);
    tlsflow_conn *servers[CONNS];
    assert_int_equal(run_interleaved(scfg, ccfg, servers), CONNS);
    assert_null(scfg->shared_drbg);
    for (int i = 0; i < CONNS; i++) {
        assert_ptr_equal(servers[i]->rng, &servers[i]->work->drbg);
        tlsflow_conn_free(servers[i]);
    }
    tlsflow_config_free(scfg);
    tlsflow_config_free(ccfg);
}

static void test_switching_and_misuse(void **state)
{
    (void)state;
    assert_int_equal(tlsflow_config_set_one_thread(NULL, 1), TLSFLOW_E_USAGE);
    tlsflow_config *cfg = server_config(1);
    tf_drbg *first = cfg->shared_drbg;
    assert_int_equal(tlsflow_config_set_one_thread(cfg, 1), TLSFLOW_OK); /* idempotent */
    assert_ptr_equal(cfg->shared_drbg, first);
    assert_int_equal(tlsflow_config_set_one_thread(cfg, 0), TLSFLOW_OK);
    assert_null(cfg->shared_drbg);
    assert_int_equal(tlsflow_config_set_one_thread(cfg, 1), TLSFLOW_OK);
    tlsflow_config_free(cfg); /* frees the generator (ASan's leak check) */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connections_share_the_generator),
        cmocka_unit_test(test_default_is_per_connection),
        cmocka_unit_test(test_switching_and_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
