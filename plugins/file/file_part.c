/* Partition discovery: `key=value` directories below the file source's
 * path become columns, as Spark's PartitioningUtils makes them, but only
 * the ones the schema names or `partition_columns` lists (a stream's
 * columns are what the user declared). See file_source.h.
 *
 * At open the tree is walked once for the partition directories present:
 * a schema column named like one is a partition column, typed as the
 * schema says; a column only listed in partition_columns is typed from
 * the values present as Spark infers them: whole numbers LONG (Spark's
 * int and long; sluice has no 32-bit integer), other numbers DOUBLE,
 * `yyyy-MM-dd HH:mm:ss[.S]` TIMESTAMP, mixed LONG and DOUBLE DOUBLE, and
 * anything else STRING — including dates (sluice has no DATE type yet:
 * the text `2021-05-03` is what Spark writes for one) and whole numbers
 * beyond a long (Spark's decimals: text keeps them exact). Values are
 * URL-unescaped (%3A is ':') and __HIVE_DEFAULT_PARTITION__ is null; a
 * value that does not convert to the column's type is null, as Spark's
 * cast makes it. The columns follow the data columns, in directory
 * order, as in Spark's schema. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "file_source.h"

#define HIVE_NULL "__HIVE_DEFAULT_PARTITION__"

static int oom(const struct file_source *fs, struct sluice_error *err)
{
    return fs->host->error(err, SLUICE_ENOMEM, "out of memory");
}

/* ---- values ---- */

static int hex(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Spark's unescapePathName: %XX is the byte XX, a '%' otherwise itself. */
static size_t unescape(const char *s, size_t n, char *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
            out[k++] = (char)(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
        } else {
            out[k++] = s[i];
        }
    }
    out[k] = '\0';
    return k;
}

static bool parse_long(const char *s, int64_t *v)
{
    if (!*s || (*s != '-' && *s != '+' && (*s < '0' || *s > '9'))) return false;
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (*end || errno) return false;
    *v = x;
    return true;
}

static bool parse_double(const char *s, double *v)
{
    if (!*s || strchr(" \t\n", *s)) return false;
    char *end;
    double x = strtod(s, &end);
    if (*end || end == s) return false;
    *v = x;
    return true;
}

static bool is_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return false;
    return true;
}

/* Spark's partition timestamp pattern: yyyy-MM-dd HH:mm:ss[.S...]. */
static bool timestamp_shaped(const char *s)
{
    size_t n = strlen(s);
    if (n < 19 || !is_digits(s, 4) || s[4] != '-' || !is_digits(s + 5, 2) || s[7] != '-' || !is_digits(s + 8, 2) ||
        s[10] != ' ' || !is_digits(s + 11, 2) || s[13] != ':' || !is_digits(s + 14, 2) || s[16] != ':' ||
        !is_digits(s + 17, 2))
        return false;
    return n == 19 || (s[19] == '.' && n > 20 && is_digits(s + 20, n - 20));
}

static bool parse_bool(const char *s, bool *v)
{
    if (strcasecmp(s, "true") == 0) *v = true;
    else if (strcasecmp(s, "false") == 0) *v = false;
    else return false;
    return true;
}

/* Spark's partition date pattern, strictly: yyyy-MM-dd (it formats the
 * date back and keeps it only when the text comes out the same). */
static bool date_shaped(const char *s)
{
    return strlen(s) == 10 && is_digits(s, 4) && s[4] == '-' && is_digits(s + 5, 2) && s[7] == '-' &&
           is_digits(s + 8, 2);
}

/* The type Spark infers for one value, in its order: integers, doubles,
 * dates, timestamps, else strings. */
static enum sluice_type infer_one(const struct sluice_host *host, const char *s)
{
    int64_t l;
    int32_t days;
    double d;
    if (parse_long(s, &l)) return SLUICE_TYPE_LONG;
    if (SLUICE_HOST_HAS(host, parse_date) && date_shaped(s) && host->parse_date(s, 10, &days) == SLUICE_OK)
        return SLUICE_TYPE_DATE;
    if (s[strspn(s, "+-0123456789")] == '\0') return SLUICE_TYPE_STRING; /* beyond a long: exact as text */
    if (parse_double(s, &d) && isfinite(d)) return SLUICE_TYPE_DOUBLE;
    if (timestamp_shaped(s) && host->parse_timestamp(s, strlen(s), &l) == SLUICE_OK) return SLUICE_TYPE_TIMESTAMP;
    return SLUICE_TYPE_STRING;
}

