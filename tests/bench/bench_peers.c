/* Stacks in process, side by side: tlsflow, wolfSSL's own TLS and OpenSSL's libssl,
 * each client against its own server, with the same fixture certificate and suite.
 * Short slices of each stack alternate (ROUNDS times) so that load on the machine hits
 * all stacks alike; figures are medians of per-handshake (per-record) CPU samples.
 *
 *   bench_peers [--seconds S] [--only NAME] [--smoke]
 *   bench_peers --callgrind STACK --only SUITE   (under callgrind --collect-atstart=no)
 *
 * Result keys: peers.<stack>.<suite>.{hs_per_s_cpu,client_us,server_us,mem_client,
 * mem_server,records_MBps,seal_MBps,open_MBps}.
 *
 * Resumed handshakes (the ECDHE AES-128 suites of both versions; --only NAME matches
 * "<stack>.<suite>.resumed"): peers.<stack>.<suite>.{resumed_hs_per_s_cpu,
 * resumed_client_us,resumed_server_us,resumed_n} and peers.ratio.<suite>.
 * resumed_tlsflow_openssl{,_min,_max}. A measured handshake that did not resume makes the
 * program exit 1 (after printing everything else). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_peers.h"
#include "raw_handshake.h"

#define ROUNDS      9
#define MAX_SAMPLES 100000L

int peer_collect;
int peer_side;
long long peer_live[3];

static const peer_stack *const STACKS[] = {&PEER_TLSFLOW, &PEER_WOLFSSL, &PEER_OPENSSL};
#define N_STACKS (sizeof(STACKS) / sizeof(STACKS[0]))

/* Resumed measurements that failed or did not resume: the exit status says so. */
static int resume_failures;

static size_t stack_index(const char *name)
{
    for (size_t k = 0; k < N_STACKS; k++)
        if (strcmp(STACKS[k]->name, name) == 0)
            return k;
    return N_STACKS;
}

/* Resumed rows for the ECDHE AES-128 handshakes: a TLS 1.2 resumption does no key
 * exchange at all and a TLS 1.3 one signs nothing, so the other suites would repeat
 * these figures. */
static int has_resumed_rows(const bench_suite *s)
{
    return s->ecdhe && s->aead == 1;
}

/* ---- samples and counted allocations ------------------------------------------------ */

int peer_samples_add(peer_samples *p, double a, double b)
{
    if (p->n >= p->cap)
        return -1;
    p->a[p->n] = a;
    p->b[p->n++] = b;
    return 0;
}

static void samples_init(peer_samples *p)
{
    p->cap = MAX_SAMPLES;
    p->n = 0;
    p->a = malloc(sizeof(double) * MAX_SAMPLES);
    p->b = malloc(sizeof(double) * MAX_SAMPLES);
    if (!p->a || !p->b)
        abort();
}

/* A 16-byte header in front of each counted block: its size and the side charged. */
typedef struct {
    size_t size;
    int side;
    int pad;
} alloc_hdr;

_Static_assert(sizeof(alloc_hdr) == 16, "allocation header keeps 16-byte alignment");

void *peer_count_alloc(size_t n)
{
    alloc_hdr *h = malloc(sizeof(*h) + n);
    if (!h)
        return NULL;
    h->size = n;
    h->side = peer_side;
    peer_live[peer_side] += (long long)n;
    return h + 1;
}

void peer_count_free(void *p)
{
    if (!p)
        return;
    alloc_hdr *h = (alloc_hdr *)p - 1;
    peer_live[h->side] -= (long long)h->size;
    free(h);
}

void *peer_count_realloc(void *p, size_t n)
{
    if (!p)
        return peer_count_alloc(n);
    alloc_hdr *h = (alloc_hdr *)p - 1;
    size_t old = h->size;
    int side = h->side;
    alloc_hdr *g = realloc(h, sizeof(*g) + n);
    if (!g)
        return NULL;
    g->size = n;
    peer_live[side] += (long long)n - (long long)old;
    return g + 1;
}

/* ---- one suite ------------------------------------------------------------------------- */

