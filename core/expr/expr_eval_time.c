/* Date parts of timestamps (year month dayofmonth hour minute second, in
 * UTC) and to_timestamp, with an optional Spark datetime pattern compiled
 * once per stage.
 *
 * Pattern letters understood: y (yy is 2000-2099), M/MM (number), MMM/MMMM
 * (English month name), d, H, h with a (AM/PM), m, s, S... (fraction, up to
 * the letter count), E... (day name: read and checked, not used), X/x/Z
 * (offset: `Z`, +HH, +HHMM or +HH:MM), text in single quotes, and any other
 * non-letter as itself. A row that does not match gives null. */
#include "expr_priv.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "arena.h"
#include "timefmt.h"
#include "tz.h"

#define US_PER_SEC 1000000LL
#define US_PER_DAY 86400000000LL

enum tp_kind { TP_LIT, TP_YEAR, TP_MONTH, TP_MONTH_NAME, TP_DAY, TP_HOUR, TP_HOUR12, TP_AMPM, TP_MINUTE,
               TP_SECOND, TP_FRACTION, TP_DAY_NAME, TP_OFFSET };

struct tp_item {
    enum tp_kind kind;
    int count;        /* letters in the run */
    char letter;      /* the pattern letter (X, x or Z for an offset) */
    const char *lit;  /* TP_LIT */
    size_t lit_len;
};

struct time_pattern {
    int n;
    struct tp_item *items;
};

static bool is_letter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

int sluice_time_pattern_compile(const char *fmt, size_t len, struct sluice_arena *arena,
                                const struct time_pattern **out, char *why)
{
    struct time_pattern *p = sluice_arena_calloc(arena, sizeof *p);
    p->items = sluice_arena_calloc(arena, (len + 1) * sizeof *p->items);
    char *lits = sluice_arena_alloc(arena, len + 1);
    size_t w = 0;
    for (size_t i = 0; i < len;) {
        char c = fmt[i];
        struct tp_item *it = &p->items[p->n];
        if (c == '\'') {
            size_t start = w;
            for (i++;; i++) {
                if (i >= len) {
                    snprintf(why, 128, "unterminated quote");
                    return -1;
                }
                if (fmt[i] == '\'') {
                    if (i + 1 < len && fmt[i + 1] == '\'') {
                        lits[w++] = '\'';
                        i++;
                        continue;
                    }
                    i++;
                    break;
                }
                lits[w++] = fmt[i];
            }
            if (w == start) lits[w++] = '\''; /* '' is a quote */
            *it = (struct tp_item){ .kind = TP_LIT, .lit = lits + start, .lit_len = w - start };
            p->n++;
            continue;
        }
        if (!is_letter(c)) {
            *it = (struct tp_item){ .kind = TP_LIT, .lit = lits + w, .lit_len = 1 };
            lits[w++] = c;
            p->n++;
            i++;
            continue;
        }
        int count = 0;
        while (i < len && fmt[i] == c) i++, count++;
        enum tp_kind k;
        switch (c) {
        case 'y': case 'u': k = TP_YEAR; break;
        case 'M': case 'L': k = count >= 3 ? TP_MONTH_NAME : TP_MONTH; break;
        case 'd': k = TP_DAY; break;
        case 'H': k = TP_HOUR; break;
        case 'h': k = TP_HOUR12; break;
        case 'a': k = TP_AMPM; break;
        case 'm': k = TP_MINUTE; break;
        case 's': k = TP_SECOND; break;
        case 'S': k = TP_FRACTION; break;
        case 'E': k = TP_DAY_NAME; break;
        case 'X': case 'x': case 'Z': k = TP_OFFSET; break;
        default:
            snprintf(why, 128, "unsupported pattern letter '%c'", c);
            return -1;
        }
        if ((k == TP_FRACTION && count > 9) || (k != TP_FRACTION && k != TP_YEAR && k != TP_MONTH_NAME &&
                                                k != TP_DAY_NAME && k != TP_OFFSET && count > 2)) {
            snprintf(why, 128, "too many pattern letters '%c'", c);
            return -1;
        }
        *it = (struct tp_item){ .kind = k, .count = count, .letter = c };
        p->n++;
    }
    *out = p;
    return 0;
}

/* A number of `min`..`max` digits at s[*i]. */
static bool number(const char *s, size_t n, size_t *i, int min, int max, int64_t *out)
{
    int64_t v = 0;
    int k = 0;
    while (k < max && *i < n && s[*i] >= '0' && s[*i] <= '9') {
        v = v * 10 + (s[*i] - '0');
        (*i)++;
        k++;
    }
    *out = v;
    return k >= min;
}

