/* core/arrow/arena.c — reference-counted bump allocators.
 *
 * The arena header and its first chunk are one malloc, so an arena sized for
 * exactly what it will hold (a finished batch's Arrow nodes) costs one
 * allocation. Later chunks double in size up to a cap; a request larger than
 * a quarter of the chunk size that does not fit the current chunk gets its
 * own block, so one big buffer never wastes most of a fresh chunk. The lists
 * of adopted and held things are threaded through the arena's own memory. */
#include "arena.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "mem.h"

#define ARENA_ALIGN 16u
#define ARENA_DEFAULT_CHUNK ((size_t)64 * 1024)
#define ARENA_MIN_CHUNK ((size_t)256)
#define ARENA_MAX_CHUNK ((size_t)8 * 1024 * 1024)

/* A chunk or a large block: the header sits at the start of the malloc'd
 * memory, the 16-aligned payload after it. */
struct arena_block {
    struct arena_block *next;
    size_t size; /* bytes malloc'd, header included */
};

struct arena_adopted {
    struct arena_adopted *next;
    void *p;
};

struct arena_held {
    struct arena_held *next;
    struct sluice_arena *other;
};

_Static_assert(sizeof(struct arena_adopted) <= SLUICE_ARENA_ADOPT_BYTES,
               "SLUICE_ARENA_ADOPT_BYTES must cover one adopt record");
_Static_assert(sizeof(struct arena_held) <= SLUICE_ARENA_ADOPT_BYTES,
               "SLUICE_ARENA_ADOPT_BYTES must cover one hold record");

struct sluice_arena {
    atomic_size_t refs;
    unsigned char *cur, *end;     /* free space of the current chunk; both 16-aligned */
    unsigned char *first, *first_end; /* payload of the chunk allocated with the header */
    size_t first_chunk;           /* payload size of the first chunk */
    size_t next_chunk;            /* payload size of the next chunk; doubles up to a cap */
    size_t first_bytes;           /* bytes of the header + first chunk malloc */
    size_t bytes;                 /* everything malloc'd or adopted, for progress reports */
    struct arena_block *chunks;   /* chunks after the first, newest first */
    struct arena_block *large;    /* blocks of single large requests */
    struct arena_adopted *adopted;
    struct arena_held *held;
    const char *poison;           /* why the data in it is unfit (sluice_arena_poison), or NULL */
};

static inline size_t round_up16(size_t n)
{
    return (n + (ARENA_ALIGN - 1)) & ~(size_t)(ARENA_ALIGN - 1);
}

static inline unsigned char *align_ptr(void *p)
{
    uintptr_t u = (uintptr_t)p;
    return (unsigned char *)((u + (ARENA_ALIGN - 1)) & ~(uintptr_t)(ARENA_ALIGN - 1));
}

/* The chunk after the first doubles it: an arena that outgrew its first
 * chunk is likely to keep growing. */
static size_t first_growth(size_t chunk)
{
    return chunk < ARENA_MAX_CHUNK ? chunk * 2 : chunk;
}

static _Noreturn void arena_fatal(const char *what, size_t n)
{
    sluice_log(SLUICE_LOG_ERROR, NULL, "arena: %s (%zu bytes)", what, n);
    abort();
}

struct sluice_arena *sluice_arena_new(size_t chunk_size)
{
    if (chunk_size == 0) chunk_size = ARENA_DEFAULT_CHUNK;
    if (chunk_size < ARENA_MIN_CHUNK) chunk_size = ARENA_MIN_CHUNK;
    if (chunk_size > SIZE_MAX / 4) arena_fatal("chunk size too large", chunk_size);
    chunk_size = round_up16(chunk_size);

    size_t total = sizeof(struct sluice_arena) + ARENA_ALIGN + chunk_size;
    struct sluice_arena *a = sluice_xmalloc(total);
    memset(a, 0, sizeof *a);
    atomic_init(&a->refs, 1);
    a->first = align_ptr(a + 1);
    a->first_end = a->first + chunk_size;
    a->cur = a->first;
    a->end = a->first_end;
    a->first_chunk = chunk_size;
    a->next_chunk = first_growth(chunk_size);
    a->first_bytes = total;
    a->bytes = total;
    return a;
}

void sluice_arena_ref(struct sluice_arena *a)
{
    atomic_fetch_add_explicit(&a->refs, 1, memory_order_relaxed);
}

/* Frees everything but the header and its first chunk. The adopt and hold
 * records live in the chunks, so they are walked before any chunk goes. */
