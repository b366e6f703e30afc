/* runtime.group's plan (README "Scaling out"): what a member runs, as
 * Kafka Streams plans a topology with an aggregation.
 *
 * The members of a group share the input topic's partitions, so a member
 * sees only some rows of each grouping key. Every aggregation therefore
 * becomes a hop through an internal topic, GROUP-STAGE-repartition, with
 * runtime.shuffle_partitions partitions:
 *
 *   kafka source -> ... -> I -> [STAGE-repartition: kafka sink]
 *   [STAGE-repartitioned: kafka source] -> STAGE -> ... -> sinks
 *
 * The sink reads, of each row of I, the columns the aggregation reads (so
 * the input source parses only those) and writes them as JSON, nulls left
 * out, to the partition pmod(xxhash64(grouping keys), partitions), Spark's hash
 * partitioning; the source reads the topic as a member of the same group,
 * which gives each member some of its partitions, so every key is
 * aggregated in exactly one member. The two halves are two queries, each
 * with its own offsets and checkpoint.
 *
 * The plan is made of stages written as a user would write them: the
 * config is rewritten before the stages load (the two stages are added,
 * the aggregation's input renamed); the sink's columns, and the source's
 * schema (I's output) and watermark (the watermarked column, with its
 * delay), are added when they open, after I. A reload loads the rewritten config again
 * and finds the plan in place. */
#include "graph_priv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config.h"
#include "duration.h"
#include "error.h"
#include "expr.h"
#include "mem.h"
#include "option_table.h"
#include "options.h"
#include "colpath.h"
#include "schema.h"

#define SINK_SUFFIX "-repartition"
#define SOURCE_SUFFIX "-repartitioned"

static config_setting_t *stage_named(config_setting_t *list, const char *name)
{
    for (int i = 0; i < config_setting_length(list); i++) {
        config_setting_t *s = config_setting_get_elem(list, (unsigned)i);
        const char *n;
        if (config_setting_is_group(s) && config_setting_lookup_string(s, "name", &n) && strcmp(n, name) == 0)
            return s;
    }
    return NULL;
}

static void add_string(config_setting_t *group, const char *key, const char *value)
{
    config_setting_t *s = config_setting_add(group, key, CONFIG_TYPE_STRING);
    if (s) config_setting_set_string(s, value);
}

static void add_list(config_setting_t *group, const char *key, const config_setting_t *from)
{
    config_setting_t *l = config_setting_add(group, key, CONFIG_TYPE_LIST);
    for (int i = 0; l && from && i < config_setting_length(from); i++) {
        const char *v = config_setting_get_string_elem(from, i);
        if (v) config_setting_set_string(config_setting_add(l, NULL, CONFIG_TYPE_STRING), v);
    }
}

/* The kafka source above stage `name`, following single inputs; NULL when
 * the way up meets anything else (the group's checks then say why). */
static config_setting_t *kafka_source_above(config_setting_t *list, const char *name)
{
    for (int steps = 0; name && steps <= config_setting_length(list); steps++) {
        config_setting_t *st = stage_named(list, name);
        const char *plugin = NULL;
        if (!st) return NULL;
        if (config_setting_lookup_string(st, "source", &plugin)) return strcmp(plugin, "kafka") == 0 ? st : NULL;
        if (!config_setting_lookup_string(st, "input", &name)) return NULL;
    }
    return NULL;
}

/* Spark's hash partitioning of the aggregation's rows: its group_by
 * expressions without their aliases. cube and rollup include the empty
 * grouping set, which every row feeds: all rows go to one partition. */
