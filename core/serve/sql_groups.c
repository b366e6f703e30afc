/* A statement's clauses compiled by the expression compiler: over the
 * table's rows, or over an aggregation's groups, where the compiler knows
 * aggregate calls as nodes (expr.h's sluice_expr_groups) and this file
 * answers its questions: is this name an aggregate, which column holds
 * this call, what does this alias stand for; and GROUP BY window(...),
 * Spark's time window as the aggregation's window key. Errors are moved
 * from the clause's text to characters of the statement. See sql_priv.h. */
#include "sql_priv.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agg_plan.h"
#include "duration.h"
#include "error.h"
#include "expr.h"
#include "mem.h"
#include "schema.h"
#include "utf8.h"

/* ---- clause texts --------------------------------------------------------------- */

void sluice_sql_text_of(const struct sluice_sql *q, struct sql_range r, struct sluice_sql_text *t)
{
    const struct sql_tok *first = &q->toks[r.first], *last = &q->toks[r.end - 1];
    t->origin = first->off;
    t->text = sluice_xstrndup(q->text + first->off, last->off + last->len - first->off);
}

void sluice_sql_text_free(struct sluice_sql_text *t)
{
    free(t->text);
    t->text = NULL;
}

void sluice_sql_ctx_free(struct sluice_sql_ctx *ev)
{
    for (size_t i = 0; i < ev->n_keys; i++) free(ev->key_texts ? ev->key_texts[i] : NULL);
    free(ev->key_texts);
    free(ev->key_columns);
    free(ev->keys);
    for (size_t i = 0; i < ev->n_aggs; i++) free(ev->aggs[i].name);
    free(ev->aggs);
    for (size_t i = 0; ev->item_texts && i < ev->q->n_items; i++) free(ev->item_texts[i]);
    free(ev->item_texts);
    free(ev->window_text);
    free(ev->window_time);
}

/* ---- errors --------------------------------------------------------------------- */

/* Move an error the expression compiler (or planner) reported against the
 * clause text `t` to the statement: the excerpt, the caret, and the "at
 * character N" in the message. */
int sluice_sql_map_error(const struct sluice_sql_ctx *ev, const struct sluice_sql_text *t, int rc)
{
    struct sluice_error *err = ev->err;
    if (!err) return rc;
    /* The compiler counts characters; the statement is addressed in bytes. */
    size_t p = 0, len = strlen(t->text);
    for (int c = 1; c < err->position && p < len; c++) {
        p++;
        while (p < len && sluice_utf8_continuation((unsigned char)t->text[p])) p++;
    }
    size_t orig = t->origin + p;
    char *at = strstr(err->message, "at character ");
    if (at) {
        char *digits = at + strlen("at character "), *end = digits;
        while (*end >= '0' && *end <= '9') end++;
        char rest[sizeof err->message];
        snprintf(rest, sizeof rest, "%s", end);
        snprintf(digits, sizeof err->message - (size_t)(digits - err->message), "%d%s",
                 sluice_utf8_position(ev->q->text, orig), rest);
    }
    sluice_schema_error_excerpt(err, ev->q->text, ev->q->text + orig);
    return rc;
}

int sluice_sql_compile(const struct sluice_sql_ctx *ev, const struct ArrowSchema *schema,
                       const struct sluice_sql_text *t, struct sluice_expr **out)
{
    int rc = sluice_expr_compile(schema, t->text, out, ev->err);
    return rc ? sluice_sql_map_error(ev, t, rc) : rc;
}

/* ---- the compiler's questions ----------------------------------------------------- */

static bool is_agg(void *arg, const char *name)
{
    const struct sluice_sql_ctx *ev = arg;
    return ev->cat && ev->cat->find(ev->cat->arg, name) != NULL;
}

/* The registered call written as call[0..len), or NULL. */
static const struct sluice_sql_agg *find_agg(const struct sluice_sql_ctx *ev, const char *call, size_t len)
{
    for (size_t i = 0; i < ev->n_aggs; i++)
        if (ev->aggs[i].len == len && memcmp(ev->q->text + ev->aggs[i].off, call, len) == 0) return &ev->aggs[i];
    return NULL;
}

