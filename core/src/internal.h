/* The engine's private state: configuration and connection layouts. */
#ifndef TLSFLOW_INTERNAL_H
#define TLSFLOW_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "tlsflow/tlsflow.h"
#include "crypto.h"
#include "suites.h"
#include "x509.h"

#define TF_MAX_CREDENTIALS 16
#define TF_MAX_CHAIN       10
#define TF_MAX_ANCHORS     64
#define TF_MAX_SUITES      16
#define TF_MAX_GROUPS      8
#define TF_MAX_SIG_SCHEMES 16
#define TF_MAX_SPKI        1200  /* up to RSA-8192 */
#define TF_MAX_NAME        255   /* host names (RFC 1035 limit) */
#define TF_PEER_CHAIN_CAP  16384 /* default room for the peer's certificates */
#define TF_MAX_SESSION     6912  /* an exported session: secret, names, ticket, the leaf */

/* Sizes of the buffers carved out of a connection's single allocation. */
#define TF_IN_CAP  (TLSFLOW_MAX_RECORD + 16) /* + room to start a record at its alignment */
#define TF_OUT_CAP (5 + 8 + TLSFLOW_MAX_PLAINTEXT + 16 + 64)

enum { TF_CT_CCS = 20, TF_CT_ALERT = 21, TF_CT_HANDSHAKE = 22, TF_CT_APPDATA = 23 };
enum {
    TF_HS_HELLO_REQUEST = 0,
    TF_HS_CLIENT_HELLO = 1,
    TF_HS_SERVER_HELLO = 2,
    TF_HS_CERTIFICATE = 11,
    TF_HS_SERVER_KEY_EXCHANGE = 12,
    TF_HS_CERTIFICATE_REQUEST = 13,
    TF_HS_SERVER_HELLO_DONE = 14,
    TF_HS_CERTIFICATE_VERIFY = 15,
    TF_HS_CLIENT_KEY_EXCHANGE = 16,
    TF_HS_FINISHED = 20,
    TF_HS_NEW_SESSION_TICKET = 4,
    TF_HS_ENCRYPTED_EXTENSIONS = 8,
    TF_HS_KEY_UPDATE = 24,
    TF_HS_MESSAGE_HASH = 254
};

#define TF_SSL30 0x0300 /* refused on sight (RFC 8446 §D.5, RFC 7568) */
#define TF_TLS12 0x0303
#define TF_TLS13 0x0304

/* A server certificate chain with its key. */
typedef struct {
    uint8_t *der[TF_MAX_CHAIN];
    size_t der_len[TF_MAX_CHAIN];
    size_t n_certs;
    size_t chain_bytes;  /* sum of der_len */
    tf_private_key *key; /* NULL when the key stays with the caller (key_handle) */
    void *key_handle;    /* the caller's name for an outside key */
    int key_bits;
    tf_key_type key_type; /* which suites it can serve */
    uint16_t key_group;   /* EC: the key's curve as a named group */
    char *sni_name;       /* NULL: default credential */
    tlsflow_cert_info info;
} tf_credential;

struct tlsflow_config {
    tlsflow_role role;
    tf_credential creds[TF_MAX_CREDENTIALS];
    size_t n_creds;
    uint8_t *anchor_der[TF_MAX_ANCHORS];
    size_t anchor_len[TF_MAX_ANCHORS];
    size_t n_anchors;
    tf_trust *trust;
    char server_name[TF_MAX_NAME + 1];
    uint8_t alpn[256]; /* ProtocolNameList body: u8-prefixed names */
    size_t alpn_len;
    uint16_t suites[TF_MAX_SUITES];
    size_t n_suites;
    uint16_t groups[TF_MAX_GROUPS]; /* ECDHE groups, preference order */
    size_t n_groups;
    uint16_t sig_schemes[TF_MAX_SIG_SCHEMES]; /* signature schemes, preference order */
    size_t n_sig_schemes;
    size_t max_handshake;
    int offer_ems;
    int release_idle;                /* connections may give their buffers back while idle */
    int keep_client_hello;           /* release mode: the hello summary outlives a release */
    tlsflow_workspace_get_fn ws_get; /* release mode's workspaces; NULL: aligned_alloc */
    tlsflow_workspace_put_fn ws_put;
    void *ws_ctx;
    tlsflow_random_fn random;
    void *random_ctx;
    tf_drbg *shared_drbg; /* tlsflow_config_set_one_thread: one generator for all */
    tlsflow_time_fn time;
    void *time_ctx;
    tlsflow_trace_fn trace;
    void *trace_ctx;
    tlsflow_keylog_fn keylog;
    void *keylog_ctx;
    tlsflow_verify_fn verify;
    void *verify_ctx;
    int key_offload;                   /* every private-key operation goes to the caller */
    int client_auth;                   /* server: TLSFLOW_CLIENT_AUTH_* */
    tlsflow_ticket_key ticket_keys[8]; /* server: [0] seals, all open */
    size_t n_ticket_keys;
    uint32_t ticket_lifetime;
    unsigned ticket_count; /* TLS 1.3 tickets after a full handshake */
    tlsflow_session_fn session_cb;
    void *session_ctx;
    uint16_t min_version, max_version;
    uint16_t record_size_limit; /* RFC 8449, ours; 0: not sent */
    tlsflow_ticket_fn ticket;
    void *ticket_ctx;
    size_t peer_chain_cap; /* workspace bytes that keep the peer's certificates */
};

