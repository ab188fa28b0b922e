/* OpenSSL as an in-process peer for tlsflow: a test PKI made with OpenSSL's own X.509
 * code, and one pump that moves bytes between a tlsflow_conn and an SSL* over memory
 * BIOs. No sockets, no files, and every loop is bounded so a bug fails instead of hangs. */
#ifndef TLSFLOW_OSSL_PEER_H
#define TLSFLOW_OSSL_PEER_H

#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include "tlsflow/tlsflow.h"

/* Validity dates of the test PKI (seconds since the epoch, UTC). */
#define PEER_T_2020 ((int64_t)1577836800)
#define PEER_T_2025 ((int64_t)1735689600)
#define PEER_T_2026 ((int64_t)1767225600)
#define PEER_T_2027 ((int64_t)1798761600)
#define PEER_T_2028 ((int64_t)1830297600)
#define PEER_T_2040 ((int64_t)2208988800)
/* The fixed "now" both sides verify at: 2026-06-01, inside every good certificate. */
#define PEER_NOW ((int64_t)1780272000)

/* One certificate, as an X509 and as PEM (NUL terminated, pem_len without the NUL). */
typedef struct {
    X509 *x509;
    char *pem;
    size_t pem_len;
} peer_cert;

typedef struct {
    EVP_PKEY *root_key, *inter_key, *leaf_key, *other_key;
    char *leaf_key_pem; /* PKCS#8 PEM of leaf_key, which every leaf below uses */
    size_t leaf_key_pem_len;

    peer_cert root;          /* the trusted root CA */
    peer_cert inter;         /* an intermediate CA under root */
    peer_cert leaf;          /* localhost + 127.0.0.1, issued by root */
    peer_cert inter_leaf;    /* localhost, issued by inter */
    peer_cert other_root;    /* an unrelated root CA */
    peer_cert expired;       /* like leaf, notAfter before PEER_NOW */
    peer_cert not_yet_valid; /* like leaf, notBefore after PEER_NOW */
    peer_cert other_host;    /* other.example only, issued by root */
    peer_cert self_signed;   /* localhost, signed by its own key */
    peer_cert bad_sig;       /* leaf with one signature byte flipped */
} peer_pki;

/* Build the whole PKI (four RSA-2048 keys). Returns 0 on success. */
int peer_pki_build(peer_pki *pki);
void peer_pki_free(peer_pki *pki);
/* Concatenate the PEM of n certificates into one malloc'd NUL-terminated string. */
char *peer_pem_chain(const peer_cert *const *certs, size_t n, size_t *len);

/* OpenSSL contexts pinned to TLS 1.2 with the given cipher string. The server context
 * also gets cert + key; both install the key log and servername hooks of peer_link. */
SSL_CTX *peer_client_ctx(const char *ciphers);
SSL_CTX *peer_server_ctx(const char *ciphers, X509 *cert, EVP_PKEY *key);

/* A ClientHello as OpenSSL's server-side parser sees it (lists cut at 64). */
typedef struct {
    int seen; /* times the hello callback ran */
    unsigned version;
    uint16_t suites[64];
    size_t n_suites;
    uint16_t exts[64];
    size_t n_exts;
    uint16_t sig_algs[64];
    size_t n_sig_algs;
    uint16_t groups[64];
    size_t n_groups;
    uint8_t point_formats[16];
    size_t n_point_formats;
} peer_hello_view;

/* Make an OpenSSL server context record every ClientHello it receives into view. */
void peer_capture_hello(SSL_CTX *server_ctx, peer_hello_view *view);
/* Parse ClientHello records (as on the wire) with a throwaway OpenSSL server. 0 on success. */
int peer_parse_hello(const uint8_t *records, size_t len, X509 *cert, EVP_PKEY *key,
                     peer_hello_view *view);

/* Chunking for the pump; 0 means "as much as possible". */
typedef struct {
    size_t to_engine;   /* bytes per tlsflow_in_ack */
    size_t from_engine; /* bytes per tlsflow_out_ack */
} peer_pump_opts;

typedef struct {
    const uint8_t *data;
    size_t len, done;
} peer_tx;

