/* The handshake dispatcher: the message table, the per-key-exchange sequences, message
 * reassembly, and the rules for what may arrive when. */
#include "handshake.h"

#include <stdio.h>
#include <string.h>

#include "keyop.h"
#include "keys.h"
#include "msg.h"
#include "record.h"

#define CLIENT TLSFLOW_CLIENT
#define SERVER TLSFLOW_SERVER

static const tf_msg_def MSGS[TF_MSG_COUNT] = {
    [TF_MSG_CLIENT_HELLO] = {"ClientHello", TF_CT_HANDSHAKE, TF_HS_CLIENT_HELLO, CLIENT,
                             tf_client_write_hello, tf_server_read_client_hello, 0},
    [TF_MSG_SERVER_HELLO] = {"ServerHello", TF_CT_HANDSHAKE, TF_HS_SERVER_HELLO, SERVER,
                             tf_server_write_hello, tf_client_read_server_hello, 0},
    [TF_MSG_SERVER_CERTIFICATE] = {"Certificate", TF_CT_HANDSHAKE, TF_HS_CERTIFICATE, SERVER,
                                   tf_server_write_certificate, tf_client_read_certificate, 0},
    [TF_MSG_SERVER_KEY_EXCHANGE] = {"ServerKeyExchange", TF_CT_HANDSHAKE, TF_HS_SERVER_KEY_EXCHANGE,
                                    SERVER, tf_server_write_ecdhe_params,
                                    tf_client_read_ecdhe_params, 0},
    [TF_MSG_CERTIFICATE_REQUEST] = {"CertificateRequest", TF_CT_HANDSHAKE,
                                    TF_HS_CERTIFICATE_REQUEST, SERVER,
                                    tf_server_write_certificate_request,
                                    tf_client_read_certificate_request, 0},
    [TF_MSG_CLIENT_CERTIFICATE] = {"Certificate", TF_CT_HANDSHAKE, TF_HS_CERTIFICATE, CLIENT,
                                   tf_client_write_certificate, tf_server_read_client_certificate,
                                   0},
    [TF_MSG_CLIENT_CERTIFICATE_VERIFY] = {"CertificateVerify", TF_CT_HANDSHAKE,
                                          TF_HS_CERTIFICATE_VERIFY, CLIENT,
                                          tf_client_write_certificate_verify,
                                          tf_server_read_certificate_verify, 0},
    [TF_MSG_SERVER_HELLO_DONE] = {"ServerHelloDone", TF_CT_HANDSHAKE, TF_HS_SERVER_HELLO_DONE,
                                  SERVER, tf_server_write_hello_done, tf_client_read_hello_done, 0},
    [TF_MSG_CLIENT_KEY_EXCHANGE] = {"ClientKeyExchange", TF_CT_HANDSHAKE, TF_HS_CLIENT_KEY_EXCHANGE,
                                    CLIENT, tf_client_write_key_exchange,
                                    tf_server_read_key_exchange, 0},
    [TF_MSG_CLIENT_KEY_EXCHANGE_ECDHE] = {"ClientKeyExchange", TF_CT_HANDSHAKE,
                                          TF_HS_CLIENT_KEY_EXCHANGE, CLIENT,
                                          tf_client_write_ecdhe_key_exchange,
                                          tf_server_read_ecdhe_key_exchange, 0},
    [TF_MSG_CLIENT_CCS] = {"ChangeCipherSpec", TF_CT_CCS, 0, CLIENT, tf_write_ccs, tf_read_ccs, 0},
    [TF_MSG_CLIENT_FINISHED] = {"Finished", TF_CT_HANDSHAKE, TF_HS_FINISHED, CLIENT,
                                tf_write_finished, tf_read_finished, 0},
    [TF_MSG_SERVER_CCS] = {"ChangeCipherSpec", TF_CT_CCS, 0, SERVER, tf_write_ccs, tf_read_ccs, 0},
    [TF_MSG_SERVER_FINISHED] = {"Finished", TF_CT_HANDSHAKE, TF_HS_FINISHED, SERVER,
                                tf_write_finished, tf_read_finished, 0},
    [TF_MSG_HELLO_RETRY_REQUEST] = {"HelloRetryRequest", TF_CT_HANDSHAKE, TF_HS_SERVER_HELLO,
                                    SERVER, tf13_server_write_hrr, tf_client_read_server_hello, 0},
    [TF_MSG_CLIENT_HELLO2] = {"ClientHello", TF_CT_HANDSHAKE, TF_HS_CLIENT_HELLO, CLIENT,
                              tf_client_write_hello, tf13_server_read_client_hello2, 0},
    [TF_MSG_ENCRYPTED_EXTENSIONS] = {"EncryptedExtensions", TF_CT_HANDSHAKE,
                                     TF_HS_ENCRYPTED_EXTENSIONS, SERVER,
                                     tf13_server_write_encrypted_extensions,
                                     tf13_client_read_encrypted_extensions, 0},
    [TF_MSG_CERTIFICATE_REQUEST13] = {"CertificateRequest", TF_CT_HANDSHAKE,
                                      TF_HS_CERTIFICATE_REQUEST, SERVER,
                                      tf13_server_write_certificate_request,
                                      tf13_client_read_certificate_request, 0},
    [TF_MSG_SERVER_CERTIFICATE13] = {"Certificate", TF_CT_HANDSHAKE, TF_HS_CERTIFICATE, SERVER,
                                     tf13_server_write_certificate, tf13_client_read_certificate,
                                     0},
    [TF_MSG_SERVER_CERTIFICATE_VERIFY] = {"CertificateVerify", TF_CT_HANDSHAKE,
                                          TF_HS_CERTIFICATE_VERIFY, SERVER,
                                          tf13_server_write_certificate_verify,
                                          tf13_client_read_certificate_verify, 0},
    [TF_MSG_SERVER_FINISHED13] = {"Finished", TF_CT_HANDSHAKE, TF_HS_FINISHED, SERVER,
                                  tf13_write_finished, tf13_read_finished, 0},
    [TF_MSG_CLIENT_CERTIFICATE13] = {"Certificate", TF_CT_HANDSHAKE, TF_HS_CERTIFICATE, CLIENT,
                                     tf13_client_write_certificate,
                                     tf13_server_read_client_certificate, 0},
    [TF_MSG_CLIENT_CERTIFICATE_VERIFY13] = {"CertificateVerify", TF_CT_HANDSHAKE,
                                            TF_HS_CERTIFICATE_VERIFY, CLIENT,
                                            tf13_client_write_certificate_verify,
                                            tf13_server_read_certificate_verify, 0},
    [TF_MSG_CLIENT_FINISHED13] = {"Finished", TF_CT_HANDSHAKE, TF_HS_FINISHED, CLIENT,
                                  tf13_write_finished, tf13_read_finished, 0},
    [TF_MSG_SERVER_NEW_SESSION_TICKET12] = {"NewSessionTicket", TF_CT_HANDSHAKE,
                                            TF_HS_NEW_SESSION_TICKET, SERVER,
                                            tf_server_write_ticket12, tf_client_read_ticket12, 1},
    [TF_MSG_APPLICATION_DATA] = {"application data", TF_CT_APPDATA, 0, 0, NULL, NULL, 0},
};