/* One direction of the record layer: what protects its records and nothing more. The
 * wolfCrypt context keyed from `key` (about 1.1 KiB for AES-GCM) lives in the workspace
 * (tf_work) and is rebuilt there after tlsflow_conn_release_buffers gave it back. */
#define TF_MAX_KEY            32 /* AES-256, ChaCha20 */
#define TF_MAX_TRAFFIC_SECRET 48 /* SHA-384 */
typedef struct {
    const tf_suite *suite; /* AEAD, key length, nonce layout and overhead */
    uint64_t seq;
    uint8_t key[TF_MAX_KEY];               /* suite->key_len bytes used */
    uint8_t fixed_iv[12];                  /* suite->fixed_iv_len bytes used */
    uint8_t active;                        /* records in this direction are protected */
    uint8_t tls13;                         /* RFC 8446 records: inner content type, header as AAD */
    uint8_t secret[TF_MAX_TRAFFIC_SECRET]; /* TLS 1.3: the traffic secret in use (KeyUpdate) */
} tf_direction;

/* Something the record layer does when the output queue reaches a point of it. */
enum {
    TF_MARK_CCS_KEYS = 1, /* TLS 1.2: ChangeCipherSpec, then our new write keys */
    TF_MARK_CCS,          /* TLS 1.3: a dummy ChangeCipherSpec (middlebox compatibility) */
    TF_MARK_KEYS_HS,      /* TLS 1.3: write with our handshake traffic secret */
    TF_MARK_KEYS_AP,      /* TLS 1.3: write with our application traffic secret */
    TF_MARK_KEYS_UPDATE   /* TLS 1.3: write with the next secret (after our KeyUpdate) */
};
typedef struct {
    size_t at; /* offset in the handshake output queue */
    uint8_t kind;
} tf_mark;
#define TF_MAX_MARKS 4

/* The part of the workspace that is neither handshake state nor a buffer: what only a
 * connection that is doing something needs. Release mode frees it with the rest of the
 * workspace (wiped first); a connection without release mode keeps it for its lifetime.
 * - the record layer's wolfCrypt contexts, keyed from tf_direction.key when the
 *   direction's keys are installed, and again after a release when a record next moves
 *   (record.c);
 * - the marks of the handshake output queue (a connection with marks is not idle);
 * - the per-connection DRBG (freed once the handshake is done in any case);
 * - the text of a formatted error (an error ends the connection, which then never gives
 *   its workspace back);
 * - how far each buffer was ever filled (what a release or free must wipe). */
typedef struct {
    tf_aead aead[2]; /* [0] read, [1] write; .ready once keyed */
    tf_mark marks[TF_MAX_MARKS];
    tf_drbg drbg;
    char error_buf[192];
    size_t in_hw, out_hw, hs_in_hw, hs_out_hw; /* the buffers' high-water marks: what to wipe */
    size_t peer_chain_hw;                      /* likewise for the peer's certificates */
    size_t session_hw, ticket_hw;              /* ... and tf_handshake's session and ticket */
} tf_work;

/* A private-key operation the handshake waits for (keyop.c). `finish` continues the
 * handshake with the result (NULL: the operation failed). */
typedef struct tf_key_op {
    tlsflow_key_operation pub; /* what tlsflow_key_op() shows the caller */
    int waiting;               /* the caller's turn: the handshake stops here */
    const tf_credential *cred;
    int (*finish)(tlsflow_conn *c, const uint8_t *result, size_t len);
    uint8_t input[1024]; /* an RSA-8192 ciphertext, or the message to sign */
    uint8_t digest[TF_MAX_HASH];
} tf_key_op;

/* The peer's certificates: views into the message while it is read, then copies in the
 * workspace's peer chain area (as many as fit). */
typedef struct {
    const uint8_t *der[TF_MAX_CHAIN];
    size_t len[TF_MAX_CHAIN];
    size_t n;
} tf_peer_chain;

