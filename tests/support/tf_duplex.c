#include "tf_duplex.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tft_pipe_init(tft_pipe *p, size_t cap)
{
    memset(p, 0, sizeof(*p));
    p->buf = malloc(cap);
    p->cap = cap;
    if (!p->buf)
        abort();
}

void tft_pipe_free(tft_pipe *p)
{
    free(p->buf);
    memset(p, 0, sizeof(*p));
}

size_t tft_pipe_room(const tft_pipe *p)
{
    return p->cap - p->len;
}

size_t tft_pipe_push(tft_pipe *p, const uint8_t *src, size_t n)
{
    if (n > tft_pipe_room(p))
        n = tft_pipe_room(p);
    for (size_t done = 0; done < n;) {
        size_t at = (p->head + p->len) % p->cap, run = p->cap - at;
        if (run > n - done)
            run = n - done;
        memcpy(p->buf + at, src + done, run);
        p->len += run;
        done += run;
    }
    return n;
}

size_t tft_pipe_pull(tft_pipe *p, uint8_t *dst, size_t n)
{
    if (n > p->len)
        n = p->len;
    for (size_t done = 0; done < n;) {
        size_t run = p->cap - p->head;
        if (run > n - done)
            run = n - done;
        memcpy(dst + done, p->buf + p->head, run);
        p->head = (p->head + run) % p->cap;
        p->len -= run;
        done += run;
    }
    return n;
}

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

uint8_t tft_pattern(uint64_t seed, uint64_t i)
{
    return (uint8_t)(mix(seed * 0x9E3779B97F4A7C15ull + (i >> 3)) >> (8 * (i & 7)));
}

void tft_pattern_fill(uint64_t seed, uint64_t from, uint8_t *out, size_t n)
{
    for (size_t k = 0; k < n; k++)
        out[k] = tft_pattern(seed, from + k);
}

size_t tft_random_size(tft_rng *r, size_t max)
{
    uint8_t b[4];
    tft_random(r, b, sizeof(b));
    unsigned bits = 0;
    while ((((size_t)1) << bits) < max)
        bits++;
    size_t top = (size_t)1 << (b[0] % (bits + 1));
    size_t n = 1 + (((size_t)b[1] << 16 | (size_t)b[2] << 8 | b[3]) % top);
    return n > max ? max : n;
}

static int send_some(tft_duplex_end *e)
{
    size_t n;
    const uint8_t *p = tlsflow_out_buf(e->c, &n);
    size_t want = tft_random_size(&e->sizes, e->max_io);
    if (n > want)
        n = want;
    n = tft_pipe_push(e->tx, p, n);
    if (n)
        tlsflow_out_ack(e->c, n);
    return n != 0;
}

static int recv_some(tft_duplex_end *e)
{
    size_t room;
    uint8_t *p = tlsflow_in_buf(e->c, &room);
    size_t want = tft_random_size(&e->sizes, e->max_io);
    if (room > want)
        room = want;
    size_t n = p ? tft_pipe_pull(e->rx, p, room) : 0;
    if (n)
        tlsflow_in_ack(e->c, n);
    return n != 0;
}

static int read_some(tft_duplex_end *e)
{
    size_t n;
    const uint8_t *p = tlsflow_app_peek(e->c, &n);
    if (!n)
        return 0;
    size_t take = tft_random_size(&e->sizes, n);
    for (size_t k = 0; k < take; k++)
        if (p[k] != tft_pattern(e->in_seed, e->recvd + k))
            e->mismatch = 1;
    e->recvd += take;
    tlsflow_app_consume(e->c, take);
    return 1;
}

/* The next bytes of our stream are staged once and offered until taken. */
static int write_some(tft_duplex_end *e)
{
    if (e->sent == e->to_send)
        return 0;
    if (e->sent >= e->staged_at + e->staged_len) {
        size_t n = tft_random_size(&e->sizes, e->max_io < TFT_STAGE ? e->max_io : TFT_STAGE);
        if (n > e->to_send - e->sent)
            n = (size_t)(e->to_send - e->sent);
        tft_pattern_fill(e->out_seed, e->sent, e->stage, n);
        e->staged_at = e->sent;
        e->staged_len = n;
    }
    size_t off = (size_t)(e->sent - e->staged_at);
    size_t took = tlsflow_app_write(e->c, e->stage + off, e->staged_len - off);
    e->sent += took;
    return took != 0;
}

