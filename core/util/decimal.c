/* DECIMAL values: see decimal.h. Exact arithmetic runs on 256-bit
 * magnitudes (four 64-bit limbs, least significant first) with the sign
 * kept apart, then rounds to the result's scale. */
#include "decimal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;

#define E19 10000000000000000000ULL

sluice_dec sluice_dec_pow10(int n)
{
    static sluice_dec table[39];
    static int ready; /* written once with the same values by any thread: benign */
    if (!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)) {
        sluice_dec v = 1;
        for (int i = 0; i <= 38; i++) {
            table[i] = v;
            if (i < 38) v *= 10;
        }
        __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    }
    return table[n < 0 ? 0 : n > 38 ? 38 : n];
}

static u128 mag(sluice_dec v)
{
    return v < 0 ? (u128)0 - (u128)v : (u128)v;
}

bool sluice_dec_fits(sluice_dec v, int p)
{
    return mag(v) < (u128)sluice_dec_pow10(p);
}

/* ---- 256-bit magnitudes ---------------------------------------------------- */

struct u256 {
    uint64_t w[4];
};

static struct u256 from128(u128 v)
{
    return (struct u256){ { (uint64_t)v, (uint64_t)(v >> 64), 0, 0 } };
}

static bool is_zero(struct u256 a)
{
    return !(a.w[0] | a.w[1] | a.w[2] | a.w[3]);
}

static int cmp256(struct u256 a, struct u256 b)
{
    for (int i = 3; i >= 0; i--)
        if (a.w[i] != b.w[i]) return a.w[i] < b.w[i] ? -1 : 1;
    return 0;
}

static struct u256 add256(struct u256 a, struct u256 b)
{
    u128 carry = 0;
    for (int i = 0; i < 4; i++) {
        u128 s = (u128)a.w[i] + b.w[i] + carry;
        a.w[i] = (uint64_t)s;
        carry = s >> 64;
    }
    return a;
}

static struct u256 sub256(struct u256 a, struct u256 b) /* a >= b */
{
    uint64_t borrow = 0;
    for (int i = 0; i < 4; i++) {
        uint64_t d = a.w[i] - b.w[i] - borrow;
        borrow = a.w[i] < b.w[i] || (a.w[i] == b.w[i] && borrow);
        a.w[i] = d;
    }
    return a;
}

/* a * m, false on overflow past 256 bits. */
static bool mul_small(struct u256 *a, uint64_t m)
{
    u128 carry = 0;
    for (int i = 0; i < 4; i++) {
        u128 p = (u128)a->w[i] * m + carry;
        a->w[i] = (uint64_t)p;
        carry = p >> 64;
    }
    return carry == 0;
}

static struct u256 mul128(u128 a, u128 b)
{
    uint64_t x[2] = { (uint64_t)a, (uint64_t)(a >> 64) }, y[2] = { (uint64_t)b, (uint64_t)(b >> 64) };
    struct u256 r = { { 0, 0, 0, 0 } };
    for (int i = 0; i < 2; i++) {
        u128 carry = 0;
        for (int j = 0; j < 2; j++) {
            u128 p = (u128)x[i] * y[j] + r.w[i + j] + carry;
            r.w[i + j] = (uint64_t)p;
            carry = p >> 64;
        }
        r.w[i + 2] += (uint64_t)carry;
    }
    return r;
}

/* a / d, the remainder in *rem. */
static struct u256 div_small(struct u256 a, uint64_t d, uint64_t *rem)
{
    u128 r = 0;
    for (int i = 3; i >= 0; i--) {
        u128 cur = (r << 64) | a.w[i];
        a.w[i] = (uint64_t)(cur / d);
        r = cur % d;
    }
    if (rem) *rem = (uint64_t)r;
    return a;
}

/* a * 10^k, false on overflow. */
static bool scale_up(struct u256 *a, int k)
{
    for (; k >= 19; k -= 19)
        if (!mul_small(a, E19)) return false;
    uint64_t m = 1;
    while (k-- > 0) m *= 10;
    return mul_small(a, m);
}

/* a / 10^k rounded half up (k >= 1): only the first digit dropped decides. */
static struct u256 round_down(struct u256 a, int k)
{
    int rest = k - 1;
    for (; rest >= 19; rest -= 19) a = div_small(a, E19, NULL);
    uint64_t m = 1;
    while (rest-- > 0) m *= 10;
    if (m > 1) a = div_small(a, m, NULL);
    uint64_t digit;
    a = div_small(a, 10, &digit);
    if (digit >= 5) a = add256(a, from128(1));
    return a;
}

