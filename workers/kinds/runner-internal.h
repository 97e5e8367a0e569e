/* SPDX-License-Identifier: MIT */
/*
 * runner-internal.h - the running job (struct wk_runjob) that runner.c
 * and runner-nostack.c share, and its outcome (runner-outcome.c).
 */
#ifndef WK_RUNNER_INTERNAL_H
#define WK_RUNNER_INTERNAL_H

#include <stdint.h>

#include <corun/future.h>
#include <corun/job.h>
#include <corun/loop.h>

#include "future-internal.h"
#include "kinds-internal.h"

struct wk_runjob {
	struct corun_future fut;	/* first: what the caller holds */
	corun_job_ctx ctx;
	uint64_t id;
	uint32_t attempt;
	uint32_t timeout_ms;
	int offload;
	corun_future *task;		/* NULL when it never started */
	corun_handle *timer;
	corun_handle *wake;		/* nostack: the end of its sleep */
	uint64_t start_ns, end_ns;
	int rc;				/* what the kind returned */
	int started, finished;		/* the body began / ended */
	int nostack;			/* runs without a task */
	char data[];			/* ctx.payload, then ctx.name */
};

/* The time of day in nanoseconds (an outcome's start and end). */
uint64_t wk_realtime_ns(void);

/*
 * Complete the job's future with its outcome (a result, never an error
 * unless the outcome itself cannot be allocated); nothing when it is
 * already done.  On the job's loop.
 */
void wk_runjob_complete(struct wk_runjob *job, int status);

/* The status the outcome of a job that ended reports. */
int wk_runjob_status(struct wk_runjob *job);

/*
 * Whether the job's kind runs without a task (runner-nostack.c): the
 * built-in noop and sleep, which never block and need no stack of their
 * own.  A task costs a stack mapping (mmap, a guard page, page faults,
 * munmap); 20 000 sleeps in flight spent most of a worker's time there.
 */
int wk_nostack_fits(const struct wk_runjob *job);

/*
 * Start such a job: noop (or a sleep whose payload is bad) ends at once,
 * its future completed before this returns; a sleep arms a loop timer
 * that holds a reference on the job until it fires.  0, or an error
 * code with nothing started and the caller's reference untouched.
 */
int wk_nostack_start(struct wk_runjob *job);

/*
 * Stop a job started by wk_nostack_start (why: CORUN_ECANCELED, a
 * timeout's CORUN_ETIMEDOUT, ...): a sleeping one ends on the next loop
 * turn, its outcome saying why, as a cancelled task's would.  Nothing
 * when it already ended.
 */
void wk_nostack_stop(struct wk_runjob *job, int why);

#endif /* WK_RUNNER_INTERNAL_H */
