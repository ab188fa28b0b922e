/* Full-duplex scaffolding: bounded in-memory pipes, and an endpoint that writes a long
 * patterned stream while it reads and checks the peer's, in random sizes. Used to show
 * that two engines (or an engine and another stack) writing at once never wait on each
 * other. */
#ifndef TLSFLOW_TEST_DUPLEX_H
#define TLSFLOW_TEST_DUPLEX_H

#include <stddef.h>
#include <stdint.h>

#include "tf_test.h"
#include "tlsflow/tlsflow.h"

/* A byte pipe holding at most `cap` bytes (a ring). */
typedef struct {
    uint8_t *buf;
    size_t cap, head, len;
} tft_pipe;
void tft_pipe_init(tft_pipe *p, size_t cap);
void tft_pipe_free(tft_pipe *p);
size_t tft_pipe_room(const tft_pipe *p);
size_t tft_pipe_push(tft_pipe *p, const uint8_t *src, size_t n);
size_t tft_pipe_pull(tft_pipe *p, uint8_t *dst, size_t n);

/* Byte i of the stream named `seed`. */
uint8_t tft_pattern(uint64_t seed, uint64_t i);
/* Fill out with bytes [from, from + n) of the stream. */
void tft_pattern_fill(uint64_t seed, uint64_t from, uint8_t *out, size_t n);
/* A random size in [1, max], skewed towards small ones (log-uniform). */
size_t tft_random_size(tft_rng *r, size_t max);

typedef enum {
    TFT_DRIVE_POLL = 0, /* only calls that existed before tlsflow_ready: poll, in/out, app */
    TFT_DRIVE_READY = 1 /* tlsflow_ready()'s bits say what to do */
} tft_drive;

#define TFT_STAGE 65536

/* One tlsflow endpoint of a duplex run. */
typedef struct {
    tlsflow_conn *c;
    tft_pipe *tx, *rx;          /* towards the peer, from the peer */
    uint64_t out_seed, in_seed; /* our stream, the peer's stream */
    uint64_t to_send, sent;
    uint64_t to_recv, recvd;
    tft_rng sizes; /* read and write sizes */
    size_t max_io; /* largest single read, write or send */
    tft_drive drive;
    int done, closed, close_called, mismatch;
    uint8_t stage[TFT_STAGE]; /* our next bytes, offered to tlsflow_app_write until taken */
    uint64_t staged_at;
    size_t staged_len;
} tft_duplex_end;

/* Move whatever can move on this endpoint once; returns nonzero if anything did. The
 * endpoint calls tlsflow_close() once it has sent and received everything. */
int tft_duplex_step(tft_duplex_end *e);
/* Alternate two endpoints until both are closed; 0 if they stopped making progress
 * (a deadlock) or `max_rounds` ran out, with a description in `why`. */
int tft_duplex_run(tft_duplex_end *a, tft_duplex_end *b, long max_rounds, char *why,
                   size_t why_cap);

#endif
