/* Memory tables: immutable snapshots over a shared chain of batches. See
 * tables.h.
 *
 * A table's batches form a singly linked chain from the newest back to the
 * oldest; every link holds a reference to the one before it. A snapshot
 * holds a reference to its newest link, so appending a micro-batch makes
 * new links on top of the published chain without copying or touching it,
 * and an old snapshot keeps exactly the links it saw alive. Replacing
 * (complete mode) starts a new chain; the old one dies with its last
 * reader. */
#include "tables.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "mem.h"
#include "schema.h"

struct chunk {
    atomic_long refs;
    struct chunk *prev;         /* referenced; NULL for the first */
    struct sluice_batch batch;  /* owned */
};

/* What never changes about a table, shared by the table and its snapshots
 * (which may outlive it). */
struct table_def {
    atomic_long refs;
    char *name;
    struct ArrowSchema schema;
};

struct sluice_table_snapshot {
    atomic_long refs;
    struct table_def *def;   /* referenced */
    struct chunk *last;      /* referenced; NULL when empty */
    size_t n_chunks;
    int64_t rows;
    int64_t batch_id;
};

struct sluice_table {
    struct sluice_tables *reg;
    struct table_def *def;                 /* referenced */
    /* Swapped under reg->lock; only the writer swaps it, so the writer
     * reads it without the lock. The table holds one reference. */
    struct sluice_table_snapshot *current;
    /* The micro-batch being written (writer only). */
    bool in_batch, skip, replace;
    int64_t batch_id;
    struct chunk *pending;                 /* referenced newest link, or NULL */
    size_t pending_n;
    int64_t pending_rows;
};

struct sluice_tables {
    pthread_mutex_t lock;
    struct sluice_table **tables;
    size_t n, cap;
};

/* ---- reference counting -------------------------------------------------- */

static void chunk_unref(struct chunk *c)
{
    /* Iterative, so dropping a chain of a million links needs no deep stack. */
    while (c && atomic_fetch_sub_explicit(&c->refs, 1, memory_order_acq_rel) == 1) {
        struct chunk *prev = c->prev;
        sluice_batch_release(&c->batch);
        free(c);
        c = prev;
    }
}

static void chunk_ref(struct chunk *c)
{
    if (c) atomic_fetch_add_explicit(&c->refs, 1, memory_order_relaxed);
}

static void def_unref(struct table_def *d)
{
    if (atomic_fetch_sub_explicit(&d->refs, 1, memory_order_acq_rel) != 1) return;
    sluice_schema_release(&d->schema);
    free(d->name);
    free(d);
}

void sluice_table_snapshot_ref(struct sluice_table_snapshot *s)
{
    atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
}

void sluice_table_snapshot_unref(struct sluice_table_snapshot *s)
{
    if (!s || atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1) return;
    chunk_unref(s->last);
    def_unref(s->def);
    free(s);
}

static struct sluice_table_snapshot *snapshot_new(struct table_def *def, struct chunk *last, size_t n,
                                                  int64_t rows, int64_t batch_id)
{
    struct sluice_table_snapshot *s = sluice_xcalloc(1, sizeof *s);
    atomic_init(&s->refs, 1);
    atomic_fetch_add_explicit(&def->refs, 1, memory_order_relaxed);
    s->def = def;
    s->last = last; /* the caller's reference moves in */
    s->n_chunks = n;
    s->rows = rows;
    s->batch_id = batch_id;
    return s;
}

/* ---- the registry -------------------------------------------------------- */

struct sluice_tables *sluice_tables_new(void)
{
    struct sluice_tables *r = sluice_xcalloc(1, sizeof *r);
    pthread_mutex_init(&r->lock, NULL);
    return r;
}

void sluice_tables_free(struct sluice_tables *r)
{
    if (!r) return;
    while (r->n) sluice_table_close(r->tables[r->n - 1]);
    free(r->tables);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* Caller holds the lock. */
static struct sluice_table *find_locked(struct sluice_tables *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->tables[i]->def->name, name) == 0) return r->tables[i];
    for (size_t i = 0; i < r->n; i++)
        if (strcasecmp(r->tables[i]->def->name, name) == 0) return r->tables[i];
    return NULL;
}

int sluice_tables_open(struct sluice_tables *r, const char *name, const struct ArrowSchema *schema,
                       struct sluice_table **out, struct sluice_error *err)
{
    *out = NULL;
    if (!name || !name[0]) return sluice_error_set(err, SLUICE_ECONFIG, "a memory table needs a name");
    pthread_mutex_lock(&r->lock);
    struct sluice_table *other = find_locked(r, name);
    if (other) {
        pthread_mutex_unlock(&r->lock);
        return sluice_error_set(err, SLUICE_ECONFIG, "memory table '%s' already exists (as '%s')", name,
                                other->def->name);
    }
    struct table_def *d = sluice_xcalloc(1, sizeof *d);
    atomic_init(&d->refs, 1);
    d->name = sluice_xstrdup(name);
    sluice_schema_copy(schema, &d->schema);
    struct sluice_table *t = sluice_xcalloc(1, sizeof *t);
    t->reg = r;
    t->def = d;
    t->current = snapshot_new(d, NULL, 0, 0, -1);
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 4;
        r->tables = sluice_xrealloc(r->tables, r->cap * sizeof *r->tables);
    }
    r->tables[r->n++] = t;
    pthread_mutex_unlock(&r->lock);
    *out = t;
    return SLUICE_OK;
}

