/* The file source's log: the files it has seen, in the order it reads
 * them; listing the directory for new ones; the log in the checkpoint.
 * Main thread only. See file.c and file_source.h. */
#define _GNU_SOURCE
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "file_source.h"

/* Checkpointed log entries before they are compacted into one. */
#define LOG_COMPACT_EVERY 16

static uint64_t hash_name(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int oom(const struct file_source *fs, struct sluice_error *err)
{
    return fs->host->error(err, SLUICE_ENOMEM, "out of memory");
}

/* ---- sets of names ---- */

static struct file_seen *seen_find(const struct file_seen_set *s, const char *name)
{
    if (!s->n_slots) return NULL;
    for (size_t i = hash_name(name) & (s->n_slots - 1);; i = (i + 1) & (s->n_slots - 1)) {
        if (!s->e[i].name) return NULL;
        if (strcmp(s->e[i].name, name) == 0) return &s->e[i];
    }
}

/* Add `name` (not in the set yet); NULL when out of memory. */
static struct file_seen *seen_add(struct file_seen_set *s, const char *name)
{
    if (2 * (s->n + 1) > s->n_slots) {
        size_t n_slots = s->n_slots ? 2 * s->n_slots : 16;
        struct file_seen *e = calloc(n_slots, sizeof *e);
        if (!e) return NULL;
        for (size_t k = 0; k < s->n_slots; k++) {
            if (!s->e[k].name) continue;
            size_t i = hash_name(s->e[k].name) & (n_slots - 1);
            while (e[i].name) i = (i + 1) & (n_slots - 1);
            e[i] = s->e[k];
        }
        free(s->e);
        s->e = e;
        s->n_slots = n_slots;
    }
    char *copy = strdup(name);
    if (!copy) return NULL;
    size_t i = hash_name(name) & (s->n_slots - 1);
    while (s->e[i].name) i = (i + 1) & (s->n_slots - 1);
    s->e[i] = (struct file_seen){ .name = copy };
    s->n++;
    return &s->e[i];
}

static void seen_free(struct file_seen_set *s)
{
    for (size_t i = 0; i < s->n_slots; i++) free(s->e[i].name);
    free(s->e);
    *s = (struct file_seen_set){ 0 };
}

/* ---- the log in memory ---- */

static const char *entry_name(const struct file_entry *e)
{
    return e->path + e->name;
}

static bool log_contains(const struct file_source *fs, const char *name)
{
    const struct file_log *l = &fs->log;
    if (!l->n_slots) return false;
    for (size_t i = hash_name(name) & (l->n_slots - 1);; i = (i + 1) & (l->n_slots - 1)) {
        if (!l->slots[i]) return false;
        if (strcmp(entry_name(&l->e[l->slots[i] - 1]), name) == 0) return true;
    }
}

static void log_index(struct file_source *fs, size_t idx)
{
    struct file_log *l = &fs->log;
    for (size_t i = hash_name(entry_name(&l->e[idx])) & (l->n_slots - 1);; i = (i + 1) & (l->n_slots - 1)) {
        if (!l->slots[i]) {
            l->slots[i] = (uint32_t)(idx + 1);
            return;
        }
    }
}

/* Append a file: `name` in the configured directory when dir is NULL,
 * else in `dir` (an absolute path of an earlier configuration). */
static int log_append(struct file_source *fs, const char *dir, const char *name, int64_t size, int64_t mtime_ns,
                      struct sluice_error *err)
{
    struct file_log *l = &fs->log;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        struct file_entry *p = realloc(l->e, cap * sizeof *p);
        if (!p) return oom(fs, err);
        l->e = p;
        l->cap = cap;
    }
    /* Keep the set at most half full. */
    if (2 * (l->n + 1) > l->n_slots) {
        size_t n_slots = l->n_slots ? 2 * l->n_slots : 128;
        uint32_t *slots = calloc(n_slots, sizeof *slots);
        if (!slots) return oom(fs, err);
        free(l->slots);
        l->slots = slots;
        l->n_slots = n_slots;
        for (size_t i = 0; i < l->n; i++)
            if (l->e[i].here) log_index(fs, i);
    }
    const char *prefix = dir ? dir : fs->path.root;
    size_t pn = dir ? strlen(dir) : fs->dir_len, n = strlen(name);
    char *path = malloc(pn + 1 + n + 1);
    if (!path) return oom(fs, err);
    memcpy(path, prefix, pn);
    path[pn] = '/';
    memcpy(path + pn + 1, name, n + 1);
    l->e[l->n] = (struct file_entry){ path, (uint32_t)(pn + 1), dir == NULL, size };
    if (!dir) log_index(fs, l->n);
    l->n++;
    if (mtime_ns > fs->newest_ns) fs->newest_ns = mtime_ns;
    return SLUICE_OK;
}

