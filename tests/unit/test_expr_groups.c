/* Expressions over an aggregation's groups (core/expr/expr_groups.c):
 * aggregate calls found as nodes, keys matched as trees, aliases expanded,
 * names printed from the tree, and the errors for what is not grouped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "expr.h"
#include "schema.h"

static struct ArrowSchema input, groups;
/* The calls registered, by text, as the SQL evaluator keeps them. */
static char calls[8][64];
static size_t n_calls;
static const int64_t key_columns[] = { 0 };
static const char *const keys[] = { "lower(lang)" };

static bool is_agg(void *arg, const char *name)
{
    (void)arg;
    return strcmp(name, "count") == 0 || strcmp(name, "sum") == 0;
}

static int add_agg(void *arg, const char *text, size_t off, size_t len, struct sluice_error *err)
{
    (void)arg, (void)err;
    for (size_t i = 0; i < n_calls; i++)
        if (strlen(calls[i]) == len && memcmp(calls[i], text + off, len) == 0) return SLUICE_OK;
    snprintf(calls[n_calls++], sizeof calls[0], "%.*s", (int)len, text + off);
    return SLUICE_OK;
}

/* count(*) is groups column 1, sum(n) column 2. */
static int agg_column(void *arg, const char *text, size_t off, size_t len, int64_t *col, const char **name)
{
    (void)arg;
    if (len == 8 && memcmp(text + off, "count(*)", 8) == 0) *col = 1, *name = "count(1)";
    else if (len == 6 && memcmp(text + off, "sum(n)", 6) == 0) *col = 2, *name = "sum(n)";
    else return SLUICE_EINTERNAL;
    return SLUICE_OK;
}

static const char *alias(void *arg, const char *name)
{
    (void)arg;
    return strcmp(name, "c") == 0 ? "count(*)" : strcmp(name, "loop") == 0 ? "loop + 1" : NULL;
}

static const struct sluice_expr_groups g = {
    .input = &input, .keys = keys, .n_keys = 1, .is_agg = is_agg, .add_agg = add_agg,
    .agg_column = agg_column, .alias = alias, .key_column = key_columns,
};

static int setup(void **state)
{
    (void)state;
    struct sluice_error err;
    if (sluice_schema_parse("lang STRING, n LONG", &input, &err)) fail_msg("%s", err.message);
    if (sluice_schema_parse("__k0 STRING, __a0 LONG, __a1 LONG", &groups, &err)) fail_msg("%s", err.message);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sluice_schema_release(&input);
    sluice_schema_release(&groups);
    return 0;
}

static void test_expr_groups_finds_each_aggregate_call_whole(void **state)
{
    (void)state;
    size_t found;
    struct sluice_error err = { 0 };
    n_calls = 0;
    assert_int_equal(sluice_expr_find_aggregates("sum(n) * 2 + COUNT(DISTINCT (lang)) - sum(n)", &g, &found, &err),
                     SLUICE_OK);
    assert_int_equal(found, 3);
    assert_int_equal(n_calls, 2);
    assert_string_equal(calls[0], "sum(n)");
    assert_string_equal(calls[1], "COUNT(DISTINCT (lang))");
    assert_int_equal(sluice_expr_find_aggregates("lower(lang) || 'count(*)'", &g, &found, &err), SLUICE_OK);
    assert_int_equal(found, 0);
    assert_int_equal(sluice_expr_find_aggregates("count(n", &g, &found, &err), SLUICE_ECONFIG);
}

/* Compiled over the groups: the result's name, and its column when bare. */
static void compiles(const char *text, const char *name, int64_t column)
{
    struct sluice_expr *e;
    struct sluice_error err = { 0 };
    if (sluice_expr_compile_over_groups(&groups, text, &g, &e, &err))
        fail_msg("'%s': %s (at %d)", text, err.message, err.position);
    assert_string_equal(sluice_expr_result(e)->name, name);
    assert_int_equal(sluice_expr_input_column(e), column);
    sluice_expr_free(e);
}

static void test_expr_groups_binds_keys_and_calls_to_columns(void **state)
{
    (void)state;
    compiles("count(*)", "count(1)", 1);
    compiles("LOWER( (lang) )", "lower(lang)", 0);
    compiles("count(*) * 2 + sum(n)", "((count(1) * 2) + sum(n))", -1);
    compiles("upper(lower(lang))", "upper(lower(lang))", -1);
    compiles("'count(*)'", "count(*)", -1); /* a string is a string */
    compiles("c > 1", "(count(1) > 1)", -1);   /* the alias, as the item it names */
    compiles("count(*) AS total", "total", 1);
}

static void fails(const char *text, const char *message, int position)
{
    struct sluice_expr *e;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_expr_compile_over_groups(&groups, text, &g, &e, &err), SLUICE_ECONFIG);
    assert_null(e);
    assert_string_equal(err.message, message);
    assert_int_equal(err.position, position);
}

static void test_expr_groups_refuses_what_is_not_grouped(void **state)
{
    (void)state;
    fails("lower(lang) || lang", "column 'lang' is neither in GROUP BY nor inside an aggregate function", 16);
    fails("n + count(*)", "column 'n' is neither in GROUP BY nor inside an aggregate function", 1);
    fails("__a0", "no column '__a0' in the input", 1);
    fails("loop", "alias 'loop' names itself at character 1", 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expr_groups_finds_each_aggregate_call_whole),
        cmocka_unit_test(test_expr_groups_binds_keys_and_calls_to_columns),
        cmocka_unit_test(test_expr_groups_refuses_what_is_not_grouped),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
