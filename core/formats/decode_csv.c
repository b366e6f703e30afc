/* core/formats/decode_csv.c — CSV lines into column builders.
 *
 * RFC 4180 quoting on one line (a quote inside a quoted field is doubled;
 * as Spark without multiLine, a record never spans lines). With a header
 * the columns are matched to top-level fields by name, ignoring case;
 * without one, by position. Following Spark's UnivocityParser: an empty
 * field is null; a value that does not convert makes its field null and the
 * row malformed; a row with too few or too many fields is malformed too,
 * keeping what it has (missing fields null, extra ones dropped). */
#include "decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "builder.h"
#include "decimal.h"
#include "colpath.h"
#include "decode_priv.h"
#include "error.h"
#include "mem.h"
#include "timefmt.h"

struct ccol {
    enum sluice_type type;
    bool needed;
    struct sluice_builder *b;
    const char *name;
};

struct ctok {
    const char *p;
    size_t len;
    bool quoted;
    bool esc; /* holds doubled quotes */
};

struct cdec {
    struct ccol *cols;  /* top-level fields but the corrupt column, in schema order */
    int64_t n_cols;
    int64_t *map;       /* header: column of each field position, or -1 */
    int64_t n_map;
    size_t map_cap;
    bool have_header;
    struct ctok *toks;
    size_t toks_cap;
};

/* Split [p, end) at `delim`; returns the field count, or -1 with ln->why. */
static int64_t tokenize(struct cdec *c, struct sluice_decode_line *ln, char delim)
{
    const char *p = ln->p, *end = ln->end;
    int64_t n = 0;
    for (;;) {
        struct ctok t = { 0 };
        if (p < end && *p == '"') {
            const char *q = p + 1, *r;
            for (;;) {
                r = memchr(q, '"', (size_t)(end - q));
                if (!r) {
                    snprintf(ln->why, sizeof ln->why, "unterminated quoted field at column %lld",
                             (long long)(p - ln->p) + 1);
                    return -1;
                }
                if (r + 1 < end && r[1] == '"') {
                    t.esc = true;
                    q = r + 2;
                    continue;
                }
                break;
            }
            t.p = p + 1;
            t.len = (size_t)(r - t.p);
            t.quoted = true;
            p = r + 1;
            if (p < end && *p != delim) {
                snprintf(ln->why, sizeof ln->why, "unexpected '%c' after a closing quote at column %lld",
                         *p, (long long)(p - ln->p) + 1);
                return -1;
            }
        } else {
            const char *r = memchr(p, delim, (size_t)(end - p));
            if (!r) r = end;
            t.p = p;
            t.len = (size_t)(r - p);
            p = r;
        }
        if ((size_t)n == c->toks_cap) {
            c->toks_cap = c->toks_cap ? c->toks_cap * 2 : 16;
            c->toks = sluice_xrealloc(c->toks, c->toks_cap * sizeof *c->toks);
        }
        c->toks[n++] = t;
        if (p >= end) return n;
        p++; /* the delimiter: a trailing one leaves an empty last field */
    }
}

/* The field's text with doubled quotes undone (in the decoder's scratch). */
static const char *tok_text(struct sluice_decoder *d, const struct ctok *t, size_t *len)
{
    if (!t->esc) {
        *len = t->len;
        return t->p;
    }
    char *o = sluice_decode_scratch(d, t->len), *w = o;
    for (size_t i = 0; i < t->len; i++) {
        *w++ = t->p[i];
        if (t->p[i] == '"') i++;
    }
    *len = (size_t)(w - o);
    return o;
}

