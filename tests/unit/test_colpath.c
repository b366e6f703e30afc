/* Column paths against the lab's tweet schema: what resolves to which steps,
 * and the exact message and suggestion for each way a path can be wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "colpath.h"
#include "schema.h"

#define TWEET_SCHEMA "@" SLUICE_TEST_SOURCE_DIR "/configs/schemas/tweet.json"

static int setup(void **state)
{
    struct ArrowSchema *s = calloc(1, sizeof *s);
    struct sluice_error err = { 0 };
    if (sluice_schema_parse(TWEET_SCHEMA, s, &err)) fail_msg("%s", err.message);
    *state = s;
    return 0;
}

static int teardown(void **state)
{
    sluice_schema_release(*state);
    free(*state);
    return 0;
}

static struct sluice_col resolve_ok(const struct ArrowSchema *s, const char *path)
{
    struct sluice_col col;
    struct sluice_error err = { 0 };
    if (sluice_col_resolve(s, path, &col, &err)) fail_msg("'%s': %s", path, err.message);
    return col;
}

static void expect_error(const struct ArrowSchema *s, const char *path, const char *message,
                         const char *hint)
{
    struct sluice_col col;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_col_resolve(s, path, &col, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, message);
    assert_string_equal(err.hint, hint ? hint : "");
    assert_int_equal(col.depth, 0);
    assert_null(col.schema);
}

static void expect_steps(const struct sluice_col *col, const int32_t (*steps)[2], int n)
{
    assert_int_equal(col->depth, n);
    for (int i = 0; i < n; i++) {
        assert_int_equal(col->steps[i].child, steps[i][0]);
        assert_int_equal(col->steps[i].index, steps[i][1]);
    }
}

/* ---- resolving ---------------------------------------------------------- */

static void test_colpath_resolves_a_nested_struct_field_to_child_indices(void **state)
{
    struct sluice_col col = resolve_ok(*state, "data.public_metrics.like_count");
    const int32_t steps[][2] = { { 0, 0 }, { 6, 0 }, { 0, 0 } };
    expect_steps(&col, steps, 3);
    assert_int_equal(col.type, SLUICE_TYPE_LONG);
    assert_string_equal(col.schema->name, "like_count");
}

static void test_colpath_resolves_a_list_index_as_a_step_without_child(void **state)
{
    struct sluice_col col = resolve_ok(*state, "includes.users[0].verified");
    const int32_t steps[][2] = { { 1, 0 }, { 0, 0 }, { -1, 0 }, { 4, 0 } };
    expect_steps(&col, steps, 4);
    assert_int_equal(col.type, SLUICE_TYPE_BOOLEAN);
    assert_string_equal(col.schema->name, "verified");

    col = resolve_ok(*state, "data.entities.urls[3].images[12]");
    const int32_t steps2[][2] = { { 0, 0 }, { 5, 0 }, { 4, 0 }, { -1, 3 }, { 4, 0 }, { -1, 12 } };
    expect_steps(&col, steps2, 6);
    assert_int_equal(col.type, SLUICE_TYPE_STRUCT);

    col = resolve_ok(*state, "data.entities.hashtags");
    assert_int_equal(col.type, SLUICE_TYPE_ARRAY);
}

static void test_colpath_matches_names_case_insensitively_when_unique(void **state)
{
    struct sluice_col col = resolve_ok(*state, "DATA.Lang");
    const int32_t steps[][2] = { { 0, 0 }, { 3, 0 } };
    expect_steps(&col, steps, 2);
    assert_int_equal(col.type, SLUICE_TYPE_STRING);
}

static void test_colpath_reads_back_quoted_segments_and_ignores_outer_spaces(void **state)
{
    struct sluice_col col = resolve_ok(*state, "  `data`.`public_metrics`.like_count ");
    const int32_t steps[][2] = { { 0, 0 }, { 6, 0 }, { 0, 0 } };
    expect_steps(&col, steps, 3);

    struct ArrowSchema odd;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_schema_parse("`a b` STRUCT<`x``y`: ARRAY<LONG>, `c.d`: STRING>", &odd, &err), 0);
    col = resolve_ok(&odd, "`a b`.`x``y`[1]");
    const int32_t steps2[][2] = { { 0, 0 }, { 0, 0 }, { -1, 1 } };
    expect_steps(&col, steps2, 3);
    assert_int_equal(col.type, SLUICE_TYPE_LONG);
    col = resolve_ok(&odd, "`a b`.`c.d`");
    assert_string_equal(col.schema->name, "c.d");

    struct sluice_buf b = { 0 };
    sluice_col_projection_path(&odd, &col, &b);
    assert_string_equal(b.data, "`a b`.`c.d`");
    sluice_buf_free(&b);
    sluice_schema_release(&odd);
}

