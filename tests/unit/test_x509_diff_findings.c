/* What fuzz_x509_diff found where OpenSSL was right and the engine wrong, fixed in
 * core/src/x509.c, each with its control:
 *  - a certificate signed with SHA-1 (leaf or intermediate) was accepted; RFC 5246 7.4.2
 *    wants every certificate the server sends signed with a pair our client offers (it
 *    never offers SHA-1; RFC 9155). Trust anchors are exempt (their signature is not
 *    checked), so a SHA-1 self-signed anchor still works;
 *  - a leaf whose extendedKeyUsage leaves out serverAuth (RFC 5280 4.2.1.12), or whose
 *    keyUsage allows no TLS key exchange (4.2.1.3), was accepted;
 *  - a leaf whose EC public key is not a point of its curve was accepted;
 *  - (core/src/hostname.c) a wildcard dNSName matched a host whose left-most label is
 *    not a host name label ("*.example.com" named "{ww.example.com").
 * Certificates are made here with OpenSSL's libcrypto (P-256 keys, one RSA key). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "internal.h" /* TF_MAX_SPKI */
#include "x509.h"

#define DAY INT64_C(86400)
#define NOW INT64_C(1800000000) /* 2027-01-15 */

static EVP_PKEY *k_root, *k_mid, *k_leaf, *k_rsa;

typedef struct {
    uint8_t *der;
    size_t len;
    X509 *x;
} cert;

/* name: CN; issuer NULL: self-signed with key; ext: "nid=value" pairs as
 * X509V3_EXT_conf_nid takes them, ended by 0. */
static cert make(const char *cn, EVP_PKEY *key, const cert *issuer, EVP_PKEY *issuer_key,
                 const EVP_MD *md, const int *nids, const char *const *values)
{
    cert c = {NULL, 0, X509_new()};
    X509_NAME *name = X509_NAME_new();
    static long serial = 1;
    assert_non_null(c.x);
    assert_int_equal(X509_set_version(c.x, 2), 1);
    ASN1_INTEGER_set(X509_get_serialNumber(c.x), serial++);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_subject_name(c.x, name);
    X509_set_issuer_name(c.x, issuer ? X509_get_subject_name(issuer->x) : name);
    ASN1_TIME_set(X509_getm_notBefore(c.x), (time_t)(NOW - DAY));
    ASN1_TIME_set(X509_getm_notAfter(c.x), (time_t)(NOW + 365 * DAY));
    X509_set_pubkey(c.x, key);
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer ? issuer->x : c.x, c.x, NULL, NULL, 0);
    for (size_t i = 0; nids[i]; i++) {
        X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nids[i], values[i]);
        assert_non_null(e);
        assert_int_equal(X509_add_ext(c.x, e, -1), 1);
        X509_EXTENSION_free(e);
    }
    assert_true(X509_sign(c.x, issuer_key ? issuer_key : key, md) > 0);
    X509_NAME_free(name);
    unsigned char *out = NULL;
    int n = i2d_X509(c.x, &out);
    assert_true(n > 0);
    c.der = out;
    c.len = (size_t)n;
    return c;
}

static void drop(cert *c)
{
    OPENSSL_free(c->der);
    X509_free(c->x);
}

static const int CA_NIDS[] = {NID_basic_constraints, NID_key_usage, 0};
static const char *const CA_VALUES[] = {"critical,CA:TRUE", "critical,keyCertSign", NULL};

static cert ca(const char *cn, EVP_PKEY *key, const cert *issuer, EVP_PKEY *issuer_key,
               const EVP_MD *md)
{
    return make(cn, key, issuer, issuer_key, md, CA_NIDS, CA_VALUES);
}

/* A leaf for "localhost" with the given keyUsage and extendedKeyUsage (NULL: none). */
static cert leaf(const cert *issuer, EVP_PKEY *issuer_key, const EVP_MD *md, const char *ku,
                 const char *eku)
{
    int nids[4] = {NID_subject_alt_name, 0, 0, 0};
    const char *values[4] = {"DNS:localhost", NULL, NULL, NULL};
    size_t n = 1;
    if (ku) {
        nids[n] = NID_key_usage;
        values[n++] = ku;
    }
    if (eku) {
        nids[n] = NID_ext_key_usage;
        values[n++] = eku;
    }
    return make("localhost", k_leaf, issuer, issuer_key, md, nids, values);
}

