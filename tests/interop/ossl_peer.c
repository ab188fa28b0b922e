/* OpenSSL peer for the in-process interop tests: test PKI and the shared pump. */
#include "ossl_peer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

/* Bounds per peer_pump() call, so that a looping engine fails the test instead of
 * hanging it. A 1-byte-at-a-time handshake needs a few thousand polls. */
#define PEER_MAX_POLLS      2000000L
#define PEER_MAX_ITERATIONS 100000

/* ---- PKI ------------------------------------------------------------------------- */

typedef struct {
    const char *cn;
    const char *san; /* NULL: no subjectAltName */
    int is_ca;
    int64_t not_before, not_after;
    EVP_PKEY *key;
    X509 *issuer; /* NULL: self-signed with key */
    EVP_PKEY *issuer_key;
} cert_spec;

static long next_serial = 1;

static int add_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, ctx, nid, value);
    if (ext == NULL)
        return -1;
    int ok = X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

static X509 *make_cert(const cert_spec *s)
{
    X509 *x = X509_new();
    X509_NAME *name = X509_NAME_new();
    int ok = x != NULL && name != NULL;

    ok = ok && X509_set_version(x, 2); /* v3, needed for extensions */
    ok = ok && ASN1_INTEGER_set(X509_get_serialNumber(x), next_serial++);
    ok = ok && X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                          (const unsigned char *)"tlsflow tests", -1, -1, 0);
    ok = ok && X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)s->cn,
                                          -1, -1, 0);
    ok = ok && X509_set_subject_name(x, name);
    ok = ok && X509_set_issuer_name(x, s->issuer ? X509_get_subject_name(s->issuer) : name);
    ok = ok && ASN1_TIME_set(X509_getm_notBefore(x), (time_t)s->not_before) != NULL;
    ok = ok && ASN1_TIME_set(X509_getm_notAfter(x), (time_t)s->not_after) != NULL;
    ok = ok && X509_set_pubkey(x, s->key);
    if (ok) {
        X509V3_CTX ctx;
        X509V3_set_ctx(&ctx, s->issuer ? s->issuer : x, x, NULL, NULL, 0);
        ok = add_ext(x, &ctx, NID_basic_constraints,
                     s->is_ca ? "critical,CA:TRUE" : "critical,CA:FALSE") == 0;
        ok = ok && add_ext(x, &ctx, NID_key_usage,
                           s->is_ca ? "critical,keyCertSign,cRLSign"
                                    : "critical,digitalSignature,keyEncipherment") == 0;
        if (!s->is_ca)
            ok = ok && add_ext(x, &ctx, NID_ext_key_usage, "serverAuth,clientAuth") == 0;
        ok = ok && add_ext(x, &ctx, NID_subject_key_identifier, "hash") == 0;
        ok = ok && add_ext(x, &ctx, NID_authority_key_identifier, "keyid:always") == 0;
        if (s->san != NULL)
            ok = ok && add_ext(x, &ctx, NID_subject_alt_name, s->san) == 0;
    }
    ok = ok && X509_sign(x, s->issuer_key ? s->issuer_key : s->key, EVP_sha256()) > 0;
    X509_NAME_free(name);
    if (!ok) {
        X509_free(x);
        return NULL;
    }
    return x;
}

static char *bio_to_string(BIO *bio, size_t *len)
{
    char *data = NULL;
    long n = BIO_get_mem_data(bio, &data);
    if (n <= 0)
        return NULL;
    char *copy = malloc((size_t)n + 1);
    if (copy == NULL)
        return NULL;
    memcpy(copy, data, (size_t)n);
    copy[n] = '\0';
    *len = (size_t)n;
    return copy;
}

static int cert_finish(peer_cert *c, X509 *x)
{
    c->x509 = x;
    if (x == NULL)
        return -1;
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL || !PEM_write_bio_X509(bio, x)) {
        BIO_free(bio);
        return -1;
    }
    c->pem = bio_to_string(bio, &c->pem_len);
    BIO_free(bio);
    return c->pem ? 0 : -1;
}

static int issue(peer_cert *c, const cert_spec *s)
{
    return cert_finish(c, make_cert(s));
}

/* The same certificate with one byte of its signature flipped: still parses, no longer
 * verifies. The signature BIT STRING is the last element of the DER. */