static int maybe_close(tft_duplex_end *e)
{
    if (e->close_called || !e->done || e->sent != e->to_send || e->recvd != e->to_recv)
        return 0;
    e->close_called = 1;
    tlsflow_close(e->c);
    return 1;
}

/* A private-key operation the engine handed out: performed and completed at once. */
static int key_op(tft_duplex_end *e)
{
    uint8_t res[1024];
    size_t n = 0;
    if (!tlsflow_key_op(e->c) || tlsflow_key_op_run(e->c, res, sizeof(res), &n) != 0 ||
        tlsflow_key_op_complete(e->c, res, n) != 0)
        abort();
    return 1;
}

int tft_duplex_step(tft_duplex_end *e)
{
    int moved = 0;
    if (e->closed) { /* a closed transport still swallows what arrives */
        uint8_t sink[4096];
        return tft_pipe_pull(e->rx, sink, sizeof(sink)) != 0;
    }
    if (e->drive == TFT_DRIVE_READY) {
        unsigned r = tlsflow_ready(e->c);
        e->done |= (r & TLSFLOW_READY_ESTABLISHED) != 0;
        if (r & TLSFLOW_READY_SEND)
            moved |= send_some(e);
        if (r & TLSFLOW_READY_CLOSED) { /* set only once nothing waits to be sent */
            e->closed = 1;
            return 1;
        }
        if (r & TLSFLOW_READY_KEY_OP)
            moved |= key_op(e);
        if (r & TLSFLOW_READY_RECV)
            moved |= recv_some(e);
        if (r & TLSFLOW_READY_APP_READ)
            moved |= read_some(e);
        if (r & TLSFLOW_READY_APP_WRITE)
            moved |= write_some(e);
        return moved | maybe_close(e);
    }
    /* Poll mode: one poll to advance the engine, then every direction by the old calls. */
    tlsflow_event ev = tlsflow_poll(e->c);
    if (ev == TLSFLOW_HANDSHAKE_DONE) {
        e->done = 1;
        moved = 1;
    }
    if (ev == TLSFLOW_CLOSED) {
        e->closed = 1;
        return 1;
    }
    if (ev == TLSFLOW_KEY_OPERATION)
        moved |= key_op(e);
    moved |= send_some(e);
    moved |= recv_some(e);
    moved |= read_some(e);
    if (e->done)
        moved |= write_some(e);
    return moved | maybe_close(e);
}

int tft_duplex_run(tft_duplex_end *a, tft_duplex_end *b, long max_rounds, char *why, size_t why_cap)
{
    int idle = 0;
    for (long round = 0; round < max_rounds; round++) {
        if (a->closed && b->closed)
            return 1;
        int moved = tft_duplex_step(a);
        moved |= tft_duplex_step(b);
        idle = moved ? 0 : idle + 1;
        if (idle > 8) {
            size_t ao, bo, ar, br;
            tlsflow_out_buf(a->c, &ao);
            tlsflow_out_buf(b->c, &bo);
            tlsflow_in_buf(a->c, &ar);
            tlsflow_in_buf(b->c, &br);
            snprintf(why, why_cap,
                     "no progress: A sent %llu/%llu got %llu, out %zu, in room %zu, pipe to B "
                     "%zu; B sent %llu/%llu got %llu, out %zu, in room %zu, pipe to A %zu",
                     (unsigned long long)a->sent, (unsigned long long)a->to_send,
                     (unsigned long long)a->recvd, ao, ar, a->tx->len, (unsigned long long)b->sent,
                     (unsigned long long)b->to_send, (unsigned long long)b->recvd, bo, br,
                     b->tx->len);
            return 0;
        }
    }
    snprintf(why, why_cap, "ran out of rounds");
    return 0;
}
