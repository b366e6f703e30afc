/* core/runtime/pipeline/join_load.h — a stream-static join as the config
 * writes it (the operator is core/runtime/join/join.h):
 *   { name = "j"; input = "tweets";
 *     join = { with = "users"; on = "data.author_id = users.id AND lang = users.lang"; type = "inner"; }; }
 * `with` names a source stage marked `static = true`; `on` is one or more
 * equalities joined by AND, each between a column of the stream and one
 * of the static table, the latter qualified by its stage's name; `type`
 * is inner (default), left_outer, left_semi or left_anti. Errors name
 * file, line, stage and key (SLUICE_ECONFIG). Main thread. */
#ifndef SLUICE_CORE_JOIN_LOAD_H
#define SLUICE_CORE_JOIN_LOAD_H

#include <sluice/error.h>

struct config_setting_t;
struct sluice_stage;

/* Load time: the `join` group's keys and shapes; *with is its `with`. */
int sluice_join_load_check(const struct config_setting_t *join, const char **with, struct sluice_error *err);
/* Open time (the static stage is open): compile `on` against both sides,
 * declare the output and make st->join. */
int sluice_join_load_open(struct sluice_stage *st, struct sluice_error *err);
/* Once the static source is prepared: read all of it and index it. */
int sluice_join_load_table(struct sluice_stage *st, struct sluice_error *err);

#endif
