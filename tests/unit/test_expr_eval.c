/* Evaluating operators, paths and conditionals over a batch whose columns
 * carry offsets at every level (two garbage rows sliced off, struct and
 * list offsets pushed down) and nulls at every level, with Spark's results
 * for each row: arithmetic and its overflow and division rules,
 * comparisons, three-valued logic, IN, BETWEEN, CASE, if, coalesce. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "expr_testutil.h"

static struct ArrowSchema *schema;
static struct sluice_batch sliced, plain, single;
static struct ArrowSchema *single_schema;

static int setup(void **state)
{
    schema = tu_schema();
    tu_rows(schema, &sliced, true);
    tu_rows(schema, &plain, false);
    tu_single_row(&single_schema, &single);
    return 0;
}

static int teardown(void **state)
{
    sluice_batch_release(&sliced);
    sluice_batch_release(&plain);
    sluice_batch_release(&single);
    tu_schema_free(schema);
    tu_schema_free(single_schema);
    tu_free_bitmaps();
    return 0;
}

/* Every row of the sliced batch. */
static const char *rows(const char *text)
{
    return tu_eval(schema, &sliced, text);
}

/* A constant expression's value (one row). */
static const char *one(const char *text)
{
    return tu_eval(single_schema, &single, text);
}

static void test_expr_eval_reads_columns_through_offsets_at_every_level(void **state)
{
    assert_string_equal(rows("a"), "1, null, -7, 9223372036854775807");
    assert_string_equal(rows("s"), "'Hello COVID', null, 'Ünïcode ÀÉ covid', '  pad  '");
    assert_string_equal(rows("f"), "true, false, null, true");
    assert_string_equal(rows("ts"), "2021-05-03T07:55:40.000Z, null, 1999-12-31T23:59:59.500Z, 1970-01-01T00:00:00.000Z");
    assert_string_equal(rows("st.x"), "7, null, null, -1");
    assert_string_equal(rows("st.inner.z"), "'q', null, null, null");
    assert_string_equal(rows("`odd name`"), "'o1', null, 'o3', ''");
}

static void test_expr_eval_gathers_paths_through_array_indexes(void **state)
{
    assert_string_equal(rows("arr[0]"), "1, null, null, null");
    assert_string_equal(rows("arr[1]"), "2, null, 5, null");
    assert_string_equal(rows("sarr[1]"), "'b', null, 'c', null");
    assert_string_equal(rows("lst[0].v"), "1, null, null, null");
    assert_string_equal(rows("lst[1].w"), "null, null, null, 'w4'");
    assert_string_equal(rows("lst[1]"), "{2, null}, null, null, {null, 'w4'}");
}

/* Spark's GetArrayStructFields: a field of an array of structs is the
 * array of that field; a null struct gives a null element, a null array
 * null, and offsets at every level (the sliced batch) change nothing. */
static void test_expr_eval_takes_a_field_of_every_struct_of_an_array(void **state)
{
    assert_string_equal(rows("lst.v"), "[1, 2], null, [], [null, null]");
    assert_string_equal(rows("lst.w"), "['w1', null], null, [], [null, 'w4']");
    assert_string_equal(rows("size(lst.w)"), "2, -1, 0, 2");
    assert_string_equal(rows("element_at(lst.w, 2)"), "null, null, null, 'w4'");
    assert_string_equal(rows("array_contains(lst.v, 2)"), "true, null, false, null");
    assert_string_equal(tu_eval(schema, &plain, "lst.W"), "['w1', null], null, [], [null, 'w4']");
}

static void test_expr_eval_returns_structs_and_arrays_as_deep_copies(void **state)
{
    assert_string_equal(rows("st"), "{7, 'p', {'q'}}, null, {null, null, null}, {-1, '', {null}}");
    assert_string_equal(rows("st.inner"), "{'q'}, null, null, {null}");
    assert_string_equal(rows("arr"), "[1, 2, 3], null, [null, 5], []");
    assert_string_equal(rows("lst"), "[{1, 'w1'}, {2, null}], null, [], [null, {null, 'w4'}]");
}

static void test_expr_eval_gives_the_same_rows_with_or_without_offsets(void **state)
{
    const char *exprs[] = { "a + b", "lower(s) LIKE '%covid%'", "st", "lst", "lst.w", "arr[1]", "concat(s, t)",
                            "coalesce(st.inner.z, t)", "size(sarr)", "element_at(lst, -1)", "upper(s)" };
    for (size_t i = 0; i < sizeof exprs / sizeof exprs[0]; i++) {
        char want[8192];
        snprintf(want, sizeof want, "%s", tu_eval(schema, &plain, exprs[i]));
        assert_string_equal(rows(exprs[i]), want);
    }
}

