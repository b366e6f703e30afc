/* Event-time windows: Spark's checks on a spec, and the vectorised
 * assignment of rows to windows. See window.h. */
#include "window.h"

#include <string.h>

#include "duration.h"
#include "error.h"
#include "schema.h"

/* ---- the spec ------------------------------------------------------------ */

static void put_duration(struct sluice_buf *b, int64_t us)
{
    if (us < 0) {
        sluice_buf_putc(b, '-');
        /* INT64_MIN has no positive twin; no parsed duration gets there. */
        us = us == INT64_MIN ? INT64_MAX : -us;
    }
    struct sluice_buf d = { 0 };
    sluice_duration_format(us, &d);
    sluice_buf_puts(b, d.data ? d.data : "0 seconds");
    sluice_buf_free(&d);
}

/* One error message naming two durations, without heap strings in the error. */
static int check_fail(struct sluice_error *err, const char *fmt, int64_t a, int64_t b)
{
    struct sluice_buf x = { 0 }, y = { 0 };
    put_duration(&x, a);
    put_duration(&y, b);
    int rc = sluice_error_set(err, SLUICE_ECONFIG, fmt, x.data, y.data);
    sluice_buf_free(&x);
    sluice_buf_free(&y);
    return rc;
}

/* Spark's TimeWindow.checkInputDataTypes, in its order. */
int sluice_window_check(const struct sluice_window *w, enum sluice_window_part *part, struct sluice_error *err)
{
    enum sluice_window_part ignored;
    if (!part) part = &ignored;
    /* Messages with one duration ignore the second argument. */
    *part = SLUICE_WINDOW_DURATION;
    if (w->duration_us <= 0)
        return check_fail(err, "the window duration must be greater than 0, got %s", w->duration_us, 0);
    *part = SLUICE_WINDOW_SLIDE;
    if (w->slide_us <= 0) return check_fail(err, "the slide must be greater than 0, got %s", w->slide_us, 0);
    if (w->slide_us > w->duration_us) {
        int rc = check_fail(err, "the slide (%s) must be less than or equal to the window duration (%s)",
                            w->slide_us, w->duration_us);
        sluice_error_hint(err, "the slide is how often a window starts: at most once per window length");
        return rc;
    }
    *part = SLUICE_WINDOW_OFFSET;
    int64_t mag = w->offset_us < 0 ? (w->offset_us == INT64_MIN ? INT64_MAX : -w->offset_us) : w->offset_us;
    if (mag >= w->slide_us)
        return check_fail(err, "the absolute value of the offset (%s) must be less than the slide (%s)",
                          w->offset_us, w->slide_us);
    return SLUICE_OK;
}

size_t sluice_window_passes(const struct sluice_window *w)
{
    return (size_t)(w->duration_us / w->slide_us + (w->duration_us % w->slide_us != 0));
}

void sluice_window_describe(const struct sluice_window *w, struct sluice_buf *out)
{
    put_duration(out, w->duration_us);
    if (w->slide_us != w->duration_us) {
        sluice_buf_puts(out, " sliding every ");
        put_duration(out, w->slide_us);
    }
    if (w->offset_us) {
        sluice_buf_puts(out, ", offset ");
        put_duration(out, w->offset_us);
    }
}

/* ---- assignment ---------------------------------------------------------- */

bool sluice_window_last_start(const struct sluice_window *w, int64_t t, int64_t *start)
{
    int64_t d;
    if (__builtin_sub_overflow(t, w->offset_us, &d)) return false;
    /* C's % truncates toward zero; Spark adds the slide back to a negative
     * remainder, which makes the start a floor for times before 1970. */
    int64_t rem = d % w->slide_us;
    if (rem < 0) rem += w->slide_us;
    return !__builtin_sub_overflow(t, rem, start);
}

int64_t sluice_window_assign(const struct sluice_window *w, const struct ArrowArray *time, int64_t n, size_t pass,
                             int64_t watermark, int64_t *start, int64_t *end, uint8_t *has, int64_t *late,
                             uint8_t *late_rows)
{
    const int64_t *t = (const int64_t *)time->buffers[1] + time->offset;
    const uint8_t *valid = time->null_count != 0 ? time->buffers[0] : NULL;
    /* pass < ceil(duration / slide), so pass * slide < duration: no overflow. */
    int64_t back = (int64_t)pass * w->slide_us;
    int64_t with = 0, closed = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t s, e;
        bool ok = (!valid || sluice_bit_get(valid, time->offset + i)) && sluice_window_last_start(w, t[i], &s) &&
                  !__builtin_sub_overflow(s, back, &s) && !__builtin_add_overflow(s, w->duration_us, &e) && t[i] < e;
        if (ok && e <= watermark) {
            closed++;
            ok = false;
            if (late_rows) late_rows[i] = 1;
        }
        start[i] = ok ? s : 0;
        end[i] = ok ? e : 0;
        has[i] = ok;
        with += ok;
    }
    if (late) *late += closed;
    return with;
}

/* ---- the window column --------------------------------------------------- */

void sluice_window_schema(struct ArrowSchema *out)
{
    sluice_schema_init(out, SLUICE_FORMAT_STRUCT, "window", false, 2);
    sluice_schema_init(out->children[0], SLUICE_FORMAT_TIMESTAMP, "start", true, 0);
    sluice_schema_init(out->children[1], SLUICE_FORMAT_TIMESTAMP, "end", true, 0);
}

/* The buffers are the caller's: a reader that "releases" the column
 * (as Arrow consumers may) must not free them. */
static void release_nothing(struct ArrowArray *a)
{
    (void)a;
}

void sluice_window_column_init(struct sluice_window_column *c, const int64_t *start, const int64_t *end, int64_t n)
{
    memset(c, 0, sizeof *c);
    const int64_t *bufs[2] = { start, end };
    for (int k = 0; k < 2; k++) {
        c->field_buffers[k][0] = NULL;
        c->field_buffers[k][1] = bufs[k];
        c->fields[k] = (struct ArrowArray){ .length = n, .n_buffers = 2, .buffers = c->field_buffers[k],
                                            .release = release_nothing };
        c->children[k] = &c->fields[k];
    }
    c->array_buffers[0] = NULL;
    c->array = (struct ArrowArray){ .length = n, .n_buffers = 1, .n_children = 2, .buffers = c->array_buffers,
                                    .children = c->children, .release = release_nothing };
}
