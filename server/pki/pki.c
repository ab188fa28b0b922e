/* The local test PKI over wolfCrypt's certificate generation.
 *
 * Certificates carry: a random positive 128-bit serial, the caller's absolute
 * validity (UTCTime for 1950..2049, GeneralizedTime otherwise, as RFC 5280 asks),
 * SKID/AKID, keyUsage, basicConstraints for CAs, serverAuth+clientAuth EKU for
 * server leaves (clientAuth alone for client certificates), a subjectAltName with dNSName and
 * iPAddress entries, and SHA-256 signatures (RSA PKCS#1 v1.5 or ECDSA). wolfCrypt has no API that
 * builds a GeneralNames value from strings, so that one SEQUENCE is assembled here. */
#define _POSIX_C_SOURCE 200809L

#include "pki.h"

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/settings.h>
#include <wolfssl/wolfcrypt/asn.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/rsa.h>

#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum {
    PKI_KEY_DER_MAX = 8192,  /* RSA-4096 PKCS#1 is ~2.4 KB */
    PKI_CERT_DER_MAX = 8192, /* certificate without the SAN */
    PKI_SERIAL_LEN = 16,     /* 128 random bits (CA/B asks for >= 64) */
    PKI_RSA_DEFAULT_BITS = 2048,
    PKI_RSA_EXPONENT = 65537,
    PKI_P256_BYTES = 32,
};

/* A decoded private key, ready for wolfCrypt calls. */
typedef struct {
    tfpki_key_type type;
    RsaKey rsa;
    ecc_key ecc;
} pki_keypair;

/* ---- keys ------------------------------------------------------------------------- */

static int keypair_wc_type(const pki_keypair *kp)
{
    return kp->type == TFPKI_RSA ? RSA_TYPE : ECC_TYPE;
}

static void *keypair_wc_key(pki_keypair *kp)
{
    return kp->type == TFPKI_RSA ? (void *)&kp->rsa : (void *)&kp->ecc;
}

static void keypair_free(pki_keypair *kp)
{
    if (kp == NULL) {
        return;
    }
    if (kp->type == TFPKI_RSA) {
        wc_FreeRsaKey(&kp->rsa);
    } else if (kp->type == TFPKI_ECDSA_P256) {
        wc_ecc_free(&kp->ecc);
    }
    free(kp);
}

/* Decode traditional-format key DER (PKCS#1 or SEC1), trying RSA then EC. */
static pki_keypair *keypair_decode(const uint8_t *der, size_t len)
{
    pki_keypair *kp = calloc(1, sizeof(*kp));
    word32 idx = 0;

    if (kp == NULL || len > PKI_KEY_DER_MAX) {
        free(kp);
        return NULL;
    }
    if (wc_InitRsaKey(&kp->rsa, NULL) == 0) {
        if (wc_RsaPrivateKeyDecode(der, &idx, &kp->rsa, (word32)len) == 0 && idx == len) {
            kp->type = TFPKI_RSA;
            return kp;
        }
        wc_FreeRsaKey(&kp->rsa);
    }
    idx = 0;
    if (wc_ecc_init(&kp->ecc) == 0) {
        if (wc_EccPrivateKeyDecode(der, &idx, &kp->ecc, (word32)len) == 0 && idx == len &&
            wc_ecc_get_curve_id(kp->ecc.idx) == ECC_SECP256R1) {
            kp->type = TFPKI_ECDSA_P256;
            /* SEC1 may omit the public point; certificates need it. */
            if (kp->ecc.type == ECC_PRIVATEKEY_ONLY && wc_ecc_make_pub(&kp->ecc, NULL) != 0) {
                keypair_free(kp);
                return NULL;
            }
            return kp;
        }
        wc_ecc_free(&kp->ecc);
    }
    free(kp);
    return NULL;
}

