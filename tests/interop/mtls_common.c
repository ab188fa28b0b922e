/* Mutual TLS against another TLS library: the certificates, the pump and the scenarios (see
 * mtls_common.h). OpenSSL's libcrypto makes the extra certificates and, for our client's
 * "wrong key" case, the signature our engine's key operation is answered with. */
#include <openssl/x509.h> /* first: mtls_common.h then declares its OpenSSL helpers */

#include "mtls_common.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Dates of the made certificates (seconds since the epoch, UTC). */
#define T_2020 ((int64_t)1577836800)
#define T_2021 ((int64_t)1609459200)
#define T_2040 ((int64_t)2208988800)

mtls_pki mtls;
static char server_subject[256]; /* the fixture server certificates', one line */

/* ---- the certificates ---------------------------------------------------------------- */

static int blob_fixture(mtls_blob *b, const char *name)
{
    b->p = (char *)tft_fixture(name, &b->len);
    return 0;
}

X509 *mtls_x509(const mtls_blob *b)
{
    BIO *bio = BIO_new_mem_buf(b->p, (int)b->len);
    X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return x;
}

EVP_PKEY *mtls_pkey(const mtls_blob *b)
{
    BIO *bio = BIO_new_mem_buf(b->p, (int)b->len);
    EVP_PKEY *k = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    return k;
}

void mtls_join_schemes(const mtls_peer_spec *spec, const char *(*name)(uint16_t), char *out,
                       size_t cap)
{
    size_t at = 0;
    out[0] = '\0';
    for (size_t i = 0; i < spec->n_sigalgs && at < cap; i++) {
        int n = snprintf(out + at, cap - at, "%s%s", i ? ":" : "", name(spec->sigalgs[i]));
        assert_true(n > 0 && (size_t)n < cap - at);
        at += (size_t)n;
    }
}

/* Whatever a PEM writer put into a memory BIO, as a blob. */
static int blob_of_bio(mtls_blob *b, BIO *bio, int written)
{
    char *data = NULL;
    long n = written ? BIO_get_mem_data(bio, &data) : 0;
    b->p = n > 0 ? malloc((size_t)n + 1) : NULL;
    if (b->p != NULL) {
        memcpy(b->p, data, (size_t)n);
        b->p[n] = '\0';
        b->len = (size_t)n;
    }
    BIO_free(bio);
    return b->p ? 0 : -1;
}

static int blob_of_cert(mtls_blob *b, X509 *x)
{
    BIO *bio = BIO_new(BIO_s_mem());
    return bio ? blob_of_bio(b, bio, x && PEM_write_bio_X509(bio, x)) : -1;
}

static void subject_line(X509 *x, char *out, size_t cap)
{
    out[0] = '\0';
    if (x != NULL)
        X509_NAME_oneline(X509_get_subject_name(x), out, (int)cap);
}

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    int ok = ext != NULL && X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok;
}

/* A v3 certificate for `key` named "O=tlsflow tests, CN=cn": a CA, or a client certificate
 * (digitalSignature, extendedKeyUsage clientAuth), signed by issuer (NULL: by key). */
