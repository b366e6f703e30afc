/* The expression checker: resolves paths against the input schema, types
 * every node with Spark's coercion rules (inserting the implicit casts
 * Spark's analyzer would), compiles LIKE and regex patterns, folds constant
 * subtrees, and collects the paths the expression reads. Every error here
 * carries the character position of the node it is about. */
#include "expr_check_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "error.h"
#include "mem.h"
#include "schema.h"


int sluice_expr_fail(struct sluice_error *err, const char *text, int pos, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sluice_error_setv(err, SLUICE_ECONFIG, fmt, ap);
    va_end(ap);
    sluice_error_excerpt(err, text, pos);
    return SLUICE_ECONFIG;
}

struct expr_node *sluice_expr_node_new(struct sluice_expr *e, enum expr_kind kind, int pos, int n_args)
{
    struct expr_node *n = sluice_arena_calloc(e->arena, sizeof *n);
    n->kind = kind;
    n->pos = pos;
    n->id = e->n_nodes++;
    n->n_args = n_args;
    if (n_args) n->args = sluice_arena_calloc(e->arena, (size_t)n_args * sizeof *n->args);
    return n;
}

void sluice_expr_own_schema(struct sluice_expr *e, struct ArrowSchema *schema)
{
    e->schemas = sluice_xrealloc(e->schemas, (e->n_schemas + 1) * sizeof *e->schemas);
    e->schemas[e->n_schemas++] = schema;
}

void sluice_expr_coerce_to(struct sluice_expr *e, struct expr_node **slot, enum sluice_type to,
                           const struct ArrowSchema *schema)
{
    struct expr_node *x = *slot;
    if (x->type == to && (to != SLUICE_TYPE_DECIMAL || strcmp(x->schema->format, schema->format) == 0)) return;
    struct expr_node *c = sluice_expr_node_new(e, EX_CAST, x->pos, 1);
    c->args[0] = x;
    c->type = to;
    c->schema = to == SLUICE_TYPE_DECIMAL ? schema : NULL;
    c->implicit = true;
    c->checked = true;
    *slot = c;
}

void sluice_expr_coerce(struct sluice_expr *e, struct expr_node **slot, enum sluice_type to)
{
    /* A decimal's digits stay its own when only the type is asked for. */
    if (to == SLUICE_TYPE_DECIMAL && (*slot)->type == SLUICE_TYPE_DECIMAL) return;
    sluice_expr_coerce_to(e, slot, to, to == SLUICE_TYPE_DECIMAL ? sluice_expr_decimal_schema(10, 0) : NULL);
}

static bool is_number(enum sluice_type t)
{
    return t == SLUICE_TYPE_LONG || t == SLUICE_TYPE_DOUBLE || t == SLUICE_TYPE_DECIMAL;
}

static bool is_datetime(enum sluice_type t)
{
    return t == SLUICE_TYPE_TIMESTAMP || t == SLUICE_TYPE_DATE;
}

static bool is_nested(enum sluice_type t)
{
    return t == SLUICE_TYPE_STRUCT || t == SLUICE_TYPE_ARRAY || t == SLUICE_TYPE_MAP;
}

/* Same type down to field names, ignoring the node's own name and nullability. */
static bool same_type(const struct ArrowSchema *a, const struct ArrowSchema *b)
{
    enum sluice_type ta = sluice_type_of(a), tb = sluice_type_of(b);
    if (ta != tb) return false;
    if (!is_nested(ta)) return true;
    if (a->n_children != b->n_children) return false;
    for (int64_t i = 0; i < a->n_children; i++) {
        if (ta == SLUICE_TYPE_STRUCT && strcmp(a->children[i]->name ? a->children[i]->name : "",
                                               b->children[i]->name ? b->children[i]->name : "") != 0)
            return false;
        if (!same_type(a->children[i], b->children[i])) return false;
    }
    return true;
}

