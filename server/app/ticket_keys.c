#include "ticket_keys.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/random.h>

#include "util/files.h"

#define WHAT         "--ticket-key-file"
#define KEY_FILE_MAX (64 * 1024)
#define MAKE_ONE     "echo $(openssl rand -hex 16) $(openssl rand -hex 32) > FILE"

int ticket_keys_random(tlsflow_ticket_key *out)
{
    WC_RNG rng;
    int bad = wc_InitRng(&rng) != 0;
    if (!bad) {
        bad = wc_RNG_GenerateBlock(&rng, out->name, sizeof(out->name)) != 0 ||
              wc_RNG_GenerateBlock(&rng, out->key, sizeof(out->key)) != 0;
        wc_FreeRng(&rng);
    }
    if (bad) {
        ticket_keys_wipe(out, 1);
        errorf("cannot make a session ticket key: wolfCrypt's random generator failed");
    }
    return bad ? -1 : 0;
}

void ticket_keys_wipe(tlsflow_ticket_key *keys, size_t n)
{
    if (keys && n)
        explicit_bzero(keys, n * sizeof(*keys));
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* One field of exactly 2*n hex digits into out[n]; else a message about it and -1. */
static int hex_field(const char *path, unsigned line, const char *what, const char *s, size_t len,
                     uint8_t *out, size_t n)
{
    if (len != 2 * n) {
        errorf("%s '%s', line %u: the %s must be %zu hex digits (%zu bytes), not %zu characters",
               WHAT, path, line, what, 2 * n, n, len);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            errorf("%s '%s', line %u: the %s holds a character that is not a hex digit", WHAT, path,
                   line, what);
            return -1;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

static int all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

/* One line "NAME KEY" (already known not to be blank or a comment) into *k. */
static int parse_line(const char *path, unsigned line, char *text, tlsflow_ticket_key *k)
{
    const char *sep = " \t\r";
    char *save = NULL, *f[3];
    int n = 0;
    for (char *p = strtok_r(text, sep, &save); p && n < 3; p = strtok_r(NULL, sep, &save))
        f[n++] = p;
    if (n != 2) {
        errorf("%s '%s', line %u: expected two fields, a name (32 hex digits) and a key (64 "
               "hex digits), separated by a space; found %s",
               WHAT, path, line, n < 2 ? "one" : "more");
        return -1;
    }
    if (hex_field(path, line, "name", f[0], strlen(f[0]), k->name, sizeof(k->name)) != 0 ||
        hex_field(path, line, "key", f[1], strlen(f[1]), k->key, sizeof(k->key)) != 0)
        return -1;
    if (all_zero(k->key, sizeof(k->key))) {
        errorf("%s '%s', line %u: the key is all zeros: make a random one (%s)", WHAT, path, line,
               MAKE_ONE);
        return -1;
    }
    return 0;
}

int ticket_keys_load(const char *path, tlsflow_ticket_key *out, size_t *n)
{
    uint8_t *buf;
    size_t len;
    *n = 0;
    if (file_read_all(path, KEY_FILE_MAX, WHAT, &buf, &len) != 0)
        return -1;
    int rc = 0;
    unsigned line = 0, at_line[TICKET_KEYS_MAX];
    char *p = (char *)buf, *end = p + len;
    if (memchr(buf, '\0', len)) {
        errorf("%s '%s' is not a text file (hex lines \"NAME KEY\"; make one with: %s)", WHAT, path,
               MAKE_ONE);
        rc = -1;
    }
    while (rc == 0 && p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *stop = nl ? nl : end;
        *stop = '\0';
        line++;
        char *t = p + strspn(p, " \t\r");
        p = stop + 1;
        if (*t == '\0' || *t == '#')
            continue;
        if (*n == TICKET_KEYS_MAX) {
            errorf("%s '%s', line %u: more than %d keys (the engine holds at most %d: drop the "
                   "oldest)",
                   WHAT, path, line, TICKET_KEYS_MAX, TICKET_KEYS_MAX);
            rc = -1;
            break;
        }
        if (parse_line(path, line, t, &out[*n]) != 0) {
            rc = -1;
            break;
        }
        for (size_t i = 0; i < *n; i++)
            if (memcmp(out[i].name, out[*n].name, sizeof(out[i].name)) == 0) {
                errorf("%s '%s', line %u: the same name as line %u: each key needs a name of "
                       "its own (a ticket names the key that sealed it)",
                       WHAT, path, line, at_line[i]);
                rc = -1;
                break;
            }
        at_line[*n] = line;
        (*n)++;
    }
    if (rc == 0 && *n == 0) {
        errorf("%s '%s' holds no key: one line \"NAME KEY\" in hex, e.g. made with: %s", WHAT, path,
               MAKE_ONE);
        rc = -1;
    }
    explicit_bzero(buf, len);
    free(buf);
    if (rc != 0) {
        ticket_keys_wipe(out, TICKET_KEYS_MAX);
        *n = 0;
        return -1;
    }
    struct stat st;
    if (stat(path, &st) == 0 && (st.st_mode & 077))
        fprintf(stderr,
                "tlsflow-server: note: %s '%s' can be read by other users (mode %03o): its "
                "keys open every session sealed with them (chmod 600)\n",
                WHAT, path, (unsigned)(st.st_mode & 0777));
    return 0;
}
