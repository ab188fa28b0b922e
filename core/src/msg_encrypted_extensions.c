/* EncryptedExtensions (RFC 8446 §4.3.1): the server's answers that need no key exchange,
 * sent under the handshake keys. */
#include "msg.h"
#include "tlsflow/tlsflow.h"

int tf_encrypted_extensions_parse(const uint8_t *body, size_t len, tf_hello_exts *out,
                                  const char **why)
{
    tf_reader r = tf_reader_init(body, len), exts;
    if (!tf_get_vector(&r, 2, &exts) || !tf_reader_done(&r))
        return *why = "EncryptedExtensions: malformed", TLSFLOW_E_DECODE;
    return tf_ext_parse(&exts, TF_EXT_CTX_EE, out, why);
}

int tf_encrypted_extensions_write(tf_writer *w, const tf_encrypted_extensions *e)
{
    tf_vec exts = tf_put_vector_begin(w, 2), ext, list, name;
    if (e->sni_ack) { /* RFC 6066 §3: empty, the name was used */
        tf_put_u16(w, TF_EXT_SERVER_NAME);
        tf_put_u16(w, 0);
    }
    if (e->alpn) {
        tf_put_u16(w, TF_EXT_ALPN);
        ext = tf_put_vector_begin(w, 2);
        list = tf_put_vector_begin(w, 2);
        name = tf_put_vector_begin(w, 1);
        tf_put_bytes(w, e->alpn, e->alpn_len);
        tf_put_vector_end(w, name);
        tf_put_vector_end(w, list);
        tf_put_vector_end(w, ext);
    }
    if (e->record_size_limit) {
        tf_put_u16(w, TF_EXT_RECORD_SIZE_LIMIT);
        tf_put_u16(w, 2);
        tf_put_u16(w, e->record_size_limit);
    }
    tf_put_vector_end(w, exts);
    return tf_writer_ok(w) ? 0 : -1;
}