static X509 *corrupt_signature(X509 *good)
{
    int len = i2d_X509(good, NULL);
    if (len <= 32)
        return NULL;
    unsigned char *der = malloc((size_t)len);
    if (der == NULL)
        return NULL;
    unsigned char *w = der;
    i2d_X509(good, &w);
    der[len - 16] ^= 0x01;
    const unsigned char *r = der;
    X509 *bad = d2i_X509(NULL, &r, len);
    free(der);
    return bad;
}

int peer_pki_build(peer_pki *pki)
{
    memset(pki, 0, sizeof(*pki));
    pki->root_key = EVP_RSA_gen(2048);
    pki->inter_key = EVP_RSA_gen(2048);
    pki->leaf_key = EVP_RSA_gen(2048);
    pki->other_key = EVP_RSA_gen(2048);
    if (!pki->root_key || !pki->inter_key || !pki->leaf_key || !pki->other_key)
        return -1;

    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL || !PEM_write_bio_PrivateKey(bio, pki->leaf_key, NULL, NULL, 0, NULL, NULL)) {
        BIO_free(bio);
        return -1;
    }
    pki->leaf_key_pem = bio_to_string(bio, &pki->leaf_key_pem_len);
    BIO_free(bio);
    if (pki->leaf_key_pem == NULL)
        return -1;

    const char *san = "DNS:localhost,IP:127.0.0.1";
    cert_spec root = {"tlsflow test root", NULL,          1,    PEER_T_2020,
                      PEER_T_2040,         pki->root_key, NULL, NULL};
    cert_spec other = {"tlsflow other root", NULL,           1,    PEER_T_2020,
                       PEER_T_2040,          pki->other_key, NULL, NULL};
    if (issue(&pki->root, &root) || issue(&pki->other_root, &other))
        return -1;
    cert_spec inter = {"tlsflow test intermediate",
                       NULL,
                       1,
                       PEER_T_2020,
                       PEER_T_2040,
                       pki->inter_key,
                       pki->root.x509,
                       pki->root_key};
    if (issue(&pki->inter, &inter))
        return -1;

    cert_spec leaf = {"localhost",    san,          0, PEER_T_2025, PEER_T_2028, pki->leaf_key,
                      pki->root.x509, pki->root_key};
    if (issue(&pki->leaf, &leaf))
        return -1;
    cert_spec c = leaf;
    c.issuer = pki->inter.x509;
    c.issuer_key = pki->inter_key;
    if (issue(&pki->inter_leaf, &c))
        return -1;
    c = leaf;
    c.not_before = PEER_T_2020;
    c.not_after = PEER_T_2026;
    if (issue(&pki->expired, &c))
        return -1;
    c = leaf;
    c.not_before = PEER_T_2027;
    c.not_after = PEER_T_2028;
    if (issue(&pki->not_yet_valid, &c))
        return -1;
    c = leaf;
    c.cn = "other.example";
    c.san = "DNS:other.example";
    if (issue(&pki->other_host, &c))
        return -1;
    c = leaf;
    c.issuer = NULL;
    c.issuer_key = NULL;
    if (issue(&pki->self_signed, &c))
        return -1;
    return cert_finish(&pki->bad_sig, corrupt_signature(pki->leaf.x509));
}

static void cert_free(peer_cert *c)
{
    X509_free(c->x509);
    free(c->pem);
    memset(c, 0, sizeof(*c));
}

void peer_pki_free(peer_pki *pki)
{
    peer_cert *all[] = {&pki->root,        &pki->inter,   &pki->leaf,          &pki->inter_leaf,
                        &pki->other_root,  &pki->expired, &pki->not_yet_valid, &pki->other_host,
                        &pki->self_signed, &pki->bad_sig};
    for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
        cert_free(all[i]);
    EVP_PKEY_free(pki->root_key);
    EVP_PKEY_free(pki->inter_key);
    EVP_PKEY_free(pki->leaf_key);
    EVP_PKEY_free(pki->other_key);
    free(pki->leaf_key_pem);
    memset(pki, 0, sizeof(*pki));
}

char *peer_pem_chain(const peer_cert *const *certs, size_t n, size_t *len)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += certs[i]->pem_len;
    char *out = malloc(total + 1);
    if (out == NULL)
        return NULL;
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(out + off, certs[i]->pem, certs[i]->pem_len);
        off += certs[i]->pem_len;
    }
    out[off] = '\0';
    *len = off;
    return out;
}

