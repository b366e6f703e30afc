/* core/decode_json.c — JSON lines into column builders, one pass per line.
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

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "builder.h"
#include "colpath.h"
#include "decode_priv.h"
#include "error.h"
#include "mem.h"
#include "timefmt.h"

#define MAX_DEPTH 1000

enum { J_ERR = -1, J_OK = 0, J_MISMATCH = 1 };

struct jnode;

struct jslot {
    const char *key; /* NULL: empty slot */
    uint32_t len;
    struct jnode *node;
};

struct jnode {
    enum sluice_type type;
    bool needed;
    struct sluice_builder *b;
    const char *name;         /* the field's name, for messages */
    int64_t n_children;       /* struct: one node per schema field */
    struct jnode **children;
    struct jslot *slots;      /* struct: the needed fields, hashed by key */
    uint32_t mask;
    struct jnode *elem;       /* array */
};

struct jdec {
    struct jnode *root;
    struct sluice_builder **per_row; /* builders that take one slot per row */
    size_t n_per_row;
};

struct jscan {
    const char *p;
    const char *end;  /* end of the line */
    const char *lim;  /* end of the input: 16-byte loads stay below it */
    const char *line;
    struct sluice_decoder *d;
    char *why;        /* 200 bytes */
    bool bad;         /* a field had the wrong type */
    bool why_syntax;  /* `why` holds a syntax error: keep it */
    int depth;
};

/* ---- scanning primitives ---------------------------------------------- */

static int jfail(struct jscan *s, const char *what)
{
    if (!s->why_syntax) {
        long long col = (long long)(s->p - s->line) + 1;
        if (s->p < s->end)
            snprintf(s->why, 200, "%s at column %lld, found '%c'", what, col, *s->p);
        else
            snprintf(s->why, 200, "%s at column %lld, found end of line", what, col);
        s->why_syntax = true;
    }
    return J_ERR;
}

static int mismatch(struct jscan *s, const struct jnode *n, const char *start)
{
    s->bad = true;
    if (!s->why[0]) {
        int len = (int)(s->p - start);
        snprintf(s->why, 200, "field '%s' cannot hold %.*s%s as %s", n->name ? n->name : "",
                 len > 40 ? 40 : len, start, len > 40 ? "..." : "", sluice_type_name(n->type));
    }
    return J_MISMATCH;
}

static inline void ws(struct jscan *s)
{
    const char *p = s->p, *end = s->end;
    if (__builtin_expect(p < end && (unsigned char)*p > ' ', 1)) return; /* compact JSON */
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++;
    s->p = p;
}

/* The first '"', '\\' or control byte in [p, end), or end. Control bytes
 * include the line's own '\n', so the wide loop never runs past the line. */
static inline const char *find_special(const char *p, const char *end, const char *lim)
{
#if defined(__SSE2__)
    const __m128i q = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'), ctl = _mm_set1_epi8(0x1f);
    while (p + 16 <= lim) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i m = _mm_or_si128(_mm_cmpeq_epi8(x, q), _mm_cmpeq_epi8(x, bs));
        m = _mm_or_si128(m, _mm_cmpeq_epi8(_mm_min_epu8(x, ctl), x));
        unsigned mask = (unsigned)_mm_movemask_epi8(m);
        if (mask) {
            const char *r = p + __builtin_ctz(mask);
            return r < end ? r : end;
        }
        p += 16;
        if (p >= end) return end;
    }
#endif
    for (; p < end; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '"' || c == '\\' || c < 0x20) return p;
    }
    return end;
}

static inline int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    c = (char)(c | 0x20);
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

/* Check the escape at s->p ('\\') and step over it. */
static int escape(struct jscan *s, char quote)
{
    const char *p = s->p;
    if (p + 1 >= s->end) return jfail(s, "unterminated string");
    switch (p[1]) {
    case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        s->p = p + 2;
        return J_OK;
    case 'u':
        if (s->end - p < 6 || hexval(p[2]) < 0 || hexval(p[3]) < 0 || hexval(p[4]) < 0 || hexval(p[5]) < 0)
            return jfail(s, "bad \\u escape");
        s->p = p + 6;
        return J_OK;
    case '\'':
        if (quote == '\'') { /* Jackson allows \' once single quotes are on */
            s->p = p + 2;
            return J_OK;
        }
        /* fall through */
    default:
        s->p = p + 1;
        return jfail(s, "bad escape");
    }
}

