/* Host names and IP literals as certificates name them: RFC 6125 matching of one SAN
 * dNSName against a host, and the textual IPv4/IPv6 forms. Pure string work, no
 * wolfSSL: x509.c applies it to the SAN entries wolfCrypt decoded. */
#include "hostname.h"

#include <string.h>

#define TF_DNS_NAME_MAX 253 /* RFC 1035, without the trailing dot */

/* Dotted quad: exactly four decimal parts 0..255, no leading zeros (no octal
 * ambiguity). Parses s[0..len). */
static int parse_ipv4(const char *s, size_t len, uint8_t out[4])
{
    size_t i = 0;
    int part;

    for (part = 0; part < 4; part++) {
        unsigned v = 0, digits = 0;
        if (part > 0 && (i >= len || s[i++] != '.')) {
            return 0;
        }
        while (i < len && s[i] >= '0' && s[i] <= '9' && digits < 4) {
            v = v * 10 + (unsigned)(s[i++] - '0');
            digits++;
        }
        if (digits == 0 || digits > 3 || v > 255 || (digits > 1 && s[i - digits] == '0')) {
            return 0;
        }
        out[part] = (uint8_t)v;
    }
    return i == len;
}

static int hex_value(char ch)
{
    if (ch >= '0' && ch <= '9') {
        return ch - '0';
    }
    if (ch >= 'a' && ch <= 'f') {
        return ch - 'a' + 10;
    }
    if (ch >= 'A' && ch <= 'F') {
        return ch - 'A' + 10;
    }
    return -1;
}

/* One 1-4 digit hex group at s[*i]; -1 if none. */
static long hex_group(const char *s, size_t len, size_t *i)
{
    long v = 0;
    size_t digits = 0;

    while (*i < len && hex_value(s[*i]) >= 0) {
        if (++digits > 4) {
            return -1;
        }
        v = v * 16 + hex_value(s[(*i)++]);
    }
    return digits == 0 ? -1 : v;
}

/* Does the group starting at s[i] hold a dot before the next colon (an IPv4 tail)? */
static int ipv4_tail_at(const char *s, size_t len, size_t i)
{
    for (; i < len && s[i] != ':'; i++) {
        if (s[i] == '.') {
            return 1;
        }
    }
    return 0;
}

/* Expand up to 8 parsed groups around a "::" gap into 16 bytes. */
static void ipv6_expand(const uint16_t *g, int ng, int gap, uint8_t out[16])
{
    int k, pos = 0;

    memset(out, 0, 16);
    for (k = 0; k < ng; k++) {
        if (k == gap) {
            pos += 8 - ng;
        }
        out[2 * pos] = (uint8_t)(g[k] >> 8);
        out[2 * pos + 1] = (uint8_t)g[k];
        pos++;
    }
}

/* RFC 4291 2.2 text forms: 8 groups, one "::" for a run of zero groups, an
 * optional dotted-quad tail. No zone index, no brackets. */
static int parse_ipv6(const char *s, size_t len, uint8_t out[16])
{
    uint16_t g[8];
    int ng = 0, gap = -1;
    size_t i = 0;
    uint8_t v4[4];
    long v;

    if (len >= 2 && s[0] == ':' && s[1] == ':') {
        gap = 0;
        i = 2;
    }
    while (i < len) {
        if (ng < 7 && ipv4_tail_at(s, len, i)) {
            if (!parse_ipv4(s + i, len - i, v4)) {
                return 0;
            }
            g[ng++] = (uint16_t)(v4[0] << 8 | v4[1]);
            g[ng++] = (uint16_t)(v4[2] << 8 | v4[3]);
            i = len;
            break;
        }
        if (ng == 8 || (v = hex_group(s, len, &i)) < 0) {
            return 0;
        }
        g[ng++] = (uint16_t)v;
        if (i == len) {
            break;
        }
        if (s[i++] != ':' || i == len) {
            return 0; /* a single trailing colon */
        }
        if (s[i] == ':') {
            if (gap >= 0) {
                return 0; /* a second "::" */
            }
            gap = ng;
            i++;
        }
    }
    if ((gap < 0 && ng != 8) || (gap >= 0 && ng > 7)) {
        return 0;
    }
    ipv6_expand(g, ng, gap, out);
    return 1;
}

int tf_ip_literal_parse(const char *text, uint8_t out[16])
{
    size_t len;

    if (text == NULL) {
        return 0;
    }
    len = strlen(text);
    if (parse_ipv4(text, len, out)) {
        return 4;
    }
    if (strchr(text, ':') != NULL && parse_ipv6(text, len, out)) {
        return 16;
    }
    return 0;
}

static char ascii_lower(char ch)
{
    return (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
}

static int ascii_case_equal(const char *a, const char *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) {
            return 0;
        }
    }
    return 1;
}

/* Non-empty dot-separated labels of printable ASCII other than '*'. Non-ASCII
 * bytes are refused: internationalised names must arrive as A-labels (xn--). */
static int dns_name_ok(const char *s, size_t len)
{
    int label_start = 1;
    size_t i;

    if (len == 0 || len > TF_DNS_NAME_MAX) {
        return 0;
    }
    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '.') {
            if (label_start) {
                return 0;
            }
            label_start = 1;
        } else if (ch <= 0x20 || ch >= 0x7f || ch == '*') {
            return 0;
        } else {
            label_start = 0;
        }
    }
    return !label_start;
}

/* One trailing dot marks an absolute name; it does not change the name. */
static size_t strip_root_dot(const char *s, size_t len)
{
    return len > 0 && s[len - 1] == '.' ? len - 1 : len;
}

/* A host name label (RFC 952, RFC 1123 2.1): letters, digits and hyphens (an A-label,
 * xn--, is one too). */
static int ldh_label(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        char ch = ascii_lower(s[i]);
        if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-')) {
            return 0;
        }
    }
    return len > 0;
}

static int wildcard_match(const char *rest, size_t rest_len, const char *host, size_t host_len)
{
    const char *dot = memchr(host, '.', host_len);
    size_t tail;

    /* Two or more labels after the wildcard: "*.example.com" yes, "*.com" never. */
    if (!dns_name_ok(rest, rest_len) || memchr(rest, '.', rest_len) == NULL || dot == NULL) {
        return 0;
    }
    /* The wildcard vouches for host name labels only: "*.example.com" does not name
     * "{x}.example.com" or "a_b.example.com" (as OpenSSL's X509_check_host). */
    if (!ldh_label(host, (size_t)(dot - host))) {
        return 0;
    }
    tail = host_len - (size_t)(dot + 1 - host);
    return tail == rest_len && ascii_case_equal(dot + 1, rest, rest_len);
}

int tf_hostname_match(const char *pattern, size_t pattern_len, const char *host)
{
    uint8_t ip[16];
    size_t host_len;

    if (pattern == NULL || host == NULL || tf_ip_literal_parse(host, ip) != 0) {
        return 0; /* IP literals match iPAddress entries only */
    }
    host_len = strip_root_dot(host, strlen(host));
    pattern_len = strip_root_dot(pattern, pattern_len);
    if (!dns_name_ok(host, host_len)) {
        return 0;
    }
    if (pattern_len >= 2 && pattern[0] == '*' && pattern[1] == '.') {
        return wildcard_match(pattern + 2, pattern_len - 2, host, host_len);
    }
    return dns_name_ok(pattern, pattern_len) && pattern_len == host_len &&
           ascii_case_equal(pattern, host, host_len);
}
