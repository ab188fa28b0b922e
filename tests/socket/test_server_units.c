/* The server's own small parsers and buffers, without sockets: the HTTP head reader,
 * HOST:PORT, the JA3 string and hash, the bounded text buffer and trace store, the packed
 * ClientHello, and the message table the pages draw both flows from. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pages/flow_steps.h"
#include "pages/hello_names.h"
#include "util/hello_pack.h"
#include "util/hostport.h"
#include "pages/http_req.h"
#include "util/sbuf.h"
#include "util/trace_store.h"

static http_parse_result parse(const char *s, http_request *req)
{
    return http_parse(s, strlen(s), req);
}

static void test_http_get_keep_alive(void **state)
{
    (void)state;
    http_request r;
    const char *s = "GET /json?x=1 HTTP/1.1\r\nHost: a\r\nAccept: text/html,*/*\r\n\r\nGET /";
    assert_int_equal(parse(s, &r), HTTP_OK);
    assert_string_equal(r.method, "GET");
    assert_string_equal(r.path, "/json");
    assert_int_equal(r.minor, 1);
    assert_true(r.keep_alive);
    assert_true(r.wants_html);
    assert_false(r.has_body);
    assert_int_equal(r.consumed, strlen(s) - strlen("GET /"));
}

static void test_http_connection_rules(void **state)
{
    (void)state;
    http_request r;
    assert_int_equal(parse("GET / HTTP/1.1\r\nConnection: close\r\n\r\n", &r), HTTP_OK);
    assert_false(r.keep_alive);
    assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n", &r), HTTP_OK);
    assert_false(r.keep_alive);
    assert_int_equal(parse("GET / HTTP/1.0\r\nconnection: Keep-Alive\r\n\r\n", &r), HTTP_OK);
    assert_true(r.keep_alive);
    assert_int_equal(parse("GET / HTTP/1.1\n\n", &r), HTTP_OK); /* bare LF, typed by hand */
    assert_int_equal(parse("POST / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", &r), HTTP_OK);
    assert_true(r.has_body);
    assert_false(r.wants_html);
}

static void test_http_incomplete_and_limits(void **state)
{
    (void)state;
    http_request r;
    assert_int_equal(parse("GET / HTTP/1.1\r\nHost: a\r\n", &r), HTTP_INCOMPLETE);
    assert_int_equal(parse("", &r), HTTP_INCOMPLETE);
    static char big[HTTP_HEAD_MAX + 10];
    memset(big, 'a', sizeof(big) - 1);
    memcpy(big, "GET / HTTP/1.1\r\nX: ", 19);
    assert_int_equal(http_parse(big, HTTP_HEAD_MAX, &r), HTTP_TOO_LARGE);
    assert_int_equal(http_parse(big, HTTP_HEAD_MAX - 1, &r), HTTP_INCOMPLETE);
}

static void test_http_malformed(void **state)
{
    (void)state;
    http_request r;
    assert_int_equal(parse("GET /\r\n\r\n", &r), HTTP_BAD);
    assert_int_equal(parse("get / HTTP/1.1\r\n\r\n", &r), HTTP_BAD);
    assert_int_equal(parse(" / HTTP/1.1\r\n\r\n", &r), HTTP_BAD);
    assert_int_equal(parse("GET / HTTP/1.1\r\nno colon here\r\n\r\n", &r), HTTP_BAD);
    assert_int_equal(parse("GET / HTTP/2.0\r\n\r\n", &r), HTTP_BAD_VERSION);
    assert_int_equal(parse("GET / FTP/1.1\r\n\r\n", &r), HTTP_BAD);
    assert_int_equal(parse("\x16\x03\x01\x02\x01\x01\x03\n\n", &r), HTTP_BAD);
}

