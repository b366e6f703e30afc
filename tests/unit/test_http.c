/* The REST server (core/serve/http.c) on 127.0.0.1 with a port the system picks,
 * every endpoint fetched with libcurl (core/cli/fetch.c) and its JSON compared
 * exactly; bad query parameters, a statement past the memory bound, a
 * table streamed in many chunks; bad addresses and a busy port. Built without libmicrohttpd, the
 * server must refuse to start and say what to install. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "builder.h"
#include "fetch.h"
#include "http.h"
#include "progress.h"
#include "schema.h"
#include "tables.h"

#ifdef SLUICE_HAVE_HTTP

struct fx {
    struct sluice_tables *tables;
    struct sluice_progress *progress;
    struct sluice_table *table;
    struct ArrowSchema schema;
    struct sluice_http *http;
};

static void add_row(struct fx *fx, struct sluice_builder *b, const char *lang, int64_t n)
{
    sluice_builder_append_struct(b);
    if (lang) sluice_builder_append_string(&b->children[0], lang, strlen(lang));
    else sluice_builder_append_null(&b->children[0]);
    sluice_builder_append_long(&b->children[1], n);
}

static int setup(void **state)
{
    struct fx *fx = calloc(1, sizeof *fx);
    struct sluice_error err = { 0 };
    if (sluice_schema_parse("lang STRING, count LONG", &fx->schema, &err)) fail_msg("%s", err.message);
    fx->tables = sluice_tables_new();
    if (sluice_tables_open(fx->tables, "lang_count", &fx->schema, &fx->table, &err)) fail_msg("%s", err.message);
    struct sluice_builder *b = sluice_builder_new(&fx->schema);
    add_row(fx, b, "en", 10);
    add_row(fx, b, "fr", 3);
    add_row(fx, b, NULL, 1);
    struct sluice_batch batch;
    sluice_builder_finish(b, &batch);
    sluice_builder_free(b);
    sluice_table_begin(fx->table, 0, true);
    sluice_table_add(fx->table, &batch);
    sluice_table_commit(fx->table);
    fx->progress = sluice_progress_new();
    struct sluice_http_opts opts = { .addr = "127.0.0.1:0", .tables = fx->tables, .progress = fx->progress };
    if (sluice_http_start(&opts, &fx->http, &err)) fail_msg("start: %s", err.message);
    assert_true(sluice_http_port(fx->http) > 0);
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fx *fx = *state;
    sluice_http_stop(fx->http);
    sluice_table_close(fx->table);
    sluice_tables_free(fx->tables);
    sluice_progress_free(fx->progress);
    sluice_schema_release(&fx->schema);
    free(fx);
    return 0;
}

/* GET path; returns the body (static) and sets *status. */
static const char *get(struct fx *fx, const char *path, long *status)
{
    static char body_copy[8192];
    char url[512];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", sluice_http_port(fx->http), path);
    struct sluice_buf body = { 0 };
    struct sluice_error err = { 0 };
    if (sluice_fetch(url, &body, status, &err)) fail_msg("%s", err.message);
    snprintf(body_copy, sizeof body_copy, "%s", body.data ? body.data : "");
    sluice_buf_free(&body);
    return body_copy;
}

#define SCHEMA_JSON                                                                                       \
    "{\"fields\":[{\"metadata\":{},\"name\":\"lang\",\"nullable\":true,\"type\":\"string\"},"               \
    "{\"metadata\":{},\"name\":\"count\",\"nullable\":true,\"type\":\"long\"}],\"type\":\"struct\"}"

static void test_http_lists_the_tables(void **state)
{
    long status;
    assert_string_equal(get(*state, "/tables", &status), "{\"tables\":[\"lang_count\"]}\n");
    assert_int_equal(status, 200);
}

