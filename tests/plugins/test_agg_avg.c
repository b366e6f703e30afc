/* The `avg` aggregator, loaded from its real .so and driven through the
 * real host table (see agg_harness.h). */
#include "agg_harness.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_avg_of_longs_is_a_double_skipping_nulls(void **state)
{
    struct agg *a = *state;
    agg_open(a, "avg", SLUICE_FORMAT_LONG);
    assert_string_equal(a->info.result_format, SLUICE_FORMAT_DOUBLE);
    assert_false(a->info.has_destroy);
    static const char *const v[] = { "1", NULL, "2", "4", NULL };
    struct ArrowArray col;
    agg_col(SLUICE_FORMAT_LONG, v, N(v), &col);
    void *s = agg_state(a);
    agg_feed_all(a, s, &col);
    agg_expect(a, s, "2.3333333333333335"); /* 7.0 / 3 */
    agg_state_free(a, s);
    col.release(&col);
}

static void test_avg_of_longs_sums_them_as_doubles_as_spark_does(void **state)
{
    struct agg *a = *state;
    agg_open(a, "avg", SLUICE_FORMAT_LONG);
    /* 2^53 + 1 is not a double: Spark's double sum loses it, so the average does too. */
    static const char *const v[] = { "9007199254740993", "9007199254740993" };
    struct ArrowArray col;
    agg_col(SLUICE_FORMAT_LONG, v, N(v), &col);
    void *s = agg_state(a);
    agg_feed_all(a, s, &col);
    agg_expect(a, s, "9007199254740992");
    agg_state_free(a, s);
    col.release(&col);
}

static void test_avg_of_doubles_is_the_mean(void **state)
{
    struct agg *a = *state;
    agg_open(a, "avg", SLUICE_FORMAT_DOUBLE);
    static const char *const v[] = { "0.5", "-1.5", NULL, "4" };
    struct ArrowArray col;
    agg_col(SLUICE_FORMAT_DOUBLE, v, N(v), &col);
    void *s = agg_state(a);
    agg_feed_all(a, s, &col);
    agg_expect(a, s, "1");
    agg_state_free(a, s);
    col.release(&col);
}

static void test_avg_is_null_without_a_non_null_value(void **state)
{
    struct agg *a = *state;
    agg_open(a, "avg", SLUICE_FORMAT_DOUBLE);
    void *s = agg_state(a);
    agg_expect(a, s, "null");
    static const char *const v[] = { NULL };
    struct ArrowArray col;
    agg_col(SLUICE_FORMAT_DOUBLE, v, N(v), &col);
    agg_feed_all(a, s, &col);
    agg_expect(a, s, "null");
    agg_state_free(a, s);
    col.release(&col);
}

static void test_avg_routes_rows_to_groups_and_skips_null_states_and_offsets(void **state)
{
    struct agg *a = *state;
    agg_open(a, "avg", SLUICE_FORMAT_LONG);
    static const char *const v[] = { "1000", "1", "2", "3", "4", "1000" };
    struct ArrowArray col;
    agg_col(SLUICE_FORMAT_LONG, v, N(v), &col);
    struct ArrowArray view = agg_view(&col, 1, 4);
    void *g = agg_state(a);
    void *states[] = { g, NULL, g, g };
    agg_update(a, states, &view, 4);
    agg_expect(a, g, "2.6666666666666665"); /* (1 + 3 + 4) / 3 */
    agg_state_free(a, g);
    col.release(&col);
}

static void test_avg_merged_partials_equal_a_single_pass(void **state)
{
    struct agg *a = *state;
    agg_open(a, "avg", SLUICE_FORMAT_LONG);
    static const char *const v[] = { "3", NULL, "5", "8", NULL, "13", "21", NULL, "34" };
    struct ArrowArray col;
    agg_col(SLUICE_FORMAT_LONG, v, N(v), &col);
    static const int64_t three[] = { 0, 4, 5, 9 }, two[] = { 0, 2, 9 };
    agg_expect_merge_equals_single_pass(a, &col, three, N(three));
    agg_expect_merge_equals_single_pass(a, &col, two, N(two));
    void *s = agg_state(a);
    agg_feed_all(a, s, &col);
    agg_expect(a, s, "14");
    agg_state_free(a, s);
    col.release(&col);
}

