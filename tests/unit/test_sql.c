/* SQL over memory tables (core/sql*.c): parse errors with their positions,
 * WHERE, GROUP BY (expressions, ordinals, aliases), HAVING, ORDER BY with
 * Spark's null ordering and NaN, LIMIT, DISTINCT, `*`, global aggregates
 * and Spark's result names, over a hand-built table of two batches, with
 * the real aggregator plugins (SLUICE_PLUGIN_PATH, as ctest sets it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "builder.h"
#include "error.h"
#include "registry.h"
#include "render.h"
#include "schema.h"
#include "sql.h"
#include "tables.h"

static struct ArrowSchema schema;
static struct sluice_batch batches[2];
static struct sluice_registry *reg;
static struct sluice_agg_catalog catalog;

struct row {
    const char *lang; /* NULL: null */
    int64_t n;
    bool n_null;
    double x;
    bool x_null;
};

static void build(struct sluice_batch *out, const struct row *rows, size_t n)
{
    struct sluice_builder *b = sluice_builder_new(&schema);
    for (size_t i = 0; i < n; i++) {
        sluice_builder_append_struct(b);
        if (rows[i].lang) sluice_builder_append_string(&b->children[0], rows[i].lang, strlen(rows[i].lang));
        else sluice_builder_append_null(&b->children[0]);
        if (rows[i].n_null) sluice_builder_append_null(&b->children[1]);
        else sluice_builder_append_long(&b->children[1], rows[i].n);
        if (rows[i].x_null) sluice_builder_append_null(&b->children[2]);
        else sluice_builder_append_double(&b->children[2], rows[i].x);
    }
    sluice_builder_finish(b, out);
    out->schema = &schema;
    sluice_builder_free(b);
}

static int setup(void **state)
{
    struct sluice_error err;
    if (sluice_schema_parse("lang STRING, n LONG, x DOUBLE", &schema, &err)) fail_msg("%s", err.message);
    static const struct row first[] = {
        { "en", 3, false, 1.5, false },
        { "fr", 1, false, 0, true },
        { NULL, 2, false, 2.5, false },
    };
    static const struct row second[] = {
        { "en", 5, false, NAN, false },
        { "de", 0, true, 0.5, false },
        { "fr", 4, false, -1.0, false },
    };
    build(&batches[0], first, 3);
    build(&batches[1], second, 3);
    reg = sluice_registry_new(NULL, 0);
    sluice_sql_registry_catalog(reg, &catalog);
    return 0;
}

static int teardown(void **state)
{
    sluice_batch_release(&batches[0]);
    sluice_batch_release(&batches[1]);
    sluice_schema_release(&schema);
    sluice_registry_free(reg);
    return 0;
}

/* The result as "name,name\n" then one JSON row per line. */
static char *run_n(const char *text, size_t n_batches, int64_t max_rows)
{
    struct sluice_sql *q;
    struct sluice_error err = { 0 };
    if (sluice_sql_parse(text, &q, &err)) fail_msg("parse '%s': %s (at %d)", text, err.message, err.position);
    const struct sluice_batch *in[2] = { &batches[0], &batches[1] };
    struct sluice_sql_result *res;
    if (sluice_sql_eval(q, &schema, in, n_batches, &catalog, max_rows, 0, &res, &err))
        fail_msg("eval '%s': %s (%s at %d; %s)", text, err.message, err.excerpt, err.position, err.hint);
    struct sluice_buf out = { 0 };
    for (int64_t c = 0; c < res->schema.n_children; c++)
        sluice_buf_printf(&out, "%s%s", c ? "," : "", res->schema.children[c]->name);
    sluice_buf_putc(&out, '\n');
    for (int64_t r = 0; r < sluice_batch_rows(&res->batch); r++) {
        sluice_render_row_json(&res->batch, r, &out);
        sluice_buf_putc(&out, '\n');
    }
    sluice_sql_result_free(res);
    sluice_sql_free(q);
    return out.data;
}

