/* Aggregation at run time: folding batches into groups, merging partial
 * states by shuffle partition, emitting groups as rows. See agg_stage.h. */
#include "agg_stage.h"

#include <stdlib.h>
#include <string.h>

#include "agg_key.h"
#include "agg_table.h"
#include "arena.h"
#include "builder.h"
#include "error.h"
#include "expr.h"
#include "host.h"
#include "mem.h"
#include "watermark.h"
#include "window.h"

struct sluice_agg_groups {
    const struct sluice_agg_plan *plan;
    size_t n_parts;
    struct sluice_agg_table *parts;
    struct sluice_arena *scratch; /* one update's keys and state pointers */
    int32_t event_key;            /* the key a watermark closes, or -1 */
    int64_t watermark;
    int64_t dropped, evicted;
    sluice_agg_group_fn on_evict; /* told each key evict removes, or NULL */
    void *on_evict_arg;
};

struct sluice_agg_groups *sluice_agg_groups_new(const struct sluice_agg_plan *plan, size_t n_partitions)
{
    struct sluice_agg_groups *g = sluice_xcalloc(1, sizeof *g);
    g->plan = plan;
    g->n_parts = n_partitions ? n_partitions : 1;
    g->parts = sluice_xcalloc(g->n_parts, sizeof *g->parts);
    for (size_t i = 0; i < g->n_parts; i++) sluice_agg_table_init(&g->parts[i], plan->state_size);
    g->scratch = sluice_arena_new(0);
    g->event_key = -1;
    g->watermark = SLUICE_WATERMARK_NONE;
    return g;
}

void sluice_agg_groups_set_watermark(struct sluice_agg_groups *g, int32_t key, int64_t watermark)
{
    g->event_key = key >= 0 && (size_t)key < g->plan->n_keys ? key : -1;
    g->watermark = watermark;
}

/* Whether the watermark closes anything yet. */
static bool closing(const struct sluice_agg_groups *g)
{
    return g->event_key >= 0 && g->watermark != SLUICE_WATERMARK_NONE;
}

static void destroy_states(struct sluice_agg_groups *g)
{
    const struct sluice_agg_plan *p = g->plan;
    if (!p->has_destroy) return;
    for (size_t t = 0; t < g->n_parts; t++) {
        struct sluice_agg_table *tab = &g->parts[t];
        for (size_t i = 0; i < tab->n_groups; i++) {
            uint8_t *st = sluice_agg_table_state(tab, i);
            for (size_t c = 0; c < p->n_calls; c++)
                if (p->calls[c].info.has_destroy) p->calls[c].fn->destroy(p->calls[c].bound, st + p->calls[c].offset);
        }
    }
}

void sluice_agg_groups_free(struct sluice_agg_groups *g)
{
    if (!g) return;
    destroy_states(g);
    for (size_t i = 0; i < g->n_parts; i++) sluice_agg_table_free(&g->parts[i]);
    free(g->parts);
    sluice_arena_unref(g->scratch);
    free(g);
}

static void init_state(const struct sluice_agg_plan *p, uint8_t *st)
{
    for (size_t c = 0; c < p->n_calls; c++) p->calls[c].fn->init(p->calls[c].bound, st + p->calls[c].offset);
}

static inline size_t partition_of(const struct sluice_agg_groups *g, uint64_t hash)
{
    return g->n_parts == 1 ? 0 : (size_t)(hash % g->n_parts);
}

static int partition_full(const struct sluice_agg_groups *g, uint64_t hash, struct sluice_error *err)
{
    const struct sluice_agg_table *t = &g->parts[partition_of(g, hash)];
    int rc = sluice_error_set(err, SLUICE_ELIMIT, "a partition of the aggregation state holds %lld groups, "
                              "the most one may", (long long)t->max_groups);
    sluice_error_hint(err, "raise runtime.shuffle_partitions to spread the groups over more partitions");
    return rc;
}

/* The group of one key, made (and its state initialised) when new; NULL
 * when its partition is full. */
static uint8_t *find_group(struct sluice_agg_groups *g, uint64_t hash, const uint8_t *key, uint32_t len,
                           int64_t batch_id)
{
    struct sluice_agg_table *t = &g->parts[partition_of(g, hash)];
    bool inserted;
    size_t gi = sluice_agg_table_upsert(t, hash, key, len, &inserted);
    if (__builtin_expect(gi == SLUICE_AGG_TABLE_FULL, 0)) return NULL;
    uint8_t *st = sluice_agg_table_state(t, gi);
    if (inserted) init_state(g->plan, st);
    t->groups[gi].updated = batch_id;
    return st;
}

