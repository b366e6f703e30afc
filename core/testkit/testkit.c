/* The plugin test kit: one plugin, one stage, driven through sluice's own
 * core as a pipeline drives it. See sdk/include/sluice/testkit.h.
 *
 * A layer of its own above the runtime, like serve and cli: it sets up a
 * stage by hand (the graph is for configs), reads settings through the
 * pipeline's option code, and runs an aggregation through the aggregate
 * stage's own plan, groups and state store. Only the sluice_testkit_*
 * functions are exported from libsluice-testkit; the core inside stays
 * hidden (built with -fvisibility=hidden), so it cannot clash with
 * anything a test links. */
#include <sluice/testkit.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agg_stage.h"
#include "agg_state.h"
#include "checkpoint_source.h"
#include "decode.h"
#include "error.h"
#include "host.h"
#include "mem.h"
#include "options.h"
#include "registry.h"
#include "render.h"
#include "schema.h"
#include "stage.h"
#include "state_store.h"
#include "tables.h"
#include "validate.h"
#include "watermark.h"

struct sluice_testkit {
    struct sluice_loaded loaded;
    const struct sluice_plugin *p;
    struct sluice_stage stage;
    struct ArrowSchema input;          /* transforms, sinks */
    struct sluice_tables *tables;      /* for a memory sink */
    void *conf;
    struct sluice_options_text *options;
    struct sluice_decoder *decoder;    /* rows of `input` */
    char *meta_dir;
    bool opened;
};

static const struct sluice_projection every_column = { true, 0, NULL };

/* ---- loading and opening -------------------------------------------------- */

int sluice_testkit_load(const char *path, struct sluice_testkit **out, struct sluice_error *err)
{
    *out = NULL;
    struct sluice_testkit *tk = sluice_xcalloc(1, sizeof *tk);
    int rc = sluice_registry_load_file(path, &tk->loaded, err);
    if (rc) {
        free(tk);
        return rc;
    }
    tk->p = tk->loaded.plugin;
    tk->tables = sluice_tables_new();
    *out = tk;
    return SLUICE_OK;
}

const struct sluice_plugin *sluice_testkit_plugin(const struct sluice_testkit *tk)
{
    return tk->p;
}

void sluice_testkit_set_meta_dir(struct sluice_testkit *tk, const char *dir)
{
    free(tk->meta_dir);
    tk->meta_dir = dir ? sluice_xstrdup(dir) : NULL;
}

void sluice_testkit_free(struct sluice_testkit *tk)
{
    if (!tk) return;
    if (tk->opened) tk->p->close(tk->stage.state);
    sluice_decoder_free(tk->decoder);
    sluice_ctx_free(&tk->stage.ctx);
    sluice_options_text_free(tk->options);
    free(tk->conf);
    sluice_schema_release(&tk->input);
    sluice_tables_free(tk->tables);
    free(tk->meta_dir);
    sluice_registry_unload(&tk->loaded);
    free(tk);
}

/* A plugin's error without a message still says whose it is. */
static int failed(const struct sluice_testkit *tk, const char *callback, int rc, struct sluice_error *err)
{
    if (err && !err->message[0])
        sluice_error_set(err, rc, "%s plugin '%s': %s failed with status %d", sluice_registry_kind_name(tk->p->kind),
                         tk->p->name, callback, rc);
    return rc;
}

static int kind_is(const struct sluice_testkit *tk, uint32_t kind, const char *what, struct sluice_error *err)
{
    if (tk->p->kind == kind) return SLUICE_OK;
    return sluice_error_set(err, SLUICE_ECONFIG, "%s is for %s plugins; '%s' is a %s plugin", what,
                            sluice_registry_kind_name(kind), tk->p->name, sluice_registry_kind_name(tk->p->kind));
}

