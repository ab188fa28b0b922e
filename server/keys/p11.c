/* PKCS#11 through the module's own C API (the declarations are p11-kit's pkcs11.h; the
 * module is loaded with dlopen, not through p11-kit).
 *
 * One module and one token per process. At start: C_Initialize with CKF_OS_LOCKING_OK
 * (several threads call in), the token chosen by label, one session opened and logged
 * in to; that session stays open to the end because a token forgets the login when the
 * application's last session closes. Each thread that performs an operation opens its
 * own session the first time (a thread-local handle) and looks each key up in it once;
 * a session or handle the token no longer knows is reopened once per operation. */
#include "p11.h"

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

#include <tlsflow/tlsflow.h>

#include "p11_uri.h"
#include "util/files.h"
#include "wc_glue.h"

#define P11_MAX_KEYS 16
#define RESULT_MAX   1024 /* an RSA-8192 signature or plaintext; a P-521 r||s */

struct p11_key {
    unsigned index; /* into the thread's handle cache */
    int is_ec;
    char label[P11_LABEL_MAX];
    uint8_t id[P11_ID_MAX];
    size_t id_len;
    int has_id;
};

static struct {
    void *dl;
    CK_FUNCTION_LIST *f;
    int initialized; /* our C_Initialize (not a host application's) */
    char module[P11_PATH_MAX];
    CK_SLOT_ID slot;
    int opened; /* the login session is open */
    char token[33];
    CK_SESSION_HANDLE login; /* held open: keeps every session of ours logged in */
    unsigned generation;     /* thread sessions of an older generation are stale */
    p11_key keys[P11_MAX_KEYS];
    size_t n_keys;
} mod = {.generation = 1};

static _Thread_local struct {
    unsigned generation; /* 0: no session on this thread */
    CK_SESSION_HANDLE session;
    CK_OBJECT_HANDLE obj[P11_MAX_KEYS]; /* CK_INVALID_HANDLE: not looked up yet */
    CK_RV last;                         /* the last failure, for messages */
} tl;

/* ---- names for messages -------------------------------------------------------------- */

static const char *rv_name(CK_RV rv)
{
#define RV(x)                                                                                      \
    case x:                                                                                        \
        return #x
    switch (rv) {
        RV(CKR_OK);
        RV(CKR_GENERAL_ERROR);
        RV(CKR_FUNCTION_FAILED);
        RV(CKR_ARGUMENTS_BAD);
        RV(CKR_DATA_INVALID);
        RV(CKR_DATA_LEN_RANGE);
        RV(CKR_DEVICE_ERROR);
        RV(CKR_DEVICE_MEMORY);
        RV(CKR_DEVICE_REMOVED);
        RV(CKR_ENCRYPTED_DATA_INVALID);
        RV(CKR_ENCRYPTED_DATA_LEN_RANGE);
        RV(CKR_KEY_HANDLE_INVALID);
        RV(CKR_KEY_SIZE_RANGE);
        RV(CKR_KEY_TYPE_INCONSISTENT);
        RV(CKR_KEY_FUNCTION_NOT_PERMITTED);
        RV(CKR_MECHANISM_INVALID);
        RV(CKR_MECHANISM_PARAM_INVALID);
        RV(CKR_OBJECT_HANDLE_INVALID);
        RV(CKR_OPERATION_ACTIVE);
        RV(CKR_PIN_INCORRECT);
        RV(CKR_PIN_INVALID);
        RV(CKR_PIN_LEN_RANGE);
        RV(CKR_PIN_EXPIRED);
        RV(CKR_PIN_LOCKED);
        RV(CKR_SESSION_CLOSED);
        RV(CKR_SESSION_COUNT);
        RV(CKR_SESSION_HANDLE_INVALID);
        RV(CKR_TOKEN_NOT_PRESENT);
        RV(CKR_TOKEN_NOT_RECOGNIZED);
        RV(CKR_USER_NOT_LOGGED_IN);
        RV(CKR_USER_PIN_NOT_INITIALIZED);
        RV(CKR_BUFFER_TOO_SMALL);
        RV(CKR_CRYPTOKI_NOT_INITIALIZED);
    default:
        return "a PKCS#11 error";
    }
#undef RV
}

