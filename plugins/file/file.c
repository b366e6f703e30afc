/* file: Spark's file stream source. A directory of JSON-lines or CSV files;
 * files that appear are picked up on the next trigger.
 *
 *   { name = "tweets"; source = "file"; path = "data/stream_tweet"; format = "json";
 *     schema = "@configs/schemas/tweet.json"; max_files_per_trigger = 1; }
 *
 * The source keeps a log of the files it has seen, in the order it will read
 * them; an offset {"logOffset":N} means "the first N files of the log", so a
 * batch (start, end] is files [start, end) and replays to the same rows.
 * Files are never modified or deleted, and a file is expected to appear
 * complete (written elsewhere and renamed in, as Spark also assumes); names
 * starting with '.' or '_' are skipped, so writers can use them meanwhile.
 *
 * Units: a batch's files are read as independent units, so `threads`
 * workers share them. A file larger than max_partition_bytes is cut into
 * units of about that size, as Hadoop's line reader splits (and Spark's
 * maxPartitionBytes sizes) them: a unit at byte range [begin, end) reads
 * the lines that start in it, so a line crossing a cut belongs to the unit
 * where it starts and every line is read exactly once. Only a unit's
 * bytes are known, not how many lines come before it, so line numbers are
 * worked out on the error path alone: a fail_fast error is decoded again
 * after counting the newlines before the failing piece.
 *
 * Checkpoint: the log lives in memory, and an offset means nothing without
 * it, so with runtime.checkpoint every file added to the log is stored in
 * the checkpoint (host->meta_put, as Spark's FileStreamSourceLog) before
 * latest_offset returns an offset that counts it; a restarted source
 * reloads the log from there, so the same offsets name the same files
 * even with latest_first or files that sort before ones already read.
 * Each store is an entry keyed by the log's new length holding the names
 * it added; every LOG_COMPACT_EVERY entries one entry holding the whole
 * log replaces them.
 *
 * Waiting: with a "0 seconds" trigger and nothing new, the core calls
 * wait(), which sleeps on inotify until a file is created, written or
 * renamed into the directory (polling every few milliseconds where inotify
 * is unavailable), so an idle stream costs no CPU yet sees a file at once.
 *
 * Threads: latest_offset, plan_read, commit and wait run on the main thread
 * and own the log; read() runs on workers, concurrently, and reads only the
 * plan (immutable until the next plan_read) and the decoder pool, whose
 * lock is taken twice per unit, never per line. */
#define _GNU_SOURCE /* memrchr */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sluice/plugin.h>

/* ---- configuration ---- */

struct file_conf {
    const char *path;
    const char *format;
    const struct ArrowSchema *schema;
    int64_t max_files_per_trigger;
    bool latest_first;
    const char *mode;
    const char *column_name_of_corrupt_record;
    bool header;
    const char *sep;
    int64_t max_partition_bytes;
};

/* ---- the option table ---- */

static const struct sluice_option file_options[] = {
    { "path", SLUICE_OPT_STRING, NULL, SLUICE_OPT_REQUIRED, offsetof(struct file_conf, path),
      "directory to watch for new files", NULL },
    { "format", SLUICE_OPT_ENUM, "json", SLUICE_OPT_OPTIONAL, offsetof(struct file_conf, format),
      "file format: JSON lines or CSV", "json|csv" },
    { "schema", SLUICE_OPT_SCHEMA, NULL, SLUICE_OPT_REQUIRED, offsetof(struct file_conf, schema),
      "schema of the rows: Spark StructType JSON, DDL, or @file (streams need one, as in Spark)",
      NULL },
    { "max_files_per_trigger", SLUICE_OPT_LONG, "0", SLUICE_OPT_OPTIONAL,
      offsetof(struct file_conf, max_files_per_trigger),
      "most new files read per micro-batch (0: no limit)", NULL },
    { "latest_first", SLUICE_OPT_BOOL, "false", SLUICE_OPT_OPTIONAL,
      offsetof(struct file_conf, latest_first),
      "read the newest new files first (useful with max_files_per_trigger)", NULL },
    { "mode", SLUICE_OPT_ENUM, "permissive", SLUICE_OPT_OPTIONAL, offsetof(struct file_conf, mode),
      "malformed lines: a row of nulls, dropped, or an error", "permissive|drop_malformed|fail_fast" },
    { "column_name_of_corrupt_record", SLUICE_OPT_STRING, "_corrupt_record", SLUICE_OPT_OPTIONAL,
      offsetof(struct file_conf, column_name_of_corrupt_record),
      "string column that keeps malformed lines in permissive mode, if the schema has it", NULL },
    { "header", SLUICE_OPT_BOOL, "false", SLUICE_OPT_OPTIONAL, offsetof(struct file_conf, header),
      "csv: the first line of each file names the columns", NULL },
    { "sep", SLUICE_OPT_STRING, ",", SLUICE_OPT_OPTIONAL, offsetof(struct file_conf, sep),
      "csv: the field separator (one character)", NULL },
    { "max_partition_bytes", SLUICE_OPT_LONG, "8388608", SLUICE_OPT_OPTIONAL,
      offsetof(struct file_conf, max_partition_bytes),
      "files larger than this are read as several units of about this size, cut at line "
      "boundaries, so one big file uses every thread (0: one unit per file)", NULL },
    { 0 }
};

