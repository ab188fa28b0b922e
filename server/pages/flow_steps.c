#include "flow_steps.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hello_names.h"

/* ---- trace steps -------------------------------------------------------------------- */

typedef struct {
    tlsflow_step step;
    int flow; /* which of the five in TLS 1.2 (both roles' steps), else 0 */
    const char *id;
    const char *label;
} step_row;

static const step_row rows[] = {
    {TLSFLOW_STEP_CLIENT_HELLO_SENT, 0, "client_hello_sent", "ClientHello sent"},
    {TLSFLOW_STEP_CLIENT_HELLO_RECEIVED, 0, "client_hello_received", "ClientHello received"},
    {TLSFLOW_STEP_SERVER_HELLO_SENT, 0, "server_hello_sent", "ServerHello sent"},
    {TLSFLOW_STEP_SERVER_HELLO_RECEIVED, 0, "server_hello_received", "ServerHello received"},
    {TLSFLOW_STEP_CERTIFICATE_SENT, 1, "certificate_sent", "Certificate sent"},
    {TLSFLOW_STEP_CERTIFICATE_RECEIVED, 1, "certificate_received", "Certificate received"},
    {TLSFLOW_STEP_CERTIFICATE_VERIFIED, 2, "certificate_verified", "Certificate verified"},
    {TLSFLOW_STEP_SERVER_HELLO_DONE_SENT, 0, "server_hello_done_sent", "ServerHelloDone sent"},
    {TLSFLOW_STEP_SERVER_HELLO_DONE_RECEIVED, 0, "server_hello_done_received",
     "ServerHelloDone received"},
    {TLSFLOW_STEP_PREMASTER_ENCRYPTED, 3, "premaster_encrypted", "Session key encrypted"},
    {TLSFLOW_STEP_PREMASTER_DECRYPTED, 4, "premaster_decrypted", "Session key decrypted"},
    {TLSFLOW_STEP_KEYS_DERIVED, 0, "keys_derived", "Keys derived"},
    {TLSFLOW_STEP_CHANGE_CIPHER_SPEC_SENT, 0, "change_cipher_spec_sent", "ChangeCipherSpec sent"},
    {TLSFLOW_STEP_CHANGE_CIPHER_SPEC_RECEIVED, 0, "change_cipher_spec_received",
     "ChangeCipherSpec received"},
    {TLSFLOW_STEP_FINISHED_SENT, 0, "finished_sent", "Finished sent"},
    {TLSFLOW_STEP_FINISHED_VERIFIED, 0, "finished_verified", "Finished verified"},
    {TLSFLOW_STEP_HANDSHAKE_DONE, 5, "handshake_done", "Handshake done"},
    {TLSFLOW_STEP_ALERT_SENT, 0, "alert_sent", "Alert sent"},
    {TLSFLOW_STEP_ALERT_RECEIVED, 0, "alert_received", "Alert received"},
    {TLSFLOW_STEP_RENEGOTIATION_REFUSED, 0, "renegotiation_refused", "Renegotiation refused"},
    {TLSFLOW_STEP_SERVER_KEY_EXCHANGE_SENT, 0, "server_key_exchange_sent",
     "ServerKeyExchange sent"},
    {TLSFLOW_STEP_SERVER_KEY_EXCHANGE_VERIFIED, 0, "server_key_exchange_verified",
     "ServerKeyExchange verified"},
    {TLSFLOW_STEP_CLIENT_KEY_SHARE_SENT, 3, "client_key_share_sent", "Key share sent"},
    {TLSFLOW_STEP_SHARED_SECRET_COMPUTED, 4, "shared_secret_computed", "Shared secret computed"},
    {TLSFLOW_STEP_CERTIFICATE_REQUESTED, 0, "certificate_requested", "Certificate requested"},
    {TLSFLOW_STEP_CLIENT_CERTIFICATE_SENT, 0, "client_certificate_sent", "Client certificate sent"},
    {TLSFLOW_STEP_HELLO_RETRY_REQUEST, 0, "hello_retry_request", "HelloRetryRequest"},
    {TLSFLOW_STEP_HANDSHAKE_KEYS, 0, "handshake_keys", "Handshake keys"},
    {TLSFLOW_STEP_ENCRYPTED_EXTENSIONS, 0, "encrypted_extensions", "EncryptedExtensions"},
    {TLSFLOW_STEP_CERTIFICATE_VERIFY_SENT, 0, "certificate_verify_sent", "CertificateVerify sent"},
    {TLSFLOW_STEP_CERTIFICATE_VERIFY_VERIFIED, 0, "certificate_verify_verified",
     "CertificateVerify verified"},
    {TLSFLOW_STEP_KEY_UPDATE_SENT, 0, "key_update_sent", "KeyUpdate sent"},
    {TLSFLOW_STEP_KEY_UPDATE_RECEIVED, 0, "key_update_received", "KeyUpdate received"},
    {TLSFLOW_STEP_SESSION_TICKET_RECEIVED, 0, "session_ticket_received",
     "NewSessionTicket received"},
    {TLSFLOW_STEP_SESSION_TICKET_SENT, 0, "session_ticket_sent", "NewSessionTicket sent"},
    {TLSFLOW_STEP_SESSION_RESUMED, 0, "session_resumed", "Session resumed"},
};

