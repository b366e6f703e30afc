/* Unit tests for core/formats/decode_json.c (and the shared parse-mode logic in
 * core/formats/decode.c): every type, nulls, projection, skipping, escapes, Spark's
 * malformed-line and wrong-type rules in each mode, line framing. Rows are
 * compared as rendered JSON, so each expectation shows every column. */
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
static struct sluice_buf rows; /* the last batch, one rendered row per line */

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

/* A decoder for `ddl` (or @file); paths NULL means every column. */
static void open_mode(const char *ddl, enum sluice_parse_mode mode, const char *const *paths, size_t n)
{
    if (sluice_schema_parse(ddl, &schema, &err)) fail_msg("schema: %s", err.message);
    struct sluice_projection proj = { paths == NULL, paths ? n : 0, paths };
    struct sluice_decode_opts o = { .size = sizeof o, .format = "json", .schema = &schema,
                                    .projection = &proj, .mode = mode, .stats_size = sizeof stats };
    if (sluice_decoder_new(&o, &dec, &err)) fail_msg("decoder_new: %s", err.message);
}

static void open_all(const char *ddl)
{
    open_mode(ddl, SLUICE_PARSE_PERMISSIVE, NULL, 0);
}

static int feed_at(const char *text, size_t len, const char *origin, int64_t first_line, bool file_start)
{
    sluice_batch_release(&batch);
    sluice_buf_clear(&rows);
    struct sluice_decode_input in = { text, len, origin, first_line, file_start };
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
    int rc = feed_at(text, strlen(text), "t.json", 1, true);
    if (rc) fail_msg("decode failed: %s", err.message);
}

#define SMALL "a LONG, b STRING, c DOUBLE, d BOOLEAN, t TIMESTAMP"

/* ---- values -------------------------------------------------------------- */

static void test_json_decodes_every_type(void **state)
{
    open_all(SMALL ", s STRUCT<x: LONG, y: ARRAY<STRING>>, m ARRAY<ARRAY<LONG>>");
    feed("{\"a\":-42,\"b\":\"hi\",\"c\":2.5e-1,\"d\":false,\"t\":\"2021-05-03T07:55:40.123Z\","
         "\"s\":{\"x\":7,\"y\":[\"p\",\"q\"]},\"m\":[[1,2],[],[3]]}\n");
    assert_string_equal(rows.data,
                        "{\"a\":-42,\"b\":\"hi\",\"c\":0.25,\"d\":false,\"t\":\"2021-05-03T07:55:40.123Z\","
                        "\"s\":{\"x\":7,\"y\":[\"p\",\"q\"]},\"m\":[[1,2],[],[3]]}\n");
    const struct ArrowArray *t = batch.array.children[4];
    assert_int_equal(sluice_get_timestamp(t, 0), INT64_C(1620028540123000));
    assert_int_equal(stats.rows, 1);
    assert_int_equal(stats.malformed, 0);
}

/* Objects as maps (key order kept, escaped keys unescaped), and dates;
 * a value that does not convert nulls the map and marks the line. */
static void test_json_decodes_maps_and_dates(void **state)
{
    open_all("m MAP<STRING, BIGINT>, n MAP<STRING, STRUCT<x: ARRAY<LONG>>>, d DATE");
    feed("{\"m\":{\"b\":2,\"a\\u0041\":null},\"n\":{\"k\":{\"x\":[1]}},\"d\":\"2021-05-03\"}\n"
         "{\"m\":{},\"n\":null,\"d\":\"2021-5-3 10:00\"}\n"
         "{\"m\":{\"a\":\"x\"},\"d\":\"2021-02-30\"}\n");
    assert_string_equal(rows.data,
                        "{\"m\":{\"b\":2,\"aA\":null},\"n\":{\"k\":{\"x\":[1]}},\"d\":\"2021-05-03\"}\n"
                        "{\"m\":{},\"n\":null,\"d\":\"2021-05-03\"}\n"
                        "{\"m\":null,\"n\":null,\"d\":null}\n");
    assert_int_equal(stats.malformed, 1);
}

static void test_json_missing_fields_and_nulls_come_out_null(void **state)
{
    open_all(SMALL ", s STRUCT<x: LONG>, l ARRAY<LONG>");
    feed("{\"a\":null,\"s\":null,\"l\":[null,1]}\n{}\n{\"s\":{},\"l\":null,\"b\":null}\n");
    assert_string_equal(rows.data,
                        "{\"a\":null,\"b\":null,\"c\":null,\"d\":null,\"t\":null,\"s\":null,\"l\":[null,1]}\n"
                        "{\"a\":null,\"b\":null,\"c\":null,\"d\":null,\"t\":null,\"s\":null,\"l\":null}\n"
                        "{\"a\":null,\"b\":null,\"c\":null,\"d\":null,\"t\":null,\"s\":{\"x\":null},\"l\":null}\n");
    assert_int_equal(stats.malformed, 0);
}

