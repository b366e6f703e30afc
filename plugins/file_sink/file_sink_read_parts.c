/* Reading back the file sink's output: decoding part files. See
 * file_sink_read.h.
 *
 * Each part file, JSON lines or CSV, is decoded with the schema the sink
 * stored, by the host's decoder (the one every source uses), so what comes
 * back is the rows that were written, whatever the format. */
#include "file_sink_read.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Part files are read in pieces of this size (a CSV record or JSON line
 * longer than that grows the buffer). */
#define READ_CHUNK (4u << 20)

static int oom(const struct file_sink_reader *r, struct sluice_error *err)
{
    return r->host->error(err, SLUICE_ENOMEM, "out of memory reading '%s'", r->path);
}

int file_sink_read_schema(struct file_sink_reader *r, struct sluice_error *err)
{
    const struct sluice_host *h = r->host;
    if (r->schema.release) return SLUICE_OK;
    struct sluice_buf at = { 0 };
    if (sluice_buf_printf(&at, "@%s/" FILE_SINK_SCHEMA_FILE, r->man_dir)) return oom(r, err);
    struct stat st;
    int rc = stat(at.data + 1, &st) != 0
                 ? h->error(err, SLUICE_EDATA, "cannot read '%s': %s", at.data + 1, strerror(errno))
                 : h->schema_parse(at.data, &r->schema, err);
    sluice_buf_free(&at);
    if (rc) return rc;
    /* The decoder treats a column named like the corrupt-record column
     * specially; these files have none, so name one the schema lacks. */
    struct sluice_buf name = { 0 };
    bool taken = true;
    if (sluice_buf_puts(&name, "_corrupt_record")) return oom(r, err);
    while (taken) {
        taken = false;
        for (int64_t i = 0; i < r->schema.n_children && !taken; i++)
            taken = strcmp(r->schema.children[i]->name, name.data) == 0;
        if (taken && sluice_buf_putc(&name, '_')) {
            sluice_buf_free(&name);
            return oom(r, err);
        }
    }
    r->no_corrupt = name.data;
    return SLUICE_OK;
}

static int decoder_for(struct file_sink_reader *r, const char *format, bool header, bool lenient,
                       struct sluice_decoder **out, struct sluice_error *err)
{
    bool csv = strcmp(format, "csv") == 0;
    int k = (lenient ? 3 : 0) + (csv ? (header ? 2 : 1) : 0);
    if (!r->dec[k]) {
        struct sluice_decode_opts o = {
            .size = sizeof o, .format = format, .schema = &r->schema, .projection = NULL,
            .mode = lenient ? SLUICE_PARSE_DROP_MALFORMED : SLUICE_PARSE_FAIL_FAST,
            .corrupt_column = r->no_corrupt, .csv_header = header,
        };
        int rc = r->host->decoder_new(&o, &r->dec[k], err);
        if (rc) return rc;
    }
    *out = r->dec[k];
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

/* Decode [0, n) of the buffer; count its rows, and emit them when emitting. */
static int decode_records(struct file_sink_reader *r, struct sluice_decoder *d, const char *file, size_t n,
                          bool csv, bool inner, bool first, int64_t line, int64_t *rows, int64_t *dropped,
                          struct sluice_error *err)
{
    unsigned char sub[2] = { 0 };
    bool hidden = csv && inner && hide_line_breaks(r->buf, n, sub);
    if (csv && inner && !hidden)
        return r->host->error(err, SLUICE_EDATA, "%s: cannot split records around line %lld", file,
                              (long long)line);
    struct sluice_decode_input in = { .data = r->buf, .len = n, .origin = file, .first_line = line,
                                      .file_start = first };
    struct sluice_batch b = { 0 };
    struct sluice_decode_stats stats = { 0 };
    int rc = r->host->decode(d, &in, &b, &stats, err);
    if (rc) return rc;
    *dropped += stats.malformed;
    *rows += sluice_batch_rows(&b);
    if (!r->emit || sluice_batch_rows(&b) == 0) {
        sluice_batch_release(&b);
        return SLUICE_OK;
    }
    if (hidden) restore_line_breaks(&b, sub);
    rc = r->emit(r->emit_arg, &b, err); /* takes the batch */
    r->emit_failed |= rc != SLUICE_OK;
    return rc;
}

int file_sink_read_part(struct file_sink_reader *r, const char *format, bool header, bool lenient,
                        const char *name, int64_t *rows, int64_t *dropped, struct sluice_error *err)
{
    const struct sluice_host *h = r->host;
    struct sluice_decoder *d;
    int rc = decoder_for(r, format, header, lenient, &d, err);
    if (rc) return rc;
    bool csv = strcmp(format, "csv") == 0;
    struct sluice_buf file = { 0 };
    if (sluice_buf_printf(&file, "%s/%s", r->path, name)) return oom(r, err);
    int fd = open(file.data, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = h->error(err, SLUICE_EDATA, "cannot read '%s': %s", file.data, strerror(errno));
        sluice_buf_free(&file);
        return rc;
    }
    size_t have = 0;
    bool eof = false, first = true;
    int64_t line = 1;
    while (!rc && !(eof && have == 0)) {
        if (!eof) {
            if (r->cap - have < READ_CHUNK) {
                char *grown = realloc(r->buf, have + READ_CHUNK);
                if (!grown) {
                    rc = oom(r, err);
                    break;
                }
                r->buf = grown;
                r->cap = have + READ_CHUNK;
            }
            ssize_t got = read(fd, r->buf + have, READ_CHUNK);
            if (got < 0 && errno == EINTR) continue;
            if (got < 0) {
                rc = h->error(err, SLUICE_EIO, "cannot read '%s': %s", file.data, strerror(errno));
                break;
            }
            eof = got == 0;
            have += (size_t)got;
        }
        bool inner;
        size_t n = record_end(r->buf, have, csv, &inner);
        if (eof && n < have) {
            /* A last record without its newline: end the text with one
             * (the buffer always has room: it was grown by a whole chunk
             * before the read that found the end). */
            r->buf[have++] = '\n';
            n = record_end(r->buf, have, csv, &inner);
            /* An unterminated quote: the decoder says where. */
            if (n < have) {
                n = have;
                inner = false;
            }
        }
        if (n == 0) continue;
        int64_t lines = 0;
        for (const char *p = r->buf; (p = memchr(p, '\n', (size_t)(r->buf + n - p))) != NULL; p++) lines++;
        rc = decode_records(r, d, file.data, n, csv, inner, first, line, rows, dropped, err);
        first = false;
        line += lines;
        memmove(r->buf, r->buf + n, have - n);
        have -= n;
    }
    close(fd);
    sluice_buf_free(&file);
    return rc;
}

void file_sink_reader_free(struct file_sink_reader *r)
{
    for (size_t k = 0; k < sizeof r->dec / sizeof r->dec[0]; k++)
        if (r->dec[k]) r->host->decoder_free(r->dec[k]);
    if (r->schema.release) r->schema.release(&r->schema);
    free(r->no_corrupt);
    free(r->man_dir);
    free(r->buf);
}
