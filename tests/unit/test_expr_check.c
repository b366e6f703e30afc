/* The expression checker against the lab's tweet schema and a schema with
 * every type: result types, Spark's implicit casts and result names, the
 * columns an expression reads, constant folding, and every load-time error
 * with its exact message, character position and hint. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "expr_priv.h"
#include "expr_testutil.h"

#define TWEET_SCHEMA "@" SLUICE_TEST_SOURCE_DIR "/configs/schemas/tweet.json"

static struct ArrowSchema *tweet, *all;
static struct sluice_expr *compiled;

static int setup(void **state)
{
    tweet = calloc(1, sizeof *tweet);
    struct sluice_error err = { 0 };
    if (sluice_schema_parse(TWEET_SCHEMA, tweet, &err)) fail_msg("%s", err.message);
    all = tu_schema();
    return 0;
}

static int teardown(void **state)
{
    tu_schema_free(tweet);
    tu_schema_free(all);
    return 0;
}

static int free_compiled(void **state)
{
    sluice_expr_free(compiled);
    compiled = NULL;
    return 0;
}

static struct sluice_expr *compile_ok(const struct ArrowSchema *s, const char *text)
{
    sluice_expr_free(compiled);
    struct sluice_error err = { 0 };
    if (sluice_expr_compile(s, text, &compiled, &err)) fail_msg("'%s': %s", text, err.message);
    return compiled;
}

/* The result's name and format. */
static void expect_result(const struct ArrowSchema *s, const char *text, const char *name, const char *format)
{
    const struct ArrowSchema *r = sluice_expr_result(compile_ok(s, text));
    assert_string_equal(r->name, name);
    assert_string_equal(r->format, format);
    assert_true(r->flags & ARROW_FLAG_NULLABLE);
}

static void expect_error(const struct ArrowSchema *s, const char *text, const char *message, int position,
                         const char *hint)
{
    struct sluice_expr *e = (struct sluice_expr *)1;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_expr_compile(s, text, &e, &err), SLUICE_ECONFIG);
    assert_null(e);
    assert_string_equal(err.message, message);
    assert_int_equal(err.position, position);
    assert_string_equal(err.excerpt, text);
    assert_string_equal(err.hint, hint ? hint : "");
}

/* ---- types and names ------------------------------------------------------------------ */

static void test_expr_check_names_the_covid_condition_as_spark_does(void **state)
{
    expect_result(tweet, "lower(data.text) LIKE '%covid%'", "lower(data.text) LIKE %covid%", "b");
}

static void test_expr_check_names_a_bare_path_by_its_last_field(void **state)
{
    expect_result(tweet, "data.lang", "lang", "u");
    expect_result(tweet, "DATA.Public_Metrics.like_count", "like_count", "l");
    expect_result(tweet, "includes.users[0].verified", "verified", "b");
    expect_result(tweet, "data.created_at", "created_at", "tsu:UTC");
    expect_result(all, "arr[0]", "arr[0]", "l");
    expect_result(all, "`odd name`", "odd name", "u");
}

static void test_expr_check_uses_the_alias_when_there_is_one(void **state)
{
    expect_result(tweet, "data.text AS text", "text", "u");
    expect_result(tweet, "lower(data.lang) `the lang`", "the lang", "u");
}

static void test_expr_check_names_operators_and_functions_like_spark(void **state)
{
    expect_result(tweet, "data.public_metrics.like_count + 1", "(data.public_metrics.like_count + 1)", "l");
    expect_result(all, "a != 1", "(NOT (a = 1))", "b");
    expect_result(all, "a BETWEEN 1 AND 2", "((a >= 1) AND (a <= 2))", "b");
    expect_result(all, "s IS NOT NULL", "(s IS NOT NULL)", "b");
    expect_result(all, "s IN ('a', 'b')", "(s IN (a, b))", "b");
    expect_result(all, "CAST(a AS int)", "CAST(a AS BIGINT)", "l");
    expect_result(all, "substring(s, 2)", "substring(s, 2, 2147483647)", "u");
    expect_result(all, "SUBSTR(s, 2, 3)", "substr(s, 2, 3)", "u");
    expect_result(all, "round(d)", "round(d, 0)", "g");
    expect_result(all, "floor(d)", "FLOOR(d)", "l");
    expect_result(all, "Ceil(d)", "CEIL(d)", "l");
    expect_result(all, "if(f, 1, 2)", "(IF(f, 1, 2))", "l");
    expect_result(all, "LOWER(s)", "lower(s)", "u");
    expect_result(all, "s || 'x'", "concat(s, x)", "u");
    expect_result(all, "rlike(s, 'a+')", "s RLIKE a+", "b");
    expect_result(all, "-a", "(- a)", "l");
    expect_result(all, "-1", "-1", "l");
    expect_result(all, "null", "NULL", "b");
    expect_result(all, "CASE a WHEN 1 THEN 'x' END", "CASE WHEN (a = 1) THEN x END", "u");
    expect_result(all, "s LIKE 'a!%' ESCAPE '!'", "s LIKE a!% ESCAPE '!'", "b");
    expect_result(all, "'it''s'", "it's", "u");
}

