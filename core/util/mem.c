#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Out of memory is not a condition any caller can repair mid-batch, and an
 * ENOMEM path on every allocation would dwarf the code it guards. */
static void out_of_memory(size_t n)
{
    fprintf(stderr, "sluice: out of memory allocating %zu bytes\n", n);
    abort();
}

void *sluice_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) out_of_memory(n);
    return p;
}

void *sluice_xcalloc(size_t count, size_t n)
{
    void *p = calloc(count ? count : 1, n ? n : 1);
    if (!p) out_of_memory(count * n);
    return p;
}

void *sluice_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) out_of_memory(n);
    return q;
}

char *sluice_xstrdup(const char *s)
{
    return sluice_xstrndup(s, strlen(s));
}

char *sluice_xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = sluice_xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}
