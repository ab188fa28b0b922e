/* The handshakes the benchmarks measure, with their names in each stack: TLS 1.2 suites
 * (RSA key transport and ECDHE, x25519) and TLS 1.3 (x25519, AES-128-GCM) with an RSA
 * certificate (rsa_pss_rsae_sha256) or an ECDSA P-256 one. Every row pins its version. */
#ifndef TLSFLOW_BENCH_SUITES_H
#define TLSFLOW_BENCH_SUITES_H

#include <stddef.h>
#include <stdint.h>

#include "tlsflow/tlsflow.h"

typedef struct {
    const char *id;   /* short key used in result lines, e.g. "rsa-aes128" */
    uint16_t suite;   /* IANA code point */
    int ecdhe;        /* ephemeral key exchange (X25519) */
    int ecdsa;        /* needs the EC certificate */
    int aead;         /* 1 AES-128-GCM, 2 AES-256-GCM, 3 ChaCha20-Poly1305 */
    int sha384;       /* PRF hash */
    const char *ossl; /* OpenSSL cipher name */
    const char *wolf; /* wolfSSL cipher name */
    int tls13;        /* 1: TLS 1.3 only (suite is a TLS 1.3 suite); 0: TLS 1.2 only */
} bench_suite;

static const bench_suite BENCH_SUITES[] = {
    {"rsa-aes128", 0x009C, 0, 0, 1, 0, "AES128-GCM-SHA256", "AES128-GCM-SHA256", 0},
    {"rsa-aes256", 0x009D, 0, 0, 2, 1, "AES256-GCM-SHA384", "AES256-GCM-SHA384", 0},
#ifdef TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256
    {"ecdhe-rsa-aes128", TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256, 1, 0, 1, 0,
     "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", 0},
#endif
#ifdef TLSFLOW_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
    {"ecdhe-rsa-chacha", TLSFLOW_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, 1, 0, 3, 0,
     "ECDHE-RSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305", 0},
#endif
#ifdef TLSFLOW_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
    {"ecdhe-ecdsa-aes128", TLSFLOW_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, 1, 1, 1, 0,
     "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-GCM-SHA256", 0},
#endif
#ifdef TLSFLOW_AES_128_GCM_SHA256
    {"tls13-rsa-aes128", TLSFLOW_AES_128_GCM_SHA256, 1, 0, 1, 0, "TLS_AES_128_GCM_SHA256",
     "TLS13-AES128-GCM-SHA256", 1},
    {"tls13-ecdsa-aes128", TLSFLOW_AES_128_GCM_SHA256, 1, 1, 1, 0, "TLS_AES_128_GCM_SHA256",
     "TLS13-AES128-GCM-SHA256", 1},
#endif
};

#define BENCH_N_SUITES (sizeof(BENCH_SUITES) / sizeof(BENCH_SUITES[0]))

#endif