/* RFC 5246 §7.3, full handshake with RSA key transport and no client certificate. */
static const uint8_t FLOW_RSA[] = {
    TF_MSG_CLIENT_HELLO,        TF_MSG_SERVER_HELLO,
    TF_MSG_SERVER_CERTIFICATE,  TF_MSG_SERVER_HELLO_DONE,
    TF_MSG_CLIENT_KEY_EXCHANGE, TF_MSG_CLIENT_CCS,
    TF_MSG_CLIENT_FINISHED,     TF_MSG_SERVER_NEW_SESSION_TICKET12,
    TF_MSG_SERVER_CCS,          TF_MSG_SERVER_FINISHED,
    TF_MSG_APPLICATION_DATA,
};

/* RFC 8422 §2: ECDHE_RSA and ECDHE_ECDSA add the signed ServerKeyExchange, and the
 * client answers with its own public value instead of an encrypted premaster. */
static const uint8_t FLOW_ECDHE[] = {
    TF_MSG_CLIENT_HELLO,        TF_MSG_SERVER_HELLO,      TF_MSG_SERVER_CERTIFICATE,
    TF_MSG_SERVER_KEY_EXCHANGE, TF_MSG_SERVER_HELLO_DONE, TF_MSG_CLIENT_KEY_EXCHANGE_ECDHE,
    TF_MSG_CLIENT_CCS,          TF_MSG_CLIENT_FINISHED,   TF_MSG_SERVER_NEW_SESSION_TICKET12,
    TF_MSG_SERVER_CCS,          TF_MSG_SERVER_FINISHED,   TF_MSG_APPLICATION_DATA,
};

/* RFC 5246 §7.4.4, §7.4.6: a server may ask for a certificate before ServerHelloDone;
 * a client without one answers with an empty Certificate (and no CertificateVerify). */
static const uint8_t FLOW_RSA_CLIENT_AUTH[] = {
    TF_MSG_CLIENT_HELLO,        TF_MSG_SERVER_HELLO,
    TF_MSG_SERVER_CERTIFICATE,  TF_MSG_CERTIFICATE_REQUEST,
    TF_MSG_SERVER_HELLO_DONE,   TF_MSG_CLIENT_CERTIFICATE,
    TF_MSG_CLIENT_KEY_EXCHANGE, TF_MSG_CLIENT_CCS,
    TF_MSG_CLIENT_FINISHED,     TF_MSG_SERVER_NEW_SESSION_TICKET12,
    TF_MSG_SERVER_CCS,          TF_MSG_SERVER_FINISHED,
    TF_MSG_APPLICATION_DATA,
};

