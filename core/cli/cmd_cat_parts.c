/* `sluice cat`: decoding the sink's part files. See cmd_cat.h.
 *
 * Each part file, JSON lines or CSV, is decoded with the schema the sink
 * stored, by the core's decoder, and rendered again with
 * sluice_render_row_json, so the output is canonical (the console sink's
 * jsonl "row") whatever wrote the files. */
#include "cmd_cat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "decode.h"
#include "error.h"
#include "mem.h"
#include "render.h"
#include "schema.h"

/* Part files are read in pieces of this size (a CSV record or JSON line
 * longer than that grows the buffer). */
#define READ_CHUNK (4u << 20)
#define FLUSH_AT (64u << 10)

int sluice_cat_load_schema(struct sluice_cat *c, struct sluice_error *err)
{
    if (c->schema.release) return SLUICE_OK;
    char *file = sluice_xmalloc(strlen(c->man_dir) + 16);
    sprintf(file, "%s/schema", c->man_dir);
    struct stat st;
    int rc = stat(file, &st) != 0 ? sluice_error_set(err, SLUICE_EDATA, "cannot read '%s': %s", file,
                                                     strerror(errno))
                                  : sluice_schema_parse_file(file, &c->schema, err);
    free(file);
    if (rc) return rc;
    /* The decoder treats a column named like the corrupt-record column
     * specially; these files have none, so name one the schema lacks. */
    struct sluice_buf name = { 0 };
    sluice_buf_puts(&name, "_corrupt_record");
    while (sluice_schema_child_index(&c->schema, name.data) >= 0) sluice_buf_putc(&name, '_');
    c->no_corrupt = name.data;
    return SLUICE_OK;
}

static int decoder_for(struct sluice_cat *c, const char *format, bool header, bool lenient,
                       struct sluice_decoder **out, struct sluice_error *err)
{
    bool csv = strcmp(format, "csv") == 0;
    int k = (lenient ? 3 : 0) + (csv ? (header ? 2 : 1) : 0);
    if (!c->dec[k]) {
        struct sluice_decode_opts o = {
            .size = sizeof o, .format = format, .schema = &c->schema, .projection = NULL,
            .mode = lenient ? SLUICE_PARSE_DROP_MALFORMED : SLUICE_PARSE_FAIL_FAST,
            .corrupt_column = c->no_corrupt, .csv_header = header,
        };
        int rc = sluice_decoder_new(&o, &c->dec[k], err);
        if (rc) return rc;
    }
    *out = c->dec[k];
    return SLUICE_OK;
}

/* The end of the last complete record in [0, n): after the last newline,
 * outside quotes for CSV (the sink quotes a value holding a line break, as
 * Spark does, so a record may span lines). *inner: a quoted line break
 * lies before that end. */
static size_t record_end(const char *p, size_t n, bool csv, bool *inner)
{
    *inner = false;
    if (!csv) {
        while (n && p[n - 1] != '\n') n--;
        return n;
    }
    bool quoted = false, seen = false;
    size_t end = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"') {
            quoted = !quoted; /* a doubled quote toggles twice */
        } else if (p[i] == '\n' || p[i] == '\r') {
            if (quoted) seen = true;
            else if (p[i] == '\n') {
                end = i + 1;
                *inner |= seen;
            }
        }
    }
    return end;
}

/* The decoder reads one record per line. Quoted line breaks are swapped
 * for two bytes absent from the text, decoded, and swapped back in the
 * string columns. The bytes are ASCII controls: the decoder would replace
 * bytes that are not UTF-8 (0xFF, say) with U+FFFD before the swap back. */
static bool hide_line_breaks(char *p, size_t n, unsigned char sub[2])
{
    static const unsigned char candidates[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x0B, 0x0C,
                                                0x0E, 0x0F, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                                                0x18, 0x19, 0x1A, 0x1B, 0x1C, 0x1D, 0x1E, 0x1F, 0x7F };
    bool present[256] = { false };
    for (size_t i = 0; i < n; i++) present[(unsigned char)p[i]] = true;
    int found = 0;
    for (size_t i = 0; i < sizeof candidates && found < 2; i++)
        if (!present[candidates[i]]) sub[found++] = candidates[i];
    if (found < 2) return false;
    bool quoted = false;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '"') quoted = !quoted;
        else if (quoted && p[i] == '\n') p[i] = (char)sub[0];
        else if (quoted && p[i] == '\r') p[i] = (char)sub[1];
    }
    return true;
}