static char *run(const char *text)
{
    return run_n(text, 2, -1);
}

#define ASSERT_RESULT(text, expected)         \
    do {                                      \
        char *got_ = run(text);               \
        assert_string_equal(got_, expected);  \
        free(got_);                           \
    } while (0)

/* The error of a statement that fails (parse or evaluation). */
static struct sluice_error fails(const char *text)
{
    struct sluice_error err = { 0 };
    struct sluice_sql *q;
    int rc = sluice_sql_parse(text, &q, &err);
    if (rc == SLUICE_OK) {
        const struct sluice_batch *in[2] = { &batches[0], &batches[1] };
        struct sluice_sql_result *res;
        rc = sluice_sql_eval(q, &schema, in, 2, &catalog, -1, 0, &res, &err);
        sluice_sql_free(q);
        if (rc == SLUICE_OK) {
            sluice_sql_result_free(res);
            fail_msg("'%s' should fail", text);
        }
    }
    assert_int_equal(rc, SLUICE_ECONFIG);
    return err;
}

#define ASSERT_FAILS(text, msg, pos)                       \
    do {                                                  \
        struct sluice_error e_ = fails(text);             \
        assert_string_equal(e_.message, msg);             \
        assert_int_equal(e_.position, pos);               \
    } while (0)

/* ---- parsing -------------------------------------------------------------------- */

static void test_sql_parse_errors_name_the_character(void **state)
{
    ASSERT_FAILS("SELEC lang FROM t", "expected SELECT at character 1", 1);
    ASSERT_FAILS("SELECT lang t", "expected FROM and a table at character 14", 14);
    ASSERT_FAILS("SELECT lang FROM", "expected a table name after FROM at character 17", 17);
    ASSERT_FAILS("SELECT lang FROM t u", "expected WHERE, GROUP BY, HAVING, ORDER BY or LIMIT after the table "
                 "at character 20", 20);
    ASSERT_FAILS("SELECT lang FROM t GROUP lang", "expected BY after GROUP at character 26", 26);
    ASSERT_FAILS("SELECT lang FROM t LIMIT x", "expected a number of rows after LIMIT at character 26", 26);
    ASSERT_FAILS("SELECT lang FROM t LIMIT 1 2", "unexpected '2' after LIMIT 1 at character 28", 28);
    ASSERT_FAILS("SELECT n FROM t ORDER BY n LIMIT 2 WHERE n > 1", "unexpected WHERE at character 36", 36);
    ASSERT_FAILS("SELECT n FROM t WHERE n > 1 WHERE n < 3", "unexpected WHERE at character 29", 29);
    ASSERT_FAILS("SELECT (lang FROM t", "'(' at character 8 is not closed", 8);
    ASSERT_FAILS("SELECT lang) FROM t", "')' at character 12 closes nothing", 12);
    /* One lexer with the expression language: its messages, its comments. */
    ASSERT_FAILS("SELECT 'abc FROM t", "unterminated string starting at character 8", 8);
    ASSERT_FAILS("SELECT lang /* a FROM t", "unterminated comment starting at character 13", 13);
    ASSERT_FAILS("SELECT lang ^ 2 FROM t", "unexpected character '^' at character 13", 13);
    ASSERT_FAILS("SELECT lang, FROM t", "expected an expression or * at character 14", 14);
    ASSERT_FAILS("SELECT lang FROM t WHERE", "expected a condition after WHERE at character 25", 25);
    ASSERT_FAILS("SELECT n FROM t ORDER BY n NULLS", "expected FIRST or LAST after NULLS at character 33", 33);
    ASSERT_FAILS("SELECT n FROM t; SELECT 1 FROM t", "one statement only: unexpected ';' at character 16", 16);
    ASSERT_FAILS("SELECT lang WHERE n > 1", "expected FROM before WHERE at character 13", 13);
}

