/* fuzz_handshake_diff: our server against OpenSSL's libssl server, configured alike, on
 * the same ClientHello (and whatever follows it). Both answer; the outcome classes below
 * must agree, unless an entry of the allowlist explains the difference.
 *
 * Ours: a tlsflow_conn server with the fixture RSA and ECDSA P-256 credentials, default
 * suites, groups and signature schemes, the mode's versions (TLS 1.2 only), fixed
 * randomness and time, driven by tff_drive (public invariants checked on the way). OpenSSL: an SSL
 * server over memory BIOs with the same two credentials, the engine's suites in the engine's order
 * (server preference), the same groups and signature schemes, TLS 1.2 only, no session cache or
 * tickets, no renegotiation, security level 1.
 *
 * Input:
 *   byte 0: bits 0-1 the protocol mode (0 TLS 1.2; 1-3 reserved for TLS 1.3 modes, run
 *           as TLS 1.2 until the engine has 1.3), bit 2 the framing (0: the rest is a
 *           ClientHello body, which the harness puts in a handshake header and records of
 *           version 0x0301; 1: the rest is records, as on the wire), bits 3-5 the chunk
 *           size both servers are fed in (tff_chunk_from_bits)
 *   the rest: as the framing says.
 *
 * The outcome of a server, read from what it sent: the ServerHello (version, suite,
 * extended_master_secret and renegotiation_info answered), then how it ended: waiting
 * for more, finished (it sent ChangeCipherSpec), silent refusal, or a fatal alert in one
 * of these classes. TLS 1.2 (RFC 5246 7.2.2) names both decode_error and
 * illegal_parameter for "a field out of range", so they are one class here (TLS 1.3,
 * RFC 8446 6.2, separates syntax from semantics: its mode will keep them apart);
 * insufficient_security is defined as a handshake_failure for one reason, so one class.
 * Every other alert is its own class. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "ecdhe.h"
#include "fuzz_common.h"
#include "fuzz_fixtures.h"
#include "fuzz_ossl.h"
#include "sigalg.h"
#include "suites.h"
#include "tf_test.h"

#define MAX_OUT   (64 * 1024)
#define MAX_INPUT (64 * 1024)

/* ---- outcomes ---------------------------------------------------------------------- */

enum { END_WAITING, END_DONE, END_SILENT, END_CLOSED, END_ALERT };

enum {
    CLASS_MALFORMED,   /* decode_error, illegal_parameter */
    CLASS_NEGOTIATION, /* handshake_failure, insufficient_security */
    CLASS_OTHER        /* any other alert: its own class, by description */
};

typedef struct {
    int hello;        /* a ServerHello was sent */
    uint16_t version; /* ... its version, suite and extensions */
    uint16_t suite;
    int ems, reneg;
    int end;   /* END_* */
    int alert; /* END_ALERT: the description of the first fatal alert */
} outcome;

static int alert_class(int desc)
{
    switch (desc) {
    case 50: /* decode_error */
    case 47: /* illegal_parameter */
        return CLASS_MALFORMED;
    case 40: /* handshake_failure */
    case 71: /* insufficient_security */
        return CLASS_NEGOTIATION;
    default:
        return CLASS_OTHER + desc;
    }
}

static const char *end_name(int end)
{
    static const char *const names[] = {"waiting", "finished", "closed without an alert",
                                        "closed with close_notify", "fatal alert"};
    return names[end];
}

static void print_outcome(const char *who, const outcome *o)
{
    fprintf(stderr, "  %-8s ", who);
    if (o->hello)
        fprintf(stderr, "ServerHello %04x suite %04x ems %d reneg %d, then ", o->version, o->suite,
                o->ems, o->reneg);
    else
        fprintf(stderr, "no ServerHello, ");
    fprintf(stderr, "%s", end_name(o->end));
    if (o->end == END_ALERT)
        fprintf(stderr, " %d (%s)", o->alert, tlsflow_alert_name(o->alert));
    fprintf(stderr, "\n");
}

/* A byte buffer with a cap. */
typedef struct {
    uint8_t p[MAX_OUT];
    size_t len;
} bytes;

