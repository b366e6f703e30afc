/* A stream-stream join from the config: see stream_join_load.h. */
#include "stream_join_load.h"

#include <stdlib.h>
#include <string.h>

#include <libconfig.h>

#include "colpath.h"
#include "config.h"
#include "duration.h"
#include "error.h"
#include "expr.h"
#include "graph_priv.h"
#include "join_load.h"
#include "log.h"
#include "mem.h"
#include "schema.h"
#include "stage.h"
#include "stream_join.h"
#include "watermark.h"

#define LEFT SLUICE_SJOIN_LEFT
#define RIGHT SLUICE_SJOIN_RIGHT

/* Spark's names, for its messages, by sluice_join_type_index. */
static const char *const spark_names[] = { "Inner", "LeftOuter", "LeftSemi", "LeftAnti", "RightOuter", "FullOuter" };
static const enum sluice_stream_join_type types[] = { SLUICE_SJOIN_INNER, SLUICE_SJOIN_LEFT_OUTER,
                                                      SLUICE_SJOIN_LEFT_SEMI, SLUICE_SJOIN_INNER,
                                                      SLUICE_SJOIN_RIGHT_OUTER, SLUICE_SJOIN_FULL_OUTER };

static const struct sluice_stage *side_stage(const struct sluice_stage *st, int side)
{
    return side == LEFT ? st->input : st->join_with;
}

/* Whether a stage named name[0, len) is `side` or above it. */
static bool answers_to(const struct sluice_stage *side, const char *name, size_t len)
{
    for (const struct sluice_stage *s = side; s; s = s->input)
        if (strlen(s->name) == len && memcmp(s->name, name, len) == 0) return true;
    return false;
}

/* Which side `text` (one operand of an equality) reads, and *rest the text
 * to compile against that side: a qualifier names the side (one both
 * sides answer to names neither), else the left when it has the column. */
static int side_of(const struct sluice_stage *st, const char *text, const char **rest)
{
    const char *dot = strchr(text, '.');
    *rest = text;
    if (dot && dot[1]) {
        size_t len = (size_t)(dot - text);
        bool l = answers_to(st->input, text, len), r = answers_to(st->join_with, text, len);
        if (l != r) {
            *rest = dot + 1;
            return l ? LEFT : RIGHT;
        }
    }
    struct sluice_expr *e = NULL;
    struct sluice_error ignored = { 0 };
    int rc = sluice_expr_compile(&st->input->ctx.output_schema, text, &e, &ignored);
    sluice_expr_free(e);
    return rc == SLUICE_OK ? LEFT : RIGHT;
}

/* ---- schemas ------------------------------------------------------------- */

/* The pair's columns, then a struct of a side's columns per stage name on
 * that side's way up (one both sides answer to, or a column's, left out). */
static void make_cond_schema(const struct sluice_stage *st, struct sluice_stream_join *j)
{
    const struct ArrowSchema *pair = &j->pair_schema;
    const char *names[64];
    int sides[64];
    size_t nq = 0;
    for (int side = 0; side < 2; side++)
        for (const struct sluice_stage *s = side_stage(st, side); s && nq < 64; s = s->input) {
            size_t len = strlen(s->name);
            if (answers_to(side_stage(st, 1 - side), s->name, len) || sluice_schema_child_index(pair, s->name) >= 0)
                continue;
            names[nq] = s->name;
            sides[nq++] = side;
        }
    sluice_schema_init(&j->cond_schema, "+s", "", false, pair->n_children + (int64_t)nq);
    for (int64_t c = 0; c < pair->n_children; c++) sluice_schema_copy(pair->children[c], j->cond_schema.children[c]);
    j->qual_side = sluice_xcalloc(nq + 1, sizeof *j->qual_side);
    j->n_quals = nq;
    for (size_t q = 0; q < nq; q++) {
        const struct ArrowSchema *side = j->in[sides[q]].state.schema;
        struct ArrowSchema *col = j->cond_schema.children[pair->n_children + (int64_t)q];
        sluice_schema_init(col, "+s", names[q], false, side->n_children);
        for (int64_t c = 0; c < side->n_children; c++) sluice_schema_copy(side->children[c], col->children[c]);
        j->qual_side[q] = sides[q];
    }
}

