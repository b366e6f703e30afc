/* The `approx_count_distinct` aggregator (HyperLogLog++), loaded from its
 * real .so and driven through the real host table (see agg_harness.h). */
#include <math.h>

#include "agg_harness.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void rebind(struct agg *a, const char *format, const char *rsd)
{
    const char *const params[] = { rsd };
    if (agg_bind(a, format, params, rsd ? 1 : 0)) fail_msg("bind: %s", a->err.message);
}

/* Longs first, first + 1, ..., first + n - 1. */
static void long_seq(int64_t first, int64_t n, struct ArrowArray *out)
{
    struct ArrowSchema schema;
    struct sluice_builder *b = agg_col_begin(SLUICE_FORMAT_LONG, &schema);
    for (int64_t i = 0; i < n; i++) sluice_builder_append_long(b, first + i);
    agg_col_end(b, &schema, out);
}

static int64_t estimate(struct agg *a, const void *state)
{
    char *text = agg_result(a, state);
    int64_t v = strtoll(text, NULL, 10);
    free(text);
    return v;
}

/* The estimate of n distinct values fed from `col` is within 3 rsd. */
static void expect_within(struct agg *a, const struct ArrowArray *col, double rsd)
{
    void *s = agg_state(a);
    agg_feed_all(a, s, col);
    int64_t got = estimate(a, s), n = col->length;
    double err = fabs((double)(got - n)) / (double)n;
    if (err > 3 * rsd) fail_msg("%lld distinct values estimated as %lld (error %.4f > %.4f)", (long long)n,
                                (long long)got, err, 3 * rsd);
    agg_state_free(a, s);
}

static void test_approx_count_distinct_defaults_to_spark_precision_9(void **state)
{
    struct agg *a = *state;
    agg_open(a, "approx_count_distinct", SLUICE_FORMAT_LONG);
    assert_string_equal(a->info.result_format, SLUICE_FORMAT_LONG);
    assert_int_equal(a->info.state_size, 512); /* p = ceil(2 log2(1.106 / 0.05)) = 9: one byte per register */
    assert_false(a->info.has_destroy);
    void *s = agg_state(a);
    agg_expect(a, s, "0");
    agg_state_free(a, s);
}

static void test_approx_count_distinct_hashes_a_string_as_spark_xxhash64_does(void **state)
{
    struct agg *a = *state;
    agg_open(a, "approx_count_distinct", SLUICE_FORMAT_STRING);
    static const char *const v[] = { "ABC" };
    struct ArrowArray col;
    agg_col(SLUICE_FORMAT_STRING, v, 1, &col);
    void *s = agg_state(a);
    agg_feed_all(a, s, &col);
    col.release(&col);
    /* Spark's documentation: xxhash64('ABC') = 4105715581806190027 (seed 42). */
    uint64_t h = UINT64_C(4105715581806190027);
    size_t idx = (size_t)(h >> (64 - 9));
    uint8_t pw = (uint8_t)(__builtin_clzll((h << 9) | (UINT64_C(1) << 8)) + 1);
    struct sluice_buf saved;
    agg_save(a, s, &saved);
    assert_int_equal(saved.len, 1 + 512);
    assert_int_equal((uint8_t)saved.data[0], 9);
    for (size_t j = 0; j < 512; j++) assert_int_equal((uint8_t)saved.data[1 + j], j == idx ? pw : 0);
    sluice_buf_free(&saved);
    agg_expect(a, s, "1");
    agg_state_free(a, s);
}

static void test_approx_count_distinct_is_within_three_rsd_from_ten_to_a_million(void **state)
{
    struct agg *a = *state;
    agg_open(a, "approx_count_distinct", SLUICE_FORMAT_LONG);
    static const int64_t sizes[] = { 10, 1000, 100000, 1000000 };
    for (size_t i = 0; i < N(sizes); i++) {
        struct ArrowArray col;
        long_seq(1000 * (int64_t)i, sizes[i], &col);
        expect_within(a, &col, 0.05);
        col.release(&col);
    }
    /* Strings hash their bytes. */
    rebind(a, SLUICE_FORMAT_STRING, NULL);
    struct ArrowSchema schema;
    struct sluice_builder *b = agg_col_begin(SLUICE_FORMAT_STRING, &schema);
    char text[32];
    for (int i = 0; i < 100000; i++) {
        int n = snprintf(text, sizeof text, "user%d", i);
        sluice_builder_append_string(b, text, (size_t)n);
    }
    struct ArrowArray col;
    agg_col_end(b, &schema, &col);
    expect_within(a, &col, 0.05);
    col.release(&col);
}

