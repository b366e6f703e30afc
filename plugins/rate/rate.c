/* rate: Spark's rate source (RateStreamProvider), for tests, demos and
 * benchmarks: `rows_per_second` rows a second of (timestamp, value), value
 * counting from 0.
 *
 *   { name = "r"; source = "rate"; rows_per_second = 1000; ramp_up_time = "5 seconds"; }
 *
 * As in Spark, the offset is the number of whole seconds since the stream
 * was created, and the rows of second s are a pure function of s: values
 * valueAtSecond(s)..valueAtSecond(s+1), with the ramp-up (speed growing
 * linearly to rows_per_second over ramp_up_time), timestamps spread evenly
 * over the batch's seconds. The creation time is kept in the checkpoint
 * (metadata entry 0), so a replayed batch gives the same rows; without a
 * checkpoint it is the time the stream first asks for an offset. Each batch
 * is read as `num_partitions` units, unit p giving the values v with
 * v % num_partitions == p - as Spark's partitions do. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sluice/plugin.h>

#include "../common/rate_rows.h"

/* ---- configuration ---- */

struct rate_conf {
    int64_t rows_per_second;
    int64_t ramp_up_us;
    int64_t num_partitions;
};

static const struct sluice_option rate_options[] = {
    { .name = "rows_per_second", .type = SLUICE_OPT_LONG, .default_value = "1",
      .offset = offsetof(struct rate_conf, rows_per_second),
      .help = "rows generated per second (Spark's rowsPerSecond)", .min = "1" },
    { .name = "ramp_up_time", .type = SLUICE_OPT_DURATION, .default_value = "0 seconds",
      .offset = offsetof(struct rate_conf, ramp_up_us),
      .help = "time to reach rows_per_second, whole seconds (Spark's rampUpTime)", .min = "0 seconds" },
    { .name = "num_partitions", .type = SLUICE_OPT_LONG, .default_value = "0",
      .offset = offsetof(struct rate_conf, num_partitions),
      .help = "units each batch is read as; 0: the number of cores (Spark's numPartitions)", .min = "0" },
    { 0 }
};

/* ---- state ---- */


struct rate_source {
    const struct sluice_host *host;
    struct sluice_ctx *ctx;
    const struct rate_conf *conf;
    int64_t partitions;
    int64_t ramp_up_s;
    int64_t created_ms;     /* -1: not known yet */
    int64_t last_ms;        /* latest time seen, never going back */
    /* The planned batch. */
    int64_t range_start, range_end, local_start_ms;
    double ms_per_value;
};

/* Spark's RateStreamProvider.valueAtSecond: rows produced in the first
 * `seconds` seconds, the speed growing by rows_per_second / (ramp_up + 1)
 * each second until ramp_up seconds have passed. */
static int64_t value_at_second(int64_t seconds, int64_t rows_per_second, int64_t ramp_up_s)
{
    int64_t delta = rows_per_second / (ramp_up_s + 1);
    if (seconds <= ramp_up_s) {
        /* (1 + 2 + ... + seconds) * delta, halving first to keep clear of overflow. */
        return seconds % 2 == 1 ? (seconds + 1) / 2 * delta * seconds : seconds / 2 * delta * (seconds + 1);
    }
    return value_at_second(ramp_up_s, rows_per_second, ramp_up_s) + (seconds - ramp_up_s) * rows_per_second;
}

static int rate_open(const struct sluice_host *host, const void *conf, struct sluice_ctx *ctx, void **state,
                     struct sluice_error *err)
{
    const struct rate_conf *c = conf;
    if (c->ramp_up_us % 1000000)
        return host->option_error(err, SLUICE_ECONFIG, "ramp_up_time", "must be whole seconds, as Spark's rampUpTime");
    struct ArrowSchema schema;
    int rc = host->schema_parse("timestamp TIMESTAMP, value LONG", &schema, err);
    if (!rc) rc = host->set_output_schema(ctx, &schema, err);
    if (rc) return rc;
    struct rate_source *r = calloc(1, sizeof *r);
    if (!r) return host->error(err, SLUICE_ENOMEM, "out of memory");
    r->host = host;
    r->ctx = ctx;
    r->conf = c;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    r->partitions = c->num_partitions ? c->num_partitions : cores > 0 ? cores : 1;
    r->ramp_up_s = c->ramp_up_us / 1000000;
    r->created_ms = -1;
    *state = r;
    return SLUICE_OK;
}

static void rate_close(void *state)
{
    free(state);
}

static int rate_prepare(void *state, const struct sluice_projection *projection, struct sluice_error *err)
{
    return SLUICE_OK; /* two columns: always made */
}

static int read_created(void *arg, int64_t key, const char *data, size_t len, struct sluice_error *err)
{
    struct rate_source *r = arg;
    char text[32];
    if (key != 0 || len == 0 || len >= sizeof text) return SLUICE_OK;
    memcpy(text, data, len);
    text[len] = '\0';
    char *end;
    long long ms = strtoll(text, &end, 10);
    if (*end == '\0' && ms >= 0) r->created_ms = ms;
    return SLUICE_OK;
}

