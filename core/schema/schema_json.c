/* Spark's StructType JSON, both ways.
 *
 * Users paste what pyspark's `df.schema.json()` prints, so the reader takes
 * exactly that shape (keys in any order) and the writer prints it byte for
 * byte as pyspark does: json.dumps(sort_keys=True, separators=(",", ":")). */
#include "schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "colpath.h"
#include "error.h"
#include "mem.h"
#include "suggest.h"
#include "utf8.h"

/* Deeper nesting than this is a mistake or an attack, not a tweet. */
#define MAX_NESTING 64

struct jctx {
    const char *where;        /* "schema json" or "schema file 'x.json'" */
    struct sluice_buf path;   /* dotted path of the field being parsed */
    int depth;
    struct sluice_error *err;
};

/* Spark type names sluice stores, and the Arrow format each becomes. The
 * narrower integers and float widen: sluice has one integer and one float. */
static const struct { const char *name, *format; } atomic_types[] = {
    { "string", SLUICE_FORMAT_STRING },  { "long", SLUICE_FORMAT_LONG },
    { "integer", SLUICE_FORMAT_LONG },   { "short", SLUICE_FORMAT_LONG },
    { "byte", SLUICE_FORMAT_LONG },      { "double", SLUICE_FORMAT_DOUBLE },
    { "float", SLUICE_FORMAT_DOUBLE },   { "boolean", SLUICE_FORMAT_BOOLEAN },
    { "timestamp", SLUICE_FORMAT_TIMESTAMP }, { "date", SLUICE_FORMAT_DATE },
};

#define SUPPORTED_TYPES \
    "string, long, integer, short, byte, double, float, decimal(p,s), boolean, timestamp, date, array, map, struct"

/* Spark types sluice knows of but cannot hold; matched as prefixes so
 * "decimal(10,2)" and "varchar(5)" count too. */
static const char *const unsupported_types[] = {
    "binary", "timestamp_ntz", "null", "void", "interval",
    "calendarinterval", "char", "varchar", "variant", "udt", "object",
};

static int fail(struct jctx *c, const char *hint, const char *fmt, ...) SLUICE_FMT(3, 4);

/* "schema json: field 'data.lang': <message>" */
static int fail(struct jctx *c, const char *hint, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (c->path.len)
        sluice_error_set(c->err, SLUICE_ECONFIG, "%s: field '%s': %s", c->where, c->path.data, msg);
    else
        sluice_error_set(c->err, SLUICE_ECONFIG, "%s: %s", c->where, msg);
    if (c->err) snprintf(c->err->hint, sizeof c->err->hint, "%s", hint ? hint : "");
    /* jansson keeps no positions in the tree: the field path locates it. */
    sluice_error_excerpt(c->err, "", 0);
    return SLUICE_ECONFIG;
}

