/* The client's side of the flow: offer in ClientHello, check ServerHello, verify the
 * server's certificate, and for RSA key transport send the session key encrypted under
 * its public key (ECDHE is in ecdhe.c). */
#include <stdio.h>
#include <string.h>

#include "handshake.h"
#include "hello_info.h"
#include "keys.h"
#include "msg.h"
#include "peer_cert.h"
#include "session.h"

static int fill_client_hello(tf_writer *w, void *arg)
{
    return tf_client_hello_write(w, arg);
}

/* SNI carries DNS names only (RFC 6066 §3): no IP literals. */
static int is_ip_literal(const char *name)
{
    if (strchr(name, ':'))
        return 1;
    for (const char *p = name; *p; p++)
        if ((*p < '0' || *p > '9') && *p != '.')
            return 0;
    return 1;
}

/* The suites our versions allow, in our order. */
static size_t suites_to_offer(const tlsflow_config *cfg, uint16_t min, uint16_t max, uint16_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg->n_suites; i++) {
        const tf_suite *s = tf_suite_find(cfg->suites[i]);
        int v13 = s && TF_SUITE_IS_TLS13(s);
        if (s && (v13 ? max >= TF_TLS13 : min <= TF_TLS12))
            out[n++] = s->id;
    }
    return n;
}

int tf_client_write_hello(tlsflow_conn *c)
{
    const tlsflow_config *cfg = c->cfg;
    tf_handshake *hs = c->hs;
    int second = hs->hrr; /* the answer to a HelloRetryRequest: same random, new share */
    tf_client_offer o;
    uint16_t suites[TF_MAX_SUITES], min, max;
    tf_config_versions(cfg, &min, &max);
    if (min > max)
        return tf_fail(c, TLSFLOW_E_CONFIG, "no cipher suite for the configured versions");
    memset(&o, 0, sizeof(o));
    if (!second && tf_random(c, hs->client_random, 32))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "random source failed");
    memcpy(o.random, hs->client_random, 32);
    o.suites = suites;
    o.n_suites = suites_to_offer(cfg, min, max, suites);
    o.sni = is_ip_literal(cfg->server_name) ? NULL : cfg->server_name;
    o.ems = cfg->offer_ems && min <= TF_TLS12;
    if (cfg->alpn_len) {
        o.alpn = cfg->alpn;
        o.alpn_len = cfg->alpn_len;
    }
    o.sig_algs = cfg->sig_schemes;
    o.n_sig_algs = cfg->n_sig_schemes;
    /* RFC 8449 §4: in TLS 1.3 the limit counts the content type; ours counts content. */
    if (cfg->record_size_limit)
        o.record_size_limit = (uint16_t)(cfg->record_size_limit + (max >= TF_TLS13));
    for (size_t i = 0; i < o.n_suites; i++) {
        const tf_suite *s = tf_suite_find(suites[i]);
        if (tf_kx_find(s->kx)->ephemeral || TF_SUITE_IS_TLS13(s))
            hs->offered_ecdhe = 1;
    }
    if (hs->offered_ecdhe) { /* RFC 8422 §4: groups only alongside ECC suites */
        o.groups = cfg->groups;
        o.n_groups = cfg->n_groups;
        o.point_formats = min <= TF_TLS12;
    }
    /* RFC 5077: ask for a ticket, or offer the imported TLS 1.2 session's. */
    tf_session sess;
    int have = tf_session_offered(c, &sess) == 0;
    if (min <= TF_TLS12) {
        o.session_ticket = 1;
        if (have && sess.version == TF_TLS12) {
            o.ticket = sess.ticket.p;
            o.ticket_len = sess.ticket.len;
            if (!hs->session_id_len && tf_random(c, hs->session_id, 32))
                return tf_fail(c, TLSFLOW_E_INTERNAL, "random source failed");
            hs->session_id_len = 32;
        }
    }
    if (max >= TF_TLS13 && tf13_client_offer(c, &o, min))
        return c->error;
    if (hs->session_id_len) {
        o.session_id = hs->session_id;
        o.session_id_len = hs->session_id_len;
    }
    size_t at = c->hs_out_len;
    if (tf_queue_handshake(c, TF_HS_CLIENT_HELLO, fill_client_hello, &o))
        return c->error;
    /* Record the hello exactly as it went out, through the server's own parser. */
    tf_client_hello sent;
    const char *why = NULL;
    if (tf_client_hello_parse(c->hs_out + at + 4, c->hs_out_len - at - 4, &sent, &why))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "our own ClientHello does not parse");
    tf_hello_info_record(c, &sent);
    tf_tracef(c, TLSFLOW_STEP_CLIENT_HELLO_SENT,
              "ClientHello%s: TLS %s, %zu suites, SNI \"%s\"%s%s%s", second ? " (again)" : "",
              max >= TF_TLS13 ? (min <= TF_TLS12 ? "1.3 and 1.2" : "1.3") : "1.2", o.n_suites,
              c->info.server_name, o.share_group ? ", key share for " : "",
              o.share_group ? tlsflow_group_name(o.share_group) : "",
              o.share_group ? " (step 3: our public value)" : "");
    return 0;
}

