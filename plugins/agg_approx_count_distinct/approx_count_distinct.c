/* approx_count_distinct: Spark's approx_count_distinct(x[, rsd]), the
 * HyperLogLog++ sketch of Spark's HyperLogLogPlusPlus.
 *
 *   aggregate = ["approx_count_distinct(hashtag) AS hashtags",
 *                "approx_count_distinct(data.author_id, 0.01) AS authors"];
 *
 * As in Spark: the relative standard deviation rsd defaults to 0.05; the
 * precision is p = ceil(2 * log2(1.106 / rsd)) (p = 9, 512 registers, by
 * default) and must be at least 4 (rsd below 0.391); each non-null value
 * is hashed with XxHash64 seeded 42 exactly as Spark's xxhash64() hashes
 * it (longs and timestamps as 8 bytes, booleans as the int 0 or 1,
 * doubles after turning -0.0 into 0.0 and every NaN into one, strings as
 * their UTF-8 bytes); the top p bits pick a register, which keeps the
 * largest count of leading zeros (plus one) seen in the rest. The result
 * is a long, never null (0 for no values). Merging takes the larger of
 * each pair of registers, so merged partial sketches equal the sketch of
 * a single pass exactly.
 *
 * The estimate follows Spark's: linear counting m * ln(m / V) (V: empty
 * registers) while it is at most the HLL++ paper's threshold for p, the
 * raw HyperLogLog estimate alpha * m^2 / sum(2^-M) from 5m on. One
 * deviation: between the two, Spark subtracts an empirical bias from the
 * raw estimate, looked up in the HLL++ paper's tables (some 6000 numbers);
 * this plugin uses Ertl's improved estimator there instead ("New
 * cardinality estimation algorithms for HyperLogLog sketches", 2017),
 * which needs no tables and is as accurate, so results outside that range
 * match Spark's to the unit and results inside it differ by well under
 * rsd. Precision is capped at 18 (rsd at least 0.00216; 256 KiB per group).
 *
 * State: the registers, one byte each (2^p bytes). Checkpoint format: p
 * (one byte), then the 2^p registers. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/plugin.h>

#include "../common/agg_decimal.h"
#include "../common/agg_util.h"

#define HLL_DEFAULT_RSD 0.05
#define HLL_MIN_P 4
#define HLL_MAX_P 18

/* The HLL++ paper's empirical thresholds below which linear counting is
 * the better estimate, for p = 4 .. 18 (as Spark's THRESHOLDS). */
static const double hll_thresholds[HLL_MAX_P - HLL_MIN_P + 1] = {
    10, 20, 40, 80, 220, 400, 900, 1800, 3100, 6500, 11500, 20000, 50000, 120000, 350000,
};

struct hll_bound {
    const struct sluice_host *host;
    enum sluice_type type;
    int dec_precision; /* a decimal argument's: Spark hashes up to 18 digits as a long */
    unsigned p;  /* precision: the top p hash bits pick the register */
    uint32_t m;  /* registers: 2^p */
    double alpha_m2;
};

/* ---- the sketch ---- */

/* Ertl's sigma and tau (section 4 of the paper): the corrections for
 * empty and for saturated registers that make the estimate unbiased over
 * the whole range. Both series converge in a few dozen steps. */
static double hll_sigma(double x)
{
    if (x == 1.0) return INFINITY;
    double y = 1.0, z = x, prev;
    do {
        x *= x;
        prev = z;
        z += x * y;
        y += y;
    } while (z != prev);
    return z;
}

static double hll_tau(double x)
{
    if (x == 0.0 || x == 1.0) return 0.0;
    double y = 1.0, z = 1.0 - x, prev;
    do {
        x = sqrt(x);
        prev = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
    } while (z != prev);
    return z / 3.0;
}

static int64_t hll_estimate(const struct hll_bound *b, const uint8_t *reg)
{
    unsigned q = 64 - b->p; /* register values run 0 .. q + 1 */
    uint32_t hist[66] = { 0 };
    for (uint32_t j = 0; j < b->m; j++) hist[reg[j]]++;
    double m = b->m, zinv = 0.0;
    for (unsigned k = 0; k <= q + 1; k++) zinv += ldexp((double)hist[k], -(int)k);
    double raw = b->alpha_m2 / zinv;
    if (hist[0] > 0) {
        double h = m * log(m / hist[0]);
        if (h <= hll_thresholds[b->p - HLL_MIN_P]) return (int64_t)floor(h + 0.5);
    }
    if (raw >= 5.0 * m) return (int64_t)floor(raw + 0.5);
    /* Spark's bias-corrected range (see the top of the file). */
    double z = m * hll_tau((m - hist[q + 1]) / m);
    for (unsigned k = q; k >= 1; k--) z = 0.5 * (z + hist[k]);
    z += m * hll_sigma(hist[0] / m);
    return (int64_t)floor(0.5 / log(2.0) * m * m / z + 0.5);
}

/* ---- callbacks ---- */

