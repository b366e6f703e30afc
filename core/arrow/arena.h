/* core/arrow/arena.h — reference-counted bump allocators.
 *
 * A batch's memory lives in one arena; every Arrow node of the batch holds a
 * reference, so the arena dies with the last node released (the Arrow
 * specification lets a consumer move a child out and release it later).
 * An arena can also adopt malloc'd blocks (a builder's grown buffers) and
 * hold references to other arenas (a transform passing input columns
 * through), freeing or unreferencing them when it dies.
 *
 * Threads: ref/unref are atomic; allocation is for one thread at a time. */
#ifndef SLUICE_CORE_ARENA_H
#define SLUICE_CORE_ARENA_H

#include <stddef.h>

struct sluice_arena;

/* A new arena with one reference. `chunk_size` 0 picks a default (64 KiB). */
struct sluice_arena *sluice_arena_new(size_t chunk_size);
void sluice_arena_ref(struct sluice_arena *a);
/* Drops a reference; the last one frees everything the arena owns. */
void sluice_arena_unref(struct sluice_arena *a);

/* 16-byte aligned, never NULL. A request that does not fit the current
 * chunk and exceeds a quarter of the chunk size gets its own block. */
void *sluice_arena_alloc(struct sluice_arena *a, size_t n);
void *sluice_arena_calloc(struct sluice_arena *a, size_t n);
char *sluice_arena_strndup(struct sluice_arena *a, const char *s, size_t n);
/* The arena frees `p` (from malloc) when it dies. */
void sluice_arena_adopt(struct sluice_arena *a, void *p);
/* The same, counting `bytes` (p's capacity) in sluice_arena_bytes(). */
void sluice_arena_adopt_sized(struct sluice_arena *a, void *p, size_t bytes);
/* Arena bytes one adopt or hold record takes, for sizing an arena exactly. */
#define SLUICE_ARENA_ADOPT_BYTES 16
/* The arena keeps a reference to `other` until it dies. */
void sluice_arena_hold(struct sluice_arena *a, struct sluice_arena *other);
/* Free everything but keep the first chunk, for a scratch arena reused per
 * batch. Only valid while the caller holds the sole reference. */
void sluice_arena_reset(struct sluice_arena *a);
/* Mark what the arena holds as unfit to use, saying why (copied; the
 * first reason stays): a builder or take whose data passed a size limit
 * still returns a well-formed batch, with nulls where data was refused,
 * and whoever receives the batch fails it (sluice_array_poisoned). A reset
 * clears the mark. */
void sluice_arena_poison(struct sluice_arena *a, const char *why);
/* The reason, or NULL. */
const char *sluice_arena_poisoned(const struct sluice_arena *a);
/* Bytes allocated from the system for this arena, adopted blocks included
 * when adopted with their size (for progress reporting). */
size_t sluice_arena_bytes(const struct sluice_arena *a);
/* The current reference count (for tests and assertions; racy otherwise). */
size_t sluice_arena_refs(const struct sluice_arena *a);

#endif
