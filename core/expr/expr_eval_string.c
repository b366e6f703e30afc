/* String functions: lower upper length trim concat concat_ws substring contains
 * startswith endswith. Each writes its result into one buffer sized up
 * front from the input's byte count, so no row ever allocates.
 *
 * Case mapping covers ASCII (16 bytes at a time) and, for the rare rows
 * with other characters, Latin-1, Latin Extended-A and Additional, Greek,
 * Cyrillic, Armenian and fullwidth Latin: every mapping there keeps the
 * UTF-8 length, so lower() and upper() keep the input's offsets. Other
 * scripts pass through unchanged. upper('ß') is 'SS' as in Java (the same
 * two bytes) and lower('İ') is 'i̇' (a third byte, in a second pass over
 * the rare columns holding it); ı, ſ and the ﬁ ligatures, whose Java forms
 * change length too, pass through. Greek capital sigma always lowers to σ; Java would pick ς at a
 * word's end. */
#define _GNU_SOURCE /* memmem */
#include "expr_priv.h"
#include "utf8.h"

#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ---- case mapping -------------------------------------------------------------- */

static uint32_t lower_cp(uint32_t c)
{
    if (c < 0x100) return (c >= 0xC0 && c <= 0xDE && c != 0xD7) ? c + 0x20 : c;
    if (c < 0x180) {
        if ((c <= 0x12F) || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) return c | 1;
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c & 1) ? c + 1 : c;
        return c == 0x178 ? 0xFF : c;
    }
    if (c >= 0x386 && c <= 0x3AB) {
        if (c >= 0x391 && c != 0x3A2) return c + 0x20;
        if (c == 0x386) return 0x3AC;
        if (c >= 0x388 && c <= 0x38A) return c + 0x25;
        if (c == 0x38C) return 0x3CC;
        if (c == 0x38E || c == 0x38F) return c + 0x3F;
        return c;
    }
    if (c >= 0x400 && c <= 0x52F) {
        if (c <= 0x40F) return c + 0x50;
        if (c <= 0x42F) return c + 0x20;
        if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) || (c >= 0x4D0)) return c | 1;
        if (c == 0x4C0) return 0x4CF;
        if (c >= 0x4C1 && c <= 0x4CE) return (c & 1) ? c + 1 : c;
        return c;
    }
    if (c >= 0x531 && c <= 0x556) return c + 0x30;
    if ((c >= 0x1E00 && c <= 0x1E95) || (c >= 0x1EA0 && c <= 0x1EFF)) return c | 1;
    if (c >= 0xFF21 && c <= 0xFF3A) return c + 0x20;
    return c;
}

static uint32_t upper_cp(uint32_t c)
{
    if (c < 0x100) {
        if (c >= 0xE0 && c <= 0xFE && c != 0xF7) return c - 0x20;
        if (c == 0xB5) return 0x39C; /* micro sign: Greek capital mu, as Java */
        return c == 0xFF ? 0x178 : c;
    }
    if (c < 0x180) {
        if ((c <= 0x12F) || (c >= 0x132 && c <= 0x137) || (c >= 0x14A && c <= 0x177)) return c & ~1u;
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) return (c & 1) ? c : c - 1;
        return c;
    }
    if (c >= 0x3AC && c <= 0x3CE) {
        if (c >= 0x3B1 && c <= 0x3CB) return c == 0x3C2 ? 0x3A3 : c - 0x20;
        if (c == 0x3AC) return 0x386;
        if (c >= 0x3AD && c <= 0x3AF) return c - 0x25;
        if (c == 0x3CC) return 0x38C;
        if (c == 0x3CD || c == 0x3CE) return c - 0x3F;
        return c;
    }
    if (c >= 0x430 && c <= 0x52F) {
        if (c <= 0x44F) return c - 0x20;
        if (c <= 0x45F) return c - 0x50;
        if ((c >= 0x460 && c <= 0x481) || (c >= 0x48A && c <= 0x4BF) || (c >= 0x4D0)) return c & ~1u;
        if (c == 0x4CF) return 0x4C0;
        if (c >= 0x4C1 && c <= 0x4CE) return (c & 1) ? c : c - 1;
        return c;
    }
    if (c >= 0x561 && c <= 0x586) return c - 0x30;
    if ((c >= 0x1E00 && c <= 0x1E95) || (c >= 0x1EA0 && c <= 0x1EFF)) return c & ~1u;
    if (c >= 0xFF41 && c <= 0xFF5A) return c - 0x20;
    return c;
}