static const char *kind_of(const json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static const char *atomic_format(const char *name)
{
    for (size_t i = 0; i < sizeof atomic_types / sizeof atomic_types[0]; i++)
        if (strcmp(name, atomic_types[i].name) == 0) return atomic_types[i].format;
    return NULL;
}

static int bad_type(struct jctx *c, const char *name)
{
    for (size_t i = 0; i < sizeof unsupported_types / sizeof unsupported_types[0]; i++) {
        size_t n = strlen(unsupported_types[i]);
        if (strncmp(name, unsupported_types[i], n) == 0 && (name[n] == '\0' || name[n] == '(')) {
            return fail(c, NULL, "type '%s' is not supported; supported: " SUPPORTED_TYPES, name);
        }
    }
    const char *names[sizeof atomic_types / sizeof atomic_types[0] + 3];
    size_t n = 0;
    for (; n < sizeof atomic_types / sizeof atomic_types[0]; n++) names[n] = atomic_types[n].name;
    names[n++] = "array";
    names[n++] = "map";
    names[n++] = "struct";
    const char *best = sluice_suggest(name, names, n);
    char hint[64];
    if (best) snprintf(hint, sizeof hint, "did you mean '%s'?", best);
    return fail(c, best ? hint : "supported types: " SUPPORTED_TYPES, "unknown type '%s'", name);
}

static int parse_type(struct jctx *c, const json_t *t, const char *name, bool nullable,
                      struct ArrowSchema *out);

/* Spark's "decimal(10,2)", or "decimal" for its default (10,0). */
static int parse_decimal(struct jctx *c, const char *s, const char *name, bool nullable, struct ArrowSchema *out)
{
    long p = 10, sc = 0;
    int used = 0;
    if (s[7] && (sscanf(s, "decimal( %ld ,%ld )%n", &p, &sc, &used) != 2 || !used || s[used]))
        return fail(c, "write it as Spark does: \"decimal(10,2)\"", "invalid decimal type '%s'", s);
    char fmt[48];
    const char *why;
    if (!sluice_schema_decimal_format(p, sc, fmt, &why)) return fail(c, NULL, "%s", why);
    sluice_schema_init(out, fmt, name, nullable, 0);
    return SLUICE_OK;
}

static int parse_struct(struct jctx *c, const json_t *obj, const char *name, bool nullable,
                        struct ArrowSchema *out)
{
    const json_t *fields = json_object_get(obj, "fields");
    if (!fields) return fail(c, NULL, "struct type has no \"fields\"");
    if (!json_is_array(fields))
        return fail(c, NULL, "\"fields\" must be an array, not %s", kind_of(fields));
    size_t n = json_array_size(fields);
    struct ArrowSchema *kids = sluice_xcalloc(n ? n : 1, sizeof *kids);
    size_t done = 0, base = c->path.len;
    int rc = SLUICE_OK;
    for (; done < n; done++) {
        const json_t *f = json_array_get(fields, done);
        if (!json_is_object(f)) {
            rc = fail(c, NULL, "fields[%zu] must be an object, not %s", done, kind_of(f));
            break;
        }
        const json_t *jname = json_object_get(f, "name");
        if (!jname) {
            rc = fail(c, NULL, "fields[%zu] has no \"name\"", done);
            break;
        }
        if (!json_is_string(jname)) {
            rc = fail(c, NULL, "fields[%zu]: \"name\" must be a string, not %s", done,
                      kind_of(jname));
            break;
        }
        const char *fname = json_string_value(jname);
        if (base) sluice_buf_putc(&c->path, '.');
        sluice_col_append_name(&c->path, fname);
        for (size_t j = 0; j < done; j++)
            if (strcmp(kids[j].name, fname) == 0) {
                rc = fail(c, "Spark allows it, but a column path could not tell them apart",
                          "duplicate field name");
                break;
            }
        if (rc) break;
        const json_t *jtype = json_object_get(f, "type");
        const json_t *jnull = json_object_get(f, "nullable");
        const json_t *jmeta = json_object_get(f, "metadata");
        if (!jtype) {
            rc = fail(c, NULL, "no \"type\"");
            break;
        }
        if (jnull && !json_is_boolean(jnull)) {
            rc = fail(c, NULL, "\"nullable\" must be true or false, not %s", kind_of(jnull));
            break;
        }
        if (jmeta && !json_is_object(jmeta)) {
            rc = fail(c, NULL, "\"metadata\" must be an object, not %s", kind_of(jmeta));
            break;
        }
        /* pyspark always writes "nullable"; when a hand-written schema leaves
         * it out, nullable is Spark's default for StructField. */
        rc = parse_type(c, jtype, fname, jnull ? json_is_true(jnull) : true, &kids[done]);
        if (rc) break;
        c->path.len = base;
        c->path.data[base] = '\0';
    }
    if (rc) {
        for (size_t j = 0; j < done; j++) sluice_schema_release(&kids[j]);
        free(kids);
        return rc;
    }
    sluice_schema_init_struct(out, name, nullable, kids, (int64_t)n);
    free(kids);
    return SLUICE_OK;
}

static int parse_type(struct jctx *c, const json_t *t, const char *name, bool nullable,
                      struct ArrowSchema *out)
{
    if (json_is_string(t)) {
        const char *s = json_string_value(t);
        const char *fmt = atomic_format(s);
        if (fmt) {
            sluice_schema_init(out, fmt, name, nullable, 0);
            return SLUICE_OK;
        }
        if (strncmp(s, "decimal", 7) == 0) return parse_decimal(c, s, name, nullable, out);
        if (strcmp(s, "struct") == 0)
            return fail(c, NULL, "type 'struct' must be an object: {\"type\":\"struct\",\"fields\":[...]}");
        if (strcmp(s, "array") == 0)
            return fail(c, NULL, "type 'array' must be an object: "
                                 "{\"type\":\"array\",\"elementType\":...,\"containsNull\":true}");
        if (strcmp(s, "map") == 0)
            return fail(c, NULL, "type 'map' must be an object: "
                                 "{\"type\":\"map\",\"keyType\":...,\"valueType\":...,\"valueContainsNull\":true}");
        return bad_type(c, s);
    }
    if (!json_is_object(t))
        return fail(c, NULL, "\"type\" must be a string or an object, not %s", kind_of(t));
    const json_t *jt = json_object_get(t, "type");
    if (!jt) return fail(c, NULL, "type object has no \"type\"");
    if (!json_is_string(jt))
        return fail(c, NULL, "\"type\" must be a string, not %s", kind_of(jt));
    const char *s = json_string_value(jt);
    if (++c->depth > MAX_NESTING) {
        c->depth--;
        return fail(c, NULL, "types nest deeper than %d levels", MAX_NESTING);
    }
    int rc;
    if (strcmp(s, "struct") == 0) {
        rc = parse_struct(c, t, name, nullable, out);
    } else if (strcmp(s, "array") == 0) {
        const json_t *elem = json_object_get(t, "elementType");
        const json_t *cn = json_object_get(t, "containsNull");
        if (!elem) {
            rc = fail(c, NULL, "array type has no \"elementType\"");
        } else if (cn && !json_is_boolean(cn)) {
            rc = fail(c, NULL, "\"containsNull\" must be true or false, not %s", kind_of(cn));
        } else {
            size_t base = c->path.len;
            sluice_buf_puts(&c->path, ".element");
            struct ArrowSchema e;
            rc = parse_type(c, elem, "element", cn ? json_is_true(cn) : true, &e);
            if (!rc) sluice_schema_init_list(out, name, nullable, &e);
            c->path.len = base;
            c->path.data[base] = '\0';
        }
    } else if (strcmp(s, "map") == 0) {
        const json_t *kt = json_object_get(t, "keyType"), *vt = json_object_get(t, "valueType");
        const json_t *vn = json_object_get(t, "valueContainsNull");
        if (!kt || !vt) {
            rc = fail(c, NULL, "map type has no \"%s\"", kt ? "valueType" : "keyType");
        } else if (vn && !json_is_boolean(vn)) {
            rc = fail(c, NULL, "\"valueContainsNull\" must be true or false, not %s", kind_of(vn));
        } else {
            size_t base = c->path.len;
            struct ArrowSchema k, v;
            sluice_buf_puts(&c->path, ".key");
            rc = parse_type(c, kt, "key", false, &k);
            c->path.len = base;
            c->path.data[base] = '\0';
            sluice_buf_puts(&c->path, ".value");
            if (!rc) {
                rc = parse_type(c, vt, "value", vn ? json_is_true(vn) : true, &v);
                if (rc) sluice_schema_release(&k);
            }
            if (!rc) sluice_schema_init_map(out, name, nullable, &k, &v);
            c->path.len = base;
            c->path.data[base] = '\0';
        }
    } else if (atomic_format(s)) {
        /* Spark itself never writes {"type":"long"}, but it is unambiguous. */
        sluice_schema_init(out, atomic_format(s), name, nullable, 0);
        rc = SLUICE_OK;
    } else {
        rc = bad_type(c, s);
    }
    c->depth--;
    return rc;
}

/* jansson counts lines from 1 and columns in characters from 1. */
static void point_at(struct sluice_error *err, const char *json, int line, int column)
{
    const char *at = json;
    for (int l = 1; l < line && *at; at++)
        if (*at == '\n') l++;
    for (int col = 1; col < column && *at && *at != '\n';) {
        at++;
        if (!sluice_utf8_continuation((unsigned char)*at)) col++;
    }
    if (line > 0)
        sluice_schema_error_excerpt(err, json, at);
    else
        sluice_error_excerpt(err, "", 0);
}

int sluice_schema_parse_json_from(const char *json, const char *source, struct ArrowSchema *out,
                                  struct sluice_error *err)
{
    memset(out, 0, sizeof *out);
    char where[320];
    if (source)
        snprintf(where, sizeof where, "schema file '%s'", source);
    else
        snprintf(where, sizeof where, "schema json");
    struct jctx c = { .where = where, .err = err };

    json_error_t jerr;
    json_t *root = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        sluice_error_set(err, SLUICE_ECONFIG, "%s at line %d, column %d: %s", where, jerr.line,
                         jerr.column, jerr.text);
        if (err) err->hint[0] = '\0';
        point_at(err, json, jerr.line, jerr.column);
        return SLUICE_ECONFIG;
    }
    int rc;
    const json_t *jt = json_is_object(root) ? json_object_get(root, "type") : NULL;
    if (!json_is_object(root)) {
        rc = fail(&c, NULL, "the top level must be an object, not %s", kind_of(root));
    } else if (!jt) {
        rc = fail(&c, "pyspark prints it with df.schema.json()",
                  "the top level has no \"type\": expected {\"type\":\"struct\",\"fields\":[...]}");
    } else if (!json_is_string(jt) || strcmp(json_string_value(jt), "struct") != 0) {
        rc = fail(&c, NULL, "the top-level type must be 'struct', not %s",
                  json_is_string(jt) ? json_string_value(jt) : kind_of(jt));
    } else {
        rc = parse_struct(&c, root, "", false, out);
    }
    json_decref(root);
    sluice_buf_free(&c.path);
    return rc;
}