static X509 *make_cert(const char *cn, EVP_PKEY *key, int ca, int64_t not_before, int64_t not_after,
                       X509 *issuer, EVP_PKEY *issuer_key)
{
    static long serial = 1300;
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    int ok = x != NULL && name != NULL && X509_set_version(x, 2) &&
             ASN1_INTEGER_set(X509_get_serialNumber(x), serial++) &&
             X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                        (const unsigned char *)"tlsflow tests", -1, -1, 0) &&
             X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1,
                                        0) &&
             X509_set_subject_name(x, name) &&
             X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name) &&
             ASN1_TIME_set(X509_getm_notBefore(x), (time_t)not_before) != NULL &&
             ASN1_TIME_set(X509_getm_notAfter(x), (time_t)not_after) != NULL &&
             X509_set_pubkey(x, key);
    if (ok) {
        X509V3_CTX ctx;
        X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
        ok = add_ext(x, &ctx, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE") &&
             add_ext(x, &ctx, NID_key_usage,
                     ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature") &&
             (ca || add_ext(x, &ctx, NID_ext_key_usage, "clientAuth")) &&
             add_ext(x, &ctx, NID_subject_key_identifier, "hash") &&
             add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") &&
             X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0;
    }
    X509_NAME_free(name);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* A root CA with a fresh P-256 key: its PEM and subject; its key and certificate in *key
 * and *cert for issuing (either may be NULL to drop them). */
static int make_root(const char *cn, mtls_blob *pem, char *subject, EVP_PKEY **key, X509 **cert)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    X509 *x = k ? make_cert(cn, k, 1, T_2020, T_2040, NULL, NULL) : NULL;
    int rc = blob_of_cert(pem, x);
    subject_line(x, subject, 256);
    if (key != NULL)
        *key = k;
    else
        EVP_PKEY_free(k);
    if (cert != NULL)
        *cert = x;
    else
        X509_free(x);
    return rc;
}

static int cred_describe(mtls_cred *c, int k)
{
    X509 *x = mtls_x509(&c->cert);
    subject_line(x, c->subject, sizeof(c->subject));
    X509_free(x);
    c->key_type = k == MTLS_EC ? "EC" : "RSA";
    c->key_bits = k == MTLS_EC ? 256 : 2048;
    return x ? 0 : -1;
}

/* cert: the fixture client key k certified by issuer as cn, valid not_before..not_after. */
static int cred_issue(mtls_cred *c, int k, const char *cn, int64_t not_before, int64_t not_after,
                      X509 *issuer, EVP_PKEY *issuer_key)
{
    blob_fixture(&c->key, k == MTLS_EC ? "client-ec.key" : "client.key");
    EVP_PKEY *key = mtls_pkey(&c->key);
    X509 *x = key ? make_cert(cn, key, 0, not_before, not_after, issuer, issuer_key) : NULL;
    int rc = blob_of_cert(&c->cert, x);
    X509_free(x);
    EVP_PKEY_free(key);
    return rc ? rc : cred_describe(c, k);
}

int mtls_setup(void **state)
{
    (void)state;
    memset(&mtls, 0, sizeof(mtls));
    EVP_PKEY *root_key = NULL, *other_key = NULL;
    X509 *root = NULL, *other = NULL;
    mtls_blob root_key_pem = {0};
    int rc = 0;

    blob_fixture(&mtls.root, "ca.pem");
    blob_fixture(&root_key_pem, "ca.key");
    blob_fixture(&mtls.server_cert[MTLS_RSA], "server.pem");
    blob_fixture(&mtls.server_key[MTLS_RSA], "server.key");
    blob_fixture(&mtls.server_cert[MTLS_EC], "server-ec.pem");
    blob_fixture(&mtls.server_key[MTLS_EC], "server-ec.key");
    root = mtls_x509(&mtls.root);
    root_key = mtls_pkey(&root_key_pem);
    subject_line(root, mtls.root_subject, sizeof(mtls.root_subject));
    X509 *server = mtls_x509(&mtls.server_cert[MTLS_RSA]);
    subject_line(server, server_subject, sizeof(server_subject));
    X509_free(server);
    rc |= root && root_key ? 0 : -1;
    rc |= make_root("tlsflow other root", &mtls.other_root, mtls.other_subject, &other_key, &other);
    rc |= make_root("tlsflow third root", &mtls.third_root, mtls.third_subject, NULL, NULL);

    static const char *const fixtures[MTLS_KEYS][2] = {{"client.pem", "client.key"},
                                                       {"client-ec.pem", "client-ec.key"}};
    static const char *const wrong[MTLS_KEYS] = {"server.key", "server-ec.key"};
    for (int k = 0; k < MTLS_KEYS && rc == 0; k++) {
        blob_fixture(&mtls.client[k].cert, fixtures[k][0]);
        blob_fixture(&mtls.client[k].key, fixtures[k][1]);
        rc |= cred_describe(&mtls.client[k], k);
        rc |= cred_issue(&mtls.untrusted[k], k,
                         k == MTLS_EC ? "tlsflow untrusted client EC" : "tlsflow untrusted client",
                         T_2020, T_2040, other, other_key);
        rc |= cred_issue(&mtls.expired[k], k,
                         k == MTLS_EC ? "tlsflow expired client EC" : "tlsflow expired client",
                         T_2020, T_2021, root, root_key);
        blob_fixture(&mtls.wrong_key[k], wrong[k]);
    }
    X509_free(root);
    X509_free(other);
    EVP_PKEY_free(root_key);
    EVP_PKEY_free(other_key);
    free(root_key_pem.p);
    return rc;
}

static void blob_free(mtls_blob *b)
{
    free(b->p);
    b->p = NULL;
    b->len = 0;
}

int mtls_teardown(void **state)
{
    (void)state;
    mtls_blob *all[] = {&mtls.root, &mtls.other_root, &mtls.third_root};
    for (size_t i = 0; i < ARRAY_LEN(all); i++)
        blob_free(all[i]);
    for (int k = 0; k < MTLS_KEYS; k++) {
        blob_free(&mtls.server_cert[k]);
        blob_free(&mtls.server_key[k]);
        mtls_cred *creds[] = {&mtls.client[k], &mtls.untrusted[k], &mtls.expired[k]};
        for (size_t i = 0; i < ARRAY_LEN(creds); i++) {
            blob_free(&creds[i]->cert);
            blob_free(&creds[i]->key);
        }
        blob_free(&mtls.wrong_key[k]);
    }
    return 0;
}

/* The DER of a PEM certificate, malloc'd. */
static uint8_t *cert_der(const mtls_blob *pem, size_t *len)
{
    X509 *x = mtls_x509(pem);
    unsigned char *der = NULL;
    int n = x ? i2d_X509(x, &der) : -1;
    X509_free(x);
    assert_true(n > 0);
    *len = (size_t)n;
    return der;
}

/* ---- our engine's signatures made elsewhere ---------------------------------------------- */

/* The signature a key operation asks for (its digest, scheme and padding), made by OpenSSL
 * with `key`, which need not be the credential's. Returns its length. */
static size_t sign_digest(const mtls_blob *key_pem, const tlsflow_key_operation *op, uint8_t *out,
                          size_t cap)
{
    static const struct {
        uint16_t scheme;
        const char *md;
        int pss;
    } SCHEMES[] = {
        {TLSFLOW_SIG_RSA_PKCS1_SHA256, "SHA256", 0},
        {TLSFLOW_SIG_RSA_PKCS1_SHA384, "SHA384", 0},
        {TLSFLOW_SIG_RSA_PKCS1_SHA512, "SHA512", 0},
        {TLSFLOW_SIG_RSA_PSS_RSAE_SHA256, "SHA256", 1},
        {TLSFLOW_SIG_RSA_PSS_RSAE_SHA384, "SHA384", 1},
        {TLSFLOW_SIG_RSA_PSS_RSAE_SHA512, "SHA512", 1},
        {TLSFLOW_SIG_ECDSA_SECP256R1_SHA256, "SHA256", 0},
        {TLSFLOW_SIG_ECDSA_SECP384R1_SHA384, "SHA384", 0},
        {TLSFLOW_SIG_ECDSA_SECP521R1_SHA512, "SHA512", 0},
    };
    assert_int_equal(op->type, TLSFLOW_KEY_OP_SIGN);
    size_t row = 0;
    while (row < ARRAY_LEN(SCHEMES) && SCHEMES[row].scheme != op->scheme)
        row++;
    assert_true(row < ARRAY_LEN(SCHEMES));
    EVP_PKEY *key = mtls_pkey(key_pem);
    assert_non_null(key);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
    EVP_MD *md = EVP_MD_fetch(NULL, SCHEMES[row].md, NULL);
    size_t n = cap;
    int ok =
        ctx && md && EVP_PKEY_sign_init(ctx) == 1 && EVP_PKEY_CTX_set_signature_md(ctx, md) == 1;
    if (ok && EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA)
        ok = EVP_PKEY_CTX_set_rsa_padding(ctx, SCHEMES[row].pss ? RSA_PKCS1_PSS_PADDING
                                                                : RSA_PKCS1_PADDING) == 1 &&
             (!SCHEMES[row].pss || EVP_PKEY_CTX_set_rsa_pss_saltlen(ctx, RSA_PSS_SALTLEN_DIGEST));
    ok = ok && EVP_PKEY_sign(ctx, out, &n, op->digest, op->digest_len) == 1;
    EVP_MD_free(md);
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(key);
    assert_true(ok);
    return n;
}

/* ---- one connection: our engine and the library, joined ------------------------------------ */

typedef struct {
    const mtls_peer_ops *ops;
    void *end;
    tlsflow_role ours;
    uint16_t version;
    tft_rng rng;
    tlsflow_config *cfg;
    tlsflow_conn *conn;
    const mtls_blob *sign_key; /* our key operations are answered with this key's signatures */
    int key_ops;
    int tf_done, tf_closed, tf_eof;
    int peer_done, peer_stopped;
    tft_log to_engine; /* what the peer wrote, not yet all given to the engine */
    size_t to_engine_off;
    const uint8_t *tf_tx, *peer_tx;
    size_t tf_tx_len, tf_tx_done, peer_tx_len, peer_tx_done;
    tft_log tf_rx, peer_rx;
    mtls_account acc; /* the library's word, after each pump */
    char what[512];   /* the case, printed if an assertion leaves the connection open */
} mtls_conn;

static mtls_conn *g_live[4];

static void conn_free(mtls_conn *c)
{
    for (size_t i = 0; i < ARRAY_LEN(g_live); i++)
        if (g_live[i] == c)
            g_live[i] = NULL;
    if (c->end != NULL)
        c->ops->end_free(c->end);
    tlsflow_conn_free(c->conn);
    tlsflow_config_free(c->cfg);
    tft_log_free(&c->to_engine);
    tft_log_free(&c->tf_rx);
    tft_log_free(&c->peer_rx);
    free(c);
}

int mtls_free_live(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(g_live); i++) {
        if (g_live[i] != NULL) {
            print_error("  (left open by a failed check: %s)\n", g_live[i]->what);
            conn_free(g_live[i]);
        }
    }
    return 0;
}