static void test_json_unescapes_escapes_unicode_and_surrogate_pairs(void **state)
{
    open_all("b STRING");
    /* \u00e9 is é, \ud83d\ude00 is U+1F600, a lone \ud800 becomes '?' as in Spark. */
    feed("{\"b\":\"q\\\"\\\\\\/\\b\\f\\n\\r\\t \\u00e9\\u20AC\\ud83d\\ude00 \\ud800x \\u0041\"}\n");
    const char *s;
    int32_t n = sluice_get_string(batch.array.children[0], 0, &s);
    const char want[] = "q\"\\/\b\f\n\r\t \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80 ?x A";
    assert_int_equal(n, (int32_t)sizeof want - 1);
    assert_memory_equal(s, want, sizeof want - 1);
}

static void test_json_finds_a_key_written_with_escapes(void **state)
{
    open_all("lang STRING");
    feed("{\"l\\u0061ng\":\"fr\"}\n");
    assert_string_equal(rows.data, "{\"lang\":\"fr\"}\n");
}

static void test_json_number_rules_follow_spark(void **state)
{
    open_all("a LONG, c DOUBLE, t TIMESTAMP");
    feed("{\"a\":9223372036854775807,\"c\":3,\"t\":1620028540}\n"
         "{\"a\":-9223372036854775808,\"c\":\"NaN\",\"t\":-1}\n"
         "{\"c\":-Infinity}\n"
         "{\"c\":123456789012345678901234567890}\n"
         "{\"c\":0.1}\n");
    const struct ArrowArray *a = batch.array.children[0], *c = batch.array.children[1],
                            *t = batch.array.children[2];
    assert_int_equal(sluice_get_long(a, 0), INT64_MAX);
    assert_int_equal(sluice_get_long(a, 1), INT64_MIN);
    assert_true(sluice_get_double(c, 0) == 3.0);
    assert_true(sluice_get_double(c, 1) != sluice_get_double(c, 1)); /* NaN */
    assert_true(sluice_get_double(c, 2) == -__builtin_inf());
    assert_true(sluice_get_double(c, 3) == 1.2345678901234568e29);
    assert_true(sluice_get_double(c, 4) == 0.1);
    /* An integer for a timestamp counts seconds. */
    assert_int_equal(sluice_get_timestamp(t, 0), INT64_C(1620028540000000));
    assert_int_equal(sluice_get_timestamp(t, 1), -1000000);
    assert_int_equal(stats.malformed, 0);
}

static void test_json_non_string_values_for_a_string_field_keep_their_exact_text(void **state)
{
    open_all("b STRING");
    feed("{\"b\":123}\n{\"b\":1.50}\n{\"b\":true}\n{\"b\":{\"k\": [1, \"x\"]}}\n{\"b\":[ ]}\n");
    assert_string_equal(rows.data, "{\"b\":\"123\"}\n{\"b\":\"1.50\"}\n{\"b\":\"true\"}\n"
                                   "{\"b\":\"{\\\"k\\\": [1, \\\"x\\\"]}\"}\n{\"b\":\"[ ]\"}\n");
    assert_int_equal(stats.malformed, 0);
}

static void test_json_last_duplicate_key_wins(void **state)
{
    open_all("a LONG, s STRUCT<x: LONG, l: ARRAY<LONG>>");
    feed("{\"a\":1,\"s\":{\"x\":1,\"l\":[1,2]},\"a\":2,\"s\":{\"l\":[3]}}\n{\"a\":5}\n");
    assert_string_equal(rows.data, "{\"a\":2,\"s\":{\"x\":null,\"l\":[3]}}\n{\"a\":5,\"s\":null}\n");
}

static void test_json_single_quoted_strings_are_accepted_as_spark_does(void **state)
{
    open_all("a LONG, b STRING");
    feed("{'a':3,'b':'it\\'s \"x\"'}\n");
    assert_string_equal(rows.data, "{\"a\":3,\"b\":\"it's \\\"x\\\"\"}\n");
}

/* ---- projection and skipping ------------------------------------------------ */

