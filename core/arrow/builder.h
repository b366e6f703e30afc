/* core/arrow/builder.h — building Arrow arrays column by column.
 *
 * A builder mirrors a schema node: leaves append values, struct builders
 * hold one child builder per field, list builders one for the elements.
 * Buffers are malloc'd and grow geometrically (never per row); finishing
 * hands them to the new batch's arena, which frees them with the batch.
 *
 * Children may lag behind their struct: before a child is appended to at
 * struct slot i it is padded with nulls up to i, and finishing pads every
 * child to its parent's length. So a decoder appends only the fields it saw
 * and a projection leaves unread columns untouched: they come out null.
 *
 * Offsets are int32 (Arrow "u" and "+l"): one batch holds at most 2 GiB of
 * string bytes per column and 2^31-1 elements per list column (or the
 * lower test limit, size_limit.h). An append past that is refused, never
 * wrapped: the slot gets a null and the root builder records the column.
 * A decoder checks after each line and treats the line as malformed; any
 * other caller takes the refusal as an error (sluice_builder_refusal) or,
 * not knowing of it (a plugin), gets a batch whose arena is poisoned with
 * the reason, which the engine fails (sluice_array_poisoned).
 *
 * Threads: one builder is used by one thread at a time. */
#ifndef SLUICE_CORE_BUILDER_H
#define SLUICE_CORE_BUILDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sluice/arrow.h>
#include <sluice/batch.h>
#include <sluice/error.h>
#include <sluice/types.h>

struct sluice_arena;

struct sluice_builder {
    const struct ArrowSchema *schema; /* borrowed */
    enum sluice_type type;
    int64_t length;
    int64_t null_count;
    uint8_t *validity;     /* bit per slot; allocated on the first null */
    size_t validity_cap;   /* bytes */
    uint8_t *values;       /* bool bits, int64, double, or int32 offsets (string, list) */
    size_t values_cap;     /* bytes */
    char *data;            /* string bytes */
    size_t data_len;
    size_t data_cap;
    int64_t n_children;
    struct sluice_builder *children; /* struct fields, or the list element (one) */
    int64_t rows_hint;     /* capacity to reserve after finish (last batch's length) */
    size_t data_hint;      /* string bytes to reserve after finish (last batch's) */
    int64_t limit;         /* string bytes or list elements this node may hold (size_limit.h) */
    struct sluice_builder *root;      /* the builder the tree was made as */
    struct sluice_builder *refused;   /* root only: the first node an append was refused on, or NULL */
};

/* A builder for `schema` (borrowed: must outlive the builder). */
struct sluice_builder *sluice_builder_new(const struct ArrowSchema *schema);
void sluice_builder_free(struct sluice_builder *b);
/* Room for `rows` more slots on this builder (not its children). */
void sluice_builder_reserve(struct sluice_builder *b, int64_t rows);

/* Slow paths of the inline appends; not for direct use. */
void sluice_builder_grow_values_(struct sluice_builder *b, size_t need_bytes);
void sluice_builder_grow_validity_(struct sluice_builder *b, int64_t need_slots);

/* Append nulls until length == `length` (no-op when already there). */
void sluice_builder_pad(struct sluice_builder *b, int64_t length);
void sluice_builder_append_null(struct sluice_builder *b);
/* A non-null struct slot: pads every child to the struct's old length first. */
void sluice_builder_append_struct(struct sluice_builder *b);
/* A non-null list slot: append elements to children[0], then end_list. */
void sluice_builder_begin_list(struct sluice_builder *b);
void sluice_builder_end_list(struct sluice_builder *b);
void sluice_builder_append_string(struct sluice_builder *b, const char *s, size_t n);
/* Drop every slot from `length` on (children included), e.g. to undo a
 * malformed row a decoder had half appended. No-op when length >= b->length. */
void sluice_builder_truncate(struct sluice_builder *b, int64_t length);
/* Deep copy of physical slot `slot` of `src` (same type as the builder). */
void sluice_builder_append_from(struct sluice_builder *b, const struct ArrowArray *src,
                                int64_t slot);

/* Whether an append anywhere in b's tree was refused for passing the size
 * limit since the last finish or sluice_builder_refusal. */
