/* The watermark tracker (core/runtime/agg/watermark.c): Spark's millisecond arithmetic,
 * a watermark that only moves forward and only after rows were seen, nulls
 * ignored, the "min" policy over several declarations, and concurrent
 * observers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "builder.h"
#include "schema.h"
#include "watermark.h"

#define S 1000000LL
#define NUL INT64_MAX /* stands for a null in times() */

/* A batch of one timestamp column; *col points at it. */
static void times(const int64_t *t, int64_t n, struct sluice_batch *out)
{
    struct ArrowSchema s;
    struct sluice_error err;
    if (sluice_schema_parse("t TIMESTAMP", &s, &err)) fail_msg("%s", err.message);
    struct sluice_builder *b = sluice_builder_new(&s);
    for (int64_t i = 0; i < n; i++) {
        sluice_builder_append_struct(b);
        if (t[i] == NUL) sluice_builder_append_null(&b->children[0]);
        else sluice_builder_append_timestamp(&b->children[0], t[i]);
    }
    sluice_builder_finish(b, out);
    sluice_builder_free(b);
    sluice_schema_release(&s);
}

static void observe(struct sluice_watermark_tracker *t, const int64_t *v, int64_t n)
{
    struct sluice_batch b;
    times(v, n, &b);
    sluice_watermark_tracker_observe(t, b.array.children[0], n);
    sluice_batch_release(&b);
}

static void test_watermark_candidate_is_max_minus_delay_in_whole_milliseconds(void **state)
{
    assert_int_equal(sluice_watermark_candidate(25 * S, 10 * S), 15 * S);
    /* Spark keeps milliseconds: 15.0005 s - 10 s is 5.000 s, not 5.0005 s. */
    assert_int_equal(sluice_watermark_candidate(15 * S + 500, 10 * S), 5 * S);
    assert_int_equal(sluice_watermark_candidate(15 * S, 1500), 15 * S - 1000);
    /* Java's division truncates toward zero, also before 1970. */
    assert_int_equal(sluice_watermark_candidate(-1500, 0), -1000);
    assert_int_equal(sluice_watermark_candidate(5 * S, 10 * S), -5 * S);
    /* Far outside any real time the result saturates instead of overflowing. */
    assert_true(sluice_watermark_candidate(INT64_MIN + 1, INT64_MAX) > SLUICE_WATERMARK_NONE);
    assert_true(sluice_watermark_candidate(INT64_MAX, 0) <= INT64_MAX);
}

static void test_watermark_tracker_has_none_until_it_sees_a_row(void **state)
{
    struct sluice_watermark_tracker t;
    sluice_watermark_tracker_init(&t, 10 * S);
    assert_int_equal(t.value, SLUICE_WATERMARK_NONE);
    assert_false(sluice_watermark_tracker_advance(&t)); /* a batch without rows */
    int64_t nulls[] = { NUL, NUL };
    observe(&t, nulls, 2);
    assert_false(sluice_watermark_tracker_advance(&t)); /* only null event times */
    assert_int_equal(t.value, SLUICE_WATERMARK_NONE);
}

static void test_watermark_tracker_moves_forward_after_the_batch_and_never_back(void **state)
{
    struct sluice_watermark_tracker t;
    sluice_watermark_tracker_init(&t, 10 * S);
    int64_t a[] = { 10 * S, 11 * S, NUL, 15 * S, 12 * S };
    observe(&t, a, 5);
    assert_int_equal(t.value, SLUICE_WATERMARK_NONE); /* applies once the batch is over */
    assert_true(sluice_watermark_tracker_advance(&t));
    assert_int_equal(t.value, 5 * S);
    int64_t b[] = { 25 * S };
    observe(&t, b, 1);
    assert_true(sluice_watermark_tracker_advance(&t));
    assert_int_equal(t.value, 15 * S);
    int64_t late[] = { 10 * S };
    observe(&t, late, 1);
    assert_false(sluice_watermark_tracker_advance(&t)); /* 10 - 10 = 0 < 15 */
    assert_int_equal(t.value, 15 * S);
    int64_t same[] = { 25 * S };
    observe(&t, same, 1);
    assert_false(sluice_watermark_tracker_advance(&t));
    assert_false(sluice_watermark_tracker_advance(&t)); /* the batch maximum was reset */
}

