/* core/cli/cmd_cat.c — `sluice cat PATH [--batch N] [--ignore-damaged]`: the
 * rows a file sink committed, one JSON object per line.
 *
 * Only what the manifests in PATH/_sluice_manifest list is read, in batch
 * order, so part files of a batch that never committed (a crash, a replay
 * in progress) are never shown. Damage is reported, never skipped in
 * silence: a manifest that does not parse, a part file missing or that
 * does not decode, a batch whose row count differs from its manifest, and
 * a manifest missing below a committed batch (the sink commits batches in
 * order, so a gap is a deleted manifest, not a batch that never ran). So
 * that a reader never takes part of the output for all of it, every batch
 * is checked before any row is printed (decoding twice: correctness over
 * speed, in a tool for reading results); when something is damaged each
 * damaged batch is named, nothing is printed and the exit status is 1.
 * --ignore-damaged prints what can be read — the intact batches, and of a
 * damaged one its readable lines, or its part files when its manifest is
 * gone — says so on stderr, and still exits 1. Part files are decoded in
 * cmd_cat_parts.c. */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "cli.h"
#include "cmd_cat.h"
#include "error.h"
#include "log.h"
#include "mem.h"

static const char help[] =
    "Usage: sluice cat PATH [--batch N] [--ignore-damaged]\n"
    "\n"
    "Print the rows the file sink committed to PATH, one JSON object per line,\n"
    "in batch order: the part files that PATH/_sluice_manifest lists, JSON lines\n"
    "or CSV, each row rendered as the console sink's jsonl format renders it.\n"
    "Files of batches that did not commit are never read.\n"
    "\n"
    "Every batch is checked first. A damaged one (a manifest missing or that\n"
    "does not parse, a part file missing or that does not decode, a row count\n"
    "that differs from the manifest's) is named on stderr, and nothing is\n"
    "printed unless --ignore-damaged is given.\n"
    "\n"
    "Options:\n"
    "  --batch N           print only batch N\n"
    "  --ignore-damaged    print what can be read of a damaged output (said on stderr)\n"
    "  -h, --help          this help\n"
    "\n"
    "Exit status: 0 success, 1 unreadable or damaged output (also with\n"
    "--ignore-damaged), 2 usage error or PATH not a file sink output.\n";

/* ---- the manifests ---- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Batch ids of the manifests, sorted. A manifest is named by its id in
 * decimal; anything else there (the schema, temporary '.' files) is not one. */
static int list_batches(struct sluice_cat *c, int64_t **ids, size_t *n, struct sluice_error *err)
{
    DIR *d = opendir(c->man_dir);
    if (!d) return sluice_error_set(err, SLUICE_EIO, "cannot read '%s': %s", c->man_dir, strerror(errno));
    size_t cap = 0;
    *ids = NULL;
    *n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        int64_t id;
        char back[32];
        if (e->d_name[0] < '0' || e->d_name[0] > '9' || !sluice_cli_parse_i64(e->d_name, &id) || id < 0)
            continue;
        snprintf(back, sizeof back, "%lld", (long long)id);
        if (strcmp(back, e->d_name) != 0) continue; /* "007": not a name the sink writes */
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            *ids = sluice_xrealloc(*ids, cap * sizeof **ids);
        }
        (*ids)[(*n)++] = id;
    }
    closedir(d);
    if (*n) qsort(*ids, *n, sizeof **ids, cmp_i64);
    return SLUICE_OK;
}

struct manifest {
    json_t *root;
    const char *format;
    bool header;
    json_t *files;
    int64_t rows;
};

static int manifest_load(struct sluice_cat *c, int64_t id, struct manifest *m, struct sluice_error *err)
{
    char *file = sluice_xmalloc(strlen(c->man_dir) + 32);
    sprintf(file, "%s/%lld", c->man_dir, (long long)id);
    json_error_t jerr;
    memset(m, 0, sizeof *m);
    m->root = json_load_file(file, 0, &jerr);
    const char *why = NULL;
    json_t *v = m->root ? json_object_get(m->root, "version") : NULL;
    if (!m->root) why = jerr.text;
    else if (!json_is_object(m->root)) why = "not a JSON object";
    else if (!json_is_integer(v)) why = "no \"version\"";
    else if (json_integer_value(v) != 1)
        why = "a version this sluice does not know (written by a newer one?)";
    else if (!json_is_integer(v = json_object_get(m->root, "batch_id")) || json_integer_value(v) != id)
        why = "\"batch_id\" is not the file's name";
    else if (!json_is_string(v = json_object_get(m->root, "format")) ||
             (strcmp(json_string_value(v), "json") != 0 && strcmp(json_string_value(v), "csv") != 0))
        why = "\"format\" is not \"json\" or \"csv\"";
    else if (!json_is_array(m->files = json_object_get(m->root, "files")))
        why = "\"files\" is not an array";
    else if (!json_is_integer(json_object_get(m->root, "rows")) ||
             json_integer_value(json_object_get(m->root, "rows")) < 0)
        why = "\"rows\" is not a count";
    if (!why) {
        m->format = json_string_value(v);
        m->header = json_is_true(json_object_get(m->root, "header"));
        m->rows = json_integer_value(json_object_get(m->root, "rows"));
        size_t i;
        json_t *f;
        /* Names only: a manifest must not send the reader out of the directory. */
        json_array_foreach(m->files, i, f) {
            const char *s = json_string_value(f);
            if (!s || !*s || *s == '.' || strchr(s, '/'))
                why = "\"files\" holds something not a part file name";
        }
    }
    int rc = SLUICE_OK;
    if (why) {
        rc = sluice_error_set(err, SLUICE_EDATA, "'%s' is not a valid manifest: %s", file, why);
        json_decref(m->root);
        m->root = NULL;
    }
    free(file);
    return rc;
}

