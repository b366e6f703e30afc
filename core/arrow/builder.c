/* core/arrow/builder.c — building Arrow arrays column by column.
 *
 * Invariants every append relies on (so a null costs no bit operation):
 * - bits at positions >= length in the validity bitmap and in a boolean
 *   values bitmap are 0 (new memory is zeroed, truncate clears);
 * - an offsets buffer, once allocated, starts with offsets[0] == 0;
 * - a fixed-width null slot holds 0, so no uninitialised byte reaches a batch.
 * Finishing hands the malloc'd buffers to the batch's arena (no copy) and
 * carves the Arrow nodes out of that arena, sized exactly up front. */
#include "builder.h"
#include "layout.h"

#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>

#include "arena.h"
#include "error.h"
#include "log.h"
#include "mem.h"
#include "size_limit.h"

/* Stands in for the buffers of empty arrays: consumers may read offsets[0]
 * of an empty string or list array, so these are never NULL. */
static alignas(16) const uint8_t empty_buffer[64];

/* A caller misusing the builder (a bug in it, never something in the
 * data: sizes are refused, see refuse). */
static _Noreturn void builder_fatal(const struct sluice_builder *b, const char *what)
{
    const char *name = b && b->schema && b->schema->name ? b->schema->name : "?";
    sluice_log(SLUICE_LOG_ERROR, NULL, "builder: column '%s': %s", name, what);
    abort();
}

static bool has_offsets(enum sluice_type t)
{
    return t == SLUICE_TYPE_STRING || t == SLUICE_TYPE_ARRAY;
}

/* Bytes of the values buffer needed for `slots` slots. */
static size_t values_bytes(enum sluice_type t, int64_t slots)
{
    size_t n = (size_t)slots;
    switch (t) {
    case SLUICE_TYPE_BOOLEAN: return (n + 7) / 8;
    case SLUICE_TYPE_LONG:
    case SLUICE_TYPE_DOUBLE:
    case SLUICE_TYPE_TIMESTAMP: return n * 8;
    case SLUICE_TYPE_DATE: return n * 4;
    case SLUICE_TYPE_DECIMAL: return n * 16;
    case SLUICE_TYPE_STRING:
    case SLUICE_TYPE_ARRAY: return (n + 1) * 4;
    default: return 0;
    }
}

/* Geometric growth from `cap` (or from `start` when empty) up to `need`. */
static size_t grown_cap(size_t cap, size_t need, size_t start)
{
    size_t c = cap ? cap : (start > 64 ? start : 64);
    while (c < need) c = c > SIZE_MAX / 2 ? need : c * 2;
    return c;
}

/* ---- lifecycle ------------------------------------------------------------ */

static void builder_init(struct sluice_builder *b, const struct ArrowSchema *schema, struct sluice_builder *root)
{
    memset(b, 0, sizeof *b);
    b->schema = schema;
    b->root = root;
    b->limit = sluice_size_limit(SLUICE_OFFSET_LIMIT);
    b->type = sluice_layout_of(schema);
    if (b->type == SLUICE_TYPE_INVALID) builder_fatal(b, "unsupported arrow format");
    if (b->type == SLUICE_TYPE_STRUCT || b->type == SLUICE_TYPE_ARRAY) {
        if (b->type == SLUICE_TYPE_ARRAY && schema->n_children != 1)
            builder_fatal(b, "an array schema needs exactly one child");
        b->n_children = schema->n_children;
        if (b->n_children > 0)
            b->children = sluice_xcalloc((size_t)b->n_children, sizeof *b->children);
        for (int64_t i = 0; i < b->n_children; i++)
            builder_init(&b->children[i], schema->children[i], root);
    }
}

static void builder_release(struct sluice_builder *b)
{
    free(b->validity);
    free(b->values);
    free(b->data);
    for (int64_t i = 0; i < b->n_children; i++) builder_release(&b->children[i]);
    free(b->children);
}

struct sluice_builder *sluice_builder_new(const struct ArrowSchema *schema)
{
    struct sluice_builder *b = sluice_xmalloc(sizeof *b);
    builder_init(b, schema, b);
    return b;
}

void sluice_builder_free(struct sluice_builder *b)
{
    if (!b) return;
    builder_release(b);
    free(b);
}

/* ---- growth --------------------------------------------------------------- */