static void test_hostport(void **state)
{
    (void)state;
    hostport hp;
    const char *why = NULL;
    assert_int_equal(hostport_parse("127.0.0.1:8443", NULL, &hp, &why), 0);
    assert_string_equal(hp.host, "127.0.0.1");
    assert_string_equal(hp.port, "8443");
    assert_int_equal(hostport_parse("[::1]:0", NULL, &hp, &why), 0);
    assert_string_equal(hp.host, "::1");
    assert_string_equal(hp.port, "0");
    assert_int_equal(hostport_parse("example.com", "443", &hp, &why), 0);
    assert_string_equal(hp.port, "443");
    assert_int_equal(hostport_parse("example.com", NULL, &hp, &why), -1);
    assert_int_equal(hostport_parse("::1:8443", NULL, &hp, &why), -1);
    assert_int_equal(hostport_parse("[::1", NULL, &hp, &why), -1);
    assert_int_equal(hostport_parse("h:65536", NULL, &hp, &why), -1);
    assert_int_equal(hostport_parse("h:-1", NULL, &hp, &why), -1);
    assert_int_equal(hostport_parse(":80", NULL, &hp, &why), -1);
    assert_true(host_is_ip("::1"));
    assert_false(host_is_ip("localhost"));
}

/* The other way: socket addresses as the pages and the log show them. */
static void test_hostport_format(void **state)
{
    (void)state;
    char out[HOSTPORT_TEXT_MAX];
    struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(8443)};
    inet_pton(AF_INET, "127.0.0.1", &a4.sin_addr);
    assert_int_equal(hostport_format((struct sockaddr *)&a4, out, sizeof(out)), 8443);
    assert_string_equal(out, "127.0.0.1:8443");
    struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(65535)};
    inet_pton(AF_INET6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &a6.sin6_addr);
    assert_int_equal(hostport_format((struct sockaddr *)&a6, out, sizeof(out)), 65535);
    assert_string_equal(out, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
    struct sockaddr none = {0};
    assert_int_equal(hostport_format(&none, out, sizeof(out)), 0);
    assert_string_equal(out, "?");
}

static void test_ja3(void **state)
{
    (void)state;
    tlsflow_hello_info h;
    memset(&h, 0, sizeof(h));
    h.version = 0x0303;
    const uint16_t suites[] = {0x1a1a, 0xc02b, 0x009c}; /* GREASE first, as Chrome does */
    const uint16_t exts[] = {0, 10, 11, 23, 0xff01, 0x2a2a};
    const uint16_t groups[] = {0x0a0a, 29, 23};
    memcpy(h.suites, suites, sizeof(suites));
    h.n_suites = 3;
    memcpy(h.extensions, exts, sizeof(exts));
    h.n_extensions = 6;
    memcpy(h.groups, groups, sizeof(groups));
    h.n_groups = 3;
    h.n_point_formats = 1;
    sbuf b;
    sb_init(&b, 1024);
    ja3_string(&h, &b);
    assert_string_equal(b.p, "771,49195-156,0-10-11-23-65281,29-23,0");
    char md5[33];
    assert_int_equal(ja3_md5_hex(b.p, md5), 0);
    assert_string_equal(md5, "3796f25a27444aa6a8885c062253be16"); /* from Python's hashlib */
    sb_free(&b);
    assert_true(is_grease(0xfafa));
    assert_false(is_grease(0x0a1a));
}

static void test_names(void **state)
{
    (void)state;
    uint16_t id;
    assert_int_equal(suite_by_name("tls_rsa_with_aes_256_gcm_sha384", &id), 0);
    assert_int_equal(id, 0x009d);
    assert_int_equal(suite_by_name("0xc02f", &id), 0);
    assert_int_equal(id, 0xc02f);
    assert_int_equal(suite_by_name("RC4-MD5", &id), -1);
    assert_string_equal(extension_name(23), "extended_master_secret");
    assert_string_equal(sigalg_name(0x0804), "rsa_pss_rsae_sha256");
    assert_null(group_name(0x1234));
}

