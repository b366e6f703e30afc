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
 * Stores: the directory is reached through a store (file_store.h): listing,
 * sizes, byte ranges, waiting. The `s3` source is this same source over an
 * S3 store (s3_source.c), so every option above means the same there.
 *
 * Threads: latest_offset, plan_read, commit and wait run on the main thread
 * and own the log; read() runs on workers, concurrently, and reads only the
 * plan (immutable until the next plan_read) and the decoder pool, whose
 * lock is taken twice per unit, never per line. */
#define _GNU_SOURCE
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "file_source.h"

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

/* The end of the batch that starts at file `from` of the log under
 * max_bytes_per_trigger: files while their total stays within it, and the
 * first whatever its size, as Spark's soft limit (a file larger than the
 * limit would stop the stream otherwise). *room: the bytes left for more
 * files, -1 when a file already in the log did not fit. */
static size_t bytes_end(struct file_source *fs, size_t from, int64_t max_bytes, int64_t *room)
{
    int64_t sum = 0;
    for (size_t i = from; i < fs->log.n; i++) {
        int64_t size = file_log_size(fs, i);
        if (i > from && sum + size > max_bytes) {
            *room = -1;
            return i;
        }
        sum += size;
    }
    *room = sum < max_bytes ? max_bytes - sum : 0;
    return fs->log.n;
}

/* ---- callbacks ---- */

int file_source_open(const struct sluice_host *host, const struct file_conf *conf, struct sluice_ctx *ctx,
                     struct file_path *path, struct file_store *store, void **state, struct sluice_error *err)
{
    struct file_source *fs = calloc(1, sizeof *fs);
    if (!fs) {
        store->ops->free(store);
        file_path_free(path);
        return host->error(err, SLUICE_ENOMEM, "out of memory");
    }
    fs->host = host;
    fs->conf = conf;
    fs->ctx = ctx;
    fs->store = store;
    fs->abs_dir = store->root;
    fs->young_ready_us = INT64_MAX;
    fs->path = *path;
    *path = (struct file_path){ 0 };
    fs->dir_len = strlen(fs->path.root);
    while (fs->dir_len > 1 && fs->path.root[fs->dir_len - 1] == '/') fs->dir_len--;
    fs->mode = strcmp(conf->mode, "fail_fast") == 0        ? SLUICE_PARSE_FAIL_FAST
               : strcmp(conf->mode, "drop_malformed") == 0 ? SLUICE_PARSE_DROP_MALFORMED
                                                           : SLUICE_PARSE_PERMISSIVE;
    pthread_mutex_init(&fs->pool_lock, NULL);

    /* Spark ignores maxFileAge with latestFirst and a limit: the newest
     * files are taken first, so an old file left for later would be aged
     * out before its turn. */
    bool limit = conf->max_files_per_trigger > 0 || conf->max_bytes_per_trigger > 0;
    if (conf->max_file_age > 0 && conf->latest_first && limit)
        host->log(ctx, SLUICE_LOG_WARN, "max_file_age is ignored with latest_first and max_%s_per_trigger, "
                  "as in Spark", conf->max_files_per_trigger > 0 ? "files" : "bytes");
    else
        fs->max_age_ns = conf->max_file_age * 1000;
    int rc = conf->path_glob_filter ? file_glob_compile(host, conf->path_glob_filter, &fs->glob, err) : SLUICE_OK;
    if (!rc) rc = file_clean_open(fs, err);
    if (rc) {
        file_source_close(fs);
        return rc;
    }
    struct ArrowSchema out;
    rc = file_parts_open(fs, &out, err);
    if (!rc) rc = host->set_output_schema(ctx, &out, err);
    if (rc) {
        file_source_close(fs);
        return rc;
    }
    *state = fs;
    return SLUICE_OK;
}

/* The checks of the options both sources share, before a store is opened
 * (the s3 source's opening asks the server). */
int file_source_check(const struct sluice_host *host, const struct file_conf *conf, struct sluice_error *err)
{
    if (!conf->sep || strlen(conf->sep) != 1)
        return host->error(err, SLUICE_ECONFIG, "sep must be one character, got '%s'",
                           conf->sep ? conf->sep : "");
    if (!conf->path || !conf->path[0])
        return host->error(err, SLUICE_ECONFIG, "path must name a directory");
    if (conf->max_files_per_trigger > 0 && conf->max_bytes_per_trigger > 0)
        return host->error(err, SLUICE_ECONFIG,
                           "max_files_per_trigger and max_bytes_per_trigger cannot both be set, as in Spark: "
                           "choose one");
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
    return SLUICE_OK;
}