/* "CKR_PIN_INCORRECT" or "a PKCS#11 error 0x1234". */
static const char *rv_text(CK_RV rv, char *buf, size_t cap)
{
    const char *n = rv_name(rv);
    if (strncmp(n, "CKR_", 4) == 0)
        return n;
    snprintf(buf, cap, "%s 0x%lx", n, (unsigned long)rv);
    return buf;
}

#define RVT(rv) rv_text(rv, (char[48]){0}, 48)

/* A blank-padded fixed-size token field as a C string. */
static void field(const unsigned char *src, size_t n, char *out)
{
    while (n > 0 && src[n - 1] == ' ')
        n--;
    memcpy(out, src, n);
    out[n] = 0;
}

/* ---- module and token ------------------------------------------------------------------ */

static int load_module(const char *path)
{
    if (mod.f) {
        if (strcmp(path, mod.module) != 0) {
            errorf("PKCS#11: keys from two modules ('%s' and '%s'): one module per server",
                   mod.module, path);
            return -1;
        }
        return 0;
    }
    snprintf(mod.module, sizeof(mod.module), "%s", path);
    mod.dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!mod.dl) {
        errorf("--pkcs11-module '%s': cannot load it: %s", path, dlerror());
        return -1;
    }
    CK_C_GetFunctionList get = (CK_C_GetFunctionList)dlsym(mod.dl, "C_GetFunctionList");
    CK_FUNCTION_LIST *f = NULL;
    CK_RV rv = get ? get(&f) : CKR_FUNCTION_FAILED;
    if (rv != CKR_OK || !f) {
        errorf("--pkcs11-module '%s' is not a PKCS#11 module (no C_GetFunctionList: %s)", path,
               get ? RVT(rv) : "symbol missing");
        return -1;
    }
    CK_C_INITIALIZE_ARGS args;
    memset(&args, 0, sizeof(args));
    args.flags = CKF_OS_LOCKING_OK; /* several threads call in; the OS locks serve */
    rv = f->C_Initialize(&args);
    if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
        errorf("--pkcs11-module '%s': C_Initialize failed: %s", path, RVT(rv));
        return -1;
    }
    mod.initialized = rv == CKR_OK;
    mod.f = f;
    return 0;
}

static int token_matches(const CK_TOKEN_INFO *ti, const p11_uri *u, const char *want_label)
{
    char label[33], manuf[33], model[17], serial[17];
    field(ti->label, sizeof(ti->label), label);
    field(ti->manufacturerID, sizeof(ti->manufacturerID), manuf);
    field(ti->model, sizeof(ti->model), model);
    field(ti->serialNumber, sizeof(ti->serialNumber), serial);
    if (want_label && *want_label ? strcmp(label, want_label) != 0
                                  : !(ti->flags & CKF_TOKEN_INITIALIZED))
        return 0;
    return (!u->manufacturer[0] || strcmp(manuf, u->manufacturer) == 0) &&
           (!u->model[0] || strcmp(model, u->model) == 0) &&
           (!u->serial[0] || strcmp(serial, u->serial) == 0);
}

