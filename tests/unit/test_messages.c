/* Message parsers and writers: round trips, and every truncation, extension and
 * vector-length mistake rejected with the right error. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "msg.h"
#include "tlsflow/tlsflow.h"

static const uint16_t SUITES[] = {0x009C, 0x009D, 0x0a0a};
static const uint8_t ALPN[] = {2, 'h', '2', 8, 'h', 't', 't', 'p', '/', '1', '.', '1'};

static size_t write_client_hello(uint8_t *buf, size_t cap)
{
    tf_client_offer o;
    memset(&o, 0, sizeof(o));
    memset(o.random, 0x42, 32);
    o.suites = SUITES;
    o.n_suites = 3;
    o.sni = "example.com";
    o.ems = 1;
    o.alpn = ALPN;
    o.alpn_len = sizeof(ALPN);
    tf_writer w = tf_writer_init(buf, cap);
    assert_int_equal(tf_client_hello_write(&w, &o), 0);
    return w.len;
}

static void test_client_hello_round_trip(void **state)
{
    (void)state;
    uint8_t buf[1024];
    size_t n = write_client_hello(buf, sizeof(buf));
    tf_client_hello ch;
    const char *why = NULL;
    assert_int_equal(tf_client_hello_parse(buf, n, &ch, &why), TLSFLOW_OK);
    assert_int_equal(ch.version, 0x0303);
    assert_int_equal(ch.suites.len, 6);
    assert_int_equal(ch.ext.sni_host.len, 11);
    assert_memory_equal(ch.ext.sni_host.p, "example.com", 11);
    assert_true(ch.ext.ems);
    assert_true(ch.ext.ri);
    assert_int_equal(ch.ext.ri_data.len, 0);
    assert_true(ch.ext.sig_algs);
    assert_true(ch.ext.alpn);
    assert_int_equal(ch.ext.alpn_list.len, sizeof(ALPN));
    assert_true(
        tf_alpn_contains(ch.ext.alpn_list.p, ch.ext.alpn_list.len, (const uint8_t *)"http/1.1", 8));
    assert_false(
        tf_alpn_contains(ch.ext.alpn_list.p, ch.ext.alpn_list.len, (const uint8_t *)"http/1", 6));
}

/* Every proper prefix of a valid message is malformed; so is a trailing byte. */
static void test_client_hello_truncations(void **state)
{
    (void)state;
    uint8_t buf[1024];
    size_t n = write_client_hello(buf, sizeof(buf));
    tf_client_hello ch;
    const char *why = NULL;
    size_t fixed = 2 + 32 + 1 + 2 + 6 + 2; /* without extensions the hello is valid */
    for (size_t cut = 0; cut < n; cut++) {
        int err = tf_client_hello_parse(buf, cut, &ch, &why);
        if (cut == fixed)
            assert_int_equal(err, TLSFLOW_OK);
        else
            assert_int_equal(err, TLSFLOW_E_DECODE);
    }
    buf[n] = 0;
    assert_int_equal(tf_client_hello_parse(buf, n + 1, &ch, &why), TLSFLOW_E_DECODE);
}

/* A hand-built hello around an extensions block. */
static size_t hello_with_extensions(uint8_t *buf, const uint8_t *exts, size_t len)
{
    tf_writer w = tf_writer_init(buf, 2048);
    tf_put_u16(&w, 0x0303);
    tf_put_reserve(&w, 32);
    tf_put_u8(&w, 0);
    tf_put_u16(&w, 2);
    tf_put_u16(&w, 0x009C);
    tf_put_u8(&w, 1);
    tf_put_u8(&w, 0);
    tf_put_u16(&w, (uint16_t)len);
    tf_put_bytes(&w, exts, len);
    assert_true(tf_writer_ok(&w));
    return w.len;
}

static int parse_exts(const uint8_t *exts, size_t len, tf_client_hello *ch)
{
    static uint8_t buf[2048];
    const char *why = NULL;
    size_t n = hello_with_extensions(buf, exts, len);
    return tf_client_hello_parse(buf, n, ch, &why);
}

