/* core/schema/schema_infer.h — `sluice schema infer FILE|DIR`: a schema from sample
 * JSON lines, merged across lines as Spark's JSON inference does (long +
 * double -> double, conflicting types -> string, ISO timestamps stay strings
 * unless asked, fields sorted by name as Spark sorts them). */
#ifndef SLUICE_CORE_SCHEMA_INFER_H
#define SLUICE_CORE_SCHEMA_INFER_H

#include <stdbool.h>
#include <stdint.h>

#include <sluice/arrow.h>
#include <sluice/error.h>

struct sluice_infer_opts {
    int64_t max_lines;        /* 0: all */
    bool infer_timestamps;    /* strings that all parse as timestamps become timestamp */
};

/* `path` is a file of JSON lines, or a directory whose files are read in
 * name order (but names starting with '.' or '_', as Spark skips them);
 * max_lines counts across files. On SLUICE_OK *out is the caller's to
 * release. Malformed lines are skipped. Errors are SLUICE_EIO with the
 * path and the system's reason. */
int sluice_schema_infer_file(const char *path, const struct sluice_infer_opts *opts,
                             struct ArrowSchema *out, struct sluice_error *err);

#endif
