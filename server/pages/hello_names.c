#include "hello_names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/coding.h>
#include <wolfssl/wolfcrypt/hash.h>

typedef struct {
    uint16_t id;
    const char *name;
} name16;

static const char *lookup(const name16 *t, size_t n, uint16_t id)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].id == id)
            return t[i].name;
    return NULL;
}

#define LOOKUP(table, id) lookup(table, sizeof(table) / sizeof(table[0]), id)

/* Suites that real clients commonly offer, so the page can name what they sent. */
static const name16 suites[] = {
    {0x1301, "TLS_AES_128_GCM_SHA256"},
    {0x1302, "TLS_AES_256_GCM_SHA384"},
    {0x1303, "TLS_CHACHA20_POLY1305_SHA256"},
    {0x1304, "TLS_AES_128_CCM_SHA256"},
    {0x1305, "TLS_AES_128_CCM_8_SHA256"},
    {0xc02b, "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"},
    {0xc02c, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
    {0xc02f, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"},
    {0xc030, "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"},
    {0xcca8, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0xcca9, "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0xccaa, "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256"},
    {0x009e, "TLS_DHE_RSA_WITH_AES_128_GCM_SHA256"},
    {0x009f, "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"},
    {0x009c, "TLS_RSA_WITH_AES_128_GCM_SHA256"},
    {0x009d, "TLS_RSA_WITH_AES_256_GCM_SHA384"},
    {0xc023, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256"},
    {0xc024, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384"},
    {0xc027, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"},
    {0xc028, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384"},
    {0xc009, "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
    {0xc00a, "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA"},
    {0xc013, "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"},
    {0xc014, "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"},
    {0x0067, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA256"},
    {0x006b, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA256"},
    {0x0033, "TLS_DHE_RSA_WITH_AES_128_CBC_SHA"},
    {0x0039, "TLS_DHE_RSA_WITH_AES_256_CBC_SHA"},
    {0x003c, "TLS_RSA_WITH_AES_128_CBC_SHA256"},
    {0x003d, "TLS_RSA_WITH_AES_256_CBC_SHA256"},
    {0x002f, "TLS_RSA_WITH_AES_128_CBC_SHA"},
    {0x0035, "TLS_RSA_WITH_AES_256_CBC_SHA"},
    {0x000a, "TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
    {0xc0ac, "TLS_ECDHE_ECDSA_WITH_AES_128_CCM"},
    {0xc0ad, "TLS_ECDHE_ECDSA_WITH_AES_256_CCM"},
    {0xc09c, "TLS_RSA_WITH_AES_128_CCM"},
    {0xc09d, "TLS_RSA_WITH_AES_256_CCM"},
    {0xc0a0, "TLS_RSA_WITH_AES_128_CCM_8"},
    {0xc0a1, "TLS_RSA_WITH_AES_256_CCM_8"},
    {0x00ff, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"},
    {0x5600, "TLS_FALLBACK_SCSV"},
};

static const name16 extensions[] = {
    {0, "server_name"},
    {1, "max_fragment_length"},
    {5, "status_request"},
    {10, "supported_groups"},
    {11, "ec_point_formats"},
    {13, "signature_algorithms"},
    {14, "use_srtp"},
    {15, "heartbeat"},
    {16, "application_layer_protocol_negotiation"},
    {17, "status_request_v2"},
    {18, "signed_certificate_timestamp"},
    {21, "padding"},
    {22, "encrypt_then_mac"},
    {23, "extended_master_secret"},
    {27, "compress_certificate"},
    {28, "record_size_limit"},
    {34, "delegated_credentials"},
    {35, "session_ticket"},
    {41, "pre_shared_key"},
    {42, "early_data"},
    {43, "supported_versions"},
    {44, "cookie"},
    {45, "psk_key_exchange_modes"},
    {47, "certificate_authorities"},
    {49, "post_handshake_auth"},
    {50, "signature_algorithms_cert"},
    {51, "key_share"},
    {57, "quic_transport_parameters"},
    {13172, "next_protocol_negotiation"},
    {17513, "application_settings"},
    {17613, "application_settings_new"},
    {0xfe0d, "encrypted_client_hello"},
    {0xff01, "renegotiation_info"},
};

static const name16 groups[] = {
    {23, "secp256r1"},
    {24, "secp384r1"},
    {25, "secp521r1"},
    {29, "x25519"},
    {30, "x448"},
    {256, "ffdhe2048"},
    {257, "ffdhe3072"},
    {258, "ffdhe4096"},
    {259, "ffdhe6144"},
    {260, "ffdhe8192"},
    {0x6399, "X25519Kyber768Draft00"},
    {0x11ec, "X25519MLKEM768"},
};

static const name16 sigalgs[] = {
    {0x0201, "rsa_pkcs1_sha1"},
    {0x0203, "ecdsa_sha1"},
    {0x0202, "dsa_sha1"},
    {0x0301, "rsa_pkcs1_sha224"},
    {0x0303, "ecdsa_sha224"},
    {0x0302, "dsa_sha224"},
    {0x0401, "rsa_pkcs1_sha256"},
    {0x0403, "ecdsa_secp256r1_sha256"},
    {0x0402, "dsa_sha256"},
    {0x0501, "rsa_pkcs1_sha384"},
    {0x0503, "ecdsa_secp384r1_sha384"},
    {0x0502, "dsa_sha384"},
    {0x0601, "rsa_pkcs1_sha512"},
    {0x0603, "ecdsa_secp521r1_sha512"},
    {0x0602, "dsa_sha512"},
    {0x0804, "rsa_pss_rsae_sha256"},
    {0x0805, "rsa_pss_rsae_sha384"},
    {0x0806, "rsa_pss_rsae_sha512"},
    {0x0807, "ed25519"},
    {0x0808, "ed448"},
    {0x0809, "rsa_pss_pss_sha256"},
    {0x080a, "rsa_pss_pss_sha384"},
    {0x080b, "rsa_pss_pss_sha512"},
    {0x0904, "mldsa44"},
    {0x0905, "mldsa65"},
    {0x0906, "mldsa87"},
    {0x081a, "ecdsa_brainpoolP256r1tls13_sha256"},
    {0x081b, "ecdsa_brainpoolP384r1tls13_sha384"},
    {0x081c, "ecdsa_brainpoolP512r1tls13_sha512"},
};

const char *suite_name(uint16_t suite)
{
    const char *n = tlsflow_suite_name(suite);
    return n ? n : LOOKUP(suites, suite);
}

const char *extension_name(uint16_t ext)
{
    return LOOKUP(extensions, ext);
}

const char *group_name(uint16_t group)
{
    return LOOKUP(groups, group);
}

const char *sigalg_name(uint16_t alg)
{
    return LOOKUP(sigalgs, alg);
}

const char *point_format_name(uint8_t fmt)
{
    switch (fmt) {
    case 0:
        return "uncompressed";
    case 1:
        return "ansiX962_compressed_prime";
    case 2:
        return "ansiX962_compressed_char2";
    default:
        return NULL;
    }
}

const char *version_name(uint16_t version)
{
    switch (version) {
    case 0x0300:
        return "SSL 3.0";
    case 0x0301:
        return "TLS 1.0";
    case 0x0302:
        return "TLS 1.1";
    case 0x0303:
        return "TLS 1.2";
    case 0x0304:
        return "TLS 1.3";
    case 0:
        return "none";
    default:
        return "unknown";
    }
}

int suite_by_name(const char *name, uint16_t *out)
{
    if (strncasecmp(name, "0x", 2) == 0 && strlen(name) == 6) {
        char *end;
        unsigned long v = strtoul(name + 2, &end, 16);
        if (*end == '\0') {
            *out = (uint16_t)v;
            return 0;
        }
        return -1;
    }
    for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
        if (strcasecmp(suites[i].name, name) == 0) {
            *out = suites[i].id;
            return 0;
        }
    }
    return -1;
}

int is_grease(uint16_t v)
{
    return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* One JA3 field: the values in decimal joined by '-', GREASE left out. */
static void ja3_list16(sbuf *out, const uint16_t *v, size_t n)
{
    int first = 1;
    for (size_t i = 0; i < n; i++) {
        if (is_grease(v[i]))
            continue;
        sb_printf(out, "%s%u", first ? "" : "-", (unsigned)v[i]);
        first = 0;
    }
}

void ja3_string(const tlsflow_hello_info *h, sbuf *out)
{
    sb_printf(out, "%u,", (unsigned)h->version);
    ja3_list16(out, h->suites, h->n_suites);
    sb_puts(out, ",");
    ja3_list16(out, h->extensions, h->n_extensions);
    sb_puts(out, ",");
    ja3_list16(out, h->groups, h->n_groups);
    sb_puts(out, ",");
    for (size_t i = 0; i < h->n_point_formats; i++)
        sb_printf(out, "%s%u", i ? "-" : "", (unsigned)h->point_formats[i]);
}

int ja3_md5_hex(const char *ja3, char hex[33])
{
    byte digest[WC_MD5_DIGEST_SIZE];
    if (wc_Md5Hash((const byte *)ja3, (word32)strlen(ja3), digest) != 0) {
        hex[0] = '\0';
        return -1;
    }
    for (size_t i = 0; i < sizeof(digest); i++)
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    return 0;
}

int cert_ids_make(const uint8_t *der, size_t der_len, const uint8_t spki_sha256[32],
                  size_t chain_len, cert_ids *out)
{
    uint8_t h[WC_SHA256_DIGEST_SIZE];
    memset(out, 0, sizeof(*out));
    if (!der || der_len > 0xffffffffu || wc_Sha256Hash(der, (word32)der_len, h) != 0)
        return -1;
    size_t n = 0; /* 32 x "XX" and 31 colons: 95 characters */
    for (size_t i = 0; i < sizeof(h); i++)
        n += (size_t)snprintf(out->sha256 + n, sizeof(out->sha256) - n, "%s%02X", i ? ":" : "",
                              h[i]);
    static const char pre[] = "sha256//";
    memcpy(out->pin, pre, sizeof(pre) - 1);
    word32 len = (word32)(sizeof(out->pin) - sizeof(pre));
    if (Base64_Encode_NoNl(spki_sha256, 32, (byte *)out->pin + sizeof(pre) - 1, &len) != 0)
        return -1;
    out->pin[sizeof(pre) - 1 + len] = '\0';
    out->chain_len = chain_len;
    return 0;
}
