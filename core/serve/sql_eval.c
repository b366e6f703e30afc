/* Evaluating a parsed SQL statement over a table's batches. See sql.h.
 *
 * The plan, in Spark's order: WHERE filters each batch; an aggregating
 * statement (GROUP BY, DISTINCT, or an aggregate call in SELECT or HAVING)
 * folds the rows into the groups of an aggregation plan (agg_plan.h) whose
 * keys are the GROUP BY expressions and whose aggregates are every call
 * found; SELECT, HAVING and ORDER BY are then compiled over the groups by
 * the expression compiler, which parses aggregate calls as nodes and binds
 * them and the keys to the groups' columns (sql_groups.c, expr.h's
 * sluice_expr_groups), so `count(*) * 2` reads the count's column and is
 * named `(count(1) * 2)` from its tree; HAVING filters the groups. SELECT and ORDER BY's keys are then evaluated
 * a part at a time (a table's batch, or the groups) and the parts handed to
 * the collector (sql_collect.c), which keeps only what the answer can use
 * (a LIMIT's rows, a top-k), so no step ever concatenates a whole table.
 * Positions in every error are mapped back to characters of the
 * statement. */
#include "sql_priv.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agg_stage.h"
#include "batch.h"
#include "builder.h"
#include "colpath.h"
#include "error.h"
#include "expr.h"
#include "mem.h"
#include "schema.h"
#include "sql_sort.h"
#include "take.h"
#include "utf8.h"

/* ---- batches -------------------------------------------------------------------- */

/* A batch we may or may not own: a borrowed one is never released. */
struct held {
    struct sluice_batch own;              /* when borrowed is NULL */
    const struct sluice_batch *borrowed;
};

static const struct sluice_batch *held_get(const struct held *h)
{
    return h->borrowed ? h->borrowed : &h->own;
}

static void held_release(struct held *h)
{
    sluice_batch_release(&h->own);
    h->borrowed = NULL;
}

/* *out = rows `idx[0..n)` of `in`, every column taken (deep); released
 * again when a column passes the size limit. */
static int take_rows(const struct sluice_batch *in, const int64_t *idx, int64_t n, struct sluice_batch *out,
                     struct sluice_error *err)
{
    int64_t cols = in->schema->n_children;
    struct ArrowArray *c = sluice_xcalloc((size_t)cols + 1, sizeof *c);
    int rc = SLUICE_OK;
    for (int64_t k = 0; k < cols && !rc; k++)
        rc = sluice_array_take(in->schema->children[k], in->array.children[k], idx, n, &c[k], err);
    sluice_batch_assemble(out, in->schema, n, c, cols);
    free(c);
    if (rc) sluice_batch_release(out);
    return rc;
}

/* Rows of `in` where `cond` (compiled against in's schema) is true: `in`
 * itself, borrowed, when every row passes. */
static int filter(const struct sluice_expr *cond, const struct sluice_batch *in, struct held *out,
                  struct sluice_error *err)
{
    memset(out, 0, sizeof *out);
    struct ArrowArray mask = { 0 };
    int rc = sluice_expr_eval(cond, in, &mask, err);
    if (rc) return rc;
    int64_t n = sluice_batch_rows(in), k = 0;
    int64_t *idx = sluice_xmalloc(((size_t)n + 1) * sizeof *idx);
    for (int64_t i = 0; i < n; i++) {
        int64_t p = mask.offset + i;
        if (sluice_array_valid(&mask, p) && sluice_bit_get(mask.buffers[1], p)) idx[k++] = i;
    }
    mask.release(&mask);
    if (k == n)
        out->borrowed = in;
    else
        rc = take_rows(in, idx, k, &out->own, err);
    free(idx);
    return rc;
}

static int check_condition(const struct sluice_sql_ctx *ev, const struct sluice_expr *e,
                           const struct sluice_sql_text *rw, const char *clause)
{
    enum sluice_type t = sluice_type_of(sluice_expr_result(e));
    if (t == SLUICE_TYPE_BOOLEAN) return SLUICE_OK;
    return sluice_sql_fail(ev->q, ev->err, rw->origin, "%s needs a boolean condition, got %s at character %d",
                           clause, sluice_type_name(t), sluice_utf8_position((ev->q)->text, rw->origin));
}