static void test_approx_count_distinct_is_unbiased_between_linear_counting_and_5m(void **state)
{
    struct agg *a = *state;
    agg_open(a, "approx_count_distinct", SLUICE_FORMAT_LONG);
    /* p = 9 leaves linear counting near 400 values and trusts the raw
     * estimate only from 2560: in between, the raw estimate alone would be
     * some 16% high at 600. Average 40 sketches per size to see the bias. */
    static const int64_t sizes[] = { 450, 600, 900, 1400, 2000 };
    for (size_t i = 0; i < N(sizes); i++) {
        double sum = 0;
        for (int64_t k = 0; k < 40; k++) {
            struct ArrowArray col;
            long_seq(k * 1000003, sizes[i], &col);
            void *s = agg_state(a);
            agg_feed_all(a, s, &col);
            sum += (double)estimate(a, s) / (double)sizes[i];
            agg_state_free(a, s);
            col.release(&col);
        }
        double bias = sum / 40 - 1;
        if (fabs(bias) > 0.02) fail_msg("mean relative error %.4f at %lld values", bias, (long long)sizes[i]);
    }
}

static void test_approx_count_distinct_merged_sketch_equals_the_single_pass_sketch(void **state)
{
    struct agg *a = *state;
    agg_open(a, "approx_count_distinct", SLUICE_FORMAT_LONG);
    struct ArrowArray col;
    long_seq(77, 30000, &col);
    void *single = agg_state(a), *merged = agg_state(a);
    agg_feed_all(a, single, &col);
    static const int64_t cuts[] = { 0, 5000, 21000, 30000 };
    for (size_t k = 0; k + 1 < N(cuts); k++) {
        void *part = agg_state(a);
        agg_feed(a, part, &col, cuts[k], cuts[k + 1] - cuts[k]);
        agg_merge(a, merged, part);
        agg_state_free(a, part);
    }
    struct sluice_buf x, y;
    agg_save(a, single, &x);
    agg_save(a, merged, &y);
    assert_int_equal(x.len, y.len);
    assert_memory_equal(x.data, y.data, x.len);
    assert_int_equal(estimate(a, single), estimate(a, merged));
    sluice_buf_free(&x);
    sluice_buf_free(&y);
    agg_state_free(a, single);
    agg_state_free(a, merged);
    col.release(&col);
}

static void test_approx_count_distinct_counts_doubles_booleans_and_timestamps(void **state)
{
    struct agg *a = *state;
    agg_load(a, "approx_count_distinct");
    struct ArrowArray col;
    void *s;
    static const char *const d[] = { "0", "-0.0", "nan", "-nan", "1.5", NULL };
    static const char *const b[] = { "true", "false", NULL, "true" };
    static const char *const t[] = { "1620028540000000", "1620028540000000", "1620028540000001", NULL };
    static const struct {
        const char *format;
        const char *const *vals;
        size_t n;
        const char *want;
    } cases[] = {
        { SLUICE_FORMAT_DOUBLE, d, N(d), "3" }, /* zeros are one value, NaNs another, as in Spark */
        { SLUICE_FORMAT_BOOLEAN, b, N(b), "2" },
        { SLUICE_FORMAT_TIMESTAMP, t, N(t), "2" },
        { SLUICE_FORMAT_TIMESTAMP, t + 3, 1, "0" },
    };
    for (size_t c = 0; c < N(cases); c++) {
        rebind(a, cases[c].format, NULL);
        agg_col(cases[c].format, cases[c].vals, cases[c].n, &col);
        s = agg_state(a);
        agg_feed_all(a, s, &col);
        agg_expect(a, s, cases[c].want);
        agg_state_free(a, s);
        col.release(&col);
    }
}

static void test_approx_count_distinct_skips_null_states_and_reads_at_the_offset(void **state)
{
    struct agg *a = *state;
    agg_open(a, "approx_count_distinct", SLUICE_FORMAT_STRING);
    static const char *const v[] = { "x", "en", "fr", "de", NULL, "en", "y" };
    struct ArrowArray col;
    agg_col(SLUICE_FORMAT_STRING, v, N(v), &col);
    struct ArrowArray view = agg_view(&col, 1, 5); /* en fr de null en */
    void *g1 = agg_state(a), *g2 = agg_state(a);
    void *states[] = { g1, g2, NULL, g2, g1 };
    agg_update(a, states, &view, 5);
    col.release(&col);
    agg_expect(a, g1, "1");
    agg_expect(a, g2, "1");
    agg_state_free(a, g1);
    agg_state_free(a, g2);
}