typedef struct {
    void *ctx;
    char note[160];
    peer_samples hs, rec;
    double mem_c, mem_s;
    char group[32];
    int failed;
    int full, res; /* selected: full handshakes (and records), resumed handshakes */
    peer_samples rs;
    char res_note[160];
    int res_failed;
} stack_run;

/* Median, min and max over rounds of us[b][r] / us[a][r], in the rounds where both
 * stacks ran: stack a's rate over stack b's. Returns how many rounds. */
static size_t round_ratio(double us[N_STACKS][ROUNDS], size_t a, size_t b, int rounds, double *med,
                          double *lo, double *hi)
{
    double vs[ROUNDS];
    size_t n = 0;
    for (int r = 0; r < rounds; r++)
        if (us[a][r] > 0 && us[b][r] > 0)
            vs[n++] = us[b][r] / us[a][r];
    if (n == 0)
        return 0;
    *lo = *hi = vs[0];
    for (size_t i = 1; i < n; i++) {
        *lo = vs[i] < *lo ? vs[i] : *lo;
        *hi = vs[i] > *hi ? vs[i] : *hi;
    }
    *med = bench_median(vs, n);
    return n;
}

/* tlsflow's handshake rate over wolfSSL's, and wolfSSL's time over the raw floor (the
 * best any engine could do on this build), as medians of per-round ratios. */
static void paired_ratios(const bench_suite *s, const stack_run *run,
                          double round_us[N_STACKS][ROUNDS], const double *round_floor,
                          const int *round_ok, int rounds)
{
    size_t t = stack_index("tlsflow"), w = stack_index("wolfssl");
    if (t == N_STACKS || w == N_STACKS || run[t].failed || run[w].failed || !run[t].ctx ||
        !run[w].ctx)
        return;
    double v, lo, hi, ceil[ROUNDS];
    size_t n = round_ratio(round_us, t, w, rounds, &v, &lo, &hi), nc = 0;
    if (n == 0)
        return;
    for (int r = 0; r < rounds; r++)
        if (round_us[t][r] > 0 && round_us[w][r] > 0 && round_ok[r] && round_floor[r] > 0)
            ceil[nc++] = round_us[w][r] / round_floor[r];
    double c = nc ? bench_median(ceil, nc) : 0;
    printf("   tlsflow / wolfSSL handshakes/s: %.2f (%.2f-%.2f), median (spread) of %zu rounds' "
           "ratios",
           v, lo, hi, n);
    if (nc)
        printf("; ceiling %.2f (wolfSSL over the raw floor in the same rounds)", c);
    printf("\n");
    bench_result("ratio", v, "peers.ratio.%s.tlsflow_wolfssl", s->id);
    bench_result("ratio", lo, "peers.ratio.%s.tlsflow_wolfssl_min", s->id);
    bench_result("ratio", hi, "peers.ratio.%s.tlsflow_wolfssl_max", s->id);
    if (nc)
        bench_result("ratio", c, "peers.ratio.%s.ceiling", s->id);
}

/* Resumed handshakes of every selected stack in round r, one after the other. */
static void resumed_round(const bench_suite *s, stack_run *run, double res_us[N_STACKS][ROUNDS],
                          int r, int rounds, double seconds, long max)
{
    for (size_t k = 0; k < N_STACKS; k++) {
        stack_run *x = &run[k];
        res_us[k][r] = 0;
        if (!x->ctx || !x->res || x->res_failed || !STACKS[k]->resumed)
            continue;
        size_t first = x->rs.n;
        int rc = STACKS[k]->resumed(x->ctx, seconds / rounds, max, &x->rs);
        if (rc == 0 && x->rs.n > first) {
            res_us[k][r] = bench_median(x->rs.a + first, x->rs.n - first) +
                           bench_median(x->rs.b + first, x->rs.n - first);
        } else if (rc != 0) {
            snprintf(x->res_note, sizeof(x->res_note), "%s",
                     rc == PEER_NOT_RESUMED ? "FAILED: a measured handshake was not resumed"
                                            : "FAILED during the measurement");
            fprintf(stderr, "bench_peers: %s %s resumed: %s\n", STACKS[k]->name, s->id,
                    x->res_note);
            x->res_failed = 1;
            resume_failures++;
        }
    }
}