/* A column path of the condition schema as (side, path of that side's
 * input); *all when it is a whole side. -1 on a path it cannot map. */
static int cond_path_side(const struct sluice_stream_join *j, const char *path, struct sluice_buf *out, bool *all)
{
    int64_t nl = j->in[0].state.schema->n_children, nr = j->in[1].state.schema->n_children;
    size_t len = strlen(path);
    char *storage = sluice_xmalloc(len + 1);
    const char *segs[64];
    int n = sluice_projection_path_split(path, storage, segs, 64);
    int64_t idx = n > 0 ? sluice_schema_child_index(&j->cond_schema, segs[0]) : -1;
    int side = -1, first = 1;
    *all = false;
    sluice_buf_clear(out);
    if (idx >= 0 && idx < nl) {
        side = LEFT;
        first = 0;
    } else if (idx >= nl && idx < nl + nr) {
        side = RIGHT;
        sluice_col_append_name(out, j->in[1].state.schema->children[idx - nl]->name);
    } else if (idx >= 0) {
        side = j->qual_side[idx - nl - nr];
        *all = n == 1;
    }
    for (int k = first; side >= 0 && k < n; k++) {
        if (out->len) sluice_buf_putc(out, '.');
        sluice_col_append_name(out, segs[k]);
    }
    free(storage);
    return side;
}

/* ---- open ---------------------------------------------------------------- */

static void add_right_used(struct sluice_stream_join *j, const char *path)
{
    for (size_t i = 0; i < j->n_right_used; i++)
        if (strcmp(j->right_used[i], path) == 0) return;
    j->right_used = sluice_xrealloc(j->right_used, (j->n_right_used + 1) * sizeof *j->right_used);
    j->right_used[j->n_right_used++] = sluice_xstrdup(path);
}

/* Record what `e`, compiled against side `side`'s input, reads. */
static int use_side_columns(struct sluice_stage *st, int side, const struct sluice_expr *e, struct sluice_error *err)
{
    const char *const *paths;
    size_t n = sluice_expr_columns(e, &paths);
    for (size_t i = 0; i < n; i++) {
        if (side == RIGHT) add_right_used(st->sjoin, paths[i]);
        else if (sluice_ctx_use_column(&st->ctx, paths[i], err)) return SLUICE_ECONFIG;
    }
    return SLUICE_OK;
}

/* The same for a condition over both sides. */
static int use_cond_columns(struct sluice_stage *st, const struct sluice_expr *e, struct sluice_error *err)
{
    struct sluice_stream_join *j = st->sjoin;
    const char *const *paths;
    size_t n = sluice_expr_columns(e, &paths);
    struct sluice_buf b = { 0 };
    int rc = SLUICE_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        bool all;
        int side = cond_path_side(j, paths[i], &b, &all);
        const struct ArrowSchema *s = side >= 0 ? j->in[side].state.schema : NULL;
        for (int64_t c = 0; all && c < s->n_children && !rc; c++) {
            sluice_buf_clear(&b);
            sluice_col_append_name(&b, s->children[c]->name);
            if (side == RIGHT) add_right_used(j, b.data);
            else rc = sluice_ctx_use_column(&st->ctx, b.data, err);
        }
        if (all || side < 0) continue;
        if (side == RIGHT) add_right_used(j, b.data);
        else rc = sluice_ctx_use_column(&st->ctx, b.data, err);
    }
    sluice_buf_free(&b);
    return rc;
}

/* One key: `lt` against the left input, `rt` against the right's, each
 * cast as Spark coerces `a = b`. */
