/* The bridge between a libuv TCP handle and an engine connection.
 *
 * Everything goes through pump(): flush what the engine wants to send, hand it
 * response bytes, then ask it what is next. Bytes are read by libuv straight into
 * the engine's input buffer (the alloc callback returns tlsflow_in_buf()), and
 * written straight from its output buffer: uv_try_write first, and only when the
 * socket is full a uv_write whose buffer the engine keeps untouched because we do
 * not call into it until the write completes. Reading is paused during such a
 * write, which is also what bounds memory for a peer that does not read.
 *
 * A private-key operation (TLSFLOW_KEY_OPERATION: a key in a PKCS#11 token, or any key
 * with --key-threads) runs on libuv's thread pool: the connection stops reading and
 * pumping, other connections go on, and the after-work callback on the loop completes
 * it and pumps again. A close asked for meanwhile (timeout, shutdown) waits for it, and
 * a connection whose handles closed meanwhile is freed only when it is back.
 *
 * Sites (classic.localhost, mtls.localhost) have engine configurations of their own, and
 * the engine takes one configuration per connection, fixed when it is made: so a
 * connection starts on the default one and keeps the bytes it reads until the engine has
 * read the ClientHello. If its SNI names a site, that engine is dropped unheard (nothing
 * it wrote was sent, its key log lines were held back) and a new one on the site's
 * configuration gets the same bytes (pick_site, feed_replay). */
#include "sconn.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "keys/keyop.h"
#include "pages/http_app.h"
#include "pages/http_req.h"
#include "sconn_log.h"
#include "util/hostport.h"
#include "worker.h"

#define LINGER_MS 2000 /* how long a closing connection may take to flush */
/* The most ClientHello bytes kept for a move to a site's configuration: more than the
 * largest ClientHello the engine takes (its length fields allow about 128 KiB). */
#define HELLO_KEEP_MAX (192 * 1024)

/* The engine reports trace steps synchronously from inside the calls we make for
 * one connection, on this thread; so the connection being pumped is the one the
 * event belongs to. The pointer check guards the assumption. */
static _Thread_local sconn *current;

static void pump(sconn *c);

void sconn_trace_cb(void *ctx, const tlsflow_conn *conn, const tlsflow_trace_event *ev)
{
    (void)ctx;
    sconn *c = current;
    if (!c || c->tls != conn)
        return;
    uint64_t us = (uv_hrtime() - c->start_ns) / 1000;
    trace_store_add(&c->trace, ev->step, ev->text, us > UINT32_MAX ? UINT32_MAX : (uint32_t)us);
}

void sconn_keylog_cb(void *ctx, const char *line)
{
    sconn *c = current;
    if (!c || !c->hello_pending) {
        sink_line(ctx, line);
        return;
    }
    /* Held until we know this engine is the one that stays. */
    size_t n = strlen(line) + 1;
    char *grown = realloc(c->keylog_held, c->keylog_held_len + n);
    if (!grown)
        return; /* best effort, like every key log line */
    memcpy(grown + c->keylog_held_len, line, n);
    c->keylog_held = grown;
    c->keylog_held_len += n;
}

/* ---- the site of a connection --------------------------------------------------------- */

/* This engine stays: log what it said and forget the bytes kept for a move. */
static void hello_settle(sconn *c)
{
    for (size_t off = 0; off < c->keylog_held_len; off += strlen(c->keylog_held + off) + 1)
        sink_line(&c->w->srv->keylog, c->keylog_held + off);
    free(c->keylog_held);
    c->keylog_held = NULL;
    c->keylog_held_len = 0;
    c->hello_pending = 0;
    if (!c->replaying) {
        free(c->hello);
        c->hello = NULL;
        c->hello_len = c->hello_cap = 0;
    }
}

/* Keep bytes the socket gave while the ClientHello is being read. */
static void hello_keep(sconn *c, const uint8_t *p, size_t n)
{
    if (!c->hello_pending)
        return;
    if (c->hello_len + n > HELLO_KEEP_MAX) {
        hello_settle(c); /* no ClientHello is this long: the engine will say so */
        return;
    }
    if (c->hello_len + n > c->hello_cap) {
        size_t cap = c->hello_cap ? c->hello_cap : 2048;
        while (cap < c->hello_len + n)
            cap *= 2;
        uint8_t *grown = realloc(c->hello, cap);
        if (!grown) {
            hello_settle(c);
            return;
        }
        c->hello = grown;
        c->hello_cap = cap;
    }
    memcpy(c->hello + c->hello_len, p, n);
    c->hello_len += n;
}

