/* A union stage from the config. See union_load.h. */
#include "union_load.h"

#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "config.h"
#include "error.h"
#include "graph_priv.h"
#include "mem.h"
#include "schema.h"
#include "stage.h"
#include "union.h"

static const char *const union_keys[] = { "name", "input", "transform", "watermark" };
static const char *const by_name_keys[] = { "name", "input", "transform", "allow_missing_columns", "watermark" };

bool sluice_union_load_is_union(const char *transform)
{
    return strcmp(transform, SLUICE_UNION_TRANSFORM) == 0 || strcmp(transform, SLUICE_UNION_BY_NAME_TRANSFORM) == 0 ||
           strcmp(transform, SLUICE_UNION_ALL_TRANSFORM) == 0;
}

int sluice_union_load_check(const config_setting_t *group, const char ***names, size_t *n, struct sluice_error *err)
{
    *names = NULL;
    *n = 0;
    const char *transform = NULL;
    config_setting_lookup_string(group, "transform", &transform);
    bool by_name = transform && strcmp(transform, SLUICE_UNION_BY_NAME_TRANSFORM) == 0;
    const char *const *keys = by_name ? by_name_keys : union_keys;
    size_t n_keys = by_name ? N_ELEMS(by_name_keys) : N_ELEMS(union_keys);
    for (int i = 0; i < config_setting_length(group); i++) {
        const config_setting_t *s = config_setting_get_elem(group, (unsigned)i);
        bool known = false;
        for (size_t k = 0; k < n_keys && !known; k++) known = strcmp(config_setting_name(s), keys[k]) == 0;
        if (known) continue;
        int rc = sluice_graph_unknown_key(err, s, keys, n_keys, by_name ? "a union_by_name stage's" : "a union stage's");
        if (!by_name && strcmp(config_setting_name(s), "allow_missing_columns") == 0)
            sluice_error_hint(err, "allow_missing_columns belongs to transform = \"union_by_name\"");
        return rc;
    }
    const config_setting_t *missing = config_setting_get_member(group, "allow_missing_columns");
    bool b;
    int rc = missing ? sluice_graph_get_bool(missing, &b, err) : SLUICE_OK;
    if (rc) return rc;
    const config_setting_t *input = config_setting_get_member(group, "input");
    if (!input) {
        sluice_error_at(err, SLUICE_ECONFIG, group, "missing key 'input'");
        sluice_error_hint(err, "name the streams to union: input = [\"a\", \"b\"];");
        return SLUICE_ECONFIG;
    }
    bool ok = (config_setting_is_list(input) || config_setting_is_array(input)) && config_setting_length(input) >= 2;
    for (int i = 0; ok && i < config_setting_length(input); i++) {
        const char *v = config_setting_get_string_elem(input, i);
        ok = v && v[0];
    }
    if (!ok) return sluice_graph_expected(err, input, "a list of two or more stage names such as [\"a\", \"b\"]");
    *n = (size_t)config_setting_length(input);
    *names = sluice_xcalloc(*n, sizeof **names);
    for (size_t i = 0; i < *n; i++) (*names)[i] = config_setting_get_string_elem(input, (int)i);
    return SLUICE_OK;
}

int sluice_union_load_open(struct sluice_stage *st, struct sluice_error *err)
{
    bool by_name = strcmp(st->plugin_name, SLUICE_UNION_BY_NAME_TRANSFORM) == 0, allow_missing = false;
    const config_setting_t *missing = config_setting_get_member(st->setting, "allow_missing_columns");
    if (missing) sluice_graph_get_bool(missing, &allow_missing, NULL);
    const struct ArrowSchema **in = sluice_xcalloc(st->n_inputs, sizeof *in);
    const char **names = sluice_xcalloc(st->n_inputs, sizeof *names);
    for (size_t i = 0; i < st->n_inputs; i++) {
        in[i] = sluice_ctx_output_schema(&st->inputs[i]->ctx);
        names[i] = st->inputs[i]->name;
    }
    int rc = sluice_union_plan(by_name, allow_missing, in, names, st->n_inputs, &st->un, err);
    free(in);
    free(names);
    if (rc) {
        sluice_config_error_locate(err, rc, config_setting_get_member(st->setting, "input"));
        return sluice_error_stage(err, st->name), rc;
    }
    struct ArrowSchema out;
    sluice_schema_copy(&st->un->out, &out);
    rc = sluice_ctx_set_output_schema(&st->ctx, &out, err);
    if (rc) return rc;
    st->un->out_schema = sluice_ctx_output_schema(&st->ctx);
    /* What passes through from the first input, as for any stage: the
     * watermark's column is followed that way (Spark's union keeps the
     * first child's attributes). Every input's projection is the
     * pipeline's to work out (graph_open.c). */
    for (int64_t k = 0; k < st->un->n_columns; k++) sluice_ctx_pass_column(&st->ctx, k, st->un->from[0][k]);
    return SLUICE_OK;
}