bool sluice_expr_wider(const struct expr_node *a, const struct expr_node *b, enum sluice_type *t,
                       const struct ArrowSchema **schema)
{
    enum sluice_type ta = a->type, tb = b->type;
    if (ta == SLUICE_TYPE_INVALID) {
        *t = tb;
        *schema = b->schema;
        return true;
    }
    *schema = a->schema;
    if (tb == SLUICE_TYPE_INVALID || (ta == tb && !is_nested(ta) && ta != SLUICE_TYPE_DECIMAL)) {
        *t = ta;
        return true;
    }
    if (ta == tb) {
        *t = ta;
        return same_type(a->schema, b->schema);
    }
    if (ta == SLUICE_TYPE_DECIMAL || tb == SLUICE_TYPE_DECIMAL) {
        /* Spark: a decimal and a decimal or an integer widen to a decimal of
         * both's digits; with a double, to a double. */
        int p, s;
        bool dec = sluice_expr_dec_params(a, &p, &s) && sluice_expr_dec_params(b, &p, &s);
        if (dec) {
            *t = SLUICE_TYPE_DECIMAL;
            *schema = sluice_expr_dec_wider(a, b);
            return true;
        }
    }
    if (is_number(ta) && is_number(tb)) {
        *t = SLUICE_TYPE_DOUBLE;
        return true;
    }
    /* A date widens to a timestamp (its midnight, UTC). */
    if ((ta == SLUICE_TYPE_DATE && tb == SLUICE_TYPE_TIMESTAMP) || (tb == SLUICE_TYPE_DATE && ta == SLUICE_TYPE_TIMESTAMP)) {
        *t = SLUICE_TYPE_TIMESTAMP;
        return true;
    }
    /* Spark's string promotion: a string absorbs numbers, timestamps and dates. */
    if ((ta == SLUICE_TYPE_STRING && (is_number(tb) || is_datetime(tb))) ||
        (tb == SLUICE_TYPE_STRING && (is_number(ta) || is_datetime(ta)))) {
        *t = SLUICE_TYPE_STRING;
        return true;
    }
    return false;
}

/* ---- compile-time evaluation ------------------------------------------------ */

bool sluice_expr_is_const(const struct expr_node *n)
{
    if (n->kind == EX_LIT) return true;
    if (n->kind == EX_PATH) return false;
    if (n->kind == EX_CALL && (n->fn == FN_CURRENT_TIMESTAMP || n->fn == FN_CURRENT_DATE))
        return false; /* a value per batch */
    for (int i = 0; i < n->n_args; i++)
        if (!sluice_expr_is_const(n->args[i])) return false;
    return true;
}

/* Evaluate constant `n` over one row and return its value (strings copied into the expression's arena). */
static void const_value(struct sluice_expr *e, const struct expr_node *n, struct expr_value *out)
{
    struct ectx c = { .scratch = sluice_arena_new(0), .n = 1 };
    c.memo = sluice_arena_calloc(c.scratch, (size_t)e->n_nodes * sizeof *c.memo);
    const struct evec *v = sluice_expr_eval_node(&c, n);
    memset(out, 0, sizeof *out);
    out->is_null = !evec_valid(v, 0) || n->type == SLUICE_TYPE_INVALID;
    if (!out->is_null) {
        switch (n->type) {
        case SLUICE_TYPE_BOOLEAN: out->b = v->b[0] != 0; break;
        case SLUICE_TYPE_LONG:
        case SLUICE_TYPE_TIMESTAMP:
        case SLUICE_TYPE_DATE: out->l = v->l[0]; break;
        case SLUICE_TYPE_DOUBLE: out->d = v->d[0]; break;
        case SLUICE_TYPE_DECIMAL: out->x = v->x[0]; break;
        case SLUICE_TYPE_STRING: {
            int32_t len;
            const char *s = evec_str(v, 0, &len);
            char *copy = sluice_arena_alloc(e->arena, (size_t)len + 1);
            if (len) memcpy(copy, s, (size_t)len);
            copy[len] = '\0';
            out->s = copy;
            out->s_len = len;
            break;
        }
        default: break;
        }
    }
    ectx_finish(&c);
}

void sluice_expr_fold(struct sluice_expr *e, struct expr_node *n)
{
    if (n->kind == EX_LIT || n->kind == EX_PATH) return;
    bool all = true;
    for (int i = 0; i < n->n_args; i++) {
        sluice_expr_fold(e, n->args[i]);
        all = all && n->args[i]->kind == EX_LIT;
    }
    /* current_timestamp() has no argument, yet is a value per batch. */
    if (!all || is_nested(n->type) || !sluice_expr_is_const(n)) return;
    struct expr_value v;
    const_value(e, n, &v);
    n->kind = EX_LIT;
    n->lit = v;
    n->n_args = 0;
    n->args = NULL;
}

/* The value of a constant argument (a pattern, a scale, a format) at check time. */
bool sluice_expr_const_value(struct sluice_expr *e, const struct expr_node *n, struct expr_value *out)
{
    if (!sluice_expr_is_const(n)) return false;
    const_value(e, n, out);
    return true;
}