/* ---- the statement ------------------------------------------------------------------ */

struct run {
    struct sluice_sql_ctx ev;
    struct sluice_expr *where;
    struct sluice_sql_text *item_t;    /* each select item's text (NULL text for *) */
    struct sluice_sql_text having_t;
    struct sluice_sql_text *order_t;   /* each ORDER BY item's text */
    struct sluice_agg_plan *plan;
    struct sluice_agg_groups *groups;
    struct held base;                  /* aggregating: the groups HAVING kept */
    const struct ArrowSchema *base_schema; /* what SELECT reads: the table's rows, or the groups */
    int64_t max_bytes;
    struct sluice_expr **cols;         /* the select list over the base */
    size_t n_cols;
    /* ORDER BY item i: a result column (position) when keys[i] is NULL, else
     * keys[i] over the result (key_over_out[i]) or over the base; its
     * values are column order[i].col of the wide batches. */
    struct sluice_expr **keys;
    bool *key_over_out;
    struct sluice_sql_order_col *order;
    struct ArrowSchema wide;           /* the result's columns, then the computed keys */
    struct sluice_sql_collect collect;
    struct sluice_sql_result *res;
};

static void run_free(struct run *r)
{
    const struct sluice_sql *q = r->ev.q;
    for (size_t i = 0; r->item_t && i < q->n_items; i++) sluice_sql_text_free(&r->item_t[i]);
    free(r->item_t);
    sluice_sql_text_free(&r->having_t);
    for (size_t i = 0; r->order_t && i < q->n_order; i++) sluice_sql_text_free(&r->order_t[i]);
    free(r->order_t);
    sluice_expr_free(r->where);
    for (size_t i = 0; i < r->n_cols; i++) sluice_expr_free(r->cols[i]);
    free(r->cols);
    for (size_t i = 0; r->keys && i < q->n_order; i++) sluice_expr_free(r->keys[i]);
    free(r->keys);
    free(r->key_over_out);
    free(r->order);
    sluice_sql_collect_free(&r->collect);
    if (r->wide.release) sluice_schema_release(&r->wide);
    held_release(&r->base);
    sluice_agg_groups_free(r->groups);
    sluice_agg_plan_free(r->plan);
    sluice_sql_result_free(r->res);
    sluice_sql_ctx_free(&r->ev);
}

static bool single_number(const struct sluice_sql *q, struct sql_range g, int64_t *v)
{
    if (g.end - g.first != 1 || q->toks[g.first].kind != SQL_NUMBER) return false;
    const struct sql_tok *t = &q->toks[g.first];
    int64_t n = 0;
    for (size_t k = 0; k < t->len; k++) {
        char c = q->text[t->off + k];
        if (c < '0' || c > '9' || n > 1000000) return false;
        n = n * 10 + (c - '0');
    }
    *v = n;
    return true;
}

/* GROUP BY entries (or DISTINCT's items) as key ranges: expressions,
 * 1-based positions in the select list, or select-list aliases (when no
 * column has the name), as Spark's groupByOrdinal and groupByAliases allow. */
