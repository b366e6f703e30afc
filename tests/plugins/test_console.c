/* The `console` sink, loaded from its real .so and driven through the real
 * host table; stdout is captured in a temporary file and compared byte for
 * byte with what Spark's console sink prints. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdio_ext.h>
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

#define PLUGIN_SO SLUICE_TEST_BINARY_DIR "/plugins/sluice_sink_console.so"

/* ---- fixture ------------------------------------------------------------ */

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
    int saved_stdout; /* -1 when not capturing */
    FILE *capture;
};

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    int rc = sluice_registry_load_file(PLUGIN_SO, &fx->loaded, &fx->err);
    if (rc) fail_msg("loading %s: %s", PLUGIN_SO, fx->err.message);
    fx->p = fx->loaded.plugin;
    fx->h = sluice_host();
    fx->saved_stdout = -1;
    config_init(&fx->cfg);
    *state = fx;
    return 0;
}

static char *capture_stop(struct fx *fx)
{
    fflush(stdout);
    dup2(fx->saved_stdout, STDOUT_FILENO);
    close(fx->saved_stdout);
    fx->saved_stdout = -1;
    long n = ftell(fx->capture);
    char *text = calloc(1, (size_t)n + 1);
    rewind(fx->capture);
    assert_int_equal(fread(text, 1, (size_t)n, fx->capture), (size_t)n);
    fclose(fx->capture);
    fx->capture = NULL;
    return text;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    if (fx->saved_stdout >= 0) free(capture_stop(fx));
    if (fx->state) fx->p->close(fx->state);
    sluice_ctx_free(&fx->stage.ctx);
    sluice_schema_release(&fx->schema);
    sluice_options_storage_free(&fx->storage);
    free(fx->conf);
    config_destroy(&fx->cfg);
    sluice_registry_unload(&fx->loaded);
    free(fx);
    return 0;
}

/* Open the sink on rows of `ddl` with `extra` settings. */
static void open_sink(struct fx *fx, const char *ddl, const char *extra)
{
    if (ddl[0]) {
        int rc = sluice_schema_parse(ddl, &fx->schema, &fx->err);
        if (rc) fail_msg("schema: %s", fx->err.message);
    } else {
        sluice_schema_init(&fx->schema, SLUICE_FORMAT_STRUCT, "", false, 0);
    }
    char text[1024];
    snprintf(text, sizeof text, "stage = { name = \"out\"; input = \"in\"; sink = \"console\"; %s };",
             extra ? extra : "");
    if (!config_read_string(&fx->cfg, text)) fail_msg("config: %s", config_error_text(&fx->cfg));
    fx->conf = calloc(1, fx->p->conf_size);
    static const char *const core_keys[] = { "name", "input", "sink", NULL };
    int rc = sluice_options_apply(fx->p, config_lookup(&fx->cfg, "stage"), core_keys, fx->conf,
                                  &fx->storage, &fx->err);
    if (rc) fail_msg("options: %s", fx->err.message);
    fx->stage.name = "out";
    fx->stage.kind = SLUICE_STAGE_SINK;
    fx->stage.plugin = fx->p;
    fx->stage.ctx.stage = &fx->stage;
    fx->stage.ctx.host = fx->h;
    fx->stage.ctx.input_schema = &fx->schema;
    rc = fx->p->open(fx->h, fx->conf, &fx->stage.ctx, &fx->state, &fx->err);
    if (rc) fail_msg("open: %s", fx->err.message);
    assert_true(fx->stage.ctx.use_all);
}

static void capture_start(struct fx *fx)
{
    fflush(stdout);
    fx->capture = tmpfile();
    assert_non_null(fx->capture);
    fx->saved_stdout = dup(STDOUT_FILENO);
    dup2(fileno(fx->capture), STDOUT_FILENO);
}

/* ---- building batches --------------------------------------------------- */

struct rows {
    struct sluice_builder *b;
    const struct sluice_host *h;
};

static struct rows rows_new(struct fx *fx)
{
    return (struct rows){ fx->h->builder_new(&fx->schema), fx->h };
}

/* One row of (string, long) columns; NULL / INT64_MIN stand for null. */
static void row_sl(struct rows *r, const char *s, int64_t v)
{
    r->h->append_struct(r->b);
    struct sluice_builder *c0 = r->h->builder_child(r->b, 0), *c1 = r->h->builder_child(r->b, 1);
    if (s) r->h->append_string(c0, s, strlen(s));
    else r->h->append_null(c0);
    if (v != INT64_MIN) r->h->append_long(c1, v);
    else r->h->append_null(c1);
}

