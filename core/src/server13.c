/* The server's side of TLS 1.3 (RFC 8446 §4.1-§4.4): choose suite, group, credential and
 * signature scheme from the ClientHello, ask again with a HelloRetryRequest when the
 * client's shares are of no use, answer with ServerHello (our share), then under the
 * handshake keys EncryptedExtensions, Certificate, CertificateVerify and Finished. */
#include <stdio.h>
#include <string.h>

#include "ecdhe.h"
#include "handshake.h"
#include "keyop.h"
#include "keys.h"
#include "keys13.h"
#include "msg.h"
#include "record.h"
#include "sigalg.h"

/* Our first TLS 1.3 suite the client offers (ChaCha20 first when the client asks so). */
static const tf_suite *choose_suite(const tlsflow_config *cfg, const tf_client_hello *ch)
{
    uint16_t order[TF_MAX_SUITES];
    int chacha = tf_suites_client_prefers_chacha(ch->suites.p, ch->suites.len);
    size_t n = tf_suites_server_order(cfg->suites, cfg->n_suites, chacha, order);
    for (size_t i = 0; i < n; i++) {
        const tf_suite *s = tf_suite_find(order[i]);
        if (s && TF_SUITE_IS_TLS13(s) && tf_offers_suite(&ch->suites, s->id))
            return s;
    }
    return NULL;
}

/* A credential and a CertificateVerify scheme the client accepts: ECDSA keys first (smaller
 * and faster), then RSA-PSS. 0 if none fits. */
static uint16_t choose_credential(tlsflow_conn *c, const tf_client_hello *ch,
                                  const tf_credential **cred)
{
    const tf_credential *creds[TF_MAX_CREDENTIALS];
    size_t n = tf_server_candidates(c->cfg, &ch->ext.sni_host, creds);
    for (int pass = 0; pass < 2; pass++) {
        tf_key_type want = pass == 0 ? TF_KEY_EC : TF_KEY_RSA;
        for (size_t i = 0; i < n; i++) {
            if (creds[i]->key_type != want)
                continue;
            uint16_t scheme = tf_sig_scheme_choose13(
                c->cfg->sig_schemes, c->cfg->n_sig_schemes, ch->ext.sig_algs_list.p,
                ch->ext.sig_algs_list.len, creds[i]->key_type, creds[i]->key_group);
            if (scheme) {
                *cred = creds[i];
                return scheme;
            }
        }
    }
    return 0;
}

/* The group: our first one the client sent a share for; else our first one it supports,
 * which a HelloRetryRequest then asks for (*retry). 0 if none is common. */
static uint16_t choose_group(const tlsflow_config *cfg, const tf_client_hello *ch, int *retry)
{
    tf_view key;
    *retry = 0;
    for (size_t i = 0; i < cfg->n_groups; i++)
        if (tf_key_share_find(&ch->ext.key_share_list, cfg->groups[i], &key))
            return cfg->groups[i];
    *retry = 1;
    return tf_group_choose(cfg->groups, cfg->n_groups, ch->ext.groups_list.p,
                           ch->ext.groups_list.len);
}

/* The client's share for the chosen group, checked and kept. */
static int take_share(tlsflow_conn *c, const tf_client_hello *ch)
{
    tf_view key;
    tf_handshake *hs = c->hs;
    if (!tf_key_share_find(&ch->ext.key_share_list, hs->group, &key))
        return tf_failf(c, TLSFLOW_E_ILLEGAL_PARAMETER, "the second ClientHello has no %s share",
                        tlsflow_group_name(hs->group));
    if (key.len > sizeof(hs->peer_pub) || tf_ecdhe_check_public(hs->group, key.p, key.len))
        return tf_failf(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                        "the client's %s share (%zu bytes) is not a valid public value",
                        tlsflow_group_name(hs->group), key.len);
    memcpy(hs->peer_pub, key.p, key.len);
    hs->peer_pub_len = key.len;
    c->info.client_public_len = key.len;
    return 0;
}

