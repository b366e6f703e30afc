/* The expression parser: Spark's precedence (shown through the fully
 * parenthesised names of unchecked trees), the sugar it expands, source
 * positions on nodes, aliases, and every syntax error with its position. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"
#include <sluice/buf.h>

#include "expr_priv.h"

static struct sluice_expr *parsed;
static char name_buf[1024];

static struct sluice_expr *parse_ok(const char *text)
{
    struct sluice_expr *e = calloc(1, sizeof *e);
    e->arena = sluice_arena_new(0);
    struct sluice_error err = { 0 };
    if (sluice_expr_parse(e, text, &err)) fail_msg("'%s': %s", text, err.message);
    return e;
}

static void parsed_free(struct sluice_expr *e)
{
    sluice_arena_unref(e->arena);
    free(e);
}

/* The tree's shape, as the name of the unchecked root. */
static const char *shape(const char *text)
{
    struct sluice_expr *e = parse_ok(text);
    struct sluice_buf b = { 0 };
    sluice_expr_name(e->root, &b);
    snprintf(name_buf, sizeof name_buf, "%s", b.data ? b.data : "");
    sluice_buf_free(&b);
    parsed_free(e);
    return name_buf;
}

static void syntax_error(const char *text, const char *message, int position)
{
    struct sluice_expr *e = calloc(1, sizeof *e);
    e->arena = sluice_arena_new(0);
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_expr_parse(e, text, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, message);
    assert_int_equal(err.position, position);
    assert_string_equal(err.excerpt, text);
    parsed_free(e);
}

static int teardown(void **state)
{
    if (parsed) parsed_free(parsed);
    parsed = NULL;
    return 0;
}

static void test_expr_parse_binds_multiplication_tighter_than_addition(void **state)
{
    assert_string_equal(shape("1 + 2 * 3 - 4 / 5 % 6"), "((1 + (2 * 3)) - ((4 / 5) % 6))");
}

static void test_expr_parse_binds_and_tighter_than_or_and_not_tighter_than_and(void **state)
{
    assert_string_equal(shape("a OR b AND NOT c"), "(a OR (b AND (NOT c)))");
}

static void test_expr_parse_puts_not_above_comparisons_as_spark_does(void **state)
{
    assert_string_equal(shape("NOT a = b"), "(NOT (a = b))");
    assert_string_equal(shape("! a"), "(NOT a)");
}

static void test_expr_parse_binds_comparisons_looser_than_arithmetic(void **state)
{
    assert_string_equal(shape("a + 1 > b * 2"), "((a + 1) > (b * 2))");
    assert_string_equal(shape("a < b = c"), "((a < b) = c)");
}

static void test_expr_parse_reads_a_minus_before_a_number_as_a_negative_literal(void **state)
{
    assert_string_equal(shape("-2 * 3"), "(-2 * 3)");
    assert_string_equal(shape("a - -1.5"), "(a - -1.5)");
    assert_string_equal(shape("-a"), "(- a)");
    assert_string_equal(shape("+a"), "(+ a)");
    parsed = parse_ok("-9223372036854775808");
    assert_int_equal(parsed->root->kind, EX_LIT);
    assert_int_equal(parsed->root->type, SLUICE_TYPE_LONG);
    assert_true(parsed->root->lit.l == INT64_MIN);
}

static void test_expr_parse_makes_an_integer_too_big_for_a_long_a_double(void **state)
{
    parsed = parse_ok("9223372036854775808");
    assert_int_equal(parsed->root->type, SLUICE_TYPE_DOUBLE);
    assert_true(parsed->root->lit.d == 9223372036854775808.0);
}

static void test_expr_parse_expands_not_equal_to_not_of_equal(void **state)
{
    assert_string_equal(shape("a != 1"), "(NOT (a = 1))");
    assert_string_equal(shape("a <> 1"), "(NOT (a = 1))");
    assert_string_equal(shape("a == 1"), "(a = 1)");
    assert_string_equal(shape("a <=> 1"), "(a <=> 1)");
}

static void test_expr_parse_reads_predicates_on_a_whole_value_expression(void **state)
{
    assert_string_equal(shape("a + 1 IS NOT NULL"), "((a + 1) IS NOT NULL)");
    assert_string_equal(shape("x NOT LIKE 'a%' ESCAPE '!'"), "(NOT x LIKE a% ESCAPE '!')");
    assert_string_equal(shape("x NOT IN (1, 2)"), "(NOT (x IN (1, 2)))");
    assert_string_equal(shape("x RLIKE 'a+' OR x REGEXP 'b'"), "(x RLIKE a+ OR x RLIKE b)");
}

