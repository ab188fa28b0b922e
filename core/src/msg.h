/* Handshake messages as plain structs: each msg_*.c parses into one (no side effects,
 * views point into the input) and writes from one. Extensions live in ext.c. */
#ifndef TLSFLOW_MSG_H
#define TLSFLOW_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "cursor.h"

enum {
    TF_EXT_SERVER_NAME = 0,
    TF_EXT_SUPPORTED_GROUPS = 10,
    TF_EXT_EC_POINT_FORMATS = 11,
    TF_EXT_SIGNATURE_ALGORITHMS = 13,
    TF_EXT_ALPN = 16,
    TF_EXT_EXTENDED_MASTER_SECRET = 23,
    TF_EXT_RECORD_SIZE_LIMIT = 28,
    TF_EXT_SESSION_TICKET = 35,
    TF_EXT_PRE_SHARED_KEY = 41,
    TF_EXT_EARLY_DATA = 42,
    TF_EXT_SUPPORTED_VERSIONS = 43,
    TF_EXT_COOKIE = 44,
    TF_EXT_PSK_KEY_EXCHANGE_MODES = 45,
    TF_EXT_CERTIFICATE_AUTHORITIES = 47,
    TF_EXT_KEY_SHARE = 51,
    TF_EXT_RENEGOTIATION_INFO = 0xff01
};

/* Which message an extensions block belongs to (what tf_ext_parse accepts varies). */
enum { TF_EXT_CTX_CH = 0, TF_EXT_CTX_SH = 1, TF_EXT_CTX_HRR = 2, TF_EXT_CTX_EE = 3 };

#define TF_SCSV_RENEGOTIATION 0x00FF
#define TF_MAX_EXTENSIONS     256 /* types kept per hello (n_types counts them all) */
/* The largest ClientHello its length fields allow: version, random, session_id,
 * cipher_suites (2^16-2), compression_methods (255), extensions (2^16-1). */
#define TF_MAX_CLIENT_HELLO (2 + 32 + 1 + 32 + 2 + 65534 + 1 + 255 + 2 + 65535)

/* A byte string inside the message being parsed. */
typedef struct {
    const uint8_t *p;
    size_t len;
} tf_view;

/* Hello extensions (ClientHello and ServerHello share the parser). */
typedef struct {
    uint16_t types[TF_MAX_EXTENSIONS]; /* in order of appearance, the first ones */
    size_t n_types;                    /* all of them (may exceed TF_MAX_EXTENSIONS) */
    int sni;
    tf_view sni_host; /* the single host_name */
    int ems;
    int ri;
    tf_view ri_data; /* renegotiated_connection */
    int alpn;
    tf_view alpn_list; /* ProtocolNameList body, validated */
    int sig_algs;
    tf_view sig_algs_list; /* u16 values */
    int groups;
    tf_view groups_list; /* u16 values */
    int point_formats;
    tf_view point_formats_list; /* u8 values */
    /* TLS 1.3 and RFC 8449 */
    int versions;
    tf_view versions_list;     /* ClientHello: u16 values */
    uint16_t selected_version; /* ServerHello, HelloRetryRequest */
    int key_share;
    tf_view key_share_list; /* ClientHello: the KeyShareEntry list, validated */
    uint16_t share_group;   /* ServerHello: its share's group; HelloRetryRequest: selected */
    tf_view share_key;      /* ServerHello: its share */
    int cookie;
    tf_view cookie_data;
    int psk_modes;
    tf_view psk_modes_list;
    int rsl;
    uint16_t record_size_limit;
    int psk, early_data;
    int cas;
    tf_view cas_list; /* certificate_authorities: u16-prefixed DistinguishedNames, checked */
    int session_ticket;
    tf_view session_ticket_data;   /* RFC 5077: the ticket offered (may be empty) */
    tf_view psk_identities;        /* ClientHello pre_shared_key: PskIdentity list, checked */
    tf_view psk_binders;           /* ... and the binder list, checked */
    const uint8_t *psk_binders_at; /* where the binders' length prefix starts */
    uint16_t psk_selected;         /* ServerHello pre_shared_key: selected_identity */
} tf_hello_exts;