static const uint8_t FLOW_ECDHE_CLIENT_AUTH[] = {
    TF_MSG_CLIENT_HELLO,
    TF_MSG_SERVER_HELLO,
    TF_MSG_SERVER_CERTIFICATE,
    TF_MSG_SERVER_KEY_EXCHANGE,
    TF_MSG_CERTIFICATE_REQUEST,
    TF_MSG_SERVER_HELLO_DONE,
    TF_MSG_CLIENT_CERTIFICATE,
    TF_MSG_CLIENT_KEY_EXCHANGE_ECDHE,
    TF_MSG_CLIENT_CCS,
    TF_MSG_CLIENT_FINISHED,
    TF_MSG_SERVER_NEW_SESSION_TICKET12,
    TF_MSG_SERVER_CCS,
    TF_MSG_SERVER_FINISHED,
    TF_MSG_APPLICATION_DATA,
};

/* RFC 8446 §2: the 1-RTT handshake. After ServerHello everything is encrypted; the
 * server's signature is CertificateVerify, over the whole transcript. */
static const uint8_t FLOW_13[] = {
    TF_MSG_CLIENT_HELLO,
    TF_MSG_SERVER_HELLO,
    TF_MSG_ENCRYPTED_EXTENSIONS,
    TF_MSG_SERVER_CERTIFICATE13,
    TF_MSG_SERVER_CERTIFICATE_VERIFY,
    TF_MSG_SERVER_FINISHED13,
    TF_MSG_CLIENT_FINISHED13,
    TF_MSG_APPLICATION_DATA,
};

/* RFC 8446 §4.3.2: a server may ask for a certificate right after EncryptedExtensions; a
 * client without one answers with an empty Certificate and no CertificateVerify. */
static const uint8_t FLOW_13_CLIENT_AUTH[] = {
    TF_MSG_CLIENT_HELLO,          TF_MSG_SERVER_HELLO,         TF_MSG_ENCRYPTED_EXTENSIONS,
    TF_MSG_CERTIFICATE_REQUEST13, TF_MSG_SERVER_CERTIFICATE13, TF_MSG_SERVER_CERTIFICATE_VERIFY,
    TF_MSG_SERVER_FINISHED13,     TF_MSG_CLIENT_CERTIFICATE13, TF_MSG_CLIENT_FINISHED13,
    TF_MSG_APPLICATION_DATA,
};

/* RFC 8446 §2.1: the client's share was of no use; the server names a group and the
 * client starts again with a second ClientHello. */
static const uint8_t FLOW_13_HRR[] = {
    TF_MSG_CLIENT_HELLO,
    TF_MSG_HELLO_RETRY_REQUEST,
    TF_MSG_CLIENT_HELLO2,
    TF_MSG_SERVER_HELLO,
    TF_MSG_ENCRYPTED_EXTENSIONS,
    TF_MSG_SERVER_CERTIFICATE13,
    TF_MSG_SERVER_CERTIFICATE_VERIFY,
    TF_MSG_SERVER_FINISHED13,
    TF_MSG_CLIENT_FINISHED13,
    TF_MSG_APPLICATION_DATA,
};

static const uint8_t FLOW_13_HRR_CLIENT_AUTH[] = {
    TF_MSG_CLIENT_HELLO,         TF_MSG_HELLO_RETRY_REQUEST,       TF_MSG_CLIENT_HELLO2,
    TF_MSG_SERVER_HELLO,         TF_MSG_ENCRYPTED_EXTENSIONS,      TF_MSG_CERTIFICATE_REQUEST13,
    TF_MSG_SERVER_CERTIFICATE13, TF_MSG_SERVER_CERTIFICATE_VERIFY, TF_MSG_SERVER_FINISHED13,
    TF_MSG_CLIENT_CERTIFICATE13, TF_MSG_CLIENT_FINISHED13,         TF_MSG_APPLICATION_DATA,
};

/* RFC 5246 §7.3: a client with a certificate sends it, and after ClientKeyExchange its
 * signature over the handshake so far (CertificateVerify). */
static const uint8_t FLOW_RSA_CLIENT_CERT[] = {
    TF_MSG_CLIENT_HELLO,
    TF_MSG_SERVER_HELLO,
    TF_MSG_SERVER_CERTIFICATE,
    TF_MSG_CERTIFICATE_REQUEST,
    TF_MSG_SERVER_HELLO_DONE,
    TF_MSG_CLIENT_CERTIFICATE,
    TF_MSG_CLIENT_KEY_EXCHANGE,
    TF_MSG_CLIENT_CERTIFICATE_VERIFY,
    TF_MSG_CLIENT_CCS,
    TF_MSG_CLIENT_FINISHED,
    TF_MSG_SERVER_NEW_SESSION_TICKET12,
    TF_MSG_SERVER_CCS,
    TF_MSG_SERVER_FINISHED,
    TF_MSG_APPLICATION_DATA,
};

