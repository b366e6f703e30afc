/* plugins/file/file_source.h — the file source's parts, private to it:
 * file.c (options and callbacks), file_log.c (the files seen: listing the
 * directory, the log in the checkpoint) and file_read.c (reading a unit),
 * over a store (file_store.h): a local directory, or an S3 prefix for the
 * `s3` source, which is built from the same files (s3_source.c).
 * See file.c for the whole design; the thread rules are there too. */
#ifndef SLUICE_PLUGIN_FILE_SOURCE_H
#define SLUICE_PLUGIN_FILE_SOURCE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/offset.h>
#include <sluice/plugin.h>

#include "file_store.h"

struct file_conf {
    const char *path;
    const char *format;
    const struct ArrowSchema *schema;
    int64_t max_files_per_trigger;
    int64_t max_bytes_per_trigger;
    bool latest_first;
    const char *mode;
    const char *column_name_of_corrupt_record;
    bool header;
    const char *sep;
    int64_t max_partition_bytes;
    bool ignore_missing_files;
    int64_t min_file_age; /* µs; 0: off */
    int64_t max_file_age; /* µs; 0: off */
    const char *path_glob_filter; /* NULL: every name */
    const char *clean_source;     /* off|delete|archive */
    const char *source_archive_dir;
    /* The s3 source's own options (s3_source.c); the file source leaves them zero. */
    const char *region;
    const char *endpoint;
    const char *profile;
    bool requester_pays;
    bool anonymous;
    int64_t poll_interval; /* µs */
    int64_t timeout;       /* µs */
    int64_t max_retries;
    struct sluice_strlist partition_columns;
};

/* The options both sources take, in the order `sluice plugins` shows
 * them; only the help of `path` differs. */
#define FILE_SOURCE_OPTIONS(path_help)                                                                           \
    { .name = "path", .type = SLUICE_OPT_STRING, .flags = SLUICE_OPT_REQUIRED,                                 \
      .offset = offsetof(struct file_conf, path), .help = path_help },                                         \
    { .name = "format", .type = SLUICE_OPT_ENUM, .default_value = "json",                                      \
      .offset = offsetof(struct file_conf, format), .help = "file format: JSON lines or CSV",                  \
      .choices = "json|csv" },                                                                                 \
    { .name = "schema", .type = SLUICE_OPT_SCHEMA, .flags = SLUICE_OPT_REQUIRED,                               \
      .offset = offsetof(struct file_conf, schema),                                                            \
      .help = "schema of the rows: Spark StructType JSON, DDL, or @file (streams need one, as in Spark)" },    \
    { .name = "max_files_per_trigger", .type = SLUICE_OPT_LONG, .default_value = "0",                          \
      .offset = offsetof(struct file_conf, max_files_per_trigger),                                             \
      .help = "most new files read per micro-batch (0: no limit)", .min = "0" },                               \
    { .name = "max_bytes_per_trigger", .type = SLUICE_OPT_LONG, .default_value = "0",                          \
      .offset = offsetof(struct file_conf, max_bytes_per_trigger),                                             \
      .help = "most bytes of new files read per micro-batch, a soft limit: a batch takes at least one file "   \
              "(0: no limit; not with max_files_per_trigger)", .min = "0" },                                   \
    { .name = "latest_first", .type = SLUICE_OPT_BOOL, .default_value = "false",                               \
      .offset = offsetof(struct file_conf, latest_first),                                                      \
      .help = "read the newest new files first (useful with max_files_per_trigger)" },                         \
    { .name = "mode", .type = SLUICE_OPT_ENUM, .default_value = "permissive",                                  \
      .offset = offsetof(struct file_conf, mode),                                                              \
      .help = "malformed lines: a row of nulls, dropped, or an error",                                         \
      .choices = "permissive|drop_malformed|fail_fast" },                                                      \
    { .name = "column_name_of_corrupt_record", .type = SLUICE_OPT_STRING, .default_value = "_corrupt_record", \
      .offset = offsetof(struct file_conf, column_name_of_corrupt_record),                                     \
      .help = "string column that keeps malformed lines in permissive mode, if the schema has it" },           \
    { .name = "header", .type = SLUICE_OPT_BOOL, .default_value = "false",                                     \
      .offset = offsetof(struct file_conf, header),                                                            \
      .help = "csv: the first line of each file names the columns" },                                          \
    { .name = "sep", .type = SLUICE_OPT_STRING, .default_value = ",", .offset = offsetof(struct file_conf, sep), \
      .help = "csv: the field separator (one character)" },                                                    \
    { .name = "max_partition_bytes", .type = SLUICE_OPT_LONG, .default_value = "8388608",                      \
      .offset = offsetof(struct file_conf, max_partition_bytes),                                               \
      .help = "files larger than this are read as several units of about this size, cut at line "             \
              "boundaries, so one big file uses every thread (0: one unit per file)",                         \
      .min = "0" },                                                                                            \
    { .name = "ignore_missing_files", .type = SLUICE_OPT_BOOL, .default_value = "false",                       \
      .offset = offsetof(struct file_conf, ignore_missing_files),                                              \
      .help = "a planned file gone (or unreadable) when read is skipped with a warning instead of failing "    \
              "the batch and every restart (Spark's ignoreMissingFiles)" },                                    \
    { .name = "min_file_age", .type = SLUICE_OPT_DURATION, .default_value = "0 seconds",                       \
      .offset = offsetof(struct file_conf, min_file_age),                                                      \
      .help = "read a file only once its size and modification time have not changed for this long, "         \
              "for writers that write in place instead of renaming a finished file in (0: off)" },              \
    { .name = "max_file_age", .type = SLUICE_OPT_DURATION, .default_value = "0 seconds",                       \
      .offset = offsetof(struct file_conf, max_file_age),                                                      \
      .help = "leave out new files modified this long before the newest file read so far (Spark's "            \
              "maxFileAge; 0: off); ignored with latest_first and a per-trigger limit, as in Spark" },         \
    { .name = "path_glob_filter", .type = SLUICE_OPT_STRING,                                                  \
      .offset = offsetof(struct file_conf, path_glob_filter), .validate = file_glob_validate,                 \
      .help = "read only files whose name matches this glob: * ? [abc] [a-z] [!a] {x,y} (Spark's "            \
              "pathGlobFilter)" },                                                                             \
    { .name = "partition_columns", .type = SLUICE_OPT_STRING_LIST,                                           \
      .offset = offsetof(struct file_conf, partition_columns),                                                 \
      .help = "key=value directories below path that become columns, typed as Spark infers them (a column "    \
              "the schema names is a partition column without being listed, typed as the schema says)" },      \
    { .name = "clean_source", .type = SLUICE_OPT_ENUM, .default_value = "off",                                 \
      .offset = offsetof(struct file_conf, clean_source),                                                      \
      .help = "once the batch that read a file has committed: leave it, delete it, or move it under "          \
              "source_archive_dir (Spark's cleanSource); a failure is a warning", .choices = "off|delete|archive" }, \
    { .name = "source_archive_dir", .type = SLUICE_OPT_STRING,                                                 \
      .offset = offsetof(struct file_conf, source_archive_dir),                                                \
      .help = "clean_source = \"archive\": where read files go, each at its full path below it (Spark's "      \
              "sourceArchiveDir); not inside path, and for s3 in the same bucket" }

