#include "fuzz_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "internal.h"
#include "tf_test.h"

#include "fuzz_fixtures.h" /* generated from tests/fixtures by fuzz/CMakeLists.txt */

/* The only mutable globals: reset for every input by tff_reset. */
static tft_rng client_rng, server_rng;
/* What the TLS 1.3 configurations wrote to their key log, by role. */
typedef struct {
    char lines[16][256];
    size_t n;
} keylog_lines;
static keylog_lines keylogs[2];

void tff_reset(void)
{
    client_rng.state = TFF_CLIENT_SEED;
    server_rng.state = TFF_SERVER_SEED;
    keylogs[0].n = keylogs[1].n = 0;
}

void tff_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "fuzz invariant failed at %s:%d: %s\n", file, line, what);
    fflush(stderr);
    abort();
}

static void must(int ok, const char *what)
{
    if (!ok)
        tff_fail(__FILE__, __LINE__, what);
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void suites(tlsflow_config *cfg, const uint16_t *ids, size_t n)
{
    must(tlsflow_config_set_cipher_suites(cfg, ids, n) == 0, "suites");
}

static tlsflow_config *new_client(int variant)
{
    tlsflow_config *cfg = tlsflow_config_new(TLSFLOW_CLIENT);
    must(cfg != NULL, "client config");
    must(tlsflow_config_add_trust_anchors(cfg, tff_fixture_ca_pem, tff_fixture_ca_pem_len) == 0,
         "fixture root");
    must(tlsflow_config_set_server_name(cfg, "localhost") == 0, "server name");
    tlsflow_config_set_random(cfg, tft_random, &client_rng);
    tlsflow_config_set_time(cfg, tft_time, NULL);
    static const uint16_t rsa_kx[] = {TLSFLOW_RSA_WITH_AES_128_GCM_SHA256,
                                      TLSFLOW_RSA_WITH_AES_256_GCM_SHA384};
    static const uint16_t aes256[] = {TLSFLOW_RSA_WITH_AES_256_GCM_SHA384};
    static const char *const protos[] = {"h2", "http/1.1"};
    switch (variant) {
    case TFF_CLIENT_RSA_KX:
        suites(cfg, rsa_kx, COUNT(rsa_kx));
        break;
    case TFF_CLIENT_AES256:
        suites(cfg, aes256, COUNT(aes256));
        break;
    case TFF_CLIENT_NO_EMS:
        suites(cfg, rsa_kx, COUNT(rsa_kx));
        tlsflow_config_set_offer_ems(cfg, 0);
        break;
    case TFF_CLIENT_ALPN:
        must(tlsflow_config_set_alpn(cfg, protos, COUNT(protos)) == 0, "alpn");
        tlsflow_config_set_release_idle_buffers(cfg, 1);
        break;
    case TFF_CLIENT_CHACHA: {
        static const uint16_t ids[] = {TLSFLOW_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
                                       TLSFLOW_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
                                       TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256};
        suites(cfg, ids, COUNT(ids));
        break;
    }
    case TFF_CLIENT_P384: {
        static const uint16_t ids[] = {TLSFLOW_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
                                       TLSFLOW_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384};
        static const uint16_t groups[] = {TLSFLOW_GROUP_SECP384R1};
        suites(cfg, ids, COUNT(ids));
        must(tlsflow_config_set_groups(cfg, groups, COUNT(groups)) == 0, "groups");
        break;
    }
    case TFF_CLIENT_ECDSA: {
        static const uint16_t ids[] = {TLSFLOW_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
                                       TLSFLOW_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
                                       TLSFLOW_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256};
        suites(cfg, ids, COUNT(ids));
        break;
    }
    default:
        break;
    }
    return cfg;
}

static void credential(tlsflow_config *cfg, const uint8_t *chain, size_t chain_len,
                       const uint8_t *key, size_t key_len)
{
    must(tlsflow_config_add_credential(cfg, chain, chain_len, key, key_len, NULL) == 0,
         "fixture credential");
}

static tlsflow_config *new_server(int variant)
{
    tlsflow_config *cfg = tlsflow_config_new(TLSFLOW_SERVER);
    must(cfg != NULL, "server config");
    tlsflow_config_set_random(cfg, tft_random, &server_rng);
    tlsflow_config_set_time(cfg, tft_time, NULL);
    int rsa = 1;
#ifdef TFF_HAVE_FIXTURE_server_ec384_pem
    if (variant == TFF_SERVER_EC384) {
        credential(cfg, tff_fixture_server_ec384_pem, tff_fixture_server_ec384_pem_len,
                   tff_fixture_server_ec384_key, tff_fixture_server_ec384_key_len);
        rsa = 0;
    }
#endif
    if (rsa)
        credential(cfg, tff_fixture_server_pem, tff_fixture_server_pem_len, tff_fixture_server_key,
                   tff_fixture_server_key_len);
    static const uint16_t rsa_kx[] = {TLSFLOW_RSA_WITH_AES_128_GCM_SHA256,
                                      TLSFLOW_RSA_WITH_AES_256_GCM_SHA384};
    static const char *const protos[] = {"http/1.1", "h2"};
    switch (variant) {
    case TFF_SERVER_ALPN:
        must(tlsflow_config_set_alpn(cfg, protos, COUNT(protos)) == 0, "alpn");
        tlsflow_config_set_release_idle_buffers(cfg, 1);
        break;
    case TFF_SERVER_AES256: {
        /* RSA key transport with AES-256 first, then everything else in default order. */
        uint16_t ids[TF_MAX_SUITES];
        size_t n = 0;
        ids[n++] = TLSFLOW_RSA_WITH_AES_256_GCM_SHA384;
        for (size_t i = 0; i < tf_suite_count() && n < TF_MAX_SUITES; i++)
            if (tf_suite_at(i)->id != TLSFLOW_RSA_WITH_AES_256_GCM_SHA384)
                ids[n++] = tf_suite_at(i)->id;
        suites(cfg, ids, n);
        break;
    }
    case TFF_SERVER_SMALL:
        must(tlsflow_config_set_max_handshake_size(cfg, 1024) == 0, "cap");
        break;
#ifdef TFF_HAVE_FIXTURE_server_ec_pem
    case TFF_SERVER_DUAL:
        credential(cfg, tff_fixture_server_ec_pem, tff_fixture_server_ec_pem_len,
                   tff_fixture_server_ec_key, tff_fixture_server_ec_key_len);
        break;
#endif
    case TFF_SERVER_PSS: {
        static const uint16_t schemes[] = {TLSFLOW_SIG_RSA_PSS_RSAE_SHA256,
                                           TLSFLOW_SIG_RSA_PSS_RSAE_SHA384};
        static const uint16_t groups[] = {TLSFLOW_GROUP_X25519};
        must(tlsflow_config_set_signature_schemes(cfg, schemes, COUNT(schemes)) == 0, "schemes");
        must(tlsflow_config_set_groups(cfg, groups, COUNT(groups)) == 0, "groups");
        break;
    }
    case TFF_SERVER_RSA_KX:
        suites(cfg, rsa_kx, COUNT(rsa_kx));
        break;
    default:
        break;
    }
    return cfg;
}

/* Built on first use and kept for the life of the process (reachable, so no leak). */
static tlsflow_config *clients[TFF_CLIENT_VARIANTS], *servers[TFF_SERVER_VARIANTS],
    *offload_servers[TFF_SERVER_VARIANTS];

const tlsflow_config *tff_client_config(int variant)
{
    variant = (variant % TFF_CLIENT_VARIANTS + TFF_CLIENT_VARIANTS) % TFF_CLIENT_VARIANTS;
    if (!clients[variant])
        clients[variant] = new_client(variant);
    return clients[variant];
}

const tlsflow_config *tff_server_config(int variant)
{
    variant = (variant % TFF_SERVER_VARIANTS + TFF_SERVER_VARIANTS) % TFF_SERVER_VARIANTS;
    if (!servers[variant])
        servers[variant] = new_server(variant);
    return servers[variant];
}

const tlsflow_config *tff_server_config_offload(int variant)
{
    variant = (variant % TFF_SERVER_VARIANTS + TFF_SERVER_VARIANTS) % TFF_SERVER_VARIANTS;
    if (!offload_servers[variant]) {
        offload_servers[variant] = new_server(variant);
        tlsflow_config_set_key_offload(offload_servers[variant], 1);
    }
    return offload_servers[variant];
}

static void keylog13(void *ctx, const char *line)
{
    keylog_lines *k = ctx;
    if (k->n < COUNT(k->lines))
        snprintf(k->lines[k->n++], sizeof(k->lines[0]), "%s", line);
}

size_t tff_keylog13(tlsflow_role role, const char *label, uint8_t *out, size_t cap)
{
    const keylog_lines *k = &keylogs[role == TLSFLOW_SERVER];
    return tft_keylog_secret((const char(*)[256])k->lines, k->n, label, out, cap);
}

static tlsflow_config *new_client13(unsigned flags)
{
    tlsflow_config *cfg = new_client(TFF_CLIENT_DEFAULT);
    if (flags & TFF13_HRR) {
        static const uint16_t groups[] = {TLSFLOW_GROUP_SECP256R1, TLSFLOW_GROUP_X25519};
        must(tlsflow_config_set_groups(cfg, groups, COUNT(groups)) == 0, "groups");
    }
    if (flags & TFF13_CERT) {
        if (flags & TFF13_ALT)
            credential(cfg, tff_fixture_client_pem, tff_fixture_client_pem_len,
                       tff_fixture_client_key, tff_fixture_client_key_len);
        else
            credential(cfg, tff_fixture_client_ec_pem, tff_fixture_client_ec_pem_len,
                       tff_fixture_client_ec_key, tff_fixture_client_ec_key_len);
    }
    if (flags & TFF13_ALT) {
        static const uint16_t ids[] = {TLSFLOW_AES_256_GCM_SHA384, TLSFLOW_CHACHA20_POLY1305_SHA256,
                                       TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256};
        static const char *const protos[] = {"h2", "http/1.1"};
        suites(cfg, ids, COUNT(ids));
        must(tlsflow_config_set_alpn(cfg, protos, COUNT(protos)) == 0, "alpn");
        must(tlsflow_config_set_record_size_limit(cfg, 4096) == 0, "record_size_limit");
    }
    tlsflow_config_set_keylog(cfg, keylog13, &keylogs[0]);
    return cfg;
}

static tlsflow_config *new_server13(unsigned flags)
{
    tlsflow_config *cfg = new_server((flags & TFF13_ALT) ? TFF_SERVER_DUAL : TFF_SERVER_DEFAULT);
    if (flags & TFF13_HRR) {
        static const uint16_t groups[] = {TLSFLOW_GROUP_X25519};
        must(tlsflow_config_set_groups(cfg, groups, COUNT(groups)) == 0, "groups");
    }
    if (flags & TFF13_AUTH) {
        must(tlsflow_config_add_trust_anchors(cfg, tff_fixture_ca_pem, tff_fixture_ca_pem_len) == 0,
             "client roots");
        must(tlsflow_config_set_client_auth(cfg, TLSFLOW_CLIENT_AUTH_OPTIONAL) == 0, "client auth");
    }
    if (flags & TFF13_ALT) {
        static const char *const protos[] = {"http/1.1", "h2"};
        must(tlsflow_config_set_alpn(cfg, protos, COUNT(protos)) == 0, "alpn");
        must(tlsflow_config_set_record_size_limit(cfg, 2048) == 0, "record_size_limit");
    }
    static const tlsflow_ticket_key key = {{'t', 'f', 'f', '1', '3'}, {0x13}};
    must(tlsflow_config_set_ticket_keys(cfg, &key, 1) == 0, "ticket key");
    tlsflow_config_set_keylog(cfg, keylog13, &keylogs[1]);
    return cfg;
}

static tlsflow_config *clients13[TFF13_FLAGS], *servers13[TFF13_FLAGS];

const tlsflow_config *tff_client_config13(unsigned flags)
{
    flags &= TFF13_HRR | TFF13_CERT | TFF13_ALT; /* what the client's side of a pair needs */
    if (!clients13[flags])
        clients13[flags] = new_client13(flags);
    return clients13[flags];
}

const tlsflow_config *tff_server_config13(unsigned flags)
{
    flags =
        (flags & (TFF13_HRR | TFF13_ALT)) | ((flags & (TFF13_AUTH | TFF13_CERT)) ? TFF13_AUTH : 0);
    if (!servers13[flags])
        servers13[flags] = new_server13(flags);
    return servers13[flags];
}

static const uint8_t *pem_to_der(const uint8_t *pem, size_t pem_len, uint8_t *buf, size_t cap,
                                 size_t *len)
{
    must(tf_pem_cert_to_der((const char *)pem, pem_len, buf, cap, len) == 0, "fixture PEM");
    return buf;
}

const uint8_t *tff_leaf_der(size_t *len)
{
    static uint8_t der[4096];
    static size_t der_len;
    if (!der_len)
        pem_to_der(tff_fixture_server_pem, tff_fixture_server_pem_len, der, sizeof(der), &der_len);
    *len = der_len;
    return der;
}

const uint8_t *tff_root_der(size_t *len)
{
    static uint8_t der[4096];
    static size_t der_len;
    if (!der_len)
        pem_to_der(tff_fixture_ca_pem, tff_fixture_ca_pem_len, der, sizeof(der), &der_len);
    *len = der_len;
    return der;
}

uint8_t tff_u8(tff_input *in)
{
    if (!in->len)
        return 0;
    in->len--;
    return *in->p++;
}

uint16_t tff_u16(tff_input *in)
{
    uint16_t hi = tff_u8(in);
    return (uint16_t)((hi << 8) | tff_u8(in));
}

size_t tff_take(tff_input *in, size_t n, const uint8_t **out)
{
    if (n > in->len)
        n = in->len;
    *out = in->p;
    in->p += n;
    in->len -= n;
    return n;
}

size_t tff_chunk_from_bits(unsigned bits)
{
    static const size_t CHUNKS[8] = {0, 1, 2, 3, 5, 7, 64, 1000};
    return CHUNKS[bits & 7];
}

void tff_drive_opts_from_bits(unsigned bits, tff_drive_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->chunk = tff_chunk_from_bits(bits);
    /* Partial acknowledgements exercise the output buffer's compaction. */
    o->out_chunk = (bits & 7) == 1 ? 1 : (bits & 7) == 6 ? 100 : 0;
    o->eof_at_end = (bits >> 3) & 1;
    o->echo = (bits >> 4) & 1;
    o->close_after = o->echo ? 2 : 0;
}

size_t tff_record_len(const uint8_t *p, size_t len)
{
    if (len < 5)
        return 0;
    size_t n = 5 + (((size_t)p[3] << 8) | p[4]);
    return n <= len ? n : 0;
}

void tff_check(const tlsflow_conn *c, tff_watch *w, tlsflow_event ev)
{
    int err = tlsflow_last_error(c);
    TFF_CHECK(tlsflow_last_error_text(c) != NULL);
    TFF_CHECK(tlsflow_error_name(err) != NULL);
    TFF_CHECK(w->error == 0 || err == w->error); /* sticky */
    if (err)
        w->error = err;
    TFF_CHECK(ev >= TLSFLOW_NEED_INPUT && ev <= TLSFLOW_KEY_OPERATION);
    TFF_CHECK(!w->closed || ev == TLSFLOW_CLOSED); /* CLOSED is final */
    /* Data may be taken in while our last flight still waits to go out (full duplex), but
     * once nothing waits, HANDSHAKE_DONE comes before anything else. */
    if (!w->done &&
        (ev == TLSFLOW_NEED_INPUT || ev == TLSFLOW_APP_DATA || ev == TLSFLOW_KEY_OPERATION))
        TFF_CHECK(tlsflow_get_info(c)->records_in == 0);
    if (ev == TLSFLOW_APP_DATA)
        TFF_CHECK(w->done); /* no application data before the handshake */
    if (ev == TLSFLOW_HANDSHAKE_DONE) {
        TFF_CHECK(!w->done); /* reported exactly once */
        TFF_CHECK(err == 0);
        w->done = 1;
    }
    if (ev == TLSFLOW_CLOSED) {
        w->closed = 1;
        if (err == 0) /* a clean close is a close_notify we sent */
            TFF_CHECK(tlsflow_sent_alert(c) == TLSFLOW_ALERT_CLOSE_NOTIFY);
        else if (err == TLSFLOW_E_PEER_ALERT)
            TFF_CHECK(tlsflow_peer_alert(c) >= 0);
        else if (!w->eof && tf_alert_for(err) >= 0)
            TFF_CHECK(tlsflow_sent_alert(c) == tf_alert_for(err)); /* the right alert went out */
    }
}

void tff_key_op_now(tlsflow_conn *c)
{
    uint8_t res[1024];
    size_t n = 0;
    TFF_CHECK(tlsflow_key_op(c) != NULL);
    int r = tlsflow_key_op_run(c, res, sizeof(res), &n);
    TFF_CHECK(r == TLSFLOW_OK);
    TFF_CHECK(tlsflow_key_op_complete(c, res, n) == 0);
    TFF_CHECK(tlsflow_key_op(c) == NULL);
}

/* Hand the next chunk of the stream to the connection; 0 if none fits or is left. */
static int feed(tlsflow_conn *c, const uint8_t *stream, size_t len, size_t *off,
                const tff_drive_opts *o, size_t *room)
{
    uint8_t *dst = tlsflow_in_buf(c, room);
    if (*off >= len || !*room)
        return 0;
    size_t n = len - *off;
    if (o->chunk && n > o->chunk)
        n = o->chunk;
    if (n > *room)
        n = *room;
    memcpy(dst, stream + *off, n);
    tlsflow_in_ack(c, n);
    *off += n;
    return 1;
}

/* Answer a private-key operation as the options say. */
static void key_op(tlsflow_conn *c, const tff_drive_opts *o)
{
    static const uint8_t garbage[48] = {3, 3, 0x5a, 0x5a, 0x5a};
    const tlsflow_key_operation *op = tlsflow_key_op(c);
    TFF_CHECK(op != NULL && op->input_len > 0 && op->key_handle == NULL);
    TFF_CHECK(op->type == TLSFLOW_KEY_OP_RSA_DECRYPT || op->digest_len >= 32);
    switch (o->key_op) {
    case TFF_KEY_FAIL:
        TFF_CHECK(tlsflow_key_op_complete(c, NULL, 0) == 0);
        break;
    case TFF_KEY_GARBAGE:
        TFF_CHECK(tlsflow_key_op_complete(c, garbage, sizeof(garbage)) == 0);
        break;
    case TFF_KEY_NEVER:
        tlsflow_close(c);
        TFF_CHECK(tlsflow_key_op(c) == NULL);
        TFF_CHECK(tlsflow_key_op_complete(c, garbage, sizeof(garbage)) == TLSFLOW_E_USAGE);
        return;
    default:
        tff_key_op_now(c);
        return;
    }
    TFF_CHECK(tlsflow_key_op(c) == NULL);
    TFF_CHECK(tlsflow_key_op_complete(c, NULL, 0) == TLSFLOW_E_USAGE); /* only once */
}

tlsflow_event tff_drive(tlsflow_conn *c, const uint8_t *stream, size_t len, const tff_drive_opts *o)
{
    tff_watch w = {0, 0, 0, 0};
    return tff_drive_watched(c, stream, len, o, &w);
}

tlsflow_event tff_drive_watched(tlsflow_conn *c, const uint8_t *stream, size_t len,
                                const tff_drive_opts *o, tff_watch *w)
{
    static const uint8_t greeting[] = "hello from the fuzz harness";
    size_t off = 0, app_events = 0, delayed = 0, room;
    /* Every poll either moves bytes or changes state; this bound only catches a loop. */
    size_t bound = 100000 + 64 * len;
    for (size_t step = 0;; step++) {
        TFF_CHECK(step < bound);
        tlsflow_event ev = tlsflow_poll(c);
        tff_check(c, w, ev);
        switch (ev) {
        case TLSFLOW_OUTPUT_READY: {
            size_t n;
            const uint8_t *p = tlsflow_out_buf(c, &n);
            TFF_CHECK(n > 0 && n <= TLSFLOW_MAX_RECORD + 64);
            if (o->out_chunk && o->out_chunk < n)
                n = o->out_chunk;
            if (o->on_sent)
                o->on_sent(o->sent_ctx, p, n);
            tlsflow_out_ack(c, n);
            break;
        }
        case TLSFLOW_KEY_OPERATION:
            /* Later: input keeps arriving while the operation runs elsewhere. */
            if (o->key_op == TFF_KEY_LATER && delayed < o->key_op_delay &&
                feed(c, stream, len, &off, o, &room)) {
                delayed++;
                break;
            }
            delayed = 0;
            key_op(c, o);
            break;
        case TLSFLOW_NEED_INPUT: {
            /* Give the buffers back at every wait (configurations that allow it), so the
             * next call must take fresh ones: the most churn an embedder can cause. */
            tlsflow_conn_release_buffers(c);
            if (feed(c, stream, len, &off, o, &room)) {
            } else if (o->eof_at_end && !w->eof) {
                w->eof = 1;
                tlsflow_in_ack(c, 0);
            } else {
                /* Waiting with room to spare is fine; waiting with none is a wedge. */
                TFF_CHECK(room > 0 || off == len);
                return ev;
            }
            break;
        }
        case TLSFLOW_HANDSHAKE_DONE:
            if (o->echo)
                tlsflow_app_write(c, greeting, sizeof(greeting) - 1);
            break;
        case TLSFLOW_APP_DATA: {
            size_t n;
            const uint8_t *p = tlsflow_app_peek(c, &n);
            TFF_CHECK(n > 0 && n <= TLSFLOW_MAX_PLAINTEXT && p != NULL);
            if (o->echo)
                TFF_CHECK(tlsflow_app_write(c, p, n) <= n);
            tlsflow_app_consume(c, n);
            if (o->close_after && ++app_events == (size_t)o->close_after)
                tlsflow_close(c);
            break;
        }
        case TLSFLOW_CLOSED:
            TFF_CHECK(tlsflow_poll(c) == TLSFLOW_CLOSED);
            TFF_CHECK(tlsflow_last_error(c) == w->error);
            TFF_CHECK(tlsflow_app_write(c, "x", 1) == 0);
            return ev;
        }
    }
}
