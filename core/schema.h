/* core/schema.h — schemas as Arrow C Data Interface trees.
 *
 * A sluice schema is a `struct ArrowSchema` whose root is a struct ("+s")
 * and whose nodes use only the formats in <sluice/types.h>. Nodes made here
 * own their strings and children; releasing the root releases the tree.
 * Users write schemas three ways (contract): the JSON of Spark's
 * StructType.json(), a DDL string, or `@file` naming a file with either. */
#ifndef SLUICE_CORE_SCHEMA_H
#define SLUICE_CORE_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include <sluice/arrow.h>
#include <sluice/buf.h>
#include <sluice/error.h>
#include <sluice/types.h>

/* A node of `format` named `name` (may be NULL) with `n_children` zeroed
 * children for the caller to fill with sluice_schema_init/copy. */
void sluice_schema_init(struct ArrowSchema *out, const char *format, const char *name,
                        bool nullable, int64_t n_children);
void sluice_schema_copy(const struct ArrowSchema *in, struct ArrowSchema *out);
/* Same as in->release(in) when set; leaves release NULL. */
void sluice_schema_release(struct ArrowSchema *s);
/* Rename a node made by this module. */
void sluice_schema_set_name(struct ArrowSchema *s, const char *name);
bool sluice_schema_equal(const struct ArrowSchema *a, const struct ArrowSchema *b);
/* Index of the direct child named `name` (exact match), or -1. */
int64_t sluice_schema_child_index(const struct ArrowSchema *s, const char *name);

/* Text that starts with '@' names a file; text that starts with '{' is
 * Spark JSON; anything else is DDL. On SLUICE_OK *out is the caller's. Errors
 * are SLUICE_ECONFIG with the position (JSON line:column, DDL character) and
 * what was expected. */
int sluice_schema_parse(const char *text, struct ArrowSchema *out, struct sluice_error *err);
int sluice_schema_parse_json(const char *json, struct ArrowSchema *out, struct sluice_error *err);
/* `data STRUCT<lang: STRING, created_at: TIMESTAMP>, id STRING`; also
 * ARRAY<T>, INT/INTEGER/BIGINT/LONG, DOUBLE/FLOAT, BOOLEAN, NOT NULL,
 * back-quoted names; types are case-insensitive. */
int sluice_schema_parse_ddl(const char *ddl, struct ArrowSchema *out, struct sluice_error *err);

/* Spark StructType.json(): compact, fields in order, "nullable" and "metadata":{} on each. */
void sluice_schema_to_json(const struct ArrowSchema *s, struct sluice_buf *out);
/* Like Spark's df.printSchema():
 * root
 *  |-- data: struct (nullable = true)
 *  |    |-- lang: string (nullable = true) */
void sluice_schema_print_tree(const struct ArrowSchema *s, struct sluice_buf *out);
/* DDL text for a type, e.g. `STRUCT<lang: STRING>` (used in plans and errors). */
void sluice_schema_type_ddl(const struct ArrowSchema *s, struct sluice_buf *out);

#endif
