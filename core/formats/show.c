/* Spark's showString, for a batch. See show.h. */
#include "show.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mem.h"
#include "render.h"
#include "utf8.h"

/* Spark's show(n, truncate = true) cuts cells longer than this to
 * TRUNCATE_AT - 3 characters plus "...". */
#define TRUNCATE_AT 20
#define MIN_COL_WIDTH 3

static void put(struct sluice_buf *out, const void *p, size_t n)
{
    if (sluice_buf_append(out, p, n) != SLUICE_OK) {
        sluice_log(SLUICE_LOG_ERROR, NULL, "show: out of memory growing a buffer by %zu bytes", n);
        abort();
    }
}

static void put_repeat(struct sluice_buf *out, char c, size_t n)
{
    for (size_t i = 0; i < n; i++) put(out, &c, 1);
}

/* ---- Spark's text rules ---------------------------------------------------- */

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
        if (!sluice_utf8_continuation(s[i])) {
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

/* SchemaUtils.escapeMetaCharacters (Spark 3.2+, SPARK-33690). 0 when not one. */
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
static void append_cell(struct sluice_buf *out, const char *s, size_t n, size_t limit)
{
    size_t units = 0;
    for (size_t i = 0, len; i < n; i += len) {
        unsigned cp = utf8_next((const unsigned char *)s + i, n - i, &len);
        units += meta_escape(cp) ? 2 : utf16_units(cp);
    }
    size_t keep = limit && units > limit ? limit - 3 : (size_t)-1;
    size_t used = 0;
    for (size_t i = 0, len; i < n && used < keep; i += len) {
        unsigned cp = utf8_next((const unsigned char *)s + i, n - i, &len);
        char esc = meta_escape(cp);
        size_t u = esc ? 2 : utf16_units(cp);
        if (used + u > keep) {
            put(out, esc ? "\\" : "?", 1);
            used = keep;
            break;
        }
        if (esc) {
            char two[2] = { '\\', esc };
            put(out, two, 2);
        } else {
            put(out, s + i, len);
        }
        used += u;
    }
    if (keep != (size_t)-1) put(out, "...", 3);
}

/* ---- the table ----------------------------------------------------------------- */

/* Every cell's text back to back, header row first: cell (r, c) is
 * [off[r * cols + c], off[r * cols + c + 1]). */
struct cells {
    struct sluice_buf text;
    size_t *off;
    int64_t cols;
};

static const char *cell(const struct cells *t, int64_t r, int64_t c, size_t *n)
{
    size_t i = (size_t)r * (size_t)t->cols + (size_t)c;
    *n = t->off[i + 1] - t->off[i];
    return t->text.data + t->off[i];
}

static void put_separator(struct sluice_buf *out, const size_t *widths, int64_t cols)
{
    put(out, "+", 1);
    for (int64_t c = 0; c < cols; c++) {
        put_repeat(out, '-', widths[c]);
        put(out, "+", 1);
    }
    /* Scala's mkString("+", "+", "+\n") on no columns still writes both ends. */
    if (!cols) put(out, "+", 1);
    put(out, "\n", 1);
}

static void put_row(struct sluice_buf *out, const struct cells *t, int64_t r, const size_t *widths, bool truncate)
{
    put(out, "|", 1);
    for (int64_t c = 0; c < t->cols; c++) {
        size_t n;
        const char *s = cell(t, r, c, &n);
        size_t pad = widths[c] - half_width(s, n);
        if (!truncate) put(out, s, n);
        put_repeat(out, ' ', pad);
        if (truncate) put(out, s, n);
        put(out, "|", 1);
    }
    if (!t->cols) put(out, "|", 1);
    put(out, "\n", 1);
}

void sluice_show_format(const struct sluice_batch *b, int64_t num_rows, bool truncate, struct sluice_buf *out)
{
    sluice_show_format_batches(b, 1, num_rows, truncate, false, out);
}

void sluice_show_format_batches(const struct sluice_batch *batches, size_t n_batches, int64_t num_rows,
                                bool truncate, bool more, struct sluice_buf *out)
{
    const struct ArrowSchema *schema = batches[0].schema;
    int64_t cols = schema->n_children;
    int64_t rows = 0;
    for (size_t i = 0; i < n_batches; i++) rows += sluice_batch_rows(&batches[i]);
    if (num_rows < 0) num_rows = 0;
    int64_t shown = rows < num_rows ? rows : num_rows;

    struct cells t = { .cols = cols };
    t.off = sluice_xcalloc((size_t)(shown + 1) * (size_t)cols + 1, sizeof *t.off);
    struct sluice_buf scratch = { 0 };
    size_t k = 0;
    /* Spark escapes column names too, but never truncates them. */
    for (int64_t c = 0; c < cols; c++) {
        const char *name = schema->children[c]->name ? schema->children[c]->name : "";
        t.off[k++] = t.text.len;
        append_cell(&t.text, name, strlen(name), 0);
    }
    /* The first `shown` rows, batch after batch. */
    for (int64_t r = 0, bi = 0, br = 0; r < shown; r++, br++) {
        while (br >= sluice_batch_rows(&batches[bi])) {
            bi++;
            br = 0;
        }
        for (int64_t c = 0; c < cols; c++) {
            sluice_buf_clear(&scratch);
            sluice_render_cell_text(&batches[bi], c, br, &scratch);
            t.off[k++] = t.text.len;
            append_cell(&t.text, scratch.data ? scratch.data : "", scratch.len, truncate ? TRUNCATE_AT : 0);
        }
    }
    t.off[k] = t.text.len;
    if (!t.text.data) put(&t.text, "", 0);

    size_t *widths = sluice_xcalloc((size_t)cols + 1, sizeof *widths);
    for (int64_t c = 0; c < cols; c++) {
        size_t w = MIN_COL_WIDTH;
        for (int64_t r = 0; r <= shown; r++) {
            size_t n;
            const char *s = cell(&t, r, c, &n);
            size_t cw = half_width(s, n);
            if (cw > w) w = cw;
        }
        widths[c] = w;
    }

    put_separator(out, widths, cols);
    put_row(out, &t, 0, widths, truncate);
    put_separator(out, widths, cols);
    for (int64_t r = 1; r <= shown; r++) put_row(out, &t, r, widths, truncate);
    put_separator(out, widths, cols);
    if (more || rows > num_rows) {
        char line[64];
        int n = snprintf(line, sizeof line, "only showing top %lld %s\n", (long long)num_rows,
                         num_rows == 1 ? "row" : "rows");
        put(out, line, (size_t)n);
    }
    put(out, "\n", 1);

    free(widths);
    free(t.off);
    sluice_buf_free(&t.text);
    sluice_buf_free(&scratch);
}
