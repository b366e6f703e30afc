/* The stream-stream join: see stream_join.h. Rows of a batch are judged
 * top to bottom: late rows out, keys encoded, pairs found in the other
 * side's buffer, the rest of the condition over the pairs, matches marked,
 * output taken, rows buffered. */
#include "stream_join.h"

#include <stdlib.h>
#include <string.h>

#include <sluice/types.h>

#include "agg_key.h"
#include "arena.h"
#include "batch.h"
#include "builder.h"
#include "error.h"
#include "expr.h"
#include "mem.h"
#include "schema.h"
#include "take.h"
#include "watermark.h"

#define SCRATCH_CHUNK (1u << 16)

struct sluice_stream_join *sluice_stream_join_new(enum sluice_stream_join_type type)
{
    struct sluice_stream_join *j = sluice_xcalloc(1, sizeof *j);
    j->type = type;
    j->watermark = j->evicted_with = SLUICE_WATERMARK_NONE;
    j->saved_watermark = j->saved_evicted_with = SLUICE_WATERMARK_NONE;
    j->scratch = sluice_arena_new(SCRATCH_CHUNK);
    return j;
}

void sluice_stream_join_ready(struct sluice_stream_join *j, const struct ArrowSchema *left,
                              const struct ArrowSchema *right)
{
    sluice_join_side_init(&j->in[0].state, left);
    sluice_join_side_init(&j->in[1].state, right);
}

void sluice_stream_join_free(struct sluice_stream_join *j)
{
    if (!j) return;
    for (int s = 0; s < 2; s++) {
        struct sluice_stream_join_input *in = &j->in[s];
        for (size_t k = 0; in->keys && k < j->n_keys; k++) sluice_expr_free(in->keys[k]);
        free(in->keys);
        sluice_expr_free(in->late);
        sluice_expr_free(in->evict);
        free(in->evict_column);
        if (in->state.bytes) sluice_join_side_free(&in->state);
    }
    for (size_t c = 0; c < j->n_conds; c++) sluice_expr_free(j->conds[c]);
    free(j->conds);
    if (j->pair_schema.release) sluice_schema_release(&j->pair_schema);
    if (j->cond_schema.release) sluice_schema_release(&j->cond_schema);
    free(j->qual_side);
    for (size_t i = 0; i < j->n_right_used; i++) free(j->right_used[i]);
    free(j->right_used);
    free(j->trackers);
    sluice_arena_unref(j->scratch);
    free(j);
}

static bool preserved(const struct sluice_stream_join *j, int side)
{
    switch (j->type) {
    case SLUICE_SJOIN_LEFT_OUTER: return side == SLUICE_SJOIN_LEFT;
    case SLUICE_SJOIN_RIGHT_OUTER: return side == SLUICE_SJOIN_RIGHT;
    case SLUICE_SJOIN_FULL_OUTER: return true;
    default: return false;
    }
}

static void release_cols(struct ArrowArray *cols, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (cols[k].release) cols[k].release(&cols[k]);
}

/* The rows of *in (replaced) whose side's watermarked column is above the
 * watermark, or null: Spark's filter of late events. */
static int drop_late(struct sluice_stream_join *j, struct sluice_stream_join_input *me, struct sluice_batch *in,
                     struct sluice_error *err)
{
    if (!me->late || j->watermark == SLUICE_WATERMARK_NONE) return SLUICE_OK;
    int64_t n = sluice_batch_rows(in);
    struct ArrowArray t;
    int rc = sluice_expr_eval(me->late, in, &t, err);
    if (rc) return rc;
    int64_t *keep = sluice_xmalloc((size_t)(n ? n : 1) * sizeof *keep), k = 0;
    const int64_t *v = (const int64_t *)t.buffers[1] + t.offset;
    for (int64_t i = 0; i < n; i++)
        if (!sluice_array_valid(&t, t.offset + i) || v[i] > j->watermark) keep[k++] = i;
    t.release(&t);
    me->rows_late += n - k;
    if (k < n) {
        struct sluice_batch kept = { .schema = in->schema };
        rc = sluice_array_take(in->schema, &in->array, keep, k, &kept.array, err);
        sluice_batch_release(in);
        sluice_batch_move(in, &kept);
    }
    free(keep);
    return rc;
}

