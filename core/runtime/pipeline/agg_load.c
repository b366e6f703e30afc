/* The aggregate stage as written in a config: its keys checked at load,
 * its spec read at open, and the plan's errors pointed back at the entry
 * of `group_by`, `aggregate` or `window` they are about. See agg_load.h. */
#include "agg_load.h"

#include <stdlib.h>
#include <string.h>

#include "agg_stage.h"
#include "config.h"
#include "duration.h"
#include "error.h"
#include "mem.h"
#include "stage.h"
#include "suggest.h"
#include "window.h"

/* output_mode is refused later, with the message every non-sink stage gets. */
static const char *const agg_keys[] = { "name", "input", "aggregate", "group_by", "cube", "rollup", "window",
                                        "watermark", "output_mode", "late_output", "co_partitioned" };
/* Indexed by enum sluice_agg_grouping. */
static const char *const grouping_keys[] = { "group_by", "cube", "rollup" };

static int expected(struct sluice_error *err, const config_setting_t *s, const char *what)
{
    char got[80];
    return sluice_error_at(err, SLUICE_ECONFIG, s, "expected %s, got %s", what,
                           sluice_config_describe_value(s, got, sizeof got));
}

/* A duration setting, which may be negative (an offset may). */
static int get_duration(const config_setting_t *s, int64_t *us, struct sluice_error *err)
{
    const char *t = config_setting_type(s) == CONFIG_TYPE_STRING ? config_setting_get_string(s) : NULL;
    if (!t) return expected(err, s, "a duration such as \"10 seconds\"");
    while (*t == ' ') t++;
    bool minus = *t == '-';
    int64_t v;
    if (sluice_duration_parse(minus ? t + 1 : t, &v) != 0) return expected(err, s, "a duration such as \"10 seconds\"");
    *us = minus ? -v : v;
    return SLUICE_OK;
}

int sluice_agg_load_window(const config_setting_t *group, struct sluice_window *w, const char **column,
                       struct sluice_error *err)
{
    static const char *const keys[] = { "column", "duration", "slide", "offset" };
    if (!config_setting_is_group(group))
        return expected(err, group, "a group such as { column = \"data.created_at\"; duration = \"10 seconds\"; }");
    const config_setting_t *found[N_ELEMS(keys)] = { 0 };
    for (int i = 0; i < config_setting_length(group); i++) {
        const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
        const char *name = config_setting_name(s);
        size_t k = 0;
        while (k < N_ELEMS(keys) && strcmp(name, keys[k]) != 0) k++;
        if (k == N_ELEMS(keys)) {
            int rc = sluice_error_at(err, SLUICE_ECONFIG, s, "unknown key '%s' in window", name);
            const char *close = sluice_suggest(name, keys, N_ELEMS(keys));
            if (close) sluice_error_hint(err, "did you mean '%s'?", close);
            else sluice_error_hint(err, "window keys are: column, duration, slide, offset");
            return rc;
        }
        found[k] = s;
    }
    for (size_t k = 0; k < 2; k++) {
        if (found[k]) continue;
        sluice_error_at(err, SLUICE_ECONFIG, group, "missing key '%s' in window", keys[k]);
        sluice_error_hint(err, "window = { column = \"data.created_at\"; duration = \"10 seconds\"; }");
        return SLUICE_ECONFIG;
    }
    if (config_setting_type(found[0]) != CONFIG_TYPE_STRING || !config_setting_get_string(found[0])[0])
        return expected(err, found[0], "a timestamp column such as \"data.created_at\"");
    *column = config_setting_get_string(found[0]);
    *w = (struct sluice_window){ 0 };
    int rc = get_duration(found[1], &w->duration_us, err);
    w->slide_us = w->duration_us;
    if (!rc && found[2]) rc = get_duration(found[2], &w->slide_us, err);
    if (!rc && found[3]) rc = get_duration(found[3], &w->offset_us, err);
    if (rc) return rc;
    /* Each rule's error points at the key it is about (an absent slide is the duration). */
    enum sluice_window_part part;
    rc = sluice_window_check(w, &part, err);
    if (rc) {
        const config_setting_t *const where[3] = { found[1], found[2] ? found[2] : found[1],
                                                   found[3] ? found[3] : group };
        sluice_config_error_locate(err, rc, where[part]);
    }
    return rc;
}

/* A list of strings, or one string standing for a list of one (what
 * `--set stage.group_by=data.lang` makes). */
static int check_strings(const config_setting_t *s, bool non_empty, struct sluice_error *err)
{
    if (config_setting_type(s) == CONFIG_TYPE_STRING && config_setting_get_string(s)[0]) return SLUICE_OK;
    bool ok = config_setting_is_list(s) || config_setting_is_array(s);
    for (int i = 0; ok && i < config_setting_length(s); i++) {
        const char *v = config_setting_get_string_elem(s, i);
        ok = v && v[0];
    }
    if (ok && (!non_empty || config_setting_length(s) > 0)) return SLUICE_OK;
    char got[80];
    if (ok) snprintf(got, sizeof got, "an empty list");
    else sluice_config_describe_value(s, got, sizeof got);
    return sluice_error_at(err, SLUICE_ECONFIG, s, "expected a %slist of strings such as %s, got %s",
                           non_empty ? "non-empty " : "",
                           strcmp(config_setting_name(s), "aggregate") == 0 ? "[\"count(*) AS count\"]"
                                                                             : "[\"data.lang AS lang\"]",
                           got);
}

