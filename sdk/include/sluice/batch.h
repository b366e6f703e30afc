/* sluice/batch.h — a batch of rows.
 *
 * `array` is a struct-typed Arrow array: one child per top-level column,
 * `length` rows. The root always has offset 0 and no validity bitmap (every
 * row exists); columns may have offsets of their own. Whoever holds a batch whose array.release is non-NULL owns
 * it and must release it exactly once (sluice_batch_release) or hand it on
 * (sluice_batch_move). Every node of a sluice-built array holds its own
 * reference to the memory behind it, so a child may be moved out of a batch
 * and outlive it, as the Arrow specification allows. */
#ifndef SLUICE_BATCH_H
#define SLUICE_BATCH_H

#include <stdint.h>
#include <string.h>

#include <sluice/arrow.h>

struct sluice_batch {
    struct ArrowArray array;          /* owned; rows = array.length */
    const struct ArrowSchema *schema; /* borrowed: the schema of the edge the batch travels, owned by the core */
};

static inline int64_t sluice_batch_rows(const struct sluice_batch *b)
{
    return b->array.length;
}

/* Release `b` if it holds anything; safe on an empty or released batch. */
static inline void sluice_batch_release(struct sluice_batch *b)
{
    if (b->array.release) b->array.release(&b->array);
    b->array.release = NULL;
}

/* Move `src` into `dst` (which must be empty); `src` is left empty. */
static inline void sluice_batch_move(struct sluice_batch *dst, struct sluice_batch *src)
{
    *dst = *src;
    src->array.release = NULL;
}

/* Move one Arrow array node (e.g. a column) out; `src` is marked released. */
static inline void sluice_array_move(struct ArrowArray *dst, struct ArrowArray *src)
{
    *dst = *src;
    src->release = NULL;
}

#endif /* SLUICE_BATCH_H */
