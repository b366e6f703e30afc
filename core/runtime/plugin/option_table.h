/* core/runtime/plugin/option_table.h — a plugin's option table as the
 * core sees it before any config: its shape, checked when the plugin loads,
 * and its rows as `sluice plugins NAME` prints them. Filling a conf struct
 * from a config is the pipeline's (options.h). Pure functions, any thread. */
#ifndef SLUICE_CORE_OPTION_TABLE_H
#define SLUICE_CORE_OPTION_TABLE_H

#include <stddef.h>

#include <sluice/buf.h>
#include <sluice/error.h>
#include <sluice/plugin.h>

#define SLUICE_OPTION_MAX_CHOICES 32

/* "string", "long", "double", "bool", "duration", "enum", "schema",
 * "expression", "string list". */
const char *sluice_option_table_type_name(enum sluice_option_type type);
/* An enum option's `choices` ("a|b|c") split into out[] (at most
 * SLUICE_OPTION_MAX_CHOICES names pointing into buf); returns how many. */
size_t sluice_option_table_choices(const char *choices, char *buf, size_t cap, const char **out);
/* Every row fits in conf_size, has a known type, and an enum has choices:
 * SLUICE_EPLUGIN naming the plugin file `path` and the option otherwise. */
int sluice_option_table_check(const struct sluice_plugin *p, const char *path, struct sluice_error *err);
/* The plugin as `sluice plugins NAME` prints it: name, kind, summary, file,
 * accepted output modes (sinks), then a table of options (name, type,
 * default, required, help with the choices of an enum). Appended to `out`. */
void sluice_option_table_describe(const struct sluice_plugin *plugin, const char *file, struct sluice_buf *out);

#endif
