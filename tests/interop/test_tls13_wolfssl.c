/* TLS 1.3 in process against wolfSSL's own TLS 1.3 (the system libwolfssl: the library whose
 * wolfCrypt the engine uses, but none of its TLS code), over memory I/O callbacks, both
 * roles: every TLS 1.3 suite on every group with RSA, ECDSA P-256 and P-384 certificates,
 * HelloRetryRequest both ways (with wolfSSL's cookie), KeyUpdate both ways while data
 * flows, 1-byte feeding, 1 MiB each way, close_notify from either side, NewSessionTicket,
 * our EXPORTER_SECRET against wolfSSL's exporter, and the downgrade sentinel. Each case
 * checks what both sides say: tlsflow_info and our trace against wolfSSL's getters and
 * the bytes on the wire. wolfSSL's message callback reports next to nothing in TLS 1.3 and
 * Debian's build has no key log, so the test reads the wire itself: plaintext hellos as
 * they are, encrypted records decrypted (wolfCrypt) with the secrets of our key log. A
 * record wolfSSL wrote that opens with our logged secret proves that line; a KeyUpdate,
 * ticket or CertificateVerify read there is what wolfSSL wrote or read. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/aes.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/chacha20_poly1305.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/hmac.h>

#include "internal.h" /* key_update_after, as the unit tests lower it */
#include "tf_test.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MIB          ((size_t)1 << 20)

/* ---- what we test with -------------------------------------------------------------- */

typedef struct {
    uint16_t id;
    const char *wolf; /* wolfSSL's cipher list name */
} suite_row;

static const suite_row SUITES[] = {
    {TLSFLOW_AES_128_GCM_SHA256, "TLS13-AES128-GCM-SHA256"},
    {TLSFLOW_AES_256_GCM_SHA384, "TLS13-AES256-GCM-SHA384"},
    {TLSFLOW_CHACHA20_POLY1305_SHA256, "TLS13-CHACHA20-POLY1305-SHA256"},
};

typedef struct {
    uint16_t id;
    const char *wolf_name; /* what wolfSSL_get_curve_name says */
    size_t share_len;
} group_row;

static const group_row GROUPS[] = {
    {TLSFLOW_GROUP_X25519, "X25519", 32},
    {TLSFLOW_GROUP_SECP256R1, "SECP256R1", 65},
    {TLSFLOW_GROUP_SECP384R1, "SECP384R1", 97},
};

typedef struct {
    const char *cert, *key;
    uint16_t scheme;
    const char *scheme_name;
    const char *key_type;
    int key_bits;
} cred_row;

static const cred_row CREDS[] = {
    {"server.pem", "server.key", TLSFLOW_SIG_RSA_PSS_RSAE_SHA256, "rsa_pss_rsae_sha256", "RSA",
     2048},
    {"server-ec.pem", "server-ec.key", TLSFLOW_SIG_ECDSA_SECP256R1_SHA256, "ecdsa_secp256r1_sha256",
     "EC", 256},
    {"server-ec384.pem", "server-ec384.key", TLSFLOW_SIG_ECDSA_SECP384R1_SHA384,
     "ecdsa_secp384r1_sha384", "EC", 384},
};

static const uint8_t HRR_RANDOM[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};
static const uint8_t DOWNGRADE_TLS12[8] = {0x44, 0x4F, 0x57, 0x4E, 0x47, 0x52, 0x44, 0x01};

/* ---- one connection ------------------------------------------------------------------- */

#define MAX_TICKETS 8
#define MAX_LINES   16

typedef struct {
    uint8_t body[2048];
    size_t len;
} ticket;

/* Bytes one way: everything ever sent stays (the first record is read back in tests). */
typedef struct {
    uint8_t *p;
    size_t len, off, cap;
} pipe_buf;

/* One direction of the wire as the test reads it back. */
typedef struct {
    unsigned msgs[256];   /* handshake messages, plaintext and decrypted */
    unsigned hrr;         /* ServerHellos with the HelloRetryRequest random (not in msgs) */
    int cookie;           /* a hello carried a cookie */
    uint16_t share_group; /* the last hello's (first) key share */
    size_t share_len;
    uint16_t cv_scheme; /* the CertificateVerify */
    size_t cv_sig_len;
    unsigned ku_requested; /* KeyUpdates with update_requested */
    ticket tickets[MAX_TICKETS];
    size_t n_tickets;
    size_t hs_records, ap_records; /* records opened with the handshake / application keys */
    size_t app_bytes;              /* application data in them */
    int bad_record;                /* a record did not open: the key log line is wrong */
} wire_view;

typedef struct {
    tlsflow_role role; /* ours; wolfSSL plays the other */
    tft_rng rng;
    tlsflow_config *cfg;
    tlsflow_conn *conn;
    WOLFSSL_CTX *ctx;
    WOLFSSL *ssl;
    pipe_buf to_wolf, to_engine;
    size_t chunk; /* bytes per move each way (0: all there is) */
    int tf_done, tf_closed, tf_eof_given;
    int wolf_done, wolf_failed, wolf_err, wolf_zero_return;
    /* application data */
    const uint8_t *tf_tx, *wolf_tx;
    size_t tf_tx_len, tf_tx_done, wolf_tx_len, wolf_tx_done;
    uint8_t *tf_rx, *wolf_rx;
    size_t tf_rx_len, wolf_rx_len, rx_cap;
    /* our side */
    unsigned steps[64];
    char keylog[MAX_LINES][256];
    size_t n_keylog;
    ticket tickets[MAX_TICKETS];
    size_t n_tickets;
} wfx;

static wfx *g_live[4]; /* freed by the teardown when an assertion ends a test */

