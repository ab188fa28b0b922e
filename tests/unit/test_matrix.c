/* The state × message matrix: every handshake message (and ChangeCipherSpec and
 * application data) injected into every state of both roles. Exactly the message the
 * RFC allows there is accepted; everything else ends in unexpected_message.
 * Covers the RSA key-transport and the ECDHE sequences, in plaintext and encrypted
 * states, and the TLS 1.3 sequences (1-RTT, HelloRetryRequest, certificate requested with
 * and without a client certificate) in both roles, through the handshake and after it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "keys13.h"
#include "record.h"
#include "tf_test.h"

typedef tft_pair pair;

/* The key exchange under test: its suite and how many messages the server's first
 * flight holds (ServerHello, Certificate, [ServerKeyExchange], ServerHelloDone). */
typedef struct {
    const char *name;
    uint16_t suite;
    int flight;
} kx_mode;

static const kx_mode RSA_KX = {"RSA", TLSFLOW_RSA_WITH_AES_128_GCM_SHA256, 3};
static const kx_mode ECDHE_KX = {"ECDHE", TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256, 4};
static const kx_mode *kx = &RSA_KX;

static pair *pair_new(void)
{
    pair *p = tft_pair_new();
    uint16_t suite = kx->suite;
    p->crng.state = 11;
    p->srng.state = 22;
    assert_int_equal(tlsflow_config_set_cipher_suites(p->ccfg, &suite, 1), 0);
    assert_int_equal(tlsflow_config_set_cipher_suites(p->scfg, &suite, 1), 0);
    tft_pair_start(p);
    return p;
}

#define pair_free tft_pair_free

/* One message to inject: content type and payload. */
typedef struct {
    const char *name;
    uint8_t type;
    uint8_t data[4096];
    size_t len;
} msg;

enum {
    M_CLIENT_HELLO,
    M_SERVER_HELLO,
    M_CERTIFICATE,
    M_SERVER_KEY_EXCHANGE,
    M_CERTIFICATE_REQUEST,
    M_SERVER_HELLO_DONE,
    M_CLIENT_KEY_EXCHANGE,
    M_FINISHED,
    M_HELLO_REQUEST,
    M_UNKNOWN_HS,
    M_CCS,
    M_APP_DATA,
    M_COUNT
};

static msg catalog[M_COUNT];

static void set_msg(int id, const char *name, uint8_t type, const uint8_t *p, size_t n)
{
    assert_true(n <= sizeof(catalog[id].data));
    catalog[id].name = name;
    catalog[id].type = type;
    memcpy(catalog[id].data, p, n);
    catalog[id].len = n;
}

/* Move everything `from` has produced into `to`'s input (whole records). */
static void deliver(tlsflow_conn *from, tlsflow_conn *to, size_t max)
{
    assert_int_equal(tlsflow_poll(from), TLSFLOW_OUTPUT_READY);
    size_t n, room;
    const uint8_t *p = tlsflow_out_buf(from, &n);
    if (max && n > max)
        n = max;
    uint8_t *in = tlsflow_in_buf(to, &room);
    assert_true(n <= room);
    memcpy(in, p, n);
    tlsflow_in_ack(to, n);
    tlsflow_out_ack(from, n);
}

static void feed_plain(tlsflow_conn *to, uint8_t type, const uint8_t *p, size_t n)
{
    size_t room;
    uint8_t *in = tlsflow_in_buf(to, &room);
    assert_true(n + 5 <= room);
    in[0] = type;
    in[1] = 3;
    in[2] = 3;
    in[3] = (uint8_t)(n >> 8);
    in[4] = (uint8_t)n;
    memcpy(in + 5, p, n);
    tlsflow_in_ack(to, n + 5);
}

/* Record from the first record of an output buffer: its payload is the flight. */
static size_t take_output(tlsflow_conn *c, uint8_t *dst, size_t cap)
{
    assert_int_equal(tlsflow_poll(c), TLSFLOW_OUTPUT_READY);
    size_t n;
    const uint8_t *p = tlsflow_out_buf(c, &n);
    assert_true(n <= cap);
    memcpy(dst, p, n);
    tlsflow_out_ack(c, n);
    return n;
}

/* Split a plaintext handshake payload into messages. */
static size_t next_message(const uint8_t *p, size_t n, size_t off)
{
    assert_true(off + 4 <= n);
    size_t len = 4 + (((size_t)p[off + 1] << 16) | ((size_t)p[off + 2] << 8) | p[off + 3]);
    assert_true(off + len <= n);
    return len;
}

/* Build the catalog from a reference handshake with the same seeds every pair uses. */
static void build_catalog(void)
{
    static uint8_t buf[16384];
    pair *p = pair_new();
    size_t n = take_output(p->client, buf, sizeof(buf)); /* ClientHello record */
    set_msg(M_CLIENT_HELLO, "ClientHello", TF_CT_HANDSHAKE, buf + 5, n - 5);
    feed_plain(p->server, TF_CT_HANDSHAKE, buf + 5, n - 5);
    n = take_output(p->server, buf, sizeof(buf));     /* ServerHello..ServerHelloDone */
    static const uint8_t ske[] = {12, 0, 0, 2, 0, 0}; /* RSA: a stand-in, never valid */
    set_msg(M_SERVER_KEY_EXCHANGE, "ServerKeyExchange", TF_CT_HANDSHAKE, ske, sizeof(ske));
    const char *names[] = {"ServerHello", "Certificate", "ServerKeyExchange", "ServerHelloDone"};
    int ids[] = {M_SERVER_HELLO, M_CERTIFICATE, M_SERVER_KEY_EXCHANGE, M_SERVER_HELLO_DONE};
    size_t off = 5;
    for (int j = 0; j < 4; j++) {
        int i = kx->flight == 4 || j < 2 ? j : j + 1; /* RSA: no ServerKeyExchange */
        if (i >= 4)
            break;
        size_t len = next_message(buf, n, off);
        set_msg(ids[i], names[i], TF_CT_HANDSHAKE, buf + off, len);
        off += len;
    }
    feed_plain(p->client, TF_CT_HANDSHAKE, buf + 5, n - 5);
    n = take_output(p->client, buf, sizeof(buf)); /* [CKE][CCS][Finished] */
    set_msg(M_CLIENT_KEY_EXCHANGE, "ClientKeyExchange", TF_CT_HANDSHAKE, buf + 5,
            next_message(buf + 5, n - 5, 0));
    pair_free(p);

    static const uint8_t cr[] = {13, 0, 0, 2, 0, 0};
    static const uint8_t fin[16] = {20, 0, 0, 12}, hr[] = {0, 0, 0, 0}, unk[] = {99, 0, 0, 0};
    static const uint8_t ccs[] = {1}, app[] = {'h', 'i'};
    set_msg(M_CERTIFICATE_REQUEST, "CertificateRequest", TF_CT_HANDSHAKE, cr, sizeof(cr));
    set_msg(M_FINISHED, "Finished", TF_CT_HANDSHAKE, fin, sizeof(fin));
    set_msg(M_HELLO_REQUEST, "HelloRequest", TF_CT_HANDSHAKE, hr, sizeof(hr));
    set_msg(M_UNKNOWN_HS, "unknown handshake type 99", TF_CT_HANDSHAKE, unk, sizeof(unk));
    set_msg(M_CCS, "ChangeCipherSpec", TF_CT_CCS, ccs, sizeof(ccs));
    set_msg(M_APP_DATA, "application data", TF_CT_APPDATA, app, sizeof(app));
}

