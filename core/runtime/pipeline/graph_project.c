/* Projection pushdown: what each stage needs of its input, from the sinks
 * up, so each source parses only the columns some stage reads (through a
 * union, each input under its own column names). See graph_priv.h. */
#include <stdlib.h>
#include <string.h>

#include "graph_priv.h"
#include "colpath.h"
#include "mem.h"
#include "schema.h"
#include "stream_join.h"
#include "union.h"

struct pathset {
    bool all;
    char **paths;
    size_t n;
};

static void pathset_add(struct pathset *s, const char *path, size_t len)
{
    if (s->all) return;
    for (size_t i = 0; i < s->n; i++)
        if (strlen(s->paths[i]) == len && memcmp(s->paths[i], path, len) == 0) return;
    s->paths = sluice_xrealloc(s->paths, (s->n + 1) * sizeof *s->paths);
    s->paths[s->n++] = sluice_xstrndup(path, len);
}

static void pathset_set_all(struct pathset *s)
{
    for (size_t i = 0; i < s->n; i++) free(s->paths[i]);
    free(s->paths);
    *s = (struct pathset){ .all = true };
}

/* Projection-form name: back-quoted (with ` doubled) unless a plain word,
 * as core/schema/colpath.h writes them. */
static void append_segment(struct sluice_buf *b, const char *name)
{
    bool plain = name[0] != '\0';
    for (const char *p = name; *p && plain; p++)
        plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                *p == '_';
    if (plain) {
        sluice_buf_puts(b, name);
        return;
    }
    sluice_buf_putc(b, '`');
    for (const char *p = name; *p; p++) {
        if (*p == '`') sluice_buf_putc(b, '`');
        sluice_buf_putc(b, *p);
    }
    sluice_buf_putc(b, '`');
}

/* The first segment of a projection path, unquoted, into `name`; *rest is
 * what follows it ("" or ".lang..."). False on a malformed path. */
static bool split_top(const char *path, struct sluice_buf *name, const char **rest)
{
    const char *p = path;
    if (*p == '`') {
        for (p++;; p++) {
            if (!*p) return false;
            if (*p == '`' && p[1] != '`') break;
            if (*p == '`') p++;
            sluice_buf_putc(name, *p);
        }
        p++;
    } else {
        while (*p && *p != '.') sluice_buf_putc(name, *p++);
    }
    if (*p && *p != '.') return false;
    if (!name->data) sluice_buf_puts(name, "");
    *rest = p;
    return true;
}

/* Output path `path` of `st`, as a path of its input when that top-level
 * column is passed through unchanged; false when the stage computes it. */
bool sluice_graph_map_through(const struct sluice_stage *st, const char *path, struct sluice_buf *out)
{
    struct sluice_buf name = { 0 };
    const char *rest;
    bool ok = split_top(path, &name, &rest);
    int64_t j = ok ? sluice_schema_child_index(&st->ctx.output_schema, name.data) : -1;
    sluice_buf_free(&name);
    if (j < 0 || (size_t)j >= st->ctx.n_pass_from) return false;
    int64_t in = st->ctx.pass_from[j];
    if (in < 0 || in >= st->ctx.input_schema->n_children) return false;
    append_segment(out, st->ctx.input_schema->children[in]->name);
    sluice_buf_puts(out, rest);
    return true;
}

/* What stage `st` needs from its input, given what is needed of its output. */
static void needed_input(const struct sluice_stage *st, const struct pathset *out_needed,
                         struct pathset *in)
{
    if (st->ctx.use_all) {
        pathset_set_all(in);
        return;
    }
    for (size_t i = 0; i < st->ctx.n_used; i++) pathset_add(in, st->ctx.used[i], strlen(st->ctx.used[i]));
    if (st->kind == SLUICE_STAGE_SINK || !st->ctx.output_schema.release) return;
    const struct ArrowSchema *os = &st->ctx.output_schema;
    struct sluice_buf b = { 0 };
    if (out_needed->all) {
        for (int64_t j = 0; j < os->n_children; j++) {
            sluice_buf_clear(&b);
            struct sluice_buf name = { 0 };
            append_segment(&name, os->children[j]->name);
            if (sluice_graph_map_through(st, name.data, &b)) pathset_add(in, b.data, b.len);
            sluice_buf_free(&name);
        }
    } else {
        for (size_t i = 0; i < out_needed->n; i++) {
            sluice_buf_clear(&b);
            if (sluice_graph_map_through(st, out_needed->paths[i], &b)) pathset_add(in, b.data, b.len);
        }
    }
    sluice_buf_free(&b);
}

/* What union `st` needs from its input m: each needed output column,
 * renamed to that input's column (a column the input lacks is null in
 * its rows and asks it for nothing). */
static void union_needed_input(const struct sluice_stage *st, size_t m, const struct pathset *out_needed,
                               struct pathset *in)
{
    const struct sluice_union *u = st->un;
    const struct ArrowSchema *os = &st->ctx.output_schema, *is = &st->inputs[m]->ctx.output_schema;
    struct sluice_buf name = { 0 }, b = { 0 };
    size_t n = out_needed->all ? (size_t)os->n_children : out_needed->n;
    for (size_t i = 0; i < n; i++) {
        const char *rest = "";
        int64_t j = (int64_t)i;
        sluice_buf_clear(&name);
        if (!out_needed->all) {
            if (!split_top(out_needed->paths[i], &name, &rest)) continue;
            j = sluice_schema_child_index(os, name.data);
        }
        if (j < 0 || j >= u->n_columns || u->from[m][j] < 0) continue;
        sluice_buf_clear(&b);
        append_segment(&b, is->children[u->from[m][j]]->name);
        sluice_buf_puts(&b, rest);
        pathset_add(in, b.data, b.len);
    }
    sluice_buf_free(&name);
    sluice_buf_free(&b);
}

