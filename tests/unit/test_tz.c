/* Time zones (core/util/tz.c), by hand against the tz database's rules:
 * fixed offsets as Java's ZoneId.of reads them; Paris, New York and Sydney
 * at their transitions, in the years the TZif file lists and (from its
 * POSIX rule) in 2100; local times in a gap move later by the gap and in
 * an overlap take the earlier offset, as Java's ZonedDateTime.ofLocal;
 * and the session zone's effect on reading and writing timestamps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "timefmt.h"
#include "tz.h"

/* Seconds since the epoch of a UTC (or local) civil time. */
static int64_t at(int64_t y, unsigned mo, unsigned d, int h, int mi)
{
    return sluice_days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60;
}

static struct sluice_tz *load(const char *name)
{
    struct sluice_tz *tz = NULL;
    char why[300];
    assert_int_equal(sluice_tz_load(name, &tz, why, sizeof why), 0);
    return tz;
}

static void test_fixed_offsets_read_as_java_reads_them(void **state)
{
    const struct { const char *name; int32_t off; } ok[] = {
        { "UTC", 0 }, { "Z", 0 }, { "GMT", 0 }, { "+02:00", 7200 }, { "-0530", -19800 },
        { "+2", 7200 }, { "UTC+2", 7200 }, { "GMT-03:30", -12600 },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        struct sluice_tz *tz = load(ok[i].name);
        assert_int_equal(sluice_tz_offset(tz, 0), ok[i].off);
        assert_int_equal(sluice_tz_to_utc(tz, 1000), 1000 - ok[i].off);
        sluice_tz_free(tz);
    }
    const char *bad[] = { "+25:00", "+02:0", "Mars/Olympus", "../etc/passwd", "/etc/localtime", "" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct sluice_tz *tz = NULL;
        char why[300];
        assert_int_equal(sluice_tz_load(bad[i], &tz, why, sizeof why), -1);
        assert_null(tz);
        assert_non_null(strstr(why, "no time zone"));
    }
}

static void test_regions_change_at_their_transitions_and_by_their_rule_after(void **state)
{
    struct sluice_tz *paris = load("Europe/Paris");
    assert_int_equal(sluice_tz_offset(paris, at(2021, 3, 28, 0, 59) + 59), 3600);
    assert_int_equal(sluice_tz_offset(paris, at(2021, 3, 28, 1, 0)), 7200);
    assert_int_equal(sluice_tz_offset(paris, at(2021, 10, 31, 0, 59) + 59), 7200);
    assert_int_equal(sluice_tz_offset(paris, at(2021, 10, 31, 1, 0)), 3600);
    /* 2100: past the file's transitions, from its rule CET-1CEST,M3.5.0,M10.5.0/3. */
    assert_int_equal(sluice_tz_offset(paris, at(2100, 3, 28, 0, 59)), 3600);
    assert_int_equal(sluice_tz_offset(paris, at(2100, 3, 28, 1, 0)), 7200);
    assert_int_equal(sluice_tz_offset(paris, at(2100, 10, 31, 1, 0)), 3600);
    /* Before 1911 Paris kept its mean time, 9 minutes 21 seconds east. */
    assert_int_equal(sluice_tz_offset(paris, at(1850, 1, 1, 0, 0)), 561);
    sluice_tz_free(paris);

    struct sluice_tz *ny = load("America/New_York");
    assert_int_equal(sluice_tz_offset(ny, at(2021, 3, 14, 6, 59)), -18000);
    assert_int_equal(sluice_tz_offset(ny, at(2021, 3, 14, 7, 0)), -14400);
    assert_int_equal(sluice_tz_offset(ny, at(2099, 11, 1, 5, 59)), -14400); /* first Sunday of November 2099 */
    assert_int_equal(sluice_tz_offset(ny, at(2099, 11, 1, 6, 0)), -18000);
    sluice_tz_free(ny);

    struct sluice_tz *sydney = load("Australia/Sydney"); /* summer across the new year */
    assert_int_equal(sluice_tz_offset(sydney, at(2100, 1, 1, 0, 0)), 39600);
    assert_int_equal(sluice_tz_offset(sydney, at(2100, 7, 1, 0, 0)), 36000);
    sluice_tz_free(sydney);
}

static void test_local_times_in_gaps_and_overlaps_resolve_as_java_does(void **state)
{
    struct sluice_tz *paris = load("Europe/Paris");
    /* 02:30 on 2021-03-28 does not exist: it is 03:30, i.e. 01:30 UTC. */
    assert_int_equal(sluice_tz_to_utc(paris, at(2021, 3, 28, 2, 30)), at(2021, 3, 28, 1, 30));
    /* 02:30 on 2021-10-31 happens twice: the first, at +02:00. */
    assert_int_equal(sluice_tz_to_utc(paris, at(2021, 10, 31, 2, 30)), at(2021, 10, 31, 0, 30));
    assert_int_equal(sluice_tz_to_utc(paris, at(2021, 6, 1, 12, 0)), at(2021, 6, 1, 10, 0));
    sluice_tz_free(paris);
}

static void test_the_session_zone_reads_and_writes_local_times(void **state)
{
    sluice_tz_set_session(load("Europe/Paris"));
    int64_t us;
    assert_int_equal(sluice_time_parse("2021-06-01 12:00:00", 19, &us), 0);
    assert_int_equal(us, at(2021, 6, 1, 10, 0) * 1000000);
    assert_int_equal(sluice_time_parse("2021-06-01T12:00:00Z", 20, &us), 0); /* an offset wins */
    assert_int_equal(us, at(2021, 6, 1, 12, 0) * 1000000);
    char out[40];
    sluice_time_format_show(at(2021, 6, 1, 22, 30) * 1000000, out);
    assert_string_equal(out, "2021-06-02 00:30:00");
    sluice_time_format_zoned(at(2021, 1, 1, 0, 0) * 1000000, out);
    assert_string_equal(out, "2021-01-01T01:00:00.000+01:00");
    sluice_time_format_iso(at(2021, 1, 1, 0, 0) * 1000000, out); /* progress and checkpoints stay UTC */
    assert_string_equal(out, "2021-01-01T00:00:00.000Z");
    sluice_tz_set_session(NULL);
    sluice_time_format_zoned(at(2021, 1, 1, 0, 0) * 1000000, out);
    assert_string_equal(out, "2021-01-01T00:00:00.000Z");
    assert_int_equal(sluice_time_parse("2021-06-01 12:00:00", 19, &us), 0);
    assert_int_equal(us, at(2021, 6, 1, 12, 0) * 1000000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_offsets_read_as_java_reads_them),
        cmocka_unit_test(test_regions_change_at_their_transitions_and_by_their_rule_after),
        cmocka_unit_test(test_local_times_in_gaps_and_overlaps_resolve_as_java_does),
        cmocka_unit_test(test_the_session_zone_reads_and_writes_local_times),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
