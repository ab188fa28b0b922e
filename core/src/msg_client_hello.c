/* ClientHello (RFC 5246 §7.4.1.2): parse and write. */
#include <string.h>

#include "msg.h"
#include "sigalg.h"
#include "tlsflow/tlsflow.h"

int tf_client_hello_parse(const uint8_t *body, size_t len, tf_client_hello *out, const char **why)
{
    tf_reader r = tf_reader_init(body, len), sid, suites, comp, exts;
    memset(out, 0, sizeof(*out));
    if (!tf_get_u16(&r, &out->version) || !tf_get_copy(&r, out->random, 32) ||
        !tf_get_vector_bounded(&r, 1, 0, 32, &sid) ||
        !tf_get_vector_bounded(&r, 2, 2, 0xfffe, &suites) ||
        !tf_get_vector_bounded(&r, 1, 1, 255, &comp))
        return *why = "ClientHello: truncated or malformed fixed fields", TLSFLOW_E_DECODE;
    if (suites.len % 2)
        return *why = "ClientHello: odd cipher_suites length", TLSFLOW_E_DECODE;
    out->session_id = (tf_view){sid.p, sid.len};
    out->suites = (tf_view){suites.p, suites.len};
    out->compressions = (tf_view){comp.p, comp.len};
    if (r.len == 0) /* no extensions block at all is valid */
        return TLSFLOW_OK;
    if (!tf_get_vector(&r, 2, &exts) || !tf_reader_done(&r))
        return *why = "ClientHello: malformed extensions block", TLSFLOW_E_DECODE;
    return tf_ext_parse(&exts, 0, &out->ext, why);
}

static void write_ext_header(tf_writer *w, uint16_t type, tf_vec *v)
{
    tf_put_u16(w, type);
    *v = tf_put_vector_begin(w, 2);
}

/* RFC 8446 §4.2.9, §4.2.11: psk_dhe_ke only, then pre_shared_key, last. The binder covers
 * the hello up to the binders with its final lengths, so those are written first. */
static int put_psk(tf_writer *w, const tf_client_offer *o, tf_vec exts)
{
    tf_vec ext, list, v;
    write_ext_header(w, TF_EXT_PSK_KEY_EXCHANGE_MODES, &ext);
    tf_put_u8(w, 1);
    tf_put_u8(w, 1); /* psk_dhe_ke: the shares stay, and so forward secrecy */
    tf_put_vector_end(w, ext);
    write_ext_header(w, TF_EXT_PRE_SHARED_KEY, &ext);
    list = tf_put_vector_begin(w, 2);
    v = tf_put_vector_begin(w, 2);
    tf_put_bytes(w, o->psk_identity, o->psk_identity_len);
    tf_put_vector_end(w, v);
    tf_put_u16(w, (uint16_t)(o->psk_obfuscated_age >> 16));
    tf_put_u16(w, (uint16_t)o->psk_obfuscated_age);
    tf_put_vector_end(w, list);
    size_t binders = 2 + 1 + o->psk_binder_len;
    if (!tf_writer_ok(w) || w->len + binders > w->cap)
        return -1;
    /* The lengths as they will be: extension, extensions block, message (from byte 0). */
    size_t end = w->len + binders;
    uint8_t *p = w->p;
    p[ext.at] = (uint8_t)((end - ext.at - 2) >> 8);
    p[ext.at + 1] = (uint8_t)(end - ext.at - 2);
    p[exts.at] = (uint8_t)((end - exts.at - 2) >> 8);
    p[exts.at + 1] = (uint8_t)(end - exts.at - 2);
    p[1] = (uint8_t)((end - 4) >> 16);
    p[2] = (uint8_t)((end - 4) >> 8);
    p[3] = (uint8_t)(end - 4);
    uint8_t binder[64];
    if (o->psk_binder_len > sizeof(binder) || o->binder(o->binder_ctx, w->p, w->len, binder))
        return -1;
    list = tf_put_vector_begin(w, 2);
    v = tf_put_vector_begin(w, 1);
    tf_put_bytes(w, binder, o->psk_binder_len);
    tf_put_vector_end(w, v);
    tf_put_vector_end(w, list);
    tf_put_vector_end(w, ext);
    return tf_writer_ok(w) ? 0 : -1;
}

