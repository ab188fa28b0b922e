/* Chain and host name verification (core/src/x509.c) against certificates made at
 * run time with tfpki. Most tests use a fixed caller time NOW (2033); the test
 * test_caller_time_not_system_clock shows, relative to the machine's clock in both
 * directions, that this caller time is what counts. */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <arpa/inet.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/rsa.h>

#include "pki.h"
#include "tf_test.h"
#include "x509.h"

#define DAY  INT64_C(86400)
#define YEAR (365 * DAY)
#define NOW  INT64_C(2000000000) /* 2033-05-18T03:33:20Z */

/* Keys (RSA is slow to make: two RSA keys for the whole program). */
static tfpki_key k_root, k_leaf;                      /* RSA-2048 */
static tfpki_key k_inter1, k_inter2, k_other, k_self; /* P-256 */

/* The standard hierarchy: root -> inter1 -> inter2 -> leaf, and root -> direct. */
static tfpki_cert c_root, c_inter1, c_inter2, c_leaf, c_direct;

static const char *const k_dns[] = {"www.example.com", "*.example.org"};
static const char *const k_ips[] = {"10.1.2.3", "2001:db8::1"};

/* ---- fixtures ----------------------------------------------------------------------- */

static tfpki_spec spec(const char *cn, int is_ca, int64_t nb, int64_t na)
{
    tfpki_spec s;

    memset(&s, 0, sizeof(s));
    s.common_name = cn;
    s.is_ca = is_ca;
    s.not_before = nb;
    s.not_after = na;
    if (!is_ca) {
        s.dns_names = k_dns;
        s.n_dns = 2;
        s.ip_addrs = k_ips;
        s.n_ip = 2;
    }
    return s;
}

static tfpki_cert issue_spec(const tfpki_spec *s, const tfpki_key *key, const tfpki_cert *ic,
                             const tfpki_key *ik)
{
    tfpki_cert c;

    assert_int_equal(tfpki_cert_issue(&c, s, key, ic, ik), 0);
    return c;
}

static tfpki_cert issue(const char *cn, int is_ca, int64_t nb, int64_t na, const tfpki_key *key,
                        const tfpki_cert *ic, const tfpki_key *ik)
{
    tfpki_spec s = spec(cn, is_ca, nb, na);

    return issue_spec(&s, key, ic, ik);
}

/* A leaf under inter2 with the standard names and the given validity. */
static tfpki_cert leaf_valid(int64_t nb, int64_t na)
{
    return issue("leaf", 0, nb, na, &k_leaf, &c_inter2, &k_inter2);
}

static int group_setup(void **state)
{
    (void)state;
    if (tfpki_key_generate(&k_root, TFPKI_RSA, 2048) != 0 ||
        tfpki_key_generate(&k_leaf, TFPKI_RSA, 2048) != 0 ||
        tfpki_key_generate(&k_inter1, TFPKI_ECDSA_P256, 0) != 0 ||
        tfpki_key_generate(&k_inter2, TFPKI_ECDSA_P256, 0) != 0 ||
        tfpki_key_generate(&k_other, TFPKI_ECDSA_P256, 0) != 0 ||
        tfpki_key_generate(&k_self, TFPKI_ECDSA_P256, 0) != 0) {
        return -1;
    }
    c_root = issue("Test Root", 1, NOW - 5 * YEAR, NOW + 10 * YEAR, &k_root, NULL, NULL);
    c_inter1 = issue("Inter One", 1, NOW - 4 * YEAR, NOW + 5 * YEAR, &k_inter1, &c_root, &k_root);
    c_inter2 =
        issue("Inter Two", 1, NOW - 3 * YEAR, NOW + 4 * YEAR, &k_inter2, &c_inter1, &k_inter1);
    c_leaf = leaf_valid(NOW - 30 * DAY, NOW + 90 * DAY);
    c_direct = issue("direct", 0, NOW - 30 * DAY, NOW + 90 * DAY, &k_leaf, &c_root, &k_root);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    tfpki_cert_free(&c_root);
    tfpki_cert_free(&c_inter1);
    tfpki_cert_free(&c_inter2);
    tfpki_cert_free(&c_leaf);
    tfpki_cert_free(&c_direct);
    tfpki_key_free(&k_root);
    tfpki_key_free(&k_leaf);
    tfpki_key_free(&k_inter1);
    tfpki_key_free(&k_inter2);
    tfpki_key_free(&k_other);
    tfpki_key_free(&k_self);
    return 0;
}

/* ---- running a verification --------------------------------------------------------- */

#define MAXC 20

/* Verify chain[0..n) against anchors[0..na) and also check *detail is a sentence. */
static int run(const tfpki_cert *const *chain, size_t n, const tfpki_cert *const *anchors,
               size_t na, int64_t now, const char *host)
{
    const uint8_t *ders[MAXC], *adders[MAXC];
    size_t lens[MAXC], alens[MAXC], i;
    const char *detail = NULL;
    tf_trust *trust;
    int rc;

    assert_true(n <= MAXC && na <= MAXC);
    for (i = 0; i < n; i++) {
        ders[i] = chain[i]->der;
        lens[i] = chain[i]->der_len;
    }
    for (i = 0; i < na; i++) {
        adders[i] = anchors[i]->der;
        alens[i] = anchors[i]->der_len;
    }
    trust = tf_trust_new(adders, alens, na);
    assert_non_null(trust);
    rc = tf_x509_verify(trust, ders, lens, n, now, host, &detail);
    assert_non_null(detail);
    assert_true(strlen(detail) > 10);
    tf_trust_free(trust);
    return rc;
}