static int resolve_keys(struct run *r)
{
    struct sluice_sql_ctx *ev = &r->ev;
    const struct sluice_sql *q = ev->q;
    size_t n = q->distinct ? q->n_items : q->n_group;
    ev->keys = sluice_xcalloc(n + 1, sizeof *ev->keys);
    ev->key_texts = sluice_xcalloc(n + 1, sizeof *ev->key_texts);
    for (size_t i = 0; i < n; i++) {
        struct sql_range g;
        if (q->distinct) {
            if (q->items[i].star)
                return sluice_sql_fail(q, ev->err, q->toks[q->items[i].expr.first].off,
                                       "SELECT DISTINCT * is not supported at character %d: name the columns",
                                       sluice_utf8_position(q->text, q->toks[q->items[i].expr.first].off));
            g = q->items[i].expr;
        } else {
            g = q->group[i];
            int64_t pos;
            size_t at = q->toks[g.first].off;
            if (single_number(q, g, &pos)) {
                if (pos < 1 || (size_t)pos > q->n_items || q->items[pos - 1].star)
                    return sluice_sql_fail(q, ev->err, at, "GROUP BY position %lld is not an expression of the "
                                           "select list (1 to %zu) at character %d", (long long)pos, q->n_items,
                                           sluice_utf8_position(q->text, at));
                g = q->items[pos - 1].expr;
            } else if (g.end - g.first == 1 && q->toks[g.first].kind != SQL_NUMBER) {
                char *word = sluice_xstrndup(q->text + at + (q->toks[g.first].kind == SQL_QUOTED),
                                             q->toks[g.first].len - 2 * (q->toks[g.first].kind == SQL_QUOTED));
                struct sluice_col col;
                struct sluice_error probe = { 0 };
                if (sluice_col_resolve(ev->input, word, &col, &probe) != SLUICE_OK)
                    for (size_t k = 0; k < q->n_items; k++)
                        if (q->items[k].alias && strcasecmp(q->items[k].alias, word) == 0) g = q->items[k].expr;
                free(word);
            }
        }
        if (!q->distinct && sluice_sql_is_window_call(q, g)) {
            int rc = sluice_sql_parse_window(ev, g);
            if (rc) return rc;
            continue;
        }
        if (sluice_sql_has_agg(ev, g))
            return sluice_sql_fail(q, ev->err, q->toks[g.first].off,
                                   "aggregate functions are not allowed in GROUP BY at character %d",
                                   sluice_utf8_position(q->text, q->toks[g.first].off));
        struct sluice_sql_text t;
        sluice_sql_text_of(q, g, &t);
        struct sluice_expr *e;
        int rc = sluice_sql_compile(ev, ev->input, &t, &e);
        sluice_expr_free(e);
        if (rc) {
            sluice_sql_text_free(&t);
            return rc;
        }
        ev->key_texts[i] = t.text;
        ev->keys[i] = g;
        ev->n_keys++;
    }
    return SLUICE_OK;
}

/* Compile the aggregation: keys, every aggregate call of SELECT, HAVING
 * and ORDER BY, then fold every batch (filtered by WHERE) into groups. */