static int partition_expr(const config_setting_t *agg, int64_t partitions, struct sluice_buf *out)
{
    const config_setting_t *keys = config_setting_get_member(agg, "group_by");
    int n = keys && config_setting_is_aggregate(keys) ? config_setting_length(keys) : 0;
    if (n == 0 || config_setting_get_member(agg, "cube") || config_setting_get_member(agg, "rollup")) {
        sluice_buf_puts(out, "0");
        return SLUICE_OK;
    }
    sluice_buf_puts(out, "pmod(xxhash64(");
    for (int i = 0; i < n; i++) {
        const char *text = config_setting_get_string_elem(keys, i);
        size_t len = 0;
        struct sluice_error ignored = { 0 };
        if (!text || sluice_expr_body_length(text, &len, &ignored)) return SLUICE_ECONFIG; /* refused at open */
        while (len && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\n')) len--;
        sluice_buf_printf(out, "%s%.*s", i ? ", " : "", (int)len, text);
    }
    sluice_buf_printf(out, "), %lld)", (long long)partitions);
    return SLUICE_OK;
}

/* Add aggregate stage `agg`'s hop, unless the config already has it. */
static void plan_aggregation(struct sluice_graph *g, config_setting_t *list, config_setting_t *agg)
{
    const char *name, *input;
    if (!config_setting_lookup_string(agg, "name", &name) || !config_setting_lookup_string(agg, "input", &input))
        return; /* loading says what is missing */
    char sink_name[300], source_name[300], topic[600];
    snprintf(sink_name, sizeof sink_name, "%s" SINK_SUFFIX, name);
    snprintf(source_name, sizeof source_name, "%s" SOURCE_SUFFIX, name);
    int on = 0;
    if (strcmp(input, source_name) == 0) return; /* planned already: a reload */
    if (config_setting_lookup_bool(agg, "co_partitioned", &on) && on) return; /* keyed already: no hop */
    config_setting_t *kafka = kafka_source_above(list, input);
    const char *servers;
    if (!kafka || !config_setting_lookup_string(kafka, "bootstrap_servers", &servers)) return;
    struct sluice_buf part = { 0 };
    if (partition_expr(agg, g->runtime.shuffle_partitions, &part)) {
        sluice_buf_free(&part);
        return;
    }
    snprintf(topic, sizeof topic, "%s-%s" SINK_SUFFIX, g->runtime.group, name);
    const config_setting_t *props = config_setting_get_member(kafka, "kafka");

    config_setting_t *sink = config_setting_add(list, NULL, CONFIG_TYPE_GROUP);
    add_string(sink, "name", sink_name);
    add_string(sink, "input", input);
    add_string(sink, "sink", "kafka");
    add_string(sink, "bootstrap_servers", servers);
    add_string(sink, "topic", topic);
    add_string(sink, "partition", part.data);
    config_setting_t *ignore = config_setting_add(sink, "ignore_null_fields", CONFIG_TYPE_BOOL);
    if (ignore) config_setting_set_bool(ignore, 1); /* with `columns`, set when it opens: only what is read */
    add_list(sink, "kafka", props);

    config_setting_t *source = config_setting_add(list, NULL, CONFIG_TYPE_GROUP);
    add_string(source, "name", source_name);
    add_string(source, "source", "kafka");
    add_string(source, "bootstrap_servers", servers);
    config_setting_set_string(config_setting_add(config_setting_add(source, "subscribe", CONFIG_TYPE_LIST), NULL,
                                                 CONFIG_TYPE_STRING),
                              topic);
    add_string(source, "starting_offsets", "earliest");
    add_string(source, "format", "json");
    add_string(source, "mode", "fail_fast"); /* the rows were written by the sink above: nothing is malformed */
    add_list(source, "kafka", props);

    config_setting_set_string(config_setting_get_member(agg, "input"), source_name);
    sluice_buf_free(&part);
}

int sluice_graph_plan_group(struct sluice_graph *g)
{
    config_setting_t *list = config_lookup(g->config, "stages");
    if (!g->runtime.group || !list || !config_setting_is_list(list)) return SLUICE_OK;
    int n = config_setting_length(list); /* the stages written; the hops go after them */
    for (int i = 0; i < n; i++) {
        config_setting_t *st = config_setting_get_elem(list, (unsigned)i);
        if (config_setting_is_group(st) && config_setting_get_member(st, "aggregate")) plan_aggregation(g, list, st);
    }
    return SLUICE_OK;
}

static void escape_into(struct sluice_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') sluice_buf_putc(b, '\\');
        sluice_buf_putc(b, *s);
    }
}

