/* One hash partition of aggregation state: linear probing over 8-byte
 * slots, group records in insertion order, keys and state blocks in an
 * arena. See agg_table.h. */
#include "agg_table.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "mem.h"
#include "size_limit.h"

#define MIN_SLOTS_LOG2 4

/* Keys are small and many: chunks big enough to amortise, small enough
 * that a per-unit partial with a handful of groups stays cheap. */
#define ARENA_CHUNK (16 * 1024)
#define KEY_BLOCK 4096

void sluice_agg_table_init(struct sluice_agg_table *t, size_t state_size)
{
    memset(t, 0, sizeof *t);
    t->state_size = state_size ? (state_size + 7) & ~(size_t)7 : 8;
    t->mask = ((size_t)1 << MIN_SLOTS_LOG2) - 1;
    t->shift = 64 - MIN_SLOTS_LOG2;
    t->slots = sluice_xcalloc(t->mask + 1, sizeof *t->slots);
    t->arena = sluice_arena_new(ARENA_CHUNK);
    t->max_groups = sluice_size_limit(SLUICE_GROUP_LIMIT);
}

void sluice_agg_table_free(struct sluice_agg_table *t)
{
    if (!t->slots) return;
    free(t->slots);
    free(t->groups);
    free(t->chunks);
    sluice_arena_unref(t->arena);
    memset(t, 0, sizeof *t);
}

/* The home slot comes from the hash's top bits: partition = hash % n takes
 * the low ones, so within one partition the low bits are alike and would
 * crowd a few home slots. */
static inline size_t home(const struct sluice_agg_table *t, uint64_t hash)
{
    return (size_t)(hash >> t->shift);
}

/* A fresh slot array of `n` (a power of two) with every group placed. */
static void place_all(struct sluice_agg_table *t, size_t n)
{
    struct sluice_agg_slot *slots = sluice_xcalloc(n, sizeof *slots);
    free(t->slots);
    t->slots = slots;
    t->mask = n - 1;
    unsigned log2 = 0;
    while (((size_t)1 << log2) < n) log2++;
    t->shift = 64 - log2;
    for (size_t g = 0; g < t->n_groups; g++) {
        uint64_t h = t->groups[g].hash;
        size_t i = home(t, h);
        while (t->slots[i].group) i = (i + 1) & t->mask;
        t->slots[i].tag = (uint32_t)h;
        t->slots[i].group = (uint32_t)(g + 1);
    }
}

static void grow(struct sluice_agg_table *t)
{
    place_all(t, (t->mask + 1) * 2);
}

static inline bool same_key(const struct sluice_agg_group *g, const uint8_t *key, uint32_t len)
{
    return g->key_len == len && (len == 0 || memcmp(g->key, key, len) == 0);
}

int64_t sluice_agg_table_find(const struct sluice_agg_table *t, uint64_t hash, const uint8_t *key,
                              uint32_t len)
{
    uint32_t tag = (uint32_t)hash;
    for (size_t i = home(t, hash);; i = (i + 1) & t->mask) {
        const struct sluice_agg_slot *s = &t->slots[i];
        if (!s->group) return -1;
        if (s->tag == tag) {
            const struct sluice_agg_group *g = &t->groups[s->group - 1];
            if (g->hash == hash && same_key(g, key, len)) return (int64_t)s->group - 1;
        }
    }
}

static void add_state_chunk(struct sluice_agg_table *t)
{
    if (t->n_chunks == t->cap_chunks) {
        t->cap_chunks = t->cap_chunks ? 2 * t->cap_chunks : 16;
        t->chunks = sluice_xrealloc(t->chunks, t->cap_chunks * sizeof *t->chunks);
    }
    t->chunks[t->n_chunks++] = sluice_arena_alloc(t->arena, t->state_size << SLUICE_AGG_CHUNK_SHIFT);
}

/* Keys are packed byte-aligned in blocks of the arena (whose own
 * allocations are 16-aligned: a 7-byte key would take 16). */
static uint8_t *key_room(struct sluice_agg_table *t, uint32_t len)
{
    if (len > KEY_BLOCK / 4) return sluice_arena_alloc(t->arena, len);
    if ((size_t)(t->key_end - t->key_cur) < len) {
        t->key_cur = sluice_arena_alloc(t->arena, KEY_BLOCK);
        t->key_end = t->key_cur + KEY_BLOCK;
    }
    uint8_t *p = t->key_cur;
    t->key_cur += len;
    return p;
}

