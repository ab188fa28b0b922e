/* CertificateRequest (RFC 5246 §7.4.4, RFC 8446 §4.3.2): parsed for validity only. We have
 * no client certificate to offer, so its contents never change what we send. */
#include "msg.h"
#include "tlsflow/tlsflow.h"

int tf_certificate_request_parse(const uint8_t *body, size_t len, const char **why)
{
    tf_reader r = tf_reader_init(body, len), types, algs, cas, dn;
    if (!tf_get_vector_bounded(&r, 1, 1, 255, &types) ||
        !tf_get_vector_bounded(&r, 2, 2, 0xfffe, &algs) || algs.len % 2 ||
        !tf_get_vector(&r, 2, &cas) || !tf_reader_done(&r))
        return *why = "CertificateRequest: malformed", TLSFLOW_E_DECODE;
    while (cas.len)
        if (!tf_get_vector_bounded(&cas, 2, 1, 0xffff, &dn))
            return *why = "CertificateRequest: malformed certificate_authorities", TLSFLOW_E_DECODE;
    return TLSFLOW_OK;
}

int tf_certificate_request13_parse(const uint8_t *body, size_t len, tf_certificate_request13 *out,
                                   const char **why)
{
    tf_reader r = tf_reader_init(body, len), ctx, exts;
    if (!tf_get_vector(&r, 1, &ctx) || !tf_get_vector(&r, 2, &exts) || !tf_reader_done(&r))
        return *why = "CertificateRequest: malformed", TLSFLOW_E_DECODE;
    out->context = (tf_view){ctx.p, ctx.len};
    /* The extensions are those a ClientHello may carry (signature_algorithms first). */
    int err = tf_ext_parse(&exts, TF_EXT_CTX_CH, &out->ext, why);
    if (err)
        return err;
    if (!out->ext.sig_algs)
        return *why = "CertificateRequest: no signature_algorithms", TLSFLOW_E_MISSING_EXTENSION;
    return TLSFLOW_OK;
}
