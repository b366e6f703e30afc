/* Unit tests for core/schema/schema_infer.c: Spark's JSON inference rules on small
 * samples, compared as DDL text (and once as Spark's StructType JSON). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "error.h"
#include "schema.h"
#include "schema_infer.h"

static char path[64];
static struct ArrowSchema schema;
static struct sluice_buf text;
static struct sluice_error err;

static int setup(void **state)
{
    memset(&schema, 0, sizeof schema);
    memset(&err, 0, sizeof err);
    strcpy(path, "/tmp/sluice-infer-XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) return -1;
    close(fd);
    return 0;
}

static int teardown(void **state)
{
    unlink(path);
    sluice_schema_release(&schema);
    sluice_buf_free(&text);
    return 0;
}

static void write_sample(const char *lines)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(lines, f);
    fclose(f);
}

/* Infer from `lines` and return the schema as DDL. */
static const char *infer_ddl(const char *lines, struct sluice_infer_opts opts)
{
    write_sample(lines);
    sluice_schema_release(&schema);
    if (sluice_schema_infer_file(path, &opts, &schema, &err)) fail_msg("infer: %s", err.message);
    sluice_buf_clear(&text);
    sluice_schema_type_ddl(&schema, &text);
    return text.data;
}

static const char sample[] =
    "{\"b\":1,\"a\":\"x\",\"n\":null,\"e\":\"\",\"arr\":[1,2.5],\"s\":{\"z\":true,\"y\":1}}\n"
    "\n"
    "{\"b\":2.5,\"a\":5,\"s\":{\"y\":2,\"x\":[]},\"t\":\"2021-05-03T07:55:40.000Z\",\"o\":{},\"d\":\"2021-05-03\"}\n"
    "this line is not json\n"
    "[{\"b\":3}, 7]\n"
    "{\"arr\":[{\"k\":1}],\"lst\":[{\"p\":1},{\"q\":\"x\"}],\"e\":4}\n";

static void test_infer_merges_lines_as_spark_does(void **state)
{
    /* a: string + long -> string; arr: [long, double] then [struct] -> array<string>;
     * b: long + double -> double; e: "" counts as null, then long; n: only null -> string;
     * o: an empty struct is dropped; s: fields merged; x: [] -> array<string>. */
    assert_string_equal(infer_ddl(sample, (struct sluice_infer_opts){ 0 }),
                        "STRUCT<a: STRING, arr: ARRAY<STRING>, b: DOUBLE, d: STRING, e: BIGINT, "
                        "lst: ARRAY<STRUCT<p: BIGINT, q: STRING>>, n: STRING, "
                        "s: STRUCT<x: ARRAY<STRING>, y: BIGINT, z: BOOLEAN>, t: STRING>");
}

static void test_infer_finds_timestamps_only_when_asked(void **state)
{
    /* A bare date is not a timestamp, as under Spark's default pattern. */
    assert_string_equal(infer_ddl(sample, (struct sluice_infer_opts){ .infer_timestamps = true }),
                        "STRUCT<a: STRING, arr: ARRAY<STRING>, b: DOUBLE, d: STRING, e: BIGINT, "
                        "lst: ARRAY<STRUCT<p: BIGINT, q: STRING>>, n: STRING, "
                        "s: STRUCT<x: ARRAY<STRING>, y: BIGINT, z: BOOLEAN>, t: TIMESTAMP>");
    /* A timestamp meeting a plain string becomes a string. */
    assert_string_equal(infer_ddl("{\"t\":\"2021-05-03T07:55:40Z\"}\n{\"t\":\"soon\"}\n{\"t\":null}\n",
                                  (struct sluice_infer_opts){ .infer_timestamps = true }),
                        "STRUCT<t: STRING>");
}

static void test_infer_stops_after_max_lines(void **state)
{
    assert_string_equal(infer_ddl("\n{\"a\":1}\n{\"a\":true}\n{\"b\":1}\n", (struct sluice_infer_opts){ .max_lines = 1 }),
                        "STRUCT<a: BIGINT>");
    assert_string_equal(infer_ddl("{\"a\":1}\n{\"a\":true}\n{\"b\":1}\n", (struct sluice_infer_opts){ .max_lines = 2 }),
                        "STRUCT<a: STRING>");
}

