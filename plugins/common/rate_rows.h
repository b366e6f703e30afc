/* plugins/common/rate_rows.h — the rows both rate sources make: `timestamp`
 * and `value` for the values first, first + stride, ... below end (one unit
 * of a batch takes every stride-th value), each stamped base_ms plus
 * (value - origin) * ms_per_value, rounded (0 stamps every row base_ms).
 * Emitted in batches of RATE_ROWS_PER_EMIT rows. Header-only. */
#ifndef SLUICE_PLUGIN_RATE_ROWS_H
#define SLUICE_PLUGIN_RATE_ROWS_H

#include <math.h>
#include <stdint.h>

#include <sluice/plugin.h>

#define RATE_ROWS_PER_EMIT 65536

struct rate_rows {
    int64_t first, end, stride;
    int64_t origin, base_ms;
    double ms_per_value;
};

static inline int rate_rows_emit(const struct sluice_host *h, struct sluice_ctx *ctx, const struct rate_rows *r,
                                 sluice_emit_fn emit, void *emit_arg, struct sluice_error *err)
{
    struct sluice_builder *b = h->builder_new(h->output_schema(ctx));
    struct sluice_builder *ts = h->builder_child(b, 0), *val = h->builder_child(b, 1);
    int rc = SLUICE_OK;
    for (int64_t v = r->first; v < r->end && !rc; v += r->stride) {
        int64_t relative = r->ms_per_value ? (int64_t)llround((double)(v - r->origin) * r->ms_per_value) : 0;
        h->append_struct(b);
        h->append_timestamp(ts, (r->base_ms + relative) * 1000);
        h->append_long(val, v);
        if (h->builder_rows(b) == RATE_ROWS_PER_EMIT || v + r->stride >= r->end) {
            struct sluice_batch batch;
            h->builder_finish(b, &batch);
            rc = emit(emit_arg, &batch, err);
        }
    }
    h->builder_free(b);
    return rc;
}

#endif