/* A state: how to reach it, what it accepts, and who encrypts for it (if anyone). */
typedef struct {
    const char *name;
    tlsflow_role role;
    int depth;            /* how far to drive the handshake */
    int accepts[M_COUNT]; /* 1: the RFC allows it here; 2: allowed and ignored */
} state_row;

/* Drive a fresh pair so that `role`'s side is in the state at `depth`. Returns the
 * peer that must encrypt injected records (NULL: plaintext state). */
static tlsflow_conn *drive(pair *p, tlsflow_role role, int depth)
{
    static uint8_t buf[20000];
    tlsflow_conn *target = role == TLSFLOW_SERVER ? p->server : p->client;
    size_t n = take_output(p->client, buf, sizeof(buf));
    if (role == TLSFLOW_SERVER) {
        if (depth == 0)
            return NULL; /* waiting for ClientHello */
        feed_plain(p->server, TF_CT_HANDSHAKE, buf + 5, n - 5);
        deliver(p->server, p->client, 0);             /* server's flight to the client */
        n = take_output(p->client, buf, sizeof(buf)); /* [CKE][CCS][Finished] */
        size_t cke = 5 + next_message(buf + 5, n - 5, 0), ccs = 6;
        if (depth == 1)
            return NULL; /* waiting for ClientKeyExchange */
        feed_plain(p->server, TF_CT_HANDSHAKE, buf + 5, cke - 5);
        assert_int_equal(tlsflow_poll(p->server), TLSFLOW_NEED_INPUT);
        if (depth == 2)
            return NULL; /* waiting for ChangeCipherSpec */
        feed_plain(p->server, TF_CT_CCS, buf + cke + 5, 1);
        if (depth == 3) {
            /* Waiting for Finished: the client's own Finished is withheld and its
             * sequence number rewound, so our injected record takes its place. */
            p->client->wr.seq = 0;
            return p->client;
        }
        size_t room;
        uint8_t *in = tlsflow_in_buf(p->server, &room);
        memcpy(in, buf + cke + ccs, n - cke - ccs);
        tlsflow_in_ack(p->server, n - cke - ccs);
        deliver(p->server, p->client, 0);
        assert_int_equal(tlsflow_poll(p->server), TLSFLOW_HANDSHAKE_DONE);
        return p->client; /* established */
    }
    feed_plain(p->server, TF_CT_HANDSHAKE, buf + 5, n - 5);
    size_t flight = take_output(p->server, buf, sizeof(buf));
    size_t off = 5;
    for (int i = 0; i < depth && i < kx->flight; i++) { /* the server's first flight */
        size_t len = next_message(buf, flight, off);
        feed_plain(target, TF_CT_HANDSHAKE, buf + off, len);
        off += len;
    }
    if (depth < kx->flight)
        return NULL;
    deliver(p->client, p->server, 0);             /* [CKE][CCS][Finished] */
    n = take_output(p->server, buf, sizeof(buf)); /* [CCS][Finished] */
    if (depth == kx->flight)
        return NULL; /* waiting for the server's ChangeCipherSpec */
    size_t room;
    uint8_t *in = tlsflow_in_buf(p->client, &room);
    if (depth == kx->flight + 1) {
        memcpy(in, buf, 6);
        tlsflow_in_ack(p->client, 6);
        p->server->wr.seq = 0;
        return p->server;
    }
    memcpy(in, buf, n);
    tlsflow_in_ack(p->client, n);
    assert_int_equal(tlsflow_poll(p->client), TLSFLOW_HANDSHAKE_DONE);
    return p->server;
}

static void inject(tlsflow_conn *to, tlsflow_conn *encrypter, const msg *m)
{
    if (!encrypter) {
        feed_plain(to, m->type, m->data, m->len);
        return;
    }
    assert_int_equal(tf_record_write(encrypter, m->type, m->data, m->len), 0);
    deliver(encrypter, to, 0);
}

#define A(x) [x] = 1
#define SERVER_ROWS                                                                                \
    {"server waits for ClientHello", TLSFLOW_SERVER, 0, {A(M_CLIENT_HELLO)}},                      \
        {"server waits for ClientKeyExchange", TLSFLOW_SERVER, 1, {A(M_CLIENT_KEY_EXCHANGE)}},     \
        {"server waits for ChangeCipherSpec", TLSFLOW_SERVER, 2, {A(M_CCS)}},                      \
        {"server waits for Finished", TLSFLOW_SERVER, 3, {A(M_FINISHED)}},                         \
    {                                                                                              \
        "server established", TLSFLOW_SERVER, 4,                                                   \
        {                                                                                          \
            A(M_APP_DATA), [M_CLIENT_HELLO] = 2                                                    \
        }                                                                                          \
    }
