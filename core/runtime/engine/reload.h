/* core/runtime/engine/reload.h — reloading a running pipeline's config
 * (SIGHUP, POST /reload) without losing its state.
 *
 * A reload is a restart from the checkpoint that the running pipeline
 * checks first: the config is read again and loaded (not opened) beside
 * the running graph, and refused — the old pipeline running on untouched —
 * when it does not load, when the pipeline has no checkpoint to continue
 * from, or when it changes what the saved state means (the checkpoint
 * fingerprint: sources, grouping keys, aggregates, windows, watermark
 * columns, shuffle partitions), naming every difference. An accepted one
 * asks the run to stop after its batch; the caller of the run then hands
 * the memory tables and progress over to the new graph, frees the old
 * one, opens the new one (which resumes from the checkpoint, exactly
 * once, like any restart) and runs it: stateless changes (a filter, a
 * sink's options, a new sink, the trigger) apply from the next batch.
 *
 * Threads: request from any thread but the run's (the REST server's, a
 * signal-watching thread); the rest from the run's thread. */
#ifndef SLUICE_CORE_RELOAD_H
#define SLUICE_CORE_RELOAD_H

#include <stddef.h>

#include <sluice/error.h>

struct sluice_graph;
struct sluice_stop;

struct sluice_reload;

/* Reloads read `config` with the same --set overrides (both borrowed for
 * the reload's life) and stop runs through `stop`. */
struct sluice_reload *sluice_reload_new(const char *config, const char *const *overrides, size_t n_overrides,
                                        struct sluice_stop *stop);
void sluice_reload_free(struct sluice_reload *r);

/* The graph running now (opened), or NULL between runs: requests compare
 * against it. Waits for a request in progress to finish with it. */
void sluice_reload_set_running(struct sluice_reload *r, const struct sluice_graph *g);

/* Load the config again and check it. SLUICE_OK: accepted, the run stops
 * after its batch; SLUICE_ECONFIG: refused, `err` says why (the config's
 * own error, or every difference) and nothing changes. */
int sluice_reload_request(struct sluice_reload *r, struct sluice_error *err);

/* The accepted graph (loaded, not opened), or NULL: the caller's. */
struct sluice_graph *sluice_reload_take(struct sluice_reload *r);

/* Why `next` cannot replace the running `now`, or SLUICE_OK. */
int sluice_reload_check(const struct sluice_graph *now, const struct sluice_graph *next, struct sluice_error *err);

#endif
