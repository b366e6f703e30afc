/* Time-range bounds read from a compiled comparison: see expr.h
 * (sluice_expr_time_bound). Spark's StreamingJoinHelper reads a join's
 * condition the same way, as a linear sum of timestamp columns and
 * constants, to know how long each side must keep its rows. */
#include "expr_priv.h"

#include "colpath.h"

/* One side of a comparison as a sum: at most two column terms (each with
 * a sign) and a constant. */
struct sum {
    const struct expr_node *col[2];
    int sign[2];
    int n_cols;
    int64_t us;
    bool ok;
};

static void add_term(const struct expr_node *n, int sign, struct sum *s)
{
    if (!s->ok) return;
    switch (n->kind) {
    case EX_ADD:
    case EX_SUB:
        add_term(n->args[0], sign, s);
        add_term(n->args[1], n->kind == EX_SUB ? -sign : sign, s);
        return;
    case EX_POS:
        add_term(n->args[0], sign, s);
        return;
    case EX_NEG:
        add_term(n->args[0], -sign, s);
        return;
    case EX_LIT:
        if (n->interval) s->us += sign * n->lit.l;
        else s->ok = false;
        return;
    case EX_PATH:
        if (n->type != SLUICE_TYPE_TIMESTAMP || s->n_cols == 2) {
            s->ok = false;
            return;
        }
        s->col[s->n_cols] = n;
        s->sign[s->n_cols++] = sign;
        return;
    default:
        s->ok = false;
        return;
    }
}

bool sluice_expr_time_bound(const struct sluice_expr *e, const struct ArrowSchema *input,
                            struct sluice_expr_time_bound *out)
{
    const struct expr_node *n = e->root;
    if (n->kind != EX_LT && n->kind != EX_LE && n->kind != EX_GT && n->kind != EX_GE) return false;
    /* a < b is a - b < 0; a > b is b - a < 0. */
    bool greater = n->kind == EX_GT || n->kind == EX_GE;
    struct sum s = { .ok = true };
    add_term(n->args[greater ? 1 : 0], 1, &s);
    add_term(n->args[greater ? 0 : 1], -1, &s);
    if (!s.ok || s.n_cols != 2 || s.sign[0] == s.sign[1]) return false;
    int plus = s.sign[0] > 0 ? 0 : 1;
    /* plus - minus + us < 0: plus - minus < -us. */
    sluice_buf_clear(&out->plus);
    sluice_buf_clear(&out->minus);
    sluice_col_projection_path(input, &s.col[plus]->col, &out->plus);
    sluice_col_projection_path(input, &s.col[1 - plus]->col, &out->minus);
    out->us = -s.us;
    out->strict = n->kind == EX_LT || n->kind == EX_GT;
    return out->plus.data && out->minus.data;
}
