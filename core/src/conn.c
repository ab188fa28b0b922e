/* Connections: the single allocation, the buffers the caller fills and drains, and
 * tlsflow_poll, which turns buffered input into events. */
#include <stdlib.h>
#include <string.h>

#include "handshake.h"
#include "keys13.h"
#include "keyop.h"
#include "msg.h"
#include "keys.h"
#include "record.h"

#define ALIGN16(n) (((n) + 15) & ~(size_t)15)

/* Our largest flight: the server's hello flight, or the client's key exchange flight. */
static size_t hs_out_capacity(const tlsflow_config *cfg)
{
    size_t chain = 0;
    for (size_t i = 0; i < cfg->n_creds; i++) {
        size_t n = cfg->creds[i].chain_bytes + 3 * cfg->creds[i].n_certs;
        if (n > chain)
            chain = n;
    }
    return ALIGN16(chain + 4096);
}

/* Room for one incoming handshake message: the configured cap, except that a server takes
 * any ClientHello its length fields allow (RFC 5246 §7.4.1.2: about 128 KiB). */
static size_t hs_in_capacity(const tlsflow_config *cfg)
{
    size_t cap = cfg->max_handshake;
    if (cfg->role == TLSFLOW_SERVER && cap < TF_MAX_CLIENT_HELLO)
        cap = TF_MAX_CLIENT_HELLO;
    return cap + 4;
}

/* The workspace: handshake state, the record contexts and the rest of tf_work, and the
 * buffers. Everything else is the connection proper, which is all an idle established
 * connection needs. */
static size_t workspace_size(const tlsflow_config *cfg)
{
    return ALIGN16(sizeof(tf_handshake)) + ALIGN16(sizeof(tf_work)) + ALIGN16(TF_IN_CAP) +
           ALIGN16(TF_OUT_CAP) + ALIGN16(hs_in_capacity(cfg)) + hs_out_capacity(cfg) +
           ALIGN16(cfg->peer_chain_cap);
}

size_t tlsflow_conn_size(const tlsflow_config *cfg)
{
    if (!cfg)
        return 0;
    return ALIGN16(sizeof(tlsflow_conn)) + workspace_size(cfg);
}

/* Lay out a workspace for the connection: handshake state and tf_work start empty (no
 * record context keyed yet), the buffers as they come. */
static void attach_workspace(tlsflow_conn *c, void *ws)
{
    uint8_t *p = ws;
    memset(p, 0, TF_HS_ZEROED);
    memset(p + ALIGN16(sizeof(tf_handshake)), 0, sizeof(tf_work));
    c->workspace = ws;
    c->hs = ws;
    p += ALIGN16(sizeof(tf_handshake));
    c->work = (tf_work *)p;
    c->rng = c->cfg->shared_drbg ? c->cfg->shared_drbg : &c->work->drbg;
    p += ALIGN16(sizeof(tf_work));
    c->in = p;
    p += ALIGN16(TF_IN_CAP);
    c->out = p;
    p += ALIGN16(TF_OUT_CAP);
    c->hs_in = p;
    c->hs_in_cap = hs_in_capacity(c->cfg);
    p += ALIGN16(c->hs_in_cap);
    c->hs_out = p;
    c->hs_out_cap = hs_out_capacity(c->cfg);
    p += c->hs_out_cap;
    c->peer_chain = p;
}

static int config_ready(const tlsflow_config *cfg)
{
    if (cfg->role == TLSFLOW_SERVER) /* client certificates need roots to chain to */
        return cfg->n_creds > 0 && (!cfg->client_auth || cfg->trust);
    return cfg->trust != NULL && cfg->server_name[0] != 0;
}

/* What info.client_hello shows when the summary is gone (or for no connection). */
static const tlsflow_hello_info no_hello;

tlsflow_hello_info *tf_hello_store(tlsflow_conn *c)
{
    /* The handshake state's summary or the connection's own: written only while a
     * ClientHello comes, which is never after a release. */
    return c->info.client_hello == &no_hello ? NULL : (tlsflow_hello_info *)c->info.client_hello;
}

/* Everything but the memory: shared by both ways of making a connection. `hello`: the
 * connection's own room for the ClientHello summary, or NULL (it lives in the handshake
 * state). */
