/* TLS 1.3 in process against OpenSSL's libssl (memory BIOs, the pump of ossl_peer.c), both
 * roles: every TLS 1.3 suite on every group with RSA, ECDSA P-256 and P-384 certificates,
 * HelloRetryRequest both ways (and a stateless OpenSSL server's cookie), KeyUpdate both
 * ways while data flows, 1-byte feeding, 1 MiB each way, close_notify from either side,
 * NewSessionTicket, key log lines, the exporter and the downgrade sentinel. Each case
 * asserts what both sides say: the engine's tlsflow_info and trace against what OpenSSL
 * reports and what its message callback saw on the wire. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include "internal.h" /* key_update_after, as the unit tests lower it */
#include "ossl_peer.h"
#include "tf_test.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MIB          ((size_t)1 << 20)

/* ---- what we test with -------------------------------------------------------------- */

typedef struct {
    uint16_t id;
    const char *ossl; /* for SSL_CTX_set_ciphersuites */
} suite_row;

static const suite_row SUITES[] = {
    {TLSFLOW_AES_128_GCM_SHA256, "TLS_AES_128_GCM_SHA256"},
    {TLSFLOW_AES_256_GCM_SHA384, "TLS_AES_256_GCM_SHA384"},
    {TLSFLOW_CHACHA20_POLY1305_SHA256, "TLS_CHACHA20_POLY1305_SHA256"},
};

typedef struct {
    uint16_t id;
    const char *ossl; /* for SSL_CTX_set1_groups_list */
    int nid;
    size_t share_len; /* key share bytes: x25519 32, uncompressed P-256 65, P-384 97 */
} group_row;

static const group_row GROUPS[] = {
    {TLSFLOW_GROUP_X25519, "X25519", NID_X25519, 32},
    {TLSFLOW_GROUP_SECP256R1, "P-256", NID_X9_62_prime256v1, 65},
    {TLSFLOW_GROUP_SECP384R1, "P-384", NID_secp384r1, 97},
};

/* A certificate of the fixture PKI, as files for us and as objects for OpenSSL, with the
 * TLS 1.3 CertificateVerify scheme its key must sign with. */
typedef struct {
    const char *cert_file, *key_file;
    uint16_t scheme;
    const char *scheme_name;
    const char *key_type;
    int key_bits;
    X509 *cert;
    EVP_PKEY *key;
} cred_row;

static cred_row CREDS[] = {
    {"server.pem", "server.key", TLSFLOW_SIG_RSA_PSS_RSAE_SHA256, "rsa_pss_rsae_sha256", "RSA",
     2048, NULL, NULL},
    {"server-ec.pem", "server-ec.key", TLSFLOW_SIG_ECDSA_SECP256R1_SHA256, "ecdsa_secp256r1_sha256",
     "EC", 256, NULL, NULL},
    {"server-ec384.pem", "server-ec384.key", TLSFLOW_SIG_ECDSA_SECP384R1_SHA384,
     "ecdsa_secp384r1_sha384", "EC", 384, NULL, NULL},
};

/* RFC 8446 §4.1.3: a HelloRetryRequest is a ServerHello with this random. */
static const uint8_t HRR_RANDOM[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};
/* RFC 8446 §4.1.3: the last 8 bytes of a TLS 1.2 ServerHello.random of a 1.3 server. */
static const uint8_t DOWNGRADE_TLS12[8] = {0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x01};
static const uint8_t DOWNGRADE_TLS11[8] = {0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x00};

static X509 *g_root;
static int g_ex_index = -1;

static void load_cred(cred_row *c)
{
    size_t cl, kl;
    uint8_t *cp = tft_fixture(c->cert_file, &cl), *kp = tft_fixture(c->key_file, &kl);
    BIO *b = BIO_new_mem_buf(cp, (int)cl);
    c->cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    b = BIO_new_mem_buf(kp, (int)kl);
    c->key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    free(cp);
    free(kp);
}

static int group_setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(CREDS); i++) {
        load_cred(&CREDS[i]);
        if (!CREDS[i].cert || !CREDS[i].key)
            return -1;
    }
    size_t n;
    uint8_t *ca = tft_fixture("ca.pem", &n);
    BIO *b = BIO_new_mem_buf(ca, (int)n);
    g_root = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    free(ca);
    g_ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    return g_root && g_ex_index >= 0 ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(CREDS); i++) {
        X509_free(CREDS[i].cert);
        EVP_PKEY_free(CREDS[i].key);
        CREDS[i].cert = NULL;
        CREDS[i].key = NULL;
    }
    X509_free(g_root);
    return 0;
}

/* ---- one connection -------------------------------------------------------------------- */

#define MAX_LINES   16
#define MAX_TICKETS 8

typedef struct {
    uint8_t body[2048];
    size_t len;
} ticket;

/* Handshake messages OpenSSL's message callback reported, per direction (0 sent, 1 read). */
typedef struct {
    unsigned msgs[256];
    unsigned hrr;          /* ServerHellos with the HelloRetryRequest random */
    unsigned ccs;          /* ChangeCipherSpec records */
    size_t cv_sig_len;     /* signature bytes of the last CertificateVerify */
    uint16_t cv_scheme;    /* ...and its scheme */
    unsigned ku_requested; /* KeyUpdates with update_requested */
    ticket tickets[MAX_TICKETS];
    size_t n_tickets;
    int hrr_cookie; /* a HelloRetryRequest carried a cookie */
    int ch_cookie;  /* a ClientHello carried a cookie */
} wire_view;

typedef struct {
    tlsflow_role role; /* ours; OpenSSL plays the other */
    tft_rng rng;
    tlsflow_config *cfg;
    tlsflow_conn *conn;
    SSL_CTX *ctx;
    SSL *ssl;
    peer_link link;
    peer_pump_opts opts;
    /* our side */
    char keylog[MAX_LINES][256];
    size_t n_keylog;
    unsigned steps[64];
    ticket tickets[MAX_TICKETS];
    size_t n_tickets;
    /* OpenSSL's side */
    char ossl_keylog[MAX_LINES][256];
    size_t n_ossl_keylog;
    wire_view wire[2];
} fx;

/* Connections still open when an assertion ends a test, freed by its teardown. */
static fx *g_live[4];

static void live_add(fx *f)
{
    for (size_t i = 0; i < ARRAY_LEN(g_live); i++) {
        if (g_live[i] == NULL) {
            g_live[i] = f;
            return;
        }
    }
    fail_msg("too many live connections");
}

static void live_remove(fx *f)
{
    for (size_t i = 0; i < ARRAY_LEN(g_live); i++)
        if (g_live[i] == f)
            g_live[i] = NULL;
}

static void on_keylog(void *ctx, const char *line)
{
    fx *f = ctx;
    if (f->n_keylog < MAX_LINES)
        snprintf(f->keylog[f->n_keylog++], sizeof(f->keylog[0]), "%s", line);
}

static void on_trace(void *ctx, const tlsflow_conn *conn, const tlsflow_trace_event *ev)
{
    (void)conn;
    fx *f = ctx;
    if ((unsigned)ev->step < ARRAY_LEN(f->steps))
        f->steps[ev->step]++;
}

static void on_ticket(void *ctx, tlsflow_conn *conn, const uint8_t *body, size_t len)
{
    fx *f = ctx;
    assert_ptr_equal(conn, f->conn);
    if (f->n_tickets < MAX_TICKETS && len <= sizeof(f->tickets[0].body)) {
        memcpy(f->tickets[f->n_tickets].body, body, len);
        f->tickets[f->n_tickets++].len = len;
    }
}

static void ossl_keylog(const SSL *ssl, const char *line)
{
    fx *f = SSL_get_ex_data(ssl, g_ex_index);
    if (f != NULL && f->n_ossl_keylog < MAX_LINES)
        snprintf(f->ossl_keylog[f->n_ossl_keylog++], sizeof(f->ossl_keylog[0]), "%s", line);
}

