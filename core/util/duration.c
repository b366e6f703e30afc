#include "duration.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct unit {
    const char *name;
    int64_t us;
};

/* Spark's interval units, long and short forms. */
static const struct unit units[] = {
    { "us", 1 },
    { "microsecond", 1 },
    { "microseconds", 1 },
    { "ms", 1000 },
    { "millisecond", 1000 },
    { "milliseconds", 1000 },
    { "s", 1000000 },
    { "sec", 1000000 },
    { "secs", 1000000 },
    { "second", 1000000 },
    { "seconds", 1000000 },
    { "m", 60000000 },
    { "min", 60000000 },
    { "mins", 60000000 },
    { "minute", 60000000 },
    { "minutes", 60000000 },
    { "h", 3600000000LL },
    { "hour", 3600000000LL },
    { "hours", 3600000000LL },
    { "d", 86400000000LL },
    { "day", 86400000000LL },
    { "days", 86400000000LL },
    { "w", 604800000000LL },
    { "week", 604800000000LL },
    { "weeks", 604800000000LL },
};

int sluice_duration_parse(const char *s, int64_t *us)
{
    if (!s) return -1;
    while (isspace((unsigned char)*s)) s++;
    if (strncasecmp(s, "interval", 8) == 0 && isspace((unsigned char)s[8])) s += 8;
    int64_t total = 0;
    bool any = false;
    /* "1 minute 30 seconds" sums, as Spark's interval strings do. */
    while (*s) {
        while (isspace((unsigned char)*s)) s++;
        if (!*s) break;
        if (!isdigit((unsigned char)*s)) return -1;
        errno = 0;
        char *end;
        long long n = strtoll(s, &end, 10);
        if (errno || n < 0) return -1;
        s = end;
        while (isspace((unsigned char)*s)) s++;
        const char *u = s;
        while (isalpha((unsigned char)*s)) s++;
        size_t len = (size_t)(s - u);
        if (len == 0) return -1;
        const struct unit *found = NULL;
        for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
            if (strlen(units[i].name) == len && strncasecmp(units[i].name, u, len) == 0) found = &units[i];
        if (!found) return -1;
        if (n > INT64_MAX / found->us || total > INT64_MAX - n * found->us) return -1;
        total += n * found->us;
        any = true;
    }
    if (!any) return -1;
    *us = total;
    return 0;
}

void sluice_duration_format(int64_t us, struct sluice_buf *out)
{
    static const struct unit canon[] = {
        { "day", 86400000000LL }, { "hour", 3600000000LL }, { "minute", 60000000 },
        { "second", 1000000 },    { "millisecond", 1000 },  { "microsecond", 1 },
    };
    if (us == 0) {
        sluice_buf_puts(out, "0 seconds");
        return;
    }
    for (size_t i = 0; i < sizeof canon / sizeof canon[0]; i++) {
        if (us % canon[i].us == 0) {
            int64_t n = us / canon[i].us;
            sluice_buf_printf(out, "%lld %s%s", (long long)n, canon[i].name, n == 1 ? "" : "s");
            return;
        }
    }
}
