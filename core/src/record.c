/* The record layer (RFC 5246 §6.2, RFC 8446 §5): framing, size limits, AEAD protection
 * with sequence numbers, and the output queue. The suite row says how a nonce is made:
 * AES-GCM in TLS 1.2 (RFC 5288) sends the low 8 bytes of it in each record; ChaCha20-
 * Poly1305 (RFC 7905) and every TLS 1.3 suite send none. A direction in TLS 1.3 mode adds
 * the inner content type and authenticates the record header (RFC 8446 §5.2). */
#include "record.h"

#include <string.h>

#include "handshake.h"
#include "keys.h"
#include "keys13.h"

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
 * 8 bytes: fixed_iv(4) || seq for TLS 1.2 AES-GCM (whose low 8 bytes are then sent, and
 * on receipt taken from the record), iv(12) XOR seq otherwise (RFC 7905, RFC 8446 §5.3).
 * aad = TLS 1.2: seq || type || version || plaintext length (13 bytes);
 *       TLS 1.3: the record header itself (5 bytes). */
static size_t nonce_and_aad(const tf_direction *d, uint8_t type, size_t len, uint8_t nonce[12],
                            uint8_t aad[13])
{
    uint8_t seq[8];
    put_u64(seq, d->seq);
    memset(nonce, 0, 12);
    memcpy(nonce, d->fixed_iv, d->suite->fixed_iv_len);
    for (int i = 0; i < 8; i++)
        nonce[4 + i] ^= seq[i];
    if (d->tls13) {
        put_header(aad, TF_CT_APPDATA, len + 1 + TF_AEAD_TAG); /* len: content only */
        return 5;
    }
    memcpy(aad, seq, 8);
    aad[8] = type;
    aad[9] = 3;
    aad[10] = 3;
    aad[11] = (uint8_t)(len >> 8);
    aad[12] = (uint8_t)len;
    return 13;
}

/* ---- keys and their contexts ---- */

int tf_record_set_keys(tlsflow_conn *c, int write, const tf_suite *s, const uint8_t *key,
                       const uint8_t *iv)
{
    tf_direction *d = write ? &c->wr : &c->rd;
    if (!c->work || s->key_len > sizeof(d->key) || s->fixed_iv_len > sizeof(d->fixed_iv))
        return -1;
    tf_aead *a = &c->work->aead[write ? 1 : 0];
    tf_aead_free(a); /* the old keys' schedule */
    tf_wipe(d->key, sizeof(d->key));
    if (tf_aead_setup(a, s->aead, key, s->key_len)) {
        tf_aead_free(a);
        return -1;
    }
    memcpy(d->key, key, s->key_len);
    memcpy(d->fixed_iv, iv, s->fixed_iv_len);
    d->suite = s;
    d->seq = 0;
    d->active = 1;
    return 0;
}

/* The direction's wolfCrypt context: keyed when its keys were installed, or now, from the
 * direction's key, when the workspace came back after a release. NULL if that fails. */
static tf_aead *direction_aead(tlsflow_conn *c, const tf_direction *d)
{
    tf_aead *a = &c->work->aead[d == &c->wr ? 1 : 0];
    if (!a->ready && tf_aead_setup(a, d->suite->aead, d->key, d->suite->key_len)) {
        tf_aead_free(a);
        return NULL;
    }
    return a;
}

int tf_record_rebuild_contexts(tlsflow_conn *c)
{
    for (int w = 0; w < 2; w++) {
        const tf_direction *d = w ? &c->wr : &c->rd;
        if (d->active && !direction_aead(c, d))
            return -1;
    }
    return 0;
}

void tf_record_drop_contexts(tlsflow_conn *c)
{
    if (!c->work)
        return;
    tf_aead_free(&c->work->aead[0]);
    tf_aead_free(&c->work->aead[1]);
}

size_t tf_record_align_pad(const tf_direction *d)
{
    return d->active ? (16 - ((5 + d->suite->explicit_nonce_len) & 15)) & 15 : 0;
}

