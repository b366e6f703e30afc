/* The expression parser: recursive descent over Spark SQL's precedence
 * (SqlBaseParser.g4), lowest first:
 *   OR < AND < NOT < predicates (IS NULL, [NOT] LIKE/RLIKE/IN/BETWEEN)
 *      < comparisons < + - || < * / % < unary - + < primary.
 * Sugar is expanded here the way Spark's AstBuilder does, so names come out
 * as Spark prints them: `a != b` is NOT (a = b), `x BETWEEN l AND h` is
 * (x >= l) AND (x <= h), `CASE x WHEN v` compares x = v, `a || b` is
 * concat(a, b), `x NOT LIKE p` is NOT (x LIKE p). */
#include "expr_priv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "colpath.h"
#include "error.h"
#include "mem.h"

#define MAX_DEPTH 200

struct parser {
    struct sluice_expr *e;
    const char *text;
    struct expr_token *t;
    int n, i;
    int depth;
    struct sluice_error *err;
};

static const char *const reserved[] = {
    "AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "RLIKE", "REGEXP", "BETWEEN", "CASE", "WHEN",
    "THEN", "ELSE", "END", "CAST", "AS", "TRUE", "FALSE", "ESCAPE",
};

static bool is_reserved(const char *w)
{
    for (size_t k = 0; k < sizeof reserved / sizeof reserved[0]; k++)
        if (strcasecmp(w, reserved[k]) == 0) return true;
    return false;
}

static const struct expr_token *peek(const struct parser *p)
{
    return &p->t[p->i];
}

static const struct expr_token *peek2(const struct parser *p)
{
    return p->i + 1 < p->n ? &p->t[p->i + 1] : &p->t[p->n - 1];
}

static bool at_kw(const struct parser *p, const char *kw)
{
    const struct expr_token *t = peek(p);
    return t->kind == TOK_WORD && strcasecmp(t->str, kw) == 0;
}

static bool at_op(const struct parser *p, int op)
{
    const struct expr_token *t = peek(p);
    return t->kind == TOK_OP && t->op == op;
}

static int fail_at(struct parser *p, const struct expr_token *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_at(struct parser *p, const struct expr_token *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sluice_error_setv(p->err, SLUICE_ECONFIG, fmt, ap);
    va_end(ap);
    sluice_error_excerpt(p->err, p->text, t->pos);
    return SLUICE_ECONFIG;
}

static int expect_op(struct parser *p, int op, const char *what)
{
    if (at_op(p, op)) {
        p->i++;
        return SLUICE_OK;
    }
    return fail_at(p, peek(p), "expected '%s' at character %d", what, peek(p)->pos);
}

static int expect_kw(struct parser *p, const char *kw)
{
    if (at_kw(p, kw)) {
        p->i++;
        return SLUICE_OK;
    }
    return fail_at(p, peek(p), "expected %s at character %d", kw, peek(p)->pos);
}

static struct expr_node *node(struct parser *p, enum expr_kind kind, int pos, int n_args)
{
    return sluice_expr_node_new(p->e, kind, pos, n_args);
}

static struct expr_node *binary(struct parser *p, enum expr_kind kind, int pos, struct expr_node *a,
                                struct expr_node *b)
{
    struct expr_node *n = node(p, kind, pos, 2);
    n->args[0] = a;
    n->args[1] = b;
    return n;
}

static struct expr_node *unary(struct parser *p, enum expr_kind kind, int pos, struct expr_node *a)
{
    struct expr_node *n = node(p, kind, pos, 1);
    n->args[0] = a;
    return n;
}

/* A growable list of nodes for argument lists; copied into the arena. */
struct nlist {
    struct expr_node **v;
    int n, cap;
};

static void nlist_push(struct nlist *l, struct expr_node *x)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->v = sluice_xrealloc(l->v, (size_t)l->cap * sizeof *l->v);
    }
    l->v[l->n++] = x;
}

static struct expr_node *from_list(struct parser *p, enum expr_kind kind, int pos, struct nlist *l)
{
    struct expr_node *n = node(p, kind, pos, l->n);
    if (l->n) memcpy(n->args, l->v, (size_t)l->n * sizeof *l->v);
    free(l->v);
    l->v = NULL;
    return n;
}

static int parse_expr(struct parser *p, struct expr_node **out);
static int parse_value(struct parser *p, struct expr_node **out);

/* ---- literals and primaries ---------------------------------------------- */

static struct expr_node *lit_long(struct parser *p, int pos, int64_t v)
{
    struct expr_node *n = node(p, EX_LIT, pos, 0);
    n->type = SLUICE_TYPE_LONG;
    n->lit.l = v;
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", (long long)v);
    n->text = sluice_arena_strndup(p->e->arena, buf, strlen(buf));
    return n;
}

