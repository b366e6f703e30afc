/* The micro-batch loop. Data path, top to bottom:
 *   source.latest_offset -> source.plan_read -> units on worker threads:
 *   source.read -> emit -> transforms -> (per sink) result lists
 *                                     -> (per aggregate stage) a partial state
 *   -> main thread, in unit order: sink.write, partial merged into the
 *      aggregate stage's state
 *   -> main thread, after the last unit: each aggregate stage emits its
 *      groups, which run through the stages below it to their sinks
 *   -> sink.end -> source.commit -> watermarks move forward
 * A batch whose watermark moved in append or update mode is followed, when
 * no new data waits, by a batch without input (Spark's no-data batch), so
 * the windows it closed come out without waiting for more rows.
 * Workers run ahead of the sinks by a bounded window of units, so memory
 * stays bounded and sinks see rows in the order the source planned them. */
#define _GNU_SOURCE /* pipe2 */
#include "engine.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agg_stage.h"
#include "batch.h"
#include "checkpoint.h"
#include "error.h"
#include "expr.h"
#include "log.h"
#include "mem.h"
#include "progress.h"
#include "status_line.h"
#include "timefmt.h"
#include "watermark.h"

/* How long an idle "0 seconds" trigger waits before asking the sources
 * again; Spark's spark.sql.streaming.pollingDelay has the same default. */
#define IDLE_POLL_US 10000
/* The longest a source's wait() blocks before the loop looks again; the
 * source wakes it sooner when data may have arrived. */
#define IDLE_WAIT_US 1000000

static atomic_int stop_requested;
/* Self-pipe: a stop request writes a byte, so a sleeping trigger loop or a
 * source's wait() (which polls the read end) returns at once, whichever
 * thread the signal landed on. */
static int wake_pipe[2] = { -1, -1 };

static void wake(void)
{
    int saved = errno;
    if (wake_pipe[1] >= 0) {
        ssize_t n = write(wake_pipe[1], "x", 1);
        (void)n; /* full pipe: a wake-up is already pending */
    }
    errno = saved;
}

void sluice_engine_request_stop(void)
{
    atomic_store(&stop_requested, 1);
    wake();
}

static void on_signal(int sig)
{
    atomic_store(&stop_requested, 1);
    wake();
    /* A second Ctrl-C should not wait for the batch: restore the default. */
    signal(sig, SIG_DFL);
}

/* ---- one unit's results ------------------------------------------------ */

struct sink_item {
    struct sluice_stage *sink;
    struct sluice_batch batch;
};

/* What a unit folded into one aggregate stage, merged on the main thread. */
struct agg_item {
    struct sluice_stage *stage;
    struct sluice_agg_groups *partial;
};

struct unit_slot {
    struct sink_item *items;
    size_t n_items, cap;
    struct agg_item *aggs;
    size_t n_aggs;
    int status;
    struct sluice_error err;
    bool done;
    int64_t input_rows;                          /* rows the source emitted */
    struct sluice_progress_event_time event_time; /* of the rows leaving watermarked stages */
};

static void slot_push(struct unit_slot *s, struct sluice_stage *sink, struct sluice_batch *b)
{
    if (s->n_items == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 8;
        s->items = sluice_xrealloc(s->items, s->cap * sizeof *s->items);
    }
    s->items[s->n_items].sink = sink;
    sluice_batch_move(&s->items[s->n_items].batch, b);
    s->n_items++;
}

/* The unit's partial state for aggregate stage `stage`, made on first use:
 * a unit may emit several batches into one aggregation. */
static struct sluice_agg_groups *slot_partial(struct unit_slot *s, struct sluice_stage *stage)
{
    for (size_t i = 0; i < s->n_aggs; i++)
        if (s->aggs[i].stage == stage) return s->aggs[i].partial;
    s->aggs = sluice_xrealloc(s->aggs, (s->n_aggs + 1) * sizeof *s->aggs);
    /* The partial drops rows whose window the batch's watermark closed. */
    s->aggs[s->n_aggs] = (struct agg_item){ stage, sluice_agg_stage_partial(stage->agg) };
    return s->aggs[s->n_aggs++].partial;
}

