/* core/schema/schema.h — schemas as Arrow C Data Interface trees.
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
/* DECIMAL(precision, scale): the Arrow format "d:P,S" into fmt (at least
 * 48 bytes). NULL, with Spark's message in *why, when precision is not in
 * [1, 38] or scale not in [0, precision]. */
const char *sluice_schema_decimal_format(long precision, long scale, char *fmt, const char **why);
/* Spark's name of a decimal type, "decimal(10,2)", into buf (at least 24 bytes). */
const char *sluice_schema_decimal_name(const struct ArrowSchema *s, char *buf);
bool sluice_schema_equal(const struct ArrowSchema *a, const struct ArrowSchema *b);
/* Index of the direct child named `name` (exact match), or -1. */
int64_t sluice_schema_child_index(const struct ArrowSchema *s, const char *name);
/* A struct node whose children are `fields[0..n)`, moved in: each field's
 * release is NULLed, so the caller frees only the `fields` array itself. */
void sluice_schema_init_struct(struct ArrowSchema *out, const char *name, bool nullable,
                               struct ArrowSchema *fields, int64_t n);
/* A list node whose child is `element`, moved in and renamed "element"
 * (its own nullability is the list's containsNull). */
/* Whether values of `s` can be grouped, deduplicated or joined on: not a
 * map, and no map inside (Spark's maps are not orderable). */
bool sluice_schema_groupable(const struct ArrowSchema *s);
/* A map of `key` and `value` (moved in): "+m" with the struct `entries`
 * of `key` (never null) and `value`, as Arrow lays maps out. */
void sluice_schema_init_map(struct ArrowSchema *out, const char *name, bool nullable, struct ArrowSchema *key,
                            struct ArrowSchema *value);
void sluice_schema_init_list(struct ArrowSchema *out, const char *name, bool nullable,
                             struct ArrowSchema *element);
/* Name of the first direct child whose name an earlier child already has,
 * or NULL: Spark accepts such schemas, but a path could not tell them apart. */
const char *sluice_schema_find_duplicate(const struct ArrowSchema *s);

/* Text that starts with '@' names a file; text that starts with '{' is
 * Spark JSON; anything else is DDL. On SLUICE_OK *out is the caller's. Errors
 * are SLUICE_ECONFIG with the position (JSON line:column, DDL character) and
 * what was expected. */
int sluice_schema_parse(const char *text, struct ArrowSchema *out, struct sluice_error *err);
int sluice_schema_parse_json(const char *json, struct ArrowSchema *out, struct sluice_error *err);
/* Read `path` and parse it as JSON (first non-space character '{') or DDL;
 * errors name the file, and the line for JSON syntax. */
int sluice_schema_parse_file(const char *path, struct ArrowSchema *out, struct sluice_error *err);
/* The parsers with `source` (a file name, or NULL for inline text) named in
 * their errors; sluice_schema_parse_file uses these. */
int sluice_schema_parse_json_from(const char *json, const char *source, struct ArrowSchema *out,
                                  struct sluice_error *err);
/* DDL: `data STRUCT<lang: STRING, created_at: TIMESTAMP>, id STRING`; also
 * `name: TYPE`, ARRAY<T>, INT/INTEGER/BIGINT/LONG/SMALLINT/TINYINT,
 * DOUBLE/FLOAT, BOOLEAN, STRING, TIMESTAMP, NOT NULL, COMMENT '..' (ignored),
 * back-quoted names (`a b`, `` for a back-quote), case-insensitive keywords,
 * and a whole schema written as one STRUCT<...> (what type_ddl prints). */
int sluice_schema_parse_ddl_from(const char *ddl, const char *source, struct ArrowSchema *out,
                                 struct sluice_error *err);

/* Point `err` at `at` inside `text` for the caret under an error: the line
 * holding it, cut to a window around `at` (with "...") when too long for
 * the record. Used by the schema parsers and column paths. */
void sluice_schema_error_excerpt(struct sluice_error *err, const char *text, const char *at);

/* Spark StructType.json() as pyspark prints it (json.dumps with sort_keys and
 * no spaces, non-ASCII as \uXXXX): compact, fields in schema order, keys of
 * each object sorted, "nullable" and "metadata":{} on each field. Appends. */
void sluice_schema_to_json(const struct ArrowSchema *s, struct sluice_buf *out);
/* Like Spark's df.printSchema():
 * root
 *  |-- data: struct (nullable = true)
 *  |    |-- lang: string (nullable = true) */
void sluice_schema_print_tree(const struct ArrowSchema *s, struct sluice_buf *out);
/* DDL text for a type, e.g. `STRUCT<lang: STRING>` (used in plans and errors):
 * Spark's DataType.sql, plus NOT NULL on non-nullable fields so the text
 * parses back to the same schema. Appends. */
void sluice_schema_type_ddl(const struct ArrowSchema *s, struct sluice_buf *out);
/* The fields of struct `s` as a DDL schema, `a BIGINT NOT NULL, b STRING`
 * (what `sluice schema show --ddl` prints): parses back to the same schema,
 * but for the nullability of array elements, which DDL cannot write. Appends. */
void sluice_schema_fields_ddl(const struct ArrowSchema *s, struct sluice_buf *out);

#endif
