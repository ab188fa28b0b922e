/* Full duplex: our client and our server joined by bounded in-memory pipes, both writing
 * 8 MiB at once in random sizes while reading in random sizes, every suite (in TLS 1.3 with
 * KeyUpdates both ways while the data flows). Before the
 * engine took input in while output waited, both ends stopped for good: each had output
 * pending, each input buffer full, nobody reading. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "tf_duplex.h"
#include "tf_test.h"

#define STREAM (8u << 20) /* bytes each way */

static const uint16_t SUITES[] = {
    TLSFLOW_AES_128_GCM_SHA256,
    TLSFLOW_AES_256_GCM_SHA384,
    TLSFLOW_CHACHA20_POLY1305_SHA256,
    TLSFLOW_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    TLSFLOW_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    TLSFLOW_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    TLSFLOW_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    TLSFLOW_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    TLSFLOW_RSA_WITH_AES_128_GCM_SHA256,
    TLSFLOW_RSA_WITH_AES_256_GCM_SHA384,
};

/* One run: the pipes hold `cap` bytes each way; returns after both ends closed cleanly. */
static void duplex_run(uint16_t suite, size_t cap, tft_drive drive, uint64_t seed, int offload)
{
    tft_pair *p = tft_pair_new();
    tft_add_credential(p->scfg, "server-ec.pem", "server-ec.key", NULL);
    tlsflow_config_set_key_offload(p->scfg, offload);
    assert_int_equal(tlsflow_config_set_cipher_suites(p->ccfg, &suite, 1), 0);
    tft_pair_start(p);
    if (suite >> 8 == 0x13) { /* TLS 1.3: KeyUpdates every 97 records, both ways, mid-stream */
        p->client->key_update_after = 97;
        p->server->key_update_after = 97;
    }
    tft_pipe c2s, s2c;
    tft_pipe_init(&c2s, cap);
    tft_pipe_init(&s2c, cap);
    static tft_duplex_end cl, sv;
    memset(&cl, 0, sizeof(cl));
    memset(&sv, 0, sizeof(sv));
    cl = (tft_duplex_end){.c = p->client,
                          .tx = &c2s,
                          .rx = &s2c,
                          .out_seed = seed,
                          .in_seed = seed + 1,
                          .to_send = STREAM,
                          .to_recv = STREAM,
                          .sizes = {seed * 3},
                          .max_io = 65536,
                          .drive = drive};
    sv = (tft_duplex_end){.c = p->server,
                          .tx = &s2c,
                          .rx = &c2s,
                          .out_seed = seed + 1,
                          .in_seed = seed,
                          .to_send = STREAM,
                          .to_recv = STREAM,
                          .sizes = {seed * 5},
                          .max_io = 65536,
                          .drive = drive};
    char why[512];
    int ok = tft_duplex_run(&cl, &sv, 400000000L, why, sizeof(why));
    if (!ok)
        fail_msg("%s, pipes of %zu bytes: %s", tlsflow_suite_name(suite), cap, why);
    assert_int_equal(tlsflow_get_info(p->client)->cipher_suite, suite);
    assert_false(cl.mismatch);
    assert_false(sv.mismatch);
    assert_true(cl.recvd == STREAM && sv.recvd == STREAM);
    assert_int_equal(tlsflow_last_error(p->client), 0);
    assert_int_equal(tlsflow_last_error(p->server), 0);
    assert_int_equal(tlsflow_sent_alert(p->client), TLSFLOW_ALERT_CLOSE_NOTIFY);
    assert_int_equal(tlsflow_sent_alert(p->server), TLSFLOW_ALERT_CLOSE_NOTIFY);
    tft_pipe_free(&c2s);
    tft_pipe_free(&s2c);
    tft_pair_free(p);
}

/* Pipe capacities drawn log-uniformly from 2 bytes to 64 KiB, one per suite; the first run
 * takes the extreme, 1 byte. */
static void test_duplex_every_suite(void **state)
{
    (void)state;
    tft_rng r = {20261206};
    for (size_t i = 0; i < sizeof(SUITES) / sizeof(SUITES[0]); i++) {
        uint8_t b[3];
        tft_random(&r, b, sizeof(b));
        size_t bits = 1 + b[0] % 16,
               cap = ((size_t)1 << bits) | ((b[1] << 8 | b[2]) >> (17 - bits));
        if (i == 0)
            cap = 1;
        fprintf(stderr, "%s: pipes of %zu bytes\n", tlsflow_suite_name(SUITES[i]), cap);
        duplex_run(SUITES[i], cap, TFT_DRIVE_POLL, 100 + i, 0);
    }
}

/* The same driven by tlsflow_ready()'s bits, with the server's key operations handed to
 * the caller (completed as soon as they are reported). */
static void test_duplex_ready_mask(void **state)
{
    (void)state;
    duplex_run(TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256, 4096, TFT_DRIVE_READY, 7, 1);
    duplex_run(TLSFLOW_RSA_WITH_AES_128_GCM_SHA256, 300, TFT_DRIVE_READY, 8, 1);
    duplex_run(TLSFLOW_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, 65536, TFT_DRIVE_READY, 9, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duplex_every_suite),
        cmocka_unit_test(test_duplex_ready_mask),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
