/* The `count_distinct` aggregator (count(DISTINCT x)), loaded from its real
 * .so and driven through the real host table (see agg_harness.h). */
#include "agg_harness.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void rebind(struct agg *a, const char *format)
{
    if (agg_bind(a, format, NULL, 0)) fail_msg("bind: %s", a->err.message);
}

static void expect_distinct(struct agg *a, const char *format, const char *const *vals, size_t n, const char *want)
{
    rebind(a, format);
    struct ArrowArray col;
    agg_col(format, vals, n, &col);
    void *s = agg_state(a);
    agg_feed_all(a, s, &col);
    col.release(&col); /* the set keeps copies */
    agg_expect(a, s, want);
    agg_state_free(a, s);
}

/* A column of longs first, first + step, ... (n values, no nulls). */
static void long_seq(int64_t first, int64_t step, int64_t n, struct ArrowArray *out)
{
    struct ArrowSchema schema;
    struct sluice_builder *b = agg_col_begin(SLUICE_FORMAT_LONG, &schema);
    for (int64_t i = 0; i < n; i++) sluice_builder_append_long(b, first + i * step);
    agg_col_end(b, &schema, out);
}

static void test_count_distinct_counts_each_long_once_and_skips_nulls(void **state)
{
    struct agg *a = *state;
    agg_load(a, "count_distinct");
    static const char *const v[] = { "1", "2", "1", NULL, "3", "2", "-1" };
    expect_distinct(a, SLUICE_FORMAT_LONG, v, N(v), "4");
    assert_string_equal(a->info.result_format, SLUICE_FORMAT_LONG);
    assert_true(a->info.has_destroy);
}

static void test_count_distinct_groups_zeros_together_and_nans_together_as_spark(void **state)
{
    struct agg *a = *state;
    agg_load(a, "count_distinct");
    static const char *const v[] = { "0", "-0.0", "nan", "-nan", "nan(0x123)", "1.5", NULL, "inf", "-inf" };
    expect_distinct(a, SLUICE_FORMAT_DOUBLE, v, N(v), "5"); /* 0, NaN, 1.5, inf, -inf */
}

static void test_count_distinct_compares_strings_by_their_bytes(void **state)
{
    struct agg *a = *state;
    agg_load(a, "count_distinct");
    static const char *const v[] = { "a", "", "a", "b", NULL, "", "A", "\xc3\xa9", "e\xcc\x81" };
    expect_distinct(a, SLUICE_FORMAT_STRING, v, N(v), "6"); /* a, "", b, A, é and e + combining accent */
}

static void test_count_distinct_counts_booleans_and_timestamps(void **state)
{
    struct agg *a = *state;
    agg_load(a, "count_distinct");
    static const char *const b[] = { "true", "false", "true", NULL, "false" };
    expect_distinct(a, SLUICE_FORMAT_BOOLEAN, b, N(b), "2");
    static const char *const t[] = { "true", NULL, "true" };
    expect_distinct(a, SLUICE_FORMAT_BOOLEAN, t, N(t), "1");
    static const char *const ts[] = { "1620028540000000", "1620028540000000", "1620028540000001", "0" };
    expect_distinct(a, SLUICE_FORMAT_TIMESTAMP, ts, N(ts), "3");
}

static void test_count_distinct_is_zero_not_null_without_values(void **state)
{
    struct agg *a = *state;
    agg_load(a, "count_distinct");
    static const char *const none[] = { NULL, NULL };
    expect_distinct(a, SLUICE_FORMAT_STRING, none, 0, "0");
    expect_distinct(a, SLUICE_FORMAT_LONG, none, N(none), "0");
}

static void test_count_distinct_grows_its_set_through_many_values(void **state)
{
    struct agg *a = *state;
    agg_open(a, "count_distinct", SLUICE_FORMAT_LONG);
    struct ArrowArray col;
    long_seq(-50000, 1, 100000, &col);
    void *s = agg_state(a);
    agg_feed_all(a, s, &col);
    agg_feed_all(a, s, &col); /* all seen already */
    agg_expect(a, s, "100000");
    agg_state_free(a, s);
    col.release(&col);

    rebind(a, SLUICE_FORMAT_STRING);
    struct ArrowSchema schema;
    struct sluice_builder *b = agg_col_begin(SLUICE_FORMAT_STRING, &schema);
    char text[64];
    for (int i = 0; i < 20000; i++) {
        int n = snprintf(text, sizeof text, "#tag%d%s", i % 10000, i % 3 ? "" : "-long-enough-to-need-more-bytes");
        sluice_builder_append_string(b, text, (size_t)n);
    }
    agg_col_end(b, &schema, &col);
    s = agg_state(a);
    agg_feed_all(a, s, &col);
    agg_feed_all(a, s, &col);
    /* Rows i and i + 10000 share a tag; each row has the suffix when its
     * own i % 3 == 0, so a tag comes out once or twice. */
    int64_t both = 0;
    for (int i = 0; i < 10000; i++) both += (i % 3 == 0) != ((i + 10000) % 3 == 0);
    char want[32];
    snprintf(want, sizeof want, "%lld", (long long)(10000 + both));
    agg_expect(a, s, want);
    agg_state_free(a, s);
    col.release(&col);
}