static void test_sql_parse_finds_clauses_aliases_and_table(void **state)
{
    struct sluice_sql *q;
    struct sluice_error err;
    assert_int_equal(sluice_sql_parse("select `from`.x AS `a b`, n m from `my table` where x.from > 1 "
                                      "group by 1 order by n desc nulls first limit 3;", &q, &err), SLUICE_OK);
    assert_string_equal(sluice_sql_table(q), "my table");
    sluice_sql_free(q);
    /* Comments, as Spark reads them: to the end of the line, or bracketed (nested). */
    assert_int_equal(sluice_sql_parse("SELECT n -- FROM x\n FROM /* x /* y */ z */ t", &q, &err), SLUICE_OK);
    assert_string_equal(sluice_sql_table(q), "t");
    sluice_sql_free(q);
}

/* ---- evaluation ------------------------------------------------------------------- */

static void test_sql_expression_errors_point_into_the_statement(void **state)
{
    struct sluice_error e = fails("SELECT lang FROM t WHERE lng = 'en'");
    assert_string_equal(e.message, "no column 'lng' in the input");
    assert_string_equal(e.excerpt, "SELECT lang FROM t WHERE lng = 'en'");
    assert_int_equal(e.position, 26);
    /* The compiler's own "at character N" is moved too. */
    e = fails("SELECT lang FROM t WHERE n > > 1");
    assert_int_equal(e.position, 30);
    assert_non_null(strstr(e.message, "at character 30"));
    ASSERT_FAILS("SELECT lang FROM t WHERE n + 1", "WHERE needs a boolean condition, got long at character 26", 26);
    ASSERT_FAILS("SELECT lang FROM t WHERE count(1) > 1",
                 "aggregate functions are not allowed in WHERE at character 26: use HAVING", 26);
}

static void test_sql_rejects_a_column_neither_grouped_nor_aggregated(void **state)
{
    struct sluice_error e = fails("SELECT lang, n + 1 FROM t GROUP BY lang");
    assert_string_equal(e.message, "column 'n' is neither in GROUP BY nor inside an aggregate function");
    assert_int_equal(e.position, 14);
    e = fails("SELECT lang, count(1) FROM t GROUP BY lang ORDER BY nope");
    assert_string_equal(e.message, "no column 'nope' in the input");
    assert_int_equal(e.position, 53);
    ASSERT_FAILS("SELECT *, count(1) FROM t", "SELECT * cannot be used with GROUP BY or aggregates at character 8", 8);
    ASSERT_FAILS("SELECT lang FROM t GROUP BY 3",
                 "GROUP BY position 3 is not an expression of the select list (1 to 1) at character 29", 29);
    ASSERT_FAILS("SELECT lang FROM t ORDER BY 2", "ORDER BY position 2 is not in the select list (1 to 1) at "
                 "character 29", 29);
}

static void test_sql_where_filters_and_select_names_columns(void **state)
{
    ASSERT_RESULT("SELECT lang, n * 2 AS n2, n + 1 FROM t WHERE n > 2",
                  "lang,n2,(n + 1)\n"
                  "{\"lang\":\"en\",\"n2\":6,\"(n + 1)\":4}\n"
                  "{\"lang\":\"en\",\"n2\":10,\"(n + 1)\":6}\n"
                  "{\"lang\":\"fr\",\"n2\":8,\"(n + 1)\":5}\n");
    ASSERT_RESULT("SELECT * FROM t WHERE lang = 'fr'",
                  "lang,n,x\n"
                  "{\"lang\":\"fr\",\"n\":1,\"x\":null}\n"
                  "{\"lang\":\"fr\",\"n\":4,\"x\":-1.0}\n");
}

