/* plugins/file_sink/file_sink_text.c — CSV lines and schema JSON for the
 * file sink (JSON lines come from host->render_row_json).
 *
 * CSV follows what Spark's CSV writer produces with default options, except
 * where that would lose data or not read back:
 *   - null is an empty field, an empty string is `""` (Spark 2.4+);
 *   - a value holding the separator, a quote, CR or LF is quoted; a quote
 *     inside is doubled as RFC 4180 says (Spark's default escape is a
 *     backslash, which no other CSV reader understands; Spark reads these
 *     files with .option("escape", "\"")); a value with a line break stays
 *     quoted over several lines, as Spark writes it (multiLine readers);
 *   - leading and trailing spaces are kept (Spark's writer trims them by
 *     default, silently changing strings);
 *   - timestamps are ISO 8601 in UTC with milliseconds,
 *     `2021-05-03T07:55:40.000Z`: Spark's default timestampFormat
 *     yyyy-MM-dd'T'HH:mm:ss[.SSS][XXX] in a UTC session;
 *   - doubles as Java prints them (1.0, 1.0E10, NaN, Infinity), booleans
 *     `true`/`false`, longs in decimal. */
#include "file_sink_text.h"

#include <string.h>

#define CSV_SEP ','

/* ---- CSV ---------------------------------------------------------------- */

/* Spark's DataType.catalogString, as its "does not support" message prints it. */
static int put_catalog_type(const struct ArrowSchema *s, struct sluice_buf *out)
{
    int rc = SLUICE_OK;
    switch (sluice_type_of(s)) {
    case SLUICE_TYPE_LONG: return sluice_buf_puts(out, "bigint");
    case SLUICE_TYPE_DECIMAL: {
        int p, sc;
        sluice_decimal_params(s, &p, &sc);
        return sluice_buf_printf(out, "decimal(%d,%d)", p, sc);
    }
    case SLUICE_TYPE_STRUCT:
        rc |= sluice_buf_puts(out, "struct<");
        for (int64_t i = 0; i < s->n_children; i++) {
            const struct ArrowSchema *f = s->children[i];
            rc |= sluice_buf_printf(out, "%s%s:", i ? "," : "", f->name ? f->name : "");
            rc |= put_catalog_type(f, out);
        }
        return rc | sluice_buf_putc(out, '>');
    case SLUICE_TYPE_ARRAY:
        rc |= sluice_buf_puts(out, "array<");
        if (s->n_children) rc |= put_catalog_type(s->children[0], out);
        return rc | sluice_buf_putc(out, '>');
    case SLUICE_TYPE_MAP:
        rc |= sluice_buf_puts(out, "map<");
        if (s->n_children && s->children[0]->n_children == 2) {
            rc |= put_catalog_type(s->children[0]->children[0], out) | sluice_buf_putc(out, ',');
            rc |= put_catalog_type(s->children[0]->children[1], out);
        }
        return rc | sluice_buf_putc(out, '>');
    case SLUICE_TYPE_INVALID: return sluice_buf_puts(out, s->format ? s->format : "?");
    default: return sluice_buf_puts(out, sluice_type_name(sluice_type_of(s)));
    }
}

int file_sink_csv_check(const struct sluice_host *host, const struct ArrowSchema *schema,
                        struct sluice_error *err)
{
    for (int64_t i = 0; i < schema->n_children; i++) {
        const struct ArrowSchema *f = schema->children[i];
        enum sluice_type t = sluice_type_of(f);
        if (t != SLUICE_TYPE_STRUCT && t != SLUICE_TYPE_ARRAY && t != SLUICE_TYPE_MAP && t != SLUICE_TYPE_INVALID)
            continue;
        struct sluice_buf type = { 0 };
        int rc = put_catalog_type(f, &type);
        rc = rc ? host->error(err, SLUICE_ENOMEM, "out of memory")
                : host->error(err, SLUICE_ECONFIG,
                              "CSV data source does not support %s data type (column '%s')",
                              type.data, f->name ? f->name : "");
        sluice_buf_free(&type);
        if (rc == SLUICE_ECONFIG)
            host->error_hint(err, "use format = \"json\", or select the nested fields as flat columns first");
        return rc;
    }
    return SLUICE_OK;
}

