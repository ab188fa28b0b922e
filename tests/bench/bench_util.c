#include "bench_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <wolfssl/options.h>
#include <wolfssl/version.h>

uint64_t bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t bench_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double bench_clock_ns(void)
{
    static double cost = -1;
    if (cost < 0) {
        double v[64];
        for (int k = 0; k < 64; k++) {
            uint64_t sum = 0;
            for (int i = 0; i < 1000; i++) {
                uint64_t a = bench_now_ns();
                sum += bench_now_ns() - a;
            }
            v[k] = (double)sum / 1000;
        }
        cost = bench_median(v, 64);
    }
    return cost;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bench_median(double *v, size_t n)
{
    if (n == 0)
        return 0;
    qsort(v, n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void bench_loop_init(bench_loop *l, long min, long max, double seconds)
{
    l->start = bench_now_ns();
    l->deadline = l->start + (uint64_t)(seconds * 1e9);
    l->hard_deadline = l->start + (uint64_t)(4 * seconds * 1e9) + 1000000000u;
    l->i = 0;
    l->min = min < max ? min : max;
    l->max = max;
}

int bench_loop_next(bench_loop *l)
{
    if (l->i >= l->max)
        return 0;
    uint64_t now = bench_now_ns();
    if (now >= l->hard_deadline)
        return 0;
    if (l->i >= l->min && now >= l->deadline)
        return 0;
    l->i++;
    return 1;
}

void bench_result(const char *unit, double value, const char *key_fmt, ...)
{
    char key[160];
    va_list ap;
    va_start(ap, key_fmt);
    vsnprintf(key, sizeof(key), key_fmt, ap);
    va_end(ap);
    printf("@ %s %.6g %s\n", key, value, unit);
    fflush(stdout);
}

const char *bench_wolf_build(void)
{
#if defined(WOLFSSL_AESNI) && defined(WOLFSSL_SP_X86_64_ASM)
    return "fast";
#else
    return "system";
#endif
}

const char *bench_wolf_describe(void)
{
    static char text[256];
    snprintf(text, sizeof(text), "wolfSSL %s (%s build:%s%s%s%s)", LIBWOLFSSL_VERSION_STRING,
             bench_wolf_build(),
#ifdef WOLFSSL_AESNI
             " aesni",
#else
             "",
#endif
#ifdef USE_INTEL_SPEEDUP
             " intelasm",
#else
             "",
#endif
#ifdef WOLFSSL_SP_X86_64_ASM
             " sp-asm",
#else
             "",
#endif
#ifdef WOLFSSL_STATIC_RSA
             " static-rsa"
#else
             " no-static-rsa"
#endif
    );
    return text;
}

static void usage(const char *prog)
{
    fprintf(stderr,
            "usage: %s [--smoke] [--seconds S] [--only NAME] [--callgrind client|server]\n"
            "  --smoke       run every measurement a few times (checks that it runs)\n"
            "  --seconds S   time budget of each measurement (default 1)\n"
            "  --only NAME   only measurements whose name contains NAME\n"
            "  --callgrind SIDE  with valgrind --tool=callgrind --collect-atstart=no:\n"
            "                collect only inside one side's engine calls\n",
            prog);
}

void bench_parse(bench_opts *o, int argc, char **argv)
{
    memset(o, 0, sizeof(*o));
    o->seconds = 1.0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--smoke") == 0) {
            o->smoke = 1;
        } else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
            o->seconds = atof(argv[++i]);
            if (o->seconds <= 0 || o->seconds > 60)
                o->seconds = 1.0;
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            o->only = argv[++i];
        } else if (strcmp(argv[i], "--callgrind") == 0 && i + 1 < argc) {
            o->callgrind = 1;
            o->side = argv[++i];
        } else {
            usage(argv[0]);
            exit(strcmp(argv[i], "--help") == 0 ? 0 : 2);
        }
    }
    if (o->smoke)
        o->seconds = 0.01;
}

int bench_selected(const bench_opts *o, const char *name)
{
    return o->only == NULL || strstr(name, o->only) != NULL;
}
