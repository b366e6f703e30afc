/* drop_duplicates' operator (core/runtime/agg/dedup.c): the first row of
 * each key passes, in this batch and later ones; with event time, late
 * rows are dropped and expired keys pass again; the state saved to the
 * store restores to the same keys and watermark, with what that
 * watermark expired gone. Expected rows worked out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder.h"
#include "dedup.h"
#include "expr.h"
#include "schema.h"
#include "state_store.h"
#include "tmpdir_testutil.h"
#include "watermark.h"

static struct ArrowSchema input;

static int setup(void **state)
{
    struct sluice_error err;
    if (sluice_schema_parse("k STRING, t TIMESTAMP, n LONG", &input, &err)) return -1;
    return make_tmpdir(state);
}

static int teardown(void **state)
{
    sluice_schema_release(&input);
    return remove_tmpdir(state);
}

static struct sluice_expr *compile(const char *text)
{
    struct sluice_expr *e;
    struct sluice_error err = { 0 };
    if (sluice_expr_compile(&input, text, &e, &err)) fail_msg("compile %s: %s", text, err.message);
    return e;
}

/* Keyed by k; `time` (NULL: none) the event-time expression. */
static struct sluice_dedup *dedup_new(bool within, const char *time, int64_t delay_s)
{
    struct sluice_expr **keys = calloc(1, sizeof *keys);
    keys[0] = compile("k");
    struct sluice_dedup *d = sluice_dedup_new(keys, 1, within);
    if (time) d->time = compile(time);
    d->delay_us = delay_s * 1000000;
    return d;
}

/* Rows "k:t:n" separated by spaces (t in seconds) through the operator;
 * returns the n of the rows kept, space-separated (static). */
static const char *filter(struct sluice_dedup *d, int64_t batch_id, const char *rows)
{
    struct sluice_builder *b = sluice_builder_new(&input);
    char k[32];
    long long t, n;
    for (const char *r = rows; *r;) {
        int used;
        if (sscanf(r, " %31[^:]:%lld:%lld%n", k, &t, &n, &used) != 3) break;
        r += used;
        sluice_builder_append_struct(b);
        sluice_builder_append_string(&b->children[0], k, strlen(k));
        sluice_builder_append_timestamp(&b->children[1], t * 1000000);
        sluice_builder_append_long(&b->children[2], n);
    }
    struct sluice_batch in, out;
    sluice_builder_finish(b, &in);
    in.schema = &input;
    sluice_builder_free(b);
    struct sluice_error err = { 0 };
    if (sluice_dedup_filter(d, batch_id, &in, &out, &err)) fail_msg("filter: %s", err.message);
    static char kept[256];
    kept[0] = '\0';
    const struct ArrowArray *col = out.array.children[2];
    for (int64_t i = 0; i < out.array.length; i++)
        snprintf(kept + strlen(kept), sizeof kept - strlen(kept), "%s%lld", i ? " " : "",
                 (long long)((const int64_t *)col->buffers[1])[col->offset + i]);
    sluice_batch_release(&out);
    return kept;
}

static void test_the_first_row_of_a_key_passes_in_this_batch_and_later_ones(void **state)
{
    struct sluice_dedup *d = dedup_new(false, NULL, 0);
    assert_string_equal(filter(d, 0, "a:1:1 b:2:2 a:3:3 c:4:4 b:5:5"), "1 2 4");
    assert_string_equal(filter(d, 1, "c:6:6 d:7:7 d:8:8"), "7");
    assert_int_equal(d->rows_dropped, 4);
    sluice_dedup_evict(d); /* no watermark: nothing goes */
    assert_int_equal(d->table.n_groups, 4);
    sluice_dedup_free(d);
}

static void test_a_null_key_is_a_key(void **state)
{
    struct sluice_expr **keys = calloc(1, sizeof *keys);
    keys[0] = compile("IF(n > 1, k, NULL)");
    struct sluice_dedup *d = sluice_dedup_new(keys, 1, false);
    /* Spark: nulls compare equal in dropDuplicates. */
    assert_string_equal(filter(d, 0, "a:1:1 a:1:2 a:1:3 b:1:4"), "1 2 4");
    sluice_dedup_free(d);
}

/* Plain, the event time a key: a row at or below the watermark is late;
 * a key goes once the watermark reaches its time. */
static void test_event_time_drops_late_rows_and_expires_keys(void **state)
{
    struct sluice_dedup *d = dedup_new(false, "t", 0);
    assert_string_equal(filter(d, 0, "a:10:1 a:10:2 b:20:3"), "1 3");
    d->watermark = 10 * 1000000;
    sluice_dedup_evict(d); /* a (10) expires, b (20) stays */
    assert_int_equal(d->table.n_groups, 1);
    assert_string_equal(filter(d, 1, "a:10:4 a:11:5 b:20:6"), "5");
    assert_int_equal(d->rows_late, 1);
    sluice_dedup_free(d);
}

/* within_watermark: a key holds until its first time + delay is at or
 * below the watermark; then the next row of it passes. */
static void test_within_watermark_expires_a_key_after_its_delay(void **state)
{
    struct sluice_dedup *d = dedup_new(true, "t", 5);
    assert_string_equal(filter(d, 0, "a:10:1 a:12:2"), "1"); /* a expires at 15 */
    d->watermark = 14 * 1000000;
    sluice_dedup_evict(d);
    assert_string_equal(filter(d, 1, "a:16:3"), ""); /* still held */
    d->watermark = 15 * 1000000;
    sluice_dedup_evict(d);
    assert_string_equal(filter(d, 2, "a:16:4 a:15:5"), "4"); /* 15 is late */
    sluice_dedup_free(d);
}

static void test_the_state_restores_from_the_store_with_the_watermark(void **state)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s/state", tmpdir);
    struct sluice_state_store *store;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_state_store_open(dir, -1, &store, &err), SLUICE_OK);
    struct sluice_dedup *d = dedup_new(true, "t", 5);
    assert_string_equal(filter(d, 0, "a:10:1 b:30:2"), "1 2");
    for (int64_t v = 0; v < 2; v++) {
        if (v == 1) {
            assert_string_equal(filter(d, 1, "c:40:3"), "3");
            d->watermark = 20 * 1000000; /* the next batch's: a (15) expires */
        }
        sluice_state_store_begin(store, v);
        assert_int_equal(sluice_dedup_save(d, "dd", store, v, &err), SLUICE_OK);
        assert_int_equal(sluice_state_store_commit(store, NULL, &err), SLUICE_OK);
    }
    sluice_dedup_free(d);
    sluice_state_store_free(store);

    assert_int_equal(sluice_state_store_open(dir, 1, &store, &err), SLUICE_OK);
    d = dedup_new(true, "t", 5);
    assert_int_equal(sluice_dedup_restore(d, "dd", store, &err), SLUICE_OK);
    assert_true(d->watermark == 20 * 1000000);
    assert_int_equal(d->table.n_groups, 2); /* b and c; a expired */
    assert_string_equal(filter(d, 2, "a:25:4 b:31:5 c:41:6"), "4");
    sluice_dedup_free(d);
    sluice_state_store_free(store);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_first_row_of_a_key_passes_in_this_batch_and_later_ones),
        cmocka_unit_test(test_a_null_key_is_a_key),
        cmocka_unit_test(test_event_time_drops_late_rows_and_expires_keys),
        cmocka_unit_test(test_within_watermark_expires_a_key_after_its_delay),
        cmocka_unit_test(test_the_state_restores_from_the_store_with_the_watermark),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
