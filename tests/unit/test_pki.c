/* tfpki checked by an independent parser: every certificate and key it makes is
 * read back with OpenSSL's libcrypto, so a wolfCrypt quirk in SAN, validity, CA
 * bits or signatures shows up here rather than in an interop test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "pki.h"

#define DAY    INT64_C(86400)
#define T_2030 INT64_C(1893456000) /* 2030-01-01T00:00:00Z */

static tfpki_key g_rsa_ca;   /* RSA-2048 */
static tfpki_key g_ec_ca;    /* P-256 */
static tfpki_key g_rsa_leaf; /* RSA-2048 */
static tfpki_key g_ec_leaf;  /* P-256 */

static int group_setup(void **state)
{
    (void)state;
    if (tfpki_key_generate(&g_rsa_ca, TFPKI_RSA, 0) != 0 ||
        tfpki_key_generate(&g_ec_ca, TFPKI_ECDSA_P256, 0) != 0 ||
        tfpki_key_generate(&g_rsa_leaf, TFPKI_RSA, 2048) != 0 ||
        tfpki_key_generate(&g_ec_leaf, TFPKI_ECDSA_P256, 0) != 0) {
        return -1;
    }
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    tfpki_key_free(&g_rsa_ca);
    tfpki_key_free(&g_ec_ca);
    tfpki_key_free(&g_rsa_leaf);
    tfpki_key_free(&g_ec_leaf);
    return 0;
}

/* ---- helpers ---------------------------------------------------------------------- */

static X509 *to_x509(const tfpki_cert *c)
{
    const unsigned char *p = c->der;
    X509 *x = d2i_X509(NULL, &p, (long)c->der_len);

    assert_non_null(x);
    assert_ptr_equal(p, c->der + c->der_len); /* no trailing bytes */
    return x;
}

static EVP_PKEY *to_pkey(const tfpki_key *k)
{
    const unsigned char *p = k->der;
    EVP_PKEY *pk = d2i_AutoPrivateKey(NULL, &p, (long)k->der_len);

    assert_non_null(pk);
    return pk;
}

static tfpki_spec ca_spec(const char *cn)
{
    tfpki_spec s;

    memset(&s, 0, sizeof(s));
    s.common_name = cn;
    s.not_before = T_2030 - 365 * DAY;
    s.not_after = T_2030 + 3650 * DAY;
    s.is_ca = 1;
    return s;
}

static const char *const k_dns[] = {"www.example.com", "*.example.org"};
static const char *const k_ips[] = {"10.1.2.3", "2001:db8::1"};

static tfpki_spec leaf_spec(void)
{
    tfpki_spec s;

    memset(&s, 0, sizeof(s));
    s.common_name = "leaf";
    s.dns_names = k_dns;
    s.n_dns = 2;
    s.ip_addrs = k_ips;
    s.n_ip = 2;
    s.not_before = T_2030 - 30 * DAY;
    s.not_after = T_2030 + 30 * DAY;
    return s;
}

static void issue_ok(tfpki_cert *out, const tfpki_spec *s, const tfpki_key *k, const tfpki_cert *ic,
                     const tfpki_key *ik)
{
    assert_int_equal(tfpki_cert_issue(out, s, k, ic, ik), 0);
    assert_non_null(out->der);
    assert_non_null(out->pem);
}

/* Signed by exactly this key, and by no other. */
static void assert_signed_by(X509 *x, const tfpki_key *signer, const tfpki_key *other)
{
    EVP_PKEY *pk = to_pkey(signer);
    EVP_PKEY *wrong = to_pkey(other);

    assert_int_equal(X509_verify(x, pk), 1);
    assert_true(X509_verify(x, wrong) <= 0);
    EVP_PKEY_free(pk);
    EVP_PKEY_free(wrong);
}

/* ---- CA certificates --------------------------------------------------------------- */

