/* core/formats/render.c — values as JSON and as Spark's show() text.
 *
 * Doubles print as Java's Double.toString does, in both forms: Spark's JSON
 * writer hands doubles to Jackson, which writes String.valueOf(d) (so `1.0`,
 * `1.0E10`, `1.0E-5`, all valid JSON numbers), and show() casts with the
 * same toString. The digits are the shortest that read back to the same
 * double, found with printf and strtod. */
#include "render.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/types.h>

#include "decimal.h"
#include "log.h"
#include "timefmt.h"

static void put(struct sluice_buf *out, const void *p, size_t n)
{
    if (sluice_buf_append(out, p, n) != SLUICE_OK) {
        sluice_log(SLUICE_LOG_ERROR, NULL, "render: out of memory growing a buffer by %zu bytes", n);
        abort();
    }
}

static void puts_(struct sluice_buf *out, const char *s)
{
    put(out, s, strlen(s));
}

static void put_long(struct sluice_buf *out, int64_t v)
{
    char tmp[24], *p = tmp + sizeof tmp;
    /* Negate in unsigned arithmetic so INT64_MIN does not overflow. */
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) *--p = '-';
    put(out, p, (size_t)(tmp + sizeof tmp - p));
}

/* ---- doubles -------------------------------------------------------------- */

/* `v` (finite, non-zero, positive) with `precision` significant digits in
 * %e form; true when that text reads back as `v`. */
static bool try_digits(double v, int precision, char *buf, size_t size)
{
    snprintf(buf, size, "%.*e", precision - 1, v);
    return strtod(buf, NULL) == v;
}

size_t sluice_render_double_text(double v, char out[SLUICE_DOUBLE_TEXT])
{
    if (isnan(v)) return (size_t)snprintf(out, SLUICE_DOUBLE_TEXT, "NaN");
    if (isinf(v)) return (size_t)snprintf(out, SLUICE_DOUBLE_TEXT, v < 0 ? "-Infinity" : "Infinity");
    if (v == 0) return (size_t)snprintf(out, SLUICE_DOUBLE_TEXT, signbit(v) ? "-0.0" : "0.0");
    size_t n = 0;
    if (signbit(v)) {
        out[n++] = '-';
        v = -v;
    }

    /* Any decimal of up to 15 digits survives a trip through a normal
     * double, so if 15 digits read back, the shortest form is them minus
     * trailing zeros. */
    char e[40];
    bool subnormal = v < DBL_MIN;
    if (subnormal) {
        /* Fewer than 15 digits are exact here, so search from one. */
        for (int prec = 1; prec < 17 && !try_digits(v, prec, e, sizeof e); prec++) {}
    } else if (!try_digits(v, 15, e, sizeof e) && !try_digits(v, 16, e, sizeof e)) {
        try_digits(v, 17, e, sizeof e);
    }

    /* e is "d.ddde[+-]x": collect the significant digits and the exponent. */
    char digits[20];
    size_t nd = 0;
    const char *p = e;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9') digits[nd++] = *p;
    int exp10 = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    /* Java takes two digits over one when they are closer to the value,
     * which happens only where doubles are sparse (Double.MIN_VALUE is 4.9E-324). */
    if (nd == 1 && subnormal) {
        char two[40];
        if (try_digits(v, 2, two, sizeof two) && two[2] != '0') {
            digits[0] = two[0];
            digits[1] = two[2];
            nd = 2;
            exp10 = atoi(strchr(two, 'e') + 1);
        }
    }

    char *text = out;
    if (exp10 >= -3 && exp10 < 7) {
        /* Plain notation, at least one digit on each side of the point. */
        if (exp10 < 0) {
            text[n++] = '0';
            text[n++] = '.';
            for (int z = -1; z > exp10; z--) text[n++] = '0';
            memcpy(text + n, digits, nd);
            n += nd;
        } else {
            size_t int_digits = (size_t)exp10 + 1;
            for (size_t k = 0; k < int_digits; k++) text[n++] = k < nd ? digits[k] : '0';
            text[n++] = '.';
            if (nd > int_digits) {
                memcpy(text + n, digits + int_digits, nd - int_digits);
                n += nd - int_digits;
            } else {
                text[n++] = '0';
            }
        }
    } else {
        /* Java's computerized scientific notation: 1.0E10, 1.234E-5. */
        text[n++] = digits[0];
        text[n++] = '.';
        if (nd > 1) {
            memcpy(text + n, digits + 1, nd - 1);
            n += nd - 1;
        } else {
            text[n++] = '0';
        }
        n += (size_t)snprintf(text + n, SLUICE_DOUBLE_TEXT - n, "E%d", exp10);
    }
    text[n] = '\0';
    return n;
}

void sluice_render_double(double v, struct sluice_buf *out)
{
    char text[SLUICE_DOUBLE_TEXT];
    put(out, text, sluice_render_double_text(v, text));
}



