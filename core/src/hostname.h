/* Host names and IP literals as certificates name them (RFC 6125, RFC 4291). */
#ifndef TLSFLOW_HOSTNAME_H
#define TLSFLOW_HOSTNAME_H

#include <stddef.h>
#include <stdint.h>

/* RFC 6125 match of one SAN dNSName pattern against a host name: case-insensitive,
 * a wildcard only as the whole left-most label ("*.example.com"), never matching
 * more than one label, never on a public-suffix-like two-label name ("*.com").
 * One trailing dot on either side is ignored ("example.com." is "example.com").
 * Internationalised names must be A-labels (xn--); non-ASCII bytes never match.
 * An IP literal host never matches (those match iPAddress entries only).
 * Returns 1 on a match, else 0. */
int tf_hostname_match(const char *pattern, size_t pattern_len, const char *host);

/* Parse an IPv4 dotted quad (no leading zeros) or an RFC 4291 IPv6 text address
 * (no brackets, no zone) into out. Returns 4 or 16 (bytes written), 0 if neither. */
int tf_ip_literal_parse(const char *text, uint8_t out[16]);

#endif
