/* wolfCrypt called directly: the cost floor of a handshake's and a record's crypto. */
#include "raw_crypto.h"

#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/chacha20_poly1305.h>
#include <wolfssl/wolfcrypt/curve25519.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/kdf.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/rsa.h>
#include <wolfssl/wolfcrypt/sha256.h>
#include <wolfssl/wolfcrypt/sha512.h>

#include "bench_util.h"

#define MIN_ITER 3

static WC_RNG rng;
static int rng_ready;
static RsaKey server_rsa, ca_rsa;
static int have_server_rsa, have_ca_rsa;
static uint8_t server_spki[1024];
static word32 server_spki_len;
static ecc_key server_ec;
static int have_server_ec;
static _Alignas(64) uint8_t buf_in[16384 + 64], buf_out[16384 + 64];

/* ---- loading ------------------------------------------------------------------------ */

static int pem_to_der(const char *pem, size_t len, uint8_t **der, word32 *der_len)
{
    *der = malloc(len);
    if (*der == NULL)
        return -1;
    int n = wc_KeyPemToDer((const unsigned char *)pem, (int)len, *der, (int)len, NULL);
    if (n <= 0) {
        free(*der);
        return -1;
    }
    *der_len = (word32)n;
    word32 off = 0;
    int r = wc_GetPkcs8TraditionalOffset(*der, &off, *der_len);
    if (r >= 0 && off > 0) {
        memmove(*der, *der + off, *der_len - off);
        *der_len -= off;
    }
    return 0;
}

static int load_rsa(const char *pem, size_t len, RsaKey *key)
{
    uint8_t *der;
    word32 der_len, idx = 0;
    if (pem == NULL || pem_to_der(pem, len, &der, &der_len) != 0)
        return -1;
    int ok = wc_InitRsaKey(key, NULL) == 0 && wc_RsaPrivateKeyDecode(der, &idx, key, der_len) == 0;
    free(der);
    if (ok)
        wc_RsaSetRNG(key, &rng); /* blinding, as a server does */
    return ok ? 0 : -1;
}

int raw_init(const char *rsa_key_pem, size_t rsa_len, const char *ca_key_pem, size_t ca_len,
             const char *ec_key_pem, size_t ec_len)
{
    if (wc_InitRng(&rng) != 0)
        return -1;
    rng_ready = 1;
    have_server_rsa = load_rsa(rsa_key_pem, rsa_len, &server_rsa) == 0;
    have_ca_rsa = load_rsa(ca_key_pem, ca_len, &ca_rsa) == 0;
    if (!have_server_rsa || !have_ca_rsa)
        return -1;
    int n = wc_RsaKeyToPublicDer(&server_rsa, server_spki, sizeof(server_spki));
    if (n <= 0)
        return -1;
    server_spki_len = (word32)n;
    if (ec_key_pem != NULL) {
        uint8_t *der;
        word32 der_len, idx = 0;
        if (pem_to_der(ec_key_pem, ec_len, &der, &der_len) == 0) {
            have_server_ec = wc_ecc_init(&server_ec) == 0 &&
                             wc_EccPrivateKeyDecode(der, &idx, &server_ec, der_len) == 0;
            if (have_server_ec)
                wc_ecc_set_rng(&server_ec, &rng);
            free(der);
        }
    }
    for (size_t i = 0; i < sizeof(buf_in); i++)
        buf_in[i] = (uint8_t)(i * 31 + 7);
    return 0;
}

void raw_cleanup(void)
{
    if (have_server_rsa)
        wc_FreeRsaKey(&server_rsa);
    if (have_ca_rsa)
        wc_FreeRsaKey(&ca_rsa);
    if (have_server_ec)
        wc_ecc_free(&server_ec);
    if (rng_ready)
        wc_FreeRng(&rng);
    have_server_rsa = have_ca_rsa = have_server_ec = rng_ready = 0;
}

/* ---- timing --------------------------------------------------------------------------- */