static const step_row *find(tlsflow_step step)
{
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
        if (rows[i].step == step)
            return &rows[i];
    return NULL;
}

int flow_step_number(tlsflow_step step)
{
    const step_row *r = find(step);
    return r ? r->flow : 0;
}

/* On a server these are about the client's certificate, which is none of the five. */
static int about_client_cert(tlsflow_step step, tlsflow_role role)
{
    if (role == TLSFLOW_SERVER)
        return step == TLSFLOW_STEP_CERTIFICATE_RECEIVED ||
               step == TLSFLOW_STEP_CERTIFICATE_VERIFIED ||
               step == TLSFLOW_STEP_CERTIFICATE_VERIFY_VERIFIED;
    return step == TLSFLOW_STEP_CLIENT_CERTIFICATE_SENT ||
           step == TLSFLOW_STEP_CERTIFICATE_VERIFY_SENT;
}

int flow_step_in(tlsflow_step step, flow_variant v, tlsflow_role role)
{
    if (about_client_cert(step, role))
        return 0;
    if (v == FLOW_TLS13 || v == FLOW_PSK13) {
        switch (step) {
        case TLSFLOW_STEP_CLIENT_HELLO_SENT:
        case TLSFLOW_STEP_CLIENT_HELLO_RECEIVED:
            return 3; /* the client's key share (and ticket) ride in its ClientHello */
        case TLSFLOW_STEP_SERVER_HELLO_SENT:
        case TLSFLOW_STEP_SERVER_HELLO_RECEIVED:
        case TLSFLOW_STEP_HANDSHAKE_KEYS:
        case TLSFLOW_STEP_CERTIFICATE_VERIFY_SENT:
        case TLSFLOW_STEP_CERTIFICATE_VERIFY_VERIFIED:
        case TLSFLOW_STEP_SESSION_RESUMED:
            return 4; /* the server's share, the secret, its signature or the PSK taken */
        default:
            break;
        }
    }
    if (v == FLOW_RESUME12) {
        switch (step) {
        case TLSFLOW_STEP_CLIENT_HELLO_SENT:
        case TLSFLOW_STEP_CLIENT_HELLO_RECEIVED:
            return 3; /* the ticket rides in the ClientHello */
        case TLSFLOW_STEP_SESSION_RESUMED:
            return 4; /* the server opened it: the master secret again */
        default:
            break;
        }
    }
    return flow_step_number(step);
}

const char *flow_step_label(tlsflow_step step)
{
    const step_row *r = find(step);
    return r ? r->label : "Step";
}

const char *flow_step_label_in(tlsflow_step step, tlsflow_role role)
{
    if (role == TLSFLOW_SERVER) {
        if (step == TLSFLOW_STEP_CERTIFICATE_RECEIVED)
            return "Client certificate received";
        if (step == TLSFLOW_STEP_CERTIFICATE_VERIFIED)
            return "Client certificate verified";
        if (step == TLSFLOW_STEP_CERTIFICATE_VERIFY_VERIFIED)
            return "Client's CertificateVerify verified";
    } else if (step == TLSFLOW_STEP_CERTIFICATE_VERIFY_SENT) {
        return "Client's CertificateVerify sent";
    }
    return flow_step_label(step);
}

const char *flow_step_id(tlsflow_step step)
{
    const step_row *r = find(step);
    return r ? r->id : "unknown";
}

/* ---- the five steps, per flow ------------------------------------------------------------ */

static const char *const titles[FLOW_VARIANTS][FLOW_STEPS] = {
    {"Certificate sent", "Certificate verified by the client",
     "Session key encrypted by the client", "Session key decrypted by the server",
     "Encrypted records"},
    {"Certificate sent", "Certificate verified by the client", "Key share sent by the client",
     "Shared secret computed by the server", "Encrypted records"},
    {"Certificate sent, encrypted", "Certificate verified by the client",
     "Key share sent by the client", "Key share and signature from the server",
     "Encrypted records"},
    {"No certificate: the session ticket stands in for it", "Server recognised by its Finished",
     "Session ticket sent by the client", "Ticket opened by the server", "Encrypted records"},
    {"No certificate: the PSK stands in for it", "Server recognised by its Finished",
     "Key share and ticket sent by the client", "PSK accepted, key share from the server",
     "Encrypted records"},
};