/* PEM text for DER of a wolfCrypt type; returns a NUL-terminated heap string. */
static char *der_to_pem(const uint8_t *der, size_t len, int type)
{
    /* base64 + a newline per 64 columns + header and footer lines */
    size_t b64 = 4 * ((len + 2) / 3);
    size_t cap = b64 + b64 / 64 + 2 + 128;
    char *pem = malloc(cap + 1);
    int n;

    if (pem == NULL) {
        return NULL;
    }
    n = wc_DerToPem(der, (word32)len, (byte *)pem, (word32)cap, type);
    if (n <= 0 || (size_t)n > cap) {
        free(pem);
        return NULL;
    }
    pem[n] = '\0';
    return pem;
}

/* Export a decoded key into the public struct (canonical DER plus PEM). */
static int keypair_export(const pki_keypair *kp_const, tfpki_key *out)
{
    pki_keypair *kp = (pki_keypair *)kp_const; /* wolfCrypt's encoders take non-const */
    uint8_t *der = malloc(PKI_KEY_DER_MAX);
    int n;

    memset(out, 0, sizeof(*out));
    if (der == NULL) {
        return -1;
    }
    if (kp->type == TFPKI_RSA) {
        n = wc_RsaKeyToDer(&kp->rsa, der, PKI_KEY_DER_MAX);
    } else {
        n = wc_EccKeyToDer(&kp->ecc, der, PKI_KEY_DER_MAX);
    }
    if (n <= 0) {
        free(der);
        return -1;
    }
    out->type = kp->type;
    out->der = der;
    out->der_len = (size_t)n;
    out->pem =
        der_to_pem(der, (size_t)n, kp->type == TFPKI_RSA ? PRIVATEKEY_TYPE : ECC_PRIVATEKEY_TYPE);
    if (out->pem == NULL) {
        tfpki_key_free(out);
        return -1;
    }
    return 0;
}

/* kp->type is set only once the key is initialised, so keypair_free stays safe. */
static int keypair_generate(pki_keypair *kp, tfpki_key_type type, int bits, WC_RNG *rng)
{
    if (type == TFPKI_RSA) {
        if (wc_InitRsaKey(&kp->rsa, NULL) != 0) {
            return -1;
        }
        kp->type = type;
        return wc_MakeRsaKey(&kp->rsa, bits, PKI_RSA_EXPONENT, rng) == 0 ? 0 : -1;
    }
    if (wc_ecc_init(&kp->ecc) != 0) {
        return -1;
    }
    kp->type = type;
    return wc_ecc_make_key_ex(rng, PKI_P256_BYTES, &kp->ecc, ECC_SECP256R1) == 0 ? 0 : -1;
}

int tfpki_key_generate(tfpki_key *out, tfpki_key_type type, int bits)
{
    pki_keypair *kp;
    WC_RNG rng;
    int ret = -1;

    if (out == NULL || (type != TFPKI_RSA && type != TFPKI_ECDSA_P256)) {
        return -1;
    }
    memset(out, 0, sizeof(*out));
    if (type == TFPKI_RSA && bits == 0) {
        bits = PKI_RSA_DEFAULT_BITS;
    }
    kp = calloc(1, sizeof(*kp));
    if (kp == NULL) {
        return -1;
    }
    if (wc_InitRng(&rng) != 0) {
        free(kp);
        return -1;
    }
    if (keypair_generate(kp, type, bits, &rng) == 0) {
        ret = keypair_export(kp, out);
    }
    keypair_free(kp);
    wc_FreeRng(&rng);
    return ret;
}

static int looks_like_pem(const uint8_t *buf, size_t len)
{
    static const char tag[] = "-----BEGIN ";
    size_t i;

    for (i = 0; i + sizeof(tag) - 1 <= len; i++) {
        if (memcmp(buf + i, tag, sizeof(tag) - 1) == 0) {
            return 1;
        }
    }
    return 0;
}