/* One of `names` (case-insensitive, full or 3-letter) at s[*i]; its index. */
static bool name(const char *s, size_t n, size_t *i, const char *const *names, int count, int *out)
{
    for (int j = 0; j < count; j++) {
        size_t full = strlen(names[j]);
        if (n - *i >= full && strncasecmp(s + *i, names[j], full) == 0) {
            *i += full;
            *out = j;
            return true;
        }
    }
    for (int j = 0; j < count; j++)
        if (n - *i >= 3 && strncasecmp(s + *i, names[j], 3) == 0) {
            *i += 3;
            *out = j;
            return true;
        }
    return false;
}

static const char *const months[] = { "January", "February", "March", "April", "May", "June", "July",
                                      "August", "September", "October", "November", "December" };
static const char *const days[] = { "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday" };

static bool offset(const char *s, size_t n, size_t *i, int64_t *secs)
{
    if (*i < n && s[*i] == 'Z') {
        (*i)++;
        *secs = 0;
        return true;
    }
    if (*i >= n || (s[*i] != '+' && s[*i] != '-')) return false;
    int sign = s[*i] == '-' ? -1 : 1;
    (*i)++;
    int64_t hh, mm = 0;
    if (!number(s, n, i, 2, 2, &hh)) return false;
    if (*i < n && s[*i] == ':') (*i)++;
    if (*i < n && s[*i] >= '0' && s[*i] <= '9' && !number(s, n, i, 2, 2, &mm)) return false;
    if (hh > 18 || mm > 59) return false;
    *secs = sign * (hh * 3600 + mm * 60);
    return true;
}

static bool leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool sluice_time_pattern_parse(const struct time_pattern *p, const char *s, size_t n, int64_t *us)
{
    int64_t year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, frac = 0, off = 0;
    int64_t h12 = -1;
    bool zoned = false; /* else the text is local to the session's zone */
    int pm = -1, idx;
    size_t i = 0;
    for (int k = 0; k < p->n; k++) {
        const struct tp_item *it = &p->items[k];
        bool fixed = it->count == 2;
        switch (it->kind) {
        case TP_LIT:
            if (n - i < it->lit_len || memcmp(s + i, it->lit, it->lit_len) != 0) return false;
            i += it->lit_len;
            break;
        case TP_YEAR:
            if (it->count == 2) {
                if (!number(s, n, &i, 2, 2, &year)) return false;
                year += 2000;
            } else if (!number(s, n, &i, it->count, 6, &year)) {
                return false;
            }
            break;
        case TP_MONTH:
            if (!number(s, n, &i, fixed ? 2 : 1, 2, &month)) return false;
            break;
        case TP_MONTH_NAME:
            if (!name(s, n, &i, months, 12, &idx)) return false;
            month = idx + 1;
            break;
        case TP_DAY:
            if (!number(s, n, &i, fixed ? 2 : 1, 2, &day)) return false;
            break;
        case TP_HOUR:
            if (!number(s, n, &i, fixed ? 2 : 1, 2, &hour)) return false;
            break;
        case TP_HOUR12:
            if (!number(s, n, &i, fixed ? 2 : 1, 2, &h12) || h12 < 1 || h12 > 12) return false;
            break;
        case TP_AMPM:
            if (n - i >= 2 && strncasecmp(s + i, "AM", 2) == 0) pm = 0;
            else if (n - i >= 2 && strncasecmp(s + i, "PM", 2) == 0) pm = 1;
            else return false;
            i += 2;
            break;
        case TP_MINUTE:
            if (!number(s, n, &i, fixed ? 2 : 1, 2, &minute)) return false;
            break;
        case TP_SECOND:
            if (!number(s, n, &i, fixed ? 2 : 1, 2, &second)) return false;
            break;
        case TP_FRACTION: {
            size_t start = i;
            if (!number(s, n, &i, 1, it->count, &frac)) return false;
            for (size_t d = i - start; d < 6; d++) frac *= 10;
            for (size_t d = i - start; d > 6; d--) frac /= 10;
            break;
        }
        case TP_DAY_NAME:
            if (!name(s, n, &i, days, 7, &idx)) return false;
            break;
        case TP_OFFSET:
            if (!offset(s, n, &i, &off)) return false;
            zoned = true;
            break;
        }
    }
    if (i != n) return false;
    if (h12 >= 0) hour = h12 % 12 + (pm == 1 ? 12 : 0);
    else if (pm == 1 && hour < 12) hour += 12;
    static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    /* Microseconds in an int64 reach about 292,000 years either way. */
    if (year > 290000 || month < 1 || month > 12 || day < 1 || day > dm[month - 1] + (month == 2 && leap(year)) || hour > 23 ||
        minute > 59 || second > 59)
        return false;
    int64_t days_since = sluice_days_from_civil(year, (unsigned)month, (unsigned)day);
    *us = ((days_since * 86400 + hour * 3600 + minute * 60 + second) - off) * US_PER_SEC + frac;
    if (!zoned) *us = sluice_tz_utc_us(*us);
    return true;
}

