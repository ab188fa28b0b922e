/* fuzz_x509_diff: our certificate verification against OpenSSL's, on the same chain, the
 * same anchors, the same time and the same host name. A disagreement on accept/refuse
 * aborts with both answers, unless an entry of the allowlist below explains it.
 *
 * Ours: tf_x509_verify (core/src/x509.c over wolfCrypt), as the client calls it, once
 * without and once with the host. OpenSSL: X509_verify_cert as its TLS client sets it up
 * ("ssl_server" purpose and trust, auth level 2 as Debian's default, partial chains off,
 * X509_V_FLAG_USE_CHECK_TIME at our time), with the same anchors in the store and the
 * rest of the chain as untrusted certificates; then X509_check_host (subjectAltName only:
 * X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, whole-label wildcards only) or X509_check_ip.
 * Besides the verdict on the whole: our RFC 6125 matcher (hostname.c) on every dNSName
 * OpenSSL decodes from the leaf, against X509_check_host, whatever the chain (a mutated
 * leaf rarely keeps a valid signature), and our IP literal parser against OpenSSL's.
 *
 * Input:
 *   byte 0: bits 0-2 chain certificates (0-5, 6 and 7 are 5), bits 3-4 anchors (0-3),
 *           bit 5 re-sign, bits 6-7 time mode
 *   byte 1: bits 0-1 host (none, "localhost", "127.0.0.1", fuzzed), bits 2-4 the
 *           certificate a relative time refers to (index into chain then anchors)
 *   time:   mode 0 nothing (TF_TEST_TIME); 1 [u32] seconds since the epoch; 2 [i16] seconds
 *           from that certificate's notBefore; 3 [i16] from its notAfter
 *   host:   (fuzzed host only) [u8 n][n bytes]
 *   then the chain (leaf first) and the anchors, each [u16 n][n bytes of DER]
 * Re-sign: every certificate whose issuer (by name, among the input's certificates) holds
 * one of the fixture keys (ca.key, server.key, server-ec.key, server-ec384.key) is signed
 * again with that key, after OpenSSL decoded it: a mutation of the signed part keeps a
 * valid signature, so the checks behind the signature (names, dates, extensions,
 * constraints) get compared too. Seeds made with those keys: fuzz/diff_seeds.py. */
#define _POSIX_C_SOURCE 200809L /* inet_pton */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <sys/socket.h>

#include <openssl/asn1.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "fuzz_common.h"
#include "fuzz_fixtures.h"
#include "fuzz_ossl.h"
#include "internal.h"
#include "tf_test.h"
#include "x509.h"

#define MAX_CHAIN   5
#define MAX_ANCHORS 3
#define MAX_CERTS   (MAX_CHAIN + MAX_ANCHORS)
#define AUTH_LEVEL  2 /* Debian's default security level (RSA >= 2048, no SHA-1) */

typedef STACK_OF(X509) x509_path; /* (clang-format reads STACK_OF(X509) *p as a product) */

/* Everything one input makes: the certificates as both sides see them, and the answers. */
typedef struct {
    size_t n_chain, n_anchors;
    const uint8_t *der[MAX_CERTS]; /* chain[0..n_chain), then the anchors */
    size_t len[MAX_CERTS];
    uint8_t *owned[MAX_CERTS]; /* re-signed DER, when the input's was replaced */
    X509 *x[MAX_CERTS];        /* OpenSSL's decode (NULL: it refuses the bytes) */
    int64_t now;
    char host_buf[256];
    const char *host; /* NULL: no host check */
    uint8_t ip[16];
    int ip_len; /* tf_ip_literal_parse(host): 4, 16 or 0 (a DNS name) */

    int ours_chain, ours; /* tf_x509_check without and with the host */
    const char *ours_detail;
    int ossl_chain_ok, ossl_err, ossl_depth; /* X509_verify_cert and where it failed */
    x509_path *ossl_path;                    /* the path it verified (leaf first), or NULL */
    int ossl_host_ok;
} diff_case;

static X509 *chain_x(const diff_case *d, size_t i)
{
    return d->x[i];
}

static X509 *anchor_x(const diff_case *d, size_t i)
{
    return d->x[d->n_chain + i];
}

static size_t n_certs(const diff_case *d)
{
    return d->n_chain + d->n_anchors;
}

/* ---- OpenSSL's answers --------------------------------------------------------------- */

typedef int (*issued_fn)(X509_STORE_CTX *ctx, X509 *x, X509 *issuer);

/* X509_verify_cert as OpenSSL's TLS client runs it ("ssl_server" purpose and trust, our
 * time, partial chains off), at a security level and with extra flags; `issued` (if not
 * NULL) replaces OpenSSL's test of whether a certificate may have issued another while it
 * builds the path. *path (if asked): the path it verified, or NULL. */
static int ossl_verify(const diff_case *d, unsigned long extra_flags, int level, issued_fn issued,
                       int *err, int *depth, x509_path **path)
{
    X509_STORE *store = X509_STORE_new();
    STACK_OF(X509) *untrusted = sk_X509_new_null();
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    TFF_CHECK(store != NULL && untrusted != NULL && ctx != NULL);
    if (issued != NULL)
        X509_STORE_set_check_issued(store, issued);
    for (size_t i = 0; i < d->n_anchors; i++)
        TFF_CHECK(X509_STORE_add_cert(store, anchor_x(d, i)) == 1);
    for (size_t i = 1; i < d->n_chain; i++)
        TFF_CHECK(sk_X509_push(untrusted, chain_x(d, i)) > 0);
    TFF_CHECK(X509_STORE_CTX_init(ctx, store, chain_x(d, 0), untrusted) == 1);
    TFF_CHECK(X509_STORE_CTX_set_default(ctx, "ssl_server") == 1);
    X509_VERIFY_PARAM *param = X509_STORE_CTX_get0_param(ctx);
    X509_VERIFY_PARAM_set_time(param, (time_t)d->now);
    X509_VERIFY_PARAM_set_auth_level(param, level);
    if (extra_flags)
        X509_VERIFY_PARAM_set_flags(param, extra_flags);
    int ok = X509_verify_cert(ctx) == 1;
    *err = X509_STORE_CTX_get_error(ctx);
    *depth = X509_STORE_CTX_get_error_depth(ctx);
    if (path != NULL)
        *path = ok ? X509_STORE_CTX_get1_chain(ctx) : NULL;
    X509_STORE_CTX_free(ctx);
    sk_X509_free(untrusted);
    X509_STORE_free(store);
    ERR_clear_error();
    return ok;
}

