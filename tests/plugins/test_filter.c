/* The `filter` transform, loaded from its real .so and driven through the
 * real host table (see transform_harness.h). */
#include "transform_harness.h"

#define SCHEMA "id LONG, n LONG, data STRUCT<lang: STRING, text: STRING>"

static const char *const ROWS =
    "{\"id\":1,\"n\":5,\"data\":{\"lang\":\"en\",\"text\":\"a\"}}\n"
    "{\"id\":2,\"n\":0,\"data\":{\"lang\":\"fr\"}}\n"
    "{\"id\":3,\"data\":{\"lang\":\"en\",\"text\":\"c\"}}\n"
    "{\"id\":4,\"n\":9}\n"
    "{\"id\":5,\"n\":2,\"data\":{\"lang\":\"en\"}}\n";

static void test_filter_keeps_true_rows_and_drops_false_and_null(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "filter", SCHEMA, "condition = \"n > 1 AND data.lang = 'en'\";");
    /* id 2: false; id 3: n null and true is null; id 4: data null and true is null. */
    tx_expect(t, ROWS,
              "{\"id\":1,\"n\":5,\"data\":{\"lang\":\"en\",\"text\":\"a\"}}\n"
              "{\"id\":5,\"n\":2,\"data\":{\"lang\":\"en\",\"text\":null}}\n");
}

static void test_filter_passes_every_column_and_reads_only_the_condition(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "filter", SCHEMA, "condition = \"data.lang = 'en'\";");
    char buf[256];
    char *ddl = tx_output_ddl(t);
    assert_string_equal(ddl, "STRUCT<id: BIGINT, n: BIGINT, data: STRUCT<lang: STRING, text: STRING>>");
    free(ddl);
    assert_string_equal(tx_used(t, buf, sizeof buf), "data.lang");
    for (int64_t i = 0; i < 3; i++) assert_int_equal(tx_passed(t, i), i);
}

static void test_filter_hands_on_a_batch_whose_every_row_passes_untouched(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "filter", SCHEMA, "condition = \"id > 0\";");
    struct sluice_batch in, out;
    tx_input(t, ROWS, &in);
    const void *ids = in.array.children[0]->buffers[1];
    const void *langs = in.array.children[2]->children[0]->buffers[2];
    assert_int_equal(tx_process(t, &in, &out), SLUICE_OK);
    assert_int_equal(out.array.length, 5);
    assert_ptr_equal(out.array.children[0]->buffers[1], ids);
    assert_ptr_equal(out.array.children[2]->children[0]->buffers[2], langs);
    char *got = tx_render(t, &out);
    assert_non_null(strstr(got, "{\"id\":4,\"n\":9,\"data\":null}\n"));
    free(got);
    sluice_batch_release(&out);
}

static void test_filter_gives_an_empty_batch_of_the_same_columns_when_no_row_passes(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "filter", SCHEMA, "condition = \"id > 100\";");
    struct sluice_batch in, out;
    tx_input(t, ROWS, &in);
    assert_int_equal(tx_process(t, &in, &out), SLUICE_OK);
    assert_int_equal(out.array.length, 0);
    assert_int_equal(out.array.n_children, 3);
    assert_int_equal(out.array.children[2]->n_children, 2); /* the struct keeps its fields */
    char *got = tx_render(t, &out);
    assert_string_equal(got, "");
    free(got);
    sluice_batch_release(&out);
}

static void test_filter_accepts_an_empty_batch(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "filter", SCHEMA, "condition = \"n > 1\";");
    tx_expect(t, "", "");
}

static void test_filter_reads_batches_whose_columns_have_offsets(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "filter", SCHEMA, "condition = \"n >= 2 OR n IS NULL\";");
    struct sluice_batch in, out;
    tx_input(t, ROWS, &in);
    tx_slice(&in, 1, 4); /* ids 2..5 */
    assert_int_equal(tx_process(t, &in, &out), SLUICE_OK);
    char *got = tx_render(t, &out);
    assert_string_equal(got,
                        "{\"id\":3,\"n\":null,\"data\":{\"lang\":\"en\",\"text\":\"c\"}}\n"
                        "{\"id\":4,\"n\":9,\"data\":null}\n"
                        "{\"id\":5,\"n\":2,\"data\":{\"lang\":\"en\",\"text\":null}}\n");
    free(got);
    sluice_batch_release(&out);
}

static void test_filter_keeps_tweets_with_hashtags_as_the_lab_does(void **state)
{
    struct tx *t = *state;
    tx_open_ok(t, "filter", "id LONG, data STRUCT<entities: STRUCT<hashtags: ARRAY<STRUCT<tag: STRING>>>>",
               "condition = \"size(data.entities.hashtags) > 0\";");
    /* size(NULL) is -1, so missing hashtags fail like an empty list. */
    tx_expect(t,
              "{\"id\":1,\"data\":{\"entities\":{\"hashtags\":[{\"tag\":\"a\"}]}}}\n"
              "{\"id\":2,\"data\":{\"entities\":{\"hashtags\":[]}}}\n"
              "{\"id\":3,\"data\":{\"entities\":{}}}\n"
              "{\"id\":4}\n"
              "{\"id\":5,\"data\":{\"entities\":{\"hashtags\":[null,null]}}}\n",
              "{\"id\":1,\"data\":{\"entities\":{\"hashtags\":[{\"tag\":\"a\"}]}}}\n"
              "{\"id\":5,\"data\":{\"entities\":{\"hashtags\":[null,null]}}}\n");
}

static void test_filter_rejects_a_condition_that_is_not_boolean_naming_its_type(void **state)
{
    struct tx *t = *state;
    assert_int_equal(tx_open(t, "filter", SCHEMA, "condition = \"data.lang\";"), SLUICE_ECONFIG);
    assert_string_equal(t->err.message, "filter expression 'data.lang' of type string is not a boolean");
    assert_string_equal(t->err.key, "condition");
}

static void test_filter_rejects_an_unknown_column_with_a_suggestion(void **state)
{
    struct tx *t = *state;
    assert_int_equal(tx_open(t, "filter", SCHEMA, "condition = \"data.lagn = 'en'\";"), SLUICE_ECONFIG);
    assert_non_null(strstr(t->err.message, "data.lagn"));
    assert_non_null(strstr(t->err.hint, "data.lang"));
    assert_string_equal(t->err.key, "condition");
    assert_string_equal(t->err.excerpt, "data.lagn = 'en'");
    assert_int_equal(t->err.position, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, tx_setup, tx_teardown)
        T(test_filter_keeps_true_rows_and_drops_false_and_null),
        T(test_filter_passes_every_column_and_reads_only_the_condition),
        T(test_filter_hands_on_a_batch_whose_every_row_passes_untouched),
        T(test_filter_gives_an_empty_batch_of_the_same_columns_when_no_row_passes),
        T(test_filter_accepts_an_empty_batch),
        T(test_filter_reads_batches_whose_columns_have_offsets),
        T(test_filter_keeps_tweets_with_hashtags_as_the_lab_does),
        T(test_filter_rejects_a_condition_that_is_not_boolean_naming_its_type),
        T(test_filter_rejects_an_unknown_column_with_a_suggestion),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
