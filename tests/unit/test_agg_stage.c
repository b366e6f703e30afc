/* Aggregate stages in a pipeline (core/runtime/agg/agg_stage.c, pipeline/agg_load.c and the graph's output
 * mode checks): opening, names, projection, plans, Spark's output-mode
 * errors, and plan errors located at their line in the config. Uses the
 * fixture source and sinks and the real aggregator plugins of the build. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agg_stage.h"
#include "error.h"
#include "graph.h"
#include "log.h"

#define FIXTURES SLUICE_TEST_BINARY_DIR "/test-plugins"
#define PLUGINS SLUICE_TEST_BINARY_DIR "/plugins"
/* Line 1 of every test config; stages start on line 2. */
#define RUNTIME "runtime = { plugin_path = [\"" FIXTURES "\", \"" PLUGINS "\"]; shuffle_partitions = 3; };\n"
#define SOURCE                                                                                       \
    "  { name = \"src\"; source = \"good\"; schema = \"id LONG, data STRUCT<lang: STRING, "           \
    "created_at: TIMESTAMP>, user STRUCT<name: STRING, age: LONG>, extra STRING\"; },\n"

static char tmpdir[256];
static char cfg_path[512];

static int setup(void **state)
{
    unsetenv("SLUICE_PLUGIN_PATH");
    sluice_log_set_level(SLUICE_LOG_ERROR);
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sluice-test-agg-graph-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    snprintf(cfg_path, sizeof cfg_path, "%s/pipe.cfg", tmpdir);
    return 0;
}