static int aggregate(struct run *r, const struct sluice_batch *const *batches, size_t n)
{
    struct sluice_sql_ctx *ev = &r->ev;
    const struct sluice_sql *q = ev->q;
    bool calls = false;
    for (size_t i = 0; i < q->n_items; i++) calls |= !q->items[i].star && sluice_sql_has_agg(ev, q->items[i].expr);
    if (q->distinct && (q->n_group || calls))
        return sluice_sql_fail(q, ev->err, q->toks[1].off,
                               "SELECT DISTINCT with GROUP BY or aggregates is not supported at character %d",
                               sluice_utf8_position(q->text, q->toks[1].off));
    int rc = resolve_keys(r);
    for (size_t i = 0; i < q->n_items && !rc; i++) {
        if (q->items[i].star)
            return sluice_sql_fail(q, ev->err, q->toks[q->items[i].expr.first].off,
                                   "SELECT * cannot be used with GROUP BY or aggregates at character %d",
                                   sluice_utf8_position(q->text, q->toks[q->items[i].expr.first].off));
        rc = sluice_sql_find_aggs(ev, &r->item_t[i]);
    }
    if (!rc && q->has_having) rc = sluice_sql_find_aggs(ev, &r->having_t);
    for (size_t i = 0; i < q->n_order && !rc; i++) rc = sluice_sql_find_aggs(ev, &r->order_t[i]);
    if (rc) return rc;

    size_t n_aggs = ev->n_aggs ? ev->n_aggs : 1;
    char **keys = sluice_xcalloc(ev->n_keys + 1, sizeof *keys), **aggs = sluice_xcalloc(n_aggs, sizeof *aggs);
    for (size_t i = 0; i < ev->n_keys; i++) {
        const struct sql_tok *a = &q->toks[ev->keys[i].first], *b = &q->toks[ev->keys[i].end - 1];
        struct sluice_buf t = { 0 };
        sluice_buf_printf(&t, "%.*s AS __k%zu", (int)(b->off + b->len - a->off), q->text + a->off, i);
        keys[i] = t.data;
    }
    for (size_t i = 0; i < ev->n_aggs; i++) {
        struct sluice_buf t = { 0 };
        sluice_buf_printf(&t, "%.*s AS __a%zu", (int)ev->aggs[i].len, q->text + ev->aggs[i].off, i);
        aggs[i] = t.data;
    }
    /* The planner wants an aggregate; a GROUP BY without one still groups. */
    if (!ev->n_aggs) aggs[0] = sluice_xstrdup("count(*) AS __rows");
    struct sluice_agg_spec spec = { .grouping = SLUICE_AGG_GROUP_BY, .keys = (const char *const *)keys,
                                    .n_keys = ev->n_keys, .aggs = (const char *const *)aggs, .n_aggs = n_aggs,
                                    .window_column = ev->window_time, .window = ev->window };
    struct sluice_agg_where where;
    rc = sluice_agg_plan_new(&spec, ev->input, ev->cat, &r->plan, &where, ev->err);
    for (size_t i = 0; i < ev->n_keys; i++) free(keys[i]);
    for (size_t i = 0; i < n_aggs; i++) free(aggs[i]);
    free(keys);
    free(aggs);
    if (rc) {
        /* Every key and call compiled alone above, so this is rare; point at the entry. */
        size_t at = where.in_window ? ev->window_at
                    : where.in_keys ? (where.index < ev->n_keys ? q->toks[ev->keys[where.index].first].off : 0)
                                    : (where.index < ev->n_aggs ? ev->aggs[where.index].off : 0);
        struct sluice_sql_text rest = { q->text + at, at };
        return sluice_sql_map_error(ev, &rest, rc);
    }

    /* The groups' columns by the names given them above; never by a user's name. */
    ev->groups = &r->plan->output;
    ev->key_columns = sluice_xcalloc(ev->n_keys + 1, sizeof *ev->key_columns);
    for (int64_t c = 0; c < ev->groups->n_children; c++) {
        const char *name = ev->groups->children[c]->name;
        size_t k = (size_t)strtoul(name + 3, NULL, 10);
        if (strncmp(name, "__k", 3) == 0 && k < ev->n_keys) ev->key_columns[k] = c;
        if (strncmp(name, "__a", 3) == 0 && k < ev->n_aggs) ev->aggs[k].col = c;
    }

    r->groups = sluice_agg_groups_new(r->plan, 1);
    /* The bound is on what the rows add, not on an empty table's own size. */
    struct sluice_agg_stats empty;
    sluice_agg_groups_stats(r->groups, &empty);
    for (size_t i = 0; i < n && !rc; i++) {
        struct held part = { 0 };
        if (r->where) rc = filter(r->where, batches[i], &part, ev->err);
        else part.borrowed = batches[i];
        if (!rc) rc = sluice_agg_groups_update(r->groups, held_get(&part), 0, NULL, ev->err);
        held_release(&part);
        struct sluice_agg_stats st;
        sluice_agg_groups_stats(r->groups, &st);
        if (!rc && r->max_bytes > 0 && (int64_t)(st.bytes - empty.bytes) > r->max_bytes)
            rc = sluice_sql_over_memory(r->max_bytes, "its groups", ev->err);
    }
    if (!rc) rc = sluice_agg_groups_emit(r->groups, SLUICE_AGG_EMIT_ALL, 0, &r->base.own, ev->err);
    if (rc) return rc;
    r->base_schema = &r->plan->output;

    if (q->has_having) {
        struct sluice_expr *cond;
        rc = sluice_sql_compile_groups(ev, &r->having_t, true, &cond);
        if (!rc) rc = check_condition(ev, cond, &r->having_t, "HAVING");
        struct held kept = { 0 };
        if (!rc) rc = filter(cond, held_get(&r->base), &kept, ev->err);
        sluice_expr_free(cond);
        if (!rc && !kept.borrowed) {
            held_release(&r->base);
            r->base = kept;
        }
    }
    return rc;
}

