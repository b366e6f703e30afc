/* core/serve/sql_priv.h — what the SQL parser (sql.c) hands the evaluator
 * (sql_eval.c). Not for other modules.
 *
 * A statement is kept as its text and tokens; every clause is a range of
 * tokens, so the evaluator can compare expressions token by token (a GROUP
 * BY key inside a select item) and rewrite them, and map every position
 * back to a character of the statement for errors. */
#ifndef SLUICE_CORE_SQL_PRIV_H
#define SLUICE_CORE_SQL_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/buf.h>
#include <sluice/error.h>

#include "sql.h"
#include "window.h"

struct sluice_expr;

enum sql_tok_kind {
    SQL_WORD = 1, /* identifier or keyword */
    SQL_QUOTED,   /* `back-quoted name` */
    SQL_STRING,   /* 'string' or "string" */
    SQL_NUMBER,
    SQL_PUNCT,    /* ( ) [ ] , . * and operators */
};

struct sql_tok {
    enum sql_tok_kind kind;
    size_t off, len; /* bytes of the statement */
};

/* Tokens [first, end). */
struct sql_range {
    size_t first, end;
};

struct sql_item {
    struct sql_range expr; /* without the alias */
    struct sql_range all;  /* with it */
    char *alias;           /* unquoted; NULL when none */
    bool star;
};

struct sql_order {
    struct sql_range expr;
    bool desc;
    bool nulls_first;      /* Spark's default: ASC nulls first, DESC nulls last */
};

struct sluice_sql {
    char *text;
    struct sql_tok *toks;
    size_t n_toks;
    bool distinct;
    struct sql_item *items;
    size_t n_items;
    char *table;
    size_t table_tok;
    bool has_where, has_having, has_limit;
    struct sql_range where, having;
    struct sql_range *group;
    size_t n_group;
    struct sql_order *order;
    size_t n_order;
    int64_t limit;
};

/* Record an SLUICE_ECONFIG error at byte `off` of the statement: the
 * message is `fmt` (which must end in "at character %d") with the
 * position, and the excerpt points there. */