int sluice_testkit_open(struct sluice_testkit *tk, const char *input_ddl, const char *settings,
                        struct sluice_error *err)
{
    if (tk->opened) return sluice_error_set(err, SLUICE_ECONFIG, "the test kit's stage is open already");
    if (tk->p->kind == SLUICE_KIND_AGGREGATOR)
        return sluice_error_set(err, SLUICE_ECONFIG, "aggregators are not opened: use sluice_testkit_aggregate");
    bool has_input = tk->p->kind != SLUICE_KIND_SOURCE;
    if (has_input != (input_ddl != NULL))
        return sluice_error_set(err, SLUICE_ECONFIG, "a %s plugin %s an input schema",
                                sluice_registry_kind_name(tk->p->kind), has_input ? "needs" : "takes no");
    if (input_ddl) {
        int rc = sluice_schema_parse(input_ddl, &tk->input, err);
        if (rc) return rc;
    }
    tk->conf = sluice_xcalloc(1, tk->p->conf_size + 1);
    int rc = sluice_options_apply_text(tk->p, settings, tk->conf, &tk->options, err);
    if (rc) return rc;
    struct sluice_stage *st = &tk->stage;
    st->name = tk->p->name;
    st->kind = tk->p->kind == SLUICE_KIND_SOURCE      ? SLUICE_STAGE_SOURCE
               : tk->p->kind == SLUICE_KIND_TRANSFORM ? SLUICE_STAGE_TRANSFORM
                                                      : SLUICE_STAGE_SINK;
    st->plugin = tk->p;
    st->plugin_name = tk->p->name;
    st->plugin_file = tk->loaded.path;
    st->conf = tk->conf;
    st->check_batches = true;
    st->ctx.stage = st;
    st->ctx.host = sluice_host();
    st->ctx.input_schema = input_ddl ? &tk->input : NULL;
    st->ctx.tables = tk->tables;
    if (tk->meta_dir) sluice_checkpoint_source_attach(st, tk->meta_dir);
    rc = tk->p->open(st->ctx.host, tk->conf, &st->ctx, &st->state, err);
    if (rc) return failed(tk, "open", rc, err);
    tk->opened = true;
    if (st->kind != SLUICE_STAGE_SINK && !st->ctx.output_schema.release)
        return sluice_error_set(err, SLUICE_EPLUGIN, "%s plugin '%s' declared no output schema in open()",
                                sluice_registry_kind_name(tk->p->kind), tk->p->name);
    if (st->kind == SLUICE_STAGE_SOURCE) {
        rc = tk->p->prepare(st->state, &every_column, err);
        if (rc) return failed(tk, "prepare", rc, err);
    }
    return SLUICE_OK;
}

char *sluice_testkit_output_ddl(const struct sluice_testkit *tk)
{
    const struct ArrowSchema *s = sluice_ctx_output_schema(&tk->stage.ctx);
    if (!s) return NULL;
    /* The columns as a DDL schema writes them: "n BIGINT, s STRING". */
    struct sluice_buf b = { 0 };
    sluice_buf_puts(&b, "");
    for (int64_t i = 0; i < s->n_children; i++) {
        sluice_buf_printf(&b, "%s%s ", i ? ", " : "", s->children[i]->name);
        sluice_schema_type_ddl(s->children[i], &b);
    }
    return b.data;
}

char *sluice_testkit_columns_read(const struct sluice_testkit *tk)
{
    struct sluice_buf b = { 0 };
    sluice_buf_puts(&b, tk->stage.ctx.use_all ? "*" : "");
    for (size_t i = 0; !tk->stage.ctx.use_all && i < tk->stage.ctx.n_used; i++)
        sluice_buf_printf(&b, "%s%s", i ? "," : "", tk->stage.ctx.used[i]);
    return b.data;
}

/* ---- rows in and out ------------------------------------------------------ */

static int decode_rows(struct sluice_testkit *tk, const struct ArrowSchema *schema, struct sluice_decoder **d,
                       const char *jsonl, struct sluice_batch *out, struct sluice_error *err)
{
    if (!*d) {
        struct sluice_decode_opts o = { .size = sizeof o, .format = "json", .schema = schema,
                                        .mode = SLUICE_PARSE_FAIL_FAST };
        int rc = sluice_decoder_new(&o, d, err);
        if (rc) return rc;
    }
    struct sluice_decode_input in = { jsonl ? jsonl : "", strlen(jsonl ? jsonl : ""), "test rows", 1, true };
    struct sluice_decode_stats stats = { 0 };
    int rc = sluice_decode(*d, &in, out, &stats, err);
    out->schema = schema;
    return rc;
}

