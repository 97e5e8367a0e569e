/* SPDX-License-Identifier: MIT */
/*
 * median.c - the running median of successful jobs' runtimes behind
 * `--timeout N%` (see median.h).  GNU parallel 20221122 updates its
 * dynamic timeout after every job that exits 0 (from the first one on;
 * failed jobs do not count) and, until then, lets jobs run.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "median.h"

void
cli_median_add(struct cli_median *m, double secs)
{
	m->v[m->n % CLI_MEDIAN_KEEP] = secs < 0 ? 0 : secs;
	m->n++;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

double
cli_median_get(const struct cli_median *m)
{
	size_t k = m->n < CLI_MEDIAN_KEEP ? m->n : CLI_MEDIAN_KEEP;
	double *s, med;

	if (k == 0) {
		return -1;
	}
	if ((s = malloc(k * sizeof(*s))) == NULL) {
		return -1;
	}
	memcpy(s, m->v, k * sizeof(*s));
	qsort(s, k, sizeof(*s), cmp_double);
	med = s[(k - 1) / 2];
	free(s);
	return med;
}

double
cli_median_timeout(const struct cli_median *m, double pct)
{
	double med = cli_median_get(m);

	if (med < 0) {
		return 0;
	}
	/* A job never gets less than a millisecond (0 would mean none). */
	med = med * pct / 100;
	return med < 0.001 ? 0.001 : med;
}
