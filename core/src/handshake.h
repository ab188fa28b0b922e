/* The handshake as data: a table of messages (who sends it, how it is written, how it is
 * read) and, per key exchange, the sequence of messages a handshake consists of.
 * The dispatcher accepts exactly the next message of the sequence; anything else is
 * unexpected_message. */
#ifndef TLSFLOW_HANDSHAKE_H
#define TLSFLOW_HANDSHAKE_H

#include "cursor.h"
#include "internal.h"

typedef enum {
    TF_MSG_CLIENT_HELLO,
    TF_MSG_SERVER_HELLO,
    TF_MSG_SERVER_CERTIFICATE,
    TF_MSG_SERVER_KEY_EXCHANGE, /* ECDHE: signed ephemeral public value */
    TF_MSG_CERTIFICATE_REQUEST, /* the server asks for a client certificate */
    TF_MSG_SERVER_HELLO_DONE,
    TF_MSG_CLIENT_CERTIFICATE,        /* our answer: an empty list, we have none */
    TF_MSG_CLIENT_KEY_EXCHANGE,       /* RSA: encrypted premaster */
    TF_MSG_CLIENT_KEY_EXCHANGE_ECDHE, /* ECDHE: the client's public value */
    TF_MSG_CLIENT_CCS,
    TF_MSG_CLIENT_FINISHED,
    TF_MSG_SERVER_CCS,
    TF_MSG_SERVER_FINISHED,
    TF_MSG_APPLICATION_DATA, /* end of every sequence: the handshake is done */
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
} tf_msg_def;

const tf_msg_def *tf_msg_table(tf_msg_id id);

/* One row per key exchange: what it is called and the handshake it makes. */
typedef struct {
    tf_kx kx;
    const char *name;                /* as tlsflow_info reports it */
    const uint8_t *flow;             /* the message sequence (tf_msg_id values) */
    const uint8_t *flow_client_auth; /* the same when the server asks for a certificate */
    int ephemeral;                   /* a named group and a signed ServerKeyExchange are needed */
} tf_kx_def;

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
int tf_write_ccs(tlsflow_conn *c);
int tf_read_ccs(tlsflow_conn *c, const uint8_t *body, size_t len);
int tf_write_finished(tlsflow_conn *c);
int tf_read_finished(tlsflow_conn *c, const uint8_t *body, size_t len);

#endif