static const uint8_t FLOW_ECDHE_CLIENT_CERT[] = {
    TF_MSG_CLIENT_HELLO,
    TF_MSG_SERVER_HELLO,
    TF_MSG_SERVER_CERTIFICATE,
    TF_MSG_SERVER_KEY_EXCHANGE,
    TF_MSG_CERTIFICATE_REQUEST,
    TF_MSG_SERVER_HELLO_DONE,
    TF_MSG_CLIENT_CERTIFICATE,
    TF_MSG_CLIENT_KEY_EXCHANGE_ECDHE,
    TF_MSG_CLIENT_CERTIFICATE_VERIFY,
    TF_MSG_CLIENT_CCS,
    TF_MSG_CLIENT_FINISHED,
    TF_MSG_SERVER_NEW_SESSION_TICKET12,
    TF_MSG_SERVER_CCS,
    TF_MSG_SERVER_FINISHED,
    TF_MSG_APPLICATION_DATA,
};

/* RFC 8446 §4.4: the client's Certificate, CertificateVerify and Finished. */
static const uint8_t FLOW_13_CLIENT_CERT[] = {
    TF_MSG_CLIENT_HELLO,          TF_MSG_SERVER_HELLO,         TF_MSG_ENCRYPTED_EXTENSIONS,
    TF_MSG_CERTIFICATE_REQUEST13, TF_MSG_SERVER_CERTIFICATE13, TF_MSG_SERVER_CERTIFICATE_VERIFY,
    TF_MSG_SERVER_FINISHED13,     TF_MSG_CLIENT_CERTIFICATE13, TF_MSG_CLIENT_CERTIFICATE_VERIFY13,
    TF_MSG_CLIENT_FINISHED13,     TF_MSG_APPLICATION_DATA,
};

static const uint8_t FLOW_13_HRR_CLIENT_CERT[] = {
    TF_MSG_CLIENT_HELLO,         TF_MSG_HELLO_RETRY_REQUEST,         TF_MSG_CLIENT_HELLO2,
    TF_MSG_SERVER_HELLO,         TF_MSG_ENCRYPTED_EXTENSIONS,        TF_MSG_CERTIFICATE_REQUEST13,
    TF_MSG_SERVER_CERTIFICATE13, TF_MSG_SERVER_CERTIFICATE_VERIFY,   TF_MSG_SERVER_FINISHED13,
    TF_MSG_CLIENT_CERTIFICATE13, TF_MSG_CLIENT_CERTIFICATE_VERIFY13, TF_MSG_CLIENT_FINISHED13,
    TF_MSG_APPLICATION_DATA,
};

/* RFC 5077 §3.1: the abbreviated handshake from a ticket. The server proves it holds the
 * session first (its Finished), then the client. */
static const uint8_t FLOW_12_RESUME[] = {
    TF_MSG_CLIENT_HELLO,    TF_MSG_SERVER_HELLO,     TF_MSG_SERVER_NEW_SESSION_TICKET12,
    TF_MSG_SERVER_CCS,      TF_MSG_SERVER_FINISHED,  TF_MSG_CLIENT_CCS,
    TF_MSG_CLIENT_FINISHED, TF_MSG_APPLICATION_DATA,
};

/* RFC 8446 §2.2: resumption with a PSK and a fresh (EC)DHE: no certificate, no signature. */
static const uint8_t FLOW_13_PSK[] = {
    TF_MSG_CLIENT_HELLO,      TF_MSG_SERVER_HELLO,      TF_MSG_ENCRYPTED_EXTENSIONS,
    TF_MSG_SERVER_FINISHED13, TF_MSG_CLIENT_FINISHED13, TF_MSG_APPLICATION_DATA,
};

/* The same after a HelloRetryRequest: the second ClientHello carries the ticket again,
 * its binder over the transcript through the retry (RFC 8446 §4.2.11.2). */
static const uint8_t FLOW_13_HRR_PSK[] = {
    TF_MSG_CLIENT_HELLO,      TF_MSG_HELLO_RETRY_REQUEST,  TF_MSG_CLIENT_HELLO2,
    TF_MSG_SERVER_HELLO,      TF_MSG_ENCRYPTED_EXTENSIONS, TF_MSG_SERVER_FINISHED13,
    TF_MSG_CLIENT_FINISHED13, TF_MSG_APPLICATION_DATA,
};

static const tf_kx_def KX[] = {
    {TF_KX_RSA, "RSA", FLOW_RSA, FLOW_RSA_CLIENT_AUTH, 0, NULL, NULL, FLOW_RSA_CLIENT_CERT, NULL,
     FLOW_12_RESUME, NULL},
    {TF_KX_ECDHE, "ECDHE", FLOW_ECDHE, FLOW_ECDHE_CLIENT_AUTH, 1, NULL, NULL,
     FLOW_ECDHE_CLIENT_CERT, NULL, FLOW_12_RESUME, NULL},
    {TF_KX_TLS13, "ECDHE", FLOW_13, FLOW_13_CLIENT_AUTH, 0, FLOW_13_HRR, FLOW_13_HRR_CLIENT_AUTH,
     FLOW_13_CLIENT_CERT, FLOW_13_HRR_CLIENT_CERT, FLOW_13_PSK, FLOW_13_HRR_PSK},
};