static void slot_clear(struct unit_slot *s)
{
    for (size_t i = 0; i < s->n_items; i++) sluice_batch_release(&s->items[i].batch);
    free(s->items);
    for (size_t i = 0; i < s->n_aggs; i++) sluice_agg_groups_free(s->aggs[i].partial);
    free(s->aggs);
    memset(s, 0, sizeof *s);
}

/* ---- pushing a batch down the graph (worker threads) -------------------- */

static int push_to(struct unit_slot *slot, struct sluice_stage *stage, struct sluice_batch *b,
                   struct sluice_error *err);

/* A stage that declares a watermark: its rows' largest event time, for the
 * watermark of the next batch (Spark's EventTimeWatermarkExec). */
static int observe_event_time(struct unit_slot *slot, struct sluice_stage *st, const struct sluice_batch *b,
                              struct sluice_error *err)
{
    if (!st->has_watermark || !st->watermark.time || b->array.length <= 0) return SLUICE_OK;
    struct ArrowArray t;
    int rc = sluice_expr_eval(st->watermark.time, b, &t, err);
    if (rc) return rc;
    sluice_watermark_tracker_observe(&st->watermark.tracker, &t, b->array.length);
    sluice_progress_event_time_observe(&slot->event_time, &t, b->array.length);
    t.release(&t);
    return SLUICE_OK;
}

/* Hand `b` (ours) to every reader of `producer`: shared views to all but the
 * last, which gets the batch itself. */
static int fan_out(struct unit_slot *slot, struct sluice_stage *producer, struct sluice_batch *b,
                   struct sluice_error *err)
{
    b->schema = sluice_ctx_output_schema(&producer->ctx);
    int wrc = observe_event_time(slot, producer, b, err);
    if (wrc) {
        sluice_batch_release(b);
        sluice_error_stage(err, producer->name);
        return wrc;
    }
    if (producer->n_outputs == 0) {
        sluice_batch_release(b);
        return SLUICE_OK;
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
        int rc = push_to(slot, producer->outputs[i], &view, err);
        if (rc) {
            sluice_batch_release(b);
            return rc;
        }
    }
    return push_to(slot, producer->outputs[last - 1], b, err);
}

static int push_to(struct unit_slot *slot, struct sluice_stage *stage, struct sluice_batch *b,
                   struct sluice_error *err)
{
    switch (stage->kind) {
    case SLUICE_STAGE_TRANSFORM: {
        struct sluice_batch out = { 0 };
        int rc = stage->plugin->process(stage->state, b, &out, err);
        sluice_batch_release(b); /* in case the plugin left it */
        if (rc) {
            sluice_batch_release(&out);
            sluice_error_stage(err, stage->name);
            return rc;
        }
        return fan_out(slot, stage, &out, err);
    }
    case SLUICE_STAGE_SINK:
        slot_push(slot, stage, b);
        return SLUICE_OK;
    case SLUICE_STAGE_AGGREGATE: {
        /* A barrier: rows stop here, folded into the unit's partial state.
         * Groups are marked changed when the partial is merged, so no
         * batch id is needed yet. */
        int rc = sluice_agg_groups_update(slot_partial(slot, stage), b, -1, err);
        sluice_batch_release(b);
        if (rc) sluice_error_stage(err, stage->name);
        return rc;
    }
    default:
        sluice_batch_release(b);
        return sluice_error_set(err, SLUICE_EINTERNAL, "stage '%s' cannot run yet", stage->name);
    }
}

/* ---- the workers -------------------------------------------------------- */

