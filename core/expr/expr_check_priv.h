/* core/expr/expr_check_priv.h — the checker's state, shared by
 * expr_check.c (types, operators, the whole expression) and
 * expr_check_path.c (paths, fields, projection). */
#ifndef SLUICE_CORE_EXPR_CHECK_PRIV_H
#define SLUICE_CORE_EXPR_CHECK_PRIV_H

#include "expr_priv.h"

#include <sluice/buf.h>

struct checker {
    struct sluice_expr *e;
    const struct ArrowSchema *input;
    const char *text;
    struct sluice_error *err;
    struct sluice_buf paths; /* projection paths, NUL-separated, for dedup and e->paths */
    size_t n_paths;
};

/* Type node n (its arguments first), once. */
int sluice_expr_check_node(struct checker *k, struct expr_node *n);
/* expr_check_path.c */
int sluice_expr_check_path(struct checker *k, struct expr_node *n);
int sluice_expr_check_field(struct checker *k, struct expr_node *n);

/* expr_decimal.c: arithmetic with a decimal and no double operand (Spark's
 * DecimalPrecision; *done when n is one), and comparisons with a decimal
 * (`op` names the operator in errors). */
void sluice_expr_check_decimal_arith(struct checker *k, struct expr_node *n, bool *done);
int sluice_expr_check_decimal_compare(struct checker *k, struct expr_node *n, const char *op);

static inline const char *sluice_expr_tname(enum sluice_type t)
{
    return t == SLUICE_TYPE_INVALID ? "null" : sluice_type_name(t);
}

#endif
