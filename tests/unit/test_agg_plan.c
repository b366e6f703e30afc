/* Compiling aggregations (core/runtime/agg/agg_plan.c): Spark's output names, grouping
 * sets of cube and rollup, state layout, shared arguments, parameters, and
 * every error with its caret, using the aggregators of agg_testutil.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "agg_plan.h"
#include "agg_testutil.h"
#include "error.h"
#include "expr.h"
#include "schema.h"

#define INPUT "id LONG, n LONG, s STRING, data STRUCT<lang: STRING, public_metrics: STRUCT<like_count: LONG>>, " \
              "hashtag STRING"

static struct ArrowSchema input;

static int setup(void **state)
{
    struct sluice_error err;
    if (sluice_schema_parse(INPUT, &input, &err)) fail_msg("%s", err.message);
    return 0;
}

static int teardown(void **state)
{
    sluice_schema_release(&input);
    return 0;
}

#define LIST(...) ((const char *const[]){ __VA_ARGS__ })
#define N(...) (sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))

static int plan(enum sluice_agg_grouping g, const char *const *keys, size_t nk, const char *const *aggs, size_t na,
                struct sluice_agg_plan **p, struct sluice_agg_where *where, struct sluice_error *err)
{
    struct sluice_agg_spec spec = { .grouping = g, .keys = keys, .n_keys = nk, .aggs = aggs, .n_aggs = na };
    memset(err, 0, sizeof *err);
    return sluice_agg_plan_new(&spec, &input, &tu_catalog, p, where, err);
}

static struct sluice_agg_plan *plan_ok(enum sluice_agg_grouping g, const char *const *keys, size_t nk,
                                       const char *const *aggs, size_t na)
{
    struct sluice_agg_plan *p;
    struct sluice_error err;
    int rc = plan(g, keys, nk, aggs, na, &p, NULL, &err);
    if (rc) fail_msg("plan failed: %s (%s at %d)", err.message, err.excerpt, err.position);
    return p;
}

static const char *names(const struct sluice_agg_plan *p)
{
    static char buf[512];
    size_t used = 0;
    buf[0] = '\0';
    for (int64_t i = 0; i < p->output.n_children; i++)
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s %s%s", i ? ", " : "",
                                 p->output.children[i]->name, p->output.children[i]->format,
                                 p->output.children[i]->flags & ARROW_FLAG_NULLABLE ? "" : " not null");
    return buf;
}

static void test_plan_names_columns_as_spark_does(void **state)
{
    struct sluice_agg_plan *p =
        plan_ok(SLUICE_AGG_GROUP_BY, LIST("data.lang", "s AS str"), 2,
                LIST("count(*)", "sum(data.public_metrics.like_count)", "COUNT(DISTINCT n)", "sum(n) AS total",
                     "Sum(n + 1)", "count(`hashtag`)"),
                6);
    assert_string_equal(names(p), "lang u, str u, count(1) l not null, sum(data.public_metrics.like_count) l, "
                                  "count(DISTINCT n) u not null, total l, sum((n + 1)) l, count(hashtag) l not null");
    assert_int_equal(p->n_sets, 1);
    assert_int_equal(p->sets[0], 3);
    sluice_agg_plan_free(p);

    p = plan_ok(SLUICE_AGG_GROUP_BY, NULL, 0, LIST("count(1) AS n1"), 1);
    assert_string_equal(names(p), "n1 l not null");
    assert_int_equal(p->n_sets, 1);
    assert_int_equal(p->sets[0], 0);
    assert_int_equal(p->calls[0].arg, -1); /* count(1) counts rows: nothing to evaluate */
    sluice_agg_plan_free(p);
}

static void test_plan_lays_out_state_and_shares_arguments(void **state)
{
    int64_t unbinds = tu_unbinds;
    struct sluice_agg_plan *p = plan_ok(SLUICE_AGG_GROUP_BY, LIST("s"), 1,
                                        LIST("count(n)", "sum(n)", "gather( n )", "sum(id, 10)", "count(*)"), 5);
    assert_int_equal(p->n_args, 2); /* n and id */
    assert_int_equal(p->calls[0].arg, 0);
    assert_int_equal(p->calls[1].arg, 0);
    assert_int_equal(p->calls[2].arg, 0);
    assert_int_equal(p->calls[3].arg, 1);
    assert_int_equal(p->calls[4].arg, -1);
    assert_int_equal(((struct tu_bound *)p->calls[3].bound)->scale, 10); /* the literal reached bind */
    size_t gather = sizeof(struct tu_gather);
    assert_int_equal(p->calls[0].offset, 0);
    assert_int_equal(p->calls[1].offset, 16);
    assert_int_equal(p->calls[2].offset, 32);
    assert_int_equal(p->calls[3].offset, 32 + gather);
    assert_int_equal(p->state_size, 32 + gather + 32);
    assert_true(p->has_destroy);
    size_t n;
    const char **cols = sluice_agg_plan_columns(p, &n);
    assert_int_equal(n, 3);
    assert_string_equal(cols[0], "s");
    assert_string_equal(cols[1], "n");
    assert_string_equal(cols[2], "id");
    free(cols);
    sluice_agg_plan_free(p);
    assert_int_equal(tu_unbinds - unbinds, 5);
}

