/* One dispatch over the core's keyed operators: see keyed.h. */
#include "keyed.h"

#include "dedup.h"
#include "error.h"
#include "progress.h"
#include "stage.h"
#include "stream_join.h"

bool sluice_keyed_is(const struct sluice_stage *st)
{
    return st->feeds_sink && ((st->kind == SLUICE_STAGE_DEDUP && st->dedup) ||
                              (st->kind == SLUICE_STAGE_STREAM_JOIN && st->sjoin));
}

int sluice_keyed_process(struct sluice_stage *st, int side, int64_t batch_id, struct sluice_batch *in,
                         struct sluice_batch *out, struct sluice_error *err)
{
    int rc = st->kind == SLUICE_STAGE_DEDUP ? sluice_dedup_filter(st->dedup, batch_id, in, out, err)
                                            : sluice_stream_join_process(st->sjoin, side, batch_id, in, out, err);
    if (rc) sluice_error_stage(err, st->name);
    return rc;
}

struct emit_through {
    struct sluice_stage *st;
    sluice_keyed_emit_fn emit;
    void *arg;
};

static int emit_join_rows(void *arg, struct sluice_batch *b, struct sluice_error *err)
{
    struct emit_through *e = arg;
    return e->emit(e->arg, e->st, b, err);
}

int sluice_keyed_evict(struct sluice_stage *st, sluice_keyed_emit_fn emit, void *arg, struct sluice_error *err)
{
    if (st->kind == SLUICE_STAGE_DEDUP) {
        sluice_dedup_evict(st->dedup);
        return SLUICE_OK;
    }
    struct emit_through e = { st, emit, arg };
    int rc = sluice_stream_join_evict(st->sjoin, emit ? emit_join_rows : NULL, &e, err);
    if (rc && !err->stage[0]) sluice_error_stage(err, st->name);
    return rc;
}

void sluice_keyed_report(struct sluice_stage *st, int64_t batch_id, struct sluice_progress_state *out)
{
    *out = (struct sluice_progress_state){ .stage = st->name, .partitions = 1 };
    if (st->kind == SLUICE_STAGE_DEDUP) {
        struct sluice_dedup *d = st->dedup;
        const struct sluice_agg_table *t = &d->table;
        out->operator_name = "dedupe";
        out->rows_total = (int64_t)t->n_groups;
        for (size_t g = 0; g < t->n_groups; g++) out->rows_updated += t->groups[g].updated == batch_id;
        out->rows_removed = d->keys_evicted - d->evicted_reported;
        out->rows_dropped = d->rows_late - d->late_reported;
        out->memory_bytes = (int64_t)sluice_agg_table_bytes(t);
        d->evicted_reported = d->keys_evicted;
        d->late_reported = d->rows_late;
        return;
    }
    struct sluice_stream_join *j = st->sjoin;
    out->operator_name = "symmetricHashJoin";
    int64_t late = 0;
    for (int s = 0; s < 2; s++) {
        const struct sluice_join_side *side = &j->in[s].state;
        out->rows_total += (int64_t)side->n_rows;
        for (size_t i = 0; i < side->n_rows; i++) out->rows_updated += side->rows[i].updated == batch_id;
        out->memory_bytes += (int64_t)(sluice_join_side_bytes(side));
        late += j->in[s].rows_late;
    }
    out->rows_removed = j->rows_evicted - j->evicted_reported;
    out->rows_dropped = late - j->late_reported;
    j->evicted_reported = j->rows_evicted;
    j->late_reported = late;
}

bool sluice_keyed_advance(struct sluice_stage *st)
{
    if (st->kind == SLUICE_STAGE_DEDUP) {
        sluice_dedup_advance(st->dedup);
        return false;
    }
    return sluice_stream_join_advance(st->sjoin);
}

int sluice_keyed_save(struct sluice_stage *st, struct sluice_state_store *store, int64_t batch_id,
                      struct sluice_error *err)
{
    int rc = st->kind == SLUICE_STAGE_DEDUP ? sluice_dedup_save(st->dedup, st->name, store, batch_id, err)
                                            : sluice_stream_join_save(st->sjoin, st->name, store, batch_id, err);
    if (rc) sluice_error_stage(err, st->name);
    return rc;
}

int sluice_keyed_restore(struct sluice_stage *st, struct sluice_state_store *store, struct sluice_error *err)
{
    int rc = st->kind == SLUICE_STAGE_DEDUP ? sluice_dedup_restore(st->dedup, st->name, store, err)
                                            : sluice_stream_join_restore(st->sjoin, st->name, store, err);
    if (rc) sluice_error_stage(err, st->name);
    return rc;
}
