/* sluice/plugin.h — everything a plugin includes.
 *
 * A plugin is a shared object exporting one symbol, sluice_plugin_v1, that
 * returns a const descriptor: ABI version, kind, name, summary, option table
 * and callbacks. The core validates a stage's config against the option
 * table, writes the values into a conf struct of `conf_size` bytes at each
 * option's `offset`, and calls the callbacks. See sdk/README.md for the
 * lifecycle of each kind, on which thread each callback runs, and who owns
 * what.
 *
 * ABI rules: the descriptor starts with abi_version and size; fields are only
 * added at the end; the core reads a field only when `size` covers it. */
#ifndef SLUICE_PLUGIN_H
#define SLUICE_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/arrow.h>
#include <sluice/batch.h>
#include <sluice/buf.h>
#include <sluice/error.h>
#include <sluice/host.h>
#include <sluice/types.h>

#define SLUICE_ABI_VERSION 1

#if defined(_WIN32)
#define SLUICE_EXPORT __declspec(dllexport)
#else
#define SLUICE_EXPORT __attribute__((visibility("default")))
#endif

enum sluice_kind {
    SLUICE_KIND_SOURCE = 1,
    SLUICE_KIND_TRANSFORM = 2,
    SLUICE_KIND_AGGREGATOR = 3,
    SLUICE_KIND_SINK = 4,
};

/* Output modes, also used as a bit set in sluice_plugin.modes. */
enum sluice_output_mode {
    SLUICE_MODE_APPEND = 1,
    SLUICE_MODE_UPDATE = 2,
    SLUICE_MODE_COMPLETE = 4,
};

/* Option types and the C type the core writes at `offset`. */
enum sluice_option_type {
    SLUICE_OPT_STRING = 1,  /* const char *  (NULL when absent without default) */
    SLUICE_OPT_LONG,        /* int64_t */
    SLUICE_OPT_DOUBLE,      /* double (an integer in the config is accepted) */
    SLUICE_OPT_BOOL,        /* bool */
    SLUICE_OPT_DURATION,    /* int64_t microseconds, from "10 seconds", "500ms", ... */
    SLUICE_OPT_ENUM,        /* const char *, one of `choices` */
    SLUICE_OPT_SCHEMA,      /* const struct ArrowSchema *: Spark JSON, DDL or @file, parsed by the core */
    SLUICE_OPT_EXPR,        /* const char *: an expression, compiled by the plugin */
    SLUICE_OPT_STRING_LIST, /* struct sluice_strlist */
};

enum sluice_option_flags {
    SLUICE_OPT_OPTIONAL = 0,
    SLUICE_OPT_REQUIRED = 1,
};

struct sluice_strlist {
    const char *const *items;
    size_t n;
};

/* One row of an option table; the table ends with a zeroed row. */
struct sluice_option {
    const char *name;
    enum sluice_option_type type;
    const char *default_value; /* as written in a config ("1", "json", "10 seconds"); NULL: none */
    int flags;                 /* enum sluice_option_flags */
    size_t offset;             /* where the value goes in the conf struct */
    const char *help;          /* one line, for `sluice plugins NAME` */
    const char *choices;       /* SLUICE_OPT_ENUM: "a|b|c" */
};

/* What an aggregator's bind() tells the core about one use of it. */
struct sluice_agg_info {
    const char *result_format; /* Arrow format of the result (SLUICE_FORMAT_LONG, ...) */
    size_t state_size;         /* bytes of per-group state the core allocates (8-byte aligned) */
    bool has_destroy;          /* state owns heap memory: call destroy() when a group dies */
};

/* A source hands each batch it reads to the core through this. The core
 * takes ownership of *batch. May be called from the thread running read(). */
typedef int (*sluice_emit_fn)(void *emit_arg, struct sluice_batch *batch, struct sluice_error *err);

struct sluice_plugin {
    uint32_t abi_version; /* SLUICE_ABI_VERSION the plugin was built against */
    uint32_t size;        /* sizeof(struct sluice_plugin) as the plugin saw it */
    enum sluice_kind kind;
    const char *name;     /* what configs write: source = "file" */
    const char *summary;  /* one line for `sluice plugins` */
    const struct sluice_option *options;
    size_t conf_size;     /* bytes of the conf struct the core fills */
    unsigned modes;       /* sinks: the output modes accepted (enum sluice_output_mode bits) */

    /* ---- every kind but aggregators (main thread, once) ---- */
    /* Validate `conf`, declare the output schema (sources, transforms) and the
     * columns read (transforms, sinks), and create *state. `host` and `conf`
     * (and the strings in it) live as long as the stage: keep them in *state. */
    int (*open)(const struct sluice_host *host, const void *conf, struct sluice_ctx *ctx,
                void **state, struct sluice_error *err);
    /* Free what open created. Called once, also after a failed run; never after a failed open. */
    void (*close)(void *state);

