/* In-process interop: tlsflow against OpenSSL's libssl over memory BIOs, both roles.
 *
 * Certificates come from OpenSSL's own X.509 code (ossl_peer.c), so the engine's chain
 * and hostname checks are tested against an independent implementation. Every case
 * asserts what was negotiated on BOTH sides: the engine's tlsflow_get_info() against
 * what OpenSSL reports for the same connection. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "ossl_peer.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MIB          ((size_t)1 << 20)

#define BOTH_SUITES "AES128-GCM-SHA256:AES256-GCM-SHA384"
/* The OpenSSL server runs at its default security level (Debian: 2). OpenSSL 3.0 as a
 * server refuses RSA key transport to a ClientHello without signature_algorithms
 * unless "@SECLEVEL=0" is in its cipher string; our client sends that extension, so
 * it is not needed here, and adding it would hide a regression that drops it. */

static peer_pki g_pki;

/* ---- Fixture ---------------------------------------------------------------------- */

typedef enum { ALPN_SELECT, ALPN_FATAL, ALPN_BOGUS } alpn_mode;

/* How the OpenSSL server answers ALPN, and what it saw offered. */
typedef struct {
    const char *const *prefs;
    size_t n;
    alpn_mode mode;
    int calls;
    char offered[256]; /* the client's list as OpenSSL parsed it, comma separated */
} alpn_server;

typedef struct {
    tlsflow_role role; /* the engine's role; OpenSSL plays the other one */
    tlsflow_config *cfg;
    int has_credential, has_trust, has_name;
    int caller_memory; /* build the conn with tlsflow_conn_init */
    void *conn_mem;
    tlsflow_conn *conn;
    SSL_CTX *ctx;
    SSL *ssl;
    peer_pump_opts opts;
    peer_link link;
    alpn_server alpn;
    tlsflow_step steps[128];
    size_t n_steps;
    const char *trace_fault;
    char keylog[256];
    int keylog_lines;
} fixture;

static int64_t fixed_time(void *ctx)
{
    (void)ctx;
    return PEER_NOW;
}

static void on_trace(void *ctx, const tlsflow_conn *conn, const tlsflow_trace_event *ev)
{
    fixture *f = ctx;
    if (conn != f->conn)
        f->trace_fault = "trace callback received a different connection";
    else if (ev == NULL || ev->text == NULL || ev->text[0] == '\0')
        f->trace_fault = "trace event without a description";
    if (ev != NULL && f->n_steps < ARRAY_LEN(f->steps))
        f->steps[f->n_steps++] = ev->step;
}

static void on_keylog(void *ctx, const char *line)
{
    fixture *f = ctx;
    snprintf(f->keylog, sizeof(f->keylog), "%s", line);
    f->keylog_lines++;
}

static int setup(void **state, tlsflow_role role)
{
    fixture *f = calloc(1, sizeof(*f));
    if (f == NULL)
        return -1;
    f->role = role;
    f->cfg = tlsflow_config_new(role);
    if (role == TLSFLOW_SERVER)
        f->ctx = peer_client_ctx(BOTH_SUITES);
    else
        f->ctx = peer_server_ctx(BOTH_SUITES, g_pki.leaf.x509, g_pki.leaf_key);
    if (f->cfg == NULL || f->ctx == NULL) {
        tlsflow_config_free(f->cfg);
        SSL_CTX_free(f->ctx);
        free(f);
        return -1;
    }
    tlsflow_config_set_time(f->cfg, fixed_time, NULL);
    tlsflow_config_set_trace(f->cfg, on_trace, f);
    tlsflow_config_set_keylog(f->cfg, on_keylog, f);
    *state = f;
    return 0;
}

static int setup_our_server(void **state)
{
    return setup(state, TLSFLOW_SERVER);
}

static int setup_our_client(void **state)
{
    return setup(state, TLSFLOW_CLIENT);
}

static int teardown(void **state)
{
    fixture *f = *state;
    if (f == NULL)
        return 0;
    tlsflow_conn_free(f->conn);
    free(f->conn_mem);
    SSL_free(f->ssl); /* also frees the link's BIOs */
    SSL_CTX_free(f->ctx);
    tlsflow_config_free(f->cfg);
    free(f);
    return 0;
}

static void add_credential(fixture *f, const peer_cert *const *chain, size_t n, const char *sni)
{
    size_t len = 0;
    char *pem = peer_pem_chain(chain, n, &len);
    assert_non_null(pem);
    int rc = tlsflow_config_add_credential(f->cfg, (const uint8_t *)pem, len,
                                           (const uint8_t *)g_pki.leaf_key_pem,
                                           g_pki.leaf_key_pem_len, sni);
    free(pem);
    assert_int_equal(rc, 0);
    f->has_credential = 1;
}

static void add_trust(fixture *f, const peer_cert *anchor)
{
    assert_int_equal(
        tlsflow_config_add_trust_anchors(f->cfg, (const uint8_t *)anchor->pem, anchor->pem_len), 0);
    f->has_trust = 1;
}

static void set_name(fixture *f, const char *name)
{
    assert_int_equal(tlsflow_config_set_server_name(f->cfg, name), 0);
    f->has_name = 1;
}

/* Fill in the defaults the test did not override, then build both endpoints. */
static void start(fixture *f)
{
    if (f->role == TLSFLOW_SERVER && !f->has_credential) {
        const peer_cert *chain[] = {&g_pki.leaf};
        add_credential(f, chain, 1, NULL);
    }
    if (f->role == TLSFLOW_CLIENT && !f->has_trust)
        add_trust(f, &g_pki.root);
    if (f->role == TLSFLOW_CLIENT && !f->has_name)
        set_name(f, "localhost");

    if (f->caller_memory) {
        size_t size = tlsflow_conn_size(f->cfg);
        assert_true(size > 0);
        f->conn_mem = aligned_alloc(16, (size + 15) & ~(size_t)15);
        assert_non_null(f->conn_mem);
        f->conn = tlsflow_conn_init(f->conn_mem, size, f->cfg);
    } else {
        f->conn = tlsflow_conn_new(f->cfg);
    }
    assert_non_null(f->conn);
    assert_int_equal(tlsflow_conn_role(f->conn), f->role);

    f->ssl = SSL_new(f->ctx);
    assert_non_null(f->ssl);
    if (f->role == TLSFLOW_SERVER)
        SSL_set_connect_state(f->ssl);
    else
        SSL_set_accept_state(f->ssl);
    assert_int_equal(peer_link_init(&f->link, f->conn, f->ssl, &f->opts), 0);
}

static const char *nz(const char *s)
{
    return s ? s : "(null)";
}

/* Print both sides' view; called before an assertion is about to fail. */
static void dump(const fixture *f)
{
    const peer_link *l = &f->link;
    int err = tlsflow_last_error(f->conn);
    print_error("  tlsflow %s: handshake_done=%d closed=%d error=%d %s \"%s\" sent_alert=%d "
                "peer_alert=%d\n",
                f->role == TLSFLOW_SERVER ? "server" : "client", l->tf_handshake_done, l->tf_closed,
                err, nz(tlsflow_error_name(err)), nz(tlsflow_last_error_text(f->conn)),
                tlsflow_sent_alert(f->conn), tlsflow_peer_alert(f->conn));
    print_error("  openssl: handshake_done=%d failed=%d ssl_error=%d \"%s\" zero_return=%d\n",
                l->ssl_handshake_done, l->ssl_failed, l->ssl_error, l->ssl_err_text,
                l->ssl_zero_return);
    for (size_t i = 0; i < l->n_alerts; i++)
        print_error("  openssl %s alert: level %d, %d (%s)\n",
                    l->alerts[i].received ? "received" : "sent", l->alerts[i].level,
                    l->alerts[i].desc, SSL_alert_desc_string_long(l->alerts[i].desc));
    if (l->breach[0] != '\0')
        print_error("  contract breach: %s\n", l->breach);
    if (f->trace_fault != NULL)
        print_error("  trace: %s\n", f->trace_fault);
    print_error("  trace steps:");
    for (size_t i = 0; i < f->n_steps; i++)
        print_error(" %d", (int)f->steps[i]);
    print_error("\n  pump iterations: %zu\n", l->iterations);
}

