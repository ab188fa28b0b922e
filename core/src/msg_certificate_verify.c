/* CertificateVerify (RFC 8446 §4.4.3): a signature scheme and a signature over the
 * transcript. */
#include "msg.h"
#include "tlsflow/tlsflow.h"

int tf_certificate_verify_parse(const uint8_t *body, size_t len, tf_certificate_verify *out,
                                const char **why)
{
    tf_reader r = tf_reader_init(body, len), sig;
    if (!tf_get_u16(&r, &out->scheme) || !tf_get_vector_bounded(&r, 2, 1, 0xffff, &sig) ||
        !tf_reader_done(&r))
        return *why = "CertificateVerify: malformed", TLSFLOW_E_DECODE;
    out->signature = (tf_view){sig.p, sig.len};
    return TLSFLOW_OK;
}

int tf_certificate_verify_write(tf_writer *w, uint16_t scheme, const uint8_t *sig, size_t len)
{
    tf_put_u16(w, scheme);
    tf_vec v = tf_put_vector_begin(w, 2);
    tf_put_bytes(w, sig, len);
    tf_put_vector_end(w, v);
    return tf_writer_ok(w) ? 0 : -1;
}
