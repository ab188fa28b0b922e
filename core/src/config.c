/* Configuration: credentials, trust anchors and policy, parsed once and shared
 * read-only by every connection made from it. */
#include <stdlib.h>
#include <string.h>

#include "ecdhe.h"
#include "internal.h"
#include "sigalg.h"

tlsflow_config *tlsflow_config_new(tlsflow_role role)
{
    if (role != TLSFLOW_CLIENT && role != TLSFLOW_SERVER)
        return NULL;
    tlsflow_config *cfg = calloc(1, sizeof(*cfg));
    if (!cfg)
        return NULL;
    cfg->role = role;
    for (size_t i = 0; i < tf_suite_count() && i < TF_MAX_SUITES; i++)
        cfg->suites[cfg->n_suites++] = tf_suite_at(i)->id;
    for (size_t i = 0; i < tf_group_count() && i < TF_MAX_GROUPS; i++)
        cfg->groups[cfg->n_groups++] = tf_group_at(i);
    for (size_t i = 0; i < tf_sig_scheme_count() && i < TF_MAX_SIG_SCHEMES; i++)
        cfg->sig_schemes[cfg->n_sig_schemes++] = tf_sig_scheme_at(i)->id;
    cfg->max_handshake = TLSFLOW_DEFAULT_MAX_HANDSHAKE;
    cfg->peer_chain_cap = role == TLSFLOW_CLIENT ? TF_PEER_CHAIN_CAP : 0;
    cfg->offer_ems = 1;
    cfg->ticket_lifetime = 86400;
    cfg->ticket_count = 2;
    cfg->min_version = TF_TLS12;
    cfg->max_version = TF_TLS13;
    cfg->random = tf_default_random;
    cfg->time = tf_default_time;
    return cfg;
}

static void credential_free(tf_credential *cr)
{
    for (size_t i = 0; i < cr->n_certs; i++)
        free(cr->der[i]);
    tf_private_key_free(cr->key);
    free(cr->sni_name);
    memset(cr, 0, sizeof(*cr));
}

void tlsflow_config_free(tlsflow_config *cfg)
{
    if (!cfg)
        return;
    for (size_t i = 0; i < cfg->n_creds; i++)
        credential_free(&cfg->creds[i]);
    for (size_t i = 0; i < cfg->n_anchors; i++)
        free(cfg->anchor_der[i]);
    tf_trust_free(cfg->trust);
    tlsflow_config_set_one_thread(cfg, 0);
    tf_wipe(cfg, sizeof(*cfg));
    free(cfg);
}

static const char PEM_BEGIN[] = "-----BEGIN CERTIFICATE-----";
static const char PEM_END[] = "-----END CERTIFICATE-----";

static const uint8_t *find(const uint8_t *p, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(p + i, needle, n) == 0)
            return p + i;
    return NULL;
}

static int is_pem(const uint8_t *buf, size_t len)
{
    return find(buf, len, "-----BEGIN") != NULL;
}

/* Split PEM text (or take one DER certificate) into freshly allocated DER blobs. */
static int load_certs(const uint8_t *buf, size_t len, uint8_t **ders, size_t *lens, size_t max,
                      size_t *count)
{
    *count = 0;
    if (!buf || !len)
        return TLSFLOW_E_CONFIG;
    if (!is_pem(buf, len)) {
        if (buf[0] != 0x30 || !(ders[0] = malloc(len)))
            return TLSFLOW_E_CONFIG;
        memcpy(ders[0], buf, len);
        lens[0] = len;
        *count = 1;
        return TLSFLOW_OK;
    }
    const uint8_t *p = buf, *end = buf + len;
    while ((p = find(p, (size_t)(end - p), PEM_BEGIN)) != NULL) {
        const uint8_t *stop = find(p, (size_t)(end - p), PEM_END);
        if (!stop || *count == max)
            goto fail;
        stop += strlen(PEM_END);
        size_t pem_len = (size_t)(stop - p);
        uint8_t *der = malloc(pem_len);
        size_t der_len;
        if (!der || tf_pem_cert_to_der((const char *)p, pem_len, der, pem_len, &der_len)) {
            free(der);
            goto fail;
        }
        ders[*count] = der;
        lens[(*count)++] = der_len;
        p = stop;
    }
    if (*count)
        return TLSFLOW_OK;
fail:
    while (*count)
        free(ders[--*count]);
    return TLSFLOW_E_CONFIG;
}

