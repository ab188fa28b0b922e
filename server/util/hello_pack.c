#include "hello_pack.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The counts fit a byte each: lists stop at TLSFLOW_INFO_LIST_MAX (64) entries, point
 * formats at 16 and the ALPN text at 255 characters. */
struct hello_pack {
    uint16_t version;
    uint8_t n_suites, n_extensions, n_groups, n_sig_algs, n_point_formats, alpn_len;
    /* suites, extensions, groups, sig_algs back to back; then the point formats and the
     * ALPN text (no NUL) as bytes */
    uint16_t lists[];
};

static uint8_t list_len(size_t n)
{
    return (uint8_t)(n < TLSFLOW_INFO_LIST_MAX ? n : TLSFLOW_INFO_LIST_MAX);
}

static size_t lists_len(const hello_pack *p)
{
    return (size_t)p->n_suites + p->n_extensions + p->n_groups + p->n_sig_algs;
}

static uint16_t *put16(uint16_t *dst, const uint16_t *src, size_t n)
{
    memcpy(dst, src, n * sizeof(*dst));
    return dst + n;
}

static const uint16_t *get16(uint16_t *dst, const uint16_t *src, size_t n)
{
    memcpy(dst, src, n * sizeof(*dst));
    return src + n;
}

size_t hello_pack_size(const hello_pack *p)
{
    return sizeof(*p) + lists_len(p) * sizeof(uint16_t) + p->n_point_formats + p->alpn_len;
}

hello_pack *hello_pack_new(const tlsflow_hello_info *h)
{
    hello_pack head = {
        .version = h->version,
        .n_suites = list_len(h->n_suites),
        .n_extensions = list_len(h->n_extensions),
        .n_groups = list_len(h->n_groups),
        .n_sig_algs = list_len(h->n_sig_algs),
        .n_point_formats =
            (uint8_t)(h->n_point_formats < sizeof(h->point_formats) ? h->n_point_formats
                                                                    : sizeof(h->point_formats)),
        .alpn_len = (uint8_t)strnlen(h->alpn, sizeof(h->alpn) - 1),
    };
    hello_pack *p = malloc(hello_pack_size(&head));
    if (!p)
        return NULL;
    *p = head;
    uint16_t *l = put16(p->lists, h->suites, p->n_suites);
    l = put16(l, h->extensions, p->n_extensions);
    l = put16(l, h->groups, p->n_groups);
    uint8_t *b = (uint8_t *)put16(l, h->sig_algs, p->n_sig_algs);
    memcpy(b, h->point_formats, p->n_point_formats);
    memcpy(b + p->n_point_formats, h->alpn, p->alpn_len);
    return p;
}

void hello_pack_unpack(const hello_pack *p, tlsflow_hello_info *out)
{
    memset(out, 0, sizeof(*out));
    out->version = p->version;
    out->n_suites = p->n_suites;
    out->n_extensions = p->n_extensions;
    out->n_groups = p->n_groups;
    out->n_sig_algs = p->n_sig_algs;
    out->n_point_formats = p->n_point_formats;
    const uint16_t *l = get16(out->suites, p->lists, p->n_suites);
    l = get16(out->extensions, l, p->n_extensions);
    l = get16(out->groups, l, p->n_groups);
    const uint8_t *b = (const uint8_t *)get16(out->sig_algs, l, p->n_sig_algs);
    memcpy(out->point_formats, b, p->n_point_formats);
    memcpy(out->alpn, b + p->n_point_formats, p->alpn_len); /* NUL from the memset */
}
