/* The REST server, on libmicrohttpd. See http.h.
 *
 * The listening socket is made here (so a busy port is reported as the
 * user wrote the address) and handed to libmicrohttpd, which runs one
 * thread of its own polling with epoll (not select(), which cannot watch a
 * descriptor past FD_SETSIZE and so dropped every client, real ones too,
 * once a thousand idle connections were open). Connections are limited in
 * all and per client address and dropped when idle, and libmicrohttpd's
 * own messages are rate-limited, so hostile clients cost a bounded number
 * of descriptors and log lines. Tables and SQL results are rendered a
 * chunk at a time as the client reads (a snapshot or result held by the
 * response), small answers into a buffer libmicrohttpd frees once sent; no
 * lock is held while rendering. */
#include "http.h"

#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "error.h"
#include "graph.h"
#include "http_priv.h"
#include "registry.h"
#include "log.h"
#include "metrics.h"
#include "mem.h"
#include "netaddr.h"
#include "progress.h"
#include "reload.h"
#include "sql.h"
#include "tables.h"
#include "web.h"
#include "clock.h"

#include <netinet/in.h>

/* Connections: in all (fewer when the descriptor limit is low, so the
 * server never takes the pipeline's files), per client address, and how
 * long one may sit idle. */
#define HTTP_MAX_CONNECTIONS 256
#define HTTP_MAX_PER_ADDRESS 32
#define HTTP_IDLE_SECONDS 10
/* libmicrohttpd's messages: at most this many per window, then one line
 * saying how many were left out. */
#define HTTP_LOG_BURST 5
#define HTTP_LOG_WINDOW_US (10 * 1000000LL)

struct sluice_http {
    struct MHD_Daemon *daemon;
    struct sluice_tables *tables;
    struct sluice_progress *progress; /* or NULL: /progress answers [] */
    pthread_rwlock_t graph_lock;      /* the graph changes on a reload */
    const struct sluice_graph *graph; /* or NULL: /metrics is empty */
    struct sluice_reload *reload;     /* or NULL: POST /reload is not served */
    struct sluice_registry *registry; /* used on the server's thread only */
    struct sluice_agg_catalog catalog;
    int64_t query_memory_limit;
    int port;
    char addr[128];
    pthread_mutex_t log_lock;
    int64_t log_window_start;
    int log_count;
    long log_suppressed;
};

/* ---- endpoints ---------------------------------------------------------------------- */

static void table_list(struct sluice_http *h, struct sluice_buf *out)
{
    char **names;
    size_t n = sluice_tables_names(h->tables, &names);
    for (size_t i = 0; i < n; i++) sluice_buf_printf(out, "%s%s", i ? ", " : "", names[i]);
    sluice_tables_names_free(names, n);
}

static enum MHD_Result get_tables(struct sluice_http *h, struct MHD_Connection *conn)
{
    struct http_params p;
    enum MHD_Result answer;
    if (!http_read_params(conn, "/tables", NULL, 0, &p, &answer)) return answer;
    struct sluice_buf body = { 0 };
    char **names;
    size_t n = sluice_tables_names(h->tables, &names);
    sluice_buf_puts(&body, "{\"tables\":[");
    for (size_t i = 0; i < n; i++) {
        if (i) sluice_buf_putc(&body, ',');
        http_put_string(&body, names[i]);
    }
    sluice_buf_puts(&body, "]}");
    sluice_tables_names_free(names, n);
    return http_reply(conn, MHD_HTTP_OK, &body);
}

static enum MHD_Result get_table(struct sluice_http *h, struct MHD_Connection *conn, const char *name)
{
    static const char *const allowed[] = { "limit" };
    struct http_params p;
    enum MHD_Result answer;
    int64_t limit;
    if (!http_read_params(conn, "/tables/NAME", allowed, 1, &p, &answer) || !http_read_limit(conn, &p, 0, &limit, &answer))
        return answer;
    struct sluice_table_snapshot *snap = sluice_tables_get(h->tables, name);
    if (!snap) {
        struct sluice_buf list = { 0 };
        sluice_buf_puts(&list, "the tables are: ");
        size_t before = list.len;
        table_list(h, &list);
        enum MHD_Result r = http_not_found(conn, "no memory table '%s'", name,
                                      list.len > before ? list.data
                                                        : "no memory table exists yet: a memory sink makes one, "
                                                          "named by query_name");
        sluice_buf_free(&list);
        return r;
    }
    struct http_stream *s = sluice_xcalloc(1, sizeof *s);
    s->snap = snap;
    s->limit = limit;
    s->n = sluice_table_snapshot_batches(snap, &s->batches);
    return http_reply_rows(conn, s, sluice_table_snapshot_name(snap), NULL, sluice_table_snapshot_schema(snap));
}