static int offered_suite(const tlsflow_config *cfg, uint16_t id)
{
    for (size_t i = 0; i < cfg->n_suites; i++)
        if (cfg->suites[i] == id)
            return 1;
    return 0;
}

/* RFC 5246 §7.4.1.4: a server may only answer extensions the client offered. */
static int offered_extension(const tlsflow_conn *c, uint16_t type)
{
    switch (type) {
    case TF_EXT_SERVER_NAME:
        return c->info.server_name[0] != 0;
    case TF_EXT_EXTENDED_MASTER_SECRET:
        return c->cfg->offer_ems;
    case TF_EXT_RENEGOTIATION_INFO:
        return 1;
    case TF_EXT_ALPN:
        return c->cfg->alpn_len != 0;
    case TF_EXT_EC_POINT_FORMATS:
        return c->hs->offered_ecdhe;
    case TF_EXT_RECORD_SIZE_LIMIT:
        return c->cfg->record_size_limit != 0;
    case TF_EXT_SESSION_TICKET:
        return 1; /* we always send it when TLS 1.2 is possible */
    default:
        return 0;
    }
}

int tf_client_read_server_hello(tlsflow_conn *c, const uint8_t *body, size_t len)
{
    tf_server_hello sh;
    const char *why = NULL;
    int err = tf_server_hello_parse(body, len, &sh, &why);
    if (err)
        return tf_fail(c, err, why);
    /* RFC 8446 §D.5: SSL 3.0 or below is refused, whatever supported_versions says. */
    if (sh.version <= TF_SSL30)
        return tf_failf(c, TLSFLOW_E_PROTOCOL_VERSION,
                        "ServerHello.legacy_version 0x%04x is SSL 3.0 or older", sh.version);
    /* RFC 8446 §4.2.1: supported_versions in a ServerHello is the choice (TLS 1.3). */
    if (sh.ext.versions || sh.hrr || c->hs->version == TF_TLS13)
        return tf13_client_read_server_hello(c, &sh, body, len);
    uint16_t min, max;
    tf_config_versions(c->cfg, &min, &max);
    if (sh.version != TF_TLS12 || min > TF_TLS12)
        return tf_failf(c, TLSFLOW_E_PROTOCOL_VERSION,
                        "server chose version 0x%04x, which we do not take", sh.version);
    /* RFC 8446 §4.1.3: a TLS 1.3 server pushed down to TLS 1.2 says so in its random. */
    if (max >= TF_TLS13 && memcmp(sh.random + 24, TF_DOWNGRADE_TLS12, 8) == 0)
        return tf_fail(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                       "the server's random says TLS 1.3 was downgraded to TLS 1.2");
    const tf_suite *suite = tf_suite_find(sh.suite);
    if (!suite || TF_SUITE_IS_TLS13(suite) || !offered_suite(c->cfg, sh.suite))
        return tf_failf(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                        "server chose cipher suite 0x%04x, which we did not offer", sh.suite);
    if (sh.compression != 0)
        return tf_fail(c, TLSFLOW_E_ILLEGAL_PARAMETER, "server chose a compression method");
    for (size_t i = 0; i < sh.ext.n_types; i++) /* at most TF_MAX_EXTENSIONS in a ServerHello */
        if (!offered_extension(c, sh.ext.types[i]))
            return tf_failf(c, TLSFLOW_E_UNSUPPORTED_EXTENSION,
                            "server answered extension %u, which we did not offer",
                            sh.ext.types[i]);
    if (sh.ext.ri && sh.ext.ri_data.len)
        return tf_fail(c, TLSFLOW_E_INSECURE_RENEGOTIATION,
                       "server's renegotiation_info is not empty on an initial handshake");
    /* RFC 8422 §5.2: the server's list must allow the uncompressed points we send. */
    if (sh.ext.point_formats &&
        !memchr(sh.ext.point_formats_list.p, TF_POINT_UNCOMPRESSED, sh.ext.point_formats_list.len))
        return tf_fail(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                       "server's ec_point_formats does not include the uncompressed format");
    if (sh.ext.alpn) {
        tf_reader r = tf_reader_init(sh.ext.alpn_list.p, sh.ext.alpn_list.len), name;
        tf_get_vector(&r, 1, &name);
        if (!tf_alpn_contains(c->cfg->alpn, c->cfg->alpn_len, name.p, name.len))
            return tf_fail(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                           "server selected an ALPN protocol we did not offer");
        memcpy(c->info.alpn, name.p, name.len);
        c->info.alpn[name.len] = 0;
    }
    if (sh.ext.rsl) { /* RFC 8449: in TLS 1.2 the limit is the plaintext's */
        c->peer_record_limit = sh.ext.record_size_limit;
        c->own_record_limit = c->cfg->record_size_limit + (max >= TF_TLS13); /* as sent */
    }
    memcpy(c->hs->server_random, sh.random, 32);
    c->hs->ems = sh.ext.ems;
    c->hs->suite = suite;
    c->hs->flow = tf_flow_for(suite->kx);
    c->hs->client_version = TF_TLS12;
    int resumed = tf_client_resumed12(c, &sh);
    if (resumed < 0 || c->error)
        return c->error;
    if (resumed) {
        c->hs->flow = tf_kx_find(suite->kx)->flow_resume;
        if (tf_keys_from_master(c))
            return tf_fail(c, TLSFLOW_E_INTERNAL, "key derivation failed");
        tf_tracef(c, TLSFLOW_STEP_SESSION_RESUMED,
                  "ServerHello: the server resumed our session: no certificate, no key "
                  "exchange");
    }
    tf_transcript_select(c);
    c->version_fixed = 1;
    c->info.version = TF_TLS12;
    c->version = c->hs->version = TF_TLS12;
    c->suite = suite;
    c->info.cipher_suite = suite->id;
    c->info.ems = sh.ext.ems;
    c->info.secure_renegotiation = sh.ext.ri;
    snprintf(c->info.key_exchange, sizeof(c->info.key_exchange), "%s", tf_kx_find(suite->kx)->name);
    tf_tracef(c, TLSFLOW_STEP_SERVER_HELLO_RECEIVED,
              "ServerHello: %s, extended master secret %s%s%s", suite->name,
              sh.ext.ems ? "on" : "off", c->info.alpn[0] ? ", ALPN " : "", c->info.alpn);
    return 0;
}

