/* core/serve/http.h — the REST server `runtime.http` starts (DESIGN §8).
 *
 * With `runtime = { http = "127.0.0.1:4040"; }` a running pipeline serves,
 * as JSON:
 *   GET /tables             {"tables":["lang_count",...]}: the memory tables
 *   GET /tables/NAME        {"name":..,"schema":<Spark StructType JSON>,"rows":[{..},..]}
 *   GET /sql?q=STATEMENT    the same shape for a SQL statement's result (sql.h),
 *                           with "name" the table it read and "query" the statement
 *   GET /progress           [ {progress record}, .. ]: the recent micro-batches
 *   GET /metrics            Prometheus' text format (metrics.h)
 *   GET /plan               the plan as JSON (sluice_graph_describe_json)
 *   GET /, /app.js, ...     the live page (web.h)
 *   POST /reload            re-read the config (reload.h), from loopback only:
 *                           202 accepted, 409 refused with the reason
 * `limit=N` on /tables/NAME and /sql caps the rows returned (`sluice query`
 * asks for one more row than it shows). Errors are JSON too:
 * {"error":"..","hint":"..","excerpt":"..","position":N} with 400 for a bad
 * statement or query parameter (an unknown, repeated or malformed one is
 * never ignored), 404 for an unknown table or path, 405 for a method not
 * GET, 507 for a statement past the memory bound (sql.h), which fails
 * alone.
 *
 * The server runs on a thread of its own and reads snapshots (tables.h):
 * it never holds a lock while rendering, so a slow reader never stalls a
 * micro-batch; rows are rendered a chunk at a time as the client reads.
 * It listens only on the address given (netaddr.h); nothing is served
 * without one. Requests are answered one at a time; connections are
 * polled with epoll, limited in all and per client address, and dropped
 * when idle, so hostile clients cannot starve real ones.
 *
 * Built only with libmicrohttpd (SLUICE_HAVE_HTTP); without it every start
 * fails with a message saying how to get it (http_off.c). Ownership: the
 * server owns its registry of aggregator plugins (for /sql) and borrows the
 * tables, which must outlive it. Main thread only. */
#ifndef SLUICE_CORE_HTTP_H
#define SLUICE_CORE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/error.h>

struct sluice_graph;
struct sluice_http;
struct sluice_reload;
struct sluice_tables;

struct sluice_http_opts {
    const char *addr;               /* "127.0.0.1:4040", "localhost:4040", "[::1]:4040"; port 0: any free one */
    struct sluice_tables *tables;   /* what /tables and /sql read */
    struct sluice_progress *progress; /* what /progress reads */
    const struct sluice_graph *graph; /* what /metrics and /plan report, or NULL (sluice_http_set_graph) */
    struct sluice_reload *reload;   /* what POST /reload asks, or NULL: not served */
    const char *const *plugin_path; /* searched first for /sql's aggregators (runtime.plugin_path) */
    size_t n_plugin_path;
    int64_t query_memory_limit;     /* bytes a /sql statement may hold (sql.h); 0: the default, 256 MiB */
};

/* Listen and serve. A bad address is SLUICE_ECONFIG; an address that
 * cannot be bound SLUICE_EIO naming it. On SLUICE_OK *out is the caller's
 * to stop. */
int sluice_http_start(const struct sluice_http_opts *opts, struct sluice_http **out, struct sluice_error *err);
/* The port listened on (the one chosen, for port 0). */
int sluice_http_port(const struct sluice_http *h);
/* Stop serving: waits for the request in progress. NULL is allowed. */
void sluice_http_stop(struct sluice_http *h);
/* The graph /metrics and /plan report from now on (opened), or NULL while
 * it changes: waits for requests reading the old one. NULL h is allowed. */
void sluice_http_set_graph(struct sluice_http *h, const struct sluice_graph *g);

/* Start the server a loaded pipeline asks for (runtime.http) over the
 * graph's memory tables and progress, reloads through `reload` (or NULL);
 * *out is NULL when it asks for none. The graph itself is reported once
 * opened (sluice_http_set_graph). Errors name the config file and line of
 * runtime.http. */
int sluice_http_start_graph(const struct sluice_graph *g, struct sluice_reload *reload, struct sluice_http **out,
                            struct sluice_error *err);

#endif