/* Register the aggregate call at bytes [off, off + len) of the clause that
 * starts at ev->origin, planning it alone first so an error points into
 * the statement. The same call twice is one column. */
static int add_agg(void *arg, const char *text, size_t off, size_t len, struct sluice_error *err)
{
    struct sluice_sql_ctx *ev = arg;
    (void)err; /* ev->err is the same */
    if (find_agg(ev, text + off, len)) return SLUICE_OK;
    char *call = sluice_xstrndup(text + off, len);
    struct sluice_agg_spec spec = { .grouping = SLUICE_AGG_GROUP_BY, .aggs = (const char *const *)&call, .n_aggs = 1 };
    struct sluice_agg_plan *plan;
    int rc = sluice_agg_plan_new(&spec, ev->input, ev->cat, &plan, NULL, ev->err);
    struct sluice_sql_text at = { call, ev->origin + off };
    if (rc) {
        rc = sluice_sql_map_error(ev, &at, rc);
        ev->agg_failed = true;
    }
    free(call);
    if (rc) return rc;
    ev->aggs = sluice_xrealloc(ev->aggs, (ev->n_aggs + 1) * sizeof *ev->aggs);
    ev->aggs[ev->n_aggs++] = (struct sluice_sql_agg){ ev->origin + off, len,
                                                      sluice_xstrdup(plan->output.children[0]->name), -1 };
    sluice_agg_plan_free(plan);
    return SLUICE_OK;
}

static int agg_column(void *arg, const char *text, size_t off, size_t len, int64_t *col, const char **name)
{
    const struct sluice_sql_agg *a = find_agg(arg, text + off, len);
    if (!a) return SLUICE_EINTERNAL;
    *col = a->col;
    *name = a->name;
    return SLUICE_OK;
}

/* HAVING and ORDER BY may name a select item by its alias. */
static const char *alias(void *arg, const char *name)
{
    const struct sluice_sql_ctx *ev = arg;
    for (size_t k = 0; k < ev->q->n_items; k++)
        if (ev->q->items[k].alias && strcasecmp(ev->q->items[k].alias, name) == 0) return ev->item_texts[k];
    return NULL;
}

static struct sluice_expr_groups questions(const struct sluice_sql_ctx *ev, bool aliases)
{
    return (struct sluice_expr_groups){
        .input = ev->input, .keys = (const char *const *)ev->key_texts, .n_keys = ev->n_keys, .is_agg = is_agg,
        .add_agg = add_agg, .agg_column = agg_column, .alias = aliases ? alias : NULL,
        .key_column = ev->key_columns, .window = ev->window_text, .window_column = 0, .arg = (void *)ev,
    };
}

bool sluice_sql_has_agg(struct sluice_sql_ctx *ev, struct sql_range r)
{
    struct sluice_sql_text t;
    sluice_sql_text_of(ev->q, r, &t);
    struct sluice_expr_groups g = questions(ev, false);
    g.add_agg = NULL;
    size_t found = 0;
    struct sluice_error ignored = { 0 }; /* a syntax error is reported when the clause compiles */
    bool has = sluice_expr_find_aggregates(t.text, &g, &found, &ignored) == SLUICE_OK && found > 0;
    sluice_sql_text_free(&t);
    return has;
}

int sluice_sql_find_aggs(struct sluice_sql_ctx *ev, const struct sluice_sql_text *t)
{
    struct sluice_expr_groups g = questions(ev, false);
    ev->origin = t->origin;
    ev->agg_failed = false;
    int rc = sluice_expr_find_aggregates(t->text, &g, NULL, ev->err);
    /* add_agg mapped its own errors; a syntax error is the clause's. */
    return rc && !ev->agg_failed ? sluice_sql_map_error(ev, t, rc) : rc;
}