static void arena_release_contents(struct sluice_arena *a)
{
    for (struct arena_adopted *d = a->adopted; d; d = d->next) free(d->p);
    a->adopted = NULL;
    for (struct arena_held *h = a->held; h; h = h->next) sluice_arena_unref(h->other);
    a->held = NULL;
    for (struct arena_block *b = a->large, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    a->large = NULL;
    for (struct arena_block *b = a->chunks, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    a->chunks = NULL;
}

void sluice_arena_unref(struct sluice_arena *a)
{
    if (!a) return;
    size_t old = atomic_fetch_sub_explicit(&a->refs, 1, memory_order_release);
    if (old == 0) arena_fatal("reference count dropped below zero", 0);
    if (old != 1) return;
    /* Pairs with the release above in other threads: their writes to the
     * arena's memory happen before we free it. */
    atomic_thread_fence(memory_order_acquire);
    arena_release_contents(a);
    free(a);
}

static void *arena_alloc_slow(struct sluice_arena *a, size_t n, size_t rounded)
{
    if (rounded > a->next_chunk / 4) {
        if (n > SIZE_MAX - sizeof(struct arena_block) - ARENA_ALIGN)
            arena_fatal("allocation too large", n);
        size_t total = sizeof(struct arena_block) + ARENA_ALIGN + n;
        struct arena_block *b = sluice_xmalloc(total);
        b->size = total;
        b->next = a->large;
        a->large = b;
        a->bytes += total;
        return align_ptr(b + 1);
    }
    size_t payload = a->next_chunk;
    size_t total = sizeof(struct arena_block) + ARENA_ALIGN + payload;
    struct arena_block *b = sluice_xmalloc(total);
    b->size = total;
    b->next = a->chunks;
    a->chunks = b;
    a->bytes += total;
    a->cur = align_ptr(b + 1);
    a->end = a->cur + payload;
    if (a->next_chunk < ARENA_MAX_CHUNK) a->next_chunk *= 2;
    void *p = a->cur;
    a->cur += rounded;
    return p;
}

void *sluice_arena_alloc(struct sluice_arena *a, size_t n)
{
    if (n > SIZE_MAX - ARENA_ALIGN) arena_fatal("allocation too large", n);
    size_t rounded = round_up16(n);
    /* First fit in the current chunk, whatever the size: an arena sized for
     * its contents then never needs a second malloc. */
    if (rounded <= (size_t)(a->end - a->cur)) {
        void *p = a->cur;
        a->cur += rounded;
        return p;
    }
    return arena_alloc_slow(a, n, rounded);
}

void *sluice_arena_calloc(struct sluice_arena *a, size_t n)
{
    void *p = sluice_arena_alloc(a, n);
    if (n) memset(p, 0, n);
    return p;
}

char *sluice_arena_strndup(struct sluice_arena *a, const char *s, size_t n)
{
    if (n == SIZE_MAX) arena_fatal("string too long", n);
    char *p = sluice_arena_alloc(a, n + 1);
    if (n) memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void sluice_arena_adopt(struct sluice_arena *a, void *p)
{
    if (!p) return;
    struct arena_adopted *d = sluice_arena_alloc(a, sizeof *d);
    d->p = p;
    d->next = a->adopted;
    a->adopted = d;
}

void sluice_arena_adopt_sized(struct sluice_arena *a, void *p, size_t bytes)
{
    if (!p) return;
    sluice_arena_adopt(a, p);
    a->bytes += bytes;
}

void sluice_arena_hold(struct sluice_arena *a, struct sluice_arena *other)
{
    if (!other) return;
    /* An arena holding itself would never die. */
    if (other == a) arena_fatal("an arena cannot hold itself", 0);
    sluice_arena_ref(other);
    struct arena_held *h = sluice_arena_alloc(a, sizeof *h);
    h->other = other;
    h->next = a->held;
    a->held = h;
}

void sluice_arena_reset(struct sluice_arena *a)
{
    if (atomic_load_explicit(&a->refs, memory_order_acquire) != 1)
        arena_fatal("reset of an arena that others still reference",
                    atomic_load_explicit(&a->refs, memory_order_relaxed));
    arena_release_contents(a);
    a->poison = NULL;
    a->cur = a->first;
    a->end = a->first_end;
    a->next_chunk = first_growth(a->first_chunk);
    a->bytes = a->first_bytes;
}

void sluice_arena_poison(struct sluice_arena *a, const char *why)
{
    if (!a->poison) a->poison = sluice_arena_strndup(a, why, strlen(why));
}

const char *sluice_arena_poisoned(const struct sluice_arena *a)
{
    return a->poison;
}

size_t sluice_arena_bytes(const struct sluice_arena *a)
{
    return a->bytes;
}

size_t sluice_arena_refs(const struct sluice_arena *a)
{
    return atomic_load_explicit(&((struct sluice_arena *)a)->refs, memory_order_relaxed);
}
