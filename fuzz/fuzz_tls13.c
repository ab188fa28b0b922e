/* fuzz_tls13: the TLS 1.3 messages behind encryption. Our client or our server (the
 * target) runs a real handshake against our other role (the peer, tff_*_config13) and is
 * stopped after `depth` messages of the peer; then the input's items reach it as the peer
 * would send them: sealed with the keys the target reads with now (tf13_install on a
 * connection of the peer's configuration, tf_record_write, the target's read sequence
 * number), or in the clear where the target still reads plaintext. So EncryptedExtensions,
 * CertificateRequest, Certificate (both roles, entry extensions), CertificateVerify (both
 * roles), Finished, NewSessionTicket and KeyUpdate are parsed for real, as are
 * HelloRetryRequest, ServerHello and the second ClientHello in the clear.
 *
 * The peer's own messages come from its records: those in the clear as they are, the
 * protected ones opened with the secrets of its key log (tff_keylog13). The first `depth`
 * handshake messages go to the target one record each (with any dummy ChangeCipherSpec
 * among them); the rest stay queued for item kind 4.
 *
 * Byte 0: bit 0 target is the server (else the client); bit 1 HelloRetryRequest (the
 * client's first share is of no use); bits 2-3 the server asks for a certificate and the
 * client has none (1) or has one (2), or the client resumes with a ticket of an earlier
 * handshake (3); bit 4 TFF13_ALT (TLS_AES_256_GCM_SHA384, ECDSA server key, ALPN,
 * record_size_limit, RSA client key); bits 5-7 depth: how many handshake messages of the
 * peer the target has taken (the count stops where the peer has nothing more to send).
 * Then items until the input ends: [h][u16 length][payload], h:
 *   bits 0-2 kind: 0 handshake bytes (whole messages or any piece of the stream),
 *            1 ChangeCipherSpec, 2 alert, 3 application data, 4 the peer's next real
 *            message (after dropping as many as the payload's first byte says, so that
 *            one the input replaced is not sent again), 5 the Finished the target would
 *            accept now (payload ignored), 6 a CertificateVerify over the target's
 *            transcript signed with the peer's key (payload: a u16 scheme, else the
 *            key's usual one), 7 the payload as raw bytes into the target's input (no
 *            record around it); kinds 5 and 6 send what was gathered first, so that
 *            they cover it;
 *   bit 3 in the clear, even where the target reads protected records;
 *   bit 4 kind 0: put a handshake header before the payload, of the type the target
 *         expects next (after the handshake: NewSessionTicket to a client, KeyUpdate to
 *         a server); bit 5 with it: the type is the payload's first byte instead;
 *         other kinds, when sealed: a zero byte of padding after the inner content type
 *         (RFC 8446 §5.4), so a ChangeCipherSpec goes protected (which §5 forbids);
 *   bit 6 in the same record as the previous item (same content type, up to 64 KiB);
 *   bit 7 flip the top bit of the record's last byte (the AEAD tag when sealed).
 * A record of more than 2^14 bytes goes as several. After a KeyUpdate the target takes,
 * the next record is sealed with its next keys, since they are the ones it reads with.
 *
 * Checked, beyond tff_check on every poll of both sides: the run ends (bounded); the
 * peer's real messages are accepted on the way to `depth`; an error closes the target
 * with the alert of that error; the target holds exactly the bytes of the incomplete
 * handshake message the harness gave it; an accepted handshake message moves the
 * handshake on (sequence step or established); the handshake ends only after the target
 * took a Finished and, from a server not resuming or a client that sent a certificate, a
 * CertificateVerify; an accepted dummy ChangeCipherSpec is counted; after the handshake an accepted
 * KeyUpdate changes the read keys and, when it asks for one, the write keys (the target's KeyUpdate
 * went out); an accepted NewSessionTicket with a lifetime is the client's session to export, with
 * its ticket, lifetime and age_add.
 *
 * Seeds: `fuzz_tls13 --write-seeds DIR` (a fuzzing build) writes, for every byte 0 whose
 * depth is reached, the rest of the real conversation from there: the peer's messages as
 * kind 0 and 1 items, the next one first (its name is in the file's). Also as forms:
 * "-body" that message after a kind 0 header, "-made" every Finished and CertificateVerify
 * as kinds 5 and 6, "-ext" that and the first message with one more extension (a cookie
 * in HelloRetryRequest, early_data in ClientHello and NewSessionTicket, supported_groups
 * in EncryptedExtensions, signature_algorithms_cert in CertificateRequest, an OCSP
 * status_request in the first Certificate entry). Where the peer has nothing more to say
 * after the handshake: KeyUpdate (both values), and to a client a NewSessionTicket with
 * early_data. corpus/SOURCES names them "generated-<file>". DIR/peer/<byte 0>.rec holds
 * the client's ClientHello record for each depth 0 client configuration:
 * fuzz/tls13_peer_seeds.py turns real servers' answers to it into seeds.
 * TLSFLOW_TLS13_VERBOSE=1 prints a line per record the target gets and what it made of it. */
#define _POSIX_C_SOURCE 200809L

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"
#include "handshake.h"
#include "keys.h"
#include "keys13.h"
#include "msg.h"
#include "record.h"
#include "sigalg.h"
#include "tf_test.h"

#define BUF_CAP  (160 * 1024)
#define PEND_CAP (64 * 1024 + 8)

