/* Aggregation state in a checkpoint (core/checkpoint_state.c), with the
 * real aggregator plugins: what is saved restores to the same groups in
 * the same order; deltas and snapshots by partition; compaction; eviction
 * on restore; missing and damaged files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agg_key.h"
#include "agg_stage.h"
#include "builder.h"
#include "checkpoint_state.h"
#include "loader.h"
#include "render.h"
#include "schema.h"
#include "watermark.h"

static char dir[64];
static struct ArrowSchema input;
static struct sluice_registry *reg;

static const struct sluice_plugin *find(void *arg, const char *name)
{
    const struct sluice_loaded *l;
    struct sluice_error err = { 0 };
    return sluice_registry_find(reg, SLUICE_KIND_AGGREGATOR, name, &l, &err) ? NULL : l->plugin;
}

static const struct sluice_agg_catalog catalog = { find, NULL, NULL };

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/sluice-test-ckstate.XXXXXX");
    if (!mkdtemp(dir)) return -1;
    struct sluice_error err;
    if (sluice_schema_parse("k STRING, t TIMESTAMP, v LONG", &input, &err)) return -1;
    reg = sluice_registry_new(NULL, 0);
    return 0;
}

static int teardown(void **state)
{
    sluice_registry_free(reg);
    sluice_schema_release(&input);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* An aggregate stage grouping by `key` with count, sum and count(DISTINCT)
 * (whose state owns memory), over `parts` partitions. */
static struct sluice_agg_stage *stage_new(const char *key, size_t parts)
{
    const char *keys[] = { key };
    const char *aggs[] = { "count(*) AS n", "sum(v) AS s", "count(DISTINCT v) AS d" };
    struct sluice_agg_spec spec = { .keys = keys, .n_keys = 1, .aggs = aggs, .n_aggs = 3 };
    struct sluice_agg_stage *a = calloc(1, sizeof *a);
    struct sluice_error err = { 0 };
    if (sluice_agg_plan_new(&spec, &input, &catalog, &a->plan, NULL, &err)) fail_msg("plan: %s", err.message);
    a->state = sluice_agg_groups_new(a->plan, parts);
    a->event_key = -1;
    a->watermark = SLUICE_WATERMARK_NONE;
    return a;
}

static void stage_free(struct sluice_agg_stage *a)
{
    sluice_agg_groups_free(a->state);
    sluice_agg_plan_free(a->plan);
    free(a);
}

/* Rows "k:t:v" separated by spaces; t in seconds. */
static void update(struct sluice_agg_stage *a, const char *rows, int64_t batch_id)
{
    struct sluice_builder *b = sluice_builder_new(&input);
    char k[32];
    long long t, v;
    for (const char *r = rows; *r;) {
        int used;
        if (sscanf(r, " %31[^:]:%lld:%lld%n", k, &t, &v, &used) != 3) break;
        r += used;
        sluice_builder_append_struct(b);
        sluice_builder_append_string(&b->children[0], k, strlen(k));
        sluice_builder_append_timestamp(&b->children[1], t * 1000000);
        sluice_builder_append_long(&b->children[2], v);
    }
    struct sluice_batch batch;
    sluice_builder_finish(b, &batch);
    batch.schema = &input;
    sluice_builder_free(b);
    struct sluice_error err = { 0 };
    if (sluice_agg_groups_update(a->state, &batch, batch_id, &err)) fail_msg("update: %s", err.message);
    sluice_batch_release(&batch);
}

static char *rows_of(struct sluice_agg_stage *a)
{
    struct sluice_batch out;
    sluice_agg_groups_emit(a->state, SLUICE_AGG_EMIT_ALL, 0, &out);
    struct sluice_buf b = { 0 };
    sluice_buf_puts(&b, "");
    for (int64_t i = 0; i < out.array.length; i++) {
        sluice_render_row_json(&out, i, &b);
        sluice_buf_putc(&b, '\n');
    }
    sluice_batch_release(&out);
    return b.data;
}

static struct sluice_checkpoint_state *open_state(struct sluice_agg_stage *a, const char *sub, int64_t last)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    struct sluice_checkpoint_state *s;
    struct sluice_error err = { 0 };
    if (sluice_checkpoint_state_open(path, a, last, &s, &err)) fail_msg("open: %s", err.message);
    return s;
}

static void save(struct sluice_checkpoint_state *s, int64_t batch, struct sluice_checkpoint_state_stats *st)
{
    struct sluice_error err = { 0 };
    if (sluice_checkpoint_state_save(s, batch, st, &err)) fail_msg("save: %s", err.message);
}