struct batch_run {
    struct sluice_stage *source;
    size_t n_units;
    struct unit_slot *slots;
    size_t window;          /* units a worker may run ahead of the sinks */
    pthread_mutex_t lock;
    pthread_cond_t changed;
    size_t next_unit;       /* next unit to hand to a worker */
    size_t next_write;      /* next unit the main thread writes */
    bool failed;
};

struct emit_arg {
    struct batch_run *run;
    struct unit_slot *slot;
};

static int emit_from_source(void *arg, struct sluice_batch *batch, struct sluice_error *err)
{
    struct emit_arg *e = arg;
    e->slot->input_rows += sluice_batch_rows(batch);
    return fan_out(e->slot, e->run->source, batch, err);
}

static void run_unit(struct batch_run *run, size_t unit)
{
    struct unit_slot *slot = &run->slots[unit];
    struct emit_arg arg = { run, slot };
    slot->status = run->source->plugin->read(run->source->state, unit, emit_from_source, &arg, &slot->err);
    if (slot->status && !slot->err.stage[0]) sluice_error_stage(&slot->err, run->source->name);
}

static void *worker_main(void *p)
{
    struct batch_run *run = p;
    pthread_mutex_lock(&run->lock);
    for (;;) {
        while (!run->failed && run->next_unit < run->n_units &&
               run->next_unit >= run->next_write + run->window)
            pthread_cond_wait(&run->changed, &run->lock);
        if (run->failed || run->next_unit >= run->n_units) break;
        size_t unit = run->next_unit++;
        pthread_mutex_unlock(&run->lock);
        run_unit(run, unit);
        pthread_mutex_lock(&run->lock);
        run->slots[unit].done = true;
        if (run->slots[unit].status) run->failed = true;
        pthread_cond_broadcast(&run->changed);
    }
    pthread_mutex_unlock(&run->lock);
    return NULL;
}

/* ---- one micro-batch ---------------------------------------------------- */

struct query {
    struct sluice_stage *source;
    struct sluice_stage **sinks; /* every sink below the source */
    size_t n_sinks;
    struct sluice_stage **aggs;  /* every aggregate stage below it that feeds a sink */
    size_t n_aggs;
    struct sluice_stage **marks; /* every stage below it that declares a watermark and runs */
    size_t n_marks;
    bool no_data_pending;        /* a watermark moved: run a batch even without new data */
    char *committed;             /* offset JSON, NULL before the first batch */
    char *target;                /* available_now: where to stop */
    int64_t next_batch_id;
    int64_t rows_total;
    struct sluice_checkpoint *ckpt; /* NULL without runtime.checkpoint */
    /* For progress records. */
    char id[SLUICE_UUID_LEN + 1], run_id[SLUICE_UUID_LEN + 1];
    char *source_desc, *sink_desc;
    int64_t latest_us;           /* asking the source for the offset of the batch about to run */
    int64_t last_start_wall;     /* when the previous batch started (wall clock), 0: none yet */
    struct sluice_progress_state *state_progress;
};

static void collect_sinks(struct query *q, struct sluice_stage *s)
{
    if (s->kind == SLUICE_STAGE_SINK) {
        q->sinks = sluice_xrealloc(q->sinks, (q->n_sinks + 1) * sizeof *q->sinks);
        q->sinks[q->n_sinks++] = s;
    }
    if (s->kind == SLUICE_STAGE_AGGREGATE && s->feeds_sink) {
        q->aggs = sluice_xrealloc(q->aggs, (q->n_aggs + 1) * sizeof *q->aggs);
        q->aggs[q->n_aggs++] = s;
    }
    if (s->has_watermark && s->feeds_sink) {
        q->marks = sluice_xrealloc(q->marks, (q->n_marks + 1) * sizeof *q->marks);
        q->marks[q->n_marks++] = s;
    }
    for (size_t i = 0; i < s->n_outputs; i++) collect_sinks(q, s->outputs[i]);
}