/* Hand the rows built so far to write(). */
static void write_rows(struct fx *fx, struct rows *r)
{
    struct sluice_batch batch;
    fx->h->builder_finish(r->b, &batch);
    int rc = fx->p->write(fx->state, &batch, &fx->err);
    if (rc) fail_msg("write: %s", fx->err.message);
}

static void rows_free(struct rows *r)
{
    r->h->builder_free(r->b);
}

static void begin(struct fx *fx, int64_t id)
{
    int rc = fx->p->begin(fx->state, id, SLUICE_MODE_COMPLETE, &fx->err);
    if (rc) fail_msg("begin: %s", fx->err.message);
}

static void end(struct fx *fx, int64_t id)
{
    int rc = fx->p->end(fx->state, id, &fx->err);
    if (rc) fail_msg("end: %s", fx->err.message);
}

#define BANNER(n) \
    "-------------------------------------------\nBatch: " n "\n-------------------------------------------\n"

/* ---- table -------------------------------------------------------------- */

static void test_console_prints_a_batch_as_spark_does(void **state)
{
    struct fx *fx = *state;
    open_sink(fx, "lang STRING, count LONG", NULL);
    capture_start(fx);
    begin(fx, 0);
    struct rows r = rows_new(fx);
    row_sl(&r, "en", 10);
    write_rows(fx, &r);
    end(fx, 0);
    char *out = capture_stop(fx);
    assert_string_equal(out, BANNER("0")
                             "+----+-----+\n"
                             "|lang|count|\n"
                             "+----+-----+\n"
                             "|  en|   10|\n"
                             "+----+-----+\n"
                             "\n");
    free(out);
    rows_free(&r);
}

static void test_console_shows_num_rows_and_says_when_there_were_more(void **state)
{
    struct fx *fx = *state;
    open_sink(fx, "lang STRING, count LONG", "num_rows = 2;");
    capture_start(fx);
    begin(fx, 4);
    struct rows r = rows_new(fx);
    row_sl(&r, "en", 1);
    write_rows(fx, &r);
    row_sl(&r, "fr", 22);
    row_sl(&r, "a_long_language_name_that_is_hidden", 333333);
    write_rows(fx, &r);
    end(fx, 4);
    char *out = capture_stop(fx);
    /* The third row is not shown, so it does not widen the column. */
    assert_string_equal(out, BANNER("4")
                             "+----+-----+\n"
                             "|lang|count|\n"
                             "+----+-----+\n"
                             "|  en|    1|\n"
                             "|  fr|   22|\n"
                             "+----+-----+\n"
                             "only showing top 2 rows\n"
                             "\n");
    free(out);
    rows_free(&r);
}

static void test_console_says_row_in_the_singular_for_one_row(void **state)
{
    struct fx *fx = *state;
    open_sink(fx, "a STRING, b LONG", "num_rows = 1;");
    capture_start(fx);
    begin(fx, 0);
    struct rows r = rows_new(fx);
    row_sl(&r, "x", 1);
    row_sl(&r, "y", 2);
    write_rows(fx, &r);
    end(fx, 0);
    char *out = capture_stop(fx);
    assert_string_equal(out, BANNER("0")
                             "+---+---+\n"
                             "|  a|  b|\n"
                             "+---+---+\n"
                             "|  x|  1|\n"
                             "+---+---+\n"
                             "only showing top 1 row\n"
                             "\n");
    free(out);
    rows_free(&r);
}

static void test_console_truncates_long_cells_and_prints_nulls(void **state)
{
    struct fx *fx = *state;
    open_sink(fx, "text STRING, n LONG", NULL);
    capture_start(fx);
    begin(fx, 1);
    struct rows r = rows_new(fx);
    row_sl(&r, "abcdefghijklmnopqrstuvwxyz", -5);
    row_sl(&r, NULL, INT64_MIN);
    row_sl(&r, "exactly twenty chars", 1234567890123);
    write_rows(fx, &r);
    end(fx, 1);
    char *out = capture_stop(fx);
    assert_string_equal(out, BANNER("1")
                             "+--------------------+-------------+\n"
                             "|                text|            n|\n"
                             "+--------------------+-------------+\n"
                             "|abcdefghijklmnopq...|           -5|\n"
                             "|                null|         null|\n"
                             "|exactly twenty chars|1234567890123|\n"
                             "+--------------------+-------------+\n"
                             "\n");
    free(out);
    rows_free(&r);
}

