#include "suites.h"

#include "tlsflow/tlsflow.h"

#define GCM     TF_AEAD_AES_GCM
#define CHACHA  TF_AEAD_CHACHA20_POLY1305
#define SHA256  TF_HASH_SHA256
#define SHA384  TF_HASH_SHA384
#define ECDHE   TF_KX_ECDHE
#define KX_RSA  TF_KX_RSA
#define KEY_EC  TF_KEY_EC
#define KEY_RSA TF_KEY_RSA
#define KEY_ANY TF_KEY_NONE
#define TLS13   TF_KX_TLS13

/* Default preference: first row first. TLS 1.3 (its suites serve only TLS 1.3, the others
 * only TLS 1.2), then forward secrecy first, ECDSA before RSA (smaller,
 * faster handshakes), AES-GCM before ChaCha20-Poly1305. AES-GCM records carry an 8-byte
 * explicit nonce after a 4-byte implicit one (RFC 5288); ChaCha20-Poly1305 records carry
 * none: the 12-byte IV is XORed with the sequence number (RFC 7905). */
static const tf_suite SUITES[] = {
    /* TLS 1.3 (RFC 8446 §B.4): the record nonce is the 12-byte IV XOR the sequence. */
    {TLSFLOW_AES_128_GCM_SHA256, "TLS_AES_128_GCM_SHA256", TLS13, KEY_ANY, SHA256, GCM, 16, 12, 0},
    {TLSFLOW_AES_256_GCM_SHA384, "TLS_AES_256_GCM_SHA384", TLS13, KEY_ANY, SHA384, GCM, 32, 12, 0},
    {TLSFLOW_CHACHA20_POLY1305_SHA256, "TLS_CHACHA20_POLY1305_SHA256", TLS13, KEY_ANY, SHA256,
     CHACHA, 32, 12, 0},
    {TLSFLOW_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", ECDHE,
     KEY_EC, SHA256, GCM, 16, 4, 8},
    {TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", ECDHE,
     KEY_RSA, SHA256, GCM, 16, 4, 8},
    {TLSFLOW_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", ECDHE,
     KEY_EC, SHA384, GCM, 32, 4, 8},
    {TLSFLOW_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", ECDHE,
     KEY_RSA, SHA384, GCM, 32, 4, 8},
    {TLSFLOW_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
     "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", ECDHE, KEY_EC, SHA256, CHACHA, 32, 12, 0},
    {TLSFLOW_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
     ECDHE, KEY_RSA, SHA256, CHACHA, 32, 12, 0},
    {TLSFLOW_RSA_WITH_AES_128_GCM_SHA256, "TLS_RSA_WITH_AES_128_GCM_SHA256", KX_RSA, KEY_RSA,
     SHA256, GCM, 16, 4, 8},
    {TLSFLOW_RSA_WITH_AES_256_GCM_SHA384, "TLS_RSA_WITH_AES_256_GCM_SHA384", KX_RSA, KEY_RSA,
     SHA384, GCM, 32, 4, 8},
};

#define N_SUITES (sizeof(SUITES) / sizeof(SUITES[0]))

const tf_suite *tf_suite_find(uint16_t id)
{
    for (size_t i = 0; i < N_SUITES; i++)
        if (SUITES[i].id == id)
            return &SUITES[i];
    return NULL;
}

const tf_suite *tf_suite_at(size_t i)
{
    return i < N_SUITES ? &SUITES[i] : NULL;
}

size_t tf_suite_count(void)
{
    return N_SUITES;
}

size_t tf_suite_record_overhead(const tf_suite *s)
{
    return s->explicit_nonce_len + TF_AEAD_TAG;
}

const char *tlsflow_suite_name(uint16_t suite)
{
    const tf_suite *s = tf_suite_find(suite);
    return s ? s->name : NULL;
}

int tf_suites_client_prefers_chacha(const uint8_t *list, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2) {
        const tf_suite *s = tf_suite_find((uint16_t)((list[i] << 8) | list[i + 1]));
        if (s)
            return s->aead == TF_AEAD_CHACHA20_POLY1305;
    }
    return 0;
}

size_t tf_suites_server_order(const uint16_t *ours, size_t n, int chacha_first, uint16_t *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        const tf_suite *s = tf_suite_find(ours[i]);
        if (chacha_first && s && s->aead == TF_AEAD_CHACHA20_POLY1305) {
            /* Already emitted if an AES-GCM suite of its kind came before it. */
            int moved = 0;
            for (size_t j = 0; j < o && !moved; j++)
                moved = out[j] == ours[i];
            if (moved)
                continue;
        }
        if (chacha_first && s && s->aead == TF_AEAD_AES_GCM) {
            for (size_t j = i + 1; j < n; j++) {
                const tf_suite *t = tf_suite_find(ours[j]);
                if (t && t->aead == TF_AEAD_CHACHA20_POLY1305 && t->kx == s->kx &&
                    t->auth == s->auth) {
                    int seen = 0;
                    for (size_t k = 0; k < o && !seen; k++)
                        seen = out[k] == ours[j];
                    if (!seen)
                        out[o++] = ours[j];
                }
            }
        }
        out[o++] = ours[i];
    }
    return o;
}
