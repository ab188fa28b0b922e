/* The client's side of TLS 1.3 (RFC 8446 §4.1-§4.4): offer a key share with TLS 1.3 in
 * supported_versions, take the server's share (or answer one HelloRetryRequest), then
 * check EncryptedExtensions, the certificate, the signature over the transcript and the
 * server's Finished. */
#include <stdio.h>
#include <string.h>

#include "ecdhe.h"
#include "handshake.h"
#include "keys.h"
#include "keys13.h"
#include "msg.h"
#include "record.h"
#include "sigalg.h"

static int configured(const uint16_t *list, size_t n, uint16_t v)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == v)
            return 1;
    return 0;
}

int tf13_client_offer(tlsflow_conn *c, void *offer, uint16_t min)
{
    static const uint16_t both[] = {TF_TLS13, TF_TLS12}, only13[] = {TF_TLS13};
    tf_client_offer *o = offer;
    tf_handshake *hs = c->hs;
    const tlsflow_config *cfg = c->cfg;
    o->versions = min <= TF_TLS12 ? both : only13;
    o->n_versions = min <= TF_TLS12 ? 2 : 1;
    /* RFC 8446 §D.4: a 32-byte session id asks for middlebox compatibility mode. */
    if (!hs->session_id_len) {
        if (tf_random(c, hs->session_id, 32))
            return tf_fail(c, TLSFLOW_E_INTERNAL, "random source failed");
        hs->session_id_len = 32;
    }
    if (!hs->hrr)
        hs->group = cfg->groups[0]; /* one share, for our first group */
    if (tf_ecdhe_keygen(hs->group, tf_random_cb, c, hs->kx_priv, &hs->kx_priv_len, hs->kx_pub,
                        &hs->kx_pub_len, c->rng))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "could not make our key share");
    o->share_group = hs->group;
    o->share = hs->kx_pub;
    o->share_len = hs->kx_pub_len;
    if (hs->cookie_len) {
        o->cookie = hs->cookie;
        o->cookie_len = hs->cookie_len;
    }
    c->info.client_public_len = hs->kx_pub_len;
    return tf13_client_offer_psk(c, o);
}

/* Extensions a TLS 1.3 ServerHello or HelloRetryRequest may carry (RFC 8446 §4.2). */
static int check_hello_extensions(tlsflow_conn *c, const tf_server_hello *sh)
{
    for (size_t i = 0; i < sh->ext.n_types; i++) {
        uint16_t t = sh->ext.types[i];
        if (t == TF_EXT_SUPPORTED_VERSIONS || t == TF_EXT_KEY_SHARE ||
            (sh->hrr && t == TF_EXT_COOKIE) || (!sh->hrr && t == TF_EXT_PRE_SHARED_KEY))
            continue;
        return tf_failf(c, TLSFLOW_E_UNSUPPORTED_EXTENSION, "extension %u in a TLS 1.3 %s", t,
                        sh->hrr ? "HelloRetryRequest" : "ServerHello");
    }
    return 0;
}

