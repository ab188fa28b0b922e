/* Certificate chain and host name verification over wolfSSL's certificate decoder
 * and certificate manager.
 *
 * How the caller's time is applied. wolfSSL checks validity dates against the
 * system clock, deep inside its parser, and its only time hook (wc_SetTimeCb) is a
 * process-wide global, unusable for a multi-connection engine. So we let wolfSSL
 * judge everything except dates (VERIFY_SKIP_DATE, and CAs loaded with
 * WOLFSSL_LOAD_FLAG_DATE_ERR_OKAY), and judge the dates ourselves against `now`.
 *
 * The common case costs one parse of the leaf. The trust store keeps a certificate
 * manager holding every anchor, built once. When every anchor is valid at `now`
 * and the leaf's signature verifies against that manager directly, the answer is
 * the leaf's own dates and host name; nothing else can change it.
 *
 * Otherwise (an intermediate is needed, an anchor is out of its dates, or the leaf
 * does not verify) the full procedure runs with a manager of its own:
 *  - wolfSSL_CertManagerVerifyBuffer() reports ASN_BEFORE/AFTER_DATE_E only when
 *    nothing else is wrong (an unknown issuer or a bad signature wins), so a date
 *    error from it means "chains correctly": we treat it as success and decide
 *    validity from the certificate's own notBefore/notAfter and `now`.
 *  - Strict pass: only anchors and intermediates that are valid at `now` enter the
 *    manager, so any path wolfSSL finds is valid at `now` end to end (an expired
 *    extra certificate the peer happened to send is harmless). If the leaf then
 *    has no path, a lenient pass adds the date-invalid ones too; if that yields a
 *    path, the answer is the date error, else unknown CA / signature / ...
 *
 * wolfSSL loads every certificate given to a manager as a "user CA" even without
 * basicConstraints CA:TRUE, so intermediates are admitted only after our own
 * CA:TRUE + keyCertSign check. Trust anchors themselves need not be CAs (a pinned
 * self-signed server certificate works). Anchors' validity is checked like any
 * other certificate on the path.
 *
 * The manager also enforces basicConstraints pathLenConstraint and nameConstraints
 * (RFC 5280 4.2.1.9, 4.2.1.10) on every certificate it checks; we name those failures.
 * Its nameConstraints cover DNS, email and directory names only, so a leaf named by IP
 * address or URI under a name-constrained CA is refused (see unchecked_name_forms).
 * Not checked: revocation (no CRL or OCSP fetching in a pure engine).
 *
 * Beyond the path, the leaf must fit a TLS server (RFC 5280 4.2.1.12 extendedKeyUsage
 * with serverAuth or anyExtendedKeyUsage when present; 4.2.1.3 keyUsage allowing some
 * TLS key exchange when present; an EC key on its curve), and no certificate the peer
 * sends may be signed with MD5 or SHA-1 (RFC 5246 7.4.2, RFC 9155), anchors excepted.
 *
 * Certificates are read with wolfCrypt's DecodedCert, not wolfSSL_X509 objects: the
 * latter also build an EVP key, which seeds a DRBG per certificate.
 *
 * Host names: only the subjectAltName is consulted (no common-name fallback, as
 * RFC 6125 and the CA/Browser Forum require today). */
#include "x509.h"

#include "crypto.h"
#include "fault.h"

#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/asn.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/rsa.h>

#ifdef IGNORE_NAME_CONSTRAINTS
#error "tlsflow needs wolfSSL's nameConstraints support (built without IGNORE_NAME_CONSTRAINTS)"
#endif

#define TF_X509_MAX_CHAIN 16   /* certificates accepted from the peer */
#define TF_X509_MAX_SPKI  2048 /* RSA-8192 and every EC key fit */

typedef struct {
    int64_t not_before;
    int64_t not_after;
} tf_validity;

struct tf_trust {
    size_t n;
    uint8_t **der;
    size_t *len;
    tf_validity *validity;
    WOLFSSL_CTX *all;     /* every anchor, loaded once; read-only afterwards */
    int constrains_names; /* an anchor carries nameConstraints */
};

/* One certificate as wolfCrypt decoded it. `fields` says whether the decode got
 * through everything we read and found nothing wrong in it (so when only the
 * signer is missing, too). */
typedef struct {
    DecodedCert dc;
    int rc; /* wc_ParseCert's result */
    int fields;
    tf_validity v;
} tf_cert;

/* ---- dates ------------------------------------------------------------------------ */

/* Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    int64_t era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int days_in_month(int64_t y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

    return m == 2 ? 28 + leap : days[m - 1];
}

/* An encoded X.509 Time (tag, length, text) to seconds since the epoch. RFC 5280
 * 4.1.2.5 forms only: YYMMDDHHMMSSZ or YYYYMMDDHHMMSSZ. wolfCrypt reads the text
 * (UTCTime 50..99 as 19xx, as 4.1.2.5.1 says). */
static int time_to_epoch(const byte *enc, int enc_len, int64_t *out)
{
    const byte *text;
    byte format;
    int len;
    struct tm tm;
    int64_t year;
    int mon;

    if (enc == NULL || enc_len <= 0 || wc_GetDateInfo(enc, enc_len, &text, &format, &len) != 0 ||
        !((format == ASN_UTC_TIME && len == 13) || (format == ASN_GENERALIZED_TIME && len == 15)) ||
        text[len - 1] != 'Z') {
        return -1;
    }
    memset(&tm, 0, sizeof(tm));
    if (wc_GetDateAsCalendarTime(text, len, format, &tm) != 0) {
        return -1;
    }
    year = (int64_t)tm.tm_year + 1900;
    mon = tm.tm_mon + 1;
    if (mon < 1 || mon > 12 || tm.tm_mday < 1 || tm.tm_mday > days_in_month(year, mon) ||
        tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 ||
        tm.tm_sec > 59) {
        return -1;
    }
    *out = days_from_civil(year, mon, tm.tm_mday) * 86400 + tm.tm_hour * 3600 + tm.tm_min * 60 +
           tm.tm_sec;
    return 0;
}

