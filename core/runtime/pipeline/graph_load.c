/* Loading a pipeline: config, runtime, stages, inputs, cycles, plugins and
 * their options. Opening is in graph_open.c, plans in graph_describe.c. */
#include "graph.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "agg_load.h"
#include "dedup_load.h"
#include "join_load.h"
#include "union_load.h"
#include "agg_stage.h"
#include "bytesize.h"
#include "config.h"
#include "duration.h"
#include "error.h"
#include "expr.h"
#include "graph_priv.h"
#include "log.h"
#include "mem.h"
#include "netaddr.h"
#include "option_table.h"
#include "retry.h"
#include "suggest.h"

static const char *const top_keys[] = { "name", "runtime", "stages" };
static const char *const kind_keys[] = { "source", "transform", "aggregate", "sink" };
/* Indexed by enum sluice_stage_kind. */
static const uint32_t plugin_kinds[] = { SLUICE_KIND_SOURCE, SLUICE_KIND_TRANSFORM, 0,
                                                 SLUICE_KIND_SINK };
/* The stage keys the graph reads (sluice_option_table_core_keys);
 * everything else belongs to the plugin. */

/* Every late_output names a stage, before stages are checked one by one
 * (a misspelt name would otherwise show as its stage missing an input). */
static int check_late_names(const config_setting_t *list, struct sluice_error *err)
{
    int n = config_setting_length(list);
    const char **names = sluice_xcalloc((size_t)n + 1, sizeof *names);
    size_t m = 0;
    for (int i = 0; i < n; i++) {
        const char *name;
        const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
        if (config_setting_is_group(g) && config_setting_lookup_string(g, "name", &name)) names[m++] = name;
    }
    int rc = SLUICE_OK;
    for (int i = 0; i < n && !rc; i++) {
        const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
        const config_setting_t *late = config_setting_is_group(g) ? config_setting_get_member(g, "late_output") : NULL;
        const char *want = late && config_setting_type(late) == CONFIG_TYPE_STRING ? config_setting_get_string(late) : NULL;
        if (!want) continue;
        bool found = false;
        for (size_t k = 0; k < m && !found; k++) found = strcmp(names[k], want) == 0;
        if (found) continue;
        rc = sluice_error_at(err, SLUICE_ECONFIG, late, "late_output names no stage: '%s'", want);
        const char *close = sluice_suggest(want, names, m);
        if (close) sluice_error_hint(err, "did you mean '%s'?", close);
        else sluice_error_hint(err, "add a stage { name = \"%s\"; sink = \"...\"; } with no input", want);
    }
    free(names);
    return rc;
}

/* Whether some aggregate stage in `list` names `name` as its late_output:
 * such a stage reads those rows and has no input of its own. */
static bool fed_late_rows(const config_setting_t *list, const char *name)
{
    for (int i = 0; i < config_setting_length(list); i++) {
        const char *late = NULL;
        const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
        if (config_setting_is_group(g) && config_setting_lookup_string(g, "late_output", &late) &&
            strcmp(late, name) == 0)
            return true;
    }
    return false;
}

