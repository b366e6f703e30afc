/* plugins/file/file_source.h — the file source's parts, private to it:
 * file.c (options and callbacks), file_log.c (the files seen: listing the
 * directory, the log in the checkpoint) and file_read.c (reading a unit).
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
    bool ignore_missing_files;
    int64_t min_file_age; /* µs; 0: off */
};

/* Decoders kept for reuse; more concurrent reads simply make more. */
#define FILE_POOL_MAX 64

/* One file of the log. Files of the configured directory are opened and
 * named by `path` + "/" + name, as the user wrote the path; files an
 * earlier `path` of the same checkpoint listed keep their absolute path. */
struct file_entry {
    char *path;      /* allocated once and never moved: a plan points at it */
    uint32_t name;   /* where the file's name starts in path */
    bool here;       /* in the configured directory */
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
    int64_t begin, end;
    int64_t planned_size; /* the file's size when planned; -1: it could not be stat'ed */
};

struct file_source {
    const struct sluice_host *host;
    const struct file_conf *conf;
    struct sluice_ctx *ctx;
    size_t dir_len;        /* conf->path without trailing slashes */
    char *abs_dir;         /* the directory's real path, as the checkpoint names it */
    enum sluice_parse_mode mode;
    struct file_log log;
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
    /* wait(): an inotify descriptor watching the directory, -1 before the
     * first wait, -2 once inotify proved unavailable (poll instead). */
    int inotify_fd;
    /* What prepare() said to produce. */
    struct sluice_projection projection;
    char **projection_paths;
    struct sluice_decode_opts decode_opts;
    pthread_mutex_t pool_lock;
    struct sluice_decoder *pool[FILE_POOL_MAX];
    size_t pool_n;
    /* Planned files that could not be opened, skipped (ignore_missing_files). */
    atomic_int_least64_t skipped_files;
};

/* ---- file_log.c ---- */

/* The log as the checkpoint has it, once, before the first offset. */
int file_log_load(struct file_source *fs, struct sluice_error *err);
/* Append files of the directory not in the log yet, in name order or
 * (latest_first) newest first, at most `limit` when limit > 0. */
int file_log_scan(struct file_source *fs, size_t limit, struct sluice_error *err);
/* Store the files added since the last store, before an offset counts them. */
int file_log_store(struct file_source *fs, struct sluice_error *err);
/* Whether the run keeps a checkpoint for this source. */
bool file_log_checkpointed(const struct file_source *fs);
void file_log_free(struct file_source *fs);

/* ---- file_read.c ---- */

/* Read one unit of the current plan (any worker thread). */
int file_read_unit(struct file_source *fs, const struct file_unit *u, sluice_emit_fn emit, void *emit_arg,
                   struct sluice_error *err);
void file_pool_free(struct file_source *fs);

#endif