/* Does a hello's extension block (from `p`, `n` bytes: u16 length, then extensions) hold
 * extension `type`? */
static int has_extension(const uint8_t *p, size_t n, uint16_t type)
{
    if (n < 2)
        return 0;
    size_t total = (size_t)p[0] << 8 | p[1];
    p += 2;
    n -= 2;
    if (total < n)
        n = total;
    while (n >= 4) {
        uint16_t t = (uint16_t)(p[0] << 8 | p[1]);
        size_t len = (size_t)p[2] << 8 | p[3];
        if (t == type)
            return 1;
        if (len > n - 4)
            return 0;
        p += 4 + len;
        n -= 4 + len;
    }
    return 0;
}

/* Offset of the extension block in a ClientHello or ServerHello body, or 0. */
static size_t hello_extensions_at(const uint8_t *body, size_t n, int client)
{
    size_t o = 2 + 32; /* legacy_version, random */
    if (o >= n)
        return 0;
    o += 1 + body[o]; /* session id */
    if (client) {
        if (o + 2 > n)
            return 0;
        o += 2 + ((size_t)body[o] << 8 | body[o + 1]); /* suites */
        if (o >= n)
            return 0;
        o += 1 + body[o]; /* compressions */
    } else {
        o += 2 + 1; /* suite, compression */
    }
    return o < n ? o : 0;
}

static void ossl_msg(int write_p, int version, int content_type, const void *buf, size_t len,
                     SSL *ssl, void *arg)
{
    (void)version;
    (void)ssl;
    fx *f = arg;
    const uint8_t *p = buf;
    wire_view *w = &f->wire[write_p ? 0 : 1];
    if (content_type == SSL3_RT_CHANGE_CIPHER_SPEC) {
        w->ccs++;
        return;
    }
    if (content_type != SSL3_RT_HANDSHAKE || len < 4)
        return;
    const uint8_t *body = p + 4;
    size_t n = len - 4;
    switch (p[0]) {
    case SSL3_MT_SERVER_HELLO:
        if (n >= 34 && memcmp(body + 2, HRR_RANDOM, 32) == 0) {
            w->hrr++;
            size_t at = hello_extensions_at(body, n, 0);
            w->hrr_cookie |= at && has_extension(body + at, n - at, 44);
            return; /* counted apart from real ServerHellos */
        }
        break;
    case SSL3_MT_CLIENT_HELLO: {
        size_t at = hello_extensions_at(body, n, 1);
        w->ch_cookie |= at && has_extension(body + at, n - at, 44);
        break;
    }
    case SSL3_MT_CERTIFICATE_VERIFY:
        if (n >= 4) {
            w->cv_scheme = (uint16_t)(body[0] << 8 | body[1]);
            w->cv_sig_len = (size_t)body[2] << 8 | body[3];
        }
        break;
    case SSL3_MT_KEY_UPDATE:
        if (n == 1 && body[0] == 1)
            w->ku_requested++;
        break;
    case SSL3_MT_NEWSESSION_TICKET:
        if (w->n_tickets < MAX_TICKETS && n <= sizeof(w->tickets[0].body)) {
            memcpy(w->tickets[w->n_tickets].body, body, n);
            w->tickets[w->n_tickets++].len = n;
        }
        break;
    }
    w->msgs[p[0]]++;
}

/* An OpenSSL context for TLS 1.3 only (unless the test widens it): the suite and groups
 * under test, our fixture root trusted at the fixtures' fixed time when it is the client. */
static SSL_CTX *ossl_ctx(tlsflow_role ossl_role, const cred_row *cred)
{
    SSL_CTX *ctx =
        SSL_CTX_new(ossl_role == TLSFLOW_SERVER ? TLS_server_method() : TLS_client_method());
    assert_non_null(ctx);
    assert_int_equal(SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION), 1);
    assert_int_equal(SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION), 1);
    SSL_CTX_set_keylog_callback(ctx, ossl_keylog);
    SSL_CTX_set_msg_callback(ctx, ossl_msg);
    if (ossl_role == TLSFLOW_SERVER) {
        assert_int_equal(SSL_CTX_use_certificate(ctx, cred->cert), 1);
        assert_int_equal(SSL_CTX_use_PrivateKey(ctx, cred->key), 1);
        assert_int_equal(SSL_CTX_check_private_key(ctx), 1);
    } else {
        assert_int_equal(X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), g_root), 1);
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        X509_VERIFY_PARAM *param = SSL_CTX_get0_param(ctx);
        X509_VERIFY_PARAM_set_time(param, (time_t)TF_TEST_TIME);
        assert_int_equal(X509_VERIFY_PARAM_set1_host(param, "localhost", 0), 1);
    }
    return ctx;
}

/* Our `role` against OpenSSL; `cred` is the server's certificate (ours or OpenSSL's). */
static fx *fx_new(tlsflow_role role, const cred_row *cred)
{
    fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->role = role;
    live_add(f);
    f->rng.state = 1300 + (uint64_t)role;
    if (role == TLSFLOW_SERVER) {
        f->cfg = tlsflow_config_new(TLSFLOW_SERVER);
        assert_non_null(f->cfg);
        tft_add_credential(f->cfg, cred->cert_file, cred->key_file, NULL);
        f->ctx = ossl_ctx(TLSFLOW_CLIENT, cred);
    } else {
        f->cfg = tft_client_config(NULL);
        f->ctx = ossl_ctx(TLSFLOW_SERVER, cred);
    }
    return f;
}

static void fx_start(fx *f)
{
    tlsflow_config_set_random(f->cfg, tft_random, &f->rng);
    tlsflow_config_set_time(f->cfg, tft_time, NULL);
    tlsflow_config_set_keylog(f->cfg, on_keylog, f);
    tlsflow_config_set_trace(f->cfg, on_trace, f);
    if (f->role == TLSFLOW_CLIENT)
        tlsflow_config_set_ticket_callback(f->cfg, on_ticket, f);
    f->conn = tlsflow_conn_new(f->cfg);
    assert_non_null(f->conn);
    f->ssl = SSL_new(f->ctx);
    assert_non_null(f->ssl);
    assert_int_equal(SSL_set_ex_data(f->ssl, g_ex_index, f), 1);
    SSL_set_msg_callback_arg(f->ssl, f);
    if (f->role == TLSFLOW_SERVER)
        SSL_set_connect_state(f->ssl);
    else
        SSL_set_accept_state(f->ssl);
    assert_int_equal(peer_link_init(&f->link, f->conn, f->ssl, &f->opts), 0);
}

static void fx_free(fx *f)
{
    live_remove(f);
    tlsflow_conn_free(f->conn);
    SSL_free(f->ssl);
    SSL_CTX_free(f->ctx);
    tlsflow_config_free(f->cfg);
    free(f);
}

static void dump(const fx *f)
{
    const peer_link *l = &f->link;
    print_error("  tlsflow %s: done=%d closed=%d %s \"%s\" sent_alert=%d peer_alert=%d\n",
                f->role == TLSFLOW_SERVER ? "server" : "client", l->tf_handshake_done, l->tf_closed,
                tlsflow_error_name(tlsflow_last_error(f->conn)), tlsflow_last_error_text(f->conn),
                tlsflow_sent_alert(f->conn), tlsflow_peer_alert(f->conn));
    print_error("  openssl: done=%d failed=%d \"%s\" alert sent %d received %d; breach \"%s\"\n",
                l->ssl_handshake_done, l->ssl_failed, l->ssl_err_text, peer_alert_sent(l, 0),
                peer_alert_received(l, 0), l->breach);
}

static void handshake(fx *f)
{
    const peer_link *l = &f->link;
    int rc = peer_pump(&f->link);
    if (rc != 0 || tlsflow_last_error(f->conn) || l->tf_handshake_done != 1 ||
        !l->ssl_handshake_done || l->ssl_failed || l->breach[0])
        dump(f);
    assert_int_equal(rc, 0);
    assert_string_equal(l->breach, "");
    assert_int_equal(tlsflow_last_error(f->conn), 0);
    assert_int_equal(l->tf_handshake_done, 1);
    assert_true(l->ssl_handshake_done);
    assert_false(l->ssl_failed);
}