/* Only these lead bytes can start a character the tables map: C2..D6
 * (U+0080..U+05BF) and E1, EF (Latin Extended Additional, fullwidth).
 * Continuation bytes, Arabic, CJK and emoji never match, so text in other
 * scripts costs one vector compare per 16 bytes. */
static inline bool mapped_lead(unsigned char b)
{
    return (b >= 0xC2 && b <= 0xD6) || b == 0xE1 || b == 0xEF;
}

/* Map the character starting at s[q] in place if it ends by `end`. */
static inline void map_char(unsigned char *s, size_t q, size_t end, bool upper)
{
    unsigned char b = s[q];
    if (b < 0xE0) {
        if (q + 1 >= end || !sluice_utf8_continuation(s[q + 1])) return;
        uint32_t cp = ((uint32_t)(b & 0x1F) << 6) | (s[q + 1] & 0x3F);
        if (upper && cp == 0xDF) { /* Java's full mapping: ß is SS, two bytes as before */
            s[q] = 'S';
            s[q + 1] = 'S';
            return;
        }
        uint32_t m = upper ? upper_cp(cp) : lower_cp(cp);
        if (m != cp && m >= 0x80 && m < 0x800) {
            s[q] = (unsigned char)(0xC0 | (m >> 6));
            s[q + 1] = (unsigned char)(0x80 | (m & 0x3F));
        }
    } else {
        if (q + 2 >= end || !sluice_utf8_continuation(s[q + 1]) || !sluice_utf8_continuation(s[q + 2])) return;
        uint32_t cp = ((uint32_t)(b & 0x0F) << 12) | ((uint32_t)(s[q + 1] & 0x3F) << 6) | (s[q + 2] & 0x3F);
        uint32_t m = upper ? upper_cp(cp) : lower_cp(cp);
        if (m != cp && m >= 0x800 && m < 0x10000) {
            s[q] = (unsigned char)(0xE0 | (m >> 12));
            s[q + 1] = (unsigned char)(0x80 | ((m >> 6) & 0x3F));
            s[q + 2] = (unsigned char)(0x80 | (m & 0x3F));
        }
    }
}

/* Map the multi-byte characters of rows data[offs[i], offs[i+1]) in place
 * (their ASCII is done already): find mapped lead bytes across the whole
 * column, then map each one whose character lies inside its row, so a
 * broken character at a row's end never reaches into the next row. */
static void case_fixup_column(unsigned char *data, const int32_t *offs, int64_t n, bool upper)
{
    size_t len = (size_t)offs[n];
    int64_t r = 0;
    size_t i = (size_t)offs[0];
#if defined(__SSE2__)
    const __m128i bias = _mm_set1_epi8((char)(0x80 - 0xC2)), limit = _mm_set1_epi8((char)(0x80 + 21));
    const __m128i e1 = _mm_set1_epi8((char)0xE1), ef = _mm_set1_epi8((char)0xEF);
    for (; i + 16 <= len; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(data + i));
        __m128i hit = _mm_or_si128(_mm_cmplt_epi8(_mm_add_epi8(x, bias), limit),
                                   _mm_or_si128(_mm_cmpeq_epi8(x, e1), _mm_cmpeq_epi8(x, ef)));
        unsigned mask = (unsigned)_mm_movemask_epi8(hit);
        while (mask) {
            size_t q = i + (size_t)__builtin_ctz(mask);
            mask &= mask - 1;
            while ((size_t)offs[r + 1] <= q) r++;
            map_char(data, q, (size_t)offs[r + 1], upper);
        }
    }
#endif
    for (; i < len; i++) {
        if (!mapped_lead(data[i])) continue;
        while ((size_t)offs[r + 1] <= i) r++;
        map_char(data, i, (size_t)offs[r + 1], upper);
    }
}

/* The same for one string. */
static void case_fixup(unsigned char *s, size_t n, bool upper)
{
    for (size_t i = 0; i < n; i++)
        if (mapped_lead(s[i])) map_char(s, i, n, upper);
}

/* Case-map n bytes from src to dst; returns whether any byte was >= 0x80. */
static bool ascii_case(const unsigned char *src, unsigned char *dst, size_t n, bool upper)
{
    unsigned char lo = upper ? 'a' : 'A';
    unsigned hi = 0;
    size_t i = 0;
#if defined(__SSE2__)
    /* x + (0x80 - lo) is below -128 + 26 (signed) exactly for lo..lo+25. */
    const __m128i bias = _mm_set1_epi8((char)(0x80 - lo)), limit = _mm_set1_epi8((char)(0x80 + 26));
    const __m128i flip = _mm_set1_epi8(0x20);
    for (; i + 16 <= n; i += 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)(const void *)(src + i));
        __m128i in = _mm_cmplt_epi8(_mm_add_epi8(x, bias), limit);
        hi |= (unsigned)_mm_movemask_epi8(x);
        _mm_storeu_si128((__m128i *)(void *)(dst + i), _mm_xor_si128(x, _mm_and_si128(in, flip)));
    }
