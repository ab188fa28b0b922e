/*
 * marvin_timing: does the time a tlsflow server takes over an RSA ClientKeyExchange
 * depend on what the ciphertext decrypts to? (Bleichenbacher / ROBOT / Marvin class.)
 *
 * Public API only (tlsflow.h); OpenSSL's libcrypto builds the ciphertexts and checks
 * them. For every sample a fresh server connection (fixture RSA-2048 credential,
 * TLS_RSA_WITH_AES_128_GCM_SHA256 only, deterministic random source and time) is taken,
 * untimed, to the point where it expects ClientKeyExchange: we hand it a ClientHello
 * written here and drain its flight. Then ClientKeyExchange + ChangeCipherSpec + a
 * Finished record that cannot authenticate go into its input in one piece, and the time
 * from tlsflow_in_ack() until the connection has its error set (its alert queued) is
 * measured with clock_gettime(CLOCK_MONOTONIC). Only that part is timed.
 *
 * Each round runs one sample of every class, in a fresh random order (interleaved), so
 * samples pair by row. The CSV has one column per class and one row per round, in
 * seconds, the layout tlsfuzzer's analysis.py (the Marvin toolkit) reads as timing.csv.
 *
 * Before timing, every ciphertext is checked with OpenSSL (raw decryption gives back the
 * block we built; PKCS#1 v1.5 decryption accepts exactly the well-formed ones with the
 * length we meant) and one ciphertext of each class goes through a connection with a
 * key-log callback: the master secret must be the one our premaster gives for the
 * valid classes and must differ from it for every other class. Every sample of every
 * class must end in the same error and alert; otherwise the program fails.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "tlsflow/tlsflow.h"

#ifndef TLSFLOW_FIXTURES
#define TLSFLOW_FIXTURES "tests/fixtures"
#endif

#define TIME_NOW   1800000000 /* 2027-01-15, inside the fixtures' validity */
#define MAX_MOD    512        /* bytes; the fixture is RSA-2048 (256) */
#define MAX_POLLS  64
#define FIN_RECORD (8 + 16 + 16) /* explicit nonce, Finished (4 + 12), GCM tag */

/* ---- a deterministic random source (splitmix64): test data, not security ---------- */

typedef struct {
    uint64_t s;
} rng64;

static uint64_t rng_next(rng64 *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void rng_bytes(rng64 *r, uint8_t *out, size_t len)
{
    for (size_t i = 0; i < len; i++)
        out[i] = (uint8_t)rng_next(r);
}

static void rng_nonzero(rng64 *r, uint8_t *out, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint8_t b;
        do {
            b = (uint8_t)rng_next(r);
        } while (b == 0);
        out[i] = b;
    }
}

static uint32_t rng_below(rng64 *r, uint32_t n)
{
    return (uint32_t)(rng_next(r) % n);
}

/* The engine's random source: the server random and the RFC 5246 §7.4.7.1 premaster. */
static int engine_random(void *ctx, uint8_t *out, size_t len)
{
    rng_bytes(ctx, out, len);
    return 0;
}

static int64_t engine_time(void *ctx)
{
    (void)ctx;
    return TIME_NOW;
}

/* ---- the classes ------------------------------------------------------------------ */

/* The PKCS#1 v1.5 type 2 block (RFC 8017 §7.2.2): 00 02 PS(>= 8 nonzero) 00 M; for TLS,
 * M is the 48-byte premaster whose first two bytes are the ClientHello version. */
typedef enum {
    K_VALID,           /* 00 02 PS 00 | 03 03 R46 */
    K_WRONG_VERSION,   /* 00 02 PS 00 | 03 01 R46 */
    K_FIRST_BYTE,      /* 01 02 PS 00 | 03 03 R46 */
    K_BLOCK_TYPE_1,    /* 00 01 PS 00 | 03 03 R46 */
    K_BLOCK_TYPE_0,    /* 00 00 PS 00 | 03 03 R46 */
    K_NO_SEPARATOR,    /* 00 02 and no zero byte after it */
    K_PS_SHORT,        /* 00 02 PS(4) 00 ..., padding under 8 bytes */
    K_SHORT_47,        /* separator one byte late: a 47-byte premaster */
    K_LONG_49,         /* separator one byte early: a 49-byte premaster */
    K_CT_LEADING_ZERO, /* a valid block whose ciphertext starts with 0x00 */
} kind;

