#include "timefmt.h"

#include "tz.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define US_PER_SEC 1000000LL
#define US_PER_DAY 86400000000LL

/* Howard Hinnant's civil-date algorithms: exact for the proleptic Gregorian
 * calendar over the whole int64 day range we care about, no libc time zones. */
int64_t sluice_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void sluice_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool digits(const char *s, size_t n, size_t at, size_t count, int *out)
{
    if (at + count > n) return false;
    int v = 0;
    for (size_t i = 0; i < count; i++) {
        char c = s[at + i];
        if (c < '0' || c > '9') return false;
        v = v * 10 + (c - '0');
    }
    *out = v;
    return true;
}

static bool leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned days_in_month(int64_t y, int m)
{
    static const unsigned dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return m == 2 && leap(y) ? 29 : dm[m - 1];
}

/* The year as Spark writes it (Java's `uuuu`, SignStyle.EXCEEDS_PAD): four
 * digits for 0000 to 9999, a sign and four or more digits beyond, so
 * "+10000" and "-0001"; read also without the '+', as Spark's own
 * stringToTimestamp does. Seven digits cover every int64 microsecond and
 * every int32 day (a date). On success *at is the index after the year. */
static bool year_digits(const char *s, size_t n, int64_t *year, size_t *at)
{
    size_t i = 0;
    bool neg = false;
    if (n && (s[0] == '+' || s[0] == '-')) {
        neg = s[0] == '-';
        i = 1;
    }
    size_t start = i;
    int64_t y = 0;
    while (i < n && s[i] >= '0' && s[i] <= '9' && i - start < 7) y = y * 10 + (s[i++] - '0');
    if (i - start < 4 || (i < n && s[i] >= '0' && s[i] <= '9')) return false;
    *year = neg ? -y : y;
    *at = i;
    return true;
}

int sluice_time_parse(const char *s, size_t n, int64_t *us)
{
    int64_t year;
    int mon, day, hh = 0, mm = 0, ss = 0;
    size_t i;
    if (!year_digits(s, n, &year, &i)) return -1;
    /* From here on offsets are as in "2021-05-03...", shifted by the year's extra characters. */
    s += i - 4;
    n -= i - 4;
    if (n < 10 || s[4] != '-' || !digits(s, n, 5, 2, &mon) || s[7] != '-' || !digits(s, n, 8, 2, &day))
        return -1;
    if (mon < 1 || mon > 12 || day < 1 || (unsigned)day > days_in_month(year, mon)) return -1;
    i = 10;
    int64_t frac_us = 0;
    if (i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
        i++;
        if (!digits(s, n, i, 2, &hh) || i + 2 >= n || s[i + 2] != ':' || !digits(s, n, i + 3, 2, &mm))
            return -1;
        i += 5;
        if (i < n && s[i] == ':') {
            if (!digits(s, n, i + 1, 2, &ss)) return -1;
            i += 3;
            if (i < n && (s[i] == '.' || s[i] == ',')) {
                i++;
                size_t start = i;
                int64_t scale = 100000;
                while (i < n && s[i] >= '0' && s[i] <= '9') {
                    if (scale > 0) frac_us += (s[i] - '0') * scale;
                    scale /= 10;
                    i++;
                }
                if (i == start || i - start > 9) return -1;
            }
        }
        if (hh > 23 || mm > 59 || ss > 60) return -1;
    }
    int64_t offset_s = 0;
    bool zoned = false; /* else the time is local to the session's zone */
    if (i < n) {
        zoned = true;
        if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
            i++;
        } else if (s[i] == '+' || s[i] == '-') {
            int sign = s[i] == '-' ? -1 : 1, oh, om = 0;
            i++;
            if (!digits(s, n, i, 2, &oh)) return -1;
            i += 2;
            if (i < n && s[i] == ':') i++;
            if (i < n) {
                if (!digits(s, n, i, 2, &om)) return -1;
                i += 2;
            }
            if (oh > 18 || om > 59) return -1;
            offset_s = sign * (oh * 3600 + om * 60);
        }
    }
    if (i != n) return -1;
    int64_t days = sluice_days_from_civil(year, (unsigned)mon, (unsigned)day);
    __int128 t = ((__int128)days * 86400 + hh * 3600 + mm * 60 + ss - offset_s) * US_PER_SEC + frac_us;
    if (!zoned && t >= INT64_MIN && t <= INT64_MAX) t = sluice_tz_utc_us((int64_t)t);
    /* The smallest timestamp is written as the start of its millisecond,
     * a little before it: that millisecond reads back as it. */
    if (t < INT64_MIN && t > (__int128)INT64_MIN - 1000) t = INT64_MIN;
    if (t < INT64_MIN || t > INT64_MAX) return -1;
    *us = (int64_t)t;
    return 0;
}