static void add(bytes *b, const uint8_t *p, size_t n)
{
    if (n > sizeof(b->p) - b->len)
        n = sizeof(b->p) - b->len;
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* The extensions of a ServerHello body after the compression method. */
static void hello_extensions(outcome *o, const uint8_t *p, size_t n)
{
    if (n < 2 || (size_t)be16(p) + 2 > n)
        return;
    size_t end = 2 + be16(p);
    for (size_t i = 2; i + 4 <= end; i += 4 + be16(p + i + 2)) {
        uint16_t type = be16(p + i);
        o->ems |= type == 0x0017;
        o->reneg |= type == 0xff01;
    }
}

static void server_hello(outcome *o, const uint8_t *p, size_t n)
{
    /* version(2) random(32) session_id<0..32> cipher_suite(2) compression(1) exts */
    if (o->hello || n < 35 || 35 + (size_t)p[34] + 3 > n)
        return;
    size_t at = 35 + p[34];
    o->hello = 1;
    o->version = be16(p);
    o->suite = be16(p + at);
    hello_extensions(o, p + at + 3, n - at - 3);
}

/* Read a server's output: plaintext records until it sends ChangeCipherSpec. */
static void read_outcome(outcome *o, const bytes *out, int failed, int waiting)
{
    static bytes hs;
    hs.len = 0;
    memset(o, 0, sizeof(*o));
    o->end = END_WAITING;
    int done = 0, alert = -1, close_notify = 0;
    for (size_t i = 0; i + 5 <= out->len;) {
        size_t len = be16(out->p + i + 3);
        const uint8_t *body = out->p + i + 5;
        if (i + 5 + len > out->len)
            break;
        uint8_t type = out->p[i];
        i += 5 + len;
        if (type == 20) {
            done = 1;
            break;
        }
        if (type == 21 && len == 2 && body[0] == 2 && alert < 0)
            alert = body[1];
        close_notify |= type == 21 && len == 2 && body[0] == 1 && body[1] == 0;
        if (type == 22)
            add(&hs, body, len);
    }
    for (size_t i = 0; i + 4 <= hs.len;) {
        size_t len = (size_t)hs.p[i + 1] << 16 | (size_t)hs.p[i + 2] << 8 | hs.p[i + 3];
        if (i + 4 + len > hs.len)
            break;
        if (hs.p[i] == 2)
            server_hello(o, hs.p + i + 4, len);
        i += 4 + len;
    }
    if (done) {
        o->end = END_DONE;
    } else if (alert >= 0) {
        o->end = END_ALERT;
        o->alert = alert;
    } else if (close_notify) {
        o->end = END_CLOSED;
    } else if (failed) {
        o->end = END_SILENT;
    } else {
        TFF_CHECK(waiting);
    }
}

/* ---- the input ----------------------------------------------------------------------- */

/* The bytes both servers get, and whether they hold a whole first handshake message. */
typedef struct {
    uint8_t p[MAX_INPUT];
    size_t len;
    int hello_complete;
    size_t chunk;
} wire;

/* A ClientHello with this body (then `more` handshake bytes, if any) as records of at
 * most 2^14 bytes, version 0x0301, as clients send them. */
static void frame_body(wire *w, const uint8_t *body, size_t n, const uint8_t *more, size_t m)
{
    static uint8_t msg[MAX_INPUT];
    uint8_t hdr[4] = {1, (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n};
    if (n > sizeof(msg) - 4)
        n = sizeof(msg) - 4;
    if (m > sizeof(msg) - 4 - n)
        m = sizeof(msg) - 4 - n;
    memcpy(msg, hdr, 4);
    memcpy(msg + 4, body, n);
    if (m)
        memcpy(msg + 4 + n, more, m);
    size_t total = n + 4 + m;
    w->len = 0;
    for (size_t off = 0; off < total && w->len + 5 < sizeof(w->p);) {
        size_t part = total - off;
        if (part > 16384)
            part = 16384;
        if (part > sizeof(w->p) - w->len - 5)
            part = sizeof(w->p) - w->len - 5;
        uint8_t rec[5] = {22, 3, 1, (uint8_t)(part >> 8), (uint8_t)part};
        memcpy(w->p + w->len, rec, 5);
        memcpy(w->p + w->len + 5, msg + off, part);
        w->len += 5 + part;
        off += part;
    }
}

/* Is the first handshake message whole in the records of w? */
static int first_message_complete(const wire *w)
{
    static bytes hs;
    hs.len = 0;
    for (size_t i = 0; i + 5 <= w->len;) {
        size_t len = be16(w->p + i + 3);
        if (w->p[i] == 22)
            add(&hs, w->p + i + 5, i + 5 + len <= w->len ? len : w->len - i - 5);
        i += 5 + len;
    }
    return hs.len >= 4 && hs.len >= 4 + ((size_t)hs.p[1] << 16 | (size_t)hs.p[2] << 8 | hs.p[3]);
}

/* ---- our server -------------------------------------------------------------------- */

static tft_rng our_rng; /* reset for every input */

/* Our server for the TLS 1.2 mode: the configuration is built once. A TLS 1.3 mode gets
 * its own (versions 1.3, or 1.2 to 1.3) beside it. */
static const tlsflow_config *our_server(void)
{
    static tlsflow_config *cfg;
    if (cfg)
        return cfg;
    cfg = tlsflow_config_new(TLSFLOW_SERVER);
    TFF_CHECK(cfg != NULL);
    TFF_CHECK(tlsflow_config_add_credential(cfg, tff_fixture_server_pem, tff_fixture_server_pem_len,
                                            tff_fixture_server_key, tff_fixture_server_key_len,
                                            NULL) == 0);
    TFF_CHECK(tlsflow_config_add_credential(
                  cfg, tff_fixture_server_ec_pem, tff_fixture_server_ec_pem_len,
                  tff_fixture_server_ec_key, tff_fixture_server_ec_key_len, NULL) == 0);
    TFF_CHECK(tlsflow_config_set_versions(cfg, TLSFLOW_VERSION_TLS12, TLSFLOW_VERSION_TLS12) == 0);
    tlsflow_config_set_random(cfg, tft_random, &our_rng);
    tlsflow_config_set_time(cfg, tft_time, NULL);
    return cfg;
}

static void collect(void *ctx, const uint8_t *p, size_t n)
{
    add(ctx, p, n);
}

static void run_ours(const wire *w, outcome *o)
{
    static bytes out;
    out.len = 0;
    our_rng.state = TFF_SERVER_SEED;
    tlsflow_conn *c = tlsflow_conn_new(our_server());
    TFF_CHECK(c != NULL);
    tff_drive_opts opts;
    memset(&opts, 0, sizeof(opts));
    opts.chunk = w->chunk;
    opts.on_sent = collect;
    opts.sent_ctx = &out;
    tlsflow_event ev = tff_drive(c, w->p, w->len, &opts);
    int err = tlsflow_last_error(c);
    read_outcome(o, &out, ev == TLSFLOW_CLOSED, ev == TLSFLOW_NEED_INPUT);
    TFF_CHECK(o->end != END_CLOSED || err == 0);
    /* What we read from the wire is what the engine says it sent. */
    if (o->end == END_ALERT)
        TFF_CHECK(tlsflow_sent_alert(c) == o->alert);
    if (getenv("TLSFLOW_DIFF_VERBOSE") && err)
        fprintf(stderr, "  we said: %s: %s\n", tlsflow_error_name(err), tlsflow_last_error_text(c));
    tlsflow_conn_free(c);
}

/* ---- OpenSSL's server -------------------------------------------------------------- */

static int openssl_nid_of_group(uint16_t group)
{
    switch (group) {
    case TLSFLOW_GROUP_X25519:
        return NID_X25519;
    case TLSFLOW_GROUP_SECP256R1:
        return NID_X9_62_prime256v1;
    case TLSFLOW_GROUP_SECP384R1:
        return NID_secp384r1;
    default:
        tff_fail(__FILE__, __LINE__, "a group the harness cannot give OpenSSL");
    }
}

static void use_credential(SSL_CTX *ctx, const uint8_t *cert, size_t cert_len, const uint8_t *key,
                           size_t key_len)
{
    X509 *x = tffo_pem_cert(cert, cert_len);
    EVP_PKEY *k = tffo_pem_key(key, key_len);
    TFF_CHECK(SSL_CTX_use_certificate(ctx, x) == 1 && SSL_CTX_use_PrivateKey(ctx, k) == 1);
    TFF_CHECK(SSL_CTX_check_private_key(ctx) == 1);
    X509_free(x);
    EVP_PKEY_free(k);
}

/* The engine's defaults, said to OpenSSL: suites in order, groups, signature schemes. */
static SSL_CTX *openssl_server(void)
{
    static SSL_CTX *ctx;
    if (ctx)
        return ctx;
    tffo_init();
    ctx = SSL_CTX_new(TLS_server_method());
    TFF_CHECK(ctx != NULL);
    TFF_CHECK(SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1);
    TFF_CHECK(SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) == 1);
    SSL_CTX_set_security_level(ctx, 1);
    SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE | SSL_OP_PRIORITIZE_CHACHA |
                                 SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);

    SSL *probe = SSL_new(ctx); /* to look suites up by their code */
    TFF_CHECK(probe != NULL);
    char list[1024] = "";
    for (size_t i = 0; i < tf_suite_count(); i++) {
        if (TF_SUITE_IS_TLS13(tf_suite_at(i)))
            continue; /* the TLS 1.2 mode's list */
        uint16_t id = tf_suite_at(i)->id;
        const unsigned char code[2] = {(unsigned char)(id >> 8), (unsigned char)id};
        const SSL_CIPHER *c = SSL_CIPHER_find(probe, code);
        TFF_CHECK(c != NULL);
        if (list[0])
            strcat(list, ":");
        strcat(list, SSL_CIPHER_get_name(c));
    }
    SSL_free(probe);
    TFF_CHECK(SSL_CTX_set_cipher_list(ctx, list) == 1);

    int nids[8];
    size_t n = 0;
    for (size_t i = 0; i < tf_group_count() && n < 8; i++)
        nids[n++] = openssl_nid_of_group(tf_group_at(i));
    TFF_CHECK(SSL_CTX_set1_groups(ctx, nids, (long)n) == 1);

    char schemes[1024] = "";
    for (size_t i = 0; tf_sig_scheme_at(i) != NULL; i++) {
        if (i)
            strcat(schemes, ":");
        strcat(schemes, tf_sig_scheme_at(i)->name);
    }
    TFF_CHECK(SSL_CTX_set1_sigalgs_list(ctx, schemes) == 1);

    use_credential(ctx, tff_fixture_server_pem, tff_fixture_server_pem_len, tff_fixture_server_key,
                   tff_fixture_server_key_len);
    use_credential(ctx, tff_fixture_server_ec_pem, tff_fixture_server_ec_pem_len,
                   tff_fixture_server_ec_key, tff_fixture_server_ec_key_len);
    ERR_clear_error();
    return ctx;
}