/* PEM or DER (traditional or unencrypted PKCS#8) into traditional DER in tmp. */
static int key_input_to_der(const uint8_t *buf, size_t len, uint8_t *tmp, size_t cap, size_t *off,
                            size_t *der_len)
{
    word32 idx = 0;
    int n;

    if (looks_like_pem(buf, len)) {
        n = wc_KeyPemToDer(buf, (int)len, tmp, (int)cap, NULL);
        if (n <= 0) {
            return -1;
        }
    } else {
        if (len > cap) {
            return -1;
        }
        memcpy(tmp, buf, len);
        n = (int)len;
    }
    /* PKCS#8 wraps the traditional key; step inside if that is what we got. */
    if (wc_GetPkcs8TraditionalOffset(tmp, &idx, (word32)n) >= 0) {
        *off = idx;
        *der_len = (size_t)n - idx;
    } else {
        *off = 0;
        *der_len = (size_t)n;
    }
    return 0;
}

int tfpki_key_load(tfpki_key *out, const uint8_t *buf, size_t len)
{
    uint8_t *tmp;
    size_t off = 0, der_len = 0;
    pki_keypair *kp = NULL;
    int ret = -1;

    if (out == NULL) {
        return -1;
    }
    memset(out, 0, sizeof(*out));
    if (buf == NULL || len == 0 || len > 4 * PKI_KEY_DER_MAX) {
        return -1;
    }
    tmp = malloc(4 * PKI_KEY_DER_MAX);
    if (tmp == NULL) {
        return -1;
    }
    if (key_input_to_der(buf, len, tmp, 4 * PKI_KEY_DER_MAX, &off, &der_len) == 0) {
        kp = keypair_decode(tmp + off, der_len);
    }
    if (kp != NULL) {
        ret = keypair_export(kp, out);
        keypair_free(kp);
    }
    memset(tmp, 0, 4 * PKI_KEY_DER_MAX); /* held private key material */
    free(tmp);
    return ret;
}

void tfpki_key_free(tfpki_key *key)
{
    if (key == NULL) {
        return;
    }
    if (key->der != NULL) {
        memset(key->der, 0, key->der_len);
    }
    free(key->der);
    if (key->pem != NULL) {
        memset(key->pem, 0, strlen(key->pem));
    }
    free(key->pem);
    memset(key, 0, sizeof(*key));
}

void tfpki_cert_free(tfpki_cert *cert)
{
    if (cert == NULL) {
        return;
    }
    free(cert->der);
    free(cert->pem);
    memset(cert, 0, sizeof(*cert));
}

/* ---- validity ----------------------------------------------------------------------- */

/* Proleptic Gregorian date of a day count since 1970-01-01 (Hinnant's algorithm). */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    int64_t era, doe, yoe, doy, mp;

    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = z - era * 146097;
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static void put_digits(uint8_t *p, int64_t v, int n)
{
    while (n-- > 0) {
        p[n] = (uint8_t)('0' + v % 10);
        v /= 10;
    }
}

/* Encode t as a complete UTCTime/GeneralizedTime TLV into out (CTC_DATE_SIZE). */
static int encode_time(int64_t t, uint8_t *out, int *out_len)
{
    int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    int64_t secs = t - days * 86400;
    int64_t year;
    int month, day, yl;
    uint8_t *p;

    civil_from_days(days, &year, &month, &day);
    if (year < 0 || year > 9999) {
        return -1;
    }
    yl = (year >= 1950 && year < 2050) ? 2 : 4;
    out[0] = yl == 2 ? 0x17 : 0x18; /* UTCTime : GeneralizedTime */
    out[1] = (uint8_t)(yl + 11);
    p = out + 2;
    put_digits(p, year, yl);
    p += yl;
    put_digits(p, month, 2);
    put_digits(p + 2, day, 2);
    put_digits(p + 4, secs / 3600, 2);
    put_digits(p + 6, secs / 60 % 60, 2);
    put_digits(p + 8, secs % 60, 2);
    p[10] = 'Z';
    *out_len = 2 + yl + 11;
    return 0;
}