static int hll_bind(const struct sluice_host *host, const struct ArrowSchema *arg,
                    const struct sluice_agg_param *params, size_t n_params, void **bound,
                    struct sluice_agg_info *info, struct sluice_error *err)
{
    if (!arg) return host->error(err, SLUICE_ECONFIG, "function 'approx_count_distinct' needs an argument, not *");
    if (n_params > 1)
        return host->error(err, SLUICE_ECONFIG, "function 'approx_count_distinct' takes 1 or 2 arguments, got %zu",
                           n_params + 1);
    enum sluice_type t = sluice_type_of(arg);
    if (t != SLUICE_TYPE_BOOLEAN && t != SLUICE_TYPE_LONG && t != SLUICE_TYPE_DOUBLE && t != SLUICE_TYPE_STRING &&
        t != SLUICE_TYPE_TIMESTAMP && t != SLUICE_TYPE_DATE && t != SLUICE_TYPE_DECIMAL)
        return host->error(err, SLUICE_ECONFIG,
                           "function 'approx_count_distinct' expects a boolean, long, double, decimal, string, "
                           "timestamp or date, got %s", sluice_type_name(t));
    double rsd = HLL_DEFAULT_RSD;
    if (n_params == 1) {
        bool number = params[0].type == SLUICE_TYPE_DOUBLE || params[0].type == SLUICE_TYPE_LONG;
        rsd = params[0].d;
        if (!number || !(rsd > 0.0) || isinf(rsd))
            return host->error(err, SLUICE_ECONFIG,
                               "approx_count_distinct's relative error must be a positive number, got %s",
                               params[0].text);
    }
    double pd = ceil(2.0 * log(1.106 / rsd) / log(2.0));
    if (pd < HLL_MIN_P)
        return host->error(err, SLUICE_ECONFIG,
                           "approx_count_distinct's relative error %g is too large: HyperLogLog++ needs at "
                           "least 4 bits of addressing, so at most 0.39", rsd);
    if (pd > HLL_MAX_P)
        return host->error(err, SLUICE_ECONFIG,
                           "approx_count_distinct's relative error %g is too small: the smallest supported is "
                           "0.00216 (2^18 registers per group)", rsd);
    struct hll_bound *b = malloc(sizeof *b);
    if (!b) return host->error(err, SLUICE_ENOMEM, "out of memory binding 'approx_count_distinct'");
    b->host = host;
    if (t == SLUICE_TYPE_DECIMAL) {
        int scale;
        sluice_decimal_params(arg, &b->dec_precision, &scale);
    }
    b->type = t;
    b->p = (unsigned)pd;
    b->m = UINT32_C(1) << b->p;
    double m = b->m;
    switch (b->p) { /* Spark's alpha * m^2 */
    case 4: b->alpha_m2 = 0.673 * m * m; break;
    case 5: b->alpha_m2 = 0.697 * m * m; break;
    case 6: b->alpha_m2 = 0.709 * m * m; break;
    default: b->alpha_m2 = 0.7213 / (1.0 + 1.079 / m) * m * m; break;
    }
    *bound = b;
    info->result_format = SLUICE_FORMAT_LONG;
    info->state_size = b->m; /* 2^p >= 16: a multiple of 8 */
    info->has_destroy = false;
    return SLUICE_OK;
}

static void hll_unbind(void *bound)
{
    free(bound);
}

static void hll_init(const void *bound, void *state)
{
    memset(state, 0, ((const struct hll_bound *)bound)->m);
}

/* Folds hash h into the registers: Spark's idx = h >>> (64 - p) and
 * pw = numberOfLeadingZeros((h << p) | 1 << (p - 1)) + 1. The padding bit
 * bounds pw by 64 - p + 1 and keeps the clz argument non-zero. */
static inline void hll_add(uint8_t *reg, uint64_t h, unsigned p, uint64_t pad)
{
    uint8_t pw = (uint8_t)(__builtin_clzll((h << p) | pad) + 1);
    uint8_t *r = reg + (h >> (64 - p));
    if (pw > *r) *r = pw;
}

