/* One side's buffered rows: see join_side.h. */
#include "join_side.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "builder.h"
#include "mem.h"
#include "row_codec.h"
#include "watermark.h"

/* Row bytes come in chunks of this size (a bigger row gets its own block). */
#define BYTES_CHUNK (1u << 20)

struct chain {
    int64_t first, last;
};

void sluice_join_side_init(struct sluice_join_side *s, const struct ArrowSchema *schema)
{
    memset(s, 0, sizeof *s);
    s->schema = schema;
    sluice_agg_table_init(&s->index, sizeof(struct chain));
    s->bytes = sluice_arena_new(BYTES_CHUNK);
    s->next_expiry = INT64_MAX;
}

void sluice_join_side_free(struct sluice_join_side *s)
{
    free(s->rows);
    sluice_agg_table_free(&s->index);
    sluice_arena_unref(s->bytes);
    memset(s, 0, sizeof *s);
}

/* Link row i into its key's chain. */
static bool link_row(struct sluice_join_side *s, size_t i)
{
    struct sluice_join_row *r = &s->rows[i];
    r->next = -1;
    if (!r->key_len) return true; /* a null key joins nothing */
    bool inserted;
    size_t g = sluice_agg_table_upsert(&s->index, r->hash, r->bytes, r->key_len, &inserted);
    if (g == SLUICE_AGG_TABLE_FULL) return false;
    struct chain *c = (struct chain *)(void *)sluice_agg_table_state(&s->index, g);
    if (inserted) c->first = (int64_t)i;
    else s->rows[c->last].next = (int64_t)i;
    c->last = (int64_t)i;
    return true;
}

size_t sluice_join_side_add(struct sluice_join_side *s, uint64_t hash, const uint8_t *key, uint32_t key_len,
                            int64_t seq, int64_t time, int64_t batch_id, bool matched, const struct ArrowSchema *schema,
                            const struct ArrowArray *a, int64_t row, const uint8_t *row_bytes, uint32_t row_len)
{
    if (a) row_len = (uint32_t)sluice_row_size(schema, a, row);
    uint8_t *p = sluice_arena_alloc(s->bytes, (size_t)key_len + row_len + 1);
    if (key_len) memcpy(p, key, key_len);
    if (a) sluice_row_write(schema, a, row, p + key_len);
    else if (row_len) memcpy(p + key_len, row_bytes, row_len);
    if (s->n_rows == s->cap_rows) {
        s->cap_rows = s->cap_rows ? 2 * s->cap_rows : 256;
        s->rows = sluice_xrealloc(s->rows, s->cap_rows * sizeof *s->rows);
    }
    size_t i = s->n_rows++;
    s->rows[i] = (struct sluice_join_row){ .hash = hash, .time = time, .seq = seq, .updated = batch_id,
                                           .bytes = p, .key_len = key_len, .row_len = row_len, .matched = matched };
    if (!link_row(s, i)) {
        s->n_rows--;
        return SIZE_MAX;
    }
    if (seq >= s->next_seq) s->next_seq = seq + 1;
    if (time != SLUICE_WATERMARK_NONE && time < s->next_expiry) s->next_expiry = time;
    return i;
}

int64_t sluice_join_side_first(const struct sluice_join_side *s, uint64_t hash, const uint8_t *key, uint32_t len)
{
    int64_t g = sluice_agg_table_find(&s->index, hash, key, len);
    if (g < 0) return -1;
    const struct chain *c = (const struct chain *)(const void *)sluice_agg_table_state(&s->index, (size_t)g);
    return c->first;
}

bool sluice_join_side_decode(const struct sluice_join_side *s, size_t i, struct sluice_builder *b)
{
    const struct sluice_join_row *r = &s->rows[i];
    return sluice_row_read(s->schema, r->bytes + r->key_len, r->row_len, b);
}

size_t sluice_join_side_bytes(const struct sluice_join_side *s)
{
    return s->cap_rows * sizeof *s->rows + sluice_agg_table_bytes(&s->index) + sluice_arena_bytes(s->bytes);
}

size_t sluice_join_side_evict(struct sluice_join_side *s, int64_t threshold,
                              void (*gone)(void *arg, const struct sluice_join_side *s, size_t i), void *arg)
{
    if (threshold == SLUICE_WATERMARK_NONE || threshold < s->next_expiry) return 0;
    size_t kept = 0;
    for (size_t i = 0; i < s->n_rows; i++) {
        const struct sluice_join_row *r = &s->rows[i];
        bool keep = r->time == SLUICE_WATERMARK_NONE || r->time > threshold;
        if (!keep && gone) gone(arg, s, i);
        kept += keep;
    }
    size_t went = s->n_rows - kept;
    /* Rebuild from the survivors, in their order: arena and index hold
     * only what is kept. */
    struct sluice_join_row *old = s->rows;
    size_t n = s->n_rows;
    struct sluice_arena *old_bytes = s->bytes;
    sluice_agg_table_free(&s->index);
    sluice_agg_table_init(&s->index, sizeof(struct chain));
    s->bytes = sluice_arena_new(BYTES_CHUNK);
    s->rows = NULL;
    s->n_rows = s->cap_rows = 0;
    s->next_expiry = INT64_MAX;
    int64_t next_seq = s->next_seq;
    for (size_t i = 0; i < n; i++) {
        const struct sluice_join_row *r = &old[i];
        if (!(r->time == SLUICE_WATERMARK_NONE || r->time > threshold)) continue;
        size_t k = sluice_join_side_add(s, r->hash, r->bytes, r->key_len, r->seq, r->time, r->updated, r->matched,
                                        NULL, NULL, 0, r->bytes + r->key_len, r->row_len);
        (void)k; /* fewer keys than before: the index cannot be full */
    }
    s->next_seq = next_seq;
    free(old);
    sluice_arena_unref(old_bytes);
    return went;
}