/* ---- state ---- */

/* Files are read, decoded and emitted in pieces of about this size: a
 * piece is parsed while it is still in the core's L2 cache (measured: 18%
 * less CPU than 16 MB pieces on the lang count), memory per read() stays
 * bounded, and so does a batch, whatever its number of lines. */
#define READ_PIECE (1u << 20)
/* How often wait() looks at the directory when inotify is unavailable. */
#define POLL_FALLBACK_US 10000
/* Decoders kept for reuse; more concurrent reads simply make more. */
#define POOL_MAX 64
/* Checkpointed log entries before they are compacted into one. */
#define LOG_COMPACT_EVERY 16

/* The files seen so far, in the order they are read. Paths are allocated
 * once and never moved, so a plan can point at them while the log grows. */
struct file_log {
    char **paths;      /* "dir/name" */
    size_t n, cap;
    uint32_t *slots;   /* open-addressing set of names: log index + 1, 0 = empty */
    size_t n_slots;
};

/* One unit of the current plan: the lines of `path` that start in
 * [begin, end); end is INT64_MAX for a file's last unit, which reads to
 * the end of the file. */
struct file_unit {
    const char *path;
    int64_t begin, end;
};

struct file_source {
    const struct sluice_host *host;
    const struct file_conf *conf;
    struct sluice_ctx *ctx;
    size_t dir_len;
    enum sluice_parse_mode mode;
    struct file_log log;
    /* The log in the checkpoint: loaded once, files [0, log_stored) stored
     * in log_entries entries. */
    bool log_loaded;
    size_t log_stored, log_entries;
    /* The current plan. */
    struct file_unit *plan;
    size_t plan_n, plan_cap;
    /* wait(): an inotify descriptor watching the directory, -1 before the
     * first wait, -2 once inotify proved unavailable (poll instead). */
    int inotify_fd;
    /* What prepare() said to produce. */
    struct sluice_projection projection;
    char **projection_paths;
    struct sluice_decode_opts decode_opts;
    pthread_mutex_t pool_lock;
    struct sluice_decoder *pool[POOL_MAX];
    size_t pool_n;
};

/* ---- the file log ---- */

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static const char *log_name(const struct file_source *fs, size_t i)
{
    return fs->log.paths[i] + fs->dir_len + 1;
}

static bool log_contains(const struct file_source *fs, const char *name)
{
    const struct file_log *l = &fs->log;
    if (!l->n_slots) return false;
    for (size_t i = hash_name(name) & (l->n_slots - 1);; i = (i + 1) & (l->n_slots - 1)) {
        if (!l->slots[i]) return false;
        if (strcmp(log_name(fs, l->slots[i] - 1), name) == 0) return true;
    }
}

static void log_index(struct file_source *fs, size_t idx)
{
    struct file_log *l = &fs->log;
    for (size_t i = hash_name(log_name(fs, idx)) & (l->n_slots - 1);; i = (i + 1) & (l->n_slots - 1)) {
        if (!l->slots[i]) {
            l->slots[i] = (uint32_t)(idx + 1);
            return;
        }
    }
}

