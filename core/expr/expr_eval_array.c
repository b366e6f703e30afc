/* Array and map functions: size (-1 for NULL, Spark's default),
 * element_at (1-based, negative from the end, out of range is null as with
 * ANSI off; of a map, the value of the first entry with the key),
 * array_contains (null when not found but the array holds a null),
 * map_keys and map_values. */
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
    enum sluice_type t = nd->args[0]->type;
    if ((t != SLUICE_TYPE_ARRAY && t != SLUICE_TYPE_MAP) || !a->arr) {
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

/* Whether entry key `k` (a physical slot of `keys`) equals row i of `x`. */
static bool key_equals(enum sluice_type t, const struct ArrowArray *keys, int64_t k, const struct evec *x, int64_t i)
{
    switch (t) {
    case SLUICE_TYPE_STRING: {
        const int32_t *so = keys->buffers[1];
        int32_t xl;
        const char *xs = evec_str(x, i, &xl);
        return so[k + 1] - so[k] == xl && memcmp((const char *)keys->buffers[2] + so[k], xs, (size_t)xl) == 0;
    }
    case SLUICE_TYPE_LONG:
    case SLUICE_TYPE_TIMESTAMP: return ((const int64_t *)keys->buffers[1])[k] == x->l[i];
    case SLUICE_TYPE_DATE: return ((const int32_t *)keys->buffers[1])[k] == x->l[i];
    case SLUICE_TYPE_DECIMAL: return sluice_get_decimal(keys, k) == x->x[i];
    case SLUICE_TYPE_DOUBLE: return ((const double *)keys->buffers[1])[k] == x->d[i];
    case SLUICE_TYPE_BOOLEAN: return bit(keys->buffers[1], k) == (x->b[i] != 0);
    default: return false;
    }
}

/* element_at(map, key) and map['key']: the first entry's value. A JSON
 * object with a repeated key keeps both entries (Spark's default
 * mapKeyDedupPolicy fails the row instead); the first one answers. */
static const struct evec *eval_map_get(struct ectx *c, const struct expr_node *nd, const struct evec *a,
                                       const struct evec *key)
{
    int64_t n = c->n;
    if (!a->arr) return ectx_null(c);
    const int32_t *lo = a->arr->buffers[1];
    const struct ArrowArray *e = a->arr->children[0], *keys = e->children[0], *values = e->children[1];
    enum sluice_type kt = sluice_type_of(nd->args[0]->schema->children[0]->children[0]);
    int64_t *slots = ectx_alloc(c, (size_t)(n ? n : 1) * sizeof *slots);
    for (int64_t i = 0; i < n; i++) {
        int64_t p = a->slots[i];
        slots[i] = -1;
        if (p < 0 || !evec_valid(key, i)) continue;
        for (int64_t q = e->offset + lo[p]; q < e->offset + lo[p + 1]; q++)
            if (key_equals(kt, keys, keys->offset + q, key, i)) {
                slots[i] = values->offset + q;
                break;
            }
    }
    return sluice_expr_gather(c, nd->type, values, slots);
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
            case SLUICE_TYPE_DECIMAL: found = sluice_get_decimal(e, k) == x->x[i]; break;
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
    case FN_ELEMENT_AT:
        if (nd->args[0]->type == SLUICE_TYPE_MAP) return eval_map_get(c, nd, a, sluice_expr_eval_node(c, nd->args[1]));
        return eval_element_at(c, nd, a, sluice_expr_eval_node(c, nd->args[1]));
    case FN_MAP_KEYS:
    case FN_MAP_VALUES: {
        if (!a->arr) return ectx_null(c);
        struct evec *v = ectx_vec(c);
        v->arr = sluice_expr_field_of_each(c, a->arr, nd->fn == FN_MAP_KEYS ? 0 : 1);
        v->slots = a->slots;
        return v;
    }
    case FN_ARRAY_CONTAINS: return eval_array_contains(c, nd, a, sluice_expr_eval_node(c, nd->args[1]));
    default: return ectx_null(c);
    }
}
