/* The aggregate stage in a pipeline: its plan, output schema, projection
 * and state at open, the engine's side of each batch, its lines in plans.
 * See agg_stage.h. */
#include "agg_stage.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "registry.h"
#include "log.h"
#include "mem.h"
#include "progress.h"
#include "schema.h"
#include "stage.h"
#include "watermark.h"
#include "window.h"

/* ---- opening ------------------------------------------------------------- */

/* Aggregators come from the plugin registry; a broken one is remembered so
 * the error can say why the name was not found. */
struct catalog_arg {
    struct sluice_registry *reg;
    const char **names;
    size_t n_names;
    struct sluice_error broken;
};

static const struct sluice_plugin *catalog_find(void *arg, const char *name)
{
    struct catalog_arg *c = arg;
    const struct sluice_loaded *l;
    struct sluice_error e = { 0 };
    int rc = sluice_registry_find(c->reg, SLUICE_KIND_AGGREGATOR, name, &l, &e);
    if (rc == SLUICE_OK) return l->plugin;
    if (rc != SLUICE_ECONFIG) c->broken = e;
    return NULL;
}

static size_t catalog_names(void *arg, const char *const **names)
{
    struct catalog_arg *c = arg;
    if (!c->names) {
        const struct sluice_loaded *const *list;
        size_t n;
        sluice_registry_list(c->reg, SLUICE_KIND_AGGREGATOR, &list, &n, NULL, NULL);
        c->names = sluice_xcalloc(n ? n : 1, sizeof *c->names);
        for (size_t i = 0; i < n; i++) c->names[i] = list[i]->plugin->name;
        c->n_names = n;
    }
    *names = c->names;
    return c->n_names;
}

/* The spec's arrays (not their strings, which the config keeps) are the stage's own. */
static const char *const *copy_strings(const char *const *v, size_t n)
{
    const char **c = sluice_xcalloc(n ? n : 1, sizeof *c);
    for (size_t i = 0; i < n; i++) c[i] = v[i];
    return c;
}

int sluice_agg_stage_open(struct sluice_stage *st, const struct sluice_agg_spec *spec,
                          struct sluice_registry *reg, int64_t partitions, enum sluice_output_mode mode,
                          struct sluice_agg_where *where, struct sluice_error *err)
{
    struct catalog_arg carg = { .reg = reg };
    struct sluice_agg_catalog catalog = { catalog_find, catalog_names, &carg };
    struct sluice_agg_plan *plan = NULL;
    struct sluice_error e = { 0 };
    *where = (struct sluice_agg_where){ 0 };
    int rc = sluice_agg_plan_new(spec, st->ctx.input_schema, &catalog, &plan, where, &e);
    free(carg.names);
    if (rc) {
        if (carg.broken.message[0] && strncmp(e.message, "unknown aggregate function", 26) == 0) {
            /* Not unknown: found and refused by the loader. */
            e = carg.broken;
            rc = e.code;
        }
        if (err) *err = e;
        return rc;
    }
    struct ArrowSchema schema;
    sluice_schema_copy(&plan->output, &schema);
    rc = sluice_ctx_set_output_schema(&st->ctx, &schema, err);
    size_t n_cols;
    const char **cols = sluice_agg_plan_columns(plan, &n_cols);
    for (size_t i = 0; i < n_cols && !rc; i++) rc = sluice_ctx_use_column(&st->ctx, cols[i], err);
    free(cols);
    if (rc) {
        sluice_agg_plan_free(plan);
        sluice_error_stage(err, st->name);
        return rc;
    }
    struct sluice_agg_stage *a = sluice_xcalloc(1, sizeof *a);
    a->spec = *spec;
    a->spec.keys = copy_strings(spec->keys, spec->n_keys);
    a->spec.aggs = copy_strings(spec->aggs, spec->n_aggs);
    a->plan = plan;
    a->mode = mode;
    a->state = sluice_agg_groups_new(plan, (size_t)partitions);
    a->event_key = -1;
    a->watermark = SLUICE_WATERMARK_NONE;
    st->agg = a;
    return SLUICE_OK;
}