/* Bytes a protected record adds: explicit nonce and tag, and in TLS 1.3 the inner type. */
static size_t overhead(const tf_direction *d)
{
    return d->active ? tf_suite_record_overhead(d->suite) + (d->tls13 ? 1 : 0) : 0;
}

size_t tf_record_room(tlsflow_conn *c)
{
    /* Reclaim what the caller took, but never for the few bytes of alignment. */
    if (c->out_off > 15 && c->out_off + c->out_len > TF_OUT_CAP / 2) {
        memmove(c->out, c->out + c->out_off, c->out_len);
        c->out_off = 0;
    }
    size_t used = c->out_off + c->out_len;
    size_t extra = 5 + overhead(&c->wr);
    if (used + extra >= TF_OUT_CAP)
        return 0;
    size_t room = TF_OUT_CAP - used - extra;
    size_t max = TLSFLOW_MAX_PLAINTEXT;
    if (c->peer_record_limit && c->wr.active && c->peer_record_limit < max)
        max = c->peer_record_limit; /* RFC 8449: what the peer can take */
    return room > max ? max : room;
}

int tf_record_write(tlsflow_conn *c, uint8_t type, const uint8_t *data, size_t len)
{
    if (len > tf_record_room(c))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "record does not fit the output buffer");
    uint8_t *h = c->out + c->out_off + c->out_len;
    /* TLS 1.3 sends ChangeCipherSpec in the clear, whatever the keys. */
    if (!c->wr.active || (c->wr.tls13 && type == TF_CT_CCS)) {
        put_header(h, type, len);
        memmove(h + 5, data, len);
        c->out_len += 5 + len;
        tf_note_high_water(&c->work->out_hw, c->out_off + c->out_len);
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
    size_t aad_len = nonce_and_aad(d, type, len, nonce, aad);
    uint8_t *body = h + 5 + ex;
    /* TLS 1.3: TLSInnerPlaintext, content || type, no padding; sealed as it is read, so
     * the content is not copied first (it may come from anywhere but the body). */
    size_t n = d->tls13 ? len + 1 : len;
    put_header(h, d->tls13 ? TF_CT_APPDATA : type, ex + n + TF_AEAD_TAG);
    memcpy(h + 5, nonce + 12 - ex, ex);
    tf_aead *a = direction_aead(c, d);
    uintptr_t from = (uintptr_t)data, to = (uintptr_t)body;
    if (d->tls13 && len && from + len > to && to + n > from) {
        memmove(body, data, len); /* overlapping: in place instead */
        data = body;
    }
    if (!a || (d->tls13 ? tf_aead_seal_plus(a, nonce, aad, aad_len, data, len, type, body, body + n)
                        : tf_aead_seal(a, nonce, aad, aad_len, data, n, body, body + n)))
        return tf_fail(c, TLSFLOW_E_INTERNAL, "record encryption failed");
    d->seq++;
    c->out_len += 5 + ex + n + TF_AEAD_TAG;
    tf_note_high_water(&c->work->out_hw, c->out_off + c->out_len);
    return 0;
}

int tf_record_mark(tlsflow_conn *c, int kind)
{
    if (c->n_marks == TF_MAX_MARKS)
        return tf_fail(c, TLSFLOW_E_INTERNAL, "too many key changes queued");
    c->work->marks[c->n_marks].at = c->hs_out_len;
    c->work->marks[c->n_marks++].kind = (uint8_t)kind;
    return 0;
}

/* Carry out the first mark: a ChangeCipherSpec record, new write keys, or both. Returns 0,
 * 1 when the output has no room yet, or the error. */