#define CHAIN(...) ((const tfpki_cert *const[]){__VA_ARGS__})
#define COUNT(...) (sizeof(CHAIN(__VA_ARGS__)) / sizeof(const tfpki_cert *))
/* VERIFY(now, host, anchor, chain...) with the single anchor given. */
#define VERIFY(now, host, anchor, ...)                                                             \
    run(CHAIN(__VA_ARGS__), COUNT(__VA_ARGS__), CHAIN(anchor), 1, now, host)

/* ---- valid chains ------------------------------------------------------------------- */

static void test_root_to_leaf(void **state)
{
    (void)state;
    assert_int_equal(VERIFY(NOW, "www.example.com", &c_root, &c_direct), TLSFLOW_OK);
    assert_int_equal(VERIFY(NOW, NULL, &c_root, &c_direct), TLSFLOW_OK);
}

static void test_intermediates_in_order(void **state)
{
    (void)state;
    assert_int_equal(VERIFY(NOW, "www.example.com", &c_root, &c_leaf, &c_inter2, &c_inter1),
                     TLSFLOW_OK);
}

static void test_intermediates_reversed(void **state)
{
    (void)state;
    assert_int_equal(VERIFY(NOW, "www.example.com", &c_root, &c_leaf, &c_inter1, &c_inter2),
                     TLSFLOW_OK);
}

static void test_chain_including_root(void **state)
{
    (void)state;
    assert_int_equal(
        VERIFY(NOW, "www.example.com", &c_root, &c_leaf, &c_inter2, &c_inter1, &c_root),
        TLSFLOW_OK);
}

static void test_anchor_is_an_intermediate(void **state)
{
    (void)state;
    /* trusting inter1 directly: the path stops there */
    assert_int_equal(VERIFY(NOW, "www.example.com", &c_inter1, &c_leaf, &c_inter2), TLSFLOW_OK);
}

static void test_several_anchors(void **state)
{
    tfpki_cert other = issue("Other Root", 1, NOW - YEAR, NOW + YEAR, &k_other, NULL, NULL);

    (void)state;
    assert_int_equal(run(CHAIN(&c_leaf, &c_inter2, &c_inter1), 3, CHAIN(&other, &c_root), 2, NOW,
                         "www.example.com"),
                     TLSFLOW_OK);
    tfpki_cert_free(&other);
}

/* ---- the caller's time, not the clock ------------------------------------------------ */

static void test_caller_time_not_system_clock(void **state)
{
    int64_t wall = (int64_t)time(NULL);
    int64_t past = wall - 20 * YEAR, future = wall + 20 * YEAR;
    tfpki_cert old_root = issue("Old Root", 1, past - YEAR, past + YEAR, &k_root, NULL, NULL);
    tfpki_cert old_leaf = issue("old", 0, past - DAY, past + DAY, &k_leaf, &old_root, &k_root);
    tfpki_cert new_root = issue("New Root", 1, future - YEAR, future + YEAR, &k_root, NULL, NULL);
    tfpki_cert new_leaf = issue("new", 0, future - DAY, future + DAY, &k_leaf, &new_root, &k_root);

    (void)state;
    /* long expired by the machine's clock, valid at the caller's time */
    assert_int_equal(VERIFY(past, "www.example.com", &old_root, &old_leaf), TLSFLOW_OK);
    assert_int_equal(VERIFY(wall, "www.example.com", &old_root, &old_leaf), TLSFLOW_E_CERT_EXPIRED);
    /* not yet valid by the machine's clock, valid at the caller's time */
    assert_int_equal(VERIFY(future, "www.example.com", &new_root, &new_leaf), TLSFLOW_OK);
    assert_int_equal(VERIFY(wall, "www.example.com", &new_root, &new_leaf),
                     TLSFLOW_E_CERT_NOT_YET_VALID);
    tfpki_cert_free(&old_root);
    tfpki_cert_free(&old_leaf);
    tfpki_cert_free(&new_root);
    tfpki_cert_free(&new_leaf);
}

/* ---- dates ------------------------------------------------------------------------- */

static void test_expired_leaf(void **state)
{
    tfpki_cert leaf = leaf_valid(NOW - 90 * DAY, NOW - 1);
    const uint8_t *der = leaf.der;
    const char *detail = NULL;
    const uint8_t *anchor = c_root.der;
    const uint8_t *chain[3] = {der, c_inter2.der, c_inter1.der};
    size_t lens[3] = {leaf.der_len, c_inter2.der_len, c_inter1.der_len};
    tf_trust *trust = tf_trust_new(&anchor, &c_root.der_len, 1);

    (void)state;
    assert_int_equal(tf_x509_verify(trust, chain, lens, 3, NOW, "www.example.com", &detail),
                     TLSFLOW_E_CERT_EXPIRED);
    assert_string_equal(detail, "certificate expired (notAfter is in the past)");
    tf_trust_free(trust);
    tfpki_cert_free(&leaf);
}

static void test_not_yet_valid_leaf(void **state)
{
    tfpki_cert leaf = leaf_valid(NOW + 1, NOW + 90 * DAY);

    (void)state;
    assert_int_equal(VERIFY(NOW, "www.example.com", &c_root, &leaf, &c_inter2, &c_inter1),
                     TLSFLOW_E_CERT_NOT_YET_VALID);
    tfpki_cert_free(&leaf);
}

static void test_validity_bounds_inclusive(void **state)
{
    tfpki_cert leaf = leaf_valid(NOW - DAY, NOW + DAY);

    (void)state;
    assert_int_equal(VERIFY(NOW - DAY, NULL, &c_root, &leaf, &c_inter2, &c_inter1), TLSFLOW_OK);
    assert_int_equal(VERIFY(NOW + DAY, NULL, &c_root, &leaf, &c_inter2, &c_inter1), TLSFLOW_OK);
    assert_int_equal(VERIFY(NOW - DAY - 1, NULL, &c_root, &leaf, &c_inter2, &c_inter1),
                     TLSFLOW_E_CERT_NOT_YET_VALID);
    assert_int_equal(VERIFY(NOW + DAY + 1, NULL, &c_root, &leaf, &c_inter2, &c_inter1),
                     TLSFLOW_E_CERT_EXPIRED);
    tfpki_cert_free(&leaf);
}

