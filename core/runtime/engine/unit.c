/* One unit of a micro-batch through the stages below its source. See unit.h. */
#include "unit.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "agg_groups.h"
#include "agg_stage.h"
#include "batch.h"
#include "builder.h"
#include "clock.h"
#include "join.h"
#include "keyed.h"
#include "error.h"
#include "expr.h"
#include "mem.h"
#include "retry.h"
#include "validate.h"
#include "stage.h"
#include "take.h"
#include "union.h"
#include "watermark.h"

static void keep_output(struct sluice_unit *u, struct sluice_stage *sink, struct sluice_batch *b, int side)
{
    if (u->n_outputs == u->cap) {
        u->cap = u->cap ? 2 * u->cap : 8;
        u->outputs = sluice_xrealloc(u->outputs, u->cap * sizeof *u->outputs);
    }
    u->outputs[u->n_outputs].sink = sink;
    u->outputs[u->n_outputs].side = side;
    sluice_batch_move(&u->outputs[u->n_outputs].batch, b);
    u->n_outputs++;
}

/* The unit's partial state for aggregate stage `stage`, made on first use:
 * a unit may emit several batches into one aggregation. */
static struct sluice_agg_groups *partial_for(struct sluice_unit *u, struct sluice_stage *stage)
{
    for (size_t i = 0; i < u->n_partials; i++)
        if (u->partials[i].stage == stage) return u->partials[i].groups;
    u->partials = sluice_xrealloc(u->partials, (u->n_partials + 1) * sizeof *u->partials);
    /* The partial drops rows whose window the batch's watermark closed. */
    u->partials[u->n_partials] = (struct sluice_unit_partial){ stage, sluice_agg_stage_partial(stage->agg) };
    return u->partials[u->n_partials++].groups;
}

void sluice_unit_clear(struct sluice_unit *u)
{
    for (size_t i = 0; i < u->n_outputs; i++) sluice_batch_release(&u->outputs[i].batch);
    free(u->outputs);
    for (size_t i = 0; i < u->n_partials; i++) sluice_agg_groups_free(u->partials[i].groups);
    free(u->partials);
    memset(u, 0, sizeof *u);
}

/* A stage that declares a watermark: its rows' largest event time, for the
 * watermark of the next batch (Spark's EventTimeWatermarkExec). */
static int observe_event_time(struct sluice_unit *u, struct sluice_stage *st, const struct sluice_batch *b,
                              struct sluice_error *err)
{
    if (!st->has_watermark || !st->watermark.time || b->array.length <= 0) return SLUICE_OK;
    struct ArrowArray t;
    int rc = sluice_expr_eval(st->watermark.time, b, &t, err);
    if (rc) return rc;
    if (st->watermark.tracker.lock && st->watermark.producer_col >= 0)
        sluice_watermark_tracker_observe_by(&st->watermark.tracker, &t, b->array.children[st->watermark.producer_col],
                                            b->array.offset, b->array.length);
    else
        sluice_watermark_tracker_observe(&st->watermark.tracker, &t, b->array.length);
    sluice_progress_event_time_observe(&u->event_time, &t, b->array.length);
    t.release(&t);
    return SLUICE_OK;
}

/* With check_batches, a batch a plugin emitted is checked against the
 * stage's declared schema before anything reads it (validate.h). */
static int check_emitted(const struct sluice_stage *st, const struct sluice_batch *b, struct sluice_error *err)
{
    char why[400];
    if (!st->check_batches || sluice_batch_validate(sluice_ctx_output_schema(&st->ctx), &b->array, why, sizeof why))
        return SLUICE_OK;
    sluice_error_set(err, SLUICE_EINTERNAL, "%s plugin '%s' emitted a malformed batch: %s",
                     st->kind == SLUICE_STAGE_SOURCE ? "source" : "transform", st->plugin->name, why);
    sluice_error_hint(err, "SLUICE_CHECK_BATCHES is set: every batch a plugin emits is checked");
    sluice_error_stage(err, st->name);
    return SLUICE_EINTERNAL;
}

static int push_into(struct sluice_unit *u, const struct sluice_stage *from, struct sluice_stage *stage,
                     struct sluice_batch *b, struct sluice_error *err);

/* The rows an aggregate stage dropped as late (late[i] != 0), as the rows
 * they were, to its late_output stage instead of nowhere. */
static int push_late(struct sluice_unit *u, struct sluice_stage *agg, const struct sluice_batch *b, const uint8_t *late,
                     struct sluice_error *err)
{
    int64_t n = sluice_batch_rows(b), k = 0;
    for (int64_t i = 0; i < n; i++) k += late[i] != 0;
    if (!k) return SLUICE_OK;
    int64_t *rows = sluice_xmalloc((size_t)k * sizeof *rows);
    k = 0;
    for (int64_t i = 0; i < n; i++)
        if (late[i]) rows[k++] = i;
    struct sluice_batch out = { .schema = b->schema };
    int rc = sluice_array_take(b->schema, &b->array, rows, k, &out.array, err);
    free(rows);
    if (rc) {
        sluice_batch_release(&out);
        sluice_error_stage(err, agg->name);
        return rc;
    }
    return push_into(u, agg, agg->late_output, &out, err);
}

