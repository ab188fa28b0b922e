/* The server's credentials: either the user's own PEM files, or the local test PKI
 * in --pki-dir (created on first start, reused later) with one extra certificate
 * per failure scenario, each selected by its SNI name, one per site (a name served
 * with its own engine configuration: classic.localhost, mtls.localhost), and a client
 * CA with one client certificate for mutual TLS. The engine picks among the
 * credentials for one name by the negotiated suite (RSA or ECDSA). */
#ifndef TLSFLOW_LOCAL_PKI_H
#define TLSFLOW_LOCAL_PKI_H

#include <stddef.h>
#include <stdint.h>

#define CRED_MAX       16 /* the engine's own cap */
#define CRED_FILES_MAX 8

/* One --cert FILE with the --key (or --pkcs11-key), --chain and --sni that follow it. */
typedef struct {
    const char *cert, *key, *chain; /* chain may be NULL */
    const char *sni;                /* NULL: the default credential */
    const char *token_key;          /* --pkcs11-key instead of --key (then key is NULL) */
} cred_files;

typedef struct {
    const char *sni; /* NULL: the default credential */
    uint8_t *chain;  /* PEM, leaf first */
    size_t chain_len;
    uint8_t *key;
    size_t key_len;
    char source[4096];   /* where it came from, for the banner ("server-ec.pem") */
    char kind[16];       /* the key: "RSA 2048", "EC P-256" */
    int ec;              /* an EC key (ECDHE_ECDSA suites), else RSA */
    void *key_handle;    /* a key outside the process (key NULL): tlsflow's key handle */
    char key_where[320]; /* where that key lives, for the banner */
} credential;

/* A name the server serves with an engine configuration of its own (chosen by the SNI
 * of the ClientHello), from the local PKI. */
typedef enum {
    SITE_CLASSIC, /* TLS 1.2 with RSA key transport only: the classic five steps */
    SITE_MTLS     /* the default versions and suites, a client certificate required */
} site_kind;

typedef struct {
    const char *name; /* "classic.localhost" */
    site_kind kind;
    const char *what; /* one line for the banner and the pages */
} site_info;

const site_info *site_list(size_t *n);
#define SITES_MAX 2

typedef struct {
    credential creds[CRED_MAX];
    size_t n;
    int local;   /* from the local PKI (so the scenarios and sites exist) */
    int created; /* the local CA was created by this start */
    char ca_path[4096];
    /* Local PKI only: one RSA credential per site_list() entry (same order; its sni is
     * the site's name), and the client CA (PEM) that issued client.pem. */
    credential site_creds[SITES_MAX];
    size_t n_sites;
    uint8_t *client_ca;
    size_t client_ca_len;
} cred_set;

/* A failure scenario served under its own SNI name. */
typedef struct {
    const char *name;   /* "expired.localhost" */
    const char *expect; /* what a verifying client should report */
} scenario;

const scenario *scenario_list(size_t *n);

/* Finds the key of a credential whose files name a token_key: sets key_handle, kind,
 * ec and key_where once it has checked that the key is the private half of the leaf in
 * c->chain. 0, or -1 with a message printed. */
typedef int (*cred_key_resolver)(void *ctx, const cred_files *f, credential *c);

/* The user's --cert/--key pairs (n > 0; a token_key goes to resolve), or else the local
 * PKI in pki_dir (created on first start, reused and completed later): an RSA and an
 * ECDSA P-256 server certificate for localhost, one RSA certificate per failure
 * scenario and per site, and client-ca.pem with client.pem/client.key (clientAuth). 0 on success;
 * on failure a message naming the file and the reason has been printed. */
int creds_load(const cred_files *files, size_t n, const char *pki_dir, cred_key_resolver resolve,
               void *resolve_ctx, cred_set *out);
void creds_free(cred_set *set);

#endif
