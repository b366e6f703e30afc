/* plugins/file/file_store.h — where the file source's files live, behind
 * one seam: a local directory (file_store_local.c) or an S3 prefix
 * (s3_store.c). The source itself (file.c, file_log.c, file_read.c) keeps
 * the log, the plan, the units and the decoding, and asks a store only for
 * what differs: list the directory, the size of a file to plan it, read a
 * byte range of a file, wait for news. So every option of the file source
 * means the same for every store, and a store is a few hundred lines.
 *
 * Paths: a store lists one directory, its `root` (a real path, or
 * s3://bucket/prefix), or a subdirectory of it, by names that hold no
 * '/'; the source names a file by a path it makes as directory + "/" +
 * its path below the directory, and hands that path back to size() and
 * open().
 *
 * Threads: list, size, wait and free run on the main thread; open, read
 * and close on any worker thread, concurrently for different files. A
 * store_file is used by one thread at a time. */
#ifndef SLUICE_PLUGIN_FILE_STORE_H
#define SLUICE_PLUGIN_FILE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/plugin.h>

/* open() of a file that is not there (or no longer a file to read): not a
 * sluice status, never returned by the source; the message in err says
 * why, and the source decides (ignore_missing_files) whether it fails. */
#define FILE_STORE_MISSING 100

enum file_store_kind {
    FILE_STORE_REGULAR = 0, /* a file to read */
    FILE_STORE_DIR,         /* a subdirectory (an S3 common prefix): not read */
    FILE_STORE_OTHER,       /* not a file to read; `why` says what it is */
};

/* One entry of a listing, borrowed for the call. */
struct file_store_entry {
    const char *name;
    uint32_t kind;    /* enum file_store_kind */
    const char *why;  /* FILE_STORE_OTHER: why it is skipped */
    int64_t size;     /* bytes (REGULAR) */
    int64_t mtime_ns; /* last modification, ns since the epoch (REGULAR) */
};

/* Whether to leave `name` out before anything costly is done for it (a
 * stat per entry): names already in the log, hidden names. */
typedef bool (*file_store_skip_fn)(void *arg, const char *name);
/* An entry not skipped; a non-zero status ends the listing with it. */
typedef int (*file_store_each_fn)(void *arg, const struct file_store_entry *e, struct sluice_error *err);

struct file_store;
struct file_store_file;

struct file_store_ops {
    /* Every entry of the root's subdirectory `sub` (NULL: the root itself;
     * else a path below it, as entries named it, joined by '/'), in no
     * particular order, named by their names in it. A subdirectory gone
     * since it was listed is empty, not an error. */
    int (*list)(struct file_store *st, const char *sub, file_store_skip_fn skip, file_store_each_fn each,
                void *arg, struct sluice_error *err);
    /* The size of a file, to cut it into units; -1 when it cannot be
     * known now (the read will say why). */
    int64_t (*size)(struct file_store *st, const char *path);
    /* Open `path` to read bytes from about `from` to about `to` (INT64_MAX:
     * its end), hints a store may use to ask for no more than that; *size
     * is the file's size now. FILE_STORE_MISSING when it is gone. On
     * SLUICE_OK, *out is the caller's to close. */
    int (*open)(struct file_store *st, const char *path, int64_t from, int64_t to, struct file_store_file **out,
                int64_t *size, struct sluice_error *err);
    /* Read up to n bytes at `off` into buf; *got 0 at the end of the file. */
    int (*read)(struct file_store_file *f, char *buf, size_t n, int64_t off, size_t *got, struct sluice_error *err);
    void (*close)(struct file_store_file *f);
    /* As the source's wait(): block until the root may hold something
     * new, timeout_us passes, or wake_fd turns readable. */
    int (*wait)(struct file_store *st, int64_t timeout_us, int wake_fd, struct sluice_error *err);
    void (*free)(struct file_store *st);
    /* clean_source = "archive": check that `dir` (the option, as the user
     * wrote it) can take the files (SLUICE_ECONFIG when it is the root,
     * inside it, or where the store cannot move files to) and keep it for
     * clean(). Main thread, at open: it changes nothing outside. */
    int (*set_archive)(struct file_store *st, const char *dir, struct sluice_error *err);
    /* clean_source, once the batch that read file `path` has committed:
     * move it under the archive dir at its full path `abs` (root + "/" +
     * name), as Spark's sourceArchiveDir keeps it, or, with no archive
     * set, delete it. FILE_STORE_MISSING when it is already gone. Main
     * thread. */
    int (*clean)(struct file_store *st, const char *path, const char *abs, struct sluice_error *err);
};

/* Every store starts with this. */
struct file_store {
    const struct file_store_ops *ops;
    /* The root as the checkpoint names it, so "in", "./in/" and "/abs/in"
     * are one directory: a real path, or s3://bucket/prefix. It holds a
     * '/', which names never do (file_log.c tells them apart by it). */
    char *root;
};

/* The local directory `path` (as the user wrote it). SLUICE_ECONFIG when
 * it is not a readable directory. On SLUICE_OK, *out is the caller's to
 * free with (*out)->ops->free. */
int file_store_local_open(const struct sluice_host *host, struct sluice_ctx *ctx, const char *path,
                          struct file_store **out, struct sluice_error *err);

#endif