static const char *const explanations[FLOW_VARIANTS][FLOW_STEPS] = {
    {
        "The server sends its certificate chain; the leaf carries the server's public key "
        "(RSA).",
        "The client checks the chain up to a CA it trusts, the validity dates and the host "
        "name.",
        "The client makes a random 48-byte premaster secret and encrypts it under the "
        "server's public key (ClientKeyExchange).",
        "Only the holder of the private key can recover the premaster; both sides now derive "
        "the same master secret and record keys.",
        "Both Finished messages verify, and every record from then on is protected with the "
        "suite's AEAD cipher.",
    },
    {
        "The server sends its certificate chain; the leaf carries the server's public key "
        "(RSA, or EC for an ECDHE_ECDSA suite).",
        "The client checks the chain up to a CA it trusts, the validity dates and the host "
        "name.",
        "The server sent a fresh ECDHE public value signed with its certificate key; the "
        "client checks the signature, sends its own fresh public value and computes the "
        "shared secret.",
        "The server combines its ephemeral private key with the client's public value and "
        "gets the same secret, which never crossed the wire (forward secrecy: the "
        "certificate key only signed).",
        "Both Finished messages verify, and every record from then on is protected with the "
        "suite's AEAD cipher.",
    },
    {
        "The server sends its certificate chain inside the encrypted part of the handshake "
        "(everything after ServerHello travels under handshake keys); the leaf carries the "
        "public key that signs in step 4.",
        "The client checks the chain up to a CA it trusts, the validity dates and the host "
        "name, then the server's CertificateVerify signature with the leaf's key.",
        "In its very first message (ClientHello) the client sends a fresh ephemeral public "
        "value, its key share, for a group it expects the server to take. No premaster "
        "secret is encrypted under the server's key: key exchange comes first.",
        "The server answers with its own key share in ServerHello; both sides compute the "
        "same ECDH secret, which never crossed the wire, and encrypt the rest of the "
        "handshake with keys from it. In CertificateVerify the server signs the transcript "
        "with its certificate key, proving it holds it.",
        "Both Finished messages verify (HMACs over the whole transcript), and every record "
        "is protected with traffic keys derived by HKDF (RFC 8446 \xc2\xa7"
        "7.1).",
    },
    {
        "The server sends no certificate. At the end of an earlier full handshake it gave the "
        "client a session ticket: that session's master secret, sealed with a key only the "
        "server holds (RFC 5077).",
        "There is no certificate to check: the client verified it in the handshake that made "
        "the session. The server's Finished, keyed by the session's secret, proves it is the "
        "server that sealed the ticket (or one sharing its ticket key).",
        "The client hands the ticket back in its ClientHello (SessionTicket extension), with a "
        "session id that the server echoes if it takes the ticket.",
        "The server decrypts the ticket with its ticket key (AES-256-GCM) and recovers the "
        "master secret; fresh record keys come from it and the two new randoms. No key "
        "exchange happens: whoever gets the ticket key can read every connection of the "
        "session.",
        "The server sends its Finished first (it opened the ticket), then the client; every "
        "record is protected with the suite's AEAD cipher.",
    },
    {
        "The server sends neither Certificate nor CertificateVerify: the client offers a "
        "ticket from an earlier handshake (NewSessionTicket), and the pre-shared key (PSK) "
        "derived from that handshake authenticates the server.",
        "There is no certificate to check: the client verified it in the handshake that "
        "issued the ticket. The server's Finished, keyed by the PSK, proves it is the server "
        "that sealed the ticket (or one sharing its ticket key).",
        "The ClientHello carries a fresh key share and the ticket as a PSK identity "
        "(pre_shared_key), with a binder: an HMAC under the PSK over the ClientHello, which "
        "proves the client holds it.",
        "The server opens the ticket, checks its age and the binder, and answers in "
        "ServerHello with its own key share and the PSK it took. The key schedule mixes the "
        "PSK with a fresh ECDH secret (psk_dhe_ke): forward secrecy is kept.",
        "Both Finished messages verify (HMACs under keys from the PSK and the ECDH secret), "
        "and every record is protected with traffic keys derived by HKDF.",
    },
};

const char *flow_title(int n, flow_variant v)
{
    return n >= 1 && n <= FLOW_STEPS && (unsigned)v < FLOW_VARIANTS ? titles[v][n - 1] : "";
}

const char *flow_explain(int n, flow_variant v)
{
    return n >= 1 && n <= FLOW_STEPS && (unsigned)v < FLOW_VARIANTS ? explanations[v][n - 1] : "";
}

flow_variant flow_full_of(const tlsflow_info *info)
{
    if (info->version == TLSFLOW_VERSION_TLS13)
        return FLOW_TLS13;
    if (info->key_exchange[0])
        return strcmp(info->key_exchange, "ECDHE") == 0 ? FLOW_ECDHE12 : FLOW_RSA12;
    /* Not said (a resumed session exchanges no key): the suite's key exchange. */
    return info->cipher_suite == TLSFLOW_RSA_WITH_AES_128_GCM_SHA256 ||
                   info->cipher_suite == TLSFLOW_RSA_WITH_AES_256_GCM_SHA384 ||
                   info->cipher_suite == 0
               ? FLOW_RSA12
               : FLOW_ECDHE12;
}

