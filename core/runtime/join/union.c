/* Several streams as one. See union.h. */
#include "union.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "batch.h"
#include <sluice/buf.h>
#include "builder.h"
#include "error.h"
#include "mem.h"
#include "schema.h"

/* Spark's ordinal words in its UNION messages. */
static void ordinal(size_t i, struct sluice_buf *out)
{
    static const char *const words[] = { "first", "second", "third", "fourth", "fifth",
                                         "sixth", "seventh", "eighth", "ninth", "tenth" };
    if (i < sizeof words / sizeof *words) sluice_buf_puts(out, words[i]);
    else sluice_buf_printf(out, "%zuth", i + 1);
}

/* The same type whatever the nullability: Spark's union compares data
 * types, and nullability is merged afterwards. */
static bool same_type(const struct ArrowSchema *a, const struct ArrowSchema *b)
{
    enum sluice_type ta = sluice_type_of(a), tb = sluice_type_of(b);
    if (ta != tb || a->n_children != b->n_children) return false;
    if (ta == SLUICE_TYPE_INVALID && strcmp(a->format, b->format) != 0) return false;
    for (int64_t i = 0; i < a->n_children; i++) {
        const struct ArrowSchema *ca = a->children[i], *cb = b->children[i];
        if (ta == SLUICE_TYPE_STRUCT && strcmp(ca->name ? ca->name : "", cb->name ? cb->name : "") != 0) return false;
        if (!same_type(ca, cb)) return false;
    }
    return true;
}

/* `into` (a copy of one input's column) becomes nullable wherever `other` is. */
static void merge_nullable(struct ArrowSchema *into, const struct ArrowSchema *other)
{
    into->flags |= other->flags & ARROW_FLAG_NULLABLE;
    for (int64_t i = 0; i < into->n_children && i < other->n_children; i++)
        merge_nullable(into->children[i], other->children[i]);
}

static int type_error(const struct ArrowSchema *want, const struct ArrowSchema *got, size_t col, size_t input,
                      const char *col_name, const char *const *names, struct sluice_error *err)
{
    struct sluice_buf w = { 0 }, g = { 0 }, c = { 0 }, t = { 0 };
    sluice_schema_type_ddl(want, &w);
    sluice_schema_type_ddl(got, &g);
    if (col_name) sluice_buf_printf(&c, "column \"%s\"", col_name);
    else ordinal(col, &c), sluice_buf_puts(&c, " column");
    ordinal(input, &t);
    sluice_error_set(err, SLUICE_ECONFIG,
                     "UNION can only be performed on inputs with compatible column types. The %s of the %s input "
                     "('%s') is \"%s\" type which is not compatible with \"%s\" at the same column of the first "
                     "input ('%s')",
                     c.data, t.data, names[input], g.data, w.data, names[0]);
    sluice_error_hint(err, "cast one side before the union, e.g. a select with \"cast(x AS %s) AS x\"", w.data);
    sluice_buf_free(&w);
    sluice_buf_free(&g);
    sluice_buf_free(&c);
    sluice_buf_free(&t);
    return SLUICE_ECONFIG;
}

/* Output columns by position: the first input's. */
static int plan_by_position(struct sluice_union *u, const struct ArrowSchema *const *in, const char *const *names,
                            struct sluice_error *err)
{
    int64_t n = in[0]->n_children;
    for (size_t i = 1; i < u->n_inputs; i++) {
        if (in[i]->n_children == n) continue;
        struct sluice_buf t = { 0 };
        ordinal(i, &t);
        sluice_error_set(err, SLUICE_ECONFIG,
                         "UNION can only be performed on inputs with the same number of columns, but the first input "
                         "('%s') has %lld columns and the %s input ('%s') has %lld columns",
                         names[0], (long long)n, t.data, names[i], (long long)in[i]->n_children);
        sluice_error_hint(err, "select the same columns on each input, or use transform = \"union_by_name\"");
        sluice_buf_free(&t);
        return SLUICE_ECONFIG;
    }
    u->n_columns = n;
    for (size_t i = 0; i < u->n_inputs; i++) {
        u->from[i] = sluice_xcalloc((size_t)(n ? n : 1), sizeof **u->from);
        for (int64_t c = 0; c < n; c++) {
            if (!same_type(in[0]->children[c], in[i]->children[c]))
                return type_error(in[0]->children[c], in[i]->children[c], (size_t)c, i, NULL, names, err);
            u->from[i][c] = c;
        }
    }
    sluice_schema_init(&u->out, "+s", "", false, n);
    for (int64_t c = 0; c < n; c++) {
        sluice_schema_copy(in[0]->children[c], u->out.children[c]);
        for (size_t i = 1; i < u->n_inputs; i++) merge_nullable(u->out.children[c], in[i]->children[c]);
    }
    return SLUICE_OK;
}

