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
    TF_EXT_SESSION_TICKET = 35,
    TF_EXT_SUPPORTED_VERSIONS = 43,
    TF_EXT_RENEGOTIATION_INFO = 0xff01
};

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
int tf_ext_parse(tf_reader *block, int in_server_hello, tf_hello_exts *out, const char **why);
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
int tf_certificate_request_parse(const uint8_t *body, size_t len, const char **why);

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
} tf_client_offer;

/* What a server answers, for writing a ServerHello. */
typedef struct {
    uint8_t random[32];
    uint16_t suite;
    int ems;
    int ri;
    const uint8_t *alpn; /* the chosen name, NULL: none */
    size_t alpn_len;
    int point_formats; /* answer ec_point_formats (uncompressed only) */
} tf_server_answer;

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

/* Is this a GREASE value (RFC 8701)? */
int tf_is_grease(uint16_t v);
/* Does the ALPN ProtocolNameList body `list` contain `name`? */
int tf_alpn_contains(const uint8_t *list, size_t list_len, const uint8_t *name, size_t len);
/* An ALPN ProtocolNameList body as display text: "h2,http/1.1" (cut to fit cap). */
void tf_alpn_to_text(const uint8_t *list, size_t list_len, char *out, size_t cap);

#endif