static void test_expired_intermediate(void **state)
{
    /* same name and key as inter2, so c_leaf chains through it */
    tfpki_cert stale =
        issue("Inter Two", 1, NOW - 3 * YEAR, NOW - DAY, &k_inter2, &c_inter1, &k_inter1);

    (void)state;
    assert_int_equal(VERIFY(NOW, "www.example.com", &c_root, &c_leaf, &stale, &c_inter1),
                     TLSFLOW_E_CERT_EXPIRED);
    /* the peer also sends the renewed one: the valid path wins, in either order */
    assert_int_equal(VERIFY(NOW, "www.example.com", &c_root, &c_leaf, &stale, &c_inter2, &c_inter1),
                     TLSFLOW_OK);
    assert_int_equal(VERIFY(NOW, "www.example.com", &c_root, &c_leaf, &c_inter1, &c_inter2, &stale),
                     TLSFLOW_OK);
    tfpki_cert_free(&stale);
}

static void test_not_yet_valid_intermediate(void **state)
{
    tfpki_cert early =
        issue("Inter One", 1, NOW + DAY, NOW + 5 * YEAR, &k_inter1, &c_root, &k_root);

    (void)state;
    assert_int_equal(VERIFY(NOW, "www.example.com", &c_root, &c_leaf, &c_inter2, &early),
                     TLSFLOW_E_CERT_NOT_YET_VALID);
    tfpki_cert_free(&early);
}

static void test_expired_anchor(void **state)
{
    tfpki_cert old_root = issue("Test Root", 1, NOW - 10 * YEAR, NOW - DAY, &k_root, NULL, NULL);

    (void)state;
    assert_int_equal(VERIFY(NOW, "www.example.com", &old_root, &c_leaf, &c_inter2, &c_inter1),
                     TLSFLOW_E_CERT_EXPIRED);
    assert_int_equal(VERIFY(NOW - 2 * DAY, NULL, &old_root, &c_leaf, &c_inter2, &c_inter1),
                     TLSFLOW_OK);
    tfpki_cert_free(&old_root);
}

/* ---- untrusted chains --------------------------------------------------------------- */

static void test_wrong_host(void **state)
{
    (void)state;
    assert_int_equal(VERIFY(NOW, "mail.example.com", &c_root, &c_leaf, &c_inter2, &c_inter1),
                     TLSFLOW_E_CERT_HOSTNAME);
    assert_int_equal(VERIFY(NOW, "leaf", &c_root, &c_leaf, &c_inter2, &c_inter1),
                     TLSFLOW_E_CERT_HOSTNAME);
}

static void test_unknown_ca(void **state)
{
    tfpki_cert other = issue("Other Root", 1, NOW - YEAR, NOW + YEAR, &k_other, NULL, NULL);
    tfpki_cert stray = issue("stray", 0, NOW - DAY, NOW + DAY, &k_leaf, &other, &k_other);
    tfpki_cert stray_old =
        issue("stray", 0, NOW - 9 * DAY, NOW - 8 * DAY, &k_leaf, &other, &k_other);

    (void)state;
    assert_int_equal(VERIFY(NOW, "www.example.com", &c_root, &stray), TLSFLOW_E_CERT_UNKNOWN_CA);
    /* not trusting a root because the peer sends it */
    assert_int_equal(VERIFY(NOW, "www.example.com", &c_root, &stray, &other),
                     TLSFLOW_E_CERT_UNKNOWN_CA);
    /* an expired leaf from nowhere is untrusted first, expired second */
    assert_int_equal(VERIFY(NOW, "www.example.com", &c_root, &stray_old),
                     TLSFLOW_E_CERT_UNKNOWN_CA);
    /* a missing intermediate */
    assert_int_equal(VERIFY(NOW, "www.example.com", &c_root, &c_leaf, &c_inter1),
                     TLSFLOW_E_CERT_UNKNOWN_CA);
    tfpki_cert_free(&other);
    tfpki_cert_free(&stray);
    tfpki_cert_free(&stray_old);
}

static void test_self_signed_leaf(void **state)
{
    tfpki_cert self = issue("www.example.com", 0, NOW - DAY, NOW + DAY, &k_self, NULL, NULL);
    tfpki_cert self_old =
        issue("www.example.com", 0, NOW - 9 * DAY, NOW - 8 * DAY, &k_self, NULL, NULL);

    (void)state;
    assert_int_equal(VERIFY(NOW, "www.example.com", &c_root, &self), TLSFLOW_E_CERT_SELF_SIGNED);
    assert_int_equal(VERIFY(NOW, "www.example.com", &c_root, &self_old),
                     TLSFLOW_E_CERT_SELF_SIGNED);
    /* pinned: the self-signed certificate is itself the anchor */
    assert_int_equal(VERIFY(NOW, "www.example.com", &self, &self), TLSFLOW_OK);
    assert_int_equal(VERIFY(NOW, "www.example.com", &self_old, &self_old), TLSFLOW_E_CERT_EXPIRED);
    tfpki_cert_free(&self);
    tfpki_cert_free(&self_old);
}