static void test_expr_eval_does_arithmetic_with_nulls_and_long_wrapping(void **state)
{
    assert_string_equal(rows("a + b"), "11, null, -5, 9223372036854775806");
    assert_string_equal(rows("a - b"), "-9, null, -9, -9223372036854775808");
    assert_string_equal(rows("a * b"), "10, null, -14, -9223372036854775807");
    assert_string_equal(rows("a + 1"), "2, null, -6, -9223372036854775808");
    assert_string_equal(rows("-a"), "-1, null, 7, -9223372036854775807");
    assert_string_equal(rows("a + d"), "2.5, null, -9.5, 9.223372036854776e+18");
    assert_string_equal(rows("+d"), "1.5, null, -2.5, 0.0");
}

static void test_expr_eval_divides_as_double_and_gives_null_for_zero_divisors(void **state)
{
    assert_string_equal(rows("a / b"), "0.1, null, -3.5, -9.223372036854776e+18");
    assert_string_equal(rows("b / a"), "10.0, null, -0.2857142857142857, -1.0842021724855044e-19");
    assert_string_equal(rows("a / 0"), "null, null, null, null");
    assert_string_equal(rows("d / 0"), "null, null, null, null");
    assert_string_equal(one("7 / 2"), "3.5");
    assert_string_equal(one("7 / 0"), "null");
}

static void test_expr_eval_takes_remainders_with_the_dividends_sign(void **state)
{
    assert_string_equal(rows("a % b"), "1, null, -1, 0");
    assert_string_equal(rows("b % 0"), "null, null, null, null");
    assert_string_equal(rows("d % 2"), "1.5, null, -0.5, 0.0");
    assert_string_equal(one("7 % 0"), "null");
    assert_string_equal(one("7.5 % 0"), "null");
    assert_string_equal(one("-9223372036854775808 % -1"), "0");
    assert_string_equal(one("-7 % 3"), "-1");
}

static void test_expr_eval_promotes_strings_in_arithmetic_to_double(void **state)
{
    assert_string_equal(one("'1.5' + 1"), "2.5");
    assert_string_equal(one("'x' + 1"), "null");
    assert_string_equal(rows("b + t"), "null, null, null, null");
}

static void test_expr_eval_compares_values_of_every_type(void **state)
{
    assert_string_equal(rows("a > b"), "false, null, false, true");
    assert_string_equal(rows("a <= b"), "true, null, true, false");
    assert_string_equal(rows("a = 1"), "true, null, false, false");
    assert_string_equal(rows("a != 1"), "false, null, true, true");
    assert_string_equal(rows("d >= 0"), "true, null, false, true");
    assert_string_equal(rows("s < t"), "true, null, false, true");
    assert_string_equal(rows("t = 'pad'"), "false, false, false, true");
    assert_string_equal(rows("f = true"), "true, false, null, true");
    assert_string_equal(rows("ts < '2000-01-01'"), "false, null, true, true");
    assert_string_equal(one("'B' < 'a'"), "true");
    assert_string_equal(one("'ab' < 'abc'"), "true");
    assert_string_equal(one("1 = 1.0"), "true");
}

static void test_expr_eval_compares_strings_with_numbers_as_numbers(void **state)
{
    assert_string_equal(one("'10' > 9"), "true");
    assert_string_equal(one("' 1 ' = 1"), "true");
    assert_string_equal(one("'abc' = 1"), "null");
    assert_string_equal(one("'true' = true"), "true");
    assert_string_equal(one("'1.9' = 1"), "true"); /* a string cast to long drops the fraction */
}

static void test_expr_eval_orders_nan_above_every_number_and_equal_to_itself(void **state)
{
    assert_string_equal(one("CAST('nan' AS double) = CAST('NaN' AS double)"), "true");
    assert_string_equal(one("CAST('nan' AS double) > CAST('inf' AS double)"), "true");
    assert_string_equal(one("CAST('-inf' AS double) < -1e308"), "true");
}

static void test_expr_eval_compares_null_safely_with_the_spaceship(void **state)
{
    assert_string_equal(rows("a <=> NULL"), "false, true, false, false");
    assert_string_equal(rows("d <=> st.x"), "false, true, false, false");
    assert_string_equal(one("NULL <=> NULL"), "true");
}