/* OpenSSL's matching of a host on the leaf: subjectAltName only, whole-label wildcards. */
static int ossl_host(const char *host, const uint8_t *ip, int ip_len, X509 *leaf)
{
    int r = ip_len ? X509_check_ip(leaf, ip, (size_t)ip_len, 0)
                   : X509_check_host(leaf, host, strlen(host),
                                     X509_CHECK_FLAG_NEVER_CHECK_SUBJECT |
                                         X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS,
                                     NULL);
    ERR_clear_error();
    return r == 1;
}

/* ---- facts the allowlist asks about ------------------------------------------------ */

/* How many of x's extensions OpenSSL knows but cannot decode. *lenient counts those of
 * lenient_extension's names; *other is set if one is none of those but one a
 * verification reads (or critical). A non-critical one neither library reads when
 * verifying (a CRL reason code in a certificate, say) changes no verdict: it is neither. */
static int undecodable_extensions(X509 *x, int *lenient_n, int *other)
{
    int bad = 0;
    for (int i = 0; i < X509_get_ext_count(x); i++) {
        X509_EXTENSION *e = X509_get_ext(x, i);
        const X509V3_EXT_METHOD *m = X509V3_EXT_get(e);
        if (m == NULL)
            continue;
        void *v = X509V3_EXT_d2i(e);
        if (v != NULL) {
            if (m->it)
                ASN1_item_free(v, ASN1_ITEM_ptr(m->it));
            else if (m->ext_free)
                m->ext_free(v);
            continue;
        }
        int nid = OBJ_obj2nid(X509_EXTENSION_get_object(e));
        int lenient = nid == NID_authority_key_identifier || nid == NID_subject_key_identifier ||
                      nid == NID_subject_alt_name || nid == NID_basic_constraints;
        int read = nid == NID_key_usage || nid == NID_ext_key_usage ||
                   nid == NID_name_constraints || nid == NID_crl_distribution_points ||
                   nid == NID_proxyCertInfo || nid == NID_certificate_policies ||
                   nid == NID_policy_constraints || nid == NID_inhibit_any_policy ||
                   nid == NID_policy_mappings || X509_EXTENSION_get_critical(e);
        bad++;
        *lenient_n += lenient;
        *other |= !lenient && read;
    }
    ERR_clear_error();
    return bad;
}

/* A validity time as RFC 5280 4.1.2.5 writes it (YYMMDDHHMMSSZ or YYYYMMDDHHMMSSZ) that
 * OpenSSL reads as a calendar time. */
