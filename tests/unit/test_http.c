/* The REST server (core/serve/http.c) on 127.0.0.1 with a port the system picks,
 * every endpoint fetched with libcurl (core/cli/fetch.c) and its JSON compared
 * exactly; bad addresses and a busy port. Built without libmicrohttpd, the
 * server must refuse to start and say what to install. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
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
                        "{\"error\":\"no endpoint '/nope'\",\"hint\":\"GET /tables, /tables/NAME, /sql?q=SELECT..., "
                        "/progress, /metrics\"}\n");
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