/* The stream's creation time: from the checkpoint, else now (kept there). */
static int creation_time(struct rate_source *r, struct sluice_error *err)
{
    if (r->created_ms >= 0) return SLUICE_OK;
    const struct sluice_host *h = r->host;
    if (h->meta_enabled(r->ctx)) {
        int rc = h->meta_scan(r->ctx, read_created, r, err);
        if (rc) return rc;
    }
    if (r->created_ms >= 0) {
        r->last_ms = r->created_ms;
        return SLUICE_OK;
    }
    r->created_ms = r->last_ms = h->now_us() / 1000;
    char text[32];
    int n = snprintf(text, sizeof text, "%" PRId64, r->created_ms);
    h->log(r->ctx, SLUICE_LOG_INFO, "rate source created at %" PRId64 " ms", r->created_ms);
    return h->meta_put(r->ctx, 0, text, (size_t)n, err);
}

static bool parse_seconds(const char *offset, int64_t *out)
{
    if (!offset) {
        *out = 0;
        return true;
    }
    char *end;
    long long v = strtoll(offset, &end, 10);
    *out = v;
    return end != offset && *end == '\0' && v >= 0;
}

static int rate_latest_offset(void *state, const char *start, bool limited, struct sluice_buf *out,
                              struct sluice_error *err)
{
    struct rate_source *r = state;
    int rc = creation_time(r, err);
    if (rc) return rc;
    int64_t now = r->host->now_us() / 1000;
    if (now > r->last_ms) r->last_ms = now;
    int64_t seconds = (r->last_ms - r->created_ms) / 1000;
    int64_t committed;
    if (!parse_seconds(start, &committed))
        return r->host->error(err, SLUICE_EDATA, "not a rate source offset: '%s'", start);
    /* Second 0 has no rows yet: no batch until a second has passed. */
    if (!start && seconds == 0) return SLUICE_OK;
    if (seconds < committed) seconds = committed;
    sluice_buf_printf(out, "%" PRId64, seconds);
    return SLUICE_OK;
}

static int rate_plan_read(void *state, const char *start, const char *end, size_t *n_units, struct sluice_error *err)
{
    struct rate_source *r = state;
    int rc = creation_time(r, err);
    if (rc) return rc;
    int64_t s0, s1;
    if (!parse_seconds(start, &s0) || !parse_seconds(end, &s1) || s1 < s0)
        return r->host->error(err, SLUICE_EDATA, "not a rate source range: '%s' to '%s'", start ? start : "start", end);
    if (s1 > INT64_MAX / r->conf->rows_per_second)
        return r->host->error(err, SLUICE_EDATA, "the rate source's values overflow a long at second %" PRId64, s1);
    /* A replay after a restart: later offsets must not go back to this one. */
    int64_t end_ms = r->created_ms + s1 * 1000;
    if (r->last_ms < end_ms) r->last_ms = end_ms;
    r->range_start = value_at_second(s0, r->conf->rows_per_second, r->ramp_up_s);
    r->range_end = value_at_second(s1, r->conf->rows_per_second, r->ramp_up_s);
    r->local_start_ms = r->created_ms + s0 * 1000;
    r->ms_per_value = r->range_end > r->range_start ? (double)((s1 - s0) * 1000) / (double)(r->range_end - r->range_start) : 0;
    *n_units = r->range_end > r->range_start ? (size_t)r->partitions : 0;
    return SLUICE_OK;
}

static int rate_read(void *state, size_t unit, sluice_emit_fn emit, void *emit_arg, struct sluice_error *err)
{
    const struct rate_source *r = state;
    struct rate_rows rows = { .first = r->range_start + (int64_t)unit, .end = r->range_end, .stride = r->partitions,
                              .origin = r->range_start, .base_ms = r->local_start_ms, .ms_per_value = r->ms_per_value };
    return rate_rows_emit(r->host, r->ctx, &rows, emit, emit_arg, err);
}

/* An idle stream has new rows at the next whole second of its clock. */
static int rate_wait(void *state, int64_t timeout_us, int wake_fd, struct sluice_error *err)
{
    const struct rate_source *r = state;
    if (r->created_ms < 0) return SLUICE_OK;
    int64_t now_ms = r->host->now_us() / 1000;
    int64_t next_ms = now_ms + 1000 - (now_ms - r->created_ms) % 1000;
    int64_t wait_ms = next_ms - now_ms;
    if (wait_ms * 1000 > timeout_us) wait_ms = timeout_us / 1000;
    struct pollfd pfd = { wake_fd, POLLIN, 0 };
    while (poll(&pfd, wake_fd >= 0 ? 1 : 0, (int)wait_ms) < 0 && errno == EINTR) {
    }
    return SLUICE_OK;
}

SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void)
{
    static const struct sluice_plugin p = {
        .abi_version = SLUICE_ABI_VERSION,
        .size = sizeof(struct sluice_plugin),
        .kind = SLUICE_KIND_SOURCE,
        .name = "rate",
        .summary = "rows_per_second rows of (timestamp, value) a second, as Spark's rate source",
        .options = rate_options,
        .conf_size = sizeof(struct rate_conf),
        .open = rate_open,
        .close = rate_close,
        .prepare = rate_prepare,
        .latest_offset = rate_latest_offset,
        .plan_read = rate_plan_read,
        .read = rate_read,
        .wait = rate_wait,
    };
    return &p;
}
