/* Private keys in a PKCS#11 token (an HSM, a smart card, SoftHSM2), used through the
 * module's C API: the module is dlopen()ed, initialised for several threads, the token
 * logged in to once, and every thread that performs an operation gets a session of its
 * own (PKCS#11 sessions must not be used by two threads at once). */
#ifndef TLSFLOW_P11_H
#define TLSFLOW_P11_H

#include <stddef.h>
#include <stdint.h>

typedef struct p11_key p11_key;

/* The command line's defaults for what a key reference does not say itself. */
typedef struct {
    const char *module; /* --pkcs11-module PATH */
    const char *token;  /* --pkcs11-token LABEL (NULL: the first initialised token) */
    const char *pin;    /* --pkcs11-pin PIN, or TLSFLOW_PKCS11_PIN from the environment */
    int need_decrypt;   /* RSA key transport is enabled: RSA keys must decrypt too */
} p11_defaults;

/* What a loaded key is. */
typedef struct {
    int is_ec;
    int bits;        /* RSA modulus or EC field bits */
    char kind[16];   /* "RSA 2048", "EC P-256" */
    char where[320]; /* "PKCS#11 token 'tlsflow', key 'rsa'" */
} p11_key_info;

/* Find the private key that ref names (an object label or a pkcs11: URI, RFC 7512),
 * loading the module and logging in on first use, and prove it is the private half of
 * the first certificate in chain (PEM or DER): the token signs (RSA: PKCS#1 v1.5 and
 * PSS; EC: ECDSA) and, for RSA when d->need_decrypt, decrypts, and wolfCrypt checks
 * each result with the certificate's public key. 0 with *key (valid until
 * p11_shutdown) and *info; else -1 with a message printed. Call from one thread. */
int p11_key_load(const p11_defaults *d, const char *ref, const char *cert_name,
                 const uint8_t *chain, size_t chain_len, p11_key **key, p11_key_info *info);

/* Key operations, from any thread (each thread uses its own session). 0 on success. */
/* A TLS signature: `scheme` is a TLSFLOW_SIG_* value and digest the message hashed with
 * the scheme's hash. RSA-PSS: CKM_RSA_PKCS_PSS (MGF1 with the same hash, salt = hash
 * length); RSA PKCS#1: CKM_RSA_PKCS over the DigestInfo; ECDSA: CKM_ECDSA, returned as
 * DER. */
int p11_sign(p11_key *key, uint16_t scheme, const uint8_t *digest, size_t digest_len, uint8_t *out,
             size_t cap, size_t *len);
/* RSA PKCS#1 v1.5 decryption (CKM_RSA_PKCS); -1 also when the padding is wrong. */
int p11_decrypt(p11_key *key, const uint8_t *in, size_t in_len, uint8_t *out, size_t cap,
                size_t *len);

/* Close every session, log out and unload the module. Only once no operation runs. */
void p11_shutdown(void);

#endif
