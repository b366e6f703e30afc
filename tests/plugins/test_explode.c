/* The `explode` transform, loaded from its real .so and driven through the
 * real host table (see transform_harness.h). */
#include "transform_harness.h"

#define SCHEMA "id LONG, tags ARRAY<STRING>, data STRUCT<hashtags: ARRAY<STRUCT<start: LONG, tag: STRING>>>"

static const char *const ROWS =
    "{\"id\":1,\"tags\":[\"a\",\"b\",\"c\"]}\n"
    "{\"id\":2,\"tags\":[]}\n"
    "{\"id\":3}\n"
    "{\"id\":4,\"tags\":[null,\"d\"]}\n"
    "{\"id\":5,\"tags\":[\"e\"]}\n";

static void test_explode_gives_one_row_per_element_with_the_other_columns_repeated(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "explode", SCHEMA, "column = \"tags\"; alias = \"tag\";");
    char *ddl = tx_output_ddl(t);
    assert_string_equal(ddl, "STRUCT<id: BIGINT, tags: ARRAY<STRING>, data: STRUCT<hashtags: "
                             "ARRAY<STRUCT<start: BIGINT, tag: STRING>>>, tag: STRING>");
    free(ddl);
    char buf[256];
    assert_string_equal(tx_used(t, buf, sizeof buf), "tags");
    assert_int_equal(tx_passed(t, 0), 0);
    assert_int_equal(tx_passed(t, 3), -1);
    /* Empty and null arrays give no row; a null element is a row. */
    tx_expect(t, ROWS,
              "{\"id\":1,\"tags\":[\"a\",\"b\",\"c\"],\"data\":null,\"tag\":\"a\"}\n"
              "{\"id\":1,\"tags\":[\"a\",\"b\",\"c\"],\"data\":null,\"tag\":\"b\"}\n"
              "{\"id\":1,\"tags\":[\"a\",\"b\",\"c\"],\"data\":null,\"tag\":\"c\"}\n"
              "{\"id\":4,\"tags\":[null,\"d\"],\"data\":null,\"tag\":null}\n"
              "{\"id\":4,\"tags\":[null,\"d\"],\"data\":null,\"tag\":\"d\"}\n"
              "{\"id\":5,\"tags\":[\"e\"],\"data\":null,\"tag\":\"e\"}\n");
}

static void test_explode_outer_keeps_null_and_empty_arrays_as_a_null_row(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "explode", "id LONG, tags ARRAY<STRING>", "column = \"tags\"; explode_outer = true;");
    char buf[256];
    assert_string_equal(tx_names(t, buf, sizeof buf), "id,tags,col"); /* Spark's default name */
    tx_expect(t, ROWS,
              "{\"id\":1,\"tags\":[\"a\",\"b\",\"c\"],\"col\":\"a\"}\n"
              "{\"id\":1,\"tags\":[\"a\",\"b\",\"c\"],\"col\":\"b\"}\n"
              "{\"id\":1,\"tags\":[\"a\",\"b\",\"c\"],\"col\":\"c\"}\n"
              "{\"id\":2,\"tags\":[],\"col\":null}\n"
              "{\"id\":3,\"tags\":null,\"col\":null}\n"
              "{\"id\":4,\"tags\":[null,\"d\"],\"col\":null}\n"
              "{\"id\":4,\"tags\":[null,\"d\"],\"col\":\"d\"}\n"
              "{\"id\":5,\"tags\":[\"e\"],\"col\":\"e\"}\n");
}

static void test_explode_reaches_a_nested_array_of_structs_as_in_the_lab(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "explode", SCHEMA, "column = \"data.hashtags\"; alias = \"hashtag\";");
    char *ddl = tx_output_ddl(t);
    assert_non_null(strstr(ddl, ", hashtag: STRUCT<start: BIGINT, tag: STRING>>"));
    free(ddl);
    char buf[256];
    assert_string_equal(tx_used(t, buf, sizeof buf), "data.hashtags");
    tx_expect(t,
              "{\"id\":1,\"data\":{\"hashtags\":[{\"start\":0,\"tag\":\"x\"},{\"start\":5,\"tag\":\"y\"}]}}\n"
              "{\"id\":2,\"data\":{}}\n"
              "{\"id\":3}\n"
              "{\"id\":4,\"data\":{\"hashtags\":[{\"start\":9}]}}\n",
              "{\"id\":1,\"tags\":null,\"data\":{\"hashtags\":[{\"start\":0,\"tag\":\"x\"},{\"start\":5,\"tag\":\"y\"}]},"
              "\"hashtag\":{\"start\":0,\"tag\":\"x\"}}\n"
              "{\"id\":1,\"tags\":null,\"data\":{\"hashtags\":[{\"start\":0,\"tag\":\"x\"},{\"start\":5,\"tag\":\"y\"}]},"
              "\"hashtag\":{\"start\":5,\"tag\":\"y\"}}\n"
              "{\"id\":4,\"tags\":null,\"data\":{\"hashtags\":[{\"start\":9,\"tag\":null}]},"
              "\"hashtag\":{\"start\":9,\"tag\":null}}\n");
}

