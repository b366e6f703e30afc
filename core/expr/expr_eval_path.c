/* Column paths: `a.b.c` over struct and list columns, `x.field` on any
 * struct value, and the gather every kernel uses to read values at
 * arbitrary physical slots.
 *
 * A path reads its leaf in place while rows stay contiguous and gathers
 * once a list index has given each row its own slot. */
#include "expr_priv.h"

#include <string.h>

static bool bit(const void *bits, int64_t i)
{
    return (((const uint8_t *)bits)[i >> 3] >> (i & 7)) & 1;
}

static bool has_nulls(const struct ArrowArray *a)
{
    return a->null_count != 0 && a->buffers[0];
}

const struct evec *sluice_expr_gather(struct ectx *c, enum sluice_type t, const struct ArrowArray *a,
                                      int64_t *slots)
{
    int64_t n = c->n;
    struct evec *v = ectx_vec(c);
    if (has_nulls(a))
        for (int64_t i = 0; i < n; i++)
            if (slots[i] >= 0 && !bit(a->buffers[0], slots[i])) slots[i] = -1;
    bool any_null = false;
    for (int64_t i = 0; i < n && !any_null; i++) any_null = slots[i] < 0;
    if (any_null) {
        v->valid = ectx_alloc(c, (size_t)n);
        for (int64_t i = 0; i < n; i++) v->valid[i] = slots[i] >= 0;
    }
    switch (t) {
    case SLUICE_TYPE_LONG:
    case SLUICE_TYPE_TIMESTAMP:
    case SLUICE_TYPE_DOUBLE: {
        const int64_t *src = a->buffers[1];
        int64_t *dst = ectx_alloc(c, (size_t)n * 8);
        for (int64_t i = 0; i < n; i++) {
            if (slots[i] >= 0) memcpy(&dst[i], &src[slots[i]], 8);
            else dst[i] = 0;
        }
        if (t == SLUICE_TYPE_DOUBLE) v->d = (double *)(void *)dst;
        else v->l = dst;
        break;
    }
    case SLUICE_TYPE_DATE: {
        const int32_t *src = a->buffers[1];
        int64_t *dst = ectx_alloc(c, (size_t)n * 8);
        for (int64_t i = 0; i < n; i++) dst[i] = slots[i] >= 0 ? src[slots[i]] : 0;
        v->l = dst;
        break;
    }
    case SLUICE_TYPE_DECIMAL:
        v->x = ectx_alloc(c, (size_t)n * sizeof *v->x);
        for (int64_t i = 0; i < n; i++) v->x[i] = slots[i] >= 0 ? sluice_get_decimal(a, slots[i]) : 0;
        break;
    case SLUICE_TYPE_BOOLEAN:
        v->b = ectx_alloc(c, (size_t)n);
        for (int64_t i = 0; i < n; i++) v->b[i] = slots[i] >= 0 && bit(a->buffers[1], slots[i]);
        break;
    case SLUICE_TYPE_STRING: {
        const int32_t *so = a->buffers[1];
        const char *sd = a->buffers[2];
        size_t total = 0;
        for (int64_t i = 0; i < n; i++)
            if (slots[i] >= 0) total += (size_t)(so[slots[i] + 1] - so[slots[i]]);
        struct sbuild b;
        if (!sbuild_init(c, &b, total)) return ectx_null(c);
        for (int64_t i = 0; i < n; i++) {
            size_t len = 0;
            if (slots[i] >= 0) {
                len = (size_t)(so[slots[i] + 1] - so[slots[i]]);
                memcpy(sbuild_room(&b), sd + so[slots[i]], len);
            }
            sbuild_end_row(&b, i, len);
        }
        sbuild_to_vec(&b, v);
        break;
    }
    default:
        v->arr = a;
        v->slots = slots;
        break;
    }
    return v;
}

/* ---- column paths ---------------------------------------------------------------- */

/* Walk the path for every row at once. While no list index was crossed the
 * rows stay contiguous (row i is physical slot base + i of the current
 * node) and the leaf is read in place; after an index, each row carries
 * its own physical slot (-1 once anything on the way was null or out of
 * range) and the leaf is gathered. */