static enum sluice_type wider(enum sluice_type a, enum sluice_type b)
{
    if (a == SLUICE_TYPE_INVALID) return b;
    if (a == b) return a;
    if ((a == SLUICE_TYPE_LONG && b == SLUICE_TYPE_DOUBLE) || (a == SLUICE_TYPE_DOUBLE && b == SLUICE_TYPE_LONG))
        return SLUICE_TYPE_DOUBLE;
    if ((a == SLUICE_TYPE_DATE && b == SLUICE_TYPE_TIMESTAMP) || (a == SLUICE_TYPE_TIMESTAMP && b == SLUICE_TYPE_DATE))
        return SLUICE_TYPE_TIMESTAMP;
    return SLUICE_TYPE_STRING;
}

/* ---- discovery at open ---- */

struct discovered {
    char *name;
    size_t depth;          /* levels below the pattern where it first appeared */
    enum sluice_type type; /* inferred over the values seen; INVALID: none but nulls */
};

struct discovery {
    struct file_source *fs;
    struct discovered *d;
    size_t n, cap;
    char *buf;
    size_t cap_buf;
};

static bool discover_skip(void *arg, const char *rel, bool file)
{
    (void)arg, (void)rel;
    return file; /* only directories matter here */
}

static int discover_dir(void *arg, const char *rel, size_t below, struct sluice_error *err)
{
    struct discovery *dv = arg;
    struct file_source *fs = dv->fs;
    const char *name = strrchr(rel, '/');
    name = name ? name + 1 : rel;
    size_t n = strlen(name);
    if (n + 1 > dv->cap_buf) {
        char *b = realloc(dv->buf, n + 1);
        if (!b) return oom(fs, err);
        dv->buf = b;
        dv->cap_buf = n + 1;
    }
    const char *eq = strchr(name, '=');
    unescape(name, (size_t)(eq - name), dv->buf);
    size_t i = 0;
    while (i < dv->n && strcmp(dv->d[i].name, dv->buf) != 0) i++;
    if (i == dv->n) {
        if (dv->n == dv->cap) {
            size_t cap = dv->cap ? 2 * dv->cap : 8;
            struct discovered *d = realloc(dv->d, cap * sizeof *d);
            if (!d) return oom(fs, err);
            dv->d = d;
            dv->cap = cap;
        }
        char *copy = strdup(dv->buf);
        if (!copy) return oom(fs, err);
        dv->d[dv->n++] = (struct discovered){ copy, below, SLUICE_TYPE_INVALID };
    }
    unescape(eq + 1, strlen(eq + 1), dv->buf);
    if (strcmp(dv->buf, HIVE_NULL) != 0) dv->d[i].type = wider(dv->d[i].type, infer_one(fs->host, dv->buf));
    return SLUICE_OK;
}

static int by_depth(const void *a, const void *b)
{
    const struct discovered *x = a, *y = b;
    return (x->depth > y->depth) - (x->depth < y->depth);
}

/* ---- the columns ---- */

static int64_t schema_index(const struct ArrowSchema *s, const char *name)
{
    for (int64_t i = 0; i < s->n_children; i++)
        if (s->children[i]->name && strcmp(s->children[i]->name, name) == 0) return i;
    return -1;
}

static const char *format_of(enum sluice_type t)
{
    switch (t) {
    case SLUICE_TYPE_LONG: return SLUICE_FORMAT_LONG;
    case SLUICE_TYPE_DOUBLE: return SLUICE_FORMAT_DOUBLE;
    case SLUICE_TYPE_TIMESTAMP: return SLUICE_FORMAT_TIMESTAMP;
    case SLUICE_TYPE_DATE: return SLUICE_FORMAT_DATE;
    case SLUICE_TYPE_BOOLEAN: return SLUICE_FORMAT_BOOLEAN;
    default: return SLUICE_FORMAT_STRING;
    }
}

static bool is_partition(const struct file_parts *p, const char *name)
{
    for (size_t k = 0; k < p->n; k++)
        if (strcmp(p->cols[k].name, name) == 0) return true;
    return false;
}

static int add_column(struct file_source *fs, const char *name, enum sluice_type type, struct sluice_error *err)
{
    struct file_parts *p = &fs->parts;
    if (is_partition(p, name)) return SLUICE_OK;
    struct file_part_col *c = realloc(p->cols, (p->n + 1) * sizeof *c);
    if (!c) return oom(fs, err);
    p->cols = c;
    if (!(c[p->n].name = strdup(name))) return oom(fs, err);
    c[p->n++].type = type;
    return SLUICE_OK;
}