static void resumed_report(const bench_suite *s, stack_run *run, double res_us[N_STACKS][ROUNDS],
                           int rounds)
{
    int any = 0;
    for (size_t k = 0; k < N_STACKS; k++)
        any |= run[k].res;
    if (!any)
        return;
    printf("   resumed, %s:\n", s->tls13 ? "TLS 1.3 ticket, psk_dhe_ke (x25519)"
                                         : "TLS 1.2 ticket, extended master secret");
    for (size_t k = 0; k < N_STACKS; k++) {
        stack_run *x = &run[k];
        const char *st = STACKS[k]->name;
        if (!x->res)
            continue;
        if (!x->ctx || x->res_failed || x->rs.n == 0) {
            printf("   %-8s n/a: %s\n", st, x->res_note[0] ? x->res_note : x->note);
            bench_result("-", 0, "peers.%s.%s.resumed_na", st, s->id);
            continue;
        }
        double cu = bench_median(x->rs.a, x->rs.n), su = bench_median(x->rs.b, x->rs.n);
        printf("   %-8s %7.0f hs/s  client %7.1f us  server %7.1f us  (%zu resumed handshakes, "
               "all resumed)\n",
               st, 1e6 / (cu + su), cu, su, x->rs.n);
        bench_result("1/s", 1e6 / (cu + su), "peers.%s.%s.resumed_hs_per_s_cpu", st, s->id);
        bench_result("us", cu, "peers.%s.%s.resumed_client_us", st, s->id);
        bench_result("us", su, "peers.%s.%s.resumed_server_us", st, s->id);
        bench_result("count", (double)x->rs.n, "peers.%s.%s.resumed_n", st, s->id);
    }
    size_t t = stack_index("tlsflow"), o = stack_index("openssl");
    double v, lo, hi;
    size_t n;
    if (t == N_STACKS || o == N_STACKS || run[t].res_failed || run[o].res_failed ||
        (n = round_ratio(res_us, t, o, rounds, &v, &lo, &hi)) == 0)
        return;
    printf("   tlsflow / OpenSSL resumed handshakes/s: %.2f (%.2f-%.2f), median (spread) of %zu "
           "rounds' ratios\n",
           v, lo, hi, n);
    bench_result("ratio", v, "peers.ratio.%s.resumed_tlsflow_openssl", s->id);
    bench_result("ratio", lo, "peers.ratio.%s.resumed_tlsflow_openssl_min", s->id);
    bench_result("ratio", hi, "peers.ratio.%s.resumed_tlsflow_openssl_max", s->id);
}