static int compile_key(struct sluice_stage *st, const char *lt, const char *rt, const config_setting_t *on,
                       struct sluice_expr **l, struct sluice_expr **r, struct sluice_error *err)
{
    const struct ArrowSchema *ls = &st->input->ctx.output_schema, *rs = &st->join_with->ctx.output_schema;
    int rc = sluice_join_compile_side(ls, lt, NULL, l, on, err);
    if (!rc) rc = sluice_join_compile_side(rs, rt, NULL, r, on, err);
    if (rc) return rc;
    if (!sluice_schema_groupable(sluice_expr_result(*l)) || !sluice_schema_groupable(sluice_expr_result(*r)))
        return sluice_error_at(err, SLUICE_ECONFIG, on, "'%s = %s' compares maps, which are not orderable", lt, rt);
    enum sluice_type a = sluice_type_of(sluice_expr_result(*l)), b = sluice_type_of(sluice_expr_result(*r));
    const char *cast_l, *cast_r;
    char wider[48];
    if (!sluice_join_coerce(sluice_expr_result(*l), sluice_expr_result(*r), &cast_l, &cast_r, wider))
        return sluice_error_at(err, SLUICE_ECONFIG, on, "cannot compare %s (%s) with %s (%s)", lt, sluice_type_name(a), rt,
                               sluice_type_name(b));
    if (cast_l) {
        sluice_expr_free(*l);
        *l = NULL;
        rc = sluice_join_compile_side(ls, lt, cast_l, l, on, err);
    }
    if (!rc && cast_r) {
        sluice_expr_free(*r);
        *r = NULL;
        rc = sluice_join_compile_side(rs, rt, cast_r, r, on, err);
    }
    return rc;
}

static void push_expr(struct sluice_expr ***v, size_t *n, struct sluice_expr *e)
{
    *v = sluice_xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = e;
}

/* Every conjunct of `on`: an equality across the sides is a key, anything
 * else a condition over the pair. */
static int compile_on(struct sluice_stage *st, const config_setting_t *on, struct sluice_error *err)
{
    struct sluice_stream_join *j = st->sjoin;
    struct sluice_join_conjunct *cs;
    size_t n = sluice_join_split_on(config_setting_get_string(on), &cs);
    size_t n_keys = 0;
    int rc = SLUICE_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        const char *lrest = NULL, *rrest = NULL;
        int ls = cs[i].left ? side_of(st, cs[i].left, &lrest) : -1, rs = cs[i].right ? side_of(st, cs[i].right, &rrest) : -1;
        if (cs[i].left && ls != rs) {
            struct sluice_expr *l = NULL, *r = NULL;
            rc = ls == LEFT ? compile_key(st, lrest, rrest, on, &l, &r, err) : compile_key(st, rrest, lrest, on, &l, &r, err);
            n_keys++;
            size_t nk = j->n_keys;
            push_expr(&j->in[0].keys, &nk, l);
            nk = j->n_keys;
            push_expr(&j->in[1].keys, &nk, r);
            j->n_keys = nk;
            if (!rc) rc = use_side_columns(st, LEFT, l, err);
            if (!rc) rc = use_side_columns(st, RIGHT, r, err);
            continue;
        }
        struct sluice_expr *c = NULL;
        struct sluice_error e = { 0 };
        rc = sluice_expr_compile(&j->cond_schema, cs[i].text, &c, &e);
        if (rc) {
            sluice_config_error_locate(&e, rc, on);
            *err = e;
        } else if (sluice_type_of(sluice_expr_result(c)) != SLUICE_TYPE_BOOLEAN) {
            rc = sluice_error_at(err, SLUICE_ECONFIG, on, "'%s' is not a condition: it gives %s", cs[i].text,
                                 sluice_type_name(sluice_type_of(sluice_expr_result(c))));
        }
        if (c) push_expr(&j->conds, &j->n_conds, c);
        if (!rc) rc = use_cond_columns(st, c, err);
    }
    sluice_join_conjuncts_free(cs, n);
    if (!rc && n_keys == 0) {
        rc = sluice_error_at(err, SLUICE_ECONFIG, on, "Stream-stream join without equality predicate is not supported");
        sluice_error_hint(err, "join on at least one equality between a column of each side, such as "
                               "\"ad_id = %s.ad_id\"", st->join_with->name);
    }
    return rc;
}

