/* avg: Spark's avg(x) (also mean) over longs, doubles or decimals.
 *
 *   aggregate = ["avg(data.public_metrics.like_count) AS avg_likes"];
 *
 * A long or double argument gives a double: as Spark's Average does for a
 * non-decimal argument, each value is converted to double and added to a
 * double sum, and the result is sum / count. A DECIMAL(p, s) gives
 * DECIMAL(p + 4, s + 4), as Spark computes it: the exact sum (null once it
 * passes p + 10 digits), divided by the count at Spark's division scale and
 * rounded half up, then rounded half up to s + 4. Nulls are skipped, and a
 * group that saw no non-null value averages to null.
 *
 * State: the sum (a double, or a decimal and whether it overflowed) and the
 * count (32 bytes). Checkpoint format: the argument's sluice type (one
 * byte), the sum's 64 bits little-endian, or for a decimal overflowed (one
 * byte) and its 16 bytes little-endian, then the count as an unsigned
 * varint. */
#include <stdlib.h>
#include <string.h>

#include <sluice/plugin.h>

#include <sluice/agg.h>

#include "../common/agg_decimal.h"

struct avg_bound {
    enum sluice_type type; /* LONG, DOUBLE or DECIMAL */
    int scale;             /* a decimal argument's */
    int sum_precision;     /* Spark's sum type: DECIMAL(p + 10, s), bounded */
    int div_scale;         /* Spark's scale of sum / count */
    int precision, out_scale; /* the result's: DECIMAL(p + 4, s + 4), bounded */
    char format[48];
};

struct avg_state {
    union {
        double d;
        agg_dec_state x;
    } sum;
    int64_t n;
    uint8_t overflow; /* a decimal sum left 128 bits */
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
    if (t != SLUICE_TYPE_LONG && t != SLUICE_TYPE_DOUBLE && t != SLUICE_TYPE_DECIMAL)
        return host->error(err, SLUICE_ECONFIG, "function 'avg' expects a number, got %s", sluice_type_name(t));
    if (t == SLUICE_TYPE_DECIMAL && !SLUICE_HOST_HAS(host, append_decimal))
        return host->error(err, SLUICE_ECONFIG, "function 'avg' of a decimal needs a sluice with decimals");
    struct avg_bound *b = calloc(1, sizeof *b);
    if (!b) return host->error(err, SLUICE_ENOMEM, "out of memory binding 'avg'");
    b->type = t;
    *bound = b;
    info->result_format = SLUICE_FORMAT_DOUBLE;
    if (t == SLUICE_TYPE_DECIMAL) {
        int p, s, ss;
        sluice_decimal_params(arg, &p, &s);
        b->scale = s;
        char unused[48];
        agg_dec_format(p + 10, s, &b->sum_precision, &ss, unused);
        /* Spark's Divide(sum, count AS DECIMAL(20,0)), DecimalPrecision with precision loss allowed. */
        int scale = s + 21 > 6 ? s + 21 : 6, prec = b->sum_precision - s + scale;
        if (prec > SLUICE_DECIMAL_MAX_PRECISION) {
            int int_digits = prec - scale, min_scale = scale < 6 ? scale : 6;
            scale = SLUICE_DECIMAL_MAX_PRECISION - int_digits > min_scale ? SLUICE_DECIMAL_MAX_PRECISION - int_digits
                                                                         : min_scale;
        }
        b->div_scale = scale;
        info->result_format = agg_dec_format(p + 4, s + 4, &b->precision, &b->out_scale, b->format);
    }
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
    memset(s, 0, sizeof *s); /* also +0.0 for a double sum */
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
            s->sum.d += (double)v[off + i];
            s->n++;
        }
    } else if (b->type == SLUICE_TYPE_DECIMAL) {
        for (int64_t i = 0; i < n; i++) {
            struct avg_state *s = states[i];
            if (!s || (valid && !sluice_bit_get(valid, off + i))) continue;
            s->overflow |= __builtin_add_overflow(s->sum.x, sluice_get_decimal(arg, off + i), &s->sum.x);
            s->n++;
        }
    } else {
        const double *v = (const double *)arg->buffers[1];
        for (int64_t i = 0; i < n; i++) {
            struct avg_state *s = states[i];
            if (!s || (valid && !sluice_bit_get(valid, off + i))) continue;
            s->sum.d += v[off + i];
            s->n++;
        }
    }
    return SLUICE_OK;
}

