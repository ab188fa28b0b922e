/* ServerKeyExchange for ECDHE (RFC 8422 §5.4, RFC 5246 §7.4.3): ServerECDHParams (curve
 * type named_curve, the group, the server's public point) followed by a DigitallySigned
 * (scheme, u16-prefixed signature) over client_random + server_random + params. */
#include "msg.h"
#include "tlsflow/tlsflow.h"

int tf_server_key_exchange_parse(const uint8_t *body, size_t len, tf_server_key_exchange *out,
                                 const char **why)
{
    tf_reader r = tf_reader_init(body, len), point, sig;
    uint8_t curve_type;
    if (!tf_get_u8(&r, &curve_type))
        return *why = "ServerKeyExchange: empty", TLSFLOW_E_DECODE;
    /* Explicit curves are deprecated (RFC 8422 §5.4) and never offered. */
    if (curve_type != TF_EC_CURVE_TYPE_NAMED)
        return *why = "ServerKeyExchange: the curve is not a named curve",
               TLSFLOW_E_ILLEGAL_PARAMETER;
    if (!tf_get_u16(&r, &out->group) || !tf_get_vector_bounded(&r, 1, 1, 255, &point))
        return *why = "ServerKeyExchange: malformed ECDH parameters", TLSFLOW_E_DECODE;
    out->point = (tf_view){point.p, point.len};
    out->params = (tf_view){body, len - r.len};
    if (!tf_get_u16(&r, &out->sig_scheme) || !tf_get_vector_bounded(&r, 2, 1, 0xffff, &sig) ||
        !tf_reader_done(&r))
        return *why = "ServerKeyExchange: malformed signature", TLSFLOW_E_DECODE;
    out->signature = (tf_view){sig.p, sig.len};
    return TLSFLOW_OK;
}

int tf_ecdh_params_write(tf_writer *w, uint16_t group, const uint8_t *point, size_t len)
{
    tf_put_u8(w, TF_EC_CURVE_TYPE_NAMED);
    tf_put_u16(w, group);
    tf_vec v = tf_put_vector_begin(w, 1);
    tf_put_bytes(w, point, len);
    tf_put_vector_end(w, v);
    return tf_writer_ok(w) ? 0 : -1;
}

int tf_server_key_exchange_write(tf_writer *w, const uint8_t *params, size_t params_len,
                                 uint16_t sig_scheme, const uint8_t *sig, size_t sig_len)
{
    tf_put_bytes(w, params, params_len);
    tf_put_u16(w, sig_scheme);
    tf_vec v = tf_put_vector_begin(w, 2);
    tf_put_bytes(w, sig, sig_len);
    tf_put_vector_end(w, v);
    return tf_writer_ok(w) ? 0 : -1;
}