/* ---- subjectAltName ----------------------------------------------------------------- */

typedef struct {
    uint8_t *p;
    size_t len, cap;
} der_out;

/* Append one tag-length-value (definite length, up to 64 KiB). */
static int der_put(der_out *o, uint8_t tag, const uint8_t *v, size_t vlen)
{
    uint8_t hdr[4];
    size_t h = 0;

    hdr[h++] = tag;
    if (vlen < 0x80) {
        hdr[h++] = (uint8_t)vlen;
    } else if (vlen <= 0xff) {
        hdr[h++] = 0x81;
        hdr[h++] = (uint8_t)vlen;
    } else if (vlen <= 0xffff) {
        hdr[h++] = 0x82;
        hdr[h++] = (uint8_t)(vlen >> 8);
        hdr[h++] = (uint8_t)vlen;
    } else {
        return -1;
    }
    if (o->len + h + vlen > o->cap) {
        return -1;
    }
    memcpy(o->p + o->len, hdr, h);
    memcpy(o->p + o->len + h, v, vlen);
    o->len += h + vlen;
    return 0;
}

/* dNSName is an IA5String: printable ASCII without spaces, non-empty. */
static int dns_name_ok(const char *s)
{
    if (*s == '\0') {
        return 0;
    }
    for (; *s; s++) {
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f) {
            return 0;
        }
    }
    return 1;
}

static int put_ip(der_out *o, const char *text)
{
    uint8_t addr[16];

    if (inet_pton(AF_INET, text, addr) == 1) {
        return der_put(o, 0x87, addr, 4); /* [7] iPAddress */
    }
    if (inet_pton(AF_INET6, text, addr) == 1) {
        return der_put(o, 0x87, addr, 16);
    }
    return -1;
}

/* GeneralNames ::= SEQUENCE OF GeneralName, written into the Cert's altNames. */
static int set_alt_names(Cert *cert, const tfpki_spec *spec)
{
    uint8_t *names = malloc(CTC_MAX_ALT_SIZE);
    der_out o = {names, 0, CTC_MAX_ALT_SIZE};
    der_out seq = {cert->altNames, 0, sizeof(cert->altNames)};
    int ret = 0;
    size_t i;

    if (names == NULL) {
        return -1;
    }
    for (i = 0; ret == 0 && i < spec->n_dns; i++) {
        const char *dns = spec->dns_names[i];
        ret = dns != NULL && dns_name_ok(dns)
                  ? der_put(&o, 0x82, (const uint8_t *)dns, strlen(dns)) /* [2] dNSName */
                  : -1;
    }
    for (i = 0; ret == 0 && i < spec->n_ip; i++) {
        ret = spec->ip_addrs[i] != NULL ? put_ip(&o, spec->ip_addrs[i]) : -1;
    }
    if (ret == 0 && o.len > 0) {
        ret = der_put(&seq, 0x30, names, o.len);
        cert->altNamesSz = (int)seq.len;
    }
    free(names);
    return ret;
}

/* ---- certificates ------------------------------------------------------------------- */

static int set_serial(Cert *cert, WC_RNG *rng)
{
    if (wc_RNG_GenerateBlock(rng, cert->serial, PKI_SERIAL_LEN) != 0) {
        return -1;
    }
    /* Positive and exactly PKI_SERIAL_LEN bytes long once DER-encoded. */
    cert->serial[0] = (uint8_t)((cert->serial[0] & 0x3f) | 0x40);
    cert->serialSz = PKI_SERIAL_LEN;
    return 0;
}

