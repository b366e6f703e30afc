/* Rows as bytes: see row_codec.h. */
#include "row_codec.h"

#include <string.h>

#include <sluice/types.h>

#include "builder.h"

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static void put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
    return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

/* Lists and maps alike: a count of elements in children[0]. */
static bool is_list(enum sluice_type t)
{
    return t == SLUICE_TYPE_ARRAY || t == SLUICE_TYPE_MAP;
}

size_t sluice_row_value_size(const struct ArrowSchema *s, const struct ArrowArray *a, int64_t slot)
{
    if (!sluice_array_valid(a, slot)) return 1;
    enum sluice_type t = sluice_type_of(s);
    switch (t) {
    case SLUICE_TYPE_BOOLEAN: return 2;
    case SLUICE_TYPE_DATE: return 5;
    case SLUICE_TYPE_DECIMAL: return 17;
    case SLUICE_TYPE_STRING: {
        const int32_t *offs = a->buffers[1];
        return 5 + (size_t)(offs[slot + 1] - offs[slot]);
    }
    case SLUICE_TYPE_STRUCT: {
        size_t n = 1;
        for (int64_t k = 0; k < s->n_children; k++)
            n += sluice_row_value_size(s->children[k], a->children[k], a->children[k]->offset + slot);
        return n;
    }
    default:
        if (is_list(t)) {
            const int32_t *offs = a->buffers[1];
            const struct ArrowArray *c = a->children[0];
            size_t n = 5;
            for (int64_t e = offs[slot]; e < offs[slot + 1]; e++)
                n += sluice_row_value_size(s->children[0], c, c->offset + e);
            return n;
        }
        return 9; /* long, timestamp, double */
    }
}

/* Spark groups -0.0 with 0.0 and every NaN together (NormalizeFloatingNumbers). */
static uint64_t key_double_bits(uint64_t bits)
{
    double d;
    memcpy(&d, &bits, 8);
    if (d != d) return 0x7FF8000000000000ULL;
    return d == 0.0 ? 0 : bits;
}

uint8_t *sluice_row_value_write(const struct ArrowSchema *s, const struct ArrowArray *a, int64_t slot, uint8_t *p,
                                bool key)
{
    if (!sluice_array_valid(a, slot)) {
        *p = 0;
        return p + 1;
    }
    *p++ = 1;
    enum sluice_type t = sluice_type_of(s);
    switch (t) {
    case SLUICE_TYPE_BOOLEAN:
        *p = sluice_bit_get(a->buffers[1], slot) ? 1 : 0;
        return p + 1;
    case SLUICE_TYPE_DATE:
        put32(p, (uint32_t)((const int32_t *)a->buffers[1])[slot]);
        return p + 4;
    case SLUICE_TYPE_DECIMAL: {
        /* Two 8-byte halves, low first: little-endian whatever the host. */
        unsigned __int128 v = (unsigned __int128)sluice_get_decimal(a, slot);
        put64(p, (uint64_t)v);
        put64(p + 8, (uint64_t)(v >> 64));
        return p + 16;
    }
    case SLUICE_TYPE_STRING: {
        const int32_t *offs = a->buffers[1];
        uint32_t n = (uint32_t)(offs[slot + 1] - offs[slot]);
        put32(p, n);
        if (n) memcpy(p + 4, (const char *)a->buffers[2] + offs[slot], n);
        return p + 4 + n;
    }
    case SLUICE_TYPE_STRUCT:
        for (int64_t k = 0; k < s->n_children; k++)
            p = sluice_row_value_write(s->children[k], a->children[k], a->children[k]->offset + slot, p, key);
        return p;
    default:
        if (is_list(t)) {
            const int32_t *offs = a->buffers[1];
            const struct ArrowArray *c = a->children[0];
            put32(p, (uint32_t)(offs[slot + 1] - offs[slot]));
            p += 4;
            for (int64_t e = offs[slot]; e < offs[slot + 1]; e++)
                p = sluice_row_value_write(s->children[0], c, c->offset + e, p, key);
            return p;
        }
        /* long, timestamp, double: 8 bytes as they are (a key's doubles normalised) */
        uint64_t bits;
        memcpy(&bits, (const uint8_t *)a->buffers[1] + 8 * slot, 8);
        put64(p, key && t == SLUICE_TYPE_DOUBLE ? key_double_bits(bits) : bits);
        return p + 8;
    }
}

