/* core/expr/expr.h — the expression language (contract, DESIGN §3): a subset of
 * Spark SQL used by every option that takes an expression.
 *
 * Compiled once per stage against the input schema: parsing, name
 * resolution and type checking all happen here, so every error is a load
 * time error with the character position. Evaluation is vectorised: each
 * node of the tree computes a whole column for the batch, never a row at a
 * time, with no per-row allocation. Null semantics, type promotion and
 * function behaviour follow Spark (three-valued logic, long+double is
 * double, `/` is always double, integer division by zero is null, bad casts
 * are null, size(NULL) is -1).
 *
 * The language:
 * - Paths `data.lang`, `includes.users[0].verified` (0-based, as Spark's
 *   `[]`), back-quoted `odd name`; keywords may follow a dot (`x.end`).
 * - Literals: integers (long; too big for a long: double), decimals and
 *   exponents (double), 'strings' or "strings" (Spark's backslash escapes,
 *   '' for a quote, adjacent literals concatenate), true, false, null,
 *   TIMESTAMP '2021-05-03 07:55:40'.
 * - Operators by Spark's precedence: OR < AND < NOT < IS [NOT] NULL,
 *   [NOT] LIKE 'p' [ESCAPE 'c'], [NOT] RLIKE/REGEXP 'p', [NOT] IN (...),
 *   [NOT] BETWEEN a AND b < = == != <> < <= > >= <=> < + - || < * / % <
 *   unary - +. CASE WHEN .. THEN .. [ELSE ..] END, CASE x WHEN v THEN ..,
 *   CAST(x AS boolean|long|bigint|int|integer|double|float|string|timestamp).
 * - Functions (case-insensitive; Spark's aliases in brackets): lower [lcase]
 *   upper [ucase] length [char_length] trim concat substring [substr]
 *   contains startswith endswith rlike [regexp, regexp_like] size
 *   [cardinality] element_at array_contains coalesce [nvl, ifnull] if abs
 *   round floor ceil [ceiling] to_timestamp(s [, 'pattern']) year month
 *   dayofmonth [day] hour minute second date_format(ts, 'pattern')
 *   date_trunc('unit', ts) (all UTC), split(s, 'regex' [, limit])
 *   regexp_extract(s, 'regex' [, group]) regexp_replace(s, 'regex', 'rep')
 *   concat_ws(sep, s or array...), from_json(s, 'schema')
 *   (a struct of the DDL or Spark JSON schema, decoded as the JSON reader
 *   decodes: malformed text gives a row of nulls, a null or blank string
 *   null), to_json(struct or array).
 * - `.field` on a struct result: `from_json(value, 'a INT').a`.
 * - An optional trailing `AS alias` or bare alias names the result.
 * Restrictions: LIKE and RLIKE patterns, the scale of round, and the
 * pattern of to_timestamp and date_format, the regexes and replacement of
 * split and regexp_*, and date_trunc's unit must be constants (Spark
 * allows columns); `[]`
 * applies to paths, not to function results; structs and
 * arrays cannot be compared. lower/upper map Latin, Greek, Cyrillic,
 * Armenian and fullwidth letters (upper('ß') is 'SS', lower('İ') 'i̇' as in
 * Java); other scripts, and ı, ſ and ligatures, pass through unchanged.
 *
 * Types and coercions (Spark, non-ANSI): numbers mix as double; a string
 * compared with a number, boolean or timestamp is cast to that type (bad
 * values are null); arithmetic and math functions cast strings to double;
 * string functions cast numbers, booleans and timestamps to string; CASE,
 * IN, coalesce and if unify branches (numbers widen to double, a string
 * absorbs numbers and timestamps). Long arithmetic wraps; integer `/` and
 * `%` by zero are null. A bare NULL result is typed boolean.
 *
 * Result names (sluice_expr_result()->name) follow Spark's auto-generated
 * column names: the alias if given; a bare path is its last field (`lang`);
 * otherwise the expression as Spark prints it: binary operators in
 * parentheses `(a + 1)`, `(NOT x)`, `(x IS NULL)`, `(x IN (1, 2))`,
 * `lower(data.text) LIKE %covid%` (string literals unquoted), `CAST(x AS
 * BIGINT)`, `CASE WHEN (a > 1) THEN x ELSE y END`, BETWEEN as `((x >= a) AND
 * (x <= b))`, `!=` as `(NOT (a = b))`, `a || b` as `concat(a, b)`, and
 * Spark's printed defaults `substring(s, 2, 2147483647)`, `round(x, 0)`,
 * `FLOOR(x)`, `CEIL(x)`, `(IF(c, a, b))`. Implicit casts do not show.
 *
 * Errors: SLUICE_ECONFIG with err->excerpt = the text and err->position =
 * the 1-based character (not byte) of the offending token: unknown column
 * (colpath's message and suggestion), unknown function (hint: the closest
 * name), argument count ("function 'lower' takes 1 argument, got 2"),
 * argument type ("function 'lower' expects a string, got array"), syntax
 * ("expected ')' at character 17").
 *
 * Threads: a compiled expression is read-only; sluice_expr_eval may run on
 * many threads at once. Each evaluating thread keeps one scratch arena,
 * sized to the largest batch it has evaluated, until it exits. These
 * functions are the host table's expr_* entries. */
