/* core/runtime/pipeline/agg_load.h — an aggregate stage as the config
 * writes it:
 *   { name = "by_lang"; input = "tweets"; group_by = ["data.lang AS lang"];
 *     aggregate = ["count(*) AS count"];
 *     window = { column = "data.created_at"; duration = "10 seconds"; slide = "5 seconds"; }; }
 * The config is read here; the stage itself (agg_stage.h) gets a plain
 * spec. Errors name file, line, stage and key (SLUICE_ECONFIG), down to
 * the entry of a list at fault. Main thread. */
#ifndef SLUICE_CORE_AGG_LOAD_H
#define SLUICE_CORE_AGG_LOAD_H

#include <stdint.h>

#include <sluice/error.h>
#include <sluice/plugin.h>

struct config_setting_t;
struct sluice_registry;
struct sluice_stage;
struct sluice_window;

/* Load time: the stage group's keys and their shapes (`aggregate` a
 * non-empty list of strings; at most one of group_by, cube, rollup, each
 * a list of strings; `window` a group of durations Spark accepts). */
int sluice_agg_load_check(const struct config_setting_t *group, struct sluice_error *err);
/* `window = { column = "data.created_at"; duration = "10 seconds"; slide =
 * "5 seconds"; offset = "0 seconds"; }` (slide defaults to the duration,
 * offset to 0, and the offset may be negative): shape and Spark's rules
 * (sluice_window_check), each error naming the key at fault. *column is
 * borrowed from the config. */
int sluice_agg_load_window(const struct config_setting_t *group, struct sluice_window *w, const char **column,
                           struct sluice_error *err);
/* The spec as the config writes it, for the checkpoint fingerprint of a
 * graph not opened yet (a reload's): strings borrowed from the config,
 * the key and aggregate arrays the caller's to free with
 * sluice_agg_load_spec_free. The group was checked at load. */
struct sluice_agg_spec;
int sluice_agg_load_spec(const struct config_setting_t *group, struct sluice_agg_spec *spec,
                         struct sluice_error *err);
void sluice_agg_load_spec_free(struct sluice_agg_spec *spec);
/* Open time: read the spec from st->setting and open the stage with it
 * (sluice_agg_stage_open), locating its errors in the config. */
int sluice_agg_load_open(struct sluice_stage *st, struct sluice_registry *reg, int64_t partitions,
                         enum sluice_output_mode mode, struct sluice_error *err);

#endif
