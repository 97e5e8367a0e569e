/* SPDX-License-Identifier: MIT */
/*
 * compare-proc.c - what `corun compare` reads from the system about a
 * run: peak RSS and CPU from /proc, getrusage() deltas, and the cpu
 * kind's calibration (how many rounds make ~MS on a worker).
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <corun/future.h>
#include <corun/loop.h>
#include <corun/pool.h>
#include <corun/task.h>

#include "compare.h"

/* ---- measuring ------------------------------------------------------ */

/* A "Key:   123 kB" line of /proc/PID/status, in kB; 0 if unreadable. */
uint64_t
cli_proc_status_kb(int pid, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	uint64_t v = 0;
	FILE *f;

	if (pid > 0) {
		snprintf(path, sizeof(path), "/proc/%d/status", pid);
	} else {
		snprintf(path, sizeof(path), "/proc/self/status");
	}
	if ((f = fopen(path, "r")) == NULL) {
		return 0;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			v = strtoull(line + klen + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

/* Reset our peak RSS to the current RSS (Linux >= 4.0); best effort. */
void
cli_reset_peak_rss(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (write(fd, "5", 1) < 0) {
			/* Older kernels: the mark then spans the run. */
		}
		close(fd);
	}
}

/*
 * User and system seconds of a process from /proc/PID/stat, counting the
 * children it reaped (shell jobs); 0 if it is gone.
 */
static void
proc_cpu(int pid, double *user, double *sys)
{
	static long tck;
	unsigned long long ut, st, cut, cst;
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;

	*user = *sys = 0;
	if (tck <= 0 && (tck = sysconf(_SC_CLK_TCK)) <= 0) {
		tck = 100;
	}
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		return;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0) {
		return;
	}
	buf[n] = '\0';
	/* The name may hold anything: the fields start after its ')'. */
	if ((p = strrchr(buf, ')')) == NULL || sscanf(p + 1, " %*c %*d %*d "
	    "%*d %*d %*d %*u %*u %*u %*u %*u %llu %llu %llu %llu", &ut, &st,
	    &cut, &cst) != 4) {
		return;
	}
	*user = (double)(ut + cut) / (double)tck;
	*sys = (double)(st + cst) / (double)tck;
}

/* Add the workers' CPU to (or, sign -1, take it from) user and sys. */
void
cli_workers_cpu(corun_pool *pool, int sign, double *user, double *sys)
{
	int pids[1024];
	size_t n = corun_pool_worker_pids(pool, pids, 1024);
	double u, s;

	for (size_t i = 0; i < n && i < 1024; i++) {
		proc_cpu(pids[i], &u, &s);
		*user += sign * u;
		*sys += sign * s;
	}
}

static double
tv_s(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

void
cli_ru_delta(const struct rusage *a, const struct rusage *b, double *user,
    double *sys, uint64_t *vcsw, uint64_t *ivcsw)
{
	if (user != NULL) {
		*user += tv_s(&b->ru_utime) - tv_s(&a->ru_utime);
		*sys += tv_s(&b->ru_stime) - tv_s(&a->ru_stime);
	}
	*vcsw += (uint64_t)(b->ru_nvcsw - a->ru_nvcsw);
	*ivcsw += (uint64_t)(b->ru_nivcsw - a->ru_nivcsw);
}

/* ---- cpu calibration ------------------------------------------------ */

/*
 * The cpu kind runs for a wall time ("50ms") or a number of rounds
 * ("1000iter"); compare wants a fixed amount of work, so it asks the
 * real kernel how many rounds fit in CLI_CAL_MS, CLI_CAL_RUNS times, and
 * keeps the best rate (a busy machine only ever slows a run down).
 */
#define CLI_CAL_RUNS 3
#define CLI_CAL_MS 40

int
cli_cmp_calibrate_cpu(double ms, uint64_t *iters, struct cli_err *e)
{
	struct corun_pool_opts po;
	const struct corun_job_result *res;
	struct corun_job j;
	corun_loop *loop = NULL;
	corun_pool *pool = NULL;
	corun_future *fut[CLI_CAL_RUNS] = { NULL }, *all = NULL, *done = NULL;
	unsigned long long rounds, best = 0;
	char buf[32];
	int rc;

	po = (struct corun_pool_opts)CORUN_POOL_OPTS_INIT;
	po.model = CORUN_MODEL_PROCESS;
	po.jobs = 1;
	memset(&j, 0, sizeof(j));
	j.kind = "cpu";
	j.len = (size_t)snprintf(buf, sizeof(buf), "%dms", CLI_CAL_MS);
	j.payload = buf;
	if ((rc = corun_loop_new(&loop)) != 0 ||
	    (rc = corun_pool_new(loop, &po, &pool)) != 0) {
		cli_errf(e, rc, "cpu calibration: %s", corun_strerror(rc));
		goto out;
	}
	for (int i = 0; i < CLI_CAL_RUNS; i++) {
		if ((rc = corun_pool_submit(pool, &j, &fut[i])) != 0) {
			cli_errf(e, rc, "cpu calibration: %s",
			    corun_strerror(rc));
			goto out;
		}
	}
	/* One worker, one slot: the runs take turns, never share a core. */
	if ((rc = corun_gather(loop, fut, CLI_CAL_RUNS, 0, &all)) != 0 ||
	    (rc = corun_loop_run_until_complete(loop, all)) != 0) {
		cli_errf(e, rc, "cpu calibration: %s", corun_strerror(rc));
		goto out;
	}
	for (int i = 0; i < CLI_CAL_RUNS; i++) {
		res = corun_pool_result(fut[i]);
		if (res == NULL || res->status != 0 || res->out == NULL ||
		    sscanf(res->out, "%*s %llu", &rounds) != 1) {
			rc = cli_errf(e, CORUN_EFAILED, "cpu calibration: the "
			    "cpu job failed: %s", res != NULL ? res->message :
			    "no result");
			goto out;
		}
		/* The least disturbed run is the truest rate. */
		best = rounds > best ? rounds : best;
	}
	*iters = (uint64_t)((double)best * ms / CLI_CAL_MS);
	if (*iters == 0) {
		*iters = 1;
	}
	if (corun_pool_shutdown(pool, 1, 0, &done) == 0) {
		corun_loop_run_until_complete(loop, done);
		corun_future_unref(done);
	}
out:
	for (int i = 0; i < CLI_CAL_RUNS; i++) {
		if (fut[i] != NULL) {
			corun_future_unref(fut[i]);
		}
	}
	if (all != NULL) {
		corun_future_unref(all);
	}
	corun_pool_free(pool);
	if (loop != NULL) {
		corun_loop_free(loop);
	}
	return rc;
}
