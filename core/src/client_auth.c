/* Client authentication (mutual TLS), both roles and both versions: the server's
 * CertificateRequest, the client's choice of credential, its Certificate and
 * CertificateVerify, and the server's checks of both (RFC 5246 §7.4.4, §7.4.6, §7.4.8;
 * RFC 8446 §4.3.2, §4.4.2, §4.4.3). */
#include <string.h>

#include "handshake.h"
#include "keyop.h"
#include "keys.h"
#include "msg.h"
#include "peer_cert.h"
#include "sigalg.h"

/* ---- what a server asks for ---------------------------------------------------------- */

/* The schemes we take for a client's CertificateVerify. TLS 1.2 signs the handshake
 * messages themselves, which we keep only as the running transcript hash: so only schemes
 * with the suite's hash. TLS 1.3: every scheme but PKCS#1 v1.5. */
static size_t accepted_schemes(const tlsflow_conn *c, uint16_t *out)
{
    size_t n = 0;
    for (size_t i = 0; i < c->cfg->n_sig_schemes; i++) {
        const tf_sig_scheme *s = tf_sig_scheme_find(c->cfg->sig_schemes[i]);
        if (!s)
            continue;
        if (c->version == TF_TLS13 ? s->alg != TF_SIG_RSA_PKCS1 : s->hash == c->hs->suite->prf_hash)
            out[n++] = s->id;
    }
    return n;
}

static int offered(const uint16_t *list, size_t n, uint16_t id)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == id)
            return 1;
    return 0;
}

/* certificate_authorities: the subject Names of our client-certificate roots. */
static size_t anchor_names(const tlsflow_config *cfg, const uint8_t **names, size_t *lens)
{
    size_t n = 0;
    for (size_t i = 0; i < cfg->n_anchors; i++) {
        size_t so, sl, io, il;
        if (tf_x509_names(cfg->anchor_der[i], cfg->anchor_len[i], &so, &sl, &io, &il) == 0) {
            names[n] = cfg->anchor_der[i] + so;
            lens[n++] = sl;
        }
    }
    return n;
}

static int fill_request(tf_writer *w, void *arg)
{
    return tf_certificate_request_write(w, arg);
}

static int fill_request13(tf_writer *w, void *arg)
{
    return tf_certificate_request13_write(w, arg);
}

static int write_request(tlsflow_conn *c, int (*fill)(tf_writer *, void *))
{
    uint16_t schemes[TF_MAX_SIG_SCHEMES];
    const uint8_t *names[TF_MAX_ANCHORS];
    size_t lens[TF_MAX_ANCHORS];
    tf_cert_request_out r = {schemes, accepted_schemes(c, schemes), names, lens, 0};
    r.n_names = anchor_names(c->cfg, names, lens);
    if (tf_queue_handshake(c, TF_HS_CERTIFICATE_REQUEST, fill, &r))
        return c->error;
    c->info.client_cert_requested = 1;
    tf_tracef(c, TLSFLOW_STEP_CERTIFICATE_REQUESTED,
              "CertificateRequest: a client certificate %s, from %zu trusted root(s)",
              c->cfg->client_auth == TLSFLOW_CLIENT_AUTH_REQUIRED ? "is required" : "is asked for",
              r.n_names);
    return 0;
}

int tf_server_write_certificate_request(tlsflow_conn *c)
{
    return write_request(c, fill_request);
}

int tf13_server_write_certificate_request(tlsflow_conn *c)
{
    return write_request(c, fill_request13);
}

/* ---- the server takes the client's chain and signature ---------------------------------- */

