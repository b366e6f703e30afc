/* foreach: run a command once per micro-batch, as Spark's foreachBatch
 * runs a function, with the batch's rows as JSON lines on its stdin.
 *
 *   { name = "out"; input = "by_lang"; sink = "foreach"; output_mode = "update";
 *     command = "jq -c . >> counts.jsonl"; retries = 2; }
 *
 * The command runs as `/bin/sh -c COMMAND` with SLUICE_BATCH_ID set to the
 * micro-batch id, its stdout shared with sluice's and its stderr captured.
 * It runs for every micro-batch, even one without rows (Spark calls
 * foreachBatch for every batch it runs). Exit status 0 accepts the batch;
 * anything else is retried up to `retries` times, then fails the batch
 * (and the run) with the status and the tail of the command's stderr.
 *
 * Delivery is at least once: a batch replayed after a crash runs the
 * command again with the same SLUICE_BATCH_ID, which a command can use to
 * skip work it already did, as Spark's docs advise for foreachBatch.
 *
 * The batch's rows are kept (moved, not copied) until end(), so a retry
 * feeds the command the same lines; they are rendered a chunk at a time
 * while the command reads, never all at once. */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sluice/plugin.h>

extern char **environ;

/* ---- configuration ---- */

struct foreach_conf {
    const char *command;
    int64_t retries;
};

/* ---- the option table ---- */

static const struct sluice_option foreach_options[] = {
    { .name = "command", .type = SLUICE_OPT_STRING, .flags = SLUICE_OPT_REQUIRED,
      .offset = offsetof(struct foreach_conf, command),
      .help = "shell command run per micro-batch: rows as JSON lines on stdin, SLUICE_BATCH_ID in its environment" },
    { .name = "retries", .type = SLUICE_OPT_LONG, .default_value = "0",
      .offset = offsetof(struct foreach_conf, retries),
      .help = "times a failing command is run again before the batch fails", .min = "0" },
    { 0 }
};

/* ---- state ---- */

/* Bytes of the command's stderr kept for messages: its last lines. */
#define TAIL_KEEP 2048
/* Rows are rendered into the pipe this much at a time. */
#define CHUNK 65536

struct foreach {
    const struct sluice_host *host;
    struct sluice_ctx *ctx;
    const char *command;
    int64_t retries;
    int64_t batch_id;
    struct sluice_batch *batches; /* the micro-batch's rows, moved in */
    size_t n_batches, cap;
};

struct attempt {
    int status;              /* from waitpid */
    char tail[TAIL_KEEP + 1]; /* the end of its stderr */
    size_t tail_len;
};

static void drop_batches(struct foreach *f)
{
    for (size_t i = 0; i < f->n_batches; i++) sluice_batch_release(&f->batches[i]);
    f->n_batches = 0;
}

/* ---- running the command ---- */

static void keep_tail(struct attempt *a, const char *p, size_t n)
{
    if (n >= TAIL_KEEP) {
        memcpy(a->tail, p + n - TAIL_KEEP, TAIL_KEEP);
        a->tail_len = TAIL_KEEP;
    } else {
        size_t drop = a->tail_len + n > TAIL_KEEP ? a->tail_len + n - TAIL_KEEP : 0;
        memmove(a->tail, a->tail + drop, a->tail_len - drop);
        memcpy(a->tail + a->tail_len - drop, p, n);
        a->tail_len += n - drop;
    }
    a->tail[a->tail_len] = '\0';
}

/* The environment with SLUICE_BATCH_ID set; the array (not the strings but
 * the one we add) is the caller's to free. */
static char **make_env(int64_t batch_id, char *own, size_t own_size)
{
    size_t n = 0;
    while (environ[n]) n++;
    char **env = calloc(n + 2, sizeof *env);
    if (!env) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "SLUICE_BATCH_ID=", 16) != 0) env[k++] = environ[i];
    snprintf(own, own_size, "SLUICE_BATCH_ID=%lld", (long long)batch_id);
    env[k++] = own;
    env[k] = NULL;
    return env;
}

/* Where feeding the rows has got to. */
struct feed {
    size_t batch;
    int64_t row;
    struct sluice_buf buf;
    size_t sent;
};

/* Render the next rows into feed->buf; false when every row was rendered. */
static bool refill(struct foreach *f, struct feed *fd)
{
    sluice_buf_clear(&fd->buf);
    fd->sent = 0;
    while (fd->batch < f->n_batches && fd->buf.len < CHUNK) {
        const struct sluice_batch *b = &f->batches[fd->batch];
        if (fd->row >= sluice_batch_rows(b)) {
            fd->batch++;
            fd->row = 0;
            continue;
        }
        f->host->render_row_json(b, fd->row++, &fd->buf);
        sluice_buf_putc(&fd->buf, '\n');
    }
    return fd->buf.len > 0;
}