static void render_rows(const struct sluice_batch *b, struct sluice_buf *out)
{
    for (int64_t r = 0; r < b->array.length; r++) {
        sluice_render_row_json(b, r, out);
        sluice_buf_putc(out, '\n');
    }
}

/* An emitted batch, as SLUICE_CHECK_BATCHES checks it. */
static int check(const struct sluice_testkit *tk, const struct sluice_batch *b, struct sluice_error *err)
{
    char why[400];
    if (sluice_batch_validate(sluice_ctx_output_schema(&tk->stage.ctx), &b->array, why, sizeof why)) return SLUICE_OK;
    return sluice_error_set(err, SLUICE_EINTERNAL, "%s plugin '%s' emitted a malformed batch: %s",
                            sluice_registry_kind_name(tk->p->kind), tk->p->name, why);
}

static int not_open(const struct sluice_testkit *tk, struct sluice_error *err)
{
    return tk->opened ? SLUICE_OK
                      : sluice_error_set(err, SLUICE_ECONFIG, "open the plugin first (sluice_testkit_open)");
}

/* ---- transforms ------------------------------------------------------------- */

int sluice_testkit_process(struct sluice_testkit *tk, const char *jsonl, char **out, struct sluice_error *err)
{
    *out = NULL;
    int rc = kind_is(tk, SLUICE_KIND_TRANSFORM, "sluice_testkit_process", err);
    if (!rc) rc = not_open(tk, err);
    struct sluice_batch in = { 0 }, result = { 0 };
    if (!rc) rc = decode_rows(tk, &tk->input, &tk->decoder, jsonl, &in, err);
    if (!rc) {
        rc = tk->p->process(tk->stage.state, &in, &result, err);
        if (rc) failed(tk, "process", rc, err);
    }
    sluice_batch_release(&in); /* as the engine does: what the plugin left */
    result.schema = sluice_ctx_output_schema(&tk->stage.ctx);
    if (!rc) rc = check(tk, &result, err);
    if (!rc) {
        struct sluice_buf b = { 0 };
        sluice_buf_puts(&b, "");
        render_rows(&result, &b);
        *out = b.data;
    }
    sluice_batch_release(&result);
    return rc;
}

/* ---- sources ---------------------------------------------------------------- */

int sluice_testkit_latest_offset(struct sluice_testkit *tk, const char *start, bool limited, char **offset,
                                 struct sluice_error *err)
{
    *offset = NULL;
    int rc = kind_is(tk, SLUICE_KIND_SOURCE, "sluice_testkit_latest_offset", err);
    if (!rc) rc = not_open(tk, err);
    if (rc) return rc;
    struct sluice_buf b = { 0 };
    sluice_buf_puts(&b, "");
    rc = tk->p->latest_offset(tk->stage.state, start, limited, &b, err);
    if (rc) {
        sluice_buf_free(&b);
        return failed(tk, "latest_offset", rc, err);
    }
    *offset = b.data;
    return SLUICE_OK;
}

struct emitted {
    struct sluice_testkit *tk;
    struct sluice_buf rows;
};

static int emit_rows(void *arg, struct sluice_batch *batch, struct sluice_error *err)
{
    struct emitted *e = arg;
    batch->schema = sluice_ctx_output_schema(&e->tk->stage.ctx);
    int rc = check(e->tk, batch, err);
    if (!rc) render_rows(batch, &e->rows);
    sluice_batch_release(batch); /* the core takes every batch emitted */
    return rc;
}

int sluice_testkit_read(struct sluice_testkit *tk, const char *start, const char *end, char **out, size_t *n_units,
                        struct sluice_error *err)
{
    *out = NULL;
    int rc = kind_is(tk, SLUICE_KIND_SOURCE, "sluice_testkit_read", err);
    if (!rc) rc = not_open(tk, err);
    if (rc) return rc;
    size_t n = 0;
    rc = tk->p->plan_read(tk->stage.state, start, end, &n, err);
    if (rc) return failed(tk, "plan_read", rc, err);
    if (n_units) *n_units = n;
    struct emitted e = { tk, { 0 } };
    sluice_buf_puts(&e.rows, "");
    for (size_t u = 0; u < n && !rc; u++) {
        rc = tk->p->read(tk->stage.state, u, emit_rows, &e, err);
        if (rc) failed(tk, "read", rc, err);
    }
    if (rc) {
        sluice_buf_free(&e.rows);
        return rc;
    }
    *out = e.rows.data;
    return SLUICE_OK;
}