static void handshake_fails(fx *f)
{
    const peer_link *l = &f->link;
    int rc = peer_pump(&f->link);
    if (rc != 0 || !l->tf_closed || l->tf_handshake_done || !l->ssl_failed)
        dump(f);
    assert_int_equal(rc, 0);
    assert_true(l->tf_closed);
    assert_int_equal(l->tf_handshake_done, 0);
    assert_true(l->ssl_failed);
    assert_false(l->ssl_handshake_done);
}

/* n bytes each way at once, compared on arrival; `seed` makes the streams differ. */
static void exchange(fx *f, size_t n, uint64_t seed)
{
    peer_link *l = &f->link;
    uint8_t *ours = malloc(n), *theirs = malloc(n), *peer_got = malloc(n), *we_got = malloc(n);
    assert_true(ours && theirs && peer_got && we_got);
    tft_rng r = {n + seed};
    tft_random(&r, ours, n);
    tft_random(&r, theirs, n);
    l->tf_tx = (peer_tx){ours, n, 0};
    l->ssl_tx = (peer_tx){theirs, n, 0};
    l->ssl_rx = (peer_rx){peer_got, n, 0, 0};
    l->tf_rx = (peer_rx){we_got, n, 0, 0};
    int rc = peer_pump(l);
    if (rc || tlsflow_last_error(f->conn) || l->ssl_failed || l->ssl_rx.len != n ||
        l->tf_rx.len != n)
        dump(f);
    assert_int_equal(rc, 0);
    assert_string_equal(l->breach, "");
    assert_int_equal(tlsflow_last_error(f->conn), 0);
    assert_false(l->ssl_failed);
    assert_int_equal(l->ssl_rx.len, n);
    assert_int_equal(l->tf_rx.len, n);
    assert_false(l->ssl_rx.overflow || l->tf_rx.overflow);
    assert_memory_equal(peer_got, ours, n);
    assert_memory_equal(we_got, theirs, n);
    l->tf_tx = (peer_tx){0};
    l->ssl_tx = (peer_tx){0};
    l->tf_rx = (peer_rx){0};
    l->ssl_rx = (peer_rx){0};
    free(ours);
    free(theirs);
    free(peer_got);
    free(we_got);
}

/* The wire as OpenSSL saw it: what OpenSSL sent, and what it read. */
static const wire_view *ossl_sent(const fx *f)
{
    return &f->wire[0];
}

static const wire_view *ossl_read(const fx *f)
{
    return &f->wire[1];
}

