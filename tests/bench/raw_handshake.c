#include "raw_handshake.h"

#include <stdio.h>

raw_hs_params raw_hs_defaults(const bench_suite *s, size_t leaf_pem_len)
{
    raw_hs_params p;
    p.hs_bytes = s->ecdsa ? 1100 : 1450;
    p.leaf_len = leaf_pem_len * 3 / 4;
    p.group = RAW_X25519;
    p.sig = s->ecdsa ? RAW_SIG_ECDSA : RAW_SIG_RSA_PSS;
    return p;
}

raw_aead raw_suite_aead(const bench_suite *s)
{
    return s->aead == 1 ? RAW_AES128_GCM : s->aead == 2 ? RAW_AES256_GCM : RAW_CHACHA20_POLY1305;
}

static size_t key_block_len(const bench_suite *s)
{
    return s->aead == 1 ? 2 * 16 + 2 * 4 : s->aead == 2 ? 2 * 32 + 2 * 4 : 2 * 32 + 2 * 12;
}

/* What both sides compute alike: the transcript hash over every handshake message, three
 * transcript snapshots (session hash, our Finished, the peer's Finished), four PRF runs
 * (extended master secret, key block, two Finished), two AEAD keys, one Finished sealed
 * and one opened, a 32-byte random. */
static double raw_common(const bench_suite *s, size_t hs_bytes, double b)
{
    raw_hash h = s->sha384 ? RAW_SHA384 : RAW_SHA256;
    raw_aead a = raw_suite_aead(s);
    return raw_hash_us(h, hs_bytes, b) + 3 * raw_hash_peek_us(h, b) + raw_prf_us(h, 48, b) +
           raw_prf_us(h, key_block_len(s), b) + 2 * raw_prf_us(h, 12, b) +
           2 * raw_aead_setup_us(a, b) + raw_aead_seal_us(a, 16, b) + raw_aead_open_us(a, 16, b) +
           raw_rng_us(32, b);
}

void raw_handshake(const bench_suite *s, const raw_hs_params *p, double b, raw_split *r)
{
    double common = raw_common(s, p->hs_bytes, b);
    /* The client checks the chain: one RSA-2048 signature (the CA's) over the leaf. */
    double chain = raw_rsa_verify_us(b) + raw_hash_us(RAW_SHA256, p->leaf_len, b);
    r->client = common + chain;
    r->server = common;
    if (!s->ecdhe) {
        r->client += raw_rsa_pub_decode_us(b) + raw_rsa_encrypt_us(b) + raw_rng_us(46, b);
        r->server += raw_rsa_decrypt_us(b) + raw_rng_us(48, b);
        snprintf(r->what_client, sizeof(r->what_client),
                 "RSA-2048 verify (chain) + RSA public decode + encrypt, PRF x4, hashes, GCM x2");
        snprintf(r->what_server, sizeof(r->what_server),
                 "RSA-2048 private decrypt, PRF x4, hashes, GCM x2");
        return;
    }
    double kx = raw_ecdhe_keygen_us(p->group, b) + raw_ecdhe_shared_us(p->group, b);
    double params_hash = raw_hash_us(RAW_SHA256, 64 + 4 + 97, b);
    r->server += kx + raw_sign_us(p->sig, b) + params_hash;
    r->client +=
        kx + raw_verify_us(p->sig, b) + params_hash + (s->ecdsa ? 0 : raw_rsa_pub_decode_us(b));
    const char *gname = p->group == RAW_X25519 ? "X25519"
                        : p->group == RAW_P256 ? "P-256"
                                               : "P-384";
    const char *sname = p->sig == RAW_SIG_ECDSA     ? "ECDSA P-256"
                        : p->sig == RAW_SIG_RSA_PSS ? "RSA-PSS-2048"
                                                    : "RSA-PKCS1-2048";
    snprintf(r->what_client, sizeof(r->what_client),
             "RSA-2048 verify (chain), %s verify, %s keygen + shared, PRF x4, hashes, AEAD x2",
             sname, gname);
    snprintf(r->what_server, sizeof(r->what_server),
             "%s sign, %s keygen + shared, PRF x4, hashes, AEAD x2", sname, gname);
}
