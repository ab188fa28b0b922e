/* The one adapter to wolfCrypt. Only crypto.c (and x509.c) include wolfSSL headers;
 * everything the engine asks of cryptography is declared here. State that lives in a
 * connection is held in opaque, statically sized storage (sizes checked in crypto.c). */
#ifndef TLSFLOW_CRYPTO_H
#define TLSFLOW_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#include "tlsflow/tlsflow.h"

typedef enum { TF_HASH_SHA256 = 1, TF_HASH_SHA384 = 2, TF_HASH_SHA512 = 3 } tf_hash_alg;

#define TF_MAX_HASH 64

/* A running hash (the handshake transcript). */
typedef struct {
    _Alignas(16) uint8_t opaque[256];
    tf_hash_alg alg;
} tf_hash;

/* The record AEADs: AES-GCM (RFC 5288) and ChaCha20-Poly1305 (RFC 7905). */
typedef enum { TF_AEAD_AES_GCM = 1, TF_AEAD_CHACHA20_POLY1305 = 2 } tf_aead_alg;

#define TF_AEAD_TAG 16 /* both AEADs append a 16-byte tag */

/* One direction's AEAD key state. */
typedef struct {
    _Alignas(16) uint8_t opaque[1152];
    int ready;
    tf_aead_alg alg;
} tf_aead;

size_t tf_hash_len(tf_hash_alg alg);
int tf_hash_init(tf_hash *h, tf_hash_alg alg);
int tf_hash_update(tf_hash *h, const uint8_t *data, size_t len);
/* The digest of everything so far; the running hash continues unchanged. */
int tf_hash_peek(const tf_hash *h, uint8_t *out);
void tf_hash_free(tf_hash *h);
/* The digest of everything so far followed by `extra`, leaving the running hash as it was. */
int tf_hash_peek_with(const tf_hash *h, const uint8_t *extra, size_t len, uint8_t *out);

/* One-shot digest of msg; returns its length, 0 on failure. */
size_t tf_hash_digest(tf_hash_alg alg, const uint8_t *msg, size_t len, uint8_t out[TF_MAX_HASH]);

/* TLS 1.2 PRF (RFC 5246 §5) with the suite's hash. */
int tf_prf(tf_hash_alg alg, const uint8_t *secret, size_t secret_len, const char *label,
           const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len);

/* TLS 1.3 key derivation (crypto_kdf.c). HKDF-Extract (RFC 5869) into prk (hash length);
 * an empty ikm counts as Hash.length zero bytes, as RFC 8446 §7.1 uses it. */
int tf_hkdf_extract(tf_hash_alg alg, const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
                    size_t ikm_len, uint8_t *prk);
/* HKDF-Expand-Label(secret, "tls13 " + label, context, len), RFC 8446 §7.1; the secret is
 * as long as the hash. */
int tf_hkdf_expand_label(tf_hash_alg alg, const uint8_t *secret, const char *label,
                         const uint8_t *context, size_t context_len, uint8_t *out, size_t len);
/* HMAC of msg under key into out (hash length). */
int tf_hmac(tf_hash_alg alg, const uint8_t *key, size_t key_len, const uint8_t *msg, size_t len,
            uint8_t *out);

/* Key one direction: AES-GCM takes 16 or 32 bytes, ChaCha20-Poly1305 exactly 32. Every
 * nonce is 12 bytes and every tag 16. */
int tf_aead_setup(tf_aead *a, tf_aead_alg alg, const uint8_t *key, size_t key_len);
/* AES-GCM: tf_aead_setup with TF_AEAD_AES_GCM. */
int tf_aead_init(tf_aead *a, const uint8_t *key, size_t key_len);
int tf_aead_seal(tf_aead *a, const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                 const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16]);
/* Seal in[0..len) followed by one more byte, `last` (TLS 1.3's inner content type), into
 * out[0..len] without first copying in beside it; in and out must not overlap unless
 * equal. */
int tf_aead_seal_plus(tf_aead *a, const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                      const uint8_t *in, size_t len, uint8_t last, uint8_t *out, uint8_t tag[16]);
/* Returns 0 only if the tag verifies; out may alias in. */
int tf_aead_open(tf_aead *a, const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                 const uint8_t *in, size_t len, const uint8_t tag[16], uint8_t *out);
void tf_aead_free(tf_aead *a);

/* Public key algorithms a certificate or credential can carry. */
typedef enum { TF_KEY_NONE = 0, TF_KEY_RSA = 1, TF_KEY_EC = 2 } tf_key_type;

/* A per-connection DRBG (wolfCrypt's Hash_DRBG), seeded from the system on first use and
 * freed with the connection: the default random source, and the blinding of
 * private-key operations, without a fresh generator per call. */
typedef struct {
    _Alignas(16) uint8_t opaque[64];
    int ready;
} tf_drbg;
int tf_drbg_generate(tf_drbg *d, uint8_t *out, size_t len);
/* tf_drbg_generate with the random callback's shape (ctx: the tf_drbg). */
int tf_drbg_random(void *drbg, uint8_t *out, size_t len);
void tf_drbg_free(tf_drbg *d);

/* A private key parsed from DER, owned by a configuration: RSA (PKCS#1 or PKCS#8), or
 * EC on P-256 or P-384 (SEC 1 or PKCS#8). */
