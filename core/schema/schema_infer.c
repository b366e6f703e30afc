/* core/schema/schema_infer.c — Spark's JSON schema inference (JsonInferSchema).
 *
 * Each line is parsed with jansson (this is not a hot path) and typed:
 * null and "" are NullType, integers long, other numbers double, strings
 * string (or timestamp when asked and they parse with a time of day),
 * objects structs with fields sorted by name, arrays the merge of their
 * elements. Lines merge with compatibleType: equal types stay, null yields
 * to anything, long and double widen to double, structs merge field by
 * field, arrays by element, and every other pair becomes string. At the end
 * null becomes string and structs left without fields are dropped, as
 * Spark's canonicalizeType does. A top-level array of objects contributes
 * each object, as Spark reads each as a row. */
#include "schema_infer.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "error.h"
#include "mem.h"
#include "schema.h"
#include "timefmt.h"

enum ikind { I_NULL, I_BOOLEAN, I_LONG, I_DOUBLE, I_TIMESTAMP, I_STRING, I_STRUCT, I_ARRAY };

struct itype;

struct ifield {
    char *name;
    struct itype *type;
};

struct itype {
    enum ikind kind;
    size_t n_fields;        /* struct: sorted by name */
    struct ifield *fields;
    struct itype *elem;     /* array */
};

static struct itype *itype_new(enum ikind k)
{
    struct itype *t = sluice_xcalloc(1, sizeof *t);
    t->kind = k;
    return t;
}

static void itype_free(struct itype *t)
{
    if (!t) return;
    for (size_t i = 0; i < t->n_fields; i++) {
        free(t->fields[i].name);
        itype_free(t->fields[i].type);
    }
    free(t->fields);
    itype_free(t->elem);
    free(t);
}

static struct itype *merge(struct itype *a, struct itype *b);

/* Merge two sorted field lists; consumes both structs' fields. */
static void merge_fields(struct itype *a, struct itype *b)
{
    struct ifield *out = sluice_xcalloc(a->n_fields + b->n_fields + 1, sizeof *out);
    size_t i = 0, j = 0, n = 0;
    while (i < a->n_fields || j < b->n_fields) {
        int c = i == a->n_fields ? 1 : j == b->n_fields ? -1 : strcmp(a->fields[i].name, b->fields[j].name);
        if (c < 0) {
            out[n++] = a->fields[i++];
        } else if (c > 0) {
            out[n++] = b->fields[j++];
        } else {
            struct ifield fa = a->fields[i++];
            fa.type = merge(fa.type, b->fields[j].type);
            free(b->fields[j++].name);
            out[n++] = fa;
        }
    }
    free(a->fields);
    free(b->fields);
    a->fields = out;
    a->n_fields = n;
    b->fields = NULL;
    b->n_fields = 0;
}

/* Spark's compatibleType; consumes both, returns the result. */
static struct itype *merge(struct itype *a, struct itype *b)
{
    if (a->kind == I_NULL) {
        itype_free(a);
        return b;
    }
    if (b->kind == I_NULL) {
        itype_free(b);
        return a;
    }
    if (a->kind == b->kind) {
        if (a->kind == I_STRUCT) merge_fields(a, b);
        if (a->kind == I_ARRAY) {
            a->elem = merge(a->elem, b->elem);
            b->elem = NULL;
        }
        itype_free(b);
        return a;
    }
    enum ikind k = (a->kind == I_LONG && b->kind == I_DOUBLE) || (a->kind == I_DOUBLE && b->kind == I_LONG)
                       ? I_DOUBLE
                       : I_STRING;
    itype_free(a);
    itype_free(b);
    return itype_new(k);
}

static int field_cmp(const void *x, const void *y)
{
    return strcmp(((const struct ifield *)x)->name, ((const struct ifield *)y)->name);
}

