/* core/arrow/size_limit.h — the engine's fixed size limits, and the knob
 * that lowers them for tests.
 *
 * Strings ("u") and lists ("+l") keep Arrow's int32 offsets, so one column
 * of one batch holds at most 2^31 - 1 bytes of string data or list
 * elements; a grouping key is at most 2^32 - 1 bytes and one partition of
 * aggregation state at most 2^32 - 2 groups (their lengths and indexes are
 * 32-bit). Input past a limit is a malformed line under the source's parse
 * mode; anything else past one fails the batch with SLUICE_ELIMIT naming
 * the stage and the limit. Neither ever aborts the process.
 *
 * SLUICE_TEST_SIZE_LIMIT=N in the environment, read once when a limit is
 * first asked for, lowers every limit above N to N (N >= 1), so a test
 * crosses them with a few bytes of input and runs the very code a 2 GiB
 * line would. Threads: any. */
#ifndef SLUICE_CORE_SIZE_LIMIT_H
#define SLUICE_CORE_SIZE_LIMIT_H

#include <stdint.h>

#define SLUICE_OFFSET_LIMIT INT32_MAX            /* string bytes or list elements per column per batch */
#define SLUICE_KEY_LIMIT ((int64_t)UINT32_MAX)   /* bytes of one encoded grouping key */
#define SLUICE_GROUP_LIMIT ((int64_t)UINT32_MAX - 1) /* groups in one state partition */

/* `natural`, or the test limit when that is lower. */
int64_t sluice_size_limit(int64_t natural);

#endif
