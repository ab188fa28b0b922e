/* Private-key operations (see keyop.h): the one place that decides whether a key
 * operation runs here or goes to the caller, and that resumes the handshake after. */
#include "keyop.h"

#include <string.h>

#include "handshake.h"
#include "sigalg.h"

#define RESULT_CAP 1024 /* an RSA-8192 plaintext or signature, or a DER ECDSA signature */

int tf_key_op_waiting(const tlsflow_conn *c)
{
    /* An error or a close ends the wait: the operation's result has nowhere to go. */
    return c->hs && c->hs->op.waiting && !c->error && !c->close_queued;
}

/* Perform the operation with the configuration's key into out. A failed signature is -1;
 * a failed decryption is a result of length 0 (RFC 5246 §7.4.7.1: not an error). */
static int run_local(const tf_key_op *op, uint8_t *out, size_t cap, size_t *len,
                     tlsflow_random_fn rnd, void *rnd_ctx, tf_drbg *blind)
{
    if (op->pub.type == TLSFLOW_KEY_OP_RSA_DECRYPT)
        return tf_rsa_decrypt_raw(op->cred->key, op->pub.input, op->pub.input_len, out, cap, len,
                                  blind);
    const tf_sig_scheme *s = tf_sig_scheme_find(op->pub.scheme);
    if (!s)
        return -1;
    if (!op->pub.input) /* only the digest is known (TLS 1.2 CertificateVerify) */
        return tf_sign_digest(op->cred->key, s->alg, s->hash, op->digest, out, cap, len, rnd,
                              rnd_ctx, blind);
    return tf_sign(op->cred->key, s->alg, s->hash, op->pub.input, op->pub.input_len, out, cap, len,
                   rnd, rnd_ctx, blind);
}

/* Hand the result to the step that waits for it; failed signatures end the handshake. */
static int finish_with(tlsflow_conn *c, tf_key_op *op, tf_key_op_finish finish,
                       const uint8_t *result, size_t len, int failed)
{
    if (op->pub.type == TLSFLOW_KEY_OP_SIGN && (failed || len > TF_MAX_SIGNATURE))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "the private-key operation (a signature) failed");
    if (op->pub.type == TLSFLOW_KEY_OP_SIGN)
        return finish(c, result, len);
    /* Decryption from the caller (its length is the caller's to hide): whatever came back
     * goes through the constant-time choice. */
    uint8_t dec[RESULT_CAP];
    memset(dec, 0, sizeof(dec));
    size_t n = 0;
    if (!failed && len <= sizeof(dec)) {
        memcpy(dec, result, len);
        n = len;
    }
    int err = finish(c, dec, n);
    tf_wipe(dec, sizeof(dec));
    return err;
}

/* Describe the operation: a message (input) or, for a signature, only its digest. */
static int describe(tlsflow_conn *c, const tf_credential *cred, tlsflow_key_op_type type,
                    uint16_t scheme, const uint8_t *input, size_t len, const uint8_t *digest,
                    tf_key_op_finish finish)
{
    tf_key_op *op = &c->hs->op;
    if (len > sizeof(op->input))
        return tf_fail(c, TLSFLOW_E_DECODE, "key operation input larger than any key");
    memset(&op->pub, 0, sizeof(op->pub));
    if (input)
        memcpy(op->input, input, len);
    op->cred = cred;
    op->finish = finish;
    op->pub.type = type;
    op->pub.scheme = scheme;
    op->pub.input = input ? op->input : NULL;
    op->pub.input_len = input ? len : 0;
    op->pub.key_handle = cred->key_handle;
    op->pub.key_bits = cred->key_bits;
    if (type == TLSFLOW_KEY_OP_SIGN) {
        const tf_sig_scheme *s = tf_sig_scheme_find(scheme);
        op->pub.digest = op->digest;
        if (s && digest)
            memcpy(op->digest, digest, op->pub.digest_len = tf_hash_len(s->hash));
        else
            op->pub.digest_len = s ? tf_hash_digest(s->hash, input, len, op->digest) : 0;
        if (!op->pub.digest_len)
            return tf_fail(c, TLSFLOW_E_INTERNAL, "could not hash the message to sign");
    }
    return 0;
}

