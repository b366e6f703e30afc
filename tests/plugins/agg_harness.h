/* An aggregator plugin loaded from its real .so and driven through the
 * real host table, as the core's aggregate stage drives it: bind against an
 * argument schema, states allocated at state_size and filled with garbage
 * before init (the core does not zero them), update over argument columns
 * built with the core's builder, merge, finalize into a builder of the
 * result type, serialize and deserialize.
 *
 * Shared by tests/plugins/test_agg_*.c. Every function fails the running
 * cmocka test on a harness problem (plugin missing, bad value text); the
 * plugin's own answers come back as status codes or rendered results. */
#ifndef SLUICE_TEST_AGG_HARNESS_H
#define SLUICE_TEST_AGG_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agg_param.h"
#include "arena.h"
#include "builder.h"
#include "decimal.h"
#include "host.h"
#include "registry.h"

struct agg {
    struct sluice_loaded loaded;
    const struct sluice_plugin *p;
    void *bound;
    bool bound_ok;
    struct sluice_agg_info info;
    struct sluice_error err;
    struct ArrowSchema arg_schema;
};

static inline int agg_setup(void **state)
{
    *state = calloc(1, sizeof(struct agg));
    return 0;
}

static inline int agg_teardown(void **state)
{
    struct agg *a = *state;
    if (a->bound_ok && a->p->unbind) a->p->unbind(a->bound);
    if (a->arg_schema.release) a->arg_schema.release(&a->arg_schema);
    if (a->p) sluice_registry_unload(&a->loaded);
    free(a);
    return 0;
}

/* Load aggregator `name` from the build tree. */
static inline void agg_load(struct agg *a, const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/plugins/sluice_aggregator_%s.so", SLUICE_TEST_BINARY_DIR, name);
    if (sluice_registry_load_file(path, &a->loaded, &a->err)) fail_msg("loading %s: %s", path, a->err.message);
    a->p = a->loaded.plugin;
    assert_int_equal(a->p->kind, SLUICE_KIND_AGGREGATOR);
    assert_string_equal(a->p->name, name);
}

/* Bind to an argument of Arrow `format` (NULL: f(*)) with literal `params`,
 * unbinding a previous use first. Returns bind's status; a->err holds its
 * error. */
static inline int agg_bind(struct agg *a, const char *format, const char *const *params, size_t n_params)
{
    if (a->bound_ok) a->p->unbind(a->bound);
    a->bound_ok = false;
    if (a->arg_schema.release) a->arg_schema.release(&a->arg_schema);
    memset(&a->arg_schema, 0, sizeof a->arg_schema);
    if (format) sluice_host()->schema_init(&a->arg_schema, format, "x", true, 0);
    memset(&a->info, 0, sizeof a->info);
    memset(&a->err, 0, sizeof a->err);
    /* Literal arguments arrive parsed, as the core's planner parses them. */
    struct sluice_agg_param typed[8];
    char *strs[8] = { 0 };
    struct ArrowSchema none;
    sluice_host()->schema_init(&none, SLUICE_FORMAT_STRUCT, "", false, 0);
    assert_true(n_params <= 8);
    for (size_t i = 0; i < n_params; i++)
        if (sluice_agg_param_parse(&none, params[i], &typed[i], &strs[i], &a->err))
            fail_msg("parameter '%s': %s", params[i], a->err.message);
    int rc = a->p->bind(sluice_host(), format ? &a->arg_schema : NULL, typed, n_params, &a->bound, &a->info,
                        &a->err);
    for (size_t i = 0; i < n_params; i++) free(strs[i]);
    none.release(&none);
    a->bound_ok = rc == SLUICE_OK;
    if (a->bound_ok) {
        assert_non_null(a->info.result_format);
        assert_true(a->info.state_size > 0);
    }
    return rc;
}

/* Load and bind in one step, failing the test on an error. */
static inline void agg_open(struct agg *a, const char *name, const char *format)
{
    agg_load(a, name);
    if (agg_bind(a, format, NULL, 0)) fail_msg("bind: %s", a->err.message);
}

/* A new group's state: 8-byte aligned, full of garbage, then init. */
static inline void *agg_state(struct agg *a)
{
    size_t size = (a->info.state_size + 7) / 8 * 8;
    void *s = aligned_alloc(8, size);
    memset(s, 0xa5, size);
    a->p->init(a->bound, s);
    return s;
}

static inline void agg_state_free(struct agg *a, void *s)
{
    if (a->info.has_destroy) a->p->destroy(a->bound, s);
    free(s);
}

/* ---- argument columns ---- */