/* Runs `op` in a bounded loop and returns the median time per op in microseconds; an
 * op returning nonzero aborts the figure (-1). Short ops run in batches (one sample ~
 * 20 us) so the clock's own cost stays small; ops that need untimed preparation do it
 * in `prep` and run one per sample. */
typedef int (*raw_op)(void *arg);

#define MAX_SAMPLES 200000

static double samples[MAX_SAMPLES];

static double measure(raw_op prep, raw_op op, void *arg, double seconds)
{
    bench_loop l;
    if ((prep && prep(arg) != 0) || op(arg) != 0) /* warm-up; checks the op works here */
        return -1;
    if (prep && prep(arg) != 0) /* an op that consumes its input needs it again */
        return -1;
    uint64_t t0 = bench_now_ns();
    if (op(arg) != 0)
        return -1;
    double one = (double)(bench_now_ns() - t0);
    long batch = prep || one >= 20000 ? 1 : (long)(20000 / (one + 1)) + 1;
    size_t n = 0;
    bench_loop_init(&l, MIN_ITER, MAX_SAMPLES, seconds);
    while (bench_loop_next(&l)) {
        if (prep && prep(arg) != 0)
            return -1;
        int r = 0;
        t0 = bench_now_ns();
        for (long i = 0; i < batch && r == 0; i++)
            r = op(arg);
        double ns = (double)(bench_now_ns() - t0) - bench_clock_ns();
        if (r != 0)
            return -1;
        samples[n++] = ns / (double)batch;
    }
    return bench_median(samples, n) / 1000.0;
}

/* ---- RSA ---------------------------------------------------------------------------------- */

typedef struct {
    uint8_t ct[512];
    word32 ct_len;
    uint8_t sig[512];
    word32 sig_len;
    uint8_t digest[64];
    raw_sig alg;
} rsa_state;

static int op_rsa_decrypt(void *arg)
{
    rsa_state *s = arg;
    uint8_t out[512];
    return wc_RsaPrivateDecrypt(s->ct, s->ct_len, out, sizeof(out), &server_rsa) == 48 ? 0 : -1;
}

static int op_rsa_encrypt(void *arg)
{
    rsa_state *s = arg;
    int n = wc_RsaPublicEncrypt(buf_in, 48, s->ct, sizeof(s->ct), &server_rsa, &rng);
    if (n <= 0)
        return -1;
    s->ct_len = (word32)n;
    return 0;
}

double raw_rsa_encrypt_us(double seconds)
{
    rsa_state s;
    return measure(NULL, op_rsa_encrypt, &s, seconds);
}

double raw_rsa_decrypt_us(double seconds)
{
    rsa_state s;
    if (op_rsa_encrypt(&s) != 0)
        return -1;
    return measure(NULL, op_rsa_decrypt, &s, seconds);
}

static int op_pub_decode(void *arg)
{
    (void)arg;
    RsaKey k;
    word32 idx = 0;
    if (wc_InitRsaKey(&k, NULL) != 0)
        return -1;
    int r = wc_RsaPublicKeyDecode(server_spki, &idx, &k, server_spki_len);
    wc_FreeRsaKey(&k);
    return r == 0 ? 0 : -1;
}

double raw_rsa_pub_decode_us(double seconds)
{
    return measure(NULL, op_pub_decode, NULL, seconds);
}

/* PKCS#1 v1.5 signature input: DigestInfo(SHA-256) || digest. */
static word32 digest_info(const uint8_t digest[32], uint8_t *out)
{
    static const uint8_t prefix[] = {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
                                     0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20};
    memcpy(out, prefix, sizeof(prefix));
    memcpy(out + sizeof(prefix), digest, 32);
    return (word32)sizeof(prefix) + 32;
}

static int op_ca_verify(void *arg)
{
    rsa_state *s = arg;
    uint8_t out[512];
    return wc_RsaSSL_Verify(s->sig, s->sig_len, out, sizeof(out), &ca_rsa) > 0 ? 0 : -1;
}

