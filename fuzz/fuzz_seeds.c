/* Writes the deterministic seed inputs of every harness from real conversations between
 * our client and our server (tests/support's pump, the same fixed random sources and time
 * as the harnesses), so the role harnesses replay whole transcripts with valid Finished
 * MACs, application data and close_notify.
 *
 *     tlsflow_fuzz_seeds OUTDIR
 *
 * writes OUTDIR/<harness>/<name> files (corpus/capture.sh names them by content hash and
 * merges them) and OUTDIR/peer/client_hello.rec, our ClientHello record, which the capture
 * script sends to other servers. */
#define _POSIX_C_SOURCE 200809L

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"
#include "fuzz_fixtures.h"
#include "internal.h"
#include "tf_test.h"

static const char *outdir;

static void emit(const char *harness, const char *name, const uint8_t *a, size_t alen,
                 const uint8_t *b, size_t blen)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", outdir, harness);
    mkdir(path, 0755);
    snprintf(path, sizeof(path), "%s/%s/%s", outdir, harness, name);
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(a, 1, alen, f) != alen || (blen && fwrite(b, 1, blen, f) != blen)) {
        fprintf(stderr, "seeds: cannot write %s\n", path);
        exit(1);
    }
    fclose(f);
}

static void emit_opt(const char *harness, const char *name, uint8_t opt, const uint8_t *p, size_t n)
{
    emit(harness, name, &opt, 1, p, n);
}

/* A role harness's input: the option byte (driver bits 3-7), the configuration (in bits 0-2,
 * or in the extended header past the first eight) and the caller's answers, then the peer's
 * bytes. `pre` bytes (server_async's key byte) go between the option byte and the rest. */
static void emit_role(const char *harness, const char *name, int variant, unsigned driver,
                      unsigned answers, const uint8_t *pre, size_t pre_len, const uint8_t *p,
                      size_t n)
{
    uint8_t head[8];
    size_t h = 0;
    head[h++] = (uint8_t)((variant < 8 ? variant : 0) | driver << 3);
    if (pre_len)
        memcpy(head + h, pre, pre_len);
    h += pre_len;
    if (variant >= 8 || answers) {
        head[h++] = TFF_EXTENDED;
        head[h++] = (uint8_t)variant;
        head[h++] = (uint8_t)answers;
    }
    emit(harness, name, head, h, p, n);
}

/* Poll both sides and move bytes until both are done (or closed, or stuck), performing
 * private-key operations as they come. Returns 1 if both reported HANDSHAKE_DONE. */
static int handshake(tlsflow_conn *c, tlsflow_conn *s, tft_pump_opts *o)
{
    int done_c = 0, done_s = 0;
    for (int i = 0; i < 100000 && !(done_c && done_s); i++) {
        tlsflow_event a = tft_step(c, s, o, o->c2s), b = tft_step(s, c, o, o->s2c);
        if (a == TLSFLOW_KEY_OPERATION)
            tff_key_op_now(c);
        if (b == TLSFLOW_KEY_OPERATION)
            tff_key_op_now(s);
        done_c |= a == TLSFLOW_HANDSHAKE_DONE;
        done_s |= b == TLSFLOW_HANDSHAKE_DONE;
        if ((a == TLSFLOW_CLOSED && b == TLSFLOW_CLOSED) ||
            (a == TLSFLOW_NEED_INPUT && b == TLSFLOW_NEED_INPUT))
            break;
    }
    return done_c && done_s;
}

/* A whole conversation: handshake, a request and a reply, close_notify both ways.
 * Returns 0 if the pair does not complete (the seeds are then left out, and said so). */
