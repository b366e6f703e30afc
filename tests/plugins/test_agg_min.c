/* The `min` aggregator, loaded from its real .so and driven through the
 * real host table (see agg_harness.h). Its implementation is shared with
 * max (plugins/common/agg_extreme.h); test_agg_max.c covers the direction. */
#include "agg_harness.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* min over every value of vals[0..n) in one group. */
static void expect_min(struct agg *a, const char *format, const char *const *vals, size_t n, const char *want)
{
    if (agg_bind(a, format, NULL, 0)) fail_msg("bind: %s", a->err.message);
    struct ArrowArray col;
    agg_col(format, vals, n, &col);
    void *s = agg_state(a);
    agg_feed_all(a, s, &col);
    col.release(&col); /* the state owns what it keeps */
    agg_expect(a, s, want);
    agg_state_free(a, s);
}

static void test_min_of_longs_and_timestamps_keeps_their_type_and_skips_nulls(void **state)
{
    struct agg *a = *state;
    agg_load(a, "min");
    static const char *const v[] = { "5", NULL, "-3", "7", NULL };
    expect_min(a, SLUICE_FORMAT_LONG, v, N(v), "-3");
    assert_string_equal(a->info.result_format, SLUICE_FORMAT_LONG);
    assert_false(a->info.has_destroy);
    static const char *const ts[] = { "1620028540000000", NULL, "1620028539999999" };
    expect_min(a, SLUICE_FORMAT_TIMESTAMP, ts, N(ts), "1620028539999999");
    assert_string_equal(a->info.result_format, SLUICE_FORMAT_TIMESTAMP);
    static const char *const extremes[] = { "9223372036854775807", "-9223372036854775808" };
    expect_min(a, SLUICE_FORMAT_LONG, extremes, N(extremes), "-9223372036854775808");
}

static void test_min_of_doubles_puts_nan_above_every_number(void **state)
{
    struct agg *a = *state;
    agg_load(a, "min");
    static const char *const v[] = { "nan", "2.5", NULL, "-inf", "nan" };
    expect_min(a, SLUICE_FORMAT_DOUBLE, v, N(v), "-inf");
    assert_string_equal(a->info.result_format, SLUICE_FORMAT_DOUBLE);
    static const char *const all_nan[] = { "nan", NULL, "nan" };
    expect_min(a, SLUICE_FORMAT_DOUBLE, all_nan, N(all_nan), "nan");
    static const char *const nan_first[] = { "nan", "inf" };
    expect_min(a, SLUICE_FORMAT_DOUBLE, nan_first, N(nan_first), "inf");
}

static void test_min_keeps_the_first_of_equal_zeros_as_spark_does(void **state)
{
    struct agg *a = *state;
    agg_load(a, "min");
    static const char *const zero_first[] = { "0", "-0.0" };
    expect_min(a, SLUICE_FORMAT_DOUBLE, zero_first, N(zero_first), "0");
    static const char *const minus_first[] = { "-0.0", "0", "1" };
    expect_min(a, SLUICE_FORMAT_DOUBLE, minus_first, N(minus_first), "-0");
}

static void test_min_of_strings_orders_by_utf8_bytes(void **state)
{
    struct agg *a = *state;
    agg_load(a, "min");
    static const char *const v[] = { "b", "\xc3\xa9", "ab", NULL, "a", "B" };
    expect_min(a, SLUICE_FORMAT_STRING, v, N(v), "B"); /* 'B' < 'a' < "ab" < 'b' < 'é' */
    assert_string_equal(a->info.result_format, SLUICE_FORMAT_STRING);
    assert_true(a->info.has_destroy);
    static const char *const prefix[] = { "abc", "ab", "abd" };
    expect_min(a, SLUICE_FORMAT_STRING, prefix, N(prefix), "ab");
    static const char *const empty[] = { "x", "", "a" };
    expect_min(a, SLUICE_FORMAT_STRING, empty, N(empty), "");
    static const char *const high[] = { "\xe2\x82\xac", "\xc3\xa9" }; /* '€' > 'é' byte-wise */
    expect_min(a, SLUICE_FORMAT_STRING, high, N(high), "\xc3\xa9");
}

static void test_min_of_booleans_is_false_once_any_is_false(void **state)
{
    struct agg *a = *state;
    agg_load(a, "min");
    static const char *const v[] = { "true", NULL, "false", "true" };
    expect_min(a, SLUICE_FORMAT_BOOLEAN, v, N(v), "false");
    assert_string_equal(a->info.result_format, SLUICE_FORMAT_BOOLEAN);
    static const char *const t[] = { "true", "true" };
    expect_min(a, SLUICE_FORMAT_BOOLEAN, t, N(t), "true");
}