static int log_append(struct file_source *fs, const char *name, struct sluice_error *err)
{
    struct file_log *l = &fs->log;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        char **p = realloc(l->paths, cap * sizeof *p);
        if (!p) return fs->host->error(err, SLUICE_ENOMEM, "out of memory");
        l->paths = p;
        l->cap = cap;
    }
    /* Keep the set at most half full. */
    if (2 * (l->n + 1) > l->n_slots) {
        size_t n_slots = l->n_slots ? 2 * l->n_slots : 128;
        uint32_t *slots = calloc(n_slots, sizeof *slots);
        if (!slots) return fs->host->error(err, SLUICE_ENOMEM, "out of memory");
        free(l->slots);
        l->slots = slots;
        l->n_slots = n_slots;
        for (size_t i = 0; i < l->n; i++) log_index(fs, i);
    }
    size_t n = strlen(name);
    char *path = malloc(fs->dir_len + 1 + n + 1);
    if (!path) return fs->host->error(err, SLUICE_ENOMEM, "out of memory");
    memcpy(path, fs->conf->path, fs->dir_len);
    path[fs->dir_len] = '/';
    memcpy(path + fs->dir_len + 1, name, n + 1);
    l->paths[l->n] = path;
    log_index(fs, l->n++);
    return SLUICE_OK;
}

/* ---- listing the directory ---- */

struct found {
    char *name;
    struct timespec mtime;
};

/* Spark's InMemoryFileIndex rule: hidden and underscore names are metadata
 * or files still being written, not data. */
static bool skipped_name(const char *name)
{
    size_t n = strlen(name);
    if (name[0] == '.') return true;
    if (name[0] == '_' && !strchr(name, '=')) return true;
    return n >= 10 && strcmp(name + n - 10, "._COPYING_") == 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct found *)a)->name, ((const struct found *)b)->name);
}

static int newest_first(const void *a, const void *b)
{
    const struct found *x = a, *y = b;
    if (x->mtime.tv_sec != y->mtime.tv_sec) return x->mtime.tv_sec < y->mtime.tv_sec ? 1 : -1;
    if (x->mtime.tv_nsec != y->mtime.tv_nsec) return x->mtime.tv_nsec < y->mtime.tv_nsec ? 1 : -1;
    return -strcmp(x->name, y->name);
}

/* Append files not in the log yet: all of them in name order, or (with
 * latest_first) the newest first, at most `limit` of them when limit > 0.
 * Spark re-lists for latest_first each trigger rather than queueing, so
 * files left out now compete with newer ones next time. */
static int log_scan(struct file_source *fs, size_t limit, struct sluice_error *err)
{
    const struct sluice_host *host = fs->host;
    DIR *d = opendir(fs->conf->path);
    if (!d)
        return host->error(err, SLUICE_EIO, "cannot list '%s': %s", fs->conf->path, strerror(errno));
    struct found *found = NULL;
    size_t n = 0, cap = 0;
    int rc = SLUICE_OK;
    struct dirent *e;
    errno = 0;
    while (rc == SLUICE_OK && (e = readdir(d))) {
        if (skipped_name(e->d_name) || log_contains(fs, e->d_name)) continue;
        struct stat st;
        /* Follow symlinks, as Hadoop's local file system does; a name that
         * vanished since readdir is simply not there. */
        if (fstatat(dirfd(d), e->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode)) continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            struct found *p = realloc(found, cap * sizeof *p);
            if (!p) {
                rc = host->error(err, SLUICE_ENOMEM, "out of memory");
                break;
            }
            found = p;
        }
        found[n].name = strdup(e->d_name);
        if (!found[n].name) {
            rc = host->error(err, SLUICE_ENOMEM, "out of memory");
            break;
        }
        found[n++].mtime = st.st_mtim;
        errno = 0;
    }
    if (rc == SLUICE_OK && errno)
        rc = host->error(err, SLUICE_EIO, "cannot list '%s': %s", fs->conf->path, strerror(errno));
    closedir(d);
    if (rc == SLUICE_OK && n) {
        qsort(found, n, sizeof *found, fs->conf->latest_first ? newest_first : by_name);
        size_t take = limit && limit < n ? limit : n;
        for (size_t i = 0; i < take && rc == SLUICE_OK; i++) rc = log_append(fs, found[i].name, err);
    }
    for (size_t i = 0; i < n; i++) free(found[i].name);
    free(found);
    return rc;
}

