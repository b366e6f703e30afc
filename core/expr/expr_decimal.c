/* DECIMAL in expressions: the shared type nodes, Spark's widening, and
 * the arithmetic kernels. The checker gives every decimal node a schema
 * naming its digits (DECIMAL(p, s)); operands reach a kernel already cast
 * to their decimal types, and the kernel computes exactly and rounds to
 * the node's scale (core/util/decimal.h), a result of too many digits
 * being null as in Spark without ANSI mode. */
#include "expr_check_priv.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "schema.h"

/* One node per (p, s), made on first use and kept: a compiled
 * expression borrows it as it borrows its input's nodes. */
static _Atomic(struct ArrowSchema *) decimal_nodes[SLUICE_DEC_MAX + 1][SLUICE_DEC_MAX + 1];

const struct ArrowSchema *sluice_expr_decimal_schema(int p, int s)
{
    if (p < 1) p = 1;
    if (p > SLUICE_DEC_MAX) p = SLUICE_DEC_MAX;
    if (s < 0) s = 0;
    if (s > p) s = p;
    struct ArrowSchema *node = atomic_load(&decimal_nodes[p][s]);
    if (node) return node;
    struct ArrowSchema *made = sluice_xcalloc(1, sizeof *made);
    char fmt[48];
    snprintf(fmt, sizeof fmt, "d:%d,%d", p, s);
    sluice_schema_init(made, fmt, "", true, 0);
    if (atomic_compare_exchange_strong(&decimal_nodes[p][s], &node, made)) return made;
    sluice_schema_release(made); /* another thread made it first */
    free(made);
    return node;
}

bool sluice_expr_dec_params(const struct expr_node *n, int *p, int *s)
{
    if (n->type == SLUICE_TYPE_DECIMAL && n->schema) {
        sluice_decimal_params(n->schema, p, s);
        return true;
    }
    if (n->type == SLUICE_TYPE_LONG) {
        *p = 20;
        *s = 0;
        return true;
    }
    return false;
}

const struct ArrowSchema *sluice_expr_dec_wider(const struct expr_node *a, const struct expr_node *b)
{
    int p1, s1, p2, s2;
    if (!sluice_expr_dec_params(a, &p1, &s1)) return b->schema;
    if (!sluice_expr_dec_params(b, &p2, &s2)) return a->schema;
    int p, s;
    sluice_dec_wider(p1, s1, p2, s2, &p, &s);
    return sluice_expr_decimal_schema(p, s);
}

void sluice_expr_literal_decimal(struct expr_node *n)
{
    if (n->kind != EX_LIT || n->lit.is_null) return;
    if (n->type != SLUICE_TYPE_LONG && !(n->type == SLUICE_TYPE_DOUBLE && n->plain_decimal)) return;
    const char *t = n->text;
    const char *dot = strchr(t, '.');
    int scale = dot ? (int)strlen(dot + 1) : 0, digits = 0;
    bool lead = true;
    for (const char *c = t; *c; c++) {
        if (*c < '0' || *c > '9') continue;
        if (lead && *c == '0') continue;
        lead = false;
        digits++;
    }
    int p = digits > scale ? digits : scale;
    if (p < 1) p = 1;
    sluice_dec x;
    if (p > SLUICE_DEC_MAX || sluice_dec_parse(t, strlen(t), p, scale, &x) != 0) return;
    n->type = SLUICE_TYPE_DECIMAL;
    n->schema = sluice_expr_decimal_schema(p, scale);
    n->lit.x = x;
}

/* ---- checking ---------------------------------------------------------------------- */

/* Arithmetic with a decimal and no double: Spark's DecimalPrecision. Each
 * operand is cast to its decimal type (a long to (20, 0), a null to the
 * other's), the result typed by the operator's rule. *done when it is one. */
void sluice_expr_check_decimal_arith(struct checker *k, struct expr_node *n, bool *done)
{
    bool any = false;
    *done = false;
    for (int i = 0; i < n->n_args; i++) any |= n->args[i]->type == SLUICE_TYPE_DECIMAL;
    if (!any) return;
    for (int i = 0; i < n->n_args; i++) sluice_expr_literal_decimal(n->args[i]);
    for (int i = 0; i < n->n_args; i++)
        if (n->args[i]->type == SLUICE_TYPE_DOUBLE) return;
    *done = true;
    if (n->n_args == 1) {
        n->type = SLUICE_TYPE_DECIMAL;
        n->schema = n->args[0]->schema;
        return;
    }
    for (int i = 0; i < 2; i++) {
        struct expr_node *a = n->args[i], *other = n->args[1 - i];
        int p, s;
        if (a->type == SLUICE_TYPE_LONG) sluice_expr_coerce_to(k->e, &n->args[i], SLUICE_TYPE_DECIMAL, sluice_expr_decimal_schema(20, 0));
        else if (a->type == SLUICE_TYPE_INVALID && sluice_expr_dec_params(other, &p, &s))
            sluice_expr_coerce_to(k->e, &n->args[i], SLUICE_TYPE_DECIMAL, sluice_expr_decimal_schema(p, s));
    }
    int p1, s1, p2, s2, p, s;
    sluice_expr_dec_params(n->args[0], &p1, &s1);
    sluice_expr_dec_params(n->args[1], &p2, &s2);
    char op = n->kind == EX_ADD ? '+' : n->kind == EX_SUB ? '-' : n->kind == EX_MUL ? '*' : n->kind == EX_DIV ? '/' : '%';
    sluice_dec_result_type(op, p1, s1, p2, s2, &p, &s);
    n->type = SLUICE_TYPE_DECIMAL;
    n->schema = sluice_expr_decimal_schema(p, s);
}

