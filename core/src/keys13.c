/* The TLS 1.3 key schedule (see keys13.h). The secrets of a connection live in its
 * handshake state while it runs; what KeyUpdate and exporters need afterwards (the two
 * current traffic secrets, the exporter master secret) lives in the connection. */
#include "keys13.h"

#include <stdio.h>
#include <string.h>

#include "keys.h"
#include "record.h"

int tf13_derive_secret(tf_hash_alg alg, const uint8_t *secret, const char *label,
                       const uint8_t *hash, uint8_t *out)
{
    uint8_t empty[TF_MAX_HASH];
    size_t n = tf_hash_len(alg);
    if (!hash) {
        if (tf_hash_digest(alg, (const uint8_t *)"", 0, empty) != n)
            return -1;
        hash = empty;
    }
    return tf_hkdf_expand_label(alg, secret, label, hash, n, out, n);
}

int tf13_early_secret(tf_hash_alg alg, const uint8_t *psk, size_t psk_len, uint8_t *out)
{
    return tf_hkdf_extract(alg, NULL, 0, psk, psk ? psk_len : 0, out);
}

int tf13_next_secret(tf_hash_alg alg, const uint8_t *prev, const uint8_t *ikm, size_t ikm_len,
                     uint8_t *out)
{
    uint8_t salt[TF_MAX_HASH];
    size_t n = tf_hash_len(alg);
    int ret = tf13_derive_secret(alg, prev, "derived", NULL, salt) ||
              tf_hkdf_extract(alg, salt, n, ikm, ikm ? ikm_len : 0, out);
    tf_wipe(salt, sizeof(salt));
    return ret ? -1 : 0;
}

int tf13_traffic_key(tf_hash_alg alg, const uint8_t *secret, uint8_t *key, size_t key_len,
                     uint8_t iv[12])
{
    return tf_hkdf_expand_label(alg, secret, "key", NULL, 0, key, key_len) ||
                   tf_hkdf_expand_label(alg, secret, "iv", NULL, 0, iv, 12)
               ? -1
               : 0;
}

int tf13_finished(tf_hash_alg alg, const uint8_t *base, const uint8_t *hash, uint8_t *out)
{
    uint8_t key[TF_MAX_HASH];
    size_t n = tf_hash_len(alg);
    int ret = tf_hkdf_expand_label(alg, base, "finished", NULL, 0, key, n) ||
              tf_hmac(alg, key, n, hash, n, out);
    tf_wipe(key, sizeof(key));
    return ret ? -1 : 0;
}

int tf13_update_secret(tf_hash_alg alg, const uint8_t *secret, uint8_t *out)
{
    return tf_hkdf_expand_label(alg, secret, "traffic upd", NULL, 0, out, tf_hash_len(alg));
}

/* ---- on a connection ---- */

static void keylog(tlsflow_conn *c, const char *label, const uint8_t *secret)
{
    if (!c->cfg->keylog)
        return;
    static const char digits[] = "0123456789abcdef";
    char line[40 + 1 + 64 + 1 + 2 * TF_MAX_HASH + 1];
    size_t n = tf_hash_len(c->hs->suite->prf_hash);
    int o = snprintf(line, sizeof(line), "%s ", label);
    for (size_t i = 0; i < 32; i++) {
        line[o++] = digits[c->hs->client_random[i] >> 4];
        line[o++] = digits[c->hs->client_random[i] & 15];
    }
    line[o++] = ' ';
    for (size_t i = 0; i < n; i++) {
        line[o++] = digits[secret[i] >> 4];
        line[o++] = digits[secret[i] & 15];
    }
    line[o] = 0;
    c->cfg->keylog(c->cfg->keylog_ctx, line);
    tf_wipe(line, sizeof(line));
}

int tf13_handshake_secrets(tlsflow_conn *c)
{
    tf_handshake *hs = c->hs;
    tf_hash_alg alg = hs->suite->prf_hash;
    uint8_t early[TF_MAX_HASH], hash[TF_MAX_HASH];
    int ret = tf13_early_secret(alg, hs->psk_len ? hs->psk : NULL, hs->psk_len, early) ||
              tf13_next_secret(alg, early, hs->premaster, hs->premaster_len, hs->secret13) ||
              !tf_transcript_hash(c, hash) ||
              tf13_derive_secret(alg, hs->secret13, "c hs traffic", hash, hs->c_hs) ||
              tf13_derive_secret(alg, hs->secret13, "s hs traffic", hash, hs->s_hs);
    tf_wipe(early, sizeof(early));
    tf_wipe(hs->psk, sizeof(hs->psk));
    tf_wipe(hs->premaster, sizeof(hs->premaster));
    hs->premaster_len = 0;
    if (ret)
        return -1;
    keylog(c, "CLIENT_HANDSHAKE_TRAFFIC_SECRET", hs->c_hs);
    keylog(c, "SERVER_HANDSHAKE_TRAFFIC_SECRET", hs->s_hs);
    return 0;
}

int tf13_application_secrets(tlsflow_conn *c)
{
    tf_handshake *hs = c->hs;
    tf_hash_alg alg = hs->suite->prf_hash;
    uint8_t master[TF_MAX_HASH], hash[TF_MAX_HASH];
    int ret = tf13_next_secret(alg, hs->secret13, NULL, 0, master) ||
              !tf_transcript_hash(c, hash) ||
              tf13_derive_secret(alg, master, "c ap traffic", hash, hs->c_ap) ||
              tf13_derive_secret(alg, master, "s ap traffic", hash, c->hs->s_ap) ||
              tf13_derive_secret(alg, master, "exp master", hash, c->export_secret);
    memcpy(hs->secret13, master, sizeof(master)); /* the resumption secret comes from it */
    tf_wipe(master, sizeof(master));
    if (ret)
        return -1;
    c->export_hash = alg;
    keylog(c, "CLIENT_TRAFFIC_SECRET_0", hs->c_ap);
    keylog(c, "SERVER_TRAFFIC_SECRET_0", c->hs->s_ap);
    keylog(c, "EXPORTER_SECRET", c->export_secret);
    return 0;
}

int tf13_install(tlsflow_conn *c, int write, const uint8_t *secret)
{
    const tf_suite *s = c->suite;
    tf_direction *d = write ? &c->wr : &c->rd;
    uint8_t key[TF_MAX_KEY], iv[12];
    size_t n = tf_hash_len(s->prf_hash);
    int ret = s->key_len > sizeof(key) || n > sizeof(d->secret) ||
              tf13_traffic_key(s->prf_hash, secret, key, s->key_len, iv) ||
              tf_record_set_keys(c, write, s, key, iv);
    tf_wipe(key, sizeof(key));
    tf_wipe(iv, sizeof(iv));
    if (ret)
        return -1;
    if (secret != d->secret)
        memcpy(d->secret, secret, n);
    d->tls13 = 1;
    return 0;
}

int tf13_update(tlsflow_conn *c, int write)
{
    tf_direction *d = write ? &c->wr : &c->rd;
    uint8_t next[TF_MAX_HASH];
    int ret =
        tf13_update_secret(d->suite->prf_hash, d->secret, next) || tf13_install(c, write, next);
    tf_wipe(next, sizeof(next));
    return ret ? -1 : 0;
}
