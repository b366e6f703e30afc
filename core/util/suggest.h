/* core/util/suggest.h — "did you mean" for keys, plugins, columns and functions. */
#ifndef SLUICE_CORE_SUGGEST_H
#define SLUICE_CORE_SUGGEST_H

#include <stddef.h>

/* Optimal string alignment distance (Damerau-Levenshtein), case-insensitive. */
size_t sluice_edit_distance(const char *a, const char *b);
/* The candidate closest to `word`, or NULL when none is close enough
 * (distance at most max(2, strlen(word) / 3)). */
const char *sluice_suggest(const char *word, const char *const *candidates, size_t n);

#endif
