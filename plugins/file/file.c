/* file: Spark's file stream source. A directory of JSON-lines or CSV files;
 * files that appear are picked up on the next trigger.
 *
 *   { name = "tweets"; source = "file"; path = "data/stream_tweet"; format = "json";
 *     schema = "@configs/schemas/tweet.json"; max_files_per_trigger = 1; }
 *
 * The source keeps a log of the files it has seen, in the order it will read
 * them; an offset {"logOffset":N} means "the first N files of the log", so a
 * batch (start, end] is files [start, end) and replays to the same rows.
 * A file is expected to appear complete (written elsewhere and renamed in,
 * as Spark also assumes) and to stay until read; names starting with '.' or
 * '_' are skipped, so writers can use them meanwhile. For writers that
 * cannot rename, min_file_age holds a file back until it has stopped
 * changing; a planned file whose size changed when read is warned about.
 * Entries that cannot be read as files (a loop of symbolic links, a FIFO)
 * are skipped with a warning, once per run. A planned file that is gone
 * when read fails the batch, or is skipped with ignore_missing_files.
 *
 * Units: a batch's files are read as independent units, so `threads`
 * workers share them. A file larger than max_partition_bytes is cut into
 * units of about that size, as Hadoop's line reader splits (and Spark's
 * maxPartitionBytes sizes) them: a unit at byte range [begin, end) reads
 * the lines that start in it, so a line crossing a cut belongs to the unit
 * where it starts and every line is read exactly once. Only a unit's
 * bytes are known, not how many lines come before it, so line numbers are
 * worked out on the error path alone: a fail_fast error is decoded again
 * after counting the newlines before the failing piece (file_read.c).
 *
 * Checkpoint: the log lives in memory, and an offset means nothing without
 * it, so with runtime.checkpoint every file added to the log is stored in
 * the checkpoint (host->meta_put, as Spark's FileStreamSourceLog) before
 * latest_offset returns an offset that counts it; a restarted source
 * reloads the log from there, so the same offsets name the same files
 * even with latest_first or files that sort before ones already read.
 * Files are kept by directory and name, the directory as its real path,
 * so a changed `path` reads the new directory's files whatever their
 * names (file_log.c).
 *
 * Waiting: with a "0 seconds" trigger and nothing new, the core calls
 * wait(), which sleeps on inotify until a file is created, written or
 * renamed into the directory (polling every few milliseconds where inotify
 * is unavailable), so an idle stream costs no CPU yet sees a file at once;
 * a file held back by min_file_age ends the wait when it is old enough.
 *
 * Threads: latest_offset, plan_read, commit and wait run on the main thread
 * and own the log; read() runs on workers, concurrently, and reads only the
 * plan (immutable until the next plan_read) and the decoder pool, whose
 * lock is taken twice per unit, never per line. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file_source.h"

/* ---- the option table ---- */

