/* The primitives that bound a handshake or a record, on this build's wolfCrypt and on
 * OpenSSL's libcrypto, alternating in rounds so that load on the machine hits both alike:
 * where a socket or in-process target is limited by wolfCrypt itself (the RSA-2048 private
 * operation of every RSA handshake, ChaCha20-Poly1305 records), the report puts these
 * figures beside the verdict.
 *
 *   bench_prims [--seconds S] [--smoke]
 *
 * Same keys as the handshakes (tests/fixtures/server.key, server-ec.key). Each figure is
 * the median over rounds of each round's median per-operation time.
 * Result keys: prims.<lib>.<op>.us (and .MBps for the 16 KiB AEAD seals), lib = wolfcrypt
 * | openssl; op = rsa2048_decrypt, rsa2048_pss_sign, ecdsa_p256_sign, x25519 (key pair +
 * shared secret), aes128gcm_16k, chacha20poly1305_16k. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "bench_util.h"
#include "engine_pump.h"
#include "raw_crypto.h"

#define ROUNDS      7
#define MAX_SAMPLES 100000

enum { OP_RSA_DEC, OP_RSA_PSS, OP_ECDSA, OP_X25519, OP_AES128, OP_CHACHA, N_OPS };
static const char *const OP_NAME[N_OPS] = {"rsa2048_decrypt", "rsa2048_pss_sign",
                                           "ecdsa_p256_sign", "x25519",
                                           "aes128gcm_16k",   "chacha20poly1305_16k"};
static const char *const OP_TEXT[N_OPS] = {"RSA-2048 private decrypt (PKCS#1 v1.5)",
                                           "RSA-2048 sign (PSS, SHA-256)",
                                           "ECDSA P-256 sign (SHA-256 digest)",
                                           "X25519 key pair + shared secret",
                                           "AES-128-GCM seal, 16 KiB",
                                           "ChaCha20-Poly1305 seal, 16 KiB"};

/* ---- OpenSSL's side ----------------------------------------------------------------------- */

static EVP_PKEY *o_rsa, *o_ec;
static unsigned char o_ct[512], o_in[16384], o_out[16384 + 32];
static size_t o_ct_len;
static double o_samples[MAX_SAMPLES];

static EVP_PKEY *load_key(const bench_blob *b)
{
    BIO *bio = BIO_new_mem_buf(b->p, (int)b->len);
    EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return k;
}

static int o_rsa_dec(void)
{
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(o_rsa, NULL);
    unsigned char pt[512];
    size_t n = sizeof(pt);
    int ok = c && EVP_PKEY_decrypt_init(c) == 1 &&
             EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
             EVP_PKEY_decrypt(c, pt, &n, o_ct, o_ct_len) == 1 && n == 48;
    EVP_PKEY_CTX_free(c);
    return ok ? 0 : -1;
}

static int o_sign(EVP_PKEY *k, int pss)
{
    unsigned char digest[32], sig[512];
    memset(digest, 0x3c, sizeof(digest));
    size_t n = sizeof(sig);
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(k, NULL);
    int ok = c && EVP_PKEY_sign_init(c) == 1 &&
             (!pss || (EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PSS_PADDING) == 1 &&
                       EVP_PKEY_CTX_set_rsa_pss_saltlen(c, RSA_PSS_SALTLEN_DIGEST) == 1)) &&
             EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()) == 1 &&
             EVP_PKEY_sign(c, sig, &n, digest, sizeof(digest)) == 1;
    EVP_PKEY_CTX_free(c);
    return ok ? 0 : -1;
}

static EVP_PKEY *o_peer; /* a fresh X25519 peer per round (its key generation untimed) */

static int o_x25519(void)
{
    EVP_PKEY *mine = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    EVP_PKEY_CTX *c = mine ? EVP_PKEY_CTX_new(mine, NULL) : NULL;
    unsigned char z[32];
    size_t n = sizeof(z);
    int ok = c && EVP_PKEY_derive_init(c) == 1 && EVP_PKEY_derive_set_peer(c, o_peer) == 1 &&
             EVP_PKEY_derive(c, z, &n) == 1;
    EVP_PKEY_CTX_free(c);
    EVP_PKEY_free(mine);
    return ok ? 0 : -1;
}

/* One 16 KiB record sealed under a context keyed once (as a connection does), 13-byte AAD. */
static EVP_CIPHER_CTX *o_aead[2];

static int o_seal(int which)
{
    EVP_CIPHER_CTX *c = o_aead[which];
    static const unsigned char iv[12], aad[13];
    unsigned char tag[16];
    int n = 0, m = 0;
    int ok = EVP_EncryptInit_ex(c, NULL, NULL, NULL, iv) == 1 &&
             EVP_EncryptUpdate(c, NULL, &n, aad, sizeof(aad)) == 1 &&
             EVP_EncryptUpdate(c, o_out, &n, o_in, sizeof(o_in)) == 1 &&
             EVP_EncryptFinal_ex(c, o_out + n, &m) == 1 &&
             EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, tag) == 1;
    return ok ? 0 : -1;
}

static int o_op(int op)
{
    switch (op) {
    case OP_RSA_DEC:
        return o_rsa_dec();
    case OP_RSA_PSS:
        return o_sign(o_rsa, 1);
    case OP_ECDSA:
        return o_ec ? o_sign(o_ec, 0) : -1;
    case OP_X25519:
        return o_x25519();
    case OP_AES128:
        return o_seal(0);
    default:
        return o_seal(1);
    }
}

