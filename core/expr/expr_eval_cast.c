/* CAST between the scalar types, explicit or inserted by the checker, with
 * Spark's non-ANSI rules: a string that does not parse gives null, numbers
 * narrow the way Java casts do (saturating, NaN to 0), a long is seconds
 * when it becomes a timestamp, and a double prints as Java's
 * Double.toString (`1.0E10`, `0.001`). */
#define _GNU_SOURCE /* strtod_l: numbers must not follow LC_NUMERIC */
#include "expr_priv.h"

#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "render.h"
#include "timefmt.h"
#include "tz.h"

#define US_PER_DAY 86400000000LL

/* ---- one value ----------------------------------------------------------------- */

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void make_c_locale(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

double sluice_expr_strtod(const char *s)
{
    pthread_once(&c_locale_once, make_c_locale);
    return c_locale ? strtod_l(s, NULL, c_locale) : strtod(s, NULL);
}

/* Java's trim for numbers: every byte up to space, and DEL. */
static void trim_ws(const char **s, size_t *n)
{
    while (*n && ((unsigned char)**s <= ' ' || **s == 0x7F)) (*s)++, (*n)--;
    while (*n && ((unsigned char)(*s)[*n - 1] <= ' ' || (*s)[*n - 1] == 0x7F)) (*n)--;
}

/* UTF8String.toLong: optional sign, digits, and a fraction that is checked
 * for digits but dropped; overflow is not a number. */
bool sluice_expr_parse_long(const char *s, size_t n, int64_t *out)
{
    trim_ws(&s, &n);
    if (!n) return false;
    size_t i = 0;
    bool neg = s[0] == '-';
    if (neg || s[0] == '+') {
        if (n == 1) return false;
        i++;
    }
    uint64_t v = 0, limit = neg ? (uint64_t)1 << 63 : ((uint64_t)1 << 63) - 1;
    for (; i < n; i++) {
        char ch = s[i];
        if (ch == '.') {
            for (i++; i < n; i++)
                if (s[i] < '0' || s[i] > '9') return false;
            break;
        }
        if (ch < '0' || ch > '9') return false;
        unsigned d = (unsigned)(ch - '0');
        if (v > (limit - d) / 10) return false;
        v = v * 10 + d;
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

/* Java's Double.parseDouble (decimal forms) plus Spark's special literals
 * inf, +inf, -inf, infinity, nan in any case. */
bool sluice_expr_parse_double(const char *s, size_t n, double *out)
{
    trim_ws(&s, &n);
    if (!n || n > 400) return false;
    static const struct { const char *text; double value; } special[] = {
        { "nan", NAN }, { "inf", INFINITY }, { "+inf", INFINITY }, { "infinity", INFINITY },
        { "+infinity", INFINITY }, { "-inf", -INFINITY }, { "-infinity", -INFINITY },
    };
    for (size_t k = 0; k < sizeof special / sizeof special[0]; k++)
        if (strlen(special[k].text) == n && strncasecmp(s, special[k].text, n) == 0) {
            *out = special[k].value;
            return true;
        }
    size_t i = 0, digits = 0;
    if (s[i] == '+' || s[i] == '-') i++;
    while (i < n && s[i] >= '0' && s[i] <= '9') i++, digits++;
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++, digits++;
    }
    if (!digits) return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-')) i++;
        size_t e = i;
        while (i < n && s[i] >= '0' && s[i] <= '9') i++;
        if (i == e) return false;
    }
    size_t end = i;
    if (i < n && (s[i] == 'd' || s[i] == 'D' || s[i] == 'f' || s[i] == 'F')) i++;
    if (i != n) return false;
    char buf[404];
    memcpy(buf, s, end);
    buf[end] = '\0';
    *out = sluice_expr_strtod(buf);
    return true;
}

bool sluice_expr_parse_bool(const char *s, size_t n, bool *out)
{
    trim_ws(&s, &n);
    static const char *const yes[] = { "t", "true", "y", "yes", "1" };
    static const char *const no[] = { "f", "false", "n", "no", "0" };
    for (size_t k = 0; k < 5; k++) {
        if (strlen(yes[k]) == n && strncasecmp(s, yes[k], n) == 0) return *out = true, true;
        if (strlen(no[k]) == n && strncasecmp(s, no[k], n) == 0) return *out = false, true;
    }
    return false;
}

bool sluice_expr_parse_timestamp(const char *s, size_t n, int64_t *out)
{
    trim_ws(&s, &n);
    return sluice_time_parse(s, n, out) == 0;
}

static size_t format_long(int64_t v, char *out)
{
    char tmp[24];
    int k = 0;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[k++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t n = 0;
    if (v < 0) out[n++] = '-';
    while (k) out[n++] = tmp[--k];
    return n;
}

/* Java's (long) of a double: truncation, saturating, NaN to 0. */
static int64_t double_to_long(double x)
{
    if (isnan(x)) return 0;
    if (x >= 9223372036854775808.0) return INT64_MAX;
    if (x <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)x;
}

/* ---- whole columns ----------------------------------------------------------------- */

/* A validity array the kernel can clear bits in (copied from the input's). */
static uint8_t *own_valid(struct ectx *c, const struct evec *a)
{
    uint8_t *v = ectx_alloc(c, (size_t)c->n);
    if (a->valid) memcpy(v, a->valid, (size_t)c->n);
    else memset(v, 1, (size_t)c->n);
    return v;
}

static const struct evec *to_string(struct ectx *c, enum sluice_type from, int scale, const struct evec *a)
{
    int64_t n = c->n;
    struct evec *v = ectx_vec(c);
    v->valid = a->valid;
    /* At most 48 bytes a row: a bound, checked row by row where the limit
     * is lower (a batch of 44 million rows). */
    struct sbuild b;
    size_t cap = (size_t)n * 48;
    if (cap > sbuild_limit()) cap = sbuild_limit();
    sbuild_init(c, &b, cap);
    for (int64_t i = 0; i < n; i++) {
        size_t len = 0;
        if (__builtin_expect(b.cap - b.len < 48, 0)) {
            c->refused = true;
            return ectx_null(c);
        }
        char *w = sbuild_room(&b);
        if (evec_valid(a, i)) {
            switch (from) {
            case SLUICE_TYPE_BOOLEAN:
                len = a->b[i] ? 4 : 5;
                memcpy(w, a->b[i] ? "true" : "false", len);
                break;
            case SLUICE_TYPE_LONG: len = format_long(a->l[i], w); break;
            case SLUICE_TYPE_DOUBLE: {
                char tmp[32];
                len = sluice_render_double_text(a->d[i], tmp);
                memcpy(w, tmp, len);
                break;
            }
            case SLUICE_TYPE_TIMESTAMP: {
                char tmp[40];
                len = sluice_time_format_show(a->l[i], tmp);
                memcpy(w, tmp, len);
                break;
            }
            case SLUICE_TYPE_DATE: {
                char tmp[16];
                len = sluice_date_format((int32_t)a->l[i], tmp);
                memcpy(w, tmp, len);
                break;
            }
            case SLUICE_TYPE_DECIMAL: {
                len = sluice_dec_format_to(a->x[i], scale, w);
                break;
            }
            default: break;
            }
        }
        sbuild_end_row(&b, i, len);
    }
    sbuild_to_vec(&b, v);
    return v;
}

static const struct evec *from_string(struct ectx *c, enum sluice_type to, const struct evec *a)
{
    int64_t n = c->n;
    struct evec *v = ectx_vec(c);
    uint8_t *valid = own_valid(c, a);
    if (to == SLUICE_TYPE_BOOLEAN) v->b = ectx_alloc(c, (size_t)n);
    else if (to == SLUICE_TYPE_DOUBLE) v->d = ectx_alloc(c, (size_t)n * 8);
    else v->l = ectx_alloc(c, (size_t)n * 8);
    for (int64_t i = 0; i < n; i++) {
        int32_t len;
        const char *s = evec_str(a, i, &len);
        bool ok = false;
        if (valid[i]) {
            switch (to) {
            case SLUICE_TYPE_BOOLEAN: {
                bool x = false;
                ok = sluice_expr_parse_bool(s, (size_t)len, &x);
                v->b[i] = x;
                break;
            }
            case SLUICE_TYPE_LONG: ok = sluice_expr_parse_long(s, (size_t)len, &v->l[i]); break;
            case SLUICE_TYPE_DOUBLE: ok = sluice_expr_parse_double(s, (size_t)len, &v->d[i]); break;
            case SLUICE_TYPE_TIMESTAMP: ok = sluice_expr_parse_timestamp(s, (size_t)len, &v->l[i]); break;
            case SLUICE_TYPE_DATE: {
                int32_t days;
                ok = sluice_date_parse(s, (size_t)len, &days) == 0;
                v->l[i] = days;
                break;
            }
            default: break;
            }
        }
        if (!ok) {
            valid[i] = 0;
            if (to == SLUICE_TYPE_BOOLEAN) v->b[i] = 0;
            else if (to == SLUICE_TYPE_DOUBLE) v->d[i] = 0;
            else v->l[i] = 0;
        }
    }
    v->valid = valid;
    return v;
}

/* Casts to and from DECIMAL, as Spark's non-ANSI Cast: rounded half up
 * to the target's scale, null when the value has more digits than its
 * precision (or is no number); a decimal to a long truncates toward zero. */
static const struct evec *cast_decimal(struct ectx *c, const struct expr_node *nd, const struct evec *a)
{
    int64_t n = c->n;
    const struct expr_node *x = nd->args[0];
    enum sluice_type from = x->type, to = nd->type;
    int fp = 0, fs = 0, tp = 0, ts = 0;
    if (from == SLUICE_TYPE_DECIMAL) sluice_decimal_params(x->schema, &fp, &fs);
    if (to == SLUICE_TYPE_DECIMAL) sluice_decimal_params(nd->schema, &tp, &ts);
    struct evec *v = ectx_vec(c);
    uint8_t *valid = own_valid(c, a);
    v->valid = valid;
    if (to == SLUICE_TYPE_DECIMAL) v->x = ectx_alloc(c, (size_t)n * sizeof *v->x);
    else if (to == SLUICE_TYPE_DOUBLE) v->d = ectx_alloc(c, (size_t)n * 8);
    else v->l = ectx_alloc(c, (size_t)n * 8);
    for (int64_t i = 0; i < n; i++) {
        bool ok = valid[i];
        if (to == SLUICE_TYPE_DECIMAL) {
            sluice_dec r = 0;
            if (ok) {
                switch (from) {
                case SLUICE_TYPE_DECIMAL: ok = sluice_dec_rescale(a->x[i], fs, ts, tp, &r); break;
                case SLUICE_TYPE_LONG: ok = sluice_dec_rescale(a->l[i], 0, ts, tp, &r); break;
                case SLUICE_TYPE_DOUBLE: ok = sluice_dec_from_double(a->d[i], tp, ts, &r); break;
                case SLUICE_TYPE_STRING: {
                    int32_t len;
                    const char *s = evec_str(a, i, &len);
                    /* Spark trims the string first (UTF8String.trimAll). */
                    while (len && (unsigned char)*s <= ' ') s++, len--;
                    while (len && (unsigned char)s[len - 1] <= ' ') len--;
                    ok = sluice_dec_parse(s, (size_t)len, tp, ts, &r) == 0;
                    break;
                }
                default: ok = false; break;
                }
            }
            v->x[i] = ok ? r : 0;
        } else if (to == SLUICE_TYPE_DOUBLE) {
            v->d[i] = ok ? sluice_dec_to_double(a->x[i], fs) : 0;
        } else {
            int64_t l = 0;
            ok = ok && to == SLUICE_TYPE_LONG && sluice_dec_to_long(a->x[i], fs, &l);
            v->l[i] = l;
        }
        valid[i] = ok;
    }
    return v;
}

const struct evec *sluice_expr_eval_cast(struct ectx *c, const struct expr_node *nd)
{
    int64_t n = c->n;
    const struct expr_node *x = nd->args[0];
    enum sluice_type from = x->type, to = nd->type;
    const struct evec *a = sluice_expr_eval_node(c, x);
    if (from == to && (to != SLUICE_TYPE_DECIMAL || strcmp(x->schema->format, nd->schema->format) == 0)) return a;
    if (from == SLUICE_TYPE_INVALID) return ectx_null(c);
    if (to == SLUICE_TYPE_DECIMAL || (from == SLUICE_TYPE_DECIMAL && to != SLUICE_TYPE_STRING))
        return cast_decimal(c, nd, a);
    if (to == SLUICE_TYPE_STRING) {
        int prec = 0, scale = 0;
        if (from == SLUICE_TYPE_DECIMAL) sluice_decimal_params(x->schema, &prec, &scale);
        return to_string(c, from, scale, a);
    }
    if (from == SLUICE_TYPE_STRING) return from_string(c, to, a);
    struct evec *v = ectx_vec(c);
    v->valid = a->valid;
    switch (to) {
    case SLUICE_TYPE_BOOLEAN:
        v->b = ectx_alloc(c, (size_t)n);
        if (from == SLUICE_TYPE_DOUBLE) for (int64_t i = 0; i < n; i++) v->b[i] = a->d[i] != 0;
        else for (int64_t i = 0; i < n; i++) v->b[i] = a->l[i] != 0;
        return v;
    case SLUICE_TYPE_LONG:
        v->l = ectx_alloc(c, (size_t)n * 8);
        if (from == SLUICE_TYPE_BOOLEAN) for (int64_t i = 0; i < n; i++) v->l[i] = a->b[i];
        else if (from == SLUICE_TYPE_DOUBLE) for (int64_t i = 0; i < n; i++) v->l[i] = double_to_long(a->d[i]);
        else for (int64_t i = 0; i < n; i++) v->l[i] = sluice_floor_div(a->l[i], 1000000);
        return v;
    case SLUICE_TYPE_DOUBLE:
        v->d = ectx_alloc(c, (size_t)n * 8);
        if (from == SLUICE_TYPE_BOOLEAN) for (int64_t i = 0; i < n; i++) v->d[i] = a->b[i];
        else if (from == SLUICE_TYPE_LONG) for (int64_t i = 0; i < n; i++) v->d[i] = (double)a->l[i];
        else for (int64_t i = 0; i < n; i++) v->d[i] = (double)a->l[i] / 1e6;
        return v;
    case SLUICE_TYPE_DATE:
        /* From a timestamp: its day, UTC (the check allows nothing else). */
        v->l = ectx_alloc(c, (size_t)n * 8);
        for (int64_t i = 0; i < n; i++) v->l[i] = sluice_floor_div(sluice_tz_local_us(a->l[i]), US_PER_DAY);
        return v;
    case SLUICE_TYPE_TIMESTAMP:
        v->l = ectx_alloc(c, (size_t)n * 8);
        if (from == SLUICE_TYPE_DATE) {
            /* Its midnight; a date beyond a timestamp's 290,000 years is null
             * (Spark's multiplyExact fails there). */
            uint8_t *valid = own_valid(c, a);
            for (int64_t i = 0; i < n; i++) {
                bool fits = a->l[i] <= INT64_MAX / US_PER_DAY && a->l[i] >= INT64_MIN / US_PER_DAY;
                v->l[i] = fits ? sluice_tz_utc_us(a->l[i] * US_PER_DAY) : 0; /* local midnight */
                valid[i] &= fits;
            }
            v->valid = valid;
        } else if (from == SLUICE_TYPE_BOOLEAN) {
            for (int64_t i = 0; i < n; i++) v->l[i] = a->b[i];
        } else if (from == SLUICE_TYPE_LONG) {
            /* Seconds, saturating like Java's TimeUnit.SECONDS.toMicros. */
            for (int64_t i = 0; i < n; i++) {
                int64_t s = a->l[i];
                v->l[i] = s > INT64_MAX / 1000000 ? INT64_MAX : s < INT64_MIN / 1000000 ? INT64_MIN : s * 1000000;
            }
        } else {
            uint8_t *valid = own_valid(c, a);
            for (int64_t i = 0; i < n; i++) {
                double s = a->d[i];
                if (!isfinite(s)) valid[i] = 0;
                v->l[i] = isfinite(s) ? double_to_long(s * 1e6) : 0;
            }
            v->valid = valid;
        }
        return v;
    default:
        return v;
    }
}