static int cmp_lines(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* Our five TLS 1.3 key log lines equal OpenSSL's for the same connection. */
static void check_keylog(fx *f)
{
    static const char *const labels[] = {
        "CLIENT_HANDSHAKE_TRAFFIC_SECRET ", "SERVER_HANDSHAKE_TRAFFIC_SECRET ",
        "CLIENT_TRAFFIC_SECRET_0 ", "SERVER_TRAFFIC_SECRET_0 ", "EXPORTER_SECRET "};
    assert_int_equal(f->n_keylog, 5);
    assert_int_equal(f->n_ossl_keylog, 5);
    qsort(f->keylog, f->n_keylog, sizeof(f->keylog[0]), cmp_lines);
    qsort(f->ossl_keylog, f->n_ossl_keylog, sizeof(f->ossl_keylog[0]), cmp_lines);
    for (size_t i = 0; i < 5; i++)
        assert_string_equal(f->keylog[i], f->ossl_keylog[i]);
    for (size_t l = 0; l < ARRAY_LEN(labels); l++) {
        int found = 0;
        for (size_t i = 0; i < 5; i++)
            found += strncmp(f->keylog[i], labels[l], strlen(labels[l])) == 0;
        assert_int_equal(found, 1);
    }
    /* "LABEL <client random> <secret>": the random is the one OpenSSL saw. */
    uint8_t cr[32];
    char hex[65];
    assert_int_equal(SSL_get_client_random(f->ssl, cr, sizeof(cr)), 32);
    for (size_t i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", cr[i]);
    assert_non_null(strstr(f->keylog[0], hex));
}

/* Both sides agree: TLS 1.3, suite, group, signature scheme, sizes, who retried. */
static void check_tls13(fx *f, uint16_t suite, const group_row *g, const cred_row *cred, int hrr)
{
    const tlsflow_info *in = tlsflow_get_info(f->conn);
    assert_int_equal(SSL_version(f->ssl), TLS1_3_VERSION);
    assert_int_equal(in->version, TLSFLOW_VERSION_TLS13);

    const SSL_CIPHER *c = SSL_get_current_cipher(f->ssl);
    assert_non_null(c);
    assert_int_equal(SSL_CIPHER_get_protocol_id(c), suite);
    assert_int_equal(in->cipher_suite, suite);
    assert_string_equal(tlsflow_suite_name(suite), SSL_CIPHER_standard_name(c));
    assert_string_equal(in->key_exchange, "ECDHE");

    assert_int_equal(SSL_get_negotiated_group(f->ssl), g->nid);
    assert_int_equal(in->group, g->id);
    assert_string_equal(in->group_name, tlsflow_group_name(g->id));
    assert_int_equal(in->client_public_len, g->share_len);
    assert_int_equal(in->server_public_len, g->share_len);

    /* The server's CertificateVerify, as our info and as OpenSSL's callback saw it. */
    const wire_view *cv = f->role == TLSFLOW_SERVER ? ossl_read(f) : ossl_sent(f);
    assert_int_equal(cv->msgs[SSL3_MT_CERTIFICATE_VERIFY], 1);
    assert_int_equal(cv->cv_scheme, cred->scheme);
    assert_int_equal(in->signature_scheme, cred->scheme);
    assert_string_equal(in->signature_scheme_name, cred->scheme_name);
    assert_int_equal(in->signature_len, cv->cv_sig_len);
    if (cred->key_bits == 2048)
        assert_int_equal(in->signature_len, 256);
    int type = 0, hash = 0;
    if (f->role == TLSFLOW_SERVER) {
        assert_int_equal(SSL_get_peer_signature_type_nid(f->ssl, &type), 1);
        assert_int_equal(SSL_get_peer_signature_nid(f->ssl, &hash), 1);
        assert_int_equal(SSL_get_verify_result(f->ssl), X509_V_OK);
    } else {
        assert_int_equal(SSL_get_signature_type_nid(f->ssl, &type), 1);
        assert_int_equal(SSL_get_signature_nid(f->ssl, &hash), 1);
    }
    assert_int_equal(type, cred->key_bits == 2048 ? EVP_PKEY_RSA_PSS : EVP_PKEY_EC);
    assert_int_equal(hash, cred->key_bits == 384 ? NID_sha384 : NID_sha256);
    assert_string_equal(in->cert.key_type, cred->key_type);
    assert_int_equal(in->cert.key_bits, cred->key_bits);

    /* HelloRetryRequest: both sides say whether one happened. */
    assert_int_equal(in->hello_retry, hrr);
    const wire_view *srv = f->role == TLSFLOW_SERVER ? ossl_read(f) : ossl_sent(f);
    const wire_view *cli = f->role == TLSFLOW_SERVER ? ossl_sent(f) : ossl_read(f);
    assert_int_equal(srv->hrr, (unsigned)hrr);
    assert_int_equal(srv->msgs[SSL3_MT_SERVER_HELLO], 1);
    assert_int_equal(cli->msgs[SSL3_MT_CLIENT_HELLO], 1u + (unsigned)hrr);
    assert_int_equal(f->steps[TLSFLOW_STEP_HELLO_RETRY_REQUEST], (unsigned)hrr);
    assert_int_equal(f->steps[TLSFLOW_STEP_HANDSHAKE_DONE], 1);
    assert_int_equal(f->steps[f->role == TLSFLOW_SERVER ? TLSFLOW_STEP_CERTIFICATE_VERIFY_SENT
                                                        : TLSFLOW_STEP_CERTIFICATE_VERIFY_VERIFIED],
                     1);
}

/* ---- every suite × every group × every certificate, both roles ------------------------- */

static void run_matrix(tlsflow_role role)
{
    for (size_t c = 0; c < ARRAY_LEN(CREDS); c++) {
        for (size_t s = 0; s < ARRAY_LEN(SUITES); s++) {
            for (size_t g = 0; g < ARRAY_LEN(GROUPS); g++) {
                fx *f = fx_new(role, &CREDS[c]);
                assert_int_equal(SSL_CTX_set_ciphersuites(f->ctx, SUITES[s].ossl), 1);
                if (role == TLSFLOW_SERVER) {
                    /* OpenSSL sends one share, for its first group: the one under test. */
                    char list[64];
                    snprintf(list, sizeof(list), "%s", GROUPS[g].ossl);
                    for (size_t o = 0; o < ARRAY_LEN(GROUPS); o++)
                        if (o != g)
                            snprintf(list + strlen(list), sizeof(list) - strlen(list), ":%s",
                                     GROUPS[o].ossl);
                    assert_int_equal(SSL_CTX_set1_groups_list(f->ctx, list), 1);
                } else {
                    /* We send one share, for our first group; OpenSSL takes any. */
                    uint16_t order[3] = {GROUPS[g].id};
                    size_t n = 1;
                    for (size_t o = 0; o < ARRAY_LEN(GROUPS); o++)
                        if (o != g)
                            order[n++] = GROUPS[o].id;
                    assert_int_equal(tlsflow_config_set_groups(f->cfg, order, n), 0);
                }
                fx_start(f);
                handshake(f);
                check_tls13(f, SUITES[s].id, &GROUPS[g], &CREDS[c], 0);
                check_keylog(f);
                exchange(f, 3000, c * 9 + s * 3 + g);
                fx_free(f);
            }
        }
    }
}

TFT_ROLE_TESTS(matrix)

/* ---- HelloRetryRequest ---------------------------------------------------------------- */

/* Our client's first group (its only share) is not among OpenSSL's: OpenSSL asks for its
 * own, which we also offered; the handshake completes on that group. */
static void test_hrr_from_openssl_server(void **state)
{
    (void)state;
    for (size_t first = 0; first < ARRAY_LEN(GROUPS); first++) {
        for (size_t want = 0; want < ARRAY_LEN(GROUPS); want++) {
            if (first == want)
                continue;
            fx *f = fx_new(TLSFLOW_CLIENT, &CREDS[0]);
            uint16_t ours[2] = {GROUPS[first].id, GROUPS[want].id};
            assert_int_equal(tlsflow_config_set_groups(f->cfg, ours, 2), 0);
            assert_int_equal(SSL_CTX_set1_groups_list(f->ctx, GROUPS[want].ossl), 1);
            fx_start(f);
            handshake(f);
            check_tls13(f, TLSFLOW_AES_128_GCM_SHA256, &GROUPS[want], &CREDS[0], 1);
            assert_false(ossl_sent(f)->hrr_cookie);
            check_keylog(f);
            exchange(f, 500, first * 3 + want);
            fx_free(f);
        }
    }
}

/* OpenSSL's client sends a share for its first group; our server takes only another one
 * it also offered, so we send a HelloRetryRequest naming it. */
static void test_hrr_from_our_server(void **state)
{
    (void)state;
    for (size_t first = 0; first < ARRAY_LEN(GROUPS); first++) {
        for (size_t want = 0; want < ARRAY_LEN(GROUPS); want++) {
            if (first == want)
                continue;
            fx *f = fx_new(TLSFLOW_SERVER, &CREDS[1]);
            char list[32];
            snprintf(list, sizeof(list), "%s:%s", GROUPS[first].ossl, GROUPS[want].ossl);
            assert_int_equal(SSL_CTX_set1_groups_list(f->ctx, list), 1);
            assert_int_equal(tlsflow_config_set_groups(f->cfg, &GROUPS[want].id, 1), 0);
            fx_start(f);
            handshake(f);
            check_tls13(f, TLSFLOW_AES_128_GCM_SHA256, &GROUPS[want], &CREDS[1], 1);
            /* We send no cookie, so OpenSSL echoes none. */
            assert_false(ossl_read(f)->hrr_cookie);
            assert_false(ossl_sent(f)->ch_cookie);
            check_keylog(f);
            exchange(f, 500, first * 3 + want);
            fx_free(f);
        }
    }
}

/* Our server prefers P-384 but also takes x25519, for which OpenSSL sent its share: no
 * retry, since a share we take is there (server.c: our first group with a share). */
static void test_no_hrr_when_a_share_fits(void **state)
{
    (void)state;
    fx *f = fx_new(TLSFLOW_SERVER, &CREDS[0]);
    assert_int_equal(SSL_CTX_set1_groups_list(f->ctx, "X25519:P-384"), 1);
    uint16_t ours[2] = {TLSFLOW_GROUP_SECP384R1, TLSFLOW_GROUP_X25519};
    assert_int_equal(tlsflow_config_set_groups(f->cfg, ours, 2), 0);
    fx_start(f);
    handshake(f);
    check_tls13(f, TLSFLOW_AES_128_GCM_SHA256, &GROUPS[0], &CREDS[0], 0);
    fx_free(f);
}

static int cookie_gen(SSL *ssl, unsigned char *cookie, size_t *len)
{
    (void)ssl;
    memcpy(cookie, "tlsflow-cookie", 14);
    *len = 14;
    return 1;
}

static int cookie_verify(SSL *ssl, const unsigned char *cookie, size_t len)
{
    (void)ssl;
    return len == 14 && memcmp(cookie, "tlsflow-cookie", 14) == 0;
}

/* A stateless OpenSSL server (SSL_stateless) answers a ClientHello without a cookie with a
 * HelloRetryRequest that carries one (and no key_share, our share being fine): our client
 * must echo the cookie, and OpenSSL's check of it lets the handshake go on. */
static void test_hrr_cookie_from_stateless_openssl(void **state)
{
    (void)state;
    fx *f = fx_new(TLSFLOW_CLIENT, &CREDS[0]);
    SSL_CTX_set_stateless_cookie_generate_cb(f->ctx, cookie_gen);
    SSL_CTX_set_stateless_cookie_verify_cb(f->ctx, cookie_verify);
    fx_start(f);
    peer_link *l = &f->link;
    int rounds = 0, r = 0;
    /* SSL_stateless is 0 once it has sent a HelloRetryRequest, 1 once a ClientHello with a
     * valid cookie came (then SSL_accept goes on as usual), and -1 when it read our dummy
     * ChangeCipherSpec between the two hellos (it drops it and wants to be called again)
     * or failed: a failure never reaches 1 within the rounds. */
    int minus_one = 0;
    for (; rounds < 20 && r != 1; rounds++) {
        l->ssl_handshake_done = 1; /* keep the pump's OpenSSL side from running */
        l->ssl_zero_return = 1;
        assert_int_equal(peer_pump(l), 0);
        l->ssl_handshake_done = 0;
        l->ssl_zero_return = 0;
        ERR_clear_error();
        r = SSL_stateless(f->ssl);
        minus_one += r < 0;
        assert_int_equal(tlsflow_last_error(f->conn), 0);
    }
    if (r != 1)
        dump(f);
    /* One HelloRetryRequest (0), the ChangeCipherSpec (-1), the second hello (1). */
    assert_int_equal(rounds, 3);
    assert_int_equal(minus_one, 1);
    assert_int_equal(r, 1);
    handshake(f);
    assert_int_equal(ossl_sent(f)->hrr, 1);
    assert_true(ossl_sent(f)->hrr_cookie);
    assert_true(ossl_read(f)->ch_cookie);
    assert_int_equal(tlsflow_get_info(f->conn)->hello_retry, 1);
    assert_int_equal(tlsflow_get_info(f->conn)->group, TLSFLOW_GROUP_X25519);
    assert_int_equal(SSL_get_negotiated_group(f->ssl), NID_X25519);
    assert_int_equal(SSL_version(f->ssl), TLS1_3_VERSION);
    exchange(f, 500, 77);
    fx_free(f);
}

/* ---- KeyUpdate ---------------------------------------------------------------------------- */

#define KU_ROUNDS 6

/* OpenSSL updates its keys every round (SSL_key_update, sent before its next data) while
 * both sides send; with update_requested we answer each with one of ours. */
static void run_peer_key_update(tlsflow_role role, int type)
{
    fx *f = fx_new(role, &CREDS[1]);
    fx_start(f);
    handshake(f);
    unsigned ku_sent_before = ossl_sent(f)->msgs[SSL3_MT_KEY_UPDATE];
    for (int i = 0; i < KU_ROUNDS; i++) {
        assert_int_equal(SSL_key_update(f->ssl, type), 1);
        assert_int_equal(SSL_get_key_update_type(f->ssl), type);
        exchange(f, 5000 + (size_t)i * 1111, (uint64_t)i);
        /* The KeyUpdate went out with the data. */
        assert_int_equal(SSL_get_key_update_type(f->ssl), SSL_KEY_UPDATE_NONE);
    }
    int requested = type == SSL_KEY_UPDATE_REQUESTED;
    assert_int_equal(ossl_sent(f)->msgs[SSL3_MT_KEY_UPDATE] - ku_sent_before, KU_ROUNDS);
    assert_int_equal(ossl_sent(f)->ku_requested, requested ? KU_ROUNDS : 0);
    assert_int_equal(f->steps[TLSFLOW_STEP_KEY_UPDATE_RECEIVED], KU_ROUNDS);
    /* One answer per request (never update_requested), none when none was asked for. */
    assert_int_equal(f->steps[TLSFLOW_STEP_KEY_UPDATE_SENT], requested ? KU_ROUNDS : 0);
    assert_int_equal(ossl_read(f)->msgs[SSL3_MT_KEY_UPDATE], requested ? KU_ROUNDS : 0);
    assert_int_equal(ossl_read(f)->ku_requested, 0);
    exchange(f, 20000, 99);
    fx_free(f);
}

static void test_key_update_requested_by_openssl_client(void **state)
{
    (void)state;
    run_peer_key_update(TLSFLOW_SERVER, SSL_KEY_UPDATE_REQUESTED);
}

static void test_key_update_requested_by_openssl_server(void **state)
{
    (void)state;
    run_peer_key_update(TLSFLOW_CLIENT, SSL_KEY_UPDATE_REQUESTED);
}

static void test_key_update_not_requested_by_openssl_client(void **state)
{
    (void)state;
    run_peer_key_update(TLSFLOW_SERVER, SSL_KEY_UPDATE_NOT_REQUESTED);
}

static void test_key_update_not_requested_by_openssl_server(void **state)
{
    (void)state;
    run_peer_key_update(TLSFLOW_CLIENT, SSL_KEY_UPDATE_NOT_REQUESTED);
}

#define OUR_RECORDS  100
#define UPDATE_AFTER 8

/* Our automatic KeyUpdate (RFC 8446 §5.5), lowered from 2^24 to every 8 records: 100
 * records of ours, OpenSSL's data flowing back meanwhile; OpenSSL must have read each of
 * our KeyUpdates (its message callback) and decrypted everything after them. */
static void run_auto_key_update(tlsflow_role role)
{
    fx *f = fx_new(role, &CREDS[0]);
    fx_start(f);
    handshake(f);
    f->conn->key_update_after = UPDATE_AFTER;
    peer_link *l = &f->link;
    uint8_t sent[OUR_RECORDS * 100], got[OUR_RECORDS * 100], back[OUR_RECORDS * 37],
        back_got[OUR_RECORDS * 37];
    tft_rng r = {4242};
    tft_random(&r, sent, sizeof(sent));
    tft_random(&r, back, sizeof(back));
    l->ssl_rx = (peer_rx){got, sizeof(got), 0, 0};
    l->tf_rx = (peer_rx){back_got, sizeof(back_got), 0, 0};
    uint64_t records_before = tlsflow_get_info(f->conn)->records_out;
    for (size_t i = 0; i < OUR_RECORDS; i++) {
        /* One record of ours per round (100 bytes), and 37 bytes from OpenSSL. */
        size_t took = 0;
        for (int tries = 0; tries < 4 && took == 0; tries++) {
            took = tlsflow_app_write(f->conn, sent + i * 100, 100);
            if (took == 0) /* a KeyUpdate of ours went out first: drain, then again */
                assert_int_equal(peer_pump(l), 0);
        }
        assert_int_equal(took, 100);
        l->ssl_tx = (peer_tx){back + i * 37, 37, 0};
        assert_int_equal(peer_pump(l), 0);
        assert_int_equal(tlsflow_last_error(f->conn), 0);
        assert_false(l->ssl_failed);
    }
    assert_int_equal(tlsflow_get_info(f->conn)->records_out - records_before, OUR_RECORDS);
    assert_int_equal(l->ssl_rx.len, sizeof(sent));
    assert_memory_equal(got, sent, sizeof(sent));
    assert_int_equal(l->tf_rx.len, sizeof(back));
    assert_memory_equal(back_got, back, sizeof(back));
    /* Records 1..8 under the first keys, a KeyUpdate before each further 8. */
    unsigned want = (OUR_RECORDS - 1) / UPDATE_AFTER;
    assert_int_equal(f->steps[TLSFLOW_STEP_KEY_UPDATE_SENT], want);
    assert_int_equal(ossl_read(f)->msgs[SSL3_MT_KEY_UPDATE], want);
    assert_int_equal(ossl_read(f)->ku_requested, 0);
    /* Not requested, so OpenSSL kept its own keys. */
    assert_int_equal(ossl_sent(f)->msgs[SSL3_MT_KEY_UPDATE], 0);
    assert_int_equal(f->steps[TLSFLOW_STEP_KEY_UPDATE_RECEIVED], 0);
    assert_int_equal(SSL_get_key_update_type(f->ssl), SSL_KEY_UPDATE_NONE);
    l->ssl_rx = (peer_rx){0};
    l->tf_rx = (peer_rx){0};
    exchange(f, 10000, 5);
    fx_free(f);
}

TFT_ROLE_TESTS(auto_key_update)

/* ---- byte-at-a-time feeding, bulk ----------------------------------------------------------- */

static void run_one_byte(tlsflow_role role)
{
    fx *f = fx_new(role, &CREDS[2]);
    f->opts = (peer_pump_opts){1, 1};
    fx_start(f);
    handshake(f);
    assert_int_equal(f->link.tf_bytes_in, f->link.tf_in_acks);
    assert_int_equal(f->link.tf_bytes_out, f->link.tf_out_acks);
    check_tls13(f, TLSFLOW_AES_128_GCM_SHA256, &GROUPS[0], &CREDS[2], 0);
    check_keylog(f);
    exchange(f, 3000, 1);
    assert_int_equal(f->link.tf_bytes_in, f->link.tf_in_acks);
    assert_int_equal(f->link.tf_bytes_out, f->link.tf_out_acks);
    fx_free(f);
}

TFT_ROLE_TESTS(one_byte)

static void run_mib(tlsflow_role role)
{
    fx *f = fx_new(role, &CREDS[0]);
    assert_int_equal(SSL_CTX_set_ciphersuites(f->ctx, "TLS_CHACHA20_POLY1305_SHA256"), 1);
    fx_start(f);
    handshake(f);
    exchange(f, MIB, 3);
    const tlsflow_info *in = tlsflow_get_info(f->conn);
    assert_int_equal(in->app_bytes_in, MIB);
    assert_int_equal(in->app_bytes_out, MIB);
    /* At most 2^14 bytes a record: at least 64 records each way. */
    assert_true(in->records_in >= 64 && in->records_out >= 64);
    assert_int_equal(BIO_number_written(f->link.ssl_wbio) > MIB, 1);
    fx_free(f);
}

TFT_ROLE_TESTS(mib)

/* ---- close_notify ------------------------------------------------------------------------ */

/* We send data then close_notify: OpenSSL reads the data, then a clean end. */
static void run_we_close(tlsflow_role role)
{
    fx *f = fx_new(role, &CREDS[1]);
    fx_start(f);
    handshake(f);
    uint8_t got[8];
    f->link.tf_tx = (peer_tx){(const uint8_t *)"bye", 3, 0};
    f->link.ssl_rx = (peer_rx){got, sizeof(got), 0, 0};
    assert_int_equal(peer_pump(&f->link), 0);
    assert_int_equal(f->link.ssl_rx.len, 3);
    assert_false(f->link.ssl_zero_return);
    tlsflow_close(f->conn);
    assert_int_equal(peer_pump(&f->link), 0);
    if (!f->link.ssl_zero_return || !f->link.tf_closed || tlsflow_last_error(f->conn))
        dump(f);
    assert_true(f->link.ssl_zero_return);
    assert_true(SSL_get_shutdown(f->ssl) & SSL_RECEIVED_SHUTDOWN);
    assert_int_equal(peer_alert_received(&f->link, 1), TLSFLOW_ALERT_CLOSE_NOTIFY);
    assert_false(f->link.ssl_failed);
    assert_true(f->link.tf_closed);
    assert_int_equal(tlsflow_last_error(f->conn), 0);
    assert_int_equal(tlsflow_sent_alert(f->conn), TLSFLOW_ALERT_CLOSE_NOTIFY);
    assert_memory_equal(got, "bye", 3);
    /* OpenSSL answers with its own close_notify (the engine is gone by then). */
    assert_int_equal(SSL_shutdown(f->ssl), 1);
    fx_free(f);
}

/* OpenSSL sends data then close_notify: we deliver the data, answer with ours, end clean. */
static void run_peer_closes(tlsflow_role role)
{
    fx *f = fx_new(role, &CREDS[1]);
    fx_start(f);
    handshake(f);
    uint8_t got[8];
    f->link.ssl_tx = (peer_tx){(const uint8_t *)"bye", 3, 0};
    f->link.tf_rx = (peer_rx){got, sizeof(got), 0, 0};
    assert_int_equal(peer_pump(&f->link), 0);
    assert_int_equal(f->link.tf_rx.len, 3);
    assert_false(f->link.tf_closed);
    assert_int_equal(SSL_shutdown(f->ssl), 0); /* sent; ours not seen yet */
    assert_int_equal(peer_pump(&f->link), 0);
    if (!f->link.tf_closed || tlsflow_last_error(f->conn) || !f->link.ssl_zero_return)
        dump(f);
    assert_true(f->link.tf_closed);
    assert_int_equal(tlsflow_last_error(f->conn), 0);
    assert_int_equal(tlsflow_peer_alert(f->conn), TLSFLOW_ALERT_CLOSE_NOTIFY);
    assert_int_equal(tlsflow_sent_alert(f->conn), TLSFLOW_ALERT_CLOSE_NOTIFY);
    assert_true(f->link.ssl_zero_return);
    assert_int_equal(peer_alert_received(&f->link, 1), TLSFLOW_ALERT_CLOSE_NOTIFY);
    assert_int_equal(SSL_shutdown(f->ssl), 1);
    assert_memory_equal(got, "bye", 3);
    fx_free(f);
}

TFT_ROLE_TESTS(we_close)

TFT_ROLE_TESTS(peer_closes)

/* ---- NewSessionTicket --------------------------------------------------------------------- */

/* OpenSSL's server sends two tickets after the handshake by default: the ticket callback
 * hands us both bodies exactly as OpenSSL wrote them, and the connection carries on. */
static void test_tickets_from_openssl_server(void **state)
{
    (void)state;
    fx *f = fx_new(TLSFLOW_CLIENT, &CREDS[0]);
    assert_int_equal(SSL_CTX_get_num_tickets(f->ctx), 2);
    fx_start(f);
    handshake(f);
    exchange(f, 1000, 8);
    assert_int_equal(ossl_sent(f)->msgs[SSL3_MT_NEWSESSION_TICKET], 2);
    assert_int_equal(f->n_tickets, 2);
    assert_int_equal(f->steps[TLSFLOW_STEP_SESSION_TICKET_RECEIVED], 2);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(f->tickets[i].len, ossl_sent(f)->tickets[i].len);
        assert_memory_equal(f->tickets[i].body, ossl_sent(f)->tickets[i].body, f->tickets[i].len);
    }
    /* Two more on demand (SSL_new_session_ticket): sent with OpenSSL's next data. */
    assert_int_equal(SSL_new_session_ticket(f->ssl), 1);
    assert_int_equal(SSL_new_session_ticket(f->ssl), 1);
    exchange(f, 1000, 9);
    assert_int_equal(ossl_sent(f)->msgs[SSL3_MT_NEWSESSION_TICKET], 4);
    assert_int_equal(f->n_tickets, 4);
    assert_memory_equal(f->tickets[3].body, ossl_sent(f)->tickets[3].body, f->tickets[3].len);
    assert_int_equal(tlsflow_last_error(f->conn), 0);
    fx_free(f);
}

/* With SSL_CTX_set_num_tickets(0) there are none, and nothing waits for them. */
static void test_no_tickets_from_openssl_server(void **state)
{
    (void)state;
    fx *f = fx_new(TLSFLOW_CLIENT, &CREDS[0]);
    assert_int_equal(SSL_CTX_set_num_tickets(f->ctx, 0), 1);
    fx_start(f);
    handshake(f);
    exchange(f, 1000, 10);
    assert_int_equal(ossl_sent(f)->msgs[SSL3_MT_NEWSESSION_TICKET], 0);
    assert_int_equal(f->n_tickets, 0);
    fx_free(f);
}

/* ---- key log ------------------------------------------------------------------------------- */

static void run_keylog(tlsflow_role role, size_t suite)
{
    fx *f = fx_new(role, &CREDS[0]);
    assert_int_equal(SSL_CTX_set_ciphersuites(f->ctx, SUITES[suite].ossl), 1);
    fx_start(f);
    handshake(f);
    check_keylog(f);
    /* SHA-384 suites log 48-byte secrets: 96 hex digits after label and random. */
    size_t secret_hex = SUITES[suite].id == TLSFLOW_AES_256_GCM_SHA384 ? 96 : 64;
    for (size_t i = 0; i < f->n_keylog; i++) {
        const char *last = strrchr(f->keylog[i], ' ');
        assert_non_null(last);
        assert_int_equal(strlen(last + 1), secret_hex);
    }
    fx_free(f);
}

static void test_keylog_our_server(void **state)
{
    (void)state;
    for (size_t s = 0; s < ARRAY_LEN(SUITES); s++)
        run_keylog(TLSFLOW_SERVER, s);
}

static void test_keylog_our_client(void **state)
{
    (void)state;
    for (size_t s = 0; s < ARRAY_LEN(SUITES); s++)
        run_keylog(TLSFLOW_CLIENT, s);
}

/* ---- exporter ------------------------------------------------------------------------------ */

/* HKDF-Expand-Label (RFC 8446 §7.1) with OpenSSL's HKDF in expand-only mode. */
static void expand_label(const EVP_MD *md, const uint8_t *secret, size_t secret_len,
                         const char *label, const uint8_t *ctx, size_t ctx_len, uint8_t *out,
                         size_t len)
{
    uint8_t info[2 + 1 + 255 + 1 + 255];
    size_t n = tft_hkdf_label(info, len, label, ctx, ctx_len);
    assert_true(n > 0);
    EVP_PKEY_CTX *k = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL);
    assert_non_null(k);
    assert_int_equal(EVP_PKEY_derive_init(k), 1);
    assert_int_equal(EVP_PKEY_CTX_set_hkdf_mode(k, EVP_PKEY_HKDEF_MODE_EXPAND_ONLY), 1);
    assert_int_equal(EVP_PKEY_CTX_set_hkdf_md(k, md), 1);
    assert_int_equal(EVP_PKEY_CTX_set1_hkdf_key(k, secret, (int)secret_len), 1);
    assert_int_equal(EVP_PKEY_CTX_add1_hkdf_info(k, info, (int)n), 1);
    size_t got = len;
    assert_int_equal(EVP_PKEY_derive(k, out, &got), 1);
    assert_int_equal(got, len);
    EVP_PKEY_CTX_free(k);
}