static void split(int64_t us, int64_t *y, unsigned *mo, unsigned *d, int *h, int *mi, int *s,
                  int64_t *frac)
{
    int64_t days = us / US_PER_DAY, rem = us % US_PER_DAY;
    if (rem < 0) {
        rem += US_PER_DAY;
        days--;
    }
    sluice_civil_from_days(days, y, mo, d);
    int64_t secs = rem / US_PER_SEC;
    *frac = rem % US_PER_SEC;
    *h = (int)(secs / 3600);
    *mi = (int)(secs / 60 % 60);
    *s = (int)(secs % 60);
}

/* The year as Spark (Java's `uuuu`) writes it, see year_digits; returns its length. */
static int put_year(char out[40], int64_t y)
{
    if (y > 9999) return snprintf(out, 40, "+%lld", (long long)y);
    if (y < 0) return snprintf(out, 40, "-%04lld", -(long long)y);
    return snprintf(out, 40, "%04lld", (long long)y);
}

size_t sluice_time_format_iso(int64_t us, char out[40])
{
    int64_t y, frac;
    unsigned mo, d;
    int h, mi, s;
    split(us, &y, &mo, &d, &h, &mi, &s, &frac);
    int n = put_year(out, y);
    n += snprintf(out + n, (size_t)(40 - n), "-%02u-%02uT%02d:%02d:%02d.%03dZ", mo, d, h, mi, s, (int)(frac / 1000));
    return n > 0 ? (size_t)n : 0;
}

size_t sluice_time_format_show(int64_t us, char out[40])
{
    int64_t y, frac;
    unsigned mo, d;
    int h, mi, s;
    split(sluice_tz_local_us(us), &y, &mo, &d, &h, &mi, &s, &frac);
    int n = put_year(out, y);
    n += snprintf(out + n, (size_t)(40 - n), "-%02u-%02u %02d:%02d:%02d", mo, d, h, mi, s);
    if (n > 0 && frac) {
        /* Spark prints the fraction without trailing zeros. */
        char f[8];
        snprintf(f, sizeof f, "%06lld", (long long)frac);
        int len = 6;
        while (len > 0 && f[len - 1] == '0') len--;
        n += snprintf(out + n, (size_t)(40 - n), ".%.*s", len, f);
    }
    return n > 0 ? (size_t)n : 0;
}

/* One or two digits of a month or day at s[*i]. */
static bool small_number(const char *s, size_t n, size_t *i, int *out)
{
    size_t start = *i;
    int v = 0;
    while (*i < n && *i - start < 2 && s[*i] >= '0' && s[*i] <= '9') v = v * 10 + (s[(*i)++] - '0');
    if (*i == start || (*i < n && s[*i] >= '0' && s[*i] <= '9')) return false;
    *out = v;
    return true;
}

int sluice_date_parse(const char *s, size_t n, int32_t *days)
{
    while (n && (s[0] == ' ' || s[0] == '\t')) s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    int64_t year;
    size_t i;
    int mon = 1, day = 1;
    if (!year_digits(s, n, &year, &i)) return -1;
    if (i < n && s[i] == '-') {
        i++;
        if (!small_number(s, n, &i, &mon)) return -1;
        if (i < n && s[i] == '-') {
            i++;
            if (!small_number(s, n, &i, &day)) return -1;
        }
    }
    /* What follows a whole date may be a time, which a date drops. */
    if (i < n && !(s[i] == ' ' || s[i] == 'T')) return -1;
    if (mon < 1 || mon > 12 || day < 1 || (unsigned)day > days_in_month(year, mon)) return -1;
    int64_t d = sluice_days_from_civil(year, (unsigned)mon, (unsigned)day);
    if (d < INT32_MIN || d > INT32_MAX) return -1;
    *days = (int32_t)d;
    return 0;
}

size_t sluice_date_format(int32_t days, char out[16])
{
    int64_t y;
    unsigned mo, d;
    sluice_civil_from_days(days, &y, &mo, &d);
    char buf[40];
    int n = put_year(buf, y);
    n += snprintf(buf + n, sizeof buf - (size_t)n, "-%02u-%02u", mo, d);
    size_t len = n > 0 && n < 16 ? (size_t)n : 0;
    memcpy(out, buf, len);
    out[len] = '\0';
    return len;
}

size_t sluice_time_format_zoned(int64_t us, char out[40])
{
    int32_t off = sluice_tz_session_offset(us);
    if (!off) return sluice_time_format_iso(us, out);
    char local[40];
    size_t n = sluice_time_format_iso(sluice_tz_local_us(us), local);
    /* Drop the 'Z'; write the offset as Java's XXX does (hours and minutes). */
    int32_t a = off < 0 ? -off : off;
    int w = snprintf(out, 40, "%.*s%c%02d:%02d", (int)(n - 1), local, off < 0 ? '-' : '+', a / 3600, a / 60 % 60);
    return w > 0 ? (size_t)w : 0;
}
