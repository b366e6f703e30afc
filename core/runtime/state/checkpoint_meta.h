/* core/runtime/state/checkpoint_meta.h — a checkpoint's `metadata` file: the query id
 * and the fingerprint of the pipeline that wrote it (DESIGN §7).
 *
 * The fingerprint is what saved state and offsets depend on, as a flat
 * JSON object keyed the way a user would change it (--set style):
 *   "source"                        "tweets (file)"
 *   "aggregate stages"              ["by_window"]
 *   "runtime.shuffle_partitions"    5                 (with aggregations)
 *   "<stage>.group_by" | ".cube" | ".rollup"   the keys as written
 *   "<stage>.aggregate"             the aggregates as written
 *   "<stage>.window"                "data.created_at, 10 seconds sliding every 5 seconds"
 *   "<stage>.watermark"             the event-time columns of the watermarks above it
 * Whitespace runs in expressions count as one space. A watermark's delay
 * is not part of it: changing the delay keeps the state meaningful (Spark
 * allows it too); the new delay applies from the next batch.
 *
 * Ownership: json_t results are the caller's (json_decref). Main thread. */
#ifndef SLUICE_CORE_CHECKPOINT_META_H
#define SLUICE_CORE_CHECKPOINT_META_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <sluice/error.h>

struct sluice_graph;
struct sluice_where;
struct sluice_stage;

#define SLUICE_UUID_LEN 36

/* A random (version 4) UUID, NUL-terminated. */
void sluice_checkpoint_meta_uuid(char out[SLUICE_UUID_LEN + 1]);

/* The fingerprint of the query reading sources[0..n_sources) (one, or
 * the ones a union joins, in stage order), whose aggregate stages are
 * aggs[0..n_aggs), with their specs: specs[i], or when specs is NULL the
 * opened stages' own (aggs[i]->agg->spec). */
struct sluice_agg_spec;
json_t *sluice_checkpoint_meta_fingerprint(const struct sluice_graph *g, struct sluice_stage *const *sources,
                                           size_t n_sources, struct sluice_stage *const *aggs,
                                           const struct sluice_agg_spec *specs, size_t n_aggs);
/* Every difference between two fingerprints, as "KEY changed from X to Y"
 * joined with "; ", appended to out; returns how many. */
struct sluice_buf;
size_t sluice_checkpoint_meta_differences(const json_t *was, const json_t *now, struct sluice_buf *out);

/* Read `root`/metadata and check it against `fingerprint`, or write it
 * with a new query id when the checkpoint is new. On SLUICE_OK `id` holds
 * the query id and *created says whether it was made now. A different
 * fingerprint is SLUICE_ECONFIG at `where` (runtime.checkpoint in the
 * config), naming every change; a damaged file is SLUICE_EDATA. */
int sluice_checkpoint_meta_open(const char *root, const char *pipeline, json_t *fingerprint,
                               const struct sluice_where *where, char id[SLUICE_UUID_LEN + 1], bool *created,
                               struct sluice_error *err);

#endif