static bool exists(const char *sub, size_t p, const char *file)
{
    char path[192];
    snprintf(path, sizeof path, "%s/%s/%zu/%s", dir, sub, p, file);
    return access(path, F_OK) == 0;
}

/* The partition holding key k (a string key). */
static size_t partition_of(const char *k, size_t parts)
{
    uint8_t key[64];
    size_t n = strlen(k);
    key[0] = 1;
    key[1] = (uint8_t)n;
    key[2] = key[3] = key[4] = 0;
    memcpy(key + 5, k, n);
    return (size_t)(sluice_hash64(key, n + 5, 0) % parts);
}

#define MANY "a:1:1 b:1:2 c:1:3 d:1:4 e:1:5 f:1:6 g:1:7 h:1:8 i:1:9 j:1:10 k:1:11 l:1:12"

static void test_state_restores_the_same_groups_in_the_same_order(void **state)
{
    struct sluice_agg_stage *a = stage_new("k", 3);
    struct sluice_checkpoint_state *s = open_state(a, "same", -1);
    update(a, MANY " a:2:1 a:2:5", 0);
    struct sluice_checkpoint_state_stats st = { 0 };
    save(s, 0, &st);
    assert_int_equal(st.groups_updated, 12);
    assert_int_equal(st.groups_written, 12);
    update(a, "b:3:7 m:3:1", 1); /* one old key changed, one new */
    memset(&st, 0, sizeof st);
    save(s, 1, &st);
    assert_int_equal(st.groups_updated, 2);
    size_t n;
    int64_t versions[3];
    memcpy(versions, sluice_checkpoint_state_versions(s, &n), sizeof versions);
    assert_int_equal(n, 3);

    struct sluice_agg_stage *b = stage_new("k", 3);
    struct sluice_checkpoint_state *r = open_state(b, "same", 1);
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_checkpoint_state_restore(r, versions, 3, SLUICE_WATERMARK_NONE, &err), SLUICE_OK);
    char *want = rows_of(a), *got = rows_of(b);
    assert_string_equal(got, want);
    assert_non_null(strstr(got, "{\"k\":\"a\",\"n\":3,\"s\":7,\"d\":2}"));
    free(want);
    free(got);
    assert_memory_equal(sluice_checkpoint_state_versions(r, &n), versions, sizeof versions);
    sluice_checkpoint_state_free(s);
    sluice_checkpoint_state_free(r);
    stage_free(a);
    stage_free(b);
}

static void test_state_writes_deltas_for_small_changes_and_snapshots_otherwise(void **state)
{
    struct sluice_agg_stage *a = stage_new("k", 2);
    struct sluice_checkpoint_state *s = open_state(a, "kinds", -1);
    struct sluice_checkpoint_state_stats st = { 0 };
    update(a, MANY, 0);
    save(s, 0, &st);
    assert_true(exists("kinds", 0, "0.snapshot") && exists("kinds", 1, "0.snapshot"));
    /* One key: a delta in its partition, nothing in the other. */
    update(a, "c:2:3", 1);
    save(s, 1, &st);
    size_t pc = partition_of("c", 2);
    assert_true(exists("kinds", pc, "1.delta"));
    assert_false(exists("kinds", 1 - pc, "1.delta") || exists("kinds", 1 - pc, "1.snapshot"));
    /* Every key changed: half or more of each partition, so snapshots. */
    update(a, MANY, 2);
    save(s, 2, &st);
    assert_true(exists("kinds", 0, "2.snapshot") && exists("kinds", 1, "2.snapshot"));
    /* A long chain of deltas ends in a snapshot. */
    for (int64_t b = 3; b < 3 + SLUICE_CHECKPOINT_MAX_DELTAS + 1; b++) {
        update(a, "c:2:3", b);
        save(s, b, &st);
    }
    assert_true(exists("kinds", pc, "11.delta"));
    assert_true(exists("kinds", pc, "12.snapshot"));
    /* Compaction keeps the chain batch 12 needs, and the one batch 5 needs. */
    sluice_checkpoint_state_compact(s, 5);
    assert_false(exists("kinds", pc, "0.snapshot") || exists("kinds", pc, "1.delta"));
    assert_true(exists("kinds", pc, "2.snapshot") && exists("kinds", pc, "5.delta"));
    sluice_checkpoint_state_compact(s, 12);
    assert_false(exists("kinds", pc, "2.snapshot") || exists("kinds", pc, "11.delta"));
    assert_true(exists("kinds", pc, "12.snapshot"));
    assert_true(exists("kinds", 1 - pc, "2.snapshot")); /* still that partition's latest */
    sluice_checkpoint_state_free(s);
    stage_free(a);
}

