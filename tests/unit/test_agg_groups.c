/* Aggregation at run time (core/runtime/agg/agg_groups.c): folding batches, partial
 * states merged by partition equal a single pass, emission order, update
 * mode, cube and rollup rows, the global group, states that own memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "agg_key.h"
#include "agg_stage.h"
#include "agg_testutil.h"
#include "builder.h"
#include "render.h"
#include "schema.h"
#include "validate.h"

#include <sluice/buf.h>

static struct ArrowSchema input;

static int setup(void **state)
{
    struct sluice_error err;
    if (sluice_schema_parse("k STRING, g LONG, v LONG", &input, &err)) fail_msg("%s", err.message);
    return 0;
}

static int teardown(void **state)
{
    sluice_schema_release(&input);
    return 0;
}

#define LIST(...) ((const char *const[]){ __VA_ARGS__ })
#define N(...) (sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))

static struct sluice_agg_plan *plan_ok(enum sluice_agg_grouping g, const char *const *keys, size_t nk,
                                       const char *const *aggs, size_t na)
{
    struct sluice_agg_spec spec = { .grouping = g, .keys = keys, .n_keys = nk, .aggs = aggs, .n_aggs = na };
    struct sluice_agg_plan *p;
    struct sluice_error err = { 0 };
    if (sluice_agg_plan_new(&spec, &input, &tu_catalog, &p, NULL, &err)) fail_msg("plan: %s", err.message);
    return p;
}

/* Rows "k:g:v" separated by spaces; an empty field is null ("::3"). */
static void batch_of(const char *rows, struct sluice_batch *out)
{
    struct sluice_builder *b = sluice_builder_new(&input);
    char buf[64];
    for (const char *r = rows; *r;) {
        while (*r == ' ') r++;
        if (!*r) break;
        size_t n = strcspn(r, " ");
        snprintf(buf, sizeof buf, "%.*s", (int)n, r);
        r += n;
        char *g = strchr(buf, ':');
        char *v = strchr(g + 1, ':');
        *g++ = '\0';
        *v++ = '\0';
        sluice_builder_append_struct(b);
        if (buf[0]) sluice_builder_append_string(&b->children[0], buf, strlen(buf));
        else sluice_builder_append_null(&b->children[0]);
        if (*g) sluice_builder_append_long(&b->children[1], atoll(g));
        else sluice_builder_append_null(&b->children[1]);
        if (*v) sluice_builder_append_long(&b->children[2], atoll(v));
        else sluice_builder_append_null(&b->children[2]);
    }
    sluice_builder_finish(b, out);
    out->schema = &input;
    sluice_builder_free(b);
}

static void update(struct sluice_agg_groups *g, const char *rows, int64_t batch_id)
{
    struct sluice_batch b;
    batch_of(rows, &b);
    struct sluice_error err = { 0 };
    if (sluice_agg_groups_update(g, &b, batch_id, NULL, &err)) fail_msg("update: %s", err.message);
    sluice_batch_release(&b);
}

/* The emitted rows as JSON lines. */
static char *emit(struct sluice_agg_groups *g, enum sluice_agg_emit which, int64_t batch_id)
{
    struct sluice_batch out;
    assert_int_equal(sluice_agg_groups_emit(g, which, batch_id, &out, NULL), SLUICE_OK);
    char why[256];
    if (sluice_array_validate(out.schema, &out.array, why)) fail_msg("invalid output: %s", why);
    struct sluice_buf b = { 0 };
    sluice_buf_puts(&b, "");
    for (int64_t i = 0; i < out.array.length; i++) {
        sluice_render_row_json(&out, i, &b);
        sluice_buf_putc(&b, '\n');
    }
    sluice_batch_release(&out);
    return b.data;
}

static void assert_emits(struct sluice_agg_groups *g, enum sluice_agg_emit which, int64_t batch_id, const char *want)
{
    char *got = emit(g, which, batch_id);
    assert_string_equal(got, want);
    free(got);
}

#define ROWS "a:1:10 b:2:20 a:3:30 c:4: :5:50 b:6:60 a:7:70 d:8:80 c:9:90 e:10:100"

