/* plugins/common/agg_extreme.h — the whole of Spark's min(x) and max(x),
 * compiled into agg_min/min.c and agg_max/max.c, which define
 * AGG_EXTREME_MAX (0 or 1) and AGG_EXTREME_NAME before including it and
 * add only their descriptor. One implementation, so the two cannot drift
 * apart in how they order values; the direction is a compile-time
 * constant, so each .so's loops carry no direction test.
 *
 * Semantics (Spark's Min/Max, with the argument's type as the result's):
 * - long, timestamp: numeric order; boolean: false < true;
 * - double: Spark's SQL order, where NaN is greater than every number and
 *   equal to every NaN, and -0.0 equals 0.0;
 * - string: byte-wise order of the UTF-8 (Spark's UTF8String.compareTo);
 * - decimal: numeric order (one column's values share one scale);
 * - nulls are skipped; a group that saw no non-null value gives null;
 * - on a tie the value seen first stays (Spark's Least/Greatest replace
 *   only on strictly less/greater), which shows for -0.0 against 0.0.
 *
 * State (40 bytes): the value, and for strings a heap copy the state owns
 * (bind sets has_destroy for strings only), grown only when a longer
 * extreme arrives and rewritten only when the extreme changes.
 * Checkpoint format: the argument's sluice type (one byte), seen (one
 * byte), then the value: 8 bytes little-endian for long, timestamp and
 * double, 16 for decimal, one byte for boolean, a varint length and the
 * bytes for string. */
#ifndef SLUICE_PLUGINS_AGG_EXTREME_H
#define SLUICE_PLUGINS_AGG_EXTREME_H

#include <stdlib.h>
#include <string.h>

#include <sluice/plugin.h>

#include <sluice/agg.h>

#include "agg_decimal.h"

#if !defined(AGG_EXTREME_MAX) || !defined(AGG_EXTREME_NAME)
#error "define AGG_EXTREME_MAX (0: min, 1: max) and AGG_EXTREME_NAME before including agg_extreme.h"
#endif

struct ext_bound {
    const struct sluice_host *host;
    enum sluice_type type;
    char format[48]; /* a decimal's, the argument's own */
};

struct ext_state {
    union {
        int64_t l; /* long, timestamp, boolean (0 or 1) */
        double d;
        agg_dec_state x; /* decimal: unscaled */
    } v;
    char *str;    /* string: the extreme's bytes (owned), NULL until one is longer than 0 */
    uint32_t len; /* string: its length */
    uint32_t cap; /* string: bytes allocated at str */
    uint8_t seen;
};

/* ---- Spark's order ---- */

/* A strict "x beats the current extreme" for the compiled direction. */
#define EXT_BEATS(cmp) (AGG_EXTREME_MAX ? (cmp) > 0 : (cmp) < 0)

static inline int ext_cmp_long(int64_t a, int64_t b)
{
    return (a > b) - (a < b);
}

/* Spark's SQLOrderingUtil.compareDoubles: NaN is the greatest value and
 * equals itself; -0.0 equals 0.0 (== already says so). */
static inline int ext_cmp_double(double a, double b)
{
    if (a < b) return -1;
    if (a > b) return 1;
    if (a == b) return 0;
    bool an = a != a, bn = b != b;
    return an && bn ? 0 : an ? 1 : -1;
}

/* Unsigned byte order, then length: UTF8String.compareTo. */
static inline int ext_cmp_string(const char *a, size_t alen, const char *b, size_t blen)
{
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c) return c;
    return (alen > blen) - (alen < blen);
}

/* False when out of memory, the state unchanged. */
static bool ext_set_string(struct ext_state *s, const char *p, uint32_t len)
{
    if (len > s->cap) {
        char *str = realloc(s->str, len);
        if (!str) return false;
        s->str = str;
        s->cap = len;
    }
    if (len) memcpy(s->str, p, len);
    s->len = len;
    s->seen = 1;
    return true;
}

/* ---- callbacks ---- */

