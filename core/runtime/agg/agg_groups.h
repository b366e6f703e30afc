/* core/runtime/agg/agg_groups.h — aggregation at run time: groups, partial updates on
 * worker threads, merging by shuffle partition, emission (DESIGN §5, §9).
 *
 * A `struct sluice_agg_groups` is the state of one aggregation: groups
 * spread over `n` hash partitions (partition = key hash % n, agg_key.h),
 * each an open-addressing table of state blocks (agg_table.h). The same
 * object serves three uses:
 *   - a worker folds the batches of one unit into a partial (1 partition);
 *   - the main thread merges each partial, in unit order, into the stage's
 *     state kept across batches (runtime.shuffle_partitions partitions);
 *   - the state emits its groups as a batch: all of them (complete mode),
 *     those a given batch changed (update mode) or those the watermark has
 *     closed (append mode), partition 0 first and in insertion order within
 *     a partition, so output does not depend on the number of threads.
 * With a watermark (sluice_agg_groups_set_watermark), rows whose group it
 * has already closed are dropped before they touch any state, and closed
 * groups are evicted, so state holds only what can still change.
 * `sluice query` groups a batch with the same calls: new, update, emit.
 *
 * Ownership: a groups object borrows its plan (which must outlive it) and
 * owns its tables and every state in them, destroyed with it. Threads: one
 * thread at a time per object; several objects may share a plan. */
#ifndef SLUICE_CORE_AGG_GROUPS_H
#define SLUICE_CORE_AGG_GROUPS_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/batch.h>
#include <sluice/buf.h>
#include <sluice/error.h>
#include <sluice/plugin.h>

#include "agg_plan.h"

struct sluice_agg_groups;

struct sluice_agg_groups *sluice_agg_groups_new(const struct sluice_agg_plan *plan, size_t n_partitions);
/* Destroys every state, frees everything. NULL is allowed. */
void sluice_agg_groups_free(struct sluice_agg_groups *g);

/* Fold every row of `in` (a batch of the plan's input schema, borrowed)
 * into its groups: one group per row and grouping set. Keys and arguments
 * are evaluated for the whole batch and each aggregator is called once per
 * grouping set. Marks changed groups with `batch_id`. late_rows (may be
 * NULL; in's row count of bytes) gets 1 for each row the watermark kept out
 * of every group it belonged to (a row that still counts in an open
 * sliding window is not late). Fails when an expression or an
 * aggregator's update does, or with SLUICE_ELIMIT when a key or a
 * partition passes its size limit. */
int sluice_agg_groups_update(struct sluice_agg_groups *g, const struct sluice_batch *in,
                             int64_t batch_id, uint8_t *late_rows, struct sluice_error *err);
/* Move every group of `from` into `into` (same plan), merging states of
 * keys both hold and marking them changed in `batch_id`; `from` is left
 * empty, ready for reuse. The batch fails (a checkpointed run replays it
 * from the state before) when an aggregator's merge does (the rest of that
 * partition is dropped) or with SLUICE_ELIMIT when a partition of `into`
 * is full (size_limit.h; the groups not merged stay in `from`); `into`
 * then holds part of `from`. */
int sluice_agg_groups_merge(struct sluice_agg_groups *into, struct sluice_agg_groups *from,
                            int64_t batch_id, struct sluice_error *err);

/* Event time (DESIGN §5): plan key `key` is what the watermark closes, the
 * window by its end when it is a windowed plan's key 0, else a timestamp
 * key by its value; -1 (or SLUICE_WATERMARK_NONE) closes nothing. From
 * here on, update drops and counts each row, per grouping set and window,
 * whose group is closed (end or value <= watermark; a null closes
 * nothing), and EMIT_CLOSED and evict take the closed groups. Set on a
 * worker's partial before it folds rows, and on the kept state. */
void sluice_agg_groups_set_watermark(struct sluice_agg_groups *g, int32_t key, int64_t watermark);

/* Which groups an emission holds. */
enum sluice_agg_emit {
    SLUICE_AGG_EMIT_ALL,     /* complete mode */
    SLUICE_AGG_EMIT_UPDATED, /* update mode: groups changed in the batch given */
    SLUICE_AGG_EMIT_CLOSED,  /* append mode: groups the watermark has closed */
};
/* Destroy and remove the groups the watermark has closed (Spark's state
 * eviction), keeping the others in their order; returns how many. */
int64_t sluice_agg_groups_evict(struct sluice_agg_groups *g);
/* The same for the groups whose key `drop` is true of (a group member
 * handing a repartition partition over); not counted as evicted. */
typedef bool (*sluice_agg_group_pred)(void *arg, const uint8_t *key, uint32_t key_len);
int64_t sluice_agg_groups_remove(struct sluice_agg_groups *g, sluice_agg_group_pred drop, void *arg);
/* Tell `fn` the key of each group evict removes, before it goes (a group
 * member's changelog writes tombstones for them); NULL fn: no one. */
typedef void (*sluice_agg_group_fn)(void *arg, const uint8_t *key, uint32_t key_len);
void sluice_agg_groups_on_evict(struct sluice_agg_groups *g, sluice_agg_group_fn fn, void *arg);

/* The groups as rows of plan->output into *out (the caller's to release;
 * its schema is &plan->output). A plan without keys always has its one
 * group, as Spark's global aggregate answers an empty input with one row
 * (count 0) and re-emits it every batch in update mode. Fails when an
 * aggregator's finalize does, or appends other than one value, or with
 * SLUICE_ELIMIT when the rows would pass a column's size limit (2 GiB of
 * keys' strings in complete mode, say: size_limit.h); *out is then empty. */
int sluice_agg_groups_emit(struct sluice_agg_groups *g, enum sluice_agg_emit which, int64_t batch_id,
                           struct sluice_batch *out, struct sluice_error *err);
/* The same in pieces of at most `max_rows` rows, so that what a sink does
 * not keep is freed as it goes (complete mode over a million groups): start
 * with a zeroed cursor and call again while *more. */
struct sluice_agg_cursor {
    size_t part, group;
    bool started;
};
int sluice_agg_groups_emit_next(struct sluice_agg_groups *g, enum sluice_agg_emit which, int64_t batch_id,
                                struct sluice_agg_cursor *cur, int64_t max_rows, struct sluice_batch *out, bool *more,
                                struct sluice_error *err);

/* What the state holds, for progress reports (Spark's numRowsTotal and
 * memoryUsedBytes). Memory an aggregator's state owns on the heap
 * (count(DISTINCT)'s sets) is not counted. */
struct sluice_agg_stats {
    int64_t groups;
    size_t bytes;
    int64_t dropped; /* rows dropped as late since the state was made (merges add the partials') */
    int64_t evicted; /* groups evicted since the state was made */
};
void sluice_agg_groups_stats(const struct sluice_agg_groups *g, struct sluice_agg_stats *out);
/* Groups whose last change was batch `batch_id` (Spark's numRowsUpdated). */
int64_t sluice_agg_groups_count_updated(const struct sluice_agg_groups *g, int64_t batch_id);

/* For checkpoints (checkpoint_state.c), which save and restore state by
 * partition: the number of partitions, and partition p's table. A restore
 * inserts groups with sluice_agg_table_upsert (the hash is agg_key.h's,
 * and must place the key in p) and fills their states with the
 * aggregators' deserialize. */
size_t sluice_agg_groups_partitions(const struct sluice_agg_groups *g);
struct sluice_agg_table *sluice_agg_groups_table(struct sluice_agg_groups *g, size_t p);

#endif
