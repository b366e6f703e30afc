/* Schemas: the three ways users write them (Spark JSON, DDL, @file), what
 * sluice prints back (pyspark's json(), printSchema(), DataType.sql), and the
 * error for every way of getting them wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "schema.h"

#define TWEET_SCHEMA "@" SLUICE_TEST_SOURCE_DIR "/configs/schemas/tweet.json"

/* What pyspark prints for the lab's StructType with df.schema.json()
 * (json.dumps with sort_keys=True and separators=(",", ":")). */
static const char tweet_json_pyspark[] =
    "{\"fields\":[{\"metadata\":{},\"name\":\"data\",\"nullable\":true,\"type\":{\"fields\":[{\"metadata\":{}"
    ",\"name\":\"author_id\",\"nullable\":true,\"type\":\"string\"},{\"metadata\":{},\"name\":\"text\",\"nulla"
    "ble\":true,\"type\":\"string\"},{\"metadata\":{},\"name\":\"source\",\"nullable\":true,\"type\":\"string"
    "\"},{\"metadata\":{},\"name\":\"lang\",\"nullable\":true,\"type\":\"string\"},{\"metadata\":{},\"name\":\""
    "created_at\",\"nullable\":true,\"type\":\"timestamp\"},{\"metadata\":{},\"name\":\"entities\",\"nullab"
    "le\":true,\"type\":{\"fields\":[{\"metadata\":{},\"name\":\"annotations\",\"nullable\":true,\"type\":{\""
    "containsNull\":true,\"elementType\":{\"fields\":[{\"metadata\":{},\"name\":\"end\",\"nullable\":true,"
    "\"type\":\"long\"},{\"metadata\":{},\"name\":\"normalized_text\",\"nullable\":true,\"type\":\"string\"},"
    "{\"metadata\":{},\"name\":\"probability\",\"nullable\":true,\"type\":\"double\"},{\"metadata\":{},\"nam"
    "e\":\"start\",\"nullable\":true,\"type\":\"long\"},{\"metadata\":{},\"name\":\"type\",\"nullable\":true,\""
    "type\":\"string\"}],\"type\":\"struct\"},\"type\":\"array\"}},{\"metadata\":{},\"name\":\"cashtags\",\"nul"
    "lable\":true,\"type\":{\"containsNull\":true,\"elementType\":{\"fields\":[{\"metadata\":{},\"name\":\""
    "end\",\"nullable\":true,\"type\":\"long\"},{\"metadata\":{},\"name\":\"start\",\"nullable\":true,\"type\""
    ":\"long\"},{\"metadata\":{},\"name\":\"tag\",\"nullable\":true,\"type\":\"string\"}],\"type\":\"struct\"},"
    "\"type\":\"array\"}},{\"metadata\":{},\"name\":\"hashtags\",\"nullable\":true,\"type\":{\"containsNull\""
    ":true,\"elementType\":{\"fields\":[{\"metadata\":{},\"name\":\"end\",\"nullable\":true,\"type\":\"long\""
    "},{\"metadata\":{},\"name\":\"start\",\"nullable\":true,\"type\":\"long\"},{\"metadata\":{},\"name\":\"ta"
    "g\",\"nullable\":true,\"type\":\"string\"}],\"type\":\"struct\"},\"type\":\"array\"}},{\"metadata\":{},\"n"
    "ame\":\"mentions\",\"nullable\":true,\"type\":{\"containsNull\":true,\"elementType\":{\"fields\":[{\"m"
    "etadata\":{},\"name\":\"end\",\"nullable\":true,\"type\":\"long\"},{\"metadata\":{},\"name\":\"start\",\"n"
    "ullable\":true,\"type\":\"long\"},{\"metadata\":{},\"name\":\"username\",\"nullable\":true,\"type\":\"st"
    "ring\"}],\"type\":\"struct\"},\"type\":\"array\"}},{\"metadata\":{},\"name\":\"urls\",\"nullable\":true,\""
    "type\":{\"containsNull\":true,\"elementType\":{\"fields\":[{\"metadata\":{},\"name\":\"description\","
    "\"nullable\":true,\"type\":\"string\"},{\"metadata\":{},\"name\":\"display_url\",\"nullable\":true,\"ty"
    "pe\":\"string\"},{\"metadata\":{},\"name\":\"end\",\"nullable\":true,\"type\":\"long\"},{\"metadata\":{},"
    "\"name\":\"expanded_url\",\"nullable\":true,\"type\":\"string\"},{\"metadata\":{},\"name\":\"images\",\"n"
    "ullable\":true,\"type\":{\"containsNull\":true,\"elementType\":{\"fields\":[{\"metadata\":{},\"name\""
    ":\"height\",\"nullable\":true,\"type\":\"long\"},{\"metadata\":{},\"name\":\"url\",\"nullable\":true,\"ty"
    "pe\":\"string\"},{\"metadata\":{},\"name\":\"width\",\"nullable\":true,\"type\":\"long\"}],\"type\":\"stru"
    "ct\"},\"type\":\"array\"}},{\"metadata\":{},\"name\":\"start\",\"nullable\":true,\"type\":\"long\"},{\"met"
    "adata\":{},\"name\":\"status\",\"nullable\":true,\"type\":\"long\"},{\"metadata\":{},\"name\":\"title\",\""
    "nullable\":true,\"type\":\"string\"},{\"metadata\":{},\"name\":\"unwound_url\",\"nullable\":true,\"typ"
    "e\":\"string\"},{\"metadata\":{},\"name\":\"url\",\"nullable\":true,\"type\":\"string\"}],\"type\":\"struc"
    "t\"},\"type\":\"array\"}}],\"type\":\"struct\"}},{\"metadata\":{},\"name\":\"public_metrics\",\"nullable"
    "\":true,\"type\":{\"fields\":[{\"metadata\":{},\"name\":\"like_count\",\"nullable\":true,\"type\":\"long"
    "\"},{\"metadata\":{},\"name\":\"reply_count\",\"nullable\":true,\"type\":\"long\"},{\"metadata\":{},\"na"
    "me\":\"retweet_count\",\"nullable\":true,\"type\":\"long\"},{\"metadata\":{},\"name\":\"quote_count\",\""
    "nullable\":true,\"type\":\"long\"}],\"type\":\"struct\"}}],\"type\":\"struct\"}},{\"metadata\":{},\"name"
    "\":\"includes\",\"nullable\":true,\"type\":{\"fields\":[{\"metadata\":{},\"name\":\"users\",\"nullable\":"
    "true,\"type\":{\"containsNull\":true,\"elementType\":{\"fields\":[{\"metadata\":{},\"name\":\"created"
    "_at\",\"nullable\":true,\"type\":\"timestamp\"},{\"metadata\":{},\"name\":\"id\",\"nullable\":true,\"typ"
    "e\":\"string\"},{\"metadata\":{},\"name\":\"name\",\"nullable\":true,\"type\":\"string\"},{\"metadata\":{"
    "},\"name\":\"username\",\"nullable\":true,\"type\":\"string\"},{\"metadata\":{},\"name\":\"verified\",\"n"
    "ullable\":true,\"type\":\"boolean\"}],\"type\":\"struct\"},\"type\":\"array\"}}],\"type\":\"struct\"}}],\""
    "type\":\"struct\"}";

