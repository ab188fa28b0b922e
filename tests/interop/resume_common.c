/* See resume_common.h: the pump, the wire read back, the resumed/full checks, and the
 * scenarios that the OpenSSL and wolfSSL resumption tests both run. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resume_common.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

const tlsflow_ticket_key RS_KEY_A = {"resume-key-A-01", "0123456789abcdef0123456789abcde"};
const tlsflow_ticket_key RS_KEY_B = {"resume-key-B-02", "fedcba9876543210fedcba987654321"};

int64_t rs_now = TF_TEST_TIME;
static tft_rng g_rng = {1200};

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- our engine's side ------------------------------------------------------------- */

static int64_t clock_now(void *ctx)
{
    (void)ctx;
    return rs_now;
}

static void on_trace(void *ctx, const tlsflow_conn *conn, const tlsflow_trace_event *ev)
{
    (void)conn;
    rs_events *e = ctx;
    if ((unsigned)ev->step < ARRAY_LEN(e->steps))
        e->steps[ev->step]++;
}

static void on_session(void *ctx, tlsflow_conn *conn, const uint8_t *session, size_t len)
{
    (void)conn;
    rs_events *e = ctx;
    assert_true(len <= sizeof(e->session));
    memcpy(e->session, session, len);
    e->session_len = len;
    e->sessions++;
}

/* RFC 8446 §4.6.1: ticket_lifetime, ticket_age_add, then nonce, ticket, extensions. */
static void on_ticket(void *ctx, tlsflow_conn *conn, const uint8_t *body, size_t len)
{
    (void)conn;
    rs_events *e = ctx;
    assert_true(len >= 8);
    e->nst_lifetime = get32(body);
    e->nst_age_add = get32(body + 4);
    e->nsts++;
}

tlsflow_config *rs_our_client(uint16_t suite)
{
    tlsflow_config *cfg = tft_client_config(NULL);
    if (suite)
        assert_int_equal(tlsflow_config_set_cipher_suites(cfg, &suite, 1), 0);
    return cfg;
}

tlsflow_config *rs_our_server(uint16_t version, const tlsflow_ticket_key *k1,
                              const tlsflow_ticket_key *k2, uint32_t lifetime, unsigned count)
{
    tlsflow_config *cfg = tlsflow_config_new(TLSFLOW_SERVER);
    assert_non_null(cfg);
    tft_add_credential(cfg, "server.pem", "server.key", NULL);
    if (version)
        assert_int_equal(tlsflow_config_set_versions(cfg, version, version), 0);
    tlsflow_ticket_key keys[2];
    size_t n = 0;
    if (k1)
        keys[n++] = *k1;
    if (k2)
        keys[n++] = *k2;
    assert_int_equal(tlsflow_config_set_ticket_keys(cfg, keys, n), 0);
    assert_int_equal(tlsflow_config_set_ticket_policy(cfg, lifetime, count), 0);
    return cfg;
}

static int b64(char c)
{
    const char *set = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *at = strchr(set, c);
    return c && at ? (int)(at - set) : -1;
}

size_t rs_leaf_der_len(void)
{
    size_t n;
    uint8_t *pem = tft_fixture("server.pem", &n);
    const char *begin = strstr((const char *)pem, "-----BEGIN CERTIFICATE-----\n");
    assert_non_null(begin);
    const char *s = begin + strlen("-----BEGIN CERTIFICATE-----\n");
    uint8_t der[6];
    for (int i = 0; i < 2; i++) { /* 8 characters: the first 6 bytes of the DER */
        uint32_t v = 0;
        for (int j = 0; j < 4; j++) {
            int d = b64(s[4 * i + j]);
            assert_true(d >= 0);
            v = v << 6 | (uint32_t)d;
        }
        der[3 * i] = (uint8_t)(v >> 16);
        der[3 * i + 1] = (uint8_t)(v >> 8);
        der[3 * i + 2] = (uint8_t)v;
    }
    free(pem);
    assert_int_equal(der[0], 0x30); /* SEQUENCE, two length bytes */
    assert_int_equal(der[1], 0x82);
    return 4 + get16(der + 2);
}

/* ---- the wire ---------------------------------------------------------------------- */

static void pre_shared_key(const uint8_t *e, size_t len, size_t at, rs_hello *h)
{
    if (len < 2)
        return;
    size_t ids_end = 2 + (size_t)get16(e), p = 2;
    if (ids_end > len)
        return;
    while (p + 2 <= ids_end) {
        size_t il = get16(e + p);
        if (p + 2 + il + 4 > ids_end)
            return;
        if (h->psk_identities++ == 0) {
            h->identity_len = il;
            h->identity_at = at + p + 2;
            h->obfuscated_age = get32(e + p + 2 + il);
        }
        p += 2 + il + 4;
    }
    if (ids_end + 3 <= len && ids_end + 3 + e[ids_end + 2] <= len) {
        h->binder_len = e[ids_end + 2];
        h->binder_at = at + ids_end + 3;
    }
}

/* A ClientHello or ServerHello body (RFC 8446 §4.1.2, §4.1.3). */
static void hello_parse(const uint8_t *b, size_t n, int client, rs_hello *h)
{
    memset(h, 0, sizeof(*h));
    h->seen = 1;
    if (n < 35)
        return;
    h->version = get16(b);
    h->offers12 = client && h->version == V12; /* unless supported_versions says otherwise */
    size_t o = 34, sid = b[o];
    if (sid > sizeof(h->session_id) || o + 1 + sid > n)
        return;
    memcpy(h->session_id, b + o + 1, sid);
    h->session_id_len = sid;
    o += 1 + sid;
    if (client) {
        if (o + 2 > n)
            return;
        o += 2 + (size_t)get16(b + o); /* cipher suites */
        if (o + 1 > n)
            return;
        o += 1 + (size_t)b[o]; /* compression methods */
    } else {
        o += 3; /* cipher suite, compression method */
    }
    if (o + 2 > n)
        return;
    size_t end = o + 2 + (size_t)get16(b + o);
    if (end > n)
        end = n;
    for (o += 2; o + 4 <= end;) {
        uint16_t type = get16(b + o);
        size_t len = get16(b + o + 2);
        o += 4;
        if (o + len > end)
            return;
        const uint8_t *e = b + o;
        if (type == 35) { /* session_ticket */
            h->ticket_ext = 1;
            h->ticket_len = len;
            h->ticket_at = o;
        } else if (type == 43 && !client && len == 2) { /* supported_versions */
            h->version = get16(e);
        } else if (type == 43 && client && len >= 1) {
            h->offers12 = 0;
            for (size_t i = 1; i + 2 <= len && i < 1 + (size_t)e[0]; i += 2) {
                h->offers12 |= get16(e + i) == V12;
                h->offers13 |= get16(e + i) == V13;
            }
        } else if (type == 41) { /* pre_shared_key */
            h->psk = 1;
            if (client)
                pre_shared_key(e, len, o, h);
            else if (len == 2)
                h->psk_selected = get16(e);
        }
        o += len;
    }
}

