/* ECDHE key exchange (RFC 8422): the named groups we support and the server's choice
 * among the client's. The four message handlers are declared in handshake.h. */
#ifndef TLSFLOW_ECDHE_H
#define TLSFLOW_ECDHE_H

#include <stddef.h>
#include <stdint.h>

#include "internal.h"

/* Supported groups in default preference order. */
uint16_t tf_group_at(size_t i);
size_t tf_group_count(void);
int tf_group_supported(uint16_t group);

/* Does a supported_groups list (u16 values) name this group? */
int tf_groups_contain(const uint8_t *list, size_t len, uint16_t group);
/* Server: our first group (in the order of `ours`) that the client offers. `offered` is
 * NULL when the client sent no supported_groups: RFC 8422 §4 lets us pick, and
 * secp256r1 is the one every ECC client has. Returns 0 if there is none. */
uint16_t tf_group_choose(const uint16_t *ours, size_t n, const uint8_t *offered, size_t len);

/* Record the group and signature scheme (and the signature's size once known) in
 * tlsflow_info. */
void tf_ecdhe_info(tlsflow_conn *c, uint16_t group, uint16_t scheme, size_t sig_len);

#endif