int sluice_stream_join_load_open(struct sluice_stage *st, struct sluice_error *err)
{
    const config_setting_t *join = config_setting_get_member(st->setting, "join");
    const config_setting_t *on = config_setting_get_member(join, "on");
    const config_setting_t *type = config_setting_get_member(join, "type");
    size_t ti = sluice_join_type_index(type);
    if (ti == 3) {
        int rc = sluice_error_at(err, SLUICE_ECONFIG, type, "LeftAnti join between two streaming DataFrames/Datasets "
                                 "is not supported");
        sluice_error_hint(err, "left_outer, then a filter keeping the rows whose %s columns are null, gives the "
                               "rows without a match", st->join_with->name);
        return sluice_error_stage(err, st->name), rc;
    }
    const struct ArrowSchema *ls = &st->input->ctx.output_schema, *rs = &st->join_with->ctx.output_schema;
    struct sluice_stream_join *j = st->sjoin = sluice_stream_join_new(types[ti]);
    sluice_stream_join_ready(j, ls, rs);
    sluice_join_output_schema(ls, rs, true, st->join_with->name, false, false, &j->pair_schema);
    make_cond_schema(st, j);
    int rc = compile_on(st, on, err);
    if (rc) return sluice_error_stage(err, st->name), rc;
    struct sluice_buf spec = { 0 };
    sluice_buf_printf(&spec, "%s join with %s on %s", type ? config_setting_get_string(type) : "inner",
                      st->join_with->name, config_setting_get_string(on));
    free(st->state_spec);
    st->state_spec = spec.data;
    /* The pair's columns (the left's only for left_semi), a side that may
     * be missing nullable. */
    struct ArrowSchema out;
    sluice_join_output_schema(ls, rs, j->type != SLUICE_SJOIN_LEFT_SEMI, st->join_with->name,
                              j->type == SLUICE_SJOIN_RIGHT_OUTER || j->type == SLUICE_SJOIN_FULL_OUTER,
                              j->type == SLUICE_SJOIN_LEFT_OUTER || j->type == SLUICE_SJOIN_FULL_OUTER, &out);
    rc = sluice_ctx_set_output_schema(&st->ctx, &out, err);
    for (int64_t c = 0; !rc && c < ls->n_children; c++) sluice_ctx_pass_column(&st->ctx, c, c);
    if (!rc) j->out_schema = sluice_ctx_output_schema(&st->ctx);
    return rc;
}

/* ---- event time ---------------------------------------------------------- */

/* The nearest stage at or above `from` that declares a watermark. */
static const struct sluice_stage *watermark_at(const struct sluice_stage *from)
{
    for (const struct sluice_stage *s = from; s; s = s->input)
        if (s->has_watermark) return s;
    return NULL;
}

/* Side `side`'s watermarked column, compiled against its input: the column
 * its nearest watermark declares, reaching the join unchanged; NULL when
 * there is none. Its path goes to *path. */
static struct sluice_expr *watermarked_column(const struct sluice_stage *st, int side, struct sluice_buf *path)
{
    const struct sluice_stage *from = side_stage(st, side), *wm = watermark_at(from);
    if (!wm) return NULL;
    struct sluice_expr *e = NULL;
    struct sluice_error ignored = { 0 };
    const char *const *paths;
    if (sluice_expr_compile(&from->ctx.output_schema, wm->watermark.column, &e, &ignored) ||
        sluice_expr_columns(e, &paths) != 1 || !sluice_graph_is_watermarked_at(from, paths[0])) {
        sluice_expr_free(e);
        return NULL;
    }
    sluice_buf_clear(path);
    sluice_buf_puts(path, paths[0]);
    return e;
}