void file_source_close(void *state)
{
    struct file_source *fs = state;
    int64_t skipped = atomic_load(&fs->skipped_files);
    if (skipped)
        fs->host->log(fs->ctx, SLUICE_LOG_WARN, "%lld planned file%s could not be read and %s skipped "
                      "(ignore_missing_files)", (long long)skipped, skipped == 1 ? "" : "s",
                      skipped == 1 ? "was" : "were");
    file_clean_close(fs);
    file_pool_free(fs);
    pthread_mutex_destroy(&fs->pool_lock);
    file_log_free(fs);
    file_glob_free(&fs->glob);
    file_parts_free(fs);
    free(fs->chain);
    fs->store->ops->free(fs->store);
    file_path_free(&fs->path);
    free(fs->plan);
    for (size_t i = 0; i < fs->projection.n_paths; i++) free(fs->projection_paths[i]);
    free(fs->projection_paths);
    free(fs);
}

int file_source_prepare(void *state, const struct sluice_projection *projection,
                        struct sluice_error *err)
{
    struct file_source *fs = state;
    const struct sluice_projection all = { true, 0, NULL };
    if (!projection) projection = &all;
    fs->projection.all = projection->all;
    /* Partition columns come from the directories, not the decoder. */
    if (!projection->all && projection->n_paths) {
        fs->projection_paths = calloc(projection->n_paths, sizeof *fs->projection_paths);
        if (!fs->projection_paths) return fs->host->error(err, SLUICE_ENOMEM, "out of memory");
        for (size_t i = 0; i < projection->n_paths; i++) {
            if (file_parts_column(fs, projection->paths[i])) continue;
            char *copy = strdup(projection->paths[i]);
            if (!copy) return fs->host->error(err, SLUICE_ENOMEM, "out of memory");
            fs->projection_paths[fs->projection.n_paths++] = copy;
        }
    }
    fs->projection.paths = (const char *const *)fs->projection_paths;

