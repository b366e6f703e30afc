/* Windowed aggregation with a watermark (core/runtime/agg/agg_plan.c, agg_stage.c,
 * agg_table.c): the window key column, sliding windows counted per window,
 * late rows dropped before they touch state and counted, the three emission
 * selectors, eviction and compaction that keep state bounded (states that
 * own memory destroyed, moved states intact), a timestamp key closed by its
 * value, cube within windows, and partials that carry their drop counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "agg_key.h"
#include "agg_stage.h"
#include "agg_table.h"
#include "agg_testutil.h"
#include "arena.h"
#include "builder.h"
#include "render.h"
#include "schema.h"
#include "validate.h"
#include "watermark.h"

#include <sluice/buf.h>

#define S 1000000LL

static struct ArrowSchema input;

static int setup(void **state)
{
    struct sluice_error err;
    if (sluice_schema_parse("k STRING, t TIMESTAMP, v LONG, s STRING", &input, &err)) fail_msg("%s", err.message);
    return 0;
}

static int teardown(void **state)
{
    sluice_schema_release(&input);
    return 0;
}

#define LIST(...) ((const char *const[]){ __VA_ARGS__ })

static struct sluice_agg_plan *plan_w(enum sluice_agg_grouping g, const char *const *keys, size_t nk,
                                      const char *const *aggs, size_t na, int64_t duration, int64_t slide)
{
    struct sluice_agg_spec spec = { .grouping = g, .keys = keys, .n_keys = nk, .aggs = aggs, .n_aggs = na };
    if (duration) {
        spec.window_column = "t";
        spec.window = (struct sluice_window){ duration, slide, 0 };
    }
    struct sluice_agg_plan *p;
    struct sluice_error err = { 0 };
    if (sluice_agg_plan_new(&spec, &input, &tu_catalog, &p, NULL, &err)) fail_msg("plan: %s", err.message);
    return p;
}

/* Rows "k:t:v" (t in seconds, may be fractional) separated by spaces; an
 * empty field is null. */
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
        char *t = strchr(buf, ':');
        char *v = strchr(t + 1, ':');
        *t++ = '\0';
        *v++ = '\0';
        sluice_builder_append_struct(b);
        if (buf[0]) sluice_builder_append_string(&b->children[0], buf, strlen(buf));
        else sluice_builder_append_null(&b->children[0]);
        if (*t) sluice_builder_append_timestamp(&b->children[1], (int64_t)(atof(t) * S));
        else sluice_builder_append_null(&b->children[1]);
        if (*v) sluice_builder_append_long(&b->children[2], atoll(v));
        else sluice_builder_append_null(&b->children[2]);
        sluice_builder_append_null(&b->children[3]);
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

/* "1970-01-01T00:01:05.000Z" in JSON becomes 01:05, so rows stay readable. */
static void compact_times(struct sluice_buf *b)
{
    static const char head[] = "\"1970-01-01T00:";
    struct sluice_buf out = { 0 };
    sluice_buf_puts(&out, "");
    const char *p = b->data;
    for (const char *q; (q = strstr(p, head));) {
        sluice_buf_append(&out, p, (size_t)(q - p));
        q += sizeof head - 1;
        sluice_buf_append(&out, q, 5); /* MM:SS */
        p = q + 5 + strlen(".000Z\"");
    }
    sluice_buf_puts(&out, p);
    sluice_buf_free(b);
    *b = out;
}

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
    compact_times(&b);
    return b.data;
}

static void assert_emits(struct sluice_agg_groups *g, enum sluice_agg_emit which, int64_t batch_id, const char *want)
{
    char *got = emit(g, which, batch_id);
    assert_string_equal(got, want);
    free(got);
}

static struct sluice_agg_stats stats(const struct sluice_agg_groups *g)
{
    struct sluice_agg_stats st;
    sluice_agg_groups_stats(g, &st);
    return st;
}