/* Flip one bit of the last byte, which lies inside the signature value. */
static tfpki_cert corrupt_signature(const tfpki_cert *c)
{
    tfpki_cert bad;

    memset(&bad, 0, sizeof(bad));
    bad.der = test_malloc(c->der_len);
    memcpy(bad.der, c->der, c->der_len);
    bad.der_len = c->der_len;
    bad.der[bad.der_len - 1] ^= 0x01;
    return bad;
}

static void test_broken_leaf_signature(void **state)
{
    tfpki_cert bad = corrupt_signature(&c_leaf);
    tfpki_cert old = leaf_valid(NOW - 9 * DAY, NOW - 8 * DAY);
    tfpki_cert bad_old = corrupt_signature(&old);

    (void)state;
    assert_int_equal(VERIFY(NOW, "www.example.com", &c_root, &bad, &c_inter2, &c_inter1),
                     TLSFLOW_E_CERT_SIGNATURE);
    /* wrong signature is reported before expiry */
    assert_int_equal(VERIFY(NOW, "www.example.com", &c_root, &bad_old, &c_inter2, &c_inter1),
                     TLSFLOW_E_CERT_SIGNATURE);
    test_free(bad.der);
    test_free(bad_old.der);
    tfpki_cert_free(&old);
}

static void test_broken_intermediate_signature(void **state)
{
    tfpki_cert bad = corrupt_signature(&c_inter1);

    (void)state;
    assert_int_equal(VERIFY(NOW, "www.example.com", &c_root, &c_leaf, &c_inter2, &bad),
                     TLSFLOW_E_CERT_SIGNATURE);
    test_free(bad.der);
}

static void test_leaf_cannot_issue(void **state)
{
    /* c_direct is a valid leaf; it must not act as a CA for another name */
    tfpki_cert forged = issue("forged", 0, NOW - DAY, NOW + DAY, &k_self, &c_direct, &k_leaf);
    const char *detail = NULL;
    const uint8_t *ders[2] = {forged.der, c_direct.der};
    size_t lens[2] = {forged.der_len, c_direct.der_len};
    const uint8_t *anchor = c_root.der;
    tf_trust *trust = tf_trust_new(&anchor, &c_root.der_len, 1);

    (void)state;
    assert_int_equal(tf_x509_verify(trust, ders, lens, 2, NOW, "www.example.com", &detail),
                     TLSFLOW_E_CERT_UNKNOWN_CA);
    assert_non_null(strstr(detail, "not allowed to issue"));
    tf_trust_free(trust);
    tfpki_cert_free(&forged);
}

/* ---- malformed input ---------------------------------------------------------------- */

static void test_garbage_der(void **state)
{
    static uint8_t junk[] = {0x30, 0x82, 0x01, 0x00, 0xde, 0xad, 0xbe, 0xef};
    tfpki_cert garbage = {junk, sizeof(junk), NULL};
    tfpki_cert truncated = {c_leaf.der, c_leaf.der_len / 2, NULL};

    (void)state;
    assert_int_equal(VERIFY(NOW, NULL, &c_root, &garbage), TLSFLOW_E_CERT_BAD);
    assert_int_equal(VERIFY(NOW, NULL, &c_root, &truncated), TLSFLOW_E_CERT_BAD);
    assert_int_equal(VERIFY(NOW, NULL, &c_root, &c_leaf, &c_inter2, &garbage), TLSFLOW_E_CERT_BAD);
    /* An unused extra that does not parse fails the chain whichever way it is verified:
     * with every anchor in date (one decode against them all) or with an expired one
     * beside (the full procedure). */
    tfpki_cert old = issue("Old Root", 1, NOW - 3 * YEAR, NOW - YEAR, &k_other, NULL, NULL);
    assert_int_equal(VERIFY(NOW, NULL, &c_root, &c_direct, &garbage), TLSFLOW_E_CERT_BAD);
    assert_int_equal(run(CHAIN(&c_direct, &garbage), 2, CHAIN(&c_root, &old), 2, NOW, NULL),
                     TLSFLOW_E_CERT_BAD);
    tfpki_cert_free(&old);
}

static void test_empty_and_missing(void **state)
{
    const uint8_t *anchor = c_root.der;
    tf_trust *trust = tf_trust_new(&anchor, &c_root.der_len, 1);
    tf_trust *empty = tf_trust_new(NULL, NULL, 0);
    const uint8_t *ders[17];
    size_t lens[17], i;
    const char *detail = NULL;

    (void)state;
    assert_int_equal(tf_x509_verify(trust, NULL, NULL, 0, NOW, NULL, &detail),
                     TLSFLOW_E_CERT_MISSING);
    assert_non_null(detail);
    ders[0] = c_direct.der;
    lens[0] = c_direct.der_len;
    assert_int_equal(tf_x509_verify(NULL, ders, lens, 1, NOW, NULL, &detail),
                     TLSFLOW_E_CERT_UNKNOWN_CA);
    assert_non_null(empty);
    assert_int_equal(tf_x509_verify(empty, ders, lens, 1, NOW, NULL, NULL),
                     TLSFLOW_E_CERT_UNKNOWN_CA);
    for (i = 0; i < 17; i++) {
        ders[i] = c_direct.der;
        lens[i] = c_direct.der_len;
    }
    assert_int_equal(tf_x509_verify(trust, ders, lens, 17, NOW, NULL, &detail), TLSFLOW_E_CERT_BAD);
    tf_trust_free(trust);
    tf_trust_free(empty);
}

static void test_trust_rejects_garbage(void **state)
{
    static const uint8_t junk[] = {0x30, 0x03, 0x02, 0x01, 0x01};
    const uint8_t *ders[2] = {c_root.der, junk};
    size_t lens[2] = {c_root.der_len, sizeof(junk)};

    (void)state;
    assert_null(tf_trust_new(ders, lens, 2));
}

/* ---- host names --------------------------------------------------------------------- */

