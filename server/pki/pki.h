/* The local test PKI: keys and certificates made with wolfCrypt's certificate
 * generation. Used by tlsflow-server (its embedded default) and by the tests.
 * Not part of the engine: this module may allocate, and its callers do file I/O. */
#ifndef TLSFLOW_PKI_H
#define TLSFLOW_PKI_H

#include <stddef.h>
#include <stdint.h>

typedef enum { TFPKI_RSA = 1, TFPKI_ECDSA_P256 = 2 } tfpki_key_type;

/* A private key; DER (PKCS#1 RSAPrivateKey or SEC1 ECPrivateKey) plus PEM text. */
typedef struct {
    tfpki_key_type type;
    uint8_t *der;
    size_t der_len;
    char *pem; /* NUL-terminated */
} tfpki_key;

/* A certificate, DER plus PEM text. */
typedef struct {
    uint8_t *der;
    size_t der_len;
    char *pem; /* NUL-terminated */
} tfpki_cert;

/* What to put in a certificate. */
typedef struct {
    const char *common_name;
    const char *const *dns_names; /* subjectAltName dNSName entries */
    size_t n_dns;
    const char *const *ip_addrs; /* subjectAltName iPAddress entries, textual v4/v6 */
    size_t n_ip;
    int64_t not_before; /* seconds since the epoch */
    int64_t not_after;
    int is_ca; /* basicConstraints CA:TRUE + keyCertSign */
    /* A leaf's purpose: 0, a server's (keyUsage for its key type, extendedKeyUsage
     * serverAuth + clientAuth), or TFPKI_CLIENT_ONLY (digitalSignature, clientAuth only). */
    int usage;
} tfpki_spec;

#define TFPKI_CLIENT_ONLY 1

/* Generate a key (bits used for RSA only). 0 on success. */
int tfpki_key_generate(tfpki_key *out, tfpki_key_type type, int bits);
/* Load a key from PEM or DER. 0 on success. */
int tfpki_key_load(tfpki_key *out, const uint8_t *buf, size_t len);
/* Issue a certificate for subject_key, signed by issuer_key under issuer_cert
 * (issuer_cert NULL: self-signed with subject_key). 0 on success. */
int tfpki_cert_issue(tfpki_cert *out, const tfpki_spec *spec, const tfpki_key *subject_key,
                     const tfpki_cert *issuer_cert, const tfpki_key *issuer_key);
void tfpki_key_free(tfpki_key *key);

/* Whether a private key belongs to a certificate. */
typedef enum {
    TFPKI_PAIR_OK = 0,
    TFPKI_PAIR_BAD_CERT = -1, /* no RSA or EC certificate could be read */
    TFPKI_PAIR_BAD_KEY = -2,  /* not an RSA or EC private key */
    TFPKI_PAIR_MISMATCH = -3, /* a key, but not the one the certificate names */
} tfpki_pair_result;

typedef struct {
    int is_ec;     /* 0: RSA */
    int bits;      /* RSA modulus bits, or EC field bits */
    char name[16]; /* "RSA 2048", "EC P-256" */
} tfpki_key_desc;

/* Check that key (PEM or DER: PKCS#1, SEC1 or unencrypted PKCS#8; RSA or EC on any
 * curve wolfCrypt knows) is the private half of the first certificate in cert (PEM or
 * DER). desc describes the key whenever it could be read. */
tfpki_pair_result tfpki_check_pair(const uint8_t *cert, size_t cert_len, const uint8_t *key,
                                   size_t key_len, tfpki_key_desc *desc);
/* The first certificate's public key (cert PEM or DER): its SubjectPublicKeyInfo (DER)
 * into spki (cap bytes, 2048 suffice) and what it is. 0, or -1 if no RSA or EC
 * certificate could be read. */
int tfpki_cert_public_key(const uint8_t *cert, size_t cert_len, uint8_t *spki, size_t cap,
                          size_t *spki_len, tfpki_key_desc *desc);
void tfpki_cert_free(tfpki_cert *cert);

#endif
