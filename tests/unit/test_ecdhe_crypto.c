/* The crypto adapter's ECDHE, signature and ChaCha20-Poly1305 parts against RFC 7748
 * vectors and against OpenSSL's libcrypto as an independent implementation: key
 * agreement both ways, point validation, scalar generation from our random source,
 * every signature scheme made here and checked there and the reverse, key loading. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto.h"
#include "sigalg.h"
#include "tf_test.h"
#include "x509.h"

/* Blinding for private-key operations (the engine keeps one per connection). */
static tf_drbg tf_test_drbg;

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static size_t unhex(const char *h, uint8_t *out)
{
    size_t n = 0;
    for (; h[0] && h[1]; h += 2) {
        unsigned v;
        sscanf(h, "%2x", &v);
        out[n++] = (uint8_t)v;
    }
    return n;
}

/* A random source that plays back fixed bytes, so a test knows every draw. */
typedef struct {
    const uint8_t *p;
    size_t len, used;
} script;

static int scripted(void *ctx, uint8_t *out, size_t n)
{
    script *s = ctx;
    if (s->used + n > s->len)
        return -1;
    memcpy(out, s->p + s->used, n);
    s->used += n;
    return 0;
}

/* ---- X25519 --------------------------------------------------------------------------- */

static const char ALICE_PRIV[] = "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a";
static const char ALICE_PUB[] = "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a";
static const char BOB_PRIV[] = "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb";
static const char BOB_PUB[] = "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f";
static const char SHARED[] = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742";

/* RFC 7748 §6.1, with the private keys drawn from our random source. */
static void test_x25519_rfc7748(void **state)
{
    (void)state;
    uint8_t a_raw[32], b_raw[32], a_pub[32], b_pub[32], want[32];
    uint8_t a_priv[TF_MAX_KX_SECRET], b_priv[TF_MAX_KX_SECRET], pub[TF_MAX_KX_PUBLIC],
        secret[TF_MAX_KX_SECRET];
    size_t priv_len, pub_len, secret_len;
    unhex(ALICE_PRIV, a_raw);
    unhex(BOB_PRIV, b_raw);
    unhex(ALICE_PUB, a_pub);
    unhex(BOB_PUB, b_pub);
    unhex(SHARED, want);
    assert_int_equal(tf_ecdhe_public_len(TLSFLOW_GROUP_X25519), 32);

    script s = {a_raw, 32, 0};
    assert_int_equal(tf_ecdhe_keygen(TLSFLOW_GROUP_X25519, scripted, &s, a_priv, &priv_len, pub,
                                     &pub_len, &tf_test_drbg),
                     0);
    assert_int_equal(pub_len, 32);
    assert_memory_equal(pub, a_pub, 32);
    s = (script){b_raw, 32, 0};
    assert_int_equal(tf_ecdhe_keygen(TLSFLOW_GROUP_X25519, scripted, &s, b_priv, &priv_len, pub,
                                     &pub_len, &tf_test_drbg),
                     0);
    assert_memory_equal(pub, b_pub, 32);

    assert_int_equal(tf_ecdhe_check_public(TLSFLOW_GROUP_X25519, b_pub, 32), 0);
    assert_int_equal(tf_ecdhe_shared(TLSFLOW_GROUP_X25519, a_priv, 32, b_pub, 32, secret,
                                     &secret_len, &tf_test_drbg),
                     0);
    assert_int_equal(secret_len, 32);
    assert_memory_equal(secret, want, 32);
    assert_int_equal(tf_ecdhe_shared(TLSFLOW_GROUP_X25519, b_priv, 32, a_pub, 32, secret,
                                     &secret_len, &tf_test_drbg),
                     0);
    assert_memory_equal(secret, want, 32);

    /* RFC 7748 §5: the top bit of a received u-coordinate is masked, not refused. */
    a_pub[31] |= 0x80;
    assert_int_equal(tf_ecdhe_shared(TLSFLOW_GROUP_X25519, b_priv, 32, a_pub, 32, secret,
                                     &secret_len, &tf_test_drbg),
                     0);
    assert_memory_equal(secret, want, 32);
    /* Wrong sizes are refused. */
    assert_int_not_equal(tf_ecdhe_check_public(TLSFLOW_GROUP_X25519, b_pub, 31), 0);
    assert_int_not_equal(tf_ecdhe_check_public(TLSFLOW_GROUP_X25519, b_pub, 33), 0);
}

