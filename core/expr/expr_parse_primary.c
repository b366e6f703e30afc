/* The expression parser's primaries: literals, column paths, function
 * calls, CAST, CASE and parentheses. See expr_parse.c for the operators. */
#include "expr_parse_priv.h"

#include <stdio.h>

#include "arena.h"
#include "colpath.h"
#include "duration.h"
#include "schema.h"
#include "timefmt.h"

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
    /* 1.5 is a decimal to Spark, 1.5e0 and 1.5D doubles: with a decimal it
     * may become one (sluice_expr_literal_decimal). */
    n->plain_decimal = t->kind == TOK_DEC && !memchr(s, 'e', t->len) && !memchr(s, 'E', t->len) && len == t->len;
    return n;
}

int sluice_expr_parse_number(struct parser *p, bool neg, int pos, struct expr_node **out)
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
            if (p->t[p->i + 1].kind == TOK_STRING) break; /* a map's key: after the path */
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
    /* m['key'] (Spark's GetMapValue) is element_at(m, 'key'); it ends the path. */
    while (at_op(p, OP_LBRACKET) && p->t[p->i + 1].kind == TOK_STRING) {
        const struct expr_token *br = peek(p);
        p->i++;
        struct expr_node *key;
        if (sluice_expr_parse_expr(p, &key) || expect_op(p, OP_RBRACKET, "]")) return SLUICE_ECONFIG;
        struct expr_node *get = node(p, EX_CALL, br->pos, 2);
        get->text = "element_at";
        get->args[0] = n;
        get->args[1] = key;
        n = get;
    }
    *out = n;
    return SLUICE_OK;
}

/* Over groups, an aggregate call is one node: its arguments are the
 * aggregation's to read (count(*), count(DISTINCT x)), so the parser only
 * finds where the call ends. The lexer balanced nothing: count here. */
static int parse_agg_call(struct parser *p, struct expr_node **out)
{
    const struct expr_token *name = peek(p);
    int depth = 0;
    for (p->i++;; p->i++) {
        const struct expr_token *t = peek(p);
        if (t->kind == TOK_EOF) return fail_at(p, &p->t[p->i - (p->i > 0)], "expected ')' at character %d", t->pos);
        if (t->kind == TOK_OP && (t->op == OP_LPAREN || t->op == OP_LBRACKET)) depth++;
        if (t->kind == TOK_OP && (t->op == OP_RPAREN || t->op == OP_RBRACKET) && --depth == 0) break;
    }
    const struct expr_token *close = peek(p);
    p->i++;
    struct expr_node *n = node(p, EX_AGG, name->pos, 0);
    n->text = name->str;
    n->off = name->off;
    n->len = close->off + close->len - name->off;
    *out = n;
    return SLUICE_OK;
}

static bool is_agg_name(const struct parser *p, const char *name)
{
    const struct sluice_expr_groups *g = p->e->groups;
    if (!g || !g->is_agg) return false;
    char lower[64];
    size_t n = strlen(name);
    if (n >= sizeof lower) return false;
    for (size_t k = 0; k <= n; k++) lower[k] = (char)(name[k] >= 'A' && name[k] <= 'Z' ? name[k] - 'A' + 'a' : name[k]);
    return g->is_agg(g->arg, lower);
}

/* DATE '2021-05-03' and TIMESTAMP '2021-05-03 07:55:40': a literal of the
 * type, read as a cast of the text would read it, named as Spark names it. */
static int parse_typed_literal(struct parser *p, enum sluice_type type, struct expr_node **out)
{
    const struct expr_token *t = peek(p), *text = &p->t[p->i + 1];
    const char *word = type == SLUICE_TYPE_DATE ? "DATE" : "TIMESTAMP";
    p->i++;
    int64_t v = 0;
    int32_t days;
    bool ok = type == SLUICE_TYPE_DATE ? sluice_date_parse(text->str, text->str_len, &days) == 0
                                       : sluice_expr_parse_timestamp(text->str, text->str_len, &v);
    if (!ok)
        return fail_at(p, text, "invalid %s literal '%s' at character %d", type == SLUICE_TYPE_DATE ? "date" : "timestamp",
                       text->str, text->pos);
    struct expr_node *n = node(p, EX_LIT, t->pos, 0);
    n->type = type;
    n->lit.l = type == SLUICE_TYPE_DATE ? days : v;
    size_t len = text->str_len + strlen(word) + 4;
    char *name = sluice_arena_alloc(p->e->arena, len);
    snprintf(name, len, "%s '%s'", word, text->str);
    n->text = name;
    p->i++;
    *out = n;
    return SLUICE_OK;
}