static void test_http_serves_a_table_with_its_spark_schema(void **state)
{
    long status;
    assert_string_equal(get(*state, "/tables/lang_count", &status),
                        "{\"name\":\"lang_count\",\"schema\":" SCHEMA_JSON ",\"rows\":[\n"
                        "{\"lang\":\"en\",\"count\":10},\n"
                        "{\"lang\":\"fr\",\"count\":3},\n"
                        "{\"lang\":null,\"count\":1}\n"
                        "]}\n");
    assert_int_equal(status, 200);
    assert_string_equal(get(*state, "/tables/LANG_COUNT?limit=1", &status),
                        "{\"name\":\"lang_count\",\"schema\":" SCHEMA_JSON ",\"rows\":[\n"
                        "{\"lang\":\"en\",\"count\":10}\n"
                        "]}\n");
    assert_string_equal(get(*state, "/tables/lang_count?limit=0", &status),
                        "{\"name\":\"lang_count\",\"schema\":" SCHEMA_JSON ",\"rows\":[]}\n");
}

static void test_http_answers_an_unknown_table_with_404_and_the_names(void **state)
{
    long status;
    assert_string_equal(get(*state, "/tables/nope", &status),
                        "{\"error\":\"no memory table 'nope'\",\"hint\":\"the tables are: lang_count\"}\n");
    assert_int_equal(status, 404);
    assert_string_equal(get(*state, "/nope", &status),
                        "{\"error\":\"no endpoint '/nope'\",\"hint\":\"GET / (the live page), /tables, /tables/NAME, "
                        "/sql?q=SELECT..., /progress, /metrics, /plan\"}\n");
    assert_int_equal(status, 404);
}

static void test_http_runs_sql_statements(void **state)
{
    long status;
    struct sluice_buf path = { 0 };
    sluice_buf_puts(&path, "/sql?q=");
    sluice_fetch_escape("SELECT lang, count * 2 AS twice FROM lang_count WHERE count > 2 ORDER BY lang DESC", &path);
    assert_string_equal(get(*state, path.data, &status),
                        "{\"name\":\"lang_count\",\"query\":\"SELECT lang, count * 2 AS twice FROM lang_count WHERE "
                        "count > 2 ORDER BY lang DESC\",\"schema\":{\"fields\":[{\"metadata\":{},\"name\":\"lang\","
                        "\"nullable\":true,\"type\":\"string\"},{\"metadata\":{},\"name\":\"twice\",\"nullable\":true,"
                        "\"type\":\"long\"}],\"type\":\"struct\"},\"rows\":[\n"
                        "{\"lang\":\"fr\",\"twice\":6},\n"
                        "{\"lang\":\"en\",\"twice\":20}\n"
                        "]}\n");
    assert_int_equal(status, 200);
    sluice_buf_clear(&path);
    sluice_buf_puts(&path, "/sql?limit=1&q=");
    sluice_fetch_escape("SELECT lang FROM lang_count", &path);
    const char *body = get(*state, path.data, &status);
    assert_non_null(strstr(body, "\"rows\":[\n{\"lang\":\"en\"}\n]}"));
    sluice_buf_clear(&path);
    sluice_buf_puts(&path, "/sql?q=");
    sluice_fetch_escape("SELECT lang FROM lang_count WHERE", &path);
    assert_string_equal(get(*state, path.data, &status),
                        "{\"error\":\"expected a condition after WHERE at character 34\",\"excerpt\":\"SELECT lang "
                        "FROM lang_count WHERE\",\"position\":34}\n");
    assert_int_equal(status, 400);
    assert_string_equal(get(*state, "/sql", &status), "{\"error\":\"no statement: pass one as /sql?q=SELECT...\"}\n");
    assert_int_equal(status, 400);
    sluice_buf_free(&path);
}

