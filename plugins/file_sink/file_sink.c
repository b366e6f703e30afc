/* file: Spark's file sink. Writes each micro-batch as part files in a
 * directory, plus a manifest per batch, so readers see only committed
 * batches and a replayed batch is never written twice.
 *
 *   { name = "out"; input = "windows"; sink = "file"; path = "out/windows";
 *     format = "csv"; header = true; }
 *
 * Layout of `path`:
 *   part-<batch>-<seq>.json|csv   one per write() of the batch (5-digit numbers)
 *   _sluice_manifest/<batch>      {"version":1,"batch_id":N,"format":"json",
 *                                  "files":[...],"rows":R}; "header" too for csv
 *   _sluice_manifest/schema       the rows' schema as Spark StructType JSON
 * A batch is committed once its manifest exists. Every file is written under
 * a temporary name starting with '.', fsynced and renamed; the directory is
 * fsynced before the manifest is renamed in and after, so a manifest never
 * names a file that a crash could lose.
 *
 * Replays (Spark's FileStreamSink and ManifestFileCommitProtocol): when
 * manifest N exists, batch N was committed and a replay of it is skipped
 * whole; otherwise part files left by an earlier attempt at N are deleted
 * before N is written again. Readers (`sluice cat`) read only the files a
 * manifest lists, so leftovers are never visible either way.
 *
 * The directory is created, and locked against a second writer (flock on
 * _sluice_manifest), at the first batch rather than in open(): `sluice
 * check` opens every plugin and must not leave directories behind. open()
 * still refuses what it can see is wrong: a path that is not a directory,
 * nested columns in CSV, and rows whose schema differs from what the
 * directory already holds. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sluice/plugin.h>

#include "file_sink_read.h"
#include "file_sink_text.h"

/* ---- configuration ---- */

struct file_sink_conf {
    const char *path;
    const char *format;
    bool header;
};

/* ---- the option table ---- */

static const struct sluice_option file_sink_options[] = {
    { .name = "path", .type = SLUICE_OPT_STRING, .flags = SLUICE_OPT_REQUIRED,
      .offset = offsetof(struct file_sink_conf, path),
      .help = "output directory, created at the first batch: part files and _sluice_manifest/; "
              "read it with `sluice cat`" },
    { .name = "format", .type = SLUICE_OPT_ENUM, .default_value = "json",
      .offset = offsetof(struct file_sink_conf, format),
      .help = "part file format: JSON lines or CSV (flat columns only)",
      .choices = "json|csv" },
    { .name = "header", .type = SLUICE_OPT_BOOL, .default_value = "false",
      .offset = offsetof(struct file_sink_conf, header),
      .help = "csv: start each part file with a line naming the columns (Spark's default: no header)" },
    { 0 }
};

/* ---- state ---- */

/* Rendered rows are written out in pieces of about this size, so memory
 * does not grow with the batch. */
#define FLUSH_AT (1u << 20)

struct file_sink {
    const struct sluice_host *host;
    const struct sluice_ctx *ctx;
    const char *path;
    const struct ArrowSchema *schema;
    const char *format; /* "json" or "csv", also the part files' extension */
    bool csv, header;
    int dir_fd;         /* `path`, once the first batch created it; else -1 */
    int man_fd;         /* `path`/_sluice_manifest, flock'ed while we write; else -1 */
    /* The current batch. */
    int64_t batch_id;
    bool in_batch;
    bool skip;          /* already committed: writes are dropped */
    int64_t seq;        /* part files written so far */
    int64_t rows;
    struct sluice_buf files; /* the manifest's "files" entries, comma-separated */
    struct sluice_buf out;   /* rendered rows, or a manifest, waiting to be written */
};

/* ---- small file helpers ---- */

static int oom(const struct file_sink *fs, struct sluice_error *err)
{
    return fs->host->error(err, SLUICE_ENOMEM, "out of memory");
}

static int io_error(const struct file_sink *fs, struct sluice_error *err, const char *what,
                    const char *sub, const char *name)
{
    return fs->host->error(err, SLUICE_EIO, "cannot %s '%s/%s%s%s': %s", what, fs->path, sub,
                           *sub ? "/" : "", name, strerror(errno));
}

