/* The one adapter to wolfCrypt: hashes, PRF, AES-GCM, RSA, randomness, PEM. */
#include "crypto.h"

#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/kdf.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/rsa.h>
#include <wolfssl/wolfcrypt/sha256.h>
#include <wolfssl/wolfcrypt/sha512.h>

#include "x509.h"

_Static_assert(sizeof(wc_Sha256) <= sizeof(((tf_hash *)0)->opaque), "tf_hash too small");
_Static_assert(sizeof(wc_Sha384) <= sizeof(((tf_hash *)0)->opaque), "tf_hash too small");
_Static_assert(sizeof(Aes) <= sizeof(((tf_aead *)0)->opaque), "tf_aead too small");
_Static_assert(_Alignof(Aes) <= 16, "tf_aead alignment");

/* ---- constant time and wiping ------------------------------------------------------- */

int tf_ct_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
    uint8_t diff = 0;
    for (size_t i = 0; i < n; i++)
        diff |= a[i] ^ b[i];
    return (int)(1 & ((uint32_t)(diff - 1) >> 8));
}

void tf_wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    while (n--)
        *v++ = 0;
}

/* ---- hashes ---------------------------------------------------------------------------- */

size_t tf_hash_len(tf_hash_alg alg)
{
    return alg == TF_HASH_SHA384 ? WC_SHA384_DIGEST_SIZE : WC_SHA256_DIGEST_SIZE;
}

int tf_hash_init(tf_hash *h, tf_hash_alg alg)
{
    memset(h, 0, sizeof(*h));
    h->alg = alg;
    if (alg == TF_HASH_SHA384)
        return wc_InitSha384((wc_Sha384 *)h->opaque) == 0 ? 0 : -1;
    return wc_InitSha256((wc_Sha256 *)h->opaque) == 0 ? 0 : -1;
}

int tf_hash_update(tf_hash *h, const uint8_t *data, size_t len)
{
    if (h->alg == TF_HASH_SHA384)
        return wc_Sha384Update((wc_Sha384 *)h->opaque, data, (word32)len) == 0 ? 0 : -1;
    return wc_Sha256Update((wc_Sha256 *)h->opaque, data, (word32)len) == 0 ? 0 : -1;
}

int tf_hash_peek(const tf_hash *h, uint8_t *out)
{
    /* wolfCrypt's copy functions take a non-const source but do not modify it. */
    tf_hash copy;
    int ret;
    if (h->alg == TF_HASH_SHA384) {
        ret = wc_Sha384Copy((wc_Sha384 *)(uintptr_t)h->opaque, (wc_Sha384 *)copy.opaque);
        if (ret == 0)
            ret = wc_Sha384Final((wc_Sha384 *)copy.opaque, out);
        wc_Sha384Free((wc_Sha384 *)copy.opaque);
    } else {
        ret = wc_Sha256Copy((wc_Sha256 *)(uintptr_t)h->opaque, (wc_Sha256 *)copy.opaque);
        if (ret == 0)
            ret = wc_Sha256Final((wc_Sha256 *)copy.opaque, out);
        wc_Sha256Free((wc_Sha256 *)copy.opaque);
    }
    tf_wipe(&copy, sizeof(copy));
    return ret == 0 ? 0 : -1;
}

void tf_hash_free(tf_hash *h)
{
    if (h->alg == TF_HASH_SHA384)
        wc_Sha384Free((wc_Sha384 *)h->opaque);
    else if (h->alg == TF_HASH_SHA256)
        wc_Sha256Free((wc_Sha256 *)h->opaque);
    tf_wipe(h, sizeof(*h));
}

int tf_prf(tf_hash_alg alg, const uint8_t *secret, size_t secret_len, const char *label,
           const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len)
{
    int mac = alg == TF_HASH_SHA384 ? sha384_mac : sha256_mac;
    int ret =
        wc_PRF_TLS(out, (word32)out_len, secret, (word32)secret_len, (const byte *)label,
                   (word32)strlen(label), seed, (word32)seed_len, 1, mac, NULL, INVALID_DEVID);
    return ret == 0 ? 0 : -1;
}

/* ---- AES-GCM ----------------------------------------------------------------------------- */

