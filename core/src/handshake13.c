/* What both roles share in TLS 1.3: the CertificateVerify content, Finished (and the key
 * changes around it), and the messages after the handshake (KeyUpdate, NewSessionTicket). */
#include <string.h>

#include "handshake.h"
#include "keys.h"
#include "keys13.h"
#include "msg.h"
#include "record.h"

size_t tf13_cv_content(const tlsflow_conn *c, int server, const uint8_t *hash, uint8_t *out)
{
    static const char server_ctx[] = "TLS 1.3, server CertificateVerify";
    static const char client_ctx[] = "TLS 1.3, client CertificateVerify";
    const char *ctx = server ? server_ctx : client_ctx;
    size_t n = tf_hash_len(c->hs->suite->prf_hash);
    memset(out, 0x20, 64);
    memcpy(out + 64, ctx, sizeof(server_ctx)); /* the terminating NUL is the zero byte */
    memcpy(out + 64 + sizeof(server_ctx), hash, n);
    return 64 + sizeof(server_ctx) + n;
}

static int fill_finished(tf_writer *w, void *arg)
{
    const tf_view *v = arg;
    return tf_finished_write(w, v->p, v->len);
}

int tf13_write_finished(tlsflow_conn *c)
{
    tf_handshake *hs = c->hs;
    tf_hash_alg alg = hs->suite->prf_hash;
    uint8_t hash[TF_MAX_HASH], verify[TF_MAX_HASH];
    int server = c->role == TLSFLOW_SERVER;
    if (!tf_transcript_hash(c, hash) ||
        tf13_finished(alg, server ? hs->s_hs : hs->c_hs, hash, verify))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "could not compute Finished");
    tf_view v = {verify, tf_hash_len(alg)};
    if (tf_queue_handshake(c, TF_HS_FINISHED, fill_finished, &v))
        return c->error;
    tf_trace(c, TLSFLOW_STEP_FINISHED_SENT, "Finished sent: proves we saw the same handshake");
    /* The server's application secrets come from the transcript through its Finished; the
     * client's resumption secret from the transcript through its own. */
    if (server ? tf13_application_secrets(c) : tf13_resumption_secret(c))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "key schedule failed");
    if (tf_record_mark(c, TF_MARK_KEYS_AP))
        return c->error;
    if (!server)
        tf_tracef(c, TLSFLOW_STEP_KEYS_DERIVED, "application traffic keys of %s in use",
                  hs->suite->name);
    return 0;
}

int tf13_read_finished(tlsflow_conn *c, const uint8_t *body, size_t len)
{
    tf_handshake *hs = c->hs;
    tf_hash_alg alg = hs->suite->prf_hash;
    size_t n = tf_hash_len(alg);
    int from_server = c->role == TLSFLOW_CLIENT;
    tf_view got;
    const char *why = NULL;
    int err = tf_finished13_parse(body, len, n, &got, &why);
    if (err)
        return tf_fail(c, err, why);
    uint8_t want[TF_MAX_HASH];
    if (tf13_finished(alg, from_server ? hs->s_hs : hs->c_hs, hs->hash_before, want))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "could not compute Finished");
    if (!tf_ct_equal(want, got.p, n))
        return tf_fail(c, TLSFLOW_E_BAD_FINISHED, "the peer's Finished verify_data is wrong");
    hs->peer_finished = 1;
    tf_trace(c, TLSFLOW_STEP_FINISHED_VERIFIED,
             "Finished verified: both sides derived the same keys from the same handshake");
    /* The peer's next records use its application keys. */
    if (from_server ? tf13_application_secrets(c) : tf13_resumption_secret(c))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "key schedule failed");
    uint8_t *secret = from_server ? hs->s_ap : hs->c_ap;
    err = tf13_install(c, 0, secret);
    tf_wipe(secret, TF_MAX_HASH);
    if (err)
        return tf_fail(c, TLSFLOW_E_INTERNAL, "could not install the application read keys");
    hs->read_keys_changed = 1;
    if (from_server)
        tf_tracef(c, TLSFLOW_STEP_KEYS_DERIVED, "master secret and %s application keys derived",
                  hs->suite->name);
    return 0;
}

/* ---- after the handshake ------------------------------------------------------------ */

static int fill_key_update(tf_writer *w, void *arg)
{
    return tf_key_update_write(w, *(const int *)arg);
}

int tf13_send_key_update(tlsflow_conn *c, int update_requested)
{
    if (c->key_update_pending)
        return 0; /* one answers any number of requests (RFC 8446 §4.6.3) */
    if (tf_queue_post_handshake(c, TF_HS_KEY_UPDATE, fill_key_update, &update_requested) ||
        tf_record_mark(c, TF_MARK_KEYS_UPDATE))
        return c->error;
    c->key_update_pending = 1;
    tf_tracef(c, TLSFLOW_STEP_KEY_UPDATE_SENT, "KeyUpdate sent%s: our write keys move on",
              update_requested ? " (update requested)" : "");
    return 0;
}

static int key_update(tlsflow_conn *c, const uint8_t *body, size_t len)
{
    int requested;
    const char *why = NULL;
    int err = tf_key_update_parse(body, len, &requested, &why);
    if (err)
        return tf_fail(c, err, why);
    if (tf_record_idle(c, "a KeyUpdate"))
        return c->error;
    if (tf13_update(c, 0))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "could not update the read keys");
    c->hs->read_keys_changed = 1;
    tf_tracef(c, TLSFLOW_STEP_KEY_UPDATE_RECEIVED, "KeyUpdate received%s: the peer's keys moved on",
              requested ? ", update requested" : "");
    return requested ? tf13_send_key_update(c, 0) : 0;
}

static int new_session_ticket(tlsflow_conn *c, const uint8_t *body, size_t len)
{
    tf_new_session_ticket t;
    const char *why = NULL;
    int err = tf_new_session_ticket_parse(body, len, &t, &why);
    if (err)
        return tf_fail(c, err, why);
    if (tf_record_idle(c, "a NewSessionTicket"))
        return c->error;
    tf_tracef(c, TLSFLOW_STEP_SESSION_TICKET_RECEIVED,
              "NewSessionTicket: a %zu-byte ticket, valid %u s", t.ticket.len, t.lifetime);
    if (c->cfg->ticket)
        c->cfg->ticket(c->cfg->ticket_ctx, c, body, len);
    return tf13_client_read_ticket(c, body, len);
}

int tf13_post_handshake(tlsflow_conn *c, uint8_t type, const uint8_t *body, size_t len)
{
    if (type == TF_HS_KEY_UPDATE)
        return key_update(c, body, len);
    if (type == TF_HS_NEW_SESSION_TICKET && c->role == TLSFLOW_CLIENT)
        return new_session_ticket(c, body, len);
    /* Post-handshake client authentication is not offered (no post_handshake_auth), so a
     * CertificateRequest is as unexpected as anything else here. */
    return tf_failf(c, TLSFLOW_E_UNEXPECTED_MESSAGE,
                    "handshake message type %u after the TLS 1.3 handshake", type);
}