static int converse_with(int cv, int sv, const uint8_t *session, size_t session_len, tft_log *c2s,
                         tft_log *s2c)
{
    static const char req[] = "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
    static const char rep[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    tff_reset();
    tlsflow_conn *c = session ? tlsflow_conn_new(tff_client_config(cv)) : tff_client_new(cv);
    if (session)
        TFF_CHECK(c && tlsflow_session_import(c, session, session_len) == 1);
    tlsflow_conn *s = tff_server_new(sv);
    tft_pump_opts o = {0, c2s, s2c, 0};
    TFF_CHECK(c && s);
    if (!handshake(c, s, &o)) {
        fprintf(stderr, "seeds: client %d / server %d: no handshake: %s / %s\n", cv, sv,
                tlsflow_last_error_text(c), tlsflow_last_error_text(s));
        tlsflow_conn_free(c);
        tlsflow_conn_free(s);
        return 0;
    }
    TFF_CHECK(tlsflow_app_write(c, req, sizeof(req) - 1) == sizeof(req) - 1);
    int replied = 0, closing = 0;
    for (int i = 0; i < 100; i++) {
        tlsflow_event a = tft_step(c, s, &o, c2s), b = tft_step(s, c, &o, s2c);
        size_t n;
        if (a == TLSFLOW_APP_DATA) {
            tlsflow_app_peek(c, &n);
            tlsflow_app_consume(c, n);
            if (!closing) {
                tlsflow_close(c);
                closing = 1;
            }
        }
        if (b == TLSFLOW_APP_DATA) {
            tlsflow_app_peek(s, &n);
            tlsflow_app_consume(s, n);
            if (!replied)
                replied = tlsflow_app_write(s, rep, sizeof(rep) - 1) > 0;
        }
        if (a == TLSFLOW_CLOSED && b == TLSFLOW_CLOSED)
            break;
    }
    TFF_CHECK(replied && closing);
    TFF_CHECK(tlsflow_last_error(c) == 0 && tlsflow_last_error(s) == 0);
    tlsflow_conn_free(c);
    tlsflow_conn_free(s);
    return 1;
}

static int converse(int cv, int sv, tft_log *c2s, tft_log *s2c)
{
    return converse_with(cv, sv, NULL, 0, c2s, s2c);
}

/* fuzz_client with TFF_CLIENT_IMPORT: the session to import before the server's bytes,
 * each resuming session against the ticket server. */
static void import_seeds(void)
{
    static const int from[] = {TFF_CLIENT_IMPORT, TFF_CLIENT_RESUME13, TFF_CLIENT_RESUME12};
    for (size_t i = 0; i < sizeof(from) / sizeof(from[0]); i++) {
        size_t len = 0;
        const uint8_t *session = tff_session(from[i], &len);
        tft_log c2s = {0}, s2c = {0};
        TFF_CHECK(session &&
                  converse_with(TFF_CLIENT_IMPORT, TFF_SERVER_TICKETS, session, len, &c2s, &s2c));
        uint8_t *in = malloc(2 + len + s2c.len);
        TFF_CHECK(in != NULL);
        in[0] = (uint8_t)(len >> 8);
        in[1] = (uint8_t)len;
        memcpy(in + 2, session, len);
        memcpy(in + 2 + len, s2c.p, s2c.len);
        char name[64];
        snprintf(name, sizeof(name), "ours-import-c%d-s%d", from[i], TFF_SERVER_TICKETS);
        emit_role("client", name, TFF_CLIENT_IMPORT, 0, 0, NULL, 0, in, 2 + len + s2c.len);
        free(in);
        tft_log_free(&c2s);
        tft_log_free(&s2c);
    }
}

/* The handshake messages in the plaintext part of a transcript, concatenated. */
static size_t plaintext_handshake(const tft_log *log, uint8_t *out, size_t cap)
{
    size_t off = 0, n = 0, rl;
    while ((rl = tff_record_len(log->p + off, log->len - off)) && log->p[off] != TF_CT_CCS) {
        if (log->p[off] == TF_CT_HANDSHAKE && n + rl - 5 <= cap) {
            memcpy(out + n, log->p + off + 5, rl - 5);
            n += rl - 5;
        }
        off += rl;
    }
    return n;
}

/* The body of the first handshake message of `type` in hs[0..n). */
static const uint8_t *find_message(const uint8_t *hs, size_t n, uint8_t type, size_t *len)
{
    for (size_t off = 0; off + 4 <= n;) {
        size_t m = ((size_t)hs[off + 1] << 16) | ((size_t)hs[off + 2] << 8) | hs[off + 3];
        if (off + 4 + m > n)
            break;
        if (hs[off] == type) {
            *len = m;
            return hs + off + 4;
        }
        off += 4 + m;
    }
    return NULL;
}

/* The extensions block (inside its u16 prefix) of a hello body, given where the fixed
 * fields end. */
static const uint8_t *hello_exts(const uint8_t *body, size_t len, size_t fixed, size_t *n)
{
    if (fixed + 2 > len)
        return NULL;
    *n = ((size_t)body[fixed] << 8) | body[fixed + 1];
    return fixed + 2 + *n <= len ? body + fixed + 2 : NULL;
}

static size_t client_hello_fixed(const uint8_t *b, size_t len)
{
    size_t o = 2 + 32;
    o += 1 + b[o];
    o += 2 + (((size_t)b[o] << 8) | b[o + 1]);
    o += 1 + b[o];
    return o <= len ? o : len;
}

static void parser_seeds(const char *tag, const tft_log *c2s, const tft_log *s2c)
{
    static uint8_t hs[65536];
    char name[128];
    size_t n = plaintext_handshake(c2s, hs, sizeof(hs)), len, elen;
    const uint8_t *body, *ext;
    if ((body = find_message(hs, n, TF_HS_CLIENT_HELLO, &len))) {
        snprintf(name, sizeof(name), "ours-%s", tag);
        emit("client_hello", name, body, len, NULL, 0);
        if ((ext = hello_exts(body, len, client_hello_fixed(body, len), &elen)))
            emit("extensions", name, ext, elen, NULL, 0);
    }
    if ((body = find_message(hs, n, TF_HS_CLIENT_KEY_EXCHANGE, &len))) {
        snprintf(name, sizeof(name), "ours-%s", tag);
        emit("client_key_exchange", name, body, len, NULL, 0);
    }
    n = plaintext_handshake(s2c, hs, sizeof(hs));
    if ((body = find_message(hs, n, TF_HS_SERVER_HELLO, &len))) {
        snprintf(name, sizeof(name), "ours-%s", tag);
        emit("server_hello", name, body, len, NULL, 0);
        size_t fixed = 2 + 32 + 1 + body[34] + 3;
        if ((ext = hello_exts(body, len, fixed, &elen)))
            emit("extensions", "ours-server-hello", ext, elen, NULL, 0);
    }
    if ((body = find_message(hs, n, TF_HS_CERTIFICATE, &len))) {
        snprintf(name, sizeof(name), "ours-%s", tag);
        emit("certificate", name, body, len, NULL, 0);
    }
    if ((body = find_message(hs, n, TF_HS_SERVER_KEY_EXCHANGE, &len))) {
        snprintf(name, sizeof(name), "ours-%s", tag);
        emit("server_key_exchange", name, body, len, NULL, 0);
    }
}

static void role_seeds(void)
{
    /* (client, server) configuration pairs: every variant of each side at least once. */
    static const int pairs[][2] = {
        {TFF_CLIENT_DEFAULT, TFF_SERVER_DEFAULT},
        {TFF_CLIENT_RSA_KX, TFF_SERVER_DEFAULT},
        {TFF_CLIENT_AES256, TFF_SERVER_DEFAULT},
        {TFF_CLIENT_NO_EMS, TFF_SERVER_DEFAULT},
        {TFF_CLIENT_ALPN, TFF_SERVER_ALPN},
        {TFF_CLIENT_CHACHA, TFF_SERVER_DEFAULT},
        {TFF_CLIENT_P384, TFF_SERVER_DEFAULT},
        {TFF_CLIENT_ECDSA, TFF_SERVER_DUAL},
        {TFF_CLIENT_DEFAULT, TFF_SERVER_AES256},
        {TFF_CLIENT_DEFAULT, TFF_SERVER_SMALL},
        {TFF_CLIENT_P384, TFF_SERVER_EC384},
        {TFF_CLIENT_DEFAULT, TFF_SERVER_PSS},
        {TFF_CLIENT_DEFAULT, TFF_SERVER_RSA_KX},
        /* Tickets: issued (TLS 1.3; TLS 1.2 with and without extended master secret) and
         * taken (a TLS 1.2 ticket, a TLS 1.3 PSK). */
        {TFF_CLIENT_DEFAULT, TFF_SERVER_TICKETS},
        {TFF_CLIENT_RSA_KX, TFF_SERVER_TICKETS},
        {TFF_CLIENT_NO_EMS, TFF_SERVER_TICKETS},
        {TFF_CLIENT_RESUME12, TFF_SERVER_TICKETS},
        {TFF_CLIENT_RESUME13, TFF_SERVER_TICKETS},
        {TFF_CLIENT_RESUME12, TFF_SERVER_DEFAULT},
        {TFF_CLIENT_RESUME13, TFF_SERVER_DEFAULT},
        /* Client certificates: TLS 1.2 (EC, RSA with the signature handed out), TLS 1.3. */
        {TFF_CLIENT_MTLS, TFF_SERVER_MTLS},
        {TFF_CLIENT_MTLS, TFF_SERVER_TICKETS},
        {TFF_CLIENT_MTLS_ASYNC, TFF_SERVER_MTLS},
        {TFF_CLIENT_MTLS_ASYNC, TFF_SERVER_MTLS_HOOK},
        {TFF_CLIENT_HOOK, TFF_SERVER_MTLS},
        {TFF_CLIENT_HOOK, TFF_SERVER_MTLS_HOOK},
        {TFF_CLIENT_HOOK, TFF_SERVER_DEFAULT},
        {TFF_CLIENT_DEFAULT, TFF_SERVER_MTLS_HOOK},
        {TFF_CLIENT_RSA_KX, TFF_SERVER_MTLS_HOOK},
        {TFF_CLIENT_MTLS, TFF_SERVER_DUAL},
        /* RSA PKCS#1 v1.5 signatures both ways; a ticket of the retired key. */
        {TFF_CLIENT_PKCS1, TFF_SERVER_MTLS},
        {TFF_CLIENT_PKCS1, TFF_SERVER_DEFAULT},
        {TFF_CLIENT_PKCS1, TFF_SERVER_DUAL},
        {TFF_CLIENT_IMPORT, TFF_SERVER_TICKETS},
    };
    for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        int cv = pairs[i][0], sv = pairs[i][1];
        tft_log c2s = {0}, s2c = {0};
        if (!converse(cv, sv, &c2s, &s2c)) {
            tft_log_free(&c2s);
            tft_log_free(&s2c);
            continue;
        }
        char name[64];
        /* Whole stream, then byte by byte with EOF, echo and close. */
        snprintf(name, sizeof(name), "ours-c%d-s%d-whole", cv, sv);
        emit_role("server", name, sv, 0, 0, NULL, 0, c2s.p, c2s.len);
        emit_role("client", name, cv, 0, 0, NULL, 0, s2c.p, s2c.len);
        snprintf(name, sizeof(name), "ours-c%d-s%d-bytes", cv, sv);
        emit_role("server", name, sv, 0x19, 0, NULL, 0, c2s.p, c2s.len);
        emit_role("client", name, cv, 0x19, 0, NULL, 0, s2c.p, s2c.len);
        if (sv >= 8) {
            /* Key operations handed out, answered at once; the keys as handles. */
            static const uint8_t now = TFF_KEY_NOW;
            snprintf(name, sizeof(name), "ours-c%d-s%d-offload", cv, sv);
            emit_role("server_async", name, sv, 0, 0, &now, 1, c2s.p, c2s.len);
        }
        if (sv < 8 || sv == TFF_SERVER_MTLS) {
            static const uint8_t now = TFF_KEY_NOW;
            snprintf(name, sizeof(name), "ours-c%d-s%d-handles", cv, sv);
            emit_role("server_async", name, sv, 0, 8, &now, 1, c2s.p, c2s.len);
        }
        for (unsigned v = 1; v < TFF_VERDICTS; v++) {
            /* The verification hooks' other answers (the transcript then stops early). */
            if (cv == TFF_CLIENT_HOOK) {
                snprintf(name, sizeof(name), "ours-c%d-s%d-verdict%u", cv, sv, v);
                emit_role("client", name, cv, 0, v, NULL, 0, s2c.p, s2c.len);
            }
            if (sv == TFF_SERVER_MTLS_HOOK) {
                snprintf(name, sizeof(name), "ours-c%d-s%d-verdict%u", cv, sv, v);
                emit_role("server", name, sv, 0, v, NULL, 0, c2s.p, c2s.len);
            }
        }
        if (cv == TFF_CLIENT_MTLS_ASYNC) {
            for (unsigned k = 1; k < TFF_KEY_MODES; k++) {
                snprintf(name, sizeof(name), "ours-c%d-s%d-key%u", cv, sv, k);
                emit_role("client", name, cv, 0, k << 3 | 2 << 6, NULL, 0, s2c.p, s2c.len);
            }
        }
        snprintf(name, sizeof(name), "ours-c%d-s%d", cv, sv);
        parser_seeds(name, &c2s, &s2c);
        if (i == 0) {
            emit_opt("record", "ours-server", 0x00, c2s.p, c2s.len);
            emit_opt("record", "ours-client", 0x10, s2c.p, s2c.len);
            emit_opt("record", "ours-server-small", 0x20 | 0x80 | 0x02, c2s.p, c2s.len);
            size_t rl = tff_record_len(c2s.p, c2s.len);
            emit("peer", "client_hello.rec", c2s.p, rl, NULL, 0);
        }
        tft_log_free(&c2s);
        tft_log_free(&s2c);
    }
}

