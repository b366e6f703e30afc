/* core/formats/decode_json_scan.h — JSON syntax for the JSON-lines decoder:
 * scanning strings and numbers, unescaping, and the validating skipper.
 * Private to decode_json.c and decode_json_scan.c (and their tests).
 *
 * Everything works on one line, [p, end); `lim` is the end of the whole
 * input, so 16-byte loads may read past the line but never past the buffer.
 * Functions return SLUICE_JSON_OK, or SLUICE_JSON_ERR after writing the
 * reason and column into `why` (the first syntax error wins). The helpers
 * called once per token are inline here so the decoder's loops keep them
 * in registers. */
#ifndef SLUICE_CORE_DECODE_JSON_SCAN_H
#define SLUICE_CORE_DECODE_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "decode_priv.h"

/* Jackson 2.15's limit, which Spark inherits. */
#define SLUICE_JSON_MAX_DEPTH 1000

enum { SLUICE_JSON_ERR = -1, SLUICE_JSON_OK = 0, SLUICE_JSON_MISMATCH = 1 };

struct sluice_json_scan {
    const char *p;
    const char *end;  /* end of the line */
    const char *lim;  /* end of the input: 16-byte loads stay below it */
    const char *line;
    struct sluice_decoder *d;
    char *why;        /* 200 bytes */
    bool bad;         /* a field had the wrong type */
    bool why_syntax;  /* `why` holds a syntax error: keep it */
    int depth;        /* containers open around s->p */
};

struct sluice_json_num {
    bool is_int;
    bool neg;
    bool big;      /* more than 19 digits */
    uint64_t mag;  /* integer magnitude (valid unless big) */
};

/* Record a syntax error at s->p; returns SLUICE_JSON_ERR. */
int sluice_json_fail(struct sluice_json_scan *s, const char *what);
/* Check the escape at s->p ('\\') and step over it. */
int sluice_json_escape(struct sluice_json_scan *s, char quote);
/* s->p is just past the opening quote; on success it is just past the
 * closing one and *esc says whether the string held escapes. */
int sluice_json_scan_string(struct sluice_json_scan *s, char quote, bool *esc);
/* Unescape [a, z), already checked, into dst (room for z - a bytes: no
 * escape grows). Returns the length. */
size_t sluice_json_unescape(char *dst, const char *a, const char *z);
/* JSON's number grammar (no leading zeros, digits after '.' and 'e'). */
int sluice_json_scan_number(struct sluice_json_scan *s, struct sluice_json_num *num);
/* Validate and step over one value of any depth. */
int sluice_json_skip(struct sluice_json_scan *s);

static inline void sluice_json_ws(struct sluice_json_scan *s)
{
    const char *p = s->p, *end = s->end;
    if (__builtin_expect(p < end && (unsigned char)*p > ' ', 1)) return; /* compact JSON */
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++;
    s->p = p;
}

/* The first '"', '\\' or control byte in [p, end), or end. Control bytes
 * include the line's own '\n', so the wide loop never runs past the line. */
static inline const char *sluice_json_find_special(const char *p, const char *end, const char *lim)
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

/* sluice_json_skip with the commonest case, a plain double-quoted string,
 * inline: most unneeded members of an object are strings, and they then
 * cost no call. */
static inline int sluice_json_skip_value(struct sluice_json_scan *s)
{
    if (s->p < s->end && *s->p == '"') {
        const char *q = sluice_json_find_special(s->p + 1, s->end, s->lim);
        if (__builtin_expect(q < s->end && *q == '"', 1)) {
            s->p = q + 1;
            return SLUICE_JSON_OK;
        }
    }
    return sluice_json_skip(s);
}

static inline bool sluice_json_lit(const struct sluice_json_scan *s, const char *word, size_t n)
{
    return (size_t)(s->end - s->p) >= n && memcmp(s->p, word, n) == 0;
}

/* Jackson's non-numeric numbers (Spark's allowNonNumericNumbers is on):
 * NaN, Infinity, +Infinity, -Infinity, +INF, -INF. Length matched, or 0. */
static inline size_t sluice_json_nonnum(const struct sluice_json_scan *s)
{
    static const struct { const char *w; size_t n; } words[] = {
        { "NaN", 3 }, { "Infinity", 8 }, { "+Infinity", 9 }, { "-Infinity", 9 }, { "+INF", 4 }, { "-INF", 4 },
    };
    char c = *s->p;
    if (c != 'N' && c != 'I' && c != '+' && !(c == '-' && s->end - s->p > 1 && s->p[1] == 'I')) return 0;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if (sluice_json_lit(s, words[i].w, words[i].n)) return words[i].n;
    return 0;
}

#endif
