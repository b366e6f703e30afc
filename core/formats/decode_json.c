/* core/formats/decode_json.c — JSON lines into column builders, one pass per line.
 *
 * At decoder_new the schema and projection are compiled into a tree of
 * nodes; a struct node holds a small hash of the keys it needs. Scanning is
 * recursive descent over the line: a needed key's value is converted and
 * appended to its builder on the spot, any other value is only validated
 * (Spark rejects a line whose skipped parts are broken too) and stepped
 * over, with strings scanned 16 bytes at a time.
 *
 * Spark 4's JacksonParser rules, followed here: a value of the wrong JSON
 * type makes that field null and marks the row bad (partial results; for an
 * array, a bad element makes the whole array null); a non-string value for a
 * string field keeps its exact text; an integer for a timestamp is seconds;
 * "NaN"/"Infinity" strings and tokens are doubles; a key given twice keeps
 * the last value; a top-level array of objects gives one row per object;
 * text after the first complete value is ignored, as Spark ignores it;
 * nesting deeper than 1000 is malformed, as in Jackson 2.15. */
#include "decode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder.h"
#include "colpath.h"
#include "decimal.h"
#include "decode_json_scan.h"
#include "decode_priv.h"
#include "error.h"
#include "mem.h"
#include "timefmt.h"

#include "decode_json_priv.h"

static int mismatch(struct sluice_json_scan *s, const struct jnode *n, const char *start)
{
    s->bad = true;
    if (!s->why[0]) {
        int len = (int)(s->p - start);
        snprintf(s->why, 200, "field '%s' cannot hold %.*s%s as %s", n->name ? n->name : "",
                 len > 40 ? 40 : len, start, len > 40 ? "..." : "", sluice_type_name(n->type));
    }
    return SLUICE_JSON_MISMATCH;
}

/* ---- converting needed values ------------------------------------------- */

static int value(struct sluice_json_scan *s, struct jnode *n);

/* Keys are short: a byte loop beats a call to memcmp. */
static inline bool key_equal(const char *a, const char *b, uint32_t len)
{
    if (len > 24) return memcmp(a, b, len) == 0;
    for (uint32_t i = 0; i < len; i++)
        if (a[i] != b[i]) return false;
    return true;
}

static inline struct jnode *lookup(const struct jnode *n, const char *k, uint32_t len)
{
    uint32_t h = len * 0x9E3779B1u;
    if (len)
        h ^= (uint8_t)k[0] * 0x85EBCA6Bu ^ (uint8_t)k[len - 1] * 0xC2B2AE35u ^
             (uint8_t)k[len >> 1] * 0x27D4EB2Fu;
    h ^= h >> 15;
    for (h &= n->mask;; h = (h + 1) & n->mask) {
        const struct jslot *sl = &n->slots[h];
        if (!sl->key) return NULL;
        if (sl->len == len && key_equal(sl->key, k, len)) return sl->node;
    }
}

