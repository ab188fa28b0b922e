/* The engine in process: our client against our server in memory.
 *
 *  - handshakes: full handshakes per second for each suite, with the CPU time of each
 *    side's engine calls (tlsflow_conn_new, tlsflow_poll, the buffer calls,
 *    tlsflow_conn_free) beside the cost of the same cryptography done by calling
 *    wolfCrypt directly, measured in the same run; the difference is the engine's own
 *    cost, reported as a ratio to the cryptography;
 *  - records: MB/s of 16 KiB application records (tlsflow_app_write -> out buffer ->
 *    peer in buffer -> tlsflow_app_peek) beside raw AEAD seal + open of the same sizes;
 *  - memory: bytes per established connection (tlsflow_conn_memory);
 *  - wake-up: what an idle connection in release mode pays when a record moves again:
 *    keying its two record contexts anew (beside wolfCrypt's own key setup), and a whole
 *    released request/response against the same exchange without the release;
 *  - micro: single engine internals beside the raw operation they wrap, to price the
 *    proposals (X.509 glue, RSA key decode per decrypt, DRBG per call, conn new/free).
 *
 * The pump's own memcpy between the two engines is not counted (a socket would do that
 * copy in the kernel). Timing uses CLOCK_MONOTONIC around each engine call; the cost of
 * reading the clock is calibrated and subtracted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_suites.h"
#include "bench_util.h"
#include "crypto.h"
#include "engine_pump.h"
#include "raw_crypto.h"
#include "raw_handshake.h"
#include "record.h"
#include "tf_test.h"
#include "x509.h"

/* Blinding for private-key operations (the engine keeps one per connection). */
static tf_drbg tf_test_drbg;

#define MAX_HANDSHAKES 200000L
#define MAX_RECORDS    MAX_HANDSHAKES
#define ROUNDS         4 /* engine slices and raw measurements alternate this many times */
#define REC_ROUNDS     9 /* ... for records, where each slice is short */

static bench_opts O;
static bench_fx FX;
static double c_samples[MAX_HANDSHAKES], s_samples[MAX_HANDSHAKES]; /* us per handshake */

/* ---- the raw cryptography of one handshake -------------------------------------------------- */

static double budget(void)
{
    /* per raw operation and round: a few RSA operations, thousands of small ones */
    return O.smoke ? 0.002 : O.seconds * 0.015 > 0.004 ? O.seconds * 0.015 : 0.004;
}

static raw_aead suite_aead(const bench_suite *s)
{
    return raw_suite_aead(s);
}

static void raw_for_suite(const bench_suite *s, const tlsflow_info *info, size_t hs_bytes,
                          raw_split *r)
{
    raw_hs_params p = raw_hs_defaults(s, s->ecdsa ? FX.ec_cert.len : FX.rsa_cert.len);
    p.hs_bytes = hs_bytes;
#ifdef TLSFLOW_GROUP_X25519
    if (info->group == TLSFLOW_GROUP_SECP256R1)
        p.group = RAW_P256;
    else if (info->group == TLSFLOW_GROUP_SECP384R1)
        p.group = RAW_P384;
    if (info->signature_scheme == TLSFLOW_SIG_RSA_PKCS1_SHA256)
        p.sig = RAW_SIG_RSA_PKCS1;
#else
    (void)info;
#endif
    raw_handshake(s, &p, budget(), r);
}

/* ---- handshakes ----------------------------------------------------------------------------- */

/* Bytes an established connection keeps once idle in release mode (as tlsflow-server
 * runs it): client and server; 0 if it did not release. */
static void idle_memory(const bench_suite *s, size_t *client, size_t *server)
{
    tlsflow_config *scfg = bench_server_config(s, &FX), *ccfg = bench_client_config(s, &FX);
    bench_side a = {0}, b = {0};
    *client = *server = 0;
    if (scfg && ccfg) {
        tlsflow_config_set_release_idle_buffers(scfg, 1);
        tlsflow_config_set_release_idle_buffers(ccfg, 1);
        a.c = tlsflow_conn_new(ccfg);
        b.c = tlsflow_conn_new(scfg);
    }
    if (a.c && b.c && bench_handshake(&a, &b, NULL) == 0) {
        *client = tlsflow_conn_release_buffers(a.c) ? tlsflow_conn_memory(a.c) : 0;
        *server = tlsflow_conn_release_buffers(b.c) ? tlsflow_conn_memory(b.c) : 0;
    }
    tlsflow_conn_free(a.c);
    tlsflow_conn_free(b.c);
    tlsflow_config_free(scfg);
    tlsflow_config_free(ccfg);
}

