/* SPDX-License-Identifier: MIT */
/*
 * median.h - the median runtime of the jobs that succeeded so far, for
 * `--timeout N%` (GNU parallel's dynamic timeout: a job is killed once it
 * has run N% of that median).  Pure: no I/O, no clock; run-window.c feeds
 * it and asks it.  Called on the loop thread only.
 */
#ifndef CORUN_CLI_MEDIAN_H
#define CORUN_CLI_MEDIAN_H

#include <stddef.h>

/* The last CLI_MEDIAN_KEEP runtimes are kept (parallel's first remedian
 * level holds 999): memory stays flat however many jobs run. */
#define CLI_MEDIAN_KEEP 999

struct cli_median {
	double v[CLI_MEDIAN_KEEP];
	size_t n;		/* runtimes added in all */
};

/* Add the runtime (seconds) of a job that exited 0. */
void cli_median_add(struct cli_median *m, double secs);
/*
 * The lower median of the kept runtimes (element (n-1)/2 once sorted, as
 * parallel takes it), or -1 when no job has succeeded yet.
 */
double cli_median_get(const struct cli_median *m);
/*
 * The timeout (seconds) a job started now gets under --timeout pct%:
 * pct/100 times the median, or 0 (none) before any job succeeded.
 */
double cli_median_timeout(const struct cli_median *m, double pct);

#endif /* CORUN_CLI_MEDIAN_H */
