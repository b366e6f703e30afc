/* core/config.h — reading a libconfig pipeline file and applying --set.
 *
 * `--set tweets.path=/data` sets key `path` of the stage named `tweets`;
 * `--set runtime.trigger=once` and `--set name=x` set runtime and top-level
 * keys; `--set tweets.watermark.delay=10s` reaches into a group. The value
 * keeps the type of the setting it replaces (int, int64, float, bool,
 * string); a new setting is stored as a string and converted by the option
 * table later. A value written in libconfig syntax as a list, array or group
 * (`--set 'sel.columns=["a", "b"]'`) replaces the setting with that value.
 *
 * @include paths are relative to the directory of the config file.
 * The config_t owns every setting and string; the caller config_destroy()s it. */
#ifndef SLUICE_CORE_CONFIG_H
#define SLUICE_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include <libconfig.h>
#include <sluice/error.h>

/* Parse `path` into `cfg` (initialised here; config_destroy it after, also
 * on error). Syntax errors name file and line: SLUICE_ECONFIG "syntax error"
 * plus libconfig's text when it says more, and a hint when the text looks
 * like JSON or holds a [ { ... } ] list of groups. Unreadable: SLUICE_ECONFIG too. */
int sluice_config_read(config_t *cfg, const char *path, struct sluice_error *err);
/* Apply one `key=value` override. Errors (SLUICE_ECONFIG) quote the whole
 * assignment; an unknown stage gets a "did you mean" hint. */
int sluice_config_override(config_t *cfg, const char *assignment, struct sluice_error *err);
/* The stage group named `name` in `stages`, or NULL. */
config_setting_t *sluice_config_stage(const config_t *cfg, const char *name);
/* True when `setting` was created or changed by sluice_config_override;
 * such a setting has the file and line of the group it was added to. */
bool sluice_config_is_override(const config_setting_t *setting);

/* Give an error recorded without a config location (by a plugin, the
 * loader or the schema parser) the file, line, stage and key of `setting`,
 * keeping its message and hint and recording `code`. A location already recorded in `err`
 * (e.g. a schema file and line) is moved into the message. Returns the code. */
int sluice_config_error_locate(struct sluice_error *err, int code, const config_setting_t *setting);
/* A short description of a setting's value for "got ..." in messages:
 * `'text'`, `10`, `1.5`, `true`, `a group`, `a list`. */
const char *sluice_config_describe_value(const config_setting_t *setting, char *buf, size_t cap);

#endif
