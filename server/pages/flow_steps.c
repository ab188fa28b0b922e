#include "flow_steps.h"

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
    if (v == FLOW_TLS13) {
        switch (step) {
        case TLSFLOW_STEP_CLIENT_HELLO_SENT:
        case TLSFLOW_STEP_CLIENT_HELLO_RECEIVED:
            return 3; /* the client's key share rides in its ClientHello */
        case TLSFLOW_STEP_SERVER_HELLO_SENT:
        case TLSFLOW_STEP_SERVER_HELLO_RECEIVED:
        case TLSFLOW_STEP_HANDSHAKE_KEYS:
        case TLSFLOW_STEP_CERTIFICATE_VERIFY_SENT:
        case TLSFLOW_STEP_CERTIFICATE_VERIFY_VERIFIED:
            return 4; /* the server's share, the secret, its signature */
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
};

const char *flow_title(int n, flow_variant v)
{
    return n >= 1 && n <= FLOW_STEPS && (unsigned)v < FLOW_VARIANTS ? titles[v][n - 1] : "";
}

const char *flow_explain(int n, flow_variant v)
{
    return n >= 1 && n <= FLOW_STEPS && (unsigned)v < FLOW_VARIANTS ? explanations[v][n - 1] : "";
}

flow_variant flow_variant_of(const tlsflow_info *info)
{
    if (info->version == TLSFLOW_VERSION_TLS13)
        return FLOW_TLS13;
    return strcmp(info->key_exchange, "ECDHE") == 0 ? FLOW_ECDHE12 : FLOW_RSA12;
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
    }
    return "?";
}

/* ---- the message table ------------------------------------------------------------------- */

#define R   (1u << FLOW_RSA12)
#define E   (1u << FLOW_ECDHE12)
#define T   (1u << FLOW_TLS13)
#define ALL (R | E | T)

typedef enum { C_ALWAYS, C_HRR, C_NO_HRR, C_CERT_REQUESTED, C_CLIENT_CERT } seq_cond;