/* What RFC 8446 §4.1.2 and §9.2 require of every TLS 1.3 ClientHello. */
static int check_hello(tlsflow_conn *c, const tf_client_hello *ch)
{
    if (ch->compressions.len != 1 || ch->compressions.p[0] != 0)
        return tf_fail(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                       "a TLS 1.3 ClientHello must offer exactly the null compression");
    if (!ch->ext.sig_algs)
        return tf_fail(c, TLSFLOW_E_MISSING_EXTENSION,
                       "a TLS 1.3 ClientHello without signature_algorithms");
    if (!ch->ext.key_share || !ch->ext.groups)
        return tf_fail(c, TLSFLOW_E_MISSING_EXTENSION,
                       "a TLS 1.3 ClientHello needs key_share and supported_groups");
    if (ch->ext.ri && ch->ext.ri_data.len)
        return tf_fail(c, TLSFLOW_E_INSECURE_RENEGOTIATION,
                       "renegotiation_info is not empty on an initial handshake");
    return 0;
}

int tf13_server_read_client_hello(tlsflow_conn *c, const void *client_hello, const uint8_t *body,
                                  size_t len)
{
    const tf_client_hello *ch = client_hello;
    tf_handshake *hs = c->hs;
    if (check_hello(c, ch))
        return c->error;
    const tf_suite *suite = choose_suite(c->cfg, ch);
    if (!suite)
        return tf_failf(c, TLSFLOW_E_HANDSHAKE_FAILURE,
                        "no TLS 1.3 cipher suite in common (client offered %zu suites)",
                        c->info.client_hello->n_suites);
    int retry;
    uint16_t group = choose_group(c->cfg, ch, &retry);
    if (!group)
        return tf_fail(c, TLSFLOW_E_HANDSHAKE_FAILURE, "no key exchange group in common");
    uint16_t scheme = choose_credential(c, ch, &hs->cred);
    if (!scheme)
        return tf_fail(c, TLSFLOW_E_HANDSHAKE_FAILURE,
                       "no certificate we hold can sign with a scheme the client accepts");
    if (c->cfg->alpn_len && ch->ext.alpn && tf_server_pick_alpn(c, &ch->ext.alpn_list))
        return c->error;

    hs->version = c->version = TF_TLS13;
    hs->suite = c->suite = suite;
    hs->group = group;
    hs->sig_scheme = scheme;
    memcpy(hs->client_random, ch->random, 32);
    memcpy(hs->session_id, ch->session_id.p, ch->session_id.len);
    hs->session_id_len = ch->session_id.len;
    hs->compat = ch->session_id.len != 0; /* the client asked for middlebox compatibility */
    if (ch->ext.rsl) {
        c->peer_record_limit = ch->ext.record_size_limit - 1u; /* minus the content type */
        c->own_record_limit = c->cfg->record_size_limit;
    }
    tf_transcript_select(c);
    c->info.version = TF_TLS13;
    c->info.cipher_suite = suite->id;
    c->info.cert = hs->cred->info;
    c->info.secure_renegotiation = 0;
    snprintf(c->info.key_exchange, sizeof(c->info.key_exchange), "ECDHE");
    tf_ecdhe_info(c, group, scheme, 0);
    tf_tracef(c, TLSFLOW_STEP_CLIENT_HELLO_RECEIVED,
              "ClientHello: TLS 1.3, %zu suites, SNI \"%s\", ALPN \"%s\", key share for %s",
              c->info.client_hello->n_suites, c->info.server_name, c->info.client_hello->alpn,
              retry ? "no group we take" : tlsflow_group_name(group));
    hs->flow = tf_flow_select(TF_KX_TLS13, retry, c->cfg->client_auth != 0);
    if (retry)
        return 0;
    if (take_share(c, ch) || tf13_server_resume(c, ch, body, len) < 0 || c->error)
        return c->error;
    if (hs->resuming)
        tf_trace(c, TLSFLOW_STEP_SESSION_RESUMED,
                 "pre_shared_key: the client's ticket opens and its binder verifies: resumed, "
                 "no certificate");
    return 0;
}

static int fill_server_hello(tf_writer *w, void *arg)
{
    return tf_server_hello_write(w, arg);
}

