/* plugins/file/file_store_local.h — the local store's state, shared by
 * file_store_local.c (listing, reading, waiting) and file_clean_local.c
 * (clean_source: deleting and archiving files). Private to the file
 * source. */
#ifndef SLUICE_PLUGIN_FILE_STORE_LOCAL_H
#define SLUICE_PLUGIN_FILE_STORE_LOCAL_H

#include "file_store.h"

struct local_store {
    struct file_store base;
    const struct sluice_host *host;
    struct sluice_ctx *ctx;
    char *path;       /* as the user wrote it: the `path` option's root */
    /* wait(): an inotify descriptor watching the directory, -1 before the
     * first wait, -2 once inotify proved unavailable (poll instead). */
    int inotify_fd;
    char *archive; /* clean_source = "archive": the archive dir, absolute, symbolic links resolved */
};

/* The store's set_archive and clean (file_store.h). */
int file_store_local_set_archive(struct file_store *st, const char *dir, struct sluice_error *err);
int file_store_local_clean(struct file_store *st, const char *path, const char *abs, struct sluice_error *err);

#endif
