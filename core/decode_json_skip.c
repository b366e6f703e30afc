/* core/decode_json_skip.c — the validating skip: stepping over a value the
 * projection does not need while checking it as Jackson would (see
 * decode_json_scan.h). Spark rejects a line whose skipped parts are broken,
 * so nothing is skipped unchecked.
 *
 * Two walkers. The block walker handles objects and arrays, the bulk of a
 * skipped line: it classifies 64 bytes at a time into bit masks (quotes,
 * backslashes, delimiters, control bytes), finds every string's extent
 * with a prefix XOR over the unescaped quotes (simdjson's technique, here
 * in SSE2 or plain C), and checks the grammar on the few structural tokens
 * left: brackets, ':' and ',', string starts and scalars, whose text it
 * checks in place. It bails out on anything unusual — single quotes,
 * NaN-style tokens, any error — and the exact walker then rescans from the
 * same place, which handles everything and writes the error message, so
 * both give the same results and the same messages. */
#include "decode_json_scan.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* ---- the block walker ----------------------------------------------------- */

enum { WALK_BAIL = -1 };

/* One 64-byte block's classes, bit i for byte i. */
struct block {
    uint64_t quote, bslash, delim, structural, ctl;
};

#if defined(__SSE2__)
static inline void classify16(const char *p, unsigned shift, struct block *b)
{
    const __m128i x = _mm_loadu_si128((const __m128i *)(const void *)p);
    const __m128i low = _mm_or_si128(x, _mm_set1_epi8(0x20)); /* '[' -> '{', ']' -> '}' */
    __m128i st = _mm_or_si128(_mm_cmpeq_epi8(low, _mm_set1_epi8('{')), _mm_cmpeq_epi8(low, _mm_set1_epi8('}')));
    st = _mm_or_si128(st, _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(':')), _mm_cmpeq_epi8(x, _mm_set1_epi8(','))));
    __m128i ws = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8(' ')),
                              _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('\t')), _mm_cmpeq_epi8(x, _mm_set1_epi8('\r'))));
    __m128i q = _mm_cmpeq_epi8(x, _mm_set1_epi8('"'));
    b->quote |= (uint64_t)(unsigned)_mm_movemask_epi8(q) << shift;
    b->bslash |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8('\\'))) << shift;
    b->structural |= (uint64_t)(unsigned)_mm_movemask_epi8(st) << shift;
    b->delim |= (uint64_t)(unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(st, ws), q)) << shift;
    __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1f)), x);
    b->ctl |= (uint64_t)(unsigned)_mm_movemask_epi8(ctl) << shift;
}
#endif

static inline void classify(const char *p, struct block *b)
{
    *b = (struct block){ 0, 0, 0, 0, 0 };
#if defined(__SSE2__)
    classify16(p, 0, b);
    classify16(p + 16, 16, b);
    classify16(p + 32, 32, b);
    classify16(p + 48, 48, b);
#else
    for (unsigned i = 0; i < 64; i++) {
        unsigned char c = (unsigned char)p[i];
        uint64_t bit = UINT64_C(1) << i;
        bool st = c == '{' || c == '}' || c == '[' || c == ']' || c == ':' || c == ',';
        if (c == '"') b->quote |= bit;
        if (c == '\\') b->bslash |= bit;
        if (st) b->structural |= bit;
        if (st || c == '"' || c == ' ' || c == '\t' || c == '\r') b->delim |= bit;
        if (c < 0x20) b->ctl |= bit;
    }
#endif
}

/* Bytes that a backslash escapes, carrying an odd run of backslashes into
 * the next block (simdjson's find_escaped). */
static inline uint64_t escaped_bits(uint64_t bslash, uint64_t *carry)
{
    const uint64_t even = UINT64_C(0x5555555555555555);
    bslash &= ~*carry;
    uint64_t follows = bslash << 1 | *carry;
    uint64_t odd_starts = bslash & ~even & ~follows;
    uint64_t seq_even;
    *carry = __builtin_add_overflow(odd_starts, bslash, &seq_even);
    return (even ^ (seq_even << 1)) & follows;
}

static inline uint64_t prefix_xor(uint64_t x)
{
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    return x;
}

static inline bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/* The escapes of a block whose strings hold backslashes: the escaped byte
 * must be one of JSON's, and \u needs four hex digits. */
static bool escapes_ok(const char *block, uint64_t escaped, const char *end)
{
    for (; escaped; escaped &= escaped - 1) {
        const char *e = block + __builtin_ctzll(escaped);
        switch (*e) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
            break;
        case 'u':
            if (end - e < 5 || !is_hex(e[1]) || !is_hex(e[2]) || !is_hex(e[3]) || !is_hex(e[4])) return false;
            break;
        default:
            return false;
        }
    }
    return true;
}

static inline bool delim_at(const char *q, const char *end)
{
    if (q >= end) return true;
    char c = *q;
    return c == ',' || c == '}' || c == ']' || c == ':' || c == ' ' || c == '"' || c == '\t' || c == '\r' ||
           c == '{' || c == '[';
}

/* A number or true/false/null at t that ends where its run of non-delimiter
 * bytes ends. NaN, Infinity and the like bail to the exact walker. */