/* Some file systems cannot fsync a directory (EINVAL): nothing more to do there. */
static int sync_dir(int fd)
{
    return fsync(fd) == 0 || errno == EINVAL ? 0 : -1;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* "part-00003-00001.json" or ".part-00003-00001.csv.tmp" (strictly: Spark's
 * own part-00000-<uuid>-c000.json never matches): the batch it belongs to.
 * Either format, since a rerun may have changed it. */
bool file_sink_part_name(const char *name, bool with_tmp, int64_t *batch)
{
    const char *p = name;
    bool tmp = *p == '.';
    if (tmp && !with_tmp) return false;
    if (tmp) p++;
    if (strncmp(p, "part-", 5) != 0) return false;
    p += 5;
    int64_t b = 0;
    const char *digits = p;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (b > (INT64_MAX - 9) / 10) return false;
        b = b * 10 + (*p - '0');
    }
    if (p - digits < 5 || *p++ != '-') return false;
    for (digits = p; *p >= '0' && *p <= '9'; p++) {}
    if (p - digits < 5 || *p++ != '.') return false;
    if (strncmp(p, "json", 4) == 0) p += 4;
    else if (strncmp(p, "csv", 3) == 0) p += 3;
    else return false;
    if (strcmp(p, tmp ? ".tmp" : "") != 0) return false;
    *batch = b;
    return true;
}

/* ---- open: refuse what is visibly wrong, touch nothing ---- */

/* Rows of another schema in the same directory would make it unreadable
 * as one table (cat decodes every batch with the stored schema). */
static int check_stored_schema(const struct file_sink *fs, struct sluice_error *err)
{
    struct sluice_buf at = { 0 };
    if (sluice_buf_printf(&at, "@%s/" FILE_SINK_MANIFEST_DIR "/" FILE_SINK_SCHEMA_FILE, fs->path)) return oom(fs, err);
    struct stat st;
    int rc = SLUICE_OK;
    if (stat(at.data + 1, &st) == 0) {
        struct ArrowSchema stored = { 0 };
        rc = fs->host->schema_parse(at.data, &stored, err);
        if (rc == SLUICE_OK) {
            if (!file_sink_schema_same(&stored, fs->schema)) {
                rc = fs->host->error(err, SLUICE_ECONFIG,
                                     "path '%s' holds rows of another schema (see %s)", fs->path,
                                     at.data + 1);
                fs->host->error_hint(err, "write to a new path, or remove '%s' to start over", fs->path);
            }
            stored.release(&stored);
        }
    } else if (errno != ENOENT) {
        rc = fs->host->error(err, SLUICE_ECONFIG, "cannot read '%s': %s", at.data + 1, strerror(errno));
    }
    sluice_buf_free(&at);
    return rc;
}

static void file_sink_close(void *state);

static int file_sink_open(const struct sluice_host *host, const void *conf_ptr, struct sluice_ctx *ctx,
                          void **state, struct sluice_error *err)
{
    const struct file_sink_conf *conf = conf_ptr;
    struct file_sink *fs = calloc(1, sizeof *fs);
    if (!fs) return host->error(err, SLUICE_ENOMEM, "out of memory");
    fs->host = host;
    fs->ctx = ctx;
    fs->path = conf->path;
    fs->schema = host->input_schema(ctx);
    fs->format = conf->format;
    fs->csv = strcmp(conf->format, "csv") == 0;
    fs->header = conf->header;
    fs->dir_fd = fs->man_fd = -1;
    host->use_all_columns(ctx);

    const char *key = "path";
    struct stat st;
    int rc = SLUICE_OK;
    if (!fs->path[0]) {
        rc = host->error(err, SLUICE_ECONFIG, "path must not be empty");
    } else if (stat(fs->path, &st) == 0) {
        if (!S_ISDIR(st.st_mode))
            rc = host->error(err, SLUICE_ECONFIG, "path '%s' exists and is not a directory", fs->path);
        else
            rc = check_stored_schema(fs, err);
    } else if (errno != ENOENT) {
        rc = host->error(err, SLUICE_ECONFIG, "cannot use path '%s': %s", fs->path, strerror(errno));
    }
    if (rc == SLUICE_OK && fs->csv) {
        key = "format";
        rc = file_sink_csv_check(host, fs->schema, err);
    }
    if (rc) {
        /* Let the core point at the option the error is about. */
        sluice_error_key(err, key, rc);
        file_sink_close(fs);
        return rc;
    }
    *state = fs;
    return SLUICE_OK;
}

