/* core/runtime/plugin/ctx.h — the context a stage's plugin sees.
 *
 * A plugin holds an opaque `struct sluice_ctx *`; the host table's stage
 * functions (stage_name, input_schema, set_output_schema, use_column, ...)
 * are the sluice_ctx_* functions below. What a stage declares in open()
 * (its output schema, the input columns it reads, the columns it passes
 * through) is what the graph uses to type every edge and to compute each
 * source's projection.
 *
 * The stage holds its ctx; the ctx owns what was declared into it (output
 * schema, used paths, pass map, metadata folder) until sluice_ctx_free.
 * The declaration functions are for open(), on the main thread;
 * sluice_ctx_count_malformed may be called from any thread. */
#ifndef SLUICE_CORE_CTX_H
#define SLUICE_CORE_CTX_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/plugin.h>

struct sluice_stage;
struct sluice_tables;

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
    atomic_int_least64_t invalid_utf8;      /* invalid UTF-8 sequences a source's decoding replaced */
    struct sluice_tables *tables;           /* the graph's memory tables (host table_open) */
    char *meta_dir;                         /* sources: checkpoint metadata folder, or NULL (owned) */
    bool meta_dir_made;
    bool meta_readonly;                     /* `sluice check`: meta_put and meta_trim store nothing */
    bool ckpt_locked;                       /* sources: the query's checkpoint lock, taken before
                                             * prepare; the checkpoint adopts it when it opens */
    int ckpt_lock_fd;                       /* valid when ckpt_locked (owned) */
    /* runtime.group (ctx_group.c): set before open() for every stage. */
    const char *group, *member;             /* NULL group: not a member */
    bool group_joined;                      /* the source called host->group_join in open() */
    char *group_fingerprint;                /* what members must agree on (owned), once the query opens */
    int64_t parallelism;                    /* runtime.threads, set before open() (host->parallelism) */
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
void sluice_ctx_count_invalid_utf8(struct sluice_ctx *ctx, int64_t n);
int64_t sluice_ctx_invalid_utf8(const struct sluice_ctx *ctx);
/* host->group_join, group_fingerprint and group_check (ctx_group.c). */
/* host->parallelism: the worker threads of the stage's pipeline. */
int64_t sluice_ctx_parallelism(const struct sluice_ctx *ctx);
const char *sluice_ctx_group_join(struct sluice_ctx *ctx, const char **member);
const char *sluice_ctx_group_fingerprint(const struct sluice_ctx *ctx);
int sluice_ctx_group_check(struct sluice_ctx *ctx, const char *other, struct sluice_error *err);
/* The engine sets the fingerprint when it opens the query: compact JSON of
 * the pipeline's fingerprint (checkpoint_meta.h), or its XXH64 when that
 * is too long to travel in Kafka's commit metadata. */
void sluice_ctx_set_group_fingerprint(struct sluice_ctx *ctx, const char *json);

void sluice_ctx_log(const struct sluice_ctx *ctx, enum sluice_log_level level, const char *fmt, ...)
    SLUICE_PRINTF(3, 4);
/* Frees what the ctx owns (output schema, used paths, pass map, metadata
 * folder, a checkpoint lock still held). */
void sluice_ctx_free(struct sluice_ctx *ctx);

#endif