static tlsflow_conn *setup(tlsflow_conn *c, void *ws, const tlsflow_config *cfg,
                           tlsflow_hello_info *hello)
{
    memset(c, 0, sizeof(*c));
    c->cfg = cfg;
    c->role = cfg->role;
    attach_workspace(c, ws);
    c->info.client_hello = hello ? hello : &c->hs->hello;
    c->pending_alert = -1;
    c->peer_alert = -1;
    c->sent_alert = -1;
    c->error_text = "no error";
    c->key_update_after = (uint64_t)1 << 24; /* RFC 8446 §5.5: AES-GCM's margin */
    c->hs->flow = tf_flow_for(TF_KX_RSA);    /* every sequence starts with the two hellos */
    if (tf_hash_init(&c->hs->transcript256, TF_HASH_SHA256) ||
        tf_hash_init(&c->hs->transcript384, TF_HASH_SHA384))
        return NULL;
    return c;
}

tlsflow_conn *tlsflow_conn_init(void *mem, size_t size, const tlsflow_config *cfg)
{
    if (!mem || !cfg || ((uintptr_t)mem & 15) || size < tlsflow_conn_size(cfg) ||
        !config_ready(cfg))
        return NULL;
    tlsflow_conn *c = setup(mem, (uint8_t *)mem + ALIGN16(sizeof(tlsflow_conn)), cfg, NULL);
    if (c)
        c->mem_size = size;
    return c;
}

/* Release mode's workspaces: the configured allocator, or the C library's. */
static void *workspace_get(const tlsflow_config *cfg)
{
    size_t size = workspace_size(cfg);
    if (!cfg->ws_get)
        return aligned_alloc(16, size);
    void *ws = cfg->ws_get(cfg->ws_ctx, size);
    if (ws && ((uintptr_t)ws & 15)) {
        cfg->ws_put(cfg->ws_ctx, ws, size); /* misaligned: as if none */
        ws = NULL;
    }
    return ws;
}

static void workspace_put(const tlsflow_config *cfg, void *ws)
{
    if (!ws)
        return;
    if (cfg->ws_put)
        cfg->ws_put(cfg->ws_ctx, ws, workspace_size(cfg));
    else
        free(ws);
}

tlsflow_conn *tlsflow_conn_new(const tlsflow_config *cfg)
{
    if (!cfg || !config_ready(cfg))
        return NULL;
    if (!cfg->release_idle) {
        size_t size = ALIGN16(tlsflow_conn_size(cfg));
        void *mem = aligned_alloc(16, size);
        tlsflow_conn *c = mem ? tlsflow_conn_init(mem, size, cfg) : NULL;
        if (!c) {
            free(mem);
            return NULL;
        }
        c->owned = 1;
        return c;
    }
    /* Release mode: the workspace is a second allocation that comes and goes; the
     * ClientHello summary goes with it unless the configuration keeps it here. */
    size_t hello = cfg->keep_client_hello ? ALIGN16(sizeof(tlsflow_hello_info)) : 0;
    size_t size = ALIGN16(sizeof(tlsflow_conn)) + hello;
    tlsflow_conn *c = aligned_alloc(16, size);
    void *ws = c ? workspace_get(cfg) : NULL;
    tlsflow_hello_info *kept =
        c && hello ? (tlsflow_hello_info *)((uint8_t *)c + ALIGN16(sizeof(tlsflow_conn))) : NULL;
    if (kept)
        memset(kept, 0, sizeof(*kept));
    if (!c || !ws || !setup(c, ws, cfg, kept)) {
        free(c);
        workspace_put(cfg, ws);
        return NULL;
    }
    c->owned = 1;
    c->owns_workspace = 1;
    c->mem_size = size;
    return c;
}

/* Wipe what the workspace ever held (secrets, keyed contexts, plaintext); untouched pages
 * stay untouched. */
