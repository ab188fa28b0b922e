/* Signature schemes for ServerKeyExchange: the table of schemes we can make and check,
 * and the server's choice among those the client offers (RFC 5246 §7.4.1.4.1). */
#ifndef TLSFLOW_SIGALG_H
#define TLSFLOW_SIGALG_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

typedef struct {
    uint16_t id;
    const char *name;
    tf_key_type key;
    tf_sig_alg alg;
    tf_hash_alg hash;
    uint16_t curve; /* ECDSA: the group the scheme is named for; preferred for such keys */
} tf_sig_scheme;

/* The scheme with this id, or NULL. */
const tf_sig_scheme *tf_sig_scheme_find(uint16_t id);
/* All schemes in default preference order. */
const tf_sig_scheme *tf_sig_scheme_at(size_t i);
size_t tf_sig_scheme_count(void);

/* Server: our first scheme (in the order of `ours`) that the client offers and a key of
 * this type can make; for ECDSA keys the scheme named for the key's curve comes first.
 * `offered` is the signature_algorithms list (u16 values), NULL when the client sent
 * none: its default would be SHA-1, which we refuse. Returns 0 if there is none. */
uint16_t tf_sig_scheme_choose(const uint16_t *ours, size_t n, const uint8_t *offered,
                              size_t offered_len, tf_key_type key, uint16_t key_group);

/* TLS 1.3 (RFC 8446 §4.2.3, §4.4.3): can a key of this type and curve sign a
 * CertificateVerify with this scheme? Never PKCS#1 v1.5; ECDSA only on its named curve. */
int tf_sig_scheme_usable13(const tf_sig_scheme *s, tf_key_type key, uint16_t key_group);
/* TLS 1.3 server: our first scheme the client offers that the key can use, 0 if none. */
uint16_t tf_sig_scheme_choose13(const uint16_t *ours, size_t n, const uint8_t *offered,
                                size_t offered_len, tf_key_type key, uint16_t key_group);

#endif
