/* Unit tests for core/formats/decode_csv.c: types, quoting, header and positional
 * mapping, nulls, projection, Spark's malformed-row rules, framing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "builder.h"
#include "decode.h"
#include "error.h"
#include "render.h"
#include "schema.h"
#include "validate.h"

static struct ArrowSchema schema;
static struct sluice_decoder *dec;
static struct sluice_batch batch;
static struct sluice_decode_stats stats;
static struct sluice_error err;
static struct sluice_buf rows;

static int setup(void **state)
{
    memset(&schema, 0, sizeof schema);
    memset(&batch, 0, sizeof batch);
    memset(&stats, 0, sizeof stats);
    memset(&err, 0, sizeof err);
    dec = NULL;
    return 0;
}

static int teardown(void **state)
{
    sluice_batch_release(&batch);
    sluice_decoder_free(dec);
    sluice_schema_release(&schema);
    sluice_buf_free(&rows);
    return 0;
}

struct csv_opts {
    enum sluice_parse_mode mode;
    bool header;
    char delimiter;
    const char *const *paths; /* NULL: every column */
    size_t n_paths;
};

static void open_csv(const char *ddl, struct csv_opts c)
{
    if (sluice_schema_parse(ddl, &schema, &err)) fail_msg("schema: %s", err.message);
    struct sluice_projection proj = { c.paths == NULL, c.paths ? c.n_paths : 0, c.paths };
    struct sluice_decode_opts o = { .size = sizeof o, .format = "csv", .schema = &schema,
                                    .projection = &proj, .mode = c.mode, .csv_header = c.header,
                                    .csv_delimiter = c.delimiter, .stats_size = sizeof stats };
    if (sluice_decoder_new(&o, &dec, &err)) fail_msg("decoder_new: %s", err.message);
}

static int feed_at(const char *text, int64_t first_line, bool file_start)
{
    sluice_batch_release(&batch);
    sluice_buf_clear(&rows);
    struct sluice_decode_input in = { text, strlen(text), "t.csv", first_line, file_start };
    int rc = sluice_decode(dec, &in, &batch, &stats, &err);
    if (rc) return rc;
    char why[256];
    if (sluice_array_validate(&schema, &batch.array, why)) fail_msg("invalid batch: %s", why);
    sluice_buf_puts(&rows, "");
    for (int64_t r = 0; r < batch.array.length; r++) {
        sluice_render_row_json(&batch, r, &rows);
        sluice_buf_putc(&rows, '\n');
    }
    return 0;
}

static void feed(const char *text)
{
    if (feed_at(text, 1, true)) fail_msg("decode failed: %s", err.message);
}

#define ALL "a LONG, b STRING, c DOUBLE, d BOOLEAN, t TIMESTAMP"

static void test_csv_converts_every_type_by_position(void **state)
{
    open_csv(ALL, (struct csv_opts){ 0 });
    feed("-7,hello world,2.5,TRUE,2021-05-03T07:55:40.5Z\n"
         "+8,x,1e3,False,2021-05-03\n"
         "9223372036854775807,y,NaN,true,2021-05-03 07:55:40\n"
         "0,z,-Inf,false,2021-05-03T09:55:40+02:00\n");
    assert_string_equal(rows.data,
                        "{\"a\":-7,\"b\":\"hello world\",\"c\":2.5,\"d\":true,\"t\":\"2021-05-03T07:55:40.500Z\"}\n"
                        "{\"a\":8,\"b\":\"x\",\"c\":1000.0,\"d\":false,\"t\":\"2021-05-03T00:00:00.000Z\"}\n"
                        "{\"a\":9223372036854775807,\"b\":\"y\",\"c\":\"NaN\",\"d\":true,"
                        "\"t\":\"2021-05-03T07:55:40.000Z\"}\n"
                        "{\"a\":0,\"b\":\"z\",\"c\":\"-Infinity\",\"d\":false,\"t\":\"2021-05-03T07:55:40.000Z\"}\n");
    assert_int_equal(stats.malformed, 0);
    assert_int_equal(stats.rows, 4);
}

static void test_csv_empty_fields_are_null_but_a_quoted_empty_string_is_empty(void **state)
{
    open_csv(ALL, (struct csv_opts){ 0 });
    feed(",,,,\n1,\"\",\"\",\"\",\"\"\n");
    assert_string_equal(rows.data, "{\"a\":null,\"b\":null,\"c\":null,\"d\":null,\"t\":null}\n"
                                   "{\"a\":1,\"b\":\"\",\"c\":null,\"d\":null,\"t\":null}\n");
    assert_int_equal(stats.malformed, 0);
}