/* RFC 8446 §4.1.4: one retry, for a group we support but sent no share for. */
static int hello_retry(tlsflow_conn *c, const tf_server_hello *sh, const uint8_t *body, size_t len)
{
    tf_handshake *hs = c->hs;
    if (hs->hrr)
        return tf_fail(c, TLSFLOW_E_UNEXPECTED_MESSAGE, "a second HelloRetryRequest");
    if (!sh->ext.key_share && !sh->ext.cookie)
        return tf_fail(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                       "a HelloRetryRequest that would change nothing");
    if (sh->ext.key_share) {
        if (!configured(c->cfg->groups, c->cfg->n_groups, sh->ext.share_group) ||
            sh->ext.share_group == hs->group)
            return tf_failf(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                            "HelloRetryRequest asks for group %u, %s", sh->ext.share_group,
                            sh->ext.share_group == hs->group ? "which we sent a share for"
                                                             : "which we did not offer");
        hs->group = sh->ext.share_group;
    }
    if (sh->ext.cookie) {
        if (sh->ext.cookie_data.len > sizeof(hs->cookie))
            return tf_fail(c, TLSFLOW_E_ILLEGAL_PARAMETER, "HelloRetryRequest cookie too long");
        memcpy(hs->cookie, sh->ext.cookie_data.p, sh->ext.cookie_data.len);
        hs->cookie_len = sh->ext.cookie_data.len;
    }
    /* RFC 8446 §4.4.1: the transcript restarts from message_hash(Hash(ClientHello1)), then
     * the HelloRetryRequest itself, which handle_message already added: redo both. */
    const uint8_t *ch1 =
        hs->suite->prf_hash == TF_HASH_SHA384 ? hs->hash_before384 : hs->hash_before;
    uint8_t header[4] = {TF_HS_SERVER_HELLO, (uint8_t)(len >> 16), (uint8_t)(len >> 8),
                         (uint8_t)len};
    if (tf_transcript_restart(c, ch1) || tf_transcript_add(c, header, 4) ||
        tf_transcript_add(c, body, len))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "transcript hash failed");
    hs->hrr = 1;
    c->info.hello_retry = 1;
    hs->flow = tf_flow_select(TF_KX_TLS13, 1, 0);
    tf_tracef(c, TLSFLOW_STEP_HELLO_RETRY_REQUEST,
              "HelloRetryRequest: the server asks for a share of %s",
              tlsflow_group_name(hs->group));
    /* RFC 8446 §D.4: our dummy ChangeCipherSpec goes before the second ClientHello. */
    hs->ccs_sent = 1;
    return tf_record_mark(c, TF_MARK_CCS);
}