static void test_wildcard_rules(void **state)
{
    static const struct {
        const char *pattern, *host;
        int match;
    } cases[] = {
        {"www.example.com", "www.example.com", 1},
        {"www.example.com", "WWW.Example.COM", 1}, /* ASCII case-insensitive */
        {"WWW.EXAMPLE.COM", "www.example.com", 1},
        {"www.example.com", "example.com", 0},
        {"www.example.com", "www.example.com.evil", 0},
        {"*.example.com", "a.example.com", 1},
        {"*.example.com", "A.EXAMPLE.com", 1},
        {"*.example.com", "a.b.example.com", 0}, /* exactly one label */
        {"*.example.com", "example.com", 0},     /* not zero labels */
        {"*.example.com", ".example.com", 0},
        {"*.com", "example.com", 0}, /* two labels after the wildcard */
        {"*.", "com", 0},
        {"*", "localhost", 0},
        {"f*o.example.com", "foo.example.com", 0}, /* partial-label wildcards refused */
        {"*oo.example.com", "foo.example.com", 0},
        {"f*.example.com", "foo.example.com", 0},
        {"a.*.example.com", "a.b.example.com", 0}, /* only the left-most label */
        {"*.*.example.com", "a.b.example.com", 0},
        {"**.example.com", "a.example.com", 0},
        {"xn--caf-dma.example.com", "XN--CAF-DMA.example.com", 1}, /* A-labels compare */
        {"*.example.com", "xn--caf-dma.example.com", 1},
        {"xn--*.example.com", "xn--caf-dma.example.com", 0},
        {"caf\xc3\xa9.example.com", "caf\xc3\xa9.example.com", 0}, /* U-labels refused */
        {"www.example.com", "www.example.com.", 1},                /* one root dot is ignored */
        {"www.example.com.", "www.example.com", 1},
        {"*.example.com.", "a.example.com", 1},
        {"www.example.com", "www.example.com..", 0},
        {"www..example.com", "www..example.com", 0},
        {"*.example.com", "*.example.com", 0}, /* hosts never contain '*' */
        {"*.2.3.4", "1.2.3.4", 0},             /* IP literals: iPAddress only */
        {"1.2.3.4", "1.2.3.4", 0},
        {"", "www.example.com", 0},
        {"www.example.com", "", 0},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int got = tf_hostname_match(cases[i].pattern, strlen(cases[i].pattern), cases[i].host);
        if (got != cases[i].match) {
            fail_msg("pattern '%s' host '%s': got %d", cases[i].pattern, cases[i].host, got);
        }
    }
    /* an embedded NUL never truncates the pattern into a match */
    assert_int_equal(tf_hostname_match("www.example.com\0.evil.net", 25, "www.example.com"), 0);
    assert_int_equal(tf_hostname_match("www.example.com", 15, "www.example.com"), 1);
    assert_int_equal(tf_hostname_match("www.example.comX", 15, "www.example.com"), 1);
}

static void test_ip_san(void **state)
{
    (void)state;
    assert_int_equal(VERIFY(NOW, "10.1.2.3", &c_root, &c_direct), TLSFLOW_OK);
    assert_int_equal(VERIFY(NOW, "2001:db8::1", &c_root, &c_direct), TLSFLOW_OK);
    assert_int_equal(VERIFY(NOW, "2001:DB8:0:0:0:0:0:1", &c_root, &c_direct), TLSFLOW_OK);
    assert_int_equal(VERIFY(NOW, "2001:db8:0::0:1", &c_root, &c_direct), TLSFLOW_OK);
    assert_int_equal(VERIFY(NOW, "10.1.2.4", &c_root, &c_direct), TLSFLOW_E_CERT_HOSTNAME);
    assert_int_equal(VERIFY(NOW, "2001:db8::2", &c_root, &c_direct), TLSFLOW_E_CERT_HOSTNAME);
    /* the v4-mapped v6 form is a different (16-byte) address */
    assert_int_equal(VERIFY(NOW, "::ffff:10.1.2.3", &c_root, &c_direct), TLSFLOW_E_CERT_HOSTNAME);
    /* same leading bytes, other family: 2001:db8:: starts 32.1.13.184, 10.1.2.3 is a01:203 */
    assert_int_equal(VERIFY(NOW, "32.1.13.184", &c_root, &c_direct), TLSFLOW_E_CERT_HOSTNAME);
    assert_int_equal(VERIFY(NOW, "a01:203::", &c_root, &c_direct), TLSFLOW_E_CERT_HOSTNAME);
    /* leading zeros are not an IP literal, so this is a (non-matching) DNS name */
    assert_int_equal(VERIFY(NOW, "010.1.2.3", &c_root, &c_direct), TLSFLOW_E_CERT_HOSTNAME);
}

static void test_ip_and_dns_do_not_mix(void **state)
{
    static const char *const ip_only[] = {"192.0.2.7"};
    static const char *const ip_as_dns[] = {"192.0.2.8"};
    tfpki_spec s = spec("192.0.2.7", 0, NOW - DAY, NOW + DAY);
    tfpki_cert ipc, dnsc;

    (void)state;
    s.n_dns = 0;
    s.ip_addrs = ip_only;
    s.n_ip = 1;
    ipc = issue_spec(&s, &k_leaf, &c_root, &k_root);
    s = spec("x", 0, NOW - DAY, NOW + DAY);
    s.dns_names = ip_as_dns;
    s.n_dns = 1;
    s.n_ip = 0;
    dnsc = issue_spec(&s, &k_leaf, &c_root, &k_root);
    assert_int_equal(VERIFY(NOW, "192.0.2.7", &c_root, &ipc), TLSFLOW_OK);
    /* a DNS name never matches an iPAddress entry (nor the CN) */
    assert_int_equal(VERIFY(NOW, "localhost", &c_root, &ipc), TLSFLOW_E_CERT_HOSTNAME);
    assert_int_equal(VERIFY(NOW, "192.0.2.7.example", &c_root, &ipc), TLSFLOW_E_CERT_HOSTNAME);
    /* an IP literal never matches a dNSName that spells it */
    assert_int_equal(VERIFY(NOW, "192.0.2.8", &c_root, &dnsc), TLSFLOW_E_CERT_HOSTNAME);
    tfpki_cert_free(&ipc);
    tfpki_cert_free(&dnsc);
}