static char *dup_string(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static tf_private_key *load_key(const uint8_t *buf, size_t len)
{
    if (!buf || !len)
        return NULL;
    if (!is_pem(buf, len))
        return tf_private_key_load(buf, len);
    uint8_t *der = malloc(len);
    size_t der_len;
    tf_private_key *k = NULL;
    if (der && tf_pem_key_to_der((const char *)buf, len, der, len, &der_len) == 0)
        k = tf_private_key_load(der, der_len);
    if (der)
        tf_wipe(der, len);
    free(der);
    return k;
}

/* The key's type, curve and size: from the key itself, which must belong to the leaf, or
 * for a key the caller keeps (external) from the leaf's public key. */
static int credential_key(tf_credential *cr, const uint8_t *key, size_t key_len, int external)
{
    if (external) {
        uint8_t spki[TF_MAX_SPKI];
        size_t spki_len = 0;
        if (tf_x509_public_key(cr->der[0], cr->der_len[0], spki, sizeof(spki), &spki_len))
            return -1;
        cr->key_type = tf_public_key_info(spki, spki_len, &cr->key_group, &cr->key_bits);
        return cr->key_type == TF_KEY_NONE || (cr->key_type == TF_KEY_EC && !cr->key_group);
    }
    cr->key = load_key(key, key_len);
    if (!cr->key || !tf_private_key_matches(cr->key, cr->der[0], cr->der_len[0]))
        return -1;
    cr->key_type = tf_private_key_type(cr->key);
    cr->key_group = tf_private_key_group(cr->key);
    cr->key_bits = tf_private_key_bits(cr->key);
    return 0;
}

static int add_credential(tlsflow_config *cfg, const uint8_t *chain, size_t chain_len,
                          const uint8_t *key, size_t key_len, int external, void *key_handle,
                          const char *sni_name)
{
    /* A client's credentials (client authentication) answer no SNI name. */
    if (!cfg || cfg->n_creds == TF_MAX_CREDENTIALS || (cfg->role == TLSFLOW_CLIENT && sni_name))
        return TLSFLOW_E_USAGE;
    tf_credential cr;
    memset(&cr, 0, sizeof(cr));
    if (load_certs(chain, chain_len, cr.der, cr.der_len, TF_MAX_CHAIN, &cr.n_certs))
        return TLSFLOW_E_CONFIG;
    int unparsable = 0;
    for (size_t i = 0; i < cr.n_certs; i++) {
        cr.chain_bytes += cr.der_len[i];
        /* Every certificate we would send must parse: a peer refuses the chain else. */
        tlsflow_cert_info scratch;
        unparsable |= i > 0 && tf_x509_summary(cr.der[i], cr.der_len[i], &scratch) != 0;
    }
    if (unparsable || credential_key(&cr, key, key_len, external) ||
        tf_x509_summary(cr.der[0], cr.der_len[0], &cr.info) ||
        (sni_name && !(cr.sni_name = dup_string(sni_name)))) {
        credential_free(&cr);
        return TLSFLOW_E_CONFIG;
    }
    cr.key_handle = key_handle;
    cfg->creds[cfg->n_creds++] = cr;
    return TLSFLOW_OK;
}

int tlsflow_config_add_credential(tlsflow_config *cfg, const uint8_t *chain, size_t chain_len,
                                  const uint8_t *key, size_t key_len, const char *sni_name)
{
    return add_credential(cfg, chain, chain_len, key, key_len, 0, NULL, sni_name);
}

int tlsflow_config_add_credential_key_handle(tlsflow_config *cfg, const uint8_t *chain,
                                             size_t chain_len, void *key_handle,
                                             const char *sni_name)
{
    return add_credential(cfg, chain, chain_len, NULL, 0, 1, key_handle, sni_name);
}

int tlsflow_config_set_versions(tlsflow_config *cfg, uint16_t min, uint16_t max)
{
    if (!cfg || min > max || min < TF_TLS12 || max > TF_TLS13)
        return TLSFLOW_E_USAGE;
    cfg->min_version = min;
    cfg->max_version = max;
    return TLSFLOW_OK;
}

int tlsflow_config_set_record_size_limit(tlsflow_config *cfg, size_t limit)
{
    if (!cfg || (limit && (limit < 64 || limit > TLSFLOW_MAX_PLAINTEXT)))
        return TLSFLOW_E_USAGE;
    cfg->record_size_limit = (uint16_t)limit;
    return TLSFLOW_OK;
}

void tlsflow_config_set_ticket_callback(tlsflow_config *cfg, tlsflow_ticket_fn fn, void *ctx)
{
    if (!cfg)
        return;
    cfg->ticket = fn;
    cfg->ticket_ctx = ctx;
}

int tlsflow_config_set_client_auth(tlsflow_config *cfg, tlsflow_client_auth mode)
{
    if (!cfg || cfg->role != TLSFLOW_SERVER || (unsigned)mode > TLSFLOW_CLIENT_AUTH_REQUIRED)
        return TLSFLOW_E_USAGE;
    cfg->client_auth = mode;
    /* The client's chain is kept for tlsflow_peer_cert as a server's is by clients. */
    cfg->peer_chain_cap = mode ? TF_PEER_CHAIN_CAP : 0;
    return TLSFLOW_OK;
}

int tlsflow_config_set_ticket_keys(tlsflow_config *cfg, const tlsflow_ticket_key *keys, size_t n)
{
    if (!cfg || cfg->role != TLSFLOW_SERVER || (n && !keys) ||
        n > sizeof(cfg->ticket_keys) / sizeof(cfg->ticket_keys[0]))
        return TLSFLOW_E_USAGE;
    tf_wipe(cfg->ticket_keys, sizeof(cfg->ticket_keys));
    if (n)
        memcpy(cfg->ticket_keys, keys, n * sizeof(*keys));
    cfg->n_ticket_keys = n;
    return TLSFLOW_OK;
}

int tlsflow_config_set_ticket_policy(tlsflow_config *cfg, uint32_t lifetime, unsigned count)
{
    if (!cfg || cfg->role != TLSFLOW_SERVER || lifetime == 0 || lifetime > 604800 || count > 8)
        return TLSFLOW_E_USAGE;
    cfg->ticket_lifetime = lifetime;
    cfg->ticket_count = count;
    return TLSFLOW_OK;
}

void tlsflow_config_set_session_callback(tlsflow_config *cfg, tlsflow_session_fn fn, void *ctx)
{
    if (!cfg)
        return;
    cfg->session_cb = fn;
    cfg->session_ctx = ctx;
}

void tlsflow_config_set_key_offload(tlsflow_config *cfg, int offload)
{
    if (cfg)
        cfg->key_offload = offload != 0;
}

void tlsflow_config_set_verify(tlsflow_config *cfg, tlsflow_verify_fn fn, void *ctx)
{
    if (!cfg)
        return;
    cfg->verify = fn;
    cfg->verify_ctx = ctx;
}

int tlsflow_config_add_trust_anchors(tlsflow_config *cfg, const uint8_t *certs, size_t len)
{
    if (!cfg)
        return TLSFLOW_E_USAGE;
    size_t n;
    size_t room = TF_MAX_ANCHORS - cfg->n_anchors;
    if (room == 0 || load_certs(certs, len, cfg->anchor_der + cfg->n_anchors,
                                cfg->anchor_len + cfg->n_anchors, room, &n))
        return TLSFLOW_E_CONFIG;
    tf_trust *t =
        tf_trust_new((const uint8_t *const *)cfg->anchor_der, cfg->anchor_len, cfg->n_anchors + n);
    if (!t) {
        for (size_t i = 0; i < n; i++)
            free(cfg->anchor_der[cfg->n_anchors + i]);
        return TLSFLOW_E_CONFIG;
    }
    tf_trust_free(cfg->trust);
    cfg->trust = t;
    cfg->n_anchors += n;
    return TLSFLOW_OK;
}

int tlsflow_config_set_server_name(tlsflow_config *cfg, const char *name)
{
    if (!cfg || cfg->role != TLSFLOW_CLIENT || !name || !name[0] || strlen(name) > TF_MAX_NAME)
        return TLSFLOW_E_USAGE;
    /* What SNI may carry (and a server accepts): printable ASCII, no spaces; an
     * internationalised name goes as its A-label (xn--). */
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f)
            return TLSFLOW_E_USAGE;
    strcpy(cfg->server_name, name);
    return TLSFLOW_OK;
}

