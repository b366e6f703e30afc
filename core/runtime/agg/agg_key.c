/* Grouping keys: encoding a batch's key columns into bytes, hashing them,
 * and decoding them back into builders when groups are emitted. The format
 * is in agg_key.h. */
#include "agg_key.h"

#include <stdlib.h>
#include <string.h>

#include <sluice/types.h>

#include "arena.h"
#include "builder.h"
#include "error.h"
#include "expr.h"
#include "mem.h"
#include "row_codec.h"
#include "size_limit.h"
#include "spark_hash.h"

/* ---- little-endian fields --------------------------------------------------- */

/* Little-endian whatever the host, so keys (and their hashes, and so their
 * partitions) agree across machines. */
static inline uint64_t read64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static inline uint32_t read32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

static inline void write64(uint8_t *p, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    memcpy(p, &v, 8);
}

static inline void write32(uint8_t *p, uint32_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    memcpy(p, &v, 4);
}

/* ---- encoding -------------------------------------------------------------- */

/* A struct without nulls whose fields are longs or timestamps without nulls
 * (the window key {start, end}): every value takes 1 + 9 * fields bytes. */
static bool flat_struct(const struct sluice_agg_keycol *col)
{
    const struct ArrowArray *a = col->array;
    if (a->null_count != 0 && a->buffers[0]) return false;
    for (int64_t k = 0; k < col->schema->n_children; k++) {
        enum sluice_type t = sluice_type_of(col->schema->children[k]);
        const struct ArrowArray *c = a->children[k];
        if ((t != SLUICE_TYPE_LONG && t != SLUICE_TYPE_TIMESTAMP) || (c->null_count != 0 && c->buffers[0]))
            return false;
    }
    return true;
}

/* Column at a time: sizes first, then values, so the common flat key types
 * run as tight loops over one buffer. */
static void add_sizes(const struct sluice_agg_keycol *col, int64_t n, uint64_t *len)
{
    const struct ArrowArray *a = col->array;
    const enum sluice_type t = sluice_type_of(col->schema);
    const bool nulls = a->null_count != 0 && a->buffers[0];
    int64_t off = a->offset;
    switch (t) {
    case SLUICE_TYPE_BOOLEAN:
    case SLUICE_TYPE_LONG:
    case SLUICE_TYPE_TIMESTAMP:
    case SLUICE_TYPE_DOUBLE: {
        uint64_t w = t == SLUICE_TYPE_BOOLEAN ? 2 : 9;
        for (int64_t i = 0; i < n; i++) len[i] += !nulls || sluice_bit_get(a->buffers[0], off + i) ? w : 1;
        return;
    }
    case SLUICE_TYPE_STRING: {
        const int32_t *offs = (const int32_t *)a->buffers[1] + off;
        for (int64_t i = 0; i < n; i++)
            len[i] += !nulls || sluice_bit_get(a->buffers[0], off + i) ? 5 + (uint64_t)(offs[i + 1] - offs[i]) : 1;
        return;
    }
    case SLUICE_TYPE_STRUCT:
        if (flat_struct(col)) {
            uint64_t w = 1 + 9 * (uint64_t)col->schema->n_children;
            for (int64_t i = 0; i < n; i++) len[i] += w;
            return;
        }
        for (int64_t i = 0; i < n; i++) len[i] += sluice_row_value_size(col->schema, a, off + i);
        return;
    default:
        for (int64_t i = 0; i < n; i++) len[i] += sluice_row_value_size(col->schema, a, off + i);
        return;
    }
}