#ifndef SLUICE_CORE_EXPR_H
#define SLUICE_CORE_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/arrow.h>
#include <sluice/buf.h>
#include <sluice/batch.h>
#include <sluice/error.h>

struct sluice_expr;

/* Compile `text` against struct schema `input` (borrowed: it must outlive
 * the expression). On SLUICE_OK *out is the caller's to free with
 * sluice_expr_free; on error *out is NULL. */
int sluice_expr_compile(const struct ArrowSchema *input, const char *text, struct sluice_expr **out,
                        struct sluice_error *err);
/* The result's schema node (type and name); borrowed from the expression. */
const struct ArrowSchema *sluice_expr_result(const struct sluice_expr *e);
/* How many bytes of `text` come before its alias (`AS name` or a bare
 * name), i.e. the expression itself; parsed, not compiled. */
int sluice_expr_body_length(const char *text, size_t *len, struct sluice_error *err);
/* The top-level input column a bare reference like `lang` is, else -1
 * (`data.lang` and every computed expression give -1). */
int64_t sluice_expr_input_column(const struct sluice_expr *e);
/* The input paths read, in projection form (`includes.users.verified` for
 * `includes.users[0].verified`), each once; borrowed from the expression. */
size_t sluice_expr_columns(const struct sluice_expr *e, const char *const **paths);
/* Evaluate over every row of `in` (a batch of the schema compiled against).
 * On SLUICE_OK *out has in's row count and is the caller's to release. Bad
 * data never makes it fail (bad casts, division by zero give null); a
 * string or list result past the size limit does (SLUICE_ELIMIT, size_limit.h:
 * 2 GiB in one batch), and a batch of a different shape (EINTERNAL). */
int sluice_expr_eval(const struct sluice_expr *e, const struct sluice_batch *in, struct ArrowArray *out,
                     struct sluice_error *err);
void sluice_expr_free(struct sluice_expr *e);

/* What a comparison says of two timestamp columns, read as Spark's
 * StreamingJoinHelper reads a stream-stream join's time-range condition:
 * `plus - minus <= us` (`strict`: <). True when `e`, compiled against
 * `input`, is `A op B` (op one of < <= > >=) whose sides add and subtract
 * two timestamp columns of opposite sign and interval constants, such as
 * `clicks.time <= impressions.time + INTERVAL 1 HOUR`; the columns are
 * given as projection paths of `input`. The caller frees the buffers. */