/* RFC 5280 4.1.2.5: valid from notBefore through notAfter inclusive. */
static int date_check(const tf_validity *v, int64_t now)
{
    if (now < v->not_before) {
        return TLSFLOW_E_CERT_NOT_YET_VALID;
    }
    if (now > v->not_after) {
        return TLSFLOW_E_CERT_EXPIRED;
    }
    return TLSFLOW_OK;
}

/* ---- reading one certificate ------------------------------------------------------- */

/* Decode der into c; `verify` and `cm` as wc_ParseCert takes them. Always pair with
 * cert_release, whatever the result. */
static int cert_parse(tf_cert *c, const uint8_t *der, size_t len, int verify,
                      WOLFSSL_CERT_MANAGER *cm)
{
    static const uint8_t none[1];
    int usable = der != NULL && len > 0 && len <= INT32_MAX;

    wc_InitDecodedCert(&c->dc, usable ? der : none, usable ? (word32)len : 0, NULL);
    c->rc = usable ? TF_WC(wc_ParseCert(&c->dc, CERT_TYPE, verify, cm)) : ASN_PARSE_E;
    /* A missing signer is reported before a deferred critical-extension error. */
    c->fields = (c->rc == 0 ||
                 (verify != NO_VERIFY && c->rc == ASN_NO_SIGNER_E && c->dc.criticalExt == 0)) &&
                time_to_epoch(c->dc.beforeDate, c->dc.beforeDateLen, &c->v.not_before) == 0 &&
                time_to_epoch(c->dc.afterDate, c->dc.afterDateLen, &c->v.not_after) == 0;
    return c->rc;
}

static void cert_release(tf_cert *c)
{
    wc_FreeDecodedCert(&c->dc);
}

/* May this certificate issue others? basicConstraints CA:TRUE, and keyCertSign
 * when keyUsage is present. */
static int may_issue(const DecodedCert *dc)
{
    return dc->isCA && (!dc->extKeyUsageSet || (dc->extKeyUsage & KEYUSE_KEY_CERT_SIGN) != 0);
}

/* Signed with MD2, MD5 or SHA-1? Our client never offers them in signature_algorithms,
 * and RFC 5246 7.4.2 wants every certificate the server provides signed with an offered
 * pair (RFC 9155 deprecates both hashes); only trust anchors are exempt. */
static int weak_signature(const DecodedCert *dc)
{
    switch (dc->signatureOID) {
    case CTC_MD2wRSA:
    case CTC_MD5wRSA:
    case CTC_SHAwRSA:
    case CTC_SHAwECDSA:
    case CTC_SHAwDSA:
        return 1;
    default:
        return 0;
    }
}

/* May this leaf authenticate a TLS server? RFC 5280 4.2.1.12: an extendedKeyUsage, when
 * present, limits the key to its purposes (id-kp-serverAuth, or anyExtendedKeyUsage,
 * which restricts nothing); 4.2.1.3: a keyUsage, when present, must allow a use some
 * TLS 1.2 key exchange makes of it (RFC 5246 7.4.2: digitalSignature for signatures,
 * keyEncipherment for RSA key transport, keyAgreement for static (EC)DH). Which one the
 * suite needs is the handshake's business; a key that allows none of them serves no
 * suite. */
static const char *leaf_purpose(const DecodedCert *dc, int client)
{
    if (client) { /* the same rules for a client: clientAuth, and a signing key */
        if (dc->extExtKeyUsageSet &&
            (dc->extExtKeyUsage & (EXTKEYUSE_CLIENT_AUTH | EXTKEYUSE_ANY)) == 0)
            return "the certificate's extendedKeyUsage does not include clientAuth";
        if (dc->extKeyUsageSet && (dc->extKeyUsage & KEYUSE_DIGITAL_SIG) == 0)
            return "the certificate's keyUsage does not allow digitalSignature";
        return NULL;
    }
    if (dc->extExtKeyUsageSet &&
        (dc->extExtKeyUsage & (EXTKEYUSE_SERVER_AUTH | EXTKEYUSE_ANY)) == 0) {
        return "the certificate's extendedKeyUsage does not include serverAuth";
    }
    if (dc->extKeyUsageSet &&
        (dc->extKeyUsage & (KEYUSE_DIGITAL_SIG | KEYUSE_KEY_ENCIPHER | KEYUSE_KEY_AGREE)) == 0) {
        return "the certificate's keyUsage allows no TLS key exchange";
    }
    return NULL;
}

/* ---- trust store ------------------------------------------------------------------ */

static int load_ca(WOLFSSL_CTX *ctx, const uint8_t *der, size_t len)
{
    return wolfSSL_CTX_load_verify_buffer_ex(ctx, der, (long)len, WOLFSSL_FILETYPE_ASN1, 0,
                                             WOLFSSL_LOAD_FLAG_DATE_ERR_OKAY) == WOLFSSL_SUCCESS
               ? 0
               : -1;
}