static void restore_line_breaks(const struct sluice_batch *b, const unsigned char sub[2])
{
    for (int64_t k = 0; k < b->array.n_children; k++) {
        if (sluice_type_of(b->schema->children[k]) != SLUICE_TYPE_STRING) continue;
        const struct ArrowArray *a = b->array.children[k];
        if (a->length == 0) continue;
        const int32_t *offs = a->buffers[1];
        /* The batch is ours and its buffers were allocated writable: the
         * const is the Arrow struct's, not the memory's. */
        unsigned char *data = (unsigned char *)(uintptr_t)a->buffers[2];
        for (int32_t i = offs[a->offset]; i < offs[a->offset + a->length]; i++) {
            if (data[i] == sub[0]) data[i] = '\n';
            else if (data[i] == sub[1]) data[i] = '\r';
        }
    }
}

int sluice_cat_flush(struct sluice_cat *c, struct sluice_error *err)
{
    if (c->out.len && fwrite(c->out.data, 1, c->out.len, stdout) != c->out.len)
        return sluice_error_set(err, SLUICE_EIO, "cannot write to standard output: %s", strerror(errno));
    sluice_buf_clear(&c->out);
    return SLUICE_OK;
}

/* Decode [0, n) of the buffer and print its rows. */
static int print_records(struct sluice_cat *c, struct sluice_decoder *d, const char *file, size_t n, bool csv,
                         bool inner, bool first, int64_t line, int64_t *rows, int64_t *dropped,
                         struct sluice_error *err)
{
    unsigned char sub[2] = { 0 };
    bool hidden = csv && inner && hide_line_breaks(c->buf, n, sub);
    if (csv && inner && !hidden)
        return sluice_error_set(err, SLUICE_EDATA, "%s: cannot split records around line %lld", file,
                                (long long)line);
    struct sluice_decode_input in = { .data = c->buf, .len = n, .origin = file, .first_line = line,
                                      .file_start = first };
    struct sluice_batch b = { 0 };
    struct sluice_decode_stats stats = { 0 };
    int rc = sluice_decode(d, &in, &b, &stats, err);
    if (rc) return rc;
    *dropped += stats.malformed;
    int64_t nrows = sluice_batch_rows(&b);
    if (hidden && c->render) restore_line_breaks(&b, sub);
    for (int64_t r = 0; r < nrows && !rc && c->render; r++) {
        sluice_render_row_json(&b, r, &c->out);
        sluice_buf_putc(&c->out, '\n');
        if (c->out.len >= FLUSH_AT) rc = sluice_cat_flush(c, err);
    }
    *rows += nrows;
    sluice_batch_release(&b);
    return rc;
}

int sluice_cat_read_part(struct sluice_cat *c, const char *format, bool header, bool lenient, const char *name,
                         int64_t *rows, int64_t *dropped, struct sluice_error *err)
{
    struct sluice_decoder *d;
    int rc = decoder_for(c, format, header, lenient, &d, err);
    if (rc) return rc;
    bool csv = strcmp(format, "csv") == 0;
    char *file = sluice_xmalloc(strlen(c->path) + strlen(name) + 2);
    sprintf(file, "%s/%s", c->path, name);
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = sluice_error_set(err, SLUICE_EDATA, "cannot read '%s': %s", file, strerror(errno));
        free(file);
        return rc;
    }
    size_t have = 0;
    bool eof = false, first = true;
    int64_t line = 1;
    while (!rc && !(eof && have == 0)) {
        if (!eof) {
            if (c->cap - have < READ_CHUNK) {
                c->cap = have + READ_CHUNK;
                c->buf = sluice_xrealloc(c->buf, c->cap);
            }
            ssize_t got = read(fd, c->buf + have, READ_CHUNK);
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) {
                rc = sluice_error_set(err, SLUICE_EIO, "cannot read '%s': %s", file, strerror(errno));
                break;
            }
            eof = got == 0;
            have += (size_t)got;
        }
        bool inner;
        size_t n = record_end(c->buf, have, csv, &inner);
        if (eof && n < have) {
            /* A last record without its newline: end the text with one. */
            if (c->cap == have) c->buf = sluice_xrealloc(c->buf, ++c->cap);
            c->buf[have++] = '\n';
            n = record_end(c->buf, have, csv, &inner);
            /* An unterminated quote: the decoder says where. */
            if (n < have) {
                n = have;
                inner = false;
            }
        }
        if (n == 0) continue;
        int64_t lines = 0;
        for (const char *p = c->buf; (p = memchr(p, '\n', (size_t)(c->buf + n - p))) != NULL; p++) lines++;
        rc = print_records(c, d, file, n, csv, inner, first, line, rows, dropped, err);
        first = false;
        line += lines;
        memmove(c->buf, c->buf + n, have - n);
        have -= n;
    }
    close(fd);
    free(file);
    return rc;
}

void sluice_cat_free(struct sluice_cat *c)
{
    for (size_t k = 0; k < sizeof c->dec / sizeof c->dec[0]; k++) sluice_decoder_free(c->dec[k]);
    if (c->schema.release) sluice_schema_release(&c->schema);
    free(c->no_corrupt);
    free(c->man_dir);
    free(c->buf);
    sluice_buf_free(&c->out);
}
