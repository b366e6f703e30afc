/* The `foreach` sink, loaded from its real .so and driven through the real
 * host table, running real shell commands: rows as JSON lines on stdin,
 * SLUICE_BATCH_ID, a run for every micro-batch even without rows, failures
 * with their status and stderr tail, retries fed the same rows, and
 * commands that ignore their input or flood stderr. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <libconfig.h>

#include "host.h"
#include "registry.h"
#include "options.h"
#include "schema.h"
#include "stage.h"

#define PLUGIN_SO SLUICE_TEST_BINARY_DIR "/plugins/sluice_sink_foreach.so"

struct fx {
    struct sluice_loaded loaded;
    const struct sluice_plugin *p;
    const struct sluice_host *h;
    config_t cfg;
    void *conf;
    struct sluice_options_storage storage;
    struct ArrowSchema schema;
    struct sluice_stage stage;
    void *state;
    struct sluice_error err;
    char dir[64];
};

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    if (sluice_registry_load_file(PLUGIN_SO, &fx->loaded, &fx->err)) fail_msg("loading %s: %s", PLUGIN_SO, fx->err.message);
    fx->p = fx->loaded.plugin;
    fx->h = sluice_host();
    if (sluice_schema_parse("lang STRING, n LONG", &fx->schema, &fx->err)) fail_msg("%s", fx->err.message);
    config_init(&fx->cfg);
    strcpy(fx->dir, "/tmp/sluice-foreach.XXXXXX");
    if (!mkdtemp(fx->dir)) fail_msg("mkdtemp");
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    if (fx->state) fx->p->close(fx->state);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", fx->dir);
    if (system(cmd) != 0) fail_msg("cleaning %s", fx->dir);
    sluice_ctx_free(&fx->stage.ctx);
    sluice_schema_release(&fx->schema);
    sluice_options_storage_free(&fx->storage);
    free(fx->conf);
    config_destroy(&fx->cfg);
    sluice_registry_unload(&fx->loaded);
    free(fx);
    return 0;
}

/* Open with `command` (every DIR in it replaced by the test's directory) and `extra` settings. */
static int open_sink(struct fx *fx, const char *command, const char *extra)
{
    char cmd[1024] = "", text[2048];
    for (const char *c = command; *c;) {
        if (strncmp(c, "DIR", 3) == 0) {
            strcat(cmd, fx->dir);
            c += 3;
        } else {
            strncat(cmd, c++, 1);
        }
    }
    snprintf(text, sizeof text, "stage = { name = \"out\"; input = \"in\"; sink = \"foreach\"; command = \"%s\"; %s };",
             cmd, extra ? extra : "");
    if (!config_read_string(&fx->cfg, text)) fail_msg("config: %s", config_error_text(&fx->cfg));
    fx->conf = calloc(1, fx->p->conf_size);
    static const char *const core_keys[] = { "name", "input", "sink", NULL };
    int rc = sluice_options_apply(fx->p, config_lookup(&fx->cfg, "stage"), core_keys, fx->conf, &fx->storage, &fx->err);
    if (rc) return rc;
    fx->stage.name = "out";
    fx->stage.kind = SLUICE_STAGE_SINK;
    fx->stage.plugin = fx->p;
    fx->stage.ctx.stage = &fx->stage;
    fx->stage.ctx.host = fx->h;
    fx->stage.ctx.input_schema = &fx->schema;
    return fx->p->open(fx->h, fx->conf, &fx->stage.ctx, &fx->state, &fx->err);
}

/* Write `n` rows ("l<i>", i) in batches of `per` rows. */
static void write_rows(struct fx *fx, int64_t n, int64_t per)
{
    struct sluice_builder *b = fx->h->builder_new(&fx->schema);
    for (int64_t i = 0; i < n; i++) {
        char lang[32];
        int len = snprintf(lang, sizeof lang, "l%lld", (long long)i);
        fx->h->append_struct(b);
        fx->h->append_string(fx->h->builder_child(b, 0), lang, (size_t)len);
        fx->h->append_long(fx->h->builder_child(b, 1), i);
        if ((i + 1) % per == 0 || i + 1 == n) {
            struct sluice_batch batch;
            fx->h->builder_finish(b, &batch);
            assert_int_equal(fx->p->write(fx->state, &batch, &fx->err), SLUICE_OK);
        }
    }
    fx->h->builder_free(b);
}

/* One micro-batch of n rows; returns end()'s status. */
static int micro_batch(struct fx *fx, int64_t id, int64_t n)
{
    assert_int_equal(fx->p->begin(fx->state, id, SLUICE_MODE_APPEND, &fx->err), SLUICE_OK);
    write_rows(fx, n, 2);
    return fx->p->end(fx->state, id, &fx->err);
}

