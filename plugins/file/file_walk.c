/* Where the file source's files are: `path` split into a root directory
 * and glob levels below it, and the walk that lists them through the
 * store. Main thread. See file_source.h.
 *
 * As Spark's file source (globPathIfNecessary, then InMemoryFileIndex):
 * `data/{a,b}/tweets-*.json` is the root `data` and two levels; a level
 * matches names at its depth only, so a file where the pattern still wants
 * a directory is not read, and a directory matched by the last level is
 * read as a root of its own. Below the pattern the walk descends only into
 * partition directories (`day=2021-05-03`): other subdirectories are not
 * read, as Spark reads a directory's files and its partitions but nothing
 * else. Hidden names ('.', '_') are never entered or read. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "file_source.h"

/* Hadoop's glob characters; a level without any is a plain directory name. */
static bool has_glob(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strchr("*?[{\\", s[i])) return true;
    return false;
}

int file_path_split(const struct sluice_host *host, const char *path, struct file_path *out,
                    struct sluice_error *err)
{
    *out = (struct file_path){ 0 };
    size_t n = strlen(path);
    while (n > 1 && path[n - 1] == '/') n--;
    /* The root ends before the first component holding a glob character. */
    size_t root = n, start = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && path[i] != '/') continue;
        if (has_glob(path + start, i - start)) {
            root = start;
            break;
        }
        start = i + 1;
    }
    if (root == n) { /* as written, for messages: users strip the '/' with dir_len */
        out->root = strdup(path);
        return out->root ? SLUICE_OK : host->error(err, SLUICE_ENOMEM, "out of memory");
    }
    /* "*.json": the root is the current directory; "/x*": the file system's. */
    out->root = root == 0 ? strdup(".") : root == 1 ? strdup("/") : strndup(path, root - 1);
    if (!out->root) return host->error(err, SLUICE_ENOMEM, "out of memory");
    for (const char *p = path + root; p < path + n;) {
        const char *slash = memchr(p, '/', (size_t)(path + n - p));
        size_t len = slash ? (size_t)(slash - p) : (size_t)(path + n - p);
        if (len == 0) { /* "a//b" */
            p++;
            continue;
        }
        struct file_glob *lv = realloc(out->levels, (out->n_levels + 1) * sizeof *lv);
        char *pat = strndup(p, len);
        if (!lv || !pat) {
            free(pat);
            if (lv) out->levels = lv;
            file_path_free(out);
            return host->error(err, SLUICE_ENOMEM, "out of memory");
        }
        out->levels = lv;
        int rc = file_glob_compile(host, pat, &out->levels[out->n_levels], err);
        free(pat);
        if (rc) {
            file_path_free(out);
            return sluice_error_key(err, "path", rc);
        }
        out->n_levels++;
        p += len;
    }
    return SLUICE_OK;
}

void file_path_free(struct file_path *p)
{
    for (size_t i = 0; i < p->n_levels; i++) file_glob_free(&p->levels[i]);
    free(p->levels);
    free(p->root);
    *p = (struct file_path){ 0 };
}

bool file_partition_dir(const char *name, size_t n)
{
    const char *eq = memchr(name, '=', n);
    return eq && eq > name && eq + 1 < name + n;
}

/* ---- the walk ---- */

struct dir {
    char *rel;    /* below the root; "" for the root */
    size_t depth; /* levels of the pattern consumed */
};

struct walk {
    struct file_source *fs;
    const struct file_walk_hooks *h;
    void *arg;
    const struct dir *at; /* the directory being listed */
    struct dir *todo;
    size_t n_todo, cap_todo;
    struct sluice_buf rel; /* the entry's path below the root */
};

static const char *rel_of(struct walk *w, const char *name)
{
    sluice_buf_clear(&w->rel);
    int bad = *w->at->rel && (sluice_buf_puts(&w->rel, w->at->rel) || sluice_buf_putc(&w->rel, '/'));
    if (bad || sluice_buf_puts(&w->rel, name)) return NULL;
    return w->rel.data;
}