static void test_agg_window_plan_leads_with_the_window_struct(void **state)
{
    struct sluice_agg_plan *p = plan_w(SLUICE_AGG_GROUP_BY, LIST("k AS key", "upper(k) AS up"), 2,
                                       LIST("count(*) AS n"), 1, 10 * S, 5 * S);
    assert_true(p->windowed);
    assert_int_equal(p->n_passes, 2);
    assert_int_equal(p->n_keys, 3);
    struct sluice_buf ddl = { 0 };
    sluice_schema_type_ddl(&p->output, &ddl);
    assert_string_equal(ddl.data, "STRUCT<window: STRUCT<start: TIMESTAMP, end: TIMESTAMP> NOT NULL, key: STRING, "
                                  "up: STRING, n: BIGINT NOT NULL>");
    sluice_buf_free(&ddl);
    /* The window's column and a bare key are event-time candidates; a computed key is not. */
    assert_string_equal(p->key_paths[0], "t");
    assert_string_equal(p->key_paths[1], "k");
    assert_null(p->key_paths[2]);
    assert_int_equal(p->sets[0], 7);
    size_t n;
    const char **cols = sluice_agg_plan_columns(p, &n);
    assert_int_equal(n, 2);
    assert_string_equal(cols[0], "t");
    assert_string_equal(cols[1], "k");
    free(cols);
    sluice_agg_plan_free(p);
}

static void test_agg_window_plan_refuses_a_window_on_a_non_timestamp(void **state)
{
    struct sluice_agg_spec spec = { .grouping = SLUICE_AGG_GROUP_BY, .aggs = LIST("count(*)"), .n_aggs = 1,
                                    .window_column = "s", .window = { 10 * S, 10 * S, 0 } };
    struct sluice_agg_plan *p;
    struct sluice_agg_where where;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_agg_plan_new(&spec, &input, &tu_catalog, &p, &where, &err), SLUICE_ECONFIG);
    assert_null(p);
    assert_true(where.in_window);
    assert_string_equal(err.message, "the window column 's' is a string, not a timestamp");
    spec.window_column = "t";
    spec.window.slide_us = 20 * S;
    memset(&err, 0, sizeof err);
    assert_int_equal(sluice_agg_plan_new(&spec, &input, &tu_catalog, &p, &where, &err), SLUICE_ECONFIG);
    assert_true(where.in_window);
    assert_string_equal(err.message,
                        "the slide (20 seconds) must be less than or equal to the window duration (10 seconds)");
}

static void test_agg_window_sliding_counts_each_row_in_every_window(void **state)
{
    struct sluice_agg_plan *p = plan_w(SLUICE_AGG_GROUP_BY, NULL, 0, LIST("count(*) AS n", "sum(v) AS s"), 2,
                                       10 * S, 5 * S);
    struct sluice_agg_groups *g = sluice_agg_groups_new(p, 1);
    /* A null time joins no window and is not late. */
    update(g, "a:7:1 a:12:2 b:8:4 c::8 a:12.5:16", 0);
    /* Pass 0 (each row's latest window) inserts first, then pass 1. */
    assert_emits(g, SLUICE_AGG_EMIT_ALL, 0,
                 "{\"window\":{\"start\":00:05,\"end\":00:15},\"n\":4,\"s\":23}\n"
                 "{\"window\":{\"start\":00:10,\"end\":00:20},\"n\":2,\"s\":18}\n"
                 "{\"window\":{\"start\":00:00,\"end\":00:10},\"n\":2,\"s\":5}\n");
    assert_int_equal(stats(g).dropped, 0);
    sluice_agg_groups_free(g);
    sluice_agg_plan_free(p);
}

/* Spark's EventTimeWatermarkSuite, append mode, with its state store in
 * one object: 10 s delay, 5 s windows, {10..15} then {25} then {10}. */