void sluice_agg_stage_free(struct sluice_agg_stage *a)
{
    if (!a) return;
    sluice_agg_groups_free(a->state);
    sluice_agg_plan_free(a->plan);
    free((void *)a->spec.keys);
    free((void *)a->spec.aggs);
    free(a->trackers);
    free(a);
}

/* ---- running ------------------------------------------------------------ */

struct sluice_agg_groups *sluice_agg_stage_partial(const struct sluice_agg_stage *a)
{
    struct sluice_agg_groups *g = sluice_agg_groups_new(a->plan, 1);
    sluice_agg_groups_set_watermark(g, a->event_key, a->watermark);
    return g;
}

int sluice_agg_stage_emit(struct sluice_agg_stage *a, int64_t batch_id, struct sluice_agg_cursor *cur,
                          struct sluice_batch *out, bool *more, struct sluice_error *err)
{
    if (!cur->started) sluice_agg_groups_set_watermark(a->state, a->event_key, a->watermark);
    enum sluice_agg_emit which = a->mode == SLUICE_MODE_UPDATE   ? SLUICE_AGG_EMIT_UPDATED
                                 : a->mode == SLUICE_MODE_APPEND ? SLUICE_AGG_EMIT_CLOSED
                                                                 : SLUICE_AGG_EMIT_ALL;
    int rc = sluice_agg_groups_emit_next(a->state, which, batch_id, cur, SLUICE_AGG_EMIT_PIECE, out, more, err);
    /* Spark's StateStoreSaveExec: append outputs the groups it evicts;
     * update evicts them without output, having emitted their last change
     * in the batch that made it. event_key is -1 in complete mode. A
     * failed emission evicts nothing: the groups are still to be output. */
    if (!rc && !*more) sluice_agg_groups_evict(a->state);
    return rc;
}

bool sluice_agg_stage_advance(struct sluice_agg_stage *a)
{
    int64_t next = sluice_watermark_next(a->watermark, sluice_watermark_min(a->trackers, a->n_trackers));
    bool moved = next != a->watermark;
    a->watermark = next;
    return moved && a->mode != SLUICE_MODE_COMPLETE;
}

static void describe_list(const char *label, const char *const *v, size_t n, const char *none,
                          struct sluice_buf *out)
{
    sluice_buf_printf(out, "    %s: ", label);
    for (size_t i = 0; i < n; i++) sluice_buf_printf(out, "%s%s", i ? ", " : "", v[i]);
    if (!n) sluice_buf_puts(out, none);
    sluice_buf_putc(out, '\n');
}

void sluice_agg_stage_describe(const struct sluice_agg_stage *a, struct sluice_buf *out)
{
    static const char *const labels[] = { "group by", "cube", "rollup" };
    const struct sluice_agg_spec *s = &a->spec;
    if (s->window_column) {
        sluice_buf_printf(out, "    window: %s, ", s->window_column);
        sluice_window_describe(&s->window, out);
        sluice_buf_putc(out, '\n');
    }
    describe_list(labels[s->grouping], s->keys, s->n_keys,
                  s->window_column ? "(the window only)" : "(none: one global group)", out);
    describe_list("aggregates", s->aggs, s->n_aggs, "", out);
}

void sluice_agg_stage_report(const struct sluice_stage *st, int64_t batch_id, struct sluice_progress_state *out)
{
    struct sluice_agg_stage *a = st->agg;
    struct sluice_agg_stats s;
    sluice_agg_groups_stats(a->state, &s);
    char wm[40];
    sluice_log(SLUICE_LOG_DEBUG, st->name,
               "batch %lld: %lld groups in state, %zu bytes, %lld rows dropped by watermark, next watermark %s",
               (long long)batch_id, (long long)s.groups, s.bytes, (long long)(s.dropped - a->dropped_reported),
               sluice_watermark_format(a->watermark, wm, sizeof wm));
    *out = (struct sluice_progress_state){
        .stage = st->name, .rows_total = s.groups, .rows_updated = sluice_agg_groups_count_updated(a->state, batch_id),
        .rows_removed = s.evicted - a->evicted_reported, .rows_dropped = s.dropped - a->dropped_reported,
        .memory_bytes = (int64_t)s.bytes, .partitions = (int64_t)sluice_agg_groups_partitions(a->state) };
    a->dropped_reported = s.dropped;
    a->evicted_reported = s.evicted;
}
