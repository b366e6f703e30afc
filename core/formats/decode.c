/* core/formats/decode.c — the decoder object, the line loop and Spark's parse modes.
 *
 * The formats (decode_json.c, decode_csv.c) only turn one line into rows;
 * everything that must behave the same for both lives here: the UTF-8 BOM,
 * CRLF, blank lines, line numbers, the corrupt-record column, the three
 * parse modes, rolling rows back when a line turns out to be bad, lines
 * too large for a batch, and repairing invalid UTF-8. */
#define _GNU_SOURCE /* strtod_l: numbers must not follow LC_NUMERIC */
#include "decode.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder.h"
#include "decode_priv.h"
#include "error.h"
#include "mem.h"

#define DEFAULT_CORRUPT_COLUMN "_corrupt_record"
/* A line too large for the batch keeps at most this much of its text in
 * the corrupt column: enough to find it by, not another 2 GiB. */
#define CORRUPT_KEEP ((size_t)1 << 20)

void sluice_decode_scratch_grow_(struct sluice_decoder *d, size_t n)
{
    size_t cap = d->scratch_cap ? d->scratch_cap : 256;
    while (cap < n) cap *= 2;
    free(d->scratch);
    d->scratch = sluice_xmalloc(cap);
    d->scratch_cap = cap;
}

void sluice_decode_append_repaired_(struct sluice_decoder *d, struct sluice_builder *b, const char *s, size_t n)
{
    /* A repair never shrinks text: what does not fit unrepaired is refused
     * (and the line made malformed) without repairing 2 GiB first. */
    if (n > (size_t)b->limit - b->data_len) {
        sluice_builder_append_string(b, s, n);
        return;
    }
    size_t room = SLUICE_UTF8_REPAIR_ROOM(n);
    if (room > d->repair_cap) {
        size_t cap = d->repair_cap ? d->repair_cap : 256;
        while (cap < room) cap *= 2;
        free(d->repair);
        d->repair = sluice_xmalloc(cap);
        d->repair_cap = cap;
    }
    size_t len = sluice_utf8_repair(s, n, d->repair, &d->invalid_utf8);
    sluice_builder_append_string(b, d->repair, len);
}

int sluice_decode_parse_double(struct sluice_decoder *d, const char *s, size_t n, double *v)
{
    /* Exact powers of ten: a mantissa below 2^53 times one of these is
     * correctly rounded (Clinger's fast path), which covers nearly every
     * number a tweet or a CSV file holds without calling strtod. */
    static const double pow10[] = { 1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                    1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
    uint64_t mant = 0;
    int sig = 0, exp10 = 0, digits = 0;
    bool exact = true;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
        if (sig < 19) {
            mant = mant * 10 + (uint64_t)(s[i] - '0');
            if (mant) sig++;
        } else {
            exact = false;
        }
    }
    if (i < n && s[i] == '.') {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
            if (sig < 19) {
                mant = mant * 10 + (uint64_t)(s[i] - '0');
                if (mant) sig++;
                exp10--;
            } else {
                exact = false;
            }
        }
    }
    if (!digits) return -1;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (s[i] == '-' || s[i] == '+')) eneg = s[i++] == '-';
        if (i >= n || s[i] < '0' || s[i] > '9') return -1;
        int e = 0;
        for (; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            if (e < 100000) e = e * 10 + (s[i] - '0');
        exp10 += eneg ? -e : e;
    }
    if (i != n) return -1;
    if (exact && mant <= (UINT64_C(1) << 53) && exp10 >= -22 && exp10 <= 22) {
        double x = (double)mant;
        x = exp10 < 0 ? x / pow10[-exp10] : x * pow10[exp10];
        *v = neg ? -x : x;
        return 0;
    }
    char small[64];
    char *buf = n < sizeof small ? small : sluice_decode_scratch(d, n + 1);
    memcpy(buf, s, n);
    buf[n] = '\0';
    *v = strtod_l(buf, NULL, d->c_locale);
    return 0;
}

static const struct ArrowSchema *child_named(const struct ArrowSchema *s, const char *name,
                                             int64_t *index)
{
    for (int64_t i = 0; i < s->n_children; i++) {
        if (s->children[i]->name && strcmp(s->children[i]->name, name) == 0) {
            *index = i;
            return s->children[i];
        }
    }
    *index = -1;
    return NULL;
}

static int check_types(const struct ArrowSchema *s, const char *name, struct sluice_error *err)
{
    if (sluice_type_of(s) == SLUICE_TYPE_INVALID)
        return sluice_error_set(err, SLUICE_ECONFIG, "column '%s' has type '%s', which sluice cannot decode",
                                name ? name : "?", s->format ? s->format : "");
    for (int64_t i = 0; i < s->n_children; i++) {
        const struct ArrowSchema *c = s->children[i];
        int rc = check_types(c, c->name ? c->name : name, err);
        if (rc) return rc;
    }
    return SLUICE_OK;
}

