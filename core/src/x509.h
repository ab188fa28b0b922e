/* Certificate chain and host name verification: glue over wolfSSL's certificate code.
 * Only this module (and crypto.c) includes wolfSSL headers. Time is always the
 * caller's (an argument), never the system clock. */
#ifndef TLSFLOW_X509_H
#define TLSFLOW_X509_H

#include <stddef.h>
#include <stdint.h>
#include "crypto.h"
#include "hostname.h"
#include "tlsflow/tlsflow.h"

/* Trust anchors, built once per configuration and shared read-only by connections. */
typedef struct tf_trust tf_trust;

/* Build a trust store from n DER certificates. Returns NULL on failure. */
tf_trust *tf_trust_new(const uint8_t *const *ders, const size_t *lens, size_t n);
void tf_trust_free(tf_trust *trust);

/* Verify a peer chain (certs[0] is the leaf, then intermediates in any order the
 * peer sent them) against the anchors at time `now` (seconds since the epoch).
 * If host is non-NULL the leaf must name it (DNS name with RFC 6125 wildcard rules,
 * or an IPv4/IPv6 literal matched against iPAddress SANs).
 * Returns TLSFLOW_OK or one of TLSFLOW_E_CERT_*; *detail gets a static sentence. */
int tf_x509_verify(const tf_trust *trust, const uint8_t *const *certs, const size_t *lens, size_t n,
                   int64_t now, const char *host, const char **detail);

/* A peer's certificate list as received, and how to judge it. */
typedef struct {
    const uint8_t *const *der; /* der[0] is the leaf, then intermediates in any order */
    const size_t *len;
    size_t n;
    int64_t now;      /* seconds since the epoch */
    const char *host; /* the name the leaf must carry, or NULL */
    int client;       /* the leaf is a TLS client's (clientAuth), not a server's */
} tf_x509_chain;

/* Where tf_x509_check puts what the engine keeps of the leaf. */
typedef struct {
    tlsflow_cert_info *info; /* the leaf's summary */
    uint8_t *spki;           /* its SubjectPublicKeyInfo: cap bytes of room */
    size_t cap;
    size_t spki_len;
    tf_key_type key_type; /* the key the SPKI holds (it agrees with the named algorithm) */
    int described;        /* set to 1 when info and spki were filled (even if unverified) */
} tf_x509_leaf;

/* tf_x509_describe of the leaf and tf_x509_verify of the chain, decoding the leaf
 * once. Returns TLSFLOW_OK or a TLSFLOW_E_CERT_* with a static sentence in *detail. */
int tf_x509_check(const tf_trust *trust, const tf_x509_chain *in, tf_x509_leaf *leaf,
                  const char **detail);

/* Summarise one DER certificate and copy its SubjectPublicKeyInfo (spki may be NULL),
 * with a single parse. 0 on success; TLSFLOW_E_USAGE if spki is too small. */
int tf_x509_describe(const uint8_t *der, size_t len, tlsflow_cert_info *out, uint8_t *spki,
                     size_t cap, size_t *spki_len);
/* Where a DER certificate's subject and issuer Names lie inside it, each a whole DER Name
 * (SEQUENCE header included), as TLS lists them. 0 on success. */
int tf_x509_names(const uint8_t *der, size_t len, size_t *subject_off, size_t *subject_len,
                  size_t *issuer_off, size_t *issuer_len);
/* Summarise one DER certificate (subject, issuer, validity, key). 0 on success. */
int tf_x509_summary(const uint8_t *der, size_t len, tlsflow_cert_info *out);

/* Copy the certificate's SubjectPublicKeyInfo (DER) into out. 0 on success;
 * TLSFLOW_E_USAGE (with *out_len set) if out is too small. */
int tf_x509_public_key(const uint8_t *der, size_t len, uint8_t *out, size_t cap, size_t *out_len);

#endif