static const tlsflow_config *site_config(const worker *w, const char *sni, const char **site)
{
    for (unsigned i = 0; i < w->n_sites; i++)
        if (sni[0] && strcasecmp(sni, w->site_name[i]) == 0) {
            *site = w->site_name[i];
            return w->site_cfg[i];
        }
    *site = NULL;
    return w->cfg;
}

static void destroy(sconn *c, const char *outcome);

/* The engine has read the ClientHello (it answered or failed): 0 when this engine stays,
 * 1 when a new one on the site's configuration took its place (pump again), -1 when the
 * connection is gone. Nothing the first engine wrote has been sent. */
static int pick_site(sconn *c)
{
    const char *site;
    const tlsflow_config *cfg = site_config(c->w, tlsflow_get_info(c->tls)->server_name, &site);
    if (cfg == c->cfg) {
        hello_settle(c);
        return 0;
    }
    tlsflow_conn *tls = tlsflow_conn_new(cfg);
    if (!tls) {
        hello_settle(c);
        destroy(c, "out_of_memory");
        return -1;
    }
    tlsflow_conn_free(c->tls);
    c->tls = tls;
    c->cfg = cfg;
    c->site = site;
    trace_store_free(&c->trace); /* the new engine tells the story again */
    free(c->keylog_held);        /* secrets of a handshake that never went out */
    c->keylog_held = NULL;
    c->keylog_held_len = 0;
    c->hello_pending = 0;
    c->replaying = 1;
    c->replay_off = 0;
    return 1;
}

/* Hand the kept bytes to the new engine, as many as it takes now. */
static void feed_replay(sconn *c)
{
    size_t room = 0, left = c->hello_len - c->replay_off;
    uint8_t *p = left ? tlsflow_in_buf(c->tls, &room) : NULL;
    size_t n = p ? (room < left ? room : left) : 0;
    if (n) {
        memcpy(p, c->hello + c->replay_off, n);
        tlsflow_in_ack(c->tls, n);
        c->replay_off += n;
    }
    if (c->replay_off < c->hello_len)
        return;
    free(c->hello);
    c->hello = NULL;
    c->hello_len = c->hello_cap = c->replay_off = 0;
    c->replaying = 0;
    if (c->eof_pending)
        tlsflow_in_ack(c->tls, 0); /* the peer had closed already */
}

/* ---- teardown ---------------------------------------------------------------------- */

static void finalize(sconn *c)
{
    worker *w = c->w;
    sconn_log_write(&w->srv->log, c);
    if (c->prev)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    atomic_fetch_sub(&w->srv->n_conns, 1);
    tlsflow_conn_free(c->tls);
    free(c->req);
    free(c->resp);
    free(c->hello);
    free(c->keylog_held);
    free(c->client_ids);
    free(c->client_hello);
    trace_store_free(&c->trace);
    free(c);
}

static void on_closed(uv_handle_t *h)
{
    sconn *c = h->data;
    if (--c->handles_open > 0)
        return;
    if (c->keyop)
        return; /* a worker thread still reads the engine: the operation's end frees */
    finalize(c);
}

/* Close the socket now. Any queued write is cancelled (its callback still runs
 * before on_closed, so the engine is freed last). */
static void destroy(sconn *c, const char *outcome)
{
    if (c->closing)
        return;
    if (outcome && !c->outcome)
        c->outcome = outcome;
    c->closing = 1;
    uv_read_stop((uv_stream_t *)&c->tcp);
    uv_timer_stop(&c->timer);
    uv_close((uv_handle_t *)&c->tcp, on_closed);
    uv_close((uv_handle_t *)&c->timer, on_closed);
}

static void on_timer(uv_timer_t *t);

/* Queue close_notify and give the peer LINGER_MS to take it. */
static void begin_close(sconn *c, const char *outcome)
{
    if (c->closing)
        return;
    if (outcome && !c->outcome)
        c->outcome = outcome;
    if (c->keyop) {
        c->close_deferred = 1; /* tlsflow_close waits until the operation is back */
        return;
    }
    if (c->phase != PHASE_CLOSING) {
        c->phase = PHASE_CLOSING;
        uv_timer_start(&c->timer, on_timer, LINGER_MS, 0);
        sconn *prev = current;
        current = c;
        tlsflow_close(c->tls);
        current = prev;
    }
    if (!c->in_pump)
        pump(c); /* inside pump, its loop sends the close_notify */
}