/* The slot whose token the URI or --pkcs11-token names (else the first initialised). */
static int pick_slot(const p11_uri *u, const char *want_label, CK_SLOT_ID *slot,
                     CK_TOKEN_INFO *info)
{
    CK_ULONG n = 0;
    CK_RV rv = mod.f->C_GetSlotList(CK_TRUE, NULL, &n);
    CK_SLOT_ID *slots = rv == CKR_OK && n ? calloc(n, sizeof(*slots)) : NULL;
    if (slots)
        rv = mod.f->C_GetSlotList(CK_TRUE, slots, &n);
    char seen[512] = "";
    size_t used = 0;
    int found = 0;
    for (CK_ULONG i = 0; slots && rv == CKR_OK && i < n && !found; i++) {
        if (mod.f->C_GetTokenInfo(slots[i], info) != CKR_OK)
            continue;
        char label[33];
        field(info->label, sizeof(info->label), label);
        if (info->flags & CKF_TOKEN_INITIALIZED && used < sizeof(seen))
            used += (size_t)snprintf(seen + used, sizeof(seen) - used, "%s'%s'", used ? ", " : "",
                                     label);
        if (token_matches(info, u, want_label)) {
            *slot = slots[i];
            found = 1;
        }
    }
    free(slots);
    if (found)
        return 0;
    if (rv != CKR_OK)
        errorf("PKCS#11 module '%s': cannot list its slots: %s", mod.module, RVT(rv));
    else if (want_label && *want_label)
        errorf("PKCS#11 module '%s' has no token labelled '%s'%s (tokens: %s)", mod.module,
               want_label,
               u->serial[0] || u->model[0] || u->manufacturer[0] ? " as the URI says" : "",
               used ? seen : "none initialised");
    else
        errorf("PKCS#11 module '%s' has no initialised token%s", mod.module,
               used ? " that matches the URI" : "");
    return -1;
}

/* Read a PIN from pin-source: a file (a path or a file: URI), its first line. */
static int pin_from_source(const char *src, char *pin, size_t cap)
{
    const char *path = src;
    if (strncmp(path, "file://", 7) == 0)
        path += 7;
    else if (strncmp(path, "file:", 5) == 0)
        path += 5;
    uint8_t *buf = NULL;
    size_t len = 0;
    if (file_read_all(path, cap - 1, "PKCS#11 pin-source file", &buf, &len) != 0)
        return -1;
    size_t n = strcspn((char *)buf, "\r\n");
    memcpy(pin, buf, n);
    pin[n] = 0;
    memset(buf, 0, len);
    free(buf);
    return 0;
}

static int open_token(const p11_uri *u, const p11_defaults *d)
{
    const char *want = u->token[0] ? u->token : d->token;
    if (mod.opened) {
        if (want && *want && strcmp(want, mod.token) != 0) {
            errorf("PKCS#11: keys on two tokens ('%s' and '%s'): one token per server", mod.token,
                   want);
            return -1;
        }
        return 0;
    }
    CK_TOKEN_INFO info;
    if (pick_slot(u, want, &mod.slot, &info) != 0)
        return -1;
    field(info.label, sizeof(info.label), mod.token);
    CK_RV rv = mod.f->C_OpenSession(mod.slot, CKF_SERIAL_SESSION, NULL, NULL, &mod.login);
    if (rv != CKR_OK) {
        errorf("PKCS#11 token '%s': cannot open a session: %s", mod.token, RVT(rv));
        return -1;
    }
    mod.opened = 1; /* a session is open: p11_shutdown closes it */
    if (!(info.flags & CKF_LOGIN_REQUIRED))
        return 0;
    char pin[P11_LABEL_MAX] = "";
    if (u->has_pin)
        snprintf(pin, sizeof(pin), "%s", u->pin);
    else if (u->pin_source[0] && pin_from_source(u->pin_source, pin, sizeof(pin)) != 0)
        return -1;
    else if (!u->pin_source[0] && d->pin)
        snprintf(pin, sizeof(pin), "%s", d->pin);
    if (!pin[0] && !u->has_pin) {
        errorf("PKCS#11 token '%s' needs a PIN: --pkcs11-pin PIN, TLSFLOW_PKCS11_PIN in the "
               "environment, or pin-value/pin-source in a pkcs11: URI",
               mod.token);
        return -1;
    }
    rv = mod.f->C_Login(mod.login, CKU_USER, (CK_UTF8CHAR *)pin, strlen(pin));
    memset(pin, 0, sizeof(pin));
    if (rv == CKR_PIN_INCORRECT) {
        errorf("wrong PIN for PKCS#11 token '%s' (CKR_PIN_INCORRECT)", mod.token);
        return -1;
    }
    if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) {
        errorf("cannot log in to PKCS#11 token '%s': %s", mod.token, RVT(rv));
        return -1;
    }
    return 0;
}

