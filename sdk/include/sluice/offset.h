/* sluice/offset.h — a source's offsets as the small JSON objects Spark's
 * sources write ({"logOffset":3}, {"value":120,"epoch":2}).
 *
 * An offset is opaque to the core, which only stores it and compares it
 * as text: the same position must always be written the same way (these
 * helpers write keys in the order given, integers in decimal, no spaces).
 * Reading takes any JSON object, spaces and nesting allowed, and finds a
 * top-level key. Header-only; pure functions, any thread. */
#ifndef SLUICE_OFFSET_H
#define SLUICE_OFFSET_H

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sluice/buf.h>

/* ---- writing: begin, put..., end (each SLUICE_OK or SLUICE_ENOMEM) ---- */

/* Empties `out` and opens the object. */
static inline int sluice_offset_begin(struct sluice_buf *out)
{
    sluice_buf_clear(out);
    return sluice_buf_putc(out, '{');
}

static inline int sluice_offset_key(struct sluice_buf *out, const char *key)
{
    int rc = out->len > 1 ? sluice_buf_putc(out, ',') : SLUICE_OK;
    return rc ? rc : sluice_buf_printf(out, "\"%s\":", key); /* keys are the plugin's own: no escaping */
}

static inline int sluice_offset_put_long(struct sluice_buf *out, const char *key, int64_t v)
{
    int rc = sluice_offset_key(out, key);
    return rc ? rc : sluice_buf_printf(out, "%" PRId64, v);
}

/* A string value, escaped as JSON requires. */
static inline int sluice_offset_put_string(struct sluice_buf *out, const char *key, const char *v)
{
    int rc = sluice_offset_key(out, key);
    if (!rc) rc = sluice_buf_putc(out, '"');
    for (const unsigned char *p = (const unsigned char *)v; !rc && *p; p++) {
        if (*p == '"' || *p == '\\') rc = sluice_buf_putc(out, '\\') ? SLUICE_ENOMEM : sluice_buf_putc(out, (char)*p);
        else if (*p < 0x20) rc = sluice_buf_printf(out, "\\u%04x", *p);
        else rc = sluice_buf_putc(out, (char)*p);
    }
    return rc ? rc : sluice_buf_putc(out, '"');
}

static inline int sluice_offset_end(struct sluice_buf *out)
{
    return sluice_buf_putc(out, '}');
}

/* The whole offset {"key":v} in one call. */
static inline int sluice_offset_write_long(struct sluice_buf *out, const char *key, int64_t v)
{
    int rc = sluice_offset_begin(out);
    if (!rc) rc = sluice_offset_put_long(out, key, v);
    return rc ? rc : sluice_offset_end(out);
}

/* ---- reading ---- */

static inline const char *sluice_offset_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') p++;
    return p;
}

/* Past the JSON string starting at p (a '"'), or NULL. */
static inline const char *sluice_offset_skip_string(const char *p)
{
    for (p++; *p && *p != '"'; p++)
        if (*p == '\\' && !*++p) return NULL;
    return *p ? p + 1 : NULL;
}

/* Past the JSON value at p, or NULL when it is not one. */
static inline const char *sluice_offset_skip_value(const char *p, int depth)
{
    p = sluice_offset_ws(p);
    if (*p == '"') return sluice_offset_skip_string(p);
    if (*p == '{' || *p == '[') {
        char close = *p == '{' ? '}' : ']';
        if (depth > 32) return NULL;
        p = sluice_offset_ws(p + 1);
        if (*p == close) return p + 1;
        for (;;) {
            if (close == '}') {
                if (*p != '"' || !(p = sluice_offset_skip_string(p))) return NULL;
                p = sluice_offset_ws(p);
                if (*p++ != ':') return NULL;
            }
            if (!(p = sluice_offset_skip_value(p, depth + 1))) return NULL;
            p = sluice_offset_ws(p);
            if (*p == close) return p + 1;
            if (*p++ != ',') return NULL;
            p = sluice_offset_ws(p);
        }
    }
    const char *s = p;
    while (*p && strchr("+-0123456789.eEtruefalsn", *p)) p++;
    return p > s ? p : NULL;
}

/* The integer at top-level key `key` of the JSON object `json` (NULL: no
 * offset yet). False when json is not an object, the key is absent, or
 * its value is not an integer within int64. */
static inline bool sluice_offset_get_long(const char *json, const char *key, int64_t *out)
{
    if (!json) return false;
    const char *p = sluice_offset_ws(json);
    if (*p++ != '{') return false;
    size_t klen = strlen(key);
    bool found = false;
    p = sluice_offset_ws(p);
    if (*p == '}') return false;
    for (;;) {
        if (*p != '"') return false;
        const char *k = p + 1, *after = sluice_offset_skip_string(p);
        if (!after) return false;
        bool match = (size_t)(after - 1 - k) == klen && memcmp(k, key, klen) == 0;
        p = sluice_offset_ws(after);
        if (*p++ != ':') return false;
        p = sluice_offset_ws(p);
        if (match && !found) {
            char *end;
            errno = 0;
            long long v = strtoll(p, &end, 10);
            if (end == p || errno == ERANGE || *end == '.' || *end == 'e' || *end == 'E') return false;
            *out = v;
            found = true;
            p = end;
        } else if (!(p = sluice_offset_skip_value(p, 0))) {
            return false;
        }
        p = sluice_offset_ws(p);
        if (*p == '}') return found && !*sluice_offset_ws(p + 1);
        if (*p++ != ',') return false;
        p = sluice_offset_ws(p);
    }
}

#endif /* SLUICE_OFFSET_H */
