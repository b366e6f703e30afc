/* core/runtime/pipeline/config.h — reading a libconfig pipeline file and applying --set.
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
#include <stdint.h>

#include <libconfig.h>
#include <sluice/error.h>

#include "error.h"

/* Entries of a static array: the key tables the loaders check settings against. */
#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

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

/* Like sluice_error_set, and takes file and line from `setting`, the stage
 * name from the enclosing stage group (its `name`), and the key from the
 * setting's own name when it is a stage option. */
int sluice_error_at(struct sluice_error *err, int code, const config_setting_t *setting,
                    const char *fmt, ...) SLUICE_FMT(4, 5);
/* Where `setting` was written, to point at it after loading (error.h). */
void sluice_config_where(const config_setting_t *setting, struct sluice_where *out);
/* Give an error recorded without a config location (by a plugin, the
 * loader or the schema parser) the file, line, stage and key of `setting`,
 * keeping its message and hint and recording `code`. A location already recorded in `err`
 * (e.g. a schema file and line) is moved into the message. Returns the code. */
int sluice_config_error_locate(struct sluice_error *err, int code, const config_setting_t *setting);
/* The value of an integer setting as its file wrote it. libconfig 1.5
 * reads an integer without an L suffix as a 32-bit int and silently wraps
 * one that does not fit (3000000000 becomes -1294967296, and
 * 99999999999999999999 becomes -1); this reads the literal again from the
 * file (config_int.c), so a value that fits in 64 bits is kept whole and
 * one that does not is refused: false, with why[cap] giving the literal
 * and the range. Settings of other types, or made by --set, keep their value. */
bool sluice_config_int64(const config_setting_t *setting, int64_t *out, char *why, size_t cap);
/* A short description of a setting's value for "got ..." in messages:
 * `'text'`, `10`, `1.5`, `true`, `a group`, `a list`. */
const char *sluice_config_describe_value(const config_setting_t *setting, char *buf, size_t cap);

#endif
