/* One private-key operation taken out of a connection to run on another thread:
 * keyop_job_take() copies what it needs on the loop thread, keyop_job_run() performs it
 * on any thread, and the loop hands out/out_len (or NULL when !ok) to
 * tlsflow_key_op_complete(). */
#ifndef TLSFLOW_KEYOP_H
#define TLSFLOW_KEYOP_H

#include <stddef.h>
#include <stdint.h>

#include <tlsflow/tlsflow.h>

#define KEYOP_MAX 1024 /* the engine's own bound on an operation's input and result */

typedef struct {
    /* A key the configuration holds (key_handle NULL): tlsflow_key_op_run() reads the
     * operation and the key from the connection, which the loop leaves alone meanwhile. */
    const tlsflow_conn *conn;
    void *token_key; /* else a PKCS#11 key (p11_key *), from the operation's key_handle */
    tlsflow_key_op_type type;
    uint16_t scheme;
    uint8_t in[KEYOP_MAX]; /* RSA_DECRYPT: the ciphertext; SIGN: the digest */
    size_t in_len;
    uint8_t out[KEYOP_MAX];
    size_t out_len;
    int ok;
} keyop_job;

/* On the loop thread, when the connection reports TLSFLOW_KEY_OPERATION. 0, or -1 when
 * no operation waits. */
int keyop_job_take(keyop_job *job, const tlsflow_conn *conn);
/* On a worker thread. Sets ok and out/out_len. */
void keyop_job_run(keyop_job *job);
/* Wipe the inputs and the result. */
void keyop_job_wipe(keyop_job *job);

#endif
