/* socket: Spark's socket source (TextSocketSourceProvider), for tutorials
 * and debugging: one row per line of text read from a TCP server.
 *
 *   { name = "lines"; source = "socket"; host = "127.0.0.1"; port = 9999; include_timestamp = true; }
 *
 * Columns: `value` (the line, without its line end) and, with
 * include_timestamp, `timestamp` (when the line arrived). The offset is the
 * number of the last line received (-1: none), counting from where the
 * committed offset of a checkpoint left off. A thread reads the socket into
 * memory; a batch takes the lines up to its offset and a commit forgets
 * them. Not replayable, as in Spark: lines live only in memory, so with a
 * checkpoint the source warns, and a batch replayed after a restart cannot
 * be read again (it comes out empty, with a warning). When the server
 * closes the connection, the lines received still go through, then the
 * source has no more data (a warning says the stream was closed). */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sluice/plugin.h>

struct socket_conf {
    const char *host;
    int64_t port;
    bool include_timestamp;
};

static const struct sluice_option socket_options[] = {
    { .name = "host", .type = SLUICE_OPT_STRING, .flags = SLUICE_OPT_REQUIRED,
      .offset = offsetof(struct socket_conf, host),
      .help = "server to connect to" },
    { .name = "port", .type = SLUICE_OPT_LONG, .flags = SLUICE_OPT_REQUIRED,
      .offset = offsetof(struct socket_conf, port),
      .help = "its TCP port", .min = "1", .max = "65535" },
    { .name = "include_timestamp", .type = SLUICE_OPT_BOOL, .default_value = "false",
      .offset = offsetof(struct socket_conf, include_timestamp),
      .help = "add a `timestamp` column: when each line arrived" },
    { 0 }
};

/* A line received and not yet committed. */
struct line {
    char *text;
    size_t len;
    int64_t at_us;
};

struct socket_source {
    const struct sluice_host *host;
    struct sluice_ctx *ctx;
    const struct socket_conf *conf;
    int fd;                /* the connection, -1 before it */
    int notify[2];         /* the reader thread writes a byte when lines arrive */
    pthread_t reader;
    bool reading;
    pthread_mutex_t lock;  /* guards what follows */
    struct line *lines;    /* lines first..first+n-1 */
    size_t n, cap;
    int64_t first;         /* number of lines[0] */
    bool closed;           /* the server closed the connection */
    char closed_why[128];
    /* The planned batch: lines [plan_lo, plan_hi) copied out. */
    struct line *plan;
    size_t n_plan;
    bool warned_replay;
};

/* ---- the reader thread ---- */

static void push_line(struct socket_source *s, const char *text, size_t len, int64_t at_us)
{
    if (len && text[len - 1] == '\r') len--; /* CRLF, as BufferedReader.readLine drops it */
    char *copy = malloc(len + 1);
    if (!copy) return;
    memcpy(copy, text, len);
    copy[len] = '\0';
    pthread_mutex_lock(&s->lock);
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        struct line *grown = realloc(s->lines, cap * sizeof *grown);
        if (!grown) {
            pthread_mutex_unlock(&s->lock);
            free(copy);
            return;
        }
        s->lines = grown;
        s->cap = cap;
    }
    s->lines[s->n++] = (struct line){ copy, len, at_us };
    pthread_mutex_unlock(&s->lock);
}

static void *read_socket(void *arg)
{
    struct socket_source *s = arg;
    size_t cap = 65536, have = 0;
    char *buf = malloc(cap);
    const char *why = "the server closed the connection";
    while (buf) {
        if (have == cap) {
            char *grown = realloc(buf, cap * 2);
            if (!grown) break;
            buf = grown;
            cap *= 2;
        }
        ssize_t got = recv(s->fd, buf + have, cap - have, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
            if (got < 0) why = strerror(errno);
            break;
        }
        int64_t now = s->host->now_us();
        size_t from = 0, end = have + (size_t)got;
        for (size_t i = have; i < end; i++) {
            if (buf[i] != '\n') continue;
            push_line(s, buf + from, i - from, now);
            from = i + 1;
        }
        memmove(buf, buf + from, end - from);
        have = end - from;
        ssize_t w = write(s->notify[1], "x", 1);
        (void)w; /* a full pipe: a wake-up is pending */
    }
    /* A last line without its line end is a line, as readLine returns it. */
    if (buf && have) push_line(s, buf, have, s->host->now_us());
    free(buf);
    pthread_mutex_lock(&s->lock);
    s->closed = true;
    snprintf(s->closed_why, sizeof s->closed_why, "%s", why);
    pthread_mutex_unlock(&s->lock);
    ssize_t w = write(s->notify[1], "x", 1);
    (void)w;
    return NULL;
}