static int object(struct sluice_json_scan *s, struct jnode *n)
{
    struct sluice_builder *b = n->b;
    sluice_decode_struct_slot(b);
    int64_t slot = b->length - 1;
    if (++s->depth > SLUICE_JSON_MAX_DEPTH) return sluice_json_fail(s, "nesting deeper than 1000");
    s->p++;
    sluice_json_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        s->depth--;
        return SLUICE_JSON_OK;
    }
    for (;;) {
        if (s->p >= s->end || (*s->p != '"' && *s->p != '\''))
            return sluice_json_fail(s, "expected a field name");
        char q = *s->p++;
        const char *k = s->p;
        bool esc = false;
        if (q == '"') {
            /* The key's end first; only a key with a '\\' pays for escapes. */
            const char *e = sluice_json_find_special(k, s->end, s->lim);
            if (__builtin_expect(e < s->end && *e == '"', 1)) s->p = e + 1;
            else if (sluice_json_scan_string(s, q, &esc)) return SLUICE_JSON_ERR;
        } else if (sluice_json_scan_string(s, q, &esc)) {
            return SLUICE_JSON_ERR;
        }
        uint32_t klen = (uint32_t)(s->p - 1 - k);
        if (esc) {
            char *buf = sluice_decode_scratch(s->d, klen);
            klen = (uint32_t)sluice_json_unescape(buf, k, s->p - 1);
            k = buf;
        }
        struct jnode *f = lookup(n, k, klen);
        sluice_json_ws(s);
        if (s->p >= s->end || *s->p != ':') return sluice_json_fail(s, "expected ':'");
        s->p++;
        sluice_json_ws(s);
        if (f) {
            sluice_decode_builder_at(f->b, slot);
            int r = value(s, f);
            if (r) {
                if (r < 0) return r;
                sluice_builder_append_null(f->b);
            }
        } else if (sluice_json_skip_value(s)) {
            return SLUICE_JSON_ERR;
        }
        sluice_json_ws(s);
        if (s->p < s->end) {
            char c = *s->p;
            if (c == ',') {
                s->p++;
                sluice_json_ws(s);
                continue;
            }
            if (c == '}') {
                s->p++;
                s->depth--;
                return SLUICE_JSON_OK;
            }
        }
        return sluice_json_fail(s, "expected ',' or '}'");
    }
}

/* After an array's element or a map's entry: 1 past a ',' (another
 * follows), 0 past `close`, else the syntax error (< 0). */
static int next_item(struct sluice_json_scan *s, char close)
{
    sluice_json_ws(s);
    if (s->p < s->end && *s->p == ',') {
        s->p++;
        sluice_json_ws(s);
        return 1;
    }
    if (s->p < s->end && *s->p == close) {
        s->p++;
        return 0;
    }
    return sluice_json_fail(s, close == ']' ? "expected ',' or ']'" : "expected ',' or '}'");
}

/* An array or a map read to its end: null (and the row bad) when one of
 * its items did not convert. */
static int end_list(struct sluice_json_scan *s, struct sluice_builder *b, int64_t slot, bool failed)
{
    s->depth--;
    sluice_builder_end_list(b);
    if (!failed) return SLUICE_JSON_OK;
    sluice_builder_truncate(b, slot);
    return SLUICE_JSON_MISMATCH;
}

/* A JSON object as a map: each member an entry, in the object's order.
 * Spark reads maps from JSON with string keys only; a value that does not
 * convert makes the map null, as a bad element makes an array null. */
static int map_object(struct sluice_json_scan *s, struct jnode *n)
{
    struct sluice_builder *b = n->b, *entries = &b->children[0];
    int64_t slot = b->length;
    bool failed = false;
    if (++s->depth > SLUICE_JSON_MAX_DEPTH) return sluice_json_fail(s, "nesting deeper than 1000");
    sluice_builder_begin_list(b);
    s->p++;
    sluice_json_ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
    } else {
        for (;;) {
            if (s->p >= s->end || (*s->p != '"' && *s->p != '\''))
                return sluice_json_fail(s, "expected a field name");
            char q = *s->p++;
            const char *k = s->p;
            bool esc = false;
            if (sluice_json_scan_string(s, q, &esc)) return SLUICE_JSON_ERR;
            size_t klen = (size_t)(s->p - 1 - k);
            sluice_json_ws(s);
            if (s->p >= s->end || *s->p != ':') return sluice_json_fail(s, "expected ':'");
            s->p++;
            sluice_json_ws(s);
            int r;
            if (failed || !n->keys) {
                r = sluice_json_skip_value(s) ? SLUICE_JSON_ERR : SLUICE_JSON_OK;
                if (!n->keys && !failed) failed = true, mismatch(s, n, k);
            } else {
                sluice_builder_append_struct(entries);
                if (esc) {
                    char *buf = sluice_decode_scratch(s->d, klen);
                    klen = sluice_json_unescape(buf, k, k + klen);
                    k = buf;
                }
                sluice_decode_append_text(s->d, n->keys, k, klen);
                r = value(s, n->elem);
                if (r == SLUICE_JSON_MISMATCH) failed = true, r = SLUICE_JSON_OK;
            }
            if (r < 0) return r;
            if ((r = next_item(s, '}')) <= 0) {
                if (r < 0) return r;
                break;
            }
        }
    }
    return end_list(s, b, slot, failed);
}