void tf_trust_free(tf_trust *trust)
{
    size_t i;

    if (trust == NULL) {
        return;
    }
    for (i = 0; trust->der != NULL && i < trust->n; i++) {
        free(trust->der[i]);
    }
    free(trust->der);
    free(trust->len);
    free(trust->validity);
    wolfSSL_CTX_free(trust->all);
    free(trust);
    wolfSSL_Cleanup(); /* balances the wolfSSL_Init in tf_trust_new */
}

static int trust_add(tf_trust *t, size_t i, const uint8_t *der, size_t len)
{
    tf_cert *c = TF_ALLOC(malloc(sizeof(*c)));
    int ok;

    if (c == NULL) {
        return -1;
    }
    cert_parse(c, der, len, NO_VERIFY, NULL);
    ok = c->fields;
    t->validity[i] = c->v;
    t->constrains_names |= ok && c->dc.extNameConstraintSet;
    cert_release(c);
    free(c);
    t->der[i] = ok ? TF_ALLOC(malloc(len)) : NULL;
    if (t->der[i] == NULL) {
        return -1;
    }
    memcpy(t->der[i], der, len);
    t->len[i] = len;
    /* A failed load (say, a cross-signed anchor whose signature does not verify)
     * just leaves it out, as in the full procedure. */
    (void)load_ca(t->all, der, len);
    return 0;
}

tf_trust *tf_trust_new(const uint8_t *const *ders, const size_t *lens, size_t n)
{
    tf_trust *t;
    size_t i;

    if (n > 0 && (ders == NULL || lens == NULL)) {
        return NULL;
    }
    /* Initialise wolfSSL here, at configuration time, not racing in a handshake. */
    if (wolfSSL_Init() != WOLFSSL_SUCCESS) {
        return NULL;
    }
    t = TF_ALLOC(calloc(1, sizeof(*t)));
    if (t == NULL) {
        wolfSSL_Cleanup();
        return NULL;
    }
    t->n = n;
    t->der = TF_ALLOC(calloc(n + 1, sizeof(*t->der)));
    t->len = TF_ALLOC(calloc(n + 1, sizeof(*t->len)));
    t->validity = TF_ALLOC(calloc(n + 1, sizeof(*t->validity)));
    t->all = wolfSSL_CTX_new(wolfTLSv1_2_client_method());
    if (t->der == NULL || t->len == NULL || t->validity == NULL || t->all == NULL) {
        tf_trust_free(t);
        return NULL;
    }
    for (i = 0; i < n; i++) {
        if (trust_add(t, i, ders[i], lens[i]) != 0) {
            tf_trust_free(t);
            return NULL;
        }
    }
    return t;
}

/* Is der byte for byte one of the anchors? */
static int is_anchor(const tf_trust *t, const uint8_t *der, size_t len)
{
    size_t i;

    for (i = 0; i < t->n; i++) {
        if (t->len[i] == len && memcmp(t->der[i], der, len) == 0) {
            return 1;
        }
    }
    return 0;
}

/* The manager with every anchor, when every anchor is valid at `now` (then it is
 * exactly what the strict pass would load); else NULL. */
static WOLFSSL_CERT_MANAGER *all_anchors_at(const tf_trust *t, int64_t now)
{
    size_t i;

    for (i = 0; i < t->n; i++) {
        if (date_check(&t->validity[i], now) != TLSFLOW_OK) {
            return NULL;
        }
    }
    return wolfSSL_CTX_GetCertManager(t->all);
}

/* ---- chain verification ----------------------------------------------------------- */

/* What wolfSSL said about one certificate, in our terms. */
typedef enum {
    V_OK,          /* chains to a loaded CA with a good signature (dates aside) */
    V_NO_SIGNER,   /* no loaded CA issued it */
    V_SELF_SIGNED, /* self-signed and not loaded as a CA */
    V_SIGNATURE,   /* an issuer was found but the signature does not verify */
    V_UNSUPPORTED, /* signature algorithm or key type wolfSSL cannot check */
    V_PATH_LENGTH, /* below a CA whose pathLenConstraint allows no more CAs */
    V_NAMES,       /* names outside an issuer's nameConstraints */
    V_BAD          /* anything else: unparsable, bad critical extension, ... */
} verdict;

static verdict classify(int rc)
{
    switch (rc) {
    case WOLFSSL_SUCCESS:   /* the manager's success (never 0, which is WOLFSSL_FAILURE) */
    case ASN_BEFORE_DATE_E: /* only reported when all else is fine; we judge dates */
    case ASN_AFTER_DATE_E:
        return V_OK;
    case ASN_NO_SIGNER_E:
        return V_NO_SIGNER;
    case ASN_SELF_SIGNED_E:
        return V_SELF_SIGNED;
    case ASN_SIG_CONFIRM_E:
    case ASN_SIG_OID_E:
    case SIG_VERIFY_E:
        return V_SIGNATURE;
    case ASN_SIG_HASH_E:
    case ASN_SIG_KEY_E:
        return V_UNSUPPORTED;
    case ASN_PATHLEN_INV_E:
    case ASN_PATHLEN_SIZE_E:
        return V_PATH_LENGTH;
    case ASN_NAME_INVALID_E:
        return V_NAMES;
    default:
        return V_BAD;
    }
}

enum { C_PENDING, C_LOADED, C_REJECTED };