int tf_client_hello_write(tf_writer *w, const tf_client_offer *o)
{
    tf_vec v, exts, ext, inner;
    tf_put_u16(w, 0x0303); /* legacy_version; TLS 1.3 goes in supported_versions */
    tf_put_bytes(w, o->random, 32);
    v = tf_put_vector_begin(w, 1); /* no session to resume, or a compatibility id */
    if (o->session_id)
        tf_put_bytes(w, o->session_id, o->session_id_len);
    tf_put_vector_end(w, v);
    v = tf_put_vector_begin(w, 2);
    for (size_t i = 0; i < o->n_suites; i++)
        tf_put_u16(w, o->suites[i]);
    tf_put_vector_end(w, v);
    tf_put_u8(w, 1);
    tf_put_u8(w, 0); /* null compression only */

    exts = tf_put_vector_begin(w, 2);
    if (o->sni) {
        size_t n = strlen(o->sni);
        write_ext_header(w, TF_EXT_SERVER_NAME, &ext);
        inner = tf_put_vector_begin(w, 2);
        tf_put_u8(w, 0); /* host_name */
        tf_put_u16(w, (uint16_t)n);
        tf_put_bytes(w, o->sni, n);
        tf_put_vector_end(w, inner);
        tf_put_vector_end(w, ext);
    }
    if (o->ems) {
        write_ext_header(w, TF_EXT_EXTENDED_MASTER_SECRET, &ext);
        tf_put_vector_end(w, ext);
    }
    write_ext_header(w, TF_EXT_RENEGOTIATION_INFO, &ext);
    tf_put_u8(w, 0); /* initial handshake: empty renegotiated_connection */
    tf_put_vector_end(w, ext);
    write_ext_header(w, TF_EXT_SIGNATURE_ALGORITHMS, &ext);
    inner = tf_put_vector_begin(w, 2);
    for (size_t i = 0; o->sig_algs && i < o->n_sig_algs; i++)
        tf_put_u16(w, o->sig_algs[i]);
    for (size_t i = 0; !o->sig_algs && i < tf_sig_scheme_count(); i++)
        tf_put_u16(w, tf_sig_scheme_at(i)->id);
    tf_put_vector_end(w, inner);
    tf_put_vector_end(w, ext);
    if (o->groups) {
        /* RFC 8422 §4: only with ECC suites; points only uncompressed (§5.1.2). */
        write_ext_header(w, TF_EXT_SUPPORTED_GROUPS, &ext);
        inner = tf_put_vector_begin(w, 2);
        for (size_t i = 0; i < o->n_groups; i++)
            tf_put_u16(w, o->groups[i]);
        tf_put_vector_end(w, inner);
        tf_put_vector_end(w, ext);
        if (o->point_formats) {
            write_ext_header(w, TF_EXT_EC_POINT_FORMATS, &ext);
            inner = tf_put_vector_begin(w, 1);
            tf_put_u8(w, TF_POINT_UNCOMPRESSED);
            tf_put_vector_end(w, inner);
            tf_put_vector_end(w, ext);
        }
    }
    if (o->versions) {
        write_ext_header(w, TF_EXT_SUPPORTED_VERSIONS, &ext);
        inner = tf_put_vector_begin(w, 1);
        for (size_t i = 0; i < o->n_versions; i++)
            tf_put_u16(w, o->versions[i]);
        tf_put_vector_end(w, inner);
        tf_put_vector_end(w, ext);
    }
    if (o->share_group) {
        write_ext_header(w, TF_EXT_KEY_SHARE, &ext);
        inner = tf_put_vector_begin(w, 2);
        tf_put_u16(w, o->share_group);
        tf_vec key = tf_put_vector_begin(w, 2);
        tf_put_bytes(w, o->share, o->share_len);
        tf_put_vector_end(w, key);
        tf_put_vector_end(w, inner);
        tf_put_vector_end(w, ext);
    }
    if (o->cookie) {
        write_ext_header(w, TF_EXT_COOKIE, &ext);
        inner = tf_put_vector_begin(w, 2);
        tf_put_bytes(w, o->cookie, o->cookie_len);
        tf_put_vector_end(w, inner);
        tf_put_vector_end(w, ext);
    }
    if (o->record_size_limit) {
        write_ext_header(w, TF_EXT_RECORD_SIZE_LIMIT, &ext);
        tf_put_u16(w, o->record_size_limit);
        tf_put_vector_end(w, ext);
    }
    if (o->session_ticket) {
        write_ext_header(w, TF_EXT_SESSION_TICKET, &ext);
        tf_put_bytes(w, o->ticket, o->ticket_len);
        tf_put_vector_end(w, ext);
    }
    if (o->psk_identity && put_psk(w, o, exts))
        return -1;
    if (o->alpn) {
        write_ext_header(w, TF_EXT_ALPN, &ext);
        inner = tf_put_vector_begin(w, 2);
        tf_put_bytes(w, o->alpn, o->alpn_len);
        tf_put_vector_end(w, inner);
        tf_put_vector_end(w, ext);
    }
    tf_put_vector_end(w, exts);
    return tf_writer_ok(w) ? 0 : -1;
}