static int rfc5280_time(const ASN1_TIME *t)
{
    int type = ASN1_STRING_type(t), n = ASN1_STRING_length(t);
    const unsigned char *p = ASN1_STRING_get0_data(t);
    if (!((type == V_ASN1_UTCTIME && n == 13) || (type == V_ASN1_GENERALIZEDTIME && n == 15)) ||
        p[n - 1] != 'Z')
        return 0;
    for (int i = 0; i < n - 1; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    struct tm tm;
    int ok = ASN1_TIME_to_tm(t, &tm) == 1;
    ERR_clear_error();
    return ok;
}

/* hostname.c's matcher on every dNSName OpenSSL decodes from the leaf: how many match
 * the host, and whether a matching one ends with a dot (*dotted) or not (*plain). */
static int our_dns_matches(X509 *leaf, const char *host, int *dotted, int *plain)
{
    GENERAL_NAMES *names = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
    int matches = 0;
    for (int i = 0; names != NULL && i < sk_GENERAL_NAME_num(names); i++) {
        const GENERAL_NAME *g = sk_GENERAL_NAME_value(names, i);
        if (g->type != GEN_DNS)
            continue;
        const char *p = (const char *)ASN1_STRING_get0_data(g->d.dNSName);
        int n = ASN1_STRING_length(g->d.dNSName);
        if (n > 0 && tf_hostname_match(p, (size_t)n, host)) {
            if (getenv("TLSFLOW_DIFF_VERBOSE"))
                fprintf(stderr, "  %s matches dNSName %.*s\n", host, n, p);
            matches++;
            *dotted |= p[n - 1] == '.';
            *plain |= p[n - 1] != '.';
        }
    }
    GENERAL_NAMES_free(names);
    ERR_clear_error();
    return matches;
}

/* ---- the allowlist: known, intended differences -------------------------------------
 * A disagreement is compared part by part: the chain, then the host. Each OpenSSL
 * refusal we do not share (or each refusal of ours OpenSSL does not share) must be
 * explained by an entry of the matching kind. Every entry says why the difference is
 * right. An entry named "FINDING" is one where the RFC is on OpenSSL's side and the
 * engine cannot follow it today; fuzz/README.md lists them all. */
enum {
    CHAIN_WE_ACCEPT, /* we accept a chain OpenSSL refuses */
    CHAIN_WE_REFUSE, /* we refuse a chain OpenSSL accepts */
    HOST_WE_ACCEPT,  /* the leaf names the host for us, not for X509_check_host */
    DER_WE_ACCEPT,   /* we accept a chain with a certificate OpenSSL cannot decode */
    IP_PARSE         /* our IP literal parser and a2i_IPADDRESS read a host differently */
};

typedef struct {
    int kind;
    const char *name;
    int (*applies)(const diff_case *d);
} allowance;

/* CHAIN_WE_ACCEPT. OpenSSL accepts once relaxed to two documented policies of ours:
 *  - any configured certificate is a trust anchor, self-signed or not: RFC 5280 6.1.1
 *    (d) makes a trust anchor a name and a key, whatever certificate carries them (a
 *    pinned server certificate works); OpenSSL without X509_V_FLAG_PARTIAL_CHAIN goes on
 *    looking for the anchor's own issuer;
 *  - RSA keys from 1024 bits: no RFC sets a minimum and the engine takes what wolfCrypt
 *    verifies; OpenSSL's security level 2 (Debian's default) wants 2048. Level 1 (RSA
 *    from 1024 bits) is the relaxation. A policy difference, kept visible here.
 * The rerun has both relaxations, so a chain that needs both is explained too. */
static int accepted_under_our_policies(const diff_case *d)
{
    int err, depth;
    return (d->ossl_err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
            d->ossl_err == X509_V_ERR_EE_KEY_TOO_SMALL ||
            d->ossl_err == X509_V_ERR_CA_KEY_TOO_SMALL) &&
           ossl_verify(d, X509_V_FLAG_PARTIAL_CHAIN, 1, NULL, &err, &depth, NULL);
}

/* OpenSSL's test of whether `issuer` may have issued x while it builds the path
 * (check_issued in crypto/x509/x509_vfy.c: X509_check_issued's name, AKID and key type
 * checks), except that an authorityKeyIdentifier's authorityCertIssuer and
 * authorityCertSerialNumber in x are not compared with the issuer's issuer name and
 * serial number (its keyIdentifier still is). A keyUsage without keyCertSign passes, as
 * there (the verification refuses it later). */
static int issued_but_for_akid_issuer_serial(X509_STORE_CTX *ctx, X509 *x, X509 *issuer)
{
    int err = X509_check_issued(issuer, x);
    (void)ctx;
    if (err == X509_V_ERR_AKID_ISSUER_SERIAL_MISMATCH) {
        AUTHORITY_KEYID *akid = X509_get_ext_d2i(x, NID_authority_key_identifier, NULL, NULL);
        err = X509_V_ERR_UNSPECIFIED;
        if (akid != NULL) {
            GENERAL_NAMES_free(akid->issuer);
            akid->issuer = NULL;
            ASN1_INTEGER_free(akid->serial);
            akid->serial = NULL;
            err = X509_check_akid(issuer, akid);
        }
        AUTHORITY_KEYID_free(akid);
    }
    ERR_clear_error();
    return err == X509_V_OK || err == X509_V_ERR_KEYUSAGE_NO_CERTSIGN;
}

/* CHAIN_WE_ACCEPT. A chain certificate's authorityKeyIdentifier names its issuer by
 * authorityCertIssuer and/or authorityCertSerialNumber, and they are not those of the
 * certificate whose subject and key issued it. OpenSSL takes an AKID that does not fit
 * as "not this issuer" while it builds the path (X509_check_akid,
 * X509_V_ERR_AKID_ISSUER_SERIAL_MISMATCH) and finds none (error 20 or 2); wolfCrypt
 * (DecodeAuthKeyId) keeps only the keyIdentifier, finds the issuer by name (or key id)
 * and verifies the signature with its key. RFC 5280 4.2.1.1 makes the AKID a help to
 * find the issuer's key, and path validation (6.1) never reads it: the signature is
 * what binds the certificate to its issuer, so accepting is right. (Such an AKID is not
 * conforming either: 4.2.1.1 wants a keyIdentifier, and authorityCertIssuer and
 * authorityCertSerialNumber both or neither.) Applies only if OpenSSL, told to compare
 * the AKID's keyIdentifier alone, accepts the chain, relaxed to our policies as in
 * accepted_under_our_policies (an anchor as name and key; RSA from 1024 bits).
 * Reproducer: allowlist-akid-serial-mismatch. */
static int akid_issuer_serial_mismatch(const diff_case *d)
{
    int err, depth, mismatch = 0;
    if (d->ossl_err != X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY &&
        d->ossl_err != X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT)
        return 0;
    for (size_t i = 0; i < d->n_chain; i++)
        for (size_t j = 0; j < n_certs(d); j++)
            mismatch |=
                j != i && d->x[j] != NULL &&
                X509_check_issued(d->x[j], chain_x(d, i)) == X509_V_ERR_AKID_ISSUER_SERIAL_MISMATCH;
    ERR_clear_error();
    return mismatch && ossl_verify(d, X509_V_FLAG_PARTIAL_CHAIN, 1,
                                   issued_but_for_akid_issuer_serial, &err, &depth, NULL);
}

/* CHAIN_WE_ACCEPT. An anchor that names the issuer of a certificate of the chain is not
 * a CA for OpenSSL (no CA:TRUE, keyUsage without keyCertSign, or an extension it finds
 * invalid). Same reason: the engine trusts a configured anchor's name and key as they
 * are (RFC 5280 6.1.1 (d)); the anchor's own extensions are configuration, not
 * something a peer sends. */
static int anchor_not_a_ca(const diff_case *d)
{
    for (size_t j = 0; j < d->n_anchors; j++) {
        X509 *a = anchor_x(d, j);
        if (X509_check_ca(a) != 0 && (X509_get_extension_flags(a) & EXFLAG_INVALID) == 0)
            continue;
        for (size_t i = 0; i < d->n_chain; i++)
            if (X509_NAME_cmp(X509_get_issuer_name(chain_x(d, i)), X509_get_subject_name(a)) == 0)
                return 1;
    }
    return 0;
}

/* CHAIN_WE_ACCEPT. The leaf's extendedKeyUsage holds anyExtendedKeyUsage and not
 * id-kp-serverAuth: RFC 5280 4.2.1.12 has a CA put anyExtendedKeyUsage in exactly when
 * it "does not wish to restrict usages of the key", so the engine accepts; OpenSSL's
 * "ssl_server" purpose wants serverAuth itself. */
static int any_extended_key_usage(const diff_case *d)
{
    uint32_t xku = X509_get_extended_key_usage(chain_x(d, 0));
    return d->ossl_err == X509_V_ERR_INVALID_PURPOSE && d->ossl_depth == 0 &&
           (xku & XKU_ANYEKU) != 0 && (xku & XKU_SSL_SERVER) == 0;
}

/* CHAIN_WE_ACCEPT. FINDING (wolfCrypt; not fixable in x509.c without hand-written
 * ASN.1): an authorityKeyIdentifier, subjectKeyIdentifier, subjectAltName or
 * basicConstraints that is not DER still decodes in wolfCrypt, which keeps what it could
 * read: a constructed [0] keyIdentifier (the issuer lookup hint); the names before a
 * subjectAltName entry that does not parse (matched against the host); a
 * basicConstraints SEQUENCE whose length leaves its pathLenConstraint outside (read as
 * CA:TRUE with no path length limit). OpenSSL finds such a certificate invalid (RFC 5280
 * 4.1: certificates are DER). A CA must have signed the bytes, but a reader laxer than
 * the CA's is how name and constraint confusions start: the lead decides (upstream
 * report, or a stricter wolfSSL build). Reproducers: corpus/SOURCES
 * finding-wolfcrypt-lenient-extension-*. */
static int lenient_extension(const diff_case *d)
{
    int lenient = 0, other = 0;
    for (size_t i = 0; i < d->n_chain; i++) /* the peer's; anchors are configuration */
        undecodable_extensions(chain_x(d, i), &lenient, &other);
    return lenient > 0 && !other;
}

/* CHAIN_WE_REFUSE. The leaf names an iPAddress or URI under a CA with nameConstraints:
 * wolfCrypt checks nameConstraints on DNS, email and directory names only, so x509.c
 * refuses such a leaf (RFC 5280 4.2.1.10: a name form that a critical constraint may
 * cover must be checked or refused). OpenSSL checks those forms and may accept. The
 * README says so. */
static int ip_or_uri_under_name_constraints(const diff_case *d)
{
    int constrained = 0;
    for (size_t i = 1; i < n_certs(d); i++)
        constrained |=
            d->x[i] != NULL && X509_get_ext_by_NID(d->x[i], NID_name_constraints, -1) >= 0;
    if (!constrained)
        return 0;
    GENERAL_NAMES *names = X509_get_ext_d2i(chain_x(d, 0), NID_subject_alt_name, NULL, NULL);
    int found = 0;
    for (int i = 0; names != NULL && i < sk_GENERAL_NAME_num(names); i++) {
        int type = sk_GENERAL_NAME_value(names, i)->type;
        found |= type == GEN_IPADD || type == GEN_URI;
    }
    GENERAL_NAMES_free(names);
    ERR_clear_error();
    return found;
}

static int same_der_name(const X509_NAME *a, const X509_NAME *b)
{
    const unsigned char *pa, *pb;
    size_t la, lb;
    return X509_NAME_get0_der(a, &pa, &la) && X509_NAME_get0_der(b, &pb, &lb) && la == lb &&
           memcmp(pa, pb, la) == 0;
}

/* CHAIN_WE_REFUSE. A certificate's issuer matches its CA's subject only after RFC 4518
 * string preparation (case, white space), not byte for byte. wolfCrypt finds an issuer
 * by the hash of the name's encoding; OpenSSL compares canonical forms, as RFC 5280 7.1
 * asks of a relying party. But RFC 5280 4.1.2.4 requires a CA to encode the issuer of
 * what it signs exactly as its own subject, so only a nonconforming chain is refused,
 * the safe side. */
static int issuer_matches_only_canonically(const diff_case *d)
{
    for (size_t i = 0; i < d->n_chain; i++)
        for (size_t j = 0; j < n_certs(d); j++) {
            const X509_NAME *issuer = X509_get_issuer_name(chain_x(d, i));
            const X509_NAME *subject = d->x[j] ? X509_get_subject_name(d->x[j]) : NULL;
            if (subject != NULL && j != i && X509_NAME_cmp(issuer, subject) == 0 &&
                !same_der_name(issuer, subject))
                return 1;
        }
    return 0;
}

/* CHAIN_WE_REFUSE. A certificate the peer sent has an extension OpenSSL knows but
 * cannot decode (say, policyConstraints holding garbage). wolfCrypt decodes the
 * extensions it knows and refuses such a certificate, as RFC 5280 4.2 allows of a
 * recognized extension it cannot process; OpenSSL ignores a non-critical one it has no
 * use for on the path. The safe side. */
static int malformed_known_extension(const diff_case *d)
{
    int bad = 0, lenient = 0, other = 0;
    if (d->ours_chain != TLSFLOW_E_CERT_BAD)
        return 0;
    for (size_t i = 0; i < d->n_chain; i++)
        bad += undecodable_extensions(chain_x(d, i), &lenient, &other);
    return bad > 0;
}

static unsigned oid_sum(const ASN1_OBJECT *o)
{
    const unsigned char *p = OBJ_get0_data(o);
    unsigned sum = 0;
    for (size_t i = 0; p != NULL && i < OBJ_length(o); i++)
        sum += p[i];
    return sum;
}

/* CHAIN_WE_REFUSE. FINDING (wolfCrypt): a certificate the peer sent has an extension
 * whose OID OpenSSL does not know but whose bytes add up to those of an extension
 * wolfCrypt decodes (2.1.29.35 and cRLDistributionPoints 2.5.29.31 both sum to 145):
 * wolfCrypt tells OIDs apart by that sum, decodes the body as the known extension and
 * refuses the certificate when it does not fit; OpenSSL ignores an unknown non-critical
 * extension (RFC 5280 4.2). Refusing is the safe side here; the other side of the same
 * weakness (an unknown extension read as, say, basicConstraints) is in the report. */
static int oid_sum_collision(const diff_case *d)
{
    static const int known[] = {NID_basic_constraints,      NID_key_usage,
                                NID_ext_key_usage,          NID_subject_alt_name,
                                NID_name_constraints,       NID_authority_key_identifier,
                                NID_subject_key_identifier, NID_crl_distribution_points,
                                NID_certificate_policies,   NID_policy_constraints,
                                NID_inhibit_any_policy,     NID_info_access,
                                NID_issuer_alt_name,        NID_policy_mappings};
    if (d->ours_chain == TLSFLOW_OK)
        return 0;
    for (size_t i = 0; i < d->n_chain; i++)
        for (int k = 0; k < X509_get_ext_count(chain_x(d, i)); k++) {
            const ASN1_OBJECT *o = X509_EXTENSION_get_object(X509_get_ext(chain_x(d, i), k));
            if (OBJ_obj2nid(o) != NID_undef)
                continue;
            for (size_t j = 0; j < sizeof(known) / sizeof(known[0]); j++)
                if (oid_sum(o) == oid_sum(OBJ_nid2obj(known[j])))
                    return 1;
        }
    return 0;
}

/* CHAIN_WE_REFUSE. A certificate the peer sent has a validity date that is not an RFC
 * 5280 4.1.2.5 time (YYMMDDHHMMSSZ, YYYYMMDDHHMMSSZ, a real calendar date). The engine
 * reads every certificate it is sent, used or not, and refuses a chain holding one it
 * cannot read (the answer must not depend on which path is taken); OpenSSL reads dates
 * on its path only, and some non-RFC forms (fractions, offsets) even there. */
static int unreadable_dates(const diff_case *d)
{
    if (d->ours_chain != TLSFLOW_E_CERT_BAD)
        return 0;
    for (size_t i = 0; i < d->n_chain; i++)
        if (!rfc5280_time(X509_get0_notBefore(chain_x(d, i))) ||
            !rfc5280_time(X509_get0_notAfter(chain_x(d, i))))
            return 1;
    return 0;
}

/* CHAIN_WE_REFUSE. FINDING (wolfCrypt; the RFC is on OpenSSL's side): a leaf that is
 * itself a CA (CA:TRUE) right at the end of a pathLenConstraint. RFC 5280 4.2.1.9 counts
 * the intermediate certificates only, and 6.1.4 (l) checks max_path_length when preparing
 * for the next certificate, never on the last one; wolfCrypt (5.5.4, ParseCertRelative)
 * checks it on every certificate with CA:TRUE, the leaf too, and returns
 * ASN_PATHLEN_INV_E. Not fixed in x509.c: wolfCrypt returns that error before it checks
 * the leaf's signature and its issuer's nameConstraints, so accepting on it would mean
 * redoing the issuer lookup and the signature ourselves, and wolfCrypt exports no
 * nameConstraints check. A CA:TRUE leaf is rare in TLS. To be reported upstream.
 * Applies only when the count OpenSSL's path keeps is exceeded by the leaf alone: every
 * pathLenConstraint on it holds counting every CA below it (self-issued ones too), and
 * one is used up exactly if the leaf is counted (a self-signed anchor's is skipped:
 * wolfCrypt does not apply it). Reproducer: finding-pathlen0-ca-leaf. */
static int pathlen_counts_ca_leaf(const diff_case *d)
{
    int k = d->ossl_path ? sk_X509_num(d->ossl_path) - 1 : 0, tight = 0;
    if (d->ours_chain != TLSFLOW_E_CERT_BAD ||
        strstr(d->ours_detail, "pathLenConstraint") == NULL || k < 1 ||
        (X509_get_extension_flags(sk_X509_value(d->ossl_path, 0)) & EXFLAG_CA) == 0)
        return 0;
    for (int j = 1; j <= k; j++) { /* j - 1 CAs between certificate j and the leaf */
        X509 *x = sk_X509_value(d->ossl_path, j);
        long plen = X509_get_pathlen(x);
        if (plen < 0 || (j == k && (X509_get_extension_flags(x) & EXFLAG_SS)))
            continue;
        if (plen < j - 1)
            return 0;
        tight |= plen == j - 1;
    }
    return tight;
}

/* CHAIN_WE_REFUSE. A certificate OpenSSL verified on its path (the anchor aside) is signed
 * with DSA: wolfCrypt verifies no DSA certificate signature (BAD_FUNC_ARG), and DSA is no
 * signature TLS 1.2 or 1.3 takes from us (we offer no DSA scheme; RFC 8446 has none), so
 * there is no path for us: refused on the leaf, or no issuer admitted above it.
 * Reproducer: allowlist-dsa2048-root-leaf. */
static int dsa_signature_on_path(const diff_case *d)
{
    int n = d->ossl_path ? sk_X509_num(d->ossl_path) : 0, pk = NID_undef, md = NID_undef;
    if (d->ours_chain != TLSFLOW_E_CERT_BAD && d->ours_chain != TLSFLOW_E_CERT_UNKNOWN_CA)
        return 0;
    for (int i = 0; i + 1 < n; i++)
        if (OBJ_find_sigid_algs(X509_get_signature_nid(sk_X509_value(d->ossl_path, i)), &md, &pk) &&
            pk == NID_dsa)
            return 1;
    return 0;
}

/* An EC key on a curve over a binary field (sect283k1, ...). */
static int binary_curve_key(X509 *x)
{
    EVP_PKEY *k = X509_get0_pubkey(x);
    char field[64];
    int r = k != NULL && EVP_PKEY_get_base_id(k) == EVP_PKEY_EC &&
            EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_EC_FIELD_TYPE, field, sizeof(field),
                                           NULL) &&
            strcmp(field, SN_X9_62_characteristic_two_field) == 0;
    ERR_clear_error();
    return r;
}