static void test_avg_survives_a_serialize_round_trip(void **state)
{
    struct agg *a = *state;
    agg_open(a, "avg", SLUICE_FORMAT_DOUBLE);
    static const char *const v[] = { "0.1", "0.7", "1e300" };
    struct ArrowArray col;
    agg_col(SLUICE_FORMAT_DOUBLE, v, N(v), &col);
    void *s = agg_state(a);
    agg_feed(a, s, &col, 0, 2);
    void *copy = agg_round_trip(a, s);
    agg_feed(a, copy, &col, 2, 1); /* the copy keeps counting */
    agg_expect(a, copy, "3.3333333333333335e+299");
    void *empty = agg_state(a), *empty_copy = agg_round_trip(a, empty);
    agg_expect(a, empty_copy, "null");
    agg_state_free(a, s);
    agg_state_free(a, copy);
    agg_state_free(a, empty);
    agg_state_free(a, empty_copy);
    col.release(&col);
}

static void test_avg_refuses_a_corrupt_or_foreign_state(void **state)
{
    struct agg *a = *state;
    agg_open(a, "avg", SLUICE_FORMAT_LONG);
    void *s = agg_state(a);
    struct sluice_buf saved;
    agg_save(a, s, &saved);
    agg_state_free(a, s);
    assert_int_equal(saved.len, 10);
    assert_int_equal(agg_load_state(a, saved.data, 9, &s), SLUICE_EDATA);
    assert_string_equal(a->err.message, "corrupt avg state (9 bytes)");
    agg_state_free(a, s);
    saved.data[0] = SLUICE_TYPE_STRING;
    assert_int_equal(agg_load_state(a, saved.data, saved.len, &s), SLUICE_EDATA);
    assert_string_equal(a->err.message, "saved avg state is for string values, not long");
    agg_expect(a, s, "null");
    agg_state_free(a, s);
    sluice_buf_free(&saved);
}

static void test_avg_rejects_arguments_that_are_not_numbers(void **state)
{
    struct agg *a = *state;
    agg_load(a, "avg");
    assert_int_equal(agg_bind(a, SLUICE_FORMAT_STRING, NULL, 0), SLUICE_ECONFIG);
    assert_string_equal(a->err.message, "function 'avg' expects a number, got string");
    assert_int_equal(agg_bind(a, SLUICE_FORMAT_TIMESTAMP, NULL, 0), SLUICE_ECONFIG);
    assert_string_equal(a->err.message, "function 'avg' expects a number, got timestamp");
    assert_int_equal(agg_bind(a, NULL, NULL, 0), SLUICE_ECONFIG);
    assert_string_equal(a->err.message, "function 'avg' needs an argument, not *");
}

/* DECIMAL(5,2) averages to DECIMAL(9,6), Spark's division rounded half
 * up: (1.00 + 2.00 + 2.00) / 3 = 1.666667; -0.01 / 6 = -0.001667. */
static void test_avg_of_decimals_rounds_as_spark(void **state)
{
    struct agg *a = *state;
    agg_open(a, "avg", "d:5,2");
    assert_string_equal(a->info.result_format, "d:9,6");
    static const char *const v[] = { "1.00", NULL, "2.00", "2.00" };
    struct ArrowArray col;
    agg_col("d:5,2", v, N(v), &col);
    void *s = agg_state(a);
    agg_feed_all(a, s, &col);
    agg_expect(a, s, "1.666667");
    void *back = agg_round_trip(a, s);
    agg_expect(a, back, "1.666667");
    agg_state_free(a, back);
    agg_state_free(a, s);
    col.release(&col);
    static const char *const w[] = { "-0.01", "0", "0", "0", "0", "0" };
    agg_col("d:5,2", w, N(w), &col);
    s = agg_state(a);
    agg_feed_all(a, s, &col);
    agg_expect(a, s, "-0.001667");
    agg_state_free(a, s);
    col.release(&col);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, agg_setup, agg_teardown)
    const struct CMUnitTest tests[] = {
        T(test_avg_of_longs_is_a_double_skipping_nulls),
        T(test_avg_of_decimals_rounds_as_spark),
        T(test_avg_of_longs_sums_them_as_doubles_as_spark_does),
        T(test_avg_of_doubles_is_the_mean),
        T(test_avg_is_null_without_a_non_null_value),
        T(test_avg_routes_rows_to_groups_and_skips_null_states_and_offsets),
        T(test_avg_merged_partials_equal_a_single_pass),
        T(test_avg_survives_a_serialize_round_trip),
        T(test_avg_refuses_a_corrupt_or_foreign_state),
        T(test_avg_rejects_arguments_that_are_not_numbers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