static void test_sbuf_cap(void **state)
{
    (void)state;
    sbuf b;
    sb_init(&b, 8);
    sb_puts(&b, "abc");
    sb_html(&b, "<");
    assert_string_equal(b.p, "abc&lt;");
    assert_false(b.overflow);
    sb_puts(&b, "x"); /* 8 bytes + NUL would exceed the cap */
    assert_true(b.overflow);
    assert_string_equal(b.p, "abc&lt;");
    sb_free(&b);
}

static void test_trace_store_bounds(void **state)
{
    (void)state;
    trace_store t = {0};
    char text[300];
    memset(text, 'x', sizeof(text) - 1);
    text[sizeof(text) - 1] = '\0';
    for (int i = 0; i < 100; i++)
        trace_store_add(&t, TLSFLOW_STEP_ALERT_SENT, text, (uint32_t)i);
    assert_true(t.n <= TRACE_MAX_EVENTS);
    assert_true(t.used <= TRACE_ARENA);
    assert_true(t.dropped > 0);
    assert_non_null(trace_store_find(&t, TLSFLOW_STEP_ALERT_SENT));
    assert_null(trace_store_find(&t, TLSFLOW_STEP_HANDSHAKE_DONE));
    assert_string_equal(trace_store_text(&t, 1000), "");
    trace_store_free(&t);
    assert_int_equal(t.n, 0);
    assert_null(t.arena);
}

/* The arena holds what was said and no more: a handshake's dozen sentences cost
 * about a kilobyte, not the 4 KiB cap. */
static void test_trace_store_holds_what_was_said(void **state)
{
    (void)state;
    trace_store t = {0};
    trace_store_add(&t, TLSFLOW_STEP_CLIENT_HELLO_RECEIVED, "ClientHello: 31 suites", 1);
    trace_store_add(&t, TLSFLOW_STEP_HANDSHAKE_DONE, "", 2);
    trace_store_add(&t, TLSFLOW_STEP_ALERT_SENT, NULL, 3);
    assert_int_equal(t.n, 3);
    assert_int_equal(t.used, strlen("ClientHello: 31 suites") + 1 + 1 + 1);
    assert_string_equal(trace_store_find(&t, TLSFLOW_STEP_CLIENT_HELLO_RECEIVED),
                        "ClientHello: 31 suites");
    assert_string_equal(trace_store_text(&t, 1), "");
    assert_string_equal(trace_store_text(&t, 2), "");
    trace_store_free(&t);
}

/* Each event's step, time and text come back as added, from records that cost a few
 * bytes each in the arena (no fixed table of TRACE_MAX_EVENTS per connection). */
