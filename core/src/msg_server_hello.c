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
    out->hrr = memcmp(out->random, TF_HRR_RANDOM, 32) == 0;
    if (r.len == 0)
        return TLSFLOW_OK;
    if (!tf_get_vector(&r, 2, &exts) || !tf_reader_done(&r))
        return *why = "ServerHello: malformed extensions block", TLSFLOW_E_DECODE;
    return tf_ext_parse(&exts, out->hrr ? TF_EXT_CTX_HRR : TF_EXT_CTX_SH, &out->ext, why);
}

/* TLS 1.3 (RFC 8446 §4.1.3, §4.1.4): legacy fields, then supported_versions and key_share
 * (a share, or in a HelloRetryRequest the group the client must use). */
static int server_hello13_write(tf_writer *w, const tf_server_answer *a)
{
    tf_vec v, exts, ext;
    tf_put_u16(w, 0x0303);
    tf_put_bytes(w, a->hrr ? (const uint8_t *)TF_HRR_RANDOM : a->random, 32);
    v = tf_put_vector_begin(w, 1);
    if (a->session_id)
        tf_put_bytes(w, a->session_id, a->session_id_len);
    tf_put_vector_end(w, v);
    tf_put_u16(w, a->suite);
    tf_put_u8(w, 0);
    exts = tf_put_vector_begin(w, 2);
    tf_put_u16(w, TF_EXT_SUPPORTED_VERSIONS);
    tf_put_u16(w, 2);
    tf_put_u16(w, 0x0304);
    tf_put_u16(w, TF_EXT_KEY_SHARE);
    ext = tf_put_vector_begin(w, 2);
    tf_put_u16(w, a->share_group);
    if (!a->hrr) {
        v = tf_put_vector_begin(w, 2);
        tf_put_bytes(w, a->share, a->share_len);
        tf_put_vector_end(w, v);
    }
    tf_put_vector_end(w, ext);
    if (a->psk) { /* the one identity we take is the first (RFC 8446 §4.2.11) */
        tf_put_u16(w, TF_EXT_PRE_SHARED_KEY);
        tf_put_u16(w, 2);
        tf_put_u16(w, 0);
    }
    tf_put_vector_end(w, exts);
    return tf_writer_ok(w) ? 0 : -1;
}

int tf_server_hello_write(tf_writer *w, const tf_server_answer *a)
{
    if (a->tls13)
        return server_hello13_write(w, a);
    tf_vec exts, ext, list, name;
    tf_put_u16(w, 0x0303);
    tf_put_bytes(w, a->random, 32);
    /* session_id: empty, or on resumption the client's echoed (RFC 5077 §3.4) */
    tf_vec sid = tf_put_vector_begin(w, 1);
    if (a->session_id)
        tf_put_bytes(w, a->session_id, a->session_id_len);
    tf_put_vector_end(w, sid);
    tf_put_u16(w, a->suite);
    tf_put_u8(w, 0);
    if (!a->ri && !a->ems && !a->alpn && !a->point_formats && !a->record_size_limit &&
        !a->session_ticket)
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
    if (a->session_ticket) {
        tf_put_u16(w, TF_EXT_SESSION_TICKET);
        tf_put_u16(w, 0);
    }
    if (a->record_size_limit) {
        tf_put_u16(w, TF_EXT_RECORD_SIZE_LIMIT);
        tf_put_u16(w, 2);
        tf_put_u16(w, a->record_size_limit);
    }
    tf_put_vector_end(w, exts);
    return tf_writer_ok(w) ? 0 : -1;
}
