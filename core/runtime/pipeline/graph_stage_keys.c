/* A stage's own keys that the graph reads (not its plugin's, nor its
 * kind's): watermark, output_mode and static. See graph_priv.h. */
#include <string.h>
#include <strings.h>

#include <libconfig.h>

#include "config.h"
#include "duration.h"
#include "error.h"
#include "graph_priv.h"
#include "stage.h"
#include "suggest.h"

int sluice_graph_load_watermark(struct sluice_stage *st, const config_setting_t *w, struct sluice_error *err)
{
    if (st->kind == SLUICE_STAGE_SINK) {
        sluice_error_at(err, SLUICE_ECONFIG, w, "a sink stage cannot declare a 'watermark'");
        sluice_error_hint(err, "declare it on the stage whose output holds the event-time column");
        return SLUICE_ECONFIG;
    }
    if (!config_setting_is_group(w))
        return sluice_graph_expected(err, w, "a group such as { column = \"data.created_at\"; delay = \"5 seconds\"; }");
    static const char *const keys[] = { "column", "delay" };
    const config_setting_t *column = NULL, *delay = NULL;
    for (int i = 0; i < config_setting_length(w); i++) {
        const config_setting_t *s = config_setting_get_elem(w, (unsigned)i);
        if (strcmp(config_setting_name(s), "column") == 0) column = s;
        else if (strcmp(config_setting_name(s), "delay") == 0) delay = s;
        else return sluice_graph_unknown_key(err, s, keys, N_ELEMS(keys), "watermark");
    }
    if (!column || !delay) {
        sluice_error_at(err, SLUICE_ECONFIG, w, "missing key '%s'", !column ? "column" : "delay");
        sluice_error_hint(err, "watermark = { column = \"data.created_at\"; delay = \"5 seconds\"; }");
        return SLUICE_ECONFIG;
    }
    int rc = sluice_graph_get_string(column, &st->watermark.column, err);
    if (rc != SLUICE_OK) return rc;
    if (config_setting_type(delay) != CONFIG_TYPE_STRING)
        return sluice_graph_expected(err, delay, "a string (a duration such as \"10 seconds\")");
    if (sluice_duration_parse(config_setting_get_string(delay), &st->watermark.delay_us) != 0)
        return sluice_graph_expected(err, delay, "a duration such as \"10 seconds\"");
    st->watermark.setting = w;
    st->has_watermark = true;
    return SLUICE_OK;
}

int sluice_graph_load_output_mode(struct sluice_stage *st, const config_setting_t *m, struct sluice_error *err)
{
    static const char *const names[] = { "append", "update", "complete" };
    static const enum sluice_output_mode modes[] = { SLUICE_MODE_APPEND, SLUICE_MODE_UPDATE,
                                                     SLUICE_MODE_COMPLETE };
    if (st->kind != SLUICE_STAGE_SINK)
        return sluice_error_at(err, SLUICE_ECONFIG, m, "'output_mode' applies to sink stages only");
    const char *v = config_setting_type(m) == CONFIG_TYPE_STRING ? config_setting_get_string(m) : NULL;
    for (size_t i = 0; v && i < N_ELEMS(names); i++) {
        if (strcasecmp(v, names[i]) == 0) { /* Spark takes "Append" as well */
            st->mode = modes[i];
            st->mode_setting = m;
            return SLUICE_OK;
        }
    }
    int rc = sluice_graph_expected(err, m, "\"append\", \"update\" or \"complete\"");
    const char *close = v ? sluice_suggest(v, names, N_ELEMS(names)) : NULL;
    if (close) sluice_error_hint(err, "did you mean '%s'?", close);
    return rc;
}

int sluice_graph_load_static(struct sluice_stage *st, const config_setting_t *static_setting, struct sluice_error *err)
{
    if (st->kind != SLUICE_STAGE_SOURCE) {
        sluice_error_at(err, SLUICE_ECONFIG, static_setting, "only a source stage can be static");
        sluice_error_hint(err, "static = true makes a source a table read once, for a join to name in 'with'");
        return SLUICE_ECONFIG;
    }
    return sluice_graph_get_bool(static_setting, &st->is_static, err);
}
