/* core/runtime/pipeline/graph_priv.h — what the parts of loading a
 * pipeline share (graph_load.c: stages; graph_runtime.c: the runtime
 * group and the setting readers). Not for other modules. */
#ifndef SLUICE_CORE_GRAPH_PRIV_H
#define SLUICE_CORE_GRAPH_PRIV_H

#include <libconfig.h>

#include "graph.h"

/* "unknown key 'x'" at `s`, with the closest of `known` or the list, as
 * `where` keys. Returns SLUICE_ECONFIG. */
int sluice_graph_unknown_key(struct sluice_error *err, const config_setting_t *s, const char *const *known, size_t n,
                             const char *where);
/* "expected WHAT, got VALUE" at `s`. Returns SLUICE_ECONFIG. */
int sluice_graph_expected(struct sluice_error *err, const config_setting_t *s, const char *what);
/* A non-empty string setting. */
int sluice_graph_get_string(const config_setting_t *s, const char **out, struct sluice_error *err);

/* The `runtime` group (NULL: all defaults). */
int sluice_graph_load_runtime(struct sluice_graph *g, const config_setting_t *rt, struct sluice_error *err);
/* Once the stages are loaded: what runtime.group asks of them (a
 * continuous trigger, no aggregation yet) and the member's own checkpoint
 * folder. */
int sluice_graph_load_group(struct sluice_graph *g, struct sluice_error *err);

struct sluice_stage;
/* A stage's `watermark`, `output_mode` and `static` keys (graph_stage_keys.c),
 * refused on the kinds of stage they do not apply to. */
int sluice_graph_load_watermark(struct sluice_stage *st, const config_setting_t *w, struct sluice_error *err);
int sluice_graph_load_output_mode(struct sluice_stage *st, const config_setting_t *m, struct sluice_error *err);
int sluice_graph_load_static(struct sluice_stage *st, const config_setting_t *s, struct sluice_error *err);
/* The trackers of every watermark declared above `st` (graph_open.c), in
 * *out (the caller's to free; NULL when none); returns how many. */
struct sluice_watermark_tracker;
size_t sluice_graph_trackers_above(const struct sluice_stage *st, struct sluice_watermark_tracker ***out);
/* Whether `path`, a column of st's input, is a watermarked column: the very
 * column some stage above declared its watermark on, passed down
 * unchanged (graph_open.c). */
bool sluice_graph_is_watermarked(const struct sluice_stage *st, const char *path);

#endif
