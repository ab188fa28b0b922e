/* The ECDHE key exchange (RFC 8422 §2, §5.4, §5.7), both roles: the server sends a fresh
 * public value on the negotiated group, signed with its certificate key over both
 * randoms; the client checks the signature, sends its own public value, and both take
 * the shared secret as the premaster. The arithmetic is in crypto.c. */
#include "ecdhe.h"

#include <stdio.h>
#include <string.h>

#include "handshake.h"
#include "keyop.h"
#include "keys.h"
#include "msg.h"
#include "sigalg.h"

static const struct {
    uint16_t id;
    const char *name;
} GROUPS[] = {
    /* Default preference: X25519 is fast and hard to misuse; then the NIST curves. */
    {TLSFLOW_GROUP_X25519, "x25519"},
    {TLSFLOW_GROUP_SECP256R1, "secp256r1"},
    {TLSFLOW_GROUP_SECP384R1, "secp384r1"},
};

#define N_GROUPS (sizeof(GROUPS) / sizeof(GROUPS[0]))

uint16_t tf_group_at(size_t i)
{
    return i < N_GROUPS ? GROUPS[i].id : 0;
}

size_t tf_group_count(void)
{
    return N_GROUPS;
}

const char *tlsflow_group_name(uint16_t group)
{
    for (size_t i = 0; i < N_GROUPS; i++)
        if (GROUPS[i].id == group)
            return GROUPS[i].name;
    return NULL;
}

int tf_group_supported(uint16_t group)
{
    return tlsflow_group_name(group) != NULL;
}

int tf_groups_contain(const uint8_t *list, size_t len, uint16_t group)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        if (((list[i] << 8) | list[i + 1]) == group)
            return 1;
    return 0;
}

uint16_t tf_group_choose(const uint16_t *ours, size_t n, const uint8_t *offered, size_t len)
{
    for (size_t i = 0; i < n; i++) {
        if (offered ? tf_groups_contain(offered, len, ours[i]) : ours[i] == TLSFLOW_GROUP_SECP256R1)
            return ours[i];
    }
    return 0;
}

/* What the signature covers (RFC 8422 §5.4): client_random + server_random + params.
 * Returns its length, 0 if it does not fit. */
static size_t signed_content(const tlsflow_conn *c, const uint8_t *params, size_t params_len,
                             uint8_t *out, size_t cap)
{
    tf_writer w = tf_writer_init(out, cap);
    tf_put_bytes(&w, c->hs->client_random, 32);
    tf_put_bytes(&w, c->hs->server_random, 32);
    tf_put_bytes(&w, params, params_len);
    return tf_writer_ok(&w) ? w.len : 0;
}

#define MAX_PARAMS (4 + TF_MAX_KX_PUBLIC)
#define MAX_SIGNED (64 + MAX_PARAMS)

void tf_ecdhe_info(tlsflow_conn *c, uint16_t group, uint16_t scheme, size_t sig_len)
{
    const char *g = tlsflow_group_name(group), *s = tlsflow_signature_scheme_name(scheme);
    c->info.group = group;
    snprintf(c->info.group_name, sizeof(c->info.group_name), "%s", g ? g : "");
    c->info.signature_scheme = scheme;
    snprintf(c->info.signature_scheme_name, sizeof(c->info.signature_scheme_name), "%s",
             s ? s : "");
    c->info.signature_len = sig_len;
}

/* ---- server: ServerKeyExchange ------------------------------------------------------- */

typedef struct {
    const uint8_t *params;
    size_t params_len;
    uint16_t scheme;
    const uint8_t *sig;
    size_t sig_len;
} ske_body;

static int fill_server_key_exchange(tf_writer *w, void *arg)
{
    const ske_body *b = arg;
    return tf_server_key_exchange_write(w, b->params, b->params_len, b->scheme, b->sig, b->sig_len);
}

