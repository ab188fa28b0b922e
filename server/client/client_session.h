/* Session resumption for tlsflow-client: --sess-out FILE keeps the latest resumable session
 * the engine hands over (tlsflow_config_set_session_callback: a TLS 1.2 ticket at the end of
 * the handshake, each TLS 1.3 NewSessionTicket after it) and writes it to FILE at the end;
 * --sess-in FILE offers a saved one (tlsflow_session_import) before connecting; --reconnect
 * N offers the latest one again on each of N more connections, in this process. */
#ifndef TLSFLOW_CLIENT_SESSION_H
#define TLSFLOW_CLIENT_SESSION_H

#include <stddef.h>
#include <stdint.h>

#include <tlsflow/tlsflow.h>

typedef struct {
    uint8_t *latest; /* the last session the engine gave, or the --sess-in one */
    size_t latest_len;
    int received; /* sessions the engine gave during this run */
} client_session;

/* The session callback: keep a copy of the bytes (ctx: the client_session). */
void client_session_cb(void *ctx, tlsflow_conn *conn, const uint8_t *session, size_t len);
/* Read a --sess-in file. 0, or 2 (the exit status) with a message printed. */
int client_session_load(client_session *s, const char *path);
/* Offer the latest session (if any) to a connection not yet started: *offered becomes 1
 * (offered), -1 (it has expired: dropped, a full handshake follows) or 0 (none to offer).
 * 0, or 2 with a message when the bytes are no session for this server name. */
int client_session_offer(client_session *s, tlsflow_conn *c, const char *from,
                         const char *server_name, int *offered);
/* --sess-out: write the latest session received to path (mode 0600). 0, or 2 with a
 * message; without a session a note says so and the file is left alone. */
int client_session_save(const client_session *s, const char *path);
void client_session_free(client_session *s);

#endif
