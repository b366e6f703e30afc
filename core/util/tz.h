/* core/util/tz.h — time zones, and the session's (Spark's
 * spark.sql.session.timeZone; runtime.timezone).
 *
 * A zone is UTC, a fixed offset ("+02:00", "-0530", "UTC+2", "GMT-03:30")
 * or a region of the system's tz database ("Europe/Paris"), read from its
 * TZif file (/usr/share/zoneinfo, or $TZDIR): every transition, then the
 * file's POSIX rule for the years after the last one. Local times map to
 * instants as Java's ZonedDateTime.ofLocal does: in a gap (spring
 * forward) the time moves later by the gap, in an overlap (fall back) the
 * earlier offset wins.
 *
 * The session zone is what timestamps without an offset are read in and
 * what local dates and times are computed and shown in. It is UTC until a
 * pipeline opens with runtime.timezone; it is set on the main thread
 * before any worker reads it, and a zone stays valid for the process's
 * life once it has been the session's (reloads may set another). */
#ifndef SLUICE_CORE_TZ_H
#define SLUICE_CORE_TZ_H

#include <stddef.h>
#include <stdint.h>

struct sluice_tz;

/* Load zone `name`. 0 and *out (the caller's, sluice_tz_free) on success;
 * -1 with why[] saying what is wrong. */
int sluice_tz_load(const char *name, struct sluice_tz **out, char *why, size_t cap);
void sluice_tz_free(struct sluice_tz *tz);
const char *sluice_tz_name(const struct sluice_tz *tz);
/* Seconds east of UTC in effect at `utc_s` (seconds since the epoch). */
int32_t sluice_tz_offset(const struct sluice_tz *tz, int64_t utc_s);
/* The instant (seconds) of local time `local_s` (ZonedDateTime.ofLocal's rules). */
int64_t sluice_tz_to_utc(const struct sluice_tz *tz, int64_t local_s);

/* The session zone: NULL is UTC. Setting it keeps `tz` for the process. */
void sluice_tz_set_session(struct sluice_tz *tz);
const struct sluice_tz *sluice_tz_session(void);

/* Microseconds: UTC to the session's local time, and back. */
int64_t sluice_tz_local_us(int64_t utc_us);
int64_t sluice_tz_utc_us(int64_t local_us);
/* The session's offset (seconds east of UTC) at instant `utc_us`. */
int32_t sluice_tz_session_offset(int64_t utc_us);

#endif