/* ---- operators ---------------------------------------------------------------- */

static const char *op_text(enum expr_kind kind)
{
    switch (kind) {
    case EX_ADD: return "+";
    case EX_SUB: return "-";
    case EX_MUL: return "*";
    case EX_DIV: return "/";
    case EX_MOD: return "%";
    case EX_EQ: return "=";
    case EX_LT: return "<";
    case EX_LE: return "<=";
    case EX_GT: return ">";
    case EX_GE: return ">=";
    case EX_NSEQ: return "<=>";
    case EX_AND: return "AND";
    case EX_OR: return "OR";
    case EX_NOT: return "NOT";
    case EX_NEG: return "-";
    case EX_POS: return "+";
    default: return "?";
    }
}

/* Arithmetic operand: numbers stay, strings become doubles (Spark), NULL takes the other side's type. */
static int numeric_operand(struct checker *k, struct expr_node *n, int i)
{
    struct expr_node *a = n->args[i];
    if (a->type == SLUICE_TYPE_STRING) sluice_expr_coerce(k->e, &n->args[i], SLUICE_TYPE_DOUBLE);
    else if (!is_number(a->type) && a->type != SLUICE_TYPE_INVALID)
        return sluice_expr_fail(k->err, k->text, a->pos, "operator '%s' expects numbers, got %s",
                                op_text(n->kind), sluice_expr_tname(a->type));
    return SLUICE_OK;
}

static int interval_alone(struct checker *k, const struct expr_node *iv)
{
    return sluice_expr_fail(k->err, k->text, iv->pos, "%s at character %d can only be added to or subtracted from "
                            "a timestamp", iv->text, iv->pos);
}

/* timestamp + INTERVAL 1 HOUR, timestamp - INTERVAL ..., INTERVAL ... +
 * timestamp: a timestamp (a date is taken at its midnight, as Spark's
 * date + day-time interval is a timestamp). *done when `n` is one. */
static int check_interval_arith(struct checker *k, struct expr_node *n, bool *done)
{
    *done = false;
    int iv = -1;
    for (int i = 0; i < n->n_args; i++)
        if (n->args[i]->interval) iv = i;
    if (iv < 0) return SLUICE_OK;
    struct expr_node *other = n->n_args == 2 ? n->args[1 - iv] : NULL;
    if ((n->kind != EX_ADD && n->kind != EX_SUB) || !other || (n->kind == EX_SUB && iv == 0) ||
        !(is_datetime(other->type) || other->type == SLUICE_TYPE_STRING))
        return interval_alone(k, n->args[iv]);
    sluice_expr_coerce(k->e, &n->args[1 - iv], SLUICE_TYPE_TIMESTAMP);
    n->type = SLUICE_TYPE_TIMESTAMP;
    *done = true;
    return SLUICE_OK;
}

static int check_arith(struct checker *k, struct expr_node *n)
{
    bool done;
    if (check_interval_arith(k, n, &done) || done) return done ? SLUICE_OK : SLUICE_ECONFIG;
    for (int i = 0; i < n->n_args; i++)
        if (numeric_operand(k, n, i)) return SLUICE_ECONFIG;
    sluice_expr_check_decimal_arith(k, n, &done);
    if (done) return SLUICE_OK;
    enum sluice_type t = SLUICE_TYPE_LONG;
    bool any_typed = false;
    for (int i = 0; i < n->n_args; i++) {
        if (n->args[i]->type == SLUICE_TYPE_DOUBLE) t = SLUICE_TYPE_DOUBLE;
        if (n->args[i]->type != SLUICE_TYPE_INVALID) any_typed = true;
    }
    if (!any_typed || n->kind == EX_DIV) t = SLUICE_TYPE_DOUBLE;
    for (int i = 0; i < n->n_args; i++) sluice_expr_coerce(k->e, &n->args[i], t);
    n->type = t;
    return SLUICE_OK;
}

/* Spark's findCommonTypeForBinaryComparison: numbers compare as double when
 * mixed, a string is cast to the other side's type. */