typedef struct {
    const tf_trust *trust;
    const uint8_t *const *certs;
    const size_t *lens;
    size_t n;
    int64_t now;
    const tf_cert *leaf;                    /* certs[0], decoded by the caller */
    tf_cert *mid;                           /* certs[1..n-1], decoded here (mid[i - 1]) */
    size_t n_decoded;                       /* how many of mid hold a decode to release */
    unsigned char state[TF_X509_MAX_CHAIN]; /* intermediates: C_* */
    WOLFSSL_CTX *ctx;
    WOLFSSL_CERT_MANAGER *cm;
    int skipped_expired; /* a CA was left out of the strict pass: expired */
    int skipped_early;   /* ... not yet valid */
    int saw_bad_sig;     /* an intermediate had a signature that did not verify */
    int saw_not_ca;      /* an intermediate chained but may not issue certificates */
    int saw_unsupported; /* an intermediate used an algorithm wolfSSL cannot check */
    int saw_path_length; /* an intermediate sat deeper than a pathLenConstraint allows */
    int saw_names;       /* an intermediate's names broke its issuer's nameConstraints */
    int saw_weak;        /* an intermediate was signed with MD5 or SHA-1 */
} chain;

static verdict chain_check(chain *c, size_t i)
{
    return classify(wolfSSL_CertManagerVerifyBuffer(c->cm, c->certs[i], (long)c->lens[i],
                                                    WOLFSSL_FILETYPE_ASN1));
}

static void note_skipped(chain *c, int date_rc)
{
    if (date_rc == TLSFLOW_E_CERT_EXPIRED) {
        c->skipped_expired = 1;
    } else {
        c->skipped_early = 1;
    }
}

/* Strict: anchors valid at `now`. Lenient: the others. A failed load (say, a
 * cross-signed anchor whose signature does not verify) just leaves it out. */
static void load_anchors(chain *c, int lenient)
{
    size_t i;
    int rc;

    for (i = 0; i < c->trust->n; i++) {
        rc = date_check(&c->trust->validity[i], c->now);
        if (rc != TLSFLOW_OK && !lenient) {
            note_skipped(c, rc);
            continue;
        }
        if (rc == TLSFLOW_OK && lenient) {
            continue; /* loaded by the strict pass */
        }
        (void)load_ca(c->ctx, c->trust->der[i], c->trust->len[i]);
    }
}

/* Try to admit intermediate i as a CA; 1 if it was loaded. */
static int try_intermediate(chain *c, size_t i, int lenient)
{
    verdict v = chain_check(c, i);
    const tf_cert *m = &c->mid[i - 1];
    int rc;

    if (v == V_SIGNATURE) {
        c->saw_bad_sig = 1;
    } else if (v == V_UNSUPPORTED) {
        c->saw_unsupported = 1;
    } else if (v == V_PATH_LENGTH) {
        c->saw_path_length = 1;
    } else if (v == V_NAMES) {
        c->saw_names = 1;
    }
    if (v != V_OK) {
        return 0; /* perhaps its issuer arrives later in this pass */
    }
    if (!may_issue(&m->dc)) {
        c->saw_not_ca = 1;
        c->state[i] = C_REJECTED;
        return 0;
    }
    if (weak_signature(&m->dc) && !is_anchor(c->trust, c->certs[i], c->lens[i])) {
        c->saw_weak = 1;
        c->state[i] = C_REJECTED;
        return 0;
    }
    rc = date_check(&m->v, c->now);
    if (rc != TLSFLOW_OK && !lenient) {
        note_skipped(c, rc);
        return 0;
    }
    if (load_ca(c->ctx, c->certs[i], c->lens[i]) != 0) {
        c->state[i] = C_REJECTED;
        return 0;
    }
    c->state[i] = C_LOADED;
    return 1;
}

/* Admit intermediates in whatever order the peer sent them: repeat until a pass
 * admits nothing new (at most n-1 passes). */
static void add_intermediates(chain *c, int lenient)
{
    int progress = 1;
    size_t i;

    while (progress) {
        progress = 0;
        for (i = 1; i < c->n; i++) {
            if (c->state[i] == C_PENDING && try_intermediate(c, i, lenient)) {
                progress = 1;
            }
        }
    }
}

static int fail(const char **detail, int code, const char *sentence)
{
    if (detail != NULL) {
        *detail = sentence;
    }
    return code;
}

#define PATH_LENGTH_SENTENCE                                                                       \
    "the chain has more CA certificates than a pathLenConstraint above them allows"
#define NAMES_SENTENCE "a certificate's names are outside its issuer's nameConstraints"
#define WEAK_SENTENCE  "a certificate in the chain is signed with MD5 or SHA-1"

/* The leaf has no path to an anchor even counting date-invalid CAs: say why. */
static int no_path(const chain *c, verdict leaf, const char **detail)
{
    if (c->saw_bad_sig) {
        return fail(detail, TLSFLOW_E_CERT_SIGNATURE,
                    "a signature in the certificate chain does not verify");
    }
    if (c->saw_unsupported) {
        return fail(detail, TLSFLOW_E_CERT_BAD,
                    "a certificate in the chain uses an unsupported signature algorithm");
    }
    if (c->saw_path_length) {
        return fail(detail, TLSFLOW_E_CERT_BAD, PATH_LENGTH_SENTENCE);
    }
    if (c->saw_names) {
        return fail(detail, TLSFLOW_E_CERT_BAD, NAMES_SENTENCE);
    }
    if (c->saw_weak) {
        return fail(detail, TLSFLOW_E_CERT_BAD, WEAK_SENTENCE);
    }
    if (leaf == V_SELF_SIGNED) {
        return fail(detail, TLSFLOW_E_CERT_SELF_SIGNED,
                    "certificate is self-signed and not a trusted anchor");
    }
    if (c->saw_not_ca) {
        return fail(detail, TLSFLOW_E_CERT_UNKNOWN_CA,
                    "an intermediate certificate is not allowed to issue certificates");
    }
    return fail(detail, TLSFLOW_E_CERT_UNKNOWN_CA,
                "certificate chain does not lead to a trusted root");
}