int sluice_sql_compile_groups(const struct sluice_sql_ctx *ev, const struct sluice_sql_text *t, bool aliases,
                              struct sluice_expr **out)
{
    struct sluice_expr_groups g = questions(ev, aliases);
    int rc = sluice_expr_compile_over_groups(ev->groups, t->text, &g, out, ev->err);
    return rc ? sluice_sql_map_error(ev, t, rc) : rc;
}

/* ---- GROUP BY window(...) ---- */

/* Is range g a call `window(...)`? */
bool sluice_sql_is_window_call(const struct sluice_sql *q, struct sql_range g)
{
    return g.end - g.first >= 3 && sluice_sql_tok_is(q, g.first, "window") && sluice_sql_tok_is(q, g.first + 1, "(") &&
           sluice_sql_tok_is(q, g.end - 1, ")");
}

/* A duration argument of window(): one string, as Spark's. */
static int window_duration(struct sluice_sql_ctx *ev, struct sql_range a, const char *what, int64_t *us)
{
    const struct sluice_sql *q = ev->q;
    const struct sql_tok *t = &q->toks[a.first];
    char buf[64];
    bool ok = a.end - a.first == 1 && t->kind == SQL_STRING && t->len - 2 < sizeof buf;
    if (ok) {
        snprintf(buf, sizeof buf, "%.*s", (int)t->len - 2, q->text + t->off + 1);
        bool minus = buf[0] == '-';
        ok = sluice_duration_parse(buf + minus, us) == 0;
        if (minus) *us = -*us;
    }
    if (ok) return SLUICE_OK;
    return sluice_sql_fail(q, ev->err, t->off, "window(): the %s must be a duration such as '10 seconds' at character %d",
                           what, sluice_utf8_position(q->text, t->off));
}

/* GROUP BY window(ts, 'duration'[, 'slide'[, 'start']]): Spark's time
 * window, the aggregation's window key (agg_plan.h), output column `window`. */
int sluice_sql_parse_window(struct sluice_sql_ctx *ev, struct sql_range g)
{
    const struct sluice_sql *q = ev->q;
    size_t at = q->toks[g.first].off;
    if (ev->window_text)
        return sluice_sql_fail(q, ev->err, at, "only one window() in GROUP BY at character %d",
                               sluice_utf8_position(q->text, at));
    struct sql_range args[4];
    int n = 0, depth = 0;
    size_t from = g.first + 2;
    for (size_t i = from; i < g.end - 1; i++) {
        if (sluice_sql_tok_is(q, i, "(") || sluice_sql_tok_is(q, i, "[")) depth++;
        if (sluice_sql_tok_is(q, i, ")") || sluice_sql_tok_is(q, i, "]")) depth--;
        if (depth == 0 && sluice_sql_tok_is(q, i, ",")) {
            if (n < 4) args[n] = (struct sql_range){ from, i };
            n++;
            from = i + 1;
        }
    }
    if (n < 4) args[n] = (struct sql_range){ from, g.end - 1 };
    n++;
    for (int k = 0; k < n && k < 4; k++)
        if (args[k].first >= args[k].end) n = 0;
    if (n < 2 || n > 4)
        return sluice_sql_fail(q, ev->err, at, "window() takes a time column, a duration, and optionally a slide "
                               "and a start, at character %d", sluice_utf8_position(q->text, at));
    struct sluice_window w = { 0 };
    int rc = window_duration(ev, args[1], "duration", &w.duration_us);
    w.slide_us = w.duration_us;
    if (!rc && n > 2) rc = window_duration(ev, args[2], "slide", &w.slide_us);
    if (!rc && n > 3) rc = window_duration(ev, args[3], "start", &w.offset_us);
    if (!rc && (rc = sluice_window_check(&w, NULL, ev->err))) {
        struct sluice_sql_text t = { (char *)q->text + at, at };
        rc = sluice_sql_map_error(ev, &t, rc);
    }
    if (rc) return rc;
    struct sluice_sql_text call, time;
    sluice_sql_text_of(q, g, &call);
    sluice_sql_text_of(q, args[0], &time);
    ev->window_text = call.text;
    ev->window_time = time.text;
    ev->window_at = time.origin;
    ev->window = w;
    return SLUICE_OK;
}