/* Rows of a timestamp key whose value the watermark has closed leave
 * has[]; a null key closes nothing (Spark's predicate is then null). */
static void drop_closed_keys(const struct ArrowArray *key, int64_t n, int64_t watermark, uint8_t *has,
                             int64_t *dropped, uint8_t *late_rows)
{
    const int64_t *v = (const int64_t *)key->buffers[1] + key->offset;
    const uint8_t *valid = key->null_count != 0 ? key->buffers[0] : NULL;
    for (int64_t i = 0; i < n; i++) {
        bool late = has[i] && (!valid || sluice_bit_get(valid, key->offset + i)) && v[i] <= watermark;
        *dropped += late;
        has[i] = has[i] && !late;
        if (late && late_rows) late_rows[i] = 1;
    }
}

/* A plugin's error without a message still says whose it is. */
static void plugin_failed(const struct sluice_agg_call *call, const char *callback, int rc, struct sluice_error *err)
{
    if (err && !err->message[0])
        sluice_error_set(err, rc, "aggregator '%s' failed in %s with status %d", call->fn->name, callback, rc);
}

int sluice_agg_groups_update(struct sluice_agg_groups *g, const struct sluice_batch *in,
                             int64_t batch_id, uint8_t *late_rows, struct sluice_error *err)
{
    const struct sluice_agg_plan *p = g->plan;
    int64_t n = in->array.length;
    if (n <= 0) return SLUICE_OK;
    struct ArrowArray *keys = sluice_xcalloc(p->n_keys + p->n_args + 1, sizeof *keys);
    struct ArrowArray *args = keys + p->n_keys;
    int rc = SLUICE_OK;
    for (size_t i = 0; i < p->n_keys && !rc; i++) rc = sluice_expr_eval(p->keys[i], in, &keys[i], err);
    for (size_t i = 0; i < p->n_args && !rc; i++) rc = sluice_expr_eval(p->args[i], in, &args[i], err);

    size_t rows = (size_t)n;
    struct sluice_agg_keycol *cols = sluice_arena_alloc(g->scratch, (p->n_keys + 1) * sizeof *cols);
    uint8_t **base = sluice_arena_alloc(g->scratch, rows * sizeof *base);
    void **states = sluice_arena_alloc(g->scratch, rows * sizeof *states);
    /* has[i]: row i joins a group in this pass. Windows are built into
     * start/end once per pass, a column at a time, never per row. */
    bool window_closes = p->windowed && g->event_key == 0;
    bool key_closes = closing(g) && !window_closes;
    uint8_t *has = p->windowed || key_closes ? sluice_arena_alloc(g->scratch, rows) : NULL;
    /* With late_rows: which rows joined some group, so that a row counts as
     * late only when the watermark closed every group it belonged to. */
    uint8_t *joined = late_rows && has ? sluice_arena_calloc(g->scratch, rows) : NULL;
    if (late_rows) memset(late_rows, 0, rows);
    int64_t *wstart = p->windowed ? sluice_arena_alloc(g->scratch, rows * sizeof *wstart) : NULL;
    int64_t *wend = p->windowed ? sluice_arena_alloc(g->scratch, rows * sizeof *wend) : NULL;
    struct sluice_window_column wcol;
    /* One pass per grouping set and window a row may fall in: every row
     * joins one group of each set per window holding it, and each
     * aggregator folds the whole batch into those groups in one call. */
    for (size_t s = 0; s < p->n_sets && !rc; s++) {
        bool drop_keys = key_closes && (p->sets[s] & ((uint32_t)1 << g->event_key));
        for (size_t w = 0; w < p->n_passes && !rc; w++) {
            if (p->windowed) {
                if (!sluice_window_assign(&p->window, &keys[0], n, w,
                                          window_closes ? g->watermark : SLUICE_WATERMARK_NONE, wstart, wend, has,
                                          &g->dropped, late_rows))
                    continue;
                sluice_window_column_init(&wcol, wstart, wend, n);
            } else if (has) {
                memset(has, 1, rows);
            }
            if (drop_keys) drop_closed_keys(&keys[g->event_key], n, g->watermark, has, &g->dropped, late_rows);
            if (joined)
                for (size_t i = 0; i < rows; i++) joined[i] |= has[i];
            size_t n_cols = 0;
            for (size_t k = 0; k < p->n_keys; k++) {
                if (!(p->sets[s] & ((uint32_t)1 << k))) continue;
                if (k == 0 && p->windowed)
                    cols[n_cols++] = (struct sluice_agg_keycol){ p->output.children[0], &wcol.array };
                else
                    cols[n_cols++] = (struct sluice_agg_keycol){ sluice_expr_result(p->keys[k]), &keys[k] };
            }
            struct sluice_agg_keys ek;
            rc = sluice_agg_key_encode(cols, n_cols, p->n_sets > 1 ? (int32_t)s : -1, n, g->scratch, &ek, err);
            for (size_t i = 0; i < rows && !rc; i++) {
                base[i] = NULL;
                if (has && !has[i]) continue;
                base[i] = find_group(g, ek.hash[i], ek.data + ek.offs[i], (uint32_t)(ek.offs[i + 1] - ek.offs[i]),
                                     batch_id);
                if (!base[i]) rc = partition_full(g, ek.hash[i], err);
            }
            /* Rows before a failure joined groups without their values:
             * the batch fails, and a checkpointed run replays it from the
             * state before it. */
            if (rc) break;
            for (size_t c = 0; c < p->n_calls && !rc; c++) {
                const struct sluice_agg_call *call = &p->calls[c];
                for (size_t i = 0; i < rows; i++) states[i] = base[i] ? base[i] + call->offset : NULL;
                rc = call->fn->update(sluice_host(), call->bound, states, call->arg >= 0 ? &args[call->arg] : NULL,
                                      n, err);
                if (rc) plugin_failed(call, "update", rc, err);
            }
        }
    }
    if (late_rows)
        for (size_t i = 0; i < rows; i++) late_rows[i] = late_rows[i] && (!joined || !joined[i]);
    for (size_t i = 0; i < p->n_keys + p->n_args; i++)
        if (keys[i].release) keys[i].release(&keys[i]);
    free(keys);
    sluice_arena_reset(g->scratch);
    return rc;
}