/* ---- JSON ----------------------------------------------------------------- */

void sluice_render_json_string(const char *s, size_t n, struct sluice_buf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    put(out, "\"", 1);
    size_t run = 0; /* start of the bytes not yet copied */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') continue; /* UTF-8 passes through */
        if (i > run) put(out, s + run, i - run);
        run = i + 1;
        /* Jackson's short escapes for the common controls, \u00XX for the rest. */
        char esc[6] = { '\\', 0 };
        size_t len = 2;
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\n': esc[1] = 'n'; break;
        case '\r': esc[1] = 'r'; break;
        case '\t': esc[1] = 't'; break;
        case '\b': esc[1] = 'b'; break;
        case '\f': esc[1] = 'f'; break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            len = 6;
        }
        put(out, esc, len);
    }
    if (n > run) put(out, s + run, n - run);
    put(out, "\"", 1);
}

/* The value at physical slot `p` of `a`. */
/* A decimal's plain digits, every one of its scale: JSON and text alike. */
static void put_decimal(const struct ArrowSchema *schema, const struct ArrowArray *a, int64_t p, struct sluice_buf *out)
{
    int prec, scale;
    sluice_decimal_params(schema, &prec, &scale);
    sluice_dec_format(sluice_get_decimal(a, p), scale, out);
}

static void text_at(const struct ArrowSchema *schema, const struct ArrowArray *a, int64_t p,
                    struct sluice_buf *out);

/* skip_nulls: a struct's null fields are left out (Spark's ignoreNullFields). */
static void json_at(const struct ArrowSchema *schema, const struct ArrowArray *a, int64_t p, bool skip_nulls,
                    struct sluice_buf *out)
{
    if (!sluice_array_valid(a, p)) {
        puts_(out, "null");
        return;
    }
    switch (sluice_type_of(schema)) {
    case SLUICE_TYPE_BOOLEAN:
        puts_(out, sluice_get_bool(a, p) ? "true" : "false");
        return;
    case SLUICE_TYPE_LONG:
        put_long(out, sluice_get_long(a, p));
        return;
    case SLUICE_TYPE_DOUBLE: {
        double v = sluice_get_double(a, p);
        if (isfinite(v)) {
            sluice_render_double(v, out);
            return;
        }
        /* Jackson quotes non-finite numbers, as JSON has no literal for them. */
        put(out, "\"", 1);
        sluice_render_double(v, out);
        put(out, "\"", 1);
        return;
    }
    case SLUICE_TYPE_STRING: {
        const char *s;
        int32_t n = sluice_get_string(a, p, &s);
        sluice_render_json_string(s, (size_t)n, out);
        return;
    }
    case SLUICE_TYPE_TIMESTAMP: {
        char ts[40];
        size_t n = sluice_time_format_zoned(sluice_get_timestamp(a, p), ts);
        put(out, "\"", 1);
        put(out, ts, n);
        put(out, "\"", 1);
        return;
    }
    case SLUICE_TYPE_DATE: {
        char d[16];
        size_t n = sluice_date_format(sluice_get_date(a, p), d);
        put(out, "\"", 1);
        put(out, d, n);
        put(out, "\"", 1);
        return;
    }
    case SLUICE_TYPE_DECIMAL: /* a JSON number of every digit of its scale, as Spark writes a BigDecimal */
        put_decimal(schema, a, p, out);
        return;
    case SLUICE_TYPE_STRUCT:
        put(out, "{", 1);
        for (int64_t i = 0, written = 0; i < schema->n_children; i++) {
            const struct ArrowSchema *cs = schema->children[i];
            const char *name = cs->name ? cs->name : "";
            const struct ArrowArray *c = a->children[i];
            if (skip_nulls && !sluice_array_valid(c, c->offset + p)) continue;
            if (written++) put(out, ",", 1);
            sluice_render_json_string(name, strlen(name), out);
            put(out, ":", 1);
            json_at(cs, c, c->offset + p, skip_nulls, out);
        }
        put(out, "}", 1);
        return;
    case SLUICE_TYPE_ARRAY: {
        int64_t first;
        int32_t n = sluice_get_list(a, p, &first);
        const struct ArrowArray *c = a->children[0];
        put(out, "[", 1);
        for (int32_t k = 0; k < n; k++) {
            if (k) put(out, ",", 1);
            json_at(schema->children[0], c, c->offset + first + k, skip_nulls, out);
        }
        put(out, "]", 1);
        return;
    }
    case SLUICE_TYPE_MAP: { /* an object; a key that is no string as its text, quoted */
        int64_t first;
        int32_t n = sluice_get_list(a, p, &first);
        const struct ArrowArray *e = a->children[0];
        const struct ArrowSchema *es = schema->children[0];
        put(out, "{", 1);
        for (int32_t k = 0; k < n; k++) {
            int64_t q = e->offset + first + k;
            if (k) put(out, ",", 1);
            const struct ArrowArray *key = e->children[0];
            if (sluice_type_of(es->children[0]) == SLUICE_TYPE_STRING) {
                json_at(es->children[0], key, key->offset + q, skip_nulls, out);
            } else {
                struct sluice_buf t = { 0 };
                text_at(es->children[0], key, key->offset + q, &t);
                sluice_render_json_string(t.data ? t.data : "", t.len, out);
                sluice_buf_free(&t);
            }
            put(out, ":", 1);
            json_at(es->children[1], e->children[1], e->children[1]->offset + q, skip_nulls, out);
        }
        put(out, "}", 1);
        return;
    }
    default:
        puts_(out, "null");
        return;
    }
}

