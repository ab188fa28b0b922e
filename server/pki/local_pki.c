#include "local_pki.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>

#include "util/files.h"
#include "pki.h"

#define PEM_MAX  (256 * 1024)
#define DAY      (24 * 3600LL)
#define RSA_BITS 2048

typedef enum {
    SC_EXPIRED,
    SC_NOT_YET_VALID,
    SC_WRONG_HOST,
    SC_SELF_SIGNED,
    SC_UNTRUSTED_ROOT,
    SC_INCOMPLETE_CHAIN
} scenario_kind;

static const scenario scenarios[] = {
    {"expired.localhost", "certificate expired"},
    {"not-yet-valid.localhost", "certificate not yet valid"},
    {"wrong-host.localhost", "certificate is for another host name"},
    {"self-signed.localhost", "self-signed certificate"},
    {"untrusted-root.localhost", "issued by a CA that is not trusted"},
    {"incomplete-chain.localhost", "intermediate certificate missing (unknown CA)"},
};
#define N_SCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

const scenario *scenario_list(size_t *n)
{
    *n = N_SCENARIOS;
    return scenarios;
}

static const site_info sites[] = {
    {"classic.localhost", SITE_CLASSIC, "TLS 1.2 with RSA key transport only: the classic flow"},
    {"mtls.localhost", SITE_MTLS, "mutual TLS: a client certificate is required"},
};
#define N_SITES (sizeof(sites) / sizeof(sites[0]))
_Static_assert(N_SITES <= SITES_MAX, "SITES_MAX too small");

const site_info *site_list(size_t *n)
{
    *n = N_SITES;
    return sites;
}

/* ---- checks shared by both sources ---------------------------------------------- */

/* Does the key belong to the chain's first certificate? Records what the key is. */
static int check_pair(credential *c, const char *cert_what, const char *key_what,
                      const char *advice)
{
    tfpki_key_desc d;
    switch (tfpki_check_pair(c->chain, c->chain_len, c->key, c->key_len, &d)) {
    case TFPKI_PAIR_OK:
        snprintf(c->kind, sizeof(c->kind), "%s", d.name);
        c->ec = d.is_ec;
        return 0;
    case TFPKI_PAIR_BAD_CERT:
        errorf("%s holds no RSA or EC certificate that can be read (PEM or DER)%s", cert_what,
               advice);
        return -1;
    case TFPKI_PAIR_BAD_KEY:
        errorf("%s is not an RSA or EC private key (PEM or DER, unencrypted)%s", key_what, advice);
        return -1;
    case TFPKI_PAIR_MISMATCH:
        errorf("%s (%s) does not match %s: the certificate is for another key%s", key_what, d.name,
               cert_what, advice);
        return -1;
    }
    return -1;
}

static int same_name(const char *a, const char *b)
{
    return (!a && !b) || (a && b && strcasecmp(a, b) == 0);
}

/* The engine picks among one name's credentials by key type: a second of the same
 * type would never be served. */
static int check_unique(const cred_set *set)
{
    for (size_t i = 0; i < set->n; i++) {
        for (size_t j = 0; j < i; j++) {
            const credential *a = &set->creds[j], *b = &set->creds[i];
            if (a->ec == b->ec && same_name(a->sni, b->sni)) {
                errorf("'%s' and '%s' are both %s certificates for %s%s: one RSA and one EC "
                       "certificate per name at most (--sni NAME gives a pair its own name)",
                       a->source, b->source, a->ec ? "EC" : "RSA",
                       a->sni ? "the name " : "the default name", a->sni ? a->sni : "");
                return -1;
            }
        }
    }
    return 0;
}

/* ---- the user's own files ------------------------------------------------------ */

