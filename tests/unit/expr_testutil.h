/* Helpers shared by the expression tests: a batch schema with every type,
 * rows built with the builder (optionally sliced so every level has an
 * offset), and results rendered as short strings so each assertion states
 * the exact values: "1, null, 3". Header-only: each test is its own binary. */
#ifndef SLUICE_TESTS_EXPR_TESTUTIL_H
#define SLUICE_TESTS_EXPR_TESTUTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "builder.h"
#include "decimal.h"
#include "expr.h"
#include "schema.h"
#include "timefmt.h"
#include "validate.h"

/* Columns: 0 a, 1 b, 2 d, 3 s, 4 t, 5 f, 6 ts, 7 arr, 8 sarr, 9 st, 10 lst, 11 `odd name` */
#define TU_DDL                                                                                              \
    "a BIGINT, b BIGINT, d DOUBLE, s STRING, t STRING, f BOOLEAN, ts TIMESTAMP, arr ARRAY<BIGINT>, "       \
    "sarr ARRAY<STRING>, st STRUCT<x: BIGINT, y: STRING, inner: STRUCT<z: STRING>>, "                      \
    "lst ARRAY<STRUCT<v: BIGINT, w: STRING>>, `odd name` STRING"

enum { C_A, C_B, C_D, C_S, C_T, C_F, C_TS, C_ARR, C_SARR, C_ST, C_LST, C_ODD, C_COUNT };

static inline struct ArrowSchema *tu_schema(void)
{
    struct ArrowSchema *s = calloc(1, sizeof *s);
    struct sluice_error err = { 0 };
    if (sluice_schema_parse(TU_DDL, s, &err)) {
        fprintf(stderr, "schema: %s\n", err.message);
        abort();
    }
    return s;
}

static inline void tu_schema_free(struct ArrowSchema *s)
{
    sluice_schema_release(s);
    free(s);
}

/* ---- building rows ---------------------------------------------------------------- */

static inline struct sluice_builder *tu_col(struct sluice_builder *row, int i)
{
    return &row->children[i];
}

static inline void tu_long(struct sluice_builder *b, int64_t v) { sluice_builder_append_long(b, v); }
static inline void tu_double(struct sluice_builder *b, double v) { sluice_builder_append_double(b, v); }
static inline void tu_bool(struct sluice_builder *b, bool v) { sluice_builder_append_bool(b, v); }
static inline void tu_str(struct sluice_builder *b, const char *s) { sluice_builder_append_string(b, s, strlen(s)); }
static inline void tu_null(struct sluice_builder *b) { sluice_builder_append_null(b); }
static inline void tu_ts(struct sluice_builder *b, const char *iso)
{
    int64_t us;
    if (sluice_time_parse(iso, strlen(iso), &us)) abort();
    sluice_builder_append_timestamp(b, us);
}

/* ---- slicing: the same rows seen through offsets at every level ---------------------- */

static uint8_t *tu_bitmaps[64];
static int tu_n_bitmaps;

static inline void tu_free_bitmaps(void)
{
    for (int i = 0; i < tu_n_bitmaps; i++) free(tu_bitmaps[i]);
    tu_n_bitmaps = 0;
}

/* Move a struct's offset into its children: the struct gets offset 0 and a
 * shifted bitmap, each child's offset grows. Same logical values. */
static inline void tu_push_struct_offset(struct ArrowArray *s)
{
    int64_t o = s->offset;
    if (!o) return;
    if (s->buffers[0]) {
        uint8_t *bits = calloc((size_t)(s->length + 8) / 8 + 1, 1);
        const uint8_t *old = s->buffers[0];
        for (int64_t i = 0; i < s->length; i++)
            if ((old[(o + i) >> 3] >> ((o + i) & 7)) & 1) bits[i >> 3] |= (uint8_t)(1u << (i & 7));
        tu_bitmaps[tu_n_bitmaps++] = bits;
        s->buffers[0] = bits;
    }
    s->null_count = -1;
    s->offset = 0;
    for (int64_t k = 0; k < s->n_children; k++) {
        s->children[k]->offset += o;
        s->children[k]->length -= o;
        s->children[k]->null_count = -1;
    }
}

