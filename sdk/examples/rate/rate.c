/* rate: an example source, Spark's rate source. It produces `rows_per_second`
 * rows a second, each a `value` counting from 0 and the `timestamp` it is
 * due at:
 *
 *   { name = "ticks"; source = "rate"; rows_per_second = 100; }
 *
 * What it shows an author: offsets as JSON ({"value":N}: rows [0, N) exist),
 * units (a batch's rows split into `num_partitions` pieces read in
 * parallel), and state that offsets depend on kept in the checkpoint. Row
 * i is due at start + i / rows_per_second, so an offset means the same
 * rows only with the same `start`: the first run takes the time it starts
 * (or the `start` option), stores it with host->meta_put, and every later
 * run reads it back in prepare(). A batch planned before a crash is run
 * again with plan_read() right after prepare(), before any latest_offset(),
 * so prepare() is where the start time must be known: a replay then gives
 * exactly the rows of the first try (Spark's RateStreamMicroBatchStream
 * keeps its start time in its metadata log for the same reason).
 *
 * `limit` ends the stream after that many rows, and `max_rows_per_trigger`
 * caps a batch, for demos and tests that need a run to finish. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/offset.h>
#include <sluice/plugin.h>

/* ---- configuration ---- */

struct rate_conf {
    int64_t rows_per_second;
    int64_t num_partitions;
    int64_t max_rows_per_trigger;
    int64_t limit;
    const char *start;
};

static const struct sluice_option rate_options[] = {
    { .name = "rows_per_second", .type = SLUICE_OPT_LONG, .default_value = "1",
      .offset = offsetof(struct rate_conf, rows_per_second),
      .help = "rows produced per second", .min = "1", .max = "1000000000" },
    { .name = "num_partitions", .type = SLUICE_OPT_LONG, .default_value = "1",
      .offset = offsetof(struct rate_conf, num_partitions),
      .help = "units each batch is read as, in parallel", .min = "1", .max = "1024" },
    { .name = "max_rows_per_trigger", .type = SLUICE_OPT_LONG, .default_value = "0",
      .offset = offsetof(struct rate_conf, max_rows_per_trigger),
      .help = "most rows per micro-batch (0: all that are due)", .min = "0" },
    { .name = "limit", .type = SLUICE_OPT_LONG, .default_value = "0",
      .offset = offsetof(struct rate_conf, limit),
      .help = "rows after which the stream ends (0: never)", .min = "0" },
    { .name = "start", .type = SLUICE_OPT_STRING,
      .offset = offsetof(struct rate_conf, start),
      .help = "when row 0 is due, ISO 8601 (default: when the query first ran; kept in the checkpoint)" },
    { 0 }
};

/* ---- state ---- */

struct rate {
    const struct sluice_host *host;
    struct sluice_ctx *ctx;
    const struct rate_conf *conf;
    int64_t start_us;       /* when row 0 is due: known once prepare() returns */
    int64_t from, to;       /* the planned batch: rows [from, to) */
    struct ArrowSchema row; /* the output schema, for builders */
};

/* The metadata entry holding the start time: "rate-start 1 <µs>". */
#define META_START_KEY 0

static int rate_open(const struct sluice_host *host, const void *conf_ptr, struct sluice_ctx *ctx, void **state,
                     struct sluice_error *err)
{
    const struct rate_conf *conf = conf_ptr;
    int64_t us;
    if (conf->start && host->parse_timestamp(conf->start, strlen(conf->start), &us) != SLUICE_OK)
        return host->option_error(err, SLUICE_ECONFIG, "start", "expected a timestamp such as "
                                  "\"2021-05-03T07:55:40Z\", got '%s'", conf->start);
    struct rate *r = calloc(1, sizeof *r);
    if (!r) return host->error(err, SLUICE_ENOMEM, "out of memory");
    r->host = host;
    r->ctx = ctx;
    r->conf = conf;
    /* Spark's rate source: timestamp, then value. */
    struct ArrowSchema out;
    host->schema_init(&out, SLUICE_FORMAT_STRUCT, "", false, 2);
    host->schema_init(out.children[0], SLUICE_FORMAT_TIMESTAMP, "timestamp", true, 0);
    host->schema_init(out.children[1], SLUICE_FORMAT_LONG, "value", true, 0);
    host->schema_copy(&out, &r->row);
    int rc = host->set_output_schema(ctx, &out, err); /* takes `out` */
    if (rc) {
        r->row.release(&r->row);
        free(r);
        return rc;
    }
    *state = r;
    return SLUICE_OK;
}

static void rate_close(void *state)
{
    struct rate *r = state;
    r->row.release(&r->row);
    free(r);
}

static int read_start(void *arg, int64_t key, const char *data, size_t len, struct sluice_error *err)
{
    struct rate *r = arg;
    char text[64];
    long long us;
    if (key != META_START_KEY) return SLUICE_OK;
    if (len >= sizeof text) len = sizeof text - 1;
    memcpy(text, data, len);
    text[len] = '\0';
    if (sscanf(text, "rate-start 1 %lld", &us) != 1)
        return r->host->error(err, SLUICE_EDATA, "the checkpointed start time of rate source '%s' is damaged",
                              r->host->stage_name(r->ctx));
    r->start_us = us;
    return SLUICE_OK;
}