/* Small-order u-coordinates give the all-zero secret, which is refused (RFC 7748 §6.1). */
static void test_x25519_small_order_points(void **state)
{
    (void)state;
    static const char *const points[] = {
        "0000000000000000000000000000000000000000000000000000000000000000",
        "0100000000000000000000000000000000000000000000000000000000000000",
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p - 1 */
        "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p */
        "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", /* p + 1 */
    };
    uint8_t raw[32], priv[TF_MAX_KX_SECRET], pub[TF_MAX_KX_PUBLIC], peer[32],
        secret[TF_MAX_KX_SECRET];
    size_t priv_len, pub_len, secret_len;
    unhex(ALICE_PRIV, raw);
    script s = {raw, 32, 0};
    assert_int_equal(tf_ecdhe_keygen(TLSFLOW_GROUP_X25519, scripted, &s, priv, &priv_len, pub,
                                     &pub_len, &tf_test_drbg),
                     0);
    for (size_t i = 0; i < ARRAY_LEN(points); i++) {
        unhex(points[i], peer);
        if (tf_ecdhe_shared(TLSFLOW_GROUP_X25519, priv, 32, peer, 32, secret, &secret_len,
                            &tf_test_drbg) == 0)
            fail_msg("small-order point %zu accepted", i);
    }
}

/* ---- OpenSSL helpers --------------------------------------------------------------------- */

static const char *ossl_group(uint16_t group)
{
    return group == TLSFLOW_GROUP_X25519      ? "X25519"
           : group == TLSFLOW_GROUP_SECP256R1 ? "P-256"
                                              : "P-384";
}

static EVP_PKEY *ossl_keygen(uint16_t group)
{
    EVP_PKEY *k = group == TLSFLOW_GROUP_X25519
                      ? EVP_PKEY_Q_keygen(NULL, NULL, "X25519")
                      : EVP_PKEY_Q_keygen(NULL, NULL, "EC", ossl_group(group));
    assert_non_null(k);
    return k;
}

static size_t ossl_public(EVP_PKEY *k, uint8_t *out, size_t cap)
{
    size_t n = 0;
    assert_int_equal(
        EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out, cap, &n), 1);
    return n;
}

/* An OpenSSL public key from our wire bytes. */
static EVP_PKEY *ossl_peer(uint16_t group, const uint8_t *pub, size_t len)
{
    if (group == TLSFLOW_GROUP_X25519)
        return EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, pub, len);
    const char *name = group == TLSFLOW_GROUP_SECP256R1 ? "prime256v1" : "secp384r1";
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)name, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)pub, len),
        OSSL_PARAM_construct_end(),
    };
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *k = NULL;
    assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
    assert_int_equal(EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params), 1);
    EVP_PKEY_CTX_free(ctx);
    return k;
}

static size_t ossl_derive(EVP_PKEY *mine, EVP_PKEY *peer, uint8_t *out, size_t cap)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(mine, NULL);
    size_t n = cap;
    assert_int_equal(EVP_PKEY_derive_init(ctx), 1);
    assert_int_equal(EVP_PKEY_derive_set_peer(ctx, peer), 1);
    assert_int_equal(EVP_PKEY_derive(ctx, out, &n), 1);
    EVP_PKEY_CTX_free(ctx);
    return n;
}

/* ---- key agreement against OpenSSL ------------------------------------------------------- */

