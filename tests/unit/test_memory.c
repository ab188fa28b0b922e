/* Release mode's idle connection (issue 17 item 5): what an established connection keeps
 * once tlsflow_conn_release_buffers gave its workspace back, and that everything still
 * works after it wakes up.
 *
 * - tlsflow_conn_memory() of an idle released connection is at most IDLE_BOUND bytes,
 *   both roles, both versions, every record AEAD;
 * - application data flows after release/wake cycles, both ways, in every suite; a TLS 1.3
 *   KeyUpdate goes through a released connection (its write context rebuilt from the old
 *   key, then replaced) and the peer's, and data follows under the new keys;
 * - tlsflow_get_info() keeps answering after a release: everything but the ClientHello
 *   summary, which is gone (all zero, never NULL) unless the configuration keeps it;
 * - the workspace handed back holds no record key: the rebuilt wolfCrypt contexts are
 *   wiped with it; without release mode the contexts are keyed once and stay. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "handshake.h"
#include "internal.h"
#include "tf_test.h"

#define IDLE_BOUND 2048 /* bytes: the target for an idle released connection */

typedef struct {
    uint16_t version;
    uint16_t suite;
    const char *aead;
} suite_case;

static const suite_case CASES[] = {
    {TLSFLOW_VERSION_TLS12, TLSFLOW_RSA_WITH_AES_128_GCM_SHA256, "AES-128-GCM"},
    {TLSFLOW_VERSION_TLS12, TLSFLOW_RSA_WITH_AES_256_GCM_SHA384, "AES-256-GCM"},
    {TLSFLOW_VERSION_TLS12, TLSFLOW_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "ChaCha20-Poly1305"},
    {TLSFLOW_VERSION_TLS13, TLSFLOW_AES_128_GCM_SHA256, "AES-128-GCM"},
    {TLSFLOW_VERSION_TLS13, TLSFLOW_AES_256_GCM_SHA384, "AES-256-GCM"},
    {TLSFLOW_VERSION_TLS13, TLSFLOW_CHACHA20_POLY1305_SHA256, "ChaCha20-Poly1305"},
};
#define N_CASES (sizeof(CASES) / sizeof(CASES[0]))

/* A workspace allocator that starts every workspace zeroed, and on its return looks for
 * the connection's record keys in it (they must have been wiped). */
typedef struct {
    uint8_t keys[2][TF_MAX_KEY];
    size_t key_len;
    int armed;     /* keys are set: check returned workspaces */
    int returned;  /* workspaces checked */
    int key_found; /* a returned workspace still held a key */
    int dirty;     /* a returned workspace was not all zeros again (buffers, the peer's
                      certificates, the handshake state: all wiped) */
} ws_spy;

static void *spy_get(void *ctx, size_t size)
{
    (void)ctx;
    void *p = aligned_alloc(16, (size + 15) & ~(size_t)15);
    if (p)
        memset(p, 0, size);
    return p;
}

/* Does `key` occur in mem, as bytes or as 32-bit words in the other byte order (how a
 * software AES key schedule may store its first round key)? */
static int holds_key(const uint8_t *mem, size_t size, const uint8_t *key, size_t len)
{
    uint8_t swapped[TF_MAX_KEY];
    for (size_t i = 0; i < len; i += 4)
        for (size_t j = 0; j < 4; j++)
            swapped[i + j] = key[i + 3 - j];
    for (size_t i = 0; i + len <= size; i++)
        if (!memcmp(mem + i, key, len) || !memcmp(mem + i, swapped, len))
            return 1;
    return 0;
}

static void spy_put(void *ctx, void *mem, size_t size)
{
    ws_spy *s = ctx;
    if (s->armed) {
        s->returned++;
        for (int d = 0; d < 2; d++)
            s->key_found |= holds_key(mem, size, s->keys[d], s->key_len);
        for (size_t i = 0; i < size; i++)
            s->dirty |= ((const uint8_t *)mem)[i] != 0;
    }
    free(mem);
}

static void set_versions(tlsflow_config *cfg, uint16_t v)
{
    assert_int_equal(tlsflow_config_set_versions(cfg, v, v), 0);
}

