/* The `max` aggregator, loaded from its real .so and driven through the
 * real host table (see agg_harness.h). It shares its implementation with
 * min (plugins/common/agg_extreme.h): these tests cover every type in the
 * other direction, the state handling once more through this .so. */
#include "agg_harness.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void expect_max(struct agg *a, const char *format, const char *const *vals, size_t n, const char *want)
{
    if (agg_bind(a, format, NULL, 0)) fail_msg("bind: %s", a->err.message);
    struct ArrowArray col;
    agg_col(format, vals, n, &col);
    void *s = agg_state(a);
    agg_feed_all(a, s, &col);
    col.release(&col);
    agg_expect(a, s, want);
    agg_state_free(a, s);
}

static void test_max_of_longs_and_timestamps_keeps_their_type_and_skips_nulls(void **state)
{
    struct agg *a = *state;
    agg_load(a, "max");
    static const char *const v[] = { "-5", NULL, "-3", "-7", NULL };
    expect_max(a, SLUICE_FORMAT_LONG, v, N(v), "-3");
    assert_string_equal(a->info.result_format, SLUICE_FORMAT_LONG);
    static const char *const ts[] = { "1620028540000000", NULL, "1620028540000001", "0" };
    expect_max(a, SLUICE_FORMAT_TIMESTAMP, ts, N(ts), "1620028540000001");
    assert_string_equal(a->info.result_format, SLUICE_FORMAT_TIMESTAMP);
}

static void test_max_of_doubles_is_nan_once_any_value_is_nan(void **state)
{
    struct agg *a = *state;
    agg_load(a, "max");
    static const char *const v[] = { "2.5", "inf", NULL, "nan", "3" };
    expect_max(a, SLUICE_FORMAT_DOUBLE, v, N(v), "nan");
    static const char *const numbers[] = { "2.5", "-1e308", "1e308" };
    expect_max(a, SLUICE_FORMAT_DOUBLE, numbers, N(numbers), "1e+308");
    static const char *const zeros[] = { "-0.0", "0" };
    expect_max(a, SLUICE_FORMAT_DOUBLE, zeros, N(zeros), "-0"); /* equal: the first stays */
}

static void test_max_of_strings_orders_by_utf8_bytes(void **state)
{
    struct agg *a = *state;
    agg_load(a, "max");
    static const char *const v[] = { "b", "\xc3\xa9", "zzz", NULL, "\xe2\x82\xac" };
    expect_max(a, SLUICE_FORMAT_STRING, v, N(v), "\xe2\x82\xac"); /* '€' is e2..., the highest lead byte */
    assert_true(a->info.has_destroy);
    static const char *const prefix[] = { "ab", "abc", "abb" };
    expect_max(a, SLUICE_FORMAT_STRING, prefix, N(prefix), "abc");
}

static void test_max_of_booleans_is_true_once_any_is_true(void **state)
{
    struct agg *a = *state;
    agg_load(a, "max");
    static const char *const v[] = { "false", NULL, "true", "false" };
    expect_max(a, SLUICE_FORMAT_BOOLEAN, v, N(v), "true");
    static const char *const f[] = { "false", NULL };
    expect_max(a, SLUICE_FORMAT_BOOLEAN, f, N(f), "false");
}

static void test_max_is_null_without_a_non_null_value(void **state)
{
    struct agg *a = *state;
    agg_load(a, "max");
    static const char *const none[] = { NULL };
    expect_max(a, SLUICE_FORMAT_STRING, none, 0, "null");
    expect_max(a, SLUICE_FORMAT_DOUBLE, none, N(none), "null");
}

static void test_max_skips_null_states_and_reads_at_the_offset(void **state)
{
    struct agg *a = *state;
    agg_open(a, "max", SLUICE_FORMAT_LONG);
    static const char *const v[] = { "1000", "1", "5", "3", "1000" };
    struct ArrowArray col;
    agg_col(SLUICE_FORMAT_LONG, v, N(v), &col);
    struct ArrowArray view = agg_view(&col, 1, 3);
    void *g = agg_state(a);
    void *states[] = { g, NULL, g };
    agg_update(a, states, &view, 3);
    agg_expect(a, g, "3");
    agg_state_free(a, g);
    col.release(&col);
}