static void test_expr_eval_uses_three_valued_logic(void **state)
{
    assert_string_equal(one("NULL AND false"), "false");
    assert_string_equal(one("false AND NULL"), "false");
    assert_string_equal(one("NULL AND true"), "null");
    assert_string_equal(one("NULL OR true"), "true");
    assert_string_equal(one("NULL OR false"), "null");
    assert_string_equal(one("NOT NULL"), "null");
    assert_string_equal(rows("f AND a > 0"), "true, false, false, true");
    assert_string_equal(rows("f OR a > 0"), "true, null, null, true");
    assert_string_equal(rows("NOT f"), "false, true, null, false");
    assert_string_equal(rows("f AND NOT f"), "false, false, null, false");
}

static void test_expr_eval_tests_for_null_at_every_level(void **state)
{
    assert_string_equal(rows("s IS NULL"), "false, true, false, false");
    assert_string_equal(rows("s IS NOT NULL"), "true, false, true, true");
    assert_string_equal(rows("st IS NULL"), "false, true, false, false");
    assert_string_equal(rows("st.inner IS NULL"), "false, true, true, false");
    assert_string_equal(rows("lst[0] IS NULL"), "false, true, true, true");
    assert_string_equal(rows("arr IS NOT NULL"), "true, false, true, true");
}

static void test_expr_eval_matches_in_lists_with_sql_null_rules(void **state)
{
    assert_string_equal(rows("a IN (1, -7)"), "true, null, true, false");
    assert_string_equal(rows("a IN (1, NULL)"), "true, null, null, null");
    assert_string_equal(rows("a NOT IN (1, NULL)"), "false, null, null, null");
    assert_string_equal(rows("t IN ('x', 'pad', '')"), "true, true, false, true");
    assert_string_equal(rows("a IN (b, 1.0)"), "true, null, false, false");
    assert_string_equal(one("1 IN ('1', 'x')"), "true"); /* the list is strings: compared as strings */
}

static void test_expr_eval_tests_between_inclusively(void **state)
{
    assert_string_equal(rows("a BETWEEN -7 AND 1"), "true, null, true, false");
    assert_string_equal(rows("a NOT BETWEEN -7 AND 1"), "false, null, false, true");
    assert_string_equal(rows("t BETWEEN 'a' AND 'x'"), "true, false, true, true");
}

static void test_expr_eval_picks_the_first_true_case_branch(void **state)
{
    assert_string_equal(rows("CASE WHEN a > 0 THEN 'pos' WHEN a < 0 THEN 'neg' END"), "'pos', null, 'neg', 'pos'");
    assert_string_equal(rows("CASE b WHEN 0 THEN 'zero' WHEN 2 THEN 'two' ELSE 'other' END"),
                        "'other', 'zero', 'two', 'other'");
    assert_string_equal(rows("CASE WHEN f THEN a ELSE d END"), "1.0, null, -2.5, 9.223372036854776e+18");
    assert_string_equal(rows("CASE WHEN f THEN st.inner END"), "{'q'}, null, null, {null}");
}

static void test_expr_eval_takes_the_else_branch_of_if_on_null(void **state)
{
    assert_string_equal(rows("if(f, a, b)"), "1, 0, 2, 9223372036854775807");
    assert_string_equal(rows("if(f, s, t)"), "'Hello COVID', '', 'abc', '  pad  '");
    assert_string_equal(one("if(NULL, 1, 2)"), "2");
}

static void test_expr_eval_coalesces_to_the_first_non_null(void **state)
{
    assert_string_equal(rows("coalesce(a, b)"), "1, 0, -7, 9223372036854775807");
    assert_string_equal(rows("coalesce(s, t)"), "'Hello COVID', '', 'Ünïcode ÀÉ covid', '  pad  '");
    assert_string_equal(rows("coalesce(st.inner.z, st.y, 'none')"), "'q', 'none', 'none', ''");
    assert_string_equal(rows("coalesce(lst[1], lst[0])"), "{2, null}, null, null, {null, 'w4'}");
    assert_string_equal(one("coalesce(NULL, NULL, 3)"), "3");
    assert_string_equal(one("coalesce(NULL)"), "null");
}