static int cred_from_files(const cred_files *f, cred_key_resolver resolve, void *resolve_ctx,
                           credential *c)
{
    uint8_t *cert = NULL, *chain = NULL;
    size_t cert_len = 0, chain_len = 0;
    char cert_what[4200], key_what[4200];
    snprintf(cert_what, sizeof(cert_what), "--cert file '%s'", f->cert);
    snprintf(key_what, sizeof(key_what), "--key file '%s'", f->key ? f->key : "");
    snprintf(c->source, sizeof(c->source), "%s", f->cert);
    c->sni = f->sni;
    if (file_read_all(f->cert, PEM_MAX, "--cert file", &cert, &cert_len) != 0)
        return -1;
    if (f->key && file_read_all(f->key, PEM_MAX, "--key file", &c->key, &c->key_len) != 0) {
        free(cert);
        return -1;
    }
    if (f->chain && file_read_all(f->chain, PEM_MAX, "--chain file", &chain, &chain_len) != 0) {
        free(cert);
        return -1;
    }
    /* The engine takes one chain, leaf first: cert, then the intermediates. */
    c->chain = malloc(cert_len + 1 + chain_len + 1);
    if (!c->chain) {
        free(cert);
        free(chain);
        errorf("out of memory");
        return -1;
    }
    memcpy(c->chain, cert, cert_len);
    c->chain_len = cert_len;
    if (chain) {
        c->chain[c->chain_len++] = '\n';
        memcpy(c->chain + c->chain_len, chain, chain_len);
        c->chain_len += chain_len;
    }
    c->chain[c->chain_len] = 0;
    free(cert);
    free(chain);
    if (f->token_key) {
        if (!resolve) {
            errorf("--pkcs11-key '%s': this build has no PKCS#11 support", f->token_key);
            return -1;
        }
        return resolve(resolve_ctx, f, c);
    }
    return check_pair(c, cert_what, key_what, "");
}

static int creds_from_files(const cred_files *files, size_t n, cred_key_resolver resolve,
                            void *resolve_ctx, cred_set *out)
{
    if (n > CRED_FILES_MAX) {
        errorf("at most %d --cert/--key pairs", CRED_FILES_MAX);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        out->n = i + 1;
        if (cred_from_files(&files[i], resolve, resolve_ctx, &out->creds[i]) != 0)
            return -1;
    }
    return check_unique(out);
}

/* ---- the local PKI ----------------------------------------------------------------- */

typedef struct {
    tfpki_key key;
    tfpki_cert cert;
} keycert;

static void keycert_free(keycert *kc)
{
    tfpki_key_free(&kc->key);
    tfpki_cert_free(&kc->cert);
}

/* dir/name; creds_from_local_pki() keeps dir short enough for every name here. */
static void join(char *out, size_t cap, const char *dir, const char *name)
{
    if (snprintf(out, cap, "%s/%s", dir, name) >= (int)cap)
        out[0] = '\0';
}

static int save_key(const char *path, const tfpki_key *k)
{
    return file_write_atomic(path, k->pem, strlen(k->pem), 0600);
}

static int load_key(const char *path, tfpki_key *k)
{
    uint8_t *buf;
    size_t len;
    if (file_read_all(path, PEM_MAX, "key file", &buf, &len) != 0)
        return -1;
    int rc = tfpki_key_load(k, buf, len);
    free(buf);
    if (rc != 0)
        errorf("cannot parse the private key in '%s' (delete the file to regenerate it)", path);
    return rc;
}

/* Read the first certificate of a PEM file into DER so it can issue others. */
static int load_cert(const char *path, tfpki_cert *c)
{
    uint8_t *pem;
    size_t len;
    memset(c, 0, sizeof(*c));
    if (file_read_all(path, PEM_MAX, "certificate file", &pem, &len) != 0)
        return -1;
    c->der = malloc(len);
    int n = c->der ? wc_CertPemToDer(pem, (int)len, c->der, (int)len, CERT_TYPE) : -1;
    if (n <= 0) {
        errorf("cannot parse the certificate in '%s' (delete the file to regenerate it)", path);
        free(pem);
        free(c->der);
        c->der = NULL;
        return -1;
    }
    c->der_len = (size_t)n;
    c->pem = (char *)pem;
    return 0;
}