size_t sluice_row_size(const struct ArrowSchema *s, const struct ArrowArray *a, int64_t row)
{
    size_t n = 0;
    for (int64_t k = 0; k < s->n_children; k++) {
        const struct ArrowArray *c = a->children[k];
        n += sluice_row_value_size(s->children[k], c, c->offset + a->offset + row);
    }
    return n;
}

uint8_t *sluice_row_write(const struct ArrowSchema *s, const struct ArrowArray *a, int64_t row, uint8_t *p)
{
    for (int64_t k = 0; k < s->n_children; k++) {
        const struct ArrowArray *c = a->children[k];
        p = sluice_row_value_write(s->children[k], c, c->offset + a->offset + row, p, false);
    }
    return p;
}

/* The value at *p (bounded by end) appended to `b`; false on bytes that are
 * not one. A damaged record may leave `b` part-written: the caller
 * truncates it. */
static bool read_value(const struct ArrowSchema *s, const uint8_t **pp, const uint8_t *end, struct sluice_builder *b)
{
    const uint8_t *p = *pp;
    if (p >= end || *p > 1) return false;
    if (*p++ == 0) {
        sluice_builder_append_null(b);
        *pp = p;
        return true;
    }
    enum sluice_type t = sluice_type_of(s);
    size_t left = (size_t)(end - p);
    switch (t) {
    case SLUICE_TYPE_BOOLEAN:
        if (left < 1) return false;
        sluice_builder_append_bool(b, *p != 0);
        p += 1;
        break;
    case SLUICE_TYPE_DATE:
        if (left < 4) return false;
        sluice_builder_append_date(b, (int32_t)get32(p));
        p += 4;
        break;
    case SLUICE_TYPE_LONG:
    case SLUICE_TYPE_TIMESTAMP:
        if (left < 8) return false;
        sluice_builder_append_long(b, (int64_t)get64(p));
        p += 8;
        break;
    case SLUICE_TYPE_DECIMAL: {
        if (left < 16) return false;
        unsigned __int128 v = (unsigned __int128)get64(p + 8) << 64 | get64(p);
        sluice_builder_append_decimal(b, (__int128)v);
        p += 16;
        break;
    }
    case SLUICE_TYPE_DOUBLE: {
        if (left < 8) return false;
        uint64_t bits = get64(p);
        double d;
        memcpy(&d, &bits, 8);
        sluice_builder_append_double(b, d);
        p += 8;
        break;
    }
    case SLUICE_TYPE_STRING: {
        if (left < 4 || left - 4 < get32(p)) return false;
        uint32_t n = get32(p);
        sluice_builder_append_string(b, (const char *)p + 4, n);
        p += 4 + n;
        break;
    }
    case SLUICE_TYPE_STRUCT:
        sluice_builder_append_struct(b);
        for (int64_t k = 0; k < s->n_children; k++)
            if (!read_value(s->children[k], &p, end, &b->children[k])) return false;
        break;
    default: {
        if (!is_list(t) || left < 4) return false;
        uint32_t n = get32(p);
        p += 4;
        sluice_builder_begin_list(b);
        for (uint32_t e = 0; e < n; e++)
            if (!read_value(s->children[0], &p, end, &b->children[0])) return false;
        sluice_builder_end_list(b);
        break;
    }
    }
    *pp = p;
    return true;
}

bool sluice_row_read(const struct ArrowSchema *s, const uint8_t *p, size_t len, struct sluice_builder *b)
{
    int64_t rows = b->length;
    const uint8_t *end = p + len;
    sluice_builder_append_struct(b);
    bool ok = true;
    for (int64_t k = 0; k < s->n_children && ok; k++) ok = read_value(s->children[k], &p, end, &b->children[k]);
    if (ok && p == end) return true;
    sluice_builder_truncate(b, rows);
    return false;
}
