/* Shared test scaffolding: deterministic randomness and time, fixture loading, ready
 * configurations, and a pump that runs two engines against each other in memory. */
#ifndef TLSFLOW_TEST_SUPPORT_H
#define TLSFLOW_TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include "tlsflow/tlsflow.h"

#define TF_TEST_TIME 1800000000 /* 2027-01-15, inside the fixtures' validity */

/* A deterministic random source (splitmix64); reset `state` to replay. */
typedef struct {
    uint64_t state;
} tft_rng;
int tft_random(void *ctx, uint8_t *out, size_t len);
int64_t tft_time(void *ctx);

/* Read tests/fixtures/NAME into a malloc'd buffer (NUL-terminated); aborts if missing. */
uint8_t *tft_fixture(const char *name, size_t *len);
/* Add the fixture chain and key files as a credential (aborts if refused). */
void tft_add_credential(tlsflow_config *cfg, const char *chain, const char *key, const char *sni);

/* Server config with the fixture chain and key; client config trusting the fixture root
 * and expecting "localhost". Both deterministic if rng is non-NULL. */
tlsflow_config *tft_server_config(tft_rng *rng);
tlsflow_config *tft_client_config(tft_rng *rng);

/* Our client and our server with deterministic fixture configurations (random seeds
 * 1 and 2). Tests may adjust or replace the configurations before tft_pair_start. */
typedef struct {
    tft_rng crng, srng;
    tlsflow_config *ccfg, *scfg;
    tlsflow_conn *client, *server;
} tft_pair;
tft_pair *tft_pair_new(void);
/* Build the connections (aborts if the engine refuses the configurations). */
void tft_pair_start(tft_pair *p);
void tft_pair_free(tft_pair *p);

/* A growing byte log. */
typedef struct {
    uint8_t *p;
    size_t len, cap;
} tft_log;
void tft_log_add(tft_log *log, const uint8_t *p, size_t n);
void tft_log_free(tft_log *log);

typedef struct {
    size_t chunk; /* bytes moved per step (0: everything available) */
    tft_log *c2s; /* optional transcript of client → server bytes */
    tft_log *s2c;
    int max_steps; /* 0: default bound */
} tft_pump_opts;

/* Move bytes both ways until both sides are done with the handshake (or closed, or
 * stuck). Returns 1 if both reported HANDSHAKE_DONE. */
int tft_handshake(tlsflow_conn *client, tlsflow_conn *server, const tft_pump_opts *opts);

/* Step one side once: deliver what it produced to the peer's input.
 * Returns the event that it reported. */
tlsflow_event tft_step(tlsflow_conn *from, tlsflow_conn *to, const tft_pump_opts *opts,
                       tft_log *log);

/* Two cmocka tests, test_NAME_our_server and test_NAME_our_client, that call
 * run_NAME(TLSFLOW_SERVER) and run_NAME(TLSFLOW_CLIENT): one case, both of our roles. */
#define TFT_ROLE_TESTS(name)                                                                       \
    static void test_##name##_our_server(void **state)                                             \
    {                                                                                              \
        (void)state;                                                                               \
        run_##name(TLSFLOW_SERVER);                                                                \
    }                                                                                              \
    static void test_##name##_our_client(void **state)                                             \
    {                                                                                              \
        (void)state;                                                                               \
        run_##name(TLSFLOW_CLIENT);                                                                \
    }

/* RFC 8446 §7.1's HkdfLabel for HKDF-Expand-Label: u16 length, "tls13 " + label,
 * context; into out (at least 2 + 1 + 255 + 1 + 255 bytes). Returns its size, 0 if too long. */
size_t tft_hkdf_label(uint8_t *out, size_t length, const char *label, const uint8_t *ctx,
                      size_t ctx_len);
/* The secret of the NSS key log line of `label` among n lines ("LABEL <random> <secret>",
 * hex), into out (cap bytes). Returns its size, 0 if absent or malformed. */
size_t tft_keylog_secret(const char (*lines)[256], size_t n, const char *label, uint8_t *out,
                         size_t cap);

#endif
