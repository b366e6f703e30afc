/* A drop_duplicates stage from the config. See dedup_load.h. */
#include "dedup_load.h"

#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "config.h"
#include "dedup.h"
#include "error.h"
#include "expr.h"
#include "graph_priv.h"
#include "log.h"
#include "mem.h"
#include "schema.h"
#include "stage.h"

static const char *const dedup_keys[] = { "name", "input", "transform", "columns", "within_watermark", "watermark" };

int sluice_dedup_load_check(const config_setting_t *group, char **spec, struct sluice_error *err)
{
    *spec = NULL;
    for (int i = 0; i < config_setting_length(group); i++) {
        const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
        const char *key = config_setting_name(s);
        bool known = false;
        for (size_t k = 0; k < N_ELEMS(dedup_keys) && !known; k++) known = strcmp(key, dedup_keys[k]) == 0;
        if (!known)
            return sluice_graph_unknown_key(err, s, dedup_keys, N_ELEMS(dedup_keys), "a drop_duplicates stage's");
    }
    const config_setting_t *cols = config_setting_get_member(group, "columns");
    if (cols && !(config_setting_type(cols) == CONFIG_TYPE_STRING && config_setting_get_string(cols)[0])) {
        bool ok = (config_setting_is_list(cols) || config_setting_is_array(cols)) && config_setting_length(cols) > 0;
        for (int i = 0; ok && i < config_setting_length(cols); i++) {
            const char *v = config_setting_get_string_elem(cols, i);
            ok = v && v[0];
        }
        if (!ok) return sluice_graph_expected(err, cols, "a non-empty list of columns such as [\"data.author_id\"]");
    }
    const config_setting_t *within = config_setting_get_member(group, "within_watermark");
    bool b = false;
    int rc = within ? sluice_graph_get_bool(within, &b, err) : SLUICE_OK;
    if (rc) return rc;
    /* What the saved keys mean: another key or mode cannot read them. */
    struct sluice_buf t = { 0 };
    sluice_buf_puts(&t, "columns ");
    if (!cols) sluice_buf_puts(&t, "*");
    else if (config_setting_type(cols) == CONFIG_TYPE_STRING) sluice_buf_puts(&t, config_setting_get_string(cols));
    for (int i = 0; cols && config_setting_type(cols) != CONFIG_TYPE_STRING && i < config_setting_length(cols); i++)
        sluice_buf_printf(&t, "%s%s", i ? ", " : "", config_setting_get_string_elem(cols, i));
    if (b) sluice_buf_puts(&t, "; within_watermark");
    *spec = t.data;
    return SLUICE_OK;
}

/* The text of key k: an entry of `columns`, or the k-th input column. */
static const char *key_text(const struct sluice_stage *st, const config_setting_t *cols, int k, struct sluice_buf *b)
{
    if (cols && config_setting_type(cols) == CONFIG_TYPE_STRING) return config_setting_get_string(cols);
    if (cols) return config_setting_get_string_elem(cols, k);
    /* Every column: back-quoted, so any name reads as itself. */
    const char *name = st->ctx.input_schema->children[k]->name;
    sluice_buf_clear(b);
    sluice_buf_putc(b, '`');
    for (const char *p = name; *p; p++) {
        if (*p == '`') sluice_buf_putc(b, '`');
        sluice_buf_putc(b, *p);
    }
    sluice_buf_putc(b, '`');
    return b->data;
}

static int n_key_texts(const struct sluice_stage *st, const config_setting_t *cols)
{
    if (!cols) return (int)st->ctx.input_schema->n_children;
    return config_setting_type(cols) == CONFIG_TYPE_STRING ? 1 : config_setting_length(cols);
}