static void test_agg_window_append_emits_each_window_once_when_the_watermark_passes_it(void **state)
{
    struct sluice_agg_plan *p = plan_w(SLUICE_AGG_GROUP_BY, NULL, 0, LIST("count(*) AS n"), 1, 5 * S, 5 * S);
    struct sluice_agg_groups *g = sluice_agg_groups_new(p, 1);
    sluice_agg_groups_set_watermark(g, 0, SLUICE_WATERMARK_NONE);
    update(g, "a:10:0 a:11:0 a:12:0 a:13:0 a:14:0 a:15:0", 0);
    assert_emits(g, SLUICE_AGG_EMIT_CLOSED, 0, "");
    assert_int_equal(sluice_agg_groups_evict(g), 0);
    sluice_agg_groups_set_watermark(g, 0, 5 * S); /* 15 - 10 */
    update(g, "a:25:0", 1);
    assert_emits(g, SLUICE_AGG_EMIT_CLOSED, 1, "");
    sluice_agg_groups_set_watermark(g, 0, 15 * S); /* 25 - 10 */
    update(g, "a:10:0", 2);
    assert_int_equal(stats(g).dropped, 1);
    assert_emits(g, SLUICE_AGG_EMIT_CLOSED, 2, "{\"window\":{\"start\":00:10,\"end\":00:15},\"n\":5}\n");
    assert_int_equal(sluice_agg_groups_evict(g), 1);
    assert_emits(g, SLUICE_AGG_EMIT_CLOSED, 2, "");
    assert_emits(g, SLUICE_AGG_EMIT_ALL, 2,
                 "{\"window\":{\"start\":00:15,\"end\":00:20},\"n\":1}\n"
                 "{\"window\":{\"start\":00:25,\"end\":00:30},\"n\":1}\n");
    struct sluice_agg_stats st = stats(g);
    assert_int_equal(st.groups, 2);
    assert_int_equal(st.evicted, 1);
    sluice_agg_groups_free(g);
    sluice_agg_plan_free(p);
}

/* The same suite's update mode: each batch's changed windows; closed ones
 * leave state without being emitted again. */
static void test_agg_window_update_emits_changed_windows_and_evicts_closed_ones_silently(void **state)
{
    struct sluice_agg_plan *p = plan_w(SLUICE_AGG_GROUP_BY, NULL, 0, LIST("count(*) AS n"), 1, 5 * S, 5 * S);
    struct sluice_agg_groups *g = sluice_agg_groups_new(p, 1);
    sluice_agg_groups_set_watermark(g, 0, SLUICE_WATERMARK_NONE);
    update(g, "a:10:0 a:11:0 a:12:0 a:13:0 a:14:0 a:15:0", 0);
    assert_emits(g, SLUICE_AGG_EMIT_UPDATED, 0,
                 "{\"window\":{\"start\":00:10,\"end\":00:15},\"n\":5}\n"
                 "{\"window\":{\"start\":00:15,\"end\":00:20},\"n\":1}\n");
    sluice_agg_groups_set_watermark(g, 0, 5 * S);
    update(g, "a:25:0", 1);
    assert_emits(g, SLUICE_AGG_EMIT_UPDATED, 1, "{\"window\":{\"start\":00:25,\"end\":00:30},\"n\":1}\n");
    sluice_agg_groups_set_watermark(g, 0, 15 * S);
    update(g, "a:10:0 a:25:0", 2);
    assert_emits(g, SLUICE_AGG_EMIT_UPDATED, 2, "{\"window\":{\"start\":00:25,\"end\":00:30},\"n\":2}\n");
    assert_int_equal(sluice_agg_groups_evict(g), 1);
    assert_int_equal(stats(g).groups, 2);
    assert_int_equal(stats(g).dropped, 1);
    sluice_agg_groups_free(g);
    sluice_agg_plan_free(p);
}

