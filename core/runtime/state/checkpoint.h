/* core/runtime/state/checkpoint.h — a query's checkpoint and its recovery (DESIGN §7).
 *
 * A query is a source and everything below it, or the sources a union
 * joins and everything below them (sources[0], the first in stage order,
 * leads it). Its checkpoint root is runtime.checkpoint, or
 * <runtime.checkpoint>/<lead source> when the pipeline runs several
 * queries (as Spark keeps one checkpoint per query). Offsets of a query
 * of several sources hold each source's offset (query.h). Layout under
 * the root:
 *   metadata              query id and the pipeline's fingerprint (checkpoint_meta.h)
 *   offsets/<N>           written before batch N runs: its source range
 *                         (start and end offsets, the source's text) and the
 *                         watermark each aggregation runs it with
 *   commits/<N>           written once every sink accepted batch N and its
 *                         state is saved: the watermarks after it and each
 *                         aggregation's state version per partition
 *   state/<stage>/<p>/    an aggregation's state by partition (checkpoint_state.h)
 *   sources/<stage>/<K>   what the source keeps to replay its offsets (host meta_*)
 * Every file is atomic, durable and checksummed (checkpoint_file.h).
 *
 * Recovery, in sluice_checkpoint_open: with offsets up to O and commits up
 * to C, O == C resumes at batch C + 1 after C's end offset; O == C + 1 runs
 * batch O again first, with exactly the range and watermarks offsets/O
 * recorded, then continues; anything else is a damaged checkpoint. State
 * and watermarks are restored as commits/C recorded them. A batch's state
 * is only ever written after its sinks accepted it and only read once its
 * commit exists, so a batch that failed half-way leaves no trace.
 *
 * Retention: offsets and commits of the last `min_batches_to_retain`
 * batches are kept (runtime.min_batches_to_retain, default 100 as in
 * Spark), and the state files those batches need.
 *
 * Failpoints (failpoint.h) a test can kill the process at, by batch:
 *   plan    offsets/N written, no sink has seen a row of batch N
 *   batch   in the middle of the batch: the first unit's rows handed to the sinks
 *   sink    every sink accepted the batch, no state saved yet
 *   state   the first state file of the batch written (others may be too:
 *           a batch's state files are written at once)
 *   commit  commits/N written, the source not yet told
 *
 * Ownership: the checkpoint borrows the graph and its stages (which must
 * outlive it) and owns its files' paths and the resume offsets. Main
 * thread only. Errors: SLUICE_ECONFIG for a pipeline the checkpoint does
 * not belong to (the CLI exits 2), SLUICE_EDATA for damage, SLUICE_EIO for
 * the file system; each names the path. */
#ifndef SLUICE_CORE_CHECKPOINT_H
#define SLUICE_CORE_CHECKPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/error.h>

#include "checkpoint_meta.h"

struct sluice_graph;
struct sluice_stage;
struct sluice_checkpoint;

#define SLUICE_CHECKPOINT_RETAIN_DEFAULT 100

/* Where a query resumes. Strings belong to the checkpoint. */
struct sluice_checkpoint_resume {
    int64_t next_batch;     /* the id of the next batch to run */
    const char *committed;  /* the source's end offset of the last committed batch, or NULL */
    const char *replay_end; /* non-NULL: batch next_batch was planned up to here and runs first, again
                             * (a no-data batch when it equals `committed`) */
    bool no_data_next;      /* the last committed batch moved a watermark: a no-data batch is due */
};

/* What the last commit cost, for progress reports. */
struct sluice_checkpoint_stats {
    int64_t commit_us;         /* state, the commit file and compaction */
    int64_t state_sections, state_bytes; /* partitions saved and the bytes of the batch's state file */
    const int64_t *state_us;   /* per aggregation, in the order given to open: serialising its
                                * state, plus the one write of the batch's state file */
};

/* The checkpoint root of the query reading `source`: `checkpoint`
 * (runtime.checkpoint), or checkpoint/<its lead source> when `per_source`
 * (the pipeline runs several queries). A heap string, the caller's. */
char *sluice_checkpoint_root(const char *checkpoint, const struct sluice_stage *source, bool per_source);
/* Before a source's prepare(), so it reads what the last run stored:
 * attach its metadata folder. To run (`readonly` false) the query's root
 * is made and, by the query's lead source (prepared before the others),
 * locked first (the lock, held in the lead's ctx, is
 * adopted by sluice_checkpoint_open), so nothing is written to a
 * checkpoint another pipeline runs on; `sluice check` (`readonly`)
 * attaches for reading only and takes no lock. SLUICE_EIO naming the
 * root when it cannot be made or is in use. */
int sluice_checkpoint_prepare_source(const char *checkpoint, struct sluice_stage *source, bool per_source,
                                     bool readonly, struct sluice_error *err);
/* Open (making it on first use) the checkpoint of the query reading
 * sources[0..n_sources) (under runtime.checkpoint, in a directory of its
 * own when `per_source`: the pipeline runs several queries), whose aggregate stages
 * are aggs[0..n_aggs), after the graph is opened and before any batch;
 * check it belongs to this pipeline, restore state and watermarks into
 * the stages, and work out where to resume. On SLUICE_OK *out is the
 * caller's to close. */
int sluice_checkpoint_open(struct sluice_graph *g, struct sluice_stage *const *sources, size_t n_sources,
                           struct sluice_stage *const *aggs, size_t n_aggs, bool per_source,
                           struct sluice_checkpoint **out, struct sluice_error *err);
void sluice_checkpoint_close(struct sluice_checkpoint *c);

const struct sluice_checkpoint_resume *sluice_checkpoint_resume(const struct sluice_checkpoint *c);
/* The query id kept in the metadata (Spark's StreamingQuery.id). */
const char *sluice_checkpoint_query_id(const struct sluice_checkpoint *c);

/* Before batch `batch_id` runs over (start, end] (start NULL for the first
 * batch): start writing offsets/<batch_id> with the aggregations' current
 * watermarks and the batch's time *time_us (whole ms), on a thread of the
 * checkpoint's, so the flush overlaps the reading of the batch's first
 * unit. A batch replayed after a crash keeps the entry it was planned
 * with, and *time_us becomes that time (Spark's batchTimestampMs), so
 * current_timestamp() gives a replay the same value. */
int sluice_checkpoint_plan(struct sluice_checkpoint *c, int64_t batch_id, const char *start, const char *end,
                           int64_t *time_us, struct sluice_error *err);
/* Wait until the planned offsets are durable; call before any sink sees a
 * row of the batch (a replay must find the range the sinks saw). The
 * write's error, if any (SLUICE_EIO naming the file). Commit calls it too. */
int sluice_checkpoint_planned(struct sluice_checkpoint *c, struct sluice_error *err);
/* After every sink accepted batch `batch_id`, its groups were emitted and
 * evicted and the watermarks moved on for the next batch: save the state
 * it changed, write commits/<batch_id> (with `no_data_next`: a watermark
 * moved, so a no-data batch is due), drop what is no longer retained.
 * *stats (may be NULL) says what it cost; its arrays belong to c. What
 * the batch's checkpoint cost is also logged at debug level. */
int sluice_checkpoint_commit(struct sluice_checkpoint *c, int64_t batch_id, bool no_data_next,
                             struct sluice_checkpoint_stats *stats, struct sluice_error *err);

#endif
