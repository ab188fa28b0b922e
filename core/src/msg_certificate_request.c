/* CertificateRequest (RFC 5246 §7.4.4, RFC 8446 §4.3.2): parsed for validity only. We have
 * no client certificate to offer, so its contents never change what we send. */
#include <string.h>

#include "msg.h"
#include "tlsflow/tlsflow.h"

/* A u16-prefixed list of u16-prefixed, non-empty DistinguishedNames. */
static int names_ok(tf_reader cas)
{
    tf_reader dn;
    while (cas.len)
        if (!tf_get_vector_bounded(&cas, 2, 1, 0xffff, &dn))
            return 0;
    return 1;
}

int tf_names_contain(const tf_view *list, const uint8_t *name, size_t len)
{
    tf_reader r = tf_reader_init(list->p, list->len), dn;
    while (r.len && tf_get_vector(&r, 2, &dn))
        if (dn.len == len && memcmp(dn.p, name, len) == 0)
            return 1;
    return 0;
}

int tf_certificate_request_parse(const uint8_t *body, size_t len, tf_certificate_request *out,
                                 const char **why)
{
    tf_reader r = tf_reader_init(body, len), types, algs, cas;
    if (!tf_get_vector_bounded(&r, 1, 1, 255, &types) ||
        !tf_get_vector_bounded(&r, 2, 2, 0xfffe, &algs) || algs.len % 2 ||
        !tf_get_vector(&r, 2, &cas) || !tf_reader_done(&r))
        return *why = "CertificateRequest: malformed", TLSFLOW_E_DECODE;
    if (!names_ok(cas))
        return *why = "CertificateRequest: malformed certificate_authorities", TLSFLOW_E_DECODE;
    out->types = (tf_view){types.p, types.len};
    out->sig_algs = (tf_view){algs.p, algs.len};
    out->cas = (tf_view){cas.p, cas.len};
    return TLSFLOW_OK;
}

static void put_names(tf_writer *w, const tf_cert_request_out *r)
{
    tf_vec list = tf_put_vector_begin(w, 2);
    for (size_t i = 0; i < r->n_names; i++) {
        tf_vec dn = tf_put_vector_begin(w, 2);
        tf_put_bytes(w, r->names[i], r->name_lens[i]);
        tf_put_vector_end(w, dn);
    }
    tf_put_vector_end(w, list);
}

static void put_schemes(tf_writer *w, const tf_cert_request_out *r)
{
    tf_vec list = tf_put_vector_begin(w, 2);
    for (size_t i = 0; i < r->n_schemes; i++)
        tf_put_u16(w, r->schemes[i]);
    tf_put_vector_end(w, list);
}

int tf_certificate_request_write(tf_writer *w, const tf_cert_request_out *r)
{
    tf_vec types = tf_put_vector_begin(w, 1);
    tf_put_u8(w, 1);  /* rsa_sign */
    tf_put_u8(w, 64); /* ecdsa_sign (RFC 8422 §5.5) */
    tf_put_vector_end(w, types);
    put_schemes(w, r);
    put_names(w, r);
    return tf_writer_ok(w) ? 0 : -1;
}

/* RFC 8446 §4.3.2: an empty context, signature_algorithms, certificate_authorities. */
int tf_certificate_request13_write(tf_writer *w, const tf_cert_request_out *r)
{
    tf_put_u8(w, 0);
    tf_vec exts = tf_put_vector_begin(w, 2), ext;
    tf_put_u16(w, TF_EXT_SIGNATURE_ALGORITHMS);
    ext = tf_put_vector_begin(w, 2);
    put_schemes(w, r);
    tf_put_vector_end(w, ext);
    if (r->n_names) {
        tf_put_u16(w, TF_EXT_CERTIFICATE_AUTHORITIES);
        ext = tf_put_vector_begin(w, 2);
        put_names(w, r);
        tf_put_vector_end(w, ext);
    }
    tf_put_vector_end(w, exts);
    return tf_writer_ok(w) ? 0 : -1;
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