static void test_trace_store_records(void **state)
{
    (void)state;
    trace_store t = {0};
    assert_int_equal(trace_store_bytes(&t), 0);
    static const char *const said[] = {"ClientHello: 31 suites", "", "ServerHello", "ticket",
                                       "ticket"};
    static const tlsflow_step steps[] = {
        TLSFLOW_STEP_CLIENT_HELLO_RECEIVED, TLSFLOW_STEP_HANDSHAKE_KEYS,
        TLSFLOW_STEP_SERVER_HELLO_SENT, TLSFLOW_STEP_SESSION_TICKET_SENT,
        TLSFLOW_STEP_SESSION_TICKET_SENT};
    size_t text = 0;
    for (unsigned i = 0; i < 5; i++) {
        trace_store_add(&t, steps[i], said[i], 1000u * i + 7);
        text += strlen(said[i]) + 1;
    }
    assert_int_equal(t.n, 5);
    assert_int_equal(t.used, text);
    for (unsigned i = 0; i < 5; i++) {
        assert_int_equal(trace_store_step(&t, i), steps[i]);
        assert_int_equal(trace_store_at_us(&t, i), 1000u * i + 7);
        assert_string_equal(trace_store_text(&t, i), said[i]);
    }
    assert_int_equal(trace_store_count(&t, TLSFLOW_STEP_SESSION_TICKET_SENT), 2);
    assert_int_equal(trace_store_count(&t, TLSFLOW_STEP_ALERT_SENT), 0);
    assert_string_equal(trace_store_find(&t, TLSFLOW_STEP_SERVER_HELLO_SENT), "ServerHello");
    assert_true(trace_store_bytes(&t) <= text + 5 * 8);
    assert_true(sizeof(trace_store) <= 16);
    /* At the bound: TRACE_MAX_EVENTS records, the first and the last still readable. */
    for (unsigned i = 0; i < 100; i++)
        trace_store_add(&t, TLSFLOW_STEP_ALERT_SENT, "z", i);
    assert_int_equal(t.n, TRACE_MAX_EVENTS);
    assert_int_equal(t.dropped, 100 - (TRACE_MAX_EVENTS - 5));
    assert_string_equal(trace_store_text(&t, 0), said[0]);
    assert_int_equal(trace_store_step(&t, TRACE_MAX_EVENTS - 1), TLSFLOW_STEP_ALERT_SENT);
    assert_int_equal(trace_store_at_us(&t, TRACE_MAX_EVENTS - 1), TRACE_MAX_EVENTS - 6);
    assert_string_equal(trace_store_text(&t, TRACE_MAX_EVENTS - 1), "z");
    assert_true(trace_store_bytes(&t) <= t.used + TRACE_MAX_EVENTS * 8u);
    trace_store_free(&t);
    assert_int_equal(trace_store_bytes(&t), 0);
}

static void hello_fill(tlsflow_hello_info *h, size_t n, size_t n_pf, size_t alpn_len)
{
    memset(h, 0, sizeof(*h));
    h->version = 0x0303;
    h->n_suites = n;
    h->n_extensions = n > 2 ? n - 2 : n;
    h->n_groups = n / 2;
    h->n_sig_algs = n > 0 ? n - 1 : 0;
    for (size_t i = 0; i < n; i++) {
        h->suites[i] = (uint16_t)(0x1300 + i);
        h->extensions[i] = i < h->n_extensions ? (uint16_t)(0xfe00 + i) : 0;
        h->groups[i] = i < h->n_groups ? (uint16_t)(29 + i) : 0;
        h->sig_algs[i] = i < h->n_sig_algs ? (uint16_t)(0x0800 + i) : 0;
    }
    for (size_t i = 0; i < n_pf; i++)
        h->point_formats[i] = (uint8_t)i;
    h->n_point_formats = n_pf;
    for (size_t i = 0; i < alpn_len; i++)
        h->alpn[i] = (char)('a' + i % 26);
}

/* The packed ClientHello gives back exactly the summary it was made from, empty, typical
 * and at every list's longest, in an allocation of what was used. */
static void test_hello_pack_round_trip(void **state)
{
    (void)state;
    static const size_t shapes[][3] = {{0, 0, 0}, {17, 3, 8}, {TLSFLOW_INFO_LIST_MAX, 16, 255}};
    for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
        tlsflow_hello_info h, back;
        hello_fill(&h, shapes[k][0], shapes[k][1], shapes[k][2]);
        hello_pack *p = hello_pack_new(&h);
        assert_non_null(p);
        size_t used = (h.n_suites + h.n_extensions + h.n_groups + h.n_sig_algs) * 2 +
                      h.n_point_formats + strlen(h.alpn);
        assert_true(hello_pack_size(p) <= used + 8);
        memset(&back, 0xee, sizeof(back));
        hello_pack_unpack(p, &back);
        assert_memory_equal(&back, &h, sizeof(h));
        free(p);
    }
}

static size_t index_of(const flow_line *l, size_t n, const char *id)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(l[i].id, id) == 0)
            return i;
    return n;
}

/* TLS 1.3: the key shares ride in the hellos (steps 3 and 4), everything after
 * ServerHello that travels is encrypted; the classic flow keeps its order. */
