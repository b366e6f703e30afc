/* core/runtime/engine/progress.h — a record per micro-batch, like Spark's
 * StreamingQueryProgress (DESIGN §8).
 *
 * After each batch commits the engine describes it in a struct
 * sluice_progress_batch; sluice_progress_record turns that into one JSON
 * object with Spark's field names and order:
 *   {"id","runId","name","timestamp","batchId","numInputRows",
 *    "inputRowsPerSecond","processedRowsPerSecond",
 *    "durationMs":{"latestOffset","getBatch","walCommit","addBatch","commitOffsets","triggerExecution"},
 *    "eventTime":{"avg","max","min","watermark"},            (with a watermark)
 *    "stateOperators":[{"operatorName","stage","numRowsTotal","numRowsUpdated",
 *       "numRowsRemoved","numRowsDroppedByWatermark","commitTimeMs","memoryUsedBytes",
 *       "numShufflePartitions"}],
 *    "sources":[{"description","startOffset","endOffset","latestOffset","numInputRows",
 *       "numMalformedRows","inputRowsPerSecond","processedRowsPerSecond"}],
 *    "sink":{"description","numOutputRows"}}
 * Durations are whole milliseconds and times ISO 8601 UTC, as Spark
 * prints them; a rate whose time is zero is left out, as Spark leaves out
 * a NaN. The record is then
 *   - kept in a ring of the last SLUICE_PROGRESS_KEEP (Spark's
 *     spark.sql.streaming.numRecentProgressUpdates), served at GET /progress;
 *   - appended as one line to the progress log (runtime.progress_log) when
 *     one is open;
 *   - logged at debug level.
 * The engine then hands the batch to its run's observer (engine.h), which
 * is how `sluice run` draws its status line.
 *
 * Threads: records are made on the main thread and read from the HTTP
 * server's; the ring's lock is held only to swap or copy strings. */
#ifndef SLUICE_CORE_PROGRESS_H
#define SLUICE_CORE_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/arrow.h>
#include <sluice/buf.h>
#include <sluice/error.h>

#define SLUICE_PROGRESS_KEEP 100

/* Event times seen in a batch (Spark's EventTimeStats). */
struct sluice_progress_event_time {
    int64_t count;
    int64_t min, max; /* valid when count > 0 */
    __int128 sum;     /* exact, whatever the values */
};

/* One aggregation's state after the batch. */
struct sluice_progress_state {
    const char *stage;
    const char *operator_name; /* Spark's: stateStoreSave (NULL), dedupe, symmetricHashJoin */
    int64_t rows_total;        /* groups held */
    int64_t rows_updated;      /* groups the batch changed */
    int64_t rows_removed;      /* groups evicted by the watermark in the batch */
    int64_t rows_dropped;      /* input rows dropped as late in the batch */
    int64_t memory_bytes;
    int64_t partitions;
    int64_t commit_us;         /* saving it to the checkpoint */
};

/* Where a batch's work went (µs), beyond Spark's durationMs: the source's
 * reading and decoding, transforms, folding rows into aggregations (and
 * emitting them), and sink writes. Units run on several threads, so these
 * are thread time summed and can add up to more than the batch took. */
struct sluice_progress_work {
    int64_t read_us, transform_us, aggregate_us, sink_us;
};

/* One committed micro-batch, as the engine saw it. Strings and arrays are
 * borrowed for the call. Zeroed fields mean "not measured". */