/* ---- date_format and date_trunc --------------------------------------------------- */

static size_t put_num(char *o, int64_t v, int width)
{
    char digits[32];
    if (width > 20) width = 20; /* yyyyyyyy...: no year has more digits; the buffer stays whole */
    int n = snprintf(digits, sizeof digits, "%0*lld", width, (long long)(v < 0 ? -v : v));
    size_t w = 0;
    if (v < 0) o[w++] = '-';
    memcpy(o + w, digits, (size_t)n);
    return w + (size_t)n;
}

/* A zone offset as Java's DateTimeFormatter writes it: X (Z for zero)
 * and x as +HH, +HHMM or +HH:MM by count; Z as +HHMM, GMT+HH:MM (4) or
 * +HH:MM / Z (5). Seconds of an offset are not written. */
static size_t put_offset(char *o, char letter, int count, int32_t off)
{
    if (off == 0 && (letter == 'X' || (letter == 'Z' && count == 5))) return o[0] = 'Z', 1;
    if (off == 0 && letter == 'Z' && count == 4) return memcpy(o, "GMT", 3), 3;
    int32_t a = off < 0 ? -off : off;
    int h = a / 3600, m = a / 60 % 60;
    size_t w = 0;
    if (letter == 'Z' && count == 4) memcpy(o, "GMT", 3), w = 3;
    bool colon = (letter == 'Z' && count >= 4) || (letter != 'Z' && count >= 3);
    bool minutes = letter == 'Z' || count >= 2 || m != 0;
    int n = sprintf(o + w, "%c%02d", off < 0 ? '-' : '+', h);
    w += (size_t)n;
    if (minutes) w += (size_t)sprintf(o + w, colon ? ":%02d" : "%02d", m);
    return w;
}

/* The most bytes one formatted value takes: every item at its widest. */
size_t sluice_time_pattern_width(const struct time_pattern *p)
{
    size_t w = 0;
    for (int k = 0; k < p->n; k++) w += p->items[k].kind == TP_LIT ? p->items[k].lit_len : 24 + (size_t)p->items[k].count;
    return w;
}

/* `us` (UTC) as pattern `p` writes it, Spark's DateTimeFormatter in UTC;
 * into o (sluice_time_pattern_width bytes), returning the length. */
size_t sluice_time_pattern_format(const struct time_pattern *p, int64_t utc_us, char *o)
{
    int32_t zone = sluice_tz_session_offset(utc_us);
    int64_t us = sluice_tz_local_us(utc_us);
    int64_t day = sluice_floor_div(us, US_PER_DAY), in_day = us - day * US_PER_DAY;
    int64_t y;
    unsigned m, d;
    sluice_civil_from_days(day, &y, &m, &d);
    int64_t hour = in_day / (3600 * US_PER_SEC), minute = in_day / (60 * US_PER_SEC) % 60,
            second = in_day / US_PER_SEC % 60, micros = in_day % US_PER_SEC;
    int weekday = (int)((day % 7 + 7 + 3) % 7); /* 1970-01-01 was a Thursday: Monday is 0 */
    size_t w = 0;
    for (int k = 0; k < p->n; k++) {
        const struct tp_item *it = &p->items[k];
        int count = it->count;
        switch (it->kind) {
        case TP_LIT:
            memcpy(o + w, it->lit, it->lit_len);
            w += it->lit_len;
            break;
        case TP_YEAR: w += count == 2 ? put_num(o + w, (y % 100 + 100) % 100, 2) : put_num(o + w, y, count); break;
        case TP_MONTH: w += put_num(o + w, m, count); break;
        case TP_MONTH_NAME: {
            size_t len = count >= 4 ? strlen(months[m - 1]) : 3;
            memcpy(o + w, months[m - 1], len);
            w += len;
            break;
        }
        case TP_DAY: w += put_num(o + w, d, count); break;
        case TP_HOUR: w += put_num(o + w, hour, count); break;
        case TP_HOUR12: w += put_num(o + w, hour % 12 ? hour % 12 : 12, count); break;
        case TP_AMPM:
            memcpy(o + w, hour < 12 ? "AM" : "PM", 2);
            w += 2;
            break;
        case TP_MINUTE: w += put_num(o + w, minute, count); break;
        case TP_SECOND: w += put_num(o + w, second, count); break;
        case TP_FRACTION: { /* the first `count` digits of the fraction, as Spark's S...S */
            char f[8];
            snprintf(f, sizeof f, "%06lld", (long long)micros);
            for (int q = 0; q < count; q++) o[w++] = q < 6 ? f[q] : '0';
            break;
        }
        case TP_DAY_NAME: {
            size_t len = count >= 4 ? strlen(days[weekday]) : 3;
            memcpy(o + w, days[weekday], len);
            w += len;
            break;
        }
        case TP_OFFSET:
            w += put_offset(o + w, it->letter, count, zone);
            break;
        }
    }
    return w;
}

