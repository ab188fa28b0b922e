/* --pkcs11-key references (server/keys/p11_uri.c): a plain label, and RFC 7512 URIs with
 * %-escapes, the attributes a server key uses, and what is refused. No token needed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "keys/p11_uri.h"

static p11_uri u;
static char why[256];

static int parse(const char *s)
{
    why[0] = 0;
    return p11_uri_parse(s, &u, why, sizeof(why));
}

static void test_plain_label(void **state)
{
    (void)state;
    assert_int_equal(parse("server key"), 0);
    assert_string_equal(u.object, "server key");
    assert_false(u.has_id);
    assert_false(u.has_pin);
    assert_string_equal(u.token, "");
    assert_string_equal(u.module, "");
}

static void test_rfc7512_examples(void **state)
{
    (void)state;
    /* RFC 7512 §3 style: path attributes, %-escapes, query attributes. */
    assert_int_equal(parse("pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;"
                           "manufacturer=Snake%20Oil,%20Inc.;model=1.0;object=my-certificate;"
                           "type=private;serial=42?pin-value=1234&module-path=/usr/lib/x.so"),
                     0);
    assert_string_equal(u.token, "The Software PKCS#11 Softtoken");
    assert_string_equal(u.manufacturer, "Snake Oil, Inc.");
    assert_string_equal(u.model, "1.0");
    assert_string_equal(u.serial, "42");
    assert_string_equal(u.object, "my-certificate");
    assert_true(u.has_pin);
    assert_string_equal(u.pin, "1234");
    assert_string_equal(u.module, "/usr/lib/x.so");
    /* id is binary: %00 stays a byte. */
    assert_int_equal(parse("pkcs11:id=%01%00%ff;library-version=1"), 0);
    assert_true(u.has_id);
    assert_int_equal(u.id_len, 3);
    assert_memory_equal(u.id, "\x01\x00\xff", 3);
    assert_string_equal(u.object, "");
    assert_int_equal(parse("pkcs11:object=k?pin-source=file:/run/pin"), 0);
    assert_false(u.has_pin);
    assert_string_equal(u.pin_source, "file:/run/pin");
    /* An empty pin-value is a PIN (the empty one). */
    assert_int_equal(parse("pkcs11:object=k?pin-value="), 0);
    assert_true(u.has_pin);
    assert_string_equal(u.pin, "");
}

static void test_refused(void **state)
{
    (void)state;
    static const struct {
        const char *uri, *why;
    } bad[] = {
        {"", "empty"},
        {"pkcs11:", "names no key"},
        {"pkcs11:token=t", "names no key"},
        {"pkcs11:object=a;object=b", "object given twice"},
        {"pkcs11:object=a;colour=red", "unsupported attribute 'colour'"},
        {"pkcs11:object=a?pin-value=1&pin-source=/f", "both given"},
        {"pkcs11:object=a?pin-valu=1", "unsupported attribute 'pin-valu'"},
        {"pkcs11:object=a%2", "bad %-escape"},
        {"pkcs11:object=a%zz", "bad %-escape"},
        {"pkcs11:object=a%00b", "NUL"},
        {"pkcs11:object=a;type=public", "type=private"},
        {"pkcs11:object", "not NAME=VALUE"},
        {"pkcs11:token=012345678901234567890123456789012;object=a", "longer than 32"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(parse(bad[i].uri), -1);
        if (!strstr(why, bad[i].why))
            fail_msg("'%s': '%s' does not say '%s'", bad[i].uri, why, bad[i].why);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_label),
        cmocka_unit_test(test_rfc7512_examples),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
