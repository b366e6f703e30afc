/* One micro-batch of a query. Data path, top to bottom:
 *   offsets planned (checkpoint) -> source.plan_read -> sink.begin
 *   -> units on the run's workers: source.read -> transforms -> a unit's
 *      sink batches and partial aggregation states (unit.h)
 *   -> main thread, in unit order: partials merged, sink.write
 *   -> each aggregate stage emits by its output mode, down to its sinks
 *   -> sink.end -> watermarks advance -> state and commit (checkpoint)
 *   -> source.commit -> progress record.
 * Workers run ahead of the sinks by a bounded window of units, so memory
 * stays bounded and sinks see rows in the order the source planned them.
 * See query.h. */
#include "query.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "agg_stage.h"
#include "changelog.h"
#include "checkpoint.h"
#include "clock.h"
#include "engine.h"
#include "expr.h"
#include "error.h"
#include "failpoint.h"
#include "graph.h"
#include "keyed.h"
#include "log.h"
#include "mem.h"
#include "offsets.h"
#include "retry.h"
#include "stage.h"
#include "unit.h"
#include "watermark.h"
#include "worker_pool.h"

/* ---- the units of a batch, on the workers ------------------------------- */

/* Where unit i of a batch comes from: a source and its own unit index. */
struct unit_origin {
    struct sluice_stage *source;
    size_t index;
};

struct unit_queue {
    const struct unit_origin *origin; /* per unit */
    int64_t batch_time_us;  /* current_timestamp() on the workers */
    const struct sluice_retry_policy *retry;
    struct sluice_unit *units;
    size_t n_units;
    size_t window;          /* units a worker may run ahead of the writer */
    pthread_mutex_t lock;
    pthread_cond_t changed;
    size_t next_read;       /* next unit to hand to a worker */
    size_t next_write;      /* next unit the main thread writes */
    bool failed;
};

static void read_units(void *arg)
{
    struct unit_queue *uq = arg;
    sluice_expr_set_batch_time(uq->batch_time_us);
    pthread_mutex_lock(&uq->lock);
    for (;;) {
        while (!uq->failed && uq->next_read < uq->n_units && uq->next_read >= uq->next_write + uq->window)
            pthread_cond_wait(&uq->changed, &uq->lock);
        if (uq->failed || uq->next_read >= uq->n_units) break;
        size_t i = uq->next_read++;
        pthread_mutex_unlock(&uq->lock);
        sluice_unit_read(&uq->units[i], uq->origin[i].source, uq->origin[i].index, uq->retry);
        pthread_mutex_lock(&uq->lock);
        uq->units[i].done = true;
        if (uq->units[i].status) uq->failed = true;
        pthread_cond_broadcast(&uq->changed);
    }
    pthread_mutex_unlock(&uq->lock);
}

/* What the units added up to, for the progress record. */
struct units_done {
    int64_t input_rows;
    int64_t sink_rows;
    struct sluice_progress_event_time event_time;
    struct sluice_progress_work work;
};

static void work_add(struct sluice_progress_work *into, const struct sluice_progress_work *w)
{
    into->read_us += w->read_us;
    into->transform_us += w->transform_us;
    into->aggregate_us += w->aggregate_us;
    into->sink_us += w->sink_us;
}

/* Read every unit (on the pool's workers when there is more than one unit
 * and more than one worker) and write them in order. */
static int run_units(struct sluice_query *q, const struct unit_origin *origin, size_t n_units, int64_t batch_id,
                     struct units_done *done, struct sluice_error *err)
{
    struct unit_queue uq = { .origin = origin, .retry = &q->retry, .n_units = n_units,
                             .batch_time_us = q->batch_time_us };
    uq.units = sluice_xcalloc(n_units ? n_units : 1, sizeof *uq.units);
    size_t workers = q->pool ? sluice_worker_pool_size(q->pool) : 0;
    /* One unit needs no thread: run it here and skip the hand-offs. */
    bool parallel = workers > 1 && n_units > 1;
    uq.window = parallel ? 2 * workers : n_units;
    pthread_mutex_init(&uq.lock, NULL);
    pthread_cond_init(&uq.changed, NULL);
    if (parallel) sluice_worker_pool_start(q->pool, read_units, &uq);