enum { MODE_NONE, MODE_AUTH, MODE_CERT, MODE_RESUME };
enum { K_HANDSHAKE, K_CCS, K_ALERT, K_APPDATA, K_GENUINE, K_FINISHED, K_CERT_VERIFY, K_RAW };
enum { F_CLEAR = 8, F_HEADER = 16, F_HEADER_TYPE = 32, F_SAME_RECORD = 64, F_TAMPER = 128 };

/* A record being gathered from items. */
typedef struct {
    int used;
    uint8_t type;
    int clear, padded, tamper;
    size_t len;
} pending;

/* What the handshake messages completed by one record were. */
typedef struct {
    int n, hello_requests, key_update, update_requested, cert_verify, finished;
    size_t ticket_len; /* the last NewSessionTicket body, in ticket[] */
    uint8_t ticket[PEND_CAP];
} completed;

/* The target before a record, for what must have changed after it. */
typedef struct {
    const uint8_t *flow;
    size_t step;
    int established, ccs_seen, key_update_pending, rd_sealed;
    uint8_t rd[sizeof(((tf_direction *)0)->secret)], wr[sizeof(((tf_direction *)0)->secret)];
} snapshot;

typedef struct {
    tlsflow_conn *t, *p, *s; /* target, peer, sealer (the peer's configuration) */
    tff_watch tw, pw;
    size_t t2p_len; /* the target's bytes the peer has not had */
    size_t raw_len; /* the peer's output not yet cut into records */
    size_t hs_len;  /* the peer's handshake stream not yet cut into messages */
    int p_app;      /* the peer's records are now under its application secret */
    uint64_t p_seq; /* ... and the sequence number of its next one */
    size_t q_off, q_len;
    size_t acc_len;          /* the incomplete message the target holds (as far as we know) */
    int synced;              /* 0 once raw bytes went in: acc_len means nothing then */
    int cv_taken, fin_taken; /* the target took a CertificateVerify, a Finished */
    pending pend;
} world;

static world W;
/* Buffers of the one world (inputs run one at a time). */
static uint8_t t2p[BUF_CAP], raw[BUF_CAP], p_hs[BUF_CAP], queue[BUF_CAP], acc[BUF_CAP];
static uint8_t pend_data[PEND_CAP], item[PEND_CAP], rec[TLSFLOW_MAX_RECORD + 64];
static completed done;

static size_t u24(const uint8_t *p)
{
    return ((size_t)p[0] << 16) | ((size_t)p[1] << 8) | p[2];
}

static void put_u24(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 16);
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)v;
}

/* ---- the peer: its real messages ----------------------------------------------------- */

static void queue_push(world *w, uint8_t type, const uint8_t *p, size_t n)
{
    if (w->q_off == w->q_len)
        w->q_off = w->q_len = 0;
    if (w->q_len + 4 + n > sizeof(queue))
        return;
    queue[w->q_len] = type;
    put_u24(queue + w->q_len + 1, n);
    memcpy(queue + w->q_len + 4, p, n);
    w->q_len += 4 + n;
}

/* Open one of the peer's protected records in place with the secret its key log names for
 * it (RFC 8446 §5.2, §5.3); the inner content type, or -1. */
static int peer_open(world *w, uint8_t *r, size_t len, size_t *n)
{
    static const char *const labels[2][2] = {
        {"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0"},
        {"SERVER_HANDSHAKE_TRAFFIC_SECRET", "SERVER_TRAFFIC_SECRET_0"}};
    const tf_suite *s = w->p->suite;
    int server = tlsflow_conn_role(w->p) == TLSFLOW_SERVER;
    uint8_t secret[TF_MAX_HASH], key[32], iv[12];
    if (!s || !TF_SUITE_IS_TLS13(s) || len < 5 + TF_AEAD_TAG + 1 ||
        tff_keylog13(tlsflow_conn_role(w->p), labels[server][w->p_app], secret, sizeof(secret)) !=
            tf_hash_len(s->prf_hash) ||
        tf13_traffic_key(s->prf_hash, secret, key, s->key_len, iv))
        return -1;
    for (int i = 0; i < 8; i++)
        iv[4 + i] ^= (uint8_t)(w->p_seq >> (56 - 8 * i));
    w->p_seq++;
    size_t ct = len - 5 - TF_AEAD_TAG;
    tf_aead a;
    memset(&a, 0, sizeof(a));
    int bad = tf_aead_setup(&a, s->aead, key, s->key_len) ||
              tf_aead_open(&a, iv, r, 5, r + 5, ct, r + 5 + ct, r + 5);
    tf_aead_free(&a);
    while (!bad && ct && r[5 + ct - 1] == 0)
        ct--;
    if (bad || !ct)
        return -1;
    *n = ct - 1;
    return r[5 + ct - 1];
}

/* One record of the peer: its handshake messages and dummy ChangeCipherSpecs queued. */
static void peer_record(world *w, uint8_t *r, size_t len)
{
    uint8_t type = r[0];
    size_t n = len - 5;
    int prot = type == TF_CT_APPDATA;
    if (prot) {
        int inner = peer_open(w, r, len, &n);
        if (inner < 0)
            return;
        type = (uint8_t)inner;
    }
    if (type == TF_CT_CCS)
        queue_push(w, TF_CT_CCS, r + 5, n);
    if (type != TF_CT_HANDSHAKE || w->hs_len + n > sizeof(p_hs))
        return;
    memcpy(p_hs + w->hs_len, r + 5, n);
    w->hs_len += n;
    size_t off = 0;
    while (w->hs_len - off >= 4 && w->hs_len - off >= 4 + u24(p_hs + off + 1)) {
        size_t m = 4 + u24(p_hs + off + 1);
        queue_push(w, TF_CT_HANDSHAKE, p_hs + off, m);
        if (prot && p_hs[off] == TF_HS_FINISHED) { /* its next records: application keys */
            w->p_app = 1;
            w->p_seq = 0;
        }
        off += m;
    }
    memmove(p_hs, p_hs + off, w->hs_len - off);
    w->hs_len -= off;
}

