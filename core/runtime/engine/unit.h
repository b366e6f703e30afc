/* core/runtime/engine/unit.h — one unit of a micro-batch on its way down
 * the graph.
 *
 * A source plans a batch as units (a file, a piece of one). A worker reads
 * a unit and pushes every batch the source emits through the transforms
 * below it (sluice_unit_push); what reaches a sink waits in the unit, and
 * what reaches an aggregate stage is folded into the unit's partial state
 * for that stage. The main thread then takes the units in order
 * (sluice_unit_write): partials merge into the stages' states and the sink
 * batches are written, so sinks see rows in the order the source planned
 * them, whatever the number of threads.
 *
 * Ownership: a unit owns the batches and partials it holds until it is
 * written or cleared. Threads: a unit is filled by one thread and written
 * by the main thread after that thread is done with it. */
#ifndef SLUICE_CORE_UNIT_H
#define SLUICE_CORE_UNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/batch.h>
#include <sluice/error.h>

#include "progress.h"

struct sluice_stage;
struct sluice_agg_groups;
struct sluice_retry_policy;

/* A batch that reached a sink, or a keyed operator (keyed.h: it runs on
 * the main thread when the unit is written). */
struct sluice_unit_output {
    struct sluice_stage *sink;
    struct sluice_batch batch;
    int side;                  /* a keyed operator's: which of its inputs the batch came from */
};

/* What the unit folded into one aggregate stage. */
struct sluice_unit_partial {
    struct sluice_stage *stage;
    struct sluice_agg_groups *groups;
};

struct sluice_unit {
    struct sluice_unit_output *outputs;
    size_t n_outputs, cap;
    struct sluice_unit_partial *partials;
    size_t n_partials;
    int status;                                   /* of reading the unit */
    struct sluice_error err;
    bool done;                                    /* the worker is finished with it */
    int64_t input_rows;                           /* rows the source emitted */
    /* Where the unit's time went: on its worker, the source's own reading,
     * the transforms, folding rows into the aggregations; on the main
     * thread, merging partials (aggregate) and sink writes (sink). */
    struct sluice_progress_work work;
    int64_t retries;                              /* times read() was called again (SLUICE_EAGAIN) */
    struct sluice_progress_event_time event_time; /* of the rows leaving watermarked stages */
};

/* Read unit `index` of `source`'s planned batch into `u` (zeroed): every
 * batch the source emits goes down the graph. Sets u->status and u->err.
 * A read() answering SLUICE_EAGAIN is retried as `retry` says, from the
 * start, what it emitted dropped first (retry.h). */
void sluice_unit_read(struct sluice_unit *u, struct sluice_stage *source, size_t index,
                      const struct sluice_retry_policy *retry);
/* Hand `b` (moved in) to every reader of `producer`, after folding its event
 * times into producer's watermark: shared views to all but the last, which
 * gets the batch itself. Also used on the main thread for an aggregate
 * stage's emission. */
int sluice_unit_push(struct sluice_unit *u, struct sluice_stage *producer, struct sluice_batch *b,
                     struct sluice_error *err);
/* Main thread, in unit order: merge the partials into their stages' state
 * (marking groups changed in `batch_id`) and write the sink batches; adds
 * the rows written to *rows. A write() answering SLUICE_EAGAIN with the
 * batch left in place is retried as `retry` says, counted in *retries; one
 * that released the batch cannot be, and fails (SLUICE_EINTERNAL: a
 * plugin bug found while running). */
int sluice_unit_write(struct sluice_unit *u, int64_t batch_id, int64_t *rows, const struct sluice_retry_policy *retry,
                      int64_t *retries, struct sluice_error *err);
/* Release what the unit still holds and zero it. */
void sluice_unit_clear(struct sluice_unit *u);

#endif
