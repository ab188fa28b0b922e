/* Session resumption state (see session.h): one encoding for what a server's ticket seals
 * and for what a client exports; tickets sealed with AES-256-GCM under the configuration's
 * keys (name || nonce || ciphertext || tag, the name and nonce authenticated). */
#include "session.h"

#include <string.h>

#define SESSION_MAGIC "TFS1" /* an exported client session, format 1 */

int tf_session_write(tf_writer *w, const tf_session *s, int client)
{
    tf_put_u16(w, s->version);
    tf_put_u16(w, s->suite);
    tf_put_u16(w, (uint16_t)((uint64_t)s->created >> 48));
    tf_put_u16(w, (uint16_t)((uint64_t)s->created >> 32));
    tf_put_u16(w, (uint16_t)((uint64_t)s->created >> 16));
    tf_put_u16(w, (uint16_t)(uint64_t)s->created);
    tf_put_u16(w, (uint16_t)(s->lifetime >> 16));
    tf_put_u16(w, (uint16_t)s->lifetime);
    tf_put_u16(w, (uint16_t)(s->age_add >> 16));
    tf_put_u16(w, (uint16_t)s->age_add);
    tf_put_u8(w, (uint8_t)(s->ems != 0));
    tf_vec v = tf_put_vector_begin(w, 1);
    tf_put_bytes(w, s->secret, s->secret_len);
    tf_put_vector_end(w, v);
    v = tf_put_vector_begin(w, 1);
    tf_put_bytes(w, s->sni.p, s->sni.len);
    tf_put_vector_end(w, v);
    v = tf_put_vector_begin(w, 1);
    tf_put_bytes(w, s->alpn.p, s->alpn.len);
    tf_put_vector_end(w, v);
    if (client) {
        v = tf_put_vector_begin(w, 2);
        tf_put_bytes(w, s->ticket.p, s->ticket.len);
        tf_put_vector_end(w, v);
        v = tf_put_vector_begin(w, 2);
        tf_put_bytes(w, s->leaf.p, s->leaf.len);
        tf_put_vector_end(w, v);
    }
    return tf_writer_ok(w) ? 0 : -1;
}

int tf_session_read(tf_reader *r, tf_session *s, int client)
{
    uint16_t t[8];
    uint8_t ems = 0;
    tf_reader secret, sni, alpn, ticket, leaf;
    memset(s, 0, sizeof(*s));
    for (int i = 0; i < 2; i++)
        tf_get_u16(r, i == 0 ? &s->version : &s->suite);
    for (int i = 0; i < 8; i++)
        tf_get_u16(r, &t[i]);
    tf_get_u8(r, &ems);
    if (!tf_get_vector_bounded(r, 1, 32, 48, &secret) || !tf_get_vector(r, 1, &sni) ||
        !tf_get_vector(r, 1, &alpn))
        return -1;
    if (client && (!tf_get_vector_bounded(r, 2, 1, TF_MAX_TICKET, &ticket) ||
                   !tf_get_vector_bounded(r, 2, 0, TF_MAX_LEAF, &leaf)))
        return -1;
    if (!tf_reader_done(r) || ems > 1)
        return -1;
    s->created =
        (int64_t)((uint64_t)t[0] << 48 | (uint64_t)t[1] << 32 | (uint64_t)t[2] << 16 | t[3]);
    s->lifetime = (uint32_t)t[4] << 16 | t[5];
    s->age_add = (uint32_t)t[6] << 16 | t[7];
    s->ems = ems;
    memcpy(s->secret, secret.p, secret.len);
    s->secret_len = secret.len;
    s->sni = (tf_view){sni.p, sni.len};
    s->alpn = (tf_view){alpn.p, alpn.len};
    if (client) {
        s->ticket = (tf_view){ticket.p, ticket.len};
        s->leaf = (tf_view){leaf.p, leaf.len};
    }
    return 0;
}

int tf_session_fresh(const tf_session *s, int64_t now)
{
    /* created may come from imported bytes and now from any clock: the distance between
     * them, taken without signed overflow. Up to 60 s in the future still counts. */
    if (now < s->created)
        return (uint64_t)s->created - (uint64_t)now <= 60;
    return (uint64_t)now - (uint64_t)s->created < s->lifetime;
}

/* ---- tickets ------------------------------------------------------------------------- */

#define TICKET_NAME  16
#define TICKET_NONCE 12

size_t tf_ticket_seal(tlsflow_conn *c, const tf_session *s, uint8_t *out, size_t cap)
{
    const tlsflow_ticket_key *k = &c->cfg->ticket_keys[0];
    if (cap < TICKET_NAME + TICKET_NONCE + TF_AEAD_TAG)
        return 0;
    memcpy(out, k->name, TICKET_NAME);
    if (tf_random(c, out + TICKET_NAME, TICKET_NONCE))
        return 0;
    uint8_t *body = out + TICKET_NAME + TICKET_NONCE;
    tf_writer w = tf_writer_init(body, cap - TICKET_NAME - TICKET_NONCE - TF_AEAD_TAG);
    if (tf_session_write(&w, s, 0))
        return 0;
    tf_aead a;
    int err = tf_aead_setup(&a, TF_AEAD_AES_GCM, k->key, sizeof(k->key)) ||
              tf_aead_seal(&a, out + TICKET_NAME, out, TICKET_NAME + TICKET_NONCE, body, w.len,
                           body, body + w.len);
    tf_aead_free(&a);
    return err ? 0 : TICKET_NAME + TICKET_NONCE + w.len + TF_AEAD_TAG;
}

