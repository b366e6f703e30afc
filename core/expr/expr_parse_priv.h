/* core/expr/expr_parse_priv.h — the parser's state and small helpers,
 * shared by expr_parse.c (operators, by precedence) and
 * expr_parse_primary.c (literals, paths, calls, CAST, CASE). */
#ifndef SLUICE_CORE_EXPR_PARSE_PRIV_H
#define SLUICE_CORE_EXPR_PARSE_PRIV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "expr_priv.h"
#include "mem.h"

/* Nesting deeper than this is refused, not a stack overflow. */
#define EXPR_MAX_DEPTH 200

struct parser {
    struct sluice_expr *e;
    const char *text;
    struct expr_token *t;
    int n, i;
    int depth;
    struct sluice_error *err;
};

/* Words that cannot name a column unquoted. */
static const char *const expr_reserved[] = {
    "AND", "OR", "NOT", "IN", "IS", "NULL", "LIKE", "RLIKE", "REGEXP", "BETWEEN", "CASE", "WHEN",
    "THEN", "ELSE", "END", "CAST", "AS", "TRUE", "FALSE", "ESCAPE",
};

static inline bool is_reserved(const char *w)
{
    for (size_t k = 0; k < sizeof expr_reserved / sizeof expr_reserved[0]; k++)
        if (strcasecmp(w, expr_reserved[k]) == 0) return true;
    return false;
}

static inline const struct expr_token *peek(const struct parser *p)
{
    return &p->t[p->i];
}

static inline const struct expr_token *peek2(const struct parser *p)
{
    return p->i + 1 < p->n ? &p->t[p->i + 1] : &p->t[p->n - 1];
}

static inline bool at_kw(const struct parser *p, const char *kw)
{
    const struct expr_token *t = peek(p);
    return t->kind == TOK_WORD && strcasecmp(t->str, kw) == 0;
}

static inline bool at_op(const struct parser *p, int op)
{
    const struct expr_token *t = peek(p);
    return t->kind == TOK_OP && t->op == op;
}

static inline int fail_at(struct parser *p, const struct expr_token *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline int fail_at(struct parser *p, const struct expr_token *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sluice_error_setv(p->err, SLUICE_ECONFIG, fmt, ap);
    va_end(ap);
    sluice_error_excerpt(p->err, p->text, t->pos);
    return SLUICE_ECONFIG;
}

static inline int expect_op(struct parser *p, int op, const char *what)
{
    if (at_op(p, op)) {
        p->i++;
        return SLUICE_OK;
    }
    return fail_at(p, peek(p), "expected '%s' at character %d", what, peek(p)->pos);
}

static inline int expect_kw(struct parser *p, const char *kw)
{
    if (at_kw(p, kw)) {
        p->i++;
        return SLUICE_OK;
    }
    return fail_at(p, peek(p), "expected %s at character %d", kw, peek(p)->pos);
}

static inline struct expr_node *node(struct parser *p, enum expr_kind kind, int pos, int n_args)
{
    return sluice_expr_node_new(p->e, kind, pos, n_args);
}

static inline struct expr_node *binary(struct parser *p, enum expr_kind kind, int pos, struct expr_node *a,
                                struct expr_node *b)
{
    struct expr_node *n = node(p, kind, pos, 2);
    n->args[0] = a;
    n->args[1] = b;
    return n;
}

static inline struct expr_node *unary(struct parser *p, enum expr_kind kind, int pos, struct expr_node *a)
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

static inline void nlist_push(struct nlist *l, struct expr_node *x)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 8;
        l->v = sluice_xrealloc(l->v, (size_t)l->cap * sizeof *l->v);
    }
    l->v[l->n++] = x;
}

static inline struct expr_node *from_list(struct parser *p, enum expr_kind kind, int pos, struct nlist *l)
{
    struct expr_node *n = node(p, kind, pos, l->n);
    if (l->n) memcpy(n->args, l->v, (size_t)l->n * sizeof *l->v);
    free(l->v);
    l->v = NULL;
    return n;
}

/* expr_parse.c: a whole expression (OR, the lowest precedence), and a value
 * (a comparison operand: + - || and tighter). */
int sluice_expr_parse_expr(struct parser *p, struct expr_node **out);
int sluice_expr_parse_value(struct parser *p, struct expr_node **out);
/* expr_parse_primary.c: a primary (literal, path, call, CAST, CASE, (x)),
 * and a number literal (`neg`: a minus sign came before it, at `pos`). */
int sluice_expr_parse_primary(struct parser *p, struct expr_node **out);
int sluice_expr_parse_number(struct parser *p, bool neg, int pos, struct expr_node **out);

#endif