static bool parse_long(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
    if (i == n) return false;
    uint64_t v = 0, limit = neg ? UINT64_C(1) << 63 : (UINT64_C(1) << 63) - 1;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        unsigned dgt = (unsigned)(s[i] - '0');
        if (v > (limit - dgt) / 10) return false;
        v = v * 10 + dgt;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

static bool is_word(const char *s, size_t n, const char *w)
{
    return n == strlen(w) && strncasecmp(s, w, n) == 0;
}

/* Convert one field; false: it does not fit the column's type. */
static bool convert(struct sluice_decoder *d, const struct ccol *col, const char *s, size_t n)
{
    int64_t l;
    double x;
    switch (col->type) {
    case SLUICE_TYPE_STRING:
        sluice_decode_append_text(d, col->b, s, n);
        return true;
    case SLUICE_TYPE_LONG:
        if (!parse_long(s, n, &l)) return false;
        sluice_builder_append_long(col->b, l);
        return true;
    case SLUICE_TYPE_DOUBLE:
        /* Spark's nanValue/positiveInf/negativeInf defaults, then Java's words. */
        if (n == 3 && memcmp(s, "NaN", 3) == 0) x = __builtin_nan("");
        else if ((n == 3 && memcmp(s, "Inf", 3) == 0) || (n == 8 && memcmp(s, "Infinity", 8) == 0) ||
                 (n == 9 && memcmp(s, "+Infinity", 9) == 0))
            x = __builtin_inf();
        else if ((n == 4 && memcmp(s, "-Inf", 4) == 0) || (n == 9 && memcmp(s, "-Infinity", 9) == 0))
            x = -__builtin_inf();
        else if (sluice_decode_parse_double(d, s, n, &x)) return false;
        sluice_builder_append_double(col->b, x);
        return true;
    case SLUICE_TYPE_BOOLEAN:
        if (is_word(s, n, "true")) sluice_builder_append_bool(col->b, true);
        else if (is_word(s, n, "false")) sluice_builder_append_bool(col->b, false);
        else return false;
        return true;
    case SLUICE_TYPE_TIMESTAMP:
        if (sluice_time_parse(s, n, &l) != 0) return false;
        sluice_builder_append_timestamp(col->b, l);
        return true;
    case SLUICE_TYPE_DATE: {
        int32_t days;
        if (sluice_date_parse(s, n, &days) != 0) return false;
        sluice_builder_append_date(col->b, days);
        return true;
    }
    case SLUICE_TYPE_DECIMAL: {
        int p, sc;
        sluice_dec v;
        sluice_decimal_params(col->b->schema, &p, &sc);
        if (sluice_dec_parse(s, n, p, sc, &v) != 0) return false;
        sluice_builder_append_decimal(col->b, v);
        return true;
    }
    default:
        return false;
    }
}

static void read_header(struct sluice_decoder *d, struct cdec *c, int64_t ntok)
{
    if ((size_t)ntok > c->map_cap) {
        c->map_cap = (size_t)ntok;
        c->map = sluice_xrealloc(c->map, c->map_cap * sizeof *c->map);
    }
    for (int64_t t = 0; t < ntok; t++) {
        size_t len;
        const char *name = tok_text(d, &c->toks[t], &len);
        c->map[t] = -1;
        for (int64_t k = 0; k < c->n_cols; k++) {
            if (is_word(name, len, c->cols[k].name)) {
                bool taken = false;
                for (int64_t u = 0; u < t; u++) taken |= c->map[u] == k;
                if (!taken) c->map[t] = k;
                break;
            }
        }
    }
    c->n_map = ntok;
    c->have_header = true;
}

static enum sluice_decode_line_status csv_line(struct sluice_decoder *d, struct sluice_decode_line *ln)
{
    struct cdec *c = d->impl;
    int64_t ntok = tokenize(c, ln, d->csv_delimiter);
    if (ntok < 0) return SLUICE_DECODE_LINE_SYNTAX;
    if (ln->file_start) c->have_header = false;
    if (d->csv_header && ln->file_start) {
        read_header(d, c, ntok);
        return SLUICE_DECODE_LINE_OK;
    }
    int64_t want = c->have_header ? c->n_map : c->n_cols;
    bool bad = ntok != want;
    if (bad)
        snprintf(ln->why, sizeof ln->why, "expected %lld fields, found %lld", (long long)want,
                 (long long)ntok);
    sluice_decode_struct_slot(d->root);
    int64_t slot = d->root->length - 1;
    for (int64_t t = 0; t < ntok && t < want; t++) {
        int64_t k = c->have_header ? c->map[t] : t;
        if (k < 0 || !c->cols[k].needed) continue;
        const struct ccol *col = &c->cols[k];
        const struct ctok *tok = &c->toks[t];
        /* Empty is null; a quoted "" stays an empty string for a string column. */
        if (tok->len == 0 && !(tok->quoted && col->type == SLUICE_TYPE_STRING)) continue;
        sluice_decode_builder_at(col->b, slot);
        size_t len;
        const char *s = tok_text(d, tok, &len);
        if (!convert(d, col, s, len)) {
            sluice_builder_append_null(col->b);
            if (!bad)
                snprintf(ln->why, sizeof ln->why, "field '%s' cannot hold '%.*s' as %s", col->name,
                         (int)(len > 40 ? 40 : len), s, sluice_type_name(col->type));
            bad = true;
        }
    }
    return bad ? SLUICE_DECODE_LINE_PARTIAL : SLUICE_DECODE_LINE_OK;
}

static void csv_reserve(struct sluice_decoder *d, int64_t rows)
{
    struct cdec *c = d->impl;
    for (int64_t k = 0; k < c->n_cols; k++)
        if (c->cols[k].needed) sluice_builder_reserve(c->cols[k].b, rows);
}

static void csv_free(void *impl)
{
    struct cdec *c = impl;
    if (!c) return;
    free(c->cols);
    free(c->map);
    free(c->toks);
    free(c);
}

static const struct sluice_decode_format csv_format = {
    .name = "CSV", .line = csv_line, .reserve = csv_reserve, .free = csv_free,
};

static int mark_needed(struct sluice_decoder *d, struct cdec *c, const char *path,
                       struct sluice_error *err)
{
    size_t len = strlen(path);
    char *storage = sluice_xmalloc(len + 1);
    const char *segs[SLUICE_PATH_MAX_DEPTH];
    int nseg = sluice_projection_path_split(path, storage, segs, SLUICE_PATH_MAX_DEPTH);
    int rc = SLUICE_OK;
    int64_t k = 0;
    if (nseg <= 0) {
        rc = sluice_error_set(err, SLUICE_ECONFIG, "bad projection path '%s'", path);
        goto out;
    }
    while (k < c->n_cols && strcmp(c->cols[k].name, segs[0]) != 0) k++;
    if (k == c->n_cols && d->corrupt_index >= 0 && nseg == 1 &&
        strcmp(d->schema->children[d->corrupt_index]->name, segs[0]) == 0)
        goto out; /* filled from the raw line, not parsed */
    if (k == c->n_cols)
        rc = sluice_error_set(err, SLUICE_ECONFIG, "projection path '%s': no csv column '%s'", path, segs[0]);
    else if (nseg > 1)
        rc = sluice_error_set(err, SLUICE_ECONFIG, "projection path '%s': csv column '%s' has no fields",
                              path, segs[0]);
    else
        c->cols[k].needed = true;
out:
    free(storage);
    return rc;
}

int sluice_decoder_csv_init(struct sluice_decoder *d, const struct sluice_projection *proj,
                            struct sluice_error *err)
{
    const struct ArrowSchema *s = d->schema;
    struct cdec *c = sluice_xcalloc(1, sizeof *c);
    d->fmt = &csv_format;
    d->impl = c;
    c->cols = sluice_xcalloc((size_t)(s->n_children ? s->n_children : 1), sizeof *c->cols);
    for (int64_t i = 0; i < s->n_children; i++) {
        if (i == d->corrupt_index) continue;
        const struct ArrowSchema *f = s->children[i];
        enum sluice_type t = sluice_type_of(f);
        if (t == SLUICE_TYPE_STRUCT || t == SLUICE_TYPE_ARRAY || t == SLUICE_TYPE_MAP) {
            int rc = sluice_error_set(err, SLUICE_ECONFIG,
                                      "csv column '%s' is %s %s, but csv holds only flat columns",
                                      f->name ? f->name : "", t == SLUICE_TYPE_ARRAY ? "an" : "a",
                                      sluice_type_name(t));
            sluice_error_hint(err, "use format \"json\" for nested data");
            return rc;
        }
        c->cols[c->n_cols++] = (struct ccol){ t, !proj || proj->all, &d->root->children[i],
                                              f->name ? f->name : "" };
    }
    if (proj && !proj->all) {
        for (size_t i = 0; i < proj->n_paths; i++) {
            int rc = mark_needed(d, c, proj->paths[i], err);
            if (rc) return rc;
        }
    }
    return SLUICE_OK;
}