void sluice_builder_grow_values_(struct sluice_builder *b, size_t need_bytes)
{
    if (need_bytes <= b->values_cap) return;
    size_t old = b->values_cap;
    size_t cap = grown_cap(old, need_bytes, values_bytes(b->type, b->rows_hint));
    b->values = sluice_xrealloc(b->values, cap);
    if (b->type == SLUICE_TYPE_BOOLEAN) memset(b->values + old, 0, cap - old);
    if (old == 0 && has_offsets(b->type)) ((int32_t *)b->values)[0] = 0;
    b->values_cap = cap;
}

void sluice_builder_grow_validity_(struct sluice_builder *b, int64_t need_slots)
{
    size_t need = ((size_t)need_slots + 7) / 8;
    if (need <= b->validity_cap) return;
    size_t old = b->validity_cap;
    size_t cap = grown_cap(old, need, ((size_t)b->rows_hint + 7) / 8);
    b->validity = sluice_xrealloc(b->validity, cap);
    memset(b->validity + old, 0, cap - old);
    b->validity_cap = cap;
}

static void set_bits(uint8_t *bits, int64_t from, int64_t to)
{
    for (; from < to && (from & 7); from++) bits[from >> 3] |= (uint8_t)(1u << (from & 7));
    if (to - from >= 8) {
        memset(bits + (from >> 3), 0xff, (size_t)((to - from) >> 3));
        from += (to - from) & ~(int64_t)7;
    }
    for (; from < to; from++) bits[from >> 3] |= (uint8_t)(1u << (from & 7));
}

static void clear_bits(uint8_t *bits, int64_t from, int64_t to)
{
    for (; from < to; from++) bits[from >> 3] &= (uint8_t)~(1u << (from & 7));
}

static int64_t count_zero_bits(const uint8_t *bits, int64_t from, int64_t to)
{
    int64_t zeros = 0;
    for (; from < to; from++) zeros += !((bits[from >> 3] >> (from & 7)) & 1);
    return zeros;
}

/* The first null: every slot so far was valid. Sized like the values so
 * later appends rarely grow it separately. */
static void validity_init(struct sluice_builder *b, int64_t need_slots)
{
    int64_t slots = need_slots;
    if (b->rows_hint > slots) slots = b->rows_hint;
    if (b->length * 2 > slots) slots = b->length * 2;
    sluice_builder_grow_validity_(b, slots);
    set_bits(b->validity, 0, b->length);
}

void sluice_builder_reserve(struct sluice_builder *b, int64_t rows)
{
    if (rows <= 0) return;
    int64_t n = b->length + rows;
    size_t need = values_bytes(b->type, n);
    if (need > b->values_cap) sluice_builder_grow_values_(b, need);
    if (b->validity) sluice_builder_grow_validity_(b, n);
}

static void grow_data(struct sluice_builder *b, size_t need)
{
    if (need <= b->data_cap) return;
    size_t cap = grown_cap(b->data_cap, need, b->data_cap ? 0 : b->data_hint);
    b->data = sluice_xrealloc(b->data, cap);
    b->data_cap = cap;
}

/* ---- appends -------------------------------------------------------------- */

/* `count` null slots. Struct children are left to lag: they are padded when
 * the next value goes in, or at finish. */
static void append_nulls(struct sluice_builder *b, int64_t count)
{
    if (count <= 0) return;
    int64_t n = b->length + count;
    if (!b->validity) validity_init(b, n);
    else if ((size_t)((n + 7) >> 3) > b->validity_cap) sluice_builder_grow_validity_(b, n);
    size_t need = values_bytes(b->type, n);
    if (need > b->values_cap) sluice_builder_grow_values_(b, need);
    switch (b->type) {
    case SLUICE_TYPE_LONG:
    case SLUICE_TYPE_DOUBLE:
    case SLUICE_TYPE_TIMESTAMP:
        memset(b->values + (size_t)b->length * 8, 0, (size_t)count * 8);
        break;
    case SLUICE_TYPE_DATE:
        memset(b->values + (size_t)b->length * 4, 0, (size_t)count * 4);
        break;
    case SLUICE_TYPE_DECIMAL:
        memset(b->values + (size_t)b->length * 16, 0, (size_t)count * 16);
        break;
    case SLUICE_TYPE_STRING:
    case SLUICE_TYPE_ARRAY: {
        int32_t *offs = (int32_t *)b->values;
        int32_t end = offs[b->length];
        for (int64_t i = b->length + 1; i <= n; i++) offs[i] = end;
        break;
    }
    default: /* booleans: the bits are already 0; structs: children lag */
        break;
    }
    b->null_count += count;
    b->length = n;
}