/* CHAIN_WE_REFUSE. A key the engine cannot use for TLS, which we refuse as unreadable:
 *  - leaf RSASSA-PSS key (id-RSASSA-PSS SubjectPublicKeyInfo): only for rsa_pss_pss_*
 *    schemes (RFC 8446 4.2.3), which we do not offer; ours are rsa_pss_rsae_* and PKCS#1;
 *  - leaf X25519 or X448 key: key agreement only, it signs nothing (RFC 8410 3);
 *  - a sent certificate (leaf or not) with a key on a binary-field curve: wolfCrypt has no
 *    such curve (nor RFC 8422 5.1.1 / RFC 8446 any longer), and every sent certificate
 *    must read (decode_intermediates in x509.c).
 * Reproducers: allowlist-rsa-pss-key, -x25519-key, -ec-sect283k1-key, -intermediate. */
static int unusable_key(const diff_case *d)
{
    EVP_PKEY *leaf_key = X509_get0_pubkey(chain_x(d, 0));
    int leaf_type = leaf_key != NULL ? EVP_PKEY_get_base_id(leaf_key) : NID_undef;
    int binary = 0;
    ERR_clear_error();
    if (d->ours_chain != TLSFLOW_E_CERT_BAD)
        return 0;
    for (size_t i = 0; i < d->n_chain; i++)
        binary |= binary_curve_key(chain_x(d, i));
    return leaf_type == EVP_PKEY_RSA_PSS || leaf_type == EVP_PKEY_X25519 ||
           leaf_type == EVP_PKEY_X448 || binary;
}