/* Move part of a list's offsets into its element array's offset. */
static inline void tu_push_list_offset(struct ArrowArray *l)
{
    int32_t *offs = (int32_t *)l->buffers[1];
    int32_t k = offs[l->offset];
    if (k <= 0) return;
    for (int64_t i = 0; i <= l->offset + l->length; i++) offs[i] -= k < offs[i] ? k : offs[i];
    l->children[0]->offset += k;
    l->children[0]->length -= k;
    l->children[0]->null_count = -1;
}

/* Drop the first `skip` rows by column offsets, then push offsets down
 * into the struct and list columns. Only for batches built by tu_finish. */
static inline void tu_slice(struct sluice_batch *b, int64_t skip)
{
    struct ArrowArray *root = &b->array;
    root->length -= skip;
    for (int64_t k = 0; k < root->n_children; k++) {
        struct ArrowArray *c = root->children[k];
        c->offset += skip;
        c->length -= skip;
        c->null_count = -1;
    }
    tu_push_struct_offset(root->children[C_ST]);
    tu_push_struct_offset(root->children[C_ST]->children[2]);
}

/* ---- evaluating and rendering --------------------------------------------------------- */

static inline void tu_render(const struct ArrowSchema *s, const struct ArrowArray *a, int64_t i, char *out,
                             size_t cap)
{
    int64_t p = a->offset + i;
    if (!sluice_array_valid(a, p)) {
        snprintf(out, cap, "null");
        return;
    }
    switch (sluice_type_of(s)) {
    case SLUICE_TYPE_BOOLEAN: snprintf(out, cap, "%s", sluice_get_bool(a, p) ? "true" : "false"); break;
    case SLUICE_TYPE_LONG: snprintf(out, cap, "%lld", (long long)sluice_get_long(a, p)); break;
    case SLUICE_TYPE_DOUBLE: {
        /* Plain decimals in a familiar range, shortest %g beyond it. */
        double d = sluice_get_double(a, p), m = fabs(d);
        char buf[64];
        if (isfinite(d) && (m == 0 || (m >= 1e-4 && m < 1e15))) {
            int dec = 1;
            for (; dec < 20; dec++) {
                snprintf(buf, sizeof buf, "%.*f", dec, d);
                if (strtod(buf, NULL) == d) break;
            }
            snprintf(out, cap, "%.*f", dec, d);
            break;
        }
        int prec = 1;
        for (; prec < 17; prec++) {
            snprintf(buf, sizeof buf, "%.*g", prec, d);
            if (strtod(buf, NULL) == d) break;
        }
        snprintf(out, cap, "%.*g", prec, d);
        break;
    }
    case SLUICE_TYPE_STRING: {
        const char *str;
        int32_t n = sluice_get_string(a, p, &str);
        snprintf(out, cap, "'%.*s'", (int)n, str);
        break;
    }
    case SLUICE_TYPE_TIMESTAMP: {
        char buf[40];
        sluice_time_format_iso(sluice_get_timestamp(a, p), buf);
        snprintf(out, cap, "%s", buf);
        break;
    }
    case SLUICE_TYPE_DECIMAL: {
        /* The value and its type: 12.35 as decimal(8,2) is "12.35 (8,2)". */
        char buf[SLUICE_DEC_TEXT_MAX + 1];
        int prec, scale;
        sluice_decimal_params(s, &prec, &scale);
        buf[sluice_dec_format_to(sluice_get_decimal(a, p), scale, buf)] = '\0';
        snprintf(out, cap, "%s (%d,%d)", buf, prec, scale);
        break;
    }
    case SLUICE_TYPE_DATE: {
        char buf[16];
        sluice_date_format(sluice_get_date(a, p), buf);
        snprintf(out, cap, "DATE %s", buf);
        break;
    }
    case SLUICE_TYPE_ARRAY: {
        int64_t first;
        int32_t n = sluice_get_list(a, p, &first);
        size_t w = (size_t)snprintf(out, cap, "[");
        const struct ArrowArray *c = a->children[0];
        for (int32_t k = 0; k < n && w < cap; k++) {
            if (k) w += (size_t)snprintf(out + w, cap - w, ", ");
            tu_render(s->children[0], c, first + k, out + w, cap - w);
            w = strlen(out);
        }
        snprintf(out + w, cap - w, "]");
        break;
    }
    case SLUICE_TYPE_STRUCT: {
        size_t w = (size_t)snprintf(out, cap, "{");
        for (int64_t k = 0; k < s->n_children && w < cap; k++) {
            if (k) w += (size_t)snprintf(out + w, cap - w, ", ");
            tu_render(s->children[k], a->children[k], p, out + w, cap - w);
            w = strlen(out);
        }
        snprintf(out + w, cap - w, "}");
        break;
    }
    default: snprintf(out, cap, "?"); break;
    }
}

