#include "batch.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"

/* Owns the original batch; freed with the last node that refers to it. */
struct keeper {
    atomic_long refs;
    struct ArrowArray original;
};

static void keeper_unref(struct keeper *k)
{
    if (atomic_fetch_sub_explicit(&k->refs, 1, memory_order_acq_rel) == 1) {
        if (k->original.release) k->original.release(&k->original);
        free(k);
    }
}

struct shared_node {
    struct keeper *keeper;
    struct ArrowArray **children;
    const void **buffers;
};

static void shared_release(struct ArrowArray *a)
{
    struct shared_node *n = a->private_data;
    for (int64_t i = 0; i < a->n_children; i++) {
        struct ArrowArray *c = a->children[i];
        if (c->release) c->release(c);
        free(c);
    }
    free(n->children);
    free(n->buffers);
    keeper_unref(n->keeper);
    free(n);
    a->release = NULL;
}

static void copy_node(struct keeper *k, const struct ArrowArray *src, struct ArrowArray *dst)
{
    struct shared_node *n = sluice_xcalloc(1, sizeof *n);
    n->keeper = k;
    atomic_fetch_add_explicit(&k->refs, 1, memory_order_relaxed);
    *dst = *src;
    n->buffers = sluice_xcalloc((size_t)src->n_buffers + 1, sizeof *n->buffers);
    memcpy(n->buffers, src->buffers, (size_t)src->n_buffers * sizeof *n->buffers);
    dst->buffers = n->buffers;
    n->children = sluice_xcalloc((size_t)src->n_children + 1, sizeof *n->children);
    for (int64_t i = 0; i < src->n_children; i++) {
        n->children[i] = sluice_xmalloc(sizeof(struct ArrowArray));
        copy_node(k, src->children[i], n->children[i]);
    }
    dst->children = n->children;
    dst->dictionary = NULL;
    dst->private_data = n;
    dst->release = shared_release;
}

void sluice_batch_share(struct sluice_batch *b, struct sluice_batch *out)
{
    /* The first share moves the original into a keeper, and b becomes a
     * shared view itself, so every later share goes through the same keeper. */
    struct keeper *k;
    if (b->array.release == shared_release) {
        k = ((struct shared_node *)b->array.private_data)->keeper;
    } else {
        k = sluice_xcalloc(1, sizeof *k);
        atomic_init(&k->refs, 1);
        k->original = b->array;
        b->array.release = NULL;
        copy_node(k, &k->original, &b->array);
        keeper_unref(k); /* b's nodes now hold the keeper */
    }
    out->schema = b->schema;
    copy_node(k, &k->original, &out->array);
}

/* The root of an assembled batch owns its column nodes outright. */
static void assembled_release(struct ArrowArray *a)
{
    for (int64_t i = 0; i < a->n_children; i++) {
        struct ArrowArray *c = a->children[i];
        if (c->release) c->release(c);
        free(c);
    }
    free(a->children);
    free(a->buffers);
    a->release = NULL;
}

void sluice_batch_assemble(struct sluice_batch *out, const struct ArrowSchema *schema,
                           int64_t length, struct ArrowArray *columns, int64_t n)
{
    memset(out, 0, sizeof *out);
    out->schema = schema;
    struct ArrowArray *a = &out->array;
    a->length = length;
    a->n_buffers = 1;
    a->buffers = sluice_xcalloc(1, sizeof *a->buffers); /* no validity: every row exists */
    a->n_children = n;
    a->children = sluice_xcalloc((size_t)n + 1, sizeof *a->children);
    for (int64_t i = 0; i < n; i++) {
        a->children[i] = sluice_xmalloc(sizeof(struct ArrowArray));
        sluice_array_move(a->children[i], &columns[i]);
    }
    a->release = assembled_release;
}