/* RFC 8446 §4.1.3: a HelloRetryRequest is a ServerHello with this random. */
static const uint8_t HRR_RANDOM[32] = {
    0xCF, 0x21, 0xAD, 0x74, 0xE5, 0x9A, 0x61, 0x11, 0xBE, 0x1D, 0x8C, 0x02, 0x1E, 0x65, 0xB8, 0x91,
    0xC2, 0xA2, 0x11, 0x16, 0x7A, 0xBB, 0x8C, 0x5E, 0x07, 0x9E, 0x09, 0xE2, 0xC8, 0xA8, 0x33, 0x9C};

static int tls13(const rs_link *l)
{
    return l->s2c.hello.version == V13 || l->s2c.hrr; /* only TLS 1.3 has HelloRetryRequest */
}

/* Flip a byte of the ticket or the binder of a ClientHello record's body, in place. */
static void tamper(rs_link *l, uint8_t *body, size_t len)
{
    size_t mlen = (size_t)body[1] << 16 | (size_t)body[2] << 8 | body[3];
    if (4 + mlen > len)
        fail_msg("the ClientHello spans records: cannot tamper with it here");
    rs_hello h;
    hello_parse(body + 4, mlen, 1, &h);
    size_t at = 0;
    if (l->tamper == RS_TAMPER_TICKET && h.identity_len)
        at = h.identity_at + h.identity_len / 2;
    else if (l->tamper == RS_TAMPER_TICKET && h.ticket_len)
        at = h.ticket_at + h.ticket_len / 2;
    else if (l->tamper == RS_TAMPER_BINDER && h.binder_len)
        at = h.binder_at + h.binder_len / 2;
    if (!at)
        fail_msg("the ClientHello carries nothing to tamper with");
    body[4 + at] ^= 0x01;
    l->tampered = 1;
}

static void wire_message(rs_link *l, rs_wire *w, const uint8_t *m, size_t n)
{
    const uint8_t *b = m + 4;
    size_t bn = n - 4;
    w->msgs[m[0]]++;
    if (m[0] == RS_HS_CLIENT_HELLO && w == &l->c2s)
        hello_parse(b, bn, 1, &w->hello);
    if (m[0] == RS_HS_SERVER_HELLO && w == &l->s2c && bn >= 34 &&
        memcmp(b + 2, HRR_RANDOM, 32) == 0) {
        w->hrr++;
    } else if (m[0] == RS_HS_SERVER_HELLO && w == &l->s2c) {
        hello_parse(b, bn, 0, &w->hello);
        l->flight_start = w->rec_start;
    }
    if (m[0] == RS_HS_NEW_SESSION_TICKET && bn >= 6) { /* RFC 5077 §3.3 */
        w->nst12++;
        w->nst12_lifetime = get32(b);
    }
}

static void wire_record(rs_link *l, rs_wire *w, int c2s, int from_engine)
{
    uint8_t type = w->rec[0], *body = w->rec + 5;
    size_t len = w->rec_len - 5;
    if (c2s && l->tamper && !l->tampered && type == 22 && len > 4 && body[0] == 1)
        tamper(l, body, len);
    if (c2s && l->s2c.hello.seen && !l->flight_known) {
        l->server_flight = l->s2c.bytes - l->flight_start;
        l->flight_known = 1;
    }
    w->rec_start = w->bytes;
    w->bytes += w->rec_len;
    w->records++;
    if (type == 20)
        w->ccs = 1;
    /* TLS 1.2 encrypts handshake records after ChangeCipherSpec; TLS 1.3 sends every
     * encrypted record as application_data. */
    if (type == 22 && (!w->ccs || tls13(l))) {
        assert_true(w->hs_len + len <= sizeof(w->hs));
        memcpy(w->hs + w->hs_len, body, len);
        w->hs_len += len;
        size_t o = 0;
        while (w->hs_len - o >= 4) {
            size_t m = 4 + ((size_t)w->hs[o + 1] << 16 | (size_t)w->hs[o + 2] << 8 | w->hs[o + 3]);
            if (w->hs_len - o < m)
                break;
            wire_message(l, w, w->hs + o, m);
            o += m;
        }
        memmove(w->hs, w->hs + o, w->hs_len - o);
        w->hs_len -= o;
    }
    if (from_engine)
        l->ops->feed(l->end, w->rec, w->rec_len);
    else if (!(l->hold_server_flight && l->s2c.hello.seen && type == 23))
        tft_log_add(&l->to_engine, w->rec, w->rec_len);
}

/* Bytes one side wrote: cut into records, each read and passed on whole. */
static void wire_pass(rs_link *l, int from_engine, const uint8_t *p, size_t n)
{
    int c2s = from_engine == (l->role == TLSFLOW_CLIENT);
    rs_wire *w = c2s ? &l->c2s : &l->s2c;
    while (n) {
        size_t want = w->rec_len >= 5 ? 5 + (size_t)get16(w->rec + 3) : 5;
        assert_true(want <= sizeof(w->rec));
        size_t take = want - w->rec_len < n ? want - w->rec_len : n;
        memcpy(w->rec + w->rec_len, p, take);
        w->rec_len += take;
        p += take;
        n -= take;
        if (w->rec_len >= 5 && w->rec_len == 5 + (size_t)get16(w->rec + 3)) {
            wire_record(l, w, c2s, from_engine);
            w->rec_len = 0;
        }
    }
}

/* ---- the pump ------------------------------------------------------------------------ */

static void dump(const rs_link *l, const char *what)
{
    char peer[512] = "";
    l->ops->describe(l->end, peer, sizeof(peer));
    print_error("  [%s] tlsflow %s: done=%d closed=%d %s \"%s\" sent_alert=%d peer_alert=%d\n",
                what, l->role == TLSFLOW_SERVER ? "server" : "client", l->tf_done, l->tf_closed,
                tlsflow_error_name(tlsflow_last_error(l->conn)), tlsflow_last_error_text(l->conn),
                tlsflow_sent_alert(l->conn), tlsflow_peer_alert(l->conn));
    print_error("  [%s] %s: done=%d failed=%d %s\n", what, l->ops->name, l->peer_done,
                l->peer_failed, peer);
}

static int engine_input(rs_link *l)
{
    size_t room, n = l->to_engine.len - l->to_engine_off;
    if (n == 0) {
        if (!l->peer_failed || l->tf_eof)
            return 0;
        tlsflow_in_ack(l->conn, 0); /* the peer gave up: its transport closes */
        l->tf_eof = 1;
        return 1;
    }
    uint8_t *in = tlsflow_in_buf(l->conn, &room);
    if (n > room)
        n = room;
    if (n == 0)
        return 0;
    memcpy(in, l->to_engine.p + l->to_engine_off, n);
    l->to_engine_off += n;
    tlsflow_in_ack(l->conn, n);
    return 1;
}