    int rc = SLUICE_OK;
    for (size_t i = 0; i < n_units && rc == SLUICE_OK; i++) {
        struct sluice_unit *u = &uq.units[i];
        if (!parallel) {
            sluice_unit_read(u, origin[i].source, origin[i].index, &q->retry);
        } else {
            pthread_mutex_lock(&uq.lock);
            while (!u->done) pthread_cond_wait(&uq.changed, &uq.lock);
            pthread_mutex_unlock(&uq.lock);
        }
        q->source_retries += u->retries;
        if (u->status) {
            rc = u->status;
            *err = u->err;
        }
        /* The offsets were written while the first unit was read: no sink
         * sees a row before they are durable. */
        if (!rc && q->ckpt) rc = sluice_checkpoint_planned(q->ckpt, err);
        if (!rc) {
            done->input_rows += u->input_rows;
            sluice_progress_event_time_merge(&done->event_time, &u->event_time);
            rc = sluice_unit_write(u, batch_id, &done->sink_rows, &q->retry, &q->sink_retries, err);
            work_add(&done->work, &u->work);
        }
        sluice_unit_clear(u);
        if (parallel) {
            pthread_mutex_lock(&uq.lock);
            uq.next_write = i + 1;
            if (rc) uq.failed = true;
            pthread_cond_broadcast(&uq.changed);
            pthread_mutex_unlock(&uq.lock);
        }
    }
    if (parallel) sluice_worker_pool_join(q->pool);
    for (size_t i = 0; i < n_units; i++) sluice_unit_clear(&uq.units[i]);
    free(uq.units);
    pthread_mutex_destroy(&uq.lock);
    pthread_cond_destroy(&uq.changed);
    return rc;
}

/* ---- after the units ------------------------------------------------------ */

/* Each aggregate stage's result for this batch (by its output mode; in
 * append and update modes it also evicts what the watermark closed) goes
 * down the stages below it, here on the main thread, through a unit of its
 * own. This runs in no-data batches too. */
static int emit_aggregations(struct sluice_query *q, int64_t batch_id, struct units_done *done,
                             struct sluice_error *err)
{
    int rc = q->ckpt && q->n_aggs ? sluice_checkpoint_planned(q->ckpt, err) : SLUICE_OK;
    if (rc) return rc;
    for (size_t i = 0; i < q->n_aggs && !rc; i++) {
        struct sluice_stage *a = q->aggs[i];
        struct sluice_agg_cursor cur = { 0 };
        /* Piece by piece: a sink that keeps nothing (or only what it shows)
         * never holds a million groups' rows at once. */
        for (bool more = true; more && !rc;) {
            struct sluice_batch out;
            struct sluice_unit u = { 0 };
            int64_t t0 = sluice_monotonic_us();
            rc = sluice_agg_stage_emit(a->agg, batch_id, &cur, &out, &more, err);
            u.work.aggregate_us = sluice_monotonic_us() - t0;
            if (rc) {
                sluice_error_stage(err, a->name);
                break;
            }
            rc = sluice_unit_push(&u, a, &out, err);
            if (!rc) rc = sluice_unit_write(&u, batch_id, &done->sink_rows, &q->retry, &q->sink_retries, err);
            work_add(&done->work, &u.work);
            sluice_unit_clear(&u);
        }
    }
    return rc;
}

/* Rows a keyed operator lets go as the batch starts (a join's outer rows)
 * go down the stages below it, on the main thread, through a unit of
 * their own, as an aggregation's result does. */
struct evicting {
    struct sluice_query *q;
    int64_t batch_id;
    struct units_done *done;
};

static int emit_evicted(void *arg, struct sluice_stage *st, struct sluice_batch *b, struct sluice_error *err)
{
    struct evicting *e = arg;
    struct sluice_query *q = e->q;
    int rc = q->ckpt ? sluice_checkpoint_planned(q->ckpt, err) : SLUICE_OK;
    struct sluice_unit u = { 0 };
    if (!rc) rc = sluice_unit_push(&u, st, b, err);
    else sluice_batch_release(b);
    if (!rc) rc = sluice_unit_write(&u, e->batch_id, &e->done->sink_rows, &q->retry, &q->sink_retries, err);
    work_add(&e->done->work, &u.work);
    sluice_unit_clear(&u);
    return rc;
}

static int evict_keyed(struct sluice_query *q, int64_t batch_id, struct units_done *done, struct sluice_error *err)
{
    struct evicting e = { q, batch_id, done };
    int rc = SLUICE_OK;
    for (size_t i = 0; i < q->n_keyed && !rc; i++) rc = sluice_keyed_evict(q->keyed[i], emit_evicted, &e, err);
    return rc;
}

/* After a batch commits: each watermark declaration moves forward from the
 * event times it saw, and each aggregation takes the watermark its next
 * batch runs with (Spark applies a new watermark from the next batch on).
 * When one moved in append or update mode, Spark runs a batch without new
 * data next, so what the new watermark closes comes out now. */