static void peer_sent(void *ctx, const uint8_t *p, size_t n)
{
    world *w = ctx;
    if (w->raw_len + n > sizeof(raw))
        return;
    memcpy(raw + w->raw_len, p, n);
    w->raw_len += n;
    size_t rl;
    while ((rl = tff_record_len(raw, w->raw_len)) != 0) {
        peer_record(w, raw, rl);
        memmove(raw, raw + rl, w->raw_len - rl);
        w->raw_len -= rl;
    }
}

static void target_sent(void *ctx, const uint8_t *p, size_t n)
{
    world *w = ctx;
    if (w->t2p_len + n <= sizeof(t2p)) {
        memcpy(t2p + w->t2p_len, p, n);
        w->t2p_len += n;
    }
}

/* The peer's next real message (handshake or dummy ChangeCipherSpec): one it has sent
 * already, else one it sends once it has everything the target sent. 0: nothing more. */
static int genuine(world *w, uint8_t *type, const uint8_t **p, size_t *n)
{
    if (w->q_off == w->q_len) {
        tff_drive_opts o;
        tff_drive_opts_from_bits(0, &o);
        o.on_sent = peer_sent;
        o.sent_ctx = w;
        tff_drive_watched(w->p, t2p, w->t2p_len, &o, &w->pw);
        w->t2p_len = 0;
    }
    if (w->q_off == w->q_len)
        return 0;
    *type = queue[w->q_off];
    *n = u24(queue + w->q_off + 1);
    *p = queue + w->q_off + 4;
    w->q_off += 4 + *n;
    return 1;
}

/* ---- records to the target ----------------------------------------------------------- */

/* The record the peer would send: protected with the keys the target reads with now and
 * its sequence number, through the record layer of a connection of the peer's
 * configuration; padded: the content type goes inside with a zero byte after it. Returns
 * its length. */
static size_t seal(world *w, uint8_t type, const uint8_t *p, size_t n, int padded)
{
    const tf_direction *rd = &w->t->rd;
    if (!w->s) {
        w->s = tlsflow_conn_new(w->p->cfg);
        TFF_CHECK(w->s != NULL);
    }
    tlsflow_conn *s = w->s;
    size_t hash_len = tf_hash_len(rd->suite->prf_hash);
    if (!s->wr.active || s->wr.suite != rd->suite || memcmp(s->wr.secret, rd->secret, hash_len)) {
        s->suite = rd->suite;
        TFF_CHECK(tf13_install(s, 1, rd->secret) == 0);
    }
    s->wr.seq = rd->seq;
    if (padded) { /* TLSInnerPlaintext: content, type, zeros; the record layer adds a zero */
        static uint8_t inner[TLSFLOW_MAX_PLAINTEXT + 1];
        memcpy(inner, p, n);
        inner[n++] = type;
        p = inner;
        type = 0;
    }
    TFF_CHECK(tf_record_write(s, type, p, n) == 0);
    size_t len;
    const uint8_t *out = tlsflow_out_buf(s, &len);
    TFF_CHECK(len <= sizeof(rec));
    memcpy(rec, out, len);
    tlsflow_out_ack(s, len);
    return len;
}

/* Give the target bytes and run it until it waits or closes. */
static void feed_target(world *w, const uint8_t *p, size_t n)
{
    tff_drive_opts o;
    tff_drive_opts_from_bits(0, &o);
    o.on_sent = target_sent;
    o.sent_ctx = w;
    tff_drive_watched(w->t, p, n, &o, &w->tw);
}

/* A record (or several, 2^14 bytes each) from the peer to the target. */
static void to_target(world *w, const pending *r, const uint8_t *p, size_t n)
{
    size_t off = 0, max = TLSFLOW_MAX_PLAINTEXT - (r->padded ? 1 : 0);
    uint8_t type = r->type;
    do {
        size_t k = n - off > max ? max : n - off, len;
        const tf_direction *rd = &w->t->rd;
        if (r->clear || !rd->active || !rd->tls13) {
            rec[0] = type;
            rec[1] = rec[2] = 3;
            rec[3] = (uint8_t)(k >> 8);
            rec[4] = (uint8_t)k;
            memcpy(rec + 5, p + off, k);
            len = 5 + k;
        } else {
            len = seal(w, type, p + off, k, r->padded);
        }
        if (r->tamper && len > 5)
            rec[len - 1] ^= 0x80;
        feed_target(w, rec, len);
        off += k;
    } while (off < n && !w->tw.closed);
}

/* ---- what the target must show for a record ------------------------------------------ */

static void snap(const tlsflow_conn *c, snapshot *s)
{
    s->flow = c->hs->flow;
    s->step = c->hs->step;
    s->established = c->established;
    s->ccs_seen = c->hs->ccs_seen;
    s->key_update_pending = c->key_update_pending;
    s->rd_sealed = c->rd.active && c->rd.tls13;
    memcpy(s->rd, c->rd.secret, sizeof(s->rd));
    memcpy(s->wr, c->wr.secret, sizeof(s->wr));
}

