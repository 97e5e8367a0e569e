/* SPDX-License-Identifier: MIT */
/*
 * runner-nostack.c - the jobs that run without a task: the built-in noop
 * and sleep kinds (runner-internal.h says why).
 *
 * They keep every promise of wk_job_start (kinds.h): the future completes
 * once, with an outcome; a cancel or a timeout ends a sleep early with
 * CORUN_ECANCELED or CORUN_ETIMEDOUT, a loop turn later, not inside the
 * cancel call; the outcome's times are those the job ran.  A sleep is one
 * loop timer (what corun_sleep in a task would arm) and the job itself:
 * a few hundred bytes in flight instead of a stack.
 */
#include "config.h"

#include "runner-internal.h"

/* The job ended with rc: its outcome, once. */
static void
finish(struct wk_runjob *job, int rc)
{
	job->rc = rc;
	job->finished = 1;
	job->end_ns = wk_realtime_ns();
	if (job->timer != NULL) {
		corun_handle_cancel(job->timer);
		corun_handle_release(job->timer);
		job->timer = NULL;
	}
	wk_runjob_complete(job, wk_runjob_status(job));
}

/* The sleep is over, or was cut short by wk_nostack_stop. */
static void
wake(void *arg)
{
	struct wk_runjob *job = arg;

	corun_handle_release(job->wake);
	job->wake = NULL;
	finish(job, atomic_load(&job->ctx.stop) != 0 ? CORUN_ECANCELED : 0);
	corun_future_unref(&job->fut);	/* the timer's reference */
}

int
wk_nostack_fits(const struct wk_runjob *job)
{
	const struct corun_job_kind *k = job->ctx.kind;

	return k != NULL && (k->run == wk_kind_noop ||
	    k->run == wk_kind_sleep);
}

int
wk_nostack_start(struct wk_runjob *job)
{
	uint64_t ms;
	int rc;

	job->nostack = 1;
	job->started = 1;
	if (job->ctx.kind->run == wk_kind_noop) {
		finish(job, wk_kind_noop(&job->ctx));
		return 0;
	}
	if ((rc = wk_parse_ms(&job->ctx, &ms)) != 0) {
		finish(job, rc);
		return 0;
	}
	rc = corun_call_later(job->ctx.loop, (double)ms / 1000.0, wake, job,
	    &job->wake);
	if (rc != 0) {
		return rc;
	}
	corun_future_ref(&job->fut);	/* the timer's, until it fires */
	return 0;
}

void
wk_nostack_stop(struct wk_runjob *job, int why)
{
	int zero = 0;

	if (job->finished || job->wake == NULL) {
		return;
	}
	atomic_compare_exchange_strong(&job->ctx.stop, &zero, why);
	/* End it on the next turn: the timer fires now instead of later. */
	if (corun_handle_cancel(job->wake) != 0) {
		return;		/* it fired already: wake is on its way */
	}
	corun_handle_release(job->wake);
	job->wake = NULL;
	if (corun_call_soon(job->ctx.loop, wake, job, &job->wake) != 0) {
		/* No memory for that: end it here, a turn early. */
		finish(job, CORUN_ECANCELED);
		corun_future_unref(&job->fut);
	}
}