static enum MHD_Result get_sql(struct sluice_http *h, struct MHD_Connection *conn)
{
    static const char *const allowed[] = { "q", "limit" };
    struct http_params p;
    enum MHD_Result answer;
    int64_t limit;
    if (!http_read_params(conn, "/sql", allowed, 2, &p, &answer) || !http_read_limit(conn, &p, 1, &limit, &answer))
        return answer;
    const char *q = p.value[0];
    struct sluice_error err = { 0 };
    if (!q || !*q) {
        sluice_error_set(&err, SLUICE_ECONFIG, "no statement: pass one as /sql?q=SELECT...");
        return http_reply_error(conn, MHD_HTTP_BAD_REQUEST, &err);
    }
    struct sluice_sql_result *res;
    int rc = sluice_sql_run(q, h->tables, &h->catalog, limit, h->query_memory_limit, &res, &err);
    if (rc) {
        /* A statement too big for the memory bound fails alone: 507, as the
         * server cannot hold what answering it needs. */
        unsigned status = rc == SLUICE_ECONFIG  ? MHD_HTTP_BAD_REQUEST
                          : rc == SLUICE_ENOMEM ? MHD_HTTP_INSUFFICIENT_STORAGE
                                                : MHD_HTTP_INTERNAL_SERVER_ERROR;
        return http_reply_error(conn, status, &err);
    }
    /* The table it read, for the "name" of the answer. */
    struct sluice_sql *parsed;
    char *table = NULL;
    if (sluice_sql_parse(q, &parsed, NULL) == SLUICE_OK) {
        table = sluice_xstrdup(sluice_sql_table(parsed));
        sluice_sql_free(parsed);
    }
    struct http_stream *s = sluice_xcalloc(1, sizeof *s);
    s->res = res;
    s->limit = -1;
    s->batches = sluice_xcalloc(1, sizeof *s->batches);
    s->batches[0] = &res->batch;
    s->n = 1;
    enum MHD_Result r = http_reply_rows(conn, s, table ? table : "", q, &res->schema);
    free(table);
    return r;
}

static enum MHD_Result get_progress(struct sluice_http *h, struct MHD_Connection *conn)
{
    struct http_params p;
    enum MHD_Result answer;
    if (!http_read_params(conn, "/progress", NULL, 0, &p, &answer)) return answer;
    struct sluice_buf body = { 0 };
    if (h->progress) sluice_progress_json(h->progress, &body);
    else sluice_buf_puts(&body, "[]");
    return http_reply(conn, MHD_HTTP_OK, &body);
}

static enum MHD_Result get_metrics(struct sluice_http *h, struct MHD_Connection *conn)
{
    struct http_params p;
    enum MHD_Result answer;
    if (!http_read_params(conn, "/metrics", NULL, 0, &p, &answer)) return answer;
    struct sluice_buf body = { 0 };
    sluice_buf_puts(&body, "");
    pthread_rwlock_rdlock(&h->graph_lock);
    if (h->graph) sluice_metrics_format(h->graph, &body);
    pthread_rwlock_unlock(&h->graph_lock);
    return http_reply_as(conn, MHD_HTTP_OK, &body, "text/plain; version=0.0.4; charset=utf-8");
}

static enum MHD_Result get_plan(struct sluice_http *h, struct MHD_Connection *conn)
{
    struct http_params p;
    enum MHD_Result answer;
    if (!http_read_params(conn, "/plan", NULL, 0, &p, &answer)) return answer;
    struct sluice_buf body = { 0 };
    pthread_rwlock_rdlock(&h->graph_lock);
    if (h->graph) sluice_graph_describe_json(h->graph, &body);
    else sluice_buf_puts(&body, "{\"stages\":[]}");
    pthread_rwlock_unlock(&h->graph_lock);
    return http_reply(conn, MHD_HTTP_OK, &body);
}

/* The live page's files, from the binary itself. */
static enum MHD_Result get_asset(struct MHD_Connection *conn, const struct sluice_web_asset *a)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
    /* A new binary may serve a new page: browsers ask again each time. */
    if (r) MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
    return http_queue_as(conn, MHD_HTTP_OK, r, a->type);
}

/* The client is this machine: 127.0.0.0/8, ::1 or ::ffff:127.x.y.z. */
static bool from_loopback(struct MHD_Connection *conn)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (!ci || !ci->client_addr) return false;
    if (ci->client_addr->sa_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ci->client_addr;
        return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
    }
    if (ci->client_addr->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr;
        return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
    }
    return false;
}