static int ext_bind(const struct sluice_host *host, const struct ArrowSchema *arg,
                    const struct sluice_agg_param *params, size_t n_params, void **bound,
                    struct sluice_agg_info *info, struct sluice_error *err)
{
    (void)params;
    if (!arg) return host->error(err, SLUICE_ECONFIG, "function '%s' needs an argument, not *", AGG_EXTREME_NAME);
    if (n_params > 0)
        return host->error(err, SLUICE_ECONFIG, "function '%s' takes one argument, got %zu", AGG_EXTREME_NAME,
                           n_params + 1);
    enum sluice_type t = sluice_type_of(arg);
    const char *format;
    switch (t) {
    case SLUICE_TYPE_BOOLEAN: format = SLUICE_FORMAT_BOOLEAN; break;
    case SLUICE_TYPE_LONG: format = SLUICE_FORMAT_LONG; break;
    case SLUICE_TYPE_DOUBLE: format = SLUICE_FORMAT_DOUBLE; break;
    case SLUICE_TYPE_STRING: format = SLUICE_FORMAT_STRING; break;
    case SLUICE_TYPE_TIMESTAMP: format = SLUICE_FORMAT_TIMESTAMP; break;
    case SLUICE_TYPE_DATE:
        if (!SLUICE_HOST_HAS(host, append_date)) goto unsupported;
        format = SLUICE_FORMAT_DATE;
        break;
    case SLUICE_TYPE_DECIMAL:
        if (!SLUICE_HOST_HAS(host, append_decimal)) goto unsupported;
        format = arg->format;
        break;
    default:
    unsupported:
        return host->error(err, SLUICE_ECONFIG,
                           "function '%s' expects a boolean, long, double, decimal, string, timestamp or date, got %s",
                           AGG_EXTREME_NAME, sluice_type_name(t));
    }
    struct ext_bound *b = malloc(sizeof *b);
    if (!b) return host->error(err, SLUICE_ENOMEM, "out of memory binding '%s'", AGG_EXTREME_NAME);
    b->host = host;
    b->type = t;
    snprintf(b->format, sizeof b->format, "%s", format);
    *bound = b;
    info->result_format = b->format;
    info->state_size = sizeof(struct ext_state);
    info->has_destroy = t == SLUICE_TYPE_STRING;
    return SLUICE_OK;
}

static void ext_unbind(void *bound)
{
    free(bound);
}

static void ext_init(const void *bound, void *state)
{
    (void)bound;
    memset(state, 0, sizeof(struct ext_state));
}

static void ext_destroy(const void *bound, void *state)
{
    (void)bound;
    struct ext_state *s = state;
    free(s->str);
    s->str = NULL;
    s->len = s->cap = 0;
}