/* ---- objects and sessions ------------------------------------------------------------ */

/* Private keys in session s that k names: up to cap handles into out, *n found. */
static CK_RV find_keys(CK_SESSION_HANDLE s, const p11_key *k, CK_OBJECT_HANDLE *out, CK_ULONG cap,
                       CK_ULONG *n)
{
    CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
    CK_ATTRIBUTE t[3] = {{CKA_CLASS, &cls, sizeof(cls)}};
    CK_ULONG nt = 1;
    if (k && k->label[0])
        t[nt++] = (CK_ATTRIBUTE){CKA_LABEL, (void *)k->label, strlen(k->label)};
    if (k && k->has_id)
        t[nt++] = (CK_ATTRIBUTE){CKA_ID, (void *)k->id, k->id_len};
    CK_RV rv = mod.f->C_FindObjectsInit(s, t, nt);
    if (rv != CKR_OK)
        return rv;
    rv = mod.f->C_FindObjects(s, out, cap, n);
    CK_RV fin = mod.f->C_FindObjectsFinal(s);
    return rv != CKR_OK ? rv : fin;
}

/* This thread's session, opened on first use. */
static CK_RV thread_session(CK_SESSION_HANDLE *s)
{
    if (tl.generation != mod.generation) {
        memset(tl.obj, 0, sizeof(tl.obj));
        CK_RV rv = mod.f->C_OpenSession(mod.slot, CKF_SERIAL_SESSION, NULL, NULL, &tl.session);
        if (rv != CKR_OK)
            return rv;
        tl.generation = mod.generation;
    }
    *s = tl.session;
    return CKR_OK;
}

static void thread_session_drop(void)
{
    if (tl.generation == mod.generation)
        mod.f->C_CloseSession(tl.session);
    tl.generation = 0;
}

static CK_RV thread_key(const p11_key *k, CK_SESSION_HANDLE *s, CK_OBJECT_HANDLE *h)
{
    CK_RV rv = thread_session(s);
    if (rv != CKR_OK)
        return rv;
    if (tl.obj[k->index] == CK_INVALID_HANDLE) {
        CK_ULONG n = 0;
        rv = find_keys(*s, k, &tl.obj[k->index], 1, &n);
        if (rv == CKR_OK && n != 1)
            rv = CKR_KEY_HANDLE_INVALID; /* gone since start */
        if (rv != CKR_OK) {
            tl.obj[k->index] = CK_INVALID_HANDLE;
            return rv;
        }
    }
    *h = tl.obj[k->index];
    return CKR_OK;
}

/* Failures after which this thread's session is not to be used again. */
static int session_spoiled(CK_RV rv)
{
    return rv == CKR_SESSION_HANDLE_INVALID || rv == CKR_SESSION_CLOSED ||
           rv == CKR_OBJECT_HANDLE_INVALID || rv == CKR_KEY_HANDLE_INVALID ||
           rv == CKR_DEVICE_REMOVED || rv == CKR_TOKEN_NOT_PRESENT || rv == CKR_OPERATION_ACTIVE ||
           rv == CKR_BUFFER_TOO_SMALL;
}

/* One C_SignInit/C_Sign or C_DecryptInit/C_Decrypt on this thread's session; once more
 * on a fresh session when the old one went stale. A decryption that fails on padding
 * keeps the session (nothing to reopen, no extra time for that case). */
