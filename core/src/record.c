/* The record layer (RFC 5246 §6.2): framing, size limits, AEAD protection with sequence
 * numbers, and the output queue. The suite row says how a nonce is made: AES-GCM (RFC
 * 5288) sends the low 8 bytes of it in each record, ChaCha20-Poly1305 (RFC 7905) none. */
#include "record.h"

#include <string.h>

#include "handshake.h"
#include "keys.h"

static void put_header(uint8_t *h, uint8_t type, size_t len)
{
    h[0] = type;
    h[1] = 3;
    h[2] = 3;
    h[3] = (uint8_t)(len >> 8);
    h[4] = (uint8_t)len;
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--, v >>= 8)
        p[i] = (uint8_t)v;
}

/* nonce = fixed_iv, left-aligned over 12 zero bytes, XOR the sequence number in the low
 * 8 bytes: fixed_iv(4) || seq for AES-GCM (whose low 8 bytes are then sent, and on
 * receipt taken from the record), fixed_iv(12) XOR seq for ChaCha20-Poly1305.
 * aad = seq || type || version || plaintext length (both AEADs). */
static void nonce_and_aad(const tf_direction *d, uint8_t type, size_t len, uint8_t nonce[12],
                          uint8_t aad[13])
{
    uint8_t seq[8];
    put_u64(seq, d->seq);
    memset(nonce, 0, 12);
    memcpy(nonce, d->fixed_iv, d->suite->fixed_iv_len);
    for (int i = 0; i < 8; i++)
        nonce[4 + i] ^= seq[i];
    memcpy(aad, seq, 8);
    aad[8] = type;
    aad[9] = 3;
    aad[10] = 3;
    aad[11] = (uint8_t)(len >> 8);
    aad[12] = (uint8_t)len;
}

size_t tf_record_align_pad(const tf_direction *d)
{
    return d->active ? (16 - ((5 + d->suite->explicit_nonce_len) & 15)) & 15 : 0;
}

size_t tf_record_room(tlsflow_conn *c)
{
    /* Reclaim what the caller took, but never for the few bytes of alignment. */
    if (c->out_off > 15 && c->out_off + c->out_len > TF_OUT_CAP / 2) {
        memmove(c->out, c->out + c->out_off, c->out_len);
        c->out_off = 0;
    }
    size_t used = c->out_off + c->out_len;
    size_t overhead = 5 + (c->wr.active ? tf_suite_record_overhead(c->wr.suite) : 0);
    if (used + overhead >= TF_OUT_CAP)
        return 0;
    size_t room = TF_OUT_CAP - used - overhead;
    return room > TLSFLOW_MAX_PLAINTEXT ? TLSFLOW_MAX_PLAINTEXT : room;
}

int tf_record_write(tlsflow_conn *c, uint8_t type, const uint8_t *data, size_t len)
{
    if (len > tf_record_room(c))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "record does not fit the output buffer");
    uint8_t *h = c->out + c->out_off + c->out_len;
    if (!c->wr.active) {
        put_header(h, type, len);
        memmove(h + 5, data, len);
        c->out_len += 5 + len;
        tf_note_high_water(&c->out_hw, c->out_off + c->out_len);
        return 0;
    }
    tf_direction *d = &c->wr;
    if (d->seq == UINT64_MAX)
        return tf_fail(c, TLSFLOW_E_INTERNAL, "write sequence number exhausted");
    if (c->out_len == 0) {
        c->out_off = tf_record_align_pad(d); /* the first record's payload 16-aligned */
        h = c->out + c->out_off;
    }
    uint8_t nonce[12], aad[13];
    size_t ex = d->suite->explicit_nonce_len;
    nonce_and_aad(d, type, len, nonce, aad);
    put_header(h, type, ex + len + TF_AEAD_TAG);
    memcpy(h + 5, nonce + 12 - ex, ex);
    if (tf_aead_seal(&d->aead, nonce, aad, sizeof(aad), data, len, h + 5 + ex, h + 5 + ex + len))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "record encryption failed");
    d->seq++;
    c->out_len += 5 + ex + len + TF_AEAD_TAG;
    tf_note_high_water(&c->out_hw, c->out_off + c->out_len);
    return 0;
}

/* Queue what is pending, in order: an alert, then handshake bytes with our
 * ChangeCipherSpec at its place among them. Stops when the output buffer is full. */
