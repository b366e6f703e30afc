/* The REST server, on libmicrohttpd. See http.h.
 *
 * The listening socket is made here (so a busy port is reported as the
 * user wrote the address) and handed to libmicrohttpd, which runs one
 * thread of its own and answers requests one at a time on it. Every answer
 * is rendered from a snapshot into a buffer that libmicrohttpd frees once
 * sent; no lock is held while rendering. */
#include "http.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "error.h"
#include "graph.h"
#include "loader.h"
#include "log.h"
#include "mem.h"
#include "progress.h"
#include "render.h"
#include "schema.h"
#include "sql.h"
#include "tables.h"

struct sluice_http {
    struct MHD_Daemon *daemon;
    struct sluice_tables *tables;
    struct sluice_registry *registry; /* used on the server's thread only */
    struct sluice_agg_catalog catalog;
    int port;
    char addr[128];
};

/* ---- answers ------------------------------------------------------------------- */

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status, struct sluice_buf *body)
{
    sluice_buf_putc(body, '\n');
    struct MHD_Response *r = MHD_create_response_from_buffer(body->len, body->data, MHD_RESPMEM_MUST_FREE);
    body->data = NULL; /* libmicrohttpd frees it once sent */
    body->len = body->cap = 0;
    if (!r) return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    enum MHD_Result ok = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ok;
}

static void put_string(struct sluice_buf *out, const char *s)
{
    sluice_render_json_string(s, strlen(s), out);
}

static enum MHD_Result reply_error(struct MHD_Connection *conn, unsigned status, const struct sluice_error *err)
{
    struct sluice_buf body = { 0 };
    sluice_buf_puts(&body, "{\"error\":");
    put_string(&body, err->message);
    if (err->hint[0]) {
        sluice_buf_puts(&body, ",\"hint\":");
        put_string(&body, err->hint);
    }
    if (err->excerpt[0]) {
        sluice_buf_puts(&body, ",\"excerpt\":");
        put_string(&body, err->excerpt);
        sluice_buf_printf(&body, ",\"position\":%d", err->position);
    }
    sluice_buf_putc(&body, '}');
    return reply(conn, status, &body);
}

static enum MHD_Result not_found(struct MHD_Connection *conn, const char *fmt, const char *what, const char *hint)
{
    struct sluice_error err = { 0 };
    sluice_error_set(&err, SLUICE_ECONFIG, fmt, what);
    if (hint) snprintf(err.hint, sizeof err.hint, "%s", hint);
    return reply_error(conn, MHD_HTTP_NOT_FOUND, &err);
}

/* `limit=N` (absent or bad: no limit). */
static int64_t limit_of(struct MHD_Connection *conn)
{
    const char *s = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "limit");
    if (!s || !*s) return -1;
    char *end;
    long long v = strtoll(s, &end, 10);
    return *end || v < 0 ? -1 : (int64_t)v;
}

/* {"name":..,"schema":..,"rows":[..]} from batches of one schema. */
static void render_rows(struct sluice_buf *out, const char *name, const char *query, const struct ArrowSchema *schema,
                        const struct sluice_batch *const *batches, size_t n, int64_t limit)
{
    sluice_buf_puts(out, "{\"name\":");
    put_string(out, name);
    if (query) {
        sluice_buf_puts(out, ",\"query\":");
        put_string(out, query);
    }
    sluice_buf_puts(out, ",\"schema\":");
    sluice_schema_to_json(schema, out);
    sluice_buf_puts(out, ",\"rows\":[");
    int64_t written = 0;
    for (size_t i = 0; i < n && (limit < 0 || written < limit); i++) {
        int64_t rows = sluice_batch_rows(batches[i]);
        for (int64_t r = 0; r < rows && (limit < 0 || written < limit); r++, written++) {
            /* One row a line: readable with curl, and a reader may split on lines. */
            sluice_buf_puts(out, written ? ",\n" : "\n");
            sluice_render_row_json(batches[i], r, out);
        }
    }
    sluice_buf_puts(out, written ? "\n]}" : "]}");
}

static void table_list(struct sluice_http *h, struct sluice_buf *out)
{
    char **names;
    size_t n = sluice_tables_names(h->tables, &names);
    for (size_t i = 0; i < n; i++) sluice_buf_printf(out, "%s%s", i ? ", " : "", names[i]);
    sluice_tables_names_free(names, n);
}