/* fuzz_transitions: option byte, then one action byte per record (see its header). */
static void transition_seeds(void)
{
    uint8_t in[16];
    char name[64];
    for (int cv = 0; cv < TFF_CLIENT_VARIANTS; cv++) {
        for (int sv = 0; sv < TFF_SERVER_VARIANTS; sv++) {
            size_t n = 2;
            if (cv < 8 && sv < 8) {
                in[0] = (uint8_t)(cv | sv << 3);
                in[1] = (uint8_t)(cv + sv);
            } else {
                in[0] = 0;
                in[1] = (uint8_t)((cv + sv) & 7);
                in[n++] = TFF_EXTENDED;
                in[n++] = (uint8_t)cv;
                in[n++] = (uint8_t)sv;
                in[n++] = 0;
                in[n++] = 0;
            }
            snprintf(name, sizeof(name), "ours-clean-c%d-s%d", cv, sv);
            emit("transitions", name, in, n, NULL, 0);
        }
    }
    /* The verification hooks' answers, and faults: a random source that fails on its n-th
     * call, a workspace allocation that fails or is misaligned, the clock off. */
    static const int faulty[][2] = {
        {TFF_CLIENT_DEFAULT, TFF_SERVER_DEFAULT},  {TFF_CLIENT_RSA_KX, TFF_SERVER_DEFAULT},
        {TFF_CLIENT_ALPN, TFF_SERVER_ALPN},        {TFF_CLIENT_RESUME12, TFF_SERVER_TICKETS},
        {TFF_CLIENT_RESUME13, TFF_SERVER_TICKETS}, {TFF_CLIENT_MTLS_ASYNC, TFF_SERVER_MTLS},
        {TFF_CLIENT_HOOK, TFF_SERVER_MTLS_HOOK},   {TFF_CLIENT_P384, TFF_SERVER_EC384},
        {TFF_CLIENT_ECDSA, TFF_SERVER_DUAL},       {TFF_CLIENT_MTLS, TFF_SERVER_MTLS},
    };
    for (size_t i = 0; i < sizeof(faulty) / sizeof(faulty[0]); i++) {
        int cv = faulty[i][0], sv = faulty[i][1];
        in[0] = 0x40; /* the client closes once done */
        in[1] = 0;
        in[2] = TFF_EXTENDED;
        in[3] = (uint8_t)cv;
        in[4] = (uint8_t)sv;
        for (unsigned v = 1; v < TFF_VERDICTS && cv == TFF_CLIENT_HOOK; v++) {
            in[5] = (uint8_t)v;
            in[6] = 0;
            snprintf(name, sizeof(name), "ours-verdict%u-c%d-s%d", v, cv, sv);
            emit("transitions", name, in, 7, NULL, 0);
        }
        for (unsigned f = TFF_FAULT_RANDOM; f < TFF_FAULTS; f++) {
            for (unsigned k = 1; k <= 24; k++) {
                if (f == TFF_FAULT_TIME ? k > 16 : f != TFF_FAULT_RANDOM && k > 12)
                    continue;
                if (f == TFF_FAULT_MISUSE)
                    continue;
                in[5] = (uint8_t)(f << 3);
                in[6] = (uint8_t)(f == TFF_FAULT_TIME ? k - 1 : k);
                snprintf(name, sizeof(name), "ours-fault%u-%u-c%d-s%d", f, k, cv, sv);
                emit("transitions", name, in, 7, NULL, 0);
            }
        }
        /* The embedder's mistakes (fuzz_transitions' M_*), early, mid-handshake and after. */
        static const uint8_t at[] = {0, 1, 2, 4, 8, 16};
        for (unsigned m = 0; m < 7; m++) {
            for (size_t k = 0; k < sizeof(at); k++) {
                in[5] = (uint8_t)(TFF_FAULT_MISUSE << 3);
                in[6] = (uint8_t)(m | at[k] << 3);
                snprintf(name, sizeof(name), "ours-misuse%u-%u-c%d-s%d", m, at[k], cv, sv);
                emit("transitions", name, in, 7, NULL, 0);
            }
        }
    }
    in[0] = 0x40;
    in[1] = 0;
    emit("transitions", "ours-clean-close", in, 2, NULL, 0);
    /* Each action at each of the first eight records of a handshake. */
    for (int action = 4; action < 16; action++) {
        for (int at = 0; at < 8; at++) {
            memset(in, 0, sizeof(in));
            in[2 + at] = (uint8_t)action;
            snprintf(name, sizeof(name), "ours-a%d-r%d", action, at);
            emit("transitions", name, in, sizeof(in), NULL, 0);
        }
    }
}