/* A glob on file names, expanded into brace-free fnmatch patterns (file_glob.c). */
struct file_glob {
    char **alts;
    size_t n;
};
/* The option's check: the pattern compiles. */
int file_glob_validate(const struct sluice_host *host, const void *value, struct sluice_error *err);

/* `path` split where its glob levels begin (file_walk.c): the root (as
 * the user wrote it, trailing '/' and all, when there are no levels),
 * and a pattern per level below. */
struct file_path {
    char *root;
    struct file_glob *levels;
    size_t n_levels;
};

/* The partition columns (file_part.c): `key=value` directories. */
struct file_part_col {
    char *name;
    uint32_t type; /* enum sluice_type */
};
struct file_parts {
    struct file_part_col *cols; /* in directory order; n == 0: none */
    size_t n;
    struct ArrowSchema data;    /* what the files hold: the schema without them (for the decoder) */
    struct ArrowSchema values;  /* a struct of the partition columns (for a builder) */
};
/* One file's value of each partition column. */
struct file_part_value {
    bool null;
    bool b;
    int64_t l;
    double d;
    char *s;
    size_t n;
};

/* Decoders kept for reuse; more concurrent reads simply make more. */
#define FILE_POOL_MAX 64

/* One file of the log. Files of the configured directory are opened and
 * named by the root + "/" + name, as the user wrote the path, their name
 * being their path below the root (with '/' in partitions and glob
 * levels); files an earlier `path` of the same checkpoint listed keep
 * their absolute path. */
struct file_entry {
    char *path;      /* allocated once and never moved: a plan points at it */
    uint32_t name;   /* where the file's name (its path below the root) starts in path */
    bool here;       /* in the configured directory */
    int64_t size;    /* bytes when listed; -1: not known (loaded from the checkpoint) */
};

/* The files seen so far, in the order they are read. */
struct file_log {
    struct file_entry *e;
    size_t n, cap;
    uint32_t *slots; /* the names of the files `here`: log index + 1, 0 = empty */
    size_t n_slots;
};