static int ext_update(const struct sluice_host *host, const void *bound, void *const *states,
                      const struct ArrowArray *arg, int64_t n, struct sluice_error *err)
{
    const struct ext_bound *b = bound;
    const uint8_t *valid = sluice_agg_validity(arg);
    int64_t off = arg->offset;
#define EXT_SKIP(s, i) (!(s) || (valid && !sluice_bit_get(valid, off + (i))))
    switch (b->type) {
    case SLUICE_TYPE_LONG:
    case SLUICE_TYPE_TIMESTAMP:
    case SLUICE_TYPE_DATE: { /* a date's days widen to the state's long */
        const int64_t *v = (const int64_t *)arg->buffers[1];
        const int32_t *days = (const int32_t *)arg->buffers[1];
        bool narrow = b->type == SLUICE_TYPE_DATE;
        for (int64_t i = 0; i < n; i++) {
            struct ext_state *s = states[i];
            if (EXT_SKIP(s, i)) continue;
            int64_t x = narrow ? days[off + i] : v[off + i];
            if (!s->seen || EXT_BEATS(ext_cmp_long(x, s->v.l))) {
                s->v.l = x;
                s->seen = 1;
            }
        }
        break;
    }
    case SLUICE_TYPE_DOUBLE: {
        const double *v = (const double *)arg->buffers[1];
        for (int64_t i = 0; i < n; i++) {
            struct ext_state *s = states[i];
            if (EXT_SKIP(s, i)) continue;
            double x = v[off + i];
            if (!s->seen || EXT_BEATS(ext_cmp_double(x, s->v.d))) {
                s->v.d = x;
                s->seen = 1;
            }
        }
        break;
    }
    case SLUICE_TYPE_DECIMAL:
        for (int64_t i = 0; i < n; i++) {
            struct ext_state *s = states[i];
            if (EXT_SKIP(s, i)) continue;
            agg_dec x = sluice_get_decimal(arg, off + i);
            if (!s->seen || EXT_BEATS((x > s->v.x) - (x < s->v.x))) {
                s->v.x = x;
                s->seen = 1;
            }
        }
        break;
    case SLUICE_TYPE_BOOLEAN: {
        const uint8_t *v = (const uint8_t *)arg->buffers[1];
        for (int64_t i = 0; i < n; i++) {
            struct ext_state *s = states[i];
            if (EXT_SKIP(s, i)) continue;
            int64_t x = sluice_bit_get(v, off + i);
            if (!s->seen || EXT_BEATS(ext_cmp_long(x, s->v.l))) {
                s->v.l = x;
                s->seen = 1;
            }
        }
        break;
    }
    case SLUICE_TYPE_STRING: {
        const int32_t *offs = (const int32_t *)arg->buffers[1];
        const char *data = arg->buffers[2] ? (const char *)arg->buffers[2] : "";
        for (int64_t i = 0; i < n; i++) {
            struct ext_state *s = states[i];
            if (EXT_SKIP(s, i)) continue;
            const char *x = data + offs[off + i];
            uint32_t len = (uint32_t)(offs[off + i + 1] - offs[off + i]);
            if ((!s->seen || EXT_BEATS(ext_cmp_string(x, len, s->str, s->len))) && !ext_set_string(s, x, len))
                return host->error(err, SLUICE_ENOMEM, "out of memory keeping a %s string", AGG_EXTREME_NAME);
        }
        break;
    }
    default:
        break; /* bind admits no other type */
    }
#undef EXT_SKIP
    return SLUICE_OK;
}

static int ext_merge(const struct sluice_host *host, const void *bound, void *dst, const void *src,
                     struct sluice_error *err)
{
    const struct ext_bound *b = bound;
    struct ext_state *d = dst;
    const struct ext_state *s = src;
    if (!s->seen) return SLUICE_OK;
    int cmp;
    switch (b->type) {
    case SLUICE_TYPE_DOUBLE: cmp = d->seen ? ext_cmp_double(s->v.d, d->v.d) : 0; break;
    case SLUICE_TYPE_STRING: cmp = d->seen ? ext_cmp_string(s->str, s->len, d->str, d->len) : 0; break;
    case SLUICE_TYPE_DECIMAL: cmp = d->seen ? (s->v.x > d->v.x) - (s->v.x < d->v.x) : 0; break;
    default: cmp = d->seen ? ext_cmp_long(s->v.l, d->v.l) : 0; break;
    }
    if (d->seen && !EXT_BEATS(cmp)) return SLUICE_OK;
    if (b->type != SLUICE_TYPE_STRING) d->v = s->v;
    else if (!ext_set_string(d, s->str, s->len))
        return host->error(err, SLUICE_ENOMEM, "out of memory keeping a %s string", AGG_EXTREME_NAME);
    d->seen = 1;
    return SLUICE_OK;
}

static int ext_finalize(const struct sluice_host *host, const void *bound, const void *state,
                        struct sluice_builder *out, struct sluice_error *err)
{
    const struct ext_bound *b = bound;
    const struct ext_state *s = state;
    const struct sluice_host *h = b->host;
    if (!s->seen) {
        h->append_null(out);
        return SLUICE_OK;
    }
    switch (b->type) {
    case SLUICE_TYPE_LONG: h->append_long(out, s->v.l); break;
    case SLUICE_TYPE_TIMESTAMP: h->append_timestamp(out, s->v.l); break;
    case SLUICE_TYPE_DATE: h->append_date(out, (int32_t)s->v.l); break;
    case SLUICE_TYPE_DOUBLE: h->append_double(out, s->v.d); break;
    case SLUICE_TYPE_BOOLEAN: h->append_bool(out, s->v.l != 0); break;
    case SLUICE_TYPE_STRING: h->append_string(out, s->str ? s->str : "", s->len); break;
    case SLUICE_TYPE_DECIMAL: {
        uint8_t le[16];
        agg_dec_put(s->v.x, le);
        h->append_decimal(out, le);
        break;
    }
    default: h->append_null(out); break;
    }
    return SLUICE_OK;
}