static const state_row RSA_ROWS[] = {
    SERVER_ROWS,
    {"client waits for ServerHello", TLSFLOW_CLIENT, 0, {A(M_SERVER_HELLO), [M_HELLO_REQUEST] = 2}},
    {"client waits for Certificate", TLSFLOW_CLIENT, 1, {A(M_CERTIFICATE), [M_HELLO_REQUEST] = 2}},
    {"client waits for ServerHelloDone",
     TLSFLOW_CLIENT,
     2,
     {A(M_SERVER_HELLO_DONE), A(M_CERTIFICATE_REQUEST), [M_HELLO_REQUEST] = 2}},
    {"client waits for ChangeCipherSpec", TLSFLOW_CLIENT, 3, {A(M_CCS), [M_HELLO_REQUEST] = 2}},
    {"client waits for Finished", TLSFLOW_CLIENT, 4, {A(M_FINISHED), [M_HELLO_REQUEST] = 2}},
    {"client established", TLSFLOW_CLIENT, 5, {A(M_APP_DATA), [M_HELLO_REQUEST] = 2}},
};
/* ECDHE: ServerKeyExchange is required after Certificate, CertificateRequest may follow it. */
static const state_row ECDHE_ROWS[] = {
    SERVER_ROWS,
    {"client waits for ServerHello", TLSFLOW_CLIENT, 0, {A(M_SERVER_HELLO), [M_HELLO_REQUEST] = 2}},
    {"client waits for Certificate", TLSFLOW_CLIENT, 1, {A(M_CERTIFICATE), [M_HELLO_REQUEST] = 2}},
    {"client waits for ServerKeyExchange",
     TLSFLOW_CLIENT,
     2,
     {A(M_SERVER_KEY_EXCHANGE), [M_HELLO_REQUEST] = 2}},
    {"client waits for ServerHelloDone",
     TLSFLOW_CLIENT,
     3,
     {A(M_SERVER_HELLO_DONE), A(M_CERTIFICATE_REQUEST), [M_HELLO_REQUEST] = 2}},
    {"client waits for ChangeCipherSpec", TLSFLOW_CLIENT, 4, {A(M_CCS), [M_HELLO_REQUEST] = 2}},
    {"client waits for Finished", TLSFLOW_CLIENT, 5, {A(M_FINISHED), [M_HELLO_REQUEST] = 2}},
    {"client established", TLSFLOW_CLIENT, 6, {A(M_APP_DATA), [M_HELLO_REQUEST] = 2}},
};

/* Every row x every message for one key exchange; returns the failures. */
static int run_matrix(const kx_mode *mode, const state_row *rows, size_t n_rows)
{
    int failures = 0;
    kx = mode;
    build_catalog();
    for (size_t r = 0; r < n_rows; r++) {
        for (int m = 0; m < M_COUNT; m++) {
            pair *p = pair_new();
            const state_row *row = &rows[r];
            tlsflow_conn *target = row->role == TLSFLOW_SERVER ? p->server : p->client;
            tlsflow_conn *enc = drive(p, row->role, row->depth);
            assert_int_equal(tlsflow_last_error(target), 0);
            inject(target, enc, &catalog[m]);
            tlsflow_poll(target);
            int err = tlsflow_last_error(target), alert = tlsflow_sent_alert(target);
            int ok;
            if (row->accepts[m] == 2) /* ignored, or refused with a warning only */
                ok = err == 0;
            else if (row->accepts[m]) /* accepted: any later failure is about content */
                ok = err != TLSFLOW_E_UNEXPECTED_MESSAGE;
            else
                ok = err == TLSFLOW_E_UNEXPECTED_MESSAGE &&
                     alert == TLSFLOW_ALERT_UNEXPECTED_MESSAGE;
            if (!ok) {
                print_error("%s: %s + %s: error %s, alert %d\n", kx->name, row->name,
                            catalog[m].name, tlsflow_error_name(err), alert);
                failures++;
            }
            pair_free(p);
        }
    }
    return failures;
}

static void test_state_message_matrix(void **state)
{
    (void)state;
    assert_int_equal(run_matrix(&RSA_KX, RSA_ROWS, sizeof(RSA_ROWS) / sizeof(RSA_ROWS[0])), 0);
}

static void test_state_message_matrix_ecdhe(void **state)
{
    (void)state;
    assert_int_equal(run_matrix(&ECDHE_KX, ECDHE_ROWS, sizeof(ECDHE_ROWS) / sizeof(ECDHE_ROWS[0])),
                     0);
}

/* A second ChangeCipherSpec after the first is a duplicate: unexpected_message. */
static void test_duplicate_ccs(void **state)
{
    (void)state;
    kx = &RSA_KX;
    build_catalog();
    pair *p = pair_new();
    drive(p, TLSFLOW_SERVER, 3);
    p->client->wr.seq = 0;
    inject(p->server, p->client, &catalog[M_CCS]);
    tlsflow_poll(p->server);
    assert_int_equal(tlsflow_last_error(p->server), TLSFLOW_E_UNEXPECTED_MESSAGE);
    pair_free(p);
}

/* ==== TLS 1.3 (RFC 8446) ================================================================

 * The sequences of handshake.c's FLOW_13 table rows, in both roles: the 1-RTT handshake,
 * the HelloRetryRequest path (the client's one share is for secp384r1, the server takes
 * only x25519), a server asking for a certificate (the client has none: an empty
 * Certificate), and a client that has one (Certificate, CertificateVerify). After
 * ServerHello every message is protected: the genuine flight of the peer is decrypted with
 * the secrets of the key log, and the first messages of it are written again through the
 * peer's own record layer (tf13_install with its handshake traffic secret) so that the
 * state under test is reached exactly; the injected record follows under the same keys.
 */

enum {
    T_CLIENT_HELLO,
    T_SERVER_HELLO,
    T_HELLO_RETRY_REQUEST,
    T_ENCRYPTED_EXTENSIONS,
    T_CERTIFICATE_REQUEST,
    T_CERTIFICATE,
    T_CERTIFICATE_VERIFY,
    T_FINISHED,
    T_NEW_SESSION_TICKET,
    T_KEY_UPDATE,
    T_END_OF_EARLY_DATA,
    T_SERVER_HELLO_DONE, /* TLS 1.2 only */
    T_CLIENT_KEY_EXCHANGE,
    T_UNKNOWN_HS,
    T_HELLO_REQUEST, /* hello_request_RESERVED in TLS 1.3 */
    T_CCS,           /* 01, in the clear: the dummy of RFC 8446 §5 */
    T_CCS_BAD,       /* 02, in the clear */
    T_CCS_PROTECTED, /* 01 as the inner type of a protected record */
    T_ALERT,         /* fatal handshake_failure */
    T_APP_DATA,
    T_COUNT
};

static msg catalog13[T_COUNT];

/* The secrets of the pair being driven, from its key log. */
static struct {
    uint8_t c_hs[32], s_hs[32];
} keys13;

