/* `sluice check`'s plan: what will run, in the order data flows. */
#include "graph.h"

#include <jansson.h>
#include <libconfig.h>
#include <stdlib.h>
#include <string.h>

#include "agg_stage.h"
#include "bytesize.h"
#include "duration.h"
#include "schema.h"
#include "stream_join_load.h"

static const char *mode_name(enum sluice_output_mode m)
{
    return m == SLUICE_MODE_COMPLETE ? "complete" : m == SLUICE_MODE_UPDATE ? "update" : "append";
}

static const char *stage_kind_name(enum sluice_stage_kind k)
{
    switch (k) {
    case SLUICE_STAGE_SOURCE: return "source";
    case SLUICE_STAGE_TRANSFORM: return "transform";
    case SLUICE_STAGE_AGGREGATE: return "aggregate";
    case SLUICE_STAGE_SINK: return "sink";
    case SLUICE_STAGE_DEDUP: return "transform";
    case SLUICE_STAGE_JOIN: return "join";
    case SLUICE_STAGE_UNION: return "transform";
    case SLUICE_STAGE_STREAM_JOIN: return "join";
    }
    return "stage";
}

/* Append `text` with every line indented by `indent` spaces. */
static void append_indented(struct sluice_buf *out, const char *text, int indent)
{
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len) sluice_buf_printf(out, "%*s%.*s\n", indent, "", (int)len, p);
        p += len + (nl != NULL);
    }
}

static void describe_runtime(const struct sluice_graph *g, struct sluice_buf *out)
{
    const struct sluice_runtime *r = &g->runtime;
    sluice_buf_puts(out, "runtime:\n");
    sluice_buf_printf(out, "  trigger:            %s", r->trigger_text);
    if (r->trigger.kind == SLUICE_TRIGGER_INTERVAL && r->trigger.interval_us == 0)
        sluice_buf_puts(out, " (each batch starts when the last one ends)");
    else if (r->trigger.kind == SLUICE_TRIGGER_ONCE)
        sluice_buf_puts(out, " (one batch, then stop)");
    else if (r->trigger.kind == SLUICE_TRIGGER_AVAILABLE_NOW)
        sluice_buf_puts(out, " (everything available now, then stop)");
    sluice_buf_putc(out, '\n');
    sluice_buf_printf(out, "  threads:            %lld\n", (long long)r->threads);
    sluice_buf_printf(out, "  shuffle partitions: %lld\n", (long long)r->shuffle_partitions);
    sluice_buf_printf(out, "  time zone:          %s%s\n", r->timezone ? r->timezone : "UTC",
                      r->timezone ? "" : " (runtime.timezone)");
    sluice_buf_printf(out, "  checkpoint:         %s\n",
                      r->checkpoint ? r->checkpoint : "none (no recovery after a restart)");
    sluice_buf_printf(out, "  retries:            %lld, waiting ", (long long)r->retry_limit);
    sluice_duration_format(r->retry_backoff_us, out);
    sluice_buf_puts(out, " doubling (for a plugin's SLUICE_EAGAIN)\n");
    if (r->http) {
        sluice_buf_printf(out, "  http:               %s\n", r->http);
        sluice_buf_puts(out, "  query memory:       ");
        sluice_bytesize_format(r->query_memory_limit, out);
        sluice_buf_puts(out, " per query\n");
    }
    if (r->progress_log) sluice_buf_printf(out, "  progress log:       %s\n", r->progress_log);
}

static void describe_projection(const struct sluice_projection *p, struct sluice_buf *out)
{
    if (!p) {
        sluice_buf_puts(out, "    reads columns: (known once the pipeline is opened)\n");
        return;
    }
    if (p->all) {
        sluice_buf_puts(out, "    reads columns: all columns\n");
        return;
    }
    if (!p->n_paths) {
        sluice_buf_puts(out, "    reads columns: none (rows are counted, no column is parsed)\n");
        return;
    }
    sluice_buf_puts(out, "    reads columns: ");
    for (size_t i = 0; i < p->n_paths; i++)
        sluice_buf_printf(out, "%s%s", i ? ", " : "", p->paths[i]);
    sluice_buf_putc(out, '\n');
}

