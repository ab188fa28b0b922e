/* fuzz_server_key_exchange: tf_server_key_exchange_parse (ECDHE, RFC 8422 §5.4) and its
 * inverse, then what a client does with the parts: the public value is checked and, if
 * acceptable, combined with a fixed key of ours (tf_ecdhe_check_public, tf_ecdhe_shared);
 * the signature goes through tf_verify under the fixture's RSA and EC keys. */
#include <string.h>

#include "ecdhe.h"
#include "fuzz_common.h"
#include "internal.h"
#include "msg.h"
#include "sigalg.h"
#include "tf_test.h"

/* Blinding for private-key operations (the engine keeps one per connection). */
static tf_drbg tf_test_drbg;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tff_reset();
    tf_server_key_exchange ske;
    const char *why = NULL;
    if (tf_server_key_exchange_parse(data, size, &ske, &why) != TLSFLOW_OK) {
        TFF_CHECK(why != NULL);
        return 0;
    }
    TFF_CHECK(ske.params.p == data && ske.params.len == 4 + ske.point.len);
    TFF_CHECK(ske.point.len >= 1 && ske.signature.len >= 1);
    TFF_CHECK(ske.params.len + 4 + ske.signature.len == size);

    /* Exact inverse: params, then the signed part. */
    uint8_t params[4 + 255], body[4 + 255 + 4 + 65535];
    tf_writer pw = tf_writer_init(params, sizeof(params));
    TFF_CHECK(tf_ecdh_params_write(&pw, ske.group, ske.point.p, ske.point.len) == 0);
    TFF_CHECK(pw.len == ske.params.len && memcmp(params, ske.params.p, pw.len) == 0);
    tf_writer bw = tf_writer_init(body, sizeof(body));
    TFF_CHECK(tf_server_key_exchange_write(&bw, params, pw.len, ske.sig_scheme, ske.signature.p,
                                           ske.signature.len) == 0);
    TFF_CHECK(bw.len == size && memcmp(body, data, size) == 0);

    /* The client's side of the key agreement, with a key drawn from the fixed source. */
    if (tf_group_supported(ske.group) &&
        tf_ecdhe_check_public(ske.group, ske.point.p, ske.point.len) == 0) {
        TFF_CHECK(ske.point.len == tf_ecdhe_public_len(ske.group));
        tft_rng rng = {7};
        uint8_t priv[TF_MAX_KX_SECRET], pub[TF_MAX_KX_PUBLIC], secret[TF_MAX_KX_SECRET];
        size_t priv_len, pub_len, secret_len = 0;
        TFF_CHECK(tf_ecdhe_keygen(ske.group, tft_random, &rng, priv, &priv_len, pub, &pub_len,
                                  &tf_test_drbg) == 0);
        if (tf_ecdhe_shared(ske.group, priv, priv_len, ske.point.p, ske.point.len, secret,
                            &secret_len, &tf_test_drbg) == 0)
            TFF_CHECK(secret_len > 0 && secret_len <= TF_MAX_KX_SECRET);
    }

    /* The signature over client_random + server_random + params (all-zero randoms). */
    const tf_sig_scheme *scheme = tf_sig_scheme_find(ske.sig_scheme);
    if (scheme) {
        static uint8_t msg[64 + sizeof(params)];
        memset(msg, 0, 64);
        memcpy(msg + 64, ske.params.p, ske.params.len);
        const tlsflow_config *cfgs[2] = {tff_server_config(TFF_SERVER_DEFAULT),
                                         tff_server_config(TFF_SERVER_DUAL)};
        for (size_t i = 0; i < 2; i++) {
            const tlsflow_config *cfg = cfgs[i];
            const tf_credential *cr = &cfg->creds[cfg->n_creds - 1];
            uint8_t spki[TF_MAX_SPKI];
            size_t spki_len;
            if (cr->key_type != scheme->key ||
                tf_x509_public_key(cr->der[0], cr->der_len[0], spki, sizeof(spki), &spki_len))
                continue;
            /* A forged signature that verifies would be a finding of its own. */
            TFF_CHECK(tf_verify(spki, spki_len, scheme->alg, scheme->hash, msg, 64 + ske.params.len,
                                ske.signature.p, ske.signature.len) != 0);
        }
    }
    return 0;
}