static void test_http_serves_the_recent_progress(void **state)
{
    struct sluice_progress *p = ((struct fx *)*state)->progress;
    long status;
    assert_string_equal(get(*state, "/progress", &status), "[]\n");
    sluice_progress_record(p, &(struct sluice_progress_batch){ .query = "q", .source = "tweets", .batch_id = 0,
                                                            .sink_rows = 3, .end_offset = "{\"files\":1}" });
    sluice_progress_record(p, &(struct sluice_progress_batch){ .query = "q", .source = "tweets", .batch_id = 1,
                                                            .duration_us = 2500, .sink_rows = 0,
                                                            .end_offset = "not json" });
    const char *body = get(*state, "/progress", &status);
    assert_int_equal(status, 200);
    assert_non_null(strstr(body, "\"batchId\":0,"));
    assert_non_null(strstr(body, "\"sources\":[{\"description\":\"tweets\",\"startOffset\":null,"
                                 "\"endOffset\":{\"files\":1},\"latestOffset\":{\"files\":1},\"numInputRows\":0,"
                                 "\"numMalformedRows\":0,\"numInvalidUtf8Replaced\":0,\"inputRowsPerSecond\":0.0}],"
                                 "\"sink\":{\"description\":\"\",\"numOutputRows\":3}}"));
    assert_non_null(strstr(body, "\"batchId\":1,"));
    assert_non_null(strstr(body, "\"triggerExecution\":2}"));
    assert_non_null(strstr(body, "\"endOffset\":\"not json\""));
    assert_true(strstr(body, "\"batchId\":0,") < strstr(body, "\"batchId\":1,")); /* oldest first */
    /* The ring keeps the last SLUICE_PROGRESS_KEEP. */
    for (int i = 2; i < SLUICE_PROGRESS_KEEP + 5; i++)
        sluice_progress_record(p, &(struct sluice_progress_batch){ .query = "q", .source = "s", .batch_id = i });
    struct sluice_buf all = { 0 };
    sluice_progress_json(p, &all);
    assert_null(strstr(all.data, "\"batchId\":4,"));
    assert_non_null(strstr(all.data, "[{\"name\":\"q\",\"timestamp\":"));
    assert_true(strstr(all.data, "\"batchId\":5,") < strstr(all.data, "\"batchId\":6,"));
    sluice_buf_free(&all);
}

static void test_http_refuses_methods_but_get(void **state)
{
    struct fx *fx = *state;
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/tables", sluice_http_port(fx->http));
    CURL *c = curl_easy_init();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
    FILE *sink = fopen("/dev/null", "w");
    curl_easy_setopt(c, CURLOPT_WRITEDATA, sink);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    assert_int_equal(status, 405);
    curl_easy_cleanup(c);
    fclose(sink);
}


