/* Opening a loaded pipeline: output-mode checks, each plugin's open() from
 * the sources down, watermark columns and event time; then projection
 * pushdown (graph_project.c) and the sources' prepare. */
#include "graph.h"

#include <stdlib.h>
#include <string.h>

#include "agg_load.h"
#include "dedup_load.h"
#include "join_load.h"
#include "stream_join_load.h"
#include "union_load.h"
#include "graph_priv.h"
#include "agg_stage.h"
#include "checkpoint.h"
#include "colpath.h"
#include "config.h"
#include "error.h"
#include "expr.h"
#include "host.h"
#include "log.h"
#include "mem.h"
#include "schema.h"
#include "tz.h"

/* Spark's names for output modes, as its messages print them. */
static const char *spark_mode_name(enum sluice_output_mode m)
{
    return m == SLUICE_MODE_COMPLETE ? "Complete" : m == SLUICE_MODE_UPDATE ? "Update" : "Append";
}

/* The aggregate stage nearest above `st`, or NULL; *more is set when
 * another one is above that. */
static const struct sluice_stage *aggregation_above(const struct sluice_stage *st,
                                                    const struct sluice_stage **more)
{
    const struct sluice_stage *found = NULL;
    *more = NULL;
    for (const struct sluice_stage *s = st->input; s; s = s->input) {
        if (s->kind != SLUICE_STAGE_AGGREGATE) continue;
        if (found) {
            *more = s;
            break;
        }
        found = s;
    }
    return found;
}

/* A watermark on the aggregation's input or earlier: checked before the
 * plugins open, so the common mistake fails fast; once schemas are known,
 * check_event_time narrows it to Spark's rule. */
static void add_trackers_from(struct sluice_stage *s, struct sluice_watermark_tracker ***out, size_t *n);

static bool watermark_above(const struct sluice_stage *agg)
{
    struct sluice_watermark_tracker **t;
    size_t n = sluice_graph_trackers_above(agg, &t);
    /* In a group, a hop source is given the watermark of the rows it
     * carries when it opens (graph_group.c). */
    if (!n && agg->input && agg->input->hop) add_trackers_from(agg->input->hop->rows_of, &t, &n);
    free(t);
    return n > 0;
}

/* An aggregate stage above a union, on any of its inputs: Spark would
 * count two streaming aggregations, or one whose result is unioned with a
 * stream, neither of which sluice runs. */
static const struct sluice_stage *aggregate_above_union(const struct sluice_stage *st)
{
    for (size_t m = 0; m < st->n_inputs; m++)
        for (const struct sluice_stage *s = st->inputs[m]; s; s = s->input) {
            if (s->kind == SLUICE_STAGE_AGGREGATE) return s;
            const struct sluice_stage *deeper = aggregate_above_union(s);
            if (deeper) return deeper;
        }
    return NULL;
}

/* The nearest stream-stream join above `st`, through every input. */
static const struct sluice_stage *stream_join_above(const struct sluice_stage *st)
{
    for (const struct sluice_stage *s = st->input; s; s = s->input) {
        if (s->kind == SLUICE_STAGE_STREAM_JOIN) return s;
        for (size_t m = 1; m < s->n_inputs; m++) {
            if (s->inputs[m]->kind == SLUICE_STAGE_STREAM_JOIN) return s->inputs[m];
            const struct sluice_stage *deeper = stream_join_above(s->inputs[m]);
            if (deeper) return deeper;
        }
    }
    return NULL;
}

/* Unions and stream-stream joins read streams: sluice runs an aggregation
 * after them, once. */
