/* The engine driven with plugins defined here: a source of numbered rows
 * whose units finish out of order, transforms and sinks that record what
 * they see. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <cmocka.h>

#include "builder.h"
#include "error.h"
#include "engine.h"
#include "graph.h"
#include "progress.h"
#include "host.h"
#include "schema.h"
#include "tables.h"

/* ---- a source: offset N means N files; file f holds rows f*100 .. f*100+9,
 * read as two units of 5 rows; later units finish first. ---- */

struct fake_source {
    int64_t files;          /* available */
    int64_t limit;          /* per trigger, 0 = none */
    int64_t committed_to;
    int64_t plan_start, plan_end;
    struct ArrowSchema *schema;
};

static int64_t offset_of(const char *json)
{
    return json ? strtoll(json, NULL, 10) : 0;
}

static int src_latest(void *state, const char *start, bool limited, struct sluice_buf *out,
                      struct sluice_error *err)
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
    s->plan_start = offset_of(start);
    s->plan_end = offset_of(end);
    *n = (size_t)(2 * (s->plan_end - s->plan_start));
    return SLUICE_OK;
}

static int src_read(void *state, size_t unit, sluice_emit_fn emit, void *arg, struct sluice_error *err)
{
    struct fake_source *s = state;
    /* Later units finish first, so only the engine's ordering keeps rows in order. */
    struct timespec ts = { 0, (long)(8 - unit % 8) * 300000 };
    nanosleep(&ts, NULL);
    int64_t file = s->plan_start + (int64_t)unit / 2, first = file * 100 + (int64_t)(unit % 2) * 5;
    struct sluice_builder *b = sluice_builder_new(s->schema);
    for (int64_t r = first; r < first + 5; r++) {
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
    ((struct fake_source *)state)->committed_to = offset_of(end);
    return SLUICE_OK;
}

static const struct sluice_plugin source_plugin = {
    .abi_version = SLUICE_ABI_VERSION, .size = sizeof(struct sluice_plugin),
    .kind = SLUICE_KIND_SOURCE, .name = "fake",
    .latest_offset = src_latest, .plan_read = src_plan, .read = src_read, .commit = src_commit,
};

/* ---- a sink that records rows and batch ids ---- */

struct recorder {
    int64_t rows[512];
    int64_t batch_of_row[512];
    size_t n;
    int64_t batch;
    int begins, ends;
    int fail_at_batch; /* -1: never */
};

static int rec_begin(void *state, int64_t id, enum sluice_output_mode mode, struct sluice_error *err)
{
    struct recorder *r = state;
    r->batch = id;
    r->begins++;
    return SLUICE_OK;
}

static int rec_write(void *state, struct sluice_batch *b, struct sluice_error *err)
{
    struct recorder *r = state;
    if (r->batch == r->fail_at_batch) {
        sluice_batch_release(b);
        return sluice_error_set(err, SLUICE_EIO, "disk full");
    }
    const struct ArrowArray *col = b->array.children[0];
    for (int64_t i = 0; i < b->array.length; i++) {
        r->rows[r->n] = ((const int64_t *)col->buffers[1])[col->offset + i];
        r->batch_of_row[r->n++] = r->batch;
    }
    sluice_batch_release(b);
    return SLUICE_OK;
}

static int rec_end(void *state, int64_t id, struct sluice_error *err)
{
    ((struct recorder *)state)->ends++;
    return SLUICE_OK;
}

static const struct sluice_plugin sink_plugin = {
    .abi_version = SLUICE_ABI_VERSION, .size = sizeof(struct sluice_plugin),
    .kind = SLUICE_KIND_SINK, .name = "recorder", .modes = SLUICE_MODE_APPEND,
    .begin = rec_begin, .write = rec_write, .end = rec_end,
};

/* ---- a transform that adds 1000 to every value, keeping the batch shape ---- */

static int plus_process(void *state, struct sluice_batch *in, struct sluice_batch *out,
                        struct sluice_error *err)
{
    struct ArrowArray *col = in->array.children[0];
    int64_t *v = (int64_t *)col->buffers[1];
    for (int64_t i = 0; i < col->length; i++) v[col->offset + i] += 1000;
    sluice_batch_move(out, in);
    return SLUICE_OK;
}

static const struct sluice_plugin plus_plugin = {
    .abi_version = SLUICE_ABI_VERSION, .size = sizeof(struct sluice_plugin),
    .kind = SLUICE_KIND_TRANSFORM, .name = "plus", .process = plus_process,
};

/* ---- a graph of source -> [transform ->] sinks, made by hand ---- */

struct fixture {
    struct sluice_graph g;
    struct sluice_stage stages[4];
    struct sluice_stage *outs[4][4];
    struct fake_source src;
    struct recorder rec[2];
    struct ArrowSchema schema;
};

static void link(struct fixture *f, size_t from, size_t to)
{
    struct sluice_stage *s = &f->stages[from];
    f->outs[from][s->n_outputs] = &f->stages[to];
    s->outputs = f->outs[from];
    s->n_outputs++;
    f->stages[to].input = s;
}

/* with_transform: source -> plus -> sink(s); sinks: 1 or 2 */
static struct fixture *fixture_new(int64_t files, int64_t limit, enum sluice_trigger_kind trigger,
                                   int64_t threads, bool with_transform, int sinks)
{
    struct fixture *f = calloc(1, sizeof *f);
    sluice_schema_init(&f->schema, SLUICE_FORMAT_STRUCT, "", false, 1);
    sluice_schema_init(f->schema.children[0], SLUICE_FORMAT_LONG, "n", true, 0);
    f->src = (struct fake_source){ .files = files, .limit = limit, .schema = &f->schema };
    f->g.runtime.trigger.kind = trigger;
    f->g.runtime.threads = threads;
    f->g.progress = sluice_progress_new();
    size_t n = 0;
    f->stages[n] = (struct sluice_stage){ .name = "src", .kind = SLUICE_STAGE_SOURCE,
                                          .plugin = &source_plugin, .state = &f->src, .feeds_sink = true };
    sluice_schema_copy(&f->schema, &f->stages[n].ctx.output_schema);
    n++;
    size_t feeder = 0;
    if (with_transform) {
        f->stages[n] = (struct sluice_stage){ .name = "plus", .kind = SLUICE_STAGE_TRANSFORM,
                                              .plugin = &plus_plugin, .feeds_sink = true };
        sluice_schema_copy(&f->schema, &f->stages[n].ctx.output_schema);
        link(f, 0, n);
        feeder = n++;
    }
    for (int k = 0; k < sinks; k++) {
        f->rec[k].fail_at_batch = -1;
        f->stages[n] = (struct sluice_stage){ .name = k ? "sink1" : "sink0", .kind = SLUICE_STAGE_SINK,
                                              .plugin = &sink_plugin, .state = &f->rec[k],
                                              .mode = SLUICE_MODE_APPEND, .feeds_sink = true };
        link(f, feeder, n++);
    }
    f->g.stages = f->stages;
    f->g.n_stages = n;
    return f;
}

static void fixture_free(struct fixture *f)
{
    for (size_t i = 0; i < f->g.n_stages; i++) sluice_schema_release(&f->stages[i].ctx.output_schema);
    sluice_schema_release(&f->schema);
    sluice_progress_free(f->g.progress);
    free(f);
}

static void assert_rows_in_order(const struct recorder *r, int64_t files, int64_t add, int64_t files_per_batch)
{
    assert_int_equal(r->n, (size_t)(files * 10));
    for (int64_t i = 0; i < files * 10; i++) {
        assert_int_equal(r->rows[i], (i / 10) * 100 + i % 10 + add);
        assert_int_equal(r->batch_of_row[i], (i / 10) / files_per_batch);
    }
}

static void test_engine_available_now_runs_one_batch_per_limit_then_stops(void **state)
{
    struct fixture *f = fixture_new(6, 2, SLUICE_TRIGGER_AVAILABLE_NOW, 1, false, 1);
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_engine_run(&f->g, NULL, &err), SLUICE_OK);
    assert_int_equal(f->rec[0].begins, 3);
    assert_int_equal(f->rec[0].ends, 3);
    assert_int_equal(f->src.committed_to, 6);
    assert_rows_in_order(&f->rec[0], 6, 0, 2);
    fixture_free(f);
}

