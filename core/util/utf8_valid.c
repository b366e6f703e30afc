/* Checking and repairing UTF-8. See utf8_valid.h. */
#include "utf8_valid.h"

/* The length of the well-formed character at p (n > 0 bytes left), or 0
 * when it is not one; then *bad is the length of the maximal ill-formed
 * subpart there (at least 1). Table 3-7: the second byte's range depends
 * on the first, every later byte is 80..BF. */
static inline size_t char_len(const unsigned char *p, size_t n, size_t *bad)
{
    unsigned c = p[0];
    size_t need;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        *bad = 1; /* 80..C1, F5..FF never start a character */
        return 0;
    }
    size_t i = 1;
    for (; i < need && i < n; i++) {
        unsigned b = p[i];
        if (i == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xBF)) break;
    }
    if (i == need) return need;
    *bad = i;
    return 0;
}

/* char_len for a character with 4 bytes after it to read at once: the
 * usual two-, three- and four-byte shapes tested by masks, 0 otherwise
 * (then char_len decides). */
static inline size_t fast_len(const unsigned char *p)
{
    uint32_t w = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    if ((w & 0xC0E0u) == 0x80C0u) return p[0] >= 0xC2 ? 2 : 0;
    if ((w & 0xC0C0F0u) == 0x8080E0u) {
        if (p[0] == 0xE0 && p[1] < 0xA0) return 0; /* overlong */
        if (p[0] == 0xED && p[1] > 0x9F) return 0; /* a surrogate */
        return 3;
    }
    if ((w & 0xC0C0C0F8u) == 0x808080F0u) {
        if (p[0] == 0xF0 && p[1] < 0x90) return 0; /* overlong */
        if (p[0] > 0xF4 || (p[0] == 0xF4 && p[1] > 0x8F)) return 0; /* past U+10FFFF */
        return 4;
    }
    return 0;
}

bool sluice_utf8_valid_from_(const unsigned char *s, size_t n)
{
    size_t i = 0, bad;
    while (i < n) {
        if (s[i] < 0x80) {
            /* Text in most languages is mostly ASCII between its other
             * characters: back to 8 bytes at a time. */
            uint64_t w;
            while (i + 8 <= n && (memcpy(&w, s + i, 8), !(w & UINT64_C(0x8080808080808080)))) i += 8;
            while (i < n && s[i] < 0x80) i++;
            continue;
        }
        size_t len = i + 4 <= n ? fast_len(s + i) : 0;
        if (!len && !(len = char_len(s + i, n - i, &bad))) return false;
        i += len;
    }
    return true;
}

size_t sluice_utf8_repair(const char *s, size_t n, char *out, int64_t *replaced)
{
    const unsigned char *p = (const unsigned char *)s;
    char *o = out;
    size_t i = 0, bad;
    while (i < n) {
        size_t len = p[i] < 0x80 ? 1 : char_len(p + i, n - i, &bad);
        if (len) {
            memcpy(o, p + i, len);
            o += len;
            i += len;
            continue;
        }
        memcpy(o, "\xEF\xBF\xBD", 3);
        o += 3;
        i += bad;
        ++*replaced;
    }
    return (size_t)(o - out);
}

static bool continuation(char c)
{
    return ((unsigned char)c & 0xC0) == 0x80;
}

size_t sluice_utf8_clip(const char *s, size_t n, size_t max)
{
    if (n <= max) return n;
    /* A character has at most three continuation bytes: a longer run is
     * not text, and cutting it anywhere splits nothing. */
    size_t i = max;
    for (int k = 0; k < 3 && i > 0 && continuation(s[i]); k++) i--;
    return continuation(s[i]) ? max : i;
}
