/* fuzz_config: what a user hands the configuration API from files and settings: trust
 * anchors and credentials (PEM or DER certificates; RSA or EC keys as PKCS#1, SEC1 or
 * PKCS#8, PEM or DER), the server name, ALPN, cipher suites, groups, signature schemes and
 * the handshake cap. Unlike the other harnesses, a fresh configuration is built for every
 * input (the configuration is what is under test) and freed at the end.
 *
 * Byte 0: bit 0 the role (0 client, 1 server); bit 1 make the connection in caller memory
 * (tlsflow_conn_init) instead of tlsflow_conn_new; bit 2 run a handshake against a fixture
 * peer instead of one poll; bits 3-5 that peer's configuration (TFF_CLIENT_* when we are
 * the server, TFF_SERVER_* when we are the client), plus 8 with bit 6. Then calls until the
 * input runs out (at most MAX_OPS), each an opcode byte (mod OP_COUNT; TFF_EXTENDED, 0xff:
 * the next byte is an extended opcode, mod X_COUNT) and its arguments, u16 and u32
 * big-endian:
 *   0 add_trust_anchors      [u16 n][n bytes] (a server's: roots for client certificates)
 *   1 add_credential         [u16 n][chain][u16 m][key][u8 s][s bytes of SNI name; 0: NULL]
 *   2 set_server_name        [u16 n][n bytes] (n mod 512; 511: NULL)
 *   3 set_alpn               [u8 c][c x ([u8 n][n bytes]; n 0: a NULL entry)]
 *                            (c bits 0-5 the count; bit 7: NULL array, no entries follow)
 *   4 set_cipher_suites      [u8 c][c x u16] (c bits 0-4 the count; bit 7: NULL array)
 *   5 set_groups             likewise
 *   6 set_signature_schemes  likewise
 *   7 set_max_handshake_size [u32]
 *   8 set_offer_ems          [u8]
 *   9 set_release_idle_buffers [u8]
 * extended:
 *   0 set_ticket_keys        [u8 n][n x 48 bytes] (n mod 16)
 *   1 set_ticket_policy      [u32 lifetime][u8 count]
 *   2 set_versions           [u16 min][u16 max]
 *   3 set_record_size_limit  [u16]
 *   4 set_client_auth        [u8 mode] (mod 4)
 *   5 set_key_offload        [u8] (operations then answered at once, tff_key_op_now)
 *   6 set_keep_client_hello  [u8]
 *   7 set_workspace_allocator [u8] (mod 3: none, the C library's through callbacks, a get
 *                            without a put)
 *   8 set_one_thread         [u8]
 *   9 callbacks              [u8] (bit 0 session, 1 NewSessionTicket, 2 trace, 3 key log,
 *                            4 verification hook: fuzz_common's checking ones)
 *  10 the defaults           random source and clock back to wolfCrypt's DRBG and the wall
 *                            clock (the one setting that makes a run depend on more than
 *                            its input; the invariants do not)
 * Names (SNI, server name, ALPN) are copied and NUL-terminated, so an embedded NUL cuts
 * them short.
 *
 * Invariants: every call returns 0 or one of TLSFLOW_E_USAGE, _CONFIG, _INTERNAL, with a
 * known tlsflow_error_name; an accepted list holds only values the engine names, an
 * accepted name or ALPN list is well-formed. tlsflow_conn_new (or conn_init) succeeds
 * exactly when the configuration is complete: a server with an accepted credential (and
 * accepted anchors if it asks for client certificates), a client with accepted anchors and
 * a server name. A server's first poll waits for input, a client's sends its
 * hello, with no error. A handshake against a fixture peer ends (both done, or a side
 * closed with an error other than E_INTERNAL, never a silent wedge), passes tff_check on
 * both sides after every poll, and what it negotiates is something our configuration
 * allowed (versions included). A client whose versions leave none of its suites fails at
 * its first poll with E_CONFIG. tlsflow_config_free cleans up (LeakSanitizer). */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "tf_test.h"

#define MAX_OPS  64
#define MAX_LIST 31
#define MAX_ALPN 63
#define NAME_CAP 512

