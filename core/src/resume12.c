/* TLS 1.2 session tickets (RFC 5077), both roles: the server resumes from a ticket it
 * sealed (only sessions with the extended master secret, RFC 7627 §5.3) and issues new
 * ones; the client offers an imported session and keeps the ticket it is given. */
#include <stdio.h>
#include <string.h>

#include "handshake.h"
#include "keys.h"
#include "msg.h"
#include "peer_cert.h"
#include "session.h"

static int name_is(const tf_view *name, const tf_view *sni)
{
    if (name->len != sni->len)
        return 0;
    for (size_t i = 0; i < name->len; i++) {
        uint8_t a = name->p[i], b = sni->p[i];
        if ((a | 0x20) != (b | 0x20) || ((a ^ b) & ~0x20))
            return 0;
    }
    return 1;
}

static int configured(const tlsflow_config *cfg, uint16_t suite)
{
    for (size_t i = 0; i < cfg->n_suites; i++)
        if (cfg->suites[i] == suite)
            return 1;
    return 0;
}

int tf_server_resume12(tlsflow_conn *c, const void *client_hello)
{
    const tf_client_hello *ch = client_hello;
    const tlsflow_config *cfg = c->cfg;
    tf_handshake *hs = c->hs;
    /* Tickets go only with keys, and not where a client certificate is asked for (the
     * ticket does not carry one). */
    if (!cfg->n_ticket_keys || cfg->client_auth || !ch->ext.session_ticket)
        return 0;
    hs->ticket_asked = 1;
    if (!ch->ext.session_ticket_data.len)
        return 0;
    uint8_t scratch[TF_MAX_TICKET];
    tf_session s;
    const tf_suite *suite;
    if (tf_ticket_open(cfg, ch->ext.session_ticket_data.p, ch->ext.session_ticket_data.len, &s,
                       scratch, sizeof(scratch)) ||
        s.version != TF_TLS12 || !tf_session_fresh(&s, cfg->time(cfg->time_ctx)) ||
        !(suite = tf_suite_find(s.suite)) || TF_SUITE_IS_TLS13(suite) ||
        !configured(cfg, s.suite) || !tf_offers_suite(&ch->suites, s.suite) || !s.ems ||
        !ch->ext.ems || s.secret_len != 48 || !name_is(&s.sni, &ch->ext.sni_host)) {
        tf_tracef(c, TLSFLOW_STEP_CLIENT_HELLO_RECEIVED,
                  "the session ticket offered cannot be resumed: a full handshake follows");
        return 0;
    }
    hs->resuming = 1;
    hs->suite = c->suite = suite;
    hs->ems = 1;
    memcpy(hs->master, s.secret, 48);
    hs->flow = tf_kx_find(suite->kx)->flow_resume;
    memcpy(hs->session_id, ch->session_id.p, ch->session_id.len);
    hs->session_id_len = ch->session_id.len;
    c->info.resumed = 1;
    return 1;
}

typedef struct {
    uint32_t lifetime;
    tf_view ticket;
} nst12;

static int fill_nst12(tf_writer *w, void *arg)
{
    const nst12 *n = arg;
    return tf_new_session_ticket12_write(w, n->lifetime, n->ticket.p, n->ticket.len);
}

int tf_server_write_ticket12(tlsflow_conn *c)
{
    tf_handshake *hs = c->hs;
    if (!hs->ticket_asked)
        return 0; /* optional: the client did not ask */
    tf_session s;
    memset(&s, 0, sizeof(s));
    s.version = TF_TLS12;
    s.suite = hs->suite->id;
    s.created = c->cfg->time(c->cfg->time_ctx);
    s.lifetime = c->cfg->ticket_lifetime;
    s.ems = hs->ems;
    memcpy(s.secret, hs->master, 48);
    s.secret_len = 48;
    s.sni = (tf_view){(const uint8_t *)c->info.server_name, strlen(c->info.server_name)};
    s.alpn = (tf_view){(const uint8_t *)c->info.alpn, strlen(c->info.alpn)};
    uint8_t ticket[TF_MAX_TICKET];
    size_t n = tf_ticket_seal(c, &s, ticket, sizeof(ticket));
    tf_wipe(s.secret, sizeof(s.secret));
    if (!n)
        return tf_fail(c, TLSFLOW_E_INTERNAL, "could not seal a session ticket");
    nst12 m = {s.lifetime, {ticket, n}};
    if (tf_queue_handshake(c, TF_HS_NEW_SESSION_TICKET, fill_nst12, &m))
        return c->error;
    tf_tracef(c, TLSFLOW_STEP_SESSION_TICKET_SENT,
              "NewSessionTicket: a %zu-byte ticket, valid %u s%s", n, s.lifetime,
              hs->ems ? "" : " (no extended master secret: it will not resume)");
    return 0;
}

