/* clean_source, Spark's cleanSource: once the batch that read a file has
 * committed, the file is deleted or moved under source_archive_dir. Only
 * then: a file in a planned batch may be read again (a replay after a
 * crash), so the source's commit callback, which the core calls after the
 * batch's commit marker is written, is where it happens. The store does
 * the deleting and moving (file_clean_local.c, s3_store.c).
 *
 * As in Spark it is best effort: a file that cannot be cleaned is a
 * warning, never a failed batch, and files of a batch committed just
 * before the process died stay, since the next run starts cleaning at its
 * first offset. Main thread only. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "file_source.h"

int file_clean_open(struct file_source *fs, struct sluice_error *err)
{
    const struct file_conf *conf = fs->conf;
    const struct sluice_host *host = fs->host;
    fs->clean_next = SIZE_MAX;
    fs->cleaning = conf->clean_source && strcmp(conf->clean_source, "off") != 0;
    bool archive = fs->cleaning && strcmp(conf->clean_source, "archive") == 0;
    const char *dir = conf->source_archive_dir && conf->source_archive_dir[0] ? conf->source_archive_dir : NULL;
    if (archive && !dir)
        return host->option_error(err, SLUICE_ECONFIG, "clean_source",
                                  "clean_source = \"archive\" needs source_archive_dir, where files go");
    if (!archive && dir)
        host->log(fs->ctx, SLUICE_LOG_WARN, "source_archive_dir is unused: clean_source is \"%s\", not \"archive\"",
                  conf->clean_source);
    return archive ? fs->store->ops->set_archive(fs->store, dir, err) : SLUICE_OK;
}

void file_clean_from(struct file_source *fs, size_t from)
{
    if (fs->clean_next == SIZE_MAX) fs->clean_next = from;
}

/* One file: its full path for the archive is the root's (a real path, or
 * s3://bucket/prefix) and its name, or the path an earlier root gave it. */
static void clean_one(struct file_source *fs, const struct file_entry *e)
{
    char *abs = NULL;
    if (e->here && asprintf(&abs, "%s/%s", fs->abs_dir, e->path + e->name) < 0) abs = NULL;
    struct sluice_error err = { 0 };
    int rc = e->here && !abs ? fs->host->error(&err, SLUICE_ENOMEM, "out of memory")
                             : fs->store->ops->clean(fs->store, e->path, e->here ? abs : e->path, &err);
    free(abs);
    if (rc == SLUICE_OK) {
        fs->cleaned++;
    } else if (rc == FILE_STORE_MISSING) {
        fs->host->log(fs->ctx, SLUICE_LOG_DEBUG, "clean_source: '%s' is already gone", e->path);
    } else {
        fs->clean_failed++;
        fs->host->log(fs->ctx, SLUICE_LOG_WARN, "clean_source: %s; '%s' stays where it is", err.message, e->path);
    }
}

void file_clean_commit(struct file_source *fs, size_t end)
{
    if (!fs->cleaning) return;
    if (end > fs->log.n) end = fs->log.n;
    if (fs->clean_next == SIZE_MAX) fs->clean_next = end; /* no plan seen: nothing known to be read */
    for (size_t i = fs->clean_next; i < end; i++) clean_one(fs, &fs->log.e[i]);
    if (end > fs->clean_next) fs->clean_next = end;
}

void file_clean_close(struct file_source *fs)
{
    if (!fs->cleaning || (!fs->cleaned && !fs->clean_failed)) return;
    bool archive = strcmp(fs->conf->clean_source, "archive") == 0;
    fs->host->log(fs->ctx, fs->clean_failed ? SLUICE_LOG_WARN : SLUICE_LOG_INFO,
                  "clean_source: %lld file%s %s, %lld could not be", (long long)fs->cleaned,
                  fs->cleaned == 1 ? "" : "s", archive ? "archived" : "deleted", (long long)fs->clean_failed);
}
