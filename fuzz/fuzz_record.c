/* fuzz_record: the record layer before any keys, as a server or a client sees it: framing,
 * content types, record versions, the 2^14 limits, handshake messages reassembled across
 * records, and the cap on one handshake message.
 *
 * Byte 0: bits 0-2 chunk size, bit 3 EOF at the end, bit 4 client role, bit 5 server with
 * a 1024-byte handshake cap, bit 6 framed mode, bit 7 connection in caller memory.
 * Raw mode: the rest is the byte stream. Framed mode: the rest is a list of
 * [type][flags][u16 length][payload] that the harness frames, so lengths agree with the
 * payload unless flags bit 1 asks for the fuzzed length to be kept; flags bit 0 sets the
 * record version to 3.(flags >> 4).
 *
 * Beyond the public invariants: how the input is split must not matter. The stream is
 * driven a second time in one piece, and the bytes sent and the final error must be the
 * same (the random source is reset in between, so this also catches hidden state). */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "tf_test.h"

#define STREAM_MAX (256 * 1024)

static size_t frame(tff_input *in, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (in->len && n + 5 < cap) {
        uint8_t type = tff_u8(in), flags = tff_u8(in);
        uint16_t claimed = tff_u16(in);
        const uint8_t *payload;
        size_t len = tff_take(in, claimed, &payload);
        if (len > cap - n - 5)
            len = cap - n - 5;
        uint16_t field = (flags & 2) ? claimed : (uint16_t)len;
        out[n++] = type;
        out[n++] = 3;
        out[n++] = (flags & 1) ? (uint8_t)(flags >> 4) : 3;
        out[n++] = (uint8_t)(field >> 8);
        out[n++] = (uint8_t)field;
        memcpy(out + n, payload, len);
        n += len;
    }
    return n;
}

static void log_sent(void *ctx, const uint8_t *p, size_t n)
{
    tft_log_add(ctx, p, n);
}

/* Drive a fresh connection over the whole stream; returns its final error. */
static int drive(const tlsflow_config *cfg, const uint8_t *stream, size_t n, tff_drive_opts *o,
                 tft_log *sent, uint8_t opt)
{
    tff_reset();
    o->on_sent = log_sent;
    o->sent_ctx = sent;
    void *mem = NULL;
    tlsflow_conn *c;
    if (opt & 0x80) {
        size_t need = tlsflow_conn_size(cfg);
        size_t alloc = (need + 15) & ~(size_t)15;
        mem = aligned_alloc(16, alloc);
        TFF_CHECK(mem != NULL);
        TFF_CHECK(tlsflow_conn_init(mem, need - 1, cfg) == NULL); /* too small: refused */
        c = tlsflow_conn_init(mem, alloc, cfg);
    } else {
        c = tlsflow_conn_new(cfg);
    }
    TFF_CHECK(c != NULL);
    tff_drive(c, stream, n, o);
    int err = tlsflow_last_error(c);
    tlsflow_conn_free(c);
    free(mem);
    return err;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t opt = data[0];
    tff_drive_opts o;
    tff_drive_opts_from_bits(opt & 0x0f, &o);
    o.out_chunk = 0; /* partial drains may legitimately change record boundaries */
    const tlsflow_config *cfg = (opt & 0x10)   ? tff_client_config(TFF_CLIENT_DEFAULT)
                                : (opt & 0x20) ? tff_server_config(TFF_SERVER_SMALL)
                                               : tff_server_config(TFF_SERVER_DEFAULT);
    const uint8_t *stream = data + 1;
    size_t n = size - 1;
    uint8_t *framed = NULL;
    if (opt & 0x40) {
        tff_input in = {data + 1, size - 1};
        framed = malloc(STREAM_MAX);
        TFF_CHECK(framed != NULL);
        n = frame(&in, framed, STREAM_MAX);
        stream = framed;
    }
    tft_log split = {0}, whole = {0};
    int err_split = drive(cfg, stream, n, &o, &split, opt);
    o.chunk = 0;
    int err_whole = drive(cfg, stream, n, &o, &whole, opt);
    TFF_CHECK(err_split == err_whole);
    TFF_CHECK(split.len == whole.len && (!split.len || memcmp(split.p, whole.p, split.len) == 0));
    tft_log_free(&split);
    tft_log_free(&whole);
    free(framed);
    return 0;
}