static void test_sql_group_by_having_order_by(void **state)
{
    ASSERT_RESULT("SELECT lang, count(1), sum(n) AS total FROM t GROUP BY lang HAVING count(1) >= 1 "
                  "ORDER BY total DESC",
                  "lang,count(1),total\n"
                  "{\"lang\":\"en\",\"count(1)\":2,\"total\":8}\n"
                  "{\"lang\":\"fr\",\"count(1)\":2,\"total\":5}\n"
                  "{\"lang\":null,\"count(1)\":1,\"total\":2}\n"
                  "{\"lang\":\"de\",\"count(1)\":1,\"total\":null}\n");
    /* HAVING on an aggregate absent from SELECT, and on an alias. */
    ASSERT_RESULT("SELECT lang FROM t GROUP BY lang HAVING max(n) > 3 ORDER BY lang",
                  "lang\n{\"lang\":\"en\"}\n{\"lang\":\"fr\"}\n");
    ASSERT_RESULT("SELECT lang, count(*) AS c FROM t WHERE n IS NOT NULL GROUP BY lang HAVING c > 1 ORDER BY lang",
                  "lang,c\n{\"lang\":\"en\",\"c\":2}\n{\"lang\":\"fr\",\"c\":2}\n");
    /* Ordinal and alias keys, an expression over an aggregate, ORDER BY an aggregate. */
    ASSERT_RESULT("SELECT upper(lang) AS L, count(1) * 10 FROM t GROUP BY 1 ORDER BY count(1) DESC, L",
                  "L,(count(1) * 10)\n"
                  "{\"L\":\"EN\",\"(count(1) * 10)\":20}\n"
                  "{\"L\":\"FR\",\"(count(1) * 10)\":20}\n"
                  "{\"L\":null,\"(count(1) * 10)\":10}\n"
                  "{\"L\":\"DE\",\"(count(1) * 10)\":10}\n");
    ASSERT_RESULT("SELECT upper(lang) AS L FROM t GROUP BY L ORDER BY L DESC LIMIT 2",
                  "L\n{\"L\":\"FR\"}\n{\"L\":\"EN\"}\n");
    ASSERT_RESULT("SELECT lang FROM t GROUP BY lang ORDER BY lang DESC", /* grouping without an aggregate */
                  "lang\n{\"lang\":\"fr\"}\n{\"lang\":\"en\"}\n{\"lang\":\"de\"}\n{\"lang\":null}\n");
    ASSERT_RESULT("SELECT DISTINCT lang FROM t ORDER BY lang",
                  "lang\n{\"lang\":null}\n{\"lang\":\"de\"}\n{\"lang\":\"en\"}\n{\"lang\":\"fr\"}\n");
}

/* Aggregates are nodes of the expression tree, not text swapped for
 * internal names: a literal that looks like one stays itself, a user
 * cannot name the groups' columns, and keys match as trees. */
static void test_sql_over_groups_binds_trees_not_text(void **state)
{
    ASSERT_RESULT("SELECT count(*), '__a0', concat('x', '__a0') FROM t WHERE lang = 'de'",
                  "count(1),__a0,concat(x, __a0)\n"
                  "{\"count(1)\":1,\"__a0\":\"__a0\",\"concat(x, __a0)\":\"x__a0\"}\n");
    ASSERT_RESULT("SELECT (lang), LOWER( lang ) AS l, count(*) c FROM t GROUP BY lower(lang), lang "
                  "HAVING c > 1 AND l = 'en'",
                  "lang,l,c\n{\"lang\":\"en\",\"l\":\"en\",\"c\":2}\n");
    ASSERT_RESULT("SELECT upper(lang), sum(n) - count(1) FROM t GROUP BY lang ORDER BY 2 DESC LIMIT 1",
                  "upper(lang),(sum(n) - count(1))\n{\"upper(lang)\":\"EN\",\"(sum(n) - count(1))\":6}\n");
    struct sluice_error e = fails("SELECT __a0 FROM t GROUP BY lang");
    assert_string_equal(e.message, "no column '__a0' in the input");
    e = fails("SELECT lang, __k0 FROM t GROUP BY lang");
    assert_string_equal(e.message, "no column '__k0' in the input");
    assert_int_equal(e.position, 14);
    /* A call inside a call is the aggregation's to refuse, pointing at it. */
    e = fails("SELECT lang, sum(count(n)) FROM t GROUP BY lang");
    assert_int_equal(e.position, 18);
}

