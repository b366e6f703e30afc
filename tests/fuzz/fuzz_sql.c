/* The SQL of `sluice query` and GET /sql: parse the input and, when it
 * parses, run it over a fixed memory table of two batches (every flat
 * type, a struct and an array, nulls, NaN, duplicates), with the real
 * aggregator plugins. The first byte is the row cap the caller asks for
 * (0: none), as `sluice query --num-rows` does. Evaluation may refuse a
 * statement (unknown column, wrong types) with a message, but a result
 * must be a valid batch that renders and respects the cap. */
#include "fuzz_util.h"
#include "registry.h"
#include "sql.h"

static const char ddl[] = "lang STRING, n LONG, x DOUBLE, t TIMESTAMP, f BOOLEAN, tags ARRAY<STRING>, "
                          "w STRUCT<start: TIMESTAMP, end: TIMESTAMP>";

static const char first[] =
    "{\"lang\":\"en\",\"n\":3,\"x\":1.5,\"t\":\"2021-05-03T07:55:40Z\",\"f\":true,\"tags\":[\"a\",\"b\"],"
    "\"w\":{\"start\":\"2021-05-03T07:55:40Z\",\"end\":\"2021-05-03T07:55:50Z\"}}\n"
    "{\"lang\":\"fr\",\"n\":1,\"t\":\"1969-12-31T23:59:59Z\",\"f\":false,\"tags\":[]}\n"
    "{\"n\":2,\"x\":2.5,\"tags\":[null]}\n";
static const char second[] =
    "{\"lang\":\"en\",\"n\":9223372036854775807,\"x\":-0.0,\"f\":true,\"tags\":[\"a\"]}\n"
    "{\"lang\":\"de\",\"x\":1e308,\"t\":\"9999-12-31T23:59:59Z\"}\n"
    "{\"lang\":\"fr\",\"n\":-9223372036854775808,\"x\":-1.0,\"f\":null,\"tags\":[\"c\",\"a\",\"c\"]}\n"
    "{}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct ArrowSchema schema, unused;
    static struct sluice_batch batches[2];
    static struct sluice_registry *reg;
    static struct sluice_agg_catalog catalog;
    if (!reg) {
        fuzz_use_build_plugins();
        fuzz_rows(ddl, first, &schema, &batches[0]);
        fuzz_rows(ddl, second, &unused, &batches[1]);
        batches[1].schema = &schema;
        reg = sluice_registry_new(NULL, 0);
        sluice_sql_registry_catalog(reg, &catalog);
    }
    if (size < 1) return 0;
    int64_t cap = data[0] ? data[0] : -1;
    char *text = fuzz_text(data + 1, size - 1);
    struct sluice_sql *q = NULL;
    struct sluice_error err = { 0 };
    int rc = sluice_sql_parse(text, &q, &err);
    fuzz_check_error(rc, &err);
    if (rc == SLUICE_OK) {
        sluice_sql_table(q);
        const struct sluice_batch *in[2] = { &batches[0], &batches[1] };
        struct sluice_sql_result *res = NULL;
        rc = sluice_sql_eval(q, &schema, in, 2, &catalog, cap, 64 << 20, &res, &err);
        fuzz_check_error(rc, &err);
        if (rc == SLUICE_OK) {
            fuzz_check_batch(&res->schema, &res->batch);
            if (cap >= 0 && res->batch.array.length > cap)
                fuzz_fail("%lld rows, more than the %lld asked for", (long long)res->batch.array.length,
                          (long long)cap);
            sluice_sql_result_free(res);
        }
        sluice_sql_free(q);
    }
    free(text);
    return 0;
}
