#include "keyop.h"

#include <string.h>

#ifdef TLSFLOW_HAVE_PKCS11
#include "p11.h"
#endif

int keyop_job_take(keyop_job *job, const tlsflow_conn *conn)
{
    const tlsflow_key_operation *op = tlsflow_key_op(conn);
    memset(job, 0, sizeof(*job));
    if (!op)
        return -1;
    job->conn = conn;
    job->token_key = op->key_handle;
    job->type = op->type;
    job->scheme = op->scheme;
    /* A token signs the digest; it decrypts the ciphertext. The engine's own key needs
     * neither copy (tlsflow_key_op_run reads the operation in place). */
    const uint8_t *in = op->type == TLSFLOW_KEY_OP_SIGN ? op->digest : op->input;
    size_t n = op->type == TLSFLOW_KEY_OP_SIGN ? op->digest_len : op->input_len;
    if (job->token_key && in && n <= sizeof(job->in)) {
        memcpy(job->in, in, n);
        job->in_len = n;
    }
    return 0;
}

void keyop_job_run(keyop_job *job)
{
    job->ok = 0;
    job->out_len = 0;
    if (!job->token_key) {
        /* A decryption with wrong padding is ok with out_len 0: completing with it keeps
         * the RFC 5246 §7.4.7.1 countermeasure, as the engine's inline path does. */
        job->ok = tlsflow_key_op_run(job->conn, job->out, sizeof(job->out), &job->out_len) == 0;
        return;
    }
#ifdef TLSFLOW_HAVE_PKCS11
    if (job->in_len == 0)
        return;
    if (job->type == TLSFLOW_KEY_OP_RSA_DECRYPT)
        job->ok = p11_decrypt(job->token_key, job->in, job->in_len, job->out, sizeof(job->out),
                              &job->out_len) == 0;
    else
        job->ok = p11_sign(job->token_key, job->scheme, job->in, job->in_len, job->out,
                           sizeof(job->out), &job->out_len) == 0;
#endif
}

void keyop_job_wipe(keyop_job *job)
{
    memset(job->in, 0, sizeof(job->in));
    memset(job->out, 0, sizeof(job->out));
    job->in_len = job->out_len = 0;
}
