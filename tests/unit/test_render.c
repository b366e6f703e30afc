/* Unit tests for core/formats/render.c: JSON as Spark writes it, text as show()
 * prints it, string escapes and Java-style doubles. */
#include <math.h>
#include <float.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "builder.h"
#include "render.h"
#include "schema_testutil.h"

#define TS_2021_05_03_075540 INT64_C(1620028540000000)

/* Columns b, l, d, s, t, st{x, y}, a[long]; row 0 typical, row 1 all
 * null, row 2 edge values. */
static struct ArrowSchema *every_type_schema(void)
{
    return S("+s", NULL, 7, S("b", "b", 0), S("l", "l", 0), S("g", "d", 0), S("u", "s", 0),
             S("tsu:UTC", "t", 0), S("+s", "st", 2, S("l", "x", 0), S("u", "y", 0)),
             S("+l", "a", 1, S("l", "element", 0)));
}

static void build_every_type(struct ArrowSchema *root, struct sluice_batch *out)
{
    struct sluice_builder *b = sluice_builder_new(root);
    struct sluice_builder *c = b->children;
    sluice_builder_append_struct(b);
    sluice_builder_append_bool(&c[0], true);
    sluice_builder_append_long(&c[1], -42);
    sluice_builder_append_double(&c[2], 0.1);
    sluice_builder_append_string(&c[3], "hi", 2);
    sluice_builder_append_timestamp(&c[4], TS_2021_05_03_075540);
    sluice_builder_append_struct(&c[5]);
    sluice_builder_append_long(&c[5].children[0], 1);
    sluice_builder_begin_list(&c[6]);
    sluice_builder_append_long(&c[6].children[0], 1);
    sluice_builder_append_null(&c[6].children[0]);
    sluice_builder_append_long(&c[6].children[0], 3);
    sluice_builder_end_list(&c[6]);

    sluice_builder_append_struct(b); /* every column left null */

    sluice_builder_append_struct(b);
    sluice_builder_append_bool(&c[0], false);
    sluice_builder_append_long(&c[1], INT64_MIN);
    sluice_builder_append_double(&c[2], 1e10);
    const char *s = "tab\there \"q\" \xc3\xa9";
    sluice_builder_append_string(&c[3], s, strlen(s));
    sluice_builder_append_timestamp(&c[4], TS_2021_05_03_075540 + 120000);
    sluice_builder_append_null(&c[5]);
    sluice_builder_begin_list(&c[6]);
    sluice_builder_end_list(&c[6]);
    sluice_builder_finish(b, out);
    sluice_builder_free(b);
}

static void test_render_row_json_writes_every_type_as_spark_does(void **state)
{
    struct sluice_batch batch;
    build_every_type(every_type_schema(), &batch);
    struct sluice_buf out = { 0 };
    const char *expect[] = {
        "{\"b\":true,\"l\":-42,\"d\":0.1,\"s\":\"hi\",\"t\":\"2021-05-03T07:55:40.000Z\","
        "\"st\":{\"x\":1,\"y\":null},\"a\":[1,null,3]}",
        "{\"b\":null,\"l\":null,\"d\":null,\"s\":null,\"t\":null,\"st\":null,\"a\":null}",
        "{\"b\":false,\"l\":-9223372036854775808,\"d\":1.0E10,\"s\":\"tab\\there \\\"q\\\" \xc3\xa9\","
        "\"t\":\"2021-05-03T07:55:40.120Z\",\"st\":null,\"a\":[]}",
    };
    for (int row = 0; row < 3; row++) {
        sluice_buf_clear(&out);
        sluice_render_row_json(&batch, row, &out);
        assert_string_equal(out.data, expect[row]);
    }
    sluice_buf_free(&out);
    sluice_batch_release(&batch);
}

static void test_render_cell_text_prints_every_type_as_show_does(void **state)
{
    struct sluice_batch batch;
    build_every_type(every_type_schema(), &batch);
    const char *expect[3][7] = {
        { "true", "-42", "0.1", "hi", "2021-05-03 07:55:40", "{1, null}", "[1, null, 3]" },
        { "null", "null", "null", "null", "null", "null", "null" },
        { "false", "-9223372036854775808", "1.0E10", "tab\there \"q\" \xc3\xa9", "2021-05-03 07:55:40.12",
          "null", "[]" },
    };
    struct sluice_buf out = { 0 };
    for (int row = 0; row < 3; row++) {
        for (int col = 0; col < 7; col++) {
            sluice_buf_clear(&out);
            sluice_render_cell_text(&batch, col, row, &out);
            assert_string_equal(out.data, expect[row][col]);
        }
    }
    sluice_buf_free(&out);
    sluice_batch_release(&batch);
}