/* Pump until settled; both sides must have completed the handshake, nothing closed. */
static void handshake(fixture *f)
{
    const peer_link *l = &f->link;
    int rc = peer_pump(&f->link);
    int ok = rc == 0 && tlsflow_last_error(f->conn) == 0 && l->tf_handshake_done == 1 &&
             !l->tf_closed && l->ssl_handshake_done && !l->ssl_failed && l->breach[0] == '\0';
    if (!ok)
        dump(f);
    assert_int_equal(rc, 0);
    assert_string_equal(l->breach, "");
    assert_int_equal(tlsflow_last_error(f->conn), 0);
    assert_int_equal(l->tf_handshake_done, 1);
    assert_false(l->tf_closed);
    assert_false(l->ssl_failed);
    assert_true(l->ssl_handshake_done);
}

/* Pump until settled; the handshake must have failed on both sides. The caller then
 * checks which error and which alert. */
static void handshake_fails(fixture *f)
{
    const peer_link *l = &f->link;
    int rc = peer_pump(&f->link);
    int ok = rc == 0 && l->tf_closed && l->tf_handshake_done == 0 && l->ssl_failed &&
             !l->ssl_handshake_done && l->breach[0] == '\0';
    if (!ok)
        dump(f);
    assert_int_equal(rc, 0);
    assert_string_equal(l->breach, "");
    assert_true(l->tf_closed);
    assert_int_equal(l->tf_handshake_done, 0);
    assert_true(l->ssl_failed);
    assert_false(l->ssl_handshake_done);
    assert_int_not_equal(tlsflow_last_error(f->conn), 0);
}

static uint8_t *pseudo_random(size_t n, uint64_t seed)
{
    uint8_t *p = malloc(n ? n : 1);
    assert_non_null(p);
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 0x2545F4914F6CDD1Dull;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        p[i] = (uint8_t)(x >> 29);
    }
    return p;
}

/* memcmp that names the first differing byte instead of dumping a megabyte. */
static void assert_same_bytes(const uint8_t *got, const uint8_t *want, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++) {
        if (got[i] != want[i]) {
            print_error("%s: first difference at byte %zu of %zu\n", what, i, n);
            fail();
        }
    }
}

/* Send to_peer bytes engine → OpenSSL and from_peer bytes OpenSSL → engine at once. */
static void exchange(fixture *f, size_t to_peer, size_t from_peer, uint64_t seed)
{
    peer_link *l = &f->link;
    uint8_t *ours = pseudo_random(to_peer, seed);
    uint8_t *theirs = pseudo_random(from_peer, seed + 1);
    uint8_t *peer_got = malloc(to_peer + 1);
    uint8_t *we_got = malloc(from_peer + 1);
    assert_non_null(peer_got);
    assert_non_null(we_got);
    l->tf_tx = (peer_tx){ours, to_peer, 0};
    l->ssl_tx = (peer_tx){theirs, from_peer, 0};
    l->ssl_rx = (peer_rx){peer_got, to_peer, 0, 0};
    l->tf_rx = (peer_rx){we_got, from_peer, 0, 0};

    int rc = peer_pump(l);
    int ok = rc == 0 && tlsflow_last_error(f->conn) == 0 && !l->tf_closed && !l->ssl_failed &&
             l->ssl_rx.len == to_peer && l->tf_rx.len == from_peer;
    if (!ok) {
        print_error("  sent %zu/%zu and %zu/%zu, received %zu and %zu\n", l->tf_tx.done, to_peer,
                    l->ssl_tx.done, from_peer, l->ssl_rx.len, l->tf_rx.len);
        dump(f);
    }
    assert_int_equal(rc, 0);
    assert_string_equal(l->breach, "");
    assert_int_equal(tlsflow_last_error(f->conn), 0);
    assert_false(l->tf_closed);
    assert_false(l->ssl_failed);
    assert_int_equal(l->tf_tx.done, to_peer);
    assert_int_equal(l->ssl_tx.done, from_peer);
    assert_false(l->ssl_rx.overflow);
    assert_false(l->tf_rx.overflow);
    assert_int_equal(l->ssl_rx.len, to_peer);
    assert_int_equal(l->tf_rx.len, from_peer);
    assert_same_bytes(peer_got, ours, to_peer, "engine -> OpenSSL");
    assert_same_bytes(we_got, theirs, from_peer, "OpenSSL -> engine");

    l->tf_tx = (peer_tx){0};
    l->ssl_tx = (peer_tx){0};
    l->tf_rx = (peer_rx){0};
    l->ssl_rx = (peer_rx){0};
    free(ours);
    free(theirs);
    free(peer_got);
    free(we_got);
}

/* Give the engine a receive buffer for data that arrives outside exchange(). */
static void expect_app_data(fixture *f, uint8_t *buf, size_t cap)
{
    f->link.tf_rx = (peer_rx){buf, cap, 0, 0};
}

static void expect_peer_app_data(fixture *f, uint8_t *buf, size_t cap)
{
    f->link.ssl_rx = (peer_rx){buf, cap, 0, 0};
}

/* ---- Shared checks ------------------------------------------------------------------ */

static size_t step_count(const fixture *f, tlsflow_step s)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n_steps; i++)
        n += f->steps[i] == s;
    return n;
}

static size_t step_index(const fixture *f, tlsflow_step s)
{
    for (size_t i = 0; i < f->n_steps; i++)
        if (f->steps[i] == s)
            return i;
    return SIZE_MAX;
}

/* Each listed step happens exactly once, in this order. */
static void assert_steps_in_order(const fixture *f, const tlsflow_step *want, size_t n)
{
    size_t prev = 0;
    for (size_t i = 0; i < n; i++) {
        size_t count = step_count(f, want[i]);
        size_t at = step_index(f, want[i]);
        if (count != 1 || (i > 0 && at <= prev)) {
            print_error("step %d: seen %zu times, at %zu (previous listed step at %zu)\n",
                        (int)want[i], count, at, prev);
            dump(f);
            fail();
        }
        prev = at;
    }
}

static int is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
              (s[i] >= 'A' && s[i] <= 'F')))
            return 0;
    return 1;
}

/* Our NSS key log line must be OpenSSL's for the same connection: equal client random
 * and equal master secret, so the whole key schedule agrees. */
static void check_keylog(const fixture *f)
{
    assert_int_equal(f->keylog_lines, 1);
    assert_int_equal(f->link.keylog_lines, 1);
    assert_int_equal(strlen(f->keylog), 14 + 64 + 1 + 96);
    assert_memory_equal(f->keylog, "CLIENT_RANDOM ", 14);
    assert_true(is_hex(f->keylog + 14, 64));
    assert_int_equal(f->keylog[14 + 64], ' ');
    assert_true(is_hex(f->keylog + 14 + 64 + 1, 96));
    assert_string_equal(f->keylog, f->link.keylog);
}

static int hello_has_suite(const tlsflow_hello_info *h, uint16_t suite)
{
    for (size_t i = 0; i < h->n_suites; i++)
        if (h->suites[i] == suite)
            return 1;
    return 0;
}

static int is_signalling_suite(uint16_t s)
{
    return s == 0x00FF /* EMPTY_RENEGOTIATION_INFO_SCSV */ || s == 0x5600 /* FALLBACK */;
}

/* The engine's ClientHello record (as received or as sent) lists exactly the suites
 * OpenSSL saw on the other end, plus possibly signalling values. */
static void check_hello_suites(const tlsflow_hello_info *h, STACK_OF(SSL_CIPHER) * sk)
{
    assert_non_null(sk);
    size_t real = 0;
    for (size_t i = 0; i < h->n_suites; i++)
        real += !is_signalling_suite(h->suites[i]);
    assert_int_equal(real, (size_t)sk_SSL_CIPHER_num(sk));
    for (int i = 0; i < sk_SSL_CIPHER_num(sk); i++)
        assert_true(hello_has_suite(h, SSL_CIPHER_get_protocol_id(sk_SSL_CIPHER_value(sk, i))));
}

