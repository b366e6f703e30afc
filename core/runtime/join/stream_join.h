/* core/runtime/join/stream_join.h — the stream-stream join: two streams
 * joined on equal keys, each side's rows buffered until the watermark says
 * no row of the other side can match them any more (Spark's
 * StreamingSymmetricHashJoinExec).
 *
 *   { name = "j"; input = "impressions";
 *     join = { with = "clicks"; type = "left_outer";
 *              on = "ad_id = clicks.ad_id AND clicks.time >= impressions.time AND "
 *                   "clicks.time <= impressions.time + INTERVAL 1 HOUR"; }; }
 *
 * A batch of either side reaches the join on the main thread, in the order
 * the units were planned. Each of its rows
 *   - is dropped as late when its side's watermarked column is at or below
 *     the watermark (Spark's late-event filter);
 *   - is paired with the other side's buffered rows of its key, a pair kept
 *     when the rest of the condition holds: inner and outer joins put out a
 *     row per pair, so each pair is found once, by the later of its rows;
 *   - is buffered under its key (join_side.h).
 * Eviction, at the start of each batch with the batch's watermark W: a
 * side's row goes when its eviction time is at or below W + offset (the
 * time-range condition, or a watermarked key, says which time and which
 * offset: stream_join_load.c). An unmatched row of a preserved side leaves
 * then as an outer row, the other side's columns null (left_outer: the
 * left side; right_outer: the right; full_outer: both).
 * left_semi: a left row leaves once, at its first match; the right rows
 * are buffered only to be matched.
 *
 * Output: the left (input) side's columns, then the right's (none for
 * left_semi); columns of the pair schema, which the rest of the condition
 * is compiled against with more: a struct of a side's columns for each
 * stage name on that side's way up, so `clicks.time` reads the right
 * side's `time`.
 *
 * State: operator `<stage>`, partition 0 of 1: a record per buffered row,
 * keyed by side and sequence number (u8 side, i64 LE seq), holding i64
 * time, u8 matched, u32 key length, the key, the row; under the empty key
 * the watermark the batch evicted with and the next batch's (i64 each). A
 * batch saves the rows it added or matched; a restore loads them, evicts
 * what the batch evicted (without putting out its outer rows again) and
 * leaves the rest to the next batch. Threads: main thread only. */
#ifndef SLUICE_CORE_STREAM_JOIN_H
#define SLUICE_CORE_STREAM_JOIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/batch.h>
#include <sluice/error.h>

#include "join_side.h"

struct sluice_arena;
struct sluice_expr;
struct sluice_state_store;
struct sluice_watermark_tracker;

enum sluice_stream_join_type {
    SLUICE_SJOIN_INNER = 0,
    SLUICE_SJOIN_LEFT_OUTER,
    SLUICE_SJOIN_RIGHT_OUTER,
    SLUICE_SJOIN_FULL_OUTER,
    SLUICE_SJOIN_LEFT_SEMI,
};

enum { SLUICE_SJOIN_LEFT = 0, SLUICE_SJOIN_RIGHT = 1 };

/* What one input gives the join, compiled against that input's schema. */
struct sluice_stream_join_input {
    struct sluice_expr **keys;  /* n_keys, each pair of one type; owned */
    struct sluice_expr *late;   /* the side's watermarked column, or NULL: no row is late */
    struct sluice_expr *evict;  /* the time a buffered row is evicted by, or NULL: kept for ever */
    int64_t evict_offset_us;    /* evicted when that time <= watermark + offset */
    char *evict_column;         /* evict's column, for `sluice check` (owned) */
    struct sluice_join_side state;
    int64_t rows_late;
};

struct sluice_stream_join {
    enum sluice_stream_join_type type;
    struct sluice_stream_join_input in[2];
    size_t n_keys;
    struct ArrowSchema pair_schema;      /* left columns then right's (owned) */
    struct ArrowSchema cond_schema;      /* the pair's columns, then n_quals structs (owned) */
    int *qual_side;                      /* which side's columns each of those structs holds */
    size_t n_quals;
    struct sluice_expr **conds;          /* the rest of `on`, over cond_schema (owned) */
    size_t n_conds;
    const struct ArrowSchema *out_schema; /* the stage's output (borrowed) */
    char **right_used;                   /* the right input's columns the join reads (owned) */
    size_t n_right_used;
    struct sluice_watermark_tracker **trackers; /* of every watermark above (owned array) */
    size_t n_trackers;
    int64_t watermark;       /* the running batch's; after the batch commits, the next one's */
    int64_t evicted_with;    /* the watermark the last eviction ran with */
    int64_t saved_watermark, saved_evicted_with; /* the ones in the store */
    struct sluice_arena *scratch;
    int64_t rows_evicted;    /* since the run started */
    int64_t late_reported, evicted_reported; /* as of the last progress record */
};

struct sluice_stream_join *sluice_stream_join_new(enum sluice_stream_join_type type);
void sluice_stream_join_free(struct sluice_stream_join *j);
/* Once the schemas are set: the sides' states over their inputs. */
void sluice_stream_join_ready(struct sluice_stream_join *j, const struct ArrowSchema *left,
                              const struct ArrowSchema *right);

/* Join a batch of side `side` (*in, consumed) into *out (the caller's, a
 * batch of out_schema), buffering its rows as changed by `batch_id`. */
int sluice_stream_join_process(struct sluice_stream_join *j, int side, int64_t batch_id, struct sluice_batch *in,
                               struct sluice_batch *out, struct sluice_error *err);

/* Evict what the batch's watermark lets go; each batch of outer rows goes
 * to emit (moved in), or nowhere when emit is NULL (a restore). */
typedef int (*sluice_stream_join_emit_fn)(void *arg, struct sluice_batch *b, struct sluice_error *err);
int sluice_stream_join_evict(struct sluice_stream_join *j, sluice_stream_join_emit_fn emit, void *arg,
                             struct sluice_error *err);
/* After the batch commits: the watermark the next batch runs with. True
 * when it moved and rows are buffered, so a batch without data should run
 * to evict them (Spark's no-data batch). */
bool sluice_stream_join_advance(struct sluice_stream_join *j);

int sluice_stream_join_save(struct sluice_stream_join *j, const char *op, struct sluice_state_store *store,
                            int64_t batch_id, struct sluice_error *err);
int sluice_stream_join_restore(struct sluice_stream_join *j, const char *op, struct sluice_state_store *store,
                               struct sluice_error *err);

#endif