static void test_ecdh_agrees_with_openssl(void **state)
{
    (void)state;
    static const uint16_t groups[] = {TLSFLOW_GROUP_X25519, TLSFLOW_GROUP_SECP256R1,
                                      TLSFLOW_GROUP_SECP384R1};
    static const size_t sizes[][2] = {{32, 32}, {65, 32}, {97, 48}};
    for (size_t g = 0; g < ARRAY_LEN(groups); g++) {
        for (int round = 0; round < 8; round++) {
            tft_rng rng = {(uint64_t)(100 + 10 * g + round)};
            uint8_t priv[TF_MAX_KX_SECRET], pub[TF_MAX_KX_PUBLIC], theirs[TF_MAX_KX_PUBLIC];
            uint8_t ours_secret[TF_MAX_KX_SECRET], ossl_secret[TF_MAX_KX_SECRET];
            size_t priv_len, pub_len, secret_len;
            assert_int_equal(tf_ecdhe_keygen(groups[g], tft_random, &rng, priv, &priv_len, pub,
                                             &pub_len, &tf_test_drbg),
                             0);
            assert_int_equal(pub_len, sizes[g][0]);
            assert_int_equal(tf_ecdhe_public_len(groups[g]), sizes[g][0]);
            EVP_PKEY *ossl = ossl_keygen(groups[g]);
            size_t their_len = ossl_public(ossl, theirs, sizeof(theirs));
            assert_int_equal(their_len, sizes[g][0]);
            assert_int_equal(tf_ecdhe_check_public(groups[g], theirs, their_len), 0);
            assert_int_equal(tf_ecdhe_shared(groups[g], priv, priv_len, theirs, their_len,
                                             ours_secret, &secret_len, &tf_test_drbg),
                             0);
            assert_int_equal(secret_len, sizes[g][1]);
            EVP_PKEY *peer = ossl_peer(groups[g], pub, pub_len);
            assert_non_null(peer);
            assert_int_equal(ossl_derive(ossl, peer, ossl_secret, sizeof(ossl_secret)), secret_len);
            assert_memory_equal(ours_secret, ossl_secret, secret_len);
            EVP_PKEY_free(peer);
            EVP_PKEY_free(ossl);
        }
    }
}

/* Uncompressed points of the right size on the curve; nothing else. */
static void test_nist_point_validation(void **state)
{
    (void)state;
    static const uint16_t groups[] = {TLSFLOW_GROUP_SECP256R1, TLSFLOW_GROUP_SECP384R1};
    for (size_t g = 0; g < ARRAY_LEN(groups); g++) {
        uint16_t group = groups[g];
        EVP_PKEY *ossl = ossl_keygen(group);
        uint8_t pub[TF_MAX_KX_PUBLIC + 1], bad[TF_MAX_KX_PUBLIC + 1], priv[TF_MAX_KX_SECRET],
            mine[TF_MAX_KX_PUBLIC], secret[TF_MAX_KX_SECRET];
        size_t n = ossl_public(ossl, pub, sizeof(pub)), coord = (n - 1) / 2, priv_len, mine_len,
               secret_len;
        tft_rng rng = {9};
        assert_int_equal(tf_ecdhe_keygen(group, tft_random, &rng, priv, &priv_len, mine, &mine_len,
                                         &tf_test_drbg),
                         0);
        assert_int_equal(tf_ecdhe_check_public(group, pub, n), 0);

        memcpy(bad, pub, n); /* off the curve */
        bad[n - 1] ^= 0x01;
        assert_int_not_equal(tf_ecdhe_check_public(group, bad, n), 0);
        assert_int_not_equal(
            tf_ecdhe_shared(group, priv, priv_len, bad, n, secret, &secret_len, &tf_test_drbg), 0);
        memcpy(bad, pub, n); /* compressed encoding, whatever its length */
        bad[0] = (uint8_t)(0x02 | (pub[n - 1] & 1));
        assert_int_not_equal(tf_ecdhe_check_public(group, bad, 1 + coord), 0);
        assert_int_not_equal(tf_ecdhe_check_public(group, bad, n), 0);
        bad[0] = 0x06; /* hybrid form */
        assert_int_not_equal(tf_ecdhe_check_public(group, bad, n), 0);
        assert_int_not_equal(tf_ecdhe_check_public(group, pub, n - 1), 0);
        memcpy(bad, pub, n);
        bad[n] = 0;
        assert_int_not_equal(tf_ecdhe_check_public(group, bad, n + 1), 0);
        static const uint8_t infinity[] = {0x00};
        assert_int_not_equal(tf_ecdhe_check_public(group, infinity, 1), 0);
        memset(bad, 0, n); /* (0, 0) */
        bad[0] = 0x04;
        assert_int_not_equal(tf_ecdhe_check_public(group, bad, n), 0);
        memset(bad + 1, 0xff, coord); /* x beyond the field prime */
        assert_int_not_equal(tf_ecdhe_check_public(group, bad, n), 0);
        /* Another group's point size. */
        uint16_t other =
            group == TLSFLOW_GROUP_SECP256R1 ? TLSFLOW_GROUP_SECP384R1 : TLSFLOW_GROUP_SECP256R1;
        assert_int_not_equal(tf_ecdhe_check_public(other, pub, n), 0);
        assert_int_not_equal(tf_ecdhe_check_public(25, pub, n), 0);
        assert_int_equal(tf_ecdhe_public_len(25), 0);
        EVP_PKEY_free(ossl);
    }
}

