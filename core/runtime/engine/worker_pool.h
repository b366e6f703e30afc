/* core/runtime/engine/worker_pool.h — the run's worker threads, made once.
 *
 * A batch's units are read on worker threads. Making and joining threads
 * every batch costs more than a small batch's work, and new threads start
 * with cold per-thread caches (the expression evaluator keeps its scratch
 * arena per thread), so a run keeps its workers for its whole life and
 * hands each batch to all of them at once: sluice_worker_pool_start runs
 * fn(arg) on every worker, sluice_worker_pool_join waits until each has
 * returned. Between batches the workers sleep on a condition variable.
 *
 * Ownership: the pool is the caller's (sluice_worker_pool_free joins the
 * threads). Threads: start, join and free from one thread, the run's. */
#ifndef SLUICE_CORE_WORKER_POOL_H
#define SLUICE_CORE_WORKER_POOL_H

#include <stddef.h>

struct sluice_worker_pool;

/* `n` workers; fewer when the system refuses threads (0 is possible: the
 * caller then does the work itself). */
struct sluice_worker_pool *sluice_worker_pool_new(size_t n);
size_t sluice_worker_pool_size(const struct sluice_worker_pool *p);
/* Run fn(arg) on every worker; returns at once. One job at a time. */
void sluice_worker_pool_start(struct sluice_worker_pool *p, void (*fn)(void *arg), void *arg);
/* Wait until every worker has returned from the job. */
void sluice_worker_pool_join(struct sluice_worker_pool *p);
void sluice_worker_pool_free(struct sluice_worker_pool *p);

#endif
