/* core/config.h — reading a libconfig pipeline file and applying --set.
 *
 * `--set tweets.path=/data` sets key `path` of the stage named `tweets`;
 * `--set runtime.trigger=once` and `--set name=x` set runtime and top-level
 * keys. The value keeps the type of the setting it replaces; a new setting
 * is stored as a string and converted by the option table later. */
#ifndef SLUICE_CORE_CONFIG_H
#define SLUICE_CORE_CONFIG_H

#include <libconfig.h>
#include <sluice/error.h>

/* Parse `path` into `cfg` (initialised here; config_destroy it after).
 * Syntax errors name file and line: SLUICE_ECONFIG. Unreadable: SLUICE_ECONFIG too. */
int sluice_config_read(config_t *cfg, const char *path, struct sluice_error *err);
/* Apply one `key=value` override. */
int sluice_config_override(config_t *cfg, const char *assignment, struct sluice_error *err);
/* The stage group named `name` in `stages`, or NULL. */
config_setting_t *sluice_config_stage(const config_t *cfg, const char *name);

#endif
