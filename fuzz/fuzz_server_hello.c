/* fuzz_server_hello: tf_server_hello_parse, and the 1:1 round trip with the writer:
 * parse -> tf_server_answer -> write -> parse must give the same fields, and a hello in
 * the writer's canonical form (TLS 1.2, no session id, null compression, extensions
 * renegotiation_info / extended_master_secret / ALPN / ec_point_formats in that order,
 * renegotiation_info empty, points uncompressed only) must come back byte for byte. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "msg.h"

/* Are the extensions a subsequence of what the writer emits, in its order? */
static int canonical_exts(const tf_server_hello *sh)
{
    static const uint16_t ORDER[] = {TF_EXT_RENEGOTIATION_INFO, TF_EXT_EXTENDED_MASTER_SECRET,
                                     TF_EXT_ALPN, TF_EXT_EC_POINT_FORMATS};
    size_t k = 0, n = sizeof(ORDER) / sizeof(ORDER[0]);
    for (size_t i = 0; i < sh->ext.n_types; i++) {
        while (k < n && ORDER[k] != sh->ext.types[i])
            k++;
        if (k == n)
            return 0;
        k++;
    }
    if (sh->ext.point_formats &&
        (sh->ext.point_formats_list.len != 1 || sh->ext.point_formats_list.p[0] != 0))
        return 0;
    return !sh->ext.ri || sh->ext.ri_data.len == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tff_reset();
    tf_server_hello sh;
    const char *why = NULL;
    if (tf_server_hello_parse(data, size, &sh, &why) != TLSFLOW_OK) {
        TFF_CHECK(why != NULL);
        return 0;
    }
    TFF_CHECK(sh.session_id.len <= 32);
    size_t kept = sh.ext.n_types < TF_MAX_EXTENSIONS ? sh.ext.n_types : TF_MAX_EXTENSIONS;
    for (size_t i = 0; i < kept; i++)
        for (size_t j = i + 1; j < kept; j++)
            TFF_CHECK(sh.ext.types[i] != sh.ext.types[j]);

    /* A server's ALPN answer holds exactly one name (the parser enforces it). */
    tf_view name = {NULL, 0};
    if (sh.ext.alpn) {
        TFF_CHECK(sh.ext.alpn_list.len >= 2);
        name.len = sh.ext.alpn_list.p[0];
        name.p = sh.ext.alpn_list.p + 1;
        TFF_CHECK(name.len >= 1 && name.len + 1 == sh.ext.alpn_list.len);
    }

    tf_server_answer a;
    memset(&a, 0, sizeof(a));
    memcpy(a.random, sh.random, 32);
    a.suite = sh.suite;
    a.ems = sh.ext.ems;
    a.ri = sh.ext.ri;
    a.alpn = name.p;
    a.alpn_len = name.len;
    a.point_formats = sh.ext.point_formats;
    uint8_t buf[512];
    tf_writer w = tf_writer_init(buf, sizeof(buf));
    TFF_CHECK(tf_server_hello_write(&w, &a) == 0);

    tf_server_hello again;
    TFF_CHECK(tf_server_hello_parse(buf, w.len, &again, &why) == TLSFLOW_OK);
    TFF_CHECK(again.version == 0x0303 && again.session_id.len == 0 && again.compression == 0);
    TFF_CHECK(memcmp(again.random, sh.random, 32) == 0);
    TFF_CHECK(again.suite == sh.suite);
    TFF_CHECK(again.ext.ems == sh.ext.ems && again.ext.ri == sh.ext.ri);
    TFF_CHECK(again.ext.ri_data.len == 0);
    TFF_CHECK(again.ext.alpn == sh.ext.alpn);
    TFF_CHECK(again.ext.point_formats == sh.ext.point_formats);
    if (sh.ext.alpn)
        TFF_CHECK(again.ext.alpn_list.len == sh.ext.alpn_list.len &&
                  memcmp(again.ext.alpn_list.p, sh.ext.alpn_list.p, sh.ext.alpn_list.len) == 0);

    /* 1:1 on the canonical form. An empty extensions block and no block parse alike, so
     * the byte comparison needs the block to be absent exactly when there is nothing. */
    int canonical = sh.version == 0x0303 && sh.session_id.len == 0 && sh.compression == 0 &&
                    canonical_exts(&sh) && (sh.ext.n_types > 0 || size == 38);
    if (canonical)
        TFF_CHECK(w.len == size && memcmp(buf, data, size) == 0);
    return 0;
}