int sluice_dedup_load_open(struct sluice_stage *st, struct sluice_error *err)
{
    const config_setting_t *cols = config_setting_get_member(st->setting, "columns");
    const config_setting_t *within = config_setting_get_member(st->setting, "within_watermark");
    int n = n_key_texts(st, cols);
    if (n <= 0)
        return sluice_error_at(err, SLUICE_ECONFIG, st->setting, "drop_duplicates over an input without columns");
    struct sluice_expr **keys = sluice_xcalloc((size_t)n, sizeof *keys);
    struct sluice_buf b = { 0 };
    int rc = SLUICE_OK;
    for (int k = 0; k < n && !rc; k++) {
        struct sluice_error e = { 0 };
        rc = sluice_expr_compile(st->ctx.input_schema, key_text(st, cols, k, &b), &keys[k], &e);
        if (rc) {
            const config_setting_t *at = cols && config_setting_type(cols) != CONFIG_TYPE_STRING
                                             ? config_setting_get_elem(cols, (unsigned)k)
                                             : cols ? cols : st->setting;
            sluice_config_error_locate(&e, rc, at);
            sluice_error_stage(&e, st->name);
            *err = e;
            break;
        }
        if (!sluice_schema_groupable(sluice_expr_result(keys[k]))) {
            const config_setting_t *at = cols && config_setting_type(cols) != CONFIG_TYPE_STRING
                                             ? config_setting_get_elem(cols, (unsigned)k)
                                             : cols ? cols : st->setting;
            rc = sluice_error_at(err, SLUICE_ECONFIG, at, "'%s' cannot be a drop_duplicates key: it holds a map, "
                                 "which is not orderable", key_text(st, cols, k, &b));
            sluice_error_stage(err, st->name);
            break;
        }
        const char *const *paths;
        size_t np = sluice_expr_columns(keys[k], &paths);
        for (size_t i = 0; i < np && !rc; i++) rc = sluice_ctx_use_column(&st->ctx, paths[i], err);
    }
    sluice_buf_free(&b);
    if (rc) {
        for (int k = 0; k < n; k++) sluice_expr_free(keys[k]);
        free(keys);
        return rc;
    }
    bool w = false;
    if (within) sluice_graph_get_bool(within, &w, NULL);
    st->dedup = sluice_dedup_new(keys, (size_t)n, w);
    /* The rows pass through: every column is the input's. */
    struct ArrowSchema out;
    sluice_schema_copy(st->ctx.input_schema, &out);
    rc = sluice_ctx_set_output_schema(&st->ctx, &out, err);
    for (int64_t i = 0; !rc && i < st->ctx.input_schema->n_children; i++) sluice_ctx_pass_column(&st->ctx, i, i);
    return rc;
}

/* A column as it is (`data.created_at`), not computed from one: only
 * such a key carries its column's event time, as only an attribute
 * carries Spark's watermark metadata. */
static bool bare_path(const char *t)
{
    for (; *t; t++)
        if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') || (*t >= '0' && *t <= '9') || strchr("_.` ", *t)))
            return false;
    return true;
}

/* The nearest watermark above `st`. */
static const struct sluice_stage *watermark_above(const struct sluice_stage *st)
{
    for (const struct sluice_stage *s = st->input; s; s = s->input)
        if (s->has_watermark) return s;
    return NULL;
}

int sluice_dedup_load_event_time(struct sluice_stage *st, bool check, struct sluice_error *err)
{
    struct sluice_dedup *d = st->dedup;
    free(d->trackers);
    d->n_trackers = sluice_graph_trackers_above(st, &d->trackers);
    sluice_expr_free(d->time);
    d->time = NULL;
    const struct sluice_stage *wm = watermark_above(st);
    const config_setting_t *cols = config_setting_get_member(st->setting, "columns");
    struct sluice_buf b = { 0 };
    const char *text = NULL;
    if (d->within) {
        const config_setting_t *w = config_setting_get_member(st->setting, "within_watermark");
        if (!wm) {
            int rc = sluice_error_at(err, SLUICE_ECONFIG, w, "within_watermark needs a watermark on the stream");
            sluice_error_hint(err, "declare one on a stage above: watermark = { column = \"data.created_at\"; "
                                   "delay = \"10 minutes\"; };");
            return rc;
        }
        /* The rows' event time: the watermark's column, reaching this stage unchanged. */
        text = wm->watermark.column;
        d->delay_us = wm->watermark.delay_us;
        struct sluice_error e = { 0 };
        const char *const *paths;
        int rc = sluice_expr_compile(st->ctx.input_schema, text, &d->time, &e);
        if (!rc && (sluice_expr_columns(d->time, &paths) != 1 || !sluice_graph_is_watermarked(st, paths[0]))) rc = SLUICE_ECONFIG;
        if (rc) {
            rc = sluice_error_at(err, SLUICE_ECONFIG, w, "within_watermark needs the column '%s' that stage '%s' "
                                 "declares its watermark on, unchanged in this stage's input", text, wm->name);
            return rc;
        }
        return SLUICE_OK;
    }
    /* Plain: a key that is the watermarked event time bounds the state. */
    for (size_t k = 0; k < d->n_keys && !d->time; k++) {
        const char *const *paths;
        text = key_text(st, cols, (int)k, &b);
        if (sluice_type_of(sluice_expr_result(d->keys[k])) != SLUICE_TYPE_TIMESTAMP || !bare_path(text) ||
            sluice_expr_columns(d->keys[k], &paths) != 1 || !sluice_graph_is_watermarked(st, paths[0]))
            continue;
        struct sluice_error e = { 0 };
        if (sluice_expr_compile(st->ctx.input_schema, text, &d->time, &e)) d->time = NULL;
    }
    sluice_buf_free(&b);
    if (!d->time)
        sluice_log(check ? SLUICE_LOG_WARN : SLUICE_LOG_INFO, st->name,
                   "drop_duplicates keeps every key it has seen, for ever: %s",
                   wm ? "no key is the watermarked event-time column, so the watermark cannot expire any"
                      : "the stream has no watermark; with one, and its event-time column among the columns, "
                        "keys older than the watermark are dropped (or use within_watermark = true)");
    return SLUICE_OK;
}