static void file_sink_close(void *state)
{
    struct file_sink *fs = state;
    if (fs->man_fd >= 0) close(fs->man_fd); /* also drops the lock */
    if (fs->dir_fd >= 0) close(fs->dir_fd);
    sluice_buf_free(&fs->files);
    sluice_buf_free(&fs->out);
    free(fs);
}

/* ---- the first batch: directories, lock, schema ---- */

/* mkdir -p, fsyncing the parent of every directory it creates so the new
 * entry survives a crash. */
static int make_dirs(const struct file_sink *fs, struct sluice_error *err)
{
    char *p = strdup(fs->path);
    if (!p) return oom(fs, err);
    int rc = SLUICE_OK;
    for (char *s = p + 1;; s++) {
        if (*s != '/' && *s) continue;
        char c = *s;
        *s = '\0';
        if (mkdir(p, 0777) == 0) {
            char *slash = strrchr(p, '/');
            const char *parent = slash ? (slash == p ? "/" : p) : ".";
            if (slash && slash != p) *slash = '\0';
            int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (fd >= 0) {
                sync_dir(fd);
                close(fd);
            }
            if (slash && slash != p) *slash = '/';
        } else if (errno != EEXIST) {
            rc = fs->host->error(err, SLUICE_EIO, "cannot create directory '%s': %s", p, strerror(errno));
            break;
        }
        *s = c;
        if (!c) break;
    }
    free(p);
    return rc;
}

/* Write `data` to `name` in directory `dfd` (`sub` of the path, for
 * messages) atomically: a temporary '.' name, fsync, rename, fsync of the
 * directory. */
static int write_atomically(struct file_sink *fs, int dfd, const char *sub, const char *name,
                            const char *data, size_t len, struct sluice_error *err)
{
    char tmp[96];
    snprintf(tmp, sizeof tmp, ".%s.tmp", name);
    int fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) return io_error(fs, err, "create", sub, tmp);
    if (write_all(fd, data, len) != 0 || fsync(fd) != 0) {
        int rc = io_error(fs, err, "write", sub, tmp);
        close(fd);
        unlinkat(dfd, tmp, 0);
        return rc;
    }
    if (close(fd) != 0) {
        int rc = io_error(fs, err, "write", sub, tmp);
        unlinkat(dfd, tmp, 0);
        return rc;
    }
    if (renameat(dfd, tmp, dfd, name) != 0) {
        int rc = io_error(fs, err, "rename", sub, tmp);
        unlinkat(dfd, tmp, 0);
        return rc;
    }
    if (sync_dir(dfd) != 0) return io_error(fs, err, "sync", sub, "");
    return SLUICE_OK;
}

static int prepare_dir(struct file_sink *fs, struct sluice_error *err)
{
    int rc = make_dirs(fs, err);
    if (rc) return rc;
    fs->dir_fd = open(fs->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fs->dir_fd < 0)
        return fs->host->error(err, SLUICE_EIO, "cannot open directory '%s': %s", fs->path, strerror(errno));
    if (mkdirat(fs->dir_fd, FILE_SINK_MANIFEST_DIR, 0777) == 0) {
        if (sync_dir(fs->dir_fd) != 0) return io_error(fs, err, "sync", "", "");
    } else if (errno != EEXIST) {
        return io_error(fs, err, "create directory", "", FILE_SINK_MANIFEST_DIR);
    }
    fs->man_fd = openat(fs->dir_fd, FILE_SINK_MANIFEST_DIR, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fs->man_fd < 0) return io_error(fs, err, "open directory", "", FILE_SINK_MANIFEST_DIR);
    /* Two writers would reuse each other's batch ids and delete each other's files. */
    if (flock(fs->man_fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK) return io_error(fs, err, "lock", "", FILE_SINK_MANIFEST_DIR);
        rc = fs->host->error(err, SLUICE_EIO, "path '%s' is being written by another process", fs->path);
        fs->host->error_hint(err, "each query needs its own output path");
        return rc;
    }
    /* Checked at open, but another process may have written it since. */
    rc = check_stored_schema(fs, err);
    if (rc) return rc;
    struct stat st;
    if (fstatat(fs->man_fd, FILE_SINK_SCHEMA_FILE, &st, 0) == 0) return SLUICE_OK;
    sluice_buf_clear(&fs->out);
    if (file_sink_schema_json(fs->schema, &fs->out) || sluice_buf_putc(&fs->out, '\n')) return oom(fs, err);
    rc = write_atomically(fs, fs->man_fd, FILE_SINK_MANIFEST_DIR, FILE_SINK_SCHEMA_FILE, fs->out.data, fs->out.len, err);
    sluice_buf_clear(&fs->out);
    return rc;
}