static void add_col(struct run *r, struct sluice_expr *e)
{
    r->cols = sluice_xrealloc(r->cols, (r->n_cols + 1) * sizeof *r->cols);
    r->cols[r->n_cols++] = e;
}

/* SELECT: compile the items over the base and name the result's columns. */
static int compile_select(struct run *r)
{
    struct sluice_sql_ctx *ev = &r->ev;
    const struct sluice_sql *q = ev->q;
    char **names = NULL;
    size_t n_names = 0;
    int rc = SLUICE_OK;
    for (size_t i = 0; i < q->n_items && !rc; i++) {
        const struct sql_item *it = &q->items[i];
        if (it->star) {
            for (int64_t c = 0; c < r->base_schema->n_children && !rc; c++) {
                struct sluice_buf path = { 0 };
                sluice_col_append_name(&path, r->base_schema->children[c]->name);
                struct sluice_expr *e;
                rc = sluice_expr_compile(r->base_schema, path.data, &e, ev->err);
                sluice_buf_free(&path);
                if (rc) break;
                names = sluice_xrealloc(names, (n_names + 1) * sizeof *names);
                names[n_names++] = sluice_xstrdup(r->base_schema->children[c]->name);
                add_col(r, e);
            }
            continue;
        }
        struct sluice_expr *e;
        rc = ev->aggregated ? sluice_sql_compile_groups(ev, &r->item_t[i], false, &e)
                            : sluice_sql_compile(ev, r->base_schema, &r->item_t[i], &e);
        if (!rc) {
            names = sluice_xrealloc(names, (n_names + 1) * sizeof *names);
            names[n_names++] = sluice_xstrdup(it->alias ? it->alias : sluice_expr_result(e)->name);
            add_col(r, e);
        }
    }
    if (!rc) {
        struct sluice_sql_result *res = r->res;
        sluice_schema_init(&res->schema, SLUICE_FORMAT_STRUCT, "", false, (int64_t)r->n_cols);
        for (size_t i = 0; i < r->n_cols; i++) {
            /* A bare column keeps its field as it is (count(1) stays not null, as in Spark). */
            int64_t in = sluice_expr_input_column(r->cols[i]);
            sluice_schema_copy(in >= 0 ? r->base_schema->children[in] : sluice_expr_result(r->cols[i]),
                               res->schema.children[i]);
            sluice_schema_set_name(res->schema.children[i], names[i]);
        }
    }
    for (size_t i = 0; i < n_names; i++) free(names[i]);
    free(names);
    return rc;
}

/* One ORDER BY item: a select-list position, an expression over the result
 * (its columns and aliases), else an expression over what SELECT reads
 * (input columns, or the groups). */
static int compile_order_item(struct run *r, size_t i)
{
    struct sluice_sql_ctx *ev = &r->ev;
    const struct sluice_sql *q = ev->q;
    const struct sql_order *o = &q->order[i];
    size_t at = q->toks[o->expr.first].off;
    const struct ArrowSchema *type;
    int64_t pos;
    if (single_number(q, o->expr, &pos)) {
        if (pos < 1 || pos > r->res->schema.n_children)
            return sluice_sql_fail(q, ev->err, at, "ORDER BY position %lld is not in the select list (1 to %lld) "
                                   "at character %d", (long long)pos, (long long)r->res->schema.n_children,
                                   sluice_utf8_position(q->text, at));
        r->order[i].col = pos - 1;
        type = r->res->schema.children[pos - 1];
    } else {
        const struct sluice_sql_text *t = &r->order_t[i];
        int rc = sluice_expr_compile(&r->res->schema, t->text, &r->keys[i], ev->err);
        r->key_over_out[i] = rc == SLUICE_OK;
        if (rc) {
            sluice_error_clear(ev->err); /* not an output column: an expression over the input */
            rc = ev->aggregated ? sluice_sql_compile_groups(ev, t, true, &r->keys[i])
                                : sluice_sql_compile(ev, r->base_schema, t, &r->keys[i]);
        }
        if (rc) return rc;
        type = sluice_expr_result(r->keys[i]);
    }
    if (!sluice_sort_type_ok(type))
        return sluice_sql_fail(q, ev->err, at, "cannot order by a %s at character %d",
                               sluice_type_name(sluice_type_of(type)), sluice_utf8_position(q->text, at));
    r->order[i].desc = o->desc;
    r->order[i].nulls_first = o->nulls_first;
    return SLUICE_OK;
}