static void bench_handshakes(const bench_suite *s)
{
    char name[96];
    snprintf(name, sizeof(name), "handshake.%s", s->id);
    if (!bench_selected(&O, name))
        return;
    if (s->ecdsa && !FX.ec_cert.p) {
        printf("# %s: no EC fixture, skipped\n", s->id);
        return;
    }
    tlsflow_config *scfg = bench_server_config(s, &FX), *ccfg = bench_client_config(s, &FX);
    if (!scfg || !ccfg) {
        printf("# %s: not supported by this engine build, skipped\n", s->id);
        tlsflow_config_free(scfg);
        tlsflow_config_free(ccfg);
        return;
    }
    bench_side cl, sv;
    memset(&cl, 0, sizeof(cl));
    memset(&sv, 0, sizeof(sv));
    size_t hs_bytes = 0, mem_c = 0, mem_s = 0;
    tlsflow_info info;
    memset(&info, 0, sizeof(info));
    int cg = O.callgrind;
    long max = cg ? 20 : O.smoke ? 3 : MAX_HANDSHAKES;
    long warm = cg ? 2 : 1;
    long n = 0;
    bench_loop l;
    uint64_t wall = 0;
    int failed = 0;

    for (long w = 0; w < warm + 1 && !failed; w++) {
        /* warm-up (and the first real one, which records sizes and the negotiation) */
        bench_side a = {0}, b = {0};
        a.c = tlsflow_conn_new(ccfg);
        b.c = tlsflow_conn_new(scfg);
        size_t moved = 0;
        failed = !a.c || !b.c || bench_handshake(&a, &b, &moved) != 0;
        if (!failed) {
            hs_bytes = moved;
            info = *tlsflow_get_info(b.c);
            mem_c = tlsflow_conn_memory(a.c);
            mem_s = tlsflow_conn_memory(b.c);
        }
        tlsflow_conn_free(a.c);
        tlsflow_conn_free(b.c);
    }
    if (cg) {
        cl.collect = strcmp(O.side, "client") == 0;
        sv.collect = strcmp(O.side, "server") == 0;
    }
    /* Engine slices alternate with measurements of the raw crypto, so that a change in
     * the machine's load hits both alike; each figure is the median of its samples. */
    int rounds = cg || O.smoke ? 1 : ROUNDS;
    double raw_c[ROUNDS], raw_s[ROUNDS];
    raw_split raw;
    for (int r = 0; r < rounds && !failed; r++) {
        bench_loop_init(&l, 3, max - n, cg ? 1e6 : O.seconds / rounds);
        uint64_t t_start = bench_now_ns();
        while (!failed && bench_loop_next(&l)) {
            uint64_t c0 = cl.ns, s0 = sv.ns;
            long cc0 = cl.calls, sc0 = sv.calls;
            BENCH_TIMED(&cl, cl.c = tlsflow_conn_new(ccfg));
            BENCH_TIMED(&sv, sv.c = tlsflow_conn_new(scfg));
            failed = bench_handshake(&cl, &sv, NULL) != 0;
            BENCH_TIMED(&cl, tlsflow_conn_free(cl.c));
            BENCH_TIMED(&sv, tlsflow_conn_free(sv.c));
            c_samples[n] = bench_side_us_since(&cl, c0, cc0);
            s_samples[n] = bench_side_us_since(&sv, s0, sc0);
            n++;
        }
        wall += bench_now_ns() - t_start;
        if (!cg && !failed) {
            raw_for_suite(s, &info, hs_bytes, &raw);
            raw_c[r] = raw.client;
            raw_s[r] = raw.server;
        }
    }
    tlsflow_config_free(scfg);
    tlsflow_config_free(ccfg);
    if (failed || n == 0) {
        printf("# %s: handshake failed\n", s->id);
        return;
    }
    if (cg) {
        printf("# callgrind: %ld %s handshakes collected on the %s side\n", n, s->id, O.side);
        return;
    }
    raw.client = bench_median(raw_c, (size_t)rounds);
    raw.server = bench_median(raw_s, (size_t)rounds);

    double c_mean = bench_side_us_since(&cl, 0, 0) / n, s_mean = bench_side_us_since(&sv, 0, 0) / n;
    double c_us = bench_median(c_samples, (size_t)n), s_us = bench_median(s_samples, (size_t)n);
    printf("\n## %s (%s)\n", tlsflow_suite_name(s->suite), s->id);
#ifdef TLSFLOW_GROUP_X25519
    if (info.group)
        printf("   group %s, signature %s\n", info.group_name, info.signature_scheme_name);
#endif
    printf("   %ld handshakes in %.2f s: %.0f handshakes/s (both sides, one core)\n", n, wall / 1e9,
           n / (wall / 1e9));
    printf("   client %.1f us (mean %.1f)  raw crypto %.1f us: %s\n", c_us, c_mean, raw.client,
           raw.what_client);
    printf("   server %.1f us (mean %.1f)  raw crypto %.1f us: %s\n", s_us, s_mean, raw.server,
           raw.what_server);
    printf("   engine's own cost: client %+.1f%%, server %+.1f%% of the raw crypto\n",
           100 * (c_us - raw.client) / raw.client, 100 * (s_us - raw.server) / raw.server);
    size_t idle_c, idle_s;
    idle_memory(s, &idle_c, &idle_s);
    printf("   handshake bytes %zu; memory per connection: client %zu, server %zu; idle in "
           "release mode: client %zu, server %zu\n",
           hs_bytes, mem_c, mem_s, idle_c, idle_s);
    bench_result("1/s", n / (wall / 1e9), "engine.%s.hs_per_s", s->id);
    bench_result("1/s", 1e6 / (c_us + s_us), "engine.%s.hs_per_s_cpu", s->id);
    bench_result("us", c_us, "engine.%s.client_us", s->id);
    bench_result("us", s_us, "engine.%s.server_us", s->id);
    bench_result("us", raw.client, "engine.%s.client_raw_us", s->id);
    bench_result("us", raw.server, "engine.%s.server_raw_us", s->id);
    bench_result("ratio", (c_us - raw.client) / raw.client, "engine.%s.client_overhead", s->id);
    bench_result("ratio", (s_us - raw.server) / raw.server, "engine.%s.server_overhead", s->id);
    bench_result("bytes", (double)mem_c, "memory.%s.client_bytes", s->id);
    bench_result("bytes", (double)mem_s, "memory.%s.server_bytes", s->id);
    bench_result("bytes", (double)idle_c, "memory.%s.client_idle_bytes", s->id);
    bench_result("bytes", (double)idle_s, "memory.%s.server_idle_bytes", s->id);
}