typedef struct {
    uint16_t version;
    uint8_t random[32];
    tf_view session_id;
    tf_view suites; /* u16 values */
    tf_view compressions;
    tf_hello_exts ext;
} tf_client_hello;

typedef struct {
    uint16_t version;
    uint8_t random[32];
    tf_view session_id;
    uint16_t suite;
    uint8_t compression;
    int hrr; /* the random is HelloRetryRequest's (RFC 8446 §4.1.3) */
    tf_hello_exts ext;
} tf_server_hello;

/* ServerKeyExchange for ECDHE (RFC 8422 §5.4): ServerECDHParams, then the signature. */
typedef struct {
    uint16_t group;
    tf_view point;
    tf_view params; /* the whole ServerECDHParams, which the signature covers */
    uint16_t sig_scheme;
    tf_view signature;
} tf_server_key_exchange;

#define TF_EC_CURVE_TYPE_NAMED 3 /* ECCurveType named_curve: the only one RFC 8422 keeps */
#define TF_POINT_UNCOMPRESSED  0 /* ECPointFormat uncompressed */

#define TF_CERT_LIST_MAX 10
typedef struct {
    tf_view certs[TF_CERT_LIST_MAX];
    size_t n_certs;
} tf_certificate;

/* Parsers return TLSFLOW_OK or an error code, with a static sentence in *why. */
int tf_ext_parse(tf_reader *block, int ctx, tf_hello_exts *out, const char **why);
/* The key_exchange of the ClientHello share for `group` (a validated key_share_list). */
int tf_key_share_find(const tf_view *list, uint16_t group, tf_view *key);
int tf_client_hello_parse(const uint8_t *body, size_t len, tf_client_hello *out, const char **why);
int tf_server_hello_parse(const uint8_t *body, size_t len, tf_server_hello *out, const char **why);
int tf_certificate_parse(const uint8_t *body, size_t len, tf_certificate *out, const char **why);
int tf_client_key_exchange_parse(const uint8_t *body, size_t len, tf_view *encrypted,
                                 const char **why);
int tf_client_key_exchange_ecdhe_parse(const uint8_t *body, size_t len, tf_view *point,
                                       const char **why);
int tf_server_key_exchange_parse(const uint8_t *body, size_t len, tf_server_key_exchange *out,
                                 const char **why);
int tf_finished_parse(const uint8_t *body, size_t len, tf_view *verify_data, const char **why);
int tf_empty_parse(const uint8_t *body, size_t len, const char **why);
/* TLS 1.2 CertificateRequest (RFC 5246 §7.4.4). */
typedef struct {
    tf_view types;    /* ClientCertificateType values */
    tf_view sig_algs; /* u16 values */
    tf_view cas;      /* u16-prefixed DistinguishedNames, checked */
} tf_certificate_request;
int tf_certificate_request_parse(const uint8_t *body, size_t len, tf_certificate_request *out,
                                 const char **why);
/* Does a DistinguishedName list (u16-prefixed entries, validated) hold this Name? */
int tf_names_contain(const tf_view *list, const uint8_t *name, size_t len);

/* TLS 1.3 messages (RFC 8446 §4). */
#define TF_HRR_RANDOM                                                                              \
    "\xCF\x21\xAD\x74\xE5\x9A\x61\x11\xBE\x1D\x8C\x02\x1E\x65\xB8\x91"                             \
    "\xC2\xA2\x11\x16\x7A\xBB\x8C\x5E\x07\x9E\x09\xE2\xC8\xA8\x33\x9C"

/* The last 8 bytes of a TLS 1.2 ServerHello.random from a server that supports TLS 1.3. */
#define TF_DOWNGRADE_TLS12 "DOWNGRD\x01"

typedef struct {
    tf_view context; /* certificate_request_context */
    tf_view certs[TF_CERT_LIST_MAX];
    size_t n_certs;
} tf_certificate13;

typedef struct {
    uint16_t scheme;
    tf_view signature;
} tf_certificate_verify;

typedef struct {
    uint32_t lifetime, age_add;
    tf_view nonce, ticket, extensions;
} tf_new_session_ticket;

typedef struct {
    tf_view context;
    tf_hello_exts ext; /* signature_algorithms among them */
} tf_certificate_request13;