/* Merging stopped at group `done` of `src`: the groups before it have
 * moved or been merged (their states are gone), so only the rest stay for
 * whoever frees `src`. */
static void keep_unmerged(struct sluice_agg_table *src, size_t done)
{
    bool *keep = sluice_xmalloc(src->n_groups + 1);
    for (size_t i = 0; i < src->n_groups; i++) keep[i] = i >= done;
    sluice_agg_table_retain(src, keep);
    free(keep);
}

int sluice_agg_groups_merge(struct sluice_agg_groups *into, struct sluice_agg_groups *from, int64_t batch_id,
                            struct sluice_error *err)
{
    const struct sluice_agg_plan *p = into->plan;
    int rc = SLUICE_OK;
    for (size_t t = 0; t < from->n_parts && !rc; t++) {
        struct sluice_agg_table *src = &from->parts[t];
        for (size_t i = 0; i < src->n_groups; i++) {
            const struct sluice_agg_group *sg = &src->groups[i];
            uint8_t *ss = sluice_agg_table_state(src, i);
            if (rc) {
                /* After a failed merge the rest of the partition is
                 * dropped here, as merged groups would have been. */
                for (size_t c = 0; c < p->n_calls && p->has_destroy; c++)
                    if (p->calls[c].info.has_destroy) p->calls[c].fn->destroy(p->calls[c].bound, ss + p->calls[c].offset);
                continue;
            }
            struct sluice_agg_table *dst = &into->parts[partition_of(into, sg->hash)];
            bool inserted;
            size_t gi = sluice_agg_table_upsert(dst, sg->hash, sg->key, sg->key_len, &inserted);
            if (__builtin_expect(gi == SLUICE_AGG_TABLE_FULL, 0)) {
                rc = partition_full(into, sg->hash, err);
                keep_unmerged(src, i);
                into->dropped += from->dropped;
                from->dropped = 0;
                return rc;
            }
            uint8_t *ds = sluice_agg_table_state(dst, gi);
            dst->groups[gi].updated = batch_id;
            if (inserted) {
                /* States are position-independent (plugin.h): a new key's
                 * state moves over, whatever it owns with it. */
                memcpy(ds, ss, p->state_size);
                continue;
            }
            for (size_t c = 0; c < p->n_calls; c++) {
                const struct sluice_agg_call *call = &p->calls[c];
                if (!rc) {
                    rc = call->fn->merge(sluice_host(), call->bound, ds + call->offset, ss + call->offset, err);
                    if (rc) plugin_failed(call, "merge", rc, err);
                }
                if (call->info.has_destroy) call->fn->destroy(call->bound, ss + call->offset);
            }
        }
        /* Every state of the partition moved, merged or was destroyed. */
        sluice_agg_table_free(src);
        sluice_agg_table_init(src, p->state_size);
    }
    into->dropped += from->dropped;
    from->dropped = 0;
    return rc;
}

