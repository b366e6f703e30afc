/* core/util/log.h — leveled logging to stderr.
 *
 * One line per message: "sluice: [stage] message". The level is set once at
 * start-up (--verbose/--quiet, SLUICE_LOG=debug); writes are line-atomic. */
#ifndef SLUICE_CORE_LOG_H
#define SLUICE_CORE_LOG_H

#include <stdarg.h>

#include <sluice/host.h>

void sluice_log_set_level(enum sluice_log_level level);
enum sluice_log_level sluice_log_level(void);
void sluice_log(enum sluice_log_level level, const char *stage, const char *fmt, ...)
    SLUICE_PRINTF(3, 4);
void sluice_logv(enum sluice_log_level level, const char *stage, const char *fmt, va_list ap);

#endif
