/* "HOST:PORT" and "[IPv6]:PORT" as typed on a command line. */
#ifndef TLSFLOW_HOSTPORT_H
#define TLSFLOW_HOSTPORT_H

#include <stddef.h>

struct sockaddr;

/* Room for hostport_format's text: "[IPv6]:65535" and its NUL. */
#define HOSTPORT_TEXT_MAX 64

typedef struct {
    char host[256]; /* without brackets */
    char port[8];
} hostport;

/* Parse s. A missing ":PORT" takes default_port (NULL: the port is required).
 * Returns 0, or -1 with *why set to a short reason. */
int hostport_parse(const char *s, const char *default_port, hostport *out, const char **why);
/* 1 if host is a literal IPv4 or IPv6 address. */
int host_is_ip(const char *host);
/* "HOST:PORT" or "[IPv6]:PORT" of an IPv4 or IPv6 socket address, else "?"; returns the
 * port (0 for "?"). */
unsigned hostport_format(const struct sockaddr *sa, char *out, size_t cap);

#endif