/* ---- OpenSSL contexts -------------------------------------------------------------- */

static peer_link *link_of(const SSL *ssl)
{
    return SSL_get_app_data(ssl);
}

static void keylog_cb(const SSL *ssl, const char *line)
{
    peer_link *l = link_of(ssl);
    /* As an RSA key transport client OpenSSL also logs an "RSA <enc> <premaster>" line;
     * only the CLIENT_RANDOM line has a counterpart in the engine. */
    if (l == NULL || strncmp(line, "CLIENT_RANDOM ", 14) != 0)
        return;
    snprintf(l->keylog, sizeof(l->keylog), "%s", line);
    l->keylog_lines++;
}

static int servername_cb(SSL *ssl, int *alert, void *arg)
{
    (void)alert;
    (void)arg;
    peer_link *l = link_of(ssl);
    if (l != NULL) {
        const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
        snprintf(l->servername, sizeof(l->servername), "%s", name ? name : "");
        l->servername_calls++;
    }
    return SSL_TLSEXT_ERR_OK;
}

static void info_cb(const SSL *ssl, int where, int ret)
{
    peer_link *l = link_of(ssl);
    if (l == NULL || !(where & SSL_CB_ALERT) || l->n_alerts >= PEER_MAX_ALERTS)
        return;
    peer_alert *a = &l->alerts[l->n_alerts++];
    a->received = (where & SSL_CB_READ) != 0;
    a->level = (ret >> 8) & 0xff;
    a->desc = ret & 0xff;
}

static SSL_CTX *tls12_ctx(const SSL_METHOD *method, const char *ciphers)
{
    SSL_CTX *ctx = SSL_CTX_new(method);
    if (ctx == NULL)
        return NULL;
    if (!SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
        !SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) ||
        !SSL_CTX_set_cipher_list(ctx, ciphers)) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_keylog_callback(ctx, keylog_cb);
    return ctx;
}

SSL_CTX *peer_client_ctx(const char *ciphers)
{
    return tls12_ctx(TLS_client_method(), ciphers);
}

SSL_CTX *peer_server_ctx(const char *ciphers, X509 *cert, EVP_PKEY *key)
{
    SSL_CTX *ctx = tls12_ctx(TLS_server_method(), ciphers);
    if (ctx == NULL)
        return NULL;
    if (!SSL_CTX_use_certificate(ctx, cert) || !SSL_CTX_use_PrivateKey(ctx, key) ||
        !SSL_CTX_check_private_key(ctx)) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    SSL_CTX_set_tlsext_servername_callback(ctx, servername_cb);
    return ctx;
}

/* ---- ClientHello as OpenSSL parses it ------------------------------------------------ */

/* Read a vector of 16-bit values with a `prefix`-byte length, as in several extensions. */
static size_t u16_vector(const unsigned char *p, size_t len, size_t prefix, uint16_t *out,
                         size_t cap)
{
    if (len < prefix)
        return 0;
    size_t n = prefix == 2 ? ((size_t)p[0] << 8 | p[1]) : p[0];
    if (n > len - prefix)
        return 0;
    size_t count = 0;
    for (size_t i = 0; i + 1 < n && count < cap; i += 2)
        out[count++] = (uint16_t)(p[prefix + i] << 8 | p[prefix + i + 1]);
    return count;
}

static int hello_cb(SSL *ssl, int *alert, void *arg)
{
    (void)alert;
    peer_hello_view *v = arg;
    const unsigned char *p = NULL;
    size_t len;
    int *exts = NULL;
    size_t n = 0;

    v->seen++;
    v->version = SSL_client_hello_get0_legacy_version(ssl);
    len = SSL_client_hello_get0_ciphers(ssl, &p);
    v->n_suites = 0;
    for (size_t i = 0; i + 1 < len && v->n_suites < 64; i += 2)
        v->suites[v->n_suites++] = (uint16_t)(p[i] << 8 | p[i + 1]);
    v->n_exts = 0;
    if (SSL_client_hello_get1_extensions_present(ssl, &exts, &n)) {
        for (size_t i = 0; i < n && v->n_exts < 64; i++)
            v->exts[v->n_exts++] = (uint16_t)exts[i];
        OPENSSL_free(exts);
    }
    v->n_sig_algs = v->n_groups = v->n_point_formats = 0;
    if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_signature_algorithms, &p, &len))
        v->n_sig_algs = u16_vector(p, len, 2, v->sig_algs, 64);
    if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_supported_groups, &p, &len))
        v->n_groups = u16_vector(p, len, 2, v->groups, 64);
    if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_ec_point_formats, &p, &len) && len >= 1 &&
        p[0] <= len - 1) {
        for (size_t i = 0; i < p[0] && v->n_point_formats < 16; i++)
            v->point_formats[v->n_point_formats++] = p[1 + i];
    }
    return SSL_CLIENT_HELLO_SUCCESS;
}