static void run_openssl(const wire *w, outcome *o)
{
    static bytes out;
    out.len = 0;
    SSL *ssl = SSL_new(openssl_server());
    BIO *in = BIO_new(BIO_s_mem()), *sent = BIO_new(BIO_s_mem());
    TFF_CHECK(ssl != NULL && in != NULL && sent != NULL);
    SSL_set_bio(ssl, in, sent);
    SSL_set_accept_state(ssl);
    int failed = 0, waiting = 0;
    size_t off = 0;
    do {
        size_t n = w->len - off;
        if (w->chunk && n > w->chunk)
            n = w->chunk;
        if (n)
            TFF_CHECK(BIO_write(in, w->p + off, (int)n) == (int)n);
        off += n;
        int r = SSL_do_handshake(ssl);
        int e = r == 1 ? SSL_ERROR_NONE : SSL_get_error(ssl, r);
        waiting = e == SSL_ERROR_WANT_READ;
        failed = !waiting && e != SSL_ERROR_NONE;
    } while (off < w->len && !failed);
    uint8_t buf[4096];
    int n;
    while ((n = BIO_read(sent, buf, sizeof(buf))) > 0)
        add(&out, buf, (size_t)n);
    read_outcome(o, &out, failed, waiting || !failed);
    if (getenv("TLSFLOW_DIFF_VERBOSE"))
        tffo_print_errors("  OpenSSL said: ");
    SSL_free(ssl);
    ERR_clear_error();
}

/* ---- the client's hello, as the harness reads it ------------------------------------
 * A plain reading of the first handshake message in the input, for the allowlist: its
 * fields as bytes, nothing judged. */
#define MAX_EXTS 64

typedef struct {
    int present;      /* the first handshake message is a whole ClientHello that reads */
    uint16_t version; /* legacy_version */
    const uint8_t *suites, *compression;
    size_t n_suites, n_compression;
    size_t n_exts;
    uint16_t ext_type[MAX_EXTS];
    const uint8_t *ext_data[MAX_EXTS];
    size_t ext_len[MAX_EXTS];
    size_t exts_at;          /* offset of the extensions block in the body (0: none) */
    bytes body;              /* the message body */
    size_t records_end;      /* input offset where the records holding it end */
    size_t tail;             /* handshake bytes after it in its last record */
    uint8_t tail_version[2]; /* that record's version */
} hello;

/* The handshake bytes of the input's leading records, and where the first message ends. */
static void read_hello(const wire *w, hello *h)
{
    memset(h, 0, offsetof(hello, body));
    h->body.len = 0;
    h->records_end = 0;
    h->tail = 0;
    static bytes hs;
    hs.len = 0;
    size_t i = 0;
    for (; i + 5 <= w->len && w->p[i] == 22;) {
        size_t len = be16(w->p + i + 3);
        if (i + 5 + len > w->len)
            return;
        add(&hs, w->p + i + 5, len);
        i += 5 + len;
        if (hs.len >= 4) {
            size_t need = 4 + ((size_t)hs.p[1] << 16 | (size_t)hs.p[2] << 8 | hs.p[3]);
            if (hs.len >= need) {
                h->records_end = i;
                h->tail = hs.len - need;
                break;
            }
        }
    }
    if (hs.len < 4 || hs.p[0] != 1)
        return;
    size_t n = (size_t)hs.p[1] << 16 | (size_t)hs.p[2] << 8 | hs.p[3];
    if (hs.len < 4 + n)
        return;
    add(&h->body, hs.p + 4, n);
    const uint8_t *b = h->body.p;
    if (n < 35 || 35 + (size_t)b[34] + 2 > n)
        return;
    size_t at = 35 + b[34];
    h->version = be16(b);
    /* By its length in bytes: an odd length (a fault we refuse) still reads. */
    size_t suites_len = be16(b + at);
    h->n_suites = suites_len / 2;
    h->suites = b + at + 2;
    at += 2 + suites_len;
    if (at + 1 > n || at + 1 + b[at] > n)
        return;
    h->n_compression = b[at];
    h->compression = b + at + 1;
    at += 1 + b[at];
    if (at + 2 <= n) {
        size_t end = at + 2 + be16(b + at);
        if (end != n)
            return;
        h->exts_at = at;
        for (at += 2; at + 4 <= end && h->n_exts < MAX_EXTS;) {
            size_t len = be16(b + at + 2);
            if (at + 4 + len > end)
                return;
            h->ext_type[h->n_exts] = be16(b + at);
            h->ext_data[h->n_exts] = b + at + 4;
            h->ext_len[h->n_exts++] = len;
            at += 4 + len;
        }
        if (at != end)
            return;
    } else if (at != n) {
        return;
    }
    h->present = 1;
}

static int find_ext(const hello *h, uint16_t type, const uint8_t **data, size_t *len)
{
    for (size_t i = 0; i < h->n_exts; i++)
        if (h->ext_type[i] == type) {
            *data = h->ext_data[i];
            *len = h->ext_len[i];
            return 1;
        }
    return 0;
}

static int suite_is_ecdhe(uint16_t suite)
{
    const tf_suite *s = tf_suite_find(suite);
    return s != NULL && s->kx == TF_KX_ECDHE;
}

/* ---- a case: the input, both outcomes ---------------------------------------------- */

typedef struct {
    wire w;
    hello h;
    outcome ours, theirs;
} hs_case;

static void run_case(hs_case *c)
{
    c->w.hello_complete = first_message_complete(&c->w);
    read_hello(&c->w, &c->h);
    run_ours(&c->w, &c->ours);
    run_openssl(&c->w, &c->theirs);
}

static int refused(const outcome *o)
{
    return !o->hello && (o->end == END_ALERT || o->end == END_SILENT);
}

static int refused_with(const outcome *o, int cls)
{
    return !o->hello && o->end == END_ALERT && alert_class(o->alert) == cls;
}

static int same_hello(const outcome *a, const outcome *b)
{
    return a->hello == b->hello &&
           (!a->hello || (a->version == b->version && a->suite == b->suite && a->ems == b->ems &&
                          a->reneg == b->reneg));
}

/* ---- the allowlist -------------------------------------------------------------------
 * Two kinds of entries. A fact entry says when a difference is known and right. A
 * rewrite entry removes from the ClientHello something we ignore on purpose; both
 * servers run again on the rewritten input, ours must answer exactly as before (the
 * claim "we ignore it" is checked), and the two answers must then agree or be explained
 * by another entry. An entry named "FINDING" is one where the RFC is on OpenSSL's side:
 * kept here, its reproducer in corpus/handshake_diff/, until the engine is fixed
 * (fuzz/README.md lists them). */