/* ---- records ----------------------------------------------------------------------------------
 */

/* One 16 KiB record client -> server; the sender's and receiver's engine time (us). */
static int one_record(bench_side *cl, bench_side *sv, const uint8_t *data, size_t len,
                      double *seal_us, double *open_us)
{
    uint64_t c0 = cl->ns, s0 = sv->ns;
    long cc0 = cl->calls, sc0 = sv->calls;
    size_t took;
    BENCH_TIMED(cl, took = tlsflow_app_write(cl->c, data, len));
    if (took != len || bench_step(cl, sv, NULL) != TLSFLOW_OUTPUT_READY)
        return -1;
    *seal_us = bench_side_us_since(cl, c0, cc0);
    /* The receiver: decrypt, peek, consume, until it wants input again. */
    size_t got = 0;
    for (int k = 0; k < 8; k++) {
        tlsflow_event ev;
        BENCH_TIMED(sv, ev = tlsflow_poll(sv->c));
        if (ev == TLSFLOW_NEED_INPUT)
            break;
        if (ev != TLSFLOW_APP_DATA)
            return -1;
        size_t n;
        BENCH_TIMED(sv, (void)tlsflow_app_peek(sv->c, &n));
        got += n;
        BENCH_TIMED(sv, tlsflow_app_consume(sv->c, n));
    }
    *open_us = bench_side_us_since(sv, s0, sc0);
    return got == len ? 0 : -1;
}

/* Our client and server connected with one suite (the server in release mode if asked):
 * 0, or -1; close_pair frees whatever was made either way. */
static int open_pair(const bench_suite *s, int release, tlsflow_config **scfg,
                     tlsflow_config **ccfg, bench_side *cl, bench_side *sv)
{
    *scfg = bench_server_config(s, &FX);
    *ccfg = bench_client_config(s, &FX);
    memset(cl, 0, sizeof(*cl));
    memset(sv, 0, sizeof(*sv));
    if (*scfg && *ccfg) {
        tlsflow_config_set_release_idle_buffers(*scfg, release);
        cl->c = tlsflow_conn_new(*ccfg);
        sv->c = tlsflow_conn_new(*scfg);
    }
    return cl->c && sv->c && bench_handshake(cl, sv, NULL) == 0 ? 0 : -1;
}

static void close_pair(tlsflow_config *scfg, tlsflow_config *ccfg, bench_side *cl, bench_side *sv)
{
    tlsflow_conn_free(cl->c);
    tlsflow_conn_free(sv->c);
    tlsflow_config_free(scfg);
    tlsflow_config_free(ccfg);
}

