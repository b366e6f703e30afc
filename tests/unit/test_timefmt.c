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

/* Spark writes a year as Java's `uuuu` does (DateTimeFormatterHelper turns
 * the pattern's `yyyy` into `uuuu`): four digits from 0000 to 9999, a sign
 * and more digits beyond. */
static void test_time_format_writes_years_outside_0001_to_9999_as_spark_does(void **state)
{
    char out[40];
    sluice_time_format_iso(253402300800LL * 1000000, out); /* 9999-12-31T23:59:59Z + 1 s */
    assert_string_equal(out, "+10000-01-01T00:00:00.000Z");
    sluice_time_format_iso(253402300799999000LL, out);
    assert_string_equal(out, "9999-12-31T23:59:59.999Z");
    sluice_time_format_iso(sluice_days_from_civil(1, 1, 1) * 86400000000LL - 1000, out);
    assert_string_equal(out, "0000-12-31T23:59:59.999Z");
    sluice_time_format_iso(sluice_days_from_civil(-1, 1, 1) * 86400000000LL, out);
    assert_string_equal(out, "-0001-01-01T00:00:00.000Z");
    /* The ends of the range, as Spark prints them (with milliseconds). */
    sluice_time_format_iso(INT64_MAX, out);
    assert_string_equal(out, "+294247-01-10T04:00:54.775Z");
    sluice_time_format_iso(INT64_MIN, out);
    assert_string_equal(out, "-290308-12-21T19:59:05.224Z");
    sluice_time_format_show(253402300800LL * 1000000, out);
    assert_string_equal(out, "+10000-01-01 00:00:00");
    sluice_time_format_show(sluice_days_from_civil(-44, 3, 15) * 86400000000LL, out);
    assert_string_equal(out, "-0044-03-15 00:00:00");
}

static void test_time_parse_reads_signed_and_long_years(void **state)
{
    assert_int_equal(parse("+10000-01-01T00:00:00.000Z"), 253402300800LL * 1000000);
    assert_int_equal(parse("10000-01-01T00:00:00Z"), 253402300800LL * 1000000);
    assert_int_equal(parse("+2021-05-03T07:55:40Z"), TWEET_US);
    assert_int_equal(parse("-0001-01-01"), sluice_days_from_civil(-1, 1, 1) * 86400000000LL);
    assert_int_equal(parse("+294247-01-10T04:00:54.775807Z"), INT64_MAX);
    assert_int_equal(parse("-290308-12-21T19:59:05.224192Z"), INT64_MIN);
    const char *bad[] = { "+294247-01-10T04:00:54.775808Z", "-290308-12-21T19:59:05.223Z", "+1000000-01-01",
                          "-001-01-01", "+-2021-01-01", "+2021", "-" };
    int64_t us;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (sluice_time_parse(bad[i], strlen(bad[i]), &us) != -1) fail_msg("'%s' was read", bad[i]);
}

/* Whatever the file sink writes, `sluice cat` and the file source read
 * back: every millisecond of the int64 range, and the smallest timestamp,
 * written as the start of its millisecond. */
