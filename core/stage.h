/* core/stage.h — one stage of a pipeline and the context its plugin sees.
 *
 * A plugin holds an opaque `struct sluice_ctx *`; the host table's stage
 * functions (stage_name, input_schema, set_output_schema, use_column, ...)
 * are the sluice_ctx_* functions below. What a stage declares in open()
 * (its output schema, the input columns it reads, the columns it passes
 * through) is what the graph uses to type every edge and to compute each
 * source's projection. */
#ifndef SLUICE_CORE_STAGE_H
#define SLUICE_CORE_STAGE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <libconfig.h>
#include <sluice/plugin.h>

enum sluice_stage_kind {
    SLUICE_STAGE_SOURCE = 0,
    SLUICE_STAGE_TRANSFORM,
    SLUICE_STAGE_AGGREGATE,
    SLUICE_STAGE_SINK,
};

struct sluice_stage;

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
};

struct sluice_stage {
    const char *name;
    enum sluice_stage_kind kind;
    const char *plugin_name;          /* "file", "console"; NULL for aggregate stages */
    const struct sluice_plugin *plugin;
    const char *plugin_file;          /* the .so it came from */
    const config_setting_t *setting;  /* the stage's group in the config, for errors */
    struct sluice_stage *input;       /* NULL for sources */
    struct sluice_stage **outputs;    /* stages whose input is this one */
    size_t n_outputs;
    void *conf;                       /* conf_size bytes filled from the option table */
    struct sluice_ctx ctx;
    void *state;                      /* from the plugin's open */
    bool opened;
    enum sluice_output_mode mode;     /* sinks: output_mode (default append) */
};

const char *sluice_ctx_stage_name(const struct sluice_ctx *ctx);
const struct ArrowSchema *sluice_ctx_input_schema(const struct sluice_ctx *ctx);
/* Takes ownership of `schema`; a second call or a non-struct schema is an error. */
int sluice_ctx_set_output_schema(struct sluice_ctx *ctx, struct ArrowSchema *schema,
                                 struct sluice_error *err);
const struct ArrowSchema *sluice_ctx_output_schema(const struct sluice_ctx *ctx);
/* Resolves `path` against the input schema (errors name the stage and suggest). */
int sluice_ctx_use_column(struct sluice_ctx *ctx, const char *path, struct sluice_error *err);
void sluice_ctx_use_all_columns(struct sluice_ctx *ctx);
void sluice_ctx_pass_column(struct sluice_ctx *ctx, int64_t out_index, int64_t in_index);
void sluice_ctx_count_malformed(struct sluice_ctx *ctx, int64_t n);
int64_t sluice_ctx_malformed(const struct sluice_ctx *ctx);
void sluice_ctx_log(const struct sluice_ctx *ctx, enum sluice_log_level level, const char *fmt, ...)
    SLUICE_PRINTF(3, 4);
/* Frees what the ctx owns (output schema, used paths, pass map). */
void sluice_ctx_free(struct sluice_ctx *ctx);

#endif