static int check_unions(const struct sluice_graph *g, struct sluice_error *err)
{
    for (size_t k = 0; k < g->n_stages; k++) {
        const struct sluice_stage *st = &g->stages[k];
        if ((st->kind != SLUICE_STAGE_UNION && st->kind != SLUICE_STAGE_STREAM_JOIN) || !st->feeds_sink) continue;
        const struct sluice_stage *agg = aggregate_above_union(st);
        if (agg && st->kind == SLUICE_STAGE_STREAM_JOIN) {
            sluice_error_at(err, SLUICE_ECONFIG, config_setting_get_member(st->setting, "join"),
                            "stream-stream join '%s' reads the result of aggregate stage '%s': a join of a streaming "
                            "aggregation's result is not supported", st->name, agg->name);
            sluice_error_hint(err, "join the streams first, then aggregate the join");
            return SLUICE_ECONFIG;
        }
        if (agg) {
            sluice_error_at(err, SLUICE_ECONFIG, config_setting_get_member(st->setting, "input"),
                            "union '%s' reads the result of aggregate stage '%s': a union of streaming aggregation "
                            "results is not supported", st->name, agg->name);
            sluice_error_hint(err, "union the streams first, then aggregate the union");
            return SLUICE_ECONFIG;
        }
        if (g->runtime.group) {
            sluice_error_where(err, SLUICE_ECONFIG, &g->runtime.group_where,
                               "runtime.group runs one source per member query, and union '%s' reads several",
                               st->name);
            sluice_error_hint(err, "run this pipeline without runtime.group");
            return SLUICE_ECONFIG;
        }
    }
    return SLUICE_OK;
}

/* The output mode of the sinks an aggregate stage feeds (they agree once
 * check_output_modes passed); complete when none reads it. */
static enum sluice_output_mode aggregation_mode(const struct sluice_graph *g, const struct sluice_stage *agg)
{
    for (size_t k = 0; k < g->n_stages; k++) {
        const struct sluice_stage *st = &g->stages[k], *more;
        if (st->kind == SLUICE_STAGE_SINK && aggregation_above(st, &more) == agg) return st->mode;
    }
    return SLUICE_MODE_COMPLETE;
}

/* Every output-mode rule in one place: Spark's UnsupportedOperationChecker
 * in its order, with its wording so users can search for it, then the
 * sink's own modes, then one mode per aggregation. */
static int check_output_modes(const struct sluice_graph *g, struct sluice_error *err)
{
    /* Per aggregate stage: the first sink reading it. */
    const struct sluice_stage **reader = sluice_xcalloc(g->n_stages, sizeof *reader);
    int rc = SLUICE_OK;
    for (size_t k = 0; k < g->n_stages && !rc; k++) {
        const struct sluice_stage *st = &g->stages[k];
        if (st->kind != SLUICE_STAGE_SINK) continue;
        const config_setting_t *where = st->mode_setting ? st->mode_setting : st->setting;
        const struct sluice_stage *more;
        const struct sluice_stage *agg = aggregation_above(st, &more);
        if (more) {
            rc = sluice_error_at(err, SLUICE_ECONFIG, agg->setting,
                                 "Multiple streaming aggregations are not supported with streaming "
                                 "DataFrames/Datasets");
            sluice_error_hint(err, "stage '%s' aggregates the output of aggregate stage '%s'", agg->name,
                              more->name);
            break;
        }
        if (st->mode == SLUICE_MODE_APPEND && agg && !watermark_above(agg)) {
            rc = sluice_error_at(err, SLUICE_ECONFIG, where,
                                 "Append output mode not supported when there are streaming aggregations on "
                                 "streaming DataFrames/DataSets without watermark");
            sluice_error_hint(err, "use output_mode = \"complete\" or \"update\" to see the running result of '%s'",
                              agg->name);
            break;
        }
        const struct sluice_stage *sjoin = stream_join_above(st);
        if (sjoin && st->mode != SLUICE_MODE_APPEND) {
            rc = sluice_error_at(err, SLUICE_ECONFIG, where,
                                 "Join between two streaming DataFrames/Datasets is not supported in %s output mode, "
                                 "only in Append output mode", st->mode == SLUICE_MODE_UPDATE ? "Update" : "Complete");
            sluice_error_hint(err, "stage '%s' joins two streams: its rows come out once, when they are final", sjoin->name);
            break;
        }
        if (st->mode == SLUICE_MODE_COMPLETE && !agg) {
            rc = sluice_error_at(err, SLUICE_ECONFIG, where,
                                 "Complete output mode not supported when there are no streaming "
                                 "aggregations on streaming DataFrames/Datasets");
            break;
        }
        /* A sink that names no modes takes append, which every sink can serve. */
        unsigned accepted = st->plugin->modes ? st->plugin->modes : SLUICE_MODE_APPEND;
        /* Update without aggregation is allowed and acts as append, as in
         * Spark, but only on a sink that accepts update: Spark's file sink
         * refuses it whatever the query. */
        if (!(accepted & st->mode)) {
            rc = sluice_error_at(err, SLUICE_ECONFIG, where, "Data source %s does not support %s output mode",
                                 st->plugin->name, spark_mode_name(st->mode));
            break;
        }
        if (!agg) continue;
        /* Spark runs each sink as its own query with its own state; here
         * sinks share the aggregate stage's state, and what it keeps (and
         * later evicts) depends on the mode. */
        const struct sluice_stage **first = &reader[agg - g->stages];
        if (*first && (*first)->mode != st->mode) {
            rc = sluice_error_at(err, SLUICE_ECONFIG, where,
                                 "sinks '%s' (%s) and '%s' (%s) read aggregate stage '%s' in different output modes",
                                 (*first)->name, spark_mode_name((*first)->mode), st->name,
                                 spark_mode_name(st->mode), agg->name);
            sluice_error_hint(err, "give each output mode its own aggregate stage");
            break;
        }
        if (!*first) *first = st;
    }
    free((void *)reader);
    return rc;
}