/* Every row of `a` rendered, joined by ", ". */
static inline void tu_render_all(const struct ArrowSchema *s, const struct ArrowArray *a, char *out, size_t cap)
{
    size_t w = 0;
    out[0] = '\0';
    for (int64_t i = 0; i < a->length && w < cap; i++) {
        if (i) w += (size_t)snprintf(out + w, cap - w, ", ");
        if (w >= cap) break;
        tu_render(s, a, i, out + w, cap - w);
        w = strlen(out);
    }
}

/* Compile `text` against `schema`, evaluate over `batch`, validate the
 * result's Arrow layout, and render it; fails the test on any error. */
static char tu_out[8192];

static inline const char *tu_eval(const struct ArrowSchema *schema, const struct sluice_batch *batch, const char *text)
{
    struct sluice_expr *e;
    struct sluice_error err = { 0 };
    if (sluice_expr_compile(schema, text, &e, &err)) {
        snprintf(tu_out, sizeof tu_out, "error: %s", err.message);
        return tu_out;
    }
    struct ArrowArray out;
    if (sluice_expr_eval(e, batch, &out, &err)) {
        snprintf(tu_out, sizeof tu_out, "eval error: %s", err.message);
        sluice_expr_free(e);
        return tu_out;
    }
    char why[256];
    if (out.length != batch->array.length) snprintf(tu_out, sizeof tu_out, "wrong length %lld", (long long)out.length);
    else if (sluice_array_validate(sluice_expr_result(e), &out, why)) snprintf(tu_out, sizeof tu_out, "invalid: %s", why);
    else tu_render_all(sluice_expr_result(e), &out, tu_out, sizeof tu_out);
    out.release(&out);
    sluice_expr_free(e);
    return tu_out;
}

#endif

#ifndef TU_NO_ROWS
/* ---- the standard rows --------------------------------------------------------------------
 * After tu_rows(…, true) slices off two garbage rows, the batch holds:
 *  row 0: a=1 b=10 d=1.5 s='Hello COVID' t='x' f=true ts=2021-05-03T07:55:40Z arr=[1, 2, 3]
 *         sarr=['a', 'b'] st={7, 'p', {'q'}} lst=[{1, 'w1'}, {2, null}] odd='o1'
 *  row 1: a=null b=0 d=null s=null t='' f=false ts=null arr=null sarr=[] st=null lst=null odd=null
 *  row 2: a=-7 b=2 d=-2.5 s='Ünïcode ÀÉ covid' t='abc' f=null ts=1999-12-31T23:59:59.5Z
 *         arr=[null, 5] sarr=[null, 'c'] st={null, null, null} lst=[] odd='o3'
 *  row 3: a=9223372036854775807 b=-1 d=0.0 s='  pad  ' t='pad' f=true ts=1970-01-01T00:00:00Z
 *         arr=[] sarr=null st={-1, '', {null}} lst=[null, {null, 'w4'}] odd='' */