/* The client's verdict (tf_x509_check); tf_x509_verify, which does not read the leaf's
 * key, must agree wherever the leaf could be described. */
static int judge(const cert *anchor, const cert *const *chain, size_t n)
{
    const uint8_t *ders[4];
    size_t lens[4];
    for (size_t i = 0; i < n; i++) {
        ders[i] = chain[i]->der;
        lens[i] = chain[i]->len;
    }
    const uint8_t *a = anchor->der;
    tf_trust *trust = tf_trust_new(&a, &anchor->len, 1);
    assert_non_null(trust);
    const char *detail = NULL;
    int rc = tf_x509_verify(trust, ders, lens, n, NOW, "localhost", &detail);
    tlsflow_cert_info info;
    uint8_t spki[TF_MAX_SPKI];
    tf_x509_chain in = {ders, lens, n, NOW, "localhost", 0};
    tf_x509_leaf out = {&info, spki, sizeof(spki), 0, TF_KEY_NONE, 0};
    int rc2 = tf_x509_check(trust, &in, &out, &detail);
    if (out.described)
        assert_int_equal(rc, rc2);
    tf_trust_free(trust);
    return rc2;
}

static int setup(void **state)
{
    (void)state;
    k_root = EVP_EC_gen("P-256");
    k_mid = EVP_EC_gen("P-256");
    k_leaf = EVP_EC_gen("P-256");
    k_rsa = EVP_RSA_gen(2048);
    return k_root && k_mid && k_leaf && k_rsa ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    EVP_PKEY_free(k_root);
    EVP_PKEY_free(k_mid);
    EVP_PKEY_free(k_leaf);
    EVP_PKEY_free(k_rsa);
    return 0;
}

static void test_sha1_leaf_refused(void **state)
{
    (void)state;
    cert root = ca("root", k_root, NULL, NULL, EVP_sha256());
    cert good = leaf(&root, k_root, EVP_sha256(), NULL, NULL);
    cert weak = leaf(&root, k_root, EVP_sha1(), NULL, NULL);
    const cert *c1[] = {&good}, *c2[] = {&weak};
    assert_int_equal(judge(&root, c1, 1), TLSFLOW_OK);
    assert_int_equal(judge(&root, c2, 1), TLSFLOW_E_CERT_BAD);
    drop(&root);
    drop(&good);
    drop(&weak);
}

static void test_sha1_rsa_intermediate_refused(void **state)
{
    (void)state;
    cert root = ca("rsa root", k_rsa, NULL, NULL, EVP_sha256());
    cert mid_ok = ca("mid", k_mid, &root, k_rsa, EVP_sha256());
    cert mid_weak = ca("mid", k_mid, &root, k_rsa, EVP_sha1());
    cert l = leaf(&mid_ok, k_mid, EVP_sha256(), NULL, NULL);
    const cert *c1[] = {&l, &mid_ok}, *c2[] = {&l, &mid_weak};
    assert_int_equal(judge(&root, c1, 2), TLSFLOW_OK);
    assert_int_equal(judge(&root, c2, 2), TLSFLOW_E_CERT_BAD);
    drop(&root);
    drop(&mid_ok);
    drop(&mid_weak);
    drop(&l);
}

/* Anchors are trusted as configured: their own SHA-1 self-signature is not checked, and a
 * SHA-1 self-signed certificate pinned as the anchor is accepted. */
static void test_sha1_anchor_accepted(void **state)
{
    (void)state;
    cert root = ca("root", k_root, NULL, NULL, EVP_sha1());
    cert l = leaf(&root, k_root, EVP_sha256(), NULL, NULL);
    cert pinned =
        make("localhost", k_leaf, NULL, NULL, EVP_sha1(), (const int[]){NID_subject_alt_name, 0},
             (const char *const[]){"DNS:localhost", NULL});
    const cert *c1[] = {&l}, *c2[] = {&pinned};
    assert_int_equal(judge(&root, c1, 1), TLSFLOW_OK);
    assert_int_equal(judge(&pinned, c2, 1), TLSFLOW_OK);
    drop(&root);
    drop(&l);
    drop(&pinned);
}