/* The output schema (*out): the data columns, then the partition columns. */
static int build_schemas(struct file_source *fs, struct ArrowSchema *out, struct sluice_error *err)
{
    const struct sluice_host *h = fs->host;
    const struct ArrowSchema *in = fs->conf->schema;
    struct file_parts *p = &fs->parts;
    int64_t n_data = 0;
    for (int64_t i = 0; i < in->n_children; i++) n_data += !is_partition(p, in->children[i]->name);
    h->schema_init(&p->data, SLUICE_FORMAT_STRUCT, "", false, n_data);
    h->schema_init(out, SLUICE_FORMAT_STRUCT, "", false, n_data + (int64_t)p->n);
    h->schema_init(&p->values, SLUICE_FORMAT_STRUCT, "", false, (int64_t)p->n);
    int64_t j = 0;
    for (int64_t i = 0; i < in->n_children; i++) {
        if (is_partition(p, in->children[i]->name)) continue;
        h->schema_copy(in->children[i], p->data.children[j]);
        h->schema_copy(in->children[i], out->children[j++]);
    }
    for (size_t k = 0; k < p->n; k++) {
        const char *f = format_of(p->cols[k].type);
        h->schema_init(out->children[j++], f, p->cols[k].name, true, 0);
        h->schema_init(p->values.children[k], f, p->cols[k].name, true, 0);
    }
    (void)err;
    return SLUICE_OK;
}

int file_parts_open(struct file_source *fs, struct ArrowSchema *out, struct sluice_error *err)
{
    const struct sluice_host *h = fs->host;
    const struct file_conf *conf = fs->conf;
    struct discovery dv = { .fs = fs };
    /* Only directories matter here; what is skipped, the scans say. */
    const struct file_walk_hooks hooks = { discover_skip, NULL, NULL, discover_dir };
    int rc = file_walk(fs, &hooks, &dv, err);
    if (!rc && dv.n) qsort(dv.d, dv.n, sizeof *dv.d, by_depth);
    /* Directory order first, then what is listed but not present yet. */
    for (size_t i = 0; i < dv.n && !rc; i++) {
        int64_t s = schema_index(conf->schema, dv.d[i].name);
        bool listed = false;
        for (size_t k = 0; k < conf->partition_columns.n && !listed; k++)
            listed = strcmp(conf->partition_columns.items[k], dv.d[i].name) == 0;
        if (s >= 0) rc = add_column(fs, dv.d[i].name, sluice_type_of(conf->schema->children[s]), err);
        else if (listed)
            rc = add_column(fs, dv.d[i].name, dv.d[i].type == SLUICE_TYPE_INVALID ? SLUICE_TYPE_STRING : dv.d[i].type,
                            err);
    }
    for (size_t k = 0; k < conf->partition_columns.n && !rc; k++) {
        const char *name = conf->partition_columns.items[k];
        int64_t s = schema_index(conf->schema, name);
        rc = add_column(fs, name, s >= 0 ? sluice_type_of(conf->schema->children[s]) : SLUICE_TYPE_STRING, err);
    }
    for (size_t i = 0; i < dv.n; i++) free(dv.d[i].name);
    free(dv.d);
    free(dv.buf);
    for (size_t k = 0; k < fs->parts.n && !rc; k++) {
        enum sluice_type t = fs->parts.cols[k].type;
        if (t == SLUICE_TYPE_STRUCT || t == SLUICE_TYPE_ARRAY || t == SLUICE_TYPE_INVALID) {
            rc = h->error(err, SLUICE_ECONFIG, "partition column '%s' must be a string, number, boolean or timestamp "
                          "in the schema, not a %s", fs->parts.cols[k].name, sluice_type_name(t));
            sluice_error_key(err, "schema", rc);
        }
    }
    if (rc) return rc;
    if (fs->parts.n == 0) {
        h->schema_copy(conf->schema, out);
        return SLUICE_OK;
    }
    return build_schemas(fs, out, err);
}

void file_parts_free(struct file_source *fs)
{
    struct file_parts *p = &fs->parts;
    for (size_t k = 0; k < p->n; k++) free(p->cols[k].name);
    free(p->cols);
    if (p->data.release) p->data.release(&p->data);
    if (p->values.release) p->values.release(&p->values);
    *p = (struct file_parts){ 0 };
}

bool file_parts_column(const struct file_source *fs, const char *path)
{
    for (size_t k = 0; k < fs->parts.n; k++) {
        size_t n = strlen(fs->parts.cols[k].name);
        if (strncmp(path, fs->parts.cols[k].name, n) == 0 && (!path[n] || path[n] == '.')) return true;
    }
    return false;
}

