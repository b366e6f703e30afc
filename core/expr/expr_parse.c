/* The expression parser: recursive descent over Spark SQL's precedence
 * (SqlBaseParser.g4), lowest first:
 *   OR < AND < NOT < predicates (IS NULL, [NOT] LIKE/RLIKE/IN/BETWEEN)
 *      < comparisons < + - || < * / % < unary - + < primary.
 * Sugar is expanded here the way Spark's AstBuilder does, so names come out
 * as Spark prints them: `a != b` is NOT (a = b), `x BETWEEN l AND h` is
 * (x >= l) AND (x <= h), `CASE x WHEN v` compares x = v, `a || b` is
 * concat(a, b), `x NOT LIKE p` is NOT (x LIKE p). Primaries are
 * expr_parse_primary.c's. */
#include "expr_parse_priv.h"

#include "arena.h"

/* ---- operators ----------------------------------------------------------- */

static int parse_unary(struct parser *p, struct expr_node **out)
{
    if (++p->depth > EXPR_MAX_DEPTH) return fail_at(p, peek(p), "expression nests too deeply at character %d", peek(p)->pos);
    int rc;
    const struct expr_token *t = peek(p);
    if (t->kind == TOK_OP && (t->op == OP_MINUS || t->op == OP_PLUS)) {
        p->i++;
        const struct expr_token *next = peek(p);
        if (t->op == OP_MINUS && (next->kind == TOK_INT || next->kind == TOK_DEC)) {
            /* Spark's grammar reads `-5` as one literal, which is how
             * -9223372036854775808 stays a long. */
            rc = sluice_expr_parse_number(p, true, t->pos, out);
        } else {
            struct expr_node *x;
            rc = parse_unary(p, &x);
            if (!rc) *out = unary(p, t->op == OP_MINUS ? EX_NEG : EX_POS, t->pos, x);
        }
    } else {
        rc = sluice_expr_parse_primary(p, out);
    }
    p->depth--;
    return rc;
}

static int parse_mul(struct parser *p, struct expr_node **out)
{
    if (parse_unary(p, out)) return SLUICE_ECONFIG;
    for (;;) {
        const struct expr_token *t = peek(p);
        enum expr_kind k;
        if (t->kind != TOK_OP) return SLUICE_OK;
        if (t->op == OP_STAR) k = EX_MUL;
        else if (t->op == OP_SLASH) k = EX_DIV;
        else if (t->op == OP_PERCENT) k = EX_MOD;
        else return SLUICE_OK;
        p->i++;
        struct expr_node *b;
        if (parse_unary(p, &b)) return SLUICE_ECONFIG;
        *out = binary(p, k, t->pos, *out, b);
    }
}

static int parse_add(struct parser *p, struct expr_node **out)
{
    if (parse_mul(p, out)) return SLUICE_ECONFIG;
    for (;;) {
        const struct expr_token *t = peek(p);
        if (t->kind != TOK_OP || (t->op != OP_PLUS && t->op != OP_MINUS && t->op != OP_CONCAT)) return SLUICE_OK;
        p->i++;
        struct expr_node *b;
        if (parse_mul(p, &b)) return SLUICE_ECONFIG;
        if (t->op == OP_CONCAT) {
            struct expr_node *n = binary(p, EX_CALL, t->pos, *out, b);
            n->text = "concat";
            *out = n;
        } else {
            *out = binary(p, t->op == OP_PLUS ? EX_ADD : EX_SUB, t->pos, *out, b);
        }
    }
}

