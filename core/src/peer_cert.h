/* The peer's certificates as the caller sees them: the chain kept after the handshake
 * read it, the public-key pin, and the caller's verification hook. */
#ifndef TLSFLOW_PEER_CERT_H
#define TLSFLOW_PEER_CERT_H

#include "internal.h"

/* The chain as received (views into the message being read). */
void tf_peer_chain_set(tlsflow_conn *c, const uint8_t *const *der, const size_t *len, size_t n);
/* Run the caller's hook (if any) on the engine's verdict; returns the final verdict: 0
 * to go on, else the error now recorded with its alert. `why` explains a refusal. */
int tf_peer_verdict(tlsflow_conn *c, int verdict, const char *why);
/* Copy the chain into the workspace's peer chain area (leaf first, as many as fit), so
 * it outlives the message. */
void tf_peer_chain_keep(tlsflow_conn *c);

#endif
