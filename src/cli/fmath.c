/* SPDX-License-Identifier: MIT */
/*
 * fmath.c - the few math functions corun needs (compare's histogram,
 * spread and chart), so that corun does not link libm: loading libm.so
 * at every start (an open, four mmaps, its relocations and ifunc
 * resolvers, 8-10 page faults) was about 0.1 ms of each `corun status`
 * (BENCHMARKS.md, client_status).
 *
 * No libm symbol at all (libm also defines frexp and ldexp, and the
 * linker would take them from there): the exponent is read and set in
 * the bits here.  The results are within a few units in the last place of libm's; the
 * callers print at most 4 significant digits or pick a histogram bucket.
 * Powers of ten are exact, so a chart's decade ticks are round.
 */
#include "config.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "fmath.h"

#define LN2_HI 6.93147180369123816490e-01	/* ln 2, split in two */
#define LN2_LO 1.90821492927058770002e-10
#define LN2 0.69314718055994530942
#define LN10 2.30258509299404568402
#define SQRT_HALF 0.70710678118654752440

/* x = m 2^e with m in [0.5, 1); x finite, not zero. */
static double
split(double x, int *e)
{
	uint64_t b;
	int adj = 0;

	memcpy(&b, &x, sizeof(b));
	if (((b >> 52) & 0x7ff) == 0) {		/* subnormal */
		x *= 18014398509481984.0;	/* 2^54 */
		memcpy(&b, &x, sizeof(b));
		adj = 54;
	}
	*e = (int)((b >> 52) & 0x7ff) - 1022 - adj;
	b = (b & ~((uint64_t)0x7ff << 52)) | ((uint64_t)1022 << 52);
	memcpy(&x, &b, sizeof(x));
	return x;
}

/* x 2^e, for the e that cli_exp and cli_sqrt make (|e| <= 1100). */
static double
scale(double x, int e)
{
	uint64_t b;
	double f;

	while (e > 1000) {
		x *= 0x1p1000;
		e -= 1000;
	}
	while (e < -1000) {
		x *= 0x1p-1000;
		e += 1000;
	}
	b = (uint64_t)(e + 1023) << 52;
	memcpy(&f, &b, sizeof(f));
	return e >= -1022 ? x * f : x * 0x1p-1000 * scale(1, e + 1000);
}

double
cli_ln(double x)
{
	double m, s, s2, t, sum;
	int e;

	if (isnan(x) || x < 0) {
		return NAN;
	}
	if (x == 0) {
		return -HUGE_VAL;
	}
	if (isinf(x)) {
		return x;
	}
	/* x = m 2^e with m in [sqrt(1/2), sqrt(2)) */
	m = split(x, &e);
	if (m < SQRT_HALF) {
		m *= 2;
		e--;
	}
	/* ln m = 2 atanh s = 2 (s + s^3/3 + s^5/5 + ...), |s| < 0.172 */
	s = (m - 1) / (m + 1);
	s2 = s * s;
	sum = 0;
	t = s;
	for (int k = 1; k < 40; k += 2) {
		double term = t / k;

		sum += term;
		if (fabs(term) <= 1e-18 * fabs(sum)) {
			break;
		}
		t *= s2;
	}
	return (double)e * LN2_HI + ((double)e * LN2_LO + 2 * sum);
}

double
cli_exp(double x)
{
	double r, term, sum;
	double k;

	if (isnan(x)) {
		return x;
	}
	if (x > 709.8) {
		return HUGE_VAL;
	}
	if (x < -745.2) {
		return 0;
	}
	/* x = k ln 2 + r with |r| <= ln 2 / 2; e^x = 2^k e^r */
	k = x / LN2;
	k = k < 0 ? (double)(long)(k - 0.5) : (double)(long)(k + 0.5);
	r = (x - k * LN2_HI) - k * LN2_LO;
	sum = 1;
	term = 1;
	for (int n = 1; n < 30; n++) {
		term *= r / n;
		sum += term;
		if (fabs(term) <= 1e-18 * sum) {
			break;
		}
	}
	return scale(sum, (int)k);
}

/* b to the integer power n by squaring (exact for small powers of 10). */
static double
pow_int(double b, long n)
{
	double r = 1;
	int neg = n < 0;

	if (neg) {
		n = -n;
	}
	for (; n > 0; n >>= 1) {
		if (n & 1) {
			r *= b;
		}
		b *= b;
	}
	return neg ? 1 / r : r;
}

double
cli_pow(double b, double y)
{
	if (y == (double)(long)y && y >= -64 && y <= 64) {
		return pow_int(b, (long)y);
	}
	if (b < 0 || isnan(b) || isnan(y)) {
		return NAN;
	}
	if (b == 0) {
		return y > 0 ? 0 : HUGE_VAL;
	}
	return cli_exp(y * cli_ln(b));
}

double
cli_log10(double x)
{
	double r = cli_ln(x) / LN10;
	double k = r < 0 ? (double)(long)(r - 0.5) : (double)(long)(r + 0.5);

	/* An exact power of ten gives its exponent exactly. */
	if (isfinite(r) && k >= -22 && k <= 22 && pow_int(10, (long)k) == x) {
		return k;
	}
	return r;
}

double
cli_sqrt(double x)
{
	double g;
	int e;

	if (isnan(x) || x < 0) {
		return NAN;
	}
	if (x == 0 || isinf(x)) {
		return x;
	}
	/* A first guess of 2^(e/2), then Newton's steps to convergence. */
	(void)split(x, &e);
	g = scale(1, e / 2);
	for (int i = 0; i < 64; i++) {
		double next = 0.5 * (g + x / g);

		if (next == g) {
			break;
		}
		/* Newton's iteration may settle on two neighbours. */
		if (i > 8 && next > g) {
			break;
		}
		g = next;
	}
	return g;
}
