/* Checkpoints (core/runtime/state/checkpoint.c, checkpoint_meta.c) and the engine's use
 * of them: metadata and fingerprints, resuming after the last commit,
 * replaying a batch that never committed with exactly its offsets,
 * retention, and logs that disagree. The graph is made by hand with a fake
 * source and a recording sink, as in test_engine.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builder.h"
#include "checkpoint.h"
#include "checkpoint_file.h"
#include "engine.h"
#include "error.h"
#include "graph.h"
#include "progress.h"
#include "schema.h"

static char dir[64];

static int setup(void **state)
{
    snprintf(dir, sizeof dir, "/tmp/sluice-test-ckpt.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *sub(const char *name)
{
    static char p[4][192];
    static int i;
    i = (i + 1) % 4;
    snprintf(p[i], sizeof p[i], "%s/%s", dir, name);
    return p[i];
}

/* ---- metadata ------------------------------------------------------------ */

static void test_metadata_is_made_once_and_keeps_the_query_id(void **state)
{
    struct sluice_error err = { 0 };
    json_t *fp = json_pack("{s:s, s:i}", "source", "tweets (file)", "runtime.shuffle_partitions", 5);
    char id[SLUICE_UUID_LEN + 1], again[SLUICE_UUID_LEN + 1];
    bool created;
    assert_int_equal(sluice_checkpoint_mkdirs(sub("meta"), &err), SLUICE_OK);
    assert_int_equal(sluice_checkpoint_meta_open(sub("meta"), "p", fp, NULL, id, &created, &err), SLUICE_OK);
    assert_true(created);
    assert_int_equal(strlen(id), 36);
    assert_int_equal(id[14], '4'); /* a version 4 UUID */
    assert_int_equal(sluice_checkpoint_meta_open(sub("meta"), "p", fp, NULL, again, &created, &err), SLUICE_OK);
    assert_false(created);
    assert_string_equal(again, id);
    json_decref(fp);
}

static void test_metadata_refuses_a_changed_pipeline_naming_every_change(void **state)
{
    struct sluice_error err = { 0 };
    json_t *was = json_pack("{s:s, s:i, s:[s], s:s}", "source", "tweets (file)", "runtime.shuffle_partitions", 5,
                            "by_lang.group_by", "data.lang AS lang", "by_lang.window", "t, 10 seconds");
    json_t *now = json_pack("{s:s, s:i, s:[s], s:[s]}", "source", "tweets (file)", "runtime.shuffle_partitions", 64,
                            "by_lang.group_by", "data.lang AS lang", "by_lang.cube", "x");
    char id[SLUICE_UUID_LEN + 1];
    bool created;
    assert_int_equal(sluice_checkpoint_mkdirs(sub("changed"), &err), SLUICE_OK);
    assert_int_equal(sluice_checkpoint_meta_open(sub("changed"), "p", was, NULL, id, &created, &err), SLUICE_OK);
    assert_int_equal(sluice_checkpoint_meta_open(sub("changed"), "p", now, NULL, id, &created, &err), SLUICE_ECONFIG);
    char want[512];
    snprintf(want, sizeof want,
             "checkpoint '%s' belongs to another pipeline: runtime.shuffle_partitions changed from 5 to 64; "
             "by_lang.window changed from \"t, 10 seconds\" to none; by_lang.cube changed from none to [\"x\"]",
             sub("changed"));
    assert_string_equal(err.message, want);
    assert_non_null(strstr(err.hint, "new runtime.checkpoint"));
    json_decref(was);
    json_decref(now);
}

