/* All-null arrays of any schema, for a column an operator has no values
 * for (a union's missing column, an expression's null result). See
 * builder.h. */
#include <stdlib.h>

#include "arena.h"
#include "builder.h"
#include "layout.h"
#include "log.h"

static void null_node(const struct ArrowSchema *schema, int64_t length, const void *zeros,
                      struct sluice_arena *arena, struct ArrowArray *out)
{
    enum sluice_type t = sluice_layout_of(schema);
    if (t == SLUICE_TYPE_INVALID) {
        sluice_log(SLUICE_LOG_ERROR, NULL, "make_null: column '%s': unsupported arrow format '%s'",
                   schema && schema->name ? schema->name : "?", schema ? schema->format : "?");
        abort();
    }
    int64_t nb = sluice_layout_buffers(t);
    const void **bufs = sluice_arena_alloc(arena, (size_t)nb * sizeof *bufs);
    for (int64_t k = 0; k < nb; k++) bufs[k] = zeros;
    if (length == 0) bufs[0] = NULL;
    int64_t nc = t == SLUICE_TYPE_STRUCT || t == SLUICE_TYPE_ARRAY ? schema->n_children : 0;
    struct ArrowArray **kids = NULL;
    if (nc > 0) {
        kids = sluice_arena_alloc(arena, (size_t)nc * sizeof *kids);
        for (int64_t i = 0; i < nc; i++) {
            kids[i] = sluice_arena_alloc(arena, sizeof **kids);
            /* All-zero offsets make every list empty, so elements need no slots. */
            null_node(schema->children[i], t == SLUICE_TYPE_STRUCT ? length : 0, zeros, arena, kids[i]);
        }
    }
    *out = (struct ArrowArray){
        .length = length, .null_count = length, .n_buffers = nb, .n_children = nc,
        .buffers = bufs, .children = kids,
        .release = sluice_array_release_node, .private_data = arena,
    };
    sluice_arena_ref(arena);
}

void sluice_array_make_null(const struct ArrowSchema *schema, int64_t length,
                            struct sluice_arena *arena, struct ArrowArray *out)
{
    if (length < 0) length = 0;
    /* One zeroed block serves as bitmap, values and offsets of every node:
     * struct children share their parent's length, list elements have none. */
    size_t bytes = (size_t)length * 8 + 8;
    void *zeros = sluice_arena_calloc(arena, bytes);
    null_node(schema, length, zeros, arena, out);
}