/* Once before the first batch, and before a replayed batch's plan_read:
 * the start time is read back here, or chosen and stored. */
static int rate_prepare(void *state, const struct sluice_projection *projection, struct sluice_error *err)
{
    struct rate *r = state;
    const struct sluice_host *h = r->host;
    r->start_us = -1;
    int rc = h->meta_scan(r->ctx, read_start, r, err);
    if (rc) return rc;
    int64_t wanted = -1;
    if (r->conf->start) h->parse_timestamp(r->conf->start, strlen(r->conf->start), &wanted);
    if (r->start_us >= 0) {
        if (wanted >= 0 && wanted != r->start_us)
            h->log(r->ctx, SLUICE_LOG_WARN, "start '%s' differs from the start time this checkpoint's offsets "
                   "count from; keeping the checkpoint's", r->conf->start);
        return SLUICE_OK;
    }
    r->start_us = wanted >= 0 ? wanted : h->now_us();
    char text[64];
    int n = snprintf(text, sizeof text, "rate-start 1 %lld", (long long)r->start_us);
    return h->meta_put(r->ctx, META_START_KEY, text, (size_t)n, err);
}

static int parse_offset(const struct rate *r, const char *json, int64_t *out, struct sluice_error *err)
{
    *out = 0;
    if (!json) return SLUICE_OK;
    if (!sluice_offset_get_long(json, "value", out) || *out < 0)
        return r->host->error(err, SLUICE_EDATA, "rate source offset %s is not {\"value\":N}", json);
    return SLUICE_OK;
}

static int rate_latest_offset(void *state, const char *start, bool limited, struct sluice_buf *out,
                              struct sluice_error *err)
{
    struct rate *r = state;
    int64_t from;
    int rc = parse_offset(r, start, &from, err);
    if (rc) return rc;
    int64_t elapsed = r->host->now_us() - r->start_us;
    /* Rows due so far: row i is due at start + i / rows_per_second. */
    int64_t due = elapsed < 0 ? 0 : (int64_t)((double)elapsed * (double)r->conf->rows_per_second / 1e6) + 1;
    if (r->conf->limit && due > r->conf->limit) due = r->conf->limit;
    if (limited && r->conf->max_rows_per_trigger && due > from + r->conf->max_rows_per_trigger)
        due = from + r->conf->max_rows_per_trigger;
    if (due < from) due = from;
    if (due == 0) return SLUICE_OK; /* nothing yet: *out stays empty */
    return sluice_offset_write_long(out, "value", due) ? r->host->error(err, SLUICE_ENOMEM, "out of memory")
                                                        : SLUICE_OK;
}

static int rate_plan_read(void *state, const char *start, const char *end, size_t *n_units,
                          struct sluice_error *err)
{
    struct rate *r = state;
    int rc = parse_offset(r, start, &r->from, err);
    if (!rc) rc = parse_offset(r, end, &r->to, err);
    if (rc) return rc;
    if (r->to < r->from)
        return r->host->error(err, SLUICE_EINTERNAL, "rate source asked to read backwards, from %lld to %lld",
                              (long long)r->from, (long long)r->to);
    *n_units = r->to > r->from ? (size_t)r->conf->num_partitions : 0;
    return SLUICE_OK;
}

/* Worker threads, concurrently: reads only the plan and the configuration. */
static int rate_read(void *state, size_t unit, sluice_emit_fn emit, void *emit_arg, struct sluice_error *err)
{
    const struct rate *r = state;
    const struct sluice_host *h = r->host;
    int64_t n = r->to - r->from, parts = r->conf->num_partitions;
    int64_t lo = r->from + n * (int64_t)unit / parts, hi = r->from + n * ((int64_t)unit + 1) / parts;
    struct sluice_builder *b = h->builder_new(&r->row);
    for (int64_t i = lo; i < hi; i++) {
        h->append_struct(b);
        h->append_timestamp(h->builder_child(b, 0), r->start_us + i * 1000000 / r->conf->rows_per_second);
        h->append_long(h->builder_child(b, 1), i);
    }
    struct sluice_batch batch;
    h->builder_finish(b, &batch);
    h->builder_free(b);
    return emit(emit_arg, &batch, err); /* the core takes the batch */
}

SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void)
{
    static const struct sluice_plugin p = {
        .abi_version = SLUICE_ABI_VERSION,
        .size = sizeof(struct sluice_plugin),
        .kind = SLUICE_KIND_SOURCE,
        .name = "rate",
        .summary = "rows_per_second rows a second: a counting value and the timestamp it is due at",
        .options = rate_options,
        .conf_size = sizeof(struct rate_conf),
        .open = rate_open,
        .close = rate_close,
        .prepare = rate_prepare,
        .latest_offset = rate_latest_offset,
        .plan_read = rate_plan_read,
        .read = rate_read,
        /* no commit: nothing to forget */
    };
    return &p;
}