int sluice_agg_load_check(const config_setting_t *group, struct sluice_error *err)
{
    const config_setting_t *grouping = NULL;
    for (int i = 0; i < config_setting_length(group); i++) {
        const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
        const char *key = config_setting_name(s);
        bool known = false;
        for (size_t k = 0; k < N_ELEMS(agg_keys) && !known; k++) known = strcmp(key, agg_keys[k]) == 0;
        if (!known) {
            int rc = sluice_error_at(err, SLUICE_ECONFIG, s, "unknown key '%s'", key);
            const char *close = sluice_suggest(key, agg_keys, N_ELEMS(agg_keys));
            if (close) sluice_error_hint(err, "did you mean '%s'?", close);
            else sluice_error_hint(err, "aggregate stages take: aggregate, and one of group_by, cube or rollup");
            return rc;
        }
        bool is_grouping = false;
        for (size_t k = 0; k < N_ELEMS(grouping_keys); k++) is_grouping |= strcmp(key, grouping_keys[k]) == 0;
        if (is_grouping) {
            if (grouping) {
                sluice_error_at(err, SLUICE_ECONFIG, s, "both '%s' and '%s' given", config_setting_name(grouping), key);
                sluice_error_hint(err, "an aggregate stage groups one way: group_by, cube or rollup");
                return SLUICE_ECONFIG;
            }
            grouping = s;
            int rc = check_strings(s, false, err);
            if (rc) return rc;
        } else if (strcmp(key, "aggregate") == 0) {
            int rc = check_strings(s, true, err);
            if (rc) return rc;
        } else if (strcmp(key, "co_partitioned") == 0) {
            if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
                char got[80];
                return sluice_error_at(err, SLUICE_ECONFIG, s, "expected true or false, got %s",
                                       sluice_config_describe_value(s, got, sizeof got));
            }
        } else if (strcmp(key, "window") == 0) {
            struct sluice_window w;
            const char *column;
            int rc = sluice_agg_load_window(s, &w, &column, err);
            if (rc) return rc;
        }
    }
    return SLUICE_OK;
}

/* ---- opening ------------------------------------------------------------- */

/* The strings of a list setting (or of one string), borrowed from the config. */
static const char **strings_of(const config_setting_t *s, size_t *n)
{
    *n = 0;
    if (!s) return NULL;
    if (config_setting_type(s) == CONFIG_TYPE_STRING) {
        const char **v = sluice_xcalloc(1, sizeof *v);
        v[(*n)++] = config_setting_get_string(s);
        return v;
    }
    int len = config_setting_length(s);
    const char **v = sluice_xcalloc(len > 0 ? (size_t)len : 1, sizeof *v);
    for (int i = 0; i < len; i++) v[(*n)++] = config_setting_get_string_elem(s, i);
    return v;
}

static const config_setting_t *grouping_setting(const config_setting_t *group, enum sluice_agg_grouping *g)
{
    *g = SLUICE_AGG_GROUP_BY;
    for (size_t k = 0; k < N_ELEMS(grouping_keys); k++) {
        const config_setting_t *s = config_setting_get_member(group, grouping_keys[k]);
        if (s) {
            *g = (enum sluice_agg_grouping)k;
            return s;
        }
    }
    return NULL;
}

static int plan_error(const struct sluice_stage *st, const config_setting_t *list, size_t index, int rc,
                      struct sluice_error *err)
{
    const config_setting_t *where = list;
    if (list && config_setting_type(list) != CONFIG_TYPE_STRING && index < (size_t)config_setting_length(list))
        where = config_setting_get_elem(list, (unsigned)index);
    if (!where) where = st->setting;
    sluice_config_error_locate(err, rc, where);
    if (err && !err->key[0] && list) snprintf(err->key, sizeof err->key, "%s", config_setting_name(list));
    sluice_error_stage(err, st->name);
    return rc;
}

int sluice_agg_load_spec(const config_setting_t *group, struct sluice_agg_spec *spec, struct sluice_error *err)
{
    enum sluice_agg_grouping grouping;
    const config_setting_t *keys = grouping_setting(group, &grouping);
    const config_setting_t *window = config_setting_get_member(group, "window");
    *spec = (struct sluice_agg_spec){ .grouping = grouping };
    if (window) {
        /* Checked at load already: this cannot fail. */
        int rc = sluice_agg_load_window(window, &spec->window, &spec->window_column, err);
        if (rc) return rc;
    }
    spec->keys = strings_of(keys, &spec->n_keys);
    spec->aggs = strings_of(config_setting_get_member(group, "aggregate"), &spec->n_aggs);
    return SLUICE_OK;
}

void sluice_agg_load_spec_free(struct sluice_agg_spec *spec)
{
    free((void *)spec->keys);
    free((void *)spec->aggs);
    spec->keys = spec->aggs = NULL;
}

int sluice_agg_load_open(struct sluice_stage *st, struct sluice_registry *reg, int64_t partitions,
                         enum sluice_output_mode mode, struct sluice_error *err)
{
    const config_setting_t *group = st->setting;
    enum sluice_agg_grouping grouping;
    const config_setting_t *keys = grouping_setting(group, &grouping);
    const config_setting_t *aggs = config_setting_get_member(group, "aggregate");
    const config_setting_t *window = config_setting_get_member(group, "window");
    struct sluice_agg_spec spec;
    int rc = sluice_agg_load_spec(group, &spec, err);
    if (rc) return rc;
    struct sluice_agg_where where;
    rc = sluice_agg_stage_open(st, &spec, reg, partitions, mode, &where, err);
    sluice_agg_load_spec_free(&spec);
    if (rc && where.in_window) return plan_error(st, config_setting_get_member(window, "column"), 0, rc, err);
    if (rc) return plan_error(st, where.in_keys ? keys : aggs, where.index, rc, err);
    return SLUICE_OK;
}