static void on_timer(uv_timer_t *t)
{
    sconn *c = t->data;
    switch (c->phase) {
    case PHASE_HANDSHAKE:
        begin_close(c, "handshake_timeout");
        break;
    case PHASE_OPEN:
        begin_close(c, "idle_timeout");
        break;
    case PHASE_CLOSING:
        destroy(c, c->lingering ? NULL : "close_timeout"); /* the engine's error says why */
        break;
    }
}

void sconn_shutdown(sconn *c)
{
    begin_close(c, "shutdown");
}

/* ---- socket side ------------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)suggested;
    sconn *c = h->data;
    size_t room = 0;
    /* While kept bytes are replayed, new ones would overtake them: wait (ENOBUFS). */
    uint8_t *p = c->closing || c->keyop || c->replaying ? NULL : tlsflow_in_buf(c->tls, &room);
    /* room 0 makes libuv report UV_ENOBUFS: the engine must be pumped first. */
    *buf = uv_buf_init((char *)p, p ? (unsigned)room : 0);
}

static void stop_reading(sconn *c)
{
    if (c->reading) {
        uv_read_stop((uv_stream_t *)&c->tcp);
        c->reading = 0;
    }
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    sconn *c = s->data;
    if (nread == 0 || c->closing)
        return; /* EAGAIN */
    if (nread == UV_ENOBUFS) {
        stop_reading(c);
        pump(c);
        return;
    }
    if (nread == UV_EOF) {
        stop_reading(c);
        c->eof_pending = c->hello_pending;
        tlsflow_in_ack(c->tls, 0);
        pump(c);
        return;
    }
    if (nread < 0) {
        destroy(c, "socket_error");
        return;
    }
    c->wire_in += (uint64_t)nread;
    if (c->phase == PHASE_OPEN)
        uv_timer_again(&c->timer);
    hello_keep(c, (const uint8_t *)buf->base, (size_t)nread);
    tlsflow_in_ack(c->tls, (size_t)nread);
    pump(c);
}

static void start_reading(sconn *c)
{
    if (c->reading || c->closing)
        return;
    if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
        destroy(c, "socket_error");
        return;
    }
    c->reading = 1;
}

static void on_write(uv_write_t *req, int status)
{
    sconn *c = req->data;
    free(req);
    c->writing = 0;
    if (c->closing)
        return;
    if (status < 0) {
        destroy(c, "socket_error");
        return;
    }
    c->wire_out += c->write_len;
    tlsflow_out_ack(c->tls, c->write_len);
    pump(c);
}

/* Send the engine's output. 1: all of it left now; 0: a write is in flight, or the
 * connection is gone. */
static int send_out(sconn *c, const uint8_t *p, size_t n)
{
    uv_buf_t b = uv_buf_init((char *)p, (unsigned)n);
    int r = uv_try_write((uv_stream_t *)&c->tcp, &b, 1);
    if (r == UV_EAGAIN)
        r = 0;
    if (r < 0) {
        destroy(c, "socket_error");
        return 0;
    }
    if (r > 0) {
        c->wire_out += (uint64_t)r;
        tlsflow_out_ack(c->tls, (size_t)r);
    }
    if ((size_t)r == n)
        return 1;
    /* The socket is full: queue the rest, fetched again since the ack may move it. The
     * request (192 bytes) is allocated only now: an idle connection holds none. */
    uv_write_t *req = malloc(sizeof(*req));
    if (!req) {
        destroy(c, "out_of_memory");
        return 0;
    }
    p = tlsflow_out_buf(c->tls, &n);
    stop_reading(c);
    b = uv_buf_init((char *)p, (unsigned)n);
    c->write_len = n;
    req->data = c;
    if (uv_write(req, (uv_stream_t *)&c->tcp, &b, 1, on_write) != 0) {
        free(req);
        destroy(c, "socket_error");
        return 0;
    }
    c->writing = 1;
    return 0;
}

/* ---- application side -------------------------------------------------------------- */

/* What a view points at: the engine's tlsflow_info with the ClientHello this connection
 * kept (the engine's own went with its handshake state), and the addresses as text. */
typedef struct {
    tlsflow_info info;
    tlsflow_hello_info hello;
    char peer[HOSTPORT_TEXT_MAX], local[HOSTPORT_TEXT_MAX];
} view_store;

