#include "tf_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tft_random(void *ctx, uint8_t *out, size_t len)
{
    tft_rng *r = ctx;
    for (size_t i = 0; i < len; i++) {
        uint64_t z = (r->state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        out[i] = (uint8_t)(z ^ (z >> 31));
    }
    return 0;
}

int64_t tft_time(void *ctx)
{
    (void)ctx;
    return TF_TEST_TIME;
}

uint8_t *tft_fixture(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", TLSFLOW_FIXTURES, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "missing fixture %s\n", path);
        abort();
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        abort();
    fclose(f);
    buf[n] = 0;
    *len = (size_t)n;
    return buf;
}

void tft_add_credential(tlsflow_config *cfg, const char *chain, const char *key, const char *sni)
{
    size_t cl, kl;
    uint8_t *c = tft_fixture(chain, &cl), *k = tft_fixture(key, &kl);
    if (tlsflow_config_add_credential(cfg, c, cl, k, kl, sni) != 0)
        abort();
    free(c);
    free(k);
}

static void deterministic(tlsflow_config *cfg, tft_rng *rng)
{
    if (rng)
        tlsflow_config_set_random(cfg, tft_random, rng);
    tlsflow_config_set_time(cfg, tft_time, NULL);
}

tlsflow_config *tft_server_config(tft_rng *rng)
{
    size_t cl, kl;
    uint8_t *chain = tft_fixture("server.pem", &cl), *key = tft_fixture("server.key", &kl);
    tlsflow_config *cfg = tlsflow_config_new(TLSFLOW_SERVER);
    if (!cfg || tlsflow_config_add_credential(cfg, chain, cl, key, kl, NULL) != 0)
        abort();
    free(chain);
    free(key);
    deterministic(cfg, rng);
    return cfg;
}

tlsflow_config *tft_client_config(tft_rng *rng)
{
    size_t n;
    uint8_t *ca = tft_fixture("ca.pem", &n);
    tlsflow_config *cfg = tlsflow_config_new(TLSFLOW_CLIENT);
    if (!cfg || tlsflow_config_add_trust_anchors(cfg, ca, n) != 0 ||
        tlsflow_config_set_server_name(cfg, "localhost") != 0)
        abort();
    free(ca);
    deterministic(cfg, rng);
    return cfg;
}

tft_pair *tft_pair_new(void)
{
    tft_pair *p = calloc(1, sizeof(*p));
    if (!p)
        abort();
    p->crng.state = 1;
    p->srng.state = 2;
    p->ccfg = tft_client_config(&p->crng);
    p->scfg = tft_server_config(&p->srng);
    return p;
}

void tft_pair_start(tft_pair *p)
{
    p->client = tlsflow_conn_new(p->ccfg);
    p->server = p->scfg ? tlsflow_conn_new(p->scfg) : NULL;
    if (!p->client || (p->scfg && !p->server))
        abort();
}

void tft_pair_free(tft_pair *p)
{
    tlsflow_conn_free(p->client);
    tlsflow_conn_free(p->server);
    tlsflow_config_free(p->ccfg);
    tlsflow_config_free(p->scfg);
    free(p);
}

void tft_log_add(tft_log *log, const uint8_t *p, size_t n)
{
    if (!log)
        return;
    if (log->len + n > log->cap) {
        log->cap = (log->len + n) * 2 + 1024;
        log->p = realloc(log->p, log->cap);
        if (!log->p)
            abort();
    }
    memcpy(log->p + log->len, p, n);
    log->len += n;
}

void tft_log_free(tft_log *log)
{
    free(log->p);
    memset(log, 0, sizeof(*log));
}

tlsflow_event tft_step(tlsflow_conn *from, tlsflow_conn *to, const tft_pump_opts *opts,
                       tft_log *log)
{
    tlsflow_event ev = tlsflow_poll(from);
    if (ev != TLSFLOW_OUTPUT_READY)
        return ev;
    size_t n, room;
    const uint8_t *p = tlsflow_out_buf(from, &n);
    if (opts && opts->chunk && n > opts->chunk)
        n = opts->chunk;
    uint8_t *dst = tlsflow_in_buf(to, &room);
    if (n > room)
        n = room;
    if (n == 0)
        return ev;
    memcpy(dst, p, n);
    tft_log_add(log, p, n);
    tlsflow_in_ack(to, n);
    tlsflow_out_ack(from, n);
    return ev;
}

int tft_handshake(tlsflow_conn *client, tlsflow_conn *server, const tft_pump_opts *opts)
{
    int done_c = 0, done_s = 0;
    int max = opts && opts->max_steps ? opts->max_steps : 200000;
    for (int i = 0; i < max && !(done_c && done_s); i++) {
        tlsflow_event a = tft_step(client, server, opts, opts ? opts->c2s : NULL);
        tlsflow_event b = tft_step(server, client, opts, opts ? opts->s2c : NULL);
        done_c |= a == TLSFLOW_HANDSHAKE_DONE;
        done_s |= b == TLSFLOW_HANDSHAKE_DONE;
        if (a == TLSFLOW_CLOSED && b == TLSFLOW_CLOSED)
            break;
        if (a == TLSFLOW_NEED_INPUT && b == TLSFLOW_NEED_INPUT)
            break; /* nothing in flight and both waiting: stuck */
    }
    return done_c && done_s;
}

size_t tft_hkdf_label(uint8_t *out, size_t length, const char *label, const uint8_t *ctx,
                      size_t ctx_len)
{
    size_t label_len = 6 + strlen(label), n = 0;
    if (label_len > 255 || ctx_len > 255 || length > 0xffff)
        return 0;
    out[n++] = (uint8_t)(length >> 8);
    out[n++] = (uint8_t)length;
    out[n++] = (uint8_t)label_len;
    memcpy(out + n, "tls13 ", 6);
    memcpy(out + n + 6, label, label_len - 6);
    n += label_len;
    out[n++] = (uint8_t)ctx_len;
    if (ctx_len)
        memcpy(out + n, ctx, ctx_len);
    return n + ctx_len;
}

size_t tft_keylog_secret(const char (*lines)[256], size_t n, const char *label, uint8_t *out,
                         size_t cap)
{
    size_t label_len = strlen(label);
    for (size_t i = 0; i < n; i++) {
        if (strncmp(lines[i], label, label_len) != 0 || lines[i][label_len] != ' ')
            continue;
        const char *hex = strrchr(lines[i], ' ') + 1;
        size_t len = strlen(hex) / 2;
        if (len == 0 || len > cap || strlen(hex) != 2 * len)
            return 0;
        for (size_t j = 0; j < len; j++) {
            unsigned v;
            if (sscanf(hex + 2 * j, "%2x", &v) != 1)
                return 0;
            out[j] = (uint8_t)v;
        }
        return len;
    }
    return 0;
}