flow_variant flow_variant_of(const tlsflow_info *info)
{
    if (info->resumed)
        return info->version == TLSFLOW_VERSION_TLS13 ? FLOW_PSK13 : FLOW_RESUME12;
    return flow_full_of(info);
}

int flow_is_resumed(flow_variant v)
{
    return v == FLOW_RESUME12 || v == FLOW_PSK13;
}

const char *flow_variant_name(flow_variant v)
{
    switch (v) {
    case FLOW_RSA12:
        return "TLS 1.2, RSA key transport";
    case FLOW_ECDHE12:
        return "TLS 1.2, ECDHE";
    case FLOW_TLS13:
        return "TLS 1.3";
    case FLOW_RESUME12:
        return "TLS 1.2, resumed from a session ticket";
    case FLOW_PSK13:
        return "TLS 1.3, resumed with a PSK ticket";
    }
    return "?";
}

/* ---- the message table ------------------------------------------------------------------- */

#define R   (1u << FLOW_RSA12)
#define E   (1u << FLOW_ECDHE12)
#define T   (1u << FLOW_TLS13)
#define RT  (1u << FLOW_RESUME12) /* TLS 1.2 resumed from a ticket */
#define P   (1u << FLOW_PSK13)    /* TLS 1.3 resumed with a PSK */
#define ALL (R | E | T)           /* the full handshakes */

typedef enum { C_ALWAYS, C_HRR, C_NO_HRR, C_CERT_REQUESTED, C_CLIENT_CERT, C_TICKET } seq_cond;

typedef enum {
    D_NONE,
    D_CLIENT_HELLO,
    D_CLIENT_HELLO_SHARE,
    D_CLIENT_HELLO_NO_SHARE,
    D_CLIENT_HELLO_TICKET,
    D_CLIENT_HELLO_PSK,
    D_HRR,
    D_OPEN_TICKET,
    D_SERVER_HELLO,
    D_SERVER_HELLO_SHARE,
    D_SERVER_HELLO_PSK,
    D_SECRET13,
    D_ENCRYPTED_EXTENSIONS,
    D_CERT_REQUEST,
    D_CERTIFICATE,
    D_SERVER_KEY_EXCHANGE,
    D_CERT_VERIFY,
    D_SERVER_FINISHED13,
    D_VERIFY_CHAIN,
    D_VERIFY_FINISHED,
    D_CLIENT_CERT,
    D_CLIENT_KEY_EXCHANGE,
    D_CLIENT_CERT_VERIFY,
    D_DECRYPT,
    D_SECRET12,
    D_CLIENT_FINISHED,
    D_SERVER_FINISHED12,
    D_TICKET,
    D_APP_DATA
} seq_detail;

typedef struct {
    unsigned in;  /* the flows that have this row */
    unsigned enc; /* the flows in which it travels encrypted */
    seq_cond cond;
    seq_dir dir;
    int step;
    const char *id;
    const char *label;
    seq_detail detail;
} seq_row;

/* In order within each flow; a message whose place or wording differs between flows has a
 * row per wording, with the same id (the resumed flows: RFC 5077 §3.1, RFC 8446 §2.2). */