/* What the changelog's own kafka stages are given: the source's
 * bootstrap_servers and kafka, as option text. */
static char *kafka_options(const config_setting_t *src)
{
    struct sluice_buf b = { 0 };
    const char *servers = "";
    config_setting_lookup_string(src, "bootstrap_servers", &servers);
    sluice_buf_puts(&b, "bootstrap_servers = \"");
    escape_into(&b, servers);
    sluice_buf_puts(&b, "\"; kafka = [");
    const config_setting_t *props = config_setting_get_member(src, "kafka");
    const char *sep = "\"";
    for (int i = 0; props && i < config_setting_length(props); i++) {
        const char *v = config_setting_get_string_elem(props, i);
        if (!v) continue;
        sluice_buf_puts(&b, sep);
        escape_into(&b, v);
        sluice_buf_puts(&b, "\"");
        sep = ", \"";
    }
    sluice_buf_puts(&b, "]; ");
    return b.data;
}

/* Source `src` reads topic `topic` for aggregation `agg`: the rows of
 * `rows_of` through its repartition topic, or (NULL) the input itself. */
static void make_hop(struct sluice_graph *g, struct sluice_stage *src, struct sluice_stage *agg, const char *topic,
                     struct sluice_stage *rows_of)
{
    struct sluice_group_hop *h = sluice_xcalloc(1, sizeof *h);
    h->agg = agg;
    h->rows_of = rows_of;
    h->topic = sluice_xstrdup(topic);
    size_t n = strlen(g->runtime.group) + strlen(agg->name) + 16;
    h->changelog = sluice_xmalloc(n);
    snprintf(h->changelog, n, "%s-%s-changelog", g->runtime.group, agg->name);
    h->kafka_options = kafka_options(src->setting);
    src->hop = h;
}

/* The source a stage reads from, following single inputs; NULL through a
 * union or a join. */
static struct sluice_stage *source_of(const struct sluice_stage *st)
{
    struct sluice_stage *src = st->input;
    while (src && src->kind != SLUICE_STAGE_SOURCE) src = src->n_inputs > 1 ? NULL : src->input;
    return src;
}

static bool co_partitioned(const struct sluice_stage *st)
{
    int on = 0;
    return st->kind == SLUICE_STAGE_AGGREGATE && config_setting_lookup_bool(st->setting, "co_partitioned", &on) && on;
}

/* An aggregation whose input is keyed already: its kafka source's
 * partitions are its tasks, and the source carries the changelog's hop. */
static void link_co_partitioned(struct sluice_graph *g, struct sluice_stage *agg)
{
    struct sluice_stage *src = source_of(agg);
    const config_setting_t *sub = src ? config_setting_get_member(src->setting, "subscribe") : NULL;
    if (!src || src->hop || !src->plugin_name || strcmp(src->plugin_name, "kafka") != 0 || !sub ||
        config_setting_length(sub) != 1)
        return; /* sluice_graph_load_group says why */
    make_hop(g, src, agg, config_setting_get_string_elem(sub, 0), NULL);
}

/* The hop sources, found by the names plan_aggregation gave them, and
 * the sources of co_partitioned aggregations. */
void sluice_graph_link_group(struct sluice_graph *g)
{
    for (size_t k = 0; k < g->n_stages && g->runtime.group; k++)
        if (co_partitioned(&g->stages[k])) link_co_partitioned(g, &g->stages[k]);
    for (size_t k = 0; k < g->n_stages && g->runtime.group; k++) {
        struct sluice_stage *src = &g->stages[k];
        size_t len = strlen(src->name), sl = strlen(SOURCE_SUFFIX);
        if (src->kind != SLUICE_STAGE_SOURCE || len <= sl || strcmp(src->name + len - sl, SOURCE_SUFFIX) != 0)
            continue;
        struct sluice_stage *agg = NULL;
        for (size_t a = 0; a < src->n_outputs; a++)
            if (src->outputs[a]->kind == SLUICE_STAGE_AGGREGATE) agg = src->outputs[a];
        for (size_t j = 0; j < g->n_stages && agg && !src->hop; j++) {
            struct sluice_stage *sink = &g->stages[j];
            if (sink->kind != SLUICE_STAGE_SINK || strlen(sink->name) != len - 2 ||
                strncmp(sink->name, src->name, len - 2) != 0 || !sink->input)
                continue;
            const char *topic = "";
            config_setting_lookup_string(sink->setting, "topic", &topic);
            sink->repartition_of = agg;
            make_hop(g, src, agg, topic, sink->input);
        }
    }
}

