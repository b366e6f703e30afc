/* core/util/failpoint.h — places a test can kill the process at.
 *
 * SLUICE_TEST_CRASH_AT=<point>:<batch> makes the process kill itself with
 * SIGKILL when it reaches `point` in micro-batch `batch`; unset, a
 * failpoint costs one getenv. The recovery tests kill at every point of a
 * batch and check the restart's output (checkpoint.h lists the points).
 * Threads: any. */
#ifndef SLUICE_CORE_FAILPOINT_H
#define SLUICE_CORE_FAILPOINT_H

#include <stdint.h>

void sluice_failpoint(const char *point, int64_t batch_id);

#endif
