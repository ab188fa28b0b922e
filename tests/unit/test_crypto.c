/* The crypto adapter against published vectors and against OpenSSL's libcrypto as an
 * independent implementation: PRF, AES-GCM, RSA PKCS#1 v1.5, constant-time compare. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>

#include "crypto.h"
#include "x509.h"

static void unhex(const char *h, uint8_t *out, size_t *n)
{
    *n = 0;
    for (; h[0] && h[1]; h += 2) {
        unsigned v;
        sscanf(h, "%2x", &v);
        out[(*n)++] = (uint8_t)v;
    }
}

/* The TLS 1.2 PRF vectors circulated on the IETF TLS list (SHA-256 and SHA-384). */
static void test_prf_vectors(void **state)
{
    (void)state;
    static const struct {
        tf_hash_alg alg;
        const char *secret, *seed, *out;
    } v[] = {
        {TF_HASH_SHA256, "9bbe436ba940f017b17652849a71db35", "a0ba9f936cda311827a6f796ffd5198c",
         "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b"
         "4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee"
         "42c5a72e5a5110fff70187347b66"},
        {TF_HASH_SHA384, "b80b733d6ceefcdc71566ea48e5567df", "cd665cf6a8447dd6ff8b27555edb7465",
         "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cde9ca0faa60be9fe34f82b1"
         "233c9146a0e534cb400fed2700884f9dc236f80edd8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2"
         "c5fd4abfdad05d9184259b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee691"
         "c8f3a26854308d5eaa3be85e0990703d73e56f"},
    };
    for (size_t i = 0; i < 2; i++) {
        uint8_t secret[64], seed[64], want[256], got[256];
        size_t sl, el, wl;
        unhex(v[i].secret, secret, &sl);
        unhex(v[i].seed, seed, &el);
        unhex(v[i].out, want, &wl);
        assert_int_equal(tf_prf(v[i].alg, secret, sl, "test label", seed, el, got, wl), 0);
        assert_memory_equal(got, want, wl);
    }
}

/* Random inputs: ours and OpenSSL's TLS1-PRF agree. */
static void test_prf_matches_openssl(void **state)
{
    (void)state;
    for (int alg = TF_HASH_SHA256; alg <= TF_HASH_SHA384; alg++) {
        uint8_t secret[48], seed[64], ours[72], theirs[72];
        for (size_t i = 0; i < 48; i++)
            secret[i] = (uint8_t)(i * 7 + alg);
        for (size_t i = 0; i < 64; i++)
            seed[i] = (uint8_t)(i * 13 + 1);
        assert_int_equal(tf_prf(alg, secret, 48, "key expansion", seed, 64, ours, 72), 0);
        EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_TLS1_PRF, NULL);
        size_t n = sizeof(theirs);
        assert_int_equal(EVP_PKEY_derive_init(ctx), 1);
        EVP_PKEY_CTX_set_tls1_prf_md(ctx, alg == TF_HASH_SHA256 ? EVP_sha256() : EVP_sha384());
        EVP_PKEY_CTX_set1_tls1_prf_secret(ctx, secret, 48);
        EVP_PKEY_CTX_add1_tls1_prf_seed(ctx, (const unsigned char *)"key expansion", 13);
        EVP_PKEY_CTX_add1_tls1_prf_seed(ctx, seed, 64);
        assert_int_equal(EVP_PKEY_derive(ctx, theirs, &n), 1);
        EVP_PKEY_CTX_free(ctx);
        assert_memory_equal(ours, theirs, 72);
    }
}

/* Seal with ours, open with OpenSSL, and back; a flipped bit is refused. */
static void test_aes_gcm_against_openssl(void **state)
{
    (void)state;
    for (size_t key_len = 16; key_len <= 32; key_len += 16) {
        uint8_t key[32], nonce[12], aad[13], pt[1000], ct[1000], tag[16], back[1000];
        for (size_t i = 0; i < sizeof(key); i++)
            key[i] = (uint8_t)i;
        memset(nonce, 7, sizeof(nonce));
        memset(aad, 9, sizeof(aad));
        for (size_t i = 0; i < sizeof(pt); i++)
            pt[i] = (uint8_t)(i * 31);
        tf_aead a;
        assert_int_equal(tf_aead_init(&a, key, key_len), 0);
        assert_int_equal(tf_aead_seal(&a, nonce, aad, 13, pt, sizeof(pt), ct, tag), 0);

        EVP_CIPHER_CTX *e = EVP_CIPHER_CTX_new();
        int n, m;
        EVP_DecryptInit_ex(e, key_len == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(), NULL, key,
                           nonce);
        EVP_DecryptUpdate(e, NULL, &n, aad, 13);
        EVP_DecryptUpdate(e, back, &n, ct, sizeof(ct));
        EVP_CIPHER_CTX_ctrl(e, EVP_CTRL_GCM_SET_TAG, 16, tag);
        assert_int_equal(EVP_DecryptFinal_ex(e, back + n, &m), 1);
        EVP_CIPHER_CTX_free(e);
        assert_memory_equal(back, pt, sizeof(pt));

        assert_int_equal(tf_aead_open(&a, nonce, aad, 13, ct, sizeof(ct), tag, back), 0);
        assert_memory_equal(back, pt, sizeof(pt));
        ct[500] ^= 1;
        assert_int_not_equal(tf_aead_open(&a, nonce, aad, 13, ct, sizeof(ct), tag, back), 0);
        tf_aead_free(&a);
    }
}