static int set_names(Cert *cert, const tfpki_spec *spec)
{
    size_t cn_len = spec->common_name != NULL ? strlen(spec->common_name) : 0;

    if (cn_len == 0 || cn_len >= CTC_NAME_SIZE) {
        return -1;
    }
    memcpy(cert->subject.commonName, spec->common_name, cn_len + 1);
    memcpy(cert->subject.org, "tlsflow test PKI", sizeof("tlsflow test PKI"));
    return 0;
}

static int set_usage(Cert *cert, const tfpki_spec *spec, tfpki_key_type subject_type)
{
    if (spec->is_ca) {
        cert->isCA = 1;
        return wc_SetKeyUsage(cert, "keyCertSign,cRLSign") == 0 ? 0 : -1;
    }
    if (spec->usage == TFPKI_CLIENT_ONLY) /* signs CertificateVerify, nothing else */
        return wc_SetKeyUsage(cert, "digitalSignature") == 0 &&
                       wc_SetExtKeyUsage(cert, "clientAuth") == 0
                   ? 0
                   : -1;
    /* RSA leaves do key transport (keyEncipherment); ECDSA leaves only sign. */
    if (wc_SetKeyUsage(cert, subject_type == TFPKI_RSA ? "digitalSignature,keyEncipherment"
                                                       : "digitalSignature") != 0) {
        return -1;
    }
    return wc_SetExtKeyUsage(cert, "serverAuth,clientAuth") == 0 ? 0 : -1;
}

/* Issuer name and AKID come from the issuer certificate, or from ourselves. */
static int set_issuer(Cert *cert, const tfpki_cert *issuer_cert, pki_keypair *issuer)
{
    if (issuer_cert == NULL) {
        cert->selfSigned = 1;
        return wc_SetAuthKeyIdFromPublicKey_ex(cert, keypair_wc_type(issuer),
                                               keypair_wc_key(issuer)) == 0
                   ? 0
                   : -1;
    }
    cert->selfSigned = 0;
    if (issuer_cert->der == NULL || issuer_cert->der_len > INT32_MAX ||
        wc_SetIssuerBuffer(cert, issuer_cert->der, (int)issuer_cert->der_len) != 0) {
        return -1;
    }
    return wc_SetAuthKeyIdFromCert(cert, issuer_cert->der, (int)issuer_cert->der_len) == 0 ? 0 : -1;
}

static int fill_cert(Cert *cert, const tfpki_spec *spec, pki_keypair *subject,
                     const tfpki_cert *issuer_cert, pki_keypair *issuer, WC_RNG *rng)
{
    if (wc_InitCert(cert) != 0 || set_serial(cert, rng) != 0 || set_names(cert, spec) != 0 ||
        spec->not_before > spec->not_after ||
        encode_time(spec->not_before, cert->beforeDate, &cert->beforeDateSz) != 0 ||
        encode_time(spec->not_after, cert->afterDate, &cert->afterDateSz) != 0 ||
        set_alt_names(cert, spec) != 0 || set_usage(cert, spec, subject->type) != 0) {
        return -1;
    }
    cert->sigType = issuer->type == TFPKI_RSA ? CTC_SHA256wRSA : CTC_SHA256wECDSA;
    if (wc_SetSubjectKeyIdFromPublicKey_ex(cert, keypair_wc_type(subject),
                                           keypair_wc_key(subject)) != 0) {
        return -1;
    }
    return set_issuer(cert, issuer_cert, issuer);
}

static int cert_output(tfpki_cert *out, const uint8_t *der, size_t len)
{
    out->der = malloc(len);
    if (out->der == NULL) {
        return -1;
    }
    memcpy(out->der, der, len);
    out->der_len = len;
    out->pem = der_to_pem(der, len, CERT_TYPE);
    if (out->pem == NULL) {
        tfpki_cert_free(out);
        return -1;
    }
    return 0;
}

