/* The evaluator's core: the per-node dispatch, literals, arithmetic,
 * comparisons and three-valued logic. Column paths are in
 * expr_eval_path.c, the scratch in expr_ectx.c, functions by family in
 * the other expr_eval_*.c.
 *
 * Every node computes its whole column in one call: a switch per node per
 * batch, then tight loops over the rows. Loops compute values for null rows
 * too (they are masked by validity afterwards) as long as that cannot
 * fault, which keeps them branch-free; where a null row's value could do
 * harm (a division, an offset) the loop checks validity first. */
#include "expr_priv.h"

#include <math.h>
#include <string.h>

#include "timefmt.h"
#include "tz.h"


/* ---- literals ---------------------------------------------------------------- */

static const struct evec *eval_lit(struct ectx *c, const struct expr_node *nd)
{
    int64_t n = c->n;
    const struct expr_value *x = &nd->lit;
    if (x->is_null || nd->type == SLUICE_TYPE_INVALID) return ectx_null(c);
    struct evec *v = ectx_vec(c);
    switch (nd->type) {
    case SLUICE_TYPE_BOOLEAN:
        v->b = ectx_alloc(c, (size_t)n);
        memset(v->b, x->b, (size_t)n);
        break;
    case SLUICE_TYPE_LONG:
    case SLUICE_TYPE_TIMESTAMP:
    case SLUICE_TYPE_DATE:
        v->l = ectx_alloc(c, (size_t)n * 8);
        for (int64_t i = 0; i < n; i++) v->l[i] = x->l;
        break;
    case SLUICE_TYPE_DOUBLE:
        v->d = ectx_alloc(c, (size_t)n * 8);
        for (int64_t i = 0; i < n; i++) v->d[i] = x->d;
        break;
    case SLUICE_TYPE_DECIMAL:
        v->x = ectx_alloc(c, (size_t)n * sizeof *v->x);
        for (int64_t i = 0; i < n; i++) v->x[i] = x->x;
        break;
    case SLUICE_TYPE_STRING: {
        int32_t *offs = ectx_alloc(c, 2 * sizeof *offs);
        offs[0] = 0;
        offs[1] = x->s_len;
        v->offs = offs;
        v->data = x->s ? x->s : "";
        v->konst = true;
        break;
    }
    default:
        break;
    }
    return v;
}

/* ---- arithmetic ---------------------------------------------------------------- */

static const struct evec *eval_arith(struct ectx *c, const struct expr_node *nd)
{
    if (nd->type == SLUICE_TYPE_DECIMAL) return sluice_expr_eval_dec_arith(c, nd);
    int64_t n = c->n;
    const struct evec *a = sluice_expr_eval_node(c, nd->args[0]);
    const struct evec *b = sluice_expr_eval_node(c, nd->args[1]);
    const struct evec *both[2] = { a, b };
    struct evec *v = ectx_vec(c);
    v->valid = ectx_valid_and(c, both, 2);
    bool dbl = nd->type == SLUICE_TYPE_DOUBLE;
    if (dbl) v->d = ectx_alloc(c, (size_t)n * 8);
    else v->l = ectx_alloc(c, (size_t)n * 8);
    /* Division and remainder by zero are null (Spark without ANSI mode). */
    if (nd->kind == EX_DIV || nd->kind == EX_MOD) {
        if (!v->valid) {
            v->valid = ectx_alloc(c, (size_t)n);
            memset(v->valid, 1, (size_t)n);
        }
    }
    switch (nd->kind) {
    case EX_ADD:
        if (dbl) for (int64_t i = 0; i < n; i++) v->d[i] = a->d[i] + b->d[i];
        else for (int64_t i = 0; i < n; i++) v->l[i] = (int64_t)((uint64_t)a->l[i] + (uint64_t)b->l[i]);
        break;
    case EX_SUB:
        if (dbl) for (int64_t i = 0; i < n; i++) v->d[i] = a->d[i] - b->d[i];
        else for (int64_t i = 0; i < n; i++) v->l[i] = (int64_t)((uint64_t)a->l[i] - (uint64_t)b->l[i]);
        break;
    case EX_MUL:
        if (dbl) for (int64_t i = 0; i < n; i++) v->d[i] = a->d[i] * b->d[i];
        else for (int64_t i = 0; i < n; i++) v->l[i] = (int64_t)((uint64_t)a->l[i] * (uint64_t)b->l[i]);
        break;
    case EX_DIV:
        for (int64_t i = 0; i < n; i++) {
            double y = b->d[i];
            v->valid[i] &= y != 0;
            v->d[i] = y != 0 ? a->d[i] / y : 0;
        }
        break;
    case EX_MOD:
        if (dbl) {
            for (int64_t i = 0; i < n; i++) {
                double y = b->d[i];
                v->valid[i] &= y != 0;
                v->d[i] = y != 0 ? fmod(a->d[i], y) : 0;
            }
        } else {
            for (int64_t i = 0; i < n; i++) {
                int64_t y = b->l[i];
                v->valid[i] &= y != 0;
                /* INT64_MIN % -1 traps in C; Java (and so Spark) gives 0. */
                v->l[i] = y == 0 || y == -1 ? 0 : a->l[i] % y;
            }
        }
        break;
    default:
        break;
    }
    return v;
}

