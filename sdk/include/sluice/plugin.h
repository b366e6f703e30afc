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
 * added at the end; the core reads a field only when `size` covers it. Every
 * integer in an ABI struct has a fixed width (an enum's value is stored in a
 * uint32_t), so a plugin's compiler flags cannot change the layout;
 * tests/unit/test_abi_layout.c pins every offset.
 *
 * Callbacks per kind (the loader refuses a plugin missing a required one,
 * naming it):
 *   source      open close prepare latest_offset plan_read read; commit, wait optional
 *   transform   open close process
 *   sink        open close begin write end
 *   aggregator  bind init update merge finalize serialize deserialize;
 *               unbind optional; destroy required when bind sets has_destroy
 *
 * Rows and slots: a "row" is a logical index, counted from an array's
 * `offset` as Arrow's row numbers are (update's i, append_from, array_take);
 * a "slot" is a physical index into an array's buffers, offset already added
 * (what sluice_col_locate finds and the sluice_get_* getters read). */
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

/* 2: fixed-width fields, typed aggregator parameters, aggregator callbacks
 * that take the host and report errors, state versions, option bounds.
 * The loader refuses a plugin built for another version, saying to rebuild
 * it against this SDK. */
#define SLUICE_ABI_VERSION 2

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

/* An option's own check, after the core converted the value and checked
 * its type and bounds: `value` points at it as the conf struct holds it
 * (an int64_t for a LONG, a const char * for a STRING, ...). Return
 * SLUICE_OK, or SLUICE_ECONFIG with a message naming the bad value
 * (host->error); the core adds the file, line, stage and key. Called on
 * the main thread when a config is loaded, for defaults too. */
typedef int (*sluice_option_validate_fn)(const struct sluice_host *host, const void *value,
                                         struct sluice_error *err);

/* One row of an option table; the table ends with a zeroed row. The loader
 * refuses a table with duplicate names, names the core reads itself (name,
 * input, source, transform, sink, aggregate, output_mode, watermark), a
 * default or bound that does not convert, or a default out of bounds. */
struct sluice_option {
    const char *name;
    uint32_t type;             /* enum sluice_option_type */
    const char *default_value; /* as written in a config ("1", "json", "10 seconds"); NULL: none */
    uint32_t flags;            /* enum sluice_option_flags */
    size_t offset;             /* where the value goes in the conf struct */
    const char *help;          /* one line, for `sluice plugins NAME` */
    const char *choices;       /* SLUICE_OPT_ENUM: "a|b|c" */
    /* LONG, DOUBLE, DURATION: the smallest and largest values accepted,
     * written as values are ("1", "0.5", "1 second"); NULL: no bound. A
     * value outside them is refused naming the option and the range. */
    const char *min;
    const char *max;
    sluice_option_validate_fn validate; /* NULL: none */
};

/* A literal argument of an aggregate function after the first, parsed by
 * the core: approx_count_distinct(x, 0.01) gives one DOUBLE, stddev(x,
 * 'pop') one STRING "pop". A constant expression is evaluated
 * (-0.5, CAST('1' AS LONG)); an argument reading a column is refused
 * before bind is called. Borrowed for the call to bind. */
struct sluice_agg_param {
    int32_t type;     /* SLUICE_TYPE_LONG, _DOUBLE, _STRING, _BOOLEAN or _TIMESTAMP;
                       * SLUICE_TYPE_INVALID for the literal null */
    int32_t reserved; /* zero */
    int64_t l;        /* LONG, TIMESTAMP (µs), BOOLEAN (0 or 1): the value */
    double d;         /* LONG or DOUBLE: the value as a double */
    const char *s;    /* STRING: the value, unquoted, NUL-terminated; else NULL */
    size_t len;       /* STRING: its length in bytes */
    const char *text; /* the argument as written, for messages */
};

/* What an aggregator's bind() tells the core about one use of it. */
struct sluice_agg_info {
    const char *result_format; /* Arrow format of the result (SLUICE_FORMAT_LONG, ...) */
    size_t state_size;         /* bytes of per-group state the core allocates (8-byte aligned); > 0 */
    bool has_destroy;          /* state owns heap memory: call destroy() when a group dies */
};

/* A source hands each batch it reads to the core through this. The core
 * takes ownership of *batch. May be called from the thread running read(). */
typedef int (*sluice_emit_fn)(void *emit_arg, struct sluice_batch *batch, struct sluice_error *err);

/* Whether plugin descriptor `p` has `field` (one added after ABI 2): the
 * size it was built with covers the field. */
