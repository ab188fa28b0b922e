/* ClientKeyExchange for RSA key transport (RFC 5246 §7.4.7.1): the encrypted premaster
 * as a u16-prefixed opaque vector. */
#include "msg.h"
#include "tlsflow/tlsflow.h"

int tf_client_key_exchange_parse(const uint8_t *body, size_t len, tf_view *encrypted,
                                 const char **why)
{
    tf_reader r = tf_reader_init(body, len), v;
    if (!tf_get_vector_bounded(&r, 2, 1, 0xffff, &v) || !tf_reader_done(&r))
        return *why = "ClientKeyExchange: malformed EncryptedPreMasterSecret", TLSFLOW_E_DECODE;
    *encrypted = (tf_view){v.p, v.len};
    return TLSFLOW_OK;
}

int tf_client_key_exchange_write(tf_writer *w, const uint8_t *encrypted, size_t len)
{
    tf_vec v = tf_put_vector_begin(w, 2);
    tf_put_bytes(w, encrypted, len);
    tf_put_vector_end(w, v);
    return tf_writer_ok(w) ? 0 : -1;
}
