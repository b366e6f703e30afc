/* core/util/timefmt.h — timestamps: microseconds since the epoch, UTC.
 *
 * Parsing accepts what tweets and Spark's JSON reader accept: ISO 8601 with
 * 'T' or ' ', optional fraction (up to 9 digits, kept to µs), 'Z', an offset
 * (+02:00, +0200, +02) or none (read as UTC), and a bare date. Years are
 * written as Spark writes them (Java's `uuuu`): four digits for 0000 to 9999,
 * a sign beyond ("+10000-01-01", "-0001-01-01"), and read back the same way
 * (the '+' optional), so every int64 timestamp the file sink writes reads
 * back. */
#ifndef SLUICE_CORE_TIMEFMT_H
#define SLUICE_CORE_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

/* 0 and *us on success; -1 when `s` (n bytes, not NUL-terminated) is not a
 * timestamp. A time without an offset is local to the session's zone (tz.h). */
int sluice_time_parse(const char *s, size_t n, int64_t *us);
/* `2021-05-03T07:55:40.000Z` (always milliseconds, the fraction floored),
 * NUL-terminated; returns the length. */
size_t sluice_time_format_iso(int64_t us, char out[40]);
/* As Spark's show() prints a timestamp: `2021-05-03 07:55:40` in the
 * session's zone (tz.h), with the fraction only when non-zero and without
 * trailing zeros (`07:55:40.12`). */
size_t sluice_time_format_show(int64_t us, char out[40]);
/* A date as Spark's cast from string reads it (stringToDate): optional
 * spaces, a year of four or more digits (signed as above), then optionally
 * -[m]m, then -[d]d, then the end or ' ' or 'T' followed by anything
 * (the time of a timestamp). 0 and *days since 1970-01-01 on success. */
int sluice_date_parse(const char *s, size_t n, int32_t *days);
/* `2021-05-03` (the year as above), NUL-terminated; returns the length. */
size_t sluice_date_format(int32_t days, char out[16]);
/* As Spark's JSON and CSV writers write a timestamp (yyyy-MM-dd'T'HH:mm:ss.SSSXXX
 * in the session's zone): `2021-05-03T09:55:40.000+02:00`, or the ISO form
 * above where the offset is zero. */
size_t sluice_time_format_zoned(int64_t us, char out[40]);
/* a / b rounded toward minus infinity (a day or second before the epoch
 * is day or second -1, not 0). */
static inline int64_t sluice_floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Days since the epoch of a civil date, and back (proleptic Gregorian). */
int64_t sluice_days_from_civil(int64_t y, unsigned m, unsigned d);
void sluice_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

#endif
