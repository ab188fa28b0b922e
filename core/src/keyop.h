/* Private-key operations: inline with a key the configuration holds, or handed to the
 * caller (TLSFLOW_KEY_OPERATION) and resumed by tlsflow_key_op_complete. A handler
 * describes the operation and says how to finish; it never knows which way it ran. */
#ifndef TLSFLOW_KEYOP_H
#define TLSFLOW_KEYOP_H

#include "internal.h"

/* Finish the handshake step with the operation's result. For RSA_DECRYPT the result
 * buffer always holds at least 48 readable bytes and len may be anything (0: failed);
 * for SIGN, result is the signature (the handshake fails before finish otherwise). */
typedef int (*tf_key_op_finish)(tlsflow_conn *c, const uint8_t *result, size_t len);

/* Run (or hand out) one operation with the credential's key: SIGN `input` with `scheme`,
 * or RSA_DECRYPT the ciphertext `input`. Returns 0 when finish ran or the caller's turn
 * began (the handshake then stops until tlsflow_key_op_complete), or the error. */
int tf_key_op_start(tlsflow_conn *c, const tf_credential *cred, tlsflow_key_op_type type,
                    uint16_t scheme, const uint8_t *input, size_t len, tf_key_op_finish finish);
/* The same for a signature of which only the digest is known (the scheme's hash length):
 * tlsflow_key_op() then shows no input. */
int tf_key_op_sign_digest(tlsflow_conn *c, const tf_credential *cred, uint16_t scheme,
                          const uint8_t *digest, tf_key_op_finish finish);
/* Does the handshake wait for the caller's key operation? */
int tf_key_op_waiting(const tlsflow_conn *c);

#endif
