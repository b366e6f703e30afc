/* Event-time watermarks: a declaration's largest event time per batch, its
 * watermark, and the "min" policy over several. See watermark.h. */
#include "watermark.h"

#include <stdio.h>
#include <string.h>

#include <sluice/types.h>

#include "timefmt.h"

void sluice_watermark_tracker_init(struct sluice_watermark_tracker *t, int64_t delay_us)
{
    t->delay_us = delay_us;
    atomic_init(&t->batch_max, SLUICE_WATERMARK_NONE);
    t->value = SLUICE_WATERMARK_NONE;
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

bool sluice_watermark_tracker_advance(struct sluice_watermark_tracker *t)
{
    int64_t max = atomic_exchange_explicit(&t->batch_max, SLUICE_WATERMARK_NONE, memory_order_relaxed);
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