/* GROUP BY window(...), as Spark's SQL writes a time window: the window is
 * a key whose column is `window` (start, end), read as such or by field;
 * rows without a time belong to no window. */
static void test_sql_groups_by_a_time_window(void **state)
{
    ASSERT_RESULT("SELECT window.start, count(*) AS c, window FROM t "
                  "GROUP BY window(CAST(n AS TIMESTAMP), '2 seconds') ORDER BY window.start",
                  "start,c,window\n"
                  "{\"start\":\"1970-01-01T00:00:00.000Z\",\"c\":1,\"window\":{\"start\":\"1970-01-01T00:00:00.000Z\","
                  "\"end\":\"1970-01-01T00:00:02.000Z\"}}\n"
                  "{\"start\":\"1970-01-01T00:00:02.000Z\",\"c\":2,\"window\":{\"start\":\"1970-01-01T00:00:02.000Z\","
                  "\"end\":\"1970-01-01T00:00:04.000Z\"}}\n"
                  "{\"start\":\"1970-01-01T00:00:04.000Z\",\"c\":2,\"window\":{\"start\":\"1970-01-01T00:00:04.000Z\","
                  "\"end\":\"1970-01-01T00:00:06.000Z\"}}\n");
    /* Sliding: 4 s every 2 s, with a key beside the window; the call in SELECT is the key. */
    ASSERT_RESULT("SELECT window(CAST(n AS TIMESTAMP), '4 seconds', '2 seconds').end AS e, count(*) AS c FROM t "
                  "GROUP BY window(CAST(n AS TIMESTAMP), '4 seconds', '2 seconds') ORDER BY e",
                  "e,c\n{\"e\":\"1970-01-01T00:00:02.000Z\",\"c\":1}\n{\"e\":\"1970-01-01T00:00:04.000Z\",\"c\":3}\n"
                  "{\"e\":\"1970-01-01T00:00:06.000Z\",\"c\":4}\n{\"e\":\"1970-01-01T00:00:08.000Z\",\"c\":2}\n");
    ASSERT_RESULT("SELECT lang, window.end, sum(n) FROM t WHERE lang = 'fr' "
                  "GROUP BY lang, window(CAST(n AS TIMESTAMP), '10 seconds') ORDER BY lang",
                  "lang,end,sum(n)\n{\"lang\":\"fr\",\"end\":\"1970-01-01T00:00:10.000Z\",\"sum(n)\":5}\n");
    ASSERT_FAILS("SELECT count(*) FROM t GROUP BY window(CAST(n AS TIMESTAMP), 'soon')",
                 "window(): the duration must be a duration such as '10 seconds' at character 62", 62);
    ASSERT_FAILS("SELECT count(*) FROM t GROUP BY window(lang, '2 seconds')",
                 "the window column 'lang' is a string, not a timestamp", 40);
}

static void test_sql_count_without_group_by_is_one_global_row(void **state)
{
    ASSERT_RESULT("SELECT count(1) FROM stream_size", "count(1)\n{\"count(1)\":6}\n");
    ASSERT_RESULT("select COUNT(*), avg(n), min(lang) from t where false",
                  "count(1),avg(n),min(lang)\n{\"count(1)\":0,\"avg(n)\":null,\"min(lang)\":null}\n");
    char *got = run_n("SELECT count(1) AS rows FROM t", 0, -1);
    assert_string_equal(got, "rows\n{\"rows\":0}\n");
    free(got);
}

