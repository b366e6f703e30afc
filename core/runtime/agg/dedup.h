/* core/runtime/agg/dedup.h — drop_duplicates, a keyed-state operator:
 * Spark's dropDuplicates(subset) and dropDuplicatesWithinWatermark.
 *
 *   { name = "unique"; input = "tweets"; transform = "drop_duplicates";
 *     columns = ["data.author_id", "data.text"]; }
 *
 * The first row of each key passes; later rows of that key are dropped,
 * in this batch and every later one. Rows are judged on the main thread in
 * the order the source planned them (the units' order), so which row of a
 * key passes does not depend on the number of threads, and a replayed
 * batch passes the same rows.
 *
 * Event time, as Spark:
 * - plain: when a key column is a watermarked event-time column, a row
 *   whose time is at or below the watermark is late and dropped, and a key
 *   leaves the state once the watermark reaches its time. Otherwise the
 *   state keeps every key for ever (`sluice check` says so).
 * - within_watermark: duplicates are dropped while the first row's event
 *   time plus the watermark's delay is above the watermark; then its key
 *   expires and the next row of it passes again. Needs a watermark.
 *
 * State: one table of encoded keys (agg_key.h), each with the time it
 * expires at (SLUICE_WATERMARK_NONE: never); saved to the state store as
 * operator `<stage>`, partition 0 of 1: the keys a batch added (a delta) or
 * all of them (a snapshot), and the watermark under the empty key, which
 * no encoded key is. A restore loads them and evicts what that watermark
 * expired. Threads: main thread only. */
#ifndef SLUICE_CORE_DEDUP_H
#define SLUICE_CORE_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/batch.h>
#include <sluice/error.h>

#include "agg_table.h"

struct sluice_arena;
struct sluice_expr;
struct sluice_state_store;
struct sluice_watermark_tracker;

struct sluice_dedup {
    struct sluice_expr **keys;  /* compiled against the input; owned */
    size_t n_keys;
    bool within;                /* within_watermark */
    /* Event time, set when the graph opens: the expression giving a row's
     * time (a key's, or the watermark column for within_watermark; NULL:
     * none, nothing is late or evicted), the delay added to it for
     * within_watermark, and the trackers of the watermarks above. */
    struct sluice_expr *time;   /* owned */
    int64_t delay_us;
    struct sluice_watermark_tracker **trackers;
    size_t n_trackers;
    int64_t watermark;          /* what the running batch is judged by */
    int64_t saved_watermark;    /* the one in the store */
    int64_t next_expiry;        /* no key expires before this (INT64_MAX: none will): eviction's shortcut */
    struct sluice_agg_table table; /* 8 bytes per key: when it expires */
    struct sluice_arena *scratch;
    /* Counts, since the run started. */
    int64_t rows_dropped, rows_late, keys_evicted;
    int64_t late_reported, evicted_reported; /* as of the last progress record */
};

/* A new operator over `keys` (moved in, n >= 1). */
struct sluice_dedup *sluice_dedup_new(struct sluice_expr **keys, size_t n_keys, bool within);
void sluice_dedup_free(struct sluice_dedup *d);

/* Pass the rows of *in (consumed) whose key is new into *out (the
 * caller's), recording the keys as changed by `batch_id`. */
int sluice_dedup_filter(struct sluice_dedup *d, int64_t batch_id, struct sluice_batch *in,
                        struct sluice_batch *out, struct sluice_error *err);
/* After the batch's rows: drop the keys the batch's watermark expired. */
void sluice_dedup_evict(struct sluice_dedup *d);
/* After the batch commits: the watermark the next batch runs with. */
void sluice_dedup_advance(struct sluice_dedup *d);

/* Write the batch's changes as operator `op` (in the version begun). */
int sluice_dedup_save(struct sluice_dedup *d, const char *op, struct sluice_state_store *store, int64_t batch_id,
                      struct sluice_error *err);
/* Load what the store holds for `op`. */
int sluice_dedup_restore(struct sluice_dedup *d, const char *op, struct sluice_state_store *store,
                         struct sluice_error *err);

#endif