int tlsflow_config_set_alpn(tlsflow_config *cfg, const char *const *protocols, size_t count)
{
    if (!cfg || (count && !protocols))
        return TLSFLOW_E_USAGE;
    uint8_t wire[sizeof(cfg->alpn)];
    size_t len = 0;
    for (size_t i = 0; i < count; i++) {
        size_t n = protocols[i] ? strlen(protocols[i]) : 0;
        if (n == 0 || n > 255 || len + 1 + n > sizeof(wire))
            return TLSFLOW_E_USAGE;
        wire[len++] = (uint8_t)n;
        memcpy(wire + len, protocols[i], n);
        len += n;
    }
    memcpy(cfg->alpn, wire, len);
    cfg->alpn_len = len;
    return TLSFLOW_OK;
}

int tlsflow_config_set_cipher_suites(tlsflow_config *cfg, const uint16_t *suites, size_t count)
{
    if (!cfg || !suites || count == 0 || count > TF_MAX_SUITES)
        return TLSFLOW_E_USAGE;
    for (size_t i = 0; i < count; i++)
        if (!tf_suite_find(suites[i]))
            return TLSFLOW_E_CONFIG;
    memcpy(cfg->suites, suites, count * sizeof(*suites));
    cfg->n_suites = count;
    return TLSFLOW_OK;
}

