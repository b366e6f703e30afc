/* plugins/file_sink/file_sink_text.h — how the file sink turns rows and
 * schemas into text; shared by file_sink.c and file_sink_text.c only.
 *
 * Every function appends to `out` and returns SLUICE_OK or SLUICE_ENOMEM
 * (a sluice_buf could not grow); nothing here owns memory between calls. */
#ifndef FILE_SINK_TEXT_H
#define FILE_SINK_TEXT_H

#include <sluice/plugin.h>

/* SLUICE_OK when every top-level column of `schema` fits in CSV (no struct
 * or array), else SLUICE_ECONFIG with Spark's message naming the type. */
int file_sink_csv_check(const struct sluice_host *host, const struct ArrowSchema *schema,
                        struct sluice_error *err);
/* The column names as a CSV line, quoted where needed. */
int file_sink_csv_header(const struct ArrowSchema *schema, struct sluice_buf *out);
/* Row `row` of `b` (flat columns only) as a CSV line, as Spark's CSV writer
 * writes it with default options. */
int file_sink_csv_row(const struct sluice_host *host, const struct sluice_batch *b, int64_t row,
                      struct sluice_buf *out);
/* `schema` as the JSON of Spark's StructType.json() (what `sluice schema
 * show --json` prints, so readers can parse it back with the core). */
int file_sink_schema_json(const struct ArrowSchema *schema, struct sluice_buf *out);
/* True when both schemas have the same column names and types at every level
 * (nullability aside: it does not change how rows are written). */
bool file_sink_schema_same(const struct ArrowSchema *a, const struct ArrowSchema *b);

#endif