int tf13_client_read_server_hello(tlsflow_conn *c, const void *server_hello, const uint8_t *body,
                                  size_t len)
{
    const tf_server_hello *sh = server_hello;
    tf_handshake *hs = c->hs;
    uint16_t min, max;
    tf_config_versions(c->cfg, &min, &max);
    if (max < TF_TLS13 || (!sh->hrr && sh->ext.selected_version != TF_TLS13))
        return tf_failf(c,
                        sh->ext.versions ? TLSFLOW_E_ILLEGAL_PARAMETER : TLSFLOW_E_PROTOCOL_VERSION,
                        "server chose version 0x%04x, which we did not offer",
                        sh->ext.versions ? sh->ext.selected_version : sh->version);
    if (sh->hrr && sh->ext.versions && sh->ext.selected_version != TF_TLS13)
        return tf_fail(c, TLSFLOW_E_ILLEGAL_PARAMETER, "HelloRetryRequest for another version");
    const tf_suite *suite = tf_suite_find(sh->suite);
    if (!suite || !TF_SUITE_IS_TLS13(suite) ||
        !configured(c->cfg->suites, c->cfg->n_suites, sh->suite) ||
        (hs->suite && hs->suite != suite))
        return tf_failf(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                        "server chose cipher suite 0x%04x, which we did not offer for TLS 1.3",
                        sh->suite);
    if (sh->compression != 0 || sh->session_id.len != hs->session_id_len ||
        memcmp(sh->session_id.p, hs->session_id, hs->session_id_len) != 0)
        return tf_fail(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                       "ServerHello does not echo our session id, or names a compression");
    if (check_hello_extensions(c, sh))
        return c->error;
    if (!hs->suite) {
        hs->suite = c->suite = suite;
        tf_transcript_select(c);
    }
    hs->version = c->version = TF_TLS13;
    c->version_fixed = 1;
    c->info.version = TF_TLS13;
    c->info.cipher_suite = suite->id;
    snprintf(c->info.key_exchange, sizeof(c->info.key_exchange), "ECDHE");
    if (sh->hrr)
        return hello_retry(c, sh, body, len);

    if (!sh->ext.key_share || sh->ext.share_group != hs->group)
        return tf_failf(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                        "ServerHello's key share is not for %s, the group we sent",
                        tlsflow_group_name(hs->group));
    if (tf_ecdhe_check_public(hs->group, sh->ext.share_key.p, sh->ext.share_key.len))
        return tf_failf(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                        "the server's %s share (%zu bytes) is not a valid public value",
                        tlsflow_group_name(hs->group), sh->ext.share_key.len);
    int bad = tf_ecdhe_shared(hs->group, hs->kx_priv, hs->kx_priv_len, sh->ext.share_key.p,
                              sh->ext.share_key.len, hs->premaster, &hs->premaster_len, c->rng);
    tf_wipe(hs->kx_priv, sizeof(hs->kx_priv));
    if (bad)
        return tf_failf(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                        "the server's %s share gives no usable shared secret",
                        tlsflow_group_name(hs->group));
    memcpy(hs->server_random, sh->random, 32);
    int resumed = tf13_client_psk_answer(c, sh);
    if (resumed < 0 || c->error)
        return c->error;
    const tf_kx_def *kx = tf_kx_find(TF_KX_TLS13);
    hs->flow = !resumed  ? tf_flow_select(TF_KX_TLS13, hs->hrr, 0)
               : hs->hrr ? kx->flow_hrr_resume
                         : kx->flow_resume;
    if (resumed)
        tf_trace(c, TLSFLOW_STEP_SESSION_RESUMED,
                 "ServerHello: the server took our ticket: resumed, no certificate");
    c->info.server_public_len = sh->ext.share_key.len;
    tf_ecdhe_info(c, hs->group, 0, 0);
    tf_tracef(c, TLSFLOW_STEP_SERVER_HELLO_RECEIVED,
              "ServerHello: TLS 1.3, %s, the server's %s share (%zu bytes)", suite->name,
              c->info.group_name, sh->ext.share_key.len);
    /* Our dummy ChangeCipherSpec before our next flight (RFC 8446 §D.4), then our records
     * go under the handshake keys; the server's already do. */
    if (tf13_handshake_secrets(c) || (!hs->ccs_sent && tf_record_mark(c, TF_MARK_CCS)) ||
        tf_record_mark(c, TF_MARK_KEYS_HS) || tf13_install(c, 0, hs->s_hs))
        return c->error ? c->error : tf_fail(c, TLSFLOW_E_INTERNAL, "key schedule failed");
    hs->ccs_sent = 1;
    hs->read_keys_changed = 1;
    tf_tracef(c, TLSFLOW_STEP_HANDSHAKE_KEYS,
              "%s shared secret computed: everything after ServerHello is encrypted",
              c->info.group_name);
    return 0;
}

/* RFC 8446 §4.3.1: what may come in EncryptedExtensions, and only when we asked. */
static int check_encrypted_extensions(tlsflow_conn *c, const tf_hello_exts *e)
{
    for (size_t i = 0; i < e->n_types; i++) {
        uint16_t t = e->types[i];
        int ok;
        switch (t) {
        case TF_EXT_SERVER_NAME:
            ok = c->info.server_name[0] != 0;
            break;
        case TF_EXT_ALPN:
            ok = c->cfg->alpn_len != 0;
            break;
        case TF_EXT_RECORD_SIZE_LIMIT:
            ok = c->cfg->record_size_limit != 0;
            break;
        case TF_EXT_SUPPORTED_GROUPS: /* the server's preference, for next time */
            ok = 1;
            break;
        case TF_EXT_KEY_SHARE:
        case TF_EXT_SUPPORTED_VERSIONS:
        case TF_EXT_SIGNATURE_ALGORITHMS:
        case TF_EXT_PRE_SHARED_KEY:
        case TF_EXT_PSK_KEY_EXCHANGE_MODES:
        case TF_EXT_COOKIE:
        case TF_EXT_EXTENDED_MASTER_SECRET:
        case TF_EXT_RENEGOTIATION_INFO:
        case TF_EXT_EC_POINT_FORMATS:
            return tf_failf(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                            "extension %u does not belong in EncryptedExtensions", t);
        default:
            ok = 0;
        }
        if (!ok)
            return tf_failf(c, TLSFLOW_E_UNSUPPORTED_EXTENSION,
                            "EncryptedExtensions answers extension %u, which we did not offer", t);
    }
    return 0;
}