void file_log_free(struct file_source *fs)
{
    for (size_t i = 0; i < fs->log.n; i++) free(fs->log.e[i].path);
    free(fs->log.e);
    free(fs->log.slots);
    seen_free(&fs->warned);
    seen_free(&fs->young);
}

/* ---- listing the directory ---- */

struct found {
    char *name;
    int64_t mtime_ns, size;
};

static int by_name(const void *a, const void *b)
{
    return strcmp(((const struct found *)a)->name, ((const struct found *)b)->name);
}

static int newest_first(const void *a, const void *b)
{
    const struct found *x = a, *y = b;
    if (x->mtime_ns != y->mtime_ns) return x->mtime_ns < y->mtime_ns ? 1 : -1;
    return -strcmp(x->name, y->name);
}

/* An entry that is not a file to read: said once per run, since the
 * directory is listed every trigger. A directory is only noted (the
 * source does not descend into one that is not a partition, and one may
 * well be there on purpose). */
static void skip_entry(struct file_source *fs, const char *name, enum sluice_log_level level, const char *why)
{
    if (seen_find(&fs->warned, name)) return;
    if (!seen_add(&fs->warned, name)) return; /* out of memory: a warning may repeat */
    fs->host->log(fs->ctx, level, "skipping '%.*s/%s': %s", (int)fs->dir_len, fs->path.root, name, why);
}

/* min_file_age: whether the file has kept its size and modification time
 * for that long. The last change is known from its mtime (every write
 * moves it), or from a change seen between two listings (a clock that
 * disagrees with the file system's, a tool setting an old mtime), so a
 * file already old at the first listing is read at once. Files not ready
 * are kept in `next` with what was seen of them. */
static bool old_enough(struct file_source *fs, const struct file_store_entry *fe, int64_t now_us,
                       struct file_seen_set *next)
{
    int64_t age = fs->conf->min_file_age;
    if (age <= 0) return true;
    const char *name = fe->name;
    int64_t m = fe->mtime_ns, since = m / 1000;
    const struct file_seen *was = seen_find(&fs->young, name);
    if (was && (was->size != fe->size || was->mtime_ns != m)) since = now_us;
    else if (was && was->since_us > since) since = was->since_us;
    if (since > now_us) since = now_us; /* an mtime in the future counts from now */
    if (now_us - since >= age) return true;
    struct file_seen *s = seen_add(next, name);
    if (s) {
        s->size = fe->size;
        s->mtime_ns = m;
        s->since_us = since;
    }
    if (since + age < fs->young_ready_us) fs->young_ready_us = since + age;
    return false;
}

/* What one listing found. */
struct scan {
    struct file_source *fs;
    struct found *found;
    size_t n, cap;
    struct file_seen_set young; /* min_file_age: the files not old enough yet */
    int64_t now_us;
    int64_t oldest_ns; /* max_file_age: files modified before this are left out; INT64_MIN: none */
    struct sluice_buf chain;
};

/* path_glob_filter leaves a name out before it costs a stat: the
 * directory is listed every trigger, and files it rejects stay there.
 * It applies to a file's own name, as Spark's pathGlobFilter. */
static bool scan_skip(void *arg, const char *rel, bool file)
{
    struct scan *sc = arg;
    const struct file_source *fs = sc->fs;
    const char *base = strrchr(rel, '/');
    base = base ? base + 1 : rel;
    return (file && fs->glob.n && !file_glob_match(&fs->glob, base)) || log_contains(fs, rel);
}

