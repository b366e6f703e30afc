/* count_distinct: Spark's count(DISTINCT x), exact.
 *
 *   aggregate = ["count(DISTINCT hashtag) AS hashtags"];
 *
 * The core maps count(DISTINCT x) to this aggregator. Spark rejects it on a
 * stream; sluice keeps each group's distinct values in its state instead.
 * The result is a long, never null: the number of distinct non-null values
 * (0 for none). Doubles are compared as Spark groups them: -0.0 is 0.0 and
 * every NaN is the same value.
 *
 * State (48 bytes, has_destroy): an open-addressing hash set. The values
 * live back to back in one growing byte area, in the order first seen (8
 * little-endian bytes for long, double and timestamp, one byte for boolean,
 * a varint length and the bytes for string); the slot table holds, per
 * value, 24 bits of its hash and its offset in the area, so a probe
 * rarely touches the area and no value costs a malloc. Merge is a union.
 * Checkpoint format: the argument's sluice type (one byte), the number of
 * values and the area's length (varints), then the area as is. */
#include <stdlib.h>
#include <string.h>

#include <sluice/plugin.h>

#include "../common/agg_decimal.h"
#include "../common/agg_util.h"

struct cd_bound {
    const struct sluice_host *host;
    enum sluice_type type;
    size_t width; /* bytes per value in the area; 0: strings (varint length first) */
};

struct cd_state {
    uint64_t *slots;   /* cap entries: 0 empty, else hash tag | (offset + 1) */
    uint8_t *area;     /* the values, back to back */
    uint64_t n;        /* distinct values held */
    uint64_t cap;      /* slots: a power of two, 0 before the first value */
    uint64_t area_len;
    uint64_t area_cap;
};

/* A slot keeps the hash's top 24 bits above a 40-bit offset: a group's
 * values may take up to 1 TiB, far past any memory this runs in. */
#define CD_OFF_BITS 40
#define CD_OFF_MASK ((UINT64_C(1) << CD_OFF_BITS) - 1)
#define CD_TAG_MASK (~CD_OFF_MASK)
#define CD_MIN_SLOTS 8

/* ---- values ---- */

/* The hash of the value stored at `e`, and its size in the area. Booleans
 * hash as Spark's hashInt, the rest as Spark's xxhash64 does; any good hash
 * would do here, but one definition keeps it simple. */
static uint64_t cd_entry_hash(const struct cd_bound *b, const uint8_t *e, const uint8_t *end, size_t *size)
{
    if (b->width == 8) {
        *size = 8;
        return agg_xxh64_long(sluice_get_le64(e), AGG_SPARK_SEED);
    }
    if (b->width == 1) {
        *size = 1;
        return agg_xxh64_int(e[0], AGG_SPARK_SEED);
    }
    if (b->width == 16) { /* a decimal's unscaled value, little-endian */
        *size = 16;
        return agg_xxh64(e, 16, AGG_SPARK_SEED);
    }
    const uint8_t *p = e;
    uint64_t len = 0;
    sluice_varint_decode(&p, end, &len); /* entries in the area were written by us */
    *size = (size_t)(p - e) + (size_t)len;
    return agg_xxh64(p, (size_t)len, AGG_SPARK_SEED);
}

/* Whether the value stored at `e` is key[0..klen) (klen: the string's
 * length; fixed-width keys are already encoded as stored). */
static bool cd_entry_equal(const struct cd_bound *b, const uint8_t *e, const uint8_t *end, const uint8_t *key,
                           size_t klen)
{
    if (b->width) return memcmp(e, key, b->width) == 0;
    uint64_t len = 0;
    const uint8_t *p = e;
    sluice_varint_decode(&p, end, &len);
    return len == klen && (klen == 0 || memcmp(p, key, klen) == 0);
}

/* ---- the set ---- */

/* Doubles the slot table and places every value again, walking the area
 * (slots keep only 24 bits of each hash). False when out of memory, the
 * set unchanged. */
static bool cd_grow(const struct cd_bound *b, struct cd_state *s)
{
    uint64_t cap = s->cap ? s->cap * 2 : CD_MIN_SLOTS;
    uint64_t *slots = calloc((size_t)cap, sizeof *slots);
    if (!slots) return false;
    free(s->slots);
    s->slots = slots;
    s->cap = cap;
    uint64_t mask = cap - 1;
    const uint8_t *end = s->area_len ? s->area + s->area_len : s->area;
    for (uint64_t off = 0; off < s->area_len;) {
        size_t size;
        uint64_t h = cd_entry_hash(b, s->area + off, end, &size);
        uint64_t i = h & mask;
        while (s->slots[i]) i = (i + 1) & mask;
        s->slots[i] = (h & CD_TAG_MASK) | (off + 1);
        off += size;
    }
    return true;
}