struct sluice_progress_batch {
    const char *query;          /* the pipeline's name */
    const char *source;         /* the source's description (its stage name when nothing better) */
    int64_t batch_id;
    int64_t duration_us;        /* the whole trigger, from asking for offsets to commit */
    int64_t sink_rows;          /* rows handed to the sinks */
    int64_t malformed;          /* malformed input lines in this batch */
    int64_t invalid_utf8;       /* invalid UTF-8 sequences the source replaced with U+FFFD in this batch */
    const char *end_offset;     /* the source's offset after the batch (JSON text), or NULL */
    const char *id;             /* the query id (kept in the checkpoint), or NULL */
    const char *run_id;         /* this run's id, or NULL */
    int64_t start_wall_us;      /* when the trigger started (wall clock); 0: now - duration_us */
    int64_t since_previous_us;  /* since the previous trigger started; 0: the first */
    int64_t input_rows;         /* rows the source produced */
    const char *start_offset;   /* the committed offset the batch started from, or NULL */
    const char *latest_offset;  /* what the source said was available, or NULL */
    const char *sink;           /* the sinks' description, or NULL */
    int64_t latest_offset_us, get_batch_us, wal_commit_us, add_batch_us, commit_us;
    struct sluice_progress_work work;
    bool has_watermark;         /* the query declares one: eventTime is reported */
    int64_t watermark;          /* the watermark the batch ran with (SLUICE_WATERMARK_NONE: none yet) */
    struct sluice_progress_event_time event_time;
    const struct sluice_progress_state *state;
    size_t n_state;
    int64_t source_retries;     /* source callbacks called again after SLUICE_EAGAIN (retry.h) */
    int64_t sink_retries;       /* sink callbacks, the same */
    const char *group, *member; /* runtime.group and this member's name, or NULL */
};

/* Fold the non-null values of rows [0, n) of a timestamp array into *s (any thread). */
void sluice_progress_event_time_observe(struct sluice_progress_event_time *s, const struct ArrowArray *a, int64_t n);
/* *into += from. */
void sluice_progress_event_time_merge(struct sluice_progress_event_time *into,
                                      const struct sluice_progress_event_time *from);

/* The record's JSON (one line, no newline) appended to out. */
void sluice_progress_format(const struct sluice_progress_batch *b, struct sluice_buf *out);
/* What a query did since its run began, for /metrics: counters, the
 * batch-duration histogram and the latest gauges. */
#define SLUICE_PROGRESS_BUCKETS 9
extern const double sluice_progress_buckets[SLUICE_PROGRESS_BUCKETS];
struct sluice_progress_state_totals {
    char *stage;
    int64_t rows, bytes;          /* held after the last batch */
    int64_t late_rows;            /* dropped as late, in all */
    int64_t evicted_rows;         /* evicted by the watermark, in all */
};
struct sluice_progress_totals {
    char *query, *source;
    int64_t batches, last_batch_id;
    int64_t input_rows, output_rows, malformed_rows, invalid_utf8;
    double duration_sum;                                  /* seconds */
    int64_t duration_buckets[SLUICE_PROGRESS_BUCKETS];   /* batches that took <= bucket[k] */
    bool has_watermark, has_event_time;
    int64_t watermark, max_event_time;                    /* µs */
    struct sluice_progress_state_totals *state;
    size_t n_state;
};

/* A query's records: the ring the REST server reads and the progress log.
 * It belongs to the graph, so /progress still answers after the run. */
struct sluice_progress;
struct sluice_progress *sluice_progress_new(void);
void sluice_progress_free(struct sluice_progress *p); /* NULL is allowed */
/* Format the record, keep it in the ring, write it to the progress log
 * and log it at debug level. */
void sluice_progress_record(struct sluice_progress *p, const struct sluice_progress_batch *b);
/* Append the kept records, oldest first, as a JSON array. */
void sluice_progress_json(struct sluice_progress *p, struct sluice_buf *out);
/* Call fn with each query's totals, under the lock (fn must be quick and
 * must not call back into p). */
void sluice_progress_totals(struct sluice_progress *p, void (*fn)(void *arg, const struct sluice_progress_totals *t),
                            void *arg);

/* Append every record from now on to `path` (made if absent), one JSON
 * object per line. SLUICE_EIO naming the path when it cannot be opened. */
int sluice_progress_log_open(struct sluice_progress *p, const char *path, struct sluice_error *err);
/* Stop writing the progress log (no-op when none is open). */
void sluice_progress_log_close(struct sluice_progress *p);

#endif