static const char tweet[] =
    "{\"data\":{\"public_metrics\":{\"retweet_count\":1,\"reply_count\":6,\"like_count\":0,\"quote_count\":2},"
    "\"text\":\"caf\\u00e9 \\\"quoted\\\" \\ud83d\\ude00 #cats\",\"possibly_sensitive\":false,"
    "\"created_at\":\"2021-05-03T07:55:40.000Z\",\"id\":\"1389126495893854414\","
    "\"entities\":{\"hashtags\":[{\"start\":19,\"end\":35,\"tag\":\"cats\"},{\"tag\":\"dogs\",\"start\":40}],"
    "\"urls\":[{\"start\":36,\"end\":59,\"url\":\"https://t.co/x\",\"images\":[{\"height\":1,\"url\":\"u\"}]}],"
    "\"annotations\":[{\"probability\":0.5895,\"type\":\"Person\"}]},"
    "\"lang\" : \"en\" , \"source\":\"Twitter for iPhone\",\"author_id\":\"606856313\"},"
    "\"includes\":{\"users\":[{\"created_at\":\"2012-06-13T03:36:00.000Z\",\"username\":\"DivinedHavoc\","
    "\"verified\":false,\"name\":\"Justin\",\"id\":\"606856313\"}]}}\n";

static void test_json_projection_leaves_unneeded_columns_null(void **state)
{
    const char *paths[] = { "data.lang" };
    open_mode("@configs/schemas/tweet.json", SLUICE_PARSE_PERMISSIVE, paths, 1);
    feed(tweet);
    assert_string_equal(rows.data,
                        "{\"data\":{\"author_id\":null,\"text\":null,\"source\":null,\"lang\":\"en\","
                        "\"created_at\":null,\"entities\":null,\"public_metrics\":null},\"includes\":null}\n");
    assert_int_equal(stats.malformed, 0);
}

static void test_json_projection_fills_a_field_inside_an_array_of_structs(void **state)
{
    const char *paths[] = { "data.entities.hashtags.tag", "includes.users.verified" };
    open_mode("@configs/schemas/tweet.json", SLUICE_PARSE_PERMISSIVE, paths, 2);
    feed(tweet);
    assert_string_equal(rows.data,
                        "{\"data\":{\"author_id\":null,\"text\":null,\"source\":null,\"lang\":null,"
                        "\"created_at\":null,\"entities\":{\"annotations\":null,\"cashtags\":null,"
                        "\"hashtags\":[{\"end\":null,\"start\":null,\"tag\":\"cats\"},"
                        "{\"end\":null,\"start\":null,\"tag\":\"dogs\"}],\"mentions\":null,\"urls\":null},"
                        "\"public_metrics\":null},\"includes\":{\"users\":[{\"created_at\":null,\"id\":null,"
                        "\"name\":null,\"username\":null,\"verified\":false}]}}\n");
}

static void test_json_decodes_a_whole_tweet(void **state)
{
    open_all("@configs/schemas/tweet.json");
    feed(tweet);
    assert_string_equal(
        rows.data,
        "{\"data\":{\"author_id\":\"606856313\",\"text\":\"caf\xC3\xA9 \\\"quoted\\\" \xF0\x9F\x98\x80 #cats\","
        "\"source\":\"Twitter for iPhone\",\"lang\":\"en\",\"created_at\":\"2021-05-03T07:55:40.000Z\","
        "\"entities\":{\"annotations\":[{\"end\":null,\"normalized_text\":null,\"probability\":0.5895,"
        "\"start\":null,\"type\":\"Person\"}],\"cashtags\":null,\"hashtags\":[{\"end\":35,\"start\":19,"
        "\"tag\":\"cats\"},{\"end\":null,\"start\":40,\"tag\":\"dogs\"}],\"mentions\":null,"
        "\"urls\":[{\"description\":null,\"display_url\":null,\"end\":59,\"expanded_url\":null,"
        "\"images\":[{\"height\":1,\"url\":\"u\",\"width\":null}],\"start\":36,\"status\":null,"
        "\"title\":null,\"unwound_url\":null,\"url\":\"https://t.co/x\"}]},\"public_metrics\":{"
        "\"like_count\":0,\"reply_count\":6,\"retweet_count\":1,\"quote_count\":2}},"
        "\"includes\":{\"users\":[{\"created_at\":\"2012-06-13T03:36:00.000Z\",\"id\":\"606856313\","
        "\"name\":\"Justin\",\"username\":\"DivinedHavoc\",\"verified\":false}]}}\n");
}

static void test_json_skips_every_kind_of_unneeded_value(void **state)
{
    const char *paths[] = { "a" };
    open_mode("a LONG, z STRING", SLUICE_PARSE_PERMISSIVE, paths, 1);
    feed("{ \"x\" : { \"y\" : [ 1 , -2.5e+3 , true , false , null , \"s\\\"]}\" , { } , [ ] ] } ,"
         "\"q\":\"\\u005c\\\\\",\"n\":NaN,\"z\":\"not needed\",\t\"a\" :\t17 }\n");
    assert_string_equal(rows.data, "{\"a\":17,\"z\":null}\n");
    assert_int_equal(stats.malformed, 0);
}

/* Skipped subtrees longer than the skipper's 64-byte blocks, with escaped
 * quotes, backslash runs and \u escapes across block edges, whitespace of
 * every kind, and the line's end right at the buffer's end. */
