/* core/runtime/engine/tables.h — memory tables: what the memory sink writes and what
 * `runtime.http` and `sluice query` read (DESIGN §4, §8).
 *
 * A table is a name, a schema and a sequence of batches. Readers never see
 * a table being written: they take a snapshot, an immutable, reference-
 * counted view of the table as of the last committed micro-batch, and may
 * keep it as long as they like while the stream goes on. A writer prepares
 * a micro-batch on the side (begin, add..., commit) and commit publishes it
 * in one pointer swap, so a micro-batch becomes visible all at once and
 * nothing is ever rendered or copied under the registry's lock.
 *
 * Append mode appends a micro-batch's batches to the table (the batches
 * already committed are shared with older snapshots, not copied); complete
 * mode replaces the table. As Spark's MemorySink does, a micro-batch whose
 * id is not above the last committed one (a replay after a crash) is
 * dropped, so a replay never duplicates rows.
 *
 * Threads: any thread may read (get, names, snapshot accessors) while one
 * writer per table writes. Ownership: the registry owns its tables; a
 * table handle from sluice_tables_open is the writer's until
 * sluice_table_close, which removes the table from the registry; a
 * snapshot is the caller's to unref, and outlives the table if need be. */
#ifndef SLUICE_CORE_TABLES_H
#define SLUICE_CORE_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/arrow.h>
#include <sluice/batch.h>
#include <sluice/error.h>

struct sluice_tables;
struct sluice_table;
struct sluice_table_snapshot;

/* A graph's registry: its memory sinks write here (through the host
 * table) and its REST server reads here. */
struct sluice_tables *sluice_tables_new(void);
/* Frees the registry; tables still open must be closed first. NULL is allowed. */
void sluice_tables_free(struct sluice_tables *r);

/* Create the empty table `name` holding rows of `schema` (copied). A name
 * already in use (compared case-insensitively, as Spark's temporary views
 * are) is SLUICE_ECONFIG. On SLUICE_OK *out is the caller's to close. */
int sluice_tables_open(struct sluice_tables *r, const char *name, const struct ArrowSchema *schema,
                       struct sluice_table **out, struct sluice_error *err);
/* Drop the table from the registry (snapshots taken before stay valid) and
 * free the handle, with any micro-batch begun and not committed. */
void sluice_table_close(struct sluice_table *t);

/* Begin micro-batch `batch_id`: its rows replace the table (`replace`,
 * complete mode) or are appended to it. Returns false when `batch_id` is
 * not above the last committed id: the micro-batch is a replay and its
 * rows will be dropped. A micro-batch begun and not committed is discarded. */
bool sluice_table_begin(struct sluice_table *t, int64_t batch_id, bool replace);
/* Add rows to the micro-batch: *batch (its columns matching the table's
 * schema) is moved in and left empty. Empty batches are released at once. */
void sluice_table_add(struct sluice_table *t, struct sluice_batch *batch);
/* Publish the micro-batch: snapshots taken from now on include it. */
void sluice_table_commit(struct sluice_table *t);

/* The current snapshot of table `name` (exact name first, else the one
 * table whose name matches case-insensitively), or NULL when there is no
 * such table. The caller unrefs it. */
struct sluice_table_snapshot *sluice_tables_get(struct sluice_tables *r, const char *name);
/* The names of every table, sorted; *names (array and strings) is the
 * caller's to free with sluice_tables_names_free. Returns the count. */
size_t sluice_tables_names(struct sluice_tables *r, char ***names);
void sluice_tables_names_free(char **names, size_t n);

void sluice_table_snapshot_ref(struct sluice_table_snapshot *s);
/* NULL is allowed. */
void sluice_table_snapshot_unref(struct sluice_table_snapshot *s);
const char *sluice_table_snapshot_name(const struct sluice_table_snapshot *s);
const struct ArrowSchema *sluice_table_snapshot_schema(const struct sluice_table_snapshot *s);
int64_t sluice_table_snapshot_rows(const struct sluice_table_snapshot *s);
/* The last micro-batch committed, or -1 before the first. */
int64_t sluice_table_snapshot_batch_id(const struct sluice_table_snapshot *s);
/* The snapshot's batches in order, as an array (the caller's to free; the
 * batches are borrowed from the snapshot, read-only, their schema pointer
 * set to the snapshot's schema). Returns the count; empty tables give 0
 * and *out NULL. */
size_t sluice_table_snapshot_batches(const struct sluice_table_snapshot *s,
                                     const struct sluice_batch ***out);

#endif
