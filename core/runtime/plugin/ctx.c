#include "ctx.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "colpath.h"
#include "error.h"
#include "log.h"
#include "mem.h"
#include "schema.h"
#include "stage.h"

const char *sluice_ctx_stage_name(const struct sluice_ctx *ctx)
{
    return ctx && ctx->stage && ctx->stage->name ? ctx->stage->name : "";
}

int64_t sluice_ctx_parallelism(const struct sluice_ctx *ctx)
{
    return ctx && ctx->parallelism > 0 ? ctx->parallelism : 1;
}

const struct ArrowSchema *sluice_ctx_input_schema(const struct sluice_ctx *ctx)
{
    return ctx->input_schema;
}

int sluice_ctx_set_output_schema(struct sluice_ctx *ctx, struct ArrowSchema *schema,
                                 struct sluice_error *err)
{
    const char *name = sluice_ctx_stage_name(ctx);
    if (!schema || !schema->release)
        return sluice_error_set(err, SLUICE_EPLUGIN, "stage '%s' declared an empty output schema", name);
    int rc = SLUICE_OK;
    if (ctx->output_schema.release)
        rc = sluice_error_set(err, SLUICE_EPLUGIN, "stage '%s' declared its output schema twice", name);
    else if (sluice_type_of(schema) != SLUICE_TYPE_STRUCT)
        rc = sluice_error_set(err, SLUICE_EPLUGIN,
                              "stage '%s' declared a %s output schema; rows are structs", name,
                              sluice_type_name(sluice_type_of(schema)));
    if (rc != SLUICE_OK) {
        sluice_schema_release(schema); /* ownership passed to us with the call */
        return rc;
    }
    ctx->output_schema = *schema;
    schema->release = NULL;
    return SLUICE_OK;
}

const struct ArrowSchema *sluice_ctx_output_schema(const struct sluice_ctx *ctx)
{
    return ctx->output_schema.release ? &ctx->output_schema : NULL;
}

/* A path already in projection form (what host->expr_columns returns, e.g.
 * `includes.users.verified`: arrays stepped through without an index) is
 * recorded as it names the schema. Returns false when `path` is not one, so
 * the caller resolves it as a column path with indexes and reports errors. */
static bool projection_path_of(const struct ArrowSchema *schema, const char *path, struct sluice_buf *out)
{
    size_t len = strlen(path);
    char *storage = sluice_xmalloc(len + 1);
    const char *segs[SLUICE_PATH_MAX_DEPTH];
    int n = sluice_projection_path_split(path, storage, segs, SLUICE_PATH_MAX_DEPTH);
    const struct ArrowSchema *node = schema;
    bool ok = n > 0;
    for (int i = 0; ok && i < n; i++) {
        while (sluice_type_of(node) == SLUICE_TYPE_ARRAY) node = node->children[0];
        int64_t k = sluice_type_of(node) == SLUICE_TYPE_STRUCT ? sluice_schema_child_index(node, segs[i]) : -1;
        if (k < 0) {
            ok = false;
            break;
        }
        node = node->children[k];
        if (i) sluice_buf_putc(out, '.');
        sluice_col_append_name(out, node->name);
    }
    free(storage);
    if (!ok) sluice_buf_free(out);
    return ok;
}

int sluice_ctx_use_column(struct sluice_ctx *ctx, const char *path, struct sluice_error *err)
{
    const char *name = sluice_ctx_stage_name(ctx);
    if (!ctx->input_schema) {
        sluice_error_set(err, SLUICE_EPLUGIN, "stage '%s' has no input to read column '%s' from",
                         name, path);
        sluice_error_stage(err, name);
        return SLUICE_EPLUGIN;
    }
    struct sluice_buf b = { 0 };
    if (!projection_path_of(ctx->input_schema, path, &b)) {
        struct sluice_col col;
        int rc = sluice_col_resolve(ctx->input_schema, path, &col, err);
        if (rc != SLUICE_OK) {
            sluice_error_stage(err, name);
            return rc;
        }
        sluice_col_projection_path(ctx->input_schema, &col, &b);
    }
    if (!b.data) return SLUICE_OK; /* the whole row: nothing narrower to record */
    for (size_t i = 0; i < ctx->n_used; i++) {
        if (strcmp(ctx->used[i], b.data) == 0) {
            sluice_buf_free(&b);
            return SLUICE_OK;
        }
    }
    ctx->used = sluice_xrealloc(ctx->used, (ctx->n_used + 1) * sizeof *ctx->used);
    ctx->used[ctx->n_used++] = b.data; /* the buffer's string is ours now */
    return SLUICE_OK;
}

void sluice_ctx_use_all_columns(struct sluice_ctx *ctx)
{
    ctx->use_all = true;
}

void sluice_ctx_pass_column(struct sluice_ctx *ctx, int64_t out_index, int64_t in_index)
{
    /* A bound keeps a plugin bug from asking for a huge map. */
    if (out_index < 0 || out_index >= (int64_t)1 << 20) {
        sluice_ctx_log(ctx, SLUICE_LOG_WARN, "pass_column: output column %lld out of range, ignored",
                       (long long)out_index);
        return;
    }
    size_t need = (size_t)out_index + 1;
    if (need > ctx->n_pass_from) {
        ctx->pass_from = sluice_xrealloc(ctx->pass_from, need * sizeof *ctx->pass_from);
        for (size_t i = ctx->n_pass_from; i < need; i++) ctx->pass_from[i] = -1;
        ctx->n_pass_from = need;
    }
    ctx->pass_from[out_index] = in_index < 0 ? -1 : in_index;
}

void sluice_ctx_count_malformed(struct sluice_ctx *ctx, int64_t n)
{
    atomic_fetch_add_explicit(&ctx->malformed, n, memory_order_relaxed);
}

int64_t sluice_ctx_malformed(const struct sluice_ctx *ctx)
{
    return atomic_load_explicit(&((struct sluice_ctx *)ctx)->malformed, memory_order_relaxed);
}

void sluice_ctx_count_invalid_utf8(struct sluice_ctx *ctx, int64_t n)
{
    atomic_fetch_add_explicit(&ctx->invalid_utf8, n, memory_order_relaxed);
}

int64_t sluice_ctx_invalid_utf8(const struct sluice_ctx *ctx)
{
    return atomic_load_explicit(&((struct sluice_ctx *)ctx)->invalid_utf8, memory_order_relaxed);
}

void sluice_ctx_log(const struct sluice_ctx *ctx, enum sluice_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sluice_logv(level, sluice_ctx_stage_name(ctx), fmt, ap);
    va_end(ap);
}

void sluice_ctx_free(struct sluice_ctx *ctx)
{
    sluice_schema_release(&ctx->output_schema);
    for (size_t i = 0; i < ctx->n_used; i++) free(ctx->used[i]);
    free(ctx->used);
    free(ctx->pass_from);
    ctx->used = NULL;
    ctx->n_used = 0;
    ctx->pass_from = NULL;
    ctx->n_pass_from = 0;
    ctx->use_all = false;
    free(ctx->meta_dir);
    ctx->meta_dir = NULL;
    free(ctx->group_fingerprint);
    ctx->group_fingerprint = NULL;
    if (ctx->ckpt_locked) close(ctx->ckpt_lock_fd);
    ctx->ckpt_locked = false;
}