static int engine_round(rs_link *l)
{
    int moved = 0;
    for (int guard = 0; guard < 100000 && !l->tf_closed; guard++) {
        size_t n;
        const uint8_t *p;
        switch (tlsflow_poll(l->conn)) {
        case TLSFLOW_OUTPUT_READY:
            p = tlsflow_out_buf(l->conn, &n);
            wire_pass(l, 1, p, n);
            tlsflow_out_ack(l->conn, n);
            break;
        case TLSFLOW_NEED_INPUT:
            if (l->tf_done && l->tf_tx_done < l->tf_tx_len) {
                size_t took = tlsflow_app_write(l->conn, l->tf_tx + l->tf_tx_done,
                                                l->tf_tx_len - l->tf_tx_done);
                l->tf_tx_done += took;
                if (took)
                    break;
            }
            if (!engine_input(l))
                return moved;
            break;
        case TLSFLOW_HANDSHAKE_DONE:
            l->tf_done++;
            break;
        case TLSFLOW_APP_DATA:
            p = tlsflow_app_peek(l->conn, &n);
            tft_log_add(&l->tf_rx, p, n);
            tlsflow_app_consume(l->conn, n);
            break;
        case TLSFLOW_KEY_OPERATION:
            fail_msg("unexpected key operation");
            break;
        case TLSFLOW_CLOSED:
            l->tf_closed = 1;
            l->ops->eof(l->end);
            break;
        }
        moved = 1;
    }
    return moved;
}

static int peer_round(rs_link *l)
{
    const rs_peer_ops *ops = l->ops;
    int moved = 0;
    if (!l->peer_done && !l->peer_failed) {
        int r = ops->handshake(l->end);
        moved = r != 0;
        l->peer_done = r > 0;
        l->peer_failed = r < 0;
    }
    while (l->peer_done && !l->peer_failed && l->peer_tx_done < l->peer_tx_len) {
        size_t n = l->peer_tx_len - l->peer_tx_done;
        int w = ops->write(l->end, l->peer_tx + l->peer_tx_done, n > 16384 ? 16384 : n);
        l->peer_failed = w < 0;
        if (w <= 0)
            break;
        l->peer_tx_done += (size_t)w;
        moved = 1;
    }
    while (l->peer_done && !l->peer_failed) { /* also takes TLS 1.3 tickets in */
        uint8_t buf[16384];
        int r = ops->read(l->end, buf, sizeof(buf));
        if (r == 0)
            break;
        moved = 1;
        if (r < 0)
            l->peer_failed = 1;
        else
            tft_log_add(&l->peer_rx, buf, (size_t)r);
    }
    uint8_t out[4096];
    for (size_t n; (n = ops->drain(l->end, out, sizeof(out))) > 0; moved = 1)
        wire_pass(l, 0, out, n);
    return moved;
}

void rs_pump(rs_link *l)
{
    for (int i = 0; i < 100000; i++) {
        int a = engine_round(l), b = peer_round(l);
        if (!a && !b)
            return;
    }
    dump(l, "pump");
    fail_msg("the pump did not settle");
}

/* ---- one connection ------------------------------------------------------------------ */

static void conn_free(void *p)
{
    rs_conn *c = p;
    tft_log_free(&c->link.to_engine);
    tft_log_free(&c->link.tf_rx);
    tft_log_free(&c->link.peer_rx);
    tlsflow_conn_free(c->conn);
    tlsflow_config_free(c->cfg);
    c->ops->end_free(c->end);
    free(c);
}

rs_conn *rs_conn_new(const rs_peer_ops *ops, tlsflow_role ours, tlsflow_config *cfg, void *ctx)
{
    rs_conn *c = rs_keep(calloc(1, sizeof(*c)), conn_free);
    assert_non_null(c);
    c->ops = ops;
    c->ours = ours;
    c->cfg = cfg;
    tlsflow_config_set_random(cfg, tft_random, &g_rng);
    tlsflow_config_set_time(cfg, clock_now, NULL);
    tlsflow_config_set_trace(cfg, on_trace, &c->ev);
    if (ours == TLSFLOW_CLIENT) {
        tlsflow_config_set_session_callback(cfg, on_session, &c->ev);
        tlsflow_config_set_ticket_callback(cfg, on_ticket, &c->ev);
    }
    c->conn = tlsflow_conn_new(cfg);
    assert_non_null(c->conn);
    c->end = ops->end_new(ctx, ours == TLSFLOW_CLIENT ? TLSFLOW_SERVER : TLSFLOW_CLIENT);
    assert_non_null(c->end);
    rs_link *l = &c->link;
    l->conn = c->conn;
    l->role = ours;
    l->ops = ops;
    l->end = c->end;
    l->ev = &c->ev;
    l->leaf_len = rs_leaf_der_len();
    return c;
}

void rs_conn_free(rs_conn *c)
{
    rs_release(c);
}

void rs_handshake(rs_conn *c)
{
    rs_link *l = &c->link;
    rs_pump(l);
    if (tlsflow_last_error(l->conn) || l->tf_done != 1 || !l->peer_done || l->peer_failed)
        dump(l, "handshake");
    assert_int_equal(tlsflow_last_error(l->conn), 0);
    assert_int_equal(l->tf_done, 1);
    assert_true(l->peer_done);
    assert_false(l->peer_failed);
}

void rs_handshake_fails(rs_conn *c)
{
    rs_link *l = &c->link;
    rs_pump(l);
    if (!l->tf_closed || l->tf_done || !l->peer_failed || l->peer_done)
        dump(l, "handshake_fails");
    assert_true(l->tf_closed);
    assert_int_equal(l->tf_done, 0);
    assert_true(tlsflow_last_error(l->conn) != 0);
    assert_true(l->peer_failed);
    assert_false(l->peer_done);
}

void rs_exchange(rs_conn *c, size_t n, uint64_t seed)
{
    rs_link *l = &c->link;
    uint8_t *ours = malloc(n), *theirs = malloc(n);
    assert_true(ours && theirs);
    tft_rng r = {n + seed};
    tft_random(&r, ours, n);
    tft_random(&r, theirs, n);
    tft_log_free(&l->tf_rx);
    tft_log_free(&l->peer_rx);
    l->tf_tx = ours;
    l->tf_tx_len = n;
    l->tf_tx_done = 0;
    l->peer_tx = theirs;
    l->peer_tx_len = n;
    l->peer_tx_done = 0;
    rs_pump(l);
    if (tlsflow_last_error(l->conn) || l->peer_failed || l->peer_rx.len != n || l->tf_rx.len != n)
        dump(l, "exchange");
    assert_int_equal(tlsflow_last_error(l->conn), 0);
    assert_false(l->peer_failed);
    assert_int_equal(l->peer_rx.len, n);
    assert_int_equal(l->tf_rx.len, n);
    assert_memory_equal(l->peer_rx.p, ours, n);
    assert_memory_equal(l->tf_rx.p, theirs, n);
    l->tf_tx = l->peer_tx = NULL;
    l->tf_tx_len = l->peer_tx_len = l->tf_tx_done = l->peer_tx_done = 0;
    free(ours);
    free(theirs);
}

