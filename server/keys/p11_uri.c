/* RFC 7512 PKCS#11 URIs, the subset a server key needs:
 *
 *   pkcs11:<path attributes separated by ';'>[?<query attributes separated by '&'>]
 *
 * path: token, manufacturer, model, serial (which token), object, id (which key),
 * type (only "private"), library-manufacturer/-description/-version (accepted, not
 * used); query: pin-value, pin-source, module-path. Values are percent-decoded (§2.3);
 * an attribute given twice, or one we do not know, is refused rather than ignored, so a
 * URI never selects something other than what it says. */
#include "p11_uri.h"

#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *why, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t cap, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
    return -1;
}

/* Percent-decode v[0..n) into out (cap bytes); *len gets the length. -1 on a bad escape
 * or when it does not fit. */
static int pct_decode(const char *v, size_t n, uint8_t *out, size_t cap, size_t *len)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        int b = (unsigned char)v[i];
        if (v[i] == '%') {
            if (i + 2 >= n || !isxdigit((unsigned char)v[i + 1]) ||
                !isxdigit((unsigned char)v[i + 2]))
                return -1;
            char hex[3] = {v[i + 1], v[i + 2], 0};
            b = (int)strtol(hex, NULL, 16);
            i += 2;
        }
        if (k == cap)
            return -1;
        out[k++] = (uint8_t)b;
    }
    *len = k;
    return 0;
}

/* A text value: decoded, no NUL inside, at most cap - 1 bytes. */
static int text_value(const char *name, const char *v, size_t n, char *out, size_t cap, char *why,
                      size_t wcap)
{
    size_t len;
    if (pct_decode(v, n, (uint8_t *)out, cap - 1, &len) != 0)
        return fail(why, wcap, "%s: a bad %%-escape or longer than %zu bytes", name, cap - 1);
    if (memchr(out, 0, len))
        return fail(why, wcap, "%s: holds a NUL byte", name);
    out[len] = 0;
    return 0;
}

typedef struct {
    const char *name;
    size_t off, cap; /* where in p11_uri (text) */
} text_attr;

#define TA(n, f)                                                                                   \
    {                                                                                              \
        n, offsetof(p11_uri, f), sizeof(((p11_uri *)0)->f)                                         \
    }
static const text_attr path_attrs[] = {TA("token", token), TA("manufacturer", manufacturer),
                                       TA("model", model), TA("serial", serial),
                                       TA("object", object)};
static const text_attr query_attrs[] = {TA("pin-value", pin), TA("pin-source", pin_source),
                                        TA("module-path", module)};

static int one_attr(p11_uri *u, int query, const char *a, size_t n, unsigned *seen, char *why,
                    size_t cap)
{
    const char *eq = memchr(a, '=', n);
    if (!eq || eq == a)
        return fail(why, cap, "'%.*s' is not NAME=VALUE", (int)n, a);
    size_t nl = (size_t)(eq - a);
    const char *v = eq + 1;
    size_t vl = n - nl - 1;
    const text_attr *list = query ? query_attrs : path_attrs;
    size_t count = query ? sizeof(query_attrs) / sizeof(query_attrs[0])
                         : sizeof(path_attrs) / sizeof(path_attrs[0]);
    for (size_t i = 0; i < count; i++) {
        if (strlen(list[i].name) != nl || memcmp(list[i].name, a, nl) != 0)
            continue;
        unsigned bit = 1u << (i + (query ? 16 : 0));
        if (*seen & bit)
            return fail(why, cap, "%s given twice", list[i].name);
        *seen |= bit;
        if (text_value(list[i].name, v, vl, (char *)u + list[i].off, list[i].cap, why, cap) != 0)
            return -1;
        if (query && i == 0)
            u->has_pin = 1;
        return 0;
    }
    if (!query && nl == 2 && memcmp(a, "id", 2) == 0) {
        if (u->has_id)
            return fail(why, cap, "id given twice");
        if (pct_decode(v, vl, u->id, sizeof(u->id), &u->id_len) != 0)
            return fail(why, cap, "id: a bad %%-escape or longer than %d bytes", P11_ID_MAX);
        u->has_id = 1;
        return 0;
    }
    if (!query && nl == 4 && memcmp(a, "type", 4) == 0) {
        if (vl != 7 || memcmp(v, "private", 7) != 0)
            return fail(why, cap, "type=%.*s: a server key is type=private", (int)vl, v);
        return 0;
    }
    if (!query && nl > 8 && memcmp(a, "library-", 8) == 0)
        return 0; /* describes the module; the module is chosen by path */
    return fail(why, cap,
                "unsupported attribute '%.*s' (supported: token, manufacturer, model, "
                "serial, object, id, type; ?pin-value, pin-source, module-path)",
                (int)nl, a);
}

int p11_uri_parse(const char *text, p11_uri *out, char *why, size_t cap)
{
    memset(out, 0, sizeof(*out));
    if (!text || !*text)
        return fail(why, cap, "empty key reference");
    if (strncmp(text, "pkcs11:", 7) != 0) {
        /* A plain label. */
        if (strlen(text) >= sizeof(out->object))
            return fail(why, cap, "the label is longer than %zu bytes", sizeof(out->object) - 1);
        snprintf(out->object, sizeof(out->object), "%s", text);
        return 0;
    }
    const char *p = text + 7;
    const char *q = strchr(p, '?');
    const char *path_end = q ? q : p + strlen(p);
    unsigned seen = 0;
    for (const char *a = p; a < path_end;) {
        const char *e = memchr(a, ';', (size_t)(path_end - a));
        if (!e)
            e = path_end;
        if (e > a && one_attr(out, 0, a, (size_t)(e - a), &seen, why, cap) != 0)
            return -1;
        a = e + 1;
    }
    if (q) {
        const char *end = q + strlen(q);
        for (const char *a = q + 1; a < end;) {
            const char *e = strchr(a, '&');
            if (!e)
                e = end;
            if (e > a && one_attr(out, 1, a, (size_t)(e - a), &seen, why, cap) != 0)
                return -1;
            a = e + 1;
        }
    }
    if (!out->object[0] && !out->has_id)
        return fail(why, cap, "the URI names no key: give object=LABEL or id=...");
    if (out->has_pin && out->pin_source[0])
        return fail(why, cap, "pin-value and pin-source both given");
    return 0;
}