/* Build, sign and export. The keys are already decoded. */
static int issue(tfpki_cert *out, const tfpki_spec *spec, pki_keypair *subject,
                 const tfpki_cert *issuer_cert, pki_keypair *issuer, WC_RNG *rng)
{
    Cert *cert = malloc(sizeof(*cert));
    size_t cap = PKI_CERT_DER_MAX + CTC_MAX_ALT_SIZE;
    uint8_t *der = malloc(cap);
    int ret = -1, n;

    if (cert != NULL && der != NULL &&
        fill_cert(cert, spec, subject, issuer_cert, issuer, rng) == 0 &&
        wc_MakeCert_ex(cert, der, (word32)cap, keypair_wc_type(subject), keypair_wc_key(subject),
                       rng) > 0) {
        n = wc_SignCert_ex(cert->bodySz, cert->sigType, der, (word32)cap, keypair_wc_type(issuer),
                           keypair_wc_key(issuer), rng);
        if (n > 0) {
            ret = cert_output(out, der, (size_t)n);
        }
    }
    free(cert); /* no WOLFSSL_CERT_GEN_CACHE: wolfCrypt kept no DecodedCert in it */
    free(der);
    return ret;
}

int tfpki_cert_issue(tfpki_cert *out, const tfpki_spec *spec, const tfpki_key *subject_key,
                     const tfpki_cert *issuer_cert, const tfpki_key *issuer_key)
{
    pki_keypair *subject = NULL, *issuer = NULL;
    WC_RNG rng;
    int ret = -1;

    if (out == NULL) {
        return -1;
    }
    memset(out, 0, sizeof(*out));
    if (spec == NULL || subject_key == NULL || (issuer_cert != NULL && issuer_key == NULL) ||
        (spec->n_dns > 0 && spec->dns_names == NULL) ||
        (spec->n_ip > 0 && spec->ip_addrs == NULL)) {
        return -1;
    }
    if (issuer_cert == NULL) {
        issuer_key = subject_key; /* self-signed */
    }
    subject = keypair_decode(subject_key->der, subject_key->der_len);
    issuer = keypair_decode(issuer_key->der, issuer_key->der_len);
    if (subject != NULL && issuer != NULL && wc_InitRng(&rng) == 0) {
        if (issuer->type == TFPKI_RSA) {
            wc_RsaSetRNG(&issuer->rsa, &rng); /* blinding */
        }
        ret = issue(out, spec, subject, issuer_cert, issuer, &rng);
        wc_FreeRng(&rng);
    }
    keypair_free(subject);
    keypair_free(issuer);
    return ret;
}

/* ---- does a key belong to a certificate? ------------------------------------------ */

/* The first certificate of PEM text, or DER as given, into a fresh DER buffer. */
static int first_cert_der(const uint8_t *in, size_t len, uint8_t **der, size_t *der_len)
{
    int n;

    *der = NULL;
    if (in == NULL || len == 0 || len > INT32_MAX) {
        return -1;
    }
    *der = malloc(len);
    if (*der == NULL) {
        return -1;
    }
    if (looks_like_pem(in, len)) {
        n = wc_CertPemToDer(in, (int)len, *der, (int)len, CERT_TYPE);
    } else {
        memcpy(*der, in, len);
        n = (int)len;
    }
    if (n <= 0) {
        free(*der);
        *der = NULL;
        return -1;
    }
    *der_len = (size_t)n;
    return 0;
}

/* The certificate's SubjectPublicKeyInfo (or RSAPublicKey) and its key algorithm. */
static int cert_public_key(const uint8_t *der, size_t len, uint8_t *out, word32 *out_len,
                           int *is_ec)
{
    DecodedCert *dc = malloc(sizeof(*dc));
    int ret = -1;

    if (dc == NULL) {
        return -1;
    }
    wc_InitDecodedCert(dc, der, (word32)len, NULL);
    if (wc_ParseCert(dc, CERT_TYPE, NO_VERIFY, NULL) == 0 &&
        (dc->keyOID == RSAk || dc->keyOID == ECDSAk) &&
        wc_GetPubKeyDerFromCert(dc, out, out_len) == 0) {
        *is_ec = dc->keyOID == ECDSAk;
        ret = 0;
    }
    wc_FreeDecodedCert(dc);
    free(dc);
    return ret;
}