static void test_json_skips_long_subtrees_block_by_block_and_still_checks_them(void **state)
{
    const char *paths[] = { "a" };
    open_mode("a LONG", SLUICE_PARSE_DROP_MALFORMED, paths, 1);
    struct sluice_buf text = { 0 };
    for (int pad = 0; pad < 70; pad++) {
        sluice_buf_printf(&text, "{\"x\":[\"%.*s\", {\"k\\\"ey\" :\t\"v\\\\\\\"\\u00e9\\ud83d\\ude00\"} ,\r[[], {}, "
                          "[1, -2.5e3, true, false, null]], \"%.*s\\\\\"], \"a\": %d}\n",
                          pad, "................................................................................",
                          70 - pad, "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
                          pad);
        /* The same with its last skipped string left open: malformed. */
        sluice_buf_printf(&text, "{\"x\":[\"%.*s\", [1, {\"k\":\"v\"}], \"open], \"a\": 0}\n", pad,
                          "................................................................................");
    }
    sluice_buf_puts(&text, "{\"x\":{\"deep\":[[[[[[[[\"\\\"\"]]]]]]]]},\"a\":70}"); /* no newline: ends the buffer */
    feed_at(text.data, text.len, "t.json", 1, true);
    struct sluice_buf want = { 0 };
    for (int i = 0; i <= 70; i++) sluice_buf_printf(&want, "{\"a\":%d}\n", i);
    assert_string_equal(rows.data, want.data);
    assert_int_equal(stats.malformed, 70);
    sluice_buf_free(&text);
    sluice_buf_free(&want);
}

/* ---- malformed lines and wrong types ------------------------------------------ */

#define CORRUPT_SCHEMA "a LONG, s STRUCT<x: LONG, l: ARRAY<STRING>>, _corrupt_record STRING"

static const char bad_lines[] =
    "{\"a\":1,\"s\":{\"x\":2,\"l\":[\"p\"]}}\n"
    "{\"a\":3,\"s\":{\"x\":4,\"l\":[\"q\",\"r\"]},\"b\":[1,}\n"  /* values appended, then broken */
    "{\"a\":5}\n"
    "{\"a\":6,\"s\":{\"x\":\"seven\",\"l\":[\"k\"]}}\r\n"          /* wrong type only */
    "[1,2]\n"
    "\"just a string\"\n"
    "{\"a\":8";

static void test_json_permissive_turns_a_malformed_line_into_nulls_and_keeps_its_text(void **state)
{
    open_all(CORRUPT_SCHEMA);
    feed(bad_lines);
    assert_string_equal(rows.data,
                        "{\"a\":1,\"s\":{\"x\":2,\"l\":[\"p\"]},\"_corrupt_record\":null}\n"
                        "{\"a\":null,\"s\":null,\"_corrupt_record\":\"{\\\"a\\\":3,\\\"s\\\":{\\\"x\\\":4,"
                        "\\\"l\\\":[\\\"q\\\",\\\"r\\\"]},\\\"b\\\":[1,}\"}\n"
                        "{\"a\":5,\"s\":null,\"_corrupt_record\":null}\n"
                        "{\"a\":6,\"s\":{\"x\":null,\"l\":[\"k\"]},\"_corrupt_record\":\"{\\\"a\\\":6,"
                        "\\\"s\\\":{\\\"x\\\":\\\"seven\\\",\\\"l\\\":[\\\"k\\\"]}}\"}\n"
                        "{\"a\":null,\"s\":null,\"_corrupt_record\":\"[1,2]\"}\n"
                        "{\"a\":null,\"s\":null,\"_corrupt_record\":\"\\\"just a string\\\"\"}\n"
                        "{\"a\":null,\"s\":null,\"_corrupt_record\":\"{\\\"a\\\":8\"}\n");
    assert_int_equal(stats.rows, 7);
    assert_int_equal(stats.malformed, 5);
    assert_int_equal(stats.bytes, (int64_t)strlen(bad_lines));
}

static void test_json_permissive_without_a_corrupt_column_still_keeps_a_null_row(void **state)
{
    open_all("a LONG");
    feed("{\"a\":1}\n{\"a\":\n{\"a\":\"x\"}\n");
    assert_string_equal(rows.data, "{\"a\":1}\n{\"a\":null}\n{\"a\":null}\n");
    assert_int_equal(stats.malformed, 2);
}

static void test_json_corrupt_column_name_comes_from_the_options(void **state)
{
    if (sluice_schema_parse("a LONG, bad STRING, _corrupt_record STRING", &schema, &err)) fail();
    struct sluice_decode_opts o = { .size = sizeof o, .format = "json", .schema = &schema,
                                    .corrupt_column = "bad" };
    assert_int_equal(sluice_decoder_new(&o, &dec, &err), 0);
    feed("{\"a\":1,\"_corrupt_record\":\"kept\",\"bad\":\"ignored\"}\n{oops}\n");
    assert_string_equal(rows.data, "{\"a\":1,\"bad\":null,\"_corrupt_record\":\"kept\"}\n"
                                   "{\"a\":null,\"bad\":\"{oops}\",\"_corrupt_record\":null}\n");
}