static void test_expr_check_hides_implicit_casts_in_names(void **state)
{
    expect_result(all, "s = 1", "(s = 1)", "b");
    expect_result(all, "lower(a)", "lower(a)", "u");
    expect_result(all, "ts > '2021-01-01'", "(ts > 2021-01-01)", "b");
}

static void test_expr_check_promotes_types_as_spark_does(void **state)
{
    expect_result(all, "a + b", "(a + b)", "l");
    expect_result(all, "a + d", "(a + d)", "g");
    expect_result(all, "a / b", "(a / b)", "g");
    expect_result(all, "a % b", "(a % b)", "l");
    expect_result(all, "a + '1'", "(a + 1)", "g");
    expect_result(all, "coalesce(a, d)", "coalesce(a, d)", "g");
    expect_result(all, "coalesce(a, s)", "coalesce(a, s)", "u");
    expect_result(all, "CASE WHEN f THEN a ELSE NULL END", "CASE WHEN f THEN a ELSE NULL END", "l");
    expect_result(all, "element_at(sarr, 1)", "element_at(sarr, 1)", "u");
    expect_result(all, "size(NULL)", "size(NULL)", "l");
    expect_result(all, "year(ts)", "year(ts)", "l");
    expect_result(all, "to_timestamp(s)", "to_timestamp(s)", "tsu:UTC");
}

static void test_expr_check_casts_a_string_compared_with_a_number_to_that_number(void **state)
{
    struct sluice_expr *e = compile_ok(all, "s = 1");
    struct expr_node *cmp = e->root;
    assert_int_equal(cmp->args[0]->kind, EX_CAST);
    assert_true(cmp->args[0]->implicit);
    assert_int_equal(cmp->args[0]->type, SLUICE_TYPE_LONG);
    assert_int_equal(cmp->args[1]->type, SLUICE_TYPE_LONG);
    e = compile_ok(all, "a < d");
    assert_int_equal(e->root->args[0]->type, SLUICE_TYPE_DOUBLE);
}

static void test_expr_check_keeps_struct_and_array_schemas_for_nested_results(void **state)
{
    const struct ArrowSchema *r = sluice_expr_result(compile_ok(all, "st"));
    assert_string_equal(r->format, "+s");
    assert_string_equal(r->name, "st");
    assert_int_equal(r->n_children, 3);
    assert_string_equal(r->children[2]->name, "inner");
    r = sluice_expr_result(compile_ok(tweet, "data.entities.hashtags AS tags"));
    assert_string_equal(r->format, "+l");
    assert_string_equal(r->name, "tags");
    assert_string_equal(r->children[0]->format, "+s");
    r = sluice_expr_result(compile_ok(all, "coalesce(st, NULL)"));
    assert_string_equal(r->format, "+s");
}

static void test_expr_check_folds_constant_subtrees_once(void **state)
{
    struct sluice_expr *e = compile_ok(all, "1 + 2 * 3");
    assert_int_equal(e->root->kind, EX_LIT);
    assert_int_equal(e->root->lit.l, 7);
    assert_string_equal(sluice_expr_result(e)->name, "(1 + (2 * 3))");
    e = compile_ok(all, "ts > CAST('2021-05-03' AS timestamp)");
    assert_int_equal(e->root->args[1]->kind, EX_LIT);
    assert_true(e->root->args[1]->lit.l == 1620000000000000LL);
}

/* ---- what the expression reads ----------------------------------------------------------- */