typedef enum {
    D_NONE,
    D_CLIENT_HELLO,
    D_CLIENT_HELLO_SHARE,
    D_CLIENT_HELLO_NO_SHARE,
    D_HRR,
    D_SERVER_HELLO,
    D_SERVER_HELLO_SHARE,
    D_SECRET13,
    D_ENCRYPTED_EXTENSIONS,
    D_CERT_REQUEST,
    D_CERTIFICATE,
    D_SERVER_KEY_EXCHANGE,
    D_CERT_VERIFY,
    D_SERVER_FINISHED13,
    D_VERIFY_CHAIN,
    D_CLIENT_CERT,
    D_CLIENT_KEY_EXCHANGE,
    D_CLIENT_CERT_VERIFY,
    D_DECRYPT,
    D_SECRET12,
    D_CLIENT_FINISHED,
    D_SERVER_FINISHED12,
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

/* In order; a message whose place or wording differs between flows has a row per
 * wording, with the same id. */
static const seq_row seq[] = {
    {R | E, 0, C_ALWAYS, SEQ_TO_SERVER, 0, "client_hello", "ClientHello", D_CLIENT_HELLO},
    {T, 0, C_NO_HRR, SEQ_TO_SERVER, 3, "client_hello", "ClientHello + key_share",
     D_CLIENT_HELLO_SHARE},
    {T, 0, C_HRR, SEQ_TO_SERVER, 0, "client_hello", "ClientHello", D_CLIENT_HELLO_NO_SHARE},
    {T, 0, C_HRR, SEQ_TO_CLIENT, 0, "hello_retry_request", "HelloRetryRequest", D_HRR},
    {T, 0, C_HRR, SEQ_TO_SERVER, 3, "client_hello_retry", "ClientHello + key_share",
     D_CLIENT_HELLO_SHARE},
    {R | E, 0, C_ALWAYS, SEQ_TO_CLIENT, 0, "server_hello", "ServerHello", D_SERVER_HELLO},
    {T, 0, C_ALWAYS, SEQ_TO_CLIENT, 4, "server_hello", "ServerHello + key_share",
     D_SERVER_HELLO_SHARE},
    {T, 0, C_ALWAYS, SEQ_AT_SERVER, 4, "shared_secret", "compute the shared secret", D_SECRET13},
    {T, T, C_ALWAYS, SEQ_TO_CLIENT, 0, "encrypted_extensions", "EncryptedExtensions",
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
    {T, T, C_ALWAYS, SEQ_TO_CLIENT, 0, "server_finished", "Finished", D_SERVER_FINISHED13},
    {R, 0, C_ALWAYS, SEQ_AT_CLIENT, 2, "verify", "verify chain, dates, host name", D_VERIFY_CHAIN},
    {E, 0, C_ALWAYS, SEQ_AT_CLIENT, 2, "verify", "verify chain, host name, signature",
     D_VERIFY_CHAIN},
    {T, 0, C_ALWAYS, SEQ_AT_CLIENT, 2, "verify", "verify chain, host name, CertificateVerify",
     D_VERIFY_CHAIN},
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
    {T, T, C_ALWAYS, SEQ_TO_SERVER, 0, "client_finished", "Finished", D_CLIENT_FINISHED},
    {R | E, R | E, C_ALWAYS, SEQ_TO_CLIENT, 0, "server_finished", "ChangeCipherSpec, Finished",
     D_SERVER_FINISHED12},
    {ALL, ALL, C_ALWAYS, SEQ_BOTH, 5, "application_data", "application data", D_APP_DATA},
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
        snprintf(o, cap, "%s%s, %zu suites, SNI %s%s%s", version_name(h->version),
                 offered13(in) ? " (TLS 1.3 offered too)" : "", h->n_suites, sni,
                 h->alpn[0] ? ", ALPN " : "", h->alpn);
        break;
    case D_CLIENT_HELLO_SHARE:
        snprintf(o, cap, "key share: %s, %zu bytes; %zu suites, SNI %s", in->group_name,
                 in->client_public_len, h->n_suites, sni);
        break;
    case D_CLIENT_HELLO_NO_SHARE:
        snprintf(o, cap, "TLS 1.3, %zu suites, SNI %s; no key share for a group the server takes",
                 h->n_suites, sni);
        break;
    case D_HRR:
        snprintf(o, cap, "please send a key share for %s instead", in->group_name);
        break;
    case D_SERVER_HELLO:
        snprintf(o, cap, "%s%s", suite, in->ems ? ", extended master secret" : "");
        break;
    case D_SERVER_HELLO_SHARE:
        snprintf(o, cap, "key share: %s, %zu bytes; %s", in->group_name, in->server_public_len,
                 suite);
        break;
    case D_SECRET13:
        snprintf(o, cap, "ECDH(%s) -> handshake keys: the rest is encrypted", in->group_name);
        break;
    case D_ENCRYPTED_EXTENSIONS:
        snprintf(o, cap, "%s%s", in->alpn[0] ? "ALPN " : "no ALPN", in->alpn);
        break;
    case D_CERT_REQUEST:
        snprintf(o, cap, "the server asks for a client certificate");
        break;
    case D_CERTIFICATE:
        snprintf(o, cap, "%s, %s %d-bit public key", in->cert.subject,
                 in->cert.key_type ? in->cert.key_type : "?", in->cert.key_bits);
        break;
    case D_SERVER_KEY_EXCHANGE:
        snprintf(o, cap, "%s public value (%zu bytes), signed %s", in->group_name,
                 in->server_public_len, in->signature_scheme_name);
        break;
    case D_CERT_VERIFY:
        snprintf(o, cap, "the transcript signed with %s: %zu bytes", in->signature_scheme_name,
                 in->signature_len);
        break;
    case D_SERVER_FINISHED13:
        snprintf(o, cap, "an HMAC over the whole handshake so far");
        break;
    case D_VERIFY_CHAIN:
        snprintf(o, cap, "issuer %s", in->cert.issuer);
        break;
    case D_CLIENT_CERT:
        if (in->client_cert_sent)
            snprintf(o, cap, "%s, issued by %s", in->client_cert.subject, in->client_cert.issuer);
        else
            snprintf(o, cap, "empty: the client has none to give");
        break;
    case D_CLIENT_KEY_EXCHANGE:
        if (v == FLOW_ECDHE12)
            snprintf(o, cap, "the client's %s public value: %zu bytes", in->group_name,
                     in->client_public_len);
        else
            snprintf(o, cap, "premaster secret, RSA-encrypted: %zu bytes",
                     in->encrypted_premaster_len);
        break;
    case D_CLIENT_CERT_VERIFY:
        snprintf(o, cap, "%s",
                 f->client_cv_text ? f->client_cv_text
                                   : "the client's signature over the handshake");
        break;
    case D_DECRYPT:
        snprintf(o, cap, "48-byte premaster -> master secret -> record keys");
        break;
    case D_SECRET12:
        snprintf(o, cap, "ECDH(%s) -> master secret -> record keys", in->group_name);
        break;
    case D_CLIENT_FINISHED:
        snprintf(o, cap, "%sthe client's Finished %s", v == FLOW_TLS13 ? "" : "first encrypted: ",
                 f->finished_verified ? "verified" : "not verified");
        break;
    case D_SERVER_FINISHED12:
        snprintf(o, cap, "the server's Finished");
        break;
    case D_APP_DATA:
        snprintf(o, cap, "AEAD records: %llu in, %llu out so far",
                 (unsigned long long)in->records_in, (unsigned long long)in->records_out);
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

void flow_compare(flow_variant a, flow_variant b, const flow_facts *facts, flow_diff *out)
{
    flow_line la[FLOW_LINES_MAX], lb[FLOW_LINES_MAX];
    flow_facts bare = {facts ? facts->info : NULL, 0, NULL}; /* no details needed */
    size_t na = flow_sequence(a, &bare, la, FLOW_LINES_MAX);
    size_t nb = flow_sequence(b, &bare, lb, FLOW_LINES_MAX);
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < na; i++) {
        const flow_line *x = &la[i], *y = by_id(lb, nb, x->id);
        if (!y) {
            out->added[out->n_added++] = x->label;
            continue;
        }
        char why[96] = "", step[32];
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
