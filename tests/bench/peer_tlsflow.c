/* tlsflow as one of the stacks of bench_peers: our client against our server through
 * the shared engine pump, timed the same way as the other stacks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_peers.h"

typedef struct {
    tlsflow_config *ccfg, *scfg;
    int ecdhe;
} tf_ctx;

static void *tf_open(const bench_suite *s, const bench_fx *fx, char *note, size_t len)
{
    tf_ctx *x = calloc(1, sizeof(*x));
    if (!x)
        return NULL;
    x->ecdhe = s->ecdhe;
    x->ccfg = bench_client_config(s, fx);
    x->scfg = bench_server_config(s, fx);
    if (!x->ccfg || !x->scfg) {
        snprintf(note, len, "suite not supported by this engine or fixtures");
        tlsflow_config_free(x->ccfg);
        tlsflow_config_free(x->scfg);
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

const peer_stack PEER_TLSFLOW = {"tlsflow", tf_open, tf_handshakes, tf_records, tf_idle, tf_close};
