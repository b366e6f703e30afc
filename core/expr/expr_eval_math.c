/* Math functions: abs, round (HALF_UP like Spark), floor and ceil (longs). */
#include "expr_priv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Java's (long) of a double: truncation, saturating, NaN to 0. */
static int64_t to_long(double x)
{
    if (isnan(x)) return 0;
    if (x >= 9223372036854775808.0) return INT64_MAX;
    if (x <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)x;
}

/* round(x) for a double: half away from zero. Below 2^52 the fraction is
 * exact, and since x.5 is itself a double, comparing the exact fraction
 * gives what Spark's decimal rounding of Double.toString(x) gives. */
static double round0(double x)
{
    double a = fabs(x);
    if (!(a < 4503599627370496.0)) return x; /* already integral, or NaN/Inf */
    double f = floor(a);
    double r = a - f >= 0.5 ? f + 1 : f;
    return copysign(r, x);
}

/* round(x, d) for a double, d != 0: Spark rounds BigDecimal(x), whose
 * digits are Double.toString's, so round those decimal digits HALF_UP. */
static double round_scale(double x, int64_t d)
{
    if (!isfinite(x) || x == 0) return x;
    char buf[40];
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec - 1, x);
        if (sluice_expr_strtod(buf) == x) break;
    }
    char digits[24];
    int nd = 0;
    const char *p = buf + (buf[0] == '-');
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9') digits[nd++] = *p;
    int64_t exp = atoi(p + 1);
    while (nd > 1 && digits[nd - 1] == '0') nd--;
    int64_t keep = exp + 1 + d; /* digits at or above 10^-d */
    if (keep >= nd) return x;
    if (keep < 0) return 0.0;
    bool up = digits[keep] >= '5';
    int k = (int)keep;
    if (up) {
        int i = k - 1;
        while (i >= 0 && digits[i] == '9') digits[i--] = '0';
        if (i >= 0) {
            digits[i]++;
        } else {
            /* 9.99 -> 10.0: one more leading digit */
            memmove(digits + 1, digits, (size_t)k);
            digits[0] = '1';
            k++;
            exp++;
        }
    }
    if (k == 0) {
        if (!up) return 0.0;
        digits[0] = '1';
        k = 1;
        exp = -d;
    }
    char out[64];
    int w = snprintf(out, sizeof out, "%s0.", x < 0 ? "-" : "");
    memcpy(out + w, digits, (size_t)k);
    w += k;
    snprintf(out + w, sizeof out - (size_t)w, "e%lld", (long long)(exp + 1));
    return sluice_expr_strtod(out);
}

/* round(x, d) for a long: only a negative scale changes it. */
static int64_t round_long(int64_t x, int64_t d)
{
    if (d >= 0) return x;
    if (d < -18) return 0;
    int64_t p = 1;
    for (int64_t i = 0; i < -d; i++) p *= 10;
    int64_t q = x / p, r = x % p;
    if (r * 2 >= p) q++;
    else if (r * 2 <= -p) q--;
    return (int64_t)((uint64_t)q * (uint64_t)p);
}

const struct evec *sluice_expr_eval_math(struct ectx *c, const struct expr_node *nd)
{
    int64_t n = c->n;
    const struct evec *a = sluice_expr_eval_node(c, nd->args[0]);
    bool dbl = nd->args[0]->type == SLUICE_TYPE_DOUBLE;
    struct evec *v = ectx_vec(c);
    v->valid = a->valid;
    switch (nd->fn) {
    case FN_ABS:
        if (dbl) {
            v->d = ectx_alloc(c, (size_t)n * 8);
            for (int64_t i = 0; i < n; i++) v->d[i] = fabs(a->d[i]);
        } else {
            /* abs(Long.MIN_VALUE) stays negative, as in Java. */
            v->l = ectx_alloc(c, (size_t)n * 8);
            for (int64_t i = 0; i < n; i++) v->l[i] = a->l[i] < 0 ? (int64_t)(0 - (uint64_t)a->l[i]) : a->l[i];
        }
        return v;
    case FN_FLOOR:
    case FN_CEIL:
        if (!dbl) return a;
        v->l = ectx_alloc(c, (size_t)n * 8);
        if (nd->fn == FN_FLOOR) for (int64_t i = 0; i < n; i++) v->l[i] = to_long(floor(a->d[i]));
        else for (int64_t i = 0; i < n; i++) v->l[i] = to_long(ceil(a->d[i]));
        return v;
    case FN_ROUND:
        if (dbl) {
            v->d = ectx_alloc(c, (size_t)n * 8);
            if (nd->iarg == 0) {
                for (int64_t i = 0; i < n; i++) v->d[i] = round0(a->d[i]);
            } else {
                for (int64_t i = 0; i < n; i++) v->d[i] = evec_valid(a, i) ? round_scale(a->d[i], nd->iarg) : 0;
            }
        } else {
            if (nd->iarg >= 0) return a;
            v->l = ectx_alloc(c, (size_t)n * 8);
            for (int64_t i = 0; i < n; i++) v->l[i] = round_long(a->l[i], nd->iarg);
        }
        return v;
    default:
        return ectx_null(c);
    }
}