static void advance_watermarks(struct sluice_query *q)
{
    for (size_t i = 0; i < q->n_marks; i++) sluice_watermark_tracker_advance(&q->marks[i]->watermark.tracker);
    q->no_data_pending = false;
    for (size_t i = 0; i < q->n_aggs; i++) q->no_data_pending |= sluice_agg_stage_advance(q->aggs[i]->agg);
    for (size_t i = 0; i < q->n_keyed; i++) q->no_data_pending |= sluice_keyed_advance(q->keyed[i]);
}

void sluice_query_advance_idle(struct sluice_query *q)
{
    bool by_producer = false;
    for (size_t i = 0; i < q->n_marks && !by_producer; i++) by_producer = q->marks[i]->watermark.tracker.lock != NULL;
    if (by_producer && !q->no_data_pending) advance_watermarks(q);
}

/* When each phase of a batch ended (monotonic µs): Spark's durationMs. */
struct phases {
    int64_t start;
    int64_t offsets_written; /* walCommit */
    int64_t planned;         /* getBatch */
    int64_t added;           /* addBatch: every sink ended */
    int64_t done;            /* commitOffsets: state, commit and the source's commit */
};

/* What the batch did, for its progress record (Spark's StreamingQueryProgress). */
struct batch_facts {
    int64_t batch_id;
    const char *start, *end; /* offsets */
    int64_t wall_start;
    struct phases at;
    int64_t watermark;       /* the batch ran with */
    struct units_done units;
    int64_t malformed;
    int64_t invalid_utf8;
    const struct sluice_checkpoint_stats *ckpt;
};

static void record_progress(struct sluice_query *q, const struct batch_facts *f)
{
    for (size_t i = 0; i < q->n_aggs; i++) {
        sluice_agg_stage_report(q->aggs[i], f->batch_id, &q->state_progress[i]);
        q->state_progress[i].commit_us = f->ckpt && f->ckpt->state_us ? f->ckpt->state_us[i] : 0;
    }
    for (size_t i = 0; i < q->n_keyed; i++) sluice_keyed_report(q->keyed[i], f->batch_id, &q->state_progress[q->n_aggs + i]);
    struct sluice_progress_batch b = {
        .query = q->graph->name, .source = q->source_desc, .batch_id = f->batch_id,
        .group = q->graph->runtime.group, .member = q->graph->runtime.member,
        .duration_us = f->at.done - f->at.start + q->latest_us, .sink_rows = f->units.sink_rows,
        .malformed = f->malformed, .invalid_utf8 = f->invalid_utf8, .end_offset = f->end, .id = q->id, .run_id = q->run_id,
        .start_wall_us = f->wall_start, .input_rows = f->units.input_rows, .start_offset = f->start,
        .since_previous_us = q->last_start_wall ? f->wall_start - q->last_start_wall : 0, .sink = q->sink_desc,
        .latest_offset = q->target ? q->target : f->end, .latest_offset_us = q->latest_us,
        .wal_commit_us = f->at.offsets_written - f->at.start, .get_batch_us = f->at.planned - f->at.offsets_written,
        .add_batch_us = f->at.added - f->at.planned, .commit_us = f->at.done - f->at.added, .work = f->units.work,
        .has_watermark = q->n_marks > 0, .watermark = f->watermark, .event_time = f->units.event_time,
        .state = q->state_progress, .n_state = q->n_aggs + q->n_keyed,
        .source_retries = q->source_retries, .sink_retries = q->sink_retries };
    q->source_retries = q->sink_retries = 0;
    sluice_progress_record(q->graph->progress, &b);
    if (q->observer && q->observer->batch_committed) q->observer->batch_committed(q->observer->arg, &b);
    q->last_start_wall = f->wall_start;
}

/* ---- one batch ------------------------------------------------------------ */

static int begin_sinks(struct sluice_query *q, int64_t batch_id, struct sluice_error *err)
{
    for (size_t i = 0; i < q->n_sinks; i++) {
        struct sluice_stage *k = q->sinks[i];
        int rc;
        for (int attempt = 1;; attempt++) {
            rc = k->plugin->begin(k->state, batch_id, k->mode, err);
            if (!sluice_retry_again(&q->retry, rc, attempt, k->name, "begin", err)) break;
            q->sink_retries++;
        }
        if (rc) return sluice_error_stage(err, k->name), rc;
    }
    return SLUICE_OK;
}

static int end_sinks(struct sluice_query *q, int64_t batch_id, struct sluice_error *err)
{
    for (size_t i = 0; i < q->n_sinks; i++) {
        struct sluice_stage *k = q->sinks[i];
        int rc;
        for (int attempt = 1;; attempt++) {
            rc = k->plugin->end(k->state, batch_id, err);
            if (!sluice_retry_again(&q->retry, rc, attempt, k->name, "end", err)) break;
            q->sink_retries++;
        }
        if (rc) return sluice_error_stage(err, k->name), rc;
    }
    return SLUICE_OK;
}