static void test_console_aligns_left_and_keeps_whole_cells_without_truncate(void **state)
{
    struct fx *fx = *state;
    open_sink(fx, "text STRING, n LONG", "truncate = false;");
    capture_start(fx);
    begin(fx, 0);
    struct rows r = rows_new(fx);
    row_sl(&r, "abcdefghijklmnopqrstuvwxyz", 7);
    row_sl(&r, "ab", 12345);
    write_rows(fx, &r);
    end(fx, 0);
    char *out = capture_stop(fx);
    assert_string_equal(out, BANNER("0")
                             "+--------------------------+-----+\n"
                             "|text                      |n    |\n"
                             "+--------------------------+-----+\n"
                             "|abcdefghijklmnopqrstuvwxyz|7    |\n"
                             "|ab                        |12345|\n"
                             "+--------------------------+-----+\n"
                             "\n");
    free(out);
    rows_free(&r);
}

static void test_console_counts_full_width_characters_as_two_columns(void **state)
{
    struct fx *fx = *state;
    open_sink(fx, "t STRING, n LONG", NULL);
    capture_start(fx);
    begin(fx, 0);
    struct rows r = rows_new(fx);
    row_sl(&r, "日本語", 1);   /* three full-width characters: six columns */
    row_sl(&r, "été", 2);      /* accents are one column each */
    row_sl(&r, "한국", 3);
    write_rows(fx, &r);
    end(fx, 0);
    char *out = capture_stop(fx);
    assert_string_equal(out, BANNER("0")
                             "+------+---+\n"
                             "|     t|  n|\n"
                             "+------+---+\n"
                             "|日本語|  1|\n"
                             "|   été|  2|\n"
                             "|  한국|  3|\n"
                             "+------+---+\n"
                             "\n");
    free(out);
    rows_free(&r);
}

static void test_console_escapes_control_characters_and_cuts_on_utf16_units(void **state)
{
    struct fx *fx = *state;
    open_sink(fx, "t STRING, n LONG", NULL);
    capture_start(fx);
    begin(fx, 0);
    struct rows r = rows_new(fx);
    row_sl(&r, "a\nb\tc", 1);
    /* 16 letters, then an emoji (two UTF-16 units): the cut at 17 units
     * splits it, and Java prints the lone half as '?'. */
    row_sl(&r, "aaaaaaaaaaaaaaaa\xF0\x9F\x98\x80" "bbbbb", 2);
    row_sl(&r, "\xF0\x9F\x98\x80", 3); /* one emoji: two columns */
    write_rows(fx, &r);
    end(fx, 0);
    char *out = capture_stop(fx);
    assert_string_equal(out, BANNER("0")
                             "+--------------------+---+\n"
                             "|                   t|  n|\n"
                             "+--------------------+---+\n"
                             "|             a\\nb\\tc|  1|\n"
                             "|aaaaaaaaaaaaaaaa?...|  2|\n"
                             "|                  \xF0\x9F\x98\x80|  3|\n"
                             "+--------------------+---+\n"
                             "\n");
    free(out);
    rows_free(&r);
}

static void test_console_prints_headers_alone_for_an_empty_batch(void **state)
{
    struct fx *fx = *state;
    open_sink(fx, "lang STRING, count LONG", NULL);
    capture_start(fx);
    begin(fx, 2);
    end(fx, 2);
    char *out = capture_stop(fx);
    assert_string_equal(out, BANNER("2")
                             "+----+-----+\n"
                             "|lang|count|\n"
                             "+----+-----+\n"
                             "+----+-----+\n"
                             "\n");
    free(out);
}

static void test_console_prints_an_empty_schema_as_spark_does(void **state)
{
    struct fx *fx = *state;
    open_sink(fx, "", NULL);
    struct sluice_builder *b = fx->h->builder_new(&fx->schema);
    fx->h->append_struct(b);
    fx->h->append_struct(b);
    struct sluice_batch batch;
    fx->h->builder_finish(b, &batch);
    capture_start(fx);
    begin(fx, 0);
    assert_int_equal(fx->p->write(fx->state, &batch, &fx->err), SLUICE_OK);
    end(fx, 0);
    char *out = capture_stop(fx);
    assert_string_equal(out, BANNER("0") "++\n||\n++\n||\n||\n++\n\n");
    free(out);
    fx->h->builder_free(b);
}