static void test_extension_rules(void **state)
{
    (void)state;
    tf_client_hello ch;
    /* duplicate extension */
    static const uint8_t dup[] = {0, 23, 0, 0, 0, 23, 0, 0};
    assert_int_equal(parse_exts(dup, sizeof(dup), &ch), TLSFLOW_E_ILLEGAL_PARAMETER);
    /* duplicate unknown extension */
    static const uint8_t dup_unknown[] = {0x12, 0x34, 0, 1, 9, 0x12, 0x34, 0, 0};
    assert_int_equal(parse_exts(dup_unknown, sizeof(dup_unknown), &ch),
                     TLSFLOW_E_ILLEGAL_PARAMETER);
    /* GREASE and unknown extensions with bodies are ignored */
    static const uint8_t grease[] = {0x3a, 0x3a, 0, 1, 0, 0x77, 0x77, 0, 2, 1, 2};
    assert_int_equal(parse_exts(grease, sizeof(grease), &ch), TLSFLOW_OK);
    assert_int_equal(ch.ext.n_types, 2);
    assert_true(tf_is_grease(0x3a3a));
    assert_false(tf_is_grease(0x3a3b));
    /* EMS must be empty */
    static const uint8_t ems[] = {0, 23, 0, 1, 0};
    assert_int_equal(parse_exts(ems, sizeof(ems), &ch), TLSFLOW_E_DECODE);
    /* SNI with two host names */
    static const uint8_t sni2[] = {0, 0, 0, 10, 0, 8, 0, 0, 1, 'a', 0, 0, 1, 'b'};
    assert_int_equal(parse_exts(sni2, sizeof(sni2), &ch), TLSFLOW_E_ILLEGAL_PARAMETER);
    /* SNI list length disagrees with the extension length */
    static const uint8_t sni_bad[] = {0, 0, 0, 6, 0, 9, 0, 0, 1, 'a'};
    assert_int_equal(parse_exts(sni_bad, sizeof(sni_bad), &ch), TLSFLOW_E_DECODE);
    /* SNI with a control character */
    static const uint8_t sni_ctl[] = {0, 0, 0, 6, 0, 4, 0, 0, 1, '\n'};
    assert_int_equal(parse_exts(sni_ctl, sizeof(sni_ctl), &ch), TLSFLOW_E_ILLEGAL_PARAMETER);
    /* ALPN with an empty protocol name */
    static const uint8_t alpn_empty[] = {0, 16, 0, 5, 0, 3, 2, 'h', '2', 0};
    assert_int_equal(parse_exts(alpn_empty, sizeof(alpn_empty), &ch), TLSFLOW_E_DECODE);
    /* signature_algorithms with an odd length */
    static const uint8_t sig_odd[] = {0, 13, 0, 5, 0, 3, 4, 1, 5};
    assert_int_equal(parse_exts(sig_odd, sizeof(sig_odd), &ch), TLSFLOW_E_DECODE);
    /* renegotiation_info whose inner length overruns */
    static const uint8_t ri_bad[] = {0xff, 1, 0, 1, 5};
    assert_int_equal(parse_exts(ri_bad, sizeof(ri_bad), &ch), TLSFLOW_E_DECODE);
    /* an extension header that runs past the block */
    static const uint8_t trunc[] = {0, 23, 0, 4, 0};
    assert_int_equal(parse_exts(trunc, sizeof(trunc), &ch), TLSFLOW_E_DECODE);
    /* no extensions at all: valid, and nothing was offered */
    assert_int_equal(parse_exts(NULL, 0, &ch), TLSFLOW_OK);
    assert_false(ch.ext.sig_algs);
}

static void test_client_hello_vector_rules(void **state)
{
    (void)state;
    uint8_t buf[256];
    tf_client_hello ch;
    const char *why;
    /* odd cipher_suites length */
    static const uint8_t odd[] = {3, 3};
    tf_writer w = tf_writer_init(buf, sizeof(buf));
    tf_put_bytes(&w, odd, 2);
    tf_put_reserve(&w, 32);
    tf_put_u8(&w, 0);
    tf_put_u16(&w, 3);
    tf_put_bytes(&w, "\x00\x9c\x00", 3);
    tf_put_u8(&w, 1);
    tf_put_u8(&w, 0);
    assert_int_equal(tf_client_hello_parse(buf, w.len, &ch, &why), TLSFLOW_E_DECODE);
    /* session id longer than 32 */
    w = tf_writer_init(buf, sizeof(buf));
    tf_put_bytes(&w, odd, 2);
    tf_put_reserve(&w, 32);
    tf_put_u8(&w, 33);
    tf_put_reserve(&w, 33);
    tf_put_u16(&w, 2);
    tf_put_u16(&w, 0x009c);
    tf_put_u8(&w, 1);
    tf_put_u8(&w, 0);
    assert_int_equal(tf_client_hello_parse(buf, w.len, &ch, &why), TLSFLOW_E_DECODE);
    /* empty compression list */
    w = tf_writer_init(buf, sizeof(buf));
    tf_put_bytes(&w, odd, 2);
    tf_put_reserve(&w, 32);
    tf_put_u8(&w, 0);
    tf_put_u16(&w, 2);
    tf_put_u16(&w, 0x009c);
    tf_put_u8(&w, 0);
    assert_int_equal(tf_client_hello_parse(buf, w.len, &ch, &why), TLSFLOW_E_DECODE);
}

static void test_server_hello_round_trip_and_truncations(void **state)
{
    (void)state;
    uint8_t buf[512];
    tf_server_answer a;
    memset(&a, 0, sizeof(a));
    memset(a.random, 7, 32);
    a.suite = 0x009D;
    a.ems = 1;
    a.ri = 1;
    a.alpn = (const uint8_t *)"h2";
    a.alpn_len = 2;
    tf_writer w = tf_writer_init(buf, sizeof(buf));
    assert_int_equal(tf_server_hello_write(&w, &a), 0);
    tf_server_hello sh;
    const char *why;
    assert_int_equal(tf_server_hello_parse(buf, w.len, &sh, &why), TLSFLOW_OK);
    assert_int_equal(sh.suite, 0x009D);
    assert_memory_equal(sh.random, a.random, 32);
    assert_true(sh.ext.ems && sh.ext.ri && sh.ext.alpn);
    size_t fixed = 2 + 32 + 1 + 2 + 1;
    for (size_t cut = 0; cut < w.len; cut++)
        assert_int_equal(tf_server_hello_parse(buf, cut, &sh, &why),
                         cut == fixed ? TLSFLOW_OK : TLSFLOW_E_DECODE);
}

