/* plugins/common/agg_decimal.h — DECIMAL values for the built-in
 * aggregators (sum, avg, min, max): Arrow's decimal128 as a 128-bit
 * integer, the value times 10^scale. sluice_get_decimal (the SDK) reads
 * one; these write, bound and size them. GCC and Clang's __int128; nothing
 * here is exported. */
#ifndef SLUICE_PLUGINS_AGG_DECIMAL_H
#define SLUICE_PLUGINS_AGG_DECIMAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <sluice/plugin.h>

typedef __int128 agg_dec;
/* The same in a state block, which the core aligns to 8 bytes only: a
 * 16-byte-aligned type there would let the compiler use aligned vector
 * moves on it. */
typedef __int128 agg_dec_state __attribute__((aligned(8)));

/* The 16 little-endian bytes host->append_decimal and checkpoints take. */
static inline void agg_dec_put(agg_dec v, uint8_t out[16])
{
    unsigned __int128 u = (unsigned __int128)v;
    for (int i = 0; i < 16; i++) out[i] = (uint8_t)(u >> (8 * i));
}

static inline agg_dec agg_dec_get(const uint8_t *p)
{
    unsigned __int128 u = 0;
    for (int i = 15; i >= 0; i--) u = u << 8 | p[i];
    return (agg_dec)u;
}

static inline agg_dec agg_dec_pow10(int n)
{
    agg_dec v = 1;
    while (n-- > 0) v *= 10;
    return v;
}

/* Whether v has at most p digits. */
static inline bool agg_dec_fits(agg_dec v, int p)
{
    agg_dec lim = agg_dec_pow10(p);
    return v < lim && v > -lim;
}

/* The Arrow format of DECIMAL(p, s) into fmt (48 bytes), p and s capped at
 * 38 as Spark's DecimalType.bounded caps them. */
static inline const char *agg_dec_format(int p, int s, int *bp, int *bs, char fmt[48])
{
    *bp = p < SLUICE_DECIMAL_MAX_PRECISION ? p : SLUICE_DECIMAL_MAX_PRECISION;
    *bs = s < *bp ? s : *bp;
    snprintf(fmt, 48, "d:%d,%d", *bp, *bs);
    return fmt;
}

/* Spark's XxHash64 of a decimal: the unscaled long up to 18 digits
 * (hashLong), past them the bytes of BigInteger.toByteArray (hashUnsafeBytes):
 * big-endian two's complement without redundant sign bytes. */
static inline uint64_t agg_dec_hash(agg_dec v, int precision, uint64_t (*bytes_hash)(const void *, size_t, uint64_t),
                                    uint64_t (*long_hash)(uint64_t, uint64_t), uint64_t seed)
{
    if (precision <= 18) return long_hash((uint64_t)(int64_t)v, seed);
    uint8_t be[16];
    int start = sluice_decimal_java_bytes(v, be);
    return bytes_hash(be + start, (size_t)(16 - start), seed);
}

#endif /* SLUICE_PLUGINS_AGG_DECIMAL_H */
