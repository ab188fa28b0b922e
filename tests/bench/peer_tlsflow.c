/* tlsflow as one of the stacks of bench_peers: our client against our server through
 * the shared engine pump, timed the same way as the other stacks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_peers.h"

/* Room for an exported client session (the engine keeps up to 6,912 bytes). */
#define SESSION_ROOM 8192

typedef struct {
    tlsflow_config *ccfg, *scfg;
    int ecdhe, tls13;
    /* Resumption: a server configuration with ticket keys, and the newest session the
     * client exported. */
    tlsflow_config *tix_scfg;
    uint8_t session[SESSION_ROOM];
    size_t session_len;
} tf_ctx;

/* The server side of resumption: a fixed ticket key (the bench needs no rotation) and
 * the engine's ticket policy as shipped: two TLS 1.3 tickets after every handshake, where
 * OpenSSL's server sends one after a resumed handshake (ours does a little more work). */
static tlsflow_config *tix_server_config(const bench_suite *s, const bench_fx *fx)
{
    tlsflow_ticket_key key;
    memcpy(key.name, "bench ticket key", sizeof(key.name));
    memset(key.key, 0x5a, sizeof(key.key));
    tlsflow_config *cfg = bench_server_config(s, fx);
    if (cfg && tlsflow_config_set_ticket_keys(cfg, &key, 1) != 0) {
        tlsflow_config_free(cfg);
        cfg = NULL;
    }
    return cfg;
}

static void *tf_open(const bench_suite *s, const bench_fx *fx, char *note, size_t len)
{
    tf_ctx *x = calloc(1, sizeof(*x));
    if (!x)
        return NULL;
    x->ecdhe = s->ecdhe;
    x->tls13 = s->tls13;
    x->ccfg = bench_client_config(s, fx);
    x->scfg = bench_server_config(s, fx);
    x->tix_scfg = tix_server_config(s, fx);
    if (!x->ccfg || !x->scfg) {
        snprintf(note, len, "suite not supported by this engine or fixtures");
        tlsflow_config_free(x->ccfg);
        tlsflow_config_free(x->scfg);
        tlsflow_config_free(x->tix_scfg);
        free(x);
        return NULL;
    }
    return x;
}

static void tf_close(void *ctx)
{
    tf_ctx *x = ctx;
    tlsflow_config_free(x->ccfg);
    tlsflow_config_free(x->scfg);
    tlsflow_config_free(x->tix_scfg);
    free(x);
}

static void sides_init(bench_side *cl, bench_side *sv)
{
    memset(cl, 0, sizeof(*cl));
    memset(sv, 0, sizeof(*sv));
    cl->collect = sv->collect = peer_collect;
}

static int tf_handshakes(void *ctx, double seconds, long max, peer_samples *out)
{
    tf_ctx *x = ctx;
    bench_loop l;
    bench_loop_init(&l, 1, max, seconds);
    while (bench_loop_next(&l)) {
        bench_side cl, sv;
        sides_init(&cl, &sv);
        BENCH_TIMED(&cl, cl.c = tlsflow_conn_new(x->ccfg));
        BENCH_TIMED(&sv, sv.c = tlsflow_conn_new(x->scfg));
        int bad = !cl.c || !sv.c || bench_handshake(&cl, &sv, NULL) != 0;
        BENCH_TIMED(&cl, tlsflow_conn_free(cl.c));
        BENCH_TIMED(&sv, tlsflow_conn_free(sv.c));
        if (bad ||
            peer_samples_add(out, bench_side_us_since(&cl, 0, 0), bench_side_us_since(&sv, 0, 0)))
            return bad ? -1 : 0;
    }
    return 0;
}

static int tf_records(void *ctx, double seconds, long max, peer_samples *out)
{
    tf_ctx *x = ctx;
    static uint8_t data[TLSFLOW_MAX_PLAINTEXT];
    bench_side cl, sv;
    sides_init(&cl, &sv);
    int rc = -1;
    cl.c = tlsflow_conn_new(x->ccfg);
    sv.c = tlsflow_conn_new(x->scfg);
    if (!cl.c || !sv.c || bench_handshake(&cl, &sv, NULL) != 0)
        goto done;
    bench_loop l;
    bench_loop_init(&l, 1, max, seconds);
    while (bench_loop_next(&l)) {
        uint64_t c0 = cl.ns, s0 = sv.ns;
        long cc0 = cl.calls, sc0 = sv.calls;
        size_t took;
        BENCH_TIMED(&cl, took = tlsflow_app_write(cl.c, data, sizeof(data)));
        if (took != sizeof(data) || bench_step(&cl, &sv, NULL) != TLSFLOW_OUTPUT_READY)
            goto done;
        size_t got = 0;
        for (int k = 0; k < 8; k++) {
            tlsflow_event ev;
            BENCH_TIMED(&sv, ev = tlsflow_poll(sv.c));
            if (ev == TLSFLOW_NEED_INPUT)
                break;
            if (ev != TLSFLOW_APP_DATA)
                goto done;
            size_t n;
            BENCH_TIMED(&sv, (void)tlsflow_app_peek(sv.c, &n));
            got += n;
            BENCH_TIMED(&sv, tlsflow_app_consume(sv.c, n));
        }
        if (got != sizeof(data))
            goto done;
        if (peer_samples_add(out, bench_side_us_since(&cl, c0, cc0),
                             bench_side_us_since(&sv, s0, sc0)))
            break;
    }
    rc = 0;
done:
    tlsflow_conn_free(cl.c);
    tlsflow_conn_free(sv.c);
    return rc;
}