static void test_watermark_may_be_before_1970(void **state)
{
    struct sluice_watermark_tracker t;
    sluice_watermark_tracker_init(&t, 5 * S);
    int64_t a[] = { -20 * S, -3 * S };
    observe(&t, a, 2);
    assert_true(sluice_watermark_tracker_advance(&t));
    assert_int_equal(t.value, -8 * S);
}

static void test_watermark_array_max_skips_nulls_and_honours_the_offset(void **state)
{
    struct sluice_batch b;
    int64_t v[] = { 90 * S, NUL, 5 * S, 7 * S, NUL };
    times(v, 5, &b);
    struct ArrowArray *c = b.array.children[0];
    assert_int_equal(sluice_watermark_array_max(c, 5), 90 * S);
    struct ArrowArray slice = *c;
    slice.offset += 1;
    assert_int_equal(sluice_watermark_array_max(&slice, 4), 7 * S);
    slice.offset = c->offset + 4;
    assert_int_equal(sluice_watermark_array_max(&slice, 1), SLUICE_WATERMARK_NONE);
    sluice_batch_release(&b);
}

static void test_watermark_min_policy_ignores_declarations_without_rows(void **state)
{
    struct sluice_watermark_tracker a, b, c;
    sluice_watermark_tracker_init(&a, 5 * S);
    sluice_watermark_tracker_init(&b, 60 * S);
    sluice_watermark_tracker_init(&c, 0);
    struct sluice_watermark_tracker *all[] = { &a, &b, &c };
    assert_int_equal(sluice_watermark_min(all, 3), SLUICE_WATERMARK_NONE);
    int64_t t[] = { 100 * S };
    observe(&a, t, 1);
    sluice_watermark_tracker_advance(&a);
    assert_int_equal(sluice_watermark_min(all, 3), 95 * S);
    observe(&b, t, 1);
    sluice_watermark_tracker_advance(&b);
    assert_int_equal(sluice_watermark_min(all, 3), 40 * S);
    /* The operator's own watermark never goes back, even when a declaration
     * that saw its first rows late pulls the minimum down. */
    int64_t wm = sluice_watermark_next(SLUICE_WATERMARK_NONE, 95 * S);
    assert_int_equal(sluice_watermark_next(wm, 40 * S), 95 * S);
    assert_int_equal(sluice_watermark_next(wm, 96 * S), 96 * S);
}

struct worker {
    struct sluice_watermark_tracker *t;
    int64_t base;
};

static void *observe_many(void *arg)
{
    struct worker *w = arg;
    int64_t v[64];
    for (int round = 0; round < 200; round++) {
        for (int i = 0; i < 64; i++) v[i] = w->base + round * 64 + i;
        observe(w->t, v, 64);
    }
    return NULL;
}