static void test_sql_result_keeps_count_not_null_as_spark_does(void **state)
{
    struct sluice_sql *q;
    struct sluice_error err;
    assert_int_equal(sluice_sql_parse("SELECT count(1), lang, count(1) + 1 FROM t GROUP BY lang", &q, &err), SLUICE_OK);
    const struct sluice_batch *in[2] = { &batches[0], &batches[1] };
    struct sluice_sql_result *res;
    assert_int_equal(sluice_sql_eval(q, &schema, in, 2, &catalog, -1, 0, &res, &err), SLUICE_OK);
    assert_false(res->schema.children[0]->flags & ARROW_FLAG_NULLABLE);
    assert_true(res->schema.children[1]->flags & ARROW_FLAG_NULLABLE);
    assert_string_equal(res->schema.children[2]->name, "(count(1) + 1)");
    assert_ptr_equal(res->batch.schema, &res->schema);
    sluice_sql_result_free(res);
    sluice_sql_free(q);
}

static void test_sql_order_by_puts_nulls_first_ascending_and_last_descending(void **state)
{
    ASSERT_RESULT("SELECT lang, n FROM t ORDER BY lang",
                  "lang,n\n"
                  "{\"lang\":null,\"n\":2}\n"
                  "{\"lang\":\"de\",\"n\":null}\n"
                  "{\"lang\":\"en\",\"n\":3}\n" /* stable: table order among equals */
                  "{\"lang\":\"en\",\"n\":5}\n"
                  "{\"lang\":\"fr\",\"n\":1}\n"
                  "{\"lang\":\"fr\",\"n\":4}\n");
    ASSERT_RESULT("SELECT x FROM t ORDER BY x DESC",
                  "x\n{\"x\":\"NaN\"}\n{\"x\":2.5}\n{\"x\":1.5}\n{\"x\":0.5}\n{\"x\":-1.0}\n{\"x\":null}\n");
    ASSERT_RESULT("SELECT n FROM t ORDER BY n ASC NULLS LAST LIMIT 3", "n\n{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n");
    ASSERT_RESULT("SELECT n FROM t ORDER BY n DESC NULLS FIRST LIMIT 2", "n\n{\"n\":null}\n{\"n\":5}\n");
    /* By an input column not selected, and by position. */
    ASSERT_RESULT("SELECT lang FROM t WHERE lang IS NOT NULL ORDER BY n DESC LIMIT 2",
                  "lang\n{\"lang\":\"en\"}\n{\"lang\":\"fr\"}\n");
    ASSERT_RESULT("SELECT lang, n FROM t ORDER BY 2 DESC LIMIT 1", "lang,n\n{\"lang\":\"en\",\"n\":5}\n");
}

static void test_sql_limit_and_max_rows_cut_the_result(void **state)
{
    ASSERT_RESULT("SELECT n FROM t LIMIT 0", "n\n");
    ASSERT_RESULT("SELECT n FROM t LIMIT 2", "n\n{\"n\":3}\n{\"n\":1}\n");
    char *got = run_n("SELECT n FROM t", 2, 1);
    assert_string_equal(got, "n\n{\"n\":3}\n");
    free(got);
    got = run_n("SELECT n FROM t", 1, -1); /* one batch: no copy, same rows */
    assert_string_equal(got, "n\n{\"n\":3}\n{\"n\":1}\n{\"n\":2}\n");
    free(got);
}

