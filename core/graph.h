/* core/graph.h — a pipeline: the config file turned into validated stages.
 *
 * Loading checks everything that can be checked without running: top-level
 * and runtime keys, stage kinds, plugins, inputs, duplicate names, cycles,
 * plugin options. Opening calls each plugin's open() from the sources down,
 * so every edge gets a schema, checks output modes against the sinks, and
 * computes what each source must parse (projection pushdown). */
#ifndef SLUICE_CORE_GRAPH_H
#define SLUICE_CORE_GRAPH_H

#include <stdbool.h>
#include <stddef.h>

#include <libconfig.h>
#include <sluice/buf.h>
#include <sluice/plugin.h>

#include "loader.h"
#include "options.h"
#include "stage.h"
#include "trigger.h"

struct sluice_runtime {
    struct sluice_trigger trigger;    /* default: interval 0 */
    const char *trigger_text;         /* as written, for plans */
    int64_t shuffle_partitions;       /* default 8 */
    int64_t threads;                  /* default: number of cores */
    const char *checkpoint;           /* NULL: none */
    const char *http;                 /* NULL: none */
    const char *progress_log;         /* NULL: none */
    const char *const *plugin_path;   /* runtime.plugin_path */
    size_t n_plugin_path;
};

struct sluice_graph {
    const char *path;                 /* the config file */
    const char *name;                 /* top-level name, default: file stem */
    struct sluice_runtime runtime;
    struct sluice_stage *stages;      /* topological order: every input before its readers */
    size_t n_stages;
    config_t config;                  /* keeps every option string alive */
    struct sluice_registry *registry;
    struct sluice_options_storage storage;
    struct sluice_projection *projections; /* per stage; used for sources */
    bool opened;
};

/* Read and validate `path` with `--set` overrides applied in order. On
 * SLUICE_OK *out is the caller's to free with sluice_graph_free. */
int sluice_graph_load(const char *path, const char *const *overrides, size_t n_overrides,
                      struct sluice_graph **out, struct sluice_error *err);
/* Open every plugin (sources first), type every edge, check output modes,
 * compute projections and call each source's prepare(). */
int sluice_graph_open(struct sluice_graph *g, struct sluice_error *err);
/* The projection computed for a source stage. */
const struct sluice_projection *sluice_graph_projection(const struct sluice_graph *g,
                                                        const struct sluice_stage *source);
/* `sluice check`'s plan: runtime, then each stage with its plugin, input,
 * output mode, the schema on its output edge, and for sources the columns parsed. */
void sluice_graph_describe(const struct sluice_graph *g, struct sluice_buf *out);
/* Closes opened plugins, frees everything. NULL is allowed. */
void sluice_graph_free(struct sluice_graph *g);

#endif
