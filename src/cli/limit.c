/* SPDX-License-Identifier: MIT */
/*
 * limit.c - running `--limit`'s command before a job starts, and while
 * jobs run (see limit.h).  A plain fork and exec of the shell parallel
 * would use; the child is reaped by its pid, so the pool's own children
 * are untouched.  parallel's built-in limits "io N", "load N" and
 * "mem N" are measured here from /proc instead of its scripts.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "limit.h"
#include "pace.h"
#include "pipe.h"

enum { LIM_CMD = 0, LIM_IO, LIM_LOAD, LIM_MEM };

/* Which built-in cmd names (LIM_CMD: none), and its number in *n. */
static int
builtin(const char *cmd, double *n, int *bad)
{
	static const char *const names[] = { "io", "load", "mem" };
	size_t i, len = strcspn(cmd, " \t");
	const char *v = cmd + len;
	char num[64];

	*bad = 0;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (len == strlen(names[i]) && strncmp(cmd, names[i], len) ==
		    0) {
			break;
		}
	}
	if (i == sizeof(names) / sizeof(names[0])) {
		return LIM_CMD;
	}
	v += strspn(v, " \t");
	len = strcspn(v, " \t");
	if (len == 0 || len >= sizeof(num) || v[len + strspn(v + len,
	    " \t")] != '\0') {
		*bad = 1;
		return (int)i + 1;
	}
	memcpy(num, v, len);
	num[len] = '\0';
	*bad = (i == 2 ? cli_parse_size(num, n) : cli_parse_double(num, n))
	    != 0 || *n < 0 || (i == 0 && *n > 100);
	return (int)i + 1;
}

int
cli_limit_check(const char *cmd, struct cli_err *e)
{
	static const char *const usage[] = { "", "io N (0-100: the busiest "
	    "disk's %)", "load N (runnable processes)", "mem SIZE (e.g. 1G)" };
	double n;
	int bad, which;

	if (cmd[strspn(cmd, " \t")] == '\0') {
		return cli_errf(e, CORUN_EINVAL, "--limit: the command is "
		    "empty");
	}
	which = builtin(cmd, &n, &bad);
	if (bad) {
		return cli_errf(e, CORUN_EINVAL, "--limit: \"%s\": the "
		    "built-in limit is %s", cmd, usage[which]);
	}
	return 0;
}

/* The io_ticks (ms busy, the 13th field) of a /proc/diskstats line;
 * name has room for 64 bytes. */
static int
disk_line(const char *l, char *name, unsigned long long *ticks)
{
	unsigned long long f[10];

	return sscanf(l, "%*u %*u %63s %llu %llu %llu %llu %llu %llu %llu "
	    "%llu %llu %llu", name, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5],
	    &f[6], &f[7], &f[8], ticks) == 11 ? 0 : -1;
}

static const char *
next_line(const char *s)
{
	const char *nl = strchr(s, '\n');

	return nl != NULL ? nl + 1 : s + strlen(s);
}

double
cli_io_busy(const char *prev, const char *now, double ms)
{
	const char *p, *q;
	char n1[64], n2[64];
	unsigned long long t1, t2;
	double best = 0, pct;

	if (prev == NULL || now == NULL || ms <= 0) {
		return -1;
	}
	for (q = now; *q != '\0'; q = next_line(q)) {
		if (disk_line(q, n2, &t2) != 0) {
			continue;
		}
		for (p = prev; *p != '\0'; p = next_line(p)) {
			if (disk_line(p, n1, &t1) == 0 &&
			    strcmp(n1, n2) == 0 && t2 >= t1) {
				pct = (double)(t2 - t1) * 100 / ms;
				best = pct > best ? pct : best;
				break;
			}
		}
	}
	return best > 100 ? 100 : best;
}

/* /proc/diskstats as text (malloc'd), or NULL. */
static char *
read_diskstats(void)
{
	FILE *f = fopen("/proc/diskstats", "r");
	struct cm_buf b = { 0 };
	char buf[4096];
	size_t n;

	if (f == NULL) {
		return NULL;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		cm_buf_add(&b, buf, n);
	}
	fclose(f);
	cm_buf_adds(&b, "");
	return cm_buf_steal(&b);
}

static double
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The busiest disk's % since the last look (the first looks 0.1 s). */
static double
io_now(void)
{
	static char *last;
	static double last_ms, last_pct = -1;
	struct timespec nap = { 0, 100000000 };
	double t = mono_ms(), pct;
	char *cur;

	if (last == NULL) {
		last = read_diskstats();
		last_ms = t;
		nanosleep(&nap, NULL);
		t = mono_ms();
	}
	if (t - last_ms < 50 && last_pct >= 0) {
		return last_pct;	/* too soon to tell anew */
	}
	if ((cur = read_diskstats()) == NULL) {
		return -1;
	}
	pct = cli_io_busy(last, cur, t - last_ms);
	free(last);
	last = cur;
	last_ms = t;
	last_pct = pct;
	return pct;
}

int
cli_limit_decide(int which, double n, double measured)
{
	if (measured < 0) {
		return 1;	/* unknown: over the limit */
	}
	if (which == LIM_MEM) {
		/* parallel's mem: below half the size is way over */
		return measured < n / 2 ? 2 : measured < n;
	}
	return measured > n;	/* io, load: over when above N */
}

int
cli_limit_run(const char *cmd)
{
	char *sh;
	const char *path;
	int status, fd, bad, which;
	double n = 0;
	pid_t pid;

	which = builtin(cmd, &n, &bad);
	if (which == LIM_MEM) {
		return cli_limit_decide(which, n, (double)cli_mem_available());
	} else if (which == LIM_LOAD) {
		return cli_limit_decide(which, n, cli_load_now());
	} else if (which == LIM_IO) {
		return cli_limit_decide(which, n, io_now());
	}
	sh = cli_sh_pick(0);
	path = sh != NULL ? sh : "/bin/sh";
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0) {
		free(sh);
		return -1;
	}
	if (pid == 0) {
		if ((fd = open("/dev/null", O_RDONLY)) >= 0) {
			dup2(fd, 0);
			close(fd);
		}
		setenv("SSHLOGIN", ":", 1);
		execl(path, path, "-c", cmd, (char *)NULL);
		_exit(127);
	}
	free(sh);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			return -1;
		}
	}
	if (WIFSIGNALED(status)) {
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}