static int avg_merge(const struct sluice_host *host, const void *bound, void *dst, const void *src,
                     struct sluice_error *err)
{
    const struct avg_bound *b = bound;
    struct avg_state *d = dst;
    const struct avg_state *s = src;
    if (b->type == SLUICE_TYPE_DECIMAL) d->overflow |= s->overflow | __builtin_add_overflow(d->sum.x, s->sum.x, &d->sum.x);
    else d->sum.d += s->sum.d;
    d->n += s->n;
    return SLUICE_OK;
}

/* sum / n as Spark computes a decimal average: the quotient digit by
 * digit to the division's scale, rounded half up, then rounded half up to
 * the result's scale; false when it does not fit the result. */
static bool decimal_mean(const struct avg_bound *b, agg_dec sum, int64_t n, agg_dec *out)
{
    bool neg = sum < 0;
    unsigned __int128 mag = neg ? (unsigned __int128)0 - (unsigned __int128)sum : (unsigned __int128)sum;
    unsigned __int128 q = mag / (uint64_t)n, r = mag % (uint64_t)n;
    for (int k = b->scale; k < b->div_scale; k++) {
        r *= 10;
        if (q > (((unsigned __int128)1 << 126) / 10)) return false;
        q = q * 10 + r / (uint64_t)n;
        r %= (uint64_t)n;
    }
    if (2 * r >= (unsigned __int128)n) q++;
    for (int k = b->div_scale; k > b->out_scale; k--) {
        unsigned digit = (unsigned)(q % 10);
        q /= 10;
        if (k == b->out_scale + 1 && digit >= 5) q++;
    }
    for (int k = b->div_scale; k < b->out_scale; k++) q *= 10;
    agg_dec v = neg ? -(agg_dec)q : (agg_dec)q;
    if (!agg_dec_fits(v, b->precision)) return false;
    *out = v;
    return true;
}

static int avg_finalize(const struct sluice_host *host, const void *bound, const void *state,
                        struct sluice_builder *out, struct sluice_error *err)
{
    const struct avg_bound *b = bound;
    const struct avg_state *s = state;
    if (s->n == 0) {
        host->append_null(out);
    } else if (b->type == SLUICE_TYPE_DECIMAL) {
        agg_dec mean;
        if (s->overflow || !agg_dec_fits(s->sum.x, b->sum_precision) || !decimal_mean(b, s->sum.x, s->n, &mean)) {
            host->append_null(out);
        } else {
            uint8_t le[16];
            agg_dec_put(mean, le);
            host->append_decimal(out, le);
        }
    } else {
        host->append_double(out, s->sum.d / (double)s->n);
    }
    return SLUICE_OK;
}

static int avg_serialize(const struct sluice_host *host, const void *bound, const void *state,
                         struct sluice_buf *out, struct sluice_error *err)
{
    const struct avg_bound *b = bound;
    const struct avg_state *s = state;
    uint8_t rec[1 + 17 + SLUICE_VARINT_MAX] = { (uint8_t)b->type };
    size_t len = 9;
    if (b->type == SLUICE_TYPE_DECIMAL) {
        rec[1] = s->overflow;
        agg_dec_put(s->sum.x, rec + 2);
        len = 18;
    } else {
        sluice_put_le64(rec + 1, sluice_double_bits(s->sum.d));
    }
    len += sluice_varint_encode(rec + len, (uint64_t)s->n);
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
    bool dec = b->type == SLUICE_TYPE_DECIMAL;
    const uint8_t *q = p + (dec ? 18 : 9);
    if ((dec && len < 19) || !sluice_varint_decode(&q, end, &n) || q != end || n > (uint64_t)INT64_MAX)
        return host->error(err, SLUICE_EDATA, "corrupt avg state (%zu bytes)", len);
    if (dec) {
        s->overflow = p[1] != 0;
        s->sum.x = agg_dec_get(p + 2);
    } else {
        s->sum.d = sluice_bits_double(sluice_get_le64(p + 1));
    }
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
        .summary = "avg(x): the mean of a long or double column (double), or of a decimal(p,s) one "
                   "(decimal(p+4,s+4)); null when no values",
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