enum {
    OP_ANCHORS,
    OP_CREDENTIAL,
    OP_SERVER_NAME,
    OP_ALPN,
    OP_SUITES,
    OP_GROUPS,
    OP_SCHEMES,
    OP_MAX_HANDSHAKE,
    OP_EMS,
    OP_RELEASE,
    OP_COUNT
};
enum {
    X_TICKET_KEYS,
    X_TICKET_POLICY,
    X_VERSIONS,
    X_RECORD_SIZE_LIMIT,
    X_CLIENT_AUTH,
    X_KEY_OFFLOAD,
    X_KEEP_HELLO,
    X_WORKSPACE,
    X_ONE_THREAD,
    X_CALLBACKS,
    X_DEFAULTS,
    X_COUNT
};

/* What the configuration accepted so far: a failed call leaves the previous setting. */
typedef struct {
    tlsflow_role role;
    int creds, anchors, name;
    int client_auth; /* a server's accepted mode: it needs anchors then */
    char server_name[NAME_CAP];
    uint16_t suites[MAX_LIST], groups[MAX_LIST], schemes[MAX_LIST];
    size_t n_suites, n_groups, n_schemes; /* 0: the default list */
    uint8_t alpn[512];                    /* accepted protocols, u8-prefixed */
    size_t alpn_len;
    int offer_ems;
    int release;
    uint16_t min_version, max_version; /* 0: the defaults (TLS 1.2 to 1.3) */
} accepted;

static int check_rc(int rc)
{
    const char *name = tlsflow_error_name(rc);
    TFF_CHECK(name != NULL);
    TFF_CHECK(rc == TLSFLOW_OK || rc == TLSFLOW_E_USAGE || rc == TLSFLOW_E_CONFIG ||
              rc == TLSFLOW_E_INTERNAL);
    TFF_CHECK(rc == TLSFLOW_OK || strcmp(name, "TLSFLOW_E_UNKNOWN") != 0);
    return rc;
}

/* n bytes of input as a NUL-terminated string in buf (cap bytes). */
static char *take_name(tff_input *in, size_t n, char *buf, size_t cap)
{
    const uint8_t *p;
    if (n >= cap)
        n = cap - 1;
    n = tff_take(in, n, &p);
    memcpy(buf, p, n);
    buf[n] = 0;
    return buf;
}

static int listed(const uint16_t *list, size_t n, uint16_t v)
{
    for (size_t i = 0; i < n; i++)
        if (list[i] == v)
            return 1;
    return 0;
}

typedef int (*set_list_fn)(tlsflow_config *, const uint16_t *, size_t);
typedef const char *(*name_fn)(uint16_t);

static void op_list(tlsflow_config *cfg, tff_input *in, set_list_fn set, name_fn named,
                    uint16_t *kept, size_t *n_kept)
{
    uint8_t c = tff_u8(in);
    size_t n = c & MAX_LIST;
    uint16_t ids[MAX_LIST];
    int null = (c & 0x80) != 0;
    if (!null)
        for (size_t i = 0; i < n; i++)
            ids[i] = tff_u16(in);
    int rc = check_rc(set(cfg, null ? NULL : ids, n));
    if (null || n == 0)
        TFF_CHECK(rc != 0);
    if (rc == 0) {
        for (size_t i = 0; i < n; i++)
            TFF_CHECK(named(ids[i]) != NULL); /* only what the engine knows */
        memcpy(kept, ids, n * sizeof(*ids));
        *n_kept = n;
    }
}

static void op_alpn(tlsflow_config *cfg, tff_input *in, accepted *a)
{
    static char names[MAX_ALPN][256];
    const char *protos[MAX_ALPN];
    uint8_t c = tff_u8(in);
    size_t n = c & MAX_ALPN;
    int null = (c & 0x80) != 0;
    if (!null)
        for (size_t i = 0; i < n; i++) {
            uint8_t len = tff_u8(in);
            protos[i] = len ? take_name(in, len, names[i], sizeof(names[i])) : NULL;
        }
    int rc = check_rc(tlsflow_config_set_alpn(cfg, null ? NULL : protos, n));
    if (null && n)
        TFF_CHECK(rc != 0);
    if (rc != 0)
        return;
    /* Accepted: RFC 7301 names, non-empty, at most 255 bytes each. */
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        TFF_CHECK(protos[i] != NULL);
        size_t l = strlen(protos[i]);
        TFF_CHECK(l >= 1 && l <= 255 && len + 1 + l <= sizeof(a->alpn));
        a->alpn[len++] = (uint8_t)l;
        memcpy(a->alpn + len, protos[i], l);
        len += l;
    }
    a->alpn_len = len;
}