static int unhex_into(const char *s, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

static void keylog13(void *ctx, const char *line)
{
    (void)ctx;
    const char *sp = strrchr(line, ' ');
    assert_non_null(sp);
    if (strncmp(line, "CLIENT_HANDSHAKE_TRAFFIC_SECRET ", 32) == 0)
        assert_int_equal(unhex_into(sp + 1, keys13.c_hs, 32), 0);
    else if (strncmp(line, "SERVER_HANDSHAKE_TRAFFIC_SECRET ", 32) == 0)
        assert_int_equal(unhex_into(sp + 1, keys13.s_hs, 32), 0);
}

/* The variants a pair takes. */
enum { V_HRR = 1, V_AUTH = 2, V_CERT = 4 };

static pair *pair13_new(int variant)
{
    pair *p = tft_pair_new();
    p->crng.state = 11;
    p->srng.state = 22;
    /* The client offers TLS 1.2 too; the server speaks only TLS 1.3. */
    static const uint16_t cs[] = {TLSFLOW_AES_128_GCM_SHA256,
                                  TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256};
    static const uint16_t ss[] = {TLSFLOW_AES_128_GCM_SHA256};
    assert_int_equal(tlsflow_config_set_cipher_suites(p->ccfg, cs, 2), 0);
    assert_int_equal(tlsflow_config_set_cipher_suites(p->scfg, ss, 1), 0);
    if (variant & V_HRR) {
        static const uint16_t cg[] = {TLSFLOW_GROUP_SECP384R1, TLSFLOW_GROUP_X25519};
        static const uint16_t sg[] = {TLSFLOW_GROUP_X25519};
        assert_int_equal(tlsflow_config_set_groups(p->ccfg, cg, 2), 0);
        assert_int_equal(tlsflow_config_set_groups(p->scfg, sg, 1), 0);
    }
    if (variant & (V_AUTH | V_CERT)) {
        size_t n;
        uint8_t *ca = tft_fixture("ca.pem", &n);
        assert_int_equal(tlsflow_config_add_trust_anchors(p->scfg, ca, n), 0);
        free(ca);
        assert_int_equal(tlsflow_config_set_client_auth(p->scfg, TLSFLOW_CLIENT_AUTH_OPTIONAL), 0);
    }
    if (variant & V_CERT)
        tft_add_credential(p->ccfg, "client.pem", "client.key", NULL);
    tlsflow_config_set_keylog(p->ccfg, keylog13, NULL);
    tlsflow_config_set_keylog(p->scfg, keylog13, NULL);
    memset(&keys13, 0, sizeof(keys13));
    tft_pair_start(p);
    return p;
}

static size_t record_len(const uint8_t *p, size_t n)
{
    assert_true(n >= 5);
    size_t len = 5 + (((size_t)p[3] << 8) | p[4]);
    assert_true(len <= n);
    return len;
}

/* Open a protected TLS 1.3 record (RFC 8446 §5.2, §5.3) under a traffic secret of
 * TLS_AES_128_GCM_SHA256; returns the content length and sets *type, or -1. */
static long open13(const uint8_t *secret, uint64_t seq, const uint8_t *rec, size_t len,
                   uint8_t *out, uint8_t *type)
{
    uint8_t key[16], iv[12];
    assert_int_equal(tf13_traffic_key(TF_HASH_SHA256, secret, key, 16, iv), 0);
    for (int i = 0; i < 8; i++)
        iv[4 + i] ^= (uint8_t)(seq >> (56 - 8 * i));
    if (len < 5 + 16 + 1)
        return -1;
    size_t n = len - 5 - 16;
    tf_aead a;
    memset(&a, 0, sizeof(a));
    assert_int_equal(tf_aead_setup(&a, TF_AEAD_AES_GCM, key, 16), 0);
    int bad = tf_aead_open(&a, iv, rec, 5, rec + 5, n, rec + 5 + n, out);
    tf_aead_free(&a);
    if (bad)
        return -1;
    while (n && out[n - 1] == 0)
        n--;
    assert_true(n > 0);
    *type = out[n - 1];
    return (long)n - 1;
}

/* A sender's output in records: the plaintext ones go to `to`; the protected ones are
 * opened with `secret` and their handshake messages collected in order. The output is
 * taken either way. */
typedef struct {
    uint8_t clear[4096]; /* the handshake messages of the plaintext records */
    size_t clear_len;
    uint8_t bytes[16384];
    size_t off[8], len[8], n;
    uint8_t wire[20000]; /* the protected records as they were */
    size_t wire_len;
} flight13;

static void split_output(tlsflow_conn *from, tlsflow_conn *to, const uint8_t *secret, flight13 *f)
{
    static uint8_t plain[20000];
    size_t n, used = 0, room;
    uint64_t seq = 0;
    memset(f, 0, offsetof(flight13, wire));
    f->wire_len = 0;
    assert_int_equal(tlsflow_poll(from), TLSFLOW_OUTPUT_READY);
    const uint8_t *p = tlsflow_out_buf(from, &n);
    for (size_t off = 0; off < n;) {
        size_t rl = record_len(p + off, n - off);
        if (p[off] != TF_CT_APPDATA) {
            if (p[off] == TF_CT_HANDSHAKE) {
                assert_true(f->clear_len + rl - 5 <= sizeof(f->clear));
                memcpy(f->clear + f->clear_len, p + off + 5, rl - 5);
                f->clear_len += rl - 5;
            }
            uint8_t *in = tlsflow_in_buf(to, &room);
            assert_true(rl <= room);
            memcpy(in, p + off, rl);
            tlsflow_in_ack(to, rl);
        } else {
            uint8_t type;
            long got = open13(secret, seq++, p + off, rl, plain, &type);
            assert_true(got >= 0);
            assert_int_equal(type, TF_CT_HANDSHAKE);
            assert_true(used + (size_t)got <= sizeof(f->bytes));
            memcpy(f->bytes + used, plain, (size_t)got);
            used += (size_t)got;
            assert_true(f->wire_len + rl <= sizeof(f->wire));
            memcpy(f->wire + f->wire_len, p + off, rl);
            f->wire_len += rl;
        }
        off += rl;
    }
    tlsflow_out_ack(from, n);
    for (size_t off = 0; off < used; f->n++) {
        assert_true(f->n < 8);
        f->off[f->n] = off;
        f->len[f->n] = next_message(f->bytes, used, off);
        off += f->len[f->n];
    }
}

/* Everything `from` has produced, in the clear, to `to`. */
static void pass_all(tlsflow_conn *from, tlsflow_conn *to)
{
    deliver(from, to, 0);
}

/* The first k messages of the flight, written again through the sender's record layer
 * under its handshake traffic secret (sequence numbers from 0), to `to`; or the whole
 * flight as it was when k covers it. Returns the connection that encrypts what is
 * injected next. */
static tlsflow_conn *replay_flight(tlsflow_conn *from, tlsflow_conn *to, const uint8_t *secret,
                                   const flight13 *f, size_t k)
{
    size_t room;
    if (k >= f->n) {
        uint8_t *in = tlsflow_in_buf(to, &room);
        assert_true(f->wire_len <= room);
        memcpy(in, f->wire, f->wire_len);
        tlsflow_in_ack(to, f->wire_len);
        return from; /* its write keys moved on with the flight: application keys */
    }
    assert_int_equal(tf13_install(from, 1, secret), 0);
    if (k) {
        size_t end = f->off[k - 1] + f->len[k - 1];
        assert_int_equal(tf_record_write(from, TF_CT_HANDSHAKE, f->bytes, end), 0);
        pass_all(from, to);
    }
    return from;
}

/* Drive a fresh pair of the variant until `role`'s side has received `depth` messages of
 * its peer (counting the HelloRetryRequest and both ClientHellos); at the end of the
 * peer's sequence the side is established. Returns the peer, whose record layer protects
 * what is injected (NULL: the state reads plaintext). */
static tlsflow_conn *drive13(pair *p, tlsflow_role role, int variant, int depth)
{
    static flight13 f;
    int k = depth;
    if (k == 0)
        return NULL; /* the client's ClientHello is out; nobody has read anything */
    if (role == TLSFLOW_SERVER) {
        pass_all(p->client, p->server); /* ClientHello */
        k--;
        if (variant & V_HRR) {
            pass_all(p->server, p->client); /* HelloRetryRequest [+ ChangeCipherSpec] */
            if (k == 0)
                return NULL;                /* waiting for the second ClientHello */
            pass_all(p->client, p->server); /* [ChangeCipherSpec +] ClientHello */
            k--;
        }
        pass_all(p->server, p->client); /* ServerHello .. Finished */
        /* The secret is read once the client has taken the ServerHello (inside). */
        split_output(p->client, p->server, keys13.c_hs, &f); /* [CCS], Certificate .. Finished */
        return replay_flight(p->client, p->server, keys13.c_hs, &f, (size_t)k);
    }
    pass_all(p->client, p->server); /* ClientHello */
    if (variant & V_HRR) {
        pass_all(p->server, p->client); /* HelloRetryRequest [+ ChangeCipherSpec] */
        if (--k == 0)
            return NULL;                /* waiting for the second ServerHello */
        pass_all(p->client, p->server); /* [ChangeCipherSpec +] ClientHello */
    }
    split_output(p->server, p->client, keys13.s_hs, &f); /* ServerHello [+ CCS] pass */
    return replay_flight(p->server, p->client, keys13.s_hs, &f, (size_t)(k - 1));
}

static void set13(int id, const char *name, uint8_t type, const uint8_t *p, size_t n)
{
    assert_true(n <= sizeof(catalog13[id].data));
    catalog13[id].name = name;
    catalog13[id].type = type;
    memcpy(catalog13[id].data, p, n);
    catalog13[id].len = n;
}

/* The messages to inject: the hellos and the server's flight from real handshakes (one
 * with a client certificate requested, one with a HelloRetryRequest), the rest written
 * here by their RFC 8446 §4 layouts. */
static void build_catalog13(void)
{
    static flight13 f;
    pair *p = pair13_new(V_AUTH);
    pass_all(p->client, p->server);
    split_output(p->server, p->client, keys13.s_hs, &f);
    set13(T_SERVER_HELLO, "ServerHello", TF_CT_HANDSHAKE, f.clear, f.clear_len);
    static const struct {
        int id;
        const char *name;
        uint8_t type;
    } flight[] = {{T_ENCRYPTED_EXTENSIONS, "EncryptedExtensions", TF_HS_ENCRYPTED_EXTENSIONS},
                  {T_CERTIFICATE_REQUEST, "CertificateRequest", TF_HS_CERTIFICATE_REQUEST},
                  {T_CERTIFICATE, "Certificate", TF_HS_CERTIFICATE},
                  {T_CERTIFICATE_VERIFY, "CertificateVerify", TF_HS_CERTIFICATE_VERIFY},
                  {T_FINISHED, "Finished", TF_HS_FINISHED}};
    assert_int_equal(f.n, 5);
    for (size_t i = 0; i < 5; i++) {
        assert_int_equal(f.bytes[f.off[i]], flight[i].type);
        set13(flight[i].id, flight[i].name, TF_CT_HANDSHAKE, f.bytes + f.off[i], f.len[i]);
    }
    pair_free(p);

    p = pair13_new(V_HRR);
    static uint8_t buf[4096];
    size_t n = take_output(p->client, buf, sizeof(buf));
    set13(T_CLIENT_HELLO, "ClientHello", TF_CT_HANDSHAKE, buf + 5, n - 5);
    feed_plain(p->server, TF_CT_HANDSHAKE, buf + 5, n - 5);
    split_output(p->server, p->client, keys13.s_hs, &f);
    assert_int_equal(f.n, 0);
    set13(T_HELLO_RETRY_REQUEST, "HelloRetryRequest", TF_CT_HANDSHAKE, f.clear, f.clear_len);
    pair_free(p);

    /* lifetime 3600, age_add 1, nonce 00, ticket ab cd, no extensions (§4.6.1) */
    static const uint8_t nst[] = {4, 0, 0, 16, 0, 0, 0x0e, 0x10, 0, 0,
                                  0, 1, 1, 0,  0, 2, 0xab, 0xcd, 0, 0};
    static const uint8_t ku[] = {24, 0, 0, 1, 0}; /* update_not_requested (§4.6.3) */
    static const uint8_t eoed[] = {5, 0, 0, 0};
    static const uint8_t shd[] = {14, 0, 0, 0};
    static const uint8_t cke[] = {16, 0, 0, 1, 0};
    static const uint8_t unk[] = {99, 0, 0, 0}, hello_request[] = {0, 0, 0, 0};
    static const uint8_t ccs[] = {1}, ccs_bad[] = {2}, app[] = {'h', 'i'};
    static const uint8_t alert[] = {2, TLSFLOW_ALERT_HANDSHAKE_FAILURE};
    set13(T_NEW_SESSION_TICKET, "NewSessionTicket", TF_CT_HANDSHAKE, nst, sizeof(nst));
    set13(T_KEY_UPDATE, "KeyUpdate", TF_CT_HANDSHAKE, ku, sizeof(ku));
    set13(T_END_OF_EARLY_DATA, "EndOfEarlyData", TF_CT_HANDSHAKE, eoed, sizeof(eoed));
    set13(T_SERVER_HELLO_DONE, "ServerHelloDone (TLS 1.2)", TF_CT_HANDSHAKE, shd, sizeof(shd));
    set13(T_CLIENT_KEY_EXCHANGE, "ClientKeyExchange (TLS 1.2)", TF_CT_HANDSHAKE, cke, sizeof(cke));
    set13(T_UNKNOWN_HS, "unknown handshake type 99", TF_CT_HANDSHAKE, unk, sizeof(unk));
    set13(T_HELLO_REQUEST, "HelloRequest", TF_CT_HANDSHAKE, hello_request, 4);
    set13(T_CCS, "ChangeCipherSpec 01", TF_CT_CCS, ccs, 1);
    set13(T_CCS_BAD, "ChangeCipherSpec 02", TF_CT_CCS, ccs_bad, 1);
    set13(T_CCS_PROTECTED, "protected ChangeCipherSpec", TF_CT_CCS, ccs, 1);
    set13(T_ALERT, "fatal handshake_failure alert", TF_CT_ALERT, alert, 2);
    set13(T_APP_DATA, "application data", TF_CT_APPDATA, app, sizeof(app));
}

/* A protected record whose inner content type is `inner`, sealed with the sender's write
 * keys and sequence number (RFC 8446 §5.2): what tf_record_write never makes of a
 * ChangeCipherSpec. */
static void write_protected(tlsflow_conn *from, tlsflow_conn *to, uint8_t inner,
                            const uint8_t *data, size_t len)
{
    tf_direction *d = &from->wr;
    assert_true(d->active && d->tls13);
    uint8_t rec[64], nonce[12];
    size_t n = len + 1;
    assert_true(5 + n + 16 <= sizeof(rec));
    rec[0] = TF_CT_APPDATA;
    rec[1] = 3;
    rec[2] = 3;
    rec[3] = (uint8_t)((n + 16) >> 8);
    rec[4] = (uint8_t)(n + 16);
    memcpy(rec + 5, data, len);
    rec[5 + len] = inner;
    memcpy(nonce, d->fixed_iv, 12);
    for (int i = 0; i < 8; i++)
        nonce[4 + i] ^= (uint8_t)(d->seq >> (56 - 8 * i));
    assert_int_equal(
        tf_aead_seal(&from->work->aead[1], nonce, rec, 5, rec + 5, n, rec + 5, rec + 5 + n), 0);
    d->seq++;
    size_t room;
    uint8_t *in = tlsflow_in_buf(to, &room);
    assert_true(5 + n + 16 <= room);
    memcpy(in, rec, 5 + n + 16);
    tlsflow_in_ack(to, 5 + n + 16);
}

static void inject13(tlsflow_conn *to, tlsflow_conn *enc, int id)
{
    const msg *m = &catalog13[id];
    if (id == T_CCS_PROTECTED) {
        write_protected(enc, to, TF_CT_CCS, m->data, m->len);
        return;
    }
    if (!enc) {
        feed_plain(to, m->type, m->data, m->len);
        return;
    }
    /* Through the sender's record layer: protected, but a ChangeCipherSpec in the clear. */
    assert_int_equal(tf_record_write(enc, m->type, m->data, m->len), 0);
    pass_all(enc, to);
}

/* What a state does with a message. */
enum {
    W_REFUSED = 0, /* unexpected_message, and that alert sent */
    W_TAKEN,       /* accepted as the next message (its content may still fail) */
    W_QUIET,       /* taken or dropped without any error */
    W_PEER         /* the peer's fatal alert ends the connection: nothing sent back */
};

typedef struct {
    const char *name;
    tlsflow_role role;
    int variant;
    int depth; /* messages of the peer received (drive13) */
    uint8_t want[T_COUNT];
} row13;

#define PEER_ALERT [T_ALERT] = W_PEER
/* RFC 8446 §5: between the first ClientHello and the peer's Finished, a ChangeCipherSpec
 * of the single byte 01 in the clear is dropped; 02, or one inside a protected record, is
 * unexpected_message. */
#define DUMMY_CCS [T_CCS] = W_QUIET
#define TAKES(m)  [m] = W_TAKEN
/* RFC 8446 §4.6: after the handshake, KeyUpdate (both roles) and NewSessionTicket (from
 * the server) are the only handshake messages. */
#define SERVER_DONE PEER_ALERT, [T_KEY_UPDATE] = W_QUIET, [T_APP_DATA] = W_QUIET
#define CLIENT_DONE SERVER_DONE, [T_NEW_SESSION_TICKET] = W_QUIET

#define S TLSFLOW_SERVER
#define C TLSFLOW_CLIENT
/* clang-format off */
static const row13 ROWS13[] = {
    {"server waits for ClientHello", S, 0, 0, {TAKES(T_CLIENT_HELLO), PEER_ALERT}},
    {"server waits for Finished", S, 0, 1, {TAKES(T_FINISHED), DUMMY_CCS, PEER_ALERT}},
    {"server established", S, 0, 2, {SERVER_DONE}},
    {"server (HRR) waits for ClientHello 2", S, V_HRR, 1,
     {TAKES(T_CLIENT_HELLO), DUMMY_CCS, PEER_ALERT}},
    {"server (HRR) waits for Finished", S, V_HRR, 2, {TAKES(T_FINISHED), DUMMY_CCS, PEER_ALERT}},
    {"server (HRR) established", S, V_HRR, 3, {SERVER_DONE}},
    {"server (asked, client has none) waits for Certificate", S, V_AUTH, 1,
     {TAKES(T_CERTIFICATE), DUMMY_CCS, PEER_ALERT}},
    {"server (asked, empty Certificate) waits for Finished", S, V_AUTH, 2,
     {TAKES(T_FINISHED), DUMMY_CCS, PEER_ALERT}},
    {"server (asked, client has none) established", S, V_AUTH, 3, {SERVER_DONE}},
    {"server (asked) waits for Certificate", S, V_CERT, 1,
     {TAKES(T_CERTIFICATE), DUMMY_CCS, PEER_ALERT}},
    {"server (asked) waits for CertificateVerify", S, V_CERT, 2,
     {TAKES(T_CERTIFICATE_VERIFY), DUMMY_CCS, PEER_ALERT}},
    {"server (asked) waits for Finished", S, V_CERT, 3,
     {TAKES(T_FINISHED), DUMMY_CCS, PEER_ALERT}},
    {"server (asked) established", S, V_CERT, 4, {SERVER_DONE}},
    {"server (HRR, asked) waits for Certificate", S, V_HRR | V_CERT, 2,
     {TAKES(T_CERTIFICATE), DUMMY_CCS, PEER_ALERT}},
    {"server (HRR, asked) waits for CertificateVerify", S, V_HRR | V_CERT, 3,
     {TAKES(T_CERTIFICATE_VERIFY), DUMMY_CCS, PEER_ALERT}},
    {"server (HRR, asked) waits for Finished", S, V_HRR | V_CERT, 4,
     {TAKES(T_FINISHED), DUMMY_CCS, PEER_ALERT}},
    /* The client offers TLS 1.2 too: until ServerHello chooses, TLS 1.2's rules hold, where a
     * ChangeCipherSpec before ServerHello is unexpected_message and HelloRequest ignored. */
    {"client waits for ServerHello", C, 0, 0,
     {TAKES(T_SERVER_HELLO), TAKES(T_HELLO_RETRY_REQUEST), [T_HELLO_REQUEST] = W_QUIET,
      PEER_ALERT}},
    {"client waits for EncryptedExtensions", C, 0, 1,
     {TAKES(T_ENCRYPTED_EXTENSIONS), DUMMY_CCS, PEER_ALERT}},
    {"client waits for Certificate", C, 0, 2,
     {TAKES(T_CERTIFICATE), TAKES(T_CERTIFICATE_REQUEST), DUMMY_CCS, PEER_ALERT}},
    {"client waits for CertificateVerify", C, 0, 3,
     {TAKES(T_CERTIFICATE_VERIFY), DUMMY_CCS, PEER_ALERT}},
    {"client waits for Finished", C, 0, 4, {TAKES(T_FINISHED), DUMMY_CCS, PEER_ALERT}},
    {"client established", C, 0, 5, {CLIENT_DONE}},
    /* RFC 8446 §4.1.4: a second HelloRetryRequest is unexpected_message. */
    {"client (HRR) waits for ServerHello 2", C, V_HRR, 1,
     {TAKES(T_SERVER_HELLO), DUMMY_CCS, PEER_ALERT}},
    {"client (HRR) waits for EncryptedExtensions", C, V_HRR, 2,
     {TAKES(T_ENCRYPTED_EXTENSIONS), DUMMY_CCS, PEER_ALERT}},
    {"client (HRR) waits for Certificate", C, V_HRR, 3,
     {TAKES(T_CERTIFICATE), TAKES(T_CERTIFICATE_REQUEST), DUMMY_CCS, PEER_ALERT}},
    {"client (HRR) waits for CertificateVerify", C, V_HRR, 4,
     {TAKES(T_CERTIFICATE_VERIFY), DUMMY_CCS, PEER_ALERT}},
    {"client (HRR) waits for Finished", C, V_HRR, 5, {TAKES(T_FINISHED), DUMMY_CCS, PEER_ALERT}},
    {"client (HRR) established", C, V_HRR, 6, {CLIENT_DONE}},
    {"client (asked) waits for Certificate", C, V_AUTH, 3,
     {TAKES(T_CERTIFICATE), DUMMY_CCS, PEER_ALERT}},
    {"client (asked) waits for CertificateVerify", C, V_AUTH, 4,
     {TAKES(T_CERTIFICATE_VERIFY), DUMMY_CCS, PEER_ALERT}},
    {"client (asked) waits for Finished", C, V_AUTH, 5, {TAKES(T_FINISHED), DUMMY_CCS, PEER_ALERT}},
    {"client (asked) established", C, V_AUTH, 6, {CLIENT_DONE}},
    {"client (HRR, asked) waits for Certificate", C, V_HRR | V_AUTH, 4,
     {TAKES(T_CERTIFICATE), DUMMY_CCS, PEER_ALERT}},
    {"client (HRR, asked) waits for Finished", C, V_HRR | V_AUTH, 6,
     {TAKES(T_FINISHED), DUMMY_CCS, PEER_ALERT}},
};
/* clang-format on */
#undef S
#undef C

static int check13(const row13 *row, int m, tlsflow_conn *target)
{
    int err = tlsflow_last_error(target), sent = tlsflow_sent_alert(target);
    switch (row->want[m]) {
    case W_TAKEN:
        return err != TLSFLOW_E_UNEXPECTED_MESSAGE;
    case W_QUIET:
        return err == 0;
    case W_PEER:
        return err == TLSFLOW_E_PEER_ALERT &&
               tlsflow_peer_alert(target) == TLSFLOW_ALERT_HANDSHAKE_FAILURE && sent < 0;
    default:
        return err == TLSFLOW_E_UNEXPECTED_MESSAGE && sent == TLSFLOW_ALERT_UNEXPECTED_MESSAGE;
    }
}

/* Every row x every message; returns the failures. */
static int run_matrix13(int *cells)
{
    int failures = 0;
    build_catalog13();
    *cells = 0;
    for (size_t r = 0; r < sizeof(ROWS13) / sizeof(ROWS13[0]); r++) {
        const row13 *row = &ROWS13[r];
        for (int m = 0; m < T_COUNT; m++) {
            pair *p = pair13_new(row->variant);
            tlsflow_conn *target = row->role == TLSFLOW_SERVER ? p->server : p->client;
            tlsflow_conn *enc = drive13(p, row->role, row->variant, row->depth);
            tlsflow_poll(target);
            if (tlsflow_last_error(target))
                fail_msg("%s: the way there failed: %s", row->name,
                         tlsflow_last_error_text(target));
            if (m == T_CCS_PROTECTED && !enc) { /* no keys yet: nothing to protect with */
                pair_free(p);
                continue;
            }
            inject13(target, enc, m);
            tlsflow_poll(target);
            (*cells)++;
            if (!check13(row, m, target)) {
                print_error("TLS 1.3: %s + %s: error %s (%s), alert sent %d\n", row->name,
                            catalog13[m].name, tlsflow_error_name(tlsflow_last_error(target)),
                            tlsflow_last_error_text(target), tlsflow_sent_alert(target));
                failures++;
            }
            pair_free(p);
        }
    }
    return failures;
}

static void test_state_message_matrix_tls13(void **state)
{
    (void)state;
    int cells, failures = run_matrix13(&cells);
    print_message("TLS 1.3: %d cells checked\n", cells);
    assert_int_equal(failures, 0);
}

/* Regression (found by this matrix): after a non-empty client Certificate the server's
 * sequence expects CertificateVerify, and a Finished in its place used to switch it to the
 * sequence without one, so a client that had only the public client.pem was
 * authenticated. RFC 8446 §4.4.3: a client that sends a certificate MUST send
 * CertificateVerify; anything else there is unexpected_message (§4). The client here has
 * no key at all and computes a valid Finished over the transcript through the
 * certificate. */
static void test_tls13_client_certificate_without_verify(void **state)
{
    (void)state;
    /* A client without any key (the server asks, it has no credential) presents the
     * public certificate of client.pem in place of its empty Certificate. */
    static flight13 sf, cf;
    static uint8_t ch[4096], pem_der[4096], msgs[8192];
    pair *p = pair13_new(V_AUTH);
    size_t n = take_output(p->client, ch, sizeof(ch));
    feed_plain(p->server, TF_CT_HANDSHAKE, ch + 5, n - 5);
    split_output(p->server, p->client, keys13.s_hs, &sf); /* ServerHello .. Finished */
    replay_flight(p->server, p->client, keys13.s_hs, &sf, sf.n);
    split_output(p->client, p->server, keys13.c_hs, &cf); /* empty Certificate, Finished */
    assert_int_equal(cf.n, 2);
    size_t pem_len, der_len;
    uint8_t *pem = tft_fixture("client.pem", &pem_len);
    assert_int_equal(
        tf_pem_cert_to_der((const char *)pem, pem_len, pem_der, sizeof(pem_der), &der_len), 0);
    free(pem);
    /* RFC 8446 §4.4.2: context, certificate_list of {cert_data, extensions}. */
    size_t list = 3 + der_len + 2, body = 1 + 3 + list, m = 0;
    const size_t lens[] = {body, list, der_len};
    msgs[m++] = TF_HS_CERTIFICATE;
    for (int i = 0; i < 3; i++) {
        msgs[m++] = (uint8_t)(lens[i] >> 16);
        msgs[m++] = (uint8_t)(lens[i] >> 8);
        msgs[m++] = (uint8_t)lens[i];
        if (i == 0)
            msgs[m++] = 0; /* empty certificate_request_context, as the server sent */
    }
    memcpy(msgs + m, pem_der, der_len);
    m += der_len;
    msgs[m++] = 0;
    msgs[m++] = 0;
    size_t cert_len = m;
    /* ... then a Finished over the transcript through that Certificate: the handshake
     * secret is the client's own, no private key is involved. */
    tf_hash h;
    uint8_t hash[32];
    size_t flight_end = sf.off[sf.n - 1] + sf.len[sf.n - 1];
    assert_int_equal(tf_hash_init(&h, TF_HASH_SHA256), 0);
    assert_int_equal(tf_hash_update(&h, ch + 5, n - 5), 0);
    assert_int_equal(tf_hash_update(&h, sf.clear, sf.clear_len), 0);
    assert_int_equal(tf_hash_update(&h, sf.bytes, flight_end), 0);
    assert_int_equal(tf_hash_update(&h, msgs, cert_len), 0);
    assert_int_equal(tf_hash_peek(&h, hash), 0);
    tf_hash_free(&h);
    msgs[m++] = TF_HS_FINISHED;
    msgs[m++] = 0;
    msgs[m++] = 0;
    msgs[m++] = 32;
    assert_int_equal(tf13_finished(TF_HASH_SHA256, keys13.c_hs, hash, msgs + m), 0);
    m += 32;
    assert_int_equal(tf13_install(p->client, 1, keys13.c_hs), 0);
    assert_int_equal(tf_record_write(p->client, TF_CT_HANDSHAKE, msgs, m), 0);
    pass_all(p->client, p->server);
    tlsflow_event ev = tlsflow_poll(p->server);
    const tlsflow_info *si = tlsflow_get_info(p->server);
    print_message("server: event %d, error %s, client_cert_sent %d, verdict %d, subject %s\n", ev,
                  tlsflow_error_name(tlsflow_last_error(p->server)), si->client_cert_sent,
                  si->client_cert_verdict, si->client_cert.subject);
    assert_int_equal(tlsflow_last_error(p->server), TLSFLOW_E_UNEXPECTED_MESSAGE);
    assert_int_equal(tlsflow_sent_alert(p->server), TLSFLOW_ALERT_UNEXPECTED_MESSAGE);
    pair_free(p);
}

/* RFC 8446 §4.3.2: a CertificateRequest during the handshake has an empty
 * certificate_request_context ("SHALL be zero length"); our client refuses one with a
 * context (illegal_parameter) instead of echoing it (found by fuzz_tls13). */
static void test_tls13_certificate_request_context(void **state)
{
    (void)state;
    build_catalog13();
    const msg *cr = &catalog13[T_CERTIFICATE_REQUEST];
    assert_int_equal(cr->data[4], 0); /* the real one: an empty context */
    uint8_t m[sizeof(cr->data) + 2];
    size_t body = cr->len - 4 + 2;
    m[0] = TF_HS_CERTIFICATE_REQUEST;
    m[1] = (uint8_t)(body >> 16);
    m[2] = (uint8_t)(body >> 8);
    m[3] = (uint8_t)body;
    m[4] = 2; /* context ab cd */
    m[5] = 0xab;
    m[6] = 0xcd;
    memcpy(m + 7, cr->data + 5, cr->len - 5);
    pair *p = pair13_new(V_AUTH);
    tlsflow_conn *enc = drive13(p, TLSFLOW_CLIENT, V_AUTH, 2); /* after EncryptedExtensions */
    tlsflow_poll(p->client);
    assert_int_equal(tlsflow_last_error(p->client), 0);
    assert_int_equal(tf_record_write(enc, TF_CT_HANDSHAKE, m, cr->len + 2), 0);
    pass_all(enc, p->client);
    tlsflow_poll(p->client);
    assert_int_equal(tlsflow_last_error(p->client), TLSFLOW_E_ILLEGAL_PARAMETER);
    assert_int_equal(tlsflow_sent_alert(p->client), TLSFLOW_ALERT_ILLEGAL_PARAMETER);
    pair_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_message_matrix),
        cmocka_unit_test(test_state_message_matrix_ecdhe),
        cmocka_unit_test(test_duplicate_ccs),
        cmocka_unit_test(test_state_message_matrix_tls13),
        cmocka_unit_test(test_tls13_client_certificate_without_verify),
        cmocka_unit_test(test_tls13_certificate_request_context),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