int tf_client_check_server_chain(tlsflow_conn *c, const tf_view *certs, size_t n)
{
    if (n == 0)
        return tf_fail(c, TLSFLOW_E_CERT_MISSING, "the server sent an empty certificate list");
    const uint8_t *ders[TF_CERT_LIST_MAX];
    size_t lens[TF_CERT_LIST_MAX];
    for (size_t i = 0; i < n; i++) {
        ders[i] = certs[i].p;
        lens[i] = certs[i].len;
    }
    const char *why = NULL;
    tlsflow_cert_info *ci = &c->info.cert;
    tf_x509_chain chain = {ders, lens, n, c->cfg->time(c->cfg->time_ctx), c->cfg->server_name, 0};
    tf_x509_leaf leaf = {ci, c->hs->peer_spki, sizeof(c->hs->peer_spki), 0, TF_KEY_NONE, 0};
    int err = tf_x509_check(c->cfg->trust, &chain, &leaf, &why);
    if (!leaf.described)
        return err == TLSFLOW_E_INTERNAL
                   ? tf_fail(c, err, why)
                   : tf_fail(c, TLSFLOW_E_CERT_BAD, "the server's certificate cannot be parsed");
    c->hs->peer_spki_len = leaf.spki_len;
    tf_tracef(c, TLSFLOW_STEP_CERTIFICATE_RECEIVED,
              "Certificate: %zu certificate(s); leaf %s issued by %s, %s-%d public key", n,
              ci->subject, ci->issuer, ci->key_type, ci->key_bits);
    tf_peer_chain_set(c, ders, lens, n);
    if (tf_peer_verdict(c, err, why))
        return c->error;
    tf_peer_chain_keep(c);
    c->hs->peer_key_type = leaf.key_type;
    if (err) /* the caller's hook accepted what the engine refused: traced there */
        return 0;
    tf_tracef(c, TLSFLOW_STEP_CERTIFICATE_VERIFIED,
              "certificate verified: chain to a trusted root, valid now, names \"%s\"",
              c->cfg->server_name);
    return 0;
}

