/* The bytes of an echo stream (--send-bytes N, --send FILE): a fixed pattern or a file,
 * read front to back. The client opens one to send and another to check the echo. */
#ifndef TLSFLOW_CLIENT_STREAM_H
#define TLSFLOW_CLIENT_STREAM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    FILE *f;      /* the file, or NULL for the pattern */
    uint64_t pos; /* bytes read so far */
} client_stream;

/* Open path (a regular file; *size gets its size) or, with path NULL, the pattern.
 * 0, or -1 with a message printed. */
int stream_open(client_stream *s, const char *path, uint64_t *size);
/* The next n bytes into out; fewer only at the end of a file or on a read error. */
size_t stream_read(client_stream *s, uint8_t *out, size_t n);
void stream_close(client_stream *s);

#endif
