/* The aggregate stage in a pipeline: its config keys at load, its plan,
 * output schema, projection and state at open, its line in plans. */
#include "agg_stage.h"

#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "expr.h"
#include "loader.h"
#include "log.h"
#include "mem.h"
#include "progress.h"
#include "schema.h"
#include "stage.h"
#include "suggest.h"
#include "watermark.h"
#include "window.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* output_mode is refused later, with the message every non-sink stage gets. */
static const char *const agg_keys[] = { "name", "input", "aggregate", "group_by", "cube", "rollup", "window",
                                        "watermark", "output_mode" };
/* Indexed by enum sluice_agg_grouping. */
static const char *const grouping_keys[] = { "group_by", "cube", "rollup" };

/* A list of strings, or one string standing for a list of one (what
 * `--set stage.group_by=data.lang` makes). */
static int check_strings(const config_setting_t *s, bool non_empty, struct sluice_error *err)
{
    if (config_setting_type(s) == CONFIG_TYPE_STRING && config_setting_get_string(s)[0]) return SLUICE_OK;
    bool ok = config_setting_is_list(s) || config_setting_is_array(s);
    for (int i = 0; ok && i < config_setting_length(s); i++) {
        const char *v = config_setting_get_string_elem(s, i);
        ok = v && v[0];
    }
    if (ok && (!non_empty || config_setting_length(s) > 0)) return SLUICE_OK;
    char got[80];
    if (ok) snprintf(got, sizeof got, "an empty list");
    else sluice_config_describe_value(s, got, sizeof got);
    return sluice_error_at(err, SLUICE_ECONFIG, s, "expected a %slist of strings such as %s, got %s",
                           non_empty ? "non-empty " : "",
                           strcmp(config_setting_name(s), "aggregate") == 0 ? "[\"count(*) AS count\"]"
                                                                             : "[\"data.lang AS lang\"]",
                           got);
}

int sluice_agg_stage_check(const config_setting_t *group, struct sluice_error *err)
{
    const config_setting_t *grouping = NULL;
    for (int i = 0; i < config_setting_length(group); i++) {
        const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
        const char *key = config_setting_name(s);
        bool known = false;
        for (size_t k = 0; k < N_ELEMS(agg_keys) && !known; k++) known = strcmp(key, agg_keys[k]) == 0;
        if (!known) {
            int rc = sluice_error_at(err, SLUICE_ECONFIG, s, "unknown key '%s'", key);
            const char *close = sluice_suggest(key, agg_keys, N_ELEMS(agg_keys));
            if (close) sluice_error_hint(err, "did you mean '%s'?", close);
            else sluice_error_hint(err, "aggregate stages take: aggregate, and one of group_by, cube or rollup");
            return rc;
        }
        bool is_grouping = false;
        for (size_t k = 0; k < N_ELEMS(grouping_keys); k++) is_grouping |= strcmp(key, grouping_keys[k]) == 0;
        if (is_grouping) {
            if (grouping) {
                sluice_error_at(err, SLUICE_ECONFIG, s, "both '%s' and '%s' given", config_setting_name(grouping), key);
                sluice_error_hint(err, "an aggregate stage groups one way: group_by, cube or rollup");
                return SLUICE_ECONFIG;
            }
            grouping = s;
            int rc = check_strings(s, false, err);
            if (rc) return rc;
        } else if (strcmp(key, "aggregate") == 0) {
            int rc = check_strings(s, true, err);
            if (rc) return rc;
        } else if (strcmp(key, "window") == 0) {
            struct sluice_window w;
            const char *column;
            int rc = sluice_window_load(s, &w, &column, err);
            if (rc) return rc;
        }
    }
    return SLUICE_OK;
}

/* ---- opening ------------------------------------------------------------- */

/* The strings of a list setting (or of one string), borrowed from the config. */
static const char **strings_of(const config_setting_t *s, size_t *n)
{
    *n = 0;
    if (!s) return NULL;
    if (config_setting_type(s) == CONFIG_TYPE_STRING) {
        const char **v = sluice_xcalloc(1, sizeof *v);
        v[(*n)++] = config_setting_get_string(s);
        return v;
    }
    int len = config_setting_length(s);
    const char **v = sluice_xcalloc(len > 0 ? (size_t)len : 1, sizeof *v);
    for (int i = 0; i < len; i++) v[(*n)++] = config_setting_get_string_elem(s, i);
    return v;
}

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

static const config_setting_t *grouping_setting(const config_setting_t *group, enum sluice_agg_grouping *g)
{
    *g = SLUICE_AGG_GROUP_BY;
    for (size_t k = 0; k < N_ELEMS(grouping_keys); k++) {
        const config_setting_t *s = config_setting_get_member(group, grouping_keys[k]);
        if (s) {
            *g = (enum sluice_agg_grouping)k;
            return s;
        }
    }
    return NULL;
}