static void test_root_ca_bits(void **state)
{
    tfpki_spec s = ca_spec("Test Root");
    tfpki_cert root;
    X509 *x;
    const ASN1_INTEGER *serial;

    (void)state;
    issue_ok(&root, &s, &g_rsa_ca, NULL, NULL);
    x = to_x509(&root);
    assert_int_equal(X509_get_version(x), 2); /* v3 */
    assert_int_equal(X509_check_ca(x), 1);
    assert_true(X509_get_extension_flags(x) & EXFLAG_CA);
    assert_true(X509_get_extension_flags(x) & EXFLAG_SS);
    assert_true(X509_get_key_usage(x) & KU_KEY_CERT_SIGN);
    assert_int_equal(X509_check_issued(x, x), X509_V_OK);
    assert_int_equal(X509_get_signature_nid(x), NID_sha256WithRSAEncryption);
    assert_signed_by(x, &g_rsa_ca, &g_ec_ca);
    serial = X509_get0_serialNumber(x);
    assert_int_equal(ASN1_STRING_length(serial), 16);
    assert_int_equal(ASN1_STRING_type(serial), V_ASN1_INTEGER); /* positive */
    assert_non_null(X509_get0_subject_key_id(x));
    X509_free(x);
    tfpki_cert_free(&root);
}

static void test_serials_are_random(void **state)
{
    tfpki_spec s = ca_spec("Serial");
    tfpki_cert a, b;
    X509 *xa, *xb;

    (void)state;
    issue_ok(&a, &s, &g_ec_ca, NULL, NULL);
    issue_ok(&b, &s, &g_ec_ca, NULL, NULL);
    xa = to_x509(&a);
    xb = to_x509(&b);
    assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(xa), X509_get0_serialNumber(xb)),
                         0);
    X509_free(xa);
    X509_free(xb);
    tfpki_cert_free(&a);
    tfpki_cert_free(&b);
}

/* ---- leaves under an intermediate -------------------------------------------------- */

static void test_chain_signatures_and_links(void **state)
{
    tfpki_spec rs = ca_spec("Root R"), is = ca_spec("Inter E"), ls = leaf_spec();
    tfpki_cert root, inter, leaf;
    X509 *xr, *xi, *xl;

    (void)state;
    issue_ok(&root, &rs, &g_rsa_ca, NULL, NULL);
    issue_ok(&inter, &is, &g_ec_ca, &root, &g_rsa_ca);
    issue_ok(&leaf, &ls, &g_rsa_leaf, &inter, &g_ec_ca);
    xr = to_x509(&root);
    xi = to_x509(&inter);
    xl = to_x509(&leaf);
    assert_int_equal(X509_get_signature_nid(xi), NID_sha256WithRSAEncryption);
    assert_int_equal(X509_get_signature_nid(xl), NID_ecdsa_with_SHA256);
    assert_signed_by(xi, &g_rsa_ca, &g_ec_ca);
    assert_signed_by(xl, &g_ec_ca, &g_rsa_ca);
    /* issuer name and AKID line up with the issuer's subject and SKID */
    assert_int_equal(X509_check_issued(xr, xi), X509_V_OK);
    assert_int_equal(X509_check_issued(xi, xl), X509_V_OK);
    assert_int_not_equal(X509_check_issued(xr, xl), X509_V_OK);
    assert_int_equal(
        ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(xl), X509_get0_subject_key_id(xi)), 0);
    assert_int_equal(X509_check_ca(xi), 1);
    assert_int_equal(X509_check_ca(xl), 0);
    X509_free(xr);
    X509_free(xi);
    X509_free(xl);
    tfpki_cert_free(&root);
    tfpki_cert_free(&inter);
    tfpki_cert_free(&leaf);
}