/* The private scalar comes from our random source: out-of-range draws (≥ n, or zero)
 * are drawn again, and the same bytes always give the same key. */
static void test_scalar_from_random_source(void **state)
{
    (void)state;
    static const uint16_t groups[] = {TLSFLOW_GROUP_SECP256R1, TLSFLOW_GROUP_SECP384R1};
    for (size_t g = 0; g < ARRAY_LEN(groups); g++) {
        size_t size = groups[g] == TLSFLOW_GROUP_SECP256R1 ? 32 : 48;
        uint8_t bytes[3 * 48], priv1[TF_MAX_KX_SECRET], priv2[TF_MAX_KX_SECRET],
            pub1[TF_MAX_KX_PUBLIC], pub2[TF_MAX_KX_PUBLIC];
        size_t l1, l2, p1, p2;
        memset(bytes, 0xff, size);     /* ≥ n */
        memset(bytes + size, 0, size); /* zero */
        memset(bytes + 2 * size, 0x42, size);
        script s = {bytes + 2 * size, size, 0};
        assert_int_equal(
            tf_ecdhe_keygen(groups[g], scripted, &s, priv1, &l1, pub1, &p1, &tf_test_drbg), 0);
        assert_int_equal(s.used, size);
        s = (script){bytes, 3 * size, 0};
        assert_int_equal(
            tf_ecdhe_keygen(groups[g], scripted, &s, priv2, &l2, pub2, &p2, &tf_test_drbg), 0);
        assert_int_equal(s.used, 3 * size);
        assert_int_equal(l1, size);
        assert_memory_equal(priv1, priv2, size);
        assert_int_equal(p1, p2);
        assert_memory_equal(pub1, pub2, p1);
        /* A source that fails fails the key. */
        s = (script){bytes, size - 1, 0};
        assert_int_not_equal(
            tf_ecdhe_keygen(groups[g], scripted, &s, priv1, &l1, pub1, &p1, &tf_test_drbg), 0);
    }
}

/* ---- signatures ------------------------------------------------------------------------- */

typedef struct {
    const char *cert, *key;
    uint8_t spki[2048];
    size_t spki_len;
    tf_private_key *ours;
    EVP_PKEY *ossl;
} keypair;

