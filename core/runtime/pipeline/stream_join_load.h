/* core/runtime/pipeline/stream_join_load.h — a stream-stream join as the
 * config writes it (the operator is core/runtime/join/stream_join.h):
 *
 *   { name = "j"; input = "impressions";
 *     join = { with = "clicks"; type = "left_outer";
 *              on = "ad_id = clicks.ad_id AND clicks.time >= impressions.time AND "
 *                   "clicks.time <= impressions.time + INTERVAL 1 HOUR"; }; }
 *
 * `with` names a stream: any stage but a static table or a sink. `on` is
 * conditions joined by AND: at least one equality between a column of
 * each side (the keys), and any others over both (a pair joins when all
 * hold). A name qualified by a stage on a side's way up is that side's;
 * an unqualified one the left's when it has it, else the right's. `type`
 * is inner (default), left_outer, right_outer, full_outer or left_semi.
 *
 * Event time, as Spark's StreamingJoinHelper reads it: a side's buffered
 * rows are evicted by a watermarked column among the keys, or by a
 * time-range condition between a column of it and the other side's
 * watermarked column. Outer and semi joins need it on the sides they put
 * out alone (Spark's errors); an inner join without it keeps every row,
 * which `sluice check` says. Errors name file, line, stage and key
 * (SLUICE_ECONFIG). Main thread. */
#ifndef SLUICE_CORE_STREAM_JOIN_LOAD_H
#define SLUICE_CORE_STREAM_JOIN_LOAD_H

#include <stdbool.h>

#include <sluice/buf.h>
#include <sluice/error.h>

struct sluice_stage;

/* Open time (both inputs open): compile `on`, declare the output, make st->sjoin. */
int sluice_stream_join_load_open(struct sluice_stage *st, struct sluice_error *err);
/* Once every stage is open: late rows, eviction and Spark's checks. */
int sluice_stream_join_load_event_time(struct sluice_stage *st, bool check, struct sluice_error *err);
/* For `sluice check`: the keys and what bounds each side's buffer. */
void sluice_stream_join_load_describe(const struct sluice_stage *st, struct sluice_buf *out);

#endif