static int array(struct sluice_json_scan *s, struct jnode *n)
{
    struct sluice_builder *b = n->b;
    int64_t slot = b->length;
    bool failed = false;
    if (++s->depth > SLUICE_JSON_MAX_DEPTH) return sluice_json_fail(s, "nesting deeper than 1000");
    sluice_builder_begin_list(b);
    s->p++;
    sluice_json_ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
    } else {
        for (;;) {
            /* After one bad element the array is null (Spark's convertArray
             * lets the error through), but the rest must still be valid. */
            int r = failed ? sluice_json_skip(s) : value(s, n->elem);
            if (r < 0) return r;
            if (r == SLUICE_JSON_MISMATCH) failed = true;
            if ((r = next_item(s, ']')) <= 0) {
                if (r < 0) return r;
                break;
            }
        }
    }
    return end_list(s, b, slot, failed);
}

static const char *const nonnum_text[] = { "NaN", "Infinity", "+Infinity", "-Infinity", "+INF", "-INF" };
static const double nonnum_value[] = { __builtin_nan(""), __builtin_inf(), __builtin_inf(),
                                       -__builtin_inf(), __builtin_inf(), -__builtin_inf() };

/* A decimal of the node's precision and scale from its text, rounded half
 * up (Spark's Decimal(BigDecimal, p, s)); false when it is no number or
 * has more digits than the precision, which fails the value as Spark's
 * reader does. */
static bool append_decimal(struct jnode *n, const char *text, size_t len)
{
    int p, sc;
    sluice_decimal_params(n->b->schema, &p, &sc);
    sluice_dec v;
    if (sluice_dec_parse(text, len, p, sc, &v) != 0) return false;
    sluice_builder_append_decimal(n->b, v);
    return true;
}

static int string_value(struct sluice_json_scan *s, struct jnode *n)
{
    const char *start = s->p;
    char q = *s->p++;
    const char *a = s->p;
    bool esc = false;
    const char *e = q == '"' ? sluice_json_find_special(a, s->end, s->lim) : s->end;
    if (__builtin_expect(e < s->end && *e == '"', 1)) s->p = e + 1;
    else if (sluice_json_scan_string(s, q, &esc)) return SLUICE_JSON_ERR;
    const char *v = a;
    size_t len = (size_t)(s->p - 1 - a);
    if (esc) {
        char *buf = sluice_decode_scratch(s->d, len);
        len = sluice_json_unescape(buf, a, s->p - 1);
        v = buf;
    }
    int64_t us;
    switch (n->type) {
    case SLUICE_TYPE_STRING:
        sluice_decode_append_text(s->d, n->b, v, len);
        return SLUICE_JSON_OK;
    case SLUICE_TYPE_TIMESTAMP:
        if (len && sluice_time_parse(v, len, &us) == 0) {
            sluice_builder_append_timestamp(n->b, us);
            return SLUICE_JSON_OK;
        }
        break;
    case SLUICE_TYPE_DATE: {
        int32_t days;
        if (len && sluice_date_parse(v, len, &days) == 0) {
            sluice_builder_append_date(n->b, days);
            return SLUICE_JSON_OK;
        }
        break;
    }
    case SLUICE_TYPE_DECIMAL:
        /* Spark reads a decimal from a string too (its decimalParser). */
        if (append_decimal(n, v, len)) return SLUICE_JSON_OK;
        break;
    case SLUICE_TYPE_DOUBLE:
        for (size_t i = 0; i < sizeof nonnum_text / sizeof nonnum_text[0]; i++) {
            if (len == strlen(nonnum_text[i]) && memcmp(v, nonnum_text[i], len) == 0) {
                sluice_builder_append_double(n->b, nonnum_value[i]);
                return SLUICE_JSON_OK;
            }
        }
        break;
    default:
        break;
    }
    return mismatch(s, n, start);
}

