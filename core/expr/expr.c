/* The expression API: compile (parse, check, fold), evaluate a batch into
 * an Arrow column, and the accessors plugins use to plan around it. */
#include "expr.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "clock.h"
#include "builder.h"
#include "error.h"
#include "expr_priv.h"
#include "mem.h"
#include "schema.h"

int sluice_expr_compile(const struct ArrowSchema *input, const char *text, struct sluice_expr **out,
                        struct sluice_error *err)
{
    *out = NULL;
    if (!text) return sluice_error_set(err, SLUICE_ECONFIG, "no expression given");
    if (sluice_type_of(input) != SLUICE_TYPE_STRUCT)
        return sluice_error_set(err, SLUICE_ECONFIG, "cannot compile '%s': the input is not a struct", text);
    struct sluice_expr *e = sluice_xcalloc(1, sizeof *e);
    e->arena = sluice_arena_new(0);
    e->input_children = input->n_children;
    int rc = sluice_expr_parse(e, text, err);
    if (!rc) rc = sluice_expr_check(e, input, text, err);
    if (rc) {
        sluice_expr_free(e);
        return rc;
    }
    *out = e;
    return SLUICE_OK;
}

int sluice_expr_body_length(const char *text, size_t *len, struct sluice_error *err)
{
    struct sluice_expr *e = sluice_xcalloc(1, sizeof *e);
    e->arena = sluice_arena_new(0);
    int rc = sluice_expr_parse(e, text, err);
    if (!rc) *len = e->body_len;
    sluice_expr_free(e);
    return rc;
}

const struct ArrowSchema *sluice_expr_result(const struct sluice_expr *e)
{
    return &e->result;
}

int64_t sluice_expr_input_column(const struct sluice_expr *e)
{
    const struct expr_node *r = e->root;
    if (r->kind == EX_PATH && r->col.depth == 1 && r->col.steps[0].child >= 0) return r->col.steps[0].child;
    return -1;
}

size_t sluice_expr_columns(const struct sluice_expr *e, const char *const **paths)
{
    *paths = e->paths;
    return e->n_paths;
}

void sluice_expr_free(struct sluice_expr *e)
{
    if (!e) return;
    if (e->result.release) e->result.release(&e->result);
    for (size_t i = 0; i < e->n_regexes; i++) sluice_expr_regex_free(e->regexes[i]);
    free(e->regexes);
    for (size_t i = 0; i < e->n_schemas; i++) {
        sluice_schema_release(e->schemas[i]);
        free(e->schemas[i]);
    }
    free(e->schemas);
    sluice_arena_unref(e->arena);
    free(e);
}

/* ---- scratch memory ---------------------------------------------------------------------- */

/* Each evaluating thread keeps one scratch arena whose first chunk is sized
 * to the largest batch it has seen, so steady-state evaluation allocates
 * nothing and touches no fresh pages; it is reset after every call and
 * freed when the thread exits. */
struct scratch_slot {
    struct sluice_arena *arena;
    size_t cap;   /* first chunk of the arena */
    size_t base;  /* sluice_arena_bytes of the fresh arena: more means it outgrew its chunk */
};

/* current_timestamp(): the running micro-batch's time, set by the engine on
 * each thread that evaluates for it (INT64_MIN: none, e.g. `sluice query`). */
static _Thread_local int64_t batch_time_us = INT64_MIN;

void sluice_expr_set_batch_time(int64_t us)
{
    batch_time_us = us;
}

int64_t sluice_expr_batch_time(void)
{
    if (batch_time_us != INT64_MIN) return batch_time_us;
    int64_t now = sluice_now_us();
    return now - now % 1000; /* Spark's timestamps of "now" are whole milliseconds */
}

static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_slot_free(void *p)
{
    struct scratch_slot *slot = p;
    sluice_arena_unref(slot->arena);
    free(slot);
}

static void scratch_key_make(void)
{
    if (pthread_key_create(&scratch_key, scratch_slot_free) != 0) abort();
}

static struct scratch_slot *scratch_slot(void)
{
    pthread_once(&scratch_once, scratch_key_make);
    struct scratch_slot *slot = pthread_getspecific(scratch_key);
    if (!slot) {
        slot = sluice_xcalloc(1, sizeof *slot);
        pthread_setspecific(scratch_key, slot);
    }
    return slot;
}

