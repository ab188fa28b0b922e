/* TLS 1.3 resumption (RFC 8446 §2.2, §4.2.11, §4.6.1), both roles: tickets after the
 * handshake (server), sessions from them (client), a PSK offered with its binder, and the
 * server's checks before it takes one (binder, ticket age, lifetime, name). psk_dhe_ke
 * only: a resumed handshake still makes a fresh (EC)DHE secret. */
#include <string.h>

#include "handshake.h"
#include "keys.h"
#include "keys13.h"
#include "msg.h"
#include "peer_cert.h"
#include "session.h"

#define AGE_WINDOW_MS 10000 /* how far the client's idea of the ticket's age may stray */

/* binder = HMAC(finished key of Derive-Secret(early secret of psk, "res binder", ""),
 * Transcript-Hash(truncated ClientHello)) */
static int binder(tf_hash_alg alg, const uint8_t *psk, size_t psk_len, const uint8_t *hash,
                  uint8_t *out)
{
    uint8_t early[TF_MAX_HASH], key[TF_MAX_HASH];
    int ret = tf13_early_secret(alg, psk, psk_len, early) ||
              tf13_derive_secret(alg, early, "res binder", NULL, key) ||
              tf13_finished(alg, key, hash, out);
    tf_wipe(early, sizeof(early));
    tf_wipe(key, sizeof(key));
    return ret ? -1 : 0;
}

int tf13_resumption_secret(tlsflow_conn *c)
{
    uint8_t hash[TF_MAX_HASH];
    tf_hash_alg alg = c->hs->suite->prf_hash;
    return !tf_transcript_hash(c, hash) ||
                   tf13_derive_secret(alg, c->hs->secret13, "res master", hash, c->res_secret)
               ? -1
               : 0;
}

/* The PSK of a ticket: HKDF-Expand-Label(resumption_master_secret, "resumption", nonce). */
static int ticket_psk(const tlsflow_conn *c, uint8_t nonce, uint8_t *out)
{
    tf_hash_alg alg = c->suite->prf_hash;
    return tf_hkdf_expand_label(alg, c->res_secret, "resumption", &nonce, 1, out, tf_hash_len(alg));
}

/* ---- server ---------------------------------------------------------------------------- */

static int fill_ticket(tf_writer *w, void *arg)
{
    const uint8_t *const *p = arg;
    const tf_session *s = (const tf_session *)p[0];
    const uint8_t *nonce = p[1], *ticket = p[2];
    size_t len = (size_t)(p[3] - p[2]);
    return tf_new_session_ticket_write(w, s->lifetime, s->age_add, nonce, 1, ticket, len);
}

int tf13_send_tickets(tlsflow_conn *c)
{
    const tlsflow_config *cfg = c->cfg;
    if (!cfg->n_ticket_keys || cfg->client_auth)
        return 0;
    for (unsigned i = 0; i < cfg->ticket_count; i++) {
        uint8_t nonce = c->tickets_seen++, ticket[TF_MAX_TICKET], rnd[4];
        tf_session s;
        memset(&s, 0, sizeof(s));
        if (tf_random(c, rnd, sizeof(rnd)))
            return tf_fail(c, TLSFLOW_E_INTERNAL, "random source failed");
        s.version = TF_TLS13;
        s.suite = c->suite->id;
        s.created = cfg->time(cfg->time_ctx);
        s.lifetime = cfg->ticket_lifetime;
        s.age_add =
            (uint32_t)rnd[0] << 24 | (uint32_t)rnd[1] << 16 | (uint32_t)rnd[2] << 8 | rnd[3];
        s.secret_len = tf_hash_len(c->suite->prf_hash);
        s.sni = (tf_view){(const uint8_t *)c->info.server_name, strlen(c->info.server_name)};
        s.alpn = (tf_view){(const uint8_t *)c->info.alpn, strlen(c->info.alpn)};
        if (ticket_psk(c, nonce, s.secret))
            return tf_fail(c, TLSFLOW_E_INTERNAL, "could not derive a ticket's key");
        size_t n = tf_ticket_seal(c, &s, ticket, sizeof(ticket));
        tf_wipe(s.secret, sizeof(s.secret));
        const uint8_t *parts[4] = {(const uint8_t *)&s, &nonce, ticket, ticket + n};
        if (!n || tf_queue_post_handshake(c, TF_HS_NEW_SESSION_TICKET, fill_ticket, parts))
            return c->error ? c->error : tf_fail(c, TLSFLOW_E_INTERNAL, "could not seal a ticket");
        tf_tracef(c, TLSFLOW_STEP_SESSION_TICKET_SENT,
                  "NewSessionTicket: a %zu-byte ticket, valid %u s", n, s.lifetime);
    }
    return 0;
}