static void run_suite(const bench_suite *s, const bench_fx *fx, const bench_opts *o)
{
    stack_run run[N_STACKS];
    /* The floor: the same handshake's unavoidable crypto on raw wolfCrypt, per round. */
    double floor_c[ROUNDS], floor_s[ROUNDS];
    int n_floor = 0;
    /* Each stack's per-handshake CPU in each round: ratios are taken within a round,
     * where the stacks ran moments apart, then their median is reported. */
    double round_us[N_STACKS][ROUNDS], round_floor[ROUNDS], res_us[N_STACKS][ROUNDS];
    int round_ok[ROUNDS];
    raw_hs_params rp = raw_hs_defaults(s, s->ecdsa ? fx->ec_cert.len : fx->rsa_cert.len);
    double rb = o->smoke ? 0.001 : o->seconds * 0.01 > 0.003 ? o->seconds * 0.01 : 0.003;
    int rounds = o->smoke ? 1 : ROUNDS;
    long max = o->smoke ? 3 : MAX_SAMPLES;
    memset(run, 0, sizeof(run));
    printf("\n## %s (%s)\n", s->id, s->tls13 ? "TLS 1.3" : "TLS 1.2");
    for (size_t k = 0; k < N_STACKS; k++) {
        char name[96], rname[112];
        snprintf(name, sizeof(name), "%s.%s", STACKS[k]->name, s->id);
        snprintf(rname, sizeof(rname), "%s.resumed", name);
        run[k].full = bench_selected(o, name);
        run[k].res = has_resumed_rows(s) && bench_selected(o, rname);
        if (run[k].res && !STACKS[k]->resumed)
            snprintf(run[k].res_note, sizeof(run[k].res_note), "not measured for this stack");
        if (!run[k].full && !run[k].res) {
            snprintf(run[k].note, sizeof(run[k].note), "not selected");
            continue;
        }
        if (!run[k].full)
            snprintf(run[k].note, sizeof(run[k].note), "not selected");
        run[k].ctx = STACKS[k]->open(s, fx, run[k].note, sizeof(run[k].note));
        if (!run[k].ctx)
            continue;
        samples_init(&run[k].hs);
        samples_init(&run[k].rec);
        samples_init(&run[k].rs);
        if (run[k].full && STACKS[k]->idle(run[k].ctx, &run[k].mem_c, &run[k].mem_s, run[k].group,
                                           sizeof(run[k].group)) != 0) {
            snprintf(run[k].note, sizeof(run[k].note), "handshake failed");
            run[k].failed = 1;
        }
    }
    for (int r = 0; r < rounds; r++) {
        round_ok[r] = 1;
        for (size_t k = 0; k < N_STACKS; k++) {
            round_us[k][r] = 0;
            if (!run[k].ctx || !run[k].full || run[k].failed)
                continue;
            size_t first = run[k].hs.n;
            if (STACKS[k]->handshakes(run[k].ctx, o->seconds / rounds, max, &run[k].hs) == 0 &&
                run[k].hs.n > first)
                round_us[k][r] = bench_median(run[k].hs.a + first, run[k].hs.n - first) +
                                 bench_median(run[k].hs.b + first, run[k].hs.n - first);
            if (round_us[k][r] <= 0 ||
                STACKS[k]->records(run[k].ctx, o->seconds / rounds / 2, max, &run[k].rec) != 0) {
                snprintf(run[k].note, sizeof(run[k].note), "failed during the measurement");
                run[k].failed = 1;
            }
        }
        if ((!s->ecdsa || fx->ec_cert.p) && !s->tls13) { /* the floor prices TLS 1.2 */
            raw_split f;
            raw_handshake(s, &rp, rb, &f);
            floor_c[n_floor] = f.client;
            floor_s[n_floor++] = f.server;
            round_floor[r] = f.client + f.server;
        } else {
            round_ok[r] = 0;
        }
        resumed_round(s, run, res_us, r, rounds, o->seconds, max);
    }
    if (n_floor) {
        double fc = bench_median(floor_c, (size_t)n_floor),
               fs = bench_median(floor_s, (size_t)n_floor);
        printf("   %-8s %7.0f hs/s  client %7.1f us  server %7.1f us  (raw wolfCrypt: the "
               "unavoidable crypto)\n",
               "floor", 1e6 / (fc + fs), fc, fs);
        bench_result("us", fc, "peers.floor.%s.client_us", s->id);
        bench_result("us", fs, "peers.floor.%s.server_us", s->id);
        bench_result("1/s", 1e6 / (fc + fs), "peers.floor.%s.hs_per_s_cpu", s->id);
    }
    for (size_t k = 0; k < N_STACKS; k++) {
        stack_run *x = &run[k];
        const char *st = STACKS[k]->name;
        if (!x->ctx || x->failed || x->hs.n == 0 || x->rec.n == 0) {
            printf("   %-8s n/a: %s\n", st, x->note);
            bench_result("-", 0, "peers.%s.%s.na", st, s->id);
        } else {
            double cu = bench_median(x->hs.a, x->hs.n), su = bench_median(x->hs.b, x->hs.n);
            double seal = bench_median(x->rec.a, x->rec.n), open = bench_median(x->rec.b, x->rec.n);
            double hs = 1e6 / (cu + su), mbps = 16384.0 / (seal + open);
            printf("   %-8s %7.0f hs/s  client %7.1f us  server %7.1f us  idle c/s %6.0f/%6.0f B  "
                   "records %6.0f MB/s  (%zu handshakes)%s%s\n",
                   st, hs, cu, su, x->mem_c, x->mem_s, mbps, x->hs.n, x->group[0] ? "  " : "",
                   x->group);
            bench_result("1/s", hs, "peers.%s.%s.hs_per_s_cpu", st, s->id);
            bench_result("us", cu, "peers.%s.%s.client_us", st, s->id);
            bench_result("us", su, "peers.%s.%s.server_us", st, s->id);
            bench_result("bytes", x->mem_c, "peers.%s.%s.mem_client", st, s->id);
            bench_result("bytes", x->mem_s, "peers.%s.%s.mem_server", st, s->id);
            bench_result("MB/s", mbps, "peers.%s.%s.records_MBps", st, s->id);
            bench_result("MB/s", 16384.0 / seal, "peers.%s.%s.seal_MBps", st, s->id);
            bench_result("MB/s", 16384.0 / open, "peers.%s.%s.open_MBps", st, s->id);
        }
    }
    paired_ratios(s, run, round_us, round_floor, round_ok, rounds);
    resumed_report(s, run, res_us, rounds);
    for (size_t k = 0; k < N_STACKS; k++) {
        stack_run *x = &run[k];
        if (x->ctx)
            STACKS[k]->close(x->ctx);
        free(x->hs.a);
        free(x->hs.b);
        free(x->rec.a);
        free(x->rec.b);
        free(x->rs.a);
        free(x->rs.b);
    }
}