static void test_state_left_by_an_uncommitted_batch_is_deleted_on_open(void **state)
{
    struct sluice_agg_stage *a = stage_new("k", 1);
    struct sluice_checkpoint_state *s = open_state(a, "left", -1);
    struct sluice_checkpoint_state_stats st = { 0 };
    update(a, MANY, 0);
    save(s, 0, &st);
    update(a, "a:1:1", 1);
    save(s, 1, &st);
    sluice_checkpoint_state_free(s);
    assert_true(exists("left", 0, "1.delta"));
    s = open_state(a, "left", 0); /* batch 1 never committed */
    assert_false(exists("left", 0, "1.delta"));
    assert_true(exists("left", 0, "0.snapshot"));
    sluice_checkpoint_state_free(s);
    stage_free(a);
}

static void test_state_restore_evicts_what_the_watermark_closed(void **state)
{
    struct sluice_agg_stage *a = stage_new("t", 2);
    a->event_key = 0;
    struct sluice_checkpoint_state *s = open_state(a, "evict", -1);
    struct sluice_checkpoint_state_stats st = { 0 };
    update(a, "x:10:1 x:20:2 x:30:3", 0);
    save(s, 0, &st);
    size_t n;
    int64_t versions[2];
    memcpy(versions, sluice_checkpoint_state_versions(s, &n), sizeof versions);
    struct sluice_agg_stage *b = stage_new("t", 2);
    b->event_key = 0;
    struct sluice_checkpoint_state *r = open_state(b, "evict", 0);
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_checkpoint_state_restore(r, versions, 2, 20 * 1000000, &err), SLUICE_OK);
    char *got = rows_of(b);
    assert_string_equal(got, "{\"t\":\"1970-01-01T00:00:30.000Z\",\"n\":1,\"s\":3,\"d\":1}\n");
    free(got);
    sluice_checkpoint_state_free(s);
    sluice_checkpoint_state_free(r);
    stage_free(a);
    stage_free(b);
}

static void test_state_with_a_file_missing_from_its_chain_is_an_error(void **state)
{
    struct sluice_agg_stage *a = stage_new("k", 1);
    struct sluice_checkpoint_state *s = open_state(a, "gap", -1);
    struct sluice_checkpoint_state_stats st = { 0 };
    update(a, MANY, 0);
    save(s, 0, &st);
    update(a, "a:1:1", 1);
    save(s, 1, &st);
    update(a, "b:1:1", 2);
    save(s, 2, &st);
    sluice_checkpoint_state_free(s);
    char path[160];
    snprintf(path, sizeof path, "%s/gap/0/1.delta", dir);
    assert_int_equal(unlink(path), 0);
    struct sluice_agg_stage *b = stage_new("k", 1);
    struct sluice_checkpoint_state *r = open_state(b, "gap", 2);
    int64_t v = 2;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_checkpoint_state_restore(r, &v, 1, SLUICE_WATERMARK_NONE, &err), SLUICE_EIO);
    char want[256];
    snprintf(want, sizeof want, "checkpoint file '%s' is missing", path);
    assert_string_equal(err.message, want);
    sluice_checkpoint_state_free(r);
    stage_free(a);
    stage_free(b);
}

static void test_state_saved_with_other_partitions_is_refused(void **state)
{
    struct sluice_agg_stage *a = stage_new("k", 2);
    struct sluice_checkpoint_state *s = open_state(a, "parts", -1);
    struct sluice_checkpoint_state_stats st = { 0 };
    update(a, MANY, 0);
    save(s, 0, &st);
    sluice_checkpoint_state_free(s);
    struct sluice_agg_stage *b = stage_new("k", 3);
    struct sluice_checkpoint_state *r = open_state(b, "parts", 0);
    int64_t v[3] = { 0, 0, -1 };
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_checkpoint_state_restore(r, v, 3, SLUICE_WATERMARK_NONE, &err), SLUICE_EDATA);
    char want[256];
    snprintf(want, sizeof want, "checkpoint file '%s/parts/0/0.snapshot' is damaged: it says batch 0, partition 0 of 2",
             dir);
    assert_string_equal(err.message, want);
    sluice_checkpoint_state_free(r);
    stage_free(a);
    stage_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_restores_the_same_groups_in_the_same_order),
        cmocka_unit_test(test_state_writes_deltas_for_small_changes_and_snapshots_otherwise),
        cmocka_unit_test(test_state_left_by_an_uncommitted_batch_is_deleted_on_open),
        cmocka_unit_test(test_state_restore_evicts_what_the_watermark_closed),
        cmocka_unit_test(test_state_with_a_file_missing_from_its_chain_is_an_error),
        cmocka_unit_test(test_state_saved_with_other_partitions_is_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