/* POST /reload: re-read the config (reload.h). Only from this machine: the
 * server may listen on every address for readers. */
static enum MHD_Result post_reload(struct sluice_http *h, struct MHD_Connection *conn)
{
    struct sluice_error err = { 0 };
    if (!from_loopback(conn)) {
        sluice_error_set(&err, SLUICE_ECONFIG, "POST /reload is served to this machine only");
        sluice_error_hint(&err, "send it from the pipeline's host (127.0.0.1), or send the process SIGHUP");
        return http_reply_error(conn, MHD_HTTP_FORBIDDEN, &err);
    }
    if (!h->reload) {
        sluice_error_set(&err, SLUICE_ECONFIG, "this server cannot reload a pipeline");
        return http_reply_error(conn, MHD_HTTP_NOT_FOUND, &err);
    }
    int rc = sluice_reload_request(h->reload, &err);
    if (rc) {
        struct sluice_buf text = { 0 };
        sluice_error_format(&err, &text);
        sluice_log(SLUICE_LOG_WARN, NULL, "POST /reload: %s", text.data);
        sluice_buf_free(&text);
        return http_reply_error(conn, rc == SLUICE_ECONFIG ? MHD_HTTP_CONFLICT : MHD_HTTP_INTERNAL_SERVER_ERROR, &err);
    }
    sluice_log_notice(NULL, "reload accepted (POST /reload): the new config applies from the next batch");
    struct sluice_buf body = { 0 };
    sluice_buf_puts(&body, "{\"reload\":\"accepted\",\"message\":\"the new config applies from the next batch\"}");
    return http_reply(conn, MHD_HTTP_ACCEPTED, &body);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    static int post_seen;
    struct sluice_http *h = cls;
    if (strcmp(method, MHD_HTTP_METHOD_POST) == 0 && strcmp(url, "/reload") == 0) {
        /* libmicrohttpd calls for the headers, for each piece of the body
         * (which /reload ignores), then once more to answer. */
        if (!*con_cls) {
            *con_cls = &post_seen;
            return MHD_YES;
        }
        if (*upload_size) {
            *upload_size = 0;
            return MHD_YES;
        }
        return post_reload(h, conn);
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
        struct sluice_error err = { 0 };
        sluice_error_set(&err, SLUICE_ECONFIG, "method %s is not served: only GET, and POST /reload", method);
        return http_reply_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, &err);
    }
    if (strcmp(url, "/reload") == 0) {
        struct sluice_error err = { 0 };
        sluice_error_set(&err, SLUICE_ECONFIG, "/reload takes POST: curl -X POST http://HOST/reload");
        return http_reply_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED, &err);
    }
    if (strcmp(url, "/tables") == 0 || strcmp(url, "/tables/") == 0) return get_tables(h, conn);
    if (strncmp(url, "/tables/", 8) == 0) return get_table(h, conn, url + 8);
    if (strcmp(url, "/sql") == 0) return get_sql(h, conn);
    if (strcmp(url, "/progress") == 0) return get_progress(h, conn);
    if (strcmp(url, "/metrics") == 0) return get_metrics(h, conn);
    if (strcmp(url, "/plan") == 0) return get_plan(h, conn);
    const struct sluice_web_asset *asset = sluice_web_asset_find(url);
    if (asset) return get_asset(conn, asset);
    return http_not_found(conn, "no endpoint '%s'", url,
                     "GET / (the live page), /tables, /tables/NAME, /sql?q=SELECT..., /progress, /metrics, /plan");
}

/* ---- starting and stopping -------------------------------------------------------- */

/* Caller holds log_lock. */
static void log_suppressed(struct sluice_http *h)
{
    if (!h->log_suppressed) return;
    sluice_log(SLUICE_LOG_WARN, NULL, "http: %ld more messages like these were left out", h->log_suppressed);
    h->log_suppressed = 0;
}