/* `path` of side `side`'s input, compiled there. */
static struct sluice_expr *side_column(const struct sluice_stage *st, int side, const char *path)
{
    struct sluice_expr *e = NULL;
    struct sluice_error ignored = { 0 };
    if (sluice_expr_compile(&side_stage(st, side)->ctx.output_schema, path, &e, &ignored)) return NULL;
    return e;
}

static void set_evict(struct sluice_stream_join_input *in, struct sluice_expr *e, const char *column, int64_t off)
{
    sluice_expr_free(in->evict);
    in->evict = e;
    in->evict_offset_us = off;
    free(in->evict_column);
    in->evict_column = sluice_xstrdup(column);
}

/* A key that is a watermarked column on either side (Spark's
 * isWatermarkInJoinKeys): both sides evict by their own column of it. */
static bool evict_by_key(struct sluice_stage *st)
{
    struct sluice_stream_join *j = st->sjoin;
    for (size_t k = 0; k < j->n_keys; k++) {
        bool watermarked = false;
        for (int side = 0; side < 2 && !watermarked; side++) {
            const char *const *paths;
            const struct sluice_expr *key = j->in[side].keys[k];
            watermarked = sluice_type_of(sluice_expr_result(key)) == SLUICE_TYPE_TIMESTAMP &&
                          sluice_expr_columns(key, &paths) == 1 &&
                          sluice_graph_is_watermarked_at(side_stage(st, side), paths[0]);
        }
        if (!watermarked) continue;
        for (int s = 0; s < 2; s++) {
            const char *const *p;
            struct sluice_expr *e = sluice_expr_columns(j->in[s].keys[k], &p) == 1 ? side_column(st, s, p[0]) : NULL;
            if (!e || sluice_type_of(sluice_expr_result(e)) != SLUICE_TYPE_TIMESTAMP) {
                sluice_expr_free(e);
                continue;
            }
            set_evict(&j->in[s], e, p[0], 0);
        }
        return true;
    }
    return false;
}

/* Each time-range condition `plus - minus <= us` between a column of
 * each side bounds the side of `minus`: its row meets rows of the other
 * side up to its time + us only, and once the watermark passes that, no
 * such row comes (so the other side's column must be its watermarked
 * one). Of several on one column, the tightest holds. */
static void evict_by_range(struct sluice_stage *st)
{
    struct sluice_stream_join *j = st->sjoin;
    struct sluice_buf plus = { 0 }, minus = { 0 };
    for (size_t c = 0; c < j->n_conds; c++) {
        struct sluice_expr_time_bound b = { 0 };
        bool all_p = false, all_m = false;
        int ps = -1, ms = -1;
        if (sluice_expr_time_bound(j->conds[c], &j->cond_schema, &b)) {
            ps = cond_path_side(j, b.plus.data, &plus, &all_p);
            ms = cond_path_side(j, b.minus.data, &minus, &all_m);
        }
        if (ps >= 0 && ms >= 0 && ps != ms && !all_p && !all_m &&
            sluice_graph_is_watermarked_at(side_stage(st, ps), plus.data)) {
            struct sluice_stream_join_input *in = &j->in[ms];
            int64_t off = -b.us;
            bool same = in->evict_column && strcmp(in->evict_column, minus.data) == 0;
            struct sluice_expr *e = !in->evict || (same && off > in->evict_offset_us) ? side_column(st, ms, minus.data)
                                                                                      : NULL;
            if (e) set_evict(in, e, minus.data, off);
        }
        sluice_buf_free(&b.plus);
        sluice_buf_free(&b.minus);
    }
    sluice_buf_free(&plus);
    sluice_buf_free(&minus);
}