static void test_min_is_null_without_a_non_null_value(void **state)
{
    struct agg *a = *state;
    agg_load(a, "min");
    static const char *const none[] = { NULL, NULL };
    static const char *const formats[] = { SLUICE_FORMAT_LONG, SLUICE_FORMAT_DOUBLE, SLUICE_FORMAT_STRING,
                                           SLUICE_FORMAT_BOOLEAN, SLUICE_FORMAT_TIMESTAMP };
    for (size_t f = 0; f < N(formats); f++) {
        expect_min(a, formats[f], none, 0, "null");
        expect_min(a, formats[f], none, N(none), "null");
    }
}

static void test_min_routes_rows_to_groups_and_skips_null_states_and_offsets(void **state)
{
    struct agg *a = *state;
    agg_open(a, "min", SLUICE_FORMAT_STRING);
    static const char *const v[] = { "a", "pear", "fig", "kiwi", "apple", NULL, "date", "a" };
    struct ArrowArray col;
    agg_col(SLUICE_FORMAT_STRING, v, N(v), &col);
    struct ArrowArray view = agg_view(&col, 1, 6); /* pear fig kiwi apple null date */
    void *g1 = agg_state(a), *g2 = agg_state(a);
    void *states[] = { g1, g2, g1, NULL, g2, g1 };
    agg_update(a, states, &view, 6);
    col.release(&col);
    agg_expect(a, g1, "date"); /* pear, kiwi, date */
    agg_expect(a, g2, "fig");  /* fig, null */
    agg_state_free(a, g1);
    agg_state_free(a, g2);
}

static void test_min_merged_partials_equal_a_single_pass_for_every_type(void **state)
{
    struct agg *a = *state;
    agg_load(a, "min");
    static const int64_t cuts[] = { 0, 2, 4, 6 }, halves[] = { 0, 3, 6 };
    static const struct {
        const char *format;
        const char *vals[6];
    } cases[] = {
        { SLUICE_FORMAT_LONG, { "4", NULL, "-2", "9", "-7", "0" } },
        { SLUICE_FORMAT_TIMESTAMP, { NULL, NULL, "30", "10", NULL, "20" } },
        { SLUICE_FORMAT_DOUBLE, { "nan", "0.5", NULL, "-0.0", "0", "nan" } },
        { SLUICE_FORMAT_STRING, { "kiwi", "fig", "zz", NULL, "apple", "apricot" } },
        { SLUICE_FORMAT_BOOLEAN, { "true", "true", NULL, "true", "false", NULL } },
    };
    for (size_t c = 0; c < N(cases); c++) {
        assert_int_equal(agg_bind(a, cases[c].format, NULL, 0), SLUICE_OK);
        struct ArrowArray col;
        agg_col(cases[c].format, cases[c].vals, 6, &col);
        agg_expect_merge_equals_single_pass(a, &col, cuts, N(cuts));
        agg_expect_merge_equals_single_pass(a, &col, halves, N(halves));
        col.release(&col);
    }
}

static void test_min_merge_of_strings_copies_the_winner_into_the_destination(void **state)
{
    struct agg *a = *state;
    agg_open(a, "min", SLUICE_FORMAT_STRING);
    static const char *const v[] = { "short", "a much longer string than the first one", "aa" };
    struct ArrowArray col;
    agg_col(SLUICE_FORMAT_STRING, v, N(v), &col);
    void *d = agg_state(a), *s1 = agg_state(a), *s2 = agg_state(a);
    agg_feed(a, d, &col, 0, 1);
    agg_feed(a, s1, &col, 1, 1);
    agg_feed(a, s2, &col, 2, 1);
    col.release(&col);
    agg_merge(a, d, s1); /* grows d's copy */
    agg_state_free(a, s1);         /* d must not point into s1 */
    agg_expect(a, d, "a much longer string than the first one");
    agg_merge(a, d, s2);
    agg_state_free(a, s2);
    agg_expect(a, d, "a much longer string than the first one"); /* "aa" > "a " */
    agg_state_free(a, d);
}

