/* fuzz_client_key_exchange: both ClientKeyExchange forms with their exact inverses.
 * RSA (RFC 5246 §7.4.7.1): the premaster decryption behind it runs on whatever ciphertext
 * parsed; the random premaster is replaced only by 48 bytes that start with the client
 * version, and the call never reports the padding's verdict. ECDHE (RFC 8422 §5.7): the
 * public value is checked against every group we support and, where acceptable, combined
 * with a fixed key of ours, as the server does. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "ecdhe.h"
#include "internal.h"
#include "msg.h"
#include "tf_test.h"

/* Blinding for private-key operations (the engine keeps one per connection). */
static tf_drbg tf_test_drbg;

static void ecdhe(const uint8_t *data, size_t size)
{
    tf_view point;
    const char *why = NULL;
    if (tf_client_key_exchange_ecdhe_parse(data, size, &point, &why) != TLSFLOW_OK) {
        TFF_CHECK(why != NULL);
        return;
    }
    TFF_CHECK(point.len >= 1 && point.len + 1 == size && point.p == data + 1);
    uint8_t buf[256];
    tf_writer w = tf_writer_init(buf, sizeof(buf));
    TFF_CHECK(tf_client_key_exchange_ecdhe_write(&w, point.p, point.len) == 0);
    TFF_CHECK(w.len == size && memcmp(buf, data, size) == 0);
    for (size_t i = 0; i < tf_group_count(); i++) {
        uint16_t group = tf_group_at(i);
        if (tf_ecdhe_check_public(group, point.p, point.len) != 0)
            continue;
        tft_rng rng = {11};
        uint8_t priv[TF_MAX_KX_SECRET], pub[TF_MAX_KX_PUBLIC], secret[TF_MAX_KX_SECRET];
        size_t priv_len, pub_len, secret_len = 0;
        TFF_CHECK(tf_ecdhe_keygen(group, tft_random, &rng, priv, &priv_len, pub, &pub_len,
                                  &tf_test_drbg) == 0);
        if (tf_ecdhe_shared(group, priv, priv_len, point.p, point.len, secret, &secret_len,
                            &tf_test_drbg) == 0)
            TFF_CHECK(secret_len > 0 && secret_len <= TF_MAX_KX_SECRET);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tff_reset();
    ecdhe(data, size);
    tf_view enc;
    const char *why = NULL;
    if (tf_client_key_exchange_parse(data, size, &enc, &why) != TLSFLOW_OK) {
        TFF_CHECK(why != NULL);
        return 0;
    }
    TFF_CHECK(enc.len >= 1 && enc.len + 2 == size && enc.p == data + 2);

    uint8_t *buf = malloc(size);
    TFF_CHECK(buf != NULL);
    tf_writer w = tf_writer_init(buf, size);
    TFF_CHECK(tf_client_key_exchange_write(&w, enc.p, enc.len) == 0);
    TFF_CHECK(w.len == size && memcmp(buf, data, size) == 0);
    free(buf);

    const tlsflow_config *cfg = tff_server_config(TFF_SERVER_DEFAULT);
    uint8_t random48[48], pm[48];
    memset(random48, 0xC3, sizeof(random48));
    memcpy(pm, random48, sizeof(pm));
    TFF_CHECK(tf_rsa_decrypt_premaster(cfg->creds[0].key, enc.p, enc.len, 0x0303, pm,
                                       &tf_test_drbg) == 0);
    TFF_CHECK(memcmp(pm, random48, 48) == 0 || (pm[0] == 3 && pm[1] == 3));
    return 0;
}