static int write_slot(struct unit_slot *slot, int64_t batch_id, int64_t *rows, struct sluice_error *err)
{
    /* Merging in unit order keeps each partition's groups in the order
     * they first appeared, whatever the number of threads. */
    for (size_t i = 0; i < slot->n_aggs; i++)
        sluice_agg_groups_merge(slot->aggs[i].stage->agg->state, slot->aggs[i].partial, batch_id);
    for (size_t i = 0; i < slot->n_items; i++) {
        struct sink_item *it = &slot->items[i];
        *rows += sluice_batch_rows(&it->batch);
        int rc = it->sink->plugin->write(it->sink->state, &it->batch, err);
        sluice_batch_release(&it->batch); /* in case the plugin left it */
        if (rc) {
            sluice_error_stage(err, it->sink->name);
            return rc;
        }
    }
    return SLUICE_OK;
}

/* After every unit is merged: each aggregate stage's result for this batch
 * (by its output mode; in append and update modes it also evicts what the
 * watermark closed) goes down the stages below it, here on the main
 * thread, through a slot of its own. This runs in no-data batches too. */
static int emit_aggregations(struct query *q, int64_t batch_id, int64_t *rows, struct sluice_error *err)
{
    for (size_t i = 0; i < q->n_aggs; i++) {
        struct sluice_stage *a = q->aggs[i];
        struct sluice_batch out;
        sluice_agg_stage_emit(a->agg, batch_id, &out);
        struct unit_slot slot = { 0 };
        int rc = fan_out(&slot, a, &out, err);
        if (!rc) rc = write_slot(&slot, batch_id, rows, err);
        slot_clear(&slot);
        if (rc) return rc;
    }
    return SLUICE_OK;
}

/* After a batch commits: each watermark declaration moves forward from the
 * event times it saw, and each aggregation takes the watermark its next
 * batch runs with (Spark applies a new watermark from the next batch on).
 * When one moved in append or update mode, Spark runs a batch without new
 * data next, so what the new watermark closes comes out now. */
static void advance_watermarks(struct query *q)
{
    for (size_t i = 0; i < q->n_marks; i++) sluice_watermark_tracker_advance(&q->marks[i]->watermark.tracker);
    q->no_data_pending = false;
    for (size_t i = 0; i < q->n_aggs; i++) q->no_data_pending |= sluice_agg_stage_advance(q->aggs[i]->agg);
}

/* What the batch did, for its progress record (Spark's StreamingQueryProgress). */
static void record_progress(struct sluice_graph *g, struct query *q, int64_t batch_id, const char *start,
                            const char *end, int64_t wall0, const int64_t *t, int64_t watermark,
                            const struct sluice_progress_event_time *et, int64_t input_rows, int64_t rows,
                            int64_t malformed, const struct sluice_checkpoint_stats *cst)
{
    for (size_t i = 0; i < q->n_aggs; i++) {
        sluice_agg_stage_report(q->aggs[i], batch_id, &q->state_progress[i]);
        q->state_progress[i].commit_us = cst && cst->state_us ? cst->state_us[i] : 0;
    }
    sluice_progress_record(&(struct sluice_progress_batch){
        .query = g->name, .source = q->source_desc, .batch_id = batch_id, .duration_us = t[5] - t[0] + q->latest_us,
        .sink_rows = rows, .malformed = malformed, .end_offset = end, .id = q->id,
        .run_id = q->run_id, .start_wall_us = wall0, .input_rows = input_rows, .start_offset = start,
        .since_previous_us = q->last_start_wall ? wall0 - q->last_start_wall : 0, .sink = q->sink_desc,
        .latest_offset = q->target ? q->target : end, .latest_offset_us = q->latest_us,
        .wal_commit_us = t[1] - t[0], .get_batch_us = t[2] - t[1], .add_batch_us = t[3] - t[2],
        .commit_us = t[5] - t[4], .has_watermark = q->n_marks > 0,
        .watermark = watermark, .event_time = *et, .state = q->state_progress, .n_state = q->n_aggs });
    q->last_start_wall = wall0;
}