static const struct sluice_option file_options[] = {
    { .name = "path", .type = SLUICE_OPT_STRING, .flags = SLUICE_OPT_REQUIRED,
      .offset = offsetof(struct file_conf, path),
      .help = "directory to watch for new files" },
    { .name = "format", .type = SLUICE_OPT_ENUM, .default_value = "json",
      .offset = offsetof(struct file_conf, format),
      .help = "file format: JSON lines or CSV",
      .choices = "json|csv" },
    { .name = "schema", .type = SLUICE_OPT_SCHEMA, .flags = SLUICE_OPT_REQUIRED,
      .offset = offsetof(struct file_conf, schema),
      .help = "schema of the rows: Spark StructType JSON, DDL, or @file (streams need one, as in Spark)" },
    { .name = "max_files_per_trigger", .type = SLUICE_OPT_LONG, .default_value = "0",
      .offset = offsetof(struct file_conf, max_files_per_trigger),
      .help = "most new files read per micro-batch (0: no limit)", .min = "0" },
    { .name = "latest_first", .type = SLUICE_OPT_BOOL, .default_value = "false",
      .offset = offsetof(struct file_conf, latest_first),
      .help = "read the newest new files first (useful with max_files_per_trigger)" },
    { .name = "mode", .type = SLUICE_OPT_ENUM, .default_value = "permissive",
      .offset = offsetof(struct file_conf, mode),
      .help = "malformed lines: a row of nulls, dropped, or an error",
      .choices = "permissive|drop_malformed|fail_fast" },
    { .name = "column_name_of_corrupt_record", .type = SLUICE_OPT_STRING, .default_value = "_corrupt_record",
      .offset = offsetof(struct file_conf, column_name_of_corrupt_record),
      .help = "string column that keeps malformed lines in permissive mode, if the schema has it" },
    { .name = "header", .type = SLUICE_OPT_BOOL, .default_value = "false",
      .offset = offsetof(struct file_conf, header),
      .help = "csv: the first line of each file names the columns" },
    { .name = "sep", .type = SLUICE_OPT_STRING, .default_value = ",",
      .offset = offsetof(struct file_conf, sep),
      .help = "csv: the field separator (one character)" },
    { .name = "max_partition_bytes", .type = SLUICE_OPT_LONG, .default_value = "8388608",
      .offset = offsetof(struct file_conf, max_partition_bytes),
      .help = "files larger than this are read as several units of about this size, cut at line "
              "boundaries, so one big file uses every thread (0: one unit per file)",
      .min = "0" },
    { .name = "ignore_missing_files", .type = SLUICE_OPT_BOOL, .default_value = "false",
      .offset = offsetof(struct file_conf, ignore_missing_files),
      .help = "a planned file gone (or unreadable) when read is skipped with a warning instead of failing "
              "the batch and every restart (Spark's ignoreMissingFiles)" },
    { .name = "min_file_age", .type = SLUICE_OPT_DURATION, .default_value = "0 seconds",
      .offset = offsetof(struct file_conf, min_file_age),
      .help = "read a file only once its size and modification time have not changed for this long, "
              "for writers that write in place instead of renaming a finished file in (0: off)" },
    { 0 }
};

/* How often wait() looks at the directory when inotify is unavailable. */
#define POLL_FALLBACK_US 10000

/* ---- offsets ---- */

static int parse_offset(const struct file_source *fs, const char *text, size_t *out,
                        struct sluice_error *err)
{
    *out = 0;
    if (!text) return SLUICE_OK;
    int64_t v;
    if (!sluice_offset_get_long(text, "logOffset", &v) || v < 0)
        return fs->host->error(err, SLUICE_ECONFIG, "'%s' is not a file source offset", text);
    *out = (size_t)v;
    return SLUICE_OK;
}

static int put_offset(const struct file_source *fs, size_t n, struct sluice_buf *out,
                      struct sluice_error *err)
{
    if (sluice_offset_write_long(out, "logOffset", (int64_t)n))
        return fs->host->error(err, SLUICE_ENOMEM, "out of memory");
    return SLUICE_OK;
}

/* ---- callbacks ---- */

static void file_close(void *state);

