/* Mutual TLS against another TLS library in process (issue 13): what
 * test_client_auth_openssl.c and test_client_auth_wolfssl.c share. The other library sits
 * behind a table of functions (mtls_peer_ops: one connection made from a plain description,
 * its I/O, what it says it saw); one pump moves bytes between it and our engine and performs
 * our engine's private-key operations when asked (so our client can sign its
 * CertificateVerify with a key that is not its certificate's). The scenarios both libraries
 * run are the mtls_test_* functions below, cmocka tests whose initial state is the library's
 * table: each case in both of our roles, in TLS 1.2 and 1.3, with RSA and ECDSA client keys.
 *
 * The certificates: the fixture root and client certificates (tests/fixtures), and, made at
 * test time with OpenSSL's X.509 code (nothing written to disk), two unrelated roots, the
 * fixture client keys certified by one of them ("untrusted") and by the fixture root with
 * dates long past ("expired"). Everything is verified at TF_TEST_TIME by our engine and by
 * OpenSSL; wolfSSL reads the wall clock, inside the fixtures' validity. */
#ifndef TLSFLOW_MTLS_COMMON_H
#define TLSFLOW_MTLS_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "tf_test.h"
#include "tlsflow/tlsflow.h"

#define V12 TLSFLOW_VERSION_TLS12
#define V13 TLSFLOW_VERSION_TLS13

/* ---- the certificates ---------------------------------------------------------------- */

/* Bytes, NUL-terminated (PEM). */
typedef struct {
    char *p;
    size_t len;
} mtls_blob;

/* One client credential: certificate and key as PEM, and what both sides should say. */
typedef struct {
    mtls_blob cert, key;
    char subject[256];    /* the certificate's subject, one line: "/CN=..." */
    const char *key_type; /* as tlsflow_cert_info says: "RSA", "EC" */
    int key_bits;
} mtls_cred;

enum { MTLS_RSA = 0, MTLS_EC = 1, MTLS_KEYS = 2 };

typedef struct {
    mtls_blob root, other_root, third_root; /* the fixture root; two unrelated roots */
    char root_subject[256], other_subject[256], third_subject[256];
    mtls_cred client[MTLS_KEYS];    /* fixture client.pem / client-ec.pem, by root */
    mtls_cred untrusted[MTLS_KEYS]; /* the same keys, certified by other_root */
    mtls_cred expired[MTLS_KEYS];   /* the same keys, by root, valid 2020 to 2021 only */
    mtls_blob wrong_key[MTLS_KEYS]; /* keys of the same type that are not the client's */
    /* fixture server.pem / server.key (RSA), server-ec.pem / server-ec.key (P-256) */
    mtls_blob server_cert[MTLS_KEYS], server_key[MTLS_KEYS];
} mtls_pki;

/* Built by mtls_setup (the cmocka group setup), freed by mtls_teardown. */
extern mtls_pki mtls;
int mtls_setup(void **state);
int mtls_teardown(void **state);

/* ---- the other library ------------------------------------------------------------------ */

/* What one connection of the other library is to be. */
typedef struct {
    tlsflow_role role; /* the library's role (ours is the other) */
    uint16_t version;  /* the one version both sides speak */
    /* a server: asks for a certificate (NONE: does not), which it verifies against trust
     * (the fixture root when n_trust is 0); names the subjects of ca_names in
     * certificate_authorities (none when 0); takes CertificateVerify schemes sigalgs (the
     * library's default when 0). Its own certificate is the fixture server certificate with
     * a server_key (MTLS_RSA, MTLS_EC) key: some servers ask only for their own key type. */
    tlsflow_client_auth auth;
    int server_key;
    const mtls_blob *trust[3];
    size_t n_trust;
    const mtls_blob *ca_names[3];
    size_t n_ca_names;
    const uint16_t *sigalgs;
    size_t n_sigalgs;
    /* a client: trusts the fixture root for "localhost"; presents cred (NULL: none),
     * signing its CertificateVerify with wrong_key instead of cred's key when set; must be
     * able to say which certificate_authorities it read when want_names is set. */
    const mtls_cred *cred;
    const mtls_blob *wrong_key;
    int want_names;
} mtls_peer_spec;

#define MTLS_MAX_NAMES 4

/* What the library says about its connection. */
typedef struct {
    int alert_sent, alert_read; /* the first alert descriptions each way, -1 if none */
    char peer_subject[256];     /* the peer certificate it holds (one line), "" if none */
    size_t n_names;             /* a client: the certificate_authorities it read, one line each */
    char names[MTLS_MAX_NAMES][256];
} mtls_account;

/* Where the library departs from the RFCs in a way a scenario meets; 0: it does not. The
 * scenario then checks that departure exactly (and our engine's answer to it). */