static void test_expr_parse_expands_between_into_two_comparisons(void **state)
{
    assert_string_equal(shape("x BETWEEN 1 AND 3 AND y"), "(((x >= 1) AND (x <= 3)) AND y)");
    assert_string_equal(shape("x NOT BETWEEN 1 AND 3"), "(NOT ((x >= 1) AND (x <= 3)))");
    parsed = parse_ok("x BETWEEN 1 AND 3");
    /* Both comparisons read the same node, so x is evaluated once. */
    assert_ptr_equal(parsed->root->args[0]->args[0], parsed->root->args[1]->args[0]);
}

static void test_expr_parse_reads_both_forms_of_case(void **state)
{
    assert_string_equal(shape("CASE WHEN a > 1 THEN 'x' WHEN a > 0 THEN 'y' ELSE 'z' END"),
                        "CASE WHEN (a > 1) THEN x WHEN (a > 0) THEN y ELSE z END");
    assert_string_equal(shape("case a when 1 then 'one' end"), "CASE WHEN (a = 1) THEN one END");
}

static void test_expr_parse_reads_casts_calls_and_concatenation(void **state)
{
    parsed = parse_ok("CAST(x AS bigint)");
    assert_int_equal(parsed->root->kind, EX_CAST);
    assert_int_equal(parsed->root->type, SLUICE_TYPE_LONG);
    assert_string_equal(shape("substr(s, 1, 2) || 'x'"), "concat(substr(s, 1, 2), x)");
    assert_string_equal(shape("concat()"), "concat()");
}

static void test_expr_parse_reads_paths_with_indexes_and_back_quotes(void **state)
{
    parsed = parse_ok("includes.users[0].verified");
    assert_int_equal(parsed->root->kind, EX_PATH);
    assert_string_equal(parsed->root->text, "includes.users[0].verified");
    parsed_free(parsed);
    parsed = parse_ok("`odd name`.`end`.end[1][2]");
    assert_string_equal(parsed->root->text, "`odd name`.end.end[1][2]");
}

static void test_expr_parse_concatenates_adjacent_string_literals(void **state)
{
    parsed = parse_ok("'a' 'b' \"c\"");
    assert_int_equal(parsed->root->kind, EX_LIT);
    assert_string_equal(parsed->root->lit.s, "abc");
}

static void test_expr_parse_reads_literals_of_every_type(void **state)
{
    parsed = parse_ok("TIMESTAMP '2021-05-03 07:55:40'");
    assert_int_equal(parsed->root->type, SLUICE_TYPE_TIMESTAMP);
    assert_true(parsed->root->lit.l == 1620028540000000LL);
    assert_string_equal(parsed->root->text, "TIMESTAMP '2021-05-03 07:55:40'");
    assert_string_equal(shape("true AND FALSE OR null"), "((true AND false) OR NULL)");
    assert_string_equal(shape("1.50D + 2L"), "(1.50 + 2)");
}

static void test_expr_parse_records_the_position_of_each_operator(void **state)
{
    parsed = parse_ok("a + b * c");
    assert_int_equal(parsed->root->pos, 3);
    assert_int_equal(parsed->root->args[1]->pos, 7);
    assert_int_equal(parsed->root->args[1]->args[1]->pos, 9);
}

static void test_expr_parse_takes_an_alias_with_or_without_as(void **state)
{
    parsed = parse_ok("lower(x) AS lx");
    assert_string_equal(parsed->alias, "lx");
    parsed_free(parsed);
    parsed = parse_ok("x + 1 `my col`");
    assert_string_equal(parsed->alias, "my col");
    parsed_free(parsed);
    parsed = parse_ok("x");
    assert_null(parsed->alias);
}

static void test_expr_parse_reports_a_missing_closing_parenthesis(void **state)
{
    syntax_error("lower(data.text LIKE '%x%'", "expected ')' at character 27", 27);
    syntax_error("(a + 1", "expected ')' at character 7", 7);
}

static void test_expr_parse_reports_a_missing_operand(void **state)
{
    syntax_error("a + ", "expected an expression at character 5, found the end", 5);
    syntax_error("a AND OR b", "expected an expression at character 7, found 'OR'", 7);
    syntax_error("", "empty expression", 1);
}

