/* sluice query: read a running pipeline's memory tables over its REST
 * server (http.h), as the lab reads them with spark.sql(...).show(). The
 * answer's rows come back as JSON with the result's Spark schema; they are
 * decoded into a batch with that schema (the same reader the sources use),
 * so the table printed is exactly the one show() and the console sink
 * print. */
#include <jansson.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "clock.h"
#include "decode.h"
#include "duration.h"
#include "error.h"
#include "fetch.h"
#include "render.h"
#include "schema.h"
#include "show.h"
#include "timefmt.h"

static const char help[] =
    "Usage: sluice query NAME|STATEMENT [options]\n"
    "\n"
    "Print a memory table of a running pipeline (a memory sink's query_name; the\n"
    "pipeline sets runtime.http), or the result of a SQL statement over one, as\n"
    "spark.sql(...).show() prints it:\n"
    "  sluice query lang_count\n"
    "  sluice query \"SELECT lang, count FROM lang_count WHERE count > 10 ORDER BY count DESC LIMIT 5\"\n"
    "Statements: SELECT [DISTINCT] exprs FROM table [WHERE] [GROUP BY] [HAVING]\n"
    "[ORDER BY expr [ASC|DESC] [NULLS FIRST|LAST], ...] [LIMIT n], with the\n"
    "pipeline expression language and count, sum, avg, min, max, count(DISTINCT x),\n"
    "approx_count_distinct. A statement that would hold more than the pipeline's\n"
    "runtime.query_memory_limit (default 256 MiB) fails alone (exit 1); the stream\n"
    "goes on. ORDER BY .. LIMIT n keeps only n rows however big the table.\n"
    "\n"
    "Options:\n"
    "  --http ADDR        the pipeline's runtime.http (default 127.0.0.1:4040)\n"
    "  --format F         table (default) or jsonl: one JSON object per row, every row\n"
    "  --num-rows N       rows a table shows (default 20)\n"
    "  --no-truncate      show whole cells, aligned left (show(truncate=False))\n"
    "  --watch DURATION   run it again every DURATION (\"3s\", \"500ms\"), each result\n"
    "                     under a line with the time, until Ctrl-C\n"
    "  --count N          with --watch: stop after N runs\n"
    "  -h, --help         this help\n";

struct query_args {
    const char *target;
    const char *http;
    bool jsonl;
    int64_t num_rows;
    bool truncate;
    int64_t watch_us; /* 0: once */
    int64_t count;    /* 0: until stopped */
};

static int parse_args(int argc, char **argv, struct query_args *a)
{
    *a = (struct query_args){ .http = "127.0.0.1:4040", .num_rows = 20, .truncate = true };
    bool counted = false;
    for (int i = 0; i < argc; i++) {
        const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool ok = true, takes_value = true;
        if (sluice_cli_is_help(o)) {
            fputs(help, stdout);
            return -1;
        } else if (strcmp(o, "--http") == 0) {
            a->http = v;
            ok = v && *v;
        } else if (strcmp(o, "--format") == 0) {
            ok = v && (strcmp(v, "table") == 0 || strcmp(v, "jsonl") == 0);
            a->jsonl = ok && strcmp(v, "jsonl") == 0;
        } else if (strcmp(o, "--num-rows") == 0) {
            ok = sluice_cli_parse_i64(v, &a->num_rows) && a->num_rows >= 0;
        } else if (strcmp(o, "--no-truncate") == 0) {
            a->truncate = false;
            takes_value = false;
        } else if (strcmp(o, "--watch") == 0) {
            ok = v && sluice_duration_parse(v, &a->watch_us) == 0 && a->watch_us > 0;
        } else if (strcmp(o, "--count") == 0) {
            ok = sluice_cli_parse_i64(v, &a->count) && a->count > 0;
            counted = true;
        } else if (o[0] == '-' && o[1]) {
            return sluice_cli_usage_error("query ", "unknown option '%s'", o);
        } else if (!a->target) {
            a->target = o;
            takes_value = false;
        } else {
            return sluice_cli_usage_error("query ", "unexpected argument '%s': quote the statement as one argument",
                                          o);
        }
        if (!ok) return sluice_cli_usage_error("query ", "bad value for %s: '%s'", o, v ? v : "");
        if (takes_value) i++;
    }
    if (!a->target || !*a->target) return sluice_cli_usage_error("query ", "missing a table name or a statement");
    if (counted && !a->watch_us) return sluice_cli_usage_error("query ", "--count goes with --watch");
    return 0;
}