static int psk_dhe_offered(const tf_client_hello *ch)
{
    return ch->ext.psk_modes && memchr(ch->ext.psk_modes_list.p, 1, ch->ext.psk_modes_list.len);
}

int tf13_server_resume(tlsflow_conn *c, const void *client_hello, const uint8_t *body, size_t len)
{
    const tf_client_hello *ch = client_hello;
    const tlsflow_config *cfg = c->cfg;
    tf_handshake *hs = c->hs;
    if (!cfg->n_ticket_keys || cfg->client_auth || !ch->ext.psk || !psk_dhe_offered(ch))
        return 0;
    /* The first identity only (the one a client offering its latest ticket puts first). */
    tf_reader ids = tf_reader_init(ch->ext.psk_identities.p, ch->ext.psk_identities.len), id;
    tf_reader binders = tf_reader_init(ch->ext.psk_binders.p, ch->ext.psk_binders.len), b;
    uint16_t hi, lo;
    tf_get_vector(&ids, 2, &id);
    tf_get_u16(&ids, &hi);
    tf_get_u16(&ids, &lo);
    tf_get_vector(&binders, 1, &b);
    uint8_t scratch[TF_MAX_TICKET];
    tf_session s;
    tf_hash_alg alg = hs->suite->prf_hash;
    int64_t now = cfg->time(cfg->time_ctx);
    const tf_suite *ts;
    if (tf_ticket_open(cfg, id.p, id.len, &s, scratch, sizeof(scratch)) || s.version != TF_TLS13 ||
        !(ts = tf_suite_find(s.suite)) || ts->prf_hash != alg || !tf_session_fresh(&s, now) ||
        s.secret_len != tf_hash_len(alg) || s.sni.len != strlen(c->info.server_name) ||
        memcmp(s.sni.p, c->info.server_name, s.sni.len) != 0)
        return 0;
    /* RFC 8446 §8.3: the ticket's age as the client sees it, near ours. */
    uint32_t client_ms = ((uint32_t)hi << 16 | lo) - s.age_add;
    int64_t ours_ms = (now - s.created) * 1000;
    if ((int64_t)client_ms > ours_ms + 1000 + AGE_WINDOW_MS ||
        (int64_t)client_ms + AGE_WINDOW_MS < ours_ms)
        return 0;
    /* The binder, over the hello up to the binders (header with its full length). */
    uint8_t header[4] = {TF_HS_CLIENT_HELLO, (uint8_t)(len >> 16), (uint8_t)(len >> 8),
                         (uint8_t)len};
    uint8_t hash[TF_MAX_HASH], want[TF_MAX_HASH];
    tf_hash h;
    size_t prefix = (size_t)(ch->ext.psk_binders_at - body);
    int bad = tf_hash_init(&h, alg) || tf_hash_update(&h, header, 4) ||
              tf_hash_update(&h, body, prefix) || tf_hash_peek(&h, hash) ||
              binder(alg, s.secret, s.secret_len, hash, want);
    tf_hash_free(&h);
    if (bad)
        return tf_fail(c, TLSFLOW_E_INTERNAL, "could not compute a PSK binder");
    if (b.len != tf_hash_len(alg) || !tf_ct_equal(want, b.p, b.len))
        return tf_fail(c, TLSFLOW_E_BAD_FINISHED, "the PSK binder does not verify");
    memcpy(hs->psk, s.secret, s.secret_len);
    hs->psk_len = s.secret_len;
    tf_wipe(s.secret, sizeof(s.secret));
    hs->resuming = 1;
    hs->flow = tf_kx_find(TF_KX_TLS13)->flow_resume;
    c->info.resumed = 1;
    return 1;
}

/* ---- client ---------------------------------------------------------------------------- */

static int client_binder(void *ctx, const uint8_t *truncated, size_t len, uint8_t *out)
{
    tlsflow_conn *c = ctx;
    tf_handshake *hs = c->hs;
    const tf_suite *ts = tf_suite_find(hs->psk_suite);
    tf_hash_alg alg = ts->prf_hash;
    uint8_t hash[TF_MAX_HASH];
    /* After a HelloRetryRequest the transcript so far comes first (RFC 8446 §4.2.11.2). */
    const tf_hash *t = alg == TF_HASH_SHA384 ? &hs->transcript384 : &hs->transcript256;
    return tf_hash_peek_with(t, truncated, len, hash) ||
                   binder(alg, hs->psk, hs->psk_len, hash, out)
               ? -1
               : 0;
}

