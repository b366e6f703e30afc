/* Event-time windows (core/runtime/agg/window.c): Spark's assignment for tumbling and
 * sliding windows, durations that are not a multiple of the slide, times
 * before 1970 and on window boundaries, offsets, nulls, closed windows,
 * overflow at the ends of time, and the `window` group's errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agg_load.h"
#include "builder.h"
#include "config.h"
#include "schema.h"
#include "validate.h"
#include "watermark.h"
#include "window.h"

#define S 1000000LL   /* one second in µs */
#define MIN (60 * S)
#define NOTHING 0x7fffffffffffffffLL /* marks "no window" in expectations */

static struct sluice_window win(int64_t duration, int64_t slide, int64_t offset)
{
    struct sluice_window w = { duration, slide, offset };
    struct sluice_error err = { 0 };
    if (sluice_window_check(&w, NULL, &err)) fail_msg("bad window: %s", err.message);
    return w;
}

/* A timestamp column of n values (NOTHING stands for a null). */
static void times(const int64_t *t, int64_t n, struct sluice_batch *out)
{
    struct ArrowSchema s;
    struct sluice_error err;
    if (sluice_schema_parse("t TIMESTAMP", &s, &err)) fail_msg("%s", err.message);
    struct sluice_builder *b = sluice_builder_new(&s);
    for (int64_t i = 0; i < n; i++) {
        sluice_builder_append_struct(b);
        if (t[i] == NOTHING) sluice_builder_append_null(&b->children[0]);
        else sluice_builder_append_timestamp(&b->children[0], t[i]);
    }
    sluice_builder_finish(b, out);
    sluice_builder_free(b);
    sluice_schema_release(&s);
}

/* The window starts of rows t in every pass, in pass order; NOTHING for none. */
static void assign_all(const struct sluice_window *w, const int64_t *t, int64_t n, int64_t watermark,
                       int64_t *starts, int64_t *late)
{
    struct sluice_batch b;
    times(t, n, &b);
    size_t passes = sluice_window_passes(w);
    int64_t start[16], end[16];
    uint8_t has[16];
    assert_true(n <= 16);
    for (size_t p = 0; p < passes; p++) {
        int64_t with = sluice_window_assign(w, b.array.children[0], n, p, watermark, start, end, has, late, NULL);
        int64_t count = 0;
        for (int64_t i = 0; i < n; i++) {
            starts[p * (size_t)n + (size_t)i] = has[i] ? start[i] : NOTHING;
            count += has[i];
            if (has[i]) assert_int_equal(end[i], start[i] + w->duration_us);
            else assert_true(start[i] == 0 && end[i] == 0);
        }
        assert_int_equal(with, count);
    }
    sluice_batch_release(&b);
}

static void test_window_tumbling_row_joins_the_window_starting_at_or_before_it(void **state)
{
    struct sluice_window w = win(10 * S, 10 * S, 0);
    assert_int_equal(sluice_window_passes(&w), 1);
    /* A start is inclusive and an end exclusive: 10 s opens [10, 20), 20 s opens [20, 30). */
    int64_t t[] = { 12 * S + 500000, 10 * S, 20 * S - 1, 20 * S, 0, 1 };
    int64_t got[6], late = 0;
    assign_all(&w, t, 6, SLUICE_WATERMARK_NONE, got, &late);
    int64_t want[] = { 10 * S, 10 * S, 10 * S, 20 * S, 0, 0 };
    assert_memory_equal(got, want, sizeof want);
    assert_int_equal(late, 0);
}

static void test_window_sliding_row_joins_every_overlapping_window(void **state)
{
    struct sluice_window w = win(10 * S, 5 * S, 0);
    assert_int_equal(sluice_window_passes(&w), 2);
    int64_t t[] = { 12 * S, 15 * S, 19 * S + 999999 };
    int64_t got[6];
    assign_all(&w, t, 3, SLUICE_WATERMARK_NONE, got, NULL);
    /* Pass 0: the latest window; pass 1: the one before, which still holds t. */
    int64_t want[] = { 10 * S, 15 * S, 15 * S, 5 * S, 10 * S, 10 * S };
    assert_memory_equal(got, want, sizeof want);
}