static struct expr_node *lit_double(struct parser *p, const struct expr_token *t, bool neg)
{
    struct expr_node *n = node(p, EX_LIT, t->pos, 0);
    n->type = SLUICE_TYPE_DOUBLE;
    n->lit.d = neg ? -t->dval : t->dval;
    /* Named as written, without Spark's type suffix. */
    size_t len = t->len;
    const char *s = p->text + t->off;
    while (len && !(s[len - 1] >= '0' && s[len - 1] <= '9') && s[len - 1] != '.') len--;
    char *text = sluice_arena_alloc(p->e->arena, len + 2);
    snprintf(text, len + 2, "%s%.*s", neg ? "-" : "", (int)len, s);
    n->text = text;
    return n;
}

static int parse_number(struct parser *p, bool neg, int pos, struct expr_node **out)
{
    const struct expr_token *t = peek(p);
    p->i++;
    if (t->kind == TOK_DEC || (t->kind == TOK_INT && t->overflow) ||
        (t->kind == TOK_INT && !neg && t->ival == (uint64_t)1 << 63)) {
        /* Spark makes a decimal of an integer too big for a long; a double
         * is the closest sluice type. */
        *out = lit_double(p, t, neg);
        (*out)->pos = pos;
        return SLUICE_OK;
    }
    int64_t v = neg ? (int64_t)(0 - t->ival) : (int64_t)t->ival;
    *out = lit_long(p, pos, v);
    return SLUICE_OK;
}

static int parse_string(struct parser *p, struct expr_node **out)
{
    /* Adjacent literals concatenate, as in Spark: 'a' 'b' is 'ab'. */
    const struct expr_token *first = peek(p);
    size_t total = 0;
    int k = p->i;
    while (p->t[k].kind == TOK_STRING) total += p->t[k++].str_len;
    char *s = sluice_arena_alloc(p->e->arena, total + 1);
    size_t w = 0;
    while (p->i < k) {
        memcpy(s + w, p->t[p->i].str, p->t[p->i].str_len);
        w += p->t[p->i].str_len;
        p->i++;
    }
    s[w] = '\0';
    if (total > INT32_MAX) return fail_at(p, first, "string literal at character %d is too long", first->pos);
    struct expr_node *n = node(p, EX_LIT, first->pos, 0);
    n->type = SLUICE_TYPE_STRING;
    n->lit.s = s;
    n->lit.s_len = (int32_t)total;
    n->text = s;
    *out = n;
    return SLUICE_OK;
}

static int parse_path(struct parser *p, struct expr_node **out)
{
    const struct expr_token *first = peek(p);
    struct sluice_buf text = { 0 };
    sluice_buf_puts(&text, "");
    for (;;) {
        const struct expr_token *t = peek(p);
        if (t->kind != TOK_WORD && t->kind != TOK_QWORD) {
            sluice_buf_free(&text);
            return fail_at(p, t, "expected a field name at character %d", t->pos);
        }
        if (text.len) sluice_buf_putc(&text, '.');
        sluice_col_append_name(&text, t->str);
        p->i++;
        while (at_op(p, OP_LBRACKET)) {
            p->i++;
            const struct expr_token *ix = peek(p);
            if (ix->kind != TOK_INT || ix->overflow || ix->ival > INT32_MAX) {
                sluice_buf_free(&text);
                return fail_at(p, ix, "expected an array index (a non-negative integer) at character %d",
                               ix->pos);
            }
            sluice_buf_printf(&text, "[%llu]", (unsigned long long)ix->ival);
            p->i++;
            if (expect_op(p, OP_RBRACKET, "]")) {
                sluice_buf_free(&text);
                return SLUICE_ECONFIG;
            }
        }
        if (!at_op(p, OP_DOT)) break;
        p->i++;
    }
    struct expr_node *n = node(p, EX_PATH, first->pos, 0);
    n->text = sluice_arena_strndup(p->e->arena, text.data, text.len);
    sluice_buf_free(&text);
    *out = n;
    return SLUICE_OK;
}

static int parse_call(struct parser *p, struct expr_node **out)
{
    const struct expr_token *name = peek(p);
    p->i += 2; /* name ( */
    struct nlist args = { 0 };
    if (!at_op(p, OP_RPAREN)) {
        for (;;) {
            struct expr_node *a;
            if (parse_expr(p, &a)) goto fail;
            nlist_push(&args, a);
            if (!at_op(p, OP_COMMA)) break;
            p->i++;
        }
    }
    if (expect_op(p, OP_RPAREN, ")")) goto fail;
    struct expr_node *n = from_list(p, EX_CALL, name->pos, &args);
    n->text = name->str;
    *out = n;
    return SLUICE_OK;
fail:
    free(args.v);
    return SLUICE_ECONFIG;
}