/* Adds the value key[0..klen) with hash h unless present. For strings
 * klen is the length and the area gets a varint before the bytes. False
 * when out of memory. */
static bool cd_insert(const struct cd_bound *b, struct cd_state *s, const uint8_t *key, size_t klen, uint64_t h)
{
    if ((s->n + 1) * 4 > s->cap * 3 && !cd_grow(b, s)) return false; /* load factor at most 3/4 */
    uint64_t mask = s->cap - 1, tag = h & CD_TAG_MASK, i = h & mask;
    const uint8_t *area_end = s->area_len ? s->area + s->area_len : s->area;
    for (uint64_t e; (e = s->slots[i]) != 0; i = (i + 1) & mask)
        if ((e & CD_TAG_MASK) == tag && cd_entry_equal(b, s->area + (e & CD_OFF_MASK) - 1, area_end, key, klen))
            return true;

    uint8_t lenbuf[SLUICE_VARINT_MAX];
    size_t head = b->width ? 0 : sluice_varint_encode(lenbuf, klen);
    size_t size = b->width ? b->width : head + klen;
    if (s->area_len + size > s->area_cap) {
        uint64_t want = s->area_cap ? s->area_cap : 64;
        while (want < s->area_len + size) want *= 2;
        uint8_t *area = realloc(s->area, (size_t)want);
        if (!area) return false;
        s->area = area;
        s->area_cap = want;
    }
    uint8_t *dst = s->area + s->area_len;
    memcpy(dst, lenbuf, head);
    if (size > head) memcpy(dst + head, key, size - head);
    s->slots[i] = tag | (s->area_len + 1);
    s->area_len += size;
    s->n++;
    return true;
}

/* ---- callbacks ---- */

static int cd_bind(const struct sluice_host *host, const struct ArrowSchema *arg,
                   const struct sluice_agg_param *params, size_t n_params, void **bound,
                   struct sluice_agg_info *info, struct sluice_error *err)
{
    (void)params;
    if (!arg) return host->error(err, SLUICE_ECONFIG, "function 'count(DISTINCT)' needs an argument, not *");
    if (n_params > 0)
        return host->error(err, SLUICE_ECONFIG,
                           "function 'count(DISTINCT)' takes one argument here, got %zu", n_params + 1);
    enum sluice_type t = sluice_type_of(arg);
    size_t width;
    switch (t) {
    case SLUICE_TYPE_LONG:
    case SLUICE_TYPE_DOUBLE:
    case SLUICE_TYPE_TIMESTAMP:
    case SLUICE_TYPE_DATE: width = 8; break; /* a date's days, widened */
    case SLUICE_TYPE_BOOLEAN: width = 1; break;
    case SLUICE_TYPE_STRING: width = 0; break;
    case SLUICE_TYPE_DECIMAL: width = 16; break; /* one column's values share one scale */
    default:
        return host->error(err, SLUICE_ECONFIG,
                           "function 'count(DISTINCT)' expects a boolean, long, double, decimal, string, timestamp "
                           "or date, got %s", sluice_type_name(t));
    }
    struct cd_bound *b = malloc(sizeof *b);
    if (!b) return host->error(err, SLUICE_ENOMEM, "out of memory binding 'count(DISTINCT)'");
    b->host = host;
    b->type = t;
    b->width = width;
    *bound = b;
    info->result_format = SLUICE_FORMAT_LONG;
    info->state_size = sizeof(struct cd_state);
    info->has_destroy = true;
    return SLUICE_OK;
}

static void cd_unbind(void *bound)
{
    free(bound);
}

static void cd_init(const void *bound, void *state)
{
    (void)bound;
    memset(state, 0, sizeof(struct cd_state));
}

static void cd_destroy(const void *bound, void *state)
{
    struct cd_state *s = state;
    free(s->slots);
    free(s->area);
    cd_init(bound, state);
}