/* Run it here with the configuration's key, or hand it to the caller. */
static int perform(tlsflow_conn *c, const tf_credential *cred, tlsflow_key_op_type type,
                   tf_key_op_finish finish)
{
    tf_key_op *op = &c->hs->op;
    if (!cred->key || c->cfg->key_offload) {
        op->waiting = 1; /* the caller's turn: tlsflow_key_op_complete resumes */
        return 0;
    }
    uint8_t out[RESULT_CAP];
    size_t n = 0;
    memset(out, 0, sizeof(out));
    int bad = run_local(op, out, sizeof(out), &n, tf_random_cb, c, c->rng);
    int err;
    if (type == TLSFLOW_KEY_OP_RSA_DECRYPT) {
        /* The whole buffer goes on, never a copy sized by the plaintext's length: that
         * length is what RFC 5246 §7.4.7.1 must keep from showing (in time too). */
        err = bad ? tf_fail(c, TLSFLOW_E_INTERNAL, "the RSA private key is unusable")
                  : finish(c, out, n);
    } else {
        err = finish_with(c, op, finish, out, n, bad);
    }
    tf_wipe(out, sizeof(out));
    return err;
}

int tf_key_op_start(tlsflow_conn *c, const tf_credential *cred, tlsflow_key_op_type type,
                    uint16_t scheme, const uint8_t *input, size_t len, tf_key_op_finish finish)
{
    return describe(c, cred, type, scheme, input, len, NULL, finish)
               ? c->error
               : perform(c, cred, type, finish);
}

int tf_key_op_sign_digest(tlsflow_conn *c, const tf_credential *cred, uint16_t scheme,
                          const uint8_t *digest, tf_key_op_finish finish)
{
    return describe(c, cred, TLSFLOW_KEY_OP_SIGN, scheme, NULL, 0, digest, finish)
               ? c->error
               : perform(c, cred, TLSFLOW_KEY_OP_SIGN, finish);
}

const tlsflow_key_operation *tlsflow_key_op(const tlsflow_conn *c)
{
    return c && tf_key_op_waiting(c) ? &c->hs->op.pub : NULL;
}

int tlsflow_key_op_complete(tlsflow_conn *c, const uint8_t *result, size_t len)
{
    if (!c || !tf_key_op_waiting(c))
        return TLSFLOW_E_USAGE;
    tf_key_op *op = &c->hs->op;
    op->waiting = 0;
    int err = finish_with(c, op, op->finish, result, len, result == NULL || len == 0);
    tf_wipe(op->input, sizeof(op->input));
    if (!err)
        tf_handshake_advance(c);
    return TLSFLOW_OK;
}

/* The configured random source if the caller set one (it is theirs to make thread-safe),
 * else a generator of this call's own. */
int tlsflow_key_op_run(const tlsflow_conn *c, uint8_t *out, size_t cap, size_t *len)
{
    if (!c || !out || !len || !tf_key_op_waiting(c) || !c->hs->op.cred->key)
        return TLSFLOW_E_USAGE;
    tf_drbg own;
    memset(&own, 0, sizeof(own));
    const tlsflow_config *cfg = c->cfg;
    int bad;
    *len = 0;
    if (cfg->random == tf_default_random)
        bad = run_local(&c->hs->op, out, cap, len, tf_drbg_random, &own, &own);
    else
        bad = run_local(&c->hs->op, out, cap, len, cfg->random, cfg->random_ctx, &own);
    tf_drbg_free(&own);
    return bad ? TLSFLOW_E_INTERNAL : TLSFLOW_OK;
}