static void test_engine_keeps_unit_order_on_worker_threads(void **state)
{
    struct fixture *f = fixture_new(8, 4, SLUICE_TRIGGER_AVAILABLE_NOW, 4, true, 1);
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_engine_run(&f->g, NULL, &err), SLUICE_OK);
    assert_rows_in_order(&f->rec[0], 8, 1000, 4);
    fixture_free(f);
}

static void test_engine_once_ignores_the_per_trigger_limit(void **state)
{
    struct fixture *f = fixture_new(5, 1, SLUICE_TRIGGER_ONCE, 2, false, 1);
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_engine_run(&f->g, NULL, &err), SLUICE_OK);
    assert_int_equal(f->rec[0].begins, 1);
    assert_rows_in_order(&f->rec[0], 5, 0, 5);
    fixture_free(f);
}

static void test_engine_fans_one_read_out_to_every_sink(void **state)
{
    struct fixture *f = fixture_new(3, 0, SLUICE_TRIGGER_ONCE, 2, true, 2);
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_engine_run(&f->g, NULL, &err), SLUICE_OK);
    assert_rows_in_order(&f->rec[0], 3, 1000, 3);
    assert_rows_in_order(&f->rec[1], 3, 1000, 3);
    fixture_free(f);
}

static void test_engine_stops_at_a_sink_error_naming_the_stage(void **state)
{
    struct fixture *f = fixture_new(4, 1, SLUICE_TRIGGER_AVAILABLE_NOW, 2, false, 1);
    f->rec[0].fail_at_batch = 1;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_engine_run(&f->g, NULL, &err), SLUICE_EIO);
    assert_string_equal(err.stage, "sink0");
    assert_string_equal(err.message, "disk full");
    assert_int_equal(f->src.committed_to, 1); /* the failed batch is not committed */
    fixture_free(f);
}

