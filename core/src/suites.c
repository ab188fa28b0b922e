#include "suites.h"

#include "tlsflow/tlsflow.h"

/* Default preference: first row first. AES-GCM records carry an 8-byte explicit nonce
 * and a 16-byte tag. */
static const tf_suite SUITES[] = {
    {TLSFLOW_RSA_WITH_AES_128_GCM_SHA256, "TLS_RSA_WITH_AES_128_GCM_SHA256", TF_KX_RSA,
     TF_HASH_SHA256, 16, 4, 8 + 16},
    {TLSFLOW_RSA_WITH_AES_256_GCM_SHA384, "TLS_RSA_WITH_AES_256_GCM_SHA384", TF_KX_RSA,
     TF_HASH_SHA384, 32, 4, 8 + 16},
};

const tf_suite *tf_suite_find(uint16_t id)
{
    for (size_t i = 0; i < sizeof(SUITES) / sizeof(SUITES[0]); i++)
        if (SUITES[i].id == id)
            return &SUITES[i];
    return NULL;
}

const tf_suite *tf_suite_at(size_t i)
{
    return i < tf_suite_count() ? &SUITES[i] : NULL;
}

size_t tf_suite_count(void)
{
    return sizeof(SUITES) / sizeof(SUITES[0]);
}

const char *tlsflow_suite_name(uint16_t suite)
{
    const tf_suite *s = tf_suite_find(suite);
    return s ? s->name : NULL;
}
