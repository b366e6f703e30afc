/* core/runtime/pipeline/graph.h — a pipeline: the config file turned into validated stages.
 *
 * Loading checks everything that can be checked without running: top-level
 * and runtime keys, stage kinds, plugins, inputs, duplicate names, cycles,
 * plugin options. Opening calls each plugin's open() from the sources down,
 * so every edge gets a schema, checks output modes against the sinks, and
 * computes what each source must parse (projection pushdown).
 *
 * Every error is one sluice_error naming file, line, stage and key:
 * SLUICE_ECONFIG for what the user wrote, SLUICE_EPLUGIN for a broken
 * plugin, or whatever code a plugin's open()/prepare() returned. The graph
 * owns its stages, their plugins' states, the config and the loaded
 * plugins; all of it lives until sluice_graph_free. Main thread only. */
#ifndef SLUICE_CORE_GRAPH_H
#define SLUICE_CORE_GRAPH_H

#include <stdbool.h>
#include <stddef.h>

#include <sluice/buf.h>
#include <sluice/plugin.h>

#include "error.h"
#include "registry.h"
#include "options.h"
#include "stage.h"
#include "tables.h"
#include "progress.h"
#include "trigger.h"

struct sluice_runtime {
    struct sluice_trigger trigger;    /* default: interval 0 */
    const char *trigger_text;         /* as written, for plans */
    int64_t shuffle_partitions;       /* default 8 */
    int64_t threads;                  /* default: number of cores */
    const char *checkpoint;           /* NULL: none */
    struct sluice_where checkpoint_where;
    int64_t min_batches_to_retain;    /* 0: the checkpoint's default */
    int64_t retry_limit;              /* SLUICE_EAGAIN retries per call (retry.h); default 5 */
    int64_t retry_backoff_us;         /* the first retry's wait, doubling; default 100 ms */
    const char *http;                 /* NULL: none */
    struct sluice_where http_where;
    int64_t query_memory_limit;       /* bytes a query over a memory table may hold */
    const char *progress_log;         /* NULL: none */
    const char *const *plugin_path;   /* runtime.plugin_path */
    size_t n_plugin_path;
    const char *group;                /* runtime.group: a member of this group (kafka sources), or NULL */
    const char *member;               /* runtime.member: this member's name (default: the host's) */
    const char *timezone;             /* runtime.timezone as written, or NULL (UTC) */
    int64_t idle_timeout_us;          /* runtime.idle_timeout: a group's producer that long quiet no longer
                                       * holds an aggregation's watermark back; default 30 s */
    struct sluice_where group_where;
};

/* runtime.query_memory_limit: the default, and the most a result may hold
 * (one batch with 32-bit offsets, rendered to JSON). */
#define SLUICE_QUERY_MEMORY_DEFAULT ((int64_t)256 << 20)
#define SLUICE_QUERY_MEMORY_MAX ((int64_t)1 << 30)

struct sluice_graph {
    const char *path;                 /* the config file */
    const char *name;                 /* top-level name, default: file stem */
    struct sluice_runtime runtime;
    struct sluice_stage *stages;      /* topological order: every input before its readers */
    size_t n_stages;
    struct config_t *config;          /* keeps every option string alive (pipeline only) */
    struct sluice_registry *registry;
    struct sluice_tables *tables;     /* what memory sinks write and the REST server reads */
    struct sluice_progress *progress; /* the runs' progress records (kept after a run ends) */
    struct sluice_options_storage storage;
    struct sluice_projection *projections; /* per stage; used for sources */
    struct sluice_tz *tz;             /* runtime.timezone, loaded; becomes the session's (tz.h) at open */
    bool check_only;                  /* set before open by `sluice check`: the checkpoint is read, never
                                       * written or locked */
    bool opened;
    /* What the fields above point into when they are not config strings. */
    char *owned_path;
    char *owned_name;
    char *owned_member;
    char *owned_checkpoint;           /* a group member's own folder under runtime.checkpoint */
    const char **owned_plugin_path;
};

/* Read and validate `path` with `--set` overrides applied in order. Stages
 * that feed no sink are kept (and logged as a warning) but never run; a
 * pipeline with no sink at all is an error. On SLUICE_OK *out is the
 * caller's to free with sluice_graph_free; on error *out is NULL. */
int sluice_graph_load(const char *path, const char *const *overrides, size_t n_overrides,
                      struct sluice_graph **out, struct sluice_error *err);
/* Check output modes, open every plugin (sources first), type every edge,
 * compute projections and call each source's prepare(). With
 * runtime.checkpoint, each source that feeds a sink has its checkpoint
 * metadata attached before prepare (checkpoint.h); unless check_only, its
 * query's checkpoint is made and locked then. After a failure the graph
 * can only be freed (which closes what was opened). */
int sluice_graph_open(struct sluice_graph *g, struct sluice_error *err);
/* The projection computed for a source stage: the columns it must produce
 * (NULL before open). For any stage, the same form says which of its output
 * columns later stages read. Owned by the graph. */
const struct sluice_projection *sluice_graph_projection(const struct sluice_graph *g,
                                                        const struct sluice_stage *source);
/* How many queries run: one per source that feeds a sink, except that the
 * sources a union joins make one query (stage.h's `lead`). */
size_t sluice_graph_queries(const struct sluice_graph *g);
/* `sluice check`'s plan: runtime, then each stage with its plugin, input,
 * output mode, the schema on its output edge, and for sources the columns parsed. */
void sluice_graph_describe(const struct sluice_graph *g, struct sluice_buf *out);
/* The same plan as JSON for the live page: {"name", "path", "text" (the
 * plan above), "stages": [{"name", "kind", "plugin", "input", "lateOf",
 * "outputMode", "watermark", "runs"}]}, stages in the order data flows. */
void sluice_graph_describe_json(const struct sluice_graph *g, struct sluice_buf *out);
/* The config a graph was loaded from, as read then with its overrides, kept
 * past the graph: what a reload whose new config cannot start goes back
 * to. sluice_graph_free_keeping_config frees `g` but its config;
 * sluice_graph_load_kept loads a new graph from it (taking it, also on
 * error); sluice_graph_kept_free drops one not loaded again. */
struct sluice_graph_kept;
struct sluice_graph_kept *sluice_graph_free_keeping_config(struct sluice_graph *g);
int sluice_graph_load_kept(struct sluice_graph_kept *kept, struct sluice_graph **out, struct sluice_error *err);
void sluice_graph_kept_free(struct sluice_graph_kept *kept);
/* A reload: `to` takes over `from`'s memory tables and progress (the REST
 * server keeps serving them, the live page keeps its history) and `from`
 * gets `to`'s empty ones, to free with it. Neither may be running. */
void sluice_graph_hand_over(struct sluice_graph *from, struct sluice_graph *to);
/* Closes opened plugins, frees everything. NULL is allowed. */
void sluice_graph_free(struct sluice_graph *g);

#endif
