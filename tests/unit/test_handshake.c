/* Our client against our server in memory: both suites, any split of the input,
 * reproducible transcripts, application data, close_notify, and the RSA
 * countermeasure's outward shape. (Interop with other implementations is proven in
 * tests/interop; this file pins the engine's own behaviour.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto.h"
#include "internal.h"
#include "record.h"
#include "tf_test.h"

typedef tft_pair pair;

static pair *pair_new(uint16_t suite, int ems)
{
    pair *p = tft_pair_new();
    if (suite) {
        assert_int_equal(tlsflow_config_set_cipher_suites(p->ccfg, &suite, 1), 0);
    }
    tlsflow_config_set_offer_ems(p->ccfg, ems);
    tft_pair_start(p);
    return p;
}

#define pair_free tft_pair_free

static void check_suite(uint16_t suite, int ems)
{
    pair *p = pair_new(suite, ems);
    assert_true(tft_handshake(p->client, p->server, NULL));
    const tlsflow_info *ci = tlsflow_get_info(p->client), *si = tlsflow_get_info(p->server);
    assert_int_equal(ci->cipher_suite, suite);
    assert_int_equal(si->cipher_suite, suite);
    assert_int_equal(ci->ems, ems);
    assert_int_equal(si->ems, ems);
    assert_string_equal(si->server_name, "localhost");
    assert_int_equal(si->encrypted_premaster_len, 256);
    assert_string_equal(ci->cert.subject, si->cert.subject);
    pair_free(p);
}

static void test_aes128_ems(void **state)
{
    (void)state;
    check_suite(TLSFLOW_RSA_WITH_AES_128_GCM_SHA256, 1);
}

static void test_aes256_ems(void **state)
{
    (void)state;
    check_suite(TLSFLOW_RSA_WITH_AES_256_GCM_SHA384, 1);
}

static void test_aes128_no_ems(void **state)
{
    (void)state;
    check_suite(TLSFLOW_RSA_WITH_AES_128_GCM_SHA256, 0);
}

static void test_aes256_no_ems(void **state)
{
    (void)state;
    check_suite(TLSFLOW_RSA_WITH_AES_256_GCM_SHA384, 0);
}

/* SHA-256 over both directions of a handshake, via the engine's own hash adapter. */
static void transcript_digest(uint16_t suite, size_t chunk, uint8_t out[32])
{
    pair *p = pair_new(suite, 1);
    tft_log c2s = {0}, s2c = {0};
    tft_pump_opts o = {chunk, &c2s, &s2c, 0};
    assert_true(tft_handshake(p->client, p->server, &o));
    tf_hash h;
    tf_hash_init(&h, TF_HASH_SHA256);
    tf_hash_update(&h, c2s.p, c2s.len);
    tf_hash_update(&h, s2c.p, s2c.len);
    tf_hash_peek(&h, out);
    tf_hash_free(&h);
    tft_log_free(&c2s);
    tft_log_free(&s2c);
    pair_free(p);
}

/* Any split of input and output gives the same bytes on the wire. */
static void test_one_byte_feeding_same_transcript(void **state)
{
    (void)state;
    uint8_t whole[32], bytewise[32], odd[32];
    static const uint16_t suites[] = {TLSFLOW_RSA_WITH_AES_128_GCM_SHA256, 0 /* TLS 1.3 */};
    for (size_t i = 0; i < 2; i++) {
        transcript_digest(suites[i], 0, whole);
        transcript_digest(suites[i], 1, bytewise);
        transcript_digest(suites[i], 7, odd);
        assert_memory_equal(whole, bytewise, 32);
        assert_memory_equal(whole, odd, 32);
    }
}

/* With fixed randomness, time and fixtures, the handshake is byte-for-byte pinned, in
 * TLS 1.2 (RSA key transport; the server's random carries the TLS 1.3 downgrade sentinel)
 * and in TLS 1.3 (the defaults). If the fixtures are regenerated (tests/fixtures/make.sh),
 * update GOLDEN. */
