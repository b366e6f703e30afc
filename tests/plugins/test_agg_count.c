/* The `count` aggregator (count(*), count(x)), loaded from its real .so
 * and driven through the real host table (see agg_harness.h). */
#include "agg_harness.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void test_count_star_counts_every_row_nulls_and_all(void **state)
{
    struct agg *a = *state;
    agg_open(a, "count", NULL);
    assert_string_equal(a->info.result_format, SLUICE_FORMAT_LONG);
    assert_false(a->info.has_destroy);
    void *s = agg_state(a);
    agg_feed(a, s, NULL, 0, 5);
    agg_feed(a, s, NULL, 0, 2);
    agg_expect(a, s, "7");
    agg_state_free(a, s);
}

static void test_count_of_a_column_counts_only_its_non_null_values(void **state)
{
    struct agg *a = *state;
    agg_open(a, "count", SLUICE_FORMAT_LONG);
    static const char *const v[] = { "1", NULL, "3", NULL, NULL, "0" };
    struct ArrowArray col;
    agg_col(SLUICE_FORMAT_LONG, v, N(v), &col);
    void *s = agg_state(a);
    agg_feed_all(a, s, &col);
    agg_expect(a, s, "3");
    agg_state_free(a, s);
    col.release(&col);
}

static void test_count_is_zero_not_null_for_a_group_without_rows_or_values(void **state)
{
    struct agg *a = *state;
    agg_open(a, "count", SLUICE_FORMAT_STRING);
    void *empty = agg_state(a);
    agg_expect(a, empty, "0");
    static const char *const v[] = { NULL, NULL };
    struct ArrowArray col;
    agg_col(SLUICE_FORMAT_STRING, v, N(v), &col);
    void *nulls = agg_state(a);
    agg_feed_all(a, nulls, &col);
    agg_expect(a, nulls, "0");
    agg_state_free(a, empty);
    agg_state_free(a, nulls);
    col.release(&col);
}

static void test_count_accepts_every_type_and_reads_only_validity(void **state)
{
    struct agg *a = *state;
    agg_load(a, "count");
    static const char *const formats[] = { SLUICE_FORMAT_BOOLEAN, SLUICE_FORMAT_DOUBLE, SLUICE_FORMAT_STRING,
                                           SLUICE_FORMAT_TIMESTAMP, SLUICE_FORMAT_LONG };
    static const char *const vals[][3] = {
        { "true", NULL, "false" }, { "nan", NULL, "-0.0" }, { "", NULL, "x" }, { "0", NULL, "-5" }, { "1", NULL, "2" },
    };
    for (size_t f = 0; f < N(formats); f++) {
        assert_int_equal(agg_bind(a, formats[f], NULL, 0), SLUICE_OK);
        struct ArrowArray col;
        agg_col(formats[f], vals[f], 3, &col);
        void *s = agg_state(a);
        agg_feed_all(a, s, &col);
        agg_expect(a, s, "2");
        agg_state_free(a, s);
        col.release(&col);
    }
    /* Structs and arrays too: only the validity bitmap is read. */
    assert_int_equal(agg_bind(a, SLUICE_FORMAT_STRUCT, NULL, 0), SLUICE_OK);
}

static void test_count_routes_each_row_to_its_group_and_skips_null_states(void **state)
{
    struct agg *a = *state;
    agg_open(a, "count", SLUICE_FORMAT_LONG);
    static const char *const v[] = { "1", "2", NULL, "4", "5", "6" };
    struct ArrowArray col;
    agg_col(SLUICE_FORMAT_LONG, v, N(v), &col);
    void *g1 = agg_state(a), *g2 = agg_state(a);
    void *states[] = { g1, g2, g1, NULL, g1, g2 };
    agg_update(a, states, &col, 6);
    agg_expect(a, g1, "2"); /* rows 0 and 4; row 2 is null */
    agg_expect(a, g2, "2"); /* rows 1 and 5; row 3 has no group */
    void *star = agg_state(a);
    void *only_some[] = { star, NULL, NULL, star, NULL, star };
    agg_update(a, only_some, &col, 6);
    agg_expect(a, star, "3");
    agg_state_free(a, g1);
    agg_state_free(a, g2);
    agg_state_free(a, star);
    col.release(&col);
}