static void pipe_put(pipe_buf *b, const void *p, size_t n)
{
    if (b->len + n > b->cap) {
        b->cap = (b->len + n) * 2 + 65536;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static size_t take(size_t avail, size_t want, size_t chunk)
{
    size_t n = avail < want ? avail : want;
    return chunk && n > chunk ? chunk : n;
}

static int wio_recv(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
    (void)ssl;
    wfx *f = ctx;
    size_t n = take(f->to_wolf.len - f->to_wolf.off, (size_t)sz, f->chunk);
    if (n == 0)
        return f->tf_closed ? WOLFSSL_CBIO_ERR_CONN_CLOSE : WOLFSSL_CBIO_ERR_WANT_READ;
    memcpy(buf, f->to_wolf.p + f->to_wolf.off, n);
    f->to_wolf.off += n;
    return (int)n;
}

static int wio_send(WOLFSSL *ssl, char *buf, int sz, void *ctx)
{
    (void)ssl;
    wfx *f = ctx;
    pipe_put(&f->to_engine, buf, (size_t)sz);
    return sz;
}

static void on_trace(void *ctx, const tlsflow_conn *conn, const tlsflow_trace_event *ev)
{
    (void)conn;
    wfx *f = ctx;
    if ((unsigned)ev->step < ARRAY_LEN(f->steps))
        f->steps[ev->step]++;
}

static void on_keylog(void *ctx, const char *line)
{
    wfx *f = ctx;
    if (f->n_keylog < MAX_LINES)
        snprintf(f->keylog[f->n_keylog++], sizeof(f->keylog[0]), "%s", line);
}

static void on_ticket(void *ctx, tlsflow_conn *conn, const uint8_t *body, size_t len)
{
    wfx *f = ctx;
    assert_ptr_equal(conn, f->conn);
    if (f->n_tickets < MAX_TICKETS && len <= sizeof(f->tickets[0].body)) {
        memcpy(f->tickets[f->n_tickets].body, body, len);
        f->tickets[f->n_tickets++].len = len;
    }
}

/* Fixture certificates are made the day make.sh runs; wolfSSL judges dates by the wall
 * clock, so date errors alone are forgiven (the engine's checks use a fixed time). */
static int verify_cb(int preverify, WOLFSSL_X509_STORE_CTX *store)
{
    int err = wolfSSL_X509_STORE_CTX_get_error(store);
    return preverify || err == ASN_BEFORE_DATE_E || err == ASN_AFTER_DATE_E;
}

/* A wolfSSL context: TLS 1.3 only (`method`: wolfTLSv1_3_* or wider), the server's
 * certificate, or the fixture root trusted by the client. */
static WOLFSSL_CTX *wolf_ctx(tlsflow_role wolf_role, WOLFSSL_METHOD *method, const cred_row *cred)
{
    WOLFSSL_CTX *ctx = wolfSSL_CTX_new(method);
    assert_non_null(ctx);
    size_t n;
    if (wolf_role == TLSFLOW_SERVER) {
        uint8_t *pem = tft_fixture(cred->cert, &n);
        assert_int_equal(wolfSSL_CTX_use_certificate_chain_buffer(ctx, pem, (long)n),
                         WOLFSSL_SUCCESS);
        free(pem);
        pem = tft_fixture(cred->key, &n);
        assert_int_equal(wolfSSL_CTX_use_PrivateKey_buffer(ctx, pem, (long)n, WOLFSSL_FILETYPE_PEM),
                         WOLFSSL_SUCCESS);
        free(pem);
    } else {
        uint8_t *ca = tft_fixture("ca.pem", &n);
        assert_int_equal(wolfSSL_CTX_load_verify_buffer(ctx, ca, (long)n, WOLFSSL_FILETYPE_PEM),
                         WOLFSSL_SUCCESS);
        free(ca);
        wolfSSL_CTX_set_verify(ctx, WOLFSSL_VERIFY_PEER, verify_cb);
    }
    return ctx;
}

static wfx *wfx_new_with(tlsflow_role ours, const cred_row *cred, WOLFSSL_METHOD *method)
{
    wfx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    for (size_t i = 0; i <= ARRAY_LEN(g_live); i++) {
        assert_true(i < ARRAY_LEN(g_live));
        if (g_live[i] == NULL) {
            g_live[i] = f;
            break;
        }
    }
    f->role = ours;
    f->rng.state = 1310 + (uint64_t)ours;
    if (ours == TLSFLOW_SERVER) {
        f->cfg = tlsflow_config_new(TLSFLOW_SERVER);
        assert_non_null(f->cfg);
        tft_add_credential(f->cfg, cred->cert, cred->key, NULL);
        f->ctx = wolf_ctx(TLSFLOW_CLIENT, method ? method : wolfTLSv1_3_client_method(), cred);
    } else {
        f->cfg = tft_client_config(NULL);
        f->ctx = wolf_ctx(TLSFLOW_SERVER, method ? method : wolfTLSv1_3_server_method(), cred);
    }
    return f;
}

static wfx *wfx_new(tlsflow_role ours, const cred_row *cred)
{
    return wfx_new_with(ours, cred, NULL);
}

static void wfx_start(wfx *f)
{
    tlsflow_config_set_random(f->cfg, tft_random, &f->rng);
    tlsflow_config_set_time(f->cfg, tft_time, NULL);
    tlsflow_config_set_trace(f->cfg, on_trace, f);
    tlsflow_config_set_keylog(f->cfg, on_keylog, f);
    if (f->role == TLSFLOW_CLIENT)
        tlsflow_config_set_ticket_callback(f->cfg, on_ticket, f);
    f->conn = tlsflow_conn_new(f->cfg);
    assert_non_null(f->conn);
    f->ssl = wolfSSL_new(f->ctx);
    assert_non_null(f->ssl);
    wolfSSL_SSLSetIORecv(f->ssl, wio_recv);
    wolfSSL_SSLSetIOSend(f->ssl, wio_send);
    wolfSSL_SetIOReadCtx(f->ssl, f);
    wolfSSL_SetIOWriteCtx(f->ssl, f);
    if (f->role == TLSFLOW_SERVER)
        assert_int_equal(wolfSSL_check_domain_name(f->ssl, "localhost"), WOLFSSL_SUCCESS);
}

static void wfx_free(wfx *f)
{
    for (size_t i = 0; i < ARRAY_LEN(g_live); i++)
        if (g_live[i] == f)
            g_live[i] = NULL;
    tlsflow_conn_free(f->conn);
    wolfSSL_free(f->ssl);
    wolfSSL_CTX_free(f->ctx);
    tlsflow_config_free(f->cfg);
    free(f->to_wolf.p);
    free(f->to_engine.p);
    free(f);
}

static int free_live(void **state)
{
    (void)state;
    for (size_t i = 0; i < ARRAY_LEN(g_live); i++)
        if (g_live[i] != NULL)
            wfx_free(g_live[i]);
    return 0;
}

/* One round of the engine: as far as it can go with what has arrived. */
static int engine_round(wfx *f)
{
    int moved = 0;
    for (int guard = 0; guard < 200000 && !f->tf_closed; guard++) {
        size_t n, room;
        const uint8_t *p;
        switch (tlsflow_poll(f->conn)) {
        case TLSFLOW_OUTPUT_READY:
            p = tlsflow_out_buf(f->conn, &n);
            n = take(n, n, f->chunk);
            pipe_put(&f->to_wolf, p, n);
            tlsflow_out_ack(f->conn, n);
            moved = 1;
            break;
        case TLSFLOW_NEED_INPUT:
            if (f->tf_done && f->tf_tx_done < f->tf_tx_len) {
                size_t took = tlsflow_app_write(f->conn, f->tf_tx + f->tf_tx_done,
                                                f->tf_tx_len - f->tf_tx_done);
                if (took) {
                    f->tf_tx_done += took;
                    moved = 1;
                    break;
                }
            }
            if (f->to_engine.off == f->to_engine.len) {
                if (!f->wolf_failed || f->tf_eof_given)
                    return moved;
                tlsflow_in_ack(f->conn, 0); /* wolfSSL gave up: the transport closes */
                f->tf_eof_given = 1;
                moved = 1;
                break;
            }
            {
                uint8_t *in = tlsflow_in_buf(f->conn, &room);
                n = take(f->to_engine.len - f->to_engine.off, room, f->chunk);
                if (n == 0)
                    return moved;
                memcpy(in, f->to_engine.p + f->to_engine.off, n);
                f->to_engine.off += n;
                tlsflow_in_ack(f->conn, n);
                moved = 1;
            }
            break;
        case TLSFLOW_KEY_OPERATION:
            fail_msg("unexpected key operation");
            break;
        case TLSFLOW_HANDSHAKE_DONE:
            f->tf_done++;
            moved = 1;
            break;
        case TLSFLOW_APP_DATA:
            p = tlsflow_app_peek(f->conn, &n);
            n = take(n, n, f->chunk);
            assert_true(f->tf_rx_len + n <= f->rx_cap);
            memcpy(f->tf_rx + f->tf_rx_len, p, n);
            f->tf_rx_len += n;
            tlsflow_app_consume(f->conn, n);
            moved = 1;
            break;
        case TLSFLOW_CLOSED:
            f->tf_closed = 1;
            moved = 1;
            break;
        }
    }
    return moved;
}

static int wolf_round(wfx *f)
{
    if (f->wolf_failed)
        return 0;
    size_t before = f->to_engine.len + f->to_wolf.off;
    if (!f->wolf_done) {
        int r = f->role == TLSFLOW_SERVER ? wolfSSL_connect(f->ssl) : wolfSSL_accept(f->ssl);
        if (r == WOLFSSL_SUCCESS) {
            f->wolf_done = 1;
            return 1;
        }
        int e = wolfSSL_get_error(f->ssl, r);
        if (e != WOLFSSL_ERROR_WANT_READ && e != WOLFSSL_ERROR_WANT_WRITE) {
            f->wolf_failed = 1;
            f->wolf_err = e;
            return 1;
        }
        return f->to_engine.len + f->to_wolf.off != before;
    }
    int moved = 0;
    while (f->wolf_tx_done < f->wolf_tx_len) {
        size_t n = f->wolf_tx_len - f->wolf_tx_done;
        int w = wolfSSL_write(f->ssl, f->wolf_tx + f->wolf_tx_done, (int)(n > 16384 ? 16384 : n));
        if (w <= 0)
            break;
        f->wolf_tx_done += (size_t)w;
        moved = 1;
    }
    while (!f->wolf_zero_return) {
        uint8_t scratch[1];
        uint8_t *dst = f->rx_cap > f->wolf_rx_len ? f->wolf_rx + f->wolf_rx_len : scratch;
        size_t room = f->rx_cap > f->wolf_rx_len ? f->rx_cap - f->wolf_rx_len : sizeof(scratch);
        int r = wolfSSL_read(f->ssl, dst, (int)room);
        if (r > 0) {
            assert_true(dst != scratch); /* no more data than the test expects */
            f->wolf_rx_len += (size_t)r;
            moved = 1;
            continue;
        }
        int e = wolfSSL_get_error(f->ssl, r);
        if (e == WOLFSSL_ERROR_ZERO_RETURN) {
            f->wolf_zero_return = 1;
            moved = 1;
        } else if (e != WOLFSSL_ERROR_WANT_READ && e != WOLFSSL_ERROR_WANT_WRITE) {
            f->wolf_failed = 1;
            f->wolf_err = e;
            moved = 1;
        }
        break;
    }
    return moved || f->to_engine.len + f->to_wolf.off != before;
}

static void pump(wfx *f)
{
    for (int i = 0; i < 200000; i++) {
        int a = engine_round(f), b = wolf_round(f);
        if (!a && !b)
            return;
    }
    fail_msg("pump did not settle");
}

static void dump(const wfx *f)
{
    char reason[128];
    wolfSSL_ERR_error_string_n((unsigned long)f->wolf_err, reason, sizeof(reason));
    WOLFSSL_ALERT_HISTORY h;
    memset(&h, 0, sizeof(h));
    wolfSSL_get_alert_history(f->ssl, &h);
    print_error("  tlsflow %s: done=%d closed=%d %s \"%s\" sent_alert=%d peer_alert=%d\n",
                f->role == TLSFLOW_SERVER ? "server" : "client", f->tf_done, f->tf_closed,
                tlsflow_error_name(tlsflow_last_error(f->conn)), tlsflow_last_error_text(f->conn),
                tlsflow_sent_alert(f->conn), tlsflow_peer_alert(f->conn));
    print_error("  wolfSSL: done=%d failed=%d error %d (%s) alert rx %d tx %d\n", f->wolf_done,
                f->wolf_failed, f->wolf_err, reason, h.last_rx.code, h.last_tx.code);
}

static void handshake(wfx *f)
{
    pump(f);
    if (tlsflow_last_error(f->conn) || f->tf_done != 1 || !f->wolf_done || f->wolf_failed)
        dump(f);
    assert_int_equal(tlsflow_last_error(f->conn), 0);
    assert_int_equal(f->tf_done, 1);
    assert_true(f->wolf_done);
    assert_false(f->wolf_failed);
}

static void handshake_fails(wfx *f)
{
    pump(f);
    if (!f->tf_closed || f->tf_done || !f->wolf_failed)
        dump(f);
    assert_true(f->tf_closed);
    assert_int_equal(f->tf_done, 0);
    assert_true(f->wolf_failed);
    assert_false(f->wolf_done);
}

/* n bytes each way at once, compared on arrival. */
static void exchange(wfx *f, size_t n, uint64_t seed)
{
    uint8_t *ours = malloc(n), *theirs = malloc(n);
    assert_true(ours && theirs);
    tft_rng r = {n + seed};
    tft_random(&r, ours, n);
    tft_random(&r, theirs, n);
    f->rx_cap = n;
    f->tf_rx = calloc(1, n);
    f->wolf_rx = calloc(1, n);
    f->tf_rx_len = f->wolf_rx_len = 0;
    f->tf_tx = ours;
    f->tf_tx_len = n;
    f->tf_tx_done = 0;
    f->wolf_tx = theirs;
    f->wolf_tx_len = n;
    f->wolf_tx_done = 0;
    pump(f);
    if (tlsflow_last_error(f->conn) || f->wolf_failed || f->wolf_rx_len != n || f->tf_rx_len != n)
        dump(f);
    assert_int_equal(tlsflow_last_error(f->conn), 0);
    assert_false(f->wolf_failed);
    assert_int_equal(f->wolf_rx_len, n);
    assert_int_equal(f->tf_rx_len, n);
    assert_memory_equal(f->wolf_rx, ours, n);
    assert_memory_equal(f->tf_rx, theirs, n);
    free(f->tf_rx);
    free(f->wolf_rx);
    f->tf_rx = f->wolf_rx = NULL;
    f->rx_cap = 0;
    f->tf_tx = f->wolf_tx = NULL;
    f->tf_tx_len = f->wolf_tx_len = f->tf_tx_done = f->wolf_tx_done = 0;
    free(ours);
    free(theirs);
}

/* ---- the wire, read back ---------------------------------------------------------------- */

/* Offset of the extensions in a ClientHello or ServerHello body, or 0. */
static size_t hello_extensions_at(const uint8_t *body, size_t n, int client)
{
    size_t o = 2 + 32;
    if (o >= n)
        return 0;
    o += 1 + body[o]; /* session id */
    if (client) {
        if (o + 2 > n)
            return 0;
        o += 2 + ((size_t)body[o] << 8 | body[o + 1]);
        if (o >= n)
            return 0;
        o += 1 + body[o];
    } else {
        o += 3; /* suite, compression */
    }
    return o + 2 <= n ? o : 0;
}

/* A hello's key share (the first one of a ClientHello; HelloRetryRequest: the group asked
 * for) and cookie. */
static void hello_extensions(const uint8_t *body, size_t n, int client, int hrr, wire_view *w)
{
    size_t o = hello_extensions_at(body, n, client);
    if (!o)
        return;
    size_t end = o + 2 + ((size_t)body[o] << 8 | body[o + 1]);
    for (o += 2; end <= n && o + 4 <= end;) {
        uint16_t type = (uint16_t)(body[o] << 8 | body[o + 1]);
        size_t len = (size_t)body[o + 2] << 8 | body[o + 3];
        const uint8_t *e = body + o + 4;
        if (o + 4 + len > end)
            return;
        if (type == 44)
            w->cookie = 1;
        if (type == 51 && hrr && len == 2) {
            w->share_group = (uint16_t)(e[0] << 8 | e[1]);
            w->share_len = 0;
        } else if (type == 51 && client && len >= 6) {
            w->share_group = (uint16_t)(e[2] << 8 | e[3]);
            w->share_len = (size_t)e[4] << 8 | e[5];
        } else if (type == 51 && len >= 4) {
            w->share_group = (uint16_t)(e[0] << 8 | e[1]);
            w->share_len = (size_t)e[2] << 8 | e[3];
        }
        o += 4 + len;
    }
}

static void wire_message(wire_view *w, const uint8_t *m, size_t n)
{
    const uint8_t *body = m + 4;
    n -= 4;
    switch (m[0]) {
    case 1:
        hello_extensions(body, n, 1, 0, w);
        break;
    case 2:
        if (n >= 34 && memcmp(body + 2, HRR_RANDOM, 32) == 0) {
            w->hrr++;
            hello_extensions(body, n, 0, 1, w);
            return;
        }
        hello_extensions(body, n, 0, 0, w);
        break;
    case 15:
        if (n >= 4) {
            w->cv_scheme = (uint16_t)(body[0] << 8 | body[1]);
            w->cv_sig_len = (size_t)body[2] << 8 | body[3];
        }
        break;
    case 24:
        w->ku_requested += n == 1 && body[0] == 1;
        break;
    case 4:
        if (w->n_tickets < MAX_TICKETS && n <= sizeof(w->tickets[0].body)) {
            memcpy(w->tickets[w->n_tickets].body, body, n);
            w->tickets[w->n_tickets++].len = n;
        }
        break;
    }
    w->msgs[m[0]]++;
}

/* The record keys of one traffic secret (RFC 8446 §7.3). */
typedef struct {
    uint16_t suite;
    int mac; /* WC_SHA256 or WC_SHA384 */
    size_t hash_len, key_len;
    uint8_t secret[48], key[32], iv[12];
    uint64_t seq;
} rkeys;

static void rkeys_set(rkeys *k, const uint8_t *secret)
{
    uint8_t info[2 + 1 + 255 + 1 + 255];
    memcpy(k->secret, secret, k->hash_len);
    size_t n = tft_hkdf_label(info, k->key_len, "key", NULL, 0);
    assert_int_equal(wc_HKDF_Expand(k->mac, secret, (word32)k->hash_len, info, (word32)n, k->key,
                                    (word32)k->key_len),
                     0);
    n = tft_hkdf_label(info, 12, "iv", NULL, 0);
    assert_int_equal(
        wc_HKDF_Expand(k->mac, secret, (word32)k->hash_len, info, (word32)n, k->iv, 12), 0);
    k->seq = 0;
}

/* KeyUpdate: the next secret is HKDF-Expand-Label(secret, "traffic upd", "", Hash.length). */
static void rkeys_update(rkeys *k)
{
    uint8_t info[2 + 1 + 255 + 1 + 255], next[48];
    size_t n = tft_hkdf_label(info, k->hash_len, "traffic upd", NULL, 0);
    assert_int_equal(wc_HKDF_Expand(k->mac, k->secret, (word32)k->hash_len, info, (word32)n, next,
                                    (word32)k->hash_len),
                     0);
    rkeys_set(k, next);
}

static void rkeys_init(rkeys *k, const wfx *f, const char *label)
{
    uint8_t secret[48];
    k->suite = tlsflow_get_info(f->conn)->cipher_suite;
    k->hash_len = k->suite == TLSFLOW_AES_256_GCM_SHA384 ? 48 : 32;
    k->mac = k->hash_len == 48 ? WC_SHA384 : WC_SHA256;
    k->key_len = k->suite == TLSFLOW_AES_128_GCM_SHA256 ? 16 : 32;
    assert_int_equal(tft_keylog_secret(f->keylog, f->n_keylog, label, secret, sizeof(secret)),
                     k->hash_len);
    rkeys_set(k, secret);
}

/* Open one TLS 1.3 record (header `hdr`, body `in` of n bytes) into out; returns the inner
 * content type and sets *len, or -1 if it does not open. */
static int rkeys_open(rkeys *k, const uint8_t *hdr, const uint8_t *in, size_t n, uint8_t *out,
                      size_t *len)
{
    if (n < 17)
        return -1;
    uint8_t nonce[12];
    memcpy(nonce, k->iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[11 - i] ^= (uint8_t)(k->seq >> (8 * i));
    k->seq++;
    size_t clen = n - 16;
    int rc;
    if (k->suite == TLSFLOW_CHACHA20_POLY1305_SHA256) {
        rc = wc_ChaCha20Poly1305_Decrypt(k->key, nonce, hdr, 5, in, (word32)clen, in + clen, out);
    } else {
        Aes aes;
        rc = wc_AesInit(&aes, NULL, INVALID_DEVID);
        rc = rc ? rc : wc_AesGcmSetKey(&aes, k->key, (word32)k->key_len);
        rc = rc ? rc
                : wc_AesGcmDecrypt(&aes, out, in, (word32)clen, nonce, 12, in + clen, 16, hdr, 5);
        wc_AesFree(&aes);
    }
    if (rc != 0)
        return -1;
    while (clen > 0 && out[clen - 1] == 0) /* padding */
        clen--;
    if (clen == 0)
        return -1;
    *len = clen - 1;
    return out[clen - 1];
}

/* Read one direction of a TLS 1.3 connection back from the wire: the plaintext hellos,
 * then the records under the handshake secret, then under the application secret 0 and
 * the secrets KeyUpdates make from it, all from our key log. */
static void read_wire(const wfx *f, const pipe_buf *b, int from_server, wire_view *w)
{
    static uint8_t hs[1 << 16], plain[1 << 15];
    size_t hs_len = 0;
    rkeys k;
    int keys = 0; /* 0 plaintext, 1 handshake keys, 2 application keys */
    memset(w, 0, sizeof(*w));
    for (size_t o = 0; o + 5 <= b->len;) {
        const uint8_t *hdr = b->p + o;
        size_t n = (size_t)hdr[3] << 8 | hdr[4];
        if (o + 5 + n > b->len)
            break;
        o += 5 + n;
        if (hdr[0] == 20) /* ChangeCipherSpec (compatibility) */
            continue;
        size_t len = n;
        int type = hdr[0];
        const uint8_t *body = hdr + 5;
        if (type == 23 && keys == 0) {
            rkeys_init(&k, f,
                       from_server ? "SERVER_HANDSHAKE_TRAFFIC_SECRET"
                                   : "CLIENT_HANDSHAKE_TRAFFIC_SECRET");
            keys = 1;
        }
        if (type == 23) {
            assert_true(n <= sizeof(plain) + 16);
            type = rkeys_open(&k, hdr, body, n, plain, &len);
            if (type < 0) {
                w->bad_record = 1;
                return;
            }
            body = plain;
            if (keys == 1)
                w->hs_records++;
            else
                w->ap_records++;
        }
        if (type == 23)
            w->app_bytes += len;
        if (type != 22)
            continue;
        assert_true(hs_len + len <= sizeof(hs));
        memcpy(hs + hs_len, body, len);
        hs_len += len;
        size_t m = 0;
        while (hs_len - m >= 4) {
            size_t mlen = 4 + ((size_t)hs[m + 1] << 16 | (size_t)hs[m + 2] << 8 | hs[m + 3]);
            if (hs_len - m < mlen)
                break;
            wire_message(w, hs + m, mlen);
            if (keys == 1 && hs[m] == 20) { /* Finished: the application secret from here */
                rkeys_init(&k, f,
                           from_server ? "SERVER_TRAFFIC_SECRET_0" : "CLIENT_TRAFFIC_SECRET_0");
                keys = 2;
            } else if (keys == 2 && hs[m] == 24) {
                rkeys_update(&k);
            }
            m += mlen;
        }
        memmove(hs, hs + m, hs_len - m);
        hs_len -= m;
    }
}

/* What the server and the client sent, read back from the wire. */
static void read_both(const wfx *f, wire_view *srv, wire_view *cli)
{
    const pipe_buf *from_server = f->role == TLSFLOW_SERVER ? &f->to_wolf : &f->to_engine;
    const pipe_buf *from_client = f->role == TLSFLOW_SERVER ? &f->to_engine : &f->to_wolf;
    read_wire(f, from_server, 1, srv);
    read_wire(f, from_client, 0, cli);
    assert_false(srv->bad_record);
    assert_false(cli->bad_record);
}

/* What wolfSSL wrote and what it read. */
static void wolf_wire(const wfx *f, wire_view *sent, wire_view *read)
{
    if (f->role == TLSFLOW_SERVER)
        read_both(f, read, sent);
    else
        read_both(f, sent, read);
}

/* Both sides agree: TLS 1.3, suite, group, signature scheme, sizes, who retried. */
static void check_tls13(wfx *f, uint16_t suite, const group_row *g, const cred_row *cred, int hrr)
{
    const tlsflow_info *in = tlsflow_get_info(f->conn);
    assert_int_equal(wolfSSL_GetVersion(f->ssl), WOLFSSL_TLSV1_3);
    assert_string_equal(wolfSSL_get_version(f->ssl), "TLSv1.3");
    assert_int_equal(in->version, TLSFLOW_VERSION_TLS13);

    assert_int_equal(wolfSSL_get_current_cipher_suite(f->ssl), suite);
    assert_int_equal(in->cipher_suite, suite);
    assert_string_equal(in->key_exchange, "ECDHE");

    const char *curve = wolfSSL_get_curve_name(f->ssl);
    assert_non_null(curve);
    assert_string_equal(curve, g->wolf_name);
    assert_int_equal(in->group, g->id);
    assert_string_equal(in->group_name, tlsflow_group_name(g->id));
    assert_int_equal(in->client_public_len, g->share_len);
    assert_int_equal(in->server_public_len, g->share_len);

    /* The server's CertificateVerify as it went over the wire (opened with our logged
     * SERVER_HANDSHAKE_TRAFFIC_SECRET), and what wolfSSL says it signed with. */
    wire_view srv, cli;
    read_both(f, &srv, &cli);
    assert_int_equal(srv.msgs[15], 1);
    assert_int_equal(srv.cv_scheme, cred->scheme);
    assert_int_equal(in->signature_scheme, cred->scheme);
    assert_string_equal(in->signature_scheme_name, cred->scheme_name);
    assert_int_equal(in->signature_len, srv.cv_sig_len);
    if (cred->key_bits == 2048)
        assert_int_equal(in->signature_len, 256);
    assert_string_equal(in->cert.key_type, cred->key_type);
    assert_int_equal(in->cert.key_bits, cred->key_bits);
    if (f->role == TLSFLOW_CLIENT) {
        int nid = 0;
        assert_int_equal(wolfSSL_get_signature_nid(f->ssl, &nid), WOLFSSL_SUCCESS);
        assert_int_equal(nid, cred->key_bits == 2048  ? CTC_SHA256wRSA
                              : cred->key_bits == 256 ? CTC_SHA256wECDSA
                                                      : CTC_SHA384wECDSA);
    } else {
        assert_int_equal(wolfSSL_get_verify_result(f->ssl), 0);
    }

    /* The key shares on the wire, and who retried. */
    assert_int_equal(srv.share_group, g->id);
    assert_int_equal(srv.share_len, g->share_len);
    assert_int_equal(cli.share_group, g->id);
    assert_int_equal(cli.share_len, g->share_len);
    assert_int_equal(in->hello_retry, hrr);
    assert_int_equal(srv.hrr, (unsigned)hrr);
    assert_int_equal(srv.msgs[2], 1);
    assert_int_equal(cli.msgs[1], 1u + (unsigned)hrr);
    assert_int_equal(f->steps[TLSFLOW_STEP_HELLO_RETRY_REQUEST], (unsigned)hrr);
    assert_int_equal(f->steps[TLSFLOW_STEP_HANDSHAKE_DONE], 1);
    /* Both Finished opened with our logged handshake secrets. */
    assert_int_equal(srv.msgs[20], 1);
    assert_int_equal(cli.msgs[20], 1);
    assert_true(srv.hs_records >= 1 && cli.hs_records >= 1);
}

/* RFC 8446 §7.5 from our EXPORTER_SECRET key log line, with wolfCrypt's HKDF. */
static void exporter_from_keylog(const wfx *f, const char *label, const uint8_t *ctx,
                                 size_t ctx_len, uint8_t *out, size_t len)
{
    uint8_t secret[64], empty_hash[64], ctx_hash[64], derived[64];
    uint8_t info[2 + 1 + 255 + 1 + 255];
    size_t h = tft_keylog_secret(f->keylog, f->n_keylog, "EXPORTER_SECRET", secret, sizeof(secret));
    assert_true(h == 32 || h == 48);
    enum wc_HashType type = h == 32 ? WC_HASH_TYPE_SHA256 : WC_HASH_TYPE_SHA384;
    int mac = h == 32 ? WC_SHA256 : WC_SHA384;
    assert_int_equal(wc_Hash(type, (const byte *)"", 0, empty_hash, (word32)h), 0);
    assert_int_equal(
        wc_Hash(type, ctx_len ? ctx : (const byte *)"", (word32)ctx_len, ctx_hash, (word32)h), 0);
    size_t n = tft_hkdf_label(info, h, label, empty_hash, h);
    assert_int_equal(wc_HKDF_Expand(mac, secret, (word32)h, info, (word32)n, derived, (word32)h),
                     0);
    n = tft_hkdf_label(info, len, "exporter", ctx_hash, h);
    assert_int_equal(wc_HKDF_Expand(mac, derived, (word32)h, info, (word32)n, out, (word32)len), 0);
}

/* ---- every suite × every group × every certificate, both roles ------------------------- */

static void set_wolf_groups(wfx *f, const uint16_t *ids, size_t n)
{
    int groups[3];
    for (size_t i = 0; i < n; i++)
        groups[i] = ids[i];
    assert_int_equal(wolfSSL_set_groups(f->ssl, groups, (int)n), WOLFSSL_SUCCESS);
}

static void run_matrix(tlsflow_role role)
{
    for (size_t c = 0; c < ARRAY_LEN(CREDS); c++) {
        for (size_t s = 0; s < ARRAY_LEN(SUITES); s++) {
            for (size_t g = 0; g < ARRAY_LEN(GROUPS); g++) {
                wfx *f = wfx_new(role, &CREDS[c]);
                assert_int_equal(wolfSSL_CTX_set_cipher_list(f->ctx, SUITES[s].wolf),
                                 WOLFSSL_SUCCESS);
                uint16_t order[3] = {GROUPS[g].id};
                size_t n = 1;
                for (size_t o = 0; o < ARRAY_LEN(GROUPS); o++)
                    if (o != g)
                        order[n++] = GROUPS[o].id;
                if (role == TLSFLOW_CLIENT)
                    assert_int_equal(tlsflow_config_set_groups(f->cfg, order, n), 0);
                wfx_start(f);
                if (role == TLSFLOW_SERVER) {
                    /* wolfSSL's client: every group, one share, for the one under test. */
                    set_wolf_groups(f, order, n);
                    assert_int_equal(wolfSSL_UseKeyShare(f->ssl, GROUPS[g].id), WOLFSSL_SUCCESS);
                }
                handshake(f);
                check_tls13(f, SUITES[s].id, &GROUPS[g], &CREDS[c], 0);
                exchange(f, 3000, c * 9 + s * 3 + g);
                /* The data opens with our logged application secrets, both ways. */
                wire_view srv, cli;
                read_both(f, &srv, &cli);
                assert_int_equal(srv.app_bytes, 3000);
                assert_int_equal(cli.app_bytes, 3000);
                wfx_free(f);
            }
        }
    }
}

TFT_ROLE_TESTS(matrix)

/* ---- HelloRetryRequest ---------------------------------------------------------------- */

/* Our client's only share is for a group wolfSSL's server does not take; it asks for its
 * own (with a cookie when `cookie`), which we also offered. */
static void run_hrr_from_wolfssl(int cookie)
{
    for (size_t first = 0; first < ARRAY_LEN(GROUPS); first++) {
        for (size_t want = 0; want < ARRAY_LEN(GROUPS); want++) {
            if (first == want)
                continue;
            wfx *f = wfx_new(TLSFLOW_CLIENT, &CREDS[0]);
            uint16_t ours[2] = {GROUPS[first].id, GROUPS[want].id};
            assert_int_equal(tlsflow_config_set_groups(f->cfg, ours, 2), 0);
            wfx_start(f);
            set_wolf_groups(f, &GROUPS[want].id, 1);
            if (cookie)
                assert_int_equal(wolfSSL_send_hrr_cookie(f->ssl, (const uint8_t *)"tlsflow", 7),
                                 WOLFSSL_SUCCESS);
            handshake(f);
            check_tls13(f, TLSFLOW_AES_128_GCM_SHA256, &GROUPS[want], &CREDS[0], 1);
            /* wolfSSL's HelloRetryRequest carried a cookie exactly when asked to, and our
             * second ClientHello echoed it (wolfSSL checked it: the handshake went on). */
            wire_view srv, cli;
            read_both(f, &srv, &cli);
            assert_int_equal(srv.cookie, cookie);
            assert_int_equal(cli.cookie, cookie);
            exchange(f, 500, first * 3 + want);
            wfx_free(f);
        }
    }
}

static void test_hrr_from_wolfssl_server(void **state)
{
    (void)state;
    run_hrr_from_wolfssl(0);
}

static void test_hrr_cookie_from_wolfssl_server(void **state)
{
    (void)state;
    run_hrr_from_wolfssl(1);
}

/* wolfSSL's client sends one share for its first group; our server takes only another. */
static void test_hrr_from_our_server(void **state)
{
    (void)state;
    for (size_t first = 0; first < ARRAY_LEN(GROUPS); first++) {
        for (size_t want = 0; want < ARRAY_LEN(GROUPS); want++) {
            if (first == want)
                continue;
            wfx *f = wfx_new(TLSFLOW_SERVER, &CREDS[1]);
            assert_int_equal(tlsflow_config_set_groups(f->cfg, &GROUPS[want].id, 1), 0);
            wfx_start(f);
            uint16_t theirs[2] = {GROUPS[first].id, GROUPS[want].id};
            set_wolf_groups(f, theirs, 2);
            assert_int_equal(wolfSSL_UseKeyShare(f->ssl, GROUPS[first].id), WOLFSSL_SUCCESS);
            handshake(f);
            check_tls13(f, TLSFLOW_AES_128_GCM_SHA256, &GROUPS[want], &CREDS[1], 1);
            wire_view srv, cli; /* our HelloRetryRequest has no cookie, so none comes back */
            read_both(f, &srv, &cli);
            assert_false(srv.cookie || cli.cookie);
            exchange(f, 500, first * 3 + want);
            wfx_free(f);
        }
    }
}

/* ---- KeyUpdate ---------------------------------------------------------------------------- */

#define KU_ROUNDS 6

/* wolfSSL updates its keys each round (wolfSSL_update_keys, which asks us to update too)
 * while both sides send: we answer each with one KeyUpdate of ours. */
static void run_peer_key_update(tlsflow_role role)
{
    wfx *f = wfx_new(role, &CREDS[1]);
    wfx_start(f);
    handshake(f);
    for (int i = 0; i < KU_ROUNDS; i++) {
        assert_int_equal(wolfSSL_update_keys(f->ssl), WOLFSSL_SUCCESS);
        int required = 0;
        assert_int_equal(wolfSSL_key_update_response(f->ssl, &required), 0);
        assert_int_equal(required, 1); /* wolfSSL waits for our answer */
        exchange(f, 5000 + (size_t)i * 1111, (uint64_t)i);
        assert_int_equal(wolfSSL_key_update_response(f->ssl, &required), 0);
        assert_int_equal(required, 0); /* ... and had it */
    }
    wire_view sent, read;
    wolf_wire(f, &sent, &read);
    assert_int_equal(sent.msgs[24], KU_ROUNDS);
    assert_int_equal(sent.ku_requested, KU_ROUNDS);
    assert_int_equal(f->steps[TLSFLOW_STEP_KEY_UPDATE_RECEIVED], KU_ROUNDS);
    assert_int_equal(f->steps[TLSFLOW_STEP_KEY_UPDATE_SENT], KU_ROUNDS);
    assert_int_equal(read.msgs[24], KU_ROUNDS);
    assert_int_equal(read.ku_requested, 0);
    /* Every record opened through the KeyUpdates, all the data inside. */
    size_t total = 0;
    for (int i = 0; i < KU_ROUNDS; i++)
        total += 5000 + (size_t)i * 1111;
    assert_int_equal(sent.app_bytes, total);
    assert_int_equal(read.app_bytes, total);
    exchange(f, 20000, 99);
    wfx_free(f);
}

TFT_ROLE_TESTS(peer_key_update)

#define OUR_RECORDS  100
#define UPDATE_AFTER 8

/* Our automatic KeyUpdate lowered to every 8 records: 100 records of ours while wolfSSL
 * sends back; wolfSSL reads every KeyUpdate and decrypts everything after them. */
static void run_auto_key_update(tlsflow_role role)
{
    wfx *f = wfx_new(role, &CREDS[0]);
    wfx_start(f);
    handshake(f);
    f->conn->key_update_after = UPDATE_AFTER;
    static uint8_t sent[OUR_RECORDS * 100], back[OUR_RECORDS * 37];
    tft_rng r = {4243};
    tft_random(&r, sent, sizeof(sent));
    tft_random(&r, back, sizeof(back));
    f->rx_cap = sizeof(sent);
    f->wolf_rx = calloc(1, sizeof(sent));
    f->tf_rx = calloc(1, sizeof(sent));
    uint64_t records_before = tlsflow_get_info(f->conn)->records_out;
    for (size_t i = 0; i < OUR_RECORDS; i++) {
        size_t took = 0;
        for (int tries = 0; tries < 4 && took == 0; tries++) {
            took = tlsflow_app_write(f->conn, sent + i * 100, 100);
            if (took == 0) /* our KeyUpdate went out first: drain, then again */
                pump(f);
        }
        assert_int_equal(took, 100);
        f->wolf_tx = back + i * 37;
        f->wolf_tx_len = 37;
        f->wolf_tx_done = 0;
        pump(f);
        assert_int_equal(tlsflow_last_error(f->conn), 0);
        assert_false(f->wolf_failed);
    }
    assert_int_equal(tlsflow_get_info(f->conn)->records_out - records_before, OUR_RECORDS);
    assert_int_equal(f->wolf_rx_len, sizeof(sent));
    assert_memory_equal(f->wolf_rx, sent, sizeof(sent));
    assert_int_equal(f->tf_rx_len, sizeof(back));
    assert_memory_equal(f->tf_rx, back, sizeof(back));
    unsigned want = (OUR_RECORDS - 1) / UPDATE_AFTER;
    assert_int_equal(f->steps[TLSFLOW_STEP_KEY_UPDATE_SENT], want);
    wire_view sent_by_wolf, read_by_wolf;
    wolf_wire(f, &sent_by_wolf, &read_by_wolf);
    assert_int_equal(read_by_wolf.msgs[24], want);
    assert_int_equal(read_by_wolf.ku_requested, 0);
    assert_int_equal(read_by_wolf.app_bytes, sizeof(sent));
    assert_int_equal(sent_by_wolf.msgs[24], 0);
    free(f->wolf_rx);
    free(f->tf_rx);
    f->wolf_rx = f->tf_rx = NULL;
    f->wolf_tx = NULL;
    f->wolf_tx_len = f->wolf_tx_done = 0;
    exchange(f, 10000, 5);
    wfx_free(f);
}

TFT_ROLE_TESTS(auto_key_update)

/* ---- byte-at-a-time feeding, bulk -------------------------------------------------------- */

static void run_one_byte(tlsflow_role role)
{
    wfx *f = wfx_new(role, &CREDS[2]);
    f->chunk = 1;
    wfx_start(f);
    if (role == TLSFLOW_SERVER)
        assert_int_equal(wolfSSL_UseKeyShare(f->ssl, TLSFLOW_GROUP_X25519), WOLFSSL_SUCCESS);
    handshake(f);
    check_tls13(f, TLSFLOW_AES_128_GCM_SHA256, &GROUPS[0], &CREDS[2], 0);
    exchange(f, 3000, 1);
    wfx_free(f);
}

TFT_ROLE_TESTS(one_byte)

static void run_mib(tlsflow_role role)
{
    wfx *f = wfx_new(role, &CREDS[0]);
    assert_int_equal(wolfSSL_CTX_set_cipher_list(f->ctx, "TLS13-AES256-GCM-SHA384"),
                     WOLFSSL_SUCCESS);
    wfx_start(f);
    handshake(f);
    exchange(f, MIB, 3);
    const tlsflow_info *in = tlsflow_get_info(f->conn);
    assert_int_equal(in->app_bytes_in, MIB);
    assert_int_equal(in->app_bytes_out, MIB);
    assert_true(in->records_in >= 64 && in->records_out >= 64);
    assert_true(f->to_wolf.len > MIB && f->to_engine.len > MIB);
    wfx_free(f);
}

TFT_ROLE_TESTS(mib)

/* ---- close_notify --------------------------------------------------------------------------- */

/* We close: wolfSSL reads close_notify (a zero return), answers with its own. */
static void run_we_close(tlsflow_role role)
{
    wfx *f = wfx_new(role, &CREDS[1]);
    wfx_start(f);
    handshake(f);
    exchange(f, 100, 20);
    tlsflow_close(f->conn);
    pump(f);
    if (!f->wolf_zero_return || !f->tf_closed || tlsflow_last_error(f->conn))
        dump(f);
    assert_true(f->wolf_zero_return);
    assert_true(f->tf_closed);
    assert_int_equal(tlsflow_last_error(f->conn), 0);
    assert_int_equal(tlsflow_sent_alert(f->conn), TLSFLOW_ALERT_CLOSE_NOTIFY);
    WOLFSSL_ALERT_HISTORY h;
    assert_int_equal(wolfSSL_get_alert_history(f->ssl, &h), WOLFSSL_SUCCESS);
    assert_int_equal(h.last_rx.code, TLSFLOW_ALERT_CLOSE_NOTIFY);
    assert_true(wolfSSL_get_shutdown(f->ssl) & WOLFSSL_RECEIVED_SHUTDOWN);
    wfx_free(f);
}

/* wolfSSL closes: we end CLOSED and clean, with close_notify sent back. */
static void run_peer_closes(tlsflow_role role)
{
    wfx *f = wfx_new(role, &CREDS[1]);
    wfx_start(f);
    handshake(f);
    exchange(f, 100, 21);
    assert_int_equal(wolfSSL_shutdown(f->ssl), WOLFSSL_SHUTDOWN_NOT_DONE);
    pump(f);
    if (!f->tf_closed || tlsflow_last_error(f->conn))
        dump(f);
    assert_true(f->tf_closed);
    assert_int_equal(tlsflow_last_error(f->conn), 0);
    assert_int_equal(tlsflow_peer_alert(f->conn), TLSFLOW_ALERT_CLOSE_NOTIFY);
    assert_int_equal(tlsflow_sent_alert(f->conn), TLSFLOW_ALERT_CLOSE_NOTIFY);
    /* wolfSSL's read met our close_notify: both directions are shut. */
    assert_true(f->wolf_zero_return);
    assert_int_equal(wolfSSL_get_shutdown(f->ssl),
                     WOLFSSL_SENT_SHUTDOWN | WOLFSSL_RECEIVED_SHUTDOWN);
    WOLFSSL_ALERT_HISTORY h;
    assert_int_equal(wolfSSL_get_alert_history(f->ssl, &h), WOLFSSL_SUCCESS);
    assert_int_equal(h.last_rx.code, TLSFLOW_ALERT_CLOSE_NOTIFY);
    assert_int_equal(h.last_tx.code, TLSFLOW_ALERT_CLOSE_NOTIFY);
    wfx_free(f);
}

TFT_ROLE_TESTS(we_close)

TFT_ROLE_TESTS(peer_closes)

/* ---- NewSessionTicket -------------------------------------------------------------------- */

/* wolfSSL's server sends a ticket after the handshake, and another on demand
 * (wolfSSL_send_SessionTicket): our callback gets each body as wolfSSL wrote it. */
static void test_tickets_from_wolfssl_server(void **state)
{
    (void)state;
    wfx *f = wfx_new(TLSFLOW_CLIENT, &CREDS[0]);
    wfx_start(f);
    handshake(f);
    exchange(f, 1000, 8);
    wire_view sent, read;
    wolf_wire(f, &sent, &read);
    unsigned first = sent.msgs[4];
    assert_true(first >= 1);
    assert_int_equal(f->n_tickets, first);
    assert_int_equal(f->steps[TLSFLOW_STEP_SESSION_TICKET_RECEIVED], first);
    assert_int_equal(wolfSSL_send_SessionTicket(f->ssl), WOLFSSL_SUCCESS);
    exchange(f, 1000, 9);
    wolf_wire(f, &sent, &read);
    assert_int_equal(sent.msgs[4], first + 1);
    assert_int_equal(f->n_tickets, first + 1);
    assert_int_equal(sent.n_tickets, f->n_tickets);
    for (size_t i = 0; i < f->n_tickets; i++) {
        assert_int_equal(f->tickets[i].len, sent.tickets[i].len);
        assert_memory_equal(f->tickets[i].body, sent.tickets[i].body, f->tickets[i].len);
    }
    wfx_free(f);
}

/* ---- exporter and key log ------------------------------------------------------------------- */

/* wolfSSL has no key log in Debian's build (no HAVE_SECRET_CALLBACK); its exporter is the
 * window on its exporter master secret: RFC 8446 §7.5 over our EXPORTER_SECRET line must
 * give what wolfSSL exports. Then our own exporter must give the same. */
static void run_exporter(tlsflow_role role, size_t suite, int ours_too)
{
    wfx *f = wfx_new(role, &CREDS[1]);
    assert_int_equal(wolfSSL_CTX_set_cipher_list(f->ctx, SUITES[suite].wolf), WOLFSSL_SUCCESS);
    wfx_start(f);
    handshake(f);
    assert_int_equal(f->n_keylog, 5);
    static const uint8_t ctx[] = {0x01, 0x02, 0x03, 0xfe};
    static const size_t lens[] = {1, 32, 48, 100};
    const char *label = "EXPORTER-tlsflow-test";
    for (size_t i = 0; i < ARRAY_LEN(lens); i++) {
        uint8_t theirs[100], rfc[100], ours[100];
        size_t n = lens[i];
        assert_int_equal(wolfSSL_export_keying_material(f->ssl, theirs, n, label, strlen(label),
                                                        ctx, sizeof(ctx), 1),
                         WOLFSSL_SUCCESS);
        exporter_from_keylog(f, label, ctx, sizeof(ctx), rfc, n);
        assert_memory_equal(theirs, rfc, n);
        if (ours_too) {
            assert_int_equal(
                tlsflow_export_keying_material(f->conn, label, ctx, sizeof(ctx), ours, n), 0);
            assert_memory_equal(ours, theirs, n);
        }
        assert_int_equal(
            wolfSSL_export_keying_material(f->ssl, theirs, n, label, strlen(label), NULL, 0, 0),
            WOLFSSL_SUCCESS);
        exporter_from_keylog(f, label, NULL, 0, rfc, n);
        assert_memory_equal(theirs, rfc, n);
        if (ours_too) {
            assert_int_equal(tlsflow_export_keying_material(f->conn, label, NULL, 0, ours, n), 0);
            assert_memory_equal(ours, theirs, n);
        }
    }
    wfx_free(f);
}

static void test_exporter_secret_our_server(void **state)
{
    (void)state;
    for (size_t s = 0; s < ARRAY_LEN(SUITES); s++)
        run_exporter(TLSFLOW_SERVER, s, 0);
}

static void test_exporter_secret_our_client(void **state)
{
    (void)state;
    for (size_t s = 0; s < ARRAY_LEN(SUITES); s++)
        run_exporter(TLSFLOW_CLIENT, s, 0);
}

static void test_exporter_our_server(void **state)
{
    (void)state;
    /* RFC 8446 §7.5 against wolfSSL's exporter. */
    for (size_t s = 0; s < ARRAY_LEN(SUITES); s++)
        run_exporter(TLSFLOW_SERVER, s, 1);
}

static void test_exporter_our_client(void **state)
{
    (void)state;
    /* RFC 8446 §7.5 against wolfSSL's exporter. */
    for (size_t s = 0; s < ARRAY_LEN(SUITES); s++)
        run_exporter(TLSFLOW_CLIENT, s, 1);
}

/* ---- the downgrade sentinel (RFC 8446 §4.1.3) --------------------------------------------- */

/* The server random of a plaintext ServerHello at the start of a byte stream. */
static void first_server_random(const pipe_buf *b, uint8_t out[32])
{
    assert_true(b->len >= 5 + 4 + 2 + 32);
    assert_int_equal(b->p[0], 22);
    assert_int_equal(b->p[5], 2);
    memcpy(out, b->p + 11, 32);
}

/* Replace TLS 1.3 in a ClientHello's supported_versions by a GREASE value (a man in the
 * middle pushing both ends to TLS 1.2). Returns 1 if it did. */
static int strip_tls13_offer(uint8_t *rec, size_t n)
{
    if (n < 9 + 38 || rec[0] != 22 || rec[5] != 1)
        return 0;
    size_t end = 5 + ((size_t)rec[3] << 8 | rec[4]);
    size_t o = 9 + 2 + 32;
    o += 1 + rec[o];                             /* session id */
    o += 2 + ((size_t)rec[o] << 8 | rec[o + 1]); /* suites */
    o += 1 + rec[o];                             /* compressions */
    for (o += 2; end <= n && o + 4 <= end;) {    /* extensions */
        uint16_t type = (uint16_t)(rec[o] << 8 | rec[o + 1]);
        size_t len = (size_t)rec[o + 2] << 8 | rec[o + 3];
        if (type == 43) {
            int hit = 0;
            for (size_t i = o + 5; i + 1 < o + 4 + len; i += 2) {
                if (rec[i] == 0x03 && rec[i + 1] == 0x04) {
                    rec[i] = rec[i + 1] = 0x0a;
                    hit = 1;
                }
            }
            return hit;
        }
        o += 4 + len;
    }
    return 0;
}

/* Our ClientHello reaches wolfSSL through the man in the middle. */
static void our_hello_stripped(wfx *f)
{
    size_t n;
    assert_int_equal(tlsflow_poll(f->conn), TLSFLOW_OUTPUT_READY);
    const uint8_t *p = tlsflow_out_buf(f->conn, &n);
    size_t at = f->to_wolf.len;
    pipe_put(&f->to_wolf, p, n);
    tlsflow_out_ack(f->conn, n);
    assert_int_equal(strip_tls13_offer(f->to_wolf.p + at, n), 1);
}

/* wolfSSL's ClientHello reaches us through the man in the middle. */
static void their_hello_stripped(wfx *f)
{
    assert_int_equal(wolfSSL_connect(f->ssl), WOLFSSL_FATAL_ERROR);
    assert_int_equal(wolfSSL_get_error(f->ssl, WOLFSSL_FATAL_ERROR), WOLFSSL_ERROR_WANT_READ);
    assert_int_equal(strip_tls13_offer(f->to_engine.p, f->to_engine.len), 1);
}

typedef enum {
    SETTLE_12,      /* both complete in TLS 1.2 */
    WE_REFUSE,      /* our client refuses the sentinel */
    WOLFSSL_REFUSES /* wolfSSL's client refuses our sentinel */
} downgrade_end;

/* One downgrade case: wolfSSL's method (its version range), ours, whether a man in the
 * middle takes TLS 1.3 out of the ClientHello, and what must follow. */
static void run_downgrade(tlsflow_role role, WOLFSSL_METHOD *method, uint16_t our_max, int mitm,
                          int sentinel, downgrade_end end)
{
    wfx *f = wfx_new_with(role, &CREDS[0], method);
    assert_int_equal(tlsflow_config_set_versions(f->cfg, TLSFLOW_VERSION_TLS12, our_max), 0);
    wfx_start(f);
    if (mitm && role == TLSFLOW_CLIENT)
        our_hello_stripped(f);
    else if (mitm)
        their_hello_stripped(f);
    if (end == SETTLE_12)
        handshake(f);
    else
        handshake_fails(f);

    uint8_t sr[32];
    first_server_random(role == TLSFLOW_CLIENT ? &f->to_engine : &f->to_wolf, sr);
    if (sentinel)
        assert_memory_equal(sr + 24, DOWNGRADE_TLS12, 8);
    else
        assert_memory_not_equal(sr + 24, DOWNGRADE_TLS12, 8);
    WOLFSSL_ALERT_HISTORY h;
    assert_int_equal(wolfSSL_get_alert_history(f->ssl, &h), WOLFSSL_SUCCESS);
    const tlsflow_info *in = tlsflow_get_info(f->conn);
    switch (end) {
    case SETTLE_12:
        assert_string_equal(wolfSSL_get_version(f->ssl), "TLSv1.2");
        assert_int_equal(in->version, TLSFLOW_VERSION_TLS12);
        exchange(f, 1000, 30);
        break;
    case WE_REFUSE:
        assert_int_equal(in->version, 0);
        assert_int_equal(tlsflow_last_error(f->conn), TLSFLOW_E_ILLEGAL_PARAMETER);
        assert_int_equal(tlsflow_sent_alert(f->conn), TLSFLOW_ALERT_ILLEGAL_PARAMETER);
        assert_non_null(strstr(tlsflow_last_error_text(f->conn), "downgraded"));
        assert_int_equal(h.last_rx.code, TLSFLOW_ALERT_ILLEGAL_PARAMETER);
        assert_int_equal(h.last_rx.level, 2);
        break;
    case WOLFSSL_REFUSES:
        assert_int_equal(in->version, TLSFLOW_VERSION_TLS12);
        assert_int_equal(h.last_tx.code, TLSFLOW_ALERT_ILLEGAL_PARAMETER);
        assert_int_equal(tlsflow_last_error(f->conn), TLSFLOW_E_PEER_ALERT);
        assert_int_equal(tlsflow_peer_alert(f->conn), TLSFLOW_ALERT_ILLEGAL_PARAMETER);
        break;
    }
    wfx_free(f);
}

/* wolfSSL's server, 1.2-1.3 (wolfSSLv23), and our client pinned to TLS 1.2: wolfSSL
 * writes the sentinel and our 1.2 client takes it. */
static void test_downgrade_sentinel_to_our_12_client(void **state)
{
    (void)state;
    run_downgrade(TLSFLOW_CLIENT, wolfSSLv23_server_method(), TLSFLOW_VERSION_TLS12, 0, 1,
                  SETTLE_12);
}

/* wolfSSL's server pinned to TLS 1.2 (wolfTLSv1_2_server_method) and our 1.3-capable
 * client: no sentinel, TLS 1.2. */
static void test_downgrade_wolfssl_server_max12(void **state)
{
    (void)state;
    run_downgrade(TLSFLOW_CLIENT, wolfTLSv1_2_server_method(), TLSFLOW_VERSION_TLS13, 0, 0,
                  SETTLE_12);
}

/* A man in the middle takes TLS 1.3 out of our ClientHello: wolfSSL's 1.3-capable server
 * answers in TLS 1.2 with the sentinel; our client, which offered 1.3, refuses it. */
static void test_downgrade_sentinel_refused_by_our_client(void **state)
{
    (void)state;
    run_downgrade(TLSFLOW_CLIENT, wolfSSLv23_server_method(), TLSFLOW_VERSION_TLS13, 1, 1,
                  WE_REFUSE);
}

/* wolfSSL's client pinned to TLS 1.2 and our 1.3-capable server: our sentinel is in the
 * random, and wolfSSL (not 1.3-capable then) takes it. */
static void test_downgrade_sentinel_from_our_server(void **state)
{
    (void)state;
    run_downgrade(TLSFLOW_SERVER, wolfTLSv1_2_client_method(), TLSFLOW_VERSION_TLS13, 0, 1,
                  SETTLE_12);
}

/* Our server pinned to TLS 1.2 and wolfSSL's 1.2-1.3 client: no sentinel, TLS 1.2. */
static void test_no_sentinel_from_our_12_server(void **state)
{
    (void)state;
    run_downgrade(TLSFLOW_SERVER, wolfSSLv23_client_method(), TLSFLOW_VERSION_TLS12, 0, 0,
                  SETTLE_12);
}

/* A man in the middle takes TLS 1.3 out of wolfSSL's ClientHello (wolfSSLv23): our
 * 1.3-capable server answers in TLS 1.2 with the sentinel; wolfSSL refuses it. */
static void test_downgrade_sentinel_from_our_server_refused(void **state)
{
    (void)state;
    run_downgrade(TLSFLOW_SERVER, wolfSSLv23_client_method(), TLSFLOW_VERSION_TLS13, 1, 1,
                  WOLFSSL_REFUSES);
}

static int group_setup(void **state)
{
    (void)state;
    return wolfSSL_Init() == WOLFSSL_SUCCESS ? 0 : -1;
}

static int group_teardown(void **state)
{
    (void)state;
    wolfSSL_Cleanup();
    return 0;
}

#define T(t) cmocka_unit_test_teardown(t, free_live)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_matrix_our_server),
        T(test_matrix_our_client),
        T(test_hrr_from_wolfssl_server),
        T(test_hrr_cookie_from_wolfssl_server),
        T(test_hrr_from_our_server),
        T(test_peer_key_update_our_server),
        T(test_peer_key_update_our_client),
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
        T(test_tickets_from_wolfssl_server),
        T(test_exporter_secret_our_server),
        T(test_exporter_secret_our_client),
        T(test_exporter_our_server),
        T(test_exporter_our_client),
        T(test_downgrade_sentinel_to_our_12_client),
        T(test_downgrade_wolfssl_server_max12),
        T(test_downgrade_sentinel_refused_by_our_client),
        T(test_downgrade_sentinel_from_our_server_refused),
        T(test_downgrade_sentinel_from_our_server),
        T(test_no_sentinel_from_our_12_server),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
