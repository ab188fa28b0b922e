/* Keying material exporters (RFC 5705 for TLS 1.2): what channel bindings (RFC 9266
 * tls-exporter), EAP-TLS and the like derive from a finished handshake. */
#include <string.h>

#include "internal.h"
#include "keys13.h"

#define MAX_CONTEXT 1024
#define MAX_EXPORT  16384

/* Labels TLS itself uses must not be exported under (RFC 5705 §4, RFC 7627). */
static int reserved(const char *label)
{
    static const char *const TLS_LABELS[] = {"client finished", "server finished", "master secret",
                                             "extended master secret", "key expansion"};
    for (size_t i = 0; i < sizeof(TLS_LABELS) / sizeof(TLS_LABELS[0]); i++)
        if (strncmp(label, TLS_LABELS[i], strlen(TLS_LABELS[i])) == 0)
            return 1;
    return 0;
}

int tlsflow_export_keying_material(const tlsflow_conn *c, const char *label, const uint8_t *context,
                                   size_t context_len, uint8_t *out, size_t len)
{
    if (!c || !label || !out || !c->established || c->error || !c->export_hash || len == 0 ||
        len > MAX_EXPORT || context_len > MAX_CONTEXT || reserved(label))
        return TLSFLOW_E_USAGE;
    if (c->version == TF_TLS13) {
        /* RFC 8446 §7.5: HKDF-Expand-Label(Derive-Secret(exporter_master_secret, label, ""),
         * "exporter", Hash(context), len); no context is the empty one. */
        uint8_t secret[TF_MAX_HASH], hash[TF_MAX_HASH];
        size_t h = tf_hash_len(c->export_hash);
        int err = tf13_derive_secret(c->export_hash, c->export_secret, label, NULL, secret) ||
                  tf_hash_digest(c->export_hash, context ? context : (const uint8_t *)"",
                                 context ? context_len : 0, hash) != h ||
                  tf_hkdf_expand_label(c->export_hash, secret, "exporter", hash, h, out, len);
        tf_wipe(secret, sizeof(secret));
        return err ? TLSFLOW_E_INTERNAL : TLSFLOW_OK;
    }
    /* seed = client_random + server_random [+ uint16 context length + context] */
    uint8_t seed[64 + 2 + MAX_CONTEXT];
    size_t n = 64;
    memcpy(seed, c->export_randoms, 64);
    if (context) {
        seed[n++] = (uint8_t)(context_len >> 8);
        seed[n++] = (uint8_t)context_len;
        memcpy(seed + n, context, context_len);
        n += context_len;
    }
    int err = tf_prf(c->export_hash, c->export_secret, 48, label, seed, n, out, len);
    return err ? TLSFLOW_E_INTERNAL : TLSFLOW_OK;
}