static void scan_skipped(void *arg, const char *rel, uint32_t level, const char *why)
{
    struct scan *sc = arg;
    skip_entry(sc->fs, rel, (enum sluice_log_level)level, why);
}

/* With partition columns every file must sit under the same keys, as
 * Spark requires ("Conflicting directory structures detected"): a file
 * beside the partitions, or under other keys, would have no value, or
 * the wrong one, for a column. */
static int check_chain(struct scan *sc, const char *rel, struct sluice_error *err)
{
    struct file_source *fs = sc->fs;
    if (!fs->parts.n) return SLUICE_OK;
    /* The files read before: the log's (a restart), else this one. */
    for (size_t i = 0; !fs->chain && i < fs->log.n; i++) {
        if (!fs->log.e[i].here) continue;
        if (file_parts_chain(fs, entry_name(&fs->log.e[i]), &sc->chain)) return oom(fs, err);
        if (!(fs->chain = strdup(sc->chain.data))) return oom(fs, err);
    }
    if (file_parts_chain(fs, rel, &sc->chain)) return oom(fs, err);
    if (!fs->chain) {
        fs->chain = strdup(sc->chain.data);
        return fs->chain ? SLUICE_OK : oom(fs, err);
    }
    if (strcmp(fs->chain, sc->chain.data) == 0) return SLUICE_OK;
    int rc = fs->host->error(err, SLUICE_EDATA,
                             "conflicting directory structures under '%s': '%s' is under partition keys (%s), "
                             "files read before it under (%s)",
                             fs->conf->path, rel, *sc->chain.data ? sc->chain.data : "none",
                             *fs->chain ? fs->chain : "none");
    fs->host->error_hint(err, "every file must sit under the same key=value directories, in the same order, as "
                              "Spark requires; move it, or name it with a '.' or '_' first to leave it out");
    return rc;
}

static int scan_each(void *arg, const char *rel, const struct file_store_entry *fe, struct sluice_error *err)
{
    struct scan *sc = arg;
    struct file_source *fs = sc->fs;
    if (fe->mtime_ns < sc->oldest_ns) {
        skip_entry(fs, rel, SLUICE_LOG_INFO, "modified more than max_file_age before the newest file read");
        return SLUICE_OK;
    }
    struct file_store_entry named = *fe;
    named.name = rel;
    if (!old_enough(fs, &named, sc->now_us, &sc->young)) return SLUICE_OK;
    int rc = check_chain(sc, rel, err);
    if (rc) return rc;
    if (sc->n == sc->cap) {
        size_t cap = sc->cap ? 2 * sc->cap : 32;
        struct found *p = realloc(sc->found, cap * sizeof *p);
        if (!p) return oom(fs, err);
        sc->found = p;
        sc->cap = cap;
    }
    sc->found[sc->n].name = strdup(rel);
    if (!sc->found[sc->n].name) return oom(fs, err);
    sc->found[sc->n].size = fe->size;
    sc->found[sc->n++].mtime_ns = fe->mtime_ns;
    return SLUICE_OK;
}

/* Spark re-lists for latest_first each trigger rather than queueing, so
 * files left out now compete with newer ones next time. Entries that are
 * not files to read are skipped, saying so once, and the listing goes on. */
int file_log_scan(struct file_source *fs, const struct file_take *take, struct sluice_error *err)
{
    struct scan sc = { .fs = fs, .now_us = fs->conf->min_file_age > 0 ? fs->host->now_us() : 0,
                       .oldest_ns = INT64_MIN };
    /* max_file_age, as Spark's SeenFilesMap: the age counts back from the
     * newest file taken so far, not from now, so the first listing takes
     * every file and a stream paused for a week loses nothing. */
    if (fs->max_age_ns > 0 && fs->newest_ns > 0) sc.oldest_ns = fs->newest_ns - fs->max_age_ns;
    fs->young_ready_us = INT64_MAX;
    const struct file_walk_hooks hooks = { scan_skip, scan_each, scan_skipped, NULL };
    int rc = file_walk(fs, &hooks, &sc, err);
    sluice_buf_free(&sc.chain);
    seen_free(&fs->young);
    fs->young = sc.young;
    if (rc == SLUICE_OK && sc.n) {
        qsort(sc.found, sc.n, sizeof *sc.found, fs->conf->latest_first ? newest_first : by_name);
        int64_t bytes = 0;
        for (size_t i = 0; i < sc.n && rc == SLUICE_OK; i++) {
            if (take && take->files && i == take->files) break;
            bytes += sc.found[i].size;
            if (take && take->bytes >= 0 && bytes > take->bytes && !(i == 0 && take->one_anyway)) break;
            rc = log_append(fs, NULL, sc.found[i].name, sc.found[i].size, sc.found[i].mtime_ns, err);
        }
    }
    for (size_t i = 0; i < sc.n; i++) free(sc.found[i].name);
    free(sc.found);
    return rc;
}

