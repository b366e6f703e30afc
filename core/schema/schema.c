/* Schema nodes, the parse entry points and printSchema().
 *
 * The JSON side (Spark's StructType.json() both ways) is in schema_json.c and
 * the DDL side in schema_ddl.c; this file owns the node layout they share. */
#include "schema.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "mem.h"
#include "utf8.h"

/* What a node made here owns. The child structs live in the same block as
 * the pointers to them, so sluice_schema_init hands out n zeroed nodes the
 * caller fills in place (or moves a finished node into) at no extra cost. */
struct schema_priv {
    char *name;
    char *metadata;
    struct ArrowSchema *dictionary;
    struct ArrowSchema **children; /* into nodes[], then the format string */
    int64_t n_children;
    struct ArrowSchema nodes[];
};

static void release_node(struct ArrowSchema *s)
{
    struct schema_priv *p = s->private_data;
    /* A consumer may have moved a child out (NULLing its release), so only
     * children still holding a release are ours to release. */
    for (int64_t i = 0; i < p->n_children; i++)
        if (p->children[i]->release) p->children[i]->release(p->children[i]);
    if (p->dictionary) {
        if (p->dictionary->release) p->dictionary->release(p->dictionary);
        free(p->dictionary);
    }
    free(p->metadata);
    free(p->name);
    free(p);
    s->release = NULL;
    s->private_data = NULL;
}

void sluice_schema_init(struct ArrowSchema *out, const char *format, const char *name,
                        bool nullable, int64_t n_children)
{
    size_t n = n_children > 0 ? (size_t)n_children : 0;
    if (!format) format = "";
    size_t flen = strlen(format) + 1;
    /* sizeof(struct ArrowSchema) is a multiple of the pointer size, so the
     * pointer array after the nodes is aligned. */
    struct schema_priv *p = sluice_xcalloc(
        1, sizeof *p + n * (sizeof(struct ArrowSchema) + sizeof(struct ArrowSchema *)) + flen);
    p->children = (struct ArrowSchema **)(p->nodes + n);
    for (size_t i = 0; i < n; i++) p->children[i] = &p->nodes[i];
    char *fmt = (char *)(p->children + n);
    memcpy(fmt, format, flen);
    p->name = name ? sluice_xstrdup(name) : NULL;
    p->n_children = (int64_t)n;

    memset(out, 0, sizeof *out);
    out->format = fmt;
    out->name = p->name;
    out->flags = nullable ? ARROW_FLAG_NULLABLE : 0;
    out->n_children = (int64_t)n;
    out->children = n ? p->children : NULL;
    out->release = release_node;
    out->private_data = p;
}

/* Arrow metadata is an int32 pair count followed by length-prefixed keys and
 * values, all native-endian and unaligned. */
static size_t metadata_size(const char *m)
{
    int32_t count, len;
    size_t off = sizeof count;
    memcpy(&count, m, sizeof count);
    for (int32_t i = 0; i < 2 * count; i++) {
        memcpy(&len, m + off, sizeof len);
        off += sizeof len + (len > 0 ? (size_t)len : 0);
    }
    return off;
}

void sluice_schema_copy(const struct ArrowSchema *in, struct ArrowSchema *out)
{
    sluice_schema_init(out, in->format, in->name, false, in->n_children);
    out->flags = in->flags;
    struct schema_priv *p = out->private_data;
    if (in->metadata) {
        size_t n = metadata_size(in->metadata);
        p->metadata = sluice_xmalloc(n);
        memcpy(p->metadata, in->metadata, n);
        out->metadata = p->metadata;
    }
    if (in->dictionary) {
        p->dictionary = sluice_xcalloc(1, sizeof *p->dictionary);
        sluice_schema_copy(in->dictionary, p->dictionary);
        out->dictionary = p->dictionary;
    }
    for (int64_t i = 0; i < in->n_children; i++)
        sluice_schema_copy(in->children[i], out->children[i]);
}

void sluice_schema_release(struct ArrowSchema *s)
{
    if (s && s->release) s->release(s);
    if (s) s->release = NULL;
}

void sluice_schema_set_name(struct ArrowSchema *s, const char *name)
{
    /* Only our own nodes keep their name where we can free it. */
    if (s->release != release_node) return;
    struct schema_priv *p = s->private_data;
    char *copy = name ? sluice_xstrdup(name) : NULL;
    free(p->name);
    p->name = copy;
    s->name = copy;
}

