/* The `with_column` transform, loaded from its real .so and driven through
 * the real host table (see transform_harness.h). */
#include "transform_harness.h"

#define SCHEMA "id LONG, data STRUCT<text: STRING, lang: STRING>, n LONG"

static const char *const ROWS =
    "{\"id\":1,\"data\":{\"text\":\"COVID-19 cases rise\",\"lang\":\"en\"},\"n\":10}\n"
    "{\"id\":2,\"data\":{\"text\":\"vaccines work\",\"lang\":\"fr\"},\"n\":-3}\n"
    "{\"id\":3,\"data\":{\"lang\":\"de\"}}\n"
    "{\"id\":4}\n"
    "{\"id\":5,\"data\":{\"text\":\"#covid_19 is over\"}}\n";

static void test_with_column_appends_a_new_column_after_the_input_columns(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "with_column", SCHEMA,
               "column = \"covid_related\"; expr = \"lower(data.text) LIKE '%covid%'\";");
    char buf[256];
    char *ddl = tx_output_ddl(t);
    assert_string_equal(ddl,
                        "STRUCT<id: BIGINT, data: STRUCT<text: STRING, lang: STRING>, n: BIGINT, covid_related: BOOLEAN>");
    free(ddl);
    assert_string_equal(tx_used(t, buf, sizeof buf), "data.text");
    assert_int_equal(tx_passed(t, 0), 0);
    assert_int_equal(tx_passed(t, 1), 1);
    assert_int_equal(tx_passed(t, 2), 2);
    assert_int_equal(tx_passed(t, 3), -1);

    struct sluice_batch in, out;
    tx_input(t, ROWS, &in);
    const void *texts = in.array.children[1]->children[0]->buffers[2];
    assert_int_equal(tx_process(t, &in, &out), SLUICE_OK);
    assert_ptr_equal(out.array.children[1]->children[0]->buffers[2], texts); /* moved, not copied */
    char *got = tx_render(t, &out);
    assert_string_equal(got,
                        "{\"id\":1,\"data\":{\"text\":\"COVID-19 cases rise\",\"lang\":\"en\"},\"n\":10,\"covid_related\":true}\n"
                        "{\"id\":2,\"data\":{\"text\":\"vaccines work\",\"lang\":\"fr\"},\"n\":-3,\"covid_related\":false}\n"
                        "{\"id\":3,\"data\":{\"text\":null,\"lang\":\"de\"},\"n\":null,\"covid_related\":null}\n"
                        "{\"id\":4,\"data\":null,\"n\":null,\"covid_related\":null}\n"
                        "{\"id\":5,\"data\":{\"text\":\"#covid_19 is over\",\"lang\":null},\"n\":null,\"covid_related\":true}\n");
    free(got);
    sluice_batch_release(&out);
}

static void test_with_column_replaces_a_column_in_place_ignoring_case(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "with_column", SCHEMA, "column = \"ID\"; expr = \"n / 4\";");
    char *ddl = tx_output_ddl(t);
    /* Same position, the new spelling, and `/` is always double as in Spark. */
    assert_string_equal(ddl, "STRUCT<ID: DOUBLE, data: STRUCT<text: STRING, lang: STRING>, n: BIGINT>");
    free(ddl);
    assert_int_equal(tx_passed(t, 0), -1);
    assert_int_equal(tx_passed(t, 2), 2);
    tx_expect(t, "{\"id\":1,\"n\":10}\n{\"id\":2}\n",
              "{\"ID\":2.5,\"data\":null,\"n\":10}\n{\"ID\":null,\"data\":null,\"n\":null}\n");
}

static void test_with_column_moves_a_column_set_to_itself_without_evaluating(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "with_column", SCHEMA, "column = \"n\"; expr = \"n\";");
    char buf[256];
    assert_int_equal(tx_passed(t, 2), 2);
    assert_string_equal(tx_used(t, buf, sizeof buf), "");
    struct sluice_batch in, out;
    tx_input(t, ROWS, &in);
    const void *ns = in.array.children[2]->buffers[1];
    assert_int_equal(tx_process(t, &in, &out), SLUICE_OK);
    assert_ptr_equal(out.array.children[2]->buffers[1], ns);
    sluice_batch_release(&out);
}

static void test_with_column_evaluates_a_copy_of_another_column(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "with_column", SCHEMA, "column = \"m\"; expr = \"n\";");
    char buf[256];
    assert_string_equal(tx_names(t, buf, sizeof buf), "id,data,n,m");
    assert_int_equal(tx_passed(t, 2), 2);
    assert_int_equal(tx_passed(t, 3), -1);
    tx_expect(t, "{\"n\":1}\n{}\n", "{\"id\":null,\"data\":null,\"n\":1,\"m\":1}\n{\"id\":null,\"data\":null,\"n\":null,\"m\":null}\n");
}

static void test_with_column_accepts_an_empty_batch(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "with_column", SCHEMA, "column = \"x\"; expr = \"n + 1\";");
    tx_expect(t, "", "");
}

static void test_with_column_reads_batches_whose_columns_have_offsets(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "with_column", SCHEMA, "column = \"lang\"; expr = \"coalesce(data.lang, 'none')\";");
    struct sluice_batch in, out;
    tx_input(t, ROWS, &in);
    tx_slice(&in, 2, 3);
    assert_int_equal(tx_process(t, &in, &out), SLUICE_OK);
    char *got = tx_render(t, &out);
    assert_string_equal(got,
                        "{\"id\":3,\"data\":{\"text\":null,\"lang\":\"de\"},\"n\":null,\"lang\":\"de\"}\n"
                        "{\"id\":4,\"data\":null,\"n\":null,\"lang\":\"none\"}\n"
                        "{\"id\":5,\"data\":{\"text\":\"#covid_19 is over\",\"lang\":null},\"n\":null,\"lang\":\"none\"}\n");
    free(got);
    sluice_batch_release(&out);
}

static void test_with_column_rejects_an_unknown_column_with_a_suggestion(void **state)
{
    struct tx *t = *state;
    assert_int_equal(tx_open(t, "with_column", SCHEMA, "column = \"x\"; expr = \"lower(data.txet)\";"),
                     SLUICE_ECONFIG);
    assert_non_null(strstr(t->err.message, "data.txet"));
    assert_non_null(strstr(t->err.hint, "data.text"));
    assert_string_equal(t->err.key, "expr");
    assert_string_equal(t->err.excerpt, "lower(data.txet)");
    assert_int_equal(t->err.position, 7);
}

static void test_with_column_rejects_an_empty_name(void **state)
{
    struct tx *t = *state;
    assert_int_equal(tx_open(t, "with_column", SCHEMA, "column = \"\"; expr = \"1\";"), SLUICE_ECONFIG);
    assert_string_equal(t->err.key, "column");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, tx_setup, tx_teardown)
        T(test_with_column_appends_a_new_column_after_the_input_columns),
        T(test_with_column_replaces_a_column_in_place_ignoring_case),
        T(test_with_column_moves_a_column_set_to_itself_without_evaluating),
        T(test_with_column_evaluates_a_copy_of_another_column),
        T(test_with_column_accepts_an_empty_batch),
        T(test_with_column_reads_batches_whose_columns_have_offsets),
        T(test_with_column_rejects_an_unknown_column_with_a_suggestion),
        T(test_with_column_rejects_an_empty_name),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
