/* The one adapter to wolfCrypt: hashes, PRF, AEADs, randomness, keys, RSA key transport,
 * signatures, ephemeral key agreement, PEM. */
#include "crypto.h"

#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/chacha20_poly1305.h>
#include <wolfssl/wolfcrypt/curve25519.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/kdf.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/rsa.h>
#include <wolfssl/wolfcrypt/sha256.h>
#include <wolfssl/wolfcrypt/sha512.h>

#include "fault.h"
#include "x509.h"

_Static_assert(sizeof(wc_Sha256) <= sizeof(((tf_hash *)0)->opaque), "tf_hash too small");
_Static_assert(sizeof(wc_Sha384) <= sizeof(((tf_hash *)0)->opaque), "tf_hash too small");
_Static_assert(sizeof(wc_Sha512) <= sizeof(((tf_hash *)0)->opaque), "tf_hash too small");
_Static_assert(sizeof(Aes) <= sizeof(((tf_aead *)0)->opaque), "tf_aead too small");
_Static_assert(_Alignof(Aes) <= 16, "tf_aead alignment");
_Static_assert(CHACHA20_POLY1305_AEAD_KEYSIZE <= sizeof(((tf_aead *)0)->opaque), "tf_aead");

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
    if (!n)
        return;
    memset(p, 0, n);
    /* The barrier makes the compiler assume p's memory is read, so the memset stays. */
    __asm__ __volatile__("" : : "r"(p) : "memory");
}

/* ---- hashes ---------------------------------------------------------------------------- */

size_t tf_hash_len(tf_hash_alg alg)
{
    switch (alg) {
    case TF_HASH_SHA512:
        return WC_SHA512_DIGEST_SIZE;
    case TF_HASH_SHA384:
        return WC_SHA384_DIGEST_SIZE;
    default:
        return WC_SHA256_DIGEST_SIZE;
    }
}

int tf_hash_init(tf_hash *h, tf_hash_alg alg)
{
    memset(h, 0, sizeof(*h));
    h->alg = alg;
    switch (alg) {
    case TF_HASH_SHA512:
        return TF_WC(wc_InitSha512((wc_Sha512 *)h->opaque)) == 0 ? 0 : -1;
    case TF_HASH_SHA384:
        return TF_WC(wc_InitSha384((wc_Sha384 *)h->opaque)) == 0 ? 0 : -1;
    default:
        return TF_WC(wc_InitSha256((wc_Sha256 *)h->opaque)) == 0 ? 0 : -1;
    }
}

int tf_hash_update(tf_hash *h, const uint8_t *data, size_t len)
{
    int ret;
    switch (h->alg) {
    case TF_HASH_SHA512:
        ret = TF_WC(wc_Sha512Update((wc_Sha512 *)h->opaque, data, (word32)len));
        break;
    case TF_HASH_SHA384:
        ret = TF_WC(wc_Sha384Update((wc_Sha384 *)h->opaque, data, (word32)len));
        break;
    default:
        ret = TF_WC(wc_Sha256Update((wc_Sha256 *)h->opaque, data, (word32)len));
    }
    return ret == 0 ? 0 : -1;
}

int tf_hash_peek(const tf_hash *h, uint8_t *out)
{
    return tf_hash_peek_with(h, NULL, 0, out);
}

int tf_hash_peek_with(const tf_hash *h, const uint8_t *extra, size_t len, uint8_t *out)
{
    /* wolfCrypt's copy functions take a non-const source but do not modify it. */
    tf_hash copy;
    int ret;
    switch (h->alg) {
    case TF_HASH_SHA512:
        ret = wc_Sha512Copy((wc_Sha512 *)(uintptr_t)h->opaque, (wc_Sha512 *)copy.opaque);
        if (ret == 0 && len)
            ret = TF_WC(wc_Sha512Update((wc_Sha512 *)copy.opaque, extra, (word32)len));
        if (ret == 0)
            ret = TF_WC(wc_Sha512Final((wc_Sha512 *)copy.opaque, out));
        wc_Sha512Free((wc_Sha512 *)copy.opaque);
        break;
    case TF_HASH_SHA384:
        ret = wc_Sha384Copy((wc_Sha384 *)(uintptr_t)h->opaque, (wc_Sha384 *)copy.opaque);
        if (ret == 0 && len)
            ret = TF_WC(wc_Sha384Update((wc_Sha384 *)copy.opaque, extra, (word32)len));
        if (ret == 0)
            ret = TF_WC(wc_Sha384Final((wc_Sha384 *)copy.opaque, out));
        wc_Sha384Free((wc_Sha384 *)copy.opaque);
        break;
    default:
        ret = wc_Sha256Copy((wc_Sha256 *)(uintptr_t)h->opaque, (wc_Sha256 *)copy.opaque);
        if (ret == 0 && len)
            ret = TF_WC(wc_Sha256Update((wc_Sha256 *)copy.opaque, extra, (word32)len));
        if (ret == 0)
            ret = TF_WC(wc_Sha256Final((wc_Sha256 *)copy.opaque, out));
        wc_Sha256Free((wc_Sha256 *)copy.opaque);
    }
    tf_wipe(&copy, sizeof(copy));
    return ret == 0 ? 0 : -1;
}

void tf_hash_free(tf_hash *h)
{
    if (h->alg == TF_HASH_SHA512)
        wc_Sha512Free((wc_Sha512 *)h->opaque);
    else if (h->alg == TF_HASH_SHA384)
        wc_Sha384Free((wc_Sha384 *)h->opaque);
    else if (h->alg == TF_HASH_SHA256)
        wc_Sha256Free((wc_Sha256 *)h->opaque);
    tf_wipe(h, sizeof(*h));
}