static void test_agg_window_sliding_row_keeps_its_open_window_when_the_other_is_closed(void **state)
{
    struct sluice_agg_plan *p = plan_w(SLUICE_AGG_GROUP_BY, LIST("k"), 1, LIST("count(*) AS n"), 1, 10 * S, 5 * S);
    struct sluice_agg_groups *g = sluice_agg_groups_new(p, 2);
    sluice_agg_groups_set_watermark(g, 0, 15 * S);
    update(g, "a:12:0 b:16:0 c:3:0", 0);
    /* 12 s: [5,15) is closed, [10,20) open; 3 s: both closed. */
    assert_int_equal(stats(g).dropped, 3);
    assert_int_equal(stats(g).groups, 3);
    char *got = emit(g, SLUICE_AGG_EMIT_ALL, 0);
    assert_non_null(strstr(got, "{\"window\":{\"start\":00:10,\"end\":00:20},\"k\":\"a\",\"n\":1}\n"));
    assert_non_null(strstr(got, "{\"window\":{\"start\":00:15,\"end\":00:25},\"k\":\"b\",\"n\":1}\n"));
    assert_non_null(strstr(got, "{\"window\":{\"start\":00:10,\"end\":00:20},\"k\":\"b\",\"n\":1}\n"));
    free(got);
    sluice_agg_groups_free(g);
    sluice_agg_plan_free(p);
}

/* late_rows (late_output) holds the rows kept out of every group: a row
 * still counted in an open sliding window is not late; a null time is
 * not late either (it closes nothing), nor on a timestamp key. */
static void test_agg_window_late_rows_are_those_no_group_took(void **state)
{
    struct sluice_agg_plan *p = plan_w(SLUICE_AGG_GROUP_BY, LIST("k"), 1, LIST("count(*) AS n"), 1, 10 * S, 5 * S);
    struct sluice_agg_groups *g = sluice_agg_groups_new(p, 2);
    sluice_agg_groups_set_watermark(g, 0, 15 * S);
    struct sluice_batch b;
    batch_of("a:12:0 b:16:0 c:3:0 d::0 e:14.999:0", &b);
    uint8_t late[5];
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_agg_groups_update(g, &b, 0, late, &err), SLUICE_OK);
    /* 12 s and 14.999 s keep [10,20); 3 s has only closed windows. */
    uint8_t want[5] = { 0, 0, 1, 0, 0 };
    assert_memory_equal(late, want, 5);
    sluice_batch_release(&b);
    sluice_agg_groups_free(g);
    sluice_agg_plan_free(p);

    p = plan_w(SLUICE_AGG_GROUP_BY, LIST("k", "t"), 2, LIST("count(*) AS n"), 1, 0, 0);
    g = sluice_agg_groups_new(p, 1);
    sluice_agg_groups_set_watermark(g, 1, 10 * S);
    batch_of("a:10:0 a:11:0 b::0 a:9:0", &b);
    uint8_t late_keys[4], want_keys[4] = { 1, 0, 0, 1 };
    assert_int_equal(sluice_agg_groups_update(g, &b, 0, late_keys, &err), SLUICE_OK);
    assert_memory_equal(late_keys, want_keys, 4);
    sluice_batch_release(&b);
    sluice_agg_groups_free(g);
    sluice_agg_plan_free(p);
}

static void test_agg_window_partials_drop_late_rows_and_merge_their_counts(void **state)
{
    struct sluice_agg_plan *p = plan_w(SLUICE_AGG_GROUP_BY, NULL, 0, LIST("count(*) AS n"), 1, 5 * S, 5 * S);
    struct sluice_agg_groups *g = sluice_agg_groups_new(p, 3);
    for (int u = 0; u < 2; u++) {
        struct sluice_agg_groups *part = sluice_agg_groups_new(p, 1);
        sluice_agg_groups_set_watermark(part, 0, 20 * S);
        update(part, u ? "x:1:0 x:21:0 x:22:0" : "x:19.999:0 x:20:0", -1);
        assert_int_equal(sluice_agg_groups_merge(g, part, 4, NULL), SLUICE_OK);
        assert_int_equal(stats(part).dropped, 0);
        sluice_agg_groups_free(part);
    }
    assert_int_equal(stats(g).dropped, 2);
    assert_emits(g, SLUICE_AGG_EMIT_UPDATED, 4, "{\"window\":{\"start\":00:20,\"end\":00:25},\"n\":3}\n");
    sluice_agg_groups_free(g);
    sluice_agg_plan_free(p);
}

