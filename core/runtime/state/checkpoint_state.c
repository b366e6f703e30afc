/* An aggregation's state in a checkpoint: deltas and snapshots by shuffle
 * partition. See checkpoint_state.h. */
#include "checkpoint_state.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agg_key.h"
#include "agg_stage.h"
#include "agg_table.h"
#include "checkpoint.h"
#include "checkpoint_file.h"
#include "error.h"
#include "failpoint.h"
#include "log.h"
#include "mem.h"

#define KIND_SNAPSHOT "state-snapshot"
#define KIND_DELTA "state-delta"
/* Threads writing one batch's partition files at once. */
#define SAVE_WRITERS 8

struct state_file {
    int64_t version;
    bool snapshot;
};

struct partition {
    char *dir;               /* state/<stage>/<p> */
    struct state_file *files; /* on disk, by increasing version */
    size_t n_files, cap_files;
    int64_t version;         /* latest committed (or just written) version, -1: none */
    int64_t chain;           /* deltas since the snapshot `version` builds on */
};

struct sluice_checkpoint_state {
    struct sluice_agg_stage *agg;
    size_t n_parts;
    struct partition *parts;
    int64_t *versions;        /* parts[p].version, contiguous for the commit */
};

/* ---- little-endian fields ------------------------------------------------ */