int tf_aead_init(tf_aead *a, const uint8_t *key, size_t key_len)
{
    Aes *aes = (Aes *)a->opaque;
    if (wc_AesInit(aes, NULL, INVALID_DEVID) != 0)
        return -1;
    if (wc_AesGcmSetKey(aes, key, (word32)key_len) != 0) {
        wc_AesFree(aes);
        return -1;
    }
    a->ready = 1;
    return 0;
}

int tf_aead_seal(tf_aead *a, const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                 const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16])
{
    int ret = wc_AesGcmEncrypt((Aes *)a->opaque, out, in, (word32)len, nonce, 12, tag, 16, aad,
                               (word32)aad_len);
    return ret == 0 ? 0 : -1;
}

int tf_aead_open(tf_aead *a, const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                 const uint8_t *in, size_t len, const uint8_t tag[16], uint8_t *out)
{
    int ret = wc_AesGcmDecrypt((Aes *)a->opaque, out, in, (word32)len, nonce, 12, tag, 16, aad,
                               (word32)aad_len);
    return ret == 0 ? 0 : -1;
}

void tf_aead_free(tf_aead *a)
{
    if (a->ready)
        wc_AesFree((Aes *)a->opaque);
    tf_wipe(a, sizeof(*a));
}

/* ---- randomness and time ------------------------------------------------------------------- */

/* A DRBG per call keeps the default safe to share between threads; the engine asks
 * for randomness only a few times per handshake. */
int tf_default_random(void *ctx, uint8_t *out, size_t len)
{
    (void)ctx;
    WC_RNG rng;
    if (wc_InitRng(&rng) != 0)
        return -1;
    int ret = wc_RNG_GenerateBlock(&rng, out, (word32)len);
    wc_FreeRng(&rng);
    return ret == 0 ? 0 : -1;
}

int64_t tf_default_time(void *ctx)
{
    (void)ctx;
    return (int64_t)wc_Time(NULL);
}

/* ---- RSA ------------------------------------------------------------------------------------ */

struct tf_private_key {
    uint8_t *der; /* traditional RSAPrivateKey DER, decoded per operation */
    size_t der_len;
    int bits;
};

static int rsa_decode_private(const uint8_t *der, size_t len, RsaKey *key)
{
    word32 idx = 0;
    if (wc_InitRsaKey(key, NULL) != 0)
        return -1;
    if (wc_RsaPrivateKeyDecode(der, &idx, key, (word32)len) != 0) {
        wc_FreeRsaKey(key);
        return -1;
    }
    return 0;
}

tf_private_key *tf_private_key_load(const uint8_t *der, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return NULL;
    memcpy(copy, der, len);
    /* Accept PKCS#8 by stepping over its wrapper to the traditional key. */
    word32 off = 0;
    int r = wc_GetPkcs8TraditionalOffset(copy, &off, (word32)len);
    size_t start = r >= 0 ? off : 0;

    tf_private_key *k = calloc(1, sizeof(*k));
    RsaKey rsa;
    if (!k || rsa_decode_private(copy + start, len - start, &rsa) != 0) {
        tf_wipe(copy, len);
        free(copy);
        free(k);
        return NULL;
    }
    k->bits = wc_RsaEncryptSize(&rsa) * 8;
    wc_FreeRsaKey(&rsa);
    if (start)
        memmove(copy, copy + start, len - start);
    k->der = copy;
    k->der_len = len - start;
    return k;
}

void tf_private_key_free(tf_private_key *k)
{
    if (!k)
        return;
    tf_wipe(k->der, k->der_len);
    free(k->der);
    free(k);
}

int tf_private_key_bits(const tf_private_key *k)
{
    return k->bits;
}

int tf_private_key_matches(const tf_private_key *k, const uint8_t *cert_der, size_t cert_len)
{
    uint8_t spki[2048], mine[2048];
    size_t spki_len;
    RsaKey rsa;
    if (tf_x509_public_key(cert_der, cert_len, spki, sizeof(spki), &spki_len) != 0)
        return 0;
    if (rsa_decode_private(k->der, k->der_len, &rsa) != 0)
        return 0;
    int n = wc_RsaKeyToPublicDer(&rsa, mine, sizeof(mine));
    wc_FreeRsaKey(&rsa);
    return n > 0 && (size_t)n == spki_len && memcmp(mine, spki, spki_len) == 0;
}