static void op_credential(tlsflow_config *cfg, tff_input *in, accepted *a)
{
    const uint8_t *chain, *key;
    char sni[256];
    size_t chain_len = tff_take(in, tff_u16(in), &chain);
    size_t key_len = tff_take(in, tff_u16(in), &key);
    uint8_t s = tff_u8(in);
    const char *name = s ? take_name(in, s, sni, sizeof(sni)) : NULL;
    int rc = check_rc(tlsflow_config_add_credential(cfg, chain, chain_len, key, key_len, name));
    if (a->role != TLSFLOW_SERVER && name) /* a client's (mutual TLS) answers no SNI name */
        TFF_CHECK(rc == TLSFLOW_E_USAGE);
    if (chain_len == 0 || key_len == 0)
        TFF_CHECK(rc != 0);
    if (rc == 0 && a->role == TLSFLOW_SERVER)
        a->creds++;
}

static void *ws_get(void *ctx, size_t size)
{
    (void)ctx;
    return aligned_alloc(16, size);
}

static void ws_put(void *ctx, void *mem, size_t size)
{
    (void)ctx;
    (void)size;
    free(mem);
}

static void apply_extended(tlsflow_config *cfg, tff_input *in, accepted *a)
{
    int server = a->role == TLSFLOW_SERVER, rc;
    uint8_t b;
    switch (tff_u8(in) % X_COUNT) {
    case X_TICKET_KEYS: {
        tlsflow_ticket_key keys[16];
        size_t n = tff_u8(in) % 16;
        for (size_t i = 0; i < n; i++) {
            const uint8_t *p;
            size_t got = tff_take(in, sizeof(keys[i]), &p);
            memset(&keys[i], 0, sizeof(keys[i]));
            memcpy(&keys[i], p, got);
        }
        rc = check_rc(tlsflow_config_set_ticket_keys(cfg, keys, n));
        TFF_CHECK((rc == 0) == (server && n <= 8));
        break;
    }
    case X_TICKET_POLICY: {
        uint32_t hi = tff_u16(in), lifetime = hi << 16 | tff_u16(in);
        unsigned count = tff_u8(in);
        rc = check_rc(tlsflow_config_set_ticket_policy(cfg, lifetime, count));
        TFF_CHECK((rc == 0) == (server && lifetime >= 1 && lifetime <= 604800 && count <= 8));
        break;
    }
    case X_VERSIONS: {
        uint16_t min = tff_u16(in), max = tff_u16(in);
        rc = check_rc(tlsflow_config_set_versions(cfg, min, max));
        TFF_CHECK((rc == 0) ==
                  (min >= TLSFLOW_VERSION_TLS12 && min <= max && max <= TLSFLOW_VERSION_TLS13));
        if (rc == 0) {
            a->min_version = min;
            a->max_version = max;
        }
        break;
    }
    case X_RECORD_SIZE_LIMIT: {
        size_t limit = tff_u16(in);
        rc = check_rc(tlsflow_config_set_record_size_limit(cfg, limit));
        TFF_CHECK((rc == 0) == (limit == 0 || (limit >= 64 && limit <= TLSFLOW_MAX_PLAINTEXT)));
        break;
    }
    case X_CLIENT_AUTH:
        b = tff_u8(in) % 4;
        rc = check_rc(tlsflow_config_set_client_auth(cfg, (tlsflow_client_auth)b));
        TFF_CHECK((rc == 0) == (server && b <= TLSFLOW_CLIENT_AUTH_REQUIRED));
        if (rc == 0)
            a->client_auth = b;
        break;
    case X_KEY_OFFLOAD:
        tlsflow_config_set_key_offload(cfg, tff_u8(in) & 1);
        break;
    case X_KEEP_HELLO:
        tlsflow_config_set_keep_client_hello(cfg, tff_u8(in) & 1);
        break;
    case X_WORKSPACE:
        b = tff_u8(in) % 3;
        rc = check_rc(tlsflow_config_set_workspace_allocator(cfg, b ? ws_get : NULL,
                                                             b == 1 ? ws_put : NULL, NULL));
        TFF_CHECK((rc == 0) == (b != 2));
        break;
    case X_ONE_THREAD:
        rc = check_rc(tlsflow_config_set_one_thread(cfg, tff_u8(in) & 1));
        TFF_CHECK(rc == 0 || rc == TLSFLOW_E_INTERNAL);
        break;
    case X_CALLBACKS:
        b = tff_u8(in);
        tlsflow_config_set_session_callback(cfg, (b & 1) ? tff_session_check : NULL, NULL);
        tlsflow_config_set_ticket_callback(cfg, (b & 2) ? tff_ticket_check : NULL, NULL);
        tlsflow_config_set_trace(cfg, (b & 4) ? tff_trace_check : NULL, NULL);
        tlsflow_config_set_keylog(cfg, (b & 8) ? tff_keylog_check : NULL, NULL);
        tlsflow_config_set_verify(cfg, (b & 16) ? tff_verify_hook : NULL, NULL);
        break;
    case X_DEFAULTS:
        tlsflow_config_set_random(cfg, NULL, NULL);
        tlsflow_config_set_time(cfg, NULL, NULL);
        break;
    }
}

