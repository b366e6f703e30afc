/* core/util/suggest.h — "did you mean" for keys, plugins, columns and functions. */
#ifndef SLUICE_CORE_SUGGEST_H
#define SLUICE_CORE_SUGGEST_H

#include <stddef.h>

/* Optimal string alignment distance (Damerau-Levenshtein), case-insensitive. */
size_t sluice_edit_distance(const char *a, const char *b);
/* How many edits a name of `len` characters may be off by and still get
 * a suggestion: a third of it, rounded; none below three characters, where
 * one edit is half the word (`col` is not a typo of `nvl`, nor `x` of
 * `if`). Case never counts. */
size_t sluice_suggest_limit(size_t len);
/* The candidate closest to `word`, or NULL when none is within
 * sluice_suggest_limit(strlen(word)). */
const char *sluice_suggest(const char *word, const char *const *candidates, size_t n);

#endif
