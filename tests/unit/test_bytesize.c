/* Sizes in bytes as runtime.query_memory_limit takes them (core/bytesize.c):
 * Spark's binary units, and the form messages print them in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bytesize.h"

static int64_t bytes_of(const char *s)
{
    int64_t b = -1;
    if (sluice_bytesize_parse(s, &b) != 0) fail_msg("'%s' should parse", s);
    return b;
}

static void test_bytesize_parse_reads_binary_units_as_spark_does(void **state)
{
    assert_int_equal(bytes_of("256 MiB"), 256 << 20);
    assert_int_equal(bytes_of("256MiB"), 256 << 20);
    assert_int_equal(bytes_of("256m"), 256 << 20);
    assert_int_equal(bytes_of("256mb"), 256 << 20); /* Spark's "MB" is 2^20 too */
    assert_int_equal(bytes_of("64 KiB"), 64 << 10);
    assert_int_equal(bytes_of("1g"), 1 << 30);
    assert_int_equal(bytes_of("1 GB"), 1 << 30);
    assert_int_equal(bytes_of("2t"), 2LL << 40);
    assert_int_equal(bytes_of("512 bytes"), 512);
    assert_int_equal(bytes_of("512b"), 512);
    assert_int_equal(bytes_of("512"), 512);
    assert_int_equal(bytes_of(" 1 byte "), 1);
}

static void test_bytesize_parse_rejects_fractions_signs_units_and_overflow(void **state)
{
    const char *bad[] = { "", "MiB", "-1 MiB", "1.5 GiB", "10 parsecs", "1 MiB 2", "99999999999 TiB",
                          "99999999999999999999", "+5" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t b;
        if (sluice_bytesize_parse(bad[i], &b) == 0) fail_msg("'%s' should not parse", bad[i]);
    }
}

static void test_bytesize_format_picks_the_largest_whole_unit(void **state)
{
    static const struct { int64_t bytes; const char *text; } cases[] = {
        { 0, "0 bytes" }, { 1, "1 byte" }, { 1023, "1023 bytes" }, { 1024, "1 KiB" }, { 1536, "1.5 KiB" },
        { 256 << 20, "256 MiB" }, { 1 << 30, "1 GiB" }, { 3LL << 40, "3 TiB" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct sluice_buf out = { 0 };
        sluice_bytesize_format(cases[i].bytes, &out);
        assert_string_equal(out.data, cases[i].text);
        sluice_buf_free(&out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bytesize_parse_reads_binary_units_as_spark_does),
        cmocka_unit_test(test_bytesize_parse_rejects_fractions_signs_units_and_overflow),
        cmocka_unit_test(test_bytesize_format_picks_the_largest_whole_unit),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