static void test_max_merged_partials_equal_a_single_pass_for_every_type(void **state)
{
    struct agg *a = *state;
    agg_load(a, "max");
    static const int64_t cuts[] = { 0, 1, 4, 6 };
    static const struct {
        const char *format;
        const char *vals[6];
    } cases[] = {
        { SLUICE_FORMAT_LONG, { "4", NULL, "-2", "9", "-7", "9" } },
        { SLUICE_FORMAT_TIMESTAMP, { NULL, "5", "30", NULL, NULL, "20" } },
        { SLUICE_FORMAT_DOUBLE, { "1", "0", NULL, "-0.0", "nan", "2" } },
        { SLUICE_FORMAT_STRING, { "kiwi", "fig", "zz", NULL, "zz", "apricot" } },
        { SLUICE_FORMAT_BOOLEAN, { "false", NULL, NULL, "true", "false", NULL } },
    };
    for (size_t c = 0; c < N(cases); c++) {
        assert_int_equal(agg_bind(a, cases[c].format, NULL, 0), SLUICE_OK);
        struct ArrowArray col;
        agg_col(cases[c].format, cases[c].vals, 6, &col);
        agg_expect_merge_equals_single_pass(a, &col, cuts, N(cuts));
        col.release(&col);
    }
}

static void test_max_survives_a_serialize_round_trip(void **state)
{
    struct agg *a = *state;
    agg_open(a, "max", SLUICE_FORMAT_STRING);
    static const char *const v[] = { "a", "\xe2\x82\xac uro", "b" };
    struct ArrowArray col;
    agg_col(SLUICE_FORMAT_STRING, v, N(v), &col);
    void *s = agg_state(a);
    agg_feed_all(a, s, &col);
    col.release(&col);
    void *copy = agg_round_trip(a, s);
    agg_expect(a, copy, "\xe2\x82\xac uro");
    agg_state_free(a, s);
    agg_state_free(a, copy);
}

static void test_max_rejects_arguments_it_cannot_order(void **state)
{
    struct agg *a = *state;
    agg_load(a, "max");
    assert_int_equal(agg_bind(a, SLUICE_FORMAT_STRUCT, NULL, 0), SLUICE_ECONFIG);
    assert_string_equal(a->err.message,
                        "function 'max' expects a boolean, long, double, decimal, string, timestamp or date, got struct");
    static const char *const params[] = { "2" };
    assert_int_equal(agg_bind(a, SLUICE_FORMAT_LONG, params, 1), SLUICE_ECONFIG);
    assert_string_equal(a->err.message, "function 'max' takes one argument, got 2");
}

static void test_max_of_decimals_keeps_the_type(void **state)
{
    struct agg *a = *state;
    agg_open(a, "max", "d:20,3");
    static const char *const v[] = { "5.125", NULL, "-12345678901234567.000", "5.124" };
    struct ArrowArray col;
    agg_col("d:20,3", v, N(v), &col);
    void *s = agg_state(a);
    agg_feed_all(a, s, &col);
    agg_expect(a, s, "5.125");
    agg_state_free(a, s);
    col.release(&col);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, agg_setup, agg_teardown)
    const struct CMUnitTest tests[] = {
        T(test_max_of_longs_and_timestamps_keeps_their_type_and_skips_nulls),
        T(test_max_of_decimals_keeps_the_type),
        T(test_max_of_doubles_is_nan_once_any_value_is_nan),
        T(test_max_of_strings_orders_by_utf8_bytes),
        T(test_max_of_booleans_is_true_once_any_is_true),
        T(test_max_is_null_without_a_non_null_value),
        T(test_max_skips_null_states_and_reads_at_the_offset),
        T(test_max_merged_partials_equal_a_single_pass_for_every_type),
        T(test_max_survives_a_serialize_round_trip),
        T(test_max_rejects_arguments_it_cannot_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
