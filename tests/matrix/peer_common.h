/* What the C peers of the interop matrix share (mbedtls_peer.c, wolfssl_peer.c): options,
 * the echo pattern, and the one loopback connection each side makes. */
#ifndef TLSFLOW_MATRIX_PEER_COMMON_H
#define TLSFLOW_MATRIX_PEER_COMMON_H

#include <stddef.h>

#define PEER_CHUNK 4096

/* The value after option NAME in argv[2..], or DEF. */
const char *peer_arg(int argc, char **argv, const char *name, const char *def);

/* n bytes of the stream the client sends, starting at offset off. */
void peer_pattern(unsigned char *p, size_t n, size_t off);

/* server: listen on 127.0.0.1 with a kernel-chosen port, print "listening PORT", accept one
 * connection. client: connect to 127.0.0.1:port. The socket, or -1 (with perror). */
int peer_accept_one(void);
int peer_connect(int port);

#endif
