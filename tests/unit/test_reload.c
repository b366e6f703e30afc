/* Reloads (core/runtime/engine/reload.c): which changes a running pipeline
 * accepts and which it refuses, naming why; a request that is refused
 * leaves nothing behind, one that is accepted stops the run and hands the
 * new graph over once. Graphs are loaded, not opened, with the fixture
 * plugins of tests/fixtures/plugins. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "error.h"
#include "graph.h"
#include "log.h"
#include "reload.h"
#include "stop.h"
#include "tmpdir_testutil.h"

#define FIXTURES SLUICE_TEST_BINARY_DIR "/test-plugins"

/* A pipeline with a checkpoint, a filter and an aggregate stage; each
 * argument replaces one part. */
static const char *pipeline(const char *name, const char *runtime, const char *condition, const char *group_by,
                            const char *extra)
{
    static char text[2048];
    snprintf(text, sizeof text,
             "runtime = { plugin_path = [\"" FIXTURES "\"]; %s };\n"
             "stages = (\n"
             "  { name = \"src\"; source = \"good\"; },\n"
             "  { name = \"kept\"; input = \"src\"; transform = \"pick\"; compute = \"%s\"; },\n"
             "  { name = \"by_lang\"; input = \"kept\"; group_by = %s; aggregate = [\"count(*) AS n\"]; },\n"
             "  { name = \"out\"; input = \"by_lang\"; sink = \"collect\"; output_mode = \"update\"; }%s\n"
             ");\n",
             runtime, condition, group_by, extra);
    /* write_file's path is one static buffer: keep a few apart. */
    static char paths[4][512];
    static int next;
    char *path = paths[next++ % 4];
    snprintf(path, sizeof paths[0], "%s", write_file(name, text));
    return path;
}

static struct sluice_graph *load(const char *path)
{
    struct sluice_graph *g = NULL;
    struct sluice_error err = { 0 };
    if (sluice_graph_load(path, NULL, 0, &g, &err)) fail_msg("%s: %s", path, err.message);
    return g;
}

#define CKPT "checkpoint = \"ckpt\";"

/* The error of checking `next` against `now`, "" when accepted. */
static const char *check(const char *now_text_path, const char *next_path)
{
    static struct sluice_error err;
    memset(&err, 0, sizeof err);
    struct sluice_graph *now = load(now_text_path), *next = load(next_path);
    int rc = sluice_reload_check(now, next, &err);
    sluice_graph_free(now);
    sluice_graph_free(next);
    if (rc) assert_int_equal(rc, SLUICE_ECONFIG);
    return rc ? err.message : "";
}

static void test_reload_accepts_stateless_changes(void **state)
{
    const char *now = pipeline("now.conf", CKPT, "id", "[\"data.lang\"]", "");
    /* Another transform option, the trigger, a new sink. */
    const char *next = pipeline("next.conf", CKPT " trigger = \"5 seconds\";", "data", "[\"data.lang\"]",
                                ",\n  { name = \"more\"; input = \"kept\"; sink = \"collect\"; }");
    assert_string_equal(check(now, next), "");
    /* Re-indenting an expression is not a change. */
    next = pipeline("next.conf", CKPT, "id", "[\"data.lang  \"]", "");
    assert_string_equal(check(now, next), "");
}

static void test_reload_refuses_what_invalidates_the_state_naming_each_change(void **state)
{
    const char *now = pipeline("now.conf", CKPT, "id", "[\"data.lang\"]", "");
    const char *next = pipeline("next.conf", CKPT " shuffle_partitions = 3;", "id", "[\"data.lang\", \"id\"]", "");
    assert_string_equal(check(now, next),
                        "reload refused: the change would invalidate the saved state: runtime.shuffle_partitions "
                        "changed from 8 to 3; by_lang.group_by changed from [\"data.lang\"] to [\"data.lang\",\"id\"]");
}

