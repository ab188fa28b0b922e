/* The server's side of the flow: read ClientHello, answer with ServerHello, Certificate
 * and ServerHelloDone, then recover the session key from ClientKeyExchange. */
#include <string.h>

#include "handshake.h"
#include "hello_info.h"
#include "keys.h"
#include "msg.h"

static int offers_suite(const tf_view *suites, uint16_t id)
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

/* The credential named by SNI, else the default one. */
static const tf_credential *pick_credential(const tlsflow_config *cfg, const tf_view *sni)
{
    const tf_credential *fallback = NULL;
    for (size_t i = 0; i < cfg->n_creds; i++) {
        const tf_credential *cr = &cfg->creds[i];
        if (cr->sni_name && sni->p && name_equal(cr->sni_name, sni->p, sni->len))
            return cr;
        if (!cr->sni_name && !fallback)
            fallback = cr;
    }
    return fallback ? fallback : (cfg->n_creds ? &cfg->creds[0] : NULL);
}

/* Server preference: the first of our suites that the client offers. */
static const tf_suite *pick_suite(const tlsflow_config *cfg, const tf_view *offered)
{
    for (size_t i = 0; i < cfg->n_suites; i++)
        if (offers_suite(offered, cfg->suites[i]))
            return tf_suite_find(cfg->suites[i]);
    return NULL;
}

/* RFC 7301 §3.2: our first protocol that the client also offers. */
static int pick_alpn(tlsflow_conn *c, const tf_view *offered)
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
                    "none of the client's protocols (%s) is configured", c->info.client_hello.alpn);
}

int tf_server_read_client_hello(tlsflow_conn *c, const uint8_t *body, size_t len)
{
    tf_client_hello ch;
    const char *why = NULL;
    int err = tf_client_hello_parse(body, len, &ch, &why);
    if (err)
        return tf_fail(c, err, why);
    tf_hello_info_record(c, &ch);
    if (ch.version < TF_TLS12)
        return tf_failf(c, TLSFLOW_E_PROTOCOL_VERSION,
                        "client offers at most version 0x%04x; TLS 1.2 is required", ch.version);
    if (!memchr(ch.compressions.p, 0, ch.compressions.len))
        return tf_fail(c, TLSFLOW_E_ILLEGAL_PARAMETER,
                       "ClientHello does not offer null compression");
    /* RFC 5746 §3.6: on an initial handshake renegotiated_connection must be empty. */
    if (ch.ext.ri && ch.ext.ri_data.len)
        return tf_fail(c, TLSFLOW_E_INSECURE_RENEGOTIATION,
                       "renegotiation_info is not empty on an initial handshake");
    int secure_reneg = ch.ext.ri || offers_suite(&ch.suites, TF_SCSV_RENEGOTIATION);

    const tf_suite *suite = pick_suite(c->cfg, &ch.suites);
    if (!suite)
        return tf_failf(c, TLSFLOW_E_HANDSHAKE_FAILURE,
                        "no cipher suite in common (client offered %zu suites)",
                        c->info.client_hello.n_suites);
    c->hs.cred = pick_credential(c->cfg, &ch.ext.sni_host);
    if (!c->hs.cred)
        return tf_fail(c, TLSFLOW_E_CONFIG, "server has no certificate configured");
    if (c->cfg->alpn_len && ch.ext.alpn && pick_alpn(c, &ch.ext.alpn_list))
        return c->error;

    c->hs.client_version = ch.version;
    memcpy(c->hs.client_random, ch.random, 32);
    c->hs.ems = ch.ext.ems;
    c->hs.suite = suite;
    c->hs.flow = tf_flow_for(suite->kx);
    tf_transcript_select(c);
    c->info.version = TF_TLS12;
    c->info.cipher_suite = suite->id;
    c->info.ems = ch.ext.ems;
    c->info.secure_renegotiation = secure_reneg;
    c->info.cert = c->hs.cred->info;
    tf_tracef(c, TLSFLOW_STEP_CLIENT_HELLO_RECEIVED,
              "ClientHello: version 0x%04x, %zu suites, SNI \"%s\", ALPN \"%s\", EMS %s",
              ch.version, c->info.client_hello.n_suites, c->info.server_name,
              c->info.client_hello.alpn, ch.ext.ems ? "offered" : "not offered");
    return 0;
}

static int fill_server_hello(tf_writer *w, void *arg)
{
    return tf_server_hello_write(w, arg);
}

int tf_server_write_hello(tlsflow_conn *c)
{
    tf_server_answer a;
    memset(&a, 0, sizeof(a));
    if (c->cfg->random(c->cfg->random_ctx, c->hs.server_random, 32))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "random source failed");
    memcpy(a.random, c->hs.server_random, 32);
    a.suite = c->hs.suite->id;
    a.ems = c->hs.ems;
    a.ri = c->info.secure_renegotiation;
    if (c->info.alpn[0]) {
        a.alpn = (const uint8_t *)c->info.alpn;
        a.alpn_len = strlen(c->info.alpn);
    }
    if (tf_queue_handshake(c, TF_HS_SERVER_HELLO, fill_server_hello, &a))
        return c->error;
    c->version_fixed = 1;
    tf_tracef(c, TLSFLOW_STEP_SERVER_HELLO_SENT, "ServerHello: %s, extended master secret %s%s%s",
              c->hs.suite->name, a.ems ? "on" : "off", a.alpn ? ", ALPN " : "",
              a.alpn ? c->info.alpn : "");
    return 0;
}

static int fill_certificate(tf_writer *w, void *arg)
{
    const tf_credential *cr = arg;
    return tf_certificate_write(w, (const uint8_t *const *)cr->der, cr->der_len, cr->n_certs);
}

int tf_server_write_certificate(tlsflow_conn *c)
{
    const tf_credential *cr = c->hs.cred;
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

int tf_server_read_key_exchange(tlsflow_conn *c, const uint8_t *body, size_t len)
{
    tf_view enc;
    const char *why = NULL;
    int err = tf_client_key_exchange_parse(body, len, &enc, &why);
    if (err)
        return tf_fail(c, err, why);
    /* RFC 5246 §7.4.7.1: a random premaster first; the decrypted one replaces it only if
     * it is well formed, chosen in constant time. A bad ciphertext surfaces at Finished. */
    if (c->cfg->random(c->cfg->random_ctx, c->hs.premaster, 48))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "random source failed");
    if (tf_rsa_decrypt_premaster(c->hs.cred->key, enc.p, enc.len, c->hs.client_version,
                                 c->hs.premaster))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "the RSA private key is unusable");
    c->info.encrypted_premaster_len = enc.len;
    tf_tracef(c, TLSFLOW_STEP_PREMASTER_DECRYPTED,
              "ClientKeyExchange: %zu-byte encrypted premaster decrypted with the %s-%d private "
              "key",
              enc.len, c->hs.cred->info.key_type, c->hs.cred->info.key_bits);
    if (tf_keys_derive(c))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "key derivation failed");
    tf_tracef(c, TLSFLOW_STEP_KEYS_DERIVED, "%s master secret and %s record keys derived",
              c->hs.ems ? "extended" : "classic", c->hs.suite->name);
    return 0;
}
