/* core/cli/cmd_cat.c — `sluice cat PATH [--batch N]`: the rows a file sink
 * committed, one JSON object per line.
 *
 * Only what the manifests in PATH/_sluice_manifest list is read, in batch
 * order, so part files of a batch that never committed (a crash, a replay
 * in progress) are never shown. Each part file, JSON lines or CSV, is
 * decoded with the schema the sink stored (`_sluice_manifest/schema`) by the
 * core's decoder in fail_fast mode and rendered again with
 * sluice_render_row_json, so the output is canonical (the console sink's
 * jsonl "row") whatever wrote the files, and damage is reported, not skipped:
 * a file that does not decode or a batch whose row count differs from its
 * manifest fails with exit status 1. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"
#include "decode.h"
#include "error.h"
#include "mem.h"
#include "render.h"
#include "schema.h"

static const char help[] =
    "Usage: sluice cat PATH [--batch N]\n"
    "\n"
    "Print the rows the file sink committed to PATH, one JSON object per line,\n"
    "in batch order: the part files that PATH/_sluice_manifest lists, JSON lines\n"
    "or CSV, each row rendered as the console sink's jsonl format renders it.\n"
    "Files of batches that did not commit are never read.\n"
    "\n"
    "Options:\n"
    "  --batch N    print only batch N\n"
    "  -h, --help   this help\n"
    "\n"
    "Exit status: 0 success, 1 unreadable or damaged output, 2 usage error or\n"
    "PATH not a file sink output.\n";

#define MANIFEST_DIR "_sluice_manifest"
/* Part files are read in pieces of this size (a CSV record or JSON line
 * longer than that grows the buffer). */
#define READ_CHUNK (4u << 20)
#define FLUSH_AT (64u << 10)

struct cat {
    const char *path;
    char *man_dir;
    struct ArrowSchema schema;       /* loaded with the first manifest */
    char *no_corrupt;                /* a column name the schema does not have */
    struct sluice_decoder *dec[3];   /* json, csv, csv with header; made when first needed */
    char *buf;                       /* a part file's unread bytes */
    size_t cap;
    struct sluice_buf out;           /* rendered rows not yet on stdout */
};

/* ---- the manifests ---- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Batch ids of the manifests, sorted. A manifest is named by its id in
 * decimal; anything else there (the schema, temporary '.' files) is not one. */
static int list_batches(struct cat *c, int64_t **ids, size_t *n, struct sluice_error *err)
{
    DIR *d = opendir(c->man_dir);
    if (!d) return sluice_error_set(err, SLUICE_EIO, "cannot read '%s': %s", c->man_dir, strerror(errno));
    size_t cap = 0;
    *ids = NULL;
    *n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int64_t id;
        char back[32];
        if (e->d_name[0] < '0' || e->d_name[0] > '9' || !sluice_cli_parse_i64(e->d_name, &id) || id < 0)
            continue;
        snprintf(back, sizeof back, "%lld", (long long)id);
        if (strcmp(back, e->d_name) != 0) continue; /* "007": not a name the sink writes */
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            *ids = sluice_xrealloc(*ids, cap * sizeof **ids);
        }
        (*ids)[(*n)++] = id;
    }
    closedir(d);
    if (*n) qsort(*ids, *n, sizeof **ids, cmp_i64);
    return SLUICE_OK;
}

struct manifest {
    json_t *root;
    const char *format;
    bool header;
    json_t *files;
    int64_t rows;
};

