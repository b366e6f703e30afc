/* DDL schemas, both ways: `data STRUCT<lang: STRING>, id STRING` in, and
 * Spark's DataType.sql (`STRUCT<lang: STRING>`) out.
 *
 * The grammar is Spark's table schema (StructType.fromDDL): columns
 * `name [:] type [NOT NULL] [COMMENT 'text']` separated by commas, with
 * STRUCT<...> and ARRAY<...> nesting, keywords in any case. A recursive
 * descent over the characters keeps the position of every error exact. */
#include "schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error.h"
#include "mem.h"
#include "suggest.h"
#include "utf8.h"

#define MAX_NESTING 64

struct ddl {
    const char *text;
    const char *p;
    const char *where; /* "schema ddl" or "schema file 'x'" */
    int depth;
    struct sluice_error *err;
};

static const struct { const char *name, *format; } ddl_types[] = {
    { "BOOLEAN", SLUICE_FORMAT_BOOLEAN }, { "TINYINT", SLUICE_FORMAT_LONG },
    { "BYTE", SLUICE_FORMAT_LONG },       { "SMALLINT", SLUICE_FORMAT_LONG },
    { "SHORT", SLUICE_FORMAT_LONG },      { "INT", SLUICE_FORMAT_LONG },
    { "INTEGER", SLUICE_FORMAT_LONG },    { "BIGINT", SLUICE_FORMAT_LONG },
    { "LONG", SLUICE_FORMAT_LONG },       { "FLOAT", SLUICE_FORMAT_DOUBLE },
    { "REAL", SLUICE_FORMAT_DOUBLE },     { "DOUBLE", SLUICE_FORMAT_DOUBLE },
    { "STRING", SLUICE_FORMAT_STRING },   { "TIMESTAMP", SLUICE_FORMAT_TIMESTAMP },
    { "TIMESTAMP_LTZ", SLUICE_FORMAT_TIMESTAMP }, { "DATE", SLUICE_FORMAT_DATE },
};

static const char *const unsupported_types[] = {
    "BINARY", "TIMESTAMP_NTZ", "VOID",
    "INTERVAL", "CHAR", "CHARACTER", "VARCHAR", "VARIANT", "OBJECT",
};

#define SUPPORTED_TYPES \
    "BOOLEAN, BIGINT, INT, SMALLINT, TINYINT, DOUBLE, FLOAT, DECIMAL(p,s), STRING, TIMESTAMP, DATE, ARRAY<...>, " \
    "MAP<...>, STRUCT<...>"

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* Unquoted names: Spark's identifier letters, plus any non-ASCII byte so
 * names in other scripts need no back-quotes. */
static bool is_ident(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || (unsigned char)c >= 0x80;
}

static void skip_ws(struct ddl *d)
{
    while (is_space(*d->p)) d->p++;
}

static int fail_at(struct ddl *d, const char *at, const char *hint, const char *fmt, ...)
    SLUICE_FMT(4, 5);

/* "schema ddl at character 17: <message>"; characters, not bytes, are
 * counted, and a multi-line file gets its line too. */
static int fail_at(struct ddl *d, const char *at, const char *hint, const char *fmt, ...)
{
    int line = 1, col = 1;
    for (const char *q = d->text; q < at; q++) {
        if (*q == '\n') {
            line++;
            col = 1;
        } else if (!sluice_utf8_continuation((unsigned char)*q)) {
            col++;
        }
    }
    char where[64];
    if (strchr(d->text, '\n'))
        snprintf(where, sizeof where, "at line %d, character %d", line, col);
    else
        snprintf(where, sizeof where, "at character %d", col);
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    sluice_error_set(d->err, SLUICE_ECONFIG, "%s %s: %s", d->where, where, msg);
    if (d->err) snprintf(d->err->hint, sizeof d->err->hint, "%s", hint ? hint : "");
    sluice_schema_error_excerpt(d->err, d->text, at);
    return SLUICE_ECONFIG;
}

/* The first byte of `s` that does not start a valid UTF-8 sequence (no
 * overlong forms, surrogates or code points past U+10FFFF), or NULL. Names
 * must be UTF-8: the JSON form of a schema, and Spark, could not hold them. */
