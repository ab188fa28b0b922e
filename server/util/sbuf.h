/* A growable text buffer with a hard cap, for rendering pages and log lines.
 * Once the cap is hit the buffer stops growing and remembers it overflowed, so
 * a renderer never needs to check every append. */
#ifndef TLSFLOW_SBUF_H
#define TLSFLOW_SBUF_H

#include <stddef.h>

typedef struct {
    char *p;
    size_t len;
    size_t cap;
    size_t max; /* hard cap, including the terminating NUL */
    int overflow;
} sbuf;

void sb_init(sbuf *b, size_t max);
void sb_free(sbuf *b);
/* Hand the text over to the caller (who frees it); the sbuf becomes empty. */
char *sb_take(sbuf *b, size_t *len);
void sb_putn(sbuf *b, const char *s, size_t n);
void sb_puts(sbuf *b, const char *s);
void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append s escaped for HTML text and attribute values. */
void sb_html(sbuf *b, const char *s);
/* Drop everything after byte len (to undo a partial append). */
void sb_truncate(sbuf *b, size_t len);

#endif