/* Median microseconds per OpenSSL operation over `seconds`. */
static double o_measure(int op, double seconds)
{
    if (o_op(op) != 0)
        return -1;
    bench_loop l;
    size_t n = 0;
    bench_loop_init(&l, 3, MAX_SAMPLES, seconds);
    while (bench_loop_next(&l)) {
        uint64_t t0 = bench_now_ns();
        if (o_op(op) != 0)
            return -1;
        o_samples[n++] = ((double)(bench_now_ns() - t0) - bench_clock_ns()) / 1000.0;
    }
    return bench_median(o_samples, n);
}

static int o_init(const bench_fx *fx)
{
    o_rsa = load_key(&fx->rsa_key);
    o_ec = fx->ec_key.p ? load_key(&fx->ec_key) : NULL;
    o_peer = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
    if (!o_rsa || !o_peer)
        return -1;
    unsigned char pm[48];
    memset(pm, 3, sizeof(pm));
    EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(o_rsa, NULL);
    o_ct_len = sizeof(o_ct);
    int ok = c && EVP_PKEY_encrypt_init(c) == 1 &&
             EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
             EVP_PKEY_encrypt(c, o_ct, &o_ct_len, pm, sizeof(pm)) == 1;
    EVP_PKEY_CTX_free(c);
    static const unsigned char key[32] = {1, 2, 3};
    const EVP_CIPHER *ciph[2] = {EVP_aes_128_gcm(), EVP_chacha20_poly1305()};
    for (int i = 0; i < 2 && ok; i++) {
        o_aead[i] = EVP_CIPHER_CTX_new();
        ok = o_aead[i] && EVP_EncryptInit_ex(o_aead[i], ciph[i], NULL, key, NULL) == 1;
    }
    return ok ? 0 : -1;
}

static void o_free(void)
{
    EVP_PKEY_free(o_rsa);
    EVP_PKEY_free(o_ec);
    EVP_PKEY_free(o_peer);
    EVP_CIPHER_CTX_free(o_aead[0]);
    EVP_CIPHER_CTX_free(o_aead[1]);
}

/* ---- wolfCrypt's side: the measurements the handshake floor uses ------------------------- */

static double w_measure(int op, double seconds)
{
    switch (op) {
    case OP_RSA_DEC:
        return raw_rsa_decrypt_us(seconds);
    case OP_RSA_PSS:
        return raw_sign_us(RAW_SIG_RSA_PSS, seconds);
    case OP_ECDSA:
        return raw_sign_us(RAW_SIG_ECDSA, seconds);
    case OP_X25519: {
        double a = raw_ecdhe_keygen_us(RAW_X25519, seconds / 2),
               b = raw_ecdhe_shared_us(RAW_X25519, seconds / 2);
        return a < 0 || b < 0 ? -1 : a + b;
    }
    case OP_AES128:
        return raw_aead_seal_us(RAW_AES128_GCM, 16384, seconds);
    default:
        return raw_aead_seal_us(RAW_CHACHA20_POLY1305, 16384, seconds);
    }
}

int main(int argc, char **argv)
{
    bench_opts o;
    bench_parse(&o, argc, argv);
    bench_fx fx;
    bench_fx_load(&fx);
    if (raw_init((const char *)fx.rsa_key.p, fx.rsa_key.len, (const char *)fx.ca_key.p,
                 fx.ca_key.len, (const char *)fx.ec_key.p, fx.ec_key.len) != 0 ||
        o_init(&fx) != 0) {
        fprintf(stderr, "bench_prims: cannot load the fixture keys\n");
        return 1;
    }
    int rounds = o.smoke ? 1 : ROUNDS;
    double per = o.smoke ? 0.002 : o.seconds / 4;
    static double w[N_OPS][ROUNDS], s[N_OPS][ROUNDS];
    printf("# bench_prims: %s vs %s; one core, medians of %d alternating rounds\n",
           bench_wolf_describe(), OpenSSL_version(OPENSSL_VERSION), rounds);
    bench_result("-", 0, "build.%s", bench_wolf_build());
    for (int r = 0; r < rounds; r++)
        for (int op = 0; op < N_OPS; op++) {
            /* Alternate which library goes first, too. */
            if (r % 2) {
                s[op][r] = o_measure(op, per);
                w[op][r] = w_measure(op, per);
            } else {
                w[op][r] = w_measure(op, per);
                s[op][r] = o_measure(op, per);
            }
        }
    for (int op = 0; op < N_OPS; op++) {
        double wm = bench_median(w[op], (size_t)rounds), om = bench_median(s[op], (size_t)rounds);
        int aead = op == OP_AES128 || op == OP_CHACHA;
        printf("   %-40s wolfCrypt %9.2f us  OpenSSL %9.2f us  (wolfCrypt %.2fx OpenSSL's rate)",
               OP_TEXT[op], wm, om, wm > 0 ? om / wm : 0);
        if (aead && wm > 0 && om > 0)
            printf("  %6.0f / %6.0f MB/s", 16384.0 / wm, 16384.0 / om);
        printf("\n");
        if (wm > 0) {
            bench_result("us", wm, "prims.wolfcrypt.%s.us", OP_NAME[op]);
            if (aead)
                bench_result("MB/s", 16384.0 / wm, "prims.wolfcrypt.%s.MBps", OP_NAME[op]);
        }
        if (om > 0) {
            bench_result("us", om, "prims.openssl.%s.us", OP_NAME[op]);
            if (aead)
                bench_result("MB/s", 16384.0 / om, "prims.openssl.%s.MBps", OP_NAME[op]);
        }
    }
    o_free();
    raw_cleanup();
    bench_fx_free(&fx);
    return 0;
}
