#include "cursor.h"

#include <string.h>

tf_reader tf_reader_init(const uint8_t *p, size_t len)
{
    tf_reader r = {p, len, 0};
    return r;
}

/* Every read goes through here: the only place that compares against the length. */
static const uint8_t *take(tf_reader *r, size_t n)
{
    if (r->bad || n > r->len) {
        r->bad = 1;
        return NULL;
    }
    const uint8_t *at = r->p;
    r->p += n;
    r->len -= n;
    return at;
}

int tf_get_u8(tf_reader *r, uint8_t *v)
{
    const uint8_t *b = take(r, 1);
    if (!b)
        return 0;
    *v = b[0];
    return 1;
}

int tf_get_u16(tf_reader *r, uint16_t *v)
{
    const uint8_t *b = take(r, 2);
    if (!b)
        return 0;
    *v = (uint16_t)((b[0] << 8) | b[1]);
    return 1;
}

int tf_get_u24(tf_reader *r, uint32_t *v)
{
    const uint8_t *b = take(r, 3);
    if (!b)
        return 0;
    *v = ((uint32_t)b[0] << 16) | ((uint32_t)b[1] << 8) | b[2];
    return 1;
}

int tf_get_bytes(tf_reader *r, size_t n, const uint8_t **out)
{
    const uint8_t *b = take(r, n);
    if (!b)
        return 0;
    *out = b;
    return 1;
}

int tf_get_copy(tf_reader *r, uint8_t *out, size_t n)
{
    const uint8_t *b = take(r, n);
    if (!b)
        return 0;
    if (n)
        memcpy(out, b, n);
    return 1;
}

static int get_length(tf_reader *r, int prefix, size_t *n)
{
    uint8_t u8;
    uint16_t u16;
    uint32_t u24;
    switch (prefix) {
    case 1:
        if (!tf_get_u8(r, &u8))
            return 0;
        *n = u8;
        return 1;
    case 2:
        if (!tf_get_u16(r, &u16))
            return 0;
        *n = u16;
        return 1;
    case 3:
        if (!tf_get_u24(r, &u24))
            return 0;
        *n = u24;
        return 1;
    default:
        r->bad = 1;
        return 0;
    }
}

int tf_get_vector(tf_reader *r, int prefix, tf_reader *sub)
{
    size_t n;
    const uint8_t *body;
    *sub = tf_reader_init(NULL, 0);
    sub->bad = 1;
    if (!get_length(r, prefix, &n) || !tf_get_bytes(r, n, &body))
        return 0;
    *sub = tf_reader_init(body, n);
    return 1;
}

int tf_get_vector_bounded(tf_reader *r, int prefix, size_t min, size_t max, tf_reader *sub)
{
    if (!tf_get_vector(r, prefix, sub))
        return 0;
    if (sub->len < min || sub->len > max) {
        r->bad = 1;
        sub->bad = 1;
        return 0;
    }
    return 1;
}

int tf_reader_done(const tf_reader *r)
{
    return !r->bad && r->len == 0;
}

int tf_reader_ok(const tf_reader *r)
{
    return !r->bad;
}

tf_writer tf_writer_init(uint8_t *p, size_t cap)
{
    tf_writer w = {p, cap, 0, 0};
    return w;
}

uint8_t *tf_put_reserve(tf_writer *w, size_t n)
{
    if (w->bad || n > w->cap - w->len) {
        w->bad = 1;
        return NULL;
    }
    uint8_t *at = w->p + w->len;
    w->len += n;
    return at;
}

int tf_put_u8(tf_writer *w, uint8_t v)
{
    uint8_t *b = tf_put_reserve(w, 1);
    if (!b)
        return 0;
    b[0] = v;
    return 1;
}

int tf_put_u16(tf_writer *w, uint16_t v)
{
    uint8_t *b = tf_put_reserve(w, 2);
    if (!b)
        return 0;
    b[0] = (uint8_t)(v >> 8);
    b[1] = (uint8_t)v;
    return 1;
}

int tf_put_u24(tf_writer *w, uint32_t v)
{
    uint8_t *b = tf_put_reserve(w, 3);
    if (!b || v > 0xFFFFFFu)
        return w->bad = 1, 0;
    b[0] = (uint8_t)(v >> 16);
    b[1] = (uint8_t)(v >> 8);
    b[2] = (uint8_t)v;
    return 1;
}

int tf_put_bytes(tf_writer *w, const void *data, size_t n)
{
    uint8_t *b = tf_put_reserve(w, n);
    if (!b)
        return 0;
    if (n)
        memcpy(b, data, n);
    return 1;
}

tf_vec tf_put_vector_begin(tf_writer *w, int prefix)
{
    tf_vec v = {w->len, prefix};
    if (prefix < 1 || prefix > 3 || !tf_put_reserve(w, (size_t)prefix))
        w->bad = 1;
    return v;
}

int tf_put_vector_end(tf_writer *w, tf_vec v)
{
    if (w->bad)
        return 0;
    size_t n = w->len - v.at - (size_t)v.prefix;
    if (n >> (8 * v.prefix)) {
        w->bad = 1;
        return 0;
    }
    for (int i = 0; i < v.prefix; i++)
        w->p[v.at + (size_t)i] = (uint8_t)(n >> (8 * (v.prefix - 1 - i)));
    return 1;
}

int tf_writer_ok(const tf_writer *w)
{
    return !w->bad;
}
