/* The TLS 1.3 key schedule (RFC 8446 §7.1, §7.2, §7.3, §7.5), beside keys.c's TLS 1.2
 * PRF: from the (EC)DHE secret through the handshake and application traffic secrets, the
 * Finished keys, KeyUpdate and the exporter. */
#ifndef TLSFLOW_KEYS13_H
#define TLSFLOW_KEYS13_H

#include "internal.h"

/* ---- pure functions of the schedule (testable against RFC 8448) ---- */

/* Derive-Secret(secret, label, messages) given Hash(messages); hash NULL means the hash of
 * the empty string. out gets Hash.length bytes. */
int tf13_derive_secret(tf_hash_alg alg, const uint8_t *secret, const char *label,
                       const uint8_t *hash, uint8_t *out);
/* The early secret: HKDF-Extract(0, psk), psk NULL for none (Hash.length zeros). */
int tf13_early_secret(tf_hash_alg alg, const uint8_t *psk, size_t psk_len, uint8_t *out);
/* The next stage: HKDF-Extract(Derive-Secret(prev, "derived", ""), ikm); ikm NULL for
 * Hash.length zeros (the master secret). */
int tf13_next_secret(tf_hash_alg alg, const uint8_t *prev, const uint8_t *ikm, size_t ikm_len,
                     uint8_t *out);
/* A record key and IV from a traffic secret (§7.3). */
int tf13_traffic_key(tf_hash_alg alg, const uint8_t *secret, uint8_t *key, size_t key_len,
                     uint8_t iv[12]);
/* Finished verify_data over a transcript hash with the finished key of `base` (§4.4.4). */
int tf13_finished(tf_hash_alg alg, const uint8_t *base, const uint8_t *hash, uint8_t *out);
/* application_traffic_secret_N+1 from _N (§7.2). */
int tf13_update_secret(tf_hash_alg alg, const uint8_t *secret, uint8_t *out);

/* ---- on a connection ---- */

/* After ServerHello: handshake secret and both handshake traffic secrets from the shared
 * secret in hs->premaster and the transcript so far; key log lines. */
int tf13_handshake_secrets(tlsflow_conn *c);
/* After the server's Finished: master secret, both application traffic secrets and the
 * exporter master secret from the transcript so far; key log lines. */
int tf13_application_secrets(tlsflow_conn *c);
/* Key one direction with a traffic secret of the negotiated suite (and remember it, for
 * KeyUpdate). */
int tf13_install(tlsflow_conn *c, int write, const uint8_t *secret);
/* KeyUpdate: the next secret of one direction, installed. */
int tf13_update(tlsflow_conn *c, int write);

#endif