static void test_colpath_prefers_the_exact_case_and_rejects_an_ambiguous_one(void **state)
{
    struct ArrowSchema s;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_schema_parse("lang STRING, Lang LONG", &s, &err), 0);
    struct sluice_col col = resolve_ok(&s, "Lang");
    assert_int_equal(col.steps[0].child, 1);
    expect_error(&s, "LANG", "ambiguous column 'LANG': it matches both 'lang' and 'Lang'",
                 "write the name in its exact case");
    sluice_schema_release(&s);
}

/* ---- errors ------------------------------------------------------------- */

static void test_colpath_unknown_name_suggests_the_closest_path(void **state)
{
    expect_error(*state, "data.lagn", "no column 'data.lagn' in the input", "did you mean 'data.lang'?");
    /* The rest of the path is kept, and so are the user's indexes. */
    expect_error(*state, "data.public_metric.like_count", "no column 'data.public_metric' in the input",
                 "did you mean 'data.public_metrics.like_count'?");
    expect_error(*state, "includes.users[0].verifed", "no column 'includes.users[0].verifed' in the input",
                 "did you mean 'includes.users[0].verified'?");
    /* A name that exists only deeper down. */
    expect_error(*state, "like_count", "no column 'like_count' in the input",
                 "did you mean 'data.public_metrics.like_count'?");
    expect_error(*state, "nothing_like_this", "no column 'nothing_like_this' in the input", NULL);
}

/* Issue 11: `data.id` got "did you mean 'includes.users.id'?", a path in
 * another branch that itself needs an index. A suggestion is a typo away
 * or only adds the levels left out, and always resolves as written. */
static void test_colpath_suggests_only_close_paths_that_resolve(void **state)
{
    expect_error(*state, "data.id", "no column 'data.id' in the input", NULL);
    expect_error(*state, "data.xyz", "no column 'data.xyz' in the input", NULL);
    /* Arrays on the way get an index: the user's, else [0]. */
    expect_error(*state, "includes.user.id", "no column 'includes.user' in the input",
                 "did you mean 'includes.users[0].id'?");
    expect_error(*state, "includes.user[2].id", "no column 'includes.user' in the input",
                 "did you mean 'includes.users[2].id'?");
    expect_error(*state, "users[1].verified", "no column 'users' in the input",
                 "did you mean 'includes.users[1].verified'?");
    expect_error(*state, "verified", "no column 'verified' in the input", "did you mean 'includes.users[0].verified'?");
    expect_error(*state, "hashtags", "no column 'hashtags' in the input", "did you mean 'data.entities.hashtags'?");
    expect_error(*state, "data.entities.hashtag[0]", "no column 'data.entities.hashtag' in the input",
                 "did you mean 'data.entities.hashtags[0]'?");
    /* `end` is in three arrays of structs: a guess, so none. */
    expect_error(*state, "end", "no column 'end' in the input", NULL);
}

static void test_colpath_says_which_segment_has_the_wrong_type(void **state)
{
    expect_error(*state, "data.text[0]", "'data.text' is a string, not an array: cannot index it with [0]",
                 NULL);
    expect_error(*state, "data[1].lang", "'data' is a struct, not an array: cannot index it with [1]", NULL);
    expect_error(*state, "includes.users[0][2]",
                 "'includes.users[0]' is a struct, not an array: cannot index it with [2]", NULL);
    expect_error(*state, "data.text.length", "'data.text' is a string, not a struct: it has no field 'length'",
                 NULL);
    expect_error(*state, "data.entities.hashtags.tag",
                 "'data.entities.hashtags' is an array: use [N] or a function such as explode to reach 'tag'",
                 NULL);
    expect_error(*state, "data.entities.hashtags.tga", "no column 'data.entities.hashtags.tga' in the input",
                 "did you mean 'data.entities.hashtags[0].tag'?");
}

