/* console: Spark's console sink. Prints each micro-batch to stdout.
 *
 *   { name = "out"; input = "by_lang"; sink = "console"; output_mode = "complete"; }
 *
 * format = "table" prints exactly what Spark's console sink prints (a
 * `Batch: N` banner, then Dataset.show(num_rows, truncate)), so output can
 * be compared byte for byte. format = "jsonl" prints every row as
 * {"batch_id":N,"row":{...}}, for scripts.
 *
 * Spark builds the table from the first num_rows rows only, and looks at
 * one more just to say "only showing top N rows"; so does this sink, which
 * keeps memory at num_rows rendered rows however big the batch. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/plugin.h>

/* ---- configuration ---- */

struct console_conf {
    const char *format;
    int64_t num_rows;
    bool truncate;
};

/* ---- the option table ---- */

static const struct sluice_option console_options[] = {
    { "format", SLUICE_OPT_ENUM, "table", SLUICE_OPT_OPTIONAL, offsetof(struct console_conf, format),
      "table: Spark's show() table per batch; jsonl: one JSON object per row", "table|jsonl" },
    { "num_rows", SLUICE_OPT_LONG, "20", SLUICE_OPT_OPTIONAL, offsetof(struct console_conf, num_rows),
      "table: rows shown per batch", NULL },
    { "truncate", SLUICE_OPT_BOOL, "true", SLUICE_OPT_OPTIONAL, offsetof(struct console_conf, truncate),
      "table: cut cells to 20 characters and align them right", NULL },
    { 0 }
};

/* ---- state ---- */

/* Spark's show(n, truncate = true) cuts cells longer than this to
 * TRUNCATE_AT - 3 characters plus "...". */
#define TRUNCATE_AT 20
#define MIN_COL_WIDTH 3

struct console {
    const struct sluice_host *host;
    bool jsonl;
    int64_t num_rows;
    bool truncate;
    int64_t n_cols;
    struct sluice_buf headers; /* escaped column names, back to back */
    size_t *header_off;        /* n_cols + 1 offsets into headers */
    int64_t batch_id;
    /* The batch being shown: cells of the first `kept` rows, each escaped
     * and truncated, back to back; cell_off[r * n_cols + c] is where one starts. */
    struct sluice_buf cells;
    size_t *cell_off;
    size_t cell_cap;
    int64_t kept;
    bool more;
    struct sluice_buf scratch; /* one rendered value, or one jsonl line */
    size_t *widths;            /* per column, at end() */
};

/* ---- Spark's text rules ---- */

/* Decode one UTF-8 character at s (n bytes left); invalid bytes stand for
 * themselves, one character each. */
static unsigned utf8_next(const unsigned char *s, size_t n, size_t *len)
{
    unsigned c = s[0];
    size_t need = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (need <= 1 || need > n) {
        *len = 1;
        return c;
    }
    unsigned cp = c & (0x7F >> need);
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *len = 1;
            return c;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    *len = need;
    return cp;
}

/* Java strings count UTF-16 units: characters beyond the BMP count two. */
static size_t utf16_units(unsigned cp)
{
    return cp >= 0x10000 ? 2 : 1;
}

