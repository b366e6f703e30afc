/* Kernels that pick between values: CASE, if, coalesce (all a choice of
 * branch per row followed by one gather), and IN. Every branch is computed
 * for the whole batch (Spark's expressions have no side effects, and the
 * evaluator never fails on data), then each row takes its branch's value. */
#include "expr_priv.h"

#include <string.h>

#include "arena.h"
#include "builder.h"

/* Row i takes vs[choice[i]] at row i, or null when choice[i] is -1. */
static const struct evec *merge(struct ectx *c, const struct expr_node *nd, const struct evec *const *vs, int k,
                                const int32_t *choice)
{
    int64_t n = c->n;
    struct evec *v = ectx_vec(c);
    v->valid = ectx_alloc(c, (size_t)n);
    bool all_valid = true;
    for (int64_t i = 0; i < n; i++) {
        v->valid[i] = choice[i] >= 0 && evec_valid(vs[choice[i]], i);
        all_valid = all_valid && v->valid[i];
    }
    switch (nd->type) {
    case SLUICE_TYPE_BOOLEAN:
        v->b = ectx_alloc(c, (size_t)n);
        for (int64_t i = 0; i < n; i++) v->b[i] = choice[i] >= 0 ? vs[choice[i]]->b[i] : 0;
        break;
    case SLUICE_TYPE_LONG:
    case SLUICE_TYPE_TIMESTAMP:
    case SLUICE_TYPE_DATE:
        v->l = ectx_alloc(c, (size_t)n * 8);
        for (int64_t i = 0; i < n; i++) v->l[i] = choice[i] >= 0 ? vs[choice[i]]->l[i] : 0;
        break;
    case SLUICE_TYPE_DOUBLE:
        v->d = ectx_alloc(c, (size_t)n * 8);
        for (int64_t i = 0; i < n; i++) v->d[i] = choice[i] >= 0 ? vs[choice[i]]->d[i] : 0;
        break;
    case SLUICE_TYPE_DECIMAL:
        v->x = ectx_alloc(c, (size_t)n * sizeof *v->x);
        for (int64_t i = 0; i < n; i++) v->x[i] = choice[i] >= 0 ? vs[choice[i]]->x[i] : 0;
        break;
    case SLUICE_TYPE_STRING: {
        size_t total = 0;
        int32_t len;
        for (int64_t i = 0; i < n; i++)
            if (v->valid[i]) {
                evec_str(vs[choice[i]], i, &len);
                total += (size_t)len;
            }
        struct sbuild b;
        if (!sbuild_init(c, &b, total)) return ectx_null(c);
        for (int64_t i = 0; i < n; i++) {
            len = 0;
            if (v->valid[i]) {
                const char *s = evec_str(vs[choice[i]], i, &len);
                memcpy(sbuild_room(&b), s, (size_t)len);
            }
            sbuild_end_row(&b, i, (size_t)len);
        }
        sbuild_to_vec(&b, v);
        break;
    }
    case SLUICE_TYPE_STRUCT:
    case SLUICE_TYPE_ARRAY:
    case SLUICE_TYPE_MAP: {
        const struct ArrowArray *arr = NULL;
        bool shared = true;
        for (int j = 0; j < k; j++) {
            if (!vs[j]->arr) continue;
            if (arr && vs[j]->arr != arr) shared = false;
            arr = vs[j]->arr;
        }
        int64_t *slots = ectx_alloc(c, (size_t)n * sizeof *slots);
        if (shared) {
            for (int64_t i = 0; i < n; i++) slots[i] = v->valid[i] ? vs[choice[i]]->slots[i] : -1;
            v->arr = arr;
        } else {
            /* Branches from different columns: copy the chosen values into
             * one array so the result is slots of a single array again. */
            struct sluice_builder *bld = sluice_builder_new(nd->schema);
            sluice_builder_reserve(bld, n);
            for (int64_t i = 0; i < n; i++) {
                if (v->valid[i]) sluice_builder_append_from(bld, vs[choice[i]]->arr, vs[choice[i]]->slots[i]);
                else sluice_builder_append_null(bld);
                slots[i] = v->valid[i] ? i : -1;
            }
            struct ArrowArray *out = ectx_alloc(c, sizeof *out);
            sluice_builder_finish_array(bld, c->scratch, out);
            sluice_builder_free(bld);
            ectx_own(c, out);
            v->arr = out;
        }
        v->slots = slots;
        break;
    }
    default:
        break;
    }
    if (all_valid) v->valid = NULL;
    return v;
}