/* CHAIN_WE_REFUSE. A certificate the peer sent, off the path OpenSSL verified, has a
 * subjectPublicKeyInfo OpenSSL cannot load either: an algorithm OID neither library knows
 * (wolfCrypt: ASN_UNKNOWN_OID_E) or an RSA key whose RSAPublicKey is not a SEQUENCE
 * (ASN_PARSE_E). OpenSSL decodes a certificate without its key and needs the key only on
 * its path; wolfCrypt's DecodedCert reads the key with the rest, and every sent
 * certificate must read (decode_intermediates in x509.c: the answer must not depend on
 * which path is taken), so we refuse the chain as "could not be parsed". RFC 5280 6.1
 * validates a path and says nothing of certificates beside it (RFC 8446 4.4.2 lets a
 * server send some), so OpenSSL is right too: a policy of ours, the safe side.
 * Reproducers: allowlist-unreadable-key-intermediate, -unknown-key-oid-intermediate. */
static int unreadable_key_off_path(const diff_case *d)
{
    int found = 0;
    if (d->ours_chain != TLSFLOW_E_CERT_BAD || d->ossl_path == NULL ||
        strcmp(d->ours_detail, "certificate could not be parsed") != 0)
        return 0;
    for (size_t i = 1; i < d->n_chain; i++) {
        int on_path = 0;
        for (int k = 0; k < sk_X509_num(d->ossl_path); k++)
            on_path |= X509_cmp(chain_x(d, i), sk_X509_value(d->ossl_path, k)) == 0;
        found |= !on_path && X509_get0_pubkey(chain_x(d, i)) == NULL;
    }
    ERR_clear_error();
    return found;
}

/* HOST_WE_ACCEPT. The match needs one trailing dot ignored, on the host ("localhost.")
 * or on the dNSName: hostname.h takes "example.com." as "example.com" (the same DNS
 * name in its absolute form, RFC 1034 3.1); X509_check_host compares the text. */
static int match_needs_trailing_dot(const diff_case *d)
{
    X509 *leaf = chain_x(d, 0);
    size_t n = strlen(d->host);
    if (d->ip_len || n < 2)
        return 0;
    if (d->host[n - 1] == '.') {
        char bare[sizeof(d->host_buf)];
        memcpy(bare, d->host, n - 1);
        bare[n - 1] = 0;
        return ossl_host(bare, NULL, 0, leaf);
    }
    int dotted = 0, plain = 0;
    our_dns_matches(leaf, d->host, &dotted, &plain);
    return dotted && !plain;
}

/* HOST_WE_ACCEPT. The same FINDING seen from the host check: X509_check_host finds no
 * name in a subjectAltName it cannot decode, wolfCrypt matched one it read before the
 * bad entry. */