static int check_compare(struct checker *k, struct expr_node *n)
{
    struct expr_node *a = n->args[0], *b = n->args[1];
    enum sluice_type ta = a->type, tb = b->type, t;
    if (is_nested(ta) || is_nested(tb))
        return sluice_expr_fail(k->err, k->text, n->pos, "operator '%s' cannot compare %s values",
                                op_text(n->kind), sluice_expr_tname(is_nested(ta) ? ta : tb));
    if (ta == SLUICE_TYPE_INVALID && tb == SLUICE_TYPE_INVALID) t = SLUICE_TYPE_BOOLEAN;
    else if (ta == SLUICE_TYPE_INVALID) t = tb;
    else if (ta == SLUICE_TYPE_DECIMAL || tb == SLUICE_TYPE_DECIMAL) return sluice_expr_check_decimal_compare(k, n, op_text(n->kind));
    else if (tb == SLUICE_TYPE_INVALID || ta == tb) t = ta;
    else if (is_number(ta) && is_number(tb)) t = SLUICE_TYPE_DOUBLE;
    else if (is_datetime(ta) && is_datetime(tb)) t = SLUICE_TYPE_TIMESTAMP; /* a date at its midnight */
    else if (ta == SLUICE_TYPE_STRING) t = tb;
    else if (tb == SLUICE_TYPE_STRING) t = ta;
    else
        return sluice_expr_fail(k->err, k->text, n->pos, "operator '%s' cannot compare %s with %s",
                                op_text(n->kind), sluice_expr_tname(ta), sluice_expr_tname(tb));
    sluice_expr_coerce(k->e, &n->args[0], t);
    sluice_expr_coerce(k->e, &n->args[1], t);
    n->type = SLUICE_TYPE_BOOLEAN;
    return SLUICE_OK;
}

static int check_logic(struct checker *k, struct expr_node *n)
{
    for (int i = 0; i < n->n_args; i++) {
        struct expr_node *a = n->args[i];
        if (a->type != SLUICE_TYPE_BOOLEAN && a->type != SLUICE_TYPE_INVALID)
            return sluice_expr_fail(k->err, k->text, a->pos, "operator '%s' expects a boolean, got %s",
                                    op_text(n->kind), sluice_expr_tname(a->type));
        sluice_expr_coerce(k->e, &n->args[i], SLUICE_TYPE_BOOLEAN);
    }
    n->type = SLUICE_TYPE_BOOLEAN;
    return SLUICE_OK;
}

/* A string operand of LIKE/RLIKE or a string function: atomic values are
 * cast to string as Spark's ImplicitTypeCasts do. */
static int string_operand(struct checker *k, struct expr_node **slot, const char *what)
{
    enum sluice_type t = (*slot)->type;
    if (is_nested(t))
        return sluice_expr_fail(k->err, k->text, (*slot)->pos, "%s expects a string, got %s", what, sluice_expr_tname(t));
    sluice_expr_coerce(k->e, slot, SLUICE_TYPE_STRING);
    return SLUICE_OK;
}

/* The constant string pattern of LIKE, RLIKE or rlike(): false when NULL. */
static int pattern_value(struct checker *k, struct expr_node *pat, const char *what, struct expr_value *v)
{
    if (!sluice_expr_const_value(k->e, pat, v))
        return sluice_expr_fail(k->err, k->text, pat->pos, "the pattern of %s must be a constant string", what);
    return SLUICE_OK;
}

static int check_like(struct checker *k, struct expr_node *n)
{
    if (string_operand(k, &n->args[0], "LIKE") || string_operand(k, &n->args[1], "LIKE")) return SLUICE_ECONFIG;
    n->type = SLUICE_TYPE_BOOLEAN;
    struct expr_value v;
    if (pattern_value(k, n->args[1], "LIKE", &v)) return SLUICE_ECONFIG;
    if (v.is_null) return SLUICE_OK; /* x LIKE NULL is NULL */
    char why[160];
    char esc = n->escape ? n->escape : '\\';
    if (sluice_like_compile(v.s, (size_t)v.s_len, &esc, 1, k->e->arena, &n->like, why))
        return sluice_expr_fail(k->err, k->text, n->args[1]->pos, "invalid LIKE pattern '%s': %s", v.s, why);
    return SLUICE_OK;
}

static int check_rlike(struct checker *k, struct expr_node *n)
{
    if (string_operand(k, &n->args[0], "RLIKE") || string_operand(k, &n->args[1], "RLIKE")) return SLUICE_ECONFIG;
    n->type = SLUICE_TYPE_BOOLEAN;
    return sluice_expr_regex_compile(k->e, n, n->args[1], k->text, k->err);
}