static int file_open(const struct sluice_host *host, const void *conf_ptr, struct sluice_ctx *ctx,
                     void **state, struct sluice_error *err)
{
    const struct file_conf *conf = conf_ptr;
    if (!conf->sep || strlen(conf->sep) != 1)
        return host->error(err, SLUICE_ECONFIG, "sep must be one character, got '%s'",
                           conf->sep ? conf->sep : "");
    if (!conf->path || !conf->path[0])
        return host->error(err, SLUICE_ECONFIG, "path must name a directory");
    if (sluice_type_of(conf->schema) != SLUICE_TYPE_STRUCT)
        return host->error(err, SLUICE_ECONFIG, "schema must be a struct of columns");
    /* Spark: "The field for corrupt records must be string type and nullable". */
    const char *corrupt = conf->column_name_of_corrupt_record;
    for (int64_t i = 0; corrupt && i < conf->schema->n_children; i++) {
        const struct ArrowSchema *c = conf->schema->children[i];
        if (c->name && strcmp(c->name, corrupt) == 0 && sluice_type_of(c) != SLUICE_TYPE_STRING)
            return host->error(err, SLUICE_ECONFIG,
                               "column '%s' keeps corrupt records, so it must be a string, not a %s",
                               corrupt, sluice_type_name(sluice_type_of(c)));
    }
    DIR *d = opendir(conf->path);
    if (!d)
        return host->error(err, SLUICE_ECONFIG, "path '%s' is not a readable directory: %s",
                           conf->path, strerror(errno));
    closedir(d);
    /* The checkpoint names files by the directory's real path: "in",
     * "./in/" and "/abs/in" are one directory, and another is another. */
    char *abs_dir = realpath(conf->path, NULL);
    if (!abs_dir)
        return host->error(err, SLUICE_ECONFIG, "path '%s' is not a readable directory: %s", conf->path,
                           strerror(errno));

    struct file_source *fs = calloc(1, sizeof *fs);
    if (!fs) {
        free(abs_dir);
        return host->error(err, SLUICE_ENOMEM, "out of memory");
    }
    fs->host = host;
    fs->conf = conf;
    fs->ctx = ctx;
    fs->abs_dir = abs_dir;
    fs->young_ready_us = INT64_MAX;
    fs->dir_len = strlen(conf->path);
    while (fs->dir_len > 1 && conf->path[fs->dir_len - 1] == '/') fs->dir_len--;
    fs->mode = strcmp(conf->mode, "fail_fast") == 0        ? SLUICE_PARSE_FAIL_FAST
               : strcmp(conf->mode, "drop_malformed") == 0 ? SLUICE_PARSE_DROP_MALFORMED
                                                           : SLUICE_PARSE_PERMISSIVE;
    fs->inotify_fd = -1;
    pthread_mutex_init(&fs->pool_lock, NULL);

    struct ArrowSchema out;
    host->schema_copy(conf->schema, &out);
    int rc = host->set_output_schema(ctx, &out, err);
    if (rc) {
        file_close(fs);
        return rc;
    }
    *state = fs;
    return SLUICE_OK;
}

static void file_close(void *state)
{
    struct file_source *fs = state;
    int64_t skipped = atomic_load(&fs->skipped_files);
    if (skipped)
        fs->host->log(fs->ctx, SLUICE_LOG_WARN, "%lld planned file%s could not be read and %s skipped "
                      "(ignore_missing_files)", (long long)skipped, skipped == 1 ? "" : "s",
                      skipped == 1 ? "was" : "were");
    file_pool_free(fs);
    pthread_mutex_destroy(&fs->pool_lock);
    if (fs->inotify_fd >= 0) close(fs->inotify_fd);
    file_log_free(fs);
    free(fs->abs_dir);
    free(fs->plan);
    for (size_t i = 0; i < fs->projection.n_paths; i++) free(fs->projection_paths[i]);
    free(fs->projection_paths);
    free(fs);
}

static int file_prepare(void *state, const struct sluice_projection *projection,
                        struct sluice_error *err)
{
    struct file_source *fs = state;
    const struct sluice_projection all = { true, 0, NULL };
    if (!projection) projection = &all;
    fs->projection.all = projection->all;
    if (!projection->all && projection->n_paths) {
        fs->projection_paths = calloc(projection->n_paths, sizeof *fs->projection_paths);
        if (!fs->projection_paths) return fs->host->error(err, SLUICE_ENOMEM, "out of memory");
        for (size_t i = 0; i < projection->n_paths; i++) {
            fs->projection_paths[i] = strdup(projection->paths[i]);
            if (!fs->projection_paths[i]) return fs->host->error(err, SLUICE_ENOMEM, "out of memory");
            fs->projection.n_paths = i + 1;
        }
    }
    fs->projection.paths = (const char *const *)fs->projection_paths;

    const struct file_conf *conf = fs->conf;
    fs->decode_opts = (struct sluice_decode_opts){
        .size = sizeof(struct sluice_decode_opts),
        .format = conf->format,
        .schema = fs->host->output_schema(fs->ctx),
        .projection = &fs->projection,
        .mode = fs->mode,
        .corrupt_column = conf->column_name_of_corrupt_record,
        .csv_header = conf->header,
        .csv_delimiter = conf->sep[0],
        .stats_size = sizeof(struct sluice_decode_stats),
    };
    /* Make one decoder now, so bad decode options fail before the first batch. */
    struct sluice_decoder *d;
    int rc = fs->host->decoder_new(&fs->decode_opts, &d, err);
    if (rc) return rc;
    fs->pool[fs->pool_n++] = d;
    return SLUICE_OK;
}