/* ---- callbacks ---- */

static int socket_open(const struct sluice_host *host, const void *conf, struct sluice_ctx *ctx, void **state,
                       struct sluice_error *err)
{
    const struct socket_conf *c = conf;
    struct ArrowSchema schema;
    int rc = host->schema_parse(c->include_timestamp ? "value STRING, timestamp TIMESTAMP" : "value STRING", &schema,
                                err);
    if (!rc) rc = host->set_output_schema(ctx, &schema, err);
    if (rc) return rc;
    struct socket_source *s = calloc(1, sizeof *s);
    if (!s) return host->error(err, SLUICE_ENOMEM, "out of memory");
    s->host = host;
    s->ctx = ctx;
    s->conf = c;
    s->fd = -1;
    s->first = 0;
    if (pipe2(s->notify, O_NONBLOCK | O_CLOEXEC) != 0) s->notify[0] = s->notify[1] = -1;
    pthread_mutex_init(&s->lock, NULL);
    *state = s;
    return SLUICE_OK;
}

static void free_lines(struct line *lines, size_t n)
{
    for (size_t i = 0; i < n; i++) free(lines[i].text);
}

static void socket_close(void *state)
{
    struct socket_source *s = state;
    if (s->fd >= 0) shutdown(s->fd, SHUT_RDWR); /* ends the reader's recv */
    if (s->reading) pthread_join(s->reader, NULL);
    if (s->fd >= 0) close(s->fd);
    free_lines(s->lines, s->n);
    free(s->lines);
    free_lines(s->plan, s->n_plan);
    free(s->plan);
    if (s->notify[0] >= 0) close(s->notify[0]);
    if (s->notify[1] >= 0) close(s->notify[1]);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static int socket_prepare(void *state, const struct sluice_projection *projection, struct sluice_error *err)
{
    return SLUICE_OK; /* connecting waits for the run: `sluice check` calls prepare too */
}

static int connect_to(struct socket_source *s, struct sluice_error *err)
{
    const struct sluice_host *h = s->host;
    char port[8];
    snprintf(port, sizeof port, "%" PRId64, s->conf->port);
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res = NULL;
    int g = getaddrinfo(s->conf->host, port, &hints, &res);
    if (g) return h->error(err, SLUICE_EIO, "cannot resolve '%s': %s", s->conf->host, gai_strerror(g));
    int last = 0;
    for (struct addrinfo *a = res; a && s->fd < 0; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) s->fd = fd;
        else last = errno, close(fd);
    }
    freeaddrinfo(res);
    if (s->fd < 0)
        return h->error(err, SLUICE_EIO, "cannot connect to %s:%" PRId64 ": %s", s->conf->host, s->conf->port,
                        strerror(last));
    if (pthread_create(&s->reader, NULL, read_socket, s) != 0)
        return h->error(err, SLUICE_EIO, "cannot start the socket reader thread");
    s->reading = true;
    if (h->meta_enabled(s->ctx))
        h->log(s->ctx, SLUICE_LOG_WARN,
               "the socket source keeps its lines in memory only: a batch replayed after a restart cannot be "
               "read again (Spark's socket source does not support recovery either)");
    return SLUICE_OK;
}

static bool parse_offset(const char *json, int64_t *out)
{
    if (!json) {
        *out = -1;
        return true;
    }
    char *end;
    long long v = strtoll(json, &end, 10);
    *out = v;
    return end != json && *end == '\0' && v >= -1;
}

static int socket_latest_offset(void *state, const char *start, bool limited, struct sluice_buf *out,
                                struct sluice_error *err)
{
    struct socket_source *s = state;
    int64_t committed;
    if (!parse_offset(start, &committed))
        return s->host->error(err, SLUICE_EDATA, "not a socket source offset: '%s'", start);
    if (s->fd < 0) {
        /* A restart goes on numbering lines after the checkpoint's. */
        s->first = committed + 1;
        int rc = connect_to(s, err);
        if (rc) return rc;
    }
    pthread_mutex_lock(&s->lock);
    int64_t last = s->first + (int64_t)s->n - 1;
    bool closed = s->closed;
    char why[sizeof s->closed_why];
    memcpy(why, s->closed_why, sizeof why);
    s->closed = false; /* said once */
    pthread_mutex_unlock(&s->lock);
    if (closed)
        s->host->log(s->ctx, SLUICE_LOG_WARN, "stream closed by %s:%" PRId64 " (%s): no more lines will come",
                     s->conf->host, s->conf->port, why);
    if (last > committed) sluice_buf_printf(out, "%" PRId64, last);
    else if (start) sluice_buf_puts(out, start);
    return SLUICE_OK;
}

