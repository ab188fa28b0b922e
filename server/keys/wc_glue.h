/* The wolfCrypt side of token keys, kept apart from the PKCS#11 declarations (both
 * define CK_* names): the certificate's public key that checks what a token made, and
 * the two encodings a TLS signature needs around a token's raw result. */
#ifndef TLSFLOW_WC_GLUE_H
#define TLSFLOW_WC_GLUE_H

#include <stddef.h>
#include <stdint.h>

typedef enum { WCG_SHA256 = 1, WCG_SHA384, WCG_SHA512 } wcg_hash;

/* wcg_hash of a TLSFLOW_SIG_* scheme, 0 if unknown; *kind gets 'p' (RSA PKCS#1 v1.5),
 * 's' (RSA-PSS) or 'e' (ECDSA). */
wcg_hash wcg_scheme_hash(uint16_t scheme, char *kind);
/* The digest length of a hash. */
size_t wcg_hash_len(wcg_hash h);

/* The PKCS#1 v1.5 DigestInfo around a digest (wc_EncodeSignature). 0 on success. */
int wcg_digest_info(wcg_hash h, const uint8_t *digest, size_t digest_len, uint8_t *out, size_t cap,
                    size_t *len);
/* ECDSA r||s (two halves of equal length, as CKM_ECDSA returns) as a DER
 * Ecdsa-Sig-Value (wc_ecc_rs_raw_to_sig). 0 on success. */
int wcg_ecdsa_raw_to_der(const uint8_t *rs, size_t n, uint8_t *out, size_t cap, size_t *len);

/* The first certificate's public key, from a chain in PEM or DER. */
typedef struct wcg_pub wcg_pub;
/* 0 with *out; -1 if no RSA or EC certificate could be read. kind: "RSA 2048". */
int wcg_pub_load(const uint8_t *chain, size_t len, wcg_pub **out, int *is_ec, int *bits,
                 char kind[16]);
void wcg_pub_free(wcg_pub *pub);
/* 1 if sig is a valid signature over digest with this key (RSA: 's' PSS with MGF1 of
 * the same hash and salt = hash length, or 'p' PKCS#1 v1.5; EC: DER ECDSA). */
int wcg_pub_verify(wcg_pub *pub, char kind, wcg_hash h, const uint8_t *digest, size_t digest_len,
                   const uint8_t *sig, size_t sig_len);
/* RSA PKCS#1 v1.5 encryption of msg under the key. 0 on success. */
int wcg_pub_encrypt(wcg_pub *pub, const uint8_t *msg, size_t n, uint8_t *out, size_t cap,
                    size_t *len);
/* n random bytes from wolfCrypt's DRBG. 0 on success. */
int wcg_random(uint8_t *out, size_t n);

#endif