static void test_fingerprint_names_what_state_depends_on_whatever_the_spacing(void **state)
{
    struct sluice_error err = { 0 };
    char conf[256];
    snprintf(conf, sizeof conf, "%s/fp.conf", dir);
    FILE *cf = fopen(conf, "w");
    assert_non_null(cf);
    fprintf(cf, "name = \"fp\";\n"
                "runtime = { shuffle_partitions = 3; checkpoint = \"%s/fp\"; };\n"
                "stages = (\n"
                "  { name = \"events\"; source = \"file\"; path = \"%s\"; schema = \"lang STRING, t TIMESTAMP\";\n"
                "    watermark = { column = \"t\"; delay = \"5 seconds\"; }; },\n"
                "  { name = \"counts\"; input = \"events\"; window = { column = \"t\"; duration = \"10 seconds\"; };\n"
                "    group_by = [\"lang   AS\n   l\"]; aggregate = [\"count(*) AS n\", \"max(t)\"]; },\n"
                "  { name = \"out\"; input = \"counts\"; sink = \"console\"; output_mode = \"append\"; }\n"
                ");\n",
            dir, dir);
    fclose(cf);
    struct sluice_graph *g;
    assert_int_equal(sluice_graph_load(conf, NULL, 0, &g, &err), SLUICE_OK);
    assert_int_equal(sluice_graph_open(g, &err), SLUICE_OK);
    struct sluice_stage *aggs[] = { &g->stages[1] };
    assert_string_equal(aggs[0]->name, "counts");
    json_t *fp = sluice_checkpoint_meta_fingerprint(g, (struct sluice_stage *const[]){ &g->stages[0] }, 1, aggs, NULL, 1);
    char *text = json_dumps(fp, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(text, "{\"source\":\"events (file)\",\"aggregate stages\":[\"counts\"],"
                              "\"runtime.shuffle_partitions\":3,\"counts.group_by\":[\"lang AS l\"],"
                              "\"counts.aggregate\":[\"count(*) AS n\",\"max(t)\"],"
                              "\"counts.window\":\"t, 10 seconds\",\"counts.watermark\":[\"t\"]}");
    free(text);
    json_decref(fp);
    sluice_graph_free(g);
}

/* ---- a fake source: offset "N" is N files of 10 rows, one unit each ---- */

struct fake_source {
    int64_t files, limit;
    struct ArrowSchema *schema;
    char plans[16][32]; /* "start-end" of every plan_read */
    int n_plans;
};

static int64_t offset_of(const char *json)
{
    return json ? strtoll(json, NULL, 10) : 0;
}

static int src_latest(void *state, const char *start, bool limited, struct sluice_buf *out, struct sluice_error *err)
{
    struct fake_source *s = state;
    if (!s->files) return SLUICE_OK;
    int64_t end = s->files, from = offset_of(start);
    if (limited && s->limit && end > from + s->limit) end = from + s->limit;
    sluice_buf_printf(out, "%lld", (long long)end);
    return SLUICE_OK;
}

static int src_plan(void *state, const char *start, const char *end, size_t *n, struct sluice_error *err)
{
    struct fake_source *s = state;
    snprintf(s->plans[s->n_plans++ % 16], sizeof s->plans[0], "%s-%s", start ? start : "null", end);
    *n = (size_t)(offset_of(end) - offset_of(start));
    return SLUICE_OK;
}

static int src_read(void *state, size_t unit, sluice_emit_fn emit, void *arg, struct sluice_error *err)
{
    (void)unit;
    struct fake_source *s = state;
    struct sluice_builder *b = sluice_builder_new(s->schema);
    for (int64_t r = 0; r < 10; r++) {
        sluice_builder_append_struct(b);
        sluice_builder_append_long(&b->children[0], r);
    }
    struct sluice_batch batch;
    sluice_builder_finish(b, &batch);
    sluice_builder_free(b);
    return emit(arg, &batch, err);
}

static int src_commit(void *state, const char *end, struct sluice_error *err)
{
    return SLUICE_OK;
}

static const struct sluice_plugin source_plugin = {
    .abi_version = SLUICE_ABI_VERSION, .size = sizeof(struct sluice_plugin), .kind = SLUICE_KIND_SOURCE,
    .name = "fake", .latest_offset = src_latest, .plan_read = src_plan, .read = src_read, .commit = src_commit,
};

/* ---- a sink counting rows per batch id, failing at one batch ---- */

struct recorder {
    int64_t rows_of_batch[16];
    int64_t batch;
    int64_t fail_at_batch;
};

static int rec_begin(void *state, int64_t id, enum sluice_output_mode mode, struct sluice_error *err)
{
    ((struct recorder *)state)->batch = id;
    return SLUICE_OK;
}

static int rec_write(void *state, struct sluice_batch *b, struct sluice_error *err)
{
    struct recorder *r = state;
    int64_t n = b->array.length;
    sluice_batch_release(b);
    if (r->batch == r->fail_at_batch) return sluice_error_set(err, SLUICE_EIO, "disk full");
    r->rows_of_batch[r->batch] += n;
    return SLUICE_OK;
}

static int rec_end(void *state, int64_t id, struct sluice_error *err)
{
    return SLUICE_OK;
}

static const struct sluice_plugin sink_plugin = {
    .abi_version = SLUICE_ABI_VERSION, .size = sizeof(struct sluice_plugin), .kind = SLUICE_KIND_SINK,
    .name = "recorder", .modes = SLUICE_MODE_APPEND, .begin = rec_begin, .write = rec_write, .end = rec_end,
};

struct fixture {
    struct sluice_graph g;
    struct sluice_stage stages[2];
    struct sluice_stage *outs[1];
    struct fake_source src;
    struct recorder rec;
    struct ArrowSchema schema;
};

static struct fixture *fixture_new(const char *ckpt, int64_t files, int64_t limit, int64_t retain)
{
    struct fixture *f = calloc(1, sizeof *f);
    sluice_schema_init(&f->schema, SLUICE_FORMAT_STRUCT, "", false, 1);
    sluice_schema_init(f->schema.children[0], SLUICE_FORMAT_LONG, "n", true, 0);
    f->src = (struct fake_source){ .files = files, .limit = limit, .schema = &f->schema };
    f->rec.fail_at_batch = -1;
    f->g.name = "ckpt_test";
    f->g.runtime.trigger.kind = SLUICE_TRIGGER_AVAILABLE_NOW;
    f->g.runtime.threads = 1;
    f->g.progress = sluice_progress_new();
    f->g.runtime.checkpoint = ckpt;
    f->g.runtime.min_batches_to_retain = retain;
    f->stages[0] = (struct sluice_stage){ .name = "src", .kind = SLUICE_STAGE_SOURCE, .plugin_name = "fake",
                                          .plugin = &source_plugin, .state = &f->src, .feeds_sink = true };
    sluice_schema_copy(&f->schema, &f->stages[0].ctx.output_schema);
    f->stages[1] = (struct sluice_stage){ .name = "out", .kind = SLUICE_STAGE_SINK, .plugin_name = "recorder",
                                          .plugin = &sink_plugin, .state = &f->rec, .mode = SLUICE_MODE_APPEND,
                                          .feeds_sink = true, .input = &f->stages[0] };
    f->outs[0] = &f->stages[1];
    f->stages[0].outputs = f->outs;
    f->stages[0].n_outputs = 1;
    f->g.stages = f->stages;
    f->g.n_stages = 2;
    return f;
}

static void fixture_free(struct fixture *f)
{
    sluice_schema_release(&f->stages[0].ctx.output_schema);
    sluice_schema_release(&f->schema);
    sluice_progress_free(f->g.progress);
    free(f);
}

static int run(struct fixture *f, struct sluice_error *err)
{
    struct sluice_run_opts opts = { 0 };
    return sluice_engine_run(&f->g, &opts, err);
}

/* A log entry's JSON text (after the header line). */
static char *entry(const char *log, int64_t id)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s/%lld", dir, log, (long long)id);
    struct sluice_buf b = { 0 };
    struct sluice_error err = { 0 };
    if (sluice_checkpoint_file_read(path, strstr(log, "commits") ? "commit" : "offsets", &b, &err))
        fail_msg("%s", err.message);
    return b.data;
}

