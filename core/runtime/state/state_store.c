/* Keyed state by (operator, partition) in one file per version. See
 * state_store.h. */
#include "state_store.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint_file.h"
#include "error.h"
#include "failpoint.h"
#include "log.h"
#include "mem.h"

#define KIND "state"
#define FORMAT 1
#define REMOVED UINT32_MAX

/* A version of one (operator, partition) that is on disk. */
struct link {
    int64_t version;
    bool snapshot;
    bool broken; /* a delta that does not build on the link before it (found at open) */
};

/* The versions of one (operator, partition), oldest first; the first link
 * kept is a snapshot, every other one a delta on the link before it. */
struct chain {
    char *op;
    uint32_t part, n_parts;
    struct link *links;
    size_t n_links, cap;
};

/* A section being written: where its counts go once it is complete. */
struct open_section {
    size_t counts_at; /* u64 records, u64 bytes */
    size_t body_at;
    uint64_t records;
    size_t chain;
    bool snapshot;
};

struct sluice_state_store {
    char *dir;
    struct chain *chains;
    size_t n_chains, cap_chains;
    int64_t *files; /* versions on disk, increasing */
    size_t n_files, cap_files;
    /* The version being written. */
    int64_t version;
    struct sluice_buf out;
    uint32_t n_sections;
    struct open_section sec, *secs; /* the open one; every one of the version */
    size_t n_secs, cap_secs;
    size_t value_len_at; /* the open record's u32 value length, or 0: none */
    bool in_section;
};

/* ---- little-endian fields ------------------------------------------------ */

static void put_le(struct sluice_buf *b, uint64_t v, int bytes)
{
    uint8_t x[8];
    for (int i = 0; i < bytes; i++) x[i] = (uint8_t)(v >> (8 * i));
    sluice_buf_append(b, x, (size_t)bytes);
}

static void patch_le(struct sluice_buf *b, size_t at, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) b->data[at + (size_t)i] = (char)(uint8_t)(v >> (8 * i));
}

/* A bounds-checked reader over a payload. */
struct cursor {
    const uint8_t *p, *end;
    bool bad;
};

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

/* ---- the index ----------------------------------------------------------- */

static struct chain *find_chain(const struct sluice_state_store *s, const char *op, size_t op_len, uint32_t part)
{
    for (size_t i = 0; i < s->n_chains; i++) {
        struct chain *c = &s->chains[i];
        if (c->part == part && strlen(c->op) == op_len && memcmp(c->op, op, op_len) == 0) return c;
    }
    return NULL;
}

static struct chain *chain_for(struct sluice_state_store *s, const char *op, size_t op_len, uint32_t part,
                               uint32_t n_parts)
{
    struct chain *c = find_chain(s, op, op_len, part);
    if (c) return c;
    if (s->n_chains == s->cap_chains) {
        s->cap_chains = s->cap_chains ? 2 * s->cap_chains : 16;
        s->chains = sluice_xrealloc(s->chains, s->cap_chains * sizeof *s->chains);
    }
    c = &s->chains[s->n_chains++];
    *c = (struct chain){ .op = sluice_xstrndup(op, op_len), .part = part, .n_parts = n_parts };
    return c;
}

static void add_link(struct chain *c, int64_t version, bool snapshot)
{
    if (c->n_links == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 8;
        c->links = sluice_xrealloc(c->links, c->cap * sizeof *c->links);
    }
    c->links[c->n_links++] = (struct link){ version, snapshot, false };
}

/* Deltas since the chain's last snapshot. */
static size_t deltas(const struct chain *c)
{
    size_t n = 0;
    for (size_t i = c->n_links; i-- > 0 && !c->links[i].snapshot;) n++;
    return n;
}

/* The version of the chain's last snapshot: where a restore starts. */
static int64_t last_snapshot(const struct chain *c)
{
    for (size_t i = c->n_links; i-- > 0;)
        if (c->links[i].snapshot) return c->links[i].version;
    return INT64_MAX;
}

/* Drop the links before the latest snapshot at or before `version`. */
static void trim_chain(struct chain *c, int64_t version)
{
    size_t from = 0;
    for (size_t i = 0; i < c->n_links && c->links[i].version <= version; i++)
        if (c->links[i].snapshot) from = i;
    memmove(c->links, c->links + from, (c->n_links - from) * sizeof *c->links);
    c->n_links -= from;
}