static void test_sql_run_reads_a_snapshot_and_names_missing_tables(void **state)
{
    struct sluice_tables *tables = sluice_tables_new();
    struct sluice_table *t;
    struct sluice_error err;
    assert_int_equal(sluice_tables_open(tables, "Tweets", &schema, &t, &err), SLUICE_OK);
    sluice_table_begin(t, 0, false);
    struct sluice_batch copy;
    static const struct row rows[] = { { "en", 7, false, 1, false } };
    build(&copy, rows, 1);
    sluice_table_add(t, &copy);
    sluice_table_commit(t);

    struct sluice_sql_result *res;
    assert_int_equal(sluice_sql_run("SELECT sum(n) FROM tweets", tables, &catalog, -1, 0, &res, &err), SLUICE_OK);
    assert_int_equal(sluice_batch_rows(&res->batch), 1);
    struct sluice_buf out = { 0 };
    sluice_render_row_json(&res->batch, 0, &out);
    assert_string_equal(out.data, "{\"sum(n)\":7}");
    sluice_buf_free(&out);
    sluice_sql_result_free(res);

    assert_int_equal(sluice_sql_run("SELECT * FROM nope", tables, &catalog, -1, 0, &res, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "no memory table 'nope' at character 15");
    assert_string_equal(err.hint, "the tables are: Tweets");
    sluice_table_close(t);
    sluice_tables_free(tables);
}


/* ---- many parts, and the memory bound ---------------------------------------------- */

/* A table of `parts` batches of 10 rows: row i (0-based over the table) is
 * lang "r<i>" padded to 100 characters, n = i % 10, x = i. */
static struct sluice_batch *many_parts(size_t parts)
{
    struct sluice_batch *b = calloc(parts, sizeof *b);
    for (size_t p = 0; p < parts; p++) {
        struct row rows[10];
        char names[10][101];
        for (int k = 0; k < 10; k++) {
            int i = (int)p * 10 + k;
            snprintf(names[k], sizeof names[k], "r%-99d", i);
            rows[k] = (struct row){ names[k], i % 10, false, i, false };
        }
        build(&b[p], rows, 10);
    }
    return b;
}

static void free_parts(struct sluice_batch *b, size_t parts)
{
    for (size_t p = 0; p < parts; p++) sluice_batch_release(&b[p]);
    free(b);
}

/* Run `text` over the parts with a memory bound; the result's column x as
 * "x,x,.." (or NULL with *rc and err set on failure). */
static char *run_parts(const struct sluice_batch *parts, size_t n, const char *text, int64_t max_bytes, int *rc,
                       struct sluice_error *err)
{
    struct sluice_sql *q;
    if (sluice_sql_parse(text, &q, err)) fail_msg("parse '%s': %s", text, err->message);
    const struct sluice_batch **in = calloc(n, sizeof *in);
    for (size_t i = 0; i < n; i++) in[i] = &parts[i];
    struct sluice_sql_result *res;
    *rc = sluice_sql_eval(q, &schema, in, n, &catalog, -1, max_bytes, &res, err);
    free(in);
    sluice_sql_free(q);
    if (*rc) return NULL;
    struct sluice_buf out = { 0 };
    int64_t col = sluice_schema_child_index(&res->schema, "x");
    for (int64_t r = 0; r < sluice_batch_rows(&res->batch); r++)
        sluice_buf_printf(&out, "%s%g", r ? "," : "", sluice_get_double(res->batch.array.children[col], r));
    sluice_sql_result_free(res);
    return out.data ? out.data : strdup("");
}

static void test_sql_order_by_limit_keeps_the_top_rows_across_parts_in_table_order(void **state)
{
    struct sluice_batch *parts = many_parts(10); /* 100 rows, 10 parts */
    struct sluice_error err = { 0 };
    int rc;
    /* n = 9 for x = 9, 19, .., 99: the first three in table order. */
    char *got = run_parts(parts, 10, "SELECT x FROM t ORDER BY n DESC LIMIT 3", 0, &rc, &err);
    assert_string_equal(got, "9,19,29");
    free(got);
    /* 25 rows: more than two parts' worth, so the candidates are merged down
     * again and again: every n = 9, every n = 8, then the first five n = 7. */
    got = run_parts(parts, 10, "SELECT x FROM t ORDER BY n DESC LIMIT 25", 0, &rc, &err);
    assert_string_equal(got, "9,19,29,39,49,59,69,79,89,99,8,18,28,38,48,58,68,78,88,98,7,17,27,37,47");
    free(got);
    /* By a key not selected, two keys, ascending. */
    got = run_parts(parts, 10, "SELECT x FROM t WHERE n < 2 ORDER BY n, x DESC LIMIT 4", 0, &rc, &err);
    assert_string_equal(got, "90,80,70,60");
    free(got);
    free_parts(parts, 10);
}

static void test_sql_memory_bound_fails_only_what_needs_more(void **state)
{
    /* 100 rows of about 110 bytes each: 11 KB in all, the bound 4 KiB. */
    struct sluice_batch *parts = many_parts(10);
    struct sluice_error err = { 0 };
    int rc;
    int64_t bound = 4096;
    char *got = run_parts(parts, 10, "SELECT lang, x FROM t ORDER BY lang DESC LIMIT 2", bound, &rc, &err);
    assert_int_equal(rc, SLUICE_OK);
    assert_string_equal(got, "99,98"); /* "r99 .." sorts above "r9  .." */
    free(got);
    got = run_parts(parts, 10, "SELECT lang, x FROM t LIMIT 3", bound, &rc, &err);
    assert_string_equal(got, "0,1,2");
    free(got);
    got = run_parts(parts, 10, "SELECT x FROM t ORDER BY n", bound, &rc, &err); /* numbers alone fit */
    assert_int_equal(rc, SLUICE_OK);
    free(got);

    assert_null(run_parts(parts, 10, "SELECT lang, x FROM t ORDER BY x", bound, &rc, &err));
    assert_int_equal(rc, SLUICE_ENOMEM);
    assert_string_equal(err.message, "the query needs more than 4 KiB for its rows (runtime.query_memory_limit)");
    assert_string_equal(err.hint, "add a LIMIT or a WHERE, select fewer columns, or raise "
                                  "runtime.query_memory_limit; the stream goes on");
    assert_null(run_parts(parts, 10, "SELECT lang FROM t", bound, &rc, &err));
    assert_int_equal(rc, SLUICE_ENOMEM);
    free_parts(parts, 10);

    /* Groups: 2,000 keys of 100 bytes do not fit 64 KiB; ten small ones do. */
    parts = many_parts(200);
    bound = 64 << 10;
    assert_null(run_parts(parts, 200, "SELECT lang, count(1) AS x FROM t GROUP BY lang", bound, &rc, &err));
    assert_int_equal(rc, SLUICE_ENOMEM);
    assert_string_equal(err.message, "the query needs more than 64 KiB for its groups (runtime.query_memory_limit)");
    got = run_parts(parts, 200, "SELECT n, max(x) AS x FROM t GROUP BY n ORDER BY n DESC LIMIT 2", bound, &rc, &err);
    assert_string_equal(got, "1999,1998");
    free(got);
    free_parts(parts, 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sql_parse_errors_name_the_character),
        cmocka_unit_test(test_sql_parse_finds_clauses_aliases_and_table),
        cmocka_unit_test(test_sql_expression_errors_point_into_the_statement),
        cmocka_unit_test(test_sql_rejects_a_column_neither_grouped_nor_aggregated),
        cmocka_unit_test(test_sql_over_groups_binds_trees_not_text),
        cmocka_unit_test(test_sql_groups_by_a_time_window),
        cmocka_unit_test(test_sql_where_filters_and_select_names_columns),
        cmocka_unit_test(test_sql_group_by_having_order_by),
        cmocka_unit_test(test_sql_count_without_group_by_is_one_global_row),
        cmocka_unit_test(test_sql_result_keeps_count_not_null_as_spark_does),
        cmocka_unit_test(test_sql_order_by_puts_nulls_first_ascending_and_last_descending),
        cmocka_unit_test(test_sql_limit_and_max_rows_cut_the_result),
        cmocka_unit_test(test_sql_run_reads_a_snapshot_and_names_missing_tables),
        cmocka_unit_test(test_sql_order_by_limit_keeps_the_top_rows_across_parts_in_table_order),
        cmocka_unit_test(test_sql_memory_bound_fails_only_what_needs_more),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