static void test_json_drop_malformed_drops_broken_and_wrong_type_lines(void **state)
{
    open_mode(CORRUPT_SCHEMA, SLUICE_PARSE_DROP_MALFORMED, NULL, 0);
    feed(bad_lines);
    assert_string_equal(rows.data, "{\"a\":1,\"s\":{\"x\":2,\"l\":[\"p\"]},\"_corrupt_record\":null}\n"
                                   "{\"a\":5,\"s\":null,\"_corrupt_record\":null}\n");
    assert_int_equal(stats.rows, 2);
    assert_int_equal(stats.malformed, 5);
}

static void test_json_fail_fast_names_the_file_and_line(void **state)
{
    open_mode(CORRUPT_SCHEMA, SLUICE_PARSE_FAIL_FAST, NULL, 0);
    const char text[] = "{\"a\":1}\n\n{\"a\":2,\"s\":{\"x\":3}} \n{\"a\":3,\"s\":[}\n";
    assert_int_equal(feed_at(text, strlen(text), "data/part-7.json", 41, false), SLUICE_EDATA);
    assert_string_equal(err.message,
                        "malformed JSON at data/part-7.json:44: expected a value at column 13, found '}'");
    assert_null(batch.array.release);

    /* A wrong type fails too, naming the field; the decoder is reusable. */
    const char typed[] = "{\"a\":1}\n{\"a\":1.5}\n";
    assert_int_equal(feed_at(typed, strlen(typed), "x.json", 1, true), SLUICE_EDATA);
    assert_string_equal(err.message, "malformed JSON at x.json:2: field 'a' cannot hold 1.5 as long");
    const char good[] = "{\"a\":9}\n";
    assert_int_equal(feed_at(good, strlen(good), "x.json", 3, false), 0);
    assert_string_equal(rows.data, "{\"a\":9,\"s\":null,\"_corrupt_record\":null}\n");
}

static void test_json_wrong_types_make_only_that_field_null(void **state)
{
    open_all(SMALL ", s STRUCT<x: LONG, y: BOOLEAN>");
    feed("{\"a\":\"12\",\"b\":\"ok\",\"c\":\"1.5\",\"d\":1,\"t\":\"not a time\",\"s\":{\"x\":[1],\"y\":true}}\n"
         "{\"a\":1.0,\"c\":true,\"d\":\"true\",\"t\":\"\",\"s\":5}\n"
         "{\"a\":99999999999999999999,\"t\":1.5,\"s\":{\"x\":{}}}\n");
    assert_string_equal(rows.data,
                        "{\"a\":null,\"b\":\"ok\",\"c\":null,\"d\":null,\"t\":null,\"s\":{\"x\":null,\"y\":true}}\n"
                        "{\"a\":null,\"b\":null,\"c\":null,\"d\":null,\"t\":null,\"s\":null}\n"
                        "{\"a\":null,\"b\":null,\"c\":null,\"d\":null,\"t\":null,\"s\":{\"x\":null,\"y\":null}}\n");
    assert_int_equal(stats.malformed, 3);
}

static void test_json_one_bad_element_makes_the_whole_array_null(void **state)
{
    open_all("l ARRAY<LONG>, o ARRAY<STRUCT<v: LONG>>, k LONG");
    feed("{\"l\":[1,\"two\",3],\"o\":[{\"v\":1},{\"v\":\"x\"},7],\"k\":4}\n"
         "{\"l\":[1,2],\"o\":[{\"v\":1},{\"v\":\"x\"}],\"k\":5}\n");
    /* Spark: a primitive element of the wrong type fails the array; a
     * struct element with a bad field keeps its other fields. */
    assert_string_equal(rows.data, "{\"l\":null,\"o\":null,\"k\":4}\n"
                                   "{\"l\":[1,2],\"o\":[{\"v\":1},{\"v\":null}],\"k\":5}\n");
    assert_int_equal(stats.malformed, 2);
}