static void test_expr_check_lists_each_column_read_once_in_projection_form(void **state)
{
    struct sluice_expr *e = compile_ok(tweet, "lower(data.text) LIKE '%x%' AND data.lang = 'en' OR "
                                              "data.text IS NULL OR includes.users[0].verified");
    const char *const *paths;
    assert_int_equal(sluice_expr_columns(e, &paths), 3);
    assert_string_equal(paths[0], "data.text");
    assert_string_equal(paths[1], "data.lang");
    assert_string_equal(paths[2], "includes.users.verified");
    e = compile_ok(all, "1 + 1");
    assert_int_equal(sluice_expr_columns(e, &paths), 0);
    e = compile_ok(all, "`odd name`");
    assert_int_equal(sluice_expr_columns(e, &paths), 1);
    assert_string_equal(paths[0], "`odd name`");
}

/* A field of an array of structs (Spark's GetArrayStructFields): named by
 * the field, typed as an array of it, read alone; what cannot be, said. */
static void test_expr_check_takes_fields_through_arrays_of_structs(void **state)
{
    expect_result(tweet, "data.entities.hashtags.tag", "tag", "+l");
    const struct ArrowSchema *r = sluice_expr_result(compiled);
    assert_string_equal(r->children[0]->format, "u");
    const char *const *paths;
    assert_int_equal(sluice_expr_columns(compiled, &paths), 1);
    assert_string_equal(paths[0], "data.entities.hashtags.tag");
    expect_result(all, "size(lst.W)", "size(lst.w)", "l");
    expect_result(all, "lst.v AS vs", "vs", "+l");
    expect_error(all, "lst.nope", "no field 'nope' in the array's structs", 1, NULL);
    expect_error(all, "upper(lst.w)", "function 'upper' expects a string, got array", 7, NULL);
    expect_error(all, "sarr.x", "cannot take field 'x' of array: it is not a struct or an array of structs", 1,
                 NULL);
}

static void test_expr_check_knows_when_the_expression_is_an_input_column(void **state)
{
    assert_int_equal(sluice_expr_input_column(compile_ok(all, "a")), C_A);
    assert_int_equal(sluice_expr_input_column(compile_ok(all, "s AS text")), C_S);
    assert_int_equal(sluice_expr_input_column(compile_ok(all, "`odd name`")), C_ODD);
    assert_int_equal(sluice_expr_input_column(compile_ok(all, "st")), C_ST);
    assert_int_equal(sluice_expr_input_column(compile_ok(all, "st.x")), -1);
    assert_int_equal(sluice_expr_input_column(compile_ok(all, "a + 0")), -1);
    assert_int_equal(sluice_expr_input_column(compile_ok(tweet, "data.lang")), -1);
}

/* ---- errors -------------------------------------------------------------------------------- */

static void test_expr_check_reports_an_unknown_column_with_a_suggestion(void **state)
{
    expect_error(tweet, "data.lagn", "no column 'data.lagn' in the input", 1, "did you mean 'data.lang'?");
    expect_error(tweet, "lower(data.txet) LIKE '%covid%'", "no column 'data.txet' in the input", 7,
                 "did you mean 'data.text'?");
}

static void test_expr_check_reports_an_unknown_function_with_a_suggestion(void **state)
{
    expect_error(tweet, "lowr(data.text)", "unknown function 'lowr'", 1, "did you mean 'lower'?");
    expect_error(all, "a + frobnicate(1)", "unknown function 'frobnicate'", 5, NULL);
}

/* Issue 11: `col('data.lang')` got "did you mean 'nvl'?", two edits of a
 * three-letter name: no suggestion is better than an unrelated one, and
 * what a PySpark user means by col() has an answer of its own. */
static void test_expr_check_suggests_no_unrelated_function_and_explains_pyspark_col(void **state)
{
    expect_error(tweet, "col('data.lang')", "unknown function 'col'", 1,
                 "an expression names a column by its path, without col(): write data.lang");
    expect_error(tweet, "lit(1) + 2", "unknown function 'lit'", 1,
                 "PySpark's lit() is not needed in an expression: write the literal itself");
    expect_error(all, "x(1) OR substring(s)", "unknown function 'x'", 1, NULL);
    expect_error(all, "cnt(a)", "unknown function 'cnt'", 1, NULL);
    expect_error(all, "uppr(s)", "unknown function 'uppr'", 1, "did you mean 'upper'?");
}

static void test_expr_check_reports_a_wrong_argument_count(void **state)
{
    expect_error(all, "lower(s, t)", "function 'lower' takes 1 argument, got 2", 1, NULL);
    expect_error(all, "substring(s)", "function 'substring' takes 2 to 3 arguments, got 1", 1, NULL);
    expect_error(all, "coalesce()", "function 'coalesce' takes at least 1 argument, got 0", 1, NULL);
    expect_error(all, "f AND if(f, 1)", "function 'if' takes 3 arguments, got 2", 7, NULL);
}

