/* The stream-static hash join: see join.h. */
#include "join.h"

#include <stdlib.h>
#include <string.h>

#include <sluice/types.h>

#include "agg_key.h"
#include "arena.h"
#include "batch.h"
#include "error.h"
#include "expr.h"
#include "mem.h"
#include "take.h"

#define SCRATCH_CHUNK (1u << 16)

struct sluice_join *sluice_join_new(enum sluice_join_type type, struct sluice_expr **stream_keys,
                                    struct sluice_expr **static_keys, size_t n_keys)
{
    struct sluice_join *j = sluice_xcalloc(1, sizeof *j);
    j->type = type;
    j->stream_keys = stream_keys;
    j->static_keys = static_keys;
    j->n_keys = n_keys;
    sluice_agg_table_init(&j->keys, sizeof(int64_t));
    return j;
}

void sluice_join_free(struct sluice_join *j)
{
    if (!j) return;
    for (size_t k = 0; k < j->n_keys; k++) {
        sluice_expr_free(j->stream_keys[k]);
        sluice_expr_free(j->static_keys[k]);
    }
    free(j->stream_keys);
    free(j->static_keys);
    sluice_batch_release(&j->table);
    free(j->next);
    sluice_agg_table_free(&j->keys);
    free(j);
}

/* The key columns of `b` by `exprs`, evaluated into cols[0, n) and encoded
 * into *keys (from `scratch`); has_null[i] when row i has a null key. */
static int encode_keys(struct sluice_expr *const *exprs, size_t n, const struct sluice_batch *b,
                       struct ArrowArray *cols, struct sluice_arena *scratch, struct sluice_agg_keys *keys,
                       bool *has_null, struct sluice_error *err)
{
    int rc = sluice_agg_key_eval(exprs, n, b, cols, scratch, keys, err);
    int64_t rows = sluice_batch_rows(b);
    for (int64_t i = 0; i < rows && !rc; i++) {
        has_null[i] = false;
        for (size_t k = 0; k < n && !has_null[i]; k++) has_null[i] = !sluice_array_valid(&cols[k], i);
    }
    return rc;
}

static void release_cols(struct ArrowArray *cols, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (cols[k].release) cols[k].release(&cols[k]);
    free(cols);
}

int sluice_join_build(struct sluice_join *j, struct sluice_batch *table, struct sluice_error *err)
{
    sluice_batch_move(&j->table, table);
    int64_t n = sluice_batch_rows(&j->table);
    j->next = sluice_xmalloc((size_t)(n ? n : 1) * sizeof *j->next);
    struct ArrowArray *cols = sluice_xcalloc(j->n_keys, sizeof *cols);
    bool *has_null = sluice_xmalloc((size_t)(n ? n : 1));
    struct sluice_arena *scratch = sluice_arena_new(SCRATCH_CHUNK);
    struct sluice_agg_keys keys;
    int rc = encode_keys(j->static_keys, j->n_keys, &j->table, cols, scratch, &keys, has_null, err);
    /* Rows of a key chained in table order: the last one seen is kept per
     * group as the chain's tail while building, then the head. */
    int64_t *tail = sluice_xmalloc((size_t)(n ? n : 1) * sizeof *tail);
    for (int64_t i = 0; i < n && !rc; i++) {
        j->next[i] = -1;
        if (has_null[i]) {
            j->rows_without_key++;
            continue;
        }
        bool inserted;
        const uint8_t *key = keys.data + keys.offs[i];
        size_t g = sluice_agg_table_upsert(&j->keys, keys.hash[i], key, (uint32_t)(keys.offs[i + 1] - keys.offs[i]),
                                           &inserted);
        if (g == SLUICE_AGG_TABLE_FULL) {
            rc = sluice_error_set(err, SLUICE_ELIMIT, "the static table holds more keys than a join may");
            break;
        }
        int64_t *head = (int64_t *)(void *)sluice_agg_table_state(&j->keys, g);
        if (inserted) {
            *head = i;
        } else {
            j->next[tail[g]] = i;
        }
        tail[g] = i;
    }
    free(tail);
    free(has_null);
    release_cols(cols, j->n_keys);
    sluice_arena_unref(scratch);
    return rc;
}

