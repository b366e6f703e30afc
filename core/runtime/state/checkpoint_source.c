/* Source metadata in the checkpoint. See checkpoint_source.h. */
#include "checkpoint_source.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint_file.h"
#include "error.h"
#include "mem.h"
#include "stage.h"

#define KIND "source-meta"

struct attachment {
    const struct sluice_stage *stage;
    char *dir;
    bool made; /* the directory exists */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct attachment *attached;
static size_t n_attached;

void sluice_checkpoint_source_attach(const struct sluice_stage *stage, const char *dir)
{
    sluice_checkpoint_source_detach(stage);
    size_t n = strlen(dir) + strlen(stage->name) + 2;
    char *path = sluice_xmalloc(n);
    snprintf(path, n, "%s/%s", dir, stage->name);
    pthread_mutex_lock(&lock);
    attached = sluice_xrealloc(attached, (n_attached + 1) * sizeof *attached);
    attached[n_attached++] = (struct attachment){ stage, path, false };
    pthread_mutex_unlock(&lock);
}

void sluice_checkpoint_source_detach(const struct sluice_stage *stage)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < n_attached; i++) {
        if (attached[i].stage != stage) continue;
        free(attached[i].dir);
        attached[i] = attached[--n_attached];
        break;
    }
    if (!n_attached) {
        free(attached);
        attached = NULL;
    }
    pthread_mutex_unlock(&lock);
}

/* The stage's directory (a copy, the caller's), made on first use; NULL when not attached. */
static char *dir_of(const struct sluice_ctx *ctx, bool make, struct sluice_error *err, int *rc)
{
    *rc = SLUICE_OK;
    char *dir = NULL;
    bool made = false;
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < n_attached && !dir; i++) {
        if (attached[i].stage != ctx->stage) continue;
        dir = sluice_xstrdup(attached[i].dir);
        made = attached[i].made;
    }
    pthread_mutex_unlock(&lock);
    if (!dir || !make || made) return dir;
    *rc = sluice_checkpoint_mkdirs(dir, err);
    if (*rc) {
        free(dir);
        return NULL;
    }
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < n_attached; i++)
        if (attached[i].stage == ctx->stage) attached[i].made = true;
    pthread_mutex_unlock(&lock);
    return dir;
}

bool sluice_checkpoint_meta_enabled(const struct sluice_ctx *ctx)
{
    int rc;
    char *dir = dir_of(ctx, false, NULL, &rc);
    free(dir);
    return dir != NULL;
}

int sluice_checkpoint_meta_put(struct sluice_ctx *ctx, int64_t key, const void *data, size_t len,
                               struct sluice_error *err)
{
    if (key < 0) return sluice_error_set(err, SLUICE_EINTERNAL, "source metadata key %" PRId64 " is negative", key);
    int rc;
    char *dir = dir_of(ctx, true, err, &rc);
    if (!dir) return rc;
    char name[24];
    snprintf(name, sizeof name, "%" PRId64, key);
    rc = sluice_checkpoint_file_write(dir, name, KIND, data, len, err);
    free(dir);
    return rc;
}

int sluice_checkpoint_meta_scan(struct sluice_ctx *ctx, sluice_meta_fn fn, void *arg, struct sluice_error *err)
{
    int rc;
    char *dir = dir_of(ctx, false, err, &rc);
    if (!dir) return rc;
    int64_t *ids;
    size_t n;
    rc = sluice_checkpoint_list_ids(dir, "", &ids, &n, err);
    struct sluice_buf text = { 0 };
    for (size_t i = 0; i < n && !rc; i++) {
        char name[24];
        snprintf(name, sizeof name, "%" PRId64, ids[i]);
        size_t pn = strlen(dir) + strlen(name) + 2;
        char *path = sluice_xmalloc(pn);
        snprintf(path, pn, "%s/%s", dir, name);
        rc = sluice_checkpoint_file_read(path, KIND, &text, err);
        free(path);
        if (!rc) rc = fn(arg, ids[i], text.data, text.len, err);
    }
    sluice_buf_free(&text);
    free(ids);
    free(dir);
    return rc;
}

int sluice_checkpoint_meta_trim(struct sluice_ctx *ctx, int64_t below, struct sluice_error *err)
{
    int rc;
    char *dir = dir_of(ctx, false, err, &rc);
    if (!dir) return rc;
    int64_t *ids;
    size_t n;
    rc = sluice_checkpoint_list_ids(dir, "", &ids, &n, err);
    bool removed = false;
    for (size_t i = 0; i < n && !rc && ids[i] < below; i++) {
        char name[24];
        snprintf(name, sizeof name, "%" PRId64, ids[i]);
        size_t pn = strlen(dir) + strlen(name) + 2;
        char *path = sluice_xmalloc(pn);
        snprintf(path, pn, "%s/%s", dir, name);
        if (unlink(path) != 0 && errno != ENOENT)
            rc = sluice_error_set(err, SLUICE_EIO, "cannot remove checkpoint file '%s': %s", path, strerror(errno));
        removed = true;
        free(path);
    }
    /* Durable, so a trimmed entry never comes back after a crash. */
    if (!rc && removed) rc = sluice_checkpoint_sync_dir(dir, err);
    free(ids);
    free(dir);
    return rc;
}
