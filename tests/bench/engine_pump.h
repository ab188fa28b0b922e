/* The engine against itself in memory, with each side's engine calls timed: shared by
 * bench_engine (engine vs raw crypto) and bench_peers (engine vs other stacks).
 *
 * Timing is CLOCK_MONOTONIC around every engine call (tlsflow_conn_new, tlsflow_poll,
 * the buffer calls, tlsflow_conn_free), charged to the side whose call it is; the cost of
 * reading the clock is subtracted. The pump's own memcpy from one engine's output to the
 * other's input is not charged (a socket would do that copy in the kernel). Under
 * `valgrind --tool=callgrind --collect-atstart=no`, sides with `collect` set have their
 * calls, and only those, collected. */
#ifndef TLSFLOW_BENCH_ENGINE_PUMP_H
#define TLSFLOW_BENCH_ENGINE_PUMP_H

#include <stddef.h>
#include <stdint.h>

#include "bench_suites.h"
#include "bench_util.h"
#include "tlsflow/tlsflow.h"

#if defined(__has_include)
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#define BENCH_HAVE_CALLGRIND 1
#endif
#endif
#ifndef BENCH_HAVE_CALLGRIND
#define CALLGRIND_TOGGLE_COLLECT
#endif

/* The fixture PKI, as loaded from tests/fixtures (PEM, NUL terminated). The EC pair is
 * absent (p == NULL) when the fixtures have none. */
typedef struct {
    uint8_t *p;
    size_t len;
} bench_blob;

typedef struct {
    bench_blob ca, ca_key, rsa_cert, rsa_key, ec_cert, ec_key;
} bench_fx;

void bench_fx_load(bench_fx *fx);
void bench_fx_free(bench_fx *fx);

/* Engine configurations for one suite: the server with the suite's certificate, the
 * client trusting the fixture root and expecting "localhost" (X25519 then P-256 for
 * TLS 1.2 ECDHE; X25519 alone for TLS 1.3), the suite's version only. Fixed clock
 * (inside the fixtures' validity), default random source, declared one-thread
 * (tlsflow_config_set_one_thread: the connections of a configuration share one DRBG, as
 * an event loop's would). NULL if the engine or the fixtures cannot do the suite. */
tlsflow_config *bench_server_config(const bench_suite *s, const bench_fx *fx);
tlsflow_config *bench_client_config(const bench_suite *s, const bench_fx *fx);

typedef struct {
    tlsflow_conn *c;
    uint64_t ns; /* time in this side's engine calls */
    long calls;  /* how many calls (for the clock correction) */
    int collect; /* callgrind: collect this side's calls */
} bench_side;

#define BENCH_TIMED(sd, stmt)                                                                      \
    do {                                                                                           \
        bench_side *s_ = (sd);                                                                     \
        if (s_->collect)                                                                           \
            CALLGRIND_TOGGLE_COLLECT;                                                              \
        uint64_t t0_ = bench_now_ns();                                                             \
        stmt;                                                                                      \
        s_->ns += bench_now_ns() - t0_;                                                            \
        s_->calls++;                                                                               \
        if (s_->collect)                                                                           \
            CALLGRIND_TOGGLE_COLLECT;                                                              \
    } while (0)

/* Microseconds a side spent in engine calls since a snapshot (ns0, calls0), with the
 * clock's own cost removed. */
double bench_side_us_since(const bench_side *s, uint64_t ns0, long calls0);

/* Poll `a` once; whatever it outputs goes into `b`'s input. Adds the bytes moved to
 * *moved if non-NULL. Returns the event `a` reported. */
tlsflow_event bench_step(bench_side *a, bench_side *b, size_t *moved);
/* Pump until both sides reported HANDSHAKE_DONE (bounded). 0 on success. */
int bench_handshake(bench_side *cl, bench_side *sv, size_t *moved);

#endif
