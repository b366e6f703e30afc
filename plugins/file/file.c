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
 * Threads: latest_offset, plan_read and commit run on the main thread and
 * own the log; read() runs on workers, concurrently, and reads only the plan
 * (immutable until the next plan_read) and the decoder pool (locked). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
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
    { 0 }
};

/* ---- state ---- */

/* A decode call gets at most this many lines, so a batch stays near 64k
 * rows whatever the file size. */
#define MAX_BATCH_LINES 65536
/* Files are read in pieces of this size: memory per read() stays bounded. */
#define READ_CHUNK (16u << 20)
/* Decoders kept for reuse; more concurrent reads simply make more. */
#define POOL_MAX 64

/* The files seen so far, in the order they are read. Paths are allocated
 * once and never moved, so a plan can point at them while the log grows. */
struct file_log {
    char **paths;      /* "dir/name" */
    size_t n, cap;
    uint32_t *slots;   /* open-addressing set of names: log index + 1, 0 = empty */
    size_t n_slots;
};

struct file_source {
    const struct sluice_host *host;
    const struct file_conf *conf;
    struct sluice_ctx *ctx;
    size_t dir_len;
    enum sluice_parse_mode mode;
    struct file_log log;
    /* The current plan: files [plan_start, plan_start + plan_n) of the log. */
    const char **plan;
    size_t plan_n, plan_cap;
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
    if (rc) return rc;
    size_t max = limited && fs->conf->max_files_per_trigger > 0
                     ? (size_t)fs->conf->max_files_per_trigger : 0;
    /* A start past the log: the process restarted from a checkpoint and
     * the log, which lives in memory, is rebuilt from the directory. */
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
    /* After a restart the log is rebuilt from the directory listing. */
    if (to > fs->log.n && (rc = log_scan(fs, 0, err))) return rc;
    if (to > fs->log.n)
        return fs->host->error(err, SLUICE_EIO, "offset %zu is past the %zu files in '%s'", to,
                               fs->log.n, fs->conf->path);
    size_t n = to - from;
    if (n > fs->plan_cap) {
        const char **p = realloc(fs->plan, n * sizeof *p);
        if (!p) return fs->host->error(err, SLUICE_ENOMEM, "out of memory");
        fs->plan = p;
        fs->plan_cap = n;
    }
    for (size_t i = 0; i < n; i++) fs->plan[i] = fs->log.paths[from + i];
    fs->plan_n = n;
    *n_units = n;
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

/* Decode [p, p + n), which holds whole lines, in pieces of at most
 * MAX_BATCH_LINES lines, emitting one batch per piece. */
static int decode_lines(struct file_source *fs, struct sluice_decoder *d, const char *path,
                        const char *p, size_t n, int64_t *line, bool *file_start,
                        sluice_emit_fn emit, void *emit_arg, struct sluice_error *err)
{
    const struct sluice_host *host = fs->host;
    const char *end = p + n;
    while (p < end) {
        const char *cut = p;
        int64_t lines = 0;
        while (cut < end && lines < MAX_BATCH_LINES) {
            const char *nl = memchr(cut, '\n', (size_t)(end - cut));
            cut = nl ? nl + 1 : end;
            lines++;
        }
        struct sluice_decode_input in = { p, (size_t)(cut - p), path, *line, *file_start };
        struct sluice_decode_stats stats = { 0 };
        struct sluice_batch batch;
        int rc = host->decode(d, &in, &batch, &stats, err);
        if (stats.malformed) host->count_malformed(fs->ctx, stats.malformed);
        if (rc) return rc;
        if (sluice_batch_rows(&batch) > 0) {
            rc = emit(emit_arg, &batch, err);
            if (rc) return rc;
        } else {
            sluice_batch_release(&batch);
        }
        *line += lines;
        *file_start = false;
        p = cut;
    }
    return SLUICE_OK;
}

static int file_read(void *state, size_t unit, sluice_emit_fn emit, void *emit_arg,
                     struct sluice_error *err)
{
    struct file_source *fs = state;
    const struct sluice_host *host = fs->host;
    if (unit >= fs->plan_n)
        return host->error(err, SLUICE_EINTERNAL, "file source asked for unit %zu of %zu", unit,
                           fs->plan_n);
    const char *path = fs->plan[unit];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return host->error(err, SLUICE_EIO, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return host->error(err, SLUICE_EIO, "cannot read '%s': %s", path, strerror(e));
    }
    if (st.st_size == 0) {
        close(fd);
        return SLUICE_OK;
    }
    /* Read in chunks rather than mmap: a file truncated under us is then an
     * error to report, not a SIGBUS. */
    size_t cap = (size_t)st.st_size < READ_CHUNK ? (size_t)st.st_size + 1 : READ_CHUNK;
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return host->error(err, SLUICE_ENOMEM, "out of memory");
    }
    struct sluice_decoder *d;
    int rc = pool_take(fs, &d, err);
    if (rc) {
        free(buf);
        close(fd);
        return rc;
    }
    size_t have = 0;
    int64_t line = 1;
    bool file_start = true;
    bool eof = false;
    while (!rc) {
        /* Fill the buffer, so a small file is one read and its end is known
         * before decoding (a last line without newline joins the batch). */
        while (have < cap) {
            ssize_t got = read(fd, buf + have, cap - have);
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) {
                rc = host->error(err, SLUICE_EIO, "cannot read '%s': %s", path, strerror(errno));
                break;
            }
            if (got == 0) {
                eof = true;
                break;
            }
            have += (size_t)got;
        }
        if (rc) break;
        size_t whole = have;
        if (!eof) {
            /* Decode whole lines only; the partial last line waits for more. */
            while (whole > 0 && buf[whole - 1] != '\n') whole--;
            if (whole == 0) {
                /* One line longer than the buffer: grow until it fits. */
                char *p = realloc(buf, cap * 2);
                if (!p) {
                    rc = host->error(err, SLUICE_ENOMEM, "out of memory");
                    break;
                }
                buf = p;
                cap *= 2;
                continue;
            }
        }
        rc = decode_lines(fs, d, path, buf, whole, &line, &file_start, emit, emit_arg, err);
        if (rc || eof) break;
        memmove(buf, buf + whole, have - whole);
        have -= whole;
    }
    /* A failed decoder may hold rows of the failed batch: don't reuse it. */
    if (rc) host->decoder_free(d);
    else pool_give(fs, d);
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
    };
    return &p;
}