/* a / b and a % b (b non-zero), by shifts and subtractions. */
static struct u256 divmod256(struct u256 a, struct u256 b, struct u256 *rem)
{
    struct u256 q = { { 0, 0, 0, 0 } }, r = { { 0, 0, 0, 0 } };
    for (int bit = 255; bit >= 0; bit--) {
        for (int i = 3; i > 0; i--) r.w[i] = r.w[i] << 1 | r.w[i - 1] >> 63;
        r.w[0] = r.w[0] << 1 | (a.w[bit / 64] >> (bit % 64) & 1);
        if (cmp256(r, b) >= 0) {
            r = sub256(r, b);
            q.w[bit / 64] |= 1ULL << (bit % 64);
        }
    }
    if (rem) *rem = r;
    return q;
}

/* A magnitude at scale `from`, signed, as a decimal at scale `to` of at
 * most p digits. */
static bool finish(struct u256 m, bool neg, int from, int to, int p, sluice_dec *out)
{
    if (to > from && !scale_up(&m, to - from)) return false;
    if (to < from) m = round_down(m, from - to);
    if (m.w[2] || m.w[3]) return false;
    u128 v = (u128)m.w[1] << 64 | m.w[0];
    if (v >= (u128)sluice_dec_pow10(p)) return false;
    *out = neg ? -(sluice_dec)v : (sluice_dec)v;
    return true;
}

/* ---- text ------------------------------------------------------------------ */

int sluice_dec_parse(const char *t, size_t n, int p, int s, sluice_dec *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && (t[i] == '+' || t[i] == '-')) neg = t[i++] == '-';
    char digits[80];
    int nd = 0, frac = 0, seen = 0;
    bool dot = false, beyond = false; /* beyond: a non-zero digit past what digits[] holds */
    int dropped = 0;                   /* digits past digits[], before the point */
    for (; i < n; i++) {
        char c = t[i];
        if (c == '.' && !dot) {
            dot = true;
            continue;
        }
        if (!isdigit((unsigned char)c)) break;
        seen++;
        if (nd == 0 && c == '0') {
            if (dot) frac++;
            continue;
        }
        if (nd < (int)sizeof digits) {
            digits[nd++] = c;
            if (dot) frac++;
        } else {
            beyond |= c != '0';
            if (!dot) dropped++;
        }
    }
    if (!seen) return -1;
    long exp = 0;
    if (i < n && (t[i] == 'e' || t[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < n && (t[i] == '+' || t[i] == '-')) eneg = t[i++] == '-';
        if (i >= n || !isdigit((unsigned char)t[i])) return -1;
        for (; i < n && isdigit((unsigned char)t[i]); i++)
            if (exp < 100000) exp = exp * 10 + (t[i] - '0');
        if (eneg) exp = -exp;
    }
    if (i != n) return -1;
    (void)beyond;
    /* value = digits * 10^(exp + dropped - frac); unscaled = that * 10^s. */
    long k = exp + dropped - frac + s;
    if (nd == 0) {
        *out = 0;
        return 0;
    }
    long keep = nd + (k < 0 ? k : 0); /* digits that stay before rounding */
    struct u256 m = { { 0, 0, 0, 0 } };
    for (long d = 0; d < keep && d < nd; d++) {
        mul_small(&m, 10);
        m = add256(m, from128((u128)(digits[d] - '0')));
    }
    if (k < 0 && keep >= 0 && keep < nd && digits[keep] >= '5') m = add256(m, from128(1));
    if (k > 0 && (k > 80 || !scale_up(&m, (int)k))) return -2;
    return finish(m, neg, 0, 0, p, out) ? 0 : -2;
}

size_t sluice_dec_format_to(sluice_dec v, int s, char *out)
{
    char buf[48];
    int n = 0;
    u128 m = mag(v);
    do {
        buf[n++] = (char)('0' + (int)(m % 10));
        m /= 10;
    } while (m);
    while (n <= s) buf[n++] = '0';
    size_t w = 0;
    if (v < 0) out[w++] = '-';
    for (int i = n - 1; i >= 0; i--) {
        out[w++] = buf[i];
        if (i == s && s > 0) out[w++] = '.';
    }
    return w;
}

void sluice_dec_format(sluice_dec v, int s, struct sluice_buf *out)
{
    char text[SLUICE_DEC_TEXT_MAX];
    sluice_buf_append(out, text, sluice_dec_format_to(v, s, text));
}

/* ---- conversions ----------------------------------------------------------- */

bool sluice_dec_rescale(sluice_dec v, int from, int to, int p, sluice_dec *out)
{
    return finish(from128(mag(v)), v < 0, from, to, p, out);
}

bool sluice_dec_from_double(double d, int p, int s, sluice_dec *out)
{
    if (!isfinite(d)) return false;
    char text[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(text, sizeof text, "%.*g", prec, d);
        if (strtod(text, NULL) == d) break;
    }
    return sluice_dec_parse(text, strlen(text), p, s, out) == 0;
}

double sluice_dec_to_double(sluice_dec v, int s)
{
    struct sluice_buf b = { 0 };
    sluice_dec_format(v, s, &b);
    double d = strtod(b.data, NULL);
    sluice_buf_free(&b);
    return d;
}