/* ---- resumed or full --------------------------------------------------------------- */

int rs_offered_ticket12(const rs_conn *c)
{
    return c->link.c2s.hello.seen && c->link.c2s.hello.ticket_len > 0;
}

int rs_offered_psk(const rs_conn *c)
{
    const rs_hello *ch = &c->link.c2s.hello;
    return ch->seen && ch->psk && ch->psk_identities > 0;
}

int rs_echoed_session_id(const rs_conn *c)
{
    const rs_hello *ch = &c->link.c2s.hello, *sh = &c->link.s2c.hello;
    return ch->session_id_len && sh->session_id_len == ch->session_id_len &&
           memcmp(sh->session_id, ch->session_id, ch->session_id_len) == 0;
}

/* The three witnesses on one handshake of `version`, resumed (1) or full (0); then data
 * both ways (which also lets TLS 1.3 tickets arrive). */
static void assert_outcome(rs_conn *c, uint16_t version, int resumed)
{
    const rs_link *l = &c->link;
    const tlsflow_info *info = tlsflow_get_info(c->conn);
    const rs_hello *ch = &l->c2s.hello, *sh = &l->s2c.hello;
    unsigned full = !resumed;
    /* our engine: its info, and its trace (the server sends a certificate, the client
     * receives one, in full handshakes only) */
    assert_int_equal(info->version, version);
    assert_int_equal(info->resumed, resumed);
    assert_int_equal(c->ev.steps[TLSFLOW_STEP_SESSION_RESUMED], resumed);
    assert_int_equal(c->ev.steps[TLSFLOW_STEP_CERTIFICATE_SENT], c->ours == TLSFLOW_SERVER && full);
    assert_int_equal(c->ev.steps[TLSFLOW_STEP_CERTIFICATE_RECEIVED],
                     c->ours == TLSFLOW_CLIENT && full);
    /* the other library: its word, and what it says it sent or read, where it can tell */
    assert_int_equal(c->ops->reused(c->end), resumed);
    rs_account a = c->ops->account(c->end);
    if (a.certificates >= 0)
        assert_int_equal(a.certificates, full);
    if (a.signatures >= 0) /* ServerKeyExchange or CertificateVerify */
        assert_int_equal(a.signatures, full);
    /* the wire */
    assert_true(ch->seen && sh->seen);
    assert_int_equal(sh->version, version);
    if (version == V12) {
        /* RFC 5077 §3.4: a session id the client sent is echoed when the ticket is taken */
        assert_int_equal(rs_echoed_session_id(c), resumed && ch->session_id_len);
        assert_int_equal(l->s2c.msgs[RS_HS_CERTIFICATE], full);
        assert_int_equal(l->s2c.msgs[RS_HS_SERVER_HELLO_DONE], full);
        assert_int_equal(l->c2s.msgs[RS_HS_CLIENT_KEY_EXCHANGE], full);
        if (resumed)
            assert_true(rs_offered_ticket12(c));
    } else { /* RFC 8446 §4.2.11: the PSK selected; the server's flight carries no chain */
        assert_int_equal(sh->psk, resumed);
        if (resumed) {
            assert_true(rs_offered_psk(c));
            assert_int_equal(sh->psk_selected, 0);
        }
        assert_true(l->flight_known);
        if ((l->server_flight < l->leaf_len) != resumed)
            fail_msg("the server's flight (%zu bytes) against its certificate (%zu): %s",
                     l->server_flight, l->leaf_len, resumed ? "not smaller" : "smaller");
    }
    rs_exchange(c, 4096, 7 + full);
}

void rs_assert_resumed(rs_conn *c, uint16_t version)
{
    assert_outcome(c, version, 1);
}

void rs_assert_full(rs_conn *c, uint16_t version)
{
    assert_outcome(c, version, 0);
}

/* ---- the library's client, our server ---------------------------------------------------- */

rs_conn *rs_peer_client(const rs_peer_ops *ops, void *ctx, tlsflow_config *cfg, void *session,
                        rs_tamper t)
{
    rs_conn *c = rs_conn_new(ops, TLSFLOW_SERVER, cfg, ctx);
    c->link.tamper = t;
    if (session)
        ops->session_offer(c->end, session);
    return c;
}

/* The library's client offered a ticket (already given to c) that our server must decline:
 * a full handshake; or, for a TLS 1.2 client that cannot take one after offering a ticket,
 * our server's side of it (no resumption, its certificate sent) and the client giving up
 * with unexpected_message. Returns 1 if the handshake completed. */
static int declined(rs_conn *c, uint16_t version)
{
    if (version == V13 || c->ops->client12_fallback) {
        rs_handshake(c);
        assert_true(version == V12 ? rs_offered_ticket12(c) : rs_offered_psk(c));
        rs_assert_full(c, version);
        return 1;
    }
    rs_handshake_fails(c);
    assert_true(rs_offered_ticket12(c));
    assert_false(tlsflow_get_info(c->conn)->resumed);
    assert_int_equal(c->ev.steps[TLSFLOW_STEP_SESSION_RESUMED], 0);
    assert_int_equal(c->ev.steps[TLSFLOW_STEP_CERTIFICATE_SENT], 1);
    assert_int_equal(c->link.s2c.msgs[RS_HS_CERTIFICATE], 1);
    assert_int_equal(tlsflow_last_error(c->conn), TLSFLOW_E_PEER_ALERT);
    assert_int_equal(tlsflow_peer_alert(c->conn), TLSFLOW_ALERT_UNEXPECTED_MESSAGE);
    print_message("note: %s's TLS 1.2 client takes any answer to its ticket for a resumption "
                  "and fails on our server's full handshake: our server's side checked\n",
                  c->ops->name);
    return 0;
}

void *rs_peer_session(const rs_peer_ops *ops, void *ctx, tlsflow_config *cfg, void *session,
                      uint16_t version, int resumes)
{
    rs_conn *c = rs_peer_client(ops, ctx, cfg, session, RS_TAMPER_NONE);
    if (session && !resumes) {
        if (!declined(c, version)) {
            rs_conn_free(c);
            return NULL;
        }
    } else {
        rs_handshake(c);
        if (session)
            assert_true(version == V12 ? rs_offered_ticket12(c) : rs_offered_psk(c));
        if (resumes)
            rs_assert_resumed(c, version);
        else
            rs_assert_full(c, version);
    }
    void *out = rs_keep(ops->session_get(c->end), ops->session_free);
    rs_conn_free(c);
    return out;
}

/* ---- our client, the library's server ----------------------------------------------------- */

typedef struct {
    uint16_t suite; /* in: the only suite our client offers (0: all) */
    uint8_t bytes[8192];
    size_t len;
    uint32_t lifetime; /* the ticket's, as on the wire (1.2) or in the ticket callback (1.3) */
    uint32_t age_add;  /* TLS 1.3 */
} exported;

/* A full handshake of our client (both versions offered, the suite in out->suite or all) with
 * the library's server on ctx; the session it exported afterwards, which is the one the
 * callback gave last. */