static void bench_records(const bench_suite *s)
{
    char name[96];
    snprintf(name, sizeof(name), "records.%s", s->id);
    if (!bench_selected(&O, name) || (s->ecdsa && !FX.ec_cert.p))
        return;
    tlsflow_config *scfg, *ccfg;
    bench_side cl, sv;
    if (open_pair(s, 0, &scfg, &ccfg, &cl, &sv) != 0) {
        printf("# records %s: no connection, skipped\n", s->id);
        goto out;
    }
    static uint8_t data[TLSFLOW_MAX_PLAINTEXT];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7);
    double seal_us, open_us;
    if (O.callgrind) {
        /* Both sides' record calls, 200 records: the engine's instructions vs the AEAD's. */
        long n = 0;
        cl.collect = sv.collect = 1;
        for (; n < 200 && one_record(&cl, &sv, data, sizeof(data), &seal_us, &open_us) == 0; n++)
            ;
        cl.collect = sv.collect = 0;
        printf("# callgrind: %ld records collected\n", n);
        goto out;
    }
    /* Engine slices alternate with raw AEAD measurements; per-round medians, then the
     * median over rounds. */
    int rounds = O.smoke ? 1 : REC_ROUNDS;
    double e_seal[REC_ROUNDS], e_open[REC_ROUNDS], r_seal[REC_ROUNDS], r_open[REC_ROUNDS],
        u_seal[REC_ROUNDS], u_open[REC_ROUNDS], ratio[REC_ROUNDS];
    /* Where the engine's AEAD input/output sits: header + explicit nonce (TLS 1.2 GCM:
     * 5 + 8; ChaCha20 and TLS 1.3: 5). */
    size_t off = s->aead == 3 || s->tls13 ? 5 : 13;
    long total = 0;
    double b = O.smoke ? 0.002 : O.seconds * 0.25 / rounds;
    for (int r = 0; r < rounds; r++) {
        size_t n_rec = 0;
        bench_loop l;
        bench_loop_init(&l, 3, O.smoke ? 3 : MAX_RECORDS, O.seconds / rounds);
        while (bench_loop_next(&l)) {
            if (one_record(&cl, &sv, data, sizeof(data), &c_samples[n_rec], &s_samples[n_rec])) {
                printf("# records %s: transfer broke: %s / %s\n", s->id,
                       tlsflow_last_error_text(cl.c), tlsflow_last_error_text(sv.c));
                goto out;
            }
            n_rec++;
        }
        total += (long)n_rec;
        e_seal[r] = bench_median(c_samples, n_rec);
        e_open[r] = bench_median(s_samples, n_rec);
        r_seal[r] = raw_aead_seal_us(suite_aead(s), sizeof(data), b);
        r_open[r] = raw_aead_open_us(suite_aead(s), sizeof(data), b);
        u_seal[r] = raw_aead_seal_at_us(suite_aead(s), sizeof(data), off, b);
        u_open[r] = raw_aead_open_in_place_at_us(suite_aead(s), sizeof(data), off, b);
        /* The ratio within one round: the engine and the raw AEAD a moment apart see the
         * same machine, so a busy neighbour moves both. */
        ratio[r] = (r_seal[r] + r_open[r]) / (e_seal[r] + e_open[r]);
    }
    /* Medians per 16 KiB record: the sender's calls (app_write, poll, out_buf, out_ack)
     * and the receiver's (in_buf, in_ack, poll, peek, consume). */
    seal_us = bench_median(e_seal, (size_t)rounds);
    open_us = bench_median(e_open, (size_t)rounds);
    double raw_seal = bench_median(r_seal, (size_t)rounds);
    double raw_open = bench_median(r_open, (size_t)rounds);
    double eng_mbps = (double)sizeof(data) / (seal_us + open_us);
    double raw_mbps = (double)sizeof(data) / (raw_seal + raw_open);
    double seal_mbps = (double)sizeof(data) / seal_us;
    double open_mbps = (double)sizeof(data) / open_us;
    double rseal_mbps = (double)sizeof(data) / raw_seal;
    double ropen_mbps = (double)sizeof(data) / raw_open;
    double u_s = bench_median(u_seal, (size_t)rounds), u_o = bench_median(u_open, (size_t)rounds);
    double at_mbps = u_s > 0 && u_o > 0 ? (double)sizeof(data) / (u_s + u_o) : 0; /* 0: failed */
    printf("\n## records %s: %ld x 16 KiB\n", s->id, total);
    double rec_ratio = bench_median(ratio, (size_t)rounds);
    printf("   engine seal+open %.0f MB/s vs raw %.0f MB/s (ratio %.3f: median of %d rounds' "
           "ratios)\n",
           eng_mbps, raw_mbps, rec_ratio, rounds);
    printf("   seal (app_write) %.0f MB/s vs raw %.0f; open (poll+peek+consume) %.0f MB/s vs raw "
           "%.0f\n",
           seal_mbps, rseal_mbps, open_mbps, ropen_mbps);
    bench_result("MB/s", eng_mbps, "records.%s.engine_MBps", s->id);
    bench_result("MB/s", raw_mbps, "records.%s.raw_MBps", s->id);
    bench_result("ratio", rec_ratio, "records.%s.ratio", s->id);
    bench_result("MB/s", seal_mbps, "records.%s.seal_MBps", s->id);
    bench_result("MB/s", open_mbps, "records.%s.open_MBps", s->id);
    bench_result("MB/s", rseal_mbps, "records.%s.raw_seal_MBps", s->id);
    bench_result("MB/s", ropen_mbps, "records.%s.raw_open_MBps", s->id);
    if (at_mbps > 0) {
        bench_result("MB/s", at_mbps, "records.%s.raw_engine_layout_MBps", s->id);
        printf("   raw AEAD with the payload %zu bytes past alignment (a record at a buffer's "
               "start; the engine pads so that it is aligned), open in place: %.0f MB/s\n",
               off, at_mbps);
    } else {
        printf("   raw AEAD at the engine's layout: the measurement failed\n");
    }
