/* core/runtime/agg/agg_plan.h — an aggregation compiled from text (DESIGN §5).
 *
 * The caller gives grouping keys and aggregate calls as a user writes them
 * (`data.lang AS lang`; `count(*) AS count`, `avg(x)`, `count(DISTINCT h)`,
 * `approx_count_distinct(x, 0.01)`), how keys form grouping sets (group by,
 * cube, rollup) and where aggregate functions come from. The plan compiles
 * every key and argument as an expression against the input schema, binds
 * each aggregator to its argument's type, lays out the per-group state
 * block, and names the output columns as Spark does: keys by their alias or
 * Spark's name (`lang` for data.lang), then aggregates by their alias or
 * Spark's name (`count(1)` for count(*), `avg(data.public_metrics.like_count)`,
 * `count(DISTINCT hashtag)`).
 *
 * With a window (window.h) the plan's first key is the window: keys[0] is
 * its time column, a timestamp, and output column 0 is `window`, a struct
 * {start, end} that every grouping set holds (cube and rollup roll up the
 * other keys, within each window).
 *
 * Used by the aggregate stage and by anything else that groups a batch
 * (`sluice query`'s GROUP BY): nothing here knows about configs or graphs.
 *
 * Errors are SLUICE_ECONFIG (SLUICE_EPLUGIN for an unfit aggregator) with
 * the entry as err->excerpt and err->position at the fault; *where says
 * which entry it was, so the caller can point at its config line.
 *
 * Ownership: the plan owns its compiled expressions, the aggregators'
 * bound data and its output schema; it borrows the input schema and the
 * aggregator plugins, which must outlive it. After sluice_agg_plan_new the
 * plan is read-only, so worker threads may share it. */
#ifndef SLUICE_CORE_AGG_PLAN_H
#define SLUICE_CORE_AGG_PLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/plugin.h>

#include "window.h"

struct sluice_expr;

enum sluice_agg_grouping {
    SLUICE_AGG_GROUP_BY = 0, /* one grouping set: every key (none: one global group) */
    SLUICE_AGG_CUBE,         /* every subset of the keys, Spark's order */
    SLUICE_AGG_ROLLUP,       /* every prefix of the keys, longest first */
};

/* cube builds 2^n grouping sets; Spark's own limit on grouping columns is
 * far above what is useful, this one keeps set ids in 16 bits. */
#define SLUICE_AGG_MAX_CUBE_KEYS 12
#define SLUICE_AGG_MAX_KEYS 32

/* Where aggregate functions come from: the engine looks them up in the
 * plugin registry, tests and other callers may use a table of their own. */
struct sluice_agg_catalog {
    /* The aggregator named `name` (lower case; count(DISTINCT x) asks for
     * "count_distinct"), or NULL when there is none. May load a plugin. */
    const struct sluice_plugin *(*find)(void *arg, const char *name);
    /* Every aggregator name known, for suggestions (NULL: none). */
    size_t (*names)(void *arg, const char *const **names);
    void *arg;
};

struct sluice_agg_spec {
    enum sluice_agg_grouping grouping;
    const char *const *keys; /* expressions, each optionally `AS alias` */
    size_t n_keys;
    const char *const *aggs; /* `func(arg [, literal]...) [AS alias]`, `func(*)`, `count(DISTINCT x)` */
    size_t n_aggs;
    const char *window_column; /* a timestamp expression, or NULL: no window */
    struct sluice_window window;
};

struct sluice_agg_where {
    bool in_keys;   /* the entry was a key (else an aggregate) */
    size_t index;   /* its index in that list */
    bool in_window; /* it was the window (in_keys and index then mean nothing) */
};

struct sluice_agg_call {
    const struct sluice_plugin *fn;
    void *bound;                /* from fn->bind */
    struct sluice_agg_info info;
    int64_t arg;                /* index into plan->args; -1 for f(*) */
    size_t offset;              /* of the call's state inside a group's block */
};

struct sluice_agg_plan {
    struct sluice_expr **keys;  /* key expressions; each names its output column, but
                                 * keys[0] of a windowed plan is the window's time column */
    size_t n_keys;
    char **key_paths;           /* per key: the column a bare `path [AS alias]` names, in
                                 * projection form, else NULL (event time must be such a
                                 * column for a watermark to close its groups, as in Spark) */
    bool windowed;
    struct sluice_window window;
    size_t n_passes;            /* windows a row may fall in (1 without a window) */
    struct sluice_expr **args;  /* distinct argument expressions (avg(x), max(x) share x) */
    size_t n_args;
    struct sluice_agg_call *calls;
    size_t n_calls;
    uint32_t *sets;             /* grouping sets: bit k set when key k is grouped */
    size_t n_sets;
    size_t state_size;          /* bytes per group: every call's state, 8-aligned */
    bool has_destroy;           /* some call's state owns memory */
    struct ArrowSchema output;  /* owned: keys, then one column per call */
};

/* On SLUICE_OK *out is the caller's to free with sluice_agg_plan_free; on
 * error *out is NULL and *where (may be NULL) names the entry. */
int sluice_agg_plan_new(const struct sluice_agg_spec *spec, const struct ArrowSchema *input,
                        const struct sluice_agg_catalog *catalog, struct sluice_agg_plan **out,
                        struct sluice_agg_where *where, struct sluice_error *err);
void sluice_agg_plan_free(struct sluice_agg_plan *p);

/* Every input path the plan reads, in projection form, each once; the
 * array (not the strings) is the caller's to free. */
const char **sluice_agg_plan_columns(const struct sluice_agg_plan *p, size_t *n);

#endif