static void test_render_nests_lists_and_structs_in_json_and_text(void **state)
{
    struct ArrowSchema *root =
        S("+s", NULL, 2, S("+l", "users", 1, S("+s", "element", 2, S("u", "name", 0), S("g", "n", 0))),
          S("+l", "m", 1, S("+l", "element", 1, S("l", "element", 0))));
    struct sluice_builder *b = sluice_builder_new(root);
    struct sluice_builder *users = &b->children[0], *u = &users->children[0];
    struct sluice_builder *m = &b->children[1], *r = &m->children[0];
    sluice_builder_append_struct(b);
    sluice_builder_begin_list(users);
    sluice_builder_append_struct(u);
    sluice_builder_append_string(&u->children[0], "a", 1);
    sluice_builder_append_double(&u->children[1], 1.0);
    sluice_builder_append_null(u);
    sluice_builder_end_list(users);
    sluice_builder_begin_list(m);
    sluice_builder_begin_list(r);
    sluice_builder_append_long(&r->children[0], 1);
    sluice_builder_append_long(&r->children[0], 2);
    sluice_builder_end_list(r);
    sluice_builder_begin_list(r);
    sluice_builder_end_list(r);
    sluice_builder_append_null(r);
    sluice_builder_end_list(m);
    struct sluice_batch batch;
    sluice_builder_finish(b, &batch);
    sluice_builder_free(b);

    struct sluice_buf out = { 0 };
    sluice_render_row_json(&batch, 0, &out);
    assert_string_equal(out.data, "{\"users\":[{\"name\":\"a\",\"n\":1.0},null],\"m\":[[1,2],[],null]}");
    sluice_buf_clear(&out);
    sluice_render_cell_text(&batch, 0, 0, &out);
    assert_string_equal(out.data, "[{a, 1.0}, null]");
    sluice_buf_clear(&out);
    sluice_render_cell_text(&batch, 1, 0, &out);
    assert_string_equal(out.data, "[[1, 2], [], null]");
    sluice_buf_free(&out);
    sluice_batch_release(&batch);
}

static void test_render_respects_array_offsets(void **state)
{
    struct ArrowSchema *root = every_type_schema();
    struct sluice_batch batch;
    build_every_type(root, &batch);
    struct sluice_buf out = { 0 };

    /* A slice of the rows: the root's offset shifts every column. */
    struct sluice_batch slice = { batch.array, root };
    slice.array.offset = 2;
    slice.array.length = 1;
    sluice_render_row_json(&slice, 0, &out);
    assert_true(strncmp(out.data, "{\"b\":false,\"l\":-9223372036854775808,", 36) == 0);
    sluice_buf_clear(&out);
    sluice_render_cell_text(&slice, 6, 0, &out);
    assert_string_equal(out.data, "[]");

    /* A slice of one column. */
    struct ArrowArray col = *batch.array.children[3];
    col.offset = 2;
    col.length = 1;
    sluice_buf_clear(&out);
    sluice_render_value_json(root->children[3], &col, 0, &out);
    assert_string_equal(out.data, "\"tab\\there \\\"q\\\" \xc3\xa9\"");
    sluice_buf_clear(&out);
    sluice_render_value_text(root->children[6], batch.array.children[6], 0, &out);
    assert_string_equal(out.data, "[1, null, 3]");

    /* A struct whose field is sliced on its own: st's slot 0 is x's slot 2. */
    struct ArrowArray st = *batch.array.children[5], x = *st.children[0];
    struct ArrowArray *st_kids[] = { &x, st.children[1] };
    x.offset = 2;
    x.length = 1;
    st.children = st_kids;
    st.length = 1;
    sluice_buf_clear(&out);
    sluice_render_value_json(root->children[5], &st, 0, &out);
    assert_string_equal(out.data, "{\"x\":null,\"y\":null}");

    /* A list whose elements are sliced: [1, null, 3] seen from element 1. */
    static const int32_t two[] = { 0, 2 };
    struct ArrowArray list = *batch.array.children[6], elems = *list.children[0];
    struct ArrowArray *list_kids[] = { &elems };
    const void *list_bufs[] = { NULL, two };
    elems.offset = 1;
    elems.length = 2;
    list.children = list_kids;
    list.buffers = list_bufs;
    list.length = 1;
    list.null_count = 0;
    sluice_buf_clear(&out);
    sluice_render_value_json(root->children[6], &list, 0, &out);
    assert_string_equal(out.data, "[null,3]");
    sluice_buf_clear(&out);
    sluice_render_value_text(root->children[6], &list, 0, &out);
    assert_string_equal(out.data, "[null, 3]");

    sluice_buf_free(&out);
    sluice_batch_release(&batch);
}