/* What spec asks of the library and what our side holds, for failure messages. */
static void describe_case(mtls_conn *c, const mtls_peer_spec *spec, const char *ours)
{
    int n = snprintf(c->what, sizeof(c->what), "TLS 1.%d, %s %s", spec->version == V13 ? 3 : 2,
                     c->ops->name, spec->role == TLSFLOW_SERVER ? "server" : "client");
    size_t at = n > 0 && (size_t)n < sizeof(c->what) ? (size_t)n : sizeof(c->what) - 1;
    if (spec->role == TLSFLOW_SERVER)
        snprintf(c->what + at, sizeof(c->what) - at,
                 " (%s key, client auth %d, %zu roots, %zu CA names, %zu schemes); ours: %.100s",
                 spec->server_key == MTLS_EC ? "EC" : "RSA", (int)spec->auth, spec->n_trust,
                 spec->n_ca_names, spec->n_sigalgs, ours);
    else
        snprintf(c->what + at, sizeof(c->what) - at, " with %.200s%s; ours: %.100s",
                 spec->cred ? spec->cred->subject : "no certificate",
                 spec->wrong_key ? " signing with another key" : "", ours);
}

/* Our engine with cfg (taken over) in the role opposite spec's, joined to a connection of the
 * library as spec says; skips the test, saying why, when the library cannot do that. With
 * sign_key, our private-key operations are answered with that key's signatures. `ours` says
 * what our side holds, for failure messages. */
static mtls_conn *conn_new(const mtls_peer_ops *ops, const mtls_peer_spec *spec,
                           tlsflow_config *cfg, const mtls_blob *sign_key, const char *ours)
{
    mtls_conn *c = calloc(1, sizeof(*c));
    assert_non_null(c);
    c->ops = ops;
    c->cfg = cfg;
    c->ours = spec->role == TLSFLOW_SERVER ? TLSFLOW_CLIENT : TLSFLOW_SERVER;
    c->version = spec->version;
    c->sign_key = sign_key;
    describe_case(c, spec, ours);
    for (size_t i = 0; i <= ARRAY_LEN(g_live); i++) {
        assert_true(i < ARRAY_LEN(g_live));
        if (g_live[i] == NULL) {
            g_live[i] = c;
            break;
        }
    }
    char why[512] = "";
    c->end = ops->end_new(spec, why, sizeof(why));
    if (c->end == NULL) {
        print_message("SKIP %s: %s\n", ops->name, why);
        conn_free(c);
        skip();
    }
    /* Each connection its own random values: a TLS 1.3 ClientHello's legacy_session_id that
     * repeats an earlier connection's makes wolfSSL 5.5.4's server report that connection's
     * client certificate as this one's (wolfSSL_get_peer_certificate). */
    static uint64_t connections;
    c->rng.state = 1313 + 1000 * ++connections + (uint64_t)c->ours;
    tlsflow_config_set_random(cfg, tft_random, &c->rng);
    tlsflow_config_set_time(cfg, tft_time, NULL);
    tlsflow_config_set_key_offload(cfg, sign_key != NULL);
    c->conn = tlsflow_conn_new(cfg);
    assert_non_null(c->conn);
    return c;
}

static void key_op(mtls_conn *c)
{
    const tlsflow_key_operation *op = tlsflow_key_op(c->conn);
    assert_non_null(op);
    assert_non_null(c->sign_key);
    uint8_t sig[1024];
    size_t n = sign_digest(c->sign_key, op, sig, sizeof(sig));
    assert_int_equal(tlsflow_key_op_complete(c->conn, sig, n), 0);
    c->key_ops++;
}

