/* Reading back what the file sink committed: read_committed, behind
 * `sluice cat PATH [--batch N] [--ignore-damaged]`.
 *
 * Only what the manifests in PATH/_sluice_manifest list is read, in batch
 * order, so part files of a batch that never committed (a crash, a replay
 * in progress) are never shown. Damage is reported, never skipped in
 * silence: a manifest that does not parse, a part file missing or that
 * does not decode, a batch whose row count differs from its manifest, and
 * a manifest missing below a committed batch (the sink commits batches in
 * order, so a gap is a deleted manifest, not a batch that never ran). So
 * that a reader never takes part of the output for all of it, every batch
 * is checked before any row is emitted (decoding twice: correctness over
 * speed, in a tool for reading results); when something is damaged each
 * damaged batch is named, nothing is emitted and the status is SLUICE_EDATA.
 * With ignore_damaged what can be read is emitted — the intact batches, and
 * of a damaged one its readable lines, or its part files when its manifest
 * is gone — with a warning, and the status is still SLUICE_EDATA. Part
 * files are decoded in file_sink_read_parts.c. */
#include "file_sink_read.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

/* ---- the manifests ---- */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Room for one more of `*n` elements of `size` bytes in *items. */
static bool grow(void *items, size_t *cap, size_t n, size_t size)
{
    if (n < *cap) return true;
    size_t want = *cap ? *cap * 2 : 16;
    void *p = realloc(*(void **)items, want * size);
    if (!p) return false;
    *(void **)items = p;
    *cap = want;
    return true;
}

static int oom(const struct file_sink_reader *r, struct sluice_error *err)
{
    return r->host->error(err, SLUICE_ENOMEM, "out of memory reading '%s'", r->path);
}

/* A batch id written as the sink writes it: decimal, no sign, no leading zero. */
static bool batch_name(const char *s, int64_t *id)
{
    if (s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1])) return false;
    int64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (INT64_MAX - 9) / 10) return false;
        v = v * 10 + (*s - '0');
    }
    *id = v;
    return true;
}

/* Batch ids of the manifests, sorted. Anything else in the manifest
 * directory (the schema, temporary '.' files) is not one. */
static int list_batches(struct file_sink_reader *r, int64_t **ids, size_t *n, struct sluice_error *err)
{
    DIR *d = opendir(r->man_dir);
    if (!d) return r->host->error(err, SLUICE_EIO, "cannot read '%s': %s", r->man_dir, strerror(errno));
    size_t cap = 0;
    *ids = NULL;
    *n = 0;
    struct dirent *e;
    int rc = SLUICE_OK;
    while (!rc && (e = readdir(d)) != NULL) {
        int64_t id;
        if (!batch_name(e->d_name, &id)) continue;
        if (!grow(ids, &cap, *n, sizeof **ids)) rc = oom(r, err);
        else (*ids)[(*n)++] = id;
    }
    closedir(d);
    if (*n) qsort(*ids, *n, sizeof **ids, cmp_i64);
    return rc;
}

struct manifest {
    json_t *root;
    const char *format;
    bool header;
    json_t *files;
    int64_t rows;
};

static int manifest_load(struct file_sink_reader *r, int64_t id, struct manifest *m, struct sluice_error *err)
{
    struct sluice_buf file = { 0 };
    if (sluice_buf_printf(&file, "%s/%lld", r->man_dir, (long long)id)) return oom(r, err);
    json_error_t jerr;
    memset(m, 0, sizeof *m);
    m->root = json_load_file(file.data, 0, &jerr);
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
        rc = r->host->error(err, SLUICE_EDATA, "'%s' is not a valid manifest: %s", file.data, why);
        json_decref(m->root);
        m->root = NULL;
    }
    sluice_buf_free(&file);
    return rc;
}

/* ---- part files whose batch has no manifest ---- */

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

/* One check, then one reading, of an output. */
struct read_run {
    struct file_sink_reader *r;
    bool ignore;                /* ignore_damaged */
    int64_t *ids;               /* the manifests, sorted */
    size_t n_ids;
    struct part *orphans;       /* part files of batches without a manifest, sorted */
    size_t n_orphans;
    int64_t *bad;               /* damaged batches, increasing */
    size_t n_bad, cap_bad;
    int csv_header;             /* what the manifests say of CSV headers: -1 unknown */
};

static bool has_manifest(const struct read_run *run, int64_t id)
{
    return run->n_ids && bsearch(&id, run->ids, run->n_ids, sizeof *run->ids, cmp_i64) != NULL;
}

static int list_orphans(struct read_run *run, struct sluice_error *err)
{
    struct file_sink_reader *r = run->r;
    DIR *d = opendir(r->path);
    if (!d) return r->host->error(err, SLUICE_EIO, "cannot read '%s': %s", r->path, strerror(errno));
    size_t cap = 0;
    struct dirent *e;
    int64_t b;
    int rc = SLUICE_OK;
    while (!rc && (e = readdir(d)) != NULL) {
        if (!file_sink_part_name(e->d_name, false, &b) || has_manifest(run, b)) continue;
        char *name = strdup(e->d_name);
        if (!name || !grow(&run->orphans, &cap, run->n_orphans, sizeof *run->orphans)) {
            free(name);
            rc = oom(r, err);
        } else {
            run->orphans[run->n_orphans++] = (struct part){ b, name };
        }
    }
    closedir(d);
    if (run->n_orphans) qsort(run->orphans, run->n_orphans, sizeof *run->orphans, by_batch_and_name);
    return rc;
}