size_t sluice_agg_table_upsert(struct sluice_agg_table *t, uint64_t hash, const uint8_t *key,
                               uint32_t len, bool *inserted)
{
    uint32_t tag = (uint32_t)hash;
    size_t i = home(t, hash);
    for (;; i = (i + 1) & t->mask) {
        struct sluice_agg_slot *s = &t->slots[i];
        if (!s->group) break;
        if (s->tag == tag) {
            const struct sluice_agg_group *g = &t->groups[s->group - 1];
            if (g->hash == hash && same_key(g, key, len)) {
                *inserted = false;
                return s->group - 1;
            }
        }
    }
    /* Group indexes are 32-bit in the slots. */
    if (__builtin_expect(t->n_groups >= (size_t)t->max_groups, 0)) return SLUICE_AGG_TABLE_FULL;
    size_t gi = t->n_groups;
    if (gi == t->cap_groups) {
        t->cap_groups = t->cap_groups ? 2 * t->cap_groups : 16;
        t->groups = sluice_xrealloc(t->groups, t->cap_groups * sizeof *t->groups);
    }
    if ((gi >> SLUICE_AGG_CHUNK_SHIFT) >= t->n_chunks) add_state_chunk(t);
    uint8_t *copy = NULL;
    if (len) {
        copy = key_room(t, len);
        memcpy(copy, key, len);
    }
    t->key_bytes += len;
    t->groups[gi] = (struct sluice_agg_group){ .hash = hash, .key = copy, .key_len = len, .updated = -1 };
    t->n_groups++;
    t->slots[i].tag = tag;
    t->slots[i].group = (uint32_t)(gi + 1);
    /* Grow past 70% load: linear probing degrades quickly beyond it. */
    if (t->n_groups * 10 > (t->mask + 1) * 7) grow(t);
    *inserted = true;
    return gi;
}

/* Copy every live key and state block into a fresh arena and drop the old
 * one, with what removed groups left in it. */
static void repack(struct sluice_agg_table *t)
{
    struct sluice_agg_table old = *t;
    t->arena = sluice_arena_new(ARENA_CHUNK);
    t->key_cur = t->key_end = NULL;
    t->dead_key_bytes = 0;
    size_t need = (t->n_groups + ((size_t)1 << SLUICE_AGG_CHUNK_SHIFT) - 1) >> SLUICE_AGG_CHUNK_SHIFT;
    t->chunks = sluice_xcalloc(old.cap_chunks ? old.cap_chunks : 1, sizeof *t->chunks);
    t->n_chunks = 0;
    while (t->n_chunks < need) add_state_chunk(t);
    for (size_t c = 0; c < need; c++) {
        size_t in_chunk = t->n_groups - (c << SLUICE_AGG_CHUNK_SHIFT);
        if (in_chunk > ((size_t)1 << SLUICE_AGG_CHUNK_SHIFT)) in_chunk = (size_t)1 << SLUICE_AGG_CHUNK_SHIFT;
        memcpy(t->chunks[c], old.chunks[c], in_chunk * t->state_size);
    }
    for (size_t g = 0; g < t->n_groups; g++) {
        uint32_t len = t->groups[g].key_len;
        if (!len) continue;
        uint8_t *copy = key_room(t, len);
        memcpy(copy, t->groups[g].key, len);
        t->groups[g].key = copy;
    }
    free(old.chunks);
    sluice_arena_unref(old.arena);
}

size_t sluice_agg_table_retain(struct sluice_agg_table *t, const bool *keep)
{
    size_t kept = 0;
    for (size_t i = 0; i < t->n_groups; i++) {
        if (!keep[i]) {
            t->key_bytes -= t->groups[i].key_len;
            t->dead_key_bytes += t->groups[i].key_len;
            continue;
        }
        if (i != kept) {
            t->groups[kept] = t->groups[i];
            memcpy(sluice_agg_table_state(t, kept), sluice_agg_table_state(t, i), t->state_size);
        }
        kept++;
    }
    size_t removed = t->n_groups - kept;
    if (!removed) return 0;
    t->n_groups = kept;
    /* Repack when the garbage outweighs what is live, so the cost is paid
     * once per doubling of garbage and memory stays within twice the live
     * state; state chunks beyond the live groups go at the same time. */
    size_t live = kept * t->state_size + t->key_bytes;
    if (t->dead_key_bytes > live || t->n_chunks > 2 * ((kept >> SLUICE_AGG_CHUNK_SHIFT) + 1)) repack(t);
    if (t->cap_groups > 64 && t->cap_groups > 4 * kept) {
        t->cap_groups = kept * 2 > 64 ? kept * 2 : 64;
        t->groups = sluice_xrealloc(t->groups, t->cap_groups * sizeof *t->groups);
    }
    /* Slots for the groups left: the smallest table under 70% load, with
     * room to double before the next growth. */
    size_t n = (size_t)1 << MIN_SLOTS_LOG2;
    while (kept * 10 > n * 7) n *= 2;
    if (n > ((size_t)1 << MIN_SLOTS_LOG2)) n *= 2;
    if (n > t->mask + 1) n = t->mask + 1;
    place_all(t, n);
    return removed;
}

size_t sluice_agg_table_bytes(const struct sluice_agg_table *t)
{
    return (t->mask + 1) * sizeof *t->slots + t->cap_groups * sizeof *t->groups +
           t->cap_chunks * sizeof *t->chunks + sluice_arena_bytes(t->arena);
}