/* The signature arrived (inline or from the caller): the message goes out. */
static int finish_server_key_exchange(tlsflow_conn *c, const uint8_t *sig, size_t sig_len)
{
    tf_handshake *hs = c->hs;
    uint8_t params[MAX_PARAMS];
    tf_writer w = tf_writer_init(params, sizeof(params));
    if (tf_ecdh_params_write(&w, hs->group, hs->kx_pub, hs->kx_pub_len))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "ECDH parameters do not fit");
    ske_body b = {params, w.len, hs->sig_scheme, sig, sig_len};
    if (tf_queue_handshake(c, TF_HS_SERVER_KEY_EXCHANGE, fill_server_key_exchange, &b))
        return c->error;
    c->info.server_public_len = hs->kx_pub_len;
    tf_ecdhe_info(c, hs->group, hs->sig_scheme, sig_len);
    tf_tracef(c, TLSFLOW_STEP_SERVER_KEY_EXCHANGE_SENT,
              "ServerKeyExchange: fresh %s public value (%zu bytes), signed with %s by the %s-%d "
              "key (%zu-byte signature)",
              c->info.group_name, hs->kx_pub_len, c->info.signature_scheme_name,
              hs->cred->info.key_type, hs->cred->info.key_bits, sig_len);
    return 0;
}

int tf_server_write_ecdhe_params(tlsflow_conn *c)
{
    tf_handshake *hs = c->hs;
    const tf_sig_scheme *scheme = tf_sig_scheme_find(hs->sig_scheme);
    uint8_t params[MAX_PARAMS], content[MAX_SIGNED];
    if (!scheme)
        return tf_fail(c, TLSFLOW_E_INTERNAL, "no signature scheme was chosen");
    if (tf_ecdhe_keygen(hs->group, tf_random_cb, c, hs->kx_priv, &hs->kx_priv_len, hs->kx_pub,
                        &hs->kx_pub_len, c->rng))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "could not make an ephemeral key");
    tf_writer w = tf_writer_init(params, sizeof(params));
    if (tf_ecdh_params_write(&w, hs->group, hs->kx_pub, hs->kx_pub_len))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "ECDH parameters do not fit");
    size_t n = signed_content(c, params, w.len, content, sizeof(content));
    if (!n)
        return tf_fail(c, TLSFLOW_E_INTERNAL, "ECDH parameters do not fit");
    return tf_key_op_start(c, hs->cred, TLSFLOW_KEY_OP_SIGN, scheme->id, content, n,
                           finish_server_key_exchange);
}

/* ---- client: ServerKeyExchange --------------------------------------------------------- */

static int configured(const uint16_t *list, size_t n, uint16_t v)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == v)
            return 1;
    return 0;
}

int tf_client_read_ecdhe_params(tlsflow_conn *c, const uint8_t *body, size_t len)
{
    const tlsflow_config *cfg = c->cfg;
    tf_handshake *hs = c->hs;
    tf_server_key_exchange ske;
    const char *why = NULL;
    int err = tf_server_key_exchange_parse(body, len, &ske, &why);
    if (err)
        return tf_fail(c, err, why);
    if (!configured(cfg->groups, cfg->n_groups, ske.group))
        return tf_failf(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                        "server chose group %u, which we did not offer", ske.group);
    if (tf_ecdhe_check_public(ske.group, ske.point.p, ske.point.len))
        return tf_failf(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                        "server's %s public value (%zu bytes) is not a valid uncompressed point",
                        tlsflow_group_name(ske.group), ske.point.len);
    const tf_sig_scheme *scheme = tf_sig_scheme_find(ske.sig_scheme);
    if (!scheme || !configured(cfg->sig_schemes, cfg->n_sig_schemes, ske.sig_scheme))
        return tf_failf(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                        "server signed with scheme 0x%04x, which we did not offer", ske.sig_scheme);
    if (scheme->key != hs->peer_key_type)
        return tf_failf(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                        "server signed with %s, which its %s certificate cannot make", scheme->name,
                        c->info.cert.key_type);
    uint8_t content[MAX_SIGNED];
    size_t n = signed_content(c, ske.params.p, ske.params.len, content, sizeof(content));
    if (!n || ske.point.len > sizeof(hs->peer_pub))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "ECDH parameters larger than any group's");
    if (tf_verify(hs->peer_spki, hs->peer_spki_len, scheme->alg, scheme->hash, content, n,
                  ske.signature.p, ske.signature.len))
        return tf_failf(c, TLSFLOW_E_BAD_SIGNATURE,
                        "the server's %s signature over its ECDH parameters does not verify",
                        scheme->name);
    hs->group = ske.group;
    memcpy(hs->peer_pub, ske.point.p, ske.point.len);
    hs->peer_pub_len = ske.point.len;
    tf_ecdhe_info(c, ske.group, scheme->id, ske.signature.len);
    c->info.server_public_len = ske.point.len;
    tf_tracef(c, TLSFLOW_STEP_SERVER_KEY_EXCHANGE_VERIFIED,
              "ServerKeyExchange: %s public value (%zu bytes), %s signature verified with the "
              "certificate's %s-%d key",
              c->info.group_name, ske.point.len, scheme->name, c->info.cert.key_type,
              c->info.cert.key_bits);
    return 0;
}