/* An error from a plugin or the host carries no config location: give it the stage's. */
static int stage_error(const struct sluice_stage *st, const config_setting_t *where, int rc,
                       struct sluice_error *e, struct sluice_error *err)
{
    if (!e->message[0])
        snprintf(e->message, sizeof e->message, "%s plugin '%s' failed with status %d",
                 sluice_registry_kind_name(st->plugin->kind), st->plugin->name, rc);
    /* A plugin names the option its error is about in e->key: point at it. */
    if (!where && e->key[0]) where = config_setting_get_member(st->setting, e->key);
    sluice_config_error_locate(e, rc, where ? where : st->setting);
    sluice_error_stage(e, st->name);
    if (err) *err = *e;
    return rc;
}

static int check_watermark(const struct sluice_stage *st, struct sluice_error *err)
{
    const config_setting_t *col_setting = config_setting_get_member(st->watermark.setting, "column");
    struct sluice_col col;
    struct sluice_error e = { 0 };
    int rc = sluice_col_resolve(&st->ctx.output_schema, st->watermark.column, &col, &e);
    if (rc != SLUICE_OK) return stage_error(st, col_setting, rc, &e, err);
    if (col.type != SLUICE_TYPE_TIMESTAMP)
        return sluice_error_at(err, SLUICE_ECONFIG, col_setting,
                               "Event time must be defined on a window or a timestamp, but %s is "
                               "of type %s", st->watermark.column, sluice_type_name(col.type));
    /* The engine reads event times through a compiled column, a batch at
     * a time, on whatever thread runs the stage. */
    struct sluice_watermark *w = (struct sluice_watermark *)&st->watermark;
    rc = sluice_expr_compile(&st->ctx.output_schema, st->watermark.column, &w->time, &e);
    if (rc != SLUICE_OK) return stage_error(st, col_setting, rc, &e, err);
    sluice_watermark_tracker_init(&w->tracker, st->watermark.delay_us);
    w->producer_col = -1;
    return SLUICE_OK;
}

/* ---- event time ---------------------------------------------------------- */

/* The projection-form path of stage st's watermark column. */
static void watermark_path(const struct sluice_stage *st, struct sluice_buf *out)
{
    struct sluice_col col;
    if (sluice_col_resolve(&st->ctx.output_schema, st->watermark.column, &col, NULL) == SLUICE_OK)
        sluice_col_projection_path(&st->ctx.output_schema, &col, out);
}


