/* sum: Spark's sum(x) over longs, doubles or decimals.
 *
 *   aggregate = ["sum(data.public_metrics.like_count) AS likes"];
 *
 * A long argument gives a long result that wraps around on overflow, as
 * Spark's sum does with ANSI mode off (the default); the addition is done
 * in unsigned arithmetic so the wrap is defined behaviour. A double
 * argument gives a double. A DECIMAL(p, s) gives DECIMAL(p + 10, s) (at
 * most 38 digits), exact, and null once the sum has more digits than that
 * (Spark's overflow without ANSI mode). Nulls are skipped; a group that saw
 * no non-null value sums to null, as in Spark.
 *
 * State: the running sum, whether any value was seen and whether a decimal
 * sum overflowed (32 bytes). Checkpoint format: the argument's sluice type
 * (one byte), seen (one byte), then the sum's 64 bits little-endian, or for
 * a decimal overflowed (one byte) and its 16 bytes little-endian. */
#include <stdlib.h>

#include <sluice/plugin.h>

#include <sluice/agg.h>

#include "../common/agg_decimal.h"

struct sum_bound {
    const struct sluice_host *host;
    enum sluice_type type; /* LONG, DOUBLE or DECIMAL */
    int precision;         /* a decimal result's */
    char format[48];
};

struct sum_state {
    union {
        uint64_t l; /* two's-complement sum of longs */
        double d;
        agg_dec_state x; /* unscaled decimal sum */
    } v;
    uint8_t seen;
    uint8_t overflow; /* a decimal sum left 128 bits */
};

#define SUM_SAVED_BYTES 10
#define SUM_SAVED_DECIMAL_BYTES 19

static int sum_bind(const struct sluice_host *host, const struct ArrowSchema *arg,
                    const struct sluice_agg_param *params, size_t n_params, void **bound,
                    struct sluice_agg_info *info, struct sluice_error *err)
{
    (void)params;
    if (!arg) return host->error(err, SLUICE_ECONFIG, "function 'sum' needs an argument, not *");
    if (n_params > 0)
        return host->error(err, SLUICE_ECONFIG, "function 'sum' takes one argument, got %zu", n_params + 1);
    enum sluice_type t = sluice_type_of(arg);
    if (t != SLUICE_TYPE_LONG && t != SLUICE_TYPE_DOUBLE && t != SLUICE_TYPE_DECIMAL)
        return host->error(err, SLUICE_ECONFIG, "function 'sum' expects a number, got %s", sluice_type_name(t));
    if (t == SLUICE_TYPE_DECIMAL && !SLUICE_HOST_HAS(host, append_decimal))
        return host->error(err, SLUICE_ECONFIG, "function 'sum' of a decimal needs a sluice with decimals");
    struct sum_bound *b = malloc(sizeof *b);
    if (!b) return host->error(err, SLUICE_ENOMEM, "out of memory binding 'sum'");
    b->host = host;
    b->type = t;
    *bound = b;
    info->result_format = t == SLUICE_TYPE_LONG ? SLUICE_FORMAT_LONG : SLUICE_FORMAT_DOUBLE;
    if (t == SLUICE_TYPE_DECIMAL) {
        int p, s, scale;
        sluice_decimal_params(arg, &p, &s);
        info->result_format = agg_dec_format(p + 10, s, &b->precision, &scale, b->format);
    }
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
    } else if (b->type == SLUICE_TYPE_DECIMAL) {
        for (int64_t i = 0; i < n; i++) {
            struct sum_state *s = states[i];
            if (!s || (valid && !sluice_bit_get(valid, off + i))) continue;
            s->overflow |= __builtin_add_overflow(s->v.x, sluice_get_decimal(arg, off + i), &s->v.x);
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
    else if (b->type == SLUICE_TYPE_DECIMAL) d->overflow |= s->overflow | __builtin_add_overflow(d->v.x, s->v.x, &d->v.x);
    else d->v.d += s->v.d;
    d->seen = 1;
    return SLUICE_OK;
}

static int sum_finalize(const struct sluice_host *host, const void *bound, const void *state,
                        struct sluice_builder *out, struct sluice_error *err)
{
    const struct sum_bound *b = bound;
    const struct sum_state *s = state;
    if (!s->seen || (b->type == SLUICE_TYPE_DECIMAL && (s->overflow || !agg_dec_fits(s->v.x, b->precision)))) {
        host->append_null(out);
    } else if (b->type == SLUICE_TYPE_DECIMAL) {
        uint8_t le[16];
        agg_dec_put(s->v.x, le);
        host->append_decimal(out, le);
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
    uint8_t rec[SUM_SAVED_DECIMAL_BYTES] = { (uint8_t)b->type, s->seen };
    size_t n = SUM_SAVED_BYTES;
    if (b->type == SLUICE_TYPE_DECIMAL) {
        rec[2] = s->overflow;
        agg_dec_put(s->v.x, rec + 3);
        n = SUM_SAVED_DECIMAL_BYTES;
    } else {
        sluice_put_le64(rec + 2, b->type == SLUICE_TYPE_LONG ? s->v.l : sluice_double_bits(s->v.d));
    }
    if (sluice_buf_append(out, rec, n))
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
    if (len < 2 || p[1] > 1 || len != (p[0] == SLUICE_TYPE_DECIMAL ? SUM_SAVED_DECIMAL_BYTES : SUM_SAVED_BYTES))
        return host->error(err, SLUICE_EDATA, "corrupt sum state (%zu bytes)", len);
    if (p[0] != b->type)
        return host->error(err, SLUICE_EDATA, "saved sum state is for %s values, not %s",
                              sluice_type_name((enum sluice_type)p[0]), sluice_type_name(b->type));
    if (b->type == SLUICE_TYPE_DECIMAL) {
        s->overflow = p[2] != 0;
        s->v.x = agg_dec_get(p + 3);
        s->seen = p[1];
        return SLUICE_OK;
    }
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
        .summary = "sum(x): the total of a long (long, wrapping on overflow), double or decimal(p,s) "
                   "(decimal(p+10,s), null on overflow) column; null when no values",
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