static void first_our_client(const rs_peer_ops *ops, void *ctx, uint16_t version, exported *out)
{
    rs_conn *c = rs_conn_new(ops, TLSFLOW_CLIENT, rs_our_client(out->suite), ctx);
    rs_handshake(c);
    rs_assert_full(c, version);
    assert_true(c->ev.sessions >= 1);
    if (version == V13)
        assert_int_equal(c->ev.sessions, c->ev.nsts); /* one session per ticket */
    assert_int_equal(tlsflow_session_export(c->conn, out->bytes, sizeof(out->bytes), &out->len), 0);
    assert_int_equal(out->len, c->ev.session_len);
    assert_memory_equal(out->bytes, c->ev.session, out->len);
    out->lifetime = version == V12 ? c->link.s2c.nst12_lifetime : c->ev.nst_lifetime;
    out->age_add = c->ev.nst_age_add;
    rs_account a = ops->account(c->end);
    if (a.tickets >= 0)
        assert_int_equal(a.tickets, version == V12 ? c->link.s2c.nst12 : c->ev.nsts);
    if (a.ticket_lifetime >= 0)
        assert_int_equal(a.ticket_lifetime, out->lifetime);
    rs_conn_free(c);
}

/* Our client (offering s->suite or all) offering `s` to the library's server on ctx;
 * tlsflow_session_import must say
 * `import` (1 offered, 0 expired); the handshake completes. */
static rs_conn *our_client_offering(const rs_peer_ops *ops, void *ctx, const exported *s,
                                    int import)
{
    rs_conn *c = rs_conn_new(ops, TLSFLOW_CLIENT, rs_our_client(s->suite), ctx);
    assert_int_equal(tlsflow_session_import(c->conn, s->bytes, s->len), import);
    rs_handshake(c);
    return c;
}

static void *server_ctx(const rs_peer_ops *ops, uint16_t min, uint16_t max)
{
    return rs_keep(ops->ctx_new(TLSFLOW_SERVER, min, max), ops->ctx_free);
}

static void resumes_with_peer_server(const rs_peer_ops *ops, uint16_t version)
{
    void *ctx = server_ctx(ops, version, version);
    exported s = {0};
    first_our_client(ops, ctx, version, &s);
    int64_t ahead = ops->server_age_slack < 5 ? ops->server_age_slack : 5;
    rs_now += ahead;
    rs_conn *c = our_client_offering(ops, ctx, &s, 1);
    rs_assert_resumed(c, version);
    if (version == V13) /* RFC 8446 §4.2.11.1: the age in ms, plus ticket_age_add */
        assert_int_equal((uint32_t)(c->link.c2s.hello.obfuscated_age - s.age_add), ahead * 1000);
    /* The original server's certificate stays known; a session stays for the next time. */
    assert_string_equal(tlsflow_get_info(c->conn)->cert.subject, "/CN=localhost");
    size_t n;
    assert_int_equal(tlsflow_session_export(c->conn, NULL, 0, &n), 0);
    rs_conn_free(c);
}

/* The library's ticket lifetime (100 s) reaches our client, which offers the session until
 * then and drops it after. (A library that checks TLS 1.3 ticket ages takes the session,
 * 99 s old by our clock and new by its own, for a full handshake.) */
static void peer_server_lifetime(const rs_peer_ops *ops, uint16_t version)
{
    void *ctx = server_ctx(ops, version, version);
    ops->ctx_ticket_lifetime(ctx, 100);
    exported s = {0};
    first_our_client(ops, ctx, version, &s);
    assert_int_equal(s.lifetime, 100);
    rs_now = TF_TEST_TIME + 99;
    rs_conn *c = our_client_offering(ops, ctx, &s, 1);
    assert_true(version == V12 ? rs_offered_ticket12(c) : rs_offered_psk(c));
    if (version == V12 || ops->server_age_slack >= 99)
        rs_assert_resumed(c, version);
    else
        rs_assert_full(c, version);
    rs_conn_free(c);
    rs_now = TF_TEST_TIME + 100;
    c = our_client_offering(ops, ctx, &s, 0);
    assert_false(rs_offered_ticket12(c) || rs_offered_psk(c));
    rs_assert_full(c, version);
    rs_conn_free(c);
}

typedef enum { OTHER_KEYS, NO_TICKETS } fallback;

/* The session offered where it cannot be taken: a full handshake, no error. */
static void fall_back(const rs_peer_ops *ops, uint16_t version, fallback why)
{
    void *ctx = server_ctx(ops, version, version), *second = ctx;
    exported s = {0};
    first_our_client(ops, ctx, version, &s);
    if (why == OTHER_KEYS) /* a new context: new random ticket keys */
        second = server_ctx(ops, version, version);
    else
        ops->ctx_tickets_off(ctx);
    rs_conn *c = our_client_offering(ops, second, &s, 1);
    assert_true(version == V12 ? rs_offered_ticket12(c) : rs_offered_psk(c));
    if (why == NO_TICKETS && version == V13 && ops->tickets_off_still_resumes13) {
        /* Resumed, and no new ticket: our client has no session to give again (RFC 8446
         * §C.4: a ticket is not offered twice). */
        rs_assert_resumed(c, version);
        assert_int_equal(c->ev.nsts, 0);
        assert_int_equal(c->ev.sessions, 0);
        size_t n;
        assert_int_equal(tlsflow_session_export(c->conn, NULL, 0, &n), TLSFLOW_E_USAGE);
        print_message("note: %s's TLS 1.3 server without tickets still takes its old ones\n",
                      ops->name);
    } else {
        rs_assert_full(c, version);
    }
    if (why == NO_TICKETS && version == V12) { /* RFC 5077 §3.2: no ticket, no session */
        assert_false(c->link.s2c.hello.ticket_ext);
        assert_int_equal(c->link.s2c.nst12, 0);
        assert_int_equal(c->ev.sessions, 0);
    }
    rs_conn_free(c);
}

/* A TLS 1.2 session offered to the same server now speaking only TLS 1.3 (the ticket goes in
 * session_ticket, which TLS 1.3 ignores), and a TLS 1.3 session to it speaking only TLS 1.2
 * (a PSK, which TLS 1.2 ignores): full handshakes. */
static void version_switch_peer_server(const rs_peer_ops *ops)
{
    void *ctx = server_ctx(ops, V12, V12);
    exported s12 = {0}, s13 = {0};
    first_our_client(ops, ctx, V12, &s12);
    ops->ctx_versions(ctx, V13, V13);
    rs_conn *c = our_client_offering(ops, ctx, &s12, 1);
    assert_true(rs_offered_ticket12(c));
    assert_false(rs_offered_psk(c));
    rs_assert_full(c, V13);
    rs_conn_free(c);
    first_our_client(ops, ctx, V13, &s13);
    ops->ctx_versions(ctx, V12, V12);
    c = our_client_offering(ops, ctx, &s13, 1);
    assert_true(rs_offered_psk(c));
    assert_false(rs_offered_ticket12(c));
    rs_assert_full(c, V12);
    rs_conn_free(c);
}