typedef struct {
    const char *name;
    kind k;
    int pkcs1_len; /* what OpenSSL's PKCS#1 v1.5 decryption gives (-1: rejects) */
    int accepted;  /* the engine must take the last 48 bytes as the premaster */
} class_def;

static const class_def classes[] = {
    {"valid_48", K_VALID, 48, 1},
    {"valid_48_b", K_VALID, 48, 1}, /* the same construction again: an A/A control */
    {"wrong_version_48", K_WRONG_VERSION, 48, 0},
    {"first_byte_01", K_FIRST_BYTE, -1, 0},
    {"block_type_01", K_BLOCK_TYPE_1, -1, 0},
    {"block_type_00", K_BLOCK_TYPE_0, -1, 0},
    {"no_separator", K_NO_SEPARATOR, -1, 0},
    {"padding_4_bytes", K_PS_SHORT, -1, 0},
    {"short_47", K_SHORT_47, 47, 0},
    {"long_49", K_LONG_49, 49, 0},
    {"ct_leading_zero", K_CT_LEADING_ZERO, 48, 1},
};
#define N_CLASSES (sizeof(classes) / sizeof(classes[0]))

/* Fill blk[0..k) for kind `kd`. The client version is 0x0303. */
static void make_block(kind kd, rng64 *r, uint8_t *blk, size_t k)
{
    size_t msg = 48;
    uint8_t v0 = 3, v1 = 3;
    switch (kd) {
    case K_SHORT_47:
        msg = 47;
        break;
    case K_LONG_49:
        msg = 49;
        break;
    case K_WRONG_VERSION:
        v1 = 1;
        break;
    default:
        break;
    }
    blk[0] = 0x00;
    blk[1] = 0x02;
    if (kd == K_NO_SEPARATOR) {
        rng_nonzero(r, blk + 2, k - 2);
        return;
    }
    if (kd == K_PS_SHORT) {
        rng_nonzero(r, blk + 2, k - 2);
        blk[2 + 4] = 0x00; /* PS of 4 bytes; RFC 8017 requires at least 8 */
        blk[k - 48] = v0;
        blk[k - 47] = v1;
        return;
    }
    size_t ps = k - 3 - msg;
    rng_nonzero(r, blk + 2, ps);
    blk[2 + ps] = 0x00;
    rng_bytes(r, blk + 3 + ps, msg);
    blk[3 + ps] = v0;
    blk[4 + ps] = v1;
    if (kd == K_FIRST_BYTE)
        blk[0] = 0x01;
    else if (kd == K_BLOCK_TYPE_1)
        blk[1] = 0x01;
    else if (kd == K_BLOCK_TYPE_0)
        blk[1] = 0x00;
}

/* ---- OpenSSL: raw encryption and the independent checks ---------------------------- */

static void die_ossl(const char *what)
{
    fprintf(stderr, "marvin_timing: %s failed\n", what);
    ERR_print_errors_fp(stderr);
    exit(1);
}

static int rsa_raw(EVP_PKEY *key, int decrypt, int padding, const uint8_t *in, size_t in_len,
                   uint8_t *out, size_t *out_len)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
    int ok = ctx != NULL;
    ok = ok && (decrypt ? EVP_PKEY_decrypt_init(ctx) : EVP_PKEY_encrypt_init(ctx)) == 1;
    ok = ok && EVP_PKEY_CTX_set_rsa_padding(ctx, padding) == 1;
    ok = ok && (decrypt ? EVP_PKEY_decrypt(ctx, out, out_len, in, in_len)
                        : EVP_PKEY_encrypt(ctx, out, out_len, in, in_len)) == 1;
    EVP_PKEY_CTX_free(ctx);
    ERR_clear_error();
    return ok ? 0 : -1;
}

static void tls12_prf(const uint8_t *secret, size_t secret_len, const char *label,
                      const uint8_t *seed, size_t seed_len, uint8_t *out, size_t out_len)
{
    uint8_t s[128];
    size_t label_len = strlen(label);
    if (label_len + seed_len > sizeof(s))
        die_ossl("PRF seed size");
    memcpy(s, label, label_len);
    memcpy(s + label_len, seed, seed_len);
    EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
    EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)secret, secret_len),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, s, label_len + seed_len),
        OSSL_PARAM_construct_end()};
    if (!kctx || EVP_KDF_derive(kctx, out, out_len, params) != 1)
        die_ossl("TLS1-PRF");
    EVP_KDF_CTX_free(kctx);
    EVP_KDF_free(kdf);
}

