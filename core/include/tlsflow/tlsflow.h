/*
 * tlsflow — a pure, I/O-free TLS engine.
 *
 * The engine never touches a socket, a file, a clock or stdio. You move bytes; it
 * tells you what to do next:
 *
 *     tlsflow_conn *c = tlsflow_conn_new(cfg);
 *     for (;;) {
 *         switch (tlsflow_poll(c)) {
 *         case TLSFLOW_OUTPUT_READY:   p = tlsflow_out_buf(c, &n); n = send(fd, p, n);
 *                                      tlsflow_out_ack(c, n); break;
 *         case TLSFLOW_NEED_INPUT:     p = tlsflow_in_buf(c, &room); n = recv(fd, p, room);
 *                                      tlsflow_in_ack(c, n);  break;  // n == 0: peer EOF
 *         case TLSFLOW_HANDSHAKE_DONE: ...; break;                       // reported once
 *         case TLSFLOW_APP_DATA:       p = tlsflow_app_peek(c, &n); use(p, n);
 *                                      tlsflow_app_consume(c, n); break;
 *         case TLSFLOW_CLOSED:         tlsflow_last_error(c) says clean (0) or why.
 *         }
 *     }
 *
 * Application data is sent with tlsflow_app_write() once the handshake is done.
 * Everything the engine needs from the outside world (randomness, the time, keys)
 * comes through the configuration.
 *
 * Full duplex: the engine takes in every buffered record it can whether or not output
 * waits, so a loop with non-blocking I/O that cannot send right now asks
 * tlsflow_ready() for every direction at once and keeps receiving (see there).
 */
#ifndef TLSFLOW_H
#define TLSFLOW_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** This header's version, "MAJOR.MINOR.PATCH". */
#define TLSFLOW_VERSION_STRING "0.1.0"

/* ---- Limits (published so embedders can size their own buffers) ---------------- */

/** Largest plaintext in one record (RFC 5246 §6.2.1). */
#define TLSFLOW_MAX_PLAINTEXT 16384
/** Largest record on the wire that the engine accepts: header + 2^14 + 2048. */
#define TLSFLOW_MAX_RECORD (5 + 16384 + 2048)
/** Default cap on one incoming handshake message (configurable). A server takes a
 *  ClientHello of any size its length fields allow (about 128 KiB) whatever the cap. */
#define TLSFLOW_DEFAULT_MAX_HANDSHAKE 65536
/** Records in a row that carry nothing (warning alerts, empty application data, refused
 *  renegotiations, TLS 1.3 KeyUpdates and dummy ChangeCipherSpecs) a peer may send before
 *  the connection fails with unexpected_message; a record that carries data or moves the
 *  handshake starts the count again. */
#define TLSFLOW_MAX_IDLE_RECORDS 32

/* ---- Cipher suites --------------------------------------------------------------- */

/* TLS 1.3 (RFC 8446 §B.4): key exchange and signature are negotiated apart. */
#define TLSFLOW_AES_128_GCM_SHA256       0x1301 /**< RFC 8446 */
#define TLSFLOW_AES_256_GCM_SHA384       0x1302 /**< RFC 8446 */
#define TLSFLOW_CHACHA20_POLY1305_SHA256 0x1303 /**< RFC 8446 */
/* RSA key transport (RFC 5246, RFC 5288): no forward secrecy. */
#define TLSFLOW_RSA_WITH_AES_128_GCM_SHA256 0x009C /**< RFC 5288 */
#define TLSFLOW_RSA_WITH_AES_256_GCM_SHA384 0x009D /**< RFC 5288 */
/* Ephemeral ECDH signed with the certificate's RSA or ECDSA key (RFC 8422, RFC 5289,
 * RFC 7905). The default order prefers these, ECDSA before RSA, AES-GCM before
 * ChaCha20-Poly1305 (unless the client lists ChaCha20-Poly1305 first). */
#define TLSFLOW_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256       0xC02B /**< RFC 5289 */
#define TLSFLOW_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384       0xC02C /**< RFC 5289 */
#define TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256         0xC02F /**< RFC 5289 */
#define TLSFLOW_ECDHE_RSA_WITH_AES_256_GCM_SHA384         0xC030 /**< RFC 5289 */
#define TLSFLOW_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256   0xCCA8 /**< RFC 7905 */
#define TLSFLOW_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256 0xCCA9 /**< RFC 7905 */

/* ---- Protocol versions ------------------------------------------------------------- */

#define TLSFLOW_VERSION_TLS12 0x0303 /**< TLS 1.2 (RFC 5246) */
#define TLSFLOW_VERSION_TLS13 0x0304 /**< TLS 1.3 (RFC 8446) */

/* ---- Named groups for ECDHE (RFC 8422 §5.1.1, RFC 7748) ---------------------------- */

#define TLSFLOW_GROUP_SECP256R1 23 /**< secp256r1 (P-256) */
#define TLSFLOW_GROUP_SECP384R1 24 /**< secp384r1 (P-384) */
#define TLSFLOW_GROUP_X25519    29 /**< x25519 (RFC 7748) */

/* ---- Signature schemes for ServerKeyExchange (RFC 8446 §4.2.3 code points) ---------- */

#define TLSFLOW_SIG_RSA_PKCS1_SHA256       0x0401 /**< rsa_pkcs1_sha256 */
#define TLSFLOW_SIG_RSA_PKCS1_SHA384       0x0501 /**< rsa_pkcs1_sha384 */
#define TLSFLOW_SIG_RSA_PKCS1_SHA512       0x0601 /**< rsa_pkcs1_sha512 */
#define TLSFLOW_SIG_ECDSA_SECP256R1_SHA256 0x0403 /**< ecdsa_secp256r1_sha256 */
#define TLSFLOW_SIG_ECDSA_SECP384R1_SHA384 0x0503 /**< ecdsa_secp384r1_sha384 */
#define TLSFLOW_SIG_ECDSA_SECP521R1_SHA512 0x0603 /**< ecdsa_secp521r1_sha512 */
#define TLSFLOW_SIG_RSA_PSS_RSAE_SHA256    0x0804 /**< rsa_pss_rsae_sha256 */
#define TLSFLOW_SIG_RSA_PSS_RSAE_SHA384    0x0805 /**< rsa_pss_rsae_sha384 */
#define TLSFLOW_SIG_RSA_PSS_RSAE_SHA512    0x0806 /**< rsa_pss_rsae_sha512 */

