/* A key reference for --pkcs11-key: a plain object label, or a PKCS#11 URI (RFC 7512),
 * e.g. pkcs11:token=tlsflow;object=rsa;type=private?pin-value=1234. No I/O here. */
#ifndef TLSFLOW_P11_URI_H
#define TLSFLOW_P11_URI_H

#include <stddef.h>
#include <stdint.h>

#define P11_LABEL_MAX 256 /* object labels; token fields are at most 32 bytes */
#define P11_ID_MAX    128
#define P11_PATH_MAX  4096

typedef struct {
    /* The token (path attributes token, manufacturer, model, serial); "" = any. */
    char token[33], manufacturer[33], model[17], serial[17];
    /* The private key: its CKA_LABEL (object) and/or CKA_ID (id, raw bytes). */
    char object[P11_LABEL_MAX];
    uint8_t id[P11_ID_MAX];
    size_t id_len;
    int has_id;
    /* Query attributes: the PIN (pin-value, or pin-source: a file holding it) and the
     * module (module-path). "" when absent. */
    char pin[P11_LABEL_MAX];
    int has_pin;
    char pin_source[P11_PATH_MAX];
    char module[P11_PATH_MAX];
} p11_uri;

/* Parse a --pkcs11-key value: "pkcs11:..." as RFC 7512 (percent-decoded; only the
 * attributes above, type=private, and library-* which are ignored), anything else as an
 * object label. 0 on success; else -1 with a sentence in why (cap bytes). */
int p11_uri_parse(const char *text, p11_uri *out, char *why, size_t cap);

#endif
