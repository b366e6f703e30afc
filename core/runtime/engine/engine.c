/* The trigger loop: when micro-batches run, for every query of the graph
 * (Spark's MicroBatchExecution and its triggers). One batch of a query is
 * query_batch.c's. A batch whose watermark moved in append or update mode
 * is followed, when no new data waits, by a batch without input (Spark's
 * no-data batch), so the windows it closed come out without waiting for
 * more rows. See engine.h. */
#include "engine.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "clock.h"
#include "error.h"
#include "log.h"
#include "mem.h"
#include "offsets.h"
#include "progress.h"
#include "query.h"
#include "retry.h"
#include "stop.h"
#include "worker_pool.h"

/* How long an idle "0 seconds" trigger waits before asking the sources
 * again; Spark's spark.sql.streaming.pollingDelay has the same default. */
#define IDLE_POLL_US 10000
/* The longest a source's wait() blocks before the loop looks again; the
 * source wakes it sooner when data may have arrived. */
#define IDLE_WAIT_US 1000000

/* Nothing new on a "0 seconds" trigger: block in the source's wait() when
 * there is one source that has it, else look again after IDLE_POLL_US. */
static int idle(struct sluice_query *queries, size_t n_queries, const struct sluice_stop *stop, int64_t started,
                struct sluice_error *err)
{
    const struct sluice_plugin *p = n_queries == 1 && queries[0].n_sources == 1 ? queries[0].source->plugin : NULL;
    if (!p || !p->wait) {
        sluice_stop_sleep_until(stop, started + IDLE_POLL_US);
        return SLUICE_OK;
    }
    int rc = p->wait(queries[0].source->state, IDLE_WAIT_US, sluice_stop_fd(stop), err);
    if (rc) sluice_error_stage(err, queries[0].source->name);
    return rc;
}

/* Ask one source for its next end offset after `committed`. */
static int source_latest(struct sluice_query *q, struct sluice_stage *src, const char *committed, bool limited,
                         struct sluice_buf *out, struct sluice_error *err)
{
    int rc;
    for (int attempt = 1;; attempt++) {
        sluice_buf_clear(out);
        rc = src->plugin->latest_offset(src->state, committed, limited, out, err);
        if (!sluice_retry_again(&q->retry, rc, attempt, src->name, "latest_offset", err)) break;
        q->source_retries++;
    }
    if (rc) sluice_error_stage(err, src->name);
    return rc;
}

/* The query's next end offset (empty: no data yet): its source's, or for
 * a query of several sources each one's, joined (offsets.h). */
static int next_offset(struct sluice_query *q, bool limited, struct sluice_buf *out, struct sluice_error *err)
{
    if (q->n_sources == 1) return source_latest(q, q->source, q->committed, limited, out, err);
    char **parts = sluice_xcalloc(q->n_sources, sizeof *parts);
    int rc = sluice_offsets_split(q->committed, q->sources, q->n_sources, parts, err);
    struct sluice_buf one = { 0 };
    bool any = false;
    for (size_t i = 0; i < q->n_sources && !rc; i++) {
        rc = source_latest(q, q->sources[i], parts[i], limited, &one, err);
        if (rc || !one.len) continue; /* nothing yet: it stays where it was */
        free(parts[i]);
        parts[i] = sluice_xstrdup(one.data);
        any = true;
    }
    sluice_buf_clear(out);
    if (!rc && (any || q->committed)) {
        char *joined = sluice_offsets_join(parts, q->sources, q->n_sources);
        sluice_buf_puts(out, joined);
        free(joined);
    }
    sluice_offsets_free(parts, q->n_sources);
    free(parts);
    sluice_buf_free(&one);
    return rc;
}

static bool has_new_data(const struct sluice_query *q, const struct sluice_buf *latest)
{
    if (!latest->len) return false;
    return !q->committed || strcmp(q->committed, latest->data) != 0;
}