/* Everything the handshake accumulates. Wiped when the handshake ends. */
typedef struct {
    const uint8_t *flow; /* the expected sequence of messages (tf_msg_id) */
    size_t step;         /* index of the next message in flow */
    const tf_suite *suite;
    tf_hash transcript256, transcript384; /* both run until the suite is known */
    uint8_t client_random[32];
    uint8_t server_random[32];
    uint16_t client_version;
    uint8_t premaster[TF_MAX_KX_SECRET > 48 ? TF_MAX_KX_SECRET : 48];
    size_t premaster_len; /* 48 for RSA; the shared secret's size for ECDHE */
    uint8_t master[48];
    uint8_t key_block[2 * 32 + 2 * 12];
    int ems;
    int client_offered_alpn;
    int client_point_formats;       /* server: the client sent ec_point_formats */
    int offered_ecdhe;              /* client: supported_groups went out */
    const tf_credential *cred;      /* server: the chain we present */
    uint8_t peer_spki[TF_MAX_SPKI]; /* client: the server's public key */
    size_t peer_spki_len;
    tf_key_type peer_key_type;

    /* ECDHE: the group, how the server signs, our ephemeral key, the peer's value. */
    uint16_t group;
    uint16_t sig_scheme;
    uint8_t kx_priv[TF_MAX_KX_SECRET];
    size_t kx_priv_len;
    uint8_t kx_pub[TF_MAX_KX_PUBLIC];
    size_t kx_pub_len;
    uint8_t peer_pub[TF_MAX_KX_PUBLIC];
    size_t peer_pub_len;
    uint8_t hash_before[TF_MAX_HASH]; /* transcript up to the current message */

    /* TLS 1.3 */
    uint16_t version;       /* what was negotiated (0 until known) */
    uint8_t session_id[32]; /* ours (client, compatibility mode) or the echo */
    size_t session_id_len;
    uint8_t secret13[TF_MAX_HASH];                /* handshake secret, then the master secret */
    uint8_t c_hs[TF_MAX_HASH], s_hs[TF_MAX_HASH]; /* handshake traffic secrets */
    uint8_t c_ap[TF_MAX_HASH];                    /* client application traffic secret 0 */
    uint8_t s_ap[TF_MAX_HASH]; /* server application traffic secret 0, until installed */
    int hrr;                   /* a HelloRetryRequest happened */
    int ccs_seen;              /* dummy ChangeCipherSpecs received */
    int compat;                /* send a dummy ChangeCipherSpec (middlebox compatibility) */
    int ccs_sent;              /* ... and it went out */
    int read_keys_changed;     /* a message just changed the read keys */
    int peer_finished;         /* TLS 1.3: the peer's Finished arrived */
    uint16_t peer_key_group;   /* client: the server key's curve (ECDSA) */
    uint8_t cr_context[255];   /* client: the CertificateRequest's context */
    size_t cr_context_len;
    uint8_t hash_before384[TF_MAX_HASH]; /* before the suite is known: the SHA-384 one too */

    /* Resumption */
    size_t session_len;       /* of session[], below */
    int offer_session;        /* client: session holds an imported one to offer */
    int resuming;             /* this handshake resumes a session */
    int ticket_asked;         /* TLS 1.2: the client sent SessionTicket (server), the
                                 server will send a ticket (client) */
    uint8_t psk[TF_MAX_HASH]; /* TLS 1.3: the PSK being resumed */
    size_t psk_len;
    uint16_t psk_suite; /* client: the suite the offered PSK belongs to */
    size_t ticket_len;  /* of ticket[], below */
    uint32_t ticket_lifetime;

    /* Client authentication */
    const tf_credential *client_cred; /* client: the certificate we answer with, or NULL */
    uint16_t client_scheme;           /* ... and how its CertificateVerify is signed */
    uint8_t cookie[512];              /* client: the HelloRetryRequest's cookie to echo */
    size_t cookie_len;
    uint8_t hrr_hash[TF_MAX_HASH]; /* Hash(ClientHello1) for the message_hash */
    tf_key_op op;                  /* the private-key operation in progress */
    tf_peer_chain peer;            /* what tlsflow_peer_cert() shows */
    tlsflow_hello_info hello;      /* info.client_hello, unless the connection keeps its own */

    /* Last, and not zeroed with the rest (TF_HS_ZEROED): a client's resumption buffers,
     * 9 KB that most handshakes never touch, written and wiped up to tf_work's marks. */
    uint8_t session[TF_MAX_SESSION]; /* client: the session offered, then the latest made */
    uint8_t ticket[2048];            /* client, TLS 1.2: the ticket the server issued */
} tf_handshake;

/* What a new handshake state zeroes and a finished one wipes whole. */
#define TF_HS_ZEROED offsetof(tf_handshake, session)