out:
    close_pair(scfg, ccfg, &cl, &sv);
}

/* ---- wake-up -----------------------------------------------------------------------------------
 */

/* A release wipes both record contexts; the next records key them again from the keys
 * the connection kept. Both halves, timed together. */
static int do_rekey_contexts(void *arg)
{
    tlsflow_conn *c = arg;
    tf_record_drop_contexts(c);
    return tf_record_rebuild_contexts(c);
}

static double time_loop(int (*fn)(void *), void *arg, double seconds);

/* A 32-byte request to the server and its 32-byte answer; the server's engine time (us).
 * release: the server gives its buffers back first (timed too), so the request wakes it. */
static int wake_exchange(bench_side *cl, bench_side *sv, int release, double *us)
{
    static const uint8_t msg[32];
    uint64_t s0 = sv->ns;
    long sc0 = sv->calls;
    int r = 1;
    if (release)
        BENCH_TIMED(sv, r = tlsflow_conn_release_buffers(sv->c));
    size_t took, n = 0;
    BENCH_TIMED(cl, took = tlsflow_app_write(cl->c, msg, sizeof(msg)));
    if (r != 1 || took != sizeof(msg) || bench_step(cl, sv, NULL) != TLSFLOW_OUTPUT_READY)
        return -1;
    tlsflow_event ev;
    BENCH_TIMED(sv, ev = tlsflow_poll(sv->c));
    if (ev != TLSFLOW_APP_DATA)
        return -1;
    BENCH_TIMED(sv, (void)tlsflow_app_peek(sv->c, &n));
    BENCH_TIMED(sv, tlsflow_app_consume(sv->c, n));
    BENCH_TIMED(sv, took = tlsflow_app_write(sv->c, msg, sizeof(msg)));
    if (n != sizeof(msg) || took != sizeof(msg) || bench_step(sv, cl, NULL) != TLSFLOW_OUTPUT_READY)
        return -1;
    *us = bench_side_us_since(sv, s0, sc0);
    /* The client reads the answer (untimed) and both wait again. */
    if (tlsflow_poll(cl->c) != TLSFLOW_APP_DATA)
        return -1;
    tlsflow_app_peek(cl->c, &n);
    tlsflow_app_consume(cl->c, n);
    return tlsflow_poll(cl->c) == TLSFLOW_NEED_INPUT && tlsflow_poll(sv->c) == TLSFLOW_NEED_INPUT
               ? 0
               : -1;
}