static void test_golden_transcript(void **state)
{
    (void)state;
    static const struct {
        uint16_t suite;
        const char *golden;
    } CASES[] = {
        {TLSFLOW_RSA_WITH_AES_128_GCM_SHA256,
         "418be89efa4f957191b19275347c8a8634800a1cc65e7f06c38f0ccf3ad7d4c8"},
        {0, "cbee133cc2b5577afdf603b852d818f92f5b87476e2e3ee11682aab64c502df3"},
    };
    for (size_t c = 0; c < sizeof(CASES) / sizeof(CASES[0]); c++) {
        uint8_t d[32];
        char hex[65];
        transcript_digest(CASES[c].suite, 0, d);
        for (int i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", d[i]);
        if (strcmp(hex, CASES[c].golden) != 0)
            print_error("transcript digest %s, pinned %s\n", hex, CASES[c].golden);
        assert_string_equal(hex, CASES[c].golden);
    }
}

/* Exchange `total` bytes each way through records, then close from the client. */
static void test_app_data_and_close(void **state)
{
    (void)state;
    pair *p = pair_new(0, 1);
    assert_true(tft_handshake(p->client, p->server, NULL));
    size_t total = 1 << 20, sent = 0, got = 0;
    uint8_t *data = malloc(total);
    tft_rng r = {99};
    tft_random(&r, data, total);
    for (int guard = 0; got < total && guard < 100000; guard++) {
        if (sent < total)
            sent += tlsflow_app_write(p->client, data + sent, total - sent);
        tft_step(p->client, p->server, NULL, NULL);
        tlsflow_event ev = tlsflow_poll(p->server);
        if (ev == TLSFLOW_APP_DATA) {
            size_t n;
            const uint8_t *a = tlsflow_app_peek(p->server, &n);
            assert_memory_equal(a, data + got, n);
            got += n;
            tlsflow_app_consume(p->server, n);
        }
    }
    assert_int_equal(got, total);
    tlsflow_close(p->client);
    tlsflow_event ev;
    int closed_server = 0;
    for (int i = 0; i < 20; i++) {
        tft_step(p->client, p->server, NULL, NULL);
        ev = tft_step(p->server, p->client, NULL, NULL);
        closed_server |= ev == TLSFLOW_CLOSED;
    }
    assert_true(closed_server);
    assert_int_equal(tlsflow_poll(p->client), TLSFLOW_CLOSED);
    assert_int_equal(tlsflow_last_error(p->client), 0);
    assert_int_equal(tlsflow_last_error(p->server), 0);
    assert_int_equal(tlsflow_peer_alert(p->server), TLSFLOW_ALERT_CLOSE_NOTIFY);
    free(data);
    pair_free(p);
}

/* Run the handshake to the point where the client's last flight is in its output. */
static void run_to_client_key_exchange(pair *p)
{
    assert_int_equal(tft_step(p->client, p->server, NULL, NULL), TLSFLOW_OUTPUT_READY);
    assert_int_equal(tft_step(p->server, p->client, NULL, NULL), TLSFLOW_OUTPUT_READY);
    assert_int_equal(tlsflow_poll(p->client), TLSFLOW_OUTPUT_READY);
    assert_true(p->client->hs->peer_spki_len > 0);
}

/* Deliver the client's flight to the server after `mutate` edits it; return the server's
 * error and the alert it sent, checking that nothing at all came back before Finished. */
static void deliver_mutated(pair *p, void (*mutate)(uint8_t *flight, size_t len, pair *p), int *err,
                            int *alert)
{
    run_to_client_key_exchange(p);
    size_t n;
    const uint8_t *out = tlsflow_out_buf(p->client, &n);
    uint8_t *flight = malloc(n);
    memcpy(flight, out, n);
    tlsflow_out_ack(p->client, n);
    mutate(flight, n, p);
    /* Feed record by record: after CKE and CCS the server must stay silent. */
    size_t off = 0;
    while (off < n) {
        size_t rec = 5 + (((size_t)flight[off + 3] << 8) | flight[off + 4]);
        size_t room;
        uint8_t *in = tlsflow_in_buf(p->server, &room);
        memcpy(in, flight + off, rec);
        tlsflow_in_ack(p->server, rec);
        off += rec;
        tlsflow_event ev = tlsflow_poll(p->server);
        if (off < n)
            assert_int_equal(ev, TLSFLOW_NEED_INPUT); /* no early alert, no early answer */
    }
    *err = tlsflow_last_error(p->server);
    *alert = tlsflow_sent_alert(p->server);
    free(flight);
}

/* Records in the flight: [CKE][CCS][Finished]. */
static void flip_finished(uint8_t *f, size_t n, pair *p)
{
    (void)p;
    f[n - 1] ^= 1; /* a bad Finished record */
}

static void corrupt_cke_ciphertext(uint8_t *f, size_t n, pair *p)
{
    (void)n;
    (void)p;
    f[5 + 4 + 2 + 100] ^= 0x40; /* inside the RSA ciphertext: padding check fails */
}

/* Re-encrypt a chosen plaintext under the server key with raw RSA padding choices. */
static void replace_premaster(uint8_t *f, pair *p, const uint8_t *pm, size_t pm_len)
{
    uint8_t enc[512];
    size_t enc_len;
    assert_int_equal(tf_rsa_encrypt(p->client->hs->peer_spki, p->client->hs->peer_spki_len, pm,
                                    pm_len, enc, sizeof(enc), &enc_len, tft_random, &p->crng),
                     0);
    assert_int_equal(enc_len, 256);
    memcpy(f + 5 + 4 + 2, enc, enc_len);
}

static void cke_wrong_version(uint8_t *f, size_t n, pair *p)
{
    (void)n;
    uint8_t pm[48];
    memset(pm, 0x55, sizeof(pm));
    pm[0] = 3;
    pm[1] = 1; /* TLS 1.0 instead of the offered 1.2 */
    replace_premaster(f, p, pm, 48);
}

static void cke_wrong_length(uint8_t *f, size_t n, pair *p)
{
    (void)n;
    uint8_t pm[47];
    memset(pm, 0x55, sizeof(pm));
    pm[0] = 3;
    pm[1] = 3;
    replace_premaster(f, p, pm, 47);
}

/* RFC 5246 §7.4.7.1: every bad ClientKeyExchange looks exactly like a bad Finished. */
static void test_bad_client_key_exchange_looks_like_bad_finished(void **state)
{
    (void)state;
    void (*variants[])(uint8_t *, size_t, pair *) = {corrupt_cke_ciphertext, cke_wrong_version,
                                                     cke_wrong_length};
    int ref_err, ref_alert;
    pair *p = pair_new(TLSFLOW_RSA_WITH_AES_128_GCM_SHA256, 1);
    deliver_mutated(p, flip_finished, &ref_err, &ref_alert);
    pair_free(p);
    assert_int_equal(ref_err, TLSFLOW_E_BAD_FINISHED);
    assert_int_equal(ref_alert, TLSFLOW_ALERT_DECRYPT_ERROR); /* RFC 5246 §7.4.9 */
    for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
        int err, alert;
        p = pair_new(TLSFLOW_RSA_WITH_AES_128_GCM_SHA256, 1);
        deliver_mutated(p, variants[i], &err, &alert);
        pair_free(p);
        assert_int_equal(err, ref_err);
        assert_int_equal(alert, ref_alert);
    }
}