static int do_mark(tlsflow_conn *c)
{
    static const uint8_t ccs = 1;
    int kind = c->work->marks[0].kind, err = 0;
    if ((kind == TF_MARK_CCS_KEYS || kind == TF_MARK_CCS) && tf_record_room(c) < 1)
        return 1;
    if (kind == TF_MARK_CCS_KEYS || kind == TF_MARK_CCS)
        err = tf_record_write(c, TF_CT_CCS, &ccs, 1);
    if (!err && kind == TF_MARK_CCS_KEYS && tf_keys_activate(c, 1))
        err = tf_fail(c, TLSFLOW_E_INTERNAL, "could not install the write keys");
    if (!err && kind == TF_MARK_KEYS_HS &&
        tf13_install(c, 1, c->role == TLSFLOW_CLIENT ? c->hs->c_hs : c->hs->s_hs))
        err = tf_fail(c, TLSFLOW_E_INTERNAL, "could not install the handshake write keys");
    if (!err && kind == TF_MARK_KEYS_AP &&
        tf13_install(c, 1, c->role == TLSFLOW_CLIENT ? c->hs->c_ap : c->hs->s_ap))
        err = tf_fail(c, TLSFLOW_E_INTERNAL, "could not install the application write keys");
    if (!err && kind == TF_MARK_KEYS_UPDATE) {
        c->key_update_pending = 0;
        if (tf13_update(c, 1))
            err = tf_fail(c, TLSFLOW_E_INTERNAL, "could not update the write keys");
    }
    if (kind == TF_MARK_KEYS_AP) /* installed: the copy is spent */
        tf_wipe(c->role == TLSFLOW_CLIENT ? c->hs->c_ap : c->hs->s_ap, TF_MAX_HASH);
    if (err) /* tf_fail dropped every queued mark with the handshake bytes */
        return err;
    memmove(c->work->marks, c->work->marks + 1, --c->n_marks * sizeof(c->work->marks[0]));
    return err;
}

/* Queue the pending alert, if any. 1 when the output has no room for it yet. */
static int flush_alert(tlsflow_conn *c)
{
    while (c->pending_alert >= 0) {
        if (tf_record_room(c) < 2)
            return 1;
        uint8_t alert[2] = {(uint8_t)(c->pending_alert_fatal ? 2 : 1), (uint8_t)c->pending_alert};
        c->pending_alert = -1;
        /* Not sent: the failure queued internal_error in its place, once (errors stick). */
        if (tf_record_write(c, TF_CT_ALERT, alert, 2) != 0)
            continue;
        c->sent_alert = alert[1];
        tf_tracef(c, TLSFLOW_STEP_ALERT_SENT, "sent %s alert %s (%d)",
                  alert[0] == 2 ? "fatal" : "warning", tlsflow_alert_name(alert[1]), alert[1]);
    }
    return 0;
}

/* Queue what is pending, in order: an alert, then handshake bytes with our marks at their
 * places among them. Stops when the output buffer is full. A failure on the way queues its
 * alert at once: an engine with an error and nothing to send reports itself closed. */
void tf_record_flush(tlsflow_conn *c)
{
    if (flush_alert(c))
        return;
    while (!c->error && (c->hs_out_off < c->hs_out_len || c->n_marks)) {
        if (c->n_marks && c->work->marks[0].at == c->hs_out_off) {
            if (do_mark(c))
                break;
            continue;
        }
        size_t end = c->n_marks ? c->work->marks[0].at : c->hs_out_len;
        size_t want = end - c->hs_out_off, room = tf_record_room(c);
        if (want > TLSFLOW_MAX_PLAINTEXT)
            want = TLSFLOW_MAX_PLAINTEXT;
        if (c->peer_record_limit && c->wr.active && want > c->peer_record_limit)
            want = c->peer_record_limit;
        /* Wait for a drain rather than cut a flight into slivers. */
        if (room < want && (c->out_len || room == 0))
            return;
        if (want > room)
            want = room;
        if (tf_record_write(c, TF_CT_HANDSHAKE, c->hs_out + c->hs_out_off, want))
            break;
        c->hs_out_off += want;
    }
    if (c->error) {
        flush_alert(c);
        return;
    }
    if (c->hs_out_off == c->hs_out_len && !c->n_marks)
        c->hs_out_off = c->hs_out_len = 0;
}

/* Remove protection in place; on success *plain points at the plaintext and *type holds
 * the content type (TLS 1.3: the inner one). */