int sluice_stream_join_load_event_time(struct sluice_stage *st, bool check, struct sluice_error *err)
{
    struct sluice_stream_join *j = st->sjoin;
    free(j->trackers);
    j->n_trackers = sluice_graph_trackers_above(st, &j->trackers);
    struct sluice_buf path = { 0 };
    int rc = SLUICE_OK;
    for (int side = 0; side < 2 && !rc; side++) {
        struct sluice_stream_join_input *in = &j->in[side];
        sluice_expr_free(in->late);
        in->late = watermarked_column(st, side, &path);
        if (in->late && side == RIGHT) add_right_used(j, path.data);
        else if (in->late) rc = sluice_ctx_use_column(&st->ctx, path.data, err);
    }
    sluice_buf_free(&path);
    if (rc) return rc;
    if (!evict_by_key(st)) evict_by_range(st);
    /* Spark's UnsupportedOperationChecker: the rows an outer or semi join
     * may put out alone must leave the buffer some day. */
    bool need_left = j->type == SLUICE_SJOIN_LEFT_OUTER || j->type == SLUICE_SJOIN_FULL_OUTER ||
                     j->type == SLUICE_SJOIN_LEFT_SEMI;
    bool need_right = j->type == SLUICE_SJOIN_RIGHT_OUTER || j->type == SLUICE_SJOIN_FULL_OUTER;
    if ((need_left && !j->in[LEFT].evict) || (need_right && !j->in[RIGHT].evict)) {
        const config_setting_t *join = config_setting_get_member(st->setting, "join");
        size_t ti = sluice_join_type_index(config_setting_get_member(join, "type"));
        const char *where = j->type == SLUICE_SJOIN_FULL_OUTER    ? "each side"
                            : j->type == SLUICE_SJOIN_RIGHT_OUTER ? "the left side"
                                                                  : "the right side";
        rc = sluice_error_at(err, SLUICE_ECONFIG, join,
                             "Stream-stream %s join between two streaming DataFrame/Datasets is not supported without "
                             "a watermark in the join keys, or a watermark on %s and an appropriate range condition",
                             spark_names[ti], where);
        const struct sluice_stage *lw = watermark_at(st->input), *rw = watermark_at(st->join_with);
        const char *lt = lw ? lw->watermark.column : "time", *rt = rw ? rw->watermark.column : "time";
        sluice_error_hint(err, "declare a watermark on both streams and bound the times in 'on', such as "
                               "\"%s.%s >= %s.%s AND %s.%s <= %s.%s + INTERVAL 1 HOUR\"",
                          st->join_with->name, rt, st->input->name, lt, st->join_with->name, rt, st->input->name, lt);
        return sluice_error_stage(err, st->name), rc;
    }
    for (int side = 0; side < 2; side++) {
        if (j->in[side].evict) continue;
        sluice_log(check ? SLUICE_LOG_WARN : SLUICE_LOG_INFO, st->name,
                   "the join keeps every %s row (%s) for ever: no key is a watermarked column, and no time-range "
                   "condition bounds a column of it by the other side's watermarked column",
                   side == LEFT ? "left" : "right", side_stage(st, side)->name);
    }
    return SLUICE_OK;
}

void sluice_stream_join_load_describe(const struct sluice_stage *st, struct sluice_buf *out)
{
    const struct sluice_stream_join *j = st->sjoin;
    for (int side = 0; side < 2; side++) {
        const struct sluice_stream_join_input *in = &j->in[side];
        sluice_buf_printf(out, "    %s rows (%s): ", side == LEFT ? "left" : "right", side_stage(st, side)->name);
        if (!in->evict) {
            sluice_buf_puts(out, "kept for ever\n");
            continue;
        }
        sluice_buf_printf(out, "kept until %s <= watermark", in->evict_column);
        if (in->evict_offset_us) {
            sluice_buf_puts(out, in->evict_offset_us < 0 ? " - " : " + ");
            sluice_duration_format(in->evict_offset_us < 0 ? -in->evict_offset_us : in->evict_offset_us, out);
        }
        sluice_buf_puts(out, "\n");
    }
}