/* A whole chain verified by OpenSSL's own path validation at a fixed time. */
static void test_openssl_verifies_chain(void **state)
{
    tfpki_spec rs = ca_spec("Root V"), is = ca_spec("Inter V"), ls = leaf_spec();
    tfpki_cert root, inter, leaf;
    X509 *xr, *xi, *xl;
    X509_STORE *store = X509_STORE_new();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();

    (void)state;
    issue_ok(&root, &rs, &g_ec_ca, NULL, NULL);
    issue_ok(&inter, &is, &g_rsa_ca, &root, &g_ec_ca);
    issue_ok(&leaf, &ls, &g_ec_leaf, &inter, &g_rsa_ca);
    xr = to_x509(&root);
    xi = to_x509(&inter);
    xl = to_x509(&leaf);
    assert_int_equal(X509_STORE_add_cert(store, xr), 1);
    assert_true(sk_X509_push(untrusted, xi) > 0);
    assert_int_equal(X509_STORE_CTX_init(ctx, store, xl, untrusted), 1);
    X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), (time_t)T_2030);
    X509_VERIFY_PARAM_set_purpose(X509_STORE_CTX_get0_param(ctx), X509_PURPOSE_SSL_SERVER);
    assert_int_equal(X509_verify_cert(ctx), 1);
    X509_STORE_CTX_free(ctx);
    sk_X509_free(untrusted);
    X509_STORE_free(store);
    X509_free(xr);
    X509_free(xi);
    X509_free(xl);
    tfpki_cert_free(&root);
    tfpki_cert_free(&inter);
    tfpki_cert_free(&leaf);
}

static void test_subject_alt_names(void **state)
{
    tfpki_spec s = leaf_spec();
    tfpki_cert leaf;
    X509 *x;
    GENERAL_NAMES *gens;
    int i, dns = 0, ip4 = 0, ip6 = 0;

    (void)state;
    issue_ok(&leaf, &s, &g_ec_leaf, NULL, NULL);
    x = to_x509(&leaf);
    gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
    assert_non_null(gens);
    assert_int_equal(sk_GENERAL_NAME_num(gens), 4);
    for (i = 0; i < sk_GENERAL_NAME_num(gens); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
        if (g->type == GEN_DNS) {
            dns++;
        } else if (g->type == GEN_IPADD) {
            ip4 += ASN1_STRING_length(g->d.iPAddress) == 4;
            ip6 += ASN1_STRING_length(g->d.iPAddress) == 16;
        }
    }
    GENERAL_NAMES_free(gens);
    assert_int_equal(dns, 2);
    assert_int_equal(ip4, 1);
    assert_int_equal(ip6, 1);
    /* subject CN is "leaf": these matches can only come from the SAN */
    assert_int_equal(X509_check_host(x, "www.example.com", 0, 0, NULL), 1);
    assert_int_equal(X509_check_host(x, "a.example.org", 0, 0, NULL), 1);
    assert_int_equal(X509_check_host(x, "example.com", 0, 0, NULL), 0);
    assert_int_equal(X509_check_host(x, "leaf", 0, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, NULL), 0);
    assert_int_equal(X509_check_ip_asc(x, "10.1.2.3", 0), 1);
    assert_int_equal(X509_check_ip_asc(x, "2001:db8:0:0:0:0:0:1", 0), 1);
    assert_int_equal(X509_check_ip_asc(x, "10.1.2.4", 0), 0);
    assert_int_equal(X509_check_ip_asc(x, "2001:db8::2", 0), 0);
    X509_free(x);
    tfpki_cert_free(&leaf);
}

static void test_no_san_when_no_names(void **state)
{
    tfpki_spec s = ca_spec("No Names");
    tfpki_cert c;
    X509 *x;

    (void)state;
    issue_ok(&c, &s, &g_ec_ca, NULL, NULL);
    x = to_x509(&c);
    assert_int_equal(X509_get_ext_by_NID(x, NID_subject_alt_name, -1), -1);
    X509_free(x);
    tfpki_cert_free(&c);
}

