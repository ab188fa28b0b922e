/* The server's own small parsers and buffers, without sockets: the HTTP head reader,
 * HOST:PORT, the JA3 string and hash, the bounded text buffer and trace store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pages/hello_names.h"
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_get_keep_alive),
        cmocka_unit_test(test_http_connection_rules),
        cmocka_unit_test(test_http_incomplete_and_limits),
        cmocka_unit_test(test_http_malformed),
        cmocka_unit_test(test_hostport),
        cmocka_unit_test(test_ja3),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_sbuf_cap),
        cmocka_unit_test(test_trace_store_bounds),
        cmocka_unit_test(test_trace_store_holds_what_was_said),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