static void test_colpath_errors_put_the_caret_under_the_step_that_failed(void **state)
{
    struct sluice_col col;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_col_resolve(*state, " includes.users[0].verifed", &col, &err), SLUICE_ECONFIG);
    assert_string_equal(err.excerpt, "includes.users[0].verifed");
    assert_int_equal(err.position, 19);
    assert_int_equal(sluice_col_resolve(*state, "data.text[0]", &col, &err), SLUICE_ECONFIG);
    assert_int_equal(err.position, 10);
    assert_int_equal(sluice_col_resolve(*state, "data. lang", &col, &err), SLUICE_ECONFIG);
    assert_int_equal(err.position, 6);
    assert_int_equal(sluice_col_resolve(*state, "", &col, &err), SLUICE_ECONFIG);
    assert_string_equal(err.excerpt, "");
    assert_int_equal(err.position, 0);
}

static void test_colpath_rejects_bad_syntax_with_the_character(void **state)
{
    expect_error(*state, "", "empty column path", NULL);
    expect_error(*state, "data..lang", "column path 'data..lang': empty name at character 6", NULL);
    expect_error(*state, "data.", "column path 'data.': empty name at character 6", NULL);
    expect_error(*state, "data. lang", "column path 'data. lang': unexpected space at character 6",
                 "back-quote names that hold spaces: `my name`");
    expect_error(*state, "data.la ng", "column path 'data.la ng': unexpected space at character 8",
                 "back-quote names that hold spaces: `my name`");
    expect_error(*state, "`data.lang", "column path '`data.lang': unterminated back-quote at character 1",
                 NULL);
    expect_error(*state, "includes.users[x]",
                 "column path 'includes.users[x]': expected a number and ']' after '[' at character 15",
                 "an index is a non-negative integer, as in users[0]");
    expect_error(*state, "includes.users[-1]",
                 "column path 'includes.users[-1]': expected a number and ']' after '[' at character 15",
                 "an index is a non-negative integer, as in users[0]");
    expect_error(*state, "includes.users[99999999999]",
                 "column path 'includes.users[99999999999]': index at character 15 is too large", NULL);
    expect_error(*state, "data]", "column path 'data]': unexpected ']' at character 5", NULL);
    expect_error(*state, "[0]", "column path '[0]': expected a name at character 1, found '['", NULL);
    expect_error(*state, "a[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]",
                 "column path 'a[0][0][0][0][0][0][0][0][0][0][0][0][0][0][0][0]' is deeper than 16 steps",
                 NULL);
}

/* ---- projection paths --------------------------------------------------- */

static void test_colpath_projection_path_drops_list_steps(void **state)
{
    struct sluice_col col = resolve_ok(*state, "includes.users[0].verified");
    struct sluice_buf b = { 0 };
    sluice_col_projection_path(*state, &col, &b);
    assert_string_equal(b.data, "includes.users.verified");
    sluice_buf_free(&b);
}

static void test_colpath_leaf_paths_list_every_leaf_in_schema_order(void **state)
{
    size_t n;
    char **paths = sluice_schema_leaf_paths(*state, &n);
    /* data's 5 plain fields, annotations 5, cashtags 3, hashtags 3,
     * mentions 3, urls 9 and their images 3, public_metrics 4, users 5. */
    assert_int_equal(n, 5 + 5 + 3 + 3 + 3 + 9 + 3 + 4 + 5);
    assert_string_equal(paths[0], "data.author_id");
    assert_string_equal(paths[5], "data.entities.annotations.end");
    assert_string_equal(paths[n - 1], "includes.users.verified");
    for (size_t i = 0; i < n; i++) free(paths[i]);
    free(paths);

    struct ArrowSchema s;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_schema_parse("`a b` LONG, t ARRAY<STRING>, g ARRAY<ARRAY<STRUCT<x: LONG>>>, "
                                         "e STRUCT<>", &s, &err), 0);
    paths = sluice_schema_leaf_paths(&s, &n);
    assert_int_equal(n, 3);
    assert_string_equal(paths[0], "`a b`");
    assert_string_equal(paths[1], "t");
    assert_string_equal(paths[2], "g.x");
    for (size_t i = 0; i < n; i++) free(paths[i]);
    free(paths);
    sluice_schema_release(&s);
}