static void add_file(struct sluice_state_store *s, int64_t version)
{
    if (s->n_files == s->cap_files) {
        s->cap_files = s->cap_files ? 2 * s->cap_files : 16;
        s->files = sluice_xrealloc(s->files, s->cap_files * sizeof *s->files);
    }
    s->files[s->n_files++] = version;
}

static char *file_path(const struct sluice_state_store *s, int64_t version)
{
    size_t n = strlen(s->dir) + 32;
    char *p = sluice_xmalloc(n);
    snprintf(p, n, "%s/%" PRId64 ".state", s->dir, version);
    return p;
}

/* ---- reading a file ------------------------------------------------------ */

struct section {
    const char *op;
    size_t op_len;
    uint32_t part, n_parts;
    bool snapshot;
    int64_t previous;
    uint64_t records;
    struct cursor body;
};

/* Read file `version` and call `each` for every section of it. */
static int read_file(struct sluice_state_store *s, int64_t version,
                     int (*each)(void *arg, const struct section *sec, const char *path, struct sluice_error *err),
                     void *arg, struct sluice_error *err)
{
    char *path = file_path(s, version);
    struct sluice_buf text = { 0 };
    int rc = sluice_checkpoint_file_read(path, KIND, &text, err);
    /* An empty payload leaves text.data NULL: a cursor over nothing. */
    const uint8_t *at = text.data ? (const uint8_t *)text.data : (const uint8_t *)"";
    struct cursor c = { at, at + text.len, false };
    uint32_t format = rc ? 0 : (uint32_t)get_le(&c, 4);
    int64_t got = (int64_t)get_le(&c, 8);
    uint32_t n = (uint32_t)get_le(&c, 4);
    if (!rc && c.bad) rc = sluice_checkpoint_damaged(err, path, "its header is cut short");
    if (!rc && format != FORMAT) rc = sluice_checkpoint_damaged(err, path, "it has an unknown format");
    if (!rc && got != version) rc = sluice_checkpoint_damaged(err, path, "it holds another batch's state");
    for (uint32_t i = 0; i < n && !rc; i++) {
        struct section sec;
        sec.op_len = (size_t)get_le(&c, 2);
        sec.op = (const char *)get_bytes(&c, sec.op_len);
        sec.part = (uint32_t)get_le(&c, 4);
        sec.n_parts = (uint32_t)get_le(&c, 4);
        sec.snapshot = get_le(&c, 1) != 0;
        sec.previous = (int64_t)get_le(&c, 8);
        sec.records = get_le(&c, 8);
        uint64_t bytes = get_le(&c, 8);
        const uint8_t *body = get_bytes(&c, bytes);
        if (c.bad || sec.part >= sec.n_parts) {
            rc = sluice_checkpoint_damaged(err, path, "a section runs past the end");
            break;
        }
        sec.body = (struct cursor){ body, body + bytes, false };
        rc = each(arg, &sec, path, err);
    }
    if (!rc && c.p != c.end) rc = sluice_checkpoint_damaged(err, path, "it has bytes after its last section");
    sluice_buf_free(&text);
    free(path);
    return rc;
}

/* ---- opening ------------------------------------------------------------- */

struct index_arg {
    struct sluice_state_store *s;
    int64_t version;
};

static int index_section(void *arg, const struct section *sec, const char *path, struct sluice_error *err)
{
    struct index_arg *a = arg;
    struct chain *c = chain_for(a->s, sec->op, sec->op_len, sec->part, sec->n_parts);
    if (c->n_parts != sec->n_parts)
        return sluice_checkpoint_damaged(err, path, "its partitions disagree with an earlier file's");
    /* A delta must build on the version before it, unless a later snapshot
     * makes the link irrelevant: checked once every file is indexed. */
    add_link(c, a->version, sec->snapshot);
    struct link *l = &c->links[c->n_links - 1];
    l->broken = !sec->snapshot && (c->n_links == 1 || c->links[c->n_links - 2].version != sec->previous);
    return SLUICE_OK;
}

/* From its latest snapshot on, every chain must hold deltas each on the
 * one before; what comes before that snapshot is never read again. */