static enum wc_HashType wc_hash_type(tf_hash_alg alg)
{
    switch (alg) {
    case TF_HASH_SHA512:
        return WC_HASH_TYPE_SHA512;
    case TF_HASH_SHA384:
        return WC_HASH_TYPE_SHA384;
    default:
        return WC_HASH_TYPE_SHA256;
    }
}

/* One-shot digest; returns its length, 0 on failure. */
static size_t digest(tf_hash_alg alg, const uint8_t *msg, size_t len, uint8_t out[TF_MAX_HASH])
{
    size_t n = tf_hash_len(alg);
    return TF_WC(wc_Hash(wc_hash_type(alg), msg, (word32)len, out, (word32)n)) == 0 ? n : 0;
}

size_t tf_hash_digest(tf_hash_alg alg, const uint8_t *msg, size_t len, uint8_t out[TF_MAX_HASH])
{
    return digest(alg, msg, len, out);
}

int tf_prf(tf_hash_alg alg, const uint8_t *secret, size_t secret_len, const char *label,
           const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len)
{
    int mac = alg == TF_HASH_SHA384 ? sha384_mac : sha256_mac;
    int ret = TF_WC(wc_PRF_TLS(out, (word32)out_len, secret, (word32)secret_len,
                               (const byte *)label, (word32)strlen(label), seed, (word32)seed_len,
                               1, mac, NULL, INVALID_DEVID));
    return ret == 0 ? 0 : -1;
}

/* ---- AEADs ------------------------------------------------------------------------------- */

int tf_aead_setup(tf_aead *a, tf_aead_alg alg, const uint8_t *key, size_t key_len)
{
    memset(a, 0, sizeof(*a));
    if (alg == TF_AEAD_CHACHA20_POLY1305) {
        /* wolfCrypt's one-shot ChaCha20-Poly1305 takes the key on every call. */
        if (key_len != CHACHA20_POLY1305_AEAD_KEYSIZE)
            return -1;
        memcpy(a->opaque, key, key_len);
    } else {
        Aes *aes = (Aes *)a->opaque;
        if (TF_WC(wc_AesInit(aes, NULL, INVALID_DEVID)) != 0)
            return -1;
        if (TF_WC(wc_AesGcmSetKey(aes, key, (word32)key_len)) != 0) {
            wc_AesFree(aes);
            return -1;
        }
    }
    a->alg = alg;
    a->ready = 1;
    return 0;
}

int tf_aead_init(tf_aead *a, const uint8_t *key, size_t key_len)
{
    return tf_aead_setup(a, TF_AEAD_AES_GCM, key, key_len);
}

int tf_aead_seal(tf_aead *a, const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                 const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[16])
{
    int ret;
    if (a->alg == TF_AEAD_CHACHA20_POLY1305)
        ret = TF_WC(wc_ChaCha20Poly1305_Encrypt(a->opaque, nonce, aad, (word32)aad_len, in,
                                                (word32)len, out, tag));
    else
        ret = TF_WC(wc_AesGcmEncrypt((Aes *)a->opaque, out, in, (word32)len, nonce, 12, tag, 16,
                                     aad, (word32)aad_len));
    return ret == 0 ? 0 : -1;
}

int tf_aead_seal_plus(tf_aead *a, const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                      const uint8_t *in, size_t len, uint8_t last, uint8_t *out, uint8_t tag[16])
{
    int ret;
    if (a->alg == TF_AEAD_CHACHA20_POLY1305) {
        ChaChaPoly_Aead st;
        ret =
            TF_WC(wc_ChaCha20Poly1305_Init(&st, a->opaque, nonce, CHACHA20_POLY1305_AEAD_ENCRYPT));
        if (ret == 0 && aad_len)
            ret = TF_WC(wc_ChaCha20Poly1305_UpdateAad(&st, aad, (word32)aad_len));
        if (ret == 0 && len)
            ret = TF_WC(wc_ChaCha20Poly1305_UpdateData(&st, in, out, (word32)len));
        if (ret == 0)
            ret = TF_WC(wc_ChaCha20Poly1305_UpdateData(&st, &last, out + len, 1));
        if (ret == 0)
            ret = TF_WC(wc_ChaCha20Poly1305_Final(&st, tag));
        tf_wipe(&st, sizeof(st));
        return ret == 0 ? 0 : -1;
    }
#ifdef WOLFSSL_AESGCM_STREAM
    /* The streaming calls: the key stays, the nonce is new. */
    Aes *aes = (Aes *)a->opaque;
    ret = TF_WC(wc_AesGcmInit(aes, NULL, 0, nonce, 12));
    if (ret == 0)
        ret = TF_WC(wc_AesGcmEncryptUpdate(aes, out, in, (word32)len, aad, (word32)aad_len));
    if (ret == 0)
        ret = TF_WC(wc_AesGcmEncryptUpdate(aes, out + len, &last, 1, NULL, 0));
    if (ret == 0)
        ret = TF_WC(wc_AesGcmEncryptFinal(aes, tag, 16));
    return ret == 0 ? 0 : -1;
#else
    if (out != in)
        memmove(out, in, len);
    out[len] = last;
    return tf_aead_seal(a, nonce, aad, aad_len, out, len + 1, out, tag);
#endif
}

