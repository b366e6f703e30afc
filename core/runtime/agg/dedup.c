/* drop_duplicates: see dedup.h. */
#include "dedup.h"

#include <stdlib.h>
#include <string.h>

#include "agg_key.h"
#include "arena.h"
#include "error.h"
#include "expr.h"
#include "mem.h"
#include "state_store.h"
#include "take.h"
#include "watermark.h"

#include <sluice/types.h>

/* Scratch for a batch's encoded keys, reused batch after batch. */
#define SCRATCH_CHUNK (1u << 20)

struct sluice_dedup *sluice_dedup_new(struct sluice_expr **keys, size_t n_keys, bool within)
{
    struct sluice_dedup *d = sluice_xcalloc(1, sizeof *d);
    d->keys = keys;
    d->n_keys = n_keys;
    d->within = within;
    d->watermark = d->saved_watermark = SLUICE_WATERMARK_NONE;
    d->next_expiry = INT64_MAX;
    sluice_agg_table_init(&d->table, sizeof(int64_t));
    d->scratch = sluice_arena_new(SCRATCH_CHUNK);
    return d;
}

void sluice_dedup_free(struct sluice_dedup *d)
{
    if (!d) return;
    for (size_t k = 0; k < d->n_keys; k++) sluice_expr_free(d->keys[k]);
    free(d->keys);
    sluice_expr_free(d->time);
    free(d->trackers);
    sluice_agg_table_free(&d->table);
    sluice_arena_unref(d->scratch);
    free(d);
}

static int64_t expiry(const struct sluice_dedup *d, int64_t t)
{
    if (t == SLUICE_WATERMARK_NONE) return SLUICE_WATERMARK_NONE; /* no time: kept for ever */
    return d->within ? t + d->delay_us : t;
}

/* Key g expires at `exp`. next_expiry stays a lower bound of every
 * expiry held, so a batch whose watermark is below it scans nothing. */
static void set_expiry(struct sluice_dedup *d, size_t g, int64_t exp)
{
    memcpy(sluice_agg_table_state(&d->table, g), &exp, sizeof exp);
    if (exp != SLUICE_WATERMARK_NONE && exp < d->next_expiry) d->next_expiry = exp;
}

int sluice_dedup_filter(struct sluice_dedup *d, int64_t batch_id, struct sluice_batch *in,
                        struct sluice_batch *out, struct sluice_error *err)
{
    int64_t n = sluice_batch_rows(in);
    struct ArrowArray *cols = sluice_xcalloc(d->n_keys + 1, sizeof *cols);
    int64_t *keep = sluice_xmalloc((size_t)(n ? n : 1) * sizeof *keep);
    struct sluice_agg_keys keys;
    int rc = sluice_agg_key_eval(d->keys, d->n_keys, in, cols, d->scratch, &keys, err);
    struct ArrowArray *times = d->time ? &cols[d->n_keys] : NULL;
    if (!rc && times) rc = sluice_expr_eval(d->time, in, times, err);
    int64_t kept = 0;
    for (int64_t i = 0; i < n && !rc; i++) {
        int64_t t = SLUICE_WATERMARK_NONE;
        if (times && sluice_array_valid(times, i)) t = ((const int64_t *)times->buffers[1])[times->offset + i];
        /* Spark's watermark predicate for data: at or below it is late. */
        if (t != SLUICE_WATERMARK_NONE && d->watermark != SLUICE_WATERMARK_NONE && t <= d->watermark) {
            d->rows_late++;
            continue;
        }
        const uint8_t *key = keys.data + keys.offs[i];
        uint32_t len = (uint32_t)(keys.offs[i + 1] - keys.offs[i]);
        bool inserted = false;
        size_t g = sluice_agg_table_upsert(&d->table, keys.hash[i], key, len, &inserted);
        if (g == SLUICE_AGG_TABLE_FULL) {
            rc = sluice_error_set(err, SLUICE_ELIMIT, "drop_duplicates holds %lld keys, the most it may",
                                  (long long)d->table.max_groups);
            break;
        }
        if (!inserted) {
            d->rows_dropped++;
            continue;
        }
        int64_t exp = expiry(d, t);
        set_expiry(d, g, exp);
        d->table.groups[g].updated = batch_id;
        keep[kept++] = i;
    }
    if (!rc) {
        *out = (struct sluice_batch){ .schema = in->schema };
        rc = kept == n ? (sluice_batch_move(out, in), SLUICE_OK)
                       : sluice_array_take(in->schema, &in->array, keep, kept, &out->array, err);
    }
    for (size_t k = 0; k <= d->n_keys; k++)
        if (cols[k].release) cols[k].release(&cols[k]);
    free(cols);
    free(keep);
    sluice_batch_release(in);
    sluice_arena_reset(d->scratch);
    return rc;
}