static void test_explode_moves_the_input_columns_when_each_row_has_one_element(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "explode", "id LONG, tags ARRAY<STRING>", "column = \"tags\";");
    struct sluice_batch in, out;
    tx_input(t, "{\"id\":1,\"tags\":[\"a\"]}\n{\"id\":2,\"tags\":[\"b\"]}\n", &in);
    const void *ids = in.array.children[0]->buffers[1];
    assert_int_equal(tx_process(t, &in, &out), SLUICE_OK);
    assert_ptr_equal(out.array.children[0]->buffers[1], ids);
    char *got = tx_render(t, &out);
    assert_string_equal(got, "{\"id\":1,\"tags\":[\"a\"],\"col\":\"a\"}\n{\"id\":2,\"tags\":[\"b\"],\"col\":\"b\"}\n");
    free(got);
    sluice_batch_release(&out);
}

static void test_explode_reads_batches_whose_columns_have_offsets(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "explode", "id LONG, tags ARRAY<STRING>", "column = \"tags\"; alias = \"tag\";");
    struct sluice_batch in, out;
    tx_input(t, ROWS, &in);
    tx_slice(&in, 2, 3); /* ids 3, 4, 5: the list's offsets start past the first rows' elements */
    assert_int_equal(tx_process(t, &in, &out), SLUICE_OK);
    char *got = tx_render(t, &out);
    assert_string_equal(got,
                        "{\"id\":4,\"tags\":[null,\"d\"],\"tag\":null}\n"
                        "{\"id\":4,\"tags\":[null,\"d\"],\"tag\":\"d\"}\n"
                        "{\"id\":5,\"tags\":[\"e\"],\"tag\":\"e\"}\n");
    free(got);
    sluice_batch_release(&out);
}

static void test_explode_gives_an_empty_batch_when_no_row_has_elements(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "explode", SCHEMA, "column = \"tags\";");
    struct sluice_batch in, out;
    tx_input(t, "{\"id\":1,\"tags\":[]}\n{\"id\":2}\n", &in);
    assert_int_equal(tx_process(t, &in, &out), SLUICE_OK);
    assert_int_equal(out.array.length, 0);
    assert_int_equal(out.array.n_children, 4);
    sluice_batch_release(&out);
    tx_expect(t, "", "");
}

static void test_explode_takes_any_array_expression(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "explode", "id LONG, tags ARRAY<STRING>",
               "column = \"if(size(tags) > 1, tags, NULL)\"; alias = \"t\";");
    tx_expect(t, "{\"id\":1,\"tags\":[\"a\",\"b\"]}\n{\"id\":2,\"tags\":[\"c\"]}\n",
              "{\"id\":1,\"tags\":[\"a\",\"b\"],\"t\":\"a\"}\n{\"id\":1,\"tags\":[\"a\",\"b\"],\"t\":\"b\"}\n");
}

static void test_explode_rejects_a_column_that_is_not_an_array(void **state)
{
    struct tx *t = *state;
    assert_int_equal(tx_open(t, "explode", SCHEMA, "column = \"id\";"), SLUICE_ECONFIG);
    assert_string_equal(t->err.message, "cannot explode 'id': it is a long, not an array or a map");
    assert_string_equal(t->err.key, "column");
}

static void test_explode_rejects_an_unknown_column_with_a_suggestion(void **state)
{
    struct tx *t = *state;
    assert_int_equal(tx_open(t, "explode", SCHEMA, "column = \"data.hashtag\";"), SLUICE_ECONFIG);
    assert_non_null(strstr(t->err.message, "data.hashtag"));
    assert_non_null(strstr(t->err.hint, "data.hashtags"));
    assert_string_equal(t->err.key, "column");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, tx_setup, tx_teardown)
        T(test_explode_gives_one_row_per_element_with_the_other_columns_repeated),
        T(test_explode_outer_keeps_null_and_empty_arrays_as_a_null_row),
        T(test_explode_reaches_a_nested_array_of_structs_as_in_the_lab),
        T(test_explode_moves_the_input_columns_when_each_row_has_one_element),
        T(test_explode_reads_batches_whose_columns_have_offsets),
        T(test_explode_gives_an_empty_batch_when_no_row_has_elements),
        T(test_explode_takes_any_array_expression),
        T(test_explode_rejects_a_column_that_is_not_an_array),
        T(test_explode_rejects_an_unknown_column_with_a_suggestion),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