/* ---- one run ------------------------------------------------------------------- */

/* A table name has no blank (the memory sink refuses one); a statement does. */
static bool is_statement(const char *t)
{
    return strpbrk(t, " \t\n\r") != NULL;
}

static void make_url(const struct query_args *a, struct sluice_buf *url)
{
    bool scheme = strncmp(a->http, "http://", 7) == 0 || strncmp(a->http, "https://", 8) == 0;
    sluice_buf_printf(url, "%s%s", scheme ? "" : "http://", a->http);
    while (url->len && url->data[url->len - 1] == '/') url->data[--url->len] = '\0';
    if (is_statement(a->target)) {
        sluice_buf_puts(url, "/sql?q=");
        sluice_fetch_escape(a->target, url);
        sluice_buf_putc(url, '&');
    } else {
        sluice_buf_puts(url, "/tables/");
        sluice_fetch_escape(a->target, url);
        sluice_buf_putc(url, '?');
    }
    /* One row more than shown tells whether to say "only showing top N rows". */
    if (!a->jsonl) sluice_buf_printf(url, "limit=%lld", (long long)a->num_rows + 1);
}

static const char *json_str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* The server's {"error":..} answer as our own error. */
static int server_error(long status, const json_t *doc, const struct sluice_buf *body, struct sluice_error *err)
{
    int code = status == 400 || status == 404 ? SLUICE_ECONFIG : SLUICE_EIO;
    if (!doc || !json_is_string(json_object_get(doc, "error")))
        return sluice_error_set(err, SLUICE_EIO, "the server answered HTTP %ld: %.200s", status,
                                body->data ? body->data : "");
    sluice_error_set(err, code, "%s", json_str(doc, "error"));
    if (*json_str(doc, "hint")) sluice_error_hint(err, "%s", json_str(doc, "hint"));
    if (*json_str(doc, "excerpt"))
        sluice_error_excerpt(err, json_str(doc, "excerpt"), (int)json_integer_value(json_object_get(doc, "position")));
    return code;
}

/* The rows of the answer as a batch of its schema (*schema is the caller's). */
static int decode_rows(const json_t *doc, struct ArrowSchema *schema, struct sluice_batch *out, struct sluice_error *err)
{
    json_t *rows = json_object_get(doc, "rows"), *js = json_object_get(doc, "schema");
    if (!json_is_array(rows) || !json_is_object(js))
        return sluice_error_set(err, SLUICE_EIO, "the server's answer has no rows or schema: is it a sluice?");
    char *text = json_dumps(js, JSON_COMPACT);
    int rc = sluice_schema_parse_json(text, schema, err);
    free(text);
    if (rc) return rc;
    struct sluice_buf lines = { 0 };
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        /* %.17g reals read back as the same doubles. */
        char *line = json_dumps(row, JSON_COMPACT | JSON_PRESERVE_ORDER);
        sluice_buf_puts(&lines, line);
        sluice_buf_putc(&lines, '\n');
        free(line);
    }
    struct sluice_decode_opts opts = { .size = sizeof opts, .format = "json", .schema = schema,
                                       .mode = SLUICE_PARSE_FAIL_FAST };
    struct sluice_decoder *d;
    rc = sluice_decoder_new(&opts, &d, err);
    if (!rc) {
        struct sluice_decode_input in = { .data = lines.data ? lines.data : "", .len = lines.len,
                                          .origin = "the server's answer", .first_line = 1, .file_start = true };
        struct sluice_decode_stats stats = { 0 };
        rc = sluice_decode(d, &in, out, &stats, err);
        out->schema = schema;
        sluice_decoder_free(d);
    }
    sluice_buf_free(&lines);
    return rc;
}