void tf_record_flush(tlsflow_conn *c)
{
    if (c->pending_alert >= 0) {
        if (tf_record_room(c) < 2)
            return;
        uint8_t alert[2] = {(uint8_t)(c->pending_alert_fatal ? 2 : 1), (uint8_t)c->pending_alert};
        c->sent_alert = c->pending_alert;
        c->pending_alert = -1;
        tf_record_write(c, TF_CT_ALERT, alert, 2);
        tf_tracef(c, TLSFLOW_STEP_ALERT_SENT, "sent %s alert %s (%d)",
                  alert[0] == 2 ? "fatal" : "warning", tlsflow_alert_name(alert[1]), alert[1]);
    }
    while (!c->error && (c->hs_out_off < c->hs_out_len || c->ccs_at == c->hs_out_off)) {
        if (c->ccs_at == c->hs_out_off) {
            static const uint8_t ccs = 1;
            if (tf_record_room(c) < 1)
                return;
            tf_record_write(c, TF_CT_CCS, &ccs, 1);
            c->ccs_at = SIZE_MAX;
            if (tf_keys_activate(c, 1)) {
                tf_fail(c, TLSFLOW_E_INTERNAL, "could not install the write keys");
                return;
            }
            continue;
        }
        size_t end = c->ccs_at != SIZE_MAX ? c->ccs_at : c->hs_out_len;
        size_t want = end - c->hs_out_off, room = tf_record_room(c);
        if (want > TLSFLOW_MAX_PLAINTEXT)
            want = TLSFLOW_MAX_PLAINTEXT;
        /* Wait for a drain rather than cut a flight into slivers. */
        if (room < want && (c->out_len || room == 0))
            return;
        if (want > room)
            want = room;
        if (tf_record_write(c, TF_CT_HANDSHAKE, c->hs_out + c->hs_out_off, want))
            return;
        c->hs_out_off += want;
    }
    if (c->hs_out_off == c->hs_out_len && c->ccs_at == SIZE_MAX)
        c->hs_out_off = c->hs_out_len = 0;
}

/* Remove protection in place; on success *plain points at the plaintext. */
static int unprotect(tlsflow_conn *c, uint8_t type, uint8_t *payload, size_t len, uint8_t **plain,
                     size_t *plain_len)
{
    tf_direction *d = &c->rd;
    /* Before the handshake ends, the only protected record is the peer's Finished: a
     * wrong premaster shows up here, and must look exactly like a wrong Finished. */
    int err = c->established ? TLSFLOW_E_BAD_RECORD_MAC : TLSFLOW_E_BAD_FINISHED;
    size_t ex = d->suite->explicit_nonce_len;
    if (len < ex + TF_AEAD_TAG)
        return tf_fail(c, err, "protected record shorter than nonce and tag");
    if (d->seq == UINT64_MAX)
        return tf_fail(c, TLSFLOW_E_INTERNAL, "read sequence number exhausted");
    size_t n = len - ex - TF_AEAD_TAG;
    uint8_t nonce[12], aad[13];
    nonce_and_aad(d, type, n, nonce, aad);
    memcpy(nonce + 12 - ex, payload, ex); /* the sender's explicit nonce, if any */
    uint8_t *ct = payload + ex;
    if (tf_aead_open(&d->aead, nonce, aad, sizeof(aad), ct, n, ct + n, ct))
        return tf_fail(c, err,
                       err == TLSFLOW_E_BAD_FINISHED
                           ? "the peer's Finished record did not decrypt (wrong keys)"
                           : "record failed authentication (bad_record_mac)");
    d->seq++;
    *plain = ct;
    *plain_len = n;
    return 0;
}

int tf_record_idle(tlsflow_conn *c, const char *what)
{
    if (++c->idle_records > TLSFLOW_MAX_IDLE_RECORDS)
        return tf_failf(c, TLSFLOW_E_UNEXPECTED_MESSAGE,
                        "more than %d records in a row carried nothing (the last: %s)",
                        TLSFLOW_MAX_IDLE_RECORDS, what);
    return 0;
}

void tf_record_progress(tlsflow_conn *c)
{
    c->idle_records = 0;
}

int tf_record_process(tlsflow_conn *c)
{
    size_t avail = c->in_len - c->in_off;
    if (avail < 5)
        return 0;
    uint8_t *h = c->in + c->in_off;
    uint8_t type = h[0];
    size_t len = ((size_t)h[3] << 8) | h[4];

    if (type < TF_CT_CCS || type > TF_CT_APPDATA)
        return tf_failf(c, TLSFLOW_E_UNEXPECTED_MESSAGE, "record of unknown content type %u", type);
    if (h[1] != 3 || (c->version_fixed && h[2] != 3))
        return tf_failf(c, TLSFLOW_E_PROTOCOL_VERSION, "record version %u.%u is not TLS 1.2", h[1],
                        h[2]);
    if (len > TLSFLOW_MAX_PLAINTEXT + 2048 || (!c->rd.active && len > TLSFLOW_MAX_PLAINTEXT))
        return tf_failf(c, TLSFLOW_E_RECORD_OVERFLOW, "record length %zu exceeds the limit", len);
    if (avail < 5 + len)
        return 0;
    c->in_off += 5 + len;

    uint8_t *p = h + 5;
    size_t n = len;
    if (c->rd.active && unprotect(c, type, h + 5, len, &p, &n))
        return c->error;
    if (n > TLSFLOW_MAX_PLAINTEXT)
        return tf_fail(c, TLSFLOW_E_RECORD_OVERFLOW, "plaintext longer than 2^14 bytes");

    int err;
    switch (type) {
    case TF_CT_ALERT:
        err = tf_handshake_alert(c, p, n);
        break;
    case TF_CT_CCS:
        err = tf_handshake_ccs(c, p, n);
        break;
    case TF_CT_HANDSHAKE:
        err = tf_handshake_bytes(c, p, n);
        break;
    default:
        if (!c->established)
            return tf_fail(c, TLSFLOW_E_UNEXPECTED_MESSAGE,
                           "application data before the handshake finished");
        c->info.records_in++;
        if (n == 0) {
            err = tf_record_idle(c, "an empty application data record");
            break;
        }
        tf_record_progress(c);
        c->app = p;
        c->app_len = n;
        c->info.app_bytes_in += n;
        err = 0;
    }
    return err ? err : 1;
}
