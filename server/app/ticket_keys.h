/* tlsflow-server's session ticket keys: one random key made at start (the default), or
 * the keys of a --ticket-key-file, so that servers restarted or run side by side open
 * each other's tickets.
 *
 * The file is text, one key a line: a 16-byte name and a 32-byte AES-256 key, each in
 * hex, separated by white space. Blank lines and lines starting with '#' are skipped.
 * The first key seals new tickets; every key opens them (rotate by putting a new key
 * first and keeping the old one for a ticket lifetime). At most TICKET_KEYS_MAX keys. Make
 * one with: echo $(openssl rand -hex 16) $(openssl rand -hex 32) > ticket.keys */
#ifndef TLSFLOW_TICKET_KEYS_H
#define TLSFLOW_TICKET_KEYS_H

#include <stddef.h>

#include <tlsflow/tlsflow.h>

#define TICKET_KEYS_MAX 8 /* the engine's own cap */

/* One key from wolfCrypt's DRBG, name and key both random. 0, or -1 with a message. */
int ticket_keys_random(tlsflow_ticket_key *out);
/* The keys of a --ticket-key-file into out[TICKET_KEYS_MAX], their count in *n. 0, or -1
 * with a message naming the file, the line and what is wrong there. */
int ticket_keys_load(const char *path, tlsflow_ticket_key *out, size_t *n);
/* Wipe n keys. */
void ticket_keys_wipe(tlsflow_ticket_key *keys, size_t n);

#endif