/* Spark's Utils.fullWidthRegex: these take two columns on a terminal. */
static bool full_width(unsigned cp)
{
    return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
           (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
           (cp >= 0xFE10 && cp <= 0xFE19) || (cp >= 0xFE30 && cp <= 0xFE6F) ||
           (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6);
}

/* Spark's Utils.stringHalfWidth: UTF-16 length plus one per full-width character. */
static size_t half_width(const char *s, size_t n)
{
    size_t w = 0;
    for (size_t i = 0, len; i < n; i += len) {
        unsigned cp = utf8_next((const unsigned char *)s + i, n - i, &len);
        w += utf16_units(cp) + full_width(cp);
    }
    return w;
}

/* SchemaUtils.escapeMetaCharacters (Spark 3.2+, SPARK-33690): control characters that
 * would break the table print as backslash escapes. 0 when not one. */
static char meta_escape(unsigned cp)
{
    switch (cp) {
    case '\n': return 'n';
    case '\r': return 'r';
    case '\t': return 't';
    case '\f': return 'f';
    case '\b': return 'b';
    case '\v': return 'v';
    case '\a': return 'a';
    default: return 0;
    }
}

/* Append s escaped and, when `limit` > 0, cut as Spark cuts (on UTF-16
 * units, after escaping): longer than limit becomes its first limit - 3
 * units plus "...". A cut through a surrogate pair leaves a lone surrogate,
 * which Java prints as '?'; a cut through an escape leaves the backslash. */
static int append_cell(struct sluice_buf *out, const char *s, size_t n, size_t limit)
{
    size_t units = 0;
    for (size_t i = 0, len; i < n; i += len) {
        unsigned cp = utf8_next((const unsigned char *)s + i, n - i, &len);
        units += meta_escape(cp) ? 2 : utf16_units(cp);
    }
    size_t keep = limit && units > limit ? limit - 3 : (size_t)-1;
    size_t used = 0;
    int rc = sluice_buf_reserve(out, n + 8);
    for (size_t i = 0, len; i < n && used < keep && !rc; i += len) {
        unsigned cp = utf8_next((const unsigned char *)s + i, n - i, &len);
        char esc = meta_escape(cp);
        size_t u = esc ? 2 : utf16_units(cp);
        if (used + u > keep) {
            rc = sluice_buf_putc(out, esc ? '\\' : '?');
            used = keep;
            break;
        }
        if (esc) {
            char two[2] = { '\\', esc };
            rc = sluice_buf_append(out, two, 2);
        } else {
            rc = sluice_buf_append(out, s + i, len);
        }
        used += u;
    }
    if (!rc && keep != (size_t)-1) rc = sluice_buf_puts(out, "...");
    return rc;
}

/* ---- callbacks ---- */

static void console_close(void *state);

static int console_open(const struct sluice_host *host, const void *conf_ptr, struct sluice_ctx *ctx,
                        void **state, struct sluice_error *err)
{
    const struct console_conf *conf = conf_ptr;
    if (conf->num_rows < 0)
        return host->error(err, SLUICE_ECONFIG, "num_rows must not be negative, got %lld",
                           (long long)conf->num_rows);
    struct console *c = calloc(1, sizeof *c);
    if (!c) return host->error(err, SLUICE_ENOMEM, "out of memory");
    c->host = host;
    c->jsonl = strcmp(conf->format, "jsonl") == 0;
    c->num_rows = conf->num_rows;
    c->truncate = conf->truncate;
    host->use_all_columns(ctx);

    const struct ArrowSchema *in = host->input_schema(ctx);
    c->n_cols = in ? in->n_children : 0;
    c->header_off = calloc((size_t)c->n_cols + 1, sizeof *c->header_off);
    c->widths = calloc((size_t)c->n_cols + 1, sizeof *c->widths);
    int rc = c->header_off && c->widths ? SLUICE_OK : SLUICE_ENOMEM;
    /* Spark escapes column names too, but never truncates them. */
    for (int64_t i = 0; i < c->n_cols && !rc; i++) {
        const char *name = in->children[i]->name ? in->children[i]->name : "";
        c->header_off[i] = c->headers.len;
        rc = append_cell(&c->headers, name, strlen(name), 0);
    }
    if (!rc) c->header_off[c->n_cols] = c->headers.len;
    if (rc) {
        console_close(c);
        return host->error(err, SLUICE_ENOMEM, "out of memory");
    }
    *state = c;
    return SLUICE_OK;
}

static void console_close(void *state)
{
    struct console *c = state;
    sluice_buf_free(&c->headers);
    sluice_buf_free(&c->cells);
    sluice_buf_free(&c->scratch);
    free(c->header_off);
    free(c->cell_off);
    free(c->widths);
    free(c);
}

static int console_begin(void *state, int64_t batch_id, enum sluice_output_mode mode,
                         struct sluice_error *err)
{
    /* A replayed batch id is printed again, as Spark's console sink does:
     * printing twice harms nothing. */
    struct console *c = state;
    c->batch_id = batch_id;
    c->kept = 0;
    c->more = false;
    sluice_buf_clear(&c->cells);
    return SLUICE_OK;
}

static int write_failed(const struct console *c, struct sluice_error *err)
{
    return c->host->error(err, SLUICE_EIO, "cannot write to standard output: %s", strerror(errno));
}

static int write_jsonl(struct console *c, const struct sluice_batch *b, struct sluice_error *err)
{
    int64_t rows = sluice_batch_rows(b);
    for (int64_t r = 0; r < rows; r++) {
        sluice_buf_clear(&c->scratch);
        if (sluice_buf_printf(&c->scratch, "{\"batch_id\":%lld,\"row\":", (long long)c->batch_id))
            return c->host->error(err, SLUICE_ENOMEM, "out of memory");
        c->host->render_row_json(b, r, &c->scratch);
        if (sluice_buf_puts(&c->scratch, "}\n"))
            return c->host->error(err, SLUICE_ENOMEM, "out of memory");
        if (fwrite(c->scratch.data, 1, c->scratch.len, stdout) != c->scratch.len)
            return write_failed(c, err);
    }
    return SLUICE_OK;
}

static int keep_rows(struct console *c, const struct sluice_batch *b, struct sluice_error *err)
{
    int64_t rows = sluice_batch_rows(b);
    for (int64_t r = 0; r < rows; r++) {
        if (c->kept == c->num_rows) {
            c->more = true; /* the rest is never shown: don't render it */
            return SLUICE_OK;
        }
        size_t need = (size_t)(c->kept + 1) * (size_t)c->n_cols;
        if (need > c->cell_cap) {
            size_t cap = c->cell_cap ? c->cell_cap : 64;
            while (cap < need) cap *= 2;
            size_t *p = realloc(c->cell_off, cap * sizeof *p);
            if (!p) return c->host->error(err, SLUICE_ENOMEM, "out of memory");
            c->cell_off = p;
            c->cell_cap = cap;
        }
        for (int64_t col = 0; col < c->n_cols; col++) {
            sluice_buf_clear(&c->scratch);
            c->host->render_cell_text(b, col, r, &c->scratch);
            c->cell_off[(size_t)c->kept * (size_t)c->n_cols + (size_t)col] = c->cells.len;
            if (append_cell(&c->cells, c->scratch.data ? c->scratch.data : "", c->scratch.len,
                            c->truncate ? TRUNCATE_AT : 0))
                return c->host->error(err, SLUICE_ENOMEM, "out of memory");
        }
        c->kept++;
    }
    return SLUICE_OK;
}

static int console_write(void *state, struct sluice_batch *batch, struct sluice_error *err)
{
    struct console *c = state;
    int rc = c->jsonl ? write_jsonl(c, batch, err) : keep_rows(c, batch, err);
    sluice_batch_release(batch);
    return rc;
}

static const char *cell_text(const struct console *c, int64_t row, int64_t col, size_t *n)
{
    size_t i = (size_t)row * (size_t)c->n_cols + (size_t)col;
    size_t start = c->cell_off[i];
    size_t end = i + 1 < (size_t)(c->kept * c->n_cols) ? c->cell_off[i + 1] : c->cells.len;
    *n = end - start;
    return c->cells.data + start;
}

/* One table line: cells padded to the column widths (left-padded, i.e.
 * right-aligned, when truncating, as Spark does). */
static int put_line(struct console *c, struct sluice_buf *out, const char *const *texts,
                    const size_t *lens)
{
    int rc = sluice_buf_putc(out, '|');
    for (int64_t col = 0; col < c->n_cols && !rc; col++) {
        size_t pad = c->widths[col] - half_width(texts[col], lens[col]);
        if (!c->truncate) rc = sluice_buf_append(out, texts[col], lens[col]);
        for (size_t i = 0; i < pad && !rc; i++) rc = sluice_buf_putc(out, ' ');
        if (!rc && c->truncate) rc = sluice_buf_append(out, texts[col], lens[col]);
        if (!rc) rc = sluice_buf_putc(out, '|');
    }
    /* Scala's addString("|", "|", "|\n") on no cells still writes both ends. */
    if (!rc && !c->n_cols) rc = sluice_buf_putc(out, '|');
    if (!rc) rc = sluice_buf_putc(out, '\n');
    return rc;
}

/* The table as Spark's showString builds it, plus the banner and the
 * blank line println adds. */
static int format_table(struct console *c, struct sluice_buf *out)
{
    const char **texts = calloc((size_t)c->n_cols + 1, sizeof *texts);
    size_t *lens = calloc((size_t)c->n_cols + 1, sizeof *lens);
    int rc = texts && lens ? SLUICE_OK : SLUICE_ENOMEM;
    for (int64_t col = 0; col < c->n_cols && !rc; col++) {
        size_t n = c->header_off[col + 1] - c->header_off[col];
        size_t w = half_width(c->headers.data + c->header_off[col], n);
        for (int64_t r = 0; r < c->kept; r++) {
            const char *s = cell_text(c, r, col, &n);
            size_t cw = half_width(s, n);
            if (cw > w) w = cw;
        }
        c->widths[col] = w < MIN_COL_WIDTH ? MIN_COL_WIDTH : w;
    }
    if (!rc)
        rc = sluice_buf_printf(out, "-------------------------------------------\n"
                                    "Batch: %lld\n"
                                    "-------------------------------------------\n",
                               (long long)c->batch_id);
    size_t sep_at = out->len;
    if (!rc) rc = sluice_buf_putc(out, '+');
    for (int64_t col = 0; col < c->n_cols && !rc; col++) {
        for (size_t i = 0; i < c->widths[col] && !rc; i++) rc = sluice_buf_putc(out, '-');
        if (!rc) rc = sluice_buf_putc(out, '+');
    }
    if (!rc && !c->n_cols) rc = sluice_buf_putc(out, '+');
    if (!rc) rc = sluice_buf_putc(out, '\n');
    size_t sep_len = out->len - sep_at;

    for (int64_t col = 0; col < c->n_cols && !rc; col++) {
        texts[col] = c->headers.data + c->header_off[col];
        lens[col] = c->header_off[col + 1] - c->header_off[col];
    }
    if (!rc) rc = put_line(c, out, texts, lens);
    /* out may move as it grows: copy the separator through a fresh pointer each time. */
    if (!rc) rc = sluice_buf_reserve(out, sep_len);
    if (!rc) rc = sluice_buf_append(out, out->data + sep_at, sep_len);
    for (int64_t r = 0; r < c->kept && !rc; r++) {
        for (int64_t col = 0; col < c->n_cols; col++) texts[col] = cell_text(c, r, col, &lens[col]);
        rc = put_line(c, out, texts, lens);
    }
    if (!rc) rc = sluice_buf_reserve(out, sep_len);
    if (!rc) rc = sluice_buf_append(out, out->data + sep_at, sep_len);
    if (!rc && c->more)
        rc = sluice_buf_printf(out, "only showing top %lld %s\n", (long long)c->num_rows,
                               c->num_rows == 1 ? "row" : "rows");
    if (!rc) rc = sluice_buf_putc(out, '\n');
    free(texts);
    free(lens);
    return rc;
}

static int console_end(void *state, int64_t batch_id, struct sluice_error *err)
{
    struct console *c = state;
    if (!c->jsonl) {
        sluice_buf_clear(&c->scratch);
        if (format_table(c, &c->scratch)) return c->host->error(err, SLUICE_ENOMEM, "out of memory");
        if (fwrite(c->scratch.data, 1, c->scratch.len, stdout) != c->scratch.len)
            return write_failed(c, err);
        sluice_buf_clear(&c->cells);
    }
    if (fflush(stdout) != 0) return write_failed(c, err);
    return SLUICE_OK;
}

/* ---- the descriptor ---- */

SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void)
{
    static const struct sluice_plugin p = {
        .abi_version = SLUICE_ABI_VERSION,
        .size = sizeof(struct sluice_plugin),
        .kind = SLUICE_KIND_SINK,
        .name = "console",
        .summary = "print each micro-batch to standard output, as Spark's console sink",
        .options = console_options,
        .conf_size = sizeof(struct console_conf),
        .modes = SLUICE_MODE_APPEND | SLUICE_MODE_UPDATE | SLUICE_MODE_COMPLETE,
        .open = console_open,
        .close = console_close,
        .begin = console_begin,
        .write = console_write,
        .end = console_end,
    };
    return &p;
}
