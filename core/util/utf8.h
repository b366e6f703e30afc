/* core/util/utf8.h — counting characters in UTF-8 text.
 *
 * Errors point at a character of an expression, a schema or a query by its
 * 1-based position, counting characters rather than bytes, so a caret
 * lands under the right letter whatever the text holds. A stray
 * continuation byte is not a character. Pure, any thread. */
#ifndef SLUICE_CORE_UTF8_H
#define SLUICE_CORE_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* A byte that continues a multi-byte character (10xxxxxx). */
static inline bool sluice_utf8_continuation(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

/* The 1-based character position of byte `off` of `text` (stopping at a NUL). */
int sluice_utf8_position(const char *text, size_t off);
/* Characters in s[0..n). */
size_t sluice_utf8_chars(const char *s, size_t n);

#endif