static const char *invalid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        unsigned c = *p;
        int n = c < 0x80 ? 0 : c >= 0xC2 && c <= 0xDF ? 1 : c >= 0xE0 && c <= 0xEF ? 2 : c >= 0xF0 && c <= 0xF4 ? 3 : -1;
        if (n < 0) return (const char *)p;
        unsigned lo = 0x80, hi = 0xBF; /* the second byte's range */
        if (c == 0xE0) lo = 0xA0;
        else if (c == 0xED) hi = 0x9F;
        else if (c == 0xF0) lo = 0x90;
        else if (c == 0xF4) hi = 0x8F;
        for (int i = 1; i <= n; i++) {
            if (p[i] < (i == 1 ? lo : 0x80) || p[i] > (i == 1 ? hi : 0xBF)) return (const char *)p;
        }
        p += n + 1;
    }
    return NULL;
}

/* What stands at `p`, for "found ...": a whole word, or one character. */
static void describe(const char *p, char *buf, size_t cap)
{
    if (!*p) {
        snprintf(buf, cap, "the end of the schema");
        return;
    }
    size_t n = 1;
    if (is_ident(*p))
        while (is_ident(p[n]) && n < 40) n++;
    snprintf(buf, cap, "'%.*s'", (int)n, p);
}

/* Consume keyword `kw` (any case) if it stands at the cursor as a whole word. */
static bool accept_kw(struct ddl *d, const char *kw)
{
    size_t n = strlen(kw);
    if (strncasecmp(d->p, kw, n) != 0 || is_ident(d->p[n])) return false;
    d->p += n;
    return true;
}

/* A column or field name: an identifier, or back-quoted with `` for a
 * back-quote. Returns a malloc'd name, or NULL (error set) when none. */
static char *parse_name(struct ddl *d, const char *what, const char *after)
{
    const char *start = d->p;
    if (*d->p == '`') {
        struct sluice_buf b = { 0 };
        sluice_buf_puts(&b, "");
        for (d->p++;; d->p++) {
            if (!*d->p) {
                sluice_buf_free(&b);
                fail_at(d, start, NULL, "unterminated back-quoted name");
                return NULL;
            }
            if (*d->p == '`') {
                if (d->p[1] != '`') break;
                d->p++;
            }
            sluice_buf_putc(&b, *d->p);
        }
        d->p++;
        /* `` is an empty name: odd, but Spark and JSON schemas allow it. */
        return b.data;
    }
    while (is_ident(*d->p)) d->p++;
    if (d->p == start) {
        char found[64];
        describe(start, found, sizeof found);
        fail_at(d, start, *start == '\'' || *start == '"' ? "quote names with back-quotes: `name`" : NULL,
                "expected a %s%s, found %s", what, after, found);
        return NULL;
    }
    return sluice_xstrndup(start, (size_t)(d->p - start));
}

static int parse_type(struct ddl *d, const char *name, const char *after, struct ArrowSchema *out);

/* `name [:] type [NOT NULL] [COMMENT 'text']`; `kids[0..n)` are the fields
 * already parsed at this level, checked for a duplicate name. */
static int parse_field(struct ddl *d, bool top, const char *after_what, struct ArrowSchema *kids,
                       size_t n, struct ArrowSchema *out)
{
    skip_ws(d);
    const char *start = d->p;
    char *name = parse_name(d, top ? "column name" : "field name", after_what);
    if (!name) return SLUICE_ECONFIG;
    for (size_t i = 0; i < n; i++)
        if (strcmp(kids[i].name, name) == 0) {
            int rc = fail_at(d, start, "Spark allows it, but a column path could not tell them apart",
                             "duplicate %s '%s'", top ? "column" : "field", name);
            free(name);
            return rc;
        }
    /* "after 'lang:'" quotes the source as written, back-quotes and all. */
    const char *name_end = d->p;
    skip_ws(d);
    if (*d->p == ':') {
        d->p++;
        name_end = d->p;
    }
    char after[96];
    int shown = name_end - start > 60 ? 60 : (int)(name_end - start);
    snprintf(after, sizeof after, " after '%.*s%s'", shown, start,
             shown < name_end - start ? "..." : "");
    int rc = parse_type(d, name, after, out);
    free(name);
    if (rc) return rc;
    for (;;) {
        skip_ws(d);
        const char *kw = d->p;
        if (accept_kw(d, "NOT")) {
            skip_ws(d);
            if (!accept_kw(d, "NULL")) {
                char found[64];
                describe(d->p, found, sizeof found);
                rc = fail_at(d, d->p, NULL, "expected NULL after NOT, found %s", found);
                break;
            }
            out->flags &= ~(int64_t)ARROW_FLAG_NULLABLE;
        } else if (accept_kw(d, "COMMENT")) {
            skip_ws(d);
            char q = *d->p;
            if (q != '\'' && q != '"') {
                char found[64];
                describe(d->p, found, sizeof found);
                rc = fail_at(d, d->p, NULL, "expected a quoted string after COMMENT, found %s", found);
                break;
            }
            const char *open = d->p++;
            while (*d->p && *d->p != q) d->p += (*d->p == '\\' && d->p[1]) ? 2 : 1;
            if (!*d->p) {
                rc = fail_at(d, open, NULL, "unterminated COMMENT string");
                break;
            }
            d->p++;
        } else {
            d->p = kw;
            break;
        }
    }
    if (rc) sluice_schema_release(out);
    return rc;
}

