/* The `sum` aggregator, loaded from its real .so and driven through the
 * real host table (see agg_harness.h). */
#include "agg_harness.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_sum_of_longs_is_a_long_skipping_nulls(void **state)
{
    struct agg *a = *state;
    agg_open(a, "sum", SLUICE_FORMAT_LONG);
    assert_string_equal(a->info.result_format, SLUICE_FORMAT_LONG);
    assert_false(a->info.has_destroy);
    static const char *const v[] = { "5", NULL, "-12", "40", NULL };
    struct ArrowArray col;
    agg_col(SLUICE_FORMAT_LONG, v, N(v), &col);
    void *s = agg_state(a);
    agg_feed_all(a, s, &col);
    agg_expect(a, s, "33");
    agg_state_free(a, s);
    col.release(&col);
}

static void test_sum_of_longs_wraps_around_on_overflow_as_spark_without_ansi(void **state)
{
    struct agg *a = *state;
    agg_open(a, "sum", SLUICE_FORMAT_LONG);
    static const char *const v[] = { "9223372036854775807", "1", "9223372036854775807", "9223372036854775807" };
    struct ArrowArray col;
    agg_col(SLUICE_FORMAT_LONG, v, N(v), &col);
    void *s = agg_state(a);
    agg_feed(a, s, &col, 0, 2);
    agg_expect(a, s, "-9223372036854775808");
    agg_feed(a, s, &col, 2, 2); /* MIN + 2 * MAX = MAX - 1 (mod 2^64) */
    agg_expect(a, s, "9223372036854775806");
    agg_state_free(a, s);
    col.release(&col);
}

static void test_sum_of_doubles_is_a_double(void **state)
{
    struct agg *a = *state;
    agg_open(a, "sum", SLUICE_FORMAT_DOUBLE);
    assert_string_equal(a->info.result_format, SLUICE_FORMAT_DOUBLE);
    static const char *const v[] = { "0.5", NULL, "2.25", "-1" };
    struct ArrowArray col;
    agg_col(SLUICE_FORMAT_DOUBLE, v, N(v), &col);
    void *s = agg_state(a);
    agg_feed_all(a, s, &col);
    agg_expect(a, s, "1.75");
    agg_state_free(a, s);
    col.release(&col);
}

static void test_sum_of_doubles_adds_in_row_order_like_spark(void **state)
{
    struct agg *a = *state;
    agg_open(a, "sum", SLUICE_FORMAT_DOUBLE);
    static const char *const v[] = { "0.1", "0.2", "0.3" };
    struct ArrowArray col;
    agg_col(SLUICE_FORMAT_DOUBLE, v, N(v), &col);
    void *s = agg_state(a);
    agg_feed_all(a, s, &col);
    agg_expect(a, s, "0.60000000000000009"); /* (0.1 + 0.2) + 0.3 */
    agg_state_free(a, s);
    col.release(&col);
}

static void test_sum_is_null_without_a_non_null_value(void **state)
{
    struct agg *a = *state;
    agg_open(a, "sum", SLUICE_FORMAT_LONG);
    void *empty = agg_state(a);
    agg_expect(a, empty, "null");
    static const char *const v[] = { NULL, NULL };
    struct ArrowArray col;
    agg_col(SLUICE_FORMAT_LONG, v, N(v), &col);
    agg_feed_all(a, empty, &col);
    agg_expect(a, empty, "null");
    static const char *const zero[] = { "0" };
    struct ArrowArray z;
    agg_col(SLUICE_FORMAT_LONG, zero, 1, &z);
    agg_feed_all(a, empty, &z);
    agg_expect(a, empty, "0"); /* a sum of zero is not a missing sum */
    agg_state_free(a, empty);
    col.release(&col);
    z.release(&z);
}

static void test_sum_routes_rows_to_groups_and_skips_null_states_and_offsets(void **state)
{
    struct agg *a = *state;
    agg_open(a, "sum", SLUICE_FORMAT_DOUBLE);
    static const char *const v[] = { "100", "1", "2", "4", NULL, "8", "100" };
    struct ArrowArray col;
    agg_col(SLUICE_FORMAT_DOUBLE, v, N(v), &col);
    struct ArrowArray view = agg_view(&col, 1, 5); /* 1, 2, 4, null, 8 */
    void *g1 = agg_state(a), *g2 = agg_state(a);
    void *states[] = { g1, g2, NULL, g2, g1 };
    agg_update(a, states, &view, 5);
    agg_expect(a, g1, "9");
    agg_expect(a, g2, "2");
    agg_state_free(a, g1);
    agg_state_free(a, g2);
    col.release(&col);
}

static void test_sum_merged_partial_sums_equal_a_single_pass(void **state)
{
    struct agg *a = *state;
    agg_open(a, "sum", SLUICE_FORMAT_LONG);
    static const char *const v[] = { "1", NULL, "-3", "9223372036854775807", NULL, "10", "7", NULL };
    struct ArrowArray col;
    agg_col(SLUICE_FORMAT_LONG, v, N(v), &col);
    static const int64_t three[] = { 0, 2, 5, 8 }, nulls_alone[] = { 0, 1, 2, 8 };
    agg_expect_merge_equals_single_pass(a, &col, three, N(three));
    agg_expect_merge_equals_single_pass(a, &col, nulls_alone, N(nulls_alone));
    col.release(&col);

    assert_int_equal(agg_bind(a, SLUICE_FORMAT_DOUBLE, NULL, 0), SLUICE_OK);
    static const char *const d[] = { "0.5", "0.25", NULL, "-4", "1024" }; /* exact in any order */
    agg_col(SLUICE_FORMAT_DOUBLE, d, N(d), &col);
    static const int64_t parts[] = { 0, 2, 3, 5 };
    agg_expect_merge_equals_single_pass(a, &col, parts, N(parts));
    col.release(&col);
}

