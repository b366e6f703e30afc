/* ORDER BY's stable sort. See sql_sort.h. */
#include "sql_sort.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/types.h>

#include "mem.h"

bool sluice_sort_type_ok(const struct ArrowSchema *s)
{
    enum sluice_type t = sluice_type_of(s);
    return t == SLUICE_TYPE_BOOLEAN || t == SLUICE_TYPE_LONG || t == SLUICE_TYPE_DOUBLE ||
           t == SLUICE_TYPE_STRING || t == SLUICE_TYPE_TIMESTAMP || t == SLUICE_TYPE_DATE || t == SLUICE_TYPE_DECIMAL;
}

static int cmp_i64(int64_t a, int64_t b)
{
    return (a > b) - (a < b);
}

/* Spark's SQLOrderingUtil.compareDoubles: NaN equals NaN and is above all. */
static int cmp_double(double a, double b)
{
    bool na = isnan(a), nb = isnan(b);
    if (na || nb) return na - nb;
    return (a > b) - (a < b);
}

static int cmp_value(enum sluice_type t, const struct ArrowArray *a, int64_t i, int64_t j)
{
    switch (t) {
    case SLUICE_TYPE_BOOLEAN:
        return (int)sluice_get_bool(a, i) - (int)sluice_get_bool(a, j);
    case SLUICE_TYPE_LONG:
    case SLUICE_TYPE_TIMESTAMP:
        return cmp_i64(sluice_get_long(a, i), sluice_get_long(a, j));
    case SLUICE_TYPE_DATE:
        return cmp_i64(sluice_get_date(a, i), sluice_get_date(a, j));
    case SLUICE_TYPE_DECIMAL: { /* one column: one scale */
        __int128 x = sluice_get_decimal(a, i), y = sluice_get_decimal(a, j);
        return (x > y) - (x < y);
    }
    case SLUICE_TYPE_DOUBLE:
        return cmp_double(sluice_get_double(a, i), sluice_get_double(a, j));
    case SLUICE_TYPE_STRING: {
        const char *x, *y;
        int32_t nx = sluice_get_string(a, i, &x), ny = sluice_get_string(a, j, &y);
        int c = memcmp(x, y, (size_t)(nx < ny ? nx : ny));
        return c ? (c > 0) - (c < 0) : (nx > ny) - (nx < ny);
    }
    default:
        return 0;
    }
}

struct ctx {
    const struct sluice_sort_key *keys;
    size_t n_keys;
    enum sluice_type *types;
};

static int cmp_rows(const struct ctx *c, int64_t i, int64_t j)
{
    for (size_t k = 0; k < c->n_keys; k++) {
        const struct sluice_sort_key *key = &c->keys[k];
        const struct ArrowArray *a = key->values;
        int64_t pi = a->offset + i, pj = a->offset + j;
        bool vi = sluice_array_valid(a, pi), vj = sluice_array_valid(a, pj);
        int r;
        if (!vi || !vj) {
            if (vi == vj) continue;
            r = vi ? 1 : -1; /* null below a value ... */
            return key->nulls_first ? r : -r; /* ... unless nulls go last */
        }
        r = cmp_value(c->types[k], a, pi, pj);
        if (r) return key->desc ? -r : r;
    }
    return 0;
}

/* Bottom-up merge sort of the rows perm[0..n): stable, n log n, one scratch array. */
static void merge_sort(const struct ctx *c, int64_t *perm, int64_t n)
{
    if (n < 2 || c->n_keys == 0) return;
    int64_t *tmp = sluice_xmalloc((size_t)n * sizeof *tmp);
    int64_t *src = perm, *dst = tmp;
    for (int64_t width = 1; width < n; width *= 2) {
        for (int64_t lo = 0; lo < n; lo += 2 * width) {
            int64_t mid = lo + width < n ? lo + width : n;
            int64_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            int64_t a = lo, b = mid, o = lo;
            while (a < mid && b < hi) dst[o++] = cmp_rows(c, src[b], src[a]) < 0 ? src[b++] : src[a++];
            while (a < mid) dst[o++] = src[a++];
            while (b < hi) dst[o++] = src[b++];
        }
        int64_t *t = src;
        src = dst;
        dst = t;
    }
    if (src != perm) memcpy(perm, src, (size_t)n * sizeof *perm);
    free(tmp);
}

static void ctx_init(struct ctx *c, const struct sluice_sort_key *keys, size_t n_keys)
{
    *c = (struct ctx){ keys, n_keys, sluice_xcalloc(n_keys + 1, sizeof *c->types) };
    for (size_t k = 0; k < n_keys; k++) c->types[k] = sluice_type_of(keys[k].schema);
}

void sluice_sort_rows(const struct sluice_sort_key *keys, size_t n_keys, int64_t n, int64_t *perm)
{
    for (int64_t i = 0; i < n; i++) perm[i] = i;
    struct ctx c;
    ctx_init(&c, keys, n_keys);
    merge_sort(&c, perm, n);
    free(c.types);
}

/* Heap order: row i is "above" row j when it sorts after it, equal keys
 * ordered by row number, so the root is the worst row kept. */
static bool after(const struct ctx *c, int64_t i, int64_t j)
{
    int r = cmp_rows(c, i, j);
    return r ? r > 0 : i > j;
}

static void sift_down(const struct ctx *c, int64_t *heap, int64_t n, int64_t at)
{
    for (;;) {
        int64_t l = 2 * at + 1, r = l + 1, top = at;
        if (l < n && after(c, heap[l], heap[top])) top = l;
        if (r < n && after(c, heap[r], heap[top])) top = r;
        if (top == at) return;
        int64_t t = heap[at];
        heap[at] = heap[top];
        heap[top] = t;
        at = top;
    }
}

static int compare_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int64_t sluice_sort_top(const struct sluice_sort_key *keys, size_t n_keys, int64_t n, int64_t k, int64_t *out)
{
    if (k < 0 || k >= n) {
        sluice_sort_rows(keys, n_keys, n, out);
        return n;
    }
    if (k == 0) return 0;
    struct ctx c;
    ctx_init(&c, keys, n_keys);
    /* A max-heap of the k best rows so far: a later row enters only when it
     * sorts strictly before the worst kept, which keeps the sort stable. */
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++) {
        if (m < k) {
            int64_t at = m++;
            out[at] = i;
            while (at > 0 && after(&c, out[at], out[(at - 1) / 2])) {
                int64_t p = (at - 1) / 2, t = out[at];
                out[at] = out[p];
                out[p] = t;
                at = p;
            }
        } else if (cmp_rows(&c, i, out[0]) < 0) {
            out[0] = i;
            sift_down(&c, out, m, 0);
        }
    }
    /* Row order first, then the stable sort: equal keys keep the table's order. */
    qsort(out, (size_t)m, sizeof *out, compare_i64);
    merge_sort(&c, out, m);
    free(c.types);
    return m;
}