/* The largest first chunk a thread's scratch keeps between calls. */
#define SCRATCH_KEEP_MAX ((size_t)64 << 20)

static struct sluice_arena *scratch_get(size_t want)
{
    struct scratch_slot *slot = scratch_slot();
    if (!slot->arena || slot->cap < want) {
        sluice_arena_unref(slot->arena);
        slot->cap = want > slot->cap ? want : slot->cap;
        slot->arena = sluice_arena_new(slot->cap);
        slot->base = sluice_arena_bytes(slot->arena);
    }
    return slot->arena;
}

/* After a call: keep the arena for the next one, larger if this call outgrew it. */
static void scratch_put(struct sluice_arena *a)
{
    struct scratch_slot *slot = scratch_slot();
    size_t used = sluice_arena_bytes(a);
    if (used > slot->base) {
        sluice_arena_unref(a);
        slot->arena = NULL;
        /* Grow for the next call, but never keep more than SCRATCH_KEEP_MAX
         * for a thread's lifetime: a call that needed more allocates its
         * own blocks again, rather than every later call holding it. */
        size_t next = used + used / 4;
        slot->cap = next < SCRATCH_KEEP_MAX ? next : SCRATCH_KEEP_MAX;
        return;
    }
    sluice_arena_reset(a);
}

/* ---- the result as an Arrow column ---------------------------------------------------- */

static size_t round16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

/* Pack valid bytes into a bitmap; returns the null count. */
static int64_t pack_validity(const uint8_t *valid, int64_t n, uint8_t *bits)
{
    int64_t nulls = 0;
    memset(bits, 0, ((size_t)n + 7) / 8);
    for (int64_t i = 0; i < n; i++) {
        bits[i >> 3] |= (uint8_t)((valid[i] & 1u) << (i & 7));
        nulls += !valid[i];
    }
    return nulls;
}

/* A scalar column copied into one exactly sized arena that its node keeps;
 * false, with nothing made, for strings past the size limit (a literal
 * repeated over many rows can get there). */
