/* Rewriting parts of a SQL statement over an aggregation's groups, and
 * mapping errors back to characters of the statement. See sql_priv.h. */
#include "sql_priv.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agg_plan.h"
#include "colpath.h"
#include "error.h"
#include "expr.h"
#include "mem.h"
#include "schema.h"
#include "utf8.h"

/* ---- text rewritten from the statement, with a map back ---------------------- */

void sluice_sql_rw_free(struct sluice_sql_text *rw)
{
    sluice_buf_free(&rw->text);
    free(rw->r);
    memset(rw, 0, sizeof *rw);
}

/* Copy statement bytes up to `until`. */
static void rw_copy(struct sluice_sql_text *rw, const struct sluice_sql *q, size_t until)
{
    if (until > rw->copied) sluice_buf_append(&rw->text, q->text + rw->copied, until - rw->copied);
    rw->copied = until;
}

/* Replace statement bytes [off, off + len) with `with`. */
static void rw_replace(struct sluice_sql_text *rw, const struct sluice_sql *q, size_t off, size_t len, const char *with)
{
    rw_copy(rw, q, off);
    rw->r = sluice_xrealloc(rw->r, (rw->n + 1) * sizeof *rw->r);
    rw->r[rw->n++] = (struct sluice_sql_repl){ rw->text.len, strlen(with), off, len };
    sluice_buf_puts(&rw->text, with);
    rw->copied = off + len;
}

static void rw_begin(struct sluice_sql_text *rw, const struct sluice_sql *q, struct sql_range r)
{
    memset(rw, 0, sizeof *rw);
    rw->origin = rw->copied = q->toks[r.first].off;
    sluice_buf_puts(&rw->text, "");
}

static void rw_finish(struct sluice_sql_text *rw, const struct sluice_sql *q, struct sql_range r)
{
    const struct sql_tok *last = &q->toks[r.end - 1];
    rw_copy(rw, q, last->off + last->len);
}

/* The statement byte behind byte `p` of the rewritten text. */
static size_t rw_orig(const struct sluice_sql_text *rw, size_t p)
{
    size_t orig = rw->origin + p;
    for (size_t i = 0; i < rw->n; i++) {
        const struct sluice_sql_repl *r = &rw->r[i];
        if (p < r->new_off) break;
        if (p < r->new_off + r->new_len) return r->orig_off;
        orig = orig + r->orig_len - r->new_len;
    }
    return orig;
}

/* ---- the evaluation's state --------------------------------------------------- */


void sluice_sql_ctx_free(struct sluice_sql_ctx *ev)
{
    for (size_t i = 0; i < ev->n_fns; i++) free(ev->fns[i].name);
    free(ev->fns);
    for (size_t i = 0; i < ev->n_keys; i++) free(ev->key_names ? ev->key_names[i] : NULL);
    free(ev->key_names);
    free(ev->keys);
    for (size_t i = 0; i < ev->n_aggs; i++) free(ev->aggs[i].name);
    free(ev->aggs);
}

static const char *tok_text(const struct sluice_sql *q, size_t i, size_t *len)
{
    *len = q->toks[i].len;
    return q->text + q->toks[i].off;
}

/* Is token i the name of an aggregate call `f(`? Asked of the catalog once per name. */
static bool agg_call_at(struct sluice_sql_ctx *ev, size_t i, size_t end)
{
    const struct sluice_sql *q = ev->q;
    if (i + 1 >= end || q->toks[i].kind != SQL_WORD || !sluice_sql_tok_is(q, i + 1, "(")) return false;
    if (i > 0 && sluice_sql_tok_is(q, i - 1, ".")) return false;
    size_t n;
    const char *s = tok_text(q, i, &n);
    for (size_t k = 0; k < ev->n_fns; k++)
        if (strlen(ev->fns[k].name) == n && strncasecmp(ev->fns[k].name, s, n) == 0) return ev->fns[k].agg;
    char *lower = sluice_xstrndup(s, n);
    for (char *c = lower; *c; c++)
        if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
    bool agg = ev->cat && ev->cat->find(ev->cat->arg, lower) != NULL;
    ev->fns = sluice_xrealloc(ev->fns, (ev->n_fns + 1) * sizeof *ev->fns);
    ev->fns[ev->n_fns++] = (struct sluice_sql_fn){ lower, agg };
    return agg;
}

static size_t matching_paren(const struct sluice_sql *q, size_t open)
{
    int depth = 0;
    for (size_t i = open; i < q->n_toks; i++) {
        if (sluice_sql_tok_is(q, i, "(") || sluice_sql_tok_is(q, i, "[")) depth++;
        else if ((sluice_sql_tok_is(q, i, ")") || sluice_sql_tok_is(q, i, "]")) && --depth == 0) return i;
    }
    return q->n_toks - 1; /* unreachable: the parser checked the brackets */
}