/* Comparisons are left-associative like the rest of Spark's value grammar. */
int sluice_expr_parse_value(struct parser *p, struct expr_node **out)
{
    if (parse_add(p, out)) return SLUICE_ECONFIG;
    for (;;) {
        const struct expr_token *t = peek(p);
        if (t->kind != TOK_OP) return SLUICE_OK;
        enum expr_kind k;
        bool not = false;
        switch (t->op) {
        case OP_EQ:
        case OP_EQEQ: k = EX_EQ; break;
        case OP_NE:
        case OP_LTGT: k = EX_EQ, not = true; break;
        case OP_LT: k = EX_LT; break;
        case OP_LE: k = EX_LE; break;
        case OP_GT: k = EX_GT; break;
        case OP_GE: k = EX_GE; break;
        case OP_NSEQ: k = EX_NSEQ; break;
        default: return SLUICE_OK;
        }
        p->i++;
        struct expr_node *b;
        if (parse_add(p, &b)) return SLUICE_ECONFIG;
        *out = binary(p, k, t->pos, *out, b);
        if (not) *out = unary(p, EX_NOT, t->pos, *out);
    }
}

static int parse_predicate(struct parser *p, struct expr_node **out)
{
    struct expr_node *x;
    if (sluice_expr_parse_value(p, &x)) return SLUICE_ECONFIG;
    const struct expr_token *t = peek(p);
    if (at_kw(p, "IS")) {
        p->i++;
        bool not = false;
        if (at_kw(p, "NOT")) {
            not = true;
            p->i++;
        }
        if (expect_kw(p, "NULL")) return SLUICE_ECONFIG;
        *out = unary(p, EX_IS_NULL, t->pos, x);
        (*out)->negated = not;
        return SLUICE_OK;
    }
    const struct expr_token *not_tok = NULL;
    if (at_kw(p, "NOT")) {
        not_tok = t;
        p->i++;
        t = peek(p);
    }
    struct expr_node *r = NULL;
    if (at_kw(p, "LIKE")) {
        p->i++;
        struct expr_node *pat;
        if (sluice_expr_parse_value(p, &pat)) return SLUICE_ECONFIG;
        r = binary(p, EX_LIKE, t->pos, x, pat);
        if (at_kw(p, "ESCAPE")) {
            p->i++;
            const struct expr_token *esc = peek(p);
            if (esc->kind != TOK_STRING)
                return fail_at(p, esc, "expected a string after ESCAPE at character %d", esc->pos);
            if (esc->str_len != 1)
                return fail_at(p, esc, "the ESCAPE string at character %d must be one character", esc->pos);
            r->escape = esc->str[0];
            p->i++;
        }
    } else if (at_kw(p, "RLIKE") || at_kw(p, "REGEXP")) {
        p->i++;
        struct expr_node *pat;
        if (sluice_expr_parse_value(p, &pat)) return SLUICE_ECONFIG;
        r = binary(p, EX_RLIKE, t->pos, x, pat);
    } else if (at_kw(p, "IN")) {
        p->i++;
        if (expect_op(p, OP_LPAREN, "(")) return SLUICE_ECONFIG;
        struct nlist items = { 0 };
        nlist_push(&items, x);
        for (;;) {
            struct expr_node *a;
            if (sluice_expr_parse_expr(p, &a)) {
                free(items.v);
                return SLUICE_ECONFIG;
            }
            nlist_push(&items, a);
            if (!at_op(p, OP_COMMA)) break;
            p->i++;
        }
        if (expect_op(p, OP_RPAREN, ")")) {
            free(items.v);
            return SLUICE_ECONFIG;
        }
        r = from_list(p, EX_IN, t->pos, &items);
    } else if (at_kw(p, "BETWEEN")) {
        p->i++;
        struct expr_node *lo, *hi;
        if (sluice_expr_parse_value(p, &lo) || expect_kw(p, "AND") || sluice_expr_parse_value(p, &hi)) return SLUICE_ECONFIG;
        r = binary(p, EX_AND, t->pos, binary(p, EX_GE, t->pos, x, lo), binary(p, EX_LE, t->pos, x, hi));
    } else if (not_tok) {
        return fail_at(p, t, "expected LIKE, RLIKE, IN or BETWEEN after NOT at character %d", t->pos);
    } else {
        *out = x;
        return SLUICE_OK;
    }
    *out = not_tok ? unary(p, EX_NOT, not_tok->pos, r) : r;
    return SLUICE_OK;
}