/* The selection itself: only a well-formed premaster with the right version replaces
 * the random one. */
static void test_premaster_selection(void **state)
{
    (void)state;
    pair *p = pair_new(TLSFLOW_RSA_WITH_AES_128_GCM_SHA256, 1);
    run_to_client_key_exchange(p);
    const tf_private_key *key = p->server->cfg->creds[0].key;
    uint8_t pm[48], enc[512], out[48], random48[48];
    size_t enc_len;
    memset(random48, 0xAA, 48);
    struct {
        uint8_t v0, v1;
        size_t len;
        int accepted;
    } cases[] = {{3, 3, 48, 1}, {3, 1, 48, 0}, {3, 3, 47, 0}, {3, 3, 49, 0}, {2, 3, 48, 0}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        uint8_t buf[49];
        memset(buf, 0x33, sizeof(buf));
        buf[0] = cases[i].v0;
        buf[1] = cases[i].v1;
        assert_int_equal(tf_rsa_encrypt(p->client->hs->peer_spki, p->client->hs->peer_spki_len, buf,
                                        cases[i].len, enc, sizeof(enc), &enc_len, tft_random,
                                        &p->crng),
                         0);
        memcpy(out, random48, 48);
        assert_int_equal(
            tf_rsa_decrypt_premaster(key, enc, enc_len, 0x0303, out, &p->server->work->drbg), 0);
        memcpy(pm, buf, 48);
        if (cases[i].accepted)
            assert_memory_equal(out, pm, 48);
        else
            assert_memory_equal(out, random48, 48);
    }
    /* Garbage ciphertext of the wrong size: the random premaster stays. */
    memcpy(out, random48, 48);
    assert_int_equal(tf_rsa_decrypt_premaster(key, enc, 100, 0x0303, out, &p->server->work->drbg),
                     0);
    assert_memory_equal(out, random48, 48);
    pair_free(p);
}