void sluice_render_value_json(const struct ArrowSchema *schema, const struct ArrowArray *a, int64_t i,
                              struct sluice_buf *out)
{
    json_at(schema, a, a->offset + i, false, out);
}

void sluice_render_row_json(const struct sluice_batch *b, int64_t row, struct sluice_buf *out)
{
    json_at(b->schema, &b->array, b->array.offset + row, false, out);
}

void sluice_render_row_json_nonnull(const struct sluice_batch *b, int64_t row, struct sluice_buf *out)
{
    json_at(b->schema, &b->array, b->array.offset + row, true, out);
}

/* ---- show() text ---------------------------------------------------------- */

static void text_at(const struct ArrowSchema *schema, const struct ArrowArray *a, int64_t p,
                    struct sluice_buf *out)
{
    if (!sluice_array_valid(a, p)) {
        puts_(out, "null");
        return;
    }
    switch (sluice_type_of(schema)) {
    case SLUICE_TYPE_BOOLEAN:
        puts_(out, sluice_get_bool(a, p) ? "true" : "false");
        return;
    case SLUICE_TYPE_LONG:
        put_long(out, sluice_get_long(a, p));
        return;
    case SLUICE_TYPE_DOUBLE:
        sluice_render_double(sluice_get_double(a, p), out);
        return;
    case SLUICE_TYPE_STRING: {
        const char *s;
        int32_t n = sluice_get_string(a, p, &s);
        put(out, s, (size_t)n);
        return;
    }
    case SLUICE_TYPE_TIMESTAMP: {
        char ts[40];
        size_t n = sluice_time_format_show(sluice_get_timestamp(a, p), ts);
        put(out, ts, n);
        return;
    }
    case SLUICE_TYPE_DATE: {
        char d[16];
        put(out, d, sluice_date_format(sluice_get_date(a, p), d));
        return;
    }
    case SLUICE_TYPE_DECIMAL:
        put_decimal(schema, a, p, out);
        return;
    case SLUICE_TYPE_STRUCT:
        /* Spark 3 casts a struct to `{v1, v2}`: values only, nulls as null. */
        put(out, "{", 1);
        for (int64_t i = 0; i < schema->n_children; i++) {
            if (i) put(out, ", ", 2);
            text_at(schema->children[i], a->children[i], a->children[i]->offset + p, out);
        }
        put(out, "}", 1);
        return;
    case SLUICE_TYPE_ARRAY: {
        int64_t first;
        int32_t n = sluice_get_list(a, p, &first);
        const struct ArrowArray *c = a->children[0];
        put(out, "[", 1);
        for (int32_t k = 0; k < n; k++) {
            if (k) put(out, ", ", 2);
            text_at(schema->children[0], c, c->offset + first + k, out);
        }
        put(out, "]", 1);
        return;
    }
    case SLUICE_TYPE_MAP: { /* Spark 3's show: {k1 -> v1, k2 -> v2} */
        int64_t first;
        int32_t n = sluice_get_list(a, p, &first);
        const struct ArrowArray *e = a->children[0];
        const struct ArrowSchema *es = schema->children[0];
        put(out, "{", 1);
        for (int32_t k = 0; k < n; k++) {
            int64_t q = e->offset + first + k;
            if (k) put(out, ", ", 2);
            text_at(es->children[0], e->children[0], e->children[0]->offset + q, out);
            put(out, " -> ", 4);
            text_at(es->children[1], e->children[1], e->children[1]->offset + q, out);
        }
        put(out, "}", 1);
        return;
    }
    default:
        puts_(out, "null");
        return;
    }
}

void sluice_render_value_text(const struct ArrowSchema *schema, const struct ArrowArray *a, int64_t i,
                              struct sluice_buf *out)
{
    text_at(schema, a, a->offset + i, out);
}

void sluice_render_cell_text(const struct sluice_batch *b, int64_t column, int64_t row,
                             struct sluice_buf *out)
{
    int64_t p = b->array.offset + row;
    if (!sluice_array_valid(&b->array, p)) {
        puts_(out, "null");
        return;
    }
    const struct ArrowArray *c = b->array.children[column];
    text_at(b->schema->children[column], c, c->offset + p, out);
}