static void test_csv_quoted_fields_hold_delimiters_and_doubled_quotes(void **state)
{
    open_csv("a STRING, b STRING, c LONG", (struct csv_opts){ 0 });
    feed("\"x, y\",\"say \"\"hi\"\"\",\"3\"\n\"\"\"\",plain \"inner\" quote,4\n");
    assert_string_equal(rows.data, "{\"a\":\"x, y\",\"b\":\"say \\\"hi\\\"\",\"c\":3}\n"
                                   "{\"a\":\"\\\"\",\"b\":\"plain \\\"inner\\\" quote\",\"c\":4}\n");
}

static void test_csv_uses_the_delimiter_option(void **state)
{
    open_csv("a STRING, b LONG", (struct csv_opts){ .delimiter = ';' });
    feed("x,y;1\n\"p;q\";2\n");
    assert_string_equal(rows.data, "{\"a\":\"x,y\",\"b\":1}\n{\"a\":\"p;q\",\"b\":2}\n");
}

static void test_csv_header_maps_columns_by_name_ignoring_case(void **state)
{
    open_csv("a LONG, b STRING, c DOUBLE", (struct csv_opts){ .header = true });
    feed("\xEF\xBB\xBF" "C,extra,\"A\"\n1.5,zzz,7\n2.5,,8\n");
    assert_string_equal(rows.data, "{\"a\":7,\"b\":null,\"c\":1.5}\n{\"a\":8,\"b\":null,\"c\":2.5}\n");
    /* The next chunk of the same file keeps the header's mapping. */
    assert_int_equal(feed_at("3.5,q,9\n", 4, false), 0);
    assert_string_equal(rows.data, "{\"a\":9,\"b\":null,\"c\":3.5}\n");
    /* A new file brings its own header. */
    feed("b,a\nx,1\n");
    assert_string_equal(rows.data, "{\"a\":1,\"b\":\"x\",\"c\":null}\n");
    assert_int_equal(stats.malformed, 0);
}

static void test_csv_without_header_option_reads_the_first_line_as_data(void **state)
{
    open_csv("a STRING, b STRING", (struct csv_opts){ 0 });
    feed("a,b\n1,2\n");
    assert_string_equal(rows.data, "{\"a\":\"a\",\"b\":\"b\"}\n{\"a\":\"1\",\"b\":\"2\"}\n");
}

static void test_csv_projection_converts_only_needed_columns(void **state)
{
    const char *paths[] = { "c" };
    open_csv("a LONG, b STRING, c LONG", (struct csv_opts){ .paths = paths, .n_paths = 1 });
    feed("not a number,x,5\n");
    assert_string_equal(rows.data, "{\"a\":null,\"b\":null,\"c\":5}\n");
    assert_int_equal(stats.malformed, 0);
}

static const char ragged[] = "1,x\n2\n3,y,extra\n4,z\n";

static void test_csv_permissive_keeps_short_and_long_rows_as_malformed(void **state)
{
    open_csv("a LONG, b STRING, _corrupt_record STRING", (struct csv_opts){ 0 });
    feed(ragged);
    assert_string_equal(rows.data, "{\"a\":1,\"b\":\"x\",\"_corrupt_record\":null}\n"
                                   "{\"a\":2,\"b\":null,\"_corrupt_record\":\"2\"}\n"
                                   "{\"a\":3,\"b\":\"y\",\"_corrupt_record\":\"3,y,extra\"}\n"
                                   "{\"a\":4,\"b\":\"z\",\"_corrupt_record\":null}\n");
    assert_int_equal(stats.malformed, 2);
}

static void test_csv_drop_malformed_drops_ragged_and_wrong_type_rows(void **state)
{
    open_csv("a LONG, b STRING", (struct csv_opts){ .mode = SLUICE_PARSE_DROP_MALFORMED });
    feed("1,x\n2\nnope,y\n4,z\n\"open,w\n");
    assert_string_equal(rows.data, "{\"a\":1,\"b\":\"x\"}\n{\"a\":4,\"b\":\"z\"}\n");
    assert_int_equal(stats.malformed, 3);
}