/* ---- files ------------------------------------------------------------------------- */

static uint8_t *read_file(const char *dir, const char *name, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "marvin_timing: cannot open %s: %s\n", path, strerror(errno));
        exit(1);
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
        exit(1);
    fclose(f);
    buf[n] = 0;
    *len = (size_t)n;
    return buf;
}

/* ---- wire bytes ---------------------------------------------------------------------- */

typedef struct {
    uint8_t p[16384];
    size_t len;
} bytes;

static void put(bytes *b, const void *p, size_t n)
{
    if (b->len + n > sizeof(b->p)) {
        fprintf(stderr, "marvin_timing: buffer overflow\n");
        exit(1);
    }
    memcpy(b->p + b->len, p, n);
    b->len += n;
}

static void put8(bytes *b, unsigned v)
{
    uint8_t x = (uint8_t)v;
    put(b, &x, 1);
}

static void put16(bytes *b, unsigned v)
{
    put8(b, v >> 8);
    put8(b, v);
}

static void put24(bytes *b, size_t v)
{
    put8(b, (unsigned)(v >> 16));
    put16(b, (unsigned)v);
}

/* A ClientHello handshake message (RFC 5246 §7.4.1.2): TLS 1.2, our one suite, null
 * compression, extended_master_secret, renegotiation_info, signature_algorithms. */
static void client_hello_msg(bytes *m, const uint8_t random[32])
{
    bytes body = {.len = 0};
    put16(&body, 0x0303);
    put(&body, random, 32);
    put8(&body, 0);  /* session id */
    put16(&body, 2); /* cipher suites */
    put16(&body, TLSFLOW_RSA_WITH_AES_128_GCM_SHA256);
    put8(&body, 1); /* compression methods */
    put8(&body, 0);
    static const uint8_t ext[] = {
        0x00, 0x17, 0x00, 0x00,                         /* extended_master_secret */
        0xff, 0x01, 0x00, 0x01, 0x00,                   /* renegotiation_info, empty */
        0x00, 0x0d, 0x00, 0x06, 0x00, 0x04, 0x08, 0x04, /* signature_algorithms: */
        0x04, 0x01,                                     /* rsa_pss_rsae/pkcs1 sha256 */
    };
    put16(&body, sizeof(ext));
    put(&body, ext, sizeof(ext));
    m->len = 0;
    put8(m, 1);
    put24(m, body.len);
    put(m, body.p, body.len);
}

static void record(bytes *out, uint8_t type, uint16_t version, const uint8_t *p, size_t n)
{
    put8(out, type);
    put16(out, version);
    put16(out, (unsigned)n);
    put(out, p, n);
}

/* ClientKeyExchange (RFC 5246 §7.4.7.1: a u16-length-prefixed EncryptedPreMasterSecret). */
static void cke_msg(bytes *m, const uint8_t *ct, size_t ct_len)
{
    m->len = 0;
    put8(m, 16);
    put24(m, 2 + ct_len);
    put16(m, (unsigned)ct_len);
    put(m, ct, ct_len);
}

/* ---- one connection -------------------------------------------------------------------- */

typedef struct {
    char master_hex[2 * 48 + 1];
    int seen;
} keylog_box;

static void on_keylog(void *ctx, const char *line)
{
    keylog_box *k = ctx;
    const char *sp = strrchr(line, ' ');
    if (sp && strlen(sp + 1) == 2 * 48) {
        memcpy(k->master_hex, sp + 1, 2 * 48 + 1);
        k->seen = 1;
    }
}

typedef struct {
    int err, alert;
    uint64_t ns, cpu_ns; /* CLOCK_MONOTONIC, and this thread's CPU time inside it */
    bytes transcript;    /* handshake messages through ClientKeyExchange (checks only) */
} sample_result;

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ns(void)
{
    return clock_ns(CLOCK_MONOTONIC);
}