static inline void tu_list_longs(struct sluice_builder *b, int n, const int64_t *v, const bool *null)
{
    sluice_builder_begin_list(b);
    for (int i = 0; i < n; i++) {
        if (null && null[i]) tu_null(&b->children[0]);
        else tu_long(&b->children[0], v[i]);
    }
    sluice_builder_end_list(b);
}

static inline void tu_list_strs(struct sluice_builder *b, int n, const char *const *v)
{
    sluice_builder_begin_list(b);
    for (int i = 0; i < n; i++) {
        if (!v[i]) tu_null(&b->children[0]);
        else tu_str(&b->children[0], v[i]);
    }
    sluice_builder_end_list(b);
}

static inline void tu_st(struct sluice_builder *st, const int64_t *x, const char *y, bool inner, const char *z)
{
    sluice_builder_append_struct(st);
    if (x) tu_long(&st->children[0], *x);
    else tu_null(&st->children[0]);
    if (y) tu_str(&st->children[1], y);
    else tu_null(&st->children[1]);
    if (!inner) {
        tu_null(&st->children[2]);
        return;
    }
    sluice_builder_append_struct(&st->children[2]);
    if (z) tu_str(&st->children[2].children[0], z);
    else tu_null(&st->children[2].children[0]);
}

static inline void tu_lst_item(struct sluice_builder *lst, const int64_t *v, const char *w)
{
    struct sluice_builder *e = &lst->children[0];
    sluice_builder_append_struct(e);
    if (v) tu_long(&e->children[0], *v);
    else tu_null(&e->children[0]);
    if (w) tu_str(&e->children[1], w);
    else tu_null(&e->children[1]);
}

static inline void tu_garbage_row(struct sluice_builder *b, int k)
{
    sluice_builder_append_struct(b);
    tu_long(tu_col(b, C_A), 100 + k);
    tu_long(tu_col(b, C_B), 200 + k);
    tu_double(tu_col(b, C_D), 300.5);
    tu_str(tu_col(b, C_S), "garbage covid garbage");
    tu_str(tu_col(b, C_T), "garbage");
    tu_bool(tu_col(b, C_F), true);
    tu_ts(tu_col(b, C_TS), "2000-01-01T00:00:00Z");
    int64_t nines[] = { 9, 9 };
    tu_list_longs(tu_col(b, C_ARR), 2, nines, NULL);
    const char *g[] = { "g", "g" };
    tu_list_strs(tu_col(b, C_SARR), 2, g);
    int64_t x = 99;
    tu_st(tu_col(b, C_ST), &x, "g", true, "g");
    sluice_builder_begin_list(tu_col(b, C_LST));
    tu_lst_item(tu_col(b, C_LST), &x, "g");
    sluice_builder_end_list(tu_col(b, C_LST));
    tu_str(tu_col(b, C_ODD), "g");
}