/* A set of names with, for each, what the listing last saw of it. */
struct file_seen {
    char *name;
    int64_t size, mtime_ns;
    int64_t since_us; /* wall clock: since when size and mtime are as they are */
};
struct file_seen_set {
    struct file_seen *e; /* open addressing, name NULL = empty */
    size_t n, n_slots;
};

/* One unit of the current plan: the lines of `path` that start in
 * [begin, end); end is INT64_MAX for a file's last unit, which reads to
 * the end of the file. */
struct file_unit {
    const char *path;
    const char *name; /* the file's path below the root: its partition directories */
    int64_t begin, end;
    int64_t planned_size; /* the file's size when planned; -1: it could not be stat'ed */
};

struct file_source {
    const struct sluice_host *host;
    const struct file_conf *conf;
    struct sluice_ctx *ctx;
    struct file_path path; /* conf->path: the root, and its glob levels */
    size_t dir_len;        /* path.root without trailing slashes */
    struct file_parts parts;
    struct file_store *store;
    const char *abs_dir;   /* store->root: the directory as the checkpoint names it */
    enum sluice_parse_mode mode;
    struct file_glob glob; /* path_glob_filter; n == 0: none */
    char *chain;           /* with partition columns: the partition keys of the files read ("day/hour/") */
    struct file_log log;
    /* max_file_age in ns (0: off, or ignored), and the newest modification
     * time of a file in the log (0: none known). */
    int64_t max_age_ns, newest_ns;
    /* The log in the checkpoint: loaded once, files [0, log_stored) stored
     * in log_entries entries. */
    bool log_loaded;
    size_t log_stored, log_entries;
    /* Listing: entries already warned about (once per run), and files too
     * young for min_file_age, with the wall-clock time the first of them
     * is old enough (INT64_MAX: none). */
    struct file_seen_set warned, young;
    int64_t young_ready_us;
    /* The current plan. */
    struct file_unit *plan;
    size_t plan_n, plan_cap;
    /* What prepare() said to produce. */
    struct sluice_projection projection;
    char **projection_paths;
    struct sluice_decode_opts decode_opts;
    pthread_mutex_t pool_lock;
    struct sluice_decoder *pool[FILE_POOL_MAX];
    size_t pool_n;
    /* Planned files that could not be opened, skipped (ignore_missing_files). */
    atomic_int_least64_t skipped_files;
    /* clean_source: on, the first file of the log not cleaned yet (SIZE_MAX
     * until the run's first offset says where it starts), and counts. */
    bool cleaning;
    size_t clean_next;
    int64_t cleaned, clean_failed;
};

/* ---- file.c: the callbacks both sources share ---- */

/* The checks of the shared options, before the store is opened. */
int file_source_check(const struct sluice_host *host, const struct file_conf *conf, struct sluice_error *err);
/* open() once the store is open on path->root: the checks of the shared
 * options, the output schema. Takes the store and *path (left empty),
 * also on error. */
int file_source_open(const struct sluice_host *host, const struct file_conf *conf, struct sluice_ctx *ctx,
                     struct file_path *path, struct file_store *store, void **state, struct sluice_error *err);
void file_source_close(void *state);
int file_source_prepare(void *state, const struct sluice_projection *projection, struct sluice_error *err);
int file_source_latest_offset(void *state, const char *start, bool limited, struct sluice_buf *out,
                              struct sluice_error *err);
int file_source_plan_read(void *state, const char *start, const char *end, size_t *n_units,
                          struct sluice_error *err);
int file_source_read(void *state, size_t unit, sluice_emit_fn emit, void *emit_arg, struct sluice_error *err);
int file_source_commit(void *state, const char *end, struct sluice_error *err);
int file_source_wait(void *state, int64_t timeout_us, int wake_fd, struct sluice_error *err);

#define FILE_SOURCE_CALLBACKS                                                                      \
    .close = file_source_close, .prepare = file_source_prepare,                                    \
    .latest_offset = file_source_latest_offset, .plan_read = file_source_plan_read,                \
    .read = file_source_read, .commit = file_source_commit, .wait = file_source_wait

/* ---- file_log.c ---- */

/* The log as the checkpoint has it, once, before the first offset. */
int file_log_load(struct file_source *fs, struct sluice_error *err);
/* How many of the new files a listing appends (latest_first): at most
 * `files` (0: any number) and `bytes` in all (< 0: any size), but the
 * first whatever its size when `one_anyway`, as Spark's soft limit. */
struct file_take {
    size_t files;
    int64_t bytes;
    bool one_anyway;
};
/* Append files of the directory not in the log yet, in name order or
 * (latest_first) newest first, as many as `take` says (NULL: all). */
int file_log_scan(struct file_source *fs, const struct file_take *take, struct sluice_error *err);
/* The size of file i of the log, from the listing or else the store (0
 * when it cannot be known: the read will say why). */
