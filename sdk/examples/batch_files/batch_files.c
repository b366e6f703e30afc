/* batch_files: an example sink. Each micro-batch becomes one file of JSON
 * lines, <path>/batch-<id>.jsonl, one row per line:
 *
 *   { name = "out"; input = "stats"; sink = "batch_files"; path = "out";
 *     output_mode = "complete"; }
 *
 * What it shows an author: the sink protocol (begin, write zero or more
 * times, end), and how a sink makes a replayed batch harmless. After a
 * crash the core runs the last uncommitted batch again with the same id,
 * so end() writes the whole batch under its id, atomically (a temporary
 * file, fsync, rename, fsync of the directory): a replay replaces the file
 * the first try may have left, and a reader never sees half of one. With
 * output_mode = "complete" the newest file is the whole result.
 *
 * A file system that fails for a moment (EINTR, EAGAIN, ENOSPC on a quota
 * being raised) makes end() return SLUICE_EAGAIN: the core calls end()
 * again after a backoff (runtime.retry_limit times at most), and since the
 * rows are kept until end() succeeds, the retry writes them all. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sluice/plugin.h>

struct batch_files_conf {
    const char *path;
};

static const struct sluice_option batch_files_options[] = {
    { .name = "path", .type = SLUICE_OPT_STRING, .flags = SLUICE_OPT_REQUIRED,
      .offset = offsetof(struct batch_files_conf, path),
      .help = "directory the batch files are written to (made at the first batch if missing)" },
    { 0 }
};

struct batch_files {
    const struct sluice_host *host;
    const char *path;
    int64_t batch_id;
    struct sluice_buf rows; /* the batch's JSON lines, until end() wrote them */
};

static int batch_files_open(const struct sluice_host *host, const void *conf_ptr, struct sluice_ctx *ctx,
                            void **state, struct sluice_error *err)
{
    const struct batch_files_conf *conf = conf_ptr;
    /* Nothing is made here: `sluice check` opens sinks too. */
    struct batch_files *f = calloc(1, sizeof *f);
    if (!f) return host->error(err, SLUICE_ENOMEM, "out of memory");
    f->host = host;
    f->path = conf->path;
    host->use_all_columns(ctx); /* every column is written */
    *state = f;
    return SLUICE_OK;
}

static void batch_files_close(void *state)
{
    struct batch_files *f = state;
    sluice_buf_free(&f->rows);
    free(f);
}

static int batch_files_begin(void *state, int64_t batch_id, uint32_t mode, struct sluice_error *err)
{
    struct batch_files *f = state;
    f->batch_id = batch_id;
    sluice_buf_clear(&f->rows);
    if (mkdir(f->path, 0777) != 0 && errno != EEXIST)
        return f->host->option_error(err, SLUICE_EIO, "path", "cannot make directory '%s': %s", f->path,
                                     strerror(errno));
    return SLUICE_OK;
}

static int batch_files_write(void *state, struct sluice_batch *batch, struct sluice_error *err)
{
    struct batch_files *f = state;
    for (int64_t r = 0; r < sluice_batch_rows(batch); r++) {
        f->host->render_row_json(batch, r, &f->rows);
        sluice_buf_putc(&f->rows, '\n');
    }
    sluice_batch_release(batch); /* ours to release */
    return SLUICE_OK;
}

/* A failure that may pass: the core calls end() again. */
static int io_failed(const struct batch_files *f, const char *what, const char *file, struct sluice_error *err)
{
    int transient = errno == EINTR || errno == EAGAIN || errno == ENOSPC;
    return f->host->error(err, transient ? SLUICE_EAGAIN : SLUICE_EIO, "cannot %s '%s': %s", what, file,
                          strerror(errno));
}

static int batch_files_end(void *state, int64_t batch_id, struct sluice_error *err)
{
    struct batch_files *f = state;
    char tmp[4096], final[4096];
    snprintf(tmp, sizeof tmp, "%s/.batch-%lld.jsonl.tmp", f->path, (long long)batch_id);
    snprintf(final, sizeof final, "%s/batch-%lld.jsonl", f->path, (long long)batch_id);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) return io_failed(f, "create", tmp, err);
    for (size_t done = 0; done < f->rows.len;) {
        ssize_t n = write(fd, f->rows.data + done, f->rows.len - done);
        if (n < 0) {
            int rc = io_failed(f, "write", tmp, err);
            close(fd);
            return rc;
        }
        done += (size_t)n;
    }
    if (fsync(fd) != 0) {
        int rc = io_failed(f, "flush", tmp, err);
        close(fd);
        return rc;
    }
    close(fd);
    /* The rename replaces what a first try of a replayed batch wrote. */
    if (rename(tmp, final) != 0) return io_failed(f, "rename", tmp, err);
    int dir = open(f->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        fsync(dir);
        close(dir);
    }
    return SLUICE_OK;
}

SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void)
{
    static const struct sluice_plugin p = {
        .abi_version = SLUICE_ABI_VERSION,
        .size = sizeof(struct sluice_plugin),
        .kind = SLUICE_KIND_SINK,
        .name = "batch_files",
        .summary = "write each micro-batch as <path>/batch-<id>.jsonl, replacing it when a batch is replayed",
        .modes = SLUICE_MODE_APPEND | SLUICE_MODE_UPDATE | SLUICE_MODE_COMPLETE,
        .options = batch_files_options,
        .conf_size = sizeof(struct batch_files_conf),
        .open = batch_files_open,
        .close = batch_files_close,
        .begin = batch_files_begin,
        .write = batch_files_write,
        .end = batch_files_end,
    };
    return &p;
}
