/* An aggregate stage's state through the state store (core/runtime/agg/
 * agg_state.c), with the real aggregator plugins: what is saved restores
 * to the same groups in the same order; only changed partitions are
 * written; eviction on restore; other partitions and damaged values are
 * refused naming the file. */
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
#include "agg_state.h"
#include "state_store.h"
#include "registry.h"
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
    snprintf(dir, sizeof dir, "/tmp/sluice-test-aggstate.XXXXXX");
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
    if (sluice_agg_groups_update(a->state, &batch, batch_id, NULL, &err)) fail_msg("update: %s", err.message);
    sluice_batch_release(&batch);
}

static char *rows_of(struct sluice_agg_stage *a)
{
    struct sluice_batch out;
    assert_int_equal(sluice_agg_groups_emit(a->state, SLUICE_AGG_EMIT_ALL, 0, &out, NULL), SLUICE_OK);
    struct sluice_buf b = { 0 };
    sluice_buf_puts(&b, "");
    for (int64_t i = 0; i < out.array.length; i++) {
        sluice_render_row_json(&out, i, &b);
        sluice_buf_putc(&b, '\n');
    }
    sluice_batch_release(&out);
    return b.data;
}

static struct sluice_state_store *open_store(const char *sub, int64_t last)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, sub);
    struct sluice_state_store *s;
    struct sluice_error err = { 0 };
    if (sluice_state_store_open(path, last, &s, &err)) fail_msg("open: %s", err.message);
    return s;
}

static void save(struct sluice_agg_stage *a, struct sluice_state_store *s, int64_t batch,
                 struct sluice_agg_state_stats *st)
{
    struct sluice_error err = { 0 };
    sluice_state_store_begin(s, batch);
    if (sluice_agg_state_save(a, "agg", s, batch, st, &err)) fail_msg("save: %s", err.message);
    if (sluice_state_store_commit(s, NULL, &err)) fail_msg("commit: %s", err.message);
}

#define MANY "a:1:1 b:1:2 c:1:3 d:1:4 e:1:5 f:1:6 g:1:7 h:1:8 i:1:9 j:1:10 k:1:11 l:1:12"

static void test_agg_state_restores_the_same_groups_in_the_same_order(void **state)
{
    struct sluice_agg_stage *a = stage_new("k", 3);
    struct sluice_state_store *s = open_store("same", -1);
    update(a, MANY " a:2:1 a:2:5", 0);
    struct sluice_agg_state_stats st = { 0 };
    save(a, s, 0, &st);
    assert_int_equal(st.groups_updated, 12);
    assert_int_equal(st.groups_written, 12);
    update(a, "b:3:7 m:3:1", 1); /* one old key changed, one new */
    memset(&st, 0, sizeof st);
    save(a, s, 1, &st);
    assert_int_equal(st.groups_updated, 2);

    struct sluice_agg_stage *b = stage_new("k", 3);
    struct sluice_state_store *r = open_store("same", 1);
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_agg_state_restore(b, "agg", r, SLUICE_WATERMARK_NONE, &err), SLUICE_OK);
    char *want = rows_of(a), *got = rows_of(b);
    assert_string_equal(got, want);
    assert_non_null(strstr(got, "{\"k\":\"a\",\"n\":3,\"s\":7,\"d\":2}"));
    free(want);
    free(got);
    sluice_state_store_free(s);
    sluice_state_store_free(r);
    stage_free(a);
    stage_free(b);
}

