#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "duration.h"
#include "trigger.h"

static int64_t us_of(const char *s)
{
    int64_t us = -1;
    assert_int_equal(sluice_duration_parse(s, &us), 0);
    return us;
}

static void test_duration_parse_reads_long_and_short_units(void **state)
{
    assert_int_equal(us_of("10 seconds"), 10000000);
    assert_int_equal(us_of("1 second"), 1000000);
    assert_int_equal(us_of("1 minute"), 60000000);
    assert_int_equal(us_of("500 milliseconds"), 500000);
    assert_int_equal(us_of("2 hours"), 7200000000LL);
    assert_int_equal(us_of("10s"), 10000000);
    assert_int_equal(us_of("5m"), 300000000);
    assert_int_equal(us_of("500ms"), 500000);
    assert_int_equal(us_of("2h"), 7200000000LL);
    assert_int_equal(us_of("1 day"), 86400000000LL);
    assert_int_equal(us_of("0 seconds"), 0);
    assert_int_equal(us_of("1 minute 30 seconds"), 90000000);
    assert_int_equal(us_of("interval 10 SECONDS"), 10000000);
}

static void test_duration_parse_rejects_missing_or_unknown_units(void **state)
{
    const char *bad[] = { "", "10", "seconds", "-5 seconds", "10 parsecs", "1.5 seconds",
                          "99999999999999999999 seconds", "10 seconds later" };
    int64_t us;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(sluice_duration_parse(bad[i], &us), -1);
}

static void test_duration_format_picks_the_largest_exact_unit(void **state)
{
    struct sluice_buf b = { 0 };
    sluice_duration_format(90000000, &b);
    assert_string_equal(b.data, "90 seconds");
    sluice_buf_clear(&b);
    sluice_duration_format(60000000, &b);
    assert_string_equal(b.data, "1 minute");
    sluice_buf_clear(&b);
    sluice_duration_format(500000, &b);
    assert_string_equal(b.data, "500 milliseconds");
    sluice_buf_free(&b);
}

static void test_trigger_parse_knows_intervals_once_and_available_now(void **state)
{
    struct sluice_trigger t;
    assert_int_equal(sluice_trigger_parse("3 seconds", &t), 0);
    assert_int_equal(t.kind, SLUICE_TRIGGER_INTERVAL);
    assert_int_equal(t.interval_us, 3000000);
    assert_int_equal(sluice_trigger_parse("once", &t), 0);
    assert_int_equal(t.kind, SLUICE_TRIGGER_ONCE);
    assert_int_equal(sluice_trigger_parse("available_now", &t), 0);
    assert_int_equal(t.kind, SLUICE_TRIGGER_AVAILABLE_NOW);
    assert_int_equal(sluice_trigger_parse("sometimes", &t), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration_parse_reads_long_and_short_units),
        cmocka_unit_test(test_duration_parse_rejects_missing_or_unknown_units),
        cmocka_unit_test(test_duration_format_picks_the_largest_exact_unit),
        cmocka_unit_test(test_trigger_parse_knows_intervals_once_and_available_now),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
