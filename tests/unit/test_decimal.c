/* DECIMAL values (core/util/decimal.c), by hand against Java's BigDecimal
 * with ROUND_HALF_UP and Spark's DecimalPrecision rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "decimal.h"

static char *fmt(sluice_dec v, int s)
{
    static char text[64];
    struct sluice_buf b = { 0 };
    sluice_dec_format(v, s, &b);
    snprintf(text, sizeof text, "%s", b.data);
    sluice_buf_free(&b);
    return text;
}

/* Parse at (p, s) and print back: the text, or "bad" / "overflow". */
static const char *round_trip(const char *text, int p, int s)
{
    sluice_dec v;
    int rc = sluice_dec_parse(text, strlen(text), p, s, &v);
    return rc == -1 ? "bad" : rc == -2 ? "overflow" : fmt(v, s);
}

static void test_decimal_parses_and_rounds_half_up(void **state)
{
    (void)state;
    assert_string_equal(round_trip("12.345", 10, 2), "12.35");
    assert_string_equal(round_trip("-12.345", 10, 2), "-12.35");
    assert_string_equal(round_trip("12.344", 10, 2), "12.34");
    assert_string_equal(round_trip("0.05", 5, 1), "0.1");
    assert_string_equal(round_trip("-0.04", 5, 1), "0.0");
    assert_string_equal(round_trip(".5", 3, 0), "1");
    assert_string_equal(round_trip("+7", 3, 2), "7.00");
    assert_string_equal(round_trip("1e3", 10, 0), "1000");
    assert_string_equal(round_trip("1.25E-1", 10, 3), "0.125");
    assert_string_equal(round_trip("000123.4500", 10, 4), "123.4500");
    assert_string_equal(round_trip("99.995", 4, 2), "overflow"); /* 100.00 needs 5 digits */
    assert_string_equal(round_trip("99.994", 4, 2), "99.99");
    assert_string_equal(round_trip("12345678901234567890123456789012345678", 38, 0),
                        "12345678901234567890123456789012345678");
    assert_string_equal(round_trip("123456789012345678901234567890123456789", 38, 0), "overflow");
    assert_string_equal(round_trip("0.000000000000000000000000000000000000000001", 10, 2), "0.00");
    assert_string_equal(round_trip("", 10, 2), "bad");
    assert_string_equal(round_trip("1.2.3", 10, 2), "bad");
    assert_string_equal(round_trip("12a", 10, 2), "bad");
    assert_string_equal(round_trip("1e", 10, 2), "bad");
    assert_string_equal(round_trip("-", 10, 2), "bad");
    assert_string_equal(fmt(-5, 3), "-0.005");
    assert_string_equal(fmt(0, 2), "0.00");
}

static void test_decimal_converts_as_spark_casts(void **state)
{
    (void)state;
    sluice_dec v;
    assert_true(sluice_dec_from_double(0.1, 10, 5, &v));
    assert_string_equal(fmt(v, 5), "0.10000"); /* the double's shortest text, not 0.1000000000000000055... */
    assert_true(sluice_dec_from_double(-2.675, 10, 2, &v));
    assert_string_equal(fmt(v, 2), "-2.68");
    assert_false(sluice_dec_from_double(1e20, 10, 2, &v));
    assert_false(sluice_dec_from_double(0.0 / 0.0, 10, 2, &v));
    assert_true(sluice_dec_rescale(12345, 2, 0, 10, &v));
    assert_string_equal(fmt(v, 0), "123");
    assert_true(sluice_dec_rescale(-12350, 3, 1, 10, &v));
    assert_string_equal(fmt(v, 1), "-12.4");
    assert_false(sluice_dec_rescale(12345, 2, 4, 6, &v));
    int64_t l;
    assert_true(sluice_dec_to_long(-12399, 2, &l));
    assert_int_equal(l, -123); /* truncated toward zero */
    assert_true(sluice_dec_to_double(12345, 2) == 123.45);
}

static void test_decimal_computes_exactly_then_rounds(void **state)
{
    (void)state;
    sluice_dec v;
    /* 1.10 + 2.205 at Spark's (5, 3) */
    assert_true(sluice_dec_add(110, 2, 2205, 3, 5, 3, &v));
    assert_string_equal(fmt(v, 3), "3.305");
    assert_true(sluice_dec_add(-110, 2, 2205, 3, 5, 3, &v));
    assert_string_equal(fmt(v, 3), "1.105");
    assert_true(sluice_dec_mul(-150, 2, 3, 0, 10, 2, &v));
    assert_string_equal(fmt(v, 2), "-4.50");
    /* 1 / 3 at scale 6, 2 / 3 rounds up */
    assert_true(sluice_dec_div(1, 0, 3, 0, 38, 6, &v));
    assert_string_equal(fmt(v, 6), "0.333333");
    assert_true(sluice_dec_div(-2, 0, 3, 0, 38, 6, &v));
    assert_string_equal(fmt(v, 6), "-0.666667");
    assert_false(sluice_dec_div(1, 0, 0, 0, 38, 6, &v));
    assert_true(sluice_dec_mod(-75, 1, 20, 1, 10, 1, &v));
    assert_string_equal(fmt(v, 1), "-1.5");
    /* A product of two 38-digit values past 128 bits, rounded back into range. */
    sluice_dec big = sluice_dec_pow10(37) * 9;
    assert_true(sluice_dec_mul(big, 37, big, 37, 38, 36, &v));
    assert_string_equal(fmt(v, 36), "81.000000000000000000000000000000000000");
    assert_false(sluice_dec_mul(big, 0, big, 0, 38, 0, &v));
    assert_int_equal(sluice_dec_cmp(150, 2, 15, 1), 0);
    assert_int_equal(sluice_dec_cmp(-150, 2, 14, 1), -1);
    assert_int_equal(sluice_dec_cmp(big, 0, 1, 38), 1);
}

static void test_decimal_result_types_follow_spark(void **state)
{
    (void)state;
    int p, s;
    sluice_dec_result_type('+', 10, 2, 5, 3, &p, &s);
    assert_int_equal(p, 12), assert_int_equal(s, 3);
    sluice_dec_result_type('*', 10, 2, 5, 3, &p, &s);
    assert_int_equal(p, 16), assert_int_equal(s, 5);
    sluice_dec_result_type('/', 10, 2, 5, 3, &p, &s);
    assert_int_equal(p, 19), assert_int_equal(s, 8);
    sluice_dec_result_type('%', 10, 2, 5, 3, &p, &s);
    assert_int_equal(p, 5), assert_int_equal(s, 3);
    /* Bounded to 38, keeping 6 digits of scale: decimal(38,10) * decimal(38,10). */
    sluice_dec_result_type('*', 38, 10, 38, 10, &p, &s);
    assert_int_equal(p, 38), assert_int_equal(s, 6);
    sluice_dec_result_type('/', 38, 18, 38, 18, &p, &s);
    assert_int_equal(p, 38), assert_int_equal(s, 6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decimal_parses_and_rounds_half_up),
        cmocka_unit_test(test_decimal_converts_as_spark_casts),
        cmocka_unit_test(test_decimal_computes_exactly_then_rounds),
        cmocka_unit_test(test_decimal_result_types_follow_spark),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