/* One side refused on a header (record or handshake length) before the rest arrived;
 * the other waits for the rest. The first message is not whole in the input, so both
 * would refuse at its end or at EOF: when to judge a length is not the RFC's business. */
static int judged_before_the_end(const hs_case *c)
{
    size_t i = 0;
    while (i + 5 <= c->w.len)
        i += 5 + be16(c->w.p + i + 3);
    int cut = i != c->w.len || !c->w.hello_complete; /* the input ends inside something */
    return cut && same_hello(&c->ours, &c->theirs) &&
           (c->ours.end == END_WAITING || c->theirs.end == END_WAITING);
}

/* Is this suite in the client's list? */
static int offered(const hello *h, uint16_t suite)
{
    for (size_t i = 0; h->present && i < h->n_suites; i++)
        if (be16(h->suites + 2 * i) == suite)
            return 1;
    return 0;
}

static int is_chacha(uint16_t suite)
{
    const tf_suite *s = tf_suite_find(suite);
    return s != NULL && s->aead == TF_AEAD_CHACHA20_POLY1305;
}

/* Both chose a suite the client offered, and they differ because of ChaCha20: we move a
 * ChaCha20-Poly1305 suite ahead of the AES-GCM suites with the same key exchange and
 * authentication when the client's first AEAD suite we know is ChaCha20 (tlsflow.h);
 * OpenSSL's SSL_OP_PRIORITIZE_CHACHA moves every ChaCha20 suite to the front when the
 * client's first suite it knows is one. RFC 5246 7.4.1.3 leaves the choice among the
 * client's suites to the server. */
static int chacha_preference(const hs_case *c)
{
    const outcome *a = &c->ours, *b = &c->theirs;
    return a->hello && b->hello && a->version == b->version && a->ems == b->ems &&
           a->reneg == b->reneg && a->suite != b->suite &&
           (is_chacha(a->suite) || is_chacha(b->suite)) && offered(&c->h, a->suite) &&
           offered(&c->h, b->suite) && a->end == b->end;
}

/* Can this outcome end in a refusal for one of these record faults? A version fault is
 * protocol_version, or handshake_failure for a record of version 0x0300: OpenSSL answers
 * in SSL 3.0's terms, which have no protocol_version. */
static int refused_for(const outcome *o, int type, int version, int ssl3, int length)
{
    if (o->end == END_SILENT)
        return version && !o->hello; /* OpenSSL says nothing to bytes that are not TLS */
    return o->end == END_ALERT &&
           ((type && o->alert == 10) || (version && o->alert == 70) ||
            (version && ssl3 && o->alert == 40) || (length && o->alert == 22));
}

/* The first faulty record has a content type that is unknown, or other than handshake
 * before the ClientHello is whole (unexpected_message), a version whose major byte is
 * not 3 (protocol_version, or for the very first record no alert: OpenSSL takes such
 * bytes for something other than TLS, whose sender would not read an alert), or a length
 * over 2^14 (record_overflow, RFC 5246 6.2.1). Each side may judge any of the faults the
 * record has first. Alerts before the ClientHello: alert_before_hello. */
static int record_faults(const hs_case *c)
{
    int before = 1; /* the ClientHello is not whole yet */
    size_t hs = 0, need = 0;
    for (size_t i = 0; i + 5 <= c->w.len;) {
        const uint8_t *r = c->w.p + i;
        size_t len = be16(r + 3);
        int type = r[0] < 20 || r[0] > 23 || (before && r[0] != 22 && r[0] != 21);
        /* Major byte 3 always; once the version is negotiated (the ClientHello is
         * whole and answered), exactly TLS 1.2. */
        int version = r[1] != 3 || (!before && be16(r + 1) != 0x0303);
        int length = len > 16384;
        if (before && r[0] == 21 && !version)
            return 0;
        /* An empty record: OpenSSL skips one of any type, we refuse an empty handshake,
         * alert or CCS record (RFC 5246 6.2.1: a client MUST NOT send those) or judge its
         * type. What OpenSSL says then depends on what follows. */
        if (len == 0 && r[0] != 23 && !version)
            return refused_with(&c->ours, CLASS_OTHER + 10);
        int ssl3 = be16(r + 1) == 0x0300;
        if (type || version || length)
            return same_hello(&c->ours, &c->theirs) &&
                   refused_for(&c->ours, type, version, ssl3, length) &&
                   refused_for(&c->theirs, type, version, ssl3, length);
        if (before && r[0] == 22) {
            hs += len;
            if (!need && hs >= 4 && i + 9 <= c->w.len)
                need = 4 + ((size_t)r[6] << 16 | (size_t)r[7] << 8 | r[8]);
            before = !(need && hs >= need);
        }
        i += 5 + len;
    }
    return 0;
}

/* The first byte has its high bit set: OpenSSL reads an SSLv2-format ClientHello header
 * there (RFC 5246 E.2: a server MAY accept one), we read an unknown content type and
 * refuse. We do not take SSLv2-format hellos, on purpose. */
static int sslv2_header(const hs_case *c)
{
    return c->w.len > 0 && (c->w.p[0] & 0x80) && refused_with(&c->ours, CLASS_OTHER + 10);
}

/* An alert record comes before the ClientHello is whole; OpenSSL answers any with
 * unexpected_message, we follow RFC 5246 7.2 (cases below). */
static int alert_before_hello(const hs_case *c)
{
    for (size_t i = 0; i + 5 <= c->w.len && !c->h.present;) {
        size_t len = be16(c->w.p + i + 3);
        const uint8_t *body = c->w.p + i + 5;
        if (c->w.p[i] == 21) {
            int whole = len == 2 && i + 7 <= c->w.len;
            /* Malformed (not two bytes, or no such level): one side calls it malformed,
             * the other unexpected before a ClientHello, both true. */
            if (!whole || (body[0] != 1 && body[0] != 2)) {
                int a = refused_with(&c->ours, CLASS_MALFORMED) ||
                        refused_with(&c->ours, CLASS_OTHER + 10);
                int b = refused_with(&c->theirs, CLASS_MALFORMED) ||
                        refused_with(&c->theirs, CLASS_OTHER + 10);
                return a && b;
            }
            /* close_notify, at either level: we answer with our own and close (RFC 5246
             * 7.2.1); OpenSSL calls any alert before a ClientHello unexpected. */
            if (body[1] == 0)
                return c->ours.end == END_CLOSED && refused(&c->theirs);
            /* A fatal alert: we close at once without answering (RFC 5246 7.2.2). */
            if (body[0] == 2)
                return c->ours.end == END_SILENT && refused(&c->theirs);
            /* A warning: we skip it and go on (7.2.2: the connection may continue); what
             * follows decides our answer. */
            return refused_with(&c->theirs, CLASS_OTHER + 10);
        }
        if (c->w.p[i] != 22)
            return 0;
        i += 5 + len;
    }
    return 0;
}

