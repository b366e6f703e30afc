#include "registry.h"

#include <dirent.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "mem.h"
#include "option_table.h"
#include "suggest.h"

/* The end of the fields ABI 2 defined (its last is the aggregators'
 * destroy): a plugin declaring a smaller size was built against something
 * that is not ABI 2. Fields added later must not move this. */
#define SLUICE_PLUGIN_V2_SIZE \
    (offsetof(struct sluice_plugin, destroy) + sizeof(((struct sluice_plugin *)0)->destroy))

struct sluice_registry {
    char **dirs;
    size_t n_dirs;
    struct sluice_loaded **loaded; /* each loaded once; pointers stay valid */
    size_t n_loaded;
    const struct sluice_loaded **list; /* the last sluice_registry_list result */
    size_t n_list;
};

static const char *const kind_names[] = { NULL, "source", "transform", "aggregator", "sink" };

const char *sluice_registry_kind_name(uint32_t kind)
{
    return kind >= SLUICE_KIND_SOURCE && kind <= SLUICE_KIND_SINK ? kind_names[kind] : "unknown";
}

/* ---- loading one file --------------------------------------------------- */

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static int check_callbacks(const struct sluice_plugin *p, const char *path, struct sluice_error *err)
{
    struct need { const char *name; bool present; };
    struct need src[] = { { "open", p->open }, { "close", p->close }, { "prepare", p->prepare },
                          { "latest_offset", p->latest_offset }, { "plan_read", p->plan_read },
                          { "read", p->read } };
    struct need xf[] = { { "open", p->open }, { "close", p->close }, { "process", p->process } };
    struct need sink[] = { { "open", p->open }, { "close", p->close }, { "begin", p->begin },
                           { "write", p->write }, { "end", p->end } };
    /* What the core calls for every use of an aggregate function. serialize
     * and deserialize are required even though only a checkpoint calls them:
     * an aggregator without them would load, pass every test without a
     * checkpoint, and fail the day a user turns checkpoints on, so its
     * author hears of it now. destroy matters only when bind says so and is
     * checked there. */
    struct need agg[] = { { "bind", p->bind }, { "init", p->init }, { "update", p->update },
                          { "merge", p->merge }, { "finalize", p->finalize },
                          { "serialize", p->serialize }, { "deserialize", p->deserialize } };
    const struct need *needs = NULL;
    size_t n = 0;
    switch (p->kind) {
    case SLUICE_KIND_SOURCE: needs = src, n = sizeof src / sizeof src[0]; break;
    case SLUICE_KIND_TRANSFORM: needs = xf, n = sizeof xf / sizeof xf[0]; break;
    case SLUICE_KIND_SINK: needs = sink, n = sizeof sink / sizeof sink[0]; break;
    case SLUICE_KIND_AGGREGATOR: needs = agg, n = sizeof agg / sizeof agg[0]; break;
    }
    for (size_t i = 0; i < n; i++)
        if (!needs[i].present)
            return sluice_error_set(err, SLUICE_EPLUGIN,
                                    "plugin file '%s': %s plugin '%s' lacks the required callback '%s'",
                                    path, sluice_registry_kind_name(p->kind), p->name, needs[i].name);
    return SLUICE_OK;
}

