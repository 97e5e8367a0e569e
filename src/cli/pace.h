/* SPDX-License-Identifier: MIT */
/*
 * pace.h - corun run's pacing (pace.c): --delay between starts, --memfree
 * and --load N hold starts back while memory is short or the machine is
 * busy, as GNU parallel's options do.
 */
#ifndef CORUN_CLI_PACE_H
#define CORUN_CLI_PACE_H

struct cli_pace {
	double delay;		/* --delay: seconds between starts */
	double memfree;		/* --memfree: bytes, 0 = off */
	double max_load;	/* --load N: runnable processes, 0 = off */
	int started;
	double last_start;
};

/* Seconds with an optional s, m, h or d suffix (--delay 1.5, 2m). */
int cli_parse_duration(const char *s, double *out);
/* MemAvailable in bytes, or -1 when /proc/meminfo does not say. */
long long cli_mem_available(void);
/*
 * Whether a job may start at now (avail: cli_mem_available(), or -1
 * when --memfree is off); if not, *retry_in says when to ask again.
 */
int cli_pace_ok(const struct cli_pace *p, double now, long long avail,
    double load, double *retry_in);
/*
 * --load's number, as parallel's: N or N.N, N% of the cores, +N or -N
 * cores; 0 (or less) is 0.01.  0, or CORUN_EINVAL if v is none of them.
 */
int cli_load_parse(const char *v, unsigned ncpus, double *out);
/*
 * The load --load compares, as parallel measures it: the processes
 * runnable right now, less the one looking (the 4th field of
 * /proc/loadavg, "R/T", given as text), or -1 when text is not that.
 */
double cli_load_from(const char *text);
/* cli_load_from() of this machine's /proc/loadavg (-1: unreadable). */
double cli_load_now(void);
void cli_pace_started(struct cli_pace *p, double now);

#endif
