/* The cipher suite table: one row per suite. A new key exchange or AEAD is a new row
 * (and a module behind it), not edits elsewhere. */
#ifndef TLSFLOW_SUITES_H
#define TLSFLOW_SUITES_H

#include <stddef.h>
#include <stdint.h>

#include "crypto.h"

typedef enum { TF_KX_RSA = 1 } tf_kx;

typedef struct {
    uint16_t id;
    const char *name;
    tf_kx kx;
    tf_hash_alg prf_hash;   /* PRF and transcript hash */
    size_t key_len;         /* AEAD key bytes */
    size_t fixed_iv_len;    /* implicit nonce part from the key block (RFC 5288) */
    size_t record_overhead; /* explicit nonce + tag */
} tf_suite;

/* The suite with this id, or NULL. */
const tf_suite *tf_suite_find(uint16_t id);
/* All supported suites in default preference order. */
const tf_suite *tf_suite_at(size_t i);
size_t tf_suite_count(void);

#endif