static int parse_not(struct parser *p, struct expr_node **out)
{
    if (++p->depth > EXPR_MAX_DEPTH) return fail_at(p, peek(p), "expression nests too deeply at character %d", peek(p)->pos);
    int rc;
    const struct expr_token *t = peek(p);
    if (at_kw(p, "NOT") || at_op(p, OP_BANG)) {
        p->i++;
        struct expr_node *x;
        rc = parse_not(p, &x);
        if (!rc) *out = unary(p, EX_NOT, t->pos, x);
    } else {
        rc = parse_predicate(p, out);
    }
    p->depth--;
    return rc;
}

static int parse_and(struct parser *p, struct expr_node **out)
{
    if (parse_not(p, out)) return SLUICE_ECONFIG;
    while (at_kw(p, "AND")) {
        const struct expr_token *t = peek(p);
        p->i++;
        struct expr_node *b;
        if (parse_not(p, &b)) return SLUICE_ECONFIG;
        *out = binary(p, EX_AND, t->pos, *out, b);
    }
    return SLUICE_OK;
}

int sluice_expr_parse_expr(struct parser *p, struct expr_node **out)
{
    if (++p->depth > EXPR_MAX_DEPTH) return fail_at(p, peek(p), "expression nests too deeply at character %d", peek(p)->pos);
    if (parse_and(p, out)) return SLUICE_ECONFIG;
    while (at_kw(p, "OR")) {
        const struct expr_token *t = peek(p);
        p->i++;
        struct expr_node *b;
        if (parse_and(p, &b)) return SLUICE_ECONFIG;
        *out = binary(p, EX_OR, t->pos, *out, b);
    }
    p->depth--;
    return SLUICE_OK;
}

int sluice_expr_parse_tree(struct sluice_expr *e, const char *text, struct expr_node **out, struct sluice_error *err)
{
    struct parser p = { .e = e, .text = text, .err = err };
    if (sluice_expr_lex(text, e->arena, &p.t, &p.n, err)) return SLUICE_ECONFIG;
    if (p.t[0].kind == TOK_EOF) return fail_at(&p, &p.t[0], "empty expression");
    if (sluice_expr_parse_expr(&p, out)) return SLUICE_ECONFIG;
    const struct expr_token *t = peek(&p);
    if (t->kind != TOK_EOF)
        return fail_at(&p, t, "unexpected '%.*s' at character %d", (int)t->len, text + t->off, t->pos);
    return SLUICE_OK;
}

int sluice_expr_parse(struct sluice_expr *e, const char *text, struct sluice_error *err)
{
    struct parser p = { .e = e, .text = text, .err = err };
    if (sluice_expr_lex(text, e->arena, &p.t, &p.n, err)) return SLUICE_ECONFIG;
    if (p.t[0].kind == TOK_EOF) return fail_at(&p, &p.t[0], "empty expression");
    if (sluice_expr_parse_expr(&p, &e->root)) return SLUICE_ECONFIG;
    const struct expr_token *t = peek(&p);
    e->body_len = t->kind == TOK_EOF ? strlen(text) : t->off;
    if (at_kw(&p, "AS")) {
        p.i++;
        t = peek(&p);
        if (t->kind != TOK_WORD && t->kind != TOK_QWORD)
            return fail_at(&p, t, "expected a name after AS at character %d", t->pos);
        e->alias = t->str;
        p.i++;
    } else if (t->kind == TOK_QWORD || (t->kind == TOK_WORD && !is_reserved(t->str))) {
        e->alias = t->str;
        p.i++;
    }
    t = peek(&p);
    if (t->kind != TOK_EOF)
        return fail_at(&p, t, "unexpected '%.*s' at character %d", (int)t->len, text + t->off, t->pos);
    return SLUICE_OK;
}
