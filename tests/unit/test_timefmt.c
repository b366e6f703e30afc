#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "timefmt.h"

#define TWEET_US 1620028540000000LL /* 2021-05-03T07:55:40Z */

static int64_t parse(const char *s)
{
    int64_t us = 0;
    assert_int_equal(sluice_time_parse(s, strlen(s), &us), 0);
    return us;
}

static void test_time_parse_reads_twitter_timestamps(void **state)
{
    assert_int_equal(parse("2021-05-03T07:55:40.000Z"), TWEET_US);
    assert_int_equal(parse("2021-05-03T07:55:40Z"), TWEET_US);
    assert_int_equal(parse("2021-05-03T07:55:40.123Z"), TWEET_US + 123000);
    assert_int_equal(parse("2021-05-03T07:55:40.123456789Z"), TWEET_US + 123456);
}

static void test_time_parse_applies_offsets_and_reads_bare_times_as_utc(void **state)
{
    assert_int_equal(parse("2021-05-03T09:55:40+02:00"), TWEET_US);
    assert_int_equal(parse("2021-05-03T09:55:40+0200"), TWEET_US);
    assert_int_equal(parse("2021-05-03T02:55:40-05"), TWEET_US);
    assert_int_equal(parse("2021-05-03 07:55:40"), TWEET_US);
    assert_int_equal(parse("2021-05-03T07:55"), TWEET_US - 40000000);
    assert_int_equal(parse("2021-05-03"), TWEET_US - (7 * 3600 + 55 * 60 + 40) * 1000000LL);
    assert_int_equal(parse("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(parse("1969-12-31T23:59:59.5Z"), -500000);
}

static void test_time_parse_rejects_what_is_not_a_timestamp(void **state)
{
    const char *bad[] = { "", "2021", "2021-13-01", "2021-02-29", "2021-05-03T25:00:00",
                          "2021-05-03T07:55:40Zjunk", "hello", "2021-05-03T07:55:40.", "2021/05/03" };
    int64_t us;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(sluice_time_parse(bad[i], strlen(bad[i]), &us), -1);
    assert_int_equal(parse("2020-02-29"), 1582934400000000LL);
}

static void test_time_format_iso_always_prints_milliseconds(void **state)
{
    char out[40];
    assert_int_equal(sluice_time_format_iso(TWEET_US, out), 24);
    assert_string_equal(out, "2021-05-03T07:55:40.000Z");
    sluice_time_format_iso(TWEET_US + 123999, out);
    assert_string_equal(out, "2021-05-03T07:55:40.123Z");
    sluice_time_format_iso(-1, out);
    assert_string_equal(out, "1969-12-31T23:59:59.999Z");
}

static void test_time_format_show_trims_the_fraction_as_spark_does(void **state)
{
    char out[40];
    sluice_time_format_show(TWEET_US, out);
    assert_string_equal(out, "2021-05-03 07:55:40");
    sluice_time_format_show(TWEET_US + 120000, out);
    assert_string_equal(out, "2021-05-03 07:55:40.12");
    sluice_time_format_show(TWEET_US + 1, out);
    assert_string_equal(out, "2021-05-03 07:55:40.000001");
}

static void test_civil_days_round_trip_across_eras(void **state)
{
    for (int64_t d = -800000; d <= 800000; d += 997) {
        int64_t y;
        unsigned m, day;
        sluice_civil_from_days(d, &y, &m, &day);
        assert_int_equal(sluice_days_from_civil(y, m, day), d);
    }
    assert_int_equal(sluice_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(sluice_days_from_civil(2000, 3, 1), 11017);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_parse_reads_twitter_timestamps),
        cmocka_unit_test(test_time_parse_applies_offsets_and_reads_bare_times_as_utc),
        cmocka_unit_test(test_time_parse_rejects_what_is_not_a_timestamp),
        cmocka_unit_test(test_time_format_iso_always_prints_milliseconds),
        cmocka_unit_test(test_time_format_show_trims_the_fraction_as_spark_does),
        cmocka_unit_test(test_civil_days_round_trip_across_eras),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