int tf_client_read_certificate(tlsflow_conn *c, const uint8_t *body, size_t len)
{
    tf_certificate cert;
    const char *why = NULL;
    int err = tf_certificate_parse(body, len, &cert, &why);
    if (err)
        return tf_fail(c, err, why);
    if (tf_client_check_server_chain(c, cert.certs, cert.n_certs))
        return c->error;
    if (c->hs->peer_key_type != c->hs->suite->auth)
        return tf_failf(c, TLSFLOW_E_CERT_UNSUPPORTED, "%s needs an %s certificate, got %s",
                        c->hs->suite->name, c->hs->suite->auth == TF_KEY_EC ? "EC" : "RSA",
                        c->info.cert.key_type);
    return 0;
}

int tf_client_read_hello_done(tlsflow_conn *c, const uint8_t *body, size_t len)
{
    const char *why = NULL;
    int err = tf_empty_parse(body, len, &why);
    if (err)
        return tf_fail(c, err, why);
    tf_trace(c, TLSFLOW_STEP_SERVER_HELLO_DONE_RECEIVED, "ServerHelloDone: our turn");
    return 0;
}

typedef struct {
    const uint8_t *enc;
    size_t len;
} enc_view;

static int fill_key_exchange(tf_writer *w, void *arg)
{
    const enc_view *v = arg;
    return tf_client_key_exchange_write(w, v->enc, v->len);
}

int tf_client_write_key_exchange(tlsflow_conn *c)
{
    uint8_t enc[1024];
    size_t enc_len = 0;
    /* The session key material: our highest version, then 46 random bytes. */
    c->hs->premaster_len = 48;
    c->hs->premaster[0] = TF_TLS12 >> 8;
    c->hs->premaster[1] = TF_TLS12 & 0xff;
    if (tf_random(c, c->hs->premaster + 2, 46))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "random source failed");
    if (tf_rsa_encrypt(c->hs->peer_spki, c->hs->peer_spki_len, c->hs->premaster, 48, enc,
                       sizeof(enc), &enc_len, tf_random_cb, c))
        return tf_fail(c, TLSFLOW_E_INTERNAL, /* the key was checked with the certificate */
                       "could not encrypt the premaster to the server's RSA key");
    enc_view v = {enc, enc_len};
    if (tf_queue_handshake(c, TF_HS_CLIENT_KEY_EXCHANGE, fill_key_exchange, &v))
        return c->error;
    c->info.encrypted_premaster_len = enc_len;
    tf_tracef(c, TLSFLOW_STEP_PREMASTER_ENCRYPTED,
              "ClientKeyExchange: 48-byte premaster encrypted to %zu bytes under the server's "
              "RSA-%d key",
              enc_len, c->info.cert.key_bits);
    if (tf_keys_derive(c))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "key derivation failed");
    tf_tracef(c, TLSFLOW_STEP_KEYS_DERIVED, "%s master secret and %s record keys derived",
              c->hs->ems ? "extended" : "classic", c->hs->suite->name);
    return 0;
}
