/* A group member's aggregation state mirrored to GROUP-STAGE-changelog.
 * See changelog.h. */
#include "changelog.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/agg.h>

#include "agg_groups.h"
#include "agg_key.h"
#include "agg_stage.h"
#include "agg_state.h"
#include "agg_table.h"
#include "builder.h"
#include "ctx.h"
#include "error.h"
#include "graph.h"
#include "host.h"
#include "log.h"
#include "mem.h"
#include "option_table.h"
#include "options.h"
#include "query.h"
#include "registry.h"
#include "schema.h"
#include "stage.h"

#define RECORDS_DDL "key STRING, value STRING, p BIGINT"

/* The record that says how far a partition's state has read its
 * repartition partition (value: the next offset, 8 bytes LE). No group key
 * starts so: a key's first byte is a value tag (0 or 1) or, with grouping
 * sets, a set id far below 0xffff. */
static const uint8_t MARKER[] = { 0xff, 0xff, 0xff, 0xff, 'o', 'f', 'f', 's', 'e', 't' };

/* A kafka plugin instance the changelog drives, as a stage of its own. */
struct instance {
    struct sluice_stage st;
    struct sluice_options_text *opts;
    struct ArrowSchema input;
};

struct sluice_changelog {
    struct sluice_stage *agg;       /* the aggregation reading the repartition topic */
    const char *repartition_topic;  /* what the source's offsets name */
    const char *topic;              /* GROUP-STAGE-changelog */
    const char *common;             /* bootstrap_servers and kafka, as option text */
    int64_t partitions;
    bool *held;                     /* per partition: this member holds it */
    bool *now;                      /* per partition, while following */
    int64_t *end;                   /* per partition: where the batch running reads to, or -1 */
    int64_t *marked;                /* per partition: the offset the changelog last recorded, or -1 */
    int64_t *skip_to;               /* per partition: a restored state's offset past the group's, or -1 */
    struct instance sink;
    const struct sluice_plugin *source_plugin;
    const char *source_file;
    struct sluice_buf tombstones;   /* keys the watermark evicted since the last write: u32 length, bytes */
    size_t n_tombstones;
};

/* ---- where a group's rows came from ---- */

/* The repartition partition of a group: pmod(xxhash64(keys), partitions)
 * of its key, as graph_group.c's sink placed its rows. */
static int64_t partition_of(const struct sluice_changelog *c, const uint8_t *key)
{
    const struct sluice_agg_plan *p = c->agg->agg->plan;
    if (p->n_sets > 1 || p->n_keys == (p->windowed ? 1u : 0u)) return 0; /* cube, rollup, no key: one partition */
    int64_t h = sluice_agg_key_spark_hash((const struct ArrowSchema *const *)p->output.children, p->n_keys,
                                          p->windowed ? 1 : 0, key);
    int64_t r = h % c->partitions;
    return r < 0 ? r + c->partitions : r;
}

/* ---- plugin instances ---- */

static int instance_open(struct instance *in, const struct sluice_plugin *p, const char *file, const char *name,
                         const char *settings, const char *input_ddl, struct sluice_error *err)
{
    struct sluice_stage *st = &in->st;
    st->name = name;
    st->kind = p->kind == SLUICE_KIND_SOURCE ? SLUICE_STAGE_SOURCE : SLUICE_STAGE_SINK;
    st->plugin = p;
    st->plugin_name = p->name;
    st->plugin_file = file;
    st->conf = sluice_xcalloc(1, p->conf_size + 1);
    st->ctx.stage = st;
    st->ctx.host = sluice_host();
    st->ctx.parallelism = 1;
    int rc = input_ddl ? sluice_schema_parse(input_ddl, &in->input, err) : SLUICE_OK;
    st->ctx.input_schema = input_ddl ? &in->input : NULL;
    if (!rc) rc = sluice_options_apply_text(p, settings, st->conf, &in->opts, err);
    if (!rc) rc = p->open(st->ctx.host, st->conf, &st->ctx, &st->state, err);
    if (!rc) st->opened = true;
    static const struct sluice_projection every_column = { true, 0, NULL };
    if (!rc && st->kind == SLUICE_STAGE_SOURCE) rc = p->prepare(st->state, &every_column, err);
    if (rc) sluice_error_stage(err, name);
    return rc;
}

