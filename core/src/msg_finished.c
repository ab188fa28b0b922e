/* Finished (RFC 5246 §7.4.9): 12 bytes of verify_data. ServerHelloDone and
 * HelloRequest have empty bodies. */
#include "msg.h"
#include "tlsflow/tlsflow.h"

int tf_finished_parse(const uint8_t *body, size_t len, tf_view *verify_data, const char **why)
{
    if (len != 12)
        return *why = "Finished: verify_data must be 12 bytes", TLSFLOW_E_DECODE;
    *verify_data = (tf_view){body, len};
    return TLSFLOW_OK;
}

int tf_finished_write(tf_writer *w, const uint8_t *verify_data, size_t len)
{
    return tf_put_bytes(w, verify_data, len) ? 0 : -1;
}

int tf_empty_parse(const uint8_t *body, size_t len, const char **why)
{
    (void)body;
    if (len != 0)
        return *why = "handshake message must have an empty body", TLSFLOW_E_DECODE;
    return TLSFLOW_OK;
}

/* TLS 1.3: verify_data is as long as the suite's hash (RFC 8446 §4.4.4). */
int tf_finished13_parse(const uint8_t *body, size_t len, size_t hash_len, tf_view *verify_data,
                        const char **why)
{
    if (len != hash_len)
        return *why = "Finished: verify_data must be as long as the hash", TLSFLOW_E_DECODE;
    *verify_data = (tf_view){body, len};
    return TLSFLOW_OK;
}