struct sluice_expr_time_bound {
    struct sluice_buf plus, minus;
    int64_t us;
    bool strict;
};
bool sluice_expr_time_bound(const struct sluice_expr *e, const struct ArrowSchema *input,
                            struct sluice_expr_time_bound *out);

/* current_timestamp() and now(): one value per micro-batch, as in Spark.
 * The engine sets the batch's time (whole milliseconds) on every thread
 * that evaluates for the batch; where none is set, the wall clock. */
void sluice_expr_set_batch_time(int64_t us);
int64_t sluice_expr_batch_time(void);

/* Compiling over an aggregation's groups: SQL's SELECT, HAVING and ORDER
 * BY after GROUP BY (core/serve/sql_eval.c). The parser knows aggregate
 * calls as nodes of their own, whose arguments the aggregation reads (not
 * this compiler); a subtree equal to a GROUP BY key reads the key's
 * column; a name that is neither is Spark's "neither in GROUP BY nor
 * inside an aggregate function". Names come out as Spark prints them
 * (`(count(1) * 2)`), from the tree, never from rewritten text. */
struct sluice_expr_groups {
    const struct ArrowSchema *input; /* the rows' schema: the keys, and names in errors */
    const char *const *keys;         /* each GROUP BY key as written */
    size_t n_keys;
    /* Whether a call of `name` (lower case) is an aggregate. */
    bool (*is_agg)(void *arg, const char *name);
    /* An aggregate call, bytes [off, off + len) of the text being read:
     * find_aggregates registers it (an error says what is wrong with it);
     * compile_over_groups asks its column in the groups and Spark's name
     * of it (borrowed until the expression is freed). */
    int (*add_agg)(void *arg, const char *text, size_t off, size_t len, struct sluice_error *err);
    int (*agg_column)(void *arg, const char *text, size_t off, size_t len, int64_t *col, const char **name);
    /* HAVING and ORDER BY: the select-list expression alias `name` stands
     * for, as text, or NULL (NULL callback: no aliases). */
    const char *(*alias)(void *arg, const char *name);
    /* The groups' column of key k: key_column[k]. */
    const int64_t *key_column;
    /* A time window the groups are also keyed by (`window(ts, '10 seconds')`
     * as written, or NULL): that call, and `window` with its fields
     * (`window.start`), read column window_column. */
    const char *window;
    int64_t window_column;
    void *arg;
};
/* Parse `text` and hand every aggregate call in it to g->add_agg; *found
 * (may be NULL) counts them. A syntax error is reported as compiling would. */
int sluice_expr_find_aggregates(const char *text, const struct sluice_expr_groups *g, size_t *found,
                                struct sluice_error *err);
/* Compile `text` over the groups (struct schema `groups`, borrowed), as
 * sluice_expr_compile does over rows. */
int sluice_expr_compile_over_groups(const struct ArrowSchema *groups, const char *text,
                                    const struct sluice_expr_groups *g, struct sluice_expr **out,
                                    struct sluice_error *err);

/* The language's tokens, for SQL (core/serve/sql.c), so a statement and
 * the expressions in it are read by one lexer: the same words, numbers,
 * quoting, escapes and comments. Offsets are bytes of `text`. */
enum sluice_expr_tok_kind {
    SLUICE_TOK_WORD = 1, /* identifier or keyword */
    SLUICE_TOK_QUOTED,   /* `back-quoted name` */
    SLUICE_TOK_STRING,   /* 'string' or "string" */
    SLUICE_TOK_NUMBER,
    SLUICE_TOK_PUNCT,    /* ( ) [ ] , . ; * and operators */
};
struct sluice_expr_tok {
    enum sluice_expr_tok_kind kind;
    size_t off, len;
};
/* On SLUICE_OK *toks (n of them) is the caller's to free(); an error says
 * what and where as the compiler's do. */
int sluice_expr_tokenize(const char *text, struct sluice_expr_tok **toks, size_t *n, struct sluice_error *err);

#endif