static void test_sum_merging_an_empty_partial_keeps_null(void **state)
{
    struct agg *a = *state;
    agg_open(a, "sum", SLUICE_FORMAT_LONG);
    void *d = agg_state(a), *s = agg_state(a);
    agg_merge(a, d, s);
    agg_expect(a, d, "null");
    agg_state_free(a, d);
    agg_state_free(a, s);
}

static void test_sum_survives_a_serialize_round_trip(void **state)
{
    struct agg *a = *state;
    agg_open(a, "sum", SLUICE_FORMAT_LONG);
    static const char *const v[] = { "-9223372036854775807", "-5" };
    struct ArrowArray col;
    agg_col(SLUICE_FORMAT_LONG, v, N(v), &col);
    void *s = agg_state(a);
    agg_feed_all(a, s, &col);
    void *copy = agg_round_trip(a, s);
    agg_expect(a, copy, "9223372036854775804");
    void *empty = agg_state(a), *empty_copy = agg_round_trip(a, empty);
    agg_expect(a, empty_copy, "null");
    agg_state_free(a, s);
    agg_state_free(a, copy);
    agg_state_free(a, empty);
    agg_state_free(a, empty_copy);
    col.release(&col);
}

static void test_sum_refuses_a_state_saved_for_another_type(void **state)
{
    struct agg *a = *state;
    agg_open(a, "sum", SLUICE_FORMAT_DOUBLE);
    void *s = agg_state(a);
    struct sluice_buf saved;
    agg_save(a, s, &saved);
    agg_state_free(a, s);
    assert_int_equal(agg_bind(a, SLUICE_FORMAT_LONG, NULL, 0), SLUICE_OK);
    assert_int_equal(agg_load_state(a, saved.data, saved.len, &s), SLUICE_EDATA);
    assert_string_equal(a->err.message, "saved sum state is for double values, not long");
    agg_state_free(a, s);
    assert_int_equal(agg_load_state(a, saved.data, saved.len - 1, &s), SLUICE_EDATA);
    assert_string_equal(a->err.message, "corrupt sum state (9 bytes)");
    agg_state_free(a, s);
    sluice_buf_free(&saved);
}

static void test_sum_rejects_arguments_that_are_not_numbers(void **state)
{
    struct agg *a = *state;
    agg_load(a, "sum");
    assert_int_equal(agg_bind(a, SLUICE_FORMAT_STRING, NULL, 0), SLUICE_ECONFIG);
    assert_string_equal(a->err.message, "function 'sum' expects a number, got string");
    assert_int_equal(agg_bind(a, SLUICE_FORMAT_BOOLEAN, NULL, 0), SLUICE_ECONFIG);
    assert_string_equal(a->err.message, "function 'sum' expects a number, got boolean");
    assert_int_equal(agg_bind(a, SLUICE_FORMAT_TIMESTAMP, NULL, 0), SLUICE_ECONFIG);
    assert_string_equal(a->err.message, "function 'sum' expects a number, got timestamp");
    assert_int_equal(agg_bind(a, NULL, NULL, 0), SLUICE_ECONFIG);
    assert_string_equal(a->err.message, "function 'sum' needs an argument, not *");
}

/* DECIMAL(5,2) sums to DECIMAL(15,2), exactly; past 15 digits it is null
 * (Spark's overflow without ANSI mode); the state survives a checkpoint. */
static void test_sum_of_decimals_is_exact_with_ten_more_digits(void **state)
{
    struct agg *a = *state;
    agg_open(a, "sum", "d:5,2");
    assert_string_equal(a->info.result_format, "d:15,2");
    static const char *const v[] = { "0.10", NULL, "0.20", "999.99", "-0.30" };
    struct ArrowArray col;
    agg_col("d:5,2", v, N(v), &col);
    void *s = agg_state(a);
    agg_feed_all(a, s, &col);
    agg_expect(a, s, "999.99"); /* no 0.1 + 0.2 rounding: decimals add exactly */
    void *back = agg_round_trip(a, s);
    agg_expect(a, back, "999.99");
    agg_state_free(a, back);
    agg_state_free(a, s);
    col.release(&col);
    if (agg_bind(a, "d:38,0", NULL, 0)) fail_msg("bind: %s", a->err.message);
    assert_string_equal(a->info.result_format, "d:38,0");
    static const char *const big[] = { "99999999999999999999999999999999999999", "1" };
    agg_col("d:38,0", big, N(big), &col);
    s = agg_state(a);
    agg_feed_all(a, s, &col);
    agg_expect(a, s, "null");
    agg_state_free(a, s);
    col.release(&col);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, agg_setup, agg_teardown)
    const struct CMUnitTest tests[] = {
        T(test_sum_of_longs_is_a_long_skipping_nulls),
        T(test_sum_of_decimals_is_exact_with_ten_more_digits),
        T(test_sum_of_longs_wraps_around_on_overflow_as_spark_without_ansi),
        T(test_sum_of_doubles_is_a_double),
        T(test_sum_of_doubles_adds_in_row_order_like_spark),
        T(test_sum_is_null_without_a_non_null_value),
        T(test_sum_routes_rows_to_groups_and_skips_null_states_and_offsets),
        T(test_sum_merged_partial_sums_equal_a_single_pass),
        T(test_sum_merging_an_empty_partial_keeps_null),
        T(test_sum_survives_a_serialize_round_trip),
        T(test_sum_refuses_a_state_saved_for_another_type),
        T(test_sum_rejects_arguments_that_are_not_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