static const struct evec *eval_neg(struct ectx *c, const struct expr_node *nd)
{
    const struct evec *a = sluice_expr_eval_node(c, nd->args[0]);
    if (nd->kind == EX_POS) return a;
    if (nd->type == SLUICE_TYPE_DECIMAL) return sluice_expr_eval_dec_neg(c, nd);
    int64_t n = c->n;
    struct evec *v = ectx_vec(c);
    v->valid = a->valid;
    if (nd->type == SLUICE_TYPE_DOUBLE) {
        v->d = ectx_alloc(c, (size_t)n * 8);
        for (int64_t i = 0; i < n; i++) v->d[i] = -a->d[i];
    } else {
        v->l = ectx_alloc(c, (size_t)n * 8);
        for (int64_t i = 0; i < n; i++) v->l[i] = (int64_t)(0 - (uint64_t)a->l[i]);
    }
    return v;
}

/* ---- comparisons ------------------------------------------------------------------ */

/* Spark orders NaN above every other double and equal to itself. */
static inline int cmp_double(double x, double y)
{
    if (isnan(x)) return isnan(y) ? 0 : 1;
    if (isnan(y)) return -1;
    return (x > y) - (x < y);
}

/* -1, 0 or 1 per row in `out` for the operands' (shared) type. */
void sluice_expr_compare(struct ectx *c, enum sluice_type t, const struct evec *a, const struct evec *b,
                         int8_t *out)
{
    int64_t n = c->n;
    switch (t) {
    case SLUICE_TYPE_LONG:
    case SLUICE_TYPE_TIMESTAMP:
    case SLUICE_TYPE_DATE:
        for (int64_t i = 0; i < n; i++) out[i] = (int8_t)((a->l[i] > b->l[i]) - (a->l[i] < b->l[i]));
        break;
    case SLUICE_TYPE_DOUBLE:
        for (int64_t i = 0; i < n; i++) out[i] = (int8_t)cmp_double(a->d[i], b->d[i]);
        break;
    case SLUICE_TYPE_DECIMAL: /* both of one scale: the checker cast them */
        for (int64_t i = 0; i < n; i++) out[i] = (int8_t)((a->x[i] > b->x[i]) - (a->x[i] < b->x[i]));
        break;
    case SLUICE_TYPE_BOOLEAN:
        for (int64_t i = 0; i < n; i++) out[i] = (int8_t)((a->b[i] > b->b[i]) - (a->b[i] < b->b[i]));
        break;
    case SLUICE_TYPE_STRING:
        for (int64_t i = 0; i < n; i++) {
            int32_t la, lb;
            const char *pa = evec_str(a, i, &la), *pb = evec_str(b, i, &lb);
            int r = memcmp(pa, pb, (size_t)(la < lb ? la : lb));
            if (r == 0) r = (la > lb) - (la < lb);
            out[i] = (int8_t)((r > 0) - (r < 0));
        }
        break;
    default:
        memset(out, 0, (size_t)n);
        break;
    }
}