static void fill_view(sconn *c, conn_view *v, view_store *vs)
{
    memset(v, 0, sizeof(*v));
    vs->info = *tlsflow_get_info(c->tls);
    if (c->client_hello) {
        hello_pack_unpack(c->client_hello, &vs->hello);
        vs->info.client_hello = &vs->hello;
    }
    hostport_format(&c->peer.sa, vs->peer, sizeof(vs->peer));
    v->info = &vs->info;
    v->trace = &c->trace;
    v->peer = vs->peer;
    v->local = vs->local;
    v->local_port = hostport_format(&c->local.sa, vs->local, sizeof(vs->local));
    v->requests = c->requests;
    v->wire_in = c->wire_in;
    v->wire_out = c->wire_out;
    v->conn_memory = tlsflow_conn_memory(c->tls);
    v->scenarios = c->w->srv->creds->local;
    v->sites = c->w->n_sites > 0;
    v->site = c->site;
    v->client_ids = c->client_ids;
}

/* If a whole request head is buffered and no response is pending, answer it. */
static void next_request(sconn *c)
{
    if (c->resp || c->req_len == 0 || c->phase != PHASE_OPEN)
        return;
    http_request req;
    http_parse_result r = http_parse(c->req, c->req_len, &req);
    if (r == HTTP_INCOMPLETE)
        return;
    c->requests++;
    conn_view v;
    view_store vs;
    fill_view(c, &v, &vs);
    http_response resp;
    http_app_respond(r, &req, &v, &resp);
    if (r == HTTP_OK && resp.data && !resp.close_after) {
        memmove(c->req, c->req + req.consumed, c->req_len - req.consumed);
        c->req_len -= req.consumed;
    } else {
        c->req_len = 0; /* closing after this answer: the rest is not read */
    }
    if (c->req_len == 0) {
        free(c->req); /* idle keep-alive connections hold no request buffer */
        c->req = NULL;
    }
    if (!resp.data) {
        begin_close(c, "internal_error");
        return;
    }
    c->resp = resp.data;
    c->resp_len = resp.len;
    c->resp_off = 0;
    c->close_after_resp = resp.close_after;
}

/* Hand pending response bytes to the engine. 1 if anything changed. Called only
 * when the engine's output is empty, so a fully handed response is also sent. */
static int push_response(sconn *c)
{
    if (!c->resp)
        return 0;
    if (c->resp_off == c->resp_len) {
        free(c->resp);
        c->resp = NULL;
        if (c->close_after_resp)
            begin_close(c, NULL);
        else
            next_request(c);
        return 1;
    }
    size_t w = tlsflow_app_write(c->tls, c->resp + c->resp_off, c->resp_len - c->resp_off);
    c->resp_off += w;
    return w > 0;
}

/* Take decrypted bytes. 0 when they cannot be taken now (wait for output). */
static int on_app_data(sconn *c)
{
    size_t n;
    const uint8_t *p = tlsflow_app_peek(c->tls, &n);
    if (c->phase != PHASE_OPEN) {
        tlsflow_app_consume(c->tls, n); /* closing: nobody will answer these */
        return 1;
    }
    if (c->w->srv->opts->echo) {
        size_t w = tlsflow_app_write(c->tls, p, n);
        size_t pending;
        tlsflow_out_buf(c->tls, &pending);
        if (w == 0 && pending == 0) {
            begin_close(c, "echo_refused"); /* the engine takes no more data */
            return 1;                       /* pump goes on to send the close_notify */
        }
        tlsflow_app_consume(c->tls, w);
        return 1;
    }
    if (!c->req && !(c->req = malloc(HTTP_HEAD_MAX))) {
        begin_close(c, "out_of_memory");
        return 1;
    }
    size_t take = HTTP_HEAD_MAX - c->req_len;
    if (take == 0)
        return 0; /* pipelined requests pile up while we answer: wait */
    if (take > n)
        take = n;
    memcpy(c->req + c->req_len, p, take);
    c->req_len += take;
    tlsflow_app_consume(c->tls, take);
    next_request(c);
    return 1;
}

/* The client certificate's fingerprints, while the engine still holds it (it lets go of
 * the peer's chain with the handshake state, when the connection first idles). */
static void keep_client_ids(sconn *c)
{
    const tlsflow_info *in = tlsflow_get_info(c->tls);
    size_t len = 0;
    const uint8_t *der = in->client_cert_sent ? tlsflow_peer_cert(c->tls, 0, &len) : NULL;
    uint8_t spki[32];
    if (!der || tlsflow_peer_spki_sha256(c->tls, spki) != 0 || c->client_ids ||
        !(c->client_ids = malloc(sizeof(*c->client_ids))))
        return;
    if (cert_ids_make(der, len, spki, tlsflow_peer_cert_count(c->tls), c->client_ids) != 0) {
        free(c->client_ids);
        c->client_ids = NULL;
    }
}

