/* Counting UTF-8 characters. See utf8.h. */
#include "utf8.h"

int sluice_utf8_position(const char *text, size_t off)
{
    int pos = 1;
    for (size_t i = 0; i < off && text[i]; i++) pos += !sluice_utf8_continuation((unsigned char)text[i]);
    return pos;
}

size_t sluice_utf8_chars(const char *s, size_t n)
{
    size_t chars = 0;
    for (size_t i = 0; i < n; i++) chars += !sluice_utf8_continuation((unsigned char)s[i]);
    return chars;
}
