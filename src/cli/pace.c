/* SPDX-License-Identifier: MIT */
/*
 * pace.c - pacing the start of jobs in `corun run`: --delay (at least
 * that long between two starts) and --memfree (start none while the
 * memory available, MemAvailable of /proc/meminfo, is below the size).
 * Pure apart from reading /proc/meminfo: run-window.c asks before each
 * start and comes back when told.  See cli.h.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "pipe.h"

/* Seconds between two looks at the memory available. */
#define CLI_MEMFREE_POLL 1.0

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
cli_pace_ok(const struct cli_pace *p, double now, long long avail,
    double *retry_in)
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
	return 1;
}

void
cli_pace_started(struct cli_pace *p, double now)
{
	p->started = 1;
	p->last_start = now;
}