int sluice_schema_parse_json(const char *json, struct ArrowSchema *out, struct sluice_error *err)
{
    return sluice_schema_parse_json_from(json, NULL, out, err);
}

/* ---- writing ---------------------------------------------------------- */

/* One UTF-8 sequence starting at s; returns its length and sets *cp, or 0
 * for an invalid sequence. */
static int utf8_decode(const unsigned char *s, uint32_t *cp)
{
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    /* F5..FF start nothing: without the upper bound on E0..EF they passed
     * for three-byte leads and turned into real characters. */
    int n = s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : s[0] >= 0xE0 && s[0] <= 0xEF ? 3 : s[0] >= 0xC2 && s[0] < 0xE0 ? 2 : 0;
    if (!n) return 0;
    uint32_t v = s[0] & (0x7Fu >> n);
    for (int i = 1; i < n; i++) {
        if (!sluice_utf8_continuation(s[i])) return 0;
        v = (v << 6) | (s[i] & 0x3Fu);
    }
    static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (v < min[n] || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return n;
}

/* A JSON string as Python's json.dumps writes it with ensure_ascii. */
static void put_json_string(struct sluice_buf *out, const char *s)
{
    sluice_buf_putc(out, '"');
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p) {
        uint32_t cp;
        int n = utf8_decode(p, &cp);
        if (!n) {
            cp = 0xFFFD; /* Python strings cannot hold invalid UTF-8 */
            n = 1;
        }
        p += n;
        switch (cp) {
        case '"': sluice_buf_puts(out, "\\\""); continue;
        case '\\': sluice_buf_puts(out, "\\\\"); continue;
        case '\n': sluice_buf_puts(out, "\\n"); continue;
        case '\r': sluice_buf_puts(out, "\\r"); continue;
        case '\t': sluice_buf_puts(out, "\\t"); continue;
        case '\b': sluice_buf_puts(out, "\\b"); continue;
        case '\f': sluice_buf_puts(out, "\\f"); continue;
        default: break;
        }
        if (cp >= 0x20 && cp < 0x7F) {
            sluice_buf_putc(out, (char)cp);
        } else if (cp < 0x10000) {
            sluice_buf_printf(out, "\\u%04x", (unsigned)cp);
        } else {
            cp -= 0x10000;
            sluice_buf_printf(out, "\\u%04x\\u%04x", (unsigned)(0xD800 + (cp >> 10)),
                              (unsigned)(0xDC00 + (cp & 0x3FF)));
        }
    }
    sluice_buf_putc(out, '"');
}

