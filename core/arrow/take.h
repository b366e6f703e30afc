/* core/arrow/take.h — the take kernel: a new array made of chosen slots
 * of another, deep-copied. Filter (keep rows), explode (repeat rows), the
 * evaluator (struct and array results) and `sluice query` (sorting) are
 * all takes.
 *
 * Ownership: *out is the caller's to release, whatever the result; it owns
 * a fresh arena and borrows nothing from `a`. Threads: any, one call per
 * output.
 * Errors: SLUICE_ELIMIT when a string or list column of the result would
 * pass the size limit (size_limit.h); that column is then all null and the
 * arena poisoned with the message (sluice_arena_poison), so a caller that
 * cannot report errors (a plugin through the host table) still never
 * passes the batch on as if it were whole. */
#ifndef SLUICE_CORE_TAKE_H
#define SLUICE_CORE_TAKE_H

#include <stdint.h>

#include <sluice/arrow.h>
#include <sluice/error.h>

/* Slots indices[0..n) of `a` (an array of `schema`). Indices are logical,
 * i.e. counted from a->offset like row numbers, and must be below
 * a->length; -1 gives a null slot. */
int sluice_array_take(const struct ArrowSchema *schema, const struct ArrowArray *a,
                      const int64_t *indices, int64_t n, struct ArrowArray *out, struct sluice_error *err);
/* The same with physical slots (a->offset already added): the evaluator's form. */
int sluice_array_take_physical(const struct ArrowSchema *schema, const struct ArrowArray *a,
                               const int64_t *slots, int64_t n, struct ArrowArray *out, struct sluice_error *err);

#endif
