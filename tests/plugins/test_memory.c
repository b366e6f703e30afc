/* The `memory` sink, loaded from its real .so and driven through the real
 * host table: micro-batches land in the process's memory tables (what
 * runtime.http serves), appended or replaced by mode, visible at end(),
 * replays skipped, one table per query_name, dropped at close. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libconfig.h>

#include "host.h"
#include "registry.h"
#include "options.h"
#include "render.h"
#include "schema.h"
#include "stage.h"
#include "tables.h"

#define PLUGIN_SO SLUICE_TEST_BINARY_DIR "/plugins/sluice_sink_memory.so"

/* ---- fixture: up to two sink stages over rows of (lang STRING, n LONG) ---- */

struct sink {
    config_t cfg;
    void *conf;
    struct sluice_options_storage storage;
    struct sluice_stage stage;
    void *state;
};

/* The registry the sinks under test write to (a graph's, in a run). */
static struct sluice_tables *tables;

struct fx {
    struct sluice_loaded loaded;
    const struct sluice_plugin *p;
    const struct sluice_host *h;
    struct ArrowSchema schema;
    struct sink sinks[2];
    struct sluice_error err;
};

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    if (sluice_registry_load_file(PLUGIN_SO, &fx->loaded, &fx->err)) fail_msg("loading %s: %s", PLUGIN_SO, fx->err.message);
    fx->p = fx->loaded.plugin;
    fx->h = sluice_host();
    if (sluice_schema_parse("lang STRING, n LONG", &fx->schema, &fx->err)) fail_msg("%s", fx->err.message);
    for (int i = 0; i < 2; i++) config_init(&fx->sinks[i].cfg);
    tables = sluice_tables_new();
    *state = fx;
    return 0;
}

static void close_sink(struct sink *s)
{
    if (s->state) s->stage.plugin->close(s->state);
    s->state = NULL;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    for (int i = 0; i < 2; i++) {
        struct sink *s = &fx->sinks[i];
        close_sink(s);
        sluice_ctx_free(&s->stage.ctx);
        sluice_options_storage_free(&s->storage);
        free(s->conf);
        config_destroy(&s->cfg);
    }
    sluice_schema_release(&fx->schema);
    sluice_tables_free(tables);
    tables = NULL;
    sluice_registry_unload(&fx->loaded);
    free(fx);
    return 0;
}

/* Open sink `i` with `options`; returns open()'s status. */
static int open_sink(struct fx *fx, int i, const char *options)
{
    struct sink *s = &fx->sinks[i];
    char text[512];
    snprintf(text, sizeof text, "stage = { name = \"out%d\"; input = \"in\"; sink = \"memory\"; %s };", i, options);
    if (!config_read_string(&s->cfg, text)) fail_msg("config: %s", config_error_text(&s->cfg));
    s->conf = calloc(1, fx->p->conf_size);
    static const char *const core_keys[] = { "name", "input", "sink", NULL };
    int rc = sluice_options_apply(fx->p, config_lookup(&s->cfg, "stage"), core_keys, s->conf, &s->storage, &fx->err);
    if (rc) return rc;
    s->stage.name = i ? "out1" : "out0";
    s->stage.kind = SLUICE_STAGE_SINK;
    s->stage.plugin = fx->p;
    s->stage.ctx.stage = &s->stage;
    s->stage.ctx.host = fx->h;
    s->stage.ctx.input_schema = &fx->schema;
    s->stage.ctx.tables = tables;
    rc = fx->p->open(fx->h, s->conf, &s->stage.ctx, &s->state, &fx->err);
    if (rc == SLUICE_OK) assert_true(s->stage.ctx.use_all);
    return rc;
}

/* One micro-batch of rows "lang:n" given as (lang, n) pairs, in one write per pair. */
static void micro_batch(struct fx *fx, int64_t id, enum sluice_output_mode mode, size_t n, const char *const *langs,
                        const int64_t *ns)
{
    void *st = fx->sinks[0].state;
    assert_int_equal(fx->p->begin(st, id, mode, &fx->err), SLUICE_OK);
    struct sluice_builder *b = fx->h->builder_new(&fx->schema);
    for (size_t i = 0; i < n; i++) {
        fx->h->append_struct(b);
        fx->h->append_string(fx->h->builder_child(b, 0), langs[i], strlen(langs[i]));
        fx->h->append_long(fx->h->builder_child(b, 1), ns[i]);
        struct sluice_batch batch;
        fx->h->builder_finish(b, &batch);
        assert_int_equal(fx->p->write(st, &batch, &fx->err), SLUICE_OK);
        assert_null(batch.array.release); /* the sink took it */
    }
    fx->h->builder_free(b);
    assert_int_equal(fx->p->end(st, id, &fx->err), SLUICE_OK);
}

/* The table's rows as JSON lines, or "(none)". */
static char *table_text(const char *name)
{
    static char buf[1024];
    struct sluice_table_snapshot *s = sluice_tables_get(tables, name);
    if (!s) return strcpy(buf, "(none)");
    struct sluice_buf out = { 0 };
    sluice_buf_puts(&out, "");
    const struct sluice_batch **v;
    size_t n = sluice_table_snapshot_batches(s, &v);
    for (size_t i = 0; i < n; i++)
        for (int64_t r = 0; r < sluice_batch_rows(v[i]); r++) {
            sluice_render_row_json(v[i], r, &out);
            sluice_buf_putc(&out, '\n');
        }
    free(v);
    sluice_table_snapshot_unref(s);
    snprintf(buf, sizeof buf, "%s", out.data);
    sluice_buf_free(&out);
    return buf;
}