static bool is_true(const struct evec *v, int64_t i)
{
    return evec_valid(v, i) && v->b[i];
}

static const struct evec *eval_case(struct ectx *c, const struct expr_node *nd)
{
    int64_t n = c->n;
    int pairs = nd->n_args / 2;
    bool has_else = nd->n_args % 2;
    int k = pairs + has_else;
    const struct evec *conds[pairs + 1], *vals[k + 1];
    for (int j = 0; j < pairs; j++) {
        conds[j] = sluice_expr_eval_node(c, nd->args[2 * j]);
        vals[j] = sluice_expr_eval_node(c, nd->args[2 * j + 1]);
    }
    if (has_else) vals[pairs] = sluice_expr_eval_node(c, nd->args[nd->n_args - 1]);
    int32_t *choice = ectx_alloc(c, (size_t)n * sizeof *choice);
    for (int64_t i = 0; i < n; i++) {
        int32_t ch = has_else ? pairs : -1;
        for (int j = 0; j < pairs; j++)
            if (is_true(conds[j], i)) {
                ch = j;
                break;
            }
        choice[i] = ch;
    }
    return merge(c, nd, vals, k, choice);
}

static const struct evec *eval_coalesce(struct ectx *c, const struct expr_node *nd)
{
    int64_t n = c->n;
    int k = nd->n_args;
    const struct evec *vals[k + 1];
    for (int j = 0; j < k; j++) vals[j] = sluice_expr_eval_node(c, nd->args[j]);
    int32_t *choice = ectx_alloc(c, (size_t)n * sizeof *choice);
    for (int64_t i = 0; i < n; i++) {
        choice[i] = -1;
        for (int j = 0; j < k; j++)
            if (evec_valid(vals[j], i)) {
                choice[i] = j;
                break;
            }
    }
    return merge(c, nd, vals, k, choice);
}

/* if(c, a, b): a where c is true; b where c is false or null, as in Spark. */
static const struct evec *eval_if(struct ectx *c, const struct expr_node *nd)
{
    int64_t n = c->n;
    const struct evec *cond = sluice_expr_eval_node(c, nd->args[0]);
    const struct evec *vals[2] = { sluice_expr_eval_node(c, nd->args[1]), sluice_expr_eval_node(c, nd->args[2]) };
    int32_t *choice = ectx_alloc(c, (size_t)n * sizeof *choice);
    for (int64_t i = 0; i < n; i++) choice[i] = is_true(cond, i) ? 0 : 1;
    return merge(c, nd, vals, 2, choice);
}

/* x IN (a, b, ...): true on a match; otherwise null if x or any item is
 * null, else false. */
static const struct evec *eval_in(struct ectx *c, const struct expr_node *nd)
{
    int64_t n = c->n;
    const struct evec *x = sluice_expr_eval_node(c, nd->args[0]);
    struct evec *v = ectx_vec(c);
    v->b = ectx_alloc(c, (size_t)n);
    memset(v->b, 0, (size_t)n);
    uint8_t *saw_null = ectx_alloc(c, (size_t)n);
    memset(saw_null, 0, (size_t)n);
    int8_t *r = ectx_alloc(c, (size_t)n);
    for (int j = 1; j < nd->n_args; j++) {
        const struct evec *y = sluice_expr_eval_node(c, nd->args[j]);
        sluice_expr_compare(c, nd->args[0]->type, x, y, r);
        for (int64_t i = 0; i < n; i++) {
            bool vy = evec_valid(y, i);
            v->b[i] |= vy && r[i] == 0;
            saw_null[i] |= !vy;
        }
    }
    v->valid = ectx_alloc(c, (size_t)n);
    bool all_valid = true;
    for (int64_t i = 0; i < n; i++) {
        v->b[i] &= evec_valid(x, i);
        v->valid[i] = evec_valid(x, i) && (v->b[i] || !saw_null[i]);
        all_valid = all_valid && v->valid[i];
    }
    if (all_valid) v->valid = NULL;
    return v;
}

const struct evec *sluice_expr_eval_cond(struct ectx *c, const struct expr_node *nd)
{
    if (nd->kind == EX_IN) return eval_in(c, nd);
    if (nd->kind == EX_CASE) return eval_case(c, nd);
    if (nd->fn == FN_COALESCE) return eval_coalesce(c, nd);
    return eval_if(c, nd);
}
