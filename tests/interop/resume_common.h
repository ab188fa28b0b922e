/* Session resumption against another TLS library in process: what test_resumption_openssl.c
 * and test_resumption_wolfssl.c share. The other library sits behind a table of functions
 * (rs_peer_ops: its contexts, connections, sessions and I/O); one pump moves whole records
 * between it and our engine, reads the plaintext part of the wire on the way (hellos, their
 * session ids, session_ticket and pre_shared_key extensions, TLS 1.2 handshake messages,
 * the server's first flight) and can flip a byte of the ticket or of the PSK binder in the
 * first ClientHello. The checks that a handshake was resumed or full read three witnesses
 * that do not depend on each other: what our engine says (tlsflow_info, its trace), what the
 * other library says, and the bytes on the wire. The scenarios both libraries run are the
 * rs_test_* functions below, cmocka tests whose initial state is the library's table. */
#ifndef TLSFLOW_RESUME_COMMON_H
#define TLSFLOW_RESUME_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "tf_test.h"
#include "tlsflow/tlsflow.h"

#define V12 TLSFLOW_VERSION_TLS12
#define V13 TLSFLOW_VERSION_TLS13

/* Handshake message types (RFC 8446 §4, RFC 5246 §7.4). */
enum {
    RS_HS_CLIENT_HELLO = 1,
    RS_HS_SERVER_HELLO = 2,
    RS_HS_NEW_SESSION_TICKET = 4,
    RS_HS_CERTIFICATE = 11,
    RS_HS_SERVER_KEY_EXCHANGE = 12,
    RS_HS_SERVER_HELLO_DONE = 14,
    RS_HS_CLIENT_KEY_EXCHANGE = 16
};

/* ---- the other library --------------------------------------------------------------- */

/* What the library itself reports having sent and read (its message callback); -1 where it
 * cannot tell. */
typedef struct {
    int certificates; /* Certificate messages it sent (as server) or read (as client) */
    int signatures;   /* ServerKeyExchange + CertificateVerify, likewise */
    int tickets;      /* NewSessionTickets, likewise (server: sent, client: read) */
    int64_t ticket_lifetime, ticket_age_add; /* the last of them */
    int alert_sent, alert_read;              /* the last alert descriptions, -1 if none */
} rs_account;

typedef struct {
    const char *name; /* "OpenSSL", "wolfSSL" */
    /* How many seconds our client's clock may run ahead of the library's server before it
     * stops taking our TLS 1.3 tickets (it checks the ticket age itself: RFC 8446 §4.2.11;
     * large if it does not). */
    int64_t server_age_slack;
    /* Its TLS 1.2 client goes on with a full handshake when the server declines the ticket
     * it offered (RFC 5077 §3.4); 0 where it cannot, and the scenarios check our server's
     * side of that handshake only, saying so. */
    int client12_fallback;
    /* With tickets turned off (ctx_tickets_off) its TLS 1.3 server still takes the tickets
     * it issued before; it only issues no new ones. */
    int tickets_off_still_resumes13;
    /* Its client offers only its session's group (supported_groups) when it resumes. */
    int client_pins_session_group;
    /* Its client offers only TLS 1.2 when it resumes a TLS 1.2 session. */
    int client_pins_tls12_session;
    /* Its client, offering a TLS 1.3 session (and both versions), gives up when the server
     * answers in TLS 1.2. */
    int client_tls13_session_fails_at_tls12;

    /* Contexts: the library's `role`, versions min..max, tickets on; for a server the
     * fixture's RSA certificate, for a client the fixture root, host "localhost". */
    void *(*ctx_new)(tlsflow_role role, uint16_t min, uint16_t max);
    void (*ctx_versions)(void *ctx, uint16_t min, uint16_t max);
    void (*ctx_tickets_off)(void *ctx);                 /* server */
    void (*ctx_ticket_lifetime)(void *ctx, uint32_t s); /* server */
    void (*ctx_only_p256)(void *ctx);                   /* server: secp256r1 its only group */
    void (*ctx_free)(void *ctx);

    /* One connection of ctx in the library's `role` (a client names "localhost"). */
    void *(*end_new)(void *ctx, tlsflow_role role);
    void (*end_free)(void *end);

    /* Sessions (client): the one a connection holds now (a new reference, resumable); to
     * offer on a connection not yet started, as it is or with one byte of its ticket
     * flipped; its ticket lifetime hint. */
    void *(*session_get)(void *end);
    void (*session_offer)(void *end, void *session);
    void (*session_offer_tampered)(void *end, void *session);
    uint32_t (*session_lifetime)(void *session);
    void (*session_free)(void *session);

    /* Bytes from our engine for the peer to read. */
    void (*feed)(void *end, const uint8_t *p, size_t n);
    /* Our engine closed: once the fed bytes are read the peer sees the end of the stream. */
    void (*eof)(void *end);
    /* Up to cap bytes the peer wrote for our engine; returns how many. */
    size_t (*drain)(void *end, uint8_t *out, size_t cap);
    /* Drive the handshake: 1 done, 0 waits for bytes, -1 failed. */
    int (*handshake)(void *end);
    /* Application data: bytes taken (0: not now), -1 failed. */
    int (*write)(void *end, const uint8_t *p, size_t n);
    /* Bytes read, 0 none now, -1 failed or closed. */
    int (*read)(void *end, uint8_t *out, size_t cap);
    /* The library's own word on resumption (SSL_session_reused, wolfSSL_session_reused). */
    int (*reused)(void *end);
    rs_account (*account)(void *end);
    /* Its errors and alerts, for failure messages. */
    void (*describe)(void *end, char *out, size_t cap);
} rs_peer_ops;