const tf_msg_def *tf_msg_table(tf_msg_id id)
{
    return id < TF_MSG_COUNT ? &MSGS[id] : NULL;
}

const tf_kx_def *tf_kx_find(tf_kx kx)
{
    for (size_t i = 0; i < sizeof(KX) / sizeof(KX[0]); i++)
        if (KX[i].kx == kx)
            return &KX[i];
    return &KX[0];
}

const uint8_t *tf_flow_for(tf_kx kx)
{
    return tf_kx_find(kx)->flow;
}

const uint8_t *tf_flow_select(tf_kx kx, int hrr, int client_auth)
{
    const tf_kx_def *d = tf_kx_find(kx);
    if (hrr)
        return client_auth == 2 ? d->flow_hrr_client_cert
               : client_auth    ? d->flow_hrr_client_auth
                                : d->flow_hrr;
    return client_auth == 2 ? d->flow_client_cert : client_auth ? d->flow_client_auth : d->flow;
}

tf_msg_id tf_handshake_next(const tlsflow_conn *c)
{
    return (tf_msg_id)c->hs->flow[c->hs->step];
}

static const char *hs_type_name(uint8_t t)
{
    switch (t) {
    case TF_HS_HELLO_REQUEST:
        return "HelloRequest";
    case TF_HS_CLIENT_HELLO:
        return "ClientHello";
    case TF_HS_SERVER_HELLO:
        return "ServerHello";
    case TF_HS_CERTIFICATE:
        return "Certificate";
    case TF_HS_SERVER_KEY_EXCHANGE:
        return "ServerKeyExchange";
    case TF_HS_CERTIFICATE_REQUEST:
        return "CertificateRequest";
    case TF_HS_SERVER_HELLO_DONE:
        return "ServerHelloDone";
    case TF_HS_CERTIFICATE_VERIFY:
        return "CertificateVerify";
    case TF_HS_CLIENT_KEY_EXCHANGE:
        return "ClientKeyExchange";
    case TF_HS_FINISHED:
        return "Finished";
    default:
        return "an unknown handshake message";
    }
}

/* Once the sequence ends, the handshake's secrets are no longer needed. */
static void finish_handshake(tlsflow_conn *c)
{
    c->established = 1;
    if (c->version != TF_TLS13) {
        /* Exporters (RFC 5705) outlive the handshake state: the master secret and randoms. */
        c->export_hash = c->hs->suite->prf_hash;
        memcpy(c->export_secret, c->hs->master, 48);
        memcpy(c->export_randoms, c->hs->client_random, 32);
        memcpy(c->export_randoms + 32, c->hs->server_random, 32);
    }
    tf_wipe(c->hs->master, sizeof(c->hs->master));
    tf_wipe(c->hs->secret13, sizeof(c->hs->secret13));
    tf_wipe(c->hs->c_hs, sizeof(c->hs->c_hs));
    tf_wipe(c->hs->s_hs, sizeof(c->hs->s_hs));
    tf_wipe(c->hs->premaster, sizeof(c->hs->premaster));
    tf_wipe(c->hs->kx_priv, sizeof(c->hs->kx_priv));
    tf_hash_free(&c->hs->transcript256);
    tf_hash_free(&c->hs->transcript384);
    /* TLS 1.2 asks for no randomness after this (renegotiation is refused): the
     * generator's state goes too. */
    tf_drbg_free(&c->work->drbg);
    tf_tracef(c, TLSFLOW_STEP_HANDSHAKE_DONE, "handshake complete: %s, records now protected",
              c->hs->suite->name);
    tf_resume_handshake_done(c);
}

int tf_handshake_advance(tlsflow_conn *c)
{
    while (!c->error && !c->established && !tf_key_op_waiting(c)) {
        tf_msg_id id = tf_handshake_next(c);
        if (id == TF_MSG_APPLICATION_DATA) {
            finish_handshake(c);
            break;
        }
        if (MSGS[id].sender != c->role)
            break; /* the peer's turn */
        if (!MSGS[id].write || MSGS[id].write(c))
            return c->error ? c->error : tf_fail(c, TLSFLOW_E_INTERNAL, NULL);
        c->hs->step++;
    }
    return c->error;
}

static int expects(const uint8_t *flow, size_t step, tlsflow_role role, uint8_t type)
{
    const tf_msg_def *d = &MSGS[flow[step]];
    return d->sender != role && d->content_type == TF_CT_HANDSHAKE && d->hs_type == type && d->read;
}

