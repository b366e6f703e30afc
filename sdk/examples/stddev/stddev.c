/* stddev: an example aggregator, Spark's stddev(x) (the sample standard
 * deviation, stddev_samp), or the population one with a second argument:
 *
 *   aggregate = ["stddev(value) AS sd", "stddev(value, 'pop') AS sd_pop"];
 *
 * What it shows an author: a literal argument arriving parsed ('pop' is the
 * string pop, and a column there is refused before bind is called), a
 * state that merges partial states exactly (worker threads each fold their
 * rows into states of their own, merged after: Welford's running mean and
 * sum of squared deviations, combined by Chan's formula), and a state
 * saved in a versioned format (state_version 1).
 *
 * As Spark's StddevSamp and StddevPop over longs or doubles: nulls are
 * skipped; no values give null; one value gives null for the sample
 * deviation (Spark 3.1's default) and 0 for the population one. The result
 * is a double.
 *
 * State (24 bytes): count, mean, and M2, the sum of squared deviations from
 * the mean. Checkpoint format 1: the count as a varint, then the mean and
 * M2 as 64-bit little-endian doubles. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/agg.h>
#include <sluice/plugin.h>

struct stddev_bound {
    enum sluice_type type; /* LONG or DOUBLE */
    bool population;
};

struct stddev_state {
    int64_t n;
    double mean;
    double m2;
};

static int stddev_bind(const struct sluice_host *host, const struct ArrowSchema *arg,
                       const struct sluice_agg_param *params, size_t n_params, void **bound,
                       struct sluice_agg_info *info, struct sluice_error *err)
{
    if (!arg) return host->error(err, SLUICE_ECONFIG, "stddev needs an argument, not *");
    enum sluice_type t = sluice_type_of(arg);
    if (t != SLUICE_TYPE_LONG && t != SLUICE_TYPE_DOUBLE)
        return host->error(err, SLUICE_ECONFIG, "stddev expects a number, got %s", sluice_type_name(t));
    if (n_params > 1) return host->error(err, SLUICE_ECONFIG, "stddev takes 1 or 2 arguments, got %zu", n_params + 1);
    bool population = false;
    if (n_params == 1) {
        const struct sluice_agg_param *kind = &params[0];
        bool pop = kind->type == SLUICE_TYPE_STRING && strcmp(kind->s, "pop") == 0;
        bool samp = kind->type == SLUICE_TYPE_STRING && strcmp(kind->s, "samp") == 0;
        if (!pop && !samp)
            return host->error(err, SLUICE_ECONFIG, "stddev's second argument must be 'pop' or 'samp', got %s",
                               kind->text);
        population = pop;
    }
    struct stddev_bound *b = malloc(sizeof *b);
    if (!b) return host->error(err, SLUICE_ENOMEM, "out of memory");
    b->type = t;
    b->population = population;
    *bound = b;
    info->result_format = SLUICE_FORMAT_DOUBLE;
    info->state_size = sizeof(struct stddev_state);
    info->has_destroy = false;
    return SLUICE_OK;
}

static void stddev_unbind(void *bound)
{
    free(bound);
}

static void stddev_init(const void *bound, void *state)
{
    *(struct stddev_state *)state = (struct stddev_state){ 0 };
}

/* Welford's update, numerically stable for long runs of close values. */
static void add(struct stddev_state *s, double x)
{
    s->n++;
    double delta = x - s->mean;
    s->mean += delta / (double)s->n;
    s->m2 += delta * (x - s->mean);
}

/* Worker threads: row i of `arg` into states[i]; one pass, the type
 * switched on once per batch. */
static int stddev_update(const struct sluice_host *host, const void *bound, void *const *states,
                         const struct ArrowArray *arg, int64_t n, struct sluice_error *err)
{
    const struct stddev_bound *b = bound;
    const uint8_t *valid = sluice_agg_validity(arg);
    int64_t off = arg->offset;
    for (int64_t i = 0; i < n; i++) {
        if (!states[i] || (valid && !sluice_bit_get(valid, off + i))) continue;
        double x = b->type == SLUICE_TYPE_LONG ? (double)((const int64_t *)arg->buffers[1])[off + i]
                                               : ((const double *)arg->buffers[1])[off + i];
        add(states[i], x);
    }
    return SLUICE_OK;
}

/* Chan, Golub and LeVeque's combination of two partial states: the same
 * result as one pass over both sets of values. */
static int stddev_merge(const struct sluice_host *host, const void *bound, void *dst, const void *src,
                        struct sluice_error *err)
{
    struct stddev_state *d = dst;
    const struct stddev_state *s = src;
    if (s->n == 0) return SLUICE_OK;
    if (d->n == 0) {
        *d = *s;
        return SLUICE_OK;
    }
    double n = (double)(d->n + s->n), delta = s->mean - d->mean;
    d->m2 += s->m2 + delta * delta * (double)d->n * (double)s->n / n;
    d->mean += delta * (double)s->n / n;
    d->n += s->n;
    return SLUICE_OK;
}

static int stddev_finalize(const struct sluice_host *host, const void *bound, const void *state,
                           struct sluice_builder *out, struct sluice_error *err)
{
    const struct stddev_bound *b = bound;
    const struct stddev_state *s = state;
    int64_t divisor = b->population ? s->n : s->n - 1;
    if (s->n == 0 || divisor == 0) host->append_null(out);
    else host->append_double(out, sqrt(s->m2 / (double)divisor));
    return SLUICE_OK;
}

static int stddev_serialize(const struct sluice_host *host, const void *bound, const void *state,
                            struct sluice_buf *out, struct sluice_error *err)
{
    const struct stddev_state *s = state;
    if (sluice_buf_put_varint(out, (uint64_t)s->n) || sluice_buf_put_le64(out, sluice_double_bits(s->mean)) ||
        sluice_buf_put_le64(out, sluice_double_bits(s->m2)))
        return host->error(err, SLUICE_ENOMEM, "out of memory saving a stddev state");
    return SLUICE_OK;
}

/* `version` is what serialize wrote then: only format 1 exists so far (the
 * core refuses a newer one before calling this). */
static int stddev_deserialize(const struct sluice_host *host, const void *bound, void *state, uint32_t version,
                              const char *data, size_t len, struct sluice_error *err)
{
    struct stddev_state *s = state;
    struct sluice_reader r = sluice_reader_of(data, len);
    uint64_t n, mean, m2;
    stddev_init(bound, state);
    if (!sluice_read_varint(&r, &n) || !sluice_read_le64(&r, &mean) || !sluice_read_le64(&r, &m2) ||
        !sluice_reader_done(&r) || n > (uint64_t)INT64_MAX)
        return host->error(err, SLUICE_EDATA, "damaged stddev state (%zu bytes)", len);
    s->n = (int64_t)n;
    s->mean = sluice_bits_double(mean);
    s->m2 = sluice_bits_double(m2);
    return SLUICE_OK;
}

SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void)
{
    static const struct sluice_plugin p = {
        .abi_version = SLUICE_ABI_VERSION,
        .size = sizeof(struct sluice_plugin),
        .kind = SLUICE_KIND_AGGREGATOR,
        .name = "stddev",
        .summary = "stddev(x[, 'pop'|'samp']): the standard deviation of a long or double column (double)",
        .state_version = 1,
        .bind = stddev_bind,
        .unbind = stddev_unbind,
        .init = stddev_init,
        .update = stddev_update,
        .merge = stddev_merge,
        .finalize = stddev_finalize,
        .serialize = stddev_serialize,
        .deserialize = stddev_deserialize,
    };
    return &p;
}