/* ---- our engine's side ------------------------------------------------------------- */

/* The engine's clock (seconds), which the tests move; TF_TEST_TIME at each test's start. */
extern int64_t rs_now;

/* What our engine reported through its callbacks during one connection. */
typedef struct {
    unsigned steps[64]; /* trace steps */
    uint8_t session[8192];
    size_t session_len;                 /* the latest session from the session callback */
    unsigned sessions;                  /* session callbacks */
    unsigned nsts;                      /* TLS 1.3 NewSessionTickets (the ticket callback) */
    uint32_t nst_lifetime, nst_age_add; /* ...the last one's ticket_lifetime and ticket_age_add */
} rs_events;

/* Two distinct ticket keys. */
extern const tlsflow_ticket_key RS_KEY_A, RS_KEY_B;

/* A configuration for our client (the fixture root, "localhost", both versions), offering
 * only `suite` (0: every suite). */
tlsflow_config *rs_our_client(uint16_t suite);
/* Our server (the fixture RSA certificate) speaking `version` (0: both), ticket keys k1 then
 * k2 (either NULL), the given ticket lifetime and TLS 1.3 ticket count. */
tlsflow_config *rs_our_server(uint16_t version, const tlsflow_ticket_key *k1,
                              const tlsflow_ticket_key *k2, uint32_t lifetime, unsigned count);

/* Bytes of the DER of the fixture's server.pem leaf (read from its PEM header). */
size_t rs_leaf_der_len(void);

/* ---- the wire ---------------------------------------------------------------------- */

/* A hello as it crossed the wire (the last one of its direction). */
typedef struct {
    int seen;
    uint8_t session_id[32];
    size_t session_id_len;
    int ticket_ext;    /* session_ticket present */
    size_t ticket_len; /* ...and its bytes (ClientHello: the ticket offered) */
    int psk;           /* pre_shared_key present */
    unsigned psk_identities;
    size_t identity_len;     /* the first identity: its bytes */
    uint32_t obfuscated_age; /* ...and its obfuscated_ticket_age */
    size_t binder_len;       /* the first binder */
    uint16_t psk_selected;   /* ServerHello: selected_identity */
    uint16_t version;        /* ServerHello: supported_versions, else legacy_version */
    int offers12, offers13;  /* ClientHello: the versions offered */
    /* offsets in the message body, for the tampering below (ClientHello only) */
    size_t ticket_at, identity_at, binder_at;
} rs_hello;

/* One direction of the wire as the test read it back. */
typedef struct {
    uint8_t rec[5 + 18432 + 256];
    size_t rec_len;        /* a record on its way, whole ones are passed on */
    int ccs;               /* a ChangeCipherSpec went by */
    size_t bytes, records; /* everything */
    unsigned msgs[256];    /* plaintext handshake messages by type */
    uint8_t hs[65536];     /* plaintext handshake bytes not yet whole messages */
    size_t hs_len;
    rs_hello hello;          /* ClientHello (client to server) or ServerHello */
    unsigned hrr;            /* HelloRetryRequests (not in hello) */
    size_t rec_start;        /* bytes before the record being read */
    unsigned nst12;          /* TLS 1.2 NewSessionTickets (plaintext) */
    uint32_t nst12_lifetime; /* ...the last one's ticket_lifetime_hint */
} rs_wire;

typedef enum {
    RS_TAMPER_NONE = 0,
    RS_TAMPER_TICKET, /* flip a byte inside the ticket the ClientHello offers (1.2 or 1.3) */
    RS_TAMPER_BINDER  /* flip a byte of the first PSK binder */
} rs_tamper;

/* Our engine and the other library, joined by the wire. */
typedef struct {
    tlsflow_conn *conn;
    tlsflow_role role; /* ours */
    const rs_peer_ops *ops;
    void *end;
    rs_events *ev;
    rs_wire c2s, s2c;
    size_t leaf_len;      /* the server certificate's DER bytes */
    size_t server_flight; /* bytes the server sent from its ServerHello (not a
                             HelloRetryRequest) to the client's next flight */
    size_t flight_start;
    int flight_known;
    rs_tamper tamper;
    int tampered;           /* the flip happened */
    int hold_server_flight; /* keep the server's protected records after ServerHello from
                               our client (it is the client) */
    tft_log to_engine;
    size_t to_engine_off;
    int tf_done, tf_closed, tf_eof;
    int peer_done, peer_failed;
    const uint8_t *tf_tx, *peer_tx;
    size_t tf_tx_len, tf_tx_done, peer_tx_len, peer_tx_done;
    tft_log tf_rx, peer_rx;
} rs_link;