/* One micro-batch over the source's offsets up to `end`; a no-data batch
 * (`end` the committed offset) asks the source for nothing and leaves its
 * offsets alone, but has a batch id, sink calls and emissions of its own.
 * With a checkpoint: offsets/N before anything runs, then, once every
 * sink accepted the batch and the watermarks moved on, its state and
 * commits/N, and only then the source's commit. */
static int run_batch(struct sluice_graph *g, struct query *q, const char *end, bool no_data, struct sluice_error *err)
{
    struct sluice_stage *src = q->source;
    int64_t batch_id = q->next_batch_id;
    /* t: start, offsets written, planned, added (sinks ended), state and commit begin, done. */
    int64_t t[6] = { sluice_monotonic_us() };
    int64_t wall0 = sluice_now_us() - q->latest_us;
    int64_t malformed0 = sluice_ctx_malformed(&src->ctx);
    int64_t watermark = SLUICE_WATERMARK_NONE;
    for (size_t i = 0; i < q->n_aggs; i++)
        if (i == 0 || q->aggs[i]->agg->watermark < watermark) watermark = q->aggs[i]->agg->watermark;
    sluice_status_line_clear(); /* sinks may print to the same terminal */
    char *start = q->committed ? sluice_xstrdup(q->committed) : NULL;

    int rc = q->ckpt ? sluice_checkpoint_plan(q->ckpt, batch_id, q->committed, end, err) : SLUICE_OK;
    t[1] = sluice_monotonic_us();
    size_t n_units = 0;
    if (!rc && !no_data) {
        rc = src->plugin->plan_read(src->state, q->committed, end, &n_units, err);
        if (rc) sluice_error_stage(err, src->name);
    }
    t[2] = sluice_monotonic_us();
    for (size_t i = 0; i < q->n_sinks && !rc; i++) {
        struct sluice_stage *k = q->sinks[i];
        rc = k->plugin->begin(k->state, batch_id, k->mode, err);
        if (rc) sluice_error_stage(err, k->name);
    }
    if (rc) {
        free(start);
        return rc;
    }

    struct batch_run run = { .source = src, .n_units = n_units };
    run.slots = sluice_xcalloc(n_units ? n_units : 1, sizeof *run.slots);
    size_t threads = g->runtime.threads > 0 ? (size_t)g->runtime.threads : 1;
    if (threads > n_units) threads = n_units;
    run.window = 2 * (threads ? threads : 1);
    pthread_mutex_init(&run.lock, NULL);
    pthread_cond_init(&run.changed, NULL);

    pthread_t *workers = sluice_xcalloc(threads ? threads : 1, sizeof *workers);
    size_t started = 0;
    /* One unit needs no thread: run it here and skip the hand-offs. */
    if (threads > 1) {
        for (; started < threads; started++)
            if (pthread_create(&workers[started], NULL, worker_main, &run) != 0) break;
    }
    if (started == 0) {
        run.window = n_units; /* run every unit here, in order, then write */
    }

    int64_t rows = 0, input_rows = 0;
    struct sluice_progress_event_time et = { 0 };
    for (size_t u = 0; u < n_units && rc == SLUICE_OK; u++) {
        struct unit_slot *slot = &run.slots[u];
        if (started == 0) {
            run_unit(&run, u);
            slot->done = true;
        } else {
            pthread_mutex_lock(&run.lock);
            while (!slot->done) pthread_cond_wait(&run.changed, &run.lock);
            pthread_mutex_unlock(&run.lock);
        }
        if (slot->status) {
            rc = slot->status;
            *err = slot->err;
        } else {
            input_rows += slot->input_rows;
            sluice_progress_event_time_merge(&et, &slot->event_time);
            rc = write_slot(slot, batch_id, &rows, err);
        }
        slot_clear(slot);
        pthread_mutex_lock(&run.lock);
        run.next_write = u + 1;
        if (rc) run.failed = true;
        pthread_cond_broadcast(&run.changed);
        pthread_mutex_unlock(&run.lock);
    }
    for (size_t i = 0; i < started; i++) pthread_join(workers[i], NULL);
    for (size_t u = 0; u < n_units; u++) slot_clear(&run.slots[u]);
    free(workers);
    free(run.slots);
    pthread_mutex_destroy(&run.lock);
    pthread_cond_destroy(&run.changed);
    if (!rc) rc = emit_aggregations(q, batch_id, &rows, err);
    if (!rc) sluice_checkpoint_crash_point("batch", batch_id);

    for (size_t i = 0; i < q->n_sinks && !rc; i++) {
        struct sluice_stage *k = q->sinks[i];
        rc = k->plugin->end(k->state, batch_id, err);
        if (rc) sluice_error_stage(err, k->name);
    }
    t[3] = t[4] = sluice_monotonic_us();
    struct sluice_checkpoint_stats cst = { 0 };
    if (!rc) {
        sluice_checkpoint_crash_point("sink", batch_id);
        advance_watermarks(q);
        if (q->ckpt) rc = sluice_checkpoint_commit(q->ckpt, batch_id, q->no_data_pending, &cst, err);
    }
    if (!rc && !no_data) {
        rc = src->plugin->commit(src->state, end, err);
        if (rc) {
            sluice_error_stage(err, src->name);
        } else {
            free(q->committed);
            q->committed = sluice_xstrdup(end);
        }
    }
    if (rc) {
        free(start);
        return rc;
    }
    q->next_batch_id++;
    q->rows_total += rows;
    t[5] = sluice_monotonic_us();

    int64_t malformed = sluice_ctx_malformed(&src->ctx) - malformed0;
    sluice_log(SLUICE_LOG_INFO, src->name,
               "batch %lld%s: %zu units, %lld rows to sinks, %lld malformed, %.1f ms, offset %s",
               (long long)batch_id, no_data ? " (no data)" : "", n_units, (long long)rows, (long long)malformed,
               (t[5] - t[0]) / 1000.0, end);
    record_progress(g, q, batch_id, start, end, wall0, t, watermark, &et, input_rows, rows, malformed,
                    q->ckpt ? &cst : NULL);
    free(start);
    return SLUICE_OK;
}

