/* core/runtime/engine/retry.h — calling a source's or a sink's callback
 * again after SLUICE_EAGAIN (sluice/error.h).
 *
 * A callback returning SLUICE_EAGAIN says its failure may pass (a server
 * busy, a disk being freed): the engine waits and calls it again, at most
 * runtime.retry_limit times, the wait starting at runtime.retry_backoff
 * and doubling up to SLUICE_RETRY_MAX_WAIT_US, as Fluent Bit's retries
 * do. Each retry is logged as a warning naming the stage, the callback and
 * the plugin's message, and counted in the batch's progress record
 * (numRetries). A stop request cuts the wait short and gives up. Any other
 * status, or SLUICE_EAGAIN once the retries are used up, is the callback's
 * answer. Retried: a source's latest_offset, plan_read, read (its unit is
 * read again from the start, what it emitted dropped) and commit; a sink's
 * begin, write (with the batch it left in place) and end.
 *
 * Threads: any; a unit's read retries on its worker thread. The policy is
 * read-only; the caller counts. */
#ifndef SLUICE_CORE_RETRY_H
#define SLUICE_CORE_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include <sluice/error.h>

#define SLUICE_RETRY_LIMIT_DEFAULT 5
#define SLUICE_RETRY_BACKOFF_DEFAULT_US 100000
#define SLUICE_RETRY_MAX_WAIT_US 30000000

struct sluice_stop;

struct sluice_retry_policy {
    int64_t limit;                  /* retries after the first call; 0: none */
    int64_t backoff_us;             /* the first wait */
    const struct sluice_stop *stop; /* cuts a wait short; may be NULL */
};

/* After the `attempt`-th call (1-based) of `callback` of stage `stage`
 * returned `rc` (its message in *err): true when it is to be called again,
 * after the wait, which this sleeps. When it gives up on SLUICE_EAGAIN, a
 * hint in *err says how many retries were made. */
bool sluice_retry_again(const struct sluice_retry_policy *p, int rc, int attempt, const char *stage,
                        const char *callback, struct sluice_error *err);

#endif