static const struct ArrowSchema *field(const struct ArrowSchema *s, const char *name)
{
    int64_t i = sluice_schema_child_index(s, name);
    if (i < 0) fail_msg("no field '%s'", name);
    return s->children[i];
}

static void parse_ok(const char *text, struct ArrowSchema *out)
{
    struct sluice_error err = { 0 };
    int rc = sluice_schema_parse(text, out, &err);
    if (rc) fail_msg("parse failed: %s", err.message);
}

static void expect_error(const char *text, const char *message, const char *hint)
{
    struct sluice_error err = { 0 };
    struct ArrowSchema s;
    assert_int_equal(sluice_schema_parse(text, &s, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, message);
    assert_string_equal(err.hint, hint ? hint : "");
    assert_null(s.release);
}

/* Parse, print back with `print`, and return the text (caller frees). */
static char *reprint(const char *text, void (*print)(const struct ArrowSchema *, struct sluice_buf *))
{
    struct ArrowSchema s;
    parse_ok(text, &s);
    struct sluice_buf b = { 0 };
    print(&s, &b);
    sluice_schema_release(&s);
    return b.data;
}

static bool nullable(const struct ArrowSchema *s)
{
    return (s->flags & ARROW_FLAG_NULLABLE) != 0;
}

/* ---- the lab's tweet schema ------------------------------------------- */

static void test_schema_parses_the_lab_tweet_schema_file(void **state)
{
    struct ArrowSchema s;
    parse_ok(TWEET_SCHEMA, &s);
    assert_string_equal(s.format, "+s");
    assert_int_equal(s.n_children, 2);
    assert_string_equal(s.children[0]->name, "data");
    assert_string_equal(s.children[1]->name, "includes");

    const struct ArrowSchema *data = field(&s, "data");
    assert_int_equal(data->n_children, 7);
    const char *order[] = { "author_id", "text", "source", "lang", "created_at", "entities",
                            "public_metrics" };
    for (int i = 0; i < 7; i++) assert_string_equal(data->children[i]->name, order[i]);
    assert_string_equal(field(data, "text")->format, "u");
    assert_true(nullable(field(data, "text")));
    assert_string_equal(field(data, "created_at")->format, "tsu:UTC");

    const struct ArrowSchema *ann = field(field(data, "entities"), "annotations");
    assert_string_equal(ann->format, "+l");
    assert_int_equal(ann->n_children, 1);
    assert_string_equal(ann->children[0]->name, "element");
    assert_true(nullable(ann->children[0]));
    assert_string_equal(ann->children[0]->format, "+s");
    assert_int_equal(ann->children[0]->n_children, 5);
    assert_string_equal(field(ann->children[0], "probability")->format, "g");
    assert_string_equal(field(ann->children[0], "start")->format, "l");

    const struct ArrowSchema *urls = field(field(data, "entities"), "urls")->children[0];
    assert_int_equal(urls->n_children, 10);
    const struct ArrowSchema *images = field(urls, "images");
    assert_string_equal(images->format, "+l");
    assert_string_equal(field(images->children[0], "width")->format, "l");

    const struct ArrowSchema *pm = field(data, "public_metrics");
    assert_int_equal(pm->n_children, 4);
    assert_string_equal(pm->children[0]->name, "like_count");
    assert_string_equal(pm->children[3]->name, "quote_count");
    assert_string_equal(pm->children[0]->format, "l");

    const struct ArrowSchema *users = field(field(&s, "includes"), "users");
    assert_string_equal(users->format, "+l");
    assert_string_equal(field(users->children[0], "verified")->format, "b");
    assert_string_equal(field(users->children[0], "created_at")->format, "tsu:UTC");
    sluice_schema_release(&s);
    assert_null(s.release);
}

static void test_schema_prints_the_tweet_schema_exactly_as_pyspark_json_does(void **state)
{
    char *json = reprint(TWEET_SCHEMA, sluice_schema_to_json);
    assert_string_equal(json, tweet_json_pyspark);
    free(json);
}

static void test_schema_json_round_trips_pyspark_output_byte_for_byte(void **state)
{
    /* json.dumps escapes non-ASCII (here an e-acute and an emoji as a
     * surrogate pair), quotes and control characters. */
    const char *sample =
        "{\"fields\":[{\"metadata\":{},\"name\":\"id\",\"nullable\":false,\"type\":\"long\"},"
        "{\"metadata\":{},\"name\":\"caf\\u00e9 \\\"x\\\"\\n\\ud83d\\ude00\",\"nullable\":true,"
        "\"type\":\"double\"},"
        "{\"metadata\":{},\"name\":\"tags\",\"nullable\":true,\"type\":{\"containsNull\":false,"
        "\"elementType\":\"string\",\"type\":\"array\"}},"
        "{\"metadata\":{},\"name\":\"u\",\"nullable\":true,\"type\":{\"fields\":["
        "{\"metadata\":{},\"name\":\"at\",\"nullable\":true,\"type\":\"timestamp\"},"
        "{\"metadata\":{},\"name\":\"ok\",\"nullable\":true,\"type\":\"boolean\"}],"
        "\"type\":\"struct\"}},"
        "{\"metadata\":{},\"name\":\"empty\",\"nullable\":true,\"type\":{\"fields\":[],\"type\":\"struct\"}}"
        "],\"type\":\"struct\"}";
    char *json = reprint(sample, sluice_schema_to_json);
    assert_string_equal(json, sample);
    free(json);
}

static void test_schema_json_writes_each_invalid_utf8_byte_as_a_replacement_character(void **state)
{
    /* F5..FF never start a character; C3 and E2 82 are cut short. The DDL
     * and JSON parsers refuse such names, but an alias in a config (which
     * libconfig does not check) can make one. */
    static const char *const names[] = { "\xff\x95\x95", "\xf5\x80\x80\x80", "\xc3", "\xe2\x82" };
    struct ArrowSchema s;
    sluice_schema_init(&s, SLUICE_FORMAT_STRUCT, "", false, 4);
    for (int i = 0; i < 4; i++) sluice_schema_init(s.children[i], SLUICE_FORMAT_LONG, names[i], true, 0);
    struct sluice_buf b = { 0 };
    sluice_schema_to_json(&s, &b);
    sluice_schema_release(&s);
    char *json = b.data;
    assert_string_equal(json,
                        "{\"fields\":["
                        "{\"metadata\":{},\"name\":\"\\ufffd\\ufffd\\ufffd\",\"nullable\":true,\"type\":\"long\"},"
                        "{\"metadata\":{},\"name\":\"\\ufffd\\ufffd\\ufffd\\ufffd\",\"nullable\":true,\"type\":\"long\"},"
                        "{\"metadata\":{},\"name\":\"\\ufffd\",\"nullable\":true,\"type\":\"long\"},"
                        "{\"metadata\":{},\"name\":\"\\ufffd\\ufffd\",\"nullable\":true,\"type\":\"long\"}"
                        "],\"type\":\"struct\"}");
    free(json);
}

static void test_schema_json_accepts_scala_key_order_and_widens_small_types(void **state)
{
    /* Scala's schema.json keeps insertion order; narrow integers and float
     * are stored as long and double, so they print back widened. */
    char *json = reprint(
        "{\"type\":\"struct\",\"fields\":["
        "{\"name\":\"i\",\"type\":\"integer\",\"nullable\":true,\"metadata\":{}},"
        "{\"name\":\"s\",\"type\":\"short\",\"nullable\":true,\"metadata\":{\"comment\":\"x\"}},"
        "{\"name\":\"b\",\"type\":\"byte\",\"nullable\":false,\"metadata\":{}},"
        "{\"name\":\"f\",\"type\":\"float\"}]}",
        sluice_schema_to_json);
    assert_string_equal(json,
                        "{\"fields\":["
                        "{\"metadata\":{},\"name\":\"i\",\"nullable\":true,\"type\":\"long\"},"
                        "{\"metadata\":{},\"name\":\"s\",\"nullable\":true,\"type\":\"long\"},"
                        "{\"metadata\":{},\"name\":\"b\",\"nullable\":false,\"type\":\"long\"},"
                        "{\"metadata\":{},\"name\":\"f\",\"nullable\":true,\"type\":\"double\"}"
                        "],\"type\":\"struct\"}");
    free(json);
}

/* ---- JSON errors -------------------------------------------------------- */

static void test_schema_json_unknown_type_suggests_the_closest(void **state)
{
    expect_error("{\"type\":\"struct\",\"fields\":[{\"name\":\"data\",\"type\":{\"type\":\"struct\","
                 "\"fields\":[{\"name\":\"lang\",\"type\":\"strin\",\"nullable\":true}]}}]}",
                 "schema json: field 'data.lang': unknown type 'strin'", "did you mean 'string'?");
}

static void test_schema_json_reports_structural_mistakes_by_field(void **state)
{
    expect_error("{\"type\":\"struct\"}", "schema json: struct type has no \"fields\"", NULL);
    expect_error("{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"long\"},{\"type\":\"long\"}]}",
                 "schema json: fields[1] has no \"name\"", NULL);
    expect_error("{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":{\"type\":\"struct\","
                 "\"fields\":{}}}]}",
                 "schema json: field 'a': \"fields\" must be an array, not an object", NULL);
    expect_error("{\"type\":\"struct\",\"fields\":[{\"name\":\"a\"}]}",
                 "schema json: field 'a': no \"type\"", NULL);
    expect_error("{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"long\",\"nullable\":\"yes\"}]}",
                 "schema json: field 'a': \"nullable\" must be true or false, not a string", NULL);
    expect_error("{\"type\":\"struct\",\"fields\":[{\"name\":\"t\",\"type\":{\"type\":\"array\","
                 "\"elementType\":{\"type\":\"struct\",\"fields\":[{\"name\":\"x y\",\"type\":\"lng\"}]}}}]}",
                 "schema json: field 't.element.`x y`': unknown type 'lng'", "did you mean 'long'?");
    expect_error("{\"type\":\"struct\",\"fields\":[{\"name\":\"t\",\"type\":{\"type\":\"array\"}}]}",
                 "schema json: field 't': array type has no \"elementType\"", NULL);
    expect_error("{\"type\":\"array\",\"elementType\":\"long\"}",
                 "schema json: the top-level type must be 'struct', not array", NULL);
    expect_error("{\"fields\":[]}",
                 "schema json: the top level has no \"type\": expected {\"type\":\"struct\",\"fields\":[...]}",
                 "pyspark prints it with df.schema.json()");
    expect_error("{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"long\"},"
                 "{\"name\":\"a\",\"type\":\"string\"}]}",
                 "schema json: field 'a': duplicate field name",
                 "Spark allows it, but a column path could not tell them apart");
}

static void test_schema_json_rejects_unsupported_spark_types_and_lists_the_supported(void **state)
{
    expect_error("{\"type\":\"struct\",\"fields\":[{\"name\":\"m\",\"type\":{\"type\":\"map\","
                 "\"keyType\":\"string\",\"valueContainsNull\":true}}]}",
                 "schema json: field 'm': map type has no \"valueType\"", NULL);
    expect_error("{\"type\":\"struct\",\"fields\":[{\"name\":\"d\",\"type\":\"decimal(40,2)\"}]}",
                 "schema json: field 'd': Decimal precision 40 exceeds max precision 38 (and must be at least 1)",
                 NULL);
    expect_error("{\"type\":\"struct\",\"fields\":[{\"name\":\"d\",\"type\":\"decimal(10;2)\"}]}",
                 "schema json: field 'd': invalid decimal type 'decimal(10;2)'", "write it as Spark does: \"decimal(10,2)\"");
    expect_error("{\"type\":\"struct\",\"fields\":[{\"name\":\"d\",\"type\":\"binary\"}]}",
                 "schema json: field 'd': type 'binary' is not supported; supported: string, long, "
                 "integer, short, byte, double, float, decimal(p,s), boolean, timestamp, date, array, map, struct",
                 NULL);
}

static void test_schema_json_syntax_error_gives_line_and_column(void **state)
{
    struct sluice_error err = { 0 };
    struct ArrowSchema s;
    assert_int_equal(sluice_schema_parse("{\"type\":\"struct\",\n \"fields\": [,]}", &s, &err),
                     SLUICE_ECONFIG);
    assert_string_equal(err.message, "schema json at line 2, column 13: unexpected token near ','");
}

/* ---- DDL ---------------------------------------------------------------- */

static void test_schema_ddl_matches_the_same_schema_written_as_json(void **state)
{
    struct ArrowSchema a, b;
    parse_ok("data STRUCT<lang: STRING, created_at: TIMESTAMP>, id STRING", &a);
    parse_ok("{\"type\":\"struct\",\"fields\":["
             "{\"name\":\"data\",\"type\":{\"type\":\"struct\",\"fields\":["
             "{\"name\":\"lang\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}},"
             "{\"name\":\"created_at\",\"type\":\"timestamp\",\"nullable\":true,\"metadata\":{}}]},"
             "\"nullable\":true,\"metadata\":{}},"
             "{\"name\":\"id\",\"type\":\"string\",\"nullable\":true,\"metadata\":{}}]}",
             &b);
    assert_true(sluice_schema_equal(&a, &b));
    sluice_schema_set_name(field(&b, "data")->children[0], "Lang");
    assert_false(sluice_schema_equal(&a, &b));
    sluice_schema_release(&a);
    sluice_schema_release(&b);
}

static void test_schema_ddl_reads_arrays_not_null_comments_colons_and_any_case(void **state)
{
    char *ddl = reprint("id: bigint not null comment 'the id, unique',\n"
                        "  n Int, s SMALLINT, t tinyint, l LONG, f float, d Double,\n"
                        "  ok boolean COMMENT \"it's ok\" NOT NULL,\n"
                        "  users ARRAY < struct<name STRING, `tags`: array<array<String>>> >",
                        sluice_schema_type_ddl);
    assert_string_equal(ddl, "STRUCT<id: BIGINT NOT NULL, n: BIGINT, s: BIGINT, t: BIGINT, l: BIGINT, "
                             "f: DOUBLE, d: DOUBLE, ok: BOOLEAN NOT NULL, "
                             "users: ARRAY<STRUCT<name: STRING, tags: ARRAY<ARRAY<STRING>>>>>");
    free(ddl);
}

static void test_schema_ddl_unquotes_back_quoted_names(void **state)
{
    struct ArrowSchema s;
    parse_ok("`a b` STRING, `x``y` LONG, `1` DOUBLE, `data.lang` STRING", &s);
    assert_string_equal(s.children[0]->name, "a b");
    assert_string_equal(s.children[1]->name, "x`y");
    assert_string_equal(s.children[2]->name, "1");
    assert_string_equal(s.children[3]->name, "data.lang");
    struct sluice_buf b = { 0 };
    sluice_schema_type_ddl(&s, &b);
    /* Spark's quoteIfNeeded: back-quotes also for names made only of digits. */
    assert_string_equal(b.data, "STRUCT<`a b`: STRING, `x``y`: BIGINT, `1`: DOUBLE, `data.lang`: STRING>");
    sluice_schema_release(&s);
    sluice_buf_free(&b);
}

static void test_schema_type_ddl_parses_back_to_the_same_schema(void **state)
{
    struct ArrowSchema tweet, again;
    parse_ok(TWEET_SCHEMA, &tweet);
    struct sluice_buf b = { 0 };
    sluice_schema_type_ddl(&tweet, &b);
    assert_int_equal(strncmp(b.data, "STRUCT<data: STRUCT<author_id: STRING, text: STRING, ", 53), 0);
    parse_ok(b.data, &again);
    assert_true(sluice_schema_equal(&tweet, &again));
    sluice_schema_release(&tweet);
    sluice_schema_release(&again);
    sluice_buf_free(&b);
}

/* MAP and DATE in both forms: the DDL, pyspark's JSON (sorted keys) and
 * back, and the Arrow layout (a list of the struct entries<key, value>,
 * the key never null). */
static void test_schema_reads_and_writes_maps_and_dates_in_both_forms(void **state)
{
    const char *ddl = "m MAP<STRING, ARRAY<BIGINT>>, d DATE";
    const char *json = "{\"fields\":[{\"metadata\":{},\"name\":\"m\",\"nullable\":true,\"type\":{\"keyType\":\"string\","
                       "\"type\":\"map\",\"valueContainsNull\":true,\"valueType\":{\"containsNull\":true,\"elementType\":"
                       "\"long\",\"type\":\"array\"}}},{\"metadata\":{},\"name\":\"d\",\"nullable\":true,\"type\":\"date\"}],"
                       "\"type\":\"struct\"}";
    char *printed = reprint(ddl, sluice_schema_to_json);
    assert_string_equal(printed, json);
    free(printed);
    struct ArrowSchema a, b;
    parse_ok(ddl, &a);
    parse_ok(json, &b);
    assert_true(sluice_schema_equal(&a, &b));
    const struct ArrowSchema *m = a.children[0];
    assert_string_equal(m->format, "+m");
    assert_int_equal(m->n_children, 1);
    assert_string_equal(m->children[0]->format, "+s");
    assert_string_equal(m->children[0]->children[0]->name, "key");
    assert_false(nullable(m->children[0]->children[0]));
    assert_string_equal(m->children[0]->children[1]->name, "value");
    assert_string_equal(a.children[1]->format, "tdD");
    struct sluice_buf t = { 0 };
    sluice_schema_fields_ddl(&a, &t);
    assert_string_equal(t.data, "m MAP<STRING, ARRAY<BIGINT>>, d DATE");
    sluice_buf_free(&t);
    assert_false(sluice_schema_groupable(&a));
    assert_true(sluice_schema_groupable(a.children[1]));
    sluice_schema_release(&a);
    sluice_schema_release(&b);
    expect_error("m MAP<STRING>", "schema ddl at character 13: expected ',' between a MAP's key and value types, "
                                  "found '>'", NULL);
}

/* Found by fuzzing: `schema show --ddl` dropped NOT NULL from top-level
 * fields, so what it printed parsed back to another schema. */
static void test_schema_fields_ddl_keeps_not_null_on_top_level_fields(void **state)
{
    struct ArrowSchema s, again;
    parse_ok("a INT NOT NULL, `b c` STRING, `1` STRUCT<x: LONG NOT NULL>", &s);
    struct sluice_buf b = { 0 };
    sluice_schema_fields_ddl(&s, &b);
    assert_string_equal(b.data, "a BIGINT NOT NULL, `b c` STRING, `1` STRUCT<x: BIGINT NOT NULL>");
    parse_ok(b.data, &again);
    assert_true(sluice_schema_equal(&s, &again));
    sluice_schema_release(&s);
    sluice_schema_release(&again);
    sluice_buf_free(&b);
}

/* Found by fuzzing: a name with a byte that is not UTF-8 parsed, and the
 * schema's JSON (where jansson writes U+FFFD for it) named another field. */
static void test_schema_ddl_refuses_text_that_is_not_utf8(void **state)
{
    expect_error("data STRUCT<created_at\xe4: TIMESTAMP>", "schema ddl at character 23: byte 0xE4 is not UTF-8",
                 "save the schema as UTF-8");
    expect_error("a STRING, \xed\xa0\x80 LONG", "schema ddl at character 11: byte 0xED is not UTF-8",
                 "save the schema as UTF-8");
    struct ArrowSchema s;
    parse_ok("\xc3\xa9t\xc3\xa9 STRING, \xf0\x9f\x8e\x89 LONG", &s);
    assert_string_equal(s.children[0]->name, "\xc3\xa9t\xc3\xa9");
    sluice_schema_release(&s);
}

static void test_schema_ddl_errors_give_the_character_and_what_was_expected(void **state)
{
    expect_error("data STRUCT<lang: >", "schema ddl at character 19: expected a type after 'lang:', found '>'",
                 NULL);
    expect_error("id STRIN", "schema ddl at character 4: unknown type 'STRIN'", "did you mean 'STRING'?");
    expect_error("id strin", "schema ddl at character 4: unknown type 'strin'", "did you mean 'string'?");
    expect_error("m INTERVAL",
                 "schema ddl at character 3: type 'INTERVAL' is not supported; supported: BOOLEAN, BIGINT, "
                 "INT, SMALLINT, TINYINT, DOUBLE, FLOAT, DECIMAL(p,s), STRING, TIMESTAMP, DATE, ARRAY<...>, MAP<...>, STRUCT<...>",
                 NULL);
    expect_error("d binary",
                 "schema ddl at character 3: type 'binary' is not supported; supported: BOOLEAN, BIGINT, "
                 "INT, SMALLINT, TINYINT, DOUBLE, FLOAT, DECIMAL(p,s), STRING, TIMESTAMP, DATE, ARRAY<...>, MAP<...>, STRUCT<...>",
                 NULL);
    expect_error("id STRING,", "schema ddl at character 11: expected a column name after ',', found the end "
                               "of the schema", NULL);
    expect_error("id STRING id2 LONG", "schema ddl at character 11: expected ',' or the end of the schema "
                                       "after column 'id', found 'id2'", NULL);
    expect_error("a STRUCT<b LONG", "schema ddl at character 16: expected ',' or '>' after field 'b' of "
                                    "STRUCT<...>, found the end of the schema", NULL);
    expect_error("a ARRAY<LONG", "schema ddl at character 13: expected '>' to close ARRAY<, found the end "
                                 "of the schema", NULL);
    expect_error("a ARRAY LONG", "schema ddl at character 9: expected '<' after ARRAY, found 'LONG'", NULL);
    expect_error("`a b STRING", "schema ddl at character 1: unterminated back-quoted name", NULL);
    expect_error("a LONG NOT, b LONG", "schema ddl at character 11: expected NULL after NOT, found ','", NULL);
    expect_error("a LONG, b STRING, a LONG", "schema ddl at character 19: duplicate column 'a'",
                 "Spark allows it, but a column path could not tell them apart");
    expect_error("'a' LONG", "schema ddl at character 1: expected a column name, found '''",
                 "quote names with back-quotes: `name`");
    expect_error("  \n ", "schema ddl is empty", "write columns like `id STRING, data STRUCT<lang: STRING>`");
    /* Characters, not bytes: the e-acute is one character. */
    expect_error("caf\xc3\xa9 STRIN", "schema ddl at character 6: unknown type 'STRIN'",
                 "did you mean 'STRING'?");
    expect_error("a LONG,\n  b STRUCT<c >", "schema ddl at line 2, character 14: expected a type after 'c', "
                                            "found '>'", NULL);
}

static void test_schema_errors_carry_the_line_with_a_caret_position(void **state)
{
    struct sluice_error err = { 0 };
    struct ArrowSchema s;
    assert_int_equal(sluice_schema_parse("data STRUCT<lang: >", &s, &err), SLUICE_ECONFIG);
    assert_string_equal(err.excerpt, "data STRUCT<lang: >");
    assert_int_equal(err.position, 19);

    /* In a multi-line text only the offending line is shown. */
    assert_int_equal(sluice_schema_parse("a LONG,\n  b STRUCT<c >", &s, &err), SLUICE_ECONFIG);
    assert_string_equal(err.excerpt, "  b STRUCT<c >");
    assert_int_equal(err.position, 14);

    assert_int_equal(sluice_schema_parse("{\"type\":\"struct\",\n \"fields\": [,]}", &s, &err),
                     SLUICE_ECONFIG);
    assert_string_equal(err.excerpt, " \"fields\": [,]}");
    assert_int_equal(err.position, 13);

    /* A semantic JSON error has no position; the field path says where. */
    assert_int_equal(sluice_schema_parse("{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"x\"}]}",
                                         &s, &err),
                     SLUICE_ECONFIG);
    assert_string_equal(err.excerpt, "");
    assert_int_equal(err.position, 0);

    /* A line too long for the record is cut around the error. */
    struct sluice_buf ddl = { 0 };
    for (int i = 0; i < 40; i++) sluice_buf_printf(&ddl, "c%02d LONG, ", i);
    sluice_buf_puts(&ddl, "bad STRIN");
    for (int i = 40; i < 80; i++) sluice_buf_printf(&ddl, ", c%02d LONG", i);
    assert_int_equal(sluice_schema_parse(ddl.data, &s, &err), SLUICE_ECONFIG);
    assert_int_equal(strncmp(err.excerpt, "...", 3), 0);
    assert_int_equal(strcmp(err.excerpt + strlen(err.excerpt) - 3, "..."), 0);
    assert_int_equal(strncmp(err.excerpt + err.position - 1, "STRIN, c40", 10), 0);
    assert_true(strlen(err.excerpt) < sizeof err.excerpt);
    sluice_buf_free(&ddl);
}

/* ---- printSchema ------------------------------------------------------ */

static void test_schema_print_tree_matches_spark_print_schema(void **state)
{
    char *tree = reprint("data STRUCT<lang: STRING, tags: ARRAY<STRING>>, id LONG NOT NULL, "
                         "users ARRAY<STRUCT<verified: BOOLEAN, at: TIMESTAMP>>, score DOUBLE, "
                         "grid ARRAY<ARRAY<LONG>>",
                         sluice_schema_print_tree);
    assert_string_equal(tree, "root\n"
                              " |-- data: struct (nullable = true)\n"
                              " |    |-- lang: string (nullable = true)\n"
                              " |    |-- tags: array (nullable = true)\n"
                              " |    |    |-- element: string (containsNull = true)\n"
                              " |-- id: long (nullable = false)\n"
                              " |-- users: array (nullable = true)\n"
                              " |    |-- element: struct (containsNull = true)\n"
                              " |    |    |-- verified: boolean (nullable = true)\n"
                              " |    |    |-- at: timestamp (nullable = true)\n"
                              " |-- score: double (nullable = true)\n"
                              " |-- grid: array (nullable = true)\n"
                              " |    |-- element: array (containsNull = true)\n"
                              " |    |    |-- element: long (containsNull = true)\n");
    free(tree);
}

/* ---- @file -------------------------------------------------------------- */

static char *write_temp(const char *text)
{
    char *path = strdup("/tmp/sluice-test-schema-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void test_schema_file_errors_name_the_file_and_line(void **state)
{
    char at[300], msg[600];
    char *path = write_temp("{\"type\": \"struct\",\n  \"fields\": [\n    {\"name\": \"a\" \"type\": \"long\"}]}\n");
    snprintf(at, sizeof at, "@%s", path);
    /* jansson gives the column of the offending token's last character. */
    snprintf(msg, sizeof msg, "schema file '%s' at line 3, column 23: '}' expected near '\"type\"'", path);
    expect_error(at, msg, NULL);
    unlink(path);
    free(path);

    path = write_temp("\n  id STRING,\n  lang STRNG\n");
    snprintf(at, sizeof at, " @%s", path);
    snprintf(msg, sizeof msg, "schema file '%s' at line 3, character 8: unknown type 'STRNG'", path);
    expect_error(at, msg, "did you mean 'STRING'?");
    unlink(path);
    free(path);

    path = write_temp("{\"type\":\"struct\",\"fields\":[{\"name\":\"a\",\"type\":\"tiemstamp\"}]}");
    snprintf(at, sizeof at, "@%s", path);
    snprintf(msg, sizeof msg, "schema file '%s': field 'a': unknown type 'tiemstamp'", path);
    expect_error(at, msg, "did you mean 'timestamp'?");
    unlink(path);
    free(path);

    expect_error("@/nonexistent/tweet.json",
                 "cannot read schema file '/nonexistent/tweet.json': no such file or directory", NULL);
}

static void test_schema_file_holding_ddl_parses(void **state)
{
    char at[300];
    char *path = write_temp("\xef\xbb\xbf id STRING,\n lang STRING\n");
    snprintf(at, sizeof at, "@%s", path);
    struct ArrowSchema s;
    parse_ok(at, &s);
    assert_int_equal(s.n_children, 2);
    assert_string_equal(s.children[1]->name, "lang");
    sluice_schema_release(&s);
    unlink(path);
    free(path);
}

/* ---- nodes -------------------------------------------------------------- */

static void test_schema_init_children_are_filled_in_place_and_copied_deeply(void **state)
{
    struct ArrowSchema root;
    sluice_schema_init(&root, "+s", "", false, 2);
    sluice_schema_init(root.children[0], "u", "name", true, 0);
    sluice_schema_init(root.children[1], "+l", "tags", true, 1);
    sluice_schema_init(root.children[1]->children[0], "l", "item", false, 0);

    struct ArrowSchema copy;
    sluice_schema_copy(&root, &copy);
    sluice_schema_release(&root);
    assert_null(root.release);
    assert_string_equal(copy.children[0]->name, "name");
    assert_string_equal(copy.children[1]->children[0]->format, "l");
    assert_false(nullable(copy.children[1]->children[0]));

    /* A list's child name does not count: Arrow writers say "item" or "element". */
    struct ArrowSchema ddl;
    parse_ok("name STRING, tags ARRAY<LONG>", &ddl);
    assert_false(sluice_schema_equal(&copy, &ddl)); /* containsNull differs */
    ddl.children[1]->children[0]->flags = 0;
    assert_true(sluice_schema_equal(&copy, &ddl));
    sluice_schema_release(&ddl);

    /* A consumer may move a child out; the parent then leaves it alone. */
    struct ArrowSchema moved = *copy.children[0];
    copy.children[0]->release = NULL;
    sluice_schema_release(&copy);
    assert_string_equal(moved.name, "name");
    sluice_schema_release(&moved);
}

/* DECIMAL in every spelling Spark's DDL and JSON take, printed back as Spark prints it. */
static void test_schema_reads_and_prints_decimals(void **state)
{
    (void)state;
    struct ArrowSchema s;
    struct sluice_error err = { 0 };
    assert_int_equal(sluice_schema_parse("a DECIMAL(10,2), b DEC, c numeric(5), d DECIMAL( 38 , 38 )", &s, &err), 0);
    assert_string_equal(s.children[0]->format, "d:10,2");
    assert_string_equal(s.children[1]->format, "d:10,0");
    assert_string_equal(s.children[2]->format, "d:5,0");
    assert_string_equal(s.children[3]->format, "d:38,38");
    assert_int_equal(sluice_type_of(s.children[0]), SLUICE_TYPE_DECIMAL);
    struct sluice_buf b = { 0 };
    sluice_schema_type_ddl(s.children[0], &b);
    assert_string_equal(b.data, "DECIMAL(10,2)");
    sluice_buf_clear(&b);
    sluice_schema_to_json(s.children[0], &b);
    assert_string_equal(b.data, "\"decimal(10,2)\"");
    sluice_buf_free(&b);
    sluice_schema_release(&s);
    expect_error("a DECIMAL(0)", "schema ddl at character 3: Decimal precision 0 exceeds max precision 38 (and must be "
                 "at least 1)", NULL);
    expect_error("a DECIMAL(5,6)", "schema ddl at character 3: Decimal scale (6) cannot be greater than precision (5) "
                 "or negative", NULL);
    expect_error("a DECIMAL(5,", "schema ddl at character 13: expected a scale in DECIMAL(precision, scale)", NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_reads_and_prints_decimals),
        cmocka_unit_test(test_schema_parses_the_lab_tweet_schema_file),
        cmocka_unit_test(test_schema_prints_the_tweet_schema_exactly_as_pyspark_json_does),
        cmocka_unit_test(test_schema_json_round_trips_pyspark_output_byte_for_byte),
        cmocka_unit_test(test_schema_json_writes_each_invalid_utf8_byte_as_a_replacement_character),
        cmocka_unit_test(test_schema_json_accepts_scala_key_order_and_widens_small_types),
        cmocka_unit_test(test_schema_json_unknown_type_suggests_the_closest),
        cmocka_unit_test(test_schema_json_reports_structural_mistakes_by_field),
        cmocka_unit_test(test_schema_json_rejects_unsupported_spark_types_and_lists_the_supported),
        cmocka_unit_test(test_schema_json_syntax_error_gives_line_and_column),
        cmocka_unit_test(test_schema_ddl_matches_the_same_schema_written_as_json),
        cmocka_unit_test(test_schema_ddl_reads_arrays_not_null_comments_colons_and_any_case),
        cmocka_unit_test(test_schema_ddl_unquotes_back_quoted_names),
        cmocka_unit_test(test_schema_type_ddl_parses_back_to_the_same_schema),
        cmocka_unit_test(test_schema_reads_and_writes_maps_and_dates_in_both_forms),
        cmocka_unit_test(test_schema_fields_ddl_keeps_not_null_on_top_level_fields),
        cmocka_unit_test(test_schema_ddl_refuses_text_that_is_not_utf8),
        cmocka_unit_test(test_schema_ddl_errors_give_the_character_and_what_was_expected),
        cmocka_unit_test(test_schema_errors_carry_the_line_with_a_caret_position),
        cmocka_unit_test(test_schema_print_tree_matches_spark_print_schema),
        cmocka_unit_test(test_schema_file_errors_name_the_file_and_line),
        cmocka_unit_test(test_schema_file_holding_ddl_parses),
        cmocka_unit_test(test_schema_init_children_are_filled_in_place_and_copied_deeply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