static void test_engine_runs_no_batch_without_data_and_honours_max_batches(void **state)
{
    struct fixture *f = fixture_new(0, 0, SLUICE_TRIGGER_ONCE, 1, false, 1);
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_engine_run(&f->g, NULL, &err), SLUICE_OK);
    assert_int_equal(f->rec[0].begins, 0);
    fixture_free(f);

    f = fixture_new(5, 1, SLUICE_TRIGGER_INTERVAL, 1, false, 1);
    struct sluice_run_opts opts = { .max_batches = 2 };
    assert_int_equal(sluice_engine_run(&f->g, &opts, &err), SLUICE_OK);
    assert_int_equal(f->rec[0].begins, 2);
    fixture_free(f);
}

/* ---- two pipelines in one process ---------------------------------------- */

/* Two graphs of one config, each with its own input: each memory table and
 * progress ring holds only its own run (nothing in the runtime is shared
 * between graphs, not even a table of the same name). */
static void test_engine_two_pipelines_in_one_process_do_not_see_each_other(void **state)
{
    char dir[] = "/tmp/sluice-test-two-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[512], cfg[600];
    for (int k = 0; k < 2; k++) {
        snprintf(path, sizeof path, "%s/in%d", dir, k);
        assert_int_equal(mkdir(path, 0755), 0);
        snprintf(path, sizeof path, "%s/in%d/a.json", dir, k);
        FILE *f = fopen(path, "w");
        for (int r = 0; r <= k; r++) fprintf(f, "{\"n\": %d}\n", r);
        fclose(f);
    }
    snprintf(cfg, sizeof cfg, "%s/p.conf", dir);
    FILE *f = fopen(cfg, "w");
    fprintf(f, "runtime = { trigger = \"once\"; threads = 1; };\n"
               "stages = ( { name = \"in\"; source = \"file\"; path = \"x\"; schema = \"n LONG\"; },\n"
               "  { name = \"t\"; input = \"in\"; sink = \"memory\"; query_name = \"t\"; } );\n");
    fclose(f);
    struct sluice_graph *g[2];
    for (int k = 0; k < 2; k++) {
        char set[600];
        snprintf(set, sizeof set, "in.path=%s/in%d", dir, k);
        const char *sets[] = { set };
        struct sluice_error err = { 0 };
        if (sluice_graph_load(cfg, sets, 1, &g[k], &err) || sluice_graph_open(g[k], &err))
            fail_msg("%s", err.message);
    }
    for (int k = 0; k < 2; k++) {
        struct sluice_error err = { 0 };
        if (sluice_engine_run(g[k], NULL, &err)) fail_msg("%s", err.message);
    }
    for (int k = 0; k < 2; k++) {
        struct sluice_table_snapshot *t = sluice_tables_get(g[k]->tables, "t");
        assert_non_null(t);
        const struct sluice_batch **v;
        size_t n = sluice_table_snapshot_batches(t, &v);
        int64_t rows = 0;
        for (size_t i = 0; i < n; i++) rows += sluice_batch_rows(v[i]);
        free(v);
        assert_int_equal(rows, k + 1);
        sluice_table_snapshot_unref(t);
        struct sluice_buf p = { 0 };
        sluice_progress_json(g[k]->progress, &p);
        char want[64];
        snprintf(want, sizeof want, "\"numInputRows\":%d,", k + 1);
        assert_non_null(strstr(p.data, want));
        assert_null(strstr(p.data, "\"batchId\":1,")); /* one batch each */
        sluice_buf_free(&p);
    }
    for (int k = 0; k < 2; k++) sluice_graph_free(g[k]);
    snprintf(path, sizeof path, "rm -rf '%s'", dir);
    assert_int_equal(system(path), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_engine_available_now_runs_one_batch_per_limit_then_stops),
        cmocka_unit_test(test_engine_keeps_unit_order_on_worker_threads),
        cmocka_unit_test(test_engine_once_ignores_the_per_trigger_limit),
        cmocka_unit_test(test_engine_fans_one_read_out_to_every_sink),
        cmocka_unit_test(test_engine_stops_at_a_sink_error_naming_the_stage),
        cmocka_unit_test(test_engine_runs_no_batch_without_data_and_honours_max_batches),
        cmocka_unit_test(test_engine_two_pipelines_in_one_process_do_not_see_each_other),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