/* date_trunc's units (Spark's names, any case), as what they keep. */
enum trunc_unit { TR_YEAR = 1, TR_QUARTER, TR_MONTH, TR_WEEK, TR_DAY, TR_HOUR, TR_MINUTE, TR_SECOND, TR_MILLI, TR_MICRO };

int sluice_time_trunc_unit(const char *s, size_t n)
{
    static const struct { const char *name; enum trunc_unit u; } units[] = {
        { "year", TR_YEAR }, { "yyyy", TR_YEAR }, { "yy", TR_YEAR }, { "quarter", TR_QUARTER },
        { "month", TR_MONTH }, { "mon", TR_MONTH }, { "mm", TR_MONTH }, { "week", TR_WEEK }, { "day", TR_DAY },
        { "dd", TR_DAY }, { "hour", TR_HOUR }, { "minute", TR_MINUTE }, { "second", TR_SECOND },
        { "millisecond", TR_MILLI }, { "microsecond", TR_MICRO },
    };
    for (size_t k = 0; k < sizeof units / sizeof units[0]; k++)
        if (strlen(units[k].name) == n && strncasecmp(units[k].name, s, n) == 0) return (int)units[k].u;
    return 0;
}

static int64_t trunc_us(int64_t us, int unit)
{
    int64_t day = sluice_floor_div(us, US_PER_DAY);
    switch (unit) {
    case TR_MICRO: return us;
    case TR_MILLI: return sluice_floor_div(us, 1000) * 1000;
    case TR_SECOND: return sluice_floor_div(us, US_PER_SEC) * US_PER_SEC;
    case TR_MINUTE: return sluice_floor_div(us, 60 * US_PER_SEC) * 60 * US_PER_SEC;
    case TR_HOUR: return sluice_floor_div(us, 3600 * US_PER_SEC) * 3600 * US_PER_SEC;
    case TR_DAY: return day * US_PER_DAY;
    case TR_WEEK: return (day - (day % 7 + 7 + 3) % 7) * US_PER_DAY; /* back to Monday */
    default: break;
    }
    int64_t y;
    unsigned m, d;
    sluice_civil_from_days(day, &y, &m, &d);
    if (unit == TR_YEAR) m = 1;
    if (unit == TR_QUARTER) m = (m - 1) / 3 * 3 + 1;
    return sluice_days_from_civil(y, m, 1) * US_PER_DAY;
}

static const struct evec *eval_date_format(struct ectx *c, const struct expr_node *nd, const struct evec *a)
{
    int64_t n = c->n;
    if (!nd->tfmt) return ectx_null(c);
    struct evec *v = ectx_vec(c);
    v->valid = a->valid;
    struct sbuild b;
    if (!sbuild_init(c, &b, (size_t)n * sluice_time_pattern_width(nd->tfmt))) return ectx_null(c);
    for (int64_t i = 0; i < n; i++)
        sbuild_end_row(&b, i, evec_valid(a, i) ? sluice_time_pattern_format(nd->tfmt, a->l[i], sbuild_room(&b)) : 0);
    sbuild_to_vec(&b, v);
    return v;
}

/* A day count far outside any date, for date_add's argument: keeps the
 * sum from overflowing, and the result is then out of range (null). */
static int64_t clamp_days(int64_t d)
{
    return d > ((int64_t)1 << 40) ? ((int64_t)1 << 40) : d < -((int64_t)1 << 40) ? -((int64_t)1 << 40) : d;
}

