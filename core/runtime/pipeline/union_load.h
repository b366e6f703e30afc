/* core/runtime/pipeline/union_load.h — a union stage as the config writes
 * it (the operator is core/runtime/join/union.h):
 *   { name = "all"; input = ["a", "b"]; transform = "union"; }
 *   { name = "all"; input = ["a", "b"]; transform = "union_by_name"; allow_missing_columns = true; }
 * Two or more inputs, streams each; the sources above them run as one
 * query, so one batch reads them all. Errors name file, line, stage and
 * key (SLUICE_ECONFIG). Main thread. */
#ifndef SLUICE_CORE_UNION_LOAD_H
#define SLUICE_CORE_UNION_LOAD_H

#include <stdbool.h>
#include <stddef.h>

#include <sluice/error.h>

struct config_setting_t;
struct sluice_stage;

#define SLUICE_UNION_TRANSFORM "union"
#define SLUICE_UNION_BY_NAME_TRANSFORM "union_by_name"
#define SLUICE_UNION_ALL_TRANSFORM "union_all" /* Spark's deprecated unionAll: union */

/* Whether `transform = NAME` is a union. */
bool sluice_union_load_is_union(const char *transform);
/* Load time: the stage group's keys, and its inputs: *names (the
 * caller's to free; the strings are the config's) of *n >= 2. */
int sluice_union_load_check(const struct config_setting_t *group, const char ***names, size_t *n,
                            struct sluice_error *err);
/* Open time (every input is open): line the inputs up, declare the
 * output and make st->un. */
int sluice_union_load_open(struct sluice_stage *st, struct sluice_error *err);

#endif