/* Branches of CASE, IN lists, coalesce and if share Spark's wider type. */
static int unify(struct checker *k, struct expr_node *n, struct expr_node **slots[], int count,
                 const char *what)
{
    enum sluice_type t = SLUICE_TYPE_INVALID;
    const struct ArrowSchema *schema = NULL;
    struct expr_node acc = { .type = SLUICE_TYPE_INVALID };
    for (int i = 0; i < count; i++) {
        struct expr_node *x = *slots[i];
        if (!sluice_expr_wider(&acc, x, &t, &schema))
            return sluice_expr_fail(k->err, k->text, x->pos, "%s cannot mix %s and %s", what, sluice_expr_tname(acc.type),
                                    sluice_expr_tname(x->type));
        acc.type = t;
        acc.schema = schema;
    }
    for (int i = 0; i < count; i++)
        if (t != SLUICE_TYPE_INVALID && !is_nested(t)) sluice_expr_coerce_to(k->e, slots[i], t, schema);
    n->type = t;
    n->schema = schema;
    return SLUICE_OK;
}

static int check_in(struct checker *k, struct expr_node *n)
{
    struct expr_node **slots[n->n_args];
    for (int i = 0; i < n->n_args; i++) {
        slots[i] = &n->args[i];
        if (is_nested(n->args[i]->type))
            return sluice_expr_fail(k->err, k->text, n->args[i]->pos, "IN cannot compare %s values",
                                    sluice_expr_tname(n->args[i]->type));
    }
    if (unify(k, n, slots, n->n_args, "IN")) return SLUICE_ECONFIG;
    if (n->type == SLUICE_TYPE_INVALID)
        for (int i = 0; i < n->n_args; i++) sluice_expr_coerce(k->e, &n->args[i], SLUICE_TYPE_BOOLEAN);
    n->type = SLUICE_TYPE_BOOLEAN;
    n->schema = NULL;
    return SLUICE_OK;
}

static int check_case(struct checker *k, struct expr_node *n)
{
    int pairs = n->n_args / 2;
    bool has_else = n->n_args % 2;
    struct expr_node **slots[pairs + 1];
    int count = 0;
    for (int i = 0; i < pairs; i++) {
        struct expr_node *c = n->args[2 * i];
        if (c->type != SLUICE_TYPE_BOOLEAN && c->type != SLUICE_TYPE_INVALID)
            return sluice_expr_fail(k->err, k->text, c->pos, "CASE WHEN expects a boolean condition, got %s",
                                    sluice_expr_tname(c->type));
        sluice_expr_coerce(k->e, &n->args[2 * i], SLUICE_TYPE_BOOLEAN);
        slots[count++] = &n->args[2 * i + 1];
    }
    if (has_else) slots[count++] = &n->args[n->n_args - 1];
    return unify(k, n, slots, count, "CASE");
}

static int check_cast(struct checker *k, struct expr_node *n)
{
    enum sluice_type from = n->args[0]->type, to = n->type;
    /* A date casts to and from strings and timestamps only, as in Spark. */
    bool date_ok = (from != SLUICE_TYPE_DATE && to != SLUICE_TYPE_DATE) || from == to || from == SLUICE_TYPE_INVALID ||
                   from == SLUICE_TYPE_STRING || to == SLUICE_TYPE_STRING || from == SLUICE_TYPE_TIMESTAMP ||
                   to == SLUICE_TYPE_TIMESTAMP;
    /* A decimal casts to and from numbers and strings. */
    bool dec_ok = (from != SLUICE_TYPE_DECIMAL && to != SLUICE_TYPE_DECIMAL) || from == SLUICE_TYPE_INVALID ||
                  ((is_number(from) || from == SLUICE_TYPE_STRING) && (is_number(to) || to == SLUICE_TYPE_STRING));
    if (is_nested(from) || is_nested(to) || !date_ok || !dec_ok)
        return sluice_expr_fail(k->err, k->text, n->pos, "cannot cast %s to %s", sluice_expr_tname(from), sluice_expr_tname(to));
    return SLUICE_OK;
}