/* Our client and server in release mode, connected with one suite and ALPN "h2". */
static tft_pair *released_pair(const suite_case *k, int keep_hello, ws_spy *spy)
{
    tft_pair *p = tft_pair_new();
    static const char *const alpn[] = {"h2"};
    set_versions(p->ccfg, k->version);
    set_versions(p->scfg, k->version);
    assert_int_equal(tlsflow_config_set_cipher_suites(p->ccfg, &k->suite, 1), 0);
    assert_int_equal(tlsflow_config_set_alpn(p->ccfg, alpn, 1), 0);
    assert_int_equal(tlsflow_config_set_alpn(p->scfg, alpn, 1), 0);
    tlsflow_config *both[2] = {p->ccfg, p->scfg};
    for (int i = 0; i < 2; i++) {
        tlsflow_config_set_release_idle_buffers(both[i], 1);
        tlsflow_config_set_keep_client_hello(both[i], keep_hello);
        if (spy)
            assert_int_equal(tlsflow_config_set_workspace_allocator(both[i], spy_get, spy_put, spy),
                             0);
    }
    if (spy) { /* tickets: the client keeps a session, which a release must wipe too */
        tlsflow_ticket_key key;
        memset(&key, 0x5a, sizeof(key));
        assert_int_equal(tlsflow_config_set_ticket_keys(p->scfg, &key, 1), 0);
    }
    tft_pair_start(p);
    assert_true(tft_handshake(p->client, p->server, NULL));
    assert_int_equal(tlsflow_get_info(p->client)->cipher_suite, k->suite);
    return p;
}

/* Pump both ways until nothing moves (TLS 1.3 tickets, KeyUpdate answers). */
static void settle(tft_pair *p)
{
    for (int i = 0; i < 50; i++) {
        tlsflow_event a = tft_step(p->client, p->server, NULL, NULL);
        tlsflow_event b = tft_step(p->server, p->client, NULL, NULL);
        assert_int_not_equal(a, TLSFLOW_CLOSED);
        assert_int_not_equal(b, TLSFLOW_CLOSED);
        if (a == TLSFLOW_NEED_INPUT && b == TLSFLOW_NEED_INPUT)
            return;
    }
    fail_msg("the pair did not settle");
}

static void release_both(tft_pair *p)
{
    settle(p);
    assert_int_equal(tlsflow_conn_release_buffers(p->client), 1);
    assert_int_equal(tlsflow_conn_release_buffers(p->server), 1);
}

/* Move one message from `from` to `to` and read it there (whatever `to` answers, such as
 * a KeyUpdate, goes back). */
static void send_and_read(tlsflow_conn *from, tlsflow_conn *to, const char *msg)
{
    size_t n = strlen(msg), got = 0;
    assert_int_equal(tlsflow_app_write(from, msg, n), n);
    for (int i = 0; i < 20 && got < n; i++) {
        tft_step(from, to, NULL, NULL);
        tlsflow_event ev = tlsflow_poll(to);
        if (ev == TLSFLOW_APP_DATA) {
            size_t len;
            const uint8_t *d = tlsflow_app_peek(to, &len);
            assert_true(got + len <= n);
            assert_memory_equal(d, msg + got, len);
            got += len;
            tlsflow_app_consume(to, len);
        } else {
            assert_int_not_equal(ev, TLSFLOW_CLOSED);
        }
    }
    assert_int_equal(got, n);
}

/* An idle released connection keeps at most IDLE_BOUND bytes, both roles, every case; the
 * ClientHello summary kept on request costs exactly its own room. */
static void test_idle_bytes(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_CASES; i++) {
        tft_pair *p = released_pair(&CASES[i], 0, NULL);
        size_t busy = tlsflow_conn_memory(p->server);
        release_both(p);
        size_t c = tlsflow_conn_memory(p->client), s = tlsflow_conn_memory(p->server);
        print_message("%s %s: busy %zu, idle client %zu, server %zu bytes\n",
                      CASES[i].version == TLSFLOW_VERSION_TLS13 ? "TLS 1.3" : "TLS 1.2",
                      tlsflow_suite_name(CASES[i].suite), busy, c, s);
        assert_true(c <= IDLE_BOUND);
        assert_true(s <= IDLE_BOUND);
        tft_pair_free(p);

        p = released_pair(&CASES[i], 1, NULL);
        release_both(p);
        size_t hello = (sizeof(tlsflow_hello_info) + 15) & ~(size_t)15;
        assert_int_equal(tlsflow_conn_memory(p->client), c + hello);
        assert_int_equal(tlsflow_conn_memory(p->server), s + hello);
        tft_pair_free(p);
    }
}

