/* The engine's size limits and their test knob. See size_limit.h. */
#include "size_limit.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "log.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int64_t test_limit = INT64_MAX;

/* Read once: every builder and take of the run must see the same limits. */
static void read_test_limit(void)
{
    const char *v = getenv("SLUICE_TEST_SIZE_LIMIT");
    if (!v || !*v) return;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || *end || n < 1) {
        sluice_log(SLUICE_LOG_WARN, NULL, "SLUICE_TEST_SIZE_LIMIT='%s' is not a positive integer; ignored", v);
        return;
    }
    test_limit = n;
    sluice_log(SLUICE_LOG_DEBUG, NULL, "SLUICE_TEST_SIZE_LIMIT: size limits lowered to %lld", n);
}

int64_t sluice_size_limit(int64_t natural)
{
    pthread_once(&once, read_test_limit);
    return test_limit < natural ? test_limit : natural;
}