static char *read_file(struct fx *fx, const char *name)
{
    static char buf[4096];
    char path[256];
    snprintf(path, sizeof path, "%s/%s", fx->dir, name);
    FILE *f = fopen(path, "r");
    if (!f) return strcpy(buf, "(missing)");
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void test_foreach_feeds_rows_as_json_lines_with_the_batch_id(void **state)
{
    struct fx *fx = *state;
    assert_int_equal(fx->p->modes, SLUICE_MODE_APPEND | SLUICE_MODE_UPDATE | SLUICE_MODE_COMPLETE);
    assert_int_equal(open_sink(fx, "cat > DIR/batch-$SLUICE_BATCH_ID.jsonl", NULL), SLUICE_OK);
    assert_true(fx->stage.ctx.use_all);
    assert_int_equal(micro_batch(fx, 7, 3), SLUICE_OK);
    assert_string_equal(read_file(fx, "batch-7.jsonl"), "{\"lang\":\"l0\",\"n\":0}\n"
                                                        "{\"lang\":\"l1\",\"n\":1}\n"
                                                        "{\"lang\":\"l2\",\"n\":2}\n");
}

static void test_foreach_runs_the_command_for_a_batch_without_rows(void **state)
{
    struct fx *fx = *state;
    assert_int_equal(open_sink(fx, "echo batch $SLUICE_BATCH_ID: $(wc -l) lines >> DIR/log", NULL), SLUICE_OK);
    assert_int_equal(micro_batch(fx, 0, 2), SLUICE_OK);
    assert_int_equal(micro_batch(fx, 1, 0), SLUICE_OK);
    assert_string_equal(read_file(fx, "log"), "batch 0: 2 lines\nbatch 1: 0 lines\n");
}

static void test_foreach_fails_the_batch_with_the_status_and_stderr_tail(void **state)
{
    struct fx *fx = *state;
    assert_int_equal(open_sink(fx, "cat > /dev/null; echo first >&2; echo boom >&2; exit 3", NULL), SLUICE_OK);
    assert_int_equal(micro_batch(fx, 4, 5), SLUICE_EIO);
    assert_string_equal(fx->err.message, "command failed with exit status 3 on batch 4: first | boom");
    assert_non_null(strstr(fx->err.hint, "/bin/sh -c 'cat > /dev/null;"));
}

static void test_foreach_reports_a_command_killed_by_a_signal(void **state)
{
    struct fx *fx = *state;
    assert_int_equal(open_sink(fx, "kill -9 $$", NULL), SLUICE_OK);
    assert_int_equal(micro_batch(fx, 0, 1), SLUICE_EIO);
    assert_string_equal(fx->err.message, "command failed with signal 9 on batch 0");
}

/* The command fails until its third run, and every run gets the same rows. */
#define FLAKY "n=$(cat DIR/n 2>/dev/null || echo 0); n=$((n+1)); echo $n > DIR/n; cat > DIR/got-$n; " \
              "[ $n -ge 3 ] || { echo attempt $n failed >&2; exit 1; }"

static void test_foreach_retries_with_the_same_rows(void **state)
{
    struct fx *fx = *state;
    assert_int_equal(open_sink(fx, FLAKY, "retries = 2;"), SLUICE_OK);
    assert_int_equal(micro_batch(fx, 0, 2), SLUICE_OK);
    assert_string_equal(read_file(fx, "n"), "3\n");
    char first[256];
    strcpy(first, read_file(fx, "got-1"));
    assert_string_equal(first, "{\"lang\":\"l0\",\"n\":0}\n{\"lang\":\"l1\",\"n\":1}\n");
    assert_string_equal(read_file(fx, "got-3"), first);
}

static void test_foreach_gives_up_after_its_retries(void **state)
{
    struct fx *fx = *state;
    assert_int_equal(open_sink(fx, FLAKY, "retries = 1;"), SLUICE_OK);
    assert_int_equal(micro_batch(fx, 5, 2), SLUICE_EIO);
    assert_string_equal(fx->err.message, "command failed with exit status 1 on batch 5 after 2 attempts: attempt 2 failed");
    assert_string_equal(read_file(fx, "n"), "2\n");
}

static void test_foreach_survives_a_command_that_reads_nothing_or_floods_stderr(void **state)
{
    struct fx *fx = *state;
    /* Megabytes of rows to a command that exits at once: no SIGPIPE death. */
    assert_int_equal(open_sink(fx, "exit 0", NULL), SLUICE_OK);
    assert_int_equal(micro_batch(fx, 0, 100000), SLUICE_OK);
    fx->p->close(fx->state);
    fx->state = NULL;
    config_destroy(&fx->cfg);
    config_init(&fx->cfg);
    sluice_options_storage_free(&fx->storage);
    memset(&fx->storage, 0, sizeof fx->storage);
    free(fx->conf);
    /* Much stderr while its stdin is still being written: no deadlock, a bounded tail. */
    assert_int_equal(open_sink(fx, "head -c 300000 /dev/zero | tr '\\\\0' x >&2; cat > /dev/null; echo end >&2; exit 2",
                               NULL),
                     SLUICE_OK);
    assert_int_equal(micro_batch(fx, 1, 100000), SLUICE_EIO);
    assert_true(strlen(fx->err.message) < sizeof fx->err.message - 1);
    const char *end = fx->err.message + strlen(fx->err.message) - 6; /* tr wrote no newline */
    assert_string_equal(end, "xxxend");
    assert_non_null(strstr(fx->err.message, "on batch 1: xxx"));
}

static void test_foreach_rejects_negative_retries(void **state)
{
    struct fx *fx = *state;
    assert_int_equal(open_sink(fx, "cat", "retries = -1;"), SLUICE_ECONFIG);
    assert_string_equal(fx->err.message, "must be at least 0, got -1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_foreach_feeds_rows_as_json_lines_with_the_batch_id, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreach_runs_the_command_for_a_batch_without_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreach_fails_the_batch_with_the_status_and_stderr_tail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreach_reports_a_command_killed_by_a_signal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreach_retries_with_the_same_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreach_gives_up_after_its_retries, setup, teardown),
        cmocka_unit_test_setup_teardown(test_foreach_survives_a_command_that_reads_nothing_or_floods_stderr, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_foreach_rejects_negative_retries, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