/* ---- Types ------------------------------------------------------------------------ */

/** A configuration: role, credentials or trust anchors and settings (opaque). */
typedef struct tlsflow_config tlsflow_config;
/** One connection (opaque). */
typedef struct tlsflow_conn tlsflow_conn;

/** The side a configuration and its connections play. */
typedef enum {
    TLSFLOW_CLIENT = 1, /**< connects and verifies the server */
    TLSFLOW_SERVER = 2  /**< accepts and presents a certificate */
} tlsflow_role;

/** What tlsflow_poll() asks the caller to do next. */
typedef enum {
    TLSFLOW_NEED_INPUT = 1, /**< read peer bytes into tlsflow_in_buf(), then tlsflow_in_ack() */
    TLSFLOW_OUTPUT_READY,   /**< send tlsflow_out_buf(), then tlsflow_out_ack() */
    TLSFLOW_HANDSHAKE_DONE, /**< the handshake completed; reported exactly once */
    TLSFLOW_APP_DATA,       /**< decrypted data waits in tlsflow_app_peek() */
    TLSFLOW_CLOSED,         /**< finished: tlsflow_last_error() is 0 for a clean close */
    TLSFLOW_KEY_OPERATION   /**< a private-key operation waits for the caller: tlsflow_key_op() */
} tlsflow_event;

/** Error codes. 0 is success; every failure is negative and sticky. Misuse of the API is
 *  TLSFLOW_E_USAGE: functions that return an int return it (and leave the connection as it
 *  was); functions that return nothing make it the connection's sticky error. */
typedef enum {
    TLSFLOW_OK = 0,
    TLSFLOW_E_USAGE = -1,                  /**< API misuse (bad argument, wrong moment) */
    TLSFLOW_E_CONFIG = -2,                 /**< configuration incomplete or unparsable */
    TLSFLOW_E_INTERNAL = -3,               /**< a cryptographic primitive failed */
    TLSFLOW_E_UNEXPECTED_EOF = -4,         /**< transport closed without close_notify */
    TLSFLOW_E_PEER_ALERT = -5,             /**< the peer sent a fatal alert: tlsflow_peer_alert() */
    TLSFLOW_E_DECODE = -6,                 /**< malformed message */
    TLSFLOW_E_UNEXPECTED_MESSAGE = -7,     /**< message not allowed in this state */
    TLSFLOW_E_RECORD_OVERFLOW = -8,        /**< record over the RFC 5246 size limits */
    TLSFLOW_E_BAD_RECORD_MAC = -9,         /**< a record failed authentication */
    TLSFLOW_E_BAD_FINISHED = -10,          /**< the peer's Finished flight did not verify */
    TLSFLOW_E_PROTOCOL_VERSION = -11,      /**< peer does not speak TLS 1.2 */
    TLSFLOW_E_HANDSHAKE_FAILURE = -12,     /**< no common cipher suite or parameters */
    TLSFLOW_E_ILLEGAL_PARAMETER = -13,     /**< a field holds a value the RFC forbids */
    TLSFLOW_E_UNSUPPORTED_EXTENSION = -14, /**< server answered an extension not offered */
    TLSFLOW_E_NO_APPLICATION_PROTOCOL = -15, /**< no ALPN protocol in common */
    TLSFLOW_E_HANDSHAKE_TOO_LARGE = -16,     /**< handshake message over the configured cap */
    TLSFLOW_E_INSECURE_RENEGOTIATION = -17,  /**< renegotiation_info check failed */
    TLSFLOW_E_BAD_SIGNATURE = -18,           /**< ServerKeyExchange signature did not verify */
    TLSFLOW_E_CERT_EXPIRED = -20,            /**< a certificate's notAfter has passed */
    TLSFLOW_E_CERT_NOT_YET_VALID = -21,      /**< a certificate's notBefore is in the future */
    TLSFLOW_E_CERT_UNKNOWN_CA = -22,         /**< chain does not lead to a trust anchor */
    TLSFLOW_E_CERT_SELF_SIGNED = -23,        /**< leaf is self-signed and not trusted */
    TLSFLOW_E_CERT_HOSTNAME = -24,           /**< leaf does not name the expected host */
    TLSFLOW_E_CERT_SIGNATURE = -25,          /**< a signature in the chain is wrong */
    TLSFLOW_E_CERT_BAD = -26,                /**< certificate unparsable or unusable */
    TLSFLOW_E_CERT_UNSUPPORTED = -27,        /**< key type unusable with the suite */
    TLSFLOW_E_CERT_MISSING = -28,            /**< the peer sent no certificate */
    TLSFLOW_E_CERT_REJECTED = -29,           /**< the caller's verification hook refused it */
    TLSFLOW_E_MISSING_EXTENSION = -30,       /**< TLS 1.3: a mandatory extension is absent */
    TLSFLOW_E_CERT_REQUIRED = -31            /**< a required client certificate is missing */
} tlsflow_error;

