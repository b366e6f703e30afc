/* Spark's show() layout (core/formats/show.c), byte for byte, on the cases the
 * console sink's tests check: alignment, truncation, nulls, full-width
 * characters, control characters, UTF-16 cuts, "only showing", no rows,
 * no columns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "builder.h"
#include "schema.h"
#include "show.h"

struct table {
    struct ArrowSchema schema;
    struct sluice_builder *b;
    struct sluice_batch batch;
};

static void table_new(struct table *t, const char *ddl)
{
    struct sluice_error err;
    if (ddl[0]) {
        if (sluice_schema_parse(ddl, &t->schema, &err)) fail_msg("%s", err.message);
    } else {
        sluice_schema_init(&t->schema, SLUICE_FORMAT_STRUCT, "", false, 0);
    }
    t->b = sluice_builder_new(&t->schema);
}

/* A row of (string, long); NULL and INT64_MIN stand for null. */
static void row(struct table *t, const char *s, int64_t v)
{
    sluice_builder_append_struct(t->b);
    if (s) sluice_builder_append_string(&t->b->children[0], s, strlen(s));
    else sluice_builder_append_null(&t->b->children[0]);
    if (v != INT64_MIN) sluice_builder_append_long(&t->b->children[1], v);
    else sluice_builder_append_null(&t->b->children[1]);
}

static char *show(struct table *t, int64_t num_rows, bool truncate)
{
    sluice_builder_finish(t->b, &t->batch);
    t->batch.schema = &t->schema;
    struct sluice_buf out = { 0 };
    sluice_show_format(&t->batch, num_rows, truncate, &out);
    sluice_batch_release(&t->batch);
    sluice_builder_free(t->b);
    sluice_schema_release(&t->schema);
    return out.data;
}

#define ASSERT_SHOWS(got, want)              \
    do {                                     \
        char *g_ = (got);                    \
        assert_string_equal(g_, want);       \
        free(g_);                            \
    } while (0)

static void test_show_prints_a_table_as_spark_does(void **state)
{
    struct table t;
    table_new(&t, "lang STRING, count LONG");
    row(&t, "en", 10);
    ASSERT_SHOWS(show(&t, 20, true), "+----+-----+\n"
                                     "|lang|count|\n"
                                     "+----+-----+\n"
                                     "|  en|   10|\n"
                                     "+----+-----+\n"
                                     "\n");
}

static void test_show_says_when_rows_were_left_out(void **state)
{
    struct table t;
    table_new(&t, "lang STRING, count LONG");
    row(&t, "en", 1);
    row(&t, "fr", 22);
    row(&t, "a_long_language_name_that_is_hidden", 333333);
    /* The hidden row does not widen the column. */
    ASSERT_SHOWS(show(&t, 2, true), "+----+-----+\n"
                                    "|lang|count|\n"
                                    "+----+-----+\n"
                                    "|  en|    1|\n"
                                    "|  fr|   22|\n"
                                    "+----+-----+\n"
                                    "only showing top 2 rows\n"
                                    "\n");
    table_new(&t, "a STRING, b LONG");
    row(&t, "x", 1);
    row(&t, "y", 2);
    ASSERT_SHOWS(show(&t, 1, true), "+---+---+\n|  a|  b|\n+---+---+\n|  x|  1|\n+---+---+\nonly showing top 1 row\n\n");
}

static void test_show_truncates_long_cells_and_prints_nulls(void **state)
{
    struct table t;
    table_new(&t, "text STRING, n LONG");
    row(&t, "abcdefghijklmnopqrstuvwxyz", -5);
    row(&t, NULL, INT64_MIN);
    row(&t, "exactly twenty chars", 1234567890123);
    ASSERT_SHOWS(show(&t, 20, true), "+--------------------+-------------+\n"
                                     "|                text|            n|\n"
                                     "+--------------------+-------------+\n"
                                     "|abcdefghijklmnopq...|           -5|\n"
                                     "|                null|         null|\n"
                                     "|exactly twenty chars|1234567890123|\n"
                                     "+--------------------+-------------+\n"
                                     "\n");
}

static void test_show_aligns_left_and_keeps_whole_cells_without_truncate(void **state)
{
    struct table t;
    table_new(&t, "text STRING, n LONG");
    row(&t, "abcdefghijklmnopqrstuvwxyz", 7);
    row(&t, "ab", 12345);
    ASSERT_SHOWS(show(&t, 20, false), "+--------------------------+-----+\n"
                                      "|text                      |n    |\n"
                                      "+--------------------------+-----+\n"
                                      "|abcdefghijklmnopqrstuvwxyz|7    |\n"
                                      "|ab                        |12345|\n"
                                      "+--------------------------+-----+\n"
                                      "\n");
}

static void test_show_counts_full_width_characters_as_two_columns(void **state)
{
    struct table t;
    table_new(&t, "t STRING, n LONG");
    row(&t, "日本語", 1);
    row(&t, "été", 2);
    row(&t, "한국", 3);
    ASSERT_SHOWS(show(&t, 20, true), "+------+---+\n"
                                     "|     t|  n|\n"
                                     "+------+---+\n"
                                     "|日本語|  1|\n"
                                     "|   été|  2|\n"
                                     "|  한국|  3|\n"
                                     "+------+---+\n"
                                     "\n");
}

static void test_show_escapes_control_characters_and_cuts_on_utf16_units(void **state)
{
    struct table t;
    table_new(&t, "t STRING, n LONG");
    row(&t, "a\nb\tc", 1);
    row(&t, "aaaaaaaaaaaaaaaa\xF0\x9F\x98\x80" "bbbbb", 2);
    row(&t, "\xF0\x9F\x98\x80", 3);
    ASSERT_SHOWS(show(&t, 20, true), "+--------------------+---+\n"
                                     "|                   t|  n|\n"
                                     "+--------------------+---+\n"
                                     "|             a\\nb\\tc|  1|\n"
                                     "|aaaaaaaaaaaaaaaa?...|  2|\n"
                                     "|                  \xF0\x9F\x98\x80|  3|\n"
                                     "+--------------------+---+\n"
                                     "\n");
}

static void test_show_prints_headers_alone_without_rows_and_bars_without_columns(void **state)
{
    struct table t;
    table_new(&t, "lang STRING, count LONG");
    ASSERT_SHOWS(show(&t, 20, true), "+----+-----+\n|lang|count|\n+----+-----+\n+----+-----+\n\n");
    table_new(&t, "");
    sluice_builder_append_struct(t.b);
    sluice_builder_append_struct(t.b);
    ASSERT_SHOWS(show(&t, 20, true), "++\n||\n++\n||\n||\n++\n\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_show_prints_a_table_as_spark_does),
        cmocka_unit_test(test_show_says_when_rows_were_left_out),
        cmocka_unit_test(test_show_truncates_long_cells_and_prints_nulls),
        cmocka_unit_test(test_show_aligns_left_and_keeps_whole_cells_without_truncate),
        cmocka_unit_test(test_show_counts_full_width_characters_as_two_columns),
        cmocka_unit_test(test_show_escapes_control_characters_and_cuts_on_utf16_units),
        cmocka_unit_test(test_show_prints_headers_alone_without_rows_and_bars_without_columns),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