int sluice_decoder_new(const struct sluice_decode_opts *opts, struct sluice_decoder **out,
                       struct sluice_error *err)
{
    *out = NULL;
    /* Copy only the fields the caller's struct has: a plugin built against
     * an older, shorter struct gets zero (the default) for the rest. */
    struct sluice_decode_opts o;
    memset(&o, 0, sizeof o);
    if (!opts || opts->size < offsetof(struct sluice_decode_opts, corrupt_column))
        return sluice_error_set(err, SLUICE_ECONFIG, "decoder options are missing or too short (size %u)",
                                opts ? (unsigned)opts->size : 0u);
    memcpy(&o, opts, opts->size < sizeof o ? opts->size : sizeof o);

    if (!o.schema || sluice_type_of(o.schema) != SLUICE_TYPE_STRUCT)
        return sluice_error_set(err, SLUICE_ECONFIG, "the decoder's schema must be a struct");
    int rc = check_types(o.schema, NULL, err);
    if (rc) return rc;
    const char *format = o.format ? o.format : "json";
    bool json = strcmp(format, "json") == 0;
    if (!json && strcmp(format, "csv") != 0) {
        rc = sluice_error_set(err, SLUICE_ECONFIG, "unknown format '%s'", format);
        sluice_error_hint(err, "use \"json\" (JSON lines) or \"csv\"");
        return rc;
    }
    if ((unsigned)o.mode > SLUICE_PARSE_FAIL_FAST)
        return sluice_error_set(err, SLUICE_ECONFIG, "unknown parse mode %d", (int)o.mode);

    struct sluice_decoder *d = sluice_xcalloc(1, sizeof *d);
    d->schema = o.schema;
    d->mode = o.mode;
    d->csv_header = o.csv_header;
    d->csv_delimiter = o.csv_delimiter ? o.csv_delimiter : ',';
    /* An older caller's opts end before stats_size, which o then holds as 0. */
    d->stats_size = o.stats_size;
    d->c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (d->c_locale == (locale_t)0) {
        free(d);
        return sluice_error_set(err, SLUICE_EINTERNAL, "cannot create the C locale for number parsing");
    }
    const char *cname = o.corrupt_column ? o.corrupt_column : DEFAULT_CORRUPT_COLUMN;
    const struct ArrowSchema *cs = child_named(o.schema, cname, &d->corrupt_index);
    if (cs && sluice_type_of(cs) != SLUICE_TYPE_STRING) {
        sluice_decoder_free(d);
        return sluice_error_set(err, SLUICE_ECONFIG, "corrupt record column '%s' must be a string, not %s",
                                cname, sluice_type_name(sluice_type_of(cs)));
    }
    d->root = sluice_builder_new(o.schema);
    if (cs) d->corrupt = &d->root->children[d->corrupt_index];

    rc = json ? sluice_decoder_json_init(d, o.projection, err)
              : sluice_decoder_csv_init(d, o.projection, err);
    if (rc) {
        sluice_decoder_free(d);
        return rc;
    }
    *out = d;
    return SLUICE_OK;
}

void sluice_decoder_free(struct sluice_decoder *d)
{
    if (!d) return;
    if (d->fmt && d->fmt->free) d->fmt->free(d->impl);
    if (d->root) sluice_builder_free(d->root);
    if (d->c_locale != (locale_t)0) freelocale(d->c_locale);
    free(d->scratch);
    free(d->repair);
    free(d);
}

static int64_t count_lines(const char *p, const char *end)
{
    int64_t n = 1;
    while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        n++;
        p++;
    }
    return n;
}