/* A dummy ChangeCipherSpec once, after our first message, if the client asked for them. */
static int compat_ccs(tlsflow_conn *c)
{
    if (!c->hs->compat || c->hs->ccs_sent)
        return 0;
    c->hs->ccs_sent = 1;
    return tf_record_mark(c, TF_MARK_CCS);
}

int tf13_server_write_hrr(tlsflow_conn *c)
{
    tf_handshake *hs = c->hs;
    uint8_t ch1[TF_MAX_HASH];
    if (!tf_transcript_hash(c, ch1) || tf_transcript_restart(c, ch1))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "transcript hash failed");
    tf_server_answer a;
    memset(&a, 0, sizeof(a));
    a.tls13 = a.hrr = 1;
    a.suite = hs->suite->id;
    a.share_group = hs->group;
    a.session_id = hs->session_id;
    a.session_id_len = hs->session_id_len;
    if (tf_queue_handshake(c, TF_HS_SERVER_HELLO, fill_server_hello, &a) || compat_ccs(c))
        return c->error;
    hs->hrr = 1;
    c->info.hello_retry = 1;
    c->version_fixed = 1;
    tf_tracef(c, TLSFLOW_STEP_HELLO_RETRY_REQUEST,
              "HelloRetryRequest: no usable key share; asked for one of %s",
              tlsflow_group_name(hs->group));
    return 0;
}

int tf13_server_read_client_hello2(tlsflow_conn *c, const uint8_t *body, size_t len)
{
    tf_client_hello ch;
    const char *why = NULL;
    int err = tf_client_hello_parse(body, len, &ch, &why);
    if (err)
        return tf_fail(c, err, why);
    /* RFC 8446 §4.1.2: the same hello, with one share for the group we named. */
    if (!ch.ext.versions || check_hello(c, &ch))
        return c->error ? c->error
                        : tf_fail(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                                  "the second ClientHello does not offer TLS 1.3");
    if (memcmp(ch.random, c->hs->client_random, 32) != 0 ||
        !tf_offers_suite(&ch.suites, c->hs->suite->id))
        return tf_fail(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                       "the second ClientHello differs from the first");
    if (ch.ext.early_data)
        return tf_fail(c, TLSFLOW_E_ILLEGAL_PARAMETER, "early_data after a HelloRetryRequest");
    return take_share(c, &ch);
}

int tf13_server_write_hello(tlsflow_conn *c)
{
    tf_handshake *hs = c->hs;
    if (tf_random(c, hs->server_random, 32))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "random source failed");
    if (tf_ecdhe_keygen(hs->group, tf_random_cb, c, hs->kx_priv, &hs->kx_priv_len, hs->kx_pub,
                        &hs->kx_pub_len, c->rng))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "could not make our key share");
    int bad = tf_ecdhe_shared(hs->group, hs->kx_priv, hs->kx_priv_len, hs->peer_pub,
                              hs->peer_pub_len, hs->premaster, &hs->premaster_len, c->rng);
    tf_wipe(hs->kx_priv, sizeof(hs->kx_priv));
    if (bad)
        return tf_failf(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                        "the client's %s share gives no usable shared secret", c->info.group_name);
    tf_server_answer a;
    memset(&a, 0, sizeof(a));
    a.tls13 = 1;
    memcpy(a.random, hs->server_random, 32);
    a.suite = hs->suite->id;
    a.share_group = hs->group;
    a.share = hs->kx_pub;
    a.share_len = hs->kx_pub_len;
    a.session_id = hs->session_id;
    a.session_id_len = hs->session_id_len;
    a.psk = hs->resuming;
    if (tf_queue_handshake(c, TF_HS_SERVER_HELLO, fill_server_hello, &a))
        return c->error;
    c->version_fixed = 1;
    c->info.server_public_len = hs->kx_pub_len;
    tf_tracef(c, TLSFLOW_STEP_SERVER_HELLO_SENT,
              "ServerHello: TLS 1.3, %s, our %s share (%zu bytes)%s", hs->suite->name,
              c->info.group_name, hs->kx_pub_len, hs->hrr ? ", after a HelloRetryRequest" : "");
    if (tf13_handshake_secrets(c) || compat_ccs(c) || tf_record_mark(c, TF_MARK_KEYS_HS) ||
        tf13_install(c, 0, hs->c_hs))
        return c->error ? c->error : tf_fail(c, TLSFLOW_E_INTERNAL, "key schedule failed");
    hs->read_keys_changed = 1;
    tf_tracef(c, TLSFLOW_STEP_HANDSHAKE_KEYS,
              "%s shared secret computed: everything after ServerHello is encrypted",
              c->info.group_name);
    return 0;
}