static int file_latest_offset(void *state, const char *start, bool limited, struct sluice_buf *out,
                              struct sluice_error *err)
{
    struct file_source *fs = state;
    size_t from;
    int rc = parse_offset(fs, start, &from, err);
    if (!rc) rc = file_log_load(fs, err);
    if (rc) return rc;
    size_t max = limited && fs->conf->max_files_per_trigger > 0
                     ? (size_t)fs->conf->max_files_per_trigger : 0;
    if (from > fs->log.n && file_log_checkpointed(fs))
        return fs->host->error(err, SLUICE_EDATA, "offset %zu is past the %zu files of the checkpointed log of '%s'",
                               from, fs->log.n, fs->conf->path);
    /* A start past the log without a checkpoint of it: rebuild the log,
     * which lives in memory, from the directory. */
    if (from > fs->log.n && (rc = file_log_scan(fs, 0, err))) return rc;
    size_t queued = fs->log.n > from ? fs->log.n - from : 0;
    /* latest_first only adds what this trigger will take; in name order the
     * whole listing is queued, so later triggers need not list again to
     * know their files (Spark caches the unselected files the same way). */
    if (fs->conf->latest_first && max) {
        if (queued < max) rc = file_log_scan(fs, max - queued, err);
    } else if (!max || queued < max) {
        rc = file_log_scan(fs, 0, err);
    }
    if (!rc) rc = file_log_store(fs, err);
    if (rc) return rc;
    if (!fs->log.n) {
        sluice_buf_clear(out);
        return SLUICE_OK;
    }
    size_t end = fs->log.n;
    if (max && from < end && end - from > max) end = from + max;
    if (end < from) end = from; /* files gone since the checkpoint: nothing new */
    return put_offset(fs, end, out, err);
}

static int file_plan_read(void *state, const char *start, const char *end, size_t *n_units,
                          struct sluice_error *err)
{
    struct file_source *fs = state;
    size_t from, to;
    int rc = parse_offset(fs, start, &from, err);
    if (!rc) rc = parse_offset(fs, end, &to, err);
    if (rc) return rc;
    if (to < from)
        return fs->host->error(err, SLUICE_EINTERNAL, "file source asked to read backwards, from %zu to %zu",
                               from, to);
    if ((rc = file_log_load(fs, err))) return rc;
    /* After a restart without a checkpointed log, it is rebuilt from the
     * directory listing. */
    if (to > fs->log.n && !file_log_checkpointed(fs) && (rc = file_log_scan(fs, 0, err))) return rc;
    if (to > fs->log.n)
        return fs->host->error(err, SLUICE_EIO, "offset %zu is past the %zu files in '%s'", to,
                               fs->log.n, fs->conf->path);
    fs->plan_n = 0;
    for (size_t i = from; i < to; i++) {
        const char *path = fs->log.e[i].path;
        /* A CSV header is read from a file's first line and applies to all
         * of it, so such files stay whole. A file that cannot be stat'ed is
         * one unit, whose read() reports why. */
        int64_t split = fs->conf->max_partition_bytes;
        if (fs->conf->header && strcmp(fs->conf->format, "csv") == 0) split = 0;
        struct stat st;
        bool known = stat(path, &st) == 0;
        int64_t size = known ? (int64_t)st.st_size : 0;
        int64_t parts = split > 0 && size > split ? (size - 1) / split + 1 : 1;
        if (fs->plan_n + (size_t)parts > fs->plan_cap) {
            size_t cap = 2 * (fs->plan_n + (size_t)parts);
            struct file_unit *p = realloc(fs->plan, cap * sizeof *p);
            if (!p) return fs->host->error(err, SLUICE_ENOMEM, "out of memory");
            fs->plan = p;
            fs->plan_cap = cap;
        }
        /* Even cuts: the same size always gives the same units, so a
         * replayed batch reads the same rows. */
        for (int64_t k = 0; k < parts; k++) {
            struct file_unit *u = &fs->plan[fs->plan_n++];
            u->path = path;
            u->planned_size = known ? size : -1;
            u->begin = size / parts * k + (k < size % parts ? k : size % parts);
            u->end = k == parts - 1 ? INT64_MAX
                                    : size / parts * (k + 1) + (k + 1 < size % parts ? k + 1 : size % parts);
        }
    }
    *n_units = fs->plan_n;
    return SLUICE_OK;
}


