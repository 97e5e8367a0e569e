/* SPDX-License-Identifier: MIT */
/*
 * run-fds.c - `corun run` under a low descriptor limit (ulimit -n): the
 * pool's plan (P processes x T threads x C jobs) is sized against
 * RLIMIT_NOFILE before the pool starts, so that jobs are run fewer at a
 * time rather than all failing with "Too many open files".
 *
 * What a plan costs, in descriptors, measured with /proc/PID/fd on Linux
 * (shell jobs running `sleep`, nng 1.5, libevent 2.1), per process since
 * the limit is per process:
 *   corun (the supervisor): 13, plus 7 per worker process (its socket,
 *     nng's pipe, the pidfd, the first-jobs socket pair);
 *   a worker: 18, plus 5 per job thread (its loop), plus 5 per running
 *     job (its stdout and stderr pipes, its pidfd, nng's share).
 * Starting a job briefly takes a pipe more; CLI_FD_SPARE covers it, the
 * input, the output and --joblog.
 */
#include "config.h"

#include <sys/resource.h>

#include <corun/pool.h>

#include "cli.h"
#include "run-internal.h"

#define CLI_FD_SUP_BASE 13
#define CLI_FD_SUP_PER_PROC 7
#define CLI_FD_WORKER_BASE 18
#define CLI_FD_PER_THREAD 5
#define CLI_FD_PER_JOB 5
#define CLI_FD_SPARE 8

/* The descriptors the busiest process of plan P x T x C needs. */
static unsigned long
fds_needed(unsigned p, unsigned t, unsigned c)
{
	unsigned long sup, worker;

	sup = CLI_FD_SUP_BASE + (unsigned long)CLI_FD_SUP_PER_PROC * p;
	worker = CLI_FD_WORKER_BASE + (unsigned long)t * (CLI_FD_PER_THREAD +
	    (unsigned long)CLI_FD_PER_JOB * c);
	return (sup > worker ? sup : worker) + CLI_FD_SPARE;
}

/* fds_needed for po as it stands, 0 if it does not resolve. */
static unsigned long
plan_needs(const struct corun_pool_opts *po, unsigned *slots)
{
	unsigned p, t, c;

	if (corun_model_resolve(po, &p, &t, &c) != 0) {
		return 0;
	}
	*slots = p * t * c;
	return fds_needed(p, t, c);
}

/*
 * Raise the soft limit towards what is needed (never past the hard
 * one); the limit in force afterwards.
 */
static unsigned long
raise_limit(unsigned long need)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
		return (unsigned long)-1;
	}
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= need) {
		return rl.rlim_cur == RLIM_INFINITY ? (unsigned long)-1 :
		    (unsigned long)rl.rlim_cur;
	}
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need) {
		rl.rlim_cur = need;
	} else {
		rl.rlim_cur = rl.rlim_max;
	}
	if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
		(void)getrlimit(RLIMIT_NOFILE, &rl);
	}
	return (unsigned long)rl.rlim_cur;
}

int
cli_run_fit_fds(struct corun_pool_opts *po)
{
	unsigned long need, limit;
	unsigned slots = 0, want, n;

	if (po->no_local || (need = plan_needs(po, &want)) == 0) {
		return 0;	/* remote workers only, or a plan refused later */
	}
	if ((limit = raise_limit(need)) >= need) {
		return 0;
	}
	if (po->procs != 0 || po->threads != 0 || po->concurrency != 0 ||
	    po->jobs == 1) {
		cli_warn("%u jobs at a time need about %lu open files per "
		    "process, the limit (ulimit -n) is %lu: lower --procs, "
		    "--threads or --concurrency, or raise the limit", want,
		    need, limit);
		return CLI_EXIT_ERROR;
	}
	for (n = want - 1; n >= 1; n--) {
		unsigned long k;

		po->jobs = n;
		if ((k = plan_needs(po, &slots)) != 0 && k <= limit) {
			break;
		}
	}
	if (n == 0) {
		cli_warn("even one job at a time needs about %lu open files, the "
		    "limit (ulimit -n) is %lu", fds_needed(1, 1, 1), limit);
		return CLI_EXIT_ERROR;
	}
	cli_warn("-j %u needs about %lu open files per process, the limit "
	    "(ulimit -n) is %lu: running %u at a time", want, need, limit,
	    slots);
	return 0;
}
