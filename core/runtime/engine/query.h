/* core/runtime/engine/query.h — a query: one source and every stage below
 * it, run as a sequence of micro-batches (Spark's StreamExecution).
 *
 * Every source that feeds a sink is a query of its own, except that the
 * sources a union joins are one query: each batch reads what is new in
 * any of them, and its offset holds one per source (offsets.h). Queries
 * share the run's worker pool and stop. query.c makes a query (its sinks,
 * aggregations and watermarks, descriptions, checkpoint and where it
 * resumes); query_batch.c runs one batch of it.
 *
 * Ownership: a query borrows its graph's stages and the run's pool, and
 * owns the rest (sluice_query_close). Threads: the run's thread; a batch
 * hands its units to the pool's workers. */
#ifndef SLUICE_CORE_QUERY_H
#define SLUICE_CORE_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/error.h>

#include "checkpoint_meta.h"
#include "progress.h"
#include "retry.h"

struct sluice_graph;
struct sluice_stage;
struct sluice_checkpoint;
struct sluice_changelog;
struct sluice_run_observer;
struct sluice_stop;
struct sluice_worker_pool;

struct sluice_query {
    struct sluice_graph *graph;
    struct sluice_stage *source;   /* the first source, which leads the query (stage.h) */
    struct sluice_stage **sources; /* every source of the query, source first */
    size_t n_sources;
    struct sluice_stage **sinks; /* every sink below the sources */
    size_t n_sinks;
    struct sluice_stage **aggs;  /* every aggregate stage below it that feeds a sink */
    size_t n_aggs;
    int64_t batch_time_us;        /* the running batch's time (current_timestamp()) */
    struct sluice_stage **keyed;  /* every keyed operator below it that feeds a sink (keyed.h) */
    size_t n_keyed;
    struct sluice_stage **marks; /* every stage below it that declares a watermark and runs */
    size_t n_marks;
    struct sluice_worker_pool *pool;            /* the run's; NULL: units run on this thread */
    const struct sluice_run_observer *observer; /* or NULL */
    struct sluice_checkpoint *ckpt;             /* NULL without runtime.checkpoint */
    struct sluice_changelog *changelog;         /* a group member's aggregation state in Kafka, or NULL */
    struct sluice_retry_policy retry;           /* runtime.retry_limit and retry_backoff (retry.h) */

    bool no_data_pending;        /* a watermark moved: run a batch even without new data */
    char *committed;             /* offset JSON, NULL before the first batch */
    char *target;                /* available_now: where to stop */
    int64_t next_batch_id;
    int64_t rows_total;
    bool told_invalid_utf8;      /* the run's first replacement of invalid UTF-8 was logged */

    /* For progress records. */
    char id[SLUICE_UUID_LEN + 1], run_id[SLUICE_UUID_LEN + 1];
    char *source_desc, *sink_desc;
    int64_t latest_us;           /* asking the source for the offset of the batch about to run */
    int64_t source_retries;      /* source and sink callbacks retried since the last progress record */
    int64_t sink_retries;
    int64_t last_start_wall;     /* when the previous batch started (wall clock), 0: none yet */
    struct sluice_progress_state *state_progress;
};

/* Make the query `source` leads (zeroed *q): ids and descriptions for
 * progress, and with runtime.checkpoint its checkpoint, with restored
 * state, watermarks and where to resume. `shared` says other queries run
 * beside it (each then checkpoints under a folder named for its source).
 * `stop` (the run's) cuts a retry's wait short. */
int sluice_query_open(struct sluice_query *q, struct sluice_graph *g, struct sluice_stage *source, bool shared,
                      struct sluice_worker_pool *pool, const struct sluice_run_observer *observer,
                      const struct sluice_stop *stop, struct sluice_error *err);
void sluice_query_close(struct sluice_query *q);

/* One micro-batch over the source's offsets up to `end`; a no-data batch
 * (`end` the committed offset) asks the source for nothing and leaves its
 * offsets alone, but has a batch id, sink calls and emissions of its own.
 * With a checkpoint: offsets/N before anything runs, then, once every sink
 * accepted the batch and the watermarks moved on, its state and
 * commits/N, and only then the source's commit. */
int sluice_query_run_batch(struct sluice_query *q, const char *end, bool no_data, struct sluice_error *err);
/* With no new data: a watermark by producer (watermark.h) moves when a
 * producer goes quiet, without a row; when it moves, no_data_pending is
 * set as after a batch. Nothing for other watermarks. */
void sluice_query_advance_idle(struct sluice_query *q);

#endif
