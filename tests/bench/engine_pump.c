#include "engine_pump.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tf_test.h"

#define MAX_STEPS 1000

static int fixture_exists(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", TLSFLOW_FIXTURES, name);
    FILE *f = fopen(path, "rb");
    if (f)
        fclose(f);
    return f != NULL;
}

void bench_fx_load(bench_fx *fx)
{
    memset(fx, 0, sizeof(*fx));
    fx->ca.p = tft_fixture("ca.pem", &fx->ca.len);
    fx->ca_key.p = tft_fixture("ca.key", &fx->ca_key.len);
    fx->rsa_cert.p = tft_fixture("server.pem", &fx->rsa_cert.len);
    fx->rsa_key.p = tft_fixture("server.key", &fx->rsa_key.len);
    if (fixture_exists("server-ec.pem") && fixture_exists("server-ec.key")) {
        fx->ec_cert.p = tft_fixture("server-ec.pem", &fx->ec_cert.len);
        fx->ec_key.p = tft_fixture("server-ec.key", &fx->ec_key.len);
    }
}

void bench_fx_free(bench_fx *fx)
{
    free(fx->ca.p);
    free(fx->ca_key.p);
    free(fx->rsa_cert.p);
    free(fx->rsa_key.p);
    free(fx->ec_cert.p);
    free(fx->ec_key.p);
    memset(fx, 0, sizeof(*fx));
}

/* Every row names its version: TLS 1.2 rows never offer 1.3, TLS 1.3 rows never 1.2. */
static int bench_pin_version(tlsflow_config *cfg, const bench_suite *s)
{
    uint16_t v = s->tls13 ? TLSFLOW_VERSION_TLS13 : TLSFLOW_VERSION_TLS12;
    return tlsflow_config_set_versions(cfg, v, v);
}

tlsflow_config *bench_server_config(const bench_suite *s, const bench_fx *fx)
{
    const bench_blob *cert = s->ecdsa ? &fx->ec_cert : &fx->rsa_cert;
    const bench_blob *key = s->ecdsa ? &fx->ec_key : &fx->rsa_key;
    if (!cert->p)
        return NULL;
    tlsflow_config *cfg = tlsflow_config_new(TLSFLOW_SERVER);
    if (!cfg ||
        tlsflow_config_add_credential(cfg, cert->p, cert->len, key->p, key->len, NULL) != 0 ||
        tlsflow_config_set_cipher_suites(cfg, &s->suite, 1) != 0) {
        tlsflow_config_free(cfg);
        return NULL;
    }
    if (bench_pin_version(cfg, s) != 0) {
        tlsflow_config_free(cfg);
        return NULL;
    }
    tlsflow_config_set_time(cfg, tft_time, NULL);
    tlsflow_config_set_one_thread(cfg, 1); /* one thread drives them all, as an event loop */
    return cfg;
}

tlsflow_config *bench_client_config(const bench_suite *s, const bench_fx *fx)
{
    tlsflow_config *cfg = tlsflow_config_new(TLSFLOW_CLIENT);
    if (!cfg || tlsflow_config_add_trust_anchors(cfg, fx->ca.p, fx->ca.len) != 0 ||
        tlsflow_config_set_server_name(cfg, "localhost") != 0 ||
        tlsflow_config_set_cipher_suites(cfg, &s->suite, 1) != 0) {
        tlsflow_config_free(cfg);
        return NULL;
    }
#ifdef TLSFLOW_GROUP_X25519
    /* X25519 for the exchange; P-256 too so that an ECDSA P-256 certificate is
     * acceptable (RFC 8422 §5.1: the list also bounds the certificate's curve). */
    /* TLS 1.3: x25519 alone, so its key share is the only one sent (no HelloRetryRequest,
     * no second key pair). */
    static const uint16_t groups[2] = {TLSFLOW_GROUP_X25519, TLSFLOW_GROUP_SECP256R1};
    if (s->ecdhe && tlsflow_config_set_groups(cfg, groups, s->tls13 ? 1 : 2) != 0) {
        tlsflow_config_free(cfg);
        return NULL;
    }
#endif
    if (bench_pin_version(cfg, s) != 0) {
        tlsflow_config_free(cfg);
        return NULL;
    }
    tlsflow_config_set_time(cfg, tft_time, NULL);
    tlsflow_config_set_one_thread(cfg, 1); /* one thread drives them all, as an event loop */
    return cfg;
}

double bench_side_us_since(const bench_side *s, uint64_t ns0, long calls0)
{
    return ((double)(s->ns - ns0) - bench_clock_ns() * (double)(s->calls - calls0)) / 1000.0;
}

tlsflow_event bench_step(bench_side *a, bench_side *b, size_t *moved)
{
    tlsflow_event ev;
    BENCH_TIMED(a, ev = tlsflow_poll(a->c));
    if (ev != TLSFLOW_OUTPUT_READY)
        return ev;
    size_t n, room;
    const uint8_t *p;
    uint8_t *d;
    BENCH_TIMED(a, p = tlsflow_out_buf(a->c, &n));
    BENCH_TIMED(b, d = tlsflow_in_buf(b->c, &room));
    if (n > room)
        n = room;
    if (n == 0)
        return ev;
    memcpy(d, p, n);
    BENCH_TIMED(b, tlsflow_in_ack(b->c, n));
    BENCH_TIMED(a, tlsflow_out_ack(a->c, n));
    if (moved)
        *moved += n;
    return ev;
}

int bench_handshake(bench_side *cl, bench_side *sv, size_t *moved)
{
    int done_c = 0, done_s = 0;
    for (int i = 0; i < MAX_STEPS && !(done_c && done_s); i++) {
        tlsflow_event a = bench_step(cl, sv, moved);
        tlsflow_event b = bench_step(sv, cl, moved);
        done_c |= a == TLSFLOW_HANDSHAKE_DONE;
        done_s |= b == TLSFLOW_HANDSHAKE_DONE;
        if (a == TLSFLOW_CLOSED || b == TLSFLOW_CLOSED)
            break;
    }
    if (!(done_c && done_s)) {
        fprintf(stderr, "handshake failed: client: %s / server: %s\n",
                tlsflow_last_error_text(cl->c), tlsflow_last_error_text(sv->c));
        return -1;
    }
    return 0;
}