static void test_agg_window_timestamp_key_is_closed_by_its_value(void **state)
{
    struct sluice_agg_plan *p = plan_w(SLUICE_AGG_GROUP_BY, LIST("k", "t"), 2, LIST("count(*) AS n"), 1, 0, 0);
    assert_false(p->windowed);
    struct sluice_agg_groups *g = sluice_agg_groups_new(p, 1);
    sluice_agg_groups_set_watermark(g, 1, 10 * S);
    /* 10 s is closed (<= watermark), a null time closes nothing. */
    update(g, "a:10:0 a:11:0 b::0 a:11:0 a:9:0", 0);
    assert_int_equal(stats(g).dropped, 2);
    assert_emits(g, SLUICE_AGG_EMIT_ALL, 0, "{\"k\":\"a\",\"t\":00:11,\"n\":2}\n{\"k\":\"b\",\"t\":null,\"n\":1}\n");
    sluice_agg_groups_set_watermark(g, 1, 11 * S);
    assert_emits(g, SLUICE_AGG_EMIT_CLOSED, 1, "{\"k\":\"a\",\"t\":00:11,\"n\":2}\n");
    assert_int_equal(sluice_agg_groups_evict(g), 1);
    assert_emits(g, SLUICE_AGG_EMIT_ALL, 1, "{\"k\":\"b\",\"t\":null,\"n\":1}\n");
    sluice_agg_groups_free(g);
    sluice_agg_plan_free(p);
}

static void test_agg_window_cube_rolls_up_keys_within_each_window(void **state)
{
    struct sluice_agg_plan *p = plan_w(SLUICE_AGG_CUBE, LIST("k"), 1, LIST("count(*) AS n"), 1, 10 * S, 10 * S);
    assert_int_equal(p->n_sets, 2);
    assert_int_equal(p->sets[0], 3);
    assert_int_equal(p->sets[1], 1);
    struct sluice_agg_groups *g = sluice_agg_groups_new(p, 1);
    sluice_agg_groups_set_watermark(g, 0, SLUICE_WATERMARK_NONE);
    update(g, "a:1:0 b:2:0 a:11:0", 0);
    sluice_agg_groups_set_watermark(g, 0, 10 * S);
    assert_emits(g, SLUICE_AGG_EMIT_CLOSED, 0,
                 "{\"window\":{\"start\":00:00,\"end\":00:10},\"k\":\"a\",\"n\":1}\n"
                 "{\"window\":{\"start\":00:00,\"end\":00:10},\"k\":\"b\",\"n\":1}\n"
                 "{\"window\":{\"start\":00:00,\"end\":00:10},\"k\":null,\"n\":2}\n");
    assert_int_equal(sluice_agg_groups_evict(g), 3);
    assert_emits(g, SLUICE_AGG_EMIT_ALL, 0,
                 "{\"window\":{\"start\":00:10,\"end\":00:20},\"k\":\"a\",\"n\":1}\n"
                 "{\"window\":{\"start\":00:10,\"end\":00:20},\"k\":null,\"n\":1}\n");
    sluice_agg_groups_free(g);
    sluice_agg_plan_free(p);
}

static void test_agg_window_without_event_time_nothing_is_dropped_or_evicted(void **state)
{
    struct sluice_agg_plan *p = plan_w(SLUICE_AGG_GROUP_BY, NULL, 0, LIST("count(*) AS n"), 1, 5 * S, 5 * S);
    struct sluice_agg_groups *g = sluice_agg_groups_new(p, 1);
    sluice_agg_groups_set_watermark(g, -1, 100 * S); /* complete mode: no event key */
    update(g, "a:1:0 a:50:0", 0);
    assert_int_equal(stats(g).dropped, 0);
    assert_emits(g, SLUICE_AGG_EMIT_CLOSED, 0, "");
    assert_int_equal(sluice_agg_groups_evict(g), 0);
    assert_int_equal(stats(g).groups, 2);
    sluice_agg_groups_free(g);
    sluice_agg_plan_free(p);
}

