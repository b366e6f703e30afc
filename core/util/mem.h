/* core/util/mem.h — allocation that cannot fail.
 *
 * The core treats running out of memory as fatal: these print one line and
 * abort rather than return NULL, so no caller carries an ENOMEM path. */
#ifndef SLUICE_CORE_MEM_H
#define SLUICE_CORE_MEM_H

#include <stddef.h>

void *sluice_xmalloc(size_t n);
void *sluice_xcalloc(size_t count, size_t n);
void *sluice_xrealloc(void *p, size_t n);
char *sluice_xstrdup(const char *s);
char *sluice_xstrndup(const char *s, size_t n);

#endif
