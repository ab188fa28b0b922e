/* "HOST:PORT" and "[IPv6]:PORT" as typed on a command line. */
#ifndef TLSFLOW_HOSTPORT_H
#define TLSFLOW_HOSTPORT_H

typedef struct {
    char host[256]; /* without brackets */
    char port[8];
} hostport;

/* Parse s. A missing ":PORT" takes default_port (NULL: the port is required).
 * Returns 0, or -1 with *why set to a short reason. */
int hostport_parse(const char *s, const char *default_port, hostport *out, const char **why);
/* 1 if host is a literal IPv4 or IPv6 address. */
int host_is_ip(const char *host);

#endif
