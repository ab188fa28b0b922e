/* fuzz_transitions: structure-aware fuzzing of the state machines. Our client and our
 * server run a real handshake in memory; between them, the input decides record by record
 * (each direction) to pass, drop, duplicate, swap with the next, truncate, flip a bit,
 * split in two, or to inject an alert, a ChangeCipherSpec, application data, a handshake
 * message from another state, raw bytes, an EOF or a close. Injections are written with
 * the sender's own record layer (tf_record_write), so after its ChangeCipherSpec they are
 * protected with the real keys and reach the receiver's state machine.
 *
 * Byte 0: bits 0-2 client configuration, bits 3-5 server configuration (TFF_*_*), bit 6 close
 * from the client once both are done, bit 7 then both write at once (about 24 KiB each)
 * through wires of 2^(k mod 14) bytes, k = byte 1 bits 3-7. Byte 1: bits 0-2 chunk size for
 * delivery. Then, optionally, an extended header: TFF_EXTENDED (an action byte of that value
 * is written 0x0f), the client configuration and the server configuration (any variant, modulo
 * their number; they replace byte 0's), the caller's answers (bits 0-2 the verification hook's
 * verdict, tff_set_verdict; bits 3-5 a fault, TFF_FAULT_*) and the fault's n (tff_set_fault;
 * TFF_FAULT_CRYPTO takes a second byte, n's high byte). Then one action byte per record (and
 * the action's arguments); an exhausted input passes everything, so a two-byte input is a
 * complete handshake.
 *
 * Invariants, beyond tff_check's and tff_observe's on every poll: the run ends (bounded
 * steps) with both sides done, or a side closed, or after a lossy mutation; no side ever
 * wedges once the transport closes; application data a side accepts is exactly a prefix
 * of what its peer's record layer protected; both sides agree on what was negotiated
 * (resumption and client certificate included); an untouched run completes and delivers
 * everything; a side whose random source or workspace allocation failed ends with
 * TLSFLOW_E_INTERNAL (a fault counts as a mutation). */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "internal.h"
#include "record.h"
#include "tf_test.h"

#define WIRE_MAX   (256 * 1024)
#define APP_MAX    (64 * 1024)
#define POOL_MAX   8
#define ROUNDS_MAX 4096

enum {
    A_DROP = 4,
    A_DUP,
    A_SWAP,
    A_TRUNCATE,
    A_FLIP,
    A_SPLIT,
    A_ALERT,
    A_CCS,
    A_APPDATA,
    A_MESSAGE,
    A_RAW,
    A_END
};

typedef struct {
    uint8_t *p;
    size_t len, off, cap;
} buf;

typedef struct {
    tlsflow_conn *c;
    tff_watch w;
    buf wire;        /* bytes on their way to this side */
    int eof_pending; /* deliver EOF once the wire is empty */
    buf sent_app;    /* application bytes this side's record layer protected */
    buf got_app;     /* application bytes this side accepted */
} side;

typedef struct {
    tff_input in;
    side s[2]; /* 0: client, 1: server */
    buf tail;  /* protected injections, sent after the current batch */
    size_t chunk;
    int lossy;               /* a mutation that may legitimately stall the handshake */
    int touched;             /* any mutation at all */
    size_t polls, misuse_at; /* TFF_FAULT_MISUSE: at which poll (both sides counted) ... */
    unsigned misuse;         /* ... which misuse (0: none armed) */
    int misused;             /* the side misused, plus one (0: not yet) */
    int misuse_error;        /* its error before */
} world;

/* Handshake messages of a real handshake (plaintext part), for injection elsewhere. */
static uint8_t pool_bytes[16384];
static size_t pool_off[POOL_MAX], pool_len[POOL_MAX], pool_n;