static void test_reload_refuses_without_a_checkpoint_or_a_moved_one(void **state)
{
    const char *now = pipeline("now.conf", "", "id", "[\"data.lang\"]", "");
    assert_string_equal(check(now, now), "reload refused: the pipeline has no runtime.checkpoint, and a reload "
                                         "continues from it (without one it would start over)");
    now = pipeline("now.conf", CKPT, "id", "[\"data.lang\"]", "");
    const char *next = pipeline("next.conf", "checkpoint = \"elsewhere\";", "id", "[\"data.lang\"]", "");
    assert_string_equal(check(now, next), "reload refused: runtime.checkpoint changed from \"ckpt\" to \"elsewhere\"");
    next = pipeline("next.conf", CKPT " http = \"127.0.0.1:0\";", "id", "[\"data.lang\"]", "");
    assert_string_equal(check(now, next), "reload refused: runtime.http changed from \"none\" to \"127.0.0.1:0\"");
}

static void test_reload_refuses_a_second_source_which_moves_the_checkpoint(void **state)
{
    const char *now = pipeline("now.conf", CKPT, "id", "[\"data.lang\"]", "");
    const char *next = pipeline("next.conf", CKPT, "id", "[\"data.lang\"]",
                                ",\n  { name = \"src2\"; source = \"good\"; },\n"
                                "  { name = \"out2\"; input = \"src2\"; sink = \"collect\"; }");
    assert_string_equal(check(now, next), "reload refused: the pipeline goes from 1 to 2 queries, which lays its "
                                          "checkpoint out differently");
}

static void test_reload_request_stops_the_run_once_and_hands_the_graph_over(void **state)
{
    const char *path = pipeline("live.conf", CKPT, "id", "[\"data.lang\"]", "");
    struct sluice_stop *stop = sluice_stop_new();
    struct sluice_reload *r = sluice_reload_new(path, NULL, 0, stop);
    struct sluice_error err = { 0 };
    /* Nothing running yet: refused. */
    assert_int_equal(sluice_reload_request(r, &err), SLUICE_ECONFIG);
    assert_false(sluice_stop_requested(stop));

    struct sluice_graph *running = load(path);
    sluice_reload_set_running(r, running);
    /* A change that is refused stops nothing and leaves nothing to take. */
    pipeline("live.conf", CKPT, "id", "[\"id\"]", "");
    memset(&err, 0, sizeof err);
    assert_int_equal(sluice_reload_request(r, &err), SLUICE_ECONFIG);
    assert_false(sluice_stop_requested(stop));
    assert_null(sluice_reload_take(r));
    /* A config that does not load says where. */
    write_file("live.conf", "stages = ( { name = \"x\" ;\n");
    memset(&err, 0, sizeof err);
    assert_int_equal(sluice_reload_request(r, &err), SLUICE_ECONFIG);
    assert_string_equal(err.file, path);
    assert_int_equal(err.line, 2);
    /* An accepted one asks the run to stop and is taken once. */
    pipeline("live.conf", CKPT, "data", "[\"data.lang\"]", "");
    memset(&err, 0, sizeof err);
    assert_int_equal(sluice_reload_request(r, &err), SLUICE_OK);
    assert_true(sluice_stop_requested(stop));
    sluice_reload_set_running(r, NULL);
    struct sluice_graph *next = sluice_reload_take(r);
    assert_non_null(next);
    assert_null(sluice_reload_take(r));
    sluice_stop_clear(stop);
    assert_false(sluice_stop_requested(stop));

    sluice_graph_free(next);
    sluice_graph_free(running);
    sluice_reload_free(r);
    sluice_stop_free(stop);
}

int main(void)
{
    sluice_log_set_level(SLUICE_LOG_ERROR);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reload_accepts_stateless_changes),
        cmocka_unit_test(test_reload_refuses_what_invalidates_the_state_naming_each_change),
        cmocka_unit_test(test_reload_refuses_without_a_checkpoint_or_a_moved_one),
        cmocka_unit_test(test_reload_refuses_a_second_source_which_moves_the_checkpoint),
        cmocka_unit_test(test_reload_request_stops_the_run_once_and_hands_the_graph_over),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