static const char *curve_label(int curve_id)
{
    switch (curve_id) {
    case ECC_SECP256R1:
        return "P-256";
    case ECC_SECP384R1:
        return "P-384";
    case ECC_SECP521R1:
        return "P-521";
    default:
        return "curve";
    }
}

/* RSA: the private key's modulus and exponent against the certificate's. */
static tfpki_pair_result rsa_pair(const uint8_t *kder, size_t klen, const uint8_t *spki,
                                  word32 spki_len, int cert_is_ec, tfpki_key_desc *desc)
{
    RsaKey priv, pub;
    uint8_t n1[1024], e1[16], n2[1024], e2[16];
    word32 n1_len = sizeof(n1), e1_len = sizeof(e1), n2_len = sizeof(n2), e2_len = sizeof(e2);
    word32 idx = 0;
    tfpki_pair_result ret = TFPKI_PAIR_MISMATCH;

    if (wc_InitRsaKey(&priv, NULL) != 0) {
        return TFPKI_PAIR_BAD_KEY;
    }
    if (wc_RsaPrivateKeyDecode(kder, &idx, &priv, (word32)klen) != 0 ||
        wc_RsaFlattenPublicKey(&priv, e1, &e1_len, n1, &n1_len) != 0) {
        wc_FreeRsaKey(&priv);
        return TFPKI_PAIR_BAD_KEY;
    }
    desc->is_ec = 0;
    desc->bits = wc_RsaEncryptSize(&priv) * 8;
    snprintf(desc->name, sizeof(desc->name), "RSA %d", desc->bits);
    wc_FreeRsaKey(&priv);
    if (cert_is_ec || wc_InitRsaKey(&pub, NULL) != 0) {
        return ret;
    }
    idx = 0;
    if (wc_RsaPublicKeyDecode(spki, &idx, &pub, spki_len) == 0 &&
        wc_RsaFlattenPublicKey(&pub, e2, &e2_len, n2, &n2_len) == 0 && n1_len == n2_len &&
        e1_len == e2_len && memcmp(n1, n2, n1_len) == 0 && memcmp(e1, e2, e1_len) == 0) {
        ret = TFPKI_PAIR_OK;
    }
    wc_FreeRsaKey(&pub);
    return ret;
}

/* EC: the curve and the public point of the private key against the certificate's. */
static tfpki_pair_result ec_pair(const uint8_t *kder, size_t klen, const uint8_t *spki,
                                 word32 spki_len, int cert_is_ec, tfpki_key_desc *desc)
{
    ecc_key priv, pub;
    uint8_t p1[160], p2[160];
    word32 p1_len = sizeof(p1), p2_len = sizeof(p2);
    word32 idx = 0;
    tfpki_pair_result ret = TFPKI_PAIR_MISMATCH;

    if (wc_ecc_init(&priv) != 0) {
        return TFPKI_PAIR_BAD_KEY;
    }
    if (wc_EccPrivateKeyDecode(kder, &idx, &priv, (word32)klen) != 0 || priv.dp == NULL ||
        (priv.type == ECC_PRIVATEKEY_ONLY && wc_ecc_make_pub(&priv, NULL) != 0) ||
        wc_ecc_export_x963(&priv, p1, &p1_len) != 0) {
        wc_ecc_free(&priv);
        return TFPKI_PAIR_BAD_KEY;
    }
    desc->is_ec = 1;
    desc->bits = priv.dp->size * 8;
    snprintf(desc->name, sizeof(desc->name), "EC %s", curve_label(priv.dp->id));
    idx = 0;
    if (cert_is_ec && wc_ecc_init(&pub) == 0) {
        if (wc_EccPublicKeyDecode(spki, &idx, &pub, spki_len) == 0 && pub.dp != NULL &&
            pub.dp->id == priv.dp->id && wc_ecc_export_x963(&pub, p2, &p2_len) == 0 &&
            p1_len == p2_len && memcmp(p1, p2, p1_len) == 0) {
            ret = TFPKI_PAIR_OK;
        }
        wc_ecc_free(&pub);
    }
    wc_ecc_free(&priv);
    return ret;
}