int tf13_client_offer_psk(tlsflow_conn *c, void *offer)
{
    tf_client_offer *o = offer;
    tf_handshake *hs = c->hs;
    tf_session s;
    const tf_suite *ts;
    if (tf_session_offered(c, &s) || s.version != TF_TLS13 || !(ts = tf_suite_find(s.suite)))
        return 0;
    /* After a HelloRetryRequest only with the suite's hash the server chose. */
    if (hs->hrr && hs->suite->prf_hash != ts->prf_hash)
        return 0;
    int64_t now = c->cfg->time(c->cfg->time_ctx);
    memcpy(hs->psk, s.secret, s.secret_len);
    hs->psk_len = s.secret_len;
    hs->psk_suite = s.suite;
    o->psk_identity = s.ticket.p;
    o->psk_identity_len = s.ticket.len;
    o->psk_obfuscated_age = (uint32_t)((now - s.created) * 1000) + s.age_add;
    o->psk_binder_len = tf_hash_len(ts->prf_hash);
    o->binder = client_binder;
    o->binder_ctx = c;
    return 0;
}

int tf13_client_psk_answer(tlsflow_conn *c, const void *server_hello)
{
    const tf_server_hello *sh = server_hello;
    tf_handshake *hs = c->hs;
    tf_session s;
    if (!sh->ext.psk) { /* a full handshake: the key schedule starts from zeros */
        tf_wipe(hs->psk, sizeof(hs->psk));
        hs->psk_len = 0;
        return 0;
    }
    if (!hs->psk_len || sh->ext.psk_selected != 0 || tf_session_offered(c, &s))
        return tf_fail(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                       "the server selected a pre-shared key we did not offer");
    const tf_suite *ts = tf_suite_find(hs->psk_suite);
    if (!ts || ts->prf_hash != hs->suite->prf_hash) /* RFC 8446 §4.2.11 */
        return tf_fail(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                       "the server resumed with a suite of another hash");
    hs->resuming = 1;
    c->info.resumed = 1;
    if (s.leaf.len) { /* the original server's certificate stays available */
        tf_x509_summary(s.leaf.p, s.leaf.len, &c->info.cert);
        const uint8_t *der = s.leaf.p;
        tf_peer_chain_set(c, &der, &s.leaf.len, 1);
        tf_peer_chain_keep(c);
    }
    return 1;
}

int tf13_client_read_ticket(tlsflow_conn *c, const uint8_t *body, size_t len)
{
    tf_new_session_ticket t;
    const char *why = NULL;
    int err = tf_new_session_ticket_parse(body, len, &t, &why);
    if (err)
        return tf_fail(c, err, why);
    if (t.ticket.len > TF_MAX_TICKET || t.lifetime == 0)
        return 0; /* not kept (RFC 8446 §4.6.1: lifetime 0 means do not use) */
    tf_session s;
    memset(&s, 0, sizeof(s));
    s.version = TF_TLS13;
    s.suite = c->suite->id;
    s.created = c->cfg->time(c->cfg->time_ctx);
    s.lifetime = t.lifetime;
    s.age_add = t.age_add;
    s.secret_len = tf_hash_len(c->suite->prf_hash);
    if (tf_hkdf_expand_label(c->suite->prf_hash, c->res_secret, "resumption", t.nonce.p,
                             t.nonce.len, s.secret, s.secret_len))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "could not derive a ticket's key");
    s.sni = (tf_view){(const uint8_t *)c->cfg->server_name, strlen(c->cfg->server_name)};
    s.alpn = (tf_view){(const uint8_t *)c->info.alpn, strlen(c->info.alpn)};
    s.ticket = t.ticket;
    size_t leaf_len = 0;
    const uint8_t *leaf = tlsflow_peer_cert(c, 0, &leaf_len);
    s.leaf = (tf_view){leaf, leaf && leaf_len <= TF_MAX_LEAF ? leaf_len : 0};
    /* The ticket and the leaf may live where the new session goes: copy them first. */
    uint8_t tcopy[TF_MAX_TICKET], lcopy[TF_MAX_LEAF];
    if (s.ticket.len)
        memcpy(tcopy, s.ticket.p, s.ticket.len);
    if (s.leaf.len) /* none once the buffers were given back (release mode) */
        memcpy(lcopy, s.leaf.p, s.leaf.len);
    s.ticket.p = tcopy;
    s.leaf.p = lcopy;
    c->hs->offer_session = 0;
    err = tf_session_keep(c, &s);
    tf_wipe(s.secret, sizeof(s.secret));
    return err;
}