/* ---- the log in the checkpoint ---- */

/* An entry: "file-log 1 <first index> <count>\n", then the names, each
 * ending in a NUL (a name may hold any other byte). */
static bool checkpointed(const struct file_source *fs)
{
    const struct sluice_host *h = fs->host;
    return h->size >= offsetof(struct sluice_host, meta_trim) + sizeof h->meta_trim && h->meta_enabled(fs->ctx);
}

static int load_entry(void *arg, int64_t key, const char *data, size_t len, struct sluice_error *err)
{
    struct file_source *fs = arg;
    unsigned long long first = 0, count = 0;
    const char *nl = memchr(data, '\n', len);
    char *e = NULL;
    bool ok = nl && len > 11 && memcmp(data, "file-log 1 ", 11) == 0;
    if (ok) first = strtoull(data + 11, &e, 10);
    ok = ok && *e == ' ';
    if (ok) count = strtoull(e + 1, &e, 10);
    if (!ok || e != nl)
        return fs->host->error(err, SLUICE_EDATA, "entry %lld of the checkpointed file log of '%s' is not one",
                               (long long)key, fs->conf->path);
    if (first > fs->log.n)
        return fs->host->error(err, SLUICE_EDATA,
                               "the checkpointed file log of '%s' has a gap: files %zu to %llu are missing",
                               fs->conf->path, fs->log.n, first);
    const char *p = nl + 1, *end = data + len;
    for (unsigned long long i = 0; i < count; i++) {
        const char *z = memchr(p, '\0', (size_t)(end - p));
        if (!z)
            return fs->host->error(err, SLUICE_EDATA, "entry %lld of the checkpointed file log of '%s' is cut short",
                                   (long long)key, fs->conf->path);
        /* Entries overlap after a compaction: keep what is known. */
        if (first + i >= fs->log.n) {
            int rc = log_append(fs, p, err);
            if (rc) return rc;
        }
        p = z + 1;
    }
    fs->log_entries++;
    return SLUICE_OK;
}

/* Before the first offset: the log as the checkpoint has it. */
static int log_load(struct file_source *fs, struct sluice_error *err)
{
    if (fs->log_loaded) return SLUICE_OK;
    fs->log_loaded = true;
    if (!checkpointed(fs)) return SLUICE_OK;
    int rc = fs->host->meta_scan(fs->ctx, load_entry, fs, err);
    fs->log_stored = fs->log.n;
    return rc;
}

/* Store the files added since the last store, before an offset counts them. */
static int log_store(struct file_source *fs, struct sluice_error *err)
{
    if (fs->log_stored == fs->log.n || !checkpointed(fs)) return SLUICE_OK;
    bool whole = fs->log_entries + 1 >= LOG_COMPACT_EVERY;
    size_t first = whole ? 0 : fs->log_stored;
    struct sluice_buf b = { 0 };
    int rc = sluice_buf_printf(&b, "file-log 1 %zu %zu\n", first, fs->log.n - first);
    for (size_t i = first; i < fs->log.n && !rc; i++) {
        const char *name = log_name(fs, i);
        rc = sluice_buf_append(&b, name, strlen(name) + 1);
    }
    if (rc) rc = fs->host->error(err, SLUICE_ENOMEM, "out of memory");
    if (!rc) rc = fs->host->meta_put(fs->ctx, (int64_t)fs->log.n, b.data, b.len, err);
    sluice_buf_free(&b);
    if (!rc && whole) rc = fs->host->meta_trim(fs->ctx, (int64_t)fs->log.n, err);
    if (rc) return rc;
    fs->log_entries = whole ? 1 : fs->log_entries + 1;
    fs->log_stored = fs->log.n;
    return SLUICE_OK;
}

/* ---- offsets ---- */