/* ---- the library's client, our server: scenarios ------------------------------------------ */

static void *client_ctx(const rs_peer_ops *ops, uint16_t min, uint16_t max)
{
    return rs_keep(ops->ctx_new(TLSFLOW_CLIENT, min, max), ops->ctx_free);
}

/* Our server with key A, tickets for an hour, one per TLS 1.3 handshake; `suite` and `group`
 * its only ones unless 0. */
static tlsflow_config *server_a(uint16_t version, uint16_t suite, uint16_t group)
{
    tlsflow_config *cfg = rs_our_server(version, &RS_KEY_A, NULL, 3600, 1);
    if (suite)
        assert_int_equal(tlsflow_config_set_cipher_suites(cfg, &suite, 1), 0);
    if (group)
        assert_int_equal(tlsflow_config_set_groups(cfg, &group, 1), 0);
    return cfg;
}

/* The library's client context for `version` (*ctx) and its session of a full handshake with
 * server_a. Both are released by the teardown. */
static void *first_peer_session(const rs_peer_ops *ops, uint16_t version, void **ctx)
{
    *ctx = client_ctx(ops, version, version);
    return rs_peer_session(ops, *ctx, server_a(version, 0, 0), NULL, version, 0);
}

/* Our ticket policy (lifetime 3600 s, three TLS 1.3 tickets) as the library read it; then
 * the session it holds resumes with our server. */
static void resumes_with_peer_client(const rs_peer_ops *ops, uint16_t version)
{
    void *ctx = client_ctx(ops, version, version);
    rs_conn *c =
        rs_peer_client(ops, ctx, rs_our_server(version, &RS_KEY_A, NULL, 3600, 3), NULL, 0);
    rs_handshake(c);
    rs_assert_full(c, version);
    unsigned tickets = version == V13 ? 3 : 1;
    assert_int_equal(c->ev.steps[TLSFLOW_STEP_SESSION_TICKET_SENT], tickets);
    if (version == V12) {
        assert_int_equal(c->link.s2c.nst12, 1);
        assert_int_equal(c->link.s2c.nst12_lifetime, 3600);
    }
    rs_account a = ops->account(c->end);
    if (a.tickets >= 0)
        assert_int_equal(a.tickets, tickets);
    if (a.ticket_lifetime >= 0)
        assert_int_equal(a.ticket_lifetime, 3600);
    void *s = rs_keep(ops->session_get(c->end), ops->session_free);
    assert_int_equal(ops->session_lifetime(s), 3600);
    rs_conn_free(c);
    rs_peer_session(ops, ctx, rs_our_server(version, &RS_KEY_A, NULL, 3600, 3), s, version, 1);
}

/* Keys rotated: B new (sealing), A kept (opening): A's ticket resumes and B's follows; then A
 * dropped: A's ticket means a full handshake, B's still resumes. */
static void rotated_keys_at_our_server(const rs_peer_ops *ops, uint16_t version)
{
    void *ctx, *a = first_peer_session(ops, version, &ctx);
    void *b = rs_peer_session(ops, ctx, rs_our_server(version, &RS_KEY_B, &RS_KEY_A, 3600, 1), a,
                              version, 1);
    rs_peer_session(ops, ctx, rs_our_server(version, &RS_KEY_B, NULL, 3600, 1), a, version, 0);
    rs_peer_session(ops, ctx, rs_our_server(version, &RS_KEY_B, NULL, 3600, 1), b, version, 1);
}

/* A ticket our server cannot open, offered in a consistent ClientHello: RFC 5077 §3.4 and
 * RFC 8446 §4.2.11 ("SHOULD simply be ignored"): a full handshake, no error. */
static void tampered_ticket_in_peer_session(const rs_peer_ops *ops, uint16_t version)
{
    void *ctx, *s = first_peer_session(ops, version, &ctx);
    rs_conn *c = rs_peer_client(ops, ctx, server_a(version, 0, 0), NULL, RS_TAMPER_NONE);
    ops->session_offer_tampered(c->end, s);
    declined(c, version);
    rs_conn_free(c);
}

/* The ticket's byte flipped on the wire instead: our server cannot open it and goes on with a
 * full handshake (no echo, no PSK, its certificate sent), but the client's transcript holds
 * the hello it sent, so the keys differ and the handshake fails: in TLS 1.2 at the client's
 * Finished, whose record does not open (the extended master secret's session hash differs:
 * decrypt_error, RFC 5246 §7.4.9), in TLS 1.3 at the client, which cannot open our encrypted
 * flight (bad_record_mac). Never a resumption. */
static void tampered_ticket_on_the_wire(const rs_peer_ops *ops, uint16_t version)
{
    void *ctx, *s = first_peer_session(ops, version, &ctx);
    rs_conn *c = rs_peer_client(ops, ctx, server_a(version, 0, 0), s, RS_TAMPER_TICKET);
    rs_handshake_fails(c);
    assert_true(c->link.tampered);
    assert_false(tlsflow_get_info(c->conn)->resumed);
    assert_int_equal(c->ev.steps[TLSFLOW_STEP_SESSION_RESUMED], 0);
    assert_int_equal(c->ev.steps[TLSFLOW_STEP_CERTIFICATE_SENT], 1);
    assert_true(c->link.s2c.hello.seen);
    rs_account a = ops->account(c->end);
    if (version == V12 && !ops->client12_fallback) { /* see declined() */
        assert_int_equal(tlsflow_last_error(c->conn), TLSFLOW_E_PEER_ALERT);
        assert_int_equal(tlsflow_peer_alert(c->conn), TLSFLOW_ALERT_UNEXPECTED_MESSAGE);
    } else if (version == V12) {
        assert_false(rs_echoed_session_id(c));
        assert_int_equal(tlsflow_last_error(c->conn), TLSFLOW_E_BAD_FINISHED);
        assert_int_equal(tlsflow_sent_alert(c->conn), TLSFLOW_ALERT_DECRYPT_ERROR);
        if (a.alert_read >= 0)
            assert_int_equal(a.alert_read, TLSFLOW_ALERT_DECRYPT_ERROR);
    } else { /* the client's alert, in the clear or under its handshake keys (not ours) */
        assert_false(c->link.s2c.hello.psk);
        int err = tlsflow_last_error(c->conn);
        if (err == TLSFLOW_E_PEER_ALERT)
            assert_int_equal(tlsflow_peer_alert(c->conn), TLSFLOW_ALERT_BAD_RECORD_MAC);
        else
            assert_int_equal(err, TLSFLOW_E_BAD_RECORD_MAC);
        if (a.alert_sent >= 0)
            assert_int_equal(a.alert_sent, TLSFLOW_ALERT_BAD_RECORD_MAC);
    }
    rs_conn_free(c);
}

#define SCENARIO_BOTH(name)                                                                        \
    void rs_test_##name##_12(void **state)                                                         \
    {                                                                                              \
        name(*state, V12);                                                                         \
    }                                                                                              \
    void rs_test_##name##_13(void **state)                                                         \
    {                                                                                              \
        name(*state, V13);                                                                         \
    }