/* Growing lists of pairs: row of this batch, buffered row of the other side. */
struct pairs {
    int64_t *mine, *theirs;
    size_t n, cap;
};

static void add_pair(struct pairs *p, int64_t mine, int64_t theirs)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? 2 * p->cap : 64;
        p->mine = sluice_xrealloc(p->mine, p->cap * sizeof *p->mine);
        p->theirs = sluice_xrealloc(p->theirs, p->cap * sizeof *p->theirs);
    }
    p->mine[p->n] = mine;
    p->theirs[p->n++] = theirs;
}

/* Buffered rows idx[0, n) of a side as whole columns, into cols. */
static int decode_rows(const struct sluice_join_side *s, const int64_t *idx, size_t n, struct ArrowArray *cols,
                       struct sluice_error *err)
{
    struct sluice_builder *b = sluice_builder_new(s->schema);
    sluice_builder_reserve(b, (int64_t)n);
    bool ok = true;
    for (size_t i = 0; i < n && ok; i++) ok = sluice_join_side_decode(s, (size_t)idx[i], b);
    struct sluice_batch out;
    sluice_builder_finish(b, &out);
    sluice_builder_free(b);
    for (int64_t c = 0; c < out.array.n_children; c++) sluice_array_move(&cols[c], out.array.children[c]);
    sluice_batch_release(&out);
    if (!ok) return sluice_error_set(err, SLUICE_EDATA, "a buffered join row in the checkpoint is damaged");
    return SLUICE_OK;
}

/* Rows idx[0, n) of *in as whole columns, into cols. */
static int take_rows(const struct sluice_batch *in, const int64_t *idx, size_t n, struct ArrowArray *cols,
                     struct sluice_error *err)
{
    struct ArrowArray t;
    int rc = sluice_array_take(in->schema, &in->array, idx, (int64_t)n, &t, err);
    for (int64_t c = 0; c < t.n_children; c++) sluice_array_move(&cols[c], t.children[c]);
    t.release(&t);
    return rc;
}

static void view_release(struct ArrowArray *a)
{
    a->release = NULL;
}

/* pass[p] &= every condition holds for pair p, over a view of the pairs'
 * columns with a struct per side (cond_schema); borrowed, never released
 * beyond its own nodes. */
static int eval_conds(const struct sluice_stream_join *j, const struct sluice_batch *pairs, bool *pass,
                      struct sluice_error *err)
{
    int64_t n = sluice_batch_rows(pairs), nl = j->in[0].state.schema->n_children, nr = j->in[1].state.schema->n_children;
    size_t nq = j->n_quals;
    struct ArrowArray **kids = sluice_xcalloc((size_t)(nl + nr) + nq + 1, sizeof *kids);
    struct ArrowArray *quals = sluice_xcalloc(nq + 1, sizeof *quals);
    const void *no_buffers[1] = { NULL };
    for (size_t q = 0; q < nq; q++) {
        int s = j->qual_side[q];
        quals[q] = (struct ArrowArray){ .length = n, .n_buffers = 1, .buffers = no_buffers,
                                        .n_children = s ? nr : nl, .children = pairs->array.children + (s ? nl : 0),
                                        .release = view_release };
        kids[nl + nr + (int64_t)q] = &quals[q];
    }
    for (int64_t c = 0; c < nl + nr; c++) kids[c] = pairs->array.children[c];
    struct ArrowArray root = { .length = n, .n_buffers = 1, .buffers = no_buffers,
                               .n_children = nl + nr + (int64_t)nq, .children = kids, .release = view_release };
    struct sluice_batch view = { .schema = &j->cond_schema, .array = root };
    int rc = SLUICE_OK;
    for (size_t c = 0; c < j->n_conds && !rc; c++) {
        struct ArrowArray b;
        rc = sluice_expr_eval(j->conds[c], &view, &b, err);
        if (rc) break;
        for (int64_t i = 0; i < n; i++)
            pass[i] = pass[i] && sluice_array_valid(&b, b.offset + i) && sluice_bit_get(b.buffers[1], b.offset + i);
        b.release(&b);
    }
    free(kids);
    free(quals);
    return rc;
}