static inline struct sluice_builder *agg_col_begin(const char *format, struct ArrowSchema *schema)
{
    sluice_host()->schema_init(schema, format, "x", true, 0);
    return sluice_builder_new(schema);
}

/* Finish the column into *out (the caller releases it) and free the builder. */
static inline void agg_col_end(struct sluice_builder *b, struct ArrowSchema *schema, struct ArrowArray *out)
{
    struct sluice_arena *arena = sluice_arena_new(0);
    sluice_builder_finish_array(b, arena, out);
    sluice_arena_unref(arena); /* the node holds it now */
    sluice_builder_free(b);
    schema->release(schema);
}

/* A column of `format` from values written as text, NULL for null:
 * "12" (long, timestamp µs), "-0.0", "nan", "inf" (double), "true"
 * (boolean), any bytes (string). */
static inline void agg_col(const char *format, const char *const *vals, size_t n, struct ArrowArray *out)
{
    struct ArrowSchema schema;
    struct sluice_builder *b = agg_col_begin(format, &schema);
    enum sluice_type t = sluice_type_of_format(format);
    for (size_t i = 0; i < n; i++) {
        const char *v = vals[i];
        if (!v) {
            sluice_builder_append_null(b);
            continue;
        }
        char *end = NULL;
        switch (t) {
        case SLUICE_TYPE_LONG:
        case SLUICE_TYPE_TIMESTAMP: sluice_builder_append_long(b, strtoll(v, &end, 10)); break;
        case SLUICE_TYPE_DOUBLE: sluice_builder_append_double(b, strtod(v, &end)); break;
        case SLUICE_TYPE_BOOLEAN:
            if (strcmp(v, "true") && strcmp(v, "false")) fail_msg("bad boolean '%s'", v);
            sluice_builder_append_bool(b, v[0] == 't');
            break;
        case SLUICE_TYPE_STRING: sluice_builder_append_string(b, v, strlen(v)); break;
        case SLUICE_TYPE_DECIMAL: { /* "12.35" read at the format's scale */
            int prec, scale;
            sluice_decimal_params(&schema, &prec, &scale);
            sluice_dec x;
            if (sluice_dec_parse(v, strlen(v), prec, scale, &x)) fail_msg("bad decimal '%s'", v);
            sluice_builder_append_decimal(b, x);
            break;
        }
        default: fail_msg("no columns of format '%s' here", format);
        }
        if (end && *end) fail_msg("bad value '%s' for format '%s'", v, format);
    }
    agg_col_end(b, &schema, out);
}

/* A view of rows [from, from + len) of `col`, as Arrow slices are: the
 * offset moves and the null count becomes unknown. Not to be released. */
static inline struct ArrowArray agg_view(const struct ArrowArray *col, int64_t from, int64_t len)
{
    assert_true(from >= 0 && from + len <= col->length);
    struct ArrowArray v = *col;
    v.offset += from;
    v.length = len;
    v.null_count = col->null_count == 0 ? 0 : -1;
    v.release = NULL;
    return v;
}

/* ---- driving the callbacks ---- */

/* update(), merge() and finalize() through the real host table, failing
 * the test on an error. */
static inline void agg_update(struct agg *a, void *const *states, const struct ArrowArray *arg, int64_t n)
{
    memset(&a->err, 0, sizeof a->err);
    if (a->p->update(sluice_host(), a->bound, states, arg, n, &a->err)) fail_msg("update: %s", a->err.message);
}

static inline void agg_merge(struct agg *a, void *dst, const void *src)
{
    memset(&a->err, 0, sizeof a->err);
    if (a->p->merge(sluice_host(), a->bound, dst, src, &a->err)) fail_msg("merge: %s", a->err.message);
}

/* Fold rows [from, from + len) of `col` (NULL: f(*)) into one state. */
static inline void agg_feed(struct agg *a, void *state, const struct ArrowArray *col, int64_t from, int64_t len)
{
    void **states = malloc((size_t)(len ? len : 1) * sizeof *states);
    for (int64_t i = 0; i < len; i++) states[i] = state;
    if (col) {
        struct ArrowArray v = agg_view(col, from, len);
        agg_update(a, (void *const *)states, &v, len);
    } else {
        agg_update(a, (void *const *)states, NULL, len);
    }
    free(states);
}

/* Fold every row of `col` into one state. */
static inline void agg_feed_all(struct agg *a, void *state, const struct ArrowArray *col)
{
    agg_feed(a, state, col, 0, col->length);
}

/* The finalized result as text: "null", "42", "0.5" (%.17g), "true", the
 * string's bytes, a timestamp's microseconds. The caller frees it. */
