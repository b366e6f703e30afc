/* sluice/transform.h — header-only helpers for the common shapes of a
 * transform's open() and process(), built on the host table: declaring
 * what an expression reads, an output schema that is the input plus a
 * column, passing input columns through, and an output batch made of the
 * input's columns (moved, not copied) and new ones.
 *
 * Header-only: a plugin links no helper library, so each .so compiles its
 * own static copy; nothing here is exported. Include after
 * <sluice/plugin.h>. Ownership follows the host functions each one calls,
 * and is said on each. */
#ifndef SLUICE_TRANSFORM_H
#define SLUICE_TRANSFORM_H

#include <stdlib.h>

#include <sluice/plugin.h>

/* open(): declares every input path `e` reads, so the source parses it. */
static inline int sluice_use_expr_columns(const struct sluice_host *host, struct sluice_ctx *ctx,
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

/* *dst (zeroed) becomes a deep copy of schema node `src` named `name`. */
static inline void sluice_schema_copy_named(const struct sluice_host *host, const struct ArrowSchema *src,
                                            const char *name, struct ArrowSchema *dst)
{
    host->schema_init(dst, src->format, name, (src->flags & ARROW_FLAG_NULLABLE) != 0, src->n_children);
    for (int64_t i = 0; i < src->n_children; i++) host->schema_copy(src->children[i], dst->children[i]);
}

/* *out (the caller's to release, or to hand to set_output_schema) becomes
 * struct schema `in` with one more field at the end: a nullable column of
 * Arrow `format` (SLUICE_FORMAT_LONG, ...) named `name`, with no children.
 * Returns the new field's node, for a caller that wants to adjust it. */
static inline struct ArrowSchema *sluice_schema_with_field(const struct sluice_host *host,
                                                           const struct ArrowSchema *in, const char *format,
                                                           const char *name, struct ArrowSchema *out)
{
    host->schema_init(out, SLUICE_FORMAT_STRUCT, in->name ? in->name : "", false, in->n_children + 1);
    for (int64_t i = 0; i < in->n_children; i++) host->schema_copy(in->children[i], out->children[i]);
    host->schema_init(out->children[in->n_children], format, name, true, 0);
    return out->children[in->n_children];
}

/* open(): output columns [0, n) are input columns [0, n), unchanged (with
 * sluice_schema_with_field, n is the input's column count), so what later
 * stages read of them is read from the input. */
static inline void sluice_pass_columns(const struct sluice_host *host, struct sluice_ctx *ctx, int64_t n)
{
    for (int64_t i = 0; i < n; i++) host->pass_column(ctx, i, i);
}

/* process(): *out becomes a batch of `schema` holding every column of *in
 * (moved: no value is copied) followed by added[0..n_added) (moved too,
 * each left released), with in's rows; *in is released. Fails only for
 * memory (SLUICE_ENOMEM), releasing *in and the added columns. */
static inline int sluice_batch_add_columns(const struct sluice_host *host, struct sluice_batch *in,
                                           struct ArrowArray *added, int64_t n_added,
                                           const struct ArrowSchema *schema, struct sluice_batch *out,
                                           struct sluice_error *err)
{
    int64_t n_in = in->array.n_children, rows = in->array.length;
    struct ArrowArray *columns = (struct ArrowArray *)calloc((size_t)(n_in + n_added) + 1, sizeof *columns);
    if (!columns) {
        for (int64_t i = 0; i < n_added; i++)
            if (added[i].release) added[i].release(&added[i]);
        sluice_batch_release(in);
        return host->error(err, SLUICE_ENOMEM, "out of memory");
    }
    for (int64_t i = 0; i < n_in; i++) sluice_array_move(&columns[i], in->array.children[i]);
    for (int64_t i = 0; i < n_added; i++) sluice_array_move(&columns[n_in + i], &added[i]);
    host->batch_assemble(out, schema, rows, columns, n_in + n_added);
    free(columns);
    sluice_batch_release(in); /* what is left of it: the emptied root */
    return SLUICE_OK;
}

/* process(): *out becomes a batch of `out_schema` whose every column is
 * input column i (of `in_schema`) taken at rows[0..n) (logical rows; -1
 * gives a null), deep-copied; `in` stays the caller's. Fails only for
 * memory (SLUICE_ENOMEM), leaving *out untouched. */
static inline int sluice_take_rows(const struct sluice_host *host, const struct ArrowSchema *in_schema,
                                   const struct sluice_batch *in, const int64_t *rows, int64_t n,
                                   const struct ArrowSchema *out_schema, struct sluice_batch *out,
                                   struct sluice_error *err)
{
    int64_t n_cols = in->array.n_children;
    struct ArrowArray *columns = (struct ArrowArray *)calloc((size_t)n_cols + 1, sizeof *columns);
    if (!columns) return host->error(err, SLUICE_ENOMEM, "out of memory");
    for (int64_t i = 0; i < n_cols; i++)
        host->array_take(in_schema->children[i], in->array.children[i], rows, n, &columns[i]);
    host->batch_assemble(out, out_schema, n, columns, n_cols);
    free(columns);
    return SLUICE_OK;
}

#endif /* SLUICE_TRANSFORM_H */