static int number_value(struct sluice_json_scan *s, struct jnode *n)
{
    const char *start = s->p, *end = s->end;
    struct sluice_json_num num = { 0 };
    /* A long of up to 18 digits, the usual case, is read right here. */
    if (n->type == SLUICE_TYPE_LONG) {
        const char *q = start + (*start == '-');
        if (q < end && *q >= '1' && *q <= '9') {
            uint64_t v = 0;
            const char *lim = q + 18 < end ? q + 18 : end;
            while (q < lim && *q >= '0' && *q <= '9') v = v * 10 + (uint64_t)(*q++ - '0');
            if (q >= end || (*q != '.' && *q != 'e' && *q != 'E' && (*q < '0' || *q > '9'))) {
                s->p = q;
                sluice_builder_append_long(n->b, *start == '-' ? -(int64_t)v : (int64_t)v);
                return SLUICE_JSON_OK;
            }
        }
    }
    size_t nn = sluice_json_nonnum(s);
    if (nn) {
        s->p += nn;
        if (n->type == SLUICE_TYPE_DOUBLE) {
            for (size_t i = 0; i < sizeof nonnum_text / sizeof nonnum_text[0]; i++)
                if (nn == strlen(nonnum_text[i]) && memcmp(start, nonnum_text[i], nn) == 0)
                    sluice_builder_append_double(n->b, nonnum_value[i]);
            return SLUICE_JSON_OK;
        }
        num.is_int = false;
    } else if (sluice_json_scan_number(s, &num)) {
        return SLUICE_JSON_ERR;
    }
    bool fits = num.is_int && !num.big &&
                num.mag <= (num.neg ? (UINT64_C(1) << 63) : (UINT64_C(1) << 63) - 1);
    /* Two's complement by hand: negating INT64_MIN's magnitude would overflow. */
    int64_t iv = num.neg ? (int64_t)(0 - num.mag) : (int64_t)num.mag;
    double dv;
    switch (n->type) {
    case SLUICE_TYPE_LONG:
        if (!fits) break;
        sluice_builder_append_long(n->b, iv);
        return SLUICE_JSON_OK;
    case SLUICE_TYPE_DOUBLE:
        if (fits && num.mag <= (UINT64_C(1) << 53)) dv = (double)iv;
        else sluice_decode_parse_double(s->d, start, (size_t)(s->p - start), &dv);
        sluice_builder_append_double(n->b, dv);
        return SLUICE_JSON_OK;
    case SLUICE_TYPE_TIMESTAMP:
        if (!fits) break;
        /* Spark multiplies in Java longs, which wrap; do the same without UB. */
        sluice_builder_append_timestamp(n->b, (int64_t)((uint64_t)iv * UINT64_C(1000000)));
        return SLUICE_JSON_OK;
    case SLUICE_TYPE_STRING: /* a number's text is ASCII: no UTF-8 to check */
        sluice_builder_append_string(n->b, start, (size_t)(s->p - start));
        return SLUICE_JSON_OK;
    case SLUICE_TYPE_DECIMAL:
        if (num.is_int || !nn) {
            if (append_decimal(n, start, (size_t)(s->p - start))) return SLUICE_JSON_OK;
        }
        break;
    default:
        break;
    }
    return mismatch(s, n, start);
}

/* Append the value at s->p to n's builder. SLUICE_JSON_MISMATCH: the value was of the
 * wrong type and consumed; the caller appends the null. */