static int manifest_load(struct cat *c, int64_t id, struct manifest *m, struct sluice_error *err)
{
    char *file = sluice_xmalloc(strlen(c->man_dir) + 32);
    sprintf(file, "%s/%lld", c->man_dir, (long long)id);
    json_error_t jerr;
    memset(m, 0, sizeof *m);
    m->root = json_load_file(file, 0, &jerr);
    const char *why = NULL;
    json_t *v = m->root ? json_object_get(m->root, "version") : NULL;
    if (!m->root) why = jerr.text;
    else if (!json_is_object(m->root)) why = "not a JSON object";
    else if (!json_is_integer(v)) why = "no \"version\"";
    else if (json_integer_value(v) != 1)
        why = "a version this sluice does not know (written by a newer one?)";
    else if (!json_is_integer(v = json_object_get(m->root, "batch_id")) || json_integer_value(v) != id)
        why = "\"batch_id\" is not the file's name";
    else if (!json_is_string(v = json_object_get(m->root, "format")) ||
             (strcmp(json_string_value(v), "json") != 0 && strcmp(json_string_value(v), "csv") != 0))
        why = "\"format\" is not \"json\" or \"csv\"";
    else if (!json_is_array(m->files = json_object_get(m->root, "files")))
        why = "\"files\" is not an array";
    else if (!json_is_integer(json_object_get(m->root, "rows")) ||
             json_integer_value(json_object_get(m->root, "rows")) < 0)
        why = "\"rows\" is not a count";
    if (!why) {
        m->format = json_string_value(v);
        m->header = json_is_true(json_object_get(m->root, "header"));
        m->rows = json_integer_value(json_object_get(m->root, "rows"));
        size_t i;
        json_t *f;
        /* Names only: a manifest must not send the reader out of the directory. */
        json_array_foreach(m->files, i, f) {
            const char *s = json_string_value(f);
            if (!s || !*s || *s == '.' || strchr(s, '/'))
                why = "\"files\" holds something not a part file name";
        }
    }
    int rc = SLUICE_OK;
    if (why) {
        rc = sluice_error_set(err, SLUICE_EDATA, "'%s' is not a valid manifest: %s", file, why);
        json_decref(m->root);
        m->root = NULL;
    }
    free(file);
    return rc;
}

/* ---- decoding part files ---- */

static int load_schema(struct cat *c, struct sluice_error *err)
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