static void test_plan_builds_spark_grouping_sets_for_cube_and_rollup(void **state)
{
    struct sluice_agg_plan *p = plan_ok(SLUICE_AGG_CUBE, LIST("s", "hashtag", "n"), 3, LIST("count(*)"), 1);
    /* cube(a, b, c): (a,b,c) (a,b) (a,c) (a) (b,c) (b) (c) () */
    const uint32_t cube[] = { 7, 3, 5, 1, 6, 2, 4, 0 };
    assert_int_equal(p->n_sets, 8);
    for (size_t i = 0; i < 8; i++) assert_int_equal(p->sets[i], cube[i]);
    sluice_agg_plan_free(p);

    p = plan_ok(SLUICE_AGG_ROLLUP, LIST("s", "hashtag", "n"), 3, LIST("count(*)"), 1);
    const uint32_t rollup[] = { 7, 3, 1, 0 };
    assert_int_equal(p->n_sets, 4);
    for (size_t i = 0; i < 4; i++) assert_int_equal(p->sets[i], rollup[i]);
    sluice_agg_plan_free(p);

    p = plan_ok(SLUICE_AGG_CUBE, NULL, 0, LIST("count(*)"), 1);
    assert_int_equal(p->n_sets, 1);
    sluice_agg_plan_free(p);
}

/* The plan fails with `message` pointing at character `pos` of the entry. */
static void fails(enum sluice_agg_grouping g, const char *const *keys, size_t nk, const char *const *aggs, size_t na,
                  bool in_keys, size_t index, const char *message, int pos)
{
    struct sluice_agg_plan *p = (struct sluice_agg_plan *)1;
    struct sluice_agg_where where;
    struct sluice_error err;
    assert_int_not_equal(plan(g, keys, nk, aggs, na, &p, &where, &err), SLUICE_OK);
    assert_null(p);
    assert_string_equal(err.message, message);
    assert_int_equal(err.position, pos);
    assert_int_equal(where.in_keys, in_keys);
    assert_int_equal(where.index, index);
    if (pos) assert_string_equal(err.excerpt, in_keys ? keys[index] : aggs[index]);
}

static void test_plan_reports_bad_entries_with_a_caret(void **state)
{
    struct sluice_error err;
    struct sluice_agg_plan *p;
    assert_int_equal(plan(SLUICE_AGG_GROUP_BY, NULL, 0, LIST("count(*)", "avgg(n)"), 2, &p, NULL, &err),
                     SLUICE_ECONFIG);
    assert_string_equal(err.message, "unknown aggregate function 'avgg'");
    assert_string_equal(err.hint, "aggregate functions found: count, sum, gather, count_distinct");
    assert_int_equal(plan(SLUICE_AGG_GROUP_BY, NULL, 0, LIST("summ(n)"), 1, &p, NULL, &err), SLUICE_ECONFIG);
    assert_string_equal(err.hint, "did you mean 'sum'?");

    fails(SLUICE_AGG_GROUP_BY, NULL, 0, LIST("count(*)", "  avgg(n)"), 2, false, 1,
          "unknown aggregate function 'avgg'", 3);
    fails(SLUICE_AGG_GROUP_BY, NULL, 0, LIST("data.lang"), 1, false, 0,
          "expected an aggregate function call such as count(*) or avg(x)", 5);
    fails(SLUICE_AGG_GROUP_BY, NULL, 0, LIST("sum(n"), 1, false, 0, "missing ')' to close this '('", 4);
    fails(SLUICE_AGG_GROUP_BY, NULL, 0, LIST("sum(s = ')'"), 1, false, 0, "missing ')' to close this '('", 4);
    fails(SLUICE_AGG_GROUP_BY, NULL, 0, LIST("sum(s = ')')"), 1, false, 0,
          "expected a long argument, got boolean", 1);
    fails(SLUICE_AGG_GROUP_BY, NULL, 0, LIST("sum(n) AS"), 1, false, 0, "expected a name after AS", 10);
    fails(SLUICE_AGG_GROUP_BY, NULL, 0, LIST("sum(n) + 1"), 1, false, 0,
          "expected 'AS name' or the end of the aggregate, got '+ 1'", 8);
    fails(SLUICE_AGG_GROUP_BY, NULL, 0, LIST("sum(n) AS a b"), 1, false, 0, "unexpected 'b' after the alias", 13);
    fails(SLUICE_AGG_GROUP_BY, NULL, 0, LIST("sum(*)"), 1, false, 0, "'*' is an argument of count only", 5);
    fails(SLUICE_AGG_GROUP_BY, NULL, 0, LIST("count()"), 1, false, 0,
          "count() needs an argument: count(*) counts rows", 1);
    fails(SLUICE_AGG_GROUP_BY, NULL, 0, LIST("sum(DISTINCT n)"), 1, false, 0,
          "sum(DISTINCT ...) is not supported", 1);
    fails(SLUICE_AGG_GROUP_BY, NULL, 0, LIST("sum(n,)"), 1, false, 0, "expected an argument before ')'", 7);
    /* The argument's own error, moved from the argument into the entry. */
    fails(SLUICE_AGG_GROUP_BY, NULL, 0, LIST("count(*)", "sum(data.langg)"), 2, false, 1,
          "no column 'data.langg' in the input", 5);
    /* The aggregator refuses its argument: the caret is on the function. */
    fails(SLUICE_AGG_GROUP_BY, NULL, 0, LIST("  sum(s)"), 1, false, 0, "expected a long argument, got string", 3);
    /* Keys: the expression compiler's own caret, and the key named. */
    fails(SLUICE_AGG_GROUP_BY, LIST("s", "lenght(s)"), 2, LIST("count(*)"), 1, true, 1,
          "unknown function 'lenght'", 1);
    fails(SLUICE_AGG_GROUP_BY, LIST("s AS count(1)"), 1, LIST("count(*)"), 1, true, 0,
          "unexpected '(' at character 11", 11);
    fails(SLUICE_AGG_GROUP_BY, LIST("s"), 1, LIST("count(*)", "count(1)"), 2, false, 1,
          "duplicate output column 'count(1)'", 0);
    fails(SLUICE_AGG_GROUP_BY, LIST("s AS c"), 1, LIST("count(*) AS c"), 1, false, 0,
          "duplicate output column 'c'", 0);
    fails(SLUICE_AGG_GROUP_BY, NULL, 0, NULL, 0, false, 0, "no aggregate given", 0);
    const char *many[13] = { "s", "s", "s", "s", "s", "s", "s", "s", "s", "s", "s", "s", "s" };
    fails(SLUICE_AGG_CUBE, many, 13, LIST("count(*)"), 1, true, 12, "cube takes at most 12 keys, got 13", 0);
}