static void test_no_san_no_cn_fallback(void **state)
{
    tfpki_spec s = spec("www.example.com", 0, NOW - DAY, NOW + DAY);
    tfpki_cert c;

    (void)state;
    s.n_dns = 0;
    s.n_ip = 0;
    c = issue_spec(&s, &k_leaf, &c_root, &k_root);
    assert_int_equal(VERIFY(NOW, "www.example.com", &c_root, &c), TLSFLOW_E_CERT_HOSTNAME);
    assert_int_equal(VERIFY(NOW, NULL, &c_root, &c), TLSFLOW_OK);
    tfpki_cert_free(&c);
}

/* Our parser (core may not call inet_pton) against libc's. */
static void test_ip_parser_matches_libc(void **state)
{
    static const char *const inputs[] = {
        "0.0.0.0",
        "255.255.255.255",
        "1.2.3.4",
        "256.1.1.1",
        "1.2.3",
        "1.2.3.4.5",
        "01.2.3.4",
        "1.2.3.04",
        "1..2.3",
        "1.2.3.",
        ".1.2.3",
        "1.2.3.4 ",
        "-1.2.3.4",
        "1.2.3.0x4",
        "::",
        "::1",
        "1::",
        "1::2",
        "2001:db8::1",
        "2001:DB8:0:0:0:0:0:1",
        "1:2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7::",
        "::2:3:4:5:6:7:8",
        "1:2:3:4:5:6:7::8",
        "::1:2:3:4:5:6:7:8",
        "1::2::3",
        ":1:2:3:4:5:6:7",
        "1:2:3:4:5:6:7:",
        "12345::",
        "abcd::ef01",
        "g::1",
        "::ffff:1.2.3.4",
        "::1.2.3.4",
        "1:2:3:4:5:6:1.2.3.4",
        "1:2:3:4:5:6:7:1.2.3.4",
        "::1.2.3",
        "::1.2.3.04",
        "1.2.3.4::",
        "fe80::1%eth0",
        "[::1]",
        ":::",
        "",
        "localhost",
        "0:0:0:0:0:0:0:0",
        "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
        uint8_t ours[16], libc[16];
        int n = tf_ip_literal_parse(inputs[i], ours);
        int want = inet_pton(AF_INET, inputs[i], libc) == 1    ? 4
                   : inet_pton(AF_INET6, inputs[i], libc) == 1 ? 16
                                                               : 0;
        if (n != want || (n > 0 && memcmp(ours, libc, (size_t)n) != 0)) {
            fail_msg("'%s': ours %d, libc %d", inputs[i], n, want);
        }
    }
}

/* ---- summary and public key --------------------------------------------------------- */

static void test_summary(void **state)
{
    tlsflow_cert_info info;
    tfpki_cert wide = issue("wide", 0, INT64_C(-315619200), INT64_C(2524608000), &k_inter1, &c_root,
                            &k_root); /* 1960 .. 2050 */

    (void)state;
    assert_int_equal(tf_x509_summary(c_leaf.der, c_leaf.der_len, &info), TLSFLOW_OK);
    assert_non_null(strstr(info.subject, "CN=leaf"));
    assert_non_null(strstr(info.issuer, "CN=Inter Two"));
    assert_int_equal(info.not_before, NOW - 30 * DAY);
    assert_int_equal(info.not_after, NOW + 90 * DAY);
    assert_int_equal(info.key_bits, 2048);
    assert_string_equal(info.key_type, "RSA");
    assert_int_equal(tf_x509_summary(wide.der, wide.der_len, &info), TLSFLOW_OK);
    assert_int_equal(info.not_before, INT64_C(-315619200));
    assert_int_equal(info.not_after, INT64_C(2524608000));
    assert_int_equal(info.key_bits, 256);
    assert_string_equal(info.key_type, "EC");
    assert_non_null(strstr(info.issuer, "CN=Test Root"));
    assert_int_equal(tf_x509_summary(c_leaf.der, 10, &info), TLSFLOW_E_CERT_BAD);
    tfpki_cert_free(&wide);
}

/* The SubjectPublicKeyInfo as wolfCrypt itself encodes the key. */
static int expected_spki(const tfpki_key *k, uint8_t *out, size_t cap)
{
    word32 idx = 0;
    int n = -1;

    if (k->type == TFPKI_RSA) {
        RsaKey rsa;
        wc_InitRsaKey(&rsa, NULL);
        if (wc_RsaPrivateKeyDecode(k->der, &idx, &rsa, (word32)k->der_len) == 0) {
            n = wc_RsaKeyToPublicDer(&rsa, out, (word32)cap);
        }
        wc_FreeRsaKey(&rsa);
    } else {
        ecc_key ecc;
        wc_ecc_init(&ecc);
        if (wc_EccPrivateKeyDecode(k->der, &idx, &ecc, (word32)k->der_len) == 0) {
            n = wc_EccPublicKeyToDer(&ecc, out, (word32)cap, 1);
        }
        wc_ecc_free(&ecc);
    }
    return n;
}