static inline bool sluice_builder_refused(const struct sluice_builder *b)
{
    return b->root->refused != NULL;
}
/* SLUICE_OK, or when an append was refused SLUICE_ELIMIT with a message
 * naming the column and the limit (then the refusal is cleared). */
int sluice_builder_refusal(struct sluice_builder *b, struct sluice_error *err);

/* Marks slot `length` valid; the inline appends call it. */
static inline void sluice_builder_mark_valid_(struct sluice_builder *b)
{
    if (b->validity) {
        if ((size_t)(b->length >> 3) >= b->validity_cap) sluice_builder_grow_validity_(b, b->length + 1);
        b->validity[b->length >> 3] |= (uint8_t)(1u << (b->length & 7));
    }
}

static inline void sluice_builder_append_long(struct sluice_builder *b, int64_t v)
{
    size_t need = (size_t)(b->length + 1) * sizeof(int64_t);
    if (need > b->values_cap) sluice_builder_grow_values_(b, need);
    ((int64_t *)b->values)[b->length] = v;
    sluice_builder_mark_valid_(b);
    b->length++;
}

static inline void sluice_builder_append_timestamp(struct sluice_builder *b, int64_t us)
{
    sluice_builder_append_long(b, us);
}

/* DATE: days since 1970-01-01. */
static inline void sluice_builder_append_date(struct sluice_builder *b, int32_t days)
{
    size_t need = (size_t)(b->length + 1) * sizeof(int32_t);
    if (need > b->values_cap) sluice_builder_grow_values_(b, need);
    ((int32_t *)b->values)[b->length] = days;
    sluice_builder_mark_valid_(b);
    b->length++;
}

/* DECIMAL: the unscaled value (decimal.h). */
static inline void sluice_builder_append_decimal(struct sluice_builder *b, __int128 v)
{
    size_t need = (size_t)(b->length + 1) * 16;
    if (need > b->values_cap) sluice_builder_grow_values_(b, need);
    memcpy(b->values + (size_t)b->length * 16, &v, 16);
    sluice_builder_mark_valid_(b);
    b->length++;
}

static inline void sluice_builder_append_double(struct sluice_builder *b, double v)
{
    size_t need = (size_t)(b->length + 1) * sizeof(double);
    if (need > b->values_cap) sluice_builder_grow_values_(b, need);
    ((double *)b->values)[b->length] = v;
    sluice_builder_mark_valid_(b);
    b->length++;
}

static inline void sluice_builder_append_bool(struct sluice_builder *b, bool v)
{
    size_t need = (size_t)(b->length >> 3) + 1;
    if (need > b->values_cap) sluice_builder_grow_values_(b, need);
    uint8_t bit = (uint8_t)(1u << (b->length & 7));
    if (v) b->values[b->length >> 3] |= bit;
    else b->values[b->length >> 3] &= (uint8_t)~bit;
    sluice_builder_mark_valid_(b);
    b->length++;
}

/* Turn what was appended into *out (the caller's to release); the builder
 * (root: a struct) is empty again and keeps its capacity hint. A refusal
 * not yet taken poisons the batch's arena with its message and is cleared. */
void sluice_builder_finish(struct sluice_builder *b, struct sluice_batch *out);
/* The same for any builder, as one Arrow node tree whose memory `arena`
 * keeps (each node takes a reference on it); a refusal poisons `arena`. */
void sluice_builder_finish_array(struct sluice_builder *b, struct sluice_arena *arena,
                                 struct ArrowArray *out);

/* An all-null array of `length` slots shaped like `schema` (struct children
 * included), in `arena`. */
void sluice_array_make_null(const struct ArrowSchema *schema, int64_t length,
                            struct sluice_arena *arena, struct ArrowArray *out);
/* The node release used by every array this module makes: releases the
 * children, then drops the node's arena reference. */
void sluice_array_release_node(struct ArrowArray *a);
/* The poison reason of the first arena (sluice_arena_poison) found among
 * the nodes of `a` this module or take.c made, or NULL: how the engine
 * learns that a plugin built or took past a size limit. */
const char *sluice_array_poisoned(const struct ArrowArray *a);

#endif