static void check_suite_both_sides(fixture *f, uint16_t suite)
{
    const tlsflow_info *info = tlsflow_get_info(f->conn);
    const SSL_CIPHER *cipher = SSL_get_current_cipher(f->ssl);
    assert_non_null(cipher);
    assert_int_equal(info->version, 0x0303);
    assert_int_equal(SSL_version(f->ssl), TLS1_2_VERSION);
    assert_int_equal(info->cipher_suite, suite);
    assert_int_equal(SSL_CIPHER_get_protocol_id(cipher), suite);
    assert_string_equal(nz(tlsflow_suite_name(info->cipher_suite)),
                        SSL_CIPHER_standard_name(cipher));
    assert_int_equal(info->secure_renegotiation, 1);
    assert_int_equal(SSL_get_secure_renegotiation_support(f->ssl), 1);
    /* RSA-2048: the encrypted premaster is one modulus long. */
    assert_int_equal(info->encrypted_premaster_len, 256);
    assert_true(hello_has_suite(info->client_hello, suite));
    assert_int_equal(info->client_hello->version, 0x0303);
}

/* The certificate each side saw is the one that was configured on the other. */
static void check_leaf_both_sides(fixture *f, const peer_cert *leaf, const char *cn)
{
    const tlsflow_cert_info *ci = &tlsflow_get_info(f->conn)->cert;
    X509 *ossl_leaf =
        f->role == TLSFLOW_SERVER ? SSL_get0_peer_certificate(f->ssl) : SSL_get_certificate(f->ssl);
    assert_non_null(ossl_leaf);
    assert_int_equal(X509_cmp(ossl_leaf, leaf->x509), 0);
    assert_non_null(strstr(ci->subject, cn));
    assert_non_null(strstr(ci->issuer, "tlsflow test"));
    assert_true(ci->not_before == PEER_T_2025);
    assert_true(ci->not_after == PEER_T_2028);
    assert_int_equal(ci->key_bits, 2048);
    assert_string_equal(nz(ci->key_type), "RSA");
}

/* ---- 1. Cipher suites, both roles -------------------------------------------------- */

static void set_peer_ciphers(fixture *f, const char *ciphers)
{
    assert_int_equal(SSL_CTX_set_cipher_list(f->ctx, ciphers), 1);
}

static void run_suite(fixture *f, uint16_t suite, const char *ossl_name)
{
    set_peer_ciphers(f, ossl_name);
    start(f);
    handshake(f);
    check_suite_both_sides(f, suite);
    check_leaf_both_sides(f, &g_pki.leaf, "localhost");
    const tlsflow_hello_info *hello = tlsflow_get_info(f->conn)->client_hello;
    if (f->role == TLSFLOW_SERVER) {
        STACK_OF(SSL_CIPHER) *offered = SSL_get1_supported_ciphers(f->ssl);
        check_hello_suites(hello, offered);
        sk_SSL_CIPHER_free(offered);
    } else {
        check_hello_suites(hello, SSL_get_client_ciphers(f->ssl));
    }
    exchange(f, 1000, 1200, suite);
}

static void test_suite_aes128_our_server(void **state)
{
    run_suite(*state, TLSFLOW_RSA_WITH_AES_128_GCM_SHA256, "AES128-GCM-SHA256");
}

static void test_suite_aes256_our_server(void **state)
{
    run_suite(*state, TLSFLOW_RSA_WITH_AES_256_GCM_SHA384, "AES256-GCM-SHA384");
}

static void test_suite_aes128_our_client(void **state)
{
    run_suite(*state, TLSFLOW_RSA_WITH_AES_128_GCM_SHA256, "AES128-GCM-SHA256");
}

static void test_suite_aes256_our_client(void **state)
{
    run_suite(*state, TLSFLOW_RSA_WITH_AES_256_GCM_SHA384, "AES256-GCM-SHA384");
}

/* The engine's suite preference decides when it is the server. */
static void test_suite_server_preference(void **state)
{
    fixture *f = *state;
    const uint16_t prefs[] = {TLSFLOW_RSA_WITH_AES_256_GCM_SHA384,
                              TLSFLOW_RSA_WITH_AES_128_GCM_SHA256};
    assert_int_equal(tlsflow_config_set_cipher_suites(f->cfg, prefs, ARRAY_LEN(prefs)), 0);
    set_peer_ciphers(f, "AES128-GCM-SHA256:AES256-GCM-SHA384");
    start(f);
    handshake(f);
    check_suite_both_sides(f, TLSFLOW_RSA_WITH_AES_256_GCM_SHA384);
}

/* CBC only on the OpenSSL side: the engine does AEAD only, so nothing is common. */
static void test_no_common_suite_our_server(void **state)
{
    fixture *f = *state;
    set_peer_ciphers(f, "AES128-SHA256");
    start(f);
    handshake_fails(f);
    assert_int_equal(tlsflow_last_error(f->conn), TLSFLOW_E_HANDSHAKE_FAILURE);
    assert_int_equal(tlsflow_sent_alert(f->conn), TLSFLOW_ALERT_HANDSHAKE_FAILURE);
    assert_int_equal(peer_alert_received(&f->link, 2), TLSFLOW_ALERT_HANDSHAKE_FAILURE);
}

static void test_no_common_suite_our_client(void **state)
{
    fixture *f = *state;
    set_peer_ciphers(f, "AES128-SHA256");
    start(f);
    handshake_fails(f);
    assert_int_equal(tlsflow_last_error(f->conn), TLSFLOW_E_PEER_ALERT);
    assert_int_equal(peer_alert_sent(&f->link, 2), TLSFLOW_ALERT_HANDSHAKE_FAILURE);
    assert_int_equal(tlsflow_peer_alert(f->conn), TLSFLOW_ALERT_HANDSHAKE_FAILURE);
}

/* A TLS 1.3-capable OpenSSL (supported_versions, key_share, TLS 1.3 suites): with our
 * defaults both settle on TLS 1.3; with ours pinned to TLS 1.2 (OpenSSL's server then
 * puts the downgrade sentinel in its random, which a 1.2-only client ignores), on 1.2. */
static void run_tls13_capable_peer(fixture *f)
{
    assert_int_equal(SSL_CTX_set_max_proto_version(f->ctx, 0), 1);
    assert_int_equal(
        tlsflow_config_set_versions(f->cfg, TLSFLOW_VERSION_TLS12, TLSFLOW_VERSION_TLS12), 0);
    start(f);
    handshake(f);
    assert_int_equal(SSL_version(f->ssl), TLS1_2_VERSION);
    assert_int_equal(tlsflow_get_info(f->conn)->version, 0x0303);
    exchange(f, 100, 100, 13);
}

static void run_tls13_peer(fixture *f)
{
    assert_int_equal(SSL_CTX_set_max_proto_version(f->ctx, 0), 1);
    start(f);
    handshake(f);
    assert_int_equal(SSL_version(f->ssl), TLS1_3_VERSION);
    assert_int_equal(tlsflow_get_info(f->conn)->version, TLSFLOW_VERSION_TLS13);
    assert_int_equal(tlsflow_get_info(f->conn)->cipher_suite, TLSFLOW_AES_128_GCM_SHA256);
    exchange(f, 100, 100, 13);
}

static void test_tls13_with_openssl_client(void **state)
{
    run_tls13_peer(*state);
}

static void test_tls13_with_openssl_server(void **state)
{
    run_tls13_peer(*state);
}

static void test_tls13_capable_openssl_client(void **state)
{
    run_tls13_capable_peer(*state);
}

static void test_tls13_capable_openssl_server(void **state)
{
    run_tls13_capable_peer(*state);
}

/* ---- The ClientHello record in tlsflow_info vs OpenSSL's parse of the same hello -------- */

static void assert_u16_list(const char *what, const uint16_t *got, size_t n_got,
                            const uint16_t *want, size_t n_want)
{
    int same = n_got == n_want;
    for (size_t i = 0; same && i < n_got; i++)
        same = got[i] == want[i];
    if (!same) {
        print_error("%s: tlsflow has %zu [", what, n_got);
        for (size_t i = 0; i < n_got; i++)
            print_error(" %04x", got[i]);
        print_error(" ], OpenSSL parsed %zu [", n_want);
        for (size_t i = 0; i < n_want; i++)
            print_error(" %04x", want[i]);
        print_error(" ]\n");
        fail();
    }
}