static void instance_close(struct instance *in)
{
    struct sluice_stage *st = &in->st;
    if (st->opened) st->plugin->close(st->state);
    sluice_ctx_free(&st->ctx);
    sluice_options_text_free(in->opts);
    if (in->input.release) in->input.release(&in->input);
    free(st->conf);
    memset(in, 0, sizeof *in);
}

/* ---- opening ---- */

static void on_evict(void *arg, const uint8_t *key, uint32_t key_len)
{
    struct sluice_changelog *c = arg;
    uint8_t len[4];
    sluice_put_le32(len, key_len);
    sluice_buf_append(&c->tombstones, len, 4);
    sluice_buf_append(&c->tombstones, key, key_len);
    c->n_tombstones++;
}

int sluice_changelog_open(struct sluice_query *q, struct sluice_changelog **out, struct sluice_error *err)
{
    *out = NULL;
    struct sluice_stage *src = q->source, *agg = src->hop ? src->hop->agg : NULL;
    if (!agg || !agg->agg) return SLUICE_OK;
    struct sluice_graph *g = q->graph;
    const struct sluice_loaded *sink, *source;
    int rc = sluice_registry_find(g->registry, SLUICE_KIND_SINK, "kafka", &sink, err);
    if (!rc) rc = sluice_registry_find(g->registry, SLUICE_KIND_SOURCE, "kafka", &source, err);
    if (rc) return rc;
    struct sluice_changelog *c = sluice_xcalloc(1, sizeof *c);
    c->agg = agg;
    c->partitions = g->runtime.shuffle_partitions;
    c->held = sluice_xcalloc((size_t)c->partitions, sizeof *c->held);
    c->now = sluice_xcalloc((size_t)c->partitions, sizeof *c->now);
    c->end = sluice_xmalloc((size_t)c->partitions * sizeof *c->end);
    c->marked = sluice_xmalloc((size_t)c->partitions * sizeof *c->marked);
    c->skip_to = sluice_xmalloc((size_t)c->partitions * sizeof *c->skip_to);
    for (int64_t p = 0; p < c->partitions; p++) c->end[p] = c->marked[p] = c->skip_to[p] = -1;
    c->repartition_topic = src->hop->topic;
    c->topic = src->hop->changelog;
    c->common = src->hop->kafka_options;
    c->source_plugin = source->plugin;
    c->source_file = source->path;
    struct sluice_buf settings = { 0 };
    sluice_buf_printf(&settings, "%stopic = \"%s\"; key = \"key\"; value = \"value\"; partition = \"p\";", c->common,
                      c->topic);
    rc = instance_open(&c->sink, sink->plugin, sink->path, c->topic, settings.data, RECORDS_DDL, err);
    sluice_buf_free(&settings);
    if (rc) {
        sluice_changelog_close(c);
        return rc;
    }
    sluice_agg_groups_on_evict(agg->agg->state, on_evict, c);
    *out = c;
    return SLUICE_OK;
}

void sluice_changelog_close(struct sluice_changelog *c)
{
    if (!c) return;
    if (c->agg->agg->state) sluice_agg_groups_on_evict(c->agg->agg->state, NULL, NULL);
    instance_close(&c->sink);
    sluice_buf_free(&c->tombstones);
    free(c->held);
    free(c->now);
    free(c->end);
    free(c->marked);
    free(c->skip_to);
    free(c);
}

/* ---- writing ---- */

static void put_hex(struct sluice_builder *b, const uint8_t *p, size_t n, struct sluice_buf *scratch)
{
    static const char digits[] = "0123456789abcdef";
    sluice_buf_clear(scratch);
    for (size_t i = 0; i < n; i++) {
        sluice_buf_putc(scratch, digits[p[i] >> 4]);
        sluice_buf_putc(scratch, digits[p[i] & 15]);
    }
    sluice_builder_append_string(b, scratch->data ? scratch->data : "", scratch->len);
}

static void put_record(struct sluice_builder *b, const uint8_t *key, uint32_t key_len, const void *value,
                       size_t value_len, int64_t partition, struct sluice_buf *scratch)
{
    put_hex(&b->children[0], key, key_len, scratch);
    if (value) put_hex(&b->children[1], value, value_len, scratch);
    else sluice_builder_append_null(&b->children[1]);
    sluice_builder_append_long(&b->children[2], partition);
    sluice_builder_append_struct(b);
}

