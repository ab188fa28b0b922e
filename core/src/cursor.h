/* The one bounds-checked cursor for all parsing and writing.
 *
 * Reading: every get fails (returns 0) once the cursor has run out or been marked bad,
 * and a failed cursor stays failed, so a parser can read a whole structure and check
 * once at the end. Nested blocks (length-prefixed vectors) are sub-cursors that must
 * be consumed exactly.
 *
 * Writing: every put fails once the buffer is full; vectors reserve their length
 * prefix and back-fill it when closed. */
#ifndef TLSFLOW_CURSOR_H
#define TLSFLOW_CURSOR_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    const uint8_t *p;
    size_t len; /* bytes left */
    int bad;
} tf_reader;

tf_reader tf_reader_init(const uint8_t *p, size_t len);
int tf_get_u8(tf_reader *r, uint8_t *v);
int tf_get_u16(tf_reader *r, uint16_t *v);
int tf_get_u24(tf_reader *r, uint32_t *v);
/* Take n raw bytes: *out points into the input. */
int tf_get_bytes(tf_reader *r, size_t n, const uint8_t **out);
/* Copy exactly n bytes into out. */
int tf_get_copy(tf_reader *r, uint8_t *out, size_t n);
/* Open a vector whose length prefix is `prefix` bytes (1, 2 or 3) as a sub-reader. */
int tf_get_vector(tf_reader *r, int prefix, tf_reader *sub);
/* Same, with the vector's length required to lie in [min, max]. */
int tf_get_vector_bounded(tf_reader *r, int prefix, size_t min, size_t max, tf_reader *sub);
/* True when the reader is healthy and fully consumed. */
int tf_reader_done(const tf_reader *r);
/* True when the reader is healthy (possibly with bytes left). */
int tf_reader_ok(const tf_reader *r);

typedef struct {
    uint8_t *p;
    size_t cap;
    size_t len;
    int bad;
} tf_writer;

/* Position of a reserved length prefix, for tf_put_vector_end. */
typedef struct {
    size_t at;
    int prefix;
} tf_vec;

tf_writer tf_writer_init(uint8_t *p, size_t cap);
int tf_put_u8(tf_writer *w, uint8_t v);
int tf_put_u16(tf_writer *w, uint16_t v);
int tf_put_u24(tf_writer *w, uint32_t v);
int tf_put_bytes(tf_writer *w, const void *data, size_t n);
/* Reserve n bytes and return where they are (NULL on overflow). */
uint8_t *tf_put_reserve(tf_writer *w, size_t n);
/* Start a vector with a `prefix`-byte length (1, 2 or 3). */
tf_vec tf_put_vector_begin(tf_writer *w, int prefix);
/* Back-fill the vector's length; fails if it does not fit the prefix. */
int tf_put_vector_end(tf_writer *w, tf_vec v);
int tf_writer_ok(const tf_writer *w);

#endif