static int plan_error(const struct sluice_stage *st, const config_setting_t *list, size_t index, int rc,
                      struct sluice_error *err)
{
    const config_setting_t *where = list;
    if (list && config_setting_type(list) != CONFIG_TYPE_STRING && index < (size_t)config_setting_length(list))
        where = config_setting_get_elem(list, (unsigned)index);
    if (!where) where = st->setting;
    sluice_config_error_locate(err, rc, where);
    if (err && !err->key[0] && list) snprintf(err->key, sizeof err->key, "%s", config_setting_name(list));
    sluice_error_stage(err, st->name);
    return rc;
}

int sluice_agg_stage_open(struct sluice_stage *st, struct sluice_registry *reg, int64_t partitions,
                          enum sluice_output_mode mode, struct sluice_error *err)
{
    enum sluice_agg_grouping grouping;
    const config_setting_t *keys = grouping_setting(st->setting, &grouping);
    const config_setting_t *aggs = config_setting_get_member(st->setting, "aggregate");
    struct sluice_agg_spec spec = { .grouping = grouping };
    const config_setting_t *window = config_setting_get_member(st->setting, "window");
    if (window) {
        /* Checked at load already: this cannot fail. */
        int wrc = sluice_window_load(window, &spec.window, &spec.window_column, err);
        if (wrc) return wrc;
    }
    spec.keys = strings_of(keys, &spec.n_keys);
    spec.aggs = strings_of(aggs, &spec.n_aggs);
    struct catalog_arg carg = { .reg = reg };
    struct sluice_agg_catalog catalog = { catalog_find, catalog_names, &carg };
    struct sluice_agg_plan *plan = NULL;
    struct sluice_agg_where where;
    struct sluice_error e = { 0 };
    int rc = sluice_agg_plan_new(&spec, st->ctx.input_schema, &catalog, &plan, &where, &e);
    free((void *)spec.keys);
    free((void *)spec.aggs);
    free(carg.names);
    if (rc) {
        if (carg.broken.message[0] && strncmp(e.message, "unknown aggregate function", 26) == 0) {
            /* Not unknown: found and refused by the loader. */
            e = carg.broken;
            rc = e.code;
        }
        if (err) *err = e;
        if (where.in_window)
            return plan_error(st, config_setting_get_member(window, "column"), 0, rc, err);
        return plan_error(st, where.in_keys ? keys : aggs, where.index, rc, err);
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

void sluice_agg_stage_emit(struct sluice_agg_stage *a, int64_t batch_id, struct sluice_batch *out)
{
    sluice_agg_groups_set_watermark(a->state, a->event_key, a->watermark);
    enum sluice_agg_emit which = a->mode == SLUICE_MODE_UPDATE   ? SLUICE_AGG_EMIT_UPDATED
                                 : a->mode == SLUICE_MODE_APPEND ? SLUICE_AGG_EMIT_CLOSED
                                                                 : SLUICE_AGG_EMIT_ALL;
    sluice_agg_groups_emit(a->state, which, batch_id, out);
    /* Spark's StateStoreSaveExec: append outputs the groups it evicts;
     * update evicts them without output, having emitted their last change
     * in the batch that made it. event_key is -1 in complete mode. */
    sluice_agg_groups_evict(a->state);
}

bool sluice_agg_stage_advance(struct sluice_agg_stage *a)
{
    int64_t next = sluice_watermark_next(a->watermark, sluice_watermark_min(a->trackers, a->n_trackers));
    bool moved = next != a->watermark;
    a->watermark = next;
    return moved && a->mode != SLUICE_MODE_COMPLETE;
}

static void describe_list(const char *label, const config_setting_t *s, const char *none, struct sluice_buf *out)
{
    size_t n;
    const char **v = strings_of(s, &n);
    sluice_buf_printf(out, "    %s: ", label);
    for (size_t i = 0; i < n; i++) sluice_buf_printf(out, "%s%s", i ? ", " : "", v[i]);
    if (!n) sluice_buf_puts(out, none);
    sluice_buf_putc(out, '\n');
    free(v);
}

void sluice_agg_stage_describe(const struct sluice_stage *st, struct sluice_buf *out)
{
    static const char *const labels[] = { "group by", "cube", "rollup" };
    enum sluice_agg_grouping g;
    const config_setting_t *keys = grouping_setting(st->setting, &g);
    const config_setting_t *window = config_setting_get_member(st->setting, "window");
    struct sluice_window w;
    const char *column;
    if (window && sluice_window_load(window, &w, &column, NULL) == SLUICE_OK) {
        sluice_buf_printf(out, "    window: %s, ", column);
        sluice_window_describe(&w, out);
        sluice_buf_putc(out, '\n');
    }
    describe_list(labels[g], keys, window ? "(the window only)" : "(none: one global group)", out);
    describe_list("aggregates", config_setting_get_member(st->setting, "aggregate"), "", out);
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