static void bench_wakeup(const bench_suite *s)
{
    char name[96];
    snprintf(name, sizeof(name), "wakeup.%s", s->id);
    if (!bench_selected(&O, name) || (s->ecdsa && !FX.ec_cert.p) || O.callgrind)
        return;
    tlsflow_config *scfg, *ccfg;
    bench_side cl, sv;
    if (open_pair(s, 1, &scfg, &ccfg, &cl, &sv) != 0) {
        printf("# wake-up %s: no connection, skipped\n", s->id);
        goto out;
    }
    double b = O.smoke ? 0.002 : O.seconds * 0.1;
    /* Rounds alternate the exchange with and without a release; medians of each. */
    int rounds = O.smoke ? 1 : REC_ROUNDS;
    double with[REC_ROUNDS], without[REC_ROUNDS];
    for (int r = 0; r < rounds; r++) {
        double *out[2] = {&with[r], &without[r]};
        for (int release = 1; release >= 0; release--) {
            size_t n = 0;
            bench_loop l;
            bench_loop_init(&l, 3, O.smoke ? 3 : MAX_RECORDS, b / 2);
            while (bench_loop_next(&l))
                if (wake_exchange(&cl, &sv, release, &c_samples[n++])) {
                    printf("# wake-up %s: the exchange broke: %s / %s\n", s->id,
                           tlsflow_last_error_text(cl.c), tlsflow_last_error_text(sv.c));
                    goto out;
                }
            *out[1 - release] = bench_median(c_samples, n);
        }
    }
    double cycle = bench_median(with, (size_t)rounds),
           plain = bench_median(without, (size_t)rounds);
    double rekey = time_loop(do_rekey_contexts, sv.c, b);
    raw_aead a = suite_aead(s);
    int chacha = a == RAW_CHACHA20_POLY1305;
    double raw_setup = chacha ? 0 : raw_aead_setup_us(a, b); /* wc_AesInit + wc_AesGcmSetKey */
    printf("\n## wake-up %s (%s)\n", s->id,
           chacha                ? "ChaCha20-Poly1305"
           : a == RAW_AES256_GCM ? "AES-256-GCM"
                                 : "AES-128-GCM");
    if (chacha)
        printf("   both record contexts wiped and keyed again: %.2f us per wake-up (raw: nothing "
               "to key, wolfCrypt's ChaCha20-Poly1305 takes the key with each record)\n",
               rekey);
    else
        printf("   both record contexts wiped and keyed again: %.2f us per wake-up (raw "
               "wc_AesInit+wc_AesGcmSetKey: %.2f us per direction)\n",
               rekey, raw_setup);
    printf("   32-byte request and answer on the server: %.1f us after a release, %.1f us "
           "without (+%.1f us per wake-up: workspace, contexts, wipes)\n",
           cycle, plain, cycle - plain);
    bench_result("us", rekey, "wakeup.%s.rekey_contexts_us", s->id);
    if (!chacha)
        bench_result("us", raw_setup, "wakeup.%s.raw_setkey_us", s->id);
    bench_result("us", cycle, "wakeup.%s.exchange_released_us", s->id);
    bench_result("us", plain, "wakeup.%s.exchange_us", s->id);
out:
    close_pair(scfg, ccfg, &cl, &sv);
}

/* ---- micro: engine internals beside the raw operation -----------------------------------------
 */

/* Median microseconds of fn over a bounded loop (fn's own cost is >= several us). */
static double time_loop(int (*fn)(void *), void *arg, double seconds)
{
    bench_loop l;
    size_t n = 0;
    if (fn(arg) != 0)
        return -1;
    bench_loop_init(&l, 3, MAX_HANDSHAKES, seconds);
    while (bench_loop_next(&l)) {
        uint64_t t0 = bench_now_ns();
        int r = fn(arg);
        c_samples[n++] = ((double)(bench_now_ns() - t0) - bench_clock_ns()) / 1000.0;
        if (r != 0)
            return -1;
    }
    return bench_median(c_samples, n);
}

static int do_conn_new_free(void *arg)
{
    tlsflow_conn *c = tlsflow_conn_new(arg);
    if (!c)
        return -1;
    tlsflow_conn_free(c);
    return 0;
}

/* What a plain memset (kept by a compiler barrier) of a connection's size costs: the
 * price of wiping with memset instead of a volatile byte loop. */
static int do_memset_conn(void *arg)
{
    static uint8_t *buf;
    size_t n = *(size_t *)arg;
    if (!buf && !(buf = malloc(n)))
        return -1;
    memset(buf, 0, n);
    __asm__ __volatile__("" : : "r"(buf) : "memory");
    return 0;
}

static int do_default_random(void *arg)
{
    (void)arg;
    uint8_t out[32];
    return tf_default_random(NULL, out, sizeof(out));
}

typedef struct {
    tf_private_key *key;
    uint8_t ct[512];
    size_t ct_len;
    const tf_trust *trust;
    const uint8_t *leaf;
    size_t leaf_len;
} micro_state;

static int do_decrypt_premaster(void *arg)
{
    micro_state *m = arg;
    uint8_t pm[48] = {0};
    return tf_rsa_decrypt_premaster(m->key, m->ct, m->ct_len, 0x0303, pm, &tf_test_drbg);
}

static int do_x509_verify(void *arg)
{
    micro_state *m = arg;
    const char *detail = NULL;
    const uint8_t *certs[1] = {m->leaf};
    size_t lens[1] = {m->leaf_len};
    return tf_x509_verify(m->trust, certs, lens, 1, TF_TEST_TIME, "localhost", &detail);
}