/* The path of a watermarked column of st's output, found among its
 * timestamp leaves; *delay (unless NULL) its watermark's delay. */
static bool watermarked_leaf(const struct sluice_stage *st, const struct ArrowSchema *s, struct sluice_buf *path,
                             int64_t *delay)
{
    size_t at = path->len;
    for (int64_t i = 0; i < s->n_children; i++) {
        const struct ArrowSchema *c = s->children[i];
        sluice_buf_printf(path, "%s%s", at ? "." : "", c->name);
        bool found = false;
        if (sluice_type_of(c) == SLUICE_TYPE_STRUCT) found = watermarked_leaf(st, c, path, delay);
        else if (sluice_type_of(c) == SLUICE_TYPE_TIMESTAMP) found = sluice_graph_is_watermarked_at(st, path->data);
        if (found) {
            for (const struct sluice_stage *s2 = st; delay && s2 && !*delay; s2 = s2->input)
                if (s2->has_watermark) *delay = s2->watermark.delay_us;
            return true;
        }
        path->len = at;
        if (path->data) path->data[at] = '\0';
    }
    return false;
}

/* The columns of `in` that `text` names, as paths (`data.lang`), each
 * once: a name followed by `(` is a function, one that resolves to no
 * column (an alias) names none, and one too many only costs bytes. */
static void columns_named(const char *text, const struct ArrowSchema *in, struct sluice_buf *seen,
                          config_setting_t *list)
{
    struct sluice_expr_tok *toks;
    size_t n;
    struct sluice_error ignored = { 0 };
    if (!text || sluice_expr_tokenize(text, &toks, &n, &ignored)) return;
    for (size_t k = 0; k < n; k++) {
        if (toks[k].kind != SLUICE_TOK_WORD && toks[k].kind != SLUICE_TOK_QUOTED) continue;
        if (k && toks[k - 1].kind == SLUICE_TOK_PUNCT && text[toks[k - 1].off] == '.') continue;
        /* name(.name)*, unquoted */
        struct sluice_buf path = { 0 };
        size_t end = k;
        for (;;) {
            const char *w = text + toks[end].off;
            size_t len = toks[end].len;
            if (toks[end].kind == SLUICE_TOK_QUOTED && len >= 2) w++, len -= 2;
            sluice_buf_printf(&path, "%s%.*s", path.len ? "." : "", (int)len, w);
            if (end + 2 >= n || toks[end + 1].kind != SLUICE_TOK_PUNCT || text[toks[end + 1].off] != '.' ||
                (toks[end + 2].kind != SLUICE_TOK_WORD && toks[end + 2].kind != SLUICE_TOK_QUOTED))
                break;
            end += 2;
        }
        bool call = end + 1 < n && toks[end + 1].kind == SLUICE_TOK_PUNCT && text[toks[end + 1].off] == '(';
        /* The longest prefix that is a column (`data.lang.length` is no field). */
        while (!call && path.len) {
            struct sluice_col col;
            if (sluice_col_resolve(in, path.data, &col, NULL) == SLUICE_OK) {
                struct sluice_buf entry = { 0 };
                sluice_buf_printf(&entry, "|%s|", path.data);
                if (!seen->data || !strstr(seen->data, entry.data)) {
                    sluice_buf_puts(seen, entry.data);
                    config_setting_set_string(config_setting_add(list, NULL, CONFIG_TYPE_STRING), path.data);
                }
                sluice_buf_free(&entry);
                break;
            }
            char *dot = strrchr(path.data, '.');
            if (!dot) break;
            *dot = '\0';
            path.len = (size_t)(dot - path.data);
        }
        sluice_buf_free(&path);
        k = end;
    }
    free(toks);
}

