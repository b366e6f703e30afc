/* Checking a batch, or any array, against its schema. See validate.h. */
#include "validate.h"
#include "layout.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sluice/types.h>

/* Where a node sits, for messages: "column 2 'data'", then ".lang", "[]". */
struct at {
    char path[256];
};

__attribute__((format(printf, 5, 6)))
static bool bad(char *why, size_t cap, const struct at *at, const struct ArrowSchema *s, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(why, cap, "%s (%s): %s", at->path, sluice_type_name(sluice_type_of(s)), msg);
    return false;
}

static size_t buffers_of(enum sluice_type t)
{
    switch (t) {
    case SLUICE_TYPE_STRING: return 3;
    case SLUICE_TYPE_STRUCT: return 1;
    default: return 2; /* boolean, long, double, timestamp: validity + values; list: validity + offsets */
    }
}

/* Length of the valid UTF-8 prefix of s[0..n) is n. */
static bool utf8_ok(const unsigned char *s, int64_t n)
{
    for (int64_t i = 0; i < n;) {
        unsigned char c = s[i];
        int len = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        if (!len || (len == 2 && c < 0xC2) || i + len > n) return false;
        for (int k = 1; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80) return false;
        if (len == 3 && ((c == 0xE0 && s[i + 1] < 0xA0) || (c == 0xED && s[i + 1] >= 0xA0))) return false;
        if (len == 4 && ((c == 0xF0 && s[i + 1] < 0x90) || c > 0xF4 || (c == 0xF4 && s[i + 1] >= 0x90)))
            return false;
        i += len;
    }
    return true;
}

static bool node_ok(const struct ArrowSchema *s, const struct ArrowArray *a, struct at *at, char *why, size_t cap)
{
    enum sluice_type t = sluice_layout_of(s);
    if (t == SLUICE_TYPE_INVALID) {
        snprintf(why, cap, "%s: format '%s' is not a sluice type", at->path, s->format ? s->format : "(null)");
        return false;
    }
    if (a->length < 0 || a->offset < 0) return bad(why, cap, at, s, "length %lld, offset %lld", (long long)a->length, (long long)a->offset);
    if (a->n_children != s->n_children)
        return bad(why, cap, at, s, "%lld children, the schema has %lld", (long long)a->n_children, (long long)s->n_children);
    if (a->n_buffers != (int64_t)buffers_of(t))
        return bad(why, cap, at, s, "%lld buffers, the format needs %zu", (long long)a->n_buffers, buffers_of(t));
    if (a->n_buffers && !a->buffers) return bad(why, cap, at, s, "no buffer array");
    if (a->n_children && !a->children) return bad(why, cap, at, s, "no children array");
    if (a->null_count < -1 || a->null_count > a->length)
        return bad(why, cap, at, s, "null count %lld for %lld rows", (long long)a->null_count, (long long)a->length);
    const uint8_t *valid = a->buffers ? a->buffers[0] : NULL;
    if (a->null_count > 0 && !valid) return bad(why, cap, at, s, "%lld nulls but no validity bitmap", (long long)a->null_count);
    if (valid && a->null_count >= 0) {
        int64_t nulls = 0;
        for (int64_t i = a->offset; i < a->offset + a->length; i++) nulls += !sluice_bit_get(valid, i);
        if (nulls != a->null_count)
            return bad(why, cap, at, s, "null count %lld, but its bitmap has %lld nulls", (long long)a->null_count, (long long)nulls);
    }
    int64_t end = a->offset + a->length;
    switch (t) {
    case SLUICE_TYPE_BOOLEAN:
    case SLUICE_TYPE_LONG:
    case SLUICE_TYPE_DOUBLE:
    case SLUICE_TYPE_TIMESTAMP:
    case SLUICE_TYPE_DATE:
    case SLUICE_TYPE_DECIMAL:
        if (a->length && !a->buffers[1]) return bad(why, cap, at, s, "%lld rows but no values buffer", (long long)a->length);
        return true;
    case SLUICE_TYPE_STRING:
    case SLUICE_TYPE_ARRAY: {
        if (!a->length) break;
        const int32_t *offs = a->buffers[1];
        if (!offs) return bad(why, cap, at, s, "%lld rows but no offsets buffer", (long long)a->length);
        if (offs[a->offset] < 0) return bad(why, cap, at, s, "a negative offset %d at row 0", offs[a->offset]);
        for (int64_t i = a->offset; i < end; i++)
            if (offs[i + 1] < offs[i])
                return bad(why, cap, at, s, "offsets decrease at row %lld (to %d)", (long long)(i - a->offset), offs[i + 1]);
        if (t == SLUICE_TYPE_STRING) {
            if (offs[end] > offs[a->offset] && !a->buffers[2]) return bad(why, cap, at, s, "no data buffer");
            for (int64_t i = a->offset; i < end; i++) {
                bool is_null = valid && !sluice_bit_get(valid, i);
                if (!is_null && !utf8_ok((const unsigned char *)a->buffers[2] + offs[i], offs[i + 1] - offs[i]))
                    return bad(why, cap, at, s, "row %lld is not valid UTF-8", (long long)(i - a->offset));
            }
            return true;
        }
        if (a->children[0]->length < offs[end])
            return bad(why, cap, at, s, "offsets reach %d, the elements are %lld", offs[end], (long long)a->children[0]->length);
        break;
    }
    default:
        break;
    }
    /* Structs: each child holds the parent's rows at the parent's offset;
     * lists: the elements the offsets name (checked above). */
    size_t used = strlen(at->path);
    for (int64_t k = 0; k < a->n_children; k++) {
        const struct ArrowArray *c = a->children[k];
        if (!c) return bad(why, cap, at, s, "child %lld is missing", (long long)k);
        if (t == SLUICE_TYPE_STRUCT && c->length < end)
            return bad(why, cap, at, s, "field %lld has %lld rows, fewer than the struct's", (long long)k, (long long)c->length);
        if (t == SLUICE_TYPE_STRUCT)
            snprintf(at->path + used, sizeof at->path - used, ".%s", s->children[k]->name ? s->children[k]->name : "?");
        else
            snprintf(at->path + used, sizeof at->path - used, "[]");
        if (!node_ok(s->children[k], c, at, why, cap)) return false;
        at->path[used] = '\0';
    }
    return true;
}

