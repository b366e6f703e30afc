/* core/arrow/validate.h — checking a batch against its schema, as Arrow's
 * ValidateFull does, for the batches plugins emit.
 *
 * A plugin that builds a batch by hand (or hands on one from an Arrow
 * library) can get a length, an offset or a null count wrong, and the
 * core would read out of bounds much later, in another stage. With
 * SLUICE_CHECK_BATCHES=1 the engine checks every batch a source emits and
 * a transform returns, naming the stage and the column at fault, and the
 * plugin test kit always does. The check walks every node and every offset
 * and counts every validity bit: a debugging aid, not for production.
 *
 * What is checked: a batch is a struct of the schema's columns with offset
 * 0, no validity bitmap and release set; every node has the schema's
 * number of children and its format's number of buffers, non-negative
 * length and offset, the buffers its length needs, a null count matching
 * its bitmap (or -1: unknown), offsets that never decrease and stay within
 * a list's child, valid UTF-8 in strings, and children long enough for
 * their parent's rows. Pure, any thread. */
#ifndef SLUICE_CORE_VALIDATE_H
#define SLUICE_CORE_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include <sluice/arrow.h>

/* True when `batch` (a struct array of `schema`'s columns) is well formed;
 * else why[cap] says where it is not ("column 2 'n' (long): 3 rows, but the
 * batch has 5"). */
bool sluice_batch_validate(const struct ArrowSchema *schema, const struct ArrowArray *batch, char *why, size_t cap);

/* The lighter check of any array (not only a batch) the tests use on what
 * builders and take make: lengths, offsets monotone and within bounds,
 * children lengths, null counts, no UTF-8 walk. Returns 0, or -1 with a
 * reason in `why` (at least 256 bytes). */
int sluice_array_validate(const struct ArrowSchema *schema, const struct ArrowArray *a, char *why);

#endif