/* Output columns by name: the first input's, then (allow_missing) the
 * ones only later inputs have, in the order met. */
static int plan_by_name(struct sluice_union *u, bool allow_missing, const struct ArrowSchema *const *in,
                        const char *const *names, struct sluice_error *err)
{
    const struct ArrowSchema **cols = NULL; /* the output's columns, as first met */
    int64_t n = 0;
    for (size_t i = 0; i < u->n_inputs; i++) {
        for (int64_t c = 0; c < in[i]->n_children; c++) {
            const struct ArrowSchema *col = in[i]->children[c];
            bool known = false;
            for (int64_t k = 0; k < n && !known; k++) known = strcmp(cols[k]->name, col->name) == 0;
            if (known) continue;
            if (i > 0 && !allow_missing) {
                free(cols);
                sluice_error_set(err, SLUICE_ECONFIG, "union_by_name: column \"%s\" of input '%s' is not a column of "
                                 "input '%s'", col->name, names[i], names[0]);
                sluice_error_hint(err, "allow_missing_columns = true; makes it null in the rows of inputs without it "
                                       "(Spark's allowMissingColumns)");
                return SLUICE_ECONFIG;
            }
            cols = sluice_xrealloc(cols, (size_t)(n + 1) * sizeof *cols);
            cols[n++] = col;
        }
    }
    u->n_columns = n;
    sluice_schema_init(&u->out, "+s", "", false, n);
    int rc = SLUICE_OK;
    for (int64_t k = 0; k < n; k++) sluice_schema_copy(cols[k], u->out.children[k]);
    for (size_t i = 0; i < u->n_inputs && !rc; i++) {
        u->from[i] = sluice_xcalloc((size_t)(n ? n : 1), sizeof **u->from);
        for (int64_t k = 0; k < n && !rc; k++) {
            int64_t c = sluice_schema_child_index(in[i], cols[k]->name);
            u->from[i][k] = c;
            if (c < 0 && !allow_missing) {
                sluice_error_set(err, SLUICE_ECONFIG, "union_by_name: input '%s' has no column \"%s\", which input "
                                 "'%s' has", names[i], cols[k]->name, names[0]);
                sluice_error_hint(err, "allow_missing_columns = true; makes it null in the rows of inputs without it "
                                       "(Spark's allowMissingColumns)");
                rc = SLUICE_ECONFIG;
            } else if (c < 0) {
                u->out.children[k]->flags |= ARROW_FLAG_NULLABLE;
            } else if (!same_type(cols[k], in[i]->children[c])) {
                rc = type_error(cols[k], in[i]->children[c], (size_t)k, i, cols[k]->name, names, err);
            } else {
                merge_nullable(u->out.children[k], in[i]->children[c]);
            }
        }
    }
    free(cols);
    return rc;
}

int sluice_union_plan(bool by_name, bool allow_missing, const struct ArrowSchema *const *inputs,
                      const char *const *names, size_t n, struct sluice_union **out, struct sluice_error *err)
{
    struct sluice_union *u = sluice_xcalloc(1, sizeof *u);
    u->n_inputs = n;
    u->from = sluice_xcalloc(n, sizeof *u->from);
    int rc = by_name ? plan_by_name(u, allow_missing, inputs, names, err) : plan_by_position(u, inputs, names, err);
    if (rc) {
        sluice_union_free(u);
        u = NULL;
    }
    *out = u;
    return rc;
}

void sluice_union_free(struct sluice_union *u)
{
    if (!u) return;
    for (size_t i = 0; i < u->n_inputs; i++) free(u->from[i]);
    free(u->from);
    if (u->out.release) sluice_schema_release(&u->out);
    free(u);
}

void sluice_union_process(const struct sluice_union *u, size_t input, struct sluice_batch *in,
                          struct sluice_batch *out)
{
    int64_t rows = sluice_batch_rows(in), n = u->n_columns;
    const int64_t *from = u->from[input];
    struct ArrowArray *cols = sluice_xcalloc((size_t)(n ? n : 1), sizeof *cols);
    struct sluice_arena *nulls = NULL;
    for (int64_t k = 0; k < n; k++) {
        if (from[k] >= 0) {
            sluice_array_move(&cols[k], in->array.children[from[k]]);
            continue;
        }
        if (!nulls) nulls = sluice_arena_new(0);
        sluice_array_make_null(u->out_schema->children[k], rows, nulls, &cols[k]);
    }
    if (nulls) sluice_arena_unref(nulls); /* the null columns hold it */
    sluice_batch_assemble(out, u->out_schema, rows, cols, n);
    free(cols);
    sluice_batch_release(in); /* what is left of it: the root and any column no output takes */
}
