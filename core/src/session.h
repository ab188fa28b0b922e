/* Session resumption state: what a ticket seals (server) and what a client keeps to offer
 * it again (the exported session), one encoding for both. */
#ifndef TLSFLOW_SESSION_H
#define TLSFLOW_SESSION_H

#include "internal.h"
#include "msg.h"

/* Seal the connection's session (suite, secret, names) into a ticket with the
 * configuration's first key. Returns its length, 0 on failure. */
size_t tf_ticket_seal(tlsflow_conn *c, const tf_session *s, uint8_t *out, size_t cap);
/* Open a ticket with any configured key into s (views point into scratch). 0 on success;
 * -1 for anything else (unknown key, tampered, malformed): the caller does a full
 * handshake. */
int tf_ticket_open(const tlsflow_config *cfg, const uint8_t *ticket, size_t len, tf_session *s,
                   uint8_t *scratch, size_t cap);
/* Is a session inside its lifetime at `now`? */
int tf_session_fresh(const tf_session *s, int64_t now);

/* Client: keep the session made now (a TLS 1.2 ticket at the end of the handshake, or a
 * TLS 1.3 NewSessionTicket) for tlsflow_session_export and hand it to the callback. */
int tf_session_keep(tlsflow_conn *c, const tf_session *s);

/* Client: the session it imported to offer, parsed (views into hs->session); -1 if none. */
int tf_session_offered(const tlsflow_conn *c, tf_session *s);

#endif
