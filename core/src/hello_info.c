/* What a ClientHello said, shown by tlsflow_info for the embedder (the test server's page,
 * JA3) and kept in the handshake state (or in the connection proper:
 * tlsflow_config_set_keep_client_hello). Both roles record through here: the server what
 * it received, the client what it sent, parsed back from the bytes on the wire. */
#include <string.h>

#include "hello_info.h"

static void copy_u16_list(const tf_view *v, uint16_t *dst, size_t *n)
{
    *n = 0;
    for (size_t i = 0; i + 1 < v->len && *n < TLSFLOW_INFO_LIST_MAX; i += 2)
        dst[(*n)++] = (uint16_t)((v->p[i] << 8) | v->p[i + 1]);
}

void tf_hello_info_record(tlsflow_conn *c, const tf_client_hello *ch)
{
    memcpy(c->info.server_name, ch->ext.sni_host.p ? (const char *)ch->ext.sni_host.p : "",
           ch->ext.sni_host.len);
    c->info.server_name[ch->ext.sni_host.len] = 0;
    tlsflow_hello_info *hi = tf_hello_store(c);
    if (!hi)
        return;
    hi->version = ch->version;
    copy_u16_list(&ch->suites, hi->suites, &hi->n_suites);
    hi->n_extensions = 0;
    for (size_t i = 0; i < ch->ext.n_types && i < TLSFLOW_INFO_LIST_MAX; i++)
        hi->extensions[hi->n_extensions++] = ch->ext.types[i];
    copy_u16_list(&ch->ext.groups_list, hi->groups, &hi->n_groups);
    copy_u16_list(&ch->ext.sig_algs_list, hi->sig_algs, &hi->n_sig_algs);
    hi->n_point_formats = 0;
    for (size_t i = 0; i < ch->ext.point_formats_list.len && i < sizeof(hi->point_formats); i++)
        hi->point_formats[hi->n_point_formats++] = ch->ext.point_formats_list.p[i];
    tf_alpn_to_text(ch->ext.alpn_list.p, ch->ext.alpn_list.len, hi->alpn, sizeof(hi->alpn));
}