bool sluice_batch_validate(const struct ArrowSchema *schema, const struct ArrowArray *batch, char *why, size_t cap)
{
    if (!batch->release) {
        snprintf(why, cap, "the batch is released (or was never filled in)");
        return false;
    }
    if (!schema || sluice_type_of(schema) != SLUICE_TYPE_STRUCT) {
        snprintf(why, cap, "the batch has no struct schema");
        return false;
    }
    if (batch->n_children != schema->n_children) {
        snprintf(why, cap, "the batch has %lld columns, its schema %lld", (long long)batch->n_children,
                 (long long)schema->n_children);
        return false;
    }
    if (batch->offset != 0 || batch->length < 0 || (batch->n_buffers && batch->buffers && batch->buffers[0])) {
        snprintf(why, cap, "a batch has offset 0 and no validity bitmap (offset %lld, length %lld)",
                 (long long)batch->offset, (long long)batch->length);
        return false;
    }
    for (int64_t k = 0; k < batch->n_children; k++) {
        const struct ArrowArray *c = batch->children ? batch->children[k] : NULL;
        const struct ArrowSchema *cs = schema->children[k];
        struct at at;
        snprintf(at.path, sizeof at.path, "column %lld '%s'", (long long)k, cs->name ? cs->name : "?");
        if (!c) {
            snprintf(why, cap, "%s: missing", at.path);
            return false;
        }
        if (c->length != batch->length) {
            snprintf(why, cap, "%s (%s): %lld rows, but the batch has %lld", at.path,
                     sluice_type_name(sluice_type_of(cs)), (long long)c->length, (long long)batch->length);
            return false;
        }
        if (!node_ok(cs, c, &at, why, cap)) return false;
    }
    return true;
}

/* ---- sluice_array_validate: the structural check tests use on any array --- */