/* fuzz_record_keyed: sealed records of every content type, and the Finished path. */
static void keyed_seeds(void)
{
    static const uint8_t app[] = {3, 0, 0, 5, 'h', 'e', 'l', 'l', 'o'};
    static const uint8_t close_notify[] = {1, 0, 0, 2, 1, 0};
    static const uint8_t fatal[] = {1, 0, 0, 2, 2, 40};
    static const uint8_t hello_request[] = {2, 0, 0, 4, 0, 0, 0, 0};
    static const uint8_t ccs[] = {0, 0, 0, 1, 1};
    static const uint8_t finished[] = {0x7f, 0, 0, 0};
    static const uint8_t bad_tag[] = {3, 1, 0, 3, 'a', 'b', 'c'};
    static const uint8_t skipped[] = {3, 2, 0, 3, 'a', 'b', 'c'};
    static const uint8_t clear[] = {3, 4, 0, 3, 'a', 'b', 'c'};
    static const struct {
        const char *name;
        const uint8_t *p;
        size_t n;
    } recs[] = {
        {"app", app, sizeof(app)},
        {"close", close_notify, sizeof(close_notify)},
        {"fatal", fatal, sizeof(fatal)},
        {"hello-request", hello_request, sizeof(hello_request)},
        {"ccs", ccs, sizeof(ccs)},
        {"finished", finished, sizeof(finished)},
        {"bad-tag", bad_tag, sizeof(bad_tag)},
        {"skipped-seq", skipped, sizeof(skipped)},
        {"clear", clear, sizeof(clear)},
    };
    char name[64];
    uint8_t opt[2];
    for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
        for (int role = 0; role < 2; role++) {
            int awaiting = recs[i].p == finished;
            opt[0] = (uint8_t)(0x04 | role | (awaiting ? 2 : 0));
            opt[1] = (uint8_t)i;
            snprintf(name, sizeof(name), "ours-%s-%s", recs[i].name, role ? "client" : "server");
            emit("record_keyed", name, opt, 2, recs[i].p, recs[i].n);
        }
    }
    /* Finished, then application data and close_notify on the now established side. */
    uint8_t seq[64];
    size_t n = 0;
    memcpy(seq + n, finished, sizeof(finished));
    n += sizeof(finished);
    memcpy(seq + n, app, sizeof(app));
    n += sizeof(app);
    memcpy(seq + n, close_notify, sizeof(close_notify));
    n += sizeof(close_notify);
    for (uint8_t s = 0; s < tf_suite_count(); s++) {
        opt[1] = s;
        opt[0] = 0x06;
        snprintf(name, sizeof(name), "ours-finished-then-data-server-%u", s);
        emit("record_keyed", name, opt, 2, seq, n);
        opt[0] = 0x07;
        snprintf(name, sizeof(name), "ours-finished-then-data-client-%u", s);
        emit("record_keyed", name, opt, 2, seq, n);
    }
    opt[0] = opt[1] = 0;
    emit("record_keyed", "ours-raw", opt, 2, app, sizeof(app));
    /* A renegotiating ClientHello, protected, at an established server. */
    tft_log c2s = {0}, s2c = {0};
    TFF_CHECK(converse(TFF_CLIENT_DEFAULT, TFF_SERVER_DEFAULT, &c2s, &s2c));
    size_t rl = tff_record_len(c2s.p, c2s.len);
    uint8_t *rec = malloc(rl + 4);
    TFF_CHECK(rec != NULL);
    rec[0] = 2;
    rec[1] = 0;
    rec[2] = (uint8_t)((rl - 5) >> 8);
    rec[3] = (uint8_t)(rl - 5);
    memcpy(rec + 4, c2s.p + 5, rl - 5);
    opt[0] = 0x04;
    opt[1] = 0;
    emit("record_keyed", "ours-renegotiation", opt, 2, rec, rl - 1);
    free(rec);
    tft_log_free(&c2s);
    tft_log_free(&s2c);
}

