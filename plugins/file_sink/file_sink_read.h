/* plugins/file_sink/file_sink_read.h — reading back what the file sink
 * committed (read_committed, for `sluice cat`): file_sink_read.c finds the
 * committed batches and what is damaged, file_sink_read_parts.c decodes
 * part files. Private to the plugin. Single-threaded. */
#ifndef SLUICE_FILE_SINK_READ_H
#define SLUICE_FILE_SINK_READ_H

#include <stdbool.h>
#include <stdint.h>

#include <sluice/plugin.h>

/* The output's layout, shared by the writer and the reader. */
#define FILE_SINK_MANIFEST_DIR "_sluice_manifest"
#define FILE_SINK_SCHEMA_FILE "schema"
/* Whether `name` is a part file the sink writes ("part-00003-00001.json",
 * and with `with_tmp` also one being written, ".part-00003-00001.csv.tmp"),
 * and of which batch (file_sink.c). */
bool file_sink_part_name(const char *name, bool with_tmp, int64_t *batch);

struct file_sink_reader {
    const struct sluice_host *host;
    const char *path;
    char *man_dir;
    sluice_emit_fn emit;           /* NULL while checking: decode and count only */
    void *emit_arg;
    bool emit_failed;              /* emit returned an error: stop, whatever is damaged */
    struct ArrowSchema schema;     /* loaded with the first batch holding files */
    char *no_corrupt;              /* a column name the schema does not have */
    struct sluice_decoder *dec[6]; /* [lenient][json, csv, csv with header]; made when first needed */
    char *buf;                     /* a part file's unread bytes */
    size_t cap;
};

/* The schema the sink stored in _sluice_manifest/schema (once). */
int file_sink_read_schema(struct file_sink_reader *r, struct sluice_error *err);

/* Decode part file `name` of the output (`format` "json" or "csv", with a
 * header line or not), add its rows to *rows and, when r->emit is set, emit
 * them. Strict: the first line that does not decode fails, naming file and
 * line. Lenient (reading what can be read of a damaged output): lines that
 * do not decode are dropped and counted in *dropped. */
int file_sink_read_part(struct file_sink_reader *r, const char *format, bool header, bool lenient,
                        const char *name, int64_t *rows, int64_t *dropped, struct sluice_error *err);

void file_sink_reader_free(struct file_sink_reader *r);

/* The plugin's read_committed. */
int file_sink_read_committed(const struct sluice_host *host, const struct sluice_read_request *req,
                             sluice_emit_fn emit, void *emit_arg, struct sluice_error *err);

#endif