typedef struct {
    /* Its TLS 1.2 server, refusing a client without a certificate, closes without an alert
     * (RFC 5246 §7.4.6: "respond with a fatal handshake_failure alert"). */
    int silent_cert_required_12;
    /* Its TLS 1.2 client signs CertificateVerify with a scheme our CertificateRequest did not
     * list (RFC 5246 §7.4.8: "MUST be one of those present in the
     * supported_signature_algorithms field of the CertificateRequest message"). */
    int ignores_request_schemes_12;
    /* Its TLS 1.3 client, asked for signature_algorithms its key cannot make, aborts with this
     * alert instead of sending an empty Certificate (RFC 8446 §4.4.2: "If the server requests
     * client authentication but no suitable certificate is available, the client MUST send a
     * Certificate message containing no certificates"). */
    int aborts_without_scheme_13;
} mtls_quirks;

typedef struct {
    const char *name; /* "OpenSSL", "wolfSSL" */
    mtls_quirks quirks;
    /* One connection as spec says, or NULL with the reason in why when the library cannot
     * do what spec asks (the test then prints it and skips). */
    void *(*end_new)(const mtls_peer_spec *spec, char *why, size_t cap);
    void (*end_free)(void *end);
    /* Bytes from our engine for the peer to read. */
    void (*feed)(void *end, const uint8_t *p, size_t n);
    /* Our engine closed: once the fed bytes are read the peer sees the end of the stream. */
    void (*eof)(void *end);
    /* Up to cap bytes the peer wrote for our engine; returns how many. */
    size_t (*drain)(void *end, uint8_t *out, size_t cap);
    /* Drive the handshake: 1 done, 0 waits for bytes, -1 failed. */
    int (*handshake)(void *end);
    /* Application data: bytes taken (0: not now), -1 failed. */
    int (*write)(void *end, const uint8_t *p, size_t n);
    /* Bytes read, 0 none now, -1 failed or closed. */
    int (*read)(void *end, uint8_t *out, size_t cap);
    void (*account)(void *end, mtls_account *out);
    /* Its errors and alerts, for failure messages. */
    void (*describe)(void *end, char *out, size_t cap);
} mtls_peer_ops;

/* spec's sigalgs as the library names them (`name`), joined by ':', into out. */
void mtls_join_schemes(const mtls_peer_spec *spec, const char *(*name)(uint16_t), char *out,
                       size_t cap);

/* For code that includes <openssl/x509.h> first: a PEM blob as an OpenSSL certificate or
 * private key (a new reference; NULL if it does not parse). */
#ifdef OPENSSL_X509_H
X509 *mtls_x509(const mtls_blob *pem);
EVP_PKEY *mtls_pkey(const mtls_blob *pem);
#endif

/* ---- the scenarios both libraries run (initial state: the mtls_peer_ops) ---------------- */

/* "peer_client": our server against the library's client; "peer_server": our client
 * against the library's server. Each runs in TLS 1.2 (_12) and TLS 1.3 (_13).
 * request_hash_peer_server_12 is an engine bug, skipped (see its BUG comment in
 * mtls_common.c); MTLS_RUN_BUGS=1 in the environment runs it. */
#define MTLS_SCENARIOS(X)                                                                          \
    X(accepted_peer_client)                                                                        \
    X(optional_without_peer_client)                                                                \
    X(required_without_peer_client)                                                                \
    X(untrusted_peer_client)                                                                       \
    X(expired_peer_client)                                                                         \
    X(wrong_key_peer_client)                                                                       \
    X(schemes_peer_client)                                                                         \
    X(ca_names_peer_client)                                                                        \
    X(accepted_peer_server)                                                                        \
    X(optional_without_peer_server)                                                                \
    X(required_without_peer_server)                                                                \
    X(untrusted_peer_server)                                                                       \
    X(expired_peer_server)                                                                         \
    X(wrong_key_peer_server)                                                                       \
    X(schemes_peer_server)                                                                         \
    X(request_hash_peer_server)                                                                    \
    X(ca_names_peer_server)

#define MTLS_DECLARE(name)                                                                         \
    void mtls_test_##name##_12(void **state);                                                      \
    void mtls_test_##name##_13(void **state);
MTLS_SCENARIOS(MTLS_DECLARE)
#undef MTLS_DECLARE

/* The entries of a CMUnitTest array for every scenario, against the table at OPS (whose
 * address is the initial state). */
#define MTLS_ENTRY(name)                                                                           \
    cmocka_unit_test_prestate_setup_teardown(mtls_test_##name##_12, NULL, mtls_free_live,          \
                                             (void *)MTLS_OPS),                                    \
        cmocka_unit_test_prestate_setup_teardown(mtls_test_##name##_13, NULL, mtls_free_live,      \
                                                 (void *)MTLS_OPS),
#define MTLS_TESTS MTLS_SCENARIOS(MTLS_ENTRY)

/* Frees what a failed assertion left behind (a test's teardown). */
int mtls_free_live(void **state);

#endif
