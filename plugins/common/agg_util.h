/* plugins/common/agg_util.h — what the built-in aggregators share beyond
 * the SDK's <sluice/agg.h>: Spark's value hash (XxHash64, seed 42),
 * inlined from libxxhash-dev.
 *
 * Why not host->hash64, as an outside aggregator would use: approx_count_distinct
 * and count_distinct hash every value of every batch, and here the hash
 * inlines into their loops. libxxhash-dev is a build dependency of sluice
 * itself, so the built-in plugins may include it; the SDK's headers stay
 * free of it, so an outside author needs nothing but the SDK. Both compute
 * the same XXH64. Included by relative path after <sluice/plugin.h>;
 * nothing here is exported. */
#ifndef SLUICE_PLUGINS_AGG_UTIL_H
#define SLUICE_PLUGINS_AGG_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/agg.h>
#include <sluice/plugin.h>

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
 * timestamps, and doubles through sluice_double_key). */
static inline uint64_t agg_xxh64_long(uint64_t v, uint64_t seed)
{
    uint8_t b[8];
    sluice_put_le64(b, v);
    return agg_xxh64(b, 8, seed);
}

/* XXH64 of the 4 little-endian bytes of v (Spark's hashInt: booleans as 0/1). */
static inline uint64_t agg_xxh64_int(uint32_t v, uint64_t seed)
{
    uint8_t b[4];
    sluice_put_le32(b, v);
    return agg_xxh64(b, 4, seed);
}

#endif /* SLUICE_PLUGINS_AGG_UTIL_H */