double raw_rsa_verify_us(double seconds)
{
    rsa_state s;
    uint8_t di[64];
    memset(s.digest, 0x5a, 32);
    word32 n = digest_info(s.digest, di);
    int r = wc_RsaSSL_Sign(di, n, s.sig, sizeof(s.sig), &ca_rsa, &rng);
    if (r <= 0)
        return -1;
    s.sig_len = (word32)r;
    return measure(NULL, op_ca_verify, &s, seconds);
}

static int op_sign(void *arg)
{
    rsa_state *s = arg;
    uint8_t di[64];
    int r;
    if (s->alg == RAW_SIG_RSA_PKCS1) {
        word32 n = digest_info(s->digest, di);
        r = wc_RsaSSL_Sign(di, n, s->sig, sizeof(s->sig), &server_rsa, &rng);
    } else if (s->alg == RAW_SIG_RSA_PSS) {
        r = wc_RsaPSS_Sign(s->digest, 32, s->sig, sizeof(s->sig), WC_HASH_TYPE_SHA256,
                           WC_MGF1SHA256, &server_rsa, &rng);
    } else {
        word32 len = sizeof(s->sig);
        if (!have_server_ec)
            return -1;
        r = wc_ecc_sign_hash(s->digest, 32, s->sig, &len, &rng, &server_ec) == 0 ? (int)len : -1;
    }
    if (r <= 0)
        return -1;
    s->sig_len = (word32)r;
    return 0;
}

static int op_verify(void *arg)
{
    rsa_state *s = arg;
    uint8_t out[512];
    if (s->alg == RAW_SIG_RSA_PKCS1)
        return wc_RsaSSL_Verify(s->sig, s->sig_len, out, sizeof(out), &server_rsa) > 0 ? 0 : -1;
    if (s->alg == RAW_SIG_RSA_PSS) {
        uint8_t sig[512];
        memcpy(sig, s->sig, s->sig_len);
        int n = wc_RsaPSS_Verify(sig, s->sig_len, out, sizeof(out), WC_HASH_TYPE_SHA256,
                                 WC_MGF1SHA256, &server_rsa);
        if (n <= 0)
            return -1;
        return wc_RsaPSS_CheckPadding(s->digest, 32, out, (word32)n, WC_HASH_TYPE_SHA256) == 0 ? 0
                                                                                               : -1;
    }
    int res = 0;
    return wc_ecc_verify_hash(s->sig, s->sig_len, s->digest, 32, &res, &server_ec) == 0 && res == 1
               ? 0
               : -1;
}

double raw_sign_us(raw_sig alg, double seconds)
{
    rsa_state s;
    s.alg = alg;
    memset(s.digest, 0x3c, 32);
    return measure(NULL, op_sign, &s, seconds);
}

double raw_verify_us(raw_sig alg, double seconds)
{
    rsa_state s;
    s.alg = alg;
    memset(s.digest, 0x3c, 32);
    if (op_sign(&s) != 0)
        return -1;
    return measure(NULL, op_verify, &s, seconds);
}

/* ---- ephemeral key agreement ----------------------------------------------------------- */

typedef struct {
    raw_group g;
    uint8_t peer_pub[160];
    word32 peer_pub_len;
    uint8_t priv_buf[64];
    ecc_key mine;
    curve25519_key mine25519;
    int mine_ready;
} kx_state;

static int ecc_curve(raw_group g)
{
    return g == RAW_P384 ? ECC_SECP384R1 : ECC_SECP256R1;
}

static int ecc_size(raw_group g)
{
    return g == RAW_P384 ? 48 : 32;
}

static void kx_drop_mine(kx_state *s)
{
    if (!s->mine_ready)
        return;
    if (s->g == RAW_X25519)
        wc_curve25519_free(&s->mine25519);
    else
        wc_ecc_free(&s->mine);
    s->mine_ready = 0;
}

