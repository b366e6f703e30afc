/* core/util/decimal.h — DECIMAL(p, s) values: Spark's DecimalType held as
 * Arrow's decimal128, an integer v meaning v / 10^s with at most p <= 38
 * digits.
 *
 * Rounding is Spark's ROUND_HALF_UP (away from zero from the half); a
 * value with more digits than the precision does not fit, which Spark
 * (without ANSI mode) makes null. Products and quotients are exact up to
 * 76 digits before rounding, so a result that fits is never lost to an
 * intermediate overflow.
 *
 * Threads: pure functions, any thread. */
#ifndef SLUICE_CORE_DECIMAL_H
#define SLUICE_CORE_DECIMAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sluice/buf.h>

typedef __int128 sluice_dec;

#define SLUICE_DEC_MAX 38

/* 10^n for n in [0, 38]. */
sluice_dec sluice_dec_pow10(int n);
/* Whether v has at most p digits. */
bool sluice_dec_fits(sluice_dec v, int p);

/* Text as Java's BigDecimal reads it ("12.5", "-0.05", "1e3", "+7",
 * ".5"), rounded to scale s: 0, or -1 on text that is no number, or -2
 * when it has more than p digits then. */
int sluice_dec_parse(const char *text, size_t n, int p, int s, sluice_dec *out);
/* v / 10^s as plain text, every digit of the scale written ("12.50"). */
void sluice_dec_format(sluice_dec v, int s, struct sluice_buf *out);
/* The same into out (at least SLUICE_DEC_TEXT_MAX bytes, not terminated); returns its length. */
#define SLUICE_DEC_TEXT_MAX 42
size_t sluice_dec_format_to(sluice_dec v, int s, char *out);

/* v from scale `from` to scale `to`, rounded; false when the result has
 * more than p digits. */
bool sluice_dec_rescale(sluice_dec v, int from, int to, int p, sluice_dec *out);
/* A double as Spark casts it: its shortest decimal text, rounded to s;
 * false for NaN, infinities and values of more than p digits. */
bool sluice_dec_from_double(double d, int p, int s, sluice_dec *out);
double sluice_dec_to_double(sluice_dec v, int s);
/* Truncated toward zero, as Spark casts a decimal to a long; false when
 * the integer part does not fit. */
bool sluice_dec_to_long(sluice_dec v, int s, int64_t *out);

/* Arithmetic exact, then rounded to the result's scale `rs`; false when
 * the result has more than rp digits (or b is zero for div and mod). */
bool sluice_dec_add(sluice_dec a, int as, sluice_dec b, int bs, int rp, int rs, sluice_dec *out);
bool sluice_dec_mul(sluice_dec a, int as, sluice_dec b, int bs, int rp, int rs, sluice_dec *out);
bool sluice_dec_div(sluice_dec a, int as, sluice_dec b, int bs, int rp, int rs, sluice_dec *out);
bool sluice_dec_mod(sluice_dec a, int as, sluice_dec b, int bs, int rp, int rs, sluice_dec *out);
/* Order of a / 10^as and b / 10^bs. */
int sluice_dec_cmp(sluice_dec a, int as, sluice_dec b, int bs);

/* Spark's result types (DecimalPrecision, allowPrecisionLoss): p and s
 * of a op b, bounded to 38 digits keeping at least min(s, 6) of scale. */
void sluice_dec_result_type(char op, int p1, int s1, int p2, int s2, int *p, int *s);
/* Spark's wider decimal of two (DecimalPrecision.widerDecimalType): the
 * larger scale and the larger integer part, at most 38 digits. */
void sluice_dec_wider(int p1, int s1, int p2, int s2, int *p, int *s);

#endif