SCENARIO_BOTH(resumes_with_peer_server)
SCENARIO_BOTH(peer_server_lifetime)
SCENARIO_BOTH(resumes_with_peer_client)
SCENARIO_BOTH(rotated_keys_at_our_server)
SCENARIO_BOTH(tampered_ticket_in_peer_session)
SCENARIO_BOTH(tampered_ticket_on_the_wire)

void rs_test_other_keys_at_peer_server_12(void **state)
{
    fall_back(*state, V12, OTHER_KEYS);
}

void rs_test_other_keys_at_peer_server_13(void **state)
{
    fall_back(*state, V13, OTHER_KEYS);
}

void rs_test_no_tickets_at_peer_server_12(void **state)
{
    fall_back(*state, V12, NO_TICKETS);
}

void rs_test_no_tickets_at_peer_server_13(void **state)
{
    fall_back(*state, V13, NO_TICKETS);
}

void rs_test_version_switch_peer_server(void **state)
{
    version_switch_peer_server(*state);
}

/* A ticket that opens with a binder that does not verify: RFC 8446 §4.2.11 "the server MUST
 * abort the handshake", §6.2 with decrypt_error; no ServerHello. TLS 1.2 has no binder. */
void rs_test_bad_binder_to_our_server(void **state)
{
    const rs_peer_ops *ops = *state;
    void *ctx, *s = first_peer_session(ops, V13, &ctx);
    rs_conn *c = rs_peer_client(ops, ctx, server_a(V13, 0, 0), s, RS_TAMPER_BINDER);
    rs_handshake_fails(c);
    assert_true(c->link.tampered);
    assert_false(c->link.s2c.hello.seen);
    assert_int_equal(tlsflow_last_error(c->conn), TLSFLOW_E_BAD_FINISHED);
    assert_int_equal(tlsflow_sent_alert(c->conn), TLSFLOW_ALERT_DECRYPT_ERROR);
    rs_account a = ops->account(c->end);
    if (a.alert_read >= 0)
        assert_int_equal(a.alert_read, TLSFLOW_ALERT_DECRYPT_ERROR);
    rs_conn_free(c);
}

/* Our TLS 1.2 ticket lifetime (100 s): resumed when our clock says 99 s, a full handshake at
 * 101 s though the client still offers it. (TLS 1.3 tickets also carry an age that the
 * library's clock makes; test_resumption_openssl.c moves that one too.) */
void rs_test_our_server_lifetime_12(void **state)
{
    const rs_peer_ops *ops = *state;
    void *ctx = client_ctx(ops, V12, V12);
    void *s = rs_peer_session(ops, ctx, rs_our_server(V12, &RS_KEY_A, NULL, 100, 1), NULL, V12, 0);
    assert_int_equal(ops->session_lifetime(s), 100);
    rs_now = TF_TEST_TIME + 99;
    rs_peer_session(ops, ctx, rs_our_server(V12, &RS_KEY_A, NULL, 100, 1), s, V12, 1);
    rs_now = TF_TEST_TIME + 101;
    rs_peer_session(ops, ctx, rs_our_server(V12, &RS_KEY_A, NULL, 100, 1), s, V12, 0);
}

/* RFC 8446 §4.2.11: the server checks that the client's idea of the ticket's age is near its
 * own; the engine allows 10 s (+1 s for clients that round down) and takes a ticket outside
 * that for a full handshake. Here our server's clock moves on, the library's stays. */
void rs_test_age_window_at_our_server(void **state)
{
    const rs_peer_ops *ops = *state;
    static const struct {
        int64_t ours;
        int resumes;
    } rows[] = {{0, 1}, {8, 1}, {13, 0}, {60, 0}};
    void *ctx = client_ctx(ops, V13, V13);
    for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
        rs_now = TF_TEST_TIME;
        rs_conn *c = rs_peer_client(ops, ctx, server_a(V13, 0, 0), NULL, RS_TAMPER_NONE);
        rs_handshake(c);
        rs_assert_full(c, V13);
        rs_account a = ops->account(c->end);
        void *s = rs_keep(ops->session_get(c->end), ops->session_free);
        rs_conn_free(c);
        rs_now = TF_TEST_TIME + rows[i].ours;
        c = rs_peer_client(ops, ctx, server_a(V13, 0, 0), s, RS_TAMPER_NONE);
        rs_handshake(c);
        assert_true(rs_offered_psk(c));
        if (a.ticket_age_add >= 0) { /* the library's age: well under a second */
            uint32_t age = c->link.c2s.hello.obfuscated_age - (uint32_t)a.ticket_age_add;
            if (age > 1000)
                fail_msg("row %zu: %s reported an age of %u ms", i, ops->name, age);
        }
        if (rows[i].resumes)
            rs_assert_resumed(c, V13);
        else
            rs_assert_full(c, V13);
        rs_conn_free(c);
        rs_release(s);
    }
}

/* The library's client (both versions) offering a session of version `was` to our server
 * speaking only `now`: a full handshake. Where the library cannot (see the flags), what our
 * server did: no version in common for a client that offers only TLS 1.2 (protocol_version,
 * RFC 8446 §4.2.1); a full TLS 1.2 handshake begun for one that then gives up. */
static void offer_to_other_version(const rs_peer_ops *ops, void *ctx, void *session, uint16_t was,
                                   uint16_t now)
{
    rs_conn *c = rs_peer_client(ops, ctx, server_a(now, 0, 0), session, RS_TAMPER_NONE);
    const rs_hello *ch = &c->link.c2s.hello;
    if (was == V12 && ops->client_pins_tls12_session) {
        rs_handshake_fails(c);
        assert_true(ch->offers12 && !ch->offers13);
        assert_int_equal(tlsflow_last_error(c->conn), TLSFLOW_E_PROTOCOL_VERSION);
        print_message("note: %s's client offers only TLS 1.2 with a TLS 1.2 session\n", ops->name);
    } else if (was == V13 && ops->client_tls13_session_fails_at_tls12) {
        rs_handshake_fails(c);
        assert_true(ch->offers12 && ch->offers13 && rs_offered_psk(c));
        assert_int_equal(c->link.s2c.hello.version, V12);
        assert_int_equal(c->link.s2c.msgs[RS_HS_CERTIFICATE], 1);
        assert_false(tlsflow_get_info(c->conn)->resumed);
        assert_int_equal(tlsflow_last_error(c->conn), TLSFLOW_E_UNEXPECTED_EOF);
        print_message("note: %s's client with a TLS 1.3 session gives up on a TLS 1.2 "
                      "ServerHello: our server's side checked\n",
                      ops->name);
    } else {
        rs_handshake(c);
        assert_true(ch->offers12 && ch->offers13);
        assert_true(was == V12 ? rs_offered_ticket12(c) : rs_offered_psk(c));
        rs_assert_full(c, now);
    }
    rs_conn_free(c);
}

