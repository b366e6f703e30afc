/* Event-time watermarks: a declaration's largest event time per batch, its
 * watermark, and the "min" policy over several. See watermark.h. */
#include "watermark.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/types.h>

#include "clock.h"
#include "mem.h"
#include "timefmt.h"

void sluice_watermark_tracker_init(struct sluice_watermark_tracker *t, int64_t delay_us)
{
    t->delay_us = delay_us;
    atomic_init(&t->batch_max, SLUICE_WATERMARK_NONE);
    t->value = SLUICE_WATERMARK_NONE;
    t->lock = NULL; /* Spark's rule until sluice_watermark_tracker_by_producer */
    t->producers = NULL;
    t->n_producers = 0;
    t->idle_us = 0;
}

int64_t sluice_watermark_array_max(const struct ArrowArray *a, int64_t n)
{
    const int64_t *v = (const int64_t *)a->buffers[1] + a->offset;
    int64_t max = SLUICE_WATERMARK_NONE;
    if (a->null_count == 0 || !a->buffers[0]) {
        for (int64_t i = 0; i < n; i++) max = v[i] > max ? v[i] : max;
        return max;
    }
    const uint8_t *valid = a->buffers[0];
    for (int64_t i = 0; i < n; i++)
        if (sluice_bit_get(valid, a->offset + i) && v[i] > max) max = v[i];
    return max;
}

void sluice_watermark_tracker_observe(struct sluice_watermark_tracker *t, const struct ArrowArray *a, int64_t n)
{
    int64_t max = sluice_watermark_array_max(a, n);
    if (max == SLUICE_WATERMARK_NONE) return;
    /* Units of a batch run on several threads: a compare-and-swap maximum,
     * once per batch of rows, never per row. */
    int64_t seen = atomic_load_explicit(&t->batch_max, memory_order_relaxed);
    while (max > seen &&
           !atomic_compare_exchange_weak_explicit(&t->batch_max, &seen, max, memory_order_relaxed,
                                                  memory_order_relaxed)) {
    }
}

void sluice_watermark_tracker_by_producer(struct sluice_watermark_tracker *t, int64_t idle_us)
{
    if (t->lock) return;
    t->lock = sluice_xmalloc(sizeof *t->lock);
    pthread_mutex_init(t->lock, NULL);
    t->idle_us = idle_us;
}

void sluice_watermark_tracker_free(struct sluice_watermark_tracker *t)
{
    if (!t->lock) return;
    for (size_t i = 0; i < t->n_producers; i++) free(t->producers[i].name);
    free(t->producers);
    pthread_mutex_destroy(t->lock);
    free(t->lock);
    t->lock = NULL;
    t->producers = NULL;
    t->n_producers = 0;
}

static struct sluice_watermark_producer *producer(struct sluice_watermark_tracker *t, const char *name, size_t len)
{
    for (size_t i = 0; i < t->n_producers; i++) {
        const char *n = t->producers[i].name;
        if (n && strlen(n) == len && memcmp(n, name, len) == 0) return &t->producers[i];
        if (!n && !name) return &t->producers[i];
    }
    t->producers = sluice_xrealloc(t->producers, (t->n_producers + 1) * sizeof *t->producers);
    struct sluice_watermark_producer *p = &t->producers[t->n_producers++];
    p->name = name ? sluice_xstrndup(name, len) : NULL;
    p->max = p->batch_max = SLUICE_WATERMARK_NONE;
    p->heard_us = sluice_monotonic_us();
    return p;
}