static void test_groups_fold_a_batch_per_key_in_insertion_order(void **state)
{
    struct sluice_agg_plan *p = plan_ok(SLUICE_AGG_GROUP_BY, LIST("k"), 1,
                                        LIST("count(*) AS n", "sum(v) AS s", "gather(g) AS gs"), 3);
    struct sluice_agg_groups *g = sluice_agg_groups_new(p, 1);
    update(g, ROWS, 0);
    assert_emits(g, SLUICE_AGG_EMIT_ALL, 0,
                 "{\"k\":\"a\",\"n\":3,\"s\":110,\"gs\":\"1,3,7\"}\n"
                 "{\"k\":\"b\",\"n\":2,\"s\":80,\"gs\":\"2,6\"}\n"
                 "{\"k\":\"c\",\"n\":2,\"s\":90,\"gs\":\"4,9\"}\n"
                 "{\"k\":null,\"n\":1,\"s\":50,\"gs\":\"5\"}\n"
                 "{\"k\":\"d\",\"n\":1,\"s\":80,\"gs\":\"8\"}\n"
                 "{\"k\":\"e\",\"n\":1,\"s\":100,\"gs\":\"10\"}\n");
    struct sluice_agg_stats st;
    sluice_agg_groups_stats(g, &st);
    assert_int_equal(st.groups, 6);
    assert_true(st.bytes > 0);
    sluice_agg_groups_free(g);
    sluice_agg_plan_free(p);
}

/* Partitions in order, insertion order within each. */
static void test_groups_emit_partition_by_partition_in_insertion_order(void **state)
{
    struct sluice_agg_plan *p = plan_ok(SLUICE_AGG_GROUP_BY, LIST("k"), 1, LIST("count(*) AS n"), 1);
    struct sluice_agg_groups *g = sluice_agg_groups_new(p, 3);
    update(g, ROWS, 0);
    char *got = emit(g, SLUICE_AGG_EMIT_ALL, 0);
    /* Recompute the expected order from the key encoding and hash. */
    const char *keys[] = { "a", "b", "c", NULL, "d", "e" };
    char want[512] = "";
    for (size_t part = 0; part < 3; part++) {
        for (size_t i = 0; i < 6; i++) {
            uint8_t enc[8];
            size_t len = 1;
            enc[0] = keys[i] != NULL;
            if (keys[i]) {
                enc[1] = 1, enc[2] = enc[3] = enc[4] = 0, enc[5] = (uint8_t)keys[i][0];
                len = 6;
            }
            if (sluice_hash64(enc, len, 0) % 3 != part) continue;
            int n = keys[i] ? (keys[i][0] == 'a' ? 3 : keys[i][0] <= 'c' ? 2 : 1) : 1;
            char row[64];
            if (keys[i]) snprintf(row, sizeof row, "{\"k\":\"%s\",\"n\":%d}\n", keys[i], n);
            else snprintf(row, sizeof row, "{\"k\":null,\"n\":%d}\n", n);
            strcat(want, row);
        }
    }
    assert_string_equal(got, want);
    free(got);
    sluice_agg_groups_free(g);
    sluice_agg_plan_free(p);
}