    const struct file_conf *conf = fs->conf;
    fs->decode_opts = (struct sluice_decode_opts){
        .size = sizeof(struct sluice_decode_opts),
        .format = conf->format,
        .schema = fs->parts.n ? &fs->parts.data : fs->host->output_schema(fs->ctx),
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

int file_source_latest_offset(void *state, const char *start, bool limited, struct sluice_buf *out,
                              struct sluice_error *err)
{
    struct file_source *fs = state;
    size_t from;
    int rc = parse_offset(fs, start, &from, err);
    if (!rc) rc = file_log_load(fs, err);
    if (rc) return rc;
    file_clean_from(fs, from);
    const struct file_conf *conf = fs->conf;
    size_t max = limited && conf->max_files_per_trigger > 0 ? (size_t)conf->max_files_per_trigger : 0;
    int64_t max_bytes = limited && conf->max_bytes_per_trigger > 0 ? conf->max_bytes_per_trigger : 0;
    if (from > fs->log.n && file_log_checkpointed(fs))
        return fs->host->error(err, SLUICE_EDATA, "offset %zu is past the %zu files of the checkpointed log of '%s'",
                               from, fs->log.n, fs->conf->path);
    /* A start past the log without a checkpoint of it: rebuild the log,
     * which lives in memory, from the directory. */
    if (from > fs->log.n && (rc = file_log_scan(fs, NULL, err))) return rc;
    size_t queued = fs->log.n > from ? fs->log.n - from : 0;
    /* What the files already queued leave of this trigger's batch. */
    int64_t room = -1;
    if (max_bytes && queued) bytes_end(fs, from, max_bytes, &room);
    else if (max_bytes) room = max_bytes;
    bool batch_full = max ? queued >= max : max_bytes ? room <= 0 && queued : false;
    /* latest_first only adds what this trigger will take; in name order the
     * whole listing is queued, so later triggers need not list again to
     * know their files (Spark caches the unselected files the same way). */
    if (conf->latest_first && (max || max_bytes)) {
        struct file_take take = { .files = max ? max - queued : 0, .bytes = max_bytes ? room : -1,
                                  .one_anyway = queued == 0 };
        if (!batch_full) rc = file_log_scan(fs, &take, err);
    } else if (!batch_full) {
        rc = file_log_scan(fs, NULL, err);
    }
    if (!rc) rc = file_log_store(fs, err);
    if (rc) return rc;
    if (!fs->log.n) {
        sluice_buf_clear(out);
        return SLUICE_OK;
    }
    size_t end = fs->log.n;
    if (max && from < end && end - from > max) end = from + max;
    if (max_bytes && from < end) end = bytes_end(fs, from, max_bytes, &room);
    if (end < from) end = from; /* files gone since the checkpoint: nothing new */
    return put_offset(fs, end, out, err);
}

/* The size a batch's files are cut at: Spark's maxSplitBytes,
 * min(maxPartitionBytes, max(openCostInBytes, bytes / parallelism)), so a
 * small batch still gives every worker a unit (one 5 MB file, two threads:
 * two units) and a big one is cut at max_partition_bytes. Opening a local
 * file costs far less than HDFS's 4 MiB estimate; cutting below 1 MiB buys
 * nothing. The cut depends only on the batch's files, so a replay plans the
 * same units. */
#define MIN_SPLIT_BYTES (1 << 20)

static int64_t split_bytes(const struct file_source *fs, int64_t total)
{
    int64_t max = fs->conf->max_partition_bytes;
    if (max <= 0 || !SLUICE_HOST_HAS(fs->host, parallelism)) return max;
    int64_t per_thread = total / fs->host->parallelism(fs->ctx);
    int64_t split = per_thread > MIN_SPLIT_BYTES ? per_thread : MIN_SPLIT_BYTES;
    return split < max ? split : max;
}

int file_source_plan_read(void *state, const char *start, const char *end, size_t *n_units,
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
    file_clean_from(fs, from);
    /* After a restart without a checkpointed log, it is rebuilt from the
     * directory listing. */
    if (to > fs->log.n && !file_log_checkpointed(fs) && (rc = file_log_scan(fs, NULL, err))) return rc;
    if (to > fs->log.n)
        return fs->host->error(err, SLUICE_EIO, "offset %zu is past the %zu files in '%s'", to,
                               fs->log.n, fs->conf->path);
    fs->plan_n = 0;
    int64_t *sizes = malloc((to - from + 1) * sizeof *sizes);
    if (!sizes) return fs->host->error(err, SLUICE_ENOMEM, "out of memory");
    int64_t total = 0;
    for (size_t i = from; i < to; i++) {
        sizes[i - from] = fs->store->ops->size(fs->store, fs->log.e[i].path);
        if (sizes[i - from] > 0) total += sizes[i - from];
    }
    int64_t max_split = split_bytes(fs, total);
    for (size_t i = from; i < to; i++) {
        const char *path = fs->log.e[i].path;
        /* A CSV header is read from a file's first line and applies to all
         * of it, so such files stay whole. A file that cannot be stat'ed is
         * one unit, whose read() reports why. */
        int64_t split = max_split;
        if (fs->conf->header && strcmp(fs->conf->format, "csv") == 0) split = 0;
        /* Nor can a gzip stream be entered midway (file_gzip.c). */
        if (file_gz_name(path)) split = 0;
        int64_t size = sizes[i - from];
        bool known = size >= 0;
        if (!known) size = 0;
        int64_t parts = split > 0 && size > split ? (size - 1) / split + 1 : 1;
        if (fs->plan_n + (size_t)parts > fs->plan_cap) {
            size_t cap = 2 * (fs->plan_n + (size_t)parts);
            struct file_unit *p = realloc(fs->plan, cap * sizeof *p);
            if (!p) {
                free(sizes);
                return fs->host->error(err, SLUICE_ENOMEM, "out of memory");
            }
            fs->plan = p;
            fs->plan_cap = cap;
        }
        /* Even cuts: the same size always gives the same units, so a
         * replayed batch reads the same rows. */
        for (int64_t k = 0; k < parts; k++) {
            struct file_unit *u = &fs->plan[fs->plan_n++];
            u->path = path;
            u->name = path + fs->log.e[i].name;
            u->planned_size = known ? size : -1;
            u->begin = size / parts * k + (k < size % parts ? k : size % parts);
            u->end = k == parts - 1 ? INT64_MAX
                                    : size / parts * (k + 1) + (k + 1 < size % parts ? k + 1 : size % parts);
        }
    }
    free(sizes);
    *n_units = fs->plan_n;
    return SLUICE_OK;
}


int file_source_read(void *state, size_t unit, sluice_emit_fn emit, void *emit_arg,
                     struct sluice_error *err)
{
    struct file_source *fs = state;
    if (unit >= fs->plan_n)
        return fs->host->error(err, SLUICE_EINTERNAL, "file source asked for unit %zu of %zu", unit, fs->plan_n);
    return file_read_unit(fs, &fs->plan[unit], emit, emit_arg, err);
}

/* The batch ending at `end` is committed: no plan will name its files
 * again, so clean_source may delete or move them (file_clean.c). The log
 * keeps every name, to know it was seen. */
int file_source_commit(void *state, const char *end, struct sluice_error *err)
{
    struct file_source *fs = state;
    size_t n;
    int rc = parse_offset(fs, end, &n, err);
    if (!rc) file_clean_commit(fs, n);
    return rc;
}

/* The store waits (inotify for a directory); a file held back by
 * min_file_age sends no news when it comes of age, so the wait ends then. */
int file_source_wait(void *state, int64_t timeout_us, int wake_fd, struct sluice_error *err)
{
    struct file_source *fs = state;
    if (fs->young_ready_us != INT64_MAX) {
        int64_t left = fs->young_ready_us - fs->host->now_us();
        if (left < 0) return SLUICE_OK;
        if (left < timeout_us) timeout_us = left;
    }
    return fs->store->ops->wait(fs->store, timeout_us, wake_fd, err);
}