static const struct evec *eval_compare(struct ectx *c, const struct expr_node *nd)
{
    int64_t n = c->n;
    const struct evec *a = sluice_expr_eval_node(c, nd->args[0]);
    const struct evec *b = sluice_expr_eval_node(c, nd->args[1]);
    int8_t *r = ectx_alloc(c, (size_t)n);
    sluice_expr_compare(c, nd->args[0]->type, a, b, r);
    struct evec *v = ectx_vec(c);
    v->b = ectx_alloc(c, (size_t)n);
    uint8_t *o = v->b;
    switch (nd->kind) {
    case EX_EQ: for (int64_t i = 0; i < n; i++) o[i] = r[i] == 0; break;
    case EX_LT: for (int64_t i = 0; i < n; i++) o[i] = r[i] < 0; break;
    case EX_LE: for (int64_t i = 0; i < n; i++) o[i] = r[i] <= 0; break;
    case EX_GT: for (int64_t i = 0; i < n; i++) o[i] = r[i] > 0; break;
    case EX_GE: for (int64_t i = 0; i < n; i++) o[i] = r[i] >= 0; break;
    case EX_NSEQ:
        /* Null-safe: never null; two nulls are equal. */
        for (int64_t i = 0; i < n; i++) {
            bool va = evec_valid(a, i), vb = evec_valid(b, i);
            o[i] = va && vb ? r[i] == 0 : va == vb;
        }
        return v;
    default: break;
    }
    const struct evec *both[2] = { a, b };
    v->valid = ectx_valid_and(c, both, 2);
    return v;
}

/* ---- logic ------------------------------------------------------------------------- */

/* SQL's three-valued AND/OR: false AND null is false, true OR null is true. */
static const struct evec *eval_logic(struct ectx *c, const struct expr_node *nd)
{
    int64_t n = c->n;
    const struct evec *a = sluice_expr_eval_node(c, nd->args[0]);
    struct evec *v = ectx_vec(c);
    v->b = ectx_alloc(c, (size_t)n);
    if (nd->kind == EX_NOT) {
        v->valid = a->valid;
        for (int64_t i = 0; i < n; i++) v->b[i] = !a->b[i];
        return v;
    }
    const struct evec *b = sluice_expr_eval_node(c, nd->args[1]);
    if (!a->valid && !b->valid) {
        if (nd->kind == EX_AND) for (int64_t i = 0; i < n; i++) v->b[i] = a->b[i] & b->b[i];
        else for (int64_t i = 0; i < n; i++) v->b[i] = a->b[i] | b->b[i];
        return v;
    }
    v->valid = ectx_alloc(c, (size_t)n);
    for (int64_t i = 0; i < n; i++) {
        uint8_t va = evec_valid(a, i), vb = evec_valid(b, i);
        uint8_t xa = a->b[i] & va, xb = b->b[i] & vb;
        if (nd->kind == EX_AND) {
            uint8_t fa = va & !xa, fb = vb & !xb; /* known false */
            v->valid[i] = fa | fb | (va & vb);
            v->b[i] = xa & xb;
        } else {
            v->valid[i] = xa | xb | (va & vb);
            v->b[i] = xa | xb;
        }
    }
    return v;
}

static const struct evec *eval_is_null(struct ectx *c, const struct expr_node *nd)
{
    int64_t n = c->n;
    const struct evec *a = sluice_expr_eval_node(c, nd->args[0]);
    struct evec *v = ectx_vec(c);
    v->b = ectx_alloc(c, (size_t)n);
    uint8_t want = nd->negated; /* IS NOT NULL is true where valid */
    if (!a->valid) memset(v->b, want, (size_t)n);
    else for (int64_t i = 0; i < n; i++) v->b[i] = a->valid[i] == want;
    return v;
}


/* ---- dispatch ------------------------------------------------------------------------ */