/* The first handshake message is not a ClientHello, or claims a length over a limit:
 * one side refuses its type (unexpected_message), the other its length (decode_error,
 * illegal_parameter), both from the same header. */
static int header_type_or_length(const hs_case *c)
{
    size_t i = 0;
    if (i + 9 > c->w.len || c->w.p[i] != 22 || c->h.present)
        return 0;
    int a = refused_with(&c->ours, CLASS_MALFORMED) || refused_with(&c->ours, CLASS_OTHER + 10);
    int b = refused_with(&c->theirs, CLASS_MALFORMED) || refused_with(&c->theirs, CLASS_OTHER + 10);
    return a && b;
}

/* The first handshake message is not a ClientHello and not whole in its first record:
 * OpenSSL refuses its type from the header, we judge a message once it is whole (its
 * type then, or a length over our cap at once) and meanwhile judge the records that
 * bring the rest. */
static int type_judged_from_header(const hs_case *c)
{
    size_t i = 0;
    if (i + 9 > c->w.len || c->w.p[i] != 22 || c->w.p[i + 5] == 1)
        return 0;
    size_t len = be16(c->w.p + 3);
    size_t need = 4 + ((size_t)c->w.p[6] << 16 | (size_t)c->w.p[7] << 8 | c->w.p[8]);
    return len < need && refused_with(&c->theirs, CLASS_OTHER + 10) && !c->ours.hello;
}

/* A hello below TLS 1.2 that is malformed too: which check comes first is not the RFC's
 * business (protocol_version or decode_error/illegal_parameter). */
static int old_and_malformed(const hs_case *c)
{
    size_t i = 0;
    if (i + 11 > c->w.len || c->w.p[i] != 22 || c->w.p[i + 5] != 1 ||
        be16(c->w.p + i + 9) >= 0x0303)
        return 0;
    int v = CLASS_OTHER + 70;
    /* OpenSSL answers an SSL 3.0 hello with handshake_failure (see ssl3_hello). */
    int theirs_v = refused_with(&c->theirs, v) ||
                   (be16(c->w.p + i + 9) <= 0x0300 && refused_with(&c->theirs, CLASS_NEGOTIATION));
    return (refused_with(&c->ours, v) && refused_with(&c->theirs, CLASS_MALFORMED)) ||
           (theirs_v && refused_with(&c->ours, CLASS_MALFORMED));
}

/* More handshake data follows the ClientHello and both refuse it alike; one side put
 * its answer to the hello (ServerHello...) on the wire first, the other read on before
 * writing (we take all the input there is, then answer; a refusal replaces what was not
 * sent yet). The refusal is the same. */
static int answered_before_refusing(const hs_case *c)
{
    const outcome *a = &c->ours, *b = &c->theirs;
    return c->h.present && (c->h.tail > 0 || c->h.records_end < c->w.len) && a->hello != b->hello &&
           a->end == END_ALERT && b->end == END_ALERT &&
           alert_class(a->alert) == alert_class(b->alert);
}

/* A handshake header in the input claims more than our cap (TLSFLOW_DEFAULT_MAX_HANDSHAKE,
 * tlsflow_config_set_max_handshake_size): we refuse on the header (illegal_parameter),
 * even one that follows the ClientHello in the same record; OpenSSL, whose ClientHello
 * limit is larger, waits for the body, answers the ClientHello first, or takes it. No
 * RFC sets the limit. */
static int over_our_cap(const hs_case *c)
{
    static bytes hs;
    hs.len = 0;
    for (size_t i = 0; i + 5 <= c->w.len; i += 5 + be16(c->w.p + i + 3))
        if (c->w.p[i] == 22)
            add(&hs, c->w.p + i + 5, be16(c->w.p + i + 3));
    for (size_t i = 0; i + 4 <= hs.len;) {
        size_t n = (size_t)hs.p[i + 1] << 16 | (size_t)hs.p[i + 2] << 8 | hs.p[i + 3];
        if (n > TLSFLOW_DEFAULT_MAX_HANDSHAKE)
            return c->ours.end == END_ALERT && alert_class(c->ours.alert) == CLASS_MALFORMED;
        i += 4 + n;
    }
    return 0;
}

/* The hello holds two extensions of one type: RFC 5246 7.4.1.4 says there MUST NOT be
 * more than one, and we refuse it (illegal_parameter); OpenSSL only sees the duplicates
 * among the extensions it knows. */
static int duplicate_extension(const hs_case *c)
{
    for (size_t i = 0; c->h.present && i < c->h.n_exts; i++)
        for (size_t j = i + 1; j < c->h.n_exts; j++)
            if (c->h.ext_type[i] == c->h.ext_type[j])
                return refused_with(&c->ours, CLASS_MALFORMED);
    return 0;
}

/* renegotiation_info whose body does not end with its renegotiated_connection vector:
 * we refuse the malformed extension (decode_error); OpenSSL reads the vector and
 * ignores what follows. */
static int renegotiation_info_trailing(const hs_case *c)
{
    const uint8_t *d;
    size_t n;
    return c->h.present && find_ext(&c->h, 0xff01, &d, &n) && n >= 1 && n != 1u + d[0] &&
           refused_with(&c->ours, CLASS_MALFORMED);
}

/* A supported_versions list that does not parse (RFC 8446 4.2.1: a u8 length, then
 * two-byte versions): we refuse it with decode_error, OpenSSL (which negotiates with it)
 * with protocol_version. */
static int malformed_supported_versions(const hs_case *c)
{
    const uint8_t *d;
    size_t n;
    return c->h.present && find_ext(&c->h, 43, &d, &n) && (n < 3 || d[0] + 1u != n || (d[0] & 1)) &&
           refused_with(&c->ours, CLASS_MALFORMED) && refused_with(&c->theirs, CLASS_OTHER + 70);
}

/* An SSL 3.0 ClientHello (legacy_version 0x0300 or lower), with or without
 * supported_versions: we answer protocol_version (RFC 5246 E.1, RFC 8446 D.5); OpenSSL
 * answers handshake_failure, the nearest alert SSL 3.0 has (it has no protocol_version). */
static int ssl3_hello(const hs_case *c)
{
    return c->h.present && c->h.version <= 0x0300 && refused_with(&c->ours, CLASS_OTHER + 70) &&
           refused_with(&c->theirs, CLASS_NEGOTIATION);
}

/* The client leaves no signature scheme our RSA key can make: it sends no
 * signature_algorithms (TLS 1.2 then defaults to SHA-1, RFC 5246 7.4.1.4.1, which we
 * never use) or lists none we have for RSA. We then choose a suite we can complete: RSA
 * key transport, which signs nothing (tlsflow.h), or ECDHE_ECDSA. OpenSSL 3 at security
 * level 1 takes its RSA certificate for unusable and refuses even RSA key transport
 * (peers.md), or chooses an ECDHE_RSA suite it then cannot sign for; OpenSSL 1.1.1 signs
 * with SHA-1 where no list is sent. */
