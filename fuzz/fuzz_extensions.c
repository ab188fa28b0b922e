/* fuzz_extensions: tf_ext_parse on an extensions block (the bytes inside the u16 prefix),
 * as in a ClientHello and as in a ServerHello. Whatever it accepts is consistent: no
 * duplicate types, views inside the input, lists of the right shape; a server's ALPN
 * holds one name; the ALPN helpers agree with the list. */
#include <string.h>

#include "fuzz_common.h"
#include "msg.h"

static int within(const tf_view *v, const uint8_t *base, size_t len)
{
    if (!v->p)
        return v->len == 0;
    return v->p >= base && v->len <= len && (size_t)(v->p - base) <= len - v->len;
}

static void check(const uint8_t *data, size_t size, int in_server_hello)
{
    tf_hello_exts e;
    const char *why = NULL;
    tf_reader r = tf_reader_init(data, size);
    if (tf_ext_parse(&r, in_server_hello, &e, &why) != TLSFLOW_OK) {
        TFF_CHECK(why != NULL);
        return;
    }
    TFF_CHECK(tf_reader_done(&r));
    size_t kept = e.n_types < TF_MAX_EXTENSIONS ? e.n_types : TF_MAX_EXTENSIONS;
    for (size_t i = 0; i < kept; i++)
        for (size_t j = i + 1; j < kept; j++)
            TFF_CHECK(e.types[i] != e.types[j]);
    TFF_CHECK(within(&e.sni_host, data, size) && within(&e.ri_data, data, size));
    TFF_CHECK(within(&e.alpn_list, data, size) && within(&e.sig_algs_list, data, size));
    TFF_CHECK(within(&e.groups_list, data, size) && within(&e.point_formats_list, data, size));
    TFF_CHECK(e.sig_algs_list.len % 2 == 0 && e.groups_list.len % 2 == 0);
    if (e.sni_host.p) {
        TFF_CHECK(!in_server_hello && e.sni_host.len >= 1 && e.sni_host.len <= 255);
        for (size_t i = 0; i < e.sni_host.len; i++)
            TFF_CHECK(e.sni_host.p[i] > 0x20 && e.sni_host.p[i] < 0x7f);
    }
    if (e.alpn) {
        /* Walk the list: every name is found by tf_alpn_contains, and the text form fits. */
        size_t names = 0, off = 0;
        while (off < e.alpn_list.len) {
            size_t n = e.alpn_list.p[off];
            TFF_CHECK(n >= 1 && off + 1 + n <= e.alpn_list.len);
            TFF_CHECK(tf_alpn_contains(e.alpn_list.p, e.alpn_list.len, e.alpn_list.p + off + 1, n));
            off += 1 + n;
            names++;
        }
        TFF_CHECK(names >= 1 && (!in_server_hello || names == 1));
        char text[64];
        tf_alpn_to_text(e.alpn_list.p, e.alpn_list.len, text, sizeof(text));
        TFF_CHECK(strlen(text) < sizeof(text));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tff_reset();
    check(data, size, 0);
    check(data, size, 1);
    return 0;
}