/* What stream-stream join `st` needs from its right input: the columns
 * its keys and conditions read, and each needed output column of the
 * right side under its own name (output columns after the left's). */
static void join_needed_right(const struct sluice_stage *st, const struct pathset *out_needed, struct pathset *in)
{
    const struct sluice_stream_join *j = st->sjoin;
    const struct ArrowSchema *os = &st->ctx.output_schema, *rs = &st->join_with->ctx.output_schema;
    int64_t nl = st->ctx.input_schema->n_children;
    for (size_t i = 0; i < j->n_right_used; i++) pathset_add(in, j->right_used[i], strlen(j->right_used[i]));
    struct sluice_buf name = { 0 }, b = { 0 };
    size_t n = out_needed->all ? (size_t)os->n_children : out_needed->n;
    for (size_t i = 0; i < n; i++) {
        const char *rest = "";
        int64_t c = (int64_t)i;
        sluice_buf_clear(&name);
        if (!out_needed->all) {
            if (!split_top(out_needed->paths[i], &name, &rest)) continue;
            c = sluice_schema_child_index(os, name.data);
        }
        if (c < nl || c - nl >= rs->n_children) continue;
        sluice_buf_clear(&b);
        append_segment(&b, rs->children[c - nl]->name);
        sluice_buf_puts(&b, rest);
        pathset_add(in, b.data, b.len);
    }
    sluice_buf_free(&name);
    sluice_buf_free(&b);
}

/* `q` covers `p` when q is p or a segment-wise prefix of it (`data` covers `data.lang`). */
static bool covers(const char *q, const char *p)
{
    size_t n = strlen(q);
    return strncmp(q, p, n) == 0 && (p[n] == '\0' || p[n] == '.');
}

/* Move `s` into a projection: duplicates and paths under a shorter one dropped. */
static void finish_projection(struct pathset *s, struct sluice_projection *out)
{
    char **kept = sluice_xcalloc(s->n ? s->n : 1, sizeof *kept);
    bool *drop = sluice_xcalloc(s->n ? s->n : 1, sizeof *drop);
    size_t n = 0;
    /* No duplicates here (pathset_add dropped them), so j != i is shorter. */
    for (size_t i = 0; i < s->n; i++)
        for (size_t j = 0; j < s->n && !drop[i]; j++) drop[i] = j != i && covers(s->paths[j], s->paths[i]);
    for (size_t i = 0; i < s->n; i++) {
        if (drop[i])
            free(s->paths[i]);
        else
            kept[n++] = s->paths[i];
    }
    free(drop);
    free(s->paths);
    out->all = s->all;
    out->n_paths = n;
    out->paths = (const char *const *)kept;
    *s = (struct pathset){ 0 };
}

void sluice_graph_compute_projections(struct sluice_graph *g)
{
    size_t n = g->n_stages;
    struct pathset *need = sluice_xcalloc(n, sizeof *need); /* per stage: of its output */
    g->projections = sluice_xcalloc(n, sizeof *g->projections);
    /* Readers come after their input in g->stages: walk backwards. */
    for (size_t k = n; k-- > 0;) {
        struct sluice_stage *st = &g->stages[k];
        if (st->is_static) pathset_set_all(&need[k]); /* a table: the joins take every column */
        if (!st->feeds_sink) continue; /* never runs: asks nothing of its input */
        if (st->has_watermark) {
            /* The core reads the event-time column to advance the watermark
             * (check_watermark resolved it already). */
            struct sluice_col col;
            if (sluice_col_resolve(&st->ctx.output_schema, st->watermark.column, &col, NULL) == SLUICE_OK) {
                struct sluice_buf b = { 0 };
                sluice_col_projection_path(&st->ctx.output_schema, &col, &b);
                if (b.data) pathset_add(&need[k], b.data, b.len);
                sluice_buf_free(&b);
            }
            /* And, by producer, the column naming each row's. */
            int64_t pc = st->watermark.producer_col;
            if (pc >= 0 && pc < st->ctx.output_schema.n_children) {
                const char *name = st->ctx.output_schema.children[pc]->name;
                pathset_add(&need[k], name, strlen(name));
            }
        }
        if (st->kind == SLUICE_STAGE_UNION && st->un)
            for (size_t m = 0; m < st->n_inputs; m++)
                union_needed_input(st, m, &need[k], &need[st->inputs[m] - g->stages]);
        else if (st->input)
            needed_input(st, &need[k], &need[st->input - g->stages]);
        if (st->kind == SLUICE_STAGE_STREAM_JOIN && st->sjoin)
            join_needed_right(st, &need[k], &need[st->join_with - g->stages]);
    }
    for (size_t k = 0; k < n; k++) finish_projection(&need[k], &g->projections[k]);
    free(need);
}