/* Fields up to `close` ('>' in STRUCT<...>, NUL at the top level). */
static int parse_fields(struct ddl *d, bool top, char close, const char *name, bool nullable,
                        struct ArrowSchema *out)
{
    size_t n = 0, cap = 8;
    struct ArrowSchema *kids = sluice_xmalloc(cap * sizeof *kids);
    int rc = SLUICE_OK;
    const char *after = "";
    skip_ws(d);
    if (!top && *d->p == close) { /* STRUCT<> is a valid empty struct */
        d->p++;
        goto done;
    }
    for (;;) {
        if (n == cap) kids = sluice_xrealloc(kids, (cap *= 2) * sizeof *kids);
        rc = parse_field(d, top, after, kids, n, &kids[n]);
        if (rc) break;
        n++;
        skip_ws(d);
        if (*d->p == ',') {
            d->p++;
            after = " after ','";
            continue;
        }
        if (*d->p == close) {
            if (close) d->p++;
            break;
        }
        char found[64];
        describe(d->p, found, sizeof found);
        const char *last = kids[n - 1].name;
        if (top)
            rc = fail_at(d, d->p, NULL, "expected ',' or the end of the schema after column '%s', found %s",
                         last, found);
        else
            rc = fail_at(d, d->p, NULL, "expected ',' or '>' after field '%s' of STRUCT<...>, found %s",
                         last, found);
        break;
    }
done:
    if (rc) {
        for (size_t i = 0; i < n; i++) sluice_schema_release(&kids[i]);
    } else {
        sluice_schema_init_struct(out, name, nullable, kids, (int64_t)n);
    }
    free(kids);
    return rc;
}

/* Past `c` after optional space, or "expected 'c' WHAT, found ...". */
static int expect_char(struct ddl *d, char c, const char *what)
{
    skip_ws(d);
    if (*d->p == c) {
        d->p++;
        return SLUICE_OK;
    }
    char found[64];
    describe(d->p, found, sizeof found);
    return fail_at(d, d->p, NULL, "expected '%c' %s, found %s", c, what, found);
}

static int expect_open(struct ddl *d, const char *type_name)
{
    char what[32];
    snprintf(what, sizeof what, "after %s", type_name);
    return expect_char(d, '<', what);
}

static int bad_type(struct ddl *d, const char *at, size_t len)
{
    char word[48];
    snprintf(word, sizeof word, "%.*s", len > 40 ? 40 : (int)len, at);
    for (size_t i = 0; i < sizeof unsupported_types / sizeof unsupported_types[0]; i++)
        if (strcasecmp(word, unsupported_types[i]) == 0)
            return fail_at(d, at, NULL, "type '%s' is not supported; supported: " SUPPORTED_TYPES, word);
    const char *names[sizeof ddl_types / sizeof ddl_types[0] + 3];
    size_t n = 0;
    for (; n < sizeof ddl_types / sizeof ddl_types[0]; n++) names[n] = ddl_types[n].name;
    names[n++] = "ARRAY";
    names[n++] = "MAP";
    names[n++] = "STRUCT";
    const char *best = sluice_suggest(word, names, n);
    char hint[64] = "";
    if (best) {
        /* Answer in the user's case: 'strin' gets 'string', 'STRIN' 'STRING'. */
        bool lower = word[0] >= 'a' && word[0] <= 'z';
        snprintf(hint, sizeof hint, "did you mean '%s'?", best);
        for (char *h = hint; lower && *h; h++)
            if (*h >= 'A' && *h <= 'Z') *h = (char)(*h - 'A' + 'a');
    }
    return fail_at(d, at, best ? hint : "supported types: " SUPPORTED_TYPES, "unknown type '%s'",
                   word);
}

/* DECIMAL, DECIMAL(p) or DECIMAL(p, s), after the keyword: Spark's
 * default is (10, 0), and a scale left out is 0. */
