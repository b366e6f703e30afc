/* core/formats/decode.h — text formats into batches (JSON lines, CSV).
 *
 * Every source shares these, so a file, S3 or Kafka source parses alike.
 * The JSON reader is a streaming scanner driven by the projection: it looks
 * up each key in a per-level table of needed fields, writes needed values
 * straight into column builders, and skips everything else without building
 * it, so cost scales with the columns read, not the line length.
 *
 * Spark's rules (contract): in permissive mode a malformed line is a row of
 * nulls with the raw line in the corrupt column when the schema has one; a
 * field of the wrong JSON type is null (the rest of the row survives), yet
 * the row counts as malformed as in Spark 3.4+ (partial results): the raw
 * line goes to the corrupt column, drop_malformed drops the row, fail_fast
 * fails; a JSON number is accepted for a double, an integral one for a long
 * (and as epoch seconds for a timestamp); any other value for a string
 * field keeps its exact text; strings parse as timestamps; empty lines are
 * skipped; a UTF-8 BOM at file start and CRLF line ends are accepted; text
 * after a line's first JSON value is ignored, as Spark ignores it.
 *
 * Ownership: a decoder from sluice_decoder_new is the caller's to free with
 * sluice_decoder_free; the batch sluice_decode fills is the caller's to
 * release, and on error it is left empty.
 * Threads: a decoder is used by one thread at a time; make one per worker. */
#ifndef SLUICE_CORE_DECODE_H
#define SLUICE_CORE_DECODE_H

#include <sluice/host.h>

int sluice_decoder_new(const struct sluice_decode_opts *opts, struct sluice_decoder **out,
                       struct sluice_error *err);
int sluice_decode(struct sluice_decoder *d, const struct sluice_decode_input *in,
                  struct sluice_batch *out, struct sluice_decode_stats *stats,
                  struct sluice_error *err);
void sluice_decoder_free(struct sluice_decoder *d);

#endif
