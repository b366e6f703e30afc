/* core/cmd_cat.h — `sluice cat`'s parts: cmd_cat.c finds the committed
 * batches and what is damaged, cmd_cat_parts.c decodes part files.
 * Private to the two. Single-threaded. */
#ifndef SLUICE_CORE_CMD_CAT_H
#define SLUICE_CORE_CMD_CAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/arrow.h>
#include <sluice/buf.h>
#include <sluice/error.h>

#define SLUICE_CAT_MANIFEST_DIR "_sluice_manifest"

struct sluice_decoder;

struct sluice_cat {
    const char *path;
    char *man_dir;
    bool render;                   /* print rows (else only count them: the check before printing) */
    struct ArrowSchema schema;     /* loaded with the first batch holding files */
    char *no_corrupt;              /* a column name the schema does not have */
    struct sluice_decoder *dec[6]; /* [lenient][json, csv, csv with header]; made when first needed */
    char *buf;                     /* a part file's unread bytes */
    size_t cap;
    struct sluice_buf out;         /* rendered rows not yet on stdout */
};

/* The schema the sink stored in _sluice_manifest/schema (once). */
int sluice_cat_load_schema(struct sluice_cat *c, struct sluice_error *err);

/* Decode part file `name` of the output (`format` "json" or "csv", with a
 * header line or not), add its rows to *rows and, when c->render, render
 * them into c->out. Strict: the first line that does not decode fails,
 * naming file and line. Lenient (printing what can be read of damaged
 * output): lines that do not decode are dropped and counted in *dropped. */
int sluice_cat_read_part(struct sluice_cat *c, const char *format, bool header, bool lenient, const char *name,
                         int64_t *rows, int64_t *dropped, struct sluice_error *err);

/* Write c->out to stdout. */
int sluice_cat_flush(struct sluice_cat *c, struct sluice_error *err);

void sluice_cat_free(struct sluice_cat *c);

#endif