/* INTERVAL 1 HOUR, INTERVAL '1' HOUR, INTERVAL '1 hour 30 minutes',
 * INTERVAL 1 HOUR 30 MINUTES: a day-time interval (Spark's
 * DayTimeIntervalType), held as microseconds; the checker lets it only be
 * added to or subtracted from a timestamp. */
static int parse_interval(struct parser *p, struct expr_node **out)
{
    const struct expr_token *kw = peek(p);
    p->i++;
    struct sluice_buf text = { 0 };
    for (bool first = true;; first = false) {
        const struct expr_token *v = peek(p), *u = &p->t[p->i + 1];
        bool number = v->kind == TOK_INT || (v->kind == TOK_STRING && u->kind == TOK_WORD);
        if (first && v->kind == TOK_STRING && u->kind != TOK_WORD) {
            sluice_buf_append(&text, v->str, v->str_len); /* INTERVAL '1 hour' */
            p->i++;
            break;
        }
        if (!number || u->kind != TOK_WORD) {
            if (first) {
                sluice_buf_free(&text);
                return fail_at(p, v, "expected an interval such as INTERVAL 1 HOUR at character %d", v->pos);
            }
            break;
        }
        if (v->kind == TOK_INT) sluice_buf_printf(&text, "%s%llu %s", first ? "" : " ", (unsigned long long)v->ival, u->str);
        else sluice_buf_printf(&text, "%s%.*s %s", first ? "" : " ", (int)v->str_len, v->str, u->str);
        p->i += 2;
    }
    int64_t us;
    if (sluice_duration_parse(text.data, &us) != 0) {
        int rc = fail_at(p, kw, "invalid interval '%s' at character %d: expected a count of weeks, days, hours, "
                         "minutes, seconds, milliseconds or microseconds (months and years have no fixed length)",
                         text.data ? text.data : "", kw->pos);
        sluice_buf_free(&text);
        return rc;
    }
    sluice_buf_free(&text);
    struct expr_node *n = node(p, EX_LIT, kw->pos, 0);
    n->type = SLUICE_TYPE_LONG;
    n->interval = true;
    n->lit.l = us;
    struct sluice_buf name = { 0 };
    sluice_buf_puts(&name, "INTERVAL '");
    sluice_duration_format(us, &name);
    sluice_buf_putc(&name, '\'');
    char *s = sluice_arena_alloc(p->e->arena, name.len + 1);
    memcpy(s, name.data, name.len + 1);
    sluice_buf_free(&name);
    n->text = s;
    *out = n;
    return SLUICE_OK;
}

