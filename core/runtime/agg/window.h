/* core/runtime/agg/window.h — event-time windows (DESIGN §5, Spark's TimeWindow).
 *
 * A window spec is a duration, a slide and an offset, in microseconds.
 * A timestamp t belongs to every window [start, start + duration) whose
 * start is a multiple of the slide plus the offset and holds t; the latest
 * such start is floor((t - offset) / slide) * slide + offset (floor, also
 * for times before 1970). A row falls in at most ceil(duration / slide)
 * windows, and in fewer when the duration is not a multiple of the slide:
 * like Spark's Expand, assignment runs in passes, pass i giving every row
 * its (i+1)-th latest window when that window still holds it, or none.
 *
 * The aggregation turns a spec into its leading key column `window`, a
 * struct {start, end} of timestamps (agg_plan.h).
 *
 * The pipeline reads a spec from a stage's `window` group (agg_load.h).
 *
 * Ownership: nothing here allocates except through the caller's buffers.
 * Threads: pure functions, any thread. */
#ifndef SLUICE_CORE_WINDOW_H
#define SLUICE_CORE_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/arrow.h>
#include <sluice/buf.h>
#include <sluice/error.h>

struct sluice_window {
    int64_t duration_us; /* > 0 */
    int64_t slide_us;    /* in (0, duration_us]; equal to it for tumbling windows */
    int64_t offset_us;   /* |offset_us| < slide_us */
};

/* The part of a spec a rule is about, so that the pipeline can point an
 * error at the key it came from. */
enum sluice_window_part { SLUICE_WINDOW_DURATION, SLUICE_WINDOW_SLIDE, SLUICE_WINDOW_OFFSET };
/* Spark's rules for a spec: positive duration and slide, slide at most the
 * duration, |offset| below the slide. SLUICE_ECONFIG naming the values;
 * *part (may be NULL) then says which value broke the rule. */
int sluice_window_check(const struct sluice_window *w, enum sluice_window_part *part, struct sluice_error *err);

/* Passes of the assignment: ceil(duration / slide). */
size_t sluice_window_passes(const struct sluice_window *w);

/* The start of the latest window holding `t`; false when it is beyond the
 * range of a timestamp. */
bool sluice_window_last_start(const struct sluice_window *w, int64_t t, int64_t *start);

/* Pass `pass` over rows [0, n) of `time` (a timestamp array, n rows):
 * start[i], end[i] and has[i] = 1 for a row that has a window in this
 * pass, has[i] = 0 (start and end 0) for one that has none: a null time,
 * a window that does not hold it, or one already closed, i.e. whose end is
 * <= `watermark` (INT64_MIN: nothing is closed). Returns how many rows have
 * a window; *late (may be NULL) grows by the rows whose window was closed,
 * and late_rows[i] (may be NULL) is set to 1 for each of them. */
int64_t sluice_window_assign(const struct sluice_window *w, const struct ArrowArray *time, int64_t n, size_t pass,
                             int64_t watermark, int64_t *start, int64_t *end, uint8_t *has, int64_t *late,
                             uint8_t *late_rows);

/* The `window` column: struct {start, end} of timestamps, the struct never
 * null and its fields nullable, as Spark prints it. *out is the caller's. */
void sluice_window_schema(struct ArrowSchema *out);

/* A window column over the caller's start and end buffers (n rows, no
 * nulls), laid out as sluice_window_schema says, for reading only: the
 * struct holds pointers into itself, so it must not move while in use,
 * and its release callbacks do nothing. */
struct sluice_window_column {
    struct ArrowArray array;
    struct ArrowArray fields[2];
    struct ArrowArray *children[2];
    const void *array_buffers[1];
    const void *field_buffers[2][2];
};
void sluice_window_column_init(struct sluice_window_column *c, const int64_t *start, const int64_t *end, int64_t n);

/* "10 seconds", or "10 seconds sliding every 5 seconds", plus ", offset
 * 2 seconds" when there is one: how plans print a spec. */
void sluice_window_describe(const struct sluice_window *w, struct sluice_buf *out);

#endif