/* The exporter computed with OpenSSL from our EXPORTER_SECRET key log line (RFC 8446
 * §7.5): HKDF-Expand-Label(Derive-Secret(secret, label, ""), "exporter", Hash(context), L). */
static void exporter_from_keylog(const fx *f, const EVP_MD *md, const char *label,
                                 const uint8_t *ctx, size_t ctx_len, uint8_t *out, size_t len)
{
    uint8_t secret[64], empty_hash[64], ctx_hash[64], derived[64];
    size_t h = (size_t)EVP_MD_get_size(md);
    assert_int_equal(
        tft_keylog_secret(f->keylog, f->n_keylog, "EXPORTER_SECRET", secret, sizeof(secret)), h);
    assert_int_equal(EVP_Digest("", 0, empty_hash, NULL, md, NULL), 1);
    assert_int_equal(EVP_Digest(ctx, ctx_len, ctx_hash, NULL, md, NULL), 1);
    expand_label(md, secret, h, label, empty_hash, h, derived, h);
    expand_label(md, derived, h, "exporter", ctx_hash, h, out, len);
}

/* RFC 8446 §7.5: TLS-Exporter(label, context, length); no context is an empty one. */
static void run_exporter(tlsflow_role role, size_t suite)
{
    fx *f = fx_new(role, &CREDS[1]);
    assert_int_equal(SSL_CTX_set_ciphersuites(f->ctx, SUITES[suite].ossl), 1);
    fx_start(f);
    handshake(f);
    const EVP_MD *md = SUITES[suite].id == TLSFLOW_AES_256_GCM_SHA384 ? EVP_sha384() : EVP_sha256();
    static const uint8_t ctx[] = {0x01, 0x02, 0x03, 0xfe};
    static const size_t lens[] = {1, 32, 48, 100};
    for (size_t i = 0; i < ARRAY_LEN(lens); i++) {
        uint8_t ours[100], theirs[100], ours_nul[100], theirs_empty[100], ours_empty[100], rfc[100];
        size_t n = lens[i];
        const char *label = "EXPORTER-tlsflow-test";
        /* With a context. */
        assert_int_equal(tlsflow_export_keying_material(f->conn, label, ctx, sizeof(ctx), ours, n),
                         0);
        assert_int_equal(SSL_export_keying_material(f->ssl, theirs, n, label, strlen(label), ctx,
                                                    sizeof(ctx), 1),
                         1);
        exporter_from_keylog(f, md, label, ctx, sizeof(ctx), rfc, n);
        assert_memory_equal(theirs, rfc, n); /* OpenSSL and our key log agree with §7.5 */
        assert_memory_equal(ours, theirs, n);
        /* Without one (NULL) and with an empty one: all the same in TLS 1.3. */
        assert_int_equal(tlsflow_export_keying_material(f->conn, label, NULL, 0, ours_nul, n), 0);
        assert_int_equal(
            tlsflow_export_keying_material(f->conn, label, (const uint8_t *)"", 0, ours_empty, n),
            0);
        assert_int_equal(
            SSL_export_keying_material(f->ssl, theirs, n, label, strlen(label), NULL, 0, 0), 1);
        assert_int_equal(SSL_export_keying_material(f->ssl, theirs_empty, n, label, strlen(label),
                                                    (const unsigned char *)"", 0, 1),
                         1);
        assert_memory_equal(theirs, theirs_empty, n);
        exporter_from_keylog(f, md, label, NULL, 0, rfc, n);
        assert_memory_equal(theirs, rfc, n);
        assert_memory_equal(ours_nul, theirs, n);
        assert_memory_equal(ours_empty, theirs, n);
        /* The context changes the output; one byte alike is 1 in 256, so only from 32. */
        if (n >= 32)
            assert_memory_not_equal(ours, ours_nul, n);
    }
    fx_free(f);
}