static int take_client_chain(tlsflow_conn *c, const tf_view *certs, size_t n)
{
    tf_handshake *hs = c->hs;
    if (n == 0) {
        if (c->cfg->client_auth != TLSFLOW_CLIENT_AUTH_REQUIRED) {
            tf_trace(c, TLSFLOW_STEP_CERTIFICATE_RECEIVED,
                     "Certificate: empty, the client has none (optional here)");
            return 0;
        }
        tf_fail(c, TLSFLOW_E_CERT_REQUIRED, "the client sent no certificate; one is required");
        if (c->version != TF_TLS13) /* RFC 5246 §7.4.6 */
            c->pending_alert = TLSFLOW_ALERT_HANDSHAKE_FAILURE;
        return c->error;
    }
    const uint8_t *ders[TF_CERT_LIST_MAX];
    size_t lens[TF_CERT_LIST_MAX];
    for (size_t i = 0; i < n; i++) {
        ders[i] = certs[i].p;
        lens[i] = certs[i].len;
    }
    const char *why = NULL;
    tlsflow_cert_info *ci = &c->info.client_cert;
    tf_x509_chain chain = {ders, lens, n, c->cfg->time(c->cfg->time_ctx), NULL, 1};
    tf_x509_leaf leaf = {ci, hs->peer_spki, sizeof(hs->peer_spki), 0, TF_KEY_NONE, 0};
    int err = tf_x509_check(c->cfg->trust, &chain, &leaf, &why);
    if (!leaf.described)
        return err == TLSFLOW_E_INTERNAL
                   ? tf_fail(c, err, why)
                   : tf_fail(c, TLSFLOW_E_CERT_BAD, "the client's certificate cannot be parsed");
    hs->peer_spki_len = leaf.spki_len;
    hs->peer_key_type = leaf.key_type;
    tf_public_key_info(hs->peer_spki, hs->peer_spki_len, &hs->peer_key_group, NULL);
    c->info.client_cert_sent = 1;
    c->info.client_cert_verdict = err;
    tf_tracef(c, TLSFLOW_STEP_CERTIFICATE_RECEIVED,
              "Certificate: the client's, %zu certificate(s); leaf %s issued by %s, %s-%d key", n,
              ci->subject, ci->issuer, ci->key_type, ci->key_bits);
    tf_peer_chain_set(c, ders, lens, n);
    if (tf_peer_verdict(c, err, why))
        return c->error;
    tf_peer_chain_keep(c);
    if (!err)
        tf_trace(c, TLSFLOW_STEP_CERTIFICATE_VERIFIED,
                 "client certificate verified: chains to a trusted root, valid now");
    /* A certificate must be followed by the client's signature. */
    hs->flow = tf_flow_select(hs->suite->kx, hs->hrr, 2);
    return 0;
}

int tf_server_read_client_certificate(tlsflow_conn *c, const uint8_t *body, size_t len)
{
    tf_certificate cert;
    const char *why = NULL;
    int err = tf_certificate_parse(body, len, &cert, &why);
    return err ? tf_fail(c, err, why) : take_client_chain(c, cert.certs, cert.n_certs);
}

int tf13_server_read_client_certificate(tlsflow_conn *c, const uint8_t *body, size_t len)
{
    tf_certificate13 cert;
    const char *why = NULL;
    int err = tf_certificate13_parse(body, len, &cert, &why);
    if (err)
        return tf_fail(c, err, why);
    if (cert.context.len) /* we asked with an empty context */
        return tf_fail(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                       "the client's Certificate has a context we did not send");
    return take_client_chain(c, cert.certs, cert.n_certs);
}

/* The scheme of the client's CertificateVerify: one we asked for, its key can make. */
static const tf_sig_scheme *check_scheme(tlsflow_conn *c, uint16_t id)
{
    uint16_t ours[TF_MAX_SIG_SCHEMES];
    size_t n = accepted_schemes(c, ours);
    const tf_sig_scheme *s = tf_sig_scheme_find(id);
    int ok = s && offered(ours, n, id) &&
             (c->version == TF_TLS13
                  ? tf_sig_scheme_usable13(s, c->hs->peer_key_type, c->hs->peer_key_group)
                  : s->key == c->hs->peer_key_type);
    if (!ok)
        tf_failf(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                 "the client signed with scheme 0x%04x, which we did not ask for or its %s key "
                 "cannot make",
                 id, c->info.client_cert.key_type);
    return ok ? s : NULL;
}

static int read_verify(tlsflow_conn *c, const uint8_t *body, size_t len)
{
    tf_handshake *hs = c->hs;
    tf_certificate_verify cv;
    const char *why = NULL;
    int err = tf_certificate_verify_parse(body, len, &cv, &why);
    if (err)
        return tf_fail(c, err, why);
    const tf_sig_scheme *s = check_scheme(c, cv.scheme);
    if (!s)
        return c->error;
    if (c->version == TF_TLS13) {
        uint8_t content[TF13_MAX_CV_CONTENT];
        size_t n = tf13_cv_content(c, 0, hs->hash_before, content);
        err = tf_verify(hs->peer_spki, hs->peer_spki_len, s->alg, s->hash, content, n,
                        cv.signature.p, cv.signature.len);
    } else { /* the handshake messages so far, as their running hash */
        err = tf_verify_digest(hs->peer_spki, hs->peer_spki_len, s->alg, s->hash, hs->hash_before,
                               cv.signature.p, cv.signature.len);
    }
    if (err)
        return tf_failf(c, TLSFLOW_E_BAD_SIGNATURE,
                        "the client's %s signature over the handshake does not verify", s->name);
    tf_tracef(c, TLSFLOW_STEP_CERTIFICATE_VERIFY_VERIFIED,
              "CertificateVerify: the client's %s signature verified: it holds the key", s->name);
    return 0;
}