/* The pairs as a batch of pair_schema: this batch's rows on its side, the
 * buffered rows on the other. */
static int pair_batch(const struct sluice_stream_join *j, int side, const struct sluice_batch *in,
                      const struct pairs *p, struct sluice_batch *out, struct sluice_error *err)
{
    int64_t nl = j->in[0].state.schema->n_children, nr = j->in[1].state.schema->n_children;
    struct ArrowArray *cols = sluice_xcalloc((size_t)(nl + nr + 1), sizeof *cols);
    struct ArrowArray *mine = side == SLUICE_SJOIN_LEFT ? cols : cols + nl;
    struct ArrowArray *theirs = side == SLUICE_SJOIN_LEFT ? cols + nl : cols;
    int rc = take_rows(in, p->mine, p->n, mine, err);
    if (!rc) rc = decode_rows(&j->in[1 - side].state, p->theirs, p->n, theirs, err);
    if (rc) release_cols(cols, (size_t)(nl + nr));
    else sluice_batch_assemble(out, &j->pair_schema, (int64_t)p->n, cols, nl + nr);
    free(cols);
    return rc;
}

/* Output rows sel[0, k) of the pairs: every column, or the left side's
 * (left_semi). */
static int take_output(const struct sluice_stream_join *j, struct sluice_batch *pairs, const int64_t *sel, int64_t k,
                       struct sluice_batch *out, struct sluice_error *err)
{
    struct ArrowArray t;
    int rc = sluice_array_take(&j->pair_schema, &pairs->array, sel, k, &t, err);
    if (rc) {
        t.release(&t);
        return rc;
    }
    int64_t n = j->out_schema->n_children;
    struct ArrowArray *cols = sluice_xcalloc((size_t)n + 1, sizeof *cols);
    for (int64_t c = 0; c < n; c++) sluice_array_move(&cols[c], t.children[c]);
    t.release(&t);
    sluice_batch_assemble(out, j->out_schema, k, cols, n);
    free(cols);
    return SLUICE_OK;
}

/* Buffer the batch's rows (those not left out) on side `side`. */
static int buffer_rows(struct sluice_stream_join *j, int side, int64_t batch_id, const struct sluice_batch *in,
                       const struct sluice_agg_keys *keys, const bool *null_key, const bool *matched,
                       const struct ArrowArray *times, struct sluice_error *err)
{
    struct sluice_stream_join_input *me = &j->in[side];
    bool keep_null_keys = preserved(j, side);
    for (int64_t i = 0; i < sluice_batch_rows(in); i++) {
        if (j->type == SLUICE_SJOIN_LEFT_SEMI && side == SLUICE_SJOIN_LEFT && matched[i]) continue;
        if (null_key[i] && !keep_null_keys) continue; /* it can never match, nor be an outer row */
        int64_t t = SLUICE_WATERMARK_NONE;
        if (times && sluice_array_valid(times, times->offset + i)) t = ((const int64_t *)times->buffers[1])[times->offset + i];
        uint32_t len = null_key[i] ? 0 : (uint32_t)(keys->offs[i + 1] - keys->offs[i]);
        size_t r = sluice_join_side_add(&me->state, keys->hash[i], keys->data + keys->offs[i], len, me->state.next_seq,
                                        t, batch_id, matched[i], in->schema, &in->array, i, NULL, 0);
        if (r == SIZE_MAX)
            return sluice_error_set(err, SLUICE_ELIMIT, "the join buffers more keys than it may (%lld)",
                                    (long long)me->state.index.max_groups);
    }
    return SLUICE_OK;
}