static int ext_serialize(const struct sluice_host *host, const void *bound, const void *state,
                         struct sluice_buf *out, struct sluice_error *err)
{
    const struct ext_bound *b = bound;
    const struct ext_state *s = state;
    uint8_t rec[2 + 16 + SLUICE_VARINT_MAX] = { (uint8_t)b->type, s->seen };
    size_t len = 2;
    if (s->seen) {
        switch (b->type) {
        case SLUICE_TYPE_BOOLEAN: rec[len++] = (uint8_t)s->v.l; break;
        case SLUICE_TYPE_DECIMAL: agg_dec_put(s->v.x, rec + len); len += 16; break;
        case SLUICE_TYPE_STRING: len += sluice_varint_encode(rec + len, s->len); break;
        case SLUICE_TYPE_DOUBLE: sluice_put_le64(rec + len, sluice_double_bits(s->v.d)); len += 8; break;
        default: sluice_put_le64(rec + len, (uint64_t)s->v.l); len += 8; break;
        }
    }
    int rc = sluice_buf_append(out, rec, len);
    if (rc == SLUICE_OK && s->seen && b->type == SLUICE_TYPE_STRING && s->len)
        rc = sluice_buf_append(out, s->str, s->len);
    if (rc) return host->error(err, SLUICE_ENOMEM, "out of memory saving %s state", AGG_EXTREME_NAME);
    return SLUICE_OK;
}

static int ext_deserialize(const struct sluice_host *host, const void *bound, void *state, uint32_t version,
                           const char *data, size_t len, struct sluice_error *err)
{
    const struct ext_bound *b = bound;
    struct ext_state *s = state;
    ext_init(bound, state);
    const uint8_t *p = (const uint8_t *)data, *end = len ? p + len : p;
    if (len < 2 || p[1] > 1) goto corrupt;
    if (p[0] != b->type)
        return host->error(err, SLUICE_EDATA, "saved %s state is for %s values, not %s", AGG_EXTREME_NAME,
                              sluice_type_name((enum sluice_type)p[0]), sluice_type_name(b->type));
    p += 2;
    if (!data[1]) {
        if (p != end) goto corrupt;
        return SLUICE_OK;
    }
    switch (b->type) {
    case SLUICE_TYPE_BOOLEAN:
        if (end - p != 1 || *p > 1) goto corrupt;
        s->v.l = *p;
        break;
    case SLUICE_TYPE_DECIMAL:
        if (end - p != 16) goto corrupt;
        s->v.x = agg_dec_get(p);
        break;
    case SLUICE_TYPE_STRING: {
        uint64_t n;
        if (!sluice_varint_decode(&p, end, &n) || n != (uint64_t)(end - p) || n > INT32_MAX) goto corrupt;
        if (!ext_set_string(s, (const char *)p, (uint32_t)n))
            return host->error(err, SLUICE_ENOMEM, "out of memory loading %s state", AGG_EXTREME_NAME);
        break;
    }
    default: {
        if (end - p != 8) goto corrupt;
        uint64_t bits = sluice_get_le64(p);
        if (b->type == SLUICE_TYPE_DOUBLE) s->v.d = sluice_bits_double(bits);
        else memcpy(&s->v.l, &bits, sizeof s->v.l); /* the two's-complement bits, as saved */
        break;
    }
    }
    s->seen = 1;
    return SLUICE_OK;
corrupt:
    return host->error(err, SLUICE_EDATA, "corrupt %s state (%zu bytes)", AGG_EXTREME_NAME, len);
}

/* The descriptor fields min.c and max.c share. */
#define AGG_EXTREME_CALLBACKS                                                             \
    .bind = ext_bind, .unbind = ext_unbind, .init = ext_init, .update = ext_update,       \
    .merge = ext_merge, .finalize = ext_finalize, .serialize = ext_serialize,             \
    .deserialize = ext_deserialize, .destroy = ext_destroy

#endif /* SLUICE_PLUGINS_AGG_EXTREME_H */