int tf_encrypted_extensions_parse(const uint8_t *body, size_t len, tf_hello_exts *out,
                                  const char **why);
int tf_certificate13_parse(const uint8_t *body, size_t len, tf_certificate13 *out,
                           const char **why);
int tf_certificate_verify_parse(const uint8_t *body, size_t len, tf_certificate_verify *out,
                                const char **why);
int tf_finished13_parse(const uint8_t *body, size_t len, size_t hash_len, tf_view *verify_data,
                        const char **why);
int tf_key_update_parse(const uint8_t *body, size_t len, int *update_requested, const char **why);
int tf_new_session_ticket_parse(const uint8_t *body, size_t len, tf_new_session_ticket *out,
                                const char **why);
int tf_certificate_request13_parse(const uint8_t *body, size_t len, tf_certificate_request13 *out,
                                   const char **why);

/* A resumable session (session.c): what a server's ticket seals, and, for a client, the
 * ticket to offer and the server's leaf. */
#define TF_MAX_TICKET 2048
#define TF_MAX_LEAF   4096
typedef struct {
    uint16_t version, suite;
    int64_t created;    /* server: when issued; client: when received */
    uint32_t lifetime;  /* seconds */
    uint32_t age_add;   /* TLS 1.3 ticket_age_add */
    int ems;            /* TLS 1.2: the session used the extended master secret */
    uint8_t secret[48]; /* TLS 1.2: the master secret; TLS 1.3: the PSK */
    size_t secret_len;
    tf_view sni, alpn;
    tf_view ticket; /* client */
    tf_view leaf;   /* client: the server's certificate, DER (may be empty) */
} tf_session;
/* Encode / decode a session; `client` adds the ticket and the leaf. */
int tf_session_write(tf_writer *w, const tf_session *s, int client);
int tf_session_read(tf_reader *r, tf_session *s, int client);

/* What a client offers, for writing a ClientHello. */
typedef struct {
    uint8_t random[32];
    const uint16_t *suites;
    size_t n_suites;
    const char *sni; /* NULL: none */
    int ems;
    const uint8_t *alpn; /* ProtocolNameList body, NULL: none */
    size_t alpn_len;
    const uint16_t *sig_algs; /* signature_algorithms, always sent; NULL: every scheme */
    size_t n_sig_algs;
    const uint16_t *groups; /* NULL: no supported_groups nor ec_point_formats (no ECC) */
    size_t n_groups;
    int point_formats; /* ec_point_formats beside groups (only when TLS 1.2 is offered) */
    /* TLS 1.3 */
    const uint16_t *versions; /* supported_versions, NULL: none (TLS 1.2 only) */
    size_t n_versions;
    uint16_t share_group; /* key_share with one entry; 0: none */
    const uint8_t *share;
    size_t share_len;
    const uint8_t *session_id; /* legacy_session_id (compatibility mode), NULL: empty */
    size_t session_id_len;
    const uint8_t *cookie; /* echoed from a HelloRetryRequest, NULL: none */
    size_t cookie_len;
    uint16_t record_size_limit; /* RFC 8449; 0: not sent */
    int session_ticket;         /* RFC 5077 SessionTicket: ask for one / offer `ticket` */
    const uint8_t *ticket;
    size_t ticket_len;
    /* TLS 1.3 PSK (resumption): psk_key_exchange_modes psk_dhe_ke and pre_shared_key with
     * one identity, last; `binder` fills the binder from the truncated hello (message with
     * its header, up to the binders), called while writing. */
    const uint8_t *psk_identity;
    size_t psk_identity_len;
    uint32_t psk_obfuscated_age;
    size_t psk_binder_len;
    int (*binder)(void *ctx, const uint8_t *truncated, size_t len, uint8_t *out);
    void *binder_ctx;
} tf_client_offer;