static void wipe_workspace(tlsflow_conn *c)
{
    if (!c->workspace)
        return;
    tf_hash_free(&c->hs->transcript256);
    tf_hash_free(&c->hs->transcript384);
    tf_wipe(c->hs, TF_HS_ZEROED);
    tf_wipe(c->hs->session, c->work->session_hw);
    tf_wipe(c->hs->ticket, c->work->ticket_hw);
    tf_wipe(c->in, c->work->in_hw);
    tf_wipe(c->out, c->work->out_hw);
    tf_wipe(c->hs_in, c->work->hs_in_hw);
    tf_wipe(c->hs_out, c->work->hs_out_hw);
    tf_wipe(c->peer_chain, c->work->peer_chain_hw);
    tf_record_drop_contexts(c);
    tf_drbg_free(&c->work->drbg);
    tf_wipe(c->work, sizeof(*c->work));
}

void tlsflow_conn_free(tlsflow_conn *c)
{
    if (!c)
        return;
    int owned = c->owned;
    wipe_workspace(c);
    if (c->owns_workspace)
        workspace_put(c->cfg, c->workspace);
    tf_wipe(c, sizeof(*c)); /* the record keys and secrets */
    if (owned)
        free(c);
}

int tlsflow_conn_release_buffers(tlsflow_conn *c)
{
    int idle = c && c->owns_workspace && c->workspace && c->established && !c->error &&
               !c->close_queued && c->in_len == c->in_off && !c->app_len && !c->out_len &&
               !c->hs_out_len && !c->n_marks && c->pending_alert < 0 && !c->hs_in_len;
    if (!idle)
        return 0;
    if (c->info.client_hello == &c->hs->hello)
        c->info.client_hello = &no_hello; /* gone with the handshake state */
    wipe_workspace(c);
    workspace_put(c->cfg, c->workspace);
    c->workspace = NULL;
    c->hs = NULL;
    c->work = NULL;
    c->rng = c->cfg->shared_drbg;
    c->in = c->out = c->hs_in = c->hs_out = c->peer_chain = NULL;
    c->in_len = c->in_off = c->out_off = c->hs_out_off = 0;
    c->app = NULL;
    return 1;
}

/* Take a workspace back for a released connection; 0 when it has one. */
static int need_workspace(tlsflow_conn *c)
{
    if (c->workspace)
        return 0;
    void *ws = workspace_get(c->cfg);
    if (!ws) {
        if (!c->error) {
            c->error = TLSFLOW_E_INTERNAL;
            c->error_text = "out of memory for the connection's buffers";
        }
        return -1;
    }
    attach_workspace(c, ws);
    return 0;
}

int tf_random(tlsflow_conn *c, uint8_t *out, size_t len)
{
    if (c->cfg->random == tf_default_random)
        return tf_drbg_generate(c->rng, out, len);
    return c->cfg->random(c->cfg->random_ctx, out, len);
}

int tf_random_cb(void *conn, uint8_t *out, size_t len)
{
    return tf_random(conn, out, len);
}

/* ---- the event loop's calls ------------------------------------------------------------------ */

/* Take in every buffered record that can be taken now. Output never holds input back:
 * what a record asks us to send is a flag (one alert slot), not room in the output.
 * Input stops at decrypted data the caller has not consumed, a key operation the
 * caller owes, an error, or a close. */
static void take_input(tlsflow_conn *c)
{
    for (;;) {
        tf_record_flush(c);
        if (c->error || c->app_len || c->close_queued || tf_key_op_waiting(c))
            return;
        if (c->rest_len) {
            const uint8_t *p = c->rest;
            size_t n = c->rest_len;
            c->rest = NULL;
            c->rest_len = 0;
            tf_handshake_bytes(c, p, n);
            continue;
        }
        if (tf_record_process(c) <= 0)
            break;
    }
    if (c->in_eof && !c->error)
        tf_fail(c, TLSFLOW_E_UNEXPECTED_EOF,
                c->in_len > c->in_off ? "the peer closed the transport inside a record"
                                      : "the peer closed the transport without close_notify");
    tf_record_flush(c);
}

/* Everything poll and ready do before they report: 0, or -1 when there is no workspace
 * to work in (released and idle, or none to be had). */
static int advance(tlsflow_conn *c)
{
    if (!c->workspace && !c->in_eof && !c->error)
        return -1; /* released while idle: nothing happened since */
    if (need_workspace(c))
        return -1;
    if (!c->started) {
        c->started = 1;
        tf_handshake_advance(c);
    }
    take_input(c);
    return 0;
}