static void test_http_rejects_bad_query_parameters_with_400(void **state)
{
    long status;
    static const struct { const char *path, *body; } cases[] = {
        { "/tables/lang_count?limit=-1",
          "{\"error\":\"limit must be a whole number of rows, 0 or more, got '-1'\","
          "\"hint\":\"e.g. ?limit=20, or no limit for every row\"}\n" },
        { "/tables/lang_count?limit=abc",
          "{\"error\":\"limit must be a whole number of rows, 0 or more, got 'abc'\","
          "\"hint\":\"e.g. ?limit=20, or no limit for every row\"}\n" },
        { "/tables/lang_count?limit=",
          "{\"error\":\"limit must be a whole number of rows, 0 or more, got ''\","
          "\"hint\":\"e.g. ?limit=20, or no limit for every row\"}\n" },
        { "/tables/lang_count?limit",
          "{\"error\":\"limit must be a whole number of rows, 0 or more, got ''\","
          "\"hint\":\"e.g. ?limit=20, or no limit for every row\"}\n" },
        { "/tables/lang_count?limit=1.5",
          "{\"error\":\"limit must be a whole number of rows, 0 or more, got '1.5'\","
          "\"hint\":\"e.g. ?limit=20, or no limit for every row\"}\n" },
        { "/tables/lang_count?limit=99999999999999999999",
          "{\"error\":\"limit must be a whole number of rows, 0 or more, got '99999999999999999999'\","
          "\"hint\":\"e.g. ?limit=20, or no limit for every row\"}\n" },
        { "/tables/lang_count?limit=1&limit=2",
          "{\"error\":\"query parameter 'limit' is given twice\",\"hint\":\"give it once\"}\n" },
        { "/tables/lang_count?limt=1",
          "{\"error\":\"unknown query parameter 'limt' for /tables/NAME\",\"hint\":\"did you mean 'limit'?\"}\n" },
        { "/sql?q=SELECT%20lang%20FROM%20lang_count&limit=x",
          "{\"error\":\"limit must be a whole number of rows, 0 or more, got 'x'\","
          "\"hint\":\"e.g. ?limit=20, or no limit for every row\"}\n" },
        { "/sql?query=SELECT%201",
          "{\"error\":\"unknown query parameter 'query' for /sql\",\"hint\":\"/sql takes: q, limit\"}\n" },
        { "/progress?limit=1",
          "{\"error\":\"unknown query parameter 'limit' for /progress\",\"hint\":\"/progress takes no parameters\"}\n" },
        { "/tables?x=1",
          "{\"error\":\"unknown query parameter 'x' for /tables\",\"hint\":\"/tables takes no parameters\"}\n" },
        { "/metrics?x=1",
          "{\"error\":\"unknown query parameter 'x' for /metrics\",\"hint\":\"/metrics takes no parameters\"}\n" },
        { "/plan?x=1",
          "{\"error\":\"unknown query parameter 'x' for /plan\",\"hint\":\"/plan takes no parameters\"}\n" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *body = get(*state, cases[i].path, &status);
        if (strcmp(body, cases[i].body) != 0 || status != 400)
            fail_msg("%s: HTTP %ld %s", cases[i].path, status, body);
    }
    /* Good values still work. */
    get(*state, "/tables/lang_count?limit=0", &status);
    assert_int_equal(status, 200);
    get(*state, "/sql?limit=2&q=SELECT%20lang%20FROM%20lang_count", &status);
    assert_int_equal(status, 200);
}

static void test_http_serves_the_live_page_from_the_binary(void **state)
{
    long status;
    assert_non_null(strstr(get(*state, "/", &status), "<title>sluice</title>"));
    assert_int_equal(status, 200);
    assert_non_null(strstr(get(*state, "/index.html", &status), "<script src=\"/app.js\">"));
    assert_non_null(strstr(get(*state, "/app.js", &status), "class Chart"));
    assert_int_equal(status, 200);
    assert_non_null(strstr(get(*state, "/style.css", &status), ".tiles"));
    assert_int_equal(status, 200);
    /* Without a graph the plan is empty, not an error. */
    assert_string_equal(get(*state, "/plan", &status), "{\"stages\":[]}\n");
    assert_int_equal(status, 200);
    get(*state, "/app.jsx", &status);
    assert_int_equal(status, 404);
}

static void test_http_answers_a_query_past_the_memory_bound_with_507_and_serves_on(void **state)
{
    struct fx *fx = *state;
    struct sluice_http *small;
    struct sluice_error err = { 0 };
    struct sluice_http_opts opts = { .addr = "127.0.0.1:0", .tables = fx->tables, .query_memory_limit = 32 };
    if (sluice_http_start(&opts, &small, &err)) fail_msg("start: %s", err.message);
    struct sluice_http *shared = fx->http;
    fx->http = small;
    long status;
    assert_string_equal(get(fx, "/sql?q=SELECT%20*%20FROM%20lang_count", &status),
                        "{\"error\":\"the query needs more than 32 bytes for its rows (runtime.query_memory_limit)\","
                        "\"hint\":\"add a LIMIT or a WHERE, select fewer columns, or raise runtime.query_memory_limit; "
                        "the stream goes on\"}\n");
    assert_int_equal(status, 507);
    const char *body = get(fx, "/sql?q=SELECT%20*%20FROM%20lang_count%20ORDER%20BY%20count%20LIMIT%201", &status);
    assert_int_equal(status, 200);
    assert_non_null(strstr(body, "\"rows\":[\n{\"lang\":null,\"count\":1}\n]}"));
    get(fx, "/progress", &status);
    assert_int_equal(status, 200);
    fx->http = shared;
    sluice_http_stop(small);
}

static void test_http_streams_a_table_larger_than_a_chunk(void **state)
{
    struct fx *fx = *state;
    struct sluice_table *big;
    struct sluice_error err = { 0 };
    if (sluice_tables_open(fx->tables, "big", &fx->schema, &big, &err)) fail_msg("%s", err.message);
    sluice_table_begin(big, 0, false);
    for (int part = 0; part < 4; part++) {
        struct sluice_builder *b = sluice_builder_new(&fx->schema);
        for (int i = 0; i < 2500; i++) add_row(fx, b, "a language of some length", part * 2500 + i);
        struct sluice_batch batch;
        sluice_builder_finish(b, &batch);
        sluice_builder_free(b);
        sluice_table_add(big, &batch);
    }
    sluice_table_commit(big);
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/tables/big", sluice_http_port(fx->http));
    struct sluice_buf body = { 0 };
    long status;
    if (sluice_fetch(url, &body, &status, &err)) fail_msg("%s", err.message);
    assert_int_equal(status, 200);
    assert_true(body.len > 400000);
    json_error_t jerr;
    json_t *doc = json_loadb(body.data, body.len, 0, &jerr);
    if (!doc) fail_msg("not JSON: %s", jerr.text);
    json_t *rows = json_object_get(doc, "rows");
    assert_int_equal(json_array_size(rows), 10000);
    for (size_t i = 0; i < 10000; i++)
        assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, i), "count")), (json_int_t)i);
    json_decref(doc);
    sluice_buf_free(&body);
    sluice_table_close(big);
}