static int check_descriptor(const struct sluice_plugin *p, const char *path, struct sluice_error *err)
{
    /* abi_version and size are the first two fields of every ABI's
     * descriptor: reading them is safe whatever the plugin was built for. */
    if (p->abi_version != SLUICE_ABI_VERSION) {
        sluice_error_set(err, SLUICE_EPLUGIN,
                         "plugin file '%s' was built for ABI %u; this sluice speaks ABI %d", path,
                         (unsigned)p->abi_version, SLUICE_ABI_VERSION);
        if (p->abi_version < SLUICE_ABI_VERSION)
            sluice_error_hint(err, "rebuild the plugin against this sluice's SDK (include/sluice, ABI %d); "
                                   "'ABI %d' in the plugin author's guide (share/sluice/README.md) lists "
                                   "what changed", SLUICE_ABI_VERSION, SLUICE_ABI_VERSION);
        else
            sluice_error_hint(err, "the plugin needs a newer sluice: upgrade sluice, or rebuild the plugin "
                                   "against this sluice's SDK (include/sluice, ABI %d)", SLUICE_ABI_VERSION);
        return SLUICE_EPLUGIN;
    }
    if (p->size < SLUICE_PLUGIN_V2_SIZE)
        return sluice_error_set(err, SLUICE_EPLUGIN,
                                "plugin file '%s' declares a %u-byte descriptor; ABI %d needs at "
                                "least %zu bytes", path, (unsigned)p->size, SLUICE_ABI_VERSION,
                                (size_t)SLUICE_PLUGIN_V2_SIZE);
    if (p->kind < SLUICE_KIND_SOURCE || p->kind > SLUICE_KIND_SINK)
        return sluice_error_set(err, SLUICE_EPLUGIN, "plugin file '%s' declares unknown kind %u",
                                path, (unsigned)p->kind);
    if (!p->name || !p->name[0])
        return sluice_error_set(err, SLUICE_EPLUGIN, "plugin file '%s' declares no name", path);
    char expected[256];
    snprintf(expected, sizeof expected, "sluice_%s_%s.so", sluice_registry_kind_name(p->kind), p->name);
    if (strcmp(base_name(path), expected) != 0) {
        /* Configs name plugins by file, so a mismatch would load a plugin
         * under a name it does not answer to. */
        sluice_error_set(err, SLUICE_EPLUGIN, "plugin file '%s' holds %s plugin '%s'", path,
                         sluice_registry_kind_name(p->kind), p->name);
        sluice_error_hint(err, "name the file '%s'", expected);
        return SLUICE_EPLUGIN;
    }
    int rc = check_callbacks(p, path, err);
    return rc ? rc : sluice_option_table_check(p, path, err);
}

int sluice_registry_load_file(const char *path, struct sluice_loaded *out, struct sluice_error *err)
{
    *out = (struct sluice_loaded){ 0 };
    /* RTLD_NOW: an unresolved symbol fails here, not mid-batch.
     * RTLD_LOCAL: plugins' private symbols cannot collide with each other. */
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        return sluice_error_set(err, SLUICE_EPLUGIN, "cannot load plugin file '%s': %s", path,
                                why ? why : "unknown error");
    }
    dlerror();
    void *sym = dlsym(h, "sluice_plugin_v1");
    if (!sym) {
        dlclose(h);
        sluice_error_set(err, SLUICE_EPLUGIN, "plugin file '%s' has no sluice_plugin_v1 symbol", path);
        sluice_error_hint(err, "a plugin exports `SLUICE_EXPORT const struct sluice_plugin "
                               "*sluice_plugin_v1(void)`");
        return SLUICE_EPLUGIN;
    }
    sluice_plugin_entry_fn entry;
    memcpy(&entry, &sym, sizeof entry); /* object pointer to function pointer, as POSIX allows */
    const struct sluice_plugin *p = entry();
    int rc = p ? check_descriptor(p, path, err)
               : sluice_error_set(err, SLUICE_EPLUGIN,
                                  "plugin file '%s': sluice_plugin_v1 returned NULL", path);
    if (rc != SLUICE_OK) {
        dlclose(h);
        return rc;
    }
    out->plugin = p;
    out->path = sluice_xstrdup(path);
    out->handle = h;
    return SLUICE_OK;
}

void sluice_registry_unload(struct sluice_loaded *l)
{
    if (!l) return;
    if (l->handle) dlclose(l->handle);
    free(l->path);
    *l = (struct sluice_loaded){ 0 };
}

/* ---- the search path ----------------------------------------------------- */

static void add_dir(struct sluice_registry *r, const char *dir, size_t len)
{
    if (len == 0) return;
    while (len > 1 && dir[len - 1] == '/') len--;
    for (size_t i = 0; i < r->n_dirs; i++)
        if (strlen(r->dirs[i]) == len && memcmp(r->dirs[i], dir, len) == 0) return;
    r->dirs = sluice_xrealloc(r->dirs, (r->n_dirs + 1) * sizeof *r->dirs);
    r->dirs[r->n_dirs++] = sluice_xstrndup(dir, len);
}

