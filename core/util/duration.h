/* core/util/duration.h — durations as users write them (contract):
 * "10 seconds", "1 minute", "500 milliseconds", "2 hours", "1 day",
 * singular or plural, and "10s", "5m", "500ms", "2h", "1d", "250us". */
#ifndef SLUICE_CORE_DURATION_H
#define SLUICE_CORE_DURATION_H

#include <stddef.h>
#include <stdint.h>

#include <sluice/buf.h>

/* Returns 0 and *us (microseconds) on success; -1 on anything else
 * (empty, no unit, unknown unit, negative, overflow). Zero is accepted here;
 * callers that need a positive duration check it themselves. */
int sluice_duration_parse(const char *s, int64_t *us);
/* The canonical form: "10 seconds", "1 minute", "500 milliseconds". */
void sluice_duration_format(int64_t us, struct sluice_buf *out);

#endif