void peer_capture_hello(SSL_CTX *server_ctx, peer_hello_view *view)
{
    SSL_CTX_set_client_hello_cb(server_ctx, hello_cb, view);
}

int peer_parse_hello(const uint8_t *records, size_t len, X509 *cert, EVP_PKEY *key,
                     peer_hello_view *view)
{
    SSL_CTX *ctx = peer_server_ctx("ALL", cert, key);
    SSL *ssl = ctx ? SSL_new(ctx) : NULL;
    BIO *in = BIO_new(BIO_s_mem()), *out = BIO_new(BIO_s_mem());
    int rc = -1;
    if (ssl != NULL && in != NULL && out != NULL) {
        peer_capture_hello(ctx, view);
        SSL_set_bio(ssl, in, out);
        in = out = NULL;
        SSL_set_accept_state(ssl);
        BIO_write(SSL_get_rbio(ssl), records, (int)len);
        SSL_do_handshake(ssl); /* the callback runs first; the rest does not matter */
        ERR_clear_error();
        rc = view->seen == 1 ? 0 : -1;
    }
    BIO_free(in);
    BIO_free(out);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    return rc;
}

/* ---- The pump ---------------------------------------------------------------------- */

int peer_link_init(peer_link *l, tlsflow_conn *conn, SSL *ssl, const peer_pump_opts *opts)
{
    memset(l, 0, sizeof(*l));
    l->conn = conn;
    l->ssl = ssl;
    if (opts != NULL)
        l->opts = *opts;
    l->ssl_rbio = BIO_new(BIO_s_mem());
    l->ssl_wbio = BIO_new(BIO_s_mem());
    if (l->ssl_rbio == NULL || l->ssl_wbio == NULL) {
        BIO_free(l->ssl_rbio);
        BIO_free(l->ssl_wbio);
        return -1;
    }
    /* Empty means "no bytes yet", not EOF, until the engine side has closed. */
    BIO_set_mem_eof_return(l->ssl_rbio, -1);
    SSL_set_bio(ssl, l->ssl_rbio, l->ssl_wbio);
    SSL_set_app_data(ssl, l);
    SSL_set_info_callback(ssl, info_cb);
    return 0;
}

static size_t chunk(size_t n, size_t limit)
{
    return limit != 0 && n > limit ? limit : n;
}

static void breach(peer_link *l, const char *what)
{
    if (l->breach[0] == '\0')
        snprintf(l->breach, sizeof(l->breach), "%s", what);
}

static void rx_append(peer_rx *rx, const uint8_t *p, size_t n)
{
    size_t fit = rx->cap - rx->len < n ? rx->cap - rx->len : n;
    if (fit > 0)
        memcpy(rx->data + rx->len, p, fit);
    rx->len += fit;
    if (fit < n)
        rx->overflow = 1;
}

void peer_tamper_arm(peer_tamper *t, int type, unsigned ahead, size_t offset)
{
    t->type = type;
    t->nth = t->count[type & 0xff] + ahead;
    t->offset = offset;
    t->done = 0;
    t->first_byte = -1;
}

/* Follow record framing over n more bytes; return the index to flip, or n if none. */
static size_t tamper_track(peer_tamper *t, const uint8_t *p, size_t n)
{
    size_t hit = n;
    for (size_t i = 0; i < n; i++) {
        if (t->hdr_len < 5) {
            t->hdr[t->hdr_len++] = p[i];
            if (t->hdr_len == 5) {
                t->count[t->hdr[0]]++;
                t->body_pos = 0;
                t->body_left = ((size_t)t->hdr[3] << 8) | t->hdr[4];
                if (t->body_left == 0)
                    t->hdr_len = 0;
            }
            continue;
        }
        int target = t->type != 0 && t->hdr[0] == t->type && t->count[t->hdr[0]] == t->nth;
        if (target && t->body_pos == 0)
            t->first_byte = p[i];
        if (target && !t->done && t->body_pos == t->offset) {
            t->done = 1;
            hit = i;
        }
        t->body_pos++;
        if (--t->body_left == 0)
            t->hdr_len = 0;
    }
    return hit;
}

