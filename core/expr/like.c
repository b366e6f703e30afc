/* LIKE patterns, compiled once per stage.
 *
 * A pattern is split at its `%`s into segments of literal bytes and `_`
 * (one character). The common shapes get their own kernels: 'abc' (equal),
 * 'abc%' (prefix), '%abc' (suffix) and '%abc%' (contains). Contains runs
 * over the whole column's bytes at once (rows are contiguous), filtering
 * 16 positions at a time on the needle's first and last byte, so a tweet
 * column is scanned at memory speed instead of restarting a search per row.
 * Everything else uses a small matcher that takes each segment at its
 * leftmost place, which is optimal because a segment always spans a fixed
 * number of characters. Matching is on bytes except `_`, which consumes one
 * UTF-8 character, as Spark's regex translation does. */
#define _GNU_SOURCE /* memmem */
#include "like.h"

#include <stdio.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "arena.h"
#include "utf8.h"

enum like_kind { LIKE_ANY, LIKE_EQ, LIKE_PREFIX, LIKE_SUFFIX, LIKE_CONTAINS, LIKE_GENERAL };

struct like_seg {
    const char *bytes;
    const uint8_t *wild; /* wild[j]: position j is `_` */
    size_t len;
    bool has_wild;
    int32_t chars;       /* characters the segment spans */
};

struct like_pattern {
    enum like_kind kind;
    bool lead, trail;    /* the pattern starts / ends with % */
    int n;
    struct like_seg *segs;
};

static size_t char_len(unsigned char c)
{
    if (c < 0xC0) return 1;
    if (c < 0xE0) return 2;
    if (c < 0xF0) return 3;
    if (c < 0xF8) return 4;
    return 1;
}

int sluice_like_compile(const char *pat, size_t len, const char *escape, size_t escape_len,
                        struct sluice_arena *arena, const struct like_pattern **out, char *why)
{
    char esc = escape_len ? escape[0] : '\\';
    struct like_pattern *p = sluice_arena_calloc(arena, sizeof *p);
    /* Segments hold at least one byte and are separated by a %. */
    p->segs = sluice_arena_calloc(arena, (len / 2 + 2) * sizeof *p->segs);
    char *bytes = sluice_arena_alloc(arena, len + 1);
    uint8_t *wild = sluice_arena_calloc(arena, len + 1);
    struct like_seg *seg = NULL;
    size_t w = 0;
    p->lead = len > 0 && pat[0] == '%';
    for (size_t i = 0; i < len; i++) {
        char c = pat[i];
        if (c == '%') {
            seg = NULL;
            p->trail = true;
            continue;
        }
        p->trail = false;
        if (!seg) {
            seg = &p->segs[p->n++];
            seg->bytes = bytes + w;
            seg->wild = wild + w;
        }
        if (c == esc) {
            if (i + 1 == len) {
                snprintf(why, 128, "it ends with the escape character");
                return -1;
            }
            char next = pat[++i];
            if (next != '%' && next != '_' && next != esc) {
                snprintf(why, 128, "the escape character is not allowed to precede '%c'", next);
                return -1;
            }
            bytes[w] = next;
            seg->chars++;
        } else if (c == '_') {
            bytes[w] = '_';
            wild[w] = 1;
            seg->has_wild = true;
            seg->chars++;
        } else {
            bytes[w] = c;
            if (!sluice_utf8_continuation((unsigned char)c)) seg->chars++;
        }
        w++;
        seg->len++;
    }
    /* '' matches only the empty string: one empty, anchored segment. */
    if (len == 0) p->segs[p->n++] = (struct like_seg){ .bytes = bytes, .wild = wild };
    bool any_wild = false;
    for (int i = 0; i < p->n; i++) any_wild = any_wild || p->segs[i].has_wild;
    if (p->n == 0) p->kind = LIKE_ANY;
    else if (any_wild || p->n > 1) p->kind = LIKE_GENERAL;
    else if (!p->lead && !p->trail) p->kind = LIKE_EQ;
    else if (!p->lead) p->kind = LIKE_PREFIX;
    else if (!p->trail) p->kind = LIKE_SUFFIX;
    else p->kind = LIKE_CONTAINS;
    *out = p;
    return 0;
}

/* End of `seg` matched at q, or -1. */
static int64_t seg_at(const struct like_seg *seg, const char *s, int64_t n, int64_t q)
{
    if (!seg->has_wild) {
        if ((int64_t)seg->len > n - q || memcmp(s + q, seg->bytes, seg->len) != 0) return -1;
        return q + (int64_t)seg->len;
    }
    for (size_t j = 0; j < seg->len; j++) {
        if (q >= n) return -1;
        if (seg->wild[j]) {
            q += (int64_t)char_len((unsigned char)s[q]);
            if (q > n) q = n;
        } else {
            if (s[q] != seg->bytes[j]) return -1;
            q++;
        }
    }
    return q;
}