#define SLUICE_PLUGIN_HAS(p, field) \
    ((p)->size >= offsetof(struct sluice_plugin, field) + sizeof((p)->field))

/* What `sluice cat` asks a sink's read_committed for. */
struct sluice_read_request {
    uint32_t size;       /* sizeof(struct sluice_read_request) as the core saw it */
    const char *path;    /* where the sink wrote: its `path` option */
    int64_t batch;       /* only this micro-batch; -1: every committed one */
    bool ignore_damaged; /* emit what can be read of a damaged output, still failing at the end */
};

struct sluice_plugin {
    uint32_t abi_version;   /* SLUICE_ABI_VERSION the plugin was built against */
    uint32_t size;          /* sizeof(struct sluice_plugin) as the plugin saw it */
    uint32_t kind;          /* enum sluice_kind */
    uint32_t modes;         /* sinks: the output modes accepted (enum sluice_output_mode bits);
                             * 0 means append only */
    uint32_t state_version; /* aggregators: the format serialize() writes (0 counts as 1); stored
                             * with every saved state and handed back to deserialize() */
    const char *name;       /* what configs write: source = "file" */
    const char *summary;    /* one line for `sluice plugins` */
    const struct sluice_option *options;
    size_t conf_size;       /* bytes of the conf struct the core fills */

    /* ---- every kind but aggregators (main thread, once) ---- */
    /* Validate `conf`, declare the output schema (sources, transforms) and the
     * columns read (transforms, sinks), and create *state. `host` and `conf`
     * (and the strings in it) live as long as the stage: keep them in *state.
     * `sluice check` calls open (and a source's prepare) too, then close. */
    int (*open)(const struct sluice_host *host, const void *conf, struct sluice_ctx *ctx,
                void **state, struct sluice_error *err);
    /* Free what open created. Called once, also after a failed run; never after a failed open. */
    void (*close)(void *state);

    /* ---- sources: Spark's micro-batch source protocol (main thread but read) ----
     * Order: open, prepare, then per batch latest_offset, plan_read, read
     * (per unit), commit. On recovery from a checkpoint, a batch that was
     * planned but not committed runs again first, exactly as planned:
     * plan_read(its start, its end) comes right after prepare, before any
     * latest_offset, so everything plan_read needs to turn offsets into rows
     * must be known once prepare returns (read it from host->meta_scan). */
    /* Once before the first batch: the columns to produce. With
     * runtime.checkpoint the source's metadata (host->meta_*) is readable
     * here; `sluice check` calls prepare too, and there meta_put and
     * meta_trim store nothing (a check never changes a checkpoint). */
    int (*prepare)(void *state, const struct sluice_projection *projection, struct sluice_error *err);
    /* The latest offset available after `start` (NULL: from the
     * beginning) as JSON text in *out, honouring the source's own per-trigger
     * limit when `limited`. Leave *out empty when there is no data at all. */
    int (*latest_offset)(void *state, const char *start, bool limited, struct sluice_buf *out,
                         struct sluice_error *err);
    /* Plan reading (start, end] as *n_units independent units (files,
     * chunks). Must be replayable: the same offsets give the same rows. */
    int (*plan_read)(void *state, const char *start, const char *end, size_t *n_units,
                     struct sluice_error *err);
    /* Any worker thread, concurrently for different units of the current plan:
     * read one unit, passing each batch to emit. SLUICE_EAGAIN asks for the
     * unit to be read again: what it emitted so far is dropped first. */
    int (*read)(void *state, size_t unit, sluice_emit_fn emit, void *emit_arg,
                struct sluice_error *err);
    /* Optional. Every batch up to `end` is durably processed; data before
     * it may be forgotten. NULL: nothing to forget (Spark's default). */
    int (*commit)(void *state, const char *end, struct sluice_error *err);
    /* Optional. When a trigger of "0 seconds" found no new data: block
     * until the source may have new data, `timeout_us` passes, or `wake_fd`
     * (when >= 0; never read it) turns readable because the run is stopping.
     * Returning early is always allowed: the core then asks latest_offset
     * again. NULL: the core polls latest_offset every 10 ms. A non-zero
     * status fails the run. */
    int (*wait)(void *state, int64_t timeout_us, int wake_fd, struct sluice_error *err);

    /* ---- transforms ---- */
    /* Any worker thread, concurrently: turn *in into *out (initialised by
     * the callee). *in is the callee's: move columns out of it or release
     * it. Whatever is left in *in, and in *out on failure, the core
     * releases, so an error path may simply return. */
    int (*process)(void *state, struct sluice_batch *in, struct sluice_batch *out,
                   struct sluice_error *err);