static bool same_name(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

bool sluice_schema_equal(const struct ArrowSchema *a, const struct ArrowSchema *b)
{
    if (a == b) return true;
    if (!a || !b) return false;
    enum sluice_type ta = sluice_type_of(a), tb = sluice_type_of(b);
    /* "tsu:" and "tsu:UTC" hold the same values; other formats must match. */
    if (ta != tb) return false;
    if (ta == SLUICE_TYPE_INVALID && !same_name(a->format, b->format)) return false;
    if (!same_name(a->name, b->name)) return false;
    if ((a->flags & ARROW_FLAG_NULLABLE) != (b->flags & ARROW_FLAG_NULLABLE)) return false;
    if (a->n_children != b->n_children) return false;
    for (int64_t i = 0; i < a->n_children; i++) {
        const struct ArrowSchema *ca = a->children[i], *cb = b->children[i];
        if ((ta == SLUICE_TYPE_ARRAY || ta == SLUICE_TYPE_MAP) && !same_name(ca->name, cb->name)) {
            /* Arrow writers name a list's child "item" or "element" at will;
             * Spark's ArrayType has no such name, so it does not count. */
            struct ArrowSchema ra = *ca, rb = *cb;
            ra.name = rb.name = NULL;
            if (!sluice_schema_equal(&ra, &rb)) return false;
        } else if (!sluice_schema_equal(ca, cb)) {
            return false;
        }
    }
    return true;
}

int64_t sluice_schema_child_index(const struct ArrowSchema *s, const char *name)
{
    for (int64_t i = 0; i < s->n_children; i++)
        if (s->children[i]->name && strcmp(s->children[i]->name, name) == 0) return i;
    return -1;
}

void sluice_schema_init_struct(struct ArrowSchema *out, const char *name, bool nullable,
                               struct ArrowSchema *fields, int64_t n)
{
    sluice_schema_init(out, SLUICE_FORMAT_STRUCT, name, nullable, n);
    for (int64_t i = 0; i < n; i++) {
        *out->children[i] = fields[i];
        fields[i].release = NULL;
    }
}

bool sluice_schema_groupable(const struct ArrowSchema *s)
{
    if (sluice_type_of(s) == SLUICE_TYPE_MAP) return false;
    for (int64_t i = 0; i < s->n_children; i++)
        if (!sluice_schema_groupable(s->children[i])) return false;
    return true;
}

void sluice_schema_init_map(struct ArrowSchema *out, const char *name, bool nullable, struct ArrowSchema *key,
                            struct ArrowSchema *value)
{
    sluice_schema_init(out, SLUICE_FORMAT_MAP, name, nullable, 1);
    struct ArrowSchema *entries = out->children[0];
    sluice_schema_init(entries, SLUICE_FORMAT_STRUCT, "entries", false, 2);
    *entries->children[0] = *key;
    *entries->children[1] = *value;
    key->release = value->release = NULL;
    sluice_schema_set_name(entries->children[0], "key");
    sluice_schema_set_name(entries->children[1], "value");
    entries->children[0]->flags &= ~ARROW_FLAG_NULLABLE; /* a map key is never null */
}

void sluice_schema_init_list(struct ArrowSchema *out, const char *name, bool nullable,
                             struct ArrowSchema *element)
{
    sluice_schema_init(out, SLUICE_FORMAT_ARRAY, name, nullable, 1);
    *out->children[0] = *element;
    element->release = NULL;
    sluice_schema_set_name(out->children[0], "element");
}

const char *sluice_schema_find_duplicate(const struct ArrowSchema *s)
{
    /* Quadratic, but schemas are parsed once and rarely wider than a few
     * hundred fields. */
    for (int64_t i = 1; i < s->n_children; i++)
        for (int64_t j = 0; j < i; j++)
            if (s->children[i]->name && s->children[j]->name &&
                strcmp(s->children[i]->name, s->children[j]->name) == 0)
                return s->children[i]->name;
    return NULL;
}

/* ---- parsing: dispatch and files ----------------------------------------- */

static const char *skip_space(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f' || *p == '\v') p++;
    return p;
}

int sluice_schema_parse(const char *text, struct ArrowSchema *out, struct sluice_error *err)
{
    const char *p = skip_space(text);
    if (*p == '@') return sluice_schema_parse_file(p + 1, out, err);
    if (*p == '{') return sluice_schema_parse_json_from(text, NULL, out, err);
    return sluice_schema_parse_ddl_from(text, NULL, out, err);
}

/* A record may be reused: drop the hint and excerpt of an earlier error. */
static void clear_extras(struct sluice_error *err)
{
    if (!err) return;
    err->hint[0] = '\0';
    sluice_error_excerpt(err, "", 0);
}

/* strerror() capitalises; our messages are lower-case throughout. */
static void set_file_error(struct sluice_error *err, const char *path, int e)
{
    char reason[128];
    snprintf(reason, sizeof reason, "%s", strerror(e));
    if (reason[0] >= 'A' && reason[0] <= 'Z' && !(reason[1] >= 'A' && reason[1] <= 'Z'))
        reason[0] = (char)(reason[0] - 'A' + 'a');
    sluice_error_set(err, SLUICE_ECONFIG, "cannot read schema file '%s': %s", path, reason);
    clear_extras(err);
}

int sluice_schema_parse_file(const char *path, struct ArrowSchema *out, struct sluice_error *err)
{
    memset(out, 0, sizeof *out);
    if (!path[0]) {
        sluice_error_set(err, SLUICE_ECONFIG, "schema '@' names no file");
        clear_extras(err);
        if (err) snprintf(err->hint, sizeof err->hint, "write schema = \"@path/to/schema.json\"");
        return SLUICE_ECONFIG;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        set_file_error(err, path, errno);
        return SLUICE_ECONFIG;
    }
    struct sluice_buf b = { 0 };
    char chunk[8192];
    size_t got;
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0)
        if (sluice_buf_append(&b, chunk, got)) {
            sluice_buf_free(&b);
            fclose(f);
            return sluice_error_set(err, SLUICE_ENOMEM, "out of memory reading '%s'", path);
        }
    int read_errno = ferror(f) ? errno : 0;
    fclose(f);
    if (read_errno) {
        sluice_buf_free(&b);
        set_file_error(err, path, read_errno);
        return SLUICE_ECONFIG;
    }
    const char *text = b.data ? b.data : "";
    if (b.len != strlen(text)) {
        sluice_buf_free(&b);
        sluice_error_set(err, SLUICE_ECONFIG, "schema file '%s' holds a NUL byte", path);
        clear_extras(err);
        return SLUICE_ECONFIG;
    }
    /* Editors on some systems start UTF-8 files with a byte order mark. */
    if ((unsigned char)text[0] == 0xEF && (unsigned char)text[1] == 0xBB &&
        (unsigned char)text[2] == 0xBF)
        text += 3;
    const char *p = skip_space(text);
    int rc;
    if (!*p) {
        rc = sluice_error_set(err, SLUICE_ECONFIG, "schema file '%s' is empty", path);
        clear_extras(err);
    } else if (*p == '{') {
        rc = sluice_schema_parse_json_from(text, path, out, err);
    } else {
        rc = sluice_schema_parse_ddl_from(text, path, out, err);
    }
    sluice_buf_free(&b);
    return rc;
}