/* libmicrohttpd logs once per refused or dropped connection: a flood of
 * clients would be a flood of lines, so a few per window get through. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    struct sluice_http *h = cls;
    char line[512];
    vsnprintf(line, sizeof line, fmt, ap);
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
    int64_t now = sluice_monotonic_us();
    pthread_mutex_lock(&h->log_lock);
    if (now - h->log_window_start >= HTTP_LOG_WINDOW_US) {
        log_suppressed(h);
        h->log_window_start = now;
        h->log_count = 0;
    }
    if (h->log_count < HTTP_LOG_BURST) {
        h->log_count++;
        sluice_log(SLUICE_LOG_WARN, NULL, "http: %s", line);
    } else {
        h->log_suppressed++;
    }
    pthread_mutex_unlock(&h->log_lock);
}

static int listen_on(const char *addr, int *fd_out, int *port_out, struct sluice_error *err)
{
    char host[256], port[8];
    int rc = sluice_netaddr_check(addr, err);
    if (rc) return rc;
    sluice_netaddr_split(addr, host, sizeof host, port, sizeof port);
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
    struct addrinfo *ai;
    int gai = getaddrinfo(host, port, &hints, &ai);
    if (gai) return sluice_error_set(err, SLUICE_ECONFIG, "cannot resolve '%s' in \"%s\": %s", host, addr, gai_strerror(gai));
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    int one = 1;
    /* A deep backlog: a burst of connections must not make a real client's
     * SYN wait for a retransmit. */
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, SOMAXCONN) != 0) {
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

/* HTTP_MAX_CONNECTIONS, or a quarter of the descriptors the process may
 * open when that is less: the pipeline's files come first. */
static unsigned connection_limit(void)
{
    struct rlimit rl;
    unsigned limit = HTTP_MAX_CONNECTIONS;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur / 4 < limit)
        limit = rl.rlim_cur / 4 > 8 ? (unsigned)(rl.rlim_cur / 4) : 8;
    return limit;
}

int sluice_http_start(const struct sluice_http_opts *opts, struct sluice_http **out, struct sluice_error *err)
{
    *out = NULL;
    int fd, port;
    int rc = listen_on(opts->addr, &fd, &port, err);
    if (rc) return rc;
    struct sluice_http *h = sluice_xcalloc(1, sizeof *h);
    h->tables = opts->tables;
    h->progress = opts->progress;
    h->graph = opts->graph;
    h->reload = opts->reload;
    pthread_rwlock_init(&h->graph_lock, NULL);
    h->query_memory_limit = opts->query_memory_limit > 0 ? opts->query_memory_limit : SLUICE_QUERY_MEMORY_DEFAULT;
    h->port = port;
    snprintf(h->addr, sizeof h->addr, "%s", opts->addr);
    pthread_mutex_init(&h->log_lock, NULL);
    h->log_window_start = sluice_monotonic_us();
    h->registry = sluice_registry_new(opts->plugin_path, opts->n_plugin_path);
    sluice_sql_registry_catalog(h->registry, &h->catalog);
    /* MHD_USE_AUTO: epoll on Linux, poll elsewhere; never select(). */
    h->daemon = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, h,
                                 MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
                                 MHD_OPTION_LISTEN_SOCKET, fd,
                                 MHD_OPTION_CONNECTION_LIMIT, connection_limit(),
                                 MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HTTP_MAX_PER_ADDRESS,
                                 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_SECONDS,
                                 MHD_OPTION_END);
    if (!h->daemon) {
        close(fd);
        sluice_registry_free(h->registry);
        pthread_mutex_destroy(&h->log_lock);
        pthread_rwlock_destroy(&h->graph_lock);
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
    pthread_mutex_lock(&h->log_lock);
    log_suppressed(h);
    pthread_mutex_unlock(&h->log_lock);
    pthread_mutex_destroy(&h->log_lock);
    pthread_rwlock_destroy(&h->graph_lock);
    sluice_registry_free(h->registry);
    free(h);
}

void sluice_http_set_graph(struct sluice_http *h, const struct sluice_graph *g)
{
    if (!h) return;
    pthread_rwlock_wrlock(&h->graph_lock);
    h->graph = g;
    pthread_rwlock_unlock(&h->graph_lock);
}

int sluice_http_start_graph(const struct sluice_graph *g, struct sluice_reload *reload, struct sluice_http **out,
                            struct sluice_error *err)
{
    *out = NULL;
    if (!g->runtime.http) return SLUICE_OK;
    struct sluice_http_opts opts = { .addr = g->runtime.http, .tables = g->tables, .progress = g->progress,
                                     .reload = reload, .plugin_path = g->runtime.plugin_path, .n_plugin_path = g->runtime.n_plugin_path,
                                     .query_memory_limit = g->runtime.query_memory_limit };
    int rc = sluice_http_start(&opts, out, err);
    if (rc) {
        sluice_error_locate(err, &g->runtime.http_where);
        return rc;
    }
    char host[256], port[8];
    sluice_netaddr_split(g->runtime.http, host, sizeof host, port, sizeof port);
    sluice_log_notice(NULL, "serving memory tables and progress on http://%s%s%s:%d", strchr(host, ':') ? "[" : "",
                      host, strchr(host, ':') ? "]" : "", sluice_http_port(*out));
    return SLUICE_OK;
}
