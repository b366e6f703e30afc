/* core/agg_stage.h — aggregation at run time: groups, partial updates on
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
#ifndef SLUICE_CORE_AGG_STAGE_H
#define SLUICE_CORE_AGG_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include <libconfig.h>
#include <sluice/batch.h>
#include <sluice/buf.h>
#include <sluice/error.h>
#include <sluice/plugin.h>

#include "agg_plan.h"

struct sluice_agg_groups;
struct sluice_registry;
struct sluice_stage;

struct sluice_agg_groups *sluice_agg_groups_new(const struct sluice_agg_plan *plan, size_t n_partitions);
/* Destroys every state, frees everything. NULL is allowed. */
void sluice_agg_groups_free(struct sluice_agg_groups *g);

/* Fold every row of `in` (a batch of the plan's input schema, borrowed)
 * into its groups: one group per row and grouping set. Keys and arguments
 * are evaluated for the whole batch and each aggregator is called once per
 * grouping set. Marks changed groups with `batch_id`. Fails only when an
 * expression does. */
int sluice_agg_groups_update(struct sluice_agg_groups *g, const struct sluice_batch *in,
                             int64_t batch_id, struct sluice_error *err);
/* Move every group of `from` into `into` (same plan), merging states of
 * keys both hold and marking them changed in `batch_id`; `from` is left
 * empty, ready for reuse. */
void sluice_agg_groups_merge(struct sluice_agg_groups *into, struct sluice_agg_groups *from,
                             int64_t batch_id);

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

/* The groups as rows of plan->output into *out (the caller's to release;
 * its schema is &plan->output). A plan without keys always has its one
 * group, as Spark's global aggregate answers an empty input with one row
 * (count 0) and re-emits it every batch in update mode. */
void sluice_agg_groups_emit(struct sluice_agg_groups *g, enum sluice_agg_emit which, int64_t batch_id,
                            struct sluice_batch *out);

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

/* ---- the aggregate stage of a pipeline (agg_graph.c) -------------------- */

struct sluice_watermark_tracker;
struct sluice_progress_state;

/* What the engine keeps for an aggregate stage (struct sluice_stage.agg). */
struct sluice_agg_stage {
    struct sluice_agg_plan *plan;
    struct sluice_agg_groups *state;   /* kept across batches, by shuffle partition */
    enum sluice_output_mode mode;      /* of every sink below the stage */
    /* Event time, set when the graph opens (graph_open.c): the watermark
     * declarations above the stage, the key they close (-1: none, so in
     * update mode nothing is dropped or evicted, as in Spark when the
     * watermarked column is not a grouping key; complete mode always -1),
     * and the watermark this batch runs with, kept by the engine: what a
     * checkpoint saves per batch. */
    struct sluice_watermark_tracker **trackers;
    size_t n_trackers;
    int32_t event_key;
    int64_t watermark;
    /* What the engine last reported, for per-batch differences. */
    int64_t dropped_reported;
    int64_t evicted_reported;
};

/* Load time: check the stage group's keys and their shapes (`aggregate`
 * a non-empty list of strings; at most one of group_by, cube, rollup, each
 * a list of strings). Errors name the line and key. */
int sluice_agg_stage_check(const config_setting_t *group, struct sluice_error *err);
/* Open time, main thread: compile the plan against the input's schema with
 * aggregators from `reg`, declare the output schema and the columns read
 * on the stage's ctx, and make the state with `partitions` partitions. On
 * SLUICE_OK st->agg is set (freed by sluice_agg_stage_free). */
int sluice_agg_stage_open(struct sluice_stage *st, struct sluice_registry *reg, int64_t partitions,
                          enum sluice_output_mode mode, struct sluice_error *err);
void sluice_agg_stage_free(struct sluice_agg_stage *a);

/* The engine's side of a batch, main thread unless said otherwise. */
/* A worker's partial for this batch (any thread; the caller frees it): it
 * drops rows whose group the batch's watermark has closed. */
struct sluice_agg_groups *sluice_agg_stage_partial(const struct sluice_agg_stage *a);
/* After every partial is merged: the batch's rows by the output mode
 * (complete: every group; update: the groups this batch changed; append:
 * the groups the watermark has closed), into *out as sluice_agg_groups_emit
 * says, then closed groups are evicted in append and update modes. State
 * changes here are not undone if a sink fails later in the batch: a
 * checkpointed replay (issue 7) must restore the state of the batch before. */
void sluice_agg_stage_emit(struct sluice_agg_stage *a, int64_t batch_id, struct sluice_batch *out);
/* After batch `batch_id` committed: log the state at debug level and
 * describe it for the batch's progress record (rows dropped as late and
 * groups evicted since the last report); out->commit_us is left to the
 * caller. `st` is the stage. */
void sluice_agg_stage_report(const struct sluice_stage *st, int64_t batch_id, struct sluice_progress_state *out);
/* After the batch commits and the trackers above have advanced: the
 * watermark the next batch runs with. True when it moved and the mode is
 * append or update: Spark then runs a batch without new data, so what the
 * new watermark closes comes out without waiting for more rows. */
bool sluice_agg_stage_advance(struct sluice_agg_stage *a);
/* `sluice check`'s lines for the stage: its keys and aggregates as written. */
void sluice_agg_stage_describe(const struct sluice_stage *st, struct sluice_buf *out);

#endif