/* The ClientHello, packed, while the engine still holds it (it goes with the handshake
 * state too). Without memory the pages show an empty one. */
static void keep_client_hello(sconn *c)
{
    if (!c->client_hello)
        c->client_hello = hello_pack_new(tlsflow_get_info(c->tls)->client_hello);
}

static void on_handshake_done(sconn *c)
{
    c->handshake_ns = uv_hrtime() - c->start_ns;
    keep_client_ids(c);
    keep_client_hello(c);
    if (c->phase == PHASE_HANDSHAKE) {
        c->phase = PHASE_OPEN;
        unsigned idle = c->w->srv->opts->idle_timeout_ms;
        uv_timer_start(&c->timer, on_timer, idle, idle);
    }
}

/* ---- closing after a fatal alert -------------------------------------------------------- */

static _Thread_local char discard[4096];

static void discard_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
    (void)h;
    (void)suggested;
    *buf = uv_buf_init(discard, sizeof(discard));
}

static void discard_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
    (void)buf;
    if (nread < 0)
        destroy(s->data, NULL); /* the peer closed too (or the socket failed) */
}

static void on_shutdown(uv_shutdown_t *req, int status)
{
    (void)status; /* UV_ECANCELED when the handle closed first */
    free(req);
}

/* The engine failed and its alert has been written: send FIN after it and drop what the
 * peer still sends until it closes too, for LINGER_MS at most. Closing at once would
 * answer bytes still on their way (the rest of a client's flight, its first request)
 * with a reset, and a reset can make the peer discard the alert unread. */
static void linger_close(sconn *c)
{
    uv_shutdown_t *req = malloc(sizeof(*req));
    stop_reading(c);
    if (!req || uv_shutdown(req, (uv_stream_t *)&c->tcp, on_shutdown) != 0) {
        free(req);
        destroy(c, NULL);
        return;
    }
    c->lingering = 1;
    c->phase = PHASE_CLOSING;
    uv_timer_start(&c->timer, on_timer, LINGER_MS, 0);
    if (uv_read_start((uv_stream_t *)&c->tcp, discard_alloc, discard_read) != 0)
        destroy(c, NULL);
}

/* ---- private-key operations on the thread pool --------------------------------------- */

typedef struct sconn_keyop {
    uv_work_t req;
    sconn *c;
    unsigned delay_ms; /* --key-delay: a slow HSM, for tests */
    keyop_job job;
} sconn_keyop;

static void keyop_work(uv_work_t *req)
{
    sconn_keyop *k = req->data;
    if (k->delay_ms)
        uv_sleep(k->delay_ms);
    keyop_job_run(&k->job);
}

static void keyop_done(uv_work_t *req, int status)
{
    sconn_keyop *k = req->data;
    sconn *c = k->c;
    c->keyop = NULL;
    if (c->closing) { /* destroyed meanwhile: the engine is not called again */
        keyop_job_wipe(&k->job);
        free(k);
        if (c->handles_open == 0)
            finalize(c);
        return;
    }
    int ok = status == 0 && k->job.ok;
    sconn *prev = current;
    current = c;
    tlsflow_key_op_complete(c->tls, ok ? k->job.out : NULL, ok ? k->job.out_len : 0);
    current = prev;
    keyop_job_wipe(&k->job);
    free(k);
    if (c->close_deferred) {
        c->close_deferred = 0;
        begin_close(c, NULL); /* its outcome was recorded when it was asked for */
        return;
    }
    pump(c);
}

static void start_keyop(sconn *c)
{
    sconn_keyop *k = malloc(sizeof(*k));
    if (!k) {
        destroy(c, "out_of_memory");
        return;
    }
    if (keyop_job_take(&k->job, c->tls) != 0) {
        free(k);
        destroy(c, "internal_error");
        return;
    }
    k->c = c;
    k->delay_ms = c->w->srv->opts->key_delay_ms;
    k->req.data = k;
    stop_reading(c); /* reading would call the engine (tlsflow_in_buf) */
    if (uv_queue_work(&c->w->loop, &k->req, keyop_work, keyop_done) != 0) {
        keyop_job_wipe(&k->job);
        free(k);
        destroy(c, "internal_error");
        return;
    }
    c->keyop = k;
}