/* ORDER BY's keys, and the wide schema the parts are collected in: the
 * result's columns, then one column per computed key. */
static int compile_order(struct run *r)
{
    const struct sluice_sql *q = r->ev.q;
    r->keys = sluice_xcalloc(q->n_order + 1, sizeof *r->keys);
    r->key_over_out = sluice_xcalloc(q->n_order + 1, sizeof *r->key_over_out);
    r->order = sluice_xcalloc(q->n_order + 1, sizeof *r->order);
    int rc = SLUICE_OK;
    for (size_t i = 0; i < q->n_order && !rc; i++) rc = compile_order_item(r, i);
    if (rc) return rc;
    int64_t n_out = r->res->schema.n_children, n_wide = n_out;
    for (size_t i = 0; i < q->n_order; i++)
        if (r->keys[i]) r->order[i].col = n_wide++;
    sluice_schema_init(&r->wide, SLUICE_FORMAT_STRUCT, "", false, n_wide);
    for (int64_t c = 0; c < n_out; c++) sluice_schema_copy(r->res->schema.children[c], r->wide.children[c]);
    for (size_t i = 0; i < q->n_order; i++) {
        if (!r->keys[i]) continue;
        struct ArrowSchema *child = r->wide.children[r->order[i].col];
        sluice_schema_copy(sluice_expr_result(r->keys[i]), child);
        char name[32];
        snprintf(name, sizeof name, "__o%zu", i);
        sluice_schema_set_name(child, name);
    }
    return SLUICE_OK;
}

/* SELECT and ORDER BY's keys over one part of the base, collected. */
static int add_part(struct run *r, const struct sluice_batch *base)
{
    const struct sluice_sql *q = r->ev.q;
    int64_t rows = sluice_batch_rows(base), n_wide = r->wide.n_children, n_out = r->res->schema.n_children;
    struct ArrowArray *cols = sluice_xcalloc((size_t)n_wide + 1, sizeof *cols);
    int rc = SLUICE_OK;
    for (int64_t i = 0; i < n_out && !rc; i++) rc = sluice_expr_eval(r->cols[i], base, &cols[i], r->ev.err);
    /* Keys over the result read the result's columns through a view. */
    struct ArrowArray **out_cols = sluice_xcalloc((size_t)n_out + 1, sizeof *out_cols);
    for (int64_t i = 0; i < n_out; i++) out_cols[i] = &cols[i];
    const void *no_validity[1] = { NULL };
    struct sluice_batch out_view = {
        .array = { .length = rows, .n_buffers = 1, .buffers = no_validity, .n_children = n_out,
                   .children = out_cols },
        .schema = &r->res->schema,
    };
    for (size_t i = 0; i < q->n_order && !rc; i++)
        if (r->keys[i])
            rc = sluice_expr_eval(r->keys[i], r->key_over_out[i] ? &out_view : base, &cols[r->order[i].col],
                                  r->ev.err);
    free(out_cols);
    if (rc) {
        for (int64_t i = 0; i < n_wide; i++)
            if (cols[i].release) cols[i].release(&cols[i]);
        free(cols);
        return rc;
    }
    struct sluice_batch wide;
    sluice_batch_assemble(&wide, &r->wide, rows, cols, n_wide);
    free(cols);
    return sluice_sql_collect_add(&r->collect, &wide, r->ev.err);
}