static CK_RV run_op(const p11_key *k, int decrypt, CK_MECHANISM *m, const uint8_t *in, size_t n,
                    uint8_t *out, size_t *len)
{
    CK_RV rv = CKR_OK;
    for (int attempt = 0; attempt < 2; attempt++) {
        CK_SESSION_HANDLE s;
        CK_OBJECT_HANDLE h;
        CK_ULONG olen = RESULT_MAX;
        rv = thread_key(k, &s, &h);
        if (rv == CKR_OK)
            rv = decrypt ? mod.f->C_DecryptInit(s, m, h) : mod.f->C_SignInit(s, m, h);
        if (rv == CKR_OK)
            rv = decrypt ? mod.f->C_Decrypt(s, (CK_BYTE *)in, n, out, &olen)
                         : mod.f->C_Sign(s, (CK_BYTE *)in, n, out, &olen);
        if (rv == CKR_OK) {
            *len = olen;
            return CKR_OK;
        }
        if (!session_spoiled(rv))
            break;
        thread_session_drop();
        if (rv == CKR_OPERATION_ACTIVE || rv == CKR_BUFFER_TOO_SMALL)
            break; /* our own state: a fresh session next time, no second try */
    }
    tl.last = rv;
    return rv;
}

/* ---- operations ------------------------------------------------------------------------ */

static CK_MECHANISM_TYPE ckm_hash(wcg_hash h)
{
    return h == WCG_SHA384 ? CKM_SHA384 : h == WCG_SHA512 ? CKM_SHA512 : CKM_SHA256;
}

static CK_RSA_PKCS_MGF_TYPE ckg_mgf1(wcg_hash h)
{
    return h == WCG_SHA384 ? CKG_MGF1_SHA384 : h == WCG_SHA512 ? CKG_MGF1_SHA512 : CKG_MGF1_SHA256;
}

int p11_sign(p11_key *k, uint16_t scheme, const uint8_t *digest, size_t digest_len, uint8_t *out,
             size_t cap, size_t *len)
{
    char kind = 0;
    wcg_hash h = wcg_scheme_hash(scheme, &kind);
    if (!h || digest_len != wcg_hash_len(h) || (kind == 'e') != k->is_ec) {
        tl.last = CKR_MECHANISM_INVALID;
        return -1;
    }
    CK_RSA_PKCS_PSS_PARAMS pss = {ckm_hash(h), ckg_mgf1(h), digest_len};
    CK_MECHANISM m = {CKM_RSA_PKCS, NULL, 0};
    uint8_t info[128], raw[RESULT_MAX];
    const uint8_t *data = digest;
    size_t data_len = digest_len, raw_len = 0;
    if (kind == 's') {
        m = (CK_MECHANISM){CKM_RSA_PKCS_PSS, &pss, sizeof(pss)};
    } else if (kind == 'e') {
        m.mechanism = CKM_ECDSA;
    } else {
        if (wcg_digest_info(h, digest, digest_len, info, sizeof(info), &data_len) != 0)
            return -1;
        data = info;
    }
    if (run_op(k, 0, &m, data, data_len, raw, &raw_len) != CKR_OK)
        return -1;
    if (kind == 'e')
        return wcg_ecdsa_raw_to_der(raw, raw_len, out, cap, len);
    if (raw_len > cap)
        return -1;
    memcpy(out, raw, raw_len);
    *len = raw_len;
    return 0;
}

int p11_decrypt(p11_key *k, const uint8_t *in, size_t in_len, uint8_t *out, size_t cap, size_t *len)
{
    uint8_t raw[RESULT_MAX];
    size_t raw_len = 0;
    CK_MECHANISM m = {CKM_RSA_PKCS, NULL, 0};
    int rc = -1;
    if (!k->is_ec && run_op(k, 1, &m, in, in_len, raw, &raw_len) == CKR_OK && raw_len <= cap) {
        memcpy(out, raw, raw_len);
        *len = raw_len;
        rc = 0;
    }
    memset(raw, 0, sizeof(raw));
    return rc;
}

/* ---- loading a key ------------------------------------------------------------------- */

