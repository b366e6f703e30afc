/* core/formats/decode_json_priv.h — what the JSON decoder's scanner
 * (decode_json.c) and its tree (decode_json_tree.c) share. Not for other
 * modules. */
#ifndef SLUICE_CORE_DECODE_JSON_PRIV_H
#define SLUICE_CORE_DECODE_JSON_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include <sluice/error.h>
#include <sluice/plugin.h>

#include "builder.h"

struct jnode;

struct jslot {
    const char *key; /* NULL: empty slot */
    uint32_t len;
    struct jnode *node;
};

struct jnode {
    enum sluice_type type;
    bool needed;
    struct sluice_builder *b;
    const char *name;         /* the field's name, for messages */
    int64_t n_children;       /* struct: one node per schema field */
    struct jnode **children;
    struct jslot *slots;      /* struct: the needed fields, hashed by key */
    uint32_t mask;
    struct jnode *elem;       /* array: its element; map: its value */
    struct sluice_builder *keys; /* map: the entries' key builder (string keys, as Spark's JSON reads) */
};

struct jdec {
    struct jnode *root;
    struct sluice_builder **per_row; /* builders that take one slot per row */
    size_t n_per_row;
};

/* Compile `schema` (its builders rooted at `root`) and `proj` into j's
 * tree; the corrupt column (or -1) is never read from a key. */
int sluice_json_tree_build(struct jdec *j, const struct ArrowSchema *schema, struct sluice_builder *root,
                           const struct sluice_projection *proj, int64_t corrupt_index, struct sluice_error *err);
void sluice_json_tree_free(struct jnode *n);

#endif