static void test_json_rejects_broken_syntax_even_in_skipped_parts(void **state)
{
    const char *paths[] = { "a" };
    open_mode("a LONG", SLUICE_PARSE_DROP_MALFORMED, paths, 1);
    feed("{\"a\":1,\"x\":\"raw\ttab\"}\n"
         "{\"a\":2,\"x\":[1,2,]}\n"
         "{\"a\":3,\"x\":tru}\n"
         "{\"a\":4,\"x\":01}\n"
         "{\"a\":5,\"x\":{\"k\" 1}}\n"
         "{\"a\":6,\"x\":[[1]}\n"
         "{\"a\":7,\"x\":\"\\q\"}\n"
         "{\"a\":8,\"x\":\"\\u12g4\"}\n"
         "{\"a\":9,\"x\":1.}\n"
         "{\"a\":10,\"x\":\"unterminated}\n"
         "{\"a\":11,\"x\":{\"k\":1,}}\n"
         "{\"a\":12,\"x\":[1 2]}\n"
         "{\"a\":13,\"x\":{\"k\":[1,{\"z\":}]}}\n"
         "{\"a\":14,\"x\":-}\n"
         "{\"a\":15,\"x\":{1:2}}\n"
         "{\"a\":16,\"x\":[{]}\n"
         "{\"a\":17,\"x\":[-01]}\n"
         "{\"a\":18,\"x\":{\"k\":nul}}\n"
         "{\"x\":[{\"k\":[-0,0,-1,10,1e5,0.5,-1.5E-3,-Infinity,NaN]},{},[[]],\"\\u00e9\"],\"a\":19}\n"
         "{\"a\":20,\"x\":{}}\n");
    assert_string_equal(rows.data, "{\"a\":19}\n{\"a\":20}\n");
    assert_int_equal(stats.malformed, 18);
}

static void test_json_nesting_deeper_than_1000_is_malformed(void **state)
{
    open_mode("a LONG", SLUICE_PARSE_FAIL_FAST, NULL, 0);
    struct sluice_buf text = { 0 };
    sluice_buf_puts(&text, "{\"a\":1,\"x\":");
    for (int i = 0; i < 1000; i++) sluice_buf_putc(&text, '[');
    for (int i = 0; i < 1000; i++) sluice_buf_putc(&text, ']');
    sluice_buf_puts(&text, "}\n");
    assert_int_equal(feed_at(text.data, text.len, "d.json", 1, true), SLUICE_EDATA);
    assert_non_null(strstr(err.message, "nesting deeper than 1000"));
    /* 999 arrays inside the object make 1000 levels: fine. */
    text.len = 0;
    sluice_buf_puts(&text, "{\"a\":1,\"x\":");
    for (int i = 0; i < 999; i++) sluice_buf_putc(&text, '[');
    for (int i = 0; i < 999; i++) sluice_buf_putc(&text, ']');
    sluice_buf_puts(&text, "}\n");
    assert_int_equal(feed_at(text.data, text.len, "d.json", 1, true), 0);
    assert_string_equal(rows.data, "{\"a\":1}\n");
    sluice_buf_free(&text);
}

static void test_json_text_after_the_first_object_is_ignored_as_spark_does(void **state)
{
    open_all("a LONG, _corrupt_record STRING");
    feed("{\"a\":1} trailing\n{\"a\":2}{\"a\":3}\n");
    assert_string_equal(rows.data, "{\"a\":1,\"_corrupt_record\":null}\n{\"a\":2,\"_corrupt_record\":null}\n");
    assert_int_equal(stats.malformed, 0);
}

static void test_json_top_level_array_gives_one_row_per_object(void **state)
{
    open_all("a LONG, _corrupt_record STRING");
    feed("[{\"a\":1}, {\"a\":2}]\n[]\n[{\"a\":3},4]\n");
    assert_string_equal(rows.data, "{\"a\":1,\"_corrupt_record\":null}\n{\"a\":2,\"_corrupt_record\":null}\n"
                                   "{\"a\":null,\"_corrupt_record\":\"[{\\\"a\\\":3},4]\"}\n");
    assert_int_equal(stats.malformed, 1);
}

/* ---- framing ------------------------------------------------------------------ */

static void test_json_skips_bom_crlf_blank_lines_and_takes_a_last_line_without_newline(void **state)
{
    open_all("a LONG, _corrupt_record STRING");
    const char text[] = "\xEF\xBB\xBF{\"a\":1}\r\n\r\n   \n\t\r\n{\"a\":2}\r\n{\"a\":3}";
    assert_int_equal(feed_at(text, sizeof text - 1, "b.json", 1, true), 0);
    assert_string_equal(rows.data, "{\"a\":1,\"_corrupt_record\":null}\n{\"a\":2,\"_corrupt_record\":null}\n"
                                   "{\"a\":3,\"_corrupt_record\":null}\n");
    assert_int_equal(stats.malformed, 0);
    /* A BOM in the middle of a file is not skipped: that line is malformed. */
    assert_int_equal(feed_at(text, sizeof text - 1, "b.json", 9, false), 0);
    assert_int_equal(stats.malformed, 1);
    assert_int_equal(stats.rows, 6);
}