static void test_csv_fail_fast_names_the_file_and_line(void **state)
{
    open_csv("a LONG, b STRING", (struct csv_opts){ .mode = SLUICE_PARSE_FAIL_FAST });
    assert_int_equal(feed_at("1,x\r\n\r\n2\r\n", 10, true), SLUICE_EDATA);
    assert_string_equal(err.message, "malformed CSV at t.csv:12: expected 2 fields, found 1");
    assert_int_equal(feed_at("1,x\n2.5,y\n", 1, true), SLUICE_EDATA);
    assert_string_equal(err.message, "malformed CSV at t.csv:2: field 'a' cannot hold '2.5' as long");
    assert_int_equal(feed_at("\"a\"b,c\n", 1, true), SLUICE_EDATA);
    assert_string_equal(err.message, "malformed CSV at t.csv:1: unexpected 'b' after a closing quote at column 4");
}

static void test_csv_wrong_types_are_null_and_the_rest_of_the_row_survives(void **state)
{
    open_csv(ALL ", _corrupt_record STRING", (struct csv_opts){ 0 });
    feed("9223372036854775808,ok,1.2.3,yes,May 3rd\n");
    assert_string_equal(rows.data, "{\"a\":null,\"b\":\"ok\",\"c\":null,\"d\":null,\"t\":null,"
                                   "\"_corrupt_record\":\"9223372036854775808,ok,1.2.3,yes,May 3rd\"}\n");
    assert_int_equal(stats.malformed, 1);
}

static void test_csv_skips_blank_lines_and_handles_crlf_and_a_missing_final_newline(void **state)
{
    open_csv("a LONG, b STRING", (struct csv_opts){ 0 });
    feed("\xEF\xBB\xBF" "1,x\r\n\r\n  \n2,\"y\"\r\n3,z");
    assert_string_equal(rows.data, "{\"a\":1,\"b\":\"x\"}\n{\"a\":2,\"b\":\"y\"}\n{\"a\":3,\"b\":\"z\"}\n");
    assert_int_equal(stats.malformed, 0);
}

static void test_csv_rejects_nested_columns_at_decoder_new(void **state)
{
    if (sluice_schema_parse("a LONG, s STRUCT<x: LONG>", &schema, &err)) fail();
    struct sluice_decode_opts o = { .size = sizeof o, .format = "csv", .schema = &schema };
    assert_int_equal(sluice_decoder_new(&o, &dec, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "csv column 's' is a struct, but csv holds only flat columns");
    assert_null(dec);
}

#define FFFD "\xEF\xBF\xBD"

/* As Spark reading through Java's decoder: what is not UTF-8 becomes
 * U+FFFD in the string values (Python's decode("utf-8", "replace") gives
 * the expected forms), counted; a raw malformed row's text too. */
static void test_csv_replaces_invalid_utf8_in_string_values(void **state)
{
    open_csv("s STRING, n LONG, _corrupt_record STRING", (struct csv_opts){ 0 });
    feed("caf\xC3\xA9 \xFF,1\n\"q\xE2\x82\"\"x\",2\n\xC0,3,extra\n\xF0\x9F\x98\x80,4\n");
    assert_string_equal(rows.data,
                        "{\"s\":\"caf\xC3\xA9 " FFFD "\",\"n\":1,\"_corrupt_record\":null}\n"
                        "{\"s\":\"q" FFFD "\\\"x\",\"n\":2,\"_corrupt_record\":null}\n"
                        "{\"s\":\"" FFFD "\",\"n\":3,\"_corrupt_record\":\"" FFFD ",3,extra\"}\n"
                        "{\"s\":\"\xF0\x9F\x98\x80\",\"n\":4,\"_corrupt_record\":null}\n");
    assert_int_equal(stats.invalid_utf8, 4);
    assert_int_equal(stats.malformed, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_csv_converts_every_type_by_position),
        T(test_csv_empty_fields_are_null_but_a_quoted_empty_string_is_empty),
        T(test_csv_quoted_fields_hold_delimiters_and_doubled_quotes),
        T(test_csv_uses_the_delimiter_option),
        T(test_csv_header_maps_columns_by_name_ignoring_case),
        T(test_csv_without_header_option_reads_the_first_line_as_data),
        T(test_csv_projection_converts_only_needed_columns),
        T(test_csv_permissive_keeps_short_and_long_rows_as_malformed),
        T(test_csv_drop_malformed_drops_ragged_and_wrong_type_rows),
        T(test_csv_fail_fast_names_the_file_and_line),
        T(test_csv_wrong_types_are_null_and_the_rest_of_the_row_survives),
        T(test_csv_skips_blank_lines_and_handles_crlf_and_a_missing_final_newline),
        T(test_csv_rejects_nested_columns_at_decoder_new),
        T(test_csv_replaces_invalid_utf8_in_string_values),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