static int check_chains(struct sluice_state_store *s, struct sluice_error *err)
{
    for (size_t i = 0; i < s->n_chains; i++) {
        struct chain *c = &s->chains[i];
        size_t from = c->n_links;
        for (size_t k = c->n_links; k-- > 0;)
            if (c->links[k].snapshot) {
                from = k;
                break;
            }
        for (size_t k = from + 1; k < c->n_links; k++) {
            if (!c->links[k].broken) continue;
            char *path = file_path(s, c->links[k].version);
            char why[200];
            snprintf(why, sizeof why, "the state of '%s' partition %u in it builds on a version that is not there",
                     c->op, c->part);
            int rc = sluice_checkpoint_damaged(err, path, why);
            free(path);
            return rc;
        }
        if (from == c->n_links && c->n_links) {
            char *path = file_path(s, c->links[0].version);
            char why[200];
            snprintf(why, sizeof why, "the state of '%s' partition %u has no snapshot before it", c->op, c->part);
            int rc = sluice_checkpoint_damaged(err, path, why);
            free(path);
            return rc;
        }
        /* Links before the latest snapshot are never read again. */
        memmove(c->links, c->links + from, (c->n_links - from) * sizeof *c->links);
        c->n_links -= from;
    }
    return SLUICE_OK;
}

int sluice_state_store_open(const char *dir, int64_t last_commit, struct sluice_state_store **out,
                            struct sluice_error *err)
{
    *out = NULL;
    struct sluice_state_store *s = sluice_xcalloc(1, sizeof *s);
    s->dir = sluice_xstrdup(dir);
    s->version = -1;
    int64_t *ids = NULL;
    size_t n = 0;
    int rc = sluice_checkpoint_mkdirs(dir, err);
    if (!rc) rc = sluice_checkpoint_list_ids(dir, ".state", &ids, &n, err);
    for (size_t i = 0; i < n && !rc; i++) {
        if (ids[i] > last_commit) {
            /* A batch that never committed wrote it; the batch runs again. */
            char *path = file_path(s, ids[i]);
            if (unlink(path) != 0 && errno != ENOENT)
                sluice_log(SLUICE_LOG_WARN, NULL, "cannot remove '%s': %s", path, strerror(errno));
            free(path);
            continue;
        }
        struct index_arg a = { s, ids[i] };
        rc = read_file(s, ids[i], index_section, &a, err);
        if (!rc) add_file(s, ids[i]);
    }
    free(ids);
    if (!rc) rc = check_chains(s, err);
    if (rc) {
        sluice_state_store_free(s);
        return rc;
    }
    *out = s;
    return SLUICE_OK;
}

void sluice_state_store_free(struct sluice_state_store *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n_chains; i++) {
        free(s->chains[i].op);
        free(s->chains[i].links);
    }
    free(s->chains);
    free(s->files);
    free(s->secs);
    sluice_buf_free(&s->out);
    free(s->dir);
    free(s);
}

/* ---- writing ------------------------------------------------------------- */

void sluice_state_store_begin(struct sluice_state_store *s, int64_t version)
{
    sluice_buf_clear(&s->out);
    s->version = version;
    s->n_sections = 0;
    s->n_secs = 0;
    s->in_section = false;
    s->value_len_at = 0;
    put_le(&s->out, FORMAT, 4);
    put_le(&s->out, (uint64_t)version, 8);
    put_le(&s->out, 0, 4); /* sections, patched by commit */
}

bool sluice_state_store_wants_snapshot(const struct sluice_state_store *s, const char *op, uint32_t part,
                                       size_t changed, size_t total)
{
    const struct chain *c = find_chain(s, op, strlen(op), part);
    return !c || !c->n_links || deltas(c) >= SLUICE_STATE_MAX_DELTAS || 2 * changed >= total;
}

/* The open record gets its value's length. */
static void close_record(struct sluice_state_store *s)
{
    if (!s->value_len_at) return;
    size_t len = s->out.len - s->value_len_at - 4;
    /* Too long to say in 32 bits: marked, and refused by commit. */
    patch_le(&s->out, s->value_len_at, len >= REMOVED ? REMOVED - 1 : len, 4);
    if (len >= REMOVED) s->sec.records = UINT64_MAX;
    s->value_len_at = 0;
}

