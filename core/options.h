/* core/options.h — plugin option tables: validating a stage's settings,
 * filling the plugin's conf struct, and documenting the table.
 *
 * The core, not the plugin, reads the config: unknown keys (with "did you
 * mean"), missing required options, wrong types, bad enum values, bad
 * durations and bad schemas are all reported here, naming file, line, stage
 * and key. */
#ifndef SLUICE_CORE_OPTIONS_H
#define SLUICE_CORE_OPTIONS_H

#include <libconfig.h>
#include <sluice/buf.h>
#include <sluice/plugin.h>

/* What option values own beyond the config itself (parsed schemas, string
 * lists); freed with sluice_options_storage_free. */
struct sluice_options_storage {
    void **blocks;
    size_t n_blocks;
    struct ArrowSchema **schemas;
    size_t n_schemas;
};

/* Fill `conf` (zeroed, conf_size bytes) from the settings of `stage`,
 * ignoring the keys in `core_keys` (NULL-terminated: name, input, sink, ...)
 * which the graph handles. Strings point into the config (which must outlive
 * conf). Values given as strings (from --set) are converted to the option's type. */
int sluice_options_apply(const struct sluice_plugin *plugin, const config_setting_t *stage,
                         const char *const *core_keys, void *conf,
                         struct sluice_options_storage *storage, struct sluice_error *err);
void sluice_options_storage_free(struct sluice_options_storage *storage);

/* The table as `sluice plugins NAME` prints it. */
void sluice_options_describe(const struct sluice_plugin *plugin, const char *file,
                             struct sluice_buf *out);
const char *sluice_option_type_name(enum sluice_option_type type);

#endif
