/* The expression language: compile the input against a fixed schema with
 * a column of every type, and when it compiles, evaluate it over a small
 * fixed batch (edge values, nulls, empty strings and arrays, multi-byte
 * text). The result must be a valid column of the type compile promised,
 * of the batch's length, and render. */
#include "expr.h"
#include "fuzz_util.h"
#include "validate.h"

static const char ddl[] =
    "a BIGINT, b BIGINT, d DOUBLE, s STRING, t STRING, f BOOLEAN, ts TIMESTAMP, arr ARRAY<BIGINT>, "
    "sarr ARRAY<STRING>, st STRUCT<x: BIGINT, y: STRING, inner: STRUCT<z: STRING>>, "
    "lst ARRAY<STRUCT<v: BIGINT, w: STRING>>, `odd name` STRING, dec DECIMAL(10,2), big DECIMAL(38,10)";

static const char rows[] =
    "{\"a\":1,\"b\":-2,\"d\":0.5,\"s\":\"Hello World\",\"t\":\"2021-05-03T07:55:40Z\",\"f\":true,"
    "\"ts\":\"2021-05-03T07:55:40.123Z\",\"arr\":[1,2,3],\"sarr\":[\"x\",\"y\"],"
    "\"st\":{\"x\":7,\"y\":\"why\",\"inner\":{\"z\":\"zed\"}},\"lst\":[{\"v\":1,\"w\":\"one\"},{\"v\":null,\"w\":\"two\"}],"
    "\"odd name\":\"odd\",\"dec\":12.35,\"big\":\"1234567890123456789012345678.9012345678\"}\n"
    "{\"a\":9223372036854775807,\"b\":-9223372036854775808,\"d\":-0.0,\"s\":\"\",\"t\":\"12\",\"f\":false,"
    "\"ts\":\"1969-12-31T23:59:59.999999Z\",\"arr\":[],\"sarr\":[null],\"st\":{\"x\":null,\"y\":null,\"inner\":null},"
    "\"lst\":[],\"odd name\":\"\",\"dec\":-99999999.99,\"big\":-0.0000000001}\n"
    "{}\n"
    "{\"a\":0,\"b\":0,\"d\":1e308,\"s\":\"\\u00c4\\u00d6\\u00fc \\u65e5\\u672c \\ud83c\\udf89 %_\\\\\",\"t\":\"NaN\","
    "\"ts\":\"9999-12-31T23:59:59.999Z\",\"arr\":[null,-1],\"sarr\":[\"%\",\"_\"],\"st\":null,\"lst\":null}\n"
    "{\"a\":-9223372036854775808,\"b\":-1,\"d\":-1e-308,\"s\":\"  padded  \",\"t\":\"-0.5e3\",\"f\":true,"
    "\"ts\":\"0001-01-01T00:00:00Z\",\"arr\":[9223372036854775807,-9223372036854775808],"
    "\"st\":{\"x\":-9223372036854775808,\"y\":\"\",\"inner\":{\"z\":null}},\"lst\":[null,{\"v\":0,\"w\":\"\"}]}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ArrowSchema schema;
    static struct sluice_batch batch;
    if (!schema.release) fuzz_rows(ddl, rows, &schema, &batch);

    char *text = fuzz_text(data, size);
    struct sluice_expr *e = NULL;
    struct sluice_error err = { 0 };
    int rc = sluice_expr_compile(&schema, text, &e, &err);
    fuzz_check_error(rc, &err);
    if (rc == SLUICE_OK) {
        const char *const *paths;
        sluice_expr_columns(e, &paths);
        struct ArrowArray out = { 0 };
        rc = sluice_expr_eval(e, &batch, &out, &err);
        if (rc) fuzz_fail("evaluation failed: %s", err.message);
        const struct ArrowSchema *type = sluice_expr_result(e);
        char why[512];
        if (out.length != batch.array.length)
            fuzz_fail("%lld rows in, %lld out", (long long)batch.array.length, (long long)out.length);
        if (sluice_array_validate(type, &out, why)) fuzz_fail("invalid result: %s", why);
        struct sluice_buf b = { 0 };
        for (int64_t r = 0; r < out.length; r++) {
            sluice_render_value_json(type, &out, r, &b);
            sluice_render_value_text(type, &out, r, &b);
        }
        sluice_buf_free(&b);
        out.release(&out);
        sluice_expr_free(e);
    } else if (e) {
        fuzz_fail("a failed compile left an expression");
    }
    free(text);
    return 0;
}