static bool scalar_out(struct ectx *c, enum sluice_type t, const struct evec *v, struct ArrowArray *out)
{
    int64_t n = c->n;
    size_t bitmap = ((size_t)n + 7) / 8 + 8, values = 0, data = 0;
    switch (t) {
    case SLUICE_TYPE_BOOLEAN: values = bitmap; break;
    case SLUICE_TYPE_STRING:
        values = ((size_t)n + 1) * 4;
        for (int64_t i = 0; i < n; i++) {
            int32_t len;
            if (evec_valid(v, i)) evec_str(v, i, &len), data += (size_t)len;
        }
        if (data > sbuild_limit()) return false;
        break;
    case SLUICE_TYPE_DECIMAL: values = (size_t)n * 16 + 16; break;
    default: values = (size_t)n * 8 + 8; break;
    }
    int64_t nb = t == SLUICE_TYPE_STRING ? 3 : 2;
    size_t total = round16(sizeof *out) + round16(3 * sizeof(void *)) + round16(bitmap) + round16(values) +
                   round16(data + 1) + 64;
    struct sluice_arena *arena = sluice_arena_new(total);
    const void **bufs = sluice_arena_alloc(arena, 3 * sizeof *bufs);
    uint8_t *bits = sluice_arena_alloc(arena, bitmap);
    int64_t nulls = v->valid ? pack_validity(v->valid, n, bits) : 0;
    bufs[0] = nulls ? bits : NULL;
    void *vals = sluice_arena_alloc(arena, values);
    bufs[1] = vals;
    switch (t) {
    case SLUICE_TYPE_BOOLEAN: {
        uint8_t *o = vals;
        memset(o, 0, bitmap);
        for (int64_t i = 0; i < n; i++) o[i >> 3] |= (uint8_t)((v->b[i] & (uint8_t)evec_valid(v, i)) << (i & 7));
        break;
    }
    case SLUICE_TYPE_DECIMAL: {
        uint8_t *o = vals;
        for (int64_t i = 0; i < n; i++) {
            sluice_dec x = evec_valid(v, i) ? v->x[i] : 0;
            memcpy(o + 16 * i, &x, 16);
        }
        break;
    }
    case SLUICE_TYPE_DATE: {
        /* Days are int64 while evaluated (as longs are), int32 in Arrow. */
        int32_t *o = vals;
        for (int64_t i = 0; i < n; i++) o[i] = evec_valid(v, i) ? (int32_t)v->l[i] : 0;
        break;
    }
    case SLUICE_TYPE_LONG:
    case SLUICE_TYPE_TIMESTAMP:
    case SLUICE_TYPE_DOUBLE: {
        /* Null slots hold 0 so no stale input value reaches the output. */
        const int64_t *src = t == SLUICE_TYPE_DOUBLE ? (const int64_t *)(const void *)v->d : v->l;
        int64_t *o = vals;
        if (!v->valid) memcpy(o, src, (size_t)n * 8);
        else for (int64_t i = 0; i < n; i++) o[i] = v->valid[i] ? src[i] : 0;
        break;
    }
    case SLUICE_TYPE_STRING: {
        int32_t *offs = vals;
        char *d = sluice_arena_alloc(arena, data + 1);
        bufs[2] = d;
        offs[0] = 0;
        if (!v->valid && !v->konst) {
            int32_t base = v->offs[0];
            memcpy(d, v->data + base, data);
            for (int64_t i = 1; i <= n; i++) offs[i] = v->offs[i] - base;
        } else {
            size_t w = 0;
            for (int64_t i = 0; i < n; i++) {
                if (evec_valid(v, i)) {
                    int32_t len;
                    const char *s = evec_str(v, i, &len);
                    memcpy(d + w, s, (size_t)len);
                    w += (size_t)len;
                }
                offs[i + 1] = (int32_t)w;
            }
        }
        break;
    }
    default: break;
    }
    *out = (struct ArrowArray){
        .length = n, .null_count = nulls, .n_buffers = nb, .buffers = bufs,
        .release = sluice_array_release_node, .private_data = arena,
    };
    return true;
}

int sluice_expr_eval(const struct sluice_expr *e, const struct sluice_batch *in, struct ArrowArray *out,
                     struct sluice_error *err)
{
    const struct ArrowArray *root = &in->array;
    if (root->n_children != e->input_children)
        return sluice_error_set(err, SLUICE_EINTERNAL,
                                "expression '%s': the batch has %lld columns, the schema it was compiled against %lld",
                                e->result.name ? e->result.name : "?", (long long)root->n_children,
                                (long long)e->input_children);
    struct ectx c = { .n = root->length, .root = root };
    /* Most vectors are a few bytes per row; start the scratch near that. */
    c.scratch = scratch_get((size_t)(root->length > 0 ? root->length : 1) * 32 + 4096);
    c.memo = sluice_arena_calloc(c.scratch, (size_t)e->n_nodes * sizeof *c.memo + 1);
    const struct evec *v = sluice_expr_eval_node(&c, e->root);
    enum sluice_type t = e->root->type;
    int rc = SLUICE_OK;
    bool nested = t == SLUICE_TYPE_STRUCT || t == SLUICE_TYPE_ARRAY || t == SLUICE_TYPE_MAP;
    if (!c.refused && !nested) c.refused = !scalar_out(&c, t, v, out);
    if (c.refused) {
        memset(out, 0, sizeof *out);
        rc = sluice_error_set(err, SLUICE_ELIMIT, "expression '%s': more than %zu bytes of strings in one batch "
                              "(Arrow's 32-bit offsets)", e->result.name ? e->result.name : "?", sbuild_limit());
    } else if (nested) {
        if (v->arr) {
            rc = sluice_array_take_physical(&e->result, v->arr, v->slots, c.n, out, err);
            if (rc) out->release(out);
        } else {
            struct sluice_arena *arena = sluice_arena_new(0);
            sluice_array_make_null(&e->result, c.n, arena, out);
            sluice_arena_unref(arena);
        }
    }
    struct sluice_arena *scratch = c.scratch;
    c.scratch = NULL;
    ectx_release(&c);
    scratch_put(scratch);
    return rc;
}