static const seq_row seq[] = {
    {R | E, 0, C_ALWAYS, SEQ_TO_SERVER, 0, "client_hello", "ClientHello", D_CLIENT_HELLO},
    {RT, 0, C_ALWAYS, SEQ_TO_SERVER, 3, "client_hello", "ClientHello + SessionTicket",
     D_CLIENT_HELLO_TICKET},
    {T, 0, C_NO_HRR, SEQ_TO_SERVER, 3, "client_hello", "ClientHello + key_share",
     D_CLIENT_HELLO_SHARE},
    {P, 0, C_NO_HRR, SEQ_TO_SERVER, 3, "client_hello", "ClientHello + key_share + pre_shared_key",
     D_CLIENT_HELLO_PSK},
    {T, 0, C_HRR, SEQ_TO_SERVER, 0, "client_hello", "ClientHello", D_CLIENT_HELLO_NO_SHARE},
    {P, 0, C_HRR, SEQ_TO_SERVER, 0, "client_hello", "ClientHello + pre_shared_key",
     D_CLIENT_HELLO_NO_SHARE},
    {T | P, 0, C_HRR, SEQ_TO_CLIENT, 0, "hello_retry_request", "HelloRetryRequest", D_HRR},
    {T, 0, C_HRR, SEQ_TO_SERVER, 3, "client_hello_retry", "ClientHello + key_share",
     D_CLIENT_HELLO_SHARE},
    {P, 0, C_HRR, SEQ_TO_SERVER, 3, "client_hello_retry",
     "ClientHello + key_share + pre_shared_key", D_CLIENT_HELLO_PSK},
    {RT, 0, C_ALWAYS, SEQ_AT_SERVER, 4, "open_ticket", "open the ticket", D_OPEN_TICKET},
    {P, 0, C_ALWAYS, SEQ_AT_SERVER, 4, "open_ticket", "open the ticket, check the binder",
     D_OPEN_TICKET},
    {R | E | RT, 0, C_ALWAYS, SEQ_TO_CLIENT, 0, "server_hello", "ServerHello", D_SERVER_HELLO},
    {T, 0, C_ALWAYS, SEQ_TO_CLIENT, 4, "server_hello", "ServerHello + key_share",
     D_SERVER_HELLO_SHARE},
    {P, 0, C_ALWAYS, SEQ_TO_CLIENT, 4, "server_hello", "ServerHello + key_share + pre_shared_key",
     D_SERVER_HELLO_PSK},
    {T | P, 0, C_ALWAYS, SEQ_AT_SERVER, 4, "shared_secret", "compute the shared secret",
     D_SECRET13},
    /* TLS 1.2 resumed: the server finishes first. */
    {RT, 0, C_TICKET, SEQ_TO_CLIENT, 0, "new_session_ticket", "NewSessionTicket", D_TICKET},
    {RT, RT, C_ALWAYS, SEQ_TO_CLIENT, 0, "server_finished", "ChangeCipherSpec, Finished",
     D_SERVER_FINISHED12},
    {RT, 0, C_ALWAYS, SEQ_AT_CLIENT, 2, "verify", "check the server's Finished", D_VERIFY_FINISHED},
    {RT, RT, C_ALWAYS, SEQ_TO_SERVER, 0, "client_finished", "ChangeCipherSpec, Finished",
     D_CLIENT_FINISHED},
    {T | P, T | P, C_ALWAYS, SEQ_TO_CLIENT, 0, "encrypted_extensions", "EncryptedExtensions",
     D_ENCRYPTED_EXTENSIONS},
    {T, T, C_CERT_REQUESTED, SEQ_TO_CLIENT, 0, "certificate_request", "CertificateRequest",
     D_CERT_REQUEST},
    {ALL, T, C_ALWAYS, SEQ_TO_CLIENT, 1, "certificate", "Certificate", D_CERTIFICATE},
    {E, 0, C_ALWAYS, SEQ_TO_CLIENT, 0, "server_key_exchange", "ServerKeyExchange",
     D_SERVER_KEY_EXCHANGE},
    {R | E, 0, C_CERT_REQUESTED, SEQ_TO_CLIENT, 0, "certificate_request", "CertificateRequest",
     D_CERT_REQUEST},
    {T, T, C_ALWAYS, SEQ_TO_CLIENT, 4, "certificate_verify", "CertificateVerify", D_CERT_VERIFY},
    {R | E, 0, C_ALWAYS, SEQ_TO_CLIENT, 0, "server_hello_done", "ServerHelloDone", D_NONE},
    {T | P, T | P, C_ALWAYS, SEQ_TO_CLIENT, 0, "server_finished", "Finished", D_SERVER_FINISHED13},
    {R, 0, C_ALWAYS, SEQ_AT_CLIENT, 2, "verify", "verify chain, dates, host name", D_VERIFY_CHAIN},
    {E, 0, C_ALWAYS, SEQ_AT_CLIENT, 2, "verify", "verify chain, host name, signature",
     D_VERIFY_CHAIN},
    {T, 0, C_ALWAYS, SEQ_AT_CLIENT, 2, "verify", "verify chain, host name, CertificateVerify",
     D_VERIFY_CHAIN},
    {P, 0, C_ALWAYS, SEQ_AT_CLIENT, 2, "verify", "check the server's Finished", D_VERIFY_FINISHED},
    {ALL, T, C_CERT_REQUESTED, SEQ_TO_SERVER, 0, "client_certificate", "Certificate",
     D_CLIENT_CERT},
    {R | E, 0, C_ALWAYS, SEQ_TO_SERVER, 3, "client_key_exchange", "ClientKeyExchange",
     D_CLIENT_KEY_EXCHANGE},
    {ALL, T, C_CLIENT_CERT, SEQ_TO_SERVER, 0, "client_certificate_verify", "CertificateVerify",
     D_CLIENT_CERT_VERIFY},
    {R, 0, C_ALWAYS, SEQ_AT_SERVER, 4, "decrypt_premaster", "decrypt with the private key",
     D_DECRYPT},
    {E, 0, C_ALWAYS, SEQ_AT_SERVER, 4, "shared_secret", "compute the shared secret", D_SECRET12},
    {R | E, R | E, C_ALWAYS, SEQ_TO_SERVER, 0, "client_finished", "ChangeCipherSpec, Finished",
     D_CLIENT_FINISHED},
    {T | P, T | P, C_ALWAYS, SEQ_TO_SERVER, 0, "client_finished", "Finished", D_CLIENT_FINISHED},
    /* A ticket for a later connection: in TLS 1.2 before the server's ChangeCipherSpec (RFC
     * 5077 §3.3), in TLS 1.3 after the handshake, encrypted (RFC 8446 §4.6.1). */
    {R | E, 0, C_TICKET, SEQ_TO_CLIENT, 0, "new_session_ticket", "NewSessionTicket", D_TICKET},
    {R | E, R | E, C_ALWAYS, SEQ_TO_CLIENT, 0, "server_finished", "ChangeCipherSpec, Finished",
     D_SERVER_FINISHED12},
    {T | P, T | P, C_TICKET, SEQ_TO_CLIENT, 0, "new_session_ticket", "NewSessionTicket", D_TICKET},
    {ALL | RT | P, ALL | RT | P, C_ALWAYS, SEQ_BOTH, 5, "application_data", "application data",
     D_APP_DATA},
};

