/* core/runtime/pipeline/dedup_load.h — a drop_duplicates stage as the
 * config writes it (the operator is core/runtime/agg/dedup.h):
 *   { name = "unique"; input = "tweets"; transform = "drop_duplicates";
 *     columns = ["data.author_id", "data.text"]; within_watermark = false; }
 * `columns` absent: every column, as Spark's dropDuplicates(). Errors name
 * file, line, stage and key (SLUICE_ECONFIG). Main thread. */
#ifndef SLUICE_CORE_DEDUP_LOAD_H
#define SLUICE_CORE_DEDUP_LOAD_H

#include <stdbool.h>

#include <sluice/error.h>

struct config_setting_t;
struct sluice_stage;

#define SLUICE_DEDUP_TRANSFORM "drop_duplicates"

/* Load time: the stage group's keys and their shapes; *spec (the
 * caller's to free) is what the checkpoint's fingerprint keeps of it. */
int sluice_dedup_load_check(const struct config_setting_t *group, char **spec, struct sluice_error *err);
/* Open time: compile the key columns against the input, declare the output
 * (the input, passed through) and make st->dedup. */
int sluice_dedup_load_open(struct sluice_stage *st, struct sluice_error *err);
/* Once every stage is open: bind event time (dedup.h) to the watermarks
 * above; within_watermark without one is an error. `check` (sluice check):
 * a state that can only grow is said as a warning, else at info. */
int sluice_dedup_load_event_time(struct sluice_stage *st, bool check, struct sluice_error *err);

#endif
