/* core/runtime/agg/agg_key.h — grouping keys as bytes, and the hash that places them.
 *
 * A group is found by the bytes of its key, so equal keys must give equal
 * bytes and different keys different bytes. The encoding (stable: state
 * checkpoints and Kafka repartitioning will rely on it):
 *   [grouping set id: u16 LE, only when the plan has several grouping sets]
 *   then one value per key column of the set, in key order, each
 *   a tag byte (0 null, 1 value) followed, for a value, by
 *     boolean            1 byte, 0 or 1
 *     long, timestamp    8 bytes, two's complement LE
 *     double             8 bytes LE of the IEEE bits, -0.0 written as 0.0
 *                        and every NaN as the one quiet NaN (Spark's
 *                        NormalizeFloatingNumbers: they group together)
 *     string             u32 LE byte length, then the bytes
 *     struct             one value per field
 *     array              u32 LE element count, then one value per element
 * The set id keeps a real null key apart from a rolled-up one.
 *
 * The hash is XXH64 (seed 0) of those bytes; partition = hash % partitions.
 *
 * Memory: encoded keys live in the scratch arena given. Threads: pure
 * functions, any thread. */
#ifndef SLUICE_CORE_AGG_KEY_H
#define SLUICE_CORE_AGG_KEY_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/arrow.h>
#include <sluice/error.h>

#include "hash.h"

struct sluice_arena;
struct sluice_builder;


/* One key column of a batch: an array of `schema`'s type, `n` rows long. */
struct sluice_agg_keycol {
    const struct ArrowSchema *schema;
    const struct ArrowArray *array;
};

/* The encoded keys of a batch's rows: row i is data[offs[i], offs[i+1]). */
struct sluice_agg_keys {
    int64_t n;
    const uint64_t *offs; /* n + 1 entries */
    const uint8_t *data;
    const uint64_t *hash; /* n entries */
};

/* Encode and hash the keys of rows [0, n) made of `cols` (the key columns of
 * one grouping set), prefixed with `set_id` unless it is negative. Every
 * buffer of *out is allocated from `scratch`. SLUICE_ELIMIT when a key
 * would take more than 4 GiB - 1 bytes (size_limit.h), naming its row. */
int sluice_agg_key_encode(const struct sluice_agg_keycol *cols, size_t n_cols, int32_t set_id,
                          int64_t n, struct sluice_arena *scratch, struct sluice_agg_keys *out,
                          struct sluice_error *err);

/* Append the value encoded at `p` (tag byte first), of `schema`'s type, to
 * `b`; returns the byte after it. */
const uint8_t *sluice_agg_key_decode(const struct ArrowSchema *schema, const uint8_t *p,
                                     struct sluice_builder *b);
/* The byte after the value encoded at `p`. */
const uint8_t *sluice_agg_key_skip(const struct ArrowSchema *schema, const uint8_t *p);
/* The 8 bytes of a long or timestamp value at `p` (after its tag byte). */
int64_t sluice_agg_key_long(const uint8_t *p);
/* Spark's xxhash64 (spark_hash.h) of the values of a key without a set
 * id whose values have types types[0, n), leaving out the first `skip`
 * (a window): what xxhash64(keys) gave the rows of the group. Nested
 * values, which xxhash64 refuses, leave the hash as it is. */
int64_t sluice_agg_key_spark_hash(const struct ArrowSchema *const *types, size_t n, size_t skip, const uint8_t *p);
/* The grouping set id a key starts with (for plans with several sets). */
uint16_t sluice_agg_key_set_id(const uint8_t *key);

/* The keys of a batch given as expressions (drop_duplicates, the join):
 * evaluate exprs[0, n) over `b` into cols[0, n) (the caller releases each
 * that has a release, also on error) and encode them as sluice_agg_key_encode
 * does, without a set id. */
struct sluice_batch;
struct sluice_expr;
int sluice_agg_key_eval(struct sluice_expr *const *exprs, size_t n, const struct sluice_batch *b,
                        struct ArrowArray *cols, struct sluice_arena *scratch, struct sluice_agg_keys *out,
                        struct sluice_error *err);

#endif