static int no_signature_algorithms(const hs_case *c)
{
    const uint8_t *d;
    size_t n;
    if (!c->h.present)
        return 0;
    if (find_ext(&c->h, 13, &d, &n))
        for (size_t i = 2; i + 2 <= n; i += 2) {
            const tf_sig_scheme *sc = tf_sig_scheme_find(be16(d + i));
            if (sc != NULL && sc->key == TF_KEY_RSA)
                return 0;
        }
    const tf_suite *ours = c->ours.hello ? tf_suite_find(c->ours.suite) : NULL;
    int rsa = ours != NULL && !(ours->kx == TF_KX_ECDHE && ours->auth == TF_KEY_RSA);
    int none = refused_with(&c->ours, CLASS_NEGOTIATION);
    return (rsa || none) && (refused_with(&c->theirs, CLASS_NEGOTIATION) ||
                             (c->theirs.hello && suite_is_ecdhe(c->theirs.suite)));
}

/* The client's signature_algorithms name ECDSA only with hashes paired to other curves
 * (ecdsa_secp384r1_sha384, ...), not secp256r1, the curve of our ECDSA key. In TLS 1.2
 * a scheme is a (hash, ECDSA) pair with no curve (RFC 5246 7.4.1.4.1), so we sign with
 * it; OpenSSL 3 wants the named curve to be the key's and finds no scheme. */
static int ecdsa_scheme_for_another_curve(const hs_case *c)
{
    const uint8_t *d;
    size_t n;
    if (!c->h.present || !find_ext(&c->h, 13, &d, &n) || !c->ours.hello)
        return 0;
    const tf_suite *s = tf_suite_find(c->ours.suite);
    if (s == NULL || s->kx != TF_KX_ECDHE || s->auth != TF_KEY_EC)
        return 0;
    int other = 0;
    for (size_t i = 2; i + 2 <= n; i += 2) {
        const tf_sig_scheme *sc = tf_sig_scheme_find(be16(d + i));
        if (sc != NULL && sc->key == TF_KEY_EC && sc->curve == TLSFLOW_GROUP_SECP256R1)
            return 0;
        other |= sc != NULL && sc->key == TF_KEY_EC;
    }
    return other && (refused_with(&c->theirs, CLASS_NEGOTIATION) ||
                     (c->theirs.hello && c->theirs.suite != c->ours.suite));
}

/* The client offers ECDHE suites but no supported_groups: we take it to support
 * secp256r1, as RFC 8422 4 allows and tlsflow.h says; OpenSSL does no ECDHE then. */
static int no_supported_groups(const hs_case *c)
{
    const uint8_t *d;
    size_t n;
    if (!c->h.present || find_ext(&c->h, 10, &d, &n) || !c->ours.hello ||
        !suite_is_ecdhe(c->ours.suite))
        return 0;
    return refused_with(&c->theirs, CLASS_NEGOTIATION) ||
           (c->theirs.hello && !suite_is_ecdhe(c->theirs.suite));
}

/* ec_point_formats without the uncompressed format, from a client that names curves in
 * supported_groups: RFC 8422 5.1.2 says the server MUST abort with illegal_parameter, as
 * we do; OpenSSL only leaves the ECC suites out. */
static int no_uncompressed_points(const hs_case *c)
{
    const uint8_t *d;
    size_t n;
    if (!c->h.present || !find_ext(&c->h, 11, &d, &n) || n < 1 || d[0] + 1u != n ||
        memchr(d + 1, 0, d[0]) != NULL || !find_ext(&c->h, 10, &d, &n))
        return 0;
    return refused_with(&c->ours, CLASS_MALFORMED);
}

/* The SNI host_name holds a byte outside printable ASCII. RFC 6066 3 wants an ASCII DNS
 * name there; we refuse the hello (illegal_parameter), OpenSSL refuses only a NUL byte
 * (with unrecognized_name) and takes the rest. */
static int sni_not_ascii(const hs_case *c)
{
    const uint8_t *d;
    size_t n;
    if (!c->h.present || !find_ext(&c->h, 0, &d, &n) || !refused_with(&c->ours, CLASS_MALFORMED))
        return 0;
    for (size_t i = 2; i + 3 <= n;) {
        size_t len = be16(d + i + 1);
        for (size_t k = 0; d[i] == 0 && k < len && i + 3 + k < n; k++)
            if (d[i + 3 + k] <= 0x20 || d[i + 3 + k] >= 0x7f)
                return 1;
        i += 3 + len;
    }
    return 0;
}

/* What a rewrite does to one extension. */
enum { EXT_KEEP, EXT_DROP, EXT_REPLACE };
typedef int (*ext_edit)(uint16_t type, const uint8_t *data, size_t len, uint8_t *out,
                        size_t *out_len);

/* Build the hello again with edit() applied to each extension, framed as records,
 * followed by the rest of the input. 0 if nothing changes or it cannot be done. */
static int rewrite_extensions(const hs_case *c, hs_case *out, ext_edit edit)
{
    const hello *h = &c->h;
    if (!h->present || !h->exts_at)
        return 0;
    static uint8_t body[MAX_INPUT], data[MAX_INPUT];
    size_t n = h->exts_at + 2, changed = 0;
    memcpy(body, h->body.p, n);
    for (size_t i = 0; i < h->n_exts; i++) {
        const uint8_t *p = h->ext_data[i];
        size_t len = h->ext_len[i];
        int what = edit(h->ext_type[i], p, len, data, &len);
        changed += what != EXT_KEEP;
        if (what == EXT_DROP)
            continue;
        if (what == EXT_REPLACE)
            p = data;
        uint8_t hdr[4] = {(uint8_t)(h->ext_type[i] >> 8), (uint8_t)h->ext_type[i],
                          (uint8_t)(len >> 8), (uint8_t)len};
        memcpy(body + n, hdr, 4);
        memcpy(body + n + 4, p, len);
        n += 4 + len;
    }
    if (!changed)
        return 0;
    size_t block = n - h->exts_at - 2;
    body[h->exts_at] = (uint8_t)(block >> 8);
    body[h->exts_at + 1] = (uint8_t)block;
    /* What followed the hello in its last record stays right after it. */
    frame_body(&out->w, body, n, c->w.p + h->records_end - h->tail, h->tail);
    size_t rest = c->w.len - h->records_end;
    if (rest > sizeof(out->w.p) - out->w.len)
        return 0;
    memcpy(out->w.p + out->w.len, c->w.p + h->records_end, rest);
    out->w.len += rest;
    out->w.chunk = c->w.chunk;
    return 1;
}

/* Extensions only TLS 1.3 uses in a ClientHello (RFC 8446 4.2): pre_shared_key,
 * early_data, cookie, psk_key_exchange_modes, certificate_authorities, key_share. */
static int tls13_extension(uint16_t type)
{
    return type == 41 || type == 42 || type == 44 || type == 45 || type == 47 || type == 51;
}

/* The extensions our server reads in a ClientHello (ext.c), whatever version it then
 * negotiates; the rest it ignores. */
static int implemented(uint16_t type)
{
    switch (type) {
    case 0:      /* server_name */
    case 10:     /* supported_groups */
    case 11:     /* ec_point_formats */
    case 13:     /* signature_algorithms */
    case 16:     /* ALPN */
    case 23:     /* extended_master_secret */
    case 0xff01: /* renegotiation_info */
        return 1;
    default:
        return tls13_extension(type) || type == 43 || type == 28; /* + record_size_limit */
    }
}

