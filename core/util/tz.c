/* Time zones from the tz database. See tz.h. */
#include "tz.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "timefmt.h"

#define US_PER_SEC 1000000LL

/* A POSIX TZ rule's date: Mm.w.d (month, week 1-5 with 5 the last, weekday
 * 0 = Sunday), Jn (1-365, no Feb 29) or n (0-365); at `time` seconds local. */
struct rule_date {
    char kind; /* 'M', 'J' or 'n' */
    int m, w, d;
    int32_t time;
};

/* The POSIX TZ string a TZif file ends with: the zone after its last transition. */
struct posix_rule {
    int32_t std_off, dst_off; /* seconds east of UTC */
    bool has_dst;
    struct rule_date start, end;
};

struct sluice_tz {
    char name[96];
    int64_t *trans;     /* UTC seconds of each transition, ascending */
    int32_t *off_after; /* the offset from trans[i] on */
    size_t n;
    int32_t before;     /* the offset before the first transition (or always, for a fixed zone) */
    bool has_rule;
    struct posix_rule rule;
    struct sluice_tz *next_kept; /* the zones that have been the session's */
};

/* ---- POSIX rules ---------------------------------------------------------- */

static const char *rule_name(const char *p)
{
    if (*p == '<') {
        const char *q = strchr(p, '>');
        return q ? q + 1 : NULL;
    }
    const char *q = p;
    while (isalpha((unsigned char)*q)) q++;
    return q - p >= 3 ? q : NULL;
}

/* [+-]hh[:mm[:ss]] as seconds; *end after it; false when absent or bad. */
static bool rule_hms(const char *p, const char **end, int32_t *secs)
{
    int sign = 1;
    if (*p == '+' || *p == '-') sign = *p++ == '-' ? -1 : 1;
    if (!isdigit((unsigned char)*p)) return false;
    long h = strtol(p, (char **)&p, 10), m = 0, s = 0;
    if (*p == ':') m = strtol(p + 1, (char **)&p, 10);
    if (*p == ':') s = strtol(p + 1, (char **)&p, 10);
    if (h > 167 || m > 59 || s > 59) return false;
    *secs = (int32_t)(sign * (h * 3600 + m * 60 + s));
    *end = p;
    return true;
}

static bool rule_date(const char *p, const char **end, struct rule_date *out)
{
    out->time = 7200;
    if (*p == 'M') {
        out->kind = 'M';
        char *q;
        out->m = (int)strtol(p + 1, &q, 10);
        if (*q != '.') return false;
        out->w = (int)strtol(q + 1, &q, 10);
        if (*q != '.') return false;
        out->d = (int)strtol(q + 1, &q, 10);
        p = q;
        if (out->m < 1 || out->m > 12 || out->w < 1 || out->w > 5 || out->d < 0 || out->d > 6) return false;
    } else {
        out->kind = *p == 'J' ? 'J' : 'n';
        if (*p == 'J') p++;
        if (!isdigit((unsigned char)*p)) return false;
        out->d = (int)strtol(p, (char **)&p, 10);
    }
    if (*p == '/' && !rule_hms(p + 1, &p, &out->time)) return false;
    *end = p;
    return true;
}

static bool parse_rule(const char *p, struct posix_rule *r)
{
    int32_t off;
    if (!(p = rule_name(p)) || !rule_hms(p, &p, &off)) return false;
    r->std_off = -off; /* POSIX counts west of UTC */
    r->has_dst = *p != '\0';
    if (!r->has_dst) return true;
    if (!(p = rule_name(p))) return false;
    r->dst_off = r->std_off + 3600;
    if (*p && *p != ',') {
        if (!rule_hms(p, &p, &off)) return false;
        r->dst_off = -off;
    }
    if (*p != ',' || !rule_date(p + 1, &p, &r->start) || *p != ',' || !rule_date(p + 1, &p, &r->end)) return false;
    return *p == '\0';
}