#endif
    for (; i < n; i++) {
        unsigned char c = src[i];
        hi |= c & 0x80;
        dst[i] = (unsigned char)(c ^ (((unsigned char)(c - lo) < 26) << 5));
    }
    return hi != 0;
}

static const struct evec *case_map(struct ectx *c, const struct evec *a, bool upper)
{
    int64_t n = c->n;
    struct evec *v = ectx_vec(c);
    v->valid = a->valid;
    int32_t base = a->offs[0], end = a->offs[n];
    int32_t *offs = ectx_alloc(c, ((size_t)n + 1) * sizeof *offs);
    for (int64_t i = 0; i <= n; i++) offs[i] = a->offs[i] - base;
    unsigned char *dst = ectx_alloc(c, (size_t)(end - base));
    /* ASCII for the whole column in one pass (rows are contiguous, and no
     * ASCII byte belongs to a longer character), then the other letters. */
    if (ascii_case((const unsigned char *)a->data + base, dst, (size_t)(end - base), upper))
        case_fixup_column(dst, offs, n, upper);
    v->offs = offs;
    v->data = (const char *)dst;
    return v;
}

/* Java's lower('İ') is 'i̇' (i and a combining dot above): one character
 * that grows from two bytes to three. Only rows holding it are rewritten,
 * into one new buffer for the column. */
static const struct evec *lower_dotted_i(struct ectx *c, struct evec *v)
{
    int64_t n = c->n;
    if (v->konst || !n) return v;
    const unsigned char *d = (const unsigned char *)v->data;
    size_t extra = 0;
    for (int64_t i = 0; i < n; i++)
        for (int32_t k = v->offs[i]; k + 1 < v->offs[i + 1]; k++) extra += d[k] == 0xC4 && d[k + 1] == 0xB0;
    if (!extra) return v;
    struct sbuild b;
    if (!sbuild_init(c, &b, (size_t)(v->offs[n] - v->offs[0]) + extra)) return ectx_null(c);
    for (int64_t i = 0; i < n; i++) {
        char *o = sbuild_room(&b);
        size_t w = 0;
        for (int32_t k = v->offs[i]; k < v->offs[i + 1]; k++) {
            if (d[k] == 0xC4 && k + 1 < v->offs[i + 1] && d[k + 1] == 0xB0) {
                memcpy(o + w, "i\xCC\x87", 3);
                w += 3;
                k++;
            } else {
                o[w++] = (char)d[k];
            }
        }
        sbuild_end_row(&b, i, w);
    }
    const uint8_t *valid = v->valid;
    sbuild_to_vec(&b, v);
    v->valid = (uint8_t *)valid;
    return v;
}

/* ---- the rest -------------------------------------------------------------------- */

/* Characters are bytes minus continuation bytes (10xxxxxx), counted eight at a time. */
static size_t char_count(const char *s, size_t n)
{
    size_t conts = 0, i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        /* One bit per continuation byte, summed by a multiply (no popcount instruction needed). */
        uint64_t m = (w & ~(w << 1) & 0x8080808080808080ULL) >> 7;
        conts += (size_t)((m * 0x0101010101010101ULL) >> 56);
    }
    for (; i < n; i++) conts += sluice_utf8_continuation((unsigned char)s[i]);
    return n - conts;
}

/* Byte offset of character `chars` of s (n bytes), clamped to n. */
static size_t char_offset(const char *s, size_t n, int64_t chars)
{
    size_t i = 0;
    for (int64_t k = 0; k < chars && i < n; k++) {
        i++;
        while (i < n && sluice_utf8_continuation((unsigned char)s[i])) i++;
    }
    return i;
}

/* Spark's substringSQL: 1-based; 0 is 1; a negative start counts from the
 * end; the end is start + len, clamped to the string. Positions are ints in
 * Spark, so longs are narrowed the way Java's (int) cast does. */
