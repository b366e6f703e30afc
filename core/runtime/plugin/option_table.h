/* core/runtime/plugin/option_table.h — a plugin's option table as the
 * core sees it before any config: its shape, checked when the plugin loads,
 * the conversion of text (defaults, bounds, strings typed for numbers) to
 * values and their bounds, and its rows as `sluice plugins NAME` prints
 * them. Filling a conf struct from a config is the pipeline's (options.h).
 * Pure functions, any thread. */
#ifndef SLUICE_CORE_OPTION_TABLE_H
#define SLUICE_CORE_OPTION_TABLE_H

#include <stddef.h>

#include <sluice/buf.h>
#include <sluice/error.h>
#include <sluice/plugin.h>

#define SLUICE_OPTION_MAX_CHOICES 32

/* "string", "long", "double", "bool", "duration", "enum", "schema",
 * "expression", "string list". */
const char *sluice_option_table_type_name(uint32_t type); /* an enum sluice_option_type */
/* An enum option's `choices` ("a|b|c") split into out[] (at most
 * SLUICE_OPTION_MAX_CHOICES names pointing into buf); returns how many. */
size_t sluice_option_table_choices(const char *choices, char *buf, size_t cap, const char **out);
/* The keys of a stage the core reads itself (name, input, source,
 * transform, sink, aggregate, output_mode, watermark), NULL-terminated: a
 * plugin option of one of these names could never be set. */
extern const char *const sluice_option_table_core_keys[];

/* Every row fits in conf_size, has a known type and a name no other row
 * and no core key has; an enum has choices; min and max are given only for
 * LONG, DOUBLE and DURATION, convert, and min <= max; a default converts
 * (an enum's is one of its choices, a schema's parses) and lies within the
 * bounds. SLUICE_EPLUGIN naming the plugin file `path` and the option
 * otherwise. The validate hook is not called here (it may need a config). */
int sluice_option_table_check(const struct sluice_plugin *p, const char *path, struct sluice_error *err);

/* Convert `text` as a value of option `o` into *out, as the conf struct
 * holds it: int64_t for LONG and DURATION, double for DOUBLE, bool for
 * BOOL. False with a message in why[cap] ("expected an integer, got 'x'",
 * "99999999999999999999 is out of range for a long ...") when it does not
 * convert. Other types are not converted here (true, *out untouched). */
bool sluice_option_table_parse(const struct sluice_option *o, const char *text, void *out, char *why,
                               size_t cap);
/* Whether `value` (as the conf struct holds it) lies within o's min and
 * max; false with why[cap] = "must be between 1 and 65535, got 0" (or "at
 * least", "at most"), durations shown as written. True for other types. */
bool sluice_option_table_in_range(const struct sluice_option *o, const void *value, char *why, size_t cap);
/* The plugin as `sluice plugins NAME` prints it: name, kind, summary, file,
 * accepted output modes (sinks), then a table of options (name, type,
 * default, required, help with the choices of an enum). Appended to `out`. */
void sluice_option_table_describe(const struct sluice_plugin *plugin, const char *file, struct sluice_buf *out);

#endif
