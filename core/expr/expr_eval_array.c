/* Array functions: size (-1 for NULL, Spark's default), element_at
 * (1-based, negative from the end, out of range is null as with ANSI off)
 * and array_contains (null when not found but the array holds a null). */
#include "expr_priv.h"

#include <math.h>
#include <string.h>

static bool bit(const void *bits, int64_t i)
{
    return (((const uint8_t *)bits)[i >> 3] >> (i & 7)) & 1;
}

static const struct evec *eval_size(struct ectx *c, const struct expr_node *nd, const struct evec *a)
{
    int64_t n = c->n;
    struct evec *v = ectx_vec(c);
    v->l = ectx_alloc(c, (size_t)n * 8);
    if (nd->args[0]->type != SLUICE_TYPE_ARRAY || !a->arr) {
        for (int64_t i = 0; i < n; i++) v->l[i] = -1;
        return v;
    }
    const int32_t *lo = a->arr->buffers[1];
    for (int64_t i = 0; i < n; i++) {
        int64_t p = a->slots[i];
        v->l[i] = p < 0 ? -1 : lo[p + 1] - lo[p];
    }
    return v;
}

static const struct evec *eval_element_at(struct ectx *c, const struct expr_node *nd, const struct evec *a,
                                          const struct evec *idx)
{
    int64_t n = c->n;
    if (!a->arr) return ectx_null(c);
    const int32_t *lo = a->arr->buffers[1];
    const struct ArrowArray *child = a->arr->children[0];
    int64_t *slots = ectx_alloc(c, (size_t)n * sizeof *slots);
    for (int64_t i = 0; i < n; i++) {
        int64_t p = a->slots[i];
        slots[i] = -1;
        if (p < 0 || !evec_valid(idx, i)) continue;
        int64_t len = lo[p + 1] - lo[p], k = idx->l[i];
        k = k > 0 ? k - 1 : k < 0 ? len + k : -1;
        if (k >= 0 && k < len) slots[i] = child->offset + lo[p] + k;
    }
    return sluice_expr_gather(c, nd->type, child, slots);
}

static const struct evec *eval_array_contains(struct ectx *c, const struct expr_node *nd, const struct evec *a,
                                              const struct evec *x)
{
    int64_t n = c->n;
    struct evec *v = ectx_vec(c);
    v->b = ectx_alloc(c, (size_t)n);
    v->valid = ectx_alloc(c, (size_t)n);
    if (!a->arr) {
        memset(v->b, 0, (size_t)n);
        memset(v->valid, 0, (size_t)n);
        return v;
    }
    const int32_t *lo = a->arr->buffers[1];
    const struct ArrowArray *e = a->arr->children[0];
    enum sluice_type et = sluice_type_of(nd->args[0]->schema->children[0]);
    bool as_double = nd->iarg == 1;
    const void *bits = e->null_count != 0 ? e->buffers[0] : NULL;
    for (int64_t i = 0; i < n; i++) {
        int64_t p = a->slots[i];
        v->b[i] = 0;
        v->valid[i] = 0;
        if (p < 0 || !evec_valid(x, i)) continue;
        bool found = false, saw_null = false;
        for (int64_t k = e->offset + lo[p]; k < e->offset + lo[p + 1] && !found; k++) {
            if (bits && !bit(bits, k)) {
                saw_null = true;
                continue;
            }
            switch (et) {
            case SLUICE_TYPE_BOOLEAN: found = bit(e->buffers[1], k) == (x->b[i] != 0); break;
            case SLUICE_TYPE_LONG:
            case SLUICE_TYPE_TIMESTAMP:
                if (as_double) found = (double)((const int64_t *)e->buffers[1])[k] == x->d[i];
                else found = ((const int64_t *)e->buffers[1])[k] == x->l[i];
                break;
            case SLUICE_TYPE_DATE: found = ((const int32_t *)e->buffers[1])[k] == x->l[i]; break;
            case SLUICE_TYPE_DOUBLE: {
                double y = ((const double *)e->buffers[1])[k];
                found = y == x->d[i] || (isnan(y) && isnan(x->d[i]));
                break;
            }
            case SLUICE_TYPE_STRING: {
                const int32_t *so = e->buffers[1];
                int32_t xl;
                const char *xs = evec_str(x, i, &xl);
                found = so[k + 1] - so[k] == xl && memcmp((const char *)e->buffers[2] + so[k], xs, (size_t)xl) == 0;
                break;
            }
            default: break;
            }
        }
        v->b[i] = found;
        v->valid[i] = found || !saw_null;
    }
    return v;
}

const struct evec *sluice_expr_eval_array(struct ectx *c, const struct expr_node *nd)
{
    const struct evec *a = sluice_expr_eval_node(c, nd->args[0]);
    switch (nd->fn) {
    case FN_SIZE: return eval_size(c, nd, a);
    case FN_ELEMENT_AT: return eval_element_at(c, nd, a, sluice_expr_eval_node(c, nd->args[1]));
    case FN_ARRAY_CONTAINS: return eval_array_contains(c, nd, a, sluice_expr_eval_node(c, nd->args[1]));
    default: return ectx_null(c);
    }
}
