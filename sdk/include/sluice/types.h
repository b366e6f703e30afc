/* sluice/types.h — types, schemas and reading values out of a batch.
 *
 * A schema is an Arrow C Data Interface `struct ArrowSchema` tree; a batch's
 * rows are a struct-typed `struct ArrowArray` whose children are the columns.
 * Everything here is header-only: it reads the Arrow layout, which is itself
 * the stable ABI, so a plugin pays no call for a typed read.
 *
 * Reading a column: resolve its path once (host->col_resolve, at open time),
 * then per row call sluice_col_locate() and a typed getter on the result. */
#ifndef SLUICE_TYPES_H
#define SLUICE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/arrow.h>

/* The sluice types. `integer` in a schema is accepted and stored as LONG.
 * Values are only ever appended to this list: plugins keep their numbers. */
enum sluice_type {
    SLUICE_TYPE_INVALID = 0,
    SLUICE_TYPE_BOOLEAN,
    SLUICE_TYPE_LONG,      /* int64 */
    SLUICE_TYPE_DOUBLE,    /* float64 */
    SLUICE_TYPE_STRING,    /* UTF-8, int32 offsets */
    SLUICE_TYPE_TIMESTAMP, /* int64 microseconds since the epoch, UTC */
    SLUICE_TYPE_STRUCT,
    SLUICE_TYPE_ARRAY,     /* Arrow list, int32 offsets, one child */
    SLUICE_TYPE_DATE,      /* Arrow date32: int32 days since 1970-01-01 */
    SLUICE_TYPE_MAP,       /* Arrow map: a list (int32 offsets) of one child, the struct
                            * `entries` of a non-null `key` and a `value` */
    SLUICE_TYPE_DECIMAL,   /* Arrow decimal128 "d:P,S": a 16-byte two's complement integer,
                            * little-endian, the value times 10^S; P <= 38 digits */
};

/* The most digits a DECIMAL holds (Spark's DecimalType.MAX_PRECISION). */
#define SLUICE_DECIMAL_MAX_PRECISION 38

/* The Arrow format strings sluice produces for each type. */
#define SLUICE_FORMAT_BOOLEAN   "b"
#define SLUICE_FORMAT_LONG      "l"
#define SLUICE_FORMAT_DOUBLE    "g"
#define SLUICE_FORMAT_STRING    "u"
#define SLUICE_FORMAT_TIMESTAMP "tsu:UTC"
#define SLUICE_FORMAT_STRUCT    "+s"
#define SLUICE_FORMAT_ARRAY     "+l"
#define SLUICE_FORMAT_DATE      "tdD"
#define SLUICE_FORMAT_MAP       "+m"

/* A DECIMAL's precision and scale, from its format "d:P,S". */
static inline void sluice_decimal_params(const struct ArrowSchema *s, int *precision, int *scale)
{
    const char *f = s->format + 2;
    *precision = atoi(f);
    const char *c = strchr(f, ',');
    *scale = c ? atoi(c + 1) : 0;
}

/* The sluice type of an Arrow format string; INVALID for formats sluice does
 * not handle. Any microsecond timestamp ("tsu:" with or without a zone) reads
 * as TIMESTAMP, since the value is UTC either way. */
static inline enum sluice_type sluice_type_of_format(const char *f)
{
    if (!f || !f[0]) return SLUICE_TYPE_INVALID;
    if (!f[1]) {
        switch (f[0]) {
        case 'b': return SLUICE_TYPE_BOOLEAN;
        case 'l': return SLUICE_TYPE_LONG;
        case 'g': return SLUICE_TYPE_DOUBLE;
        case 'u': return SLUICE_TYPE_STRING;
        default: return SLUICE_TYPE_INVALID;
        }
    }
    if (f[0] == '+' && f[1] == 's' && !f[2]) return SLUICE_TYPE_STRUCT;
    if (f[0] == '+' && f[1] == 'l' && !f[2]) return SLUICE_TYPE_ARRAY;
    if (f[0] == '+' && f[1] == 'm' && !f[2]) return SLUICE_TYPE_MAP;
    if (strncmp(f, "tsu:", 4) == 0) return SLUICE_TYPE_TIMESTAMP;
    if (strcmp(f, SLUICE_FORMAT_DATE) == 0) return SLUICE_TYPE_DATE;
    if (f[0] == 'd' && f[1] == ':') {
        /* "d:P,S" or "d:P,S,128"; 256-bit and 32/64-bit decimals are not sluice's. */
        const char *c = strchr(f + 2, ',');
        const char *w = c ? strchr(c + 1, ',') : NULL;
        return c && (!w || strcmp(w, ",128") == 0) ? SLUICE_TYPE_DECIMAL : SLUICE_TYPE_INVALID;
    }
    return SLUICE_TYPE_INVALID;
}

static inline enum sluice_type sluice_type_of(const struct ArrowSchema *s)
{
    return s ? sluice_type_of_format(s->format) : SLUICE_TYPE_INVALID;
}

/* Spark's name for a type ("string", "long", "timestamp", ...). */
static inline const char *sluice_type_name(enum sluice_type t)
{
    static const char *const names[] = { "invalid", "boolean", "long", "double", "string", "timestamp",
                                         "struct",  "array",   "date", "map",    "decimal" };
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "invalid";
}

/* ---- column paths ------------------------------------------------------ */