int64_t file_log_size(struct file_source *fs, size_t i);
/* Store the files added since the last store, before an offset counts them. */
int file_log_store(struct file_source *fs, struct sluice_error *err);
/* Whether the run keeps a checkpoint for this source. */
bool file_log_checkpointed(const struct file_source *fs);
void file_log_free(struct file_source *fs);

/* ---- file_walk.c ---- */

/* Split `path` (the option) into root and glob levels. SLUICE_ECONFIG for
 * a level that does not compile. On SLUICE_OK, *out is the caller's to
 * free with file_path_free. */
int file_path_split(const struct sluice_host *host, const char *path, struct file_path *out,
                    struct sluice_error *err);
void file_path_free(struct file_path *p);
/* Whether a directory name is a partition: `key=value`, both non-empty. */
bool file_partition_dir(const char *name, size_t n);

/* What a walk reports; `rel` is the path below the root (borrowed). */
struct file_walk_hooks {
    /* Leave an entry out before it costs a stat. `file`: it can only be
     * read as a file (every test applies); else it may be a directory to
     * enter, and only a file already known may be left out (the walk asks
     * again, with `file`, once it is known to be a file). */
    bool (*skip)(void *arg, const char *rel, bool file);
    /* Optional: a file to read. */
    int (*file)(void *arg, const char *rel, const struct file_store_entry *e, struct sluice_error *err);
    /* Optional: an entry not read, and why (`level` an enum sluice_log_level). */
    void (*skipped)(void *arg, const char *rel, uint32_t level, const char *why);
    /* Optional: a partition directory entered, `below` levels under the pattern. */
    int (*dir)(void *arg, const char *rel, size_t below, struct sluice_error *err);
};
/* Walk the root: the glob levels, then partition directories. */
int file_walk(struct file_source *fs, const struct file_walk_hooks *h, void *arg, struct sluice_error *err);

/* ---- file_part.c ---- */

/* Find the partition columns (walking the tree once) and make the output
 * schema in *out (the caller's). */
int file_parts_open(struct file_source *fs, struct ArrowSchema *out, struct sluice_error *err);
void file_parts_free(struct file_source *fs);
/* Whether projection path `path` is (in) a partition column. */
bool file_parts_column(const struct file_source *fs, const char *path);
/* The partition keys of the file at `rel` ("day/hour/"), to check that
 * every file has the same: SLUICE_ENOMEM or SLUICE_OK. */
int file_parts_chain(const struct file_source *fs, const char *rel, struct sluice_buf *out);
/* The file at `rel`'s value of each partition column into v[0, parts.n)
 * (free them with file_parts_values_free). */
int file_parts_values(const struct file_source *fs, const char *rel, struct file_part_value *v,
                      struct sluice_error *err);
void file_parts_values_free(const struct file_source *fs, struct file_part_value *v);
/* Append `rows` rows of those values to a builder of parts.values. */
void file_parts_build(const struct file_source *fs, const struct file_part_value *v, int64_t rows,
                      struct sluice_builder *b);

/* ---- file_clean.c ---- */

/* clean_source at open: check source_archive_dir and hand it to the store. */
int file_clean_open(struct file_source *fs, struct sluice_error *err);
/* The run's first offset: files before it were cleaned by an earlier run. */
void file_clean_from(struct file_source *fs, size_t from);
/* The batch ending at file `end` committed: clean the files up to it. */
void file_clean_commit(struct file_source *fs, size_t end);
/* What was cleaned, said when the run ends. */
void file_clean_close(struct file_source *fs);

/* ---- file_glob.c ---- */

/* On SLUICE_OK, *out is the caller's to free with file_glob_free. */
int file_glob_compile(const struct sluice_host *host, const char *pattern, struct file_glob *out,
                      struct sluice_error *err);
bool file_glob_match(const struct file_glob *g, const char *name);
void file_glob_free(struct file_glob *g);

/* ---- file_gzip.c ---- */

struct file_gz;
/* Whether `path` names a gzip file: its name ends in ".gz", as Spark decides. */
bool file_gz_name(const char *path);
/* Decompress `f` (borrowed; the caller closes it after file_gz_close). */
int file_gz_open(struct file_source *fs, struct file_store_file *f, const char *path, struct file_gz **out,
                 struct sluice_error *err);
/* As a store's read, over the uncompressed bytes (any worker thread). */
int file_gz_read(struct file_gz *g, char *buf, size_t n, int64_t off, size_t *got, struct sluice_error *err);
void file_gz_close(struct file_gz *g);

/* ---- file_read.c ---- */

/* Read one unit of the current plan (any worker thread). */
int file_read_unit(struct file_source *fs, const struct file_unit *u, sluice_emit_fn emit, void *emit_arg,
                   struct sluice_error *err);
void file_pool_free(struct file_source *fs);

#endif