int tlsflow_config_set_groups(tlsflow_config *cfg, const uint16_t *groups, size_t count)
{
    if (!cfg || !groups || count == 0 || count > TF_MAX_GROUPS)
        return TLSFLOW_E_USAGE;
    for (size_t i = 0; i < count; i++)
        if (!tf_group_supported(groups[i]))
            return TLSFLOW_E_CONFIG;
    memcpy(cfg->groups, groups, count * sizeof(*groups));
    cfg->n_groups = count;
    return TLSFLOW_OK;
}

int tlsflow_config_set_signature_schemes(tlsflow_config *cfg, const uint16_t *schemes, size_t count)
{
    if (!cfg || !schemes || count == 0 || count > TF_MAX_SIG_SCHEMES)
        return TLSFLOW_E_USAGE;
    for (size_t i = 0; i < count; i++)
        if (!tf_sig_scheme_find(schemes[i]))
            return TLSFLOW_E_CONFIG;
    memcpy(cfg->sig_schemes, schemes, count * sizeof(*schemes));
    cfg->n_sig_schemes = count;
    return TLSFLOW_OK;
}

int tlsflow_config_set_max_handshake_size(tlsflow_config *cfg, size_t bytes)
{
    if (!cfg || bytes < 1024 || bytes > 0xffffff)
        return TLSFLOW_E_USAGE;
    cfg->max_handshake = bytes;
    return TLSFLOW_OK;
}

void tlsflow_config_set_release_idle_buffers(tlsflow_config *cfg, int release)
{
    if (!cfg)
        return;
    cfg->release_idle = release != 0;
}

void tlsflow_config_set_keep_client_hello(tlsflow_config *cfg, int keep)
{
    if (!cfg)
        return;
    cfg->keep_client_hello = keep != 0;
}

int tlsflow_config_set_workspace_allocator(tlsflow_config *cfg, tlsflow_workspace_get_fn get,
                                           tlsflow_workspace_put_fn put, void *ctx)
{
    if (!cfg || (get == NULL) != (put == NULL))
        return TLSFLOW_E_USAGE;
    cfg->ws_get = get;
    cfg->ws_put = put;
    cfg->ws_ctx = ctx;
    return TLSFLOW_OK;
}

void tlsflow_config_set_offer_ems(tlsflow_config *cfg, int offer)
{
    if (!cfg)
        return;
    cfg->offer_ems = offer != 0;
}

void tlsflow_config_set_random(tlsflow_config *cfg, tlsflow_random_fn fn, void *ctx)
{
    if (!cfg)
        return;
    cfg->random = fn ? fn : tf_default_random;
    cfg->random_ctx = ctx;
}

int tlsflow_config_set_one_thread(tlsflow_config *cfg, int on)
{
    if (!cfg)
        return TLSFLOW_E_USAGE;
    if (!on) {
        if (cfg->shared_drbg) {
            tf_drbg_free(cfg->shared_drbg);
            free(cfg->shared_drbg);
            cfg->shared_drbg = NULL;
        }
        return TLSFLOW_OK;
    }
    if (!cfg->shared_drbg && !(cfg->shared_drbg = calloc(1, sizeof(tf_drbg))))
        return TLSFLOW_E_INTERNAL;
    return TLSFLOW_OK;
}

void tlsflow_config_set_time(tlsflow_config *cfg, tlsflow_time_fn fn, void *ctx)
{
    if (!cfg)
        return;
    cfg->time = fn ? fn : tf_default_time;
    cfg->time_ctx = ctx;
}

void tlsflow_config_set_trace(tlsflow_config *cfg, tlsflow_trace_fn fn, void *ctx)
{
    if (!cfg)
        return;
    cfg->trace = fn;
    cfg->trace_ctx = ctx;
}

void tlsflow_config_set_keylog(tlsflow_config *cfg, tlsflow_keylog_fn fn, void *ctx)
{
    if (!cfg)
        return;
    cfg->keylog = fn;
    cfg->keylog_ctx = ctx;
}

/* The versions a configuration can really do: TLS 1.3 needs one of its suites, TLS 1.2
 * one of the others. *min > *max when none is left. */
void tf_config_versions(const tlsflow_config *cfg, uint16_t *min, uint16_t *max)
{
    int has13 = 0, has12 = 0;
    for (size_t i = 0; i < cfg->n_suites; i++) {
        const tf_suite *s = tf_suite_find(cfg->suites[i]);
        if (s && TF_SUITE_IS_TLS13(s))
            has13 = 1;
        else if (s)
            has12 = 1;
    }
    *min = cfg->min_version <= TF_TLS12 && has12 ? TF_TLS12 : TF_TLS13;
    *max = cfg->max_version >= TF_TLS13 && has13 ? TF_TLS13 : TF_TLS12;
    if (*min == TF_TLS13 && !has13)
        *min = 0xffff;
}
