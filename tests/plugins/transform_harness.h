/* A transform plugin loaded from its real .so and driven through the real
 * host table, as the engine drives it: options applied from libconfig text
 * by the core's option code, a stage context set up by hand, input batches
 * decoded from JSON lines, output batches rendered as JSON lines.
 *
 * Shared by tests/plugins/test_{select,with_column,filter,drop_nulls,explode}.c.
 * Every function fails the running cmocka test on a harness problem
 * (plugin missing, bad schema, bad JSON); the plugin's own answers come back
 * as status codes to check. */
#ifndef SLUICE_TEST_TRANSFORM_HARNESS_H
#define SLUICE_TEST_TRANSFORM_HARNESS_H

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

struct tx {
    struct sluice_loaded loaded;
    const struct sluice_plugin *p;
    config_t cfg;
    void *conf;
    struct sluice_options_storage storage;
    struct ArrowSchema in_schema;
    struct sluice_stage stage;
    void *state;
    struct sluice_decoder *dec;
    struct sluice_error err;
};

static inline int tx_setup(void **state)
{
    struct tx *t = calloc(1, sizeof *t);
    config_init(&t->cfg);
    *state = t;
    return 0;
}

static inline int tx_teardown(void **state)
{
    struct tx *t = *state;
    if (t->state) t->p->close(t->state);
    if (t->dec) sluice_host()->decoder_free(t->dec);
    sluice_ctx_free(&t->stage.ctx);
    sluice_schema_release(&t->in_schema);
    sluice_options_storage_free(&t->storage);
    free(t->conf);
    config_destroy(&t->cfg);
    if (t->p) sluice_registry_unload(&t->loaded);
    free(t);
    return 0;
}

/* Load transform `name`, give it an input of `schema` (DDL) and the stage
 * settings `settings` (libconfig, e.g. `condition = "n > 1";`), and open
 * it. Returns open's status; t->err holds its error. */
static inline int tx_open(struct tx *t, const char *name, const char *schema, const char *settings)
{
    char path[512];
    snprintf(path, sizeof path, "%s/plugins/sluice_transform_%s.so", SLUICE_TEST_BINARY_DIR, name);
    if (sluice_registry_load_file(path, &t->loaded, &t->err)) fail_msg("loading %s: %s", path, t->err.message);
    t->p = t->loaded.plugin;
    if (sluice_schema_parse(schema, &t->in_schema, &t->err)) fail_msg("schema: %s", t->err.message);

    char text[4096];
    snprintf(text, sizeof text, "stage = { name = \"t\"; input = \"in\"; transform = \"%s\"; %s };", name, settings);
    if (!config_read_string(&t->cfg, text))
        fail_msg("config line %d: %s", config_error_line(&t->cfg), config_error_text(&t->cfg));
    t->conf = calloc(1, t->p->conf_size + 1);
    static const char *const core_keys[] = { "name", "input", "transform", NULL };
    if (sluice_options_apply(t->p, config_lookup(&t->cfg, "stage"), core_keys, t->conf, &t->storage, &t->err))
        fail_msg("options: %s", t->err.message);

    t->stage.name = "t";
    t->stage.kind = SLUICE_STAGE_TRANSFORM;
    t->stage.plugin = t->p;
    t->stage.ctx.stage = &t->stage;
    t->stage.ctx.host = sluice_host();
    t->stage.ctx.input_schema = &t->in_schema;
    memset(&t->err, 0, sizeof t->err);
    int rc = t->p->open(sluice_host(), t->conf, &t->stage.ctx, &t->state, &t->err);
    if (rc) t->state = NULL;
    return rc;
}

static inline void tx_open_ok(struct tx *t, const char *name, const char *schema, const char *settings)
{
    int rc = tx_open(t, name, schema, settings);
    if (rc) fail_msg("open: %s (hint: %s)", t->err.message, t->err.hint);
}

