#include "hostport.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int port_ok(const char *p)
{
    if (!*p || strlen(p) > 5)
        return 0;
    for (const char *q = p; *q; q++)
        if (*q < '0' || *q > '9')
            return 0;
    return atoi(p) <= 65535;
}

int hostport_parse(const char *s, const char *default_port, hostport *out, const char **why)
{
    const char *host = s, *port = NULL;
    size_t hlen;
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (!end) {
            *why = "missing ']' after the IPv6 address";
            return -1;
        }
        host = s + 1;
        hlen = (size_t)(end - host);
        if (end[1] == ':')
            port = end + 2;
        else if (end[1] != '\0') {
            *why = "expected ':PORT' after ']'";
            return -1;
        }
    } else {
        const char *colon = strrchr(s, ':');
        if (colon && strchr(s, ':') != colon) {
            *why = "IPv6 addresses need brackets, e.g. [::1]:8443";
            return -1;
        }
        hlen = colon ? (size_t)(colon - s) : strlen(s);
        if (colon)
            port = colon + 1;
    }
    if (hlen == 0 || hlen >= sizeof(out->host)) {
        *why = hlen ? "host name too long" : "empty host";
        return -1;
    }
    if (!port) {
        if (!default_port) {
            *why = "missing ':PORT'";
            return -1;
        }
        port = default_port;
    }
    if (!port_ok(port)) {
        *why = "port must be a number from 0 to 65535";
        return -1;
    }
    memcpy(out->host, host, hlen);
    out->host[hlen] = '\0';
    strcpy(out->port, port);
    return 0;
}

int host_is_ip(const char *host)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

unsigned hostport_format(const struct sockaddr *sa, char *out, size_t cap)
{
    char host[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const void *)sa;
        inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
        port = ntohs(a->sin_port);
        snprintf(out, cap, "%s:%u", host, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const void *)sa;
        inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
        port = ntohs(a->sin6_port);
        snprintf(out, cap, "[%s]:%u", host, port);
    } else {
        snprintf(out, cap, "?");
    }
    return port;
}