static void test_colpath_split_unquotes_segments_and_rejects_bad_paths(void **state)
{
    const char *segs[8];
    char storage[64];
    assert_int_equal(sluice_projection_path_split("includes.users.verified", storage, segs, 8), 3);
    assert_string_equal(segs[0], "includes");
    assert_string_equal(segs[1], "users");
    assert_string_equal(segs[2], "verified");

    assert_int_equal(sluice_projection_path_split("`a b`.`x``y`.`c.d`.``", storage, segs, 8), 4);
    assert_string_equal(segs[0], "a b");
    assert_string_equal(segs[1], "x`y");
    assert_string_equal(segs[2], "c.d");
    assert_string_equal(segs[3], "");

    assert_int_equal(sluice_projection_path_split("", storage, segs, 8), -1);
    assert_int_equal(sluice_projection_path_split("a..b", storage, segs, 8), -1);
    assert_int_equal(sluice_projection_path_split("a.", storage, segs, 8), -1);
    assert_int_equal(sluice_projection_path_split("`a", storage, segs, 8), -1);
    assert_int_equal(sluice_projection_path_split("`a`b", storage, segs, 8), -1);
    assert_int_equal(sluice_projection_path_split("a`b`", storage, segs, 8), -1);
    assert_int_equal(sluice_projection_path_split("a.b.c", storage, segs, 2), -1);
    assert_int_equal(sluice_projection_path_split("a.b", storage, segs, 2), 2);
}

static void test_colpath_projection_paths_split_back_into_the_schema_names(void **state)
{
    struct ArrowSchema s;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_schema_parse("`` LONG", &s, &err), 0);
    struct sluice_col empty = resolve_ok(&s, "``");
    struct sluice_buf e = { 0 };
    sluice_col_projection_path(&s, &empty, &e);
    assert_string_equal(e.data, "``");
    sluice_buf_free(&e);
    sluice_schema_release(&s);
    assert_int_equal(sluice_schema_parse("`we.ird` STRUCT<`x``y`: ARRAY<STRUCT<`z 1`: LONG>>>", &s, &err), 0);
    struct sluice_col col = resolve_ok(&s, "`we.ird`.`x``y`[0].`z 1`");
    struct sluice_buf b = { 0 };
    sluice_col_projection_path(&s, &col, &b);
    assert_string_equal(b.data, "`we.ird`.`x``y`.`z 1`");
    char *storage = malloc(b.len + 1);
    const char *segs[SLUICE_PATH_MAX_DEPTH];
    assert_int_equal(sluice_projection_path_split(b.data, storage, segs, SLUICE_PATH_MAX_DEPTH), 3);
    assert_string_equal(segs[0], "we.ird");
    assert_string_equal(segs[1], "x`y");
    assert_string_equal(segs[2], "z 1");
    free(storage);
    sluice_buf_free(&b);
    sluice_schema_release(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_colpath_resolves_a_nested_struct_field_to_child_indices),
        cmocka_unit_test(test_colpath_resolves_a_list_index_as_a_step_without_child),
        cmocka_unit_test(test_colpath_matches_names_case_insensitively_when_unique),
        cmocka_unit_test(test_colpath_reads_back_quoted_segments_and_ignores_outer_spaces),
        cmocka_unit_test(test_colpath_prefers_the_exact_case_and_rejects_an_ambiguous_one),
        cmocka_unit_test(test_colpath_unknown_name_suggests_the_closest_path),
        cmocka_unit_test(test_colpath_suggests_only_close_paths_that_resolve),
        cmocka_unit_test(test_colpath_says_which_segment_has_the_wrong_type),
        cmocka_unit_test(test_colpath_errors_put_the_caret_under_the_step_that_failed),
        cmocka_unit_test(test_colpath_rejects_bad_syntax_with_the_character),
        cmocka_unit_test(test_colpath_projection_path_drops_list_steps),
        cmocka_unit_test(test_colpath_leaf_paths_list_every_leaf_in_schema_order),
        cmocka_unit_test(test_colpath_split_unquotes_segments_and_rejects_bad_paths),
        cmocka_unit_test(test_colpath_projection_paths_split_back_into_the_schema_names),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
