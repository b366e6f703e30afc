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

#include <stdbool.h>
#include <stddef.h>

#include <sluice/error.h>
#include <sluice/types.h>

struct ArrowSchema;
struct config_setting_t;
struct sluice_expr;
struct sluice_stage;

/* `type` (a checked string, or NULL) as its index in inner, left_outer,
 * left_semi, left_anti (enum sluice_join_type), right_outer, full_outer. */
size_t sluice_join_type_index(const struct config_setting_t *type);

/* `on` split at its top-level ANDs (outside quotes and parentheses): each
 * conjunct's text, and for an equality `a = b` its two sides (else NULL). */
struct sluice_join_conjunct {
    char *text, *left, *right;
};
size_t sluice_join_split_on(const char *on, struct sluice_join_conjunct **out);
void sluice_join_conjuncts_free(struct sluice_join_conjunct *c, size_t n);

/* Spark's coercion for `a = b` (non-ANSI) of values of types `a` and `b`:
 * mixed numbers compare as double, decimals as the wider decimal of both
 * (a long as decimal(20,0)), a string with another type as that type, a
 * date with a timestamp at its midnight. What each side is cast to (NULL:
 * left as it is; a decimal's SQL type is written into `wider`); false when
 * they cannot be compared. */
bool sluice_join_coerce(const struct ArrowSchema *a, const struct ArrowSchema *b, const char **cast_a,
                        const char **cast_b, char wider[48]);
/* A join's output: the left's columns, then (with_right) the right's, a
 * right column named like a left one qualified by `right_name`
 * (`users.id`), as Spark tells the two apart; a side that may be missing
 * (an outer join's) nullable. */
void sluice_join_output_schema(const struct ArrowSchema *left, const struct ArrowSchema *right, bool with_right,
                               const char *right_name, bool left_nullable, bool right_nullable, struct ArrowSchema *out);
/* Compile `text`, cast to `cast` unless NULL, against `schema`; an error
 * points at `on`. */
int sluice_join_compile_side(const struct ArrowSchema *schema, const char *text, const char *cast,
                             struct sluice_expr **out, const struct config_setting_t *on, struct sluice_error *err);

/* Load time: the `join` group's keys and shapes; *with is its `with`. */
int sluice_join_load_check(const struct config_setting_t *join, const char **with, struct sluice_error *err);
/* Open time (the static stage is open): compile `on` against both sides,
 * declare the output and make st->join. */
int sluice_join_load_open(struct sluice_stage *st, struct sluice_error *err);
/* Once the static source is prepared: read all of it and index it. */
int sluice_join_load_table(struct sluice_stage *st, struct sluice_error *err);

#endif
