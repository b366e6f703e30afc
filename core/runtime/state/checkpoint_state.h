/* core/runtime/state/checkpoint_state.h — an aggregation's state in a checkpoint, by
 * shuffle partition (DESIGN §7, §10).
 *
 * Files, under the stage's directory (state/<stage>/):
 *   <p>/<N>.snapshot   every group of partition p after batch N
 *   <p>/<N>.delta      the groups of p that batch N changed, each whole
 *                      (key, then every aggregator's serialize() bytes),
 *                      and the version it applies on top of
 * A batch writes a file only for the partitions it changed; the commit
 * (checkpoint.c) records each partition's latest version, so a missing or
 * damaged file is always an error, never an older state. Evicted groups
 * are not recorded: eviction follows from the watermark alone (a closed
 * group never comes back, DESIGN §5), so a restore evicts once with the
 * watermark of the last committed batch.
 *
 * Why deltas: a batch usually changes a small part of a large state
 * (a few keys of many, the open windows of a long run), so writing only
 * those keeps the cost per batch proportional to the batch, not to the
 * state, as Spark's HDFS state store does. A partition gets a snapshot
 * instead when it has none yet, when its chain holds
 * SLUICE_CHECKPOINT_MAX_DELTAS deltas, or when the batch changed at least
 * half of its groups (a snapshot then costs at most twice the delta), so a
 * restore reads at most one snapshot and that many deltas, each smaller
 * than half the partition.
 *
 * File payloads are little-endian: i64 version, i64 previous version (-1
 * for a snapshot), u32 partition, u32 partitions, u32 aggregator calls,
 * u64 groups; per group u32 key length, the key (agg_key.h's encoding),
 * then per call u32 length and the serialized state.
 *
 * Ownership: the object borrows the aggregate stage (whose state it saves
 * and fills) and owns its paths and file lists. Main thread only. */
#ifndef SLUICE_CORE_CHECKPOINT_STATE_H
#define SLUICE_CORE_CHECKPOINT_STATE_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/error.h>

#define SLUICE_CHECKPOINT_MAX_DELTAS 9

struct sluice_agg_stage;
struct sluice_checkpoint_state;

/* What one save wrote. */
struct sluice_checkpoint_state_stats {
    int64_t groups_written;  /* groups in the files written */
    int64_t groups_updated;  /* groups the batch changed (Spark's numRowsUpdated) */
    int64_t files;
    int64_t bytes;
};

/* Open the state directory `dir` of `agg` (made if absent) and list what it
 * holds. Files newer than `last_commit` are leftovers of a batch that never
 * committed; they are deleted (the batch will write them again). */
int sluice_checkpoint_state_open(const char *dir, struct sluice_agg_stage *agg, int64_t last_commit,
                                 struct sluice_checkpoint_state **out, struct sluice_error *err);
void sluice_checkpoint_state_free(struct sluice_checkpoint_state *s);

/* Fill the stage's (empty) state from versions[p] of each partition
 * (-1: empty), then evict what `watermark` closes, as the batch that wrote
 * them did. n must be the stage's number of partitions. */
int sluice_checkpoint_state_restore(struct sluice_checkpoint_state *s, const int64_t *versions, size_t n,
                                    int64_t watermark, struct sluice_error *err);
/* Write the partitions batch `batch_id` changed (groups whose last update
 * is batch_id). Call once the batch's emission and eviction are done. */
int sluice_checkpoint_state_save(struct sluice_checkpoint_state *s, int64_t batch_id,
                                 struct sluice_checkpoint_state_stats *stats, struct sluice_error *err);
/* Each partition's latest version (-1: none), for the commit. */
const int64_t *sluice_checkpoint_state_versions(const struct sluice_checkpoint_state *s, size_t *n);
/* Delete files no batch from `oldest` on can need: in each partition,
 * everything before its latest snapshot at or before `oldest`. */
void sluice_checkpoint_state_compact(struct sluice_checkpoint_state *s, int64_t oldest);

#endif