int tf_server_read_certificate_verify(tlsflow_conn *c, const uint8_t *body, size_t len)
{
    return read_verify(c, body, len);
}

int tf13_server_read_certificate_verify(tlsflow_conn *c, const uint8_t *body, size_t len)
{
    return read_verify(c, body, len);
}

/* ---- the client answers ----------------------------------------------------------------- */

/* Does any certificate of the chain name, as subject or issuer, a CA the server listed? */
static int chain_named(const tf_credential *cr, const tf_view *cas)
{
    for (size_t i = 0; i < cr->n_certs; i++) {
        size_t so, sl, io, il;
        if (tf_x509_names(cr->der[i], cr->der_len[i], &so, &sl, &io, &il) == 0 &&
            (tf_names_contain(cas, cr->der[i] + io, il) ||
             tf_names_contain(cas, cr->der[i] + so, sl)))
            return 1;
    }
    return 0;
}

static int scheme_offered(const tf_view *list, uint16_t id)
{
    for (size_t i = 0; i + 1 < list->len; i += 2)
        if ((list->p[i] << 8 | list->p[i + 1]) == id)
            return 1;
    return 0;
}

/* Our first credential the server's names and schemes allow, and our first scheme for it
 * (TLS 1.2: a hash whose transcript runs, SHA-256 or SHA-384). An empty Certificate when
 * none. */
static void choose_credential(tlsflow_conn *c, const tf_view *sig_algs, const tf_view *cas,
                              int key_types_ok(const tf_credential *, const void *),
                              const void *arg)
{
    tf_handshake *hs = c->hs;
    const tlsflow_config *cfg = c->cfg;
    for (size_t i = 0; i < cfg->n_creds && !hs->client_cred; i++) {
        const tf_credential *cr = &cfg->creds[i];
        if ((cas->len && !chain_named(cr, cas)) || (key_types_ok && !key_types_ok(cr, arg)))
            continue;
        for (size_t j = 0; j < cfg->n_sig_schemes; j++) {
            const tf_sig_scheme *s = tf_sig_scheme_find(cfg->sig_schemes[j]);
            uint8_t probe[TF_MAX_HASH];
            int fits =
                c->version == TF_TLS13
                    ? tf_sig_scheme_usable13(s, cr->key_type, cr->key_group)
                    : s && s->key == cr->key_type && tf_transcript_hash_with(c, s->hash, probe);
            if (fits && scheme_offered(sig_algs, s->id)) {
                hs->client_cred = cr;
                hs->client_scheme = s->id;
                break;
            }
        }
    }
    c->info.client_cert_requested = 1;
    if (hs->client_cred)
        hs->flow = tf_flow_select(hs->suite->kx, hs->hrr, 2);
    tf_tracef(c, TLSFLOW_STEP_CERTIFICATE_REQUESTED,
              "CertificateRequest: the server asks for a client certificate; %s",
              hs->client_cred ? "we answer with ours" : "we have none it takes");
}

/* TLS 1.2: certificate_types must allow the key (rsa_sign 1, ecdsa_sign 64). */
static int type_allowed(const tf_credential *cr, const void *arg)
{
    const tf_view *types = arg;
    uint8_t want = cr->key_type == TF_KEY_EC ? 64 : 1;
    return memchr(types->p, want, types->len) != NULL;
}

int tf_client_read_certificate_request(tlsflow_conn *c, const uint8_t *body, size_t len)
{
    tf_certificate_request cr;
    const char *why = NULL;
    int err = tf_certificate_request_parse(body, len, &cr, &why);
    if (err)
        return tf_fail(c, err, why);
    choose_credential(c, &cr.sig_algs, &cr.cas, type_allowed, &cr.types);
    return 0;
}

