/* core/cli/gen/gen_out.h — how the tweet generator writes bytes: into a
 * sluice_gen_buf reserved once per row (out_reserve), so the writers below
 * check no bounds. Inline: they run for every field of every row. */
#ifndef SLUICE_CORE_GEN_OUT_H
#define SLUICE_CORE_GEN_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gen_tweets_priv.h"
#include "mem.h"
#include "timefmt.h"

static inline void out_reserve(struct sluice_gen_buf *o, size_t n)
{
    if (o->len + n <= o->cap) return;
    size_t cap = o->cap ? o->cap : 1 << 16;
    while (cap < o->len + n) cap *= 2;
    o->p = sluice_xrealloc(o->p, cap);
    o->cap = cap;
}

static inline void put(struct sluice_gen_buf *o, const char *s, size_t n)
{
    memcpy(o->p + o->len, s, n);
    o->len += n;
}

#define PUT_LIT(o, s) put((o), (s), sizeof(s) - 1)

static inline void put_str(struct sluice_gen_buf *o, const char *s)
{
    put(o, s, strlen(s));
}

static inline void put_char(struct sluice_gen_buf *o, char c)
{
    o->p[o->len++] = c;
}

static inline void put_u64(struct sluice_gen_buf *o, uint64_t v)
{
    char tmp[20];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n) o->p[o->len++] = tmp[--n];
}

static inline void put_2(struct sluice_gen_buf *o, unsigned v)
{
    o->p[o->len++] = (char)('0' + v / 10 % 10);
    o->p[o->len++] = (char)('0' + v % 10);
}

/* `2021-05-03T07:55:40.000Z`, as sluice_time_format_iso, without snprintf:
 * two per row made it a visible share of the generator's time. */
static inline void put_iso(struct sluice_gen_buf *o, int64_t us)
{
    int64_t ms = us >= 0 ? us / 1000 : -((-us + 999) / 1000); /* floor, to milliseconds */
    int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86400000 - 1) / 86400000);
    int64_t rem = ms - days * 86400000;
    int64_t y;
    unsigned mo, d;
    sluice_civil_from_days(days, &y, &mo, &d);
    put_2(o, (unsigned)(y / 100));
    put_2(o, (unsigned)(y % 100));
    put_char(o, '-');
    put_2(o, mo);
    put_char(o, '-');
    put_2(o, d);
    put_char(o, 'T');
    put_2(o, (unsigned)(rem / 3600000));
    put_char(o, ':');
    put_2(o, (unsigned)(rem / 60000 % 60));
    put_char(o, ':');
    put_2(o, (unsigned)(rem / 1000 % 60));
    put_char(o, '.');
    put_char(o, (char)('0' + rem % 1000 / 100));
    put_2(o, (unsigned)(rem % 100));
    put_char(o, 'Z');
}

#endif