static void test_engine_resumes_after_the_last_committed_batch(void **state)
{
    struct sluice_error err = { 0 };
    struct fixture *f = fixture_new(sub("resume"), 3, 1, 0);
    assert_int_equal(run(f, &err), SLUICE_OK);
    assert_int_equal(f->src.n_plans, 3);
    fixture_free(f);

    f = fixture_new(sub("resume"), 5, 1, 0); /* two new files since */
    assert_int_equal(run(f, &err), SLUICE_OK);
    assert_int_equal(f->src.n_plans, 2);
    assert_string_equal(f->src.plans[0], "3-4");
    assert_string_equal(f->src.plans[1], "4-5");
    assert_int_equal(f->rec.rows_of_batch[3], 10);
    assert_int_equal(f->rec.rows_of_batch[4], 10);
    assert_int_equal(f->rec.rows_of_batch[0], 0); /* nothing from before */
    char *c = entry("resume/commits", 4);
    assert_non_null(strstr(c, "\"batchId\":4,"));
    free(c);
    fixture_free(f);
}

static void test_engine_replays_a_failed_batch_with_exactly_its_offsets(void **state)
{
    struct sluice_error err = { 0 };
    struct fixture *f = fixture_new(sub("replay"), 6, 2, 0);
    f->rec.fail_at_batch = 1;
    assert_int_equal(run(f, &err), SLUICE_EIO);
    char *o = entry("replay/offsets", 1);
    assert_non_null(strstr(o, "\"start\":\"2\",\"end\":\"4\""));
    free(o);
    fixture_free(f);

    /* More data and a larger limit now: batch 1 still reads files 2 and 3 only. */
    f = fixture_new(sub("replay"), 9, 3, 0);
    assert_int_equal(run(f, &err), SLUICE_OK);
    assert_int_equal(f->src.n_plans, 3);
    assert_string_equal(f->src.plans[0], "2-4");
    assert_string_equal(f->src.plans[1], "4-7");
    assert_string_equal(f->src.plans[2], "7-9");
    assert_int_equal(f->rec.rows_of_batch[1], 20);
    assert_int_equal(f->rec.rows_of_batch[2], 30);
    assert_int_equal(f->rec.rows_of_batch[3], 20);
    fixture_free(f);
}