const struct evec *sluice_expr_eval_path(struct ectx *c, const struct expr_node *nd)
{
    int64_t n = c->n;
    const struct ArrowArray *a = c->root;
    int64_t base = a->offset;
    uint8_t *valid = NULL;
    int64_t *slots = NULL;
    if (has_nulls(a)) {
        valid = ectx_alloc(c, (size_t)n);
        for (int64_t i = 0; i < n; i++) valid[i] = bit(a->buffers[0], base + i);
    }
    for (int32_t d = 0; d < nd->col.depth; d++) {
        const struct sluice_path_step *st = &nd->col.steps[d];
        if (st->child >= 0) {
            a = a->children[st->child];
            if (slots) {
                for (int64_t i = 0; i < n; i++)
                    if (slots[i] >= 0) slots[i] += a->offset;
            } else {
                base += a->offset;
            }
        } else {
            const int32_t *lo = a->buffers[1];
            const struct ArrowArray *child = a->children[0];
            if (!slots) {
                slots = ectx_alloc(c, (size_t)n * sizeof *slots);
                for (int64_t i = 0; i < n; i++) slots[i] = valid && !valid[i] ? -1 : base + i;
                valid = NULL;
            }
            int64_t idx = st->index;
            for (int64_t i = 0; i < n; i++) {
                int64_t p = slots[i];
                if (p < 0) continue;
                int64_t s = lo[p], e = lo[p + 1];
                slots[i] = idx < e - s ? child->offset + s + idx : -1;
            }
            a = child;
        }
        if (has_nulls(a)) {
            const void *bits = a->buffers[0];
            if (slots) {
                for (int64_t i = 0; i < n; i++)
                    if (slots[i] >= 0 && !bit(bits, slots[i])) slots[i] = -1;
            } else {
                if (!valid) {
                    valid = ectx_alloc(c, (size_t)n);
                    memset(valid, 1, (size_t)n);
                }
                for (int64_t i = 0; i < n; i++) valid[i] &= bit(bits, base + i);
            }
        }
    }

    struct evec *v = ectx_vec(c);
    enum sluice_type t = nd->type;
    if (!slots) {
        v->valid = valid;
        switch (t) {
        case SLUICE_TYPE_LONG:
        case SLUICE_TYPE_TIMESTAMP:
            v->l = (int64_t *)a->buffers[1] + base;
            break;
        case SLUICE_TYPE_DOUBLE:
            v->d = (double *)a->buffers[1] + base;
            break;
        case SLUICE_TYPE_DATE: {
            const int32_t *src = (const int32_t *)a->buffers[1] + base;
            v->l = ectx_alloc(c, (size_t)n * 8);
            for (int64_t i = 0; i < n; i++) v->l[i] = src[i];
            break;
        }
        case SLUICE_TYPE_DECIMAL:
            v->x = ectx_alloc(c, (size_t)n * sizeof *v->x);
            for (int64_t i = 0; i < n; i++) v->x[i] = sluice_get_decimal(a, base + i);
            break;
        case SLUICE_TYPE_BOOLEAN:
            v->b = ectx_alloc(c, (size_t)n);
            for (int64_t i = 0; i < n; i++) v->b[i] = bit(a->buffers[1], base + i);
            break;
        case SLUICE_TYPE_STRING:
            v->offs = (const int32_t *)a->buffers[1] + base;
            v->data = a->buffers[2];
            break;
        default: {
            int64_t *s = ectx_alloc(c, (size_t)n * sizeof *s);
            for (int64_t i = 0; i < n; i++) s[i] = valid && !valid[i] ? -1 : base + i;
            v->arr = a;
            v->slots = s;
            break;
        }
        }
        return v;
    }

    return sluice_expr_gather(c, t, a, slots);
}

/* Every element's field of a list of structs, without copying a value:
 * a list array with the same offsets (and validity) as `list`, whose child
 * is a view of the field's array indexed as the structs are. A null struct
 * makes its element null: then the view gets a validity of its own, the
 * field's and the struct's together. Lives in the call's scratch. */
const struct ArrowArray *sluice_expr_field_of_each(struct ectx *c, const struct ArrowArray *list, int64_t field)
{
    const struct ArrowArray *st = list->children[0];
    const struct ArrowArray *f = st->children[field];
    struct ArrowArray *view = ectx_alloc(c, sizeof *view);
    *view = *f;
    view->release = NULL;
    view->private_data = NULL;
    view->offset = f->offset + st->offset; /* element q of the list's child is struct q */
    view->length = st->length;
    if (has_nulls(st)) {
        int64_t bits = view->offset + view->length;
        uint8_t *valid = ectx_alloc(c, (size_t)(bits + 7) / 8 + 1);
        memset(valid, 0, (size_t)(bits + 7) / 8 + 1);
        const void **buffers = ectx_alloc(c, (size_t)f->n_buffers * sizeof *buffers);
        memcpy(buffers, f->buffers, (size_t)f->n_buffers * sizeof *buffers);
        int64_t nulls = 0;
        for (int64_t q = 0; q < st->length; q++) {
            bool ok = bit(st->buffers[0], st->offset + q) && (!has_nulls(f) || bit(f->buffers[0], view->offset + q));
            if (ok) valid[(view->offset + q) >> 3] |= (uint8_t)(1u << ((view->offset + q) & 7));
            else nulls++;
        }
        buffers[0] = valid;
        view->buffers = buffers;
        view->null_count = nulls;
    } else if (has_nulls(f)) {
        view->null_count = -1; /* a part of the field's: not counted */
    }
    struct ArrowArray *out = ectx_alloc(c, sizeof *out);
    struct ArrowArray **children = ectx_alloc(c, sizeof *children);
    *out = *list;
    out->release = NULL;
    out->private_data = NULL;
    out->n_children = 1;
    children[0] = view;
    out->children = children;
    out->dictionary = NULL;
    return out;
}

/* `x.field`: the field's values at the struct's slots; over an array of
 * structs, the array of the field (Spark's GetArrayStructFields). */
const struct evec *sluice_expr_eval_field(struct ectx *c, const struct expr_node *nd)
{
    int64_t n = c->n;
    const struct evec *x = sluice_expr_eval_node(c, nd->args[0]);
    if (!x->arr) return ectx_null(c);
    if (nd->over_array) {
        struct evec *v = ectx_vec(c);
        v->arr = sluice_expr_field_of_each(c, x->arr, nd->iarg);
        v->slots = x->slots;
        return v;
    }
    const struct ArrowArray *f = x->arr->children[nd->iarg];
    int64_t *slots = ectx_alloc(c, (size_t)(n ? n : 1) * sizeof *slots);
    for (int64_t i = 0; i < n; i++) slots[i] = x->slots[i] < 0 ? -1 : x->slots[i] + f->offset;
    if (nd->type != SLUICE_TYPE_STRUCT && nd->type != SLUICE_TYPE_ARRAY && nd->type != SLUICE_TYPE_MAP)
        return sluice_expr_gather(c, nd->type, f, slots);
    if (has_nulls(f))
        for (int64_t i = 0; i < n; i++)
            if (slots[i] >= 0 && !bit(f->buffers[0], slots[i])) slots[i] = -1;
    struct evec *v = ectx_vec(c);
    v->arr = f;
    v->slots = slots;
    return v;
}