int tf13_client_read_encrypted_extensions(tlsflow_conn *c, const uint8_t *body, size_t len)
{
    tf_hello_exts e;
    const char *why = NULL;
    int err = tf_encrypted_extensions_parse(body, len, &e, &why);
    if (err)
        return tf_fail(c, err, why);
    if (check_encrypted_extensions(c, &e))
        return c->error;
    if (e.alpn) {
        tf_reader r = tf_reader_init(e.alpn_list.p, e.alpn_list.len), name;
        tf_get_vector(&r, 1, &name);
        if (!tf_alpn_contains(c->cfg->alpn, c->cfg->alpn_len, name.p, name.len))
            return tf_fail(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                           "server selected an ALPN protocol we did not offer");
        memcpy(c->info.alpn, name.p, name.len);
        c->info.alpn[name.len] = 0;
    }
    if (e.rsl) { /* RFC 8449: TLS 1.3 counts the content type in */
        c->peer_record_limit = e.record_size_limit - 1u;
        c->own_record_limit = c->cfg->record_size_limit;
    }
    tf_tracef(c, TLSFLOW_STEP_ENCRYPTED_EXTENSIONS, "EncryptedExtensions received%s%s",
              c->info.alpn[0] ? ": ALPN " : "", c->info.alpn);
    return 0;
}

int tf13_client_read_certificate(tlsflow_conn *c, const uint8_t *body, size_t len)
{
    tf_certificate13 cert;
    const char *why = NULL;
    int err = tf_certificate13_parse(body, len, &cert, &why);
    if (err)
        return tf_fail(c, err, why);
    if (cert.context.len) /* RFC 8446 §4.4.2: empty in the server's handshake Certificate */
        return tf_fail(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                       "the server's Certificate has a request context");
    if (tf_client_check_server_chain(c, cert.certs, cert.n_certs))
        return c->error;
    tf_public_key_info(c->hs->peer_spki, c->hs->peer_spki_len, &c->hs->peer_key_group, NULL);
    return 0;
}

int tf13_client_read_certificate_verify(tlsflow_conn *c, const uint8_t *body, size_t len)
{
    tf_handshake *hs = c->hs;
    tf_certificate_verify cv;
    const char *why = NULL;
    int err = tf_certificate_verify_parse(body, len, &cv, &why);
    if (err)
        return tf_fail(c, err, why);
    const tf_sig_scheme *s = tf_sig_scheme_find(cv.scheme);
    if (!s || !configured(c->cfg->sig_schemes, c->cfg->n_sig_schemes, cv.scheme) ||
        !tf_sig_scheme_usable13(s, hs->peer_key_type, hs->peer_key_group))
        return tf_failf(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                        "CertificateVerify uses scheme 0x%04x, which we did not offer or the "
                        "%s certificate cannot make in TLS 1.3",
                        cv.scheme, c->info.cert.key_type);
    uint8_t content[TF13_MAX_CV_CONTENT];
    size_t n = tf13_cv_content(c, 1, hs->hash_before, content);
    if (tf_verify(hs->peer_spki, hs->peer_spki_len, s->alg, s->hash, content, n, cv.signature.p,
                  cv.signature.len))
        return tf_failf(c, TLSFLOW_E_BAD_SIGNATURE,
                        "the server's %s signature over the transcript does not verify", s->name);
    tf_ecdhe_info(c, hs->group, s->id, cv.signature.len);
    tf_tracef(c, TLSFLOW_STEP_CERTIFICATE_VERIFY_VERIFIED,
              "CertificateVerify: %s signature over the transcript verified with the %s-%d key",
              s->name, c->info.cert.key_type, c->info.cert.key_bits);
    return 0;
}
