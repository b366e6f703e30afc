/* The offset of a query of several sources. See offsets.h. */
#include "offsets.h"

#include <stdlib.h>

#include <jansson.h>

#include "error.h"
#include "mem.h"
#include "stage.h"

char *sluice_offsets_join(char *const *parts, struct sluice_stage *const *sources, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++) json_object_set_new(o, sources[i]->name, parts[i] ? json_string(parts[i]) : json_null());
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    char *out = sluice_xstrdup(text ? text : "{}");
    free(text);
    return out;
}

int sluice_offsets_split(const char *text, struct sluice_stage *const *sources, size_t n, char **parts,
                         struct sluice_error *err)
{
    for (size_t i = 0; i < n; i++) parts[i] = NULL;
    if (!text) return SLUICE_OK;
    json_t *o = json_loads(text, 0, NULL);
    int rc = SLUICE_OK;
    if (!json_is_object(o) || json_object_size(o) != n) {
        rc = sluice_error_set(err, SLUICE_EDATA, "offset '%.200s' is not one offset per source of the query (%zu)",
                              text, n);
    }
    for (size_t i = 0; i < n && !rc; i++) {
        const json_t *v = json_object_get(o, sources[i]->name);
        if (json_is_string(v)) parts[i] = sluice_xstrdup(json_string_value(v));
        else if (!json_is_null(v))
            rc = sluice_error_set(err, SLUICE_EDATA, "offset '%.200s' has no offset for source '%s'", text,
                                  sources[i]->name);
    }
    json_decref(o);
    if (rc) sluice_offsets_free(parts, n);
    return rc;
}

void sluice_offsets_free(char **parts, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(parts[i]);
        parts[i] = NULL;
    }
}
