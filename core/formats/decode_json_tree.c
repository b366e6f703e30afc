/* core/formats/decode_json_tree.c — the JSON decoder's tree: the schema
 * and projection compiled into nodes, each holding its builder, a struct's
 * needed keys hashed for the scanner. See decode_json_priv.h. */
#include <stdlib.h>
#include <string.h>

#include "builder.h"
#include "colpath.h"
#include "decode_json_priv.h"
#include "error.h"
#include "mem.h"

static struct jnode *node_build(const struct ArrowSchema *s, struct sluice_builder *b, const char *name)
{
    struct jnode *n = sluice_xcalloc(1, sizeof *n);
    n->type = sluice_type_of(s);
    n->b = b;
    n->name = s->name ? s->name : name;
    if (n->type == SLUICE_TYPE_STRUCT) {
        n->n_children = s->n_children;
        n->children = sluice_xcalloc((size_t)(s->n_children ? s->n_children : 1), sizeof *n->children);
        for (int64_t i = 0; i < s->n_children; i++)
            n->children[i] = node_build(s->children[i], &b->children[i], n->name);
    } else if (n->type == SLUICE_TYPE_ARRAY) {
        n->elem = node_build(s->children[0], &b->children[0], n->name);
        n->elem->name = n->name;
    } else if (n->type == SLUICE_TYPE_MAP) {
        const struct ArrowSchema *e = s->children[0];
        struct sluice_builder *entries = &b->children[0];
        n->elem = node_build(e->children[1], &entries->children[1], n->name);
        n->elem->name = n->name;
        if (sluice_type_of(e->children[0]) == SLUICE_TYPE_STRING) n->keys = &entries->children[0];
    }
    return n;
}

void sluice_json_tree_free(struct jnode *n)
{
    if (!n) return;
    for (int64_t i = 0; i < n->n_children; i++) sluice_json_tree_free(n->children[i]);
    free(n->children);
    free(n->slots);
    sluice_json_tree_free(n->elem);
    free(n);
}

static void mark_all(struct jnode *n)
{
    n->needed = true;
    for (int64_t i = 0; i < n->n_children; i++) mark_all(n->children[i]);
    if (n->elem) mark_all(n->elem);
}

static int mark_path(struct jnode *root, const char *path, struct sluice_error *err)
{
    size_t len = strlen(path);
    char *storage = sluice_xmalloc(len + 1);
    const char *segs[SLUICE_PATH_MAX_DEPTH];
    int nseg = sluice_projection_path_split(path, storage, segs, SLUICE_PATH_MAX_DEPTH);
    int rc = SLUICE_OK;
    if (nseg <= 0) {
        rc = sluice_error_set(err, SLUICE_ECONFIG, "bad projection path '%s'", path);
        goto out;
    }
    struct jnode *n = root;
    for (int i = 0; i < nseg; i++) {
        if (n->type != SLUICE_TYPE_STRUCT) {
            rc = sluice_error_set(err, SLUICE_ECONFIG, "projection path '%s': '%s' is not a struct",
                                  path, n->name ? n->name : "");
            goto out;
        }
        struct jnode *c = NULL;
        for (int64_t k = 0; k < n->n_children && !c; k++)
            if (n->children[k]->name && strcmp(n->children[k]->name, segs[i]) == 0) c = n->children[k];
        if (!c) {
            rc = sluice_error_set(err, SLUICE_ECONFIG, "projection path '%s': no field '%s'", path, segs[i]);
            goto out;
        }
        c->needed = true;
        while (c->type == SLUICE_TYPE_ARRAY) {
            c = c->elem;
            c->needed = true;
        }
        n = c;
    }
    mark_all(n);
out:
    free(storage);
    return rc;
}

/* Hash the needed fields of every needed struct; collect per-row builders. */
static void node_finalize(struct jdec *j, struct jnode *n, bool per_row)
{
    if (per_row) j->per_row[j->n_per_row++] = n->b;
    if (n->type == SLUICE_TYPE_ARRAY || n->type == SLUICE_TYPE_MAP) {
        node_finalize(j, n->elem, false);
        return;
    }
    if (n->type != SLUICE_TYPE_STRUCT) return;
    uint32_t needed = 0;
    for (int64_t i = 0; i < n->n_children; i++) needed += n->children[i]->needed;
    uint32_t cap = 2;
    while (cap < needed * 2) cap *= 2;
    n->mask = cap - 1;
    n->slots = sluice_xcalloc(cap, sizeof *n->slots);
    for (int64_t i = 0; i < n->n_children; i++) {
        struct jnode *c = n->children[i];
        if (!c->needed) continue;
        const char *k = c->name ? c->name : "";
        uint32_t len = (uint32_t)strlen(k);
        uint32_t h = len * 0x9E3779B1u;
        if (len)
            h ^= (uint8_t)k[0] * 0x85EBCA6Bu ^ (uint8_t)k[len - 1] * 0xC2B2AE35u ^
                 (uint8_t)k[len >> 1] * 0x27D4EB2Fu;
        h ^= h >> 15;
        for (h &= n->mask; n->slots[h].key; h = (h + 1) & n->mask) {
        }
        n->slots[h] = (struct jslot){ k, len, c };
        node_finalize(j, c, per_row);
    }
}

static size_t count_nodes(const struct jnode *n)
{
    size_t c = 1;
    for (int64_t i = 0; i < n->n_children; i++) c += count_nodes(n->children[i]);
    if (n->elem) c += count_nodes(n->elem);
    return c;
}

int sluice_json_tree_build(struct jdec *j, const struct ArrowSchema *schema, struct sluice_builder *root,
                           const struct sluice_projection *proj, int64_t corrupt_index, struct sluice_error *err)
{
    j->root = node_build(schema, root, NULL);
    if (!proj || proj->all) {
        mark_all(j->root);
    } else {
        for (size_t i = 0; i < proj->n_paths; i++) {
            int rc = mark_path(j->root, proj->paths[i], err);
            if (rc) return rc;
        }
    }
    j->root->needed = true;
    /* The corrupt column is filled from the raw line, never from a key. */
    if (corrupt_index >= 0) j->root->children[corrupt_index]->needed = false;
    j->per_row = sluice_xcalloc(count_nodes(j->root), sizeof *j->per_row);
    node_finalize(j, j->root, true);
    return SLUICE_OK;
}
