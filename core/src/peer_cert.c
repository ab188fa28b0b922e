/* The peer's certificates (see peer_cert.h). */
#include "peer_cert.h"

#include <string.h>

void tf_peer_chain_set(tlsflow_conn *c, const uint8_t *const *der, const size_t *len, size_t n)
{
    tf_peer_chain *pc = &c->hs->peer;
    pc->n = n < TF_MAX_CHAIN ? n : TF_MAX_CHAIN;
    for (size_t i = 0; i < pc->n; i++) {
        pc->der[i] = der[i];
        pc->len[i] = len[i];
    }
}

int tf_peer_verdict(tlsflow_conn *c, int verdict, const char *why)
{
    const tlsflow_config *cfg = c->cfg;
    if (!cfg->verify)
        return verdict ? tf_fail(c, verdict, why) : 0;
    int r = cfg->verify(cfg->verify_ctx, c, verdict);
    if (r == 0) {
        if (verdict)
            tf_tracef(c, TLSFLOW_STEP_CERTIFICATE_VERIFIED,
                      "the verification hook accepted a chain the engine refused (%s)", why);
        return 0;
    }
    if (r == verdict)
        return tf_fail(c, verdict, why);
    if (r < 0 && tf_error_known(r))
        return tf_failf(c, r, "the verification hook refused the certificate (%s)",
                        tlsflow_error_name(r));
    tf_failf(c, TLSFLOW_E_CERT_REJECTED, "the verification hook refused the certificate%s%s",
             r > 0 && r < 256 ? " with alert " : "", r > 0 && r < 256 ? tlsflow_alert_name(r) : "");
    if (r > 0 && r < 256)
        c->pending_alert = r;
    return c->error;
}

void tf_peer_chain_keep(tlsflow_conn *c)
{
    tf_peer_chain *pc = &c->hs->peer;
    size_t used = 0, kept = 0;
    for (; kept < pc->n && used + pc->len[kept] <= c->cfg->peer_chain_cap; kept++) {
        memmove(c->peer_chain + used, pc->der[kept], pc->len[kept]);
        pc->der[kept] = c->peer_chain + used;
        used += pc->len[kept];
    }
    pc->n = kept;
    tf_note_high_water(&c->work->peer_chain_hw, used);
}

size_t tlsflow_peer_cert_count(const tlsflow_conn *c)
{
    return c && c->hs ? c->hs->peer.n : 0;
}

const uint8_t *tlsflow_peer_cert(const tlsflow_conn *c, size_t index, size_t *len)
{
    if (len)
        *len = 0;
    if (!c || !c->hs || index >= c->hs->peer.n)
        return NULL;
    if (len)
        *len = c->hs->peer.len[index];
    return c->hs->peer.der[index];
}

int tlsflow_peer_spki_sha256(const tlsflow_conn *c, uint8_t out[32])
{
    if (!c || !out || !c->hs || !c->hs->peer_spki_len)
        return TLSFLOW_E_USAGE;
    uint8_t h[TF_MAX_HASH];
    if (tf_hash_digest(TF_HASH_SHA256, c->hs->peer_spki, c->hs->peer_spki_len, h) != 32)
        return TLSFLOW_E_INTERNAL;
    memcpy(out, h, 32);
    return TLSFLOW_OK;
}