/* ---- printSchema() -------------------------------------------------------- */

const char *sluice_schema_decimal_format(long precision, long scale, char *fmt, const char **why)
{
    static char msg[96];
    if (precision < 1 || precision > SLUICE_DECIMAL_MAX_PRECISION) {
        snprintf(msg, sizeof msg, "Decimal precision %ld exceeds max precision %d (and must be at least 1)",
                 precision, SLUICE_DECIMAL_MAX_PRECISION);
        *why = msg;
        return NULL;
    }
    if (scale < 0 || scale > precision) {
        snprintf(msg, sizeof msg, "Decimal scale (%ld) cannot be greater than precision (%ld) or negative", scale,
                 precision);
        *why = msg;
        return NULL;
    }
    snprintf(fmt, 48, "d:%ld,%ld", precision, scale);
    return fmt;
}

const char *sluice_schema_decimal_name(const struct ArrowSchema *s, char *buf)
{
    int p, sc;
    sluice_decimal_params(s, &p, &sc);
    snprintf(buf, 24, "decimal(%d,%d)", p, sc);
    return buf;
}

/* Spark's typeName: what printSchema() shows after the colon. */
static const char *tree_type_name(const struct ArrowSchema *s, char *buf)
{
    enum sluice_type t = sluice_type_of(s);
    if (t == SLUICE_TYPE_DECIMAL) return sluice_schema_decimal_name(s, buf);
    return t == SLUICE_TYPE_INVALID ? (s->format ? s->format : "?") : sluice_type_name(t);
}

/* Spark's SchemaUtils.escapeMetaCharacters, so a name with a newline cannot
 * break the tree. */
