/* --export LABEL[:CONTEXT_HEX]:LEN: an RFC 5705 keying material exporter value printed
 * in hex after the handshake (tlsflow_export_keying_material), e.g. for channel binding.
 * "LABEL:LEN" exports without a context, "LABEL::LEN" with an empty one (they differ). */
#ifndef TLSFLOW_CLIENT_EXPORT_H
#define TLSFLOW_CLIENT_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include <tlsflow/tlsflow.h>

#define CLIENT_EXPORT_LABEL_MAX   255
#define CLIENT_EXPORT_CONTEXT_MAX 1024
#define CLIENT_EXPORT_LEN_MAX     16384

typedef struct {
    char label[CLIENT_EXPORT_LABEL_MAX + 1];
    uint8_t context[CLIENT_EXPORT_CONTEXT_MAX];
    size_t context_len;
    int has_context;
    size_t len;
} client_export;

/* Parse one --export value. 0, or -1 with a message printed. */
int export_parse(const char *arg, client_export *e);
/* Compute and print "keying material LABEL ...: HEX" on stderr. 0, or -1 with a message. */
int export_print(const client_export *e, const tlsflow_conn *c);

#endif