static int leaf_san_not_der(const diff_case *d)
{
    X509 *leaf = chain_x(d, 0);
    int i = X509_get_ext_by_NID(leaf, NID_subject_alt_name, -1);
    if (i < 0)
        return 0;
    void *names = X509V3_EXT_d2i(X509_get_ext(leaf, i));
    GENERAL_NAMES_free(names);
    ERR_clear_error();
    return names == NULL;
}

/* DER_WE_ACCEPT. FINDING (wolfCrypt; hand-written ASN.1 to check in x509.c): a chain
 * certificate whose TBSCertificate is whole (OpenSSL reads the outer SEQUENCE and the
 * TBSCertificate SEQUENCE headers, the latter with all its bytes there) but whose
 * framing around the signature is not DER (lengths that do not add up), so d2i_X509
 * refuses it; wolfCrypt decodes it and verifies the signature over the same TBS. */
static int lenient_framing(const diff_case *d)
{
    for (size_t i = 0; i < d->n_chain; i++) {
        if (chain_x(d, i) != NULL)
            continue;
        const unsigned char *p = d->der[i];
        long len = 0;
        int tag = 0, cls = 0;
        int r = ASN1_get_object(&p, &len, &tag, &cls, (long)d->len[i]);
        ERR_clear_error();
        if ((r & 0x80) || tag != V_ASN1_SEQUENCE || !(r & V_ASN1_CONSTRUCTED))
            return 0;
        long left = (long)d->len[i] - (long)(p - d->der[i]);
        r = ASN1_get_object(&p, &len, &tag, &cls, left);
        ERR_clear_error();
        if ((r & 0x80) || tag != V_ASN1_SEQUENCE || !(r & V_ASN1_CONSTRUCTED) ||
            (size_t)(p - d->der[i]) + (size_t)len > d->len[i])
            return 0;
    }
    return 1;
}

/* IP_PARSE. We read the host as a DNS name where a2i_IPADDRESS reads an address (or
 * reads another one), and the system's inet_pton (POSIX; RFC 4291 2.2 text forms, dotted
 * decimal IPv4 without leading zeros) agrees with us. OpenSSL's parser is laxer: it takes
 * "010.1.1.1" (leading zeros, which inet_aton reads as octal: hostname.h refuses them on
 * purpose), "1.-0.2.3" (signs) and ":" (a lone colon, as "::"). */
static int inet_pton_agrees_with_us(const diff_case *d)
{
    uint8_t buf[16];
    int v4 = inet_pton(AF_INET, d->host, buf) == 1;
    int v6 = !v4 && inet_pton(AF_INET6, d->host, buf) == 1;
    int n = v4 ? 4 : v6 ? 16 : 0;
    return n == d->ip_len && (n == 0 || memcmp(buf, d->ip, (size_t)n) == 0);
}

static const allowance ALLOWLIST[] = {
    {CHAIN_WE_ACCEPT, "anchors as name and key, RSA from 1024 bits (OpenSSL relaxed accepts)",
     accepted_under_our_policies},
    {CHAIN_WE_ACCEPT, "the path ends at an anchor OpenSSL does not take as a CA", anchor_not_a_ca},
    {CHAIN_WE_ACCEPT, "leaf extendedKeyUsage anyExtendedKeyUsage without serverAuth",
     any_extended_key_usage},
    {CHAIN_WE_ACCEPT, "an AKID issuer/serial that is not the issuer's (RFC 5280 6.1 reads none)",
     akid_issuer_serial_mismatch},
    {CHAIN_WE_ACCEPT, "FINDING: key id, subjectAltName or basicConstraints not DER (wolfCrypt)",
     lenient_extension},
    {HOST_WE_ACCEPT, "FINDING: the leaf's subjectAltName is not DER (wolfCrypt reads it)",
     leaf_san_not_der},
    {CHAIN_WE_REFUSE, "a leaf named by IP address or URI under nameConstraints",
     ip_or_uri_under_name_constraints},
    {CHAIN_WE_REFUSE, "an issuer name equal to its CA's subject only after RFC 4518",
     issuer_matches_only_canonically},
    {CHAIN_WE_REFUSE, "a sent certificate's validity is not an RFC 5280 time", unreadable_dates},
    {CHAIN_WE_REFUSE, "a sent certificate has a known extension OpenSSL cannot decode",
     malformed_known_extension},
    {CHAIN_WE_REFUSE, "FINDING: an unknown extension OID wolfCrypt takes for a known one",
     oid_sum_collision},
    {CHAIN_WE_REFUSE, "FINDING: a CA:TRUE leaf counted against a pathLenConstraint (wolfCrypt)",
     pathlen_counts_ca_leaf},
    {CHAIN_WE_REFUSE, "a DSA signature on the path (wolfCrypt verifies none, TLS takes none)",
     dsa_signature_on_path},
    {CHAIN_WE_REFUSE, "a key we cannot use: RSASSA-PSS or X25519/X448 leaf, binary curve",
     unusable_key},
    {CHAIN_WE_REFUSE, "a sent certificate off OpenSSL's path has a key neither can read",
     unreadable_key_off_path},
    {HOST_WE_ACCEPT, "the host matches with one trailing dot ignored", match_needs_trailing_dot},
    {DER_WE_ACCEPT, "FINDING: a certificate framed not as DER around its signature (wolfCrypt)",
     lenient_framing},
    {IP_PARSE, "a host OpenSSL reads as an IP address, inet_pton and we do not",
     inet_pton_agrees_with_us},
};

static const allowance *allowed(const diff_case *d, int kind)
{
    for (size_t i = 0; i < sizeof(ALLOWLIST) / sizeof(ALLOWLIST[0]); i++)
        if (ALLOWLIST[i].kind == kind && ALLOWLIST[i].applies(d)) {
            if (getenv("TLSFLOW_DIFF_VERBOSE"))
                fprintf(stderr, "  allowed: %s\n", ALLOWLIST[i].name);
            return &ALLOWLIST[i];
        }
    return NULL;
}

/* ---- building the case from the input ---------------------------------------------- */

/* The digest of a certificate's signature algorithm (NID_undef if unknown). */
static int sig_digest(X509 *x)
{
    int md = NID_undef, pk = NID_undef;
    if (!OBJ_find_sigid_algs(X509_get_signature_nid(x), &md, &pk))
        return NID_undef;
    return md;
}

static EVP_PKEY *fixture_keys[4];

