/* Hello extensions: one parser per known extension, a table to dispatch, duplicates
 * rejected, unknown types (GREASE included) ignored. */
#include <string.h>

#include "msg.h"
#include "tlsflow/tlsflow.h"

int tf_is_grease(uint16_t v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

int tf_alpn_contains(const uint8_t *list, size_t list_len, const uint8_t *name, size_t len)
{
    tf_reader r = tf_reader_init(list, list_len);
    while (r.len) {
        tf_reader n;
        if (!tf_get_vector(&r, 1, &n))
            return 0;
        if (n.len == len && memcmp(n.p, name, len) == 0)
            return 1;
    }
    return 0;
}

void tf_alpn_to_text(const uint8_t *list, size_t list_len, char *out, size_t cap)
{
    size_t o = 0;
    tf_reader r = tf_reader_init(list, list_len), name;
    out[0] = 0;
    while (r.len && tf_get_vector(&r, 1, &name)) {
        if (o + name.len + 2 > cap)
            break;
        if (o)
            out[o++] = ',';
        memcpy(out + o, name.p, name.len);
        o += name.len;
        out[o] = 0;
    }
}

typedef int (*ext_parser)(tf_reader *body, int ctx, tf_hello_exts *out, const char **why);

/* RFC 6066 §3: a list holding exactly one host_name; the server's echo is empty. */
static int parse_sni(tf_reader *body, int ctx, tf_hello_exts *out, const char **why)
{
    if (ctx) {
        if (body->len != 0)
            return *why = "server_name: the server's echo must be empty", TLSFLOW_E_DECODE;
        out->sni = 1;
        return TLSFLOW_OK;
    }
    tf_reader list, name;
    uint8_t type;
    if (!tf_get_vector_bounded(body, 2, 1, 0xffff, &list) || !tf_reader_done(body))
        return *why = "server_name: malformed list", TLSFLOW_E_DECODE;
    while (list.len) {
        if (!tf_get_u8(&list, &type) || !tf_get_vector_bounded(&list, 2, 1, 0xffff, &name))
            return *why = "server_name: malformed entry", TLSFLOW_E_DECODE;
        if (type != 0)
            continue; /* unknown name types are skipped */
        if (out->sni_host.p)
            return *why = "server_name: more than one host_name", TLSFLOW_E_ILLEGAL_PARAMETER;
        if (name.len > 255)
            return *why = "server_name: host name longer than 255 bytes",
                   TLSFLOW_E_ILLEGAL_PARAMETER;
        for (size_t i = 0; i < name.len; i++)
            if (name.p[i] <= 0x20 || name.p[i] >= 0x7f)
                return *why = "server_name: host name is not printable ASCII",
                       TLSFLOW_E_ILLEGAL_PARAMETER;
        out->sni_host.p = name.p;
        out->sni_host.len = name.len;
    }
    out->sni = 1;
    return TLSFLOW_OK;
}

static int parse_ems(tf_reader *body, int ctx, tf_hello_exts *out, const char **why)
{
    (void)ctx;
    if (body->len != 0)
        return *why = "extended_master_secret: must be empty", TLSFLOW_E_DECODE;
    out->ems = 1;
    return TLSFLOW_OK;
}

static int parse_ri(tf_reader *body, int ctx, tf_hello_exts *out, const char **why)
{
    (void)ctx;
    tf_reader data;
    if (!tf_get_vector(body, 1, &data) || !tf_reader_done(body))
        return *why = "renegotiation_info: malformed", TLSFLOW_E_DECODE;
    out->ri = 1;
    out->ri_data.p = data.p;
    out->ri_data.len = data.len;
    return TLSFLOW_OK;
}

/* RFC 7301 §3.1: non-empty list of non-empty names; a server selects exactly one. */
static int parse_alpn(tf_reader *body, int ctx, tf_hello_exts *out, const char **why)
{
    tf_reader list;
    if (!tf_get_vector_bounded(body, 2, 2, 0xffff, &list) || !tf_reader_done(body))
        return *why = "ALPN: malformed protocol list", TLSFLOW_E_DECODE;
    out->alpn_list.p = list.p;
    out->alpn_list.len = list.len;
    size_t count = 0;
    while (list.len) {
        tf_reader name;
        if (!tf_get_vector_bounded(&list, 1, 1, 255, &name))
            return *why = "ALPN: empty or truncated protocol name", TLSFLOW_E_DECODE;
        count++;
    }
    if (ctx && count != 1)
        return *why = "ALPN: the server must select exactly one protocol", TLSFLOW_E_DECODE;
    out->alpn = 1;
    return TLSFLOW_OK;
}

/* A u16-prefixed list of u16 values, non-empty (signature_algorithms, groups). */
static int parse_u16_list(tf_reader *body, tf_view *out, const char **why, const char *msg)
{
    tf_reader list;
    if (!tf_get_vector_bounded(body, 2, 2, 0xfffe, &list) || !tf_reader_done(body) || list.len % 2)
        return *why = msg, TLSFLOW_E_DECODE;
    out->p = list.p;
    out->len = list.len;
    return TLSFLOW_OK;
}

static int parse_sig_algs(tf_reader *body, int ctx, tf_hello_exts *out, const char **why)
{
    (void)ctx;
    out->sig_algs = 1;
    return parse_u16_list(body, &out->sig_algs_list, why, "signature_algorithms: malformed");
}

static int parse_groups(tf_reader *body, int ctx, tf_hello_exts *out, const char **why)
{
    (void)ctx;
    out->groups = 1;
    return parse_u16_list(body, &out->groups_list, why, "supported_groups: malformed");
}

static int parse_point_formats(tf_reader *body, int ctx, tf_hello_exts *out, const char **why)
{
    (void)ctx;
    tf_reader list;
    if (!tf_get_vector_bounded(body, 1, 1, 255, &list) || !tf_reader_done(body))
        return *why = "ec_point_formats: malformed", TLSFLOW_E_DECODE;
    out->point_formats = 1;
    out->point_formats_list.p = list.p;
    out->point_formats_list.len = list.len;
    return TLSFLOW_OK;
}

/* ---- TLS 1.3 (RFC 8446 §4.2) and RFC 8449 ---- */

/* supported_versions: the client's list (u8 prefix, u16 values), or the server's choice. */
static int parse_versions(tf_reader *body, int ctx, tf_hello_exts *out, const char **why)
{
    out->versions = 1;
    if (ctx != TF_EXT_CTX_CH) {
        if (!tf_get_u16(body, &out->selected_version) || !tf_reader_done(body))
            return *why = "supported_versions: malformed selection", TLSFLOW_E_DECODE;
        return TLSFLOW_OK;
    }
    tf_reader list;
    if (!tf_get_vector_bounded(body, 1, 2, 254, &list) || !tf_reader_done(body) || list.len % 2)
        return *why = "supported_versions: malformed list", TLSFLOW_E_DECODE;
    out->versions_list = (tf_view){list.p, list.len};
    return TLSFLOW_OK;
}

/* key_share: the client's KeyShareEntry list (each checked, no group twice), the server's
 * one entry, or a HelloRetryRequest's selected group. */
static int parse_key_share(tf_reader *body, int ctx, tf_hello_exts *out, const char **why)
{
    out->key_share = 1;
    if (ctx == TF_EXT_CTX_HRR) {
        if (!tf_get_u16(body, &out->share_group) || !tf_reader_done(body))
            return *why = "key_share: malformed selected_group", TLSFLOW_E_DECODE;
        return TLSFLOW_OK;
    }
    tf_reader entry, list;
    if (ctx != TF_EXT_CTX_CH) {
        if (!tf_get_u16(body, &out->share_group) ||
            !tf_get_vector_bounded(body, 2, 1, 0xffff, &entry) || !tf_reader_done(body))
            return *why = "key_share: malformed server share", TLSFLOW_E_DECODE;
        out->share_key = (tf_view){entry.p, entry.len};
        return TLSFLOW_OK;
    }
    if (!tf_get_vector(body, 2, &list) || !tf_reader_done(body))
        return *why = "key_share: malformed client_shares", TLSFLOW_E_DECODE;
    out->key_share_list = (tf_view){list.p, list.len};
    tf_reader seen = list;
    size_t index = 0;
    while (list.len) {
        uint16_t group;
        if (!tf_get_u16(&list, &group) || !tf_get_vector_bounded(&list, 2, 1, 0xffff, &entry))
            return *why = "key_share: malformed KeyShareEntry", TLSFLOW_E_DECODE;
        /* RFC 8446 §4.2.8: no group twice. Checked against up to 64 earlier entries, so a
         * list of thousands costs no quadratic time. */
        tf_reader earlier = seen;
        for (size_t i = 0; i < index && i < 64; i++) {
            uint16_t g;
            tf_get_u16(&earlier, &g);
            tf_get_vector(&earlier, 2, &entry);
            if (g == group)
                return *why = "key_share: two shares for one group", TLSFLOW_E_ILLEGAL_PARAMETER;
        }
        index++;
    }
    return TLSFLOW_OK;
}

static int parse_cookie(tf_reader *body, int ctx, tf_hello_exts *out, const char **why)
{
    (void)ctx;
    tf_reader data;
    if (!tf_get_vector_bounded(body, 2, 1, 0xffff, &data) || !tf_reader_done(body))
        return *why = "cookie: malformed", TLSFLOW_E_DECODE;
    out->cookie = 1;
    out->cookie_data = (tf_view){data.p, data.len};
    return TLSFLOW_OK;
}

static int parse_psk_modes(tf_reader *body, int ctx, tf_hello_exts *out, const char **why)
{
    (void)ctx;
    tf_reader list;
    if (!tf_get_vector_bounded(body, 1, 1, 255, &list) || !tf_reader_done(body))
        return *why = "psk_key_exchange_modes: malformed", TLSFLOW_E_DECODE;
    out->psk_modes = 1;
    out->psk_modes_list = (tf_view){list.p, list.len};
    return TLSFLOW_OK;
}

/* RFC 8449 §4: a limit below 64 is illegal_parameter. */
static int parse_record_size_limit(tf_reader *body, int ctx, tf_hello_exts *out, const char **why)
{
    (void)ctx;
    if (!tf_get_u16(body, &out->record_size_limit) || !tf_reader_done(body))
        return *why = "record_size_limit: malformed", TLSFLOW_E_DECODE;
    if (out->record_size_limit < 64)
        return *why = "record_size_limit: below 64", TLSFLOW_E_ILLEGAL_PARAMETER;
    out->rsl = 1;
    return TLSFLOW_OK;
}

/* pre_shared_key and early_data: noted (no PSK is accepted yet); the former must be the
 * last extension of a ClientHello (RFC 8446 §4.2.11), checked by tf_ext_parse. */
/* RFC 8446 §4.2.11: the client's identities and binders (as many of each), the server's
 * selected identity. */
static int parse_psk(tf_reader *body, int ctx, tf_hello_exts *out, const char **why)
{
    out->psk = 1;
    if (ctx != TF_EXT_CTX_CH) {
        if (!tf_get_u16(body, &out->psk_selected) || !tf_reader_done(body))
            return *why = "pre_shared_key: malformed selection", TLSFLOW_E_DECODE;
        return TLSFLOW_OK;
    }
    tf_reader ids, binders, id, binder;
    if (!tf_get_vector_bounded(body, 2, 7, 0xffff, &ids))
        return *why = "pre_shared_key: malformed identities", TLSFLOW_E_DECODE;
    out->psk_binders_at = body->p;
    if (!tf_get_vector_bounded(body, 2, 33, 0xffff, &binders) || !tf_reader_done(body))
        return *why = "pre_shared_key: malformed binders", TLSFLOW_E_DECODE;
    out->psk_identities = (tf_view){ids.p, ids.len};
    out->psk_binders = (tf_view){binders.p, binders.len};
    size_t n_ids = 0, n_binders = 0;
    uint16_t hi, lo;
    while (ids.len) {
        if (!tf_get_vector_bounded(&ids, 2, 1, 0xffff, &id) || !tf_get_u16(&ids, &hi) ||
            !tf_get_u16(&ids, &lo))
            return *why = "pre_shared_key: malformed identity", TLSFLOW_E_DECODE;
        n_ids++;
    }
    while (binders.len) {
        if (!tf_get_vector_bounded(&binders, 1, 32, 255, &binder))
            return *why = "pre_shared_key: malformed binder", TLSFLOW_E_DECODE;
        n_binders++;
    }
    if (n_ids != n_binders)
        return *why = "pre_shared_key: identities and binders differ in number",
               TLSFLOW_E_ILLEGAL_PARAMETER;
    return TLSFLOW_OK;
}

/* RFC 5077 §3.2: the client's ticket (or nothing, asking for one); the server's is empty. */
static int parse_session_ticket(tf_reader *body, int ctx, tf_hello_exts *out, const char **why)
{
    if (ctx != TF_EXT_CTX_CH && body->len)
        return *why = "SessionTicket: the server's must be empty", TLSFLOW_E_DECODE;
    out->session_ticket_data = (tf_view){body->p, body->len};
    tf_get_bytes(body, body->len, &out->session_ticket_data.p);
    out->session_ticket = 1;
    return TLSFLOW_OK;
}

static int parse_early_data(tf_reader *body, int ctx, tf_hello_exts *out, const char **why)
{
    (void)body;
    (void)ctx;
    (void)why;
    out->early_data = 1;
    return TLSFLOW_OK;
}

/* RFC 8446 §4.2.4: a list of non-empty DistinguishedNames. The RFC's list is non-empty,
 * but OpenSSL 3.0 (s_server -no_ca_names) sends an empty one and its own and GnuTLS's
 * clients take it: an empty list names no CA, as if the extension were absent. */
static int parse_cas(tf_reader *body, int ctx, tf_hello_exts *out, const char **why)
{
    (void)ctx;
    tf_reader list;
    if (!tf_get_vector(body, 2, &list) || !tf_reader_done(body))
        return *why = "certificate_authorities: malformed", TLSFLOW_E_DECODE;
    out->cas_list = (tf_view){list.p, list.len};
    while (list.len) {
        tf_reader dn;
        if (!tf_get_vector_bounded(&list, 2, 1, 0xffff, &dn))
            return *why = "certificate_authorities: malformed name", TLSFLOW_E_DECODE;
    }
    out->cas = 1;
    return TLSFLOW_OK;
}

static const struct {
    uint16_t type;
    ext_parser parse;
} EXT_PARSERS[] = {
    {TF_EXT_CERTIFICATE_AUTHORITIES, parse_cas},
    {TF_EXT_SESSION_TICKET, parse_session_ticket},
    {TF_EXT_SUPPORTED_VERSIONS, parse_versions},
    {TF_EXT_KEY_SHARE, parse_key_share},
    {TF_EXT_COOKIE, parse_cookie},
    {TF_EXT_PSK_KEY_EXCHANGE_MODES, parse_psk_modes},
    {TF_EXT_RECORD_SIZE_LIMIT, parse_record_size_limit},
    {TF_EXT_PRE_SHARED_KEY, parse_psk},
    {TF_EXT_EARLY_DATA, parse_early_data},
    {TF_EXT_SERVER_NAME, parse_sni},
    {TF_EXT_SUPPORTED_GROUPS, parse_groups},
    {TF_EXT_EC_POINT_FORMATS, parse_point_formats},
    {TF_EXT_SIGNATURE_ALGORITHMS, parse_sig_algs},
    {TF_EXT_ALPN, parse_alpn},
    {TF_EXT_EXTENDED_MASTER_SECRET, parse_ems},
    {TF_EXT_RENEGOTIATION_INFO, parse_ri},
};

#define N_PARSERS (sizeof(EXT_PARSERS) / sizeof(EXT_PARSERS[0]))

int tf_ext_parse(tf_reader *block, int ctx, tf_hello_exts *out, const char **why)
{
    uint32_t known_seen = 0; /* bit i: EXT_PARSERS[i] met already */
    memset(out, 0, sizeof(*out));
    while (block->len) {
        uint16_t type;
        tf_reader body;
        if (!tf_get_u16(block, &type) || !tf_get_vector(block, 2, &body))
            return *why = "extensions: truncated extension", TLSFLOW_E_DECODE;
        /* Any number is valid (a ClientHello's block holds up to 2^16-1 bytes). The first
         * TF_MAX_EXTENSIONS types are kept and checked for repeats; known types always are. */
        size_t kept = out->n_types < TF_MAX_EXTENSIONS ? out->n_types : TF_MAX_EXTENSIONS;
        for (size_t i = 0; i < kept; i++)
            if (out->types[i] == type)
                return *why = "extensions: the same extension appears twice",
                       TLSFLOW_E_ILLEGAL_PARAMETER;
        if (out->n_types < TF_MAX_EXTENSIONS)
            out->types[out->n_types] = type;
        else if (ctx) /* we never offer that many: some were not offered */
            return *why = "extensions: more than a client could have offered",
                   TLSFLOW_E_UNSUPPORTED_EXTENSION;
        out->n_types++;
        if (out->psk && ctx == TF_EXT_CTX_CH) /* RFC 8446 §4.2.11 */
            return *why = "pre_shared_key is not the last extension", TLSFLOW_E_ILLEGAL_PARAMETER;
        for (size_t i = 0; i < N_PARSERS; i++) {
            if (EXT_PARSERS[i].type != type)
                continue;
            if (known_seen & (1u << i))
                return *why = "extensions: the same extension appears twice",
                       TLSFLOW_E_ILLEGAL_PARAMETER;
            known_seen |= 1u << i;
            int err = EXT_PARSERS[i].parse(&body, ctx, out, why);
            if (err)
                return err;
        }
    }
    return tf_reader_ok(block) ? TLSFLOW_OK
                               : (*why = "extensions: malformed block", TLSFLOW_E_DECODE);
}

int tf_key_share_find(const tf_view *list, uint16_t group, tf_view *key)
{
    tf_reader r = tf_reader_init(list->p, list->len), entry;
    uint16_t g;
    while (r.len && tf_get_u16(&r, &g) && tf_get_vector(&r, 2, &entry)) {
        if (g == group) {
            *key = (tf_view){entry.p, entry.len};
            return 1;
        }
    }
    return 0;
}