static void test_approx_count_distinct_takes_a_relative_error_as_spark_does(void **state)
{
    struct agg *a = *state;
    agg_load(a, "approx_count_distinct");
    rebind(a, SLUICE_FORMAT_LONG, "0.01");
    assert_int_equal(a->info.state_size, 16384); /* p = ceil(2 log2(110.6)) = 14 */
    struct ArrowArray col;
    long_seq(0, 100000, &col);
    expect_within(a, &col, 0.01);
    col.release(&col);
    rebind(a, SLUICE_FORMAT_LONG, "0.39");
    assert_int_equal(a->info.state_size, 16); /* p = 4, the least Spark allows */

    static const char *const bad[] = { "0.5" };
    assert_int_equal(agg_bind(a, SLUICE_FORMAT_LONG, bad, 1), SLUICE_ECONFIG);
    assert_string_equal(a->err.message, "approx_count_distinct's relative error 0.5 is too large: HyperLogLog++ "
                                        "needs at least 4 bits of addressing, so at most 0.39");
    static const char *const tiny[] = { "0.001" };
    assert_int_equal(agg_bind(a, SLUICE_FORMAT_LONG, tiny, 1), SLUICE_ECONFIG);
    assert_string_equal(a->err.message, "approx_count_distinct's relative error 0.001 is too small: the smallest "
                                        "supported is 0.00216 (2^18 registers per group)");
    static const char *const words[] = { "'five percent'" }, *const zero[] = { "0" };
    assert_int_equal(agg_bind(a, SLUICE_FORMAT_LONG, words, 1), SLUICE_ECONFIG);
    assert_string_equal(a->err.message,
                        "approx_count_distinct's relative error must be a positive number, got 'five percent'");
    assert_int_equal(agg_bind(a, SLUICE_FORMAT_LONG, zero, 1), SLUICE_ECONFIG);
    static const char *const two[] = { "0.05", "1" };
    assert_int_equal(agg_bind(a, SLUICE_FORMAT_LONG, two, 2), SLUICE_ECONFIG);
    assert_string_equal(a->err.message, "function 'approx_count_distinct' takes 1 or 2 arguments, got 3");
    assert_int_equal(agg_bind(a, SLUICE_FORMAT_ARRAY, NULL, 0), SLUICE_ECONFIG);
    assert_string_equal(a->err.message, "function 'approx_count_distinct' expects a boolean, long, double, "
                                        "decimal, string, timestamp or date, got array");
}

static void test_approx_count_distinct_survives_a_serialize_round_trip(void **state)
{
    struct agg *a = *state;
    agg_open(a, "approx_count_distinct", SLUICE_FORMAT_LONG);
    struct ArrowArray col;
    long_seq(5, 5000, &col);
    void *s = agg_state(a);
    agg_feed_all(a, s, &col);
    void *copy = agg_round_trip(a, s);
    assert_int_equal(estimate(a, copy), estimate(a, s));
    agg_state_free(a, s);
    agg_state_free(a, copy);
    col.release(&col);
}

static void test_approx_count_distinct_refuses_a_state_of_another_precision_or_corrupt(void **state)
{
    struct agg *a = *state;
    agg_load(a, "approx_count_distinct");
    rebind(a, SLUICE_FORMAT_LONG, "0.1"); /* p = 7 */
    void *s = agg_state(a);
    struct sluice_buf saved;
    agg_save(a, s, &saved);
    agg_state_free(a, s);
    rebind(a, SLUICE_FORMAT_LONG, NULL);
    assert_int_equal(agg_load_state(a, saved.data, saved.len, &s), SLUICE_EDATA);
    assert_string_equal(a->err.message,
                        "saved approx_count_distinct state has precision 7, not 9 (was the relative error changed?)");
    agg_state_free(a, s);
    sluice_buf_free(&saved);

    char bad[1 + 512] = { 9 };
    bad[1 + 100] = 57; /* at most 64 - 9 + 1 */
    assert_int_equal(agg_load_state(a, bad, sizeof bad, &s), SLUICE_EDATA);
    assert_string_equal(a->err.message, "corrupt approx_count_distinct state (register 100 is 57)");
    agg_expect(a, s, "0");
    agg_state_free(a, s);
    assert_int_equal(agg_load_state(a, bad, 100, &s), SLUICE_EDATA);
    assert_string_equal(a->err.message, "corrupt approx_count_distinct state (100 bytes)");
    agg_state_free(a, s);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, agg_setup, agg_teardown)
    const struct CMUnitTest tests[] = {
        T(test_approx_count_distinct_defaults_to_spark_precision_9),
        T(test_approx_count_distinct_hashes_a_string_as_spark_xxhash64_does),
        T(test_approx_count_distinct_is_within_three_rsd_from_ten_to_a_million),
        T(test_approx_count_distinct_is_unbiased_between_linear_counting_and_5m),
        T(test_approx_count_distinct_merged_sketch_equals_the_single_pass_sketch),
        T(test_approx_count_distinct_counts_doubles_booleans_and_timestamps),
        T(test_approx_count_distinct_skips_null_states_and_reads_at_the_offset),
        T(test_approx_count_distinct_takes_a_relative_error_as_spark_does),
        T(test_approx_count_distinct_survives_a_serialize_round_trip),
        T(test_approx_count_distinct_refuses_a_state_of_another_precision_or_corrupt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
