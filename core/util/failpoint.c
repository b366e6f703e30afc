/* Failpoints for crash tests. See failpoint.h. */
#include "failpoint.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

void sluice_failpoint(const char *point, int64_t batch_id)
{
    /* Read on every call: a test may set it between runs of one process. */
    const char *at = getenv("SLUICE_TEST_CRASH_AT");
    if (!at || !*at) return;
    const char *colon = strchr(at, ':');
    if (!colon || (size_t)(colon - at) != strlen(point) || strncmp(at, point, strlen(point)) != 0) return;
    char *end;
    long long b = strtoll(colon + 1, &end, 10);
    if (*end || b != batch_id) return;
    sluice_log(SLUICE_LOG_DEBUG, NULL, "SLUICE_TEST_CRASH_AT=%s: killing the process", at);
    raise(SIGKILL);
}