static int64_t now_s(void)
{
    return (int64_t)time(NULL);
}

/* Load dir/base.{pem,key}, or make a CA pair (signed by issuer, or self-signed) and
 * save it. *created tells which happened. */
static int ca_pair(const char *dir, const char *base, const char *cn, const keycert *issuer,
                   keycert *out, int *created)
{
    char pem_path[4096], key_path[4096], name[256];
    snprintf(name, sizeof(name), "%s.pem", base);
    join(pem_path, sizeof(pem_path), dir, name);
    snprintf(name, sizeof(name), "%s.key", base);
    join(key_path, sizeof(key_path), dir, name);
    memset(out, 0, sizeof(*out));
    int have_pem = file_exists(pem_path), have_key = file_exists(key_path);
    if (have_pem && have_key) {
        *created = 0;
        if (load_key(key_path, &out->key) != 0 || load_cert(pem_path, &out->cert) != 0) {
            keycert_free(out);
            return -1;
        }
        return 0;
    }
    if (have_pem != have_key) {
        errorf("'%s' exists without '%s'; remove the other one too to make a new CA",
               have_pem ? pem_path : key_path, have_pem ? key_path : pem_path);
        return -1;
    }
    *created = 1;
    tfpki_spec spec = {.common_name = cn,
                       .not_before = now_s() - DAY,
                       .not_after = now_s() + 10 * 365 * DAY,
                       .is_ca = 1};
    if (tfpki_key_generate(&out->key, TFPKI_RSA, RSA_BITS) != 0 ||
        tfpki_cert_issue(&out->cert, &spec, &out->key, issuer ? &issuer->cert : NULL,
                         issuer ? &issuer->key : NULL) != 0) {
        errorf("cannot generate the CA '%s'", cn);
        keycert_free(out);
        return -1;
    }
    if (save_key(key_path, &out->key) != 0 ||
        file_write_atomic(pem_path, out->cert.pem, strlen(out->cert.pem), 0644) != 0) {
        keycert_free(out);
        return -1;
    }
    return 0;
}

/* Concatenate PEM texts into one heap buffer. */
static uint8_t *pem_concat(const char *a, const char *b, size_t *len)
{
    size_t la = strlen(a), lb = b ? strlen(b) : 0;
    uint8_t *p = malloc(la + lb + 1);
    if (!p)
        return NULL;
    memcpy(p, a, la);
    if (b)
        memcpy(p + la, b, lb);
    p[la + lb] = 0;
    *len = la + lb;
    return p;
}

static uint8_t *dup_text(const char *s, size_t *len)
{
    return pem_concat(s, NULL, len);
}

/* The shared state while building the local PKI. */
typedef struct {
    const char *dir;
    char sdir[4096];
    keycert ca;
    keycert untrusted; /* made on demand */
    keycert intermediate;
    tfpki_key leaf_key; /* one key for all scenario leaves: they differ by certificate */
    int have_untrusted, have_intermediate, have_leaf_key;
} pki_state;

static int need_leaf_key(pki_state *st)
{
    if (st->have_leaf_key)
        return 0;
    char path[4096];
    join(path, sizeof(path), st->sdir, "leaf.key");
    if (file_exists(path)) {
        if (load_key(path, &st->leaf_key) != 0)
            return -1;
    } else if (tfpki_key_generate(&st->leaf_key, TFPKI_RSA, RSA_BITS) != 0 ||
               save_key(path, &st->leaf_key) != 0) {
        errorf("cannot generate the scenario key '%s'", path);
        return -1;
    }
    st->have_leaf_key = 1;
    return 0;
}