int sluice_sql_fail(const struct sluice_sql *q, struct sluice_error *err, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
bool sluice_sql_tok_is(const struct sluice_sql *q, size_t i, const char *text);

/* ---- compiling clauses (sql_groups.c) ------------------------------------------ */

/* A clause's text, copied out of the statement, and the statement byte it
 * starts at, so errors in it point into the statement. */
struct sluice_sql_text {
    char *text;
    size_t origin;
};

/* One aggregate call of the statement. */
struct sluice_sql_agg {
    size_t off, len; /* the call's bytes in the statement */
    char *name;      /* as Spark names it: count(1), avg(x) */
    int64_t col;     /* its column in the groups, once planned */
};

/* One evaluation: the statement, the table's schema, the aggregate
 * catalog, and (aggregating) the GROUP BY keys, the calls found so far
 * and the groups' schema they are columns of. */
struct sluice_sql_ctx {
    const struct sluice_sql *q;
    const struct ArrowSchema *input;
    const struct sluice_agg_catalog *cat;
    struct sluice_error *err;
    bool aggregated;
    struct sql_range *keys;
    size_t n_keys;
    char **key_texts;
    int64_t *key_columns;             /* in the groups */
    struct sluice_sql_agg *aggs;
    size_t n_aggs;
    char **item_texts;                /* what each select item's alias stands for */
    /* GROUP BY window(ts, 'duration'[, 'slide'[, 'start']]): the call as
     * written, its time expression, and the window; NULL when none. */
    char *window_text, *window_time;
    size_t window_at; /* the time expression's first byte in the statement */
    struct sluice_window window;
    const struct ArrowSchema *groups; /* once planned */
    size_t origin;                    /* of the clause being searched for calls */
    bool agg_failed;                  /* a call of that clause did not plan (its error is mapped) */
};

void sluice_sql_ctx_free(struct sluice_sql_ctx *ev);
void sluice_sql_text_of(const struct sluice_sql *q, struct sql_range r, struct sluice_sql_text *t);
void sluice_sql_text_free(struct sluice_sql_text *t);
/* Does `r` call an aggregate function? */
bool sluice_sql_has_agg(struct sluice_sql_ctx *ev, struct sql_range r);
/* Register every aggregate call of `t` (checked, errors in the statement). */
int sluice_sql_find_aggs(struct sluice_sql_ctx *ev, const struct sluice_sql_text *t);
/* Compile `t` over rows of `schema`, errors mapped into the statement. */
int sluice_sql_compile(const struct sluice_sql_ctx *ev, const struct ArrowSchema *schema,
                       const struct sluice_sql_text *t, struct sluice_expr **out);
/* Compile `t` over ev->groups; `aliases`: select-list aliases may be named (HAVING, ORDER BY). */
int sluice_sql_compile_groups(const struct sluice_sql_ctx *ev, const struct sluice_sql_text *t, bool aliases,
                              struct sluice_expr **out);
/* Move the error in ev->err (reported against t's text) into the statement; returns rc. */
int sluice_sql_map_error(const struct sluice_sql_ctx *ev, const struct sluice_sql_text *t, int rc);
/* Is range g a call `window(...)`? (sql_groups.c) */
bool sluice_sql_is_window_call(const struct sluice_sql *q, struct sql_range g);
/* GROUP BY window(ts, 'duration'[, 'slide'[, 'start']]): Spark's time
 * window, into ev's window fields (sql_groups.c). */
int sluice_sql_parse_window(struct sluice_sql_ctx *ev, struct sql_range g);

/* ---- collecting the result (sql_collect.c) ----------------------------------- */

/* An ORDER BY key: a column of the wide batches. */
struct sluice_sql_order_col {
    int64_t col;
    bool desc, nulls_first;
};

/* The rows kept so far. Parts come in as "wide" batches: the result's
 * columns, then the ORDER BY keys that are not among them. */
struct sluice_sql_collect {
    const struct ArrowSchema *wide;          /* borrowed */
    int64_t n_out;                           /* the result's columns: wide's first n_out */
    const struct sluice_sql_order_col *order; /* borrowed */
    size_t n_order;
    int64_t keep;                            /* rows the answer has at most; < 0: all */
    int64_t max_bytes;                       /* <= 0: no bound */
    struct sluice_batch *runs;               /* owned */
    size_t n_runs, cap_runs;
    int64_t rows, bytes;                     /* what the runs hold */
};

void sluice_sql_collect_init(struct sluice_sql_collect *c, const struct ArrowSchema *wide, int64_t n_out,
                             const struct sluice_sql_order_col *order, size_t n_order, int64_t keep,
                             int64_t max_bytes);
/* No later part can change the answer (no ORDER BY, and `keep` rows held). */
bool sluice_sql_collect_full(const struct sluice_sql_collect *c);
/* Keep what the answer can use of *part (moved in, left released). Past the
 * memory bound: SLUICE_ENOMEM (sluice_sql_over_memory). */
int sluice_sql_collect_add(struct sluice_sql_collect *c, struct sluice_batch *part, struct sluice_error *err);
/* The answer: rows in order, cut to `keep`, the first n_out columns as a
 * batch of `schema` into *out (the caller's). SLUICE_ELIMIT when a column
 * would pass its size limit (2 GiB of strings). */
int sluice_sql_collect_finish(struct sluice_sql_collect *c, const struct ArrowSchema *schema,
                              struct sluice_batch *out, struct sluice_error *err);
void sluice_sql_collect_free(struct sluice_sql_collect *c);
/* The SLUICE_ENOMEM error of a query needing more than `max_bytes` for
 * `what` ("its rows", "its groups"). */
int sluice_sql_over_memory(int64_t max_bytes, const char *what, struct sluice_error *err);

#endif