__attribute__((format(printf, 3, 4)))
static int invalid(char *why, const char *path, const char *fmt, ...)
{
    int n = snprintf(why, 256, "%s: ", *path ? path : "<root>");
    if (n < 0 || n >= 256) n = 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why + n, 256 - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* Offsets of slots [offset, offset + length] are non-negative and never
 * decrease; *end is the last one. */
static int check_offsets(const struct ArrowArray *a, const char *path, char *why, int32_t *end)
{
    const int32_t *offs = a->buffers[1];
    *end = 0;
    if (!offs) return a->length == 0 ? 0 : invalid(why, path, "offsets buffer is NULL");
    if (offs[a->offset] < 0) return invalid(why, path, "first offset %d is negative", (int)offs[a->offset]);
    for (int64_t i = a->offset; i < a->offset + a->length; i++)
        if (offs[i + 1] < offs[i])
            return invalid(why, path, "offsets decrease at slot %lld (%d then %d)",
                           (long long)(i - a->offset), (int)offs[i], (int)offs[i + 1]);
    *end = offs[a->offset + a->length];
    return 0;
}

static int validate_node(const struct ArrowSchema *schema, const struct ArrowArray *a, char *path,
                         size_t path_len, char *why)
{
    enum sluice_type t = sluice_layout_of(schema);
    if (t == SLUICE_TYPE_INVALID)
        return invalid(why, path, "unsupported format '%s'", schema && schema->format ? schema->format : "(null)");
    if (!a) return invalid(why, path, "array is missing");
    if (!a->release) return invalid(why, path, "array is released");
    if (a->length < 0 || a->offset < 0)
        return invalid(why, path, "negative length %lld or offset %lld", (long long)a->length, (long long)a->offset);
    if (a->null_count < -1 || a->null_count > a->length)
        return invalid(why, path, "null_count %lld outside [-1, length %lld]", (long long)a->null_count,
                       (long long)a->length);
    int64_t nb = (int64_t)buffers_of(t);
    if (a->n_buffers != nb)
        return invalid(why, path, "%s array has %lld buffers, expected %lld", sluice_type_name(t),
                       (long long)a->n_buffers, (long long)nb);
    if (!a->buffers) return invalid(why, path, "buffers pointer is NULL");
    int64_t nc = t == SLUICE_TYPE_STRUCT ? schema->n_children : t == SLUICE_TYPE_ARRAY ? 1 : 0;
    if (a->n_children != nc)
        return invalid(why, path, "%s array has %lld children, expected %lld", sluice_type_name(t),
                       (long long)a->n_children, (long long)nc);
    if (nc && !a->children) return invalid(why, path, "children pointer is NULL");
    if (a->dictionary) return invalid(why, path, "unexpected dictionary");

    if (a->buffers[0]) {
        int64_t nulls = 0;
        for (int64_t i = a->offset; i < a->offset + a->length; i++) nulls += !sluice_bit_get(a->buffers[0], i);
        if (a->null_count != -1 && a->null_count != nulls)
            return invalid(why, path, "null_count is %lld but the bitmap has %lld nulls",
                           (long long)a->null_count, (long long)nulls);
    } else if (a->null_count > 0) {
        return invalid(why, path, "null_count %lld without a validity bitmap", (long long)a->null_count);
    }
    for (int64_t k = 1; k < nb; k++)
        if (!a->buffers[k] && a->length > 0) return invalid(why, path, "buffer %lld is NULL", (long long)k);

    int32_t end;
    switch (t) {
    case SLUICE_TYPE_STRING:
        if (check_offsets(a, path, why, &end)) return -1;
        if (end > 0 && !a->buffers[2]) return invalid(why, path, "string data buffer is NULL");
        return 0;
    case SLUICE_TYPE_ARRAY: {
        if (check_offsets(a, path, why, &end)) return -1;
        const struct ArrowArray *c = a->children[0];
        if (!c || !schema->children || !schema->children[0])
            return invalid(why, path, "list element array or schema is missing");
        if (end > c->length)
            return invalid(why, path, "offsets reach %d but the element array has %lld slots", (int)end,
                           (long long)c->length);
        snprintf(path + path_len, 256 - path_len, "[]");
        int rc = validate_node(schema->children[0], c, path, strlen(path), why);
        path[path_len] = '\0';
        return rc;
    }
    case SLUICE_TYPE_STRUCT:
        for (int64_t i = 0; i < nc; i++) {
            const struct ArrowSchema *cs = schema->children[i];
            const struct ArrowArray *c = a->children[i];
            snprintf(path + path_len, 256 - path_len, "%s%s", path_len ? "." : "",
                     cs && cs->name ? cs->name : "?");
            int rc = 0;
            if (!cs) rc = invalid(why, path, "field schema is missing");
            else if (!c) rc = invalid(why, path, "field array is missing");
            else if (c->length < a->offset + a->length)
                rc = invalid(why, path, "field has %lld slots, its struct needs %lld", (long long)c->length,
                             (long long)(a->offset + a->length));
            else rc = validate_node(cs, c, path, strlen(path), why);
            path[path_len] = '\0';
            if (rc) return rc;
        }
        return 0;
    default:
        return 0;
    }
}

int sluice_array_validate(const struct ArrowSchema *schema, const struct ArrowArray *a, char *why)
{
    char path[256] = "";
    return validate_node(schema, a, path, 0, why);
}