/* The peer may take a variant of the sequence (a server asking for a certificate): if
 * our sequence does not expect this message but a variant with the same history does,
 * continue in that variant. Which variants exist is data, in the KX table. */
static void switch_variant(tlsflow_conn *c, uint8_t type)
{
    if (!c->hs->suite || expects(c->hs->flow, c->hs->step, c->role, type))
        return;
    const tf_kx_def *kx = tf_kx_find(c->hs->suite->kx);
    /* Only the variants a peer may choose by what it sends next (a certificate request);
     * the ones with a client certificate are chosen by the message that carries it, and
     * once chosen they stay: a client that sent a certificate must prove its key. */
    const uint8_t *alts[] = {kx->flow, kx->flow_client_auth, kx->flow_hrr,
                             kx->flow_hrr_client_auth};
    size_t n_alts = sizeof(alts) / sizeof(alts[0]), current = n_alts;
    for (size_t i = 0; i < n_alts; i++)
        if (alts[i] == c->hs->flow)
            current = i;
    if (current == n_alts)
        return;
    for (size_t i = 0; i < n_alts; i++) {
        const uint8_t *alt = alts[i];
        if (!alt || alt == c->hs->flow)
            continue;
        /* Same history so far; the first difference stops the walk, so a shorter
         * sequence is never read past its end (its terminator differs from ours). */
        size_t same = 0;
        while (same < c->hs->step && alt[same] == c->hs->flow[same])
            same++;
        if (same == c->hs->step && expects(alt, c->hs->step, c->role, type)) {
            c->hs->flow = alt;
            return;
        }
    }
}

/* Pass over the peer's optional messages that did not come (a ticket not sent). */
static void skip_optional(tlsflow_conn *c, uint8_t content_type, uint8_t type)
{
    for (;;) {
        const tf_msg_def *d = &MSGS[tf_handshake_next(c)];
        if (!d->optional || d->sender == c->role ||
            (d->content_type == content_type && d->hs_type == type))
            return;
        c->hs->step++;
    }
}

/* A whole handshake message (header included) from the peer. */
static int handle_message(tlsflow_conn *c, const uint8_t *msg, size_t len)
{
    uint8_t type = msg[0];
    const uint8_t *body = msg + 4;
    size_t body_len = len - 4;

    int tls13 = c->version == TF_TLS13 || (c->hs && c->hs->version == TF_TLS13);
    if (type == TF_HS_HELLO_REQUEST && c->role == TLSFLOW_CLIENT && !tls13) {
        /* RFC 5246 §7.4.1.1: ignored during a handshake, never in the transcript; once
         * established we refuse the renegotiation it asks for. TLS 1.3 has no
         * HelloRequest (type 0 is reserved): there it is unexpected like any other. */
        if (body_len)
            return tf_fail(c, TLSFLOW_E_DECODE, "HelloRequest must have an empty body");
        if (tf_record_idle(c, "a HelloRequest"))
            return c->error;
        if (c->established) {
            c->pending_alert = TLSFLOW_ALERT_NO_RENEGOTIATION;
            c->pending_alert_fatal = 0;
            tf_trace(c, TLSFLOW_STEP_RENEGOTIATION_REFUSED,
                     "server asked to renegotiate: refused with no_renegotiation");
        }
        return 0;
    }
    if (c->established && c->version == TF_TLS13)
        return tf13_post_handshake(c, type, body, body_len);
    if (c->established) {
        if (type == TF_HS_CLIENT_HELLO && c->role == TLSFLOW_SERVER) {
            if (tf_record_idle(c, "a renegotiating ClientHello"))
                return c->error;
            c->pending_alert = TLSFLOW_ALERT_NO_RENEGOTIATION;
            c->pending_alert_fatal = 0;
            tf_trace(c, TLSFLOW_STEP_RENEGOTIATION_REFUSED,
                     "client tried to renegotiate: refused with no_renegotiation");
            return 0;
        }
        return tf_failf(c, TLSFLOW_E_UNEXPECTED_MESSAGE, "%s after the handshake finished",
                        hs_type_name(type));
    }
    switch_variant(c, type);
    skip_optional(c, TF_CT_HANDSHAKE, type);
    tf_msg_id id = tf_handshake_next(c);
    const tf_msg_def *def = &MSGS[id];
    if (def->sender == c->role || def->content_type != TF_CT_HANDSHAKE || def->hs_type != type ||
        !def->read)
        return tf_failf(c, TLSFLOW_E_UNEXPECTED_MESSAGE, "received %s while expecting %s%s",
                        hs_type_name(type), def->sender == c->role ? "to send " : "", def->name);
    if (!tf_transcript_hash_before(c))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "transcript hash failed");
    if (tf_transcript_add(c, msg, len))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "transcript hash failed");
    if (def->read(c, body, body_len))
        return c->error ? c->error : tf_fail(c, TLSFLOW_E_INTERNAL, NULL);
    tf_record_progress(c);
    c->hs->step++;
    return tf_handshake_advance(c);
}

