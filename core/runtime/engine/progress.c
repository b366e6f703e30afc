/* Progress records: formatting, the ring, the progress log. See progress.h. */
#include "progress.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "error.h"
#include "log.h"
#include "mem.h"
#include "timefmt.h"
#include "watermark.h"

#include <sluice/types.h>

struct sluice_progress {
    pthread_mutex_t lock;
    char *ring[SLUICE_PROGRESS_KEEP];
    size_t head; /* the next slot to write */
    size_t count;
    int log_fd;  /* runtime.progress_log, or -1 */
    struct sluice_progress_totals *totals; /* per query (source), for /metrics */
    size_t n_totals;
};

/* The histogram's bucket bounds, seconds (Prometheus' le). */
const double sluice_progress_buckets[SLUICE_PROGRESS_BUCKETS] = { 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30 };

/* ---- event time ---------------------------------------------------------- */

void sluice_progress_event_time_observe(struct sluice_progress_event_time *s, const struct ArrowArray *a, int64_t n)
{
    const int64_t *v = (const int64_t *)a->buffers[1] + a->offset;
    const uint8_t *valid = a->null_count != 0 ? a->buffers[0] : NULL;
    for (int64_t i = 0; i < n; i++) {
        if (valid && !sluice_bit_get(valid, a->offset + i)) continue;
        if (!s->count || v[i] < s->min) s->min = v[i];
        if (!s->count || v[i] > s->max) s->max = v[i];
        s->sum += v[i];
        s->count++;
    }
}

void sluice_progress_event_time_merge(struct sluice_progress_event_time *into,
                                      const struct sluice_progress_event_time *from)
{
    if (!from->count) return;
    if (!into->count || from->min < into->min) into->min = from->min;
    if (!into->count || from->max > into->max) into->max = from->max;
    into->sum += from->sum;
    into->count += from->count;
}

/* ---- formatting ---------------------------------------------------------- */

static json_t *iso(int64_t us)
{
    char ts[40];
    sluice_time_format_iso(us, ts);
    return json_string(ts);
}

static json_t *ms(int64_t us)
{
    return json_integer(us / 1000);
}

/* A source's offset is JSON text by contract; one that is not is kept as
 * a string rather than corrupting the document. */
static json_t *offset(const char *text)
{
    if (!text) return json_null();
    json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
    return j ? j : json_string(text);
}

/* rows per second, to the thousandth; NULL (left out) when no time passed. */
static json_t *rate(int64_t rows, int64_t us)
{
    if (us <= 0) return NULL;
    return json_real(round((double)rows * 1e6 / (double)us * 1000.0) / 1000.0);
}

static void set_opt(json_t *o, const char *key, json_t *v)
{
    if (v) json_object_set_new(o, key, v);
}

