/* The TLS 1.2 key schedule (RFC 5246 §8.1, §6.3, §7.4.9; RFC 7627): master secret,
 * key block, Finished, and switching a record direction to its new keys. */
#ifndef TLSFLOW_KEYS_H
#define TLSFLOW_KEYS_H

#include "internal.h"

/* Add handshake bytes to the transcript (both hashes until the suite is known). */
int tf_transcript_add(tlsflow_conn *c, const uint8_t *msg, size_t len);
/* Keep only the suite's transcript hash once the suite is chosen. */
void tf_transcript_select(tlsflow_conn *c);
/* Digest of the transcript so far with `alg` if that transcript runs (SHA-256 or SHA-384);
 * returns its length or 0. */
size_t tf_transcript_hash_with(const tlsflow_conn *c, tf_hash_alg alg, uint8_t out[TF_MAX_HASH]);
/* Digest of the transcript so far (suite hash); returns its length or 0. */
size_t tf_transcript_hash(const tlsflow_conn *c, uint8_t out[TF_MAX_HASH]);

/* In handle_message, before a message is added: the digest of the transcript so far into
 * hs->hash_before (and, while the suite is unknown, the SHA-384 one into hash_before384).
 * Returns 0 on failure. */
int tf_transcript_hash_before(tlsflow_conn *c);
/* TLS 1.3 HelloRetryRequest (RFC 8446 §4.4.1): the transcript starts again from
 * message_hash(Hash(ClientHello1)), given that digest (the suite's hash). */
int tf_transcript_restart(tlsflow_conn *c, const uint8_t *ch1_hash);

/* premaster → master secret (extended if negotiated) → key block; emits the key log
 * line. Wipes the premaster. */
int tf_keys_derive(tlsflow_conn *c);
/* The key block from hs->master (set from a resumed session, or by tf_keys_derive) and
 * the randoms; emits the key log line. */
int tf_keys_from_master(tlsflow_conn *c);
/* verify_data for the side `from_client` over the given transcript digest. */
int tf_keys_finished(const tlsflow_conn *c, int from_client, const uint8_t *hash, size_t hash_len,
                     uint8_t out[12]);
/* Start protecting one direction: `write` selects our sending side. */
int tf_keys_activate(tlsflow_conn *c, int write);

#endif