static void test_app_write_refused_before_handshake(void **state)
{
    (void)state;
    pair *p = pair_new(0, 1);
    assert_int_equal(tlsflow_app_write(p->client, "x", 1), 0);
    assert_int_equal(tlsflow_app_write(p->server, "x", 1), 0);
    pair_free(p);
}

static void test_peer_eof_is_unexpected(void **state)
{
    (void)state;
    pair *p = pair_new(0, 1);
    assert_int_equal(tlsflow_poll(p->server), TLSFLOW_NEED_INPUT);
    tlsflow_in_ack(p->server, 0);
    assert_int_equal(tlsflow_poll(p->server), TLSFLOW_CLOSED);
    assert_int_equal(tlsflow_last_error(p->server), TLSFLOW_E_UNEXPECTED_EOF);
    pair_free(p);
}

/* Move one message from `from` to `to` and read it there. */
static void send_and_read(tlsflow_conn *from, tlsflow_conn *to, const char *msg)
{
    size_t n = strlen(msg), got = 0;
    assert_int_equal(tlsflow_app_write(from, msg, n), n);
    for (int i = 0; i < 10 && got < n; i++) {
        tft_step(from, to, NULL, NULL);
        if (tlsflow_poll(to) == TLSFLOW_APP_DATA) {
            size_t len;
            const uint8_t *p = tlsflow_app_peek(to, &len);
            assert_memory_equal(p, msg + got, len);
            got += len;
            tlsflow_app_consume(to, len);
        }
    }
    assert_int_equal(got, n);
}

/* Release mode: an idle established connection keeps only a few KiB, and takes its
 * buffers back on the next input or write; the default mode never releases. */