static void apply(tlsflow_config *cfg, tff_input *in, accepted *a)
{
    const uint8_t *p;
    size_t n;
    char name[NAME_CAP];
    int rc;
    uint8_t op = tff_u8(in);
    if (op == TFF_EXTENDED) {
        apply_extended(cfg, in, a);
        return;
    }
    switch (op % OP_COUNT) {
    case OP_ANCHORS:
        n = tff_take(in, tff_u16(in), &p);
        rc = check_rc(tlsflow_config_add_trust_anchors(cfg, p, n));
        if (n == 0)
            TFF_CHECK(rc != 0);
        a->anchors |= rc == 0; /* a server's: roots for client certificates */
        break;
    case OP_CREDENTIAL:
        op_credential(cfg, in, a);
        break;
    case OP_SERVER_NAME: {
        n = tff_u16(in) % NAME_CAP;
        const char *s = n == NAME_CAP - 1 ? NULL : take_name(in, n, name, sizeof(name));
        rc = check_rc(tlsflow_config_set_server_name(cfg, s));
        if (rc == 0) {
            /* A host name (RFC 1035: at most 255 bytes), or an IP literal; printable
             * ASCII only, so SNI can carry it. */
            TFF_CHECK(s != NULL && s[0] != 0 && strlen(s) <= 255);
            for (const char *q = s; *q; q++)
                TFF_CHECK((uint8_t)*q > 0x20 && (uint8_t)*q < 0x7f);
            strcpy(a->server_name, s);
            a->name = 1;
        }
        break;
    }
    case OP_ALPN:
        op_alpn(cfg, in, a);
        break;
    case OP_SUITES:
        op_list(cfg, in, tlsflow_config_set_cipher_suites, tlsflow_suite_name, a->suites,
                &a->n_suites);
        break;
    case OP_GROUPS:
        op_list(cfg, in, tlsflow_config_set_groups, tlsflow_group_name, a->groups, &a->n_groups);
        break;
    case OP_SCHEMES:
        op_list(cfg, in, tlsflow_config_set_signature_schemes, tlsflow_signature_scheme_name,
                a->schemes, &a->n_schemes);
        break;
    case OP_MAX_HANDSHAKE: {
        uint32_t hi = tff_u16(in);
        size_t bytes = (size_t)(hi << 16 | tff_u16(in));
        check_rc(tlsflow_config_set_max_handshake_size(cfg, bytes));
        break;
    }
    case OP_EMS:
        a->offer_ems = tff_u8(in) & 1;
        tlsflow_config_set_offer_ems(cfg, a->offer_ems);
        break;
    case OP_RELEASE:
        a->release = tff_u8(in) & 1;
        tlsflow_config_set_release_idle_buffers(cfg, a->release);
        break;
    }
}

