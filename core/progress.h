/* core/progress.h — the recent progress records GET /progress serves.
 *
 * After each micro-batch commits, the engine records what it did; the
 * records are kept as JSON objects shaped like Spark's
 * StreamingQueryProgress (batchId, timestamp, durationMs, sources, sink) in
 * a ring of the last SLUICE_PROGRESS_KEEP, as Spark keeps
 * spark.sql.streaming.numRecentProgressUpdates. Issue 7 fills in the rest
 * of Spark's fields (input and processing rates, state operators,
 * watermark); readers already get the final shape of the list.
 *
 * Threads: records are pushed from the main thread and read from the HTTP
 * server's; every function takes the ring's lock, only to copy a string. */
#ifndef SLUICE_CORE_PROGRESS_H
#define SLUICE_CORE_PROGRESS_H

#include <stdint.h>

#include <sluice/buf.h>

#define SLUICE_PROGRESS_KEEP 100

/* One committed micro-batch, as the engine sees it. Strings are borrowed
 * for the call. */
struct sluice_progress_batch {
    const char *query;      /* the pipeline's name */
    const char *source;     /* the source stage */
    int64_t batch_id;
    int64_t duration_us;    /* from planning to commit; the record's timestamp is now - this */
    int64_t sink_rows;      /* rows handed to the sinks */
    int64_t malformed;      /* malformed input lines in this batch */
    const char *end_offset; /* the source's offset after the batch (JSON text), or NULL */
};

/* Format the record as one JSON object and keep it, dropping the oldest
 * beyond SLUICE_PROGRESS_KEEP. */
void sluice_progress_record(const struct sluice_progress_batch *b);
/* Append the kept records, oldest first, as a JSON array. */
void sluice_progress_json(struct sluice_buf *out);
/* Forget every record (a new run, tests). */
void sluice_progress_reset(void);

#endif