/* ---- client: ClientKeyExchange --------------------------------------------------------- */

typedef struct {
    const uint8_t *p;
    size_t len;
} point_view;

static int fill_point(tf_writer *w, void *arg)
{
    const point_view *v = arg;
    return tf_client_key_exchange_ecdhe_write(w, v->p, v->len);
}

int tf_client_write_ecdhe_key_exchange(tlsflow_conn *c)
{
    tf_handshake *hs = c->hs;
    if (tf_ecdhe_keygen(hs->group, tf_random_cb, c, hs->kx_priv, &hs->kx_priv_len, hs->kx_pub,
                        &hs->kx_pub_len, c->rng))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "could not make an ephemeral key");
    int bad = tf_ecdhe_shared(hs->group, hs->kx_priv, hs->kx_priv_len, hs->peer_pub,
                              hs->peer_pub_len, hs->premaster, &hs->premaster_len, c->rng);
    tf_wipe(hs->kx_priv, sizeof(hs->kx_priv));
    if (bad)
        return tf_failf(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                        "the server's %s public value gives no usable shared secret",
                        c->info.group_name);
    point_view v = {hs->kx_pub, hs->kx_pub_len};
    if (tf_queue_handshake(c, TF_HS_CLIENT_KEY_EXCHANGE, fill_point, &v))
        return c->error;
    c->info.client_public_len = hs->kx_pub_len;
    tf_tracef(c, TLSFLOW_STEP_CLIENT_KEY_SHARE_SENT,
              "ClientKeyExchange: our %s public value (%zu bytes) sent; %zu-byte shared secret "
              "computed",
              c->info.group_name, hs->kx_pub_len, hs->premaster_len);
    if (tf_keys_derive(c))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "key derivation failed");
    tf_tracef(c, TLSFLOW_STEP_KEYS_DERIVED, "%s master secret and %s record keys derived",
              hs->ems ? "extended" : "classic", hs->suite->name);
    return 0;
}

/* ---- server: ClientKeyExchange --------------------------------------------------------- */

int tf_server_read_ecdhe_key_exchange(tlsflow_conn *c, const uint8_t *body, size_t len)
{
    tf_handshake *hs = c->hs;
    tf_view point;
    const char *why = NULL;
    int err = tf_client_key_exchange_ecdhe_parse(body, len, &point, &why);
    if (err)
        return tf_fail(c, err, why);
    c->info.client_public_len = point.len;
    if (tf_ecdhe_check_public(hs->group, point.p, point.len))
        return tf_failf(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                        "client's %s public value (%zu bytes) is not a valid uncompressed point",
                        c->info.group_name, point.len);
    int bad = tf_ecdhe_shared(hs->group, hs->kx_priv, hs->kx_priv_len, point.p, point.len,
                              hs->premaster, &hs->premaster_len, c->rng);
    tf_wipe(hs->kx_priv, sizeof(hs->kx_priv));
    if (bad)
        return tf_failf(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                        "the client's %s public value gives no usable shared secret",
                        c->info.group_name);
    tf_tracef(c, TLSFLOW_STEP_SHARED_SECRET_COMPUTED,
              "ClientKeyExchange: client's %s public value (%zu bytes) accepted; %zu-byte shared "
              "secret computed",
              c->info.group_name, point.len, hs->premaster_len);
    if (tf_keys_derive(c))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "key derivation failed");
    tf_tracef(c, TLSFLOW_STEP_KEYS_DERIVED, "%s master secret and %s record keys derived",
              hs->ems ? "extended" : "classic", hs->suite->name);
    return 0;
}