static int closed(const tlsflow_conn *c)
{
    return !c->out_len && (c->error || (c->close_queued && c->pending_alert < 0));
}

tlsflow_event tlsflow_poll(tlsflow_conn *c)
{
    if (!c)
        return TLSFLOW_CLOSED;
    if (advance(c))
        return c->workspace || c->error || c->in_eof ? TLSFLOW_CLOSED : TLSFLOW_NEED_INPUT;
    if (c->out_len)
        return TLSFLOW_OUTPUT_READY;
    if (c->error)
        return TLSFLOW_CLOSED;
    if (c->established && !c->done_reported) {
        c->done_reported = 1;
        return TLSFLOW_HANDSHAKE_DONE;
    }
    if (c->app_len)
        return TLSFLOW_APP_DATA;
    if (tf_key_op_waiting(c))
        return TLSFLOW_KEY_OPERATION;
    if (closed(c))
        return TLSFLOW_CLOSED;
    return TLSFLOW_NEED_INPUT;
}

/* Room tlsflow_in_buf would offer (sliding unparsed bytes to the front first). */
static size_t in_room(tlsflow_conn *c);

#define TF_MIN_APP_RECORD 4096 /* smallest record app_write cuts while output waits */

static int can_app_write(const tlsflow_conn *c)
{
    return c->established && !c->error && !c->close_queued && !c->hs_out_len && !c->n_marks &&
           c->pending_alert < 0 && c->wr.active;
}

unsigned tlsflow_ready(tlsflow_conn *c)
{
    if (!c)
        return TLSFLOW_READY_CLOSED;
    if (advance(c)) {
        if (!c->workspace && !c->error && !c->in_eof)
            return TLSFLOW_READY_RECV | TLSFLOW_READY_APP_WRITE | TLSFLOW_READY_ESTABLISHED;
        return TLSFLOW_READY_CLOSED;
    }
    unsigned r = 0;
    if (c->out_len)
        r |= TLSFLOW_READY_SEND;
    if (closed(c))
        return r | TLSFLOW_READY_CLOSED;
    if (!c->in_eof && !c->close_queued && in_room(c))
        r |= TLSFLOW_READY_RECV;
    if (c->app_len)
        r |= TLSFLOW_READY_APP_READ;
    if (can_app_write(c) && (c->out_len ? tf_record_room(c) >= TF_MIN_APP_RECORD : 1))
        r |= TLSFLOW_READY_APP_WRITE;
    if (tf_key_op_waiting(c))
        r |= TLSFLOW_READY_KEY_OP;
    if (c->established && !c->error)
        r |= TLSFLOW_READY_ESTABLISHED;
    return r;
}

/* ---- buffers ----------------------------------------------------------------------------------
 */

static size_t in_room(tlsflow_conn *c)
{
    /* Slide unparsed bytes to the front once no plaintext view points into them. The
     * front is where a record's protected payload lands 16-byte aligned: wolfCrypt's
     * portable AES-GCM and ChaCha20 run word-wise only on aligned buffers. */
    size_t front = tf_record_align_pad(&c->rd);
    if (c->in_off != front && !c->app_len && !c->rest_len &&
        (c->in_off > front || c->in_off == c->in_len)) {
        size_t keep = c->in_len - c->in_off;
        memmove(c->in + front, c->in + c->in_off, keep);
        c->in_off = front;
        c->in_len = front + keep;
    }
    return (c->in_eof || c->error) ? 0 : TF_IN_CAP - c->in_len;
}

uint8_t *tlsflow_in_buf(tlsflow_conn *c, size_t *room)
{
    static uint8_t nothing[1]; /* room 0: nothing is ever written here */
    if (room)
        *room = 0;
    if (!c || !room)
        return NULL;
    /* Input that must wait does not take a released connection's buffers back. */
    if (!c->workspace && (c->in_eof || c->error))
        return nothing;
    if (need_workspace(c))
        return NULL;
    *room = in_room(c);
    return c->in + c->in_len;
}