static void test_flow_sequences(void **state)
{
    (void)state;
    tlsflow_info in;
    memset(&in, 0, sizeof(in));
    flow_facts f = {&in, 1, NULL, 0};
    flow_line l[FLOW_LINES_MAX];
    size_t n = flow_sequence(FLOW_TLS13, &f, l, FLOW_LINES_MAX);
    size_t sh = index_of(l, n, "server_hello");
    assert_true(sh < n);
    assert_int_equal(l[0].step, 3);
    assert_int_equal(l[sh].step, 4);
    assert_false(l[0].encrypted || l[sh].encrypted);
    for (size_t i = sh + 1; i < n; i++)
        if (l[i].dir != SEQ_AT_CLIENT && l[i].dir != SEQ_AT_SERVER)
            assert_true(l[i].encrypted);
    assert_int_equal(l[index_of(l, n, "certificate_verify")].step, 4);
    assert_true(index_of(l, n, "hello_retry_request") == n); /* only when it happened */
    assert_true(index_of(l, n, "certificate_request") == n);
    in.hello_retry = 1;
    in.client_cert_requested = in.client_cert_sent = 1;
    n = flow_sequence(FLOW_TLS13, &f, l, FLOW_LINES_MAX);
    assert_string_equal(l[1].id, "hello_retry_request");
    assert_int_equal(l[0].step, 0); /* the first ClientHello's share was of no use */
    assert_int_equal(l[index_of(l, n, "client_hello_retry")].step, 3);
    assert_true(l[index_of(l, n, "client_certificate_verify")].encrypted);

    in.hello_retry = 0;
    in.client_cert_requested = in.client_cert_sent = 0;
    n = flow_sequence(FLOW_RSA12, &f, l, FLOW_LINES_MAX);
    const char *steps[] = {"certificate", "verify", "client_key_exchange", "decrypt_premaster",
                           "application_data"};
    for (size_t i = 0, k = 0; i < n; i++)
        if (l[i].step) {
            assert_true(k < 5);
            assert_string_equal(l[i].id, steps[k]);
            assert_int_equal(l[i].step, (int)++k);
        }
    assert_false(l[index_of(l, n, "certificate")].encrypted);
    assert_true(l[index_of(l, n, "client_finished")].encrypted);
}

/* The comparison is a property of the table, and symmetric. */
static void test_flow_compare(void **state)
{
    (void)state;
    tlsflow_info in;
    memset(&in, 0, sizeof(in));
    flow_facts f = {&in, 1, NULL, 0};
    flow_diff a, b;
    flow_compare(FLOW_TLS13, FLOW_RSA12, &f, &a);
    flow_compare(FLOW_RSA12, FLOW_TLS13, &f, &b);
    assert_int_equal(a.n_added, b.n_gone);
    assert_int_equal(a.n_gone, b.n_added);
    assert_int_equal(a.n_changed, b.n_changed);
    int ee = 0, cke = 0, cert = 0;
    for (size_t i = 0; i < a.n_added; i++)
        ee |= strcmp(a.added[i], "EncryptedExtensions") == 0;
    for (size_t i = 0; i < a.n_gone; i++)
        cke |= strcmp(a.gone[i], "ClientKeyExchange") == 0;
    for (size_t i = 0; i < a.n_changed; i++)
        if (strcmp(a.changed[i].label, "Certificate") == 0)
            cert = strcmp(a.changed[i].why, "encrypted now") == 0;
    assert_true(ee && cke && cert);
    flow_compare(FLOW_TLS13, FLOW_TLS13, &f, &a);
    assert_int_equal(a.n_added + a.n_gone + a.n_changed, 0);
}

static int changed_with(const flow_diff *d, const char *label, seq_dir dir, const char *why)
{
    for (size_t i = 0; i < d->n_changed; i++)
        if (strcmp(d->changed[i].label, label) == 0 && d->changed[i].dir == dir &&
            strstr(d->changed[i].why, why))
            return 1;
    return 0;
}