/* Issue the certificate for one scenario and return the chain it sends. */
static int issue_scenario(pki_state *st, size_t i, uint8_t **chain, size_t *chain_len)
{
    const char *name = scenarios[i].name;
    const char *dns[1] = {name};
    tfpki_spec spec = {.common_name = name,
                       .dns_names = dns,
                       .n_dns = 1,
                       .not_before = now_s() - DAY,
                       .not_after = now_s() + 5 * 365 * DAY};
    const keycert *issuer = &st->ca;
    const char *extra = NULL;
    int created;
    if (need_leaf_key(st) != 0)
        return -1;
    switch ((scenario_kind)i) {
    case SC_EXPIRED:
        spec.not_before = now_s() - 400 * DAY;
        spec.not_after = now_s() - 30 * DAY;
        break;
    case SC_NOT_YET_VALID:
        spec.not_before = now_s() + 5 * 365 * DAY;
        spec.not_after = now_s() + 6 * 365 * DAY;
        break;
    case SC_WRONG_HOST:
        dns[0] = "some-other-host.example";
        spec.common_name = dns[0];
        break;
    case SC_SELF_SIGNED:
        issuer = NULL;
        break;
    case SC_UNTRUSTED_ROOT:
        if (!st->have_untrusted) {
            if (ca_pair(st->sdir, "untrusted-ca", "tlsflow untrusted CA (not in ca.pem)", NULL,
                        &st->untrusted, &created) != 0)
                return -1;
            st->have_untrusted = 1;
        }
        issuer = &st->untrusted;
        extra = st->untrusted.cert.pem; /* a full chain, to a root nobody trusts */
        break;
    case SC_INCOMPLETE_CHAIN:
        if (!st->have_intermediate) {
            if (ca_pair(st->sdir, "intermediate-ca", "tlsflow intermediate CA", &st->ca,
                        &st->intermediate, &created) != 0)
                return -1;
            st->have_intermediate = 1;
        }
        issuer = &st->intermediate; /* ...and the intermediate is not sent */
        break;
    }
    tfpki_cert leaf;
    if (tfpki_cert_issue(&leaf, &spec, &st->leaf_key, issuer ? &issuer->cert : NULL,
                         issuer ? &issuer->key : NULL) != 0) {
        errorf("cannot issue the certificate for %s", name);
        return -1;
    }
    *chain = pem_concat(leaf.pem, extra, chain_len);
    tfpki_cert_free(&leaf);
    return *chain ? 0 : -1;
}

static int load_or_issue_scenario(pki_state *st, size_t i, credential *c)
{
    char path[4096], file[256];
    snprintf(file, sizeof(file), "%s.pem", scenarios[i].name);
    join(path, sizeof(path), st->sdir, file);
    c->sni = scenarios[i].name;
    snprintf(c->source, sizeof(c->source), "scenarios/%s", file);
    if (file_exists(path)) {
        if (file_read_all(path, PEM_MAX, "scenario certificate", &c->chain, &c->chain_len) != 0)
            return -1;
    } else if (issue_scenario(st, i, &c->chain, &c->chain_len) != 0 ||
               file_write_atomic(path, c->chain, c->chain_len, 0644) != 0) {
        return -1;
    }
    if (need_leaf_key(st) != 0)
        return -1;
    c->key = dup_text(st->leaf_key.pem, &c->key_len);
    if (!c->key)
        return -1;
    char cert_what[4200];
    snprintf(cert_what, sizeof(cert_what), "'%s'", path);
    return check_pair(c, cert_what, "scenarios/leaf.key",
                      " (delete the scenarios directory to make new ones)");
}

/* A server certificate from the local CA (the leaf, then the CA) in dir/base.pem with its
 * key in dir/base.key: loaded, or issued when either file is missing (a PKI directory
 * from before the EC certificate or the sites gains them). name NULL: the default one, for
 * localhost, 127.0.0.1 and ::1; else for that one DNS name (and c->sni is the name). */
