/* core/runtime/join/join_side.h — one side's buffered rows in a
 * stream-stream join (stream_join.h): rows by join key, in arrival order,
 * each with the time it may be evicted at and whether it has matched.
 *
 * A row is held as bytes (row_codec.h) after its encoded key (agg_key.h),
 * in the side's arena; an index (agg_table.h) gives each key's first and
 * last row, rows of a key chained in arrival order. Eviction keeps the
 * rows whose time is above a threshold and rebuilds arena and index from
 * them, so memory follows what is kept.
 *
 * Threads: one thread (the join's main thread). */
#ifndef SLUICE_CORE_JOIN_SIDE_H
#define SLUICE_CORE_JOIN_SIDE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/arrow.h>
#include <sluice/error.h>

#include "agg_table.h"

struct sluice_arena;
struct sluice_builder;

struct sluice_join_row {
    uint64_t hash;     /* of the key */
    int64_t time;      /* evicted once at or below the threshold; SLUICE_WATERMARK_NONE: kept */
    int64_t seq;       /* the side's sequence number: the row's name in the checkpoint */
    int64_t updated;   /* the batch that last changed it (added, matched), -1 after a restore */
    int64_t next;      /* the key's next row, or -1 */
    const uint8_t *bytes; /* the key (key_len bytes) then the row (row_len) */
    uint32_t key_len;  /* 0: a key with a null, which matches nothing */
    uint32_t row_len;
    bool matched;
};

struct sluice_join_side {
    const struct ArrowSchema *schema; /* the side's rows (borrowed) */
    struct sluice_join_row *rows;
    size_t n_rows, cap_rows;
    struct sluice_agg_table index;    /* per key: int64 first row, int64 last row */
    struct sluice_arena *bytes;
    int64_t next_seq;
    int64_t next_expiry;              /* no row's time is below this (INT64_MAX: none has one) */
};

void sluice_join_side_init(struct sluice_join_side *s, const struct ArrowSchema *schema);
void sluice_join_side_free(struct sluice_join_side *s);

/* Buffer a row: its key (len 0 for a null key) and row bytes are copied.
 * Returns its index; SIZE_MAX when the index is full. */
size_t sluice_join_side_add(struct sluice_join_side *s, uint64_t hash, const uint8_t *key, uint32_t key_len,
                            int64_t seq, int64_t time, int64_t batch_id, bool matched, const struct ArrowSchema *schema,
                            const struct ArrowArray *a, int64_t row, const uint8_t *row_bytes, uint32_t row_len);
/* The first row of `key`, or -1; follow rows[i].next. */
int64_t sluice_join_side_first(const struct sluice_join_side *s, uint64_t hash, const uint8_t *key, uint32_t len);
/* Append row i's columns to `b` (a builder of the side's schema). False
 * on bytes that are not a row of it (a damaged checkpoint). */
bool sluice_join_side_decode(const struct sluice_join_side *s, size_t i, struct sluice_builder *b);

/* Bytes held: rows, index and row bytes. */
size_t sluice_join_side_bytes(const struct sluice_join_side *s);

/* Drop every row whose time is at or below `threshold`, calling gone(arg,
 * i) for each first (its bytes still readable). Returns how many went. */
size_t sluice_join_side_evict(struct sluice_join_side *s, int64_t threshold,
                              void (*gone)(void *arg, const struct sluice_join_side *s, size_t i), void *arg);

#endif
