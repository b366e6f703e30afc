/* core/runtime/plugin/stage.h — one stage of a pipeline and the context its plugin sees.
 *
 * A plugin holds an opaque `struct sluice_ctx *`; the host table's stage
 * functions (stage_name, input_schema, set_output_schema, use_column, ...)
 * are the sluice_ctx_* functions below. What a stage declares in open()
 * (its output schema, the input columns it reads, the columns it passes
 * through) is what the graph uses to type every edge and to compute each
 * source's projection.
 *
 * The graph owns every stage and its ctx; the ctx owns what was declared
 * into it (output schema, used paths, pass map) until sluice_ctx_free.
 * The declaration functions are for open(), on the main thread;
 * sluice_ctx_count_malformed may be called from any thread. */
#ifndef SLUICE_CORE_STAGE_H
#define SLUICE_CORE_STAGE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/plugin.h>

#include "watermark.h"

enum sluice_stage_kind {
    SLUICE_STAGE_SOURCE = 0,
    SLUICE_STAGE_TRANSFORM,
    SLUICE_STAGE_AGGREGATE,
    SLUICE_STAGE_SINK,
};

struct config_setting_t; /* the pipeline's; opaque here */
struct sluice_stage;
struct sluice_agg_stage;
struct sluice_expr;
struct sluice_tables;

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
    struct sluice_watermark_tracker tracker;
};

struct sluice_ctx {
    struct sluice_stage *stage;
    const struct sluice_host *host;
    const struct ArrowSchema *input_schema; /* the input stage's output schema; NULL for sources */
    struct ArrowSchema output_schema;       /* owned; release == NULL until declared */
    bool use_all;                           /* reads every input column */
    char **used;                            /* input paths read, projection form */
    size_t n_used;
    int64_t *pass_from;                     /* per output column: input column passed through, or -1 */
    size_t n_pass_from;
    atomic_int_least64_t malformed;         /* malformed lines counted by a source */
    struct sluice_tables *tables;           /* the graph's memory tables (host table_open) */
    char *meta_dir;                         /* sources: checkpoint metadata folder, or NULL (owned) */
    bool meta_dir_made;
};

struct sluice_stage {
    const char *name;
    enum sluice_stage_kind kind;
    const char *plugin_name;          /* "file", "console"; NULL for aggregate stages */
    const struct sluice_plugin *plugin;
    const char *plugin_file;          /* the .so it came from */
    const struct config_setting_t *setting; /* the stage's group in the config (pipeline only) */
    struct sluice_stage *input;       /* NULL for sources */
    struct sluice_stage **outputs;    /* stages whose input is this one */
    size_t n_outputs;
    void *conf;                       /* conf_size bytes filled from the option table */
    struct sluice_ctx ctx;
    void *state;                      /* from the plugin's open */
    struct sluice_agg_stage *agg;     /* aggregate stages: plan and state (agg_stage.h) */
    bool opened;
    enum sluice_output_mode mode;     /* sinks: output_mode (default append) */
    const struct config_setting_t *mode_setting; /* sinks: output_mode as written, or NULL */
    bool has_watermark;
    struct sluice_watermark watermark;
    bool feeds_sink;                  /* some sink reads this stage, directly or not;
                                       * stages that feed none never run, as in Spark */
};

const char *sluice_ctx_stage_name(const struct sluice_ctx *ctx);
const struct ArrowSchema *sluice_ctx_input_schema(const struct sluice_ctx *ctx);
/* Takes ownership of `schema` (released on error too); a second call or a
 * non-struct schema is SLUICE_EPLUGIN. */
int sluice_ctx_set_output_schema(struct sluice_ctx *ctx, struct ArrowSchema *schema,
                                 struct sluice_error *err);
const struct ArrowSchema *sluice_ctx_output_schema(const struct sluice_ctx *ctx);
/* Resolves `path` against the input schema (errors name the stage and
 * suggest) and records its projection form (`includes.users.verified`) once. */
int sluice_ctx_use_column(struct sluice_ctx *ctx, const char *path, struct sluice_error *err);
void sluice_ctx_use_all_columns(struct sluice_ctx *ctx);
/* Output column out_index is input column in_index unchanged (in_index -1:
 * computed). A negative or huge out_index is ignored with a warning; an
 * in_index beyond the input's columns is ignored when projecting. */
void sluice_ctx_pass_column(struct sluice_ctx *ctx, int64_t out_index, int64_t in_index);
void sluice_ctx_count_malformed(struct sluice_ctx *ctx, int64_t n);
int64_t sluice_ctx_malformed(const struct sluice_ctx *ctx);
void sluice_ctx_log(const struct sluice_ctx *ctx, enum sluice_log_level level, const char *fmt, ...)
    SLUICE_PRINTF(3, 4);
/* Frees what the ctx owns (output schema, used paths, pass map). */
void sluice_ctx_free(struct sluice_ctx *ctx);

#endif
