#include "keys.h"

#include <string.h>

#include "record.h"

int tf_transcript_add(tlsflow_conn *c, const uint8_t *msg, size_t len)
{
    /* Every transcript still running: both until the suite is known, and both for a TLS 1.2
     * client that may sign with either hash (tf_transcript_select). */
    if (c->hs->transcript256.alg && tf_hash_update(&c->hs->transcript256, msg, len))
        return -1;
    if (c->hs->transcript384.alg && tf_hash_update(&c->hs->transcript384, msg, len))
        return -1;
    return 0;
}

void tf_transcript_select(tlsflow_conn *c)
{
    /* RFC 5246 §7.4.8: a TLS 1.2 client signs CertificateVerify with any hash the server
     * lists, not only the suite's: a client with a certificate keeps both running. */
    if (c->role == TLSFLOW_CLIENT && c->version != TF_TLS13 && c->cfg->n_creds)
        return;
    if (c->hs->suite->prf_hash == TF_HASH_SHA256)
        tf_hash_free(&c->hs->transcript384);
    else
        tf_hash_free(&c->hs->transcript256);
}

size_t tf_transcript_hash_with(const tlsflow_conn *c, tf_hash_alg alg, uint8_t out[TF_MAX_HASH])
{
    const tf_hash *h = alg == TF_HASH_SHA384   ? &c->hs->transcript384
                       : alg == TF_HASH_SHA256 ? &c->hs->transcript256
                                               : NULL;
    return h && h->alg == alg && tf_hash_peek(h, out) == 0 ? tf_hash_len(alg) : 0;
}

size_t tf_transcript_hash(const tlsflow_conn *c, uint8_t out[TF_MAX_HASH])
{
    const tf_hash *h =
        c->hs->suite->prf_hash == TF_HASH_SHA384 ? &c->hs->transcript384 : &c->hs->transcript256;
    return tf_hash_peek(h, out) == 0 ? tf_hash_len(h->alg) : 0;
}

int tf_transcript_hash_before(tlsflow_conn *c)
{
    if (c->hs->suite)
        return tf_transcript_hash(c, c->hs->hash_before) != 0;
    return tf_hash_peek(&c->hs->transcript256, c->hs->hash_before) == 0 &&
           tf_hash_peek(&c->hs->transcript384, c->hs->hash_before384) == 0;
}

int tf_transcript_restart(tlsflow_conn *c, const uint8_t *ch1_hash)
{
    tf_hash_alg alg = c->hs->suite->prf_hash;
    tf_hash *h = alg == TF_HASH_SHA384 ? &c->hs->transcript384 : &c->hs->transcript256;
    size_t n = tf_hash_len(alg);
    uint8_t msg[4 + TF_MAX_HASH] = {TF_HS_MESSAGE_HASH, 0, 0, (uint8_t)n};
    memcpy(msg + 4, ch1_hash, n);
    tf_hash_free(h);
    return tf_hash_init(h, alg) || tf_hash_update(h, msg, 4 + n) ? -1 : 0;
}

static void hex(char *dst, const uint8_t *src, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        dst[2 * i] = digits[src[i] >> 4];
        dst[2 * i + 1] = digits[src[i] & 15];
    }
}

static void emit_keylog(tlsflow_conn *c)
{
    if (!c->cfg->keylog)
        return;
    char line[14 + 64 + 1 + 96 + 1] = "CLIENT_RANDOM ";
    hex(line + 14, c->hs->client_random, 32);
    line[78] = ' ';
    hex(line + 79, c->hs->master, 48);
    line[175] = 0;
    c->cfg->keylog(c->cfg->keylog_ctx, line);
    tf_wipe(line, sizeof(line));
}

int tf_keys_derive(tlsflow_conn *c)
{
    tf_handshake *hs = c->hs;
    tf_hash_alg alg = hs->suite->prf_hash;
    uint8_t seed[64];
    int ret;

    if (hs->ems) {
        /* RFC 7627 §4: the session hash covers the transcript through ClientKeyExchange. */
        size_t n = tf_transcript_hash(c, seed);
        ret = n ? tf_prf(alg, hs->premaster, hs->premaster_len, "extended master secret", seed, n,
                         hs->master, 48)
                : -1;
    } else {
        memcpy(seed, hs->client_random, 32);
        memcpy(seed + 32, hs->server_random, 32);
        ret = tf_prf(alg, hs->premaster, hs->premaster_len, "master secret", seed, 64, hs->master,
                     48);
    }
    tf_wipe(hs->premaster, sizeof(hs->premaster));
    hs->premaster_len = 0;
    return ret ? -1 : tf_keys_from_master(c);
}

int tf_keys_from_master(tlsflow_conn *c)
{
    tf_handshake *hs = c->hs;
    tf_hash_alg alg = hs->suite->prf_hash;
    uint8_t seed[64];
    memcpy(seed, hs->server_random, 32);
    memcpy(seed + 32, hs->client_random, 32);
    size_t need = 2 * hs->suite->key_len + 2 * hs->suite->fixed_iv_len;
    if (need > sizeof(hs->key_block) ||
        tf_prf(alg, hs->master, 48, "key expansion", seed, 64, hs->key_block, need))
        return -1;
    emit_keylog(c);
    return 0;
}

int tf_keys_finished(const tlsflow_conn *c, int from_client, const uint8_t *hash, size_t hash_len,
                     uint8_t out[12])
{
    const char *label = from_client ? "client finished" : "server finished";
    return tf_prf(c->hs->suite->prf_hash, c->hs->master, 48, label, hash, hash_len, out, 12);
}

int tf_keys_activate(tlsflow_conn *c, int write)
{
    const tf_suite *s = c->hs->suite;
    /* Key block: client key, server key, client IV, server IV (no MAC keys for AEAD). */
    int client_keys = (c->role == TLSFLOW_CLIENT) == (write != 0);
    const uint8_t *key = c->hs->key_block + (client_keys ? 0 : s->key_len);
    const uint8_t *iv = c->hs->key_block + 2 * s->key_len + (client_keys ? 0 : s->fixed_iv_len);
    if (tf_record_set_keys(c, write, s, key, iv))
        return -1;
    if (c->rd.active && c->wr.active) /* both directions keyed: the block is spent */
        tf_wipe(c->hs->key_block, sizeof(c->hs->key_block));
    return 0;
}