static void close_section(struct sluice_state_store *s)
{
    close_record(s);
    if (!s->in_section) return;
    patch_le(&s->out, s->sec.counts_at, s->sec.records, 8);
    patch_le(&s->out, s->sec.counts_at + 8, s->out.len - s->sec.body_at, 8);
    if (s->n_secs == s->cap_secs) {
        s->cap_secs = s->cap_secs ? 2 * s->cap_secs : 16;
        s->secs = sluice_xrealloc(s->secs, s->cap_secs * sizeof *s->secs);
    }
    s->secs[s->n_secs++] = s->sec;
    s->in_section = false;
}

void sluice_state_store_section(struct sluice_state_store *s, const char *op, uint32_t part, uint32_t n_parts,
                                bool snapshot)
{
    close_section(s);
    size_t op_len = strlen(op);
    struct chain *c = chain_for(s, op, op_len, part, n_parts);
    int64_t previous = snapshot || !c->n_links ? -1 : c->links[c->n_links - 1].version;
    put_le(&s->out, op_len, 2);
    sluice_buf_append(&s->out, op, op_len);
    put_le(&s->out, part, 4);
    put_le(&s->out, n_parts, 4);
    put_le(&s->out, snapshot, 1);
    put_le(&s->out, (uint64_t)previous, 8);
    s->sec = (struct open_section){ .counts_at = s->out.len, .chain = (size_t)(c - s->chains), .snapshot = snapshot };
    put_le(&s->out, 0, 8);
    put_le(&s->out, 0, 8);
    s->sec.body_at = s->out.len;
    s->in_section = true;
    s->n_sections++;
}

struct sluice_buf *sluice_state_store_put(struct sluice_state_store *s, const void *key, uint32_t key_len)
{
    close_record(s);
    put_le(&s->out, key_len, 4);
    sluice_buf_append(&s->out, key, key_len);
    s->value_len_at = s->out.len;
    put_le(&s->out, 0, 4);
    if (s->sec.records != UINT64_MAX) s->sec.records++;
    return &s->out;
}

void sluice_state_store_remove(struct sluice_state_store *s, const void *key, uint32_t key_len)
{
    close_record(s);
    put_le(&s->out, key_len, 4);
    sluice_buf_append(&s->out, key, key_len);
    put_le(&s->out, REMOVED, 4);
    if (s->sec.records != UINT64_MAX) s->sec.records++;
}

int sluice_state_store_commit(struct sluice_state_store *s, struct sluice_state_store_stats *stats,
                              struct sluice_error *err)
{
    close_section(s);
    if (stats) *stats = (struct sluice_state_store_stats){ 0 };
    if (!s->n_sections) return SLUICE_OK;
    for (size_t i = 0; i < s->n_secs; i++)
        if (s->secs[i].records == UINT64_MAX)
            return sluice_error_set(err, SLUICE_EDATA,
                                    "a state value of '%s' partition %u is over 4 GiB: it cannot be saved",
                                    s->chains[s->secs[i].chain].op, s->chains[s->secs[i].chain].part);
    patch_le(&s->out, 12, s->n_sections, 4);
    char name[32];
    snprintf(name, sizeof name, "%" PRId64 ".state", s->version);
    int rc = sluice_checkpoint_file_write(s->dir, name, KIND, s->out.data, s->out.len, err);
    if (rc) return rc;
    sluice_failpoint("state", s->version);
    add_file(s, s->version);
    for (size_t i = 0; i < s->n_secs; i++) {
        add_link(&s->chains[s->secs[i].chain], s->version, s->secs[i].snapshot);
        if (stats) stats->records += (int64_t)s->secs[i].records;
    }
    if (stats) {
        stats->sections = s->n_sections;
        stats->bytes = (int64_t)s->out.len;
    }
    return SLUICE_OK;
}

/* ---- scanning ------------------------------------------------------------ */

struct scan_arg {
    struct sluice_state_store *s;
    const char *op;
    uint32_t n_parts;
    const int64_t *from; /* per partition: the snapshot its chain starts at, or INT64_MAX: none */
    int64_t version;
    sluice_state_record_fn fn;
    void *arg;
};