/* One step of a side: poll, check, and hand its output to the peer (dropped if the peer
 * takes no more, as a closed socket would). Returns the event. */
static tlsflow_event step(tlsflow_conn *from, tff_watch *w, tlsflow_conn *to)
{
    tlsflow_event ev = tlsflow_poll(from);
    tff_check(from, w, ev);
    tff_observe(from, w, NULL, 0);
    if (ev == TLSFLOW_KEY_OPERATION) /* key offload: answered at once */
        tff_key_op_now(from);
    if (ev == TLSFLOW_OUTPUT_READY) {
        size_t n, room;
        const uint8_t *p = tlsflow_out_buf(from, &n);
        TFF_CHECK(n > 0);
        uint8_t *dst = tlsflow_in_buf(to, &room);
        size_t m = n < room ? n : room;
        if (m) {
            memcpy(dst, p, m);
            tlsflow_in_ack(to, m);
        } else {
            m = n;
        }
        tlsflow_out_ack(from, m);
    }
    return ev;
}

/* What a finished handshake negotiated is something our configuration allowed. */
static void check_negotiated(const tlsflow_conn *c, const accepted *a)
{
    const tlsflow_info *info = tlsflow_get_info(c);
    TFF_CHECK(info->version == 0x0303 || info->version == 0x0304);
    TFF_CHECK(tlsflow_suite_name(info->cipher_suite) != NULL);
    if (a->n_suites)
        TFF_CHECK(listed(a->suites, a->n_suites, info->cipher_suite));
    if (strcmp(info->key_exchange, "ECDHE") == 0) {
        TFF_CHECK(tlsflow_group_name(info->group) != NULL);
        TFF_CHECK(tlsflow_signature_scheme_name(info->signature_scheme) != NULL);
        if (a->n_groups)
            TFF_CHECK(listed(a->groups, a->n_groups, info->group));
        if (a->n_schemes)
            TFF_CHECK(listed(a->schemes, a->n_schemes, info->signature_scheme));
    }
    if (a->role == TLSFLOW_CLIENT && !a->offer_ems)
        TFF_CHECK(!info->ems);
    if (a->min_version)
        TFF_CHECK(info->version >= a->min_version && info->version <= a->max_version);
    if (info->alpn[0]) {
        /* Only a protocol on our list (none configured: none chosen). */
        size_t l = strlen(info->alpn), i = 0;
        int found = 0;
        while (i < a->alpn_len && !found) {
            size_t n = a->alpn[i];
            found = n == l && memcmp(a->alpn + i + 1, info->alpn, l) == 0;
            i += 1 + n;
        }
        TFF_CHECK(found);
    }
}

/* Our connection against a fixture peer, each poll checked; the run must end. */
static void handshake(tlsflow_conn *mine, int peer_variant, const accepted *a)
{
    tlsflow_conn *peer =
        a->role == TLSFLOW_SERVER ? tff_client_new(peer_variant) : tff_server_new(peer_variant);
    TFF_CHECK(peer != NULL);
    tff_watch wm = {0}, wp = {0};
    for (int i = 0;; i++) {
        TFF_CHECK(i < 10000); /* every round moves bytes or ends a side */
        tlsflow_event em = step(mine, &wm, peer);
        tlsflow_event ep = step(peer, &wp, mine);
        if ((wm.done && wp.done) || (wm.closed && wp.closed))
            break;
        if (em == TLSFLOW_NEED_INPUT && ep == TLSFLOW_NEED_INPUT)
            break;
        if ((wm.closed && ep == TLSFLOW_NEED_INPUT) || (wp.closed && em == TLSFLOW_NEED_INPUT))
            break; /* the survivor waits for a peer that has gone */
    }
    /* No silent wedge: both done, or someone failed; never for an internal reason. */
    TFF_CHECK((wm.done && wp.done) || wm.error || wp.error);
    TFF_CHECK(wp.error != TLSFLOW_E_INTERNAL);
    TFF_CHECK(wm.error != TLSFLOW_E_INTERNAL);
    if (wm.done && wp.done) {
        TFF_CHECK(!wm.error && !wp.error);
        TFF_CHECK(tlsflow_get_info(mine)->cipher_suite == tlsflow_get_info(peer)->cipher_suite);
        check_negotiated(mine, a);
    }
    tlsflow_conn_free(peer);
}

