/* The one adapter to wolfCrypt. Only crypto.c (and x509.c) include wolfSSL headers;
 * everything the engine asks of cryptography is declared here. State that lives in a
 * connection is held in opaque, statically sized storage (sizes checked in crypto.c). */
#ifndef TLSFLOW_CRYPTO_H
#define TLSFLOW_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "tlsflow/tlsflow.h"

typedef enum { TF_HASH_SHA256 = 1, TF_HASH_SHA384 = 2 } tf_hash_alg;

#define TF_MAX_HASH 48

/* A running hash (the handshake transcript). */
typedef struct {
    _Alignas(16) uint8_t opaque[256];
    tf_hash_alg alg;
} tf_hash;

/* One direction's AEAD key state. */
typedef struct {
    _Alignas(16) uint8_t opaque[1152];
    int ready;
} tf_aead;

size_t tf_hash_len(tf_hash_alg alg);
int tf_hash_init(tf_hash *h, tf_hash_alg alg);
int tf_hash_update(tf_hash *h, const uint8_t *data, size_t len);
/* The digest of everything so far; the running hash continues unchanged. */
int tf_hash_peek(const tf_hash *h, uint8_t *out);
void tf_hash_free(tf_hash *h);

/* TLS 1.2 PRF (RFC 5246 §5) with the suite's hash. */
int tf_prf(tf_hash_alg alg, const uint8_t *secret, size_t secret_len, const char *label,
           const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len);

/* AES-GCM: key of 16 or 32 bytes; nonce 12 bytes; tag 16 bytes appended/checked. */
int tf_aead_init(tf_aead *a, const uint8_t *key, size_t key_len);
int tf_aead_seal(tf_aead *a, const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                 const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16]);
/* Returns 0 only if the tag verifies; out may alias in. */
int tf_aead_open(tf_aead *a, const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                 const uint8_t *in, size_t len, const uint8_t tag[16], uint8_t *out);
void tf_aead_free(tf_aead *a);

/* A private key parsed from DER, owned by a configuration. */
typedef struct tf_private_key tf_private_key;
tf_private_key *tf_private_key_load(const uint8_t *der, size_t len);
void tf_private_key_free(tf_private_key *k);
int tf_private_key_bits(const tf_private_key *k);
/* Does the key belong to this certificate's public key? */
int tf_private_key_matches(const tf_private_key *k, const uint8_t *cert_der, size_t cert_len);

/* RSA PKCS#1 v1.5 encryption of `in` under a SubjectPublicKeyInfo; the padding's
 * randomness comes from rnd so a fixed source gives a reproducible ciphertext. */
int tf_rsa_encrypt(const uint8_t *spki, size_t spki_len, const uint8_t *in, size_t in_len,
                   uint8_t *out, size_t cap, size_t *out_len, tlsflow_random_fn rnd, void *rnd_ctx);
/* RSA private decryption of a premaster secret with the RFC 5246 §7.4.7.1
 * countermeasure: `out` starts as a random premaster; it is replaced in constant time
 * only if the ciphertext decrypts to exactly 48 bytes starting with `version`.
 * Returns 0 whatever the ciphertext (failure is deliberately invisible), or -1 only
 * when the key itself is unusable. */
int tf_rsa_decrypt_premaster(const tf_private_key *k, const uint8_t *in, size_t in_len,
                             uint16_t version, uint8_t out[48]);

/* Constant-time equality of two buffers of length n (1 if equal). */
int tf_ct_equal(const uint8_t *a, const uint8_t *b, size_t n);
/* Zeroise memory in a way the compiler cannot drop. */
void tf_wipe(void *p, size_t n);

/* Defaults for the configuration's callbacks. */
int tf_default_random(void *ctx, uint8_t *out, size_t len);
int64_t tf_default_time(void *ctx);

/* PEM → DER for certificates and keys ("CERTIFICATE" blocks, or any private key). */
int tf_pem_cert_to_der(const char *pem, size_t pem_len, uint8_t *out, size_t cap, size_t *out_len);
int tf_pem_key_to_der(const char *pem, size_t pem_len, uint8_t *out, size_t cap, size_t *out_len);

#endif