void tlsflow_in_ack(tlsflow_conn *c, size_t n)
{
    if (!c)
        return;
    if (n == 0) {
        c->in_eof = 1;
        return;
    }
    if (!c->workspace || c->in_eof || n > TF_IN_CAP - c->in_len) {
        tf_fail(c, TLSFLOW_E_USAGE, "tlsflow_in_ack: more bytes than tlsflow_in_buf offered");
        return;
    }
    c->in_len += n;
    tf_note_high_water(&c->work->in_hw, c->in_len);
}

const uint8_t *tlsflow_out_buf(tlsflow_conn *c, size_t *len)
{
    if (len)
        *len = c ? c->out_len : 0;
    return c && c->out ? c->out + c->out_off : NULL;
}

void tlsflow_out_ack(tlsflow_conn *c, size_t n)
{
    if (!c)
        return;
    if (n > c->out_len) {
        tf_fail(c, TLSFLOW_E_USAGE, "tlsflow_out_ack: more bytes than tlsflow_out_buf offered");
        return;
    }
    c->out_off += n;
    c->out_len -= n;
    if (c->out_len == 0)
        c->out_off = 0;
}

const uint8_t *tlsflow_app_peek(tlsflow_conn *c, size_t *len)
{
    if (len)
        *len = c ? c->app_len : 0;
    return c ? c->app : NULL;
}

void tlsflow_app_consume(tlsflow_conn *c, size_t n)
{
    if (!c)
        return;
    if (n > c->app_len) {
        tf_fail(c, TLSFLOW_E_USAGE, "tlsflow_app_consume: more bytes than tlsflow_app_peek showed");
        return;
    }
    c->app += n;
    c->app_len -= n;
}

size_t tlsflow_app_write(tlsflow_conn *c, const void *data, size_t len)
{
    if (!c || len == 0 || !data || !c->established || need_workspace(c))
        return 0;
    /* RFC 8446 §5.5: new keys before the AEAD's usage limit. */
    if (c->version == TF_TLS13 && c->wr.seq >= c->key_update_after && !c->key_update_pending &&
        tf13_send_key_update(c, 0))
        return 0;
    tf_record_flush(c); /* queued handshake or alert bytes go first */
    if (!can_app_write(c))
        return 0;
    size_t n = tf_record_room(c);
    if (n > len)
        n = len;
    /* Wait for the output to drain rather than cut the data into slivers. */
    if (c->out_len && n < (len < TF_MIN_APP_RECORD ? len : TF_MIN_APP_RECORD))
        return 0;
    if (n == 0 || tf_record_write(c, TF_CT_APPDATA, data, n))
        return 0;
    c->info.records_out++;
    c->info.app_bytes_out += n;
    return n;
}

void tlsflow_close(tlsflow_conn *c)
{
    if (!c || c->close_queued || c->error || need_workspace(c))
        return;
    c->close_queued = 1;
    c->pending_alert = TLSFLOW_ALERT_CLOSE_NOTIFY;
    c->pending_alert_fatal = 0;
    c->hs_out_len = c->hs_out_off = 0;
    c->n_marks = 0;
}

/* ---- what happened ----------------------------------------------------------------------------
 */

int tlsflow_last_error(const tlsflow_conn *c)
{
    return c ? c->error : TLSFLOW_E_USAGE;
}

const char *tlsflow_last_error_text(const tlsflow_conn *c)
{
    if (!c)
        return "no connection (NULL)";
    if (!c->error && c->close_received)
        return "closed cleanly by the peer (close_notify)";
    if (!c->error && c->close_queued)
        return "closed cleanly (close_notify sent)";
    return c->error_text ? c->error_text : "no error";
}

int tlsflow_peer_alert(const tlsflow_conn *c)
{
    return c ? c->peer_alert : -1;
}

int tlsflow_sent_alert(const tlsflow_conn *c)
{
    return c ? c->sent_alert : -1;
}

const tlsflow_info *tlsflow_get_info(const tlsflow_conn *c)
{
    static const tlsflow_info none = {.client_hello = &no_hello};
    return c ? &c->info : &none;
}

size_t tlsflow_conn_memory(const tlsflow_conn *c)
{
    if (!c)
        return 0;
    return c->mem_size + (c->owns_workspace && c->workspace ? workspace_size(c->cfg) : 0);
}

tlsflow_role tlsflow_conn_role(const tlsflow_conn *c)
{
    return c ? c->role : (tlsflow_role)0;
}