#define SLUICE_PATH_MAX_DEPTH 16

/* One step down a path: into struct field `child`, or (child == -1) into
 * element `index` of a list. */
struct sluice_path_step {
    int32_t child;
    int32_t index;
};

/* A column path resolved against a schema, e.g. `includes.users[0].verified`:
 * steps [{child 1}, {child 0}, {-1, index 0}, {child 4}]. Filled by
 * host->col_resolve(); plain data, valid as long as the schema it was resolved
 * against. */
struct sluice_col {
    const struct ArrowSchema *schema; /* the leaf's schema (borrowed) */
    int32_t type;                     /* the leaf's type: an enum sluice_type */
    int32_t depth;                    /* number of steps */
    struct sluice_path_step steps[SLUICE_PATH_MAX_DEPTH];
};

/* ---- reading values ---------------------------------------------------- */

static inline bool sluice_bit_get(const void *bits, int64_t i)
{
    return (((const uint8_t *)bits)[i >> 3] >> (i & 7)) & 1;
}

/* True if physical slot `i` of `a` holds a value (not null). */
static inline bool sluice_array_valid(const struct ArrowArray *a, int64_t i)
{
    return a->null_count == 0 || !a->buffers[0] || sluice_bit_get(a->buffers[0], i);
}

/* Walk `col` down from row `row` of `batch` (the struct array of a batch).
 * On a value, sets *leaf and *slot (a physical index into the leaf's buffers,
 * its offset already applied) and returns true; returns false when the value
 * or any struct, list or index on the way is null or out of range. */
static inline bool sluice_col_locate(const struct sluice_col *col,
                                     const struct ArrowArray *batch, int64_t row,
                                     const struct ArrowArray **leaf, int64_t *slot)
{
    const struct ArrowArray *a = batch;
    int64_t p = a->offset + row;
    if (!sluice_array_valid(a, p)) return false;
    for (int32_t d = 0; d < col->depth; d++) {
        const struct sluice_path_step *s = &col->steps[d];
        if (s->child >= 0) {
            a = a->children[s->child];
            p = a->offset + p;
        } else {
            const int32_t *offs = (const int32_t *)a->buffers[1];
            int32_t start = offs[p], end = offs[p + 1];
            if (s->index < 0 || s->index >= end - start) return false;
            a = a->children[0];
            p = a->offset + start + s->index;
        }
        if (!sluice_array_valid(a, p)) return false;
    }
    *leaf = a;
    *slot = p;
    return true;
}

/* Typed getters on a physical slot found by sluice_col_locate(). */
static inline bool sluice_get_bool(const struct ArrowArray *a, int64_t slot)
{
    return sluice_bit_get(a->buffers[1], slot);
}

static inline int64_t sluice_get_long(const struct ArrowArray *a, int64_t slot)
{
    return ((const int64_t *)a->buffers[1])[slot];
}

/* Microseconds since the epoch, UTC. */
static inline int64_t sluice_get_timestamp(const struct ArrowArray *a, int64_t slot)
{
    return ((const int64_t *)a->buffers[1])[slot];
}

/* DATE: days since 1970-01-01. */
static inline int32_t sluice_get_date(const struct ArrowArray *a, int64_t slot)
{
    return ((const int32_t *)a->buffers[1])[slot];
}

static inline double sluice_get_double(const struct ArrowArray *a, int64_t slot)
{
    return ((const double *)a->buffers[1])[slot];
}

#ifdef __SIZEOF_INT128__
/* DECIMAL: the unscaled value (the value times 10^scale). */
static inline __int128 sluice_get_decimal(const struct ArrowArray *a, int64_t slot)
{
    __int128 v;
    memcpy(&v, (const uint8_t *)a->buffers[1] + 16 * slot, 16);
    return v;
}

/* The bytes Java's BigInteger.toByteArray gives for an unscaled decimal
 * (big-endian two's complement, no redundant sign bytes), which Spark's
 * hashes of a decimal of more than 18 digits read: written to out[16],
 * returns the index of the first byte, so they are out[start, 16). */
static inline int sluice_decimal_java_bytes(__int128 v, uint8_t out[16])
{
    unsigned __int128 u = (unsigned __int128)v;
    for (int i = 0; i < 16; i++) out[15 - i] = (uint8_t)(u >> (8 * i));
    int start = 0;
    while (start < 15 && ((out[start] == 0x00 && !(out[start + 1] & 0x80)) ||
                          (out[start] == 0xFF && (out[start + 1] & 0x80))))
        start++;
    return start;
}
#endif

/* Not NUL-terminated: the bytes are [*ptr, *ptr + return value). */
static inline int32_t sluice_get_string(const struct ArrowArray *a, int64_t slot,
                                        const char **ptr)
{
    const int32_t *offs = (const int32_t *)a->buffers[1];
    *ptr = (const char *)a->buffers[2] + offs[slot];
    return offs[slot + 1] - offs[slot];
}

/* A list slot's elements are the child's logical slots [*first, *first + n),
 * i.e. physical slots child->offset + *first + k. Returns n. */
static inline int32_t sluice_get_list(const struct ArrowArray *a, int64_t slot,
                                      int64_t *first)
{
    const int32_t *offs = (const int32_t *)a->buffers[1];
    *first = offs[slot];
    return offs[slot + 1] - offs[slot];
}

#endif /* SLUICE_TYPES_H */