static struct itype *infer(const json_t *v, const struct sluice_infer_opts *opts)
{
    switch (json_typeof(v)) {
    case JSON_NULL: return itype_new(I_NULL);
    case JSON_TRUE:
    case JSON_FALSE: return itype_new(I_BOOLEAN);
    case JSON_INTEGER: return itype_new(I_LONG);
    case JSON_REAL: return itype_new(I_DOUBLE);
    case JSON_STRING: {
        size_t n = json_string_length(v);
        int64_t us;
        /* Spark treats "" like null, so a column of "" and numbers stays a number. */
        if (n == 0) return itype_new(I_NULL);
        /* A bare date is not a timestamp under Spark's default pattern. */
        if (opts->infer_timestamps && n > 10 && sluice_time_parse(json_string_value(v), n, &us) == 0)
            return itype_new(I_TIMESTAMP);
        return itype_new(I_STRING);
    }
    case JSON_OBJECT: {
        struct itype *t = itype_new(I_STRUCT);
        t->fields = sluice_xcalloc(json_object_size(v) + 1, sizeof *t->fields);
        const char *key;
        json_t *val;
        json_object_foreach((json_t *)v, key, val) {
            t->fields[t->n_fields].name = sluice_xstrdup(key);
            t->fields[t->n_fields++].type = infer(val, opts);
        }
        qsort(t->fields, t->n_fields, sizeof *t->fields, field_cmp);
        return t;
    }
    case JSON_ARRAY: {
        struct itype *t = itype_new(I_ARRAY);
        t->elem = itype_new(I_NULL);
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) t->elem = merge(t->elem, infer(e, opts));
        return t;
    }
    }
    return itype_new(I_NULL);
}

/* canonicalizeType: false means the type disappears (an empty struct). */
static bool canonical(struct itype *t)
{
    switch (t->kind) {
    case I_NULL:
        t->kind = I_STRING;
        return true;
    case I_ARRAY:
        return canonical(t->elem);
    case I_STRUCT: {
        size_t n = 0;
        for (size_t i = 0; i < t->n_fields; i++) {
            struct ifield f = t->fields[i];
            if (f.name[0] && canonical(f.type)) {
                t->fields[n++] = f;
            } else {
                free(f.name);
                itype_free(f.type);
            }
        }
        t->n_fields = n;
        return n > 0;
    }
    default:
        return true;
    }
}

static void to_arrow(const struct itype *t, const char *name, bool nullable, struct ArrowSchema *out)
{
    static const char *const formats[] = {
        [I_NULL] = SLUICE_FORMAT_STRING,   [I_BOOLEAN] = SLUICE_FORMAT_BOOLEAN,
        [I_LONG] = SLUICE_FORMAT_LONG,     [I_DOUBLE] = SLUICE_FORMAT_DOUBLE,
        [I_TIMESTAMP] = SLUICE_FORMAT_TIMESTAMP, [I_STRING] = SLUICE_FORMAT_STRING,
        [I_STRUCT] = SLUICE_FORMAT_STRUCT, [I_ARRAY] = SLUICE_FORMAT_ARRAY,
    };
    int64_t n = t->kind == I_STRUCT ? (int64_t)t->n_fields : t->kind == I_ARRAY ? 1 : 0;
    sluice_schema_init(out, formats[t->kind], name, nullable, n);
    if (t->kind == I_STRUCT)
        for (size_t i = 0; i < t->n_fields; i++)
            to_arrow(t->fields[i].type, t->fields[i].name, true, out->children[i]);
    else if (t->kind == I_ARRAY)
        to_arrow(t->elem, "element", true, out->children[0]);
}

static bool blank_line(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') return false;
    return true;
}

/* strerror, lower-case as our messages are. */
static int io_error(struct sluice_error *err, const char *fmt, const char *path, int e)
{
    char reason[128];
    snprintf(reason, sizeof reason, "%s", strerror(e));
    if (reason[0] >= 'A' && reason[0] <= 'Z' && !(reason[1] >= 'A' && reason[1] <= 'Z')) reason[0] += 'a' - 'A';
    return sluice_error_set(err, SLUICE_EIO, fmt, path, reason);
}

