/* TLS stacks measured in process side by side: tlsflow (our client vs our server),
 * OpenSSL's libssl over BIO pairs and wolfSSL's own TLS over memory callbacks, each
 * talking to itself with the same fixture certificate and suite. The program alternates
 * short slices of each stack so that a change in the machine's load hits all alike. */
#ifndef TLSFLOW_BENCH_PEERS_H
#define TLSFLOW_BENCH_PEERS_H

#include <stddef.h>
#include <stdint.h>

#include "bench_suites.h"
#include "bench_util.h"
#include "engine_pump.h"

/* Pairs of samples in microseconds: (client, server) per handshake, or (sender,
 * receiver) per 16 KiB record. Bounded. */
typedef struct {
    double *a, *b;
    size_t n, cap;
} peer_samples;

int peer_samples_add(peer_samples *p, double a, double b); /* 0, or -1 when full */

typedef struct {
    const char *name;
    /* Contexts for one suite; NULL with `note` saying why the stack cannot do it. */
    void *(*open)(const bench_suite *s, const bench_fx *fx, char *note, size_t note_len);
    /* Full handshakes for about `seconds` (at least one, at most `max`); per-handshake
     * CPU of each side's library calls appended to `out`. 0 on success. */
    int (*handshakes)(void *ctx, double seconds, long max, peer_samples *out);
    /* One connection; 16 KiB records client -> server for about `seconds`. */
    int (*records)(void *ctx, double seconds, long max, peer_samples *out);
    /* One established, idle connection (after a warm-up one): bytes each side holds,
     * and the negotiated ECDHE group ("" if none). */
    int (*idle)(void *ctx, double *client, double *server, char *group, size_t group_len);
    void (*close)(void *ctx);
    /* Optional (NULL: n/a). Resumed handshakes for about `seconds` (at least one, at most
     * `max`): the first call makes a session with one full handshake, unmeasured; each
     * measured handshake then offers the newest session (TLS 1.2 ticket with the extended
     * master secret, TLS 1.3 ticket with psk_dhe_ke), and the one the server sends back
     * replaces it. Per-handshake CPU of each side as for full handshakes. 0 on success,
     * PEER_NOT_RESUMED when a measured handshake was a full one, -1 on other failures. */
    int (*resumed)(void *ctx, double seconds, long max, peer_samples *out);
} peer_stack;

#define PEER_NOT_RESUMED (-2)

extern const peer_stack PEER_TLSFLOW, PEER_OPENSSL, PEER_WOLFSSL;

/* Callgrind: collect only inside the measured library calls of the selected stack. */
extern int peer_collect;

/* Which side the current library call works for: heap allocations made during it are
 * charged to that side (1 client, 2 server; 0: not counted, e.g. the transport). */
extern int peer_side;
extern long long peer_live[3];
void *peer_count_alloc(size_t n);
void *peer_count_realloc(void *p, size_t n);
void peer_count_free(void *p);
/* Install counting allocators (before the library allocates anything). */
void peer_ossl_hook_memory(void);
void peer_wolf_hook_memory(void);
const char *peer_ossl_version(void);

/* Time one library call, charged to *ns, and collected by callgrind when selected. */
#define PEER_TIMED(ns, stmt)                                                                       \
    do {                                                                                           \
        if (peer_collect)                                                                          \
            CALLGRIND_TOGGLE_COLLECT;                                                              \
        uint64_t t0_ = bench_now_ns();                                                             \
        stmt;                                                                                      \
        (ns) += bench_now_ns() - t0_;                                                              \
        if (peer_collect)                                                                          \
            CALLGRIND_TOGGLE_COLLECT;                                                              \
    } while (0)

#endif
