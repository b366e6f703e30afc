/* A plugin's settings from libconfig text, for callers outside the
 * pipeline (the plugin test kit). See options.h. */
#include "options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "mem.h"
#include "option_table.h"

struct sluice_options_text {
    config_t cfg; /* the strings conf points into */
    struct sluice_options_storage storage;
};

int sluice_options_apply_text(const struct sluice_plugin *plugin, const char *settings, void *conf,
                              struct sluice_options_text **out, struct sluice_error *err)
{
    struct sluice_options_text *t = sluice_xcalloc(1, sizeof *t);
    config_init(&t->cfg);
    /* Top-level settings, so an error's key is the option's own name. */
    int rc = SLUICE_OK;
    if (!config_read_string(&t->cfg, settings ? settings : "")) {
        rc = sluice_error_set(err, SLUICE_ECONFIG, "settings, line %d: %s", config_error_line(&t->cfg),
                              config_error_text(&t->cfg) ? config_error_text(&t->cfg) : "syntax error");
        sluice_error_hint(err, "write settings as in a stage of a config: column = \"x\"; divisor = 4;");
    }
    if (!rc)
        rc = sluice_options_apply(plugin, config_root_setting(&t->cfg), sluice_option_table_core_keys, conf,
                                  &t->storage, err);
    if (rc) {
        sluice_options_text_free(t);
        return rc;
    }
    *out = t;
    return SLUICE_OK;
}

void sluice_options_text_free(struct sluice_options_text *t)
{
    if (!t) return;
    sluice_options_storage_free(&t->storage);
    config_destroy(&t->cfg);
    free(t);
}