/* A field, quoted only when it must be (see the top of the file). */
static int put_csv_string(const char *s, size_t n, struct sluice_buf *out)
{
    bool quote = n == 0;
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == CSV_SEP || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote) return sluice_buf_append(out, s, n);
    int rc = sluice_buf_reserve(out, n + 2);
    rc |= sluice_buf_putc(out, '"');
    for (const char *end = s + n; s < end && !rc;) {
        const char *q = memchr(s, '"', (size_t)(end - s));
        size_t run = q ? (size_t)(q - s) + 1 : (size_t)(end - s);
        rc |= sluice_buf_append(out, s, run);
        if (q) rc |= sluice_buf_putc(out, '"'); /* the quote again: doubled */
        s += run;
    }
    return rc | sluice_buf_putc(out, '"');
}

int file_sink_csv_header(const struct ArrowSchema *schema, struct sluice_buf *out)
{
    int rc = SLUICE_OK;
    for (int64_t i = 0; i < schema->n_children; i++) {
        const char *name = schema->children[i]->name ? schema->children[i]->name : "";
        if (i) rc |= sluice_buf_putc(out, CSV_SEP);
        rc |= put_csv_string(name, strlen(name), out);
    }
    return rc | sluice_buf_putc(out, '\n');
}

/* Decimal digits without printf's parsing per value. */
static int put_long(int64_t v, struct sluice_buf *out)
{
    char tmp[24], *p = tmp + sizeof tmp;
    /* Negate as unsigned: -INT64_MIN does not fit an int64_t. */
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0) *--p = '-';
    return sluice_buf_append(out, p, (size_t)(tmp + sizeof tmp - p));
}

int file_sink_csv_row(const struct sluice_host *host, const struct sluice_batch *b, int64_t row,
                      struct sluice_buf *out)
{
    const struct ArrowSchema *schema = b->schema;
    int rc = SLUICE_OK;
    for (int64_t c = 0; c < b->array.n_children && !rc; c++) {
        if (c) rc |= sluice_buf_putc(out, CSV_SEP);
        const struct ArrowArray *a = b->array.children[c];
        int64_t slot = a->offset + row;
        if (!sluice_array_valid(a, slot)) continue; /* null: an empty field */
        const char *s;
        int32_t n;
        char ts[40];
        switch (sluice_type_of(schema->children[c])) {
        case SLUICE_TYPE_BOOLEAN:
            rc |= sluice_buf_puts(out, sluice_get_bool(a, slot) ? "true" : "false");
            break;
        case SLUICE_TYPE_LONG: rc |= put_long(sluice_get_long(a, slot), out); break;
        case SLUICE_TYPE_DOUBLE:
        case SLUICE_TYPE_DECIMAL:
            /* show() text of a double is Java's Double.toString, which is what Spark's CSV writer
             * prints; a decimal's is its plain digits, every one of its scale. */
            host->render_cell_text(b, c, row, out);
            break;
        case SLUICE_TYPE_STRING:
            n = sluice_get_string(a, slot, &s);
            rc |= put_csv_string(s, (size_t)n, out);
            break;
        case SLUICE_TYPE_TIMESTAMP:
            rc |= sluice_buf_append(out, ts, host->format_timestamp(sluice_get_timestamp(a, slot), ts));
            break;
        case SLUICE_TYPE_DATE:
            rc |= sluice_buf_append(out, ts, host->format_date(sluice_get_date(a, slot), ts));
            break;
        default: break; /* refused at open (file_sink_csv_check) */
        }
    }
    return rc | sluice_buf_putc(out, '\n');
}

/* ---- schemas ------------------------------------------------------------ */