static void check_public_key(const tfpki_cert *c, const tfpki_key *k)
{
    uint8_t got[1024], want[1024];
    size_t got_len = 0;
    int want_len = expected_spki(k, want, sizeof(want));

    assert_true(want_len > 0);
    assert_int_equal(tf_x509_public_key(c->der, c->der_len, got, sizeof(got), &got_len),
                     TLSFLOW_OK);
    assert_int_equal(got_len, (size_t)want_len);
    assert_memory_equal(got, want, got_len);
    got_len = 0;
    assert_int_equal(tf_x509_public_key(c->der, c->der_len, got, 10, &got_len), TLSFLOW_E_USAGE);
    assert_int_equal(got_len, (size_t)want_len);
}

static void test_public_key(void **state)
{
    (void)state;
    check_public_key(&c_leaf, &k_leaf);
    check_public_key(&c_inter2, &k_inter2);
    assert_int_equal(tf_x509_public_key(c_leaf.der, 5, NULL, 0, NULL), TLSFLOW_E_CERT_BAD);
    size_t need = 0; /* no buffer: the size it needs */
    assert_int_equal(tf_x509_public_key(c_leaf.der, c_leaf.der_len, NULL, 0, &need),
                     TLSFLOW_E_USAGE);
    assert_true(need > 200);
}

/* One trust store serves every verification (its manager with all anchors is built
 * once): a chain that needed intermediates must not leave them behind, and the
 * answers at a time when the anchor is out of its dates must not stick either. */
static void test_trust_shared_between_verifications(void **state)
{
    const uint8_t *anchor = c_root.der;
    size_t anchor_len = c_root.der_len;
    const uint8_t *full[3] = {c_leaf.der, c_inter2.der, c_inter1.der};
    size_t full_lens[3] = {c_leaf.der_len, c_inter2.der_len, c_inter1.der_len};
    const uint8_t *direct[1] = {c_direct.der};
    size_t direct_len[1] = {c_direct.der_len};
    tf_trust *trust = tf_trust_new(&anchor, &anchor_len, 1);
    const char *detail = NULL;
    int round;

    (void)state;
    assert_non_null(trust);
    for (round = 0; round < 2; round++) {
        assert_int_equal(tf_x509_verify(trust, full, full_lens, 3, NOW, "www.example.com", &detail),
                         TLSFLOW_OK);
        /* the leaf alone: inter2 was admitted for the last call only */
        assert_int_equal(tf_x509_verify(trust, full, full_lens, 1, NOW, "www.example.com", &detail),
                         TLSFLOW_E_CERT_UNKNOWN_CA);
        assert_int_equal(
            tf_x509_verify(trust, direct, direct_len, 1, NOW, "www.example.com", &detail),
            TLSFLOW_OK);
        /* after the root's notAfter, then back at NOW */
        assert_int_equal(
            tf_x509_verify(trust, direct, direct_len, 1, NOW + 20 * YEAR, NULL, &detail),
            TLSFLOW_E_CERT_EXPIRED);
    }
    tf_trust_free(trust);
}

/* tf_x509_check describes the leaf even when the chain fails, so the trace can
 * say what the peer sent; a leaf it cannot read is not described. */
static void test_check_describes_and_verifies(void **state)
{
    const uint8_t *anchor = c_root.der;
    size_t anchor_len = c_root.der_len;
    const uint8_t *ders[1] = {c_leaf.der};
    size_t lens[1] = {c_leaf.der_len};
    tlsflow_cert_info info;
    uint8_t spki[1024], want[1024];
    int want_len = expected_spki(&k_leaf, want, sizeof(want));
    tf_x509_chain in = {ders, lens, 1, NOW, "www.example.com", 0};
    tf_x509_leaf leaf = {&info, spki, sizeof(spki), 0, TF_KEY_NONE, 0};
    tf_trust *trust = tf_trust_new(&anchor, &anchor_len, 1);
    const char *detail = NULL;

    (void)state;
    assert_non_null(trust);
    assert_int_equal(tf_x509_check(trust, &in, &leaf, &detail), TLSFLOW_E_CERT_UNKNOWN_CA);
    assert_int_equal(leaf.described, 1);
    assert_int_equal(leaf.key_type, TF_KEY_RSA);
    assert_non_null(strstr(info.subject, "CN=leaf"));
    assert_int_equal(leaf.spki_len, (size_t)want_len);
    assert_memory_equal(spki, want, leaf.spki_len);

    ders[0] = c_direct.der;
    lens[0] = c_direct.der_len;
    assert_int_equal(tf_x509_check(trust, &in, &leaf, &detail), TLSFLOW_OK);
    assert_int_equal(leaf.described, 1);
    assert_string_equal(detail, "certificate chain verified");

    lens[0] = 10;
    assert_int_equal(tf_x509_check(trust, &in, &leaf, &detail), TLSFLOW_E_CERT_BAD);
    assert_int_equal(leaf.described, 0);
    tf_trust_free(trust);
}

/* ---- CA constraints (chains made by OpenSSL: tests/fixtures/make.sh constraints) ------ */

typedef struct {
    uint8_t *der;
    size_t len;
} fixture_cert;

static fixture_cert constraint_cert(const char *name)
{
    char path[64];
    fixture_cert c;
    snprintf(path, sizeof(path), "constraints/%s.der", name);
    c.der = tft_fixture(path, &c.len);
    assert_non_null(c.der);
    return c;
}

/* Verify names[0] (leaf) and the rest as intermediates against one anchor, a day
 * after the leaf's notBefore. */