static int file_read(void *state, size_t unit, sluice_emit_fn emit, void *emit_arg,
                     struct sluice_error *err)
{
    struct file_source *fs = state;
    if (unit >= fs->plan_n)
        return fs->host->error(err, SLUICE_EINTERNAL, "file source asked for unit %zu of %zu", unit, fs->plan_n);
    return file_read_unit(fs, &fs->plan[unit], emit, emit_arg, err);
}

static int file_commit(void *state, const char *end, struct sluice_error *err)
{
    /* Files are never deleted or moved, so there is nothing to release:
     * the log keeps every name to know it was seen. */
    struct file_source *fs = state;
    size_t n;
    return parse_offset(fs, end, &n, err);
}

/* Block until the directory may hold a new file, `timeout_us` passes or
 * wake_fd turns readable. Events queued since the last wait end it at
 * once: latest_offset lists the directory after they were drained, so a
 * file that lands between a listing and this call is never missed. */
static int file_wait(void *state, int64_t timeout_us, int wake_fd, struct sluice_error *err)
{
    struct file_source *fs = state;
    /* A file held back by min_file_age sends no event when it comes of age. */
    if (fs->young_ready_us != INT64_MAX) {
        int64_t left = fs->young_ready_us - fs->host->now_us();
        if (left < 0) return SLUICE_OK;
        if (left < timeout_us) timeout_us = left;
    }
    if (fs->inotify_fd == -1) {
        fs->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
        if (fs->inotify_fd >= 0 &&
            inotify_add_watch(fs->inotify_fd, fs->conf->path, IN_CREATE | IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
            close(fs->inotify_fd);
            fs->inotify_fd = -1;
        }
        if (fs->inotify_fd < 0) {
            fs->host->log(fs->ctx, SLUICE_LOG_DEBUG, "inotify unavailable for '%s' (%s): polling",
                          fs->conf->path, strerror(errno));
            fs->inotify_fd = -2;
        }
        /* A file may have landed after the listing that found nothing and
         * before the watch began: list once more before sleeping. */
        if (fs->inotify_fd >= 0) return SLUICE_OK;
    }
    bool polling = fs->inotify_fd < 0;
    if (polling && timeout_us > POLL_FALLBACK_US) timeout_us = POLL_FALLBACK_US;
    struct pollfd pfd[2] = { { fs->inotify_fd, POLLIN, 0 }, { wake_fd, POLLIN, 0 } };
    int64_t deadline = fs->host->monotonic_us() + (timeout_us > 0 ? timeout_us : 0);
    for (;;) {
        int64_t left = deadline - fs->host->monotonic_us();
        int ms = left <= 0 ? 0 : (int)((left + 999) / 1000);
        int n = polling ? poll(&pfd[1], wake_fd >= 0 ? 1 : 0, ms) : poll(pfd, wake_fd >= 0 ? 2 : 1, ms);
        if (n < 0 && errno == EINTR) return SLUICE_OK; /* a signal: let the core look */
        if (n < 0) return fs->host->error(err, SLUICE_EIO, "cannot wait for '%s': %s", fs->conf->path,
                                          strerror(errno));
        if (n == 0 && left > 0) continue; /* poll rounds to ms: sleep the rest */
        break;
    }
    if (!polling && (pfd[0].revents & POLLIN)) {
        /* Drain: one wake-up stands for every event queued so far. */
        char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
        while (read(fs->inotify_fd, ev, sizeof ev) > 0) {
        }
    }
    return SLUICE_OK;
}

/* ---- the descriptor ---- */

SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void)
{
    static const struct sluice_plugin p = {
        .abi_version = SLUICE_ABI_VERSION,
        .size = sizeof(struct sluice_plugin),
        .kind = SLUICE_KIND_SOURCE,
        .name = "file",
        .summary = "read new JSON-lines or CSV files from a directory as they appear",
        .options = file_options,
        .conf_size = sizeof(struct file_conf),
        .open = file_open,
        .close = file_close,
        .prepare = file_prepare,
        .latest_offset = file_latest_offset,
        .plan_read = file_plan_read,
        .read = file_read,
        .commit = file_commit,
        .wait = file_wait,
    };
    return &p;
}