static void test_min_survives_a_serialize_round_trip_for_every_type(void **state)
{
    struct agg *a = *state;
    agg_load(a, "min");
    static const struct {
        const char *format;
        const char *vals[3];
        const char *want;
    } cases[] = {
        { SLUICE_FORMAT_LONG, { "-9223372036854775807", "3", NULL }, "-9223372036854775807" },
        { SLUICE_FORMAT_TIMESTAMP, { "1", "-1", NULL }, "-1" },
        { SLUICE_FORMAT_DOUBLE, { "-0.0", "0", NULL }, "-0" },
        { SLUICE_FORMAT_STRING, { "z\xc3\xa9", "\xc3\xa9", NULL }, "z\xc3\xa9" },
        { SLUICE_FORMAT_STRING, { "", "a", NULL }, "" },
        { SLUICE_FORMAT_BOOLEAN, { "true", "false", NULL }, "false" },
        { SLUICE_FORMAT_BOOLEAN, { NULL, NULL, NULL }, "null" },
    };
    for (size_t c = 0; c < N(cases); c++) {
        assert_int_equal(agg_bind(a, cases[c].format, NULL, 0), SLUICE_OK);
        struct ArrowArray col;
        agg_col(cases[c].format, cases[c].vals, 3, &col);
        void *s = agg_state(a);
        agg_feed_all(a, s, &col);
        col.release(&col);
        void *copy = agg_round_trip(a, s);
        agg_expect(a, copy, cases[c].want);
        agg_state_free(a, s);
        agg_state_free(a, copy);
    }
}

static void test_min_refuses_a_corrupt_or_foreign_state(void **state)
{
    struct agg *a = *state;
    agg_open(a, "min", SLUICE_FORMAT_STRING);
    static const char *const v[] = { "abc" };
    struct ArrowArray col;
    agg_col(SLUICE_FORMAT_STRING, v, 1, &col);
    void *s = agg_state(a);
    agg_feed_all(a, s, &col);
    col.release(&col);
    struct sluice_buf saved;
    agg_save(a, s, &saved);
    agg_state_free(a, s);
    assert_int_equal(saved.len, 6); /* type, seen, length 3, "abc" */
    assert_int_equal(agg_load_state(a, saved.data, saved.len - 1, &s), SLUICE_EDATA);
    assert_string_equal(a->err.message, "corrupt min state (5 bytes)");
    agg_expect(a, s, "null");
    agg_state_free(a, s);
    saved.data[0] = SLUICE_TYPE_LONG;
    assert_int_equal(agg_load_state(a, saved.data, saved.len, &s), SLUICE_EDATA);
    assert_string_equal(a->err.message, "saved min state is for long values, not string");
    agg_state_free(a, s);
    sluice_buf_free(&saved);
}

static void test_min_rejects_arguments_it_cannot_order(void **state)
{
    struct agg *a = *state;
    agg_load(a, "min");
    assert_int_equal(agg_bind(a, SLUICE_FORMAT_ARRAY, NULL, 0), SLUICE_ECONFIG);
    assert_string_equal(a->err.message,
                        "function 'min' expects a boolean, long, double, decimal, string, timestamp or date, got array");
    assert_int_equal(agg_bind(a, NULL, NULL, 0), SLUICE_ECONFIG);
    assert_string_equal(a->err.message, "function 'min' needs an argument, not *");
}

static void test_min_of_decimals_keeps_the_type(void **state)
{
    struct agg *a = *state;
    agg_open(a, "min", "d:20,3");
    assert_string_equal(a->info.result_format, "d:20,3");
    static const char *const v[] = { "5.125", NULL, "-12345678901234567.000", "5.124" };
    struct ArrowArray col;
    agg_col("d:20,3", v, N(v), &col);
    void *s = agg_state(a);
    agg_feed_all(a, s, &col);
    agg_expect(a, s, "-12345678901234567.000");
    void *back = agg_round_trip(a, s);
    agg_expect(a, back, "-12345678901234567.000");
    agg_state_free(a, back);
    agg_state_free(a, s);
    col.release(&col);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, agg_setup, agg_teardown)
    const struct CMUnitTest tests[] = {
        T(test_min_of_longs_and_timestamps_keeps_their_type_and_skips_nulls),
        T(test_min_of_decimals_keeps_the_type),
        T(test_min_of_doubles_puts_nan_above_every_number),
        T(test_min_keeps_the_first_of_equal_zeros_as_spark_does),
        T(test_min_of_strings_orders_by_utf8_bytes),
        T(test_min_of_booleans_is_false_once_any_is_false),
        T(test_min_is_null_without_a_non_null_value),
        T(test_min_routes_rows_to_groups_and_skips_null_states_and_offsets),
        T(test_min_merged_partials_equal_a_single_pass_for_every_type),
        T(test_min_merge_of_strings_copies_the_winner_into_the_destination),
        T(test_min_survives_a_serialize_round_trip_for_every_type),
        T(test_min_refuses_a_corrupt_or_foreign_state),
        T(test_min_rejects_arguments_it_cannot_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
