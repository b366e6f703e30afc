/* Collecting a statement's result rows part by part. See sql_priv.h.
 *
 * A memory table is many batches (one or more per micro-batch) and may be
 * far larger than one batch can hold: its string offsets are 32-bit. So the
 * rows are never concatenated up front. Each part is projected alone and
 * only what the answer can still use is kept, as a "run": with ORDER BY and
 * a LIMIT k, the part's k first rows (a heap of k, sql_sort.c); without
 * ORDER BY, rows until k are held, and the caller stops reading parts.
 * Runs of ORDER BY .. LIMIT k are merged back down to k rows whenever they
 * hold more than 2k, so a top-k query holds at most about 3k rows whatever
 * the table's size. What the runs hold is measured after every part
 * against the query's memory bound; crossing it fails the query with
 * SLUICE_ENOMEM, and only the query. The bound is at most 1 GiB
 * (SLUICE_QUERY_MEMORY_MAX), so the final concatenation always fits one
 * batch. */
#include "sql_priv.h"

#include <stdlib.h>
#include <string.h>

#include <sluice/types.h>

#include "batch.h"
#include "builder.h"
#include "bytesize.h"
#include "error.h"
#include "expr.h"
#include "mem.h"
#include "sql_sort.h"
#include "take.h"

/* About the bytes slots [off, off + len) of `a` occupy; every slot counts a
 * byte at least, so an over-full list column cannot pass for small. */
static int64_t array_bytes(const struct ArrowSchema *s, const struct ArrowArray *a, int64_t off, int64_t len)
{
    if (len <= 0) return 0;
    int64_t p = a->offset + off;
    int64_t n = (len + 7) / 8; /* validity */
    switch (sluice_type_of(s)) {
    case SLUICE_TYPE_BOOLEAN:
        return n + len;
    case SLUICE_TYPE_LONG:
    case SLUICE_TYPE_DOUBLE:
    case SLUICE_TYPE_TIMESTAMP:
        return n + 8 * len;
    case SLUICE_TYPE_DATE:
        return n + 4 * len;
    case SLUICE_TYPE_DECIMAL:
        return n + 16 * len;
    case SLUICE_TYPE_STRING: {
        const int32_t *o = a->buffers[1];
        return n + 4 * (len + 1) + (o[p + len] - o[p]);
    }
    case SLUICE_TYPE_STRUCT:
        for (int64_t c = 0; c < s->n_children; c++) n += array_bytes(s->children[c], a->children[c], p, len);
        return n + len;
    case SLUICE_TYPE_ARRAY:
    case SLUICE_TYPE_MAP: {
        const int32_t *o = a->buffers[1];
        return n + 4 * (len + 1) + array_bytes(s->children[0], a->children[0], o[p], o[p + len] - o[p]);
    }
    default:
        return n + 8 * len;
    }
}

static int64_t batch_bytes(const struct sluice_batch *b)
{
    int64_t n = 0;
    for (int64_t c = 0; c < b->schema->n_children; c++)
        n += array_bytes(b->schema->children[c], b->array.children[c], 0, b->array.length);
    return n;
}

/* *out = rows idx[0..n) of `in`, its first `cols` columns, as a batch of
 * `schema`; empty when a column would pass the size limit (SLUICE_ELIMIT). */
static int take(const struct sluice_batch *in, int64_t cols, const struct ArrowSchema *schema, const int64_t *idx,
                int64_t n, struct sluice_batch *out, struct sluice_error *err)
{
    struct ArrowArray *c = sluice_xcalloc((size_t)cols + 1, sizeof *c);
    int rc = SLUICE_OK;
    for (int64_t k = 0; k < cols && !rc; k++)
        rc = sluice_array_take(in->schema->children[k], in->array.children[k], idx, n, &c[k], err);
    sluice_batch_assemble(out, schema, n, c, cols);
    free(c);
    if (rc) sluice_batch_release(out);
    return rc;
}

