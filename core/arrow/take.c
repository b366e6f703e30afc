/* The take kernel: a deep copy of chosen slots of an Arrow array, for
 * filter (keep rows), explode (repeat rows) and the evaluator (struct and
 * array results). Fixed-width values are gathered in one loop, strings in
 * two (sizes, then bytes), structs and lists recurse with the child slots
 * they select. Every node of the result holds a reference on one new arena.
 * Repeating rows (explode) can make a column larger than its source: past
 * the size limit the column comes out all null and the arena poisoned. */
#include "take.h"
#include "layout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "builder.h"
#include "error.h"
#include "log.h"
#include "mem.h"
#include "size_limit.h"

/* One take: the result's arena, the size limit, the path of the node being
 * taken (for the message) and the first refusal. */
struct take {
    struct sluice_arena *arena;
    int64_t limit;
    char path[200];
    char refused[300];
};

static bool bit(const void *bits, int64_t i)
{
    return (((const uint8_t *)bits)[i >> 3] >> (i & 7)) & 1;
}

static void set_bit(uint8_t *bits, int64_t i)
{
    bits[i >> 3] |= (uint8_t)(1u << (i & 7));
}

static void *zalloc(struct sluice_arena *arena, size_t n)
{
    return sluice_arena_calloc(arena, n ? n : 8);
}

/* A column past the limit: every slot of it null, the first reason kept. */
static void refuse(struct take *t, int64_t *slots, int64_t n, const char *what)
{
    if (!t->refused[0])
        snprintf(t->refused, sizeof t->refused, "column '%s': more than %lld %s in one batch (Arrow's 32-bit offsets)",
                 t->path[0] ? t->path : "?", (long long)t->limit, what);
    for (int64_t i = 0; i < n; i++) slots[i] = -1;
}

/* slots: physical slots of `a` (-1 = null); may be overwritten. */
static void take_node(struct take *tk, const struct ArrowSchema *schema, const struct ArrowArray *a, int64_t *slots,
                      int64_t n, struct ArrowArray *out)
{
    struct sluice_arena *arena = tk->arena;
    enum sluice_type t = sluice_layout_of(schema);
    bool src_nulls = a->null_count != 0 && a->buffers[0];
    if (src_nulls)
        for (int64_t i = 0; i < n; i++)
            if (slots[i] >= 0 && !bit(a->buffers[0], slots[i])) slots[i] = -1;
    /* Sizes before anything is copied: a column past the limit is all null. */
    if (t == SLUICE_TYPE_STRING || t == SLUICE_TYPE_ARRAY) {
        const int32_t *so = a->buffers[1];
        int64_t total = 0;
        for (int64_t i = 0; i < n; i++)
            if (slots[i] >= 0) total += so[slots[i] + 1] - so[slots[i]];
        if (total > tk->limit) refuse(tk, slots, n, t == SLUICE_TYPE_STRING ? "bytes of strings" : "list elements");
    }
    int64_t nb = t == SLUICE_TYPE_STRING ? 3 : t == SLUICE_TYPE_STRUCT ? 1 : 2;
    const void **bufs = zalloc(arena, (size_t)nb * sizeof *bufs);
    uint8_t *validity = zalloc(arena, ((size_t)n + 7) / 8);
    int64_t nulls = 0;
    for (int64_t i = 0; i < n; i++) {
        if (slots[i] >= 0) set_bit(validity, i);
        else nulls++;
    }
    bufs[0] = nulls ? validity : NULL;
    int64_t n_children = 0;
    struct ArrowArray **children = NULL;

    switch (t) {
    case SLUICE_TYPE_BOOLEAN: {
        uint8_t *bits = zalloc(arena, ((size_t)n + 7) / 8);
        for (int64_t i = 0; i < n; i++)
            if (slots[i] >= 0 && bit(a->buffers[1], slots[i])) set_bit(bits, i);
        bufs[1] = bits;
        break;
    }
    case SLUICE_TYPE_LONG:
    case SLUICE_TYPE_DOUBLE:
    case SLUICE_TYPE_TIMESTAMP: {
        const uint64_t *src = a->buffers[1];
        uint64_t *dst = zalloc(arena, (size_t)n * 8);
        for (int64_t i = 0; i < n; i++) dst[i] = slots[i] >= 0 ? src[slots[i]] : 0;
        bufs[1] = dst;
        break;
    }
    case SLUICE_TYPE_DECIMAL: {
        const uint8_t *src = a->buffers[1];
        uint8_t *dst = zalloc(arena, (size_t)n * 16);
        for (int64_t i = 0; i < n; i++)
            if (slots[i] >= 0) memcpy(dst + 16 * i, src + 16 * slots[i], 16);
        bufs[1] = dst;
        break;
    }
    case SLUICE_TYPE_DATE: {
        const uint32_t *src = a->buffers[1];
        uint32_t *dst = zalloc(arena, (size_t)n * 4);
        for (int64_t i = 0; i < n; i++) dst[i] = slots[i] >= 0 ? src[slots[i]] : 0;
        bufs[1] = dst;
        break;
    }
    case SLUICE_TYPE_STRING: {
        const int32_t *so = a->buffers[1];
        const char *sd = a->buffers[2];
        size_t total = 0;
        for (int64_t i = 0; i < n; i++)
            if (slots[i] >= 0) total += (size_t)(so[slots[i] + 1] - so[slots[i]]);
        int32_t *offs = zalloc(arena, ((size_t)n + 1) * sizeof *offs);
        char *data = zalloc(arena, total);
        size_t w = 0;
        for (int64_t i = 0; i < n; i++) {
            if (slots[i] >= 0) {
                size_t len = (size_t)(so[slots[i] + 1] - so[slots[i]]);
                memcpy(data + w, sd + so[slots[i]], len);
                w += len;
            }
            offs[i + 1] = (int32_t)w;
        }
        bufs[1] = offs;
        bufs[2] = data;
        break;
    }
    case SLUICE_TYPE_STRUCT: {
        n_children = schema->n_children;
        children = zalloc(arena, (size_t)n_children * sizeof *children);
        int64_t *sub = sluice_xmalloc(((size_t)n + 1) * sizeof *sub);
        size_t len = strlen(tk->path);
        for (int64_t k = 0; k < n_children; k++) {
            const struct ArrowArray *c = a->children[k];
            /* Struct slot p is slot c->offset + p of each child. */
            for (int64_t i = 0; i < n; i++) sub[i] = slots[i] >= 0 ? c->offset + slots[i] : -1;
            children[k] = zalloc(arena, sizeof **children);
            const char *name = schema->children[k]->name;
            snprintf(tk->path + len, sizeof tk->path - len, "%s%s", len ? "." : "", name ? name : "?");
            take_node(tk, schema->children[k], c, sub, n, children[k]);
            tk->path[len] = '\0';
        }
        free(sub);
        break;
    }
    case SLUICE_TYPE_ARRAY: {
        const int32_t *lo = a->buffers[1];
        const struct ArrowArray *c = a->children[0];
        int32_t *offs = zalloc(arena, ((size_t)n + 1) * sizeof *offs);
        int64_t total = 0;
        for (int64_t i = 0; i < n; i++) {
            if (slots[i] >= 0) total += lo[slots[i] + 1] - lo[slots[i]];
            offs[i + 1] = (int32_t)total;
        }
        int64_t *sub = sluice_xmalloc(((size_t)total + 1) * sizeof *sub);
        int64_t w = 0;
        for (int64_t i = 0; i < n; i++)
            if (slots[i] >= 0)
                for (int64_t k = lo[slots[i]]; k < lo[slots[i] + 1]; k++) sub[w++] = c->offset + k;
        n_children = 1;
        children = zalloc(arena, sizeof *children);
        children[0] = zalloc(arena, sizeof **children);
        take_node(tk, schema->children[0], c, sub, total, children[0]);
        free(sub);
        bufs[1] = offs;
        break;
    }
    default: /* a schema the core never makes: a bug, not data */
        sluice_log(SLUICE_LOG_ERROR, NULL, "take: unsupported arrow format '%s'", schema->format);
        abort();
    }
    *out = (struct ArrowArray){
        .length = n, .null_count = nulls, .offset = 0, .n_buffers = nb, .n_children = n_children,
        .buffers = bufs, .children = children, .release = sluice_array_release_node, .private_data = arena,
    };
    sluice_arena_ref(arena);
}