static void keypair_load(keypair *k, const char *cert, const char *key)
{
    size_t cl, kl, der_len;
    uint8_t *cert_pem = tft_fixture(cert, &cl), *key_pem = tft_fixture(key, &kl);
    uint8_t der[4096];
    memset(k, 0, sizeof(*k));
    assert_int_equal(tf_pem_cert_to_der((char *)cert_pem, cl, der, sizeof(der), &der_len), 0);
    assert_int_equal(tf_x509_public_key(der, der_len, k->spki, sizeof(k->spki), &k->spki_len), 0);
    assert_int_equal(tf_pem_key_to_der((char *)key_pem, kl, der, sizeof(der), &der_len), 0);
    k->ours = tf_private_key_load(der, der_len);
    assert_non_null(k->ours);
    BIO *bio = BIO_new_mem_buf(key_pem, (int)kl);
    k->ossl = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    assert_non_null(k->ossl);
    BIO_free(bio);
    free(cert_pem);
    free(key_pem);
}

static void keypair_free(keypair *k)
{
    tf_private_key_free(k->ours);
    EVP_PKEY_free(k->ossl);
}

static const EVP_MD *md_of(tf_hash_alg h)
{
    return h == TF_HASH_SHA512 ? EVP_sha512() : h == TF_HASH_SHA384 ? EVP_sha384() : EVP_sha256();
}

/* OpenSSL signs (salt_len only for PSS: RSA_PSS_SALTLEN_DIGEST is what TLS wants). */
static size_t ossl_sign(EVP_PKEY *k, const tf_sig_scheme *s, int salt_len, const uint8_t *msg,
                        size_t len, uint8_t *sig, size_t cap)
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *p = NULL;
    assert_int_equal(EVP_DigestSignInit(m, &p, md_of(s->hash), NULL, k), 1);
    if (s->alg == TF_SIG_RSA_PSS) {
        assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(p, RSA_PKCS1_PSS_PADDING), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(p, salt_len), 1);
    }
    size_t n = cap;
    assert_int_equal(EVP_DigestSign(m, sig, &n, msg, len), 1);
    EVP_MD_CTX_free(m);
    return n;
}

static int ossl_verify(EVP_PKEY *k, const tf_sig_scheme *s, const uint8_t *msg, size_t len,
                       const uint8_t *sig, size_t sig_len)
{
    EVP_MD_CTX *m = EVP_MD_CTX_new();
    EVP_PKEY_CTX *p = NULL;
    assert_int_equal(EVP_DigestVerifyInit(m, &p, md_of(s->hash), NULL, k), 1);
    if (s->alg == TF_SIG_RSA_PSS) {
        assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(p, RSA_PKCS1_PSS_PADDING), 1);
        assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(p, RSA_PSS_SALTLEN_DIGEST), 1);
    }
    int ok = EVP_DigestVerify(m, sig, sig_len, msg, len);
    EVP_MD_CTX_free(m);
    return ok == 1;
}

/* Every scheme: ours verifies in OpenSSL and in us; OpenSSL's verifies in us; any
 * flipped bit, or a signature under the wrong scheme, does not. */