static void test_expr_parse_reports_text_after_the_expression(void **state)
{
    syntax_error("a b c", "unexpected 'c' at character 5", 5);
    syntax_error("a AS b c", "unexpected 'c' at character 8", 8);
}

static void test_expr_parse_reports_malformed_keywords_and_indexes(void **state)
{
    syntax_error("CASE WHEN a THEN 1", "expected END at character 19", 19);
    syntax_error("CASE a END", "expected WHEN at character 8", 8);
    syntax_error("CAST(a AS decimal(40, 2))", "Decimal precision 40 exceeds max precision 38 (and must be at least 1)", 25);
    syntax_error("CAST(a AS varchar2)", "unknown type 'varchar2' at character 11", 11);
    syntax_error("a NOT b", "expected LIKE, RLIKE, IN or BETWEEN after NOT at character 7", 7);
    syntax_error("a[x]", "expected an array index (a non-negative integer) at character 3", 3);
    syntax_error("a IN ()", "expected an expression at character 7, found ')'", 7);
    syntax_error("a LIKE 'x' ESCAPE 'ab'", "the ESCAPE string at character 19 must be one character", 19);
    syntax_error("TIMESTAMP 'soon'", "invalid timestamp literal 'soon' at character 11", 11);
    syntax_error("a IS 5", "expected NULL at character 6", 6);
    syntax_error("a AS 5", "expected a name after AS at character 6", 6);
}

static void test_expr_parse_refuses_absurd_nesting(void **state)
{
    char text[1300];
    memset(text, '(', 600);
    text[600] = '1';
    memset(text + 601, ')', 600);
    text[1201] = '\0';
    struct sluice_expr *e = calloc(1, sizeof *e);
    e->arena = sluice_arena_new(0);
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_expr_parse(e, text, &err), SLUICE_ECONFIG);
    assert_non_null(strstr(err.message, "expression nests too deeply"));
    parsed_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_expr_parse_binds_multiplication_tighter_than_addition, teardown),
        cmocka_unit_test_teardown(test_expr_parse_binds_and_tighter_than_or_and_not_tighter_than_and, teardown),
        cmocka_unit_test_teardown(test_expr_parse_puts_not_above_comparisons_as_spark_does, teardown),
        cmocka_unit_test_teardown(test_expr_parse_binds_comparisons_looser_than_arithmetic, teardown),
        cmocka_unit_test_teardown(test_expr_parse_reads_a_minus_before_a_number_as_a_negative_literal, teardown),
        cmocka_unit_test_teardown(test_expr_parse_makes_an_integer_too_big_for_a_long_a_double, teardown),
        cmocka_unit_test_teardown(test_expr_parse_expands_not_equal_to_not_of_equal, teardown),
        cmocka_unit_test_teardown(test_expr_parse_reads_predicates_on_a_whole_value_expression, teardown),
        cmocka_unit_test_teardown(test_expr_parse_expands_between_into_two_comparisons, teardown),
        cmocka_unit_test_teardown(test_expr_parse_reads_both_forms_of_case, teardown),
        cmocka_unit_test_teardown(test_expr_parse_reads_casts_calls_and_concatenation, teardown),
        cmocka_unit_test_teardown(test_expr_parse_reads_paths_with_indexes_and_back_quotes, teardown),
        cmocka_unit_test_teardown(test_expr_parse_concatenates_adjacent_string_literals, teardown),
        cmocka_unit_test_teardown(test_expr_parse_reads_literals_of_every_type, teardown),
        cmocka_unit_test_teardown(test_expr_parse_records_the_position_of_each_operator, teardown),
        cmocka_unit_test_teardown(test_expr_parse_takes_an_alias_with_or_without_as, teardown),
        cmocka_unit_test_teardown(test_expr_parse_reports_a_missing_closing_parenthesis, teardown),
        cmocka_unit_test_teardown(test_expr_parse_reports_a_missing_operand, teardown),
        cmocka_unit_test_teardown(test_expr_parse_reports_text_after_the_expression, teardown),
        cmocka_unit_test_teardown(test_expr_parse_reports_malformed_keywords_and_indexes, teardown),
        cmocka_unit_test_teardown(test_expr_parse_refuses_absurd_nesting, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
