/* core/arrow/row_codec.h — one row of a batch as bytes, and back.
 *
 * Keyed state that holds whole rows (the stream-stream join's buffered
 * rows, Spark's UnsafeRow in its state store) keeps them as bytes: no
 * Arrow node per row, one arena for all of them, and the same bytes go to
 * the checkpoint. The encoding (stable: checkpoints hold it), per value a
 * tag byte (0 null, 1 value) and, for a value:
 *   boolean            1 byte, 0 or 1
 *   long, timestamp    8 bytes, two's complement LE
 *   double             8 bytes LE, the IEEE bits as they are (-0.0 and
 *                      every NaN kept: unlike a grouping key, a row is
 *                      given back exactly)
 *   date               4 bytes LE
 *   decimal            16 bytes LE, the unscaled value
 *   string             u32 LE byte length, then the bytes
 *   struct             one value per field
 *   array, map         u32 LE element count, then one value per element
 *                      (a map's elements are its {key, value} entries)
 * A row is its struct's fields, without a tag of its own. A grouping key
 * (agg_key.h) is values of the same encoding with its doubles normalised
 * as Spark groups them (-0.0 as 0.0, every NaN as one).
 *
 * Threads: pure functions, any thread. */
#ifndef SLUICE_CORE_ROW_CODEC_H
#define SLUICE_CORE_ROW_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/arrow.h>

struct sluice_builder;

/* Bytes of row `row` (0-based, before the array's offset) of struct array
 * `a` of struct schema `s`. */
size_t sluice_row_size(const struct ArrowSchema *s, const struct ArrowArray *a, int64_t row);
/* Write that row at `p` (sluice_row_size bytes); returns the byte after it. */
uint8_t *sluice_row_write(const struct ArrowSchema *s, const struct ArrowArray *a, int64_t row, uint8_t *p);
/* One value: the bytes of the value at physical `slot` of `a` (tag
 * included), and writing it at `p` (returns the byte after it); `key`
 * normalises doubles, as a grouping key's are. */
size_t sluice_row_value_size(const struct ArrowSchema *s, const struct ArrowArray *a, int64_t slot);
uint8_t *sluice_row_value_write(const struct ArrowSchema *s, const struct ArrowArray *a, int64_t slot, uint8_t *p,
                                bool key);

/* Append the row encoded in p[0, len) to `b`, a builder of struct schema
 * `s`, as one valid struct slot. False, appending nothing, when the bytes
 * are not exactly one row of `s` (damaged state). */
bool sluice_row_read(const struct ArrowSchema *s, const uint8_t *p, size_t len, struct sluice_builder *b);

#endif