/* Offer pending application data; the engine takes at most one record per call. */
static int engine_send_app(peer_link *l)
{
    if (l->tf_handshake_done == 0 || l->tf_tx.done >= l->tf_tx.len)
        return 0;
    size_t want = l->tf_tx.len - l->tf_tx.done;
    size_t took = tlsflow_app_write(l->conn, l->tf_tx.data + l->tf_tx.done, want);
    if (took == 0)
        return 0;
    if (took > want || took > TLSFLOW_MAX_PLAINTEXT) {
        breach(l, "tlsflow_app_write accepted more than one record or than offered");
        took = want;
    }
    l->tf_tx.done += took;
    l->progress++;
    return 1;
}

static int engine_feed(peer_link *l)
{
    size_t pending = BIO_ctrl_pending(l->ssl_wbio);
    if (pending == 0) {
        /* OpenSSL gave up and said all it had to say: the transport closes. */
        if (l->ssl_failed && !l->tf_eof_given) {
            tlsflow_in_ack(l->conn, 0);
            l->tf_eof_given = 1;
            l->progress++;
            return 1;
        }
        return 0;
    }
    size_t room = 0;
    uint8_t *p = tlsflow_in_buf(l->conn, &room);
    if (p == NULL || room == 0)
        return 0;
    size_t n = chunk(pending < room ? pending : room, l->opts.to_engine);
    int got = BIO_read(l->ssl_wbio, p, (int)n);
    if (got <= 0)
        return 0;
    size_t flip = tamper_track(&l->tamper_to_engine, p, (size_t)got);
    if (flip < (size_t)got)
        p[flip] ^= 0x01;
    tlsflow_in_ack(l->conn, (size_t)got);
    l->tf_in_acks++;
    l->tf_bytes_in += (uint64_t)got;
    l->progress++;
    return 1;
}

/* The engine's output buffer is const: a flipped byte is written on its own. */
static void write_to_peer(peer_link *l, const uint8_t *p, size_t n)
{
    size_t flip = tamper_track(&l->tamper_to_peer, p, n);
    if (flip >= n) {
        BIO_write(l->ssl_rbio, p, (int)n);
        return;
    }
    uint8_t flipped = p[flip] ^ 0x01;
    if (flip > 0)
        BIO_write(l->ssl_rbio, p, (int)flip);
    BIO_write(l->ssl_rbio, &flipped, 1);
    if (n - flip - 1 > 0)
        BIO_write(l->ssl_rbio, p + flip + 1, (int)(n - flip - 1));
}

static void engine_step(peer_link *l, long *polls_left)
{
    for (; *polls_left > 0 && !l->tf_closed; (*polls_left)--) {
        size_t n = 0;
        const uint8_t *p;
        switch (tlsflow_poll(l->conn)) {
        case TLSFLOW_OUTPUT_READY:
            p = tlsflow_out_buf(l->conn, &n);
            if (p == NULL || n == 0) {
                breach(l, "OUTPUT_READY with an empty output buffer");
                return;
            }
            n = chunk(n, l->opts.from_engine);
            write_to_peer(l, p, n);
            tlsflow_out_ack(l->conn, n);
            l->tf_out_acks++;
            l->tf_bytes_out += n;
            l->progress++;
            break;
        case TLSFLOW_NEED_INPUT:
            if (engine_send_app(l) || engine_feed(l))
                break;
            return;
        case TLSFLOW_HANDSHAKE_DONE:
            l->tf_handshake_done++;
            l->progress++;
            if (l->tf_handshake_done > 1) {
                breach(l, "HANDSHAKE_DONE reported more than once");
                return;
            }
            break;
        case TLSFLOW_APP_DATA:
            if (l->tf_handshake_done == 0)
                breach(l, "APP_DATA before HANDSHAKE_DONE");
            p = tlsflow_app_peek(l->conn, &n);
            if (p == NULL || n == 0) {
                breach(l, "APP_DATA with nothing to peek");
                return;
            }
            /* Partial consumption exercises the engine's bookkeeping too. */
            n = chunk(n, l->opts.to_engine);
            rx_append(&l->tf_rx, p, n);
            tlsflow_app_consume(l->conn, n);
            l->progress++;
            break;
        case TLSFLOW_CLOSED:
            l->tf_closed = 1;
            l->progress++;
            break;
        default:
            breach(l, "tlsflow_poll returned an unknown event");
            return;
        }
    }
}