/* s->p is just past the opening quote; on J_OK it is just past the closing
 * one and *esc says whether the string held escapes. Spark allows single
 * quotes (allowSingleQuotes defaults to true); those take a plain loop. */
static int scan_string(struct jscan *s, char quote, bool *esc)
{
    bool e = false;
    if (quote == '"') {
        for (;;) {
            const char *p = find_special(s->p, s->end, s->lim);
            s->p = p;
            if (p >= s->end) return jfail(s, "unterminated string");
            if (*p == '"') {
                s->p = p + 1;
                *esc = e;
                return J_OK;
            }
            if (*p != '\\') return jfail(s, "control character in string");
            e = true;
            if (escape(s, quote)) return J_ERR;
        }
    }
    for (;;) {
        const char *p = s->p;
        while (p < s->end && *p != '\'' && *p != '\\' && (unsigned char)*p >= 0x20) p++;
        s->p = p;
        if (p >= s->end) return jfail(s, "unterminated string");
        if (*p == '\'') {
            s->p = p + 1;
            *esc = e;
            return J_OK;
        }
        if (*p != '\\') return jfail(s, "control character in string");
        e = true;
        if (escape(s, quote)) return J_ERR;
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

/* Unescape [a, z), already checked by scan_string, into dst (room for
 * z - a bytes: no escape grows). Returns the length. */
static size_t unescape(char *dst, const char *a, const char *z)
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

static inline bool lit(const struct jscan *s, const char *word, size_t n)
{
    return (size_t)(s->end - s->p) >= n && memcmp(s->p, word, n) == 0;
}

/* Jackson's non-numeric numbers (Spark's allowNonNumericNumbers is on):
 * NaN, Infinity, +Infinity, -Infinity, +INF, -INF. Length matched, or 0. */
static inline size_t nonnum(const struct jscan *s)
{
    static const struct { const char *w; size_t n; } words[] = {
        { "NaN", 3 }, { "Infinity", 8 }, { "+Infinity", 9 }, { "-Infinity", 9 }, { "+INF", 4 }, { "-INF", 4 },
    };
    char c = *s->p;
    if (c != 'N' && c != 'I' && c != '+' && !(c == '-' && s->end - s->p > 1 && s->p[1] == 'I')) return 0;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (lit(s, words[i].w, words[i].n)) return words[i].n;
    return 0;
}

struct jnum {
    bool is_int;
    bool neg;
    bool big;      /* more than 19 digits */
    uint64_t mag;  /* integer magnitude (valid unless big) */
};

/* JSON's number grammar (no leading zeros, digits after '.' and 'e'). */
static int scan_number(struct jscan *s, struct jnum *num)
{
    const char *p = s->p, *end = s->end;
    num->neg = p < end && *p == '-';
    if (num->neg) p++;
    if (p >= end || *p < '0' || *p > '9') return jfail(s, "bad number");
    uint64_t v = 0;
    int nd = 0;
    if (*p == '0') {
        p++;
        nd = 1;
        if (p < end && *p >= '0' && *p <= '9') {
            s->p = p;
            return jfail(s, "leading zero in number");
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
            return jfail(s, "no digits after '.'");
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
            return jfail(s, "no digits in exponent");
        }
    }
    num->big = nd > 19;
    num->mag = v;
    s->p = p;
    return J_OK;
}

/* ---- validating skip ---------------------------------------------------- */

#define WS(p)                                                                             \
    while (p < end && (unsigned char)*p <= ' ' && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++

/* Past the closing '"' of a string whose body starts at p, or NULL after
 * recording the error. The common case stays in registers. */
static inline const char *dq_end(struct jscan *s, const char *p)
{
    for (;;) {
        p = find_special(p, s->end, s->lim);
        if (__builtin_expect(p < s->end && *p == '"', 1)) return p + 1;
        s->p = p;
        if (p >= s->end) return jfail(s, "unterminated string"), NULL;
        if (*p != '\\') return jfail(s, "control character in string"), NULL;
        if (escape(s, '"')) return NULL;
        p = s->p;
    }
}

/* A string, number or literal at s->p. */
static int skip_scalar(struct jscan *s)
{
    if (s->p >= s->end) return jfail(s, "expected a value");
    bool esc;
    size_t n;
    struct jnum num;
    switch (*s->p) {
    case '"': case '\'': {
        char q = *s->p++;
        return scan_string(s, q, &esc);
    }
    case 't': n = lit(s, "true", 4) ? 4 : 0; break;
    case 'f': n = lit(s, "false", 5) ? 5 : 0; break;
    case 'n': n = lit(s, "null", 4) ? 4 : 0; break;
    case 'N': case 'I': case '+': n = nonnum(s); break;
    case '-':
        if ((n = nonnum(s)) != 0) break;
        return scan_number(s, &num);
    default:
        if (*s->p >= '0' && *s->p <= '9') return scan_number(s, &num);
        return jfail(s, "expected a value");
    }
    if (!n) return jfail(s, "unexpected token");
    s->p += n;
    return J_OK;
}

/* Validate and step over one value of any depth. Iterative, with the kind
 * of each open container one bit of `kinds` (1: object), so skipping the
 * bulk of a line costs no calls per nested value. */
static int skip(struct jscan *s)
{
    const char *p = s->p, *const end = s->end;
    uint64_t kinds[MAX_DEPTH / 64 + 1];
    int depth = 0;
    const int room = MAX_DEPTH - s->depth;
    bool obj = false;
    char c;

value:
    if (p >= end) goto scalar;
    c = *p;
    if (c == '"') {
        if (!(p = dq_end(s, p + 1))) return J_ERR;
        goto after;
    }
    if (c == '{' || c == '[') {
        if (depth >= room) {
            s->p = p;
            return jfail(s, "nesting deeper than 1000");
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
    if (skip_scalar(s)) return J_ERR;
    p = s->p;
    goto after;

key:
    if (p < end && *p == '"') {
        if (!(p = dq_end(s, p + 1))) return J_ERR;
    } else if (p < end && *p == '\'') {
        bool esc;
        s->p = p + 1;
        if (scan_string(s, '\'', &esc)) return J_ERR;
        p = s->p;
    } else {
        s->p = p;
        return jfail(s, "expected a field name");
    }
    WS(p);
    if (p >= end || *p != ':') {
        s->p = p;
        return jfail(s, "expected ':'");
    }
    p++;
    WS(p);
    goto value;

after:
    if (depth == 0) {
        s->p = p;
        return J_OK;
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
    return jfail(s, obj ? "expected ',' or '}'" : "expected ',' or ']'");
}

/* ---- converting needed values ------------------------------------------- */

static int value(struct jscan *s, struct jnode *n);

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

static int object(struct jscan *s, struct jnode *n)
{
    struct sluice_builder *b = n->b;
    decode_struct_slot(b);
    int64_t slot = b->length - 1;
    if (++s->depth > MAX_DEPTH) return jfail(s, "nesting deeper than 1000");
    s->p++;
    ws(s);
    if (s->p < s->end && *s->p == '}') {
        s->p++;
        s->depth--;
        return J_OK;
    }
    for (;;) {
        if (s->p >= s->end || (*s->p != '"' && *s->p != '\'')) return jfail(s, "expected a field name");
        char q = *s->p++;
        const char *k = s->p;
        bool esc = false;
        if (q == '"') {
            /* The key's end first; only a key with a '\\' pays for escapes. */
            const char *e = find_special(k, s->end, s->lim);
            if (__builtin_expect(e < s->end && *e == '"', 1)) s->p = e + 1;
            else if (scan_string(s, q, &esc)) return J_ERR;
        } else if (scan_string(s, q, &esc)) {
            return J_ERR;
        }
        uint32_t klen = (uint32_t)(s->p - 1 - k);
        if (esc) {
            char *buf = decode_scratch(s->d, klen);
            klen = (uint32_t)unescape(buf, k, s->p - 1);
            k = buf;
        }
        struct jnode *f = lookup(n, k, klen);
        ws(s);
        if (s->p >= s->end || *s->p != ':') return jfail(s, "expected ':'");
        s->p++;
        ws(s);
        if (f) {
            decode_builder_at(f->b, slot);
            int r = value(s, f);
            if (r) {
                if (r < 0) return r;
                sluice_builder_append_null(f->b);
            }
        } else if (skip(s)) {
            return J_ERR;
        }
        ws(s);
        if (s->p < s->end) {
            char c = *s->p;
            if (c == ',') {
                s->p++;
                ws(s);
                continue;
            }
            if (c == '}') {
                s->p++;
                s->depth--;
                return J_OK;
            }
        }
        return jfail(s, "expected ',' or '}'");
    }
}

static int array(struct jscan *s, struct jnode *n)
{
    struct sluice_builder *b = n->b;
    int64_t slot = b->length;
    bool failed = false;
    if (++s->depth > MAX_DEPTH) return jfail(s, "nesting deeper than 1000");
    sluice_builder_begin_list(b);
    s->p++;
    ws(s);
    if (s->p < s->end && *s->p == ']') {
        s->p++;
    } else {
        for (;;) {
            /* After one bad element the array is null (Spark's convertArray
             * lets the error through), but the rest must still be valid. */
            int r = failed ? skip(s) : value(s, n->elem);
            if (r < 0) return r;
            if (r == J_MISMATCH) failed = true;
            ws(s);
            if (s->p < s->end && *s->p == ',') {
                s->p++;
                ws(s);
                continue;
            }
            if (s->p < s->end && *s->p == ']') {
                s->p++;
                break;
            }
            return jfail(s, "expected ',' or ']'");
        }
    }
    s->depth--;
    sluice_builder_end_list(b);
    if (failed) {
        sluice_builder_truncate(b, slot);
        return J_MISMATCH;
    }
    return J_OK;
}

static const char *const nonnum_text[] = { "NaN", "Infinity", "+Infinity", "-Infinity", "+INF", "-INF" };
static const double nonnum_value[] = { __builtin_nan(""), __builtin_inf(), __builtin_inf(),
                                       -__builtin_inf(), __builtin_inf(), -__builtin_inf() };

static int string_value(struct jscan *s, struct jnode *n)
{
    const char *start = s->p;
    char q = *s->p++;
    const char *a = s->p;
    bool esc = false;
    const char *e = q == '"' ? find_special(a, s->end, s->lim) : s->end;
    if (__builtin_expect(e < s->end && *e == '"', 1)) s->p = e + 1;
    else if (scan_string(s, q, &esc)) return J_ERR;
    const char *v = a;
    size_t len = (size_t)(s->p - 1 - a);
    if (esc) {
        char *buf = decode_scratch(s->d, len);
        len = unescape(buf, a, s->p - 1);
        v = buf;
    }
    int64_t us;
    switch (n->type) {
    case SLUICE_TYPE_STRING:
        sluice_builder_append_string(n->b, v, len);
        return J_OK;
    case SLUICE_TYPE_TIMESTAMP:
        if (len && sluice_time_parse(v, len, &us) == 0) {
            sluice_builder_append_timestamp(n->b, us);
            return J_OK;
        }
        break;
    case SLUICE_TYPE_DOUBLE:
        for (size_t i = 0; i < sizeof nonnum_text / sizeof nonnum_text[0]; i++) {
            if (len == strlen(nonnum_text[i]) && memcmp(v, nonnum_text[i], len) == 0) {
                sluice_builder_append_double(n->b, nonnum_value[i]);
                return J_OK;
            }
        }
        break;
    default:
        break;
    }
    return mismatch(s, n, start);
}

static int number_value(struct jscan *s, struct jnode *n)
{
    const char *start = s->p, *end = s->end;
    struct jnum num = { 0 };
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
                return J_OK;
            }
        }
    }
    size_t nn = nonnum(s);
    if (nn) {
        s->p += nn;
        if (n->type == SLUICE_TYPE_DOUBLE) {
            for (size_t i = 0; i < sizeof nonnum_text / sizeof nonnum_text[0]; i++)
                if (nn == strlen(nonnum_text[i]) && memcmp(start, nonnum_text[i], nn) == 0)
                    sluice_builder_append_double(n->b, nonnum_value[i]);
            return J_OK;
        }
        num.is_int = false;
    } else if (scan_number(s, &num)) {
        return J_ERR;
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
        return J_OK;
    case SLUICE_TYPE_DOUBLE:
        if (fits && num.mag <= (UINT64_C(1) << 53)) dv = (double)iv;
        else decode_parse_double(s->d, start, (size_t)(s->p - start), &dv);
        sluice_builder_append_double(n->b, dv);
        return J_OK;
    case SLUICE_TYPE_TIMESTAMP:
        if (!fits) break;
        /* Spark multiplies in Java longs, which wrap; do the same without UB. */
        sluice_builder_append_timestamp(n->b, (int64_t)((uint64_t)iv * UINT64_C(1000000)));
        return J_OK;
    case SLUICE_TYPE_STRING:
        sluice_builder_append_string(n->b, start, (size_t)(s->p - start));
        return J_OK;
    default:
        break;
    }
    return mismatch(s, n, start);
}

/* Append the value at s->p to n's builder. J_MISMATCH: the value was of the
 * wrong type and consumed; the caller appends the null. */
static int value(struct jscan *s, struct jnode *n)
{
    if (s->p >= s->end) return jfail(s, "expected a value");
    const char *start = s->p;
    bool v;
    switch (*s->p) {
    case '"': case '\'':
        return string_value(s, n);
    case '{':
        if (n->type == SLUICE_TYPE_STRUCT) return object(s, n);
        break;
    case '[':
        if (n->type == SLUICE_TYPE_ARRAY) return array(s, n);
        break;
    case 'n':
        if (!lit(s, "null", 4)) return jfail(s, "unexpected token");
        s->p += 4;
        sluice_builder_append_null(n->b);
        return J_OK;
    case 't': case 'f':
        v = *s->p == 't';
        if (!(v ? lit(s, "true", 4) : lit(s, "false", 5))) return jfail(s, "unexpected token");
        if (n->type == SLUICE_TYPE_BOOLEAN) {
            s->p += v ? 4 : 5;
            sluice_builder_append_bool(n->b, v);
            return J_OK;
        }
        break;
    case '-': case '+': case 'N': case 'I':
    case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
        return number_value(s, n);
    default:
        return jfail(s, "expected a value");
    }
    if (skip(s)) return J_ERR;
    if (n->type == SLUICE_TYPE_STRING) { /* Spark 4 keeps the value's exact text */
        sluice_builder_append_string(n->b, start, (size_t)(s->p - start));
        return J_OK;
    }
    return mismatch(s, n, start);
}

/* ---- lines -------------------------------------------------------------- */

static enum decode_line_status json_line(struct sluice_decoder *d, struct decode_line *ln)
{
    struct jdec *j = d->impl;
    struct jscan s = { .p = ln->p, .end = ln->end, .lim = ln->buf_end, .line = ln->p, .d = d, .why = ln->why };
    ws(&s);
    int r;
    if (*s.p == '{') {
        r = object(&s, j->root);
    } else if (*s.p == '[') {
        /* Spark reads a top-level array of objects as one row per object. */
        s.p++;
        ws(&s);
        r = J_OK;
        if (s.p < s.end && *s.p == ']') return DECODE_LINE_OK;
        for (;;) {
            if (s.p >= s.end || *s.p != '{') {
                r = jfail(&s, "top-level array element is not an object");
                break;
            }
            if ((r = object(&s, j->root)) != J_OK) break;
            ws(&s);
            if (s.p < s.end && *s.p == ',') {
                s.p++;
                ws(&s);
                continue;
            }
            if (s.p < s.end && *s.p == ']') break;
            r = jfail(&s, "expected ',' or ']'");
            break;
        }
    } else {
        r = jfail(&s, "expected a JSON object");
    }
    if (r) return DECODE_LINE_SYNTAX;
    return s.bad ? DECODE_LINE_PARTIAL : DECODE_LINE_OK;
}

/* ---- compiling the schema and projection ---------------------------------- */

static struct jnode *node_build(const struct ArrowSchema *s, struct sluice_builder *b, const char *name)
{
    struct jnode *n = sluice_xcalloc(1, sizeof *n);
    n->type = sluice_type_of(s);
    n->b = b;
    n->name = s->name ? s->name : name;
    if (n->type == SLUICE_TYPE_STRUCT) {
        n->n_children = s->n_children;
        n->children = sluice_xcalloc((size_t)(s->n_children ? s->n_children : 1), sizeof *n->children);
        for (int64_t i = 0; i < s->n_children; i++)
            n->children[i] = node_build(s->children[i], &b->children[i], n->name);
    } else if (n->type == SLUICE_TYPE_ARRAY) {
        n->elem = node_build(s->children[0], &b->children[0], n->name);
        n->elem->name = n->name;
    }
    return n;
}

static void node_free(struct jnode *n)
{
    if (!n) return;
    for (int64_t i = 0; i < n->n_children; i++) node_free(n->children[i]);
    free(n->children);
    free(n->slots);
    node_free(n->elem);
    free(n);
}

static void mark_all(struct jnode *n)
{
    n->needed = true;
    for (int64_t i = 0; i < n->n_children; i++) mark_all(n->children[i]);
    if (n->elem) mark_all(n->elem);
}

static int mark_path(struct jnode *root, const char *path, struct sluice_error *err)
{
    size_t len = strlen(path);
    char *storage = sluice_xmalloc(len + 1);
    const char *segs[SLUICE_PATH_MAX_DEPTH];
    int nseg = sluice_projection_path_split(path, storage, segs, SLUICE_PATH_MAX_DEPTH);
    int rc = SLUICE_OK;
    if (nseg <= 0) {
        rc = sluice_error_set(err, SLUICE_ECONFIG, "bad projection path '%s'", path);
        goto out;
    }
    struct jnode *n = root;
    for (int i = 0; i < nseg; i++) {
        if (n->type != SLUICE_TYPE_STRUCT) {
            rc = sluice_error_set(err, SLUICE_ECONFIG, "projection path '%s': '%s' is not a struct",
                                  path, n->name ? n->name : "");
            goto out;
        }
        struct jnode *c = NULL;
        for (int64_t k = 0; k < n->n_children && !c; k++)
            if (n->children[k]->name && strcmp(n->children[k]->name, segs[i]) == 0) c = n->children[k];
        if (!c) {
            rc = sluice_error_set(err, SLUICE_ECONFIG, "projection path '%s': no field '%s'", path, segs[i]);
            goto out;
        }
        c->needed = true;
        while (c->type == SLUICE_TYPE_ARRAY) {
            c = c->elem;
            c->needed = true;
        }
        n = c;
    }
    mark_all(n);
out:
    free(storage);
    return rc;
}

/* Hash the needed fields of every needed struct; collect per-row builders. */
static void node_finalize(struct jdec *j, struct jnode *n, bool per_row)
{
    if (per_row) j->per_row[j->n_per_row++] = n->b;
    if (n->type == SLUICE_TYPE_ARRAY) {
        node_finalize(j, n->elem, false);
        return;
    }
    if (n->type != SLUICE_TYPE_STRUCT) return;
    uint32_t needed = 0;
    for (int64_t i = 0; i < n->n_children; i++) needed += n->children[i]->needed;
    uint32_t cap = 2;
    while (cap < needed * 2) cap *= 2;
    n->mask = cap - 1;
    n->slots = sluice_xcalloc(cap, sizeof *n->slots);
    for (int64_t i = 0; i < n->n_children; i++) {
        struct jnode *c = n->children[i];
        if (!c->needed) continue;
        const char *k = c->name ? c->name : "";
        uint32_t len = (uint32_t)strlen(k);
        uint32_t h = len * 0x9E3779B1u;
        if (len)
            h ^= (uint8_t)k[0] * 0x85EBCA6Bu ^ (uint8_t)k[len - 1] * 0xC2B2AE35u ^
                 (uint8_t)k[len >> 1] * 0x27D4EB2Fu;
        h ^= h >> 15;
        for (h &= n->mask; n->slots[h].key; h = (h + 1) & n->mask) {
        }
        n->slots[h] = (struct jslot){ k, len, c };
        node_finalize(j, c, per_row);
    }
}

static size_t count_nodes(const struct jnode *n)
{
    size_t c = 1;
    for (int64_t i = 0; i < n->n_children; i++) c += count_nodes(n->children[i]);
    if (n->elem) c += count_nodes(n->elem);
    return c;
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
    node_free(j->root);
    free(j->per_row);
    free(j);
}

static const struct decode_format json_format = {
    .name = "JSON", .line = json_line, .reserve = json_reserve, .free = json_free,
};

int sluice_decoder_json_init(struct sluice_decoder *d, const struct sluice_projection *proj,
                             struct sluice_error *err)
{
    struct jdec *j = sluice_xcalloc(1, sizeof *j);
    d->fmt = &json_format;
    d->impl = j;
    j->root = node_build(d->schema, d->root, NULL);
    if (!proj || proj->all) {
        mark_all(j->root);
    } else {
        for (size_t i = 0; i < proj->n_paths; i++) {
            int rc = mark_path(j->root, proj->paths[i], err);
            if (rc) return rc;
        }
    }
    j->root->needed = true;
    /* The corrupt column is filled from the raw line, never from a key. */
    if (d->corrupt_index >= 0) j->root->children[d->corrupt_index]->needed = false;
    j->per_row = sluice_xcalloc(count_nodes(j->root), sizeof *j->per_row);
    node_finalize(j, j->root, true);
    return SLUICE_OK;
}
