/* The evaluator's scratch: allocations from the batch's arena, result
 * vectors, owned Arrow arrays released at the end, and string columns
 * being built within the size limit. */
#include "expr_priv.h"

#include <string.h>

#include "arena.h"
#include "size_limit.h"

/* ---- scratch ---------------------------------------------------------------- */

void *ectx_alloc(struct ectx *c, size_t bytes)
{
    return sluice_arena_alloc(c->scratch, bytes ? bytes : 1);
}

struct evec *ectx_vec(struct ectx *c)
{
    return sluice_arena_calloc(c->scratch, sizeof(struct evec));
}

uint8_t *ectx_valid_and(struct ectx *c, const struct evec *const *vs, int k)
{
    uint8_t *out = NULL;
    for (int j = 0; j < k; j++) {
        const uint8_t *v = vs[j]->valid;
        if (!v) continue;
        if (!out) {
            out = ectx_alloc(c, (size_t)c->n);
            memcpy(out, v, (size_t)c->n);
        } else {
            for (int64_t i = 0; i < c->n; i++) out[i] &= v[i];
        }
    }
    return out;
}

void ectx_own(struct ectx *c, struct ArrowArray *a)
{
    if (c->n_owned == c->cap_owned) {
        int cap = c->cap_owned ? 2 * c->cap_owned : 4;
        struct ArrowArray **v = ectx_alloc(c, (size_t)cap * sizeof *v);
        if (c->n_owned) memcpy(v, c->owned, (size_t)c->n_owned * sizeof *v);
        c->owned = v;
        c->cap_owned = cap;
    }
    c->owned[c->n_owned++] = a;
}

void ectx_release(struct ectx *c)
{
    for (int i = 0; i < c->n_owned; i++)
        if (c->owned[i]->release) c->owned[i]->release(c->owned[i]);
    c->n_owned = 0;
    if (c->match_data) sluice_expr_match_data_free(c->match_data);
    c->match_data = NULL;
}

void ectx_finish(struct ectx *c)
{
    ectx_release(c);
    sluice_arena_unref(c->scratch);
    c->scratch = NULL;
}

size_t sbuild_limit(void)
{
    return (size_t)sluice_size_limit(SLUICE_OFFSET_LIMIT);
}

bool sbuild_init(struct ectx *c, struct sbuild *b, size_t cap)
{
    if (cap > sbuild_limit()) {
        c->refused = true;
        return false;
    }
    b->offs = ectx_alloc(c, ((size_t)c->n + 1) * sizeof(int32_t));
    b->offs[0] = 0;
    b->data = ectx_alloc(c, cap);
    b->len = 0;
    b->cap = cap;
    return true;
}

void sbuild_to_vec(struct sbuild *b, struct evec *v)
{
    v->offs = b->offs;
    v->data = b->data;
}

struct evec *ectx_null(struct ectx *c)
{
    int64_t n = c->n;
    struct evec *v = ectx_vec(c);
    /* One zeroed block serves as validity and values of any type (16 bytes
     * a row, a decimal's); nested nulls need -1 slots. */
    void *zeros = sluice_arena_calloc(c->scratch, (size_t)n * 16 + 16);
    v->valid = zeros;
    v->l = zeros;
    v->d = zeros;
    v->x = zeros;
    v->b = zeros;
    v->offs = zeros;
    v->data = "";
    v->konst = true;
    int64_t *slots = ectx_alloc(c, (size_t)n * sizeof *slots);
    for (int64_t i = 0; i < n; i++) slots[i] = -1;
    v->slots = slots;
    return v;
}