static void test_window_duration_not_a_multiple_of_the_slide_filters_as_spark_does(void **state)
{
    /* Spark's own example (TimeWindowing): window 12 minutes, slide 5, at
     * 12:05 the windows are 11:55-12:07, 12:00-12:12 and 12:05-12:17. */
    struct sluice_window w = win(12 * MIN, 5 * MIN, 0);
    assert_int_equal(sluice_window_passes(&w), 3);
    int64_t t[] = { (12 * 60 + 5) * MIN };
    int64_t got[3];
    assign_all(&w, t, 1, SLUICE_WATERMARK_NONE, got, NULL);
    int64_t want[] = { (12 * 60 + 5) * MIN, 12 * 60 * MIN, (11 * 60 + 55) * MIN };
    assert_memory_equal(got, want, sizeof want);
    /* With a start time of 2 minutes the earliest candidate, 11:52-12:04,
     * ends before 12:05: that pass gives the row no window. */
    w = win(12 * MIN, 5 * MIN, 2 * MIN);
    assign_all(&w, t, 1, SLUICE_WATERMARK_NONE, got, NULL);
    int64_t want2[] = { (12 * 60 + 2) * MIN, (11 * 60 + 57) * MIN, NOTHING };
    assert_memory_equal(got, want2, sizeof want2);
    /* 10 s sliding every 3 s: four passes; 12 s is in [12,22) [9,19) [6,16)
     * and, as the window's last microsecond is 12.999999, [3,13); 13 s is not. */
    w = win(10 * S, 3 * S, 0);
    assert_int_equal(sluice_window_passes(&w), 4);
    int64_t t3[] = { 12 * S, 13 * S };
    int64_t got3[8];
    assign_all(&w, t3, 2, SLUICE_WATERMARK_NONE, got3, NULL);
    int64_t want3[] = { 12 * S, 12 * S, 9 * S, 9 * S, 6 * S, 6 * S, 3 * S, NOTHING };
    assert_memory_equal(got3, want3, sizeof want3);
}

static void test_window_start_is_a_floor_for_times_before_1970(void **state)
{
    struct sluice_window w = win(10 * S, 10 * S, 0);
    int64_t t[] = { -1, -10 * S, -10 * S - 1, -25 * S };
    int64_t got[4];
    assign_all(&w, t, 4, SLUICE_WATERMARK_NONE, got, NULL);
    int64_t want[] = { -10 * S, -10 * S, -20 * S, -30 * S };
    assert_memory_equal(got, want, sizeof want);
    int64_t start;
    assert_true(sluice_window_last_start(&w, -1, &start));
    assert_int_equal(start, -10 * S);
}

static void test_window_offset_shifts_every_start(void **state)
{
    struct sluice_window w = win(10 * S, 10 * S, 2 * S);
    int64_t t[] = { 1 * S, 2 * S, 11 * S + 999999, 12 * S };
    int64_t got[4];
    assign_all(&w, t, 4, SLUICE_WATERMARK_NONE, got, NULL);
    int64_t want[] = { -8 * S, 2 * S, 2 * S, 12 * S };
    assert_memory_equal(got, want, sizeof want);
    w = win(10 * S, 5 * S, -3 * S);
    int64_t t2[] = { 0 };
    int64_t got2[2];
    assign_all(&w, t2, 1, SLUICE_WATERMARK_NONE, got2, NULL);
    int64_t want2[] = { -3 * S, -8 * S };
    assert_memory_equal(got2, want2, sizeof want2);
}

static void test_window_null_times_get_no_window_and_are_not_late(void **state)
{
    struct sluice_window w = win(10 * S, 5 * S, 0);
    int64_t t[] = { NOTHING, 7 * S, NOTHING };
    int64_t got[6], late = 0;
    assign_all(&w, t, 3, 100 * S, got, &late);
    int64_t want[] = { NOTHING, NOTHING, NOTHING, NOTHING, NOTHING, NOTHING };
    assert_memory_equal(got, want, sizeof want);
    assert_int_equal(late, 2); /* 7 s: both its windows ([5,15) and [0,10)) are closed, the nulls are not late */
}

static void test_window_closed_by_the_watermark_when_its_end_is_at_or_before_it(void **state)
{
    /* Watermark 15 s: [10,15) is closed (end == watermark), [15,20) is not;
     * with sliding windows a row may lose one window and keep the other. */
    struct sluice_window w = win(5 * S, 5 * S, 0);
    int64_t t[] = { 10 * S, 14 * S, 15 * S, 25 * S };
    int64_t got[4], late = 0;
    assign_all(&w, t, 4, 15 * S, got, &late);
    int64_t want[] = { NOTHING, NOTHING, 15 * S, 25 * S };
    assert_memory_equal(got, want, sizeof want);
    assert_int_equal(late, 2);
    w = win(10 * S, 5 * S, 0);
    int64_t t2[] = { 12 * S };
    int64_t got2[2];
    late = 0;
    assign_all(&w, t2, 1, 15 * S, got2, &late);
    int64_t want2[] = { 10 * S, NOTHING }; /* [10,20) open, [5,15) closed */
    assert_memory_equal(got2, want2, sizeof want2);
    assert_int_equal(late, 1);
}