static int server_credential(pki_state *st, credential *c, const char *base, tfpki_key_type type,
                             const char *name)
{
    char pem_path[4096], key_path[4096], file[64], key_what[4200], cert_what[4200];
    snprintf(file, sizeof(file), "%s.pem", base);
    join(pem_path, sizeof(pem_path), st->dir, file);
    snprintf(file, sizeof(file), "%s.key", base);
    join(key_path, sizeof(key_path), st->dir, file);
    snprintf(c->source, sizeof(c->source), "%s.pem", base);
    c->sni = name;
    if (file_exists(pem_path) && file_exists(key_path)) {
        if (file_read_all(pem_path, PEM_MAX, "certificate file", &c->chain, &c->chain_len) != 0 ||
            file_read_all(key_path, PEM_MAX, "key file", &c->key, &c->key_len) != 0)
            return -1;
        snprintf(cert_what, sizeof(cert_what), "'%s'", pem_path);
        snprintf(key_what, sizeof(key_what), "the key in '%s'", key_path);
        return check_pair(c, cert_what, key_what,
                          " (delete both files to make a new pair from the local CA)");
    }
    static const char *const localhost[] = {"localhost"};
    static const char *const ips[] = {"127.0.0.1", "::1"};
    const char *const named[] = {name};
    tfpki_spec spec = {.common_name = name ? name : "localhost",
                       .dns_names = name ? named : localhost,
                       .n_dns = 1,
                       .ip_addrs = name ? NULL : ips,
                       .n_ip = name ? 0 : 2,
                       .not_before = now_s() - DAY,
                       .not_after = now_s() + 825 * DAY};
    tfpki_key key;
    tfpki_cert leaf;
    if (tfpki_key_generate(&key, type, RSA_BITS) != 0) {
        errorf("cannot generate the key for %s", pem_path);
        return -1;
    }
    if (tfpki_cert_issue(&leaf, &spec, &key, &st->ca.cert, &st->ca.key) != 0) {
        errorf("cannot issue the server certificate %s", pem_path);
        tfpki_key_free(&key);
        return -1;
    }
    c->chain = pem_concat(leaf.pem, st->ca.cert.pem, &c->chain_len);
    c->key = dup_text(key.pem, &c->key_len);
    int rc = (c->chain && c->key) ? 0 : -1;
    if (rc == 0)
        rc = save_key(key_path, &key);
    if (rc == 0)
        rc = file_write_atomic(pem_path, c->chain, c->chain_len, 0644);
    tfpki_key_free(&key);
    tfpki_cert_free(&leaf);
    if (rc == 0)
        rc = check_pair(c, pem_path, key_path, "");
    return rc;
}

/* The client side of mutual TLS: dir/client-ca.{pem,key}, a CA of its own (client
 * certificates are not server certificates), and dir/client.{pem,key} issued by it
 * (RSA, extendedKeyUsage clientAuth, the leaf alone). A new client CA issues a new
 * client certificate; a missing or mismatched pair is issued again. */
static int client_pki(pki_state *st, cred_set *out)
{
    keycert cca;
    int created;
    if (ca_pair(st->dir, "client-ca", "tlsflow local client CA", NULL, &cca, &created) != 0)
        return -1;
    int rc = -1;
    char pem_path[4096], key_path[4096];
    join(pem_path, sizeof(pem_path), st->dir, "client.pem");
    join(key_path, sizeof(key_path), st->dir, "client.key");
    out->client_ca = dup_text(cca.cert.pem, &out->client_ca_len);
    if (!out->client_ca)
        goto done;
    if (!created && file_exists(pem_path) && file_exists(key_path)) {
        uint8_t *pem = NULL, *key = NULL;
        size_t pem_len = 0, key_len = 0;
        tfpki_key_desc d;
        if (file_read_all(pem_path, PEM_MAX, "certificate file", &pem, &pem_len) == 0 &&
            file_read_all(key_path, PEM_MAX, "key file", &key, &key_len) == 0 &&
            tfpki_check_pair(pem, pem_len, key, key_len, &d) == TFPKI_PAIR_OK)
            rc = 0;
        free(pem);
        if (key)
            memset(key, 0, key_len);
        free(key);
        if (rc == 0)
            goto done;
    }
    tfpki_spec spec = {.common_name = "tlsflow test client",
                       .not_before = now_s() - DAY,
                       .not_after = now_s() + 825 * DAY,
                       .usage = TFPKI_CLIENT_ONLY};
    tfpki_key key;
    tfpki_cert leaf;
    if (tfpki_key_generate(&key, TFPKI_RSA, RSA_BITS) != 0) {
        errorf("cannot generate the key for %s", pem_path);
        goto done;
    }
    if (tfpki_cert_issue(&leaf, &spec, &key, &cca.cert, &cca.key) != 0) {
        errorf("cannot issue the client certificate %s", pem_path);
        tfpki_key_free(&key);
        goto done;
    }
    rc = save_key(key_path, &key);
    if (rc == 0)
        rc = file_write_atomic(pem_path, leaf.pem, strlen(leaf.pem), 0644);
    tfpki_key_free(&key);
    tfpki_cert_free(&leaf);
done:
    keycert_free(&cca);
    return rc;
}

