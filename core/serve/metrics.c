/* GET /metrics in Prometheus' text format. See metrics.h. */
#include "metrics.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "graph.h"
#include "mem.h"
#include "progress.h"
#include "watermark.h"

/* The totals copied out under the progress lock, so formatting holds none. */
struct copy {
    struct sluice_progress_totals *t;
    size_t n;
};

static void take(void *arg, const struct sluice_progress_totals *t)
{
    struct copy *c = arg;
    c->t = sluice_xrealloc(c->t, (c->n + 1) * sizeof *c->t);
    struct sluice_progress_totals *d = &c->t[c->n++];
    *d = *t;
    d->query = sluice_xstrdup(t->query);
    d->source = sluice_xstrdup(t->source);
    d->state = sluice_xcalloc(t->n_state ? t->n_state : 1, sizeof *d->state);
    for (size_t k = 0; k < t->n_state; k++) {
        d->state[k] = t->state[k];
        d->state[k].stage = sluice_xstrdup(t->state[k].stage);
    }
}

/* A label value: backslash, double quote and line feed escaped. */
static void label(struct sluice_buf *out, const char *name, const char *value, bool first)
{
    sluice_buf_printf(out, "%s%s=\"", first ? "" : ",", name);
    for (const char *p = value; *p; p++) {
        if (*p == '\\' || *p == '"') sluice_buf_putc(out, '\\');
        if (*p == '\n') {
            sluice_buf_puts(out, "\\n");
            continue;
        }
        sluice_buf_putc(out, *p);
    }
    sluice_buf_putc(out, '"');
}