/* Our engine as far as it goes; 1 if anything moved. */
static int engine_round(mtls_conn *c)
{
    int moved = 0;
    for (int guard = 0; guard < 100000 && !c->tf_closed; guard++) {
        size_t n, room;
        const uint8_t *p;
        uint8_t *in;
        switch (tlsflow_poll(c->conn)) {
        case TLSFLOW_OUTPUT_READY:
            p = tlsflow_out_buf(c->conn, &n);
            c->ops->feed(c->end, p, n);
            tlsflow_out_ack(c->conn, n);
            break;
        case TLSFLOW_HANDSHAKE_DONE:
            c->tf_done++;
            break;
        case TLSFLOW_APP_DATA:
            p = tlsflow_app_peek(c->conn, &n);
            tft_log_add(&c->tf_rx, p, n);
            tlsflow_app_consume(c->conn, n);
            break;
        case TLSFLOW_KEY_OPERATION:
            key_op(c);
            break;
        case TLSFLOW_CLOSED:
            c->tf_closed = 1;
            c->ops->eof(c->end);
            break;
        case TLSFLOW_NEED_INPUT:
            if (c->tf_done && c->tf_tx_done < c->tf_tx_len) {
                n = tlsflow_app_write(c->conn, c->tf_tx + c->tf_tx_done,
                                      c->tf_tx_len - c->tf_tx_done);
                c->tf_tx_done += n;
                if (n > 0)
                    break;
            }
            n = c->to_engine.len - c->to_engine_off;
            in = tlsflow_in_buf(c->conn, &room);
            if (n > 0 && in != NULL && room > 0) {
                n = n < room ? n : room;
                memcpy(in, c->to_engine.p + c->to_engine_off, n);
                c->to_engine_off += n;
                tlsflow_in_ack(c->conn, n);
                break;
            }
            if (n == 0 && c->peer_stopped && !c->tf_eof) { /* the peer's transport closes */
                tlsflow_in_ack(c->conn, 0);
                c->tf_eof = 1;
                break;
            }
            return moved;
        default:
            fail_msg("tlsflow_poll returned an unknown event");
        }
        moved = 1;
    }
    return moved;
}

/* The library as far as it goes; 1 if anything moved. */
static int peer_round(mtls_conn *c)
{
    const mtls_peer_ops *ops = c->ops;
    int moved = 0;
    if (!c->peer_stopped && !c->peer_done) {
        int r = ops->handshake(c->end);
        moved = r != 0;
        c->peer_done = r > 0;
        c->peer_stopped = r < 0;
    }
    while (c->peer_done && !c->peer_stopped && c->peer_tx_done < c->peer_tx_len) {
        int r = ops->write(c->end, c->peer_tx + c->peer_tx_done, c->peer_tx_len - c->peer_tx_done);
        if (r == 0)
            break;
        moved = 1;
        if (r < 0)
            c->peer_stopped = 1;
        else
            c->peer_tx_done += (size_t)r;
    }
    while (c->peer_done && !c->peer_stopped) {
        uint8_t buf[16384];
        int r = ops->read(c->end, buf, sizeof(buf));
        if (r == 0)
            break;
        moved = 1;
        if (r < 0)
            c->peer_stopped = 1;
        else
            tft_log_add(&c->peer_rx, buf, (size_t)r);
    }
    uint8_t buf[16384];
    for (size_t n; (n = ops->drain(c->end, buf, sizeof(buf))) > 0; moved = 1)
        tft_log_add(&c->to_engine, buf, n);
    return moved;
}

static void pump(mtls_conn *c)
{
    for (int round = 0; round < 10000; round++) {
        int moved = engine_round(c);
        moved |= peer_round(c);
        if (!moved) {
            c->ops->account(c->end, &c->acc);
            return;
        }
    }
    fail_msg("the two sides never settle");
}

static void dump(mtls_conn *c)
{
    char peer[512];
    c->ops->describe(c->end, peer, sizeof(peer));
    print_error("  tlsflow %s: done=%d closed=%d %s \"%s\" sent alert %d, peer alert %d, key ops "
                "%d\n",
                c->ours == TLSFLOW_SERVER ? "server" : "client", c->tf_done, c->tf_closed,
                tlsflow_error_name(tlsflow_last_error(c->conn)), tlsflow_last_error_text(c->conn),
                tlsflow_sent_alert(c->conn), tlsflow_peer_alert(c->conn), c->key_ops);
    print_error("  %s %s: done=%d stopped=%d, alert sent %d read %d, peer \"%s\"; %s\n",
                c->ops->name, c->ours == TLSFLOW_SERVER ? "client" : "server", c->peer_done,
                c->peer_stopped, c->acc.alert_sent, c->acc.alert_read, c->acc.peer_subject, peer);
}

/* The handshake completes on both sides, with no alert either way. */
static void expect_done(mtls_conn *c)
{
    pump(c);
    if (c->tf_done != 1 || c->tf_closed || tlsflow_last_error(c->conn) || !c->peer_done ||
        c->peer_stopped)
        dump(c);
    assert_int_equal(tlsflow_last_error(c->conn), 0);
    assert_int_equal(c->tf_done, 1);
    assert_false(c->tf_closed);
    assert_true(c->peer_done);
    assert_false(c->peer_stopped);
    assert_int_equal(c->acc.alert_sent, -1);
    assert_int_equal(c->acc.alert_read, -1);
    assert_int_equal(tlsflow_get_info(c->conn)->version, c->version);
}

/* n bytes each way at once, compared on arrival. */
static void exchange(mtls_conn *c, size_t n)
{
    uint8_t *ours = malloc(n), *theirs = malloc(n);
    assert_true(ours && theirs);
    tft_rng r = {n + c->version};
    tft_random(&r, ours, n);
    tft_random(&r, theirs, n);
    c->tf_tx = ours;
    c->tf_tx_len = n;
    c->peer_tx = theirs;
    c->peer_tx_len = n;
    pump(c);
    if (c->tf_rx.len != n || c->peer_rx.len != n)
        dump(c);
    assert_int_equal(c->tf_rx.len, n);
    assert_int_equal(c->peer_rx.len, n);
    assert_memory_equal(c->peer_rx.p, ours, n);
    assert_memory_equal(c->tf_rx.p, theirs, n);
    assert_int_equal(tlsflow_last_error(c->conn), 0);
    c->tf_tx = c->peer_tx = NULL;
    c->tf_tx_len = c->tf_tx_done = c->peer_tx_len = c->peer_tx_done = 0;
    free(ours);
    free(theirs);
}

static const uint8_t HELLO[] = "data that must not get through";

/* Queue data both ways and run to the end: a TLS 1.3 client that thinks itself done (it
 * sent its Finished) writes and reads, and so meets the server's refusal. */
static void run_refused(mtls_conn *c)
{
    c->tf_tx = c->peer_tx = HELLO;
    c->tf_tx_len = c->peer_tx_len = sizeof(HELLO);
    pump(c);
}

/* Our server refused the library's client with error `err` and `alert`; the client read
 * that alert and no data went either way. */