static void load_keys(void)
{
    if (fixture_keys[0])
        return;
    fixture_keys[0] = tffo_pem_key(tff_fixture_ca_key, tff_fixture_ca_key_len);
    fixture_keys[1] = tffo_pem_key(tff_fixture_server_key, tff_fixture_server_key_len);
    fixture_keys[2] = tffo_pem_key(tff_fixture_server_ec_key, tff_fixture_server_ec_key_len);
    fixture_keys[3] = tffo_pem_key(tff_fixture_server_ec384_key, tff_fixture_server_ec384_key_len);
}

/* The fixture key whose public half is this certificate's, or NULL. */
static EVP_PKEY *our_key_of(X509 *x)
{
    EVP_PKEY *pub = X509_get0_pubkey(x);
    for (size_t i = 0; pub != NULL && i < sizeof(fixture_keys) / sizeof(fixture_keys[0]); i++)
        if (tffo_same_key(pub, fixture_keys[i]))
            return fixture_keys[i];
    ERR_clear_error();
    return NULL;
}

/* Sign certificate i again with the fixture key of the first certificate of the input
 * whose subject is i's issuer, keeping i's digest where it is one we can sign with. */
static void resign(diff_case *d, size_t i)
{
    X509 *x = d->x[i];
    EVP_PKEY *key = NULL;
    for (size_t j = 0; j < n_certs(d) && key == NULL; j++)
        if (d->x[j] != NULL &&
            X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(d->x[j])) == 0)
            key = our_key_of(d->x[j]);
    if (key == NULL)
        return;
    const EVP_MD *md = EVP_sha256();
    switch (sig_digest(x)) {
    case NID_sha1:
        md = EVP_sha1();
        break;
    case NID_sha384:
        md = EVP_sha384();
        break;
    case NID_sha512:
        md = EVP_sha512();
        break;
    }
    unsigned char *out = NULL;
    int n;
    if (X509_sign(x, key, md) <= 0 || (n = i2d_X509(x, &out)) <= 0) {
        ERR_clear_error();
        return;
    }
    d->owned[i] = out;
    d->der[i] = out;
    d->len[i] = (size_t)n;
    /* Decode the bytes both sides now get, so OpenSSL sees no cached state. */
    X509_free(d->x[i]);
    d->x[i] = tffo_der_cert(out, (size_t)n);
}

/* Seconds since the epoch of an X.509 time, via OpenSSL; 0 if it cannot say. */
static int asn1_epoch(const ASN1_TIME *t, int64_t *out)
{
    ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
    int day = 0, sec = 0;
    int ok = epoch != NULL && t != NULL && ASN1_TIME_diff(&day, &sec, epoch, t);
    ASN1_TIME_free(epoch);
    ERR_clear_error();
    if (ok)
        *out = (int64_t)day * 86400 + sec;
    return ok;
}

/* The time: fixed, absolute, or `delta` seconds from a date of certificate `ref`. */
static void pick_time(diff_case *d, int mode, uint32_t absolute, int16_t delta, size_t ref)
{
    X509 *x = n_certs(d) ? d->x[ref % n_certs(d)] : NULL;
    int64_t base;
    d->now = TF_TEST_TIME;
    if (mode == 1)
        d->now = absolute;
    else if (mode >= 2 && x != NULL &&
             asn1_epoch(mode == 2 ? X509_get0_notBefore(x) : X509_get0_notAfter(x), &base))
        d->now = base + delta;
}

/* The host name as the configuration API would take it, or none. */
static void pick_host(diff_case *d, int mode, const uint8_t *p, size_t n)
{
    static tlsflow_config *probe; /* tlsflow_config_set_server_name decides what a host is */
    if (!probe)
        probe = tlsflow_config_new(TLSFLOW_CLIENT);
    TFF_CHECK(probe != NULL);
    d->host = NULL;
    if (mode == 1)
        d->host = "localhost";
    else if (mode == 2)
        d->host = "127.0.0.1";
    else if (mode == 3 && n < sizeof(d->host_buf)) {
        memcpy(d->host_buf, p, n);
        d->host_buf[n] = 0;
        if (strlen(d->host_buf) == n && tlsflow_config_set_server_name(probe, d->host_buf) == 0)
            d->host = d->host_buf;
    }
    d->ip_len = d->host ? tf_ip_literal_parse(d->host, d->ip) : 0;
}

/* ---- the two verifications --------------------------------------------------------- */

/* Ours, as the client runs it: tf_x509_check (the leaf decoded once, its key usable), and
 * tf_x509_verify, which must agree wherever the leaf could be described. */
static void ours(diff_case *d, const tf_trust *trust)
{
    tlsflow_cert_info info;
    uint8_t spki[TF_MAX_SPKI];
    const char *detail = NULL;
    for (int with_host = 0; with_host < 2; with_host++) {
        const char *host = with_host ? d->host : NULL;
        tf_x509_chain chain = {d->der, d->len, d->n_chain, d->now, host, 0};
        tf_x509_leaf leaf = {&info, spki, sizeof(spki), 0, TF_KEY_NONE, 0};
        int rc = tf_x509_check(trust, &chain, &leaf, &d->ours_detail);
        int plain = tf_x509_verify(trust, d->der, d->len, d->n_chain, d->now, host, &detail);
        TFF_CHECK(d->ours_detail != NULL && detail != NULL);
        TFF_CHECK(leaf.described ? rc == plain : rc != TLSFLOW_OK);
        if (with_host)
            d->ours = rc;
        else
            d->ours = d->ours_chain = rc;
        if (d->host == NULL)
            break;
    }
    /* The host check only ever adds a refusal. */
    TFF_CHECK(d->ours_chain == TLSFLOW_OK || d->ours == d->ours_chain);
    TFF_CHECK(d->ours != TLSFLOW_E_CERT_HOSTNAME || d->host != NULL);
}

/* OpenSSL's TLS client refuses a Certificate message with a certificate it cannot decode,
 * used or not. */
static int ossl_decodes_chain(const diff_case *d)
{
    for (size_t i = 0; i < d->n_chain; i++)
        if (chain_x(d, i) == NULL)
            return 0;
    return d->n_chain > 0;
}

static void theirs(diff_case *d)
{
    d->ossl_chain_ok = 0;
    d->ossl_err = X509_V_ERR_UNSPECIFIED;
    d->ossl_depth = -1;
    d->ossl_host_ok = d->host == NULL;
    if (!ossl_decodes_chain(d))
        return;
    d->ossl_chain_ok =
        ossl_verify(d, 0, AUTH_LEVEL, NULL, &d->ossl_err, &d->ossl_depth, &d->ossl_path);
    if (d->host != NULL)
        d->ossl_host_ok = ossl_host(d->host, d->ip, d->ip_len, chain_x(d, 0));
}

/* ---- reporting --------------------------------------------------------------------- */