/* A comparison with a decimal: with a double both are doubles; with a
 * decimal, a long or a null both take the wider decimal; a string is read
 * as the decimal's type (Spark's findCommonTypeForBinaryComparison). */
int sluice_expr_check_decimal_compare(struct checker *k, struct expr_node *n, const char *op)
{
    sluice_expr_literal_decimal(n->args[0]);
    sluice_expr_literal_decimal(n->args[1]);
    struct expr_node *a = n->args[0], *b = n->args[1];
    enum sluice_type other = a->type == SLUICE_TYPE_DECIMAL ? b->type : a->type;
    const struct ArrowSchema *dec = a->type == SLUICE_TYPE_DECIMAL ? a->schema : b->schema;
    if (other == SLUICE_TYPE_DOUBLE) {
        sluice_expr_coerce(k->e, &n->args[0], SLUICE_TYPE_DOUBLE);
        sluice_expr_coerce(k->e, &n->args[1], SLUICE_TYPE_DOUBLE);
    } else if (other == SLUICE_TYPE_DECIMAL || other == SLUICE_TYPE_LONG || other == SLUICE_TYPE_INVALID ||
               other == SLUICE_TYPE_STRING) {
        const struct ArrowSchema *to = other == SLUICE_TYPE_STRING || other == SLUICE_TYPE_INVALID ? dec
                                                                                                    : sluice_expr_dec_wider(a, b);
        sluice_expr_coerce_to(k->e, &n->args[0], SLUICE_TYPE_DECIMAL, to);
        sluice_expr_coerce_to(k->e, &n->args[1], SLUICE_TYPE_DECIMAL, to);
    } else {
        return sluice_expr_fail(k->err, k->text, n->pos, "operator '%s' cannot compare %s with %s", op,
                                sluice_expr_tname(a->type), sluice_expr_tname(b->type));
    }
    n->type = SLUICE_TYPE_BOOLEAN;
    return SLUICE_OK;
}

/* ---- kernels --------------------------------------------------------------------- */

const struct evec *sluice_expr_eval_dec_arith(struct ectx *c, const struct expr_node *nd)
{
    int64_t n = c->n;
    const struct evec *a = sluice_expr_eval_node(c, nd->args[0]);
    const struct evec *b = sluice_expr_eval_node(c, nd->args[1]);
    int ap, as, bp, bs, rp, rs;
    sluice_expr_dec_params(nd->args[0], &ap, &as);
    sluice_expr_dec_params(nd->args[1], &bp, &bs);
    sluice_expr_dec_params(nd, &rp, &rs);
    struct evec *v = ectx_vec(c);
    v->valid = ectx_alloc(c, (size_t)n);
    v->x = ectx_alloc(c, (size_t)n * sizeof *v->x);
    for (int64_t i = 0; i < n; i++) {
        bool ok = evec_valid(a, i) && evec_valid(b, i);
        sluice_dec r = 0, x = a->x[i], y = b->x[i];
        switch (nd->kind) {
        case EX_ADD: ok = ok && sluice_dec_add(x, as, y, bs, rp, rs, &r); break;
        case EX_SUB: ok = ok && sluice_dec_add(x, as, -y, bs, rp, rs, &r); break;
        case EX_MUL: ok = ok && sluice_dec_mul(x, as, y, bs, rp, rs, &r); break;
        case EX_DIV: ok = ok && sluice_dec_div(x, as, y, bs, rp, rs, &r); break;
        default: ok = ok && sluice_dec_mod(x, as, y, bs, rp, rs, &r); break;
        }
        v->valid[i] = ok;
        v->x[i] = ok ? r : 0;
    }
    return v;
}

const struct evec *sluice_expr_eval_dec_neg(struct ectx *c, const struct expr_node *nd)
{
    int64_t n = c->n;
    const struct evec *a = sluice_expr_eval_node(c, nd->args[0]);
    struct evec *v = ectx_vec(c);
    v->valid = a->valid;
    v->x = ectx_alloc(c, (size_t)n * sizeof *v->x);
    for (int64_t i = 0; i < n; i++) v->x[i] = -a->x[i];
    return v;
}
