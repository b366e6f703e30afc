/* core/runtime/engine/changelog.h — a group member's aggregation state in
 * a compacted Kafka topic, GROUP-STAGE-changelog, so that it moves with
 * its partitions (README "Scaling out"), as Kafka Streams' changelog
 * topics make a task's state move with the task.
 *
 * In a member of runtime.group an aggregation reads its repartition topic
 * (graph_group.c), whose partitions the group deals out, and keeps the
 * groups of the partitions this member holds: a task per (stage,
 * partition). After each batch, before its offsets are committed to the
 * group, the groups the batch changed go to the changelog, to the
 * partition their rows came from (Spark's hash partitioning of the key,
 * as the repartition sink placed them), and a tombstone for each group the
 * watermark evicted. Before a batch whose offsets name a partition this
 * member did not hold, that partition's groups are read back from its
 * changelog partition; the groups of partitions it no longer holds are
 * dropped. A member holds nothing when it starts, so its state always
 * comes from the changelog.
 *
 * A record's key is the group's key bytes (agg_key.h), its value the
 * group's state bytes (agg_state.h), both written as hex, since the kafka
 * plugins carry strings. The core drives the kafka plugins itself, with
 * options it writes as a config would: a sink to write, and per partition
 * to restore, a source assigned that partition, read from its earliest
 * offset to its latest, as a static table is read.
 *
 * Ownership: borrows the query and its stages; owns the plugin instances.
 * Threads: the query's thread. */
#ifndef SLUICE_CORE_CHANGELOG_H
#define SLUICE_CORE_CHANGELOG_H

#include <stdint.h>

#include <sluice/error.h>

struct sluice_changelog;
struct sluice_query;

/* The changelog of query q's aggregation when q reads a repartition
 * topic (stage.h's hop); *out NULL otherwise. */
int sluice_changelog_open(struct sluice_query *q, struct sluice_changelog **out, struct sluice_error *err);
/* Before a batch: `end`, the source's offsets, names the partitions this
 * member holds now. Drops the groups of partitions it no longer holds and
 * restores those of partitions new to it. */
int sluice_changelog_follow(struct sluice_changelog *c, const char *end, struct sluice_error *err);
/* After batch `batch_id`'s sinks and checkpoint: the groups it changed
 * and evicted go to the changelog, acknowledged. */
int sluice_changelog_write(struct sluice_changelog *c, int64_t batch_id, struct sluice_error *err);
/* After the batch committed `committed` (the source's offsets): the same
 * with each partition whose restored state had read further than the
 * group's committed offset (recorded in the changelog with the state)
 * moved on to there, so no row counts twice; NULL when nothing moves. */
char *sluice_changelog_adjust(struct sluice_changelog *c, const char *committed);
void sluice_changelog_close(struct sluice_changelog *c);

#endif