static void test_watermark_observers_on_several_threads_keep_the_largest_time(void **state)
{
    struct sluice_watermark_tracker t;
    sluice_watermark_tracker_init(&t, 1000);
    pthread_t th[4];
    struct worker w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = (struct worker){ &t, (int64_t)i * 1000000 };
        assert_int_equal(pthread_create(&th[i], NULL, observe_many, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    assert_true(sluice_watermark_tracker_advance(&t));
    assert_int_equal(t.value, sluice_watermark_candidate(3000000 + 199 * 64 + 63, 1000));
}

/* Rows of producers names[i] (NULL: a null name) at times t[i]. */
static void observe_by(struct sluice_watermark_tracker *t, const char *const *names, const int64_t *v, int64_t n)
{
    struct ArrowSchema s;
    struct sluice_error err;
    if (sluice_schema_parse("t TIMESTAMP, p STRING", &s, &err)) fail_msg("%s", err.message);
    struct sluice_builder *b = sluice_builder_new(&s);
    for (int64_t i = 0; i < n; i++) {
        sluice_builder_append_struct(b);
        sluice_builder_append_timestamp(&b->children[0], v[i]);
        if (names[i]) sluice_builder_append_string(&b->children[1], names[i], strlen(names[i]));
        else sluice_builder_append_null(&b->children[1]);
    }
    struct sluice_batch batch;
    sluice_builder_finish(b, &batch);
    sluice_builder_free(b);
    sluice_watermark_tracker_observe_by(t, batch.array.children[0], batch.array.children[1], 0, n);
    sluice_batch_release(&batch);
    sluice_schema_release(&s);
}

/* A group's hop source (Flink's rule): the least of the producers'
 * largest times, until a producer is quiet longer than idle_us. */
static void test_watermark_by_producer_is_the_least_until_one_goes_quiet(void **state)
{
    struct sluice_watermark_tracker t;
    memset(&t, 0, sizeof t);
    sluice_watermark_tracker_init(&t, 10 * S);
    sluice_watermark_tracker_by_producer(&t, 200000); /* 200 ms */
    observe_by(&t, (const char *const[]){ "a", "a", "b", NULL }, (const int64_t[]){ 100 * S, 120 * S, 50 * S, 90 * S }, 4);
    assert_true(sluice_watermark_tracker_advance(&t));
    assert_int_equal(t.value, 40 * S); /* b's 50 s, not a's 120 s, less 10 s */
    /* a runs on; b (and the null producer) hold the watermark... */
    observe_by(&t, (const char *const[]){ "a" }, (const int64_t[]){ 200 * S }, 1);
    assert_false(sluice_watermark_tracker_advance(&t));
    assert_int_equal(t.value, 40 * S);
    /* ...until they are quiet longer than idle_us, even with no row at all. */
    usleep(300000);
    observe_by(&t, (const char *const[]){ "a" }, (const int64_t[]){ 210 * S }, 1);
    assert_true(sluice_watermark_tracker_advance(&t));
    assert_int_equal(t.value, 200 * S);
    usleep(300000);
    assert_false(sluice_watermark_tracker_advance(&t)); /* every one quiet: nothing to go by, it stays */
    assert_int_equal(t.value, 200 * S);
    /* b speaks again, behind: the watermark never goes back. */
    observe_by(&t, (const char *const[]){ "b" }, (const int64_t[]){ 60 * S }, 1);
    assert_false(sluice_watermark_tracker_advance(&t));
    assert_int_equal(t.value, 200 * S);
    sluice_watermark_tracker_free(&t);
}

/* A batch's rows start at its struct's offset: the producer of row i is
 * the name at row0 + i. */
static void test_watermark_by_producer_reads_names_from_the_batch_offset(void **state)
{
    struct ArrowSchema s;
    struct sluice_error err;
    if (sluice_schema_parse("p STRING", &s, &err)) fail_msg("%s", err.message);
    struct sluice_builder *b = sluice_builder_new(&s);
    for (int i = 0; i < 2; i++) {
        sluice_builder_append_struct(b);
        sluice_builder_append_string(&b->children[0], i ? "late" : "early", i ? 4 : 5);
    }
    struct sluice_batch names;
    sluice_builder_finish(b, &names);
    sluice_builder_free(b);
    struct sluice_batch one;
    times((const int64_t[]){ 300 * S }, 1, &one);
    struct sluice_watermark_tracker t;
    sluice_watermark_tracker_init(&t, 0);
    sluice_watermark_tracker_by_producer(&t, 60 * S);
    sluice_watermark_tracker_observe_by(&t, one.array.children[0], names.array.children[0], 1, 1);
    assert_int_equal(t.n_producers, 1);
    assert_string_equal(t.producers[0].name, "late");
    assert_true(sluice_watermark_tracker_advance(&t));
    assert_int_equal(t.value, 300 * S);
    sluice_watermark_tracker_free(&t);
    sluice_batch_release(&one);
    sluice_batch_release(&names);
    sluice_schema_release(&s);
}

static void test_watermark_formats_as_iso_or_none(void **state)
{
    char buf[40];
    assert_string_equal(sluice_watermark_format(SLUICE_WATERMARK_NONE, buf, sizeof buf), "none");
    assert_string_equal(sluice_watermark_format(1620028540 * S, buf, sizeof buf), "2021-05-03T07:55:40.000Z");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_watermark_candidate_is_max_minus_delay_in_whole_milliseconds),
        cmocka_unit_test(test_watermark_tracker_has_none_until_it_sees_a_row),
        cmocka_unit_test(test_watermark_tracker_moves_forward_after_the_batch_and_never_back),
        cmocka_unit_test(test_watermark_may_be_before_1970),
        cmocka_unit_test(test_watermark_array_max_skips_nulls_and_honours_the_offset),
        cmocka_unit_test(test_watermark_min_policy_ignores_declarations_without_rows),
        cmocka_unit_test(test_watermark_observers_on_several_threads_keep_the_largest_time),
        cmocka_unit_test(test_watermark_formats_as_iso_or_none),
        cmocka_unit_test(test_watermark_by_producer_is_the_least_until_one_goes_quiet),
        cmocka_unit_test(test_watermark_by_producer_reads_names_from_the_batch_offset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