int sluice_testkit_commit(struct sluice_testkit *tk, const char *end, struct sluice_error *err)
{
    int rc = kind_is(tk, SLUICE_KIND_SOURCE, "sluice_testkit_commit", err);
    if (!rc) rc = not_open(tk, err);
    if (rc || !tk->p->commit) return rc;
    rc = tk->p->commit(tk->stage.state, end, err);
    return rc ? failed(tk, "commit", rc, err) : SLUICE_OK;
}

/* ---- sinks ------------------------------------------------------------------ */

int sluice_testkit_sink_batch(struct sluice_testkit *tk, int64_t batch_id, const char *mode, const char *jsonl,
                              struct sluice_error *err)
{
    int rc = kind_is(tk, SLUICE_KIND_SINK, "sluice_testkit_sink_batch", err);
    if (!rc) rc = not_open(tk, err);
    if (rc) return rc;
    uint32_t m = !mode || strcmp(mode, "append") == 0 ? SLUICE_MODE_APPEND
                 : strcmp(mode, "update") == 0        ? SLUICE_MODE_UPDATE
                 : strcmp(mode, "complete") == 0      ? SLUICE_MODE_COMPLETE
                                                      : 0;
    if (!m) return sluice_error_set(err, SLUICE_ECONFIG, "mode '%s' is not append, update or complete", mode);
    uint32_t accepted = tk->p->modes ? tk->p->modes : SLUICE_MODE_APPEND;
    if (!(accepted & m))
        return sluice_error_set(err, SLUICE_ECONFIG, "sink plugin '%s' does not take %s mode", tk->p->name, mode);
    rc = tk->p->begin(tk->stage.state, batch_id, m, err);
    if (rc) return failed(tk, "begin", rc, err);
    if (jsonl) {
        struct sluice_batch b = { 0 };
        rc = decode_rows(tk, &tk->input, &tk->decoder, jsonl, &b, err);
        if (!rc) {
            rc = tk->p->write(tk->stage.state, &b, err);
            if (rc) failed(tk, "write", rc, err);
        }
        sluice_batch_release(&b);
        if (rc) return rc;
    }
    rc = tk->p->end(tk->stage.state, batch_id, err);
    return rc ? failed(tk, "end", rc, err) : SLUICE_OK;
}

/* ---- aggregators -------------------------------------------------------------- */

struct catalog_arg {
    const struct sluice_plugin *p;
};

static const struct sluice_plugin *find_self(void *arg, const char *name)
{
    const struct catalog_arg *c = arg;
    return strcmp(c->p->name, name) == 0 ? c->p : NULL;
}

static size_t name_self(void *arg, const char *const **names)
{
    struct catalog_arg *c = arg;
    *names = &c->p->name;
    return 1;
}

static void remove_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        char path[4096 + sizeof e->d_name];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (d) closedir(d);
    rmdir(dir);
}

/* Rows [from, to) of `jsonl`, by line. */
static char *lines(const char *jsonl, size_t from, size_t to)
{
    const char *p = jsonl;
    for (size_t i = 0; i < from && *p; i++) p = strchr(p, '\n') ? strchr(p, '\n') + 1 : p + strlen(p);
    const char *e = p;
    for (size_t i = from; i < to && *e; i++) e = strchr(e, '\n') ? strchr(e, '\n') + 1 : e + strlen(e);
    return sluice_xstrndup(p, (size_t)(e - p));
}

static size_t count_lines(const char *s)
{
    size_t n = 0;
    for (const char *p = s; *p;) {
        const char *nl = strchr(p, '\n');
        n++;
        p = nl ? nl + 1 : p + strlen(p);
    }
    return n;
}