static void feed(tlsflow_conn *c, const uint8_t *p, size_t n)
{
    size_t room;
    uint8_t *dst = tlsflow_in_buf(c, &room);
    if (room < n) {
        fprintf(stderr, "marvin_timing: input room %zu < %zu\n", room, n);
        exit(1);
    }
    memcpy(dst, p, n);
    tlsflow_in_ack(c, n);
}

/* Handshake payloads out of whole records (the server's flight is unencrypted). */
static void take_handshake(bytes *tr, const uint8_t *p, size_t n)
{
    while (n >= 5) {
        size_t len = (size_t)p[3] << 8 | p[4];
        if (5 + len > n)
            break;
        if (p[0] == 22)
            put(tr, p + 5, len);
        p += 5 + len;
        n -= 5 + len;
    }
}

/* One sample: a fresh connection brought to the ClientKeyExchange point untimed, then
 * the timed key exchange. `rng` is the configuration's random source context. */
static void run_sample(tlsflow_config *cfg, rng64 *rng, uint64_t seed, const uint8_t *ct,
                       size_t ct_len, int want_transcript, sample_result *res)
{
    rng64 local = {seed ^ 0x5bd1e995ull};
    uint8_t client_random[32], fin[FIN_RECORD];
    rng_bytes(&local, client_random, sizeof(client_random));
    rng_bytes(&local, fin, sizeof(fin));
    rng->s = seed;

    bytes ch, in = {.len = 0}, cke;
    client_hello_msg(&ch, client_random);
    record(&in, 22, 0x0301, ch.p, ch.len);
    cke_msg(&cke, ct, ct_len);
    if (want_transcript) {
        res->transcript.len = 0;
        put(&res->transcript, ch.p, ch.len);
    }

    tlsflow_conn *c = tlsflow_conn_new(cfg);
    if (!c) {
        fprintf(stderr, "marvin_timing: tlsflow_conn_new failed\n");
        exit(1);
    }
    feed(c, in.p, in.len);
    tlsflow_event ev = 0;
    for (int i = 0; i < MAX_POLLS; i++) {
        ev = tlsflow_poll(c);
        if (ev != TLSFLOW_OUTPUT_READY)
            break;
        size_t n;
        const uint8_t *out = tlsflow_out_buf(c, &n);
        if (want_transcript)
            take_handshake(&res->transcript, out, n);
        tlsflow_out_ack(c, n);
    }
    if (ev != TLSFLOW_NEED_INPUT || tlsflow_last_error(c)) {
        fprintf(stderr, "marvin_timing: server did not wait for ClientKeyExchange: %s\n",
                tlsflow_last_error_text(c));
        exit(1);
    }
    if (want_transcript)
        put(&res->transcript, cke.p, cke.len);

    /* ClientKeyExchange, ChangeCipherSpec, and a Finished record of random bytes: its
     * AEAD tag cannot verify under any key, so every class fails at the same record. */
    in.len = 0;
    record(&in, 22, 0x0303, cke.p, cke.len);
    static const uint8_t ccs[1] = {1};
    record(&in, 20, 0x0303, ccs, 1);
    record(&in, 22, 0x0303, fin, sizeof(fin));
    size_t room;
    uint8_t *dst = tlsflow_in_buf(c, &room);
    if (room < in.len) {
        fprintf(stderr, "marvin_timing: input room %zu < %zu\n", room, in.len);
        exit(1);
    }
    memcpy(dst, in.p, in.len);

    /* The wall clock is the measure; the thread's CPU time, read inside it, leaves out the
     * time other processes had the core (the machine is shared). */
    uint64_t t0 = now_ns(), c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
    tlsflow_in_ack(c, in.len);
    for (int i = 0; i < MAX_POLLS && !tlsflow_last_error(c); i++) {
        ev = tlsflow_poll(c);
        if (ev == TLSFLOW_NEED_INPUT || ev == TLSFLOW_CLOSED)
            break;
    }
    uint64_t c1 = clock_ns(CLOCK_THREAD_CPUTIME_ID), t1 = now_ns();

    res->ns = t1 - t0;
    res->cpu_ns = c1 - c0;
    res->err = tlsflow_last_error(c);
    res->alert = tlsflow_sent_alert(c);
    tlsflow_conn_free(c);
}

/* ---- the CSV: a header of class names, then one row per round, in seconds ----------- */