static int do_x509_summary(void *arg)
{
    micro_state *m = arg;
    tlsflow_cert_info info;
    uint8_t spki[1200];
    size_t spki_len;
    return tf_x509_summary(m->leaf, m->leaf_len, &info) ||
           tf_x509_public_key(m->leaf, m->leaf_len, spki, sizeof(spki), &spki_len);
}

static int zero_rng(void *ctx, uint8_t *out, size_t len)
{
    return tft_random(ctx, out, len);
}

static void bench_micro(void)
{
    if (!bench_selected(&O, "micro") || O.callgrind)
        return;
    double b = O.smoke ? 0.002 : O.seconds * 0.3;
    printf("\n## engine internals beside the raw operation\n");

    tlsflow_config *scfg = bench_server_config(&BENCH_SUITES[0], &FX);
    tlsflow_config *ccfg = bench_client_config(&BENCH_SUITES[0], &FX);
    if (scfg && ccfg) {
        double s_new = time_loop(do_conn_new_free, scfg, b);
        double c_new = time_loop(do_conn_new_free, ccfg, b);
        printf(
            "   tlsflow_conn_new + tlsflow_conn_free: server %.1f us (%zu bytes), client %.1f us "
            "(%zu bytes)\n",
            s_new, tlsflow_conn_size(scfg), c_new, tlsflow_conn_size(ccfg));
        bench_result("us", s_new, "micro.conn_new_free_server_us");
        bench_result("us", c_new, "micro.conn_new_free_client_us");
        bench_result("bytes", (double)tlsflow_conn_size(scfg), "micro.conn_size_server");
        bench_result("bytes", (double)tlsflow_conn_size(ccfg), "micro.conn_size_client");
        size_t sz = tlsflow_conn_size(scfg);
        double ms = time_loop(do_memset_conn, &sz, b);
        printf("   memset of the same %zu bytes: %.1f us\n", sz, ms);
        bench_result("us", ms, "micro.memset_conn_us");
    }
    tlsflow_config_free(scfg);
    tlsflow_config_free(ccfg);

    double rnd = time_loop(do_default_random, NULL, b);
    double raw_rnd = raw_rng_us(32, b), raw_init = raw_rng_init_us(b);
    printf("   default random source, 32 bytes: %.2f us (one long-lived DRBG: %.2f us; "
           "wc_InitRng+wc_FreeRng alone: %.2f us)\n",
           rnd, raw_rnd, raw_init);
    bench_result("us", rnd, "micro.default_random32_us");
    bench_result("us", raw_rnd, "micro.raw_rng32_us");
    bench_result("us", raw_init, "micro.raw_rng_init_us");

    micro_state m;
    memset(&m, 0, sizeof(m));
    uint8_t der[4096];
    size_t der_len;
    if (tf_pem_key_to_der((const char *)FX.rsa_key.p, FX.rsa_key.len, der, sizeof(der), &der_len) ==
            0 &&
        (m.key = tf_private_key_load(der, der_len)) != NULL) {
        uint8_t cert[4096], spki[1200], pm[48];
        size_t cert_len, spki_len;
        tft_rng r = {42};
        memset(pm, 3, sizeof(pm));
        pm[0] = 3;
        if (tf_pem_cert_to_der((const char *)FX.rsa_cert.p, FX.rsa_cert.len, cert, sizeof(cert),
                               &cert_len) == 0 &&
            tf_x509_public_key(cert, cert_len, spki, sizeof(spki), &spki_len) == 0 &&
            tf_rsa_encrypt(spki, spki_len, pm, 48, m.ct, sizeof(m.ct), &m.ct_len, zero_rng, &r) ==
                0) {
            double dec = time_loop(do_decrypt_premaster, &m, b * 2);
            double raw_dec = raw_rsa_decrypt_us(b * 2);
            printf("   tf_rsa_decrypt_premaster: %.1f us vs wc_RsaPrivateDecrypt with a decoded "
                   "key and a live RNG: %.1f us (+%.1f us per handshake)\n",
                   dec, raw_dec, dec - raw_dec);
            bench_result("us", dec, "micro.rsa_decrypt_premaster_us");
            bench_result("us", raw_dec, "micro.raw_rsa_decrypt_us");
        }
        tf_private_key_free(m.key);
    }

    uint8_t ca_der[4096], leaf_der[4096];
    size_t ca_len, leaf_len;
    if (tf_pem_cert_to_der((const char *)FX.ca.p, FX.ca.len, ca_der, sizeof(ca_der), &ca_len) ==
            0 &&
        tf_pem_cert_to_der((const char *)FX.rsa_cert.p, FX.rsa_cert.len, leaf_der, sizeof(leaf_der),
                           &leaf_len) == 0) {
        const uint8_t *anchors[1] = {ca_der};
        size_t anchor_lens[1] = {ca_len};
        tf_trust *trust = tf_trust_new(anchors, anchor_lens, 1);
        if (trust) {
            m.trust = trust;
            m.leaf = leaf_der;
            m.leaf_len = leaf_len;
            double v = time_loop(do_x509_verify, &m, b * 2);
            double raw_v = raw_rsa_verify_us(b) + raw_hash_us(RAW_SHA256, leaf_len, b);
            printf("   tf_x509_verify (leaf + root, host name): %.1f us vs one RSA-2048 "
                   "verify + SHA-256 of the certificate: %.1f us\n",
                   v, raw_v);
            bench_result("us", v, "micro.x509_verify_us");
            double sm = time_loop(do_x509_summary, &m, b);
            printf("   tf_x509_summary + tf_x509_public_key of the leaf (the client's other two "
                   "parses): %.1f us\n",
                   sm);
            bench_result("us", sm, "micro.x509_summary_us");
            bench_result("us", raw_v, "micro.raw_chain_crypto_us");
            tf_trust_free(trust);
        }
    }
}