struct sluice_registry *sluice_registry_new(const char *const *dirs, size_t n_dirs)
{
    struct sluice_registry *r = sluice_xcalloc(1, sizeof *r);
    for (size_t i = 0; i < n_dirs; i++)
        if (dirs[i]) add_dir(r, dirs[i], strlen(dirs[i]));
    const char *env = getenv("SLUICE_PLUGIN_PATH");
    for (const char *p = env; p && *p;) {
        const char *colon = strchr(p, ':');
        size_t len = colon ? (size_t)(colon - p) : strlen(p);
        add_dir(r, p, len);
        p += len + (colon != NULL);
    }
    /* A sluice run from the build tree finds the plugins built beside it,
     * and an installed one those installed with it, wherever the prefix
     * was moved (bin/../lib/sluice/plugins). */
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            size_t room = sizeof exe - (size_t)(slash - exe);
            snprintf(slash, room, "/plugins");
            add_dir(r, exe, strlen(exe));
#ifdef SLUICE_PLUGIN_RELATIVE_DIR
            snprintf(slash, room, "/%s", SLUICE_PLUGIN_RELATIVE_DIR);
            /* Named without the "bin/.." when it exists, as messages show it. */
            char *real = realpath(exe, NULL);
            add_dir(r, real ? real : exe, strlen(real ? real : exe));
            free(real);
#endif
        }
    }
#ifdef SLUICE_PLUGIN_INSTALL_DIR
    add_dir(r, SLUICE_PLUGIN_INSTALL_DIR, strlen(SLUICE_PLUGIN_INSTALL_DIR));
#endif
    return r;
}

void sluice_registry_free(struct sluice_registry *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n_loaded; i++) {
        sluice_registry_unload(r->loaded[i]);
        free(r->loaded[i]);
    }
    for (size_t i = 0; i < r->n_dirs; i++) free(r->dirs[i]);
    free(r->loaded);
    free(r->dirs);
    free(r->list);
    free(r);
}

const char *const *sluice_registry_dirs(const struct sluice_registry *r, size_t *n)
{
    *n = r->n_dirs;
    return (const char *const *)r->dirs;
}

/* Split "sluice_KIND_NAME.so" into kind and name (into `name`, `cap` bytes). */
static uint32_t parse_file_name(const char *file, char *name, size_t cap)
{
    size_t len = strlen(file);
    if (strncmp(file, "sluice_", 7) != 0 || len < 10 || strcmp(file + len - 3, ".so") != 0) return 0;
    for (int k = SLUICE_KIND_SOURCE; k <= SLUICE_KIND_SINK; k++) {
        size_t kl = strlen(kind_names[k]);
        if (strncmp(file + 7, kind_names[k], kl) == 0 && file[7 + kl] == '_') {
            size_t nl = len - 3 - (7 + kl + 1);
            if (nl == 0 || nl >= cap) return 0;
            memcpy(name, file + 7 + kl + 1, nl);
            name[nl] = '\0';
            return (uint32_t)k;
        }
    }
    return 0;
}

/* Plugin names go into file names: anything beyond [A-Za-z0-9_-] could
 * step out of the plugin directory. */
static bool valid_name(const char *name)
{
    if (!name[0]) return false;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-'))
            return false;
    return true;
}

/* The names of plugins of `kind` present on the search path (file names only). */
static char **names_on_path(const struct sluice_registry *r, enum sluice_kind kind, size_t *n)
{
    char **names = NULL;
    *n = 0;
    for (size_t i = 0; i < r->n_dirs; i++) {
        DIR *d = opendir(r->dirs[i]);
        if (!d) continue;
        struct dirent *e;
        while ((e = readdir(d))) {
            char name[256];
            if (parse_file_name(e->d_name, name, sizeof name) != kind) continue;
            names = sluice_xrealloc(names, (*n + 1) * sizeof *names);
            names[(*n)++] = sluice_xstrdup(name);
        }
        closedir(d);
    }
    return names;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

static bool file_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

static void search_path_text(const struct sluice_registry *r, char *buf, size_t cap)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < r->n_dirs && used < cap; i++) {
        int w = snprintf(buf + used, cap - used, "%s%s", i ? ", " : "", r->dirs[i]);
        if (w > 0) used += (size_t)w;
    }
    if (!r->n_dirs) snprintf(buf, cap, "no directories");
}

