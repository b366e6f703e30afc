/* core/cli/status_line.h — the one-line live status `sluice run` shows on a
 * terminal: batch, input rows per second, watermark and state rows, redrawn
 * in place after every batch (DESIGN §8).
 *
 *   sluice: batch 12 | 1,234 rows/s | watermark 2021-05-03 07:55:40 | 345 state rows
 *
 * It is off unless enabled, and `sluice run` enables it only when stderr
 * is a terminal and the log level is not quiet, so logs, pipes and tests
 * never see it. The engine clears it when a batch starts, so a sink
 * printing to the same terminal and log lines start on a clean line, and
 * when the run ends.
 *
 * This is the one place besides log.c that writes to stderr: the line is
 * redrawn with a carriage return, which a log line cannot do.
 * Threads: main thread only. */
#ifndef SLUICE_CORE_STATUS_LINE_H
#define SLUICE_CORE_STATUS_LINE_H

#include <stdbool.h>

#include <sluice/buf.h>

struct sluice_progress_batch;

void sluice_status_line_enable(bool on);
/* Draw the status of a committed batch (nothing when disabled). */
void sluice_status_line_show(const struct sluice_progress_batch *b);
/* Erase the line, if one is showing. */
void sluice_status_line_clear(void);
/* The text of the status line, without terminal controls (for tests). */
void sluice_status_line_format(const struct sluice_progress_batch *b, struct sluice_buf *out);

#endif