static void test_leaf_usages(void **state)
{
    tfpki_spec s = leaf_spec();
    tfpki_cert rsa, ec;
    X509 *xr, *xe;

    (void)state;
    issue_ok(&rsa, &s, &g_rsa_leaf, NULL, NULL);
    issue_ok(&ec, &s, &g_ec_leaf, NULL, NULL);
    xr = to_x509(&rsa);
    xe = to_x509(&ec);
    assert_int_equal(X509_get_key_usage(xr), KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT);
    assert_int_equal(X509_get_key_usage(xe), KU_DIGITAL_SIGNATURE);
    assert_true(X509_get_extended_key_usage(xr) & XKU_SSL_SERVER);
    assert_true(X509_get_extended_key_usage(xr) & XKU_SSL_CLIENT);
    assert_int_equal(X509_check_purpose(xr, X509_PURPOSE_SSL_SERVER, 0), 1);
    assert_int_equal(X509_check_purpose(xe, X509_PURPOSE_SSL_SERVER, 0), 1);
    X509_free(xr);
    X509_free(xe);
    tfpki_cert_free(&rsa);
    tfpki_cert_free(&ec);
}

/* ---- validity ---------------------------------------------------------------------- */

/* Issue with [nb, na] and check OpenSSL reads back exactly those instants and types. */
static void check_validity(int64_t nb, int64_t na, int nb_type, int na_type)
{
    tfpki_spec s = leaf_spec();
    tfpki_cert c;
    X509 *x;

    s.not_before = nb;
    s.not_after = na;
    issue_ok(&c, &s, &g_ec_leaf, NULL, NULL);
    x = to_x509(&c);
    assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notBefore(x), (time_t)nb), 0);
    assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notAfter(x), (time_t)na), 0);
    assert_int_equal(ASN1_STRING_type(X509_get0_notBefore(x)), nb_type);
    assert_int_equal(ASN1_STRING_type(X509_get0_notAfter(x)), na_type);
    /* one second either side is a different instant */
    assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notAfter(x), (time_t)(na + 1)), -1);
    assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notBefore(x), (time_t)(nb - 1)), 1);
    X509_free(x);
    tfpki_cert_free(&c);
}

static void test_validity_exact(void **state)
{
    (void)state;
    check_validity(T_2030 + 12345, T_2030 + 98765, V_ASN1_UTCTIME, V_ASN1_UTCTIME);
    /* 2049-12-31T23:59:59Z is the last UTCTime; 2050 switches to GeneralizedTime */
    check_validity(2524607999, 2524608000, V_ASN1_UTCTIME, V_ASN1_GENERALIZEDTIME);
    /* before the epoch (1960) and before 1950 (1949-06-15) */
    check_validity(-315619200, -1, V_ASN1_UTCTIME, V_ASN1_UTCTIME);
    check_validity(-648432000, 0, V_ASN1_GENERALIZEDTIME, V_ASN1_UTCTIME);
    /* 9999-12-31T23:59:59Z, RFC 5280's "no well-defined expiration" */
    check_validity(0, 253402300799, V_ASN1_UTCTIME, V_ASN1_GENERALIZEDTIME);
}

static void test_expired_and_future_against_clock(void **state)
{
    tfpki_spec s = leaf_spec();
    tfpki_cert past, future;
    X509 *xp, *xf;
    int64_t now = (int64_t)time(NULL);

    (void)state;
    s.not_before = now - 20 * DAY;
    s.not_after = now - 10 * DAY;
    issue_ok(&past, &s, &g_ec_leaf, NULL, NULL);
    s.not_before = now + 10 * DAY;
    s.not_after = now + 20 * DAY;
    issue_ok(&future, &s, &g_ec_leaf, NULL, NULL);
    xp = to_x509(&past);
    xf = to_x509(&future);
    assert_true(X509_cmp_time(X509_get0_notAfter(xp), NULL) < 0);  /* expired */
    assert_true(X509_cmp_time(X509_get0_notBefore(xf), NULL) > 0); /* not yet valid */
    X509_free(xp);
    X509_free(xf);
    tfpki_cert_free(&past);
    tfpki_cert_free(&future);
}

/* ---- keys -------------------------------------------------------------------------- */