static enum MHD_Result get_tables(struct sluice_http *h, struct MHD_Connection *conn)
{
    struct sluice_buf body = { 0 };
    char **names;
    size_t n = sluice_tables_names(h->tables, &names);
    sluice_buf_puts(&body, "{\"tables\":[");
    for (size_t i = 0; i < n; i++) {
        if (i) sluice_buf_putc(&body, ',');
        put_string(&body, names[i]);
    }
    sluice_buf_puts(&body, "]}");
    sluice_tables_names_free(names, n);
    return reply(conn, MHD_HTTP_OK, &body);
}

static enum MHD_Result get_table(struct sluice_http *h, struct MHD_Connection *conn, const char *name)
{
    struct sluice_table_snapshot *s = sluice_tables_get(h->tables, name);
    if (!s) {
        struct sluice_buf list = { 0 };
        sluice_buf_puts(&list, "the tables are: ");
        size_t before = list.len;
        table_list(h, &list);
        enum MHD_Result r = not_found(conn, "no memory table '%s'", name,
                                      list.len > before ? list.data
                                                        : "no memory table exists yet: a memory sink makes one, "
                                                          "named by query_name");
        sluice_buf_free(&list);
        return r;
    }
    const struct sluice_batch **batches;
    size_t n = sluice_table_snapshot_batches(s, &batches);
    struct sluice_buf body = { 0 };
    render_rows(&body, sluice_table_snapshot_name(s), NULL, sluice_table_snapshot_schema(s), batches, n,
                limit_of(conn));
    free(batches);
    sluice_table_snapshot_unref(s);
    return reply(conn, MHD_HTTP_OK, &body);
}

static enum MHD_Result get_sql(struct sluice_http *h, struct MHD_Connection *conn)
{
    const char *q = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "q");
    struct sluice_error err = { 0 };
    if (!q || !*q) {
        sluice_error_set(&err, SLUICE_ECONFIG, "no statement: pass one as /sql?q=SELECT...");
        return reply_error(conn, MHD_HTTP_BAD_REQUEST, &err);
    }
    struct sluice_sql_result *res;
    int rc = sluice_sql_run(q, h->tables, &h->catalog, limit_of(conn), &res, &err);
    if (rc) return reply_error(conn, rc == SLUICE_ECONFIG ? MHD_HTTP_BAD_REQUEST : MHD_HTTP_INTERNAL_SERVER_ERROR, &err);
    /* The table it read, for the "name" of the answer. */
    struct sluice_sql *parsed;
    const char *table = "";
    if (sluice_sql_parse(q, &parsed, NULL) == SLUICE_OK) table = sluice_sql_table(parsed);
    else parsed = NULL;
    const struct sluice_batch *b = &res->batch;
    struct sluice_buf body = { 0 };
    render_rows(&body, table, q, &res->schema, &b, 1, -1);
    sluice_sql_free(parsed);
    sluice_sql_result_free(res);
    return reply(conn, MHD_HTTP_OK, &body);
}

static enum MHD_Result get_progress(struct MHD_Connection *conn)
{
    struct sluice_buf body = { 0 };
    sluice_progress_json(&body);
    return reply(conn, MHD_HTTP_OK, &body);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    struct sluice_http *h = cls;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        struct sluice_error err = { 0 };
        sluice_error_set(&err, SLUICE_ECONFIG, "method %s is not served: only GET", method);
        return reply_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, &err);
    }
    if (strcmp(url, "/tables") == 0 || strcmp(url, "/tables/") == 0) return get_tables(h, conn);
    if (strncmp(url, "/tables/", 8) == 0) return get_table(h, conn, url + 8);
    if (strcmp(url, "/sql") == 0) return get_sql(h, conn);
    if (strcmp(url, "/progress") == 0) return get_progress(conn);
    return not_found(conn, "no endpoint '%s'", url, "GET /tables, /tables/NAME, /sql?q=SELECT..., /progress");
}

/* ---- starting and stopping -------------------------------------------------------- */

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
    sluice_log(SLUICE_LOG_WARN, NULL, "http: %s", line);
}

/* "host:port", "[v6]:port"; false when it is neither. */
static bool split_addr(const char *addr, char *host, size_t host_cap, char *port, size_t port_cap)
{
    const char *colon;
    if (addr[0] == '[') {
        const char *close = strchr(addr, ']');
        if (!close || close[1] != ':') return false;
        if ((size_t)(close - addr - 1) >= host_cap) return false;
        snprintf(host, host_cap, "%.*s", (int)(close - addr - 1), addr + 1);
        colon = close + 1;
    } else {
        colon = strrchr(addr, ':');
        if (!colon || colon == addr || memchr(addr, ':', (size_t)(colon - addr))) return false;
        if ((size_t)(colon - addr) >= host_cap) return false;
        snprintf(host, host_cap, "%.*s", (int)(colon - addr), addr);
    }
    const char *p = colon + 1;
    if (!*p || strlen(p) > 5 || strspn(p, "0123456789") != strlen(p) || atoi(p) > 65535) return false;
    snprintf(port, port_cap, "%s", p);
    return true;
}

