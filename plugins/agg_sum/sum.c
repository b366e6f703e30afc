/* sum: Spark's sum(x) over longs or doubles.
 *
 *   aggregate = ["sum(data.public_metrics.like_count) AS likes"];
 *
 * A long argument gives a long result that wraps around on overflow, as
 * Spark's sum does with ANSI mode off (the default); the addition is done
 * in unsigned arithmetic so the wrap is defined behaviour. A double
 * argument gives a double. Nulls are skipped; a group that saw no non-null
 * value sums to null, as in Spark.
 *
 * State: the running sum and whether any value was seen (16 bytes).
 * Checkpoint format: the argument's sluice type (one byte), seen (one byte),
 * the sum's 64 bits little-endian. */
#include <stdlib.h>

#include <sluice/plugin.h>

#include <sluice/agg.h>

struct sum_bound {
    const struct sluice_host *host;
    enum sluice_type type; /* LONG or DOUBLE */
};

struct sum_state {
    union {
        uint64_t l; /* two's-complement sum of longs */
        double d;
    } v;
    uint8_t seen;
};

#define SUM_SAVED_BYTES 10

static int sum_bind(const struct sluice_host *host, const struct ArrowSchema *arg,
                    const struct sluice_agg_param *params, size_t n_params, void **bound,
                    struct sluice_agg_info *info, struct sluice_error *err)
{
    (void)params;
    if (!arg) return host->error(err, SLUICE_ECONFIG, "function 'sum' needs an argument, not *");
    if (n_params > 0)
        return host->error(err, SLUICE_ECONFIG, "function 'sum' takes one argument, got %zu", n_params + 1);
    enum sluice_type t = sluice_type_of(arg);
    if (t != SLUICE_TYPE_LONG && t != SLUICE_TYPE_DOUBLE)
        return host->error(err, SLUICE_ECONFIG, "function 'sum' expects a number, got %s", sluice_type_name(t));
    struct sum_bound *b = malloc(sizeof *b);
    if (!b) return host->error(err, SLUICE_ENOMEM, "out of memory binding 'sum'");
    b->host = host;
    b->type = t;
    *bound = b;
    info->result_format = t == SLUICE_TYPE_LONG ? SLUICE_FORMAT_LONG : SLUICE_FORMAT_DOUBLE;
    info->state_size = sizeof(struct sum_state);
    info->has_destroy = false;
    return SLUICE_OK;
}

static void sum_unbind(void *bound)
{
    free(bound);
}

static void sum_init(const void *bound, void *state)
{
    (void)bound;
    struct sum_state *s = state;
    memset(s, 0, sizeof *s); /* also +0.0 for a double sum */
}

static int sum_update(const struct sluice_host *host, const void *bound, void *const *states,
                      const struct ArrowArray *arg, int64_t n, struct sluice_error *err)
{
    const struct sum_bound *b = bound;
    const uint8_t *valid = sluice_agg_validity(arg);
    int64_t off = arg->offset;
    if (b->type == SLUICE_TYPE_LONG) {
        const int64_t *v = (const int64_t *)arg->buffers[1];
        for (int64_t i = 0; i < n; i++) {
            struct sum_state *s = states[i];
            if (!s || (valid && !sluice_bit_get(valid, off + i))) continue;
            s->v.l += (uint64_t)v[off + i];
            s->seen = 1;
        }
    } else {
        const double *v = (const double *)arg->buffers[1];
        for (int64_t i = 0; i < n; i++) {
            struct sum_state *s = states[i];
            if (!s || (valid && !sluice_bit_get(valid, off + i))) continue;
            s->v.d += v[off + i];
            s->seen = 1;
        }
    }
    return SLUICE_OK;
}

static int sum_merge(const struct sluice_host *host, const void *bound, void *dst, const void *src,
                     struct sluice_error *err)
{
    const struct sum_bound *b = bound;
    struct sum_state *d = dst;
    const struct sum_state *s = src;
    if (!s->seen) return SLUICE_OK;
    if (b->type == SLUICE_TYPE_LONG) d->v.l += s->v.l;
    else d->v.d += s->v.d;
    d->seen = 1;
    return SLUICE_OK;
}

static int sum_finalize(const struct sluice_host *host, const void *bound, const void *state,
                        struct sluice_builder *out, struct sluice_error *err)
{
    const struct sum_bound *b = bound;
    const struct sum_state *s = state;
    if (!s->seen) {
        host->append_null(out);
    } else if (b->type == SLUICE_TYPE_LONG) {
        int64_t v;
        memcpy(&v, &s->v.l, sizeof v); /* the wrapped bits, without an out-of-range conversion */
        host->append_long(out, v);
    } else {
        host->append_double(out, s->v.d);
    }
    return SLUICE_OK;
}

static int sum_serialize(const struct sluice_host *host, const void *bound, const void *state,
                         struct sluice_buf *out, struct sluice_error *err)
{
    const struct sum_bound *b = bound;
    const struct sum_state *s = state;
    uint8_t rec[SUM_SAVED_BYTES] = { (uint8_t)b->type, s->seen };
    sluice_put_le64(rec + 2, b->type == SLUICE_TYPE_LONG ? s->v.l : sluice_double_bits(s->v.d));
    if (sluice_buf_append(out, rec, sizeof rec))
        return host->error(err, SLUICE_ENOMEM, "out of memory saving sum state");
    return SLUICE_OK;
}

static int sum_deserialize(const struct sluice_host *host, const void *bound, void *state, uint32_t version,
                           const char *data, size_t len, struct sluice_error *err)
{
    const struct sum_bound *b = bound;
    struct sum_state *s = state;
    sum_init(bound, state);
    const uint8_t *p = (const uint8_t *)data;
    if (len != SUM_SAVED_BYTES || p[1] > 1)
        return host->error(err, SLUICE_EDATA, "corrupt sum state (%zu bytes)", len);
    if (p[0] != b->type)
        return host->error(err, SLUICE_EDATA, "saved sum state is for %s values, not %s",
                              sluice_type_name((enum sluice_type)p[0]), sluice_type_name(b->type));
    uint64_t bits = sluice_get_le64(p + 2);
    if (b->type == SLUICE_TYPE_LONG) s->v.l = bits;
    else s->v.d = sluice_bits_double(bits);
    s->seen = p[1];
    return SLUICE_OK;
}

SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void)
{
    static const struct sluice_plugin p = {
        .abi_version = SLUICE_ABI_VERSION,
        .size = sizeof(struct sluice_plugin),
        .kind = SLUICE_KIND_AGGREGATOR,
        .name = "sum",
        .summary = "sum(x): the total of a long (long, wrapping on overflow) or double column; null when no values",
        .bind = sum_bind,
        .unbind = sum_unbind,
        .init = sum_init,
        .update = sum_update,
        .merge = sum_merge,
        .finalize = sum_finalize,
        .serialize = sum_serialize,
        .deserialize = sum_deserialize,
    };
    return &p;
}