static void columns_of_list(const config_setting_t *l, const struct ArrowSchema *in, struct sluice_buf *seen,
                            config_setting_t *list)
{
    for (int i = 0; l && i < config_setting_length(l); i++) columns_named(config_setting_get_string_elem(l, i), in, seen, list);
}

/* Before the hop's sink opens: the columns the aggregation reads, and the
 * watermarked one. None found (count(*) alone): every column. */
int sluice_graph_open_group_columns(struct sluice_graph *g, struct sluice_stage *sink, struct sluice_error *err)
{
    const config_setting_t *agg = sink->repartition_of->setting;
    const struct ArrowSchema *in = &sink->input->ctx.output_schema;
    config_setting_t *setting = (config_setting_t *)sink->setting;
    config_setting_remove(setting, "columns");
    config_setting_t *list = config_setting_add(setting, "columns", CONFIG_TYPE_LIST);
    struct sluice_buf seen = { 0 };
    static const char *const lists[] = { "group_by", "cube", "rollup", "aggregate" };
    for (size_t i = 0; i < N_ELEMS(lists); i++) columns_of_list(config_setting_get_member(agg, lists[i]), in, &seen, list);
    const config_setting_t *w = config_setting_get_member(agg, "window");
    const char *text;
    if (w && config_setting_lookup_string(w, "column", &text)) columns_named(text, in, &seen, list);
    struct sluice_buf path = { 0 };
    if (watermarked_leaf(sink->input, in, &path, NULL)) columns_named(path.data, in, &seen, list);
    if (!seen.len) config_setting_remove(setting, "columns");
    /* The message key names this member: the producer of the row (watermark.h). */
    if (!config_setting_get_member(setting, "key")) {
        struct sluice_buf key = { 0 };
        sluice_buf_printf(&key, "'%s'", g->runtime.member ? g->runtime.member : "");
        add_string(setting, "key", key.data);
        sluice_buf_free(&key);
    }
    sluice_buf_free(&path);
    sluice_buf_free(&seen);
    memset(sink->conf, 0, sink->plugin->conf_size);
    return sluice_options_apply(sink->plugin, setting, sluice_option_table_core_keys, sink->conf, &g->storage, err);
}

void sluice_graph_group_source_opened(struct sluice_graph *g, struct sluice_stage *src)
{
    const struct ArrowSchema *out = &src->ctx.output_schema;
    if (!src->has_watermark || !src->watermark.time || !out->n_children) return;
    int64_t last = out->n_children - 1; /* kafka_columns come after the schema's */
    if (!config_setting_get_member(src->setting, "kafka_columns") || strcmp(out->children[last]->name, "key") != 0)
        return; /* the rows have a key of their own: the watermark stays Spark's */
    src->watermark.producer_col = last;
    sluice_watermark_tracker_by_producer(&src->watermark.tracker, g->runtime.idle_timeout_us);
}

int sluice_graph_open_group_source(struct sluice_graph *g, struct sluice_stage *src, struct sluice_error *err)
{
    const struct sluice_stage *rows = src->hop->rows_of;
    config_setting_t *setting = (config_setting_t *)src->setting;
    struct sluice_buf text = { 0 };
    sluice_schema_fields_ddl(&rows->ctx.output_schema, &text);
    if (!config_setting_get_member(setting, "schema")) add_string(setting, "schema", text.data);
    /* Each row's producer, for the watermark by producer: the message key
     * the repartition sink sets (unless the rows have a `key` of their own). */
    bool keyed = false;
    for (int64_t i = 0; i < rows->ctx.output_schema.n_children; i++)
        keyed |= strcmp(rows->ctx.output_schema.children[i]->name, "key") == 0;
    if (!keyed && !config_setting_get_member(setting, "kafka_columns"))
        config_setting_set_string(config_setting_add(config_setting_add(setting, "kafka_columns", CONFIG_TYPE_LIST),
                                                     NULL, CONFIG_TYPE_STRING),
                                  "key");
    sluice_buf_clear(&text);
    int64_t delay = 0;
    if (!src->has_watermark && watermarked_leaf(rows, &rows->ctx.output_schema, &text, &delay)) {
        config_setting_t *wm = config_setting_add(setting, "watermark", CONFIG_TYPE_GROUP);
        add_string(wm, "column", text.data);
        sluice_buf_clear(&text);
        sluice_duration_format(delay, &text);
        add_string(wm, "delay", text.data);
    }
    sluice_buf_free(&text);
    const config_setting_t *wm = config_setting_get_member(setting, "watermark");
    int rc = wm && !src->has_watermark ? sluice_graph_load_watermark(src, wm, err) : SLUICE_OK;
    memset(src->conf, 0, src->plugin->conf_size);
    if (!rc) rc = sluice_options_apply(src->plugin, setting, sluice_option_table_core_keys, src->conf, &g->storage, err);
    return rc;
}

