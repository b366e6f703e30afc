/* Sizes in bytes. See bytesize.h. */
#include "bytesize.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct unit {
    const char *name;
    int shift;
};

static const struct unit units[] = {
    { "", 0 },    { "b", 0 },    { "byte", 0 },  { "bytes", 0 },
    { "k", 10 },  { "kb", 10 },  { "kib", 10 },
    { "m", 20 },  { "mb", 20 },  { "mib", 20 },
    { "g", 30 },  { "gb", 30 },  { "gib", 30 },
    { "t", 40 },  { "tb", 40 },  { "tib", 40 },
};

int sluice_bytesize_parse(const char *s, int64_t *bytes)
{
    if (!s) return -1;
    while (isspace((unsigned char)*s)) s++;
    if (!isdigit((unsigned char)*s)) return -1;
    errno = 0;
    char *end;
    long long n = strtoll(s, &end, 10);
    if (errno) return -1;
    while (isspace((unsigned char)*end)) end++;
    size_t len = 0;
    while (isalpha((unsigned char)end[len])) len++;
    const char *rest = end + len;
    while (isspace((unsigned char)*rest)) rest++;
    if (*rest) return -1;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strlen(units[i].name) != len || strncasecmp(end, units[i].name, len) != 0) continue;
        if (n > (INT64_MAX >> units[i].shift)) return -1;
        *bytes = (int64_t)n << units[i].shift;
        return 0;
    }
    return -1;
}

void sluice_bytesize_format(int64_t bytes, struct sluice_buf *out)
{
    static const char *const names[] = { "KiB", "MiB", "GiB", "TiB" };
    if (bytes < 1024) {
        sluice_buf_printf(out, "%lld byte%s", (long long)bytes, bytes == 1 ? "" : "s");
        return;
    }
    int u = 0;
    while (u < 3 && bytes >= (int64_t)1 << (10 * (u + 2))) u++;
    int64_t unit = (int64_t)1 << (10 * (u + 1));
    if (bytes % unit == 0)
        sluice_buf_printf(out, "%lld %s", (long long)(bytes / unit), names[u]);
    else
        sluice_buf_printf(out, "%.1f %s", (double)bytes / (double)unit, names[u]);
}
