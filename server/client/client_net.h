/* TCP for tlsflow-client: connect with a deadline, then non-blocking send and receive. */
#ifndef TLSFLOW_CLIENT_NET_H
#define TLSFLOW_CLIENT_NET_H

#include <stddef.h>

/* Connect to host:port (trying every address). Names under .localhost that do not
 * resolve go to 127.0.0.1 (RFC 6761), so the server's scenario names work as-is.
 * Returns a blocking socket, or -1 with a message printed. */
int net_connect(const char *host, const char *port, int timeout_ms);
/* Make fd non-blocking. 0, or -1 with errno. */
int net_set_nonblocking(int fd);
/* One send() on a non-blocking socket: 1 with *sent > 0, 0 if the socket is full (try
 * again when writable), -1 on error (errno). */
int net_send_some(int fd, const void *buf, size_t len, size_t *sent);
/* One recv() on a non-blocking socket: 1 with *got bytes (0: the peer closed), 0 if
 * nothing is there yet (try again when readable), -1 on error (errno). */
int net_recv_some(int fd, void *buf, size_t len, size_t *got);

#endif
