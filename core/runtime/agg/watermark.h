/* core/runtime/agg/watermark.h — event-time watermarks (DESIGN §5, Spark's
 * EventTimeWatermarkExec and WatermarkTracker).
 *
 * Each `watermark = { column; delay; }` declaration has a tracker. While
 * a batch runs, every batch of rows leaving the declaring stage folds its
 * largest event time into the tracker (any thread). After the batch
 * commits, the tracker's own watermark becomes max(its watermark, largest
 * event time of the batch - delay), computed in milliseconds as Spark
 * does; a batch in which the stage saw no event time leaves it alone.
 * An operator reading several declarations takes the smallest of their
 * watermarks among those that have one (Spark's default "min" policy), and
 * its watermark never moves back. The value an operator holds after batch
 * N is what it runs batch N + 1 with: Spark applies a new watermark from
 * the next batch on, so rows of a batch are judged against the watermark
 * computed before it.
 *
 * Before any row there is no watermark (SLUICE_WATERMARK_NONE, below every
 * time): nothing is late and no window is closed. Spark starts from 0
 * instead, which only differs for event times before 1970.
 *
 * A watermark is a plain int64 of microseconds, so whoever keeps it (the
 * aggregate stage, a checkpoint) saves and restores it as a number; the
 * trackers' values are derived state, as Spark rebuilds its per-operator
 * map after a restart. Ownership: the caller owns every struct here. */
#ifndef SLUICE_CORE_WATERMARK_H
#define SLUICE_CORE_WATERMARK_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/arrow.h>

#define SLUICE_WATERMARK_NONE INT64_MIN

/* In a group (README "Scaling out") a hop source's rows come from several
 * producers, the members writing the repartition topic, each reading its
 * own partitions of the input at its own pace. Its watermark is then the
 * least, over the producers heard from within `idle_us`, of each one's
 * largest event time, less the delay (Flink's rule for parallel inputs):
 * a member ahead of the others does not close what their rows still fill,
 * and one that has gone quiet (idle, or dead) stops holding it back. */
struct sluice_watermark_producer {
    char *name;
    int64_t max;       /* largest event time heard from it, or NONE */
    int64_t batch_max; /* in the batch running */
    int64_t heard_us;  /* when a row of it was last folded in (monotonic) */
};

struct sluice_watermark_tracker {
    int64_t delay_us;
    atomic_int_least64_t batch_max; /* largest event time of the batch running, or NONE */
    int64_t value;                  /* this declaration's watermark, or NONE before its first row */
    /* By producer (sluice_watermark_tracker_by_producer), else NULL lock. */
    pthread_mutex_t *lock;
    struct sluice_watermark_producer *producers;
    size_t n_producers;
    int64_t idle_us;
};

void sluice_watermark_tracker_init(struct sluice_watermark_tracker *t, int64_t delay_us);
/* Any thread, while a batch runs: fold the largest non-null value among
 * rows [0, n) of timestamp array `a` into the batch's maximum. */
void sluice_watermark_tracker_observe(struct sluice_watermark_tracker *t, const struct ArrowArray *a, int64_t n);
/* Main thread, after the batch: move the tracker's watermark forward from
 * the batch's largest event time and start the next batch with none seen.
 * True when its watermark moved. */
bool sluice_watermark_tracker_advance(struct sluice_watermark_tracker *t);

/* From now on, the watermark by producer, as above (main thread, before
 * any row); sluice_watermark_tracker_free frees what it keeps. */
void sluice_watermark_tracker_by_producer(struct sluice_watermark_tracker *t, int64_t idle_us);
void sluice_watermark_tracker_free(struct sluice_watermark_tracker *t);
/* Any thread: fold rows [0, n) of timestamp array `times` into their
 * producers' maxima, the producer of row i being string array `names`'s
 * value at row `row0` + i (a column of a batch whose struct starts at
 * row0; a null is a producer of its own). */
void sluice_watermark_tracker_observe_by(struct sluice_watermark_tracker *t, const struct ArrowArray *times,
                                         const struct ArrowArray *names, int64_t row0, int64_t n);

/* The largest non-null value among rows [0, n) of a timestamp (or long)
 * array, or SLUICE_WATERMARK_NONE when there is none. */
int64_t sluice_watermark_array_max(const struct ArrowArray *a, int64_t n);
/* Spark's watermark for a largest event time and a delay: both taken to
 * whole milliseconds (truncated, as Java's division does), subtracted, and
 * given back in microseconds. */
int64_t sluice_watermark_candidate(int64_t max_event_us, int64_t delay_us);
/* The smallest watermark among trackers that have one (Spark's "min"
 * policy), or SLUICE_WATERMARK_NONE when none has. */
int64_t sluice_watermark_min(struct sluice_watermark_tracker *const *trackers, size_t n);
/* What an operator runs its next batch with: `chosen` if it is later than
 * `current`, else `current`. */
static inline int64_t sluice_watermark_next(int64_t current, int64_t chosen)
{
    return chosen > current ? chosen : current;
}

/* ISO 8601 with milliseconds ("2021-05-03T07:55:40.000Z"), or "none",
 * into buf (at least 40 bytes), for logs and plans. */
const char *sluice_watermark_format(int64_t watermark, char *buf, size_t cap);

#endif