static bool leap_year(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Local seconds since the epoch at which `d` happens in year `y`. */
static int64_t rule_local(const struct rule_date *d, int64_t y)
{
    int64_t day;
    if (d->kind == 'M') {
        static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
        int64_t first = sluice_days_from_civil(y, (unsigned)d->m, 1);
        int wd = (int)(((first % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday; 0 = Sunday */
        int64_t dom = 1 + (d->d - wd + 7) % 7 + 7 * (d->w - 1);
        int len = dm[d->m - 1] + (d->m == 2 && leap_year(y));
        while (dom > len) dom -= 7;
        day = first + dom - 1;
    } else if (d->kind == 'J') {
        day = sluice_days_from_civil(y, 1, 1) + d->d - 1 + (leap_year(y) && d->d >= 60);
    } else {
        day = sluice_days_from_civil(y, 1, 1) + d->d;
    }
    return day * 86400 + d->time;
}

static int32_t rule_offset(const struct posix_rule *r, int64_t t)
{
    if (!r->has_dst) return r->std_off;
    int64_t y;
    unsigned m, d;
    int64_t days = sluice_floor_div(t + r->std_off, 86400);
    sluice_civil_from_days(days, &y, &m, &d);
    int64_t start = rule_local(&r->start, y) - r->std_off, end = rule_local(&r->end, y) - r->dst_off;
    bool dst = start < end ? (t >= start && t < end) : !(t >= end && t < start);
    return dst ? r->dst_off : r->std_off;
}

/* ---- TZif ----------------------------------------------------------------- */

static int64_t be(const uint8_t *p, int bytes)
{
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v = v << 8 | p[i];
    return bytes == 4 ? (int64_t)(int32_t)(uint32_t)v : (int64_t)v;
}

static bool read_file(const char *path, uint8_t **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    size_t cap = 4096, n = 0;
    uint8_t *buf = sluice_xmalloc(cap);
    for (size_t got; (got = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap && cap < (1u << 22)) buf = sluice_xrealloc(buf, cap *= 2);
        else if (n == cap) break;
    }
    fclose(f);
    *data = buf;
    *len = n;
    return true;
}

/* The version 2+ block of a TZif file (64-bit times) and its footer. */
static bool parse_tzif(const uint8_t *p, size_t len, struct sluice_tz *tz)
{
    if (len < 44 || memcmp(p, "TZif", 4) != 0 || p[4] < '2') return false;
    /* Skip the version 1 block: its header's counts size it. */
    int64_t c[6];
    for (int i = 0; i < 6; i++) c[i] = be(p + 20 + 4 * i, 4);
    size_t skip = 44 + (size_t)(c[3] * 5 + c[4] * 6 + c[5] + c[2] * 8 + c[1] + c[0]);
    if (skip + 44 > len) return false;
    p += skip;
    len -= skip;
    if (memcmp(p, "TZif", 4) != 0) return false;
    for (int i = 0; i < 6; i++) c[i] = be(p + 20 + 4 * i, 4);
    int64_t isutcnt = c[0], isstdcnt = c[1], leapcnt = c[2], timecnt = c[3], typecnt = c[4], charcnt = c[5];
    size_t need = 44 + (size_t)(timecnt * 9 + typecnt * 6 + charcnt + leapcnt * 12 + isstdcnt + isutcnt);
    if (typecnt < 1 || timecnt < 0 || need > len) return false;
    const uint8_t *times = p + 44, *idx = times + timecnt * 8, *types = idx + timecnt;
    tz->n = (size_t)timecnt;
    tz->trans = sluice_xcalloc(tz->n + 1, sizeof *tz->trans);
    tz->off_after = sluice_xcalloc(tz->n + 1, sizeof *tz->off_after);
    for (size_t i = 0; i < tz->n; i++) {
        if (idx[i] >= typecnt) return false;
        tz->trans[i] = be(times + 8 * i, 8);
        tz->off_after[i] = (int32_t)be(types + 6 * idx[i], 4);
    }
    /* RFC 8536: type 0 holds before the first transition. */
    tz->before = (int32_t)be(types, 4);
    const char *footer = (const char *)p + need;
    size_t rest = len - need;
    if (rest > 2 && footer[0] == '\n') {
        char rule[128];
        size_t k = 0;
        for (size_t i = 1; i < rest && footer[i] != '\n' && k + 1 < sizeof rule; i++) rule[k++] = footer[i];
        rule[k] = '\0';
        tz->has_rule = k > 0 && parse_rule(rule, &tz->rule);
    }
    return true;
}

/* "+02:00", "-0530", "+2", "UTC+2", "GMT-03:30" (Java's ZoneId.of fixed forms). */
static bool fixed_offset(const char *name, int32_t *off)
{
    const char *p = name;
    if (!*p) return false;
    if (strncmp(p, "UTC", 3) == 0 || strncmp(p, "GMT", 3) == 0) p += 3;
    else if (*p == 'Z' && !p[1]) return *off = 0, true;
    if (!*p) return *off = 0, true;
    if (*p != '+' && *p != '-') return false;
    int sign = *p++ == '-' ? -1 : 1;
    size_t digits = strspn(p, "0123456789");
    int h, m = 0;
    if (digits == 4 && !p[4]) h = (p[0] - '0') * 10 + (p[1] - '0'), m = (p[2] - '0') * 10 + (p[3] - '0');
    else if ((digits == 1 || digits == 2) && !p[digits]) h = atoi(p);
    else if ((digits == 1 || digits == 2) && p[digits] == ':' && strlen(p + digits + 1) == 2 &&
             strspn(p + digits + 1, "0123456789") == 2)
        h = atoi(p), m = atoi(p + digits + 1);
    else return false;
    if (h > 18 || m > 59 || h * 3600 + m * 60 > 18 * 3600) return false;
    *off = sign * (h * 3600 + m * 60);
    return true;
}

int sluice_tz_load(const char *name, struct sluice_tz **out, char *why, size_t cap)
{
    *out = NULL;
    struct sluice_tz *tz = sluice_xcalloc(1, sizeof *tz);
    snprintf(tz->name, sizeof tz->name, "%s", name);
    int32_t off;
    if (fixed_offset(name, &off)) {
        tz->before = off;
        *out = tz;
        return 0;
    }
    /* A region: letters, digits and _+- in '/'-separated parts, no '..'. */
    bool ok = name[0] && name[0] != '/' && strlen(name) < 80 && !strstr(name, "..");
    for (const char *p = name; ok && *p; p++) ok = isalnum((unsigned char)*p) || strchr("/_+-", *p);
    const char *dir = getenv("TZDIR");
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", name);
    uint8_t *data = NULL;
    size_t len = 0;
    if (!ok || !read_file(path, &data, &len)) {
        snprintf(why, cap, "no time zone '%s' (a region such as \"Europe/Paris\" from %s, \"UTC\", or an offset "
                           "such as \"+02:00\")", name, dir && *dir ? dir : "/usr/share/zoneinfo");
        sluice_tz_free(tz);
        return -1;
    }
    ok = parse_tzif(data, len, tz);
    free(data);
    if (!ok) {
        snprintf(why, cap, "'%s' is not a TZif time zone file", path);
        sluice_tz_free(tz);
        return -1;
    }
    *out = tz;
    return 0;
}

void sluice_tz_free(struct sluice_tz *tz)
{
    if (!tz) return;
    free(tz->trans);
    free(tz->off_after);
    free(tz);
}

const char *sluice_tz_name(const struct sluice_tz *tz)
{
    return tz ? tz->name : "UTC";
}

int32_t sluice_tz_offset(const struct sluice_tz *tz, int64_t t)
{
    if (!tz) return 0;
    if (tz->n == 0) return tz->has_rule ? rule_offset(&tz->rule, t) : tz->before;
    if (t < tz->trans[0]) return tz->before;
    if (t >= tz->trans[tz->n - 1] && tz->has_rule) return rule_offset(&tz->rule, t);
    size_t lo = 0, hi = tz->n; /* the last transition at or before t */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->trans[mid] <= t) lo = mid;
        else hi = mid;
    }
    return tz->off_after[lo];
}

int64_t sluice_tz_to_utc(const struct sluice_tz *tz, int64_t local)
{
    if (!tz) return local;
    /* The offsets a day before and after: a zone changes at most once in
     * between. The earlier one that maps back wins (overlap); none maps
     * back in a gap, where the earlier offset moves the time past it. */
    int32_t early = sluice_tz_offset(tz, local - 86400), late = sluice_tz_offset(tz, local + 86400);
    if (sluice_tz_offset(tz, local - early) == early) return local - early;
    if (sluice_tz_offset(tz, local - late) == late) return local - late;
    return local - early;
}

/* ---- the session ------------------------------------------------------------ */

static _Atomic(struct sluice_tz *) session;
static struct sluice_tz *kept; /* every zone that has been the session's: readers may hold one */

void sluice_tz_set_session(struct sluice_tz *tz)
{
    if (tz) {
        tz->next_kept = kept;
        kept = tz;
    }
    atomic_store_explicit(&session, tz, memory_order_release);
}

const struct sluice_tz *sluice_tz_session(void)
{
    return atomic_load_explicit(&session, memory_order_acquire);
}

int32_t sluice_tz_session_offset(int64_t utc_us)
{
    const struct sluice_tz *tz = sluice_tz_session();
    return tz ? sluice_tz_offset(tz, sluice_floor_div(utc_us, US_PER_SEC)) : 0;
}

int64_t sluice_tz_local_us(int64_t utc_us)
{
    int64_t off = sluice_tz_session_offset(utc_us) * US_PER_SEC;
    /* Saturate at the ends of the range rather than wrap. */
    if (off > 0 && utc_us > INT64_MAX - off) return INT64_MAX;
    if (off < 0 && utc_us < INT64_MIN - off) return INT64_MIN;
    return utc_us + off;
}

int64_t sluice_tz_utc_us(int64_t local_us)
{
    const struct sluice_tz *tz = sluice_tz_session();
    if (!tz) return local_us;
    int64_t s = sluice_floor_div(local_us, US_PER_SEC);
    int64_t off = (s - sluice_tz_to_utc(tz, s)) * US_PER_SEC; /* seconds east, in µs */
    if (off > 0 && local_us < INT64_MIN + off) return INT64_MIN;
    if (off < 0 && local_us > INT64_MAX + off) return INT64_MAX;
    return local_us - off;
}
