/* The cryptography a full TLS 1.2 handshake cannot avoid, per side, priced by calling
 * wolfCrypt directly (raw_crypto.h): the floor an engine's handshake cost is compared
 * with. */
#ifndef TLSFLOW_BENCH_RAW_HANDSHAKE_H
#define TLSFLOW_BENCH_RAW_HANDSHAKE_H

#include <stddef.h>

#include "bench_suites.h"
#include "raw_crypto.h"

typedef struct {
    double client, server; /* microseconds */
    char what_client[256], what_server[256];
} raw_split;

typedef struct {
    size_t hs_bytes; /* handshake messages hashed into the transcript */
    size_t leaf_len; /* the leaf certificate (hashed for its signature check) */
    raw_group group; /* ECDHE group */
    raw_sig sig;     /* ServerKeyExchange signature */
} raw_hs_params;

/* X25519, RSA-PSS (or ECDSA for ECDSA suites), typical message sizes. leaf_pem_len: the
 * size of the leaf's PEM (its DER is about 3/4 of that). */
raw_hs_params raw_hs_defaults(const bench_suite *s, size_t leaf_pem_len);
raw_aead raw_suite_aead(const bench_suite *s);
/* Measure each operation for `budget` seconds and add them up per side. */
void raw_handshake(const bench_suite *s, const raw_hs_params *p, double budget, raw_split *r);

#endif