static int op_kx_keygen(void *arg)
{
    kx_state *s = arg;
    uint8_t pub[160];
    word32 len = sizeof(pub);
    int ok;
    kx_drop_mine(s);
    if (s->g == RAW_X25519) {
        ok = wc_curve25519_init(&s->mine25519) == 0 &&
             wc_curve25519_make_key(&rng, 32, &s->mine25519) == 0 &&
             wc_curve25519_export_public_ex(&s->mine25519, pub, &len, EC25519_LITTLE_ENDIAN) == 0;
    } else {
        ok = wc_ecc_init(&s->mine) == 0 &&
             wc_ecc_make_key_ex(&rng, ecc_size(s->g), &s->mine, ecc_curve(s->g)) == 0 &&
             wc_ecc_export_x963(&s->mine, pub, &len) == 0;
        if (ok)
            wc_ecc_set_rng(&s->mine, &rng);
    }
    s->mine_ready = 1;
    return ok ? 0 : -1;
}

/* Untimed: a fresh key of ours and a fresh peer public value. */
static int prep_kx_shared(void *arg)
{
    kx_state *s = arg;
    kx_state peer;
    memset(&peer, 0, sizeof(peer));
    peer.g = s->g;
    if (op_kx_keygen(s) != 0 || op_kx_keygen(&peer) != 0)
        return -1;
    s->peer_pub_len = sizeof(s->peer_pub);
    int ok = s->g == RAW_X25519
                 ? wc_curve25519_export_public_ex(&peer.mine25519, s->peer_pub, &s->peer_pub_len,
                                                  EC25519_LITTLE_ENDIAN) == 0
                 : wc_ecc_export_x963(&peer.mine, s->peer_pub, &s->peer_pub_len) == 0;
    kx_drop_mine(&peer);
    return ok ? 0 : -1;
}

/* Import the peer's value (checked) and compute the shared secret. */
static int op_kx_shared(void *arg)
{
    kx_state *s = arg;
    uint8_t secret[64];
    word32 len = sizeof(secret);
    int ok;
    if (s->g == RAW_X25519) {
        curve25519_key peer;
        ok = wc_curve25519_init(&peer) == 0 &&
             wc_curve25519_check_public(s->peer_pub, s->peer_pub_len, EC25519_LITTLE_ENDIAN) == 0 &&
             wc_curve25519_import_public_ex(s->peer_pub, s->peer_pub_len, &peer,
                                            EC25519_LITTLE_ENDIAN) == 0 &&
             wc_curve25519_shared_secret_ex(&s->mine25519, &peer, secret, &len,
                                            EC25519_LITTLE_ENDIAN) == 0;
        wc_curve25519_free(&peer);
    } else {
        ecc_key peer;
        ok = wc_ecc_init(&peer) == 0 &&
             wc_ecc_import_x963_ex(s->peer_pub, s->peer_pub_len, &peer, ecc_curve(s->g)) == 0 &&
             wc_ecc_check_key(&peer) == 0 &&
             wc_ecc_shared_secret(&s->mine, &peer, secret, &len) == 0;
        wc_ecc_free(&peer);
    }
    return ok ? 0 : -1;
}

double raw_ecdhe_keygen_us(raw_group g, double seconds)
{
    kx_state s;
    memset(&s, 0, sizeof(s));
    s.g = g;
    double us = measure(NULL, op_kx_keygen, &s, seconds);
    kx_drop_mine(&s);
    return us;
}

double raw_ecdhe_shared_us(raw_group g, double seconds)
{
    kx_state s;
    memset(&s, 0, sizeof(s));
    s.g = g;
    if (prep_kx_shared(&s) != 0)
        return -1;
    double us = measure(prep_kx_shared, op_kx_shared, &s, seconds);
    kx_drop_mine(&s);
    return us;
}

/* ---- PRF, hashes ---------------------------------------------------------------------------- */

typedef struct {
    raw_hash h;
    size_t len;
    wc_Sha256 s256;
    wc_Sha384 s384;
} hash_state;

static int op_prf(void *arg)
{
    hash_state *s = arg;
    uint8_t out[256];
    static const char label[] = "key expansion";
    return wc_PRF_TLS(out, (word32)s->len, buf_in, 48, (const byte *)label, sizeof(label) - 1,
                      buf_in + 48, 64, 1, s->h == RAW_SHA384 ? sha384_mac : sha256_mac, NULL,
                      INVALID_DEVID);
}