/* ---- the batch ---- */

/* Part files an interrupted attempt at `batch` left behind. */
static int remove_leftovers(struct file_sink *fs, int64_t batch, struct sluice_error *err)
{
    int fd = dup(fs->dir_fd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d) {
        if (fd >= 0) close(fd);
        return io_error(fs, err, "list", "", "");
    }
    rewinddir(d); /* a dup shares the offset: start from the top each time */
    int64_t removed = 0, b;
    int rc = SLUICE_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (!file_sink_part_name(e->d_name, true, &b) || b != batch) continue;
        if (unlinkat(fs->dir_fd, e->d_name, 0) != 0 && errno != ENOENT) {
            rc = io_error(fs, err, "remove", "", e->d_name);
            break;
        }
        removed++;
    }
    closedir(d);
    if (removed)
        fs->host->log(fs->ctx, SLUICE_LOG_INFO,
                      "removed %lld part file%s of batch %lld left by an attempt that did not commit",
                      (long long)removed, removed == 1 ? "" : "s", (long long)batch);
    return rc;
}

static int file_sink_begin(void *state, int64_t batch_id, uint32_t mode,
                           struct sluice_error *err)
{
    struct file_sink *fs = state;
    if (fs->man_fd < 0) {
        int rc = prepare_dir(fs, err);
        if (rc) {
            /* Start over at the next batch, if the engine goes on. */
            if (fs->man_fd >= 0) close(fs->man_fd);
            if (fs->dir_fd >= 0) close(fs->dir_fd);
            fs->dir_fd = fs->man_fd = -1;
            return rc;
        }
    }
    fs->batch_id = batch_id;
    fs->in_batch = true;
    fs->seq = fs->rows = 0;
    sluice_buf_clear(&fs->files);

    char name[32];
    snprintf(name, sizeof name, "%lld", (long long)batch_id);
    struct stat st;
    fs->skip = fstatat(fs->man_fd, name, &st, 0) == 0;
    if (fs->skip) {
        fs->host->log(fs->ctx, SLUICE_LOG_INFO, "skipping already committed batch %lld", (long long)batch_id);
        return SLUICE_OK;
    }
    if (errno != ENOENT) return io_error(fs, err, "read", FILE_SINK_MANIFEST_DIR, name);
    return remove_leftovers(fs, batch_id, err);
}