#define N_SEQ (sizeof(seq) / sizeof(seq[0]))

static int applies(const seq_row *r, flow_variant v, const flow_facts *f)
{
    const tlsflow_info *in = f ? f->info : NULL;
    if (!(r->in & (1u << v)))
        return 0;
    switch (r->cond) {
    case C_ALWAYS:
        return 1;
    case C_HRR:
        return in && in->hello_retry;
    case C_NO_HRR:
        return !in || !in->hello_retry;
    case C_CERT_REQUESTED:
        return in && in->client_cert_requested;
    case C_CLIENT_CERT:
        return in && in->client_cert_sent;
    case C_TICKET:
        return f && f->tickets_sent > 0;
    }
    return 0;
}

/* The ClientHello summary of a view (a hand-made tlsflow_info may have none). */
static const tlsflow_hello_info *hello_of(const tlsflow_info *in)
{
    static const tlsflow_hello_info none;
    return in->client_hello ? in->client_hello : &none;
}

/* TLS 1.3 offered in the ClientHello (supported_versions) whatever was negotiated. */
static int offered13(const tlsflow_info *in)
{
    const tlsflow_hello_info *h = hello_of(in);
    for (size_t i = 0; i < h->n_extensions; i++)
        if (h->extensions[i] == 43)
            return 1;
    return 0;
}

/* One detail line, cut to the row's room if a name is long (a display string). */
static void put(char *o, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void put(char *o, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o, cap, fmt, ap);
    va_end(ap);
}

