/* Parsing SQL statements into clauses, and running them over memory
 * tables. See sql.h; evaluation is in sql_eval.c.
 *
 * The parser only finds the clauses: a clause keyword counts at
 * parenthesis depth 0 and not after a dot (`x.from` is a field), and what
 * lies between keywords is left to the expression compiler, which reports
 * errors inside an expression with their own positions. */
#include "sql_priv.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "expr.h"
#include "registry.h"
#include "mem.h"
#include "schema.h"
#include "tables.h"
#include "utf8.h"

/* ---- errors ----------------------------------------------------------------- */


int sluice_sql_fail(const struct sluice_sql *q, struct sluice_error *err, size_t off, const char *fmt, ...)
{
    char msg[sizeof err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sluice_error_set(err, SLUICE_ECONFIG, "%s", msg);
    if (err) err->hint[0] = '\0'; /* a failed attempt before may have left one */
    sluice_schema_error_excerpt(err, q->text, q->text + off);
    return SLUICE_ECONFIG;
}

bool sluice_sql_tok_is(const struct sluice_sql *q, size_t i, const char *text)
{
    if (i >= q->n_toks) return false;
    const struct sql_tok *t = &q->toks[i];
    size_t n = strlen(text);
    if (t->len != n) return false;
    if (t->kind == SQL_WORD) return strncasecmp(q->text + t->off, text, n) == 0;
    return t->kind == SQL_PUNCT && memcmp(q->text + t->off, text, n) == 0;
}

/* ---- tokens ------------------------------------------------------------------ */

/* The statement's tokens, read by the expression language's lexer (one
 * lexer for both: the same quoting, escapes, numbers and comments). */
static int lex(struct sluice_sql *q, struct sluice_error *err)
{
    static const enum sql_tok_kind kinds[] = {
        [SLUICE_TOK_WORD] = SQL_WORD,     [SLUICE_TOK_QUOTED] = SQL_QUOTED, [SLUICE_TOK_STRING] = SQL_STRING,
        [SLUICE_TOK_NUMBER] = SQL_NUMBER, [SLUICE_TOK_PUNCT] = SQL_PUNCT,
    };
    const char *s = q->text;
    struct sluice_expr_tok *toks;
    size_t n;
    int lexed = sluice_expr_tokenize(s, &toks, &n, err);
    if (lexed) return lexed;
    q->toks = sluice_xmalloc((n + 1) * sizeof *q->toks);
    for (size_t k = 0; k < n; k++) q->toks[k] = (struct sql_tok){ kinds[toks[k].kind], toks[k].off, toks[k].len };
    q->n_toks = n;
    free(toks);
    /* Brackets must balance, or the clause split below would be wrong. */
    size_t *open = sluice_xcalloc(q->n_toks + 1, sizeof *open);
    size_t depth = 0;
    int rc = SLUICE_OK;
    for (size_t k = 0; k < q->n_toks && !rc; k++) {
        if (sluice_sql_tok_is(q, k, "(") || sluice_sql_tok_is(q, k, "[")) {
            open[depth++] = k;
        } else if (sluice_sql_tok_is(q, k, ")") || sluice_sql_tok_is(q, k, "]")) {
            char want = s[q->toks[k].off] == ')' ? '(' : '[';
            if (!depth || s[q->toks[open[depth - 1]].off] != want)
                rc = sluice_sql_fail(q, err, q->toks[k].off, "'%c' at character %d closes nothing",
                                     s[q->toks[k].off], sluice_utf8_position(q->text, q->toks[k].off));
            else
                depth--;
        }
    }
    if (!rc && depth)
        rc = sluice_sql_fail(q, err, q->toks[open[depth - 1]].off, "'%c' at character %d is not closed",
                             s[q->toks[open[depth - 1]].off], sluice_utf8_position(q->text, q->toks[open[depth - 1]].off));
    free(open);
    return rc;
}

/* ---- clauses ----------------------------------------------------------------- */

enum clause { C_NONE, C_FROM, C_WHERE, C_GROUP, C_HAVING, C_ORDER, C_LIMIT };

static const char *const clause_names[] = { "", "FROM", "WHERE", "GROUP BY", "HAVING", "ORDER BY", "LIMIT" };

static bool after_dot(const struct sluice_sql *q, size_t i)
{
    return i > 0 && sluice_sql_tok_is(q, i - 1, ".");
}

/* The clause keyword at token i (depth 0 checked by the caller), or C_NONE. */
static enum clause clause_at(const struct sluice_sql *q, size_t i)
{
    if (i >= q->n_toks || q->toks[i].kind != SQL_WORD || after_dot(q, i)) return C_NONE;
    if (sluice_sql_tok_is(q, i, "FROM")) return C_FROM;
    if (sluice_sql_tok_is(q, i, "WHERE")) return C_WHERE;
    if (sluice_sql_tok_is(q, i, "GROUP")) return C_GROUP;
    if (sluice_sql_tok_is(q, i, "HAVING")) return C_HAVING;
    if (sluice_sql_tok_is(q, i, "ORDER")) return C_ORDER;
    if (sluice_sql_tok_is(q, i, "LIMIT")) return C_LIMIT;
    return C_NONE;
}

static bool opens(const struct sluice_sql *q, size_t i)
{
    return sluice_sql_tok_is(q, i, "(") || sluice_sql_tok_is(q, i, "[");
}

static bool closes(const struct sluice_sql *q, size_t i)
{
    return sluice_sql_tok_is(q, i, ")") || sluice_sql_tok_is(q, i, "]");
}

/* From token i, the end of the clause body: the next clause keyword at depth 0. */
static size_t clause_end(const struct sluice_sql *q, size_t i)
{
    int depth = 0;
    for (; i < q->n_toks; i++) {
        if (opens(q, i)) depth++;
        else if (closes(q, i)) depth--;
        else if (depth == 0 && clause_at(q, i) != C_NONE) break;
    }
    return i;
}

static size_t end_off(const struct sluice_sql *q)
{
    return strlen(q->text);
}

/* Where an error about "something missing before token i" points. */
static size_t off_of(const struct sluice_sql *q, size_t i)
{
    return i < q->n_toks ? q->toks[i].off : end_off(q);
}

/* Split [first, end) at depth-0 commas into ranges; an empty one is an error. */
static int split_list(const struct sluice_sql *q, size_t first, size_t end, const char *what,
                      struct sql_range **out, size_t *n, struct sluice_error *err)
{
    *out = NULL;
    *n = 0;
    size_t start = first;
    int depth = 0;
    for (size_t i = first; i <= end; i++) {
        bool at_end = i == end;
        if (!at_end) {
            if (opens(q, i)) depth++;
            else if (closes(q, i)) depth--;
            if (depth || !sluice_sql_tok_is(q, i, ",")) continue;
        }
        if (i == start) {
            free(*out);
            *out = NULL;
            *n = 0;
            return sluice_sql_fail(q, err, off_of(q, i), "expected %s at character %d", what,
                                   sluice_utf8_position(q->text, off_of(q, i)));
        }
        *out = sluice_xrealloc(*out, (*n + 1) * sizeof **out);
        (*out)[(*n)++] = (struct sql_range){ start, i };
        start = i + 1;
    }
    return SLUICE_OK;
}

static char *unquote(const struct sluice_sql *q, size_t i)
{
    const struct sql_tok *t = &q->toks[i];
    if (t->kind != SQL_QUOTED) return sluice_xstrndup(q->text + t->off, t->len);
    char *s = sluice_xmalloc(t->len);
    size_t n = 0;
    for (size_t k = t->off + 1; k + 1 < t->off + t->len; k++) {
        s[n++] = q->text[k];
        if (q->text[k] == '`') k++; /* `` stands for one back-quote */
    }
    s[n] = '\0';
    return s;
}

/* Words that end an expression yet are no alias: `x IS NULL`, `CASE .. END`. */
static bool value_keyword(const struct sluice_sql *q, size_t i)
{
    static const char *const kw[] = { "NULL", "TRUE", "FALSE", "END" };
    for (size_t k = 0; k < sizeof kw / sizeof kw[0]; k++)
        if (sluice_sql_tok_is(q, i, kw[k])) return true;
    return false;
}

/* Words that cannot end an expression, so a name after them is an operand. */
static bool operator_keyword(const struct sluice_sql *q, size_t i)
{
    static const char *const kw[] = { "AND", "OR", "NOT", "IS", "LIKE", "RLIKE", "REGEXP", "IN", "BETWEEN",
                                      "CASE", "WHEN", "THEN", "ELSE", "AS", "ESCAPE", "DISTINCT", "TIMESTAMP" };
    for (size_t k = 0; k < sizeof kw / sizeof kw[0]; k++)
        if (sluice_sql_tok_is(q, i, kw[k])) return true;
    return false;
}

static bool ends_value(const struct sluice_sql *q, size_t i)
{
    const struct sql_tok *t = &q->toks[i];
    if (t->kind == SQL_PUNCT) return closes(q, i) || sluice_sql_tok_is(q, i, "*");
    if (t->kind == SQL_WORD) return !operator_keyword(q, i);
    return true;
}

/* `expr AS alias`, `expr alias`: split off the alias the way Spark's
 * grammar does (a trailing name after a complete operand). */
static void parse_item(struct sluice_sql *q, struct sql_range r, struct sql_item *it)
{
    it->all = r;
    it->expr = r;
    if (r.end - r.first == 1 && sluice_sql_tok_is(q, r.first, "*")) {
        it->star = true;
        return;
    }
    size_t last = r.end - 1;
    enum sql_tok_kind k = q->toks[last].kind;
    if (r.end - r.first < 2 || (k != SQL_WORD && k != SQL_QUOTED) || after_dot(q, last)) return;
    if (k == SQL_WORD && (value_keyword(q, last) || operator_keyword(q, last))) return;
    if (sluice_sql_tok_is(q, last - 1, "AS")) {
        if (r.end - r.first < 3) return;
        it->expr.end = last - 1;
    } else if (ends_value(q, last - 1) && !sluice_sql_tok_is(q, last - 1, ".")) {
        it->expr.end = last;
    } else {
        return;
    }
    it->alias = unquote(q, last);
}

static int parse_order(struct sluice_sql *q, struct sql_range r, struct sql_order *o, struct sluice_error *err)
{
    size_t end = r.end;
    bool nulls_set = false;
    if (end - r.first >= 2 && sluice_sql_tok_is(q, end - 2, "NULLS")) {
        if (!sluice_sql_tok_is(q, end - 1, "FIRST") && !sluice_sql_tok_is(q, end - 1, "LAST"))
            return sluice_sql_fail(q, err, q->toks[end - 1].off, "expected FIRST or LAST after NULLS at character %d",
                                   sluice_utf8_position(q->text, q->toks[end - 1].off));
        o->nulls_first = sluice_sql_tok_is(q, end - 1, "FIRST");
        nulls_set = true;
        end -= 2;
    } else if (end - r.first >= 1 && sluice_sql_tok_is(q, end - 1, "NULLS")) {
        return sluice_sql_fail(q, err, off_of(q, end), "expected FIRST or LAST after NULLS at character %d",
                               sluice_utf8_position(q->text, off_of(q, end)));
    }
    if (end > r.first && (sluice_sql_tok_is(q, end - 1, "ASC") || sluice_sql_tok_is(q, end - 1, "DESC"))) {
        o->desc = sluice_sql_tok_is(q, end - 1, "DESC");
        end--;
    }
    if (!nulls_set) o->nulls_first = !o->desc;
    if (end == r.first)
        return sluice_sql_fail(q, err, off_of(q, end), "expected an expression to order by at character %d",
                               sluice_utf8_position(q->text, off_of(q, end)));
    o->expr = (struct sql_range){ r.first, end };
    return SLUICE_OK;
}

static int parse_limit(struct sluice_sql *q, size_t i, size_t end, struct sluice_error *err)
{
    if (i == end || q->toks[i].kind != SQL_NUMBER)
        return sluice_sql_fail(q, err, off_of(q, i), "expected a number of rows after LIMIT at character %d",
                               sluice_utf8_position(q->text, off_of(q, i)));
    const struct sql_tok *t = &q->toks[i];
    int64_t v = 0;
    for (size_t k = 0; k < t->len; k++) {
        char c = q->text[t->off + k];
        if (!isdigit((unsigned char)c) || v > (INT64_MAX - 9) / 10)
            return sluice_sql_fail(q, err, t->off, "LIMIT takes a whole number of rows, got '%.*s' at character %d",
                                   (int)t->len, q->text + t->off, sluice_utf8_position(q->text, t->off));
        v = v * 10 + (c - '0');
    }
    if (i + 1 < end)
        return sluice_sql_fail(q, err, q->toks[i + 1].off, "unexpected '%.*s' after LIMIT %lld at character %d",
                               (int)q->toks[i + 1].len, q->text + q->toks[i + 1].off, (long long)v,
                               sluice_utf8_position(q->text, q->toks[i + 1].off));
    q->has_limit = true;
    q->limit = v;
    return SLUICE_OK;
}

static int parse_clauses(struct sluice_sql *q, struct sluice_error *err)
{
    if (!q->n_toks || !sluice_sql_tok_is(q, 0, "SELECT"))
        return sluice_sql_fail(q, err, off_of(q, 0), "expected SELECT at character %d",
                               sluice_utf8_position(q->text, off_of(q, 0)));
    size_t i = 1;
    if (sluice_sql_tok_is(q, i, "DISTINCT")) {
        q->distinct = true;
        i++;
    }
    size_t end = clause_end(q, i);
    if (end == q->n_toks || clause_at(q, end) != C_FROM) {
        if (end < q->n_toks)
            return sluice_sql_fail(q, err, q->toks[end].off, "expected FROM before %s at character %d",
                                   clause_names[clause_at(q, end)], sluice_utf8_position(q->text, q->toks[end].off));
        return sluice_sql_fail(q, err, end_off(q), "expected FROM and a table at character %d",
                               sluice_utf8_position(q->text, end_off(q)));
    }
    struct sql_range *items;
    int rc = split_list(q, i, end, "an expression or *", &items, &q->n_items, err);
    if (rc) return rc;
    q->items = sluice_xcalloc(q->n_items, sizeof *q->items);
    for (size_t k = 0; k < q->n_items; k++) parse_item(q, items[k], &q->items[k]);
    free(items);

    i = end + 1;
    if (i >= q->n_toks || (q->toks[i].kind != SQL_WORD && q->toks[i].kind != SQL_QUOTED) ||
        clause_at(q, i) != C_NONE)
        return sluice_sql_fail(q, err, off_of(q, i), "expected a table name after FROM at character %d",
                               sluice_utf8_position(q->text, off_of(q, i)));
    q->table = unquote(q, i);
    q->table_tok = i;
    i++;
    if (i < q->n_toks && clause_at(q, i) == C_NONE)
        return sluice_sql_fail(q, err, q->toks[i].off,
                               "expected WHERE, GROUP BY, HAVING, ORDER BY or LIMIT after the table at character %d",
                               sluice_utf8_position(q->text, q->toks[i].off));

    enum clause last = C_FROM;
    while (i < q->n_toks) {
        enum clause c = clause_at(q, i);
        size_t at = q->toks[i].off;
        if (c <= last)
            return sluice_sql_fail(q, err, at, "unexpected %s at character %d", clause_names[c],
                                   sluice_utf8_position(q->text, at));
        last = c;
        i++;
        if (c == C_GROUP || c == C_ORDER) {
            if (!sluice_sql_tok_is(q, i, "BY"))
                return sluice_sql_fail(q, err, off_of(q, i), "expected BY after %s at character %d",
                                       c == C_GROUP ? "GROUP" : "ORDER", sluice_utf8_position(q->text, off_of(q, i)));
            i++;
        }
        end = clause_end(q, i);
        switch (c) {
        case C_WHERE:
        case C_HAVING:
            if (i == end)
                return sluice_sql_fail(q, err, off_of(q, i), "expected a condition after %s at character %d",
                                       clause_names[c], sluice_utf8_position(q->text, off_of(q, i)));
            *(c == C_WHERE ? &q->where : &q->having) = (struct sql_range){ i, end };
            *(c == C_WHERE ? &q->has_where : &q->has_having) = true;
            break;
        case C_GROUP:
            rc = split_list(q, i, end, "an expression to group by", &q->group, &q->n_group, err);
            break;
        case C_ORDER: {
            struct sql_range *r;
            rc = split_list(q, i, end, "an expression to order by", &r, &q->n_order, err);
            if (rc) break;
            q->order = sluice_xcalloc(q->n_order, sizeof *q->order);
            for (size_t k = 0; k < q->n_order && !rc; k++) rc = parse_order(q, r[k], &q->order[k], err);
            free(r);
            break;
        }
        case C_LIMIT:
            rc = parse_limit(q, i, end, err);
            break;
        default:
            rc = sluice_sql_fail(q, err, at, "unexpected %s at character %d",
                                 (size_t)c < sizeof clause_names / sizeof *clause_names ? clause_names[c] : "clause",
                                 sluice_utf8_position(q->text, at));
            break;
        }
        if (rc) return rc;
        i = end;
    }
    return SLUICE_OK;
}

int sluice_sql_parse(const char *text, struct sluice_sql **out, struct sluice_error *err)
{
    *out = NULL;
    struct sluice_sql *q = sluice_xcalloc(1, sizeof *q);
    q->text = sluice_xstrdup(text);
    int rc = lex(q, err);
    /* A statement may end with ';', as one typed into spark-sql does. */
    if (!rc && q->n_toks && sluice_sql_tok_is(q, q->n_toks - 1, ";")) q->n_toks--;
    for (size_t i = 0; !rc && i < q->n_toks; i++)
        if (sluice_sql_tok_is(q, i, ";"))
            rc = sluice_sql_fail(q, err, q->toks[i].off, "one statement only: unexpected ';' at character %d",
                                 sluice_utf8_position(q->text, q->toks[i].off));
    if (!rc) rc = parse_clauses(q, err);
    if (rc) {
        sluice_sql_free(q);
        return rc;
    }
    *out = q;
    return SLUICE_OK;
}

void sluice_sql_free(struct sluice_sql *q)
{
    if (!q) return;
    for (size_t i = 0; i < q->n_items; i++) free(q->items[i].alias);
    free(q->items);
    free(q->group);
    free(q->order);
    free(q->table);
    free(q->toks);
    free(q->text);
    free(q);
}

const char *sluice_sql_table(const struct sluice_sql *q)
{
    return q->table;
}

/* ---- running over a memory table --------------------------------------------- */

int sluice_sql_run(const char *text, struct sluice_tables *tables, const struct sluice_agg_catalog *catalog,
                   int64_t max_rows, int64_t max_bytes, struct sluice_sql_result **out, struct sluice_error *err)
{
    *out = NULL;
    struct sluice_sql *q;
    int rc = sluice_sql_parse(text, &q, err);
    if (rc) return rc;
    struct sluice_table_snapshot *snap = sluice_tables_get(tables, q->table);
    if (!snap) {
        rc = sluice_sql_fail(q, err, q->toks[q->table_tok].off, "no memory table '%s' at character %d", q->table,
                             sluice_utf8_position(q->text, q->toks[q->table_tok].off));
        char **names;
        size_t n = sluice_tables_names(tables, &names);
        struct sluice_buf list = { 0 };
        for (size_t i = 0; i < n; i++) sluice_buf_printf(&list, "%s%s", i ? ", " : "", names[i]);
        if (n)
            sluice_error_hint(err, "the tables are: %s", list.data);
        else
            sluice_error_hint(err, "no memory table exists yet: a memory sink makes one, named by query_name");
        sluice_buf_free(&list);
        sluice_tables_names_free(names, n);
        sluice_sql_free(q);
        return rc;
    }
    const struct sluice_batch **batches;
    size_t n = sluice_table_snapshot_batches(snap, &batches);
    rc = sluice_sql_eval(q, sluice_table_snapshot_schema(snap), batches, n, catalog, max_rows, max_bytes, out, err);
    free(batches);
    sluice_table_snapshot_unref(snap);
    sluice_sql_free(q);
    return rc;
}

static const struct sluice_plugin *registry_find(void *arg, const char *name)
{
    const struct sluice_loaded *l;
    struct sluice_error ignored;
    return sluice_registry_find(arg, SLUICE_KIND_AGGREGATOR, name, &l, &ignored) == SLUICE_OK ? l->plugin : NULL;
}

void sluice_sql_registry_catalog(struct sluice_registry *reg, struct sluice_agg_catalog *out)
{
    *out = (struct sluice_agg_catalog){ .find = registry_find, .names = NULL, .arg = reg };
}
