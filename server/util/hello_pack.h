/* A ClientHello summary (tlsflow_hello_info: 832 bytes, room for the longest lists)
 * packed into one allocation of what the client sent: the list lengths, the used
 * entries and the ALPN text, about 200 bytes for a browser. A connection keeps one from
 * its handshake, since the engine's own goes with its handshake state when the
 * connection first idles, and the pages show it on every request. */
#ifndef TLSFLOW_HELLO_PACK_H
#define TLSFLOW_HELLO_PACK_H

#include <stddef.h>

#include <tlsflow/tlsflow.h>

typedef struct hello_pack hello_pack;

/* A packed copy of h (give it back with free), or NULL without memory. */
hello_pack *hello_pack_new(const tlsflow_hello_info *h);
/* The summary again, as it was packed. */
void hello_pack_unpack(const hello_pack *p, tlsflow_hello_info *out);
/* Bytes of the allocation. */
size_t hello_pack_size(const hello_pack *p);

#endif