/* The verdict on the leaf once the manager holds everything it may hold. */
static int leaf_verdict(const chain *c, verdict v, const char **detail)
{
    switch (v) {
    case V_OK:
        return TLSFLOW_OK;
    case V_SIGNATURE:
        return fail(detail, TLSFLOW_E_CERT_SIGNATURE,
                    "the certificate's signature does not verify with its issuer's key");
    case V_UNSUPPORTED:
        return fail(detail, TLSFLOW_E_CERT_BAD,
                    "certificate uses an unsupported signature algorithm");
    case V_PATH_LENGTH:
        return fail(detail, TLSFLOW_E_CERT_BAD, PATH_LENGTH_SENTENCE);
    case V_NAMES:
        return fail(detail, TLSFLOW_E_CERT_BAD, NAMES_SENTENCE);
    case V_BAD:
        return fail(detail, TLSFLOW_E_CERT_BAD,
                    "certificate rejected: malformed, an unknown critical extension, or a "
                    "signature this verifier cannot check (such as DSA)");
    default:
        return no_path(c, v, detail);
    }
}

/* The leaf's own dates, once its path is good. */
static int leaf_dates(const tf_cert *leaf, int64_t now, const char **detail)
{
    switch (date_check(&leaf->v, now)) {
    case TLSFLOW_E_CERT_EXPIRED:
        return fail(detail, TLSFLOW_E_CERT_EXPIRED,
                    "certificate expired (notAfter is in the past)");
    case TLSFLOW_E_CERT_NOT_YET_VALID:
        return fail(detail, TLSFLOW_E_CERT_NOT_YET_VALID,
                    "certificate is not yet valid (notBefore is in the future)");
    default:
        return TLSFLOW_OK;
    }
}

/* Chain verification proper (no host name); dates judged against c->now. */
static int verify_path(chain *c, const char **detail)
{
    verdict v;
    int rc;

    load_anchors(c, 0);
    add_intermediates(c, 0);
    v = chain_check(c, 0);
    if ((v == V_NO_SIGNER || v == V_SELF_SIGNED) && (c->skipped_expired || c->skipped_early)) {
        load_anchors(c, 1);
        add_intermediates(c, 1);
        v = chain_check(c, 0);
        if (v == V_OK) {
            /* Only a CA that is invalid at `now` completes the path. */
            rc = date_check(&c->leaf->v, c->now);
            if (rc == TLSFLOW_OK) {
                rc = c->skipped_expired ? TLSFLOW_E_CERT_EXPIRED : TLSFLOW_E_CERT_NOT_YET_VALID;
            }
            return rc == TLSFLOW_E_CERT_EXPIRED
                       ? fail(detail, rc,
                              "a certificate in the chain expired (notAfter is in "
                              "the past)")
                       : fail(detail, rc,
                              "a certificate in the chain is not yet valid "
                              "(notBefore is in the future)");
        }
    }
    rc = leaf_verdict(c, v, detail);
    return rc != TLSFLOW_OK ? rc : leaf_dates(c->leaf, c->now, detail);
}

/* Decode every certificate after the leaf. Each must read, used or not: the answer
 * must not depend on which route the verification takes. */
static int decode_intermediates(chain *c, const char **detail)
{
    size_t i;

    c->mid = c->n > 1 ? TF_ALLOC(calloc(c->n - 1, sizeof(*c->mid))) : NULL;
    if (c->n > 1 && c->mid == NULL) {
        return fail(detail, TLSFLOW_E_INTERNAL, "out of memory verifying the certificate chain");
    }
    for (i = 1; i < c->n; i++) {
        tf_cert *m = &c->mid[i - 1];
        cert_parse(m, c->certs[i], c->lens[i], NO_VERIFY, NULL);
        c->n_decoded = i;
        if (!m->fields) {
            return fail(detail, TLSFLOW_E_CERT_BAD,
                        m->rc == 0 ? "certificate validity dates could not be read"
                                   : "certificate could not be parsed");
        }
    }
    return TLSFLOW_OK;
}

static void release_intermediates(chain *c)
{
    size_t i;

    for (i = 0; i < c->n_decoded; i++) {
        cert_release(&c->mid[i]);
    }
    free(c->mid);
    c->mid = NULL;
}

/* The full procedure: a manager of its own, intermediates admitted one by one. */
static int verify_full(chain *c, const char **detail)
{
    int rc;

    c->ctx = wolfSSL_CTX_new(wolfTLSv1_2_client_method());
    c->cm = c->ctx != NULL ? wolfSSL_CTX_GetCertManager(c->ctx) : NULL;
    rc = c->cm == NULL
             ? fail(detail, TLSFLOW_E_INTERNAL, "certificate verifier could not be set up")
             : verify_path(c, detail);
    wolfSSL_CTX_free(c->ctx);
    c->ctx = NULL;
    return rc;
}

/* wolfCrypt enforces nameConstraints on DNS, email and directory names, and drops
 * iPAddress and URI subtrees unread. RFC 5280 4.2.1.10: a name form a critical
 * constraint may cover must be checked or refused, so a leaf that names itself by IP
 * address or URI is refused when any CA we may have used carries nameConstraints. */