struct tlsflow_conn {
    const tlsflow_config *cfg;
    tlsflow_role role;
    int owned; /* allocated by tlsflow_conn_new */
    size_t mem_size;
    void *workspace;    /* handshake state + buffers; NULL while released */
    tf_work *work;      /* in the workspace: record contexts, marks, DRBG, error text */
    int owns_workspace; /* release mode: the workspace is its own allocation */

    /* input: bytes fed by the caller, parsed in place */
    uint8_t *in;
    size_t in_len; /* bytes held */
    size_t in_off; /* bytes consumed by the record layer */
    int in_eof;
    const uint8_t *app; /* decrypted application data (inside `in`) */
    size_t app_len;
    const uint8_t *rest; /* handshake plaintext of a record not yet taken (inside `in`): */
    size_t rest_len;     /* what followed a message that stopped for a key operation */

    /* output: records ready for the wire */
    uint8_t *out;
    size_t out_off, out_len;

    /* handshake messages to send, and where our ChangeCipherSpec goes among them */
    uint8_t *hs_out;
    size_t hs_out_cap, hs_out_len, hs_out_off;
    size_t n_marks; /* marks (in the workspace) of what happens where in hs_out */

    /* incoming handshake message being reassembled */
    uint8_t *hs_in;
    size_t hs_in_cap, hs_in_len;
    uint8_t *peer_chain; /* the peer's certificates, kept (cfg->peer_chain_cap bytes) */

    tf_direction rd, wr;
    const tf_suite *suite;     /* the negotiated suite, once known */
    uint16_t version;          /* the negotiated version, once known */
    size_t peer_record_limit;  /* largest plaintext the peer takes (RFC 8449) */
    size_t own_record_limit;   /* largest plaintext we take, once the peer agreed */
    uint64_t key_update_after; /* TLS 1.3: write records before our own KeyUpdate (§5.5) */
    int key_update_pending;    /* TLS 1.3: a KeyUpdate of ours is queued */
    uint8_t res_secret[TF_MAX_TRAFFIC_SECRET]; /* TLS 1.3 resumption_master_secret (tickets) */
    uint8_t tickets_seen;                      /* TLS 1.3: NewSessionTickets sent or received */
    tf_drbg *rng;     /* &work->drbg (NULL while released), or the configuration's one-thread one */
    tf_handshake *hs; /* handshake state: in the workspace, gone once released */
    int version_fixed; /* records must now carry 0x0303 */

    unsigned idle_records; /* records in a row that carried nothing */
    int established;       /* both Finished verified */
    int done_reported;     /* TLSFLOW_HANDSHAKE_DONE returned */
    int close_queued;      /* our close_notify queued */
    int close_received;    /* peer's close_notify seen */
    int pending_alert;     /* -1 or the alert description to send */
    int pending_alert_fatal;

    /* what keying material exporters need once the handshake is gone */
    tf_hash_alg export_hash;
    uint8_t export_secret[48];  /* TLS 1.2: the master secret */
    uint8_t export_randoms[64]; /* TLS 1.2: client_random || server_random */

    int error;
    const char *error_text; /* static, or work->error_buf */
    int started;
    int peer_alert;
    int sent_alert;

    tlsflow_info info;
};

/* config.c: the versions the configuration can do (its range, narrowed to those it has
 * suites for); *min > *max when none. */
void tf_config_versions(const tlsflow_config *cfg, uint16_t *min, uint16_t *max);

/* conn.c: where the ClientHello summary is written (what info.client_hello shows), or
 * NULL once it is gone (a released connection that does not keep it). */
tlsflow_hello_info *tf_hello_store(tlsflow_conn *c);

/* conn.c: the connection's random bytes: the configured source, or its own DRBG when the
 * configuration keeps the default. tf_random_cb has the callback shape (ctx = conn). */
int tf_random(tlsflow_conn *c, uint8_t *out, size_t len);
int tf_random_cb(void *conn, uint8_t *out, size_t len);

/* Remember how far a buffer was ever filled. */
static inline void tf_note_high_water(size_t *mark, size_t used)
{
    if (used > *mark)
        *mark = used;
}

/* error.c: record the first fatal error, queue its alert; returns err. */
int tf_fail(tlsflow_conn *c, int err, const char *text);
/* The same with a formatted sentence. */
int tf_failf(tlsflow_conn *c, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The alert description that goes with an error code (-1: none). */
int tf_alert_for(int err);
/* Is this one of the tlsflow_error codes? */
int tf_error_known(int err);
/* Report one step to the trace callback. */
void tf_trace(tlsflow_conn *c, tlsflow_step step, const char *text);
/* The same with a formatted sentence. */
void tf_tracef(tlsflow_conn *c, tlsflow_step step, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
