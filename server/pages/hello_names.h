/* Human names for the numbers in a ClientHello, and its JA3 fingerprint.
 * Presentation only: the engine decides nothing from these tables. */
#ifndef TLSFLOW_HELLO_NAMES_H
#define TLSFLOW_HELLO_NAMES_H

#include <stdint.h>

#include <tlsflow/tlsflow.h>

#include "util/sbuf.h"

/* Each returns NULL when the value has no name here. */
const char *suite_name(uint16_t suite);
const char *extension_name(uint16_t ext);
const char *group_name(uint16_t group);
const char *sigalg_name(uint16_t alg);
const char *point_format_name(uint8_t fmt);
/* "TLS 1.2" etc.; never NULL. */
const char *version_name(uint16_t version);
/* The suite with this IANA name (case-insensitive) or "0x009c" form; 0 on success. */
int suite_by_name(const char *name, uint16_t *out);
/* RFC 8701 GREASE values (0x?a?a), skipped by JA3. */
int is_grease(uint16_t v);

/* The JA3 string of a ClientHello and its MD5 as 32 lowercase hex digits. */
void ja3_string(const tlsflow_hello_info *hello, sbuf *out);
int ja3_md5_hex(const char *ja3, char hex[33]);

/* Two ways to name a peer certificate: the SHA-256 of the certificate as
 * `openssl x509 -fingerprint -sha256` prints it, and the public-key pin curl takes
 * (--pinnedpubkey sha256//BASE64: the SHA-256 of the SubjectPublicKeyInfo). */
typedef struct {
    char sha256[96];  /* "AB:CD:..." (32 bytes, colon-separated hex) */
    char pin[56];     /* "sha256//" + base64 */
    size_t chain_len; /* certificates the peer sent */
} cert_ids;

/* From the leaf (DER) and the engine's SHA-256 of its SubjectPublicKeyInfo. 0, or -1. */
int cert_ids_make(const uint8_t *der, size_t der_len, const uint8_t spki_sha256[32],
                  size_t chain_len, cert_ids *out);

#endif