static void check_hello_matches(const fixture *f, const peer_hello_view *v)
{
    const tlsflow_hello_info *h = tlsflow_get_info(f->conn)->client_hello;
    uint16_t pf_got[16], pf_want[16];
    assert_int_equal(v->seen, 1);
    assert_int_equal(h->version, v->version);
    assert_u16_list("cipher suites", h->suites, h->n_suites, v->suites, v->n_suites);
    assert_u16_list("extensions", h->extensions, h->n_extensions, v->exts, v->n_exts);
    assert_u16_list("signature_algorithms", h->sig_algs, h->n_sig_algs, v->sig_algs, v->n_sig_algs);
    assert_u16_list("supported_groups", h->groups, h->n_groups, v->groups, v->n_groups);
    for (size_t i = 0; i < h->n_point_formats && i < 16; i++)
        pf_got[i] = h->point_formats[i];
    for (size_t i = 0; i < v->n_point_formats; i++)
        pf_want[i] = v->point_formats[i];
    assert_u16_list("ec_point_formats", pf_got, h->n_point_formats < 16 ? h->n_point_formats : 16,
                    pf_want, v->n_point_formats);
}

/* A TLS 1.3-capable OpenSSL client sends a rich hello (groups, key_share, ...). */
static void test_hello_info_our_server(void **state)
{
    fixture *f = *state;
    peer_hello_view view;
    memset(&view, 0, sizeof(view));
    assert_int_equal(SSL_CTX_set_max_proto_version(f->ctx, 0), 1);
    start(f);
    /* Let OpenSSL write its ClientHello, and parse a copy with OpenSSL's server code. */
    assert_true(SSL_do_handshake(f->ssl) <= 0);
    char *hello = NULL;
    long len = BIO_get_mem_data(f->link.ssl_wbio, &hello);
    assert_true(len > 0);
    assert_int_equal(peer_parse_hello((const uint8_t *)hello, (size_t)len, g_pki.leaf.x509,
                                      g_pki.leaf_key, &view),
                     0);
    handshake(f);
    assert_true(view.n_exts > 5);
    assert_true(view.n_groups > 0);
    check_hello_matches(f, &view);
}

/* tlsflow.h: on the client the record is the hello "as sent": it must match what
 * OpenSSL parsed, extension by extension. */
static void test_hello_info_our_client(void **state)
{
    fixture *f = *state;
    peer_hello_view view;
    memset(&view, 0, sizeof(view));
    peer_capture_hello(f->ctx, &view);
    start(f);
    handshake(f);
    assert_true(view.n_exts > 0);
    check_hello_matches(f, &view);
}

/* ---- 2. Extended master secret -------------------------------------------------------- */

static void run_ems(fixture *f, int peer_off, int ours_off, int expect)
{
    if (peer_off)
        SSL_CTX_set_options(f->ctx, SSL_OP_NO_EXTENDED_MASTER_SECRET);
    if (ours_off)
        tlsflow_config_set_offer_ems(f->cfg, 0);
    start(f);
    handshake(f);
    assert_int_equal(tlsflow_get_info(f->conn)->ems, expect);
    assert_int_equal(SSL_get_extms_support(f->ssl), expect);
    /* EMS changes the master secret: equal key logs prove both derived it alike. */
    check_keylog(f);
    exchange(f, 500, 500, 2);
}

static void test_ems_our_server_on(void **state)
{
    run_ems(*state, 0, 0, 1);
}

static void test_ems_our_server_peer_off(void **state)
{
    run_ems(*state, 1, 0, 0);
}

static void test_ems_our_client_on(void **state)
{
    run_ems(*state, 0, 0, 1);
}

static void test_ems_our_client_off(void **state)
{
    run_ems(*state, 0, 1, 0);
}

static void test_ems_our_client_peer_off(void **state)
{
    run_ems(*state, 1, 0, 0);
}

/* ---- 3. SNI ----------------------------------------------------------------------------- */

static void test_sni_received_by_our_server(void **state)
{
    fixture *f = *state;
    start(f);
    assert_int_equal(SSL_set_tlsext_host_name(f->ssl, "localhost"), 1);
    handshake(f);
    assert_string_equal(tlsflow_get_info(f->conn)->server_name, "localhost");
    assert_string_equal(nz(SSL_get_servername(f->ssl, TLSEXT_NAMETYPE_host_name)), "localhost");
}

static void test_sni_absent_our_server(void **state)
{
    fixture *f = *state;
    start(f);
    handshake(f);
    assert_string_equal(tlsflow_get_info(f->conn)->server_name, "");
}

/* A second credential for other.example is chosen by SNI; the default stays first. */
static void test_sni_selects_credential(void **state)
{
    fixture *f = *state;
    const peer_cert *main_chain[] = {&g_pki.leaf};
    const peer_cert *other_chain[] = {&g_pki.other_host};
    add_credential(f, main_chain, 1, NULL);
    add_credential(f, other_chain, 1, "other.example");
    start(f);
    assert_int_equal(SSL_set_tlsext_host_name(f->ssl, "other.example"), 1);
    handshake(f);
    assert_string_equal(tlsflow_get_info(f->conn)->server_name, "other.example");
    X509 *got = SSL_get0_peer_certificate(f->ssl);
    assert_non_null(got);
    assert_int_equal(X509_cmp(got, g_pki.other_host.x509), 0);
    assert_non_null(strstr(tlsflow_get_info(f->conn)->cert.subject, "other.example"));
}

static void test_sni_sent_by_our_client(void **state)
{
    fixture *f = *state;
    start(f);
    handshake(f);
    assert_true(f->link.servername_calls >= 1);
    assert_string_equal(f->link.servername, "localhost");
    assert_string_equal(tlsflow_get_info(f->conn)->server_name, "localhost");
}

/* RFC 6066 §3: a literal IP address is not sent as SNI; it is still verified against
 * the certificate's iPAddress SAN. */
static void test_sni_ip_literal_our_client(void **state)
{
    fixture *f = *state;
    set_name(f, "127.0.0.1");
    start(f);
    handshake(f);
    assert_true(f->link.servername_calls >= 1);
    assert_string_equal(f->link.servername, "");
    assert_int_equal(step_count(f, TLSFLOW_STEP_CERTIFICATE_VERIFIED), 1);
}

/* ---- 4. ALPN ------------------------------------------------------------------------------ */

static const char *const alpn_h2_http11[] = {"h2", "http/1.1"};
static const char *const alpn_http11_h2[] = {"http/1.1", "h2"};
static const char *const alpn_http11[] = {"http/1.1"};
static const char *const alpn_h2[] = {"h2"};

static void peer_offers_alpn(fixture *f, const char *const *list, size_t n)
{
    unsigned char wire[256];
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        size_t plen = strlen(list[i]);
        wire[len++] = (unsigned char)plen;
        memcpy(wire + len, list[i], plen);
        len += plen;
    }
    /* SSL_set_alpn_protos returns 0 on success. */
    assert_int_equal(SSL_set_alpn_protos(f->ssl, wire, (unsigned int)len), 0);
}

static int alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen,
                       const unsigned char *in, unsigned int inlen, void *arg)
{
    (void)ssl;
    alpn_server *a = arg;
    a->calls++;
    size_t w = 0;
    for (unsigned int off = 0; off < inlen && off + 1u + in[off] <= inlen && w < sizeof(a->offered);
         off += 1u + in[off])
        w += (size_t)snprintf(a->offered + w, sizeof(a->offered) - w, "%s%.*s", w ? "," : "",
                              (int)in[off], (const char *)in + off + 1);
    if (a->mode == ALPN_FATAL)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    if (a->mode == ALPN_BOGUS) {
        *out = (const unsigned char *)"spdy/3";
        *outlen = 6;
        return SSL_TLSEXT_ERR_OK;
    }
    for (size_t i = 0; i < a->n; i++) {
        size_t plen = strlen(a->prefs[i]);
        for (unsigned int off = 0; off < inlen && off + 1u + in[off] <= inlen;
             off += 1u + in[off]) {
            if (in[off] == plen && memcmp(in + off + 1, a->prefs[i], plen) == 0) {
                *out = in + off + 1;
                *outlen = (unsigned char)plen;
                return SSL_TLSEXT_ERR_OK;
            }
        }
    }
    return SSL_TLSEXT_ERR_NOACK;
}

static void peer_selects_alpn(fixture *f, const char *const *prefs, size_t n, alpn_mode mode)
{
    f->alpn.prefs = prefs;
    f->alpn.n = n;
    f->alpn.mode = mode;
    SSL_CTX_set_alpn_select_cb(f->ctx, alpn_select, &f->alpn);
}

