/* core/bytesize.h — sizes in bytes as users write them, Spark's way
 * (JavaUtils.byteStringAs): a whole number and a unit, binary multiples:
 * "256 MiB", "256MiB", "256m", "256mb", "64 KiB", "1g", "512 bytes", "512b",
 * or a bare number of bytes. Units are case-insensitive. */
#ifndef SLUICE_CORE_BYTESIZE_H
#define SLUICE_CORE_BYTESIZE_H

#include <stdint.h>

#include <sluice/buf.h>

/* Returns 0 and *bytes on success; -1 on anything else (empty, unknown
 * unit, a fraction, negative, overflow). */
int sluice_bytesize_parse(const char *s, int64_t *bytes);
/* "256 MiB", "1 KiB", "1.5 GiB", "300 bytes": the largest unit that leaves
 * at least 1, with one decimal when it is not whole. */
void sluice_bytesize_format(int64_t bytes, struct sluice_buf *out);

#endif