/* The event time of a group's key (the window's end, or the key's value);
 * false when the group has none: the key rolled up by its grouping set,
 * or null. */
static bool group_time(const struct sluice_agg_plan *p, int32_t key, const uint8_t *k, int64_t *out)
{
    uint32_t set = p->sets[0];
    if (p->n_sets > 1) {
        set = p->sets[sluice_agg_key_set_id(k)];
        k += 2;
    }
    if (!(set & ((uint32_t)1 << key))) return false;
    for (int32_t c = 0; c < key; c++)
        if (set & ((uint32_t)1 << c)) k = sluice_agg_key_skip(p->output.children[c], k);
    if (*k++ == 0) return false;
    if (key == 0 && p->windowed) {
        k = sluice_agg_key_skip(p->output.children[0]->children[0], k); /* start */
        if (*k++ == 0) return false;
    }
    *out = sluice_agg_key_long(k);
    return true;
}

static bool is_closed(void *arg, const uint8_t *key, uint32_t key_len)
{
    const struct sluice_agg_groups *g = arg;
    int64_t t;
    (void)key_len;
    return group_time(g->plan, g->event_key, key, &t) && t <= g->watermark;
}

static bool evicts(void *arg, const uint8_t *key, uint32_t key_len)
{
    struct sluice_agg_groups *g = arg;
    bool closed = is_closed(g, key, key_len);
    if (closed && g->on_evict) g->on_evict(g->on_evict_arg, key, key_len);
    return closed;
}

void sluice_agg_groups_on_evict(struct sluice_agg_groups *g, sluice_agg_group_fn fn, void *arg)
{
    g->on_evict = fn;
    g->on_evict_arg = arg;
}

int64_t sluice_agg_groups_remove(struct sluice_agg_groups *g, sluice_agg_group_pred drop, void *arg)
{
    const struct sluice_agg_plan *p = g->plan;
    int64_t removed = 0;
    for (size_t t = 0; t < g->n_parts; t++) {
        struct sluice_agg_table *tab = &g->parts[t];
        bool *keep = sluice_arena_alloc(g->scratch, (tab->n_groups ? tab->n_groups : 1) * sizeof *keep);
        size_t dropped = 0;
        for (size_t i = 0; i < tab->n_groups; i++) {
            keep[i] = !drop(arg, tab->groups[i].key, tab->groups[i].key_len);
            if (keep[i]) continue;
            dropped++;
            uint8_t *st = sluice_agg_table_state(tab, i);
            for (size_t c = 0; c < p->n_calls && p->has_destroy; c++)
                if (p->calls[c].info.has_destroy) p->calls[c].fn->destroy(p->calls[c].bound, st + p->calls[c].offset);
        }
        if (dropped) removed += (int64_t)sluice_agg_table_retain(tab, keep);
        sluice_arena_reset(g->scratch);
    }
    return removed;
}

int64_t sluice_agg_groups_evict(struct sluice_agg_groups *g)
{
    if (!closing(g)) return 0;
    int64_t removed = sluice_agg_groups_remove(g, evicts, g);
    g->evicted += removed;
    return removed;
}

int sluice_agg_groups_emit(struct sluice_agg_groups *g, enum sluice_agg_emit which, int64_t batch_id,
                           struct sluice_batch *out, struct sluice_error *err)
{
    struct sluice_agg_cursor cur = { 0 };
    bool more;
    return sluice_agg_groups_emit_next(g, which, batch_id, &cur, INT64_MAX, out, &more, err);
}