/** TLS alert descriptions (RFC 5246 §7.2) the engine sends or reports. */
enum {
    TLSFLOW_ALERT_CLOSE_NOTIFY = 0,
    TLSFLOW_ALERT_UNEXPECTED_MESSAGE = 10,
    TLSFLOW_ALERT_BAD_RECORD_MAC = 20,
    TLSFLOW_ALERT_RECORD_OVERFLOW = 22,
    TLSFLOW_ALERT_HANDSHAKE_FAILURE = 40,
    TLSFLOW_ALERT_BAD_CERTIFICATE = 42,
    TLSFLOW_ALERT_UNSUPPORTED_CERTIFICATE = 43,
    TLSFLOW_ALERT_CERTIFICATE_EXPIRED = 45,
    TLSFLOW_ALERT_CERTIFICATE_UNKNOWN = 46,
    TLSFLOW_ALERT_ILLEGAL_PARAMETER = 47,
    TLSFLOW_ALERT_UNKNOWN_CA = 48,
    TLSFLOW_ALERT_DECODE_ERROR = 50,
    TLSFLOW_ALERT_DECRYPT_ERROR = 51,
    TLSFLOW_ALERT_PROTOCOL_VERSION = 70,
    TLSFLOW_ALERT_INTERNAL_ERROR = 80,
    TLSFLOW_ALERT_USER_CANCELED = 90,
    TLSFLOW_ALERT_NO_RENEGOTIATION = 100,
    TLSFLOW_ALERT_MISSING_EXTENSION = 109,
    TLSFLOW_ALERT_UNSUPPORTED_EXTENSION = 110,
    TLSFLOW_ALERT_CERTIFICATE_REQUIRED = 116,
    TLSFLOW_ALERT_NO_APPLICATION_PROTOCOL = 120
};

/* ---- Callbacks --------------------------------------------------------------------- */

/** Fill out[0..len) with cryptographically secure random bytes; return 0 on success. */
typedef int (*tlsflow_random_fn)(void *ctx, uint8_t *out, size_t len);
/** Return the current time as seconds since the Unix epoch (used for certificate checks). */
typedef int64_t (*tlsflow_time_fn)(void *ctx);

/** Steps of the flow reported to the trace callback, in the order they happen. */
typedef enum {
    TLSFLOW_STEP_CLIENT_HELLO_SENT = 1,
    TLSFLOW_STEP_CLIENT_HELLO_RECEIVED,
    TLSFLOW_STEP_SERVER_HELLO_SENT,
    TLSFLOW_STEP_SERVER_HELLO_RECEIVED,
    TLSFLOW_STEP_CERTIFICATE_SENT,     /**< 1. the server sends its chain */
    TLSFLOW_STEP_CERTIFICATE_RECEIVED, /**< the client has the chain */
    TLSFLOW_STEP_CERTIFICATE_VERIFIED, /**< 2. chain and host name verified */
    TLSFLOW_STEP_SERVER_HELLO_DONE_SENT,
    TLSFLOW_STEP_SERVER_HELLO_DONE_RECEIVED,
    TLSFLOW_STEP_PREMASTER_ENCRYPTED, /**< 3. the client encrypted the session key (RSA) */
    TLSFLOW_STEP_PREMASTER_DECRYPTED, /**< 4. the server ran the decryption (RSA) */
    TLSFLOW_STEP_KEYS_DERIVED,        /**< master secret and record keys exist */
    TLSFLOW_STEP_CHANGE_CIPHER_SPEC_SENT,
    TLSFLOW_STEP_CHANGE_CIPHER_SPEC_RECEIVED,
    TLSFLOW_STEP_FINISHED_SENT,
    TLSFLOW_STEP_FINISHED_VERIFIED,
    TLSFLOW_STEP_HANDSHAKE_DONE, /**< 5. records are now protected */
    TLSFLOW_STEP_ALERT_SENT,
    TLSFLOW_STEP_ALERT_RECEIVED,
    TLSFLOW_STEP_RENEGOTIATION_REFUSED,
    /* ECDHE suites. Steps 3 and 4 become: the server sends a fresh public value signed
     * with its certificate key; the client checks the signature, answers with its own
     * public value and computes the shared secret; the server computes the same. */
    TLSFLOW_STEP_SERVER_KEY_EXCHANGE_SENT,     /**< server: group, public value, signature */
    TLSFLOW_STEP_SERVER_KEY_EXCHANGE_VERIFIED, /**< client: signature checked with the cert */
    TLSFLOW_STEP_CLIENT_KEY_SHARE_SENT,        /**< 3. client: its public value sent, secret made */
    TLSFLOW_STEP_SHARED_SECRET_COMPUTED,       /**< 4. server: the same secret from the client's */
    TLSFLOW_STEP_CERTIFICATE_REQUESTED,        /**< client: the server asked for a certificate */
    TLSFLOW_STEP_CLIENT_CERTIFICATE_SENT,      /**< client: answered with an empty list */
    /* TLS 1.3. Step 3 is the client's key share in its ClientHello, step 4 the server's
     * share in ServerHello and its signature over the transcript (CertificateVerify). */
    TLSFLOW_STEP_HELLO_RETRY_REQUEST,         /**< the server asked for a share of another group */
    TLSFLOW_STEP_HANDSHAKE_KEYS,              /**< both shares known: the rest is encrypted */
    TLSFLOW_STEP_ENCRYPTED_EXTENSIONS,        /**< sent or received */
    TLSFLOW_STEP_CERTIFICATE_VERIFY_SENT,     /**< server: its signature over the transcript */
    TLSFLOW_STEP_CERTIFICATE_VERIFY_VERIFIED, /**< client: that signature checked */
    TLSFLOW_STEP_KEY_UPDATE_SENT,
    TLSFLOW_STEP_KEY_UPDATE_RECEIVED,
    TLSFLOW_STEP_SESSION_TICKET_RECEIVED,
    TLSFLOW_STEP_SESSION_TICKET_SENT, /**< server: a ticket to resume this session */
    TLSFLOW_STEP_SESSION_RESUMED      /**< the keys come from a ticket: no certificate */
} tlsflow_step;

/** One trace event: the step and a short human description with the real values. */
typedef struct {
    tlsflow_step step; /**< which step */
    const char *text;  /**< what happened, with its values; valid during the call */
} tlsflow_trace_event;

/** Receives each trace event (tlsflow_config_set_trace). */
typedef void (*tlsflow_trace_fn)(void *ctx, const tlsflow_conn *conn,
                                 const tlsflow_trace_event *ev);
/** Receives one NSS key log line ("CLIENT_RANDOM <hex> <hex>", no newline). */
typedef void (*tlsflow_keylog_fn)(void *ctx, const char *line);

