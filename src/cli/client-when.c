/* SPDX-License-Identifier: MIT */
/*
 * client-when.c - the times of corun submit --delay and --at, as seconds
 * since the epoch for corund's "not_before".
 */
#define _XOPEN_SOURCE 700
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "client-internal.h"

static double
now_s(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

double
cli_client_after_secs(double secs)
{
	return now_s() + secs;
}

/* s in fmt, to its end, into tm: nonzero if it is. */
static int
fits(const char *s, const char *fmt, struct tm *tm)
{
	const char *end = strptime(s, fmt, tm);

	return end != NULL && *end == '\0';
}

int
cli_client_parse_at(const char *s, double *epoch)
{
	time_t now = time(NULL);
	struct tm tm;
	char *end;
	int clock_only = 0;

	if (s[0] == '@') {
		double e = strtod(s + 1, &end);

		if (s[1] == '\0' || *end != '\0' || !(e >= 0) || e > 1e10) {
			return -1;
		}
		*epoch = e;
		return 0;
	}
	localtime_r(&now, &tm);
	tm.tm_sec = 0;
	if (fits(s, "%H:%M:%S", &tm) || fits(s, "%H:%M", &tm)) {
		clock_only = 1;
	} else {
		memset(&tm, 0, sizeof(tm));
		if (!fits(s, "%Y-%m-%d %H:%M:%S", &tm) &&
		    !fits(s, "%Y-%m-%dT%H:%M:%S", &tm) &&
		    !fits(s, "%Y-%m-%d %H:%M", &tm) &&
		    !fits(s, "%Y-%m-%dT%H:%M", &tm) &&
		    !fits(s, "%Y-%m-%d", &tm)) {
			return -1;
		}
	}
	tm.tm_isdst = -1;
	*epoch = (double)mktime(&tm);
	if (*epoch < 0) {
		return -1;
	}
	if (clock_only && *epoch < (double)now) {
		tm.tm_mday++;	/* that time has passed today: tomorrow */
		tm.tm_isdst = -1;
		*epoch = (double)mktime(&tm);
	}
	return 0;
}