/* Dates beyond int32 days (Arrow's date32) become null. */
static void drop_out_of_range_dates(struct ectx *c, struct evec *v)
{
    uint8_t *valid = NULL;
    for (int64_t i = 0; i < c->n; i++) {
        if (!evec_valid(v, i) || (v->l[i] >= INT32_MIN && v->l[i] <= INT32_MAX)) continue;
        if (!valid) {
            valid = ectx_alloc(c, (size_t)c->n);
            for (int64_t k = 0; k < c->n; k++) valid[k] = evec_valid(v, k);
        }
        valid[i] = 0;
        v->l[i] = 0;
    }
    if (valid) v->valid = valid;
}

const struct evec *sluice_expr_eval_time(struct ectx *c, const struct expr_node *nd)
{
    int64_t n = c->n;
    const struct evec *a = sluice_expr_eval_node(c, nd->args[0]);
    struct evec *v = ectx_vec(c);
    v->l = ectx_alloc(c, (size_t)n * 8);
    if (nd->fn == FN_DATE_ADD || nd->fn == FN_DATE_SUB || nd->fn == FN_DATEDIFF) {
        const struct evec *b = sluice_expr_eval_node(c, nd->args[1]);
        const struct evec *both[2] = { a, b };
        v->valid = (uint8_t *)ectx_valid_and(c, both, 2);
        int64_t sign = nd->fn == FN_DATE_SUB ? -1 : 1;
        /* Days and their differences stay far inside an int64: Spark's int
         * results wrap, these do not, and a date out of int32 is null. */
        for (int64_t i = 0; i < n; i++) v->l[i] = nd->fn == FN_DATEDIFF ? a->l[i] - b->l[i] : a->l[i] + sign * clamp_days(b->l[i]);
        if (nd->fn != FN_DATEDIFF) drop_out_of_range_dates(c, v);
        return v;
    }
    if (nd->fn == FN_TO_TIMESTAMP || nd->fn == FN_TO_DATE) {
        if (nd->n_args == 1) return a; /* the checker cast the argument */
        if (!nd->tfmt) return ectx_null(c);
        const struct evec *f = sluice_expr_eval_node(c, nd->args[1]);
        const struct evec *both[2] = { a, f };
        uint8_t *valid = ectx_alloc(c, (size_t)n);
        const uint8_t *in = ectx_valid_and(c, both, 2);
        for (int64_t i = 0; i < n; i++) {
            int32_t len;
            const char *s = evec_str(a, i, &len);
            valid[i] = (!in || in[i]) && sluice_time_pattern_parse(nd->tfmt, s, (size_t)len, &v->l[i]);
            if (!valid[i]) v->l[i] = 0;
            else if (nd->fn == FN_TO_DATE) v->l[i] = sluice_floor_div(sluice_tz_local_us(v->l[i]), US_PER_DAY);
        }
        v->valid = valid;
        return v;
    }
    if (nd->fn == FN_DATE_FORMAT) return eval_date_format(c, nd, a);
    if (nd->fn == FN_DATE_TRUNC) {
        /* date_trunc(unit, ts): the timestamp is the second argument. */
        const struct evec *ts = sluice_expr_eval_node(c, nd->args[1]);
        if (!nd->iarg) return ectx_null(c);
        v->valid = ts->valid;
        /* In the session's zone: a day starts at its local midnight. */
        for (int64_t i = 0; i < n; i++)
            v->l[i] = evec_valid(ts, i) ? sluice_tz_utc_us(trunc_us(sluice_tz_local_us(ts->l[i]), (int)nd->iarg)) : 0;
        return v;
    }
    v->valid = a->valid;
    for (int64_t i = 0; i < n; i++) {
        if (!evec_valid(a, i)) {
            v->l[i] = 0;
            continue;
        }
        int64_t us = sluice_tz_local_us(a->l[i]); /* parts of the session's local time */
        /* The remainder, not us - day * US_PER_DAY: near INT64_MIN (a
         * saturated cast) that product leaves the int64 range. */
        int64_t day = sluice_floor_div(us, US_PER_DAY), in_day = us % US_PER_DAY;
        if (in_day < 0) in_day += US_PER_DAY;
        switch (nd->fn) {
        case FN_YEAR:
        case FN_MONTH:
        case FN_DAYOFMONTH: {
            int64_t y;
            unsigned m, d;
            sluice_civil_from_days(day, &y, &m, &d);
            v->l[i] = nd->fn == FN_YEAR ? y : nd->fn == FN_MONTH ? (int64_t)m : (int64_t)d;
            break;
        }
        case FN_HOUR: v->l[i] = in_day / (3600 * US_PER_SEC); break;
        case FN_MINUTE: v->l[i] = in_day / (60 * US_PER_SEC) % 60; break;
        case FN_SECOND: v->l[i] = in_day / US_PER_SEC % 60; break;
        default: break;
        }
    }
    return v;
}