/* ---- Configuration (shared by many connections; not modified by them) --------------
 * Set everything before the first connection: connections read their configuration
 * as they go, so a change made while they live reaches them halfway. */

/** Create an empty configuration for one role. Returns NULL on allocation failure. */
tlsflow_config *tlsflow_config_new(tlsflow_role role);
/** Free a configuration. Connections made from it must be freed first. */
void tlsflow_config_free(tlsflow_config *cfg);

/** Server: add a certificate chain (leaf first) and its private key, PEM or DER. The key
 *  may be RSA ("RSA PRIVATE KEY" or "PRIVATE KEY") or EC on P-256 or P-384 ("EC PRIVATE
 *  KEY" or "PRIVATE KEY"); its type decides the suites the credential serves (RSA: RSA
 *  key transport and ECDHE_RSA; EC: ECDHE_ECDSA), so an RSA and an ECDSA credential can
 *  serve side by side. sni_name selects this credential when the client asks for that
 *  name (NULL: default; the first credential added is the default when none is marked
 *  so). Among the credentials for a name, the negotiated suite picks the key type. */
int tlsflow_config_add_credential(tlsflow_config *cfg, const uint8_t *chain, size_t chain_len,
                                  const uint8_t *key, size_t key_len, const char *sni_name);
/** Server: a credential whose private key stays outside the engine (an HSM, a PKCS#11
 *  token, a remote signer). The chain is as for tlsflow_config_add_credential; the key's
 *  type and size come from the leaf certificate. When a handshake needs the key the
 *  connection reports TLSFLOW_KEY_OPERATION and tlsflow_key_op() carries key_handle. */
int tlsflow_config_add_credential_key_handle(tlsflow_config *cfg, const uint8_t *chain,
                                             size_t chain_len, void *key_handle,
                                             const char *sni_name);
/** Hand every private-key operation to the caller as TLSFLOW_KEY_OPERATION, also for keys
 *  the configuration holds (default 0: those run inline). With 1 the caller runs them
 *  off its event loop with tlsflow_key_op_run() and finishes with tlsflow_key_op_complete(). */
void tlsflow_config_set_key_offload(tlsflow_config *cfg, int offload);
/** Client authentication (mutual TLS), server side: whether to ask for a client
 *  certificate. */
typedef enum {
    TLSFLOW_CLIENT_AUTH_NONE = 0,     /**< never ask (the default) */
    TLSFLOW_CLIENT_AUTH_OPTIONAL = 1, /**< ask; a client without one is still served */
    TLSFLOW_CLIENT_AUTH_REQUIRED = 2  /**< ask; no certificate: certificate_required (TLS 1.3)
                                         or handshake_failure (TLS 1.2) */
} tlsflow_client_auth;
/** Server: ask clients for a certificate, verified against the trust anchors added with
 *  tlsflow_config_add_trust_anchors (their names go out as certificate_authorities), with
 *  extendedKeyUsage clientAuth when present, at the configured time, no host name. A
 *  client credential is added like a server's (tlsflow_config_add_credential on a client
 *  configuration, no SNI name): the client answers with the first one whose chain has an
 *  issuer the server named (any, if it named none) and whose key can sign with a scheme the
 *  server accepts; else with an empty list. E_USAGE on a client configuration. */
int tlsflow_config_set_client_auth(tlsflow_config *cfg, tlsflow_client_auth mode);
/** Client: add trusted root certificates (PEM with one or more certificates, or DER);
 *  server: the roots that client certificates must chain to. */
int tlsflow_config_add_trust_anchors(tlsflow_config *cfg, const uint8_t *certs, size_t len);
/** Client: the host name to send in SNI and to verify in the certificate (DNS or IP).
 *  Printable ASCII only (internationalised names as A-labels, xn--): else E_USAGE, as for
 *  a server configuration. */
int tlsflow_config_set_server_name(tlsflow_config *cfg, const char *name);
/** Protocols for ALPN in preference order (server: its choices; client: its offer). */
int tlsflow_config_set_alpn(tlsflow_config *cfg, const char *const *protocols, size_t count);
/** Cipher suites in preference order; the default is every supported suite. A client
 *  offers them in this order. A server picks its first suite the client also offers and
 *  can complete (a credential of the suite's key type, and for ECDHE a group and a
 *  signature scheme in common), except that when the client's first AEAD suite we know
 *  is ChaCha20-Poly1305, ChaCha20 suites move ahead of the AES-GCM suites with the same
 *  key exchange and authentication (clients without AES hardware ask this way). */
int tlsflow_config_set_cipher_suites(tlsflow_config *cfg, const uint16_t *suites, size_t count);
/** ECDHE groups (TLSFLOW_GROUP_*) in preference order; default x25519, secp256r1,
 *  secp384r1. A client offers them (supported_groups, only when it offers an ECDHE suite);
 *  a server takes its first one the client offers (a client without supported_groups is
 *  taken to support secp256r1, RFC 8422 §4). */
int tlsflow_config_set_groups(tlsflow_config *cfg, const uint16_t *groups, size_t count);
/** Signature schemes (TLSFLOW_SIG_*) in preference order; default: RSA-PSS, RSA PKCS#1
 *  and ECDSA, each with SHA-256, -384, -512. A client offers and accepts only these; a
 *  server signs ServerKeyExchange with its first one that the client offers and its key
 *  can make (ECDSA: the scheme named for the key's curve first). SHA-1 is never used: a
 *  client without signature_algorithms (whose default is SHA-1) gets no ECDHE suite. */
int tlsflow_config_set_signature_schemes(tlsflow_config *cfg, const uint16_t *schemes,
                                         size_t count);
/** The protocol versions to offer or accept (TLSFLOW_VERSION_*; default TLS 1.2 to TLS 1.3).
 *  Returns 0, or E_USAGE for an unknown version or min > max. */