/* --set stage.KEY addresses stages by name, so names stay simple words. */
static bool valid_stage_name(const char *n)
{
    for (const char *p = n; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-'))
            return false;
    return n[0] != '\0';
}

/* The keys every kind of stage may have: output_mode, watermark, static. */
static int load_stage_keys(struct sluice_stage *st, const config_setting_t *group, struct sluice_error *err)
{
    int rc;
    st->mode = SLUICE_MODE_APPEND;
    const config_setting_t *mode = config_setting_get_member(group, "output_mode");
    if (mode && (rc = sluice_graph_load_output_mode(st, mode, err)) != SLUICE_OK) return rc;
    const config_setting_t *wm = config_setting_get_member(group, "watermark");
    if (wm && (rc = sluice_graph_load_watermark(st, wm, err)) != SLUICE_OK) return rc;
    const config_setting_t *static_setting = config_setting_get_member(group, "static");
    if (static_setting && (rc = sluice_graph_load_static(st, static_setting, err)) != SLUICE_OK) return rc;
    return SLUICE_OK;
}

/* Name, kind, input, output_mode and watermark of stage `i`; plugins later. */
static int load_stage_shape(struct sluice_stage *stages, struct sluice_graph_pending *pend, size_t i,
                            const config_setting_t *group, struct sluice_error *err)
{
    struct sluice_stage *st = &stages[i];
    st->setting = group;
    if (!config_setting_is_group(group))
        return sluice_graph_expected(err, group, "a stage group such as { name = \"out\"; input = \"...\"; sink = \"console\"; }");
    const config_setting_t *name = config_setting_get_member(group, "name");
    if (!name) {
        sluice_error_at(err, SLUICE_ECONFIG, group, "missing key 'name'");
        sluice_error_hint(err, "every stage needs a unique name = \"...\";");
        return SLUICE_ECONFIG;
    }
    int rc = sluice_graph_get_string(name, &st->name, err);
    if (rc != SLUICE_OK) return rc;
    if (!valid_stage_name(st->name) || strcmp(st->name, "runtime") == 0) {
        sluice_error_at(err, SLUICE_ECONFIG, name, "bad stage name '%s'", st->name);
        sluice_error_hint(err, "use letters, digits, '_' and '-', and not 'runtime', so "
                               "--set NAME.key=value can address the stage");
        return SLUICE_ECONFIG;
    }
    for (size_t j = 0; j < i; j++) {
        if (strcmp(stages[j].name, st->name) == 0)
            return sluice_error_at(err, SLUICE_ECONFIG, name,
                                   "duplicate stage name '%s' (first defined at line %u)", st->name,
                                   config_setting_source_line(stages[j].setting));
    }

    const config_setting_t *kind_setting = NULL;
    for (int m = 0; m < config_setting_length(group); m++) {
        const config_setting_t *s = config_setting_get_elem(group, (unsigned)m);
        for (size_t k = 0; k < N_ELEMS(kind_keys); k++) {
            if (strcmp(config_setting_name(s), kind_keys[k]) != 0) continue;
            if (kind_setting) {
                sluice_error_at(err, SLUICE_ECONFIG, s, "both '%s' and '%s' given",
                                config_setting_name(kind_setting), kind_keys[k]);
                sluice_error_hint(err, "a stage has exactly one of source, transform, sink or aggregate");
                return SLUICE_ECONFIG;
            }
            kind_setting = s;
            st->kind = (enum sluice_stage_kind)k; /* kind_keys follows enum sluice_stage_kind */
        }
    }
    const config_setting_t *join = config_setting_get_member(group, "join");
    if (join && kind_setting) {
        sluice_error_at(err, SLUICE_ECONFIG, join, "both '%s' and 'join' given", config_setting_name(kind_setting));
        sluice_error_hint(err, "a join is a stage of its own: { name = \"j\"; input = \"...\"; join = { ... }; }");
        return SLUICE_ECONFIG;
    }
    if (join) {
        /* The core's own stage: a stream joined with a static table. */
        st->kind = SLUICE_STAGE_JOIN;
        rc = sluice_join_load_check(join, &pend[i].with_name, err);
        if (rc != SLUICE_OK) return rc;
        pend[i].with_setting = config_setting_get_member(join, "with");
        for (int m = 0; m < config_setting_length(group); m++) {
            const config_setting_t *s = config_setting_get_elem(group, (unsigned)m);
            static const char *const keys[] = { "name", "input", "join", "watermark" };
            bool known = false;
            for (size_t k = 0; k < N_ELEMS(keys) && !known; k++) known = strcmp(config_setting_name(s), keys[k]) == 0;
            if (!known) return sluice_graph_unknown_key(err, s, keys, N_ELEMS(keys), "a join stage's");
        }
    } else if (!kind_setting) {
        /* Keys of an aggregate stage without its aggregate list: say that,
         * not what a source or sink would need. */
        static const char *const agg_only[] = { "group_by", "cube", "rollup", "window" };
        for (size_t k = 0; k < N_ELEMS(agg_only); k++) {
            const config_setting_t *s = config_setting_get_member(group, agg_only[k]);
            if (!s) continue;
            sluice_error_at(err, SLUICE_ECONFIG, s, "'%s' needs 'aggregate' in the same stage", agg_only[k]);
            sluice_error_hint(err, "an aggregate stage lists what to compute, as Spark's agg(): "
                                   "aggregate = [\"count(*) AS count\"];");
            return SLUICE_ECONFIG;
        }
        sluice_error_at(err, SLUICE_ECONFIG, group,
                        "expected one of source, transform, sink or aggregate");
        sluice_error_hint(err, "e.g. source = \"file\"; or sink = \"console\";");
        return SLUICE_ECONFIG;
    }
    if (st->kind == SLUICE_STAGE_AGGREGATE) {
        /* The core's own stage: its keys are checked here, compiled at open. */
        rc = sluice_agg_load_check(group, err);
        if (rc != SLUICE_OK) return rc;
    } else if (st->kind != SLUICE_STAGE_JOIN) {
        if (config_setting_type(kind_setting) != CONFIG_TYPE_STRING || !config_setting_get_string(kind_setting)[0])
            return sluice_graph_expected(err, kind_setting, "a plugin name such as \"file\"");
        st->plugin_name = config_setting_get_string(kind_setting);
        /* Keyed state across batches is the core's, as aggregation is. */
        if (st->kind == SLUICE_STAGE_TRANSFORM && strcmp(st->plugin_name, SLUICE_DEDUP_TRANSFORM) == 0) {
            st->kind = SLUICE_STAGE_DEDUP;
            rc = sluice_dedup_load_check(group, &st->state_spec, err);
            if (rc != SLUICE_OK) return rc;
        }
        /* Several streams as one: the core's, since it joins their queries. */
        if (st->kind == SLUICE_STAGE_TRANSFORM && sluice_union_load_is_union(st->plugin_name)) {
            st->kind = SLUICE_STAGE_UNION;
            rc = sluice_union_load_check(group, &pend[i].input_names, &pend[i].n_inputs, err);
            if (rc != SLUICE_OK) return rc;
        }
    }

    const config_setting_t *input = config_setting_get_member(group, "input");
    bool late = fed_late_rows(config_setting_parent(group), st->name);
    if (late && (st->kind == SLUICE_STAGE_SOURCE || input)) {
        sluice_error_at(err, SLUICE_ECONFIG, input ? input : group,
                        "stage '%s' reads the late rows of an aggregate stage (its late_output), so it takes no %s",
                        st->name, input ? "input" : "source");
        sluice_error_hint(err, "a late_output stage is a sink or a transform: remove its input");
        return SLUICE_ECONFIG;
    }
    if (st->kind == SLUICE_STAGE_AGGREGATE) {
        pend[i].late_setting = config_setting_get_member(group, "late_output");
        if (pend[i].late_setting && (rc = sluice_graph_get_string(pend[i].late_setting, &pend[i].late_name, err))) return rc;
    }
    if (st->kind == SLUICE_STAGE_SOURCE && input) {
        sluice_error_at(err, SLUICE_ECONFIG, input, "a source stage takes no 'input'");
        sluice_error_hint(err, "remove it, or make the stage a transform");
        return SLUICE_ECONFIG;
    }
    if (st->kind != SLUICE_STAGE_SOURCE && !late) {
        if (!input) {
            sluice_error_at(err, SLUICE_ECONFIG, group, "missing key 'input'");
            sluice_error_hint(err, "name the stage this one reads: input = \"...\";");
            return SLUICE_ECONFIG;
        }
        pend[i].input_setting = input;
        if (st->kind == SLUICE_STAGE_UNION) return load_stage_keys(st, group, err);
        if (config_setting_is_list(input) || config_setting_is_array(input)) {
            int rc2 = sluice_graph_expected(err, input, "the name of one stage");
            sluice_error_hint(err, "a union reads several: transform = \"union\"; input = [\"a\", \"b\"];");
            return rc2;
        }
        pend[i].input_names = sluice_xcalloc(1, sizeof *pend[i].input_names);
        pend[i].n_inputs = 1;
        rc = sluice_graph_get_string(input, &pend[i].input_names[0], err);
        if (rc != SLUICE_OK) return rc;
    }
    return load_stage_keys(st, group, err);
}

static int resolve_inputs(struct sluice_stage *stages, struct sluice_graph_pending *pend, size_t n,
                          struct sluice_error *err)
{
    const char **names = sluice_xcalloc(n, sizeof *names);
    for (size_t i = 0; i < n; i++) names[i] = stages[i].name;
    int rc = SLUICE_OK;
    for (size_t i = 0; i < n; i++) pend[i].late_of = -1;
    /* A late stage comes after its aggregate stage, as a reader would. */
    for (size_t i = 0; i < n && rc == SLUICE_OK; i++) {
        if (!pend[i].late_name) continue;
        long j = -1;
        for (size_t k = 0; k < n; k++)
            if (strcmp(names[k], pend[i].late_name) == 0) j = (long)k;
        if (j < 0) continue; /* check_late_names has refused it */
        if (pend[j].late_of >= 0) {
            rc = sluice_error_at(err, SLUICE_ECONFIG, pend[i].late_setting, "stage '%s' already reads the late rows of '%s'",
                                 pend[i].late_name, names[pend[j].late_of]);
        } else {
            pend[j].late_of = (long)i;
        }
    }
    for (size_t i = 0; i < n && rc == SLUICE_OK; i++) {
        struct sluice_graph_pending *p = &pend[i];
        if (p->late_of >= 0) {
            p->inputs = sluice_xcalloc(1, sizeof *p->inputs);
            p->inputs[p->n_in++] = p->late_of;
        }
        if (!p->n_inputs) continue;
        p->inputs = sluice_xcalloc(p->n_inputs, sizeof *p->inputs);
        for (size_t k = 0; k < p->n_inputs && rc == SLUICE_OK; k++) {
            const char *want = p->input_names[k];
            long j = -1;
            for (size_t m = 0; m < n; m++)
                if (strcmp(names[m], want) == 0) j = (long)m;
            p->inputs[p->n_in++] = j;
            if (j < 0) {
                rc = sluice_error_at(err, SLUICE_ECONFIG, p->input_setting, "unknown input stage '%s'", want);
                const char *close = sluice_suggest(want, names, n);
                if (close) sluice_error_hint(err, "did you mean '%s'?", close);
            } else if (stages[j].kind == SLUICE_STAGE_SINK) {
                rc = sluice_error_at(err, SLUICE_ECONFIG, p->input_setting,
                                     "input '%s' is a sink stage, which has no output", want);
            } else if (stages[j].is_static) {
                rc = sluice_error_at(err, SLUICE_ECONFIG, p->input_setting,
                                     "input '%s' is a static table, read once: it is no stream to read", want);
                sluice_error_hint(err, "join a stream with it: join = { with = \"%s\"; on = \"...\"; }", want);
            }
        }
    }
    /* A join's `with`: a static source. */
    for (size_t i = 0; i < n && rc == SLUICE_OK; i++) {
        if (!pend[i].with_name) continue;
        long j = -1;
        for (size_t k = 0; k < n; k++)
            if (strcmp(names[k], pend[i].with_name) == 0) j = (long)k;
        if (j < 0) {
            rc = sluice_error_at(err, SLUICE_ECONFIG, pend[i].with_setting, "unknown stage '%s'", pend[i].with_name);
            const char *close = sluice_suggest(pend[i].with_name, names, n);
            if (close) sluice_error_hint(err, "did you mean '%s'?", close);
        } else if (stages[j].kind == SLUICE_STAGE_SINK) {
            rc = sluice_error_at(err, SLUICE_ECONFIG, pend[i].with_setting,
                                 "stage '%s' is a sink stage, which has no output", pend[i].with_name);
        } else if (!stages[j].is_static && pend[i].n_in == 1 && pend[i].inputs[0] == j) {
            rc = sluice_error_at(err, SLUICE_ECONFIG, pend[i].with_setting,
                                 "a stream-stream join of stage '%s' with itself is not supported", pend[i].with_name);
            sluice_error_hint(err, "read the stream with a second source stage and join the two");
        } else if (!stages[j].is_static) {
            /* A stream: both sides run as one query, the join's second input. */
            stages[i].kind = SLUICE_STAGE_STREAM_JOIN;
            pend[i].inputs = sluice_xrealloc(pend[i].inputs, (pend[i].n_in + 1) * sizeof *pend[i].inputs);
            pend[i].inputs[pend[i].n_in++] = j;
        }
    }
    free(names);
    return rc;
}

static int load_plugin(struct sluice_graph *g, struct sluice_stage *st, struct sluice_error *err)
{
    if (st->kind == SLUICE_STAGE_AGGREGATE) return SLUICE_OK; /* aggregators are found at open */
    if (st->kind == SLUICE_STAGE_DEDUP || st->kind == SLUICE_STAGE_JOIN || st->kind == SLUICE_STAGE_UNION ||
        st->kind == SLUICE_STAGE_STREAM_JOIN)
        return SLUICE_OK; /* the core's own */
    const config_setting_t *kind_setting =
        config_setting_get_member(st->setting, kind_keys[st->kind]);
    const struct sluice_loaded *l;
    struct sluice_error e = { 0 };
    int rc = sluice_registry_find(g->registry, plugin_kinds[st->kind], st->plugin_name, &l, &e);
    if (rc != SLUICE_OK) {
        sluice_config_error_locate(&e, rc, kind_setting);
        if (err) *err = e;
        return rc;
    }
    st->plugin = l->plugin;
    st->plugin_file = l->path;
    st->conf = sluice_xcalloc(1, l->plugin->conf_size ? l->plugin->conf_size : 1);
    return sluice_options_apply(l->plugin, st->setting, sluice_option_table_core_keys, st->conf, &g->storage, err);
}

/* Each stage's query, named by its first source: a union's inputs run as
 * one query, so the sources above them share one. Stages are in
 * topological order, so an input's lead is known before its readers'. */
static void assign_leads(struct sluice_graph *g)
{
    for (size_t k = 0; k < g->n_stages; k++) {
        struct sluice_stage *st = &g->stages[k];
        st->lead = st->input ? st->input->lead : st->late_of ? st->late_of->lead : st;
        for (size_t m = 1; m < st->n_inputs; m++) {
            struct sluice_stage *a = st->lead, *b = st->inputs[m]->lead;
            if (a == b) continue;
            struct sluice_stage *keep = a < b ? a : b, *drop = a < b ? b : a;
            for (size_t j = 0; j <= k; j++)
                if (g->stages[j].lead == drop) g->stages[j].lead = keep;
        }
    }
}

static void free_pending(struct sluice_graph_pending *pend, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(pend[i].input_names);
        free(pend[i].inputs);
    }
    free(pend);
}