void sluice_progress_format(const struct sluice_progress_batch *b, struct sluice_buf *out)
{
    json_t *r = json_object();
    if (b->id) json_object_set_new(r, "id", json_string(b->id));
    if (b->run_id) json_object_set_new(r, "runId", json_string(b->run_id));
    json_object_set_new(r, "name", json_string(b->query ? b->query : ""));
    /* A member of a group: its partitions are its source's endOffset. */
    if (b->group) {
        json_object_set_new(r, "group", json_string(b->group));
        json_object_set_new(r, "member", json_string(b->member ? b->member : ""));
    }
    json_object_set_new(r, "timestamp", iso(b->start_wall_us ? b->start_wall_us : sluice_now_us() - b->duration_us));
    json_object_set_new(r, "batchId", json_integer(b->batch_id));
    json_object_set_new(r, "numInputRows", json_integer(b->input_rows));
    /* Spark: rows over the time since the previous trigger (0 for the
     * first), and over this trigger's own duration. */
    json_object_set_new(r, "inputRowsPerSecond", b->since_previous_us > 0 ? rate(b->input_rows, b->since_previous_us)
                                                                           : json_real(0.0));
    set_opt(r, "processedRowsPerSecond", rate(b->input_rows, b->duration_us));

    json_t *d = json_object();
    json_object_set_new(d, "latestOffset", ms(b->latest_offset_us));
    json_object_set_new(d, "getBatch", ms(b->get_batch_us));
    json_object_set_new(d, "walCommit", ms(b->wal_commit_us));
    json_object_set_new(d, "addBatch", ms(b->add_batch_us));
    json_object_set_new(d, "commitOffsets", ms(b->commit_us));
    json_object_set_new(d, "triggerExecution", ms(b->duration_us));
    json_object_set_new(r, "durationMs", d);

    json_t *w = json_object();
    json_object_set_new(w, "read", ms(b->work.read_us));
    json_object_set_new(w, "transform", ms(b->work.transform_us));
    json_object_set_new(w, "aggregate", ms(b->work.aggregate_us));
    json_object_set_new(w, "sink", ms(b->work.sink_us));
    json_object_set_new(r, "workMs", w);

    if (b->has_watermark) {
        json_t *e = json_object();
        if (b->event_time.count) {
            json_object_set_new(e, "avg", iso((int64_t)(b->event_time.sum / b->event_time.count)));
            json_object_set_new(e, "max", iso(b->event_time.max));
            json_object_set_new(e, "min", iso(b->event_time.min));
        }
        /* Spark's watermark starts at the epoch. */
        json_object_set_new(e, "watermark", iso(b->watermark == SLUICE_WATERMARK_NONE ? 0 : b->watermark));
        json_object_set_new(r, "eventTime", e);
    }

    json_t *ops = json_array();
    for (size_t i = 0; i < b->n_state; i++) {
        const struct sluice_progress_state *s = &b->state[i];
        json_t *o = json_object();
        json_object_set_new(o, "operatorName", json_string(s->operator_name ? s->operator_name : "stateStoreSave"));
        json_object_set_new(o, "stage", json_string(s->stage ? s->stage : ""));
        json_object_set_new(o, "numRowsTotal", json_integer(s->rows_total));
        json_object_set_new(o, "numRowsUpdated", json_integer(s->rows_updated));
        json_object_set_new(o, "numRowsRemoved", json_integer(s->rows_removed));
        json_object_set_new(o, "numRowsDroppedByWatermark", json_integer(s->rows_dropped));
        json_object_set_new(o, "commitTimeMs", ms(s->commit_us));
        json_object_set_new(o, "memoryUsedBytes", json_integer(s->memory_bytes));
        json_object_set_new(o, "numShufflePartitions", json_integer(s->partitions));
        json_array_append_new(ops, o);
    }
    json_object_set_new(r, "stateOperators", ops);

    json_t *src = json_object();
    json_object_set_new(src, "description", json_string(b->source ? b->source : ""));
    json_object_set_new(src, "startOffset", offset(b->start_offset));
    json_object_set_new(src, "endOffset", offset(b->end_offset));
    json_object_set_new(src, "latestOffset", offset(b->latest_offset ? b->latest_offset : b->end_offset));
    json_object_set_new(src, "numInputRows", json_integer(b->input_rows));
    json_object_set_new(src, "numMalformedRows", json_integer(b->malformed));
    json_object_set_new(src, "numInvalidUtf8Replaced", json_integer(b->invalid_utf8));
    /* Only when some were, so the usual record keeps Spark's fields. */
    if (b->source_retries) json_object_set_new(src, "numRetries", json_integer(b->source_retries));
    json_object_set_new(src, "inputRowsPerSecond", b->since_previous_us > 0 ? rate(b->input_rows, b->since_previous_us)
                                                                             : json_real(0.0));
    set_opt(src, "processedRowsPerSecond", rate(b->input_rows, b->duration_us));
    json_t *sources = json_array();
    json_array_append_new(sources, src);
    json_object_set_new(r, "sources", sources);

    json_t *sink = json_object();
    json_object_set_new(sink, "description", json_string(b->sink ? b->sink : ""));
    json_object_set_new(sink, "numOutputRows", json_integer(b->sink_rows));
    if (b->sink_retries) json_object_set_new(sink, "numRetries", json_integer(b->sink_retries));
    json_object_set_new(r, "sink", sink);

    char *text = json_dumps(r, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(15));
    json_decref(r);
    sluice_buf_puts(out, text ? text : "{}");
    free(text);
}

/* ---- the ring and the log ------------------------------------------------ */

struct sluice_progress *sluice_progress_new(void)
{
    struct sluice_progress *p = sluice_xcalloc(1, sizeof *p);
    pthread_mutex_init(&p->lock, NULL);
    p->log_fd = -1;
    return p;
}

void sluice_progress_free(struct sluice_progress *p)
{
    if (!p) return;
    sluice_progress_log_close(p);
    for (size_t i = 0; i < p->n_totals; i++) {
        free(p->totals[i].query);
        free(p->totals[i].source);
        for (size_t k = 0; k < p->totals[i].n_state; k++) free(p->totals[i].state[k].stage);
        free(p->totals[i].state);
    }
    free(p->totals);
    for (size_t i = 0; i < SLUICE_PROGRESS_KEEP; i++) free(p->ring[i]);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

static void write_log(struct sluice_progress *p, const char *line, size_t n)
{
    if (p->log_fd < 0) return;
    /* One write per record: with O_APPEND a reader never sees half a line
     * from us, and a crash loses at most the record being written. */
    char *copy = sluice_xmalloc(n + 1);
    memcpy(copy, line, n);
    copy[n] = '\n';
    size_t off = 0;
    while (off < n + 1) {
        ssize_t w = write(p->log_fd, copy + off, n + 1 - off);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) {
            sluice_log(SLUICE_LOG_WARN, NULL, "cannot write the progress log: %s; no more records go there",
                       strerror(errno));
            sluice_progress_log_close(p);
            break;
        }
        off += (size_t)w;
    }
    free(copy);
}