static void test_signatures_both_ways(void **state)
{
    (void)state;
    keypair rsa, ec256, ec384;
    keypair_load(&rsa, "server.pem", "server.key");
    keypair_load(&ec256, "server-ec.pem", "server-ec.key");
    keypair_load(&ec384, "server-ec384.pem", "server-ec384.key");
    uint8_t msg[64 + 4 + 97];
    tft_rng r = {5};
    tft_random(&r, msg, sizeof(msg));
    for (size_t i = 0; i < tf_sig_scheme_count(); i++) {
        const tf_sig_scheme *s = tf_sig_scheme_at(i);
        keypair *keys[] = {s->key == TF_KEY_RSA ? &rsa : &ec256,
                           s->key == TF_KEY_RSA ? &rsa : &ec384};
        for (size_t k = 0; k < 2; k++) {
            keypair *kp = keys[k];
            uint8_t sig[TF_MAX_SIGNATURE];
            size_t n = 0;
            assert_int_equal(tf_sign(kp->ours, s->alg, s->hash, msg, sizeof(msg), sig, sizeof(sig),
                                     &n, tft_random, &r, &tf_test_drbg),
                             0);
            if (!ossl_verify(kp->ossl, s, msg, sizeof(msg), sig, n))
                fail_msg("%s: our signature does not verify in OpenSSL", s->name);
            assert_int_equal(
                tf_verify(kp->spki, kp->spki_len, s->alg, s->hash, msg, sizeof(msg), sig, n), 0);
            sig[n / 2] ^= 0x10;
            assert_int_not_equal(
                tf_verify(kp->spki, kp->spki_len, s->alg, s->hash, msg, sizeof(msg), sig, n), 0);

            n = ossl_sign(kp->ossl, s, RSA_PSS_SALTLEN_DIGEST, msg, sizeof(msg), sig, sizeof(sig));
            if (tf_verify(kp->spki, kp->spki_len, s->alg, s->hash, msg, sizeof(msg), sig, n))
                fail_msg("%s: OpenSSL's signature does not verify here", s->name);
            /* Same signature, another hash or padding: refused. */
            tf_hash_alg other = s->hash == TF_HASH_SHA256 ? TF_HASH_SHA384 : TF_HASH_SHA256;
            assert_int_not_equal(
                tf_verify(kp->spki, kp->spki_len, s->alg, other, msg, sizeof(msg), sig, n), 0);
            if (s->key == TF_KEY_RSA) {
                tf_sig_alg swap = s->alg == TF_SIG_RSA_PSS ? TF_SIG_RSA_PKCS1 : TF_SIG_RSA_PSS;
                assert_int_not_equal(
                    tf_verify(kp->spki, kp->spki_len, swap, s->hash, msg, sizeof(msg), sig, n), 0);
                assert_int_not_equal(tf_verify(kp->spki, kp->spki_len, s->alg, s->hash, msg,
                                               sizeof(msg), sig, n - 1),
                                     0);
            }
            /* A key of the other kind cannot check it. */
            keypair *wrong = s->key == TF_KEY_RSA ? &ec256 : &rsa;
            assert_int_not_equal(
                tf_verify(wrong->spki, wrong->spki_len, s->alg, s->hash, msg, sizeof(msg), sig, n),
                0);
            /* And our key refuses to make a signature of the other kind. */
            assert_int_not_equal(tf_sign(wrong->ours, s->alg, s->hash, msg, sizeof(msg), sig,
                                         sizeof(sig), &n, tft_random, &r, &tf_test_drbg),
                                 0);
        }
    }
    keypair_free(&rsa);
    keypair_free(&ec256);
    keypair_free(&ec384);
}

/* rsa_pss_rsae_*: the salt must be as long as the hash (RFC 8446 §4.2.3). Ours is, and
 * it comes from our random source, so a fixed source repeats the signature. */
static void test_pss_salt(void **state)
{
    (void)state;
    keypair rsa;
    keypair_load(&rsa, "server.pem", "server.key");
    const tf_sig_scheme *s = tf_sig_scheme_find(TLSFLOW_SIG_RSA_PSS_RSAE_SHA256);
    uint8_t msg[100], a[512], b[512];
    size_t an, bn;
    memset(msg, 7, sizeof(msg));
    for (int salt = 0; salt <= 1; salt++) {
        size_t n = ossl_sign(rsa.ossl, s, salt ? 64 : 0, msg, sizeof(msg), a, sizeof(a));
        assert_int_not_equal(
            tf_verify(rsa.spki, rsa.spki_len, s->alg, s->hash, msg, sizeof(msg), a, n), 0);
    }
    tft_rng r1 = {1}, r2 = {1}, r3 = {2};
    assert_int_equal(tf_sign(rsa.ours, s->alg, s->hash, msg, sizeof(msg), a, sizeof(a), &an,
                             tft_random, &r1, &tf_test_drbg),
                     0);
    assert_int_equal(tf_sign(rsa.ours, s->alg, s->hash, msg, sizeof(msg), b, sizeof(b), &bn,
                             tft_random, &r2, &tf_test_drbg),
                     0);
    assert_int_equal(an, bn);
    assert_memory_equal(a, b, an);
    assert_int_equal(tf_sign(rsa.ours, s->alg, s->hash, msg, sizeof(msg), b, sizeof(b), &bn,
                             tft_random, &r3, &tf_test_drbg),
                     0);
    assert_memory_not_equal(a, b, an);
    keypair_free(&rsa);
}