#define LANGS(...) ((const char *const[]){ __VA_ARGS__ })
#define NS(...) ((const int64_t[]){ __VA_ARGS__ })

/* ---- tests ------------------------------------------------------------------ */

static void test_memory_accepts_append_and_complete_only(void **state)
{
    struct fx *fx = *state;
    assert_int_equal(fx->p->modes, SLUICE_MODE_APPEND | SLUICE_MODE_COMPLETE);
    assert_string_equal(fx->p->options[0].name, "query_name");
    assert_int_equal(fx->p->options[0].flags, SLUICE_OPT_REQUIRED);
}

static void test_memory_appends_micro_batches_visible_at_end(void **state)
{
    struct fx *fx = *state;
    assert_int_equal(open_sink(fx, 0, "query_name = \"stream_size\";"), SLUICE_OK);
    assert_string_equal(table_text("stream_size"), "");
    micro_batch(fx, 0, SLUICE_MODE_APPEND, 2, LANGS("en", "fr"), NS(1, 2));
    /* Between begin and end nothing of the new micro-batch shows. */
    void *st = fx->sinks[0].state;
    assert_int_equal(fx->p->begin(st, 1, SLUICE_MODE_APPEND, &fx->err), SLUICE_OK);
    struct sluice_builder *b = fx->h->builder_new(&fx->schema);
    fx->h->append_struct(b);
    fx->h->append_string(fx->h->builder_child(b, 0), "de", 2);
    fx->h->append_long(fx->h->builder_child(b, 1), 3);
    struct sluice_batch batch;
    fx->h->builder_finish(b, &batch);
    fx->h->builder_free(b);
    assert_int_equal(fx->p->write(st, &batch, &fx->err), SLUICE_OK);
    assert_string_equal(table_text("stream_size"), "{\"lang\":\"en\",\"n\":1}\n{\"lang\":\"fr\",\"n\":2}\n");
    assert_int_equal(fx->p->end(st, 1, &fx->err), SLUICE_OK);
    assert_string_equal(table_text("stream_size"),
                        "{\"lang\":\"en\",\"n\":1}\n{\"lang\":\"fr\",\"n\":2}\n{\"lang\":\"de\",\"n\":3}\n");
    close_sink(&fx->sinks[0]);
    assert_string_equal(table_text("stream_size"), "(none)");
}

static void test_memory_complete_mode_replaces_the_table(void **state)
{
    struct fx *fx = *state;
    assert_int_equal(open_sink(fx, 0, "query_name = \"lang_count\";"), SLUICE_OK);
    micro_batch(fx, 0, SLUICE_MODE_COMPLETE, 2, LANGS("en", "fr"), NS(1, 1));
    micro_batch(fx, 1, SLUICE_MODE_COMPLETE, 2, LANGS("en", "fr"), NS(3, 1));
    assert_string_equal(table_text("lang_count"), "{\"lang\":\"en\",\"n\":3}\n{\"lang\":\"fr\",\"n\":1}\n");
}

static void test_memory_skips_a_replayed_batch(void **state)
{
    struct fx *fx = *state;
    assert_int_equal(open_sink(fx, 0, "query_name = \"t\";"), SLUICE_OK);
    micro_batch(fx, 0, SLUICE_MODE_APPEND, 1, LANGS("en"), NS(1));
    micro_batch(fx, 1, SLUICE_MODE_APPEND, 1, LANGS("fr"), NS(2));
    micro_batch(fx, 1, SLUICE_MODE_APPEND, 1, LANGS("fr"), NS(2)); /* delivered again after a crash */
    micro_batch(fx, 2, SLUICE_MODE_APPEND, 1, LANGS("de"), NS(3));
    assert_string_equal(table_text("t"),
                        "{\"lang\":\"en\",\"n\":1}\n{\"lang\":\"fr\",\"n\":2}\n{\"lang\":\"de\",\"n\":3}\n");
}

static void test_memory_refuses_a_query_name_already_taken(void **state)
{
    struct fx *fx = *state;
    assert_int_equal(open_sink(fx, 0, "query_name = \"counts\";"), SLUICE_OK);
    assert_int_equal(open_sink(fx, 1, "query_name = \"Counts\";"), SLUICE_ECONFIG);
    assert_string_equal(fx->err.message, "memory table 'Counts' already exists (as 'counts')");
}

static void test_memory_refuses_a_query_name_unfit_for_urls(void **state)
{
    struct fx *fx = *state;
    assert_int_equal(open_sink(fx, 0, "query_name = \"a/b\";"), SLUICE_ECONFIG);
    assert_string_equal(fx->err.message, "query_name 'a/b' has a '/'");
    assert_null(sluice_tables_get(tables, "a/b"));
}

static void test_memory_requires_query_name(void **state)
{
    struct fx *fx = *state;
    assert_int_equal(open_sink(fx, 0, ""), SLUICE_ECONFIG);
    assert_non_null(strstr(fx->err.message, "query_name"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_memory_accepts_append_and_complete_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_appends_micro_batches_visible_at_end, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_complete_mode_replaces_the_table, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_skips_a_replayed_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_refuses_a_query_name_already_taken, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_refuses_a_query_name_unfit_for_urls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_memory_requires_query_name, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
