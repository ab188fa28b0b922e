/* fuzz_x509: certificate handling over wolfSSL: tf_x509_summary and tf_x509_public_key on
 * each certificate, tf_x509_verify of the chain against the fixture trust store, and the
 * host name rules (tf_hostname_match, tf_ip_literal_parse) on fuzzed names.
 *
 * Byte 0: bits 0-2 number of certificates (mod 5), bits 3-4 the time (test time, epoch 0,
 * year 2200, or four fuzzed bytes that follow), bits 5-6 the host to verify (none,
 * "localhost", "127.0.0.1", the fuzzed host below), bit 7 a fault: the next byte n, and the
 * chain is verified a second time with the engine's n-th wolfCrypt call or allocation
 * failing (TFF_FAULT_CRYPTO), which must never turn a refusal into an acceptance. Then each
 * certificate as [u16 length][DER]; the rest is "pattern\0host". */
#include <stdio.h>
#include <string.h>

#include "fuzz_common.h"
#include "internal.h"
#include "tf_test.h"

#define MAX_CERTS 4

static char lower(char ch)
{
    return ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
}

static char upper(char ch)
{
    return ch >= 'a' && ch <= 'z' ? (char)(ch - 32) : ch;
}

static int same_ignoring_case(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (lower(a[i]) != lower(b[i]))
            return 0;
    return 1;
}

static size_t without_root_dot(const char *s, size_t n)
{
    return n && s[n - 1] == '.' ? n - 1 : n;
}

static void check_hostname(const char *pattern, size_t plen, const char *host)
{
    int m = tf_hostname_match(pattern, plen, host);
    TFF_CHECK(m == 0 || m == 1);
    /* Case never matters. */
    char up[512], low[512];
    size_t hlen = strlen(host);
    for (size_t i = 0; i < plen; i++)
        up[i] = upper(pattern[i]);
    for (size_t i = 0; i <= hlen; i++)
        low[i] = lower(host[i]);
    TFF_CHECK(tf_hostname_match(up, plen, low) == m);
    if (!m)
        return;
    uint8_t ip[16];
    TFF_CHECK(tf_ip_literal_parse(host, ip) == 0); /* IP literals never match DNS names */
    size_t p = without_root_dot(pattern, plen), h = without_root_dot(host, hlen);
    TFF_CHECK(memchr(host, '*', hlen) == NULL);
    if (p >= 2 && pattern[0] == '*' && pattern[1] == '.') {
        /* A wildcard stands for exactly one whole, non-empty left-most label. */
        const char *dot = memchr(host, '.', h);
        TFF_CHECK(dot != NULL && dot > host);
        size_t rest = h - (size_t)(dot + 1 - host);
        TFF_CHECK(rest == p - 2 && same_ignoring_case(dot + 1, pattern + 2, rest));
        TFF_CHECK(memchr(pattern + 2, '.', p - 2) != NULL); /* never "*.com" */
    } else {
        TFF_CHECK(p == h && same_ignoring_case(pattern, host, h));
        TFF_CHECK(memchr(pattern, '*', plen) == NULL);
    }
}