static int listen_on(const char *addr, int *fd_out, int *port_out, struct sluice_error *err)
{
    char host[256], port[8];
    if (!split_addr(addr, host, sizeof host, port, sizeof port)) {
        int rc = sluice_error_set(err, SLUICE_ECONFIG, "expected an address such as \"127.0.0.1:4040\", got \"%s\"",
                                  addr);
        sluice_error_hint(err, "host:port, with [..] around an IPv6 host; port 0 picks a free one");
        return rc;
    }
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
    struct addrinfo *ai;
    int gai = getaddrinfo(host, port, &hints, &ai);
    if (gai) return sluice_error_set(err, SLUICE_ECONFIG, "cannot resolve '%s' in \"%s\": %s", host, addr, gai_strerror(gai));
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    int one = 1, rc = SLUICE_OK;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 64) != 0) {
        rc = sluice_error_set(err, SLUICE_EIO, "cannot listen on %s: %s", addr, strerror(errno));
        if (errno == EADDRINUSE) sluice_error_hint(err, "another process (a sluice still running?) has that port");
    }
    freeaddrinfo(ai);
    struct sockaddr_storage bound;
    socklen_t len = sizeof bound;
    if (!rc && getsockname(fd, (struct sockaddr *)&bound, &len) != 0)
        rc = sluice_error_set(err, SLUICE_EIO, "cannot listen on %s: %s", addr, strerror(errno));
    if (rc) {
        if (fd >= 0) close(fd);
        return rc;
    }
    *port_out = bound.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&bound)->sin6_port)
                                            : ntohs(((struct sockaddr_in *)&bound)->sin_port);
    *fd_out = fd;
    return SLUICE_OK;
}

int sluice_http_start(const struct sluice_http_opts *opts, struct sluice_http **out, struct sluice_error *err)
{
    *out = NULL;
    int fd, port;
    int rc = listen_on(opts->addr, &fd, &port, err);
    if (rc) return rc;
    struct sluice_http *h = sluice_xcalloc(1, sizeof *h);
    h->tables = opts->tables;
    h->port = port;
    snprintf(h->addr, sizeof h->addr, "%s", opts->addr);
    h->registry = sluice_registry_new(opts->plugin_path, opts->n_plugin_path);
    sluice_sql_registry_catalog(h->registry, &h->catalog);
    h->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, h,
                                 MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
                                 MHD_OPTION_LISTEN_SOCKET, fd,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
                                 MHD_OPTION_END);
    if (!h->daemon) {
        close(fd);
        sluice_registry_free(h->registry);
        free(h);
        return sluice_error_set(err, SLUICE_EIO, "cannot start the HTTP server on %s", opts->addr);
    }
    *out = h;
    return SLUICE_OK;
}

int sluice_http_port(const struct sluice_http *h)
{
    return h ? h->port : 0;
}

void sluice_http_stop(struct sluice_http *h)
{
    if (!h) return;
    MHD_stop_daemon(h->daemon); /* joins the server's thread and closes the socket */
    sluice_registry_free(h->registry);
    free(h);
}

int sluice_http_start_graph(const struct sluice_graph *g, struct sluice_http **out, struct sluice_error *err)
{
    *out = NULL;
    if (!g->runtime.http) return SLUICE_OK;
    struct sluice_http_opts opts = { .addr = g->runtime.http, .tables = sluice_tables_global(),
                                     .plugin_path = g->runtime.plugin_path, .n_plugin_path = g->runtime.n_plugin_path };
    int rc = sluice_http_start(&opts, out, err);
    if (rc) {
        const config_setting_t *at = config_lookup(&g->config, "runtime.http");
        if (at && err) {
            char message[sizeof err->message];
            snprintf(message, sizeof message, "%s", err->message);
            sluice_error_at(err, rc, at, "%s", message);
        }
        return rc;
    }
    char host[256], port[8];
    split_addr(g->runtime.http, host, sizeof host, port, sizeof port);
    sluice_log_notice(NULL, "serving memory tables and progress on http://%s%s%s:%d", strchr(host, ':') ? "[" : "",
                      host, strchr(host, ':') ? "]" : "", sluice_http_port(*out));
    return SLUICE_OK;
}