int tlsflow_config_set_versions(tlsflow_config *cfg, uint16_t min, uint16_t max);
/** RFC 8449: the most content bytes we take in one record (64..16384; 0, the default: not
 *  sent, so 2^14). Sent in the ClientHello (client; one more when TLS 1.3 is offered, whose
 *  limit counts the content type) or in answer to one (server); records over it are
 *  record_overflow. The peer's limit, when it sends one, bounds what we send. */
int tlsflow_config_set_record_size_limit(tlsflow_config *cfg, size_t limit);
/** TLS 1.3 client: receives each NewSessionTicket message body the server sends, as it
 *  came (for inspection; resuming takes the session callback below). */
typedef void (*tlsflow_ticket_fn)(void *ctx, tlsflow_conn *conn, const uint8_t *ticket, size_t len);
/** Set (or with NULL clear) the NewSessionTicket callback. */
void tlsflow_config_set_ticket_callback(tlsflow_config *cfg, tlsflow_ticket_fn fn, void *ctx);
/** Cap for one incoming handshake message (default TLSFLOW_DEFAULT_MAX_HANDSHAKE). */
int tlsflow_config_set_max_handshake_size(tlsflow_config *cfg, size_t bytes);
/** Client: offer the extended master secret extension (default 1). Off only for tests. */
void tlsflow_config_set_offer_ems(tlsflow_config *cfg, int offer);
/** Let connections made by tlsflow_conn_new give their buffers back while idle
 *  (default 0: one allocation per connection, kept until freed). With 1, the
 *  connection proper (a few KiB) and its workspace (handshake state and buffers,
 *  tlsflow_conn_size() minus that) are two allocations, and
 *  tlsflow_conn_release_buffers() frees the workspace of an idle established
 *  connection; the next tlsflow_in_buf/app_write/close takes a fresh one. */
void tlsflow_config_set_release_idle_buffers(tlsflow_config *cfg, int release);
/** Release mode: keep the ClientHello summary (tlsflow_info.client_hello, 832 bytes) in
 *  the connection proper, so it outlives tlsflow_conn_release_buffers() (default 0: it goes
 *  with the handshake state; copy it at TLSFLOW_HANDSHAKE_DONE if you need it later).
 *  Without release mode the summary is kept for the connection's lifetime anyway. */
void tlsflow_config_set_keep_client_hello(tlsflow_config *cfg, int keep);
/** Gives release mode a workspace of `size` bytes, 16-byte aligned, or NULL. */
typedef void *(*tlsflow_workspace_get_fn)(void *ctx, size_t size);
/** Takes back a workspace from tlsflow_workspace_get_fn (wiped already). */
typedef void (*tlsflow_workspace_put_fn)(void *ctx, void *mem, size_t size);
/** Where release mode gets and returns workspaces (default: aligned_alloc and free):
 *  a pool on an RTOS, or whole pages so a freed workspace leaves the process. Both
 *  functions or neither (NULL, NULL: the default). Returns 0 or TLSFLOW_E_USAGE. */
int tlsflow_config_set_workspace_allocator(tlsflow_config *cfg, tlsflow_workspace_get_fn get,
                                           tlsflow_workspace_put_fn put, void *ctx);
/** Random source (default: wolfCrypt's DRBG). */
void tlsflow_config_set_random(tlsflow_config *cfg, tlsflow_random_fn fn, void *ctx);
/** A promise that this configuration's connections are never driven by two threads at
 *  once (one event loop): they then share one wolfCrypt DRBG, the default random source
 *  and the blinding of private-key operations, instead of seeding one each (about 10 us a
 *  connection). The default (0) is safe for a configuration shared between threads.
 *  Set it before making connections and not while any exists. Returns 0, or
 *  TLSFLOW_E_USAGE / TLSFLOW_E_INTERNAL (out of memory). */
int tlsflow_config_set_one_thread(tlsflow_config *cfg, int on);
/** Clock for certificate validity (default: wolfCrypt's wall clock). */
void tlsflow_config_set_time(tlsflow_config *cfg, tlsflow_time_fn fn, void *ctx);
/** Trace callback: called for each step of the flow (optional). */
void tlsflow_config_set_trace(tlsflow_config *cfg, tlsflow_trace_fn fn, void *ctx);
/** Key log callback for Wireshark (optional). */
void tlsflow_config_set_keylog(tlsflow_config *cfg, tlsflow_keylog_fn fn, void *ctx);
/** The caller's own certificate check, run after the engine's with its verdict (0, or the
 *  TLSFLOW_E_CERT_* the engine found); tlsflow_peer_cert() and tlsflow_peer_spki_sha256()
 *  work inside it. Return 0 to accept (even what the engine refused), a negative
 *  tlsflow_error to refuse with that error's alert (returning `verdict` keeps the engine's
 *  decision), or an alert description 1..255 to refuse with that alert. */
typedef int (*tlsflow_verify_fn)(void *ctx, tlsflow_conn *conn, int verdict);
/** Install the verification hook (NULL: the engine's verdict stands). */
void tlsflow_config_set_verify(tlsflow_config *cfg, tlsflow_verify_fn fn, void *ctx);

/* ---- Session resumption (RFC 5077 tickets in TLS 1.2, RFC 8446 PSK tickets in 1.3) --------
 * A server seals what a session needs into a ticket with keys the caller holds and rotates;
 * the engine reads no clock (the configured one) and keeps no session store. A ticket that
 * fails to open, has expired or names an unknown key means a full handshake, never an
 * error. A client exports a session as bytes and imports it into a later connection. */

/** A ticket key: a name the ticket carries (which key sealed it) and an AES-256 key. */
typedef struct {
    uint8_t name[16]; /**< carried in each ticket: which key sealed it */
    uint8_t key[32];  /**< the AES-256-GCM key */
} tlsflow_ticket_key;
/** Server: issue and accept tickets sealed with these keys (AES-256-GCM): keys[0] seals new
 *  tickets, every key opens them (rotate by putting a new key first and keeping old ones for
 *  a ticket lifetime). Copied; n 0 turns tickets off (the default). At most 8 keys. */