static void put_u16(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void x509_seeds(void)
{
    size_t leaf_len, root_len;
    const uint8_t *leaf = tff_leaf_der(&leaf_len), *root = tff_root_der(&root_len);
    static const char *names[] = {"localhost\0localhost", "*.example.com\0www.example.com",
                                  "*.com\0example.com", "127.0.0.1\0::1"};
    static const uint8_t opts[] = {0x22, 0x21, 0x02 | 0x08, 0x02 | 0x10, 0x22 | 0x40, 0x01 | 0x60};
    uint8_t *buf = malloc(8 + leaf_len + root_len + 64);
    TFF_CHECK(buf != NULL);
    for (size_t i = 0; i < sizeof(opts); i++) {
        size_t n = 0;
        buf[n++] = opts[i];
        put_u16(buf + n, leaf_len);
        memcpy(buf + n + 2, leaf, leaf_len);
        n += 2 + leaf_len;
        if ((opts[i] & 7) >= 2) {
            put_u16(buf + n, root_len);
            memcpy(buf + n + 2, root, root_len);
            n += 2 + root_len;
        }
        const char *nm = names[i % 4];
        size_t a = strlen(nm), b = strlen(nm + a + 1);
        memcpy(buf + n, nm, a + 1 + b);
        n += a + 1 + b;
        char name[32];
        snprintf(name, sizeof(name), "ours-%zu", i);
        emit("x509", name, buf, n, NULL, 0);
    }
    free(buf);
}

/* fuzz_config: calls as opcodes (see its header), building a configuration of each kind the
 * extended opcodes reach, then a handshake with a fixture peer. */
typedef struct {
    uint8_t p[16384];
    size_t n;
} blob;

static void put(blob *b, const void *p, size_t n)
{
    TFF_CHECK(b->n + n <= sizeof(b->p));
    memcpy(b->p + b->n, p, n);
    b->n += n;
}

static void put_u8(blob *b, unsigned v)
{
    uint8_t x = (uint8_t)v;
    put(b, &x, 1);
}

static void put_u16b(blob *b, size_t v)
{
    put_u8(b, (unsigned)(v >> 8) & 0xff);
    put_u8(b, (unsigned)v & 0xff);
}

static void put_vec(blob *b, const uint8_t *p, size_t n)
{
    put_u16b(b, n);
    put(b, p, n);
}

/* The opcodes fuzz_config knows (its OP_* and X_*). */
enum { C_ANCHORS = 0, C_CREDENTIAL = 1, C_SERVER_NAME = 2, C_EXT = TFF_EXTENDED };
enum {
    CX_TICKET_KEYS,
    CX_TICKET_POLICY,
    CX_VERSIONS,
    CX_RSL,
    CX_CLIENT_AUTH,
    CX_OFFLOAD,
    CX_KEEP_HELLO,
    CX_WORKSPACE,
    CX_ONE_THREAD,
    CX_CALLBACKS,
    CX_DEFAULTS
};

static void put_ext(blob *b, unsigned op, int arg)
{
    put_u8(b, C_EXT);
    put_u8(b, op);
    if (arg >= 0)
        put_u8(b, (unsigned)arg);
}

static void config_seeds(void)
{
    static const struct {
        const char *name;
        int server, peer;
        const char *ops; /* letters, in order: see below */
    } runs[] = {
        {"server-tickets-c0", 1, TFF_CLIENT_DEFAULT, "ckpb"},
        {"server-tickets-c1", 1, TFF_CLIENT_RSA_KX, "ckpb"},
        {"server-tickets-c8", 1, TFF_CLIENT_RESUME12, "ckpb"},
        {"server-tickets-c9", 1, TFF_CLIENT_RESUME13, "ckpb"},
        {"server-mtls-c10", 1, TFF_CLIENT_MTLS, "carb"},
        {"server-mtls-c11", 1, TFF_CLIENT_MTLS_ASYNC, "carb"},
        {"server-mtls-c12", 1, TFF_CLIENT_HOOK, "carb"},
        {"server-mtls-c0", 1, TFF_CLIENT_DEFAULT, "carb"},
        {"server-offload-c0", 1, TFF_CLIENT_DEFAULT, "co"},
        {"server-offload-c1", 1, TFF_CLIENT_RSA_KX, "co"},
        {"server-workspace-c4", 1, TFF_CLIENT_ALPN, "cwht"},
        {"client-tls12-s8", 0, TFF_SERVER_TICKETS, "anvlb"},
        {"client-tls12-s0", 0, TFF_SERVER_DEFAULT, "anvlb"},
        {"client-defaults-s0", 0, TFF_SERVER_DEFAULT, "and"},
        {"client-mtls-s9", 0, TFF_SERVER_MTLS, "anco"},
        {"client-tickets-s8", 0, TFF_SERVER_TICKETS, "anb"},
        {"client-no-suite", 0, -1, "anVs"},
    };
    static const uint16_t rsa_kx[] = {TLSFLOW_RSA_WITH_AES_128_GCM_SHA256};
    static blob b;
    for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
        b.n = 0;
        int peer = runs[i].peer < 0 ? 0 : runs[i].peer;
        put_u8(&b, (unsigned)(runs[i].server | (runs[i].peer >= 0 ? 4 : 0) | (peer & 7) << 3 |
                              (peer & 8) << 3));
        for (const char *o = runs[i].ops; *o; o++) {
            switch (*o) {
            case 'a': /* the fixture root */
                put_u8(&b, C_ANCHORS);
                put_vec(&b, tff_fixture_ca_pem, tff_fixture_ca_pem_len);
                break;
            case 'c': /* a credential: the server's, or a client's */
                put_u8(&b, C_CREDENTIAL);
                put_vec(&b, runs[i].server ? tff_fixture_server_pem : tff_fixture_client_pem,
                        runs[i].server ? tff_fixture_server_pem_len : tff_fixture_client_pem_len);
                put_vec(&b, runs[i].server ? tff_fixture_server_key : tff_fixture_client_key,
                        runs[i].server ? tff_fixture_server_key_len : tff_fixture_client_key_len);
                put_u8(&b, 0);
                break;
            case 'n':
                put_u8(&b, C_SERVER_NAME);
                put_vec(&b, (const uint8_t *)"localhost", 9);
                break;
            case 'k': { /* two ticket keys */
                uint8_t key[48];
                put_ext(&b, CX_TICKET_KEYS, 2);
                for (int k = 0; k < 2; k++) {
                    memset(key, 0x40 + k, sizeof(key));
                    put(&b, key, sizeof(key));
                }
                break;
            }
            case 'p': /* an hour, two TLS 1.3 tickets */
                put_ext(&b, CX_TICKET_POLICY, -1);
                put_u16b(&b, 0);
                put_u16b(&b, 3600);
                put_u8(&b, 2);
                break;
            case 'b': /* every callback */
                put_ext(&b, CX_CALLBACKS, 31);
                break;
            case 'r':
                put_ext(&b, CX_CLIENT_AUTH, TLSFLOW_CLIENT_AUTH_REQUIRED);
                break;
            case 'o':
                put_ext(&b, CX_OFFLOAD, 1);
                break;
            case 'w': /* buffers given back, through the allocator callbacks */
                put_u8(&b, 9);
                put_u8(&b, 1);
                put_ext(&b, CX_WORKSPACE, 1);
                break;
            case 'h':
                put_ext(&b, CX_KEEP_HELLO, 1);
                break;
            case 't':
                put_ext(&b, CX_ONE_THREAD, 1);
                break;
            case 'v': /* TLS 1.2 only */
            case 'V': /* TLS 1.3 only */
                put_ext(&b, CX_VERSIONS, -1);
                put_u16b(&b, *o == 'v' ? TLSFLOW_VERSION_TLS12 : TLSFLOW_VERSION_TLS13);
                put_u16b(&b, *o == 'v' ? TLSFLOW_VERSION_TLS12 : TLSFLOW_VERSION_TLS13);
                break;
            case 's': /* RSA key transport only */
                put_u8(&b, 4);
                put_u8(&b, 1);
                put_u16b(&b, rsa_kx[0]);
                break;
            case 'l':
                put_ext(&b, CX_RSL, -1);
                put_u16b(&b, 1024);
                break;
            case 'd':
                put_ext(&b, CX_DEFAULTS, -1);
                break;
            }
        }
        char name[64];
        snprintf(name, sizeof(name), "ours-%s", runs[i].name);
        emit("config", name, b.p, b.n, NULL, 0);
    }
}

static void small_seeds(void)
{
    static const uint8_t verify[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    emit("finished", "ours-verify-data", verify, sizeof(verify), NULL, 0);
    emit("finished", "ours-empty", verify, 0, NULL, 0);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
        return 2;
    }
    outdir = argv[1];
    mkdir(outdir, 0755);
    role_seeds();
    import_seeds();
    transition_seeds();
    keyed_seeds();
    x509_seeds();
    config_seeds();
    small_seeds();
    return 0;
}