static int verify_constrained(const char *anchor, const char *const *names, size_t n,
                              const char *host, const char **detail)
{
    fixture_cert a = constraint_cert(anchor), certs[4];
    const uint8_t *ders[4];
    size_t lens[4], i;
    tlsflow_cert_info info;
    int rc;

    assert_true(n <= 4);
    for (i = 0; i < n; i++) {
        certs[i] = constraint_cert(names[i]);
        ders[i] = certs[i].der;
        lens[i] = certs[i].len;
    }
    assert_int_equal(tf_x509_summary(ders[0], lens[0], &info), TLSFLOW_OK);
    const uint8_t *anchor_der = a.der;
    tf_trust *trust = tf_trust_new(&anchor_der, &a.len, 1);
    assert_non_null(trust);
    rc = tf_x509_verify(trust, ders, lens, n, info.not_before + DAY, host, detail);
    tf_trust_free(trust);
    for (i = 0; i < n; i++) {
        free(certs[i].der);
    }
    free(a.der);
    return rc;
}

#define NAMES(...)                                                                                 \
    ((const char *const[]){__VA_ARGS__}),                                                          \
        (sizeof((const char *[]){__VA_ARGS__}) / sizeof(const char *))

/* i0 says pathlen:0, so no CA may sit below it; OpenSSL refuses this chain too. */
static void test_path_length_constraint(void **state)
{
    const char *detail = NULL;

    (void)state;
    assert_int_equal(
        verify_constrained("root", NAMES("deep", "i1", "i0"), "www.example.com", &detail),
        TLSFLOW_E_CERT_BAD);
    assert_non_null(strstr(detail, "pathLenConstraint"));
    assert_int_equal(verify_constrained("root", NAMES("deep", "i0", "i1"), NULL, &detail),
                     TLSFLOW_E_CERT_BAD);
    assert_non_null(strstr(detail, "pathLenConstraint"));
    /* trusting i1 itself: i0 is not on the path */
    assert_int_equal(verify_constrained("i1", NAMES("deep"), "www.example.com", &detail),
                     TLSFLOW_OK);
}

/* nc may only issue for .example.com; a leaf that also names www.other.test is refused,
 * whether nc arrives as an intermediate or is the anchor itself. */
static void test_name_constraints(void **state)
{
    const char *detail = NULL;

    (void)state;
    assert_int_equal(verify_constrained("root", NAMES("nc-in", "nc"), "www.example.com", &detail),
                     TLSFLOW_OK);
    assert_int_equal(verify_constrained("root", NAMES("nc-out", "nc"), "www.example.com", &detail),
                     TLSFLOW_E_CERT_BAD);
    assert_non_null(strstr(detail, "nameConstraints"));
    assert_int_equal(verify_constrained("nc", NAMES("nc-out"), "www.example.com", &detail),
                     TLSFLOW_E_CERT_BAD);
    assert_non_null(strstr(detail, "nameConstraints"));
    assert_int_equal(verify_constrained("nc", NAMES("nc-in"), "www.example.com", &detail),
                     TLSFLOW_OK);
}

/* wolfCrypt drops iPAddress subtrees, so a leaf named by IP address under a
 * name-constrained CA cannot be checked and is refused (RFC 5280 4.2.1.10: check or
 * refuse), even when it would pass; OpenSSL refuses ncip-out too. */
static void test_ip_name_constraints_refused(void **state)
{
    const char *detail = NULL;

    (void)state;
    assert_int_equal(verify_constrained("root", NAMES("ncip-out", "ncip"), "192.168.1.1", &detail),
                     TLSFLOW_E_CERT_BAD);
    assert_non_null(strstr(detail, "iPAddress"));
    assert_int_equal(verify_constrained("ncip", NAMES("ncip-out"), "192.168.1.1", &detail),
                     TLSFLOW_E_CERT_BAD);
    assert_int_equal(verify_constrained("root", NAMES("ncip-in", "ncip"), "10.1.2.3", &detail),
                     TLSFLOW_E_CERT_BAD);
    assert_non_null(strstr(detail, "iPAddress"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_root_to_leaf),
        cmocka_unit_test(test_intermediates_in_order),
        cmocka_unit_test(test_intermediates_reversed),
        cmocka_unit_test(test_chain_including_root),
        cmocka_unit_test(test_anchor_is_an_intermediate),
        cmocka_unit_test(test_several_anchors),
        cmocka_unit_test(test_caller_time_not_system_clock),
        cmocka_unit_test(test_expired_leaf),
        cmocka_unit_test(test_not_yet_valid_leaf),
        cmocka_unit_test(test_validity_bounds_inclusive),
        cmocka_unit_test(test_expired_intermediate),
        cmocka_unit_test(test_not_yet_valid_intermediate),
        cmocka_unit_test(test_expired_anchor),
        cmocka_unit_test(test_wrong_host),
        cmocka_unit_test(test_unknown_ca),
        cmocka_unit_test(test_self_signed_leaf),
        cmocka_unit_test(test_broken_leaf_signature),
        cmocka_unit_test(test_broken_intermediate_signature),
        cmocka_unit_test(test_leaf_cannot_issue),
        cmocka_unit_test(test_garbage_der),
        cmocka_unit_test(test_empty_and_missing),
        cmocka_unit_test(test_trust_rejects_garbage),
        cmocka_unit_test(test_wildcard_rules),
        cmocka_unit_test(test_ip_san),
        cmocka_unit_test(test_ip_and_dns_do_not_mix),
        cmocka_unit_test(test_no_san_no_cn_fallback),
        cmocka_unit_test(test_ip_parser_matches_libc),
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_public_key),
        cmocka_unit_test(test_trust_shared_between_verifications),
        cmocka_unit_test(test_check_describes_and_verifies),
        cmocka_unit_test(test_path_length_constraint),
        cmocka_unit_test(test_name_constraints),
        cmocka_unit_test(test_ip_name_constraints_refused),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