int64_t file_log_size(struct file_source *fs, size_t i)
{
    struct file_entry *e = &fs->log.e[i];
    if (e->size < 0) {
        int64_t size = fs->store->ops->size(fs->store, e->path);
        if (size < 0) return 0; /* not kept: it may be readable later */
        e->size = size;
    }
    return e->size;
}

/* ---- the log in the checkpoint ---- */

/* An entry: "file-log 4 <first index> <count> <newest>\n", then items
 * each ending in a NUL and starting with a tag: 'd' and a directory (an
 * absolute path, or s3://bucket/prefix), then 'f' and the name of each
 * file in it: its path below the directory, which holds a '/' when it is
 * in a partition or a glob level. <newest> is the latest modification
 * time (ns) of a file in the log, which max_file_age counts back from. As
 * Spark's FileStreamSourceLog keeps full paths, a changed `path` finds the
 * new directory's files new, whatever their names. Earlier versions, still
 * read: 3 has no tags (a directory is the item holding a '/', as a name
 * could not), 2 also lacks <newest>, and 1 holds names alone, of files in
 * the configured directory. */
bool file_log_checkpointed(const struct file_source *fs)
{
    return fs->host->meta_enabled(fs->ctx);
}

struct load {
    struct file_source *fs;
    const char *last_dir; /* the directory of the last file loaded, borrowed from the log; NULL: here */
};

static int bad_entry(const struct file_source *fs, int64_t key, const char *why, struct sluice_error *err)
{
    return fs->host->error(err, SLUICE_EDATA, "entry %lld of the checkpointed file log of '%s' %s", (long long)key,
                           fs->conf->path, why);
}

static int load_entry(void *arg, int64_t key, const char *data, size_t len, struct sluice_error *err)
{
    struct load *ld = arg;
    struct file_source *fs = ld->fs;
    unsigned long long first = 0, count = 0;
    const char *nl = memchr(data, '\n', len);
    char *e = NULL;
    int version = len > 11 && memcmp(data, "file-log ", 9) == 0 && data[9] >= '1' && data[9] <= '4' && data[10] == ' '
                      ? data[9] - '0'
                      : 0;
    bool ok = nl && version;
    if (ok) first = strtoull(data + 11, &e, 10);
    ok = ok && *e == ' ';
    if (ok) count = strtoull(e + 1, &e, 10);
    if (ok && version >= 3) {
        ok = *e == ' ' && e[1] >= '0' && e[1] <= '9';
        long long newest = ok ? strtoll(e + 1, &e, 10) : 0;
        if (newest > fs->newest_ns) fs->newest_ns = newest;
    }
    if (!ok || e != nl) return bad_entry(fs, key, "is not one", err);
    if (first > fs->log.n)
        return fs->host->error(err, SLUICE_EDATA,
                               "the checkpointed file log of '%s' has a gap: files %zu to %llu are missing",
                               fs->conf->path, fs->log.n, first);
    const char *p = nl + 1, *end = data + len, *dir = NULL;
    size_t dir_n = 0;
    for (unsigned long long i = 0; i < count;) {
        const char *z = memchr(p, '\0', (size_t)(end - p));
        if (!z) return bad_entry(fs, key, "is cut short", err);
        bool is_dir = version >= 4 ? *p == 'd' : version >= 2 && memchr(p, '/', (size_t)(z - p));
        if (version >= 4) {
            if (*p != 'd' && *p != 'f') return bad_entry(fs, key, "holds an item that is neither file nor directory", err);
            p++;
        }
        if (is_dir) {
            dir = p;
            dir_n = (size_t)(z - p);
            p = z + 1;
            continue;
        }
        if (version >= 2 && !dir) return bad_entry(fs, key, "names a file before its directory", err);
        /* Entries overlap after a compaction: keep what is known. */
        if (first + i >= fs->log.n) {
            bool here = !dir || (strlen(fs->abs_dir) == dir_n && memcmp(dir, fs->abs_dir, dir_n) == 0);
            char *d = here ? NULL : strndup(dir, dir_n);
            int rc = here || d ? log_append(fs, d, p, -1, 0, err) : oom(fs, err);
            free(d);
            if (rc) return rc;
            const struct file_entry *le = &fs->log.e[fs->log.n - 1];
            ld->last_dir = here ? NULL : le->path;
        }
        p = z + 1;
        i++;
    }
    fs->log_entries++;
    return SLUICE_OK;
}

