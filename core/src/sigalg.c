#include "sigalg.h"

#include "tlsflow/tlsflow.h"

/* Default order: RSA-PSS before PKCS#1 v1.5 (RFC 8446 prefers it and it has a security
 * proof), then ECDSA; SHA-256 first within each. This is also the order a client offers. */
static const tf_sig_scheme SCHEMES[] = {
    {TLSFLOW_SIG_RSA_PSS_RSAE_SHA256, "rsa_pss_rsae_sha256", TF_KEY_RSA, TF_SIG_RSA_PSS,
     TF_HASH_SHA256, 0},
    {TLSFLOW_SIG_RSA_PSS_RSAE_SHA384, "rsa_pss_rsae_sha384", TF_KEY_RSA, TF_SIG_RSA_PSS,
     TF_HASH_SHA384, 0},
    {TLSFLOW_SIG_RSA_PSS_RSAE_SHA512, "rsa_pss_rsae_sha512", TF_KEY_RSA, TF_SIG_RSA_PSS,
     TF_HASH_SHA512, 0},
    {TLSFLOW_SIG_RSA_PKCS1_SHA256, "rsa_pkcs1_sha256", TF_KEY_RSA, TF_SIG_RSA_PKCS1, TF_HASH_SHA256,
     0},
    {TLSFLOW_SIG_RSA_PKCS1_SHA384, "rsa_pkcs1_sha384", TF_KEY_RSA, TF_SIG_RSA_PKCS1, TF_HASH_SHA384,
     0},
    {TLSFLOW_SIG_RSA_PKCS1_SHA512, "rsa_pkcs1_sha512", TF_KEY_RSA, TF_SIG_RSA_PKCS1, TF_HASH_SHA512,
     0},
    {TLSFLOW_SIG_ECDSA_SECP256R1_SHA256, "ecdsa_secp256r1_sha256", TF_KEY_EC, TF_SIG_ECDSA,
     TF_HASH_SHA256, TLSFLOW_GROUP_SECP256R1},
    {TLSFLOW_SIG_ECDSA_SECP384R1_SHA384, "ecdsa_secp384r1_sha384", TF_KEY_EC, TF_SIG_ECDSA,
     TF_HASH_SHA384, TLSFLOW_GROUP_SECP384R1},
    /* secp521r1 is not a group we offer; the scheme is "ECDSA with SHA-512" in TLS 1.2. */
    {TLSFLOW_SIG_ECDSA_SECP521R1_SHA512, "ecdsa_secp521r1_sha512", TF_KEY_EC, TF_SIG_ECDSA,
     TF_HASH_SHA512, 25},
};

#define N_SCHEMES (sizeof(SCHEMES) / sizeof(SCHEMES[0]))

const tf_sig_scheme *tf_sig_scheme_find(uint16_t id)
{
    for (size_t i = 0; i < N_SCHEMES; i++)
        if (SCHEMES[i].id == id)
            return &SCHEMES[i];
    return NULL;
}

const tf_sig_scheme *tf_sig_scheme_at(size_t i)
{
    return i < N_SCHEMES ? &SCHEMES[i] : NULL;
}

size_t tf_sig_scheme_count(void)
{
    return N_SCHEMES;
}

const char *tlsflow_signature_scheme_name(uint16_t scheme)
{
    const tf_sig_scheme *s = tf_sig_scheme_find(scheme);
    return s ? s->name : NULL;
}

static int offers(const uint8_t *list, size_t len, uint16_t id)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        if (((list[i] << 8) | list[i + 1]) == id)
            return 1;
    return 0;
}

uint16_t tf_sig_scheme_choose(const uint16_t *ours, size_t n, const uint8_t *offered,
                              size_t offered_len, tf_key_type key, uint16_t key_group)
{
    if (!offered)
        return 0;
    /* Pass 0: ECDSA schemes named for the key's curve; pass 1: anything that fits. */
    for (int pass = key == TF_KEY_EC ? 0 : 1; pass < 2; pass++) {
        for (size_t i = 0; i < n; i++) {
            const tf_sig_scheme *s = tf_sig_scheme_find(ours[i]);
            if (!s || s->key != key || (pass == 0 && s->curve != key_group))
                continue;
            if (offers(offered, offered_len, s->id))
                return s->id;
        }
    }
    return 0;
}

int tf_sig_scheme_usable13(const tf_sig_scheme *s, tf_key_type key, uint16_t key_group)
{
    if (!s || s->key != key || s->alg == TF_SIG_RSA_PKCS1)
        return 0;
    return s->alg != TF_SIG_ECDSA || s->curve == key_group;
}

uint16_t tf_sig_scheme_choose13(const uint16_t *ours, size_t n, const uint8_t *offered,
                                size_t offered_len, tf_key_type key, uint16_t key_group)
{
    for (size_t i = 0; offered && i < n; i++) {
        const tf_sig_scheme *s = tf_sig_scheme_find(ours[i]);
        if (tf_sig_scheme_usable13(s, key, key_group) && offers(offered, offered_len, s->id))
            return s->id;
    }
    return 0;
}