int tf_aead_open(tf_aead *a, const uint8_t nonce[12], const uint8_t *aad, size_t aad_len,
                 const uint8_t *in, size_t len, const uint8_t tag[16], uint8_t *out)
{
    int ret;
    if (a->alg == TF_AEAD_CHACHA20_POLY1305)
        ret = TF_WC(wc_ChaCha20Poly1305_Decrypt(a->opaque, nonce, aad, (word32)aad_len, in,
                                                (word32)len, tag, out));
    else
        ret = TF_WC(wc_AesGcmDecrypt((Aes *)a->opaque, out, in, (word32)len, nonce, 12, tag, 16,
                                     aad, (word32)aad_len));
    return ret == 0 ? 0 : -1;
}

void tf_aead_free(tf_aead *a)
{
    if (a->ready && a->alg == TF_AEAD_AES_GCM)
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
    if (TF_WC(wc_InitRng(&rng)) != 0)
        return -1;
    int ret = TF_WC(wc_RNG_GenerateBlock(&rng, out, (word32)len));
    wc_FreeRng(&rng);
    return ret == 0 ? 0 : -1;
}

_Static_assert(sizeof(WC_RNG) <= sizeof(((tf_drbg *)0)->opaque), "tf_drbg too small");

/* The connection's DRBG, seeded from the system on first use. */
static WC_RNG *drbg_rng(tf_drbg *d)
{
    if (!d)
        return NULL;
    if (!d->ready) {
        if (TF_WC(wc_InitRng((WC_RNG *)d->opaque)) != 0)
            return NULL;
        d->ready = 1;
    }
    return (WC_RNG *)d->opaque;
}

int tf_drbg_generate(tf_drbg *d, uint8_t *out, size_t len)
{
    WC_RNG *rng = drbg_rng(d);
    return rng && TF_WC(wc_RNG_GenerateBlock(rng, out, (word32)len)) == 0 ? 0 : -1;
}

int tf_drbg_random(void *drbg, uint8_t *out, size_t len)
{
    return tf_drbg_generate(drbg, out, len);
}

void tf_drbg_free(tf_drbg *d)
{
    if (d->ready)
        wc_FreeRng((WC_RNG *)d->opaque);
    tf_wipe(d, sizeof(*d));
}

int64_t tf_default_time(void *ctx)
{
    (void)ctx;
    return (int64_t)wc_Time(NULL);
}

/* ---- keys ------------------------------------------------------------------------------- */

struct tf_private_key {
    tf_key_type type;
    uint8_t *der; /* RSA: traditional RSAPrivateKey; EC: as given (SEC 1 or PKCS#8) */
    size_t der_len;
    int bits;
    uint16_t group; /* EC: the curve as a TLS named group */
};

/* The EC curves we name, as TLS groups (RFC 8422 §5.1.1). */
static uint16_t group_of_curve(int curve_id)
{
    switch (curve_id) {
    case ECC_SECP256R1:
        return TLSFLOW_GROUP_SECP256R1;
    case ECC_SECP384R1:
        return TLSFLOW_GROUP_SECP384R1;
    default:
        return 0;
    }
}

static int curve_of_group(uint16_t group)
{
    switch (group) {
    case TLSFLOW_GROUP_SECP256R1:
        return ECC_SECP256R1;
    case TLSFLOW_GROUP_SECP384R1:
        return ECC_SECP384R1;
    default:
        return ECC_CURVE_INVALID;
    }
}

static int rsa_decode_private(const uint8_t *der, size_t len, RsaKey *key)
{
    word32 idx = 0;
    if (TF_WC(wc_InitRsaKey(key, NULL)) != 0)
        return -1;
    if (TF_WC(wc_RsaPrivateKeyDecode(der, &idx, key, (word32)len)) != 0) {
        wc_FreeRsaKey(key);
        return -1;
    }
    return 0;
}

/* wolfCrypt reads SEC 1 and PKCS#8 EC keys alike. */
static int ec_decode_private(const uint8_t *der, size_t len, ecc_key *key)
{
    word32 idx = 0;
    if (TF_WC(wc_ecc_init(key)) != 0)
        return -1;
    if (TF_WC(wc_EccPrivateKeyDecode(der, &idx, key, (word32)len)) != 0 || key->dp == NULL) {
        wc_ecc_free(key);
        return -1;
    }
    return 0;
}

static int ec_decode_public(const uint8_t *spki, size_t len, ecc_key *key)
{
    word32 idx = 0;
    if (TF_WC(wc_ecc_init(key)) != 0)
        return -1;
    if (TF_WC(wc_EccPublicKeyDecode(spki, &idx, key, (word32)len)) != 0 || key->dp == NULL) {
        wc_ecc_free(key);
        return -1;
    }
    return 0;
}

static void key_free(tf_private_key *k, uint8_t *der, size_t len)
{
    tf_wipe(der, len);
    free(der);
    free(k);
}

