#include "client_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/files.h"

#define SESSION_FILE_MAX (64 * 1024)

/* Replace the kept session with these bytes (wiping the old ones: they hold a secret). */
static int keep(client_session *s, const uint8_t *p, size_t len)
{
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return -1;
    memcpy(copy, p, len);
    client_session_free(s);
    s->latest = copy;
    s->latest_len = len;
    return 0;
}

void client_session_cb(void *ctx, tlsflow_conn *conn, const uint8_t *session, size_t len)
{
    (void)conn;
    client_session *s = ctx;
    if (keep(s, session, len) == 0)
        s->received++;
}

int client_session_load(client_session *s, const char *path)
{
    uint8_t *buf;
    size_t len;
    if (file_read_all(path, SESSION_FILE_MAX, "--sess-in file", &buf, &len) != 0)
        return 2;
    int bad = keep(s, buf, len);
    explicit_bzero(buf, len);
    free(buf);
    if (bad) {
        errorf("out of memory");
        return 2;
    }
    return 0;
}

int client_session_offer(client_session *s, tlsflow_conn *c, const char *from,
                         const char *server_name, int *offered)
{
    *offered = 0;
    if (!s->latest)
        return 0;
    int rc = tlsflow_session_import(c, s->latest, s->latest_len);
    if (rc < 0) {
        errorf("%s holds no session we can offer to %s: not a file written by --sess-out, "
               "or a session made for another server name (one is offered only to the name "
               "it was made with) [%s]",
               from, server_name, tlsflow_error_name(rc));
        return 2;
    }
    *offered = rc == 1 ? 1 : -1;
    if (rc == 1)
        fprintf(stderr, "offering the session from %s (%zu bytes)\n", from, s->latest_len);
    else
        fprintf(stderr, "the session from %s has expired: not offered, a full handshake\n", from);
    return 0;
}

int client_session_save(const client_session *s, const char *path)
{
    if (!s->received) {
        fprintf(stderr,
                "no session to save to %s: the server sent no ticket (%s left as it "
                "was)\n",
                path, path);
        return 0;
    }
    if (file_write_atomic(path, s->latest, s->latest_len, 0600) != 0)
        return 2;
    fprintf(stderr, "session saved to %s (%zu bytes; it holds the session's secret)\n", path,
            s->latest_len);
    return 0;
}

void client_session_free(client_session *s)
{
    if (s->latest)
        explicit_bzero(s->latest, s->latest_len);
    free(s->latest);
    s->latest = NULL;
    s->latest_len = 0;
}
