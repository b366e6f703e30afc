#include "log.h"

#include <stdio.h>
#include <string.h>

/* Warnings and notices by default: -v adds info, -v -v debug (cmd_args.c). */
static enum sluice_log_level current_level = SLUICE_LOG_WARN;

void sluice_log_set_level(enum sluice_log_level level)
{
    current_level = level;
}

enum sluice_log_level sluice_log_level(void)
{
    return current_level;
}

static void emit(const char *tag, const char *stage, const char *fmt, va_list ap)
{
    /* Format into one buffer and write it with one call, so lines from
     * worker threads never interleave mid-line. */
    char line[2048];
    int n = snprintf(line, sizeof line, "sluice: %s", tag);
    if (stage && *stage && n < (int)sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, "stage '%s': ", stage);
    if (n < (int)sizeof line) n += vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    if (n >= (int)sizeof line - 1) n = (int)sizeof line - 2;
    line[n++] = '\n';
    fwrite(line, 1, (size_t)n, stderr);
}

void sluice_logv(enum sluice_log_level level, const char *stage, const char *fmt, va_list ap)
{
    static const char *const tags[] = { "error: ", "warning: ", "", "debug: " };
    if (level <= current_level) emit(tags[level], stage, fmt, ap);
}

void sluice_log_notice(const char *stage, const char *fmt, ...)
{
    if (current_level < SLUICE_LOG_WARN) return; /* --quiet */
    va_list ap;
    va_start(ap, fmt);
    emit("", stage, fmt, ap);
    va_end(ap);
}

void sluice_log(enum sluice_log_level level, const char *stage, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sluice_logv(level, stage, fmt, ap);
    va_end(ap);
}