static inline bool scalar_ok(const char *t, const char *end)
{
    const char *q = t;
    switch (*q) {
    case 't': return end - q >= 4 && memcmp(q, "true", 4) == 0 && delim_at(q + 4, end);
    case 'f': return end - q >= 5 && memcmp(q, "false", 5) == 0 && delim_at(q + 5, end);
    case 'n': return end - q >= 4 && memcmp(q, "null", 4) == 0 && delim_at(q + 4, end);
    case '-': q++; break;
    default: break;
    }
    if (q >= end) return false;
    if (*q == '0') {
        q++;
    } else if (*q >= '1' && *q <= '9') {
        do q++;
        while (q < end && *q >= '0' && *q <= '9');
    } else {
        return false;
    }
    if (q < end && *q == '.') {
        const char *f = ++q;
        while (q < end && *q >= '0' && *q <= '9') q++;
        if (q == f) return false;
    }
    if (q < end && (*q == 'e' || *q == 'E')) {
        q++;
        if (q < end && (*q == '+' || *q == '-')) q++;
        const char *f = q;
        while (q < end && *q >= '0' && *q <= '9') q++;
        if (q == f) return false;
    }
    return delim_at(q, end);
}

enum walk_state { W_VALUE, W_ARR_FIRST, W_OBJ_FIRST, W_KEY, W_COLON, W_AFTER };

/* Step over the object or array at p (within [p, end), loads below lim).
 * Returns the byte after it, or NULL to bail out. */
static const char *walk(const char *p, const char *end, const char *lim, int room)
{
    uint64_t kinds[SLUICE_JSON_MAX_DEPTH / 64 + 1]; /* bit per open container: 1 object */
    int depth = 0;
    enum walk_state st = W_VALUE;
    uint64_t esc_carry = 0, str_carry = 0, other_carry = 0;
    char tail[64];
    for (const char *blk = p; blk < end; blk += 64) {
        const char *src = blk;
        if (lim - blk < 64) {
            /* The input's last bytes: copy them so the wide loads stay inside. */
            memset(tail, ' ', sizeof tail);
            memcpy(tail, blk, (size_t)(lim - blk));
            src = tail;
        }
        uint64_t valid = end - blk >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << (end - blk)) - 1;
        struct block b;
        classify(src, &b);
        uint64_t escaped = 0;
        if (b.bslash | esc_carry) escaped = escaped_bits(b.bslash, &esc_carry);
        uint64_t rq = b.quote & ~escaped;
        uint64_t in_str = prefix_xor(rq) ^ str_carry;
        str_carry = (uint64_t)((int64_t)in_str >> 63);
        if (b.ctl & in_str & valid) return NULL;
        if ((escaped & in_str & valid) && !escapes_ok(blk, escaped & in_str & valid, end)) return NULL;
        uint64_t other = ~(b.delim | in_str);
        uint64_t tokens = (b.structural & ~in_str) | (rq & in_str) | (other & ~(other << 1 | other_carry));
        other_carry = other >> 63;
        tokens &= valid;
        while (tokens) {
            const char *t = blk + __builtin_ctzll(tokens);
            tokens &= tokens - 1;
            char c = *t;
            switch (st) {
            case W_ARR_FIRST:
                if (c == ']') goto close;
                /* fall through */
            case W_VALUE:
                if (c == '"') {
                    st = W_AFTER;
                } else if (c == '{' || c == '[') {
                    if (depth >= room) return NULL;
                    uint64_t bit = UINT64_C(1) << (depth & 63);
                    kinds[depth >> 6] = c == '{' ? kinds[depth >> 6] | bit : kinds[depth >> 6] & ~bit;
                    depth++;
                    st = c == '{' ? W_OBJ_FIRST : W_ARR_FIRST;
                } else if (c != '}' && c != ']' && c != ':' && c != ',' && scalar_ok(t, end)) {
                    st = W_AFTER;
                } else {
                    return NULL;
                }
                break;
            case W_OBJ_FIRST:
                if (c == '}') goto close;
                /* fall through */
            case W_KEY:
                if (c != '"') return NULL;
                st = W_COLON;
                break;
            case W_COLON:
                if (c != ':') return NULL;
                st = W_VALUE;
                break;
            case W_AFTER: {
                bool obj = (kinds[(depth - 1) >> 6] >> ((depth - 1) & 63)) & 1;
                if (c == ',') {
                    st = obj ? W_KEY : W_VALUE;
                    break;
                }
                if (c != (obj ? '}' : ']')) return NULL;
                goto close;
            }
            }
            continue;
        close:
            if (--depth == 0) return t + 1;
            st = W_AFTER;
        }
    }
    return NULL;
}

/* ---- the exact walker ------------------------------------------------------ */

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
int sluice_json_skip_exact(struct sluice_json_scan *s)
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

int sluice_json_skip(struct sluice_json_scan *s)
{
    if (s->p < s->end && (*s->p == '{' || *s->p == '[')) {
        const char *q = walk(s->p, s->end, s->lim, SLUICE_JSON_MAX_DEPTH - s->depth);
        if (q) {
            s->p = q;
            return SLUICE_JSON_OK;
        }
    }
    return sluice_json_skip_exact(s);
}
