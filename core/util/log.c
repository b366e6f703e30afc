#include "log.h"

#include <stdio.h>
#include <string.h>

static enum sluice_log_level current_level = SLUICE_LOG_INFO;

void sluice_log_set_level(enum sluice_log_level level)
{
    current_level = level;
}

enum sluice_log_level sluice_log_level(void)
{
    return current_level;
}

void sluice_logv(enum sluice_log_level level, const char *stage, const char *fmt, va_list ap)
{
    if (level > current_level) return;
    static const char *const tags[] = { "error: ", "warning: ", "", "debug: " };
    /* Format into one buffer and write it with one call, so lines from
     * worker threads never interleave mid-line. */
    char line[2048];
    int n = snprintf(line, sizeof line, "sluice: %s", tags[level]);
    if (stage && *stage && n < (int)sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, "stage '%s': ", stage);
    if (n < (int)sizeof line) n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    if (n >= (int)sizeof line - 1) n = (int)sizeof line - 2;
    line[n++] = '\n';
    fwrite(line, 1, (size_t)n, stderr);
}

void sluice_log(enum sluice_log_level level, const char *stage, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sluice_logv(level, stage, fmt, ap);
    va_end(ap);
}
