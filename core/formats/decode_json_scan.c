/* core/formats/decode_json_scan.c — JSON syntax: strings, escapes, numbers and the
 * validating skip (see decode_json_scan.h). Jackson's rules as Spark sets
 * them: single quotes allowed, NaN/Infinity allowed, no leading zeros, no
 * control characters in strings, no trailing commas. */
#include "decode_json_scan.h"

#include <stdio.h>

int sluice_json_fail(struct sluice_json_scan *s, const char *what)
{
    if (!s->why_syntax) {
        long long col = (long long)(s->p - s->line) + 1;
        if (s->p < s->end)
            snprintf(s->why, 200, "%s at column %lld, found '%c'", what, col, *s->p);
        else
            snprintf(s->why, 200, "%s at column %lld, found end of line", what, col);
        s->why_syntax = true;
    }
    return SLUICE_JSON_ERR;
}

static inline int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = (char)(c | 0x20);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

int sluice_json_escape(struct sluice_json_scan *s, char quote)
{
    const char *p = s->p;
    if (p + 1 >= s->end) return sluice_json_fail(s, "unterminated string");
    switch (p[1]) {
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        s->p = p + 2;
        return SLUICE_JSON_OK;
    case 'u':
        if (s->end - p < 6 || hexval(p[2]) < 0 || hexval(p[3]) < 0 || hexval(p[4]) < 0 || hexval(p[5]) < 0)
            return sluice_json_fail(s, "bad \\u escape");
        s->p = p + 6;
        return SLUICE_JSON_OK;
    case '\'':
        if (quote == '\'') { /* Jackson allows \' once single quotes are on */
            s->p = p + 2;
            return SLUICE_JSON_OK;
        }
        /* fall through */
    default:
        s->p = p + 1;
        return sluice_json_fail(s, "bad escape");
    }
}

/* Spark allows single quotes (allowSingleQuotes defaults to true); those
 * take a plain loop. */
int sluice_json_scan_string(struct sluice_json_scan *s, char quote, bool *esc)
{
    bool e = false;
    if (quote == '"') {
        for (;;) {
            const char *p = sluice_json_find_special(s->p, s->end, s->lim);
            s->p = p;
            if (p >= s->end) return sluice_json_fail(s, "unterminated string");
            if (*p == '"') {
                s->p = p + 1;
                *esc = e;
                return SLUICE_JSON_OK;
            }
            if (*p != '\\') return sluice_json_fail(s, "control character in string");
            e = true;
            if (sluice_json_escape(s, quote)) return SLUICE_JSON_ERR;
        }
    }
    for (;;) {
        const char *p = s->p;
        while (p < s->end && *p != '\'' && *p != '\\' && (unsigned char)*p >= 0x20) p++;
        s->p = p;
        if (p >= s->end) return sluice_json_fail(s, "unterminated string");
        if (*p == '\'') {
            s->p = p + 1;
            *esc = e;
            return SLUICE_JSON_OK;
        }
        if (*p != '\\') return sluice_json_fail(s, "control character in string");
        e = true;
        if (sluice_json_escape(s, quote)) return SLUICE_JSON_ERR;
    }
}

static char *put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xC0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xE0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (char)(0xF0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (char)(0x80 | (cp & 0x3F));
    }
    return o;
}

static uint32_t hex4(const char *p)
{
    return (uint32_t)(hexval(p[0]) << 12 | hexval(p[1]) << 8 | hexval(p[2]) << 4 | hexval(p[3]));
}

size_t sluice_json_unescape(char *dst, const char *a, const char *z)
{
    char *o = dst;
    while (a < z) {
        const char *bs = memchr(a, '\\', (size_t)(z - a));
        if (!bs) bs = z;
        memcpy(o, a, (size_t)(bs - a));
        o += bs - a;
        if (bs == z) break;
        char c = bs[1];
        a = bs + 2;
        switch (c) {
        case 'b': *o++ = '\b'; break;
        case 'f': *o++ = '\f'; break;
        case 'n': *o++ = '\n'; break;
        case 'r': *o++ = '\r'; break;
        case 't': *o++ = '\t'; break;
        case 'u': {
            uint32_t cp = hex4(a);
            a += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF && z - a >= 6 && a[0] == '\\' && a[1] == 'u') {
                uint32_t lo = hex4(a + 2);
                if (lo >= 0xDC00 && lo <= 0xDFFF) {
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    a += 6;
                }
            }
            /* A lone surrogate: Java's UTF-8 encoder, and so Spark, writes '?'. */
            if (cp >= 0xD800 && cp <= 0xDFFF) cp = '?';
            o = put_utf8(o, cp);
            break;
        }
        default: *o++ = c; break; /* " \ / ' */
        }
    }
    return (size_t)(o - dst);
}

int sluice_json_scan_number(struct sluice_json_scan *s, struct sluice_json_num *num)
{
    const char *p = s->p, *end = s->end;
    num->neg = p < end && *p == '-';
    if (num->neg) p++;
    if (p >= end || *p < '0' || *p > '9') return sluice_json_fail(s, "bad number");
    uint64_t v = 0;
    int nd = 0;
    if (*p == '0') {
        p++;
        nd = 1;
        if (p < end && *p >= '0' && *p <= '9') {
            s->p = p;
            return sluice_json_fail(s, "leading zero in number");
        }
    } else {
        for (; p < end && *p >= '0' && *p <= '9'; p++, nd++)
            if (nd < 19) v = v * 10 + (uint64_t)(*p - '0');
    }
    num->is_int = true;
    if (p < end && *p == '.') {
        num->is_int = false;
        const char *q = ++p;
        while (p < end && *p >= '0' && *p <= '9') p++;
        if (p == q) {
            s->p = p;
            return sluice_json_fail(s, "no digits after '.'");
        }
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        num->is_int = false;
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        const char *q = p;
        while (p < end && *p >= '0' && *p <= '9') p++;
        if (p == q) {
            s->p = p;
            return sluice_json_fail(s, "no digits in exponent");
        }
    }
    num->big = nd > 19;
    num->mag = v;
    s->p = p;
    return SLUICE_JSON_OK;
}