static void test_json_decodes_a_4_mb_line(void **state)
{
    open_all("a LONG, s STRING");
    size_t big = 4u << 20;
    struct sluice_buf text = { 0 };
    sluice_buf_puts(&text, "{\"skip\":\"");
    for (size_t i = 0; i < big / 8; i++) sluice_buf_append(&text, "ab\\\"cd\\n", 8);
    sluice_buf_puts(&text, "\",\"s\":\"");
    size_t s_at = text.len;
    for (size_t i = 0; i < big / 4; i++) sluice_buf_putc(&text, (char)('a' + i % 26));
    size_t s_len = text.len - s_at;
    sluice_buf_puts(&text, "\",\"a\":12}\n{\"a\":13}\n");
    assert_int_equal(feed_at(text.data, text.len, "big.json", 1, true), 0);
    assert_int_equal(batch.array.length, 2);
    assert_int_equal(sluice_get_long(batch.array.children[0], 0), 12);
    const char *s;
    assert_int_equal(sluice_get_string(batch.array.children[1], 0, &s), (int32_t)s_len);
    assert_memory_equal(s, text.data + s_at, s_len);
    assert_int_equal(sluice_get_long(batch.array.children[0], 1), 13);
    sluice_buf_free(&text);
}

static void test_json_decoder_is_reusable_and_batches_are_independent(void **state)
{
    open_all("b STRING, l ARRAY<LONG>");
    feed("{\"b\":\"one\",\"l\":[1]}\n");
    struct sluice_batch first = batch;
    batch.array.release = NULL;
    feed("{\"b\":\"two\",\"l\":[2,3]}\n{\"b\":\"three\"}\n");
    assert_string_equal(rows.data, "{\"b\":\"two\",\"l\":[2,3]}\n{\"b\":\"three\",\"l\":null}\n");
    const char *s;
    assert_int_equal(sluice_get_string(first.array.children[0], 0, &s), 3);
    assert_memory_equal(s, "one", 3);
    sluice_batch_release(&first);
    feed("");
    assert_string_equal(rows.data, "");
    assert_int_equal(batch.array.length, 0);
    assert_int_equal(stats.rows, 3);
}

/* ---- options ------------------------------------------------------------------ */

/* ---- invalid UTF-8 ------------------------------------------------------ */

#define FFFD "\xEF\xBF\xBD"

/* Spark reads text through Java's UTF-8 decoder, which replaces what is not
 * UTF-8 with U+FFFD: every string value built is repaired the same way (and
 * counted), so no output written from it is invalid JSON. The expected
 * forms follow Python's bytes.decode("utf-8", "replace"). */
static void test_json_replaces_invalid_utf8_in_every_string_value_built(void **state)
{
    open_all("b STRING, s STRUCT<x: STRING>, l ARRAY<STRING>, o STRING, n LONG");
    feed("{\"b\":\"caf\xC3\xA9 \xFF!\",\"s\":{\"x\":\"\xE2\x82\"},\"l\":[\"ok\",\"\xC0\xAF\"],"
         "\"o\":{\"k\":\"\xED\xA0\x80\"},\"n\":1}\n"
         "{\"b\":\"tab\\t\xF0\x9F\x98\x80\\u00e9\xF4\x90\x80\x80\"}\n"
         "{\"b\":\"clean \xF0\x9F\x98\x80 text\"}\n");
    assert_string_equal(rows.data,
                        "{\"b\":\"caf\xC3\xA9 " FFFD "!\",\"s\":{\"x\":\"" FFFD "\"},\"l\":[\"ok\",\"" FFFD FFFD "\"],"
                        "\"o\":\"{\\\"k\\\":\\\"" FFFD FFFD FFFD "\\\"}\",\"n\":1}\n"
                        "{\"b\":\"tab\\t\xF0\x9F\x98\x80\xC3\xA9" FFFD FFFD FFFD FFFD "\",\"s\":null,\"l\":null,\"o\":null,"
                        "\"n\":null}\n"
                        "{\"b\":\"clean \xF0\x9F\x98\x80 text\",\"s\":null,\"l\":null,\"o\":null,\"n\":null}\n");
    assert_int_equal(stats.invalid_utf8, 1 + 1 + 2 + 3 + 4);
    assert_int_equal(stats.malformed, 0);
    /* The count is per call. */
    feed("{\"b\":\"\xFF\"}\n");
    assert_int_equal(stats.invalid_utf8, 11 + 1);
}

/* What the projection skips is never built, so never checked or counted. */
static void test_json_leaves_invalid_utf8_in_skipped_values_alone(void **state)
{
    open_mode("b STRING, x STRING", SLUICE_PARSE_PERMISSIVE, (const char *const[]){ "b" }, 1);
    feed("{\"x\":\"\xFF\xFF\",\"b\":\"fine\"}\n");
    assert_string_equal(rows.data, "{\"b\":\"fine\",\"x\":null}\n");
    assert_int_equal(stats.invalid_utf8, 0);
}