static void test_http_rejects_bad_addresses_and_busy_ports(void **state)
{
    struct fx *fx = *state;
    struct sluice_http *h = NULL;
    struct sluice_error err = { 0 };
    struct sluice_http_opts opts = { .addr = "4040", .tables = fx->tables };
    assert_int_equal(sluice_http_start(&opts, &h, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message, "expected an address such as \"127.0.0.1:4040\", got \"4040\"");
    opts.addr = "127.0.0.1:99999";
    assert_int_equal(sluice_http_start(&opts, &h, &err), SLUICE_ECONFIG);
    char busy[64];
    snprintf(busy, sizeof busy, "127.0.0.1:%d", sluice_http_port(fx->http));
    opts.addr = busy;
    assert_int_equal(sluice_http_start(&opts, &h, &err), SLUICE_EIO);
    char want[128];
    snprintf(want, sizeof want, "cannot listen on %s: Address already in use", busy);
    assert_string_equal(err.message, want);
    assert_null(h);
}

int main(void)
{
    sluice_fetch_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_http_lists_the_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_serves_a_table_with_its_spark_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_answers_an_unknown_table_with_404_and_the_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_runs_sql_statements, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_serves_the_recent_progress, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_refuses_methods_but_get, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_rejects_bad_query_parameters_with_400, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_serves_the_live_page_from_the_binary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_answers_a_query_past_the_memory_bound_with_507_and_serves_on, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_http_streams_a_table_larger_than_a_chunk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_rejects_bad_addresses_and_busy_ports, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}

#else /* no libmicrohttpd */

static void test_http_without_libmicrohttpd_says_what_to_install(void **state)
{
    struct sluice_http *h = NULL;
    struct sluice_error err = { 0 };
    struct sluice_http_opts opts = { .addr = "127.0.0.1:0" };
    assert_int_equal(sluice_http_start(&opts, &h, &err), SLUICE_ECONFIG);
    assert_string_equal(err.message,
                        "this sluice was built without HTTP support: install libmicrohttpd-dev and rebuild");
    assert_null(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_http_without_libmicrohttpd_says_what_to_install),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

#endif