/* ---- the trigger loop --------------------------------------------------- */

/* Ids and descriptions for progress, and with runtime.checkpoint the
 * query's checkpoint: restored state and watermarks, and where to resume. */
static int start_query(struct sluice_graph *g, struct query *q, size_t n_queries, struct sluice_error *err)
{
    struct sluice_buf desc = { 0 };
    sluice_buf_printf(&desc, "%s[%s]", q->source->plugin_name ? q->source->plugin_name : "?", q->source->name);
    q->source_desc = desc.data;
    desc = (struct sluice_buf){ 0 };
    for (size_t i = 0; i < q->n_sinks; i++)
        sluice_buf_printf(&desc, "%s%s[%s]", i ? ", " : "", q->sinks[i]->plugin_name, q->sinks[i]->name);
    q->sink_desc = desc.data;
    q->state_progress = sluice_xcalloc(q->n_aggs ? q->n_aggs : 1, sizeof *q->state_progress);
    sluice_checkpoint_uuid(q->id);
    sluice_checkpoint_uuid(q->run_id);
    if (!g->runtime.checkpoint) return SLUICE_OK;
    int rc = sluice_checkpoint_open(g, q->source, q->aggs, q->n_aggs, n_queries > 1, &q->ckpt, err);
    if (rc) return rc;
    const struct sluice_checkpoint_resume *r = sluice_checkpoint_resume(q->ckpt);
    memcpy(q->id, sluice_checkpoint_query_id(q->ckpt), sizeof q->id);
    q->next_batch_id = r->next_batch;
    q->committed = r->committed ? sluice_xstrdup(r->committed) : NULL;
    q->no_data_pending = r->no_data_next;
    return SLUICE_OK;
}

