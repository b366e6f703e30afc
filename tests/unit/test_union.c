/* union and union_by_name (core/runtime/join/union.c), by hand: columns
 * by position take the first input's names and merge nullability; by name
 * they are matched in any order, a missing one null (allow_missing) and
 * the extras of later inputs appended; Spark's errors for inputs that do
 * not line up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder.h"
#include "render.h"
#include "schema.h"
#include "union.h"

static void parse(const char *ddl, struct ArrowSchema *out)
{
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_schema_parse(ddl, out, &err), SLUICE_OK);
}

/* Plans the union of the DDL schemas a and b; *err holds a failure. */
static int plan(bool by_name, bool missing, const char *a, const char *b, struct sluice_union **u,
                struct ArrowSchema *sa, struct ArrowSchema *sb, struct sluice_error *err)
{
    parse(a, sa);
    parse(b, sb);
    const struct ArrowSchema *in[] = { sa, sb };
    const char *names[] = { "a", "b" };
    int rc = sluice_union_plan(by_name, missing, in, names, 2, u, err);
    if (!rc) (*u)->out_schema = &(*u)->out;
    return rc;
}

static const char *ddl_of(const struct ArrowSchema *s)
{
    static char text[512];
    struct sluice_buf b = { 0 };
    sluice_schema_fields_ddl(s, &b);
    snprintf(text, sizeof text, "%s", b.data ? b.data : "");
    sluice_buf_free(&b);
    return text;
}

static void test_by_position_takes_the_first_names_and_merges_nullability(void **state)
{
    struct ArrowSchema a, b;
    struct sluice_union *u;
    struct sluice_error err = { 0 };
    assert_int_equal(plan(false, false, "n LONG NOT NULL, s STRING", "m LONG, t STRING NOT NULL", &u, &a, &b, &err),
                     SLUICE_OK);
    assert_string_equal(ddl_of(&u->out), "n BIGINT, s STRING");
    assert_int_equal(u->from[1][0], 0);
    assert_int_equal(u->from[1][1], 1);
    sluice_union_free(u);
    sluice_schema_release(&a);
    sluice_schema_release(&b);
}

static void test_by_position_refuses_other_counts_and_types(void **state)
{
    struct ArrowSchema a, b;
    struct sluice_union *u;
    struct sluice_error err = { 0 };
    assert_int_equal(plan(false, false, "n LONG, s STRING", "n LONG", &u, &a, &b, &err), SLUICE_ECONFIG);
    assert_null(u);
    assert_string_equal(err.message, "UNION can only be performed on inputs with the same number of columns, but the "
                                     "first input ('a') has 2 columns and the second input ('b') has 1 columns");
    sluice_schema_release(&a);
    sluice_schema_release(&b);
    assert_int_equal(plan(false, false, "n LONG, s STRUCT<x: LONG>", "n LONG, s STRUCT<y: LONG>", &u, &a, &b, &err),
                     SLUICE_ECONFIG);
    assert_non_null(strstr(err.message, "The second column of the second input ('b') is \"STRUCT<y: BIGINT>\" type "
                                        "which is not compatible with \"STRUCT<x: BIGINT>\""));
    sluice_schema_release(&a);
    sluice_schema_release(&b);
}

static void test_by_name_matches_names_and_fills_what_is_missing(void **state)
{
    struct ArrowSchema a, b;
    struct sluice_union *u;
    struct sluice_error err = { 0 };
    assert_int_equal(plan(true, true, "n LONG NOT NULL, s STRING", "flag BOOLEAN, n LONG NOT NULL", &u, &a, &b, &err),
                     SLUICE_OK);
    /* s is missing from b, so nullable; flag only b has, so last. */
    assert_string_equal(ddl_of(&u->out), "n BIGINT NOT NULL, s STRING, flag BOOLEAN");

    struct sluice_builder *bb = sluice_builder_new(&b);
    sluice_builder_append_struct(bb);
    sluice_builder_append_bool(&bb->children[0], true);
    sluice_builder_append_long(&bb->children[1], 7);
    sluice_builder_append_struct(bb);
    sluice_builder_append_null(&bb->children[0]);
    sluice_builder_append_long(&bb->children[1], 8);
    struct sluice_batch in, out;
    sluice_builder_finish(bb, &in);
    sluice_builder_free(bb);
    in.schema = &b;
    sluice_union_process(u, 1, &in, &out);
    assert_null(in.array.release);
    struct sluice_buf text = { 0 };
    for (int64_t r = 0; r < sluice_batch_rows(&out); r++) {
        sluice_render_row_json(&out, r, &text);
        sluice_buf_putc(&text, '\n');
    }
    assert_string_equal(text.data, "{\"n\":7,\"s\":null,\"flag\":true}\n{\"n\":8,\"s\":null,\"flag\":null}\n");
    sluice_buf_free(&text);
    sluice_batch_release(&out);
    sluice_union_free(u);
    sluice_schema_release(&a);
    sluice_schema_release(&b);
}

static void test_by_name_without_allow_missing_names_the_column(void **state)
{
    struct ArrowSchema a, b;
    struct sluice_union *u;
    struct sluice_error err = { 0 };
    assert_int_equal(plan(true, false, "n LONG, s STRING", "s STRING, n LONG", &u, &a, &b, &err), SLUICE_OK);
    assert_int_equal(u->from[1][0], 1);
    assert_int_equal(u->from[1][1], 0);
    sluice_union_free(u);
    sluice_schema_release(&a);
    sluice_schema_release(&b);
    assert_int_equal(plan(true, false, "n LONG, s STRING", "n LONG", &u, &a, &b, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "union_by_name: input 'b' has no column \"s\", which input 'a' has");
    sluice_schema_release(&a);
    sluice_schema_release(&b);
    assert_int_equal(plan(true, false, "n LONG", "n STRING", &u, &a, &b, &err), SLUICE_ECONFIG);
    assert_non_null(strstr(err.message, "The column \"n\" of the second input ('b') is \"STRING\" type"));
    sluice_schema_release(&a);
    sluice_schema_release(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_by_position_takes_the_first_names_and_merges_nullability),
        cmocka_unit_test(test_by_position_refuses_other_counts_and_types),
        cmocka_unit_test(test_by_name_matches_names_and_fills_what_is_missing),
        cmocka_unit_test(test_by_name_without_allow_missing_names_the_column),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