static void print_cert(const char *role, size_t i, X509 *x, size_t len)
{
    char subject[256] = "(OpenSSL cannot decode it)", issuer[256] = "";
    if (x != NULL) {
        X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof(subject));
        X509_NAME_oneline(X509_get_issuer_name(x), issuer, sizeof(issuer));
    }
    fprintf(stderr, "  %s %zu (%zu bytes): %s  <- %s\n", role, i, len, subject, issuer);
}

static void print_case(const diff_case *d)
{
    fprintf(stderr, "x509_diff: time %lld, host %s\n", (long long)d->now,
            d->host ? d->host : "(none)");
    for (size_t i = 0; i < n_certs(d); i++)
        print_cert(i < d->n_chain ? "chain" : "anchor", i < d->n_chain ? i : i - d->n_chain,
                   d->x[i], d->len[i]);
    fprintf(stderr, "  ours:    chain %s, with host %s (%s)\n", tlsflow_error_name(d->ours_chain),
            tlsflow_error_name(d->ours), d->ours_detail);
    fprintf(stderr, "  OpenSSL: chain %s (%d at depth %d: %s), host %s\n",
            d->ossl_chain_ok ? "ok" : "refused", d->ossl_err, d->ossl_depth,
            X509_verify_cert_error_string(d->ossl_err), d->ossl_host_ok ? "ok" : "refused");
}

/* ---- the comparisons --------------------------------------------------------------- */

/* Accept or refuse, part by part: every refusal on one side only needs an allowance. */
static void compare_verdicts(const diff_case *d)
{
    int we = d->ours == TLSFLOW_OK;
    int they = d->ossl_chain_ok && d->ossl_host_ok;
    if (getenv("TLSFLOW_DIFF_VERBOSE"))
        print_case(d);
    if (we == they)
        return;
    if (we && !ossl_decodes_chain(d)) { /* the other entries read the certificates */
        if (allowed(d, DER_WE_ACCEPT) != NULL)
            return;
        print_case(d);
        tff_fail(__FILE__, __LINE__, "we accept a certificate OpenSSL cannot decode");
    }
    if (we && (d->ossl_chain_ok || allowed(d, CHAIN_WE_ACCEPT)) &&
        (d->ossl_host_ok || allowed(d, HOST_WE_ACCEPT)))
        return;
    /* We refuse: for the chain, or (chain accepted) for the host, which
     * compare_host_rules judges against X509_check_host. */
    if (!we && d->ours_chain != TLSFLOW_OK && allowed(d, CHAIN_WE_REFUSE))
        return;
    print_case(d);
    tff_fail(__FILE__, __LINE__,
             we ? "we accept a chain OpenSSL refuses" : "we refuse a chain OpenSSL accepts");
}

/* hostname.c's matcher on each dNSName OpenSSL finds in the leaf, against
 * X509_check_host, whatever the chain. */
static void compare_host_rules(const diff_case *d)
{
    X509 *leaf = d->n_chain ? chain_x(d, 0) : NULL;
    if (leaf == NULL || d->host == NULL || d->ip_len)
        return;
    int dotted = 0, plain = 0;
    int we = our_dns_matches(leaf, d->host, &dotted, &plain) > 0;
    int they = ossl_host(d->host, NULL, 0, leaf);
    if (we == they || (we && allowed(d, HOST_WE_ACCEPT) != NULL))
        return;
    fprintf(stderr, "x509_diff: host %s: ours %s, X509_check_host %s\n", d->host,
            we ? "matches" : "does not match", they ? "matches" : "does not match");
    tff_fail(__FILE__, __LINE__, "our host name rules disagree with X509_check_host");
}

/* Our IP literal parser against OpenSSL's (a2i_IPADDRESS). */
static void compare_ip_parse(const diff_case *d)
{
    if (d->host == NULL)
        return;
    ASN1_OCTET_STRING *ip = a2i_IPADDRESS(d->host);
    ERR_clear_error();
    int they = ip ? ASN1_STRING_length(ip) : 0;
    int same = they == d->ip_len &&
               (they == 0 || memcmp(ASN1_STRING_get0_data(ip), d->ip, (size_t)they) == 0);
    ASN1_OCTET_STRING_free(ip);
    if (same || allowed(d, IP_PARSE) != NULL)
        return;
    fprintf(stderr, "x509_diff: IP literal \"%s\": ours %d bytes, OpenSSL %d bytes\n", d->host,
            d->ip_len, they);
    tff_fail(__FILE__, __LINE__, "our IP literal parser disagrees with a2i_IPADDRESS");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tff_reset();
    tffo_init();
    load_keys();
    tff_input in = {data, size};
    uint8_t a = tff_u8(&in), b = tff_u8(&in);
    diff_case d;
    memset(&d, 0, sizeof(d));
    d.n_chain = (a & 7) > MAX_CHAIN ? MAX_CHAIN : (a & 7);
    d.n_anchors = (a >> 3) & 3;
    int time_mode = (a >> 6) & 3;
    uint32_t absolute = 0;
    int16_t delta = 0;
    if (time_mode == 1) {
        absolute = (uint32_t)tff_u16(&in) << 16; /* two statements: evaluation order */
        absolute |= tff_u16(&in);
    } else if (time_mode >= 2)
        delta = (int16_t)tff_u16(&in);
    const uint8_t *host = NULL;
    size_t host_len = 0;
    if ((b & 3) == 3)
        host_len = tff_take(&in, tff_u8(&in), &host);
    for (size_t i = 0; i < n_certs(&d); i++)
        d.len[i] = tff_take(&in, tff_u16(&in), &d.der[i]);

    for (size_t i = 0; i < n_certs(&d); i++)
        d.x[i] = tffo_der_cert(d.der[i], d.len[i]);
    if (a & 0x20)
        for (size_t i = 0; i < n_certs(&d); i++)
            if (d.x[i] != NULL)
                resign(&d, i);
    pick_time(&d, time_mode, absolute, delta, (b >> 2) & 7);
    pick_host(&d, b & 3, host, host_len);

    /* The anchors are configuration, not peer input: both sides must take them. */
    int anchors_ok = 1;
    for (size_t i = 0; i < d.n_anchors; i++)
        anchors_ok &= anchor_x(&d, i) != NULL;
    tf_trust *trust =
        anchors_ok ? tf_trust_new(d.der + d.n_chain, d.len + d.n_chain, d.n_anchors) : NULL;
    if (trust != NULL) {
        ours(&d, trust);
        theirs(&d);
        compare_verdicts(&d);
        tf_trust_free(trust);
    }
    compare_host_rules(&d);
    compare_ip_parse(&d);

    sk_X509_pop_free(d.ossl_path, X509_free);
    for (size_t i = 0; i < n_certs(&d); i++) {
        X509_free(d.x[i]);
        OPENSSL_free(d.owned[i]);
    }
    return 0;
}
