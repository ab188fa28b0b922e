/* The handshake as data: a table of messages (who sends it, how it is written, how it is
 * read) and, per key exchange, the sequence of messages a handshake consists of.
 * The dispatcher accepts exactly the next message of the sequence; anything else is
 * unexpected_message. */
#ifndef TLSFLOW_HANDSHAKE_H
#define TLSFLOW_HANDSHAKE_H

#include "cursor.h"
#include "internal.h"
#include "msg.h"

typedef enum {
    TF_MSG_CLIENT_HELLO,
    TF_MSG_SERVER_HELLO,
    TF_MSG_SERVER_CERTIFICATE,
    TF_MSG_SERVER_KEY_EXCHANGE, /* ECDHE: signed ephemeral public value */
    TF_MSG_CERTIFICATE_REQUEST, /* the server asks for a client certificate */
    TF_MSG_SERVER_HELLO_DONE,
    TF_MSG_CLIENT_CERTIFICATE,        /* the client's chain, or an empty list */
    TF_MSG_CLIENT_KEY_EXCHANGE,       /* RSA: encrypted premaster */
    TF_MSG_CLIENT_KEY_EXCHANGE_ECDHE, /* ECDHE: the client's public value */
    TF_MSG_CLIENT_CCS,
    TF_MSG_CLIENT_FINISHED,
    TF_MSG_SERVER_CCS,
    TF_MSG_SERVER_FINISHED,
    /* TLS 1.3 (RFC 8446 §2) */
    TF_MSG_HELLO_RETRY_REQUEST,       /* a ServerHello asking for another key share */
    TF_MSG_CLIENT_HELLO2,             /* the ClientHello that answers it */
    TF_MSG_ENCRYPTED_EXTENSIONS,      /* the first message under the handshake keys */
    TF_MSG_CERTIFICATE_REQUEST13,     /* the server asks for a client certificate */
    TF_MSG_SERVER_CERTIFICATE13,      /* with the TLS 1.3 layout */
    TF_MSG_SERVER_CERTIFICATE_VERIFY, /* the server's signature over the transcript */
    TF_MSG_SERVER_FINISHED13,
    TF_MSG_CLIENT_CERTIFICATE13, /* our answer to a request: an empty list */
    TF_MSG_CLIENT_FINISHED13,
    /* Client authentication */
    TF_MSG_CLIENT_CERTIFICATE_VERIFY,   /* TLS 1.2: after ClientKeyExchange */
    TF_MSG_CLIENT_CERTIFICATE_VERIFY13, /* TLS 1.3: after the client's Certificate */
    /* Resumption */
    TF_MSG_SERVER_NEW_SESSION_TICKET12, /* TLS 1.2 (RFC 5077), when the client asked */
    TF_MSG_APPLICATION_DATA,            /* end of every sequence: the handshake is done */
    TF_MSG_COUNT
} tf_msg_id;

/* One row of the message table. */
typedef struct {
    const char *name;
    uint8_t content_type; /* TF_CT_HANDSHAKE or TF_CT_CCS */
    uint8_t hs_type;      /* for handshake messages */
    tlsflow_role sender;
    int (*write)(tlsflow_conn *c);                                 /* queue it */
    int (*read)(tlsflow_conn *c, const uint8_t *body, size_t len); /* act on it */
    int optional; /* may be absent: its writer writes nothing, a reader passes over it */
} tf_msg_def;

const tf_msg_def *tf_msg_table(tf_msg_id id);

/* One row per key exchange: what it is called and the handshake it makes. */
typedef struct {
    tf_kx kx;
    const char *name;                /* as tlsflow_info reports it */
    const uint8_t *flow;             /* the message sequence (tf_msg_id values) */
    const uint8_t *flow_client_auth; /* the same when the server asks for a certificate */
    int ephemeral;                   /* a named group and a signed ServerKeyExchange are needed */
    const uint8_t *flow_hrr;         /* TLS 1.3: after a HelloRetryRequest */
    const uint8_t *flow_hrr_client_auth;
    const uint8_t *flow_client_cert; /* the client sends a certificate and CertificateVerify */
    const uint8_t *flow_hrr_client_cert;
    const uint8_t *flow_resume;     /* a session resumed from a ticket */
    const uint8_t *flow_hrr_resume; /* TLS 1.3: resumed after a HelloRetryRequest */
} tf_kx_def;