static int load_stages(struct sluice_graph *g, const config_setting_t *list, struct sluice_error *err)
{
    const config_setting_t *root = config_root_setting(g->config);
    if (!list) {
        sluice_error_at(err, SLUICE_ECONFIG, root, "missing key 'stages'");
        sluice_error_hint(err, "stages = ( { name = \"in\"; source = \"file\"; ... }, ... );");
        return SLUICE_ECONFIG;
    }
    if (!config_setting_is_list(list) || config_setting_length(list) == 0)
        return sluice_graph_expected(err, list, "a non-empty list of stages ( { ... }, { ... } )");
    size_t n = (size_t)config_setting_length(list);
    int rc = check_late_names(list, err);
    if (rc != SLUICE_OK) return rc;
    struct sluice_stage *tmp = sluice_xcalloc(n, sizeof *tmp);
    struct sluice_graph_pending *pend = sluice_xcalloc(n, sizeof *pend);
    for (size_t i = 0; i < n && rc == SLUICE_OK; i++)
        rc = load_stage_shape(tmp, pend, i, config_setting_get_elem(list, (unsigned)i), err);
    if (rc == SLUICE_OK) rc = resolve_inputs(tmp, pend, n, err);
    if (rc == SLUICE_OK) rc = sluice_graph_find_cycle(tmp, pend, n, err);
    bool any_sink = false;
    for (size_t i = 0; i < n && rc == SLUICE_OK; i++) any_sink |= tmp[i].kind == SLUICE_STAGE_SINK;
    if (rc == SLUICE_OK && !any_sink) {
        rc = sluice_error_at(err, SLUICE_ECONFIG, list, "no sink stage: nothing would run");
        sluice_error_hint(err, "add a stage such as { name = \"out\"; input = \"...\"; sink = \"console\"; }");
    }
    /* Spark refuses a file sink without a checkpoint location: the sink
     * skips batch ids it already committed, so a restart without one would
     * begin again at batch 0 and silently drop batches. */
    for (size_t i = 0; i < n && rc == SLUICE_OK && !g->runtime.checkpoint; i++) {
        if (tmp[i].kind != SLUICE_STAGE_SINK || strcmp(tmp[i].plugin_name, "file") != 0) continue;
        const config_setting_t *at = config_setting_get_member(tmp[i].setting, "sink");
        rc = sluice_error_at(err, SLUICE_ECONFIG, at ? at : tmp[i].setting,
                             "checkpoint location must be specified through runtime.checkpoint");
        sluice_error_hint(err, "the file sink writes each batch id once, so it needs a checkpoint to resume "
                               "from: add checkpoint = \"state/%s\"; to runtime, or --set runtime.checkpoint=DIR",
                          g->name);
    }
    for (size_t i = 0; i < n && rc == SLUICE_OK; i++) rc = load_plugin(g, &tmp[i], err);
    if (rc != SLUICE_OK) {
        for (size_t i = 0; i < n; i++) free(tmp[i].conf);
        free(tmp);
        free_pending(pend, n);
        return rc;
    }

    size_t *order = sluice_graph_topological_order(pend, n);
    size_t *pos = sluice_xcalloc(n, sizeof *pos);
    for (size_t k = 0; k < n; k++) pos[order[k]] = k;
    g->stages = sluice_xcalloc(n, sizeof *g->stages);
    g->n_stages = n;
    for (size_t k = 0; k < n; k++) {
        struct sluice_stage *st = &g->stages[k];
        *st = tmp[order[k]];
        st->ctx.stage = st;
        st->ctx.tables = g->tables;
        const struct sluice_graph_pending *p = &pend[order[k]];
        st->input = p->n_in ? &g->stages[pos[p->inputs[0]]] : NULL;
        if (p->late_of >= 0) {
            /* It reads what its aggregate stage drops as late: rows of that
             * stage's input (whose columns it types and projects against). */
            st->late_of = st->input;
            st->late_of->late_output = st;
            st->input = st->late_of->input;
            continue;
        }
        if (st->kind == SLUICE_STAGE_UNION || st->kind == SLUICE_STAGE_STREAM_JOIN) {
            st->n_inputs = p->n_in;
            st->inputs = sluice_xcalloc(p->n_in, sizeof *st->inputs);
        }
        for (size_t m = 0; m < p->n_in; m++) {
            struct sluice_stage *up = &g->stages[pos[p->inputs[m]]];
            if (st->inputs) st->inputs[m] = up;
            up->outputs = sluice_xrealloc(up->outputs, (up->n_outputs + 1) * sizeof *up->outputs);
            up->outputs[up->n_outputs++] = st;
        }
    }
    assign_leads(g);
    for (size_t k = 0; k < n; k++) {
        const char *with = pend[order[k]].with_name;
        for (size_t j = 0; with && j < n; j++)
            if (strcmp(g->stages[j].name, with) == 0) g->stages[k].join_with = &g->stages[j];
    }
    /* Readers come after their input, so one backward sweep settles it. */
    for (size_t k = n; k-- > 0;) {
        struct sluice_stage *st = &g->stages[k];
        st->feeds_sink = st->kind == SLUICE_STAGE_SINK || (st->late_output && st->late_output->feeds_sink);
        for (size_t j = 0; j < st->n_outputs && !st->feeds_sink; j++)
            st->feeds_sink = st->outputs[j]->feeds_sink;
    }
    for (size_t k = 0; k < n; k++) {
        const struct sluice_stage *st = &g->stages[k];
        bool joined = false; /* a static table is read by the joins naming it */
        for (size_t j = 0; j < n && st->is_static && !joined; j++)
            joined = g->stages[j].join_with == st && g->stages[j].feeds_sink;
        if (st->is_static && !joined)
            sluice_log(SLUICE_LOG_WARN, st->name, "no join that runs reads this static table, so it will not be read");
        else if (!st->feeds_sink && !st->is_static)
            sluice_log(SLUICE_LOG_WARN, st->name, "no sink reads this stage, directly or not, so it will not run");
    }
    /* A memory table is read over HTTP only (sluice query included): without
     * a server nothing can ever read it. */
    for (size_t k = 0; k < n && !g->runtime.http; k++) {
        const struct sluice_stage *st = &g->stages[k];
        const char *table = "?";
        if (st->kind != SLUICE_STAGE_SINK || !st->plugin_name || strcmp(st->plugin_name, "memory") != 0) continue;
        config_setting_lookup_string(st->setting, "query_name", &table);
        sluice_log(SLUICE_LOG_WARN, st->name,
                   "memory table '%s' is read over runtime.http (sluice query, GET /tables), which is not set: "
                   "nothing can read it (e.g. runtime.http = \"127.0.0.1:4040\")",
                   table);
    }
    free(order);
    free(pos);
    free(tmp);
    free_pending(pend, n);
    return SLUICE_OK;
}