/* ---- ChaCha20-Poly1305 ---------------------------------------------------------------------- */

static void test_chacha20_poly1305_against_openssl(void **state)
{
    (void)state;
    static const size_t lens[] = {0, 1, 15, 16, 17, 63, 64, 65, 1000, 16384};
    for (size_t i = 0; i < ARRAY_LEN(lens); i++) {
        size_t n = lens[i];
        tft_rng r = {300 + i};
        uint8_t key[32], nonce[12], aad[13], tag[16], otag[16];
        uint8_t *pt = malloc(n + 1), *ct = malloc(n + 1), *oct = malloc(n + 1);
        tft_random(&r, key, 32);
        tft_random(&r, nonce, 12);
        tft_random(&r, aad, 13);
        tft_random(&r, pt, n);
        tf_aead a;
        assert_int_equal(tf_aead_setup(&a, TF_AEAD_CHACHA20_POLY1305, key, 32), 0);
        assert_int_equal(tf_aead_seal(&a, nonce, aad, 13, pt, n, ct, tag), 0);

        EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
        int out = 0;
        assert_int_equal(EVP_EncryptInit_ex(c, EVP_chacha20_poly1305(), NULL, key, nonce), 1);
        assert_int_equal(EVP_EncryptUpdate(c, NULL, &out, aad, 13), 1);
        assert_int_equal(EVP_EncryptUpdate(c, oct, &out, pt, (int)n), 1);
        assert_int_equal(EVP_EncryptFinal_ex(c, oct + out, &out), 1);
        assert_int_equal(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 16, otag), 1);
        EVP_CIPHER_CTX_free(c);
        assert_memory_equal(ct, oct, n);
        assert_memory_equal(tag, otag, 16);

        /* In place, as the record layer opens it. */
        assert_int_equal(tf_aead_open(&a, nonce, aad, 13, ct, n, tag, ct), 0);
        assert_memory_equal(ct, pt, n);
        memcpy(ct, oct, n);
        tag[0] ^= 1;
        assert_int_not_equal(tf_aead_open(&a, nonce, aad, 13, ct, n, tag, ct), 0);
        tag[0] ^= 1;
        aad[12] ^= 1;
        assert_int_not_equal(tf_aead_open(&a, nonce, aad, 13, oct, n, tag, ct), 0);
        tf_aead_free(&a);
        free(pt);
        free(ct);
        free(oct);
    }
    tf_aead a;
    uint8_t key[16] = {0};
    assert_int_not_equal(tf_aead_setup(&a, TF_AEAD_CHACHA20_POLY1305, key, 16), 0);
}

/* ---- keys ---------------------------------------------------------------------------------- */

static tf_private_key *load_fixture_key(const char *name)
{
    size_t kl, der_len;
    uint8_t *pem = tft_fixture(name, &kl), der[4096];
    assert_int_equal(tf_pem_key_to_der((char *)pem, kl, der, sizeof(der), &der_len), 0);
    free(pem);
    return tf_private_key_load(der, der_len);
}