/* Which sequence: after a HelloRetryRequest or not; client authentication none (0), asked
 * for (1), or with the client's certificate and signature (2). */
const uint8_t *tf_flow_select(tf_kx kx, int hrr, int client_auth);

const tf_kx_def *tf_kx_find(tf_kx kx);
/* The message sequence for a key exchange. */
const uint8_t *tf_flow_for(tf_kx kx);
/* The message the connection expects or must send next. */
tf_msg_id tf_handshake_next(const tlsflow_conn *c);

/* Start (client: queue ClientHello) and send whatever is our turn. */
int tf_handshake_advance(tlsflow_conn *c);
/* Input from the record layer, by content type. */
int tf_handshake_bytes(tlsflow_conn *c, const uint8_t *data, size_t len);
int tf_handshake_ccs(tlsflow_conn *c, const uint8_t *data, size_t len);
int tf_handshake_alert(tlsflow_conn *c, const uint8_t *data, size_t len);

/* For message writers: queue one handshake message (header added, transcript updated).
 * The body is written by `fill` into the writer it is given. */
int tf_queue_handshake(tlsflow_conn *c, uint8_t type, int (*fill)(tf_writer *w, void *arg),
                       void *arg);
/* The same after the handshake (TLS 1.3 KeyUpdate): no transcript any more. */
int tf_queue_post_handshake(tlsflow_conn *c, uint8_t type, int (*fill)(tf_writer *w, void *arg),
                            void *arg);

/* Role handlers (client.c, server.c, and the shared ChangeCipherSpec/Finished). */
int tf_client_write_hello(tlsflow_conn *c);
int tf_client_read_server_hello(tlsflow_conn *c, const uint8_t *body, size_t len);
int tf_client_read_certificate(tlsflow_conn *c, const uint8_t *body, size_t len);
int tf_client_read_hello_done(tlsflow_conn *c, const uint8_t *body, size_t len);
int tf_client_read_certificate_request(tlsflow_conn *c, const uint8_t *body, size_t len);
int tf_client_write_certificate(tlsflow_conn *c);
int tf_client_write_key_exchange(tlsflow_conn *c);
int tf_server_read_client_hello(tlsflow_conn *c, const uint8_t *body, size_t len);
int tf_server_write_hello(tlsflow_conn *c);
int tf_server_write_certificate(tlsflow_conn *c);
int tf_server_write_hello_done(tlsflow_conn *c);
int tf_server_read_key_exchange(tlsflow_conn *c, const uint8_t *body, size_t len);
/* ECDHE (ecdhe.c). */
int tf_server_write_ecdhe_params(tlsflow_conn *c);
int tf_client_read_ecdhe_params(tlsflow_conn *c, const uint8_t *body, size_t len);
int tf_client_write_ecdhe_key_exchange(tlsflow_conn *c);
int tf_server_read_ecdhe_key_exchange(tlsflow_conn *c, const uint8_t *body, size_t len);
/* TLS 1.3 (server13.c, client13.c, handshake13.c). */
int tf13_server_read_client_hello(tlsflow_conn *c, const void *client_hello, const uint8_t *body,
                                  size_t len);
/* Does the ClientHello (a tf_client_hello) offer a TLS 1.3 suite we have? */
int tf13_common_suite(const tlsflow_config *cfg, const void *client_hello);
int tf13_server_write_hrr(tlsflow_conn *c);
int tf13_server_read_client_hello2(tlsflow_conn *c, const uint8_t *body, size_t len);
int tf13_server_write_hello(tlsflow_conn *c);
int tf13_server_write_encrypted_extensions(tlsflow_conn *c);
int tf13_server_write_certificate(tlsflow_conn *c);
int tf13_server_write_certificate_verify(tlsflow_conn *c);
int tf13_client_read_server_hello(tlsflow_conn *c, const void *server_hello, const uint8_t *body,
                                  size_t len);
/* The TLS 1.3 part of our ClientHello (a tf_client_offer): versions (down to min), key
 * share, session id, the cookie of a HelloRetryRequest. */