/* Data both ways through release/wake cycles, every suite and version. */
static void test_data_across_releases(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_CASES; i++) {
        tft_pair *p = released_pair(&CASES[i], 0, NULL);
        size_t idle = 0;
        for (int round = 0; round < 4; round++) {
            release_both(p);
            if (round == 0)
                idle = tlsflow_conn_memory(p->server);
            assert_int_equal(tlsflow_conn_memory(p->server), idle);
            send_and_read(p->client, p->server, "request after a release");
            release_both(p);
            send_and_read(p->server, p->client, "response after a release");
        }
        /* One side released, the other busy: still one conversation. */
        settle(p);
        assert_int_equal(tlsflow_conn_release_buffers(p->server), 1);
        send_and_read(p->client, p->server, "to a released server");
        send_and_read(p->server, p->client, "from a woken server");
        const tlsflow_info *ci = tlsflow_get_info(p->client), *si = tlsflow_get_info(p->server);
        assert_int_equal(ci->records_out, 5);
        assert_int_equal(si->records_in, 5);
        assert_int_equal(si->records_out, 5);
        assert_int_equal(ci->records_in, 5);
        tft_pair_free(p);
    }
}

/* TLS 1.3 KeyUpdate across releases: a released client that must update its keys before
 * writing (the §5.5 limit) wakes, rebuilds its write context from the old key, sends the
 * KeyUpdate and writes under the next key; a KeyUpdate that asks for an answer reaches a
 * released server, whose answer goes out under its rebuilt context. */
static void test_key_update_across_release(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_CASES; i++) {
        if (CASES[i].version != TLSFLOW_VERSION_TLS13)
            continue;
        tft_pair *p = released_pair(&CASES[i], 0, NULL);
        release_both(p);
        uint8_t c_wr[sizeof(p->client->wr.secret)], s_wr[sizeof(c_wr)];
        memcpy(c_wr, p->client->wr.secret, sizeof(c_wr));
        memcpy(s_wr, p->server->wr.secret, sizeof(s_wr));
        uint8_t c_key[TF_MAX_KEY];
        memcpy(c_key, p->client->wr.key, sizeof(c_key));

        p->client->key_update_after = p->client->wr.seq; /* the next write updates first */
        send_and_read(p->client, p->server, "under the client's next key");
        p->client->key_update_after = (uint64_t)1 << 24;
        assert_memory_not_equal(c_wr, p->client->wr.secret, sizeof(c_wr));
        assert_memory_not_equal(c_key, p->client->wr.key, sizeof(c_key));
        assert_memory_equal(p->client->wr.secret, p->server->rd.secret, sizeof(c_wr));
        assert_int_equal(p->client->wr.seq, 1);

        release_both(p);
        size_t room;
        assert_non_null(tlsflow_in_buf(p->client, &room)); /* wake the client alone */
        assert_int_equal(tf13_send_key_update(p->client, 1), 0);
        settle(p); /* the server wakes for it and answers with its own KeyUpdate */
        assert_memory_not_equal(s_wr, p->server->wr.secret, sizeof(s_wr));
        assert_memory_equal(p->server->wr.secret, p->client->rd.secret, sizeof(s_wr));

        release_both(p);
        send_and_read(p->server, p->client, "under the server's next key");
        release_both(p);
        send_and_read(p->client, p->server, "and the client's third");
        assert_true(tlsflow_conn_memory(p->client) > IDLE_BOUND); /* awake */
        tft_pair_free(p);
    }
}

/* What tlsflow_get_info() shows after a release: everything but the ClientHello summary
 * (unless kept), which is then all zero and never NULL. */