static int decoder_for(struct cat *c, const struct manifest *m, struct sluice_decoder **out,
                       struct sluice_error *err)
{
    bool csv = strcmp(m->format, "csv") == 0;
    int k = csv ? (m->header ? 2 : 1) : 0;
    if (!c->dec[k]) {
        struct sluice_decode_opts o = {
            .size = sizeof o, .format = m->format, .schema = &c->schema, .projection = NULL,
            .mode = SLUICE_PARSE_FAIL_FAST, .corrupt_column = c->no_corrupt, .csv_header = m->header,
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
 * for two bytes absent from the text (bytes that never occur in UTF-8
 * first), decoded, and swapped back in the string columns. */
static bool hide_line_breaks(char *p, size_t n, unsigned char sub[2])
{
    static const unsigned char candidates[] = { 0xFF, 0xFE, 0xFD, 0xFC, 0xFB, 0xFA, 0xF9, 0xF8, 0xF7,
                                                0xF6, 0xF5, 0xC1, 0xC0, 0x01, 0x02, 0x03, 0x04, 0x05,
                                                0x06, 0x07, 0x08, 0x0B, 0x0C, 0x0E, 0x0F, 0x10, 0x11 };
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

static int flush_out(struct cat *c, struct sluice_error *err)
{
    if (c->out.len && fwrite(c->out.data, 1, c->out.len, stdout) != c->out.len)
        return sluice_error_set(err, SLUICE_EIO, "cannot write to standard output: %s", strerror(errno));
    sluice_buf_clear(&c->out);
    return SLUICE_OK;
}

/* Decode [0, n) of the buffer and print its rows. */
static int print_records(struct cat *c, struct sluice_decoder *d, const char *file, size_t n, bool csv,
                         bool inner, bool first, int64_t line, int64_t *rows, struct sluice_error *err)
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
    if (hidden) restore_line_breaks(&b, sub);
    int64_t nrows = sluice_batch_rows(&b);
    for (int64_t r = 0; r < nrows && !rc; r++) {
        sluice_render_row_json(&b, r, &c->out);
        sluice_buf_putc(&c->out, '\n');
        if (c->out.len >= FLUSH_AT) rc = flush_out(c, err);
    }
    *rows += nrows;
    sluice_batch_release(&b);
    return rc;
}

static int print_file(struct cat *c, const struct manifest *m, const char *name, int64_t *rows,
                      struct sluice_error *err)
{
    struct sluice_decoder *d;
    int rc = decoder_for(c, m, &d, err);
    if (rc) return rc;
    bool csv = strcmp(m->format, "csv") == 0;
    char *file = sluice_xmalloc(strlen(c->path) + strlen(name) + 2);
    sprintf(file, "%s/%s", c->path, name);
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = sluice_error_set(err, SLUICE_EDATA, "cannot read '%s', listed in a manifest: %s", file,
                              strerror(errno));
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
        rc = print_records(c, d, file, n, csv, inner, first, line, rows, err);
        first = false;
        line += lines;
        memmove(c->buf, c->buf + n, have - n);
        have -= n;
    }
    close(fd);
    free(file);
    return rc;
}

static int print_batch(struct cat *c, int64_t id, struct sluice_error *err)
{
    struct manifest m;
    int rc = manifest_load(c, id, &m, err);
    if (rc) return rc;
    if (json_array_size(m.files)) rc = load_schema(c, err);
    int64_t rows = 0;
    size_t i;
    json_t *f;
    json_array_foreach(m.files, i, f) {
        if (rc) break;
        rc = print_file(c, &m, json_string_value(f), &rows, err);
    }
    if (!rc && rows != m.rows)
        rc = sluice_error_set(err, SLUICE_EDATA, "batch %lld of '%s' holds %lld rows, its manifest says %lld",
                              (long long)id, c->path, (long long)rows, (long long)m.rows);
    json_decref(m.root);
    return rc;
}

/* ---- the command ---- */

static int cat_run(struct cat *c, bool one, int64_t only, struct sluice_error *err)
{
    struct stat st;
    if (stat(c->path, &st) != 0)
        return sluice_error_set(err, SLUICE_ECONFIG, "cannot read '%s': %s", c->path, strerror(errno));
    if (stat(c->man_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        int rc = sluice_error_set(err, SLUICE_ECONFIG, "'%s' is not a sluice file sink output: no %s",
                                  c->path, MANIFEST_DIR);
        sluice_error_hint(err, "give the path option of a stage with sink = \"file\"");
        return rc;
    }
    int64_t *ids = NULL;
    size_t n = 0;
    int rc = list_batches(c, &ids, &n, err);
    if (rc) return rc;
    if (one && !bsearch(&only, ids, n, sizeof *ids, cmp_i64)) {
        rc = sluice_error_set(err, SLUICE_ECONFIG, "batch %lld is not committed in '%s'", (long long)only,
                              c->path);
        if (n) sluice_error_hint(err, "committed batches run from %lld to %lld", (long long)ids[0],
                                 (long long)ids[n - 1]);
        else sluice_error_hint(err, "no batch is committed there yet");
    }
    for (size_t i = 0; i < n && !rc; i++)
        if (!one || ids[i] == only) rc = print_batch(c, ids[i], err);
    if (!rc) rc = flush_out(c, err);
    if (!rc && fflush(stdout) != 0)
        rc = sluice_error_set(err, SLUICE_EIO, "cannot write to standard output: %s", strerror(errno));
    free(ids);
    return rc;
}

int sluice_cmd_cat(int argc, char **argv)
{
    const char *path = NULL;
    bool one = false;
    int64_t only = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (sluice_cli_is_help(a)) {
            fputs(help, stdout);
            return 0;
        } else if (strcmp(a, "--batch") == 0) {
            if (i + 1 >= argc || !sluice_cli_parse_i64(argv[i + 1], &only) || only < 0)
                return sluice_cli_usage_error("cat ", "--batch needs a batch id (0, 1, ...)");
            one = true;
            i++;
        } else if (a[0] == '-' && a[1]) {
            return sluice_cli_usage_error("cat ", "unknown option '%s'", a);
        } else if (!path) {
            path = a;
        } else {
            return sluice_cli_usage_error("cat ", "unexpected argument '%s'", a);
        }
    }
    if (!path) return sluice_cli_usage_error("cat ", "missing PATH");
    sluice_cli_init_logging(0);

    struct cat c = { .path = path };
    c.man_dir = sluice_xmalloc(strlen(path) + sizeof MANIFEST_DIR + 1);
    sprintf(c.man_dir, "%s/%s", path, MANIFEST_DIR);
    struct sluice_error err = { 0 };
    int rc = cat_run(&c, one, only, &err);
    for (size_t k = 0; k < 3; k++) sluice_decoder_free(c.dec[k]);
    if (c.schema.release) sluice_schema_release(&c.schema);
    free(c.no_corrupt);
    free(c.man_dir);
    free(c.buf);
    sluice_buf_free(&c.out);
    return rc ? sluice_cli_fail(&err) : 0;
}