int tf13_client_offer(tlsflow_conn *c, void *offer, uint16_t min);
int tf13_client_read_encrypted_extensions(tlsflow_conn *c, const uint8_t *body, size_t len);
int tf13_client_read_certificate_request(tlsflow_conn *c, const uint8_t *body, size_t len);
/* Resumption (resume12.c, resume13.c). */
int tf_server_write_ticket12(tlsflow_conn *c);
int tf_client_read_ticket12(tlsflow_conn *c, const uint8_t *body, size_t len);
/* Server, TLS 1.2 ClientHello: resume the ticket offered if it opens, is fresh and fits;
 * 1 if resuming (suite, master secret and flow set), 0 for a full handshake. */
int tf_server_resume12(tlsflow_conn *c, const void *client_hello);
/* Client, TLS 1.2 ServerHello: did the server take our session? 1 (keys made), 0, or the
 * error. */
int tf_client_resumed12(tlsflow_conn *c, const void *server_hello);
/* After a handshake: the client keeps its session (TLS 1.2); the server sends TLS 1.3
 * tickets. */
int tf_resume_handshake_done(tlsflow_conn *c);
/* TLS 1.3: server takes a PSK from the ClientHello (1: resuming, 0: full handshake); client
 * prepares its offer (a tf_client_offer) and checks the server's answer. */
int tf13_server_resume(tlsflow_conn *c, const void *client_hello, const uint8_t *body, size_t len);
int tf13_client_offer_psk(tlsflow_conn *c, void *offer);
int tf13_client_psk_answer(tlsflow_conn *c, const void *server_hello);
/* TLS 1.3 resumption_master_secret, once the client's Finished is in the transcript. */
int tf13_resumption_secret(tlsflow_conn *c);
int tf13_client_read_ticket(tlsflow_conn *c, const uint8_t *body, size_t len);
int tf13_send_tickets(tlsflow_conn *c);
/* Client authentication, both roles and versions (client_auth.c). */
int tf_server_write_certificate_request(tlsflow_conn *c);
int tf13_server_write_certificate_request(tlsflow_conn *c);
int tf_server_read_client_certificate(tlsflow_conn *c, const uint8_t *body, size_t len);
int tf13_server_read_client_certificate(tlsflow_conn *c, const uint8_t *body, size_t len);
int tf_server_read_certificate_verify(tlsflow_conn *c, const uint8_t *body, size_t len);
int tf13_server_read_certificate_verify(tlsflow_conn *c, const uint8_t *body, size_t len);
int tf_client_write_certificate_verify(tlsflow_conn *c);
int tf13_client_write_certificate_verify(tlsflow_conn *c);
int tf13_client_read_certificate(tlsflow_conn *c, const uint8_t *body, size_t len);
int tf13_client_read_certificate_verify(tlsflow_conn *c, const uint8_t *body, size_t len);
int tf13_client_write_certificate(tlsflow_conn *c);
int tf13_write_finished(tlsflow_conn *c);
int tf13_read_finished(tlsflow_conn *c, const uint8_t *body, size_t len);
/* What CertificateVerify signs (RFC 8446 §4.4.3): 64 spaces, the context string of the
 * server's or the client's, a zero byte, the transcript hash. Returns its length. */
#define TF13_MAX_CV_CONTENT (64 + 34 + 1 + TF_MAX_HASH)
size_t tf13_cv_content(const tlsflow_conn *c, int server, const uint8_t *hash, uint8_t *out);
/* After the handshake: KeyUpdate (both roles), NewSessionTicket (client). */
int tf13_post_handshake(tlsflow_conn *c, uint8_t type, const uint8_t *body, size_t len);
/* Queue a KeyUpdate of ours and the switch to the next write keys after it. */
int tf13_send_key_update(tlsflow_conn *c, int update_requested);
/* Server choices both versions share (server.c): the credentials that may answer a
 * ClientHello's SNI, our ALPN pick (sets info.alpn; fails when none is common), whether a
 * cipher_suites list holds a suite. */
size_t tf_server_candidates(const tlsflow_config *cfg, const tf_view *sni,
                            const tf_credential **out);
int tf_server_pick_alpn(tlsflow_conn *c, const tf_view *offered);
int tf_offers_suite(const tf_view *suites, uint16_t id);
/* The server chain check both versions share (client.c). */
int tf_client_check_server_chain(tlsflow_conn *c, const tf_view *certs, size_t n);
int tf_write_ccs(tlsflow_conn *c);
int tf_read_ccs(tlsflow_conn *c, const uint8_t *body, size_t len);
int tf_write_finished(tlsflow_conn *c);
int tf_read_finished(tlsflow_conn *c, const uint8_t *body, size_t len);

#endif