/* A long stream through one state: windows open and close, states own
 * heap memory (gather), and memory stays bounded by the open windows. */
static void test_agg_window_state_stays_bounded_over_a_long_stream(void **state)
{
    struct sluice_agg_plan *p = plan_w(SLUICE_AGG_GROUP_BY, LIST("k"), 1, LIST("count(*) AS n", "gather(v) AS vs"), 2,
                                       10 * S, 5 * S);
    struct sluice_agg_groups *g = sluice_agg_groups_new(p, 4);
    int64_t wm = SLUICE_WATERMARK_NONE, max_groups = 0;
    size_t bytes_at_200 = 0, max_bytes_after = 0;
    char rows[4096];
    for (int batch = 0; batch < 1000; batch++) {
        /* 2 s of event time per batch, 20 keys, one row each second. */
        size_t used = 0;
        for (int sec = 0; sec < 2; sec++)
            for (int k = 0; k < 20; k++)
                used += (size_t)snprintf(rows + used, sizeof rows - used, "k%d:%d:%d ", k, batch * 2 + sec, batch);
        sluice_agg_groups_set_watermark(g, 0, wm);
        update(g, rows, batch);
        sluice_agg_groups_evict(g);
        wm = sluice_watermark_next(wm, sluice_watermark_candidate((int64_t)(batch * 2 + 1) * S, 5 * S));
        struct sluice_agg_stats st = stats(g);
        if (st.groups > max_groups) max_groups = st.groups;
        if (batch == 200) bytes_at_200 = st.bytes;
        if (batch > 200 && st.bytes > max_bytes_after) max_bytes_after = st.bytes;
    }
    /* Open at once: windows whose end is past the watermark (event time - 5 s):
     * at most 4 starts per key, 20 keys. */
    assert_true(max_groups <= 80);
    assert_true(max_groups >= 40);
    assert_true(max_bytes_after <= 2 * bytes_at_200 + 64 * 1024);
    /* The last windows still add up after all the moving: [1995 s, 2005 s)
     * holds each key's rows of 1995 s (batch 997) to 1999 s (batch 999). */
    char *all = emit(g, SLUICE_AGG_EMIT_ALL, 999);
    assert_non_null(strstr(all, "\"k\":\"k7\",\"n\":5,\"vs\":\"997,998,998,999,999\"}"));
    free(all);
    assert_int_equal(stats(g).dropped, 0);
    sluice_agg_groups_free(g);
    sluice_agg_plan_free(p);
}

/* The window key's bytes, written by the flat-struct fast path, are the
 * format agg_key.h gives, and decode back. */
static void test_agg_window_key_encodes_as_agg_key_specifies(void **state)
{
    struct ArrowSchema s;
    sluice_window_schema(&s);
    int64_t start[] = { 10 * S, -5 }, end[] = { 20 * S, 5 };
    struct sluice_window_column c;
    sluice_window_column_init(&c, start, end, 2);
    struct sluice_agg_keycol col = { &s, &c.array };
    struct sluice_arena *scratch = sluice_arena_new(0);
    struct sluice_agg_keys k;
    assert_int_equal(sluice_agg_key_encode(&col, 1, 3, 2, scratch, &k, NULL), SLUICE_OK);
    assert_int_equal(k.offs[1], 21);
    assert_int_equal(k.offs[2], 42);
    uint8_t want[21] = { 3, 0, 1, 1 };
    uint64_t v = (uint64_t)start[1];
    for (int i = 0; i < 8; i++) want[4 + i] = (uint8_t)(v >> (8 * i));
    want[12] = 1;
    v = (uint64_t)end[1];
    for (int i = 0; i < 8; i++) want[13 + i] = (uint8_t)(v >> (8 * i));
    assert_memory_equal(k.data + 21, want, 21);
    assert_int_equal(k.hash[1], sluice_hash64(want, 21, 0));
    assert_int_equal(sluice_agg_key_long(k.data + 2 + 1 + 1), 10 * S);
    sluice_arena_unref(scratch);
    sluice_schema_release(&s);
}