/* One connection: our engine (its configuration taken over) and a connection of the
 * library's context, joined; not started, so a client may still be given a session. */
typedef struct {
    const rs_peer_ops *ops;
    tlsflow_role ours;
    tlsflow_config *cfg;
    tlsflow_conn *conn;
    rs_events ev;
    void *end;
    rs_link link;
} rs_conn;

rs_conn *rs_conn_new(const rs_peer_ops *ops, tlsflow_role ours, tlsflow_config *cfg, void *ctx);
void rs_conn_free(rs_conn *c);

/* Move bytes both ways until nothing moves (fails the test if that never happens). */
void rs_pump(rs_link *l);
/* The handshake completes on both sides without an error. */
void rs_handshake(rs_conn *c);
/* It fails on both sides: neither reports it done, both stop. */
void rs_handshake_fails(rs_conn *c);
/* n bytes each way at once, compared on arrival. */
void rs_exchange(rs_conn *c, size_t n, uint64_t seed);

/* What the client offered: a TLS 1.2 ticket in session_ticket, a TLS 1.3 PSK. */
int rs_offered_ticket12(const rs_conn *c);
int rs_offered_psk(const rs_conn *c);
/* TLS 1.2: the ServerHello echoed the ClientHello's (non-empty) session id, which says the
 * ticket was taken (RFC 5077 §3.4). */
int rs_echoed_session_id(const rs_conn *c);

/* The three witnesses agree that the handshake was resumed with `version` (no certificate,
 * no key exchange signed, the session id echoed or the PSK selected), or that it was full;
 * then data flows both ways. */
void rs_assert_resumed(rs_conn *c, uint16_t version);
void rs_assert_full(rs_conn *c, uint16_t version);

/* The library's client offering `session` (NULL: none) to our server with cfg (taken over),
 * the first ClientHello altered as `t` says. Not started. */
rs_conn *rs_peer_client(const rs_peer_ops *ops, void *ctx, tlsflow_config *cfg, void *session,
                        rs_tamper t);
/* Such a connection run to its end, resumed or full as `resumes` says; the session the
 * library holds afterwards (with our server's new tickets). */
void *rs_peer_session(const rs_peer_ops *ops, void *ctx, tlsflow_config *cfg, void *session,
                      uint16_t version, int resumes);

/* Connections, contexts and sessions live in a list until the test's teardown frees them
 * (also after a failed assertion); rs_release frees one now. rs_keep returns obj. */
void *rs_keep(void *obj, void (*free_fn)(void *));
void rs_release(void *obj);
int rs_teardown(void **state);

/* ---- the scenarios both libraries run (initial state: the rs_peer_ops) ---------------- */

#define RS_SCENARIOS(X)                                                                            \
    X(rs_test_resumes_with_peer_server_12)                                                         \
    X(rs_test_resumes_with_peer_server_13)                                                         \
    X(rs_test_peer_server_lifetime_12)                                                             \
    X(rs_test_peer_server_lifetime_13)                                                             \
    X(rs_test_other_keys_at_peer_server_12)                                                        \
    X(rs_test_other_keys_at_peer_server_13)                                                        \
    X(rs_test_no_tickets_at_peer_server_12)                                                        \
    X(rs_test_no_tickets_at_peer_server_13)                                                        \
    X(rs_test_version_switch_peer_server)                                                          \
    X(rs_test_resumes_with_peer_client_12)                                                         \
    X(rs_test_resumes_with_peer_client_13)                                                         \
    X(rs_test_rotated_keys_at_our_server_12)                                                       \
    X(rs_test_rotated_keys_at_our_server_13)                                                       \
    X(rs_test_tampered_ticket_in_peer_session_12)                                                  \
    X(rs_test_tampered_ticket_in_peer_session_13)                                                  \
    X(rs_test_tampered_ticket_on_the_wire_12)                                                      \
    X(rs_test_tampered_ticket_on_the_wire_13)                                                      \
    X(rs_test_bad_binder_to_our_server)                                                            \
    X(rs_test_our_server_lifetime_12)                                                              \
    X(rs_test_age_window_at_our_server)                                                            \
    X(rs_test_version_switch_our_server)                                                           \
    X(rs_test_resumes_sha384_12)                                                                   \
    X(rs_test_resumes_sha384_13)                                                                   \
    X(rs_test_hello_retry_resumes_with_peer_server)                                                \
    X(rs_test_hello_retry_at_our_server)

#define RS_DECLARE(name) void name(void **state);
RS_SCENARIOS(RS_DECLARE)
#undef RS_DECLARE

/* The entries of a CMUnitTest array for every scenario, against the table at RS_OPS (which
 * the test file defines as a void pointer to its rs_peer_ops). */
#define RS_ENTRY(name)    cmocka_unit_test_prestate_setup_teardown(name, NULL, rs_teardown, RS_OPS),
#define RS_SCENARIO_TESTS RS_SCENARIOS(RS_ENTRY)

#endif