static void put_type(const struct ArrowSchema *s, struct sluice_buf *out)
{
    enum sluice_type t = sluice_type_of(s);
    switch (t) {
    case SLUICE_TYPE_STRUCT:
        sluice_buf_puts(out, "{\"fields\":[");
        for (int64_t i = 0; i < s->n_children; i++) {
            const struct ArrowSchema *f = s->children[i];
            if (i) sluice_buf_putc(out, ',');
            sluice_buf_puts(out, "{\"metadata\":{},\"name\":");
            put_json_string(out, f->name);
            sluice_buf_printf(out, ",\"nullable\":%s,\"type\":",
                              f->flags & ARROW_FLAG_NULLABLE ? "true" : "false");
            put_type(f, out);
            sluice_buf_putc(out, '}');
        }
        sluice_buf_puts(out, "],\"type\":\"struct\"}");
        break;
    case SLUICE_TYPE_ARRAY:
        sluice_buf_printf(out, "{\"containsNull\":%s,\"elementType\":",
                          s->n_children && s->children[0]->flags & ARROW_FLAG_NULLABLE ? "true"
                                                                                        : "false");
        if (s->n_children) put_type(s->children[0], out);
        sluice_buf_puts(out, ",\"type\":\"array\"}");
        break;
    case SLUICE_TYPE_MAP: {
        const struct ArrowSchema *e = s->n_children ? s->children[0] : NULL;
        if (!e || e->n_children != 2) {
            put_json_string(out, "map");
            break;
        }
        sluice_buf_puts(out, "{\"keyType\":");
        put_type(e->children[0], out);
        sluice_buf_puts(out, ",\"type\":\"map\",\"valueContainsNull\":");
        sluice_buf_puts(out, e->children[1]->flags & ARROW_FLAG_NULLABLE ? "true" : "false");
        sluice_buf_puts(out, ",\"valueType\":");
        put_type(e->children[1], out);
        sluice_buf_putc(out, '}');
        break;
    }
    case SLUICE_TYPE_INVALID:
        /* A foreign Arrow format has no Spark name; its format at least says what it is. */
        put_json_string(out, s->format);
        break;
    case SLUICE_TYPE_DECIMAL: {
        char name[24];
        put_json_string(out, sluice_schema_decimal_name(s, name));
        break;
    }
    default:
        put_json_string(out, sluice_type_name(t));
    }
}

void sluice_schema_to_json(const struct ArrowSchema *s, struct sluice_buf *out)
{
    put_type(s, out);
}