/* Hidden names: Spark's InMemoryFileIndex rule (metadata, or files still
 * being written), except `_x=y`, which is a partition. */
static bool hidden(const char *name)
{
    size_t n = strlen(name);
    if (name[0] == '.') return true;
    if (name[0] == '_' && !strchr(name, '=')) return true;
    return n >= 10 && strcmp(name + n - 10, "._COPYING_") == 0;
}

static bool walk_skip(void *arg, const char *name)
{
    struct walk *w = arg;
    const struct file_path *p = &w->fs->path;
    size_t d = w->at->depth;
    if (hidden(name)) return true;
    if (d + 1 < p->n_levels) return !file_glob_match(&p->levels[d], name);
    if (d + 1 == p->n_levels && !file_glob_match(&p->levels[d], name)) return true;
    /* At the last level, and below it for a name with '=', the entry may
     * be a directory to enter: only what cannot be one (a file already
     * read) is left out now; the rest is judged once known to be a file. */
    const char *rel = rel_of(w, name);
    return rel && w->h->skip(w->arg, rel, d >= p->n_levels && !strchr(name, '='));
}

static int walk_each(void *arg, const struct file_store_entry *e, struct sluice_error *err)
{
    struct walk *w = arg;
    struct file_source *fs = w->fs;
    size_t d = w->at->depth, levels = fs->path.n_levels;
    const char *rel = rel_of(w, e->name);
    if (!rel) return fs->host->error(err, SLUICE_ENOMEM, "out of memory");
    if (e->kind == FILE_STORE_DIR) {
        if (d >= levels && !file_partition_dir(e->name, strlen(e->name))) {
            if (w->h->skipped)
                w->h->skipped(w->arg, rel, SLUICE_LOG_INFO, "a directory that is not a partition (name=value): not read");
            return SLUICE_OK;
        }
        if (d >= levels && w->h->dir) {
            int rc = w->h->dir(w->arg, rel, d - levels, err);
            if (rc) return rc;
        }
        if (w->n_todo == w->cap_todo) {
            size_t cap = w->cap_todo ? 2 * w->cap_todo : 16;
            struct dir *t = realloc(w->todo, cap * sizeof *t);
            if (!t) return fs->host->error(err, SLUICE_ENOMEM, "out of memory");
            w->todo = t;
            w->cap_todo = cap;
        }
        char *copy = strdup(rel);
        if (!copy) return fs->host->error(err, SLUICE_ENOMEM, "out of memory");
        w->todo[w->n_todo++] = (struct dir){ copy, d + 1 };
        return SLUICE_OK;
    }
    if (e->kind != FILE_STORE_REGULAR) {
        if (w->h->skipped) w->h->skipped(w->arg, rel, SLUICE_LOG_WARN, e->why);
        return SLUICE_OK;
    }
    if (d + 1 < levels) return SLUICE_OK; /* the pattern wants a directory here */
    if ((d + 1 == levels || strchr(e->name, '=')) && w->h->skip(w->arg, rel, true)) return SLUICE_OK;
    return w->h->file ? w->h->file(w->arg, rel, e, err) : SLUICE_OK;
}

int file_walk(struct file_source *fs, const struct file_walk_hooks *h, void *arg, struct sluice_error *err)
{
    struct walk w = { .fs = fs, .h = h, .arg = arg };
    struct dir root = { "", 0 };
    w.at = &root;
    int rc = fs->store->ops->list(fs->store, NULL, walk_skip, walk_each, &w, err);
    /* Breadth first; the order does not matter, the callers sort. */
    while (!rc && w.n_todo) {
        struct dir next = w.todo[--w.n_todo];
        w.at = &next;
        rc = fs->store->ops->list(fs->store, next.rel, walk_skip, walk_each, &w, err);
        free(next.rel);
    }
    for (size_t i = 0; i < w.n_todo; i++) free(w.todo[i].rel);
    free(w.todo);
    sluice_buf_free(&w.rel);
    return rc;
}