static void test_exporter_our_server(void **state)
{
    (void)state;
    /* RFC 8446 §7.5, with and without a context (no context is the empty one). */
    for (size_t s = 0; s < ARRAY_LEN(SUITES); s++)
        run_exporter(TLSFLOW_SERVER, s);
}

static void test_exporter_our_client(void **state)
{
    (void)state;
    /* RFC 8446 §7.5, with and without a context (no context is the empty one). */
    for (size_t s = 0; s < ARRAY_LEN(SUITES); s++)
        run_exporter(TLSFLOW_CLIENT, s);
}

/* ---- the downgrade sentinel (RFC 8446 §4.1.3) --------------------------------------------- */

/* Replace TLS 1.3 (0x0304) in a ClientHello's supported_versions by a GREASE value, as a
 * man in the middle would to push both ends down to TLS 1.2. `rec` holds whole records,
 * the first of which is the ClientHello. Returns 1 if it found and replaced it. */
static int strip_tls13_offer(uint8_t *rec, size_t n)
{
    if (n < 9 || rec[0] != 22 || rec[5] != SSL3_MT_CLIENT_HELLO)
        return 0;
    size_t rec_len = (size_t)rec[3] << 8 | rec[4];
    if (rec_len + 5 > n)
        return 0;
    uint8_t *body = rec + 9;
    size_t body_len = rec_len - 4;
    size_t at = hello_extensions_at(body, body_len, 1);
    if (!at || at + 2 > body_len)
        return 0;
    uint8_t *p = body + at + 2;
    size_t left = body_len - at - 2;
    while (left >= 4) {
        uint16_t type = (uint16_t)(p[0] << 8 | p[1]);
        size_t len = (size_t)p[2] << 8 | p[3];
        if (len > left - 4)
            return 0;
        if (type == 43 && len >= 1) {
            int hit = 0;
            for (size_t i = 1; i + 1 < 1 + (size_t)p[4] && i + 1 < len; i += 2) {
                if (p[4 + i] == 0x03 && p[4 + i + 1] == 0x04) {
                    p[4 + i] = 0x0a;
                    p[4 + i + 1] = 0x0a;
                    hit = 1;
                }
            }
            return hit;
        }
        p += 4 + len;
        left -= 4 + len;
    }
    return 0;
}

