/* Public-key pinning for tlsflow-client: --pin sha256//BASE64 (curl's --pinnedpubkey
 * syntax: the SHA-256 of the server leaf's SubjectPublicKeyInfo), checked in the
 * engine's verification hook with tlsflow_peer_spki_sha256(). Any pin that matches
 * accepts; a mismatch refuses the certificate with the alert bad_certificate. The
 * engine's own chain verdict still stands unless --pin-only. */
#ifndef TLSFLOW_CLIENT_PIN_H
#define TLSFLOW_CLIENT_PIN_H

#include <stdint.h>

#include <tlsflow/tlsflow.h>

#define CLIENT_PINS_MAX 16
/* "sha256//" and 44 characters of base64, NUL-terminated. */
#define CLIENT_PIN_TEXT 53

typedef struct {
    uint8_t sha256[CLIENT_PINS_MAX][32];
    int n;
    int pin_only; /* a matching pin accepts whatever the engine's verdict */
    /* What the hook saw, for the messages afterwards. */
    int checked;
    int matched;
    int verdict;                    /* the engine's own verdict: 0 or TLSFLOW_E_CERT_* */
    char received[CLIENT_PIN_TEXT]; /* the server key's pin ("" if it had none) */
} client_pins;

/* Add the pins in arg: "sha256//BASE64", several joined by ';' as curl allows. 0, or -1
 * with a message printed. */
int pins_add(client_pins *p, const char *arg);
/* Install the verification hook when there are pins (p must outlive the connection). */
void pins_install(client_pins *p, tlsflow_config *cfg);
/* After the handshake: one line on stderr saying which pin matched (nothing without pins). */
void pins_report(const client_pins *p);
/* After a failure: if a pin mismatch refused the server, print the message naming the
 * expected and received pins and return 1; else 0. */
int pins_explain_failure(const client_pins *p, tlsflow_conn *c);

#endif
