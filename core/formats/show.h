/* core/formats/show.h — a batch as Spark's Dataset.show() prints it.
 *
 * The table `spark.sql(...).show()` prints: a `+---+` separator, the column
 * names, another separator, one line per row, a closing separator, "only
 * showing top N rows" when rows were left out, and the blank line Python's
 * print adds. Cells are rendered as show() renders them (render.h), control
 * characters escaped as Spark 3.2+ escapes them, widths counted as Spark
 * counts them (UTF-16 units, two per full-width character), and with
 * `truncate` cut to 20 characters and right-aligned, else left-aligned.
 * It is the same layout the console sink prints after its `Batch: N`
 * banner: the console plugin reaches it through host->render_show.
 *
 * Output is appended; the batch is borrowed. */
#ifndef SLUICE_CORE_SHOW_H
#define SLUICE_CORE_SHOW_H

#include <stdbool.h>
#include <stdint.h>

#include <sluice/batch.h>
#include <sluice/buf.h>

/* Show the first `num_rows` rows of `b`; when `b` has more, say so, as
 * Spark does when its query returned more than num_rows. */
void sluice_show_format(const struct sluice_batch *b, int64_t num_rows, bool truncate, struct sluice_buf *out);
/* The same over the rows of `n_batches` batches (n_batches >= 1, one
 * schema), in order; `more` says rows beyond them exist (a sink that stopped
 * keeping batches once it had num_rows rows). */
void sluice_show_format_batches(const struct sluice_batch *batches, size_t n_batches, int64_t num_rows,
                                bool truncate, bool more, struct sluice_buf *out);

#endif