static void discard_pending(struct sluice_table *t)
{
    chunk_unref(t->pending);
    t->pending = NULL;
    t->pending_n = 0;
    t->pending_rows = 0;
    t->in_batch = false;
}

void sluice_table_close(struct sluice_table *t)
{
    if (!t) return;
    struct sluice_tables *r = t->reg;
    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < r->n; i++) {
        if (r->tables[i] != t) continue;
        memmove(&r->tables[i], &r->tables[i + 1], (r->n - i - 1) * sizeof *r->tables);
        r->n--;
        break;
    }
    struct sluice_table_snapshot *cur = t->current;
    t->current = NULL;
    pthread_mutex_unlock(&r->lock);
    discard_pending(t);
    sluice_table_snapshot_unref(cur);
    def_unref(t->def);
    free(t);
}

/* ---- writing ------------------------------------------------------------- */

bool sluice_table_begin(struct sluice_table *t, int64_t batch_id, bool replace)
{
    discard_pending(t);
    t->in_batch = true;
    t->batch_id = batch_id;
    t->replace = replace;
    /* MemorySink.addBatch: "Skipping already committed batch". */
    t->skip = batch_id <= t->current->batch_id;
    if (!replace && !t->skip) {
        t->pending = t->current->last;
        chunk_ref(t->pending);
        t->pending_n = t->current->n_chunks;
        t->pending_rows = t->current->rows;
    }
    return !t->skip;
}

void sluice_table_add(struct sluice_table *t, struct sluice_batch *batch)
{
    if (!t->in_batch || t->skip || sluice_batch_rows(batch) == 0) {
        sluice_batch_release(batch);
        return;
    }
    struct chunk *c = sluice_xcalloc(1, sizeof *c);
    atomic_init(&c->refs, 1);
    c->prev = t->pending; /* the pending reference moves into the new link */
    sluice_batch_move(&c->batch, batch);
    c->batch.schema = &t->def->schema;
    t->pending = c;
    t->pending_n++;
    t->pending_rows += sluice_batch_rows(&c->batch);
}

void sluice_table_commit(struct sluice_table *t)
{
    if (!t->in_batch) return;
    if (t->skip) {
        discard_pending(t);
        return;
    }
    struct sluice_table_snapshot *next =
        snapshot_new(t->def, t->pending, t->pending_n, t->pending_rows, t->batch_id);
    t->pending = NULL; /* moved into the snapshot */
    discard_pending(t);
    pthread_mutex_lock(&t->reg->lock);
    struct sluice_table_snapshot *old = t->current;
    t->current = next;
    pthread_mutex_unlock(&t->reg->lock);
    sluice_table_snapshot_unref(old); /* outside the lock: may free a whole chain */
}

/* ---- reading ------------------------------------------------------------- */

struct sluice_table_snapshot *sluice_tables_get(struct sluice_tables *r, const char *name)
{
    pthread_mutex_lock(&r->lock);
    struct sluice_table *t = find_locked(r, name);
    struct sluice_table_snapshot *s = t ? t->current : NULL;
    if (s) sluice_table_snapshot_ref(s);
    pthread_mutex_unlock(&r->lock);
    return s;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t sluice_tables_names(struct sluice_tables *r, char ***names)
{
    pthread_mutex_lock(&r->lock);
    size_t n = r->n;
    char **out = sluice_xcalloc(n ? n : 1, sizeof *out);
    for (size_t i = 0; i < n; i++) out[i] = sluice_xstrdup(r->tables[i]->def->name);
    pthread_mutex_unlock(&r->lock);
    qsort(out, n, sizeof *out, compare_names);
    *names = out;
    return n;
}

void sluice_tables_names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

const char *sluice_table_snapshot_name(const struct sluice_table_snapshot *s)
{
    return s->def->name;
}

const struct ArrowSchema *sluice_table_snapshot_schema(const struct sluice_table_snapshot *s)
{
    return &s->def->schema;
}

int64_t sluice_table_snapshot_rows(const struct sluice_table_snapshot *s)
{
    return s->rows;
}

int64_t sluice_table_snapshot_batch_id(const struct sluice_table_snapshot *s)
{
    return s->batch_id;
}

size_t sluice_table_snapshot_batches(const struct sluice_table_snapshot *s, const struct sluice_batch ***out)
{
    *out = NULL;
    if (!s->n_chunks) return 0;
    const struct sluice_batch **v = sluice_xcalloc(s->n_chunks, sizeof *v);
    size_t i = s->n_chunks;
    for (const struct chunk *c = s->last; c && i > 0; c = c->prev) v[--i] = &c->batch;
    *out = v;
    return s->n_chunks;
}
