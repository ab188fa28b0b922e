/* Shared pieces of the benchmark programs: a clock, bounded repetition, and the result
 * lines that ci/bench collects.
 *
 * Every figure a program measures is printed once as a machine-readable line
 *
 *     @ <key> <value> <unit>
 *
 * (key without spaces, e.g. "engine.rsa128.server_us") next to human-readable text.
 * Programs print figures; they never judge them. */
#ifndef TLSFLOW_BENCH_UTIL_H
#define TLSFLOW_BENCH_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Monotonic nanoseconds (vDSO clock: ~20 ns per call, so it may wrap single calls). */
uint64_t bench_now_ns(void);
/* CPU time of the whole process (user + system) in nanoseconds. */
uint64_t bench_cpu_ns(void);
/* What one bench_now_ns() adds to an interval it bounds (calibrated once, in ns). */
double bench_clock_ns(void);
/* Median of v[0..n) (sorts v). The machines these run on are shared: medians of many
 * short samples resist preemption far better than means. */
double bench_median(double *v, size_t n);

/* A loop that stops at whichever comes first: `max` iterations or `seconds` elapsed
 * (checked every iteration), and that has run at least `min` iterations unless the
 * hard cap (4 x seconds) is hit. */
typedef struct {
    uint64_t start, deadline, hard_deadline;
    long i, min, max;
} bench_loop;
void bench_loop_init(bench_loop *l, long min, long max, double seconds);
int bench_loop_next(bench_loop *l); /* 1 while the loop should run one more time */

/* Print "@ key value unit"; key is built with printf formatting. */
void bench_result(const char *unit, double value, const char *key_fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A label for the wolfSSL build this program was compiled against ("system" or "fast"),
 * and a one-line description (version and the assembly options found in options.h). */
const char *bench_wolf_build(void);
const char *bench_wolf_describe(void);

/* Common options: --smoke (tiny counts, for ctest), --seconds S (time budget per
 * measurement), --only SUBSTRING (run matching measurements only). */
typedef struct {
    int smoke;
    double seconds;
    const char *only;
    int callgrind; /* --callgrind: collect only inside the engine calls of one side */
    const char *side;
} bench_opts;
void bench_parse(bench_opts *o, int argc, char **argv);
int bench_selected(const bench_opts *o, const char *name);

#endif