static int value(struct sluice_json_scan *s, struct jnode *n)
{
    if (s->p >= s->end) return sluice_json_fail(s, "expected a value");
    const char *start = s->p;
    bool v;
    switch (*s->p) {
    case '"': case '\'':
        return string_value(s, n);
    case '{':
        if (n->type == SLUICE_TYPE_STRUCT) return object(s, n);
        if (n->type == SLUICE_TYPE_MAP) return map_object(s, n);
        break;
    case '[':
        if (n->type == SLUICE_TYPE_ARRAY) return array(s, n);
        break;
    case 'n':
        if (!sluice_json_lit(s, "null", 4)) return sluice_json_fail(s, "unexpected token");
        s->p += 4;
        sluice_builder_append_null(n->b);
        return SLUICE_JSON_OK;
    case 't': case 'f':
        v = *s->p == 't';
        if (!(v ? sluice_json_lit(s, "true", 4) : sluice_json_lit(s, "false", 5)))
            return sluice_json_fail(s, "unexpected token");
        if (n->type == SLUICE_TYPE_BOOLEAN) {
            s->p += v ? 4 : 5;
            sluice_builder_append_bool(n->b, v);
            return SLUICE_JSON_OK;
        }
        break;
    case '-': case '+': case 'N': case 'I':
    case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
        return number_value(s, n);
    default:
        return sluice_json_fail(s, "expected a value");
    }
    if (sluice_json_skip(s)) return SLUICE_JSON_ERR;
    if (n->type == SLUICE_TYPE_STRING) { /* Spark 4 keeps the value's exact text */
        sluice_decode_append_text(s->d, n->b, start, (size_t)(s->p - start));
        return SLUICE_JSON_OK;
    }
    return mismatch(s, n, start);
}

/* ---- lines -------------------------------------------------------------- */

static enum sluice_decode_line_status json_line(struct sluice_decoder *d, struct sluice_decode_line *ln)
{
    struct jdec *j = d->impl;
    struct sluice_json_scan s = { .p = ln->p, .end = ln->end, .lim = ln->buf_end, .line = ln->p,
                                  .d = d, .why = ln->why };
    sluice_json_ws(&s);
    int r;
    if (*s.p == '{') {
        r = object(&s, j->root);
    } else if (*s.p == '[') {
        /* Spark reads a top-level array of objects as one row per object. */
        s.p++;
        sluice_json_ws(&s);
        r = SLUICE_JSON_OK;
        if (s.p < s.end && *s.p == ']') return SLUICE_DECODE_LINE_OK;
        for (;;) {
            if (s.p >= s.end || *s.p != '{') {
                r = sluice_json_fail(&s, "top-level array element is not an object");
                break;
            }
            if ((r = object(&s, j->root)) != SLUICE_JSON_OK) break;
            sluice_json_ws(&s);
            if (s.p < s.end && *s.p == ',') {
                s.p++;
                sluice_json_ws(&s);
                continue;
            }
            if (s.p < s.end && *s.p == ']') break;
            r = sluice_json_fail(&s, "expected ',' or ']'");
            break;
        }
    } else {
        r = sluice_json_fail(&s, "expected a JSON object");
    }
    if (r) return SLUICE_DECODE_LINE_SYNTAX;
    return s.bad ? SLUICE_DECODE_LINE_PARTIAL : SLUICE_DECODE_LINE_OK;
}

static void json_reserve(struct sluice_decoder *d, int64_t rows)
{
    struct jdec *j = d->impl;
    for (size_t i = 1; i < j->n_per_row; i++) sluice_builder_reserve(j->per_row[i], rows);
}

static void json_free(void *impl)
{
    struct jdec *j = impl;
    if (!j) return;
    sluice_json_tree_free(j->root);
    free(j->per_row);
    free(j);
}

static const struct sluice_decode_format json_format = {
    .name = "JSON", .line = json_line, .reserve = json_reserve, .free = json_free,
};

int sluice_decoder_json_init(struct sluice_decoder *d, const struct sluice_projection *proj,
                             struct sluice_error *err)
{
    struct jdec *j = sluice_xcalloc(1, sizeof *j);
    d->fmt = &json_format;
    d->impl = j;
    return sluice_json_tree_build(j, d->schema, d->root, proj, d->corrupt_index, err);
}
