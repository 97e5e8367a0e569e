/* SPDX-License-Identifier: MIT */
/*
 * pace.c - pacing the start of jobs in `corun run`: --delay (at least
 * that long between two starts), --memfree (start none while the
 * memory available, MemAvailable of /proc/meminfo, is below the size)
 * and --load N (start none while the processes runnable right now, as
 * GNU parallel counts them, are N or more).  Pure apart from reading
 * /proc/meminfo and /proc/loadavg: run-window.c asks before each start
 * and comes back when told.  See cli.h.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pace.h"
#include "pipe.h"

/* Seconds between two looks at the memory available, and the load. */
#define CLI_MEMFREE_POLL 1.0
#define CLI_LOAD_POLL 0.5

int
cli_parse_duration(const char *s, double *out)
{
	static const struct {
		char c;
		double mul;
	} sfx[] = { { 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 } };
	char buf[64];
	size_t n = strlen(s), k;
	double mul = 1;

	if (n == 0 || n >= sizeof(buf)) {
		return CORUN_EINVAL;
	}
	memcpy(buf, s, n + 1);
	for (k = 0; k < sizeof(sfx) / sizeof(sfx[0]); k++) {
		if (buf[n - 1] == sfx[k].c) {
			mul = sfx[k].mul;
			buf[--n] = '\0';
			break;
		}
	}
	if (cli_parse_double(buf, out) != 0) {
		return CORUN_EINVAL;
	}
	*out *= mul;
	return 0;
}

long long
cli_mem_available(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	long long kb = -1;

	if (f == NULL) {
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "MemAvailable: %lld kB", &kb) == 1) {
			break;
		}
	}
	fclose(f);
	return kb < 0 ? -1 : kb * 1024;
}

int
cli_load_parse(const char *v, unsigned ncpus, double *out)
{
	size_t n = strlen(v);
	char buf[64];
	double x;

	if (n == 0 || n >= sizeof(buf)) {
		return CORUN_EINVAL;
	}
	memcpy(buf, v, n + 1);
	if (buf[n - 1] == '%') {
		buf[n - 1] = '\0';
	}
	if (cli_parse_double(buf + (buf[0] == '+' || buf[0] == '-'), &x) !=
	    0 || x < 0) {
		return CORUN_EINVAL;
	}
	if (v[n - 1] == '%') {
		x = buf[0] == '+' || buf[0] == '-' ? -1 : ncpus * x / 100;
	} else if (buf[0] == '+') {
		x = ncpus + x;
	} else if (buf[0] == '-') {
		x = ncpus - x;
	}
	if (v[n - 1] == '%' && x < 0) {
		return CORUN_EINVAL;	/* +N% and -N% mean nothing */
	}
	*out = x < 0.01 ? 0.01 : x;
	return 0;
}

double
cli_load_from(const char *text)
{
	double a, b, c;
	long running, total;

	if (text == NULL || sscanf(text, "%lf %lf %lf %ld/%ld", &a, &b, &c,
	    &running, &total) != 5 || running < 0) {
		return -1;
	}
	return running > 0 ? (double)(running - 1) : 0;
}

double
cli_load_now(void)
{
	FILE *f = fopen("/proc/loadavg", "r");
	char line[256];
	double load = -1;

	if (f == NULL) {
		return -1;
	}
	if (fgets(line, sizeof(line), f) != NULL) {
		load = cli_load_from(line);
	}
	fclose(f);
	return load;
}

int
cli_pace_ok(const struct cli_pace *p, double now, long long avail,
    double load, double *retry_in)
{
	if (p->delay > 0 && p->started &&
	    now - p->last_start < p->delay) {
		*retry_in = p->delay - (now - p->last_start);
		return 0;
	}
	if (p->memfree > 0 && avail >= 0 && (double)avail < p->memfree) {
		*retry_in = CLI_MEMFREE_POLL;
		return 0;
	}
	if (p->max_load > 0 && (load < 0 || load >= p->max_load)) {
		/* an unknown load is too high, as parallel takes it */
		*retry_in = CLI_LOAD_POLL;
		return 0;
	}
	return 1;
}

void
cli_pace_started(struct cli_pace *p, double now)
{
	p->started = 1;
	p->last_start = now;
}