static int parse_type(struct parser *p, enum sluice_type *type)
{
    static const struct { const char *name; enum sluice_type type; } types[] = {
        { "boolean", SLUICE_TYPE_BOOLEAN }, { "long", SLUICE_TYPE_LONG },
        { "bigint", SLUICE_TYPE_LONG },     { "int", SLUICE_TYPE_LONG },
        { "integer", SLUICE_TYPE_LONG },    { "smallint", SLUICE_TYPE_LONG },
        { "tinyint", SLUICE_TYPE_LONG },    { "short", SLUICE_TYPE_LONG },
        { "byte", SLUICE_TYPE_LONG },       { "double", SLUICE_TYPE_DOUBLE },
        { "float", SLUICE_TYPE_DOUBLE },    { "real", SLUICE_TYPE_DOUBLE },
        { "string", SLUICE_TYPE_STRING },   { "varchar", SLUICE_TYPE_STRING },
        { "timestamp", SLUICE_TYPE_TIMESTAMP },
    };
    const struct expr_token *t = peek(p);
    if (t->kind == TOK_WORD)
        for (size_t k = 0; k < sizeof types / sizeof types[0]; k++)
            if (strcasecmp(t->str, types[k].name) == 0) {
                *type = types[k].type;
                p->i++;
                return SLUICE_OK;
            }
    if (t->kind == TOK_WORD) {
        fail_at(p, t, "unknown type '%s' at character %d", t->str, t->pos);
        if (p->err)
            snprintf(p->err->hint, sizeof p->err->hint,
                     "sluice casts to boolean, long, double, string or timestamp");
        return SLUICE_ECONFIG;
    }
    return fail_at(p, t, "expected a type at character %d", t->pos);
}

static int parse_cast(struct parser *p, struct expr_node **out)
{
    const struct expr_token *kw = peek(p);
    p->i += 2; /* CAST ( */
    struct expr_node *x;
    enum sluice_type type = SLUICE_TYPE_INVALID;
    if (parse_expr(p, &x) || expect_kw(p, "AS") || parse_type(p, &type) || expect_op(p, OP_RPAREN, ")"))
        return SLUICE_ECONFIG;
    struct expr_node *n = unary(p, EX_CAST, kw->pos, x);
    n->type = type; /* the target; the checker keeps it */
    *out = n;
    return SLUICE_OK;
}

static int parse_case(struct parser *p, struct expr_node **out)
{
    const struct expr_token *kw = peek(p);
    p->i++;
    struct expr_node *operand = NULL;
    if (!at_kw(p, "WHEN") && parse_expr(p, &operand)) return SLUICE_ECONFIG;
    struct nlist args = { 0 };
    if (!at_kw(p, "WHEN")) {
        fail_at(p, peek(p), "expected WHEN at character %d", peek(p)->pos);
        goto fail;
    }
    while (at_kw(p, "WHEN")) {
        p->i++;
        const struct expr_token *at = peek(p);
        struct expr_node *cond, *val;
        if (parse_expr(p, &cond) || expect_kw(p, "THEN") || parse_expr(p, &val)) goto fail;
        if (operand) cond = binary(p, EX_EQ, at->pos, operand, cond);
        nlist_push(&args, cond);
        nlist_push(&args, val);
    }
    if (at_kw(p, "ELSE")) {
        p->i++;
        struct expr_node *val;
        if (parse_expr(p, &val)) goto fail;
        nlist_push(&args, val);
    }
    if (expect_kw(p, "END")) goto fail;
    *out = from_list(p, EX_CASE, kw->pos, &args);
    return SLUICE_OK;
fail:
    free(args.v);
    return SLUICE_ECONFIG;
}

