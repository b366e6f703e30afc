/* core/runtime/join/union.h — the rows of several streams as one (Spark's
 * union and unionByName).
 *
 *   { name = "all"; input = ["tweets", "retweets"]; transform = "union"; }
 *   { name = "all"; input = ["a", "b"]; transform = "union_by_name"; allow_missing_columns = true; }
 *
 * By position (union): every input has the same number of columns and
 * column i has the same type in each; the output takes the first input's
 * names. By name (union_by_name): each input's columns are matched to the
 * first's by name, in any order; with allow_missing_columns a column some
 * input lacks is null in its rows, and columns only later inputs have come
 * after the first input's, in the order they are first met (Spark's
 * allowMissingColumns). A column nullable in any input is nullable in the
 * output.
 *
 * A batch from input i becomes a batch of the output by moving its columns
 * into place (no copy) and adding all-null columns where it has none.
 *
 * Threads: planned on the main thread; sluice_union_process on any number
 * of workers at once. */
#ifndef SLUICE_CORE_UNION_H
#define SLUICE_CORE_UNION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/batch.h>
#include <sluice/error.h>

struct sluice_union {
    size_t n_inputs;
    int64_t n_columns;
    int64_t **from;                       /* per input, per output column: the input's column, or -1 (null) */
    struct ArrowSchema out;               /* the output schema (owned) */
    const struct ArrowSchema *out_schema; /* where the stage keeps its copy of `out` (set by the caller) */
};

/* Plan the union of inputs[0..n) (n >= 2; names[i] names input i in
 * errors). On SLUICE_OK *out is the caller's to free. SLUICE_ECONFIG,
 * naming the inputs and columns, when the inputs do not line up. */
int sluice_union_plan(bool by_name, bool allow_missing, const struct ArrowSchema *const *inputs,
                      const char *const *names, size_t n, struct sluice_union **out, struct sluice_error *err);
void sluice_union_free(struct sluice_union *u);

/* A batch of input `input` (*in, consumed) as a batch of the output
 * (*out, the caller's). Any thread. */
void sluice_union_process(const struct sluice_union *u, size_t input, struct sluice_batch *in,
                          struct sluice_batch *out);

#endif
