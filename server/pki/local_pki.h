/* The server's credentials: either the user's own PEM files, or the local test PKI
 * in --pki-dir (created on first start, reused later) with one extra certificate
 * per failure scenario, each selected by its SNI name. */
#ifndef TLSFLOW_LOCAL_PKI_H
#define TLSFLOW_LOCAL_PKI_H

#include <stddef.h>
#include <stdint.h>

#include "app/server_cli.h"

#define CRED_MAX 8

typedef struct {
    const char *sni; /* NULL: the default credential */
    uint8_t *chain;  /* PEM, leaf first */
    size_t chain_len;
    uint8_t *key;
    size_t key_len;
} credential;

typedef struct {
    credential creds[CRED_MAX];
    size_t n;
    int local;   /* from the local PKI (so the scenarios exist) */
    int created; /* the local CA was created by this start */
    char ca_path[4096];
} cred_set;

/* A failure scenario served under its own SNI name. */
typedef struct {
    const char *name;   /* "expired.localhost" */
    const char *expect; /* what a verifying client should report */
} scenario;

const scenario *scenario_list(size_t *n);

/* Load --cert/--key/--chain, or create/reuse the local PKI. 0 on success;
 * on failure a message naming the file and the reason has been printed. */
int creds_load(const server_opts *o, cred_set *out);
void creds_free(cred_set *set);

#endif