static int tf_idle(void *ctx, double *client, double *server, char *group, size_t len)
{
    tf_ctx *x = ctx;
    bench_side cl, sv;
    sides_init(&cl, &sv);
    cl.c = tlsflow_conn_new(x->ccfg);
    sv.c = tlsflow_conn_new(x->scfg);
    int bad = !cl.c || !sv.c || bench_handshake(&cl, &sv, NULL) != 0;
    if (!bad) {
        *client = (double)tlsflow_conn_memory(cl.c);
        *server = (double)tlsflow_conn_memory(sv.c);
        group[0] = 0;
#ifdef TLSFLOW_GROUP_X25519
        if (x->ecdhe)
            snprintf(group, len, "%s", tlsflow_get_info(sv.c)->group_name);
#else
        (void)len;
#endif
    }
    tlsflow_conn_free(cl.c);
    tlsflow_conn_free(sv.c);
    return bad ? -1 : 0;
}

/* ---- resumed handshakes ------------------------------------------------------------- */

/* TLS 1.3: the tickets come after the handshake; pump both sides until neither has
 * anything to send (bounded), so that the client holds the newest session. */
static int settle(bench_side *cl, bench_side *sv)
{
    for (int i = 0; i < 16; i++) {
        tlsflow_event a = bench_step(sv, cl, NULL);
        tlsflow_event b = bench_step(cl, sv, NULL);
        if (a == TLSFLOW_CLOSED || b == TLSFLOW_CLOSED)
            return -1;
        if (a != TLSFLOW_OUTPUT_READY && b != TLSFLOW_OUTPUT_READY)
            return 0;
    }
    return -1;
}

/* One handshake offering x->session (none when offer is 0); the session the client
 * holds afterwards replaces it. 1 if both sides resumed, 0 if not, -1 on failure. */
static int tf_one_resumed(tf_ctx *x, bench_side *cl, bench_side *sv, int offer)
{
    int rc = -1, imported = 1, exported = -1;
    size_t len = 0;
    BENCH_TIMED(cl, cl->c = tlsflow_conn_new(x->ccfg));
    BENCH_TIMED(sv, sv->c = tlsflow_conn_new(x->tix_scfg));
    if (!cl->c || !sv->c)
        goto done;
    if (offer)
        BENCH_TIMED(cl, imported = tlsflow_session_import(cl->c, x->session, x->session_len));
    if (imported != 1 || bench_handshake(cl, sv, NULL) != 0 || (x->tls13 && settle(cl, sv)))
        goto done;
    BENCH_TIMED(cl, exported = tlsflow_session_export(cl->c, x->session, sizeof(x->session), &len));
    if (exported != TLSFLOW_OK) {
        fprintf(stderr, "tlsflow: no session to export after a handshake\n");
        goto done;
    }
    x->session_len = len;
    rc = tlsflow_get_info(cl->c)->resumed && tlsflow_get_info(sv->c)->resumed;
done:
    BENCH_TIMED(cl, tlsflow_conn_free(cl->c));
    BENCH_TIMED(sv, tlsflow_conn_free(sv->c));
    cl->c = sv->c = NULL;
    return rc;
}

static int tf_resumed(void *ctx, double seconds, long max, peer_samples *out)
{
    tf_ctx *x = ctx;
    bench_side cl, sv;
    if (!x->tix_scfg) {
        fprintf(stderr, "tlsflow: no server configuration with ticket keys\n");
        return -1;
    }
    if (x->session_len == 0) { /* the full handshake that makes the first session */
        sides_init(&cl, &sv);
        if (tf_one_resumed(x, &cl, &sv, 0) < 0 || x->session_len == 0)
            return -1;
    }
    bench_loop l;
    bench_loop_init(&l, 1, max, seconds);
    while (bench_loop_next(&l)) {
        sides_init(&cl, &sv);
        int r = tf_one_resumed(x, &cl, &sv, 1);
        if (r < 0)
            return -1;
        if (r == 0) {
            fprintf(stderr, "tlsflow: resumed handshake %ld was a full one\n", l.i);
            return PEER_NOT_RESUMED;
        }
        if (peer_samples_add(out, bench_side_us_since(&cl, 0, 0), bench_side_us_since(&sv, 0, 0)))
            break;
    }
    return 0;
}

const peer_stack PEER_TLSFLOW = {"tlsflow", tf_open,  tf_handshakes, tf_records,
                                 tf_idle,   tf_close, tf_resumed};
