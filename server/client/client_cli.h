/* tlsflow-client's command line: the options, their checks and --help. */
#ifndef TLSFLOW_CLIENT_CLI_H
#define TLSFLOW_CLIENT_CLI_H

#include <stdint.h>

#include "client_export.h"
#include "client_pin.h"
#include "util/hostport.h"

#define CLIENT_DEFAULT_CA  "tlsflow-pki/ca.pem"
#define CLIENT_EXPORTS_MAX 8
#define CLIENT_CREDS_MAX   4

typedef struct {
    hostport target;
    const char *ca, *servername, *alpn, *get, *keylog;
    int timeout_ms;                    /* waiting for the server at any one point */
    uint16_t min_version, max_version; /* 0: the engine's default */
    int linger_ms; /* after stdin ends, how long to wait for the rest of the reply */
    /* Echo stream mode: send this many bytes (or send_file) while reading them back. */
    const char *send_file;
    uint64_t send_bytes;
    int send_mode; /* --send-bytes or --send given */
    client_pins pins;
    client_export exports[CLIENT_EXPORTS_MAX];
    int n_exports;
    /* Client certificates: --cert FILE --key FILE pairs, in the order given. */
    const char *cert[CLIENT_CREDS_MAX], *key[CLIENT_CREDS_MAX];
    int n_certs, n_keys;
    /* Session resumption: --sess-out FILE, --sess-in FILE, --reconnect N. */
    const char *sess_out, *sess_in;
    int reconnect;
    /* Set by main before each connection: 1 a session was offered, -1 the saved one had
     * expired (dropped), 0 none (what the summary says about resumption). */
    int offered_session;
} client_opts;

/* Fill o from argv. 0: run; 1: done (help or version printed); -1: bad usage (a message
 * was printed). */
int client_parse_args(int argc, char **argv, client_opts *o);

#endif
