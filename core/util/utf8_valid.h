/* core/util/utf8_valid.h — checking UTF-8 and repairing it the way Java does.
 *
 * Well-formed means Unicode's Table 3-7: no overlong forms, no surrogates
 * (ED A0..BF), nothing past U+10FFFF, no stray continuation bytes. Repair
 * replaces each maximal ill-formed subpart with U+FFFD (EF BF BD), the
 * practice Unicode recommends and Java's UTF-8 decoder follows, so text
 * reads as Spark (which decodes input with Java) would read it: "\xE2\x82"
 * followed by "A" is one U+FFFD then "A", and a lone "\xFF" is one U+FFFD.
 * Pure functions, any thread. */
#ifndef SLUICE_CORE_UTF8_VALID_H
#define SLUICE_CORE_UTF8_VALID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The slow path of sluice_utf8_valid, from the first byte >= 0x80. */
bool sluice_utf8_valid_from_(const unsigned char *s, size_t n);

/* Whether s[0..n) is well-formed. ASCII, the usual case, costs one test
 * per 8 bytes and no call. */
static inline bool sluice_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w & UINT64_C(0x8080808080808080)) break;
    }
    for (; i < n; i++)
        if (p[i] >= 0x80) return sluice_utf8_valid_from_(p + i, n - i);
    return true;
}

/* Bytes a repair of n bytes may need: every byte can become U+FFFD. */
#define SLUICE_UTF8_REPAIR_ROOM(n) ((n) * 3)
/* s[0..n) into out (room for SLUICE_UTF8_REPAIR_ROOM(n) bytes) with each
 * maximal ill-formed subpart replaced by U+FFFD; returns the length, never
 * less than n, and adds the number of replacements to *replaced. */
size_t sluice_utf8_repair(const char *s, size_t n, char *out, int64_t *replaced);
/* The longest prefix of s[0..n) no longer than `max` bytes that does not
 * end inside a character (where s is not well-formed, about that long). */
size_t sluice_utf8_clip(const char *s, size_t n, size_t max);

#endif