int sluice_stream_join_process(struct sluice_stream_join *j, int side, int64_t batch_id, struct sluice_batch *in,
                               struct sluice_batch *out, struct sluice_error *err)
{
    struct sluice_stream_join_input *me = &j->in[side];
    struct sluice_join_side *other = &j->in[1 - side].state;
    bool semi = j->type == SLUICE_SJOIN_LEFT_SEMI;
    *out = (struct sluice_batch){ 0 };
    int rc = drop_late(j, me, in, err);
    int64_t n = rc ? 0 : sluice_batch_rows(in);
    struct ArrowArray *cols = sluice_xcalloc(j->n_keys + 1, sizeof *cols);
    struct sluice_agg_keys keys = { 0 };
    bool *null_key = sluice_xcalloc((size_t)(n ? n : 1), 1), *matched = sluice_xcalloc((size_t)(n ? n : 1), 1);
    if (!rc) rc = sluice_agg_key_eval(me->keys, j->n_keys, in, cols, j->scratch, &keys, err);
    struct ArrowArray *times = me->evict ? &cols[j->n_keys] : NULL;
    if (!rc && times) rc = sluice_expr_eval(me->evict, in, times, err);
    struct pairs p = { 0 };
    for (int64_t i = 0; i < n && !rc; i++) {
        for (size_t k = 0; k < j->n_keys && !null_key[i]; k++) null_key[i] = !sluice_array_valid(&cols[k], cols[k].offset + i);
        if (null_key[i]) continue;
        uint32_t len = (uint32_t)(keys.offs[i + 1] - keys.offs[i]);
        for (int64_t r = sluice_join_side_first(other, keys.hash[i], keys.data + keys.offs[i], len); r >= 0;
             r = other->rows[r].next) {
            /* left_semi: a left row already put out is not put out again. */
            if (semi && side == SLUICE_SJOIN_RIGHT && other->rows[r].matched) continue;
            add_pair(&p, i, r);
        }
    }
    struct sluice_batch pairs = { 0 };
    bool *pass = sluice_xmalloc(p.n ? p.n : 1);
    memset(pass, 1, p.n ? p.n : 1);
    if (!rc && p.n) rc = pair_batch(j, side, in, &p, &pairs, err);
    if (!rc && p.n && j->n_conds) rc = eval_conds(j, &pairs, pass, err);
    /* Matches marked (a buffered row's flag is saved with the batch), and
     * what goes out chosen: a row per pair, or a left row once (left_semi). */
    int64_t *sel = sluice_xmalloc((p.n ? p.n : 1) * sizeof *sel), k = 0;
    bool track_theirs = preserved(j, 1 - side) || (semi && side == SLUICE_SJOIN_RIGHT);
    for (size_t q = 0; q < p.n && !rc; q++) {
        if (!pass[q]) continue;
        struct sluice_join_row *r = &other->rows[p.theirs[q]];
        bool first_of_mine = !matched[p.mine[q]];
        matched[p.mine[q]] = true;
        if (semi && side == SLUICE_SJOIN_LEFT && !first_of_mine) continue;
        if (semi && side == SLUICE_SJOIN_RIGHT && r->matched) continue;
        /* The flag matters to a row that may leave as an outer row, and to
         * a left_semi left row, which leaves once. */
        if ((track_theirs) && !r->matched) {
            r->matched = true;
            r->updated = batch_id;
        }
        sel[k++] = (int64_t)q;
    }
    if (!rc && k) rc = take_output(j, &pairs, sel, k, out, err);
    if (!rc) rc = buffer_rows(j, side, batch_id, in, &keys, null_key, matched, times, err);
    if (rc) sluice_batch_release(out);
    sluice_batch_release(&pairs);
    release_cols(cols, j->n_keys + 1);
    free(cols);
    free(sel);
    free(pass);
    free(p.mine);
    free(p.theirs);
    free(null_key);
    free(matched);
    sluice_batch_release(in);
    sluice_arena_reset(j->scratch);
    return rc;
}