static void substring_bounds(const char *s, size_t n, int64_t pos_l, int64_t len_l, size_t *from, size_t *to)
{
    int64_t pos = (int32_t)(uint32_t)(uint64_t)pos_l, len = (int32_t)(uint32_t)(uint64_t)len_l;
    int64_t start = pos > 0 ? pos - 1 : pos < 0 ? (int64_t)char_count(s, n) + pos : 0;
    int64_t end = start + len;
    if (end > INT32_MAX) end = INT32_MAX;
    if (start < 0) start = 0;
    if (start >= end) {
        *from = *to = 0;
        return;
    }
    *from = char_offset(s, n, start);
    *to = *from + char_offset(s + *from, n - *from, end - start);
}

static size_t total_bytes(struct ectx *c, const struct evec *a)
{
    if (a->konst) return (size_t)(a->offs[1] - a->offs[0]) * (size_t)c->n;
    return (size_t)(a->offs[c->n] - a->offs[0]);
}

static const struct evec *eval_concat(struct ectx *c, const struct expr_node *nd, const struct evec **as)
{
    int64_t n = c->n;
    struct evec *v = ectx_vec(c);
    v->valid = ectx_valid_and(c, as, nd->n_args);
    /* The exact size, rows a null argument makes null left out: past the
     * limit the call fails rather than cutting rows short. */
    size_t total = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!evec_valid(v, i)) continue;
        for (int j = 0; j < nd->n_args; j++) {
            int32_t l;
            evec_str(as[j], i, &l);
            total += (size_t)l;
        }
    }
    struct sbuild b;
    if (!sbuild_init(c, &b, total)) return ectx_null(c);
    for (int64_t i = 0; i < n; i++) {
        size_t len = 0;
        if (evec_valid(v, i)) {
            for (int j = 0; j < nd->n_args; j++) {
                int32_t l;
                const char *s = evec_str(as[j], i, &l);
                memcpy(sbuild_room(&b) + len, s, (size_t)l);
                len += (size_t)l;
            }
        }
        sbuild_end_row(&b, i, len);
    }
    sbuild_to_vec(&b, v);
    return v;
}

/* Part k of row i of concat_ws: the string, or the array's elements. Calls
 * `put` for each non-null piece. */
typedef void (*piece_fn)(void *arg, const char *s, int32_t len);

static void each_piece(const struct expr_node *nd, const struct evec *x, int k, int64_t i, piece_fn put, void *arg)
{
    if (nd->args[k]->type != SLUICE_TYPE_ARRAY) {
        if (!evec_valid(x, i)) return;
        int32_t len;
        const char *str = evec_str(x, i, &len);
        put(arg, str, len);
        return;
    }
    int64_t slot = x->slots ? x->slots[i] : -1;
    if (slot < 0) return;
    const struct ArrowArray *list = x->arr, *e = list->children[0];
    const int32_t *lo = list->buffers[1], *eo = e->buffers[1];
    const char *data = e->buffers[2];
    for (int64_t q = e->offset + lo[slot]; q < e->offset + lo[slot + 1]; q++) {
        if (e->null_count != 0 && e->buffers[0] && !sluice_bit_get(e->buffers[0], q)) continue;
        put(arg, data + eo[q], eo[q + 1] - eo[q]);
    }
}

/* Sizing pass and writing pass of concat_ws over one row. */
struct ws_row {
    const char *sep;
    int32_t sep_len;
    size_t len;
    char *out; /* NULL while sizing */
    bool first;
};

static void ws_put(void *arg, const char *s, int32_t len)
{
    struct ws_row *w = arg;
    if (!w->first) {
        if (w->out) memcpy(w->out + w->len, w->sep, (size_t)w->sep_len);
        w->len += (size_t)w->sep_len;
    }
    if (w->out) memcpy(w->out + w->len, s, (size_t)len);
    w->len += (size_t)len;
    w->first = false;
}

/* concat_ws(sep, ...): Spark's, null only when sep is; null parts and
 * null elements of array parts are left out, arrays joined element by
 * element. Sized exactly first, as concat is. */
static const struct evec *eval_concat_ws(struct ectx *c, const struct expr_node *nd, const struct evec **as)
{
    int64_t n = c->n;
    struct evec *v = ectx_vec(c);
    v->valid = as[0]->valid;
    size_t total = 0;
    for (int pass = 0; pass < 2; pass++) {
        struct sbuild b;
        if (pass == 1 && !sbuild_init(c, &b, total)) return ectx_null(c);
        for (int64_t i = 0; i < n; i++) {
            struct ws_row w = { .first = true, .out = pass ? sbuild_room(&b) : NULL };
            if (evec_valid(as[0], i)) {
                w.sep = evec_str(as[0], i, &w.sep_len);
                for (int k = 1; k < nd->n_args; k++) each_piece(nd, as[k], k, i, ws_put, &w);
            }
            if (pass) sbuild_end_row(&b, i, w.len);
            else total += w.len;
        }
        if (pass) sbuild_to_vec(&b, v);
    }
    return v;
}