static void family(struct sluice_buf *out, const char *name, const char *type, const char *help)
{
    sluice_buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void query_labels(struct sluice_buf *out, const struct sluice_progress_totals *t)
{
    label(out, "query", t->query, true);
    label(out, "source", t->source, false);
}

/* One sample per query of an integer field. */
static void per_query(struct sluice_buf *out, const struct copy *c, const char *name, const char *type,
                      const char *help, size_t field)
{
    family(out, name, type, help);
    for (size_t i = 0; i < c->n; i++) {
        sluice_buf_printf(out, "%s{", name);
        query_labels(out, &c->t[i]);
        sluice_buf_printf(out, "} %lld\n", (long long)*(const int64_t *)((const char *)&c->t[i] + field));
    }
}

static void seconds(struct sluice_buf *out, int64_t us)
{
    sluice_buf_printf(out, "%lld.%06lld\n", (long long)(us / 1000000), (long long)llabs(us % 1000000));
}

static void histogram(struct sluice_buf *out, const struct copy *c)
{
    const char *name = "sluice_batch_duration_seconds";
    family(out, name, "histogram", "Time a micro-batch took, from asking for offsets to its commit.");
    for (size_t i = 0; i < c->n; i++) {
        const struct sluice_progress_totals *t = &c->t[i];
        for (size_t k = 0; k < SLUICE_PROGRESS_BUCKETS; k++) {
            sluice_buf_printf(out, "%s_bucket{", name);
            query_labels(out, t);
            sluice_buf_printf(out, ",le=\"%g\"} %lld\n", sluice_progress_buckets[k], (long long)t->duration_buckets[k]);
        }
        sluice_buf_printf(out, "%s_bucket{", name);
        query_labels(out, t);
        sluice_buf_printf(out, ",le=\"+Inf\"} %lld\n%s_sum{", (long long)t->batches, name);
        query_labels(out, t);
        sluice_buf_printf(out, "} %.6f\n%s_count{", t->duration_sum, name);
        query_labels(out, t);
        sluice_buf_printf(out, "} %lld\n", (long long)t->batches);
    }
}

/* The gauges in seconds, for the queries that have them. */
static void times(struct sluice_buf *out, const struct copy *c)
{
    family(out, "sluice_watermark_seconds", "gauge", "The event-time watermark of the last batch, seconds since the epoch.");
    for (size_t i = 0; i < c->n; i++) {
        const struct sluice_progress_totals *t = &c->t[i];
        if (!t->has_watermark || t->watermark == SLUICE_WATERMARK_NONE) continue;
        sluice_buf_puts(out, "sluice_watermark_seconds{");
        query_labels(out, t);
        sluice_buf_puts(out, "} ");
        seconds(out, t->watermark);
    }
    family(out, "sluice_event_time_max_seconds", "gauge", "The latest event time seen, seconds since the epoch.");
    for (size_t i = 0; i < c->n; i++) {
        const struct sluice_progress_totals *t = &c->t[i];
        if (!t->has_event_time) continue;
        sluice_buf_puts(out, "sluice_event_time_max_seconds{");
        query_labels(out, t);
        sluice_buf_puts(out, "} ");
        seconds(out, t->max_event_time);
    }
}

/* One sample per aggregate stage of a state field. */
static void per_state(struct sluice_buf *out, const struct copy *c, const char *name, const char *type,
                      const char *help, size_t field)
{
    family(out, name, type, help);
    for (size_t i = 0; i < c->n; i++)
        for (size_t k = 0; k < c->t[i].n_state; k++) {
            sluice_buf_printf(out, "%s{", name);
            label(out, "query", c->t[i].query, true);
            label(out, "stage", c->t[i].state[k].stage, false);
            sluice_buf_printf(out, "} %lld\n",
                              (long long)*(const int64_t *)((const char *)&c->t[i].state[k] + field));
        }
}

void sluice_metrics_format(const struct sluice_graph *g, struct sluice_buf *out)
{
    struct copy c = { 0 };
    sluice_progress_totals(g->progress, take, &c);
    per_query(out, &c, "sluice_input_rows_total", "counter", "Rows the query's source produced.",
              offsetof(struct sluice_progress_totals, input_rows));
    per_query(out, &c, "sluice_output_rows_total", "counter", "Rows handed to the query's sinks.",
              offsetof(struct sluice_progress_totals, output_rows));
    per_query(out, &c, "sluice_malformed_rows_total", "counter", "Malformed input lines the source met.",
              offsetof(struct sluice_progress_totals, malformed_rows));
    per_query(out, &c, "sluice_invalid_utf8_total", "counter",
              "Invalid UTF-8 sequences in the source's input, replaced with U+FFFD.",
              offsetof(struct sluice_progress_totals, invalid_utf8));
    per_query(out, &c, "sluice_batches_total", "counter", "Micro-batches committed.",
              offsetof(struct sluice_progress_totals, batches));
    per_query(out, &c, "sluice_last_batch_id", "gauge", "The id of the last committed micro-batch.",
              offsetof(struct sluice_progress_totals, last_batch_id));
    histogram(out, &c);
    times(out, &c);
    per_state(out, &c, "sluice_state_rows", "gauge", "Groups an aggregate stage holds.",
              offsetof(struct sluice_progress_state_totals, rows));
    per_state(out, &c, "sluice_state_bytes", "gauge", "Memory an aggregate stage's state holds.",
              offsetof(struct sluice_progress_state_totals, bytes));
    per_state(out, &c, "sluice_late_rows_total", "counter", "Input rows an aggregate stage dropped as late.",
              offsetof(struct sluice_progress_state_totals, late_rows));
    per_state(out, &c, "sluice_evicted_rows_total", "counter", "Groups the watermark evicted from the state.",
              offsetof(struct sluice_progress_state_totals, evicted_rows));
    family(out, "sluice_stage_rows_total", "counter", "Rows a stage put out (a sink: rows it was given).");
    for (size_t i = 0; i < g->n_stages; i++) {
        const struct sluice_stage *st = &g->stages[i];
        if (!st->feeds_sink) continue;
        sluice_buf_puts(out, "sluice_stage_rows_total{");
        label(out, "query", g->name, true);
        label(out, "stage", st->name, false);
        sluice_buf_printf(out, "} %lld\n",
                          (long long)atomic_load_explicit(&((struct sluice_stage *)st)->rows_out, memory_order_relaxed));
    }
    for (size_t i = 0; i < c.n; i++) {
        free(c.t[i].query);
        free(c.t[i].source);
        for (size_t k = 0; k < c.t[i].n_state; k++) free(c.t[i].state[k].stage);
        free(c.t[i].state);
    }
    free(c.t);
}