static int put_json_string(const char *s, struct sluice_buf *out)
{
    int rc = sluice_buf_putc(out, '"');
    for (; *s && !rc; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\') rc |= sluice_buf_putc(out, '\\') | sluice_buf_putc(out, (char)ch);
        else if (ch < 0x20) rc |= sluice_buf_printf(out, "\\u%04x", ch);
        else rc |= sluice_buf_putc(out, (char)ch); /* UTF-8 passes through: valid JSON */
    }
    return rc | sluice_buf_putc(out, '"');
}

/* Keys sorted, as pyspark's json.dumps(sort_keys=True) prints StructType.json(). */
int file_sink_schema_json(const struct ArrowSchema *s, struct sluice_buf *out)
{
    int rc = SLUICE_OK;
    switch (sluice_type_of(s)) {
    case SLUICE_TYPE_STRUCT:
        rc |= sluice_buf_puts(out, "{\"fields\":[");
        for (int64_t i = 0; i < s->n_children && !rc; i++) {
            const struct ArrowSchema *f = s->children[i];
            rc |= sluice_buf_puts(out, i ? ",{\"metadata\":{},\"name\":" : "{\"metadata\":{},\"name\":");
            rc |= put_json_string(f->name ? f->name : "", out);
            rc |= sluice_buf_printf(out, ",\"nullable\":%s,\"type\":",
                                    f->flags & ARROW_FLAG_NULLABLE ? "true" : "false");
            rc |= file_sink_schema_json(f, out);
            rc |= sluice_buf_putc(out, '}');
        }
        return rc | sluice_buf_puts(out, "],\"type\":\"struct\"}");
    case SLUICE_TYPE_ARRAY:
        rc |= sluice_buf_printf(out, "{\"containsNull\":%s,\"elementType\":",
                                s->n_children && s->children[0]->flags & ARROW_FLAG_NULLABLE ? "true"
                                                                                              : "false");
        if (s->n_children) rc |= file_sink_schema_json(s->children[0], out);
        return rc | sluice_buf_puts(out, ",\"type\":\"array\"}");
    case SLUICE_TYPE_MAP: {
        const struct ArrowSchema *e = s->n_children ? s->children[0] : NULL;
        if (!e || e->n_children != 2) return put_json_string("map", out);
        rc |= sluice_buf_puts(out, "{\"keyType\":");
        rc |= file_sink_schema_json(e->children[0], out);
        rc |= sluice_buf_printf(out, ",\"type\":\"map\",\"valueContainsNull\":%s,\"valueType\":",
                                e->children[1]->flags & ARROW_FLAG_NULLABLE ? "true" : "false");
        rc |= file_sink_schema_json(e->children[1], out);
        return rc | sluice_buf_putc(out, '}');
    }
    case SLUICE_TYPE_INVALID: return put_json_string(s->format ? s->format : "", out);
    case SLUICE_TYPE_DECIMAL: {
        int p, sc;
        sluice_decimal_params(s, &p, &sc);
        return sluice_buf_printf(out, "\"decimal(%d,%d)\"", p, sc);
    }
    default: return put_json_string(sluice_type_name(sluice_type_of(s)), out);
    }
}

bool file_sink_schema_same(const struct ArrowSchema *a, const struct ArrowSchema *b)
{
    if (sluice_type_of(a) != sluice_type_of(b) || a->n_children != b->n_children) return false;
    if (sluice_type_of(a) == SLUICE_TYPE_INVALID) return false;
    if (sluice_type_of(a) == SLUICE_TYPE_DECIMAL) return strcmp(a->format, b->format) == 0;
    for (int64_t i = 0; i < a->n_children; i++) {
        const struct ArrowSchema *x = a->children[i], *y = b->children[i];
        /* List element names are Arrow's ("item", "element"), not the user's. */
        if (sluice_type_of(a) == SLUICE_TYPE_STRUCT &&
            strcmp(x->name ? x->name : "", y->name ? y->name : "") != 0)
            return false;
        if (!file_sink_schema_same(x, y)) return false;
    }
    return true;
}
