/* core/util/hash.h — the one hash: XXH64, from Debian's libxxhash-dev.
 *
 * Grouping keys are placed in shuffle partitions by XXH64 (seed 0) of
 * their bytes, and checkpoint files carry XXH64 checksums; both are kept
 * on disk, so the values never change. Spark's approx_count_distinct and
 * count(DISTINCT) hash with the same function (seed 42), which is why it
 * is XXH64 and not a faster non-portable hash. Inlined (XXH_INLINE_ALL):
 * nothing to link, and short keys hash without a call. Pure, any thread. */
#ifndef SLUICE_CORE_HASH_H
#define SLUICE_CORE_HASH_H

#include <stddef.h>
#include <stdint.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

static inline uint64_t sluice_hash64(const void *data, size_t len, uint64_t seed)
{
    return (uint64_t)XXH64(data, len, (XXH64_hash_t)seed);
}

#endif