int sluice_changelog_write(struct sluice_changelog *c, int64_t batch_id, struct sluice_error *err)
{
    struct sluice_agg_stage *a = c->agg->agg;
    struct sluice_builder *b = sluice_builder_new(&c->sink.input);
    struct sluice_buf value = { 0 }, hex = { 0 };
    int rc = SLUICE_OK;
    for (size_t p = 0; p < sluice_agg_groups_partitions(a->state) && !rc; p++) {
        const struct sluice_agg_table *tab = sluice_agg_groups_table(a->state, p);
        for (size_t i = 0; i < tab->n_groups && !rc; i++) {
            const struct sluice_agg_group *gr = &tab->groups[i];
            if (gr->updated != batch_id) continue;
            sluice_buf_clear(&value);
            rc = sluice_agg_state_value(a, sluice_agg_table_state(tab, i), &value, err);
            if (!rc) put_record(b, gr->key, gr->key_len, value.data, value.len, partition_of(c, gr->key), &hex);
        }
    }
    const uint8_t *t = (const uint8_t *)c->tombstones.data;
    for (size_t i = 0; i < c->n_tombstones && !rc; i++) {
        uint32_t len = sluice_get_le32(t);
        put_record(b, t + 4, len, NULL, 0, partition_of(c, t + 4), &hex);
        t += 4 + len;
    }
    /* Last, how far each partition's state has read. */
    for (int64_t p = 0; p < c->partitions && !rc; p++) {
        if (!c->held[p] || c->end[p] < 0 || c->end[p] == c->marked[p]) continue;
        uint8_t v[8];
        sluice_put_le64(v, (uint64_t)c->end[p]);
        put_record(b, MARKER, sizeof MARKER, v, 8, p, &hex);
    }
    int64_t rows = b->length;
    if (!rc) rc = sluice_builder_refusal(b, err);
    struct sluice_batch batch;
    sluice_builder_finish(b, &batch);
    sluice_builder_free(b);
    batch.schema = &c->sink.input;
    const struct sluice_plugin *p = c->sink.st.plugin;
    void *state = c->sink.st.state;
    if (!rc && rows) {
        rc = p->begin(state, batch_id, SLUICE_MODE_APPEND, err);
        if (!rc) {
            rc = p->write(state, &batch, err); /* takes the batch */
            batch.array.release = NULL;
        }
        if (!rc) rc = p->end(state, batch_id, err);
        if (rc) sluice_error_stage(err, c->topic);
    }
    for (int64_t k = 0; k < c->partitions && !rc; k++)
        if (c->held[k] && c->end[k] >= 0) c->marked[k] = c->end[k];
    if (batch.array.release) sluice_batch_release(&batch);
    sluice_buf_clear(&c->tombstones);
    c->n_tombstones = 0;
    sluice_buf_free(&value);
    sluice_buf_free(&hex);
    return rc;
}

/* ---- restoring ---- */

/* A record read back: its key and value in the restore's bytes. */
struct record {
    size_t key_at, value_at, value_len, seq;
    uint32_t key_len;
    bool tombstone;
};

struct restore {
    struct sluice_changelog *c;
    struct sluice_buf bytes;    /* the records' decoded keys and values */
    struct record *recs;
    size_t n, cap;
    bool bad;
};

static bool unhex(struct sluice_buf *out, const char *s, int32_t n)
{
    if (n % 2) return false;
    for (int32_t i = 0; i < n; i += 2) {
        int v = 0;
        for (int k = 0; k < 2; k++) {
            char ch = s[i + k];
            int d = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
            if (d < 0) return false;
            v = v * 16 + d;
        }
        sluice_buf_putc(out, (char)v);
    }
    return true;
}