static void write_column(const struct sluice_agg_keycol *col, int64_t n, uint8_t *data, uint64_t *pos)
{
    const struct ArrowArray *a = col->array;
    const enum sluice_type t = sluice_type_of(col->schema);
    const bool nulls = a->null_count != 0 && a->buffers[0];
    int64_t off = a->offset;
    switch (t) {
    case SLUICE_TYPE_LONG:
    case SLUICE_TYPE_TIMESTAMP: {
        const int64_t *v = (const int64_t *)a->buffers[1] + off;
        for (int64_t i = 0; i < n; i++) {
            uint8_t *p = data + pos[i];
            if (nulls && !sluice_bit_get(a->buffers[0], off + i)) {
                *p = 0;
                pos[i] += 1;
                continue;
            }
            p[0] = 1;
            write64(p + 1, (uint64_t)v[i]);
            pos[i] += 9;
        }
        return;
    }
    case SLUICE_TYPE_STRING: {
        const int32_t *offs = (const int32_t *)a->buffers[1] + off;
        const char *bytes = a->buffers[2];
        for (int64_t i = 0; i < n; i++) {
            uint8_t *p = data + pos[i];
            if (nulls && !sluice_bit_get(a->buffers[0], off + i)) {
                *p = 0;
                pos[i] += 1;
                continue;
            }
            uint32_t len = (uint32_t)(offs[i + 1] - offs[i]);
            p[0] = 1;
            write32(p + 1, len);
            if (len) memcpy(p + 5, bytes + offs[i], len);
            pos[i] += 5 + (uint64_t)len;
        }
        return;
    }
    case SLUICE_TYPE_STRUCT:
        if (flat_struct(col)) {
            /* Field by field over the rows, each a run through one buffer;
             * the same bytes sluice_row_value_write would produce. */
            int64_t nf = col->schema->n_children;
            for (int64_t i = 0; i < n; i++) data[pos[i]] = 1;
            for (int64_t k = 0; k < nf; k++) {
                const struct ArrowArray *c = a->children[k];
                const int64_t *v = (const int64_t *)c->buffers[1] + c->offset + off;
                for (int64_t i = 0; i < n; i++) {
                    uint8_t *p = data + pos[i] + 1 + 9 * k;
                    p[0] = 1;
                    write64(p + 1, (uint64_t)v[i]);
                }
            }
            for (int64_t i = 0; i < n; i++) pos[i] += 1 + 9 * (uint64_t)nf;
            return;
        }
        for (int64_t i = 0; i < n; i++) {
            uint8_t *p = data + pos[i];
            pos[i] += (uint64_t)(sluice_row_value_write(col->schema, a, off + i, p, true) - p);
        }
        return;
    default:
        for (int64_t i = 0; i < n; i++) {
            uint8_t *p = data + pos[i];
            pos[i] += (uint64_t)(sluice_row_value_write(col->schema, a, off + i, p, true) - p);
        }
        return;
    }
}

int sluice_agg_key_encode(const struct sluice_agg_keycol *cols, size_t n_cols, int32_t set_id,
                          int64_t n, struct sluice_arena *scratch, struct sluice_agg_keys *out,
                          struct sluice_error *err)
{
    size_t rows = n > 0 ? (size_t)n : 0;
    uint64_t *offs = sluice_arena_alloc(scratch, (rows + 1) * sizeof *offs);
    uint64_t *pos = sluice_arena_alloc(scratch, (rows ? rows : 1) * sizeof *pos);
    uint64_t *hash = sluice_arena_alloc(scratch, (rows ? rows : 1) * sizeof *hash);
    uint64_t head = set_id >= 0 ? 2 : 0;
    for (size_t i = 0; i < rows; i++) pos[i] = head;
    for (size_t c = 0; c < n_cols; c++) add_sizes(&cols[c], n, pos);
    offs[0] = 0;
    /* Table records hold key lengths in 32 bits. */
    uint64_t limit = (uint64_t)sluice_size_limit(SLUICE_KEY_LIMIT);
    for (size_t i = 0; i < rows; i++) {
        if (__builtin_expect(pos[i] > limit, 0))
            return sluice_error_set(err, SLUICE_ELIMIT, "the grouping key of row %zu takes %llu bytes, more than "
                                    "the %llu a key may hold", i, (unsigned long long)pos[i], (unsigned long long)limit);
        offs[i + 1] = offs[i] + pos[i];
        pos[i] = offs[i];
    }
    uint8_t *data = sluice_arena_alloc(scratch, offs[rows] ? offs[rows] : 1);
    if (set_id >= 0) {
        for (size_t i = 0; i < rows; i++) {
            data[pos[i]] = (uint8_t)(set_id & 0xFF);
            data[pos[i] + 1] = (uint8_t)((uint32_t)set_id >> 8);
            pos[i] += 2;
        }
    }
    for (size_t c = 0; c < n_cols; c++) write_column(&cols[c], n, data, pos);
    for (size_t i = 0; i < rows; i++) hash[i] = sluice_hash64(data + offs[i], offs[i + 1] - offs[i], 0);
    out->n = (int64_t)rows;
    out->offs = offs;
    out->data = data;
    out->hash = hash;
    return SLUICE_OK;
}

/* ---- decoding -------------------------------------------------------------- */

