/* ServerHello (RFC 5246 §7.4.1.3): parse and write. */
#include <string.h>

#include "msg.h"
#include "tlsflow/tlsflow.h"

int tf_server_hello_parse(const uint8_t *body, size_t len, tf_server_hello *out, const char **why)
{
    tf_reader r = tf_reader_init(body, len), sid, exts;
    memset(out, 0, sizeof(*out));
    if (!tf_get_u16(&r, &out->version) || !tf_get_copy(&r, out->random, 32) ||
        !tf_get_vector_bounded(&r, 1, 0, 32, &sid) || !tf_get_u16(&r, &out->suite) ||
        !tf_get_u8(&r, &out->compression))
        return *why = "ServerHello: truncated or malformed fixed fields", TLSFLOW_E_DECODE;
    out->session_id = (tf_view){sid.p, sid.len};
    if (r.len == 0)
        return TLSFLOW_OK;
    if (!tf_get_vector(&r, 2, &exts) || !tf_reader_done(&r))
        return *why = "ServerHello: malformed extensions block", TLSFLOW_E_DECODE;
    return tf_ext_parse(&exts, 1, &out->ext, why);
}

int tf_server_hello_write(tf_writer *w, const tf_server_answer *a)
{
    tf_vec exts, ext, list, name;
    tf_put_u16(w, 0x0303);
    tf_put_bytes(w, a->random, 32);
    tf_put_u8(w, 0); /* empty session_id: this server does not resume sessions */
    tf_put_u16(w, a->suite);
    tf_put_u8(w, 0);
    if (!a->ri && !a->ems && !a->alpn && !a->point_formats)
        return tf_writer_ok(w) ? 0 : -1;
    exts = tf_put_vector_begin(w, 2);
    if (a->ri) {
        tf_put_u16(w, TF_EXT_RENEGOTIATION_INFO);
        ext = tf_put_vector_begin(w, 2);
        tf_put_u8(w, 0);
        tf_put_vector_end(w, ext);
    }
    if (a->ems) {
        tf_put_u16(w, TF_EXT_EXTENDED_MASTER_SECRET);
        tf_put_u16(w, 0);
    }
    if (a->alpn) {
        tf_put_u16(w, TF_EXT_ALPN);
        ext = tf_put_vector_begin(w, 2);
        list = tf_put_vector_begin(w, 2);
        name = tf_put_vector_begin(w, 1);
        tf_put_bytes(w, a->alpn, a->alpn_len);
        tf_put_vector_end(w, name);
        tf_put_vector_end(w, list);
        tf_put_vector_end(w, ext);
    }
    if (a->point_formats) { /* RFC 8422 §5.2: we parse uncompressed points only */
        tf_put_u16(w, TF_EXT_EC_POINT_FORMATS);
        ext = tf_put_vector_begin(w, 2);
        list = tf_put_vector_begin(w, 1);
        tf_put_u8(w, TF_POINT_UNCOMPRESSED);
        tf_put_vector_end(w, list);
        tf_put_vector_end(w, ext);
    }
    tf_put_vector_end(w, exts);
    return tf_writer_ok(w) ? 0 : -1;
}