static void test_expr_check_reports_a_wrong_argument_type_at_the_argument(void **state)
{
    expect_error(all, "lower(arr)", "function 'lower' expects a string, got array", 7, NULL);
    expect_error(all, "abs(f)", "function 'abs' expects a number, got boolean", 5, NULL);
    expect_error(all, "year(a)", "function 'year' expects a timestamp, got long", 6, NULL);
    expect_error(all, "size(s)", "function 'size' expects an array, got string", 6, NULL);
    expect_error(all, "if(a, 1, 2)", "function 'if' expects a boolean, got long", 4, NULL);
    expect_error(all, "substring(s, f)", "function 'substring' expects an integer, got boolean", 14, NULL);
    expect_error(all, "element_at(s, 1)", "function 'element_at' expects an array, got string", 12, NULL);
    expect_error(all, "array_contains(arr, 'x')",
                 "function 'array_contains' cannot look for a string in an array of long", 21, NULL);
    expect_error(all, "coalesce(a, f)", "function 'coalesce' cannot mix long and boolean", 13, NULL);
}

static void test_expr_check_reports_arguments_that_must_be_constant(void **state)
{
    expect_error(all, "element_at(arr, 0)", "function 'element_at' index 0 is invalid: array indexes start at 1",
                 17, NULL);
    expect_error(all, "round(d, a)", "function 'round' expects a constant integer scale", 10, NULL);
    expect_error(all, "to_timestamp(s, t)", "function 'to_timestamp' expects a constant format", 17, NULL);
    expect_error(all, "to_timestamp(s, 'yyyy Q')",
                 "function 'to_timestamp': format 'yyyy Q': unsupported pattern letter 'Q'", 17, NULL);
    expect_error(all, "s LIKE t", "the pattern of LIKE must be a constant string", 8, NULL);
    expect_error(all, "s RLIKE t", "the pattern of RLIKE must be a constant string", 9, NULL);
}

static void test_expr_check_reports_bad_patterns(void **state)
{
    expect_error(all, "s LIKE 'a\\\\'", "invalid LIKE pattern 'a\\': it ends with the escape character", 8, NULL);
    expect_error(all, "s LIKE 'a\\\\b'",
                 "invalid LIKE pattern 'a\\b': the escape character is not allowed to precede 'b'", 8, NULL);
    expect_error(all, "s RLIKE '('",
                 "invalid regular expression '(': missing closing parenthesis at offset 1", 9, NULL);
}

static void test_expr_check_reports_operators_on_the_wrong_types(void **state)
{
    expect_error(all, "f + 1", "operator '+' expects numbers, got boolean", 1, NULL);
    expect_error(all, "-f || ts", "operator '-' expects numbers, got boolean", 2, NULL);
    expect_error(all, "a * ts", "operator '*' expects numbers, got timestamp", 5, NULL);
    expect_error(all, "a AND f", "operator 'AND' expects a boolean, got long", 1, NULL);
    expect_error(all, "NOT s", "operator 'NOT' expects a boolean, got string", 5, NULL);
    expect_error(all, "st = 1", "operator '=' cannot compare struct values", 4, NULL);
    expect_error(all, "f = ts", "operator '=' cannot compare boolean with timestamp", 3, NULL);
    expect_error(all, "a IN (1, f)", "IN cannot mix long and boolean", 10, NULL);
    expect_error(all, "CASE WHEN a THEN 1 END", "CASE WHEN expects a boolean condition, got long", 11, NULL);
    expect_error(all, "CASE WHEN f THEN 1 ELSE f END", "CASE cannot mix long and boolean", 25, NULL);
    expect_error(all, "CAST(st AS string)", "cannot cast struct to string", 1, NULL);
    expect_error(all, "a > 1 OR lower(st) = 'x'", "function 'lower' expects a string, got struct", 16, NULL);
}

static void test_expr_check_counts_positions_in_characters(void **state)
{
    expect_error(all, "'größe' || lowr(s)", "unknown function 'lowr'", 12, "did you mean 'lower'?");
}

/* Time-range bounds, as Spark's StreamingJoinHelper reads a join
 * condition: every spelling normalised to plus - minus <= us. */
