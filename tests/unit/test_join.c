/* The stream-static hash join (core/runtime/join/join.c), by hand: a
 * table with a duplicate key and a null key; each join type's rows, in
 * stream order with matches in table order; null never matches; the
 * static columns of an unmatched left_outer row are null. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder.h"
#include "expr.h"
#include "join.h"
#include "render.h"
#include "schema.h"

static struct ArrowSchema stream, table, out_full, out_left;

static int setup(void **state)
{
    struct sluice_error err;
    if (sluice_schema_parse("k LONG, s STRING", &stream, &err)) return -1;
    if (sluice_schema_parse("id LONG, name STRING", &table, &err)) return -1;
    if (sluice_schema_parse("k LONG, s STRING, id LONG, name STRING", &out_full, &err)) return -1;
    if (sluice_schema_parse("k LONG, s STRING", &out_left, &err)) return -1;
    return 0;
}

static int teardown(void **state)
{
    sluice_schema_release(&stream);
    sluice_schema_release(&table);
    sluice_schema_release(&out_full);
    sluice_schema_release(&out_left);
    return 0;
}

/* Rows "k:s" (k "-" for null) of a two-column schema. */
static void rows_of(const struct ArrowSchema *schema, const char *rows, struct sluice_batch *out)
{
    struct sluice_builder *b = sluice_builder_new(schema);
    char k[16], s[16];
    for (const char *r = rows; *r;) {
        int used;
        if (sscanf(r, " %15[^:]:%15s%n", k, s, &used) != 2) break;
        r += used;
        sluice_builder_append_struct(b);
        if (strcmp(k, "-") == 0) sluice_builder_append_null(&b->children[0]);
        else sluice_builder_append_long(&b->children[0], atoll(k));
        sluice_builder_append_string(&b->children[1], s, strlen(s));
    }
    sluice_builder_finish(b, out);
    out->schema = schema;
    sluice_builder_free(b);
}

static struct sluice_join *join_new(enum sluice_join_type type)
{
    struct sluice_expr **sk = calloc(1, sizeof *sk), **tk = calloc(1, sizeof *tk);
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_expr_compile(&stream, "k", &sk[0], &err), SLUICE_OK);
    assert_int_equal(sluice_expr_compile(&table, "id", &tk[0], &err), SLUICE_OK);
    struct sluice_join *j = sluice_join_new(type, sk, tk, 1);
    j->out_schema = type <= SLUICE_JOIN_LEFT_OUTER ? &out_full : &out_left;
    struct sluice_batch t;
    rows_of(&table, "1:ann 2:bob 2:bea -:nobody 3:cid", &t);
    assert_int_equal(sluice_join_build(j, &t, &err), SLUICE_OK);
    assert_int_equal(j->rows_without_key, 1);
    return j;
}

/* The joined rows as JSON lines (static buffer). */
static const char *joined(enum sluice_join_type type, const char *rows)
{
    struct sluice_join *j = join_new(type);
    struct sluice_batch in, out;
    rows_of(&stream, rows, &in);
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_join_process(j, &in, &out, &err), SLUICE_OK);
    static char text[2048];
    struct sluice_buf b = { 0 };
    for (int64_t r = 0; r < sluice_batch_rows(&out); r++) {
        sluice_render_row_json(&out, r, &b);
        sluice_buf_putc(&b, '\n');
    }
    snprintf(text, sizeof text, "%s", b.data ? b.data : "");
    sluice_buf_free(&b);
    sluice_batch_release(&out);
    sluice_join_free(j);
    return text;
}

static const char stream_rows[] = "2:x 9:y -:z 1:w";

static void test_inner_gives_a_row_per_match_in_table_order(void **state)
{
    assert_string_equal(joined(SLUICE_JOIN_INNER, stream_rows),
                        "{\"k\":2,\"s\":\"x\",\"id\":2,\"name\":\"bob\"}\n"
                        "{\"k\":2,\"s\":\"x\",\"id\":2,\"name\":\"bea\"}\n"
                        "{\"k\":1,\"s\":\"w\",\"id\":1,\"name\":\"ann\"}\n");
}

static void test_left_outer_keeps_unmatched_rows_with_nulls(void **state)
{
    assert_string_equal(joined(SLUICE_JOIN_LEFT_OUTER, stream_rows),
                        "{\"k\":2,\"s\":\"x\",\"id\":2,\"name\":\"bob\"}\n"
                        "{\"k\":2,\"s\":\"x\",\"id\":2,\"name\":\"bea\"}\n"
                        "{\"k\":9,\"s\":\"y\",\"id\":null,\"name\":null}\n"
                        "{\"k\":null,\"s\":\"z\",\"id\":null,\"name\":null}\n"
                        "{\"k\":1,\"s\":\"w\",\"id\":1,\"name\":\"ann\"}\n");
}

static void test_semi_and_anti_keep_the_stream_row_once(void **state)
{
    assert_string_equal(joined(SLUICE_JOIN_LEFT_SEMI, stream_rows),
                        "{\"k\":2,\"s\":\"x\"}\n{\"k\":1,\"s\":\"w\"}\n");
    assert_string_equal(joined(SLUICE_JOIN_LEFT_ANTI, stream_rows),
                        "{\"k\":9,\"s\":\"y\"}\n{\"k\":null,\"s\":\"z\"}\n");
}

static void test_an_empty_batch_or_table_joins_to_nothing(void **state)
{
    assert_string_equal(joined(SLUICE_JOIN_INNER, ""), "");
    struct sluice_expr **sk = calloc(1, sizeof *sk), **tk = calloc(1, sizeof *tk);
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_expr_compile(&stream, "k", &sk[0], &err), SLUICE_OK);
    assert_int_equal(sluice_expr_compile(&table, "id", &tk[0], &err), SLUICE_OK);
    struct sluice_join *j = sluice_join_new(SLUICE_JOIN_LEFT_ANTI, sk, tk, 1);
    j->out_schema = &out_left;
    struct sluice_batch t, in, out;
    rows_of(&table, "", &t);
    assert_int_equal(sluice_join_build(j, &t, &err), SLUICE_OK);
    rows_of(&stream, "1:a", &in);
    assert_int_equal(sluice_join_process(j, &in, &out, &err), SLUICE_OK);
    assert_int_equal(sluice_batch_rows(&out), 1);
    sluice_batch_release(&out);
    sluice_join_free(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_inner_gives_a_row_per_match_in_table_order),
        cmocka_unit_test(test_left_outer_keeps_unmatched_rows_with_nulls),
        cmocka_unit_test(test_semi_and_anti_keep_the_stream_row_once),
        cmocka_unit_test(test_an_empty_batch_or_table_joins_to_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