/* ---- a file's values ---- */

/* The `key=value` directories of `rel` below the pattern's levels. */
static const char *partition_dirs(const struct file_source *fs, const char *rel)
{
    for (size_t i = 0; i < fs->path.n_levels && rel; i++) {
        rel = strchr(rel, '/');
        if (rel) rel++;
    }
    return rel;
}

int file_parts_chain(const struct file_source *fs, const char *rel, struct sluice_buf *out)
{
    sluice_buf_clear(out);
    const char *p = partition_dirs(fs, rel);
    for (const char *slash; p && (slash = strchr(p, '/')) != NULL; p = slash + 1) {
        const char *eq = memchr(p, '=', (size_t)(slash - p));
        if (!eq || sluice_buf_append(out, p, (size_t)(eq - p)) || sluice_buf_putc(out, '/')) return SLUICE_ENOMEM;
    }
    if (!out->data && sluice_buf_puts(out, "")) return SLUICE_ENOMEM;
    return SLUICE_OK;
}

int file_parts_values(const struct file_source *fs, const char *rel, struct file_part_value *v,
                      struct sluice_error *err)
{
    const struct sluice_host *h = fs->host;
    size_t n = strlen(rel);
    char *buf = malloc(n + 1);
    if (!buf) return oom(fs, err);
    int rc = SLUICE_OK;
    for (size_t k = 0; k < fs->parts.n && !rc; k++) {
        /* The deepest directory of that name holds the value (Spark reads them leaf up). */
        const char *name = fs->parts.cols[k].name, *val = NULL;
        size_t val_n = 0;
        const char *p = partition_dirs(fs, rel);
        for (const char *slash; p && (slash = strchr(p, '/')) != NULL; p = slash + 1) {
            const char *eq = memchr(p, '=', (size_t)(slash - p));
            if (!eq) continue;
            unescape(p, (size_t)(eq - p), buf);
            if (strcmp(buf, name) == 0) {
                val = eq + 1;
                val_n = (size_t)(slash - eq - 1);
            }
        }
        v[k] = (struct file_part_value){ .null = true };
        if (!val) continue;
        size_t len = unescape(val, val_n, buf);
        if (strcmp(buf, HIVE_NULL) == 0) continue;
        switch (fs->parts.cols[k].type) {
        case SLUICE_TYPE_LONG: v[k].null = !parse_long(buf, &v[k].l); break;
        case SLUICE_TYPE_DOUBLE: v[k].null = !parse_double(buf, &v[k].d); break;
        case SLUICE_TYPE_BOOLEAN: v[k].null = !parse_bool(buf, &v[k].b); break;
        case SLUICE_TYPE_TIMESTAMP: v[k].null = h->parse_timestamp(buf, len, &v[k].l) != SLUICE_OK; break;
        case SLUICE_TYPE_DATE: {
            int32_t days = 0;
            v[k].null = h->parse_date(buf, len, &days) != SLUICE_OK;
            v[k].l = days;
            break;
        }
        default:
            v[k].s = strndup(buf, len);
            v[k].n = len;
            v[k].null = false;
            if (!v[k].s) rc = oom(fs, err);
        }
    }
    free(buf);
    return rc;
}

void file_parts_values_free(const struct file_source *fs, struct file_part_value *v)
{
    for (size_t k = 0; k < fs->parts.n; k++) free(v[k].s);
}

void file_parts_build(const struct file_source *fs, const struct file_part_value *v, int64_t rows,
                      struct sluice_builder *b)
{
    const struct sluice_host *h = fs->host;
    for (int64_t r = 0; r < rows; r++) {
        h->append_struct(b);
        for (size_t k = 0; k < fs->parts.n; k++) {
            struct sluice_builder *c = h->builder_child(b, (int64_t)k);
            if (v[k].null) {
                h->append_null(c);
                continue;
            }
            switch (fs->parts.cols[k].type) {
            case SLUICE_TYPE_LONG: h->append_long(c, v[k].l); break;
            case SLUICE_TYPE_DOUBLE: h->append_double(c, v[k].d); break;
            case SLUICE_TYPE_BOOLEAN: h->append_bool(c, v[k].b); break;
            case SLUICE_TYPE_TIMESTAMP: h->append_timestamp(c, v[k].l); break;
            case SLUICE_TYPE_DATE: h->append_date(c, (int32_t)v[k].l); break;
            default: h->append_string(c, v[k].s, v[k].n);
            }
        }
    }
}