static void test_expr_check_reads_time_bounds(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct sluice_error err;
    assert_int_equal(sluice_schema_parse("a TIMESTAMP, r STRUCT<t: TIMESTAMP>, n BIGINT", &s, &err), 0);
    static const struct {
        const char *text, *plus, *minus;
        int64_t us;
        bool strict;
    } ok[] = {
        { "r.t <= a + INTERVAL 1 HOUR", "r.t", "a", 3600000000LL, false },
        { "r.t >= a", "a", "r.t", 0, false },
        { "a > r.t - INTERVAL 10 MINUTES", "r.t", "a", 600000000LL, true },
        { "a - INTERVAL 5 SECONDS < r.t + INTERVAL 1 SECOND", "a", "r.t", 6000000LL, true },
        { "INTERVAL 1 MINUTE + a >= r.t", "r.t", "a", 60000000LL, false },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        struct sluice_expr *e = NULL;
        assert_int_equal(sluice_expr_compile(&s, ok[i].text, &e, &err), SLUICE_OK);
        struct sluice_expr_time_bound b = { 0 };
        assert_true(sluice_expr_time_bound(e, &s, &b));
        assert_string_equal(b.plus.data, ok[i].plus);
        assert_string_equal(b.minus.data, ok[i].minus);
        assert_int_equal(b.us, ok[i].us);
        assert_int_equal(b.strict, ok[i].strict);
        sluice_buf_free(&b.plus);
        sluice_buf_free(&b.minus);
        sluice_expr_free(e);
    }
    /* Not a bound of two columns: an equality, one column, the same sign, a number. */
    static const char *const no[] = { "a = r.t", "a <= TIMESTAMP '2021-01-01 00:00:00'", "hour(a) > n",
                                      "a < r.t AND a > r.t", "n < 3" };
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++) {
        struct sluice_expr *e = NULL;
        assert_int_equal(sluice_expr_compile(&s, no[i], &e, &err), SLUICE_OK);
        struct sluice_expr_time_bound b = { 0 };
        assert_false(sluice_expr_time_bound(e, &s, &b));
        sluice_buf_free(&b.plus);
        sluice_buf_free(&b.minus);
        sluice_expr_free(e);
    }
    sluice_schema_release(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expr_check_reads_time_bounds),
        cmocka_unit_test_teardown(test_expr_check_names_the_covid_condition_as_spark_does, free_compiled),
        cmocka_unit_test_teardown(test_expr_check_names_a_bare_path_by_its_last_field, free_compiled),
        cmocka_unit_test_teardown(test_expr_check_uses_the_alias_when_there_is_one, free_compiled),
        cmocka_unit_test_teardown(test_expr_check_names_operators_and_functions_like_spark, free_compiled),
        cmocka_unit_test_teardown(test_expr_check_hides_implicit_casts_in_names, free_compiled),
        cmocka_unit_test_teardown(test_expr_check_promotes_types_as_spark_does, free_compiled),
        cmocka_unit_test_teardown(test_expr_check_casts_a_string_compared_with_a_number_to_that_number, free_compiled),
        cmocka_unit_test_teardown(test_expr_check_keeps_struct_and_array_schemas_for_nested_results, free_compiled),
        cmocka_unit_test_teardown(test_expr_check_folds_constant_subtrees_once, free_compiled),
        cmocka_unit_test_teardown(test_expr_check_lists_each_column_read_once_in_projection_form, free_compiled),
        cmocka_unit_test_teardown(test_expr_check_takes_fields_through_arrays_of_structs, free_compiled),
        cmocka_unit_test_teardown(test_expr_check_knows_when_the_expression_is_an_input_column, free_compiled),
        cmocka_unit_test(test_expr_check_reports_an_unknown_column_with_a_suggestion),
        cmocka_unit_test(test_expr_check_reports_an_unknown_function_with_a_suggestion),
        cmocka_unit_test(test_expr_check_suggests_no_unrelated_function_and_explains_pyspark_col),
        cmocka_unit_test(test_expr_check_reports_a_wrong_argument_count),
        cmocka_unit_test(test_expr_check_reports_a_wrong_argument_type_at_the_argument),
        cmocka_unit_test(test_expr_check_reports_arguments_that_must_be_constant),
        cmocka_unit_test(test_expr_check_reports_bad_patterns),
        cmocka_unit_test(test_expr_check_reports_operators_on_the_wrong_types),
        cmocka_unit_test(test_expr_check_counts_positions_in_characters),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