bool sluice_sql_has_agg(struct sluice_sql_ctx *ev, struct sql_range r)
{
    for (size_t i = r.first; i < r.end; i++)
        if (agg_call_at(ev, i, r.end)) return true;
    return false;
}

/* ---- errors --------------------------------------------------------------------- */

/* Move an error the expression compiler (or planner) reported against
 * `rw`'s text to the statement: the excerpt, the caret, and the
 * "at character N" in the message. */
int sluice_sql_map_error(const struct sluice_sql_ctx *ev, const struct sluice_sql_text *rw, int rc)
{
    struct sluice_error *err = ev->err;
    if (!err) return rc;
    /* The compiler counts characters; the map counts bytes. */
    size_t p = 0;
    for (int c = 1; c < err->position && p < rw->text.len; c++) {
        p++;
        while (p < rw->text.len && sluice_utf8_continuation((unsigned char)rw->text.data[p])) p++;
    }
    size_t orig = rw_orig(rw, p);
    char *at = strstr(err->message, "at character ");
    if (at) {
        char *digits = at + strlen("at character "), *end = digits;
        while (*end >= '0' && *end <= '9') end++;
        char rest[sizeof err->message];
        snprintf(rest, sizeof rest, "%s", end);
        snprintf(digits, sizeof err->message - (size_t)(digits - err->message), "%d%s",
                 sluice_utf8_position((ev->q)->text, orig), rest);
    }
    sluice_schema_error_excerpt(err, ev->q->text, ev->q->text + orig);
    return rc;
}

/* A name in an aggregating statement that is not grouped: say so as Spark
 * does, rather than "no column '__k0'"-style hints about internal names. */
static int explain_ungrouped(const struct sluice_sql_ctx *ev, const struct sluice_sql_text *rw, int rc)
{
    struct sluice_error *err = ev->err;
    if (!err || strncmp(err->message, "no column '", 11) != 0) return sluice_sql_map_error(ev, rw, rc);
    char name[256];
    const char *s = err->message + 11, *e = strchr(s, '\'');
    snprintf(name, sizeof name, "%.*s", e ? (int)(e - s) : 0, s);
    struct sluice_col col;
    struct sluice_error probe = { 0 };
    if (sluice_col_resolve(ev->input, name, &col, &probe) == SLUICE_OK) {
        sluice_error_set(err, SLUICE_ECONFIG, "column '%s' is neither in GROUP BY nor inside an aggregate function",
                         name);
        sluice_error_hint(err, "add it to GROUP BY, or use an aggregate such as max(%s)", name);
    } else {
        sluice_error_set(err, SLUICE_ECONFIG, "%s", probe.message);
        sluice_error_hint(err, "%s", probe.hint);
    }
    return sluice_sql_map_error(ev, rw, rc);
}

int sluice_sql_compile(const struct sluice_sql_ctx *ev, const struct ArrowSchema *schema, const struct sluice_sql_text *rw,
                      bool over_groups, struct sluice_expr **out)
{
    int rc = sluice_expr_compile(schema, rw->text.data, out, ev->err);
    if (!rc) return rc;
    return over_groups ? explain_ungrouped(ev, rw, rc) : sluice_sql_map_error(ev, rw, rc);
}

/* ---- rewriting over the groups --------------------------------------------------- */

static bool same_tokens(const struct sluice_sql *q, size_t a, size_t b, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        const struct sql_tok *x = &q->toks[a + k], *y = &q->toks[b + k];
        if (x->kind != y->kind || x->len != y->len) return false;
        if (x->kind == SQL_WORD ? strncasecmp(q->text + x->off, q->text + y->off, x->len) != 0
                                : memcmp(q->text + x->off, q->text + y->off, x->len) != 0)
            return false;
    }
    return true;
}

/* Register the aggregate call in statement bytes [off, off + len), checking
 * it on its own first so an error points into the statement. */
static int add_agg(struct sluice_sql_ctx *ev, size_t off, size_t len, size_t *index)
{
    for (size_t i = 0; i < ev->n_aggs; i++)
        if (ev->aggs[i].len == len && memcmp(ev->q->text + ev->aggs[i].off, ev->q->text + off, len) == 0) {
            *index = i;
            return SLUICE_OK;
        }
    char *call = sluice_xstrndup(ev->q->text + off, len);
    struct sluice_agg_spec spec = { .grouping = SLUICE_AGG_GROUP_BY, .aggs = (const char *const *)&call, .n_aggs = 1 };
    struct sluice_agg_plan *plan;
    int rc = sluice_agg_plan_new(&spec, ev->input, ev->cat, &plan, NULL, ev->err);
    free(call);
    if (rc) {
        struct sluice_sql_text rw = { .origin = off };
        rw.text.data = ev->q->text + off;
        rw.text.len = len;
        return sluice_sql_map_error(ev, &rw, rc);
    }
    ev->aggs = sluice_xrealloc(ev->aggs, (ev->n_aggs + 1) * sizeof *ev->aggs);
    ev->aggs[ev->n_aggs] = (struct sluice_sql_agg){ off, len, sluice_xstrdup(plan->output.children[0]->name) };
    sluice_agg_plan_free(plan);
    *index = ev->n_aggs++;
    return SLUICE_OK;
}

