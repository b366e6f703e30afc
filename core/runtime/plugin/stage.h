/* core/runtime/plugin/stage.h — one stage of a pipeline: its kind, plugin,
 * place in the graph, output mode, watermark, and the context its plugin
 * sees (ctx.h).
 *
 * The graph owns every stage (graph.h); stages point at each other by
 * pointer into the graph's array, in topological order. Plain data: the
 * pipeline fills it at load and open, the engine reads it. */
#ifndef SLUICE_CORE_STAGE_H
#define SLUICE_CORE_STAGE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/plugin.h>

#include "ctx.h"
#include "watermark.h"

enum sluice_stage_kind {
    SLUICE_STAGE_SOURCE = 0,
    SLUICE_STAGE_TRANSFORM,
    SLUICE_STAGE_AGGREGATE,
    SLUICE_STAGE_SINK,
    SLUICE_STAGE_DEDUP, /* transform = "drop_duplicates": the core's keyed state (dedup.h) */
    SLUICE_STAGE_JOIN,  /* join = { with; on; type; }: a stream-static join (join.h) */
    SLUICE_STAGE_UNION, /* transform = "union" or "union_by_name" over several inputs (union.h) */
    SLUICE_STAGE_STREAM_JOIN, /* join = { with; ... } naming a stream: a stream-stream join (stream_join.h) */
};

struct config_setting_t; /* the pipeline's; opaque here */
struct sluice_stage;
struct sluice_agg_stage;
struct sluice_dedup;
struct sluice_expr;
struct sluice_join;
struct sluice_stream_join;
struct sluice_union;

/* `watermark = { column = "data.created_at"; delay = "5 seconds"; }` on a
 * non-sink stage. Validated for shape at load; at open the column is
 * compiled against the stage's output schema (it must be a timestamp).
 * While a batch runs, the engine folds the event times of the rows the
 * stage outputs into `tracker` (watermark.h); aggregations below read it. */
struct sluice_watermark {
    const char *column;              /* as written; lives as long as the config */
    int64_t delay_us;
    const struct config_setting_t *setting; /* the watermark group, for the pipeline's errors */
    struct sluice_expr *time;        /* the column, compiled at open; the graph frees it */
    int64_t producer_col;            /* a group's hop source: the output column naming each row's producer
                                      * (its tracker is by producer, watermark.h); else -1 */
    struct sluice_watermark_tracker tracker;
};


/* runtime.group's hop through a repartition topic (graph_group.c), as its
 * source knows it: whose rows the topic holds, and what the aggregation's
 * changelog (changelog.h) needs to reach Kafka. */
struct sluice_group_hop {
    struct sluice_stage *agg;     /* the aggregation whose tasks the source's partitions are */
    struct sluice_stage *rows_of; /* the stage whose output the topic holds; NULL: the source is the
                                   * input itself, keyed as a repartition topic (co_partitioned) */
    char *topic;                  /* GROUP-STAGE-repartition */
    char *changelog;              /* GROUP-STAGE-changelog */
    char *kafka_options;          /* bootstrap_servers and kafka, as option text */
};

struct sluice_stage {
    const char *name;
    enum sluice_stage_kind kind;
    const char *plugin_name;          /* "file", "console"; NULL for aggregate stages */
    const struct sluice_plugin *plugin;
    const char *plugin_file;          /* the .so it came from */
    const struct config_setting_t *setting; /* the stage's group in the config (pipeline only) */
    struct sluice_stage *input;       /* NULL for sources; a late stage's: its aggregate stage's input;
                                       * a union's: its first input */
    struct sluice_stage **inputs;     /* unions: every input, inputs[0] == input; stream-stream joins:
                                       * input, then join_with (owned); NULL otherwise */
    size_t n_inputs;
    struct sluice_stage *lead;        /* the first source (in stage order) of the query this stage runs
                                       * in: the sources a union joins run as one query */
    struct sluice_stage *late_output; /* aggregate stages: where rows dropped as late go, or NULL */
    struct sluice_stage *late_of;     /* the aggregate stage whose late rows this stage reads, or NULL */
    struct sluice_stage **outputs;    /* stages whose input is this one */
    size_t n_outputs;
    void *conf;                       /* conf_size bytes filled from the option table */
    struct sluice_ctx ctx;
    void *state;                      /* from the plugin's open */
    struct sluice_agg_stage *agg;     /* aggregate stages: plan and state (agg_stage.h) */
    struct sluice_dedup *dedup;       /* drop_duplicates stages (dedup.h), once open */
    char *state_spec;                 /* drop_duplicates, stream-stream joins: what their saved state means
                                       * (keys, condition) as the config gives it, for the checkpoint's
                                       * fingerprint; from load on */
    bool is_static;                   /* sources: `static = true`, a table read once by the joins naming it */
    struct sluice_stage *repartition_of; /* runtime.group: on the sink writing aggregation
                                       * `repartition_of`'s repartition topic (graph_group.c); else NULL */
    struct sluice_group_hop *hop;     /* runtime.group: on a source reading an aggregation's repartition
                                       * topic (graph_group.c), owned; else NULL */
    struct sluice_stage *join_with;   /* joins: the static source stage, or the other stream */
    struct sluice_join *join;         /* stream-static joins, once open (join.h) */
    struct sluice_stream_join *sjoin; /* stream-stream joins, once open (stream_join.h) */
    struct sluice_union *un;          /* unions, once open (union.h) */
    bool opened;
    enum sluice_output_mode mode;     /* sinks: output_mode (default append) */
    const struct config_setting_t *mode_setting; /* sinks: output_mode as written, or NULL */
    bool has_watermark;
    struct sluice_watermark watermark;
    bool feeds_sink;                  /* some sink reads this stage, directly or not;
                                       * stages that feed none never run, as in Spark */
    atomic_int_least64_t rows_out;    /* rows the stage has put out (a sink: written), for /metrics */
    bool check_batches;               /* validate every batch the plugin emits (validate.h):
                                       * SLUICE_CHECK_BATCHES, the test kit */
};

/* The source leading the query `s` runs in (a stage built without a
 * loaded graph, as tests make them, leads its own). */
static inline struct sluice_stage *sluice_stage_lead(const struct sluice_stage *s)
{
    return s->lead ? s->lead : (struct sluice_stage *)s;
}

#endif