static int take_prefix(const struct sluice_batch *in, int64_t n, struct sluice_batch *out, struct sluice_error *err)
{
    int64_t *idx = sluice_xmalloc(((size_t)n + 1) * sizeof *idx);
    for (int64_t i = 0; i < n; i++) idx[i] = i;
    int rc = take(in, in->schema->n_children, in->schema, idx, n, out, err);
    free(idx);
    return rc;
}

/* The sort keys over the columns of a wide batch. */
static struct sluice_sort_key *keys_over(const struct sluice_sql_collect *c, const struct sluice_batch *b)
{
    struct sluice_sort_key *keys = sluice_xcalloc(c->n_order + 1, sizeof *keys);
    for (size_t i = 0; i < c->n_order; i++)
        keys[i] = (struct sluice_sort_key){ .schema = c->wide->children[c->order[i].col],
                                            .values = b->array.children[c->order[i].col],
                                            .desc = c->order[i].desc, .nulls_first = c->order[i].nulls_first };
    return keys;
}

/* The `keep` first rows of `b` in ORDER BY order, as a new batch. */
static int top_rows(const struct sluice_sql_collect *c, const struct sluice_batch *b, int64_t keep,
                    struct sluice_batch *out, struct sluice_error *err)
{
    int64_t rows = sluice_batch_rows(b);
    struct sluice_sort_key *keys = keys_over(c, b);
    int64_t *idx = sluice_xmalloc(((size_t)(keep >= 0 && keep < rows ? keep : rows) + 1) * sizeof *idx);
    int64_t m = sluice_sort_top(keys, c->n_order, rows, keep, idx);
    int rc = take(b, b->schema->n_children, b->schema, idx, m, out, err);
    free(idx);
    free(keys);
    return rc;
}

/* Every run as one batch (the runs are released); empty when it would
 * pass a column's size limit. */
static int concat_runs(struct sluice_sql_collect *c, struct sluice_batch *out, struct sluice_error *err)
{
    if (c->n_runs == 1) {
        sluice_batch_move(out, &c->runs[0]);
        c->n_runs = 0;
        return SLUICE_OK;
    }
    struct sluice_builder *b = sluice_builder_new(c->wide);
    for (size_t i = 0; i < c->n_runs; i++) {
        const struct sluice_batch *p = &c->runs[i];
        for (int64_t r = 0; r < sluice_batch_rows(p); r++) {
            sluice_builder_append_struct(b);
            for (int64_t k = 0; k < c->wide->n_children; k++) {
                const struct ArrowArray *col = p->array.children[k];
                sluice_builder_append_from(&b->children[k], col, col->offset + r);
            }
        }
        sluice_batch_release(&c->runs[i]);
    }
    c->n_runs = 0;
    int rc = sluice_builder_refusal(b, err);
    sluice_builder_finish(b, out);
    out->schema = c->wide;
    sluice_builder_free(b);
    if (rc) sluice_batch_release(out);
    return rc;
}

static void push_run(struct sluice_sql_collect *c, struct sluice_batch *run)
{
    if (c->n_runs == c->cap_runs) {
        c->cap_runs = c->cap_runs ? 2 * c->cap_runs : 8;
        c->runs = sluice_xrealloc(c->runs, c->cap_runs * sizeof *c->runs);
    }
    c->rows += sluice_batch_rows(run);
    c->bytes += batch_bytes(run);
    sluice_batch_move(&c->runs[c->n_runs++], run);
}

/* ORDER BY .. LIMIT k: the runs merged down to their k first rows. */
static int compact(struct sluice_sql_collect *c, struct sluice_error *err)
{
    struct sluice_batch all = { 0 }, top = { 0 };
    int rc = concat_runs(c, &all, err);
    if (!rc) rc = top_rows(c, &all, c->keep, &top, err);
    sluice_batch_release(&all);
    c->rows = c->bytes = 0;
    if (!rc) push_run(c, &top);
    return rc;
}