static void test_time_iso_form_round_trips_over_the_whole_range(void **state)
{
    char out[40];
    int64_t checked = 0;
    /* An odd step, so every field (month, day, hour, ms) takes many values. */
    const int64_t step = INT64_MAX / 50000 + 7919; /* about 100,000 values */
    for (__int128 x = INT64_MIN; x <= INT64_MAX; x += step) {
        int64_t v = (int64_t)x;
        int64_t ms = v / 1000 - (v % 1000 < 0);
        if ((__int128)ms * 1000 < INT64_MIN) continue;
        int64_t want = ms * 1000, got;
        size_t n = sluice_time_format_iso(v, out);
        if (sluice_time_parse(out, n, &got) != 0 || got != want)
            fail_msg("%lld was written as '%s', read back as %lld", (long long)v, out, (long long)got);
        checked++;
    }
    const int64_t edges[] = { INT64_MAX, INT64_MAX - 999, 253402300800000000LL, 253402300799999000LL, 0, -1000,
                              -62135596800000000LL, -62135596800001000LL, -62167219200000000LL,
                              INT64_MIN + 1000 - INT64_MIN % 1000 };
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        int64_t got;
        size_t n = sluice_time_format_iso(edges[i], out);
        int64_t want = edges[i] / 1000 * 1000 - (edges[i] % 1000 < 0 ? 1000 : 0);
        if (sluice_time_parse(out, n, &got) != 0 || got != want)
            fail_msg("%lld was written as '%s', read back as %lld", (long long)edges[i], out, (long long)got);
    }
    int64_t got;
    size_t n = sluice_time_format_iso(INT64_MIN, out);
    assert_int_equal(sluice_time_parse(out, n, &got), 0);
    assert_int_equal(got, INT64_MIN);
    assert_true(checked > 90000);
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

/* Spark's stringToDate: a year of 4+ digits, optional -[m]m and -[d]d,
 * then nothing or a time after ' ' or 'T'; spaces around are dropped. */
static void test_date_parse_reads_what_spark_casts_to_a_date(void **state)
{
    int32_t d = 0;
    assert_int_equal(sluice_date_parse("1970-01-01", 10, &d), 0);
    assert_int_equal(d, 0);
    assert_int_equal(sluice_date_parse("2021-05-03", 10, &d), 0);
    assert_int_equal(d, 18750);
    assert_int_equal(sluice_date_parse(" 2021-5-3 ", 10, &d), 0);
    assert_int_equal(d, 18750);
    assert_int_equal(sluice_date_parse("2021-05", 7, &d), 0);
    assert_int_equal(d, 18748);
    assert_int_equal(sluice_date_parse("2021", 4, &d), 0);
    assert_int_equal(d, 18628);
    assert_int_equal(sluice_date_parse("2021-05-03T23:59:59Z", 20, &d), 0);
    assert_int_equal(d, 18750);
    assert_int_equal(sluice_date_parse("1969-12-31", 10, &d), 0);
    assert_int_equal(d, -1);
    const char *bad[] = { "", "21-05-03", "2021-13-01", "2021-02-29", "2021-05-03x", "2021/05/03", "2021-005-03",
                          "2021-05-" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(sluice_date_parse(bad[i], strlen(bad[i]), &d), -1);
}

static void test_date_format_writes_years_as_timestamps_do(void **state)
{
    char out[16];
    assert_int_equal(sluice_date_format(18750, out), 10);
    assert_string_equal(out, "2021-05-03");
    sluice_date_format(-1, out);
    assert_string_equal(out, "1969-12-31");
    sluice_date_format(INT32_MAX, out);
    assert_string_equal(out, "+5881580-07-11");
    sluice_date_format(INT32_MIN, out);
    assert_string_equal(out, "-5877641-06-23");
    int32_t back;
    assert_int_equal(sluice_date_parse(out, strlen(out), &back), 0);
    assert_int_equal(back, INT32_MIN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_time_parse_reads_twitter_timestamps),
        cmocka_unit_test(test_time_parse_applies_offsets_and_reads_bare_times_as_utc),
        cmocka_unit_test(test_time_parse_rejects_what_is_not_a_timestamp),
        cmocka_unit_test(test_time_format_iso_always_prints_milliseconds),
        cmocka_unit_test(test_time_format_show_trims_the_fraction_as_spark_does),
        cmocka_unit_test(test_time_format_writes_years_outside_0001_to_9999_as_spark_does),
        cmocka_unit_test(test_time_parse_reads_signed_and_long_years),
        cmocka_unit_test(test_time_iso_form_round_trips_over_the_whole_range),
        cmocka_unit_test(test_civil_days_round_trip_across_eras),
        cmocka_unit_test(test_date_parse_reads_what_spark_casts_to_a_date),
        cmocka_unit_test(test_date_format_writes_years_as_timestamps_do),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