/* ---- part files whose batch has no manifest ---- */

/* "part-00003-00001.json": the sink's name for a part file of batch 3. */
static bool part_name(const char *name, int64_t *batch)
{
    const char *p = name;
    if (strncmp(p, "part-", 5) != 0) return false;
    p += 5;
    int64_t b = 0;
    const char *digits = p;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (b > (INT64_MAX - 9) / 10) return false;
        b = b * 10 + (*p - '0');
    }
    if (p - digits < 5 || *p++ != '-') return false;
    for (digits = p; *p >= '0' && *p <= '9'; p++) {}
    if (p - digits < 5 || *p++ != '.') return false;
    if (strcmp(p, "json") != 0 && strcmp(p, "csv") != 0) return false;
    *batch = b;
    return true;
}

struct part {
    int64_t batch;
    char *name;
};

static int by_batch_and_name(const void *a, const void *b)
{
    const struct part *x = a, *y = b;
    if (x->batch != y->batch) return x->batch < y->batch ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* One check or print of an output. */
struct cat_run {
    struct sluice_cat *c;
    bool ignore;                /* --ignore-damaged */
    int64_t *ids;               /* the manifests, sorted */
    size_t n_ids;
    struct part *orphans;       /* part files of batches without a manifest, sorted */
    size_t n_orphans;
    int64_t *bad;               /* damaged batches, increasing */
    size_t n_bad, cap_bad;
    int csv_header;             /* what the manifests say of CSV headers: -1 unknown */
};

static bool has_manifest(const struct cat_run *r, int64_t id)
{
    return r->n_ids && bsearch(&id, r->ids, r->n_ids, sizeof *r->ids, cmp_i64) != NULL;
}

static int list_orphans(struct cat_run *r, struct sluice_error *err)
{
    DIR *d = opendir(r->c->path);
    if (!d) return sluice_error_set(err, SLUICE_EIO, "cannot read '%s': %s", r->c->path, strerror(errno));
    size_t cap = 0;
    struct dirent *e;
    int64_t b;
    while ((e = readdir(d)) != NULL) {
        if (!part_name(e->d_name, &b) || has_manifest(r, b)) continue;
        if (r->n_orphans == cap) {
            cap = cap ? cap * 2 : 16;
            r->orphans = sluice_xrealloc(r->orphans, cap * sizeof *r->orphans);
        }
        r->orphans[r->n_orphans++] = (struct part){ b, sluice_xstrdup(e->d_name) };
    }
    closedir(d);
    if (r->n_orphans) qsort(r->orphans, r->n_orphans, sizeof *r->orphans, by_batch_and_name);
    return SLUICE_OK;
}

/* ---- damage ---- */

/* Batches first..last are damaged: say why, naming them. */
static void damaged(struct cat_run *r, int64_t first, int64_t last, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void damaged(struct cat_run *r, int64_t first, int64_t last, const char *fmt, ...)
{
    char why[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    enum sluice_log_level level = r->ignore ? SLUICE_LOG_WARN : SLUICE_LOG_ERROR;
    if (first == last)
        sluice_log(level, NULL, "batch %lld of '%s' is damaged: %s", (long long)first, r->c->path, why);
    else
        sluice_log(level, NULL, "batches %lld to %lld of '%s' are damaged: %s", (long long)first, (long long)last,
                   r->c->path, why);
    for (int64_t id = first; id <= last; id++) {
        if (r->n_bad && r->bad[r->n_bad - 1] == id) continue; /* a second problem in one batch */
        if (r->n_bad == r->cap_bad) {
            r->cap_bad = r->cap_bad ? 2 * r->cap_bad : 16;
            r->bad = sluice_xrealloc(r->bad, r->cap_bad * sizeof *r->bad);
        }
        r->bad[r->n_bad++] = id;
    }
}

static bool is_damaged(const struct cat_run *r, int64_t id)
{
    return r->n_bad && bsearch(&id, r->bad, r->n_bad, sizeof *r->bad, cmp_i64) != NULL;
}

/* Manifests first..last are missing, below committed batch `next`. */
static void missing(struct cat_run *r, int64_t first, int64_t last, int64_t next)
{
    if (first == last)
        damaged(r, first, last, "its manifest '%s/%lld' is missing, though batch %lld after it is committed",
                r->c->man_dir, (long long)first, (long long)next);
    else
        damaged(r, first, last, "their manifests are missing from '%s', though batch %lld after them is committed",
                r->c->man_dir, (long long)next);
}

/* Read every file of a committed batch without printing: damage is noted,
 * not returned; what is returned stops cat (no schema to decode with). */
static int check_batch(struct cat_run *r, int64_t id, struct sluice_error *err)
{
    struct sluice_cat *c = r->c;
    struct manifest m;
    struct sluice_error e = { 0 };
    if (manifest_load(c, id, &m, &e)) {
        damaged(r, id, id, "%s", e.message);
        return SLUICE_OK;
    }
    if (strcmp(m.format, "csv") == 0) r->csv_header = m.header;
    int rc = json_array_size(m.files) ? sluice_cat_load_schema(c, err) : SLUICE_OK;
    int64_t rows = 0, dropped = 0;
    bool read_all = true;
    size_t i;
    json_t *f;
    json_array_foreach(m.files, i, f) {
        if (rc) break;
        e = (struct sluice_error){ 0 };
        if (sluice_cat_read_part(c, m.format, m.header, false, json_string_value(f), &rows, &dropped, &e)) {
            damaged(r, id, id, "%s", e.message);
            read_all = false;
        }
    }
    if (!rc && read_all && rows != m.rows)
        damaged(r, id, id, "it holds %lld rows, its manifest says %lld", (long long)rows, (long long)m.rows);
    json_decref(m.root);
    return rc;
}

/* Print a batch. An intact one must read as checked; of a damaged one,
 * what can be read: the files its manifest lists, or without one the part
 * files named for it, lines that do not decode dropped. */
static int print_batch(struct cat_run *r, int64_t id, struct sluice_error *err)
{
    struct sluice_cat *c = r->c;
    bool bad = is_damaged(r, id);
    struct manifest m;
    struct sluice_error e = { 0 };
    int64_t rows = 0, dropped = 0;
    if (!has_manifest(r, id) || manifest_load(c, id, &m, &e)) {
        for (size_t i = 0; i < r->n_orphans; i++) {
            const struct part *p = &r->orphans[i];
            if (p->batch != id) continue;
            const char *format = strstr(p->name, ".csv") ? "csv" : "json";
            int rc = sluice_cat_load_schema(c, err);
            if (rc) return rc;
            e = (struct sluice_error){ 0 };
            sluice_cat_read_part(c, format, r->csv_header > 0, true, p->name, &rows, &dropped, &e);
        }
        return SLUICE_OK;
    }
    int rc = json_array_size(m.files) ? sluice_cat_load_schema(c, err) : SLUICE_OK;
    size_t i;
    json_t *f;
    json_array_foreach(m.files, i, f) {
        if (rc) break;
        e = (struct sluice_error){ 0 };
        int frc = sluice_cat_read_part(c, m.format, m.header, bad, json_string_value(f), &rows, &dropped, &e);
        if (frc && !bad) {
            *err = e;
            rc = frc;
        }
    }
    /* Checked a moment ago: only a file changed since can get here. */
    if (!rc && !bad && rows != m.rows)
        rc = sluice_error_set(err, SLUICE_EDATA, "batch %lld of '%s' holds %lld rows, its manifest says %lld",
                              (long long)id, c->path, (long long)rows, (long long)m.rows);
    json_decref(m.root);
    return rc;
}

/* ---- the command ---- */

static int cat_run(struct cat_run *r, bool one, int64_t only, struct sluice_error *err)
{
    struct sluice_cat *c = r->c;
    struct stat st;
    if (stat(c->path, &st) != 0)
        return sluice_error_set(err, SLUICE_ECONFIG, "cannot read '%s': %s", c->path, strerror(errno));
    if (stat(c->man_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        int rc = sluice_error_set(err, SLUICE_ECONFIG, "'%s' is not a sluice file sink output: no %s",
                                  c->path, SLUICE_CAT_MANIFEST_DIR);
        sluice_error_hint(err, "give the path option of a stage with sink = \"file\"");
        return rc;
    }
    int rc = list_batches(c, &r->ids, &r->n_ids, err);
    if (!rc) rc = list_orphans(r, err);
    if (rc || !r->n_ids) return rc;
    /* Batches from the first with a manifest or a part file to the last
     * committed; part files above it are a batch under way. */
    int64_t lo = r->ids[0], hi = r->ids[r->n_ids - 1];
    if (r->n_orphans && r->orphans[0].batch < lo) lo = r->orphans[0].batch;
    if (one) {
        if (!has_manifest(r, only) && (only < lo || only > hi)) {
            rc = sluice_error_set(err, SLUICE_ECONFIG, "batch %lld is not committed in '%s'", (long long)only,
                                  c->path);
            sluice_error_hint(err, "committed batches run from %lld to %lld", (long long)r->ids[0], (long long)hi);
            return rc;
        }
        lo = hi = only;
    }

    /* Check every batch before printing any. */
    c->render = false;
    int64_t gap = -1; /* the first of a run of missing manifests */
    for (int64_t id = lo; id <= hi && !rc; id++) {
        if (!has_manifest(r, id)) {
            if (gap < 0) gap = id;
            continue;
        }
        if (gap >= 0) missing(r, gap, id - 1, id);
        gap = -1;
        rc = check_batch(r, id, err);
    }
    if (!rc && gap >= 0) { /* --batch N, a gap: the next committed batch is after it */
        size_t k = 0;
        while (r->ids[k] < gap) k++;
        missing(r, gap, hi, r->ids[k]);
    }
    if (rc) return rc;
    int64_t total = hi - lo + 1;
    if (r->n_bad && !r->ignore) {
        rc = sluice_error_set(err, SLUICE_EDATA, "%zu of %lld batch%s of '%s' %s damaged: nothing was printed",
                              r->n_bad, (long long)total, total == 1 ? "" : "es", c->path,
                              r->n_bad == 1 ? "is" : "are");
        sluice_error_hint(err, "--ignore-damaged prints the rows that can still be read");
        return rc;
    }
    if (r->n_bad)
        sluice_log(SLUICE_LOG_WARN, NULL,
                   "--ignore-damaged: printing what can be read of '%s'; the damaged batches above may lack rows",
                   c->path);

    c->render = true;
    for (int64_t id = lo; id <= hi && !rc; id++)
        if (has_manifest(r, id) || is_damaged(r, id)) rc = print_batch(r, id, err);
    if (!rc) rc = sluice_cat_flush(c, err);
    if (!rc && fflush(stdout) != 0)
        rc = sluice_error_set(err, SLUICE_EIO, "cannot write to standard output: %s", strerror(errno));
    if (!rc && r->n_bad)
        rc = sluice_error_set(err, SLUICE_EDATA, "%zu of %lld batch%s of '%s' %s damaged: printed what could be read",
                              r->n_bad, (long long)total, total == 1 ? "" : "es", c->path,
                              r->n_bad == 1 ? "is" : "are");
    return rc;
}

int sluice_cmd_cat(int argc, char **argv)
{
    const char *path = NULL;
    bool one = false, ignore = false;
    int64_t only = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (sluice_cli_is_help(a)) {
            fputs(help, stdout);
            return 0;
        } else if (strcmp(a, "--batch") == 0) {
            if (i + 1 >= argc || !sluice_cli_parse_i64(argv[i + 1], &only) || only < 0)
                return sluice_cli_usage_error("cat ", "--batch needs a batch id (0, 1, ...)");
            one = true;
            i++;
        } else if (strcmp(a, "--ignore-damaged") == 0) {
            ignore = true;
        } else if (a[0] == '-' && a[1]) {
            return sluice_cli_usage_error("cat ", "unknown option '%s'", a);
        } else if (!path) {
            path = a;
        } else {
            return sluice_cli_usage_error("cat ", "unexpected argument '%s'", a);
        }
    }
    if (!path) return sluice_cli_usage_error("cat ", "missing PATH");
    sluice_cli_init_logging(0);

    struct sluice_cat c = { .path = path };
    c.man_dir = sluice_xmalloc(strlen(path) + sizeof SLUICE_CAT_MANIFEST_DIR + 1);
    sprintf(c.man_dir, "%s/%s", path, SLUICE_CAT_MANIFEST_DIR);
    struct cat_run r = { .c = &c, .ignore = ignore, .csv_header = -1 };
    struct sluice_error err = { 0 };
    int rc = cat_run(&r, one, only, &err);
    for (size_t i = 0; i < r.n_orphans; i++) free(r.orphans[i].name);
    free(r.orphans);
    free(r.ids);
    free(r.bad);
    sluice_cat_free(&c);
    return rc ? sluice_cli_fail(&err) : 0;
}