static void test_agg_state_writes_only_the_partitions_a_batch_changed(void **state)
{
    struct sluice_agg_stage *a = stage_new("k", 4);
    struct sluice_state_store *s = open_store("changed", -1);
    struct sluice_agg_state_stats st = { 0 };
    update(a, MANY, 0);
    save(a, s, 0, &st);
    /* One key of many: a delta of one group in its partition only. */
    update(a, "c:2:3", 1);
    memset(&st, 0, sizeof st);
    struct sluice_error err = { 0 };
    struct sluice_state_store_stats sst;
    sluice_state_store_begin(s, 1);
    assert_int_equal(sluice_agg_state_save(a, "agg", s, 1, &st, &err), SLUICE_OK);
    assert_int_equal(sluice_state_store_commit(s, &sst, &err), SLUICE_OK);
    assert_int_equal(sst.sections, 1);
    assert_int_equal(st.groups_written, 1);
    /* Nothing changed: no file at all. */
    sluice_state_store_begin(s, 2);
    assert_int_equal(sluice_agg_state_save(a, "agg", s, 2, &st, &err), SLUICE_OK);
    assert_int_equal(sluice_state_store_commit(s, &sst, &err), SLUICE_OK);
    assert_int_equal(sst.sections, 0);
    char path[160];
    snprintf(path, sizeof path, "%s/changed/2.state", dir);
    assert_int_not_equal(access(path, F_OK), 0);
    sluice_state_store_free(s);
    stage_free(a);
}

static void test_agg_state_restore_evicts_what_the_watermark_closed(void **state)
{
    struct sluice_agg_stage *a = stage_new("t", 2);
    a->event_key = 0;
    struct sluice_state_store *s = open_store("evict", -1);
    struct sluice_agg_state_stats st = { 0 };
    update(a, "x:10:1 x:20:2 x:30:3", 0);
    save(a, s, 0, &st);
    struct sluice_agg_stage *b = stage_new("t", 2);
    b->event_key = 0;
    struct sluice_state_store *r = open_store("evict", 0);
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_agg_state_restore(b, "agg", r, 20 * 1000000, &err), SLUICE_OK);
    char *got = rows_of(b);
    assert_string_equal(got, "{\"t\":\"1970-01-01T00:00:30.000Z\",\"n\":1,\"s\":3,\"d\":1}\n");
    free(got);
    sluice_state_store_free(s);
    sluice_state_store_free(r);
    stage_free(a);
    stage_free(b);
}

static void test_agg_state_saved_with_other_partitions_is_refused(void **state)
{
    struct sluice_agg_stage *a = stage_new("k", 2);
    struct sluice_state_store *s = open_store("parts", -1);
    struct sluice_agg_state_stats st = { 0 };
    update(a, MANY, 0);
    save(a, s, 0, &st);
    sluice_state_store_free(s);
    struct sluice_agg_stage *b = stage_new("k", 3);
    struct sluice_state_store *r = open_store("parts", 0);
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_agg_state_restore(b, "agg", r, SLUICE_WATERMARK_NONE, &err), SLUICE_EDATA);
    char want[256];
    snprintf(want, sizeof want, "checkpoint file '%s/parts/0.state' is damaged: its state of 'agg' has 2 partitions, not 3",
             dir);
    assert_string_equal(err.message, want);
    sluice_state_store_free(r);
    stage_free(a);
    stage_free(b);
}

static void test_agg_state_value_an_aggregator_cannot_read_names_the_file(void **state)
{
    struct sluice_agg_stage *a = stage_new("k", 1);
    struct sluice_state_store *s = open_store("bad", -1);
    /* A record whose value is one byte: too short for three states. */
    sluice_state_store_begin(s, 0);
    sluice_state_store_section(s, "agg", 0, 1, true);
    uint8_t key[6] = { 1, 1, 0, 0, 0, 'a' };
    sluice_buf_putc(sluice_state_store_put(s, key, sizeof key), 'x');
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_state_store_commit(s, NULL, &err), SLUICE_OK);
    sluice_state_store_free(s);
    struct sluice_state_store *r = open_store("bad", 0);
    assert_int_equal(sluice_agg_state_restore(a, "agg", r, SLUICE_WATERMARK_NONE, &err), SLUICE_EDATA);
    char want[256];
    snprintf(want, sizeof want, "checkpoint file '%s/bad/0.state' is damaged: a group of 'agg' partition 0: "
             "a group's state runs past the end", dir);
    assert_string_equal(err.message, want);
    sluice_state_store_free(r);
    stage_free(a);
}

/* ---- state versions ---- */

/* The real count aggregator, as a build of it whose state format is
 * `version`; its deserialize records the version it was handed. */
static uint32_t versioned_as, seen_version;
static const struct sluice_plugin *real_count;