static int parse_primary(struct parser *p, struct expr_node **out)
{
    const struct expr_token *t = peek(p);
    switch (t->kind) {
    case TOK_INT:
    case TOK_DEC:
        return parse_number(p, false, t->pos, out);
    case TOK_STRING:
        return parse_string(p, out);
    case TOK_QWORD:
        return parse_path(p, out);
    case TOK_OP:
        if (t->op == OP_LPAREN) {
            p->i++;
            if (parse_expr(p, out)) return SLUICE_ECONFIG;
            return expect_op(p, OP_RPAREN, ")");
        }
        break;
    case TOK_WORD: {
        const struct expr_token *next = peek2(p);
        if (strcasecmp(t->str, "true") == 0 || strcasecmp(t->str, "false") == 0) {
            struct expr_node *n = node(p, EX_LIT, t->pos, 0);
            n->type = SLUICE_TYPE_BOOLEAN;
            n->lit.b = strcasecmp(t->str, "true") == 0;
            n->text = n->lit.b ? "true" : "false";
            p->i++;
            *out = n;
            return SLUICE_OK;
        }
        if (strcasecmp(t->str, "null") == 0) {
            struct expr_node *n = node(p, EX_LIT, t->pos, 0);
            n->type = SLUICE_TYPE_INVALID;
            n->lit.is_null = true;
            n->text = "NULL";
            p->i++;
            *out = n;
            return SLUICE_OK;
        }
        if (strcasecmp(t->str, "case") == 0) return parse_case(p, out);
        if (strcasecmp(t->str, "cast") == 0 && next->kind == TOK_OP && next->op == OP_LPAREN)
            return parse_cast(p, out);
        if (strcasecmp(t->str, "timestamp") == 0 && next->kind == TOK_STRING) {
            p->i++;
            int64_t us;
            if (!sluice_expr_parse_timestamp(next->str, next->str_len, &us))
                return fail_at(p, next, "invalid timestamp literal '%s' at character %d", next->str, next->pos);
            struct expr_node *n = node(p, EX_LIT, t->pos, 0);
            n->type = SLUICE_TYPE_TIMESTAMP;
            n->lit.l = us;
            size_t len = next->str_len + 13;
            char *text = sluice_arena_alloc(p->e->arena, len);
            snprintf(text, len, "TIMESTAMP '%s'", next->str);
            n->text = text;
            p->i++;
            *out = n;
            return SLUICE_OK;
        }
        /* RLIKE and REGEXP are operators and, before a parenthesis, functions. */
        if (next->kind == TOK_OP && next->op == OP_LPAREN &&
            (!is_reserved(t->str) || strcasecmp(t->str, "rlike") == 0 || strcasecmp(t->str, "regexp") == 0))
            return parse_call(p, out);
        if (!is_reserved(t->str)) return parse_path(p, out);
        break;
    }
    case TOK_EOF:
        return fail_at(p, t, "expected an expression at character %d, found the end", t->pos);
    }
    return fail_at(p, t, "expected an expression at character %d, found '%.*s'", t->pos, (int)t->len,
                   p->text + t->off);
}

/* ---- operators ----------------------------------------------------------- */

static int parse_unary(struct parser *p, struct expr_node **out)
{
    if (++p->depth > MAX_DEPTH) return fail_at(p, peek(p), "expression nests too deeply at character %d", peek(p)->pos);
    int rc;
    const struct expr_token *t = peek(p);
    if (t->kind == TOK_OP && (t->op == OP_MINUS || t->op == OP_PLUS)) {
        p->i++;
        const struct expr_token *next = peek(p);
        if (t->op == OP_MINUS && (next->kind == TOK_INT || next->kind == TOK_DEC)) {
            /* Spark's grammar reads `-5` as one literal, which is how
             * -9223372036854775808 stays a long. */
            rc = parse_number(p, true, t->pos, out);
        } else {
            struct expr_node *x;
            rc = parse_unary(p, &x);
            if (!rc) *out = unary(p, t->op == OP_MINUS ? EX_NEG : EX_POS, t->pos, x);
        }
    } else {
        rc = parse_primary(p, out);
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
static int parse_value(struct parser *p, struct expr_node **out)
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
    if (parse_value(p, &x)) return SLUICE_ECONFIG;
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
        if (parse_value(p, &pat)) return SLUICE_ECONFIG;
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
        if (parse_value(p, &pat)) return SLUICE_ECONFIG;
        r = binary(p, EX_RLIKE, t->pos, x, pat);
    } else if (at_kw(p, "IN")) {
        p->i++;
        if (expect_op(p, OP_LPAREN, "(")) return SLUICE_ECONFIG;
        struct nlist items = { 0 };
        nlist_push(&items, x);
        for (;;) {
            struct expr_node *a;
            if (parse_expr(p, &a)) {
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
        if (parse_value(p, &lo) || expect_kw(p, "AND") || parse_value(p, &hi)) return SLUICE_ECONFIG;
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
    if (++p->depth > MAX_DEPTH) return fail_at(p, peek(p), "expression nests too deeply at character %d", peek(p)->pos);
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

static int parse_expr(struct parser *p, struct expr_node **out)
{
    if (++p->depth > MAX_DEPTH) return fail_at(p, peek(p), "expression nests too deeply at character %d", peek(p)->pos);
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

int sluice_expr_parse(struct sluice_expr *e, const char *text, struct sluice_error *err)
{
    struct parser p = { .e = e, .text = text, .err = err };
    if (sluice_expr_lex(text, e->arena, &p.t, &p.n, err)) return SLUICE_ECONFIG;
    if (p.t[0].kind == TOK_EOF) return fail_at(&p, &p.t[0], "empty expression");
    if (parse_expr(&p, &e->root)) return SLUICE_ECONFIG;
    const struct expr_token *t = peek(&p);
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
