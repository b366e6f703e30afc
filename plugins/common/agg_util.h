/* plugins/common/agg_util.h — header-only helpers shared by the aggregator
 * plugins: Spark's value hash (XxHash64, seed 42), the normalisation Spark
 * applies to doubles before grouping and hashing, and the little-endian and
 * varint encodings their checkpoint formats use.
 *
 * Header-only on purpose: a plugin is built against the SDK alone and must
 * not link a helper library, yet approx_count_distinct has to hash exactly
 * as Spark does and count_distinct should hash the same way, so the one
 * copy lives here and each .so compiles its own (static, hidden) instance.
 * Included by relative path after <sluice/plugin.h>; nothing here is
 * exported and nothing allocates except agg_xrealloc. */
#ifndef SLUICE_PLUGINS_AGG_UTIL_H
#define SLUICE_PLUGINS_AGG_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/plugin.h>

/* ---- memory ---- */

/* update() and merge() return nothing, so a failed allocation there cannot
 * be reported; the core aborts on out-of-memory too (sluice/host.h), and a
 * group silently losing values would be worse than stopping. */
static inline void *agg_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) abort();
    return q;
}

/* ---- fixed-width little-endian, so checkpoints move between machines ---- */

static inline void agg_put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t agg_get_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static inline uint32_t agg_get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- unsigned LEB128 varints ---- */

#define AGG_VARINT_MAX 10

/* Writes v at p (room for AGG_VARINT_MAX bytes); returns the bytes written. */
static inline size_t agg_varint_encode(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Reads a varint from [*p, end) into *v and advances *p; false when it is
 * truncated or longer than 64 bits (a corrupt checkpoint). */
static inline bool agg_varint_decode(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (*p >= end) return false;
        uint8_t b = *(*p)++;
        if (shift == 63 && b > 1) return false;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return true;
        }
    }
    return false;
}

static inline int agg_put_varint(struct sluice_buf *out, uint64_t v)
{
    uint8_t tmp[AGG_VARINT_MAX];
    return sluice_buf_append(out, tmp, agg_varint_encode(tmp, v));
}

static inline int agg_put_u64(struct sluice_buf *out, uint64_t v)
{
    uint8_t tmp[8];
    agg_put_le64(tmp, v);
    return sluice_buf_append(out, tmp, 8);
}

/* ---- doubles as Spark groups and hashes them ---- */

static inline uint64_t agg_double_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static inline double agg_bits_double(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* Spark normalises -0.0 to 0.0 and every NaN to Java's canonical NaN
 * (NormalizeFloatingNumbers, Double.doubleToLongBits) before grouping,
 * DISTINCT and hashing, so all NaNs are one value and so are both zeros. */
static inline uint64_t agg_double_key(double d)
{
    if (d != d) return UINT64_C(0x7ff8000000000000);
    if (d == 0.0) return 0;
    return agg_double_bits(d);
}

/* ---- XxHash64, as Spark's XXH64 (from libxxhash-dev, inlined) ---- */

#define XXH_INLINE_ALL
#include <xxhash.h>

/* The seed Spark's xxhash64() and HyperLogLogPlusPlus use. */
#define AGG_SPARK_SEED UINT64_C(42)

/* XXH64 of n bytes (Spark's hashUnsafeBytes: strings hash their UTF-8). */
static inline uint64_t agg_xxh64(const void *data, size_t n, uint64_t seed)
{
    return (uint64_t)XXH64(data, n, (XXH64_hash_t)seed);
}

/* XXH64 of the 8 little-endian bytes of v (Spark's hashLong: longs,
 * timestamps, and doubles through agg_double_key). */
static inline uint64_t agg_xxh64_long(uint64_t v, uint64_t seed)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
    return agg_xxh64(b, 8, seed);
}

/* XXH64 of the 4 little-endian bytes of v (Spark's hashInt: booleans as 0/1). */
static inline uint64_t agg_xxh64_int(uint32_t v, uint64_t seed)
{
    uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    return agg_xxh64(b, 4, seed);
}

/* ---- argument arrays ---- */

/* The validity bitmap to test per row, or NULL when every slot is valid,
 * so the hot loops skip the bit test entirely for columns without nulls. */
static inline const uint8_t *agg_validity(const struct ArrowArray *a)
{
    return a->null_count != 0 ? (const uint8_t *)a->buffers[0] : NULL;
}

#endif /* SLUICE_PLUGINS_AGG_UTIL_H */