/* Follow the target's handshake stream: the messages a record completes. */
static void track(world *w, const uint8_t *p, size_t n)
{
    memset(&done, 0, offsetof(completed, ticket));
    if (!w->synced)
        return;
    if (w->acc_len + n > sizeof(acc)) {
        w->synced = 0;
        return;
    }
    memcpy(acc + w->acc_len, p, n);
    w->acc_len += n;
    size_t off = 0;
    while (w->acc_len - off >= 4 && w->acc_len - off >= 4 + u24(acc + off + 1)) {
        const uint8_t *m = acc + off;
        size_t body = u24(m + 1);
        done.n++;
        done.hello_requests += m[0] == TF_HS_HELLO_REQUEST;
        done.cert_verify += m[0] == TF_HS_CERTIFICATE_VERIFY;
        done.finished += m[0] == TF_HS_FINISHED;
        if (m[0] == TF_HS_KEY_UPDATE) {
            done.key_update = 1;
            done.update_requested = body == 1 && m[4] == 1;
        }
        if (m[0] == TF_HS_NEW_SESSION_TICKET && body <= sizeof(done.ticket)) {
            memcpy(done.ticket, m + 4, body);
            done.ticket_len = body;
        }
        off += 4 + body;
    }
    memmove(acc, acc + off, w->acc_len - off);
    w->acc_len -= off;
}

/* An accepted NewSessionTicket with a lifetime is the session the client now exports. */
static void check_ticket(const tlsflow_conn *c)
{
    tf_new_session_ticket t;
    tf_session s;
    const char *why = NULL;
    TFF_CHECK(tf_new_session_ticket_parse(done.ticket, done.ticket_len, &t, &why) == 0);
    if (!t.lifetime || t.ticket.len > TF_MAX_TICKET)
        return; /* RFC 8446 §4.6.1: not to be used; or more than we keep */
    static uint8_t sess[TF_MAX_SESSION];
    size_t len;
    TFF_CHECK(tlsflow_session_export(c, sess, sizeof(sess), &len) == 0 && len > 4);
    tf_reader r = tf_reader_init(sess + 4, len - 4);
    TFF_CHECK(tf_session_read(&r, &s, 1) == 0);
    TFF_CHECK(s.lifetime == t.lifetime && s.age_add == t.age_add);
    TFF_CHECK(s.ticket.len == t.ticket.len && !memcmp(s.ticket.p, t.ticket.p, t.ticket.len));
}

static void check(world *w, uint8_t type, const snapshot *b)
{
    const tlsflow_conn *c = w->t;
    if (tlsflow_last_error(c)) {
        TFF_CHECK(w->tw.closed); /* ... and tff_check saw the alert of the error go out */
        return;
    }
    if (c->in_len != c->in_off)
        return; /* a record still incomplete (a header whose length was flipped) */
    if (type == TF_CT_CCS && !b->established)
        TFF_CHECK(c->hs->ccs_seen > b->ccs_seen || c->hs->step != b->step);
    if (!w->synced || type != TF_CT_HANDSHAKE)
        return;
    TFF_CHECK(c->hs_in_len == w->acc_len);
    w->cv_taken |= done.cert_verify > 0;
    w->fin_taken |= done.finished > 0;
    if (!b->established && c->established && c->version == TF_TLS13) {
        /* The peer proved the handshake (RFC 8446 §4.4.4) and, with a certificate, its key
         * (§4.4.3): no way to the end around either. */
        TFF_CHECK(w->fin_taken);
        if (c->role == TLSFLOW_CLIENT ? !c->info.resumed : c->info.client_cert_sent)
            TFF_CHECK(w->cv_taken);
    }
    if (!b->established) {
        if (done.n > done.hello_requests) /* a HelloRequest before TLS 1.3 is chosen: ignored */
            TFF_CHECK(c->hs->step != b->step || c->hs->flow != b->flow || c->established);
        return;
    }
    if (c->version != TF_TLS13)
        return;
    if (done.key_update) {
        TFF_CHECK(memcmp(c->rd.secret, b->rd, sizeof(b->rd)) != 0);
        if (done.update_requested && !b->key_update_pending)
            TFF_CHECK(memcmp(c->wr.secret, b->wr, sizeof(b->wr)) != 0);
    }
    if (done.ticket_len && c->role == TLSFLOW_CLIENT)
        check_ticket(c);
}

/* TLSFLOW_TLS13_VERBOSE=1: a line per record the target gets, and what it made of it. */
static void trace(const world *w, const pending *r, const snapshot *b)
{
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("TLSFLOW_TLS13_VERBOSE") != NULL;
    if (!verbose)
        return;
    const tlsflow_conn *c = w->t;
    fprintf(stderr, "tls13: %s record type %u, %zu bytes (%s%s%s): step %zu -> %zu%s, %s%s%s\n",
            c->role == TLSFLOW_CLIENT ? "client" : "server", r->type, r->len,
            r->clear || !b->rd_sealed || (r->type == TF_CT_CCS && !r->padded) ? "clear" : "sealed",
            r->padded ? ", padded" : "", r->tamper ? ", tampered" : "", b->step, c->hs->step,
            c->established ? ", established" : "", tlsflow_error_name(tlsflow_last_error(c)),
            tlsflow_last_error(c) ? ": " : "",
            tlsflow_last_error(c) ? tlsflow_last_error_text(c) : "");
}

