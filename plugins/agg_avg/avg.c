/* avg: Spark's avg(x) (also mean) over longs or doubles.
 *
 *   aggregate = ["avg(data.public_metrics.like_count) AS avg_likes"];
 *
 * The result is always a double. As Spark's Average does for a non-decimal
 * argument, each value is converted to double and added to a double sum,
 * and the result is sum / count; nulls are skipped, and a group that saw no
 * non-null value averages to null.
 *
 * State: the double sum and the count (16 bytes). Checkpoint format: the
 * argument's sluice type (one byte), the sum's 64 bits little-endian, the
 * count as an unsigned varint. */
#include <stdlib.h>

#include <sluice/plugin.h>

#include <sluice/agg.h>

struct avg_bound {
    enum sluice_type type; /* LONG or DOUBLE */
};

struct avg_state {
    double sum;
    int64_t n;
};

static int avg_bind(const struct sluice_host *host, const struct ArrowSchema *arg,
                    const struct sluice_agg_param *params, size_t n_params, void **bound,
                    struct sluice_agg_info *info, struct sluice_error *err)
{
    (void)params;
    if (!arg) return host->error(err, SLUICE_ECONFIG, "function 'avg' needs an argument, not *");
    if (n_params > 0)
        return host->error(err, SLUICE_ECONFIG, "function 'avg' takes one argument, got %zu", n_params + 1);
    enum sluice_type t = sluice_type_of(arg);
    if (t != SLUICE_TYPE_LONG && t != SLUICE_TYPE_DOUBLE)
        return host->error(err, SLUICE_ECONFIG, "function 'avg' expects a number, got %s", sluice_type_name(t));
    struct avg_bound *b = malloc(sizeof *b);
    if (!b) return host->error(err, SLUICE_ENOMEM, "out of memory binding 'avg'");
    b->type = t;
    *bound = b;
    info->result_format = SLUICE_FORMAT_DOUBLE;
    info->state_size = sizeof(struct avg_state);
    info->has_destroy = false;
    return SLUICE_OK;
}

static void avg_unbind(void *bound)
{
    free(bound);
}

static void avg_init(const void *bound, void *state)
{
    (void)bound;
    struct avg_state *s = state;
    s->sum = 0.0;
    s->n = 0;
}

static int avg_update(const struct sluice_host *host, const void *bound, void *const *states,
                      const struct ArrowArray *arg, int64_t n, struct sluice_error *err)
{
    const struct avg_bound *b = bound;
    const uint8_t *valid = sluice_agg_validity(arg);
    int64_t off = arg->offset;
    if (b->type == SLUICE_TYPE_LONG) {
        const int64_t *v = (const int64_t *)arg->buffers[1];
        for (int64_t i = 0; i < n; i++) {
            struct avg_state *s = states[i];
            if (!s || (valid && !sluice_bit_get(valid, off + i))) continue;
            s->sum += (double)v[off + i];
            s->n++;
        }
    } else {
        const double *v = (const double *)arg->buffers[1];
        for (int64_t i = 0; i < n; i++) {
            struct avg_state *s = states[i];
            if (!s || (valid && !sluice_bit_get(valid, off + i))) continue;
            s->sum += v[off + i];
            s->n++;
        }
    }
    return SLUICE_OK;
}

static int avg_merge(const struct sluice_host *host, const void *bound, void *dst, const void *src,
                     struct sluice_error *err)
{
    struct avg_state *d = dst;
    const struct avg_state *s = src;
    d->sum += s->sum;
    d->n += s->n;
    return SLUICE_OK;
}

static int avg_finalize(const struct sluice_host *host, const void *bound, const void *state,
                        struct sluice_builder *out, struct sluice_error *err)
{
    const struct avg_state *s = state;
    if (s->n == 0) host->append_null(out);
    else host->append_double(out, s->sum / (double)s->n);
    return SLUICE_OK;
}

static int avg_serialize(const struct sluice_host *host, const void *bound, const void *state,
                         struct sluice_buf *out, struct sluice_error *err)
{
    const struct avg_bound *b = bound;
    const struct avg_state *s = state;
    uint8_t rec[1 + 8 + SLUICE_VARINT_MAX] = { (uint8_t)b->type };
    sluice_put_le64(rec + 1, sluice_double_bits(s->sum));
    size_t len = 9 + sluice_varint_encode(rec + 9, (uint64_t)s->n);
    if (sluice_buf_append(out, rec, len))
        return host->error(err, SLUICE_ENOMEM, "out of memory saving avg state");
    return SLUICE_OK;
}

static int avg_deserialize(const struct sluice_host *host, const void *bound, void *state, uint32_t version,
                           const char *data, size_t len, struct sluice_error *err)
{
    const struct avg_bound *b = bound;
    struct avg_state *s = state;
    avg_init(bound, state);
    const uint8_t *p = (const uint8_t *)data, *end = len ? p + len : p;
    uint64_t n;
    if (len < 10)
        return host->error(err, SLUICE_EDATA, "corrupt avg state (%zu bytes)", len);
    if (p[0] != b->type)
        return host->error(err, SLUICE_EDATA, "saved avg state is for %s values, not %s",
                              sluice_type_name((enum sluice_type)p[0]), sluice_type_name(b->type));
    const uint8_t *q = p + 9;
    if (!sluice_varint_decode(&q, end, &n) || q != end || n > (uint64_t)INT64_MAX)
        return host->error(err, SLUICE_EDATA, "corrupt avg state (%zu bytes)", len);
    s->sum = sluice_bits_double(sluice_get_le64(p + 1));
    s->n = (int64_t)n;
    return SLUICE_OK;
}

SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void)
{
    static const struct sluice_plugin p = {
        .abi_version = SLUICE_ABI_VERSION,
        .size = sizeof(struct sluice_plugin),
        .kind = SLUICE_KIND_AGGREGATOR,
        .name = "avg",
        .summary = "avg(x): the mean of a long or double column (double); null when no values",
        .bind = avg_bind,
        .unbind = avg_unbind,
        .init = avg_init,
        .update = avg_update,
        .merge = avg_merge,
        .finalize = avg_finalize,
        .serialize = avg_serialize,
        .deserialize = avg_deserialize,
    };
    return &p;
}
