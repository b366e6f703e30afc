/* The `select` transform, loaded from its real .so and driven through the
 * real host table (see transform_harness.h). */
#include "transform_harness.h"

#define SCHEMA "id LONG, data STRUCT<text: STRING, lang: STRING, m: STRUCT<likes: LONG>>, n LONG"

static const char *const ROWS =
    "{\"id\":1,\"data\":{\"text\":\"hi\",\"lang\":\"en\",\"m\":{\"likes\":3}},\"n\":10}\n"
    "{\"id\":2,\"data\":{\"lang\":\"fr\"}}\n"
    "{\"id\":3}\n"
    "{\"n\":40}\n";

static void test_select_moves_bare_columns_and_evaluates_nested_paths(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "select", SCHEMA, "columns = [\"data.lang AS lang\", \"id\", \"n AS count\"];");
    char buf[256];
    assert_string_equal(tx_names(t, buf, sizeof buf), "lang,id,count");
    char *ddl = tx_output_ddl(t);
    assert_string_equal(ddl, "STRUCT<lang: STRING, id: BIGINT, count: BIGINT>");
    free(ddl);
    /* Only the nested path is read by the stage; the moved columns are
     * traced through to whatever later stages read of them. */
    assert_string_equal(tx_used(t, buf, sizeof buf), "data.lang");
    assert_int_equal(tx_passed(t, 0), -1);
    assert_int_equal(tx_passed(t, 1), 0);
    assert_int_equal(tx_passed(t, 2), 2);

    struct sluice_batch in, out;
    tx_input(t, ROWS, &in);
    const void *ids = in.array.children[0]->buffers[1];
    const void *ns = in.array.children[2]->buffers[1];
    assert_int_equal(tx_process(t, &in, &out), SLUICE_OK);
    assert_ptr_equal(out.array.children[1]->buffers[1], ids); /* moved, not copied */
    assert_ptr_equal(out.array.children[2]->buffers[1], ns);
    char *got = tx_render(t, &out);
    assert_string_equal(got,
                        "{\"lang\":\"en\",\"id\":1,\"count\":10}\n"
                        "{\"lang\":\"fr\",\"id\":2,\"count\":null}\n"
                        "{\"lang\":null,\"id\":3,\"count\":null}\n"
                        "{\"lang\":null,\"id\":null,\"count\":40}\n");
    free(got);
    sluice_batch_release(&out);
}

static void test_select_names_a_nested_field_by_its_last_segment_as_spark_does(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "select", SCHEMA, "columns = [\"data.text\", \"data.m.likes\"];");
    char buf[256];
    assert_string_equal(tx_names(t, buf, sizeof buf), "text,likes");
    assert_string_equal(tx_used(t, buf, sizeof buf), "data.text,data.m.likes");
}

static void test_select_declares_paths_through_arrays_for_the_source_to_parse(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "select", "id LONG, users ARRAY<STRUCT<name: STRING, verified: BOOLEAN>>, `odd name` ARRAY<STRUCT<`a.b`: LONG>>",
               "columns = [\"users[1].verified AS v\", \"`odd name`[0].`a.b` AS x\"];");
    char buf[256];
    /* What the source must parse: the field of every element, nothing more. */
    assert_string_equal(tx_used(t, buf, sizeof buf), "users.verified,`odd name`.`a.b`");
    tx_expect(t,
              "{\"id\":1,\"users\":[{\"verified\":false},{\"name\":\"b\",\"verified\":true}],\"odd name\":[{\"a.b\":5}]}\n"
              "{\"id\":2,\"users\":[{\"verified\":true}]}\n",
              "{\"v\":true,\"x\":5}\n{\"v\":null,\"x\":null}\n");
}

static void test_select_star_stands_for_every_input_column(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "select", SCHEMA, "columns = [\"n\", \"*\"];");
    char buf[256];
    /* n comes first, moved; the `*` copy of n is evaluated from its name. */
    assert_string_equal(tx_names(t, buf, sizeof buf), "n,id,data,n");
    assert_int_equal(tx_passed(t, 0), 2);
    assert_int_equal(tx_passed(t, 1), 0);
    assert_int_equal(tx_passed(t, 2), 1);
    assert_int_equal(tx_passed(t, 3), -1);
    tx_expect(t, ROWS,
              "{\"n\":10,\"id\":1,\"data\":{\"text\":\"hi\",\"lang\":\"en\",\"m\":{\"likes\":3}},\"n\":10}\n"
              "{\"n\":null,\"id\":2,\"data\":{\"text\":null,\"lang\":\"fr\",\"m\":null},\"n\":null}\n"
              "{\"n\":null,\"id\":3,\"data\":null,\"n\":null}\n"
              "{\"n\":40,\"id\":null,\"data\":null,\"n\":40}\n");
}