static const struct evec *eval_call(struct ectx *c, const struct expr_node *nd)
{
    switch (nd->fn) {
    case FN_LOWER:
    case FN_UPPER:
    case FN_LENGTH:
    case FN_TRIM:
    case FN_CONCAT:
    case FN_CONCAT_WS:
    case FN_SUBSTRING:
    case FN_CONTAINS:
    case FN_STARTSWITH:
    case FN_ENDSWITH:
        return sluice_expr_eval_string(c, nd);
    case FN_RLIKE:
        return sluice_expr_eval_like(c, nd);
    case FN_SIZE:
    case FN_ELEMENT_AT:
    case FN_ARRAY_CONTAINS:
    case FN_MAP_KEYS:
    case FN_MAP_VALUES:
        return sluice_expr_eval_array(c, nd);
    case FN_COALESCE:
    case FN_IF:
        return sluice_expr_eval_cond(c, nd);
    case FN_ABS:
    case FN_ROUND:
    case FN_FLOOR:
    case FN_CEIL:
        return sluice_expr_eval_math(c, nd);
    case FN_XXHASH64:
    case FN_PMOD:
        return sluice_expr_eval_hash(c, nd);
    case FN_CURRENT_TIMESTAMP: {
        struct evec *v = ectx_vec(c);
        v->l = ectx_alloc(c, (size_t)c->n * 8);
        int64_t now = sluice_expr_batch_time();
        for (int64_t i = 0; i < c->n; i++) v->l[i] = now;
        return v;
    }
    case FN_CURRENT_DATE: {
        struct evec *v = ectx_vec(c);
        v->l = ectx_alloc(c, (size_t)c->n * 8);
        int64_t day = sluice_floor_div(sluice_tz_local_us(sluice_expr_batch_time()), 86400000000LL);
        for (int64_t i = 0; i < c->n; i++) v->l[i] = day;
        return v;
    }
    case FN_TO_DATE:
    case FN_DATE_ADD:
    case FN_DATE_SUB:
    case FN_DATEDIFF:
    case FN_TO_TIMESTAMP:
    case FN_DATE_FORMAT:
    case FN_DATE_TRUNC:
    case FN_YEAR:
    case FN_MONTH:
    case FN_DAYOFMONTH:
    case FN_HOUR:
    case FN_MINUTE:
    case FN_SECOND:
        return sluice_expr_eval_time(c, nd);
    case FN_FROM_JSON:
    case FN_TO_JSON:
        return sluice_expr_eval_json(c, nd);
    case FN_SPLIT:
    case FN_REGEXP_EXTRACT:
    case FN_REGEXP_REPLACE:
        return sluice_expr_eval_regex(c, nd);
    case FN_NONE:
        break;
    }
    return ectx_null(c);
}

const struct evec *sluice_expr_eval_node(struct ectx *c, const struct expr_node *nd)
{
    if (c->memo[nd->id]) return c->memo[nd->id];
    const struct evec *v = NULL;
    switch (nd->kind) {
    case EX_LIT: v = eval_lit(c, nd); break;
    case EX_PATH: v = sluice_expr_eval_path(c, nd); break;
    case EX_CAST: v = sluice_expr_eval_cast(c, nd); break;
    case EX_NEG:
    case EX_POS: v = eval_neg(c, nd); break;
    case EX_ADD:
    case EX_SUB:
    case EX_MUL:
    case EX_DIV:
    case EX_MOD: v = eval_arith(c, nd); break;
    case EX_EQ:
    case EX_LT:
    case EX_LE:
    case EX_GT:
    case EX_GE:
    case EX_NSEQ: v = eval_compare(c, nd); break;
    case EX_NOT:
    case EX_AND:
    case EX_OR: v = eval_logic(c, nd); break;
    case EX_IS_NULL: v = eval_is_null(c, nd); break;
    case EX_LIKE:
    case EX_RLIKE: v = sluice_expr_eval_like(c, nd); break;
    case EX_IN:
    case EX_CASE: v = sluice_expr_eval_cond(c, nd); break;
    case EX_FIELD: v = sluice_expr_eval_field(c, nd); break;
    case EX_CALL: v = eval_call(c, nd); break;
    case EX_AGG: v = ectx_null(c); break; /* never checked, so never evaluated */
    }
    c->memo[nd->id] = (struct evec *)v;
    return v;
}