static int cd_update(const struct sluice_host *host, const void *bound, void *const *states,
                     const struct ArrowArray *arg, int64_t n, struct sluice_error *err)
{
    const struct cd_bound *b = bound;
    const uint8_t *valid = sluice_agg_validity(arg);
    int64_t off = arg->offset;
#define CD_SKIP(s, i) (!(s) || (valid && !sluice_bit_get(valid, off + (i))))
    uint8_t key[8];
    bool ok = true;
    switch (b->type) {
    case SLUICE_TYPE_LONG:
    case SLUICE_TYPE_TIMESTAMP: {
        const int64_t *v = (const int64_t *)arg->buffers[1];
        for (int64_t i = 0; i < n && ok; i++) {
            if (CD_SKIP(states[i], i)) continue;
            uint64_t x = (uint64_t)v[off + i];
            sluice_put_le64(key, x);
            ok = cd_insert(b, states[i], key, 8, agg_xxh64_long(x, AGG_SPARK_SEED));
        }
        break;
    }
    case SLUICE_TYPE_DECIMAL: {
        uint8_t wide[16];
        for (int64_t i = 0; i < n && ok; i++) {
            if (CD_SKIP(states[i], i)) continue;
            agg_dec_put(sluice_get_decimal(arg, off + i), wide);
            ok = cd_insert(b, states[i], wide, 16, agg_xxh64(wide, 16, AGG_SPARK_SEED));
        }
        break;
    }
    case SLUICE_TYPE_DATE: {
        const int32_t *v = (const int32_t *)arg->buffers[1];
        for (int64_t i = 0; i < n && ok; i++) {
            if (CD_SKIP(states[i], i)) continue;
            uint64_t x = (uint64_t)(int64_t)v[off + i];
            sluice_put_le64(key, x);
            ok = cd_insert(b, states[i], key, 8, agg_xxh64_long(x, AGG_SPARK_SEED));
        }
        break;
    }
    case SLUICE_TYPE_DOUBLE: {
        const double *v = (const double *)arg->buffers[1];
        for (int64_t i = 0; i < n && ok; i++) {
            if (CD_SKIP(states[i], i)) continue;
            uint64_t x = sluice_double_key(v[off + i]);
            sluice_put_le64(key, x);
            ok = cd_insert(b, states[i], key, 8, agg_xxh64_long(x, AGG_SPARK_SEED));
        }
        break;
    }
    case SLUICE_TYPE_BOOLEAN: {
        const uint8_t *v = (const uint8_t *)arg->buffers[1];
        for (int64_t i = 0; i < n && ok; i++) {
            if (CD_SKIP(states[i], i)) continue;
            key[0] = sluice_bit_get(v, off + i);
            ok = cd_insert(b, states[i], key, 1, agg_xxh64_int(key[0], AGG_SPARK_SEED));
        }
        break;
    }
    case SLUICE_TYPE_STRING: {
        const int32_t *offs = (const int32_t *)arg->buffers[1];
        const uint8_t *data = arg->buffers[2] ? (const uint8_t *)arg->buffers[2] : (const uint8_t *)"";
        for (int64_t i = 0; i < n && ok; i++) {
            if (CD_SKIP(states[i], i)) continue;
            const uint8_t *p = data + offs[off + i];
            size_t len = (size_t)(offs[off + i + 1] - offs[off + i]);
            ok = cd_insert(b, states[i], p, len, agg_xxh64(p, len, AGG_SPARK_SEED));
        }
        break;
    }
    default:
        break; /* bind admits no other type */
    }
#undef CD_SKIP
    return ok ? SLUICE_OK : host->error(err, SLUICE_ENOMEM, "out of memory keeping distinct values");
}

/* Adds every value of the area [area, area + len) to s: SLUICE_OK,
 * SLUICE_EDATA for a malformed area (only possible from a corrupt
 * checkpoint), or SLUICE_ENOMEM. */
static int cd_insert_area(const struct cd_bound *b, struct cd_state *s, const uint8_t *area, size_t len)
{
    const uint8_t *p = area, *end = len ? area + len : area;
    while (p < end) {
        if (b->width) {
            if ((size_t)(end - p) < b->width) return SLUICE_EDATA;
            if (b->width == 1 && *p > 1) return SLUICE_EDATA;
            size_t size;
            uint64_t h = cd_entry_hash(b, p, end, &size);
            if (!cd_insert(b, s, p, b->width, h)) return SLUICE_ENOMEM;
            p += size;
        } else {
            uint64_t n;
            if (!sluice_varint_decode(&p, end, &n) || n > (uint64_t)(end - p)) return SLUICE_EDATA;
            if (!cd_insert(b, s, p, (size_t)n, agg_xxh64(p, (size_t)n, AGG_SPARK_SEED))) return SLUICE_ENOMEM;
            p += n;
        }
    }
    return SLUICE_OK;
}