/* A union's input `from` is which of its inputs. */
static size_t union_input(const struct sluice_stage *un, const struct sluice_stage *from)
{
    size_t m = 0;
    while (m + 1 < un->n_inputs && un->inputs[m] != from) m++;
    return m;
}

/* Hand `b` (moved in), which `from` put out, to `stage`. */
static int push_into(struct sluice_unit *u, const struct sluice_stage *from, struct sluice_stage *stage,
                     struct sluice_batch *b, struct sluice_error *err)
{
    switch (stage->kind) {
    case SLUICE_STAGE_TRANSFORM: {
        struct sluice_batch out = { 0 };
        int64_t t0 = sluice_monotonic_us();
        int rc = stage->plugin->process(stage->state, b, &out, err);
        u->work.transform_us += sluice_monotonic_us() - t0;
        sluice_batch_release(b); /* in case the plugin left it */
        if (rc) {
            sluice_batch_release(&out);
            sluice_error_stage(err, stage->name);
            return rc;
        }
        rc = check_emitted(stage, &out, err);
        if (rc) {
            sluice_batch_release(&out);
            return rc;
        }
        return sluice_unit_push(u, stage, &out, err);
    }
    case SLUICE_STAGE_SINK:
        keep_output(u, stage, b, 0);
        return SLUICE_OK;
    case SLUICE_STAGE_JOIN: {
        struct sluice_batch out = { 0 };
        int64_t t0 = sluice_monotonic_us();
        int rc = sluice_join_process(stage->join, b, &out, err);
        u->work.transform_us += sluice_monotonic_us() - t0;
        if (rc) {
            sluice_batch_release(&out);
            return sluice_error_stage(err, stage->name), rc;
        }
        return sluice_unit_push(u, stage, &out, err);
    }
    case SLUICE_STAGE_UNION: {
        struct sluice_batch out;
        sluice_union_process(stage->un, union_input(stage, from), b, &out);
        return sluice_unit_push(u, stage, &out, err);
    }
    case SLUICE_STAGE_DEDUP:
    case SLUICE_STAGE_STREAM_JOIN:
        /* Judged on the main thread in unit order (sluice_unit_write), so
         * the first row of a key is the first the source planned. */
        keep_output(u, stage, b, stage->n_inputs > 1 && from == stage->inputs[1]);
        return SLUICE_OK;
    case SLUICE_STAGE_AGGREGATE: {
        /* A barrier: rows stop here, folded into the unit's partial state.
         * Groups are marked changed when the partial is merged, so no
         * batch id is needed yet. */
        int64_t n = sluice_batch_rows(b);
        uint8_t *late = stage->late_output && n > 0 ? sluice_xmalloc((size_t)n) : NULL;
        int64_t t0 = sluice_monotonic_us();
        int rc = sluice_agg_groups_update(partial_for(u, stage), b, -1, late, err);
        u->work.aggregate_us += sluice_monotonic_us() - t0;
        if (rc) sluice_error_stage(err, stage->name);
        if (!rc && late) rc = push_late(u, stage, b, late, err);
        free(late);
        sluice_batch_release(b);
        return rc;
    }
    default:
        sluice_batch_release(b);
        return sluice_error_set(err, SLUICE_EINTERNAL, "stage '%s' cannot run yet", stage->name);
    }
}

int sluice_unit_push(struct sluice_unit *u, struct sluice_stage *producer, struct sluice_batch *b,
                     struct sluice_error *err)
{
    b->schema = sluice_ctx_output_schema(&producer->ctx);
    /* A plugin that built or took past a size limit cannot say so (the
     * host's builders and take return nothing): its batch carries it. */
    const char *poisoned = sluice_array_poisoned(&b->array);
    if (__builtin_expect(poisoned != NULL, 0)) {
        int rc = sluice_error_set(err, SLUICE_ELIMIT, "%s", poisoned);
        sluice_error_stage(err, producer->name);
        sluice_batch_release(b);
        return rc;
    }
    atomic_fetch_add_explicit(&producer->rows_out, sluice_batch_rows(b), memory_order_relaxed);
    int wrc = observe_event_time(u, producer, b, err);
    if (wrc) {
        sluice_batch_release(b);
        sluice_error_stage(err, producer->name);
        return wrc;
    }
    /* Stages that feed no sink are not run (Spark never starts them). */
    size_t last = producer->n_outputs;
    while (last > 0 && !producer->outputs[last - 1]->feeds_sink) last--;
    if (last == 0) {
        sluice_batch_release(b);
        return SLUICE_OK;
    }
    for (size_t i = 0; i + 1 < last; i++) {
        if (!producer->outputs[i]->feeds_sink) continue;
        struct sluice_batch view;
        sluice_batch_share(b, &view);
        int rc = push_into(u, producer, producer->outputs[i], &view, err);
        if (rc) {
            sluice_batch_release(b);
            return rc;
        }
    }
    return push_into(u, producer, producer->outputs[last - 1], b, err);
}