static uint8_t *read_file(const char *name, size_t *len)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", TLSFLOW_FIXTURES, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *buf = malloc(65536);
    *len = fread(buf, 1, 65536, f);
    fclose(f);
    return buf;
}

/* Our PKCS#1 v1.5 encryption (padding built by us) decrypts in OpenSSL. */
static void test_rsa_encrypt_decrypts_in_openssl(void **state)
{
    (void)state;
    size_t cl, kl, der_len, spki_len, enc_len;
    uint8_t *cert_pem = read_file("server.pem", &cl), *key_pem = read_file("server.key", &kl);
    uint8_t der[4096], spki[2048], enc[512], msg[48];
    assert_int_equal(tf_pem_cert_to_der((char *)cert_pem, cl, der, sizeof(der), &der_len), 0);
    assert_int_equal(tf_x509_public_key(der, der_len, spki, sizeof(spki), &spki_len), 0);
    for (size_t i = 0; i < 48; i++)
        msg[i] = (uint8_t)i;
    assert_int_equal(tf_rsa_encrypt(spki, spki_len, msg, 48, enc, sizeof(enc), &enc_len,
                                    tf_default_random, NULL),
                     0);
    assert_int_equal(enc_len, 256);

    BIO *bio = BIO_new_mem_buf(key_pem, (int)kl);
    EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    assert_non_null(pkey);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(pkey, NULL);
    uint8_t out[512];
    size_t out_len = sizeof(out);
    assert_int_equal(EVP_PKEY_decrypt_init(ctx), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING), 1);
    assert_int_equal(EVP_PKEY_decrypt(ctx, out, &out_len, enc, enc_len), 1);
    assert_int_equal(out_len, 48);
    assert_memory_equal(out, msg, 48);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(pkey);
    BIO_free(bio);
    free(cert_pem);
    free(key_pem);
}

/* A certificate whose algorithm names one key type while its bit string holds another is
 * refused: the engine acts on the decoded key, the trace shows the named one (found by
 * fuzz_x509; its reproducer is in corpus/x509). */
static void test_key_type_must_match_spki(void **state)
{
    (void)state;
    size_t cl, der_len;
    uint8_t *pem = read_file("server.pem", &cl);
    uint8_t der[4096];
    assert_int_equal(tf_pem_cert_to_der((char *)pem, cl, der, sizeof(der), &der_len), 0);
    tlsflow_cert_info info;
    assert_int_equal(tf_x509_summary(der, der_len, &info), 0);
    assert_string_equal(info.key_type, "RSA");
    assert_int_equal(info.key_bits, 2048);
    /* rsaEncryption (1.2.840.113549.1.1.1) -> RSASSA-PSS (.10), same length. */
    static const uint8_t oid[] = {0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x01};
    uint8_t *at = NULL;
    for (size_t i = 0; i + sizeof(oid) <= der_len && !at; i++)
        if (memcmp(der + i, oid, sizeof(oid)) == 0)
            at = der + i;
    assert_non_null(at);
    at[sizeof(oid) - 1] = 0x0A;
    assert_int_equal(tf_x509_summary(der, der_len, &info), TLSFLOW_E_CERT_BAD);
    free(pem);
}

static void test_ct_equal(void **state)
{
    (void)state;
    uint8_t a[12] = {0}, b[12] = {0};
    assert_true(tf_ct_equal(a, b, 12));
    for (int i = 0; i < 12; i++) {
        b[i] = 0x80;
        assert_false(tf_ct_equal(a, b, 12));
        b[i] = 0;
    }
    assert_true(tf_ct_equal(a, b, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prf_vectors),
        cmocka_unit_test(test_prf_matches_openssl),
        cmocka_unit_test(test_aes_gcm_against_openssl),
        cmocka_unit_test(test_rsa_encrypt_decrypts_in_openssl),
        cmocka_unit_test(test_key_type_must_match_spki),
        cmocka_unit_test(test_ct_equal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