static void test_json_repairs_the_raw_line_in_the_corrupt_column(void **state)
{
    open_all("a LONG, _corrupt_record STRING");
    feed("{\"a\":\xFF}\n");
    assert_string_equal(rows.data, "{\"a\":null,\"_corrupt_record\":\"{\\\"a\\\":" FFFD "}\"}\n");
    assert_int_equal(stats.malformed, 1);
    assert_int_equal(stats.invalid_utf8, 1);
}

/* A caller built before the count existed has a shorter stats struct: the
 * decoder writes nothing past what opts.stats_size says it has. */
static void test_json_counts_invalid_utf8_only_for_callers_that_have_the_field(void **state)
{
    if (sluice_schema_parse("b STRING", &schema, &err)) fail_msg("schema: %s", err.message);
    struct sluice_decode_opts o = { .size = sizeof o, .format = "json", .schema = &schema,
                                    .stats_size = offsetof(struct sluice_decode_stats, invalid_utf8) };
    if (sluice_decoder_new(&o, &dec, &err)) fail_msg("decoder_new: %s", err.message);
    stats.invalid_utf8 = 99; /* stands for whatever follows an older caller's struct */
    feed("{\"b\":\"\xFF\"}\n");
    assert_string_equal(rows.data, "{\"b\":\"" FFFD "\"}\n");
    assert_int_equal(stats.rows, 1);
    assert_int_equal(stats.invalid_utf8, 99);
}

static void test_decoder_new_rejects_bad_options(void **state)
{
    if (sluice_schema_parse("a LONG, c BOOLEAN, s STRUCT<x: LONG>", &schema, &err)) fail();
    struct sluice_decode_opts o = { .size = sizeof o, .format = "xml", .schema = &schema };
    assert_int_equal(sluice_decoder_new(&o, &dec, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "unknown format 'xml'");
    assert_null(dec);

    o.format = "json";
    o.corrupt_column = "c";
    assert_int_equal(sluice_decoder_new(&o, &dec, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "corrupt record column 'c' must be a string, not boolean");

    o.corrupt_column = NULL;
    const char *paths[] = { "s.y" };
    struct sluice_projection proj = { false, 1, paths };
    o.projection = &proj;
    assert_int_equal(sluice_decoder_new(&o, &dec, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "projection path 's.y': no field 'y'");
    paths[0] = "a.b";
    assert_int_equal(sluice_decoder_new(&o, &dec, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "projection path 'a.b': 'a' is not a struct");
    assert_null(dec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_json_decodes_every_type),
        T(test_json_decodes_maps_and_dates),
        T(test_json_missing_fields_and_nulls_come_out_null),
        T(test_json_unescapes_escapes_unicode_and_surrogate_pairs),
        T(test_json_finds_a_key_written_with_escapes),
        T(test_json_number_rules_follow_spark),
        T(test_json_non_string_values_for_a_string_field_keep_their_exact_text),
        T(test_json_last_duplicate_key_wins),
        T(test_json_single_quoted_strings_are_accepted_as_spark_does),
        T(test_json_projection_leaves_unneeded_columns_null),
        T(test_json_projection_fills_a_field_inside_an_array_of_structs),
        T(test_json_decodes_a_whole_tweet),
        T(test_json_skips_every_kind_of_unneeded_value),
        T(test_json_skips_long_subtrees_block_by_block_and_still_checks_them),
        T(test_json_permissive_turns_a_malformed_line_into_nulls_and_keeps_its_text),
        T(test_json_permissive_without_a_corrupt_column_still_keeps_a_null_row),
        T(test_json_corrupt_column_name_comes_from_the_options),
        T(test_json_drop_malformed_drops_broken_and_wrong_type_lines),
        T(test_json_fail_fast_names_the_file_and_line),
        T(test_json_wrong_types_make_only_that_field_null),
        T(test_json_one_bad_element_makes_the_whole_array_null),
        T(test_json_rejects_broken_syntax_even_in_skipped_parts),
        T(test_json_nesting_deeper_than_1000_is_malformed),
        T(test_json_text_after_the_first_object_is_ignored_as_spark_does),
        T(test_json_top_level_array_gives_one_row_per_object),
        T(test_json_skips_bom_crlf_blank_lines_and_takes_a_last_line_without_newline),
        T(test_json_decodes_a_4_mb_line),
        T(test_json_decoder_is_reusable_and_batches_are_independent),
        T(test_json_replaces_invalid_utf8_in_every_string_value_built),
        T(test_json_leaves_invalid_utf8_in_skipped_values_alone),
        T(test_json_repairs_the_raw_line_in_the_corrupt_column),
        T(test_json_counts_invalid_utf8_only_for_callers_that_have_the_field),
        T(test_decoder_new_rejects_bad_options),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