static void test_release_idle_buffers(void **state)
{
    (void)state;
    pair *p = pair_new(0, 1);
    tlsflow_config_set_release_idle_buffers(p->scfg, 1);
    tlsflow_config_set_release_idle_buffers(p->ccfg, 1);
    tlsflow_conn_free(p->server);
    tlsflow_conn_free(p->client);
    p->server = tlsflow_conn_new(p->scfg);
    p->client = tlsflow_conn_new(p->ccfg);
    assert_int_equal(tlsflow_conn_release_buffers(p->server), 0); /* not established */
    assert_true(tft_handshake(p->client, p->server, NULL));
    size_t full = tlsflow_conn_memory(p->server);
    assert_int_equal(tlsflow_conn_release_buffers(p->server), 1);
    assert_int_equal(tlsflow_conn_release_buffers(p->client), 1);
    size_t idle = tlsflow_conn_memory(p->server);
    print_message("server connection: %zu bytes busy, %zu idle\n", full, idle);
    assert_true(idle <= 8192);
    assert_true(full > 8 * idle);
    assert_int_equal(tlsflow_poll(p->server), TLSFLOW_NEED_INPUT);
    assert_int_equal(tlsflow_conn_memory(p->server), idle); /* polling takes nothing back */

    send_and_read(p->client, p->server, "ping after release");
    assert_int_equal(tlsflow_conn_memory(p->server), full);
    /* Unread application data keeps the buffers. */
    assert_int_equal(tlsflow_app_write(p->server, "pong", 4), 4);
    tft_step(p->server, p->client, NULL, NULL);
    assert_int_equal(tlsflow_poll(p->client), TLSFLOW_APP_DATA);
    assert_int_equal(tlsflow_conn_release_buffers(p->client), 0);
    size_t n;
    tlsflow_app_peek(p->client, &n);
    tlsflow_app_consume(p->client, n);
    assert_int_equal(tlsflow_poll(p->client), TLSFLOW_NEED_INPUT);
    assert_int_equal(tlsflow_conn_release_buffers(p->client), 1);
    assert_int_equal(tlsflow_conn_release_buffers(p->server), 1);
    send_and_read(p->server, p->client, "and back");
    /* A peer's EOF on a released connection is still an unexpected EOF. */
    assert_int_equal(tlsflow_conn_release_buffers(p->client), 1);
    tlsflow_in_ack(p->client, 0);
    assert_int_equal(tlsflow_poll(p->client), TLSFLOW_CLOSED);
    assert_int_equal(tlsflow_last_error(p->client), TLSFLOW_E_UNEXPECTED_EOF);
    pair_free(p);

    /* An errored released connection takes no input, and no buffers to say so. */
    p = pair_new(0, 1);
    tlsflow_config_set_release_idle_buffers(p->ccfg, 1);
    tlsflow_conn_free(p->client);
    p->client = tlsflow_conn_new(p->ccfg);
    assert_true(tft_handshake(p->client, p->server, NULL));
    assert_int_equal(tlsflow_conn_release_buffers(p->client), 1);
    idle = tlsflow_conn_memory(p->client);
    tlsflow_in_ack(p->client, 5); /* more than tlsflow_in_buf offered */
    assert_int_equal(tlsflow_last_error(p->client), TLSFLOW_E_USAGE);
    size_t room = 1;
    assert_non_null(tlsflow_in_buf(p->client, &room));
    assert_int_equal(room, 0);
    assert_int_equal(tlsflow_conn_memory(p->client), idle);
    pair_free(p);

    p = pair_new(0, 1); /* default mode: one allocation, never released */
    assert_true(tft_handshake(p->client, p->server, NULL));
    assert_int_equal(tlsflow_conn_release_buffers(p->server), 0);
    pair_free(p);
}

/* Protected records start so that their payload is 16-byte aligned, out and in:
 * wolfCrypt's portable AES-GCM and ChaCha20 go word-wise only on aligned buffers. */
static void test_record_payload_alignment(void **state)
{
    (void)state;
    static const struct {
        uint16_t suite;
        size_t payload_at; /* header + explicit nonce */
    } cases[] = {{TLSFLOW_RSA_WITH_AES_128_GCM_SHA256, 13},
                 {TLSFLOW_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, 5}};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        pair *p = pair_new(cases[i].suite, 1);
        assert_true(tft_handshake(p->client, p->server, NULL));
        for (int round = 0; round < 3; round++) {
            uint8_t data[3000];
            memset(data, round, sizeof(data));
            assert_int_equal(tlsflow_app_write(p->client, data, sizeof(data)), sizeof(data));
            assert_int_equal(tlsflow_poll(p->client), TLSFLOW_OUTPUT_READY);
            size_t n, room;
            const uint8_t *out = tlsflow_out_buf(p->client, &n);
            assert_int_equal(((uintptr_t)out + cases[i].payload_at) % 16, 0);
            uint8_t *in = tlsflow_in_buf(p->server, &room);
            assert_int_equal(((uintptr_t)in + cases[i].payload_at) % 16, 0);
            assert_true(room >= n);
            memcpy(in, out, n);
            tlsflow_in_ack(p->server, n);
            tlsflow_out_ack(p->client, n);
            assert_int_equal(tlsflow_poll(p->server), TLSFLOW_APP_DATA);
            const uint8_t *got = tlsflow_app_peek(p->server, &n);
            assert_int_equal(n, sizeof(data));
            assert_memory_equal(got, data, n);
            tlsflow_app_consume(p->server, n);
            assert_int_equal(tlsflow_poll(p->server), TLSFLOW_NEED_INPUT);
        }
        pair_free(p);
    }
}