/* Take into a fresh arena; past the limit, poison it and say why. */
static int take_into(const struct ArrowSchema *schema, const struct ArrowArray *a, int64_t *slots, int64_t n,
                     struct ArrowArray *out, struct sluice_error *err)
{
    struct take tk = { .arena = sluice_arena_new(0), .limit = sluice_size_limit(SLUICE_OFFSET_LIMIT) };
    if (schema->name) snprintf(tk.path, sizeof tk.path, "%s", schema->name); /* "" for a batch's root */
    take_node(&tk, schema, a, slots, n, out);
    int rc = SLUICE_OK;
    if (tk.refused[0]) {
        sluice_arena_poison(tk.arena, tk.refused);
        rc = sluice_error_set(err, SLUICE_ELIMIT, "%s", tk.refused);
    }
    sluice_arena_unref(tk.arena); /* the nodes hold it */
    return rc;
}

int sluice_array_take_physical(const struct ArrowSchema *schema, const struct ArrowArray *a, const int64_t *slots,
                               int64_t n, struct ArrowArray *out, struct sluice_error *err)
{
    if (n < 0) n = 0;
    int64_t *copy = sluice_xmalloc(((size_t)n + 1) * sizeof *copy);
    if (n) memcpy(copy, slots, (size_t)n * sizeof *copy);
    int rc = take_into(schema, a, copy, n, out, err);
    free(copy);
    return rc;
}

int sluice_array_take(const struct ArrowSchema *schema, const struct ArrowArray *a, const int64_t *indices,
                      int64_t n, struct ArrowArray *out, struct sluice_error *err)
{
    if (n < 0) n = 0;
    int64_t *slots = sluice_xmalloc(((size_t)n + 1) * sizeof *slots);
    for (int64_t i = 0; i < n; i++) slots[i] = indices[i] < 0 ? -1 : a->offset + indices[i];
    int rc = take_into(schema, a, slots, n, out, err);
    free(slots);
    return rc;
}