void sluice_dedup_evict(struct sluice_dedup *d)
{
    if (d->watermark == SLUICE_WATERMARK_NONE || d->watermark < d->next_expiry) return;
    bool *keep = sluice_xmalloc(d->table.n_groups ? d->table.n_groups : 1);
    size_t gone = 0;
    d->next_expiry = INT64_MAX;
    for (size_t g = 0; g < d->table.n_groups; g++) {
        int64_t exp;
        memcpy(&exp, sluice_agg_table_state(&d->table, g), sizeof exp);
        keep[g] = exp == SLUICE_WATERMARK_NONE || exp > d->watermark;
        gone += !keep[g];
        if (keep[g] && exp != SLUICE_WATERMARK_NONE && exp < d->next_expiry) d->next_expiry = exp;
    }
    if (gone) d->keys_evicted += (int64_t)sluice_agg_table_retain(&d->table, keep);
    free(keep);
}

void sluice_dedup_advance(struct sluice_dedup *d)
{
    if (d->n_trackers) d->watermark = sluice_watermark_next(d->watermark, sluice_watermark_min(d->trackers, d->n_trackers));
}

/* ---- the state store ---- */

static void put_i64(struct sluice_buf *b, int64_t v)
{
    uint8_t le[8];
    for (int i = 0; i < 8; i++) le[i] = (uint8_t)((uint64_t)v >> (8 * i));
    sluice_buf_append(b, le, sizeof le);
}

static int64_t get_i64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return (int64_t)v;
}

int sluice_dedup_save(struct sluice_dedup *d, const char *op, struct sluice_state_store *store, int64_t batch_id,
                      struct sluice_error *err)
{
    (void)err;
    const struct sluice_agg_table *t = &d->table;
    size_t changed = 0;
    for (size_t g = 0; g < t->n_groups; g++) changed += t->groups[g].updated == batch_id;
    bool moved = d->watermark != d->saved_watermark;
    if (!changed && !moved) return SLUICE_OK;
    bool snapshot = sluice_state_store_wants_snapshot(store, op, 0, changed + moved, t->n_groups + 1);
    sluice_state_store_section(store, op, 0, 1, snapshot);
    put_i64(sluice_state_store_put(store, "", 0), d->watermark);
    for (size_t g = 0; g < t->n_groups; g++) {
        const struct sluice_agg_group *gr = &t->groups[g];
        if (!snapshot && gr->updated != batch_id) continue;
        int64_t exp;
        memcpy(&exp, sluice_agg_table_state(t, g), sizeof exp);
        put_i64(sluice_state_store_put(store, gr->key, gr->key_len), exp);
    }
    d->saved_watermark = d->watermark;
    return SLUICE_OK;
}

static int restore_record(void *arg, uint32_t part, int64_t version, const void *key, uint32_t key_len,
                          const void *value, size_t value_len, struct sluice_error *err)
{
    (void)part, (void)version;
    struct sluice_dedup *d = arg;
    if (!value) return SLUICE_OK; /* removals are not written: eviction redoes them */
    if (value_len != 8) return sluice_error_set(err, SLUICE_EDATA, "a drop_duplicates record of %zu bytes, not 8", value_len);
    int64_t v = get_i64(value);
    if (key_len == 0) {
        d->watermark = d->saved_watermark = v;
        return SLUICE_OK;
    }
    bool inserted;
    size_t g = sluice_agg_table_upsert(&d->table, sluice_hash64(key, key_len, 0), key, key_len, &inserted);
    if (g == SLUICE_AGG_TABLE_FULL)
        return sluice_error_set(err, SLUICE_ELIMIT, "drop_duplicates holds %lld keys, the most it may",
                                (long long)d->table.max_groups);
    set_expiry(d, g, v);
    return SLUICE_OK;
}

int sluice_dedup_restore(struct sluice_dedup *d, const char *op, struct sluice_state_store *store,
                         struct sluice_error *err)
{
    int rc = sluice_state_store_scan(store, op, 1, restore_record, d, err);
    if (rc) return rc;
    /* Keys the last batch's watermark expired are still in older records. */
    int64_t evicted = d->keys_evicted;
    sluice_dedup_evict(d);
    d->keys_evicted = evicted;
    return SLUICE_OK;
}