void sluice_builder_pad(struct sluice_builder *b, int64_t length)
{
    append_nulls(b, length - b->length);
}

void sluice_builder_append_null(struct sluice_builder *b)
{
    append_nulls(b, 1);
}

void sluice_builder_append_struct(struct sluice_builder *b)
{
    for (int64_t i = 0; i < b->n_children; i++) append_nulls(&b->children[i], b->length - b->children[i].length);
    sluice_builder_mark_valid_(b);
    b->length++;
}

void sluice_builder_begin_list(struct sluice_builder *b)
{
    size_t need = (size_t)(b->length + 2) * sizeof(int32_t);
    if (need > b->values_cap) sluice_builder_grow_values_(b, need);
}

/* An append past the size limit: the slot becomes a null (wrapping the
 * offsets would corrupt every later value of the batch) and the root
 * remembers the first column it happened to. */
static void refuse(struct sluice_builder *b)
{
    if (!b->root->refused) b->root->refused = b;
    append_nulls(b, 1);
}

void sluice_builder_end_list(struct sluice_builder *b)
{
    int64_t end = b->children[0].length;
    if (__builtin_expect(end > b->limit, 0)) {
        sluice_builder_truncate(&b->children[0], b->values ? ((int32_t *)b->values)[b->length] : 0);
        refuse(b);
        return;
    }
    size_t need = (size_t)(b->length + 2) * sizeof(int32_t);
    if (need > b->values_cap) sluice_builder_grow_values_(b, need);
    ((int32_t *)b->values)[b->length + 1] = (int32_t)end;
    sluice_builder_mark_valid_(b);
    b->length++;
}

void sluice_builder_append_string(struct sluice_builder *b, const char *s, size_t n)
{
    if (__builtin_expect(n > (size_t)b->limit - b->data_len, 0)) {
        refuse(b);
        return;
    }
    size_t need = (size_t)(b->length + 2) * sizeof(int32_t);
    if (need > b->values_cap) sluice_builder_grow_values_(b, need);
    if (b->data_len + n > b->data_cap) grow_data(b, b->data_len + n);
    if (n) memcpy(b->data + b->data_len, s, n);
    b->data_len += n;
    ((int32_t *)b->values)[b->length + 1] = (int32_t)b->data_len;
    sluice_builder_mark_valid_(b);
    b->length++;
}

void sluice_builder_truncate(struct sluice_builder *b, int64_t length)
{
    if (length < 0) length = 0;
    if (length >= b->length) {
        /* No finished slot goes, but unfinished work may: children of a
         * struct ahead of it, and the elements of a list begun at slot
         * `length` whose end_list never came (a line that broke mid-array). */
        if (b->type == SLUICE_TYPE_STRUCT)
            for (int64_t i = 0; i < b->n_children; i++) sluice_builder_truncate(&b->children[i], length);
        if (b->type == SLUICE_TYPE_ARRAY && length == b->length)
            sluice_builder_truncate(&b->children[0], b->values ? ((int32_t *)b->values)[length] : 0);
        return;
    }
    if (b->validity) {
        b->null_count -= count_zero_bits(b->validity, length, b->length);
        clear_bits(b->validity, length, b->length);
    } else {
        b->null_count = 0;
    }
    switch (b->type) {
    case SLUICE_TYPE_BOOLEAN:
        clear_bits(b->values, length, b->length);
        break;
    case SLUICE_TYPE_STRING:
        b->data_len = (size_t)((int32_t *)b->values)[length];
        break;
    case SLUICE_TYPE_ARRAY:
        sluice_builder_truncate(&b->children[0], ((int32_t *)b->values)[length]);
        break;
    case SLUICE_TYPE_STRUCT:
        for (int64_t i = 0; i < b->n_children; i++) sluice_builder_truncate(&b->children[i], length);
        break;
    default:
        break;
    }
    b->length = length;
}

/* ---- deep copy ------------------------------------------------------------ */