static void test_select_struct_star_expands_its_fields_named_by_field_name(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "select", SCHEMA, "columns = [\"id\", \"data.*\", \"data.m.*\"];");
    char buf[256];
    assert_string_equal(tx_names(t, buf, sizeof buf), "id,text,lang,m,likes");
    char *ddl = tx_output_ddl(t);
    assert_string_equal(ddl, "STRUCT<id: BIGINT, text: STRING, lang: STRING, m: STRUCT<likes: BIGINT>, likes: BIGINT>");
    free(ddl);
    tx_expect(t, ROWS,
              "{\"id\":1,\"text\":\"hi\",\"lang\":\"en\",\"m\":{\"likes\":3},\"likes\":3}\n"
              "{\"id\":2,\"text\":null,\"lang\":\"fr\",\"m\":null,\"likes\":null}\n"
              "{\"id\":3,\"text\":null,\"lang\":null,\"m\":null,\"likes\":null}\n"
              "{\"id\":null,\"text\":null,\"lang\":null,\"m\":null,\"likes\":null}\n");
}

static void test_select_keeps_duplicate_names_as_spark_does(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "select", SCHEMA, "columns = [\"id\", \"id\", \"id + 1 AS id\"];");
    char buf[256];
    assert_string_equal(tx_names(t, buf, sizeof buf), "id,id,id");
    assert_int_equal(tx_passed(t, 0), 0);
    assert_int_equal(tx_passed(t, 1), -1); /* one node cannot sit in two places */
    tx_expect(t, "{\"id\":7}\n{}\n", "{\"id\":7,\"id\":7,\"id\":8}\n{\"id\":null,\"id\":null,\"id\":null}\n");
}

static void test_select_computes_expressions_with_aliases(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "select", SCHEMA,
               "columns = [\"upper(data.lang) AS lang\", \"n * 2 AS double_n\", \"data.lang IS NULL AS no_lang\"];");
    tx_expect(t, ROWS,
              "{\"lang\":\"EN\",\"double_n\":20,\"no_lang\":false}\n"
              "{\"lang\":\"FR\",\"double_n\":null,\"no_lang\":false}\n"
              "{\"lang\":null,\"double_n\":null,\"no_lang\":true}\n"
              "{\"lang\":null,\"double_n\":80,\"no_lang\":true}\n");
}

static void test_select_accepts_an_empty_batch(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "select", SCHEMA, "columns = [\"data.lang\", \"id\"];");
    tx_expect(t, "", "");
}

static void test_select_reads_batches_whose_columns_have_offsets(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "select", SCHEMA, "columns = [\"data.lang\", \"id\", \"data.m.likes\"];");
    struct sluice_batch in, out;
    tx_input(t, ROWS, &in);
    tx_slice(&in, 1, 2);
    assert_int_equal(tx_process(t, &in, &out), SLUICE_OK);
    char *got = tx_render(t, &out);
    assert_string_equal(got, "{\"lang\":\"fr\",\"id\":2,\"likes\":null}\n{\"lang\":null,\"id\":3,\"likes\":null}\n");
    free(got);
    sluice_batch_release(&out);
}

static void test_select_rejects_an_unknown_column_with_a_suggestion(void **state)
{
    struct tx *t = *state;
    assert_int_equal(tx_open(t, "select", SCHEMA, "columns = [\"id\", \"data.lagn AS lang\"];"), SLUICE_ECONFIG);
    assert_non_null(strstr(t->err.message, "data.lagn"));
    assert_non_null(strstr(t->err.hint, "data.lang"));
    assert_string_equal(t->err.key, "columns");
    assert_string_equal(t->err.excerpt, "data.lagn AS lang");
}

static void test_select_rejects_a_star_on_a_column_that_is_not_a_struct(void **state)
{
    struct tx *t = *state;
    assert_int_equal(tx_open(t, "select", SCHEMA, "columns = [\"n.*\"];"), SLUICE_ECONFIG);
    assert_string_equal(t->err.message, "cannot expand 'n.*': 'n' is a long, not a struct");
    assert_string_equal(t->err.key, "columns");
}

static void test_select_rejects_an_empty_column_list(void **state)
{
    struct tx *t = *state;
    assert_int_equal(tx_open(t, "select", SCHEMA, "columns = [];"), SLUICE_ECONFIG);
    assert_string_equal(t->err.key, "columns");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, tx_setup, tx_teardown)
        T(test_select_moves_bare_columns_and_evaluates_nested_paths),
        T(test_select_names_a_nested_field_by_its_last_segment_as_spark_does),
        T(test_select_declares_paths_through_arrays_for_the_source_to_parse),
        T(test_select_star_stands_for_every_input_column),
        T(test_select_struct_star_expands_its_fields_named_by_field_name),
        T(test_select_keeps_duplicate_names_as_spark_does),
        T(test_select_computes_expressions_with_aliases),
        T(test_select_accepts_an_empty_batch),
        T(test_select_reads_batches_whose_columns_have_offsets),
        T(test_select_rejects_an_unknown_column_with_a_suggestion),
        T(test_select_rejects_a_star_on_a_column_that_is_not_a_struct),
        T(test_select_rejects_an_empty_column_list),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
