/* sluice/testkit.h — unit tests for a plugin, without sluice's sources.
 *
 * The test kit is a small library, libsluice-testkit (pkg-config
 * sluice-testkit, CMake sluice::testkit), holding sluice's own core: a
 * plugin under test is loaded with the loader's checks, gets its options
 * through the real option table checks, runs against the real host table
 * (builders, decoders, expressions), and every batch it emits is checked
 * as SLUICE_CHECK_BATCHES does. So a test exercises the code paths a
 * pipeline exercises, one callback at a time. Rows go in and come out as
 * JSON lines, schemas as DDL ("n LONG, s STRING"), settings as a stage
 * writes them in a config (`column = "value"; divisor = 4;`), so a test
 * needs no Arrow code and any test framework (or none) will do.
 *
 * Every function returning int returns SLUICE_OK or the status of what
 * failed, with the message in *err (which may be NULL): the plugin's own,
 * or the kit's naming the callback. Strings returned through `char **`
 * are the caller's to free(). One test kit handle is one stage; use it
 * from one thread. Plugins here are never linked against: load the .so
 * the way sluice does. */
#ifndef SLUICE_TESTKIT_H
#define SLUICE_TESTKIT_H

#include <stdbool.h>
#include <stdint.h>

#include <sluice/plugin.h>

#if defined(__GNUC__)
#define SLUICE_TESTKIT_API __attribute__((visibility("default")))
#else
#define SLUICE_TESTKIT_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

struct sluice_testkit;

/* Load the plugin file `path` (sluice_KIND_NAME.so) with every check
 * sluice's loader makes: ABI version, callbacks, option table. *out is
 * the caller's, freed with sluice_testkit_free (which closes the stage). */
SLUICE_TESTKIT_API int sluice_testkit_load(const char *path, struct sluice_testkit **out, struct sluice_error *err);
SLUICE_TESTKIT_API void sluice_testkit_free(struct sluice_testkit *tk);
/* The plugin's descriptor (borrowed). */
SLUICE_TESTKIT_API const struct sluice_plugin *sluice_testkit_plugin(const struct sluice_testkit *tk);

/* Sources: before open, keep the source's checkpoint metadata (host->meta_*)
 * under directory `dir` (made when needed), so a test can open the plugin
 * again on the same directory and see what a restart sees. */
SLUICE_TESTKIT_API void sluice_testkit_set_meta_dir(struct sluice_testkit *tk, const char *dir);

/* Open the plugin as a stage with `settings` (a stage's keys, libconfig
 * syntax; NULL for none), checked by its option table; a transform or a
 * sink reads rows of `input_ddl` (NULL for a source). A source is then
 * prepared, every column requested. An error about an option names it in
 * err->key. Not for aggregators (see sluice_testkit_aggregate). */
SLUICE_TESTKIT_API int sluice_testkit_open(struct sluice_testkit *tk, const char *input_ddl, const char *settings,
                                           struct sluice_error *err);
/* The schema the stage declared, as DDL ("n BIGINT, bucket BIGINT"), or
 * NULL before open (or for a sink). */
SLUICE_TESTKIT_API char *sluice_testkit_output_ddl(const struct sluice_testkit *tk);
/* The input columns the stage declared it reads (use_column, projection
 * form), comma-separated: "value,data.lang"; "*" for every column. */
SLUICE_TESTKIT_API char *sluice_testkit_columns_read(const struct sluice_testkit *tk);

/* Transforms: process the rows `jsonl` (JSON lines of the input schema; an
 * empty string is a batch of no rows); *out = the output rows as JSON
 * lines. The output batch is checked against the declared schema. */
SLUICE_TESTKIT_API int sluice_testkit_process(struct sluice_testkit *tk, const char *jsonl, char **out,
                                              struct sluice_error *err);

/* Sources: latest_offset after `start` (NULL: the first batch); *offset =
 * its JSON text, "" when there is no data. */
SLUICE_TESTKIT_API int sluice_testkit_latest_offset(struct sluice_testkit *tk, const char *start, bool limited,
                                                    char **offset, struct sluice_error *err);
/* Sources: plan_read(start, end), then read every unit in order; *out = the
 * rows as JSON lines, *n_units (may be NULL) the units planned. Every batch
 * emitted is checked. */
SLUICE_TESTKIT_API int sluice_testkit_read(struct sluice_testkit *tk, const char *start, const char *end,
                                           char **out, size_t *n_units, struct sluice_error *err);
/* Sources: commit(end), when the source has one. */
SLUICE_TESTKIT_API int sluice_testkit_commit(struct sluice_testkit *tk, const char *end, struct sluice_error *err);

/* Sinks: one micro-batch: begin(batch_id, mode: "append", "update" or
 * "complete"), write(the rows `jsonl`, of the input schema; none when
 * NULL), end(batch_id). */
SLUICE_TESTKIT_API int sluice_testkit_sink_batch(struct sluice_testkit *tk, int64_t batch_id, const char *mode,
                                                 const char *jsonl, struct sluice_error *err);

/* Aggregators: the aggregate stage over the rows `jsonl` (JSON lines of
 * `input_ddl`): `aggregate` as a config writes it ("stddev(x, 'pop') AS
 * sd"; only this plugin's function), grouped by `group_by` (one key
 * expression such as "k"; NULL: one global group). As the engine does,
 * the rows are folded into `parts` partial states (the rows cut into that
 * many runs, >= 1), merged in order, then every group's state is saved
 * and restored through a real checkpoint state store (serialize and
 * deserialize, with the plugin's state_version), and finalized: *out =
 * the result rows as JSON lines, group by group in first-seen order.
 * Splitting into more parts must give the same result as 1: that is what
 * merge promises. */
SLUICE_TESTKIT_API int sluice_testkit_aggregate(struct sluice_testkit *tk, const char *input_ddl,
                                                const char *group_by, const char *aggregate, const char *jsonl,
                                                int parts, char **out, struct sluice_error *err);

/* "file:line: stage 'x': key 'k': message\n  hint: ..." for a test's failure output; caller frees. */
SLUICE_TESTKIT_API char *sluice_testkit_format_error(const struct sluice_error *err);

#ifdef __cplusplus
}
#endif

#endif /* SLUICE_TESTKIT_H */