int tf_rsa_encrypt(const uint8_t *spki, size_t spki_len, const uint8_t *in, size_t in_len,
                   uint8_t *out, size_t cap, size_t *out_len, tlsflow_random_fn rnd, void *rnd_ctx)
{
    RsaKey key;
    word32 idx = 0;
    uint8_t em[1024];
    int ret = -1;

    if (wc_InitRsaKey(&key, NULL) != 0)
        return -1;
    if (wc_RsaPublicKeyDecode(spki, &idx, &key, (word32)spki_len) != 0)
        goto done;
    size_t k = (size_t)wc_RsaEncryptSize(&key);
    if (k > sizeof(em) || k > cap || in_len + 11 > k)
        goto done;
    /* RFC 8017 §7.2.1 EME-PKCS1-v1_5: 00 02 PS 00 M, PS non-zero random bytes. The
     * padding is built here only so that its randomness is the caller's source. */
    size_t ps_len = k - 3 - in_len;
    em[0] = 0x00;
    em[1] = 0x02;
    if (rnd(rnd_ctx, em + 2, ps_len) != 0)
        goto done;
    for (size_t i = 0; i < ps_len; i++) {
        for (int tries = 0; em[2 + i] == 0; tries++) {
            if (tries > 64 || rnd(rnd_ctx, em + 2 + i, 1) != 0)
                goto done;
        }
    }
    em[2 + ps_len] = 0x00;
    memcpy(em + 3 + ps_len, in, in_len);
    int n = wc_RsaPublicEncrypt_ex(em, (word32)k, out, (word32)cap, &key, NULL, WC_RSA_NO_PAD,
                                   WC_HASH_TYPE_NONE, WC_MGF1NONE, NULL, 0);
    if (n > 0 && (size_t)n == k) {
        *out_len = k;
        ret = 0;
    }
done:
    tf_wipe(em, sizeof(em));
    wc_FreeRsaKey(&key);
    return ret;
}

/* 0xFF if a == b else 0x00, without branches. */
static uint8_t ct_eq_mask(uint32_t a, uint32_t b)
{
    uint32_t x = a ^ b;
    return (uint8_t)(((x | (0u - x)) >> 31) - 1);
}

int tf_rsa_decrypt_premaster(const tf_private_key *k, const uint8_t *in, size_t in_len,
                             uint16_t version, uint8_t out[48])
{
    RsaKey key;
    WC_RNG rng;
    uint8_t dec[1024];

    memset(dec, 0, sizeof(dec));
    if (rsa_decode_private(k->der, k->der_len, &key) != 0)
        return -1;
    if (wc_InitRng(&rng) != 0) {
        wc_FreeRsaKey(&key);
        return -1;
    }
    wc_RsaSetRNG(&key, &rng); /* blinding */
    int n = wc_RsaPrivateDecrypt(in, (word32)in_len, dec, sizeof(dec), &key);
    wc_FreeRsaKey(&key);
    wc_FreeRng(&rng);

    /* RFC 5246 §7.4.7.1: never reveal which check failed; choose without branching. */
    uint8_t good = ct_eq_mask((uint32_t)n, 48);
    good &= ct_eq_mask(dec[0], (uint32_t)(version >> 8));
    good &= ct_eq_mask(dec[1], (uint32_t)(version & 0xFF));
    for (size_t i = 0; i < 48; i++)
        out[i] = (uint8_t)((dec[i] & good) | (out[i] & (uint8_t)~good));
    tf_wipe(dec, sizeof(dec));
    return 0;
}

/* ---- PEM ------------------------------------------------------------------------------------- */

int tf_pem_cert_to_der(const char *pem, size_t pem_len, uint8_t *out, size_t cap, size_t *out_len)
{
    int n = wc_CertPemToDer((const unsigned char *)pem, (int)pem_len, out, (int)cap, CERT_TYPE);
    if (n <= 0)
        return -1;
    *out_len = (size_t)n;
    return 0;
}

int tf_pem_key_to_der(const char *pem, size_t pem_len, uint8_t *out, size_t cap, size_t *out_len)
{
    int n = wc_KeyPemToDer((const unsigned char *)pem, (int)pem_len, out, (int)cap, NULL);
    if (n <= 0)
        return -1;
    *out_len = (size_t)n;
    return 0;
}