static int unchecked_name_forms(const tf_trust *t, const chain *c, const DecodedCert *leaf,
                                const char **detail)
{
    int constrained = t->constrains_names;
    const DNS_entry *e;
    size_t i;

    for (i = 0; i < c->n_decoded; i++) {
        constrained |= c->mid[i].dc.extNameConstraintSet;
    }
    for (e = constrained ? leaf->altNames : NULL; e != NULL; e = e->next) {
        if (e->type == ASN_IP_TYPE || e->type == ASN_URI_TYPE) {
            return fail(detail, TLSFLOW_E_CERT_BAD,
                        "nameConstraints above an iPAddress or URI name, which cannot be "
                        "checked here");
        }
    }
    return TLSFLOW_OK;
}

static int host_check(const DecodedCert *leaf, const char *host, const char **detail);

/* The leaf, once its path is good: not signed with a weak hash (unless it is itself an
 * anchor, say a pinned self-signed certificate) and fit for a TLS server. */
static int leaf_usable(const tf_trust *t, const tf_x509_chain *in, const DecodedCert *leaf,
                       const char **detail)
{
    const char *why = leaf_purpose(leaf, in->client);

    if (weak_signature(leaf) && !is_anchor(t, in->der[0], in->len[0])) {
        return fail(detail, TLSFLOW_E_CERT_BAD, WEAK_SENTENCE);
    }
    return why != NULL ? fail(detail, TLSFLOW_E_CERT_BAD, why) : TLSFLOW_OK;
}

/* Verify a chain whose leaf is already decoded; `fast` says the leaf was decoded
 * against every anchor (all valid at `now`). */
static int verify_decoded(const tf_trust *trust, const tf_x509_chain *in, const tf_cert *leaf,
                          int fast, const char **detail)
{
    chain c;
    int rc;

    if (!leaf->fields) {
        return fail(detail, TLSFLOW_E_CERT_BAD,
                    leaf->rc == 0 ? "certificate validity dates could not be read"
                                  : "certificate could not be parsed");
    }
    memset(&c, 0, sizeof(c));
    c.trust = trust;
    c.certs = in->der;
    c.lens = in->len;
    c.n = in->n;
    c.now = in->now;
    c.leaf = leaf;
    rc = decode_intermediates(&c, detail);
    if (rc == TLSFLOW_OK) {
        rc = fast && leaf->rc == 0 ? leaf_dates(leaf, in->now, detail) : verify_full(&c, detail);
    }
    if (rc == TLSFLOW_OK) {
        rc = unchecked_name_forms(trust, &c, &leaf->dc, detail);
    }
    if (rc == TLSFLOW_OK) {
        rc = leaf_usable(trust, in, &leaf->dc, detail);
    }
    release_intermediates(&c);
    if (rc == TLSFLOW_OK && in->host != NULL) {
        rc = host_check(&leaf->dc, in->host, detail);
    }
    if (rc == TLSFLOW_OK && detail != NULL) {
        *detail = "certificate chain verified";
    }
    return rc;
}

/* Reject what cannot be a chain before decoding anything. */
static int chain_shape(const tf_trust *trust, const tf_x509_chain *in, const char **detail)
{
    if (in->n == 0 || in->der == NULL || in->len == NULL) {
        return fail(detail, TLSFLOW_E_CERT_MISSING, "the peer sent no certificate");
    }
    if (in->n > TF_X509_MAX_CHAIN) {
        return fail(detail, TLSFLOW_E_CERT_BAD, "certificate chain is too long");
    }
    if (trust == NULL) {
        return fail(detail, TLSFLOW_E_CERT_UNKNOWN_CA, "no trust anchors are configured");
    }
    return TLSFLOW_OK;
}

/* Decode the leaf, against every anchor when that manager applies at `now`.
 * Returns the `fast` flag for verify_decoded. */
static int leaf_decode(const tf_trust *trust, const tf_x509_chain *in, tf_cert *leaf)
{
    WOLFSSL_CERT_MANAGER *cm = all_anchors_at(trust, in->now);

    cert_parse(leaf, in->der[0], in->len[0], cm != NULL ? VERIFY_SKIP_DATE : NO_VERIFY, cm);
    if (cm != NULL && leaf->rc != 0 && leaf->rc != ASN_NO_SIGNER_E) {
        /* Some other complaint (a bad signature, ...): the full procedure names it;
         * decode again without verification for the fields. */
        cert_release(leaf);
        cert_parse(leaf, in->der[0], in->len[0], NO_VERIFY, NULL);
        return 0;
    }
    return cm != NULL;
}

int tf_x509_verify(const tf_trust *trust, const uint8_t *const *certs, const size_t *lens, size_t n,
                   int64_t now, const char *host, const char **detail)
{
    tf_x509_chain in = {certs, lens, n, now, host, 0};
    tf_cert *leaf;
    int rc = chain_shape(trust, &in, detail), fast;

    if (rc != TLSFLOW_OK) {
        return rc;
    }
    leaf = TF_ALLOC(malloc(sizeof(*leaf)));
    if (leaf == NULL) {
        return fail(detail, TLSFLOW_E_INTERNAL, "out of memory verifying the certificate chain");
    }
    fast = leaf_decode(trust, &in, leaf);
    rc = verify_decoded(trust, &in, leaf, fast, detail);
    cert_release(leaf);
    free(leaf);
    return rc;
}

/* ---- host names ------------------------------------------------------------------- */

/* Does one SAN entry name the host (ip_len 0: a DNS host)? */
static int san_entry_matches(const DNS_entry *e, const char *host, const uint8_t *ip, int ip_len)
{
    if (ip_len == 0 && e->type == ASN_DNS_TYPE) {
        return e->name != NULL && e->len > 0 && tf_hostname_match(e->name, (size_t)e->len, host);
    }
    if (ip_len != 0 && e->type == ASN_IP_TYPE) {
        return e->name != NULL && e->len == ip_len && memcmp(e->name, ip, (size_t)ip_len) == 0;
    }
    return 0;
}