/* Our first flight goes to OpenSSL through `edit` (a man in the middle). */
static void our_hello_through(fx *f, int (*edit)(uint8_t *, size_t))
{
    size_t n;
    assert_int_equal(tlsflow_poll(f->conn), TLSFLOW_OUTPUT_READY);
    const uint8_t *p = tlsflow_out_buf(f->conn, &n);
    uint8_t *copy = malloc(n);
    assert_non_null(copy);
    memcpy(copy, p, n);
    assert_int_equal(edit(copy, n), 1);
    assert_int_equal(BIO_write(f->link.ssl_rbio, copy, (int)n), (int)n);
    tlsflow_out_ack(f->conn, n);
    free(copy);
}

/* OpenSSL's first flight reaches us through `edit`. */
static void their_hello_through(fx *f, int (*edit)(uint8_t *, size_t))
{
    ERR_clear_error();
    assert_int_equal(SSL_do_handshake(f->ssl), -1);
    size_t n = BIO_ctrl_pending(f->link.ssl_wbio);
    assert_true(n > 0);
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    assert_int_equal(BIO_read(f->link.ssl_wbio, buf, (int)n), (int)n);
    assert_int_equal(edit(buf, n), 1);
    assert_int_equal(BIO_write(f->link.ssl_wbio, buf, (int)n), (int)n);
    free(buf);
}