static int load_top(struct sluice_graph *g, struct sluice_error *err)
{
    const config_setting_t *root = config_root_setting(g->config);
    const config_setting_t *runtime = NULL, *stages = NULL;
    for (int i = 0; i < config_setting_length(root); i++) {
        const config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
        const char *key = config_setting_name(s);
        int rc = SLUICE_OK;
        if (strcmp(key, "name") == 0) rc = sluice_graph_get_string(s, &g->name, err);
        else if (strcmp(key, "runtime") == 0) runtime = s;
        else if (strcmp(key, "stages") == 0) stages = s;
        else rc = sluice_graph_unknown_key(err, s, top_keys, N_ELEMS(top_keys), "top-level");
        if (rc != SLUICE_OK) return rc;
    }
    if (!g->name) {
        const char *base = strrchr(g->path, '/');
        base = base ? base + 1 : g->path;
        const char *dot = strrchr(base, '.');
        g->owned_name = sluice_xstrndup(base, dot && dot != base ? (size_t)(dot - base) : strlen(base));
        g->name = g->owned_name;
    }
    int rc = sluice_graph_load_runtime(g, runtime, err);
    if (rc != SLUICE_OK) return rc;
    g->registry = sluice_registry_new(g->runtime.plugin_path, g->runtime.n_plugin_path);
    sluice_graph_plan_group(g);
    rc = load_stages(g, stages, err);
    if (rc) return rc;
    sluice_graph_link_group(g);
    return sluice_graph_load_group(g, err);
}