static void test_generated_keys_parse(void **state)
{
    EVP_PKEY *rsa = to_pkey(&g_rsa_ca), *ec = to_pkey(&g_ec_ca);
    BIO *bio;
    EVP_PKEY *from_pem;
    char curve[32];
    size_t curve_len = 0;

    (void)state;
    assert_int_equal(EVP_PKEY_get_base_id(rsa), EVP_PKEY_RSA);
    assert_int_equal(EVP_PKEY_get_bits(rsa), 2048);
    assert_int_equal(EVP_PKEY_get_base_id(ec), EVP_PKEY_EC);
    assert_int_equal(EVP_PKEY_get_utf8_string_param(ec, "group", curve, sizeof(curve), &curve_len),
                     1);
    assert_string_equal(curve, "prime256v1");
    assert_non_null(strstr(g_rsa_ca.pem, "-----BEGIN RSA PRIVATE KEY-----"));
    assert_non_null(strstr(g_ec_ca.pem, "-----BEGIN EC PRIVATE KEY-----"));
    bio = BIO_new_mem_buf(g_ec_ca.pem, -1);
    from_pem = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    assert_non_null(from_pem);
    assert_int_equal(EVP_PKEY_eq(from_pem, ec), 1);
    EVP_PKEY_free(from_pem);
    BIO_free(bio);
    EVP_PKEY_free(rsa);
    EVP_PKEY_free(ec);
}

static void test_cert_matches_key_and_pem(void **state)
{
    tfpki_spec s = leaf_spec();
    tfpki_cert c;
    X509 *x, *from_pem;
    EVP_PKEY *pk = to_pkey(&g_rsa_leaf), *other = to_pkey(&g_rsa_ca);
    BIO *bio;
    unsigned char *der = NULL;
    int der_len;

    (void)state;
    issue_ok(&c, &s, &g_rsa_leaf, NULL, NULL);
    x = to_x509(&c);
    assert_int_equal(X509_check_private_key(x, pk), 1);
    assert_int_equal(X509_check_private_key(x, other), 0);
    bio = BIO_new_mem_buf(c.pem, -1);
    from_pem = PEM_read_bio_X509(bio, NULL, NULL, NULL);
    assert_non_null(from_pem);
    der_len = i2d_X509(from_pem, &der);
    assert_int_equal(der_len, (int)c.der_len);
    assert_memory_equal(der, c.der, c.der_len);
    OPENSSL_free(der);
    X509_free(from_pem);
    BIO_free(bio);
    X509_free(x);
    EVP_PKEY_free(pk);
    EVP_PKEY_free(other);
    tfpki_cert_free(&c);
}

static void assert_loads_as(const uint8_t *buf, size_t len, const tfpki_key *expect)
{
    tfpki_key k;

    assert_int_equal(tfpki_key_load(&k, buf, len), 0);
    assert_int_equal(k.type, expect->type);
    assert_int_equal(k.der_len, expect->der_len);
    assert_memory_equal(k.der, expect->der, k.der_len);
    assert_string_equal(k.pem, expect->pem);
    tfpki_key_free(&k);
}

/* PKCS#8 PEM and DER as OpenSSL writes them. */
static void assert_pkcs8_loads(const tfpki_key *key)
{
    EVP_PKEY *pk = to_pkey(key);
    BIO *bio = BIO_new(BIO_s_mem());
    char *data;
    long n;

    assert_int_equal(PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL), 1);
    n = BIO_get_mem_data(bio, &data);
    assert_non_null(strstr(data, "-----BEGIN PRIVATE KEY-----"));
    assert_loads_as((const uint8_t *)data, (size_t)n, key);
    BIO_free(bio);
    bio = BIO_new(BIO_s_mem());
    assert_int_equal(i2d_PKCS8PrivateKey_bio(bio, pk, NULL, NULL, 0, NULL, NULL), 1);
    n = BIO_get_mem_data(bio, &data);
    assert_loads_as((const uint8_t *)data, (size_t)n, key);
    BIO_free(bio);
    EVP_PKEY_free(pk);
}

