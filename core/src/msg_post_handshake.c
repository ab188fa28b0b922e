/* TLS 1.3 messages after the handshake (RFC 8446 §4.6): KeyUpdate and NewSessionTicket. */
#include "msg.h"
#include "tlsflow/tlsflow.h"

int tf_key_update_parse(const uint8_t *body, size_t len, int *update_requested, const char **why)
{
    if (len != 1)
        return *why = "KeyUpdate: the body must be one byte", TLSFLOW_E_DECODE;
    if (body[0] > 1)
        return *why = "KeyUpdate: request_update is neither 0 nor 1", TLSFLOW_E_ILLEGAL_PARAMETER;
    *update_requested = body[0];
    return TLSFLOW_OK;
}

int tf_key_update_write(tf_writer *w, int update_requested)
{
    return tf_put_u8(w, (uint8_t)(update_requested != 0)) ? 0 : -1;
}

int tf_new_session_ticket_parse(const uint8_t *body, size_t len, tf_new_session_ticket *out,
                                const char **why)
{
    tf_reader r = tf_reader_init(body, len), nonce, ticket, exts;
    uint16_t hi, lo, ahi, alo;
    if (!tf_get_u16(&r, &hi) || !tf_get_u16(&r, &lo) || !tf_get_u16(&r, &ahi) ||
        !tf_get_u16(&r, &alo) || !tf_get_vector(&r, 1, &nonce) ||
        !tf_get_vector_bounded(&r, 2, 1, 0xffff, &ticket) || !tf_get_vector(&r, 2, &exts) ||
        !tf_reader_done(&r))
        return *why = "NewSessionTicket: malformed", TLSFLOW_E_DECODE;
    out->lifetime = (uint32_t)hi << 16 | lo;
    out->age_add = (uint32_t)ahi << 16 | alo;
    if (out->lifetime > 604800) /* RFC 8446 §4.6.1: at most seven days */
        return *why = "NewSessionTicket: lifetime over seven days", TLSFLOW_E_ILLEGAL_PARAMETER;
    out->nonce = (tf_view){nonce.p, nonce.len};
    out->ticket = (tf_view){ticket.p, ticket.len};
    out->extensions = (tf_view){exts.p, exts.len};
    return TLSFLOW_OK;
}

int tf_new_session_ticket12_parse(const uint8_t *body, size_t len, uint32_t *lifetime,
                                  tf_view *ticket, const char **why)
{
    tf_reader r = tf_reader_init(body, len), t;
    uint16_t hi, lo;
    if (!tf_get_u16(&r, &hi) || !tf_get_u16(&r, &lo) || !tf_get_vector(&r, 2, &t) ||
        !tf_reader_done(&r))
        return *why = "NewSessionTicket: malformed", TLSFLOW_E_DECODE;
    *lifetime = (uint32_t)hi << 16 | lo;
    *ticket = (tf_view){t.p, t.len};
    return TLSFLOW_OK;
}

int tf_new_session_ticket12_write(tf_writer *w, uint32_t lifetime, const uint8_t *ticket,
                                  size_t len)
{
    tf_put_u16(w, (uint16_t)(lifetime >> 16));
    tf_put_u16(w, (uint16_t)lifetime);
    tf_vec v = tf_put_vector_begin(w, 2);
    tf_put_bytes(w, ticket, len);
    tf_put_vector_end(w, v);
    return tf_writer_ok(w) ? 0 : -1;
}

int tf_new_session_ticket_write(tf_writer *w, uint32_t lifetime, uint32_t age_add,
                                const uint8_t *nonce, size_t nonce_len, const uint8_t *ticket,
                                size_t len)
{
    tf_put_u16(w, (uint16_t)(lifetime >> 16));
    tf_put_u16(w, (uint16_t)lifetime);
    tf_put_u16(w, (uint16_t)(age_add >> 16));
    tf_put_u16(w, (uint16_t)age_add);
    tf_vec v = tf_put_vector_begin(w, 1);
    tf_put_bytes(w, nonce, nonce_len);
    tf_put_vector_end(w, v);
    v = tf_put_vector_begin(w, 2);
    tf_put_bytes(w, ticket, len);
    tf_put_vector_end(w, v);
    tf_put_u16(w, 0); /* no extensions (no early data) */
    return tf_writer_ok(w) ? 0 : -1;
}