/* Send the gathered record and check what it did. */
static void flush(world *w)
{
    pending *r = &w->pend;
    if (!r->used || w->tw.closed)
        return;
    r->used = 0;
    snapshot before;
    snap(w->t, &before);
    if (r->tamper)
        w->synced = 0; /* in the clear, the target takes other bytes than these */
    if (r->type == TF_CT_HANDSHAKE)
        track(w, pend_data, r->len);
    to_target(w, r, pend_data, r->len);
    trace(w, r, &before);
    check(w, r->type, &before);
}

/* Add to the record being gathered, or send that one and start another. */
static void gather(world *w, uint8_t type, const uint8_t *p, size_t n, unsigned flags)
{
    pending *r = &w->pend;
    int clear = (flags & F_CLEAR) != 0, tamper = (flags & F_TAMPER) != 0;
    int padded = (flags & 7) != K_HANDSHAKE && (flags & F_HEADER) != 0;
    if (!(flags & F_SAME_RECORD) || !r->used || r->type != type || r->clear != clear ||
        r->padded != padded || r->len + n > sizeof(pend_data)) {
        flush(w);
        r->used = 1;
        r->type = type;
        r->clear = clear;
        r->padded = padded;
        r->tamper = 0;
        r->len = 0;
    }
    if (n > sizeof(pend_data) - r->len)
        n = sizeof(pend_data) - r->len;
    memcpy(pend_data + r->len, p, n);
    r->len += n;
    r->tamper |= tamper;
}

/* ---- messages the harness makes ------------------------------------------------------ */

/* The Finished the target would accept now (RFC 8446 §4.4.4), 0 if it has no keys. */
static size_t valid_finished(const tlsflow_conn *c, uint8_t *out)
{
    const tf_handshake *hs = c->hs;
    uint8_t hash[TF_MAX_HASH];
    if (c->established || !hs->suite || !c->rd.active || !c->rd.tls13 ||
        !tf_transcript_hash(c, hash))
        return 0;
    tf_hash_alg alg = hs->suite->prf_hash;
    size_t n = tf_hash_len(alg);
    out[0] = TF_HS_FINISHED;
    put_u24(out + 1, n);
    TFF_CHECK(tf13_finished(alg, c->role == TLSFLOW_CLIENT ? hs->s_hs : hs->c_hs, hash, out + 4) ==
              0);
    return 4 + n;
}

/* A CertificateVerify (RFC 8446 §4.4.3) over the target's transcript now, signed with the
 * peer's key for the certificate the target has (else its first), with `want` if that
 * key can make it, else the key's usual scheme. 0 if the peer has no key. */
static size_t valid_certificate_verify(const world *w, const uint8_t *want, size_t want_len,
                                       uint8_t *out)
{
    static tf_drbg blind;
    const tlsflow_conn *c = w->t;
    const tlsflow_config *pc = w->p->cfg;
    uint8_t hash[TF_MAX_HASH], content[TF13_MAX_CV_CONTENT];
    if (c->established || !c->hs->suite || !pc->n_creds || !tf_transcript_hash(c, hash))
        return 0;
    const tf_credential *cr = &pc->creds[0];
    size_t leaf_len = 0;
    const uint8_t *leaf = tlsflow_peer_cert(c, 0, &leaf_len);
    for (size_t i = 0; leaf && i < pc->n_creds; i++)
        if (tf_private_key_matches(pc->creds[i].key, leaf, leaf_len))
            cr = &pc->creds[i];
    tf_key_type kt = tf_private_key_type(cr->key);
    uint16_t group = tf_private_key_group(cr->key);
    const tf_sig_scheme *s =
        want_len >= 2 ? tf_sig_scheme_find((uint16_t)(want[0] << 8 | want[1])) : NULL;
    if (!s || s->key != kt)
        s = tf_sig_scheme_find(kt == TF_KEY_RSA ? TLSFLOW_SIG_RSA_PSS_RSAE_SHA256
                               : group == TLSFLOW_GROUP_SECP384R1
                                   ? TLSFLOW_SIG_ECDSA_SECP384R1_SHA384
                                   : TLSFLOW_SIG_ECDSA_SECP256R1_SHA256);
    size_t n = tf13_cv_content(c, c->role == TLSFLOW_CLIENT, hash, content), sig_len;
    if (tf_sign(cr->key, s->alg, s->hash, content, n, out + 8, TF_MAX_SIGNATURE, &sig_len,
                pc->random, pc->random_ctx, &blind))
        return 0;
    out[0] = TF_HS_CERTIFICATE_VERIFY;
    put_u24(out + 1, 4 + sig_len);
    out[4] = (uint8_t)(s->id >> 8);
    out[5] = (uint8_t)s->id;
    out[6] = (uint8_t)(sig_len >> 8);
    out[7] = (uint8_t)sig_len;
    return 8 + sig_len;
}

/* The handshake type the target expects from its peer now. */
static uint8_t expected_type(const tlsflow_conn *c)
{
    if (c->established)
        return c->role == TLSFLOW_CLIENT ? TF_HS_NEW_SESSION_TICKET : TF_HS_KEY_UPDATE;
    return tf_msg_table(tf_handshake_next(c))->hs_type;
}