static FILE *csv_open(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "marvin_timing: cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
    for (size_t c = 0; c < N_CLASSES; c++)
        fprintf(f, "%s%s", c ? "," : "", classes[c].name);
    fputc('\n', f);
    return f;
}

static void csv_row(FILE *f, const uint64_t *ns)
{
    for (size_t c = 0; c < N_CLASSES; c++)
        fprintf(f, "%s%" PRIu64 ".%09" PRIu64, c ? "," : "", ns[c] / 1000000000u,
                ns[c] % 1000000000u);
    fputc('\n', f);
}

/* ---- main ------------------------------------------------------------------------------ */

static void usage(void)
{
    fprintf(stderr,
            "usage: marvin_timing [--samples N] [--out FILE] [--cpu-out FILE] [--pool K]\n"
            "                     [--warmup W] [--seed S] [--cpu N] [--fixtures DIR] [--list]\n"
            "  N rounds (one sample of every class each, random order; default 1000),\n"
            "  K ciphertexts per class (default 64), W untimed warm-up rounds (default 50).\n"
            "  Writes the CSV (a column per class, seconds) to FILE (default timing.csv),\n"
            "  and with --cpu-out the thread CPU time of the same samples in the same form.\n"
            "  --cpu N pins the process to CPU N.\n");
    exit(2);
}

static unsigned long parse_num(const char *s)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 0);
    if (errno || *end || end == s)
        usage();
    return v;
}