double raw_prf_us(raw_hash h, size_t out_len, double seconds)
{
    hash_state s;
    s.h = h;
    s.len = out_len > 256 ? 256 : out_len;
    return measure(NULL, op_prf, &s, seconds);
}

static int op_hash(void *arg)
{
    hash_state *s = arg;
    uint8_t out[64];
    if (s->h == RAW_SHA384)
        return wc_InitSha384(&s->s384) || wc_Sha384Update(&s->s384, buf_in, (word32)s->len) ||
               wc_Sha384Final(&s->s384, out);
    return wc_InitSha256(&s->s256) || wc_Sha256Update(&s->s256, buf_in, (word32)s->len) ||
           wc_Sha256Final(&s->s256, out);
}

double raw_hash_us(raw_hash h, size_t bytes, double seconds)
{
    hash_state s;
    s.h = h;
    s.len = bytes > sizeof(buf_in) ? sizeof(buf_in) : bytes;
    return measure(NULL, op_hash, &s, seconds);
}

static int op_hash_peek(void *arg)
{
    hash_state *s = arg;
    uint8_t out[64];
    int r;
    if (s->h == RAW_SHA384) {
        wc_Sha384 copy;
        r = wc_Sha384Copy(&s->s384, &copy) || wc_Sha384Final(&copy, out);
        wc_Sha384Free(&copy);
    } else {
        wc_Sha256 copy;
        r = wc_Sha256Copy(&s->s256, &copy) || wc_Sha256Final(&copy, out);
        wc_Sha256Free(&copy);
    }
    return r;
}

double raw_hash_peek_us(raw_hash h, double seconds)
{
    hash_state s;
    s.h = h;
    if (wc_InitSha256(&s.s256) || wc_InitSha384(&s.s384) || wc_Sha256Update(&s.s256, buf_in, 100) ||
        wc_Sha384Update(&s.s384, buf_in, 100))
        return -1;
    double us = measure(NULL, op_hash_peek, &s, seconds);
    wc_Sha256Free(&s.s256);
    wc_Sha384Free(&s.s384);
    return us;
}

/* ---- AEAD -------------------------------------------------------------------------------------
 */

typedef struct {
    raw_aead a;
    size_t len;
    size_t off; /* where the ciphertext starts in buf_out (the engine's layout: 13) */
    Aes aes;
    int aes_ready;
    uint8_t key[32], nonce[12], aad[13], tag[16];
} aead_state;

static size_t aead_key_len(raw_aead a)
{
    return a == RAW_AES128_GCM ? 16 : 32;
}

static int op_aead_setup(void *arg)
{
    aead_state *s = arg;
    if (s->a == RAW_CHACHA20_POLY1305)
        return 0; /* one-shot API: the key is taken per record */
    if (s->aes_ready)
        wc_AesFree(&s->aes);
    s->aes_ready = wc_AesInit(&s->aes, NULL, INVALID_DEVID) == 0 &&
                   wc_AesGcmSetKey(&s->aes, s->key, (word32)aead_key_len(s->a)) == 0;
    return s->aes_ready ? 0 : -1;
}

static int op_aead_seal(void *arg)
{
    aead_state *s = arg;
    if (s->a == RAW_CHACHA20_POLY1305)
        return wc_ChaCha20Poly1305_Encrypt(s->key, s->nonce, s->aad, 13, buf_in, (word32)s->len,
                                           buf_out + s->off, s->tag);
    return wc_AesGcmEncrypt(&s->aes, buf_out + s->off, buf_in, (word32)s->len, s->nonce, 12, s->tag,
                            16, s->aad, 13);
}

/* Open buf_out (sealed once, untimed) into buf_in2: out of place, so every run sees
 * the same ciphertext. */
static _Alignas(64) uint8_t buf_in2[16384 + 64];