static void test_count_distinct_routes_rows_to_groups_and_skips_null_states_and_offsets(void **state)
{
    struct agg *a = *state;
    agg_open(a, "count_distinct", SLUICE_FORMAT_STRING);
    static const char *const v[] = { "zz", "en", "fr", "en", "de", NULL, "en", "zz" };
    struct ArrowArray col;
    agg_col(SLUICE_FORMAT_STRING, v, N(v), &col);
    struct ArrowArray view = agg_view(&col, 1, 6); /* en fr en de null en */
    void *g1 = agg_state(a), *g2 = agg_state(a);
    void *states[] = { g1, g2, g1, NULL, g2, g2 };
    agg_update(a, states, &view, 6);
    col.release(&col);
    agg_expect(a, g1, "1"); /* en, en */
    agg_expect(a, g2, "2"); /* fr, null, en */
    agg_state_free(a, g1);
    agg_state_free(a, g2);
}

static void test_count_distinct_merge_is_the_union_of_overlapping_parts(void **state)
{
    struct agg *a = *state;
    agg_open(a, "count_distinct", SLUICE_FORMAT_LONG);
    struct ArrowArray col;
    long_seq(0, 7, 3000, &col); /* 0, 7, ..., then the parts overlap below */
    static const int64_t cuts[] = { 0, 1000, 2000, 3000 };
    agg_expect_merge_equals_single_pass(a, &col, cuts, N(cuts));
    void *p1 = agg_state(a), *p2 = agg_state(a), *d = agg_state(a);
    agg_feed(a, p1, &col, 0, 2000);
    agg_feed(a, p2, &col, 1000, 2000);
    agg_merge(a, d, p1); /* into an empty set: copied */
    agg_state_free(a, p1);
    agg_expect(a, d, "2000");
    agg_merge(a, d, p2); /* 1000 new, 1000 already there */
    agg_expect(a, d, "3000");
    agg_feed_all(a, d, &col); /* the merged set still finds every value */
    agg_expect(a, d, "3000");
    agg_state_free(a, p2);
    agg_state_free(a, d);
    col.release(&col);

    rebind(a, SLUICE_FORMAT_STRING);
    static const char *const v[] = { "a", "b", NULL, "a", "c", "", "b", "d", "" };
    agg_col(SLUICE_FORMAT_STRING, v, N(v), &col);
    static const int64_t three[] = { 0, 3, 6, 9 }, two[] = { 0, 5, 9 };
    agg_expect_merge_equals_single_pass(a, &col, three, N(three));
    agg_expect_merge_equals_single_pass(a, &col, two, N(two));
    col.release(&col);
}