    /* ---- sinks (main thread, in batch order) ---- */
    /* A micro-batch begins; `mode` is an enum sluice_output_mode. A batch id
     * seen before must be made harmless (replay after a crash). */
    int (*begin)(void *state, int64_t batch_id, uint32_t mode, struct sluice_error *err);
    /* Some of the batch's rows; *batch is the callee's to release. Called
     * zero or more times. To be called again with the same rows, return
     * SLUICE_EAGAIN leaving *batch as it was. */
    int (*write)(void *state, struct sluice_batch *batch, struct sluice_error *err);
    /* The micro-batch is complete: make it visible/durable. */
    int (*end)(void *state, int64_t batch_id, struct sluice_error *err);

    /* ---- aggregators: one aggregate function, e.g. avg(x) ----
     * The core owns the groups: it keeps `state_size` bytes per group in its
     * hash tables, calls init on a new group, update per batch (vectorised),
     * merge to combine partial states from worker threads, finalize to emit,
     * serialize/deserialize to checkpoint. State must be position-independent
     * (no pointers into itself) because the core moves it. A callback that
     * fails stops the run (exit 1); states are destroyed as usual after it,
     * so leave them destroyable. */
    /* Main thread, at load: check the argument type (`arg` is the schema of
     * the evaluated argument, NULL for f(*)), read any further literal
     * arguments (`params`, parsed), and describe the state. *bound is the
     * plugin's per-use data, passed to every other call. */
    int (*bind)(const struct sluice_host *host, const struct ArrowSchema *arg,
                const struct sluice_agg_param *params, size_t n_params, void **bound,
                struct sluice_agg_info *info, struct sluice_error *err);
    void (*unbind)(void *bound); /* optional */
    /* Set every byte of a new group's state (the memory is not zeroed). */
    void (*init)(const void *bound, void *state);
    /* Any worker thread: fold row i of `arg` (NULL for f(*)) into states[i],
     * for i in [0, n). A NULL states[i] skips the row. */
    int (*update)(const struct sluice_host *host, const void *bound, void *const *states,
                  const struct ArrowArray *arg, int64_t n, struct sluice_error *err);
    /* dst += src; src stays valid (the core destroys it). */
    int (*merge)(const struct sluice_host *host, const void *bound, void *dst, const void *src,
                 struct sluice_error *err);
    /* Append the group's result to `out`, a builder of result_format: exactly one value or null. */
    int (*finalize)(const struct sluice_host *host, const void *bound, const void *state,
                    struct sluice_builder *out, struct sluice_error *err);
    /* Append the state's bytes, in format `state_version`, to *out. */
    int (*serialize)(const struct sluice_host *host, const void *bound, const void *state,
                     struct sluice_buf *out, struct sluice_error *err);
    /* Restore a state from bytes serialize() wrote in format `version` (at
     * most the plugin's state_version: the core refuses newer ones) into
     * uninitialised `state` (the core does not call init first). */
    int (*deserialize)(const struct sluice_host *host, const void *bound, void *state, uint32_t version,
                       const char *data, size_t len, struct sluice_error *err);
    /* Free what the state owns (only when info.has_destroy). */
    void (*destroy)(const void *bound, void *state);

    /* ---- sinks, optional (added after ABI 2: check SLUICE_PLUGIN_HAS) ----
     * Read back what the sink committed at req->path, for `sluice cat`: the
     * output's format is the sink's alone, so only it can tell committed
     * rows from a crashed batch's leftovers (Spark's file source reads a
     * file sink's output through the sink's log the same way). Emit the
     * committed rows in batch order; never rows of a batch that did not
     * commit. Damage (the sink defines it: a lost file, a count that does
     * not match) is never skipped in silence: name each damaged batch
     * through host->log, emit nothing unless req->ignore_damaged, and fail
     * with SLUICE_EDATA at the end either way. SLUICE_ECONFIG when the path
     * is not this sink's output or req->batch is not committed. Called
     * without open(): `host` and `req` are all there is. Main thread. */
    int (*read_committed)(const struct sluice_host *host, const struct sluice_read_request *req,
                          sluice_emit_fn emit, void *emit_arg, struct sluice_error *err);
};

typedef const struct sluice_plugin *(*sluice_plugin_entry_fn)(void);

/* The one symbol a plugin exports; declared here so every definition is
 * checked against it. */
SLUICE_EXPORT const struct sluice_plugin *sluice_plugin_v1(void);

#endif /* SLUICE_PLUGIN_H */