static void test_engine_keeps_only_the_last_batches_to_retain(void **state)
{
    struct sluice_error err = { 0 };
    struct fixture *f = fixture_new(sub("retain"), 5, 1, 2);
    assert_int_equal(run(f, &err), SLUICE_OK);
    int64_t *ids;
    size_t n;
    assert_int_equal(sluice_checkpoint_list_ids(sub("retain/offsets"), "", &ids, &n, &err), SLUICE_OK);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], 3);
    assert_int_equal(ids[1], 4);
    free(ids);
    assert_int_equal(sluice_checkpoint_list_ids(sub("retain/commits"), "", &ids, &n, &err), SLUICE_OK);
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], 3);
    free(ids);
    fixture_free(f);
}

static void test_engine_refuses_logs_that_disagree(void **state)
{
    struct sluice_error err = { 0 };
    struct fixture *f = fixture_new(sub("disagree"), 3, 1, 0);
    assert_int_equal(run(f, &err), SLUICE_OK);
    fixture_free(f);
    /* Commits 1 and 2 gone: offsets are two batches ahead. */
    assert_int_equal(unlink(sub("disagree/commits/2")), 0);
    assert_int_equal(unlink(sub("disagree/commits/1")), 0);
    f = fixture_new(sub("disagree"), 3, 1, 0);
    assert_int_equal(run(f, &err), SLUICE_EDATA);
    char want[256];
    snprintf(want, sizeof want, "checkpoint '%s' is damaged: it has offsets up to batch 2 but commits up to batch 0",
             sub("disagree"));
    assert_string_equal(err.message, want);
    assert_int_equal(f->src.n_plans, 0);
    fixture_free(f);
}

static void test_engine_refuses_offsets_without_metadata(void **state)
{
    struct sluice_error err = { 0 };
    struct fixture *f = fixture_new(sub("nometa"), 1, 1, 0);
    assert_int_equal(run(f, &err), SLUICE_OK);
    fixture_free(f);
    assert_int_equal(unlink(sub("nometa/metadata")), 0);
    f = fixture_new(sub("nometa"), 1, 1, 0);
    assert_int_equal(run(f, &err), SLUICE_EDATA);
    char want[256];
    snprintf(want, sizeof want, "checkpoint file '%s' is missing", sub("nometa/metadata"));
    assert_string_equal(err.message, want);
    fixture_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metadata_is_made_once_and_keeps_the_query_id),
        cmocka_unit_test(test_metadata_refuses_a_changed_pipeline_naming_every_change),
        cmocka_unit_test(test_fingerprint_names_what_state_depends_on_whatever_the_spacing),
        cmocka_unit_test(test_engine_resumes_after_the_last_committed_batch),
        cmocka_unit_test(test_engine_replays_a_failed_batch_with_exactly_its_offsets),
        cmocka_unit_test(test_engine_keeps_only_the_last_batches_to_retain),
        cmocka_unit_test(test_engine_refuses_logs_that_disagree),
        cmocka_unit_test(test_engine_refuses_offsets_without_metadata),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
