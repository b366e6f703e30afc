/* sluice/buf.h — a growable byte buffer, header-only.
 *
 * Used wherever a plugin hands text to the core (offsets as JSON text,
 * rendered rows). The buffer owns `data`; sluice_buf_free() releases it.
 * `data` is always NUL-terminated once anything was appended. */
#ifndef SLUICE_BUF_H
#define SLUICE_BUF_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/error.h>

struct sluice_buf {
    char *data;
    size_t len;
    size_t cap;
};

/* Make room for `extra` more bytes plus a NUL. */
static inline int sluice_buf_reserve(struct sluice_buf *b, size_t extra)
{
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return SLUICE_OK;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap *= 2;
    char *p = (char *)realloc(b->data, cap);
    if (!p) return SLUICE_ENOMEM;
    b->data = p;
    b->cap = cap;
    return SLUICE_OK;
}

static inline int sluice_buf_append(struct sluice_buf *b, const void *p, size_t n)
{
    if (sluice_buf_reserve(b, n)) return SLUICE_ENOMEM;
    if (n) memcpy(b->data + b->len, p, n); /* p may be NULL when n is 0 */
    b->len += n;
    b->data[b->len] = '\0';
    return SLUICE_OK;
}

static inline int sluice_buf_puts(struct sluice_buf *b, const char *s)
{
    return sluice_buf_append(b, s, strlen(s));
}

static inline int sluice_buf_putc(struct sluice_buf *b, char c)
{
    if (sluice_buf_reserve(b, 1)) return SLUICE_ENOMEM;
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
    return SLUICE_OK;
}

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static inline int sluice_buf_printf(struct sluice_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || sluice_buf_reserve(b, (size_t)n)) return SLUICE_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return SLUICE_OK;
}

/* Empty the buffer, keeping its capacity. */
static inline void sluice_buf_clear(struct sluice_buf *b)
{
    b->len = 0;
    if (b->data) b->data[0] = '\0';
}

static inline void sluice_buf_free(struct sluice_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

#endif /* SLUICE_BUF_H */
