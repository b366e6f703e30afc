/* core/expr.h — the expression language (contract, DESIGN §3): a subset of
 * Spark SQL used by every option that takes an expression.
 *
 * Compiled once per stage against the input schema: parsing, name
 * resolution and type checking all happen here, so every error is a load
 * time error with the character position. Evaluation is vectorised: each
 * node of the tree computes a whole column for the batch, never a row at a
 * time, with no per-row allocation. Null semantics, type promotion and
 * function behaviour follow Spark (three-valued logic, long+double is
 * double, `/` is always double, integer division by zero is null, bad casts
 * are null, size(NULL) is -1).
 *
 * Threads: a compiled expression is read-only; sluice_expr_eval may run on
 * many threads at once. These functions are the host table's expr_* entries. */
#ifndef SLUICE_CORE_EXPR_H
#define SLUICE_CORE_EXPR_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/arrow.h>
#include <sluice/batch.h>
#include <sluice/error.h>

struct sluice_expr;

/* On SLUICE_OK *out is the caller's to free with sluice_expr_free. */
int sluice_expr_compile(const struct ArrowSchema *input, const char *text, struct sluice_expr **out,
                        struct sluice_error *err);
const struct ArrowSchema *sluice_expr_result(const struct sluice_expr *e);
int64_t sluice_expr_input_column(const struct sluice_expr *e);
size_t sluice_expr_columns(const struct sluice_expr *e, const char *const **paths);
int sluice_expr_eval(const struct sluice_expr *e, const struct sluice_batch *in, struct ArrowArray *out,
                     struct sluice_error *err);
void sluice_expr_free(struct sluice_expr *e);

/* The take kernel: *out = slots indices[0..n) of `a`, deep, -1 -> null. */
void sluice_array_take(const struct ArrowSchema *schema, const struct ArrowArray *a,
                       const int64_t *indices, int64_t n, struct ArrowArray *out);

#endif