static void pool_add_stream(const uint8_t *log, size_t len)
{
    uint8_t hs[16384];
    size_t hs_len = 0, off = 0, rl;
    while ((rl = tff_record_len(log + off, len - off)) != 0 && log[off] != TF_CT_CCS) {
        if (log[off] == TF_CT_HANDSHAKE && hs_len + rl - 5 <= sizeof(hs)) {
            memcpy(hs + hs_len, log + off + 5, rl - 5);
            hs_len += rl - 5;
        }
        off += rl;
    }
    size_t used = pool_n ? pool_off[pool_n - 1] + pool_len[pool_n - 1] : 0;
    for (off = 0; off + 4 <= hs_len && pool_n < POOL_MAX;) {
        size_t m = 4 + (((size_t)hs[off + 1] << 16) | ((size_t)hs[off + 2] << 8) | hs[off + 3]);
        if (off + m > hs_len || used + m > sizeof(pool_bytes))
            break;
        memcpy(pool_bytes + used, hs + off, m);
        pool_off[pool_n] = used;
        pool_len[pool_n++] = m;
        used += m;
        off += m;
    }
}

static void pool_init(void)
{
    if (pool_n)
        return;
    tff_reset();
    tlsflow_conn *c = tlsflow_conn_new(tff_client_config(TFF_CLIENT_DEFAULT));
    tlsflow_conn *s = tlsflow_conn_new(tff_server_config(TFF_SERVER_DEFAULT));
    tft_log c2s = {0}, s2c = {0};
    tft_pump_opts o = {0, &c2s, &s2c, 0};
    TFF_CHECK(c && s && tft_handshake(c, s, &o));
    pool_add_stream(c2s.p, c2s.len); /* ClientHello, ClientKeyExchange */
    pool_add_stream(s2c.p, s2c.len); /* ServerHello, Certificate, [ServerKeyExchange], ... */
    static const uint8_t hello_request[4] = {TF_HS_HELLO_REQUEST, 0, 0, 0};
    size_t used = pool_off[pool_n - 1] + pool_len[pool_n - 1];
    memcpy(pool_bytes + used, hello_request, 4);
    pool_off[pool_n] = used;
    pool_len[pool_n++] = 4;
    tft_log_free(&c2s);
    tft_log_free(&s2c);
    tlsflow_conn_free(c);
    tlsflow_conn_free(s);
}

static void buf_init(buf *b, size_t cap)
{
    b->p = malloc(cap);
    TFF_CHECK(b->p != NULL);
    b->len = b->off = 0;
    b->cap = cap;
}

/* Returns 0 if it did not fit (the bytes are lost). */
static int buf_add(buf *b, const uint8_t *p, size_t n)
{
    if (b->off && b->off == b->len)
        b->off = b->len = 0;
    if (n > b->cap - b->len)
        return 0;
    memcpy(b->p + b->len, p, n);
    b->len += n;
    return 1;
}

static void put(world *wd, side *to, const uint8_t *p, size_t n)
{
    if (!buf_add(&to->wire, p, n))
        wd->lossy = 1;
}

/* Write one record through the sender's record layer. In the clear it goes on the wire
 * right after the current record; protected, it must follow the whole batch, whose
 * sequence numbers come before its own. */
static void inject(world *wd, side *from, side *to, uint8_t type, const uint8_t *data, size_t len)
{
    size_t pending;
    tlsflow_out_buf(from->c, &pending);
    if (pending || len > tf_record_room(from->c))
        return;
    if (type == TF_CT_APPDATA && len > from->sent_app.cap - from->sent_app.len)
        return;
    int protected_now = from->c->wr.active;
    if (tf_record_write(from->c, type, data, len) != 0)
        return;
    size_t n;
    const uint8_t *out = tlsflow_out_buf(from->c, &n);
    TFF_CHECK(n > 0);
    if (protected_now) {
        if (!buf_add(&wd->tail, out, n))
            wd->lossy = 1;
    } else {
        put(wd, to, out, n);
    }
    tlsflow_out_ack(from->c, n);
    if (type == TF_CT_APPDATA)
        TFF_CHECK(buf_add(&from->sent_app, data, len));
    wd->touched = 1;
}

