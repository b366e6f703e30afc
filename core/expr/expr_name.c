/* Result names as Spark generates them for an unaliased expression
 * (usePrettyExpression + Expression.sql): binary operators in parentheses,
 * `(NOT x)`, LIKE without parentheses, string literals unquoted, paths by
 * the schema's spelling, implicit casts invisible, and the defaults Spark
 * prints (`substring(s, 2, 2147483647)`, `round(x, 0)`, `FLOOR(x)`). */
#include "expr_priv.h"

#include <sluice/buf.h>

static void args(const struct expr_node *n, int from, struct sluice_buf *out)
{
    for (int i = from; i < n->n_args; i++) {
        if (i > from) sluice_buf_puts(out, ", ");
        sluice_expr_name(n->args[i], out);
    }
}

static void infix(const struct expr_node *n, const char *op, struct sluice_buf *out)
{
    sluice_buf_putc(out, '(');
    sluice_expr_name(n->args[0], out);
    sluice_buf_printf(out, " %s ", op);
    sluice_expr_name(n->args[1], out);
    sluice_buf_putc(out, ')');
}

static const char *cast_type(enum sluice_type t)
{
    switch (t) {
    case SLUICE_TYPE_BOOLEAN: return "BOOLEAN";
    case SLUICE_TYPE_LONG: return "BIGINT";
    case SLUICE_TYPE_DOUBLE: return "DOUBLE";
    case SLUICE_TYPE_STRING: return "STRING";
    case SLUICE_TYPE_TIMESTAMP: return "TIMESTAMP";
    case SLUICE_TYPE_DATE: return "DATE";
    default: return "?";
    }
}

static void call(const struct expr_node *n, struct sluice_buf *out)
{
    const char *name = n->fn_name ? n->fn_name : n->text;
    switch (n->fn) {
    case FN_IF:
        sluice_buf_puts(out, "(IF(");
        args(n, 0, out);
        sluice_buf_puts(out, "))");
        return;
    case FN_RLIKE:
        sluice_expr_name(n->args[0], out);
        sluice_buf_puts(out, " RLIKE ");
        sluice_expr_name(n->args[1], out);
        return;
    case FN_FROM_JSON:
        /* Spark's JsonToStructs: the schema is not a child, so not in the name. */
        sluice_buf_puts(out, "from_json(");
        sluice_expr_name(n->args[0], out);
        sluice_buf_putc(out, ')');
        return;
    case FN_FLOOR:
    case FN_CEIL:
        sluice_buf_puts(out, n->fn == FN_FLOOR ? "FLOOR(" : "CEIL(");
        args(n, 0, out);
        sluice_buf_putc(out, ')');
        return;
    default:
        break;
    }
    sluice_buf_printf(out, "%s(", name);
    args(n, 0, out);
    if (n->fn == FN_SUBSTRING && n->n_args == 2) sluice_buf_puts(out, ", 2147483647");
    if (n->fn == FN_ROUND && n->n_args == 1) sluice_buf_puts(out, ", 0");
    /* Spark prints the defaults it fills in. */
    if (n->fn == FN_SPLIT && n->n_args == 2) sluice_buf_puts(out, ", -1");
    if (n->fn == FN_REGEXP_EXTRACT && n->n_args == 2) sluice_buf_puts(out, ", 1");
    if (n->fn == FN_REGEXP_REPLACE && n->n_args == 3) sluice_buf_puts(out, ", 1");
    sluice_buf_putc(out, ')');
}

void sluice_expr_name(const struct expr_node *n, struct sluice_buf *out)
{
    switch (n->kind) {
    case EX_LIT:
        sluice_buf_puts(out, n->text ? n->text : "NULL");
        return;
    case EX_PATH:
        sluice_buf_puts(out, n->name ? n->name : n->text);
        return;
    case EX_CAST:
        if (n->implicit) {
            sluice_expr_name(n->args[0], out);
            return;
        }
        sluice_buf_puts(out, "CAST(");
        sluice_expr_name(n->args[0], out);
        if (n->type == SLUICE_TYPE_DECIMAL && n->schema) {
            int prec, scale;
            sluice_decimal_params(n->schema, &prec, &scale);
            sluice_buf_printf(out, " AS DECIMAL(%d,%d))", prec, scale);
        } else {
            sluice_buf_printf(out, " AS %s)", cast_type(n->type));
        }
        return;
    case EX_NEG:
    case EX_POS:
    case EX_NOT:
        sluice_buf_puts(out, n->kind == EX_NEG ? "(- " : n->kind == EX_POS ? "(+ " : "(NOT ");
        sluice_expr_name(n->args[0], out);
        sluice_buf_putc(out, ')');
        return;
    case EX_ADD: infix(n, "+", out); return;
    case EX_SUB: infix(n, "-", out); return;
    case EX_MUL: infix(n, "*", out); return;
    case EX_DIV: infix(n, "/", out); return;
    case EX_MOD: infix(n, "%", out); return;
    case EX_EQ: infix(n, "=", out); return;
    case EX_LT: infix(n, "<", out); return;
    case EX_LE: infix(n, "<=", out); return;
    case EX_GT: infix(n, ">", out); return;
    case EX_GE: infix(n, ">=", out); return;
    case EX_NSEQ: infix(n, "<=>", out); return;
    case EX_AND: infix(n, "AND", out); return;
    case EX_OR: infix(n, "OR", out); return;
    case EX_IS_NULL:
        sluice_buf_putc(out, '(');
        sluice_expr_name(n->args[0], out);
        sluice_buf_puts(out, n->negated ? " IS NOT NULL)" : " IS NULL)");
        return;
    case EX_LIKE:
        sluice_expr_name(n->args[0], out);
        sluice_buf_puts(out, " LIKE ");
        sluice_expr_name(n->args[1], out);
        if (n->escape) sluice_buf_printf(out, " ESCAPE '%c'", n->escape);
        return;
    case EX_RLIKE:
        sluice_expr_name(n->args[0], out);
        sluice_buf_puts(out, " RLIKE ");
        sluice_expr_name(n->args[1], out);
        return;
    case EX_IN:
        sluice_buf_putc(out, '(');
        sluice_expr_name(n->args[0], out);
        sluice_buf_puts(out, " IN (");
        args(n, 1, out);
        sluice_buf_puts(out, "))");
        return;
    case EX_CASE:
        sluice_buf_puts(out, "CASE");
        for (int i = 0; i + 1 < n->n_args; i += 2) {
            sluice_buf_puts(out, " WHEN ");
            sluice_expr_name(n->args[i], out);
            sluice_buf_puts(out, " THEN ");
            sluice_expr_name(n->args[i + 1], out);
        }
        if (n->n_args % 2) {
            sluice_buf_puts(out, " ELSE ");
            sluice_expr_name(n->args[n->n_args - 1], out);
        }
        sluice_buf_puts(out, " END");
        return;
    case EX_CALL:
        call(n, out);
        return;
    case EX_FIELD:
        sluice_expr_name(n->args[0], out);
        sluice_buf_printf(out, ".%s", n->name ? n->name : n->text);
        return;
    case EX_AGG: /* bound before it is named (expr_groups.c) */
        sluice_buf_printf(out, "%s(...)", n->text);
        return;
    }
}