static tf_private_key *load_ossl_key(EVP_PKEY *k, int pkcs8)
{
    unsigned char *der = NULL;
    int n;
    if (pkcs8) {
        PKCS8_PRIV_KEY_INFO *p8 = EVP_PKEY2PKCS8(k);
        n = i2d_PKCS8_PRIV_KEY_INFO(p8, &der);
        PKCS8_PRIV_KEY_INFO_free(p8);
    } else {
        n = i2d_PrivateKey(k, &der);
    }
    assert_true(n > 0);
    tf_private_key *key = tf_private_key_load(der, (size_t)n);
    OPENSSL_free(der);
    return key;
}

static void test_private_key_types(void **state)
{
    (void)state;
    tf_private_key *k = load_fixture_key("server-ec.key");
    assert_non_null(k);
    assert_int_equal(tf_private_key_type(k), TF_KEY_EC);
    assert_int_equal(tf_private_key_group(k), TLSFLOW_GROUP_SECP256R1);
    assert_int_equal(tf_private_key_bits(k), 256);
    tf_private_key_free(k);
    k = load_fixture_key("server-ec384.key");
    assert_non_null(k);
    assert_int_equal(tf_private_key_group(k), TLSFLOW_GROUP_SECP384R1);
    assert_int_equal(tf_private_key_bits(k), 384);
    tf_private_key_free(k);
    k = load_fixture_key("server.key");
    assert_non_null(k);
    assert_int_equal(tf_private_key_type(k), TF_KEY_RSA);
    assert_int_equal(tf_private_key_group(k), 0);
    tf_private_key_free(k);

    /* Both encodings of OpenSSL-made keys; curves TLS does not name for us are refused. */
    for (int pkcs8 = 0; pkcs8 < 2; pkcs8++) {
        EVP_PKEY *p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
        EVP_PKEY *p521 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-521");
        EVP_PKEY *k1 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "secp256k1");
        k = load_ossl_key(p256, pkcs8);
        assert_non_null(k);
        assert_int_equal(tf_private_key_group(k), TLSFLOW_GROUP_SECP256R1);
        tf_private_key_free(k);
        assert_null(load_ossl_key(p521, pkcs8));
        assert_null(load_ossl_key(k1, pkcs8));
        EVP_PKEY_free(p256);
        EVP_PKEY_free(p521);
        EVP_PKEY_free(k1);
    }
    EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    assert_null(load_ossl_key(ed, 1));
    EVP_PKEY_free(ed);
    static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x00};
    assert_null(tf_private_key_load(junk, sizeof(junk)));
}

static void test_public_key_types(void **state)
{
    (void)state;
    static const struct {
        const char *cert, *key;
        tf_key_type type;
        uint16_t group;
    } cases[] = {
        {"server.pem", "server.key", TF_KEY_RSA, 0},
        {"server-ec.pem", "server-ec.key", TF_KEY_EC, TLSFLOW_GROUP_SECP256R1},
        {"server-ec384.pem", "server-ec384.key", TF_KEY_EC, TLSFLOW_GROUP_SECP384R1},
    };
    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        keypair kp;
        uint16_t group = 99;
        keypair_load(&kp, cases[i].cert, cases[i].key);
        assert_int_equal(tf_public_key_info(kp.spki, kp.spki_len, &group, NULL), cases[i].type);
        assert_int_equal(group, cases[i].group);
        keypair_free(&kp);
    }
    uint16_t group;
    static const uint8_t junk[] = {0x30, 0x00};
    assert_int_equal(tf_public_key_info(junk, sizeof(junk), &group, NULL), TF_KEY_NONE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_x25519_rfc7748),
        cmocka_unit_test(test_x25519_small_order_points),
        cmocka_unit_test(test_ecdh_agrees_with_openssl),
        cmocka_unit_test(test_nist_point_validation),
        cmocka_unit_test(test_scalar_from_random_source),
        cmocka_unit_test(test_signatures_both_ways),
        cmocka_unit_test(test_pss_salt),
        cmocka_unit_test(test_chacha20_poly1305_against_openssl),
        cmocka_unit_test(test_private_key_types),
        cmocka_unit_test(test_public_key_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