static void test_info_after_release(void **state)
{
    (void)state;
    for (int keep = 0; keep < 2; keep++)
        for (size_t i = 0; i < N_CASES; i++) {
            tft_pair *p = released_pair(&CASES[i], keep, NULL);
            send_and_read(p->client, p->server, "before");
            settle(p);
            tlsflow_info before[2];
            tlsflow_hello_info hello[2];
            tlsflow_conn *conns[2] = {p->client, p->server};
            for (int k = 0; k < 2; k++) {
                before[k] = *tlsflow_get_info(conns[k]);
                hello[k] = *before[k].client_hello;
                assert_true(hello[k].n_suites > 0);
                assert_string_equal(hello[k].alpn, "h2");
            }
            release_both(p);
            for (int k = 0; k < 2; k++) {
                const tlsflow_info *in = tlsflow_get_info(conns[k]);
                assert_non_null(in->client_hello);
                if (keep) {
                    assert_memory_equal(in->client_hello, &hello[k], sizeof(hello[k]));
                } else {
                    assert_int_equal(in->client_hello->n_suites, 0);
                    assert_int_equal(in->client_hello->n_extensions, 0);
                    assert_string_equal(in->client_hello->alpn, "");
                }
                /* Everything else, byte for byte. */
                tlsflow_info a = before[k], b = *in;
                a.client_hello = b.client_hello = NULL;
                assert_memory_equal(&a, &b, sizeof(a));
                assert_int_equal(in->version, CASES[i].version);
                assert_int_equal(in->cipher_suite, CASES[i].suite);
                assert_string_equal(in->alpn, "h2");
                assert_string_equal(in->server_name, "localhost");
                assert_true(in->cert.subject[0] != 0);
                assert_string_equal(in->cert.subject, before[k].cert.subject);
                assert_string_equal(in->cert.key_type, "RSA");
                assert_int_equal(tlsflow_last_error(conns[k]), 0);
                assert_string_equal(tlsflow_last_error_text(conns[k]), "no error");
            }
            /* The exporter still works once released (its secret stays). */
            uint8_t ek[2][32];
            for (int k = 0; k < 2; k++)
                assert_int_equal(tlsflow_export_keying_material(conns[k], "EXPERIMENTAL test", NULL,
                                                                0, ek[k], 32),
                                 0);
            assert_memory_equal(ek[0], ek[1], 32);
            send_and_read(p->server, p->client, "after");
            tft_pair_free(p);
        }
    assert_non_null(tlsflow_get_info(NULL)->client_hello);
}

/* A release wipes the record contexts rebuilt since the last one: no record key is left
 * in a returned workspace. Without release mode the contexts are keyed once and stay. */
static void test_release_wipes_contexts(void **state)
{
    (void)state;
    for (size_t i = 0; i < N_CASES; i++) {
        ws_spy spy;
        memset(&spy, 0, sizeof(spy));
        tft_pair *p = released_pair(&CASES[i], 0, &spy);
        const tf_suite *s = p->server->wr.suite;
        spy.key_len = s->key_len;
        size_t ctx_area = sizeof(tf_handshake) + sizeof(tf_work) + 16;
        for (int round = 0; round < 3; round++) {
            settle(p);
            /* Awake and keyed: the contexts hold the keys where the check can see them. */
            tlsflow_conn *conns[2] = {p->client, p->server};
            for (int k = 0; k < 2; k++) {
                assert_true(conns[k]->work->aead[0].ready && conns[k]->work->aead[1].ready);
                assert_true(holds_key(conns[k]->workspace, ctx_area, conns[k]->wr.key, s->key_len));
                assert_true(holds_key(conns[k]->workspace, ctx_area, conns[k]->rd.key, s->key_len));
            }
            memcpy(spy.keys[0], p->server->rd.key, s->key_len); /* = the client's write key */
            memcpy(spy.keys[1], p->server->wr.key, s->key_len);
            spy.armed = 1;
            assert_int_equal(tlsflow_conn_release_buffers(p->server), 1);
            assert_int_equal(tlsflow_conn_release_buffers(p->client), 1);
            spy.armed = 0;
            assert_null(p->server->work);
            send_and_read(p->client, p->server, "the client's write and the server's read");
            send_and_read(p->server, p->client, "the server's write and the client's read");
        }
        assert_int_equal(spy.returned, 6);
        assert_false(spy.key_found);
        assert_false(spy.dirty);
        tft_pair_free(p);
    }

    /* Default mode: the contexts are keyed when the keys come and never again, so the
     * keys kept beside them can change without the records noticing. */
    tft_pair *p = tft_pair_new();
    tft_pair_start(p);
    assert_true(tft_handshake(p->client, p->server, NULL));
    settle(p);
    assert_true(p->server->work->aead[0].ready && p->server->work->aead[1].ready);
    memset(p->server->rd.key, 0xee, sizeof(p->server->rd.key));
    memset(p->server->wr.key, 0xee, sizeof(p->server->wr.key));
    for (int i = 0; i < 3; i++) {
        send_and_read(p->client, p->server, "no rebuild");
        send_and_read(p->server, p->client, "either way");
    }
    tft_pair_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idle_bytes),
        cmocka_unit_test(test_data_across_releases),
        cmocka_unit_test(test_key_update_across_release),
        cmocka_unit_test(test_info_after_release),
        cmocka_unit_test(test_release_wipes_contexts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
