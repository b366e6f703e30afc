/* core/serve/metrics.h — GET /metrics: what a pipeline did, in the
 * Prometheus text exposition format (version 0.0.4).
 *
 * Per query (labels query and source): input, output and malformed rows,
 * batches, the batch duration histogram, the last batch id, the watermark
 * and the latest event time (seconds since the epoch); per aggregate
 * stage: state rows and bytes, rows dropped as late and rows evicted; per
 * stage (labels query and stage): rows put out. Every family has its HELP
 * and TYPE lines, counters end in _total.
 *
 * Threads: any (the HTTP server's); reads the graph's progress under its
 * lock and the stages' counters atomically. */
#ifndef SLUICE_CORE_METRICS_H
#define SLUICE_CORE_METRICS_H

#include <sluice/buf.h>

struct sluice_graph;

/* Append the exposition of `g` to out. */
void sluice_metrics_format(const struct sluice_graph *g, struct sluice_buf *out);

#endif