/* One item of the input. */
static void run_item(world *w, tff_input *in)
{
    uint8_t h = tff_u8(in), type = TF_CT_HANDSHAKE;
    uint16_t want = tff_u16(in);
    const uint8_t *p;
    size_t n = tff_take(in, want, &p);
    switch (h & 7) {
    case K_HANDSHAKE:
        if (h & F_HEADER) {
            size_t skip = (h & F_HEADER_TYPE) && n ? 1 : 0;
            item[0] = skip ? p[0] : expected_type(w->t);
            put_u24(item + 1, n - skip);
            memcpy(item + 4, p + skip, n - skip);
            p = item;
            n = 4 + n - skip;
        }
        break;
    case K_CCS:
        type = TF_CT_CCS;
        break;
    case K_ALERT:
        type = TF_CT_ALERT;
        break;
    case K_APPDATA:
        type = TF_CT_APPDATA;
        break;
    case K_GENUINE:
        for (size_t skip = n ? p[0] : 0; skip && genuine(w, &type, &p, &n); skip--) {
        }
        if (!genuine(w, &type, &p, &n) || n > sizeof(item))
            return;
        memcpy(item, p, n); /* the queue moves on */
        p = item;
        break;
    case K_FINISHED:
        flush(w); /* over what the target has taken */
        n = valid_finished(w->t, item);
        p = item;
        break;
    case K_CERT_VERIFY:
        flush(w);
        n = valid_certificate_verify(w, p, n, item);
        p = item;
        break;
    default:
        flush(w);
        if (!w->tw.closed)
            feed_target(w, p, n);
        w->synced = 0;
        return;
    }
    if (n || (h & 7) < K_GENUINE)
        gather(w, type, p, n, h);
}

/* ---- a run --------------------------------------------------------------------------- */

/* A session of an earlier handshake of the same client configuration, made once. */
static const uint8_t *resumable(unsigned flags, size_t *len)
{
    static uint8_t sess[2][TF_MAX_SESSION];
    static size_t sess_len[2];
    unsigned alt = (flags & TFF13_ALT) != 0;
    if (!sess_len[alt]) { /* the same whichever input comes first */
        tff_reset();
        tlsflow_conn *c = tlsflow_conn_new(tff_client_config13(flags & TFF13_ALT));
        tlsflow_conn *s = tlsflow_conn_new(tff_server_config13(flags & TFF13_ALT));
        TFF_CHECK(c && s && tft_handshake(c, s, NULL));
        tft_step(s, c, NULL, NULL); /* its tickets */
        tlsflow_poll(c);
        TFF_CHECK(tlsflow_session_export(c, sess[alt], sizeof(sess[alt]), &sess_len[alt]) == 0);
        tlsflow_conn_free(c);
        tlsflow_conn_free(s);
    }
    *len = sess_len[alt];
    return sess[alt];
}

static void start(world *w, uint8_t b0)
{
    int server = b0 & 1, mode = (b0 >> 2) & 3;
    unsigned flags = ((b0 & 2) ? TFF13_HRR : 0) | ((b0 & 16) ? TFF13_ALT : 0) |
                     (mode == MODE_AUTH ? TFF13_AUTH : 0) |
                     (mode == MODE_CERT ? TFF13_AUTH | TFF13_CERT : 0);
    size_t sess_len = 0;
    const uint8_t *sess = mode == MODE_RESUME ? resumable(flags, &sess_len) : NULL;
    tff_reset();
    memset(w, 0, sizeof(*w));
    w->synced = 1;
    tlsflow_conn *c = tlsflow_conn_new(tff_client_config13(flags));
    tlsflow_conn *s = tlsflow_conn_new(tff_server_config13(flags));
    TFF_CHECK(c && s);
    if (sess)
        TFF_CHECK(tlsflow_session_import(c, sess, sess_len) == 1);
    w->t = server ? s : c;
    w->p = server ? c : s;
    feed_target(w, NULL, 0); /* a client target sends its ClientHello */
}

/* Give the target the peer's first `depth` handshake messages, and any dummy
 * ChangeCipherSpec that comes right after them; each also into log (if not NULL) as
 * [content type][u24 length][message]. Returns how many it took. */
static int drive(world *w, int depth, uint8_t *log, size_t *log_len, size_t log_cap)
{
    int got = 0;
    uint8_t type;
    const uint8_t *p;
    size_t n;
    for (;;) {
        if (w->q_off < w->q_len && queue[w->q_off] == TF_CT_CCS)
            genuine(w, &type, &p, &n);
        else if (got == depth || !genuine(w, &type, &p, &n))
            return got;
        if (log && *log_len + 4 + n <= log_cap) {
            log[*log_len] = type;
            put_u24(log + *log_len + 1, n);
            memcpy(log + *log_len + 4, p, n);
            *log_len += 4 + n;
        }
        gather(w, type, p, n, 0);
        flush(w);
        TFF_CHECK(tlsflow_last_error(w->t) == 0); /* the real sequence is accepted */
        got += type == TF_CT_HANDSHAKE;
    }
}

static void stop(world *w)
{
    tlsflow_conn_free(w->t);
    tlsflow_conn_free(w->p);
    tlsflow_conn_free(w->s);
    w->t = w->p = w->s = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    world *w = &W;
    start(w, data[0]);
    drive(w, data[0] >> 5, NULL, NULL, 0);
    tff_input in = {data + 1, size - 1};
    while (in.len && !w->tw.closed)
        run_item(w, &in);
    flush(w);
    stop(w);
    return 0;
}

/* ---- seeds --------------------------------------------------------------------------- */

int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A seed being written: byte 0, then items. */
static uint8_t seed[BUF_CAP];
static size_t seed_len;

static void seed_item(uint8_t h, const uint8_t *p, size_t n)
{
    TFF_CHECK(seed_len + 3 + n <= sizeof(seed));
    seed[seed_len++] = h;
    seed[seed_len++] = (uint8_t)(n >> 8);
    seed[seed_len++] = (uint8_t)n;
    if (n)
        memcpy(seed + seed_len, p, n);
    seed_len += n;
}

