/* The TLS 1.3 key derivation primitives over wolfCrypt (RFC 5869 HKDF, RFC 8446 §7.1
 * HKDF-Expand-Label) and HMAC, beside crypto.c's TLS 1.2 PRF. Like crypto.c, one of the
 * few files that include wolfSSL headers. */
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/hmac.h>
#include <wolfssl/wolfcrypt/kdf.h>

#include "crypto.h"
#include "fault.h"

static int hmac_type(tf_hash_alg alg)
{
    return alg == TF_HASH_SHA384 ? WC_SHA384 : alg == TF_HASH_SHA512 ? WC_SHA512 : WC_SHA256;
}

int tf_hkdf_extract(tf_hash_alg alg, const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
                    size_t ikm_len, uint8_t *prk)
{
    /* wolfCrypt reads an empty IKM as Hash.length zeros, as RFC 8446 §7.1 wants, but writes
     * them into its argument: give it a buffer of its own. */
    uint8_t in[TF_MAX_HASH];
    size_t n = tf_hash_len(alg);
    if (ikm_len > sizeof(in))
        return -1;
    memset(in, 0, sizeof(in));
    if (ikm_len)
        memcpy(in, ikm, ikm_len);
    int ret = TF_WC(wc_Tls13_HKDF_Extract(prk, salt, (int)salt_len, in,
                                          (int)(ikm_len ? ikm_len : n), hmac_type(alg)));
    tf_wipe(in, sizeof(in));
    return ret == 0 ? 0 : -1;
}

int tf_hkdf_expand_label(tf_hash_alg alg, const uint8_t *secret, const char *label,
                         const uint8_t *context, size_t context_len, uint8_t *out, size_t len)
{
    static const uint8_t prefix[] = "tls13 ";
    int ret = TF_WC(wc_Tls13_HKDF_Expand_Label(
        out, (word32)len, secret, (word32)tf_hash_len(alg), prefix, sizeof(prefix) - 1,
        (const byte *)label, (word32)strlen(label), context, (word32)context_len, hmac_type(alg)));
    return ret == 0 ? 0 : -1;
}

int tf_hmac(tf_hash_alg alg, const uint8_t *key, size_t key_len, const uint8_t *msg, size_t len,
            uint8_t *out)
{
    Hmac h;
    int ret = wc_HmacInit(&h, NULL, INVALID_DEVID);
    if (ret == 0)
        ret = TF_WC(wc_HmacSetKey(&h, hmac_type(alg), key, (word32)key_len));
    if (ret == 0)
        ret = TF_WC(wc_HmacUpdate(&h, msg, (word32)len));
    if (ret == 0)
        ret = TF_WC(wc_HmacFinal(&h, out));
    wc_HmacFree(&h);
    tf_wipe(&h, sizeof(h));
    return ret == 0 ? 0 : -1;
}