static void test_window_times_at_the_ends_of_the_range_get_no_window_instead_of_overflowing(void **state)
{
    struct sluice_window w = win(10 * S, 5 * S, 3 * S);
    int64_t t[] = { INT64_MIN, INT64_MAX, INT64_MIN + 1, 0 };
    int64_t got[8];
    assign_all(&w, t, 4, SLUICE_WATERMARK_NONE, got, NULL);
    assert_true(got[0] == NOTHING && got[4] == NOTHING); /* t - offset overflows */
    assert_true(got[1] == NOTHING);                     /* start + duration overflows */
    assert_int_equal(got[3], -2 * S);
    assert_int_equal(got[7], -7 * S);
}

static void test_window_column_encodes_as_a_struct_of_start_and_end(void **state)
{
    struct ArrowSchema s;
    sluice_window_schema(&s);
    struct sluice_buf ddl = { 0 };
    sluice_schema_type_ddl(&s, &ddl);
    assert_string_equal(ddl.data, "STRUCT<start: TIMESTAMP, end: TIMESTAMP>");
    assert_string_equal(s.name, "window");
    assert_false(s.flags & ARROW_FLAG_NULLABLE);
    assert_true(s.children[0]->flags & ARROW_FLAG_NULLABLE);
    sluice_buf_free(&ddl);
    int64_t start[] = { 1, 2 }, end[] = { 11, 12 };
    struct sluice_window_column c;
    sluice_window_column_init(&c, start, end, 2);
    char why[256];
    assert_int_equal(sluice_array_validate(&s, &c.array, why), 0);
    assert_int_equal(((const int64_t *)c.array.children[1]->buffers[1])[1], 12);
    sluice_schema_release(&s);
}

static void test_window_describes_tumbling_sliding_and_offset(void **state)
{
    struct sluice_buf b = { 0 };
    struct sluice_window w = win(10 * S, 10 * S, 0);
    sluice_window_describe(&w, &b);
    assert_string_equal(b.data, "10 seconds");
    sluice_buf_clear(&b);
    w = win(10 * S, 5 * S, -2 * S);
    sluice_window_describe(&w, &b);
    assert_string_equal(b.data, "10 seconds sliding every 5 seconds, offset -2 seconds");
    sluice_buf_free(&b);
}

static void test_window_check_refuses_what_spark_refuses(void **state)
{
    struct {
        struct sluice_window w;
        const char *message;
        enum sluice_window_part part;
    } bad[] = {
        { { 0, 0, 0 }, "the window duration must be greater than 0, got 0 seconds", SLUICE_WINDOW_DURATION },
        { { -5 * S, 5 * S, 0 }, "the window duration must be greater than 0, got -5 seconds", SLUICE_WINDOW_DURATION },
        { { 10 * S, 0, 0 }, "the slide must be greater than 0, got 0 seconds", SLUICE_WINDOW_SLIDE },
        { { 10 * S, 20 * S, 0 }, "the slide (20 seconds) must be less than or equal to the window duration (10 seconds)",
          SLUICE_WINDOW_SLIDE },
        { { 10 * S, 5 * S, 5 * S }, "the absolute value of the offset (5 seconds) must be less than the slide (5 seconds)",
          SLUICE_WINDOW_OFFSET },
        { { 10 * S, 5 * S, -6 * S }, "the absolute value of the offset (-6 seconds) must be less than the slide (5 seconds)",
          SLUICE_WINDOW_OFFSET },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct sluice_error err = { 0 };
        enum sluice_window_part part;
        assert_int_equal(sluice_window_check(&bad[i].w, &part, &err), SLUICE_ECONFIG);
        assert_int_equal(part, bad[i].part);
        assert_string_equal(err.message, bad[i].message);
    }
}

/* ---- the config group ---------------------------------------------------- */

static char cfg_path[256];