bool sluice_dec_to_long(sluice_dec v, int s, int64_t *out)
{
    sluice_dec q = v / sluice_dec_pow10(s);
    if (q > INT64_MAX || q < INT64_MIN) return false;
    *out = (int64_t)q;
    return true;
}

/* ---- arithmetic ------------------------------------------------------------ */

/* |v| at scale `to` (>= from), false on overflow. */
static bool aligned(sluice_dec v, int from, int to, struct u256 *m)
{
    *m = from128(mag(v));
    return scale_up(m, to - from);
}

bool sluice_dec_add(sluice_dec a, int as, sluice_dec b, int bs, int rp, int rs, sluice_dec *out)
{
    int m = as > bs ? as : bs;
    struct u256 x, y;
    if (!aligned(a, as, m, &x) || !aligned(b, bs, m, &y)) return false;
    bool xn = a < 0, yn = b < 0;
    if (xn == yn) return finish(add256(x, y), xn, m, rs, rp, out);
    int c = cmp256(x, y);
    return c >= 0 ? finish(sub256(x, y), xn, m, rs, rp, out) : finish(sub256(y, x), yn, m, rs, rp, out);
}

bool sluice_dec_mul(sluice_dec a, int as, sluice_dec b, int bs, int rp, int rs, sluice_dec *out)
{
    return finish(mul128(mag(a), mag(b)), (a < 0) != (b < 0) && a && b, as + bs, rs, rp, out);
}

bool sluice_dec_div(sluice_dec a, int as, sluice_dec b, int bs, int rp, int rs, sluice_dec *out)
{
    if (b == 0) return false;
    /* a/10^as / (b/10^bs) * 10^rs = a * 10^(rs - as + bs) / b */
    int e = rs - as + bs;
    struct u256 n = from128(mag(a)), d = from128(mag(b)), r;
    if (e > 0 && !scale_up(&n, e)) return false;
    if (e < 0 && !scale_up(&d, -e)) return false;
    struct u256 q = divmod256(n, d, &r);
    /* Half up: twice the remainder against the divisor. */
    if (cmp256(add256(r, r), d) >= 0) q = add256(q, from128(1));
    return finish(q, (a < 0) != (b < 0) && a, rs, rs, rp, out);
}

bool sluice_dec_mod(sluice_dec a, int as, sluice_dec b, int bs, int rp, int rs, sluice_dec *out)
{
    if (b == 0) return false;
    int m = as > bs ? as : bs;
    struct u256 x, y, r;
    if (!aligned(a, as, m, &x) || !aligned(b, bs, m, &y)) return false;
    divmod256(x, y, &r);
    return finish(r, a < 0 && !is_zero(r), m, rs, rp, out); /* the dividend's sign, as Java's % */
}

int sluice_dec_cmp(sluice_dec a, int as, sluice_dec b, int bs)
{
    if ((a < 0) != (b < 0)) return a < 0 ? -1 : 1;
    int m = as > bs ? as : bs;
    struct u256 x, y;
    aligned(a, as, m, &x); /* two 38-digit values at most 76 digits: no overflow */
    aligned(b, bs, m, &y);
    int c = cmp256(x, y);
    return a < 0 ? -c : c;
}

/* ---- Spark's result types --------------------------------------------------- */

void sluice_dec_wider(int p1, int s1, int p2, int s2, int *p, int *s)
{
    int scale = s1 > s2 ? s1 : s2, range = p1 - s1 > p2 - s2 ? p1 - s1 : p2 - s2;
    *p = range + scale > SLUICE_DEC_MAX ? SLUICE_DEC_MAX : range + scale;
    *s = scale < *p ? scale : *p;
}

/* DecimalType.adjustPrecisionScale. */
static void adjust(int p, int s, int *rp, int *rs)
{
    if (p <= SLUICE_DEC_MAX) {
        *rp = p;
        *rs = s;
        return;
    }
    int int_digits = p - s, min_scale = s < 6 ? s : 6;
    int scale = SLUICE_DEC_MAX - int_digits;
    *rp = SLUICE_DEC_MAX;
    *rs = scale > min_scale ? scale : min_scale;
}

void sluice_dec_result_type(char op, int p1, int s1, int p2, int s2, int *p, int *s)
{
    int ms = s1 > s2 ? s1 : s2, mi = p1 - s1 > p2 - s2 ? p1 - s1 : p2 - s2;
    switch (op) {
    case '+':
    case '-': adjust(mi + ms + 1, ms, p, s); return;
    case '*': adjust(p1 + p2 + 1, s1 + s2, p, s); return;
    case '/': {
        int scale = 6 > s1 + p2 + 1 ? 6 : s1 + p2 + 1;
        adjust(p1 - s1 + s2 + scale, scale, p, s);
        return;
    }
    default: { /* % */
        int li = p1 - s1 < p2 - s2 ? p1 - s1 : p2 - s2;
        adjust(li + ms, ms, p, s);
        return;
    }
    }
}