/* Rewrite a range of the statement over the groups: aggregate calls become
 * __aN, GROUP BY keys __kN, and (in HAVING and ORDER BY) select-list
 * aliases the item they name, in parentheses. */
int sluice_sql_rewrite(struct sluice_sql_ctx *ev, struct sql_range r, bool aliases, struct sluice_sql_text *rw)
{
    const struct sluice_sql *q = ev->q;
    rw_begin(rw, q, r);
    char name[32];
    for (size_t i = r.first; i < r.end;) {
        const struct sql_tok *t = &q->toks[i];
        bool after_dot = i > r.first && sluice_sql_tok_is(q, i - 1, ".");
        if (agg_call_at(ev, i, r.end)) {
            size_t close = matching_paren(q, i + 1), a = 0;
            size_t len = q->toks[close].off + 1 - t->off;
            int rc = add_agg(ev, t->off, len, &a);
            if (rc) return rc;
            snprintf(name, sizeof name, "__a%zu", a);
            rw_replace(rw, q, t->off, len, name);
            i = close + 1;
            continue;
        }
        size_t best = SIZE_MAX, best_len = 0;
        for (size_t k = 0; k < ev->n_keys && !after_dot; k++) {
            size_t n = ev->keys[k].end - ev->keys[k].first;
            if (n <= best_len || i + n > r.end || !same_tokens(q, i, ev->keys[k].first, n)) continue;
            /* `data` is no key inside `data.lang`, nor `f` in `f(x)`. */
            if (i + n < r.end && (sluice_sql_tok_is(q, i + n, ".") || sluice_sql_tok_is(q, i + n, "[") ||
                                  sluice_sql_tok_is(q, i + n, "(")))
                continue;
            best = k;
            best_len = n;
        }
        if (best != SIZE_MAX) {
            const struct sql_tok *last = &q->toks[i + best_len - 1];
            snprintf(name, sizeof name, "__k%zu", best);
            rw_replace(rw, q, t->off, last->off + last->len - t->off, name);
            i += best_len;
            continue;
        }
        if (aliases && !after_dot && (t->kind == SQL_WORD || t->kind == SQL_QUOTED) &&
            !(i + 1 < r.end && (sluice_sql_tok_is(q, i + 1, "(") || sluice_sql_tok_is(q, i + 1, ".")))) {
            char *word = sluice_xstrndup(q->text + t->off + (t->kind == SQL_QUOTED),
                                         t->len - 2 * (t->kind == SQL_QUOTED));
            const struct sql_item *hit = NULL;
            for (size_t k = 0; k < q->n_items && !hit; k++)
                if (q->items[k].alias && strcasecmp(q->items[k].alias, word) == 0) hit = &q->items[k];
            free(word);
            if (hit) {
                struct sluice_sql_text inner;
                int rc = sluice_sql_rewrite(ev, hit->expr, false, &inner);
                if (!rc) {
                    struct sluice_buf with = { 0 };
                    sluice_buf_printf(&with, "(%s)", inner.text.data);
                    rw_replace(rw, q, t->off, t->len, with.data);
                    sluice_buf_free(&with);
                }
                sluice_sql_rw_free(&inner);
                if (rc) return rc;
                i++;
                continue;
            }
        }
        i++;
    }
    rw_finish(rw, q, r);
    return SLUICE_OK;
}

/* A range copied as it is, so errors map the same way. */
void sluice_sql_rw_plain(const struct sluice_sql *q, struct sql_range r, struct sluice_sql_text *rw)
{
    rw_begin(rw, q, r);
    rw_finish(rw, q, r);
}

/* `(__a0 * 2)` as Spark names it: `(count(1) * 2)`. */
char *sluice_sql_spark_name(const struct sluice_sql_ctx *ev, const char *name)
{
    struct sluice_buf out = { 0 };
    sluice_buf_puts(&out, "");
    for (const char *p = name; *p;) {
        bool start = p == name || !(isalnum((unsigned char)p[-1]) || p[-1] == '_');
        if (start && p[0] == '_' && p[1] == '_' && (p[2] == 'a' || p[2] == 'k') && p[3] >= '0' && p[3] <= '9') {
            char *end;
            unsigned long k = strtoul(p + 3, &end, 10);
            bool whole = !(isalnum((unsigned char)*end) || *end == '_');
            const char *with = NULL;
            if (whole && p[2] == 'a' && k < ev->n_aggs) with = ev->aggs[k].name;
            if (whole && p[2] == 'k' && k < ev->n_keys) with = ev->key_names[k];
            if (with) {
                sluice_buf_puts(&out, with);
                p = end;
                continue;
            }
        }
        sluice_buf_putc(&out, *p++);
    }
    return out.data;
}