static int drop_tls13_extensions(uint16_t type, const uint8_t *data, size_t len, uint8_t *out,
                                 size_t *out_len)
{
    (void)data, (void)len, (void)out, (void)out_len;
    return tls13_extension(type) || type == 28 ? EXT_DROP : EXT_KEEP;
}

static int drop_unimplemented(uint16_t type, const uint8_t *data, size_t len, uint8_t *out,
                              size_t *out_len)
{
    (void)data, (void)len, (void)out, (void)out_len;
    return implemented(type) ? EXT_KEEP : EXT_DROP;
}

/* server_name with only its host_name entries (the extension dropped if none is left). */
static int sni_host_names_only(uint16_t type, const uint8_t *data, size_t len, uint8_t *out,
                               size_t *out_len)
{
    if (type != 0 || len < 2 || (size_t)be16(data) + 2 != len)
        return EXT_KEEP;
    size_t n = 2, others = 0;
    for (size_t i = 2; i + 3 <= len;) {
        size_t l = be16(data + i + 1);
        if (i + 3 + l > len)
            return EXT_KEEP;
        if (data[i] == 0) {
            memcpy(out + n, data + i, 3 + l);
            n += 3 + l;
        } else {
            others++;
        }
        i += 3 + l;
    }
    if (!others)
        return EXT_KEEP;
    if (n == 2)
        return EXT_DROP;
    out[0] = (uint8_t)((n - 2) >> 8);
    out[1] = (uint8_t)(n - 2);
    *out_len = n;
    return EXT_REPLACE;
}

static int same(const outcome *a, const outcome *b);

static uint16_t dropped_type; /* for drop_one */

static int drop_one(uint16_t type, const uint8_t *data, size_t len, uint8_t *out, size_t *out_len)
{
    (void)data, (void)len, (void)out, (void)out_len;
    return type == dropped_type ? EXT_DROP : EXT_KEEP;
}

/* Two faults in one hello, each side refusing for a different one first: OpenSSL reads
 * the extensions that decide the version and renegotiation before the others (and
 * before the cipher_suites list: an odd length, which we refuse at once), we check the
 * syntax of every field and extension first. Checked: without one of the extensions,
 * our answer is unchanged and OpenSSL's becomes ours. No RFC orders the checks. */
static int one_fault_each(const hs_case *c)
{
    if (!refused(&c->ours) || !refused(&c->theirs) || !c->h.present)
        return 0;
    hs_case *r = malloc(sizeof(*r));
    TFF_CHECK(r != NULL);
    int ok = 0;
    for (size_t i = 0; i < c->h.n_exts && i < 16 && !ok; i++) {
        dropped_type = c->h.ext_type[i];
        if (!rewrite_extensions(c, r, drop_one))
            continue;
        run_case(r);
        ok = same(&r->ours, &c->ours) && same(&r->ours, &r->theirs);
    }
    free(r);
    return ok;
}

static int explained(const hs_case *c, int depth);

/* We refuse a TLS 1.3 extension that does not parse (key_share, pre_shared_key, ...)
 * even with TLS 1.3 off; OpenSSL limited to TLS 1.2 does not read them. Likewise
 * record_size_limit (RFC 8449 4: a value below 64 MUST get illegal_parameter), which
 * OpenSSL 3.0 does not implement. Checked: without
 * those extensions OpenSSL answers as before, or OpenSSL too had refused the hello (it
 * read the extension after all, and chose another alert), and the two answers agree (or
 * another entry explains them). Both are defensible (RFC 8446 4.2 lets a TLS 1.2 server
 * ignore them; decode_error is what a malformed one earns). */
static int tls13_extension_checked(const hs_case *c)
{
    if (!refused_with(&c->ours, CLASS_MALFORMED) && !refused_with(&c->ours, CLASS_OTHER + 10))
        return 0;
    hs_case *r = malloc(sizeof(*r));
    TFF_CHECK(r != NULL);
    int ok = rewrite_extensions(c, r, drop_tls13_extensions);
    if (ok) {
        run_case(r);
        ok = (same(&r->theirs, &c->theirs) || refused(&c->theirs)) && explained(r, 1);
    }
    free(r);
    return ok;
}

/* Both servers again, given the hello of c alone, in c's chunks (the caller frees it). */
static hs_case *run_hello_alone(const hs_case *c)
{
    hs_case *r = malloc(sizeof(*r));
    TFF_CHECK(r != NULL);
    r->w.len = 0;
    frame_body(&r->w, c->h.body.p, c->h.body.len, NULL, 0);
    r->w.chunk = c->w.chunk;
    run_case(r);
    return r;
}

/* We refused what follows the ClientHello (a message, a record) and OpenSSL answered the
 * hello before reading on, or refused the hello itself, or waits for the rest of a
 * record: OpenSSL's answer does not depend on what follows, so the hello alone is
 * compared. Checked: without what follows, OpenSSL answers as before. */
static int hello_alone(const hs_case *c)
{
    if (!c->h.present || c->ours.end != END_ALERT ||
        (c->h.tail == 0 && c->h.records_end >= c->w.len))
        return 0;
    hs_case *r = run_hello_alone(c);
    int ok = same(&r->theirs, &c->theirs) && explained(r, 1);
    free(r);
    return ok;
}

/* The header of the first handshake message after the hello: from the rest of the
 * hello's last record, then from the handshake records that follow it. 0 if there is
 * no whole header. */
static int next_header(const hs_case *c, uint8_t hdr[4])
{
    size_t got = 0;
    const uint8_t *t = c->w.p + c->h.records_end - c->h.tail;
    for (size_t k = 0; k < c->h.tail && got < 4; k++)
        hdr[got++] = t[k];
    for (size_t i = c->h.records_end; got < 4 && i + 5 <= c->w.len && c->w.p[i] == 22;) {
        size_t len = be16(c->w.p + i + 3);
        for (size_t k = 0; k < len && i + 5 + k < c->w.len && got < 4; k++)
            hdr[got++] = c->w.p[i + 5 + k];
        i += 5 + len;
    }
    return got == 4;
}

/* An empty ClientKeyExchange follows the hello, and OpenSSL chose an ECDHE suite. RFC
 * 8422 5.7: ClientECDiffieHellmanPublic is an ECPoint ecdh_Yc (point<1..2^8-1>); the
 * empty "implicit" encoding of RFC 4492 (the client's key in a fixed-ECDH certificate,
 * after a CertificateRequest our server never sends) is deprecated, kept for backward
 * compatibility only. We refuse the missing ECPoint as malformed (decode_error,
 * msg_client_key_exchange.c); OpenSSL reads an empty one as ECDH client authentication,
 * which it does not support, and refuses with handshake_failure, after answering the
 * hello (we read on before writing: answered_before_refusing). Checked: the hello alone
 * gets the same answer from both, with the suite OpenSSL chose. */
