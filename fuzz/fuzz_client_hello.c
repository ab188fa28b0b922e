/* fuzz_client_hello: tf_client_hello_parse on a ClientHello body, then a round trip
 * through the writer: what the parser found is turned back into a tf_client_offer,
 * written, parsed again, and the fields the writer carries must come back unchanged.
 * The info helpers the server uses on a parsed hello (ALPN text) run too. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "msg.h"

static int view_within(const tf_view *v, const uint8_t *base, size_t len)
{
    if (!v->p)
        return v->len == 0;
    return v->p >= base && v->len <= len && (size_t)(v->p - base) <= len - v->len;
}

static int view_equal(const tf_view *a, const tf_view *b)
{
    return a->len == b->len && (a->len == 0 || memcmp(a->p, b->p, a->len) == 0);
}

static void check_exts(const tf_hello_exts *e, const uint8_t *body, size_t len)
{
    size_t kept = e->n_types < TF_MAX_EXTENSIONS ? e->n_types : TF_MAX_EXTENSIONS;
    for (size_t i = 0; i < kept; i++)
        for (size_t j = i + 1; j < kept; j++)
            TFF_CHECK(e->types[i] != e->types[j]);
    TFF_CHECK(view_within(&e->sni_host, body, len));
    TFF_CHECK(view_within(&e->ri_data, body, len));
    TFF_CHECK(view_within(&e->alpn_list, body, len));
    TFF_CHECK(view_within(&e->sig_algs_list, body, len));
    TFF_CHECK(view_within(&e->groups_list, body, len));
    TFF_CHECK(view_within(&e->point_formats_list, body, len));
    TFF_CHECK(e->sni_host.len <= 255);
    TFF_CHECK(e->sig_algs_list.len % 2 == 0 && e->groups_list.len % 2 == 0);
}

/* A u16 list view as an array (never NULL). */
static uint16_t *u16_list(const tf_view *v, size_t *n)
{
    *n = v->len / 2;
    uint16_t *out = malloc((*n ? *n : 1) * sizeof(*out));
    TFF_CHECK(out != NULL);
    for (size_t i = 0; i < *n; i++)
        out[i] = (uint16_t)((v->p[2 * i] << 8) | v->p[2 * i + 1]);
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tff_reset();
    tf_client_hello ch;
    const char *why = NULL;
    if (tf_client_hello_parse(data, size, &ch, &why) != TLSFLOW_OK) {
        TFF_CHECK(why != NULL);
        return 0;
    }
    TFF_CHECK(view_within(&ch.session_id, data, size) && ch.session_id.len <= 32);
    TFF_CHECK(view_within(&ch.suites, data, size) && ch.suites.len % 2 == 0 && ch.suites.len);
    TFF_CHECK(view_within(&ch.compressions, data, size) && ch.compressions.len);
    check_exts(&ch.ext, data, size);

    char text[256];
    tf_alpn_to_text(ch.ext.alpn_list.p, ch.ext.alpn_list.len, text, sizeof(text));
    TFF_CHECK(strlen(text) < sizeof(text));

    /* What the writer can express: random, suites, one host name, EMS, the ALPN list, the
     * signature schemes and the groups. */
    size_t n_suites, n_sig_algs, n_groups;
    uint16_t *suites = u16_list(&ch.suites, &n_suites);
    uint16_t *sig_algs = u16_list(&ch.ext.sig_algs_list, &n_sig_algs);
    uint16_t *groups = u16_list(&ch.ext.groups_list, &n_groups);
    char sni[256];
    tf_client_offer o;
    memset(&o, 0, sizeof(o));
    memcpy(o.random, ch.random, 32);
    o.suites = suites;
    o.n_suites = n_suites;
    if (ch.ext.sni_host.p) {
        memcpy(sni, ch.ext.sni_host.p, ch.ext.sni_host.len);
        sni[ch.ext.sni_host.len] = 0;
        o.sni = sni;
    }
    o.ems = ch.ext.ems;
    if (ch.ext.alpn) {
        o.alpn = ch.ext.alpn_list.p;
        o.alpn_len = ch.ext.alpn_list.len;
    }
    if (ch.ext.sig_algs) {
        o.sig_algs = sig_algs;
        o.n_sig_algs = n_sig_algs;
    }
    if (ch.ext.groups) {
        o.groups = groups;
        o.n_groups = n_groups;
        o.point_formats = ch.ext.point_formats;
    }
    /* TLS 1.3: versions, the first key share, session id, cookie; RFC 8449's limit. */
    size_t n_versions;
    uint16_t *versions = u16_list(&ch.ext.versions_list, &n_versions);
    tf_reader shares = tf_reader_init(ch.ext.key_share_list.p, ch.ext.key_share_list.len), key;
    if (ch.ext.versions) {
        o.versions = versions;
        o.n_versions = n_versions;
    }
    if (ch.ext.key_share_list.len && tf_get_u16(&shares, &o.share_group) &&
        tf_get_vector(&shares, 2, &key)) {
        o.share = key.p;
        o.share_len = key.len;
    }
    o.session_id = ch.session_id.p;
    o.session_id_len = ch.session_id.len;
    if (ch.ext.cookie) {
        o.cookie = ch.ext.cookie_data.p;
        o.cookie_len = ch.ext.cookie_data.len;
    }
    o.record_size_limit = ch.ext.rsl ? ch.ext.record_size_limit : 0;
    size_t cap = size + 512;
    uint8_t *buf = malloc(cap);
    TFF_CHECK(buf != NULL);
    tf_writer w = tf_writer_init(buf, cap);
    TFF_CHECK(tf_client_hello_write(&w, &o) == 0);

    tf_client_hello again;
    TFF_CHECK(tf_client_hello_parse(buf, w.len, &again, &why) == TLSFLOW_OK);
    TFF_CHECK(again.version == 0x0303);
    TFF_CHECK(memcmp(again.random, ch.random, 32) == 0);
    TFF_CHECK(view_equal(&again.session_id, &ch.session_id));
    TFF_CHECK(view_equal(&again.suites, &ch.suites));
    TFF_CHECK(again.compressions.len == 1 && again.compressions.p[0] == 0);
    TFF_CHECK(again.ext.sni == (o.sni != NULL));
    TFF_CHECK(view_equal(&again.ext.sni_host, &ch.ext.sni_host));
    TFF_CHECK(again.ext.ems == ch.ext.ems);
    TFF_CHECK(again.ext.alpn == ch.ext.alpn);
    TFF_CHECK(view_equal(&again.ext.alpn_list, &ch.ext.alpn_list));
    TFF_CHECK(again.ext.ri && again.ext.ri_data.len == 0);
    TFF_CHECK(again.ext.sig_algs && again.ext.sig_algs_list.len);
    if (ch.ext.sig_algs)
        TFF_CHECK(view_equal(&again.ext.sig_algs_list, &ch.ext.sig_algs_list));
    TFF_CHECK(again.ext.groups == ch.ext.groups);
    TFF_CHECK(view_equal(&again.ext.groups_list, &ch.ext.groups_list));
    TFF_CHECK(again.ext.point_formats == (ch.ext.groups && ch.ext.point_formats));
    TFF_CHECK(again.ext.versions == ch.ext.versions);
    TFF_CHECK(view_equal(&again.ext.versions_list, &ch.ext.versions_list));
    /* the writer takes group 0 for "no share" (0 names no group) */
    TFF_CHECK(again.ext.key_share == (o.share != NULL && o.share_group != 0));
    TFF_CHECK(again.ext.cookie == ch.ext.cookie);
    TFF_CHECK(view_equal(&again.ext.cookie_data, &ch.ext.cookie_data));
    TFF_CHECK(again.ext.rsl == ch.ext.rsl &&
              again.ext.record_size_limit == ch.ext.record_size_limit);
    check_exts(&again.ext, buf, w.len);

    /* The writer is a pure function of the offer. */
    uint8_t *twice = malloc(cap);
    TFF_CHECK(twice != NULL);
    tf_writer w2 = tf_writer_init(twice, cap);
    TFF_CHECK(tf_client_hello_write(&w2, &o) == 0);
    TFF_CHECK(w2.len == w.len && memcmp(buf, twice, w.len) == 0);

    free(twice);
    free(buf);
    free(suites);
    free(versions);
    free(sig_algs);
    free(groups);
    return 0;
}
