/* core/serve/sql.h — the SQL statements `sluice query` and GET /sql run over a
 * memory table, as the lab runs spark.sql(...) (DESIGN §8):
 *
 *   SELECT [DISTINCT] item, ... FROM table [WHERE cond] [GROUP BY expr, ...]
 *     [HAVING cond] [ORDER BY expr [ASC|DESC] [NULLS FIRST|LAST], ...] [LIMIT n]
 *
 * Items and conditions are expressions of the pipeline's language
 * (expr.h), `*`, and aggregate calls served by the aggregator plugins
 * (count(1), count(*), count(DISTINCT x), sum, avg, min, max,
 * approx_count_distinct), which may be nested in expressions
 * (`count(1) * 2`). Spark's rules: aggregates without GROUP BY make one
 * global group, so `SELECT count(1) FROM t` answers 0 on an empty table;
 * GROUP BY takes expressions, select-list aliases and 1-based ordinals;
 * HAVING and ORDER BY may name select-list aliases and aggregates; ORDER BY
 * also takes ordinals and input columns; ascending order puts nulls first
 * and descending last unless told; NaN sorts above every number; sorting
 * is stable, so equal keys keep the table's order. Result columns are named
 * as Spark names them (`count(1)`, `avg(x)`, `(count(1) * 2)`, aliases).
 * Keywords are case-insensitive; a trailing `;` is allowed.
 *
 * Errors are SLUICE_ECONFIG with the statement as err->excerpt and
 * err->position at the fault, the message naming the character
 * ("expected FROM at character 12"); expression errors are those of
 * expr.h with their position moved into the statement.
 *
 * Ownership: a parsed statement owns copies of its text; a result owns its
 * schema and batch. Nothing here keeps a table: the caller passes the rows
 * (a snapshot's batches) for the call. Threads: one statement per thread;
 * the catalog is used from the calling thread only. */
#ifndef SLUICE_CORE_SQL_H
#define SLUICE_CORE_SQL_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/arrow.h>
#include <sluice/batch.h>
#include <sluice/error.h>

#include "agg_plan.h"

struct sluice_sql;
struct sluice_registry;
struct sluice_tables;

/* On SLUICE_OK *out is the caller's to free with sluice_sql_free. */
int sluice_sql_parse(const char *text, struct sluice_sql **out, struct sluice_error *err);
void sluice_sql_free(struct sluice_sql *q);
/* The table after FROM, unquoted. Borrowed from the statement. */
const char *sluice_sql_table(const struct sluice_sql *q);

struct sluice_sql_result {
    struct ArrowSchema schema; /* owned; the result's columns */
    struct sluice_batch batch; /* owned; batch.schema == &schema */
};

/* Run `q` over the rows of batches[0..n), all of struct schema `schema`
 * (borrowed for the call), taking aggregate functions from `catalog`.
 * `max_rows` (< 0: none) caps the rows returned after any LIMIT, so a
 * caller showing N rows can ask for N + 1 and learn whether there are more.
 * The batches are read one at a time and never concatenated: ORDER BY ..
 * LIMIT k keeps k rows, a LIMIT without ORDER BY stops reading once it has
 * its rows. `max_bytes` (<= 0: none) bounds what the statement holds
 * beyond the batches given: its result rows, the candidates of a top-k,
 * its groups; past it the statement fails with SLUICE_ENOMEM, saying so.
 * On SLUICE_OK *out is the caller's to free with sluice_sql_result_free. */
int sluice_sql_eval(const struct sluice_sql *q, const struct ArrowSchema *schema,
                    const struct sluice_batch *const *batches, size_t n,
                    const struct sluice_agg_catalog *catalog, int64_t max_rows, int64_t max_bytes,
                    struct sluice_sql_result **out, struct sluice_error *err);
void sluice_sql_result_free(struct sluice_sql_result *r);

/* Parse `text` and run it over a snapshot of its table in `tables`. An
 * unknown table is SLUICE_ECONFIG naming it, with the tables there are. */
int sluice_sql_run(const char *text, struct sluice_tables *tables, const struct sluice_agg_catalog *catalog,
                   int64_t max_rows, int64_t max_bytes, struct sluice_sql_result **out, struct sluice_error *err);

/* A catalog whose aggregate functions are the aggregator plugins `reg`
 * finds (which must outlive the catalog's use). */
void sluice_sql_registry_catalog(struct sluice_registry *reg, struct sluice_agg_catalog *out);

#endif