/* ---- validating skip ---------------------------------------------------- */

#define WS(p)                                                                             \
    while (p < end && (unsigned char)*p <= ' ' && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++

/* Past the closing '"' of a string whose body starts at p, or NULL after
 * recording the error. The common case stays in registers. */
static inline const char *dq_end(struct sluice_json_scan *s, const char *p)
{
    for (;;) {
        p = sluice_json_find_special(p, s->end, s->lim);
        if (__builtin_expect(p < s->end && *p == '"', 1)) return p + 1;
        s->p = p;
        if (p >= s->end) return sluice_json_fail(s, "unterminated string"), NULL;
        if (*p != '\\') return sluice_json_fail(s, "control character in string"), NULL;
        if (sluice_json_escape(s, '"')) return NULL;
        p = s->p;
    }
}

/* A string, number or literal at s->p. */
static int skip_scalar(struct sluice_json_scan *s)
{
    if (s->p >= s->end) return sluice_json_fail(s, "expected a value");
    bool esc;
    size_t n;
    struct sluice_json_num num;
    switch (*s->p) {
    case '"': case '\'': {
        char q = *s->p++;
        return sluice_json_scan_string(s, q, &esc);
    }
    case 't': n = sluice_json_lit(s, "true", 4) ? 4 : 0; break;
    case 'f': n = sluice_json_lit(s, "false", 5) ? 5 : 0; break;
    case 'n': n = sluice_json_lit(s, "null", 4) ? 4 : 0; break;
    case 'N': case 'I': case '+': n = sluice_json_nonnum(s); break;
    case '-':
        if ((n = sluice_json_nonnum(s)) != 0) break;
        return sluice_json_scan_number(s, &num);
    default:
        if (*s->p >= '0' && *s->p <= '9') return sluice_json_scan_number(s, &num);
        return sluice_json_fail(s, "expected a value");
    }
    if (!n) return sluice_json_fail(s, "unexpected token");
    s->p += n;
    return SLUICE_JSON_OK;
}

/* Validate and step over one value of any depth. Iterative, with the kind
 * of each open container one bit of `kinds` (1: object), so skipping the
 * bulk of a line costs no calls per nested value. */
int sluice_json_skip(struct sluice_json_scan *s)
{
    const char *p = s->p, *const end = s->end;
    uint64_t kinds[SLUICE_JSON_MAX_DEPTH / 64 + 1];
    int depth = 0;
    const int room = SLUICE_JSON_MAX_DEPTH - s->depth;
    bool obj = false;
    char c;

value:
    if (p >= end) goto scalar;
    c = *p;
    if (c == '"') {
        if (!(p = dq_end(s, p + 1))) return SLUICE_JSON_ERR;
        goto after;
    }
    if (c == '{' || c == '[') {
        if (depth >= room) {
            s->p = p;
            return sluice_json_fail(s, "nesting deeper than 1000");
        }
        obj = c == '{';
        uint64_t bit = UINT64_C(1) << (depth & 63);
        kinds[depth >> 6] = obj ? kinds[depth >> 6] | bit : kinds[depth >> 6] & ~bit;
        depth++;
        p++;
        WS(p);
        if (p < end && *p == (obj ? '}' : ']')) {
            p++;
            depth--;
            goto after;
        }
        if (obj) goto key;
        goto value;
    }
    if ((c >= '0' && c <= '9') || c == '-') {
        /* Integers are most of a tweet's numbers: step over them here and
         * leave signs, fractions, exponents and errors to scan_number. */
        const char *q = p + (c == '-');
        if (q < end && *q >= '1' && *q <= '9') {
            do q++;
            while (q < end && *q >= '0' && *q <= '9');
        } else if (q < end && *q == '0') {
            q++;
            if (q < end && *q >= '0' && *q <= '9') goto scalar;
        } else {
            goto scalar;
        }
        if (q < end && (*q == '.' || *q == 'e' || *q == 'E')) goto scalar;
        p = q;
        goto after;
    }
scalar:
    s->p = p;
    if (skip_scalar(s)) return SLUICE_JSON_ERR;
    p = s->p;
    goto after;

key:
    if (p < end && *p == '"') {
        if (!(p = dq_end(s, p + 1))) return SLUICE_JSON_ERR;
    } else if (p < end && *p == '\'') {
        bool esc;
        s->p = p + 1;
        if (sluice_json_scan_string(s, '\'', &esc)) return SLUICE_JSON_ERR;
        p = s->p;
    } else {
        s->p = p;
        return sluice_json_fail(s, "expected a field name");
    }
    WS(p);
    if (p >= end || *p != ':') {
        s->p = p;
        return sluice_json_fail(s, "expected ':'");
    }
    p++;
    WS(p);
    goto value;

after:
    if (depth == 0) {
        s->p = p;
        return SLUICE_JSON_OK;
    }
    WS(p);
    obj = (kinds[(depth - 1) >> 6] >> ((depth - 1) & 63)) & 1;
    if (p < end) {
        c = *p;
        if (c == ',') {
            p++;
            WS(p);
            if (obj) goto key;
            goto value;
        }
        if (c == (obj ? '}' : ']')) {
            p++;
            depth--;
            goto after;
        }
    }
    s->p = p;
    return sluice_json_fail(s, obj ? "expected ',' or '}'" : "expected ',' or ']'");
}
