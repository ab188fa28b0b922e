/* The cryptography of a TLS 1.2 handshake and of its records, measured by calling
 * wolfCrypt directly: the floor any engine on this wolfCrypt build pays. Each function
 * returns microseconds per operation (mean over a bounded loop), or -1 if the build
 * lacks the algorithm. Keys are decoded once, outside the timed loop. */
#ifndef TLSFLOW_BENCH_RAW_CRYPTO_H
#define TLSFLOW_BENCH_RAW_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

typedef enum { RAW_SHA256 = 1, RAW_SHA384 = 2 } raw_hash;
typedef enum { RAW_AES128_GCM = 1, RAW_AES256_GCM, RAW_CHACHA20_POLY1305 } raw_aead;
typedef enum { RAW_SIG_RSA_PKCS1 = 1, RAW_SIG_RSA_PSS, RAW_SIG_ECDSA } raw_sig;
typedef enum { RAW_X25519 = 29, RAW_P256 = 23, RAW_P384 = 24 } raw_group;

/* Load the fixture keys (PEM) the measurements use: the server's RSA key, the CA's key
 * (it signed the certificates, so verifying with it is the chain check's RSA op), and
 * the server's EC key if present. Returns 0 on success. */
int raw_init(const char *rsa_key_pem, size_t rsa_len, const char *ca_key_pem, size_t ca_len,
             const char *ec_key_pem, size_t ec_len);
void raw_cleanup(void);

double raw_rsa_decrypt_us(double seconds);         /* PKCS#1 v1.5 private decrypt, blinded */
double raw_rsa_encrypt_us(double seconds);         /* PKCS#1 v1.5 public encrypt of 48 bytes */
double raw_rsa_pub_decode_us(double seconds);      /* SubjectPublicKeyInfo -> RsaKey */
double raw_rsa_verify_us(double seconds);          /* PKCS#1 v1.5 SHA-256 signature check (CA) */
double raw_sign_us(raw_sig alg, double seconds);   /* server's key signs a SHA-256 digest */
double raw_verify_us(raw_sig alg, double seconds); /* ... and the check of that signature */
/* One side of an ephemeral exchange: a fresh key pair, then the shared secret with a
 * fresh peer value (the peer's key generation is not timed). */
double raw_ecdhe_keygen_us(raw_group g, double seconds);
double raw_ecdhe_shared_us(raw_group g, double seconds);
double raw_prf_us(raw_hash h, size_t out_len, double seconds); /* TLS 1.2 PRF, 48-byte secret */
double raw_hash_us(raw_hash h, size_t bytes, double seconds);  /* init + update + final */
double raw_hash_peek_us(raw_hash h, double seconds);  /* copy a running hash and finish the copy */
double raw_aead_setup_us(raw_aead a, double seconds); /* init + key schedule */
double raw_aead_seal_us(raw_aead a, size_t len, double seconds); /* 13-byte AAD, 16-byte tag */
double raw_aead_open_us(raw_aead a, size_t len, double seconds);
/* The same at the engine's buffer layout: sealed into, and opened in place at, `offset`
 * bytes past a 64-byte boundary (a record's payload sits 13 bytes into its buffer). */
double raw_aead_seal_at_us(raw_aead a, size_t len, size_t offset, double seconds);
double raw_aead_open_in_place_at_us(raw_aead a, size_t len, size_t offset, double seconds);
double raw_rng_us(size_t bytes, double seconds); /* bytes from one long-lived DRBG */
double raw_rng_init_us(double seconds);          /* wc_InitRng + wc_FreeRng alone */

#endif