static int cmp_lines(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of `text`, sorted, joined again. */
static char *sorted(char *text)
{
    char *lines[64];
    size_t n = 0;
    for (char *l = strtok(text, "\n"); l && n < 64; l = strtok(NULL, "\n")) lines[n++] = l;
    qsort(lines, n, sizeof *lines, cmp_lines);
    struct sluice_buf b = { 0 };
    for (size_t i = 0; i < n; i++) sluice_buf_printf(&b, "%s\n", lines[i]);
    free(text);
    return b.data;
}

static void check_partials_equal_single_pass(enum sluice_agg_grouping grouping, bool same_order)
{
    struct sluice_agg_plan *p = plan_ok(grouping, LIST("k", "g % 2 AS odd"), 2,
                                        LIST("count(*) AS n", "sum(v) AS s", "gather(v) AS vs"), 3);
    struct sluice_agg_groups *single = sluice_agg_groups_new(p, 4);
    update(single, ROWS, 0);

    struct sluice_agg_groups *merged = sluice_agg_groups_new(p, 4);
    const char *units[] = { "a:1:10 b:2:20 a:3:30", "c:4: :5:50", "b:6:60 a:7:70 d:8:80 c:9:90 e:10:100" };
    for (size_t u = 0; u < 3; u++) {
        struct sluice_agg_groups *partial = sluice_agg_groups_new(p, 1);
        update(partial, units[u], 0);
        assert_int_equal(sluice_agg_groups_merge(merged, partial, 0, NULL), SLUICE_OK);
        struct sluice_agg_stats st;
        sluice_agg_groups_stats(partial, &st);
        assert_int_equal(st.groups, 0); /* emptied, reusable */
        sluice_agg_groups_free(partial);
    }
    char *a = emit(single, SLUICE_AGG_EMIT_ALL, 0);
    char *b = emit(merged, SLUICE_AGG_EMIT_ALL, 0);
    /* One grouping set: first appearances come in row order either way.
     * Several: a single pass meets set by set, partials unit by unit. */
    if (!same_order) {
        a = sorted(a);
        b = sorted(b);
    }
    assert_string_equal(b, a);
    free(a);
    free(b);
    sluice_agg_groups_free(single);
    sluice_agg_groups_free(merged);
    sluice_agg_plan_free(p);
}

static void test_partials_merged_by_partition_equal_a_single_pass(void **state)
{
    check_partials_equal_single_pass(SLUICE_AGG_GROUP_BY, true);
    check_partials_equal_single_pass(SLUICE_AGG_ROLLUP, false);
    check_partials_equal_single_pass(SLUICE_AGG_CUBE, false);
}

static void test_update_mode_emits_only_groups_changed_in_the_batch(void **state)
{
    struct sluice_agg_plan *p = plan_ok(SLUICE_AGG_GROUP_BY, LIST("k"), 1, LIST("count(*) AS n", "sum(v) AS s"), 2);
    struct sluice_agg_groups *state_ = sluice_agg_groups_new(p, 2);
    for (int64_t batch = 0; batch < 3; batch++) {
        const char *rows = batch == 0 ? "a:1:1 b:1:2" : batch == 1 ? "b:1:3 c:1:4 b:1:5" : "";
        struct sluice_agg_groups *partial = sluice_agg_groups_new(p, 1);
        update(partial, rows, batch);
        assert_int_equal(sluice_agg_groups_merge(state_, partial, batch, NULL), SLUICE_OK);
        sluice_agg_groups_free(partial);
    }
    /* Batch 2 had no rows: nothing changed. */
    assert_emits(state_, SLUICE_AGG_EMIT_UPDATED, 2, "");
    char *all = emit(state_, SLUICE_AGG_EMIT_ALL, 2);
    char *changed = emit(state_, SLUICE_AGG_EMIT_UPDATED, 1);
    /* b and c, with totals carried over from batch 0, in emission order. */
    assert_non_null(strstr(changed, "{\"k\":\"b\",\"n\":3,\"s\":10}\n"));
    assert_non_null(strstr(changed, "{\"k\":\"c\",\"n\":1,\"s\":4}\n"));
    assert_null(strstr(changed, "\"a\""));
    assert_int_equal(strlen(changed), strlen(all) - strlen("{\"k\":\"a\",\"n\":1,\"s\":1}\n"));
    free(all);
    free(changed);
    sluice_agg_groups_free(state_);
    sluice_agg_plan_free(p);
}

static void test_cube_rows_null_rolled_up_keys_and_keep_real_nulls_apart(void **state)
{
    struct sluice_agg_plan *p = plan_ok(SLUICE_AGG_CUBE, LIST("k", "g"), 2, LIST("count(*) AS n", "sum(v) AS s"), 2);
    struct sluice_agg_groups *g = sluice_agg_groups_new(p, 1);
    update(g, "a:1:1 a:2:2 :1:4", 0);
    assert_emits(g, SLUICE_AGG_EMIT_ALL, 0,
                 /* (k, g) */
                 "{\"k\":\"a\",\"g\":1,\"n\":1,\"s\":1}\n"
                 "{\"k\":\"a\",\"g\":2,\"n\":1,\"s\":2}\n"
                 "{\"k\":null,\"g\":1,\"n\":1,\"s\":4}\n"
                 /* (k): the real null key is a group of its own */
                 "{\"k\":\"a\",\"g\":null,\"n\":2,\"s\":3}\n"
                 "{\"k\":null,\"g\":null,\"n\":1,\"s\":4}\n"
                 /* (g) */
                 "{\"k\":null,\"g\":1,\"n\":2,\"s\":5}\n"
                 "{\"k\":null,\"g\":2,\"n\":1,\"s\":2}\n"
                 /* () */
                 "{\"k\":null,\"g\":null,\"n\":3,\"s\":7}\n");
    sluice_agg_groups_free(g);
    sluice_agg_plan_free(p);
}

static void test_global_group_answers_every_batch_even_an_empty_one(void **state)
{
    struct sluice_agg_plan *p = plan_ok(SLUICE_AGG_GROUP_BY, NULL, 0, LIST("count(*)", "sum(v)"), 2);
    struct sluice_agg_groups *g = sluice_agg_groups_new(p, 5);
    assert_emits(g, SLUICE_AGG_EMIT_ALL, 0, "{\"count(1)\":0,\"sum(v)\":null}\n");
    update(g, "a:1:2 b:1:3", 1);
    assert_emits(g, SLUICE_AGG_EMIT_UPDATED, 1, "{\"count(1)\":2,\"sum(v)\":5}\n");
    /* Spark's update mode re-emits the global row every batch. */
    assert_emits(g, SLUICE_AGG_EMIT_UPDATED, 2, "{\"count(1)\":2,\"sum(v)\":5}\n");
    sluice_agg_groups_free(g);
    sluice_agg_plan_free(p);
}

static void test_groups_scale_to_many_keys_across_batches(void **state)
{
    /* 20k distinct keys over two batches, partials merged into 8 partitions. */
    struct sluice_agg_plan *p = plan_ok(SLUICE_AGG_GROUP_BY, LIST("g"), 1, LIST("count(*) AS n", "sum(v) AS s"), 2);
    struct sluice_agg_groups *state_ = sluice_agg_groups_new(p, 8);
    struct sluice_buf rows = { 0 };
    for (int batch = 0; batch < 2; batch++) {
        sluice_buf_clear(&rows);
        for (int i = 0; i < 20000; i++) sluice_buf_printf(&rows, "x:%d:%d ", i, batch + 1);
        struct sluice_agg_groups *partial = sluice_agg_groups_new(p, 1);
        update(partial, rows.data, batch);
        assert_int_equal(sluice_agg_groups_merge(state_, partial, batch, NULL), SLUICE_OK);
        sluice_agg_groups_free(partial);
    }
    struct sluice_agg_stats st;
    sluice_agg_groups_stats(state_, &st);
    assert_int_equal(st.groups, 20000);
    struct sluice_batch out;
    assert_int_equal(sluice_agg_groups_emit(state_, SLUICE_AGG_EMIT_UPDATED, 1, &out, NULL), SLUICE_OK);
    assert_int_equal(out.array.length, 20000);
    const int64_t *n = out.array.children[1]->buffers[1];
    const int64_t *s = out.array.children[2]->buffers[1];
    for (int64_t i = 0; i < 20000; i++) {
        assert_int_equal(n[i], 2);
        assert_int_equal(s[i], 3);
    }
    sluice_batch_release(&out);
    sluice_buf_free(&rows);
    sluice_agg_groups_free(state_);
    sluice_agg_plan_free(p);
}

static void test_agg_groups_an_aggregator_update_error_stops_the_update_with_its_message(void **state)
{
    struct sluice_agg_plan *p = plan_ok(SLUICE_AGG_GROUP_BY, LIST("k"), 1, LIST("picky(v)"), 1);
    struct sluice_agg_groups *g = sluice_agg_groups_new(p, 2);
    struct sluice_batch b;
    batch_of("a:1:1 b:1:13 c:1:2", &b);
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_agg_groups_update(g, &b, 0, NULL, &err), SLUICE_EDATA);
    assert_string_equal(err.message, "13 is unlucky");
    sluice_batch_release(&b);
    sluice_agg_groups_free(g);
    sluice_agg_plan_free(p);
}