    /* ---- sources: Spark's micro-batch source protocol ---- */
    /* Main thread, once before the first batch: the columns to produce. */
    int (*prepare)(void *state, const struct sluice_projection *projection, struct sluice_error *err);
    /* Main thread: the latest offset available after `start` (NULL: from the
     * beginning) as JSON text in *out, honouring the source's own per-trigger
     * limit when `limited`. Leave *out empty when there is no data at all. */
    int (*latest_offset)(void *state, const char *start, bool limited, struct sluice_buf *out,
                         struct sluice_error *err);
    /* Main thread: plan reading (start, end] as *n_units independent units
     * (files, chunks). Must be replayable: the same offsets give the same rows. */
    int (*plan_read)(void *state, const char *start, const char *end, size_t *n_units,
                     struct sluice_error *err);
    /* Any worker thread, concurrently for different units of the current plan:
     * read one unit, passing each batch to emit. */
    int (*read)(void *state, size_t unit, sluice_emit_fn emit, void *emit_arg,
                struct sluice_error *err);
    /* Main thread: every batch up to `end` is durably processed; data before it may be forgotten. */
    int (*commit)(void *state, const char *end, struct sluice_error *err);

    /* ---- transforms ---- */
    /* Any worker thread, concurrently: turn *in (the callee's, to release or
     * move from) into *out (initialised by the callee). */
    int (*process)(void *state, struct sluice_batch *in, struct sluice_batch *out,
                   struct sluice_error *err);

    /* ---- sinks (main thread, in batch order) ---- */
    /* A micro-batch begins. A batch id seen before must be made harmless (replay after a crash). */
    int (*begin)(void *state, int64_t batch_id, enum sluice_output_mode mode, struct sluice_error *err);
    /* Some of the batch's rows; *batch is the callee's to release. Called zero or more times. */
    int (*write)(void *state, struct sluice_batch *batch, struct sluice_error *err);
    /* The micro-batch is complete: make it visible/durable. */
    int (*end)(void *state, int64_t batch_id, struct sluice_error *err);

    /* ---- aggregators: one aggregate function, e.g. avg(x) ----
     * The core owns the groups: it keeps `state_size` bytes per group in its
     * hash tables, calls init on a new group, update per batch (vectorised),
     * merge to combine partial states from worker threads, finalize to emit,
     * serialize/deserialize to checkpoint. State must be position-independent
     * (no pointers into itself) because the core moves it. */
    /* Main thread, at load: check the argument type (`arg` is the schema of
     * the evaluated argument, NULL for f(*)), read any further literal
     * arguments (`params`, as written: approx_count_distinct(x, 0.01) gives
     * "0.01"), and describe the state. *bound is the plugin's per-use data,
     * passed to every other call. */
    int (*bind)(const struct sluice_host *host, const struct ArrowSchema *arg,
                const char *const *params, size_t n_params, void **bound,
                struct sluice_agg_info *info, struct sluice_error *err);
    void (*unbind)(void *bound);
    void (*init)(const void *bound, void *state);
    /* Any worker thread: fold row i of `arg` (physical slot arg->offset + i;
     * NULL for f(*)) into states[i], for i in [0, n). A NULL states[i] skips the row. */
    void (*update)(const void *bound, void *const *states, const struct ArrowArray *arg, int64_t n);
    /* dst += src; src stays valid (the core destroys it). */
    void (*merge)(const void *bound, void *dst, const void *src);
    /* Append the group's result to `out`, a builder of result_format. */
    void (*finalize)(const void *bound, const void *state, struct sluice_builder *out);
    int (*serialize)(const void *bound, const void *state, struct sluice_buf *out, struct sluice_error *err);
    /* Restore a state from serialize()'s bytes into uninitialised `state`
     * (the core does not call init first). */
    int (*deserialize)(const void *bound, void *state, const char *data, size_t len,
                       struct sluice_error *err);
    /* Free what the state owns (only when info.has_destroy). */
    void (*destroy)(const void *bound, void *state);

    /* ---- sources, optional ---- */
    /* Main thread, when a trigger of "0 seconds" found no new data: block
     * until the source may have new data, `timeout_us` passes, or `wake_fd`
     * (when >= 0; never read it) turns readable because the run is stopping.
     * Returning early is always allowed: the core then asks latest_offset
     * again. NULL: the core polls latest_offset every 10 ms. A non-zero
     * status fails the run. */
    int (*wait)(void *state, int64_t timeout_us, int wake_fd, struct sluice_error *err);
};

typedef const struct sluice_plugin *(*sluice_plugin_entry_fn)(void);

/* The one symbol a plugin exports; declared here so every definition is
 * checked against it. */
SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void);

#endif /* SLUICE_PLUGIN_H */