static int parse_decimal(struct ddl *d, const char *at, const char *name, struct ArrowSchema *out)
{
    long p = 10, s = 0;
    skip_ws(d);
    if (*d->p == '(') {
        d->p++;
        char *end;
        skip_ws(d);
        p = strtol(d->p, &end, 10);
        if (end == d->p) return fail_at(d, d->p, NULL, "expected a precision in DECIMAL(precision, scale)");
        d->p = end;
        skip_ws(d);
        if (*d->p == ',') {
            d->p++;
            skip_ws(d);
            s = strtol(d->p, &end, 10);
            if (end == d->p) return fail_at(d, d->p, NULL, "expected a scale in DECIMAL(precision, scale)");
            d->p = end;
        }
        int rc = expect_char(d, ')', "to close DECIMAL(");
        if (rc) return rc;
    }
    char fmt[48];
    const char *why;
    if (!sluice_schema_decimal_format(p, s, fmt, &why)) return fail_at(d, at, NULL, "%s", why);
    sluice_schema_init(out, fmt, name, true, 0);
    return SLUICE_OK;
}

static int parse_type(struct ddl *d, const char *name, const char *after, struct ArrowSchema *out)
{
    skip_ws(d);
    const char *at = d->p;
    size_t len = 0;
    while (is_ident(at[len])) len++;
    if (!len) {
        char found[64];
        describe(at, found, sizeof found);
        return fail_at(d, at, NULL, "expected a type%s, found %s", after, found);
    }
    if (d->depth >= MAX_NESTING)
        return fail_at(d, at, NULL, "types nest deeper than %d levels", MAX_NESTING);
    int rc;
    if (accept_kw(d, "STRUCT")) {
        rc = expect_open(d, "STRUCT");
        if (rc) return rc;
        d->depth++;
        rc = parse_fields(d, false, '>', name, true, out);
        d->depth--;
        return rc;
    }
    if (accept_kw(d, "MAP")) {
        rc = expect_open(d, "MAP");
        if (rc) return rc;
        struct ArrowSchema key, value;
        d->depth++;
        rc = parse_type(d, "key", " after 'MAP<'", &key);
        if (!rc && (rc = expect_char(d, ',', "between a MAP's key and value types")) != SLUICE_OK)
            sluice_schema_release(&key);
        if (!rc && (rc = parse_type(d, "value", " after 'MAP<key,'", &value)) != SLUICE_OK)
            sluice_schema_release(&key);
        d->depth--;
        if (rc) return rc;
        if ((rc = expect_char(d, '>', "to close MAP<")) != SLUICE_OK) {
            sluice_schema_release(&key);
            sluice_schema_release(&value);
            return rc;
        }
        sluice_schema_init_map(out, name, true, &key, &value);
        return SLUICE_OK;
    }
    if (accept_kw(d, "ARRAY")) {
        rc = expect_open(d, "ARRAY");
        if (rc) return rc;
        struct ArrowSchema elem;
        d->depth++;
        rc = parse_type(d, "element", " after 'ARRAY<'", &elem);
        d->depth--;
        if (rc) return rc;
        if ((rc = expect_char(d, '>', "to close ARRAY<")) != SLUICE_OK) {
            sluice_schema_release(&elem);
            return rc;
        }
        /* Spark's DDL has no way to say containsNull = false. */
        sluice_schema_init_list(out, name, true, &elem);
        return SLUICE_OK;
    }
    if (accept_kw(d, "DECIMAL") || accept_kw(d, "DEC") || accept_kw(d, "NUMERIC")) return parse_decimal(d, at, name, out);
    for (size_t i = 0; i < sizeof ddl_types / sizeof ddl_types[0]; i++)
        if (accept_kw(d, ddl_types[i].name)) {
            sluice_schema_init(out, ddl_types[i].format, name, true, 0);
            return SLUICE_OK;
        }
    return bad_type(d, at, len);
}

int sluice_schema_parse_ddl_from(const char *ddl, const char *source, struct ArrowSchema *out,
                                 struct sluice_error *err)
{
    memset(out, 0, sizeof *out);
    char where[320];
    if (source)
        snprintf(where, sizeof where, "schema file '%s'", source);
    else
        snprintf(where, sizeof where, "schema ddl");
    struct ddl d = { .text = ddl, .p = ddl, .where = where, .err = err };
    const char *bad = invalid_utf8(ddl);
    if (bad) return fail_at(&d, bad, "save the schema as UTF-8", "byte 0x%02X is not UTF-8", (unsigned char)*bad);
    skip_ws(&d);
    if (!*d.p) {
        sluice_error_set(err, SLUICE_ECONFIG, "%s is empty", where);
        sluice_error_excerpt(err, "", 0);
        if (err)
            snprintf(err->hint, sizeof err->hint,
                     "write columns like `id STRING, data STRUCT<lang: STRING>`");
        return SLUICE_ECONFIG;
    }
    /* The whole schema as one STRUCT<...>, as type_ddl and Spark's
     * DataType.sql print it. A column named "struct" is followed by a type,
     * never by '<', so the two readings cannot collide. */
    const char *save = d.p;
    if (accept_kw(&d, "STRUCT")) {
        skip_ws(&d);
        if (*d.p == '<') {
            d.p = save;
            int rc = parse_type(&d, "", "", out);
            if (rc) return rc;
            skip_ws(&d);
            if (*d.p) {
                char found[64];
                describe(d.p, found, sizeof found);
                sluice_schema_release(out);
                return fail_at(&d, d.p, NULL, "expected the end of the schema after STRUCT<...>, found %s",
                               found);
            }
            out->flags &= ~(int64_t)ARROW_FLAG_NULLABLE;
            return SLUICE_OK;
        }
        d.p = save;
    }
    return parse_fields(&d, true, '\0', "", false, out);
}