static int run_once(const struct query_args *a, struct sluice_error *err)
{
    struct sluice_buf url = { 0 }, body = { 0 };
    make_url(a, &url);
    long status = 0;
    int rc = sluice_fetch(url.data, &body, &status, err);
    if (rc) {
        char reason[sizeof err->message];
        const char *colon = strstr(err->message, ": ");
        snprintf(reason, sizeof reason, "%s", colon ? colon + 2 : err->message);
        sluice_error_set(err, SLUICE_EIO, "cannot reach a sluice at %s: %s", a->http, reason);
        sluice_error_hint(err, "is a pipeline with runtime.http = \"%s\" running? --http ADDR points elsewhere",
                          a->http);
    }
    json_t *doc = NULL;
    if (!rc) {
        json_error_t jerr;
        doc = json_loadb(body.data ? body.data : "", body.len, 0, &jerr);
        if (status != 200) rc = server_error(status, doc, &body, err);
        else if (!doc) rc = sluice_error_set(err, SLUICE_EIO, "the server's answer is not JSON: %s", jerr.text);
    }
    struct ArrowSchema schema = { 0 };
    struct sluice_batch batch = { 0 };
    if (!rc) rc = decode_rows(doc, &schema, &batch, err);
    if (!rc) {
        struct sluice_buf out = { 0 };
        if (a->jsonl) {
            for (int64_t r = 0; r < sluice_batch_rows(&batch); r++) {
                sluice_render_row_json(&batch, r, &out);
                sluice_buf_putc(&out, '\n');
            }
        } else {
            sluice_show_format(&batch, a->num_rows, a->truncate, &out);
        }
        if (out.len && fwrite(out.data, 1, out.len, stdout) != out.len)
            rc = sluice_error_set(err, SLUICE_EIO, "cannot write to standard output");
        fflush(stdout);
        sluice_buf_free(&out);
    }
    sluice_batch_release(&batch);
    sluice_schema_release(&schema);
    json_decref(doc);
    sluice_buf_free(&url);
    sluice_buf_free(&body);
    return rc;
}

/* ---- --watch --------------------------------------------------------------------- */

static atomic_int stop_requested;

static void on_signal(int sig)
{
    atomic_store(&stop_requested, 1);
    signal(sig, SIG_DFL); /* a second Ctrl-C does not wait */
}

static void sleep_until(int64_t deadline)
{
    for (;;) {
        int64_t left = deadline - sluice_monotonic_us();
        if (left <= 0 || atomic_load(&stop_requested)) return;
        if (left > 50000) left = 50000;
        struct timespec ts = { left / 1000000, (left % 1000000) * 1000 };
        nanosleep(&ts, NULL);
    }
}

static void print_time_header(void)
{
    time_t now = time(NULL);
    struct tm tm;
    char when[64];
    localtime_r(&now, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    printf("Time: %s\n", when);
}

int sluice_cmd_query(int argc, char **argv)
{
    struct query_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc < 0 ? 0 : rc;
    sluice_cli_init_logging(0);
    sluice_fetch_init();
    struct sluice_error err = { 0 };
    if (!a.watch_us) return run_once(&a, &err) ? sluice_cli_fail(&err) : 0;

    /* The lab's `for _ in range(10): sleep(3); spark.sql(...).show()`, on a
     * steady beat: run k starts at start + k * interval. */
    struct sigaction sa = { 0 };
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int64_t start = sluice_monotonic_us();
    for (int64_t k = 0; !a.count || k < a.count; k++) {
        if (k) sleep_until(start + k * a.watch_us);
        if (atomic_load(&stop_requested)) break;
        print_time_header();
        if (run_once(&a, &err)) return sluice_cli_fail(&err);
    }
    return 0;
}