int tlsflow_config_set_ticket_keys(tlsflow_config *cfg, const tlsflow_ticket_key *keys, size_t n);
/** Server: ticket lifetime in seconds (default 86400, at most 604800, RFC 8446 §4.6.1) and
 *  how many TLS 1.3 tickets follow each full handshake (default 2, at most 8). */
int tlsflow_config_set_ticket_policy(tlsflow_config *cfg, uint32_t lifetime, unsigned count);
/** Client: receives a resumable session whenever one becomes available: at the end of a
 *  TLS 1.2 handshake in which the server issued a ticket, and with each TLS 1.3
 *  NewSessionTicket. The bytes are those of tlsflow_session_export, valid during the call. */
typedef void (*tlsflow_session_fn)(void *ctx, tlsflow_conn *conn, const uint8_t *session,
                                   size_t len);
/** Set (or with NULL clear) the session callback. */
void tlsflow_config_set_session_callback(tlsflow_config *cfg, tlsflow_session_fn fn, void *ctx);

/* ---- Connections --------------------------------------------------------------------- */

/** Bytes a connection needs for this configuration (for tlsflow_conn_init). */
size_t tlsflow_conn_size(const tlsflow_config *cfg);
/** Build a connection in caller memory of tlsflow_conn_size() bytes, 16-byte aligned.
 *  Returns NULL if the memory is too small or the configuration is incomplete (a server
 *  needs a credential, and trust anchors if it asks for client certificates; a client
 *  needs trust anchors and a server name). */
tlsflow_conn *tlsflow_conn_init(void *mem, size_t size, const tlsflow_config *cfg);
/** Allocate and build a connection (the engine's single allocation for it). */
tlsflow_conn *tlsflow_conn_new(const tlsflow_config *cfg);
/** Wipe secrets and release the connection (frees memory only if from conn_new). */
void tlsflow_conn_free(tlsflow_conn *conn);

/** If the connection is established and idle (no buffered input, output or application
 *  data) and its configuration allows it, wipe and free its buffers until they are
 *  needed again. Returns 1 if released. Call it when a connection waits for its peer.
 *
 *  What goes, wiped: the buffers; the handshake state, and with it the peer's
 *  certificates (tlsflow_peer_cert), the session to export, and the ClientHello summary
 *  (unless tlsflow_config_set_keep_client_hello); the keyed wolfCrypt record contexts
 *  (about 1.1 KiB each for AES-GCM), which are keyed again from the record keys when a
 *  record next moves (both AES-GCM contexts: about 0.7 us, twice wolfCrypt's key setup;
 *  ChaCha20-Poly1305: under 0.1 us; bench_engine's wake-up row).
 *  What stays (tlsflow_conn_memory() about 2 KiB): the record keys, IVs, sequence numbers
 *  and TLS 1.3 traffic secrets; what exporters and TLS 1.3 tickets need; the rest of
 *  tlsflow_info, which tlsflow_get_info() keeps answering (names, protocol and certificate
 *  summaries at their full sizes: they are what an application asks of a live
 *  connection). An error's sentence needs no room here: an error ends the connection,
 *  which then never gives its workspace back. */
int tlsflow_conn_release_buffers(tlsflow_conn *conn);

/** Advance the state machine as far as buffered input allows; say what is needed next.
 *  Order: OUTPUT_READY, CLOSED on error, HANDSHAKE_DONE (once), APP_DATA, KEY_OPERATION,
 *  CLOSED, NEED_INPUT. Input is taken in before output is reported, so app data may wait
 *  behind OUTPUT_READY: tlsflow_ready() shows both. */
tlsflow_event tlsflow_poll(tlsflow_conn *conn);

/** Bits of tlsflow_ready(): every direction that can move now; several hold at once. */
enum {
    TLSFLOW_READY_SEND = 1,         /**< tlsflow_out_buf() holds bytes for the peer */
    TLSFLOW_READY_RECV = 2,         /**< tlsflow_in_buf() has room and the engine wants bytes */
    TLSFLOW_READY_APP_READ = 4,     /**< decrypted data waits in tlsflow_app_peek() */
    TLSFLOW_READY_APP_WRITE = 8,    /**< tlsflow_app_write() accepts bytes now */
    TLSFLOW_READY_KEY_OP = 16,      /**< a private-key operation waits: tlsflow_key_op() */
    TLSFLOW_READY_ESTABLISHED = 32, /**< the handshake is done (stays set until closed) */
    TLSFLOW_READY_CLOSED = 64       /**< nothing more will happen: tlsflow_last_error() */
};
/** Advance like tlsflow_poll() and report every direction as TLSFLOW_READY_* bits, for
 *  non-blocking loops: wait for writability while SEND is set and for readability while
 *  RECV is set, both at once. HANDSHAKE_DONE is not consumed here. */
unsigned tlsflow_ready(tlsflow_conn *conn);

/** Where to put incoming bytes; *room is how many fit (0 when input must wait: after
 *  EOF or an error). NULL with room 0 when there is no memory for the buffers. */
uint8_t *tlsflow_in_buf(tlsflow_conn *conn, size_t *room);
/** Commit n bytes written into tlsflow_in_buf(); n == 0 means the peer closed (EOF). */
void tlsflow_in_ack(tlsflow_conn *conn, size_t n);
/** Bytes waiting to be sent to the peer; *len is their count. */
const uint8_t *tlsflow_out_buf(tlsflow_conn *conn, size_t *len);
/** Mark n of the bytes from tlsflow_out_buf() as sent (more than offered: E_USAGE). */
void tlsflow_out_ack(tlsflow_conn *conn, size_t n);

/** Decrypted application data waiting for the caller; *len is its size. */
const uint8_t *tlsflow_app_peek(tlsflow_conn *conn, size_t *len);
/** Mark n bytes of application data as consumed. */
void tlsflow_app_consume(tlsflow_conn *conn, size_t n);
/** Encrypt up to len bytes into one record; returns bytes accepted (0: drain output first,
 *  or the handshake is not done, or the connection is closing). While output waits, it
 *  takes nothing rather than less than min(len, 4096) bytes, so records stay whole. */