static void test_infer_prints_spark_struct_type_json(void **state)
{
    infer_ddl("\xEF\xBB\xBF{\"id\":\"1\",\"tags\":[\"x\"],\"m\":{\"n\":1.5}}\n", (struct sluice_infer_opts){ 0 });
    sluice_buf_clear(&text);
    sluice_schema_to_json(&schema, &text);
    assert_string_equal(text.data,
                        "{\"fields\":[{\"metadata\":{},\"name\":\"id\",\"nullable\":true,\"type\":\"string\"},"
                        "{\"metadata\":{},\"name\":\"m\",\"nullable\":true,\"type\":{\"fields\":[{\"metadata\":{},"
                        "\"name\":\"n\",\"nullable\":true,\"type\":\"double\"}],\"type\":\"struct\"}},"
                        "{\"metadata\":{},\"name\":\"tags\",\"nullable\":true,\"type\":{\"containsNull\":true,"
                        "\"elementType\":\"string\",\"type\":\"array\"}}],\"type\":\"struct\"}");
}

static void test_infer_of_only_malformed_or_empty_lines_is_an_empty_struct(void **state)
{
    assert_string_equal(infer_ddl("nope\n{\"o\":{}}\n\n", (struct sluice_infer_opts){ 0 }), "STRUCT<>");
}

static void test_infer_reports_a_missing_file(void **state)
{
    struct sluice_infer_opts opts = { 0 };
    assert_int_equal(sluice_schema_infer_file("/nonexistent/x.json", &opts, &schema, &err), SLUICE_EIO);
    assert_string_equal(err.message, "cannot open '/nonexistent/x.json': no such file or directory");
}

static void put(const char *dir, const char *name, const char *body)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fputs(body, f);
    fclose(f);
}

/* Issue 11: `schema infer DIR` said "cannot read 'DIR'" without a reason.
 * Spark's spark.read.json(dir) reads the files in it, as the file source
 * does: so does sluice, and a directory without files says so. */
static void test_infer_reads_the_files_of_a_directory_as_spark_does(void **state)
{
    char dir[64] = "/tmp/sluice-infer-dir-XXXXXX", sub[96], cmd[128];
    assert_non_null(mkdtemp(dir));
    put(dir, "b.json", "{\"a\":2.5,\"b\":\"x\"}\n");
    put(dir, "a.json", "\xEF\xBB\xBF{\"a\":1}\n{\"a\":2}\n");
    put(dir, "_SUCCESS", "{\"skipped\":1}\n");
    put(dir, ".hidden.json", "{\"skipped\":1}\n");
    snprintf(sub, sizeof sub, "%s/sub", dir);
    assert_int_equal(mkdir(sub, 0755), 0);
    put(sub, "c.json", "{\"skipped\":1}\n");
    struct sluice_infer_opts opts = { 0 };
    assert_int_equal(sluice_schema_infer_file(dir, &opts, &schema, &err), SLUICE_OK);
    sluice_schema_type_ddl(&schema, &text);
    assert_string_equal(text.data, "STRUCT<a: DOUBLE, b: STRING>");
    /* --max-lines counts across the files, in name order. */
    sluice_schema_release(&schema);
    sluice_buf_clear(&text);
    opts.max_lines = 2;
    assert_int_equal(sluice_schema_infer_file(dir, &opts, &schema, &err), SLUICE_OK);
    sluice_schema_type_ddl(&schema, &text);
    assert_string_equal(text.data, "STRUCT<a: BIGINT>");
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static void test_infer_of_a_directory_without_files_says_so(void **state)
{
    char dir[64] = "/tmp/sluice-infer-dir-XXXXXX", want[200];
    assert_non_null(mkdtemp(dir));
    put(dir, "_SUCCESS", "");
    struct sluice_infer_opts opts = { 0 };
    assert_int_equal(sluice_schema_infer_file(dir, &opts, &schema, &err), SLUICE_EIO);
    snprintf(want, sizeof want, "directory '%s' has no files to read", dir);
    assert_string_equal(err.message, want);
    assert_string_equal(err.hint, "names starting with '.' or '_' are skipped, as Spark skips them");
    unlink(strcat(dir, "/_SUCCESS"));
    *strrchr(dir, '/') = '\0';
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
        T(test_infer_merges_lines_as_spark_does),
        T(test_infer_finds_timestamps_only_when_asked),
        T(test_infer_stops_after_max_lines),
        T(test_infer_prints_spark_struct_type_json),
        T(test_infer_of_only_malformed_or_empty_lines_is_an_empty_struct),
        T(test_infer_reports_a_missing_file),
        T(test_infer_reads_the_files_of_a_directory_as_spark_does),
        T(test_infer_of_a_directory_without_files_says_so),
#undef T
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