static int listed(const char *const *l, size_t n, const char *label)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(l[i], label) == 0)
            return 1;
    return 0;
}

/* The resumed flows (issue 12): no certificate, the ticket at step 3, opened at step 4; in
 * TLS 1.2 the server's Finished first (RFC 5077 3.1); in TLS 1.3 the key shares stay. */
static void test_flow_resumed(void **state)
{
    (void)state;
    tlsflow_info in;
    memset(&in, 0, sizeof(in));
    in.version = TLSFLOW_VERSION_TLS12;
    in.cipher_suite = TLSFLOW_RSA_WITH_AES_128_GCM_SHA256;
    in.resumed = 1;
    assert_int_equal(flow_variant_of(&in), FLOW_RESUME12);
    assert_int_equal(flow_full_of(&in), FLOW_RSA12);
    in.cipher_suite = TLSFLOW_ECDHE_RSA_WITH_AES_128_GCM_SHA256;
    assert_int_equal(flow_full_of(&in), FLOW_ECDHE12);
    in.version = TLSFLOW_VERSION_TLS13;
    assert_int_equal(flow_variant_of(&in), FLOW_PSK13);
    assert_int_equal(flow_full_of(&in), FLOW_TLS13);
    assert_true(flow_is_resumed(FLOW_PSK13) && !flow_is_resumed(FLOW_TLS13));

    flow_facts f = {&in, 1, NULL, 1};
    flow_line l[FLOW_LINES_MAX];
    size_t n = flow_sequence(FLOW_RESUME12, &f, l, FLOW_LINES_MAX);
    assert_true(index_of(l, n, "certificate") == n);
    assert_true(index_of(l, n, "client_key_exchange") == n);
    assert_int_equal(l[index_of(l, n, "client_hello")].step, 3);
    assert_int_equal(l[index_of(l, n, "open_ticket")].step, 4);
    assert_int_equal(l[index_of(l, n, "verify")].step, 2);
    assert_int_equal(l[n - 1].step, 5);
    size_t sh = index_of(l, n, "server_hello"), nst = index_of(l, n, "new_session_ticket");
    size_t sf = index_of(l, n, "server_finished"), cf = index_of(l, n, "client_finished");
    assert_true(sh < nst && nst < sf && sf < cf && cf < n);
    assert_false(l[nst].encrypted);
    assert_true(l[sf].encrypted && l[cf].encrypted);

    n = flow_sequence(FLOW_PSK13, &f, l, FLOW_LINES_MAX);
    assert_true(index_of(l, n, "certificate") == n);
    assert_true(index_of(l, n, "certificate_verify") == n);
    assert_non_null(strstr(l[index_of(l, n, "client_hello")].label, "pre_shared_key"));
    assert_int_equal(l[index_of(l, n, "server_hello")].step, 4);
    assert_int_equal(l[index_of(l, n, "open_ticket")].step, 4);
    nst = index_of(l, n, "new_session_ticket");
    assert_true(index_of(l, n, "client_finished") < nst && nst < n && l[nst].encrypted);
    f.tickets_sent = 0;
    n = flow_sequence(FLOW_PSK13, &f, l, FLOW_LINES_MAX);
    assert_true(index_of(l, n, "new_session_ticket") == n);

    /* Against the full flow: the certificate and key exchange gone, the ticket opened, and
     * in TLS 1.2 the server's Finished moved before the client's. */
    flow_diff d;
    flow_compare(FLOW_RESUME12, FLOW_RSA12, &f, &d);
    assert_true(listed(d.gone, d.n_gone, "Certificate"));
    assert_true(listed(d.gone, d.n_gone, "ClientKeyExchange"));
    assert_true(listed(d.added, d.n_added, "open the ticket"));
    assert_true(changed_with(&d, "ChangeCipherSpec, Finished", SEQ_TO_CLIENT,
                             "now before ChangeCipherSpec, Finished from the client"));
    assert_true(changed_with(&d, "ClientHello + SessionTicket", SEQ_TO_SERVER, "carries step 3"));
    flow_compare(FLOW_PSK13, FLOW_TLS13, &f, &d);
    assert_true(listed(d.gone, d.n_gone, "Certificate"));
    assert_true(listed(d.gone, d.n_gone, "CertificateVerify"));
    assert_int_equal(d.n_added, 1);
    /* The full TLS 1.3 flow's server Finished comes before the client checks anything. */
    flow_compare(FLOW_TLS13, FLOW_RSA12, &f, &d);
    assert_true(changed_with(&d, "Finished", SEQ_TO_CLIENT, "now before Finished from the client"));

    assert_int_equal(flow_step_in(TLSFLOW_STEP_SESSION_RESUMED, FLOW_PSK13, TLSFLOW_SERVER), 4);
    assert_int_equal(flow_step_in(TLSFLOW_STEP_SESSION_RESUMED, FLOW_RESUME12, TLSFLOW_SERVER), 4);
    assert_int_equal(
        flow_step_in(TLSFLOW_STEP_CLIENT_HELLO_RECEIVED, FLOW_RESUME12, TLSFLOW_SERVER), 3);
    assert_string_equal(flow_step_label(TLSFLOW_STEP_SESSION_TICKET_SENT), "NewSessionTicket sent");
}

