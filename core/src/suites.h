/* The cipher suite table: one row per suite. A new key exchange or AEAD is a new row
 * (and a module behind it), not edits elsewhere. */
#ifndef TLSFLOW_SUITES_H
#define TLSFLOW_SUITES_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

/* TF_KX_TLS13: (EC)DHE key_share with a CertificateVerify signature (RFC 8446); the
 * certificate's key type is then free. */
typedef enum { TF_KX_RSA = 1, TF_KX_ECDHE = 2, TF_KX_TLS13 = 3 } tf_kx;

typedef struct {
    uint16_t id;
    const char *name;
    tf_kx kx;
    tf_key_type auth;     /* the certificate key the suite needs */
    tf_hash_alg prf_hash; /* PRF and transcript hash */
    tf_aead_alg aead;
    size_t key_len;            /* AEAD key bytes */
    size_t fixed_iv_len;       /* implicit nonce from the key block: 4 (RFC 5288), 12 (7905) */
    size_t explicit_nonce_len; /* nonce bytes carried in each record: 8 (RFC 5288), 0 (7905) */
} tf_suite;

/* Is this a TLS 1.3 suite? */
#define TF_SUITE_IS_TLS13(s) ((s)->kx == TF_KX_TLS13)

/* The suite with this id, or NULL. */
const tf_suite *tf_suite_find(uint16_t id);
/* All supported suites in default preference order. */
const tf_suite *tf_suite_at(size_t i);
size_t tf_suite_count(void);
/* Bytes a protected record adds to its plaintext: explicit nonce and tag. */
size_t tf_suite_record_overhead(const tf_suite *s);

/* Does the client's first cipher suite that we implement use ChaCha20-Poly1305? `list`
 * is the ClientHello's cipher_suites body (u16 values). */
int tf_suites_client_prefers_chacha(const uint8_t *list, size_t len);
/* Our preference order `ours` (n ids) as the server applies it: unchanged, or with each
 * ChaCha20-Poly1305 suite moved ahead of the AES-GCM suites with its key exchange and
 * authentication when the client prefers ChaCha20. Writes at most n ids to out and
 * returns their count. */
size_t tf_suites_server_order(const uint16_t *ours, size_t n, int chacha_first, uint16_t *out);

#endif