static int socket_plan_read(void *state, const char *start, const char *end, size_t *n_units,
                            struct sluice_error *err)
{
    struct socket_source *s = state;
    int64_t lo, hi;
    if (!parse_offset(start, &lo) || !parse_offset(end, &hi) || hi < lo)
        return s->host->error(err, SLUICE_EDATA, "not a socket source range: '%s' to '%s'", start ? start : "start",
                              end);
    free_lines(s->plan, s->n_plan);
    free(s->plan);
    s->plan = NULL;
    s->n_plan = 0;
    pthread_mutex_lock(&s->lock);
    int64_t from = lo + 1 > s->first ? lo + 1 : s->first, to = hi + 1;
    int64_t have_to = s->first + (int64_t)s->n;
    if (to > have_to) to = have_to;
    size_t n = to > from ? (size_t)(to - from) : 0;
    s->plan = n ? malloc(n * sizeof *s->plan) : NULL;
    for (size_t i = 0; s->plan && i < n; i++) {
        const struct line *l = &s->lines[(size_t)(from - s->first) + i];
        s->plan[i] = (struct line){ malloc(l->len + 1), l->len, l->at_us };
        if (s->plan[i].text) memcpy(s->plan[i].text, l->text, l->len + 1);
        s->n_plan++;
    }
    pthread_mutex_unlock(&s->lock);
    if ((int64_t)s->n_plan < hi - lo && !s->warned_replay) {
        s->host->log(s->ctx, SLUICE_LOG_WARN, "%" PRId64 " lines of this batch were received before a restart and are gone",
                     hi - lo - (int64_t)s->n_plan);
        s->warned_replay = true;
    }
    *n_units = s->n_plan ? 1 : 0;
    return SLUICE_OK;
}

static int socket_read(void *state, size_t unit, sluice_emit_fn emit, void *emit_arg, struct sluice_error *err)
{
    const struct socket_source *s = state;
    const struct sluice_host *h = s->host;
    struct sluice_builder *b = h->builder_new(h->output_schema(s->ctx));
    struct sluice_builder *value = h->builder_child(b, 0);
    struct sluice_builder *ts = s->conf->include_timestamp ? h->builder_child(b, 1) : NULL;
    for (size_t i = 0; i < s->n_plan; i++) {
        h->append_struct(b);
        h->append_string(value, s->plan[i].text ? s->plan[i].text : "", s->plan[i].len);
        if (ts) h->append_timestamp(ts, s->plan[i].at_us);
    }
    struct sluice_batch batch;
    h->builder_finish(b, &batch);
    h->builder_free(b);
    return emit(emit_arg, &batch, err);
}

static int socket_commit(void *state, const char *end, struct sluice_error *err)
{
    struct socket_source *s = state;
    int64_t hi;
    if (!parse_offset(end, &hi)) return s->host->error(err, SLUICE_EDATA, "not a socket source offset: '%s'", end);
    pthread_mutex_lock(&s->lock);
    size_t drop = hi + 1 > s->first ? (size_t)(hi + 1 - s->first) : 0;
    if (drop > s->n) drop = s->n;
    free_lines(s->lines, drop);
    memmove(s->lines, s->lines + drop, (s->n - drop) * sizeof *s->lines);
    s->n -= drop;
    s->first += (int64_t)drop;
    pthread_mutex_unlock(&s->lock);
    return SLUICE_OK;
}

/* Sleep until lines arrive, the stop is asked for, or the timeout. */
static int socket_wait(void *state, int64_t timeout_us, int wake_fd, struct sluice_error *err)
{
    const struct socket_source *s = state;
    struct pollfd pfd[2] = { { s->notify[0], POLLIN, 0 }, { wake_fd, POLLIN, 0 } };
    int r;
    while ((r = poll(pfd, 2, (int)(timeout_us / 1000))) < 0 && errno == EINTR) {
    }
    if (r > 0 && (pfd[0].revents & POLLIN)) {
        char drain[64];
        while (read(s->notify[0], drain, sizeof drain) > 0) {
        }
    }
    return SLUICE_OK;
}

SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void)
{
    static const struct sluice_plugin p = {
        .abi_version = SLUICE_ABI_VERSION,
        .size = sizeof(struct sluice_plugin),
        .kind = SLUICE_KIND_SOURCE,
        .name = "socket",
        .summary = "lines of text from a TCP server, as Spark's socket source (not replayable)",
        .options = socket_options,
        .conf_size = sizeof(struct socket_conf),
        .open = socket_open,
        .close = socket_close,
        .prepare = socket_prepare,
        .latest_offset = socket_latest_offset,
        .plan_read = socket_plan_read,
        .read = socket_read,
        .commit = socket_commit,
        .wait = socket_wait,
    };
    return &p;
}