static int empty_ecdhe_client_key_exchange(const hs_case *c)
{
    uint8_t hdr[4];
    if (!c->h.present || !next_header(c, hdr) || hdr[0] != 16 || hdr[1] || hdr[2] || hdr[3] ||
        !c->theirs.hello || !suite_is_ecdhe(c->theirs.suite) || c->theirs.end != END_ALERT ||
        alert_class(c->theirs.alert) != CLASS_NEGOTIATION || c->ours.end != END_ALERT ||
        alert_class(c->ours.alert) != CLASS_MALFORMED ||
        (c->ours.hello && !same_hello(&c->ours, &c->theirs)))
        return 0;
    hs_case *r = run_hello_alone(c);
    int ok = same(&r->ours, &r->theirs) && same_hello(&r->theirs, &c->theirs);
    free(r);
    return ok;
}

/* legacy_version whose major byte is not 3, beside supported_versions: RFC 8446 4.2.1
 * has a server negotiate from supported_versions only, as we do; OpenSSL refuses the
 * hello ("bad legacy version"). */
static int odd_legacy_version(const hs_case *c)
{
    const uint8_t *d;
    size_t n;
    return c->h.present && (c->h.version >> 8) != 3 && find_ext(&c->h, 43, &d, &n) &&
           refused_with(&c->theirs, CLASS_OTHER + 70);
}

/* REWRITE. Extensions we do not implement (status_request, session_ticket,
 * encrypt_then_mac, padding, ...): RFC 5246 7.4.1.4 has a server ignore an extension it
 * does not understand, whatever its body; OpenSSL parses those it knows and refuses a
 * malformed one. */
static int without_unimplemented(const hs_case *c, hs_case *out)
{
    return rewrite_extensions(c, out, drop_unimplemented);
}

/* REWRITE. server_name entries of a name type other than host_name: RFC 6066 3 defines
 * host_name only and leaves the list open to name types added later, so we skip the
 * ones we do not know; OpenSSL refuses a list whose entry is not a host_name
 * (decode_error). */
static int without_other_name_types(const hs_case *c, hs_case *out)
{
    return rewrite_extensions(c, out, sni_host_names_only);
}

typedef struct {
    const char *name;
    int (*applies)(const hs_case *c);
    int (*rewrite)(const hs_case *c, hs_case *out);
} allowance;

static const allowance ALLOWLIST[] = {
    {"a length judged before the message is whole", judged_before_the_end, NULL},
    {"a record with two faults (type, version, length), either judged first", record_faults, NULL},
    {"an alert before the ClientHello", alert_before_hello, NULL},
    {"a handshake header refused for its type or its length", header_type_or_length, NULL},
    {"a first message of another type, judged from its header", type_judged_from_header, NULL},
    {"a hello below TLS 1.2 that is malformed too", old_and_malformed, NULL},
    {"an SSL 3.0 hello: protocol_version or handshake_failure", ssl3_hello, NULL},
    {"a handshake header over our size cap", over_our_cap, NULL},
    {"the hello answered or not before a refusal of what follows", answered_before_refusing, NULL},
    {"two extensions of one type", duplicate_extension, NULL},
    {"supported_versions that does not parse", malformed_supported_versions, NULL},
    {"renegotiation_info with bytes after its vector", renegotiation_info_trailing, NULL},
    {"ChaCha20 preference rules differ", chacha_preference, NULL},
    {"an SSLv2-format header (OpenSSL reads it, we do not)", sslv2_header, NULL},
    {"no RSA signature scheme: RSA key transport only", no_signature_algorithms, NULL},
    {"no supported_groups: secp256r1 assumed", no_supported_groups, NULL},
    {"ECDSA schemes named for another curve only", ecdsa_scheme_for_another_curve, NULL},
    {"ec_point_formats without uncompressed: illegal_parameter", no_uncompressed_points, NULL},
    {"SNI host_name not printable ASCII", sni_not_ascii, NULL},
    {"a TLS 1.3 extension or record_size_limit only we read", tls13_extension_checked, NULL},
    {"two faults in the hello, each side judging another first", one_fault_each, NULL},
    {"we refused what follows the hello, OpenSSL did not read it", hello_alone, NULL},
    {"an empty ClientKeyExchange in an ECDHE suite: decode_error or handshake_failure",
     empty_ecdhe_client_key_exchange, NULL},
    {"legacy_version not 3.x beside supported_versions", odd_legacy_version, NULL},
    {"an extension we do not implement, ignored", NULL, without_unimplemented},
    {"server_name entries of an unknown name type, skipped", NULL, without_other_name_types},
};

static int same(const outcome *a, const outcome *b)
{
    if (a->hello != b->hello)
        return 0;
    if (a->hello && (a->version != b->version || a->suite != b->suite || a->ems != b->ems ||
                     a->reneg != b->reneg))
        return 0;
    if (a->end == END_DONE || b->end == END_DONE)
        return 1; /* past the first flight: the Finished MACs depend on each side's random */
    if (a->end != b->end)
        return 0;
    return a->end != END_ALERT || alert_class(a->alert) == alert_class(b->alert);
}

static int verbose(void)
{
    return getenv("TLSFLOW_DIFF_VERBOSE") != NULL;
}

static int explained(const hs_case *c, int depth)
{
    if (same(&c->ours, &c->theirs))
        return 1;
    for (size_t i = 0; i < sizeof(ALLOWLIST) / sizeof(ALLOWLIST[0]); i++) {
        const allowance *a = &ALLOWLIST[i];
        int ok = 0;
        if (a->applies) {
            ok = a->applies(c);
        } else if (depth < 3) {
            hs_case *r = malloc(sizeof(*r));
            TFF_CHECK(r != NULL);
            if (a->rewrite(c, r)) {
                run_case(r);
                if (verbose()) {
                    fprintf(stderr, "  rewritten (%s):\n", a->name);
                    print_outcome("ours:", &r->ours);
                    print_outcome("OpenSSL:", &r->theirs);
                }
                ok = same(&r->ours, &c->ours) && explained(r, depth + 1);
            }
            free(r);
        }
        if (ok) {
            if (verbose())
                fprintf(stderr, "  allowed: %s\n", a->name);
            return 1;
        }
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static hs_case c;
    tff_reset();
    if (size < 1 || size > MAX_INPUT)
        return 0;
    uint8_t opt = data[0];
    /* bits 0-1: the protocol mode. Only TLS 1.2 exists yet; 1-3 run as TLS 1.2. */
    if (opt & 4) {
        memcpy(c.w.p, data + 1, size - 1);
        c.w.len = size - 1;
    } else {
        frame_body(&c.w, data + 1, size - 1, NULL, 0);
    }
    c.w.chunk = tff_chunk_from_bits(opt >> 3);
    run_case(&c);
    if (verbose()) {
        fprintf(stderr, "handshake_diff: %zu bytes, first message %s\n", c.w.len,
                c.w.hello_complete ? "whole" : "not whole");
        print_outcome("ours:", &c.ours);
        print_outcome("OpenSSL:", &c.theirs);
    }
    if (explained(&c, 0))
        return 0;
    fprintf(stderr, "handshake_diff: %zu bytes, first message %s\n", c.w.len,
            c.w.hello_complete ? "whole" : "not whole");
    print_outcome("ours:", &c.ours);
    print_outcome("OpenSSL:", &c.theirs);
    tff_fail(__FILE__, __LINE__, "our server and OpenSSL's disagree on this ClientHello");
}