int tf_client_read_ticket12(tlsflow_conn *c, const uint8_t *body, size_t len)
{
    tf_handshake *hs = c->hs;
    uint32_t lifetime;
    tf_view ticket;
    const char *why = NULL;
    if (!hs->ticket_asked) /* RFC 5077 §3.3: only after the server said it would */
        return tf_fail(c, TLSFLOW_E_UNEXPECTED_MESSAGE,
                       "NewSessionTicket without SessionTicket in the ServerHello");
    int err = tf_new_session_ticket12_parse(body, len, &lifetime, &ticket, &why);
    if (err)
        return tf_fail(c, err, why);
    tf_tracef(c, TLSFLOW_STEP_SESSION_TICKET_RECEIVED,
              "NewSessionTicket: a %zu-byte ticket, valid %u s", ticket.len, lifetime);
    if (ticket.len == 0 || ticket.len > sizeof(hs->ticket))
        return 0; /* RFC 5077 §3.3: empty means none; a giant one we just do not keep */
    memcpy(hs->ticket, ticket.p, ticket.len);
    tf_note_high_water(&c->work->ticket_hw, ticket.len);
    hs->ticket_len = ticket.len;
    hs->ticket_lifetime = lifetime ? lifetime : 86400;
    return 0;
}

int tf_client_resumed12(tlsflow_conn *c, const void *server_hello)
{
    const tf_server_hello *sh = server_hello;
    tf_handshake *hs = c->hs;
    tf_session s;
    hs->ticket_asked = sh->ext.session_ticket;
    /* RFC 5077 §3.4: the echo of our session id says the server took the ticket. */
    if (tf_session_offered(c, &s) || s.version != TF_TLS12 || !hs->session_id_len ||
        sh->session_id.len != hs->session_id_len ||
        memcmp(sh->session_id.p, hs->session_id, hs->session_id_len) != 0)
        return 0;
    if (sh->suite != s.suite)
        return tf_fail(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                       "the server resumed our session with another cipher suite");
    if (s.ems && !sh->ext.ems) /* RFC 7627 §5.3 */
        return tf_fail(c, TLSFLOW_E_HANDSHAKE_FAILURE,
                       "the server resumed an extended-master-secret session without it");
    memcpy(hs->master, s.secret, 48);
    hs->resuming = 1;
    c->info.resumed = 1;
    /* What the original session verified: its leaf stays available. */
    if (s.leaf.len) {
        tf_x509_summary(s.leaf.p, s.leaf.len, &c->info.cert);
        const uint8_t *der = s.leaf.p;
        tf_peer_chain_set(c, &der, &s.leaf.len, 1);
        tf_peer_chain_keep(c);
    }
    return 1;
}

/* ---- after the handshake --------------------------------------------------------------- */

/* The client's TLS 1.2 session: the master secret with a ticket the server issued now, or
 * the resumed one again when it issued none. */
static int keep12(tlsflow_conn *c)
{
    tf_handshake *hs = c->hs;
    tf_session s;
    if (!hs->ticket_len) {
        if (hs->resuming && tf_session_offered(c, &s) == 0)
            hs->offer_session = 0; /* the same session, for export */
        return 0;
    }
    uint8_t leaf[TF_MAX_LEAF];
    size_t leaf_len = 0;
    const uint8_t *der = tlsflow_peer_cert(c, 0, &leaf_len);
    if (der && leaf_len <= sizeof(leaf))
        memcpy(leaf, der, leaf_len);
    else
        leaf_len = 0;
    if (hs->resuming && tf_session_offered(c, &s) == 0 && s.leaf.len <= sizeof(leaf)) {
        memcpy(leaf, s.leaf.p, s.leaf.len); /* the original's, as before */
        leaf_len = s.leaf.len;
    }
    uint8_t ticket[sizeof(hs->ticket)];
    memcpy(ticket, hs->ticket, hs->ticket_len);
    memset(&s, 0, sizeof(s));
    s.version = TF_TLS12;
    s.suite = hs->suite->id;
    s.created = c->cfg->time(c->cfg->time_ctx);
    s.lifetime = hs->ticket_lifetime;
    s.ems = hs->ems;
    memcpy(s.secret, c->export_secret, 48); /* the master secret, kept for exporters */
    s.secret_len = 48;
    s.sni = (tf_view){(const uint8_t *)c->cfg->server_name, strlen(c->cfg->server_name)};
    s.alpn = (tf_view){(const uint8_t *)c->info.alpn, strlen(c->info.alpn)};
    s.ticket = (tf_view){ticket, hs->ticket_len};
    s.leaf = (tf_view){leaf, leaf_len};
    hs->offer_session = 0;
    int err = tf_session_keep(c, &s);
    tf_wipe(s.secret, sizeof(s.secret));
    return err;
}

int tf_resume_handshake_done(tlsflow_conn *c)
{
    if (c->version == TF_TLS13)
        return c->role == TLSFLOW_SERVER ? tf13_send_tickets(c) : 0;
    return c->role == TLSFLOW_CLIENT ? keep12(c) : 0;
}