static void pump(sconn *c)
{
    if (c->keyop || c->lingering)
        return; /* the engine waits for the operation (keyop_done pumps), or is done */
    sconn *prev = current;
    current = c;
    c->in_pump = 1;
    /* Each round makes progress or returns; the bound only catches an engine bug. */
    for (unsigned round = 0; !c->closing && !c->writing; round++) {
        if (round == 1000000) {
            destroy(c, "engine_stuck");
            break;
        }
        if (c->replaying)
            feed_replay(c);
        size_t n;
        const uint8_t *out = tlsflow_out_buf(c->tls, &n);
        if (n > 0) {
            if (!send_out(c, out, n))
                break;
            continue;
        }
        if (push_response(c))
            continue;
        tlsflow_event ev = tlsflow_poll(c->tls);
        if (c->hello_pending && ev != TLSFLOW_NEED_INPUT) {
            int moved = pick_site(c); /* before anything this engine wrote is sent */
            if (moved < 0)
                break;
            if (moved > 0)
                continue;
        }
        if (ev == TLSFLOW_OUTPUT_READY)
            continue;
        if (ev == TLSFLOW_NEED_INPUT) {
            if (c->replaying)
                continue; /* more kept bytes for it first */
            /* Waiting for the peer: an idle established connection gives its buffers
             * back (the engine refuses while anything is buffered); the next read
             * takes them again through on_alloc -> tlsflow_in_buf. */
            tlsflow_conn_release_buffers(c->tls);
            start_reading(c);
            break;
        }
        if (ev == TLSFLOW_HANDSHAKE_DONE) {
            on_handshake_done(c);
            continue;
        }
        if (ev == TLSFLOW_APP_DATA) {
            if (on_app_data(c))
                continue;
            stop_reading(c);
            break;
        }
        if (ev == TLSFLOW_KEY_OPERATION) {
            start_keyop(c);
            break;
        }
        /* TLSFLOW_CLOSED: the outcome is in the engine's error */
        if (tlsflow_last_error(c->tls) != 0 && tlsflow_sent_alert(c->tls) >= 0)
            linger_close(c);
        else
            destroy(c, NULL);
        break;
    }
    c->in_pump = 0;
    current = prev;
}

/* ---- accept ------------------------------------------------------------------------ */

static void on_refused_closed(uv_handle_t *h)
{
    free(h);
}

void sconn_accept(worker *w, uv_stream_t *listener)
{
    server_ctx *srv = w->srv;
    sconn *c = calloc(1, sizeof(*c));
    uv_tcp_t *refused = c ? NULL : malloc(sizeof(*refused));
    uv_tcp_t *tcp = c ? &c->tcp : refused;
    if (!tcp)
        return; /* out of memory: libuv retries when memory is back */
    uv_tcp_init(&w->loop, tcp);
    if (uv_accept(listener, (uv_stream_t *)tcp) != 0) {
        uv_close((uv_handle_t *)tcp, on_refused_closed); /* tcp is first in sconn too */
        return;
    }
    int over = atomic_fetch_add(&srv->n_conns, 1) >= srv->opts->max_conns;
    tlsflow_conn *tls = (over || w->stopping || !c) ? NULL : tlsflow_conn_new(w->cfg);
    if (!tls) {
        atomic_fetch_sub(&srv->n_conns, 1);
        atomic_fetch_add(&srv->n_refused, 1);
        /* Accept and close at once: the client learns now, and the backlog drains. */
        if (c) {
            c->tcp.data = c;
            uv_close((uv_handle_t *)&c->tcp, on_refused_closed);
        } else {
            uv_close((uv_handle_t *)tcp, on_refused_closed);
        }
        return;
    }
    c->w = w;
    c->tls = tls;
    c->cfg = w->cfg;
    c->hello_pending = w->n_sites > 0; /* a site's name may come: keep the ClientHello */
    c->start_ns = uv_hrtime();
    c->tcp.data = c;
    c->timer.data = c;
    c->handles_open = 2;
    uv_timer_init(&w->loop, &c->timer);
    uv_tcp_nodelay(&c->tcp, 1);
    int len = sizeof(c->peer); /* a failed call leaves it zero: shown as "?" */
    uv_tcp_getpeername(&c->tcp, &c->peer.sa, &len);
    len = sizeof(c->local);
    uv_tcp_getsockname(&c->tcp, &c->local.sa, &len);
    c->next = w->conns;
    if (w->conns)
        w->conns->prev = c;
    w->conns = c;
    uv_timer_start(&c->timer, on_timer, srv->opts->handshake_timeout_ms, 0);
    pump(c);
}
