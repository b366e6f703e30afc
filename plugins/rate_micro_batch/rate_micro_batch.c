/* rate_micro_batch: Spark's rate-micro-batch source (RatePerMicroBatch
 * Provider): exactly `rows_per_batch` rows of (timestamp, value) in every
 * micro-batch, whatever the clock says, so tests and benchmarks get the
 * same batches on every run.
 *
 *   { name = "r"; source = "rate_micro_batch"; rows_per_batch = 5000; }
 *
 * The offset is {"offset":N,"timestamp":T}: N rows so far, and the time (ms)
 * the next batch's rows carry. Batch k holds values N..N+rows_per_batch-1,
 * every row stamped T, and moves T on by advance_millis_per_batch. Each
 * batch is read as num_partitions units, unit p giving the values v with
 * (v - N) % num_partitions == p, as Spark's partitions do. Nothing is kept
 * in the checkpoint: the offsets say everything. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sluice/plugin.h>

#include "../common/rate_rows.h"

struct rmb_conf {
    int64_t rows_per_batch;
    int64_t num_partitions;
    int64_t start_timestamp;
    int64_t advance_ms;
};

static const struct sluice_option rmb_options[] = {
    { .name = "rows_per_batch", .type = SLUICE_OPT_LONG, .flags = SLUICE_OPT_REQUIRED,
      .offset = offsetof(struct rmb_conf, rows_per_batch),
      .help = "rows in every micro-batch (Spark's rowsPerBatch)", .min = "1" },
    { .name = "num_partitions", .type = SLUICE_OPT_LONG, .default_value = "0",
      .offset = offsetof(struct rmb_conf, num_partitions),
      .help = "units each batch is read as; 0: the number of cores (Spark's numPartitions)", .min = "0" },
    { .name = "start_timestamp", .type = SLUICE_OPT_LONG, .default_value = "0",
      .offset = offsetof(struct rmb_conf, start_timestamp),
      .help = "timestamp of the first batch's rows, ms since the epoch (Spark's startTimestamp)", .min = "0" },
    { .name = "advance_millis_per_batch", .type = SLUICE_OPT_LONG, .default_value = "1000",
      .offset = offsetof(struct rmb_conf, advance_ms),
      .help = "how far the timestamp moves from one batch to the next, ms (Spark's advanceMillisPerBatch)",
      .min = "0" },
    { 0 }
};


struct rmb_source {
    const struct sluice_host *host;
    struct sluice_ctx *ctx;
    const struct rmb_conf *conf;
    int64_t partitions;
    /* The planned batch. */
    int64_t start, end, timestamp_ms;
};

static int rmb_open(const struct sluice_host *host, const void *conf, struct sluice_ctx *ctx, void **state,
                    struct sluice_error *err)
{
    const struct rmb_conf *c = conf;
    struct ArrowSchema schema;
    int rc = host->schema_parse("timestamp TIMESTAMP, value LONG", &schema, err);
    if (!rc) rc = host->set_output_schema(ctx, &schema, err);
    if (rc) return rc;
    struct rmb_source *r = calloc(1, sizeof *r);
    if (!r) return host->error(err, SLUICE_ENOMEM, "out of memory");
    r->host = host;
    r->ctx = ctx;
    r->conf = c;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    r->partitions = c->num_partitions ? c->num_partitions : cores > 0 ? cores : 1;
    *state = r;
    return SLUICE_OK;
}

static void rmb_close(void *state)
{
    free(state);
}

static int rmb_prepare(void *state, const struct sluice_projection *projection, struct sluice_error *err)
{
    return SLUICE_OK;
}

/* {"offset":N,"timestamp":T}; NULL is the initial offset (0, start_timestamp). */
static bool parse(const struct rmb_source *r, const char *json, int64_t *offset, int64_t *timestamp)
{
    if (!json) {
        *offset = 0;
        *timestamp = r->conf->start_timestamp;
        return true;
    }
    long long o, t;
    int used = 0;
    if (sscanf(json, "{\"offset\":%lld,\"timestamp\":%lld}%n", &o, &t, &used) != 2 || json[used] || o < 0)
        return false;
    *offset = o;
    *timestamp = t;
    return true;
}

static int rmb_latest_offset(void *state, const char *start, bool limited, struct sluice_buf *out,
                             struct sluice_error *err)
{
    struct rmb_source *r = state;
    int64_t offset, ts;
    if (!parse(r, start, &offset, &ts))
        return r->host->error(err, SLUICE_EDATA, "not a rate_micro_batch offset: '%s'", start);
    int64_t next = offset > INT64_MAX - r->conf->rows_per_batch ? INT64_MAX : offset + r->conf->rows_per_batch;
    sluice_buf_printf(out, "{\"offset\":%" PRId64 ",\"timestamp\":%" PRId64 "}", next, ts + r->conf->advance_ms);
    return SLUICE_OK;
}

static int rmb_plan_read(void *state, const char *start, const char *end, size_t *n_units, struct sluice_error *err)
{
    struct rmb_source *r = state;
    int64_t end_ts;
    if (!parse(r, start, &r->start, &r->timestamp_ms) || !parse(r, end, &r->end, &end_ts) || r->end < r->start)
        return r->host->error(err, SLUICE_EDATA, "not a rate_micro_batch range: '%s' to '%s'", start ? start : "start",
                              end);
    *n_units = r->end > r->start ? (size_t)r->partitions : 0;
    return SLUICE_OK;
}

static int rmb_read(void *state, size_t unit, sluice_emit_fn emit, void *emit_arg, struct sluice_error *err)
{
    const struct rmb_source *r = state;
    struct rate_rows rows = { .first = r->start + (int64_t)unit, .end = r->end, .stride = r->partitions,
                              .base_ms = r->timestamp_ms };
    return rate_rows_emit(r->host, r->ctx, &rows, emit, emit_arg, err);
}

SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void)
{
    static const struct sluice_plugin p = {
        .abi_version = SLUICE_ABI_VERSION,
        .size = sizeof(struct sluice_plugin),
        .kind = SLUICE_KIND_SOURCE,
        .name = "rate_micro_batch",
        .summary = "rows_per_batch rows of (timestamp, value) per micro-batch, as Spark's rate-micro-batch source",
        .options = rmb_options,
        .conf_size = sizeof(struct rmb_conf),
        .open = rmb_open,
        .close = rmb_close,
        .prepare = rmb_prepare,
        .latest_offset = rmb_latest_offset,
        .plan_read = rmb_plan_read,
        .read = rmb_read,
    };
    return &p;
}
