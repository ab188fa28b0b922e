/* The state × message matrix: every handshake message (and ChangeCipherSpec and
 * application data) injected into every state of both roles. Exactly the message the
 * RFC allows there is accepted; everything else ends in unexpected_message.
 * Covers the RSA key-transport and the ECDHE sequences, in plaintext and encrypted
 * states. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_message_matrix),
        cmocka_unit_test(test_state_message_matrix_ecdhe),
        cmocka_unit_test(test_duplicate_ccs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