static const struct evec *eval_search(struct ectx *c, const struct expr_node *nd, const struct evec *a,
                                      const struct evec *b)
{
    int64_t n = c->n;
    struct evec *v = ectx_vec(c);
    const struct evec *both[2] = { a, b };
    v->valid = ectx_valid_and(c, both, 2);
    v->b = ectx_alloc(c, (size_t)n);
    if (nd->fn == FN_CONTAINS && b->konst && !a->konst) {
        int32_t m;
        const char *needle = evec_str(b, 0, &m);
        sluice_like_contains_column(needle, (size_t)m, a->offs, a->data, n, v->b);
        return v;
    }
    for (int64_t i = 0; i < n; i++) {
        int32_t la, lb;
        const char *pa = evec_str(a, i, &la), *pb = evec_str(b, i, &lb);
        bool r;
        if (lb > la) r = false;
        else if (nd->fn == FN_STARTSWITH) r = memcmp(pa, pb, (size_t)lb) == 0;
        else if (nd->fn == FN_ENDSWITH) r = memcmp(pa + la - lb, pb, (size_t)lb) == 0;
        else r = lb == 0 || memmem(pa, (size_t)la, pb, (size_t)lb) != NULL;
        v->b[i] = r;
    }
    return v;
}

const struct evec *sluice_expr_eval_string(struct ectx *c, const struct expr_node *nd)
{
    int64_t n = c->n;
    const struct evec *as[nd->n_args + 1];
    for (int j = 0; j < nd->n_args; j++) as[j] = sluice_expr_eval_node(c, nd->args[j]);
    const struct evec *a = as[0];
    struct evec *v;
    switch (nd->fn) {
    case FN_LOWER:
    case FN_UPPER:
        if (a->konst) break;
        v = (struct evec *)case_map(c, a, nd->fn == FN_UPPER);
        return nd->fn == FN_LOWER ? lower_dotted_i(c, v) : v;
    case FN_LENGTH:
        v = ectx_vec(c);
        v->valid = a->valid;
        v->l = ectx_alloc(c, (size_t)n * 8);
        for (int64_t i = 0; i < n; i++) {
            int32_t len;
            const char *s = evec_str(a, i, &len);
            v->l[i] = (int64_t)char_count(s, (size_t)len);
        }
        return v;
    case FN_CONCAT:
        return eval_concat(c, nd, as);
    case FN_CONCAT_WS:
        return eval_concat_ws(c, nd, as);
    case FN_CONTAINS:
    case FN_STARTSWITH:
    case FN_ENDSWITH:
        return eval_search(c, nd, a, as[1]);
    default:
        break;
    }
    /* trim, substring, and case mapping of a constant: results no longer than the input. */
    v = ectx_vec(c);
    v->valid = ectx_valid_and(c, as, nd->n_args);
    struct sbuild b;
    if (!sbuild_init(c, &b, total_bytes(c, a))) return ectx_null(c);
    for (int64_t i = 0; i < n; i++) {
        int32_t len;
        const char *s = evec_str(a, i, &len);
        size_t from = 0, to = (size_t)len;
        if (!evec_valid(v, i)) {
            to = 0;
        } else if (nd->fn == FN_TRIM) {
            /* Spark's trim removes spaces (0x20) only. */
            while (from < to && s[from] == ' ') from++;
            while (to > from && s[to - 1] == ' ') to--;
        } else if (nd->fn == FN_SUBSTRING) {
            int64_t sublen = nd->n_args > 2 ? as[2]->l[i] : INT32_MAX;
            substring_bounds(s, (size_t)len, as[1]->l[i], sublen, &from, &to);
        }
        memcpy(sbuild_room(&b), s + from, to - from);
        if (nd->fn == FN_LOWER || nd->fn == FN_UPPER) {
            unsigned char *d = (unsigned char *)sbuild_room(&b);
            if (ascii_case(d, d, to - from, nd->fn == FN_UPPER)) case_fixup(d, to - from, nd->fn == FN_UPPER);
        }
        sbuild_end_row(&b, i, to - from);
    }
    sbuild_to_vec(&b, v);
    return nd->fn == FN_LOWER ? lower_dotted_i(c, v) : v;
}