/* What a server answers, for writing a ServerHello. */
typedef struct {
    uint8_t random[32];
    uint16_t suite;
    int ems;
    int ri;
    const uint8_t *alpn; /* the chosen name, NULL: none */
    size_t alpn_len;
    int point_formats;          /* answer ec_point_formats (uncompressed only) */
    uint16_t record_size_limit; /* RFC 8449; 0: not sent */
    int session_ticket;         /* TLS 1.2: a NewSessionTicket will follow (empty ext) */
    int psk;                    /* TLS 1.3: pre_shared_key, selected identity 0 */
    const uint8_t *session_id;  /* echoed (TLS 1.3, TLS 1.2 resumption); NULL: empty */
    size_t session_id_len;
    /* TLS 1.3 ServerHello / HelloRetryRequest */
    int tls13;
    int hrr;              /* HelloRetryRequest: random is the fixed value, share_group names */
    uint16_t share_group; /* the group of our share, or the one an HRR asks for */
    const uint8_t *share;
    size_t share_len;
} tf_server_answer;

/* What a TLS 1.3 server puts in EncryptedExtensions. */
typedef struct {
    int sni_ack;
    const uint8_t *alpn; /* the chosen name, NULL: none */
    size_t alpn_len;
    uint16_t record_size_limit;
} tf_encrypted_extensions;

/* Writers append the message BODY (no handshake header). */
int tf_client_hello_write(tf_writer *w, const tf_client_offer *o);
int tf_server_hello_write(tf_writer *w, const tf_server_answer *a);
int tf_certificate_write(tf_writer *w, const uint8_t *const *certs, const size_t *lens, size_t n);
int tf_client_key_exchange_write(tf_writer *w, const uint8_t *encrypted, size_t len);
int tf_client_key_exchange_ecdhe_write(tf_writer *w, const uint8_t *point, size_t len);
/* ServerECDHParams alone (what the signature covers), then the whole message body. */
int tf_ecdh_params_write(tf_writer *w, uint16_t group, const uint8_t *point, size_t len);
int tf_server_key_exchange_write(tf_writer *w, const uint8_t *params, size_t params_len,
                                 uint16_t sig_scheme, const uint8_t *sig, size_t sig_len);
int tf_finished_write(tf_writer *w, const uint8_t *verify_data, size_t len);
int tf_encrypted_extensions_write(tf_writer *w, const tf_encrypted_extensions *e);
int tf_certificate13_write(tf_writer *w, const uint8_t *const *certs, const size_t *lens, size_t n);
int tf_certificate_verify_write(tf_writer *w, uint16_t scheme, const uint8_t *sig, size_t len);
int tf_key_update_write(tf_writer *w, int update_requested);
/* NewSessionTicket: TLS 1.2 (RFC 5077 §3.3) and TLS 1.3 (RFC 8446 §4.6.1). */
int tf_new_session_ticket12_parse(const uint8_t *body, size_t len, uint32_t *lifetime,
                                  tf_view *ticket, const char **why);
int tf_new_session_ticket12_write(tf_writer *w, uint32_t lifetime, const uint8_t *ticket,
                                  size_t len);
int tf_new_session_ticket_write(tf_writer *w, uint32_t lifetime, uint32_t age_add,
                                const uint8_t *nonce, size_t nonce_len, const uint8_t *ticket,
                                size_t len);
/* CertificateRequest: what a server asks for. */
typedef struct {
    const uint16_t *schemes; /* signature_algorithms */
    size_t n_schemes;
    const uint8_t *const *names; /* certificate_authorities: DER Names */
    const size_t *name_lens;
    size_t n_names;
} tf_cert_request_out;
int tf_certificate_request_write(tf_writer *w, const tf_cert_request_out *r);
int tf_certificate_request13_write(tf_writer *w, const tf_cert_request_out *r);
/* A client Certificate (TLS 1.3): the request's context, then the chain. */
int tf_certificate13_write_ctx(tf_writer *w, const uint8_t *ctx, size_t ctx_len,
                               const uint8_t *const *certs, const size_t *lens, size_t n);

/* Is this a GREASE value (RFC 8701)? */
int tf_is_grease(uint16_t v);
/* Does the ALPN ProtocolNameList body `list` contain `name`? */
int tf_alpn_contains(const uint8_t *list, size_t list_len, const uint8_t *name, size_t len);
/* An ALPN ProtocolNameList body as display text: "h2,http/1.1" (cut to fit cap). */
void tf_alpn_to_text(const uint8_t *list, size_t list_len, char *out, size_t cap);

#endif