/* ---- raw figures, once, for the table ---------------------------------------------------------
 */

static void bench_raw_table(void)
{
    if (!bench_selected(&O, "raw") || O.callgrind)
        return;
    double b = O.smoke ? 0.002 : O.seconds * 0.3;
    double dec = raw_rsa_decrypt_us(b), enc = raw_rsa_encrypt_us(b);
    double gcm = raw_aead_seal_us(RAW_AES128_GCM, 16384, b);
    double x = raw_ecdhe_keygen_us(RAW_X25519, b) + raw_ecdhe_shared_us(RAW_X25519, b);
    printf("\n## raw wolfCrypt (%s)\n", bench_wolf_describe());
    printf("   RSA-2048 private decrypt %.0f/s, public encrypt %.0f/s, AES-128-GCM seal %.0f "
           "MB/s, X25519 keygen+shared %.0f/s\n",
           1e6 / dec, 1e6 / enc, 16384 / gcm, x > 0 ? 1e6 / x : 0);
    bench_result("1/s", 1e6 / dec, "raw.rsa2048_decrypt_per_s");
    bench_result("1/s", 1e6 / enc, "raw.rsa2048_encrypt_per_s");
    bench_result("MB/s", 16384 / gcm, "raw.aes128gcm_seal_MBps");
    if (x > 0)
        bench_result("1/s", 1e6 / x, "raw.x25519_kx_per_s");
}

int main(int argc, char **argv)
{
    bench_parse(&O, argc, argv);
#ifndef BENCH_HAVE_CALLGRIND
    if (O.callgrind) {
        fprintf(stderr, "built without valgrind/callgrind.h\n");
        return 2;
    }
#endif
    bench_fx_load(&FX);
    if (raw_init((const char *)FX.rsa_key.p, FX.rsa_key.len, (const char *)FX.ca_key.p,
                 FX.ca_key.len, (const char *)FX.ec_key.p, FX.ec_key.len) != 0) {
        fprintf(stderr, "cannot load the fixture keys into wolfCrypt\n");
        return 1;
    }
    printf("# bench_engine: tlsflow %s on %s; clock read %.1f ns (subtracted)\n",
           TLSFLOW_VERSION_STRING, bench_wolf_describe(), bench_clock_ns());
    bench_result("-", 0, "build.%s", bench_wolf_build());
    bench_raw_table();
    /* Timed, TLS 1.2 rows only: the raw floor (raw_handshake.c) prices a TLS 1.2
     * handshake's cryptography; TLS 1.3 handshakes are timed against the other stacks by
     * bench_peers. Under callgrind (no floor: the split is by function) both versions. */
    for (size_t i = 0; i < BENCH_N_SUITES; i++)
        if (!BENCH_SUITES[i].tls13 || O.callgrind)
            bench_handshakes(&BENCH_SUITES[i]);
    /* Records: one row per AEAD layout (TLS 1.2 GCM and ChaCha20, TLS 1.3 GCM). */
    for (size_t i = 0; i < BENCH_N_SUITES; i++) {
        const bench_suite *s = &BENCH_SUITES[i];
        if (s->tls13 ? !s->ecdsa : !s->ecdhe || s->aead == 3)
            bench_records(s);
    }
    for (size_t i = 0; i < BENCH_N_SUITES; i++)
        if (!BENCH_SUITES[i].ecdhe || BENCH_SUITES[i].aead == 3)
            bench_wakeup(&BENCH_SUITES[i]);
    bench_micro();
    raw_cleanup();
    bench_fx_free(&FX);
    return 0;
}