static int creds_from_local_pki(const char *dir, cred_set *out)
{
    pki_state st;
    memset(&st, 0, sizeof(st));
    st.dir = dir;
    if (strlen(dir) > 2048) {
        errorf("--pki-dir path is too long");
        return -1;
    }
    join(st.sdir, sizeof(st.sdir), dir, "scenarios");
    int rc = -1;
    if (dir_make(dir, 0700) != 0 || dir_make(st.sdir, 0700) != 0)
        return -1;
    if (ca_pair(dir, "ca", "tlsflow local CA", NULL, &st.ca, &out->created) != 0)
        goto done;
    join(out->ca_path, sizeof(out->ca_path), dir, "ca.pem");
    out->local = 1;
    /* Both for the default name: the engine serves the EC one to ECDHE_ECDSA suites. */
    out->n = 1;
    if (server_credential(&st, &out->creds[0], "server", TFPKI_RSA, NULL) != 0)
        goto done;
    out->n = 2;
    if (server_credential(&st, &out->creds[1], "server-ec", TFPKI_ECDSA_P256, NULL) != 0)
        goto done;
    for (size_t i = 0; i < N_SCENARIOS; i++) {
        out->n++;
        if (load_or_issue_scenario(&st, i, &out->creds[out->n - 1]) != 0)
            goto done;
    }
    /* Each site's certificate names only the site: classic.pem, mtls.pem. */
    for (size_t i = 0; i < N_SITES; i++) {
        char base[64];
        snprintf(base, sizeof(base), "%.*s", (int)strcspn(sites[i].name, "."), sites[i].name);
        out->n_sites = i + 1;
        if (server_credential(&st, &out->site_creds[i], base, TFPKI_RSA, sites[i].name) != 0)
            goto done;
    }
    if (client_pki(&st, out) != 0)
        goto done;
    rc = 0;
done:
    keycert_free(&st.ca);
    if (st.have_untrusted)
        keycert_free(&st.untrusted);
    if (st.have_intermediate)
        keycert_free(&st.intermediate);
    if (st.have_leaf_key)
        tfpki_key_free(&st.leaf_key);
    return rc;
}

int creds_load(const cred_files *files, size_t n, const char *pki_dir, cred_key_resolver resolve,
               void *resolve_ctx, cred_set *out)
{
    memset(out, 0, sizeof(*out));
    int rc = n ? creds_from_files(files, n, resolve, resolve_ctx, out)
               : creds_from_local_pki(pki_dir, out);
    if (rc != 0)
        creds_free(out);
    return rc;
}

static void credential_free(credential *c)
{
    free(c->chain);
    if (c->key)
        memset(c->key, 0, c->key_len);
    free(c->key);
}

void creds_free(cred_set *set)
{
    for (size_t i = 0; i < CRED_MAX; i++)
        credential_free(&set->creds[i]);
    for (size_t i = 0; i < SITES_MAX; i++)
        credential_free(&set->site_creds[i]);
    free(set->client_ca);
    memset(set, 0, sizeof(*set));
}