static int parse_call(struct parser *p, struct expr_node **out)
{
    const struct expr_token *name = peek(p);
    if (is_agg_name(p, name->str)) return parse_agg_call(p, out);
    p->i += 2; /* name ( */
    struct nlist args = { 0 };
    if (!at_op(p, OP_RPAREN)) {
        for (;;) {
            struct expr_node *a;
            if (sluice_expr_parse_expr(p, &a)) goto fail;
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

/* DECIMAL, DECIMAL(p) or DECIMAL(p, s) after the word: Spark's (10, 0) default. */
static int parse_decimal_type(struct parser *p, const struct ArrowSchema **schema)
{
    long prec = 10, scale = 0;
    if (at_op(p, OP_LPAREN)) {
        p->i++;
        const struct expr_token *t = peek(p);
        if (t->kind != TOK_INT) return fail_at(p, t, "expected a precision at character %d", t->pos);
        prec = (long)t->ival;
        p->i++;
        if (at_op(p, OP_COMMA)) {
            p->i++;
            t = peek(p);
            if (t->kind != TOK_INT) return fail_at(p, t, "expected a scale at character %d", t->pos);
            scale = (long)t->ival;
            p->i++;
        }
        if (expect_op(p, OP_RPAREN, ")")) return SLUICE_ECONFIG;
    }
    char fmt[48];
    const char *why;
    if (!sluice_schema_decimal_format(prec, scale, fmt, &why)) return fail_at(p, peek(p), "%s", why);
    *schema = sluice_expr_decimal_schema((int)prec, (int)scale);
    return SLUICE_OK;
}

static int parse_type(struct parser *p, enum sluice_type *type, const struct ArrowSchema **schema)
{
    static const struct { const char *name; enum sluice_type type; } types[] = {
        { "boolean", SLUICE_TYPE_BOOLEAN }, { "long", SLUICE_TYPE_LONG },
        { "bigint", SLUICE_TYPE_LONG },     { "int", SLUICE_TYPE_LONG },
        { "integer", SLUICE_TYPE_LONG },    { "smallint", SLUICE_TYPE_LONG },
        { "tinyint", SLUICE_TYPE_LONG },    { "short", SLUICE_TYPE_LONG },
        { "byte", SLUICE_TYPE_LONG },       { "double", SLUICE_TYPE_DOUBLE },
        { "float", SLUICE_TYPE_DOUBLE },    { "real", SLUICE_TYPE_DOUBLE },
        { "string", SLUICE_TYPE_STRING },   { "varchar", SLUICE_TYPE_STRING },
        { "timestamp", SLUICE_TYPE_TIMESTAMP }, { "date", SLUICE_TYPE_DATE },
    };
    const struct expr_token *t = peek(p);
    *schema = NULL;
    if (t->kind == TOK_WORD && (strcasecmp(t->str, "decimal") == 0 || strcasecmp(t->str, "dec") == 0 ||
                                strcasecmp(t->str, "numeric") == 0)) {
        p->i++;
        *type = SLUICE_TYPE_DECIMAL;
        return parse_decimal_type(p, schema);
    }
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
                     "sluice casts to boolean, long, double, decimal(p,s), string, date or timestamp");
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
    const struct ArrowSchema *schema = NULL;
    if (sluice_expr_parse_expr(p, &x) || expect_kw(p, "AS") || parse_type(p, &type, &schema) ||
        expect_op(p, OP_RPAREN, ")"))
        return SLUICE_ECONFIG;
    struct expr_node *n = unary(p, EX_CAST, kw->pos, x);
    n->type = type; /* the target; the checker keeps it */
    n->schema = schema;
    *out = n;
    return SLUICE_OK;
}

static int parse_case(struct parser *p, struct expr_node **out)
{
    const struct expr_token *kw = peek(p);
    p->i++;
    struct expr_node *operand = NULL;
    if (!at_kw(p, "WHEN") && sluice_expr_parse_expr(p, &operand)) return SLUICE_ECONFIG;
    struct nlist args = { 0 };
    if (!at_kw(p, "WHEN")) {
        fail_at(p, peek(p), "expected WHEN at character %d", peek(p)->pos);
        goto fail;
    }
    while (at_kw(p, "WHEN")) {
        p->i++;
        const struct expr_token *at = peek(p);
        struct expr_node *cond, *val;
        if (sluice_expr_parse_expr(p, &cond) || expect_kw(p, "THEN") || sluice_expr_parse_expr(p, &val)) goto fail;
        if (operand) cond = binary(p, EX_EQ, at->pos, operand, cond);
        nlist_push(&args, cond);
        nlist_push(&args, val);
    }
    if (at_kw(p, "ELSE")) {
        p->i++;
        struct expr_node *val;
        if (sluice_expr_parse_expr(p, &val)) goto fail;
        nlist_push(&args, val);
    }
    if (expect_kw(p, "END")) goto fail;
    *out = from_list(p, EX_CASE, kw->pos, &args);
    return SLUICE_OK;
fail:
    free(args.v);
    return SLUICE_ECONFIG;
}

static int primary(struct parser *p, struct expr_node **out)
{
    const struct expr_token *t = peek(p);
    switch (t->kind) {
    case TOK_INT:
    case TOK_DEC:
        return sluice_expr_parse_number(p, false, t->pos, out);
    case TOK_STRING:
        return parse_string(p, out);
    case TOK_QWORD:
        return parse_path(p, out);
    case TOK_OP:
        if (t->op == OP_LPAREN) {
            p->i++;
            if (sluice_expr_parse_expr(p, out)) return SLUICE_ECONFIG;
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
        if (strcasecmp(t->str, "interval") == 0 && (next->kind == TOK_INT || next->kind == TOK_STRING))
            return parse_interval(p, out);
        bool is_date = strcasecmp(t->str, "date") == 0;
        if ((is_date || strcasecmp(t->str, "timestamp") == 0) && next->kind == TOK_STRING)
            return parse_typed_literal(p, is_date ? SLUICE_TYPE_DATE : SLUICE_TYPE_TIMESTAMP, out);
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

/* A primary, then `.field` after anything that is not already a path (a
 * call, a cast, a parenthesis): Spark's GetStructField on its result. */
int sluice_expr_parse_primary(struct parser *p, struct expr_node **out)
{
    int rc = primary(p, out);
    while (!rc && (*out)->kind != EX_PATH && at_op(p, OP_DOT)) {
        const struct expr_token *dot = peek(p);
        p->i++;
        const struct expr_token *t = peek(p);
        if (t->kind != TOK_WORD && t->kind != TOK_QWORD)
            return fail_at(p, t, "expected a field name at character %d", t->pos);
        struct expr_node *f = unary(p, EX_FIELD, dot->pos, *out);
        f->text = t->str;
        p->i++;
        *out = f;
    }
    return rc;
}