static int collect(void *arg, struct sluice_batch *batch, struct sluice_error *err)
{
    struct restore *r = arg;
    const struct ArrowArray *keys = batch->array.children[0], *values = batch->array.children[1];
    int64_t n = sluice_batch_rows(batch);
    for (int64_t i = 0; i < n && !r->bad; i++) {
        int64_t ks = keys->offset + batch->array.offset + i, vs = values->offset + batch->array.offset + i;
        const char *k, *v = "";
        int32_t kl = sluice_get_string(keys, ks, &k);
        bool tomb = values->null_count && !sluice_bit_get(values->buffers[0], vs);
        int32_t vl = tomb ? 0 : sluice_get_string(values, vs, &v);
        if (r->n == r->cap) {
            r->cap = r->cap ? 2 * r->cap : 256;
            r->recs = sluice_xrealloc(r->recs, r->cap * sizeof *r->recs);
        }
        struct record *rec = &r->recs[r->n];
        rec->key_at = r->bytes.len;
        r->bad = !unhex(&r->bytes, k, kl);
        rec->key_len = (uint32_t)(r->bytes.len - rec->key_at);
        rec->value_at = r->bytes.len;
        rec->tombstone = tomb;
        if (!r->bad && !tomb) r->bad = !unhex(&r->bytes, v, vl);
        rec->value_len = r->bytes.len - rec->value_at;
        rec->seq = r->n++;
    }
    sluice_batch_release(batch);
    if (r->bad) return sluice_error_set(err, SLUICE_EDATA, "a record of changelog topic '%s' is not hex", r->c->topic);
    return SLUICE_OK;
}

/* qsort has no argument: the bytes the records being sorted are in. */
static _Thread_local const char *sorting;