static int cd_merge(const struct sluice_host *host, const void *bound, void *dst, const void *src,
                    struct sluice_error *err)
{
    const struct cd_bound *b = bound;
    struct cd_state *d = dst;
    const struct cd_state *s = src;
    if (s->n == 0) return SLUICE_OK;
    if (d->n == 0) {
        /* The common first merge into a fresh group: copy, don't rehash. */
        cd_destroy(bound, d);
        d->slots = malloc((size_t)s->cap * sizeof *d->slots);
        d->area = malloc((size_t)s->area_len);
        if (!d->slots || !d->area) {
            cd_destroy(bound, d);
            return host->error(err, SLUICE_ENOMEM, "out of memory merging distinct values");
        }
        memcpy(d->slots, s->slots, (size_t)s->cap * sizeof *d->slots);
        memcpy(d->area, s->area, (size_t)s->area_len);
        d->n = s->n;
        d->cap = s->cap;
        d->area_len = d->area_cap = s->area_len;
        return SLUICE_OK;
    }
    int rc = cd_insert_area(b, d, s->area, (size_t)s->area_len);
    if (rc) return host->error(err, rc, "%s merging distinct values", rc == SLUICE_ENOMEM ? "out of memory" : "a damaged state");
    return SLUICE_OK;
}

static int cd_finalize(const struct sluice_host *host, const void *bound, const void *state,
                       struct sluice_builder *out, struct sluice_error *err)
{
    host->append_long(out, (int64_t)((const struct cd_state *)state)->n);
    return SLUICE_OK;
}

static int cd_serialize(const struct sluice_host *host, const void *bound, const void *state,
                        struct sluice_buf *out, struct sluice_error *err)
{
    const struct cd_bound *b = bound;
    const struct cd_state *s = state;
    uint8_t head[1 + 2 * SLUICE_VARINT_MAX] = { (uint8_t)b->type };
    size_t len = 1;
    len += sluice_varint_encode(head + len, s->n);
    len += sluice_varint_encode(head + len, s->area_len);
    if (sluice_buf_append(out, head, len) || (s->area_len && sluice_buf_append(out, s->area, (size_t)s->area_len)))
        return host->error(err, SLUICE_ENOMEM, "out of memory saving count(DISTINCT) state");
    return SLUICE_OK;
}

static int cd_deserialize(const struct sluice_host *host, const void *bound, void *state, uint32_t version,
                          const char *data, size_t len, struct sluice_error *err)
{
    const struct cd_bound *b = bound;
    struct cd_state *s = state;
    cd_init(bound, state);
    const uint8_t *p = (const uint8_t *)data, *end = len ? p + len : p;
    uint64_t n, area_len;
    if (len < 1) goto corrupt;
    if (p[0] != b->type)
        return host->error(err, SLUICE_EDATA, "saved count(DISTINCT) state is for %s values, not %s",
                              sluice_type_name((enum sluice_type)p[0]), sluice_type_name(b->type));
    p++;
    if (!sluice_varint_decode(&p, end, &n) || !sluice_varint_decode(&p, end, &area_len) ||
        area_len != (uint64_t)(end - p))
        goto corrupt;
    /* Inserting value by value validates the area and rebuilds the slots;
     * a count that disagrees means duplicates or a truncated area. */
    int rc = cd_insert_area(b, s, p, (size_t)area_len);
    if (rc == SLUICE_ENOMEM) {
        cd_destroy(bound, state);
        return host->error(err, SLUICE_ENOMEM, "out of memory loading count(DISTINCT) state");
    }
    if (rc || s->n != n) {
        cd_destroy(bound, state);
        goto corrupt;
    }
    return SLUICE_OK;
corrupt:
    return host->error(err, SLUICE_EDATA, "corrupt count(DISTINCT) state (%zu bytes)", len);
}

SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void)
{
    static const struct sluice_plugin p = {
        .abi_version = SLUICE_ABI_VERSION,
        .size = sizeof(struct sluice_plugin),
        .kind = SLUICE_KIND_AGGREGATOR,
        .name = "count_distinct",
        .summary = "count(DISTINCT x): the exact number of distinct non-null values (long)",
        .bind = cd_bind,
        .unbind = cd_unbind,
        .init = cd_init,
        .update = cd_update,
        .merge = cd_merge,
        .finalize = cd_finalize,
        .serialize = cd_serialize,
        .deserialize = cd_deserialize,
        .destroy = cd_destroy,
    };
    return &p;
}
