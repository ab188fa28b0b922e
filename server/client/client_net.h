/* Blocking TCP for tlsflow-client. */
#ifndef TLSFLOW_CLIENT_NET_H
#define TLSFLOW_CLIENT_NET_H

#include <stddef.h>

/* Connect to host:port (trying every address). Names under .localhost that do not
 * resolve go to 127.0.0.1 (RFC 6761), so the server's scenario names work as-is.
 * Returns the socket, or -1 with a message printed. */
int net_connect(const char *host, const char *port, int timeout_ms);
/* Send all of buf; 0 on success. */
int net_send_all(int fd, const void *buf, size_t len);

#endif
