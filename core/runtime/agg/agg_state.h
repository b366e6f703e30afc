/* core/runtime/agg/agg_state.h — an aggregate stage's state in the state
 * store (state_store.h): the aggregation serialises its own groups.
 *
 * Each shuffle partition of the stage is a partition of the store under
 * the stage's name. A group is a record: its key (agg_key.h's encoding) and
 * a value holding, per aggregate call, u32 length and the aggregator's
 * serialize() bytes. A batch saves the partitions it changed: the groups it
 * changed (a delta), or every group (a snapshot, when the store asks).
 * Evicted groups are not recorded: eviction follows from the watermark
 * alone (a closed group never comes back, DESIGN §5), so a restore evicts
 * once with the watermark of the last committed batch.
 *
 * Ownership: borrows the stage and the store. Threads: the main thread
 * (aggregators' serialize is not assumed to be thread-safe). */
#ifndef SLUICE_CORE_AGG_STATE_H
#define SLUICE_CORE_AGG_STATE_H

#include <stdint.h>

#include <sluice/buf.h>
#include <sluice/error.h>

struct sluice_agg_stage;
struct sluice_state_store;

/* What one save wrote. */
struct sluice_agg_state_stats {
    int64_t groups_written; /* groups in the sections written */
    int64_t groups_updated; /* groups the batch changed (Spark's numRowsUpdated) */
};

/* Add to the store's open version the partitions batch `batch_id` changed
 * (groups whose last update is batch_id), under operator `op`. Call once
 * the batch's emission and eviction are done. */
int sluice_agg_state_save(struct sluice_agg_stage *a, const char *op, struct sluice_state_store *store,
                          int64_t batch_id, struct sluice_agg_state_stats *stats, struct sluice_error *err);
/* One group's value as the store keeps it: its states' serialize() bytes. */
int sluice_agg_state_value(const struct sluice_agg_stage *a, const uint8_t *state, struct sluice_buf *out,
                           struct sluice_error *err);
/* Group `key` now holds the states of `value` (a value as above), as of
 * batch `version`: replaced when the state has it, added when not. */
int sluice_agg_state_load(struct sluice_agg_stage *a, const char *op, int64_t version, const void *key,
                          uint32_t key_len, const void *value, size_t value_len, struct sluice_error *err);
/* Fill the stage's (empty) state from the store's last committed version
 * of `op`, then evict what `watermark` closes, as the batch that wrote it
 * did. Damage is SLUICE_EDATA naming the file. */
int sluice_agg_state_restore(struct sluice_agg_stage *a, const char *op, struct sluice_state_store *store,
                             int64_t watermark, struct sluice_error *err);

#endif