static int fill_encrypted_extensions(tf_writer *w, void *arg)
{
    return tf_encrypted_extensions_write(w, arg);
}

int tf13_server_write_encrypted_extensions(tlsflow_conn *c)
{
    tf_encrypted_extensions e;
    memset(&e, 0, sizeof(e));
    e.sni_ack = c->info.server_name[0] && c->hs->cred->sni_name;
    if (c->info.alpn[0]) {
        e.alpn = (const uint8_t *)c->info.alpn;
        e.alpn_len = strlen(c->info.alpn);
    }
    if (c->peer_record_limit) /* RFC 8449: answer only a client that sent its own */
        e.record_size_limit = (uint16_t)((c->cfg->record_size_limit ? c->cfg->record_size_limit
                                                                    : TLSFLOW_MAX_PLAINTEXT) +
                                         1);
    if (tf_queue_handshake(c, TF_HS_ENCRYPTED_EXTENSIONS, fill_encrypted_extensions, &e))
        return c->error;
    tf_tracef(c, TLSFLOW_STEP_ENCRYPTED_EXTENSIONS, "EncryptedExtensions sent%s%s%s",
              e.alpn ? ": ALPN " : "", e.alpn ? c->info.alpn : "",
              e.sni_ack ? ", server name used" : "");
    return 0;
}

static int fill_certificate(tf_writer *w, void *arg)
{
    const tf_credential *cr = arg;
    return tf_certificate13_write(w, (const uint8_t *const *)cr->der, cr->der_len, cr->n_certs);
}

int tf13_server_write_certificate(tlsflow_conn *c)
{
    const tf_credential *cr = c->hs->cred;
    if (tf_queue_handshake(c, TF_HS_CERTIFICATE, fill_certificate, (void *)cr))
        return c->error;
    tf_tracef(c, TLSFLOW_STEP_CERTIFICATE_SENT,
              "Certificate: %zu certificate(s), %zu bytes; leaf %s, %s-%d public key", cr->n_certs,
              cr->chain_bytes, cr->info.subject, cr->info.key_type, cr->info.key_bits);
    return 0;
}

typedef struct {
    uint16_t scheme;
    const uint8_t *sig;
    size_t len;
} cv_body;

static int fill_certificate_verify(tf_writer *w, void *arg)
{
    const cv_body *b = arg;
    return tf_certificate_verify_write(w, b->scheme, b->sig, b->len);
}

static int finish_certificate_verify(tlsflow_conn *c, const uint8_t *sig, size_t len)
{
    cv_body b = {c->hs->sig_scheme, sig, len};
    if (tf_queue_handshake(c, TF_HS_CERTIFICATE_VERIFY, fill_certificate_verify, &b))
        return c->error;
    c->info.signature_len = len;
    tf_tracef(c, TLSFLOW_STEP_CERTIFICATE_VERIFY_SENT,
              "CertificateVerify: the transcript signed with %s by the %s-%d key (%zu bytes)",
              c->info.signature_scheme_name, c->hs->cred->info.key_type, c->hs->cred->info.key_bits,
              len);
    return 0;
}

int tf13_server_write_certificate_verify(tlsflow_conn *c)
{
    uint8_t content[TF13_MAX_CV_CONTENT], hash[TF_MAX_HASH];
    size_t n = tf_transcript_hash(c, hash) ? tf13_cv_content(c, 1, hash, content) : 0;
    if (!n)
        return tf_fail(c, TLSFLOW_E_INTERNAL, "transcript hash failed");
    return tf_key_op_start(c, c->hs->cred, TLSFLOW_KEY_OP_SIGN, c->hs->sig_scheme, content, n,
                           finish_certificate_verify);
}

int tf13_common_suite(const tlsflow_config *cfg, const void *client_hello)
{
    return choose_suite(cfg, client_hello) != NULL;
}