static void check_alpn_both_sides(fixture *f, const char *expect)
{
    const unsigned char *sel = NULL;
    unsigned int len = 0;
    SSL_get0_alpn_selected(f->ssl, &sel, &len);
    char ossl[256];
    snprintf(ossl, sizeof(ossl), "%.*s", (int)len, sel ? (const char *)sel : "");
    assert_string_equal(ossl, expect);
    assert_string_equal(tlsflow_get_info(f->conn)->alpn, expect);
}

static void test_alpn_our_server_common(void **state)
{
    fixture *f = *state;
    assert_int_equal(tlsflow_config_set_alpn(f->cfg, alpn_h2_http11, 2), 0);
    start(f);
    peer_offers_alpn(f, alpn_http11, 1);
    handshake(f);
    check_alpn_both_sides(f, "http/1.1");
    assert_string_equal(tlsflow_get_info(f->conn)->client_hello->alpn, "http/1.1");
}

/* The server's list is its preference order, whatever order the client offers in. */
static void test_alpn_our_server_preference(void **state)
{
    fixture *f = *state;
    assert_int_equal(tlsflow_config_set_alpn(f->cfg, alpn_h2_http11, 2), 0);
    start(f);
    peer_offers_alpn(f, alpn_http11_h2, 2);
    handshake(f);
    check_alpn_both_sides(f, "h2");
    assert_string_equal(tlsflow_get_info(f->conn)->client_hello->alpn, "http/1.1,h2");
}

static void test_alpn_our_server_client_offers_none(void **state)
{
    fixture *f = *state;
    assert_int_equal(tlsflow_config_set_alpn(f->cfg, alpn_h2_http11, 2), 0);
    start(f);
    handshake(f);
    check_alpn_both_sides(f, "");
}

/* RFC 7301 §3.2: no overlap → fatal no_application_protocol from the server. */
static void test_alpn_our_server_no_overlap(void **state)
{
    fixture *f = *state;
    assert_int_equal(tlsflow_config_set_alpn(f->cfg, alpn_h2, 1), 0);
    start(f);
    peer_offers_alpn(f, alpn_http11, 1);
    handshake_fails(f);
    assert_int_equal(tlsflow_last_error(f->conn), TLSFLOW_E_NO_APPLICATION_PROTOCOL);
    assert_int_equal(tlsflow_sent_alert(f->conn), TLSFLOW_ALERT_NO_APPLICATION_PROTOCOL);
    assert_int_equal(peer_alert_received(&f->link, 2), TLSFLOW_ALERT_NO_APPLICATION_PROTOCOL);
    assert_int_equal(ERR_GET_REASON(f->link.ssl_err_code),
                     SSL_R_TLSV1_ALERT_NO_APPLICATION_PROTOCOL);
}

static void test_alpn_our_client_server_picks(void **state)
{
    fixture *f = *state;
    assert_int_equal(tlsflow_config_set_alpn(f->cfg, alpn_h2_http11, 2), 0);
    peer_selects_alpn(f, alpn_http11, 1, ALPN_SELECT);
    start(f);
    handshake(f);
    assert_int_equal(f->alpn.calls, 1);
    assert_string_equal(f->alpn.offered, "h2,http/1.1");
    check_alpn_both_sides(f, "http/1.1");
    /* tlsflow.h: client_hello is the hello "as sent" on the client. */
    assert_string_equal(tlsflow_get_info(f->conn)->client_hello->alpn, "h2,http/1.1");
}

static void test_alpn_our_client_server_declines(void **state)
{
    fixture *f = *state;
    assert_int_equal(tlsflow_config_set_alpn(f->cfg, alpn_h2, 1), 0);
    peer_selects_alpn(f, alpn_http11, 1, ALPN_SELECT);
    start(f);
    handshake(f);
    assert_int_equal(f->alpn.calls, 1);
    check_alpn_both_sides(f, "");
}

static void test_alpn_our_client_server_alerts(void **state)
{
    fixture *f = *state;
    assert_int_equal(tlsflow_config_set_alpn(f->cfg, alpn_h2, 1), 0);
    peer_selects_alpn(f, alpn_http11, 1, ALPN_FATAL);
    start(f);
    handshake_fails(f);
    assert_int_equal(peer_alert_sent(&f->link, 2), TLSFLOW_ALERT_NO_APPLICATION_PROTOCOL);
    assert_int_equal(tlsflow_last_error(f->conn), TLSFLOW_E_PEER_ALERT);
    assert_int_equal(tlsflow_peer_alert(f->conn), TLSFLOW_ALERT_NO_APPLICATION_PROTOCOL);
}

/* A server choosing a protocol the client never offered is rejected; illegal_parameter
 * is what OpenSSL and BoringSSL clients send for it. */
static void test_alpn_our_client_rejects_unoffered(void **state)
{
    fixture *f = *state;
    assert_int_equal(tlsflow_config_set_alpn(f->cfg, alpn_h2_http11, 2), 0);
    peer_selects_alpn(f, NULL, 0, ALPN_BOGUS);
    start(f);
    handshake_fails(f);
    assert_int_equal(tlsflow_last_error(f->conn), TLSFLOW_E_ILLEGAL_PARAMETER);
    assert_int_equal(tlsflow_sent_alert(f->conn), TLSFLOW_ALERT_ILLEGAL_PARAMETER);
    assert_int_equal(peer_alert_received(&f->link, 2), TLSFLOW_ALERT_ILLEGAL_PARAMETER);
}

/* ---- 5. One byte at a time ---------------------------------------------------------------- */

static void run_one_byte(fixture *f)
{
    f->opts.to_engine = 1;
    f->opts.from_engine = 1;
    start(f);
    handshake(f);
    /* Really one byte per call, for a whole handshake each way (hello, key exchange and
     * Finished one way; hello, certificate and Finished the other). */
    assert_true(f->link.tf_bytes_in > 300);
    assert_true(f->link.tf_bytes_out > 300);
    assert_true(f->link.tf_bytes_in + f->link.tf_bytes_out > 1200);
    assert_true(f->link.tf_in_acks == f->link.tf_bytes_in);
    assert_true(f->link.tf_out_acks == f->link.tf_bytes_out);
    check_keylog(f);
    exchange(f, 300, 300, 5);
    assert_true(f->link.tf_in_acks == f->link.tf_bytes_in);
    assert_true(f->link.tf_out_acks == f->link.tf_bytes_out);
}

static void test_one_byte_our_server(void **state)
{
    run_one_byte(*state);
}

/* Also the one case that builds the connection in caller memory. */
static void test_one_byte_our_client(void **state)
{
    fixture *f = *state;
    f->caller_memory = 1;
    run_one_byte(f);
}

/* ---- 6. 1 MiB each way ------------------------------------------------------------------- */

static void run_bulk(fixture *f, size_t to_engine, size_t from_engine)
{
    f->opts.to_engine = to_engine;
    f->opts.from_engine = from_engine;
    start(f);
    handshake(f);
    exchange(f, MIB, MIB, 6);
    const tlsflow_info *info = tlsflow_get_info(f->conn);
    assert_true(info->app_bytes_out == MIB);
    assert_true(info->app_bytes_in == MIB);
    /* No record carries more than 2^14 bytes of plaintext. */
    assert_true(info->records_out >= MIB / TLSFLOW_MAX_PLAINTEXT);
    assert_true(info->records_in >= MIB / TLSFLOW_MAX_PLAINTEXT);
}

static void test_bulk_our_server(void **state)
{
    run_bulk(*state, 0, 0);
}

static void test_bulk_our_client(void **state)
{
    run_bulk(*state, 0, 0);
}

/* Odd chunk sizes split records and headers at every possible place. */
static void test_bulk_odd_chunks_our_client(void **state)
{
    run_bulk(*state, 1021, 4093);
}

/* ---- 7. close_notify ----------------------------------------------------------------------- */