/* extendedKeyUsage (RFC 5280 4.2.1.12) and keyUsage (4.2.1.3) of the leaf: NULL is none. */
static void test_leaf_usage(void **state)
{
    (void)state;
    cert root = ca("root", k_root, NULL, NULL, EVP_sha256());
    static const struct {
        const char *ku, *eku;
        int want;
    } cases[] = {
        {NULL, "serverAuth", TLSFLOW_OK},
        {NULL, "clientAuth,serverAuth", TLSFLOW_OK},
        {NULL, "anyExtendedKeyUsage", TLSFLOW_OK},
        {NULL, "clientAuth", TLSFLOW_E_CERT_BAD},
        {NULL, "codeSigning,emailProtection", TLSFLOW_E_CERT_BAD},
        {"critical,digitalSignature", NULL, TLSFLOW_OK},
        {"critical,keyEncipherment", NULL, TLSFLOW_OK},
        {"critical,keyAgreement", NULL, TLSFLOW_OK},
        {"critical,keyCertSign", NULL, TLSFLOW_E_CERT_BAD},
        {"critical,nonRepudiation,cRLSign", NULL, TLSFLOW_E_CERT_BAD},
        {"critical,digitalSignature", "serverAuth", TLSFLOW_OK},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cert l = leaf(&root, k_root, EVP_sha256(), cases[i].ku, cases[i].eku);
        const cert *c[] = {&l};
        assert_int_equal(judge(&root, c, 1), cases[i].want);
        drop(&l);
    }
    drop(&root);
}

/* The leaf's EC point with one byte of y changed, signed again by the root: the signature
 * is good, the key is not a point of P-256. */
static void test_ec_point_off_curve(void **state)
{
    (void)state;
    cert root = ca("root", k_root, NULL, NULL, EVP_sha256());
    cert good = leaf(&root, k_root, EVP_sha256(), NULL, NULL);
    uint8_t point[65];
    size_t plen = 0;
    assert_int_equal(
        EVP_PKEY_get_octet_string_param(k_leaf, "encoded-pub-key", point, sizeof(point), &plen), 1);
    assert_int_equal(plen, 65);
    uint8_t *at = NULL;
    for (size_t i = 0; i + plen <= good.len && at == NULL; i++)
        if (memcmp(good.der + i, point, plen) == 0)
            at = good.der + i;
    assert_non_null(at);
    at[64] ^= 0x01;
    const unsigned char *p = good.der;
    X509 *x = d2i_X509(NULL, &p, (long)good.len);
    assert_non_null(x);
    assert_true(X509_sign(x, k_root, EVP_sha256()) > 0);
    cert bad = {NULL, 0, x};
    unsigned char *out = NULL;
    int n = i2d_X509(x, &out);
    assert_true(n > 0);
    bad.der = out;
    bad.len = (size_t)n;
    const cert *c[] = {&bad};
    assert_int_equal(judge(&root, c, 1), TLSFLOW_E_CERT_BAD);
    tlsflow_cert_info info;
    assert_int_not_equal(tf_x509_summary(bad.der, bad.len, &info), 0);

    cert again = leaf(&root, k_root, EVP_sha256(), NULL, NULL); /* control: untouched */
    const cert *c2[] = {&again};
    assert_int_equal(judge(&root, c2, 1), TLSFLOW_OK);
    drop(&root);
    drop(&good);
    drop(&bad);
    drop(&again);
}

static void test_wildcard_covers_host_name_labels_only(void **state)
{
    (void)state;
    static const char pattern[] = "*.example.com";
    static const struct {
        const char *host;
        int want;
    } cases[] = {
        {"www.example.com", 1}, {"WWW-2.Example.COM", 1}, {"xn--bcher-kva.example.com", 1},
        {"{ww.example.com", 0}, {"a_b.example.com", 0},   {"a!.example.com", 0},
        {"a.b.example.com", 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        assert_int_equal(tf_hostname_match(pattern, sizeof(pattern) - 1, cases[i].host),
                         cases[i].want);
    /* An exact dNSName still names exactly what it says. */
    assert_int_equal(tf_hostname_match("{ww.example.com", 15, "{ww.example.com"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sha1_leaf_refused),
        cmocka_unit_test(test_sha1_rsa_intermediate_refused),
        cmocka_unit_test(test_sha1_anchor_accepted),
        cmocka_unit_test(test_leaf_usage),
        cmocka_unit_test(test_ec_point_off_curve),
        cmocka_unit_test(test_wildcard_covers_host_name_labels_only),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