int sluice_expr_check_node(struct checker *k, struct expr_node *n)
{
    if (n->checked) return SLUICE_OK;
    for (int i = 0; i < n->n_args; i++)
        if (sluice_expr_check_node(k, n->args[i])) return SLUICE_ECONFIG;
    int rc = SLUICE_OK;
    for (int i = 0; i < n->n_args && n->kind != EX_ADD && n->kind != EX_SUB; i++)
        if (n->args[i]->interval) return interval_alone(k, n->args[i]);
    switch (n->kind) {
    case EX_LIT: break;
    case EX_PATH: rc = sluice_expr_check_path(k, n); break;
    case EX_CAST: rc = check_cast(k, n); break;
    case EX_NEG:
    case EX_POS:
    case EX_ADD:
    case EX_SUB:
    case EX_MUL:
    case EX_DIV:
    case EX_MOD: rc = check_arith(k, n); break;
    case EX_EQ:
    case EX_LT:
    case EX_LE:
    case EX_GT:
    case EX_GE:
    case EX_NSEQ: rc = check_compare(k, n); break;
    case EX_NOT:
    case EX_AND:
    case EX_OR: rc = check_logic(k, n); break;
    case EX_IS_NULL: n->type = SLUICE_TYPE_BOOLEAN; break;
    case EX_LIKE: rc = check_like(k, n); break;
    case EX_RLIKE: rc = check_rlike(k, n); break;
    case EX_IN: rc = check_in(k, n); break;
    case EX_CASE: rc = check_case(k, n); break;
    case EX_CALL: rc = sluice_expr_check_call(k->e, n, k->text, k->err); break;
    case EX_FIELD: rc = sluice_expr_check_field(k, n); break;
    case EX_AGG: /* only over groups, where binding replaced it (expr_groups.c) */
        rc = sluice_expr_fail(k->err, k->text, n->pos, "aggregate function '%s' is not allowed here at character %d",
                              n->text, n->pos);
        break;
    }
    n->checked = rc == SLUICE_OK;
    return rc;
}

/* ---- the whole expression ------------------------------------------------------ */

static const char *format_of(enum sluice_type t)
{
    switch (t) {
    case SLUICE_TYPE_BOOLEAN: return SLUICE_FORMAT_BOOLEAN;
    case SLUICE_TYPE_LONG: return SLUICE_FORMAT_LONG;
    case SLUICE_TYPE_DOUBLE: return SLUICE_FORMAT_DOUBLE;
    case SLUICE_TYPE_STRING: return SLUICE_FORMAT_STRING;
    case SLUICE_TYPE_TIMESTAMP: return SLUICE_FORMAT_TIMESTAMP;
    case SLUICE_TYPE_DATE: return SLUICE_FORMAT_DATE;
    default: return SLUICE_FORMAT_STRING;
    }
}

int sluice_expr_check(struct sluice_expr *e, const struct ArrowSchema *input, const char *text,
                      struct sluice_error *err)
{
    struct checker k = { .e = e, .input = input, .text = text, .err = err };
    int rc = e->root->interval ? interval_alone(&k, e->root) : sluice_expr_check_node(&k, e->root);
    if (!rc && e->root->type == SLUICE_TYPE_INVALID) {
        /* A bare NULL has no type in sluice; boolean is what a condition wants. */
        sluice_expr_coerce(e, &e->root, SLUICE_TYPE_BOOLEAN);
    }
    if (!rc) {
        struct sluice_buf name = { 0 };
        sluice_buf_puts(&name, "");
        if (e->alias) sluice_buf_puts(&name, e->alias);
        else if ((e->root->kind == EX_PATH || e->root->kind == EX_FIELD || e->root->kind == EX_CALL) &&
                 e->root->leaf_name)
            sluice_buf_puts(&name, e->root->leaf_name);
        else sluice_expr_name(e->root, &name);
        if (is_nested(e->root->type) || e->root->type == SLUICE_TYPE_DECIMAL) {
            sluice_schema_copy(e->root->schema, &e->result);
            sluice_schema_set_name(&e->result, name.data);
            e->result.flags |= ARROW_FLAG_NULLABLE;
        } else {
            sluice_schema_init(&e->result, format_of(e->root->type), name.data, true, 0);
        }
        sluice_buf_free(&name);
        sluice_expr_fold(e, e->root);
        e->n_paths = k.n_paths;
        e->paths = sluice_arena_calloc(e->arena, (k.n_paths + 1) * sizeof *e->paths);
        for (size_t off = 0, i = 0; i < k.n_paths; i++) {
            size_t len = strlen(k.paths.data + off);
            e->paths[i] = sluice_arena_strndup(e->arena, k.paths.data + off, len);
            off += len + 1;
        }
    }
    sluice_buf_free(&k.paths);
    return rc;
}