static int parse_offset(const struct file_source *fs, const char *text, size_t *out,
                        struct sluice_error *err)
{
    *out = 0;
    if (!text) return SLUICE_OK;
    const char *p = text;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    if (*p++ != '{') goto bad;
    while (*p == ' ' || *p == '\n') p++;
    if (strncmp(p, "\"logOffset\"", 11) != 0) goto bad;
    p += 11;
    while (*p == ' ') p++;
    if (*p++ != ':') goto bad;
    while (*p == ' ') p++;
    if (*p < '0' || *p > '9') goto bad;
    size_t v = 0;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (v > (SIZE_MAX - 9) / 10) goto bad;
        v = v * 10 + (size_t)(*p - '0');
    }
    while (*p == ' ' || *p == '\n') p++;
    if (*p++ != '}') goto bad;
    while (*p == ' ' || *p == '\n') p++;
    if (*p) goto bad;
    *out = v;
    return SLUICE_OK;
bad:
    return fs->host->error(err, SLUICE_ECONFIG, "'%s' is not a file source offset", text);
}

static int put_offset(const struct file_source *fs, size_t n, struct sluice_buf *out,
                      struct sluice_error *err)
{
    sluice_buf_clear(out);
    if (sluice_buf_printf(out, "{\"logOffset\":%zu}", n))
        return fs->host->error(err, SLUICE_ENOMEM, "out of memory");
    return SLUICE_OK;
}

/* ---- callbacks ---- */

static void file_close(void *state);

static int file_open(const struct sluice_host *host, const void *conf_ptr, struct sluice_ctx *ctx,
                     void **state, struct sluice_error *err)
{
    const struct file_conf *conf = conf_ptr;
    if (conf->max_files_per_trigger < 0)
        return host->error(err, SLUICE_ECONFIG, "max_files_per_trigger must be positive, got %lld",
                           (long long)conf->max_files_per_trigger);
    if (conf->max_partition_bytes < 0)
        return host->error(err, SLUICE_ECONFIG, "max_partition_bytes must not be negative, got %lld",
                           (long long)conf->max_partition_bytes);
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

    struct file_source *fs = calloc(1, sizeof *fs);
    if (!fs) return host->error(err, SLUICE_ENOMEM, "out of memory");
    fs->host = host;
    fs->conf = conf;
    fs->ctx = ctx;
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
    for (size_t i = 0; i < fs->pool_n; i++) fs->host->decoder_free(fs->pool[i]);
    pthread_mutex_destroy(&fs->pool_lock);
    if (fs->inotify_fd >= 0) close(fs->inotify_fd);
    for (size_t i = 0; i < fs->log.n; i++) free(fs->log.paths[i]);
    free(fs->log.paths);
    free(fs->log.slots);
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
    if (!rc) rc = log_load(fs, err);
    if (rc) return rc;
    size_t max = limited && fs->conf->max_files_per_trigger > 0
                     ? (size_t)fs->conf->max_files_per_trigger : 0;
    if (from > fs->log.n && checkpointed(fs))
        return fs->host->error(err, SLUICE_EDATA, "offset %zu is past the %zu files of the checkpointed log of '%s'",
                               from, fs->log.n, fs->conf->path);
    /* A start past the log without a checkpoint of it: rebuild the log,
     * which lives in memory, from the directory. */
    if (from > fs->log.n && (rc = log_scan(fs, 0, err))) return rc;
    size_t queued = fs->log.n > from ? fs->log.n - from : 0;
    /* latest_first only adds what this trigger will take; in name order the
     * whole listing is queued, so later triggers need not list again to
     * know their files (Spark caches the unselected files the same way). */
    if (fs->conf->latest_first && max) {
        if (queued < max) rc = log_scan(fs, max - queued, err);
    } else if (!max || queued < max) {
        rc = log_scan(fs, 0, err);
    }
    if (!rc) rc = log_store(fs, err);
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
    if ((rc = log_load(fs, err))) return rc;
    /* After a restart without a checkpointed log, it is rebuilt from the
     * directory listing. */
    if (to > fs->log.n && !checkpointed(fs) && (rc = log_scan(fs, 0, err))) return rc;
    if (to > fs->log.n)
        return fs->host->error(err, SLUICE_EIO, "offset %zu is past the %zu files in '%s'", to,
                               fs->log.n, fs->conf->path);
    fs->plan_n = 0;
    for (size_t i = from; i < to; i++) {
        const char *path = fs->log.paths[i];
        /* A CSV header is read from a file's first line and applies to all
         * of it, so such files stay whole. A file that cannot be stat'ed is
         * one unit, whose read() reports why. */
        int64_t split = fs->conf->max_partition_bytes;
        if (fs->conf->header && strcmp(fs->conf->format, "csv") == 0) split = 0;
        struct stat st;
        int64_t size = stat(path, &st) == 0 ? (int64_t)st.st_size : 0;
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
            u->begin = size / parts * k + (k < size % parts ? k : size % parts);
            u->end = k == parts - 1 ? INT64_MAX
                                    : size / parts * (k + 1) + (k + 1 < size % parts ? k + 1 : size % parts);
        }
    }
    *n_units = fs->plan_n;
    return SLUICE_OK;
}