const uint8_t *sluice_agg_key_decode(const struct ArrowSchema *s, const uint8_t *p, struct sluice_builder *b)
{
    if (*p++ == 0) {
        sluice_builder_append_null(b);
        return p;
    }
    switch (sluice_type_of(s)) {
    case SLUICE_TYPE_BOOLEAN:
        sluice_builder_append_bool(b, *p != 0);
        return p + 1;
    case SLUICE_TYPE_LONG:
    case SLUICE_TYPE_TIMESTAMP:
        sluice_builder_append_long(b, (int64_t)read64(p));
        return p + 8;
    case SLUICE_TYPE_DOUBLE: {
        uint64_t bits = read64(p);
        double d;
        memcpy(&d, &bits, 8);
        sluice_builder_append_double(b, d);
        return p + 8;
    }
    case SLUICE_TYPE_DECIMAL: {
        unsigned __int128 v = (unsigned __int128)read64(p + 8) << 64 | read64(p);
        sluice_builder_append_decimal(b, (__int128)v);
        return p + 16;
    }
    case SLUICE_TYPE_DATE:
        sluice_builder_append_date(b, (int32_t)read32(p));
        return p + 4;
    case SLUICE_TYPE_STRING: {
        uint32_t n = read32(p);
        sluice_builder_append_string(b, (const char *)p + 4, n);
        return p + 4 + n;
    }
    case SLUICE_TYPE_STRUCT:
        sluice_builder_append_struct(b);
        for (int64_t k = 0; k < s->n_children; k++) p = sluice_agg_key_decode(s->children[k], p, &b->children[k]);
        return p;
    case SLUICE_TYPE_ARRAY: {
        uint32_t n = read32(p);
        p += 4;
        sluice_builder_begin_list(b);
        for (uint32_t e = 0; e < n; e++) p = sluice_agg_key_decode(s->children[0], p, &b->children[0]);
        sluice_builder_end_list(b);
        return p;
    }
    default:
        sluice_builder_append_null(b);
        return p;
    }
}

const uint8_t *sluice_agg_key_skip(const struct ArrowSchema *s, const uint8_t *p)
{
    if (*p++ == 0) return p;
    switch (sluice_type_of(s)) {
    case SLUICE_TYPE_BOOLEAN: return p + 1;
    case SLUICE_TYPE_LONG:
    case SLUICE_TYPE_TIMESTAMP:
    case SLUICE_TYPE_DOUBLE: return p + 8;
    case SLUICE_TYPE_DECIMAL: return p + 16;
    case SLUICE_TYPE_DATE: return p + 4;
    case SLUICE_TYPE_STRING: return p + 4 + read32(p);
    case SLUICE_TYPE_STRUCT:
        for (int64_t k = 0; k < s->n_children; k++) p = sluice_agg_key_skip(s->children[k], p);
        return p;
    case SLUICE_TYPE_ARRAY: {
        uint32_t n = read32(p);
        p += 4;
        for (uint32_t e = 0; e < n; e++) p = sluice_agg_key_skip(s->children[0], p);
        return p;
    }
    default: return p;
    }
}

int64_t sluice_agg_key_long(const uint8_t *p)
{
    return (int64_t)read64(p);
}

uint16_t sluice_agg_key_set_id(const uint8_t *key)
{
    return (uint16_t)(key[0] | (unsigned)key[1] << 8);
}

int sluice_agg_key_eval(struct sluice_expr *const *exprs, size_t n, const struct sluice_batch *b,
                        struct ArrowArray *cols, struct sluice_arena *scratch, struct sluice_agg_keys *out,
                        struct sluice_error *err)
{
    struct sluice_agg_keycol *kc = sluice_xcalloc(n ? n : 1, sizeof *kc);
    int rc = SLUICE_OK;
    for (size_t k = 0; k < n && !rc; k++) {
        rc = sluice_expr_eval(exprs[k], b, &cols[k], err);
        kc[k] = (struct sluice_agg_keycol){ sluice_expr_result(exprs[k]), &cols[k] };
    }
    if (!rc) rc = sluice_agg_key_encode(kc, n, -1, sluice_batch_rows(b), scratch, out, err);
    free(kc);
    return rc;
}

int64_t sluice_agg_key_spark_hash(const struct ArrowSchema *const *types, size_t n, size_t skip, const uint8_t *p)
{
    uint64_t h = SLUICE_SPARK_HASH_SEED;
    for (size_t k = 0; k < n; k++) {
        const uint8_t *next = sluice_agg_key_skip(types[k], p);
        if (k < skip || p[0] == 0) {
            p = next;
            continue;
        }
        const uint8_t *v = p + 1;
        switch (sluice_type_of(types[k])) {
        case SLUICE_TYPE_LONG:
        case SLUICE_TYPE_TIMESTAMP:
        case SLUICE_TYPE_DOUBLE: h = sluice_spark_hash_long(sluice_get_le64(v), h); break; /* doubles normalised */
        case SLUICE_TYPE_BOOLEAN: h = sluice_spark_hash_int(v[0], h); break;
        case SLUICE_TYPE_DATE: h = sluice_spark_hash_int(sluice_get_le32(v), h); break;
        case SLUICE_TYPE_STRING: h = sluice_hash64(v + 4, sluice_get_le32(v), h); break;
        case SLUICE_TYPE_DECIMAL: {
            int precision = 0, scale = 0;
            sluice_decimal_params(types[k], &precision, &scale);
            unsigned __int128 u = (unsigned __int128)sluice_get_le64(v + 8) << 64 | sluice_get_le64(v);
            h = sluice_spark_hash_decimal((__int128)u, precision, h);
            break;
        }
        default: break;
        }
        p = next;
    }
    return (int64_t)h;
}