typedef struct tf_private_key tf_private_key;
tf_private_key *tf_private_key_load(const uint8_t *der, size_t len);
void tf_private_key_free(tf_private_key *k);
int tf_private_key_bits(const tf_private_key *k);
tf_key_type tf_private_key_type(const tf_private_key *k);
/* EC keys: the curve as a TLS named group (TLSFLOW_GROUP_*); 0 for RSA. */
uint16_t tf_private_key_group(const tf_private_key *k);
/* Does the key belong to this certificate's public key? */
int tf_private_key_matches(const tf_private_key *k, const uint8_t *cert_der, size_t cert_len);
/* The algorithm of a SubjectPublicKeyInfo; for EC, *group gets its curve as a TLS named
 * group (0 if it is not one we name); the key size in bits (RSA modulus, EC field) if
 * bits is non-NULL. TF_KEY_NONE if it cannot be decoded. */
tf_key_type tf_public_key_info(const uint8_t *spki, size_t spki_len, uint16_t *group, int *bits);

/* ---- Signatures (ServerKeyExchange, RFC 5246 §4.7 and RFC 8446 §4.2.3) ---------------- */

typedef enum { TF_SIG_RSA_PKCS1 = 1, TF_SIG_RSA_PSS = 2, TF_SIG_ECDSA = 3 } tf_sig_alg;

#define TF_MAX_SIGNATURE 1024 /* RSA-8192, or a DER ECDSA signature */

/* Sign msg (hashed here with `hash`). PSS uses a salt as long as the hash, drawn from
 * rnd, and MGF1 with the same hash; PKCS#1 v1.5 is deterministic; so a fixed random
 * source gives a reproducible RSA signature. ECDSA nonces are derived from key and hash
 * where wolfCrypt can (with 5.5.4: SHA-256 digests), else random from wolfCrypt. */
int tf_sign(const tf_private_key *k, tf_sig_alg alg, tf_hash_alg hash, const uint8_t *msg,
            size_t len, uint8_t *sig, size_t cap, size_t *sig_len, tlsflow_random_fn rnd,
            void *rnd_ctx, tf_drbg *blind);
/* tf_sign of a message whose digest (hash's length) is all we have: TLS 1.2's
 * CertificateVerify signs the running transcript. */
int tf_sign_digest(const tf_private_key *k, tf_sig_alg alg, tf_hash_alg hash, const uint8_t *mhash,
                   uint8_t *sig, size_t cap, size_t *sig_len, tlsflow_random_fn rnd, void *rnd_ctx,
                   tf_drbg *blind);
/* tf_verify given the message's digest. */
int tf_verify_digest(const uint8_t *spki, size_t spki_len, tf_sig_alg alg, tf_hash_alg hash,
                     const uint8_t *mhash, const uint8_t *sig, size_t sig_len);
/* Check a signature over msg with the SubjectPublicKeyInfo's key; 0 only if it verifies
 * (PSS: salt as long as the hash, as RFC 8446 requires of the rsa_pss_rsae schemes). */
int tf_verify(const uint8_t *spki, size_t spki_len, tf_sig_alg alg, tf_hash_alg hash,
              const uint8_t *msg, size_t len, const uint8_t *sig, size_t sig_len);

/* ---- Ephemeral key agreement over a TLS named group (RFC 8422, RFC 7748) --------------- */

#define TF_MAX_KX_PUBLIC 97 /* an uncompressed P-384 point */
#define TF_MAX_KX_SECRET 48 /* private scalar or shared secret (P-384) */

/* Size of the group's public value on the wire (uncompressed point, or the 32-byte
 * X25519 u-coordinate); 0 if the group is not supported. */
size_t tf_ecdhe_public_len(uint16_t group);
/* A fresh key pair whose private part is drawn from rnd, so a fixed source gives a
 * fixed key. */
int tf_ecdhe_keygen(uint16_t group, tlsflow_random_fn rnd, void *rnd_ctx,
                    uint8_t priv[TF_MAX_KX_SECRET], size_t *priv_len, uint8_t *pub, size_t *pub_len,
                    tf_drbg *blind);
/* Is the peer's public value acceptable: the right size, uncompressed, on the curve
 * (NIST groups); the right size (X25519)? 0 if so. */
int tf_ecdhe_check_public(uint16_t group, const uint8_t *pub, size_t len);
/* The shared secret (the premaster). Fails for an invalid peer value and, for X25519,
 * an all-zero result (a small-order peer point, RFC 7748 §6.1). */
int tf_ecdhe_shared(uint16_t group, const uint8_t *priv, size_t priv_len, const uint8_t *peer,
                    size_t peer_len, uint8_t out[TF_MAX_KX_SECRET], size_t *out_len,
                    tf_drbg *blind);

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
                             uint16_t version, uint8_t out[48], tf_drbg *blind);

/* The decryption alone: PKCS#1 v1.5 decryption of `in` into out (cap bytes); a wrong
 * padding gives *out_len 0, without a branch on it. -1 only for an unusable key. */
int tf_rsa_decrypt_raw(const tf_private_key *k, const uint8_t *in, size_t in_len, uint8_t *out,
                       size_t cap, size_t *out_len, tf_drbg *blind);
/* The §7.4.7.1 choice alone, in constant time: out (a random premaster) becomes dec only
 * when dec_len is 48 and dec starts with `version`. dec must hold 48 readable bytes. */
void tf_premaster_select(const uint8_t *dec, size_t dec_len, uint16_t version, uint8_t out[48]);

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