/* One downgrade case: OpenSSL's version range, ours, whether a man in the middle takes
 * TLS 1.3 out of the ClientHello, and what must follow. */
typedef enum {
    SETTLE_12,      /* both complete in TLS 1.2 */
    WE_REFUSE,      /* our client refuses the sentinel */
    OPENSSL_REFUSES /* OpenSSL's client refuses our sentinel */
} downgrade_end;

static void run_downgrade(tlsflow_role role, int ossl_max, uint16_t our_max, int mitm, int sentinel,
                          downgrade_end end)
{
    fx *f = fx_new(role, &CREDS[0]);
    assert_int_equal(SSL_CTX_set_min_proto_version(f->ctx, TLS1_2_VERSION), 1);
    assert_int_equal(SSL_CTX_set_max_proto_version(f->ctx, ossl_max), 1);
    assert_int_equal(tlsflow_config_set_versions(f->cfg, TLSFLOW_VERSION_TLS12, our_max), 0);
    fx_start(f);
    if (mitm && role == TLSFLOW_CLIENT)
        our_hello_through(f, strip_tls13_offer);
    else if (mitm)
        their_hello_through(f, strip_tls13_offer);
    if (end == SETTLE_12)
        handshake(f);
    else
        handshake_fails(f);

    /* The server random, as OpenSSL wrote or read it. */
    uint8_t sr[32];
    assert_int_equal(SSL_get_server_random(f->ssl, sr, sizeof(sr)), 32);
    if (sentinel)
        assert_memory_equal(sr + 24, DOWNGRADE_TLS12, 8);
    else
        assert_memory_not_equal(sr + 24, DOWNGRADE_TLS12, 8);
    assert_memory_not_equal(sr + 24, DOWNGRADE_TLS11, 8);
    /* An OpenSSL server chose TLS 1.2; an OpenSSL client that refused keeps its own. */
    assert_int_equal(SSL_version(f->ssl), end == OPENSSL_REFUSES ? TLS1_3_VERSION : TLS1_2_VERSION);

    const tlsflow_info *in = tlsflow_get_info(f->conn);
    switch (end) {
    case SETTLE_12:
        assert_int_equal(in->version, TLSFLOW_VERSION_TLS12);
        exchange(f, 1000, 11);
        break;
    case WE_REFUSE:
        assert_int_equal(in->version, 0);
        assert_int_equal(tlsflow_last_error(f->conn), TLSFLOW_E_ILLEGAL_PARAMETER);
        assert_int_equal(tlsflow_sent_alert(f->conn), TLSFLOW_ALERT_ILLEGAL_PARAMETER);
        assert_non_null(strstr(tlsflow_last_error_text(f->conn), "downgraded"));
        assert_int_equal(peer_alert_received(&f->link, 2), TLSFLOW_ALERT_ILLEGAL_PARAMETER);
        break;
    case OPENSSL_REFUSES:
        assert_int_equal(in->version, TLSFLOW_VERSION_TLS12);
        assert_int_equal(peer_alert_sent(&f->link, 2), TLSFLOW_ALERT_ILLEGAL_PARAMETER);
        assert_non_null(strstr(f->link.ssl_err_text, "inappropriate fallback"));
        assert_int_equal(tlsflow_last_error(f->conn), TLSFLOW_E_PEER_ALERT);
        assert_int_equal(tlsflow_peer_alert(f->conn), TLSFLOW_ALERT_ILLEGAL_PARAMETER);
        break;
    }
    fx_free(f);
}

/* OpenSSL's server pinned to TLS 1.2 is not 1.3-capable: no sentinel, and our
 * 1.3-capable client settles on TLS 1.2. */
static void test_downgrade_openssl_server_max12(void **state)
{
    (void)state;
    run_downgrade(TLSFLOW_CLIENT, TLS1_2_VERSION, TLSFLOW_VERSION_TLS13, 0, 0, SETTLE_12);
}

/* Our client pinned to TLS 1.2, OpenSSL's server 1.3-capable: OpenSSL writes the sentinel
 * and a TLS 1.2 client must take it (RFC 8446 §4.1.3 asks only 1.3 clients to refuse). */
static void test_downgrade_sentinel_to_our_12_client(void **state)
{
    (void)state;
    run_downgrade(TLSFLOW_CLIENT, TLS1_3_VERSION, TLSFLOW_VERSION_TLS12, 0, 1, SETTLE_12);
}

/* A man in the middle takes TLS 1.3 out of our client's supported_versions: the
 * 1.3-capable OpenSSL server answers in TLS 1.2 with the sentinel, and our client, which
 * offered 1.3, refuses with illegal_parameter. */
static void test_downgrade_sentinel_refused_by_our_client(void **state)
{
    (void)state;
    run_downgrade(TLSFLOW_CLIENT, TLS1_3_VERSION, TLSFLOW_VERSION_TLS13, 1, 1, WE_REFUSE);
}

/* Our 1.3-capable server and an OpenSSL client pinned to TLS 1.2: we write the sentinel,
 * OpenSSL (not 1.3-capable then) takes it. */
static void test_downgrade_sentinel_from_our_server(void **state)
{
    (void)state;
    run_downgrade(TLSFLOW_SERVER, TLS1_2_VERSION, TLSFLOW_VERSION_TLS13, 0, 1, SETTLE_12);
}

/* Our server pinned to TLS 1.2 is not 1.3-capable: no sentinel for a 1.3 OpenSSL client
 * (which would refuse one). */
static void test_no_sentinel_from_our_12_server(void **state)
{
    (void)state;
    run_downgrade(TLSFLOW_SERVER, TLS1_3_VERSION, TLSFLOW_VERSION_TLS12, 0, 0, SETTLE_12);
}

/* A man in the middle takes TLS 1.3 out of OpenSSL's ClientHello: our 1.3-capable server
 * answers in TLS 1.2 with the sentinel, and OpenSSL, which offered 1.3, refuses it. */
static void test_downgrade_sentinel_from_our_server_refused(void **state)
{
    (void)state;
    run_downgrade(TLSFLOW_SERVER, TLS1_3_VERSION, TLSFLOW_VERSION_TLS13, 1, 1, OPENSSL_REFUSES);
}

static int free_live(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(g_live); i++)
        if (g_live[i] != NULL)
            fx_free(g_live[i]);
    return 0;
}

#define T(t) cmocka_unit_test_teardown(t, free_live)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_matrix_our_server),
        T(test_matrix_our_client),
        T(test_hrr_from_openssl_server),
        T(test_hrr_from_our_server),
        T(test_no_hrr_when_a_share_fits),
        T(test_hrr_cookie_from_stateless_openssl),
        T(test_key_update_requested_by_openssl_client),
        T(test_key_update_requested_by_openssl_server),
        T(test_key_update_not_requested_by_openssl_client),
        T(test_key_update_not_requested_by_openssl_server),
        T(test_auto_key_update_our_server),
        T(test_auto_key_update_our_client),
        T(test_one_byte_our_server),
        T(test_one_byte_our_client),
        T(test_mib_our_server),
        T(test_mib_our_client),
        T(test_we_close_our_server),
        T(test_we_close_our_client),
        T(test_peer_closes_our_server),
        T(test_peer_closes_our_client),
        T(test_tickets_from_openssl_server),
        T(test_no_tickets_from_openssl_server),
        T(test_keylog_our_server),
        T(test_keylog_our_client),
        T(test_exporter_our_server),
        T(test_exporter_our_client),
        T(test_downgrade_openssl_server_max12),
        T(test_downgrade_sentinel_to_our_12_client),
        T(test_downgrade_sentinel_refused_by_our_client),
        T(test_downgrade_sentinel_from_our_server),
        T(test_no_sentinel_from_our_12_server),
        T(test_downgrade_sentinel_from_our_server_refused),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