void sluice_watermark_tracker_observe_by(struct sluice_watermark_tracker *t, const struct ArrowArray *times,
                                         const struct ArrowArray *names, int64_t row0, int64_t n)
{
    const int64_t *v = (const int64_t *)times->buffers[1] + times->offset;
    pthread_mutex_lock(t->lock);
    struct sluice_watermark_producer *last = NULL;
    for (int64_t i = 0; i < n; i++) {
        if (times->null_count && times->buffers[0] && !sluice_bit_get(times->buffers[0], times->offset + i)) continue;
        int64_t slot = names->offset + row0 + i;
        const char *name = NULL;
        int32_t len = 0;
        if (!names->null_count || !names->buffers[0] || sluice_bit_get(names->buffers[0], slot))
            len = sluice_get_string(names, slot, &name);
        /* Rows come in runs of one producer: the last one first. */
        bool same = last && (last->name ? name && strlen(last->name) == (size_t)len &&
                                              memcmp(last->name, name, (size_t)len) == 0
                                        : !name);
        if (!same) last = producer(t, name, (size_t)len);
        if (last->batch_max == SLUICE_WATERMARK_NONE || v[i] > last->batch_max) last->batch_max = v[i];
    }
    pthread_mutex_unlock(t->lock);
}

int64_t sluice_watermark_candidate(int64_t max_event_us, int64_t delay_us)
{
    /* Spark keeps event times and delays in milliseconds (EventTimeStats
     * adds micros / 1000, the delay is its interval's milliseconds). Both
     * quotients are within int64 / 1000, so the difference cannot overflow;
     * only the way back to microseconds can, far outside any real time. */
    int64_t ms = max_event_us / 1000 - delay_us / 1000;
    if (ms > INT64_MAX / 1000) return INT64_MAX / 1000 * 1000;
    if (ms < (INT64_MIN + 1) / 1000) return (INT64_MIN + 1) / 1000 * 1000;
    return ms * 1000;
}

/* By producer: each one's batch maximum folded into its maximum, then the
 * least maximum of those heard from within idle_us. */
static int64_t producers_max(struct sluice_watermark_tracker *t)
{
    int64_t now = sluice_monotonic_us(), least = SLUICE_WATERMARK_NONE;
    pthread_mutex_lock(t->lock);
    for (size_t i = 0; i < t->n_producers; i++) {
        struct sluice_watermark_producer *p = &t->producers[i];
        if (p->batch_max != SLUICE_WATERMARK_NONE) {
            if (p->max == SLUICE_WATERMARK_NONE || p->batch_max > p->max) p->max = p->batch_max;
            p->batch_max = SLUICE_WATERMARK_NONE;
            p->heard_us = now;
        }
        if (p->max == SLUICE_WATERMARK_NONE || now - p->heard_us > t->idle_us) continue;
        if (least == SLUICE_WATERMARK_NONE || p->max < least) least = p->max;
    }
    pthread_mutex_unlock(t->lock);
    return least;
}

bool sluice_watermark_tracker_advance(struct sluice_watermark_tracker *t)
{
    int64_t max = atomic_exchange_explicit(&t->batch_max, SLUICE_WATERMARK_NONE, memory_order_relaxed);
    if (t->lock) max = producers_max(t);
    if (max == SLUICE_WATERMARK_NONE) return false;
    int64_t c = sluice_watermark_candidate(max, t->delay_us);
    if (t->value != SLUICE_WATERMARK_NONE && c <= t->value) return false;
    t->value = c;
    return true;
}

int64_t sluice_watermark_min(struct sluice_watermark_tracker *const *trackers, size_t n)
{
    int64_t min = SLUICE_WATERMARK_NONE;
    for (size_t i = 0; i < n; i++) {
        int64_t v = trackers[i]->value;
        if (v == SLUICE_WATERMARK_NONE) continue;
        if (min == SLUICE_WATERMARK_NONE || v < min) min = v;
    }
    return min;
}

const char *sluice_watermark_format(int64_t watermark, char *buf, size_t cap)
{
    if (watermark == SLUICE_WATERMARK_NONE) {
        snprintf(buf, cap, "none");
        return buf;
    }
    char iso[40];
    sluice_time_format_iso(watermark, iso);
    snprintf(buf, cap, "%s", iso);
    return buf;
}