/* Labels of the private keys on the token, for a message. */
static void list_labels(char *out, size_t cap)
{
    CK_OBJECT_HANDLE objs[32];
    CK_ULONG n = 0;
    size_t used = 0;
    out[0] = 0;
    if (find_keys(mod.login, NULL, objs, 32, &n) != CKR_OK)
        return;
    for (CK_ULONG i = 0; i < n && used < cap; i++) {
        char label[P11_LABEL_MAX] = "";
        CK_ATTRIBUTE a = {CKA_LABEL, label, sizeof(label) - 1};
        if (mod.f->C_GetAttributeValue(mod.login, objs[i], &a, 1) != CKR_OK ||
            a.ulValueLen >= sizeof(label))
            a.ulValueLen = 0;
        label[a.ulValueLen] = 0;
        used += (size_t)snprintf(out + used, cap - used, "%s'%s'", used ? ", " : "", label);
    }
}

/* Sign and decrypt with the token, check each with the certificate's public key. */
static int self_test(p11_key *k, wcg_pub *pub, const p11_defaults *d, const char *what,
                     const char *cert_name)
{
    uint8_t digest[32], sig[RESULT_MAX];
    size_t sig_len = 0;
    static const uint16_t rsa_schemes[] = {TLSFLOW_SIG_RSA_PKCS1_SHA256,
                                           TLSFLOW_SIG_RSA_PSS_RSAE_SHA256};
    static const uint16_t ec_schemes[] = {TLSFLOW_SIG_ECDSA_SECP256R1_SHA256};
    const uint16_t *schemes = k->is_ec ? ec_schemes : rsa_schemes;
    size_t n = k->is_ec ? 1 : 2;
    if (wcg_random(digest, sizeof(digest)) != 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        char kind;
        wcg_hash h = wcg_scheme_hash(schemes[i], &kind);
        const char *mech = kind == 's'   ? "CKM_RSA_PKCS_PSS"
                           : kind == 'e' ? "CKM_ECDSA"
                                         : "CKM_RSA_PKCS";
        if (p11_sign(k, schemes[i], digest, sizeof(digest), sig, sizeof(sig), &sig_len) != 0) {
            errorf("%s: the token cannot sign with it (%s): %s", what, mech, RVT(tl.last));
            return -1;
        }
        if (!wcg_pub_verify(pub, kind, h, digest, sizeof(digest), sig, sig_len)) {
            errorf("%s is not the private key of --cert '%s': its test signature (%s) does not "
                   "verify with the certificate's public key",
                   what, cert_name, mech);
            return -1;
        }
    }
    if (k->is_ec || !d->need_decrypt)
        return 0;
    uint8_t secret[48], enc[RESULT_MAX], dec[RESULT_MAX];
    size_t enc_len = 0, dec_len = 0;
    if (wcg_random(secret, sizeof(secret)) != 0 ||
        wcg_pub_encrypt(pub, secret, sizeof(secret), enc, sizeof(enc), &enc_len) != 0)
        return -1;
    if (p11_decrypt(k, enc, enc_len, dec, sizeof(dec), &dec_len) != 0 ||
        dec_len != sizeof(secret) || memcmp(dec, secret, sizeof(secret)) != 0) {
        errorf("%s: the token cannot decrypt with it (CKM_RSA_PKCS: %s); RSA key transport "
               "needs that (CKA_DECRYPT), or serve ECDHE only: --suites ecdhe",
               what, RVT(tl.last));
        return -1;
    }
    memset(dec, 0, sizeof(dec));
    return 0;
}