tf_private_key *tf_private_key_load(const uint8_t *der, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    tf_private_key *k = calloc(1, sizeof(*k));
    if (!copy || !k) {
        free(copy);
        free(k);
        return NULL;
    }
    memcpy(copy, der, len);
    /* RSA: accept PKCS#8 by stepping over its wrapper to the traditional key. */
    word32 off = 0;
    int r = wc_GetPkcs8TraditionalOffset(copy, &off, (word32)len);
    size_t start = r >= 0 ? off : 0;
    RsaKey rsa;
    ecc_key ec;
    if (rsa_decode_private(copy + start, len - start, &rsa) == 0) {
        k->type = TF_KEY_RSA;
        k->bits = wc_RsaEncryptSize(&rsa) * 8;
        wc_FreeRsaKey(&rsa);
        if (start)
            memmove(copy, copy + start, len - start);
        k->der_len = len - start;
    } else if (ec_decode_private(copy, len, &ec) == 0) {
        /* In PKCS#8 the curve is named only in the outer AlgorithmIdentifier, which
         * wolfCrypt 5.5.4 skips, guessing the curve from the key size (a secp256k1 key
         * reads as P-256): a key that carries its public point must have it on the curve
         * guessed. (A credential's key must also match its certificate, whose curve is
         * read properly.) */
        int bad = ec.type == ECC_PRIVATEKEY && TF_WC(wc_ecc_check_key(&ec)) != 0;
        k->type = TF_KEY_EC;
        k->group = group_of_curve(ec.dp->id);
        k->bits = ec.dp->size * 8;
        k->der_len = len;
        wc_ecc_free(&ec);
        if (bad || !k->group) { /* and only the curves we name */
            key_free(k, copy, len);
            return NULL;
        }
    } else {
        key_free(k, copy, len);
        return NULL;
    }
    k->der = copy;
    return k;
}

void tf_private_key_free(tf_private_key *k)
{
    if (!k)
        return;
    key_free(k, k->der, k->der_len);
}

int tf_private_key_bits(const tf_private_key *k)
{
    return k->bits;
}

tf_key_type tf_private_key_type(const tf_private_key *k)
{
    return k->type;
}

uint16_t tf_private_key_group(const tf_private_key *k)
{
    return k->group;
}

/* The uncompressed public point of an EC key; a private-only key gets it computed. */
static int ec_public_point(ecc_key *key, uint8_t *out, word32 *out_len)
{
    if (key->type == ECC_PRIVATEKEY_ONLY) {
        WC_RNG rng; /* blinding only: the point does not depend on it */
        if (TF_WC(wc_InitRng(&rng)) != 0)
            return -1;
        int ret = TF_WC(wc_ecc_make_pub_ex(key, NULL, &rng));
        wc_FreeRng(&rng);
        if (ret != 0)
            return -1;
    }
    return TF_WC(wc_ecc_export_x963(key, out, out_len)) == 0 ? 0 : -1;
}

static int ec_key_matches(const tf_private_key *k, const uint8_t *spki, size_t spki_len)
{
    ecc_key priv, pub;
    uint8_t a[TF_MAX_KX_PUBLIC + 40], b[TF_MAX_KX_PUBLIC + 40];
    word32 a_len = sizeof(a), b_len = sizeof(b);
    int ok = 0;
    if (ec_decode_private(k->der, k->der_len, &priv) != 0)
        return 0;
    if (ec_decode_public(spki, spki_len, &pub) == 0) {
        ok = priv.dp->id == pub.dp->id && ec_public_point(&priv, a, &a_len) == 0 &&
             ec_public_point(&pub, b, &b_len) == 0 && a_len == b_len && memcmp(a, b, a_len) == 0;
        wc_ecc_free(&pub);
    }
    wc_ecc_free(&priv);
    return ok;
}

int tf_private_key_matches(const tf_private_key *k, const uint8_t *cert_der, size_t cert_len)
{
    uint8_t spki[2048], mine[2048];
    size_t spki_len;
    RsaKey rsa;
    if (tf_x509_public_key(cert_der, cert_len, spki, sizeof(spki), &spki_len) != 0)
        return 0;
    if (k->type == TF_KEY_EC)
        return ec_key_matches(k, spki, spki_len);
    if (rsa_decode_private(k->der, k->der_len, &rsa) != 0)
        return 0;
    int n = TF_WC(wc_RsaKeyToPublicDer(&rsa, mine, sizeof(mine)));
    wc_FreeRsaKey(&rsa);
    return n > 0 && (size_t)n == spki_len && memcmp(mine, spki, spki_len) == 0;
}

static int rsa_decode_public(const uint8_t *spki, size_t len, RsaKey *key)
{
    word32 idx = 0;
    if (TF_WC(wc_InitRsaKey(key, NULL)) != 0)
        return -1;
    if (TF_WC(wc_RsaPublicKeyDecode(spki, &idx, key, (word32)len)) != 0) {
        wc_FreeRsaKey(key);
        return -1;
    }
    return 0;
}

tf_key_type tf_public_key_info(const uint8_t *spki, size_t spki_len, uint16_t *group, int *bits)
{
    RsaKey rsa;
    ecc_key ec;
    *group = 0;
    if (rsa_decode_public(spki, spki_len, &rsa) == 0) {
        if (bits)
            *bits = wc_RsaEncryptSize(&rsa) * 8;
        wc_FreeRsaKey(&rsa);
        return TF_KEY_RSA;
    }
    if (ec_decode_public(spki, spki_len, &ec) == 0) {
        *group = group_of_curve(ec.dp->id);
        if (bits)
            *bits = ec.dp->size * 8;
        wc_ecc_free(&ec);
        return TF_KEY_EC;
    }
    return TF_KEY_NONE;
}

/* ---- RSA key transport ------------------------------------------------------------------ */