/* The query's running totals (made on its first record); lock held. */
static struct sluice_progress_totals *totals_of(struct sluice_progress *p, const struct sluice_progress_batch *b)
{
    const char *q = b->query ? b->query : "", *src = b->source ? b->source : "";
    for (size_t i = 0; i < p->n_totals; i++)
        if (strcmp(p->totals[i].query, q) == 0 && strcmp(p->totals[i].source, src) == 0) return &p->totals[i];
    p->totals = sluice_xrealloc(p->totals, (p->n_totals + 1) * sizeof *p->totals);
    struct sluice_progress_totals *t = &p->totals[p->n_totals++];
    *t = (struct sluice_progress_totals){ .query = sluice_xstrdup(q), .source = sluice_xstrdup(src),
                                          .watermark = SLUICE_WATERMARK_NONE };
    return t;
}

static void add_totals(struct sluice_progress *p, const struct sluice_progress_batch *b)
{
    struct sluice_progress_totals *t = totals_of(p, b);
    t->batches++;
    t->last_batch_id = b->batch_id;
    t->input_rows += b->input_rows;
    t->output_rows += b->sink_rows;
    t->malformed_rows += b->malformed;
    t->invalid_utf8 += b->invalid_utf8;
    double secs = (double)b->duration_us / 1e6;
    t->duration_sum += secs;
    for (size_t k = 0; k < SLUICE_PROGRESS_BUCKETS; k++) t->duration_buckets[k] += secs <= sluice_progress_buckets[k];
    if (b->has_watermark) t->watermark = b->watermark;
    t->has_watermark = b->has_watermark;
    if (b->event_time.count && (!t->has_event_time || b->event_time.max > t->max_event_time)) {
        t->max_event_time = b->event_time.max;
        t->has_event_time = true;
    }
    for (size_t i = 0; i < b->n_state; i++) {
        const struct sluice_progress_state *s = &b->state[i];
        size_t k = 0;
        while (k < t->n_state && strcmp(t->state[k].stage, s->stage) != 0) k++;
        if (k == t->n_state) {
            t->state = sluice_xrealloc(t->state, (t->n_state + 1) * sizeof *t->state);
            t->state[t->n_state++] = (struct sluice_progress_state_totals){ .stage = sluice_xstrdup(s->stage) };
        }
        t->state[k].rows = s->rows_total;
        t->state[k].bytes = s->memory_bytes;
        t->state[k].late_rows += s->rows_dropped;
        t->state[k].evicted_rows += s->rows_removed;
    }
}

void sluice_progress_totals(struct sluice_progress *p, void (*fn)(void *arg, const struct sluice_progress_totals *t),
                            void *arg)
{
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->n_totals; i++) fn(arg, &p->totals[i]);
    pthread_mutex_unlock(&p->lock);
}

void sluice_progress_record(struct sluice_progress *p, const struct sluice_progress_batch *b)
{
    struct sluice_buf out = { 0 };
    sluice_progress_format(b, &out);
    write_log(p, out.data, out.len);
    sluice_log(SLUICE_LOG_DEBUG, NULL, "progress: %s", out.data);

    pthread_mutex_lock(&p->lock);
    add_totals(p, b);
    char *old = p->ring[p->head];
    p->ring[p->head] = out.data;
    p->head = (p->head + 1) % SLUICE_PROGRESS_KEEP;
    if (p->count < SLUICE_PROGRESS_KEEP) p->count++;
    pthread_mutex_unlock(&p->lock);
    free(old);
}

void sluice_progress_json(struct sluice_progress *p, struct sluice_buf *out)
{
    /* Copy under the lock, format outside it: the main thread never waits
     * for a slow reader. */
    char *copy[SLUICE_PROGRESS_KEEP];
    pthread_mutex_lock(&p->lock);
    size_t n = p->count;
    size_t first = (p->head + SLUICE_PROGRESS_KEEP - p->count) % SLUICE_PROGRESS_KEEP;
    for (size_t i = 0; i < n; i++) copy[i] = sluice_xstrdup(p->ring[(first + i) % SLUICE_PROGRESS_KEEP]);
    pthread_mutex_unlock(&p->lock);
    sluice_buf_putc(out, '[');
    for (size_t i = 0; i < n; i++) {
        if (i) sluice_buf_putc(out, ',');
        sluice_buf_puts(out, copy[i]);
        free(copy[i]);
    }
    sluice_buf_putc(out, ']');
}

int sluice_progress_log_open(struct sluice_progress *p, const char *path, struct sluice_error *err)
{
    sluice_progress_log_close(p);
    p->log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (p->log_fd < 0)
        return sluice_error_set(err, SLUICE_EIO, "cannot open progress log '%s': %s", path, strerror(errno));
    return SLUICE_OK;
}

void sluice_progress_log_close(struct sluice_progress *p)
{
    if (p->log_fd >= 0) close(p->log_fd);
    p->log_fd = -1;
}