int tf_ticket_open(const tlsflow_config *cfg, const uint8_t *ticket, size_t len, tf_session *s,
                   uint8_t *scratch, size_t cap)
{
    if (len < TICKET_NAME + TICKET_NONCE + TF_AEAD_TAG ||
        len - TICKET_NAME - TICKET_NONCE - TF_AEAD_TAG > cap)
        return -1;
    for (size_t i = 0; i < cfg->n_ticket_keys; i++) {
        const tlsflow_ticket_key *k = &cfg->ticket_keys[i];
        if (memcmp(k->name, ticket, TICKET_NAME) != 0)
            continue;
        size_t n = len - TICKET_NAME - TICKET_NONCE - TF_AEAD_TAG;
        const uint8_t *ct = ticket + TICKET_NAME + TICKET_NONCE;
        tf_aead a;
        int err = tf_aead_setup(&a, TF_AEAD_AES_GCM, k->key, sizeof(k->key)) ||
                  tf_aead_open(&a, ticket + TICKET_NAME, ticket, TICKET_NAME + TICKET_NONCE, ct, n,
                               ct + n, scratch);
        tf_aead_free(&a);
        tf_reader r = tf_reader_init(scratch, n);
        return err || tf_session_read(&r, s, 0) ? -1 : 0;
    }
    return -1;
}

/* ---- client sessions ------------------------------------------------------------------ */

int tf_session_keep(tlsflow_conn *c, const tf_session *s)
{
    tf_handshake *hs = c->hs;
    tf_writer w = tf_writer_init(hs->session, sizeof(hs->session));
    tf_put_bytes(&w, SESSION_MAGIC, 4);
    int failed = tf_session_write(&w, s, 1);
    tf_note_high_water(&c->work->session_hw, failed ? sizeof(hs->session) : w.len);
    if (failed) {
        hs->session_len = 0;
        return 0; /* too large to keep (a giant ticket): no session, nothing breaks */
    }
    hs->session_len = w.len;
    if (c->cfg->session_cb)
        c->cfg->session_cb(c->cfg->session_ctx, c, hs->session, hs->session_len);
    return 0;
}

int tlsflow_session_export(const tlsflow_conn *c, uint8_t *out, size_t cap, size_t *len)
{
    if (!c || !len || c->role != TLSFLOW_CLIENT || !c->hs || !c->hs->session_len ||
        c->hs->offer_session)
        return TLSFLOW_E_USAGE;
    *len = c->hs->session_len;
    if (!out)
        return TLSFLOW_OK;
    if (cap < c->hs->session_len)
        return TLSFLOW_E_USAGE;
    memcpy(out, c->hs->session, c->hs->session_len);
    return TLSFLOW_OK;
}

int tlsflow_session_import(tlsflow_conn *c, const uint8_t *session, size_t len)
{
    if (!c || !session || c->role != TLSFLOW_CLIENT || c->started || !c->hs ||
        len > sizeof(c->hs->session) || len < 4 || memcmp(session, SESSION_MAGIC, 4) != 0)
        return TLSFLOW_E_USAGE;
    tf_session s;
    tf_reader r = tf_reader_init(session + 4, len - 4);
    const tf_suite *suite;
    if (tf_session_read(&r, &s, 1) || !(suite = tf_suite_find(s.suite)) ||
        (s.version != TF_TLS12 && s.version != TF_TLS13) ||
        (s.version == TF_TLS13) != TF_SUITE_IS_TLS13(suite))
        return TLSFLOW_E_USAGE;
    /* Offered only to the name it was made with (RFC 8446 §4.6.1, RFC 5077 §4). */
    if (s.sni.len != strlen(c->cfg->server_name) ||
        memcmp(s.sni.p, c->cfg->server_name, s.sni.len) != 0)
        return TLSFLOW_E_USAGE;
    if (!tf_session_fresh(&s, c->cfg->time(c->cfg->time_ctx)))
        return 0;
    memcpy(c->hs->session, session, len);
    tf_note_high_water(&c->work->session_hw, len);
    c->hs->session_len = len;
    c->hs->offer_session = 1;
    return 1;
}

/* The offered session, parsed again (its views point into hs->session). */
int tf_session_offered(const tlsflow_conn *c, tf_session *s)
{
    if (!c->hs->offer_session)
        return -1;
    tf_reader r = tf_reader_init(c->hs->session + 4, c->hs->session_len - 4);
    return tf_session_read(&r, s, 1);
}