static void expect_refused_by_us(mtls_conn *c, int err, int alert)
{
    run_refused(c);
    if (tlsflow_last_error(c->conn) != err || tlsflow_sent_alert(c->conn) != alert ||
        c->acc.alert_read != alert || !c->peer_stopped)
        dump(c);
    assert_true(c->tf_closed);
    assert_int_equal(c->tf_done, 0);
    assert_int_equal(tlsflow_last_error(c->conn), err);
    assert_int_equal(tlsflow_sent_alert(c->conn), alert);
    assert_int_equal(tlsflow_peer_alert(c->conn), -1);
    assert_true(c->peer_stopped);
    assert_int_equal(c->acc.alert_read, alert);
    assert_int_equal(c->acc.alert_sent, -1);
    if (c->version == V12) /* a TLS 1.2 client waits for our Finished, which never came */
        assert_false(c->peer_done);
    assert_int_equal(c->tf_rx.len, 0);
    assert_int_equal(c->peer_rx.len, 0);
}

/* The library refused with `alert`, which our engine reports; -1: it closed the transport
 * without an alert, which our engine reports as that. */
static void expect_refused_by_peer(mtls_conn *c, int alert)
{
    int err = alert < 0 ? TLSFLOW_E_UNEXPECTED_EOF : TLSFLOW_E_PEER_ALERT;
    run_refused(c);
    if (tlsflow_last_error(c->conn) != err || tlsflow_peer_alert(c->conn) != alert ||
        c->acc.alert_sent != alert)
        dump(c);
    assert_false(c->peer_done);
    assert_true(c->peer_stopped);
    assert_int_equal(c->acc.alert_sent, alert);
    assert_true(c->tf_closed);
    assert_int_equal(tlsflow_last_error(c->conn), err);
    assert_int_equal(tlsflow_peer_alert(c->conn), alert);
    assert_int_equal(tlsflow_sent_alert(c->conn), -1);
    if (c->version == V12) /* a TLS 1.2 client waits for the server's Finished */
        assert_int_equal(c->tf_done, 0);
    assert_int_equal(c->tf_rx.len, 0);
    assert_int_equal(c->peer_rx.len, 0);
}

/* ---- our configurations ------------------------------------------------------------------ */

/* Our server: the fixture RSA certificate, `version` only, client certificates `mode`,
 * verified against the n anchors (certificate_authorities names them, in this order). */