struct emit_arg {
    struct sluice_unit *unit;
    struct sluice_stage *source;
};

static int emit_from_source(void *arg, struct sluice_batch *batch, struct sluice_error *err)
{
    struct emit_arg *e = arg;
    int rc = check_emitted(e->source, batch, err);
    if (rc) {
        sluice_batch_release(batch); /* the core takes every batch emitted */
        return rc;
    }
    e->unit->input_rows += sluice_batch_rows(batch);
    return sluice_unit_push(e->unit, e->source, batch, err);
}

void sluice_unit_read(struct sluice_unit *u, struct sluice_stage *source, size_t index,
                      const struct sluice_retry_policy *retry)
{
    struct emit_arg arg = { u, source };
    int64_t t0 = sluice_monotonic_us();
    for (int attempt = 1;; attempt++) {
        u->status = source->plugin->read(source->state, index, emit_from_source, &arg, &u->err);
        if (!retry || !sluice_retry_again(retry, u->status, attempt, source->name, "read", &u->err)) break;
        /* Read again from the start: what the failed try emitted goes. */
        int64_t retries = u->retries + 1;
        sluice_unit_clear(u);
        u->retries = retries;
    }
    /* What the stages below took is theirs; the rest (failed tries too) is the source's. */
    u->work.read_us += sluice_monotonic_us() - t0 - u->work.transform_us - u->work.aggregate_us;
    if (u->status && !u->err.stage[0]) sluice_error_stage(&u->err, source->name);
}

/* One sink batch, written again while the sink asks for it and leaves it in place. */
static int write_output(struct sluice_unit_output *o, const struct sluice_retry_policy *retry, int64_t *retries,
                        struct sluice_error *err)
{
    const struct sluice_stage *sink = o->sink;
    for (int attempt = 1;; attempt++) {
        int rc = sink->plugin->write(sink->state, &o->batch, err);
        if (rc != SLUICE_EAGAIN || !retry) return rc;
        if (!o->batch.array.release)
            return sluice_error_set(err, SLUICE_EINTERNAL, "sink plugin '%s' asked for write to be retried "
                                    "(SLUICE_EAGAIN) but released the batch; it must leave it in place",
                                    sink->plugin->name);
        if (!sluice_retry_again(retry, rc, attempt, sink->name, "write", err)) return rc;
        if (retries) (*retries)++;
    }
}

/* The rows that waited for keyed operators go on down, as each judges
 * them; what they reach (sinks, partials, further stages) joins the unit.
 * Entries are appended as this runs, so the loop re-reads the count. */
static int run_keyed(struct sluice_unit *u, int64_t batch_id, struct sluice_error *err)
{
    for (size_t i = 0; i < u->n_outputs; i++) {
        struct sluice_stage *st = u->outputs[i].sink;
        if (st->kind == SLUICE_STAGE_SINK) continue;
        struct sluice_batch in, out = { 0 };
        sluice_batch_move(&in, &u->outputs[i].batch);
        int64_t t0 = sluice_monotonic_us();
        int rc = sluice_keyed_process(st, u->outputs[i].side, batch_id, &in, &out, err);
        u->work.aggregate_us += sluice_monotonic_us() - t0;
        if (rc) {
            sluice_batch_release(&out);
            return rc;
        }
        if (out.array.release) rc = sluice_unit_push(u, st, &out, err);
        if (rc) return rc;
    }
    return SLUICE_OK;
}

int sluice_unit_write(struct sluice_unit *u, int64_t batch_id, int64_t *rows, const struct sluice_retry_policy *retry,
                      int64_t *retries, struct sluice_error *err)
{
    int drc = run_keyed(u, batch_id, err);
    if (drc) return drc;
    /* Merging in unit order keeps each partition's groups in the order
     * they first appeared, whatever the number of threads. */
    int64_t t0 = sluice_monotonic_us();
    for (size_t i = 0; i < u->n_partials; i++) {
        struct sluice_stage *st = u->partials[i].stage;
        int rc = sluice_agg_groups_merge(st->agg->state, u->partials[i].groups, batch_id, err);
        if (rc) {
            sluice_error_stage(err, st->name);
            return rc;
        }
    }
    int64_t t1 = sluice_monotonic_us();
    u->work.aggregate_us += t1 - t0;
    for (size_t i = 0; i < u->n_outputs; i++) {
        struct sluice_unit_output *o = &u->outputs[i];
        if (o->sink->kind != SLUICE_STAGE_SINK) continue; /* a keyed operator's, run above */
        *rows += sluice_batch_rows(&o->batch);
        atomic_fetch_add_explicit(&o->sink->rows_out, sluice_batch_rows(&o->batch), memory_order_relaxed);
        int rc = write_output(o, retry, retries, err);
        sluice_batch_release(&o->batch); /* in case the plugin left it */
        if (rc) {
            sluice_error_stage(err, o->sink->name);
            return rc;
        }
    }
    u->work.sink_us += sluice_monotonic_us() - t1;
    return SLUICE_OK;
}
