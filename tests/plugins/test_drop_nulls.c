/* The `drop_nulls` transform (Spark's na.drop), loaded from its real .so
 * and driven through the real host table (see transform_harness.h). */
#include "transform_harness.h"

#define SCHEMA "id LONG, data STRUCT<lang: STRING, text: STRING>, x DOUBLE"

static const char *const ROWS =
    "{\"id\":1,\"data\":{\"lang\":\"en\",\"text\":\"a\"},\"x\":1.5}\n" /* complete */
    "{\"id\":2,\"data\":{},\"x\":2}\n"                               /* struct of nulls, not null */
    "{\"id\":3,\"x\":3}\n"                                           /* data null */
    "{\"data\":{\"lang\":\"fr\"},\"x\":4}\n"                         /* id null */
    "{\"id\":5,\"data\":{\"lang\":\"de\"}}\n"                        /* x null */
    "{}\n";                                                          /* all null */

static void test_drop_nulls_any_drops_rows_with_a_null_top_level_column(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "drop_nulls", SCHEMA, "");
    /* The default: how = "any" over every top-level column, each declared read. */
    char buf[256];
    assert_string_equal(tx_used(t, buf, sizeof buf), "id,data,x");
    for (int64_t i = 0; i < 3; i++) assert_int_equal(tx_passed(t, i), i);
    tx_expect(t, ROWS,
              "{\"id\":1,\"data\":{\"lang\":\"en\",\"text\":\"a\"},\"x\":1.5}\n"
              "{\"id\":2,\"data\":{\"lang\":null,\"text\":null},\"x\":2.0}\n");
}

static void test_drop_nulls_all_drops_only_rows_where_every_column_is_null(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "drop_nulls", SCHEMA, "how = \"all\";");
    struct sluice_batch in, out;
    tx_input(t, ROWS, &in);
    assert_int_equal(tx_process(t, &in, &out), SLUICE_OK);
    assert_int_equal(out.array.length, 5);
    char *got = tx_render(t, &out);
    assert_non_null(strstr(got, "{\"id\":5,\"data\":{\"lang\":\"de\",\"text\":null},\"x\":null}\n"));
    assert_null(strstr(got, "{\"id\":null,\"data\":null,\"x\":null}"));
    free(got);
    sluice_batch_release(&out);
}

static void test_drop_nulls_subset_reaches_into_structs(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "drop_nulls", SCHEMA, "subset = [\"data.lang\"];");
    char buf[256];
    assert_string_equal(tx_used(t, buf, sizeof buf), "data.lang");
    /* Null when data.lang is null or data itself is. */
    tx_expect(t, ROWS,
              "{\"id\":1,\"data\":{\"lang\":\"en\",\"text\":\"a\"},\"x\":1.5}\n"
              "{\"id\":null,\"data\":{\"lang\":\"fr\",\"text\":null},\"x\":4.0}\n"
              "{\"id\":5,\"data\":{\"lang\":\"de\",\"text\":null},\"x\":null}\n");
}

static void test_drop_nulls_all_with_a_subset_needs_every_subset_column_null(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "drop_nulls", SCHEMA, "how = \"all\"; subset = [\"data.text\", \"id\"];");
    tx_expect(t, ROWS,
              "{\"id\":1,\"data\":{\"lang\":\"en\",\"text\":\"a\"},\"x\":1.5}\n"
              "{\"id\":2,\"data\":{\"lang\":null,\"text\":null},\"x\":2.0}\n"
              "{\"id\":3,\"data\":null,\"x\":3.0}\n"
              "{\"id\":5,\"data\":{\"lang\":\"de\",\"text\":null},\"x\":null}\n");
}

static void test_drop_nulls_counts_a_nan_as_null_as_spark_does(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "drop_nulls", "id LONG, x DOUBLE", "subset = [\"x\"];");
    struct sluice_batch in, out;
    tx_input(t, "{\"id\":1,\"x\":1}\n{\"id\":2,\"x\":2}\n", &in);
    /* JSON has no NaN: write one into the second row's buffer. */
    ((double *)in.array.children[1]->buffers[1])[in.array.children[1]->offset + 1] = __builtin_nan("");
    assert_int_equal(tx_process(t, &in, &out), SLUICE_OK);
    char *got = tx_render(t, &out);
    assert_string_equal(got, "{\"id\":1,\"x\":1.0}\n");
    free(got);
    sluice_batch_release(&out);
}

static void test_drop_nulls_hands_on_a_batch_without_nulls_untouched(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "drop_nulls", SCHEMA, "");
    struct sluice_batch in, out;
    tx_input(t, ROWS, &in);
    tx_slice(&in, 0, 2);
    const void *ids = in.array.children[0]->buffers[1];
    assert_int_equal(tx_process(t, &in, &out), SLUICE_OK);
    assert_int_equal(out.array.length, 2);
    assert_ptr_equal(out.array.children[0]->buffers[1], ids);
    sluice_batch_release(&out);
}

static void test_drop_nulls_reads_batches_whose_columns_have_offsets(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "drop_nulls", SCHEMA, "subset = [\"x\", \"data\"];");
    struct sluice_batch in, out;
    tx_input(t, ROWS, &in);
    tx_slice(&in, 1, 4); /* rows 2..5 */
    assert_int_equal(tx_process(t, &in, &out), SLUICE_OK);
    char *got = tx_render(t, &out);
    assert_string_equal(got,
                        "{\"id\":2,\"data\":{\"lang\":null,\"text\":null},\"x\":2.0}\n"
                        "{\"id\":null,\"data\":{\"lang\":\"fr\",\"text\":null},\"x\":4.0}\n");
    free(got);
    sluice_batch_release(&out);
}

static void test_drop_nulls_gives_an_empty_batch_when_every_row_goes(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "drop_nulls", SCHEMA, "subset = [\"data.text\"];");
    struct sluice_batch in, out;
    tx_input(t, "{\"id\":1}\n{\"id\":2,\"data\":{}}\n", &in);
    assert_int_equal(tx_process(t, &in, &out), SLUICE_OK);
    assert_int_equal(out.array.length, 0);
    assert_int_equal(out.array.n_children, 3);
    sluice_batch_release(&out);
    tx_expect(t, "", "");
}

static void test_drop_nulls_rejects_an_unknown_subset_column_with_a_suggestion(void **state)
{
    struct tx *t = *state;
    assert_int_equal(tx_open(t, "drop_nulls", SCHEMA, "subset = [\"id\", \"data.lagn\"];"), SLUICE_ECONFIG);
    assert_string_equal(t->err.message, "no column 'data.lagn' in the input");
    assert_string_equal(t->err.hint, "did you mean 'data.lang'?");
    assert_string_equal(t->err.key, "subset");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, tx_setup, tx_teardown)
        T(test_drop_nulls_any_drops_rows_with_a_null_top_level_column),
        T(test_drop_nulls_all_drops_only_rows_where_every_column_is_null),
        T(test_drop_nulls_subset_reaches_into_structs),
        T(test_drop_nulls_all_with_a_subset_needs_every_subset_column_null),
        T(test_drop_nulls_counts_a_nan_as_null_as_spark_does),
        T(test_drop_nulls_hands_on_a_batch_without_nulls_untouched),
        T(test_drop_nulls_reads_batches_whose_columns_have_offsets),
        T(test_drop_nulls_gives_an_empty_batch_when_every_row_goes),
        T(test_drop_nulls_rejects_an_unknown_subset_column_with_a_suggestion),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