/* ---- eviction ------------------------------------------------------------ */

struct evicted {
    const struct sluice_stream_join *j;
    bool outer;                  /* unmatched rows leave as outer rows */
    struct sluice_builder *rows; /* those rows, of the side's schema */
    bool damaged;
};

static void on_evicted(void *arg, const struct sluice_join_side *s, size_t i)
{
    struct evicted *e = arg;
    if (!e->outer || s->rows[i].matched) return;
    if (!sluice_join_side_decode(s, i, e->rows)) e->damaged = true;
}

/* The outer rows of `side` as a batch of out_schema: its columns from the
 * builder, the other side's null. */
static int outer_batch(const struct sluice_stream_join *j, int side, struct sluice_builder *b, struct sluice_batch *out)
{
    struct sluice_batch rows;
    int64_t n = b->length;
    sluice_builder_finish(b, &rows);
    const struct ArrowSchema *os = j->in[1 - side].state.schema;
    int64_t nl = j->in[0].state.schema->n_children, nr = j->in[1].state.schema->n_children;
    struct ArrowArray *cols = sluice_xcalloc((size_t)(nl + nr), sizeof *cols);
    struct ArrowArray *mine = side == SLUICE_SJOIN_LEFT ? cols : cols + nl;
    struct ArrowArray *theirs = side == SLUICE_SJOIN_LEFT ? cols + nl : cols;
    for (int64_t c = 0; c < rows.array.n_children; c++) sluice_array_move(&mine[c], rows.array.children[c]);
    sluice_batch_release(&rows);
    struct sluice_arena *arena = sluice_arena_new(0);
    for (int64_t c = 0; c < os->n_children; c++) sluice_array_make_null(os->children[c], n, arena, &theirs[c]);
    sluice_arena_unref(arena);
    sluice_batch_assemble(out, j->out_schema, n, cols, nl + nr);
    free(cols);
    return SLUICE_OK;
}

int sluice_stream_join_evict(struct sluice_stream_join *j, sluice_stream_join_emit_fn emit, void *arg,
                             struct sluice_error *err)
{
    j->evicted_with = j->watermark;
    if (j->watermark == SLUICE_WATERMARK_NONE) return SLUICE_OK;
    for (int side = 0; side < 2; side++) {
        struct sluice_stream_join_input *me = &j->in[side];
        if (!me->evict) continue;
        int64_t off = me->evict_offset_us, w = j->watermark;
        /* Saturating: an offset never wraps the threshold around. */
        int64_t threshold = off > 0 && w > INT64_MAX - off ? INT64_MAX
                            : off < 0 && w < INT64_MIN + 1 - off ? INT64_MIN + 1 : w + off;
        struct evicted e = { .j = j, .outer = emit && preserved(j, side) };
        if (e.outer) e.rows = sluice_builder_new(me->state.schema);
        j->rows_evicted += (int64_t)sluice_join_side_evict(&me->state, threshold, on_evicted, &e);
        int rc = SLUICE_OK;
        if (e.damaged) rc = sluice_error_set(err, SLUICE_EDATA, "a buffered join row in the checkpoint is damaged");
        if (!rc && e.rows && e.rows->length) {
            struct sluice_batch out;
            outer_batch(j, side, e.rows, &out);
            rc = emit(arg, &out, err);
        }
        if (e.rows) sluice_builder_free(e.rows);
        if (rc) return rc;
    }
    return SLUICE_OK;
}

bool sluice_stream_join_advance(struct sluice_stream_join *j)
{
    int64_t before = j->watermark;
    if (j->n_trackers) j->watermark = sluice_watermark_next(j->watermark, sluice_watermark_min(j->trackers, j->n_trackers));
    bool buffered = (j->in[0].evict && j->in[0].state.n_rows) || (j->in[1].evict && j->in[1].state.n_rows);
    return j->watermark != before && buffered;
}
