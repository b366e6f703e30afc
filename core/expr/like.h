/* core/expr/like.h — SQL LIKE patterns with Spark's rules, matched a row
 * or a whole string column at a time (the evaluator's LIKE and its fast
 * paths: prefix, suffix, contains).
 *
 * Ownership: a compiled pattern lives in the caller's arena. Threads: a
 * pattern is read-only once compiled, so any number of threads may match. */
#ifndef SLUICE_CORE_LIKE_H
#define SLUICE_CORE_LIKE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sluice_arena;
struct like_pattern;

/* Compile a LIKE pattern with Spark's rules (`%`, `_`, escape before `%`,
 * `_` or itself only). On error returns -1 with a reason in `why` (>= 128
 * bytes). The pattern lives in `arena`. */
int sluice_like_compile(const char *pat, size_t len, const char *escape, size_t escape_len,
                        struct sluice_arena *arena, const struct like_pattern **out, char *why);
bool sluice_like_match(const struct like_pattern *p, const char *s, size_t n);
/* The whole-column form: out[i] = row i matches, rows being data[offs[i],
 * offs[i+1]) for i < n (offsets monotone). Rows whose valid byte is 0 may
 * get any value. */
void sluice_like_match_column(const struct like_pattern *p, const int32_t *offs, const char *data,
                              int64_t n, uint8_t *out);
/* out[i] = row i contains needle[0, m), with the same contract. */
void sluice_like_contains_column(const char *needle, size_t m, const int32_t *offs, const char *data, int64_t n,
                                 uint8_t *out);

#endif
