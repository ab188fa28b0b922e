/* Certificate (RFC 5246 §7.4.2): a u24 list of u24 DER certificates, leaf first. */
#include <string.h>

#include "msg.h"
#include "tlsflow/tlsflow.h"

int tf_certificate_parse(const uint8_t *body, size_t len, tf_certificate *out, const char **why)
{
    tf_reader r = tf_reader_init(body, len), list, cert;
    memset(out, 0, sizeof(*out));
    if (!tf_get_vector(&r, 3, &list) || !tf_reader_done(&r))
        return *why = "Certificate: malformed certificate_list", TLSFLOW_E_DECODE;
    while (list.len) {
        if (!tf_get_vector_bounded(&list, 3, 1, 0xffffff, &cert))
            return *why = "Certificate: malformed or empty certificate entry", TLSFLOW_E_DECODE;
        if (out->n_certs == TF_CERT_LIST_MAX)
            return *why = "Certificate: chain longer than 10 certificates", TLSFLOW_E_CERT_BAD;
        out->certs[out->n_certs++] = (tf_view){cert.p, cert.len};
    }
    return TLSFLOW_OK;
}

int tf_certificate_write(tf_writer *w, const uint8_t *const *certs, const size_t *lens, size_t n)
{
    tf_vec list = tf_put_vector_begin(w, 3);
    for (size_t i = 0; i < n; i++) {
        tf_put_u24(w, (uint32_t)lens[i]);
        tf_put_bytes(w, certs[i], lens[i]);
    }
    tf_put_vector_end(w, list);
    return tf_writer_ok(w) ? 0 : -1;
}

/* TLS 1.3 (RFC 8446 §4.4.2): a request context, then entries of a certificate and its
 * extensions (we send none and ignore those we get). */
int tf_certificate13_parse(const uint8_t *body, size_t len, tf_certificate13 *out, const char **why)
{
    tf_reader r = tf_reader_init(body, len), ctx, list, cert, exts;
    memset(out, 0, sizeof(*out));
    if (!tf_get_vector(&r, 1, &ctx) || !tf_get_vector(&r, 3, &list) || !tf_reader_done(&r))
        return *why = "Certificate: malformed", TLSFLOW_E_DECODE;
    out->context = (tf_view){ctx.p, ctx.len};
    while (list.len) {
        if (!tf_get_vector_bounded(&list, 3, 1, 0xffffff, &cert) || !tf_get_vector(&list, 2, &exts))
            return *why = "Certificate: malformed entry", TLSFLOW_E_DECODE;
        if (out->n_certs == TF_CERT_LIST_MAX)
            return *why = "Certificate: chain longer than 10 certificates", TLSFLOW_E_CERT_BAD;
        while (exts.len) { /* well formed, else ignored */
            uint16_t type;
            tf_reader ext;
            if (!tf_get_u16(&exts, &type) || !tf_get_vector(&exts, 2, &ext))
                return *why = "Certificate: malformed entry extensions", TLSFLOW_E_DECODE;
        }
        out->certs[out->n_certs++] = (tf_view){cert.p, cert.len};
    }
    return TLSFLOW_OK;
}

int tf_certificate13_write(tf_writer *w, const uint8_t *const *certs, const size_t *lens, size_t n)
{
    return tf_certificate13_write_ctx(w, NULL, 0, certs, lens, n);
}

int tf_certificate13_write_ctx(tf_writer *w, const uint8_t *ctx, size_t ctx_len,
                               const uint8_t *const *certs, const size_t *lens, size_t n)
{
    tf_vec c = tf_put_vector_begin(w, 1); /* certificate_request_context */
    if (ctx_len)
        tf_put_bytes(w, ctx, ctx_len);
    tf_put_vector_end(w, c);
    tf_vec list = tf_put_vector_begin(w, 3);
    for (size_t i = 0; i < n; i++) {
        tf_put_u24(w, (uint32_t)lens[i]);
        tf_put_bytes(w, certs[i], lens[i]);
        tf_put_u16(w, 0); /* no extensions */
    }
    tf_put_vector_end(w, list);
    return tf_writer_ok(w) ? 0 : -1;
}
