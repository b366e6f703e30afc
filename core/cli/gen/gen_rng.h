/* core/cli/gen/gen_rng.h — the tweet generator's random numbers:
 * xoshiro256** seeded by splitmix64, with the draws the row writer needs.
 *
 * Integer arithmetic wherever bytes of output depend on it, so every libm and
 * every machine gives the same file for the same seed. Inline because the
 * generator draws dozens of numbers per row. */
#ifndef SLUICE_CORE_GEN_RNG_H
#define SLUICE_CORE_GEN_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct rng {
    uint64_t s[4];
};

static inline uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static inline void rng_seed(struct rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* Uniform in [0, n) for n < 2^32 (Lemire's multiply-shift; the tiny bias is
 * irrelevant for synthetic data and keeps the stream branch-free). */
static inline uint32_t rng_below(struct rng *r, uint32_t n)
{
    return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

static inline double rng_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

static inline bool rng_chance(struct rng *r, double p)
{
    return rng_unit(r) < p;
}

/* Index into a table of n entries, skewed towards the front as real
 * hashtags and accounts are (a few hot keys, a long tail). */
static inline uint32_t rng_skewed(struct rng *r, uint32_t n)
{
    double u = rng_unit(r);
    return (uint32_t)(u * u * n);
}

/* 0 half the time, then doubling ranges up to 2^max_level: the heavy tail of
 * like and retweet counts, with integer arithmetic only so every libm gives
 * the same bytes. */
static inline uint64_t rng_count(struct rng *r, int max_level)
{
    uint64_t x = rng_next(r);
    int level = x ? __builtin_ctzll(x) : 63;
    if (level > max_level) level = max_level;
    uint64_t lo = (1ULL << level) - 1;
    return lo + rng_below(r, (uint32_t)(1ULL << level));
}

#endif