void sluice_builder_append_from(struct sluice_builder *b, const struct ArrowArray *src, int64_t slot)
{
    if (!sluice_array_valid(src, slot)) {
        append_nulls(b, 1);
        return;
    }
    switch (b->type) {
    case SLUICE_TYPE_BOOLEAN:
        sluice_builder_append_bool(b, sluice_get_bool(src, slot));
        break;
    case SLUICE_TYPE_LONG:
    case SLUICE_TYPE_TIMESTAMP:
        sluice_builder_append_long(b, sluice_get_long(src, slot));
        break;
    case SLUICE_TYPE_DOUBLE:
        sluice_builder_append_double(b, sluice_get_double(src, slot));
        break;
    case SLUICE_TYPE_DATE:
        sluice_builder_append_date(b, sluice_get_date(src, slot));
        break;
    case SLUICE_TYPE_DECIMAL:
        sluice_builder_append_decimal(b, sluice_get_decimal(src, slot));
        break;
    case SLUICE_TYPE_STRING: {
        const char *p;
        int32_t n = sluice_get_string(src, slot, &p);
        sluice_builder_append_string(b, p, (size_t)n);
        break;
    }
    case SLUICE_TYPE_STRUCT:
        if (src->n_children != b->n_children) builder_fatal(b, "append_from: struct field count differs");
        sluice_builder_append_struct(b);
        /* A struct's slot i is slot i of every child, shifted by the child's own offset. */
        for (int64_t i = 0; i < b->n_children; i++) {
            const struct ArrowArray *c = src->children[i];
            sluice_builder_append_from(&b->children[i], c, c->offset + slot);
        }
        break;
    case SLUICE_TYPE_ARRAY: {
        if (src->n_children != 1) builder_fatal(b, "append_from: list without its element array");
        const struct ArrowArray *c = src->children[0];
        int64_t first;
        int32_t n = sluice_get_list(src, slot, &first);
        struct sluice_builder *e = &b->children[0];
        sluice_builder_begin_list(b);
        sluice_builder_reserve(e, n);
        for (int32_t k = 0; k < n; k++) sluice_builder_append_from(e, c, c->offset + first + k);
        sluice_builder_end_list(b);
        break;
    }
    default:
        builder_fatal(b, "append_from: unsupported type");
    }
}

/* ---- refusals -------------------------------------------------------------- */

/* The dotted path from `b` down to `target` into path[len..]; true when found. */
static bool path_to(const struct sluice_builder *b, const struct sluice_builder *target, char *path, size_t cap,
                    size_t len)
{
    if (b == target) return true;
    for (int64_t i = 0; i < b->n_children; i++) {
        const struct sluice_builder *c = &b->children[i];
        size_t l = len;
        /* List elements take the list's name, as projection paths do. */
        if (b->type == SLUICE_TYPE_STRUCT && c->schema->name) {
            int w = snprintf(path + len, cap - len, "%s%s", len ? "." : "", c->schema->name);
            l = w < 0 || (size_t)w >= cap - len ? cap - 1 : len + (size_t)w;
        }
        if (path_to(c, target, path, cap, l)) return true;
        path[len] = '\0';
    }
    return false;
}

static void refusal_message(const struct sluice_builder *root, char *msg, size_t cap)
{
    const struct sluice_builder *r = root->refused;
    char path[200] = "";
    if (!path_to(root, r, path, sizeof path, 0) || !path[0])
        snprintf(path, sizeof path, "%s", r->schema->name ? r->schema->name : "?");
    snprintf(msg, cap, "column '%s': more than %lld %s in one batch (Arrow's 32-bit offsets)", path,
             (long long)r->limit, r->type == SLUICE_TYPE_ARRAY ? "list elements" : "bytes of strings");
}

int sluice_builder_refusal(struct sluice_builder *b, struct sluice_error *err)
{
    struct sluice_builder *root = b->root;
    if (!root->refused) return SLUICE_OK;
    char msg[300];
    refusal_message(root, msg, sizeof msg);
    root->refused = NULL;
    return sluice_error_set(err, SLUICE_ELIMIT, "%s", msg);
}

/* A refusal nobody took: the batch carries it to whoever receives it. */
static void poison_if_refused(struct sluice_builder *b, struct sluice_arena *arena)
{
    struct sluice_builder *root = b->root;
    if (!root->refused) return;
    char msg[300];
    refusal_message(root, msg, sizeof msg);
    root->refused = NULL;
    sluice_arena_poison(arena, msg);
}

const char *sluice_array_poisoned(const struct ArrowArray *a)
{
    if (!a || !a->release) return NULL;
    if (a->release == sluice_array_release_node) {
        const char *why = sluice_arena_poisoned(a->private_data);
        if (why) return why;
    }
    for (int64_t i = 0; i < a->n_children; i++) {
        const char *why = sluice_array_poisoned(a->children[i]);
        if (why) return why;
    }
    return NULL;
}

/* ---- finishing ------------------------------------------------------------ */

static size_t round16(size_t n)
{
    return (n + 15) & ~(size_t)15;
}