static void test_plan_hands_bind_literal_arguments_parsed_and_typed(void **state)
{
    struct sluice_agg_plan *p = plan_ok(SLUICE_AGG_GROUP_BY, NULL, 0,
                                        LIST("probe(n, 'pop', -0.5, CAST('7' AS LONG), null)"), 1);
    assert_int_equal(tu_n_params, 4);
    assert_int_equal(tu_params[0].type, SLUICE_TYPE_STRING);
    assert_string_equal(tu_params[0].s, "pop"); /* no quotes */
    assert_int_equal(tu_params[0].len, 3);
    assert_int_equal(tu_params[1].type, SLUICE_TYPE_DOUBLE);
    assert_true(tu_params[1].d == -0.5);
    assert_int_equal(tu_params[2].type, SLUICE_TYPE_LONG);
    assert_int_equal(tu_params[2].l, 7);
    assert_true(tu_params[2].d == 7.0);
    assert_int_equal(tu_params[3].type, SLUICE_TYPE_INVALID); /* null */
    sluice_agg_plan_free(p);
    p = plan_ok(SLUICE_AGG_GROUP_BY, NULL, 0, LIST("probe(n, true)"), 1);
    assert_int_equal(tu_params[0].type, SLUICE_TYPE_BOOLEAN);
    assert_int_equal(tu_params[0].l, 1);
    sluice_agg_plan_free(p);
}

static void test_plan_refuses_a_column_where_a_literal_argument_goes(void **state)
{
    /* A column name used to reach bind as if it were a literal. */
    fails(SLUICE_AGG_GROUP_BY, NULL, 0, LIST("sum(n, id)"), 1, false, 0,
          "'id' reads a column: arguments after the first must be constants", 8);
    fails(SLUICE_AGG_GROUP_BY, NULL, 0, LIST("sum(n, 1 +)"), 1, false, 0, "expected an expression at character 4, found the end", 11);
}

static void test_plan_refuses_an_aggregator_declaring_an_empty_state(void **state)
{
    struct sluice_error err;
    struct sluice_agg_plan *p;
    assert_int_equal(plan(SLUICE_AGG_GROUP_BY, NULL, 0, LIST("count(*)", "zero(n)"), 2, &p, NULL, &err),
                     SLUICE_EPLUGIN);
    assert_string_equal(err.message, "aggregator 'zero' declares a state of 0 bytes");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plan_names_columns_as_spark_does),
        cmocka_unit_test(test_plan_lays_out_state_and_shares_arguments),
        cmocka_unit_test(test_plan_builds_spark_grouping_sets_for_cube_and_rollup),
        cmocka_unit_test(test_plan_reports_bad_entries_with_a_caret),
        cmocka_unit_test(test_plan_hands_bind_literal_arguments_parsed_and_typed),
        cmocka_unit_test(test_plan_refuses_a_column_where_a_literal_argument_goes),
        cmocka_unit_test(test_plan_refuses_an_aggregator_declaring_an_empty_state),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