void sluice_sql_collect_init(struct sluice_sql_collect *c, const struct ArrowSchema *wide, int64_t n_out,
                             const struct sluice_sql_order_col *order, size_t n_order, int64_t keep,
                             int64_t max_bytes)
{
    *c = (struct sluice_sql_collect){ .wide = wide, .n_out = n_out, .order = order, .n_order = n_order,
                                      .keep = keep, .max_bytes = max_bytes };
}

bool sluice_sql_collect_full(const struct sluice_sql_collect *c)
{
    return c->keep == 0 || (!c->n_order && c->keep > 0 && c->rows >= c->keep);
}

int sluice_sql_over_memory(int64_t max_bytes, const char *what, struct sluice_error *err)
{
    struct sluice_buf limit = { 0 };
    sluice_bytesize_format(max_bytes, &limit);
    int rc = sluice_error_set(err, SLUICE_ENOMEM, "the query needs more than %s for %s "
                              "(runtime.query_memory_limit)", limit.data, what);
    sluice_error_hint(err, "add a LIMIT or a WHERE, select fewer columns, or raise runtime.query_memory_limit; "
                           "the stream goes on");
    sluice_buf_free(&limit);
    return rc;
}

int sluice_sql_collect_add(struct sluice_sql_collect *c, struct sluice_batch *part, struct sluice_error *err)
{
    int64_t rows = sluice_batch_rows(part);
    struct sluice_batch run = { 0 };
    if (rows == 0 || sluice_sql_collect_full(c)) {
        sluice_batch_release(part);
        return SLUICE_OK;
    }
    int rc = SLUICE_OK;
    if (c->n_order && c->keep >= 0) {
        rc = top_rows(c, part, c->keep, &run, err);
        sluice_batch_release(part);
    } else if (!c->n_order && c->keep >= 0 && rows > c->keep - c->rows) {
        rc = take_prefix(part, c->keep - c->rows, &run, err);
        sluice_batch_release(part);
    } else {
        sluice_batch_move(&run, part); /* every row may be in the answer */
    }
    if (rc) return rc;
    push_run(c, &run);
    if (c->n_order && c->keep >= 0 && c->rows > 2 * c->keep && (rc = compact(c, err))) return rc;
    if (c->max_bytes > 0 && c->bytes > c->max_bytes) return sluice_sql_over_memory(c->max_bytes, "its rows", err);
    return SLUICE_OK;
}

int sluice_sql_collect_finish(struct sluice_sql_collect *c, const struct ArrowSchema *schema, struct sluice_batch *out,
                              struct sluice_error *err)
{
    if (!c->n_runs) {
        struct sluice_builder *b = sluice_builder_new(schema);
        sluice_builder_finish(b, out);
        out->schema = schema;
        sluice_builder_free(b);
        return SLUICE_OK;
    }
    struct sluice_batch all = { 0 };
    int rc = concat_runs(c, &all, err);
    if (rc) return rc;
    int64_t rows = sluice_batch_rows(&all);
    int64_t keep = c->keep >= 0 && c->keep < rows ? c->keep : rows;
    int64_t *idx = sluice_xmalloc(((size_t)rows + 1) * sizeof *idx);
    if (c->n_order) {
        struct sluice_sort_key *keys = keys_over(c, &all);
        keep = sluice_sort_top(keys, c->n_order, rows, keep, idx);
        free(keys);
    } else {
        for (int64_t i = 0; i < keep; i++) idx[i] = i;
    }
    rc = take(&all, c->n_out, schema, idx, keep, out, err);
    free(idx);
    sluice_batch_release(&all);
    return rc;
}

void sluice_sql_collect_free(struct sluice_sql_collect *c)
{
    for (size_t i = 0; i < c->n_runs; i++) sluice_batch_release(&c->runs[i]);
    free(c->runs);
    c->runs = NULL;
    c->n_runs = c->cap_runs = 0;
}