/* ---- reading one file ---- */

static int pool_take(struct file_source *fs, struct sluice_decoder **out, struct sluice_error *err)
{
    pthread_mutex_lock(&fs->pool_lock);
    *out = fs->pool_n ? fs->pool[--fs->pool_n] : NULL;
    pthread_mutex_unlock(&fs->pool_lock);
    return *out ? SLUICE_OK : fs->host->decoder_new(&fs->decode_opts, out, err);
}

static void pool_give(struct file_source *fs, struct sluice_decoder *d)
{
    pthread_mutex_lock(&fs->pool_lock);
    if (fs->pool_n < POOL_MAX) {
        fs->pool[fs->pool_n++] = d;
        d = NULL;
    }
    pthread_mutex_unlock(&fs->pool_lock);
    if (d) fs->host->decoder_free(d);
}

/* Newlines in the first `upto` bytes of the file: the error path's way to
 * a line number, since units and pieces know only their byte offsets. */
static int count_lines_before(int fd, int64_t upto, int64_t *lines)
{
    char buf[1 << 16];
    int64_t off = 0, n = 0;
    while (off < upto) {
        size_t want = upto - off < (int64_t)sizeof buf ? (size_t)(upto - off) : sizeof buf;
        ssize_t got = pread(fd, buf, want, off);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return -1;
        for (const char *p = buf, *end = buf + got; (p = memchr(p, '\n', (size_t)(end - p))); p++) n++;
        off += got;
    }
    *lines = n;
    return 0;
}

/* Decode one piece of whole lines that starts at byte `off` of the file
 * and emit its batch. */
static int decode_piece(struct file_source *fs, struct sluice_decoder *d, int fd, const char *path,
                        const char *p, size_t n, int64_t off, sluice_emit_fn emit, void *emit_arg,
                        struct sluice_error *err)
{
    const struct sluice_host *host = fs->host;
    struct sluice_decode_input in = { p, n, path, 1, off == 0 };
    struct sluice_decode_stats stats = { 0 };
    struct sluice_batch batch;
    int rc = host->decode(d, &in, &batch, &stats, err);
    if (stats.malformed) host->count_malformed(fs->ctx, stats.malformed);
    if (rc == SLUICE_EDATA && off > 0) {
        /* fail_fast named a line counted from the piece's start: count the
         * lines before it and decode again, which fails on the same line,
         * now with its number in the file. */
        struct sluice_error first = *err;
        int64_t before;
        if (count_lines_before(fd, off, &before) == 0) {
            struct sluice_decode_stats again = { 0 };
            in.first_line = before + 1;
            if (host->decode(d, &in, &batch, &again, err) == SLUICE_OK) {
                sluice_batch_release(&batch);
                *err = first;
            }
        }
    }
    if (rc) return rc;
    if (sluice_batch_rows(&batch) > 0) return emit(emit_arg, &batch, err);
    sluice_batch_release(&batch);
    return SLUICE_OK;
}

/* Fill buf[*have, cap) from byte off + *have of the file; *eof at its end. */
static int fill(struct file_source *fs, int fd, const char *path, char *buf, size_t cap, int64_t off,
                size_t *have, bool *eof, struct sluice_error *err)
{
    while (*have < cap) {
        ssize_t got = pread(fd, buf + *have, cap - *have, off + (int64_t)*have);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) return fs->host->error(err, SLUICE_EIO, "cannot read '%s': %s", path, strerror(errno));
        if (got == 0) {
            *eof = true;
            break;
        }
        *have += (size_t)got;
    }
    return SLUICE_OK;
}

