/* core/runtime/agg/agg_table.h — one hash partition of aggregation state.
 *
 * Open addressing with linear probing over a power-of-two array of 8-byte
 * slots (a 32-bit fragment of the hash and the group's index), grown at 70%
 * load. Groups are numbered in insertion order; each has a record (full
 * hash, key, last batch that updated it) and a fixed-size state block. Key
 * bytes and state blocks are carved from the table's arena in chunks, so
 * nothing is malloc'd per key and state blocks never move while the table
 * grows: a pointer to one stays valid until sluice_agg_table_retain, which
 * removes groups (evicted windows) and moves the rest down over them.
 *
 * The table does not know what the state means: initialising, merging and
 * destroying it is the caller's (agg_stage.c). The caller supplies the hash
 * (agg_key.h), so a test may force collisions.
 *
 * Ownership: the table owns its slots, records, keys and state blocks.
 * Threads: one thread at a time per table. */
#ifndef SLUICE_CORE_AGG_TABLE_H
#define SLUICE_CORE_AGG_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sluice_arena;

/* Groups per state chunk: a power of two, so a group's block is found by shifts. */
#define SLUICE_AGG_CHUNK_SHIFT 8

struct sluice_agg_slot {
    uint32_t tag;   /* low 32 bits of the hash */
    uint32_t group; /* group index + 1; 0 marks an empty slot */
};

struct sluice_agg_group {
    uint64_t hash;
    const uint8_t *key;
    uint32_t key_len;
    uint32_t flags;  /* free for the caller (e.g. a closed window) */
    int64_t updated; /* the last batch id that changed the group, or -1 */
};

struct sluice_agg_table {
    struct sluice_agg_slot *slots;
    size_t mask;                    /* slots - 1 */
    unsigned shift;                 /* 64 - log2(slots): the home slot is hash >> shift */
    struct sluice_agg_group *groups;
    size_t n_groups, cap_groups;
    uint8_t **chunks;               /* state blocks, 1 << SLUICE_AGG_CHUNK_SHIFT groups each */
    size_t n_chunks, cap_chunks;
    size_t state_size;              /* bytes per group, a multiple of 8 */
    struct sluice_arena *arena;     /* key bytes and state chunks */
    uint8_t *key_cur, *key_end;     /* room left in the current key block */
    size_t key_bytes;               /* bytes of the keys held */
    size_t dead_key_bytes;          /* bytes of removed keys still in the arena */
    int64_t max_groups;             /* the most groups it may hold (size_limit.h) */
};

/* An empty table whose groups carry `state_size` bytes of state (rounded up to 8). */
void sluice_agg_table_init(struct sluice_agg_table *t, size_t state_size);
/* Frees everything; the caller destroys what states own first. */
void sluice_agg_table_free(struct sluice_agg_table *t);

/* The group whose key is key[0..len); when absent it is added (the key
 * copied, the state block left uninitialised) and *inserted set, unless the
 * table already holds the most groups a partition may (4 billion, or the
 * test limit: size_limit.h): then SLUICE_AGG_TABLE_FULL. */
#define SLUICE_AGG_TABLE_FULL SIZE_MAX
size_t sluice_agg_table_upsert(struct sluice_agg_table *t, uint64_t hash, const uint8_t *key,
                               uint32_t len, bool *inserted);
/* The group's index, or -1 when absent. */
int64_t sluice_agg_table_find(const struct sluice_agg_table *t, uint64_t hash, const uint8_t *key,
                              uint32_t len);

static inline uint8_t *sluice_agg_table_state(const struct sluice_agg_table *t, size_t group)
{
    size_t mask = ((size_t)1 << SLUICE_AGG_CHUNK_SHIFT) - 1;
    return t->chunks[group >> SLUICE_AGG_CHUNK_SHIFT] + (group & mask) * t->state_size;
}

/* Keep the groups whose keep[i] is true, in their order, and drop the
 * others, whose states the caller has destroyed (or moved out). Surviving
 * groups get new, smaller indexes and their state blocks move down (states
 * are position-independent, sluice/plugin.h), so earlier state pointers
 * and group indexes are void. Memory stays proportional to what is kept:
 * the slot array shrinks with the groups, and the arena is repacked once
 * removed keys outweigh the live ones. Returns how many groups went. */
size_t sluice_agg_table_retain(struct sluice_agg_table *t, const bool *keep);

/* Bytes held: slots, records, keys and state blocks (not what states own). */
size_t sluice_agg_table_bytes(const struct sluice_agg_table *t);

#endif