static void test_expr_eval_merges_structs_from_different_columns(void **state)
{
    struct ArrowSchema pq;
    struct sluice_error err = { 0 };
    if (sluice_schema_parse("p STRUCT<x: BIGINT, y: STRING>, q STRUCT<x: BIGINT, y: STRING>", &pq, &err))
        fail_msg("%s", err.message);
    struct sluice_builder *b = sluice_builder_new(&pq);
    for (int r = 0; r < 3; r++) {
        sluice_builder_append_struct(b);
        if (r == 1) {
            tu_null(&b->children[0]);
        } else {
            sluice_builder_append_struct(&b->children[0]);
            tu_long(&b->children[0].children[0], r);
            tu_str(&b->children[0].children[1], "p");
        }
        if (r == 2) {
            tu_null(&b->children[1]);
        } else {
            sluice_builder_append_struct(&b->children[1]);
            tu_long(&b->children[1].children[0], 10 + r);
            tu_null(&b->children[1].children[1]);
        }
    }
    struct sluice_batch batch;
    sluice_builder_finish(b, &batch);
    sluice_builder_free(b);
    assert_string_equal(tu_eval(&pq, &batch, "coalesce(p, q)"), "{0, 'p'}, {11, null}, {2, 'p'}");
    assert_string_equal(tu_eval(&pq, &batch, "if(p.x > 0, p, q)"), "{10, null}, {11, null}, {2, 'p'}");
    sluice_batch_release(&batch);
    sluice_schema_release(&pq);
}

static void test_expr_eval_evaluates_a_shared_operand_once_per_batch(void **state)
{
    /* BETWEEN and CASE x WHEN share their operand; the result must still be per row. */
    assert_string_equal(rows("CASE lower(t) WHEN 'x' THEN 1 WHEN 'pad' THEN 2 ELSE 0 END"), "1, 0, 0, 2");
    assert_string_equal(rows("length(s) BETWEEN 7 AND 11"), "true, null, false, true");
}

static void test_expr_eval_handles_an_empty_batch(void **state)
{
    struct sluice_builder *b = sluice_builder_new(schema);
    struct sluice_batch empty;
    sluice_builder_finish(b, &empty);
    sluice_builder_free(b);
    assert_string_equal(tu_eval(schema, &empty, "lower(s) LIKE '%x%' AND a + 1 > 2"), "");
    assert_string_equal(tu_eval(schema, &empty, "st"), "");
    assert_string_equal(tu_eval(schema, &empty, "concat(s, 'x')"), "");
    sluice_batch_release(&empty);
}

static void test_expr_eval_refuses_a_batch_of_another_schema(void **state)
{
    struct sluice_expr *e;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_expr_compile(schema, "a", &e, &err), SLUICE_OK);
    struct ArrowArray out;
    assert_int_equal(sluice_expr_eval(e, &single, &out, &err), SLUICE_EINTERNAL);
    assert_string_equal(err.message, "expression 'a': the batch has 1 columns, the schema it was compiled against 12");
    sluice_expr_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expr_eval_reads_columns_through_offsets_at_every_level),
        cmocka_unit_test(test_expr_eval_takes_a_field_of_every_struct_of_an_array),
        cmocka_unit_test(test_expr_eval_gathers_paths_through_array_indexes),
        cmocka_unit_test(test_expr_eval_returns_structs_and_arrays_as_deep_copies),
        cmocka_unit_test(test_expr_eval_gives_the_same_rows_with_or_without_offsets),
        cmocka_unit_test(test_expr_eval_does_arithmetic_with_nulls_and_long_wrapping),
        cmocka_unit_test(test_expr_eval_divides_as_double_and_gives_null_for_zero_divisors),
        cmocka_unit_test(test_expr_eval_takes_remainders_with_the_dividends_sign),
        cmocka_unit_test(test_expr_eval_promotes_strings_in_arithmetic_to_double),
        cmocka_unit_test(test_expr_eval_compares_values_of_every_type),
        cmocka_unit_test(test_expr_eval_compares_strings_with_numbers_as_numbers),
        cmocka_unit_test(test_expr_eval_orders_nan_above_every_number_and_equal_to_itself),
        cmocka_unit_test(test_expr_eval_compares_null_safely_with_the_spaceship),
        cmocka_unit_test(test_expr_eval_uses_three_valued_logic),
        cmocka_unit_test(test_expr_eval_tests_for_null_at_every_level),
        cmocka_unit_test(test_expr_eval_matches_in_lists_with_sql_null_rules),
        cmocka_unit_test(test_expr_eval_tests_between_inclusively),
        cmocka_unit_test(test_expr_eval_picks_the_first_true_case_branch),
        cmocka_unit_test(test_expr_eval_takes_the_else_branch_of_if_on_null),
        cmocka_unit_test(test_expr_eval_coalesces_to_the_first_non_null),
        cmocka_unit_test(test_expr_eval_merges_structs_from_different_columns),
        cmocka_unit_test(test_expr_eval_evaluates_a_shared_operand_once_per_batch),
        cmocka_unit_test(test_expr_eval_handles_an_empty_batch),
        cmocka_unit_test(test_expr_eval_refuses_a_batch_of_another_schema),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