/* Same key together, the latest last. */
static int by_key_then_seq(const void *x, const void *y)
{
    const struct record *a = x, *b = y;
    uint32_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
    int d = memcmp(sorting + a->key_at, sorting + b->key_at, n);
    if (d) return d;
    if (a->key_len != b->key_len) return a->key_len < b->key_len ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static bool same_key(const struct restore *r, const struct record *a, const struct record *b)
{
    return a->key_len == b->key_len && memcmp(r->bytes.data + a->key_at, r->bytes.data + b->key_at, a->key_len) == 0;
}

static bool is_marker(const struct restore *r, const struct record *rec)
{
    return rec->key_len == sizeof MARKER && memcmp(r->bytes.data + rec->key_at, MARKER, sizeof MARKER) == 0;
}

/* Read changelog partition `part` whole; the last record of each key
 * wins. *read_to: the offset its state had read to, or -1. */
static int restore_partition(struct sluice_changelog *c, int64_t part, int64_t *groups, int64_t *read_to,
                             struct sluice_error *err)
{
    struct sluice_buf settings = { 0 };
    /* A missing topic is told in 30 s, not the source's 60. */
    sluice_buf_printf(&settings, "%sassign = \"{\\\"%s\\\":[%lld]}\"; starting_offsets = \"earliest\"; "
                      "timeout = \"30 seconds\";", c->common, c->topic, (long long)part);
    struct instance in = { 0 };
    struct restore r = { .c = c };
    int rc = instance_open(&in, c->source_plugin, c->source_file, c->topic, settings.data, NULL, err);
    sluice_buf_free(&settings);
    struct sluice_buf end = { 0 };
    size_t units = 0;
    const struct sluice_plugin *p = c->source_plugin;
    if (!rc) rc = p->latest_offset(in.st.state, NULL, false, &end, err);
    if (!rc && end.len) rc = p->plan_read(in.st.state, NULL, end.data, &units, err);
    for (size_t u = 0; u < units && !rc; u++) rc = p->read(in.st.state, u, collect, &r, err);
    sluice_buf_free(&end);
    instance_close(&in);
    sorting = r.bytes.data;
    if (!rc && r.n) qsort(r.recs, r.n, sizeof *r.recs, by_key_then_seq);
    for (size_t i = 0; i < r.n && !rc; i++) {
        const struct record *rec = &r.recs[i];
        if ((i + 1 < r.n && same_key(&r, rec, &r.recs[i + 1])) || rec->tombstone) continue;
        if (is_marker(&r, rec)) {
            if (rec->value_len == 8) *read_to = (int64_t)sluice_get_le64((const uint8_t *)r.bytes.data + rec->value_at);
            continue;
        }
        rc = sluice_agg_state_load(c->agg->agg, c->agg->name, -1, r.bytes.data + rec->key_at, rec->key_len,
                                   r.bytes.data + rec->value_at, rec->value_len, err);
        (*groups)++;
    }
    if (rc && err && !err->stage[0]) sluice_error_stage(err, c->agg->name);
    free(r.recs);
    sluice_buf_free(&r.bytes);
    return rc;
}

static bool not_held(void *arg, const uint8_t *key, uint32_t key_len)
{
    const struct sluice_changelog *c = arg;
    (void)key_len;
    int64_t p = partition_of(c, key);
    return !c->now[p] || !c->held[p];
}

int sluice_changelog_follow(struct sluice_changelog *c, const char *end, struct sluice_error *err)
{
    json_t *root = json_loads(end, 0, NULL), *parts = root ? json_object_get(root, c->repartition_topic) : NULL;
    memset(c->now, 0, (size_t)c->partitions * sizeof *c->now);
    for (int64_t p = 0; p < c->partitions; p++) c->end[p] = -1;
    const char *key;
    json_t *v;
    int rc = SLUICE_OK;
    json_object_foreach(parts, key, v) {
        long long p = strtoll(key, NULL, 10);
        if ((p < 0 || p >= c->partitions) && !rc) {
            /* Only a co_partitioned input can have others: its groups would be misplaced. */
            rc = sluice_error_set(err, SLUICE_ECONFIG, "aggregation '%s' is co_partitioned, and topic '%s' has a "
                                  "partition %lld: it must have runtime.shuffle_partitions (%lld)", c->agg->name,
                                  c->repartition_topic, p, (long long)c->partitions);
            sluice_error_hint(err, "a co_partitioned input is keyed as a repartition topic would be: "
                                   "partition = pmod(xxhash64(keys), shuffle_partitions)");
        }
        if (p < 0 || p >= c->partitions) continue;
        c->now[p] = true;
        c->end[p] = json_is_integer(v) ? json_integer_value(v) : -1;
    }
    json_decref(root);
    if (rc || memcmp(c->now, c->held, (size_t)c->partitions * sizeof *c->now) == 0) return rc;
    /* Groups of partitions handed over, and stale ones of partitions back again. */
    sluice_agg_groups_remove(c->agg->agg->state, not_held, c);
    for (int64_t p = 0; p < c->partitions && !rc; p++) {
        if (!c->now[p] || c->held[p]) continue;
        int64_t groups = 0, read_to = -1;
        rc = restore_partition(c, p, &groups, &read_to, err);
        if (rc) {
            sluice_error_hint(err, "a group's aggregation '%s' keeps its state in topic %s, which must have %lld "
                              "partitions, as %s has (sluice check --group shows both)", c->agg->name, c->topic,
                              (long long)c->partitions, c->repartition_topic);
            break;
        }
        sluice_log(SLUICE_LOG_INFO, c->agg->name, "restored %lld groups of partition %lld from changelog topic '%s'",
                   (long long)groups, (long long)p, c->topic);
        /* The state has read past where the group's offsets say (their
         * commit was refused or cut short): go on from where it has. */
        c->marked[p] = read_to;
        if (read_to > c->end[p]) c->skip_to[p] = read_to;
    }
    if (!rc) memcpy(c->held, c->now, (size_t)c->partitions * sizeof *c->held);
    return rc;
}

char *sluice_changelog_adjust(struct sluice_changelog *c, const char *committed)
{
    bool any = false;
    for (int64_t p = 0; p < c->partitions && !any; p++) any = c->skip_to[p] >= 0;
    if (!any || !committed) return NULL;
    json_t *root = json_loads(committed, 0, NULL), *parts = root ? json_object_get(root, c->repartition_topic) : NULL;
    char *out = NULL;
    for (int64_t p = 0; p < c->partitions && json_is_object(parts); p++) {
        if (c->skip_to[p] < 0) continue;
        char name[24];
        snprintf(name, sizeof name, "%lld", (long long)p);
        json_t *v = json_object_get(parts, name);
        if (json_is_integer(v) && json_integer_value(v) < c->skip_to[p]) {
            sluice_log(SLUICE_LOG_INFO, c->agg->name, "partition %lld of '%s' goes on from offset %lld, where its "
                       "restored state had read to, not %lld", (long long)p, c->repartition_topic,
                       (long long)c->skip_to[p], (long long)json_integer_value(v));
            json_integer_set(v, c->skip_to[p]);
        }
        c->skip_to[p] = -1;
    }
    if (json_is_object(parts)) out = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(root);
    return out;
}