size_t tlsflow_app_write(tlsflow_conn *conn, const void *data, size_t len);
/** Queue close_notify; the connection is CLOSED once the output has been drained. */
void tlsflow_close(tlsflow_conn *conn);

/* ---- Private-key operations the caller performs (asynchronous keys) ---------------------
 * A credential added with tlsflow_config_add_credential_key_handle (or any credential under
 * tlsflow_config_set_key_offload) makes the handshake stop at TLSFLOW_KEY_OPERATION. The
 * caller performs the operation whenever it likes (a thread pool, an HSM, a remote signer)
 * and calls tlsflow_key_op_complete(); until then nothing else waits but this connection:
 * output already queued can be sent and input is buffered. */

/** The kinds of private-key operation. */
typedef enum {
    TLSFLOW_KEY_OP_RSA_DECRYPT = 1, /**< RSA PKCS#1 v1.5 decryption of a key-transport premaster */
    TLSFLOW_KEY_OP_SIGN = 2         /**< a signature with the scheme named in `scheme` */
} tlsflow_key_op_type;

/** One pending operation, valid until it is completed or the connection is freed. */
typedef struct {
    tlsflow_key_op_type type; /**< what to do */
    uint16_t scheme;          /**< SIGN: TLSFLOW_SIG_*; 0 for RSA_DECRYPT */
    const uint8_t *input;     /**< RSA_DECRYPT: the ciphertext; SIGN: the message to sign, or NULL
                                 when only its digest exists (a TLS 1.2 client's
                                 CertificateVerify signs the running transcript) */
    size_t input_len;         /**< bytes at input */
    const uint8_t *digest;    /**< SIGN: input hashed with the scheme's hash (for HSMs that sign
                                 digests); NULL for RSA_DECRYPT */
    size_t digest_len;        /**< bytes at digest */
    void *key_handle;         /**< from tlsflow_config_add_credential_key_handle; NULL for a key
                                 the configuration holds */
    int key_bits;             /**< the key's size (RSA modulus or EC field bits) */
} tlsflow_key_operation;

/** The pending private-key operation, or NULL when none waits (an error or
 *  tlsflow_close() ends the wait: the connection then closes without it). */
const tlsflow_key_operation *tlsflow_key_op(const tlsflow_conn *conn);
/** Finish the pending operation: RSA_DECRYPT takes the decrypted message with its PKCS#1
 *  padding removed, SIGN the signature as TLS carries it (ECDSA: DER). result NULL means the
 *  operation failed: a failed decryption is treated exactly like a wrong premaster (RFC 5246
 *  §7.4.7.1: the handshake fails at Finished), a failed signature fails the handshake with
 *  internal_error. Returns 0, or E_USAGE if no operation waits. Then poll again. */
int tlsflow_key_op_complete(tlsflow_conn *conn, const uint8_t *result, size_t len);
/** Perform the pending operation with the key the configuration holds (offload mode), into
 *  out (cap bytes; 1024 always suffice). It reads only the operation and the key, so it may
 *  run on another thread while the loop keeps away from tlsflow_key_op_complete and
 *  tlsflow_conn_free for this connection. A decryption whose padding is wrong is not an
 *  error: *len is then 0 and completing with it keeps the §7.4.7.1 countermeasure. Returns
 *  0, E_USAGE (no operation, or the key is a handle), or E_INTERNAL. */
int tlsflow_key_op_run(const tlsflow_conn *conn, uint8_t *out, size_t cap, size_t *len);

/** Client: the latest resumable session of this connection into out (cap bytes), its size
 *  in *len (out NULL: only the size). E_USAGE when there is none (yet, or its handshake
 *  state was given back with tlsflow_conn_release_buffers). The bytes hold the session's
 *  secret: keep them as you keep keys. */
int tlsflow_session_export(const tlsflow_conn *conn, uint8_t *out, size_t cap, size_t *len);
/** Client, before the first tlsflow_poll: offer this session. 1: it will be offered; 0: it
 *  has expired and is dropped (a full handshake follows); E_USAGE: bytes that are no
 *  session, a session for another server name, or a connection already started. The
 *  server decides: tlsflow_info.resumed says whether it took it. */
int tlsflow_session_import(tlsflow_conn *conn, const uint8_t *session, size_t len);

/* ---- Keying material exporters and the peer's certificates ------------------------------- */

/** RFC 5705 keying material exporter (TLS 1.2; RFC 8446 §7.5 for TLS 1.3): len bytes for
 *  label, with context (NULL: no context, which differs from an empty one). Available once
 *  the handshake is done; E_USAGE before, for a label TLS itself uses ("client finished",
 *  "master secret"...), a context over 1024 bytes, or len 0 or over 16384. */
int tlsflow_export_keying_material(const tlsflow_conn *conn, const char *label,
                                   const uint8_t *context, size_t context_len, uint8_t *out,
                                   size_t len);
/** Certificates the peer sent and the engine still holds (0 before its Certificate). They
 *  are held until the handshake state goes: tlsflow_conn_release_buffers() drops them. */
size_t tlsflow_peer_cert_count(const tlsflow_conn *conn);
/** The peer's certificate `index` (0: its leaf) as received, DER; NULL if not held. */
const uint8_t *tlsflow_peer_cert(const tlsflow_conn *conn, size_t index, size_t *len);
/** SHA-256 of the peer leaf's SubjectPublicKeyInfo, for public-key pinning. 0, or E_USAGE
 *  when there is no peer certificate. */
int tlsflow_peer_spki_sha256(const tlsflow_conn *conn, uint8_t out[32]);

