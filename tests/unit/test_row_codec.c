/* Rows as bytes (core/arrow/row_codec.c), by hand: every type, nulls at
 * every level, a sliced batch, exact double bits (-0.0, NaN), and bytes
 * that are not a row refused without a partial row left behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "builder.h"
#include "render.h"
#include "row_codec.h"
#include "schema.h"

#include <sluice/buf.h>

#define DDL "b BOOLEAN, l BIGINT, d DOUBLE, s STRING, t TIMESTAMP, dt DATE, " \
            "st STRUCT<x: BIGINT, y: STRING>, a ARRAY<STRING>, m MAP<STRING, BIGINT>"

/* Three rows: all values; all nulls; empty strings, lists and maps. */
static void build(const struct ArrowSchema *s, struct sluice_batch *out)
{
    struct sluice_builder *b = sluice_builder_new(s);
    struct sluice_builder *c = b->children;
    sluice_builder_append_struct(b);
    sluice_builder_append_bool(&c[0], true);
    sluice_builder_append_long(&c[1], -42);
    sluice_builder_append_double(&c[2], -0.0);
    sluice_builder_append_string(&c[3], "héllo", strlen("héllo"));
    sluice_builder_append_timestamp(&c[4], 1620028540123000);
    sluice_builder_append_date(&c[5], -1);
    sluice_builder_append_struct(&c[6]);
    sluice_builder_append_long(&c[6].children[0], 7);
    sluice_builder_append_null(&c[6].children[1]);
    sluice_builder_begin_list(&c[7]);
    sluice_builder_append_string(&c[7].children[0], "x", 1);
    sluice_builder_append_null(&c[7].children[0]);
    sluice_builder_end_list(&c[7]);
    sluice_builder_begin_list(&c[8]);
    sluice_builder_append_struct(&c[8].children[0]);
    sluice_builder_append_string(&c[8].children[0].children[0], "k", 1);
    sluice_builder_append_long(&c[8].children[0].children[1], 1);
    sluice_builder_end_list(&c[8]);
    sluice_builder_append_struct(b);
    for (int k = 0; k < 9; k++) sluice_builder_append_null(&c[k]);
    sluice_builder_append_struct(b);
    sluice_builder_append_bool(&c[0], false);
    sluice_builder_append_long(&c[1], INT64_MIN);
    sluice_builder_append_double(&c[2], NAN);
    sluice_builder_append_string(&c[3], "", 0);
    sluice_builder_append_timestamp(&c[4], 0);
    sluice_builder_append_date(&c[5], 18750);
    sluice_builder_append_struct(&c[6]);
    sluice_builder_append_null(&c[6].children[0]);
    sluice_builder_append_string(&c[6].children[1], "", 0);
    sluice_builder_begin_list(&c[7]);
    sluice_builder_end_list(&c[7]);
    sluice_builder_begin_list(&c[8]);
    sluice_builder_end_list(&c[8]);
    sluice_builder_finish(b, out);
    out->schema = s;
    sluice_builder_free(b);
}

static char *json_of(const struct sluice_batch *b)
{
    struct sluice_buf out = { 0 };
    for (int64_t r = 0; r < b->array.length; r++) {
        sluice_render_row_json(b, r, &out);
        sluice_buf_putc(&out, '\n');
    }
    return out.data;
}

/* Every row written then read back: the same rows, and the same bytes. */
static void test_row_codec_gives_every_row_back(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct sluice_error err;
    assert_int_equal(sluice_schema_parse(DDL, &s, &err), 0);
    struct sluice_batch in, back;
    build(&s, &in);
    struct sluice_builder *b = sluice_builder_new(&s);
    for (int64_t r = 0; r < 3; r++) {
        size_t n = sluice_row_size(&s, &in.array, r);
        uint8_t *bytes = malloc(n);
        assert_ptr_equal(sluice_row_write(&s, &in.array, r, bytes), bytes + n);
        assert_true(sluice_row_read(&s, bytes, n, b));
        free(bytes);
    }
    sluice_builder_finish(b, &back);
    back.schema = &s;
    sluice_builder_free(b);
    char *want = json_of(&in), *got = json_of(&back);
    assert_string_equal(got, want);
    /* The bits of -0.0 and NaN, which JSON cannot tell apart from 0 and null. */
    const double *d = back.array.children[2]->buffers[1];
    assert_true(signbit(d[0]) && d[0] == 0.0);
    assert_true(isnan(d[2]));
    free(want);
    free(got);
    sluice_batch_release(&in);
    sluice_batch_release(&back);
    sluice_schema_release(&s);
}

/* A slice (offset 1) encodes its own rows, not the parent's first ones. */
static void test_row_codec_reads_rows_of_a_slice(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct sluice_error err;
    assert_int_equal(sluice_schema_parse(DDL, &s, &err), 0);
    struct sluice_batch in;
    build(&s, &in);
    size_t whole = sluice_row_size(&s, &in.array, 2);
    uint8_t *a = malloc(whole);
    sluice_row_write(&s, &in.array, 2, a);
    in.array.offset = 1;
    in.array.length = 2;
    assert_int_equal(sluice_row_size(&s, &in.array, 1), whole);
    uint8_t *b = malloc(whole);
    sluice_row_write(&s, &in.array, 1, b);
    assert_memory_equal(a, b, whole);
    /* The all-null row: one tag byte per column. */
    assert_int_equal(sluice_row_size(&s, &in.array, 0), 9);
    in.array.offset = 0;
    in.array.length = 3;
    free(a);
    free(b);
    sluice_batch_release(&in);
    sluice_schema_release(&s);
}

/* Short, long or mistagged bytes: refused, and the builder keeps its rows. */
static void test_row_codec_refuses_bytes_that_are_not_a_row(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct sluice_error err;
    assert_int_equal(sluice_schema_parse("l BIGINT, s STRING", &s, &err), 0);
    struct sluice_builder *b = sluice_builder_new(&s);
    const uint8_t good[] = { 1, 5, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 'h', 'i' };
    assert_true(sluice_row_read(&s, good, sizeof good, b));
    assert_false(sluice_row_read(&s, good, sizeof good - 1, b));  /* string cut short */
    const uint8_t longer[] = { 1, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0 }; /* a byte after the row */
    assert_false(sluice_row_read(&s, longer, sizeof longer, b));
    const uint8_t tag[] = { 2, 0 };
    assert_false(sluice_row_read(&s, tag, sizeof tag, b));
    const uint8_t huge[] = { 0, 1, 0xff, 0xff, 0xff, 0xff };       /* a length past the end */
    assert_false(sluice_row_read(&s, huge, sizeof huge, b));
    assert_int_equal(b->length, 1);
    struct sluice_batch out;
    sluice_builder_finish(b, &out);
    out.schema = &s;
    sluice_builder_free(b);
    char *j = json_of(&out);
    assert_string_equal(j, "{\"l\":5,\"s\":\"hi\"}\n");
    free(j);
    sluice_batch_release(&out);
    sluice_schema_release(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_row_codec_gives_every_row_back),
        cmocka_unit_test(test_row_codec_reads_rows_of_a_slice),
        cmocka_unit_test(test_row_codec_refuses_bytes_that_are_not_a_row),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
