/*
 * The little the examples share: PEM files into a configuration (the engine reads no
 * files: bytes come from the embedder), the command line, the error report, and a
 * listening socket.
 */
#ifndef EXAMPLE_UTIL_H
#define EXAMPLE_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <tlsflow/tlsflow.h>

/** Reads a whole file into a new buffer (free() it); NULL with a message on stderr. */
uint8_t *ex_read_file(const char *path, size_t *len);

/** Server: the certificate chain (leaf first) and private key, both PEM files.
 *  Client: tlsflow_config_add_credential too, for a client certificate. 0 or -1. */
int ex_add_credential(tlsflow_config *cfg, const char *chain_path, const char *key_path);

/** Client: the CA certificates to trust (a PEM file with one or more). 0 or -1. */
int ex_add_trust_anchors(tlsflow_config *cfg, const char *ca_path);

/** One option that takes a value ("--cert FILE"): where ex_parse() puts the value. */
typedef struct {
    const char *name;
    const char **value;
    int required;
} ex_option;

/** Parses the command line: the options of opts (a list ending with {0}), "--tls12" or
 *  "--tls13" (allow only that version; the default is both) and min_pos to max_pos
 *  positional arguments into pos[]. Returns -1 when all went well, else the exit status
 *  after printing usage (0: --help, 2: a mistake) and freeing cfg. */
int ex_parse(int argc, char **argv, const ex_option *opts, const char **pos, int min_pos,
             int max_pos, tlsflow_config *cfg, const char *usage);

/** Prints usage to stdout (status 0: --help) or stderr, frees cfg, returns status. */
int ex_usage(const char *usage, tlsflow_config *cfg, int status);

/** Client: prints what the handshake agreed on to stderr, e.g. "connected: TLS 1.3,
 *  TLS_AES_128_GCM_SHA256, x25519, server /CN=localhost". */
void ex_print_connected(const tlsflow_conn *conn);

/** Prints to stderr why a connection ended badly: the sentence, the error's name and the
 *  alerts either side sent, e.g. "what: the certificate ... (TLSFLOW_E_CERT_HOSTNAME,
 *  alert sent: bad_certificate)". */
void ex_report(const char *what, const tlsflow_conn *conn);

/** A non-blocking TCP socket listening on 127.0.0.1:port (0: the kernel picks); prints
 *  "listening on 127.0.0.1:PORT" to stdout. -1 with a message on failure. */
int ex_listen(unsigned port);

/** Makes fd non-blocking. 0 or -1. */
int ex_nonblocking(int fd);

#endif