/* True when `path`, a column of agg's input, is a watermarked column: the
 * very column some stage above declared its watermark on, passed down
 * unchanged (Spark's watermark metadata travels with an attribute the
 * same way, and is lost once an expression computes a new column). */
/* The trackers of `s` and of every stage above it, each once (a union
 * may read one stage twice): through a union, of all its inputs, whose
 * least watermark is the one that holds (Spark's default
 * multipleWatermarkPolicy, min). */
static void add_trackers_from(struct sluice_stage *s, struct sluice_watermark_tracker ***out, size_t *n)
{
    for (; s; s = s->input) {
        bool seen = !s->has_watermark;
        for (size_t i = 0; i < *n && !seen; i++) seen = (*out)[i] == &s->watermark.tracker;
        if (!seen) {
            *out = sluice_xrealloc(*out, (*n + 1) * sizeof **out);
            (*out)[(*n)++] = &s->watermark.tracker;
        }
        for (size_t m = 1; m < s->n_inputs; m++) add_trackers_from(s->inputs[m], out, n);
    }
}

size_t sluice_graph_trackers_above(const struct sluice_stage *st, struct sluice_watermark_tracker ***out)
{
    size_t n = 0;
    *out = NULL;
    add_trackers_from(st->input, out, &n);
    return n;
}

bool sluice_graph_is_watermarked(const struct sluice_stage *agg, const char *path)
{
    return agg->input && sluice_graph_is_watermarked_at(agg->input, path);
}

bool sluice_graph_is_watermarked_at(const struct sluice_stage *from, const char *path)
{
    struct sluice_buf cur = { 0 }, next = { 0 }, wm = { 0 };
    sluice_buf_puts(&cur, path);
    bool found = false;
    for (const struct sluice_stage *s = from; s && !found; s = s->input) {
        if (s->has_watermark) {
            sluice_buf_clear(&wm);
            watermark_path(s, &wm);
            found = wm.data && strcmp(wm.data, cur.data) == 0;
        }
        if (found || !s->input) break;
        sluice_buf_clear(&next);
        if (!sluice_graph_map_through(s, cur.data, &next)) break;
        struct sluice_buf t = cur;
        cur = next;
        next = t;
    }
    sluice_buf_free(&cur);
    sluice_buf_free(&next);
    sluice_buf_free(&wm);
    return found;
}

/* Spark's rules for event time, once every schema is known: in append
 * mode the aggregation must group by a watermarked column (its window or
 * the column itself), else no group would ever be final; in append and
 * update modes that key is what the watermark closes. Also gives the
 * stage the trackers of every watermark above it. */
static int check_event_time(struct sluice_stage *st, struct sluice_error *err)
{
    struct sluice_agg_stage *a = st->agg;
    a->event_key = -1;
    free(a->trackers);
    a->n_trackers = sluice_graph_trackers_above(st, &a->trackers);
    const struct sluice_agg_plan *p = a->plan;
    for (size_t k = 0; k < p->n_keys && a->event_key < 0 && a->mode != SLUICE_MODE_COMPLETE; k++) {
        bool timed = (k == 0 && p->windowed) || sluice_type_of(sluice_expr_result(p->keys[k])) == SLUICE_TYPE_TIMESTAMP;
        if (timed && p->key_paths[k] && sluice_graph_is_watermarked(st, p->key_paths[k])) a->event_key = (int32_t)k;
    }
    if (a->mode != SLUICE_MODE_APPEND || a->event_key >= 0) return SLUICE_OK;
    /* The first sink in append mode takes the blame, as check_output_modes does. */
    const struct sluice_stage *sink = NULL;
    for (size_t i = 0; !sink && i < st->n_outputs; i++) {
        const struct sluice_stage *o = st->outputs[i];
        while (o && o->kind != SLUICE_STAGE_SINK) o = o->n_outputs ? o->outputs[0] : NULL;
        sink = o;
    }
    const config_setting_t *where = sink ? (sink->mode_setting ? sink->mode_setting : sink->setting) : st->setting;
    int rc = sluice_error_at(err, SLUICE_ECONFIG, where,
                             "Append output mode not supported when there are streaming aggregations on "
                             "streaming DataFrames/DataSets without watermark");
    const struct sluice_stage *wm = NULL;
    for (const struct sluice_stage *s = st->input; s && !wm; s = s->input)
        if (s->has_watermark) wm = s;
    sluice_error_hint(err, "'%s' must group by a window on %s, the column stage '%s' declares its watermark on, "
                      "or by that column itself", st->name, wm ? wm->watermark.column : "?", wm ? wm->name : "?");
    return rc;
}