static int not_found(struct sluice_registry *r, enum sluice_kind kind, const char *name,
                     struct sluice_error *err)
{
    char dirs[1024];
    search_path_text(r, dirs, sizeof dirs);
    sluice_error_set(err, SLUICE_ECONFIG, "unknown %s plugin '%s'", sluice_registry_kind_name(kind), name);
    /* Writing `source = "console"` deserves a better answer than "did you mean". */
    for (int k = SLUICE_KIND_SOURCE; valid_name(name) && k <= SLUICE_KIND_SINK; k++) {
        for (size_t i = 0; k != (int)kind && i < r->n_dirs; i++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/sluice_%s_%s.so", r->dirs[i], kind_names[k], name);
            if (file_exists(path)) {
                sluice_error_hint(err, "'%s' is a %s plugin: write %s = \"%s\"", name,
                                  kind_names[k], kind_names[k], name);
                return SLUICE_ECONFIG;
            }
        }
    }
    size_t n;
    char **names = names_on_path(r, kind, &n);
    const char *close = sluice_suggest(name, (const char *const *)names, n);
    if (close)
        sluice_error_hint(err, "did you mean '%s'? (searched: %s)", close, dirs);
    else
        sluice_error_hint(err, "searched: %s", dirs);
    free_names(names, n);
    return SLUICE_ECONFIG;
}

int sluice_registry_find(struct sluice_registry *r, enum sluice_kind kind, const char *name,
                         const struct sluice_loaded **out, struct sluice_error *err)
{
    *out = NULL;
    for (size_t i = 0; i < r->n_loaded; i++) {
        const struct sluice_plugin *p = r->loaded[i]->plugin;
        if (p->kind == kind && strcmp(p->name, name) == 0) {
            *out = r->loaded[i];
            return SLUICE_OK;
        }
    }
    if (!valid_name(name)) return not_found(r, kind, name, err);
    for (size_t i = 0; i < r->n_dirs; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/sluice_%s_%s.so", r->dirs[i], sluice_registry_kind_name(kind), name);
        if (!file_exists(path)) continue;
        struct sluice_loaded l;
        int rc = sluice_registry_load_file(path, &l, err);
        if (rc != SLUICE_OK) return rc;
        struct sluice_loaded *heap = sluice_xmalloc(sizeof *heap);
        *heap = l;
        r->loaded = sluice_xrealloc(r->loaded, (r->n_loaded + 1) * sizeof *r->loaded);
        r->loaded[r->n_loaded++] = heap;
        *out = heap;
        return SLUICE_OK;
    }
    return not_found(r, kind, name, err);
}

static int compare_loaded(const void *a, const void *b)
{
    const struct sluice_plugin *x = (*(const struct sluice_loaded *const *)a)->plugin;
    const struct sluice_plugin *y = (*(const struct sluice_loaded *const *)b)->plugin;
    if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1;
    return strcmp(x->name, y->name);
}

int sluice_registry_list(struct sluice_registry *r, enum sluice_kind kind,
                         const struct sluice_loaded *const **out, size_t *n,
                         void (*on_broken)(const struct sluice_error *err, void *arg), void *arg)
{
    free(r->list);
    r->list = NULL;
    r->n_list = 0;
    /* "kind/name" of every plugin tried, so a name shadowed in a later
     * directory is neither listed nor reported twice: find, like this
     * loop, takes the first directory that has it. */
    char **tried = NULL;
    size_t n_tried = 0;
    for (size_t i = 0; i < r->n_dirs; i++) {
        DIR *d = opendir(r->dirs[i]);
        if (!d) continue;
        struct dirent *e;
        while ((e = readdir(d))) {
            char name[256], key[300];
            uint32_t k = parse_file_name(e->d_name, name, sizeof name);
            if (!k || (kind && k != kind) || !valid_name(name)) continue;
            snprintf(key, sizeof key, "%d/%s", (int)k, name);
            bool seen = false;
            for (size_t j = 0; j < n_tried && !seen; j++) seen = strcmp(tried[j], key) == 0;
            if (seen) continue;
            tried = sluice_xrealloc(tried, (n_tried + 1) * sizeof *tried);
            tried[n_tried++] = sluice_xstrdup(key);
            const struct sluice_loaded *l;
            struct sluice_error err = { 0 };
            if (sluice_registry_find(r, k, name, &l, &err) != SLUICE_OK) {
                if (on_broken) on_broken(&err, arg);
                continue;
            }
            r->list = sluice_xrealloc(r->list, (r->n_list + 1) * sizeof *r->list);
            r->list[r->n_list++] = l;
        }
        closedir(d);
    }
    free_names(tried, n_tried);
    if (r->n_list) qsort(r->list, r->n_list, sizeof *r->list, compare_loaded);
    *out = r->list;
    *n = r->n_list;
    return SLUICE_OK;
}