static inline char *agg_result(struct agg *a, const void *state)
{
    struct ArrowSchema rs;
    sluice_host()->schema_init(&rs, a->info.result_format, "r", true, 0);
    struct sluice_builder *b = sluice_builder_new(&rs);
    if (a->p->finalize(sluice_host(), a->bound, state, b, &a->err)) fail_msg("finalize: %s", a->err.message);
    assert_int_equal(b->length, 1);
    char buf[512];
    if (b->validity && !(b->validity[0] & 1)) {
        snprintf(buf, sizeof buf, "null");
    } else {
        switch (b->type) {
        case SLUICE_TYPE_LONG:
        case SLUICE_TYPE_TIMESTAMP: snprintf(buf, sizeof buf, "%lld", (long long)((int64_t *)b->values)[0]); break;
        case SLUICE_TYPE_DOUBLE: snprintf(buf, sizeof buf, "%.17g", ((double *)b->values)[0]); break;
        case SLUICE_TYPE_BOOLEAN: snprintf(buf, sizeof buf, "%s", (b->values[0] & 1) ? "true" : "false"); break;
        case SLUICE_TYPE_STRING: snprintf(buf, sizeof buf, "%.*s", (int)b->data_len, b->data ? b->data : ""); break;
        case SLUICE_TYPE_DECIMAL: { /* its digits at the result's scale */
            int prec, scale;
            sluice_decimal_params(&rs, &prec, &scale);
            sluice_dec x;
            memcpy(&x, b->values, 16);
            buf[sluice_dec_format_to(x, scale, buf)] = '\0';
            break;
        }
        default: fail_msg("unexpected result format '%s'", a->info.result_format);
        }
    }
    sluice_builder_free(b);
    rs.release(&rs);
    return strdup(buf);
}

/* Assert the finalized result of `state` is `want`. */
#define agg_expect(a, state, want)                    \
    do {                                              \
        char *got_ = agg_result((a), (state));        \
        assert_string_equal(got_, (want));            \
        free(got_);                                   \
    } while (0)

/* The serialized state; the caller frees out->data. */
static inline void agg_save(struct agg *a, const void *state, struct sluice_buf *out)
{
    memset(out, 0, sizeof *out);
    if (a->p->serialize(sluice_host(), a->bound, state, out, &a->err)) fail_msg("serialize: %s", a->err.message);
}

/* A new state deserialized from `data`; returns deserialize's status and
 * leaves the state (always destroyable) in *out. */
static inline int agg_load_state(struct agg *a, const char *data, size_t len, void **out)
{
    size_t size = (a->info.state_size + 7) / 8 * 8;
    void *s = aligned_alloc(8, size);
    memset(s, 0xa5, size);
    memset(&a->err, 0, sizeof a->err);
    uint32_t version = a->p->state_version ? a->p->state_version : 1;
    int rc = a->p->deserialize(sluice_host(), a->bound, s, version, data ? data : "", len, &a->err);
    *out = s;
    return rc;
}

/* Serialize, deserialize into a fresh state, and check both finalize alike
 * and serialize to the same bytes. Returns the copy (agg_state_free it). */
static inline void *agg_round_trip(struct agg *a, const void *state)
{
    struct sluice_buf saved, again;
    agg_save(a, state, &saved);
    void *copy;
    if (agg_load_state(a, saved.data, saved.len, &copy)) fail_msg("deserialize: %s", a->err.message);
    char *want = agg_result(a, state), *got = agg_result(a, copy);
    assert_string_equal(got, want);
    agg_save(a, copy, &again);
    assert_int_equal(again.len, saved.len);
    assert_memory_equal(again.data, saved.data, saved.len);
    free(want);
    free(got);
    sluice_buf_free(&saved);
    sluice_buf_free(&again);
    return copy;
}

/* Folds `col` into states split at the given row boundaries (cuts[0] = 0
 * < ... < cuts[n_cuts - 1] = rows), merges the parts in order into a fresh
 * state, and checks the result equals a single pass over every row. */
static inline void agg_expect_merge_equals_single_pass(struct agg *a, const struct ArrowArray *col,
                                                       const int64_t *cuts, size_t n_cuts)
{
    void *single = agg_state(a);
    agg_feed_all(a, single, col);
    void *merged = agg_state(a);
    for (size_t k = 0; k + 1 < n_cuts; k++) {
        void *part = agg_state(a);
        agg_feed(a, part, col, cuts[k], cuts[k + 1] - cuts[k]);
        agg_merge(a, merged, part);
        agg_state_free(a, part);
    }
    char *want = agg_result(a, single), *got = agg_result(a, merged);
    assert_string_equal(got, want);
    free(want);
    free(got);
    agg_state_free(a, single);
    agg_state_free(a, merged);
}

#endif