/* The largest body we take for a message of this type: the configured cap, but a
 * ClientHello as large as its own length fields allow. */
static size_t message_cap(const tlsflow_conn *c, uint8_t type)
{
    if (type == TF_HS_CLIENT_HELLO && c->role == TLSFLOW_SERVER)
        return c->hs_in_cap - 4;
    return c->cfg->max_handshake;
}

/* Reassemble handshake messages from record payloads: any split, several per record.
 * Only one message is ever buffered, and never more than the configured cap. */
int tf_handshake_bytes(tlsflow_conn *c, const uint8_t *data, size_t len)
{
    if (len == 0)
        return tf_fail(c, TLSFLOW_E_UNEXPECTED_MESSAGE, "empty handshake record");
    while (len && !c->error) {
        size_t need = 4;
        if (c->hs_in_len >= 4) {
            size_t body = ((size_t)c->hs_in[1] << 16) | ((size_t)c->hs_in[2] << 8) | c->hs_in[3];
            need = 4 + body;
        }
        size_t take = need - c->hs_in_len < len ? need - c->hs_in_len : len;
        memcpy(c->hs_in + c->hs_in_len, data, take);
        c->hs_in_len += take;
        tf_note_high_water(&c->work->hs_in_hw, c->hs_in_len);
        data += take;
        len -= take;
        if (c->hs_in_len == 4) {
            size_t body = ((size_t)c->hs_in[1] << 16) | ((size_t)c->hs_in[2] << 8) | c->hs_in[3];
            size_t cap = message_cap(c, c->hs_in[0]);
            if (body > cap)
                return tf_failf(c, TLSFLOW_E_HANDSHAKE_TOO_LARGE,
                                "%s of %zu bytes exceeds the %zu-byte cap",
                                hs_type_name(c->hs_in[0]), body, cap);
            need = 4 + body;
        }
        if (c->hs_in_len == need) {
            c->hs_in_len = 0;
            handle_message(c, c->hs_in, need);
            /* RFC 8446 §5.1: a message before a key change ends its record. */
            if (c->hs && c->hs->read_keys_changed && !c->error) {
                c->hs->read_keys_changed = 0;
                if (len)
                    return tf_fail(c, TLSFLOW_E_UNEXPECTED_MESSAGE,
                                   "handshake data after a key change in the same record");
            }
            if (len && tf_key_op_waiting(c)) {
                /* The rest of this record waits in place for the key operation. */
                c->rest = data;
                c->rest_len = len;
                break;
            }
        }
    }
    return c->error;
}

int tf_handshake_ccs(tlsflow_conn *c, const uint8_t *data, size_t len)
{
    if (!c->established && c->version != TF_TLS13)
        skip_optional(c, TF_CT_CCS, 0);
    /* RFC 8446 §5: TLS 1.3 drops a dummy ChangeCipherSpec (middlebox compatibility) between
     * the first ClientHello and the peer's Finished; anything else is unexpected. */
    if (c->version == TF_TLS13 || (c->hs && c->hs->version == TF_TLS13)) {
        if (c->established || c->hs->peer_finished || len != 1 || data[0] != 1)
            return tf_fail(c, TLSFLOW_E_UNEXPECTED_MESSAGE,
                           "ChangeCipherSpec where TLS 1.3 allows none");
        c->hs->ccs_seen++;
        return tf_record_idle(c, "a dummy ChangeCipherSpec");
    }
    tf_msg_id id = c->established ? TF_MSG_APPLICATION_DATA : tf_handshake_next(c);
    const tf_msg_def *def = &MSGS[id];
    if (def->content_type != TF_CT_CCS || def->sender == c->role)
        return tf_failf(c, TLSFLOW_E_UNEXPECTED_MESSAGE,
                        "ChangeCipherSpec received while expecting %s", def->name);
    if (c->hs_in_len)
        return tf_fail(c, TLSFLOW_E_UNEXPECTED_MESSAGE,
                       "ChangeCipherSpec inside a fragmented handshake message");
    if (def->read(c, data, len))
        return c->error ? c->error : tf_fail(c, TLSFLOW_E_INTERNAL, NULL);
    c->hs->step++;
    return tf_handshake_advance(c);
}