/* A changed `path` is honoured, not refused: the files already read stay
 * in the log under their old directory (a replayed batch reads them
 * there), and the new directory's files are new. Say so once. */
static void note_path_change(const struct file_source *fs, const char *last)
{
    const char *slash = strrchr(last, '/');
    int n = (int)(slash - last);
    fs->host->log(fs->ctx, SLUICE_LOG_WARN,
                  "path '%s' (%s) is not the directory the checkpoint last read files from (%.*s): "
                  "its files are new to this query and will be read; files read from %.*s are not read again",
                  fs->conf->path, fs->abs_dir, n, last, n, last);
}

int file_log_load(struct file_source *fs, struct sluice_error *err)
{
    if (fs->log_loaded) return SLUICE_OK;
    fs->log_loaded = true;
    if (!file_log_checkpointed(fs)) return SLUICE_OK;
    struct load ld = { fs, NULL };
    int rc = fs->host->meta_scan(fs->ctx, load_entry, &ld, err);
    fs->log_stored = fs->log.n;
    if (!rc && ld.last_dir) note_path_change(fs, ld.last_dir);
    return rc;
}

int file_log_store(struct file_source *fs, struct sluice_error *err)
{
    if (fs->log_stored == fs->log.n || !file_log_checkpointed(fs)) return SLUICE_OK;
    bool whole = fs->log_entries + 1 >= LOG_COMPACT_EVERY;
    size_t first = whole ? 0 : fs->log_stored;
    struct sluice_buf b = { 0 };
    int bad = sluice_buf_printf(&b, "file-log 4 %zu %zu %lld\n", first, fs->log.n - first, (long long)fs->newest_ns);
    /* The directory item is repeated only where it changes. */
    const char *dir = NULL;
    size_t dir_n = 0;
    for (size_t i = first; i < fs->log.n && !bad; i++) {
        const struct file_entry *e = &fs->log.e[i];
        const char *d = e->here ? fs->abs_dir : e->path;
        size_t dn = e->here ? strlen(fs->abs_dir) : e->name - 1;
        if (!dir || dn != dir_n || memcmp(d, dir, dn) != 0) {
            bad |= sluice_buf_putc(&b, 'd') || sluice_buf_append(&b, d, dn) || sluice_buf_putc(&b, '\0');
            dir = d;
            dir_n = dn;
        }
        const char *name = entry_name(e);
        bad |= sluice_buf_putc(&b, 'f') || sluice_buf_append(&b, name, strlen(name) + 1);
    }
    int rc = bad ? oom(fs, err) : fs->host->meta_put(fs->ctx, (int64_t)fs->log.n, b.data, b.len, err);
    sluice_buf_free(&b);
    if (!rc && whole) rc = fs->host->meta_trim(fs->ctx, (int64_t)fs->log.n, err);
    if (rc) return rc;
    fs->log_entries = whole ? 1 : fs->log_entries + 1;
    fs->log_stored = fs->log.n;
    return SLUICE_OK;
}