static int op_aead_open(void *arg)
{
    aead_state *s = arg;
    if (s->a == RAW_CHACHA20_POLY1305)
        return wc_ChaCha20Poly1305_Decrypt(s->key, s->nonce, s->aad, 13, buf_out, (word32)s->len,
                                           s->tag, buf_in2);
    return wc_AesGcmDecrypt(&s->aes, buf_in2, buf_out, (word32)s->len, s->nonce, 12, s->tag, 16,
                            s->aad, 13);
}

/* The engine's way: decrypt in place where the record sits (prep re-seals, untimed). */
static int op_aead_open_in_place(void *arg)
{
    aead_state *s = arg;
    uint8_t *p = buf_out + s->off;
    if (s->a == RAW_CHACHA20_POLY1305)
        return wc_ChaCha20Poly1305_Decrypt(s->key, s->nonce, s->aad, 13, p, (word32)s->len, s->tag,
                                           p);
    return wc_AesGcmDecrypt(&s->aes, p, p, (word32)s->len, s->nonce, 12, s->tag, 16, s->aad, 13);
}

static void aead_prepare(aead_state *s, raw_aead a, size_t len)
{
    memset(s, 0, sizeof(*s));
    s->a = a;
    s->len = len > 16384 ? 16384 : len;
    memset(s->key, 0x11, sizeof(s->key));
    memset(s->nonce, 0x22, sizeof(s->nonce));
    memset(s->aad, 0x33, sizeof(s->aad));
}

double raw_aead_setup_us(raw_aead a, double seconds)
{
    aead_state s;
    aead_prepare(&s, a, 0);
    double us = measure(NULL, op_aead_setup, &s, seconds);
    if (s.aes_ready)
        wc_AesFree(&s.aes);
    return us;
}

double raw_aead_seal_us(raw_aead a, size_t len, double seconds)
{
    aead_state s;
    aead_prepare(&s, a, len);
    double us = op_aead_setup(&s) == 0 ? measure(NULL, op_aead_seal, &s, seconds) : -1;
    if (s.aes_ready)
        wc_AesFree(&s.aes);
    return us;
}

double raw_aead_seal_at_us(raw_aead a, size_t len, size_t offset, double seconds)
{
    aead_state s;
    aead_prepare(&s, a, len);
    s.off = offset > 32 ? 32 : offset;
    double us = op_aead_setup(&s) == 0 ? measure(NULL, op_aead_seal, &s, seconds) : -1;
    if (s.aes_ready)
        wc_AesFree(&s.aes);
    return us;
}

double raw_aead_open_in_place_at_us(raw_aead a, size_t len, size_t offset, double seconds)
{
    aead_state s;
    aead_prepare(&s, a, len);
    s.off = offset > 32 ? 32 : offset;
    double us = -1;
    if (op_aead_setup(&s) == 0)
        us = measure(op_aead_seal, op_aead_open_in_place, &s, seconds);
    if (s.aes_ready)
        wc_AesFree(&s.aes);
    return us;
}

double raw_aead_open_us(raw_aead a, size_t len, double seconds)
{
    aead_state s;
    aead_prepare(&s, a, len);
    double us = -1;
    if (op_aead_setup(&s) == 0 && op_aead_seal(&s) == 0)
        us = measure(NULL, op_aead_open, &s, seconds);
    if (s.aes_ready)
        wc_AesFree(&s.aes);
    return us;
}

/* ---- randomness
 * ---------------------------------------------------------------------------------- */

static int op_rng(void *arg)
{
    return wc_RNG_GenerateBlock(&rng, buf_out, (word32)(size_t)arg);
}

double raw_rng_us(size_t bytes, double seconds)
{
    return measure(NULL, op_rng, (void *)(bytes > 1024 ? 1024 : bytes), seconds);
}

static int op_rng_init(void *arg)
{
    (void)arg;
    WC_RNG r;
    if (wc_InitRng(&r) != 0)
        return -1;
    wc_FreeRng(&r);
    return 0;
}

double raw_rng_init_us(double seconds)
{
    return measure(NULL, op_rng_init, NULL, seconds);
}