/* This machine's name, made a valid member name. */
static char *host_member(void)
{
    char name[256] = "member";
    if (gethostname(name, sizeof name - 1) != 0 || !name[0]) snprintf(name, sizeof name, "member");
    name[sizeof name - 1] = '\0';
    for (char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
              *p == '_' || *p == '-'))
            *p = '-';
    return sluice_xstrdup(name);
}

int sluice_graph_load_group(struct sluice_graph *g, struct sluice_error *err)
{
    struct sluice_runtime *r = &g->runtime;
    if (!r->group) {
        if (r->member)
            return sluice_error_where(err, SLUICE_ECONFIG, &r->group_where,
                                      "runtime.member names this process in a group: set runtime.group too");
        return SLUICE_OK;
    }
    if (r->trigger.kind == SLUICE_TRIGGER_ONCE || r->trigger.kind == SLUICE_TRIGGER_AVAILABLE_NOW) {
        sluice_error_where(err, SLUICE_ECONFIG, &r->group_where,
                           "runtime.group shares a stream among members until they stop: trigger \"%s\" does not "
                           "go with it", r->trigger_text);
        sluice_error_hint(err, "use a processing-time trigger such as \"1 second\"");
        return SLUICE_ECONFIG;
    }
    for (size_t k = 0; k < g->n_stages; k++) {
        const struct sluice_stage *st = &g->stages[k];
        if ((st->kind != SLUICE_STAGE_DEDUP && st->kind != SLUICE_STAGE_STREAM_JOIN) || !st->feeds_sink) continue;
        /* Each member would keep keys of its own partitions only, and a
         * duplicate read by another member would pass. */
        sluice_error_where(err, SLUICE_ECONFIG, &r->group_where,
                           "stage '%s' %s, and the members of a group share the keyed state of aggregations only",
                           st->name, st->kind == SLUICE_STAGE_DEDUP ? "drops duplicates" : "joins two streams");
        sluice_error_hint(err, "run this pipeline in one process, without runtime.group");
        return SLUICE_ECONFIG;
    }
    for (size_t k = 0; k < g->n_stages; k++) {
        const struct sluice_stage *st = &g->stages[k];
        const struct sluice_stage *src = source_of(st);
        if (!co_partitioned(st) || (src && src->hop && src->hop->agg == st)) continue;
        sluice_error_at(err, SLUICE_ECONFIG, config_setting_get_member(st->setting, "co_partitioned"),
                        "a co_partitioned aggregation reads one kafka source of one topic, alone: its partitions "
                        "are the aggregation's tasks");
        sluice_error_hint(err, "subscribe = [\"topic\"] on the kafka source, and one co_partitioned aggregation "
                               "per source; or leave co_partitioned out, and the group repartitions the rows");
        return SLUICE_ECONFIG;
    }
    if (!r->member) {
        g->owned_member = host_member();
        r->member = g->owned_member;
    }
    /* Each member keeps a checkpoint of its own under the shared path. */
    if (r->checkpoint) {
        size_t n = strlen(r->checkpoint) + strlen(r->member) + 16;
        g->owned_checkpoint = sluice_xmalloc(n);
        snprintf(g->owned_checkpoint, n, "%s/members/%s", r->checkpoint, r->member);
        r->checkpoint = g->owned_checkpoint;
    }
    return SLUICE_OK;
}