/* Read the lines of one unit: those starting in [u->begin, u->end). */
static int read_unit(struct file_source *fs, const struct file_unit *u, int fd, char **bufp,
                     size_t *capp, struct sluice_decoder *d, sluice_emit_fn emit, void *emit_arg,
                     struct sluice_error *err)
{
    const char *path = u->path;
    /* A unit that does not start the file starts after the first newline
     * at or after begin - 1: the line under way belongs to the unit before. */
    int64_t off = u->begin > 0 ? u->begin - 1 : 0; /* file offset of buf[0] */
    bool skip_partial = u->begin > 0, eof = false;
    size_t have = 0;
    int rc = SLUICE_OK;
    while (!rc) {
        char *buf = *bufp;
        if ((rc = fill(fs, fd, path, buf, *capp, off, &have, &eof, err))) break;
        if (skip_partial) {
            const char *nl = memchr(buf, '\n', have);
            size_t drop = nl ? (size_t)(nl + 1 - buf) : have;
            off += (int64_t)drop;
            memmove(buf, buf + drop, have - drop);
            have -= drop;
            skip_partial = !nl;
            if (off >= u->end || (eof && !have)) break;
            if (!eof) continue;
        }
        size_t whole = have;
        if (!eof) {
            /* Decode whole lines only; the partial last line waits for more. */
            const char *nl = memrchr(buf, '\n', have);
            if (!nl) {
                /* One line longer than the buffer: grow until it fits. */
                char *p = realloc(buf, *capp * 2);
                if (!p) {
                    rc = fs->host->error(err, SLUICE_ENOMEM, "out of memory");
                    break;
                }
                *bufp = p;
                *capp *= 2;
                continue;
            }
            whole = (size_t)(nl + 1 - buf);
        }
        bool last = eof && whole == have;
        if (off + (int64_t)whole >= u->end) {
            /* The unit's last line is the one holding byte end - 1. */
            size_t e = (size_t)(u->end - 1 - off);
            const char *nl = memchr(buf + e, '\n', whole - e);
            if (nl) whole = (size_t)(nl + 1 - buf);
            last = true;
        }
        if (whole) rc = decode_piece(fs, d, fd, path, buf, whole, off, emit, emit_arg, err);
        if (rc || last) break;
        off += (int64_t)whole;
        memmove(buf, buf + whole, have - whole);
        have -= whole;
    }
    return rc;
}

static int file_read(void *state, size_t unit, sluice_emit_fn emit, void *emit_arg,
                     struct sluice_error *err)
{
    struct file_source *fs = state;
    const struct sluice_host *host = fs->host;
    if (unit >= fs->plan_n)
        return host->error(err, SLUICE_EINTERNAL, "file source asked for unit %zu of %zu", unit,
                           fs->plan_n);
    const struct file_unit *u = &fs->plan[unit];
    /* Read rather than mmap: a file truncated under us is then an error to
     * report, not a SIGBUS. */
    int fd = open(u->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return host->error(err, SLUICE_EIO, "cannot open '%s': %s", u->path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return host->error(err, SLUICE_EIO, "cannot read '%s': %s", u->path, strerror(e));
    }
    int64_t span = (u->end == INT64_MAX ? (int64_t)st.st_size : u->end) - u->begin + 1;
    if (st.st_size == 0 || span <= 1) {
        close(fd);
        return SLUICE_OK;
    }
    /* A small file is one read, so its end is known before decoding (a
     * last line without newline joins the batch). */
    size_t cap = span < (int64_t)READ_PIECE ? (size_t)span + 1 : READ_PIECE;
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return host->error(err, SLUICE_ENOMEM, "out of memory");
    }
    struct sluice_decoder *d;
    int rc = pool_take(fs, &d, err);
    if (!rc) {
        rc = read_unit(fs, u, fd, &buf, &cap, d, emit, emit_arg, err);
        /* A failed decoder may hold rows of the failed batch: don't reuse it. */
        if (rc) host->decoder_free(d);
        else pool_give(fs, d);
    }
    free(buf);
    close(fd);
    return rc;
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
