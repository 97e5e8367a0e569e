/* SPDX-License-Identifier: MIT */
/*
 * compare-repeat.c - how many times `corun compare` runs each model:
 * at least --min-runs (3), then more rounds while some model's wall
 * times spread more than --max-spread (the standard deviation over the
 * mean, in %), until --max-runs or the --time-budget is spent.  Pure:
 * tests/cli/test_compare_verdict checks it on synthetic runs.
 */
#include "config.h"

#include <math.h>

#include "compare.h"
#include "fmath.h"

void
cli_cmp_mean_sd(const double *v, size_t n, double *mean, double *sd)
{
	double s = 0, d = 0;

	*mean = *sd = 0;
	if (n == 0) {
		return;
	}
	for (size_t i = 0; i < n; i++) {
		s += v[i];
	}
	*mean = s / (double)n;
	if (n < 2) {
		return;
	}
	for (size_t i = 0; i < n; i++) {
		d += (v[i] - *mean) * (v[i] - *mean);
	}
	*sd = cli_sqrt(d / (double)(n - 1));	/* the sample's */
}

/* The relative spread (sd / mean) of one model's good runs, -1 if < 2. */
static double
spread(const struct cli_cmp_row *runs, unsigned done)
{
	double v[CLI_CMP_MAX_RUNS], mean, sd;
	size_t k = 0;

	for (unsigned r = 0; r < done && r < CLI_CMP_MAX_RUNS; r++) {
		if (runs[r].error[0] == '\0' && runs[r].wall_s > 0) {
			v[k++] = runs[r].wall_s;
		}
	}
	if (k < 2) {
		return -1;
	}
	cli_cmp_mean_sd(v, k, &mean, &sd);
	return mean > 0 ? sd / mean : -1;
}

int
cli_cmp_more_rounds(const struct cli_cmp_stop *s,
    const struct cli_cmp_row *runs, size_t nmodels, size_t stride,
    unsigned done, double elapsed_s)
{
	if (done < s->min_runs) {
		return 1;
	}
	if (done >= s->max_runs || done >= stride ||
	    elapsed_s >= s->budget_s) {
		return 0;
	}
	for (size_t m = 0; m < nmodels; m++) {
		double sp = spread(&runs[m * stride], done);

		if (sp > s->max_spread / 100) {
			return 1;
		}
	}
	return 0;
}