static int host_check(const DecodedCert *leaf, const char *host, const char **detail)
{
    uint8_t ip[16];
    int ip_len = tf_ip_literal_parse(host, ip);
    const DNS_entry *e;

    if (leaf->altNames == NULL) {
        return fail(detail, TLSFLOW_E_CERT_HOSTNAME,
                    "certificate has no subjectAltName (the common name is not used)");
    }
    for (e = leaf->altNames; e != NULL; e = e->next) {
        if (san_entry_matches(e, host, ip, ip_len)) {
            return TLSFLOW_OK;
        }
    }
    return fail(detail, TLSFLOW_E_CERT_HOSTNAME, "certificate does not name the expected host");
}

/* ---- summaries -------------------------------------------------------------------- */

static const char *key_type_name(word32 oid_sum)
{
    switch (oid_sum) {
    case RSAk:
        return "RSA";
    case ECDSAk:
        return "EC";
    case ED25519k:
        return "Ed25519";
    case ED448k:
        return "Ed448";
    case DSAk:
        return "DSA";
    default:
        return "unknown";
    }
}

static void name_copy(const char *name, char *out, size_t cap)
{
    const char *end = memchr(name, '\0', WC_ASN_NAME_MAX);
    size_t n = end != NULL ? (size_t)(end - name) : WC_ASN_NAME_MAX;

    n = n < cap - 1 ? n : cap - 1;
    memcpy(out, name, n);
    out[n] = '\0';
}

/* The key's SubjectPublicKeyInfo. wolfCrypt keeps an EC key's whole SPKI but only
 * an RSA key's RSAPublicKey, so that one is encoded again (rsaEncryption, as
 * RFC 3279 2.3.1 has it). Other key types: the bytes wolfCrypt kept; they name no
 * key the engine uses. */
static int spki_of(const DecodedCert *dc, uint8_t *out, size_t cap, size_t *out_len)
{
    RsaKey rsa;
    word32 idx = 0;
    int n;

    if (dc->publicKey == NULL || dc->pubKeySize == 0) {
        return TLSFLOW_E_CERT_BAD;
    }
    if (dc->keyOID != RSAk) {
        if (dc->pubKeySize > cap) {
            return TLSFLOW_E_CERT_BAD;
        }
        memcpy(out, dc->publicKey, dc->pubKeySize);
        *out_len = dc->pubKeySize;
        return TLSFLOW_OK;
    }
    if (TF_WC(wc_InitRsaKey(&rsa, NULL)) != 0) {
        return TLSFLOW_E_INTERNAL;
    }
    n = TF_WC(wc_RsaPublicKeyDecode(dc->publicKey, &idx, &rsa, dc->pubKeySize)) == 0
            ? TF_WC(wc_RsaKeyToPublicDer(&rsa, out, (word32)cap))
            : -1;
    wc_FreeRsaKey(&rsa);
    if (n <= 0) {
        return TLSFLOW_E_CERT_BAD;
    }
    *out_len = (size_t)n;
    return TLSFLOW_OK;
}

/* Is the EC public key of this SubjectPublicKeyInfo a point of its curve? wolfCrypt's
 * decoder takes any coordinates; a key off the curve is no public key (SEC 1 3.2.2.1;
 * OpenSSL refuses such a certificate). */
static int ec_point_on_curve(const uint8_t *spki, size_t len)
{
    ecc_key key;
    word32 idx = 0;
    int ok;

    if (TF_WC(wc_ecc_init(&key)) != 0) {
        return 0;
    }
    ok = TF_WC(wc_EccPublicKeyDecode(spki, &idx, &key, (word32)len)) == 0 &&
         TF_WC(wc_ecc_point_is_on_curve(&key.pubkey, key.idx)) == 0;
    wc_ecc_free(&key);
    return ok;
}

/* Summary and public key of a decoded certificate. The algorithm the certificate
 * names and the key its bit string holds must agree: the engine acts on the
 * decoded key, the trace shows the named one. */
static int describe_decoded(const tf_cert *c, tlsflow_cert_info *out, uint8_t *spki, size_t cap,
                            size_t *spki_len)
{
    uint8_t buf[TF_X509_MAX_SPKI];
    size_t n = 0;
    uint16_t group;
    int bits = 0, rc;
    tf_key_type t;

    memset(out, 0, sizeof(*out));
    rc = c->fields ? spki_of(&c->dc, buf, sizeof(buf), &n) : TLSFLOW_E_CERT_BAD;
    if (rc != TLSFLOW_OK) {
        return rc;
    }
    name_copy(c->dc.subject, out->subject, sizeof(out->subject));
    name_copy(c->dc.issuer, out->issuer, sizeof(out->issuer));
    out->not_before = c->v.not_before;
    out->not_after = c->v.not_after;
    out->key_type = key_type_name(c->dc.keyOID);
    t = tf_public_key_info(buf, n, &group, &bits);
    if ((t == TF_KEY_RSA) != (c->dc.keyOID == RSAk) ||
        (t == TF_KEY_EC) != (c->dc.keyOID == ECDSAk) ||
        (t == TF_KEY_EC && !ec_point_on_curve(buf, n))) {
        return TLSFLOW_E_CERT_BAD;
    }
    out->key_bits = bits;
    if (spki != NULL) {
        if (spki_len != NULL) {
            *spki_len = n;
        }
        if (n > cap) {
            return TLSFLOW_E_USAGE;
        }
        memcpy(spki, buf, n);
    }
    return TLSFLOW_OK;
}