static void test_flow_steps_by_role(void **state)
{
    (void)state;
    assert_int_equal(flow_step_in(TLSFLOW_STEP_CLIENT_HELLO_RECEIVED, FLOW_TLS13, TLSFLOW_SERVER),
                     3);
    assert_int_equal(flow_step_in(TLSFLOW_STEP_CLIENT_HELLO_RECEIVED, FLOW_RSA12, TLSFLOW_SERVER),
                     0);
    assert_int_equal(flow_step_in(TLSFLOW_STEP_CERTIFICATE_VERIFY_SENT, FLOW_TLS13, TLSFLOW_SERVER),
                     4);
    /* On a server, a certificate received is the client's: none of the five. */
    assert_int_equal(flow_step_in(TLSFLOW_STEP_CERTIFICATE_VERIFIED, FLOW_TLS13, TLSFLOW_SERVER),
                     0);
    assert_int_equal(flow_step_in(TLSFLOW_STEP_CERTIFICATE_VERIFIED, FLOW_TLS13, TLSFLOW_CLIENT),
                     2);
    assert_string_equal(flow_step_label_in(TLSFLOW_STEP_CERTIFICATE_VERIFIED, TLSFLOW_SERVER),
                        "Client certificate verified");
    assert_int_equal(flow_step_number(TLSFLOW_STEP_PREMASTER_DECRYPTED), 4);
    assert_string_equal(flow_title(3, FLOW_TLS13), "Key share sent by the client");
    assert_string_equal(flow_title(3, FLOW_RSA12), "Session key encrypted by the client");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_get_keep_alive),
        cmocka_unit_test(test_http_connection_rules),
        cmocka_unit_test(test_http_incomplete_and_limits),
        cmocka_unit_test(test_http_malformed),
        cmocka_unit_test(test_hostport),
        cmocka_unit_test(test_hostport_format),
        cmocka_unit_test(test_ja3),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_sbuf_cap),
        cmocka_unit_test(test_trace_store_bounds),
        cmocka_unit_test(test_trace_store_holds_what_was_said),
        cmocka_unit_test(test_trace_store_records),
        cmocka_unit_test(test_hello_pack_round_trip),
        cmocka_unit_test(test_flow_sequences),
        cmocka_unit_test(test_flow_compare),
        cmocka_unit_test(test_flow_resumed),
        cmocka_unit_test(test_flow_steps_by_role),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
