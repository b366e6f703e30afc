/* core/runtime/agg/agg_stage.h — the aggregate stage of a pipeline: its
 * spec and plan, the state it keeps across batches, and the engine's side
 * of a batch (a worker's partial, emission by output mode, the watermark).
 *
 * Ownership: the stage owns its plan and state (sluice_agg_stage_free);
 * the spec's strings are borrowed from the config, which outlives it. */
#ifndef SLUICE_CORE_AGG_STAGE_H
#define SLUICE_CORE_AGG_STAGE_H

#include <stdbool.h>
#include <stdint.h>

#include <sluice/batch.h>
#include <sluice/buf.h>
#include <sluice/error.h>
#include <sluice/plugin.h>

#include "agg_groups.h"
#include "agg_plan.h"

struct sluice_registry;
struct sluice_stage;
struct sluice_watermark_tracker;
struct sluice_progress_state;

/* What the engine keeps for an aggregate stage (struct sluice_stage.agg). */
struct sluice_agg_stage {
    struct sluice_agg_spec spec;       /* as written: plans and fingerprints show it */
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

/* Open time, main thread: compile the plan for `spec` (copied; its strings
 * are borrowed and must outlive the stage) against the input's schema with
 * aggregators from `reg`, declare the output schema and the columns read
 * on the stage's ctx, and make the state with `partitions` partitions. On
 * SLUICE_OK st->agg is set (freed by sluice_agg_stage_free); on error
 * *where says which entry of the spec was at fault (for the pipeline,
 * which knows where it was written). */
int sluice_agg_stage_open(struct sluice_stage *st, const struct sluice_agg_spec *spec,
                          struct sluice_registry *reg, int64_t partitions, enum sluice_output_mode mode,
                          struct sluice_agg_where *where, struct sluice_error *err);
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
 * checkpointed replay (issue 7) must restore the state of the batch before.
 * Fails when an aggregator's finalize does (*out is then empty), or with
 * SLUICE_ELIMIT, evicting nothing, when the rows pass a size limit.
 * The rows come in pieces of at most SLUICE_AGG_EMIT_PIECE, so what the
 * sinks do not keep is freed as it goes: start with a zeroed cursor and
 * call again, after passing each piece on, while *more; the eviction
 * follows the last piece. */
#define SLUICE_AGG_EMIT_PIECE 65536
int sluice_agg_stage_emit(struct sluice_agg_stage *a, int64_t batch_id, struct sluice_agg_cursor *cur,
                          struct sluice_batch *out, bool *more, struct sluice_error *err);
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
/* `sluice check`'s lines for the stage: its window, keys and aggregates as written. */
void sluice_agg_stage_describe(const struct sluice_agg_stage *a, struct sluice_buf *out);

#endif