/* We send data then close_notify: OpenSSL reads the data, then a clean end of stream. */
static void run_we_close(fixture *f)
{
    uint8_t got[16];
    start(f);
    handshake(f);
    f->link.tf_tx = (peer_tx){(const uint8_t *)"bye", 3, 0};
    expect_peer_app_data(f, got, sizeof(got));
    assert_int_equal(peer_pump(&f->link), 0);
    assert_int_equal(f->link.ssl_rx.len, 3);
    assert_memory_equal(got, "bye", 3);
    assert_false(f->link.ssl_zero_return);

    tlsflow_close(f->conn);
    assert_int_equal(peer_pump(&f->link), 0);
    if (!f->link.ssl_zero_return || !f->link.tf_closed || tlsflow_last_error(f->conn) != 0)
        dump(f);
    assert_true(f->link.ssl_zero_return);
    assert_true(SSL_get_shutdown(f->ssl) & SSL_RECEIVED_SHUTDOWN);
    assert_false(f->link.ssl_failed);
    assert_true(f->link.tf_closed);
    assert_int_equal(tlsflow_last_error(f->conn), 0);
    assert_int_equal(f->link.ssl_rx.len, 3);
}

static void test_close_by_our_server(void **state)
{
    run_we_close(*state);
}

static void test_close_by_our_client(void **state)
{
    run_we_close(*state);
}

/* OpenSSL sends data then close_notify: the engine delivers the data, ends CLOSED with
 * no error, and answers with its own close_notify (RFC 5246 §7.2.1). */
static void run_peer_closes(fixture *f)
{
    uint8_t got[16];
    start(f);
    handshake(f);
    f->link.ssl_tx = (peer_tx){(const uint8_t *)"bye", 3, 0};
    expect_app_data(f, got, sizeof(got));
    assert_int_equal(peer_pump(&f->link), 0);
    assert_int_equal(f->link.tf_rx.len, 3);
    assert_false(f->link.tf_closed);

    assert_int_equal(SSL_shutdown(f->ssl), 0); /* 0: sent, peer's not yet seen */
    assert_int_equal(peer_pump(&f->link), 0);
    if (!f->link.tf_closed || tlsflow_last_error(f->conn) != 0 || !f->link.ssl_zero_return)
        dump(f);
    assert_true(f->link.tf_closed);
    assert_int_equal(tlsflow_last_error(f->conn), 0);
    /* close_notify may or may not count as "the peer's alert"; nothing else may. */
    assert_true(tlsflow_peer_alert(f->conn) == -1 ||
                tlsflow_peer_alert(f->conn) == TLSFLOW_ALERT_CLOSE_NOTIFY);
    assert_memory_equal(got, "bye", 3);
    assert_int_equal(f->link.tf_rx.len, 3);
    assert_true(f->link.ssl_zero_return);
    assert_int_equal(SSL_shutdown(f->ssl), 1);
}

static void test_close_by_openssl_client(void **state)
{
    run_peer_closes(*state);
}

static void test_close_by_openssl_server(void **state)
{
    run_peer_closes(*state);
}

/* ---- 8. Our client rejects bad server certificates ------------------------------------------ */

static void run_bad_cert(fixture *f, const peer_cert *cert, const peer_cert *anchor, int expect_err,
                         int expect_alert)
{
    assert_int_equal(SSL_CTX_use_certificate(f->ctx, cert->x509), 1);
    add_trust(f, anchor);
    start(f);
    handshake_fails(f);
    if (tlsflow_last_error(f->conn) != expect_err)
        dump(f);
    assert_string_equal(nz(tlsflow_error_name(tlsflow_last_error(f->conn))),
                        nz(tlsflow_error_name(expect_err)));
    assert_int_equal(tlsflow_last_error(f->conn), expect_err);
    assert_int_equal(tlsflow_sent_alert(f->conn), expect_alert);
    assert_int_equal(peer_alert_received(&f->link, 2), expect_alert);
    assert_int_equal(ERR_GET_REASON(f->link.ssl_err_code), SSL_AD_REASON_OFFSET + expect_alert);
    /* The flow stops at step 2: the chain arrived, was not accepted, and no session
     * key was encrypted to the untrusted key. */
    assert_int_equal(step_count(f, TLSFLOW_STEP_CERTIFICATE_RECEIVED), 1);
    assert_int_equal(step_count(f, TLSFLOW_STEP_CERTIFICATE_VERIFIED), 0);
    assert_int_equal(step_count(f, TLSFLOW_STEP_PREMASTER_ENCRYPTED), 0);
    assert_int_equal(f->keylog_lines, 0);
}

static void test_cert_expired(void **state)
{
    run_bad_cert(*state, &g_pki.expired, &g_pki.root, TLSFLOW_E_CERT_EXPIRED,
                 TLSFLOW_ALERT_CERTIFICATE_EXPIRED);
}

static void test_cert_not_yet_valid(void **state)
{
    run_bad_cert(*state, &g_pki.not_yet_valid, &g_pki.root, TLSFLOW_E_CERT_NOT_YET_VALID,
                 TLSFLOW_ALERT_BAD_CERTIFICATE); /* as OpenSSL itself sends for it */
}

static void test_cert_wrong_host(void **state)
{
    run_bad_cert(*state, &g_pki.other_host, &g_pki.root, TLSFLOW_E_CERT_HOSTNAME,
                 TLSFLOW_ALERT_BAD_CERTIFICATE);
}

static void test_cert_unknown_ca(void **state)
{
    run_bad_cert(*state, &g_pki.leaf, &g_pki.other_root, TLSFLOW_E_CERT_UNKNOWN_CA,
                 TLSFLOW_ALERT_UNKNOWN_CA);
}

static void test_cert_self_signed(void **state)
{
    run_bad_cert(*state, &g_pki.self_signed, &g_pki.root, TLSFLOW_E_CERT_SELF_SIGNED,
                 TLSFLOW_ALERT_UNKNOWN_CA);
}

static void test_cert_bad_signature(void **state)
{
    run_bad_cert(*state, &g_pki.bad_sig, &g_pki.root, TLSFLOW_E_CERT_SIGNATURE,
                 TLSFLOW_ALERT_BAD_CERTIFICATE);
}

/* Positive control for the cases above: leaf + intermediate from OpenSSL, only the
 * root trusted by us. */
static void test_cert_chain_via_intermediate(void **state)
{
    fixture *f = *state;
    assert_int_equal(SSL_CTX_use_certificate(f->ctx, g_pki.inter_leaf.x509), 1);
    assert_int_equal(SSL_CTX_add1_chain_cert(f->ctx, g_pki.inter.x509), 1);
    start(f);
    handshake(f);
    assert_int_equal(step_count(f, TLSFLOW_STEP_CERTIFICATE_VERIFIED), 1);
    assert_non_null(strstr(tlsflow_get_info(f->conn)->cert.issuer, "intermediate"));
}

/* ---- 9. OpenSSL verifies our server's chain ----------------------------------------------- */

static void peer_verifies(fixture *f, const char *host)
{
    X509_STORE *store = SSL_CTX_get_cert_store(f->ctx);
    assert_int_equal(X509_STORE_add_cert(store, g_pki.root.x509), 1);
    SSL_CTX_set_verify(f->ctx, SSL_VERIFY_PEER, NULL);
    start(f);
    assert_int_equal(SSL_set1_host(f->ssl, host), 1);
    X509_VERIFY_PARAM_set_time(SSL_get0_param(f->ssl), (time_t)PEER_NOW);
}

static void test_openssl_verifies_our_chain(void **state)
{
    fixture *f = *state;
    const peer_cert *chain[] = {&g_pki.inter_leaf, &g_pki.inter};
    add_credential(f, chain, 2, NULL);
    peer_verifies(f, "localhost");
    handshake(f);
    assert_int_equal(SSL_get_verify_result(f->ssl), X509_V_OK);
    /* leaf, intermediate (only we could have sent it), root */
    STACK_OF(X509) *verified = SSL_get0_verified_chain(f->ssl);
    assert_non_null(verified);
    assert_int_equal(sk_X509_num(verified), 3);
    assert_int_equal(X509_cmp(sk_X509_value(verified, 1), g_pki.inter.x509), 0);
    exchange(f, 100, 100, 9);
}

/* Negative controls: the same verifying client does reject a chain missing its
 * intermediate and a name mismatch, and the engine reports OpenSSL's alert. */