static void test_count_reads_a_sliced_column_at_its_offset(void **state)
{
    struct agg *a = *state;
    agg_open(a, "count", SLUICE_FORMAT_DOUBLE);
    static const char *const v[] = { NULL, NULL, "1", "2", NULL, "3", NULL };
    struct ArrowArray col;
    agg_col(SLUICE_FORMAT_DOUBLE, v, N(v), &col);
    void *s = agg_state(a);
    agg_feed(a, s, &col, 1, 5); /* rows 1..5: null, 1, 2, null, 3 */
    agg_expect(a, s, "3");
    void *t = agg_state(a);
    agg_feed(a, t, &col, 5, 2); /* 3, null */
    agg_expect(a, t, "1");
    agg_state_free(a, s);
    agg_state_free(a, t);
    col.release(&col);
}

static void test_count_merged_partial_counts_equal_a_single_pass(void **state)
{
    struct agg *a = *state;
    agg_open(a, "count", SLUICE_FORMAT_LONG);
    static const char *const v[] = { "1", NULL, "3", "4", NULL, NULL, "7", "8" };
    struct ArrowArray col;
    agg_col(SLUICE_FORMAT_LONG, v, N(v), &col);
    static const int64_t three[] = { 0, 3, 5, 8 }, two[] = { 0, 1, 8 };
    agg_expect_merge_equals_single_pass(a, &col, three, N(three));
    agg_expect_merge_equals_single_pass(a, &col, two, N(two));
    col.release(&col);
}

static void test_count_survives_a_serialize_round_trip(void **state)
{
    struct agg *a = *state;
    agg_open(a, "count", NULL);
    void *s = agg_state(a);
    agg_feed(a, s, NULL, 0, 300); /* two varint bytes */
    void *copy = agg_round_trip(a, s);
    agg_expect(a, copy, "300");
    struct sluice_buf saved;
    agg_save(a, s, &saved);
    assert_int_equal(saved.len, 2);
    sluice_buf_free(&saved);
    void *empty = agg_state(a), *empty_copy = agg_round_trip(a, empty);
    agg_expect(a, empty_copy, "0");
    agg_state_free(a, s);
    agg_state_free(a, copy);
    agg_state_free(a, empty);
    agg_state_free(a, empty_copy);
}

static void test_count_rejects_a_truncated_or_padded_state(void **state)
{
    struct agg *a = *state;
    agg_open(a, "count", NULL);
    void *s;
    assert_int_equal(agg_load_state(a, "\x80", 1, &s), SLUICE_EDATA);
    assert_string_equal(a->err.message, "corrupt count state (1 bytes)");
    agg_expect(a, s, "0");
    agg_state_free(a, s);
    assert_int_equal(agg_load_state(a, "\x05\x00", 2, &s), SLUICE_EDATA);
    agg_state_free(a, s);
    assert_int_equal(agg_load_state(a, "", 0, &s), SLUICE_EDATA);
    agg_state_free(a, s);
}

static void test_count_rejects_a_second_argument(void **state)
{
    struct agg *a = *state;
    agg_load(a, "count");
    static const char *const params[] = { "1" };
    assert_int_equal(agg_bind(a, SLUICE_FORMAT_LONG, params, 1), SLUICE_ECONFIG);
    assert_string_equal(a->err.message, "function 'count' takes one argument, got 2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_count_star_counts_every_row_nulls_and_all, agg_setup, agg_teardown),
        cmocka_unit_test_setup_teardown(test_count_of_a_column_counts_only_its_non_null_values, agg_setup,
                                        agg_teardown),
        cmocka_unit_test_setup_teardown(test_count_is_zero_not_null_for_a_group_without_rows_or_values, agg_setup,
                                        agg_teardown),
        cmocka_unit_test_setup_teardown(test_count_accepts_every_type_and_reads_only_validity, agg_setup,
                                        agg_teardown),
        cmocka_unit_test_setup_teardown(test_count_routes_each_row_to_its_group_and_skips_null_states, agg_setup,
                                        agg_teardown),
        cmocka_unit_test_setup_teardown(test_count_reads_a_sliced_column_at_its_offset, agg_setup, agg_teardown),
        cmocka_unit_test_setup_teardown(test_count_merged_partial_counts_equal_a_single_pass, agg_setup,
                                        agg_teardown),
        cmocka_unit_test_setup_teardown(test_count_survives_a_serialize_round_trip, agg_setup, agg_teardown),
        cmocka_unit_test_setup_teardown(test_count_rejects_a_truncated_or_padded_state, agg_setup, agg_teardown),
        cmocka_unit_test_setup_teardown(test_count_rejects_a_second_argument, agg_setup, agg_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