/* Sleep until `deadline` (monotonic µs); a stop request ends it at once
 * through the wake pipe (slices of 50 ms cover a run without one). */
static void sleep_until(int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - sluice_monotonic_us();
        if (left <= 0 || atomic_load(&stop_requested)) return;
        if (left > 50000) left = 50000;
        if (wake_pipe[0] >= 0) {
            struct pollfd pfd = { wake_pipe[0], POLLIN, 0 };
            poll(&pfd, 1, (int)((left + 999) / 1000));
        } else {
            struct timespec ts = { left / 1000000, (left % 1000000) * 1000 };
            nanosleep(&ts, NULL);
        }
    }
}

/* Nothing new on a "0 seconds" trigger: block in the source's wait() when
 * there is one source that has it, else look again after IDLE_POLL_US. */
static int idle(struct query *queries, size_t n_queries, int64_t started, struct sluice_error *err)
{
    const struct sluice_plugin *p = n_queries == 1 ? queries[0].source->plugin : NULL;
    if (!p || p->size < offsetof(struct sluice_plugin, wait) + sizeof p->wait || !p->wait) {
        sleep_until(started + IDLE_POLL_US);
        return SLUICE_OK;
    }
    int rc = p->wait(queries[0].source->state, IDLE_WAIT_US, wake_pipe[0], err);
    if (rc) sluice_error_stage(err, queries[0].source->name);
    return rc;
}

/* Ask the source for its next end offset; true when there is new data. */
static int next_offset(struct query *q, bool limited, struct sluice_buf *out, struct sluice_error *err)
{
    struct sluice_stage *src = q->source;
    sluice_buf_clear(out);
    int rc = src->plugin->latest_offset(src->state, q->committed, limited, out, err);
    if (rc) sluice_error_stage(err, src->name);
    return rc;
}

static bool has_new_data(const struct query *q, const struct sluice_buf *latest)
{
    if (!latest->len) return false;
    return !q->committed || strcmp(q->committed, latest->data) != 0;
}