static struct sluice_graph *graph_new(char *path, config_t *config)
{
    struct sluice_graph *g = sluice_xcalloc(1, sizeof *g);
    g->owned_path = path;
    g->path = g->owned_path;
    g->config = config;
    g->tables = sluice_tables_new();
    g->progress = sluice_progress_new();
    return g;
}

struct sluice_graph_kept {
    char *path;
    config_t *config;
};

struct sluice_graph_kept *sluice_graph_free_keeping_config(struct sluice_graph *g)
{
    struct sluice_graph_kept *k = sluice_xcalloc(1, sizeof *k);
    k->path = g->owned_path;
    k->config = g->config;
    g->owned_path = NULL;
    g->path = NULL;
    g->config = NULL;
    sluice_graph_free(g);
    return k;
}

int sluice_graph_load_kept(struct sluice_graph_kept *k, struct sluice_graph **out, struct sluice_error *err)
{
    struct sluice_graph *g = graph_new(k->path, k->config);
    free(k);
    int rc = load_top(g, err);
    if (rc != SLUICE_OK) {
        sluice_graph_free(g);
        g = NULL;
    }
    *out = g;
    return rc;
}

void sluice_graph_kept_free(struct sluice_graph_kept *k)
{
    if (!k) return;
    config_destroy(k->config);
    free(k->config);
    free(k->path);
    free(k);
}

int sluice_graph_load(const char *path, const char *const *overrides, size_t n_overrides,
                      struct sluice_graph **out, struct sluice_error *err)
{
    *out = NULL;
    struct sluice_graph *g = graph_new(sluice_xstrdup(path), sluice_xcalloc(1, sizeof(config_t)));
    int rc = sluice_config_read(g->config, path, err);
    for (size_t i = 0; i < n_overrides && rc == SLUICE_OK; i++)
        rc = sluice_config_override(g->config, overrides[i], err);
    if (rc == SLUICE_OK) rc = load_top(g, err);
    if (rc != SLUICE_OK) {
        sluice_graph_free(g);
        return rc;
    }
    *out = g;
    return SLUICE_OK;
}