/* End of the leftmost match of `seg` starting at or after `from`, or -1. */
static int64_t seg_find(const struct like_seg *seg, const char *s, int64_t n, int64_t from)
{
    if (!seg->has_wild) {
        if (seg->len == 0) return from;
        const char *hit = memmem(s + from, (size_t)(n - from), seg->bytes, seg->len);
        return hit ? (int64_t)(hit - s) + (int64_t)seg->len : -1;
    }
    for (int64_t q = from; q <= n; q += q < n ? (int64_t)char_len((unsigned char)s[q]) : 1) {
        int64_t e = seg_at(seg, s, n, q);
        if (e >= 0) return e;
    }
    return -1;
}

bool sluice_like_match(const struct like_pattern *p, const char *s, size_t len)
{
    int64_t n = (int64_t)len, pos = 0;
    if (p->n == 0) return true;
    int first = 0, last = p->n - 1;
    if (!p->lead) {
        pos = seg_at(&p->segs[0], s, n, 0);
        if (pos < 0) return false;
        if (p->n == 1) return p->trail || pos == n;
        first = 1;
    }
    int upto = p->trail ? last : last - 1; /* the last segment is anchored unless % follows */
    for (int i = first; i <= upto; i++) {
        pos = seg_find(&p->segs[i], s, n, pos);
        if (pos < 0) return false;
    }
    if (p->trail) return true;
    /* The last segment ends at n: it starts its character count back. */
    const struct like_seg *seg = &p->segs[last];
    int64_t q = n;
    if (!seg->has_wild) {
        q = n - (int64_t)seg->len;
    } else {
        for (int32_t c = 0; c < seg->chars; c++) {
            if (q <= 0) return false;
            q--;
            while (q > 0 && sluice_utf8_continuation((unsigned char)s[q])) q--;
        }
    }
    if (q < pos) return false;
    return seg_at(seg, s, n, q) == n;
}

/* First index >= from where needle starts within h[from, end), or -1. */
static int64_t find(const char *h, int64_t from, int64_t end, const char *nd, size_t m)
{
    if ((int64_t)m > end - from) return -1;
    if (m == 1) {
        const char *hit = memchr(h + from, nd[0], (size_t)(end - from));
        return hit ? hit - h : -1;
    }
    int64_t i = from;
#if defined(__SSE2__)
    const __m128i first = _mm_set1_epi8(nd[0]), last = _mm_set1_epi8(nd[m - 1]);
    while (i + (int64_t)m - 1 + 16 <= end) {
        __m128i a = _mm_loadu_si128((const __m128i *)(const void *)(h + i));
        __m128i b = _mm_loadu_si128((const __m128i *)(const void *)(h + i + m - 1));
        unsigned mask = (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(a, first), _mm_cmpeq_epi8(b, last)));
        while (mask) {
            int bit = __builtin_ctz(mask);
            if (memcmp(h + i + bit + 1, nd + 1, m - 2) == 0) return i + bit;
            mask &= mask - 1;
        }
        i += 16;
    }
#endif
    const char *hit = memmem(h + i, (size_t)(end - i), nd, m);
    return hit ? hit - h : -1;
}

void sluice_like_contains_column(const char *needle, size_t m, const int32_t *offs, const char *data, int64_t n,
                                 uint8_t *out)
{
    if (m == 0) {
        memset(out, 1, (size_t)n);
        return;
    }
    memset(out, 0, (size_t)n);
    int64_t pos = offs[0], end = offs[n], r = 0;
    while (r < n) {
        int64_t q = find(data, pos, end, needle, m);
        if (q < 0) return;
        while (offs[r + 1] <= q) r++;
        if (q + (int64_t)m <= offs[r + 1]) out[r] = 1;
        /* A later start in row r would cross its end too: go to the next row. */
        pos = offs[r + 1];
        r++;
    }
}

void sluice_like_match_column(const struct like_pattern *p, const int32_t *offs, const char *data,
                              int64_t n, uint8_t *out)
{
    const struct like_seg *seg = p->n ? &p->segs[0] : NULL;
    switch (p->kind) {
    case LIKE_ANY:
        memset(out, 1, (size_t)n);
        return;
    case LIKE_CONTAINS:
        sluice_like_contains_column(seg->bytes, seg->len, offs, data, n, out);
        return;
    case LIKE_EQ:
        for (int64_t i = 0; i < n; i++) {
            size_t len = (size_t)(offs[i + 1] - offs[i]);
            out[i] = len == seg->len && memcmp(data + offs[i], seg->bytes, len) == 0;
        }
        return;
    case LIKE_PREFIX:
        for (int64_t i = 0; i < n; i++) {
            size_t len = (size_t)(offs[i + 1] - offs[i]);
            out[i] = len >= seg->len && memcmp(data + offs[i], seg->bytes, seg->len) == 0;
        }
        return;
    case LIKE_SUFFIX:
        for (int64_t i = 0; i < n; i++) {
            size_t len = (size_t)(offs[i + 1] - offs[i]);
            out[i] = len >= seg->len && memcmp(data + offs[i + 1] - seg->len, seg->bytes, seg->len) == 0;
        }
        return;
    case LIKE_GENERAL:
        for (int64_t i = 0; i < n; i++)
            out[i] = sluice_like_match(p, data + offs[i], (size_t)(offs[i + 1] - offs[i]));
        return;
    }
}