/* Parsing, printing and parsing again gives the same address. */
static void check_ip(const char *host)
{
    uint8_t ip[16], again[16];
    char text[64];
    int n = tf_ip_literal_parse(host, ip);
    TFF_CHECK(n == 0 || n == 4 || n == 16);
    if (n == 4) {
        snprintf(text, sizeof(text), "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
    } else if (n == 16) {
        size_t o = 0;
        for (int i = 0; i < 16; i += 2)
            o += (size_t)snprintf(text + o, sizeof(text) - o, i ? ":%x" : "%x",
                                  (unsigned)((ip[i] << 8) | ip[i + 1]));
    } else {
        return;
    }
    TFF_CHECK(tf_ip_literal_parse(text, again) == n && memcmp(ip, again, (size_t)n) == 0);
}

/* The three ways to read a certificate agree: tf_x509_summary, tf_x509_public_key and the
 * single-parse tf_x509_describe; and the key the SPKI holds is the one the summary names. */
static void check_describe(const uint8_t *der, size_t len)
{
    tlsflow_cert_info a, b;
    uint8_t spki_a[TF_MAX_SPKI], spki_b[TF_MAX_SPKI];
    size_t la = 0, lb = 0;
    int ra = tf_x509_summary(der, len, &a);
    int pa = tf_x509_public_key(der, len, spki_a, sizeof(spki_a), &la);
    int rb = tf_x509_describe(der, len, &b, spki_b, sizeof(spki_b), &lb);
    if (ra != 0) {
        TFF_CHECK(rb != 0);
        return;
    }
    TFF_CHECK(memchr(a.subject, 0, sizeof(a.subject)) && memchr(a.issuer, 0, sizeof(a.issuer)));
    TFF_CHECK(a.key_type != NULL && a.key_bits >= 0);
    if (rb != 0) {
        TFF_CHECK(pa != 0); /* describe fails only where the key cannot be copied */
        return;
    }
    TFF_CHECK(strcmp(a.subject, b.subject) == 0 && strcmp(a.issuer, b.issuer) == 0);
    TFF_CHECK(a.not_before == b.not_before && a.not_after == b.not_after);
    TFF_CHECK(a.key_bits == b.key_bits && strcmp(a.key_type, b.key_type) == 0);
    TFF_CHECK(pa == 0 && la == lb && memcmp(spki_a, spki_b, la) == 0);
    uint16_t group = 0;
    int bits = 0;
    tf_key_type t = tf_public_key_info(spki_b, lb, &group, &bits);
    if (t == TF_KEY_RSA)
        TFF_CHECK(strcmp(b.key_type, "RSA") == 0);
    else if (t == TF_KEY_EC)
        TFF_CHECK(strcmp(b.key_type, "EC") == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tff_reset();
    tff_input in = {data, size};
    uint8_t opt = tff_u8(&in);
    size_t n = (opt & 7) % (MAX_CERTS + 1);
    unsigned fault_at = opt & 0x80 ? tff_u8(&in) : 0;
    int64_t now = TF_TEST_TIME;
    switch ((opt >> 3) & 3) {
    case 1:
        now = 0;
        break;
    case 2:
        now = 7258118400; /* 2200-01-01 */
        break;
    case 3:
        now = (int64_t)(((uint32_t)tff_u16(&in) << 16) | tff_u16(&in));
        break;
    }
    const uint8_t *certs[MAX_CERTS];
    size_t lens[MAX_CERTS];
    for (size_t i = 0; i < n; i++)
        lens[i] = tff_take(&in, tff_u16(&in), &certs[i]);

    /* The rest: pattern, NUL, host (both bounded, host NUL-terminated). */
    char pattern[256], host[256];
    size_t plen = 0, hlen = 0;
    while (in.len && plen < sizeof(pattern)) {
        uint8_t ch = tff_u8(&in);
        if (ch == 0)
            break;
        pattern[plen++] = (char)ch;
    }
    while (in.len && hlen + 1 < sizeof(host)) {
        uint8_t ch = tff_u8(&in);
        if (ch == 0)
            break;
        host[hlen++] = (char)ch;
    }
    host[hlen] = 0;

    for (size_t i = 0; i < n; i++)
        check_describe(certs[i], lens[i]);

    const char *expect = NULL;
    switch ((opt >> 5) & 3) {
    case 1:
        expect = "localhost";
        break;
    case 2:
        expect = "127.0.0.1";
        break;
    case 3:
        expect = host;
        break;
    }
    const tlsflow_config *cfg = tff_client_config(TFF_CLIENT_DEFAULT);
    const char *detail = NULL;
    int rc = tf_x509_verify(cfg->trust, certs, lens, n, now, expect, &detail);
    TFF_CHECK(detail != NULL);
    TFF_CHECK(rc == TLSFLOW_OK || rc == TLSFLOW_E_INTERNAL ||
              (rc <= TLSFLOW_E_CERT_EXPIRED && rc >= TLSFLOW_E_CERT_MISSING));
    TFF_CHECK(n > 0 || rc == TLSFLOW_E_CERT_MISSING);
    if (fault_at) {
        /* Fail closed: a primitive or an allocation that fails midway gives an error, or
         * (when the failure did not matter) the same verdict. */
        tff_set_fault(TFF_FAULT_CRYPTO, fault_at);
        const char *why = NULL;
        int rc_fault = tf_x509_verify(cfg->trust, certs, lens, n, now, expect, &why);
        TFF_CHECK(why != NULL && (rc_fault == rc || rc_fault != TLSFLOW_OK));
        tff_set_fault(TFF_FAULT_NONE, 0);
    }

    /* The client's single-parse route gives the same verdict whenever it could
     * describe the leaf, and the leaf's summary is describe's. */
    tlsflow_cert_info info, alone;
    uint8_t spki[TF_MAX_SPKI];
    tf_x509_chain chain = {certs, lens, n, now, expect, 0};
    tf_x509_leaf leaf = {&info, spki, sizeof(spki), 0, TF_KEY_NONE, 0};
    int rc2 = tf_x509_check(cfg->trust, &chain, &leaf, &detail);
    if (leaf.described) {
        TFF_CHECK(rc2 == rc);
        TFF_CHECK(tf_x509_summary(certs[0], lens[0], &alone) == 0);
        TFF_CHECK(strcmp(alone.subject, info.subject) == 0 && alone.key_bits == info.key_bits);
        uint16_t group = 0;
        int bits = 0;
        TFF_CHECK(leaf.key_type == tf_public_key_info(spki, leaf.spki_len, &group, &bits));
    } else {
        TFF_CHECK(rc2 == (n == 0 ? TLSFLOW_E_CERT_MISSING : TLSFLOW_E_CERT_BAD));
    }

    check_hostname(pattern, plen, host);
    check_ip(host);
    return 0;
}