static void write_file(const char *dir, const char *name, const uint8_t *p, size_t n)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    TFF_CHECK(f != NULL && fwrite(p, 1, n, f) == n && fclose(f) == 0);
}

static void seed_write(const char *dir, const char *name)
{
    write_file(dir, name, seed, seed_len);
    printf("%s\n", name);
}

/* The message m (n bytes) with one more extension, first in its list (so that a
 * pre_shared_key stays last), into out; its length, 0 for a type without one here. To a
 * HelloRetryRequest a cookie, to a ClientHello early_data, to EncryptedExtensions
 * supported_groups, to CertificateRequest signature_algorithms_cert, to the first entry of
 * a Certificate status_request with an OCSP response, to NewSessionTicket early_data. */
static size_t with_extension(const uint8_t *m, size_t n, uint8_t *out)
{
    static const uint8_t cookie[] = {0, 44, 0, 6, 0, 4, 0xc0, 0x0c, 0x1e, 0x13};
    static const uint8_t early_data[] = {0, 42, 0, 0};
    static const uint8_t groups[] = {0, 10, 0, 4, 0, 2, 0, 29};
    static const uint8_t sig_algs_cert[] = {0, 50, 0, 4, 0, 2, 8, 4};
    static const uint8_t ocsp[] = {0, 5, 0, 7, 1, 0, 0, 3, 0x30, 1, 0};
    static const uint8_t max_early_data[] = {0, 42, 0, 4, 0, 0, 0x40, 0};
    const uint8_t *ext = NULL;
    size_t ext_len = 0, at = 4, list = 0; /* at: the extensions' u16 length */
    switch (m[0]) {
    case TF_HS_SERVER_HELLO: /* version, random, session id, suite, compression */
        if (memcmp(m + 6, TF_HRR_RANDOM, 32) != 0)
            return 0;
        ext = cookie, ext_len = sizeof(cookie);
        at = 4 + 34 + 1 + m[38] + 3;
        break;
    case TF_HS_CLIENT_HELLO: /* version, random, session id, suites, compressions */
        ext = early_data, ext_len = sizeof(early_data);
        at = 4 + 34 + 1 + m[38];
        at += 2 + ((size_t)m[at] << 8 | m[at + 1]);
        at += 1 + m[at];
        break;
    case TF_HS_ENCRYPTED_EXTENSIONS:
        ext = groups, ext_len = sizeof(groups);
        break;
    case TF_HS_CERTIFICATE_REQUEST: /* context */
        ext = sig_algs_cert, ext_len = sizeof(sig_algs_cert);
        at = 5 + m[4];
        break;
    case TF_HS_CERTIFICATE: /* context, the entries' u24 length, the first's certificate */
        if (n < (size_t)m[4] + 11)
            return 0;
        list = 5 + m[4];
        ext = ocsp, ext_len = sizeof(ocsp);
        at = list + 3 + 3 + u24(m + list + 3);
        break;
    case TF_HS_NEW_SESSION_TICKET: /* lifetime, age_add, nonce, ticket */
        ext = max_early_data, ext_len = sizeof(max_early_data);
        at = 4 + 8 + 1 + m[12];
        at += 2 + ((size_t)m[at] << 8 | m[at + 1]);
        break;
    default:
        return 0;
    }
    if (at + 2 > n)
        return 0;
    memcpy(out, m, at + 2);
    memcpy(out + at + 2, ext, ext_len);
    memcpy(out + at + 2 + ext_len, m + at + 2, n - at - 2);
    size_t exts = ((size_t)m[at] << 8 | m[at + 1]) + ext_len;
    out[at] = (uint8_t)(exts >> 8);
    out[at + 1] = (uint8_t)exts;
    put_u24(out + 1, n - 4 + ext_len);
    if (list)
        put_u24(out + list, u24(m + list) + ext_len);
    return n + ext_len;
}

/* The peer's real messages from here on, as items: as they are (form 0), the first
 * handshake message as a body after a made header (1: of the type the target expects,
 * else of the type in the payload's first byte), every Finished and CertificateVerify
 * made by the harness (2), and that with one more extension in the first message (3).
 * Returns 0 if forms 2 and 3 would change nothing. */
static int seed_messages(uint8_t b0, uint8_t expected, const uint8_t *msgs, size_t len, int form)
{
    int first = 1, made = 0;
    seed[0] = b0;
    seed_len = 1;
    for (size_t off = 0; off < len;) {
        uint8_t type = msgs[off];
        size_t n = u24(msgs + off + 1);
        const uint8_t *m = msgs + off + 4;
        off += 4 + n;
        if (type == TF_CT_CCS) {
            seed_item(K_CCS, m, n);
        } else if (form == 1 && first && m[0] == expected) {
            seed_item(K_HANDSHAKE | F_HEADER, m + 4, n - 4);
        } else if (form == 1 && first) {
            memcpy(item, m + 3, n - 3); /* the type, then the body */
            item[0] = m[0];
            seed_item(K_HANDSHAKE | F_HEADER | F_HEADER_TYPE, item, n - 3);
        } else if (form == 3 && first) {
            size_t k = with_extension(m, n, item);
            if (!k)
                return 0;
            seed_item(K_HANDSHAKE, item, k);
        } else if (form >= 2 && (m[0] == TF_HS_FINISHED || m[0] == TF_HS_CERTIFICATE_VERIFY)) {
            seed_item(m[0] == TF_HS_FINISHED ? K_FINISHED : K_CERT_VERIFY, NULL, 0);
            made = 1;
        } else {
            seed_item(K_HANDSHAKE, m, n);
        }
        first &= type != TF_CT_HANDSHAKE;
    }
    return form < 2 || made || form == 3;
}