static void inject_message(world *wd, side *from, side *to)
{
    uint8_t msg[16384];
    size_t len;
    uint8_t pick = tff_u8(&wd->in);
    if (pick % 4 == 3) {
        /* A message of any type with a fuzzed body (a Finished with a wrong MAC, ...). */
        const uint8_t *body;
        uint8_t type = tff_u8(&wd->in);
        size_t n = tff_take(&wd->in, tff_u8(&wd->in), &body);
        msg[0] = type;
        msg[1] = 0;
        msg[2] = 0;
        msg[3] = (uint8_t)n;
        memcpy(msg + 4, body, n);
        len = 4 + n;
    } else {
        size_t i = pick % pool_n;
        memcpy(msg, pool_bytes + pool_off[i], pool_len[i]);
        len = pool_len[i];
    }
    inject(wd, from, to, TF_CT_HANDSHAKE, msg, len);
}

/* Apply the input's action to one record; returns how many records it consumed. */
static size_t mutate(world *wd, side *from, side *to, const uint8_t *rec, size_t len,
                     const uint8_t *next, size_t next_len)
{
    uint8_t a = tff_u8(&wd->in) % 16;
    uint8_t tmp[TLSFLOW_MAX_RECORD + 8];
    if (a >= A_DROP)
        wd->touched = 1;
    switch (a) {
    case A_DROP:
        wd->lossy = 1;
        return 1;
    case A_DUP:
        put(wd, to, rec, len);
        put(wd, to, rec, len);
        return 1;
    case A_SWAP:
        if (!next)
            break;
        put(wd, to, next, next_len);
        put(wd, to, rec, len);
        return 2;
    case A_TRUNCATE:
        wd->lossy = 1;
        put(wd, to, rec, tff_u16(&wd->in) % len);
        return 1;
    case A_FLIP: {
        /* A flipped length or a flipped byte of a record cut short can leave the peer
         * waiting for bytes that never come. */
        wd->lossy = 1;
        size_t bit = tff_u16(&wd->in) % (len * 8);
        memcpy(tmp, rec, len);
        tmp[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        put(wd, to, tmp, len);
        return 1;
    }
    case A_SPLIT: {
        /* Two records of the same type. Plaintext: a valid re-fragmentation. Protected:
         * the halves no longer authenticate. */
        size_t body = len - 5, cut = body ? tff_u16(&wd->in) % (body + 1) : 0;
        memcpy(tmp, rec, 5);
        tmp[3] = (uint8_t)(cut >> 8);
        tmp[4] = (uint8_t)cut;
        memcpy(tmp + 5, rec + 5, cut);
        put(wd, to, tmp, 5 + cut);
        memcpy(tmp, rec, 5);
        tmp[3] = (uint8_t)((body - cut) >> 8);
        tmp[4] = (uint8_t)(body - cut);
        memcpy(tmp + 5, rec + 5 + cut, body - cut);
        put(wd, to, tmp, 5 + body - cut);
        return 1;
    }
    default:
        break;
    }
    put(wd, to, rec, len);
    switch (a) {
    case A_ALERT: {
        uint8_t alert[2] = {tff_u8(&wd->in), tff_u8(&wd->in)};
        inject(wd, from, to, TF_CT_ALERT, alert, 2);
        break;
    }
    case A_CCS: {
        uint8_t ccs = tff_u8(&wd->in);
        inject(wd, from, to, TF_CT_CCS, &ccs, 1);
        break;
    }
    case A_APPDATA: {
        const uint8_t *p;
        size_t n = tff_take(&wd->in, tff_u8(&wd->in), &p);
        uint8_t data[256] = {'a'};
        if (n)
            memcpy(data, p, n);
        inject(wd, from, to, TF_CT_APPDATA, data, n ? n : 1);
        break;
    }
    case A_MESSAGE:
        inject_message(wd, from, to);
        break;
    case A_RAW: {
        const uint8_t *p;
        size_t n = tff_take(&wd->in, tff_u8(&wd->in), &p);
        put(wd, to, p, n);
        wd->lossy = 1;
        break;
    }
    case A_END:
        if (tff_u8(&wd->in) & 1) {
            tlsflow_close(from->c);
        } else {
            to->eof_pending = 1;
            wd->lossy = 1;
        }
        break;
    }
    return 1;
}

/* Move what `from` has produced to its peer's wire, record by record through mutate. */
static void transmit(world *wd, int from_idx)
{
    side *from = &wd->s[from_idx], *to = &wd->s[!from_idx];
    size_t n;
    const uint8_t *out = tlsflow_out_buf(from->c, &n);
    uint8_t *batch = malloc(n);
    TFF_CHECK(batch != NULL);
    memcpy(batch, out, n);
    tlsflow_out_ack(from->c, n);

    /* The engine only ever emits whole, well-formed records. */
    size_t recs[64], lens[64], count = 0, off = 0, rl;
    while (off < n) {
        rl = tff_record_len(batch + off, n - off);
        TFF_CHECK(rl > 0);
        TFF_CHECK(batch[off] >= TF_CT_CCS && batch[off] <= TF_CT_APPDATA);
        TFF_CHECK(batch[off + 1] == 3 && batch[off + 2] == 3);
        TFF_CHECK(rl - 5 <= TLSFLOW_MAX_PLAINTEXT + 2048);
        TFF_CHECK(count < 64);
        recs[count] = off;
        lens[count++] = rl;
        off += rl;
    }
    wd->tail.len = wd->tail.off = 0;
    for (size_t i = 0; i < count;) {
        int has_next = i + 1 < count;
        i += mutate(wd, from, to, batch + recs[i], lens[i], has_next ? batch + recs[i + 1] : NULL,
                    has_next ? lens[i + 1] : 0);
    }
    put(wd, to, wd->tail.p, wd->tail.len);
    free(batch);
}

static void check_app_prefix(const side *got, const side *from)
{
    TFF_CHECK(got->got_app.len <= from->sent_app.len);
    TFF_CHECK(memcmp(got->got_app.p, from->sent_app.p, got->got_app.len) == 0);
}

/* The embedder gets the API wrong, at some moment of the run; what the API says then:
 * an acknowledgement of more bytes than offered or shown is a sticky E_USAGE, and the rest
 * is refused without changing anything. */
enum { M_IN_ACK = 1, M_OUT_ACK, M_CONSUME, M_WRITE, M_KEY_OP, M_SESSION, M_CLOSE, M_KINDS };

static void misuse(world *wd, int idx)
{
    tlsflow_conn *c = wd->s[idx].c;
    size_t n = 0;
    uint8_t junk[64];
    int err = tlsflow_last_error(c);
    wd->misused = idx + 1;
    wd->misuse_error = err;
    wd->touched = 1;
    switch (wd->misuse) {
    case M_IN_ACK:
        tlsflow_in_buf(c, &n);
        tlsflow_in_ack(c, n + 1);
        break;
    case M_OUT_ACK:
        tlsflow_out_buf(c, &n);
        tlsflow_out_ack(c, n + 1);
        break;
    case M_CONSUME:
        tlsflow_app_peek(c, &n);
        tlsflow_app_consume(c, n + 1);
        break;
    case M_WRITE:
        TFF_CHECK(tlsflow_app_write(c, NULL, 5) == 0 && tlsflow_app_write(c, junk, 0) == 0);
        if (!c->established)
            TFF_CHECK(tlsflow_app_write(c, "early", 5) == 0); /* not before the handshake */
        break;
    case M_KEY_OP:
        if (tlsflow_key_op(c))
            break;
        TFF_CHECK(tlsflow_key_op_complete(c, junk, 1) == TLSFLOW_E_USAGE);
        TFF_CHECK(tlsflow_key_op_run(c, junk, sizeof(junk), &n) == TLSFLOW_E_USAGE);
        break;
    case M_SESSION:
        /* Too late to offer a session; too little room to export one. */
        TFF_CHECK(tlsflow_session_import(c, junk, sizeof(junk)) == TLSFLOW_E_USAGE);
        n = 0;
        if (tlsflow_session_export(c, NULL, 0, &n) == 0)
            TFF_CHECK(n > 0 && tlsflow_session_export(c, junk, n - 1, &n) == TLSFLOW_E_USAGE);
        break;
    case M_CLOSE:
        tlsflow_close(c);
        tlsflow_close(c); /* once is enough */
        break;
    }
    int now = tlsflow_last_error(c);
    if (wd->misuse <= M_CONSUME)
        TFF_CHECK(now == (err ? err : TLSFLOW_E_USAGE));
    else
        TFF_CHECK(now == err);
}

/* Poll one side until it has nothing to do; returns whether anything moved. */
static int service(world *wd, int idx)
{
    side *me = &wd->s[idx], *peer = &wd->s[!idx];
    int moved = 0;
    for (int polls = 0;; polls++) {
        TFF_CHECK(polls < 100000); /* a poll loop that never settles is a hang */
        tlsflow_event ev = tlsflow_poll(me->c);
        tff_check(me->c, &me->w, ev);
        tff_observe(me->c, &me->w, NULL, 0);
        if (wd->misuse && ++wd->polls == wd->misuse_at) {
            misuse(wd, idx);
            moved = 1;
            continue; /* what the poll said may have changed */
        }
        switch (ev) {
        case TLSFLOW_OUTPUT_READY:
            transmit(wd, idx);
            moved = 1;
            break;
        case TLSFLOW_KEY_OPERATION:
            tff_key_op_now(me->c);
            moved = 1;
            break;
        case TLSFLOW_NEED_INPUT: {
            tff_release(me->c); /* where the configuration allows it */
            size_t room, avail = me->wire.len - me->wire.off;
            uint8_t *dst = tlsflow_in_buf(me->c, &room);
            if (avail && room) {
                size_t n = avail;
                if (wd->chunk && n > wd->chunk)
                    n = wd->chunk;
                if (n > room)
                    n = room;
                memcpy(dst, me->wire.p + me->wire.off, n);
                me->wire.off += n;
                tlsflow_in_ack(me->c, n);
                moved = 1;
            } else if (me->eof_pending && !avail) {
                me->eof_pending = 0;
                me->w.eof = 1;
                tlsflow_in_ack(me->c, 0);
                moved = 1;
            } else if (!dst && tlsflow_last_error(me->c)) {
                moved = 1; /* no memory for its buffers (a fault): the next poll says CLOSED */
            } else {
                TFF_CHECK(room > 0); /* waiting without room to receive is a wedge */
                return moved;
            }
            break;
        }
        case TLSFLOW_HANDSHAKE_DONE: {
            const uint8_t *p;
            size_t want = tff_u8(&wd->in), n = tff_take(&wd->in, want, &p);
            uint8_t data[256];
            memset(data, 'A' + idx, sizeof(data));
            memcpy(data, p, n);
            if (me->sent_app.cap - me->sent_app.len >= sizeof(data)) {
                size_t sent = tlsflow_app_write(me->c, data, want ? want : 16);
                TFF_CHECK(buf_add(&me->sent_app, data, sent));
            }
            moved = 1;
            break;
        }
        case TLSFLOW_APP_DATA: {
            size_t n;
            const uint8_t *p = tlsflow_app_peek(me->c, &n);
            TFF_CHECK(buf_add(&me->got_app, p, n));
            check_app_prefix(me, peer);
            tlsflow_app_consume(me->c, n);
            moved = 1;
            break;
        }
        case TLSFLOW_CLOSED:
            me->wire.off = me->wire.len; /* nobody reads it any more */
            me->eof_pending = 0;
            return moved;
        }
    }
}

/* A side ended during the duplex phase: what either has half sent goes to its peer's wire
 * as it is, so that transmit() finds whole records at the start of each output again. */
static int drain_outputs(world *wd)
{
    for (int idx = 0; idx < 2; idx++) {
        size_t n;
        const uint8_t *out = tlsflow_out_buf(wd->s[idx].c, &n);
        if (n && buf_add(&wd->s[!idx].wire, out, n))
            tlsflow_out_ack(wd->s[idx].c, n);
    }
    return 0;
}

/* Both sides write `total` bytes at once through wires that hold at most `cap` bytes,
 * reading as they go, driven by tlsflow_ready(): nothing may wait on anything. Returns 1
 * when every byte arrived, 0 if a side closed on the way. */
static int duplex_phase(world *wd, size_t total, size_t cap)
{
    size_t sent[2] = {0, 0}, start[2] = {wd->s[0].got_app.len, wd->s[1].got_app.len};
    int idle = 0;
    for (int round = 0; round < 200000; round++) {
        int moved = 0;
        for (int idx = 0; idx < 2; idx++) {
            side *me = &wd->s[idx], *peer = &wd->s[!idx];
            unsigned r = tlsflow_ready(me->c);
            if (r & TLSFLOW_READY_CLOSED)
                return drain_outputs(wd);
            if (!(r & TLSFLOW_READY_ESTABLISHED)) { /* a record that could not be sealed */
                TFF_CHECK(tlsflow_last_error(me->c) != 0 && tff_crypto_fault_fired());
                return drain_outputs(wd);
            }
            if ((r & TLSFLOW_READY_APP_WRITE) && sent[idx] < total) {
                uint8_t data[4096];
                size_t n = total - sent[idx] < sizeof(data) ? total - sent[idx] : sizeof(data);
                for (size_t k = 0; k < n; k++)
                    data[k] = (uint8_t)(sent[idx] + k + 7 * idx);
                size_t took = tlsflow_app_write(me->c, data, n);
                TFF_CHECK(buf_add(&me->sent_app, data, took));
                sent[idx] += took;
                moved |= took != 0;
            }
            size_t n, room;
            const uint8_t *out = tlsflow_out_buf(me->c, &n);
            size_t queued = peer->wire.len - peer->wire.off;
            if (n > cap - queued)
                n = cap - queued;
            if (n && buf_add(&peer->wire, out, n)) {
                tlsflow_out_ack(me->c, n);
                moved = 1;
            }
            uint8_t *dst = tlsflow_in_buf(me->c, &room);
            size_t avail = me->wire.len - me->wire.off;
            if (room > avail)
                room = avail;
            if (room) {
                memcpy(dst, me->wire.p + me->wire.off, room);
                me->wire.off += room;
                tlsflow_in_ack(me->c, room);
                moved = 1;
            }
            const uint8_t *p = tlsflow_app_peek(me->c, &n);
            if (n) {
                TFF_CHECK(buf_add(&me->got_app, p, n));
                check_app_prefix(me, peer);
                tlsflow_app_consume(me->c, n);
                moved = 1;
            }
        }
        int all = sent[0] == total && sent[1] == total &&
                  wd->s[0].got_app.len - start[0] >= total &&
                  wd->s[1].got_app.len - start[1] >= total;
        if (all)
            return 1;
        idle = moved ? 0 : idle + 1;
        TFF_CHECK(idle < 4); /* both wrote, neither can move: the full-duplex deadlock */
    }
    TFF_CHECK(0);
    return 0;
}

/* Any mutation so far, a fault that fired included. */
static int touched(const world *wd)
{
    return wd->touched || tff_fault_hit() != 0 || tff_crypto_fault_fired();
}

static int run_until_idle(world *wd)
{
    int rounds = 0;
    for (;; rounds++) {
        TFF_CHECK(rounds < ROUNDS_MAX); /* every round moves bytes the input paid for */
        int moved = service(wd, 0);
        moved |= service(wd, 1);
        if (!moved)
            return rounds;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pool_init();
    tff_reset();
    if (size < 2)
        return 0;
    world wd;
    memset(&wd, 0, sizeof(wd));
    wd.in = (tff_input){data + 2, size - 2};
    wd.chunk = tff_chunk_from_bits(data[1]);
    int cv = data[0] & 7, sv = (data[0] >> 3) & 7;
    unsigned answers = 0, fault = TFF_FAULT_NONE;
    if (size > 2 && data[2] == TFF_EXTENDED) {
        tff_u8(&wd.in);
        cv = tff_u8(&wd.in);
        sv = tff_u8(&wd.in);
        answers = tff_u8(&wd.in);
        fault = ((answers >> 3) & 7) % TFF_FAULTS;
        tff_set_verdict(answers & 7);
        uint8_t n = tff_u8(&wd.in);
        if (fault == TFF_FAULT_MISUSE) {
            wd.misuse = 1 + (n & 7) % (M_KINDS - 1);
            wd.misuse_at = 1 + (size_t)(n >> 3) * 4;
        } else if (fault == TFF_FAULT_CRYPTO) {
            tff_set_fault(fault, n | (unsigned)tff_u8(&wd.in) << 8); /* calls reach thousands */
        } else {
            tff_set_fault(fault, n);
        }
    }
    wd.s[0].c = tff_client_new(cv);
    wd.s[1].c = tff_server_new(sv);
    if (!wd.s[0].c || !wd.s[1].c) { /* a workspace or crypto fault at the start */
        TFF_CHECK(tff_fault_hit() != 0 || tff_crypto_fault_fired());
        tlsflow_conn_free(wd.s[0].c);
        tlsflow_conn_free(wd.s[1].c);
        return 0;
    }
    for (int i = 0; i < 2; i++) {
        TFF_CHECK(wd.s[i].c != NULL);
        buf_init(&wd.s[i].wire, WIRE_MAX);
        buf_init(&wd.s[i].sent_app, APP_MAX);
        buf_init(&wd.s[i].got_app, APP_MAX);
    }
    buf_init(&wd.tail, WIRE_MAX);
    side *cl = &wd.s[0], *srv = &wd.s[1];

    run_until_idle(&wd);
    int both_done = cl->w.done && srv->w.done;
    /* Idle: either finished, or someone closed, or a mutation lost bytes for good. */
    TFF_CHECK(both_done || cl->w.closed || srv->w.closed || wd.lossy);
    if (!touched(&wd)) {
        /* Untouched records: the handshake and the data go through, or the configurations
         * have nothing in common and both sides end with an error. */
        if (both_done) {
            TFF_CHECK(!cl->w.error && !srv->w.error);
            TFF_CHECK(cl->got_app.len == srv->sent_app.len && srv->got_app.len == cl->sent_app.len);
        } else {
            TFF_CHECK(cl->w.closed && srv->w.closed && cl->w.error && srv->w.error);
        }
    }
    if (both_done) {
        const tlsflow_info *ci = tlsflow_get_info(cl->c), *si = tlsflow_get_info(srv->c);
        TFF_CHECK((ci->version == 0x0303 || ci->version == 0x0304) && ci->version == si->version);
        TFF_CHECK(ci->cipher_suite == si->cipher_suite && ci->ems == si->ems);
        TFF_CHECK(strcmp(ci->alpn, si->alpn) == 0);
        TFF_CHECK(ci->encrypted_premaster_len == si->encrypted_premaster_len);
        TFF_CHECK(ci->resumed == si->resumed && ci->client_cert_sent == si->client_cert_sent);
        if ((data[0] & 0x80) && !cl->w.closed && !srv->w.closed && !wd.lossy) {
            /* Duplex: both write at once through wires of 1 byte to 8 KiB. */
            unsigned k = (unsigned)data[1] >> 3;
            size_t cap = (size_t)1 << (k % 14), total = 24 * 1024 - 512 * (k % 8);
            int ok = duplex_phase(&wd, total, cap);
            if (!touched(&wd))
                TFF_CHECK(ok);
            run_until_idle(&wd);
        }
        if ((data[0] & 0x40) && !cl->w.closed && !srv->w.closed) {
            tlsflow_close(cl->c);
            run_until_idle(&wd);
            if (!touched(&wd))
                TFF_CHECK(cl->w.closed && srv->w.closed && !cl->w.error && !srv->w.error);
        }
    }

    /* The transport closes: whatever state they are in, both sides must end. */
    for (int i = 0; i < 2; i++)
        if (!wd.s[i].w.closed)
            wd.s[i].eof_pending = 1;
    run_until_idle(&wd);
    TFF_CHECK(cl->w.closed && srv->w.closed);
    if (wd.misused && wd.misuse <= M_CONSUME) /* it stopped there */
        TFF_CHECK(wd.s[wd.misused - 1].w.error ==
                  (wd.misuse_error ? wd.misuse_error : TLSFLOW_E_USAGE));
    if (tff_fault_hit() && fault != TFF_FAULT_TIME) {
        /* No randomness or no memory: that side stops, with internal_error. */
        const side *hit = &wd.s[tff_fault_hit() == TLSFLOW_SERVER];
        TFF_CHECK(hit->w.error == TLSFLOW_E_INTERNAL);
    }

    for (int i = 0; i < 2; i++) {
        tlsflow_conn_free(wd.s[i].c);
        free(wd.s[i].wire.p);
        free(wd.s[i].sent_app.p);
        free(wd.s[i].got_app.p);
    }
    free(wd.tail.p);
    return 0;
}