/* Merge the lines of one file into *root; *lines counts the non-blank
 * lines read so far, across files, for max_lines. */
static int infer_file(const char *path, const struct sluice_infer_opts *opts, struct itype **root, int64_t *lines,
                      struct sluice_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return io_error(err, "cannot open '%s': %s", path, errno);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    bool first = true;
    while ((opts->max_lines <= 0 || *lines < opts->max_lines) && (len = getline(&line, &cap, f)) >= 0) {
        const char *s = line;
        size_t n = (size_t)len;
        if (first && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) {
            s += 3;
            n -= 3;
        }
        first = false;
        if (blank_line(s, n)) continue;
        (*lines)++;
        json_error_t jerr;
        /* Spark reads the first value of a line and ignores what follows. */
        json_t *doc = json_loadb(s, n, JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK | JSON_ALLOW_NUL, &jerr);
        if (!doc) continue; /* malformed: skipped */
        if (json_is_object(doc)) {
            *root = merge(*root, infer(doc, opts));
        } else if (json_is_array(doc)) {
            size_t i;
            json_t *e;
            json_array_foreach(doc, i, e) if (json_is_object(e)) *root = merge(*root, infer(e, opts));
        }
        json_decref(doc);
    }
    int e = errno;
    bool failed = ferror(f);
    free(line);
    fclose(f);
    return failed ? io_error(err, "cannot read '%s': %s", path, e) : SLUICE_OK;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory is read as Spark's spark.read.json(dir) and the file source
 * read it: every file in it, in name order, but names starting with '.'
 * or '_' (hidden, temporary, _SUCCESS) and subdirectories. */
static int infer_dir(const char *path, const struct sluice_infer_opts *opts, struct itype **root,
                     struct sluice_error *err)
{
    DIR *d = opendir(path);
    if (!d) return io_error(err, "cannot read directory '%s': %s", path, errno);
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.' || e->d_name[0] == '_') continue;
        names = sluice_xrealloc(names, (n + 1) * sizeof *names);
        names[n++] = sluice_xstrdup(e->d_name);
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, by_name); /* names is NULL when n is 0 */
    int rc = SLUICE_OK;
    int64_t lines = 0;
    size_t files = 0;
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(path) + strlen(names[i]) + 2;
        char *file = sluice_xmalloc(len);
        snprintf(file, len, "%s/%s", path, names[i]);
        struct stat st;
        if (!rc && stat(file, &st) == 0 && S_ISREG(st.st_mode)) {
            rc = infer_file(file, opts, root, &lines, err);
            files++;
        }
        free(file);
        free(names[i]);
    }
    free(names);
    if (!rc && !files) {
        rc = sluice_error_set(err, SLUICE_EIO, "directory '%s' has no files to read", path);
        sluice_error_hint(err, "names starting with '.' or '_' are skipped, as Spark skips them");
    }
    return rc;
}

int sluice_schema_infer_file(const char *path, const struct sluice_infer_opts *opts,
                             struct ArrowSchema *out, struct sluice_error *err)
{
    static const struct sluice_infer_opts defaults = { 0 };
    if (!opts) opts = &defaults;
    struct stat st;
    if (stat(path, &st) != 0) return io_error(err, "cannot open '%s': %s", path, errno);
    struct itype *root = itype_new(I_STRUCT);
    int64_t lines = 0;
    int rc = S_ISDIR(st.st_mode) ? infer_dir(path, opts, &root, err) : infer_file(path, opts, &root, &lines, err);
    if (rc) {
        itype_free(root);
        return rc;
    }
    canonical(root); /* a root left without fields is the empty struct */
    to_arrow(root, "", false, out);
    itype_free(root);
    return SLUICE_OK;
}