static int teardown(void **state)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static int load_and_open(const char *text, struct sluice_graph **g, struct sluice_error *err)
{
    FILE *f = fopen(cfg_path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    memset(err, 0, sizeof *err);
    int rc = sluice_graph_load(cfg_path, NULL, 0, g, err);
    if (rc) return rc;
    return sluice_graph_open(*g, err);
}

static struct sluice_graph *open_ok(const char *text)
{
    struct sluice_graph *g = NULL;
    struct sluice_error err;
    int rc = load_and_open(text, &g, &err);
    if (rc) fail_msg("line %d: %s (%s)", err.line, err.message, err.hint);
    return g;
}

/* Open `text`, expecting `message` at `line` for `stage` and `key`. */
static struct sluice_error open_fails(const char *text, int line, const char *stage, const char *key,
                                      const char *message)
{
    struct sluice_graph *g = NULL;
    struct sluice_error err;
    assert_int_equal(load_and_open(text, &g, &err), SLUICE_ECONFIG);
    sluice_graph_free(g);
    assert_string_equal(err.message, message);
    assert_int_equal(err.line, line);
    assert_string_equal(err.file, cfg_path);
    assert_string_equal(err.stage, stage);
    assert_string_equal(err.key, key);
    return err;
}

static const struct sluice_stage *stage(const struct sluice_graph *g, const char *name)
{
    for (size_t i = 0; i < g->n_stages; i++)
        if (strcmp(g->stages[i].name, name) == 0) return &g->stages[i];
    fail_msg("no stage %s", name);
    return NULL;
}

static void test_agg_graph_opens_a_stage_with_spark_names_state_and_projection(void **state)
{
    struct sluice_graph *g = open_ok(RUNTIME
                                     "stages = (\n" SOURCE
                                     "  { name = \"by_lang\"; input = \"src\"; group_by = [\"data.lang AS lang\"];\n"
                                     "    aggregate = [\"count(*) AS count\", \"avg(user.age)\"]; },\n"
                                     "  { name = \"out\"; input = \"by_lang\"; sink = \"collect\"; output_mode = \"complete\"; }\n"
                                     ");\n");
    const struct sluice_stage *a = stage(g, "by_lang");
    assert_non_null(a->agg);
    assert_int_equal(a->agg->mode, SLUICE_MODE_COMPLETE);
    const struct ArrowSchema *out = &a->ctx.output_schema;
    assert_int_equal(out->n_children, 3);
    assert_string_equal(out->children[0]->name, "lang");
    assert_string_equal(out->children[1]->name, "count");
    assert_string_equal(out->children[1]->format, "l");
    assert_string_equal(out->children[2]->name, "avg(user.age)");
    assert_string_equal(out->children[2]->format, "g");
    struct sluice_agg_stats st;
    sluice_agg_groups_stats(a->agg->state, &st);
    assert_int_equal(st.groups, 0);
    /* Only what the keys and arguments read is parsed. */
    const struct sluice_projection *p = sluice_graph_projection(g, stage(g, "src"));
    assert_false(p->all);
    assert_int_equal(p->n_paths, 2);
    assert_string_equal(p->paths[0], "data.lang");
    assert_string_equal(p->paths[1], "user.age");

    struct sluice_buf plan = { 0 };
    sluice_graph_describe(g, &plan);
    assert_non_null(strstr(plan.data, "  by_lang\n"
                                      "    aggregate\n"
                                      "    input: src\n"
                                      "    group by: data.lang AS lang\n"
                                      "    aggregates: count(*) AS count, avg(user.age)\n"
                                      "    output schema:\n"
                                      "      root\n"
                                      "       |-- lang: string (nullable = true)\n"
                                      "       |-- count: long (nullable = false)\n"
                                      "       |-- avg(user.age): double (nullable = true)\n"));
    sluice_buf_free(&plan);
    sluice_graph_free(g);

    g = open_ok(RUNTIME "stages = (\n" SOURCE
                "  { name = \"all\"; input = \"src\"; aggregate = \"count(1)\"; },\n"
                "  { name = \"out\"; input = \"all\"; sink = \"collect\"; output_mode = \"update\"; }\n"
                ");\n");
    assert_int_equal(stage(g, "all")->agg->mode, SLUICE_MODE_UPDATE);
    assert_int_equal(sluice_graph_projection(g, stage(g, "src"))->n_paths, 0); /* rows counted, nothing parsed */
    struct sluice_buf plan2 = { 0 };
    sluice_graph_describe(g, &plan2);
    assert_non_null(strstr(plan2.data, "    group by: (none: one global group)\n    aggregates: count(1)\n"));
    sluice_buf_free(&plan2);
    sluice_graph_free(g);
}

static void test_agg_graph_refuses_output_modes_as_spark_does(void **state)
{
    open_fails(RUNTIME "stages = (\n" SOURCE
               "  { name = \"c\"; input = \"src\"; group_by = [\"extra\"]; aggregate = [\"count(*)\"]; },\n"
               "  { name = \"out\"; input = \"c\"; sink = \"collect\"; }\n"
               ");\n",
               5, "out", "",
               "Append output mode not supported when there are streaming aggregations on streaming "
               "DataFrames/DataSets without watermark");
    open_fails(RUNTIME "stages = (\n" SOURCE
               "  { name = \"c\"; input = \"src\"; group_by = [\"extra\"]; aggregate = [\"count(*)\"]; },\n"
               "  { name = \"cc\"; input = \"c\"; aggregate = [\"count(*)\"]; },\n"
               "  { name = \"out\"; input = \"cc\"; sink = \"collect\"; output_mode = \"complete\"; }\n"
               ");\n",
               5, "cc", "", "Multiple streaming aggregations are not supported with streaming DataFrames/Datasets");
    open_fails(RUNTIME "stages = (\n" SOURCE
               "  { name = \"c\"; input = \"src\"; group_by = [\"extra\"]; aggregate = [\"count(*)\"]; },\n"
               "  { name = \"out\"; input = \"c\"; sink = \"appendonly\"; output_mode = \"complete\"; }\n"
               ");\n",
               5, "out", "output_mode", "Data source appendonly does not support Complete output mode");
    open_fails(RUNTIME "stages = (\n" SOURCE
               "  { name = \"c\"; input = \"src\"; group_by = [\"extra\"]; aggregate = [\"count(*)\"]; },\n"
               "  { name = \"o1\"; input = \"c\"; sink = \"collect\"; output_mode = \"complete\"; },\n"
               "  { name = \"o2\"; input = \"c\"; sink = \"collect\"; output_mode = \"update\"; }\n"
               ");\n",
               6, "o2", "output_mode",
               "sinks 'o1' (Complete) and 'o2' (Update) read aggregate stage 'c' in different output modes");
    /* With a watermark, append needs the watermarked column among the
     * keys (or a window on it), as Spark's checker asks. */
    open_fails(RUNTIME "stages = (\n"
               "  { name = \"src\"; source = \"good\"; schema = \"t TIMESTAMP, k STRING\";\n"
               "    watermark = { column = \"t\"; delay = \"5 seconds\"; }; },\n"
               "  { name = \"c\"; input = \"src\"; group_by = [\"k\"]; aggregate = [\"count(*)\"]; },\n"
               "  { name = \"out\"; input = \"c\"; sink = \"collect\"; }\n"
               ");\n",
               6, "out", "",
               "Append output mode not supported when there are streaming aggregations on streaming "
               "DataFrames/DataSets without watermark");
    struct sluice_graph *g = open_ok(RUNTIME "stages = (\n"
                                     "  { name = \"src\"; source = \"good\"; schema = \"t TIMESTAMP, k STRING\";\n"
                                     "    watermark = { column = \"t\"; delay = \"5 seconds\"; }; },\n"
                                     "  { name = \"c\"; input = \"src\"; group_by = [\"k\", \"t AS at\"];\n"
                                     "    aggregate = [\"count(*)\"]; },\n"
                                     "  { name = \"out\"; input = \"c\"; sink = \"collect\"; }\n"
                                     ");\n");
    assert_int_equal(stage(g, "c")->agg->mode, SLUICE_MODE_APPEND);
    assert_int_equal(stage(g, "c")->agg->event_key, 1);
    sluice_graph_free(g);
}

static void test_agg_graph_points_plan_errors_at_their_line_and_character(void **state)
{
    struct sluice_error err = open_fails(RUNTIME "stages = (\n" SOURCE
                                         "  { name = \"c\"; input = \"src\"; group_by = [\"extra\"];\n"
                                         "    aggregate = [\"count(*)\",\n"
                                         "                 \"avgg(user.age)\"]; },\n"
                                         "  { name = \"out\"; input = \"c\"; sink = \"collect\"; output_mode = \"update\"; }\n"
                                         ");\n",
                                         6, "c", "aggregate", "unknown aggregate function 'avgg'");
    assert_string_equal(err.excerpt, "avgg(user.age)");
    assert_int_equal(err.position, 1);
    assert_string_equal(err.hint, "did you mean 'avg'?");

    err = open_fails(RUNTIME "stages = (\n" SOURCE
                     "  { name = \"c\"; input = \"src\";\n"
                     "    cube = [\"extra\", \"user.nam\"];\n"
                     "    aggregate = [\"count(*)\"]; },\n"
                     "  { name = \"out\"; input = \"c\"; sink = \"collect\"; output_mode = \"complete\"; }\n"
                     ");\n",
                     5, "c", "cube", "no column 'user.nam' in the input");
    assert_string_equal(err.excerpt, "user.nam");

    err = open_fails(RUNTIME "stages = (\n" SOURCE
                     "  { name = \"c\"; input = \"src\"; aggregate = [\"avg(extra)\"]; },\n"
                     "  { name = \"out\"; input = \"c\"; sink = \"collect\"; output_mode = \"complete\"; }\n"
                     ");\n",
                     4, "c", "aggregate", "function 'avg' expects a number, got string");
    /* The aggregator's own refusal: the caret on the function. */
    assert_string_equal(err.excerpt, "avg(extra)");
    assert_int_equal(err.position, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_agg_graph_opens_a_stage_with_spark_names_state_and_projection),
        cmocka_unit_test(test_agg_graph_refuses_output_modes_as_spark_does),
        cmocka_unit_test(test_agg_graph_points_plan_errors_at_their_line_and_character),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