/* A server may select exactly one ALPN protocol. */
static void test_server_hello_two_alpn_protocols(void **state)
{
    (void)state;
    uint8_t buf[128];
    tf_writer w = tf_writer_init(buf, sizeof(buf));
    tf_put_u16(&w, 0x0303);
    tf_put_reserve(&w, 32);
    tf_put_u8(&w, 0);
    tf_put_u16(&w, 0x009c);
    tf_put_u8(&w, 0);
    static const uint8_t ext[] = {0, 16, 0, 8, 0, 6, 2, 'h', '2', 2, 'h', '3'};
    tf_put_u16(&w, sizeof(ext));
    tf_put_bytes(&w, ext, sizeof(ext));
    tf_server_hello sh;
    const char *why;
    assert_int_equal(tf_server_hello_parse(buf, w.len, &sh, &why), TLSFLOW_E_DECODE);
}

static void test_certificate(void **state)
{
    (void)state;
    uint8_t buf[256];
    const uint8_t a[] = {0x30, 1, 2}, b[] = {0x30, 3};
    const uint8_t *certs[] = {a, b};
    size_t lens[] = {3, 2};
    tf_writer w = tf_writer_init(buf, sizeof(buf));
    assert_int_equal(tf_certificate_write(&w, certs, lens, 2), 0);
    tf_certificate c;
    const char *why;
    assert_int_equal(tf_certificate_parse(buf, w.len, &c, &why), TLSFLOW_OK);
    assert_int_equal(c.n_certs, 2);
    assert_memory_equal(c.certs[1].p, b, 2);
    for (size_t cut = 0; cut < w.len; cut++)
        assert_int_equal(tf_certificate_parse(buf, cut, &c, &why), TLSFLOW_E_DECODE);
    /* an empty certificate entry */
    static const uint8_t empty_entry[] = {0, 0, 3, 0, 0, 0};
    assert_int_equal(tf_certificate_parse(empty_entry, 6, &c, &why), TLSFLOW_E_DECODE);
    /* an empty list parses (the client role turns it into CERT_MISSING) */
    static const uint8_t empty_list[] = {0, 0, 0};
    assert_int_equal(tf_certificate_parse(empty_list, 3, &c, &why), TLSFLOW_OK);
    assert_int_equal(c.n_certs, 0);
    /* more than ten certificates */
    uint8_t many[3 + 11 * 4];
    w = tf_writer_init(many, sizeof(many));
    tf_put_u24(&w, 11 * 4);
    for (int i = 0; i < 11; i++) {
        tf_put_u24(&w, 1);
        tf_put_u8(&w, 0x30);
    }
    assert_int_equal(tf_certificate_parse(many, w.len, &c, &why), TLSFLOW_E_CERT_BAD);
}

static void test_client_key_exchange_and_finished(void **state)
{
    (void)state;
    uint8_t buf[64], enc[40];
    memset(enc, 9, sizeof(enc));
    tf_writer w = tf_writer_init(buf, sizeof(buf));
    assert_int_equal(tf_client_key_exchange_write(&w, enc, sizeof(enc)), 0);
    tf_view v;
    const char *why;
    assert_int_equal(tf_client_key_exchange_parse(buf, w.len, &v, &why), TLSFLOW_OK);
    assert_int_equal(v.len, sizeof(enc));
    for (size_t cut = 0; cut < w.len; cut++)
        assert_int_equal(tf_client_key_exchange_parse(buf, cut, &v, &why), TLSFLOW_E_DECODE);
    assert_int_equal(tf_client_key_exchange_parse(buf, w.len + 1, &v, &why), TLSFLOW_E_DECODE);

    uint8_t fin[13] = {0};
    assert_int_equal(tf_finished_parse(fin, 12, &v, &why), TLSFLOW_OK);
    assert_int_equal(tf_finished_parse(fin, 11, &v, &why), TLSFLOW_E_DECODE);
    assert_int_equal(tf_finished_parse(fin, 13, &v, &why), TLSFLOW_E_DECODE);
    assert_int_equal(tf_empty_parse(fin, 0, &why), TLSFLOW_OK);
    assert_int_equal(tf_empty_parse(fin, 1, &why), TLSFLOW_E_DECODE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_hello_round_trip),
        cmocka_unit_test(test_client_hello_truncations),
        cmocka_unit_test(test_extension_rules),
        cmocka_unit_test(test_client_hello_vector_rules),
        cmocka_unit_test(test_server_hello_round_trip_and_truncations),
        cmocka_unit_test(test_server_hello_two_alpn_protocols),
        cmocka_unit_test(test_certificate),
        cmocka_unit_test(test_client_key_exchange_and_finished),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