static int unprotect(tlsflow_conn *c, uint8_t *type, uint8_t *payload, size_t len, uint8_t **plain,
                     size_t *plain_len)
{
    tf_direction *d = &c->rd;
    /* TLS 1.2: before the handshake ends, the only protected record is the peer's Finished:
     * a wrong premaster shows up here, and must look exactly like a wrong Finished. */
    int err = c->established || d->tls13 ? TLSFLOW_E_BAD_RECORD_MAC : TLSFLOW_E_BAD_FINISHED;
    size_t ex = d->suite->explicit_nonce_len;
    if (d->tls13 && *type != TF_CT_APPDATA)
        return tf_failf(c, TLSFLOW_E_UNEXPECTED_MESSAGE,
                        "a record of type %u where only protected records may come", *type);
    if (len < ex + TF_AEAD_TAG + (d->tls13 ? 1 : 0))
        return tf_fail(c, err, "protected record shorter than nonce and tag");
    if (d->seq == UINT64_MAX)
        return tf_fail(c, TLSFLOW_E_INTERNAL, "read sequence number exhausted");
    size_t n = len - ex - TF_AEAD_TAG;
    uint8_t nonce[12], aad[13];
    size_t aad_len = nonce_and_aad(d, *type, d->tls13 ? n - 1 : n, nonce, aad);
    memcpy(nonce + 12 - ex, payload, ex); /* the sender's explicit nonce, if any */
    uint8_t *ct = payload + ex;
    tf_aead *a = direction_aead(c, d);
    if (!a)
        return tf_fail(c, TLSFLOW_E_INTERNAL, "could not key the record decryption");
    if (tf_aead_open(a, nonce, aad, aad_len, ct, n, ct + n, ct))
        return tf_fail(c, err,
                       err == TLSFLOW_E_BAD_FINISHED
                           ? "the peer's Finished record did not decrypt (wrong keys)"
                           : "record failed authentication (bad_record_mac)");
    d->seq++;
    if (d->tls13) { /* strip the zero padding; the last non-zero byte is the type */
        while (n && ct[n - 1] == 0)
            n--;
        if (n == 0)
            return tf_fail(c, TLSFLOW_E_UNEXPECTED_MESSAGE,
                           "protected record without a content type (all padding)");
        *type = ct[--n];
    }
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
    /* TLS 1.3 lets a ChangeCipherSpec and (before the handshake ends) an alert come in the
     * clear after the keys changed: a peer may fail before it has ours. */
    int clear = !c->rd.active ||
                (c->rd.tls13 && (type == TF_CT_CCS || (type == TF_CT_ALERT && !c->established)));
    size_t max = clear ? TLSFLOW_MAX_PLAINTEXT : TLSFLOW_MAX_PLAINTEXT + (c->rd.tls13 ? 256 : 2048);
    if (len > max)
        return tf_failf(c, TLSFLOW_E_RECORD_OVERFLOW, "record length %zu exceeds the limit", len);
    if (avail < 5 + len)
        return 0;
    c->in_off += 5 + len;

    uint8_t *p = h + 5;
    size_t n = len;
    if (!clear && unprotect(c, &type, h + 5, len, &p, &n))
        return c->error;
    if (!clear && c->rd.tls13 && type == TF_CT_CCS) /* RFC 8446 §5: only in the clear */
        return tf_fail(c, TLSFLOW_E_UNEXPECTED_MESSAGE, "protected ChangeCipherSpec record");
    if (n > TLSFLOW_MAX_PLAINTEXT)
        return tf_fail(c, TLSFLOW_E_RECORD_OVERFLOW, "plaintext longer than 2^14 bytes");
    if (!clear && c->own_record_limit && n > c->own_record_limit)
        return tf_failf(c, TLSFLOW_E_RECORD_OVERFLOW,
                        "plaintext of %zu bytes over our record_size_limit", n);

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
        if (c->hs && c->hs_in_len)
            return tf_fail(c, TLSFLOW_E_UNEXPECTED_MESSAGE,
                           "application data inside a fragmented handshake message");
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
