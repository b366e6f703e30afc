/* The stream-stream join's buffered rows in the state store: see
 * stream_join.h for the records. */
#include "stream_join.h"

#include <stdlib.h>
#include <string.h>

#include "agg_table.h"
#include "error.h"
#include "hash.h"
#include "mem.h"
#include "state_store.h"
#include "watermark.h"

static void put_u32(struct sluice_buf *b, uint32_t v)
{
    uint8_t le[4];
    for (int i = 0; i < 4; i++) le[i] = (uint8_t)(v >> (8 * i));
    sluice_buf_append(b, le, sizeof le);
}

static void put_i64(struct sluice_buf *b, int64_t v)
{
    put_u32(b, (uint32_t)(uint64_t)v);
    put_u32(b, (uint32_t)((uint64_t)v >> 32));
}

static uint32_t get_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int64_t get_i64(const uint8_t *p)
{
    return (int64_t)((uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32);
}

/* A row's name in the store: its side, then its sequence number. */
static void record_key(int side, int64_t seq, uint8_t key[9])
{
    key[0] = (uint8_t)side;
    for (int i = 0; i < 8; i++) key[1 + i] = (uint8_t)((uint64_t)seq >> (8 * i));
}

static void put_row(struct sluice_state_store *store, int side, const struct sluice_join_row *r)
{
    uint8_t key[9];
    record_key(side, r->seq, key);
    struct sluice_buf *v = sluice_state_store_put(store, key, sizeof key);
    put_i64(v, r->time);
    sluice_buf_putc(v, r->matched ? 1 : 0);
    put_u32(v, r->key_len);
    sluice_buf_append(v, r->bytes, (size_t)r->key_len + r->row_len);
}

int sluice_stream_join_save(struct sluice_stream_join *j, const char *op, struct sluice_state_store *store,
                            int64_t batch_id, struct sluice_error *err)
{
    (void)err;
    size_t changed = 0, total = 1;
    for (int s = 0; s < 2; s++) {
        const struct sluice_join_side *side = &j->in[s].state;
        total += side->n_rows;
        for (size_t i = 0; i < side->n_rows; i++) changed += side->rows[i].updated == batch_id;
    }
    bool moved = j->watermark != j->saved_watermark || j->evicted_with != j->saved_evicted_with;
    if (!changed && !moved) return SLUICE_OK;
    bool snapshot = sluice_state_store_wants_snapshot(store, op, 0, changed + moved, total);
    sluice_state_store_section(store, op, 0, 1, snapshot);
    struct sluice_buf *w = sluice_state_store_put(store, "", 0);
    put_i64(w, j->evicted_with);
    put_i64(w, j->watermark);
    for (int s = 0; s < 2; s++) {
        const struct sluice_join_side *side = &j->in[s].state;
        for (size_t i = 0; i < side->n_rows; i++)
            if (snapshot || side->rows[i].updated == batch_id) put_row(store, s, &side->rows[i]);
    }
    j->saved_watermark = j->watermark;
    j->saved_evicted_with = j->evicted_with;
    return SLUICE_OK;
}

/* While restoring: where each record's row went, so a later record of the
 * same row (its match) updates it in place. */
struct restoring {
    struct sluice_stream_join *j;
    struct sluice_agg_table rows; /* record key -> int64 row index */
};

static int restore_record(void *arg, uint32_t part, int64_t version, const void *key, uint32_t key_len,
                          const void *value, size_t value_len, struct sluice_error *err)
{
    (void)part, (void)version;
    struct restoring *r = arg;
    struct sluice_stream_join *j = r->j;
    if (!value) return SLUICE_OK; /* removals are not written: eviction redoes them */
    const uint8_t *k = key, *v = value;
    if (key_len == 0) {
        if (value_len != 16)
            return sluice_error_set(err, SLUICE_EDATA, "a join watermark record of %zu bytes, not 16", value_len);
        j->evicted_with = j->saved_evicted_with = get_i64(v);
        j->watermark = j->saved_watermark = get_i64(v + 8);
        return SLUICE_OK;
    }
    if (key_len != 9 || k[0] > 1 || value_len < 13 || get_u32(v + 9) > value_len - 13)
        return sluice_error_set(err, SLUICE_EDATA, "a join row record that is not one (key %u bytes, value %zu)",
                                key_len, value_len);
    struct sluice_join_side *side = &j->in[k[0]].state;
    int64_t seq = get_i64(k + 1), time = get_i64(v);
    bool matched = v[8] != 0;
    uint32_t klen = get_u32(v + 9);
    bool inserted;
    uint64_t hash = sluice_hash64(key, key_len, 0);
    size_t g = sluice_agg_table_upsert(&r->rows, hash, key, key_len, &inserted);
    if (g == SLUICE_AGG_TABLE_FULL) return sluice_error_set(err, SLUICE_ELIMIT, "the join buffers more rows than it may");
    int64_t *at = (int64_t *)(void *)sluice_agg_table_state(&r->rows, g);
    if (!inserted) {
        side->rows[*at].matched = matched; /* the row itself never changes */
        return SLUICE_OK;
    }
    const uint8_t *bytes = v + 13;
    uint64_t khash = klen ? sluice_hash64(bytes, klen, 0) : 0;
    size_t i = sluice_join_side_add(side, khash, bytes, klen, seq, time, -1, matched, NULL, NULL, 0, bytes + klen,
                                    (uint32_t)(value_len - 13 - klen));
    if (i == SIZE_MAX) return sluice_error_set(err, SLUICE_ELIMIT, "the join buffers more keys than it may");
    *at = (int64_t)i;
    return SLUICE_OK;
}

int sluice_stream_join_restore(struct sluice_stream_join *j, const char *op, struct sluice_state_store *store,
                               struct sluice_error *err)
{
    struct restoring r = { .j = j };
    sluice_agg_table_init(&r.rows, sizeof(int64_t));
    int rc = sluice_state_store_scan(store, op, 1, restore_record, &r, err);
    sluice_agg_table_free(&r.rows);
    if (rc) return rc;
    /* Rows the last batch's watermark evicted are still in older records;
     * their outer rows went out with that batch. */
    int64_t evicted = j->rows_evicted, next = j->watermark;
    j->watermark = j->evicted_with;
    rc = sluice_stream_join_evict(j, NULL, NULL, err);
    j->watermark = next;
    j->rows_evicted = evicted;
    return rc;
}
