/* Source metadata in the checkpoint. See checkpoint_source.h. */
#include "checkpoint_source.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint_file.h"
#include "error.h"
#include "mem.h"
#include "stage.h"

#define KIND "source-meta"

void sluice_checkpoint_source_attach(struct sluice_stage *stage, const char *dir)
{
    struct sluice_ctx *ctx = &stage->ctx;
    free(ctx->meta_dir);
    size_t n = strlen(dir) + strlen(stage->name) + 2;
    ctx->meta_dir = sluice_xmalloc(n);
    snprintf(ctx->meta_dir, n, "%s/%s", dir, stage->name);
    ctx->meta_dir_made = false;
    ctx->meta_readonly = false;
}

void sluice_checkpoint_source_attach_readonly(struct sluice_stage *stage, const char *dir)
{
    sluice_checkpoint_source_attach(stage, dir);
    stage->ctx.meta_readonly = true;
}

void sluice_checkpoint_source_detach(struct sluice_stage *stage)
{
    free(stage->ctx.meta_dir);
    stage->ctx.meta_dir = NULL;
    stage->ctx.meta_dir_made = false;
}

/* The stage's directory, made on first use when `make`; NULL when not attached. */
static const char *dir_of(struct sluice_ctx *ctx, bool make, struct sluice_error *err, int *rc)
{
    *rc = SLUICE_OK;
    if (!ctx->meta_dir || !make || ctx->meta_dir_made) return ctx->meta_dir;
    *rc = sluice_checkpoint_mkdirs(ctx->meta_dir, err);
    if (*rc) return NULL;
    ctx->meta_dir_made = true;
    return ctx->meta_dir;
}

bool sluice_checkpoint_source_enabled(const struct sluice_ctx *ctx)
{
    return ctx->meta_dir != NULL;
}

int sluice_checkpoint_source_put(struct sluice_ctx *ctx, int64_t key, const void *data, size_t len,
                               struct sluice_error *err)
{
    if (key < 0) return sluice_error_set(err, SLUICE_EINTERNAL, "source metadata key %" PRId64 " is negative", key);
    if (ctx->meta_readonly) return SLUICE_OK;
    int rc;
    const char *dir = dir_of(ctx, true, err, &rc);
    if (!dir) return rc;
    char name[24];
    snprintf(name, sizeof name, "%" PRId64, key);
    rc = sluice_checkpoint_file_write(dir, name, KIND, data, len, err);
    return rc;
}

int sluice_checkpoint_source_scan(struct sluice_ctx *ctx, sluice_meta_fn fn, void *arg, struct sluice_error *err)
{
    int rc;
    const char *dir = dir_of(ctx, false, err, &rc);
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
    return rc;
}

int sluice_checkpoint_source_trim(struct sluice_ctx *ctx, int64_t below, struct sluice_error *err)
{
    if (ctx->meta_readonly) return SLUICE_OK;
    int rc;
    const char *dir = dir_of(ctx, false, err, &rc);
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
    return rc;
}
