/* core/runtime/engine/keyed.h — the core's keyed operators that judge
 * rows on the main thread, in the order the units were planned:
 * drop_duplicates (dedup.h) and the stream-stream join (stream_join.h).
 *
 * Both hold keyed state across batches, evict it as the watermark moves,
 * and save it in the checkpoint's state store under the stage's name. One
 * dispatch, so a query, its units and its checkpoint treat them alike.
 * Threads: main thread only. */
#ifndef SLUICE_CORE_KEYED_H
#define SLUICE_CORE_KEYED_H

#include <stdbool.h>
#include <stdint.h>

#include <sluice/batch.h>
#include <sluice/error.h>

struct sluice_stage;
struct sluice_state_store;

/* Whether `st` is such an operator (open, and run by a sink). */
bool sluice_keyed_is(const struct sluice_stage *st);

/* Judge *in (consumed), which came from the stage's input `side` (0 the
 * first; a join's `with` is 1), into *out (the caller's; no rows may come
 * out, and then *out holds no batch), as changed by `batch_id`. */
int sluice_keyed_process(struct sluice_stage *st, int side, int64_t batch_id, struct sluice_batch *in,
                         struct sluice_batch *out, struct sluice_error *err);

/* At the start of a batch: drop what the batch's watermark expired; rows
 * that leave by it (a join's outer rows) go to emit, moved in. */
typedef int (*sluice_keyed_emit_fn)(void *arg, struct sluice_stage *st, struct sluice_batch *b,
                                    struct sluice_error *err);
int sluice_keyed_evict(struct sluice_stage *st, sluice_keyed_emit_fn emit, void *arg, struct sluice_error *err);

/* After the batch commits: the watermark the next batch runs with. True
 * when a batch without data should run for what it now lets go. */
bool sluice_keyed_advance(struct sluice_stage *st);

/* The operator's part of the batch's progress record (Spark's
 * stateOperators entry): rows held, changed, evicted and dropped as late
 * since the last report. */
struct sluice_progress_state;
void sluice_keyed_report(struct sluice_stage *st, int64_t batch_id, struct sluice_progress_state *out);

int sluice_keyed_save(struct sluice_stage *st, struct sluice_state_store *store, int64_t batch_id,
                      struct sluice_error *err);
int sluice_keyed_restore(struct sluice_stage *st, struct sluice_state_store *store, struct sluice_error *err);

#endif