/* A server name goes into SNI as it is: what SNI cannot carry is refused up front
 * (found by fuzz_config: such a name used to fail the first poll with internal_error). */
static void test_server_name_must_be_sendable(void **state)
{
    (void)state;
    tlsflow_config *cfg = tlsflow_config_new(TLSFLOW_CLIENT);
    static const char *const bad[] = {"bad host", "caf\xc3\xa9.example", "tab\there", "del\x7f"};
    static const char *const good[] = {"localhost", "xn--caf-dma.example", "127.0.0.1", "::1",
                                       "a-b.example."};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(tlsflow_config_set_server_name(cfg, bad[i]), TLSFLOW_E_USAGE);
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
        assert_int_equal(tlsflow_config_set_server_name(cfg, good[i]), TLSFLOW_OK);
    tlsflow_config_free(cfg);
}

/* A workspace allocator that counts, and can be told to run dry. */
typedef struct {
    int gets, puts, dry;
    size_t size;
} ws_counter;

static void *counted_get(void *ctx, size_t size)
{
    ws_counter *k = ctx;
    if (k->dry)
        return NULL;
    k->gets++;
    k->size = size;
    return aligned_alloc(16, size);
}

static void counted_put(void *ctx, void *mem, size_t size)
{
    ws_counter *k = ctx;
    assert_int_equal(size, k->size);
    k->puts++;
    free(mem);
}

/* Release mode takes every workspace from the configured allocator and gives each
 * one back; when the allocator runs dry the connection fails cleanly. */
static void test_workspace_allocator(void **state)
{
    (void)state;
    ws_counter k = {0};
    pair *p = pair_new(0, 1);
    assert_int_equal(tlsflow_config_set_workspace_allocator(p->scfg, counted_get, NULL, &k),
                     TLSFLOW_E_USAGE);
    assert_int_equal(tlsflow_config_set_workspace_allocator(p->scfg, counted_get, counted_put, &k),
                     TLSFLOW_OK);
    tlsflow_config_set_release_idle_buffers(p->scfg, 1);
    tlsflow_conn_free(p->server);
    p->server = tlsflow_conn_new(p->scfg);
    assert_int_equal(k.gets, 1);
    assert_true(k.size > 16384);
    assert_true(tft_handshake(p->client, p->server, NULL));
    assert_int_equal(tlsflow_conn_release_buffers(p->server), 1);
    assert_int_equal(k.puts, 1);
    send_and_read(p->client, p->server, "wakes the server");
    assert_int_equal(k.gets, 2);
    assert_int_equal(tlsflow_conn_release_buffers(p->server), 1);
    k.dry = 1;
    size_t room = 1;
    assert_null(tlsflow_in_buf(p->server, &room));
    assert_int_equal(room, 0);
    assert_int_equal(tlsflow_last_error(p->server), TLSFLOW_E_INTERNAL);
    assert_null(tlsflow_conn_new(p->scfg));
    k.dry = 0;
    pair_free(p);
    assert_int_equal(k.gets, k.puts);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aes128_ems),
        cmocka_unit_test(test_aes256_ems),
        cmocka_unit_test(test_aes128_no_ems),
        cmocka_unit_test(test_aes256_no_ems),
        cmocka_unit_test(test_one_byte_feeding_same_transcript),
        cmocka_unit_test(test_golden_transcript),
        cmocka_unit_test(test_app_data_and_close),
        cmocka_unit_test(test_bad_client_key_exchange_looks_like_bad_finished),
        cmocka_unit_test(test_premaster_selection),
        cmocka_unit_test(test_app_write_refused_before_handshake),
        cmocka_unit_test(test_peer_eof_is_unexpected),
        cmocka_unit_test(test_release_idle_buffers),
        cmocka_unit_test(test_workspace_allocator),
        cmocka_unit_test(test_record_payload_alignment),
        cmocka_unit_test(test_server_name_must_be_sendable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