/* ---- writing: Spark's DataType.sql ------------------------------------- */

/* Spark's QuotingUtils.quoteIfNeeded: plain when [A-Za-z0-9_]+ and not all
 * digits, else back-quoted with ` doubled. */
static void put_ddl_name(struct sluice_buf *out, const char *name)
{
    const char *s = name ? name : "";
    bool plain = *s != '\0', digits = true;
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            plain = false;
        if (c < '0' || c > '9') digits = false;
    }
    if (plain && !digits) {
        sluice_buf_puts(out, s);
        return;
    }
    sluice_buf_putc(out, '`');
    for (const char *p = s; *p; p++) {
        if (*p == '`') sluice_buf_putc(out, '`');
        sluice_buf_putc(out, *p);
    }
    sluice_buf_putc(out, '`');
}

void sluice_schema_type_ddl(const struct ArrowSchema *s, struct sluice_buf *out)
{
    switch (sluice_type_of(s)) {
    case SLUICE_TYPE_BOOLEAN: sluice_buf_puts(out, "BOOLEAN"); break;
    case SLUICE_TYPE_LONG: sluice_buf_puts(out, "BIGINT"); break;
    case SLUICE_TYPE_DOUBLE: sluice_buf_puts(out, "DOUBLE"); break;
    case SLUICE_TYPE_STRING: sluice_buf_puts(out, "STRING"); break;
    case SLUICE_TYPE_TIMESTAMP: sluice_buf_puts(out, "TIMESTAMP"); break;
    case SLUICE_TYPE_DATE: sluice_buf_puts(out, "DATE"); break;
    case SLUICE_TYPE_DECIMAL: {
        int p, sc;
        sluice_decimal_params(s, &p, &sc);
        sluice_buf_printf(out, "DECIMAL(%d,%d)", p, sc);
        break;
    }
    case SLUICE_TYPE_MAP:
        sluice_buf_puts(out, "MAP<");
        if (s->n_children && s->children[0]->n_children == 2) {
            sluice_schema_type_ddl(s->children[0]->children[0], out);
            sluice_buf_puts(out, ", ");
            sluice_schema_type_ddl(s->children[0]->children[1], out);
        }
        sluice_buf_putc(out, '>');
        break;
    case SLUICE_TYPE_ARRAY:
        sluice_buf_puts(out, "ARRAY<");
        if (s->n_children) sluice_schema_type_ddl(s->children[0], out);
        sluice_buf_putc(out, '>');
        break;
    case SLUICE_TYPE_STRUCT:
        sluice_buf_puts(out, "STRUCT<");
        for (int64_t i = 0; i < s->n_children; i++) {
            const struct ArrowSchema *f = s->children[i];
            if (i) sluice_buf_puts(out, ", ");
            put_ddl_name(out, f->name);
            sluice_buf_puts(out, ": ");
            sluice_schema_type_ddl(f, out);
            if (!(f->flags & ARROW_FLAG_NULLABLE)) sluice_buf_puts(out, " NOT NULL");
        }
        sluice_buf_putc(out, '>');
        break;
    default:
        sluice_buf_printf(out, "UNSUPPORTED('%s')", s->format ? s->format : "");
    }
}

void sluice_schema_fields_ddl(const struct ArrowSchema *s, struct sluice_buf *out)
{
    sluice_buf_puts(out, "");
    for (int64_t i = 0; i < s->n_children; i++) {
        const struct ArrowSchema *f = s->children[i];
        if (i) sluice_buf_puts(out, ", ");
        put_ddl_name(out, f->name);
        sluice_buf_putc(out, ' ');
        sluice_schema_type_ddl(f, out);
        if (!(f->flags & ARROW_FLAG_NULLABLE)) sluice_buf_puts(out, " NOT NULL");
    }
}
