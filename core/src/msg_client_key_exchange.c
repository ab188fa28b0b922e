/* ClientKeyExchange: for RSA key transport (RFC 5246 §7.4.7.1) the encrypted premaster
 * as a u16-prefixed vector; for ECDHE (RFC 8422 §5.7) the client's public value as a
 * u8-prefixed ECPoint (always explicit: we never use fixed ECDH client certificates). */
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

int tf_client_key_exchange_ecdhe_parse(const uint8_t *body, size_t len, tf_view *point,
                                       const char **why)
{
    tf_reader r = tf_reader_init(body, len), v;
    if (!tf_get_vector_bounded(&r, 1, 1, 255, &v) || !tf_reader_done(&r))
        return *why = "ClientKeyExchange: malformed ECDH public value", TLSFLOW_E_DECODE;
    *point = (tf_view){v.p, v.len};
    return TLSFLOW_OK;
}

int tf_client_key_exchange_ecdhe_write(tf_writer *w, const uint8_t *point, size_t len)
{
    tf_vec v = tf_put_vector_begin(w, 1);
    tf_put_bytes(w, point, len);
    tf_put_vector_end(w, v);
    return tf_writer_ok(w) ? 0 : -1;
}