int tf13_client_read_certificate_request(tlsflow_conn *c, const uint8_t *body, size_t len)
{
    tf_certificate_request13 cr;
    const char *why = NULL;
    int err = tf_certificate_request13_parse(body, len, &cr, &why);
    if (err)
        return tf_fail(c, err, why);
    /* RFC 8446 §4.3.2: during the handshake the context "SHALL be zero length" (only a
     * post-handshake request, which we do not take, names one). */
    if (cr.context.len)
        return tf_fail(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                       "CertificateRequest: a certificate_request_context during the handshake");
    memcpy(c->hs->cr_context, cr.context.p, cr.context.len);
    c->hs->cr_context_len = cr.context.len;
    choose_credential(c, &cr.ext.sig_algs_list, &cr.ext.cas_list, NULL, NULL);
    return 0;
}

static int fill_certificate(tf_writer *w, void *arg)
{
    const tlsflow_conn *c = arg;
    const tf_credential *cr = c->hs->client_cred;
    const uint8_t *const *der = cr ? (const uint8_t *const *)cr->der : NULL;
    size_t n = cr ? cr->n_certs : 0;
    if (c->version == TF_TLS13)
        return tf_certificate13_write_ctx(w, c->hs->cr_context, c->hs->cr_context_len, der,
                                          cr ? cr->der_len : NULL, n);
    return tf_certificate_write(w, der, cr ? cr->der_len : NULL, n);
}

static int write_certificate(tlsflow_conn *c)
{
    const tf_credential *cr = c->hs->client_cred;
    if (tf_queue_handshake(c, TF_HS_CERTIFICATE, fill_certificate, c))
        return c->error;
    if (cr) {
        c->info.client_cert = cr->info;
        c->info.client_cert_sent = 1;
        tf_tracef(c, TLSFLOW_STEP_CLIENT_CERTIFICATE_SENT,
                  "Certificate: ours, %zu certificate(s); leaf %s, %s-%d key", cr->n_certs,
                  cr->info.subject, cr->info.key_type, cr->info.key_bits);
    } else {
        tf_trace(c, TLSFLOW_STEP_CLIENT_CERTIFICATE_SENT,
                 "Certificate: empty, the server decides whether that is enough");
    }
    return 0;
}

int tf_client_write_certificate(tlsflow_conn *c)
{
    return write_certificate(c);
}

int tf13_client_write_certificate(tlsflow_conn *c)
{
    return write_certificate(c);
}

typedef struct {
    uint16_t scheme;
    const uint8_t *sig;
    size_t len;
} cv_body;

static int fill_verify(tf_writer *w, void *arg)
{
    const cv_body *b = arg;
    return tf_certificate_verify_write(w, b->scheme, b->sig, b->len);
}

static int finish_verify(tlsflow_conn *c, const uint8_t *sig, size_t len)
{
    cv_body b = {c->hs->client_scheme, sig, len};
    if (tf_queue_handshake(c, TF_HS_CERTIFICATE_VERIFY, fill_verify, &b))
        return c->error;
    tf_tracef(c, TLSFLOW_STEP_CERTIFICATE_VERIFY_SENT,
              "CertificateVerify: the handshake signed with %s by our %s-%d key",
              tlsflow_signature_scheme_name(b.scheme), c->hs->client_cred->info.key_type,
              c->hs->client_cred->info.key_bits);
    return 0;
}

int tf_client_write_certificate_verify(tlsflow_conn *c)
{
    uint8_t hash[TF_MAX_HASH];
    const tf_sig_scheme *s = tf_sig_scheme_find(c->hs->client_scheme);
    if (!s || !tf_transcript_hash_with(c, s->hash, hash))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "transcript hash failed");
    return tf_key_op_sign_digest(c, c->hs->client_cred, c->hs->client_scheme, hash, finish_verify);
}

int tf13_client_write_certificate_verify(tlsflow_conn *c)
{
    uint8_t content[TF13_MAX_CV_CONTENT], hash[TF_MAX_HASH];
    size_t n = tf_transcript_hash(c, hash) ? tf13_cv_content(c, 0, hash, content) : 0;
    if (!n)
        return tf_fail(c, TLSFLOW_E_INTERNAL, "transcript hash failed");
    return tf_key_op_start(c, c->hs->client_cred, TLSFLOW_KEY_OP_SIGN, c->hs->client_scheme,
                           content, n, finish_verify);
}