/* The library's client (both versions) with a TLS 1.2 session to our server now speaking only
 * TLS 1.3, and with a TLS 1.3 session to it speaking only TLS 1.2: full handshakes. */
void rs_test_version_switch_our_server(void **state)
{
    const rs_peer_ops *ops = *state;
    void *ctx = client_ctx(ops, V12, V13);
    void *s12 = rs_peer_session(ops, ctx, server_a(V12, 0, 0), NULL, V12, 0);
    void *s13 = rs_peer_session(ops, ctx, server_a(V13, 0, 0), NULL, V13, 0);
    offer_to_other_version(ops, ctx, s12, V12, V13);
    offer_to_other_version(ops, ctx, s13, V13, V12);
}

static uint16_t sha384_suite(uint16_t version)
{
    return version == V13 ? TLSFLOW_AES_256_GCM_SHA384 : TLSFLOW_ECDHE_RSA_WITH_AES_256_GCM_SHA384;
}

/* The suite's hash is SHA-384 (TLS 1.3: a 48-byte PSK and binder; TLS 1.2: the PRF), with our
 * engine offering or accepting only that suite: resumed both ways, in the same suite. */
static void resumes_sha384(const rs_peer_ops *ops, uint16_t version)
{
    uint16_t suite = sha384_suite(version);
    void *ctx = server_ctx(ops, version, version);
    exported s = {.suite = suite};
    first_our_client(ops, ctx, version, &s);
    rs_conn *c = our_client_offering(ops, ctx, &s, 1);
    rs_assert_resumed(c, version);
    assert_int_equal(tlsflow_get_info(c->conn)->cipher_suite, suite);
    if (version == V13)
        assert_int_equal(c->link.c2s.hello.binder_len, 48);
    rs_conn_free(c);

    void *cctx = client_ctx(ops, version, version);
    void *ps = rs_peer_session(ops, cctx, server_a(version, suite, 0), NULL, version, 0);
    c = rs_peer_client(ops, cctx, server_a(version, suite, 0), ps, RS_TAMPER_NONE);
    rs_handshake(c);
    rs_assert_resumed(c, version);
    assert_int_equal(tlsflow_get_info(c->conn)->cipher_suite, suite);
    if (version == V13)
        assert_int_equal(c->link.c2s.hello.binder_len, 48);
    rs_conn_free(c);
}

SCENARIO_BOTH(resumes_sha384)

/* Resumption after a HelloRetryRequest (RFC 8446 §4.2.11.2: the binder of the second
 * ClientHello covers the retry): the server asks for secp256r1 after our x25519 share, then
 * selects our PSK. Regression: our client once followed the PSK sequence without the retry's
 * steps, sent its Finished right after ServerHello and, with the server's encrypted flight
 * held back, reported the handshake done having verified nothing after ServerHello (§2.2,
 * §4.4.4). */
void rs_test_hello_retry_resumes_with_peer_server(void **state)
{
    const rs_peer_ops *ops = *state;
    void *ctx = server_ctx(ops, V13, V13);
    exported s = {0};
    first_our_client(ops, ctx, V13, &s);
    ops->ctx_only_p256(ctx);
    /* The server's flight after its ServerHello held back: our client must wait for it. */
    rs_conn *c = rs_conn_new(ops, TLSFLOW_CLIENT, rs_our_client(0), ctx);
    assert_int_equal(tlsflow_session_import(c->conn, s.bytes, s.len), 1);
    c->link.hold_server_flight = 1;
    rs_pump(&c->link);
    assert_int_equal(c->link.s2c.hrr, 1);
    assert_true(c->link.s2c.hello.psk);
    assert_int_equal(c->link.tf_done, 0);
    rs_conn_free(c);
    /* And let through: resumed, in secp256r1 after the HelloRetryRequest. */
    c = our_client_offering(ops, ctx, &s, 1);
    assert_int_equal(c->link.s2c.hrr, 1);
    assert_int_equal(c->link.c2s.msgs[RS_HS_CLIENT_HELLO], 2);
    assert_true(tlsflow_get_info(c->conn)->hello_retry);
    assert_int_equal(tlsflow_get_info(c->conn)->group, TLSFLOW_GROUP_SECP256R1);
    rs_assert_resumed(c, V13);
    rs_conn_free(c);
}

/* Our server asks again for a share (secp384r1 the first time, secp256r1 only the second,
 * which neither library shares first: OpenSSL shares x25519, wolfSSL its session's group)
 * and does not resume then: server13.c reads no PSK in the second ClientHello
 * (tf13_server_read_client_hello2), which RFC 8446 allows (a server may ignore any PSK; the
 * client's ticket stays usable): a full handshake, though the PSK was offered again. */
void rs_test_hello_retry_at_our_server(void **state)
{
    const rs_peer_ops *ops = *state;
    if (ops->client_pins_session_group) {
        print_message("skip: %s's client offers only its session's group when it resumes: "
                      "there is no other group to ask for\n",
                      ops->name);
        skip();
    }
    void *ctx = client_ctx(ops, V13, V13);
    void *s = rs_peer_session(ops, ctx, server_a(V13, 0, TLSFLOW_GROUP_SECP384R1), NULL, V13, 0);
    rs_conn *c =
        rs_peer_client(ops, ctx, server_a(V13, 0, TLSFLOW_GROUP_SECP256R1), s, RS_TAMPER_NONE);
    rs_handshake(c);
    assert_int_equal(c->link.s2c.hrr, 1);
    assert_int_equal(c->link.c2s.msgs[RS_HS_CLIENT_HELLO], 2);
    assert_true(tlsflow_get_info(c->conn)->hello_retry);
    assert_true(rs_offered_psk(c)); /* in the second hello too */
    rs_assert_full(c, V13);
    rs_conn_free(c);
}

/* ---- cleanup ---------------------------------------------------------------------------- */

static struct {
    void *obj;
    void (*free_fn)(void *);
} g_live[32];

void *rs_keep(void *obj, void (*free_fn)(void *))
{
    assert_non_null(obj);
    for (size_t i = 0; i < ARRAY_LEN(g_live); i++) {
        if (!g_live[i].obj) {
            g_live[i].obj = obj;
            g_live[i].free_fn = free_fn;
            return obj;
        }
    }
    fail_msg("too many live objects");
    return NULL;
}

void rs_release(void *obj)
{
    if (!obj)
        return;
    for (size_t i = 0; i < ARRAY_LEN(g_live); i++) {
        if (g_live[i].obj == obj) {
            g_live[i].obj = NULL;
            g_live[i].free_fn(obj);
            return;
        }
    }
    fail_msg("releasing an object that was not kept");
}

int rs_teardown(void **state)
{
    (void)state;
    for (size_t i = ARRAY_LEN(g_live); i-- > 0;) { /* newest first: connections before contexts */
        if (g_live[i].obj) {
            void *obj = g_live[i].obj;
            g_live[i].obj = NULL;
            g_live[i].free_fn(obj);
        }
    }
    rs_now = TF_TEST_TIME;
    return 0;
}
