/* core/util/clock.h — the two clocks: wall time for timestamps users see
 * (progress records, ids), monotonic time for durations and deadlines. */
#ifndef SLUICE_CORE_CLOCK_H
#define SLUICE_CORE_CLOCK_H

#include <stdint.h>

/* Microseconds since the epoch (CLOCK_REALTIME). */
int64_t sluice_now_us(void);
/* Microseconds since an arbitrary start (CLOCK_MONOTONIC): never jumps. */
int64_t sluice_monotonic_us(void);

#endif