static void test_agg_table_retain_keeps_order_lookups_and_moved_states(void **state)
{
    struct sluice_agg_table t;
    sluice_agg_table_init(&t, 8);
    char key[32];
    bool ins;
    for (int i = 0; i < 5000; i++) {
        size_t n = (size_t)snprintf(key, sizeof key, "key-%d", i);
        size_t gi = sluice_agg_table_upsert(&t, sluice_hash64(key, n, 0), (const uint8_t *)key, (uint32_t)n, &ins);
        *(int64_t *)sluice_agg_table_state(&t, gi) = i;
    }
    size_t slots_before = t.mask + 1, bytes_before = sluice_agg_table_bytes(&t);
    bool *keep = calloc(5000, sizeof *keep);
    for (int i = 0; i < 5000; i++) keep[i] = i % 100 == 7;
    assert_int_equal(sluice_agg_table_retain(&t, keep), 4950);
    assert_int_equal(t.n_groups, 50);
    for (int i = 0; i < 50; i++) {
        int orig = i * 100 + 7;
        size_t n = (size_t)snprintf(key, sizeof key, "key-%d", orig);
        assert_int_equal(sluice_agg_table_find(&t, sluice_hash64(key, n, 0), (const uint8_t *)key, (uint32_t)n), i);
        assert_memory_equal(t.groups[i].key, key, n);
        assert_int_equal(*(int64_t *)sluice_agg_table_state(&t, (size_t)i), orig);
    }
    size_t n = (size_t)snprintf(key, sizeof key, "key-%d", 8);
    assert_int_equal(sluice_agg_table_find(&t, sluice_hash64(key, n, 0), (const uint8_t *)key, (uint32_t)n), -1);
    assert_true(t.mask + 1 < slots_before);
    assert_true(sluice_agg_table_bytes(&t) < bytes_before / 4);
    /* New groups go after the kept ones and reuse the freed room. */
    size_t gi = sluice_agg_table_upsert(&t, sluice_hash64("new", 3, 0), (const uint8_t *)"new", 3, &ins);
    assert_true(ins);
    assert_int_equal(gi, 50);
    memset(keep, 1, 5000);
    assert_int_equal(sluice_agg_table_retain(&t, keep), 0);
    memset(keep, 0, 5000);
    assert_int_equal(sluice_agg_table_retain(&t, keep), 51);
    assert_int_equal(t.n_groups, 0);
    free(keep);
    sluice_agg_table_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agg_window_plan_leads_with_the_window_struct),
        cmocka_unit_test(test_agg_window_plan_refuses_a_window_on_a_non_timestamp),
        cmocka_unit_test(test_agg_window_sliding_counts_each_row_in_every_window),
        cmocka_unit_test(test_agg_window_append_emits_each_window_once_when_the_watermark_passes_it),
        cmocka_unit_test(test_agg_window_update_emits_changed_windows_and_evicts_closed_ones_silently),
        cmocka_unit_test(test_agg_window_sliding_row_keeps_its_open_window_when_the_other_is_closed),
        cmocka_unit_test(test_agg_window_late_rows_are_those_no_group_took),
        cmocka_unit_test(test_agg_window_partials_drop_late_rows_and_merge_their_counts),
        cmocka_unit_test(test_agg_window_timestamp_key_is_closed_by_its_value),
        cmocka_unit_test(test_agg_window_cube_rolls_up_keys_within_each_window),
        cmocka_unit_test(test_agg_window_without_event_time_nothing_is_dropped_or_evicted),
        cmocka_unit_test(test_agg_window_state_stays_bounded_over_a_long_stream),
        cmocka_unit_test(test_agg_window_key_encodes_as_agg_key_specifies),
        cmocka_unit_test(test_agg_table_retain_keeps_order_lookups_and_moved_states),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