/* ---- damage ---- */

/* Batches first..last are damaged: say why, naming them. */
static int damaged(struct read_run *run, int64_t first, int64_t last, struct sluice_error *err, const char *fmt,
                   ...) __attribute__((format(printf, 5, 6)));
static int damaged(struct read_run *run, int64_t first, int64_t last, struct sluice_error *err, const char *fmt,
                   ...)
{
    struct file_sink_reader *r = run->r;
    char why[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    uint32_t level = run->ignore ? SLUICE_LOG_WARN : SLUICE_LOG_ERROR;
    if (first == last)
        r->host->log(NULL, level, "batch %lld of '%s' is damaged: %s", (long long)first, r->path, why);
    else
        r->host->log(NULL, level, "batches %lld to %lld of '%s' are damaged: %s", (long long)first,
                     (long long)last, r->path, why);
    for (int64_t id = first; id <= last; id++) {
        if (run->n_bad && run->bad[run->n_bad - 1] == id) continue; /* a second problem in one batch */
        if (!grow(&run->bad, &run->cap_bad, run->n_bad, sizeof *run->bad)) return oom(r, err);
        run->bad[run->n_bad++] = id;
    }
    return SLUICE_OK;
}

static bool is_damaged(const struct read_run *run, int64_t id)
{
    return run->n_bad && bsearch(&id, run->bad, run->n_bad, sizeof *run->bad, cmp_i64) != NULL;
}

/* Manifests first..last are missing, below committed batch `next`. */
static int missing(struct read_run *run, int64_t first, int64_t last, int64_t next, struct sluice_error *err)
{
    if (first == last)
        return damaged(run, first, last, err,
                       "its manifest '%s/%lld' is missing, though batch %lld after it is committed",
                       run->r->man_dir, (long long)first, (long long)next);
    return damaged(run, first, last, err,
                   "their manifests are missing from '%s', though batch %lld after them is committed",
                   run->r->man_dir, (long long)next);
}

/* Read every file of a committed batch without emitting: damage is noted,
 * not returned; what is returned stops the reading (no schema to decode with). */
static int check_batch(struct read_run *run, int64_t id, struct sluice_error *err)
{
    struct file_sink_reader *r = run->r;
    struct manifest m;
    struct sluice_error e = { 0 };
    if (manifest_load(r, id, &m, &e)) return damaged(run, id, id, err, "%s", e.message);
    if (strcmp(m.format, "csv") == 0) run->csv_header = m.header;
    int rc = json_array_size(m.files) ? file_sink_read_schema(r, err) : SLUICE_OK;
    int64_t rows = 0, dropped = 0;
    bool read_all = true;
    size_t i;
    json_t *f;
    json_array_foreach(m.files, i, f) {
        if (rc) break;
        e = (struct sluice_error){ 0 };
        if (file_sink_read_part(r, m.format, m.header, false, json_string_value(f), &rows, &dropped, &e)) {
            rc = damaged(run, id, id, err, "%s", e.message);
            read_all = false;
        }
    }
    if (!rc && read_all && rows != m.rows)
        rc = damaged(run, id, id, err, "it holds %lld rows, its manifest says %lld", (long long)rows,
                     (long long)m.rows);
    json_decref(m.root);
    return rc;
}

/* Emit a batch. An intact one must read as checked; of a damaged one,
 * what can be read: the files its manifest lists, or without one the part
 * files named for it, lines that do not decode dropped. */
static int emit_batch(struct read_run *run, int64_t id, struct sluice_error *err)
{
    struct file_sink_reader *r = run->r;
    bool bad = is_damaged(run, id);
    struct manifest m;
    struct sluice_error e = { 0 };
    int64_t rows = 0, dropped = 0;
    if (!has_manifest(run, id) || manifest_load(r, id, &m, &e)) {
        for (size_t i = 0; i < run->n_orphans; i++) {
            const struct part *p = &run->orphans[i];
            if (p->batch != id) continue;
            const char *format = strstr(p->name, ".csv") ? "csv" : "json";
            int rc = file_sink_read_schema(r, err);
            if (rc) return rc;
            e = (struct sluice_error){ 0 };
            rc = file_sink_read_part(r, format, run->csv_header > 0, true, p->name, &rows, &dropped, &e);
            if (rc && r->emit_failed) { /* what is unreadable is already named; a failed emit stops */
                *err = e;
                return rc;
            }
        }
        return SLUICE_OK;
    }
    int rc = json_array_size(m.files) ? file_sink_read_schema(r, err) : SLUICE_OK;
    size_t i;
    json_t *f;
    json_array_foreach(m.files, i, f) {
        if (rc) break;
        e = (struct sluice_error){ 0 };
        int frc = file_sink_read_part(r, m.format, m.header, bad, json_string_value(f), &rows, &dropped, &e);
        if (frc && (!bad || r->emit_failed)) {
            *err = e;
            rc = frc;
        }
    }
    /* Checked a moment ago: only a file changed since can get here. */
    if (!rc && !bad && rows != m.rows)
        rc = r->host->error(err, SLUICE_EDATA, "batch %lld of '%s' holds %lld rows, its manifest says %lld",
                            (long long)id, r->path, (long long)rows, (long long)m.rows);
    json_decref(m.root);
    return rc;
}

/* ---- the reading ---- */

static int read_run(struct read_run *run, const struct sluice_read_request *req, sluice_emit_fn emit,
                    void *emit_arg, struct sluice_error *err)
{
    struct file_sink_reader *r = run->r;
    const struct sluice_host *h = r->host;
    bool one = req->batch >= 0;
    struct stat st;
    if (stat(r->path, &st) != 0)
        return h->error(err, SLUICE_ECONFIG, "cannot read '%s': %s", r->path, strerror(errno));
    if (stat(r->man_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        int rc = h->error(err, SLUICE_ECONFIG, "'%s' is not a sluice file sink output: no %s", r->path,
                          FILE_SINK_MANIFEST_DIR);
        h->error_hint(err, "give the path option of a stage with sink = \"file\"");
        return rc;
    }
    int rc = list_batches(r, &run->ids, &run->n_ids, err);
    if (!rc) rc = list_orphans(run, err);
    if (rc || !run->n_ids) return rc;
    /* Batches from the first with a manifest or a part file to the last
     * committed; part files above it are a batch under way. */
    int64_t lo = run->ids[0], hi = run->ids[run->n_ids - 1];
    if (run->n_orphans && run->orphans[0].batch < lo) lo = run->orphans[0].batch;
    if (one) {
        if (!has_manifest(run, req->batch) && (req->batch < lo || req->batch > hi)) {
            rc = h->error(err, SLUICE_ECONFIG, "batch %lld is not committed in '%s'", (long long)req->batch,
                          r->path);
            h->error_hint(err, "committed batches run from %lld to %lld", (long long)run->ids[0], (long long)hi);
            return rc;
        }
        lo = hi = req->batch;
    }

    /* Check every batch before emitting any. */
    int64_t gap = -1; /* the first of a run of missing manifests */
    for (int64_t id = lo; id <= hi && !rc; id++) {
        if (!has_manifest(run, id)) {
            if (gap < 0) gap = id;
            continue;
        }
        if (gap >= 0) rc = missing(run, gap, id - 1, id, err);
        gap = -1;
        if (!rc) rc = check_batch(run, id, err);
    }
    if (!rc && gap >= 0) { /* one batch, a gap: the next committed batch is after it */
        size_t k = 0;
        while (run->ids[k] < gap) k++;
        rc = missing(run, gap, hi, run->ids[k], err);
    }
    if (rc) return rc;
    int64_t total = hi - lo + 1;
    if (run->n_bad && !run->ignore) {
        rc = h->error(err, SLUICE_EDATA, "%zu of %lld batch%s of '%s' %s damaged: nothing was printed", run->n_bad,
                      (long long)total, total == 1 ? "" : "es", r->path, run->n_bad == 1 ? "is" : "are");
        h->error_hint(err, "--ignore-damaged prints the rows that can still be read");
        return rc;
    }
    if (run->n_bad)
        h->log(NULL, SLUICE_LOG_WARN,
               "--ignore-damaged: printing what can be read of '%s'; the damaged batches above may lack rows",
               r->path);

    r->emit = emit;
    r->emit_arg = emit_arg;
    for (int64_t id = lo; id <= hi && !rc; id++)
        if (has_manifest(run, id) || is_damaged(run, id)) rc = emit_batch(run, id, err);
    if (!rc && run->n_bad)
        rc = h->error(err, SLUICE_EDATA, "%zu of %lld batch%s of '%s' %s damaged: printed what could be read",
                      run->n_bad, (long long)total, total == 1 ? "" : "es", r->path,
                      run->n_bad == 1 ? "is" : "are");
    return rc;
}

int file_sink_read_committed(const struct sluice_host *host, const struct sluice_read_request *req,
                             sluice_emit_fn emit, void *emit_arg, struct sluice_error *err)
{
    struct file_sink_reader r = { .host = host, .path = req->path };
    struct sluice_buf man = { 0 };
    if (sluice_buf_printf(&man, "%s/" FILE_SINK_MANIFEST_DIR, req->path))
        return host->error(err, SLUICE_ENOMEM, "out of memory reading '%s'", req->path);
    r.man_dir = man.data;
    struct read_run run = { .r = &r, .ignore = req->ignore_damaged, .csv_header = -1 };
    int rc = read_run(&run, req, emit, emit_arg, err);
    for (size_t i = 0; i < run.n_orphans; i++) free(run.orphans[i].name);
    free(run.orphans);
    free(run.ids);
    free(run.bad);
    file_sink_reader_free(&r);
    return rc;
}
