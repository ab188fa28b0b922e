/* The server's side of the flow: read ClientHello and choose suite, credential, group and
 * signature scheme; answer with ServerHello, Certificate and ServerHelloDone; for RSA key
 * transport recover the session key from ClientKeyExchange (ECDHE is in ecdhe.c). */
#include <stdio.h>
#include <string.h>

#include "ecdhe.h"
#include "handshake.h"
#include "hello_info.h"
#include "keyop.h"
#include "keys.h"
#include "msg.h"
#include "sigalg.h"

int tf_offers_suite(const tf_view *suites, uint16_t id)
{
    for (size_t i = 0; i + 1 < suites->len; i += 2)
        if (((suites->p[i] << 8) | suites->p[i + 1]) == id)
            return 1;
    return 0;
}

static int name_equal(const char *a, const uint8_t *b, size_t len)
{
    if (strlen(a) != len)
        return 0;
    for (size_t i = 0; i < len; i++) {
        uint8_t x = (uint8_t)a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = (uint8_t)(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = (uint8_t)(y + 32);
        if (x != y)
            return 0;
    }
    return 1;
}

/* The credentials that may answer: those SNI names, else the defaults (the unnamed ones,
 * or when every credential is named, those named like the first). Several may share a
 * name, an RSA and an ECDSA one typically; the suite decides between them. */
size_t tf_server_candidates(const tlsflow_config *cfg, const tf_view *sni,
                            const tf_credential **out)
{
    size_t n = 0;
    for (size_t i = 0; sni->p && i < cfg->n_creds; i++)
        if (cfg->creds[i].sni_name && name_equal(cfg->creds[i].sni_name, sni->p, sni->len))
            out[n++] = &cfg->creds[i];
    if (n)
        return n;
    for (size_t i = 0; i < cfg->n_creds; i++)
        if (!cfg->creds[i].sni_name)
            out[n++] = &cfg->creds[i];
    if (n)
        return n;
    for (size_t i = 0; i < cfg->n_creds; i++)
        if (strcmp(cfg->creds[i].sni_name, cfg->creds[0].sni_name) == 0)
            out[n++] = &cfg->creds[i];
    return n;
}

typedef struct {
    const tf_suite *suite;
    const tf_credential *cred;
    uint16_t group;  /* ECDHE */
    uint16_t scheme; /* ECDHE: how ServerKeyExchange is signed */
} choice;

/* Can this credential complete an ECDHE suite: a signature scheme the client accepts,
 * and (RFC 8422 §4) an ECDSA key on a curve the client named? 0 if not. */
static uint16_t ecdhe_scheme(const tlsflow_config *cfg, const tf_client_hello *ch,
                             const tf_credential *cr)
{
    const tf_hello_exts *e = &ch->ext;
    if (cr->key_type == TF_KEY_EC && e->groups &&
        !tf_groups_contain(e->groups_list.p, e->groups_list.len, cr->key_group))
        return 0;
    return tf_sig_scheme_choose(cfg->sig_schemes, cfg->n_sig_schemes,
                                e->sig_algs ? e->sig_algs_list.p : NULL, e->sig_algs_list.len,
                                cr->key_type, cr->key_group);
}

/* Server preference (see tlsflow_config_set_cipher_suites): the first suite the client
 * offers that a candidate credential can complete. */
static int choose(const tlsflow_config *cfg, const tf_client_hello *ch,
                  const tf_credential *const *creds, size_t n_creds, choice *out)
{
    uint16_t order[TF_MAX_SUITES];
    int chacha = tf_suites_client_prefers_chacha(ch->suites.p, ch->suites.len);
    size_t n = tf_suites_server_order(cfg->suites, cfg->n_suites, chacha, order);
    const tf_hello_exts *e = &ch->ext;
    uint16_t group = tf_group_choose(cfg->groups, cfg->n_groups,
                                     e->groups ? e->groups_list.p : NULL, e->groups_list.len);
    for (size_t i = 0; i < n; i++) {
        const tf_suite *s = tf_suite_find(order[i]);
        if (!s || TF_SUITE_IS_TLS13(s) || !tf_offers_suite(&ch->suites, s->id))
            continue;
        int ephemeral = tf_kx_find(s->kx)->ephemeral;
        if (ephemeral && !group)
            continue; /* RFC 8422 §4: no ECC suite without a group in common */
        for (size_t j = 0; j < n_creds; j++) {
            uint16_t scheme = 0;
            if (creds[j]->key_type != s->auth ||
                (ephemeral && !(scheme = ecdhe_scheme(cfg, ch, creds[j]))))
                continue;
            *out = (choice){s, creds[j], ephemeral ? group : 0, scheme};
            return 1;
        }
    }
    return 0;
}

/* RFC 7301 §3.2: our first protocol that the client also offers. */
int tf_server_pick_alpn(tlsflow_conn *c, const tf_view *offered)
{
    const tlsflow_config *cfg = c->cfg;
    tf_reader r = tf_reader_init(cfg->alpn, cfg->alpn_len), name;
    while (r.len && tf_get_vector(&r, 1, &name)) {
        if (tf_alpn_contains(offered->p, offered->len, name.p, name.len)) {
            memcpy(c->info.alpn, name.p, name.len);
            c->info.alpn[name.len] = 0;
            return 0;
        }
    }
    return tf_failf(c, TLSFLOW_E_NO_APPLICATION_PROTOCOL,
                    "none of the client's protocols (%s) is configured",
                    c->info.client_hello->alpn);
}

/* The highest version the client offers (supported_versions, else legacy_version). */
static uint16_t client_max(const tf_client_hello *ch)
{
    if (!ch->ext.versions)
        return ch->version;
    uint16_t best = 0;
    for (size_t i = 0; i + 1 < ch->ext.versions_list.len; i += 2) {
        uint16_t v = (uint16_t)(ch->ext.versions_list.p[i] << 8 | ch->ext.versions_list.p[i + 1]);
        if (v > best && v <= TF_TLS13)
            best = v;
    }
    return best;
}

/* RFC 8446 §4.2.1: supported_versions, when present, is the whole offer (legacy_version
 * is then ignored); without it the client offers everything up to legacy_version. Our
 * highest version in that offer, or 0. */
static uint16_t choose_version(const tlsflow_config *cfg, const tf_client_hello *ch)
{
    uint16_t min, max;
    tf_config_versions(cfg, &min, &max);
    for (uint16_t v = max; v >= min && v >= TF_TLS12; v--) {
        int offered = 0;
        if (ch->ext.versions)
            for (size_t i = 0; i + 1 < ch->ext.versions_list.len; i += 2)
                offered |= (ch->ext.versions_list.p[i] << 8 | ch->ext.versions_list.p[i + 1]) == v;
        else
            offered = v <= ch->version && v == TF_TLS12;
        /* TLS 1.3 only with a TLS 1.3 suite in common; else the next version down. */
        if (offered && (v != TF_TLS13 || tf13_common_suite(cfg, ch)))
            return v;
    }
    return 0;
}

/* A TLS 1.2 session resumed from its ticket (resume12.c chose suite, master and flow). */
static int resumed12(tlsflow_conn *c, const tf_client_hello *ch)
{
    tf_transcript_select(c);
    c->version = c->hs->version = c->info.version = TF_TLS12;
    c->info.cipher_suite = c->suite->id;
    c->info.ems = 1;
    snprintf(c->info.key_exchange, sizeof(c->info.key_exchange), "%s",
             tf_kx_find(c->suite->kx)->name);
    if (ch->ext.rsl) {
        c->peer_record_limit = ch->ext.record_size_limit;
        c->own_record_limit = c->cfg->record_size_limit;
    }
    tf_tracef(c, TLSFLOW_STEP_CLIENT_HELLO_RECEIVED,
              "ClientHello: version 0x%04x, SNI \"%s\", with a session ticket we resume",
              ch->version, c->info.server_name);
    return 0;
}

int tf_server_read_client_hello(tlsflow_conn *c, const uint8_t *body, size_t len)
{
    tf_client_hello ch;
    const char *why = NULL;
    int err = tf_client_hello_parse(body, len, &ch, &why);
    if (err)
        return tf_fail(c, err, why);
    tf_hello_info_record(c, &ch);
    /* RFC 8446 §D.5: a hello at SSL 3.0 or below is refused even beside
     * supported_versions (which alone would otherwise decide). */
    if (ch.version <= TF_SSL30)
        return tf_failf(c, TLSFLOW_E_PROTOCOL_VERSION,
                        "ClientHello.legacy_version 0x%04x is SSL 3.0 or older", ch.version);
    uint16_t version = choose_version(c->cfg, &ch);
    if (!version)
        return tf_failf(c, TLSFLOW_E_PROTOCOL_VERSION,
                        "no version in common: the client offers %s0x%04x, we take 0x%04x-0x%04x",
                        ch.ext.versions ? "supported_versions up to " : "", client_max(&ch),
                        c->cfg->min_version, c->cfg->max_version);
    if (version == TF_TLS13)
        return tf13_server_read_client_hello(c, &ch, body, len);
    if (!memchr(ch.compressions.p, 0, ch.compressions.len))
        return tf_fail(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                       "ClientHello does not offer null compression");
    /* RFC 5746 §3.6: on an initial handshake renegotiated_connection must be empty. */
    if (ch.ext.ri && ch.ext.ri_data.len)
        return tf_fail(c, TLSFLOW_E_INSECURE_RENEGOTIATION,
                       "renegotiation_info is not empty on an initial handshake");
    int secure_reneg = ch.ext.ri || tf_offers_suite(&ch.suites, TF_SCSV_RENEGOTIATION);

    /* RFC 8422 §5.1.2: a client naming curves must accept uncompressed points. */
    if (ch.ext.point_formats && ch.ext.groups &&
        !memchr(ch.ext.point_formats_list.p, TF_POINT_UNCOMPRESSED, ch.ext.point_formats_list.len))
        return tf_fail(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                       "ec_point_formats does not include the uncompressed format");

    if (c->cfg->alpn_len && ch.ext.alpn && tf_server_pick_alpn(c, &ch.ext.alpn_list))
        return c->error;
    memcpy(c->hs->client_random, ch.random, 32);
    c->info.secure_renegotiation = secure_reneg;
    if (tf_server_resume12(c, &ch))
        return c->error ? c->error : resumed12(c, &ch);

    const tf_credential *creds[TF_MAX_CREDENTIALS];
    size_t n_creds = tf_server_candidates(c->cfg, &ch.ext.sni_host, creds);
    choice pick;
    if (!n_creds)
        return tf_fail(c, TLSFLOW_E_CONFIG, "server has no certificate configured");
    if (!choose(c->cfg, &ch, creds, n_creds, &pick))
        return tf_failf(c, TLSFLOW_E_HANDSHAKE_FAILURE,
                        "no cipher suite in common that we can complete (client offered %zu "
                        "suites, %zu groups, %zu signature schemes)",
                        c->info.client_hello->n_suites, c->info.client_hello->n_groups,
                        c->info.client_hello->n_sig_algs);

    const tf_suite *suite = pick.suite;
    c->hs->cred = pick.cred;
    c->hs->group = pick.group;
    c->hs->sig_scheme = pick.scheme;
    c->hs->client_point_formats = ch.ext.point_formats;
    if (ch.ext.rsl) { /* RFC 8449: in TLS 1.2 the limit is the plaintext's */
        c->peer_record_limit = ch.ext.record_size_limit;
        c->own_record_limit = c->cfg->record_size_limit;
    }
    c->hs->client_version = ch.version;
    c->hs->ems = ch.ext.ems;
    c->hs->suite = suite;
    c->hs->flow = tf_flow_select(suite->kx, 0, c->cfg->client_auth != 0);
    tf_transcript_select(c);
    c->info.version = TF_TLS12;
    c->version = c->hs->version = TF_TLS12;
    c->suite = suite;
    c->info.cipher_suite = suite->id;
    c->info.ems = ch.ext.ems;
    c->info.cert = c->hs->cred->info;
    snprintf(c->info.key_exchange, sizeof(c->info.key_exchange), "%s", tf_kx_find(suite->kx)->name);
    if (pick.group)
        tf_ecdhe_info(c, pick.group, pick.scheme, 0);
    tf_tracef(c, TLSFLOW_STEP_CLIENT_HELLO_RECEIVED,
              "ClientHello: version 0x%04x, %zu suites, SNI \"%s\", ALPN \"%s\", EMS %s",
              ch.version, c->info.client_hello->n_suites, c->info.server_name,
              c->info.client_hello->alpn, ch.ext.ems ? "offered" : "not offered");
    return 0;
}

static int fill_server_hello(tf_writer *w, void *arg)
{
    return tf_server_hello_write(w, arg);
}

int tf_server_write_hello(tlsflow_conn *c)
{
    if (c->hs->version == TF_TLS13)
        return tf13_server_write_hello(c);
    tf_server_answer a;
    memset(&a, 0, sizeof(a));
    if (tf_random(c, c->hs->server_random, 32))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "random source failed");
    /* RFC 8446 §4.1.3: a server that could do TLS 1.3 marks a TLS 1.2 answer, so a 1.3
     * client sees a downgrade forced on it. */
    uint16_t min, max;
    tf_config_versions(c->cfg, &min, &max);
    if (max >= TF_TLS13)
        memcpy(c->hs->server_random + 24, TF_DOWNGRADE_TLS12, 8);
    memcpy(a.random, c->hs->server_random, 32);
    a.suite = c->hs->suite->id;
    a.ems = c->hs->ems;
    a.ri = c->info.secure_renegotiation;
    a.point_formats = c->hs->client_point_formats && tf_kx_find(c->hs->suite->kx)->ephemeral;
    if (c->peer_record_limit) /* answer a client that sent its own */
        a.record_size_limit =
            c->cfg->record_size_limit ? c->cfg->record_size_limit : TLSFLOW_MAX_PLAINTEXT;
    if (c->info.alpn[0]) {
        a.alpn = (const uint8_t *)c->info.alpn;
        a.alpn_len = strlen(c->info.alpn);
    }
    a.session_ticket = c->hs->ticket_asked; /* a NewSessionTicket will follow */
    if (c->hs->resuming) {                  /* the echo of the client's session id says: resumed */
        a.session_id = c->hs->session_id;
        a.session_id_len = c->hs->session_id_len;
    }
    if (tf_queue_handshake(c, TF_HS_SERVER_HELLO, fill_server_hello, &a))
        return c->error;
    c->version_fixed = 1;
    if (c->hs->resuming) {
        if (tf_keys_from_master(c))
            return tf_fail(c, TLSFLOW_E_INTERNAL, "key derivation failed");
        tf_tracef(c, TLSFLOW_STEP_SESSION_RESUMED,
                  "ServerHello: %s, the session resumed from its ticket: no certificate, no "
                  "key exchange",
                  c->hs->suite->name);
        return 0;
    }
    tf_tracef(c, TLSFLOW_STEP_SERVER_HELLO_SENT,
              "ServerHello: %s, extended master secret %s%s%s%s%s", c->hs->suite->name,
              a.ems ? "on" : "off", a.alpn ? ", ALPN " : "", a.alpn ? c->info.alpn : "",
              c->hs->group ? ", group " : "", c->info.group_name);
    return 0;
}