static void detail(const seq_row *r, flow_variant v, const flow_facts *f, char *o, size_t cap)
{
    const tlsflow_info *in = f->info;
    const tlsflow_hello_info *h = hello_of(in);
    const char *sni = in->server_name[0] ? in->server_name : "(none)";
    const char *suite = suite_name(in->cipher_suite);
    suite = suite ? suite : "?";
    o[0] = '\0';
    switch (r->detail) {
    case D_NONE:
        break;
    case D_CLIENT_HELLO:
        put(o, cap, "%s%s, %zu suites, SNI %s%s%s", version_name(h->version),
            offered13(in) ? " (TLS 1.3 offered too)" : "", h->n_suites, sni,
            h->alpn[0] ? ", ALPN " : "", h->alpn);
        break;
    case D_CLIENT_HELLO_SHARE:
        put(o, cap, "key share: %s, %zu bytes; %zu suites, SNI %s", in->group_name,
            in->client_public_len, h->n_suites, sni);
        break;
    case D_CLIENT_HELLO_NO_SHARE:
        put(o, cap, "TLS 1.3, %zu suites, SNI %s; no key share for a group the server takes",
            h->n_suites, sni);
        break;
    case D_CLIENT_HELLO_TICKET:
        put(o, cap, "the ticket from an earlier handshake; %zu suites, SNI %s", h->n_suites, sni);
        break;
    case D_CLIENT_HELLO_PSK:
        put(o, cap, "key share: %s, %zu bytes; the ticket as PSK identity, with its binder",
            in->group_name, in->client_public_len);
        break;
    case D_HRR:
        put(o, cap, "please send a key share for %s instead", in->group_name);
        break;
    case D_OPEN_TICKET:
        put(o, cap,
            v == FLOW_PSK13 ? "AES-256-GCM under our ticket key: the PSK; the binder verifies"
                            : "AES-256-GCM under our ticket key: the earlier master secret");
        break;
    case D_SERVER_HELLO:
        put(o, cap, "%s%s%s", suite, in->ems ? ", extended master secret" : "",
            v == FLOW_RESUME12 ? "; your session id echoed: resumed" : "");
        break;
    case D_SERVER_HELLO_SHARE:
        put(o, cap, "key share: %s, %zu bytes; %s", in->group_name, in->server_public_len, suite);
        break;
    case D_SERVER_HELLO_PSK:
        put(o, cap, "key share: %s, %zu bytes; %s; the PSK taken", in->group_name,
            in->server_public_len, suite);
        break;
    case D_SECRET13:
        put(o, cap, "%sECDH(%s) -> handshake keys: the rest is encrypted",
            v == FLOW_PSK13 ? "PSK + " : "", in->group_name);
        break;
    case D_ENCRYPTED_EXTENSIONS:
        put(o, cap, "%s%s", in->alpn[0] ? "ALPN " : "no ALPN", in->alpn);
        break;
    case D_CERT_REQUEST:
        put(o, cap, "the server asks for a client certificate");
        break;
    case D_CERTIFICATE:
        put(o, cap, "%s, %s %d-bit public key", in->cert.subject,
            in->cert.key_type ? in->cert.key_type : "?", in->cert.key_bits);
        break;
    case D_SERVER_KEY_EXCHANGE:
        put(o, cap, "%s public value (%zu bytes), signed %s", in->group_name, in->server_public_len,
            in->signature_scheme_name);
        break;
    case D_CERT_VERIFY:
        put(o, cap, "the transcript signed with %s: %zu bytes", in->signature_scheme_name,
            in->signature_len);
        break;
    case D_SERVER_FINISHED13:
        put(o, cap,
            v == FLOW_PSK13 ? "an HMAC over the handshake, keyed from the PSK"
                            : "an HMAC over the whole handshake so far");
        break;
    case D_VERIFY_CHAIN:
        put(o, cap, "issuer %s", in->cert.issuer);
        break;
    case D_VERIFY_FINISHED:
        put(o, cap, "no certificate: only the holder of the session's secret makes it");
        break;
    case D_CLIENT_CERT:
        if (in->client_cert_sent)
            put(o, cap, "%s, issued by %s", in->client_cert.subject, in->client_cert.issuer);
        else
            put(o, cap, "empty: the client has none to give");
        break;
    case D_CLIENT_KEY_EXCHANGE:
        if (v == FLOW_ECDHE12)
            put(o, cap, "the client's %s public value: %zu bytes", in->group_name,
                in->client_public_len);
        else
            put(o, cap, "premaster secret, RSA-encrypted: %zu bytes", in->encrypted_premaster_len);
        break;
    case D_CLIENT_CERT_VERIFY:
        put(o, cap, "%s",
            f->client_cv_text ? f->client_cv_text : "the client's signature over the handshake");
        break;
    case D_DECRYPT:
        put(o, cap, "48-byte premaster -> master secret -> record keys");
        break;
    case D_SECRET12:
        put(o, cap, "ECDH(%s) -> master secret -> record keys", in->group_name);
        break;
    case D_CLIENT_FINISHED:
        put(o, cap, "%sthe client's Finished %s",
            v == FLOW_RSA12 || v == FLOW_ECDHE12 ? "first encrypted: " : "",
            f->finished_verified ? "verified" : "not verified");
        break;
    case D_SERVER_FINISHED12:
        put(o, cap,
            v == FLOW_RESUME12 ? "the server's Finished, first: it opened the ticket"
                               : "the server's Finished");
        break;
    case D_TICKET:
        put(o, cap, "%u ticket%s for a later connection, sealed with our ticket key",
            f->tickets_sent, f->tickets_sent == 1 ? "" : "s");
        break;
    case D_APP_DATA:
        put(o, cap, "AEAD records: %llu in, %llu out so far", (unsigned long long)in->records_in,
            (unsigned long long)in->records_out);
        break;
    }
}

size_t flow_sequence(flow_variant v, const flow_facts *facts, flow_line *out, size_t cap)
{
    size_t n = 0;
    for (size_t i = 0; i < N_SEQ && n < cap; i++) {
        const seq_row *r = &seq[i];
        if (!applies(r, v, facts))
            continue;
        flow_line *l = &out[n++];
        l->id = r->id;
        l->label = r->label;
        l->dir = r->dir;
        l->step = r->step;
        l->encrypted = (r->enc & (1u << v)) != 0;
        l->detail[0] = '\0';
        if (facts && facts->info)
            detail(r, v, facts, l->detail, sizeof(l->detail));
    }
    return n;
}

static const flow_line *by_id(const flow_line *l, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(l[i].id, id) == 0)
            return &l[i];
    return NULL;
}

static void why_add(char *why, size_t cap, const char *text)
{
    size_t n = strlen(why);
    snprintf(why + n, cap - n, "%s%s", n ? "; " : "", text);
}

/* The rows of a that b has too, in a's order, with their index in b; marks in moved[] the
 * ones off one longest common order (so a flow whose Finished messages swap places says
 * which moved, not that everything after them did). Returns the count. */
