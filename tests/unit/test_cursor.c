/* The bounds-checked cursor: every read and write stays inside its buffer, failures
 * are sticky, and vectors must be consumed exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cursor.h"

static void test_reads_in_order(void **state)
{
    (void)state;
    const uint8_t buf[] = {1, 0x02, 0x03, 0x04, 0x05, 0x06, 0xAA};
    tf_reader r = tf_reader_init(buf, sizeof(buf));
    uint8_t a;
    uint16_t b;
    uint32_t c;
    const uint8_t *rest;
    assert_true(tf_get_u8(&r, &a));
    assert_true(tf_get_u16(&r, &b));
    assert_true(tf_get_u24(&r, &c));
    assert_int_equal(a, 1);
    assert_int_equal(b, 0x0203);
    assert_int_equal(c, 0x040506);
    assert_true(tf_get_bytes(&r, 1, &rest));
    assert_int_equal(rest[0], 0xAA);
    assert_true(tf_reader_done(&r));
}

static void test_overrun_is_sticky(void **state)
{
    (void)state;
    const uint8_t buf[] = {1, 2, 3};
    tf_reader r = tf_reader_init(buf, sizeof(buf));
    uint32_t v;
    uint8_t b;
    assert_false(tf_get_u24(&r, &v) && tf_get_u8(&r, &b));
    assert_false(tf_get_u8(&r, &b)); /* still failed even though bytes were there */
    assert_false(tf_reader_ok(&r));
    assert_false(tf_reader_done(&r));
}

static void test_vectors(void **state)
{
    (void)state;
    const uint8_t ok[] = {0, 3, 'a', 'b', 'c', 9};
    tf_reader r = tf_reader_init(ok, sizeof(ok)), sub;
    assert_true(tf_get_vector(&r, 2, &sub));
    assert_int_equal(sub.len, 3);
    assert_memory_equal(sub.p, "abc", 3);
    assert_int_equal(r.len, 1);

    const uint8_t too_long[] = {0, 9, 'a'};
    r = tf_reader_init(too_long, sizeof(too_long));
    assert_false(tf_get_vector(&r, 2, &sub));
    assert_false(tf_reader_ok(&sub));

    r = tf_reader_init(ok, sizeof(ok));
    assert_false(tf_get_vector_bounded(&r, 2, 4, 10, &sub)); /* under the minimum */
    r = tf_reader_init(ok, sizeof(ok));
    assert_false(tf_get_vector_bounded(&r, 2, 0, 2, &sub)); /* over the maximum */
    r = tf_reader_init(ok, sizeof(ok));
    assert_false(tf_get_vector(&r, 4, &sub)); /* no such prefix */
}

static void test_empty_input(void **state)
{
    (void)state;
    tf_reader r = tf_reader_init(NULL, 0);
    uint8_t b;
    assert_true(tf_reader_done(&r));
    assert_false(tf_get_u8(&r, &b));
}

static void test_writer_backfills(void **state)
{
    (void)state;
    uint8_t buf[16];
    tf_writer w = tf_writer_init(buf, sizeof(buf));
    tf_vec outer = tf_put_vector_begin(&w, 3);
    tf_vec inner = tf_put_vector_begin(&w, 1);
    tf_put_bytes(&w, "xy", 2);
    assert_true(tf_put_vector_end(&w, inner));
    tf_put_u16(&w, 0xBEEF);
    assert_true(tf_put_vector_end(&w, outer));
    const uint8_t want[] = {0, 0, 5, 2, 'x', 'y', 0xBE, 0xEF};
    assert_int_equal(w.len, sizeof(want));
    assert_memory_equal(buf, want, sizeof(want));
}

static void test_writer_overflow(void **state)
{
    (void)state;
    uint8_t buf[4];
    tf_writer w = tf_writer_init(buf, sizeof(buf));
    assert_true(tf_put_u24(&w, 1));
    assert_false(tf_put_u16(&w, 2));
    assert_false(tf_put_u8(&w, 3)); /* sticky */
    assert_false(tf_writer_ok(&w));

    uint8_t big[300];
    w = tf_writer_init(big, sizeof(big));
    tf_vec v = tf_put_vector_begin(&w, 1);
    tf_put_reserve(&w, 256);
    assert_false(tf_put_vector_end(&w, v)); /* 256 does not fit a one-byte length */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_in_order),   cmocka_unit_test(test_overrun_is_sticky),
        cmocka_unit_test(test_vectors),          cmocka_unit_test(test_empty_input),
        cmocka_unit_test(test_writer_backfills), cmocka_unit_test(test_writer_overflow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