int sluice_engine_run(struct sluice_graph *g, const struct sluice_run_opts *opts, struct sluice_error *err)
{
    static const struct sluice_run_opts none = { 0 };
    if (!opts) opts = &none;
    /* Without a stop of the caller's, the run ends only by itself. */
    struct sluice_stop *own_stop = opts->stop ? NULL : sluice_stop_new();
    struct sluice_stop *stop = opts->stop ? opts->stop : own_stop;
    size_t threads = g->runtime.threads > 1 ? (size_t)g->runtime.threads : 0;
    struct sluice_worker_pool *pool = threads ? sluice_worker_pool_new(threads) : NULL;

    size_t n_planned = sluice_graph_queries(g), n_queries = 0;
    for (size_t i = 0; i < g->n_stages; i++) g->stages[i].check_batches = opts->check_batches;
    struct sluice_query *queries = sluice_xcalloc(n_planned ? n_planned : 1, sizeof *queries);
    int rc = g->runtime.progress_log ? sluice_progress_log_open(g->progress, g->runtime.progress_log, err)
                                     : SLUICE_OK;
    for (size_t i = 0; i < g->n_stages && !rc; i++) {
        struct sluice_stage *st = &g->stages[i];
        if (st->kind != SLUICE_STAGE_SOURCE || !st->feeds_sink || sluice_stage_lead(st) != st) continue;
        rc = sluice_query_open(&queries[n_queries++], g, st, n_planned > 1, pool, opts->observer, stop, err);
    }

    const struct sluice_trigger *trig = &g->runtime.trigger;
    struct sluice_buf latest = { 0 };
    int64_t batches = 0;
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
        rc = sluice_query_run_batch(&queries[i], end, no_data, err);
        free(end);
        batches++;
        replayed = true;
    }
    bool stopping = replayed && trig->kind == SLUICE_TRIGGER_ONCE;

    while (!rc && !stopping && !sluice_stop_requested(stop)) {
        int64_t started = sluice_monotonic_us();
        bool ran = false, pending = false;
        for (size_t i = 0; i < n_queries && !rc && !sluice_stop_requested(stop); i++) {
            struct sluice_query *q = &queries[i];
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
            if (!fresh) sluice_query_advance_idle(q);
            bool no_data = !fresh && q->no_data_pending && trig->kind != SLUICE_TRIGGER_ONCE;
            if (!fresh && !no_data) continue;
            rc = sluice_query_run_batch(q, no_data ? q->committed : latest.data, no_data, err);
            ran = !rc;
            batches++;
            if (trig->kind == SLUICE_TRIGGER_AVAILABLE_NOW && !rc &&
                ((q->target && strcmp(q->committed, q->target) != 0) || q->no_data_pending))
                pending = true;
        }
        if (rc) break;
        if (opts->max_batches && batches >= opts->max_batches) break;
        if (trig->kind == SLUICE_TRIGGER_ONCE) break;
        if (trig->kind == SLUICE_TRIGGER_AVAILABLE_NOW && !pending) break;
        if (trig->kind == SLUICE_TRIGGER_INTERVAL) {
            /* Spark's ProcessingTimeExecutor: the next batch starts at the
             * next multiple of the interval; an overrun starts it at once. */
            if (trig->interval_us > 0)
                sluice_stop_sleep_until(stop, started + trig->interval_us);
            else if (!ran)
                rc = idle(queries, n_queries, stop, started, err);
        }
    }

    if (opts->observer && opts->observer->run_ended) opts->observer->run_ended(opts->observer->arg);
    sluice_progress_log_close(g->progress);
    int64_t malformed = 0, invalid_utf8 = 0;
    for (size_t i = 0; i < n_queries; i++) {
        for (size_t k = 0; k < queries[i].n_sources; k++) {
            malformed += sluice_ctx_malformed(&queries[i].sources[k]->ctx);
            invalid_utf8 += sluice_ctx_invalid_utf8(&queries[i].sources[k]->ctx);
        }
        sluice_query_close(&queries[i]);
    }
    if (malformed)
        sluice_log(SLUICE_LOG_WARN, NULL, "%lld malformed input lines were read", (long long)malformed);
    if (invalid_utf8)
        sluice_log(SLUICE_LOG_WARN, NULL, "%lld invalid UTF-8 sequences in the input were replaced with U+FFFD",
                   (long long)invalid_utf8);
    free(queries);
    sluice_buf_free(&latest);
    sluice_worker_pool_free(pool);
    sluice_stop_free(own_stop);
    return rc;
}