/* The groups through the checkpoint's state store and back: what a restart sees. */
static int round_trip(struct sluice_agg_stage *a, struct sluice_agg_stage *b, struct sluice_error *err)
{
    const char *tmp = getenv("TMPDIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/sluice-testkit-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(dir)) return sluice_error_set(err, SLUICE_EIO, "cannot make a directory for the state store");
    struct sluice_state_store *s = NULL;
    struct sluice_agg_state_stats st = { 0 };
    int rc = sluice_state_store_open(dir, -1, &s, err);
    if (!rc) {
        sluice_state_store_begin(s, 0);
        rc = sluice_agg_state_save(a, "agg", s, 0, &st, err);
    }
    if (!rc) rc = sluice_state_store_commit(s, NULL, err);
    sluice_state_store_free(s);
    s = NULL;
    if (!rc) rc = sluice_state_store_open(dir, 0, &s, err);
    if (!rc) rc = sluice_agg_state_restore(b, "agg", s, SLUICE_WATERMARK_NONE, err);
    sluice_state_store_free(s);
    remove_dir(dir);
    return rc;
}

int sluice_testkit_aggregate(struct sluice_testkit *tk, const char *input_ddl, const char *group_by,
                             const char *aggregate, const char *jsonl, int parts, char **out,
                             struct sluice_error *err)
{
    *out = NULL;
    int rc = kind_is(tk, SLUICE_KIND_AGGREGATOR, "sluice_testkit_aggregate", err);
    if (rc) return rc;
    if (parts < 1) parts = 1;
    struct ArrowSchema input = { 0 };
    rc = sluice_schema_parse(input_ddl, &input, err);
    if (rc) return rc;
    struct catalog_arg cat_arg = { tk->p };
    struct sluice_agg_catalog cat = { find_self, name_self, &cat_arg };
    struct sluice_agg_spec spec = { .keys = &group_by, .n_keys = group_by ? 1 : 0, .aggs = &aggregate, .n_aggs = 1 };
    struct sluice_agg_stage a = { .event_key = -1, .watermark = SLUICE_WATERMARK_NONE },
                            b = { .event_key = -1, .watermark = SLUICE_WATERMARK_NONE };
    rc = sluice_agg_plan_new(&spec, &input, &cat, &a.plan, NULL, err);
    if (!rc) {
        b.plan = a.plan;
        /* One partition: groups come out in the order they first appeared. */
        a.state = sluice_agg_groups_new(a.plan, 1);
        b.state = sluice_agg_groups_new(a.plan, 1);
    }
    /* Each part folded into a partial state of its own, merged in order. */
    struct sluice_decoder *d = NULL;
    size_t n = count_lines(jsonl ? jsonl : "");
    for (int k = 0; k < parts && !rc; k++) {
        char *part = lines(jsonl ? jsonl : "", n * (size_t)k / (size_t)parts, n * (size_t)(k + 1) / (size_t)parts);
        struct sluice_batch batch = { 0 };
        rc = decode_rows(tk, &input, &d, part, &batch, err);
        struct sluice_agg_groups *partial = rc ? NULL : sluice_agg_groups_new(a.plan, 1);
        if (!rc) rc = sluice_agg_groups_update(partial, &batch, -1, NULL, err);
        if (!rc) rc = sluice_agg_groups_merge(a.state, partial, 0, err);
        sluice_agg_groups_free(partial);
        sluice_batch_release(&batch);
        free(part);
    }
    if (!rc) rc = round_trip(&a, &b, err);
    struct sluice_batch result = { 0 };
    if (!rc) rc = sluice_agg_groups_emit(b.state, SLUICE_AGG_EMIT_ALL, 0, &result, err);
    if (!rc) {
        struct sluice_buf text = { 0 };
        sluice_buf_puts(&text, "");
        render_rows(&result, &text);
        *out = text.data;
    }
    sluice_batch_release(&result);
    sluice_decoder_free(d);
    sluice_agg_groups_free(a.state);
    sluice_agg_groups_free(b.state);
    sluice_agg_plan_free(a.plan);
    sluice_schema_release(&input);
    return rc;
}

char *sluice_testkit_format_error(const struct sluice_error *err)
{
    struct sluice_buf b = { 0 };
    sluice_buf_puts(&b, "");
    if (err) sluice_error_format(err, &b);
    return b.data;
}