static tlsflow_config *our_server(uint16_t version, tlsflow_client_auth mode,
                                  const mtls_blob *const *anchors, size_t n)
{
    tlsflow_config *cfg = tlsflow_config_new(TLSFLOW_SERVER);
    assert_non_null(cfg);
    assert_int_equal(
        tlsflow_config_add_credential(
            cfg, (const uint8_t *)mtls.server_cert[MTLS_RSA].p, mtls.server_cert[MTLS_RSA].len,
            (const uint8_t *)mtls.server_key[MTLS_RSA].p, mtls.server_key[MTLS_RSA].len, NULL),
        0);
    assert_int_equal(tlsflow_config_set_versions(cfg, version, version), 0);
    assert_int_equal(tlsflow_config_set_client_auth(cfg, mode), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(
            tlsflow_config_add_trust_anchors(cfg, (const uint8_t *)anchors[i]->p, anchors[i]->len),
            0);
    return cfg;
}

static tlsflow_config *our_server_root(uint16_t version, tlsflow_client_auth mode)
{
    const mtls_blob *root = &mtls.root;
    return our_server(version, mode, &root, 1);
}

/* Our client: trusts the fixture root for "localhost", `version` only, the n credentials in
 * this order. */
static tlsflow_config *our_client(uint16_t version, const mtls_cred *const *creds, size_t n)
{
    tlsflow_config *cfg = tft_client_config(NULL);
    assert_int_equal(tlsflow_config_set_versions(cfg, version, version), 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(tlsflow_config_add_credential(
                             cfg, (const uint8_t *)creds[i]->cert.p, creds[i]->cert.len,
                             (const uint8_t *)creds[i]->key.p, creds[i]->key.len, NULL),
                         0);
    return cfg;
}

/* ---- what both sides say about the client certificate ------------------------------------- */

/* Our server received `cred`'s certificate and took it (verdict 0 unless told). */
static void expect_received(mtls_conn *c, const mtls_cred *cred, int verdict)
{
    const tlsflow_info *in = tlsflow_get_info(c->conn);
    assert_true(in->client_cert_requested);
    assert_true(in->client_cert_sent);
    assert_int_equal(in->client_cert_verdict, verdict);
    assert_string_equal(in->client_cert.subject, cred->subject);
    assert_string_equal(in->client_cert.key_type, cred->key_type);
    assert_int_equal(in->client_cert.key_bits, cred->key_bits);
    size_t want_len, got_len;
    uint8_t *want = cert_der(&cred->cert, &want_len);
    const uint8_t *got = tlsflow_peer_cert(c->conn, 0, &got_len);
    assert_non_null(got);
    assert_int_equal(got_len, want_len);
    assert_memory_equal(got, want, want_len);
    OPENSSL_free(want);
}

/* Our client was asked for a certificate and sent `cred`'s (NULL: an empty list); the
 * library's server holds the same (or none). */
static void expect_sent(mtls_conn *c, const mtls_cred *cred)
{
    const tlsflow_info *in = tlsflow_get_info(c->conn);
    assert_true(in->client_cert_requested);
    assert_int_equal(in->client_cert_sent, cred != NULL);
    assert_string_equal(in->client_cert.subject, cred ? cred->subject : "");
    assert_string_equal(c->acc.peer_subject, cred ? cred->subject : "");
}

/* The library's client holds our server's certificate. */
static void expect_peer_has_server_cert(mtls_conn *c)
{
    assert_string_equal(c->acc.peer_subject, server_subject);
}

static mtls_peer_spec peer_client(uint16_t v, const mtls_cred *cred)
{
    mtls_peer_spec s = {.role = TLSFLOW_CLIENT, .version = v, .cred = cred};
    return s;
}

static mtls_peer_spec peer_server(uint16_t v, tlsflow_client_auth auth)
{
    mtls_peer_spec s = {.role = TLSFLOW_SERVER, .version = v, .auth = auth};
    return s;
}

/* Signature schemes a server takes for CertificateVerify: one key type, both hashes. */
static const uint16_t RSA_ONLY[] = {TLSFLOW_SIG_RSA_PSS_RSAE_SHA256,
                                    TLSFLOW_SIG_RSA_PSS_RSAE_SHA384, TLSFLOW_SIG_RSA_PKCS1_SHA256,
                                    TLSFLOW_SIG_RSA_PKCS1_SHA384};
static const uint16_t EC_ONLY[] = {TLSFLOW_SIG_ECDSA_SECP256R1_SHA256,
                                   TLSFLOW_SIG_ECDSA_SECP384R1_SHA384};

/* ---- the scenarios: our server, the library's client ----------------------------------------- */

/* Accepted: RSA and EC client keys; both sides name the certificate, data flows. */
static void run_accepted_peer_client(const mtls_peer_ops *ops, uint16_t v)
{
    for (int k = 0; k < MTLS_KEYS; k++) {
        mtls_peer_spec spec = peer_client(v, &mtls.client[k]);
        mtls_conn *c = conn_new(ops, &spec, our_server_root(v, TLSFLOW_CLIENT_AUTH_REQUIRED), NULL,
                                "server, required");
        expect_done(c);
        expect_received(c, &mtls.client[k], 0);
        expect_peer_has_server_cert(c);
        exchange(c, 3000);
        conn_free(c);
    }
}

/* Optional, and the client has no certificate: served without one. */
static void run_optional_without_peer_client(const mtls_peer_ops *ops, uint16_t v)
{
    mtls_peer_spec spec = peer_client(v, NULL);
    mtls_conn *c = conn_new(ops, &spec, our_server_root(v, TLSFLOW_CLIENT_AUTH_OPTIONAL), NULL,
                            "server, optional");
    expect_done(c);
    const tlsflow_info *in = tlsflow_get_info(c->conn);
    assert_true(in->client_cert_requested);
    assert_false(in->client_cert_sent);
    assert_string_equal(in->client_cert.subject, "");
    assert_int_equal(tlsflow_peer_cert_count(c->conn), 0);
    expect_peer_has_server_cert(c);
    exchange(c, 3000);
    conn_free(c);
}

/* Required, and none: RFC 8446 §4.4.2.4 "abort the handshake with a certificate_required
 * alert"; RFC 5246 §7.4.6 "respond with a fatal handshake_failure alert". */
static void run_required_without_peer_client(const mtls_peer_ops *ops, uint16_t v)
{
    mtls_peer_spec spec = peer_client(v, NULL);
    mtls_conn *c = conn_new(ops, &spec, our_server_root(v, TLSFLOW_CLIENT_AUTH_REQUIRED), NULL,
                            "server, required");
    expect_refused_by_us(c, TLSFLOW_E_CERT_REQUIRED,
                         v == V13 ? TLSFLOW_ALERT_CERTIFICATE_REQUIRED
                                  : TLSFLOW_ALERT_HANDSHAKE_FAILURE);
    assert_true(tlsflow_get_info(c->conn)->client_cert_requested);
    assert_false(tlsflow_get_info(c->conn)->client_cert_sent);
    conn_free(c);
}

/* A certificate our server cannot verify: refused with the alert for why (RFC 5246 §7.2.2,
 * RFC 8446 §6.2); the certificate was read (its subject is known). */
static void refused_cert_peer_client(const mtls_peer_ops *ops, uint16_t v, const mtls_cred *creds,
                                     int err, int alert)
{
    for (int k = 0; k < MTLS_KEYS; k++) {
        mtls_peer_spec spec = peer_client(v, &creds[k]);
        mtls_conn *c = conn_new(ops, &spec, our_server_root(v, TLSFLOW_CLIENT_AUTH_REQUIRED), NULL,
                                "server, required");
        expect_refused_by_us(c, err, alert);
        const tlsflow_info *in = tlsflow_get_info(c->conn);
        assert_true(in->client_cert_sent);
        assert_int_equal(in->client_cert_verdict, err);
        assert_string_equal(in->client_cert.subject, creds[k].subject);
        conn_free(c);
    }
}

/* From a root we do not trust: unknown_ca. */
static void run_untrusted_peer_client(const mtls_peer_ops *ops, uint16_t v)
{
    refused_cert_peer_client(ops, v, mtls.untrusted, TLSFLOW_E_CERT_UNKNOWN_CA,
                             TLSFLOW_ALERT_UNKNOWN_CA);
}

/* Expired: certificate_expired. */
static void run_expired_peer_client(const mtls_peer_ops *ops, uint16_t v)
{
    refused_cert_peer_client(ops, v, mtls.expired, TLSFLOW_E_CERT_EXPIRED,
                             TLSFLOW_ALERT_CERTIFICATE_EXPIRED);
}

/* A good certificate, but CertificateVerify signed by another key: RFC 8446 §4.4.3 "MUST
 * terminate the handshake with a decrypt_error alert"; RFC 5246 §7.2.2 decrypt_error: "a
 * signature could not be correctly verified". */
static void run_wrong_key_peer_client(const mtls_peer_ops *ops, uint16_t v)
{
    for (int k = 0; k < MTLS_KEYS; k++) {
        mtls_peer_spec spec = peer_client(v, &mtls.client[k]);
        spec.wrong_key = &mtls.wrong_key[k];
        mtls_conn *c = conn_new(ops, &spec, our_server_root(v, TLSFLOW_CLIENT_AUTH_REQUIRED), NULL,
                                "server, required");
        expect_refused_by_us(c, TLSFLOW_E_BAD_SIGNATURE, TLSFLOW_ALERT_DECRYPT_ERROR);
        expect_received(c, &mtls.client[k], 0);
        conn_free(c);
    }
}

/* Our server takes only RSA signatures from clients (its signature_algorithms): a client with
 * an EC key has nothing to sign with and sends no certificate (RFC 8446 §4.4.2, RFC 5246
 * §7.4.6: "MUST send a certificate message containing no certificates"), which an optional
 * server serves; an RSA client still sends its own. A client that signs with a scheme we
 * did not list anyway is refused with illegal_parameter (as OpenSSL does), one that gives up
 * is heard out. */
static void run_schemes_peer_client(const mtls_peer_ops *ops, uint16_t v)
{
    const mtls_quirks *q = &ops->quirks;
    for (int k = 0; k < MTLS_KEYS; k++) {
        mtls_peer_spec spec = peer_client(v, &mtls.client[k]);
        tlsflow_config *cfg = our_server_root(v, TLSFLOW_CLIENT_AUTH_OPTIONAL);
        assert_int_equal(tlsflow_config_set_signature_schemes(cfg, RSA_ONLY, ARRAY_LEN(RSA_ONLY)),
                         0);
        mtls_conn *c = conn_new(ops, &spec, cfg, NULL, "server, optional, RSA schemes only");
        if (k == MTLS_EC && v == V12 && q->ignores_request_schemes_12) {
            expect_refused_by_us(c, TLSFLOW_E_ILLEGAL_PARAMETER, TLSFLOW_ALERT_ILLEGAL_PARAMETER);
            expect_received(c, &mtls.client[k], 0);
        } else if (k == MTLS_EC && v == V13 && q->aborts_without_scheme_13) {
            expect_refused_by_peer(c, q->aborts_without_scheme_13);
            assert_false(tlsflow_get_info(c->conn)->client_cert_sent);
        } else {
            expect_done(c);
            if (k == MTLS_RSA) {
                expect_received(c, &mtls.client[k], 0);
            } else {
                assert_true(tlsflow_get_info(c->conn)->client_cert_requested);
                assert_false(tlsflow_get_info(c->conn)->client_cert_sent);
                assert_int_equal(tlsflow_peer_cert_count(c->conn), 0);
            }
            exchange(c, 100);
        }
        conn_free(c);
    }
}

/* certificate_authorities: the client reads the subjects of our two anchors, in order. */
static void run_ca_names_peer_client(const mtls_peer_ops *ops, uint16_t v)
{
    const mtls_blob *anchors[] = {&mtls.root, &mtls.other_root};
    mtls_peer_spec spec = peer_client(v, &mtls.client[MTLS_RSA]);
    spec.want_names = 1;
    mtls_conn *c = conn_new(
        ops, &spec, our_server(v, TLSFLOW_CLIENT_AUTH_OPTIONAL, anchors, ARRAY_LEN(anchors)), NULL,
        "server, optional, two roots");
    expect_done(c);
    expect_received(c, &mtls.client[MTLS_RSA], 0);
    assert_int_equal(c->acc.n_names, 2);
    assert_string_equal(c->acc.names[0], mtls.root_subject);
    assert_string_equal(c->acc.names[1], mtls.other_subject);
    conn_free(c);
}

/* ---- the scenarios: our client, the library's server ----------------------------------------- */

/* The library's server of key type `k` (see mtls_peer_spec), asking as `auth` says. */
static mtls_peer_spec peer_server_k(uint16_t v, tlsflow_client_auth auth, int k)
{
    mtls_peer_spec s = peer_server(v, auth);
    s.server_key = k;
    return s;
}

static void run_accepted_peer_server(const mtls_peer_ops *ops, uint16_t v)
{
    for (int k = 0; k < MTLS_KEYS; k++) {
        const mtls_cred *cred = &mtls.client[k];
        mtls_peer_spec spec = peer_server_k(v, TLSFLOW_CLIENT_AUTH_REQUIRED, k);
        mtls_conn *c = conn_new(ops, &spec, our_client(v, &cred, 1), NULL, cred->subject);
        expect_done(c);
        expect_sent(c, cred);
        const tlsflow_info *in = tlsflow_get_info(c->conn);
        assert_string_equal(in->client_cert.key_type, cred->key_type);
        assert_string_equal(in->cert.subject, server_subject);
        exchange(c, 3000);
        conn_free(c);
    }
}

static void run_optional_without_peer_server(const mtls_peer_ops *ops, uint16_t v)
{
    mtls_peer_spec spec = peer_server(v, TLSFLOW_CLIENT_AUTH_OPTIONAL);
    mtls_conn *c = conn_new(ops, &spec, our_client(v, NULL, 0), NULL, "no credential");
    expect_done(c);
    expect_sent(c, NULL);
    exchange(c, 3000);
    conn_free(c);
}

/* The library's server requires a certificate and we have none: its alert (the RFCs' as
 * above), which our client reports (or the end of the transport, from a server that closes
 * without a word). */
static void run_required_without_peer_server(const mtls_peer_ops *ops, uint16_t v)
{
    mtls_peer_spec spec = peer_server(v, TLSFLOW_CLIENT_AUTH_REQUIRED);
    mtls_conn *c = conn_new(ops, &spec, our_client(v, NULL, 0), NULL, "no credential");
    int silent = v == V12 && ops->quirks.silent_cert_required_12;
    expect_refused_by_peer(c, v == V13 ? TLSFLOW_ALERT_CERTIFICATE_REQUIRED
                              : silent ? -1
                                       : TLSFLOW_ALERT_HANDSHAKE_FAILURE);
    assert_true(tlsflow_get_info(c->conn)->client_cert_requested);
    assert_false(tlsflow_get_info(c->conn)->client_cert_sent);
    conn_free(c);
}

static void refused_cert_peer_server(const mtls_peer_ops *ops, uint16_t v, const mtls_cred *creds,
                                     int alert)
{
    for (int k = 0; k < MTLS_KEYS; k++) {
        const mtls_cred *cred = &creds[k];
        mtls_peer_spec spec = peer_server_k(v, TLSFLOW_CLIENT_AUTH_REQUIRED, k);
        mtls_conn *c = conn_new(ops, &spec, our_client(v, &cred, 1), NULL, cred->subject);
        expect_refused_by_peer(c, alert);
        assert_true(tlsflow_get_info(c->conn)->client_cert_sent);
        assert_string_equal(tlsflow_get_info(c->conn)->client_cert.subject, cred->subject);
        conn_free(c);
    }
}

/* Our certificate from a root the server does not trust (it names no CA, so we send it). */
static void run_untrusted_peer_server(const mtls_peer_ops *ops, uint16_t v)
{
    refused_cert_peer_server(ops, v, mtls.untrusted, TLSFLOW_ALERT_UNKNOWN_CA);
}

static void run_expired_peer_server(const mtls_peer_ops *ops, uint16_t v)
{
    refused_cert_peer_server(ops, v, mtls.expired, TLSFLOW_ALERT_CERTIFICATE_EXPIRED);
}

/* Our CertificateVerify made outside the engine (a key operation): with the certificate's
 * key the server takes it, with another key of the same type it answers decrypt_error. */
static void run_wrong_key_peer_server(const mtls_peer_ops *ops, uint16_t v)
{
    for (int k = 0; k < MTLS_KEYS; k++) {
        const mtls_cred *cred = &mtls.client[k];
        for (int wrong = 0; wrong < 2; wrong++) {
            mtls_peer_spec spec = peer_server_k(v, TLSFLOW_CLIENT_AUTH_REQUIRED, k);
            mtls_conn *c = conn_new(ops, &spec, our_client(v, &cred, 1),
                                    wrong ? &mtls.wrong_key[k] : &cred->key,
                                    wrong ? "signing with another key" : "signing outside");
            if (wrong) {
                expect_refused_by_peer(c, TLSFLOW_ALERT_DECRYPT_ERROR);
            } else {
                expect_done(c);
                expect_sent(c, cred);
                exchange(c, 100);
            }
            assert_int_equal(c->key_ops, 1);
            conn_free(c);
        }
    }
}

/* The server's signature_algorithms for CertificateVerify leave out what our key can do: no
 * certificate (an empty Certificate message); with an RSA and an EC credential, whichever the
 * server can take, in either order. The server's own certificate has the key type it takes
 * from clients. */
static void run_schemes_peer_server(const mtls_peer_ops *ops, uint16_t v)
{
    const mtls_cred *rsa = &mtls.client[MTLS_RSA], *ec = &mtls.client[MTLS_EC];
    const struct {
        const uint16_t *sigalgs;
        size_t n_sigalgs;
        const mtls_cred *creds[2];
        size_t n_creds;
        const mtls_cred *sent;
        const char *what;
    } CASES[] = {
        {RSA_ONLY, ARRAY_LEN(RSA_ONLY), {ec}, 1, NULL, "EC credential"},
        {EC_ONLY, ARRAY_LEN(EC_ONLY), {rsa}, 1, NULL, "RSA credential"},
        {RSA_ONLY, ARRAY_LEN(RSA_ONLY), {ec, rsa}, 2, rsa, "EC then RSA credential"},
        {EC_ONLY, ARRAY_LEN(EC_ONLY), {rsa, ec}, 2, ec, "RSA then EC credential"},
    };
    for (size_t i = 0; i < ARRAY_LEN(CASES); i++) {
        int k = CASES[i].sigalgs == EC_ONLY ? MTLS_EC : MTLS_RSA;
        mtls_peer_spec spec = peer_server_k(v, TLSFLOW_CLIENT_AUTH_OPTIONAL, k);
        spec.sigalgs = CASES[i].sigalgs;
        spec.n_sigalgs = CASES[i].n_sigalgs;
        mtls_conn *c = conn_new(ops, &spec, our_client(v, CASES[i].creds, CASES[i].n_creds), NULL,
                                CASES[i].what);
        expect_done(c);
        expect_sent(c, CASES[i].sent);
        exchange(c, 100);
        conn_free(c);
    }
}

/* RFC 5246 §7.4.8: a TLS 1.2 client signs CertificateVerify with any hash and signature
 * pair the CertificateRequest lists that its key can make, not only the suite's PRF hash.
 * A SHA-384 suite and a server that takes only SHA-256 RSA signatures: our client sends its
 * certificate (regression: it once kept only the suite's running hash and answered with an
 * empty Certificate). TLS 1.3 signs with any scheme anyway. */
static void run_request_hash_peer_server(const mtls_peer_ops *ops, uint16_t v)
{
    static const uint16_t SHA256_RSA[] = {TLSFLOW_SIG_RSA_PSS_RSAE_SHA256,
                                          TLSFLOW_SIG_RSA_PKCS1_SHA256};
    uint16_t suite =
        v == V13 ? TLSFLOW_AES_256_GCM_SHA384 : TLSFLOW_ECDHE_RSA_WITH_AES_256_GCM_SHA384;
    const mtls_cred *cred = &mtls.client[MTLS_RSA];
    mtls_peer_spec spec = peer_server(v, TLSFLOW_CLIENT_AUTH_REQUIRED);
    spec.sigalgs = SHA256_RSA;
    spec.n_sigalgs = ARRAY_LEN(SHA256_RSA);
    tlsflow_config *cfg = our_client(v, &cred, 1);
    assert_int_equal(tlsflow_config_set_cipher_suites(cfg, &suite, 1), 0);
    mtls_conn *c = conn_new(ops, &spec, cfg, NULL, "RSA credential, a SHA-384 suite only");
    expect_done(c);
    assert_int_equal(tlsflow_get_info(c->conn)->cipher_suite, suite);
    expect_sent(c, cred);
    exchange(c, 100);
    conn_free(c);
}

/* certificate_authorities: with a credential under the other root and one under the fixture
 * root (both RSA), we send the one whose issuer the server names; naming neither, none. */
static void run_ca_names_peer_server(const mtls_peer_ops *ops, uint16_t v)
{
    const mtls_cred *untrusted = &mtls.untrusted[MTLS_RSA], *trusted = &mtls.client[MTLS_RSA];
    const mtls_cred *creds[] = {untrusted, trusted};
    const struct {
        const mtls_blob *named;
        const mtls_cred *sent;
    } CASES[] = {
        {&mtls.root, trusted},
        {&mtls.other_root, untrusted},
        {&mtls.third_root, NULL},
    };
    for (size_t i = 0; i < ARRAY_LEN(CASES); i++) {
        mtls_peer_spec spec = peer_server(v, TLSFLOW_CLIENT_AUTH_OPTIONAL);
        spec.trust[0] = &mtls.root;
        spec.trust[1] = &mtls.other_root;
        spec.n_trust = 2;
        spec.ca_names[0] = CASES[i].named;
        spec.n_ca_names = 1;
        mtls_conn *c = conn_new(ops, &spec, our_client(v, creds, ARRAY_LEN(creds)), NULL,
                                "an untrusted then a trusted RSA credential");
        expect_done(c);
        expect_sent(c, CASES[i].sent);
        exchange(c, 100);
        conn_free(c);
    }
}

/* ---- the cmocka entry points ---------------------------------------------------------------- */

#define MTLS_DEFINE(name)                                                                          \
    void mtls_test_##name##_12(void **state)                                                       \
    {                                                                                              \
        run_##name(*state, V12);                                                                   \
    }                                                                                              \
    void mtls_test_##name##_13(void **state)                                                       \
    {                                                                                              \
        run_##name(*state, V13);                                                                   \
    }
MTLS_SCENARIOS(MTLS_DEFINE)
#undef MTLS_DEFINE