int sluice_agg_groups_emit_next(struct sluice_agg_groups *g, enum sluice_agg_emit which, int64_t batch_id,
                                struct sluice_agg_cursor *cur, int64_t max_rows, struct sluice_batch *out, bool *more,
                                struct sluice_error *err)
{
    int rc = SLUICE_OK;
    const struct sluice_agg_plan *p = g->plan;
    memset(out, 0, sizeof *out);
    *more = false;
    /* Spark's global aggregate answers every batch, even an empty one
     * (a plan without keys has no event time, so append never gets here). */
    bool global = p->n_keys == 0 && which != SLUICE_AGG_EMIT_CLOSED;
    uint64_t empty = sluice_hash64("", 0, 0);
    if (!cur->started && global && !find_group(g, empty, (const uint8_t *)"", 0, batch_id))
        return partition_full(g, empty, err);
    cur->started = true;
    struct sluice_builder *b = sluice_builder_new(&p->output);
    int64_t rows = 0;
    for (size_t t = cur->part; t < g->n_parts && !rc && !*more; t++) {
        const struct sluice_agg_table *tab = &g->parts[t];
        for (size_t i = t == cur->part ? cur->group : 0; i < tab->n_groups && !rc; i++) {
            if (rows == max_rows) { /* this piece is full: the next one starts here */
                *cur = (struct sluice_agg_cursor){ t, i, true };
                *more = true;
                break;
            }
            const struct sluice_agg_group *gr = &tab->groups[i];
            if (which == SLUICE_AGG_EMIT_UPDATED && gr->updated != batch_id) continue;
            if (which == SLUICE_AGG_EMIT_CLOSED && !(closing(g) && is_closed((void *)g, gr->key, gr->key_len))) continue;
            sluice_builder_append_struct(b);
            const uint8_t *k = gr->key;
            uint32_t set = p->sets[0];
            if (p->n_sets > 1) {
                set = p->sets[sluice_agg_key_set_id(k)];
                k += 2;
            }
            for (size_t c = 0; c < p->n_keys; c++) {
                if (set & ((uint32_t)1 << c))
                    k = sluice_agg_key_decode(p->output.children[c], k, &b->children[c]);
                else
                    sluice_builder_append_null(&b->children[c]); /* rolled up */
            }
            rows++;
            const uint8_t *st = sluice_agg_table_state(tab, i);
            for (size_t c = 0; c < p->n_calls && !rc; c++) {
                const struct sluice_agg_call *call = &p->calls[c];
                struct sluice_builder *col = &b->children[p->n_keys + c];
                int64_t before = col->length;
                rc = call->fn->finalize(sluice_host(), call->bound, st + call->offset, col, err);
                if (rc) plugin_failed(call, "finalize", rc, err);
                else if (col->length != before + 1)
                    rc = sluice_error_set(err, SLUICE_EINTERNAL, "aggregator '%s' appended %lld values in finalize; it "
                                          "must append exactly one (or a null)", call->fn->name,
                                          (long long)(col->length - before));
            }
        }
    }
    /* Complete mode emits every group each batch: 2 GiB of key strings
     * is reachable, and fails the batch rather than the process. */
    if (!rc) rc = sluice_builder_refusal(b, err);
    if (rc) {
        *out = (struct sluice_batch){ 0 };
    } else {
        sluice_builder_finish(b, out);
        out->schema = &p->output;
    }
    sluice_builder_free(b);
    return rc;
}

void sluice_agg_groups_stats(const struct sluice_agg_groups *g, struct sluice_agg_stats *out)
{
    out->groups = 0;
    out->bytes = 0;
    out->dropped = g->dropped;
    out->evicted = g->evicted;
    for (size_t t = 0; t < g->n_parts; t++) {
        out->groups += (int64_t)g->parts[t].n_groups;
        out->bytes += sluice_agg_table_bytes(&g->parts[t]);
    }
}

int64_t sluice_agg_groups_count_updated(const struct sluice_agg_groups *g, int64_t batch_id)
{
    int64_t n = 0;
    for (size_t t = 0; t < g->n_parts; t++)
        for (size_t i = 0; i < g->parts[t].n_groups; i++) n += g->parts[t].groups[i].updated == batch_id;
    return n;
}

size_t sluice_agg_groups_partitions(const struct sluice_agg_groups *g)
{
    return g->n_parts;
}

struct sluice_agg_table *sluice_agg_groups_table(struct sluice_agg_groups *g, size_t p)
{
    return &g->parts[p];
}
