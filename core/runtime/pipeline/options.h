/* core/runtime/pipeline/options.h — a stage's settings checked against its
 * plugin's option table and written into the plugin's conf struct.
 *
 * The core, not the plugin, reads the config: unknown keys (with "did you
 * mean"), missing required options, wrong types, bad enum values, bad
 * durations and bad schemas are all reported here (SLUICE_ECONFIG), naming
 * file, line, stage and key. A bad default in a plugin's own table is
 * SLUICE_EPLUGIN.
 *
 * How each type is read from a setting:
 *   STRING, EXPR  a string
 *   LONG          an integer (int or int64)
 *   DOUBLE        an integer or a float
 *   BOOL          true/false
 *   DURATION      a string such as "10 seconds" or "500ms" (core/util/duration.h)
 *   ENUM          a string, one of the option's `choices`
 *   SCHEMA        a string: Spark StructType JSON, DDL, or "@path". A relative
 *                 @path written in a config file is read from that file's
 *                 directory, so a config and its schemas move together and
 *                 run from any directory (as @include does); one given with
 *                 --set, like any path typed on a command line, from the
 *                 current directory. A missing file is an error naming
 *                 where it was looked for.
 *   STRING_LIST   a list (...) or array [...] of strings
 * Any other type is refused with the key and what was expected; a quoted
 * number or boolean in a config file too (max_files_per_trigger = "2"),
 * with a hint to drop the quotes. Only a key that `--set key=value` added,
 * stored as the text typed, is converted from a string ("5", "0.5",
 * "true"). Defaults in the table are strings converted the same way; a
 * STRING_LIST default is comma-separated ("a,b"; "" is empty). */
#ifndef SLUICE_CORE_OPTIONS_H
#define SLUICE_CORE_OPTIONS_H

#include <sluice/buf.h>
#include <sluice/plugin.h>

struct config_setting_t;

/* What option values own beyond the config itself (parsed schemas, string
 * lists); freed with sluice_options_storage_free. Start it zeroed; one
 * storage may collect the values of many stages. */
struct sluice_options_storage {
    void **blocks;
    size_t n_blocks;
    struct ArrowSchema **schemas;
    size_t n_schemas;
};

/* Fill `conf` (zeroed, conf_size bytes) from the settings of `stage`,
 * ignoring the keys in `core_keys` (NULL-terminated: name, input, sink, ...)
 * which the graph handles; they are still offered as "did you mean"
 * candidates. Strings point into the config (which must outlive conf) or into
 * the plugin's table (defaults); schemas and lists live in `storage`, which
 * must outlive conf. On error, what was already added to storage stays there
 * (freed with it). */
int sluice_options_apply(const struct sluice_plugin *plugin, const struct config_setting_t *stage,
                         const char *const *core_keys, void *conf,
                         struct sluice_options_storage *storage, struct sluice_error *err);
void sluice_options_storage_free(struct sluice_options_storage *storage);

/* The same from `settings`, libconfig text as a stage of a config holds it
 * (`column = "x"; divisor = 4;`), for callers that have no config file
 * (the plugin test kit, options_text.c). *out owns what conf points into
 * and must outlive it: free it with sluice_options_text_free. Errors name
 * the key; a syntax error says its line. */
struct sluice_options_text;
int sluice_options_apply_text(const struct sluice_plugin *plugin, const char *settings, void *conf,
                              struct sluice_options_text **out, struct sluice_error *err);
void sluice_options_text_free(struct sluice_options_text *t);

#endif