static void test_console_starts_each_batch_afresh(void **state)
{
    struct fx *fx = *state;
    open_sink(fx, "lang STRING, count LONG", NULL);
    capture_start(fx);
    struct rows r = rows_new(fx);
    begin(fx, 0);
    row_sl(&r, "english", 10);
    write_rows(fx, &r);
    end(fx, 0);
    begin(fx, 1);
    row_sl(&r, "fr", 3);
    write_rows(fx, &r);
    end(fx, 1);
    char *out = capture_stop(fx);
    assert_string_equal(out, BANNER("0")
                             "+-------+-----+\n"
                             "|   lang|count|\n"
                             "+-------+-----+\n"
                             "|english|   10|\n"
                             "+-------+-----+\n"
                             "\n" BANNER("1")
                             "+----+-----+\n"
                             "|lang|count|\n"
                             "+----+-----+\n"
                             "|  fr|    3|\n"
                             "+----+-----+\n"
                             "\n");
    free(out);
    rows_free(&r);
}

/* ---- jsonl -------------------------------------------------------------- */

static void test_console_jsonl_prints_every_row_with_its_batch_id(void **state)
{
    struct fx *fx = *state;
    open_sink(fx, "lang STRING, count LONG", "format = \"jsonl\"; num_rows = 1;");
    capture_start(fx);
    begin(fx, 7);
    struct rows r = rows_new(fx);
    row_sl(&r, "en", 10);
    row_sl(&r, NULL, 2);
    write_rows(fx, &r);
    row_sl(&r, "fr", INT64_MIN);
    write_rows(fx, &r);
    end(fx, 7);
    char *out = capture_stop(fx);
    assert_string_equal(out, "{\"batch_id\":7,\"row\":{\"lang\":\"en\",\"count\":10}}\n"
                             "{\"batch_id\":7,\"row\":{\"lang\":null,\"count\":2}}\n"
                             "{\"batch_id\":7,\"row\":{\"lang\":\"fr\",\"count\":null}}\n");
    free(out);
    rows_free(&r);
}

/* ---- errors ------------------------------------------------------------- */

static void test_console_reports_a_failed_write_as_an_io_error(void **state)
{
    struct fx *fx = *state;
    open_sink(fx, "lang STRING, count LONG", NULL);
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    int full = open("/dev/full", O_WRONLY);
    assert_true(full >= 0);
    dup2(full, STDOUT_FILENO);
    close(full);
    begin(fx, 0);
    struct rows r = rows_new(fx);
    row_sl(&r, "en", 10);
    write_rows(fx, &r);
    int rc = fx->p->end(fx->state, 0, &fx->err);
    __fpurge(stdout); /* drop what could not be written */
    clearerr(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
    assert_int_equal(rc, SLUICE_EIO);
    assert_string_equal(fx->err.message, "cannot write to standard output: No space left on device");
    rows_free(&r);
}

static void test_console_accepts_every_output_mode(void **state)
{
    struct fx *fx = *state;
    assert_int_equal(fx->p->modes, SLUICE_MODE_APPEND | SLUICE_MODE_UPDATE | SLUICE_MODE_COMPLETE);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_console_prints_a_batch_as_spark_does),
        T(test_console_shows_num_rows_and_says_when_there_were_more),
        T(test_console_says_row_in_the_singular_for_one_row),
        T(test_console_truncates_long_cells_and_prints_nulls),
        T(test_console_aligns_left_and_keeps_whole_cells_without_truncate),
        T(test_console_counts_full_width_characters_as_two_columns),
        T(test_console_escapes_control_characters_and_cuts_on_utf16_units),
        T(test_console_prints_headers_alone_for_an_empty_batch),
        T(test_console_prints_an_empty_schema_as_spark_does),
        T(test_console_starts_each_batch_afresh),
        T(test_console_jsonl_prints_every_row_with_its_batch_id),
        T(test_console_reports_a_failed_write_as_an_io_error),
        T(test_console_accepts_every_output_mode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