int p11_key_load(const p11_defaults *d, const char *ref, const char *cert_name,
                 const uint8_t *chain, size_t chain_len, p11_key **key, p11_key_info *info)
{
    p11_uri u;
    char why[256], what[P11_LABEL_MAX + 64];
    if (p11_uri_parse(ref, &u, why, sizeof(why)) != 0) {
        errorf("--pkcs11-key '%s': %s", ref, why);
        return -1;
    }
    /* A module an earlier key's URI loaded serves the keys that name none. */
    const char *module = u.module[0] ? u.module : d->module ? d->module : mod.f ? mod.module : NULL;
    if (!module) {
        errorf("--pkcs11-key '%s': which PKCS#11 module? --pkcs11-module PATH (SoftHSM2: "
               "/usr/lib/softhsm/libsofthsm2.so) or module-path in a pkcs11: URI",
               ref);
        return -1;
    }
    if (mod.n_keys == P11_MAX_KEYS) {
        errorf("at most %d PKCS#11 keys", P11_MAX_KEYS);
        return -1;
    }
    if (load_module(module) != 0 || open_token(&u, d) != 0)
        return -1;

    p11_key *k = &mod.keys[mod.n_keys];
    memset(k, 0, sizeof(*k));
    k->index = (unsigned)mod.n_keys;
    snprintf(k->label, sizeof(k->label), "%s", u.object);
    memcpy(k->id, u.id, u.id_len);
    k->id_len = u.id_len;
    k->has_id = u.has_id;
    snprintf(what, sizeof(what), "PKCS#11 key '%s' on token '%s'", u.object[0] ? u.object : ref,
             mod.token);

    CK_OBJECT_HANDLE objs[2];
    CK_ULONG n = 0;
    CK_RV rv = find_keys(mod.login, k, objs, 2, &n);
    if (rv != CKR_OK) {
        errorf("%s: cannot search the token: %s", what, RVT(rv));
        return -1;
    }
    if (n != 1) {
        char labels[512];
        list_labels(labels, sizeof(labels));
        if (n == 0)
            errorf("no private key labelled '%s'%s on PKCS#11 token '%s' (private keys there: %s)",
                   k->label, k->has_id ? " with that id" : "", mod.token,
                   labels[0] ? labels : "none visible; is the PIN the user PIN?");
        else
            errorf("%s: more than one private key matches; name one with a pkcs11: URI that "
                   "gives its id too",
                   what);
        return -1;
    }
    CK_KEY_TYPE type = 0;
    CK_ATTRIBUTE a = {CKA_KEY_TYPE, &type, sizeof(type)};
    rv = mod.f->C_GetAttributeValue(mod.login, objs[0], &a, 1);
    if (rv != CKR_OK || (type != CKK_RSA && type != CKK_EC)) {
        errorf("%s: not an RSA or EC key (%s)", what, rv != CKR_OK ? RVT(rv) : "key type");
        return -1;
    }
    k->is_ec = type == CKK_EC;

    wcg_pub *pub = NULL;
    int cert_ec = 0, bits = 0;
    char kind[16];
    if (wcg_pub_load(chain, chain_len, &pub, &cert_ec, &bits, kind) != 0) {
        errorf("--cert file '%s' holds no RSA or EC certificate that can be read (PEM or DER)",
               cert_name);
        return -1;
    }
    if (cert_ec != k->is_ec) {
        errorf("%s is an %s key but --cert '%s' is for an %s key", what, k->is_ec ? "EC" : "RSA",
               cert_name, cert_ec ? "EC" : "RSA");
        wcg_pub_free(pub);
        return -1;
    }
    int rc = self_test(k, pub, d, what, cert_name);
    wcg_pub_free(pub);
    if (rc != 0)
        return -1;
    mod.n_keys++;
    *key = k;
    info->is_ec = k->is_ec;
    info->bits = bits;
    memcpy(info->kind, kind, sizeof(info->kind));
    snprintf(info->where, sizeof(info->where), "PKCS#11 token '%s', key '%s'", mod.token,
             k->label[0] ? k->label : "(by id)");
    return 0;
}

void p11_shutdown(void)
{
    if (!mod.f)
        return;
    if (mod.opened)
        mod.f->C_CloseAllSessions(mod.slot); /* the login ends with the last session */
    if (mod.initialized)
        mod.f->C_Finalize(NULL);
    mod.f = NULL;
    mod.opened = 0;
    mod.n_keys = 0;
    mod.generation++;
    /* The module stays mapped: a sanitizer's leak report can still name its frames. */
}
