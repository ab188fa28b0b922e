#include "client_stream.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "util/files.h"

int stream_open(client_stream *s, const char *path, uint64_t *size)
{
    memset(s, 0, sizeof(*s));
    if (!path)
        return 0;
    struct stat st;
    if (!(s->f = fopen(path, "rb"))) {
        errorf("cannot read --send file '%s': %s", path, strerror(errno));
        return -1;
    }
    if (fstat(fileno(s->f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) {
        errorf("--send wants a regular file that is not empty: '%s'", path);
        stream_close(s);
        return -1;
    }
    *size = (uint64_t)st.st_size;
    return 0;
}

/* Eight pattern bytes for block b (a 64-bit mixing function of the block number), so
 * a shifted, repeated or swapped stretch of the stream never equals the original. */
static uint64_t pattern_block(uint64_t b)
{
    uint64_t z = b * 0x9E3779B97F4A7C15ull + 0x7466666c6f77ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void pattern_fill(uint64_t pos, uint8_t *out, size_t n)
{
    size_t k = 0;
    while (k < n) {
        uint64_t at = pos + k, v = pattern_block(at >> 3);
        for (unsigned byte = (unsigned)(at & 7); byte < 8 && k < n; byte++)
            out[k++] = (uint8_t)(v >> (8 * byte));
    }
}

size_t stream_read(client_stream *s, uint8_t *out, size_t n)
{
    if (s->f)
        n = fread(out, 1, n, s->f);
    else
        pattern_fill(s->pos, out, n);
    s->pos += n;
    return n;
}

void stream_close(client_stream *s)
{
    if (s->f)
        fclose(s->f);
    s->f = NULL;
}