static int scan_section(void *arg, const struct section *sec, const char *path, struct sluice_error *err)
{
    struct scan_arg *a = arg;
    if (sec->op_len != strlen(a->op) || memcmp(sec->op, a->op, sec->op_len) != 0) return SLUICE_OK;
    if (sec->n_parts != a->n_parts) {
        char why[160];
        snprintf(why, sizeof why, "its state of '%s' has %u partitions, not %u", a->op, sec->n_parts, a->n_parts);
        return sluice_checkpoint_damaged(err, path, why);
    }
    /* Sections older than the partition's snapshot are not on its chain. */
    if (a->version < a->from[sec->part]) return SLUICE_OK;
    struct cursor c = sec->body;
    for (uint64_t r = 0; r < sec->records; r++) {
        uint32_t key_len = (uint32_t)get_le(&c, 4);
        const uint8_t *key = get_bytes(&c, key_len);
        uint32_t value_len = (uint32_t)get_le(&c, 4);
        const uint8_t *value = value_len == REMOVED ? NULL : get_bytes(&c, value_len);
        if (c.bad) return sluice_checkpoint_damaged(err, path, "a record runs past the end of its section");
        int rc = a->fn(a->arg, sec->part, a->version, key, key_len, value, value == NULL ? 0 : value_len, err);
        if (rc == SLUICE_EDATA && err) {
            char why[sizeof err->message];
            snprintf(why, sizeof why, "%s", err->message);
            return sluice_checkpoint_damaged(err, path, why);
        }
        if (rc) return rc;
    }
    if (c.p != c.end) return sluice_checkpoint_damaged(err, path, "a section has bytes after its last record");
    return SLUICE_OK;
}

int sluice_state_store_scan(struct sluice_state_store *s, const char *op, uint32_t n_parts,
                            sluice_state_record_fn fn, void *arg, struct sluice_error *err)
{
    int64_t *from = sluice_xcalloc(n_parts ? n_parts : 1, sizeof *from);
    for (uint32_t p = 0; p < n_parts; p++) from[p] = INT64_MAX;
    int64_t first = INT64_MAX, last = -1;
    for (size_t i = 0; i < s->n_chains; i++) {
        const struct chain *c = &s->chains[i];
        if (strcmp(c->op, op) != 0 || !c->n_links) continue;
        if (c->part >= n_parts || c->n_parts != n_parts) {
            free(from);
            char *path = file_path(s, c->links[0].version);
            char why[160];
            snprintf(why, sizeof why, "its state of '%s' has %u partitions, not %u", op, c->n_parts, n_parts);
            int rc = sluice_checkpoint_damaged(err, path, why);
            free(path);
            return rc;
        }
        from[c->part] = last_snapshot(c);
        if (from[c->part] < first) first = from[c->part];
        if (c->links[c->n_links - 1].version > last) last = c->links[c->n_links - 1].version;
    }
    struct scan_arg a = { s, op, n_parts, from, 0, fn, arg };
    int rc = SLUICE_OK;
    for (size_t i = 0; i < s->n_files && !rc; i++) {
        if (s->files[i] < first || s->files[i] > last) continue;
        a.version = s->files[i];
        rc = read_file(s, s->files[i], scan_section, &a, err);
    }
    free(from);
    return rc;
}

/* ---- compaction ---------------------------------------------------------- */

void sluice_state_store_compact(struct sluice_state_store *s, int64_t oldest)
{
    for (size_t i = 0; i < s->n_chains; i++) trim_chain(&s->chains[i], oldest);
    size_t kept = 0;
    for (size_t f = 0; f < s->n_files; f++) {
        int64_t v = s->files[f];
        bool needed = false;
        for (size_t i = 0; i < s->n_chains && !needed; i++)
            for (size_t k = 0; k < s->chains[i].n_links && !needed; k++) needed = s->chains[i].links[k].version == v;
        if (needed) {
            s->files[kept++] = v;
            continue;
        }
        char *path = file_path(s, v);
        if (unlink(path) != 0 && errno != ENOENT)
            sluice_log(SLUICE_LOG_WARN, NULL, "cannot remove '%s': %s", path, strerror(errno));
        free(path);
    }
    s->n_files = kept;
}