static void put_u32(struct sluice_buf *b, uint32_t v)
{
    uint8_t x[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    sluice_buf_append(b, x, 4);
}

static void put_u64(struct sluice_buf *b, uint64_t v)
{
    uint8_t x[8];
    for (int i = 0; i < 8; i++) x[i] = (uint8_t)(v >> (8 * i));
    sluice_buf_append(b, x, 8);
}

static void patch_u32(struct sluice_buf *b, size_t at, uint32_t v)
{
    for (int i = 0; i < 4; i++) b->data[at + (size_t)i] = (char)(uint8_t)(v >> (8 * i));
}

/* A bounds-checked reader over one file's payload. */
struct cursor {
    const uint8_t *p, *end;
    bool bad;
};

static struct cursor payload_cursor(const struct sluice_buf *b)
{
    const uint8_t *p = (const uint8_t *)b->data;
    return (struct cursor){ p, p + b->len, false };
}

static uint64_t get_le(struct cursor *c, int bytes)
{
    if (c->bad || c->end - c->p < bytes) {
        c->bad = true;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < bytes; i++) v |= (uint64_t)c->p[i] << (8 * i);
    c->p += bytes;
    return v;
}

static const uint8_t *get_bytes(struct cursor *c, uint64_t n)
{
    if (c->bad || (uint64_t)(c->end - c->p) < n) {
        c->bad = true;
        return NULL;
    }
    const uint8_t *at = c->p;
    c->p += n;
    return at;
}

/* ---- the file list of a partition ---------------------------------------- */

static char *file_name(int64_t version, bool snapshot)
{
    char name[48];
    snprintf(name, sizeof name, "%" PRId64 ".%s", version, snapshot ? "snapshot" : "delta");
    return sluice_xstrdup(name);
}

static char *file_path(const struct partition *part, int64_t version, bool snapshot)
{
    char *name = file_name(version, snapshot);
    size_t n = strlen(part->dir) + strlen(name) + 2;
    char *path = sluice_xmalloc(n);
    snprintf(path, n, "%s/%s", part->dir, name);
    free(name);
    return path;
}

static void add_file(struct partition *part, int64_t version, bool snapshot)
{
    if (part->n_files == part->cap_files) {
        part->cap_files = part->cap_files ? 2 * part->cap_files : 16;
        part->files = sluice_xrealloc(part->files, part->cap_files * sizeof *part->files);
    }
    /* Versions only grow, so the list stays sorted by appending. */
    part->files[part->n_files++] = (struct state_file){ version, snapshot };
}

static const struct state_file *find_file(const struct partition *part, int64_t version)
{
    for (size_t i = part->n_files; i-- > 0;)
        if (part->files[i].version == version) return &part->files[i];
    return NULL;
}

static int cmp_file(const void *a, const void *b)
{
    const struct state_file *x = a, *y = b;
    if (x->version != y->version) return (x->version > y->version) - (x->version < y->version);
    return (int)x->snapshot - (int)y->snapshot;
}

static int list_partition(struct partition *part, int64_t last_commit, struct sluice_error *err)
{
    for (int snap = 0; snap < 2; snap++) {
        int64_t *ids;
        size_t n;
        int rc = sluice_checkpoint_list_ids(part->dir, snap ? ".snapshot" : ".delta", &ids, &n, err);
        if (rc) return rc;
        for (size_t i = 0; i < n; i++) {
            if (ids[i] > last_commit) {
                /* A batch that never committed wrote it; the batch runs again. */
                char *path = file_path(part, ids[i], snap);
                if (unlink(path) != 0 && errno != ENOENT)
                    sluice_log(SLUICE_LOG_WARN, NULL, "cannot remove '%s': %s", path, strerror(errno));
                free(path);
                continue;
            }
            add_file(part, ids[i], snap);
        }
        free(ids);
    }
    if (part->n_files > 1) qsort(part->files, part->n_files, sizeof *part->files, cmp_file);
    return SLUICE_OK;
}

int sluice_checkpoint_state_open(const char *dir, struct sluice_agg_stage *agg, int64_t last_commit,
                                 struct sluice_checkpoint_state **out, struct sluice_error *err)
{
    *out = NULL;
    struct sluice_checkpoint_state *s = sluice_xcalloc(1, sizeof *s);
    s->agg = agg;
    s->n_parts = sluice_agg_groups_partitions(agg->state);
    s->parts = sluice_xcalloc(s->n_parts, sizeof *s->parts);
    s->versions = sluice_xcalloc(s->n_parts, sizeof *s->versions);
    int rc = SLUICE_OK;
    for (size_t p = 0; p < s->n_parts && !rc; p++) {
        struct partition *part = &s->parts[p];
        size_t n = strlen(dir) + 24;
        part->dir = sluice_xmalloc(n);
        snprintf(part->dir, n, "%s/%zu", dir, p);
        part->version = s->versions[p] = -1;
        rc = sluice_checkpoint_mkdirs(part->dir, err);
        if (!rc) rc = list_partition(part, last_commit, err);
    }
    if (rc) {
        sluice_checkpoint_state_free(s);
        return rc;
    }
    *out = s;
    return SLUICE_OK;
}

void sluice_checkpoint_state_free(struct sluice_checkpoint_state *s)
{
    if (!s) return;
    for (size_t p = 0; p < s->n_parts; p++) {
        free(s->parts[p].dir);
        free(s->parts[p].files);
    }
    free(s->parts);
    free(s->versions);
    free(s);
}

const int64_t *sluice_checkpoint_state_versions(const struct sluice_checkpoint_state *s, size_t *n)
{
    *n = s->n_parts;
    return s->versions;
}

/* ---- saving -------------------------------------------------------------- */

/* One partition's file of the batch being saved. */
struct job {
    size_t p;
    bool snapshot;
    struct sluice_buf payload;
    int rc;
    struct sluice_error err;
};

/* The partition's groups (all of them, or those `batch_id` changed) as a
 * file payload, on the main thread: aggregators' serialize is not
 * assumed to be thread-safe. */
static int serialize_partition(struct sluice_checkpoint_state *s, struct job *j, int64_t batch_id,
                               int64_t *groups_out, struct sluice_error *err)
{
    const struct sluice_agg_plan *plan = s->agg->plan;
    const struct sluice_agg_table *tab = sluice_agg_groups_table(s->agg->state, j->p);
    struct sluice_buf *b = &j->payload;
    put_u64(b, (uint64_t)batch_id);
    put_u64(b, (uint64_t)(j->snapshot ? -1 : s->parts[j->p].version));
    put_u32(b, (uint32_t)j->p);
    put_u32(b, (uint32_t)s->n_parts);
    put_u32(b, (uint32_t)plan->n_calls);
    size_t count_at = b->len;
    put_u64(b, 0);
    uint64_t groups = 0;
    for (size_t i = 0; i < tab->n_groups; i++) {
        const struct sluice_agg_group *gr = &tab->groups[i];
        if (!j->snapshot && gr->updated != batch_id) continue;
        put_u32(b, gr->key_len);
        sluice_buf_append(b, gr->key, gr->key_len);
        const uint8_t *st = sluice_agg_table_state(tab, i);
        for (size_t c = 0; c < plan->n_calls; c++) {
            const struct sluice_agg_call *call = &plan->calls[c];
            size_t len_at = b->len;
            put_u32(b, 0);
            int rc = call->fn->serialize(call->bound, st + call->offset, b, err);
            if (rc) return rc;
            size_t len = b->len - len_at - 4;
            if (len > UINT32_MAX)
                return sluice_error_set(err, SLUICE_EINTERNAL,
                                        "an aggregation state of %zu bytes is too large to save", len);
            patch_u32(b, len_at, (uint32_t)len);
        }
        groups++;
    }
    for (int i = 0; i < 8; i++) b->data[count_at + (size_t)i] = (char)(uint8_t)(groups >> (8 * i));
    *groups_out = (int64_t)groups;
    return SLUICE_OK;
}

struct writers {
    struct sluice_checkpoint_state *s;
    struct job *jobs;
    size_t n_jobs;
    int64_t batch_id;
    atomic_size_t next;
};

static void write_job(struct writers *w, struct job *j)
{
    char *name = file_name(w->batch_id, j->snapshot);
    j->rc = sluice_checkpoint_file_write(w->s->parts[j->p].dir, name, j->snapshot ? KIND_SNAPSHOT : KIND_DELTA,
                                         j->payload.data, j->payload.len, &j->err);
    free(name);
    if (!j->rc) sluice_failpoint("state", w->batch_id);
}

static void *writer_main(void *arg)
{
    struct writers *w = arg;
    for (size_t i; (i = atomic_fetch_add(&w->next, 1)) < w->n_jobs;) write_job(w, &w->jobs[i]);
    return NULL;
}

/* Each file costs two flushes to the device (the file, then its
 * directory), which is most of a checkpoint's time: writing the
 * partitions' files at once lets the file system commit their flushes
 * together (ext4's journal does). */
static void write_jobs(struct writers *w)
{
    pthread_t threads[SAVE_WRITERS];
    size_t started = 0;
    size_t want = w->n_jobs < SAVE_WRITERS ? w->n_jobs : SAVE_WRITERS;
    for (; w->n_jobs > 1 && started < want; started++)
        if (pthread_create(&threads[started], NULL, writer_main, w) != 0) break;
    writer_main(w); /* this thread too; alone when no thread started */
    for (size_t i = 0; i < started; i++) pthread_join(threads[i], NULL);
}

int sluice_checkpoint_state_save(struct sluice_checkpoint_state *s, int64_t batch_id,
                                 struct sluice_checkpoint_state_stats *stats, struct sluice_error *err)
{
    struct job *jobs = sluice_xcalloc(s->n_parts, sizeof *jobs);
    size_t n_jobs = 0;
    int rc = SLUICE_OK;
    for (size_t p = 0; p < s->n_parts && !rc; p++) {
        const struct sluice_agg_table *tab = sluice_agg_groups_table(s->agg->state, p);
        size_t changed = 0;
        for (size_t i = 0; i < tab->n_groups; i++) changed += tab->groups[i].updated == batch_id;
        stats->groups_updated += (int64_t)changed;
        if (!changed) continue;
        const struct partition *part = &s->parts[p];
        struct job *j = &jobs[n_jobs++];
        j->p = p;
        j->snapshot = part->version < 0 || part->chain >= SLUICE_CHECKPOINT_MAX_DELTAS || 2 * changed >= tab->n_groups;
        int64_t groups = 0;
        rc = serialize_partition(s, j, batch_id, &groups, err);
        stats->groups_written += groups;
    }
    struct writers w = { .s = s, .jobs = jobs, .n_jobs = rc ? 0 : n_jobs, .batch_id = batch_id };
    atomic_init(&w.next, 0);
    write_jobs(&w);
    for (size_t i = 0; i < w.n_jobs && !rc; i++) {
        struct job *j = &jobs[i];
        if (j->rc) {
            rc = j->rc;
            if (err) *err = j->err;
            break;
        }
        struct partition *part = &s->parts[j->p];
        add_file(part, batch_id, j->snapshot);
        part->version = s->versions[j->p] = batch_id;
        part->chain = j->snapshot ? 0 : part->chain + 1;
        stats->files++;
        stats->bytes += (int64_t)j->payload.len;
    }
    for (size_t i = 0; i < n_jobs; i++) sluice_buf_free(&jobs[i].payload);
    free(jobs);
    return rc;
}

/* ---- restoring ----------------------------------------------------------- */

static int damaged(struct sluice_error *err, const char *path, const char *why)
{
    return sluice_checkpoint_damaged(err, path, why);
}

/* Restore one group's state from the file; on failure every call's state
 * is left initialised, so the group can be destroyed like any other. */
static int load_states(const struct sluice_agg_plan *plan, uint8_t *st, struct cursor *c, const char *path,
                       struct sluice_error *err)
{
    for (size_t k = 0; k < plan->n_calls; k++) {
        const struct sluice_agg_call *call = &plan->calls[k];
        uint64_t len = get_le(c, 4);
        const uint8_t *data = get_bytes(c, len);
        struct sluice_error why = { 0 };
        int rc = c->bad ? damaged(err, path, "a group's state runs past the end")
                        : call->fn->deserialize(call->bound, st + call->offset, (const char *)data, (size_t)len, &why);
        if (rc && !c->bad) damaged(err, path, why.message[0] ? why.message : "an aggregator could not read its state");
        if (rc) {
            for (size_t j = k; j < plan->n_calls; j++)
                plan->calls[j].fn->init(plan->calls[j].bound, st + plan->calls[j].offset);
            return SLUICE_EDATA;
        }
    }
    return SLUICE_OK;
}

/* Fold one file's groups (header already read) into partition p. */
static int apply_file(struct sluice_checkpoint_state *s, size_t p, int64_t version, struct cursor *c,
                      uint64_t groups, const char *path, struct sluice_error *err)
{
    const struct sluice_agg_plan *plan = s->agg->plan;
    struct sluice_agg_table *tab = sluice_agg_groups_table(s->agg->state, p);
    for (uint64_t g = 0; g < groups; g++) {
        uint64_t key_len = get_le(c, 4);
        const uint8_t *key = get_bytes(c, key_len);
        if (c->bad) return damaged(err, path, "a group runs past the end");
        uint64_t hash = sluice_hash64(key, (size_t)key_len, 0);
        size_t home = s->n_parts == 1 ? 0 : (size_t)(hash % s->n_parts);
        if (home != p) {
            char why[96];
            snprintf(why, sizeof why, "it holds a key of partition %zu, not %zu", home, p);
            return damaged(err, path, why);
        }
        bool inserted;
        size_t gi = sluice_agg_table_upsert(tab, hash, key, (uint32_t)key_len, &inserted);
        uint8_t *st = sluice_agg_table_state(tab, gi);
        for (size_t k = 0; k < plan->n_calls && !inserted; k++) {
            const struct sluice_agg_call *call = &plan->calls[k];
            if (call->info.has_destroy) call->fn->destroy(call->bound, st + call->offset);
        }
        tab->groups[gi].updated = version;
        int rc = load_states(plan, st, c, path, err);
        if (rc) return rc;
    }
    if (c->p != c->end) return damaged(err, path, "it has bytes after its last group");
    return SLUICE_OK;
}

struct link {
    int64_t version;
    char *path;
    struct sluice_buf payload;
};

/* Read the chain ending at `version`, newest first, into *chain. */
static int read_chain(struct sluice_checkpoint_state *s, size_t p, int64_t version, struct link **chain,
                      size_t *n, struct sluice_error *err)
{
    struct partition *part = &s->parts[p];
    size_t cap = 0;
    *chain = NULL;
    *n = 0;
    for (int64_t v = version;;) {
        const struct state_file *f = find_file(part, v);
        if (*n == cap) {
            cap = cap ? 2 * cap : 4;
            *chain = sluice_xrealloc(*chain, cap * sizeof **chain);
        }
        struct link *l = &(*chain)[(*n)++];
        *l = (struct link){ v, file_path(part, v, f ? f->snapshot : false), { 0 } };
        int rc = sluice_checkpoint_file_read(l->path, f && f->snapshot ? KIND_SNAPSHOT : KIND_DELTA, &l->payload, err);
        if (rc) return rc;
        struct cursor c = payload_cursor(&l->payload);
        int64_t got = (int64_t)get_le(&c, 8), prev = (int64_t)get_le(&c, 8);
        uint32_t part_no = (uint32_t)get_le(&c, 4), parts = (uint32_t)get_le(&c, 4);
        if (c.bad) return damaged(err, l->path, "its header is cut short");
        if (got != v || part_no != p || parts != s->n_parts) {
            char why[160];
            snprintf(why, sizeof why, "it says batch %" PRId64 ", partition %u of %u", got, part_no, parts);
            return damaged(err, l->path, why);
        }
        if (f && f->snapshot) break;
        if (prev < 0 || prev >= v) return damaged(err, l->path, "it builds on no earlier version");
        v = prev;
    }
    return SLUICE_OK;
}

static int restore_partition(struct sluice_checkpoint_state *s, size_t p, int64_t version, struct sluice_error *err)
{
    struct link *chain;
    size_t n;
    int rc = read_chain(s, p, version, &chain, &n, err);
    const struct sluice_agg_plan *plan = s->agg->plan;
    for (size_t i = n; !rc && i-- > 0;) {
        struct link *l = &chain[i];
        struct cursor c = payload_cursor(&l->payload);
        get_bytes(&c, 8 + 8 + 4 + 4); /* version, previous, partition, partitions: checked by read_chain */
        uint32_t calls = (uint32_t)get_le(&c, 4);
        uint64_t groups = get_le(&c, 8);
        if (c.bad) rc = damaged(err, l->path, "its header is cut short");
        else if (calls != plan->n_calls) rc = damaged(err, l->path, "it was written for other aggregate functions");
        else rc = apply_file(s, p, l->version, &c, groups, l->path, err);
    }
    s->parts[p].version = s->versions[p] = version;
    s->parts[p].chain = n ? (int64_t)n - 1 : 0;
    for (size_t i = 0; i < n; i++) {
        free(chain[i].path);
        sluice_buf_free(&chain[i].payload);
    }
    free(chain);
    return rc;
}

int sluice_checkpoint_state_restore(struct sluice_checkpoint_state *s, const int64_t *versions, size_t n,
                                    int64_t watermark, struct sluice_error *err)
{
    if (n != s->n_parts)
        return sluice_error_set(err, SLUICE_EINTERNAL, "state of %zu partitions restored into %zu", n, s->n_parts);
    for (size_t p = 0; p < n; p++) {
        if (versions[p] < 0) continue;
        int rc = restore_partition(s, p, versions[p], err);
        if (rc) return rc;
    }
    /* The batch that wrote the newest files evicted what its watermark
     * closed after writing; older files still hold those groups. */
    sluice_agg_groups_set_watermark(s->agg->state, s->agg->event_key, watermark);
    sluice_agg_groups_evict(s->agg->state);
    /* Those evictions are not the next batch's to report. */
    struct sluice_agg_stats st;
    sluice_agg_groups_stats(s->agg->state, &st);
    s->agg->evicted_reported = st.evicted;
    return SLUICE_OK;
}

/* ---- compaction ---------------------------------------------------------- */

void sluice_checkpoint_state_compact(struct sluice_checkpoint_state *s, int64_t oldest)
{
    for (size_t p = 0; p < s->n_parts; p++) {
        struct partition *part = &s->parts[p];
        /* The chain of batch `oldest` starts at its latest snapshot. */
        size_t keep_from = 0;
        for (size_t i = 0; i < part->n_files && part->files[i].version <= oldest; i++)
            if (part->files[i].snapshot) keep_from = i;
        for (size_t i = 0; i < keep_from; i++) {
            char *path = file_path(part, part->files[i].version, part->files[i].snapshot);
            if (unlink(path) != 0 && errno != ENOENT)
                sluice_log(SLUICE_LOG_WARN, NULL, "cannot remove '%s': %s", path, strerror(errno));
            free(path);
        }
        if (!keep_from) continue;
        memmove(part->files, part->files + keep_from, (part->n_files - keep_from) * sizeof *part->files);
        part->n_files -= keep_from;
    }
}