static int load(const char *window_text, struct sluice_window *w, const char **column, struct sluice_error *err)
{
    snprintf(cfg_path, sizeof cfg_path, "/tmp/sluice-test-window-%d.cfg", (int)getpid());
    FILE *f = fopen(cfg_path, "w");
    assert_non_null(f);
    fprintf(f, "stages = (\n  { name = \"counts\";\n    window = %s; }\n);\n", window_text);
    fclose(f);
    config_t cfg;
    memset(err, 0, sizeof *err);
    int rc = sluice_config_read(&cfg, cfg_path, err);
    if (!rc) {
        const config_setting_t *st = config_setting_get_elem(config_lookup(&cfg, "stages"), 0);
        rc = sluice_agg_load_window(config_setting_get_member(st, "window"), w, column, err);
        if (!rc) *column = *column ? "(borrowed)" : NULL; /* the config goes away below */
    }
    config_destroy(&cfg);
    unlink(cfg_path);
    return rc;
}

static void test_window_group_defaults_slide_to_duration_and_offset_to_zero(void **state)
{
    struct sluice_window w;
    const char *column;
    struct sluice_error err;
    assert_int_equal(load("{ column = \"data.created_at\"; duration = \"10 seconds\"; }", &w, &column, &err), 0);
    assert_int_equal(w.duration_us, 10 * S);
    assert_int_equal(w.slide_us, 10 * S);
    assert_int_equal(w.offset_us, 0);
    assert_non_null(column);
    assert_int_equal(load("{ column = \"t\"; duration = \"10s\"; slide = \"5s\"; offset = \"-2 seconds\"; }", &w,
                          &column, &err),
                     0);
    assert_int_equal(w.slide_us, 5 * S);
    assert_int_equal(w.offset_us, -2 * S);
}

static void test_window_group_errors_name_the_line_stage_and_key(void **state)
{
    struct {
        const char *text, *key, *message;
    } bad[] = {
        { "{ column = \"t\"; duration = \"0 seconds\"; }", "window.duration",
          "the window duration must be greater than 0, got 0 seconds" },
        { "{ column = \"t\"; duration = \"-10 seconds\"; }", "window.duration",
          "the window duration must be greater than 0, got -10 seconds" },
        { "{ column = \"t\"; duration = \"10 seconds\"; slide = \"20 seconds\"; }", "window.slide",
          "the slide (20 seconds) must be less than or equal to the window duration (10 seconds)" },
        { "{ column = \"t\"; duration = \"10 seconds\"; slide = \"5 seconds\"; offset = \"5 seconds\"; }", "window.offset",
          "the absolute value of the offset (5 seconds) must be less than the slide (5 seconds)" },
        { "{ column = \"t\"; duration = \"ten seconds\"; }", "window.duration",
          "expected a duration such as \"10 seconds\", got 'ten seconds'" },
        { "{ column = \"t\"; durration = \"10 seconds\"; }", "window.durration", "unknown key 'durration' in window" },
        { "{ duration = \"10 seconds\"; }", "window", "missing key 'column' in window" },
        { "{ column = 3; duration = \"10 seconds\"; }", "window.column",
          "expected a timestamp column such as \"data.created_at\", got 3" },
        { "\"10 seconds\"", "window",
          "expected a group such as { column = \"data.created_at\"; duration = \"10 seconds\"; }, got '10 seconds'" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct sluice_window w;
        const char *column;
        struct sluice_error err;
        assert_int_equal(load(bad[i].text, &w, &column, &err), SLUICE_ECONFIG);
        assert_string_equal(err.message, bad[i].message);
        assert_string_equal(err.file, cfg_path);
        assert_int_equal(err.line, 3);
        assert_string_equal(err.stage, "counts");
        assert_string_equal(err.key, bad[i].key);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window_tumbling_row_joins_the_window_starting_at_or_before_it),
        cmocka_unit_test(test_window_sliding_row_joins_every_overlapping_window),
        cmocka_unit_test(test_window_duration_not_a_multiple_of_the_slide_filters_as_spark_does),
        cmocka_unit_test(test_window_start_is_a_floor_for_times_before_1970),
        cmocka_unit_test(test_window_offset_shifts_every_start),
        cmocka_unit_test(test_window_null_times_get_no_window_and_are_not_late),
        cmocka_unit_test(test_window_closed_by_the_watermark_when_its_end_is_at_or_before_it),
        cmocka_unit_test(test_window_times_at_the_ends_of_the_range_get_no_window_instead_of_overflowing),
        cmocka_unit_test(test_window_column_encodes_as_a_struct_of_start_and_end),
        cmocka_unit_test(test_window_describes_tumbling_sliding_and_offset),
        cmocka_unit_test(test_window_check_refuses_what_spark_refuses),
        cmocka_unit_test(test_window_group_defaults_slide_to_duration_and_offset_to_zero),
        cmocka_unit_test(test_window_group_errors_name_the_line_stage_and_key),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