/* Rows of the input schema from JSON lines, as the file source reads them. */
static inline void tx_input(struct tx *t, const char *jsonl, struct sluice_batch *out)
{
    const struct sluice_host *host = sluice_host();
    if (!t->dec) {
        struct sluice_decode_opts o = { .size = sizeof o, .format = "json", .schema = &t->in_schema };
        if (host->decoder_new(&o, &t->dec, &t->err)) fail_msg("decoder: %s", t->err.message);
    }
    struct sluice_decode_input in = { jsonl, strlen(jsonl), "test", 1, true };
    struct sluice_decode_stats stats = { 0 };
    if (host->decode(t->dec, &in, out, &stats, &t->err)) fail_msg("decode: %s", t->err.message);
    out->schema = &t->in_schema;
}

/* Make the batch a view of rows [off, off + len) by giving every column an
 * offset, as Arrow slices do (null counts become unknown). */
static inline void tx_slice(struct sluice_batch *b, int64_t off, int64_t len)
{
    assert_true(off + len <= b->array.length);
    for (int64_t i = 0; i < b->array.n_children; i++) {
        struct ArrowArray *c = b->array.children[i];
        c->offset += off;
        c->length = len;
        c->null_count = -1;
    }
    b->array.length = len;
}

/* Run process(); *out is the caller's. */
static inline int tx_process(struct tx *t, struct sluice_batch *in, struct sluice_batch *out)
{
    memset(out, 0, sizeof *out);
    memset(&t->err, 0, sizeof t->err);
    int rc = t->p->process(t->state, in, out, &t->err);
    sluice_batch_release(in); /* as the engine does, in case the plugin left it */
    return rc;
}

/* Every row of `b` as JSON, one per line; the caller frees it. Checks the
 * batch against the declared output schema on the way. */
static inline char *tx_render(struct tx *t, const struct sluice_batch *b)
{
    const struct ArrowSchema *s = sluice_ctx_output_schema(&t->stage.ctx);
    assert_non_null(s);
    assert_ptr_equal(b->schema, s);
    assert_int_equal(b->array.n_children, s->n_children);
    for (int64_t i = 0; i < b->array.n_children; i++)
        assert_int_equal(b->array.children[i]->length, b->array.length);
    struct sluice_buf out = { 0 };
    sluice_buf_puts(&out, "");
    for (int64_t r = 0; r < b->array.length; r++) {
        sluice_render_row_json(b, r, &out);
        sluice_buf_putc(&out, '\n');
    }
    return out.data;
}

/* Decode `jsonl`, process it, and compare every output row with `want`. */
static inline void tx_expect(struct tx *t, const char *jsonl, const char *want)
{
    struct sluice_batch in, out;
    tx_input(t, jsonl, &in);
    int rc = tx_process(t, &in, &out);
    if (rc) fail_msg("process: %s", t->err.message);
    char *got = tx_render(t, &out);
    assert_string_equal(got, want);
    free(got);
    sluice_batch_release(&out);
}

/* The output schema's column names, comma-separated, into buf. */
static inline const char *tx_names(struct tx *t, char *buf, size_t cap)
{
    const struct ArrowSchema *s = sluice_ctx_output_schema(&t->stage.ctx);
    assert_non_null(s);
    buf[0] = '\0';
    size_t len = 0;
    for (int64_t i = 0; i < s->n_children; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? "," : "", s->children[i]->name);
    return buf;
}

/* The output schema as DDL (types and names). */
static inline char *tx_output_ddl(struct tx *t)
{
    struct sluice_buf b = { 0 };
    sluice_schema_type_ddl(sluice_ctx_output_schema(&t->stage.ctx), &b);
    return b.data;
}

/* The input paths the stage declared it reads, comma-separated. */
static inline const char *tx_used(struct tx *t, char *buf, size_t cap)
{
    buf[0] = '\0';
    size_t len = 0;
    for (size_t i = 0; i < t->stage.ctx.n_used; i++)
        len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? "," : "", t->stage.ctx.used[i]);
    return buf;
}

/* The input column output column `out` passes through, or -1. */
static inline int64_t tx_passed(struct tx *t, int64_t out)
{
    if (out < 0 || (size_t)out >= t->stage.ctx.n_pass_from) return -1;
    return t->stage.ctx.pass_from[out];
}

#endif