/* One source's plan_read over (start, end], retried as the policy says. */
static int plan_source(struct sluice_query *q, struct sluice_stage *src, const char *start, const char *end,
                       size_t *n_units, struct sluice_error *err)
{
    int rc;
    for (int attempt = 1;; attempt++) {
        rc = src->plugin->plan_read(src->state, start, end, n_units, err);
        if (!sluice_retry_again(&q->retry, rc, attempt, src->name, "plan_read", err)) break;
        q->source_retries++;
    }
    if (rc) sluice_error_stage(err, src->name);
    return rc;
}

/* One source's optional commit, retried as the policy says. */
static int commit_one(struct sluice_query *q, struct sluice_stage *src, const char *end, struct sluice_error *err)
{
    if (!src->plugin->commit) return SLUICE_OK;
    int rc;
    for (int attempt = 1;; attempt++) {
        rc = src->plugin->commit(src->state, end, err);
        if (!sluice_retry_again(&q->retry, rc, attempt, src->name, "commit", err)) break;
        q->source_retries++;
    }
    if (rc) sluice_error_stage(err, src->name);
    return rc;
}

/* The batch's range per source: from[i] to to[i] (offsets.h), and
 * whether source i has new data in it. */
struct ranges {
    char **from, **to;
    bool *moved;
};

static int split_ranges(struct sluice_query *q, const char *end, struct ranges *r, struct sluice_error *err)
{
    size_t n = q->n_sources;
    r->from = sluice_xcalloc(n, sizeof *r->from);
    r->to = sluice_xcalloc(n, sizeof *r->to);
    r->moved = sluice_xcalloc(n, sizeof *r->moved);
    if (n == 1) {
        r->from[0] = q->committed ? sluice_xstrdup(q->committed) : NULL;
        r->to[0] = sluice_xstrdup(end);
    } else {
        int rc = sluice_offsets_split(q->committed, q->sources, n, r->from, err);
        if (!rc) rc = sluice_offsets_split(end, q->sources, n, r->to, err);
        if (rc) return rc;
    }
    for (size_t i = 0; i < n; i++)
        r->moved[i] = r->to[i] && (!r->from[i] || strcmp(r->from[i], r->to[i]) != 0);
    return SLUICE_OK;
}

static void free_ranges(const struct sluice_query *q, struct ranges *r)
{
    if (r->from) sluice_offsets_free(r->from, q->n_sources);
    if (r->to) sluice_offsets_free(r->to, q->n_sources);
    free(r->from);
    free(r->to);
    free(r->moved);
}

/* Every source with new data plans its part of the batch; the units are
 * theirs one after the other, in the query's source order. */
static int plan_read(struct sluice_query *q, const struct ranges *r, struct unit_origin **origin, size_t *n_units,
                     struct sluice_error *err)
{
    *n_units = 0;
    int rc = SLUICE_OK;
    for (size_t i = 0; i < q->n_sources && !rc; i++) {
        if (!r->moved[i]) continue;
        size_t n = 0;
        rc = plan_source(q, q->sources[i], r->from[i], r->to[i], &n, err);
        if (rc || !n) continue;
        *origin = sluice_xrealloc(*origin, (*n_units + n) * sizeof **origin);
        for (size_t k = 0; k < n; k++) (*origin)[*n_units + k] = (struct unit_origin){ q->sources[i], k };
        *n_units += n;
    }
    return rc;
}

/* After the batch committed: each source that read something is told. */
static int commit_sources(struct sluice_query *q, const struct ranges *r, struct sluice_error *err)
{
    int rc = SLUICE_OK;
    for (size_t i = 0; i < q->n_sources && !rc; i++)
        if (r->moved[i]) rc = commit_one(q, q->sources[i], r->to[i], err);
    return rc;
}

static int64_t count_malformed(const struct sluice_query *q, int64_t *invalid_utf8)
{
    int64_t m = 0;
    *invalid_utf8 = 0;
    for (size_t i = 0; i < q->n_sources; i++) {
        m += sluice_ctx_malformed(&q->sources[i]->ctx);
        *invalid_utf8 += sluice_ctx_invalid_utf8(&q->sources[i]->ctx);
    }
    return m;
}