/* Does the client have a suite of a version it offers? */
static int suite_for_versions(const accepted *a)
{
    uint16_t min = a->min_version ? a->min_version : TLSFLOW_VERSION_TLS12;
    uint16_t max = a->min_version ? a->max_version : TLSFLOW_VERSION_TLS13;
    if (!a->n_suites)
        return 1; /* every suite */
    for (size_t i = 0; i < a->n_suites; i++) {
        int tls13 = a->suites[i] >> 8 == 0x13;
        if (tls13 ? max >= TLSFLOW_VERSION_TLS13 : min <= TLSFLOW_VERSION_TLS12)
            return 1;
    }
    return 0;
}

static void make_connection(const tlsflow_config *cfg, uint8_t opt, const accepted *a)
{
    /* A server that asks for client certificates needs roots to check them against. */
    int ready = a->role == TLSFLOW_SERVER ? a->creds > 0 && (!a->client_auth || a->anchors)
                                          : a->anchors && a->name;
    tlsflow_conn *c;
    void *mem = NULL;
    if (opt & 2) {
        size_t size = tlsflow_conn_size(cfg);
        TFF_CHECK(size > 0);
        mem = aligned_alloc(16, (size + 15) & ~(size_t)15);
        TFF_CHECK(mem != NULL);
        TFF_CHECK(tlsflow_conn_init(mem, size - 16, cfg) == NULL); /* too small */
        c = tlsflow_conn_init(mem, size, cfg);
    } else {
        c = tlsflow_conn_new(cfg);
    }
    TFF_CHECK((c != NULL) == ready); /* exactly the complete configurations */
    if (c) {
        TFF_CHECK(tlsflow_conn_role(c) == a->role);
        if (opt & 4) {
            handshake(c, ((opt >> 3) & 7) | ((opt >> 3) & 8), a);
        } else {
            tff_watch w = {0};
            tlsflow_event ev = tlsflow_poll(c);
            tff_check(c, &w, ev);
            if (a->role == TLSFLOW_CLIENT && !suite_for_versions(a)) {
                TFF_CHECK(w.error == TLSFLOW_E_CONFIG); /* (its alert may wait to go out) */
            } else {
                /* A server waits for the ClientHello; a client sends its own (no alert). */
                TFF_CHECK(ev ==
                          (a->role == TLSFLOW_SERVER ? TLSFLOW_NEED_INPUT : TLSFLOW_OUTPUT_READY));
                TFF_CHECK(w.error == 0);
            }
        }
        tlsflow_conn_free(c);
    }
    free(mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tff_reset();
    tff_input in = {data, size};
    uint8_t opt = tff_u8(&in);
    accepted a;
    memset(&a, 0, sizeof(a));
    a.role = (opt & 1) ? TLSFLOW_SERVER : TLSFLOW_CLIENT;
    a.offer_ems = 1;
    tlsflow_config *cfg = tlsflow_config_new(a.role);
    TFF_CHECK(cfg != NULL);
    /* Deterministic (unless the input asks for the defaults, X_DEFAULTS), so any finding
     * reproduces from its file. */
    tft_rng rng = {a.role == TLSFLOW_SERVER ? TFF_SERVER_SEED : TFF_CLIENT_SEED};
    tlsflow_config_set_random(cfg, tft_random, &rng);
    tlsflow_config_set_time(cfg, tft_time, NULL);
    for (int i = 0; i < MAX_OPS && in.len; i++)
        apply(cfg, &in, &a);
    make_connection(cfg, opt, &a);
    tlsflow_config_free(cfg);
    return 0;
}