int main(int argc, char **argv)
{
    unsigned long samples = 1000, pool = 64, warmup = 50, seed = 1;
    long cpu = -1;
    const char *out_path = "timing.csv", *cpu_path = NULL, *fixtures = TLSFLOW_FIXTURES;
    for (int i = 1; i < argc; i += 2) { /* every option takes a value */
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--list")) {
            for (size_t k = 0; k < N_CLASSES; k++)
                printf("%s\n", classes[k].name);
            return 0;
        }
        if (!v)
            usage();
        if (!strcmp(a, "--samples"))
            samples = parse_num(v);
        else if (!strcmp(a, "--pool"))
            pool = parse_num(v);
        else if (!strcmp(a, "--warmup"))
            warmup = parse_num(v);
        else if (!strcmp(a, "--seed"))
            seed = parse_num(v);
        else if (!strcmp(a, "--cpu"))
            cpu = (long)parse_num(v);
        else if (!strcmp(a, "--out"))
            out_path = v;
        else if (!strcmp(a, "--cpu-out"))
            cpu_path = v;
        else if (!strcmp(a, "--fixtures"))
            fixtures = v;
        else
            usage();
    }
    if (samples == 0 || pool == 0 || pool > 100000)
        usage();
    if (cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET((int)cpu, &set);
        if (sched_setaffinity(0, sizeof(set), &set) != 0)
            perror("marvin_timing: sched_setaffinity");
    }

    /* The fixture credential, for the engine and for OpenSSL. */
    size_t chain_len, key_len;
    uint8_t *chain = read_file(fixtures, "server.pem", &chain_len);
    uint8_t *key = read_file(fixtures, "server.key", &key_len);
    BIO *bio = BIO_new_mem_buf(chain, (int)chain_len);
    X509 *leaf = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    bio = BIO_new_mem_buf(key, (int)key_len);
    EVP_PKEY *priv = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
    BIO_free(bio);
    EVP_PKEY *pub = leaf ? X509_get0_pubkey(leaf) : NULL;
    if (!pub || !priv || EVP_PKEY_get_base_id(pub) != EVP_PKEY_RSA)
        die_ossl("loading the fixture RSA credential");
    size_t k = (size_t)EVP_PKEY_get_size(pub);
    if (k > MAX_MOD || EVP_PKEY_get_bits(pub) != 2048) {
        fprintf(stderr, "marvin_timing: the fixture key is not RSA-2048\n");
        return 1;
    }

    /* The ciphertext pools: K per class, each checked with OpenSSL. */
    rng64 gen = {seed * 0x2545F4914F6CDD1Dull + 7};
    uint8_t *cts = malloc(N_CLASSES * pool * k);
    if (!cts)
        return 1;
    unsigned long leading_zero_tries = 0;
    for (size_t c = 0; c < N_CLASSES; c++) {
        for (size_t j = 0; j < pool; j++) {
            uint8_t blk[MAX_MOD], back[MAX_MOD], *ct = cts + (c * pool + j) * k;
            for (;;) {
                size_t n = k;
                make_block(classes[c].k, &gen, blk, k);
                if (rsa_raw(pub, 0, RSA_NO_PADDING, blk, k, ct, &n) || n != k)
                    die_ossl("raw RSA encryption");
                if (classes[c].k == K_CT_LEADING_ZERO)
                    leading_zero_tries++;
                /* Only the leading-zero class may have a ciphertext starting with 00. */
                if ((ct[0] == 0) == (classes[c].k == K_CT_LEADING_ZERO))
                    break;
                if (leading_zero_tries > 10000000ul) {
                    fprintf(stderr, "marvin_timing: no ciphertext with a leading zero\n");
                    return 1;
                }
            }
            size_t n = k;
            if (rsa_raw(priv, 1, RSA_NO_PADDING, ct, k, back, &n) || n != k ||
                memcmp(back, blk, k) != 0) {
                fprintf(stderr, "marvin_timing: %s: raw decryption does not give the block\n",
                        classes[c].name);
                return 1;
            }
            n = k;
            int got = rsa_raw(priv, 1, RSA_PKCS1_PADDING, ct, k, back, &n) ? -1 : (int)n;
            int right = got == classes[c].pkcs1_len;
            if (right && got == 48)
                right = (back[0] == 3 && back[1] == 3) == (classes[c].k != K_WRONG_VERSION);
            if (!right) {
                fprintf(stderr, "marvin_timing: %s: OpenSSL PKCS#1 v1.5 gives %d bytes, want %d\n",
                        classes[c].name, got, classes[c].pkcs1_len);
                return 1;
            }
        }
    }
    printf("ciphertexts: %zu classes x %lu, checked with OpenSSL (raw and PKCS#1 v1.5); "
           "leading-zero class took %lu encryptions\n",
           N_CLASSES, pool, leading_zero_tries);

    /* The server configurations: one for timing, one with a key log for the checks. */
    rng64 eng = {0};
    tlsflow_config *cfg[2];
    keylog_box kl = {{0}, 0};
    static const uint16_t suite = TLSFLOW_RSA_WITH_AES_128_GCM_SHA256;
    for (int i = 0; i < 2; i++) {
        cfg[i] = tlsflow_config_new(TLSFLOW_SERVER);
        if (!cfg[i] ||
            tlsflow_config_add_credential(cfg[i], chain, chain_len, key, key_len, NULL) ||
            tlsflow_config_set_cipher_suites(cfg[i], &suite, 1)) {
            fprintf(stderr, "marvin_timing: the engine refuses the fixture configuration\n");
            return 1;
        }
        tlsflow_config_set_random(cfg[i], engine_random, &eng);
        tlsflow_config_set_time(cfg[i], engine_time, NULL);
    }
    tlsflow_config_set_keylog(cfg[1], on_keylog, &kl);

    /* The engine's view of one ciphertext per class: what master secret it derived. */
    static sample_result chk;
    int ref_err = 0, ref_alert = 0;
    for (size_t c = 0; c < N_CLASSES; c++) {
        const uint8_t *ct = cts + c * pool * k;
        uint8_t blk[MAX_MOD], hash[32], seedbuf[32], ms[48];
        size_t n = k;
        if (rsa_raw(priv, 1, RSA_NO_PADDING, ct, k, blk, &n) || n != k)
            die_ossl("raw RSA decryption");
        kl.seen = 0;
        run_sample(cfg[1], &eng, 1000 + c, ct, k, 1, &chk);
        if (EVP_Digest(chk.transcript.p, chk.transcript.len, hash, NULL, EVP_sha256(), NULL) != 1)
            die_ossl("SHA-256");
        memcpy(seedbuf, hash, 32);
        tls12_prf(blk + k - 48, 48, "extended master secret", seedbuf, 32, ms, 48);
        char hex[2 * 48 + 1];
        for (size_t i = 0; i < 48; i++)
            snprintf(hex + 2 * i, 3, "%02x", ms[i]);
        int same = kl.seen && !strcmp(hex, kl.master_hex);
        if (!kl.seen || same != classes[c].accepted) {
            fprintf(stderr,
                    "marvin_timing: %s: the engine %s the premaster we encrypted "
                    "(want %s; key log %s)\n",
                    classes[c].name, same ? "used" : "did not use",
                    classes[c].accepted ? "used" : "a random one", kl.seen ? "seen" : "missing");
            return 1;
        }
        if (c == 0) {
            ref_err = chk.err;
            ref_alert = chk.alert;
        }
        printf("check %-17s engine %s our premaster; ends in %s, alert %s\n", classes[c].name,
               same ? "used" : "replaced", tlsflow_error_name(chk.err),
               chk.alert >= 0 ? tlsflow_alert_name(chk.alert) : "none");
    }
    if (ref_err == 0) {
        printf("the key exchange did not fail; nothing to compare\n");
        return 1;
    }

    /* Timing: rounds of one sample per class, in random order. */
    FILE *out = csv_open(out_path), *cpu_out = cpu_path ? csv_open(cpu_path) : NULL;

    rng64 order = {seed * 0x9E3779B97F4A7C15ull + 3};
    unsigned long bad[N_CLASSES] = {0};
    int bad_err[N_CLASSES] = {0}, bad_alert[N_CLASSES] = {0};
    double sum[N_CLASSES] = {0};
    unsigned long total = warmup + samples, step = total / 20 ? total / 20 : 1;
    uint64_t t_start = now_ns();
    for (unsigned long r = 0; r < total; r++) {
        size_t perm[N_CLASSES];
        for (size_t c = 0; c < N_CLASSES; c++)
            perm[c] = c;
        for (size_t c = N_CLASSES - 1; c > 0; c--) {
            size_t j = rng_below(&order, (uint32_t)c + 1), t = perm[c];
            perm[c] = perm[j];
            perm[j] = t;
        }
        uint64_t row[N_CLASSES], cpu_row[N_CLASSES];
        for (size_t i = 0; i < N_CLASSES; i++) {
            size_t c = perm[i];
            const uint8_t *ct = cts + (c * pool + rng_below(&order, (uint32_t)pool)) * k;
            sample_result res;
            run_sample(cfg[0], &eng, (seed << 40) ^ (r * N_CLASSES + c + 1), ct, k, 0, &res);
            row[c] = res.ns;
            cpu_row[c] = res.cpu_ns;
            if (res.err != ref_err || res.alert != ref_alert) {
                bad[c]++;
                bad_err[c] = res.err;
                bad_alert[c] = res.alert;
            }
        }
        if (r >= warmup) {
            csv_row(out, row);
            if (cpu_out)
                csv_row(cpu_out, cpu_row);
            for (size_t c = 0; c < N_CLASSES; c++)
                sum[c] += (double)row[c];
        }
        if ((r + 1) % step == 0)
            fprintf(stderr, "marvin_timing: %lu/%lu rounds, %.0f s\n", r + 1, total,
                    (double)(now_ns() - t_start) / 1e9);
    }
    if (fclose(out) != 0 || (cpu_out && fclose(cpu_out) != 0)) {
        fprintf(stderr, "marvin_timing: writing the CSV failed\n");
        return 1;
    }

    int fail = 0;
    for (size_t c = 0; c < N_CLASSES; c++) {
        printf("%-17s %lu samples, mean %.1f us", classes[c].name, samples,
               sum[c] / (double)samples / 1000.0);
        if (bad[c]) {
            fail = 1;
            printf(", %lu ended differently (e.g. %s, alert %d)", bad[c],
                   tlsflow_error_name(bad_err[c]), bad_alert[c]);
        }
        putchar('\n');
    }
    if (fail) {
        printf("FAIL: not every class ends in the same error\n");
        return 1;
    }
    printf("every sample of every class (%lu x %zu, %lu warm-up rounds) ended in %s, alert %s\n",
           samples, N_CLASSES, warmup, tlsflow_error_name(ref_err),
           ref_alert >= 0 ? tlsflow_alert_name(ref_alert) : "none");
    printf("wrote %s%s%s\n", out_path, cpu_path ? " and " : "", cpu_path ? cpu_path : "");

    tlsflow_config_free(cfg[0]);
    tlsflow_config_free(cfg[1]);
    EVP_PKEY_free(priv);
    X509_free(leaf);
    free(cts);
    free(chain);
    free(key);
    return 0;
}