static void ssl_fail(peer_link *l, int err)
{
    l->ssl_failed = 1;
    l->ssl_error = err;
    l->ssl_err_code = ERR_peek_error();
    if (l->ssl_err_code != 0)
        ERR_error_string_n(l->ssl_err_code, l->ssl_err_text, sizeof(l->ssl_err_text));
    else
        snprintf(l->ssl_err_text, sizeof(l->ssl_err_text), "SSL_get_error %d", err);
    ERR_clear_error();
    l->progress++;
}

static int ssl_wants_more(int err)
{
    return err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE;
}

static void ssl_step(peer_link *l)
{
    if (l->ssl_failed)
        return;
    if (!l->ssl_handshake_done) {
        ERR_clear_error();
        int r = SSL_do_handshake(l->ssl);
        if (r != 1) {
            int err = SSL_get_error(l->ssl, r);
            if (!ssl_wants_more(err))
                ssl_fail(l, err);
            return;
        }
        l->ssl_handshake_done = 1;
        l->progress++;
    }
    while (l->ssl_tx.done < l->ssl_tx.len) {
        size_t n = chunk(l->ssl_tx.len - l->ssl_tx.done, 65536);
        ERR_clear_error();
        int r = SSL_write(l->ssl, l->ssl_tx.data + l->ssl_tx.done, (int)n);
        if (r <= 0) {
            int err = SSL_get_error(l->ssl, r);
            if (ssl_wants_more(err))
                break;
            ssl_fail(l, err);
            return;
        }
        l->ssl_tx.done += (size_t)r;
        l->progress++;
    }
    while (!l->ssl_zero_return) {
        uint8_t buf[16384];
        ERR_clear_error();
        int r = SSL_read(l->ssl, buf, (int)sizeof(buf));
        if (r > 0) {
            rx_append(&l->ssl_rx, buf, (size_t)r);
            l->progress++;
            continue;
        }
        int err = SSL_get_error(l->ssl, r);
        if (err == SSL_ERROR_ZERO_RETURN && r == 0) {
            l->ssl_zero_return = 1;
            l->progress++;
        } else if (!ssl_wants_more(err)) {
            ssl_fail(l, err);
        }
        break;
    }
}

int peer_pump(peer_link *l)
{
    long polls_left = PEER_MAX_POLLS;
    for (size_t i = 0; i < PEER_MAX_ITERATIONS && polls_left > 0; i++) {
        unsigned long before = l->progress;
        uint64_t read_before = BIO_number_read(l->ssl_rbio);
        uint64_t written_before = BIO_number_written(l->ssl_wbio);

        engine_step(l, &polls_left);
        if (l->tf_closed && !l->ssl_eof_given) {
            /* The engine is done: its transport closes once OpenSSL drained it. */
            BIO_set_mem_eof_return(l->ssl_rbio, 0);
            l->ssl_eof_given = 1;
            l->progress++;
        }
        ssl_step(l);

        l->iterations = i + 1;
        if (before == l->progress && read_before == BIO_number_read(l->ssl_rbio) &&
            written_before == BIO_number_written(l->ssl_wbio))
            return 0;
    }
    return -1;
}

static int find_alert(const peer_link *l, int received, int level)
{
    for (size_t i = 0; i < l->n_alerts; i++) {
        const peer_alert *a = &l->alerts[i];
        if (a->received == received && (level == 0 || a->level == level))
            return a->desc;
    }
    return -1;
}

int peer_alert_received(const peer_link *l, int level)
{
    return find_alert(l, 1, level);
}

int peer_alert_sent(const peer_link *l, int level)
{
    return find_alert(l, 0, level);
}

int peer_saw_alert(const peer_link *l, int desc)
{
    for (size_t i = 0; i < l->n_alerts; i++)
        if (l->alerts[i].received && l->alerts[i].desc == desc)
            return 1;
    return 0;
}