/* One write() is one part file: rendered in pieces into a '.' name, fsynced, renamed. */
static int write_part(struct file_sink *fs, const struct sluice_batch *b, struct sluice_error *err)
{
    char name[64], tmp[72];
    snprintf(name, sizeof name, "part-%05lld-%05lld.%s", (long long)fs->batch_id, (long long)fs->seq,
             fs->format);
    snprintf(tmp, sizeof tmp, ".%s.tmp", name);
    int fd = openat(fs->dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) return io_error(fs, err, "create", "", tmp);

    int rc = SLUICE_OK;
    int64_t rows = sluice_batch_rows(b);
    sluice_buf_clear(&fs->out);
    if (fs->csv && fs->header && file_sink_csv_header(fs->schema, &fs->out)) rc = oom(fs, err);
    for (int64_t r = 0; r < rows && !rc; r++) {
        if (fs->csv) {
            if (file_sink_csv_row(fs->host, b, r, &fs->out)) rc = oom(fs, err);
        } else {
            fs->host->render_row_json(b, r, &fs->out);
            if (sluice_buf_putc(&fs->out, '\n')) rc = oom(fs, err);
        }
        if (!rc && (fs->out.len >= FLUSH_AT || r + 1 == rows)) {
            if (write_all(fd, fs->out.data, fs->out.len) != 0) rc = io_error(fs, err, "write", "", tmp);
            sluice_buf_clear(&fs->out);
        }
    }
    if (!rc && fsync(fd) != 0) rc = io_error(fs, err, "write", "", tmp);
    if (close(fd) != 0 && !rc) rc = io_error(fs, err, "write", "", tmp);
    if (!rc && renameat(fs->dir_fd, tmp, fs->dir_fd, name) != 0) rc = io_error(fs, err, "rename", "", tmp);
    if (rc) {
        unlinkat(fs->dir_fd, tmp, 0);
        return rc;
    }
    if (sluice_buf_printf(&fs->files, "%s\"%s\"", fs->seq ? "," : "", name)) return oom(fs, err);
    fs->seq++;
    fs->rows += rows;
    return SLUICE_OK;
}

static int file_sink_write(void *state, struct sluice_batch *batch, struct sluice_error *err)
{
    struct file_sink *fs = state;
    int rc = SLUICE_OK;
    if (!fs->in_batch)
        rc = fs->host->error(err, SLUICE_EINTERNAL, "file sink: write() outside a batch");
    /* An empty write would only make an empty file (Spark writes none either). */
    else if (!fs->skip && sluice_batch_rows(batch) > 0)
        rc = write_part(fs, batch, err);
    sluice_batch_release(batch);
    return rc;
}

static int file_sink_end(void *state, int64_t batch_id, struct sluice_error *err)
{
    struct file_sink *fs = state;
    if (!fs->in_batch || batch_id != fs->batch_id)
        return fs->host->error(err, SLUICE_EINTERNAL, "file sink: end(%lld) does not close batch %lld",
                               (long long)batch_id, (long long)fs->batch_id);
    fs->in_batch = false;
    if (fs->skip) return SLUICE_OK;
    /* The part files' renames must be durable before a manifest names them. */
    if (fs->seq && sync_dir(fs->dir_fd) != 0) return io_error(fs, err, "sync", "", "");

    char name[32];
    snprintf(name, sizeof name, "%lld", (long long)batch_id);
    sluice_buf_clear(&fs->out);
    int bad = sluice_buf_printf(&fs->out, "{\"version\":1,\"batch_id\":%lld,\"format\":\"%s\",",
                                (long long)batch_id, fs->format);
    if (fs->csv) bad |= sluice_buf_printf(&fs->out, "\"header\":%s,", fs->header ? "true" : "false");
    bad |= sluice_buf_printf(&fs->out, "\"files\":[%s],\"rows\":%lld}\n",
                             fs->files.data ? fs->files.data : "", (long long)fs->rows);
    if (bad) return oom(fs, err);
    int rc = write_atomically(fs, fs->man_fd, FILE_SINK_MANIFEST_DIR, name, fs->out.data, fs->out.len, err);
    sluice_buf_clear(&fs->out);
    if (rc == SLUICE_OK)
        fs->host->log(fs->ctx, SLUICE_LOG_DEBUG, "committed batch %lld: %lld files, %lld rows",
                      (long long)batch_id, (long long)fs->seq, (long long)fs->rows);
    return rc;
}

/* ---- the descriptor ---- */

SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void)
{
    static const struct sluice_plugin p = {
        .abi_version = SLUICE_ABI_VERSION,
        .size = sizeof(struct sluice_plugin),
        .kind = SLUICE_KIND_SINK,
        .name = "file",
        .summary = "write each micro-batch as JSON-lines or CSV part files with a manifest, "
                   "as Spark's file sink",
        .options = file_sink_options,
        .conf_size = sizeof(struct file_sink_conf),
        /* Spark's file sink appends only: complete and update are refused at load. */
        .modes = SLUICE_MODE_APPEND,
        .open = file_sink_open,
        .close = file_sink_close,
        .begin = file_sink_begin,
        .write = file_sink_write,
        .end = file_sink_end,
        .read_committed = file_sink_read_committed,
    };
    return &p;
}
