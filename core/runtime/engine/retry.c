/* Retrying a callback that returned SLUICE_EAGAIN. See retry.h. */
#include "retry.h"

#include <time.h>

#include "clock.h"
#include "error.h"
#include "log.h"
#include "stop.h"

bool sluice_retry_again(const struct sluice_retry_policy *p, int rc, int attempt, const char *stage,
                        const char *callback, struct sluice_error *err)
{
    if (rc != SLUICE_EAGAIN) return false;
    const char *why = err && err->message[0] ? err->message : "a transient failure";
    if (attempt > p->limit || (p->stop && sluice_stop_requested(p->stop))) {
        if (p->limit == 0)
            sluice_error_hint(err, "%s asked to be called again, but runtime.retry_limit is 0", callback);
        else if (attempt > p->limit)
            sluice_error_hint(err, "still failing after %lld retries of %s (runtime.retry_limit)",
                              (long long)p->limit, callback);
        return false;
    }
    int64_t wait = p->backoff_us;
    for (int i = 1; i < attempt && wait < SLUICE_RETRY_MAX_WAIT_US; i++) wait *= 2;
    if (wait > SLUICE_RETRY_MAX_WAIT_US) wait = SLUICE_RETRY_MAX_WAIT_US;
    sluice_log(SLUICE_LOG_WARN, stage, "%s failed, may pass: %s; retry %d of %lld in %.3g s", callback, why, attempt,
               (long long)p->limit, wait / 1e6);
    if (wait > 0) {
        int64_t deadline = sluice_monotonic_us() + wait;
        if (p->stop) {
            sluice_stop_sleep_until(p->stop, deadline);
        } else {
            struct timespec ts = { wait / 1000000, (wait % 1000000) * 1000 };
            while (nanosleep(&ts, &ts) != 0) {
            }
        }
    }
    if (p->stop && sluice_stop_requested(p->stop)) {
        sluice_error_hint(err, "the run was asked to stop while waiting to retry %s", callback);
        return false;
    }
    if (err) sluice_error_clear(err);
    return true;
}