int tf_rsa_encrypt(const uint8_t *spki, size_t spki_len, const uint8_t *in, size_t in_len,
                   uint8_t *out, size_t cap, size_t *out_len, tlsflow_random_fn rnd, void *rnd_ctx)
{
    RsaKey key;
    word32 idx = 0;
    uint8_t em[1024];
    int ret = -1;

    if (TF_WC(wc_InitRsaKey(&key, NULL)) != 0)
        return -1;
    if (TF_WC(wc_RsaPublicKeyDecode(spki, &idx, &key, (word32)spki_len)) != 0)
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
    int n = TF_WC(wc_RsaPublicEncrypt_ex(em, (word32)k, out, (word32)cap, &key, NULL, WC_RSA_NO_PAD,
                                         WC_HASH_TYPE_NONE, WC_MGF1NONE, NULL, 0));
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

int tf_rsa_decrypt_raw(const tf_private_key *k, const uint8_t *in, size_t in_len, uint8_t *out,
                       size_t cap, size_t *out_len, tf_drbg *blind)
{
    RsaKey key;
    WC_RNG *rng = drbg_rng(blind);

    if (!rng || k->type != TF_KEY_RSA || rsa_decode_private(k->der, k->der_len, &key) != 0)
        return -1;
    wc_RsaSetRNG(&key, rng); /* blinding */
    int n = TF_WC(wc_RsaPrivateDecrypt(in, (word32)in_len, out, (word32)cap, &key));
    wc_FreeRsaKey(&key);
    /* A bad padding is a length of 0, chosen without a branch on it. */
    size_t ok = (size_t)0 - (size_t)(n >= 0);
    *out_len = (size_t)n & ok;
    return 0;
}

void tf_premaster_select(const uint8_t *dec, size_t dec_len, uint16_t version, uint8_t out[48])
{
    /* RFC 5246 §7.4.7.1: never reveal which check failed; choose without branching. */
    uint8_t good = ct_eq_mask((uint32_t)dec_len, 48); /* dec_len <= 1024 */
    good &= ct_eq_mask(dec[0], (uint32_t)(version >> 8));
    good &= ct_eq_mask(dec[1], (uint32_t)(version & 0xFF));
    for (size_t i = 0; i < 48; i++)
        out[i] = (uint8_t)((dec[i] & good) | (out[i] & (uint8_t)~good));
}

int tf_rsa_decrypt_premaster(const tf_private_key *k, const uint8_t *in, size_t in_len,
                             uint16_t version, uint8_t out[48], tf_drbg *blind)
{
    uint8_t dec[1024];
    size_t n = 0;
    memset(dec, 0, sizeof(dec));
    int ret = tf_rsa_decrypt_raw(k, in, in_len, dec, sizeof(dec), &n, blind);
    if (ret == 0)
        tf_premaster_select(dec, n, version, out);
    tf_wipe(dec, sizeof(dec));
    return ret;
}

/* ---- signatures ------------------------------------------------------------------------- */

/* MGF1 (RFC 8017 B.2.1) XORed into out: out ^= MGF1(seed, len). */
static int mgf1_xor(tf_hash_alg alg, const uint8_t *seed, size_t seed_len, uint8_t *out, size_t len)
{
    uint8_t in[TF_MAX_HASH + 4], mask[TF_MAX_HASH];
    size_t h = tf_hash_len(alg);
    if (seed_len > TF_MAX_HASH)
        return -1;
    memcpy(in, seed, seed_len);
    for (uint32_t counter = 0; len; counter++) {
        in[seed_len] = (uint8_t)(counter >> 24);
        in[seed_len + 1] = (uint8_t)(counter >> 16);
        in[seed_len + 2] = (uint8_t)(counter >> 8);
        in[seed_len + 3] = (uint8_t)counter;
        if (!digest(alg, in, seed_len + 4, mask))
            return -1;
        size_t n = len < h ? len : h;
        for (size_t i = 0; i < n; i++)
            *out++ ^= mask[i];
        len -= n;
    }
    return 0;
}

/* EMSA-PSS-ENCODE (RFC 8017 §9.1.1) into em[0..k), left-padded to the modulus size k,
 * with a salt as long as the hash from the caller's random source. */
static int pss_encode(tf_hash_alg alg, const uint8_t *mhash, size_t mod_bits, uint8_t *em, size_t k,
                      tlsflow_random_fn rnd, void *rnd_ctx)
{
    size_t h = tf_hash_len(alg), em_bits = mod_bits - 1, em_len = (em_bits + 7) / 8;
    uint8_t m[8 + 2 * TF_MAX_HASH], hash[TF_MAX_HASH];
    if (em_len > k || em_len < 2 * h + 2)
        return -1;
    memset(em, 0, k);
    uint8_t *out = em + (k - em_len), *db = out, *salt = out + em_len - h - 1 - h;
    size_t db_len = em_len - h - 1;
    memset(m, 0, 8);
    memcpy(m + 8, mhash, h);
    if (rnd(rnd_ctx, m + 8 + h, h) != 0 || !digest(alg, m, 8 + 2 * h, hash))
        return -1;
    /* DB = PS || 0x01 || salt, then masked with MGF1(H). */
    salt[-1] = 0x01;
    memcpy(salt, m + 8 + h, h);
    if (mgf1_xor(alg, hash, h, db, db_len) != 0)
        return -1;
    db[0] &= (uint8_t)(0xFF >> (8 * em_len - em_bits));
    memcpy(out + db_len, hash, h);
    out[em_len - 1] = 0xBC;
    tf_wipe(m, sizeof(m));
    return 0;
}

/* The modulus length in bits, from its big-endian bytes. */
static size_t rsa_modulus_bits(RsaKey *key)
{
    uint8_t n[1024], e[16];
    word32 n_len = sizeof(n), e_len = sizeof(e);
    if (TF_WC(wc_RsaFlattenPublicKey(key, e, &e_len, n, &n_len)) != 0 || n_len == 0)
        return 0;
    size_t bits = 8 * (size_t)n_len;
    for (uint8_t top = n[0]; !(top & 0x80) && bits; top = (uint8_t)(top << 1))
        bits--;
    return bits;
}

static int rsa_sign(const tf_private_key *k, tf_sig_alg alg, tf_hash_alg hash, const uint8_t *mhash,
                    uint8_t *sig, size_t cap, size_t *sig_len, tlsflow_random_fn rnd, void *rnd_ctx,
                    WC_RNG *rng)
{
    RsaKey key; /* rng: blinding only, RSA signatures do not depend on it */
    uint8_t buf[1024];
    int ret = -1;
    if (rsa_decode_private(k->der, k->der_len, &key) != 0)
        return -1;
    wc_RsaSetRNG(&key, rng);
    size_t mod_len = (size_t)wc_RsaEncryptSize(&key);
    if (mod_len > sizeof(buf) || mod_len > cap)
        goto done;
    if (alg == TF_SIG_RSA_PSS) {
        /* The padding is built here so that its salt is the caller's randomness. */
        word32 out_len = (word32)cap;
        if (pss_encode(hash, mhash, rsa_modulus_bits(&key), buf, mod_len, rnd, rnd_ctx) != 0 ||
            TF_WC(wc_RsaDirect(buf, (word32)mod_len, sig, &out_len, &key, RSA_PRIVATE_ENCRYPT,
                               rng)) != (int)mod_len)
            goto done;
        *sig_len = mod_len; /* wc_RsaDirect's return value; it leaves out_len as given */
        ret = 0;
    } else {
        word32 n = wc_EncodeSignature(buf, mhash, (word32)tf_hash_len(hash),
                                      wc_HashGetOID(wc_hash_type(hash)));
        int m = n ? TF_WC(wc_RsaSSL_Sign(buf, n, sig, (word32)cap, &key, rng)) : -1;
        if (m > 0) {
            *sig_len = (size_t)m;
            ret = 0;
        }
    }
done:
    tf_wipe(buf, sizeof(buf));
    wc_FreeRsaKey(&key);
    return ret;
}

/* ECDSA nonces derived from key and hash (RFC 6979 style) make signatures reproducible.
 * wolfSSL 5.5.4 derives them only for 32-byte digests and fails the others, and a build
 * may lack them altogether: then the nonce is random (still a valid signature, but an
 * ECDSA transcript then differs from run to run). */
static int set_deterministic(ecc_key *key, int on)
{
#if defined(WOLFSSL_ECDSA_DETERMINISTIC_K) || defined(WOLFSSL_ECDSA_DETERMINISTIC_K_VARIANT)
    return wc_ecc_set_deterministic(key, (byte)on);
#else
    (void)key;
    return on ? -1 : 0;
#endif
}

static int ecdsa_sign(const tf_private_key *k, const uint8_t *mhash, size_t hash_len, uint8_t *sig,
                      size_t cap, size_t *sig_len, WC_RNG *rng)
{
    ecc_key key;
    int ret = -1;
    if (ec_decode_private(k->der, k->der_len, &key) != 0)
        return -1;
    for (int deterministic = 1; deterministic >= 0 && ret != 0; deterministic--) {
        word32 n = (word32)cap;
        if (set_deterministic(&key, deterministic) == 0 &&
            TF_WC(wc_ecc_sign_hash(mhash, (word32)hash_len, sig, &n, rng, &key)) == 0) {
            *sig_len = n;
            ret = 0;
        }
    }
    wc_ecc_free(&key);
    return ret;
}

int tf_sign(const tf_private_key *k, tf_sig_alg alg, tf_hash_alg hash, const uint8_t *msg,
            size_t len, uint8_t *sig, size_t cap, size_t *sig_len, tlsflow_random_fn rnd,
            void *rnd_ctx, tf_drbg *blind)
{
    uint8_t mhash[TF_MAX_HASH];
    size_t h = digest(hash, msg, len, mhash);
    return h ? tf_sign_digest(k, alg, hash, mhash, sig, cap, sig_len, rnd, rnd_ctx, blind) : -1;
}

int tf_sign_digest(const tf_private_key *k, tf_sig_alg alg, tf_hash_alg hash, const uint8_t *mhash,
                   uint8_t *sig, size_t cap, size_t *sig_len, tlsflow_random_fn rnd, void *rnd_ctx,
                   tf_drbg *blind)
{
    size_t h = tf_hash_len(hash);
    WC_RNG *rng = drbg_rng(blind);
    if (!rng)
        return -1;
    if (alg == TF_SIG_ECDSA)
        return k->type == TF_KEY_EC ? ecdsa_sign(k, mhash, h, sig, cap, sig_len, rng) : -1;
    return k->type == TF_KEY_RSA
               ? rsa_sign(k, alg, hash, mhash, sig, cap, sig_len, rnd, rnd_ctx, rng)
               : -1;
}

static int mgf_of(tf_hash_alg alg)
{
    switch (alg) {
    case TF_HASH_SHA512:
        return WC_MGF1SHA512;
    case TF_HASH_SHA384:
        return WC_MGF1SHA384;
    default:
        return WC_MGF1SHA256;
    }
}

static int rsa_verify(const uint8_t *spki, size_t spki_len, tf_sig_alg alg, tf_hash_alg hash,
                      const uint8_t *mhash, const uint8_t *sig, size_t sig_len)
{
    RsaKey key;
    uint8_t in[1024], out[1024], want[128];
    int ok = 0;
    if (sig_len > sizeof(in) || rsa_decode_public(spki, spki_len, &key) != 0)
        return -1;
    size_t h = tf_hash_len(hash);
    /* A signature is exactly as long as the modulus (RFC 8017 §8.1.2 step 1). */
    if (sig_len == (size_t)wc_RsaEncryptSize(&key)) {
        memcpy(in, sig, sig_len);
        if (alg == TF_SIG_RSA_PSS) {
            ok =
                TF_WC(wc_RsaPSS_VerifyCheck(in, (word32)sig_len, out, sizeof(out), mhash, (word32)h,
                                            wc_hash_type(hash), mgf_of(hash), &key)) >= 0;
        } else {
            word32 n =
                wc_EncodeSignature(want, mhash, (word32)h, wc_HashGetOID(wc_hash_type(hash)));
            int m = TF_WC(wc_RsaSSL_Verify(in, (word32)sig_len, out, sizeof(out), &key));
            ok = n > 0 && m == (int)n && memcmp(out, want, n) == 0;
        }
    }
    wc_FreeRsaKey(&key);
    return ok ? 0 : -1;
}

static int ecdsa_verify(const uint8_t *spki, size_t spki_len, const uint8_t *mhash, size_t h,
                        const uint8_t *sig, size_t sig_len)
{
    ecc_key key;
    int res = 0;
    if (ec_decode_public(spki, spki_len, &key) != 0)
        return -1;
    int ret = TF_WC(wc_ecc_verify_hash(sig, (word32)sig_len, mhash, (word32)h, &res, &key));
    wc_ecc_free(&key);
    return ret == 0 && res == 1 ? 0 : -1;
}

int tf_verify(const uint8_t *spki, size_t spki_len, tf_sig_alg alg, tf_hash_alg hash,
              const uint8_t *msg, size_t len, const uint8_t *sig, size_t sig_len)
{
    uint8_t mhash[TF_MAX_HASH];
    size_t h = digest(hash, msg, len, mhash);
    return h ? tf_verify_digest(spki, spki_len, alg, hash, mhash, sig, sig_len) : -1;
}

int tf_verify_digest(const uint8_t *spki, size_t spki_len, tf_sig_alg alg, tf_hash_alg hash,
                     const uint8_t *mhash, const uint8_t *sig, size_t sig_len)
{
    size_t h = tf_hash_len(hash);
    if (sig_len == 0)
        return -1;
    if (alg == TF_SIG_ECDSA)
        return ecdsa_verify(spki, spki_len, mhash, h, sig, sig_len);
    return rsa_verify(spki, spki_len, alg, hash, mhash, sig, sig_len);
}

/* ---- ephemeral key agreement ----------------------------------------------------------------- */

#define X25519_LEN 32

size_t tf_ecdhe_public_len(uint16_t group)
{
    if (group == TLSFLOW_GROUP_X25519)
        return X25519_LEN;
    int curve = curve_of_group(group);
    return curve == ECC_CURVE_INVALID ? 0 : 1 + 2 * (size_t)wc_ecc_get_curve_size_from_id(curve);
}

static int x25519_keygen(tlsflow_random_fn rnd, void *rnd_ctx, uint8_t *priv, uint8_t *pub)
{
    if (rnd(rnd_ctx, priv, X25519_LEN) != 0)
        return -1;
    /* RFC 7748 §5 clamping; wolfCrypt wants the scalar already clamped. */
    priv[0] &= 248;
    priv[31] &= 127;
    priv[31] |= 64;
    return TF_WC(wc_curve25519_make_pub(X25519_LEN, pub, X25519_LEN, priv)) == 0 ? 0 : -1;
}

static int hex_nibble(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Is the big-endian scalar d (size bytes) in [1, n-1], n the curve order as wolfCrypt
 * spells it (hex)? Checked here rather than read from wolfCrypt's error codes. */
static int scalar_in_range(const uint8_t *d, size_t size, const char *order_hex)
{
    size_t hex_len = strlen(order_hex);
    int nonzero = 0, less = 0, decided = 0;
    if (hex_len != 2 * size)
        return 0;
    for (size_t i = 0; i < size; i++) {
        int hi = hex_nibble(order_hex[2 * i]), lo = hex_nibble(order_hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return 0;
        uint8_t n = (uint8_t)(hi << 4 | lo);
        nonzero |= d[i] != 0;
        if (!decided && d[i] != n) {
            less = d[i] < n;
            decided = 1;
        }
    }
    return nonzero && less;
}

/* A NIST-curve key from our random bytes: draw until the scalar is in [1, n-1]. */
static int ec_keygen(int curve, tlsflow_random_fn rnd, void *rnd_ctx, uint8_t *priv, size_t size,
                     uint8_t *pub, size_t *pub_len, WC_RNG *rng)
{
    /* rng: blinding only, the point depends on the scalar alone */
    const ecc_set_type *dp = wc_ecc_get_curve_params(wc_ecc_get_curve_idx(curve));
    int ret = -1, drawn = 0;
    for (int tries = 0; tries < 32 && !drawn; tries++) {
        if (rnd(rnd_ctx, priv, size) != 0)
            return -1;
        drawn = scalar_in_range(priv, size, dp ? dp->order : "");
    }
    ecc_key key;
    word32 n = (word32)(1 + 2 * size);
    if (!drawn || !rng)
        return -1;
    if (TF_WC(wc_ecc_init(&key)) == 0) {
        if (TF_WC(wc_ecc_import_private_key_ex(priv, (word32)size, NULL, 0, &key, curve)) == 0 &&
            TF_WC(wc_ecc_make_pub_ex(&key, NULL, rng)) == 0 &&
            TF_WC(wc_ecc_export_x963(&key, pub, &n)) == 0 && n == 1 + 2 * size) {
            *pub_len = n;
            ret = 0;
        }
        wc_ecc_free(&key);
    }
    return ret;
}

int tf_ecdhe_keygen(uint16_t group, tlsflow_random_fn rnd, void *rnd_ctx,
                    uint8_t priv[TF_MAX_KX_SECRET], size_t *priv_len, uint8_t *pub, size_t *pub_len,
                    tf_drbg *blind)
{
    int ret = -1;
    if (group == TLSFLOW_GROUP_X25519) {
        *priv_len = *pub_len = X25519_LEN;
        ret = x25519_keygen(rnd, rnd_ctx, priv, pub);
    } else if (curve_of_group(group) != ECC_CURVE_INVALID) {
        int curve = curve_of_group(group);
        *priv_len = (size_t)wc_ecc_get_curve_size_from_id(curve);
        ret = ec_keygen(curve, rnd, rnd_ctx, priv, *priv_len, pub, pub_len, drbg_rng(blind));
    }
    if (ret != 0)
        tf_wipe(priv, TF_MAX_KX_SECRET);
    return ret;
}

/* An uncompressed point (X9.62 form 0x04) of the right size that lies on the curve. */
static int ec_import_peer(int curve, const uint8_t *pub, size_t len, ecc_key *key)
{
    size_t size = (size_t)wc_ecc_get_curve_size_from_id(curve);
    if (len != 1 + 2 * size || pub[0] != 0x04 || TF_WC(wc_ecc_init(key)) != 0)
        return -1;
    if (TF_WC(wc_ecc_import_x963_ex(pub, (word32)len, key, curve)) != 0 ||
        TF_WC(wc_ecc_check_key(key)) != 0) {
        wc_ecc_free(key);
        return -1;
    }
    return 0;
}

int tf_ecdhe_check_public(uint16_t group, const uint8_t *pub, size_t len)
{
    if (group == TLSFLOW_GROUP_X25519)
        return len == X25519_LEN ? 0 : -1; /* every u-coordinate is usable; see tf_ecdhe_shared */
    int curve = curve_of_group(group);
    ecc_key key;
    if (curve == ECC_CURVE_INVALID || ec_import_peer(curve, pub, len, &key) != 0)
        return -1;
    wc_ecc_free(&key);
    return 0;
}

/* wc_curve25519_generic takes and returns RFC 7748 byte strings (little-endian, as on
 * the wire; checked against the RFC's vectors in the tests), so no key objects or
 * endianness flags are involved; wc_curve25519_import_public_ex would instead refuse a
 * u-coordinate with its top bit set, which RFC 7748 §5 says to ignore. */
static int x25519_shared(const uint8_t *priv, const uint8_t *peer, uint8_t *out)
{
    uint8_t u[X25519_LEN], acc = 0;
    memcpy(u, peer, X25519_LEN);
    u[31] &= 0x7F; /* RFC 7748 §5: the top bit of a received u-coordinate is ignored */
    if (TF_WC(wc_curve25519_generic(X25519_LEN, out, X25519_LEN, priv, X25519_LEN, u)) != 0)
        return -1;
    for (size_t i = 0; i < X25519_LEN; i++)
        acc |= out[i];
    return acc ? 0 : -1; /* all zero: the peer sent a small-order point */
}

static int ec_shared(int curve, const uint8_t *priv, size_t priv_len, const uint8_t *peer,
                     size_t peer_len, uint8_t *out, size_t *out_len, WC_RNG *rng)
{
    ecc_key mine, theirs; /* rng: blinding only */
    word32 n = TF_MAX_KX_SECRET;
    int ret = -1;
    if (!rng || ec_import_peer(curve, peer, peer_len, &theirs) != 0)
        return -1;
    if (TF_WC(wc_ecc_init(&mine)) == 0) {
        if (TF_WC(wc_ecc_import_private_key_ex(priv, (word32)priv_len, NULL, 0, &mine, curve)) ==
                0 &&
            TF_WC(wc_ecc_set_rng(&mine, rng)) == 0 &&
            TF_WC(wc_ecc_shared_secret(&mine, &theirs, out, &n)) == 0) {
            *out_len = n;
            ret = 0;
        }
        wc_ecc_free(&mine);
    }
    wc_ecc_free(&theirs);
    return ret;
}

int tf_ecdhe_shared(uint16_t group, const uint8_t *priv, size_t priv_len, const uint8_t *peer,
                    size_t peer_len, uint8_t out[TF_MAX_KX_SECRET], size_t *out_len, tf_drbg *blind)
{
    int ret = -1;
    if (group == TLSFLOW_GROUP_X25519) {
        if (priv_len == X25519_LEN && peer_len == X25519_LEN &&
            x25519_shared(priv, peer, out) == 0) {
            *out_len = X25519_LEN;
            ret = 0;
        }
    } else if (curve_of_group(group) != ECC_CURVE_INVALID) {
        ret = ec_shared(curve_of_group(group), priv, priv_len, peer, peer_len, out, out_len,
                        drbg_rng(blind));
    }
    if (ret != 0)
        tf_wipe(out, TF_MAX_KX_SECRET);
    return ret;
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