static void test_agg_groups_finalize_must_append_exactly_one_value(void **state)
{
    struct sluice_agg_plan *p = plan_ok(SLUICE_AGG_GROUP_BY, LIST("k"), 1, LIST("twice(v)"), 1);
    struct sluice_agg_groups *g = sluice_agg_groups_new(p, 1);
    update(g, "a:1:1", 0);
    struct sluice_batch out;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_agg_groups_emit(g, SLUICE_AGG_EMIT_ALL, 0, &out, &err), SLUICE_EINTERNAL);
    assert_string_equal(err.message, "aggregator 'twice' appended 2 values in finalize; it must append exactly one "
                                     "(or a null)");
    assert_null(out.array.release);
    sluice_agg_groups_free(g);
    sluice_agg_plan_free(p);
}

/* Pieces (emit_next) give the rows of one emission, in its order, each
 * once, whatever the piece size: across partitions, with groups the
 * filter skips (update mode), and with nothing to emit. */
static void test_groups_emit_in_pieces_gives_the_same_rows(void **state)
{
    struct sluice_agg_plan *p = plan_ok(SLUICE_AGG_GROUP_BY, LIST("k"), 1, LIST("count(*) AS n"), 1);
    struct sluice_agg_groups *g = sluice_agg_groups_new(p, 3);
    update(g, ROWS, 0);
    update(g, "b:1:1 e:1:1", 1);
    static const enum sluice_agg_emit whiches[] = { SLUICE_AGG_EMIT_ALL, SLUICE_AGG_EMIT_UPDATED };
    for (size_t w = 0; w < 2; w++) {
        char *whole = emit(g, whiches[w], 1);
        for (int64_t piece = 1; piece <= 7; piece++) {
            struct sluice_agg_cursor cur = { 0 };
            struct sluice_buf b = { 0 };
            sluice_buf_puts(&b, "");
            int calls = 0;
            for (bool more = true; more;) {
                struct sluice_batch out;
                assert_int_equal(sluice_agg_groups_emit_next(g, whiches[w], 1, &cur, piece, &out, &more, NULL), SLUICE_OK);
                assert_true(out.array.length <= piece);
                for (int64_t i = 0; i < out.array.length; i++) {
                    sluice_render_row_json(&out, i, &b);
                    sluice_buf_putc(&b, '\n');
                }
                sluice_batch_release(&out);
                assert_true(++calls <= 8);
            }
            assert_string_equal(b.data, whole);
            sluice_buf_free(&b);
        }
        free(whole);
    }
    /* Nothing changed in batch 2: one empty piece. */
    struct sluice_agg_cursor cur = { 0 };
    struct sluice_batch out;
    bool more;
    assert_int_equal(sluice_agg_groups_emit_next(g, SLUICE_AGG_EMIT_UPDATED, 2, &cur, 2, &out, &more, NULL), SLUICE_OK);
    assert_int_equal(out.array.length, 0);
    assert_false(more);
    sluice_batch_release(&out);
    sluice_agg_groups_free(g);
    sluice_agg_plan_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agg_groups_an_aggregator_update_error_stops_the_update_with_its_message),
        cmocka_unit_test(test_agg_groups_finalize_must_append_exactly_one_value),
        cmocka_unit_test(test_groups_fold_a_batch_per_key_in_insertion_order),
        cmocka_unit_test(test_groups_emit_partition_by_partition_in_insertion_order),
        cmocka_unit_test(test_partials_merged_by_partition_equal_a_single_pass),
        cmocka_unit_test(test_update_mode_emits_only_groups_changed_in_the_batch),
        cmocka_unit_test(test_cube_rows_null_rolled_up_keys_and_keep_real_nulls_apart),
        cmocka_unit_test(test_global_group_answers_every_batch_even_an_empty_one),
        cmocka_unit_test(test_groups_scale_to_many_keys_across_batches),
        cmocka_unit_test(test_groups_emit_in_pieces_gives_the_same_rows),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
