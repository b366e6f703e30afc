/* core/runtime/plugin/registry.h — finding and loading plugin shared objects.
 *
 * A plugin of kind K named N lives in `sluice_K_N.so` (sluice_source_file.so,
 * sluice_sink_console.so). Directories are searched in order: the config's
 * runtime.plugin_path, then SLUICE_PLUGIN_PATH (colon-separated), then
 * `plugins/` beside the running executable (the build tree), then the
 * plugin directory relative to it as installed (`../lib/sluice/plugins`:
 * an install moved to another prefix), then the configured install
 * directory. The first file found wins. Loading checks the
 * sluice_plugin_v1 symbol, the ABI version, the descriptor size, the kind,
 * that the descriptor's name matches the file name, that the callbacks the
 * kind needs are present (sources: open close prepare latest_offset
 * plan_read read; transforms: open close process; sinks: open close begin
 * write end; aggregators: bind init update merge finalize serialize
 * deserialize) and the option table (option_table.h); each failure is
 * SLUICE_EPLUGIN naming the file.
 * The registry owns every loaded plugin and unloads them when freed. */
#ifndef SLUICE_CORE_REGISTRY_H
#define SLUICE_CORE_REGISTRY_H

#include <stddef.h>

#include <sluice/plugin.h>

struct sluice_loaded {
    const struct sluice_plugin *plugin;
    char *path;   /* the .so */
    void *handle; /* from dlopen */
};

struct sluice_registry;

/* `dirs` (may be NULL) are searched before the environment and defaults; copied. */
struct sluice_registry *sluice_registry_new(const char *const *dirs, size_t n_dirs);
void sluice_registry_free(struct sluice_registry *r);
/* The search path in order, for messages and `sluice plugins`. */
const char *const *sluice_registry_dirs(const struct sluice_registry *r, size_t *n);

/* Load plugin `name` of `kind`. Not found: SLUICE_ECONFIG "unknown sink
 * plugin 'consle'" with a hint naming the closest plugin and the search path.
 * Found but broken: SLUICE_EPLUGIN naming the file. *out stays valid until
 * the registry is freed. */
int sluice_registry_find(struct sluice_registry *r, enum sluice_kind kind, const char *name,
                         const struct sluice_loaded **out, struct sluice_error *err);
/* Load every plugin on the search path (kind 0: all kinds), sorted by kind
 * then name; a broken file is reported through `on_broken` (may be NULL) and
 * skipped. *out belongs to the registry and stays valid until the next call
 * or sluice_registry_free. */
int sluice_registry_list(struct sluice_registry *r, enum sluice_kind kind,
                         const struct sluice_loaded *const **out, size_t *n,
                         void (*on_broken)(const struct sluice_error *err, void *arg), void *arg);

/* Load one file (used by the above and by tests). */
int sluice_registry_load_file(const char *path, struct sluice_loaded *out, struct sluice_error *err);
void sluice_registry_unload(struct sluice_loaded *l);

const char *sluice_registry_kind_name(uint32_t kind); /* an enum sluice_kind: "source", "transform", ... */

#endif
