#include "client_export.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/coding.h>

#include "util/files.h"

/* CONTEXT_HEX: pairs of hex digits (either case), decoded by wolfCrypt. */
static int hex_decode(const char *s, size_t len, uint8_t *out, size_t cap, size_t *n)
{
    word32 got = (word32)cap;
    if (len % 2 || len / 2 > cap)
        return -1;
    if (len > 0 && Base16_Decode((const byte *)s, (word32)len, out, &got) != 0)
        return -1;
    *n = len ? got : 0;
    return 0;
}

int export_parse(const char *arg, client_export *e)
{
    memset(e, 0, sizeof(*e));
    const char *last = strrchr(arg, ':');
    const char *first = strchr(arg, ':');
    if (!last || last == arg) {
        errorf("--export wants LABEL[:CONTEXT_HEX]:LEN, not '%s'", arg);
        return -1;
    }
    char *end;
    unsigned long len = strtoul(last + 1, &end, 10);
    if (!last[1] || *end || last[1] == '-' || len < 1 || len > CLIENT_EXPORT_LEN_MAX) {
        errorf("--export: LEN must be a number from 1 to %d, not '%s'", CLIENT_EXPORT_LEN_MAX,
               last + 1);
        return -1;
    }
    e->len = len;
    size_t label_len = (size_t)(first - arg);
    if (label_len > CLIENT_EXPORT_LABEL_MAX) {
        errorf("--export: the label is longer than %d bytes", CLIENT_EXPORT_LABEL_MAX);
        return -1;
    }
    memcpy(e->label, arg, label_len);
    e->label[label_len] = 0;
    if (first != last) {
        e->has_context = 1;
        const char *ctx = first + 1;
        if (hex_decode(ctx, (size_t)(last - ctx), e->context, sizeof(e->context),
                       &e->context_len) != 0) {
            errorf("--export: the context must be hex digits in pairs (at most %d bytes), not "
                   "'%.*s'",
                   CLIENT_EXPORT_CONTEXT_MAX, (int)(last - ctx), ctx);
            return -1;
        }
    }
    return 0;
}

int export_print(const client_export *e, const tlsflow_conn *c)
{
    uint8_t *out = malloc(e->len);
    if (!out) {
        errorf("out of memory");
        return -1;
    }
    int rc = tlsflow_export_keying_material(c, e->label, e->has_context ? e->context : NULL,
                                            e->context_len, out, e->len);
    if (rc != 0) {
        errorf("--export %s: the engine refused (%s): a label TLS itself uses?", e->label,
               tlsflow_error_name(rc));
        free(out);
        return -1;
    }
    fprintf(stderr, "keying material %s (", e->label);
    if (!e->has_context)
        fprintf(stderr, "no context");
    else if (e->context_len == 0)
        fprintf(stderr, "empty context");
    else
        for (size_t i = 0; i < e->context_len; i++)
            fprintf(stderr, "%s%02x", i ? "" : "context ", e->context[i]);
    fprintf(stderr, ", %zu bytes): ", e->len);
    for (size_t i = 0; i < e->len; i++)
        fprintf(stderr, "%02x", out[i]);
    fputc('\n', stderr);
    free(out);
    return 0;
}