static void put_escaped_name(struct sluice_buf *out, const char *name)
{
    for (const char *p = name ? name : ""; *p; p++) {
        switch (*p) {
        case '\n': sluice_buf_puts(out, "\\n"); break;
        case '\r': sluice_buf_puts(out, "\\r"); break;
        case '\t': sluice_buf_puts(out, "\\t"); break;
        case '\f': sluice_buf_puts(out, "\\f"); break;
        case '\b': sluice_buf_puts(out, "\\b"); break;
        case '\v': sluice_buf_puts(out, "\\v"); break;
        case '\a': sluice_buf_puts(out, "\\a"); break;
        default: sluice_buf_putc(out, *p);
        }
    }
}

/* Spark's DataType.buildFormattedString: a struct lists its fields and an
 * array its element, each one level deeper ("    |" more prefix). */
static void tree_children(const struct ArrowSchema *s, struct sluice_buf *prefix,
                          struct sluice_buf *out)
{
    enum sluice_type t = sluice_type_of(s);
    char tname[24];
    if (t == SLUICE_TYPE_MAP && s->n_children == 1 && s->children[0]->n_children == 2) {
        /* Spark: key and value, the value with its valueContainsNull. */
        const struct ArrowSchema *k = s->children[0]->children[0], *v = s->children[0]->children[1];
        size_t len = prefix->len;
        sluice_buf_printf(out, "%s-- key: %s\n", prefix->data, tree_type_name(k, tname));
        sluice_buf_puts(prefix, "    |");
        tree_children(k, prefix, out);
        prefix->len = len;
        prefix->data[len] = '\0';
        sluice_buf_printf(out, "%s-- value: %s (valueContainsNull = %s)\n", prefix->data, tree_type_name(v, tname),
                          v->flags & ARROW_FLAG_NULLABLE ? "true" : "false");
        sluice_buf_puts(prefix, "    |");
        tree_children(v, prefix, out);
        prefix->len = len;
        prefix->data[len] = '\0';
        return;
    }
    if (t != SLUICE_TYPE_STRUCT && t != SLUICE_TYPE_ARRAY) return;
    for (int64_t i = 0; i < s->n_children; i++) {
        const struct ArrowSchema *c = s->children[i];
        bool nullable = (c->flags & ARROW_FLAG_NULLABLE) != 0;
        sluice_buf_puts(out, prefix->data);
        sluice_buf_puts(out, "-- ");
        if (t == SLUICE_TYPE_ARRAY) {
            sluice_buf_printf(out, "element: %s (containsNull = %s)\n", tree_type_name(c, tname),
                              nullable ? "true" : "false");
        } else {
            put_escaped_name(out, c->name);
            sluice_buf_printf(out, ": %s (nullable = %s)\n", tree_type_name(c, tname),
                              nullable ? "true" : "false");
        }
        size_t len = prefix->len;
        sluice_buf_puts(prefix, "    |");
        tree_children(c, prefix, out);
        prefix->len = len;
        prefix->data[len] = '\0';
    }
}

void sluice_schema_print_tree(const struct ArrowSchema *s, struct sluice_buf *out)
{
    struct sluice_buf prefix = { 0 };
    sluice_buf_puts(&prefix, " |");
    sluice_buf_puts(out, "root\n");
    tree_children(s, &prefix, out);
    sluice_buf_free(&prefix);
}

/* ---- error excerpts ------------------------------------------------------ */

void sluice_schema_error_excerpt(struct sluice_error *err, const char *text, const char *at)
{
    if (!err) return;
    const char *ls = at, *le = at;
    while (ls > text && ls[-1] != '\n') ls--;
    while (*le && *le != '\n') le++;
    if (le > at && le[-1] == '\r') le--;
    /* Room for the text plus "..." on both sides and the NUL. */
    const size_t room = sizeof err->excerpt - 7;
    const char *ws = ls, *we = le;
    if ((size_t)(le - ls) > room) {
        ws = at - ls > 100 ? at - 100 : ls;
        while (ws > ls && sluice_utf8_continuation((unsigned char)*ws)) ws--;
        we = (size_t)(le - ws) > room ? ws + room : le;
        while (we > at && we < le && sluice_utf8_continuation((unsigned char)*we)) we--;
    }
    char buf[sizeof err->excerpt];
    snprintf(buf, sizeof buf, "%s%.*s%s", ws > ls ? "..." : "", (int)(we - ws), ws,
             we < le ? "..." : "");
    /* The caret counts characters, so a multi-byte letter is one column. */
    int position = ws > ls ? 4 : 1;
    for (const char *q = ws; q < at; q++)
        if (!sluice_utf8_continuation((unsigned char)*q)) position++;
    sluice_error_excerpt(err, buf, position);
}