static int open_stage(struct sluice_graph *g, struct sluice_stage *st, struct sluice_error *err)
{
    if ((st->hop && st->hop->rows_of) || st->repartition_of) {
        int rc = st->hop ? sluice_graph_open_group_source(g, st, err) : sluice_graph_open_group_columns(g, st, err);
        if (rc) return rc;
    }
    st->ctx.stage = st;
    st->ctx.host = sluice_host();
    st->ctx.input_schema = st->input ? &st->input->ctx.output_schema : NULL;
    st->ctx.group = g->runtime.group;
    st->ctx.member = g->runtime.member;
    st->ctx.parallelism = g->runtime.threads > 0 ? g->runtime.threads : 1;
    if (st->kind == SLUICE_STAGE_AGGREGATE) {
        int rc = sluice_agg_load_open(st, g->registry, g->runtime.shuffle_partitions,
                                       aggregation_mode(g, st), err);
        if (rc == SLUICE_OK && st->has_watermark) rc = check_watermark(st, err);
        return rc;
    }
    if (st->kind == SLUICE_STAGE_DEDUP || st->kind == SLUICE_STAGE_JOIN || st->kind == SLUICE_STAGE_UNION ||
        st->kind == SLUICE_STAGE_STREAM_JOIN) {
        int rc = st->kind == SLUICE_STAGE_DEDUP         ? sluice_dedup_load_open(st, err)
                 : st->kind == SLUICE_STAGE_JOIN        ? sluice_join_load_open(st, err)
                 : st->kind == SLUICE_STAGE_STREAM_JOIN ? sluice_stream_join_load_open(st, err)
                                                        : sluice_union_load_open(st, err);
        if (rc == SLUICE_OK && st->has_watermark) rc = check_watermark(st, err);
        return rc;
    }
    struct sluice_error e = { 0 };
    int rc = st->plugin->open(st->ctx.host, st->conf, &st->ctx, &st->state, &e);
    if (rc != SLUICE_OK) return stage_error(st, NULL, rc, &e, err);
    st->opened = true;
    if (st->kind != SLUICE_STAGE_SINK && !st->ctx.output_schema.release)
        return sluice_error_at(err, SLUICE_EPLUGIN, st->setting,
                               "%s plugin '%s' (%s) declared no output schema in open()",
                               sluice_registry_kind_name(st->plugin->kind), st->plugin->name, st->plugin_file);
    rc = st->has_watermark ? check_watermark(st, err) : SLUICE_OK;
    if (!rc && st->hop && st->hop->rows_of) sluice_graph_group_source_opened(g, st);
    return rc;
}

/* What a source stored in the checkpoint is what its prepare() reads, so
 * replaying a batch planned before a crash needs no latest_offset first
 * (plugin.h). One query per source that feeds a sink, as the engine runs them. */
static int attach_checkpoint(struct sluice_graph *g, struct sluice_stage *st, struct sluice_error *err)
{
    int rc = sluice_checkpoint_prepare_source(g->runtime.checkpoint, st, sluice_graph_queries(g) > 1, g->check_only,
                                              err);
    if (rc) {
        sluice_error_locate(err, &g->runtime.checkpoint_where);
        sluice_error_stage(err, st->name);
    }
    return rc;
}

/* runtime.group: every source the members run must share its input
 * among them (host->group_join), or each member would read all of it. */
