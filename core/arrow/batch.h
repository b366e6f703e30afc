/* core/arrow/batch.h — operations on whole batches.
 *
 * Sharing (fan-out): a stage's output may feed several stages, each of which
 * owns what it is given and may move columns out of it. Sharing copies only
 * the Arrow node structs, never the buffers: every node of the copy holds a
 * reference to one keeper that owns the original batch and releases it with
 * the last node.
 * Assembling: a transform builds its output from columns it was given and
 * columns it built, without copying any of them. */
#ifndef SLUICE_CORE_BATCH_H
#define SLUICE_CORE_BATCH_H

#include <sluice/batch.h>

/* *out becomes an independent view of `b` (which stays the caller's). */
void sluice_batch_share(struct sluice_batch *b, struct sluice_batch *out);

/* *out becomes a batch of `schema` (a struct; borrowed) with `length` rows
 * whose columns are columns[0..n), moved in: each is left released. The
 * columns must each have `length` slots. */
void sluice_batch_assemble(struct sluice_batch *out, const struct ArrowSchema *schema,
                           int64_t length, struct ArrowArray *columns, int64_t n);

#endif