static int fill_certificate(tf_writer *w, void *arg)
{
    const tf_credential *cr = arg;
    return tf_certificate_write(w, (const uint8_t *const *)cr->der, cr->der_len, cr->n_certs);
}

int tf_server_write_certificate(tlsflow_conn *c)
{
    const tf_credential *cr = c->hs->cred;
    if (tf_queue_handshake(c, TF_HS_CERTIFICATE, fill_certificate, (void *)cr))
        return c->error;
    tf_tracef(c, TLSFLOW_STEP_CERTIFICATE_SENT,
              "Certificate: %zu certificate(s), %zu bytes; leaf %s, %s-%d public key", cr->n_certs,
              cr->chain_bytes, cr->info.subject, cr->info.key_type, cr->info.key_bits);
    return 0;
}

static int fill_nothing(tf_writer *w, void *arg)
{
    (void)w;
    (void)arg;
    return 0;
}

int tf_server_write_hello_done(tlsflow_conn *c)
{
    if (tf_queue_handshake(c, TF_HS_SERVER_HELLO_DONE, fill_nothing, NULL))
        return c->error;
    tf_trace(c, TLSFLOW_STEP_SERVER_HELLO_DONE_SENT, "ServerHelloDone: the server's turn ends");
    return 0;
}

/* The decrypted premaster (or whatever the key operation gave back) through the
 * constant-time choice, then the keys. */
