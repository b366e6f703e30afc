/* Pipelines: loading, validation errors with their lines, ordering, cycles,
 * output modes, opening and projection pushdown, using the fixture plugins
 * in tests/fixtures/plugins. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "graph.h"
#include "log.h"

#define FIXTURES SLUICE_TEST_BINARY_DIR "/test-plugins"
/* Line 1 of every test config; stages start on line 2. */
#define RUNTIME "runtime = { plugin_path = [\"" FIXTURES "\"]; };\n"
#define SCHEMA                                                                                  \
    "schema = \"id LONG, data STRUCT<lang: STRING, created_at: TIMESTAMP, text: STRING>, "      \
    "user STRUCT<name: STRING, age: LONG>, extra STRING\";"

static char tmpdir[256];
static char cfg_path[512];

static int setup(void **state)
{
    unsetenv("SLUICE_PLUGIN_PATH");
    sluice_log_set_level(SLUICE_LOG_ERROR); /* the "will not run" warnings are expected */
    snprintf(tmpdir, sizeof tmpdir, "/tmp/sluice-test-graph-XXXXXX");
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

static int load_with(const char *text, const char *const *overrides, size_t n,
                     struct sluice_graph **g, struct sluice_error *err)
{
    FILE *f = fopen(cfg_path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    memset(err, 0, sizeof *err);
    return sluice_graph_load(cfg_path, overrides, n, g, err);
}

static int load(const char *text, struct sluice_graph **g, struct sluice_error *err)
{
    return load_with(text, NULL, 0, g, err);
}

/* Load `text`, expecting failure with `code`, `message` at `line`. */
static void load_fails(const char *text, int code, int line, const char *message)
{
    struct sluice_graph *g = (struct sluice_graph *)1;
    struct sluice_error err;
    assert_int_equal(load(text, &g, &err), code);
    assert_null(g);
    assert_string_equal(err.message, message);
    assert_int_equal(err.line, line);
    assert_string_equal(err.file, cfg_path);
}

/* Load and open `text`, expecting the open to fail. */
static void open_fails(const char *text, int code, int line, const char *message)
{
    struct sluice_graph *g;
    struct sluice_error err;
    assert_int_equal(load(text, &g, &err), SLUICE_OK);
    memset(&err, 0, sizeof err);
    assert_int_equal(sluice_graph_open(g, &err), code);
    assert_string_equal(err.message, message);
    assert_int_equal(err.line, line);
    assert_string_equal(err.file, cfg_path);
    sluice_graph_free(g);
}

static struct sluice_graph *open_ok(const char *text)
{
    struct sluice_graph *g;
    struct sluice_error err;
    int rc = load(text, &g, &err);
    if (rc) fprintf(stderr, "load: %d %s (%s)\n", err.line, err.message, err.hint);
    assert_int_equal(rc, SLUICE_OK);
    rc = sluice_graph_open(g, &err);
    if (rc) fprintf(stderr, "open: %d %s (%s)\n", err.line, err.message, err.hint);
    assert_int_equal(rc, SLUICE_OK);
    return g;
}

static const struct sluice_stage *stage(const struct sluice_graph *g, const char *name)
{
    for (size_t i = 0; i < g->n_stages; i++)
        if (strcmp(g->stages[i].name, name) == 0) return &g->stages[i];
    fail_msg("no stage %s", name);
    return NULL;
}

/* The projection of `name` as "a, b" or "*" for all. */
static const char *projection_text(const struct sluice_graph *g, const char *name)
{
    static char buf[512];
    const struct sluice_projection *p = sluice_graph_projection(g, stage(g, name));
    assert_non_null(p);
    if (p->all) return "*";
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < p->n_paths; i++)
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s", i ? ", " : "", p->paths[i]);
    return buf;
}

/* ---- structure ------------------------------------------------------------ */

static void test_graph_orders_stages_topologically_keeping_config_order_otherwise(void **state)
{
    struct sluice_graph *g;
    struct sluice_error err;
    assert_int_equal(load(RUNTIME
                          "stages = (\n"
                          "  { name = \"out2\"; input = \"b\"; sink = \"collect\"; },\n"
                          "  { name = \"b\"; input = \"src\"; transform = \"pick\"; },\n"
                          "  { name = \"src\"; source = \"good\"; },\n"
                          "  { name = \"out1\"; input = \"src\"; sink = \"collect\"; },\n"
                          "  { name = \"a\"; input = \"src\"; transform = \"pick\"; }\n"
                          ");\n",
                          &g, &err),
                     SLUICE_OK);
    assert_int_equal(g->n_stages, 5);
    const char *order[] = { "src", "b", "out2", "out1", "a" };
    for (size_t i = 0; i < 5; i++) assert_string_equal(g->stages[i].name, order[i]);
    assert_null(g->stages[0].input);
    assert_ptr_equal(g->stages[1].input, &g->stages[0]);
    assert_ptr_equal(g->stages[2].input, &g->stages[1]);
    assert_int_equal(g->stages[0].n_outputs, 3);
    assert_ptr_equal(g->stages[0].outputs[0], &g->stages[1]);
    assert_ptr_equal(g->stages[0].outputs[2], &g->stages[4]);
    assert_int_equal(g->stages[1].kind, SLUICE_STAGE_TRANSFORM);
    assert_int_equal(g->stages[2].kind, SLUICE_STAGE_SINK);
    assert_int_equal(g->stages[2].mode, SLUICE_MODE_APPEND);
    assert_true(g->stages[0].feeds_sink);
    assert_true(g->stages[1].feeds_sink);
    assert_false(g->stages[4].feeds_sink); /* 'a' feeds no sink: kept, never run */
    assert_string_equal(g->stages[0].plugin_file, FIXTURES "/sluice_source_good.so");
    assert_int_equal(g->stages[0].ctx.stage == &g->stages[0], 1);
    assert_string_equal(g->name, "pipe"); /* no name: the file's stem */
    sluice_graph_free(g);
}

static void test_graph_reports_a_cycle_in_data_flow_order(void **state)
{
    load_fails(RUNTIME
               "stages = (\n"
               "  { name = \"src\"; source = \"good\"; },\n"
               "  { name = \"a\"; input = \"c\"; transform = \"pick\"; },\n"
               "  { name = \"b\"; input = \"a\"; transform = \"pick\"; },\n"
               "  { name = \"c\"; input = \"b\"; transform = \"pick\"; },\n"
               "  { name = \"out\"; input = \"src\"; sink = \"collect\"; }\n"
               ");\n",
               SLUICE_ECONFIG, 4, "the inputs form a cycle: stage 'a' -> 'b' -> 'c' -> 'a'");
    load_fails(RUNTIME
               "stages = (\n"
               "  { name = \"src\"; source = \"good\"; },\n"
               "  { name = \"self\"; input = \"self\"; transform = \"pick\"; },\n"
               "  { name = \"out\"; input = \"src\"; sink = \"collect\"; }\n"
               ");\n",
               SLUICE_ECONFIG, 4, "the inputs form a cycle: stage 'self' -> 'self'");
}

/* A union reads several stages: each input lists it as an output, the
 * sources above it lead one query (the first in stage order), a source on
 * its own another; a cycle through a union's second input is found too. */
static void test_graph_unions_join_their_sources_into_one_query(void **state)
{
    struct sluice_graph *g;
    struct sluice_error err;
    assert_int_equal(load(RUNTIME
                          "stages = (\n"
                          "  { name = \"a\"; source = \"good\"; },\n"
                          "  { name = \"b\"; source = \"good\"; },\n"
                          "  { name = \"c\"; source = \"good\"; },\n"
                          "  { name = \"pb\"; input = \"b\"; transform = \"pick\"; },\n"
                          "  { name = \"u\"; input = [\"pb\", \"a\"]; transform = \"union\"; },\n"
                          "  { name = \"out\"; input = \"u\"; sink = \"collect\"; },\n"
                          "  { name = \"out_c\"; input = \"c\"; sink = \"collect\"; }\n"
                          ");\n",
                          &g, &err),
                     SLUICE_OK);
    const char *order[] = { "a", "b", "c", "pb", "u", "out", "out_c" };
    for (size_t i = 0; i < 7; i++) assert_string_equal(g->stages[i].name, order[i]);
    struct sluice_stage *a = &g->stages[0], *b = &g->stages[1], *c = &g->stages[2], *u = &g->stages[4];
    assert_int_equal(u->kind, SLUICE_STAGE_UNION);
    assert_int_equal(u->n_inputs, 2);
    assert_ptr_equal(u->inputs[0], &g->stages[3]);
    assert_ptr_equal(u->inputs[1], a);
    assert_ptr_equal(u->input, u->inputs[0]);
    assert_ptr_equal(a->outputs[0], u);
    assert_ptr_equal(b->lead, a); /* a comes first in stage order */
    assert_ptr_equal(u->lead, a);
    assert_ptr_equal(g->stages[5].lead, a);
    assert_ptr_equal(c->lead, c);
    assert_int_equal(sluice_graph_queries(g), 2);
    sluice_graph_free(g);

    load_fails(RUNTIME
               "stages = (\n"
               "  { name = \"a\"; source = \"good\"; },\n"
               "  { name = \"u\"; input = [\"a\", \"v\"]; transform = \"union\"; },\n"
               "  { name = \"v\"; input = \"u\"; transform = \"pick\"; },\n"
               "  { name = \"out\"; input = \"v\"; sink = \"collect\"; }\n"
               ");\n",
               SLUICE_ECONFIG, 4, "the inputs form a cycle: stage 'u' -> 'v' -> 'u'");
    load_fails(RUNTIME
               "stages = (\n"
               "  { name = \"a\"; source = \"good\"; },\n"
               "  { name = \"u\"; input = [\"a\"]; transform = \"union\"; },\n"
               "  { name = \"out\"; input = \"u\"; sink = \"collect\"; }\n"
               ");\n",
               SLUICE_ECONFIG, 4, "expected a list of two or more stage names such as [\"a\", \"b\"], got an array");
}

/* The core's own boolean keys read as plugin options do: a config
 * boolean, or the word from --set; a quoted word in the file is refused
 * with the fix. */
static void test_graph_core_booleans_take_set_words_but_not_quoted_file_words(void **state)
{
    const char *text = RUNTIME
        "stages = (\n"
        "  { name = \"src\"; source = \"good\"; },\n"
        "  { name = \"out\"; input = \"src\"; sink = \"collect\"; }\n"
        ");\n";
    struct sluice_graph *g;
    struct sluice_error err;
    /* --set made src a table: the sink reading it as a stream is refused. */
    const char *set[] = { "src.static=true" };
    assert_int_equal(load_with(text, set, 1, &g, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "input 'src' is a static table, read once: it is no stream to read");
    const char *set_false[] = { "src.static=FALSE" };
    assert_int_equal(load_with(text, set_false, 1, &g, &err), SLUICE_OK);
    assert_false(g->stages[0].is_static);
    sluice_graph_free(g);
    load_fails(RUNTIME
               "stages = (\n"
               "  { name = \"src\"; source = \"good\"; static = \"true\"; },\n"
               "  { name = \"out\"; input = \"src\"; sink = \"collect\"; }\n"
               ");\n",
               SLUICE_ECONFIG, 3, "expected true or false, got 'true'");
    assert_int_equal(load(RUNTIME
                          "stages = (\n"
                          "  { name = \"src\"; source = \"good\"; static = \"true\"; },\n"
                          "  { name = \"out\"; input = \"src\"; sink = \"collect\"; }\n"
                          ");\n",
                          &g, &err),
                     SLUICE_ECONFIG);
    assert_string_equal(err.hint, "drop the quotes: static = true;");
}

static void test_graph_duplicate_stage_name_names_both_lines(void **state)
{
    load_fails(RUNTIME
               "stages = (\n"
               "  { name = \"src\"; source = \"good\"; },\n"
               "  { name = \"out\"; input = \"src\"; sink = \"collect\"; },\n"
               "  { name = \"src\"; source = \"good\"; }\n"
               ");\n",
               SLUICE_ECONFIG, 5, "duplicate stage name 'src' (first defined at line 3)");
}

static void test_graph_unknown_input_suggests_a_stage(void **state)
{
    struct sluice_graph *g;
    struct sluice_error err;
    assert_int_equal(load(RUNTIME
                          "stages = (\n"
                          "  { name = \"tweets\"; source = \"good\"; },\n"
                          "  { name = \"out\"; input = \"tweetz\"; sink = \"collect\"; }\n"
                          ");\n",
                          &g, &err),
                     SLUICE_ECONFIG);
    assert_string_equal(err.message, "unknown input stage 'tweetz'");
    assert_string_equal(err.hint, "did you mean 'tweets'?");
    assert_string_equal(err.stage, "out");
    assert_string_equal(err.key, "input");
    assert_int_equal(err.line, 4);
}

static void test_graph_rejects_inputs_on_sources_and_missing_inputs(void **state)
{
    load_fails(RUNTIME
               "stages = (\n"
               "  { name = \"src\"; source = \"good\"; },\n"
               "  { name = \"src2\"; input = \"src\"; source = \"good\"; },\n"
               "  { name = \"out\"; input = \"src\"; sink = \"collect\"; }\n"
               ");\n",
               SLUICE_ECONFIG, 4, "a source stage takes no 'input'");
    load_fails(RUNTIME
               "stages = (\n"
               "  { name = \"src\"; source = \"good\"; },\n"
               "  { name = \"out\"; sink = \"collect\"; }\n"
               ");\n",
               SLUICE_ECONFIG, 4, "missing key 'input'");
    load_fails(RUNTIME
               "stages = (\n"
               "  { name = \"src\"; source = \"good\"; },\n"
               "  { name = \"out\"; input = \"src\"; sink = \"collect\"; },\n"
               "  { name = \"more\"; input = \"out\"; sink = \"collect\"; }\n"
               ");\n",
               SLUICE_ECONFIG, 5, "input 'out' is a sink stage, which has no output");
}

static void test_graph_needs_exactly_one_stage_kind(void **state)
{
    load_fails(RUNTIME
               "stages = (\n"
               "  { name = \"src\"; source = \"good\"; },\n"
               "  { name = \"odd\";\n"
               "    input = \"src\"; }\n"
               ");\n",
               SLUICE_ECONFIG, 4, "expected one of source, transform, sink or aggregate");
    load_fails(RUNTIME
               "stages = (\n"
               "  { name = \"src\"; source = \"good\";\n"
               "    sink = \"collect\"; }\n"
               ");\n",
               SLUICE_ECONFIG, 4, "both 'source' and 'sink' given");
}

static void test_graph_checks_the_keys_of_an_aggregate_stage_at_load(void **state)
{
    load_fails(RUNTIME
               "stages = (\n"
               "  { name = \"src\"; source = \"good\"; },\n"
               "  { name = \"by_lang\"; input = \"src\"; aggregate = [\"count(*)\"];\n"
               "    group_by = [\"data.lang AS lang\"]; rollup = [\"id\"]; },\n"
               "  { name = \"out\"; input = \"by_lang\"; sink = \"collect\"; }\n"
               ");\n",
               SLUICE_ECONFIG, 5, "both 'group_by' and 'rollup' given");
    load_fails(RUNTIME
               "stages = (\n"
               "  { name = \"src\"; source = \"good\"; },\n"
               "  { name = \"by_lang\"; input = \"src\"; aggregate = [];\n"
               "    group_by = [\"data.lang AS lang\"]; },\n"
               "  { name = \"out\"; input = \"by_lang\"; sink = \"collect\"; }\n"
               ");\n",
               SLUICE_ECONFIG, 4, "expected a non-empty list of strings such as [\"count(*) AS count\"], got an empty list");
    load_fails(RUNTIME
               "stages = (\n"
               "  { name = \"src\"; source = \"good\"; },\n"
               "  { name = \"by_lang\"; input = \"src\"; aggregate = [\"count(*)\"];\n"
               "    groupby = [\"data.lang\"]; },\n"
               "  { name = \"out\"; input = \"by_lang\"; sink = \"collect\"; }\n"
               ");\n",
               SLUICE_ECONFIG, 5, "unknown key 'groupby'");
}

static void test_graph_needs_a_sink(void **state)
{
    load_fails(RUNTIME "stages = ( { name = \"src\"; source = \"good\"; } );\n", SLUICE_ECONFIG, 2,
               "no sink stage: nothing would run");
    load_fails(RUNTIME "name = \"x\";\n", SLUICE_ECONFIG, 0, "missing key 'stages'");
}

static void test_graph_stage_names_stay_addressable_by_set(void **state)
{
    load_fails(RUNTIME "stages = ( { name = \"a.b\"; source = \"good\"; } );\n", SLUICE_ECONFIG, 2,
               "bad stage name 'a.b'");
}

static void test_graph_unknown_top_level_and_runtime_keys_get_suggestions(void **state)
{
    struct sluice_graph *g;
    struct sluice_error err;
    assert_int_equal(load(RUNTIME "stage = ();\n", &g, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "unknown key 'stage'");
    assert_string_equal(err.hint, "did you mean 'stages'?");
    assert_int_equal(err.line, 2);
    assert_int_equal(load("runtime = {\n  trigerr = \"once\"; };\n", &g, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "unknown key 'trigerr'");
    assert_string_equal(err.hint, "did you mean 'trigger'?");
    assert_string_equal(err.key, "runtime.trigerr");
    assert_int_equal(err.line, 2);
}

static void test_graph_validates_runtime_values(void **state)
{
    load_fails("runtime = {\n  trigger = \"soon\"; };\n", SLUICE_ECONFIG, 2,
               "expected a duration such as \"3 seconds\", \"once\" or \"available_now\", got 'soon'");
    load_fails("runtime = { trigger = 3; };\n", SLUICE_ECONFIG, 1,
               "expected a duration such as \"3 seconds\", \"once\" or \"available_now\", got 3");
    load_fails("runtime = { shuffle_partitions = 0; };\n", SLUICE_ECONFIG, 1,
               "expected a positive integer, got 0");
    load_fails("runtime = { threads = -2; };\n", SLUICE_ECONFIG, 1,
               "expected a positive integer, got -2");
    /* Issue 11: quoted numbers were taken as numbers. */
    load_fails("runtime = { threads = \"2\"; };\n", SLUICE_ECONFIG, 1,
               "expected a positive integer, got the string '2'");
    load_fails("runtime = { min_batches_to_retain = \"ten\"; };\n", SLUICE_ECONFIG, 1,
               "expected a positive integer, got the string 'ten'");
    load_fails("runtime = { plugin_path = (\"a\", 3); };\n", SLUICE_ECONFIG, 1,
               "expected a list of directory names such as [\"build/plugins\"], got a list");
}

static void test_graph_reads_runtime_settings_and_defaults(void **state)
{
    struct sluice_graph *g;
    struct sluice_error err;
    assert_int_equal(load("name = \"lab\";\n"
                          "runtime = { plugin_path = [\"" FIXTURES "\"]; trigger = \"3 seconds\";\n"
                          "  shuffle_partitions = 5; threads = 2; checkpoint = \"state/x\";\n"
                          "  http = \"127.0.0.1:4040\"; progress_log = \"p.log\"; };\n"
                          "stages = ( { name = \"src\"; source = \"good\"; },\n"
                          "  { name = \"out\"; input = \"src\"; sink = \"collect\"; } );\n",
                          &g, &err),
                     SLUICE_OK);
    assert_string_equal(g->name, "lab");
    assert_int_equal(g->runtime.trigger.kind, SLUICE_TRIGGER_INTERVAL);
    assert_int_equal(g->runtime.trigger.interval_us, 3000000);
    assert_string_equal(g->runtime.trigger_text, "3 seconds");
    assert_int_equal(g->runtime.shuffle_partitions, 5);
    assert_int_equal(g->runtime.threads, 2);
    assert_string_equal(g->runtime.checkpoint, "state/x");
    assert_string_equal(g->runtime.http, "127.0.0.1:4040");
    assert_string_equal(g->runtime.progress_log, "p.log");
    assert_int_equal(g->runtime.n_plugin_path, 1);
    sluice_graph_free(g);

    assert_int_equal(load(RUNTIME
                          "stages = ( { name = \"src\"; source = \"good\"; },\n"
                          "  { name = \"out\"; input = \"src\"; sink = \"collect\"; } );\n",
                          &g, &err),
                     SLUICE_OK);
    assert_int_equal(g->runtime.trigger.kind, SLUICE_TRIGGER_INTERVAL);
    assert_int_equal(g->runtime.trigger.interval_us, 0);
    assert_int_equal(g->runtime.shuffle_partitions, 8);
    assert_int_equal(g->runtime.threads, sysconf(_SC_NPROCESSORS_ONLN));
    assert_null(g->runtime.checkpoint);
    sluice_graph_free(g);
}

static void test_graph_applies_overrides_before_validating(void **state)
{
    const char *sets[] = { "runtime.trigger=once", "runtime.threads=3", "out.output_mode=update",
                           "src.schema=a LONG" };
    struct sluice_graph *g;
    struct sluice_error err;
    assert_int_equal(load_with(RUNTIME
                               "stages = ( { name = \"src\"; source = \"good\"; },\n"
                               "  { name = \"out\"; input = \"src\"; sink = \"collect\"; } );\n",
                               sets, 4, &g, &err),
                     SLUICE_OK);
    assert_int_equal(g->runtime.trigger.kind, SLUICE_TRIGGER_ONCE);
    assert_int_equal(g->runtime.threads, 3);
    assert_int_equal(stage(g, "out")->mode, SLUICE_MODE_UPDATE);
    assert_int_equal(sluice_graph_open(g, &err), SLUICE_OK);
    assert_string_equal(sluice_ctx_output_schema(&stage(g, "src")->ctx)->children[0]->name, "a");
    sluice_graph_free(g);

    const char *bad[] = { "srx.path=/data" };
    assert_int_equal(load_with(RUNTIME "stages = ( { name = \"src\"; source = \"good\"; } );\n", bad, 1,
                               &g, &err),
                     SLUICE_ECONFIG);
    assert_string_equal(err.message, "--set srx.path=/data: no stage named 'srx'");
    assert_string_equal(err.hint, "did you mean 'src'?");
}

/* ---- plugins and options --------------------------------------------------- */

static void test_graph_unknown_plugin_is_reported_at_its_key(void **state)
{
    struct sluice_graph *g;
    struct sluice_error err;
    assert_int_equal(load(RUNTIME
                          "stages = (\n"
                          "  { name = \"src\"; source = \"good\"; },\n"
                          "  { name = \"out\"; input = \"src\";\n"
                          "    sink = \"colect\"; }\n"
                          ");\n",
                          &g, &err),
                     SLUICE_ECONFIG);
    assert_string_equal(err.message, "unknown sink plugin 'colect'");
    assert_int_equal(err.line, 5);
    assert_string_equal(err.stage, "out");
    const char *prefix = "did you mean 'collect'? (searched: " FIXTURES;
    assert_memory_equal(err.hint, prefix, strlen(prefix));
}

static void test_graph_broken_plugin_is_a_plugin_error_at_its_key(void **state)
{
    load_fails(RUNTIME
               "stages = (\n"
               "  { name = \"src\"; source = \"abi1\"; },\n"
               "  { name = \"out\"; input = \"src\"; sink = \"collect\"; }\n"
               ");\n",
               SLUICE_EPLUGIN, 3,
               "plugin file '" FIXTURES "/sluice_source_abi1.so' was built for ABI 1; this sluice speaks ABI 2");
}

static void test_graph_checks_plugin_options(void **state)
{
    struct sluice_graph *g;
    struct sluice_error err;
    assert_int_equal(load(RUNTIME
                          "stages = (\n"
                          "  { name = \"src\"; source = \"good\"; },\n"
                          "  { name = \"p\"; input = \"src\"; transform = \"pick\";\n"
                          "    pas = [\"id\"]; },\n"
                          "  { name = \"out\"; input = \"p\"; sink = \"collect\"; }\n"
                          ");\n",
                          &g, &err),
                     SLUICE_ECONFIG);
    assert_string_equal(err.message, "unknown key 'pas'");
    assert_string_equal(err.hint, "did you mean 'pass'?");
    assert_int_equal(err.line, 5);
    assert_string_equal(err.stage, "p");
}

/* ---- output modes ----------------------------------------------------------- */

static void test_graph_output_mode_must_be_a_known_mode_on_a_sink(void **state)
{
    struct sluice_graph *g;
    struct sluice_error err;
    assert_int_equal(load(RUNTIME
                          "stages = (\n"
                          "  { name = \"src\"; source = \"good\"; },\n"
                          "  { name = \"out\"; input = \"src\"; sink = \"collect\"; output_mode = \"apend\"; }\n"
                          ");\n",
                          &g, &err),
                     SLUICE_ECONFIG);
    assert_string_equal(err.message, "expected \"append\", \"update\" or \"complete\", got 'apend'");
    assert_string_equal(err.hint, "did you mean 'append'?");
    assert_int_equal(err.line, 4);
    load_fails(RUNTIME
               "stages = (\n"
               "  { name = \"src\"; source = \"good\"; output_mode = \"append\"; },\n"
               "  { name = \"out\"; input = \"src\"; sink = \"collect\"; }\n"
               ");\n",
               SLUICE_ECONFIG, 3, "'output_mode' applies to sink stages only");
}

static void test_graph_complete_mode_without_aggregation_is_refused_as_spark_does(void **state)
{
    open_fails(RUNTIME
               "stages = (\n"
               "  { name = \"src\"; source = \"good\"; },\n"
               "  { name = \"out\"; input = \"src\"; sink = \"collect\";\n"
               "    output_mode = \"complete\"; }\n"
               ");\n",
               SLUICE_ECONFIG, 5,
               "Complete output mode not supported when there are no streaming aggregations on "
               "streaming DataFrames/Datasets");
}

static void test_graph_mode_the_sink_does_not_accept_is_refused_as_spark_does(void **state)
{
    open_fails(RUNTIME
               "stages = (\n"
               "  { name = \"src\"; source = \"good\"; },\n"
               "  { name = \"out\"; input = \"src\"; sink = \"appendonly\"; output_mode = \"update\"; }\n"
               ");\n",
               SLUICE_ECONFIG, 4, "Data source appendonly does not support Update output mode");
}

static void test_graph_update_mode_without_aggregation_is_allowed(void **state)
{
    struct sluice_graph *g = open_ok(RUNTIME
                                     "stages = (\n"
                                     "  { name = \"src\"; source = \"good\"; },\n"
                                     "  { name = \"out\"; input = \"src\"; sink = \"collect\"; output_mode = \"Update\"; }\n"
                                     ");\n");
    assert_int_equal(stage(g, "out")->mode, SLUICE_MODE_UPDATE);
    assert_true(g->opened);
    sluice_graph_free(g);
}

/* ---- watermarks ------------------------------------------------------------- */

static void test_graph_validates_the_shape_of_a_watermark(void **state)
{
    load_fails(RUNTIME
               "stages = (\n"
               "  { name = \"src\"; source = \"good\";\n"
               "    watermark = { column = \"data.created_at\"; }; },\n"
               "  { name = \"out\"; input = \"src\"; sink = \"collect\"; }\n"
               ");\n",
               SLUICE_ECONFIG, 4, "missing key 'delay'");
    load_fails(RUNTIME
               "stages = (\n"
               "  { name = \"src\"; source = \"good\";\n"
               "    watermark = { column = \"data.created_at\"; delay = \"5 parsecs\"; }; },\n"
               "  { name = \"out\"; input = \"src\"; sink = \"collect\"; }\n"
               ");\n",
               SLUICE_ECONFIG, 4, "expected a duration such as \"10 seconds\", got '5 parsecs'");
    load_fails(RUNTIME
               "stages = (\n"
               "  { name = \"src\"; source = \"good\";\n"
               "    watermark = { colum = \"data.created_at\"; delay = \"5s\"; }; },\n"
               "  { name = \"out\"; input = \"src\"; sink = \"collect\"; }\n"
               ");\n",
               SLUICE_ECONFIG, 4, "unknown key 'colum'");
    load_fails(RUNTIME
               "stages = (\n"
               "  { name = \"src\"; source = \"good\"; },\n"
               "  { name = \"out\"; input = \"src\"; sink = \"collect\";\n"
               "    watermark = { column = \"data.created_at\"; delay = \"5s\"; }; }\n"
               ");\n",
               SLUICE_ECONFIG, 5, "a sink stage cannot declare a 'watermark'");
    load_fails(RUNTIME
               "stages = (\n"
               "  { name = \"src\"; source = \"good\";\n"
               "    watermark = \"5s\"; },\n"
               "  { name = \"out\"; input = \"src\"; sink = \"collect\"; }\n"
               ");\n",
               SLUICE_ECONFIG, 4,
               "expected a group such as { column = \"data.created_at\"; delay = \"5 seconds\"; }, got '5s'");
}

static void test_graph_watermark_column_must_be_a_timestamp(void **state)
{
    open_fails(RUNTIME
               "stages = (\n"
               "  { name = \"src\"; source = \"good\"; " SCHEMA "\n"
               "    watermark = { column = \"data.lang\"; delay = \"5 seconds\"; }; },\n"
               "  { name = \"out\"; input = \"src\"; sink = \"collect\"; }\n"
               ");\n",
               SLUICE_ECONFIG, 4,
               "Event time must be defined on a window or a timestamp, but data.lang is of type string");
}

/* ---- opening -------------------------------------------------------------- */

static void test_graph_source_without_output_schema_is_a_plugin_error(void **state)
{
    open_fails(RUNTIME
               "stages = (\n"
               "  { name = \"src\"; source = \"good\"; declare = false; },\n"
               "  { name = \"out\"; input = \"src\"; sink = \"collect\"; }\n"
               ");\n",
               SLUICE_EPLUGIN, 3,
               "source plugin 'good' (" FIXTURES "/sluice_source_good.so) declared no output schema in open()");
}

static void test_graph_open_failure_keeps_the_plugin_message_and_names_the_stage(void **state)
{
    struct sluice_graph *g;
    struct sluice_error err;
    assert_int_equal(load(RUNTIME
                          "stages = (\n"
                          "  { name = \"src\"; source = \"good\"; },\n"
                          "  { name = \"p\"; input = \"src\"; transform = \"pick\"; pass = [\"nope\"]; },\n"
                          "  { name = \"out\"; input = \"p\"; sink = \"collect\"; }\n"
                          ");\n",
                          &g, &err),
                     SLUICE_OK);
    assert_int_equal(sluice_graph_open(g, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "no input column 'nope' to pass");
    assert_string_equal(err.stage, "p");
    assert_int_equal(err.line, 4);
    assert_true(stage(g, "src")->opened); /* closed by free, which ASan checks */
    assert_false(stage(g, "p")->opened);
    sluice_graph_free(g);
}

static void test_graph_unknown_column_read_by_a_stage_names_the_stage(void **state)
{
    struct sluice_graph *g;
    struct sluice_error err;
    assert_int_equal(load(RUNTIME
                          "stages = (\n"
                          "  { name = \"src\"; source = \"good\"; " SCHEMA " },\n"
                          "  { name = \"out\"; input = \"src\"; sink = \"collect\"; use = [\"data.lagn\"]; }\n"
                          ");\n",
                          &g, &err),
                     SLUICE_OK);
    assert_int_equal(sluice_graph_open(g, &err), SLUICE_ECONFIG);
    assert_non_null(strstr(err.message, "data.lagn"));
    assert_string_equal(err.hint, "did you mean 'data.lang'?");
    assert_string_equal(err.stage, "out");
    assert_int_equal(err.line, 4);
    sluice_graph_free(g);
}

static void test_graph_prepare_failure_names_the_source(void **state)
{
    open_fails(RUNTIME
               "stages = (\n"
               "  { name = \"src\"; source = \"good\"; fail_prepare = true; },\n"
               "  { name = \"out\"; input = \"src\"; sink = \"collect\"; }\n"
               ");\n",
               SLUICE_EIO, 3, "cannot prepare: told to fail");
}

/* ---- projections ---------------------------------------------------------- */

static void test_graph_projection_follows_reads_through_pass_through_columns(void **state)
{
    struct sluice_graph *g = open_ok(RUNTIME
                                     "stages = (\n"
                                     "  { name = \"src\"; source = \"good\"; " SCHEMA " },\n"
                                     "  { name = \"p\"; input = \"src\"; transform = \"pick\";\n"
                                     "    use = [\"data.lang\"]; pass = [\"id\", \"user\"]; },\n"
                                     "  { name = \"out\"; input = \"p\"; sink = \"collect\"; all = false;\n"
                                     "    use = [\"user.name\", \"computed\"]; }\n"
                                     ");\n");
    assert_string_equal(projection_text(g, "src"), "data.lang, user.name");
    assert_string_equal(projection_text(g, "p"), "user.name, computed");
    /* prepare() got the graph's projection (the fixture keeps the pointer first in its state). */
    const struct sluice_stage *src = stage(g, "src");
    assert_ptr_equal(*(const struct sluice_projection *const *)src->state, sluice_graph_projection(g, src));
    sluice_graph_free(g);
}

static void test_graph_projection_of_a_sink_reading_everything_keeps_passed_columns_whole(void **state)
{
    struct sluice_graph *g = open_ok(RUNTIME
                                     "stages = (\n"
                                     "  { name = \"src\"; source = \"good\"; " SCHEMA " },\n"
                                     "  { name = \"p\"; input = \"src\"; transform = \"pick\";\n"
                                     "    use = [\"data.lang\"]; pass = [\"id\", \"user\"]; },\n"
                                     "  { name = \"out\"; input = \"p\"; sink = \"collect\"; }\n"
                                     ");\n");
    assert_string_equal(projection_text(g, "src"), "data.lang, id, user");
    assert_string_equal(projection_text(g, "p"), "*");
    sluice_graph_free(g);
}

static void test_graph_projection_unions_readers_and_drops_covered_paths(void **state)
{
    struct sluice_graph *g = open_ok(RUNTIME
                                     "stages = (\n"
                                     "  { name = \"src\"; source = \"good\"; " SCHEMA "\n"
                                     "    watermark = { column = \"data.created_at\"; delay = \"5 seconds\"; }; },\n"
                                     "  { name = \"p\"; input = \"src\"; transform = \"pick\";\n"
                                     "    use = [\"user.age\", \"data.lang\", \"data.lang\"]; pass = [\"user\"]; compute = \"\"; },\n"
                                     "  { name = \"o1\"; input = \"p\"; sink = \"collect\"; all = false; use = [\"user.name\"]; },\n"
                                     "  { name = \"o2\"; input = \"src\"; sink = \"collect\"; all = false; use = [\"user\"]; },\n"
                                     "  { name = \"idle\"; input = \"src\"; transform = \"pick\"; all = true; }\n"
                                     ");\n");
    /* 'idle' reads everything but feeds no sink, so it asks for nothing. The
     * watermark column is read by the core. user.* fold into user. */
    assert_string_equal(projection_text(g, "src"), "user, data.lang, data.created_at");
    sluice_graph_free(g);
}

static void test_graph_projection_is_everything_when_a_sink_reads_the_source_directly(void **state)
{
    struct sluice_graph *g = open_ok(RUNTIME
                                     "stages = (\n"
                                     "  { name = \"src\"; source = \"good\"; " SCHEMA " },\n"
                                     "  { name = \"p\"; input = \"src\"; transform = \"pick\"; use = [\"id\"]; },\n"
                                     "  { name = \"o1\"; input = \"p\"; sink = \"collect\"; },\n"
                                     "  { name = \"o2\"; input = \"src\"; sink = \"collect\"; }\n"
                                     ");\n");
    const struct sluice_projection *p = sluice_graph_projection(g, stage(g, "src"));
    assert_true(p->all);
    assert_int_equal(p->n_paths, 0);
    sluice_graph_free(g);
}

/* ---- plans ---------------------------------------------------------------- */

static void test_graph_describe_prints_runtime_stages_schemas_and_columns(void **state)
{
    struct sluice_graph *g = open_ok("name = \"demo\";\n"
                                     "runtime = { plugin_path = [\"" FIXTURES "\"]; trigger = \"once\"; threads = 2; };\n"
                                     "stages = (\n"
                                     "  { name = \"src\"; source = \"good\"; schema = \"ts TIMESTAMP, data STRUCT<lang: STRING>\";\n"
                                     "    watermark = { column = \"ts\"; delay = \"1 minute\"; }; },\n"
                                     "  { name = \"out\"; input = \"src\"; sink = \"collect\"; all = false; use = [\"data.lang\"]; }\n"
                                     ");\n");
    struct sluice_buf out = { 0 };
    sluice_graph_describe(g, &out);
    char expect[4096];
    snprintf(expect, sizeof expect,
             "pipeline 'demo' (%s)\n"
             "runtime:\n"
             "  trigger:            once (one batch, then stop)\n"
             "  threads:            2\n"
             "  shuffle partitions: 8\n"
             "  time zone:          UTC (runtime.timezone)\n"
             "  checkpoint:         none (no recovery after a restart)\n"
             "  retries:            5, waiting 100 milliseconds doubling (for a plugin's SLUICE_EAGAIN)\n"
             "stages, in the order data flows:\n"
             "  src\n"
             "    source good (" FIXTURES "/sluice_source_good.so)\n"
             "    reads columns: data.lang, ts\n"
             "    watermark: ts, delay 1 minute\n"
             "    output schema:\n"
             "      root\n"
             "       |-- ts: timestamp (nullable = true)\n"
             "       |-- data: struct (nullable = true)\n"
             "       |    |-- lang: string (nullable = true)\n"
             "  out\n"
             "    sink collect (" FIXTURES "/sluice_sink_collect.so)\n"
             "    input: src\n"
             "    output mode: append\n",
             cfg_path);
    assert_string_equal(out.data, expect);
    sluice_buf_free(&out);
    sluice_graph_free(g);
}

/* runtime.group: keyed state is not shared among members yet, so a stage
 * that keeps one (an aggregation, drop_duplicates) is refused at load,
 * pointing at runtime.group. */
/* Members share an aggregation's state (through repartition and changelog
 * topics, graph_group.c), not drop_duplicates'. */
static void test_graph_group_refuses_keyed_state(void **state)
{
    char text[1024];
    snprintf(text, sizeof text,
             "runtime = { plugin_path = [\"" FIXTURES "\"]; trigger = \"1 second\";\n  group = \"g\"; };\n"
             "stages = (\n"
             "  { name = \"in\"; source = \"good\"; },\n"
             "  { name = \"k\"; input = \"in\"; transform = \"drop_duplicates\"; columns = [\"data.lang\"]; },\n"
             "  { name = \"out\"; input = \"k\"; sink = \"collect\"; }\n);\n");
    load_fails(text, SLUICE_ECONFIG, 2,
               "stage 'k' drops duplicates, and the members of a group share the keyed state of aggregations only");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_graph_orders_stages_topologically_keeping_config_order_otherwise),
        cmocka_unit_test(test_graph_reports_a_cycle_in_data_flow_order),
        cmocka_unit_test(test_graph_unions_join_their_sources_into_one_query),
        cmocka_unit_test(test_graph_core_booleans_take_set_words_but_not_quoted_file_words),
        cmocka_unit_test(test_graph_duplicate_stage_name_names_both_lines),
        cmocka_unit_test(test_graph_unknown_input_suggests_a_stage),
        cmocka_unit_test(test_graph_rejects_inputs_on_sources_and_missing_inputs),
        cmocka_unit_test(test_graph_needs_exactly_one_stage_kind),
        cmocka_unit_test(test_graph_checks_the_keys_of_an_aggregate_stage_at_load),
        cmocka_unit_test(test_graph_needs_a_sink),
        cmocka_unit_test(test_graph_stage_names_stay_addressable_by_set),
        cmocka_unit_test(test_graph_unknown_top_level_and_runtime_keys_get_suggestions),
        cmocka_unit_test(test_graph_validates_runtime_values),
        cmocka_unit_test(test_graph_reads_runtime_settings_and_defaults),
        cmocka_unit_test(test_graph_applies_overrides_before_validating),
        cmocka_unit_test(test_graph_unknown_plugin_is_reported_at_its_key),
        cmocka_unit_test(test_graph_broken_plugin_is_a_plugin_error_at_its_key),
        cmocka_unit_test(test_graph_checks_plugin_options),
        cmocka_unit_test(test_graph_output_mode_must_be_a_known_mode_on_a_sink),
        cmocka_unit_test(test_graph_complete_mode_without_aggregation_is_refused_as_spark_does),
        cmocka_unit_test(test_graph_mode_the_sink_does_not_accept_is_refused_as_spark_does),
        cmocka_unit_test(test_graph_update_mode_without_aggregation_is_allowed),
        cmocka_unit_test(test_graph_validates_the_shape_of_a_watermark),
        cmocka_unit_test(test_graph_watermark_column_must_be_a_timestamp),
        cmocka_unit_test(test_graph_source_without_output_schema_is_a_plugin_error),
        cmocka_unit_test(test_graph_open_failure_keeps_the_plugin_message_and_names_the_stage),
        cmocka_unit_test(test_graph_unknown_column_read_by_a_stage_names_the_stage),
        cmocka_unit_test(test_graph_prepare_failure_names_the_source),
        cmocka_unit_test(test_graph_projection_follows_reads_through_pass_through_columns),
        cmocka_unit_test(test_graph_projection_of_a_sink_reading_everything_keeps_passed_columns_whole),
        cmocka_unit_test(test_graph_projection_unions_readers_and_drops_covered_paths),
        cmocka_unit_test(test_graph_projection_is_everything_when_a_sink_reads_the_source_directly),
        cmocka_unit_test(test_graph_describe_prints_runtime_stages_schemas_and_columns),
        cmocka_unit_test(test_graph_group_refuses_keyed_state),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