/** The sticky error: 0 while healthy or after a clean close, else a tlsflow_error. */
int tlsflow_last_error(const tlsflow_conn *conn);
/** A human sentence about the last error (never NULL). */
const char *tlsflow_last_error_text(const tlsflow_conn *conn);
/** The alert description the peer sent (-1 if none). */
int tlsflow_peer_alert(const tlsflow_conn *conn);
/** The alert description we sent (-1 if none). */
int tlsflow_sent_alert(const tlsflow_conn *conn);
/** A short stable name for an error code, e.g. "TLSFLOW_E_DECODE". */
const char *tlsflow_error_name(int code);
/** The RFC name of an alert description, e.g. "bad_record_mac". */
const char *tlsflow_alert_name(int alert);
/** The IANA name of a cipher suite, or NULL if unknown. */
const char *tlsflow_suite_name(uint16_t suite);
/** The IANA name of a named group we support ("x25519", "secp256r1"...), or NULL. */
const char *tlsflow_group_name(uint16_t group);
/** The IANA name of a signature scheme we support ("rsa_pss_rsae_sha256"...), or NULL. */
const char *tlsflow_signature_scheme_name(uint16_t scheme);

/* ---- What was negotiated (valid from the moment each value is known) ------------------ */

/** Entries kept of each list in tlsflow_hello_info (longer lists are cut). */
#define TLSFLOW_INFO_LIST_MAX 64

/** A certificate summary, as the engine saw it. */
typedef struct {
    char subject[128];    /**< distinguished name, one line ("/CN=...") */
    char issuer[128];     /**< the issuer's, the same way */
    int64_t not_before;   /**< seconds since the epoch */
    int64_t not_after;    /**< seconds since the epoch */
    int key_bits;         /**< public key size (RSA modulus or EC field bits) */
    const char *key_type; /**< "RSA", "EC", ... */
} tlsflow_cert_info;

/** The ClientHello as received (server) or sent (client); lists cut at INFO_LIST_MAX.
 *  A summary for the embedder (pages, JA3, logs): TLS needs none of it once the handshake
 *  is done, so it lives with the handshake state (tlsflow_info.client_hello says where). */
typedef struct {
    uint16_t version;                           /**< legacy_version as sent */
    uint16_t suites[TLSFLOW_INFO_LIST_MAX];     /**< cipher suites, in the client's order */
    size_t n_suites;                            /**< entries in suites */
    uint16_t extensions[TLSFLOW_INFO_LIST_MAX]; /**< extension types, in order */
    size_t n_extensions;                        /**< entries in extensions */
    uint16_t groups[TLSFLOW_INFO_LIST_MAX];     /**< supported_groups */
    size_t n_groups;                            /**< entries in groups */
    uint16_t sig_algs[TLSFLOW_INFO_LIST_MAX];   /**< signature_algorithms */
    size_t n_sig_algs;                          /**< entries in sig_algs */
    uint8_t point_formats[16];                  /**< ec_point_formats */
    size_t n_point_formats;                     /**< entries in point_formats */
    char alpn[256];                             /**< offered protocols, comma separated */
} tlsflow_hello_info;

/** What a connection negotiated (tlsflow_get_info). */
typedef struct {
    uint16_t version;               /**< TLSFLOW_VERSION_* once negotiated, else 0 */
    uint16_t cipher_suite;          /**< 0 until ServerHello */
    int ems;                        /**< extended master secret in use */
    int secure_renegotiation;       /**< RFC 5746 renegotiation_info exchanged (TLS 1.2) */
    char server_name[256];          /**< SNI (server: as received; client: as sent) */
    char alpn[256];                 /**< the protocol chosen, "" if none */
    size_t encrypted_premaster_len; /**< RSA key exchange: size of the encrypted premaster */
    char key_exchange[8];           /**< "RSA" or "ECDHE" (TLS 1.3 too) once known, else "" */
    int hello_retry;                /**< TLS 1.3: a HelloRetryRequest happened */
    int resumed;                    /**< the session came from a ticket: no certificate was
                                       sent, no key exchange signed (cert: the original's) */
    /* ECDHE and TLS 1.3 only (zero and "" otherwise). Server side known after ClientHello
     * (group, scheme) or when sent/received (sizes); client side as each message arrives.
     * In TLS 1.3 the public values are the key shares and the signature is CertificateVerify. */
    uint16_t group;                 /**< the named group, TLSFLOW_GROUP_* */
    char group_name[16];            /**< its IANA name: "x25519", "secp256r1", "secp384r1" */
    size_t server_public_len;       /**< bytes of the server's public value (32, 65, 97) */
    size_t client_public_len;       /**< bytes of the client's public value */
    uint16_t signature_scheme;      /**< what signed ServerKeyExchange, TLSFLOW_SIG_* */
    char signature_scheme_name[32]; /**< its IANA name, e.g. "rsa_pss_rsae_sha256" */
    size_t signature_len;           /**< bytes of that signature */
    tlsflow_cert_info cert;         /**< server's leaf (client: as verified; server: ours) */
    int client_cert_requested;      /**< the server asked for a client certificate */
    int client_cert_sent;           /**< a client certificate was presented (not empty) */
    tlsflow_cert_info client_cert;  /**< the client's leaf (server: as received; client: ours) */
    int client_cert_verdict;        /**< server: 0, or the TLSFLOW_E_CERT_* the engine found
                                       (a verification hook may have accepted it anyway) */
    const tlsflow_hello_info *client_hello; /**< the ClientHello (received or sent), never NULL:
                                               all zero until known, and after
                                               tlsflow_conn_release_buffers() unless the
                                               configuration keeps it
                                               (tlsflow_config_set_keep_client_hello) */
    uint64_t records_in;                    /**< protected application records received */
    uint64_t records_out;                   /**< protected application records sent */
    uint64_t app_bytes_in;                  /**< application bytes received */
    uint64_t app_bytes_out;                 /**< application bytes sent */
} tlsflow_info;

/** What the connection has negotiated so far (never NULL). */
const tlsflow_info *tlsflow_get_info(const tlsflow_conn *conn);
/** Bytes of memory this connection holds (its allocation plus crypto state). */
size_t tlsflow_conn_memory(const tlsflow_conn *conn);
/** The role of a connection. */
tlsflow_role tlsflow_conn_role(const tlsflow_conn *conn);

#ifdef __cplusplus
}
#endif
#endif
