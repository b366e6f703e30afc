/* core/util/spark_hash.h — Spark's XxHash64 of single values (seed 42, as
 * its xxhash64() and hash partitioning use), each value hashed with the
 * hash of those before it as its seed: a long or timestamp its 8 bytes, a
 * date or boolean the 4 of an int, a double its bits as Spark normalises
 * them (sluice_double_key), a string its UTF-8, a decimal its unscaled
 * long up to 18 digits and Java's BigInteger bytes past them. Shared by
 * the xxhash64() function and a group's changelog, which must place a
 * grouping key exactly where the repartition topic did. Pure, any thread. */
#ifndef SLUICE_CORE_SPARK_HASH_H
#define SLUICE_CORE_SPARK_HASH_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/agg.h>
#include <sluice/types.h>

#include "hash.h"

#define SLUICE_SPARK_HASH_SEED 42

static inline uint64_t sluice_spark_hash_long(uint64_t v, uint64_t seed)
{
    uint8_t b[8];
    sluice_put_le64(b, v);
    return sluice_hash64(b, 8, seed);
}

static inline uint64_t sluice_spark_hash_int(uint32_t v, uint64_t seed)
{
    uint8_t b[4];
    sluice_put_le32(b, v);
    return sluice_hash64(b, 4, seed);
}

static inline uint64_t sluice_spark_hash_double(double d, uint64_t seed)
{
    return sluice_spark_hash_long(sluice_double_key(d), seed);
}

static inline uint64_t sluice_spark_hash_decimal(__int128 v, int precision, uint64_t seed)
{
    if (precision <= 18) return sluice_spark_hash_long((uint64_t)(int64_t)v, seed);
    uint8_t be[16];
    int start = sluice_decimal_java_bytes(v, be);
    return sluice_hash64(be + start, (size_t)(16 - start), seed);
}

#endif