/* The name of the first handshake message among the queued ones. */
static const char *first_name(const uint8_t *msgs, size_t len)
{
    for (size_t off = 0; off < len; off += 4 + u24(msgs + off + 1)) {
        const uint8_t *m = msgs + off + 4;
        if (msgs[off] != TF_CT_HANDSHAKE)
            continue;
        switch (m[0]) {
        case TF_HS_CLIENT_HELLO:
            return "ClientHello";
        case TF_HS_SERVER_HELLO:
            return memcmp(m + 6, TF_HRR_RANDOM, 32) == 0 ? "HelloRetryRequest" : "ServerHello";
        case TF_HS_NEW_SESSION_TICKET:
            return "NewSessionTicket";
        case TF_HS_ENCRYPTED_EXTENSIONS:
            return "EncryptedExtensions";
        case TF_HS_CERTIFICATE:
            return "Certificate";
        case TF_HS_CERTIFICATE_REQUEST:
            return "CertificateRequest";
        case TF_HS_CERTIFICATE_VERIFY:
            return "CertificateVerify";
        case TF_HS_FINISHED:
            return "Finished";
        default:
            return "message";
        }
    }
    return NULL;
}

/* After the handshake: KeyUpdate both ways, one more than TLSFLOW_MAX_IDLE_RECORDS of them
 * in a row (a flood, refused), and to a client a NewSessionTicket with early_data
 * (RFC 8446 §4.2.10, §4.6.1: max_early_data_size). */
static void seed_post_handshake(const char *dir, const char *base, uint8_t b0)
{
    static const uint8_t ku[2][5] = {{TF_HS_KEY_UPDATE, 0, 0, 1, 0},
                                     {TF_HS_KEY_UPDATE, 0, 0, 1, 1}};
    /* clang-format off */
    static const uint8_t nst[] = {
        TF_HS_NEW_SESSION_TICKET, 0, 0, 26,
        0, 0, 0x0e, 0x10,       /* ticket_lifetime 3600 */
        0, 0, 0, 1,             /* ticket_age_add */
        1, 7,                   /* ticket_nonce */
        0, 4, 0xab, 0xcd, 0xef, 0x01, /* ticket */
        0, 8, 0, 42, 0, 4, 0, 0, 0x40, 0 /* early_data, max_early_data_size 16384 */
    };
    /* clang-format on */
    static const char *const names[4] = {"KeyUpdate", "KeyUpdate-requested", "KeyUpdate-flood",
                                         "NewSessionTicket-early_data"};
    char name[256];
    for (int i = 0; i < ((b0 & 1) ? 3 : 4); i++) { /* tickets go to clients */
        seed[0] = b0;
        seed_len = 1;
        for (int k = 0; k < (i == 2 ? TLSFLOW_MAX_IDLE_RECORDS + 1 : 1); k++)
            seed_item(K_HANDSHAKE, i < 3 ? ku[i & 1] : nst, i < 3 ? sizeof(ku[0]) : sizeof(nst));
        snprintf(name, sizeof(name), "%s-%s", base, names[i]);
        seed_write(dir, name);
    }
}

static void write_seeds(const char *dir)
{
    static const char *const modes[4] = {"", "-auth", "-cert", "-resume"};
    static const char *const forms[4] = {"", "-body", "-made", "-ext"};
    static uint8_t msgs[BUF_CAP];
    char peer_dir[1024];
    snprintf(peer_dir, sizeof(peer_dir), "%s/peer", dir);
    mkdir(dir, 0755);
    mkdir(peer_dir, 0755);
    for (unsigned b0 = 0; b0 < 256; b0++) {
        world *w = &W;
        int depth = (int)(b0 >> 5);
        start(w, (uint8_t)b0);
        if (drive(w, depth, NULL, NULL, 0) == depth) {
            char base[128], name[256];
            snprintf(base, sizeof(base), "%s%s%s%s-d%d", (b0 & 1) ? "server" : "client",
                     (b0 & 2) ? "-hrr" : "", modes[(b0 >> 2) & 3], (b0 & 16) ? "-alt" : "", depth);
            if (!(b0 & 1) && depth == 0) { /* our ClientHello, for real servers to answer */
                snprintf(name, sizeof(name), "%02x.rec", b0);
                write_file(peer_dir, name, t2p, w->t2p_len);
            }
            /* Everything the peer sends from here as the conversation goes on to its end. */
            uint8_t expected = expected_type(w->t);
            size_t len = 0;
            drive(w, INT_MAX, msgs, &len, sizeof(msgs));
            const char *what = first_name(msgs, len);
            for (int form = 0; what && form < 4; form++) {
                if (seed_messages((uint8_t)b0, expected, msgs, len, form)) {
                    snprintf(name, sizeof(name), "%s-%s%s", base, what, forms[form]);
                    seed_write(dir, name);
                }
            }
            if (!len && w->t->established)
                seed_post_handshake(dir, base, (uint8_t)b0);
        }
        stop(w);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    for (int i = 1; i + 1 < *argc; i++) {
        if (strcmp((*argv)[i], "--write-seeds") == 0) {
            write_seeds((*argv)[i + 1]);
            exit(0);
        }
    }
    return 0;
}