static void test_openssl_rejects_incomplete_chain(void **state)
{
    fixture *f = *state;
    const peer_cert *chain[] = {&g_pki.inter_leaf};
    add_credential(f, chain, 1, NULL);
    peer_verifies(f, "localhost");
    handshake_fails(f);
    assert_int_equal(SSL_get_verify_result(f->ssl), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
    assert_int_equal(tlsflow_last_error(f->conn), TLSFLOW_E_PEER_ALERT);
    assert_int_equal(tlsflow_peer_alert(f->conn), TLSFLOW_ALERT_UNKNOWN_CA);
    assert_int_equal(peer_alert_sent(&f->link, 2), TLSFLOW_ALERT_UNKNOWN_CA);
}

static void test_openssl_rejects_wrong_name(void **state)
{
    fixture *f = *state;
    peer_verifies(f, "other.example");
    handshake_fails(f);
    assert_int_equal(SSL_get_verify_result(f->ssl), X509_V_ERR_HOSTNAME_MISMATCH);
    assert_int_equal(tlsflow_last_error(f->conn), TLSFLOW_E_PEER_ALERT);
    assert_int_not_equal(peer_alert_sent(&f->link, 2), -1);
    assert_int_equal(tlsflow_peer_alert(f->conn), peer_alert_sent(&f->link, 2));
}

/* ---- 10. Trace steps and key log ----------------------------------------------------------- */

static void test_trace_and_keylog_our_server(void **state)
{
    fixture *f = *state;
    static const tlsflow_step flow[] = {
        TLSFLOW_STEP_CLIENT_HELLO_RECEIVED, TLSFLOW_STEP_SERVER_HELLO_SENT,
        TLSFLOW_STEP_CERTIFICATE_SENT,      TLSFLOW_STEP_SERVER_HELLO_DONE_SENT,
        TLSFLOW_STEP_PREMASTER_DECRYPTED,   TLSFLOW_STEP_CHANGE_CIPHER_SPEC_RECEIVED,
        TLSFLOW_STEP_FINISHED_VERIFIED,     TLSFLOW_STEP_CHANGE_CIPHER_SPEC_SENT,
        TLSFLOW_STEP_FINISHED_SENT,         TLSFLOW_STEP_HANDSHAKE_DONE};
    static const tlsflow_step keys[] = {TLSFLOW_STEP_PREMASTER_DECRYPTED, TLSFLOW_STEP_KEYS_DERIVED,
                                        TLSFLOW_STEP_FINISHED_VERIFIED};
    start(f);
    handshake(f);
    assert_null(f->trace_fault);
    assert_steps_in_order(f, flow, ARRAY_LEN(flow));
    assert_steps_in_order(f, keys, ARRAY_LEN(keys));
    assert_int_equal(step_count(f, TLSFLOW_STEP_ALERT_SENT), 0);
    assert_int_equal(step_count(f, TLSFLOW_STEP_ALERT_RECEIVED), 0);
    assert_int_equal(step_count(f, TLSFLOW_STEP_PREMASTER_ENCRYPTED), 0);
    check_keylog(f);
}

static void test_trace_and_keylog_our_client(void **state)
{
    fixture *f = *state;
    static const tlsflow_step flow[] = {TLSFLOW_STEP_CLIENT_HELLO_SENT,
                                        TLSFLOW_STEP_SERVER_HELLO_RECEIVED,
                                        TLSFLOW_STEP_CERTIFICATE_RECEIVED,
                                        TLSFLOW_STEP_CERTIFICATE_VERIFIED,
                                        TLSFLOW_STEP_SERVER_HELLO_DONE_RECEIVED,
                                        TLSFLOW_STEP_PREMASTER_ENCRYPTED,
                                        TLSFLOW_STEP_CHANGE_CIPHER_SPEC_SENT,
                                        TLSFLOW_STEP_FINISHED_SENT,
                                        TLSFLOW_STEP_CHANGE_CIPHER_SPEC_RECEIVED,
                                        TLSFLOW_STEP_FINISHED_VERIFIED,
                                        TLSFLOW_STEP_HANDSHAKE_DONE};
    static const tlsflow_step keys[] = {TLSFLOW_STEP_PREMASTER_ENCRYPTED, TLSFLOW_STEP_KEYS_DERIVED,
                                        TLSFLOW_STEP_FINISHED_SENT};
    start(f);
    handshake(f);
    assert_null(f->trace_fault);
    assert_steps_in_order(f, flow, ARRAY_LEN(flow));
    assert_steps_in_order(f, keys, ARRAY_LEN(keys));
    assert_int_equal(step_count(f, TLSFLOW_STEP_ALERT_SENT), 0);
    assert_int_equal(step_count(f, TLSFLOW_STEP_ALERT_RECEIVED), 0);
    assert_int_equal(step_count(f, TLSFLOW_STEP_PREMASTER_DECRYPTED), 0);
    check_keylog(f);
}

/* ---- Integrity: one flipped bit in transit -------------------------------------------------- */

/* Body offset inside the first ciphertext byte of a GCM record (8-byte explicit nonce). */
#define GCM_CIPHERTEXT 8

/* An OpenSSL record corrupted on its way in: bad_record_mac, and nothing delivered. */
static void run_tamper_to_engine(fixture *f)
{
    uint8_t got[256];
    uint8_t *msg = pseudo_random(100, 11);
    start(f);
    handshake(f);
    peer_tamper_arm(&f->link.tamper_to_engine, 23, 1, GCM_CIPHERTEXT + 5);
    f->link.ssl_tx = (peer_tx){msg, 100, 0};
    expect_app_data(f, got, sizeof(got));
    assert_int_equal(peer_pump(&f->link), 0);
    f->link.ssl_tx = (peer_tx){0};
    free(msg);
    if (tlsflow_last_error(f->conn) != TLSFLOW_E_BAD_RECORD_MAC)
        dump(f);
    assert_true(f->link.tamper_to_engine.done);
    assert_true(f->link.tf_closed);
    assert_int_equal(tlsflow_last_error(f->conn), TLSFLOW_E_BAD_RECORD_MAC);
    assert_int_equal(tlsflow_sent_alert(f->conn), TLSFLOW_ALERT_BAD_RECORD_MAC);
    assert_int_equal(peer_alert_received(&f->link, 2), TLSFLOW_ALERT_BAD_RECORD_MAC);
    assert_int_equal(f->link.tf_rx.len, 0);
}

/* One of our records corrupted on its way out: OpenSSL rejects it, we hear why. */
static void run_tamper_to_peer(fixture *f)
{
    uint8_t got[256];
    uint8_t *msg = pseudo_random(100, 12);
    start(f);
    handshake(f);
    peer_tamper_arm(&f->link.tamper_to_peer, 23, 1, GCM_CIPHERTEXT + 5);
    f->link.tf_tx = (peer_tx){msg, 100, 0};
    expect_peer_app_data(f, got, sizeof(got));
    assert_int_equal(peer_pump(&f->link), 0);
    f->link.tf_tx = (peer_tx){0};
    free(msg);
    if (!f->link.ssl_failed || tlsflow_last_error(f->conn) != TLSFLOW_E_PEER_ALERT)
        dump(f);
    assert_true(f->link.tamper_to_peer.done);
    assert_true(f->link.ssl_failed);
    assert_int_equal(peer_alert_sent(&f->link, 2), TLSFLOW_ALERT_BAD_RECORD_MAC);
    assert_int_equal(f->link.ssl_rx.len, 0);
    assert_true(f->link.tf_closed);
    assert_int_equal(tlsflow_last_error(f->conn), TLSFLOW_E_PEER_ALERT);
    assert_int_equal(tlsflow_peer_alert(f->conn), TLSFLOW_ALERT_BAD_RECORD_MAC);
}

static void test_tamper_to_our_server(void **state)
{
    run_tamper_to_engine(*state);
}

static void test_tamper_to_our_client(void **state)
{
    run_tamper_to_engine(*state);
}

static void test_tamper_from_our_server(void **state)
{
    run_tamper_to_peer(*state);
}

static void test_tamper_from_our_client(void **state)
{
    run_tamper_to_peer(*state);
}

/* Corrupt one handshake record of the OpenSSL client's second flight (ClientKeyExchange
 * is handshake record 2, the encrypted Finished record 3). The server must read on to
 * the Finished either way; reports error and alert. */
static void run_bad_client_flight(fixture *f, unsigned nth, size_t offset, int *err, int *alert)
{
    start(f);
    peer_tamper_arm(&f->link.tamper_to_engine, 22, nth, offset);
    handshake_fails(f);
    assert_true(f->link.tamper_to_engine.done);
    *err = tlsflow_last_error(f->conn);
    *alert = tlsflow_sent_alert(f->conn);
    assert_int_not_equal(*alert, -1);
    assert_int_equal(peer_alert_received(&f->link, 2), *alert);
    assert_int_equal(step_count(f, TLSFLOW_STEP_PREMASTER_DECRYPTED), 1);
    assert_int_equal(step_count(f, TLSFLOW_STEP_CHANGE_CIPHER_SPEC_RECEIVED), 1);
    assert_int_equal(step_count(f, TLSFLOW_STEP_FINISHED_VERIFIED), 0);
}

/* RFC 5246 §7.4.7.1: a premaster that fails to decrypt must be indistinguishable from
 * a bad Finished: no early alert at ClientKeyExchange, and the same error and alert. */
static void test_bad_premaster_fails_like_bad_finished(void **state)
{
    fixture *f = *state;
    void *second = NULL;
    int cke_err, cke_alert, fin_err, fin_alert;

    /* 4-byte handshake header + 2-byte length, then 100 bytes into the RSA block. */
    run_bad_client_flight(f, 2, 4 + 2 + 100, &cke_err, &cke_alert);
    assert_int_equal(f->link.tamper_to_engine.first_byte, 16); /* client_key_exchange */

    assert_int_equal(setup_our_server(&second), 0);
    run_bad_client_flight(second, 3, GCM_CIPHERTEXT + 2, &fin_err, &fin_alert);
    teardown(&second);

    print_message("bad premaster: %s/%s, bad Finished: %s/%s\n", nz(tlsflow_error_name(cke_err)),
                  nz(tlsflow_alert_name(cke_alert)), nz(tlsflow_error_name(fin_err)),
                  nz(tlsflow_alert_name(fin_alert)));
    assert_int_equal(cke_err, fin_err);
    assert_int_equal(cke_alert, fin_alert);
}

/* ---- Renegotiation is refused (DESIGN: RFC 5746 yes, renegotiation no) -------------------- */

static void run_renegotiation(fixture *f)
{
    start(f);
    handshake(f);
    assert_int_equal(SSL_renegotiate(f->ssl), 1);
    f->link.ssl_handshake_done = 0; /* make the pump drive SSL_do_handshake again */
    assert_int_equal(peer_pump(&f->link), 0);
    if (step_count(f, TLSFLOW_STEP_RENEGOTIATION_REFUSED) != 1 ||
        !peer_saw_alert(&f->link, TLSFLOW_ALERT_NO_RENEGOTIATION))
        dump(f);
    assert_string_equal(f->link.breach, "");
    assert_int_equal(step_count(f, TLSFLOW_STEP_RENEGOTIATION_REFUSED), 1);
    assert_true(peer_saw_alert(&f->link, TLSFLOW_ALERT_NO_RENEGOTIATION));
    assert_int_equal(step_count(f, TLSFLOW_STEP_HANDSHAKE_DONE), 1);
    assert_int_equal(f->link.tf_handshake_done, 1);
    assert_int_equal(f->keylog_lines, 1);
}

static void test_renegotiation_refused_by_our_server(void **state)
{
    run_renegotiation(*state);
}

static void test_renegotiation_refused_by_our_client(void **state)
{
    run_renegotiation(*state);
}

/* ---- Client certificates: we have none ------------------------------------------------------ */

/* RFC 5246 §7.4.6: asked for a certificate, a client without one sends an empty
 * Certificate; a server that only prefers one carries on. */
static void test_optional_client_auth_our_client(void **state)
{
    fixture *f = *state;
    SSL_CTX_set_verify(f->ctx, SSL_VERIFY_PEER, NULL);
    start(f);
    handshake(f);
    assert_null(SSL_get0_peer_certificate(f->ssl));
    assert_int_equal(step_count(f, TLSFLOW_STEP_CERTIFICATE_REQUESTED), 1);
    assert_int_equal(step_count(f, TLSFLOW_STEP_CLIENT_CERTIFICATE_SENT), 1);
}

/* A server that requires one refuses the empty answer with its own alert. */
static void test_required_client_auth_our_client(void **state)
{
    fixture *f = *state;
    SSL_CTX_set_verify(f->ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
    start(f);
    handshake_fails(f);
    assert_int_equal(tlsflow_last_error(f->conn), TLSFLOW_E_PEER_ALERT);
    assert_int_equal(tlsflow_peer_alert(f->conn), TLSFLOW_ALERT_HANDSHAKE_FAILURE);
}

/* ---- Runner --------------------------------------------------------------------------------- */

static int group_setup(void **state)
{
    (void)state;
    return peer_pki_build(&g_pki);
}

static int group_teardown(void **state)
{
    (void)state;
    peer_pki_free(&g_pki);
    return 0;
}

#define AS_SERVER(t) cmocka_unit_test_setup_teardown(t, setup_our_server, teardown)
#define AS_CLIENT(t) cmocka_unit_test_setup_teardown(t, setup_our_client, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        AS_SERVER(test_suite_aes128_our_server),
        AS_SERVER(test_suite_aes256_our_server),
        AS_CLIENT(test_suite_aes128_our_client),
        AS_CLIENT(test_suite_aes256_our_client),
        AS_SERVER(test_suite_server_preference),
        AS_SERVER(test_no_common_suite_our_server),
        AS_CLIENT(test_no_common_suite_our_client),
        AS_SERVER(test_tls13_capable_openssl_client),
        AS_CLIENT(test_tls13_capable_openssl_server),
        AS_SERVER(test_tls13_with_openssl_client),
        AS_CLIENT(test_tls13_with_openssl_server),
        AS_SERVER(test_hello_info_our_server),
        AS_CLIENT(test_hello_info_our_client),
        AS_SERVER(test_ems_our_server_on),
        AS_SERVER(test_ems_our_server_peer_off),
        AS_CLIENT(test_ems_our_client_on),
        AS_CLIENT(test_ems_our_client_off),
        AS_CLIENT(test_ems_our_client_peer_off),
        AS_SERVER(test_sni_received_by_our_server),
        AS_SERVER(test_sni_absent_our_server),
        AS_SERVER(test_sni_selects_credential),
        AS_CLIENT(test_sni_sent_by_our_client),
        AS_CLIENT(test_sni_ip_literal_our_client),
        AS_SERVER(test_alpn_our_server_common),
        AS_SERVER(test_alpn_our_server_preference),
        AS_SERVER(test_alpn_our_server_client_offers_none),
        AS_SERVER(test_alpn_our_server_no_overlap),
        AS_CLIENT(test_alpn_our_client_server_picks),
        AS_CLIENT(test_alpn_our_client_server_declines),
        AS_CLIENT(test_alpn_our_client_server_alerts),
        AS_CLIENT(test_alpn_our_client_rejects_unoffered),
        AS_SERVER(test_one_byte_our_server),
        AS_CLIENT(test_one_byte_our_client),
        AS_SERVER(test_bulk_our_server),
        AS_CLIENT(test_bulk_our_client),
        AS_CLIENT(test_bulk_odd_chunks_our_client),
        AS_SERVER(test_close_by_our_server),
        AS_CLIENT(test_close_by_our_client),
        AS_SERVER(test_close_by_openssl_client),
        AS_CLIENT(test_close_by_openssl_server),
        AS_CLIENT(test_cert_expired),
        AS_CLIENT(test_cert_not_yet_valid),
        AS_CLIENT(test_cert_wrong_host),
        AS_CLIENT(test_cert_unknown_ca),
        AS_CLIENT(test_cert_self_signed),
        AS_CLIENT(test_cert_bad_signature),
        AS_CLIENT(test_cert_chain_via_intermediate),
        AS_SERVER(test_openssl_verifies_our_chain),
        AS_SERVER(test_openssl_rejects_incomplete_chain),
        AS_SERVER(test_openssl_rejects_wrong_name),
        AS_SERVER(test_trace_and_keylog_our_server),
        AS_CLIENT(test_trace_and_keylog_our_client),
        AS_SERVER(test_tamper_to_our_server),
        AS_CLIENT(test_tamper_to_our_client),
        AS_SERVER(test_tamper_from_our_server),
        AS_CLIENT(test_tamper_from_our_client),
        AS_SERVER(test_bad_premaster_fails_like_bad_finished),
        AS_SERVER(test_renegotiation_refused_by_our_server),
        AS_CLIENT(test_renegotiation_refused_by_our_client),
        AS_CLIENT(test_optional_client_auth_our_client),
        AS_CLIENT(test_required_client_auth_our_client),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