static int spy_deserialize(const struct sluice_host *host, const void *bound, void *state, uint32_t version,
                           const char *data, size_t len, struct sluice_error *err)
{
    seen_version = version;
    return real_count->deserialize(host, bound, state, version, data, len, err);
}

static const struct sluice_plugin *find_versioned(void *arg, const char *name)
{
    static struct sluice_plugin copy;
    real_count = find(arg, "count");
    copy = *real_count;
    copy.state_version = versioned_as;
    copy.deserialize = spy_deserialize;
    return strcmp(name, "count") == 0 ? &copy : NULL;
}

static struct sluice_agg_stage *count_stage(uint32_t version)
{
    versioned_as = version;
    static const struct sluice_agg_catalog cat = { find_versioned, NULL, NULL };
    const char *keys[] = { "k" }, *aggs[] = { "count(*) AS n" };
    struct sluice_agg_spec spec = { .keys = keys, .n_keys = 1, .aggs = aggs, .n_aggs = 1 };
    struct sluice_agg_stage *a = calloc(1, sizeof *a);
    struct sluice_error err = { 0 };
    if (sluice_agg_plan_new(&spec, &input, &cat, &a->plan, NULL, &err)) fail_msg("plan: %s", err.message);
    a->state = sluice_agg_groups_new(a->plan, 1);
    a->event_key = -1;
    a->watermark = SLUICE_WATERMARK_NONE;
    return a;
}

static void test_agg_state_hands_deserialize_the_version_the_state_was_saved_in(void **state)
{
    struct sluice_agg_stage *a = count_stage(2);
    struct sluice_state_store *s = open_store("v2", -1);
    struct sluice_agg_state_stats st = { 0 };
    update(a, "a:1:1 a:1:2", 0);
    save(a, s, 0, &st);
    sluice_state_store_free(s);
    /* A later build of the aggregator, whose format is 3, reads format 2. */
    struct sluice_agg_stage *b = count_stage(3);
    struct sluice_state_store *r = open_store("v2", 0);
    struct sluice_error err = { 0 };
    seen_version = 0;
    assert_int_equal(sluice_agg_state_restore(b, "agg", r, SLUICE_WATERMARK_NONE, &err), SLUICE_OK);
    assert_int_equal(seen_version, 2);
    char *got = rows_of(b);
    assert_string_equal(got, "{\"k\":\"a\",\"n\":2}\n");
    free(got);
    sluice_state_store_free(r);
    stage_free(a);
    stage_free(b);
}

static void test_agg_state_saved_in_a_newer_format_is_refused_before_deserialize(void **state)
{
    struct sluice_agg_stage *a = count_stage(3);
    struct sluice_state_store *s = open_store("v3", -1);
    struct sluice_agg_state_stats st = { 0 };
    update(a, "a:1:1", 0);
    save(a, s, 0, &st);
    sluice_state_store_free(s);
    /* An older build of the aggregator cannot guess at format 3. */
    struct sluice_agg_stage *b = count_stage(2);
    struct sluice_state_store *r = open_store("v3", 0);
    struct sluice_error err = { 0 };
    seen_version = 0;
    assert_int_equal(sluice_agg_state_restore(b, "agg", r, SLUICE_WATERMARK_NONE, &err), SLUICE_EPLUGIN);
    assert_string_equal(err.message, "state of aggregator 'count' was saved in its format 3; this build of it "
                                     "reads formats 1 to 2");
    assert_int_equal(seen_version, 0);
    sluice_state_store_free(r);
    stage_free(a);
    stage_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agg_state_restores_the_same_groups_in_the_same_order),
        cmocka_unit_test(test_agg_state_writes_only_the_partitions_a_batch_changed),
        cmocka_unit_test(test_agg_state_restore_evicts_what_the_watermark_closed),
        cmocka_unit_test(test_agg_state_saved_with_other_partitions_is_refused),
        cmocka_unit_test(test_agg_state_value_an_aggregator_cannot_read_names_the_file),
        cmocka_unit_test(test_agg_state_hands_deserialize_the_version_the_state_was_saved_in),
        cmocka_unit_test(test_agg_state_saved_in_a_newer_format_is_refused_before_deserialize),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
