/* sluice/agg.h — header-only helpers for aggregator plugins: reading an
 * argument array, and encoding a state for checkpoints (little-endian
 * fixed widths, varints, doubles as Spark groups them).
 *
 * Header-only and dependency-free on purpose: a plugin is built against
 * the SDK alone and links no helper library, so each .so compiles its own
 * static copy; nothing here is exported and nothing allocates. Hashing is
 * the host's (host->hash64: Spark's XXH64), so no plugin needs a hash
 * library. Include after <sluice/plugin.h>. Pure functions, any thread. */
#ifndef SLUICE_AGG_H
#define SLUICE_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sluice/plugin.h>

/* ---- argument arrays ---- */

/* The validity bitmap to test per row, or NULL when every row is valid, so
 * a hot loop can skip the bit test for a column without nulls. Row i of
 * update's argument is valid when !valid || sluice_bit_get(valid, a->offset + i). */
static inline const uint8_t *sluice_agg_validity(const struct ArrowArray *a)
{
    return a && a->null_count != 0 ? (const uint8_t *)a->buffers[0] : NULL;
}

/* ---- fixed-width little-endian, so checkpoints move between machines ---- */

static inline void sluice_put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint64_t sluice_get_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

static inline void sluice_put_le32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t sluice_get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ---- unsigned LEB128 varints ---- */

#define SLUICE_VARINT_MAX 10

/* Writes v at p (room for SLUICE_VARINT_MAX bytes); returns the bytes written. */
static inline size_t sluice_varint_encode(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

/* Reads a varint from [*p, end) into *v and advances *p; false when it is
 * truncated or longer than 64 bits (a damaged state). */
static inline bool sluice_varint_decode(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (*p >= end) return false;
        uint8_t b = *(*p)++;
        if (shift == 63 && b > 1) return false;
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return true;
        }
    }
    return false;
}

/* Append to a state being serialized; SLUICE_OK or SLUICE_ENOMEM. */
static inline int sluice_buf_put_varint(struct sluice_buf *out, uint64_t v)
{
    uint8_t tmp[SLUICE_VARINT_MAX];
    return sluice_buf_append(out, tmp, sluice_varint_encode(tmp, v));
}

static inline int sluice_buf_put_le64(struct sluice_buf *out, uint64_t v)
{
    uint8_t tmp[8];
    sluice_put_le64(tmp, v);
    return sluice_buf_append(out, tmp, 8);
}

/* ---- reading a saved state ---- */

/* A cursor over deserialize()'s bytes; every read fails (false) rather
 * than run past the end, so a damaged state is an error, not a crash. */
struct sluice_reader {
    const uint8_t *p, *end;
};

static inline struct sluice_reader sluice_reader_of(const char *data, size_t len)
{
    struct sluice_reader r = { (const uint8_t *)data, (const uint8_t *)data + (data ? len : 0) };
    return r;
}

static inline bool sluice_read_u8(struct sluice_reader *r, uint8_t *v)
{
    if (r->p >= r->end) return false;
    *v = *r->p++;
    return true;
}

static inline bool sluice_read_le64(struct sluice_reader *r, uint64_t *v)
{
    if (r->end - r->p < 8) return false;
    *v = sluice_get_le64(r->p);
    r->p += 8;
    return true;
}

static inline bool sluice_read_varint(struct sluice_reader *r, uint64_t *v)
{
    return sluice_varint_decode(&r->p, r->end, v);
}

/* n bytes, borrowed from the state's data. */
static inline bool sluice_read_bytes(struct sluice_reader *r, size_t n, const uint8_t **v)
{
    if ((size_t)(r->end - r->p) < n) return false;
    *v = r->p;
    r->p += n;
    return true;
}

/* Every byte was read: a state with bytes left over is damaged. */
static inline bool sluice_reader_done(const struct sluice_reader *r)
{
    return r->p == r->end;
}

/* ---- doubles ---- */

static inline uint64_t sluice_double_bits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}

static inline double sluice_bits_double(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}

/* The bits of a double as Spark groups and hashes it: -0.0 is 0.0 and every
 * NaN is Java's canonical NaN (NormalizeFloatingNumbers,
 * Double.doubleToLongBits), so all NaNs are one value and so are both zeros. */
static inline uint64_t sluice_double_key(double d)
{
    if (d != d) return UINT64_C(0x7ff8000000000000);
    if (d == 0.0) return 0;
    return sluice_double_bits(d);
}

#endif /* SLUICE_AGG_H */