/* Callgrind: N handshakes of one stack, only its library calls collected. */
static int run_callgrind(const bench_suite *s, const bench_fx *fx, const bench_opts *o)
{
    for (size_t k = 0; k < N_STACKS; k++) {
        if (strcmp(STACKS[k]->name, o->side) != 0)
            continue;
        char note[160] = "";
        void *ctx = STACKS[k]->open(s, fx, note, sizeof(note));
        if (!ctx) {
            printf("# callgrind: %s %s n/a: %s\n", o->side, s->id, note);
            return -1;
        }
        peer_samples hs;
        samples_init(&hs);
        int rc = STACKS[k]->handshakes(ctx, 1e6, 2, &hs); /* warm-up, not collected */
        hs.n = 0;
        peer_collect = 1;
        rc = rc || STACKS[k]->handshakes(ctx, 1e6, 20, &hs);
        peer_collect = 0;
        if (rc == 0)
            printf("# callgrind: %zu %s handshakes collected for %s (both sides)\n", hs.n, s->id,
                   o->side);
        STACKS[k]->close(ctx);
        free(hs.a);
        free(hs.b);
        return rc;
    }
    fprintf(stderr, "unknown stack %s (tlsflow, wolfssl, openssl)\n", o->side);
    return -1;
}

int main(int argc, char **argv)
{
    bench_opts o;
    /* Count allocations from the start: OpenSSL takes new allocators only before its
     * first allocation. */
    peer_ossl_hook_memory();
    peer_wolf_hook_memory();
    bench_parse(&o, argc, argv);
    bench_fx fx;
    bench_fx_load(&fx);
    if (raw_init((const char *)fx.rsa_key.p, fx.rsa_key.len, (const char *)fx.ca_key.p,
                 fx.ca_key.len, (const char *)fx.ec_key.p, fx.ec_key.len) != 0) {
        fprintf(stderr, "cannot load the fixture keys into wolfCrypt\n");
        return 1;
    }
    int rc = 0;
    if (o.callgrind) {
#ifndef BENCH_HAVE_CALLGRIND
        fprintf(stderr, "built without valgrind/callgrind.h\n");
        return 2;
#endif
        for (size_t i = 0; i < BENCH_N_SUITES; i++)
            if (o.only && strcmp(o.only, BENCH_SUITES[i].id) == 0)
                rc = run_callgrind(&BENCH_SUITES[i], &fx, &o) != 0;
    } else {
        printf("# bench_peers: tlsflow %s, %s, %s; same certificate and suite for all; medians "
               "of %d alternating rounds\n",
               TLSFLOW_VERSION_STRING, bench_wolf_describe(), peer_ossl_version(),
               o.smoke ? 1 : ROUNDS);
        bench_result("-", 0, "build.%s", bench_wolf_build());
        for (size_t i = 0; i < BENCH_N_SUITES; i++)
            run_suite(&BENCH_SUITES[i], &fx, &o);
    }
    raw_cleanup();
    bench_fx_free(&fx);
    if (resume_failures) {
        fprintf(stderr, "bench_peers: %d resumed-handshake measurement(s) FAILED (see above)\n",
                resume_failures);
        return 1;
    }
    return rc;
}
