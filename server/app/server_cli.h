/* tlsflow-server's command line. */
#ifndef TLSFLOW_SERVER_CLI_H
#define TLSFLOW_SERVER_CLI_H

#include <stdint.h>

#include "pki/local_pki.h"
#include "util/hostport.h"

#define SERVER_MAX_LISTEN 16

typedef struct {
    hostport listen[SERVER_MAX_LISTEN];
    unsigned n_listen;
    const char *pki_dir;
    cred_files creds[CRED_FILES_MAX]; /* own --cert/--key pairs instead of the local PKI */
    unsigned n_creds;
    unsigned n_keys;       /* --key and --pkcs11-key options seen (each belongs to one --cert) */
    const char *misplaced; /* a --key/--chain/--sni not right after its own --cert */
    int echo;
    const char *keylog; /* --keylog or SSLKEYLOGFILE */
    const char *log;
    unsigned max_conns;
    unsigned handshake_timeout_ms;
    unsigned idle_timeout_ms;
    unsigned threads;
    uint16_t suites[32]; /* --suites, in preference order (TLS 1.3 ones in front: see
                            server_opts_suites) */
    unsigned n_suites;
    uint16_t min_version, max_version; /* --min-version/--max-version, TLSFLOW_VERSION_* */
    int client_auth;                   /* --client-auth: a tlsflow_client_auth */
    const char *client_ca;             /* --client-ca FILE: roots for client certificates */
    /* Keys in a PKCS#11 token (--pkcs11-key after a --cert) and their defaults. */
    const char *pkcs11_module, *pkcs11_token, *pkcs11_pin;
    unsigned n_token_keys;
    unsigned key_threads;  /* --key-threads: keys in files off the loop too; 0: inline */
    unsigned key_delay_ms; /* --key-delay: every off-loop key operation takes this longer */
    /* Session tickets: on unless --no-tickets; a random key made at start, or the keys of
     * --ticket-key-file (app/ticket_keys.h). */
    int no_tickets;
    const char *ticket_key_file;
    unsigned ticket_lifetime; /* --ticket-lifetime, seconds */
    unsigned tickets13;       /* --tickets: TLS 1.3 tickets after each handshake */
    int ticket_opts;          /* --ticket-key-file, --ticket-lifetime or --tickets given */
} server_opts;

/* Whether the suites the server offers include RSA key transport. */
int server_opts_rsa_kx(const server_opts *o);
/* The suite list handed to the engine: --suites, after the three TLS 1.3 suites when the
 * version range includes TLS 1.3 and the list names none of them. Returns the count. */
size_t server_opts_suites(const server_opts *o, uint16_t *out, size_t cap);

/* 0: run; 1: done (help or version printed); -1: bad arguments (message printed). */
int server_cli_parse(int argc, char **argv, server_opts *o);

#endif