/* Arena bytes finish_node takes for `b` and its descendants: the node, its
 * buffer and child pointer arrays, and one adopt record per buffer. */
static size_t tree_bytes(const struct sluice_builder *b)
{
    size_t n = round16(sizeof(struct ArrowArray)) +
               round16((size_t)sluice_layout_buffers(b->type) * sizeof(void *)) +
               round16((size_t)b->n_children * sizeof(void *)) +
               (size_t)sluice_layout_buffers(b->type) * SLUICE_ARENA_ADOPT_BYTES;
    for (int64_t i = 0; i < b->n_children; i++) n += tree_bytes(&b->children[i]);
    return n;
}

/* Gives `p` to the arena, first returning a large unused tail to malloc
 * (realloc shrinks in place), since a batch may live long in a memory sink. */
static const void *hand_over(struct sluice_arena *arena, void *p, size_t cap, size_t used)
{
    if (!p) return empty_buffer;
    if (cap - used > 65536 && cap / 2 > used) {
        cap = used ? used : 1;
        p = sluice_xrealloc(p, cap);
    }
    sluice_arena_adopt_sized(arena, p, cap);
    return p;
}

static void finish_node(struct sluice_builder *b, struct sluice_arena *arena, struct ArrowArray *out)
{
    int64_t nb = sluice_layout_buffers(b->type);
    if (b->type == SLUICE_TYPE_STRUCT) {
        for (int64_t i = 0; i < b->n_children; i++) {
            if (b->children[i].length > b->length)
                builder_fatal(&b->children[i], "more values appended than its struct has slots");
            append_nulls(&b->children[i], b->length - b->children[i].length);
        }
    }
    const void **bufs = sluice_arena_alloc(arena, (size_t)nb * sizeof *bufs);
    struct ArrowArray **kids = NULL;
    if (b->n_children > 0) {
        kids = sluice_arena_alloc(arena, (size_t)b->n_children * sizeof *kids);
        for (int64_t i = 0; i < b->n_children; i++) {
            kids[i] = sluice_arena_alloc(arena, sizeof **kids);
            finish_node(&b->children[i], arena, kids[i]);
        }
    }

    if (b->null_count > 0) {
        bufs[0] = hand_over(arena, b->validity, b->validity_cap, ((size_t)b->length + 7) / 8);
    } else {
        free(b->validity); /* truncate may have dropped the last null */
        bufs[0] = NULL;
    }
    if (nb > 1) bufs[1] = hand_over(arena, b->values, b->values_cap, values_bytes(b->type, b->length));
    if (nb > 2) bufs[2] = hand_over(arena, b->data, b->data_cap, b->data_len);
    else free(b->data);
    if (nb == 1) free(b->values);

    *out = (struct ArrowArray){
        .length = b->length,
        .null_count = b->null_count,
        .offset = 0,
        .n_buffers = nb,
        .n_children = b->n_children,
        .buffers = bufs,
        .children = kids,
        .dictionary = NULL,
        .release = sluice_array_release_node,
        .private_data = arena,
    };
    sluice_arena_ref(arena);

    b->rows_hint = b->length;
    b->data_hint = b->data_len;
    b->length = b->null_count = 0;
    b->validity = b->values = NULL;
    b->data = NULL;
    b->validity_cap = b->values_cap = b->data_len = b->data_cap = 0;
}

void sluice_builder_finish_array(struct sluice_builder *b, struct sluice_arena *arena,
                                 struct ArrowArray *out)
{
    poison_if_refused(b, arena);
    finish_node(b, arena, out);
}

void sluice_builder_finish(struct sluice_builder *b, struct sluice_batch *out)
{
    if (b->type != SLUICE_TYPE_STRUCT) builder_fatal(b, "finish needs a struct (row) builder");
    /* Room for the poison message too, should there be one. */
    struct sluice_arena *arena = sluice_arena_new(tree_bytes(b) + (b->refused ? 320 : 0));
    poison_if_refused(b, arena);
    finish_node(b, arena, &out->array);
    sluice_arena_unref(arena); /* the nodes hold it now */
    out->schema = b->schema;
}

void sluice_array_release_node(struct ArrowArray *a)
{
    for (int64_t i = 0; i < a->n_children; i++) {
        struct ArrowArray *c = a->children[i];
        if (c && c->release) c->release(c); /* NULL when moved out */
    }
    struct sluice_arena *arena = a->private_data;
    /* `a` itself may live in the arena: mark it released before the arena can go. */
    a->release = NULL;
    sluice_arena_unref(arena);
}