static size_t common_order(const flow_line *la, size_t na, const flow_line *lb, size_t nb,
                           size_t *ia, size_t *ib, int *moved)
{
    size_t n = 0, m = 0, jb[FLOW_LINES_MAX];
    for (size_t i = 0; i < na; i++) {
        const flow_line *y = by_id(lb, nb, la[i].id);
        if (y) {
            ia[n] = i;
            ib[n++] = (size_t)(y - lb);
        }
    }
    /* The same rows in b's order. */
    for (size_t j = 0; j < nb; j++)
        for (size_t k = 0; k < n; k++)
            if (ib[k] == j)
                jb[m++] = k;
    unsigned char len[FLOW_LINES_MAX + 1][FLOW_LINES_MAX + 1];
    memset(len, 0, sizeof(len));
    for (size_t x = n; x-- > 0;)
        for (size_t y = m; y-- > 0;)
            len[x][y] = jb[y] == x                       ? (unsigned char)(len[x + 1][y + 1] + 1)
                        : len[x + 1][y] >= len[x][y + 1] ? len[x + 1][y]
                                                         : len[x][y + 1];
    for (size_t k = 0; k < n; k++)
        moved[k] = 1;
    for (size_t x = 0, y = 0; x < n && y < m;) {
        if (jb[y] == x) {
            moved[x++] = 0;
            y++;
        } else if (len[x + 1][y] >= len[x][y + 1]) {
            x++;
        } else {
            y++;
        }
    }
    return n;
}

static int is_message(const flow_line *l)
{
    return l->dir == SEQ_TO_SERVER || l->dir == SEQ_TO_CLIENT;
}

/* Why common row k moved: the nearest row (a message if one qualifies) on whose other side
 * it now is. */
static void why_moved(const flow_line *la, const size_t *ia, const size_t *ib, size_t n, size_t k,
                      char *why, size_t cap)
{
    size_t best = n;
    for (int pass = 0; pass < 2 && best == n; pass++)
        for (size_t d = 1; d < n && best == n; d++)
            for (int side = 0; side < 2 && best == n; side++) {
                if (side == 0 ? d > k : k + d >= n)
                    continue;
                size_t j = side == 0 ? k - d : k + d;
                int flipped = (ia[j] < ia[k]) != (ib[j] < ib[k]);
                if (flipped && (pass == 1 || is_message(&la[ia[j]])))
                    best = j;
            }
    if (best == n)
        return;
    char text[128];
    snprintf(text, sizeof(text), "now %s %s %s", ia[best] < ia[k] ? "after" : "before",
             la[ia[best]].label, flow_dir_words(la[ia[best]].dir));
    why_add(why, cap, text);
}

void flow_compare(flow_variant a, flow_variant b, const flow_facts *facts, flow_diff *out)
{
    flow_line la[FLOW_LINES_MAX], lb[FLOW_LINES_MAX];
    flow_facts bare = {facts ? facts->info : NULL, 0, NULL,
                       facts ? facts->tickets_sent : 0}; /* no details needed */
    size_t na = flow_sequence(a, &bare, la, FLOW_LINES_MAX);
    size_t nb = flow_sequence(b, &bare, lb, FLOW_LINES_MAX);
    size_t ia[FLOW_LINES_MAX], ib[FLOW_LINES_MAX];
    int moved[FLOW_LINES_MAX];
    size_t n_common = common_order(la, na, lb, nb, ia, ib, moved), k = 0;
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < na; i++) {
        const flow_line *x = &la[i], *y = by_id(lb, nb, x->id);
        if (!y) {
            out->added[out->n_added++] = x->label;
            continue;
        }
        char why[sizeof(out->changed[0].why)] = "", step[32];
        snprintf(step, sizeof(step), "carries step %d", x->step);
        if (x->step != y->step)
            why_add(why, sizeof(why), x->step ? step : "no longer a numbered step");
        if (x->encrypted != y->encrypted)
            why_add(why, sizeof(why), x->encrypted ? "encrypted now" : "in the clear now");
        if (strcmp(x->label, y->label) != 0) {
            char was[64];
            snprintf(was, sizeof(was), "was %s", y->label);
            why_add(why, sizeof(why), was);
        }
        if (k < n_common && moved[k])
            why_moved(la, ia, ib, n_common, k, why, sizeof(why));
        k++;
        if (why[0]) {
            out->changed[out->n_changed].label = x->label;
            out->changed[out->n_changed].dir = x->dir;
            snprintf(out->changed[out->n_changed++].why, sizeof(out->changed[0].why), "%s", why);
        }
    }
    for (size_t i = 0; i < nb; i++) {
        /* An id may have two rows in b (none does today): count it once. */
        if (!by_id(la, na, lb[i].id) && by_id(lb, nb, lb[i].id) == &lb[i])
            out->gone[out->n_gone++] = lb[i].label;
    }
}

const char *flow_dir_words(seq_dir d)
{
    switch (d) {
    case SEQ_TO_SERVER:
        return "from the client";
    case SEQ_TO_CLIENT:
        return "from the server";
    case SEQ_AT_CLIENT:
        return "at the client";
    case SEQ_AT_SERVER:
        return "at the server";
    case SEQ_BOTH:
        return "both ways";
    }
    return "";
}