int sluice_sql_eval(const struct sluice_sql *q, const struct ArrowSchema *schema,
                    const struct sluice_batch *const *batches, size_t n,
                    const struct sluice_agg_catalog *catalog, int64_t max_rows, int64_t max_bytes,
                    struct sluice_sql_result **out, struct sluice_error *err)
{
    *out = NULL;
    struct run r = { .ev = { .q = q, .input = schema, .cat = catalog, .err = err }, .max_bytes = max_bytes };
    r.res = sluice_xcalloc(1, sizeof *r.res);
    int rc = SLUICE_OK;
    /* Each clause's text, copied once; select items' also answer for their aliases. */
    r.item_t = sluice_xcalloc(q->n_items + 1, sizeof *r.item_t);
    r.ev.item_texts = sluice_xcalloc(q->n_items + 1, sizeof *r.ev.item_texts);
    for (size_t i = 0; i < q->n_items; i++)
        if (!q->items[i].star) {
            sluice_sql_text_of(q, q->items[i].expr, &r.item_t[i]);
            r.ev.item_texts[i] = sluice_xstrdup(r.item_t[i].text);
        }
    if (q->has_having) sluice_sql_text_of(q, q->having, &r.having_t);
    r.order_t = sluice_xcalloc(q->n_order + 1, sizeof *r.order_t);
    for (size_t i = 0; i < q->n_order; i++) sluice_sql_text_of(q, q->order[i].expr, &r.order_t[i]);
    if (q->has_where) {
        struct sluice_sql_text t;
        sluice_sql_text_of(q, q->where, &t);
        if (sluice_sql_has_agg(&r.ev, q->where))
            rc = sluice_sql_fail(q, err, t.origin, "aggregate functions are not allowed in WHERE at character %d: "
                                 "use HAVING", sluice_utf8_position(q->text, t.origin));
        if (!rc) rc = sluice_sql_compile(&r.ev, schema, &t, &r.where);
        if (!rc) rc = check_condition(&r.ev, r.where, &t, "WHERE");
        sluice_sql_text_free(&t);
    }
    bool calls = false;
    for (size_t i = 0; i < q->n_items; i++) calls |= !q->items[i].star && sluice_sql_has_agg(&r.ev, q->items[i].expr);
    r.ev.aggregated = q->n_group || q->distinct || q->has_having || calls;
    r.base_schema = schema;
    if (!rc && r.ev.aggregated) rc = aggregate(&r, batches, n);
    if (!rc) rc = compile_select(&r);
    if (!rc) rc = compile_order(&r);
    if (!rc) {
        int64_t keep = q->has_limit ? q->limit : -1;
        if (max_rows >= 0 && (keep < 0 || max_rows < keep)) keep = max_rows;
        sluice_sql_collect_init(&r.collect, &r.wide, r.res->schema.n_children, r.order, q->n_order, keep,
                                max_bytes);
    }
    if (!rc && r.ev.aggregated) {
        rc = add_part(&r, held_get(&r.base));
    } else {
        /* Part by part, so no batch ever holds more than a part or the answer. */
        for (size_t i = 0; i < n && !rc && !sluice_sql_collect_full(&r.collect); i++) {
            struct held part = { 0 };
            if (r.where) rc = filter(r.where, batches[i], &part, err);
            else part.borrowed = batches[i];
            if (!rc) rc = add_part(&r, held_get(&part));
            held_release(&part);
        }
    }
    if (!rc) rc = sluice_sql_collect_finish(&r.collect, &r.res->schema, &r.res->batch, r.ev.err);
    if (!rc) {
        *out = r.res;
        r.res = NULL;
    }
    run_free(&r);
    return rc;
}

void sluice_sql_result_free(struct sluice_sql_result *r)
{
    if (!r) return;
    sluice_batch_release(&r->batch);
    sluice_schema_release(&r->schema);
    free(r);
}
