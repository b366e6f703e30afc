/* core/schema/colpath.h — column paths: `data.public_metrics.like_count`,
 * `includes.users[0].verified`, back-quoted `odd name`.
 *
 * Resolution walks a schema once (at load time) and yields a struct
 * sluice_col whose steps are plain indices, so reading a value per row is a
 * few pointer hops (sluice_col_locate in <sluice/types.h>). */
#ifndef SLUICE_CORE_COLPATH_H
#define SLUICE_CORE_COLPATH_H

#include <sluice/arrow.h>
#include <sluice/buf.h>
#include <sluice/error.h>
#include <sluice/types.h>

/* Resolve `path` against struct schema `schema`. Unknown names fail with
 * SLUICE_ECONFIG "no column 'data.lagn' in the input" and a hint
 * "did you mean 'data.lang'?" when a close path exists; indexing a non-array
 * or naming a field of a non-struct says which segment is wrong. */
int sluice_col_resolve(const struct ArrowSchema *schema, const char *path, struct sluice_col *out,
                       struct sluice_error *err);

/* The projection form of a resolved column: struct fields joined by dots,
 * list steps dropped, names back-quoted when they hold anything but
 * [A-Za-z0-9_]. `includes.users[0].verified` -> `includes.users.verified`. */
void sluice_col_projection_path(const struct ArrowSchema *schema, const struct sluice_col *col,
                                struct sluice_buf *out);

/* Append `name` as one projection-path segment: as is when it holds only
 * [A-Za-z0-9_] (and is not empty), else back-quoted with ` doubled. */
void sluice_col_append_name(struct sluice_buf *out, const char *name);

/* Every leaf path of a schema in projection form (for suggestions and
 * "did you mean"), depth first in schema order; an array of structs leads to
 * its fields' paths, any other array is a leaf. The caller frees the array
 * and its strings with free(); NULL with *n = 0 when there are none. */
char **sluice_schema_leaf_paths(const struct ArrowSchema *schema, size_t *n);

/* Split a projection path into segments. Returns the number of segments
 * (at most `max`), each NUL-terminated in `storage` (at least strlen(path)+1
 * bytes) with back-quotes removed, or -1 on a syntax error (unterminated
 * back-quote, empty segment, text after a closing back-quote, more than
 * `max` segments). A back-quoted empty name `` is a valid segment. */
int sluice_projection_path_split(const char *path, char *storage, const char **segs, int max);

#endif