static int check_group_sources(const struct sluice_graph *g, struct sluice_error *err)
{
    for (size_t k = 0; k < g->n_stages && g->runtime.group; k++) {
        const struct sluice_stage *st = &g->stages[k];
        if (st->kind != SLUICE_STAGE_SOURCE || !st->feeds_sink || st->ctx.group_joined) continue;
        sluice_error_where(err, SLUICE_ECONFIG, &g->runtime.group_where,
                           "runtime.group shares the input among the members, and source '%s' (%s) cannot share "
                           "its input: every member would read all of it", st->name, st->plugin_name);
        sluice_error_hint(err, "a group reads a source that has consumer groups (kafka); run this pipeline "
                               "without runtime.group");
        return SLUICE_ECONFIG;
    }
    return SLUICE_OK;
}

int sluice_graph_open(struct sluice_graph *g, struct sluice_error *err)
{
    if (g->opened) return SLUICE_OK;
    /* Before anything compiles: a timestamp literal is read in the session's zone. */
    sluice_tz_set_session(g->tz); /* NULL: UTC, also after a reload from a zone */
    g->tz = NULL;
    int rc = check_unions(g, err);
    if (rc == SLUICE_OK) rc = check_output_modes(g, err);
    /* Static tables first: a join's output holds their columns. */
    for (size_t k = 0; k < g->n_stages && rc == SLUICE_OK; k++)
        if (g->stages[k].is_static) rc = open_stage(g, &g->stages[k], err);
    for (size_t k = 0; k < g->n_stages && rc == SLUICE_OK; k++)
        if (!g->stages[k].is_static) rc = open_stage(g, &g->stages[k], err);
    if (rc == SLUICE_OK) rc = check_group_sources(g, err);
    for (size_t k = 0; k < g->n_stages && rc == SLUICE_OK; k++)
        if (g->stages[k].kind == SLUICE_STAGE_AGGREGATE && g->stages[k].agg) rc = check_event_time(&g->stages[k], err);
        else if (g->stages[k].kind == SLUICE_STAGE_DEDUP && g->stages[k].dedup)
            rc = sluice_dedup_load_event_time(&g->stages[k], g->check_only, err);
        else if (g->stages[k].kind == SLUICE_STAGE_STREAM_JOIN && g->stages[k].sjoin)
            rc = sluice_stream_join_load_event_time(&g->stages[k], g->check_only, err);
    if (rc == SLUICE_OK) sluice_graph_compute_projections(g);
    for (size_t k = 0; k < g->n_stages && rc == SLUICE_OK; k++) {
        struct sluice_stage *st = &g->stages[k];
        if (st->kind != SLUICE_STAGE_SOURCE) continue;
        if (g->runtime.checkpoint && st->feeds_sink) rc = attach_checkpoint(g, st, err);
        if (rc) break;
        struct sluice_error e = { 0 };
        rc = st->plugin->prepare(st->state, &g->projections[k], &e);
        if (rc != SLUICE_OK) rc = stage_error(st, NULL, rc, &e, err);
    }
    /* Each static table a running join names, read whole once (Spark's spark.read). */
    for (size_t k = 0; k < g->n_stages && rc == SLUICE_OK; k++)
        if (g->stages[k].kind == SLUICE_STAGE_JOIN && g->stages[k].feeds_sink) rc = sluice_join_load_table(&g->stages[k], err);
    if (rc == SLUICE_OK) g->opened = true;
    return rc;
}

size_t sluice_graph_queries(const struct sluice_graph *g)
{
    size_t n = 0;
    for (size_t k = 0; k < g->n_stages; k++) {
        const struct sluice_stage *st = &g->stages[k];
        n += st->kind == SLUICE_STAGE_SOURCE && st->feeds_sink && sluice_stage_lead(st) == st;
    }
    return n;
}

const struct sluice_projection *sluice_graph_projection(const struct sluice_graph *g,
                                                        const struct sluice_stage *stage)
{
    if (!g->projections || stage < g->stages || stage >= g->stages + g->n_stages) return NULL;
    return &g->projections[stage - g->stages];
}