static bool blank(const char *p, const char *end)
{
    for (; p < end; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r') return false;
    return true;
}

/* A line whose values the builder refused (size_limit.h): the refusal
 * becomes the line's reason, and the line a syntax-kind bad one, so its
 * half-built rows are rolled back. */
static enum sluice_decode_line_status too_large(struct sluice_decoder *d, struct sluice_decode_line *ln)
{
    struct sluice_error e = { 0 };
    sluice_builder_refusal(d->root, &e);
    snprintf(ln->why, sizeof ln->why, "%.*s", (int)sizeof ln->why - 1, e.message);
    return SLUICE_DECODE_LINE_SYNTAX;
}

/* The raw line into the corrupt column at its current slot, repaired like
 * any text. A line the column has no room left for (one that was too
 * large, mostly) keeps its first CORRUPT_KEEP bytes or what fits, whole
 * characters only, then a note with its full length. */
static void append_corrupt(struct sluice_decoder *d, const struct sluice_decode_line *ln)
{
    struct sluice_builder *c = d->corrupt;
    const char *p = ln->p;
    size_t n = (size_t)(ln->end - ln->p), room = (size_t)c->limit - c->data_len;
    if (n <= room) {
        if (sluice_utf8_valid(p, n)) {
            sluice_builder_append_string(c, p, n);
            return;
        }
        size_t need = SLUICE_UTF8_REPAIR_ROOM(n);
        char *fixed = sluice_decode_scratch(d, need);
        size_t len = sluice_utf8_repair(p, n, fixed, &d->invalid_utf8);
        if (len <= room) {
            sluice_builder_append_string(c, fixed, len);
            return;
        }
    }
    char note[96];
    int w = snprintf(note, sizeof note, "... [truncated: the line holds %zu bytes]", n);
    size_t note_len = w > 0 ? (size_t)w : 0;
    if (room < note_len) {
        sluice_builder_append_null(c);
        return;
    }
    size_t keep = room - note_len < CORRUPT_KEEP ? room - note_len : CORRUPT_KEEP;
    /* Cut at a character's start, so the cut itself is not counted as
     * invalid input; repair may grow what is left: clip again after it. */
    size_t raw = sluice_utf8_clip(p, n, keep);
    char *buf = sluice_decode_scratch(d, SLUICE_UTF8_REPAIR_ROOM(raw) + note_len);
    size_t len = sluice_utf8_clip(buf, sluice_utf8_repair(p, raw, buf, &d->invalid_utf8), keep);
    memcpy(buf + len, note, note_len);
    sluice_builder_append_string(c, buf, len + note_len);
}

/* Apply the parse mode to a bad line whose rows start at root slot `first`. */
static int bad_line(struct sluice_decoder *d, const struct sluice_decode_input *in,
                    struct sluice_decode_line *ln, enum sluice_decode_line_status st, int64_t first,
                    struct sluice_error *err)
{
    struct sluice_builder *root = d->root;
    switch (d->mode) {
    case SLUICE_PARSE_FAIL_FAST:
        return sluice_error_set(err, SLUICE_EDATA, "malformed %s at %s:%lld: %s", d->fmt->name,
                                in->origin ? in->origin : "<input>", (long long)ln->number,
                                ln->why[0] ? ln->why : "bad record");
    case SLUICE_PARSE_DROP_MALFORMED:
        sluice_builder_truncate(root, first);
        return SLUICE_OK;
    case SLUICE_PARSE_PERMISSIVE:
        if (st == SLUICE_DECODE_LINE_SYNTAX) {
            sluice_builder_truncate(root, first);
            sluice_builder_append_struct(root);
        }
        if (d->corrupt) {
            for (int64_t r = first; r < root->length; r++) {
                sluice_decode_builder_at(d->corrupt, r);
                append_corrupt(d, ln);
            }
        }
        return SLUICE_OK;
    }
    return SLUICE_OK;
}

static void add_stats(const struct sluice_decoder *d, struct sluice_decode_stats *stats, int64_t rows,
                      int64_t malformed, int64_t bytes)
{
    if (!stats) return;
    stats->rows += rows;
    stats->malformed += malformed;
    stats->bytes += bytes;
    if (d->stats_size >= offsetof(struct sluice_decode_stats, invalid_utf8) + sizeof stats->invalid_utf8)
        stats->invalid_utf8 += d->invalid_utf8;
}

int sluice_decode(struct sluice_decoder *d, const struct sluice_decode_input *in,
                  struct sluice_batch *out, struct sluice_decode_stats *stats,
                  struct sluice_error *err)
{
    memset(out, 0, sizeof *out);
    const char *p = in->data, *end = in->data + in->len;
    if (in->file_start && in->len >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
    if (in->len) {
        /* Count lines once; later batches estimate from the bytes per row
         * seen so far, which saves a pass over the input. */
        int64_t est = d->seen_rows > 1024 ? (int64_t)in->len / (d->seen_bytes / d->seen_rows + 1) + 64
                                         : count_lines(p, end);
        sluice_builder_reserve(d->root, est);
        if (d->fmt->reserve) d->fmt->reserve(d, est);
    }

    struct sluice_decode_line ln;
    ln.buf_end = end;
    ln.number = in->first_line;
    ln.file_start = in->file_start;
    int64_t malformed = 0;
    d->invalid_utf8 = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        const char *next = nl ? nl + 1 : end;
        if (le > p && le[-1] == '\r') le--;
        if (!blank(p, le)) {
            int64_t first = d->root->length;
            ln.p = p;
            ln.end = le;
            ln.why[0] = '\0';
            enum sluice_decode_line_status st = d->fmt->line(d, &ln);
            if (__builtin_expect(sluice_builder_refused(d->root), 0)) st = too_large(d, &ln);
            if (st != SLUICE_DECODE_LINE_OK) {
                malformed++;
                int rc = bad_line(d, in, &ln, st, first, err);
                if (rc) {
                    sluice_builder_truncate(d->root, 0);
                    add_stats(d, stats, 0, malformed, 0);
                    return rc;
                }
            }
            ln.file_start = false;
        }
        ln.number++;
        p = next;
    }
    d->seen_rows += d->root->length;
    d->seen_bytes += (int64_t)in->len;
    sluice_builder_finish(d->root, out);
    add_stats(d, stats, out->array.length, malformed, (int64_t)in->len);
    return SLUICE_OK;
}
