/* OpenSSL as the oracle of the differential harnesses (fuzz_x509_diff, fuzz_handshake_diff):
 * the few calls both make. Test-only code: libssl and libcrypto are linked into the
 * fuzz and replay programs of these two harnesses, never into the engine. Builds against
 * OpenSSL 1.1.1 (ClusterFuzzLite's image) and 3.x (Debian 12). */
#ifndef TLSFLOW_FUZZ_OSSL_H
#define TLSFLOW_FUZZ_OSSL_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* Initialise libssl once, without reading the system's openssl.cnf (whose settings,
 * such as Debian's SECLEVEL=2, would make the oracle depend on the machine). */
void tffo_init(void);

/* The first certificate or private key of a PEM buffer (a compiled-in fixture); aborts
 * if there is none: the oracle cannot run without its fixtures. */
X509 *tffo_pem_cert(const uint8_t *pem, size_t len);
EVP_PKEY *tffo_pem_key(const uint8_t *pem, size_t len);

/* A DER certificate as OpenSSL's TLS stack takes one: d2i_X509 must consume exactly
 * len bytes (OpenSSL's Certificate message parser refuses trailing bytes). NULL if not. */
X509 *tffo_der_cert(const uint8_t *der, size_t len);

/* Whether two keys are the same public key (EVP_PKEY_eq on 3.x, EVP_PKEY_cmp before). */
int tffo_same_key(const EVP_PKEY *a, const EVP_PKEY *b);

/* Print and clear OpenSSL's error queue (what it said when it refused), under a prefix. */
void tffo_print_errors(const char *prefix);

#endif
