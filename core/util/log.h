/* core/util/log.h — leveled logging to stderr.
 *
 * One line per message: "sluice: [stage] message". The level is set once at
 * start-up; writes are line-atomic. What each level is for:
 *   error    why the run stops (also with --quiet)
 *   warning  something the user should fix or know went wrong (default)
 *   notice   not a level of its own: what the user asked for and must see,
 *            such as the address a server picked; printed unless --quiet
 *   info     what the run does, one line per batch at most (-v, SLUICE_LOG=info)
 *   debug    details per batch and stage: progress records, state, checkpoint
 *            costs (-v -v, SLUICE_LOG=debug) */
#ifndef SLUICE_CORE_LOG_H
#define SLUICE_CORE_LOG_H

#include <stdarg.h>

#include <sluice/host.h>

void sluice_log_set_level(enum sluice_log_level level);
enum sluice_log_level sluice_log_level(void);
void sluice_log(enum sluice_log_level level, const char *stage, const char *fmt, ...)
    SLUICE_PRINTF(3, 4);
void sluice_logv(enum sluice_log_level level, const char *stage, const char *fmt, va_list ap);
/* Printed, untagged, at the default level and above: not with --quiet. */
void sluice_log_notice(const char *stage, const char *fmt, ...) SLUICE_PRINTF(2, 3);

#endif