typedef struct {
    uint8_t *data;
    size_t cap, len;
    int overflow; /* more arrived than cap */
} peer_rx;

/* Flips one bit of one record on its way, to prove integrity checks fire. Record
 * boundaries are tracked from the first byte, so it can be armed at any time. */
typedef struct {
    int type;       /* content type to hit (20..23); 0: off */
    unsigned nth;   /* which record of that type, counting from 1 */
    size_t offset;  /* byte of the record body to flip */
    int done;       /* the flip happened */
    int first_byte; /* first body byte of the hit record (handshake type if plaintext) */
    uint8_t hdr[5]; /* tracking state below */
    size_t hdr_len, body_pos, body_left;
    unsigned count[256];
} peer_tamper;

/* Arm t to flip body byte `offset` of the next-but-(ahead-1) record of `type`. */
void peer_tamper_arm(peer_tamper *t, int type, unsigned ahead, size_t offset);

#define PEER_MAX_ALERTS 16

/* An alert as seen by OpenSSL's info callback. */
typedef struct {
    int received; /* 1: OpenSSL read it; 0: OpenSSL sent it */
    int level;    /* 1 warning, 2 fatal */
    int desc;
} peer_alert;

typedef struct {
    tlsflow_conn *conn;
    SSL *ssl;
    BIO *ssl_rbio; /* what OpenSSL reads: the engine's output goes here */
    BIO *ssl_wbio; /* what OpenSSL writes: fed to the engine */
    peer_pump_opts opts;

    /* engine side */
    int tf_handshake_done;              /* HANDSHAKE_DONE events seen; must end at exactly 1 */
    int tf_closed;                      /* poll returned CLOSED */
    int tf_eof_given;                   /* we passed EOF (in_ack(0)) after OpenSSL died */
    uint64_t tf_in_acks, tf_bytes_in;   /* tlsflow_in_ack calls and bytes (not EOF) */
    uint64_t tf_out_acks, tf_bytes_out; /* tlsflow_out_ack calls and bytes */
    peer_tx tf_tx;
    peer_rx tf_rx;

    /* OpenSSL side */
    int ssl_handshake_done;
    int ssl_failed;             /* fatal SSL error */
    int ssl_error;              /* SSL_get_error() of the failure */
    unsigned long ssl_err_code; /* first ERR code of the failure (0 if none) */
    char ssl_err_text[256];     /* ...and its text */
    int ssl_zero_return;        /* SSL_read reported close_notify */
    int ssl_eof_given;          /* OpenSSL's read BIO now reports EOF */
    peer_tx ssl_tx;
    peer_rx ssl_rx;

    peer_tamper tamper_to_engine; /* OpenSSL -> engine */
    peer_tamper tamper_to_peer;   /* engine -> OpenSSL */

    peer_alert alerts[PEER_MAX_ALERTS];
    size_t n_alerts;
    char keylog[256]; /* OpenSSL's last CLIENT_RANDOM key log line */
    int keylog_lines;
    char servername[256]; /* SNI seen by OpenSSL's servername callback */
    int servername_calls;

    char breach[128];       /* first breach of the tlsflow.h event contract ("" if none) */
    unsigned long progress; /* bumped by every step that moved bytes or state */
    size_t iterations;      /* outer iterations of the last pump */
} peer_link;

/* Wire conn and ssl together over fresh memory BIOs. The SSL must already have its
 * connect/accept state set. Returns 0 on success. */
int peer_link_init(peer_link *l, tlsflow_conn *conn, SSL *ssl, const peer_pump_opts *opts);

/* Drive both sides until neither can make progress. Returns 0 when it settled, -1 if
 * the poll or iteration budget ran out (a livelock). */
int peer_pump(peer_link *l);

/* The first alert OpenSSL received (or sent) with that level (0: any); -1 if none. */
int peer_alert_received(const peer_link *l, int level);
int peer_alert_sent(const peer_link *l, int level);
/* 1 if OpenSSL received an alert with this description at any level. */
int peer_saw_alert(const peer_link *l, int desc);

#endif