int sluice_engine_run(struct sluice_graph *g, const struct sluice_run_opts *opts, struct sluice_error *err)
{
    struct sigaction sa = { 0 }, old_int, old_term;
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    atomic_store(&stop_requested, 0);
    if (wake_pipe[0] < 0 && pipe2(wake_pipe, O_NONBLOCK | O_CLOEXEC) != 0) wake_pipe[0] = wake_pipe[1] = -1;
    for (char drain[64]; wake_pipe[0] >= 0 && read(wake_pipe[0], drain, sizeof drain) > 0;) {
    }

    size_t n_queries = 0;
    struct query *queries = sluice_xcalloc(g->n_stages, sizeof *queries);
    for (size_t i = 0; i < g->n_stages; i++) {
        if (g->stages[i].kind != SLUICE_STAGE_SOURCE || !g->stages[i].feeds_sink) continue;
        struct query *q = &queries[n_queries++];
        q->source = &g->stages[i];
        collect_sinks(q, q->source);
    }

    const struct sluice_trigger *trig = &g->runtime.trigger;
    struct sluice_buf latest = { 0 };
    int rc = g->runtime.progress_log ? sluice_progress_log_open(g->runtime.progress_log, err) : SLUICE_OK;
    int64_t batches = 0;
    for (size_t i = 0; i < n_queries && !rc; i++) rc = start_query(g, &queries[i], n_queries, err);

    /* available_now processes what exists at start: record where that ends. */
    if (trig->kind == SLUICE_TRIGGER_AVAILABLE_NOW) {
        for (size_t i = 0; i < n_queries && !rc; i++) {
            rc = next_offset(&queries[i], false, &latest, err);
            if (!rc && latest.len) queries[i].target = sluice_xstrdup(latest.data);
        }
    }
    /* A batch planned before a crash runs first, exactly as planned;
     * Trigger.Once then stops, as Spark's does after a recovered batch. */
    bool replayed = false;
    for (size_t i = 0; i < n_queries && !rc; i++) {
        const struct sluice_checkpoint_resume *r = queries[i].ckpt ? sluice_checkpoint_resume(queries[i].ckpt) : NULL;
        if (!r || !r->replay_end) continue;
        char *end = sluice_xstrdup(r->replay_end);
        bool no_data = queries[i].committed && strcmp(end, queries[i].committed) == 0;
        rc = run_batch(g, &queries[i], end, no_data, err);
        free(end);
        batches++;
        replayed = true;
    }
    if (replayed && trig->kind == SLUICE_TRIGGER_ONCE) atomic_store(&stop_requested, 1);

    while (!rc && !atomic_load(&stop_requested)) {
        int64_t started = sluice_monotonic_us();
        bool ran = false, pending = false;
        for (size_t i = 0; i < n_queries && !rc && !atomic_load(&stop_requested); i++) {
            struct query *q = &queries[i];
            bool at_target = trig->kind == SLUICE_TRIGGER_AVAILABLE_NOW &&
                             (!q->target || (q->committed && strcmp(q->committed, q->target) == 0));
            if (at_target && !q->no_data_pending) continue;
            /* Trigger.Once takes everything available in one batch, ignoring
             * per-trigger limits, as Spark does. */
            bool fresh = false;
            if (!at_target) {
                int64_t asked = sluice_monotonic_us();
                rc = next_offset(q, trig->kind != SLUICE_TRIGGER_ONCE, &latest, err);
                q->latest_us = sluice_monotonic_us() - asked;
                if (rc) continue;
                fresh = has_new_data(q, &latest);
            }
            /* New data first, as Spark's MicroBatchExecution does; a no-data
             * batch only when none waits. Trigger.Once runs one batch. */
            bool no_data = !fresh && q->no_data_pending && trig->kind != SLUICE_TRIGGER_ONCE;
            if (!fresh && !no_data) continue;
            rc = run_batch(g, q, no_data ? q->committed : latest.data, no_data, err);
            ran = !rc;
            batches++;
            if (trig->kind == SLUICE_TRIGGER_AVAILABLE_NOW && !rc &&
                ((q->target && strcmp(q->committed, q->target) != 0) || q->no_data_pending))
                pending = true;
        }
        if (rc) break;
        if (opts && opts->max_batches && batches >= opts->max_batches) break;
        if (trig->kind == SLUICE_TRIGGER_ONCE) break;
        if (trig->kind == SLUICE_TRIGGER_AVAILABLE_NOW && !pending) break;
        if (trig->kind == SLUICE_TRIGGER_INTERVAL) {
            /* Spark's ProcessingTimeExecutor: the next batch starts at the
             * next multiple of the interval; an overrun starts it at once. */
            if (trig->interval_us > 0)
                sleep_until(started + trig->interval_us);
            else if (!ran)
                rc = idle(queries, n_queries, started, err);
        }
    }

    sluice_status_line_clear();
    sluice_progress_log_close();
    int64_t malformed = 0;
    for (size_t i = 0; i < n_queries; i++) {
        malformed += sluice_ctx_malformed(&queries[i].source->ctx);
        sluice_checkpoint_close(queries[i].ckpt);
        free(queries[i].committed);
        free(queries[i].target);
        free(queries[i].sinks);
        free(queries[i].aggs);
        free(queries[i].marks);
        free(queries[i].source_desc);
        free(queries[i].sink_desc);
        free(queries[i].state_progress);
    }
    if (malformed)
        sluice_log(SLUICE_LOG_WARN, NULL, "%lld malformed input lines were read", (long long)malformed);
    free(queries);
    sluice_buf_free(&latest);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    return rc;
}