int tf_x509_describe(const uint8_t *der, size_t len, tlsflow_cert_info *out, uint8_t *spki,
                     size_t cap, size_t *spki_len)
{
    tf_cert *c;
    int rc;

    if (out == NULL) {
        return TLSFLOW_E_USAGE;
    }
    c = TF_ALLOC(malloc(sizeof(*c)));
    if (c == NULL) {
        memset(out, 0, sizeof(*out));
        return TLSFLOW_E_INTERNAL;
    }
    cert_parse(c, der, len, NO_VERIFY, NULL);
    rc = describe_decoded(c, out, spki, cap, spki_len);
    cert_release(c);
    free(c);
    return rc;
}

/* wolfCrypt's subjectRaw and issuerRaw are a Name's contents; the SEQUENCE header that
 * makes them the whole DER Name TLS carries (RFC 5246 §7.4.4, RFC 8446 §4.2.4) sits right
 * before them in the certificate. Widen the span over it, checking that it is there. */
static int widen_to_name(const uint8_t *der, size_t *off, size_t *len)
{
    uint8_t hdr[4] = {0x30};
    size_t n = 1;
    if (*len < 0x80) {
        hdr[n++] = (uint8_t)*len;
    } else if (*len <= 0xff) {
        hdr[n++] = 0x81;
        hdr[n++] = (uint8_t)*len;
    } else if (*len <= 0xffff) {
        hdr[n++] = 0x82;
        hdr[n++] = (uint8_t)(*len >> 8);
        hdr[n++] = (uint8_t)*len;
    } else {
        return -1;
    }
    if (*off < n || memcmp(der + *off - n, hdr, n) != 0)
        return -1;
    *off -= n;
    *len += n;
    return 0;
}

int tf_x509_names(const uint8_t *der, size_t len, size_t *subject_off, size_t *subject_len,
                  size_t *issuer_off, size_t *issuer_len)
{
    tf_cert *c = TF_ALLOC(malloc(sizeof(*c)));
    int rc = TLSFLOW_E_CERT_BAD;

    if (c == NULL) {
        return TLSFLOW_E_INTERNAL;
    }
    cert_parse(c, der, len, NO_VERIFY, NULL);
    /* The raw Names point into der, the decoder's source. */
    if (c->rc == 0 && c->dc.subjectRaw != NULL && c->dc.issuerRaw != NULL &&
        c->dc.subjectRaw >= der && c->dc.issuerRaw >= der) {
        *subject_off = (size_t)(c->dc.subjectRaw - der);
        *subject_len = (size_t)c->dc.subjectRawLen;
        *issuer_off = (size_t)(c->dc.issuerRaw - der);
        *issuer_len = (size_t)c->dc.issuerRawLen;
        rc = *subject_off + *subject_len <= len && *issuer_off + *issuer_len <= len &&
                     widen_to_name(der, subject_off, subject_len) == 0 &&
                     widen_to_name(der, issuer_off, issuer_len) == 0
                 ? TLSFLOW_OK
                 : TLSFLOW_E_CERT_BAD;
    }
    cert_release(c);
    free(c);
    return rc;
}

int tf_x509_summary(const uint8_t *der, size_t len, tlsflow_cert_info *out)
{
    return tf_x509_describe(der, len, out, NULL, 0, NULL);
}

int tf_x509_public_key(const uint8_t *der, size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
    tlsflow_cert_info info;
    uint8_t none[1];
    size_t n = 0;
    /* out NULL asks for the size: as a buffer too small */
    int rc = tf_x509_describe(der, len, &info, out ? out : none, out ? cap : 0, &n);

    if (out_len != NULL && (rc == TLSFLOW_OK || rc == TLSFLOW_E_USAGE)) {
        *out_len = n;
    }
    return rc;
}

int tf_x509_check(const tf_trust *trust, const tf_x509_chain *in, tf_x509_leaf *leaf,
                  const char **detail)
{
    tf_cert *c;
    int rc, fast;

    leaf->described = 0;
    if (in->n == 0 || in->der == NULL || in->len == NULL) {
        return fail(detail, TLSFLOW_E_CERT_MISSING, "the peer sent no certificate");
    }
    c = TF_ALLOC(malloc(sizeof(*c)));
    if (c == NULL) {
        return fail(detail, TLSFLOW_E_INTERNAL, "out of memory verifying the certificate chain");
    }
    rc = chain_shape(trust, in, detail);
    fast = rc == TLSFLOW_OK ? leaf_decode(trust, in, c)
                            : (cert_parse(c, in->der[0], in->len[0], NO_VERIFY, NULL), 0);
    if (describe_decoded(c, leaf->info, leaf->spki, leaf->cap, &leaf->spki_len) != TLSFLOW_OK) {
        rc = fail(detail, TLSFLOW_E_CERT_BAD, "the peer's certificate cannot be parsed");
    } else {
        leaf->described = 1;
        /* describe_decoded made the key and the algorithm the certificate names agree */
        leaf->key_type = c->dc.keyOID == RSAk     ? TF_KEY_RSA
                         : c->dc.keyOID == ECDSAk ? TF_KEY_EC
                                                  : TF_KEY_NONE;
        if (rc == TLSFLOW_OK) {
            rc = verify_decoded(trust, in, c, fast, detail);
        }
    }
    cert_release(c);
    free(c);
    return rc;
}