/* Run the command once: feed the rows, collect stderr, wait. Fails only
 * when the command could not be started. */
static int run_once(struct foreach *f, struct attempt *a, struct sluice_error *err)
{
    memset(a, 0, sizeof *a);
    fflush(stdout); /* what sluice printed comes before what the command prints */
    int in[2], errp[2];
    if (pipe2(in, O_CLOEXEC) != 0) return f->host->error(err, SLUICE_EIO, "cannot make a pipe: %s", strerror(errno));
    if (pipe2(errp, O_CLOEXEC) != 0) {
        int e = errno;
        close(in[0]);
        close(in[1]);
        return f->host->error(err, SLUICE_EIO, "cannot make a pipe: %s", strerror(e));
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
    posix_spawn_file_actions_adddup2(&fa, errp[1], STDERR_FILENO);
    char own[48];
    char **env = make_env(f->batch_id, own, sizeof own);
    char *argv[] = { "/bin/sh", "-c", (char *)f->command, NULL };
    pid_t pid;
    int rc = env ? posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, env) : ENOMEM;
    posix_spawn_file_actions_destroy(&fa);
    free(env);
    close(in[0]);
    close(errp[1]);
    if (rc != 0) {
        close(in[1]);
        close(errp[0]);
        return f->host->error(err, SLUICE_EIO, "cannot run /bin/sh: %s", strerror(rc));
    }
    fcntl(in[1], F_SETFL, fcntl(in[1], F_GETFL) | O_NONBLOCK);

    /* A command that exits without reading all its input must not kill
     * sluice with SIGPIPE: block it here, and drop one raised by our writes. */
    sigset_t pipe_set, old;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old);

    struct feed fd = { 0 };
    int to_child = refill(f, &fd) ? in[1] : -1;
    if (to_child < 0) close(in[1]);
    int from_child = errp[0];
    char chunk[4096];
    while (to_child >= 0 || from_child >= 0) {
        struct pollfd p[2];
        nfds_t n = 0;
        if (to_child >= 0) p[n++] = (struct pollfd){ .fd = to_child, .events = POLLOUT };
        if (from_child >= 0) p[n++] = (struct pollfd){ .fd = from_child, .events = POLLIN };
        if (poll(p, n, -1) < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (nfds_t i = 0; i < n; i++) {
            if (p[i].fd == to_child && p[i].revents) {
                ssize_t w = write(to_child, fd.buf.data + fd.sent, fd.buf.len - fd.sent);
                if (w > 0) fd.sent += (size_t)w;
                bool done = w < 0 && errno != EAGAIN && errno != EINTR; /* EPIPE: it stopped reading */
                if (!done && fd.sent == fd.buf.len) done = !refill(f, &fd);
                if (done) {
                    close(to_child);
                    to_child = -1;
                }
            } else if (p[i].fd == from_child && p[i].revents) {
                ssize_t r = read(from_child, chunk, sizeof chunk);
                if (r > 0) {
                    keep_tail(a, chunk, (size_t)r);
                } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                    close(from_child);
                    from_child = -1;
                }
            }
        }
    }
    if (to_child >= 0) close(to_child);
    if (from_child >= 0) close(from_child);
    sluice_buf_free(&fd.buf);
    while (waitpid(pid, &a->status, 0) < 0 && errno == EINTR) {
    }
    sigset_t pending;
    if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE)) {
        struct timespec zero = { 0, 0 };
        sigtimedwait(&pipe_set, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return SLUICE_OK;
}

/* "exit status 3", "signal 9" */
static void describe(int status, char *out, size_t size)
{
    if (WIFEXITED(status)) snprintf(out, size, "exit status %d", WEXITSTATUS(status));
    else if (WIFSIGNALED(status)) snprintf(out, size, "signal %d", WTERMSIG(status));
    else snprintf(out, size, "wait status %d", status);
}

/* The end of the stderr tail on one line: lines joined by " | ", cut to
 * the last size - 1 bytes (at a character boundary), the end being what
 * a failing command says last. */
static void one_line(const struct attempt *a, char *out, size_t size)
{
    char joined[3 * TAIL_KEEP + 1];
    size_t n = 0;
    bool sep = false;
    for (size_t i = 0; i < a->tail_len; i++) {
        char c = a->tail[i];
        if (c == '\n' || c == '\r') {
            sep = n > 0;
            continue;
        }
        if (sep) {
            memcpy(joined + n, " | ", 3);
            n += 3;
            sep = false;
        }
        joined[n++] = (unsigned char)c < ' ' ? ' ' : c;
    }
    size_t from = n + 1 > size ? n + 1 - size : 0;
    while (from < n && ((unsigned char)joined[from] & 0xC0) == 0x80) from++;
    memcpy(out, joined + from, n - from);
    out[n - from] = '\0';
}

/* ---- callbacks ---- */

static int foreach_open(const struct sluice_host *host, const void *conf_ptr, struct sluice_ctx *ctx,
                        void **state, struct sluice_error *err)
{
    const struct foreach_conf *conf = conf_ptr;
    if (!conf->command[0]) return host->error(err, SLUICE_ECONFIG, "command is empty");
    host->use_all_columns(ctx);
    struct foreach *f = calloc(1, sizeof *f);
    if (!f) return host->error(err, SLUICE_ENOMEM, "out of memory");
    f->host = host;
    f->ctx = ctx;
    f->command = conf->command;
    f->retries = conf->retries;
    *state = f;
    return SLUICE_OK;
}

static void foreach_close(void *state)
{
    struct foreach *f = state;
    drop_batches(f);
    free(f->batches);
    free(f);
}

static int foreach_begin(void *state, int64_t batch_id, uint32_t mode, struct sluice_error *err)
{
    struct foreach *f = state;
    drop_batches(f); /* what a failed attempt at a batch left */
    f->batch_id = batch_id;
    return SLUICE_OK;
}

static int foreach_write(void *state, struct sluice_batch *batch, struct sluice_error *err)
{
    struct foreach *f = state;
    if (sluice_batch_rows(batch) == 0) {
        sluice_batch_release(batch);
        return SLUICE_OK;
    }
    if (f->n_batches == f->cap) {
        size_t cap = f->cap ? 2 * f->cap : 8;
        struct sluice_batch *p = realloc(f->batches, cap * sizeof *p);
        if (!p) {
            sluice_batch_release(batch);
            return f->host->error(err, SLUICE_ENOMEM, "out of memory");
        }
        f->batches = p;
        f->cap = cap;
    }
    sluice_batch_move(&f->batches[f->n_batches++], batch);
    return SLUICE_OK;
}

static int foreach_end(void *state, int64_t batch_id, struct sluice_error *err)
{
    struct foreach *f = state;
    struct attempt *a = malloc(sizeof *a);
    if (!a) return f->host->error(err, SLUICE_ENOMEM, "out of memory");
    char how[48], tail[400];
    int rc = SLUICE_OK;
    for (int64_t attempt = 0;; attempt++) {
        rc = run_once(f, a, err);
        if (rc) break;
        one_line(a, tail, sizeof tail);
        if (WIFEXITED(a->status) && WEXITSTATUS(a->status) == 0) {
            if (tail[0]) f->host->log(f->ctx, SLUICE_LOG_INFO, "batch %lld: command stderr: %s", (long long)batch_id, tail);
            break;
        }
        describe(a->status, how, sizeof how);
        if (attempt < f->retries) {
            f->host->log(f->ctx, SLUICE_LOG_WARN, "batch %lld: command failed with %s (attempt %lld of %lld), "
                         "retrying%s%s", (long long)batch_id, how, (long long)attempt + 1, (long long)f->retries + 1,
                         tail[0] ? ": " : "", tail);
            continue;
        }
        if (attempt)
            rc = f->host->error(err, SLUICE_EIO, "command failed with %s on batch %lld after %lld attempts%s%s", how,
                                (long long)batch_id, (long long)attempt + 1, tail[0] ? ": " : "", tail);
        else
            rc = f->host->error(err, SLUICE_EIO, "command failed with %s on batch %lld%s%s", how,
                                (long long)batch_id, tail[0] ? ": " : "", tail);
        f->host->error_hint(err, "it ran as /bin/sh -c '%s', the rows on its stdin", f->command);
        break;
    }
    free(a);
    drop_batches(f);
    return rc;
}

/* ---- the descriptor ---- */

SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void)
{
    static const struct sluice_plugin p = {
        .abi_version = SLUICE_ABI_VERSION,
        .size = sizeof(struct sluice_plugin),
        .kind = SLUICE_KIND_SINK,
        .name = "foreach",
        .summary = "run a shell command per micro-batch with its rows as JSON lines on stdin (foreachBatch)",
        .options = foreach_options,
        .conf_size = sizeof(struct foreach_conf),
        .modes = SLUICE_MODE_APPEND | SLUICE_MODE_UPDATE | SLUICE_MODE_COMPLETE,
        .open = foreach_open,
        .close = foreach_close,
        .begin = foreach_begin,
        .write = foreach_write,
        .end = foreach_end,
    };
    return &p;
}
