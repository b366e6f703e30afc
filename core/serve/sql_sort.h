/* core/serve/sql_sort.h — ORDER BY's kernel: a stable sort of row numbers by
 * several key columns, with Spark's ordering of values: nulls first or
 * last as asked, false before true, numbers by value with NaN above every
 * number and -0.0 equal to 0.0, strings by their UTF-8 bytes (Spark
 * compares UTF8String bytes), timestamps by time. Structs and arrays are
 * not sortable here.
 *
 * The key arrays are borrowed for the call; nothing is allocated per row.
 * ORDER BY .. LIMIT k keeps only k rows (sluice_sort_top), so a query's
 * top rows over a big table never need the whole table sorted at once. */
#ifndef SLUICE_CORE_SQL_SORT_H
#define SLUICE_CORE_SQL_SORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/arrow.h>

struct sluice_sort_key {
    const struct ArrowSchema *schema;
    const struct ArrowArray *values; /* row i is logical slot i */
    bool desc;
    bool nulls_first;
};

/* Can values of this type be sorted? */
bool sluice_sort_type_ok(const struct ArrowSchema *s);
/* perm[0..n) = 0..n-1 in the keys' order; equal rows keep their order. */
void sluice_sort_rows(const struct sluice_sort_key *keys, size_t n_keys, int64_t n, int64_t *perm);
/* The first min(n, k) rows of that order into out[0..), in order, chosen
 * with a heap of k rows (n log k); k < 0 sorts all n. `out` has room for
 * n rows when k < 0, else for k. Returns how many rows it wrote. */
int64_t sluice_sort_top(const struct sluice_sort_key *keys, size_t n_keys, int64_t n, int64_t k, int64_t *out);

#endif
