/* wolfCrypt for token keys: DigestInfo and ECDSA DER around what a token returns, and
 * the certificate's public key that checks the token's results at start. */
#include "wc_glue.h"

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/rsa.h>

#include <stdlib.h>
#include <string.h>

#include <tlsflow/tlsflow.h>

#include "pki/pki.h"

/* A DigestInfo is 19 bytes of header before the digest: 83 for SHA-512. */
#define DIGEST_INFO_MAX 128

wcg_hash wcg_scheme_hash(uint16_t scheme, char *kind)
{
    switch (scheme) {
    case TLSFLOW_SIG_RSA_PSS_RSAE_SHA256:
        *kind = 's';
        return WCG_SHA256;
    case TLSFLOW_SIG_RSA_PSS_RSAE_SHA384:
        *kind = 's';
        return WCG_SHA384;
    case TLSFLOW_SIG_RSA_PSS_RSAE_SHA512:
        *kind = 's';
        return WCG_SHA512;
    case TLSFLOW_SIG_RSA_PKCS1_SHA256:
        *kind = 'p';
        return WCG_SHA256;
    case TLSFLOW_SIG_RSA_PKCS1_SHA384:
        *kind = 'p';
        return WCG_SHA384;
    case TLSFLOW_SIG_RSA_PKCS1_SHA512:
        *kind = 'p';
        return WCG_SHA512;
    case TLSFLOW_SIG_ECDSA_SECP256R1_SHA256:
        *kind = 'e';
        return WCG_SHA256;
    case TLSFLOW_SIG_ECDSA_SECP384R1_SHA384:
        *kind = 'e';
        return WCG_SHA384;
    case TLSFLOW_SIG_ECDSA_SECP521R1_SHA512:
        *kind = 'e';
        return WCG_SHA512;
    default:
        *kind = 0;
        return 0;
    }
}

static enum wc_HashType wc_type(wcg_hash h)
{
    return h == WCG_SHA384   ? WC_HASH_TYPE_SHA384
           : h == WCG_SHA512 ? WC_HASH_TYPE_SHA512
                             : WC_HASH_TYPE_SHA256;
}

size_t wcg_hash_len(wcg_hash h)
{
    int n = wc_HashGetDigestSize(wc_type(h));
    return n > 0 ? (size_t)n : 0;
}

int wcg_digest_info(wcg_hash h, const uint8_t *digest, size_t digest_len, uint8_t *out, size_t cap,
                    size_t *len)
{
    int oid = wc_HashGetOID(wc_type(h));
    if (oid <= 0 || digest_len != wcg_hash_len(h) || cap < DIGEST_INFO_MAX)
        return -1;
    word32 n = wc_EncodeSignature(out, digest, (word32)digest_len, oid);
    if (n == 0)
        return -1;
    *len = n;
    return 0;
}

int wcg_ecdsa_raw_to_der(const uint8_t *rs, size_t n, uint8_t *out, size_t cap, size_t *len)
{
    if (n == 0 || n % 2 || n > 2 * MAX_ECC_BYTES)
        return -1;
    word32 half = (word32)(n / 2), olen = cap > UINT32_MAX ? UINT32_MAX : (word32)cap;
    if (wc_ecc_rs_raw_to_sig(rs, half, rs + half, half, out, &olen) != 0)
        return -1;
    *len = olen;
    return 0;
}

struct wcg_pub {
    int is_ec;
    RsaKey rsa;
    ecc_key ec;
};

int wcg_pub_load(const uint8_t *chain, size_t len, wcg_pub **out, int *is_ec, int *bits,
                 char kind[16])
{
    uint8_t spki[2048];
    size_t spki_len = 0;
    tfpki_key_desc d;
    if (tfpki_cert_public_key(chain, len, spki, sizeof(spki), &spki_len, &d) != 0)
        return -1;
    wcg_pub *p = calloc(1, sizeof(*p));
    if (!p)
        return -1;
    word32 idx = 0;
    p->is_ec = d.is_ec;
    int rc = d.is_ec ? wc_ecc_init(&p->ec) : wc_InitRsaKey(&p->rsa, NULL);
    if (rc != 0) {
        free(p);
        return -1;
    }
    rc = d.is_ec ? wc_EccPublicKeyDecode(spki, &idx, &p->ec, (word32)spki_len)
                 : wc_RsaPublicKeyDecode(spki, &idx, &p->rsa, (word32)spki_len);
    if (rc != 0) {
        wcg_pub_free(p);
        return -1;
    }
    *out = p;
    *is_ec = d.is_ec;
    *bits = d.bits;
    memcpy(kind, d.name, sizeof(d.name));
    return 0;
}

void wcg_pub_free(wcg_pub *p)
{
    if (!p)
        return;
    if (p->is_ec)
        wc_ecc_free(&p->ec);
    else
        wc_FreeRsaKey(&p->rsa);
    free(p);
}

int wcg_pub_verify(wcg_pub *p, char kind, wcg_hash h, const uint8_t *digest, size_t digest_len,
                   const uint8_t *sig, size_t sig_len)
{
    uint8_t buf[1024], want[DIGEST_INFO_MAX];
    size_t want_len = 0;
    if (sig_len > sizeof(buf) || digest_len != wcg_hash_len(h))
        return 0;
    if (kind == 'e') {
        int res = 0;
        return p->is_ec &&
               wc_ecc_verify_hash(sig, (word32)sig_len, digest, (word32)digest_len, &res, &p->ec) ==
                   0 &&
               res == 1;
    }
    if (p->is_ec)
        return 0;
    memcpy(buf, sig, sig_len); /* the PSS call works in place */
    if (kind == 's') {
        int mgf = h == WCG_SHA384 ? WC_MGF1SHA384 : h == WCG_SHA512 ? WC_MGF1SHA512 : WC_MGF1SHA256;
        uint8_t *em = NULL;
        int n = wc_RsaPSS_VerifyInline(buf, (word32)sig_len, &em, wc_type(h), mgf, &p->rsa);
        return n > 0 &&
               wc_RsaPSS_CheckPadding(digest, (word32)digest_len, em, (word32)n, wc_type(h)) == 0;
    }
    if (wcg_digest_info(h, digest, digest_len, want, sizeof(want), &want_len) != 0)
        return 0;
    uint8_t *m = NULL;
    int n = wc_RsaSSL_VerifyInline(buf, (word32)sig_len, &m, &p->rsa);
    return n > 0 && (size_t)n == want_len && memcmp(m, want, want_len) == 0;
}

int wcg_pub_encrypt(wcg_pub *p, const uint8_t *msg, size_t n, uint8_t *out, size_t cap, size_t *len)
{
    WC_RNG rng;
    if (p->is_ec || wc_InitRng(&rng) != 0)
        return -1;
    int r = wc_RsaPublicEncrypt(msg, (word32)n, out, (word32)cap, &p->rsa, &rng);
    wc_FreeRng(&rng);
    if (r <= 0)
        return -1;
    *len = (size_t)r;
    return 0;
}

int wcg_random(uint8_t *out, size_t n)
{
    WC_RNG rng;
    if (wc_InitRng(&rng) != 0)
        return -1;
    int r = wc_RNG_GenerateBlock(&rng, out, (word32)n);
    wc_FreeRng(&rng);
    return r == 0 ? 0 : -1;
}