static int hll_update(const struct sluice_host *host, const void *bound, void *const *states,
                      const struct ArrowArray *arg, int64_t n, struct sluice_error *err)
{
    const struct hll_bound *b = bound;
    const unsigned p = b->p;
    const uint64_t pad = UINT64_C(1) << (b->p - 1);
    const uint8_t *valid = sluice_agg_validity(arg);
    int64_t off = arg->offset;
#define HLL_SKIP(s, i) (!(s) || (valid && !sluice_bit_get(valid, off + (i))))
    switch (b->type) {
    case SLUICE_TYPE_LONG:
    case SLUICE_TYPE_TIMESTAMP: {
        const int64_t *v = (const int64_t *)arg->buffers[1];
        for (int64_t i = 0; i < n; i++)
            if (!HLL_SKIP(states[i], i))
                hll_add(states[i], agg_xxh64_long((uint64_t)v[off + i], AGG_SPARK_SEED), p, pad);
        break;
    }
    case SLUICE_TYPE_DOUBLE: {
        const double *v = (const double *)arg->buffers[1];
        for (int64_t i = 0; i < n; i++)
            if (!HLL_SKIP(states[i], i))
                hll_add(states[i], agg_xxh64_long(sluice_double_key(v[off + i]), AGG_SPARK_SEED), p, pad);
        break;
    }
    case SLUICE_TYPE_BOOLEAN: {
        const uint8_t *v = (const uint8_t *)arg->buffers[1];
        for (int64_t i = 0; i < n; i++)
            if (!HLL_SKIP(states[i], i))
                hll_add(states[i], agg_xxh64_int(sluice_bit_get(v, off + i), AGG_SPARK_SEED), p, pad);
        break;
    }
    case SLUICE_TYPE_DECIMAL: {
        for (int64_t i = 0; i < n; i++)
            if (!HLL_SKIP(states[i], i))
                hll_add(states[i],
                        agg_dec_hash(sluice_get_decimal(arg, off + i), b->dec_precision, agg_xxh64, agg_xxh64_long,
                                     AGG_SPARK_SEED),
                        p, pad);
        break;
    }
    case SLUICE_TYPE_DATE: { /* Spark hashes a date as the int it is */
        const int32_t *v = (const int32_t *)arg->buffers[1];
        for (int64_t i = 0; i < n; i++)
            if (!HLL_SKIP(states[i], i))
                hll_add(states[i], agg_xxh64_int((uint32_t)v[off + i], AGG_SPARK_SEED), p, pad);
        break;
    }
    case SLUICE_TYPE_STRING: {
        const int32_t *offs = (const int32_t *)arg->buffers[1];
        const char *data = arg->buffers[2] ? (const char *)arg->buffers[2] : "";
        for (int64_t i = 0; i < n; i++) {
            if (HLL_SKIP(states[i], i)) continue;
            int32_t start = offs[off + i];
            hll_add(states[i], agg_xxh64(data + start, (size_t)(offs[off + i + 1] - start), AGG_SPARK_SEED), p,
                    pad);
        }
        break;
    }
    default:
        break; /* bind admits no other type */
    }
#undef HLL_SKIP
    return SLUICE_OK;
}

static int hll_merge(const struct sluice_host *host, const void *bound, void *dst, const void *src,
                     struct sluice_error *err)
{
    const struct hll_bound *b = bound;
    uint8_t *d = dst;
    const uint8_t *s = src;
    for (uint32_t j = 0; j < b->m; j++) d[j] = s[j] > d[j] ? s[j] : d[j];
    return SLUICE_OK;
}

static int hll_finalize(const struct sluice_host *host, const void *bound, const void *state,
                        struct sluice_builder *out, struct sluice_error *err)
{
    const struct hll_bound *b = bound;
    host->append_long(out, hll_estimate(b, state));
    return SLUICE_OK;
}

static int hll_serialize(const struct sluice_host *host, const void *bound, const void *state,
                         struct sluice_buf *out, struct sluice_error *err)
{
    const struct hll_bound *b = bound;
    uint8_t p = (uint8_t)b->p;
    if (sluice_buf_append(out, &p, 1) || sluice_buf_append(out, state, b->m))
        return host->error(err, SLUICE_ENOMEM, "out of memory saving approx_count_distinct state");
    return SLUICE_OK;
}

static int hll_deserialize(const struct sluice_host *host, const void *bound, void *state, uint32_t version,
                           const char *data, size_t len, struct sluice_error *err)
{
    const struct hll_bound *b = bound;
    hll_init(bound, state);
    const uint8_t *p = (const uint8_t *)data;
    if (len >= 1 && p[0] != b->p)
        return host->error(err, SLUICE_EDATA,
                              "saved approx_count_distinct state has precision %u, not %u (was the relative "
                              "error changed?)", p[0], b->p);
    if (len != 1 + (size_t)b->m)
        return host->error(err, SLUICE_EDATA, "corrupt approx_count_distinct state (%zu bytes)", len);
    for (uint32_t j = 0; j < b->m; j++)
        if (p[1 + j] > 65 - b->p)
            return host->error(err, SLUICE_EDATA, "corrupt approx_count_distinct state (register %u is %u)",
                                  j, p[1 + j]);
    memcpy(state, p + 1, b->m);
    return SLUICE_OK;
}

SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void)
{
    static const struct sluice_plugin p = {
        .abi_version = SLUICE_ABI_VERSION,
        .size = sizeof(struct sluice_plugin),
        .kind = SLUICE_KIND_AGGREGATOR,
        .name = "approx_count_distinct",
        .summary = "approx_count_distinct(x[, rsd]): the number of distinct values estimated by HyperLogLog++ (long)",
        .bind = hll_bind,
        .unbind = hll_unbind,
        .init = hll_init,
        .update = hll_update,
        .merge = hll_merge,
        .finalize = hll_finalize,
        .serialize = hll_serialize,
        .deserialize = hll_deserialize,
    };
    return &p;
}