static void describe_stage(const struct sluice_graph *g, const struct sluice_stage *st,
                           struct sluice_buf *out)
{
    sluice_buf_printf(out, "  %s\n", st->name);
    sluice_buf_printf(out, "    %s", stage_kind_name(st->kind));
    if (st->plugin_name) sluice_buf_printf(out, " %s", st->plugin_name);
    if (st->plugin_file) sluice_buf_printf(out, " (%s)", st->plugin_file);
    sluice_buf_putc(out, '\n');
    if (st->n_inputs) {
        sluice_buf_puts(out, "    inputs:");
        for (size_t m = 0; m < st->n_inputs; m++) sluice_buf_printf(out, "%s %s", m ? "," : "", st->inputs[m]->name);
        sluice_buf_puts(out, st->kind == SLUICE_STAGE_UNION && st->lead
                                 ? " (their sources run as one query: each batch reads what is new in any)\n"
                                 : "\n");
    } else if (st->input) {
        sluice_buf_printf(out, "    input: %s\n", st->input->name);
    }
    if (st->join_with) {
        const config_setting_t *j = config_setting_get_member(st->setting, "join");
        const char *type = "inner", *on = "";
        config_setting_lookup_string(j, "type", &type);
        config_setting_lookup_string(j, "on", &on);
        sluice_buf_printf(out, "    %s join with %s %s on %s\n", type, st->join_with->is_static ? "static table" : "stream",
                          st->join_with->name, on);
    }
    if (st->kind == SLUICE_STAGE_STREAM_JOIN && st->sjoin) sluice_stream_join_load_describe(st, out);
    if (st->kind == SLUICE_STAGE_DEDUP && st->state_spec)
        sluice_buf_printf(out, "    drops duplicates of: %s\n", st->state_spec + strlen("columns "));
    if (st->is_static) sluice_buf_puts(out, "    static: read whole once, when the pipeline starts\n");
    if (st->hop && st->hop->rows_of)
        sluice_buf_printf(out, "    group: reads the rows of %s from topic %s, keeps its aggregation's state in "
                          "topic %s\n", st->hop->rows_of->name, st->hop->topic, st->hop->changelog);
    else if (st->hop)
        sluice_buf_printf(out, "    group: %s is keyed for %s (co_partitioned), which keeps its state in topic %s\n",
                          st->hop->topic, st->hop->agg->name, st->hop->changelog);
    const char *topic, *partition;
    if (g->runtime.group && st->kind == SLUICE_STAGE_SINK && config_setting_lookup_string(st->setting, "topic", &topic) &&
        config_setting_lookup_string(st->setting, "partition", &partition))
        sluice_buf_printf(out, "    writes topic %s, each row to partition %s\n", topic, partition);
    if (st->kind == SLUICE_STAGE_AGGREGATE && st->agg) sluice_agg_stage_describe(st->agg, out); /* opened */
    if (st->kind == SLUICE_STAGE_SINK) sluice_buf_printf(out, "    output mode: %s\n", mode_name(st->mode));
    if (!st->feeds_sink && !st->is_static) sluice_buf_puts(out, "    not read by any sink: will not run\n");
    if (st->kind == SLUICE_STAGE_SOURCE && st->feeds_sink)
        describe_projection(sluice_graph_projection(g, st), out);
    if (st->has_watermark) {
        struct sluice_buf d = { 0 };
        sluice_duration_format(st->watermark.delay_us, &d);
        sluice_buf_printf(out, "    watermark: %s, delay %s", st->watermark.column, d.data ? d.data : "0 seconds");
        if (st->watermark.producer_col >= 0 && st->watermark.producer_col < st->ctx.output_schema.n_children) {
            sluice_buf_clear(&d);
            sluice_duration_format(g->runtime.idle_timeout_us, &d);
            sluice_buf_printf(out, "; the least over the producers (column %s) heard from within %s",
                              st->ctx.output_schema.children[st->watermark.producer_col]->name, d.data);
        }
        sluice_buf_putc(out, '\n');
        sluice_buf_free(&d);
    }
    if (st->kind == SLUICE_STAGE_SINK) return;
    if (!st->ctx.output_schema.release) {
        sluice_buf_puts(out, "    output schema: (known once the pipeline is opened)\n");
        return;
    }
    struct sluice_buf tree = { 0 };
    sluice_schema_print_tree(&st->ctx.output_schema, &tree);
    sluice_buf_puts(out, "    output schema:\n");
    if (tree.data) append_indented(out, tree.data, 6);
    sluice_buf_free(&tree);
}

void sluice_graph_describe(const struct sluice_graph *g, struct sluice_buf *out)
{
    sluice_buf_printf(out, "pipeline '%s' (%s)\n", g->name, g->path);
    describe_runtime(g, out);
    sluice_buf_puts(out, "stages, in the order data flows:\n");
    for (size_t k = 0; k < g->n_stages; k++) describe_stage(g, &g->stages[k], out);
}

static void set_string(json_t *o, const char *key, const char *value)
{
    if (value) json_object_set_new(o, key, json_string(value));
}

void sluice_graph_describe_json(const struct sluice_graph *g, struct sluice_buf *out)
{
    json_t *r = json_object();
    set_string(r, "name", g->name);
    set_string(r, "path", g->path);
    struct sluice_buf text = { 0 };
    sluice_graph_describe(g, &text);
    set_string(r, "text", text.data ? text.data : "");
    sluice_buf_free(&text);
    json_t *stages = json_array();
    for (size_t k = 0; k < g->n_stages; k++) {
        const struct sluice_stage *st = &g->stages[k];
        json_t *o = json_object();
        set_string(o, "name", st->name);
        set_string(o, "kind", stage_kind_name(st->kind));
        set_string(o, "plugin", st->plugin_name);
        /* A late stage's input is its aggregate stage's input, which is not
         * where its rows come from: name the aggregate stage instead. */
        if (st->late_of) set_string(o, "lateOf", st->late_of->name);
        else if (st->input) set_string(o, "input", st->input->name);
        if (st->n_inputs) {
            json_t *ins = json_array();
            for (size_t m = 0; m < st->n_inputs; m++) json_array_append_new(ins, json_string(st->inputs[m]->name));
            json_object_set_new(o, "inputs", ins);
        }
        if (st->kind == SLUICE_STAGE_SINK) set_string(o, "outputMode", mode_name(st->mode));
        if (st->has_watermark) set_string(o, "watermark", st->watermark.column);
        json_object_set_new(o, "runs", json_boolean(st->feeds_sink));
        json_array_append_new(stages, o);
    }
    json_object_set_new(r, "stages", stages);
    char *s = json_dumps(r, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (s) sluice_buf_puts(out, s); /* NULL only when out of memory */
    free(s);
    json_decref(r);
}
