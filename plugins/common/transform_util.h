/* plugins/common/transform_util.h — header-only helpers shared by the
 * transform plugins (select, filter, with_column, explode, drop_nulls):
 * naming the option an open() error is about, declaring the columns an
 * expression reads, copying a schema node under another name, and taking
 * chosen rows of every column into an output batch.
 *
 * Header-only for the reason agg_util.h is: a plugin is built against the
 * SDK alone and links no helper library, so each .so compiles its own
 * static copy. Included by relative path after <sluice/plugin.h>; nothing
 * here is exported. Ownership follows the host functions each one calls. */
#ifndef SLUICE_PLUGINS_TRANSFORM_UTIL_H
#define SLUICE_PLUGINS_TRANSFORM_UTIL_H

#include <stdio.h>
#include <stdlib.h>

#include <sluice/plugin.h>

/* Records `key` as the option a failed open() is about, so the core can
 * point at its line in the config; returns rc unchanged. */
static inline int transform_keyed(struct sluice_error *err, const char *key, int rc)
{
    if (err && rc != SLUICE_OK) snprintf(err->key, sizeof err->key, "%s", key);
    return rc;
}

/* Declares every input path `e` reads, so the source parses it. */
static inline int transform_use_expr_columns(const struct sluice_host *host, struct sluice_ctx *ctx,
                                             const struct sluice_expr *e, struct sluice_error *err)
{
    const char *const *paths;
    size_t n = host->expr_columns(e, &paths);
    for (size_t i = 0; i < n; i++) {
        int rc = host->use_column(ctx, paths[i], err);
        if (rc != SLUICE_OK) return rc;
    }
    return SLUICE_OK;
}

/* *dst (zeroed) becomes a deep copy of `src` named `name`. */
static inline void transform_copy_named(const struct sluice_host *host, const struct ArrowSchema *src,
                                        const char *name, struct ArrowSchema *dst)
{
    host->schema_init(dst, src->format, name, (src->flags & ARROW_FLAG_NULLABLE) != 0, src->n_children);
    for (int64_t i = 0; i < src->n_children; i++) host->schema_copy(src->children[i], dst->children[i]);
}

/* *out becomes a batch of `out_schema` whose every column is input column i
 * (of `in_schema`) taken at rows[0..n), deep-copied; `in` stays the
 * caller's. Fails only for memory (SLUICE_ENOMEM), leaving *out untouched. */
static inline int transform_take_rows(const struct sluice_host *host, const struct ArrowSchema *in_schema,
                                      const struct sluice_batch *in, const int64_t *rows, int64_t n,
                                      const struct ArrowSchema *out_schema, struct sluice_batch *out,
                                      struct sluice_error *err)
{
    int64_t n_cols = in->array.n_children;
    struct ArrowArray *columns = calloc((size_t)n_cols + 1, sizeof *columns);
    if (!columns) return host->error(err, SLUICE_ENOMEM, "out of memory");
    for (int64_t i = 0; i < n_cols; i++)
        host->array_take(in_schema->children[i], in->array.children[i], rows, n, &columns[i]);
    host->batch_assemble(out, out_schema, n, columns, n_cols);
    free(columns);
    return SLUICE_OK;
}

#endif