static void test_render_json_string_escapes_quotes_backslashes_and_controls(void **state)
{
    static const char in[] = "a\"b\\c\n\r\t\b\f\x01\x1f\x7f/\0z \xc3\xa9 \xf0\x9f\x98\x80";
    struct sluice_buf out = { 0 };
    sluice_render_json_string(in, sizeof in - 1, &out);
    assert_string_equal(out.data, "\"a\\\"b\\\\c\\n\\r\\t\\b\\f\\u0001\\u001F\x7f/\\u0000z \xc3\xa9 \xf0\x9f\x98\x80\"");
    sluice_buf_clear(&out);
    sluice_render_json_string("", 0, &out);
    assert_string_equal(out.data, "\"\"");
    sluice_buf_free(&out);
}

static void test_render_double_prints_as_java_double_to_string(void **state)
{
    static const struct { double v; const char *text; } cases[] = {
        { 0.1, "0.1" },
        { 1.0, "1.0" },
        { 0.0, "0.0" },
        { -0.0, "-0.0" },
        { -1.5, "-1.5" },
        { 100.0, "100.0" },
        { 123.456, "123.456" },
        { 1234567.0, "1234567.0" },
        { 9999999.0, "9999999.0" },
        { 1e7, "1.0E7" },
        { 12345678.9, "1.23456789E7" },
        { 1e10, "1.0E10" },
        { 1e21, "1.0E21" },
        { 0.001, "0.001" },
        { 0.0001, "1.0E-4" },
        { 1e-5, "1.0E-5" },
        { 0.1 + 0.2, "0.30000000000000004" },
        { 1.0 / 3.0, "0.3333333333333333" },
        { 9007199254740993.0, "9.007199254740992E15" },
        { 6.01461895223896e17, "6.01461895223896E17" }, /* 16 digits would also read back */
        { DBL_MAX, "1.7976931348623157E308" },
        { DBL_MIN, "2.2250738585072014E-308" },
        { 4.9e-324, "4.9E-324" },
        { -2.5e-320, "-2.5E-320" },
    };
    struct sluice_buf out = { 0 };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sluice_buf_clear(&out);
        sluice_render_double(cases[i].v, &out);
        assert_string_equal(out.data, cases[i].text);
    }
    sluice_buf_clear(&out);
    sluice_render_double(NAN, &out);
    sluice_render_double(INFINITY, &out);
    sluice_render_double(-INFINITY, &out);
    assert_string_equal(out.data, "NaNInfinity-Infinity");
    sluice_buf_free(&out);
}

static void test_render_json_quotes_non_finite_doubles_as_spark_does(void **state)
{
    struct ArrowSchema *root = S("+s", NULL, 1, S("g", "d", 0));
    struct sluice_builder *b = sluice_builder_new(root);
    double values[] = { NAN, INFINITY, -INFINITY, -0.0 };
    for (int i = 0; i < 4; i++) {
        sluice_builder_append_struct(b);
        sluice_builder_append_double(&b->children[0], values[i]);
    }
    struct sluice_batch batch;
    sluice_builder_finish(b, &batch);
    sluice_builder_free(b);
    const char *json[] = { "{\"d\":\"NaN\"}", "{\"d\":\"Infinity\"}", "{\"d\":\"-Infinity\"}", "{\"d\":-0.0}" };
    const char *text[] = { "NaN", "Infinity", "-Infinity", "-0.0" };
    struct sluice_buf out = { 0 };
    for (int i = 0; i < 4; i++) {
        sluice_buf_clear(&out);
        sluice_render_row_json(&batch, i, &out);
        assert_string_equal(out.data, json[i]);
        sluice_buf_clear(&out);
        sluice_render_cell_text(&batch, 0, i, &out);
        assert_string_equal(out.data, text[i]);
    }
    sluice_buf_free(&out);
    sluice_batch_release(&batch);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup(name, reset_schemas)
        T(test_render_row_json_writes_every_type_as_spark_does),
        T(test_render_cell_text_prints_every_type_as_show_does),
        T(test_render_nests_lists_and_structs_in_json_and_text),
        T(test_render_respects_array_offsets),
        T(test_render_json_string_escapes_quotes_backslashes_and_controls),
        T(test_render_double_prints_as_java_double_to_string),
        T(test_render_json_quotes_non_finite_doubles_as_spark_does),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