int sluice_query_run_batch(struct sluice_query *q, const char *end, bool no_data, struct sluice_error *err)
{
    struct sluice_stage *src = q->source;
    struct batch_facts f = { .batch_id = q->next_batch_id, .end = end, .watermark = SLUICE_WATERMARK_NONE };
    f.at.start = sluice_monotonic_us();
    f.wall_start = sluice_now_us() - q->latest_us;
    int64_t invalid_utf80, malformed0 = count_malformed(q, &invalid_utf80);
    for (size_t i = 0; i < q->n_aggs; i++)
        if (i == 0 || q->aggs[i]->agg->watermark < f.watermark) f.watermark = q->aggs[i]->agg->watermark;
    if (q->observer && q->observer->batch_started) q->observer->batch_started(q->observer->arg);
    char *start = q->committed ? sluice_xstrdup(q->committed) : NULL;
    f.start = start;

    /* The batch's time, what current_timestamp() gives every row of it. */
    int64_t now = sluice_now_us();
    q->batch_time_us = now - now % 1000;
    int rc = q->ckpt ? sluice_checkpoint_plan(q->ckpt, f.batch_id, q->committed, end, &q->batch_time_us, err)
                     : SLUICE_OK;
    sluice_expr_set_batch_time(q->batch_time_us);
    f.at.offsets_written = sluice_monotonic_us();
    size_t n_units = 0;
    struct unit_origin *origin = NULL;
    struct ranges ranges = { 0 };
    if (!rc && !no_data) rc = split_ranges(q, end, &ranges, err);
    if (!rc && !no_data) rc = plan_read(q, &ranges, &origin, &n_units, err);
    /* A group member restores the partitions it was given before their rows. */
    if (!rc && !no_data && q->changelog) rc = sluice_changelog_follow(q->changelog, end, err);
    f.at.planned = sluice_monotonic_us();
    if (!rc) rc = begin_sinks(q, f.batch_id, err);
    /* What the batch's watermark expired goes first, so a row is judged by
     * the same state whether or not the process restarted before it. */
    if (!rc) rc = evict_keyed(q, f.batch_id, &f.units, err);
    if (!rc) rc = run_units(q, origin, n_units, f.batch_id, &f.units, err);
    free(origin);
    if (!rc) rc = emit_aggregations(q, f.batch_id, &f.units, err);
    if (!rc) sluice_failpoint("batch", f.batch_id);
    if (!rc) rc = end_sinks(q, f.batch_id, err);
    f.at.added = sluice_monotonic_us();
    struct sluice_checkpoint_stats cst = { 0 };
    if (!rc) {
        sluice_failpoint("sink", f.batch_id);
        advance_watermarks(q);
        if (q->ckpt) rc = sluice_checkpoint_commit(q->ckpt, f.batch_id, q->no_data_pending, &cst, err);
    }
    /* The state goes to the changelog before the group may hand the offsets on. */
    if (!rc && q->changelog) rc = sluice_changelog_write(q->changelog, f.batch_id, err);
    if (!rc && !no_data) {
        rc = commit_sources(q, &ranges, err);
        if (!rc) {
            free(q->committed);
            q->committed = sluice_xstrdup(end);
            char *moved = q->changelog ? sluice_changelog_adjust(q->changelog, q->committed) : NULL;
            if (moved) {
                free(q->committed);
                q->committed = moved;
            }
        }
    }
    free_ranges(q, &ranges);
    if (rc) {
        free(start);
        return rc;
    }
    q->next_batch_id++;
    q->rows_total += f.units.sink_rows;
    f.at.done = sluice_monotonic_us();
    int64_t invalid_utf8;
    f.malformed = count_malformed(q, &invalid_utf8) - malformed0;
    f.invalid_utf8 = invalid_utf8 - invalid_utf80;
    /* Once per run, where an operator will see it; progress counts every batch. */
    if (f.invalid_utf8 && !q->told_invalid_utf8) {
        q->told_invalid_utf8 = true;
        sluice_log(SLUICE_LOG_WARN, src->name,
                   "batch %lld: %lld invalid UTF-8 sequences in the input replaced with U+FFFD "
                   "(progress counts them as numInvalidUtf8Replaced)",
                   (long long)f.batch_id, (long long)f.invalid_utf8);
    }
    f.ckpt = q->ckpt ? &cst : NULL;
    sluice_log(SLUICE_LOG_INFO, src->name, "batch %lld%s: %zu units, %lld rows to sinks, %lld malformed, %.1f ms, offset %s",
               (long long)f.batch_id, no_data ? " (no data)" : "", n_units, (long long)f.units.sink_rows,
               (long long)f.malformed, (f.at.done - f.at.start) / 1000.0, end);
    record_progress(q, &f);
    free(start);
    return SLUICE_OK;
}
