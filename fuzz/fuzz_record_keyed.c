/* fuzz_record_keyed: the record layer with keys installed: AES-GCM unprotect, sequence
 * numbers, the 2^14 + 2048 ciphertext limit, and what each content type does once the
 * handshake is done (application data, alerts, renegotiation attempts, stray CCS) or
 * while the peer's Finished is awaited.
 *
 * Fixed keys are installed through the internal API (no handshake per input, so it is
 * fast). A second connection of the opposite role holds the same keys and writes records
 * with tf_record_write, so inputs can carry valid ciphertext.
 *
 * Byte 0: bit 0 client role, bit 1 awaiting the peer's Finished (else established), bit 2
 * sealed mode (else raw), bits 3-5 chunk size, bit 6 EOF at the end. Byte 1: the suite
 * (index into the suite table). Raw mode: the rest is the ciphertext stream. Sealed mode: a list of
 * [type][flags][u16 length][payload]: type 20-23 from the low two bits, any type if bit 7
 * is set, and 0x7f is the valid Finished (payload ignored). Flags: bit 0 flip a tag bit,
 * bit 1 skip a sequence number, bit 2 send in the clear, bit 3 cut (flags >> 4) bytes off
 * the ciphertext. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "handshake.h"
#include "keys.h"
#include "record.h"

#define STREAM_MAX (256 * 1024)

/* Put a fresh connection where a handshake would have left it, with fixed keys. */
static void install_keys(tlsflow_conn *c, const tf_suite *s, int established)
{
    c->started = 1; /* no ClientHello */
    c->hs->suite = s;
    c->hs->ems = 1;
    c->version_fixed = 1;
    tf_transcript_select(c);
    for (size_t i = 0; i < sizeof(c->hs->key_block); i++)
        c->hs->key_block[i] = (uint8_t)(0x5a ^ (i * 29));
    for (size_t i = 0; i < sizeof(c->hs->master); i++)
        c->hs->master[i] = (uint8_t)(0xa5 ^ (i * 13));
    int client = c->role == TLSFLOW_CLIENT;
    /* A server awaiting the client's Finished has not sent its own CCS yet. */
    if (established || client)
        TFF_CHECK(tf_keys_activate(c, 1) == 0);
    TFF_CHECK(tf_keys_activate(c, 0) == 0);
    tf_msg_id want = established ? TF_MSG_APPLICATION_DATA
                     : client    ? TF_MSG_SERVER_FINISHED
                                 : TF_MSG_CLIENT_FINISHED;
    c->hs->step = 0;
    while (c->hs->flow[c->hs->step] != want) {
        TFF_CHECK(c->hs->flow[c->hs->step] != TF_MSG_APPLICATION_DATA);
        c->hs->step++;
    }
    c->established = established;
}

/* The Finished message `c` would accept now (as the peer would compute it). */
static size_t valid_finished(tlsflow_conn *c, uint8_t msg[16])
{
    uint8_t hash[TF_MAX_HASH];
    size_t n = tf_transcript_hash(c, hash);
    TFF_CHECK(n > 0);
    msg[0] = TF_HS_FINISHED;
    msg[1] = msg[2] = 0;
    msg[3] = 12;
    TFF_CHECK(tf_keys_finished(c, c->role == TLSFLOW_SERVER, hash, n, msg + 4) == 0);
    return 16;
}

static size_t seal(tff_input *in, tlsflow_conn *peer, tlsflow_conn *c, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (in->len) {
        uint8_t sel = tff_u8(in), flags = tff_u8(in);
        uint16_t want = tff_u16(in);
        const uint8_t *payload;
        size_t len = tff_take(in, want, &payload);
        uint8_t fin[16];
        uint8_t type = (sel & 0x80) ? sel : (uint8_t)(TF_CT_CCS + (sel & 3));
        if (sel == 0x7f) {
            type = TF_CT_HANDSHAKE;
            len = valid_finished(c, fin);
            payload = fin;
        }
        if (len > tf_record_room(peer))
            len = tf_record_room(peer);
        int active = peer->wr.active;
        if (flags & 4)
            peer->wr.active = 0;
        if (flags & 2)
            peer->wr.seq++;
        TFF_CHECK(tf_record_write(peer, type, payload, len) == 0);
        peer->wr.active = active;
        size_t rec;
        uint8_t *p = (uint8_t *)tlsflow_out_buf(peer, &rec);
        if ((flags & 1) && rec > 5)
            p[rec - 1] ^= 0x80;
        size_t cut = (flags & 8) ? (size_t)(flags >> 4) : 0;
        if (cut && rec - 5 >= cut) {
            rec -= cut;
            p[3] = (uint8_t)((rec - 5) >> 8);
            p[4] = (uint8_t)(rec - 5);
        }
        if (n + rec > cap)
            break;
        memcpy(out + n, p, rec);
        n += rec;
        tlsflow_out_ack(peer, SIZE_MAX);
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tff_reset();
    if (size < 2)
        return 0;
    uint8_t opt = data[0];
    int client = opt & 1, established = !(opt & 2);
    const tf_suite *suite = tf_suite_at(data[1] % tf_suite_count());
    TFF_CHECK(suite != NULL);
    const tlsflow_config *ccfg = tff_client_config(TFF_CLIENT_DEFAULT);
    const tlsflow_config *scfg = tff_server_config(TFF_SERVER_DEFAULT);
    tlsflow_conn *c = tlsflow_conn_new(client ? ccfg : scfg);
    TFF_CHECK(c != NULL);
    install_keys(c, suite, established);

    tff_drive_opts o;
    tff_drive_opts_from_bits(0, &o);
    o.chunk = tff_chunk_from_bits(opt >> 3);
    o.eof_at_end = (opt >> 6) & 1;
    o.echo = 1;
    o.installed = 1;

    if (opt & 4) {
        tlsflow_conn *peer = tlsflow_conn_new(client ? scfg : ccfg);
        TFF_CHECK(peer != NULL);
        install_keys(peer, suite, 1);
        uint8_t *stream = malloc(STREAM_MAX);
        TFF_CHECK(stream != NULL);
        tff_input in = {data + 2, size - 2};
        size_t n = seal(&in, peer, c, stream, STREAM_MAX);
        tff_drive(c, stream, n, &o);
        free(stream);
        tlsflow_conn_free(peer);
    } else {
        tff_drive(c, data + 2, size - 2, &o);
    }
    tlsflow_conn_free(c);
    return 0;
}
