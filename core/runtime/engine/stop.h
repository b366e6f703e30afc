/* core/runtime/engine/stop.h — asking a run to stop after its batch.
 *
 * A stop is a flag and a self-pipe. Requesting it is async-signal-safe, so
 * the CLI's SIGINT/SIGTERM handler can do it, and it wakes whatever the run
 * is blocked in at once: the trigger loop's sleep, or a source's wait(),
 * which polls sluice_stop_fd. The run finishes its batch and returns.
 *
 * Ownership: the caller of sluice_engine_run makes and frees it; it must
 * outlive the run. Threads: request from any thread or a signal handler;
 * the rest from the run's thread. */
#ifndef SLUICE_CORE_STOP_H
#define SLUICE_CORE_STOP_H

#include <stdbool.h>
#include <stdint.h>

struct sluice_stop;

struct sluice_stop *sluice_stop_new(void);
void sluice_stop_free(struct sluice_stop *s);
/* Async-signal-safe; idempotent. */
void sluice_stop_request(struct sluice_stop *s);
bool sluice_stop_requested(const struct sluice_stop *s);
/* Take back a request once it has been served (a reload's stop, before the
 * reloaded pipeline runs). The run's thread. */
void sluice_stop_clear(struct sluice_stop *s);
/* Readable once a stop was requested; -1 when no pipe could be made (the
 * flag then still works, and sleeps wake within 50 ms). */
int sluice_stop_fd(const struct sluice_stop *s);
/* Sleep until `deadline` (monotonic µs) or a stop request, whichever is first. */
void sluice_stop_sleep_until(const struct sluice_stop *s, int64_t deadline);

#endif