tfpki_pair_result tfpki_check_pair(const uint8_t *cert, size_t cert_len, const uint8_t *key,
                                   size_t key_len, tfpki_key_desc *desc)
{
    uint8_t *cder = NULL, *tmp = NULL;
    uint8_t spki[2048];
    word32 spki_len = sizeof(spki);
    size_t cder_len = 0, off = 0, kder_len = 0;
    int cert_is_ec = 0;
    tfpki_pair_result ret;

    memset(desc, 0, sizeof(*desc));
    if (first_cert_der(cert, cert_len, &cder, &cder_len) != 0 ||
        cert_public_key(cder, cder_len, spki, &spki_len, &cert_is_ec) != 0) {
        free(cder);
        return TFPKI_PAIR_BAD_CERT;
    }
    free(cder);
    if (key == NULL || key_len == 0 || key_len > 4 * PKI_KEY_DER_MAX ||
        (tmp = malloc(4 * PKI_KEY_DER_MAX)) == NULL ||
        key_input_to_der(key, key_len, tmp, 4 * PKI_KEY_DER_MAX, &off, &kder_len) != 0) {
        ret = TFPKI_PAIR_BAD_KEY;
    } else {
        ret = rsa_pair(tmp + off, kder_len, spki, spki_len, cert_is_ec, desc);
        if (ret == TFPKI_PAIR_BAD_KEY) {
            ret = ec_pair(tmp + off, kder_len, spki, spki_len, cert_is_ec, desc);
        }
    }
    if (tmp != NULL) {
        memset(tmp, 0, 4 * PKI_KEY_DER_MAX); /* held private key material */
        free(tmp);
    }
    return ret;
}

int tfpki_cert_public_key(const uint8_t *cert, size_t cert_len, uint8_t *spki, size_t cap,
                          size_t *spki_len, tfpki_key_desc *desc)
{
    uint8_t *cder = NULL;
    size_t cder_len = 0;
    word32 n = cap > UINT32_MAX ? UINT32_MAX : (word32)cap, idx = 0;
    int is_ec = 0, ok = 0;

    memset(desc, 0, sizeof(*desc));
    if (first_cert_der(cert, cert_len, &cder, &cder_len) != 0 ||
        cert_public_key(cder, cder_len, spki, &n, &is_ec) != 0) {
        free(cder);
        return -1;
    }
    free(cder);
    *spki_len = n;
    desc->is_ec = is_ec;
    if (is_ec) {
        ecc_key pub;
        if (wc_ecc_init(&pub) == 0) {
            if (wc_EccPublicKeyDecode(spki, &idx, &pub, n) == 0 && pub.dp != NULL) {
                desc->bits = pub.dp->size * 8;
                snprintf(desc->name, sizeof(desc->name), "EC %s", curve_label(pub.dp->id));
                ok = 1;
            }
            wc_ecc_free(&pub);
        }
    } else {
        RsaKey pub;
        if (wc_InitRsaKey(&pub, NULL) == 0) {
            if (wc_RsaPublicKeyDecode(spki, &idx, &pub, n) == 0) {
                desc->bits = wc_RsaEncryptSize(&pub) * 8;
                snprintf(desc->name, sizeof(desc->name), "RSA %d", desc->bits);
                ok = 1;
            }
            wc_FreeRsaKey(&pub);
        }
    }
    return ok ? 0 : -1;
}