/* The standard rows; with `sliced`, behind two garbage rows and offsets at every level. */
static inline void tu_rows(const struct ArrowSchema *schema, struct sluice_batch *out, bool sliced)
{
    struct sluice_builder *b = sluice_builder_new(schema);
    if (sliced) {
        tu_garbage_row(b, 0);
        tu_garbage_row(b, 1);
    }
    /* row 0 */
    sluice_builder_append_struct(b);
    tu_long(tu_col(b, C_A), 1);
    tu_long(tu_col(b, C_B), 10);
    tu_double(tu_col(b, C_D), 1.5);
    tu_str(tu_col(b, C_S), "Hello COVID");
    tu_str(tu_col(b, C_T), "x");
    tu_bool(tu_col(b, C_F), true);
    tu_ts(tu_col(b, C_TS), "2021-05-03T07:55:40Z");
    int64_t a123[] = { 1, 2, 3 };
    tu_list_longs(tu_col(b, C_ARR), 3, a123, NULL);
    const char *ab[] = { "a", "b" };
    tu_list_strs(tu_col(b, C_SARR), 2, ab);
    int64_t seven = 7, one = 1, two = 2, minus1 = -1;
    tu_st(tu_col(b, C_ST), &seven, "p", true, "q");
    sluice_builder_begin_list(tu_col(b, C_LST));
    tu_lst_item(tu_col(b, C_LST), &one, "w1");
    tu_lst_item(tu_col(b, C_LST), &two, NULL);
    sluice_builder_end_list(tu_col(b, C_LST));
    tu_str(tu_col(b, C_ODD), "o1");
    /* row 1 */
    sluice_builder_append_struct(b);
    tu_null(tu_col(b, C_A));
    tu_long(tu_col(b, C_B), 0);
    tu_null(tu_col(b, C_D));
    tu_null(tu_col(b, C_S));
    tu_str(tu_col(b, C_T), "");
    tu_bool(tu_col(b, C_F), false);
    tu_null(tu_col(b, C_TS));
    tu_null(tu_col(b, C_ARR));
    tu_list_strs(tu_col(b, C_SARR), 0, NULL);
    tu_null(tu_col(b, C_ST));
    tu_null(tu_col(b, C_LST));
    tu_null(tu_col(b, C_ODD));
    /* row 2 */
    sluice_builder_append_struct(b);
    tu_long(tu_col(b, C_A), -7);
    tu_long(tu_col(b, C_B), 2);
    tu_double(tu_col(b, C_D), -2.5);
    tu_str(tu_col(b, C_S), "Ünïcode ÀÉ covid");
    tu_str(tu_col(b, C_T), "abc");
    tu_null(tu_col(b, C_F));
    tu_ts(tu_col(b, C_TS), "1999-12-31T23:59:59.5Z");
    int64_t n5[] = { 0, 5 };
    bool n5null[] = { true, false };
    tu_list_longs(tu_col(b, C_ARR), 2, n5, n5null);
    const char *nc[] = { NULL, "c" };
    tu_list_strs(tu_col(b, C_SARR), 2, nc);
    tu_st(tu_col(b, C_ST), NULL, NULL, false, NULL);
    sluice_builder_begin_list(tu_col(b, C_LST));
    sluice_builder_end_list(tu_col(b, C_LST));
    tu_str(tu_col(b, C_ODD), "o3");
    /* row 3 */
    sluice_builder_append_struct(b);
    tu_long(tu_col(b, C_A), INT64_MAX);
    tu_long(tu_col(b, C_B), -1);
    tu_double(tu_col(b, C_D), 0.0);
    tu_str(tu_col(b, C_S), "  pad  ");
    tu_str(tu_col(b, C_T), "pad");
    tu_bool(tu_col(b, C_F), true);
    tu_ts(tu_col(b, C_TS), "1970-01-01T00:00:00Z");
    tu_list_longs(tu_col(b, C_ARR), 0, NULL, NULL);
    tu_null(tu_col(b, C_SARR));
    tu_st(tu_col(b, C_ST), &minus1, "", true, NULL);
    sluice_builder_begin_list(tu_col(b, C_LST));
    tu_null(&tu_col(b, C_LST)->children[0]);
    tu_lst_item(tu_col(b, C_LST), NULL, "w4");
    sluice_builder_end_list(tu_col(b, C_LST));
    tu_str(tu_col(b, C_ODD), "");
    sluice_builder_finish(b, out);
    sluice_builder_free(b);
    if (sliced) {
        tu_slice(out, 2);
        tu_push_list_offset(out->array.children[C_ARR]);
        tu_push_list_offset(out->array.children[C_LST]);
    }
}

/* A one-row batch of `x BIGINT` = 1, for evaluating constant expressions;
 * *schema is heap-allocated (free it with tu_schema_free). */
static inline void tu_single_row(struct ArrowSchema **schema, struct sluice_batch *out)
{
    *schema = calloc(1, sizeof **schema);
    struct sluice_error err = { 0 };
    if (sluice_schema_parse("x BIGINT", *schema, &err)) {
        fprintf(stderr, "schema: %s\n", err.message);
        abort();
    }
    struct sluice_builder *b = sluice_builder_new(*schema);
    sluice_builder_append_struct(b);
    tu_long(&b->children[0], 1);
    sluice_builder_finish(b, out);
    sluice_builder_free(b);
}
#endif