static void test_key_load_round_trips(void **state)
{
    (void)state;
    assert_loads_as((const uint8_t *)g_rsa_ca.pem, strlen(g_rsa_ca.pem), &g_rsa_ca);
    assert_loads_as(g_rsa_ca.der, g_rsa_ca.der_len, &g_rsa_ca);
    assert_loads_as((const uint8_t *)g_ec_ca.pem, strlen(g_ec_ca.pem), &g_ec_ca);
    assert_loads_as(g_ec_ca.der, g_ec_ca.der_len, &g_ec_ca);
    assert_pkcs8_loads(&g_rsa_ca);
    assert_pkcs8_loads(&g_ec_ca);
}

static void test_key_load_rejects(void **state)
{
    static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x00};
    EVP_PKEY *p384 = EVP_EC_gen("secp384r1");
    unsigned char *der = NULL;
    int der_len;
    tfpki_key k;

    (void)state;
    assert_int_not_equal(tfpki_key_load(&k, junk, sizeof(junk)), 0);
    assert_int_not_equal(tfpki_key_load(&k, g_ec_ca.der, g_ec_ca.der_len - 1), 0);
    assert_int_not_equal(
        tfpki_key_load(&k, (const uint8_t *)"-----BEGIN EC PRIVATE KEY-----\n", 31), 0);
    /* only P-256 is offered for EC */
    assert_non_null(p384);
    der_len = i2d_PrivateKey(p384, &der);
    assert_true(der_len > 0);
    assert_int_not_equal(tfpki_key_load(&k, der, (size_t)der_len), 0);
    assert_null(k.der);
    OPENSSL_free(der);
    EVP_PKEY_free(p384);
}

/* ---- refusals ---------------------------------------------------------------------- */

static void test_issue_rejects_bad_specs(void **state)
{
    static const char *const bad_ip[] = {"10.1.2"};
    static const char *const bad_dns[] = {"has space.example"};
    char long_cn[80];
    tfpki_spec s = leaf_spec();
    tfpki_cert c;

    (void)state;
    s.not_before = s.not_after + 1;
    assert_int_not_equal(tfpki_cert_issue(&c, &s, &g_ec_leaf, NULL, NULL), 0);
    s = leaf_spec();
    s.ip_addrs = bad_ip;
    s.n_ip = 1;
    assert_int_not_equal(tfpki_cert_issue(&c, &s, &g_ec_leaf, NULL, NULL), 0);
    s = leaf_spec();
    s.dns_names = bad_dns;
    s.n_dns = 1;
    assert_int_not_equal(tfpki_cert_issue(&c, &s, &g_ec_leaf, NULL, NULL), 0);
    s = leaf_spec();
    memset(long_cn, 'a', sizeof(long_cn) - 1);
    long_cn[sizeof(long_cn) - 1] = '\0';
    s.common_name = long_cn;
    assert_int_not_equal(tfpki_cert_issue(&c, &s, &g_ec_leaf, NULL, NULL), 0);
    s = leaf_spec();
    s.not_after = (int64_t)253402300800; /* year 10000 */
    assert_int_not_equal(tfpki_cert_issue(&c, &s, &g_ec_leaf, NULL, NULL), 0);
    s = leaf_spec();
    issue_ok(&c, &s, &g_ec_leaf, NULL, NULL);
    {
        tfpki_cert d;
        /* an issuer certificate needs its key */
        assert_int_not_equal(tfpki_cert_issue(&d, &s, &g_ec_leaf, &c, NULL), 0);
        assert_null(d.der);
    }
    tfpki_cert_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_root_ca_bits),
        cmocka_unit_test(test_serials_are_random),
        cmocka_unit_test(test_chain_signatures_and_links),
        cmocka_unit_test(test_openssl_verifies_chain),
        cmocka_unit_test(test_subject_alt_names),
        cmocka_unit_test(test_no_san_when_no_names),
        cmocka_unit_test(test_leaf_usages),
        cmocka_unit_test(test_validity_exact),
        cmocka_unit_test(test_expired_and_future_against_clock),
        cmocka_unit_test(test_generated_keys_parse),
        cmocka_unit_test(test_cert_matches_key_and_pem),
        cmocka_unit_test(test_key_load_round_trips),
        cmocka_unit_test(test_key_load_rejects),
        cmocka_unit_test(test_issue_rejects_bad_specs),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