/* Room for one more pair. */
static void add_pair(int64_t **s, int64_t **t, size_t *n, size_t *cap, int64_t si, int64_t ti)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        *s = sluice_xrealloc(*s, *cap * sizeof **s);
        *t = sluice_xrealloc(*t, *cap * sizeof **t);
    }
    (*s)[*n] = si;
    (*t)[(*n)++] = ti;
}

/* Columns [0, n) of struct array `a` (of `schema`) at rows idx[0, m) into cols. */
static int take_columns(const struct ArrowSchema *schema, const struct ArrowArray *a, const int64_t *idx, int64_t m,
                        struct ArrowArray *cols, struct sluice_error *err)
{
    for (int64_t c = 0; c < schema->n_children; c++) {
        /* A column's slots count from the struct's offset, and its own. */
        const struct ArrowArray *child = a->children[c];
        const int64_t *rows = idx;
        int64_t *shifted = NULL;
        if (a->offset) {
            shifted = sluice_xmalloc((size_t)(m ? m : 1) * sizeof *shifted);
            for (int64_t i = 0; i < m; i++) shifted[i] = idx[i] < 0 ? -1 : idx[i] + a->offset;
            rows = shifted;
        }
        int rc = sluice_array_take(schema->children[c], child, rows, m, &cols[c], err);
        free(shifted);
        if (rc) return rc;
    }
    return SLUICE_OK;
}

int sluice_join_process(const struct sluice_join *j, struct sluice_batch *in, struct sluice_batch *out,
                        struct sluice_error *err)
{
    int64_t n = sluice_batch_rows(in);
    struct ArrowArray *kcols = sluice_xcalloc(j->n_keys, sizeof *kcols);
    bool *has_null = sluice_xmalloc((size_t)(n ? n : 1));
    struct sluice_arena *scratch = sluice_arena_new(SCRATCH_CHUNK);
    struct sluice_agg_keys keys;
    int rc = encode_keys(j->stream_keys, j->n_keys, in, kcols, scratch, &keys, has_null, err);
    int64_t *srows = NULL, *trows = NULL;
    size_t m = 0, cap = 0;
    for (int64_t i = 0; i < n && !rc; i++) {
        int64_t g = has_null[i] ? -1
                                : sluice_agg_table_find(&j->keys, keys.hash[i], keys.data + keys.offs[i],
                                                        (uint32_t)(keys.offs[i + 1] - keys.offs[i]));
        int64_t first = -1;
        if (g >= 0) memcpy(&first, sluice_agg_table_state(&j->keys, (size_t)g), sizeof first);
        switch (j->type) {
        case SLUICE_JOIN_INNER:
        case SLUICE_JOIN_LEFT_OUTER:
            for (int64_t t = first; t >= 0; t = j->next[t]) add_pair(&srows, &trows, &m, &cap, i, t);
            if (first < 0 && j->type == SLUICE_JOIN_LEFT_OUTER) add_pair(&srows, &trows, &m, &cap, i, -1);
            break;
        case SLUICE_JOIN_LEFT_SEMI:
            if (first >= 0) add_pair(&srows, &trows, &m, &cap, i, -1);
            break;
        case SLUICE_JOIN_LEFT_ANTI:
            if (first < 0) add_pair(&srows, &trows, &m, &cap, i, -1);
            break;
        }
    }
    release_cols(kcols, j->n_keys);
    free(has_null);
    sluice_arena_unref(scratch);
    const struct ArrowSchema *ss = in->schema, *ts = j->table.schema;
    bool with_static = j->type == SLUICE_JOIN_INNER || j->type == SLUICE_JOIN_LEFT_OUTER;
    int64_t n_cols = ss->n_children + (with_static ? ts->n_children : 0);
    struct ArrowArray *cols = sluice_xcalloc((size_t)(n_cols ? n_cols : 1), sizeof *cols);
    if (!rc) rc = take_columns(ss, &in->array, srows, (int64_t)m, cols, err);
    if (!rc && with_static) rc = take_columns(ts, &j->table.array, trows, (int64_t)m, cols + ss->n_children, err);
    if (!rc) {
        sluice_batch_assemble(out, j->out_schema, (int64_t)m, cols, n_cols);
    } else {
        for (int64_t c = 0; c < n_cols; c++)
            if (cols[c].release) cols[c].release(&cols[c]);
    }
    free(cols);
    free(srows);
    free(trows);
    sluice_batch_release(in);
    return rc;
}
