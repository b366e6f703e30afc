/* core/runtime/engine/engine.h — the micro-batch loop.
 *
 * Per trigger, for each source: ask for the latest offset; if it moved,
 * plan the read, run each unit (on worker threads) through the stages below
 * the source, hand the results to every sink in batch order (begin, write,
 * end), then commit the source. Batch ids count from 0 and advance only for
 * batches that ran. A stop request lets the current batch finish, then the
 * run returns SLUICE_OK. No state outlives the call but the graph's. */
#ifndef SLUICE_CORE_ENGINE_H
#define SLUICE_CORE_ENGINE_H

#include <stdint.h>

#include "graph.h"

struct sluice_progress_batch;

/* Who watches a run (the CLI's status line, tests): called on the main
 * thread; any member may be NULL. */
struct sluice_run_observer {
    void (*batch_started)(void *arg);  /* before a batch runs (its sinks may print) */
    void (*batch_committed)(void *arg, const struct sluice_progress_batch *b);
    void (*run_ended)(void *arg);
    void *arg;
};

struct sluice_stop;

struct sluice_run_opts {
    int64_t max_batches;                        /* stop after this many batches; 0: no limit */
    const struct sluice_run_observer *observer; /* or NULL */
    struct sluice_stop *stop;                   /* stop.h; NULL: the run ends only by itself */
    bool check_batches;                         /* validate every batch a source or transform
                                                 * emits (validate.h): slow, for plugin authors */
};

/* Run an opened graph until its trigger says stop, `opts->stop` is
 * requested (the batch running then finishes), or an error. The run's
 * worker threads (runtime.threads) live as long as the call. `opts` may be
 * NULL. */
int sluice_engine_run(struct sluice_graph *g, const struct sluice_run_opts *opts,
                      struct sluice_error *err);

#endif