int tf_handshake_alert(tlsflow_conn *c, const uint8_t *data, size_t len)
{
    if (len != 2)
        return tf_fail(c, TLSFLOW_E_DECODE, "alert record must hold exactly two bytes");
    uint8_t level = data[0], desc = data[1];
    if (level != 1 && level != 2)
        return tf_fail(c, TLSFLOW_E_DECODE, "alert level is neither warning nor fatal");
    tf_tracef(c, TLSFLOW_STEP_ALERT_RECEIVED, "received %s alert %s (%u)",
              level == 2 ? "fatal" : "warning", tlsflow_alert_name(desc), desc);
    c->peer_alert = desc;
    if (desc == TLSFLOW_ALERT_CLOSE_NOTIFY) {
        c->close_received = 1;
        if (!c->close_queued) {
            c->close_queued = 1;
            c->pending_alert = TLSFLOW_ALERT_CLOSE_NOTIFY;
            c->pending_alert_fatal = 0;
        }
        return 0;
    }
    /* RFC 8446 §6: in TLS 1.3 every alert but close_notify and user_canceled is fatal,
     * whatever its level says. */
    int tls13 = c->version == TF_TLS13 || (c->hs && c->hs->version == TF_TLS13);
    if (level == 2 || (tls13 && desc != TLSFLOW_ALERT_USER_CANCELED)) {
        c->error = TLSFLOW_E_PEER_ALERT;
        snprintf(c->work->error_buf, sizeof(c->work->error_buf),
                 "the peer sent a fatal %s alert (%u)", tlsflow_alert_name(desc), desc);
        c->error_text = c->work->error_buf;
        return c->error;
    }
    return tf_record_idle(c, "a warning alert"); /* other warnings change nothing */
}

static int queue_message(tlsflow_conn *c, uint8_t type, int (*fill)(tf_writer *w, void *arg),
                         void *arg, int transcript)
{
    uint8_t *start = c->hs_out + c->hs_out_len;
    tf_writer w = tf_writer_init(start, c->hs_out_cap - c->hs_out_len);
    tf_put_u8(&w, type);
    tf_vec body = tf_put_vector_begin(&w, 3);
    if (!tf_writer_ok(&w) || fill(&w, arg) || !tf_put_vector_end(&w, body))
        return tf_failf(c, TLSFLOW_E_INTERNAL, "%s does not fit the output queue",
                        hs_type_name(type));
    if (transcript && tf_transcript_add(c, start, w.len))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "transcript hash failed");
    c->hs_out_len += w.len;
    tf_note_high_water(&c->work->hs_out_hw, c->hs_out_len);
    return 0;
}

int tf_queue_handshake(tlsflow_conn *c, uint8_t type, int (*fill)(tf_writer *w, void *arg),
                       void *arg)
{
    return queue_message(c, type, fill, arg, 1);
}

int tf_queue_post_handshake(tlsflow_conn *c, uint8_t type, int (*fill)(tf_writer *w, void *arg),
                            void *arg)
{
    return queue_message(c, type, fill, arg, 0);
}

/* ---- ChangeCipherSpec and Finished: the same for both roles ------------------------------ */

int tf_write_ccs(tlsflow_conn *c)
{
    tf_record_mark(c, TF_MARK_CCS_KEYS); /* the record layer switches keys when it gets there */
    tf_trace(c, TLSFLOW_STEP_CHANGE_CIPHER_SPEC_SENT,
             "ChangeCipherSpec: our records switch to "
             "the new keys");
    return 0;
}

int tf_read_ccs(tlsflow_conn *c, const uint8_t *body, size_t len)
{
    if (len != 1 || body[0] != 1)
        return tf_fail(c, TLSFLOW_E_DECODE, "ChangeCipherSpec body must be the single byte 1");
    if (tf_keys_activate(c, 0))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "could not install the read keys");
    tf_trace(c, TLSFLOW_STEP_CHANGE_CIPHER_SPEC_RECEIVED,
             "ChangeCipherSpec: the peer's records are now protected");
    return 0;
}

static int fill_finished(tf_writer *w, void *arg)
{
    return tf_finished_write(w, arg, 12);
}

int tf_write_finished(tlsflow_conn *c)
{
    uint8_t hash[TF_MAX_HASH], verify[12];
    size_t n = tf_transcript_hash(c, hash);
    if (!n || tf_keys_finished(c, c->role == TLSFLOW_CLIENT, hash, n, verify))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "could not compute Finished");
    int err = tf_queue_handshake(c, TF_HS_FINISHED, fill_finished, verify);
    tf_trace(c, TLSFLOW_STEP_FINISHED_SENT, "Finished sent: proves we saw the same handshake");
    return err;
}

int tf_read_finished(tlsflow_conn *c, const uint8_t *body, size_t len)
{
    tf_view got;
    const char *why = NULL;
    int err = tf_finished_parse(body, len, &got, &why);
    if (err)
        return tf_fail(c, err, why);
    uint8_t want[12];
    size_t n = tf_hash_len(c->hs->suite->prf_hash);
    if (tf_keys_finished(c, c->role != TLSFLOW_CLIENT, c->hs->hash_before, n, want))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "could not compute Finished");
    if (!tf_ct_equal(want, got.p, 12))
        return tf_fail(c, TLSFLOW_E_BAD_FINISHED, "the peer's Finished verify_data is wrong");
    tf_trace(c, TLSFLOW_STEP_FINISHED_VERIFIED,
             "Finished verified: both sides derived the same keys from the same handshake");
    return 0;
}