static int finish_premaster(tlsflow_conn *c, const uint8_t *dec, size_t len)
{
    tf_premaster_select(dec, len, c->hs->client_version, c->hs->premaster);
    tf_tracef(c, TLSFLOW_STEP_PREMASTER_DECRYPTED,
              "ClientKeyExchange: %zu-byte encrypted premaster decrypted with the %s-%d private "
              "key",
              c->info.encrypted_premaster_len, c->hs->cred->info.key_type,
              c->hs->cred->info.key_bits);
    if (tf_keys_derive(c))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "key derivation failed");
    tf_tracef(c, TLSFLOW_STEP_KEYS_DERIVED, "%s master secret and %s record keys derived",
              c->hs->ems ? "extended" : "classic", c->hs->suite->name);
    return 0;
}

int tf_server_read_key_exchange(tlsflow_conn *c, const uint8_t *body, size_t len)
{
    tf_view enc;
    const char *why = NULL;
    int err = tf_client_key_exchange_parse(body, len, &enc, &why);
    if (err)
        return tf_fail(c, err, why);
    /* RFC 5246 §7.4.7.1: a random premaster first; the decrypted one replaces it only if
     * it is well formed, chosen in constant time. A bad ciphertext surfaces at Finished. */
    if (tf_random(c, c->hs->premaster, 48))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "random source failed");
    c->hs->premaster_len = 48;
    c->info.encrypted_premaster_len = enc.len;
    return tf_key_op_start(c, c->hs->cred, TLSFLOW_KEY_OP_RSA_DECRYPT, 0, enc.p, enc.len,
                           finish_premaster);
}
