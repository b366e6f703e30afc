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
/* true or false; the words "true"/"false" (any case) only from --set,
 * which stores a key the file lacks as the text typed, as plugin options
 * read them (options.h). */
int sluice_graph_get_bool(const config_setting_t *s, bool *out, struct sluice_error *err);
/* A non-empty string setting. */
int sluice_graph_get_string(const config_setting_t *s, const char **out, struct sluice_error *err);

/* What a stage says about its inputs before stages are ordered (loading only). */
struct sluice_graph_pending {
    const char **input_names; /* as written (owned array of config strings); a union's are several */
    size_t n_inputs;
    const config_setting_t *input_setting;
    long *inputs;             /* resolved: config indices (owned), n_in of them; a late stage's is
                               * the aggregate stage whose late rows it reads */
    size_t n_in;
    /* Aggregate stages: the stage their late rows go to (late_output). */
    const char *late_name;
    const config_setting_t *late_setting;
    long late_of; /* late stages: the aggregate stage whose late rows they read, or -1 */
    /* Joins: the static source stage or the other stream they read (join.with). */
    const char *with_name;
    const config_setting_t *with_setting;
};

/* With every input resolved: SLUICE_ECONFIG naming the cycle, if the
 * inputs form one (graph_order.c). */
int sluice_graph_find_cycle(const struct sluice_stage *stages, const struct sluice_graph_pending *pend, size_t n,
                            struct sluice_error *err);
/* Config indices in an order where every input comes before its readers,
 * config order among stages that do not depend on each other, so plans
 * read like the file. The caller frees it. No cycle may remain. */
size_t *sluice_graph_topological_order(const struct sluice_graph_pending *pend, size_t n);

/* Output path `path` of `st` (projection form), as a path of its input
 * when that top-level column is passed through unchanged; false when the
 * stage computes it (graph_project.c). */
bool sluice_graph_map_through(const struct sluice_stage *st, const char *path, struct sluice_buf *out);
/* Every stage's projection (g->projections), from the sinks up. */
void sluice_graph_compute_projections(struct sluice_graph *g);

/* The `runtime` group (NULL: all defaults). */
int sluice_graph_load_runtime(struct sluice_graph *g, const config_setting_t *rt, struct sluice_error *err);
/* runtime.group's plan (graph_group.c). Before the stages load: each
 * aggregation gets its hop through a repartition topic, written into the
 * config as two kafka stages. After: the hop sources know whose rows they
 * read and where their changelog goes (stage.h's hop), and what the group asks of the stages (a
 * continuous trigger, no keyed state but aggregations) is checked, with
 * the member's own checkpoint folder. At open, before a hop source opens:
 * its schema and watermark, from the stage whose rows it reads. */
int sluice_graph_plan_group(struct sluice_graph *g);
void sluice_graph_link_group(struct sluice_graph *g);
int sluice_graph_load_group(struct sluice_graph *g, struct sluice_error *err);
int sluice_graph_open_group_source(struct sluice_graph *g, struct sluice_stage *src, struct sluice_error *err);
int sluice_graph_open_group_columns(struct sluice_graph *g, struct sluice_stage *sel, struct sluice_error *err);
/* Once a hop source is open: its watermark by producer (watermark.h), the
 * producer of a row being its message key, which the repartition sink sets
 * to its member's name. */
void sluice_graph_group_source_opened(struct sluice_graph *g, struct sluice_stage *src);

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
/* The same for `path`, a column of `from`'s output (`from` itself may
 * declare the watermark). */
bool sluice_graph_is_watermarked_at(const struct sluice_stage *from, const char *path);

#endif