static void test_count_distinct_saves_strings_compactly_and_round_trips(void **state)
{
    struct agg *a = *state;
    agg_open(a, "count_distinct", SLUICE_FORMAT_STRING);
    static const char *const v[] = { "ab", "c", "ab", NULL, "" };
    struct ArrowArray col;
    agg_col(SLUICE_FORMAT_STRING, v, N(v), &col);
    void *s = agg_state(a);
    agg_feed_all(a, s, &col);
    col.release(&col);
    struct sluice_buf saved;
    agg_save(a, s, &saved);
    /* type, 3 values, 6 area bytes: [2]"ab" [1]"c" [0] */
    static const char want[] = { SLUICE_TYPE_STRING, 3, 6, 2, 'a', 'b', 1, 'c', 0 };
    assert_int_equal(saved.len, sizeof want);
    assert_memory_equal(saved.data, want, sizeof want);
    sluice_buf_free(&saved);
    void *copy = agg_round_trip(a, s);
    agg_expect(a, copy, "3");
    agg_state_free(a, s);
    agg_state_free(a, copy);

    static const struct {
        const char *format;
        const char *vals[4];
        const char *want;
    } cases[] = {
        { SLUICE_FORMAT_LONG, { "-1", "9223372036854775807", "-1", NULL }, "2" },
        { SLUICE_FORMAT_DOUBLE, { "-0.0", "nan", "0", "2" }, "3" },
        { SLUICE_FORMAT_BOOLEAN, { "false", NULL, "false", "true" }, "2" },
        { SLUICE_FORMAT_TIMESTAMP, { NULL, NULL, NULL, NULL }, "0" },
    };
    for (size_t c = 0; c < N(cases); c++) {
        rebind(a, cases[c].format);
        agg_col(cases[c].format, cases[c].vals, 4, &col);
        s = agg_state(a);
        agg_feed_all(a, s, &col);
        col.release(&col);
        copy = agg_round_trip(a, s);
        agg_expect(a, copy, cases[c].want);
        agg_state_free(a, s);
        agg_state_free(a, copy);
    }
}

static void test_count_distinct_refuses_a_corrupt_or_foreign_state(void **state)
{
    struct agg *a = *state;
    agg_open(a, "count_distinct", SLUICE_FORMAT_STRING);
    void *s;
    static const char truncated[] = { SLUICE_TYPE_STRING, 1, 3, 5, 'a', 'b' };
    assert_int_equal(agg_load_state(a, truncated, sizeof truncated, &s), SLUICE_EDATA);
    assert_string_equal(a->err.message, "corrupt count(DISTINCT) state (6 bytes)");
    agg_expect(a, s, "0");
    agg_state_free(a, s);
    static const char duplicates[] = { SLUICE_TYPE_STRING, 2, 4, 1, 'a', 1, 'a' };
    assert_int_equal(agg_load_state(a, duplicates, sizeof duplicates, &s), SLUICE_EDATA);
    agg_state_free(a, s);
    static const char foreign[] = { SLUICE_TYPE_LONG, 0, 0 };
    assert_int_equal(agg_load_state(a, foreign, sizeof foreign, &s), SLUICE_EDATA);
    assert_string_equal(a->err.message, "saved count(DISTINCT) state is for long values, not string");
    agg_state_free(a, s);

    rebind(a, SLUICE_FORMAT_BOOLEAN);
    static const char bad_bool[] = { SLUICE_TYPE_BOOLEAN, 1, 1, 7 };
    assert_int_equal(agg_load_state(a, bad_bool, sizeof bad_bool, &s), SLUICE_EDATA);
    agg_state_free(a, s);
    static const char good_bool[] = { SLUICE_TYPE_BOOLEAN, 2, 2, 1, 0 };
    assert_int_equal(agg_load_state(a, good_bool, sizeof good_bool, &s), SLUICE_OK);
    agg_expect(a, s, "2");
    agg_state_free(a, s);
}

static void test_count_distinct_rejects_arguments_it_cannot_compare(void **state)
{
    struct agg *a = *state;
    agg_load(a, "count_distinct");
    assert_int_equal(agg_bind(a, SLUICE_FORMAT_ARRAY, NULL, 0), SLUICE_ECONFIG);
    assert_string_equal(a->err.message,
                        "function 'count(DISTINCT)' expects a boolean, long, double, decimal, string, timestamp or date, got array");
    assert_int_equal(agg_bind(a, NULL, NULL, 0), SLUICE_ECONFIG);
    assert_string_equal(a->err.message, "function 'count(DISTINCT)' needs an argument, not *");
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, agg_setup, agg_teardown)
    const struct CMUnitTest tests[] = {
        T(test_count_distinct_counts_each_long_once_and_skips_nulls),
        T(test_count_distinct_groups_zeros_together_and_nans_together_as_spark),
        T(test_count_distinct_compares_strings_by_their_bytes),
        T(test_count_distinct_counts_booleans_and_timestamps),
        T(test_count_distinct_is_zero_not_null_without_values),
        T(test_count_distinct_grows_its_set_through_many_values),
        T(test_count_distinct_routes_rows_to_groups_and_skips_null_states_and_offsets),
        T(test_count_distinct_merge_is_the_union_of_overlapping_parts),
        T(test_count_distinct_saves_strings_compactly_and_round_trips),
        T(test_count_distinct_refuses_a_corrupt_or_foreign_state),
        T(test_count_distinct_rejects_arguments_it_cannot_compare),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
